//! Our VC exports checked by an independent W3C VC verifier: Digital Bazaar's
//! `@digitalbazaar/vc` with `@digitalbazaar/data-integrity` and
//! `@digitalbazaar/eddsa-jcs-2022-cryptosuite` (`tests/vc-verifier/`, installed with `npm ci`
//! from its lock file), resolving the issuers' `did:web` documents as our server serves them.

mod common;

use common::{Server, get};
use std::path::Path;
use std::process::Command;

#[test]
fn every_demo_vc_verifies_in_digital_bazaars_verifier_and_a_tampered_one_does_not() {
    let verifier = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vc-verifier");
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&verifier)
        .status()
        .expect("npm is needed for this test (scripts/setup.sh installs it)");
    assert!(status.success(), "npm ci failed");

    let tmp = tempfile::tempdir().unwrap();
    let data = common::demo_data(tmp.path());
    let server = Server::start(&data);
    let mut args: Vec<String> = vec!["verify.mjs".into()];
    for bin in [
        "970940001239",
        "050140003254",
        "990240001237",
        "980340001239",
    ] {
        let (status, body) = get(&format!("{}/issuers/{bin}/did.json", server.base));
        assert_eq!(status, 200);
        let path = tmp.path().join(format!("{bin}.did.json"));
        std::fs::write(&path, body).unwrap();
        args.push("--did".into());
        args.push(path.display().to_string());
    }
    server.stop();
    let manifest: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(data.join("demo/manifest.json")).unwrap()).unwrap();
    let vcs: Vec<String> = manifest
        .iter()
        .map(|e| {
            data.join("demo")
                .join(e["vc_json"].as_str().unwrap())
                .display()
                .to_string()
        })
        .collect();
    assert!(vcs.len() > 50);
    // One copy with a grade changed: the verifier must refuse it.
    let mut tampered: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&vcs[0]).unwrap()).unwrap();
    tampered["credentialSubject"]["subjects"][0]["grade"] = serde_json::json!(2);
    let tampered_path = tmp.path().join("tampered.json");
    std::fs::write(&tampered_path, serde_json::to_vec(&tampered).unwrap()).unwrap();

    let run = |files: &[String]| {
        let out = Command::new("node")
            .args(&args)
            .args(files)
            .current_dir(&verifier)
            .output()
            .unwrap();
        let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (
            out.status.success(),
            lines,
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (ok, lines, err) = run(&vcs);
    assert_eq!(lines.len(), vcs.len(), "{err}");
    for l in &lines {
        assert_eq!(l["verified"], true, "{l}");
    }
    assert!(ok, "{err}");
    let (ok, lines, _) = run(&[tampered_path.display().to_string()]);
    assert!(!ok);
    assert_eq!(lines[0]["verified"], false);
    assert!(
        lines[0]["error"].as_str().unwrap().contains("signature"),
        "{}",
        lines[0]
    );
}
