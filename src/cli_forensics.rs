//! `tanba check`: reads a case's files and prints the route, the risk and each finding with
//! its evidence. `tanba forensics generate`: genuine synthetic diplomas or supplements and
//! their tampered twins. `tanba forensics eval`: recall per tamper class and false positives on the genuine.

use anyhow::{Context as _, Result, bail};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use tanba::forensics::{self, Context, ReadFile, References, Route, Severity, Thresholds, repeat};
use tanba::i18n::Lang;
use tanba::intake::{Application, Received};
use tanba::ocr::{self, preprocess, synth::diploma::Tamper, synth::supplement::GradesTamper};

/// The application JSON at `path`, if one is given, with every broken field named.
pub fn application(path: Option<&Path>) -> Result<Option<Application>> {
    let Some(p) = path else { return Ok(None) };
    let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
    Application::from_json(&bytes).map(Some).map_err(|errors| {
        anyhow::anyhow!(
            "{}: {}",
            p.display(),
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        )
    })
}

pub struct CheckArgs<'a> {
    pub files: &'a [PathBuf],
    pub application: Option<&'a Path>,
    pub seen: Option<&'a Path>,
    pub langs: &'a str,
    pub lang: &'a str,
    pub review_at: Option<f64>,
    /// A data directory with enrolled references.
    pub enrolled: Option<&'a Path>,
    pub json: bool,
}

/// `tanba check`: exit 0 when cleared, 1 when an officer must look or the scans cannot be
/// read, 2 on an error.
pub fn check(a: CheckArgs) -> Result<ExitCode> {
    let lang =
        Lang::parse(a.lang).with_context(|| format!("--lang {:?}: use kk, ru or en", a.lang))?;
    let app = application(a.application)?;
    let mut seen = match a.seen {
        Some(p) => Some(repeat::Seen::open(p)?),
        None => None,
    };
    let mut reader = ocr::Reader::new(a.langs)?;
    let options = preprocess::Options::default();
    let mut read = Vec::new();
    for f in a.files {
        let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
        let received = Received::check(&f.display().to_string(), bytes)?;
        read.push(forensics::read(
            &mut reader,
            &received,
            app.as_ref(),
            &options,
        )?);
    }
    let scans: Vec<_> = read.iter().map(ReadFile::scan).collect();
    let mut thresholds = Thresholds::default();
    if let Some(r) = a.review_at {
        if !(0.0..=1.0).contains(&r) {
            bail!("--review-at {r}: a risk is between 0 and 1");
        }
        thresholds.review_at = r;
    }
    let enrolled = match a.enrolled {
        Some(dir) => Some(forensics::enrolled::Library::open(dir)?),
        None => None,
    };
    let ctx = Context {
        application: app.as_ref(),
        references: References::builtin(),
        seen: seen.as_ref(),
        today: crate::today(),
        enrolled: enrolled.as_ref(),
    };
    let mut report = forensics::report(&scans, &ctx, &thresholds, lang);
    for r in &read {
        for (k, v) in &r.reading.timings_ms {
            *report.timings_ms.entry(k.clone()).or_default() += v;
        }
    }
    if let Some(seen) = &mut seen {
        for (f, scan) in a.files.iter().zip(&scans) {
            seen.record(&f.display().to_string(), scan, app.as_ref())?;
        }
    }
    if a.json {
        let mut out = serde_json::to_value(&report)?;
        out["kind"] = json!(read.first().and_then(|r| r.reading.kind));
        out["country"] = json!(read.first().and_then(|r| r.reading.country.clone()));
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "route: {} (risk {:.3})",
            format!("{:?}", report.route).to_lowercase(),
            report.risk
        );
        for f in &report.findings {
            let place = match (f.page, f.bbox) {
                (Some(p), Some(b)) => format!(" [page {p}, box {b:?}]"),
                (Some(p), None) => format!(" [page {p}]"),
                _ => String::new(),
            };
            println!(
                "  {:<8} {:<32} {}{place}",
                format!("{:?}", f.severity).to_lowercase(),
                f.code,
                f.message
            );
        }
        if report.findings.is_empty() {
            println!("  no findings");
        }
    }
    Ok(match report.route {
        Route::Cleared => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    })
}

/// The repeat twin: the genuine scan scaled to 93% and saved again, as a second scan or a
/// re-saved file is, filed by someone else.
fn repeat_twin(jpeg: &[u8]) -> Result<Vec<u8>> {
    let img = image::load_from_memory(jpeg)?.to_luma8();
    let (w, h) = img.dimensions();
    let small = image::imageops::resize(
        &img,
        w * 93 / 100,
        h * 93 / 100,
        image::imageops::FilterType::Triangle,
    );
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 84).encode_image(&small)?;
    Ok(out)
}

/// The applicant of a repeat twin: someone other than any generated holder.
const OTHER_APPLICANT: &str = "Сейткали Асель Маратовна";

/// `tanba forensics generate`: `count` genuine diplomas (or supplements) from `seed` on,
/// each with its tampered twins (`<name>-<class>.jpg`, one per class) and ground truth beside
/// every scan.
pub fn generate(out: &Path, kind: &str, count: u64, seed: u64) -> Result<ExitCode> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let write = |name: &str, jpeg: &[u8], truth: &serde_json::Value| -> Result<()> {
        std::fs::write(out.join(format!("{name}.jpg")), jpeg)?;
        std::fs::write(
            out.join(format!("{name}.json")),
            serde_json::to_vec_pretty(truth)?,
        )?;
        Ok(())
    };
    if kind == "supplement" || kind == "attestat" {
        let render = if kind == "attestat" {
            ocr::synth::supplement::attestat
        } else {
            ocr::synth::supplement::supplement
        };
        for k in 0..count {
            let s = seed + k;
            let name = format!("{kind}-{s:04}");
            let genuine = render(s, None)?;
            write(&name, &genuine.jpeg, &genuine.truth)?;
            for t in GradesTamper::ALL {
                let twin = render(s, Some(t))?;
                let mut truth = twin.truth;
                truth["of"] = json!(name);
                write(&format!("{name}-{}", t.name()), &twin.jpeg, &truth)?;
            }
        }
        println!(
            "wrote {count} genuine {kind}s and {} tampered twins to {}",
            count * GradesTamper::ALL.len() as u64,
            out.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    for k in 0..count {
        let s = seed + k;
        let name = format!("diploma-{s:04}");
        let genuine = ocr::synth::diploma::twin(s, None)?;
        write(&name, &genuine.jpeg, &genuine.truth)?;
        for t in Tamper::ALL {
            let twin = ocr::synth::diploma::twin(s, Some(t))?;
            let mut truth = twin.truth;
            truth["of"] = json!(name);
            write(&format!("{name}-{}", t.name()), &twin.jpeg, &truth)?;
        }
        let mut truth = genuine.truth.clone();
        truth["tamper"] = json!("repeat");
        truth["of"] = json!(name);
        truth["application"]["holder_name"] = json!(OTHER_APPLICANT);
        write(
            &format!("{name}-repeat"),
            &repeat_twin(&genuine.jpeg)?,
            &truth,
        )?;
    }
    println!(
        "wrote {count} genuine diplomas and {} tampered twins to {}",
        count * (Tamper::ALL.len() as u64 + 1),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The classes scored, and whether a finding counts as catching each.
const CLASSES: [&str; 11] = [
    "dates",
    "number",
    "seal",
    "edit",
    "name",
    "repeat",
    "recompressed",
    "copy-move",
    "font",
    "grade-scale",
    "gpa",
];

fn catches(class: &str, f: &forensics::Finding, holder: &str) -> bool {
    if f.severity == Severity::Info {
        return false;
    }
    match class {
        "seal" => f.code == "seal.missing",
        // A pasted name shows as a name finding or as a patch under the holder's name.
        // (or under a line that holds the holder's surname, when the patch broke the field).
        "name" => {
            let text = |k: &str| f.evidence.get(k).and_then(|v| v.as_str()).unwrap_or("");
            f.family() == "name"
                || (f.family() == "edit"
                    && (text("field") == "holder_name"
                        || holder
                            .split_whitespace()
                            .filter(|w| w.chars().count() >= 3)
                            .any(|w| text("value").contains(w))))
        }
        "repeat" => f.family() == "repeat" || f.code == "number.duplicate",
        "recompressed" => f.code == "edit.recompressed",
        "copy-move" => f.code == "edit.copy_move",
        "font" => f.code == "edit.font",
        "grade-scale" => f.code == "grades.out_of_scale",
        "gpa" => f.code == "grades.gpa_inconsistent",
        c => f.family() == c,
    }
}

/// `tanba forensics eval`: each genuine scan of DIR is checked (against the genuine ones
/// before it, for repeats) and then recorded; each twin is checked against all recorded.
pub fn eval(dir: &Path, langs: &str, json_out: bool) -> Result<ExitCode> {
    let mut entries: Vec<(PathBuf, serde_json::Value)> = Vec::new();
    for e in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let p = e?.path();
        if p.extension().and_then(|e| e.to_str()) != Some("jpg")
            || !p.with_extension("json").is_file()
        {
            continue;
        }
        let truth: serde_json::Value =
            serde_json::from_slice(&std::fs::read(p.with_extension("json"))?)
                .with_context(|| format!("{}: the ground truth is not JSON", p.display()))?;
        entries.push((p, truth));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let genuine: Vec<&(PathBuf, serde_json::Value)> = entries
        .iter()
        .filter(|(_, t)| t["tamper"].is_null())
        .collect();
    if genuine.is_empty() {
        bail!(
            "{}: no genuine scans with ground truth; make some with `tanba forensics generate`",
            dir.display()
        );
    }
    let mut reader = ocr::Reader::new(langs)?;
    let options = preprocess::Options::default();
    let mut seen = repeat::Seen::in_memory();
    let references = References::builtin();
    let thresholds = Thresholds::default();
    // class → (twins, caught); class → genuine scans it fired on; any class fired.
    let mut recall: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    let mut false_pos: BTreeMap<&str, u32> = BTreeMap::new();
    let mut genuine_flagged = 0u32;
    let mut genuine_review = 0u32;
    let mut misses = Vec::new();
    let mut alarms = Vec::new();
    let (mut ocr_ms, mut check_ms, mut pages) = (0.0, 0.0, 0usize);
    let mut each_ms: BTreeMap<&'static str, f64> = BTreeMap::new();
    let mut run = |path: &Path,
                   truth: &serde_json::Value,
                   seen: &repeat::Seen|
     -> Result<(ReadFile, Vec<forensics::Finding>, Route)> {
        let app: Option<Application> = serde_json::from_value(truth["application"].clone()).ok();
        let received = Received::check(&path.display().to_string(), std::fs::read(path)?)?;
        let t = Instant::now();
        let read = forensics::read(&mut reader, &received, app.as_ref(), &options)?;
        ocr_ms += t.elapsed().as_secs_f64() * 1000.0;
        let t = Instant::now();
        let ctx = Context {
            application: app.as_ref(),
            references,
            seen: Some(seen),
            today: crate::today(),
            enrolled: None,
        };
        let scans = [read.scan()];
        let (findings, each) = forensics::check_timed(&scans, &ctx);
        let (_, route) = forensics::assess(&scans, &findings, &thresholds);
        check_ms += t.elapsed().as_secs_f64() * 1000.0;
        for (name, ms) in each {
            *each_ms.entry(name).or_default() += ms;
        }
        pages += read.pages.len();
        Ok((read, findings, route))
    };
    let name = |p: &Path| p.file_name().map(|f| f.to_string_lossy().into_owned());
    for (path, truth) in &genuine {
        let (read, findings, route) = run(path, truth, &seen)?;
        let flagged: Vec<&forensics::Finding> = findings
            .iter()
            .filter(|f| f.severity != Severity::Info)
            .collect();
        for class in CLASSES {
            if flagged.iter().any(|f| catches(class, f, "")) {
                *false_pos.entry(class).or_default() += 1;
            }
        }
        genuine_flagged += u32::from(!flagged.is_empty());
        genuine_review += u32::from(route != Route::Cleared);
        if !flagged.is_empty() {
            alarms.push(json!({
                "scan": name(path),
                "findings": flagged.iter().map(|f| json!({"code": f.code, "evidence": f.evidence})).collect::<Vec<_>>(),
            }));
        }
        let app: Option<Application> = serde_json::from_value(truth["application"].clone()).ok();
        seen.record(&name(path).unwrap_or_default(), &read.scan(), app.as_ref())?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        for (twin, twin_truth) in entries
            .iter()
            .filter(|(_, t)| t["of"].as_str() == Some(stem.as_str()))
        {
            let Some(class) = twin_truth["tamper"].as_str() else {
                continue;
            };
            let Some(class) = CLASSES.iter().copied().find(|c| *c == class) else {
                continue;
            };
            let (_, findings, _) = run(twin, twin_truth, &seen)?;
            let holder = twin_truth["application"]["holder_name"]
                .as_str()
                .unwrap_or("");
            let caught = findings.iter().any(|f| catches(class, f, holder));
            let e = recall.entry(class).or_default();
            e.0 += 1;
            e.1 += u32::from(caught);
            if !caught {
                misses.push(json!({
                    "scan": name(twin),
                    "class": class,
                    "condition": twin_truth["condition"],
                    "findings": findings.iter().map(|f| f.code).collect::<Vec<_>>(),
                }));
            }
        }
    }
    let n = genuine.len() as f64;
    let twins: u32 = recall.values().map(|v| v.0).sum();
    let caught: u32 = recall.values().map(|v| v.1).sum();
    if json_out {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "genuine": genuine.len(),
                "twins": twins,
                "recall": recall.iter().map(|(c, (t, k))| (c.to_string(), json!({"caught": k, "of": t, "rate": *k as f64 / (*t).max(1) as f64}))).collect::<BTreeMap<_, _>>(),
                "overall_recall": caught as f64 / twins.max(1) as f64,
                "false_positive_rate": CLASSES.iter().map(|c| (c.to_string(), json!(*false_pos.get(c).unwrap_or(&0) as f64 / n))).collect::<BTreeMap<_, _>>(),
                "overall_false_positive_rate": genuine_flagged as f64 / n,
                "genuine_sent_to_review": genuine_review as f64 / n,
                "mean_ms_per_page": {"read": ocr_ms / pages.max(1) as f64, "checks": check_ms / pages.max(1) as f64},
                "mean_ms_per_page_by_check": each_ms.iter().map(|(c, ms)| (c.to_string(), json!(ms / pages.max(1) as f64))).collect::<BTreeMap<_, _>>(),
                "misses": misses,
                "false_alarms": alarms,
            }))?
        );
    } else {
        println!(
            "{} genuine documents, {twins} tampered twins in {}",
            genuine.len(),
            dir.display()
        );
        println!(
            "{:<12} {:>7} {:>5} {:>8} {:>9}",
            "class", "caught", "of", "recall", "false+"
        );
        for c in CLASSES {
            let (t, k) = recall.get(c).copied().unwrap_or((0, 0));
            // A class with no twins in DIR and no false alarm has nothing to say.
            if t == 0 && !false_pos.contains_key(c) {
                continue;
            }
            println!(
                "{c:<12} {k:>7} {t:>5} {:>7.1}% {:>8.1}%",
                100.0 * k as f64 / t.max(1) as f64,
                100.0 * *false_pos.get(c).unwrap_or(&0) as f64 / n
            );
        }
        println!(
            "{:<12} {caught:>7} {twins:>5} {:>7.1}% {:>8.1}%",
            "overall",
            100.0 * caught as f64 / twins.max(1) as f64,
            100.0 * genuine_flagged as f64 / n
        );
        println!(
            "genuine sent to review: {:.1}%; per page: reading {:.0} ms, checks {:.1} ms",
            100.0 * genuine_review as f64 / n,
            ocr_ms / pages.max(1) as f64,
            check_ms / pages.max(1) as f64
        );
        let mut by_cost: Vec<_> = each_ms.iter().collect();
        by_cost.sort_by(|a, b| b.1.total_cmp(a.1));
        let parts: Vec<String> = by_cost
            .iter()
            .map(|(c, ms)| format!("{c} {:.1}", *ms / pages.max(1) as f64))
            .collect();
        println!("checks by check, ms a page: {}", parts.join(", "));
        for m in &misses {
            println!("missed: {m}");
        }
        for a in &alarms {
            println!("false alarm: {a}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `tanba references enroll`: a known-genuine scan's seal and signature become its
/// institution's references. Exit 0 when enrolled, 2 on an error (an unreadable scan, an
/// unknown institution, nothing to enrol), with nothing written.
pub fn enroll(
    file: &Path,
    data: &Path,
    institution: Option<&str>,
    langs: &str,
    json_out: bool,
) -> Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let received = Received::check(&file.display().to_string(), bytes)?;
    let mut reader = ocr::Reader::new(langs)?;
    let read = forensics::read(
        &mut reader,
        &received,
        None,
        &preprocess::Options::default(),
    )?;
    let mut library = forensics::enrolled::Library::open(data)?;
    let entry = library
        .enroll(&read, institution, References::builtin())
        .with_context(|| format!("enrolling {}", file.display()))?;
    if json_out {
        println!("{}", serde_json::to_string_pretty(&entry)?);
    } else {
        println!(
            "enrolled {} from {} (seal: {}, signature: {}) in {}",
            entry.institution,
            file.display(),
            if entry.seal.is_some() { "yes" } else { "no" },
            if entry.signature_png.is_some() {
                "yes"
            } else {
                "no"
            },
            data.join("references").display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
