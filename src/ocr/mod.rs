//! Reading scanned documents: preprocessing ([`preprocess`]), then recognition by tesseract 5
//! (Debian's libtesseract, through the `tesseract` crate), keeping every word's box and
//! confidence.
//!
//! Boxes are given in the pixels of the page as received (the preprocessing's resize and
//! rotation are undone), so an officer's view can draw them on the scan itself.

pub mod document;
pub mod extract;
pub mod grades;
pub mod names;
pub mod osd;
pub mod preprocess;
pub mod programme;
pub mod synth;
pub mod template;

use crate::intake::raster::Page;
use image::GrayImage;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// The languages read unless told otherwise.
pub const DEFAULT_LANGS: &str = "rus+kaz+eng";

#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    #[error(
        "OCR language {lang:?} is not installed: install the Debian package tesseract-ocr-{lang} (looked in {looked})"
    )]
    MissingLanguage { lang: String, looked: String },
    #[error("OCR languages must be tesseract codes joined by '+', like rus+kaz+eng; {0:?} is not")]
    BadLanguages(String),
    #[error("tesseract failed: {0}")]
    Engine(String),
}

/// One recognised word.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Word {
    pub text: String,
    /// 0–1, tesseract's own confidence.
    pub confidence: f32,
    /// `[x, y, width, height]` in the received page's pixels.
    #[serde(rename = "box")]
    pub bbox: [u32; 4],
    /// Numbered from 1 down the page, as tesseract laid out blocks, paragraphs and lines.
    pub line: u32,
}

/// One page read.
#[derive(Clone, Debug, Serialize)]
pub struct PageText {
    pub page: usize,
    pub width: u32,
    pub height: u32,
    pub preprocess: preprocess::Report,
    pub mean_confidence: f32,
    pub words: Vec<Word>,
    /// The words line by line.
    pub text: String,
    /// How far the page was turned clockwise to be read (90, 180 or 270) when its text did
    /// not stand upright; 0 otherwise.
    pub orientation_degrees: u16,
    /// Why the page could not be read, when it could not: a blank page, too little
    /// contrast, no legible text. Such a page asks for a new scan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
}

/// How far a page's ink stands out from its paper: from the median grey (the paper) to the
/// level that only the darkest 0.05% of pixels reach (the ink), or to the brightest 0.05% for
/// light print on a dark ground. A printed page, even one with a few sparse lines of text,
/// spans well over a hundred levels; a blank sheet, a page lost to over-exposure or a scan of
/// nothing spans a few.
pub fn contrast(img: &GrayImage) -> u8 {
    let mut hist = [0u64; 256];
    for p in img.pixels() {
        hist[p.0[0] as usize] += 1;
    }
    let n: u64 = hist.iter().sum();
    let level = |share: f64| {
        let target = (n as f64 * share) as u64;
        let mut seen = 0;
        for (v, c) in hist.iter().enumerate() {
            seen += c;
            if seen > target {
                return v as u8;
            }
        }
        255
    };
    let paper = level(0.5);
    let dark = paper.saturating_sub(level(0.0005));
    let light = level(0.9995).saturating_sub(paper);
    dark.max(light)
}

/// Below this spread of grey levels a page is not read (see [`contrast`]).
pub const MIN_CONTRAST: u8 = 40;

/// Words that count as legible: confident, and of two letters or digits at least.
fn legible(words: &[Word]) -> usize {
    words
        .iter()
        .filter(|w| {
            w.confidence >= 0.6 && w.text.chars().filter(|c| c.is_alphanumeric()).count() >= 2
        })
        .count()
}

/// A page with fewer legible words than this has no text that could be read.
pub const MIN_LEGIBLE_WORDS: usize = 5;

/// A page whose words the engine is this unsure of on average was not text, or not legible
/// text: printed pages read at 0.8–0.95, noise and scribble at 0.2–0.4.
pub const MIN_MEAN_CONFIDENCE: f32 = 0.5;

/// Where Debian's packages put the models (`tesseract-ocr-*`), or `TESSDATA_PREFIX`.
pub fn tessdata_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("TESSDATA_PREFIX")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    dirs.push("/usr/share/tesseract-ocr/5/tessdata".into());
    dirs.push("/usr/share/tesseract-ocr/4.00/tessdata".into());
    dirs
}

/// Checks that every language of `langs` (e.g. `rus+kaz+eng`) has its model installed.
pub fn check_languages(langs: &str) -> Result<(), OcrError> {
    let codes: Vec<&str> = langs.split('+').collect();
    if codes.iter().any(|c| {
        c.is_empty() || !c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') || c.len() > 16
    }) {
        return Err(OcrError::BadLanguages(langs.into()));
    }
    let dirs = tessdata_dirs();
    for c in codes {
        if !dirs
            .iter()
            .any(|d| d.join(format!("{c}.traineddata")).is_file())
        {
            return Err(OcrError::MissingLanguage {
                lang: c.into(),
                looked: dirs
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    Ok(())
}

// Debian's libtesseract runs its parallel loops under OpenMP, whose idle threads spin: on a
// 2-core machine one A4 page took 10.4 s of OCR with them and 1.6 s without. OpenMP reads
// `OMP_THREAD_LIMIT` when the library loads, before `main`, and tesseract asks for fixed team
// sizes, so the loops are made inactive instead: with at most 0 active levels every parallel
// region runs on the calling thread alone. Parallelism comes from running pages as jobs.
#[link(name = "gomp")]
unsafe extern "C" {
    fn omp_set_max_active_levels(levels: std::os::raw::c_int);
}

/// A tesseract engine loaded with some languages, reused page after page.
pub struct Reader {
    tess: Option<tesseract::Tesseract>,
    langs: String,
    /// The orientation engine, loaded on the first page that needs it (`None` inside: its
    /// model is not installed).
    osd: Option<Option<osd::Osd>>,
}

impl Reader {
    pub fn new(langs: &str) -> Result<Self, OcrError> {
        check_languages(langs)?;
        let tess = tesseract::Tesseract::new(None, Some(langs))
            .map_err(|e| OcrError::Engine(e.to_string()))?
            // Tesseract's diagnostics ("Image too small to scale!!") would go to stderr.
            .set_variable("debug_file", "/dev/null")
            .map_err(|e| OcrError::Engine(e.to_string()))?;
        Ok(Reader {
            tess: Some(tess),
            langs: langs.to_string(),
            osd: None,
        })
    }

    /// How far a page must be turned clockwise for its text to stand upright, by tesseract's
    /// orientation detection; `None` when its model (`osd.traineddata`) is not installed.
    pub fn orientation(&mut self, img: &GrayImage, dpi: i32) -> Option<osd::Orientation> {
        let engine = self.osd.get_or_insert_with(osd::Osd::new).as_mut()?;
        Some(engine.orientation(img, dpi).unwrap_or(osd::Orientation {
            rotate_clockwise: 0,
            confidence: 0.0,
        }))
    }

    /// The languages this engine reads, as tesseract names them (`rus+kaz+eng`).
    pub fn languages(&self) -> &str {
        &self.langs
    }

    /// Recognises a preprocessed page image; boxes are in that image's pixels.
    pub fn words(&mut self, img: &GrayImage, dpi: i32) -> Result<Vec<Word>, OcrError> {
        let engine = |e: &dyn std::fmt::Display| OcrError::Engine(e.to_string());
        let tess = self
            .tess
            .take()
            .ok_or_else(|| OcrError::Engine("an earlier page left the engine unusable".into()))?;
        let (w, h) = (img.width() as i32, img.height() as i32);
        // SAFETY: sets an OpenMP control variable; no memory is passed.
        unsafe { omp_set_max_active_levels(0) };
        let mut tess = tess
            .set_frame(img.as_raw(), w, h, 1, w)
            .map_err(|e| engine(&e))?
            .set_source_resolution(dpi)
            .recognize()
            .map_err(|e| engine(&e))?;
        let tsv = tess.get_tsv_text(0).map_err(|e| engine(&e));
        self.tess = Some(tess);
        Ok(parse_tsv(&tsv?))
    }
}

/// Words (level 5 rows) of tesseract's TSV output: level, page, block, paragraph, line, word,
/// left, top, width, height, confidence, text.
pub fn parse_tsv(tsv: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut line_key = None;
    let mut line = 0;
    for row in tsv.lines() {
        let cols: Vec<&str> = row.split('\t').collect();
        if cols.len() < 12 || cols[0] != "5" {
            continue;
        }
        let num = |i: usize| cols[i].trim().parse::<i64>().unwrap_or(0).max(0) as u32;
        let text = cols[11..].join("\t").trim().to_string();
        if text.is_empty() {
            continue;
        }
        let key = (num(2), num(3), num(4));
        if line_key != Some(key) {
            line_key = Some(key);
            line += 1;
        }
        let conf: f32 = cols[10].trim().parse().unwrap_or(-1.0);
        words.push(Word {
            text,
            confidence: (conf / 100.0).clamp(0.0, 1.0),
            bbox: [num(6), num(7), num(8), num(9)],
            line,
        });
    }
    words
}

/// A box found on a page turned clockwise by `turn` degrees (90, 180 or 270), on the page
/// before the turn, whose size is `size`.
fn unturn(b: [u32; 4], turn: u16, size: (u32, u32)) -> [u32; 4] {
    let (w, h) = size;
    match turn {
        // (x, y) went to (h − 1 − y, x).
        90 => [b[1], h.saturating_sub(b[0] + b[2]), b[3], b[2]],
        180 => [
            w.saturating_sub(b[0] + b[2]),
            h.saturating_sub(b[1] + b[3]),
            b[2],
            b[3],
        ],
        // (x, y) went to (y, w − 1 − x).
        270 => [w.saturating_sub(b[1] + b[3]), b[0], b[3], b[2]],
        _ => b,
    }
}

/// Maps a box from the preprocessed page back to the received one: the rotation about the
/// centre undone, then the resize, then (for a flattened photo) the perspective.
fn unmap(
    b: [u32; 4],
    report: &preprocess::Report,
    size: (u32, u32),
    scaled: (u32, u32),
) -> [u32; 4] {
    let (cx, cy) = (scaled.0 as f32 / 2.0, scaled.1 as f32 / 2.0);
    let a = report.deskew_degrees.to_radians();
    let (s, c) = a.sin_cos();
    let corners = [
        (b[0] as f32, b[1] as f32),
        ((b[0] + b[2]) as f32, b[1] as f32),
        (b[0] as f32, (b[1] + b[3]) as f32),
        ((b[0] + b[2]) as f32, (b[1] + b[3]) as f32),
    ];
    let back: Vec<(f32, f32)> = corners
        .iter()
        .map(|&(x, y)| {
            let (dx, dy) = (x - cx, y - cy);
            (
                (cx + c * dx - s * dy) / report.scale,
                (cy + s * dx + c * dy) / report.scale,
            )
        })
        .collect();
    // A flattened photo: through the page's perspective back to the photo.
    let back: Vec<(f32, f32)> = match report.unflatten() {
        Some(p) => back.into_iter().map(|pt| p * pt).collect(),
        None => back,
    };
    let clamp = |v: f32, max: u32| v.round().clamp(0.0, max as f32) as u32;
    let x0 = clamp(back.iter().map(|p| p.0).fold(f32::MAX, f32::min), size.0);
    let y0 = clamp(back.iter().map(|p| p.1).fold(f32::MAX, f32::min), size.1);
    let x1 = clamp(back.iter().map(|p| p.0).fold(f32::MIN, f32::max), size.0);
    let y1 = clamp(back.iter().map(|p| p.1).fold(f32::MIN, f32::max), size.1);
    [x0, y0, x1 - x0, y1 - y0]
}

/// Preprocesses and reads each page, adding each stage's milliseconds to `timings`.
pub fn read_pages(
    reader: &mut Reader,
    pages: &[Page],
    options: &preprocess::Options,
    timings: &mut std::collections::BTreeMap<String, f64>,
) -> Result<Vec<PageText>, OcrError> {
    let mut out = Vec::new();
    for page in pages {
        let size = page.image.dimensions();
        let spread = contrast(&page.image);
        if spread < MIN_CONTRAST {
            out.push(PageText {
                page: page.number,
                width: size.0,
                height: size.1,
                preprocess: preprocess::Report::default(),
                mean_confidence: 0.0,
                words: Vec::new(),
                text: String::new(),
                orientation_degrees: 0,
                unreadable: Some(format!(
                    "page {}: blank or contrast too low (its grey levels span {spread}, a printed page spans over {MIN_CONTRAST})",
                    page.number
                )),
            });
            continue;
        }
        let (img, report) = preprocess::run(&page.image, options);
        for (step, ms) in &report.timings_ms {
            *timings.entry(step.clone()).or_default() += ms;
        }
        let t = Instant::now();
        let dpi = (img.width().max(img.height()) as f32 / 11.69)
            .round()
            .clamp(70.0, 1200.0);
        let mut words = reader.words(&img, dpi as i32)?;
        let mut orientation_degrees = 0;
        // A page with little legible text may be turned: tesseract's orientation detection
        // says by how much (without its model, upside down is tried), the page is read turned
        // upright, and the reading with more legible words is kept. Boxes of the turned
        // reading are turned back.
        if legible(&words) < 20 {
            let turn = match reader.orientation(&img, dpi as i32) {
                Some(o) if o.rotate_clockwise != 0 && o.confidence >= 1.0 => o.rotate_clockwise,
                Some(_) => 0,
                None => 180,
            };
            if turn != 0 {
                let turned = match turn {
                    90 => image::imageops::rotate90(&img),
                    180 => image::imageops::rotate180(&img),
                    _ => image::imageops::rotate270(&img),
                };
                let mut again = reader.words(&turned, dpi as i32)?;
                if legible(&again) > legible(&words) * 2 {
                    for word in &mut again {
                        word.bbox = unturn(word.bbox, turn, img.dimensions());
                    }
                    words = again;
                    orientation_degrees = turn;
                }
            }
        }
        *timings.entry("ocr".into()).or_default() += t.elapsed().as_secs_f64() * 1000.0;
        for w in &mut words {
            w.bbox = unmap(w.bbox, &report, size, img.dimensions());
        }
        let mean_confidence = if words.is_empty() {
            0.0
        } else {
            words.iter().map(|w| w.confidence).sum::<f32>() / words.len() as f32
        };
        let mut text = String::new();
        let mut last = 0;
        for w in &words {
            if w.line != last && last != 0 {
                text.push('\n');
            } else if last != 0 {
                text.push(' ');
            }
            text.push_str(&w.text);
            last = w.line;
        }
        out.push(PageText {
            page: page.number,
            width: size.0,
            height: size.1,
            preprocess: report,
            mean_confidence,
            unreadable: (legible(&words) < MIN_LEGIBLE_WORDS
                || mean_confidence < MIN_MEAN_CONFIDENCE)
                .then(|| {
                format!(
                    "page {}: no text could be read ({} legible words of {}, mean confidence {:.2})",
                    page.number,
                    legible(&words),
                    words.len(),
                    mean_confidence
                )
            }),
            orientation_degrees,
            words,
            text,
        });
    }
    Ok(out)
}

/// Everything the pipeline read from one file: what `tanba ocr --json` prints and what a
/// case's background job stores.
#[derive(Clone, Debug, Serialize)]
pub struct FileReading {
    /// `read`; `unreadable` when no page could be read (ask for a new scan); or
    /// `partly_unreadable`.
    pub status: &'static str,
    /// Why each unreadable page could not be read.
    pub unreadable: Vec<String>,
    pub kind: Option<crate::intake::ForeignKind>,
    pub country: Option<String>,
    /// The template of `ocr-models/templates.json` the document follows, if one is recognised.
    pub template: Option<template::TemplateMatch>,
    pub fields: std::collections::BTreeMap<String, extract::Field>,
    /// The grades table of a supplement or transcript, row by row.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub grades: Vec<grades::GradeRow>,
    pub file: FileRef,
    pub application: Option<crate::intake::Application>,
    pub matches: Matches,
    pub languages: String,
    pub pages: Vec<PageText>,
    pub timings_ms: std::collections::BTreeMap<String, f64>,
}

/// The file a reading is of: its submitted name, hash and format.
#[derive(Clone, Debug, Serialize)]
pub struct FileRef {
    pub name: String,
    pub sha256: String,
    pub format: crate::intake::raster::Format,
    /// A JPEG's quality, estimated from its quantisation table (for `edit.recompressed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jpeg_quality: Option<u8>,
}

/// A Cyrillic series read again on its own, cut from the received page with a line's height
/// of margin beside it and half of one above and below, and enlarged threefold: at the page's scale the engine
/// takes a bold «Б» for «В» and «Д» for «О» (four of five series misses on a held-out set),
/// and reads them right from the enlarged line alone. The series re-read — a word of as many
/// Cyrillic capitals, read with confidence 0.7 or more — replaces the first reading. Timed
/// as `reread`.
pub fn reread_series(
    reader: &mut Reader,
    images: &[&GrayImage],
    reading: &mut extract::Reading,
    timings: &mut std::collections::BTreeMap<String, f64>,
) -> Result<(), OcrError> {
    let capitals =
        |t: &str| !t.is_empty() && t.chars().all(|c| ('А'..='Я').contains(&c) || c == 'Ё');
    let Some(series) = reading.fields.get("series").filter(|s| capitals(&s.value)) else {
        return Ok(());
    };
    let Some(img) = series.page.checked_sub(1).and_then(|i| images.get(i)) else {
        return Ok(());
    };
    let t = Instant::now();
    let b = series.bbox;
    let h = b[3].max(8);
    let (x0, y0) = (b[0].saturating_sub(h), b[1].saturating_sub(h / 2));
    let x1 = (b[0] + b[2] + h).min(img.width());
    let y1 = (b[1] + b[3] + h / 2).min(img.height());
    if x1 <= x0 + 1 || y1 <= y0 + 1 {
        return Ok(());
    }
    let crop = image::imageops::crop_imm(*img, x0, y0, x1 - x0, y1 - y0).to_image();
    let big = image::imageops::resize(
        &crop,
        crop.width() * 3,
        crop.height() * 3,
        image::imageops::FilterType::CatmullRom,
    );
    let words = reader.words(&big, 600)?;
    let len = series.value.chars().count();
    // The word's letters: what the cut leaves at its ends («АБ?») is not part of it.
    let found: Vec<(&str, f32)> = words
        .iter()
        .map(|w| {
            (
                w.text.trim_matches(|c: char| !c.is_alphabetic()),
                w.confidence,
            )
        })
        .filter(|(t, c)| t.chars().count() == len && capitals(t) && *c >= 0.7)
        .collect();
    if let [(t, c)] = found.as_slice()
        && *t != series.value
        && let Some(f) = reading.fields.get_mut("series")
    {
        f.value = t.to_string();
        f.confidence = *c;
    }
    *timings.entry("reread".into()).or_default() += t.elapsed().as_secs_f64() * 1000.0;
    Ok(())
}

/// Reads one received file, page by page, calling `on_page(done, pages)` after each page.
/// `timings` may already hold earlier stages (decoding, engine start-up); the stages of this
/// reading are added to them.
pub fn read_file(
    reader: &mut Reader,
    received: &crate::intake::Received,
    pages: &[Page],
    application: Option<&crate::intake::Application>,
    options: &preprocess::Options,
    mut timings: std::collections::BTreeMap<String, f64>,
    on_page: &mut dyn FnMut(usize, usize),
) -> Result<FileReading, OcrError> {
    let mut read = Vec::with_capacity(pages.len());
    for (i, page) in pages.iter().enumerate() {
        read.extend(read_pages(
            reader,
            std::slice::from_ref(page),
            options,
            &mut timings,
        )?);
        on_page(i + 1, pages.len());
    }
    let t = Instant::now();
    let images: Vec<&GrayImage> = pages.iter().map(|p| &p.image).collect();
    let mut reading = extract::read(&read, &images);
    timings.insert("extract".to_string(), t.elapsed().as_secs_f64() * 1000.0);
    reread_series(reader, &images, &mut reading, &mut timings)?;
    let matches = matches(&reading, application);
    let unreadable: Vec<String> = read.iter().filter_map(|p| p.unreadable.clone()).collect();
    let status = match unreadable.len() {
        0 => "read",
        n if n == read.len() => "unreadable",
        _ => "partly_unreadable",
    };
    Ok(FileReading {
        status,
        unreadable,
        kind: reading.kind,
        country: reading.country,
        template: reading.template,
        fields: reading.fields,
        grades: reading.grades,
        file: FileRef {
            name: received.name.clone(),
            sha256: received.sha256.clone(),
            format: received.format,
            jpeg_quality: match received.format {
                crate::intake::raster::Format::Jpeg => {
                    crate::forensics::ghost::jpeg_quality(&received.bytes)
                }
                _ => None,
            },
        },
        application: application.cloned(),
        matches,
        languages: reader.languages().to_string(),
        pages: read,
        timings_ms: timings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_words_keep_boxes_confidences_and_lines() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
            1\t1\t0\t0\t0\t0\t0\t0\t2480\t3508\t-1\t\n\
            4\t1\t1\t1\t1\t0\t300\t400\t900\t60\t-1\t\n\
            5\t1\t1\t1\t1\t1\t300\t400\t320\t60\t96.5\tДИПЛОМ\n\
            5\t1\t1\t1\t1\t2\t640\t402\t200\t58\t91\tбакалавра\n\
            5\t1\t1\t1\t2\t1\t300\t500\t180\t40\t42.25\tИванов\n\
            5\t1\t1\t1\t2\t2\t500\t500\t10\t40\t95\t \n";
        let words = parse_tsv(tsv);
        assert_eq!(words.len(), 3);
        assert_eq!(words[0].text, "ДИПЛОМ");
        assert_eq!(words[0].bbox, [300, 400, 320, 60]);
        assert!((words[0].confidence - 0.965).abs() < 1e-6);
        assert_eq!((words[1].line, words[2].line), (1, 2));
    }

    #[test]
    fn sparse_print_has_contrast_and_a_blank_sheet_has_none() {
        use image::Luma;
        // A clean page with three thin lines of text: under 1% of it is ink.
        let mut page = GrayImage::from_pixel(1240, 1754, Luma([238]));
        for line in 0..3 {
            for y in 400 + line * 60..403 + line * 60 {
                for x in (200..1000).step_by(3) {
                    page.put_pixel(x, y, Luma([40]));
                }
            }
        }
        assert!(contrast(&page) >= 150, "{}", contrast(&page));
        // Light print on a dark ground counts the same.
        let mut dark = GrayImage::from_pixel(800, 600, Luma([20]));
        for x in 100..700 {
            dark.put_pixel(x, 300, Luma([230]));
            dark.put_pixel(x, 301, Luma([230]));
        }
        assert!(contrast(&dark) >= 150, "{}", contrast(&dark));
        let blank = GrayImage::from_fn(600, 800, |x, y| Luma([234 + ((x * 7 + y * 13) % 9) as u8]));
        assert!(contrast(&blank) < MIN_CONTRAST, "{}", contrast(&blank));
    }

    #[test]
    fn a_box_on_a_turned_page_is_turned_back() {
        use image::imageops::{rotate90, rotate180, rotate270};
        let mut page = GrayImage::new(40, 30);
        for y in 5..9 {
            for x in 20..32 {
                page.put_pixel(x, y, image::Luma([255]));
            }
        }
        let found = |img: &GrayImage| {
            let ink: Vec<(u32, u32)> = img
                .enumerate_pixels()
                .filter(|p| p.2.0[0] > 0)
                .map(|p| (p.0, p.1))
                .collect();
            let x0 = ink.iter().map(|p| p.0).min().unwrap();
            let y0 = ink.iter().map(|p| p.1).min().unwrap();
            let x1 = ink.iter().map(|p| p.0).max().unwrap() + 1;
            let y1 = ink.iter().map(|p| p.1).max().unwrap() + 1;
            [x0, y0, x1 - x0, y1 - y0]
        };
        for (turn, turned) in [
            (90, rotate90(&page)),
            (180, rotate180(&page)),
            (270, rotate270(&page)),
        ] {
            assert_eq!(
                unturn(found(&turned), turn, (40, 30)),
                [20, 5, 12, 4],
                "{turn}"
            );
        }
    }

    #[test]
    fn boxes_map_back_through_resize_and_rotation() {
        // A page scaled by 2 and rotated: a box found in the processed image lands where the
        // same spot is on the received page.
        let report = preprocess::Report {
            scale: 2.0,
            deskew_degrees: 0.0,
            timings_ms: vec![],
            ..Default::default()
        };
        assert_eq!(
            unmap([200, 400, 100, 50], &report, (1000, 1000), (2000, 2000)),
            [100, 200, 50, 25]
        );
        let turned = preprocess::Report {
            scale: 1.0,
            deskew_degrees: 90.0,
            timings_ms: vec![],
            ..Default::default()
        };
        // Rotating the box at the centre's right by 90° about the centre (500, 500).
        let b = unmap([600, 490, 100, 20], &turned, (1000, 1000), (1000, 1000));
        assert_eq!(b, [490, 600, 20, 100]);
    }

    #[test]
    fn a_mark_on_a_turned_page_maps_back_to_where_it_was() {
        use image::Luma;
        use imageproc::geometric_transformations::{Border, Interpolation, rotate_about_center};
        let mut page = GrayImage::from_pixel(1000, 800, Luma([255]));
        for y in 300..310 {
            for x in 700..712 {
                page.put_pixel(x, y, Luma([0]));
            }
        }
        for angle in [3.0f32, -4.5] {
            // What preprocessing does to a page whose skew it found to be `angle`.
            let turned = rotate_about_center(
                &page,
                -angle.to_radians(),
                Interpolation::Bilinear,
                Border::Constant(Luma([255])),
            );
            let ink: Vec<(u32, u32)> = turned
                .enumerate_pixels()
                .filter(|(_, _, p)| p.0[0] < 128)
                .map(|(x, y, _)| (x, y))
                .collect();
            let x0 = ink.iter().map(|p| p.0).min().unwrap();
            let y0 = ink.iter().map(|p| p.1).min().unwrap();
            let x1 = ink.iter().map(|p| p.0).max().unwrap() + 1;
            let y1 = ink.iter().map(|p| p.1).max().unwrap() + 1;
            let report = preprocess::Report {
                scale: 1.0,
                deskew_degrees: angle,
                timings_ms: vec![],
                ..Default::default()
            };
            let b = unmap(
                [x0, y0, x1 - x0, y1 - y0],
                &report,
                (1000, 800),
                (1000, 800),
            );
            // The box of a turned box is larger; its centre must come back to (706, 305).
            let (cx, cy) = (b[0] + b[2] / 2, b[1] + b[3] / 2);
            assert!(
                cx.abs_diff(706) <= 2 && cy.abs_diff(305) <= 2,
                "angle {angle}: {b:?}"
            );
        }
    }

    #[test]
    fn a_missing_language_names_its_debian_package() {
        let e = check_languages("rus+xyz").unwrap_err().to_string();
        assert!(e.contains("tesseract-ocr-xyz"), "{e}");
        assert!(matches!(
            check_languages("rus+Kaz"),
            Err(OcrError::BadLanguages(_))
        ));
    }
}

/// What was read, set against the application and Kazakhstan's classifier.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Matches {
    /// The document's holder against the application's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holder_name: Option<names::NameMatch>,
    /// Whether the document's birth date is the application's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<bool>,
    /// Whether the document's country is the application's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<bool>,
    /// The closest entries of the classifier of specialties to the document's specialty.
    pub programme: Vec<programme::ProgrammeMatch>,
}

/// Sets a reading against the application (when there is one) and the classifier.
pub fn matches(
    reading: &extract::Reading,
    application: Option<&crate::intake::Application>,
) -> Matches {
    let value = |k: &str| reading.fields.get(k).map(|f| f.value.as_str());
    let app = application.cloned().unwrap_or_default();
    Matches {
        holder_name: app
            .holder_name
            .as_deref()
            .zip(value("holder_name"))
            .map(|(a, d)| names::compare(a, d)),
        birth_date: app
            .birth_date
            .as_deref()
            .zip(value("birth_date"))
            .map(|(a, d)| a == d),
        country: app
            .country
            .as_deref()
            .zip(reading.country.as_deref())
            .map(|(a, d)| a.eq_ignore_ascii_case(d)),
        programme: value("specialty")
            .map(|s| programme::closest(s, value("qualification"), 3))
            .unwrap_or_default(),
    }
}
