//! Scans as pages of grey pixels: JPEG, PNG and TIFF images, and PDFs (scanned, multi-page) by
//! the images each page draws.
//!
//! The format is told by the bytes, never by the file name. Every image is measured from its
//! header before a pixel is decoded, and refused above [`MAX_SIDE`] a side or [`MAX_PIXELS`] in
//! all; a PDF image's compressed stream is inflated with the same bound, so neither a
//! 20,000 × 20,000 image nor a decompression bomb allocates what it claims.

use image::{DynamicImage, GrayImage, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// Largest width or height accepted.
pub const MAX_SIDE: u32 = 12_000;
/// Largest pixel count per page image (a 50 MP phone photo passes).
pub const MAX_PIXELS: u64 = 60_000_000;
/// Most pages read from one PDF.
pub const MAX_PAGES: usize = 40;

/// What a scan's bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Jpeg,
    Png,
    Tiff,
    Pdf,
}

impl Format {
    /// Tells the format from the first bytes.
    pub fn sniff(bytes: &[u8]) -> Option<Format> {
        if bytes.starts_with(b"%PDF-") {
            return Some(Format::Pdf);
        }
        match image::guess_format(bytes).ok()? {
            ImageFormat::Jpeg => Some(Format::Jpeg),
            ImageFormat::Png => Some(Format::Png),
            ImageFormat::Tiff => Some(Format::Tiff),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::Tiff => "tif",
            Format::Pdf => "pdf",
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Tiff => "image/tiff",
            Format::Pdf => "application/pdf",
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RasterError {
    #[error(
        "not a JPEG, PNG, TIFF or PDF file (the content was checked, not the file name; it begins {0})"
    )]
    UnknownFormat(String),
    #[error(
        "{what} is {width} × {height} pixels; at most {MAX_SIDE} a side and {MAX_PIXELS} in all"
    )]
    TooLarge {
        what: String,
        width: u32,
        height: u32,
    },
    #[error("{what} could not be decoded: {reason}")]
    Corrupt { what: String, reason: String },
    #[error("the PDF has {0} pages; at most {MAX_PAGES} are read")]
    TooManyPages(usize),
    #[error(
        "the PDF is encrypted (password-protected): send it without the password, or its pages as images"
    )]
    Encrypted,
    #[error("page {0} of the PDF holds no image: only scanned PDFs are read")]
    NoImageOnPage(usize),
}

/// One page as grey pixels, with where it came from.
pub struct Page {
    /// 1-based page number within the file.
    pub number: usize,
    pub image: GrayImage,
}

fn check_size(what: &str, width: u32, height: u32) -> Result<(), RasterError> {
    if width > MAX_SIDE || height > MAX_SIDE || width as u64 * height as u64 > MAX_PIXELS {
        return Err(RasterError::TooLarge {
            what: what.into(),
            width,
            height,
        });
    }
    Ok(())
}

/// Decodes a JPEG, PNG or TIFF image under the limits (the size is read from the header first).
pub fn decode_image(what: &str, bytes: &[u8]) -> Result<DynamicImage, RasterError> {
    let corrupt = |e: image::ImageError| RasterError::Corrupt {
        what: what.into(),
        reason: e.to_string(),
    };
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| RasterError::Corrupt {
            what: what.into(),
            reason: e.to_string(),
        })?;
    match reader.format() {
        Some(ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Tiff) => {}
        _ => return Err(RasterError::UnknownFormat(leading(bytes))),
    }
    let (width, height) = reader.into_dimensions().map_err(corrupt)?;
    check_size(what, width, height)?;
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| RasterError::Corrupt {
            what: what.into(),
            reason: e.to_string(),
        })?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_PIXELS * 8);
    reader.limits(limits);
    reader.decode().map_err(corrupt)
}

/// The first bytes, for an error message.
fn leading(bytes: &[u8]) -> String {
    let head: String = bytes
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ");
    if head.is_empty() {
        "with nothing: it is empty".into()
    } else {
        head
    }
}

/// The pages of a scan: an image is one page; a PDF gives each page's largest image.
pub fn pages(bytes: &[u8]) -> Result<Vec<Page>, RasterError> {
    match Format::sniff(bytes) {
        None => Err(RasterError::UnknownFormat(leading(bytes))),
        Some(Format::Pdf) => pdf_pages(bytes),
        Some(_) => Ok(vec![Page {
            number: 1,
            image: decode_image("the image", bytes)?.to_luma8(),
        }]),
    }
}

fn pdf_pages(bytes: &[u8]) -> Result<Vec<Page>, RasterError> {
    // An encrypted PDF declares it in its trailer (`/Encrypt`); its streams are ciphertext,
    // which would otherwise surface as a corrupt image, or as a load error when it has a
    // user password.
    if bytes.windows(8).any(|w| w == b"/Encrypt") {
        return Err(RasterError::Encrypted);
    }
    let doc = lopdf::Document::load_mem(bytes).map_err(|e| RasterError::Corrupt {
        what: "the PDF".into(),
        reason: e.to_string(),
    })?;
    if doc.was_encrypted() || doc.trailer.get(b"Encrypt").is_ok() {
        return Err(RasterError::Encrypted);
    }
    let pages = doc.get_pages();
    if pages.len() > MAX_PAGES {
        return Err(RasterError::TooManyPages(pages.len()));
    }
    let mut out = Vec::new();
    for (number, id) in pages {
        let number = number as usize;
        let images = doc.get_page_images(id).unwrap_or_default();
        // The scan of a page is its largest image (a page may also carry small logos).
        let Some(img) = images
            .iter()
            .filter(|i| i.width > 0 && i.height > 0)
            .max_by_key(|i| i.width.saturating_mul(i.height))
        else {
            return Err(RasterError::NoImageOnPage(number));
        };
        let what = format!("the image on page {number}");
        let (w, h) = (
            img.width.clamp(0, u32::MAX as i64) as u32,
            img.height.clamp(0, u32::MAX as i64) as u32,
        );
        check_size(&what, w, h)?;
        out.push(Page {
            number,
            image: pdf_image(&what, img, w, h)?,
        });
    }
    Ok(out)
}

fn pdf_image(
    what: &str,
    img: &lopdf::xobject::PdfImage,
    width: u32,
    height: u32,
) -> Result<GrayImage, RasterError> {
    let corrupt = |reason: String| RasterError::Corrupt {
        what: what.into(),
        reason,
    };
    let filters: Vec<&str> = img.filters.iter().flatten().map(String::as_str).collect();
    match filters.as_slice() {
        ["DCTDecode"] => Ok(decode_image(what, img.content)?.to_luma8()),
        [] | ["FlateDecode"] => {
            let channels = match img.color_space.as_deref() {
                Some("DeviceGray") => 1,
                Some("DeviceRGB") => 3,
                other => {
                    return Err(corrupt(format!(
                        "colour space {} is not read (DeviceGray or DeviceRGB)",
                        other.unwrap_or("none")
                    )));
                }
            };
            if img.bits_per_component != Some(8) {
                return Err(corrupt(format!(
                    "{} bits per component (8 are read)",
                    img.bits_per_component.unwrap_or(0)
                )));
            }
            let expected = width as usize * height as usize * channels;
            let raw = if filters.is_empty() {
                img.content.to_vec()
            } else {
                // Bounded: a stream that inflates past what its dimensions need is refused.
                miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(img.content, expected)
                    .map_err(|e| {
                        corrupt(format!(
                            "its Flate stream does not inflate to {width} × {height} pixels: {e:?}"
                        ))
                    })?
            };
            if raw.len() < expected {
                return Err(corrupt(format!(
                    "{} bytes of pixels for {width} × {height} × {channels}",
                    raw.len()
                )));
            }
            let raw = raw[..expected].to_vec();
            let gray = if channels == 1 {
                GrayImage::from_raw(width, height, raw)
            } else {
                image::RgbImage::from_raw(width, height, raw)
                    .map(|rgb| DynamicImage::ImageRgb8(rgb).to_luma8())
            };
            gray.ok_or_else(|| corrupt("the pixel buffer does not match the dimensions".into()))
        }
        other => Err(corrupt(format!(
            "its filter {} is not read (DCTDecode or FlateDecode)",
            other.join(", ")
        ))),
    }
}
