//! Finding the QR code in an uploaded or scanned image (PNG or JPEG), with `rqrr`.
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
}

/// The text of every QR code found, first the ones found at full size.
pub fn qr_texts(bytes: &[u8]) -> Result<Vec<String>, ScanError> {
    let image = decode(bytes)?;
    let gray = image.to_luma8();
    let mut found = find(&gray);
    if found.is_empty() {
        let (w, h) = gray.dimensions();
        for target in [1600u32, 1000, 700] {
            if w.max(h) <= target {
                continue;
            }
            let small = image::imageops::resize(
                &gray,
                (w as u64 * target as u64 / w.max(h) as u64) as u32,
                (h as u64 * target as u64 / w.max(h) as u64) as u32,
                image::imageops::FilterType::Triangle,
            );
            found = find(&small);
            if !found.is_empty() {
                break;
            }
        }
    }
    if found.is_empty() {
        return Err(ScanError::NoCode);
    }
    Ok(found)
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
