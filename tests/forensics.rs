//! `tanba check` and `tanba forensics`: a generated diploma never seen in tuning, and its
//! tampered twins — an impossible date, a malformed number, no seal, a retyped number, a
//! pasted name, a copy filed by someone else — each flagged for what it is, the genuine left
//! clean; a blank scan routed `unreadable`; bad arguments named.

mod common;

use serde_json::Value;
use std::path::Path;

fn run(args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = common::tanba().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn check(file: &Path, app: &Path, seen: &Path) -> (i32, Value) {
    let (code, out, err) = run(&[
        "check",
        &file.display().to_string(),
        "--application",
        &app.display().to_string(),
        "--seen",
        &seen.display().to_string(),
        "--json",
    ]);
    assert!(code == 0 || code == 1, "{file:?}: exit {code}: {err}");
    (code, serde_json::from_slice(&out).unwrap())
}

fn codes(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn tampered_twins_are_flagged_for_their_tamper_and_the_genuine_is_cleared() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("set");
    let d = dir.display().to_string();
    // A seed of no set the checks were tuned on: a phone photo of an English-layout diploma.
    let (code, _, err) = run(&[
        "forensics",
        "generate",
        "--out",
        &d,
        "--count",
        "1",
        "--seed",
        "52003",
    ]);
    assert_eq!(code, 0, "{err}");
    let seen = tmp.path().join("seen.jsonl");
    let app_of = |name: &str| {
        let truth: Value =
            serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.json"))).unwrap())
                .unwrap();
        let p = tmp.path().join(format!("{name}.app.json"));
        std::fs::write(&p, truth["application"].to_string()).unwrap();
        p
    };
    let genuine = "diploma-52003";
    let (code, report) = check(&dir.join(format!("{genuine}.jpg")), &app_of(genuine), &seen);
    assert_eq!(report["route"], "cleared", "{report}");
    assert_eq!(code, 0);
    assert!(codes(&report).is_empty(), "{report}");
    assert!(report["fields"].as_object().unwrap().len() == 1);
    // Each check's time is reported beside the total: the seal search did work, and the
    // parts add up to no more than the whole.
    let timings = report["timings_ms"].as_object().unwrap();
    let total = timings["checks"].as_f64().unwrap();
    let parts: Vec<(&String, f64)> = timings
        .iter()
        .filter(|(k, _)| k.starts_with("checks."))
        .map(|(k, v)| (k, v.as_f64().unwrap()))
        .collect();
    assert!(parts.len() >= 10, "{timings:?}");
    assert!(
        timings["checks.seals"].as_f64().unwrap() > 0.0,
        "{timings:?}"
    );
    assert!(
        parts.iter().map(|p| p.1).sum::<f64>() <= total,
        "{timings:?}"
    );
    // The genuine scan is now in the index of files seen.
    assert_eq!(std::fs::read_to_string(&seen).unwrap().lines().count(), 1);

    for (class, expect) in [
        ("dates", "dates."),
        ("number", "number.malformed"),
        ("seal", "seal.missing"),
        ("edit", "edit.patch"),
        ("name", "edit.patch"),
        ("repeat", "repeat.near_duplicate"),
        ("recompressed", "edit.recompressed"),
        ("copy-move", "edit.copy_move"),
        ("font", "edit.font"),
    ] {
        let name = format!("{genuine}-{class}");
        let (code, report) = check(&dir.join(format!("{name}.jpg")), &app_of(&name), &seen);
        assert_eq!(report["route"], "review", "{class}: {report}");
        assert_eq!(code, 1);
        let found = codes(&report);
        assert!(
            found.iter().any(|c| c.starts_with(expect)),
            "{class}: {found:?}"
        );
        // Every finding points at its evidence: a file, and a page and box where it has one.
        for f in report["findings"].as_array().unwrap() {
            assert!(f["evidence"].is_object(), "{f}");
            assert!(
                f["message"]
                    .as_str()
                    .is_some_and(|m| !m.contains("finding-")),
                "{f}"
            );
            if [
                "edit.patch",
                "edit.recompressed",
                "edit.copy_move",
                "edit.font",
                "number.malformed",
            ]
            .contains(&f["code"].as_str().unwrap())
            {
                let b = f["box"].as_array().unwrap();
                assert!(f["page"] == 1 && b[2].as_u64().unwrap() > 0, "{f}");
            }
        }
        if class == "copy-move" {
            // At the digit pasted over, naming the digit it was copied from.
            let truth: Value =
                serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.json"))).unwrap())
                    .unwrap();
            let f = report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["code"] == "edit.copy_move")
                .unwrap();
            let boxed = |v: &Value| -> [u64; 4] { serde_json::from_value(v.clone()).unwrap() };
            let overlap = |a: [u64; 4], b: [u64; 4]| {
                a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3]
            };
            let (to, from) = (
                boxed(&truth["distortions"]["copied_to"]),
                boxed(&truth["distortions"]["copied_from"]),
            );
            let (at, source) = (boxed(&f["box"]), boxed(&f["evidence"]["copied_from"]));
            assert!(
                (overlap(at, to) && overlap(source, from))
                    || (overlap(at, from) && overlap(source, to)),
                "{f} {truth}"
            );
        }
        if class == "font" {
            // The number's last figures were retyped larger: the finding names the number and
            // a run of its figures.
            let f = report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["code"] == "edit.font")
                .unwrap();
            assert_eq!(f["evidence"]["field"], "number", "{f}");
            assert!(
                f["evidence"]["step_percent"].as_f64().unwrap().abs() > 7.0,
                "{f}"
            );
            let truth: Value =
                serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.json"))).unwrap())
                    .unwrap();
            assert!(truth["distortions"]["retyped"]["scale"].as_f64().unwrap() > 1.0);
        }
        if class == "repeat" {
            // Filed by someone else: critical, naming the earlier applicant.
            let f = report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["code"] == "repeat.near_duplicate")
                .unwrap();
            assert_eq!(f["severity"], "critical", "{f}");
            assert!(f["evidence"]["case"].as_str().unwrap().contains(genuine));
        }
    }
}

#[test]
fn a_supplements_grades_are_read_row_by_row_and_each_grades_tamper_is_flagged() {
    let tmp = tempfile::tempdir().unwrap();
    // Seeds of no set the reading or the checks were tuned on: a degraded scan of an Uzbek
    // supplement on the five-point scale in a ruled table, and a phone photo of a Turkish
    // transcript in letters weighted by credits.
    for seed in ["61004", "61008"] {
        let dir = tmp.path().join(seed);
        let d = dir.display().to_string();
        let (code, _, err) = run(&[
            "forensics",
            "generate",
            "--kind",
            "supplement",
            "--out",
            &d,
            "--count",
            "1",
            "--seed",
            seed,
        ]);
        assert_eq!(code, 0, "{err}");
        let genuine = format!("supplement-{seed}");
        let truth: Value =
            serde_json::from_slice(&std::fs::read(dir.join(format!("{genuine}.json"))).unwrap())
                .unwrap();

        // The table as `tanba ocr` reads it: every row's course, hours or credits and grade,
        // and the mean under it.
        let (code, out, err) = run(&[
            "ocr",
            &dir.join(format!("{genuine}.jpg")).display().to_string(),
            "--json",
        ]);
        assert_eq!(code, 0, "{err}");
        let read: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(read["kind"], "supplement");
        let rows = read["grades"].as_array().unwrap();
        let expected = truth["grades"].as_array().unwrap();
        assert_eq!(rows.len(), expected.len(), "{seed}: {rows:?}");
        for (i, (r, e)) in rows.iter().zip(expected).enumerate() {
            assert_eq!(r["row"], i + 1, "{seed}: {r}");
            assert_eq!(r["course"], e["course"], "{seed}: {r}");
            let amount = r["hours"].as_u64().or(r["credits"].as_u64()).unwrap();
            let e_amount = e["hours"].as_str().or(e["credits"].as_str()).unwrap();
            assert_eq!(amount.to_string(), e_amount, "{seed}: {r}");
            assert_eq!(r["grade"], e["grade"], "{seed}: {r}");
        }
        assert_eq!(read["fields"]["gpa"]["value"], truth["fields"]["gpa"]);

        let app = tmp.path().join(format!("{seed}.app.json"));
        std::fs::write(&app, truth["application"].to_string()).unwrap();
        let grades_codes = |name: &str| {
            // Each twin against an index of its own: a twin is a near-copy of its genuine.
            let seen = tmp.path().join(format!("{name}.seen.jsonl"));
            let (_, report) = check(&dir.join(format!("{name}.jpg")), &app, &seen);
            let found: Vec<String> = codes(&report)
                .into_iter()
                .filter(|c| c.starts_with("grades."))
                .collect();
            (found, report)
        };
        let (found, report) = grades_codes(&genuine);
        assert!(found.is_empty(), "{seed}: {report}");

        let (found, report) = grades_codes(&format!("{genuine}-grade-scale"));
        // «6 (отлично)»: off the scale, and its words say 5.
        assert!(
            found.contains(&"grades.out_of_scale".to_string())
                && found
                    .iter()
                    .all(|c| c == "grades.out_of_scale" || c == "grades.words_disagree"),
            "{seed}: {report}"
        );
        assert_eq!(report["route"], "review");
        let f = &report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "grades.out_of_scale")
            .unwrap();
        let twin: Value = serde_json::from_slice(
            &std::fs::read(dir.join(format!("{genuine}-grade-scale.json"))).unwrap(),
        )
        .unwrap();
        let forged = twin["grades"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| ["6", "11", "A+"].contains(&g["grade"].as_str().unwrap()))
            .unwrap();
        assert_eq!(f["evidence"]["grade"], forged["grade"], "{f}");
        assert_eq!(f["evidence"]["course"], forged["course"], "{f}");
        assert!(f["box"].as_array().is_some_and(|b| b.len() == 4), "{f}");

        let (found, report) = grades_codes(&format!("{genuine}-gpa"));
        assert_eq!(found, ["grades.gpa_inconsistent"], "{seed}: {report}");
    }
}

#[test]
fn a_blank_scan_is_unreadable_and_bad_arguments_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let blank = tmp.path().join("blank.png");
    image::GrayImage::from_pixel(1240, 1754, image::Luma([238]))
        .save(&blank)
        .unwrap();
    let (code, out, err) = run(&["check", &blank.display().to_string(), "--json"]);
    assert_eq!(code, 1, "{err}");
    let report: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(report["route"], "unreadable", "{report}");

    // An application that contradicts itself: its IIN's birth date is not its birth_date.
    let app = tmp.path().join("app.json");
    std::fs::write(
        &app,
        r#"{"holder_name": "Ким Анна", "birth_date": "1999-01-01", "iin": "990202400012"}"#,
    )
    .unwrap();
    let (code, _, err) = run(&[
        "check",
        &blank.display().to_string(),
        "--application",
        &app.display().to_string(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("iin"), "{err}");

    let not_image = tmp.path().join("scan.jpg");
    std::fs::write(&not_image, b"not an image at all").unwrap();
    let (code, _, err) = run(&["check", &not_image.display().to_string()]);
    assert_eq!(code, 2);
    assert!(err.contains("scan.jpg"), "{err}");

    let (code, _, err) = run(&["check", &blank.display().to_string(), "--review-at", "3"]);
    assert_eq!(code, 2);
    assert!(err.contains("--review-at"), "{err}");

    let (code, _, err) = run(&["forensics", "eval", &tmp.path().display().to_string()]);
    assert_eq!(code, 2);
    assert!(err.contains("no genuine scans"), "{err}");
}

/// A one-diploma set generated from `seed` in `dir/set`, its genuine scan enrolled as its
/// institution's references in `dir/data`, and its application written to `dir/app.json`:
/// (the genuine scan, the enrolment's JSON, the ground truth).
fn enrolled_diploma(dir: &Path, seed: u64) -> (std::path::PathBuf, Value, Value) {
    let set = dir.join("set");
    let (code, _, err) = run(&[
        "forensics",
        "generate",
        "--out",
        &set.display().to_string(),
        "--count",
        "1",
        "--seed",
        &seed.to_string(),
    ]);
    assert_eq!(code, 0, "{err}");
    let genuine = set.join(format!("diploma-{seed}.jpg"));
    let (code, out, err) = run(&[
        "references",
        "enroll",
        &genuine.display().to_string(),
        "--data",
        &dir.join("data").display().to_string(),
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let truth: Value =
        serde_json::from_slice(&std::fs::read(genuine.with_extension("json")).unwrap()).unwrap();
    std::fs::write(dir.join("app.json"), truth["application"].to_string()).unwrap();
    (genuine, serde_json::from_slice(&out).unwrap(), truth)
}

/// The report's finding of `code`; the test fails, showing the report, if there is none.
fn finding<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code}: {report}"))
}

/// `tanba check FILE` against `dir/app.json` and the references enrolled in `dir/data`.
fn check_enrolled(dir: &Path, file: &Path) -> Value {
    let (code, out, err) = run(&[
        "check",
        &file.display().to_string(),
        "--application",
        &dir.join("app.json").display().to_string(),
        "--references",
        &dir.join("data").display().to_string(),
        "--json",
    ]);
    assert!(code == 0 || code == 1, "{err}");
    serde_json::from_slice(&out).unwrap()
}

/// `tanba references enroll` keeps a genuine diploma's seal and signature as its
/// institution's references; `tanba check --references` then flags a copy whose seal was
/// replaced by another office's stamp (`seal.mismatch`, at the seal) and leaves a document
/// with the genuine seal alone. An unreadable scan enrols nothing, and says why.
#[test]
fn an_enrolled_seal_catches_another_stamp_and_an_unreadable_scan_enrols_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    // Unreadable: refused, nothing written.
    let blank = tmp.path().join("blank.png");
    image::GrayImage::from_pixel(1240, 1754, image::Luma([238]))
        .save(&blank)
        .unwrap();
    let empty = tmp.path().join("empty");
    let (code, _, err) = run(&[
        "references",
        "enroll",
        &blank.display().to_string(),
        "--data",
        &empty.display().to_string(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("could not be read"), "{err}");
    assert!(!empty.join("references/index.json").exists());

    let (genuine, entry, _) = enrolled_diploma(tmp.path(), 52003);
    let data = tmp.path().join("data");
    let institution = entry["institution"].as_str().unwrap();
    assert!(
        entry["seal"].as_array().is_some_and(|s| !s.is_empty()),
        "{entry}"
    );
    assert!(
        data.join("references")
            .join(institution)
            .join("seal.png")
            .exists()
    );
    // An institution not in the library is named.
    let (code, _, err) = run(&[
        "references",
        "enroll",
        &genuine.display().to_string(),
        "--data",
        &data.display().to_string(),
        "--institution",
        "no-such-school",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("no-such-school"), "{err}");

    // The same document with another office's stamp over its seal.
    let mut page = image::open(&genuine).unwrap().to_luma8();
    let seal = *tanba::forensics::marks::seals(&page)
        .first()
        .expect("a seal");
    tanba::ocr::synth::other_stamp(
        &mut page,
        seal.cx as i32,
        seal.cy as i32,
        (seal.r as f32 * 1.5) as i32,
        235,
    );
    let forged = tmp.path().join("forged.png");
    page.save(&forged).unwrap();
    let report = check_enrolled(tmp.path(), &forged);
    let mismatch = finding(&report, "seal.mismatch");
    assert_eq!(mismatch["severity"], "critical");
    let b = mismatch["box"].as_array().unwrap();
    let x = b[0].as_u64().unwrap() as u32;
    assert!(
        x.abs_diff(seal.cx.saturating_sub(seal.r)) < seal.r * 2,
        "{mismatch}"
    );
    assert_eq!(report["route"], "review");
    // A document with the genuine seal (the twin whose dates were changed) has no mismatch.
    let twin = genuine.with_file_name("diploma-52003-dates.jpg");
    let report = check_enrolled(tmp.path(), &twin);
    assert!(
        !codes(&report).iter().any(|c| c == "seal.mismatch"),
        "{report}"
    );
}

/// An enrolled signature: `tanba references enroll` keeps the signatory's signature with
/// their name; a copy of the diploma whose signature was painted out and signed by another
/// hand is flagged `signature.mismatch` at the new signature, and the twin signed by the same
/// official (its dates changed) is not.
#[test]
fn an_enrolled_signature_catches_another_hand() {
    let tmp = tempfile::tempdir().unwrap();
    let (genuine, entry, truth) = enrolled_diploma(tmp.path(), 52003);
    assert!(
        entry["signature"].as_array().is_some_and(|s| !s.is_empty()),
        "{entry}"
    );
    let signer = truth["fields"]["signed_by"].as_str().unwrap();
    let enrolled = entry["signatory"].as_str().unwrap();
    assert_ne!(
        tanba::ocr::names::compare(signer, enrolled).verdict,
        "different",
        "{entry}"
    );

    // Where the signature is, as the check finds it.
    let received = tanba::intake::Received::check(
        &genuine.display().to_string(),
        std::fs::read(&genuine).unwrap(),
    )
    .unwrap();
    let mut reader = tanba::ocr::Reader::new("rus+kaz+eng").unwrap();
    let read = tanba::forensics::read(
        &mut reader,
        &received,
        None,
        &tanba::ocr::preprocess::Options::default(),
    )
    .unwrap();
    let found = tanba::forensics::signature::find(&read.reading, &read.pages).expect("signed");
    let [x, y, w, h] = found.bbox;
    // Painted out with the paper beside it, then signed by someone else.
    let mut page = read.pages[found.page].clone();
    let paper = *page.get_pixel(x.saturating_sub(30), y + h / 2);
    imageproc::drawing::draw_filled_rect_mut(
        &mut page,
        imageproc::rect::Rect::at(x as i32 - 3, y as i32 - 3).of_size(w + 6, h + 6),
        paper,
    );
    let stroke = tanba::ocr::synth::signature_stroke(
        x as f32,
        (y + h / 2) as f32,
        "Someone Else Entirely",
        7,
    );
    for s in stroke.windows(2) {
        imageproc::drawing::draw_line_segment_mut(&mut page, s[0], s[1], image::Luma([45]));
        imageproc::drawing::draw_line_segment_mut(
            &mut page,
            (s[0].0, s[0].1 + 1.0),
            (s[1].0, s[1].1 + 1.0),
            image::Luma([45]),
        );
    }
    let forged = tmp.path().join("forged.png");
    page.save(&forged).unwrap();
    let report = check_enrolled(tmp.path(), &forged);
    let mismatch = finding(&report, "signature.mismatch");
    assert_eq!(mismatch["severity"], "warning");
    let b = mismatch["box"].as_array().unwrap();
    assert!(
        (b[0].as_u64().unwrap() as u32).abs_diff(x) < 40,
        "{mismatch}"
    );
    assert_eq!(report["route"], "review");
    // The same official's hand on the twin: no mismatch.
    let twin = genuine.with_file_name("diploma-52003-dates.jpg");
    let report = check_enrolled(tmp.path(), &twin);
    assert!(
        !codes(&report).iter().any(|c| c == "signature.mismatch"),
        "{report}"
    );
}

#[test]
fn a_page_without_print_grain_is_not_taken_for_copies() {
    // `samples/unseen/diploma-uz.jpg`, made by hand outside the generator, carries no grain
    // of paper and ink the check can use: its repeated characters match as copies do. The
    // check says it cannot tell rather than calling every repeat a copy.
    let (code, out, err) = run(&["check", "samples/unseen/diploma-uz.jpg", "--json"]);
    assert!(code == 0 || code == 1, "{err}");
    let report: Value = serde_json::from_slice(&out).unwrap();
    let all: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(!all.contains(&"edit.copy_move"), "{all:?}");
    let f = finding(&report, "edit.copy_move_untestable");
    assert_eq!(f["severity"], "info", "{f}");
    assert!(f["evidence"]["copies"].as_u64().unwrap() > 2, "{f}");
    assert!(
        f["messages"]["ru"]
            .as_str()
            .is_some_and(|m| m.contains("зернистости")),
        "{f}"
    );
}
