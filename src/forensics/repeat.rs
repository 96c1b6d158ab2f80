//! Files seen before (`repeat.*`, `number.duplicate`): for every file checked, its SHA-256,
//! a perceptual hash of each page (a 16 × 16 gradient hash, which survives re-encoding,
//! rescaling and a little noise), the applicant's name and the document's series and number.
//! A later file that is the same, or nearly the same picture, or that carries the same series
//! and number, is set against it: another applicant is a critical finding, the same one
//! applying again is a warning.
//!
//! Kept as JSON lines (`DATA/forensics/seen.jsonl`), each line written whole and synced.

use super::{Finding, Scan, Severity};
use crate::intake::Application;
use image::GrayImage;
use image_hasher::{HashAlg, Hasher, HasherConfig, ImageHash};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Pages whose hashes differ in at most this many of 256 bits are the same picture.
pub const NEAR_BITS: u32 = 20;

/// One file seen.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SeenFile {
    /// The case (or, for `tanba check`, the file name) it came with.
    pub case: String,
    pub sha256: String,
    /// Each page's perceptual hash, base64.
    pub pages: Vec<String>,
    /// The applicant's name (else the document's).
    #[serde(default)]
    pub holder: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub series: Option<String>,
    #[serde(default)]
    pub number: Option<String>,
}

/// The files seen, in memory, and where they are kept (if anywhere).
#[derive(Default)]
pub struct Seen {
    files: Vec<(SeenFile, Vec<ImageHash>)>,
    path: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum SeenError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}, line {line}: {reason}")]
    Bad {
        path: String,
        line: usize,
        reason: String,
    },
}

fn hasher() -> Hasher {
    HasherConfig::new()
        .hash_size(16, 16)
        .hash_alg(HashAlg::Gradient)
        .to_hasher()
}

/// A page's perceptual hash.
pub fn page_hash(page: &GrayImage) -> ImageHash {
    hasher().hash_image(page)
}

impl Seen {
    /// An index kept only in memory.
    pub fn in_memory() -> Seen {
        Seen::default()
    }

    /// The index kept at `path` (created on first record).
    pub fn open(path: &Path) -> Result<Seen, SeenError> {
        let io = |source| SeenError::Io {
            path: path.display().to_string(),
            source,
        };
        let mut seen = Seen {
            files: Vec::new(),
            path: Some(path.to_path_buf()),
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(seen),
            Err(e) => return Err(io(e)),
        };
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let bad = |reason: String| SeenError::Bad {
                path: path.display().to_string(),
                line: i + 1,
                reason,
            };
            let file: SeenFile = serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
            let hashes = file
                .pages
                .iter()
                .map(|h| ImageHash::from_base64(h).map_err(|e| bad(format!("{e:?}"))))
                .collect::<Result<Vec<_>, _>>()?;
            seen.files.push((file, hashes));
        }
        Ok(seen)
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Adds a checked file (and writes it down, when the index is kept in a file).
    pub fn record(
        &mut self,
        case: &str,
        scan: &Scan,
        application: Option<&Application>,
    ) -> Result<(), SeenError> {
        let hashes: Vec<ImageHash> = scan.pages.iter().map(page_hash).collect();
        let field = |k: &str| scan.reading.fields.get(k).map(|f| f.value.clone());
        let file = SeenFile {
            case: case.to_string(),
            sha256: scan.reading.file.sha256.clone(),
            pages: hashes.iter().map(ImageHash::to_base64).collect(),
            holder: application
                .and_then(|a| a.holder_name.clone())
                .or_else(|| field("holder_name")),
            country: scan.reading.country.clone(),
            series: field("series"),
            number: field("number"),
        };
        if let Some(path) = &self.path {
            let io = |source| SeenError::Io {
                path: path.display().to_string(),
                source,
            };
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            let mut line = serde_json::to_vec(&file).map_err(|e| SeenError::Bad {
                path: path.display().to_string(),
                line: self.files.len() + 1,
                reason: e.to_string(),
            })?;
            line.push(b'\n');
            // One write of the whole line, then a sync: a crash leaves a line whole or absent.
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(io)?;
            f.write_all(&line).map_err(io)?;
            f.sync_data().map_err(io)?;
        }
        self.files.push((file, hashes));
        Ok(())
    }
}

/// Whether two names are one person's (transliteration and misreadings allowed).
fn same_person(a: Option<&str>, b: Option<&str>) -> Option<bool> {
    let (a, b) = (a?, b?);
    Some(crate::ocr::names::compare(a, b).verdict != "different")
}

/// `repeat.same_file`, `repeat.near_duplicate`, `number.duplicate`.
pub fn check(scan: &Scan, application: Option<&Application>, seen: &Seen, out: &mut Vec<Finding>) {
    let holder = application
        .and_then(|a| a.holder_name.as_deref())
        .or_else(|| {
            scan.reading
                .fields
                .get("holder_name")
                .map(|f| f.value.as_str())
        });
    let sha = &scan.reading.file.sha256;
    let hashes: Vec<ImageHash> = scan.pages.iter().map(page_hash).collect();
    let severity = |other: &SeenFile| match same_person(holder, other.holder.as_deref()) {
        Some(false) => Severity::Critical,
        _ => Severity::Warning,
    };
    let mut flagged_picture = false;
    for (other, other_hashes) in &seen.files {
        let evidence = |extra: Vec<(&'static str, serde_json::Value)>| {
            let mut e = vec![
                ("case", json!(other.case)),
                ("holder", json!(other.holder.clone().unwrap_or_default())),
            ];
            e.extend(extra);
            e
        };
        if &other.sha256 == sha {
            out.push(
                Finding::new(
                    "repeat.same_file",
                    severity(other),
                    evidence(vec![("sha256", json!(sha))]),
                )
                .in_file(sha),
            );
            flagged_picture = true;
            continue;
        }
        if !flagged_picture {
            let close = hashes.iter().enumerate().find_map(|(i, h)| {
                other_hashes
                    .iter()
                    .map(|o| h.dist(o))
                    .min()
                    .filter(|d| *d <= NEAR_BITS)
                    .map(|d| (i + 1, d))
            });
            if let Some((page, bits)) = close {
                let p = &scan.pages[page - 1];
                out.push(
                    Finding::new(
                        "repeat.near_duplicate",
                        severity(other),
                        evidence(vec![("bits", json!(bits)), ("max", json!(NEAR_BITS))]),
                    )
                    .at(sha, page, [0, 0, p.width(), p.height()]),
                );
                flagged_picture = true;
            }
        }
        let field = |k: &str| scan.reading.fields.get(k);
        if let Some(n) = field("number")
            && other.number.as_deref() == Some(n.value.as_str())
            && other.series.as_deref() == field("series").map(|s| s.value.as_str())
            && other.country == scan.reading.country
            && n.value.chars().filter(char::is_ascii_digit).count() >= 5
            && same_person(holder, other.holder.as_deref()) == Some(false)
        {
            out.push(
                Finding::new(
                    "number.duplicate",
                    Severity::Critical,
                    evidence(vec![
                        ("number", json!(n.value)),
                        (
                            "series",
                            json!(field("series").map(|s| s.value.clone()).unwrap_or_default()),
                        ),
                    ]),
                )
                .at(sha, n.page, n.bbox),
            );
        }
    }
}
