//! Forensic checks of a foreign document: what the OCR read (`crate::ocr::FileReading`) and
//! the received pages, set against the application, the reference library
//! ([`references`]) and the files seen before ([`repeat`]). Each check is a small function
//! that emits [`Finding`]s — a namespaced code, a severity, a sentence in kk/ru/en and the
//! evidence (page, box, the values compared); [`assess`] turns the findings into a risk and a
//! route: `cleared`, `review` (an officer must look) or `unreadable` (ask for a new scan).
//!
//! The checks judge; they do not read. What they cannot see (a field the OCR did not find) is
//! not a finding, except where its absence is the anomaly (a missing seal, a missing
//! apostille field).

pub mod checks;
pub mod copymove;
pub mod edit;
pub mod enrolled;
pub mod font;
pub mod ghost;
pub mod grades;
pub mod marks;
pub mod references;
pub mod repeat;
pub mod signature;

use crate::i18n::Lang;
use crate::intake::Application;
use crate::ocr::FileReading;
use fluent_bundle::FluentArgs;
use image::GrayImage;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Instant;

pub use references::References;

/// How much a finding weighs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth showing; not a reason to look.
    Info,
    /// An officer should look.
    Warning,
    /// Forgery or a document that cannot be what it claims, unless an officer finds otherwise.
    Critical,
}

/// One thing a check found.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// Namespaced: `dates.issue_before_study_end`, `seal.missing`, …
    pub code: &'static str,
    pub severity: Severity,
    /// The sentence in the language asked for.
    pub message: String,
    /// The sentence in Kazakh, Russian and English.
    pub messages: BTreeMap<&'static str, String>,
    /// The SHA-256 of the file it is about, when it is about one file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based page, when it points at one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<usize>,
    /// `[x, y, width, height]` on the received page.
    #[serde(rename = "box", skip_serializing_if = "Option::is_none")]
    pub bbox: Option<[u32; 4]>,
    /// The values compared, by name.
    pub evidence: BTreeMap<&'static str, Value>,
}

impl Finding {
    /// A finding whose sentences are the Fluent message `finding-<code>` (dots and
    /// underscores as dashes), with the evidence's values as its arguments.
    pub fn new(
        code: &'static str,
        severity: Severity,
        evidence: impl IntoIterator<Item = (&'static str, Value)>,
    ) -> Finding {
        let evidence: BTreeMap<&'static str, Value> = evidence.into_iter().collect();
        let id = format!("finding-{}", code.replace(['.', '_'], "-"));
        let mut args = FluentArgs::new();
        for (k, v) in &evidence {
            match v {
                Value::String(s) => args.set(*k, s.clone()),
                Value::Number(n) => args.set(*k, n.as_f64().unwrap_or(0.0)),
                Value::Null => args.set(*k, "—"),
                other => args.set(*k, other.to_string()),
            }
        }
        let messages: BTreeMap<&'static str, String> = [Lang::Kk, Lang::Ru, Lang::En]
            .into_iter()
            .map(|l| (l.code(), l.t_args(&id, Some(&args))))
            .collect();
        Finding {
            code,
            severity,
            message: messages["en"].clone(),
            messages,
            file: None,
            page: None,
            bbox: None,
            evidence,
        }
    }

    /// Points the finding at a file, a page and a box.
    pub fn at(mut self, file: &str, page: usize, bbox: [u32; 4]) -> Finding {
        self.file = Some(file.to_string());
        self.page = Some(page);
        self.bbox = Some(bbox);
        self
    }

    /// Points the finding at a file only.
    pub fn in_file(mut self, file: &str) -> Finding {
        self.file = Some(file.to_string());
        self
    }

    /// The family: `dates`, `number`, `seal`, …
    pub fn family(&self) -> &'static str {
        self.code.split('.').next().unwrap_or(self.code)
    }
}

/// One file of a case as the checks see it: what was read, and the received pages.
pub struct Scan<'a> {
    pub reading: &'a FileReading,
    /// The received pages, in order, as the reading's boxes refer to them.
    pub pages: &'a [GrayImage],
}

/// What the checks compare with.
pub struct Context<'a> {
    pub application: Option<&'a Application>,
    pub references: &'a References,
    /// Files seen before, for `repeat.*` and `number.duplicate`; `None`: not checked.
    pub seen: Option<&'a repeat::Seen>,
    /// The day "in the future" is measured from.
    pub today: time::Date,
    /// Reference seals enrolled from genuine scans, for `seal.mismatch`; `None`: not checked.
    pub enrolled: Option<&'a enrolled::Library>,
}

/// How findings become a risk, and a risk a route (`config.json`'s `forensics`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// What one finding of each severity adds: risk = 1 − Π(1 − weight).
    pub info_weight: f64,
    pub warning_weight: f64,
    pub critical_weight: f64,
    /// From this risk on, an officer must look.
    pub review_at: f64,
    /// From this risk on, a recognition takes effect only once a second officer confirms it.
    pub confirm_at: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            info_weight: 0.02,
            warning_weight: 0.3,
            critical_weight: 0.7,
            review_at: 0.25,
            confirm_at: 0.5,
        }
    }
}

/// `cleared`, `review` or `unreadable`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Route {
    Cleared,
    Review,
    Unreadable,
}

/// What `tanba check` prints and a case keeps.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub route: Route,
    /// 0–1.
    pub risk: f64,
    pub findings: Vec<Finding>,
    /// The fields read, file by file, under each file's SHA-256.
    pub fields: BTreeMap<String, BTreeMap<String, crate::ocr::extract::Field>>,
    pub timings_ms: BTreeMap<String, f64>,
}

/// A file read for the checks: the reading and the received pages it refers to.
pub struct ReadFile {
    pub reading: FileReading,
    pub pages: Vec<GrayImage>,
}

impl ReadFile {
    pub fn scan(&self) -> Scan<'_> {
        Scan {
            reading: &self.reading,
            pages: &self.pages,
        }
    }
}

/// Reads one received file for the checks (what `tanba check` and the case jobs do).
pub fn read(
    reader: &mut crate::ocr::Reader,
    received: &crate::intake::Received,
    application: Option<&Application>,
    options: &crate::ocr::preprocess::Options,
) -> Result<ReadFile, ReadError> {
    let t = Instant::now();
    let pages = received.pages().map_err(ReadError::File)?;
    let mut timings = BTreeMap::new();
    timings.insert("decode".to_string(), t.elapsed().as_secs_f64() * 1000.0);
    let reading = crate::ocr::read_file(
        reader,
        received,
        &pages,
        application,
        options,
        timings,
        &mut |_, _| {},
    )?;
    Ok(ReadFile {
        reading,
        pages: pages.into_iter().map(|p| p.image).collect(),
    })
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    File(crate::intake::FieldError),
    #[error(transparent)]
    Ocr(#[from] crate::ocr::OcrError),
}

/// Runs every check over a case's files.
pub fn check(scans: &[Scan], ctx: &Context) -> Vec<Finding> {
    check_timed(scans, ctx).0
}

/// [`check`], with the milliseconds each check took over all the files, by check.
pub fn check_timed(scans: &[Scan], ctx: &Context) -> (Vec<Finding>, BTreeMap<&'static str, f64>) {
    let mut out = Vec::new();
    let mut ms: BTreeMap<&'static str, f64> = BTreeMap::new();
    let mut timed = |name: &'static str, out: &mut Vec<Finding>, f: &dyn Fn(&mut Vec<Finding>)| {
        let t = Instant::now();
        f(out);
        *ms.entry(name).or_default() += t.elapsed().as_secs_f64() * 1000.0;
    };
    for scan in scans {
        let t = Instant::now();
        timed("document", &mut out, &|o| checks::document(scan, ctx, o));
        timed("grades", &mut out, &|o| grades::check(scan, ctx, o));
        timed("seals", &mut out, &|o| marks::check(scan, o));
        timed("enrolled", &mut out, &|o| enrolled::check(scan, ctx, o));
        timed("signature", &mut out, &|o| signature::check(scan, ctx, o));
        timed("patch", &mut out, &|o| edit::check(scan, o));
        timed("copy_move", &mut out, &|o| copymove::check(scan, o));
        timed("font", &mut out, &|o| font::check(scan, o));
        timed("recompressed", &mut out, &|o| ghost::check(scan, o));
        if let Some(seen) = ctx.seen {
            timed("repeat", &mut out, &|o| {
                repeat::check(scan, ctx.application, seen, o)
            });
        }
        tracing::debug!(file = %scan.reading.file.name, ms = t.elapsed().as_millis() as u64, "checked");
    }
    timed("across", &mut out, &|o| checks::across(scans, ctx, o));
    out.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.code.cmp(b.code)));
    (out, ms)
}

/// The risk of a set of findings and the route it takes. A case none of whose files could
/// be read is `unreadable` whatever else was found.
pub fn assess(scans: &[Scan], findings: &[Finding], t: &Thresholds) -> (f64, Route) {
    let keep = findings.iter().fold(1.0, |keep, f| {
        keep * (1.0
            - match f.severity {
                Severity::Info => t.info_weight,
                Severity::Warning => t.warning_weight,
                Severity::Critical => t.critical_weight,
            })
    });
    let risk = ((1.0 - keep) * 1000.0).round() / 1000.0;
    let unreadable = scans.is_empty() || scans.iter().all(|s| s.reading.status == "unreadable");
    let route = if unreadable {
        Route::Unreadable
    } else if risk >= t.review_at || findings.iter().any(|f| f.severity == Severity::Critical) {
        Route::Review
    } else {
        Route::Cleared
    };
    (risk, route)
}

/// Checks a case and assesses it, with the messages in `lang`.
pub fn report(scans: &[Scan], ctx: &Context, thresholds: &Thresholds, lang: Lang) -> Report {
    let t = Instant::now();
    let (mut findings, each) = check_timed(scans, ctx);
    for f in &mut findings {
        f.message = f.messages[lang.code()].clone();
    }
    let (risk, route) = assess(scans, &findings, thresholds);
    let mut timings_ms = BTreeMap::new();
    timings_ms.insert("checks".to_string(), t.elapsed().as_secs_f64() * 1000.0);
    for (name, ms) in each {
        timings_ms.insert(format!("checks.{name}"), ms);
    }
    Report {
        route,
        risk,
        findings,
        fields: scans
            .iter()
            .map(|s| (s.reading.file.sha256.clone(), s.reading.fields.clone()))
            .collect(),
        timings_ms,
    }
}
