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
    // The genuine scan is now in the index of files seen.
    assert_eq!(std::fs::read_to_string(&seen).unwrap().lines().count(), 1);

    for (class, expect) in [
        ("dates", "dates."),
        ("number", "number.malformed"),
        ("seal", "seal.missing"),
        ("edit", "edit.patch"),
        ("name", "edit.patch"),
        ("repeat", "repeat.near_duplicate"),
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
            if f["code"] == "edit.patch" || f["code"] == "number.malformed" {
                let b = f["box"].as_array().unwrap();
                assert!(f["page"] == 1 && b[2].as_u64().unwrap() > 0, "{f}");
            }
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
