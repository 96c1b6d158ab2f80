//! Finding the QR code in an uploaded or scanned image (PNG or JPEG) or PDF, with `rqrr`.
//!
//! A PDF is searched image by image: the images it embeds (our own documents draw the code as
//! one, a scanned page is one) are decoded — Flate-compressed grey or RGB, or JPEG — under the
//! same limits as uploads; vector drawings are not rasterised.
//!
//! The format is told by the bytes, never by the file name, so a text file named `.png` is
//! "not an image". Images are decoded under limits: at most [`MAX_SIDE`] pixels a side and
//! [`MAX_PIXELS`] in all, checked from the header before any pixel is decoded, so a
//! 20,000 × 20,000 PNG (or a decompression bomb) is refused without allocating it.
//!
//! The search tries the image as it is and, when nothing is found, downscaled (phone photos of
//! 12 MP and more hold the code in many more pixels than the detector needs, and their noise
//! breaks the finder patterns).

use image::{DynamicImage, GrayImage, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// Largest width or height accepted.
pub const MAX_SIDE: u32 = 12_000;
/// Largest pixel count accepted (a 50 MP phone photo passes).
pub const MAX_PIXELS: u64 = 60_000_000;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScanError {
    #[error("not a PNG or JPEG image (the content was checked, not the file name)")]
    NotAnImage,
    #[error(
        "the image is {width} × {height} pixels; at most {MAX_SIDE} a side and {MAX_PIXELS} in all"
    )]
    TooLarge { width: u32, height: u32 },
    #[error("the image could not be decoded: {0}")]
    Corrupt(String),
    #[error("no QR code was found in the image")]
    NoCode,
    #[error("no QR code was found in the PDF's images")]
    NoCodeInPdf,
}

/// Most images of a PDF searched.
const MAX_PDF_IMAGES: usize = 64;

/// The text of every QR code found in a PNG, JPEG or PDF file.
pub fn qr_texts(bytes: &[u8]) -> Result<Vec<String>, ScanError> {
    if bytes.starts_with(b"%PDF-") {
        let images = pdf_images(bytes)?;
        if images.is_empty() {
            return Err(ScanError::NoCodeInPdf);
        }
        let found: Vec<String> = images.iter().flat_map(search).collect();
        if found.is_empty() {
            return Err(ScanError::NoCodeInPdf);
        }
        return Ok(found);
    }
    let found = search(&decode(bytes)?.to_luma8());
    if found.is_empty() {
        return Err(ScanError::NoCode);
    }
    Ok(found)
}

/// Longest side the detector is run on. `rqrr` slows down sharply on large noisy images (a
/// 17 MP attempt ran for minutes), so larger images are shrunk first: a 12 MP phone photo of a
/// page still gives the code several pixels per module at this size.
const DETECT_SIDE: u32 = 2000;

fn resized(gray: &GrayImage, side: u32, filter: image::imageops::FilterType) -> GrayImage {
    let (w, h) = gray.dimensions();
    let long = w.max(h).max(1) as u64;
    image::imageops::resize(
        gray,
        ((w as u64 * side as u64 / long) as u32).max(1),
        ((h as u64 * side as u64 / long) as u32).max(1),
        filter,
    )
}

/// The codes in one grey image. A tiny image (a PDF draws its code one pixel per module) is
/// enlarged without smoothing. Otherwise a few renderings are tried in turn, cheapest first,
/// until one decodes — chosen on the phone photos of `samples/photos/`, where each of them
/// recovers codes the others miss: the image as it is (shrunk to [`DETECT_SIDE`]); enlarged
/// twice (defocus blur spreads a module over too few pixels for the finder); enlarged and
/// locally thresholded (glare and shade: one global threshold cannot serve both ends of the
/// page); sharpened; locally thresholded.
fn search(gray: &GrayImage) -> Vec<String> {
    use image::imageops::FilterType;
    use imageproc::contrast::adaptive_threshold;
    let (w, h) = gray.dimensions();
    if w.max(h) < 300 {
        return find(&resized(
            gray,
            600 / w.max(h).max(1) * w.max(h),
            FilterType::Nearest,
        ));
    }
    let base = if w.max(h) > DETECT_SIDE {
        resized(gray, DETECT_SIDE, FilterType::Triangle)
    } else {
        gray.clone()
    };
    let found = find(&base);
    if !found.is_empty() {
        return found;
    }
    let long = base.width().max(base.height());
    let attempts: [&dyn Fn() -> Option<GrayImage>; 4] = [
        &|| (long <= DETECT_SIDE * 4 / 5).then(|| resized(&base, long * 2, FilterType::Triangle)),
        &|| {
            (long <= DETECT_SIDE * 4 / 5)
                .then(|| adaptive_threshold(&resized(&base, long * 2, FilterType::Triangle), 24, 0))
        },
        &|| Some(imageproc::filter::sharpen_gaussian(&base, 2.0, 2.0)),
        &|| Some(adaptive_threshold(&base, 16, 0)),
    ];
    for attempt in attempts {
        if let Some(image) = attempt() {
            let found = find(&image);
            if !found.is_empty() {
                return found;
            }
        }
    }
    Vec::new()
}

fn decode(bytes: &[u8]) -> Result<DynamicImage, ScanError> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ScanError::Corrupt(e.to_string()))?;
    match reader.format() {
        Some(ImageFormat::Png | ImageFormat::Jpeg) => {}
        _ => return Err(ScanError::NotAnImage),
    }
    let (width, height) = reader
        .into_dimensions()
        .map_err(|e| ScanError::Corrupt(e.to_string()))?;
    if width > MAX_SIDE || height > MAX_SIDE || width as u64 * height as u64 > MAX_PIXELS {
        return Err(ScanError::TooLarge { width, height });
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ScanError::Corrupt(e.to_string()))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_PIXELS * 4);
    reader.limits(limits);
    reader
        .decode()
        .map_err(|e| ScanError::Corrupt(e.to_string()))
}

/// The images a PDF embeds, as grey images, within the size limits.
fn pdf_images(bytes: &[u8]) -> Result<Vec<GrayImage>, ScanError> {
    let doc = lopdf::Document::load_mem(bytes)
        .map_err(|e| ScanError::Corrupt(format!("not a readable PDF: {e}")))?;
    let mut out = Vec::new();
    for object in doc.objects.values() {
        let Ok(stream) = object.as_stream() else {
            continue;
        };
        let d = &stream.dict;
        let name = |k: &[u8]| d.get(k).and_then(|o| o.as_name()).ok();
        let int = |k: &[u8]| d.get(k).and_then(|o| o.as_i64()).ok();
        if name(b"Subtype") != Some(b"Image") {
            continue;
        }
        let (Some(w), Some(h)) = (int(b"Width"), int(b"Height")) else {
            continue;
        };
        let (width, height) = (
            w.clamp(0, u32::MAX as i64) as u32,
            h.clamp(0, u32::MAX as i64) as u32,
        );
        if width == 0 || height == 0 {
            continue;
        }
        if width > MAX_SIDE || height > MAX_SIDE || width as u64 * height as u64 > MAX_PIXELS {
            return Err(ScanError::TooLarge { width, height });
        }
        let gray = match name(b"Filter") {
            Some(b"DCTDecode") => decode(&stream.content).ok().map(|i| i.to_luma8()),
            Some(b"FlateDecode") | None => {
                let raw = stream
                    .decompressed_content()
                    .unwrap_or_else(|_| stream.content.clone());
                match (name(b"ColorSpace"), int(b"BitsPerComponent")) {
                    (Some(b"DeviceGray"), Some(8)) => GrayImage::from_raw(width, height, raw),
                    (Some(b"DeviceRGB"), Some(8)) => image::RgbImage::from_raw(width, height, raw)
                        .map(|rgb| DynamicImage::ImageRgb8(rgb).to_luma8()),
                    _ => None,
                }
            }
            _ => None,
        };
        out.extend(gray);
        if out.len() >= MAX_PDF_IMAGES {
            break;
        }
    }
    Ok(out)
}

fn find(gray: &GrayImage) -> Vec<String> {
    let mut prepared = rqrr::PreparedImage::prepare(gray.clone());
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, text)| text))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = GrayImage::from_pixel(width, height, image::Luma([255]));
        let mut out = Vec::new();
        DynamicImage::ImageLuma8(img)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn finds_a_rendered_code_and_refuses_what_is_not_one() {
        let text = "HTTPS://TANBA.EDU.KZ/V/ABCDEF234567";
        let (code, _) = crate::credential::qr::render_png(text, 6).unwrap();
        assert_eq!(qr_texts(&code).unwrap(), vec![text.to_string()]);
        // A blank page, text posing as an image, a truncated PNG.
        assert_eq!(qr_texts(&png(300, 300)), Err(ScanError::NoCode));
        assert_eq!(
            qr_texts(b"this is not a picture at all"),
            Err(ScanError::NotAnImage)
        );
        assert!(matches!(
            qr_texts(&code[..code.len() / 2]),
            Err(ScanError::Corrupt(_))
        ));
    }

    #[test]
    fn a_huge_png_is_refused_from_its_header() {
        // 20,000 × 20,000 would be 400 MP (1.2 GB as RGB). Only the header is read: build one
        // with a valid header over a tiny body.
        let mut bytes = png(1, 1);
        // IHDR width and height sit at offsets 16 and 20 (after signature, length, type).
        bytes[16..20].copy_from_slice(&20_000u32.to_be_bytes());
        bytes[20..24].copy_from_slice(&20_000u32.to_be_bytes());
        // The chunk's CRC-32 (ISO-HDLC) over type and data, bytes 12..29, stored at 29..33.
        let crc = bytes[12..29].iter().fold(!0u32, |mut c, &b| {
            c ^= b as u32;
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    (c >> 1) ^ 0xEDB8_8320
                } else {
                    c >> 1
                };
            }
            c
        });
        bytes[29..33].copy_from_slice(&(!crc).to_be_bytes());
        assert_eq!(
            qr_texts(&bytes),
            Err(ScanError::TooLarge {
                width: 20_000,
                height: 20_000
            })
        );
    }
}
