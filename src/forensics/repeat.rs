//! Files seen before (`repeat.*`, `number.duplicate`): for every file checked, its SHA-256,
//! each page's *print fingerprint* (its words with their places, the places measured within
//! the printed area so that a rescaled, cropped or re-encoded copy keeps them), the
//! applicant's name and the document's series and number. A later file that is the same file,
//! the same print, or that carries the same series and number, is set against it: another
//! applicant is a critical finding, the same one applying again is a warning.
//!
//! Why not a perceptual hash of the picture: on pages of one layout the hash is decided by
//! the layout and by the paper's grain, not by what is printed. Measured on 20 generated
//! diplomas and their rescaled copies, a 16 × 16 gradient hash put two different diplomas 12
//! bits apart and a diploma and its own copy up to 15 (32 × 32: 92 and 92) — no threshold
//! separates them. What is printed, and where, does.
//!
//! Kept as JSON lines (`DATA/forensics/seen.jsonl`), each line written whole and synced.

use super::{Finding, Scan, Severity};
use crate::intake::Application;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Two pages whose words agree this much (see [`similarity`]) are the same print.
pub const SAME_PRINT: f32 = 0.9;

/// A page's words (four letters or digits at least, read with confidence) and their centres,
/// as shares of the printed area's width and height.
pub type Fingerprint = Vec<(String, f32, f32)>;

/// One file seen.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SeenFile {
    /// The case (or, for `tanba check`, the file name) it came with.
    pub case: String,
    pub sha256: String,
    /// Each page's print fingerprint.
    pub pages: Vec<Fingerprint>,
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
    files: Vec<SeenFile>,
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

/// Each page's print fingerprint.
pub fn fingerprints(scan: &Scan) -> Vec<Fingerprint> {
    scan.reading
        .pages
        .iter()
        .map(|p| {
            let words: Vec<&crate::ocr::Word> = p
                .words
                .iter()
                .filter(|w| {
                    w.confidence >= 0.6
                        && w.text.chars().filter(|c| c.is_alphanumeric()).count() >= 4
                })
                .collect();
            let x0 = words.iter().map(|w| w.bbox[0]).min().unwrap_or(0) as f32;
            let y0 = words.iter().map(|w| w.bbox[1]).min().unwrap_or(0) as f32;
            let x1 = words
                .iter()
                .map(|w| w.bbox[0] + w.bbox[2])
                .max()
                .unwrap_or(1) as f32;
            let y1 = words
                .iter()
                .map(|w| w.bbox[1] + w.bbox[3])
                .max()
                .unwrap_or(1) as f32;
            let (sw, sh) = ((x1 - x0).max(1.0), (y1 - y0).max(1.0));
            words
                .iter()
                .map(|w| {
                    let round = |v: f32| (v * 1000.0).round() / 1000.0;
                    (
                        w.text.clone(),
                        round((w.bbox[0] as f32 + w.bbox[2] as f32 / 2.0 - x0) / sw),
                        round((w.bbox[1] as f32 + w.bbox[3] as f32 / 2.0 - y0) / sh),
                    )
                })
                .collect()
        })
        .collect()
}

/// The share of the words of the smaller page that the other has, the same, within 1.5% of
/// the printed area of the same place; 0 for pages with under eight such words. (Two
/// different diplomas of one layout share up to 80% of their words within 2.5%.)
pub fn similarity(a: &Fingerprint, b: &Fingerprint) -> f32 {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if small.len() < 8 {
        return 0.0;
    }
    let same = small
        .iter()
        .filter(|(t, x, y)| {
            large
                .iter()
                .any(|(u, v, w)| u == t && (x - v).abs() <= 0.015 && (y - w).abs() <= 0.015)
        })
        .count();
    same as f32 / small.len() as f32
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
            seen.files.push(file);
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
        let field = |k: &str| scan.reading.fields.get(k).map(|f| f.value.clone());
        let file = SeenFile {
            case: case.to_string(),
            sha256: scan.reading.file.sha256.clone(),
            pages: fingerprints(scan),
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
        self.files.push(file);
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
    let prints = fingerprints(scan);
    let severity = |other: &SeenFile| match same_person(holder, other.holder.as_deref()) {
        Some(false) => Severity::Critical,
        _ => Severity::Warning,
    };
    let mut flagged_picture = false;
    let mut flagged_number = false;
    for other in &seen.files {
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
            let close = prints.iter().enumerate().find_map(|(i, p)| {
                other
                    .pages
                    .iter()
                    .map(|o| similarity(p, o))
                    .max_by(f32::total_cmp)
                    .filter(|s| *s >= SAME_PRINT)
                    .map(|s| (i + 1, s))
            });
            if let Some((page, share)) = close {
                let (w, h) = scan
                    .reading
                    .pages
                    .get(page - 1)
                    .map_or((0, 0), |p| (p.width, p.height));
                out.push(
                    Finding::new(
                        "repeat.near_duplicate",
                        severity(other),
                        evidence(vec![
                            ("share", json!((share * 100.0).round())),
                            ("min", json!((SAME_PRINT * 100.0).round())),
                        ]),
                    )
                    .at(sha, page, [0, 0, w, h]),
                );
                flagged_picture = true;
            }
        }
        let field = |k: &str| scan.reading.fields.get(k);
        if !flagged_number
            && let Some(n) = field("number")
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
                    evidence(vec![(
                        "number",
                        json!(match field("series") {
                            Some(s) => format!("{} {}", s.value, n.value),
                            None => n.value.clone(),
                        }),
                    )]),
                )
                .at(sha, n.page, n.bbox),
            );
            flagged_number = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::raster::Format;
    use crate::ocr::extract::Field;
    use crate::ocr::{FileReading, FileRef, Matches, PageText, Word};
    use std::collections::BTreeMap;

    /// A reading of one page whose words are `words` at `(x, y)`, scaled by `k`.
    fn reading(sha: &str, words: &[(&str, u32, u32)], k: f32, number: &str) -> FileReading {
        let words: Vec<Word> = words
            .iter()
            .enumerate()
            .map(|(i, (t, x, y))| Word {
                text: t.to_string(),
                confidence: 0.95,
                bbox: [
                    (*x as f32 * k) as u32,
                    (*y as f32 * k) as u32,
                    (120.0 * k) as u32,
                    (30.0 * k) as u32,
                ],
                line: i as u32,
            })
            .collect();
        let mut fields = BTreeMap::new();
        fields.insert(
            "number".to_string(),
            Field {
                value: number.into(),
                confidence: 0.9,
                page: 1,
                bbox: [0, 0, 10, 10],
            },
        );
        FileReading {
            status: "read",
            unreadable: vec![],
            kind: None,
            country: Some("KG".into()),
            template: None,
            fields,
            grades: Vec::new(),
            file: FileRef {
                name: "scan.jpg".into(),
                sha256: sha.into(),
                format: Format::Jpeg,
                jpeg_quality: None,
            },
            application: None,
            matches: Matches::default(),
            languages: "rus".into(),
            pages: vec![PageText {
                page: 1,
                width: 1654,
                height: 2339,
                preprocess: Default::default(),
                mean_confidence: 0.95,
                words,
                text: String::new(),
                orientation_degrees: 0,
                unreadable: None,
            }],
            timings_ms: BTreeMap::new(),
        }
    }

    const PAGE: [(&str, u32, u32); 10] = [
        ("ДИПЛОМ", 700, 200),
        ("Кыргызский", 400, 300),
        ("национальный", 600, 300),
        ("университет", 800, 300),
        ("Токтогулов", 500, 500),
        ("Тимур", 700, 500),
        ("1234567", 600, 400),
        ("Экономика", 600, 700),
        ("экономист", 600, 800),
        ("2019-06-30", 300, 1000),
    ];

    fn app(name: &str) -> Application {
        Application {
            holder_name: Some(name.into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_rescaled_copy_is_the_same_print_and_another_holders_diploma_is_not() {
        let first = reading("aa", &PAGE, 1.0, "1234567");
        let copy = reading("bb", &PAGE, 0.93, "1234567");
        let mut other_words = PAGE;
        other_words[4] = ("Назаров", 500, 500);
        other_words[5] = ("Сергей", 700, 500);
        other_words[6] = ("7654321", 600, 400);
        other_words[9] = ("2020-06-30", 300, 1000);
        // The same layout, the lines lower down by 3% of the page.
        for w in &mut other_words {
            w.2 += 30;
        }
        let other = reading("cc", &other_words, 1.0, "7654321");
        let fp = |r: &FileReading| {
            fingerprints(&Scan {
                reading: r,
                pages: &[],
            })
            .remove(0)
        };
        assert!(similarity(&fp(&first), &fp(&copy)) >= 0.99);
        assert!(similarity(&fp(&first), &fp(&other)) < SAME_PRINT);

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("forensics").join("seen.jsonl");
        let mut seen = Seen::open(&path).unwrap();
        let scan = |r| Scan {
            reading: r,
            pages: &[],
        };
        seen.record("case-1", &scan(&first), Some(&app("Токтогулов Тимур")))
            .unwrap();
        // Kept: a new process sees it.
        let seen = Seen::open(&path).unwrap();
        assert_eq!(seen.len(), 1);

        let mut out = Vec::new();
        check(&scan(&copy), Some(&app("Назаров Сергей")), &seen, &mut out);
        let codes: Vec<_> = out.iter().map(|f| (f.code, f.severity)).collect();
        assert_eq!(
            codes,
            [
                ("repeat.near_duplicate", Severity::Critical),
                ("number.duplicate", Severity::Critical)
            ]
        );
        assert_eq!(out[0].evidence["case"], "case-1");
        // The same holder filing again: worth a look, not an alarm.
        let mut out = Vec::new();
        check(
            &scan(&copy),
            Some(&app("Toktogulov Timur")),
            &seen,
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Warning);
        // The same file.
        let mut out = Vec::new();
        check(&scan(&first), Some(&app("Назаров Сергей")), &seen, &mut out);
        assert_eq!(out[0].code, "repeat.same_file");
        // Another diploma: nothing.
        let mut out = Vec::new();
        check(&scan(&other), Some(&app("Назаров Сергей")), &seen, &mut out);
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn a_damaged_index_is_named_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seen.jsonl");
        std::fs::write(&path, "{\"case\": 1}\n").unwrap();
        let e = Seen::open(&path).err().unwrap().to_string();
        assert!(e.contains("line 1"), "{e}");
    }
}
