//! `tanba ocr`: reads a scanned foreign document (JPEG, PNG, TIFF or a scanned PDF) and prints
//! what it read: the kind, the country and the extracted fields, then page by page each word
//! with its confidence and box, and the milliseconds of each stage.

use anyhow::{Context, Result, bail};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;
use tanba::intake::Received;
use tanba::ocr::{self, preprocess};

fn check_skip(skip: &[String]) -> Result<()> {
    for s in skip {
        if !preprocess::STEPS.contains(&s.as_str()) {
            bail!(
                "--skip {s:?} is not a preprocessing step; the steps are {}",
                preprocess::STEPS.join(", ")
            );
        }
    }
    Ok(())
}

pub fn ocr(
    file: &Path,
    application: Option<&Path>,
    langs: &str,
    skip: &[String],
    json: bool,
) -> Result<ExitCode> {
    check_skip(skip)?;
    let application = crate::cli_forensics::application(application)?;
    let mut timings = BTreeMap::new();
    let t = Instant::now();
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let name = file.display().to_string();
    let received = Received::check(&name, bytes)?;
    let pages = received.pages()?;
    timings.insert("decode".to_string(), t.elapsed().as_secs_f64() * 1000.0);
    let t = Instant::now();
    let mut reader = ocr::Reader::new(langs)?;
    timings.insert("ocr_init".to_string(), t.elapsed().as_secs_f64() * 1000.0);
    let options = preprocess::Options {
        skip: skip.to_vec(),
    };
    let r = ocr::read_file(
        &mut reader,
        &received,
        &pages,
        application.as_ref(),
        &options,
        timings,
        &mut |_, _| {},
    )?;
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        for p in &r.pages {
            println!(
                "— page {} ({} × {}, {} words, mean confidence {:.2}, skew {:.1}°)",
                p.page,
                p.width,
                p.height,
                p.words.len(),
                p.mean_confidence,
                p.preprocess.deskew_degrees
            );
            println!("{}", p.text);
        }
        for u in &r.unreadable {
            println!("— unreadable: {u}");
        }
        for p in r.pages.iter().filter(|p| p.orientation_degrees != 0) {
            println!(
                "— page {} was upside down: read turned {}°",
                p.page, p.orientation_degrees
            );
        }
        println!(
            "— kind: {}, country: {}",
            r.kind
                .map(|k| format!("{k:?}").to_lowercase())
                .unwrap_or_else(|| "not recognised".into()),
            r.country.as_deref().unwrap_or("not recognised")
        );
        if let Some(t) = &r.template {
            println!(
                "— template: {} ({} of {} of its phrases found)",
                t.id, t.found, t.of
            );
        }
        for (name, f) in &r.fields {
            println!(
                "  {name}: {} (confidence {:.2}, page {}, box {:?})",
                f.value, f.confidence, f.page, f.bbox
            );
        }
        if let Some(m) = &r.matches.holder_name {
            println!(
                "— the holder's name against the application: {} (score {:.3}{})",
                m.verdict,
                m.score,
                if m.unmatched.is_empty() {
                    String::new()
                } else {
                    format!(", only on one side: {}", m.unmatched.join(" "))
                }
            );
        }
        if let Some(same) = r.matches.birth_date {
            println!(
                "— the birth date against the application: {}",
                if same { "the same" } else { "different" }
            );
        }
        for p in &r.matches.programme {
            println!(
                "— classifier: {} {} / {} (score {:.3})",
                p.code, p.name_ru, p.name_en, p.score
            );
        }
        let stages: Vec<String> = r
            .timings_ms
            .iter()
            .map(|(k, v)| format!("{k} {v:.0} ms"))
            .collect();
        println!("— {}", stages.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

/// `tanba ocr generate`: synthetic scans of foreign documents with their ground truth.
pub fn generate(out: &Path, kind: &str, count: u64, seed: u64) -> Result<ExitCode> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    for k in 0..count {
        let s = seed + k;
        let sample = match kind {
            "diploma" => ocr::synth::diploma::diploma(s)?,
            "kz-diploma" => ocr::synth::diploma::kazakh(s, None)?,
            "supplement" => ocr::synth::supplement::supplement(s, None)?,
            "attestat" => ocr::synth::supplement::attestat(s, None)?,
            _ => ocr::synth::apostille(s)?,
        };
        let name = format!("{kind}-{s:04}");
        std::fs::write(out.join(format!("{name}.jpg")), &sample.jpeg)?;
        std::fs::write(
            out.join(format!("{name}.json")),
            serde_json::to_vec_pretty(&sample.truth)?,
        )?;
    }
    println!("wrote {count} samples to {}", out.display());
    Ok(ExitCode::SUCCESS)
}

/// Whitespace-collapsed, as values are compared; «ё» is «е», as Russian print mostly has it
/// (a reader who types the name types «е»).
fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('ё', "е")
        .replace('Ё', "Е")
}

/// The class a field's accuracy target is set for: names, dates and numbers, and the grades
/// table's numbers beside them; `None` for the others (institution, specialty,
/// qualification, a course's name, seal, …).
fn field_class(name: &str) -> Option<&'static str> {
    match name {
        "holder_name" | "signed_by" | "apostille_signed_by" => Some("names"),
        n if n.ends_with("date") || n.starts_with("study_") => Some("dates"),
        "series" | "number" | "registration_number" | "apostille_number" => Some("numbers"),
        "gpa" | "grades.grade" | "grades.hours_or_credits" => Some("grades"),
        _ => None,
    }
}

/// Milliseconds the `tesseract` command line takes to read all `scans` with `langs` on one
/// thread, in one run over a list of them: it loads its models once, as `eval` loads its
/// engine once, so neither side pays a load per page.
fn tesseract_cli_ms(scans: &[std::path::PathBuf], langs: &str) -> Result<f64> {
    let list = std::env::temp_dir().join(format!("tanba-ocr-eval-{}.txt", std::process::id()));
    let mut text = String::new();
    for scan in scans {
        let path =
            std::fs::canonicalize(scan).with_context(|| format!("resolving {}", scan.display()))?;
        text.push_str(&path.display().to_string());
        text.push('\n');
    }
    std::fs::write(&list, text).with_context(|| format!("writing {}", list.display()))?;
    let t = Instant::now();
    let out = std::process::Command::new("tesseract")
        .arg(&list)
        .args(["-", "-l", langs])
        .env("OMP_THREAD_LIMIT", "1")
        .output();
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    let _ = std::fs::remove_file(&list);
    let out = out.context("running the tesseract command line (Debian tesseract-ocr)")?;
    if !out.status.success() {
        bail!(
            "tesseract over {} scans: {}",
            scans.len(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(ms)
}

/// `tanba ocr eval`: exact-match rate per field and time per stage over a directory of scans
/// with ground truth.
pub fn eval(
    dir: &Path,
    langs: &str,
    skip: &[String],
    baseline: bool,
    json: bool,
) -> Result<ExitCode> {
    check_skip(skip)?;
    let mut scans: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e, "jpg" | "jpeg" | "png" | "tif" | "tiff" | "pdf"))
                && p.with_extension("json").is_file()
        })
        .collect();
    scans.sort();
    if scans.is_empty() {
        bail!(
            "{}: no scans with a ground truth (<name>.json) beside them",
            dir.display()
        );
    }
    let t = Instant::now();
    let mut reader = ocr::Reader::new(langs)?;
    let init_ms = t.elapsed().as_secs_f64() * 1000.0;
    let options = preprocess::Options {
        skip: skip.to_vec(),
    };
    // field → (in the truth, read exactly)
    let mut scores: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    // (condition, class of field) → (in the truth, read exactly)
    let mut by_condition: BTreeMap<(String, &str), (u32, u32)> = BTreeMap::new();
    let mut timings: BTreeMap<String, f64> = BTreeMap::new();
    let mut misses = Vec::new();
    // field → scans where it was read though the document has none (a value made up)
    let mut spurious: BTreeMap<String, u32> = BTreeMap::new();
    for scan in &scans {
        let truth: serde_json::Value =
            serde_json::from_slice(&std::fs::read(scan.with_extension("json"))?)
                .with_context(|| format!("{}: the ground truth is not JSON", scan.display()))?;
        let t = Instant::now();
        let received = Received::check(&scan.display().to_string(), std::fs::read(scan)?)?;
        let pages = received.pages()?;
        *timings.entry("decode".into()).or_default() += t.elapsed().as_secs_f64() * 1000.0;
        let read = ocr::read_pages(&mut reader, &pages, &options, &mut timings)?;
        let t = Instant::now();
        let images: Vec<&image::GrayImage> = pages.iter().map(|p| &p.image).collect();
        let mut reading = ocr::extract::read(&read, &images);
        *timings.entry("extract".into()).or_default() += t.elapsed().as_secs_f64() * 1000.0;
        ocr::reread_series(&mut reader, &images, &mut reading, &mut timings)?;
        let condition = truth["condition"].as_str().unwrap_or("unknown").to_string();
        if let Some(expected) = truth["fields"].as_object() {
            for name in reading.fields.keys() {
                if !expected.contains_key(name) {
                    *spurious.entry(name.clone()).or_default() += 1;
                    misses.push(json!({
                        "scan": scan.file_name().map(|f| f.to_string_lossy().into_owned()),
                        "field": name, "expected": null, "read": reading.fields[name].value,
                    }));
                }
            }
        }
        let mut score = |name: &str, expected: &str, got: Option<&str>| {
            let e = scores.entry(name.to_string()).or_default();
            e.0 += 1;
            // A seal or signature the truth says is absent is read right when none is found.
            let right =
                got.map(norm) == Some(norm(expected)) || (expected == "absent" && got.is_none());
            if let Some(class) = field_class(name) {
                let c = by_condition.entry((condition.clone(), class)).or_default();
                c.0 += 1;
                c.1 += u32::from(right);
            }
            if right {
                e.1 += 1;
            } else {
                misses.push(json!({
                    "scan": scan.file_name().map(|f| f.to_string_lossy().into_owned()),
                    "field": name, "expected": expected, "read": got,
                }));
            }
        };
        if let Some(k) = truth["kind"].as_str() {
            let got = reading.kind.map(|k| format!("{k:?}").to_lowercase());
            score("kind", k, got.as_deref());
        }
        if let Some(c) = truth["country"].as_str() {
            score("country", c, reading.country.as_deref());
        }
        let layout = truth["layout"].as_str().or(truth["kind"].as_str());
        if let Some(expected) = layout.and_then(ocr::template::for_layout) {
            score(
                "template",
                expected,
                reading.template.as_ref().map(|t| t.id.as_str()),
            );
        }
        if let Some(code) = truth["programme_match"].as_str() {
            let m = ocr::matches(&reading, None);
            score(
                "programme",
                code,
                m.programme.first().map(|p| p.code.as_str()),
            );
        }
        for (name, expected) in truth["fields"].as_object().into_iter().flatten() {
            if let Some(expected) = expected.as_str() {
                score(
                    name,
                    expected,
                    reading.fields.get(name).map(|f| f.value.as_str()),
                );
            }
        }
        if let Some(rows) = truth["grades"].as_array() {
            // Row by row in order: a row lost shifts the ones after it, and is counted so.
            let got = &reading.grades;
            score(
                "grades.rows",
                &rows.len().to_string(),
                Some(&got.len().to_string()),
            );
            for (i, row) in rows.iter().enumerate() {
                let read = got.get(i);
                for (name, expected, value) in [
                    (
                        "grades.course",
                        row["course"].as_str(),
                        read.map(|r| r.course.clone()),
                    ),
                    (
                        "grades.hours_or_credits",
                        row["hours"].as_str().or(row["credits"].as_str()),
                        read.and_then(|r| r.hours.or(r.credits))
                            .map(|n| n.to_string()),
                    ),
                    (
                        "grades.grade",
                        row["grade"].as_str(),
                        read.map(|r| r.grade.clone()),
                    ),
                ] {
                    if let Some(expected) = expected {
                        score(name, expected, value.as_deref());
                    }
                }
            }
        }
    }
    // The engine is loaded once for all the scans, and its loading is shared among them.
    timings.insert("ocr_init".into(), init_ms);
    let cli_ms = if baseline {
        tesseract_cli_ms(&scans, langs)?
    } else {
        0.0
    };
    let n = scans.len() as f64;
    let per_scan: BTreeMap<&String, f64> = timings.iter().map(|(k, v)| (k, v / n)).collect();
    let rates: BTreeMap<&String, serde_json::Value> = scores
        .iter()
        .map(|(k, (total, ok))| {
            (
                k,
                json!({"exact": ok, "of": total, "rate": *ok as f64 / (*total).max(1) as f64}),
            )
        })
        .collect();
    let total_ms: f64 = per_scan.values().sum();
    if json {
        let mut out = json!({
            "scans": scans.len(),
            "fields": rates,
            "mean_ms_per_scan": per_scan,
            "by_condition": by_condition
                .iter()
                .map(|((c, class), (total, ok))| json!({
                    "condition": c, "class": class, "exact": ok, "of": total,
                    "rate": *ok as f64 / (*total).max(1) as f64,
                }))
                .collect::<Vec<_>>(),
            "misses": misses,
            "read_where_none": spurious,
        });
        if baseline {
            out["tesseract_cli_mean_ms"] = json!(cli_ms / n);
        }
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("{} scans in {}", scans.len(), dir.display());
        println!("{:<22} {:>6} {:>6} {:>7}", "field", "exact", "of", "rate");
        for (k, (total, ok)) in &scores {
            println!(
                "{k:<22} {ok:>6} {total:>6} {:>6.1}%",
                100.0 * *ok as f64 / (*total).max(1) as f64
            );
        }
        if spurious.is_empty() {
            println!("read where the document has none: nothing");
        } else {
            let list: Vec<String> = spurious.iter().map(|(k, n)| format!("{k} {n}")).collect();
            println!("read where the document has none: {}", list.join(", "));
        }
        println!("names, dates, numbers and grades by the scan's condition:");
        for ((c, class), (total, ok)) in &by_condition {
            println!(
                "  {c:<9} {class:<8} {ok:>5} of {total:<5} {:>6.1}%",
                100.0 * *ok as f64 / (*total).max(1) as f64
            );
        }
        println!("mean per scan:");
        for (k, v) in &per_scan {
            println!("  {k:<10} {v:>8.1} ms");
        }
        println!("  {:<10} {total_ms:>8.1} ms", "all");
        if baseline {
            let ocr_ms = per_scan.get(&"ocr".to_string()).copied().unwrap_or(0.0);
            println!(
                "baseline: the tesseract command line took {:.1} ms per scan (one thread, same languages, one run over all the scans); our OCR stage {:.2}× that, the whole pipeline (with the engine's loading shared out) {:.2}×",
                cli_ms / n,
                ocr_ms / (cli_ms / n),
                total_ms / (cli_ms / n)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
