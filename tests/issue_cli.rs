//! `tanba registry add-issuer` and `tanba issue` as an operator runs them, on the sample CSVs:
//! every QR code scans (rqrr) and verifies with the key from the root-signed trust list, every
//! VC verifies, a repeated batch is refused with a report, and no input IIN reaches the files.

mod common;

use std::path::Path;
use tanba::credential::issuer_key::IssuerPublicKey;
use tanba::credential::{qr, vc};
use tanba::registry::TrustList;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = common::tanba()
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn sample(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples/issuance")
        .join(name)
        .display()
        .to_string()
}

fn scan(png: &[u8]) -> String {
    let img = image::load_from_memory(png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    grids[0].decode().unwrap().1
}

#[test]
fn issuing_the_sample_class_and_group_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let d = data.to_str().unwrap();
    assert_eq!(run(&["init", "--data", d]).0, 0);
    let (rc, _, err) = run(&[
        "registry",
        "add-issuer",
        "--data",
        d,
        "--bin",
        "970940001239",
        "--name-kk",
        "№ 25 мектеп-гимназиясы",
        "--name-ru",
        "Школа-гимназия № 25",
        "--name-en",
        "School-Gymnasium No. 25",
        "--kinds",
        "attestat",
    ]);
    assert_eq!(rc, 0, "{err}");
    let (rc, _, err) = run(&[
        "registry",
        "add-issuer",
        "--data",
        d,
        "--bin",
        "050140003254",
        "--name-kk",
        "Алматы байланыс колледжі",
        "--name-ru",
        "Колледж связи",
        "--name-en",
        "Almaty College of Communications",
        "--kinds",
        "diploma",
    ]);
    assert_eq!(rc, 0, "{err}");

    let out1 = tmp.path().join("class");
    let (rc, _, err) = run(&[
        "issue",
        "--data",
        d,
        "--issuer",
        "970940001239",
        "--kind",
        "attestat",
        "--csv",
        &sample("school-class.csv"),
        "--out",
        out1.to_str().unwrap(),
    ]);
    assert_eq!(rc, 0, "{err}");
    let out2 = tmp.path().join("group");
    let (rc, _, err) = run(&[
        "issue",
        "--data",
        d,
        "--issuer",
        "050140003254",
        "--kind",
        "diploma",
        "--csv",
        &sample("college-group-cp1251.csv"),
        "--out",
        out2.to_str().unwrap(),
    ]);
    assert_eq!(rc, 0, "{err}");
    assert!(err.contains("Windows1251"), "{err}");

    // A university's cohort from an XLSX workbook.
    let (rc, _, err) = run(&[
        "registry",
        "add-issuer",
        "--data",
        d,
        "--bin",
        "990240001237",
        "--name-kk",
        "ҚазҰУ",
        "--name-ru",
        "КазНУ",
        "--name-en",
        "KazNU",
        "--kinds",
        "diploma",
    ]);
    assert_eq!(rc, 0, "{err}");
    let out_x = tmp.path().join("cohort");
    let (rc, _, err) = run(&[
        "issue",
        "--data",
        d,
        "--issuer",
        "990240001237",
        "--kind",
        "diploma",
        "--file",
        &sample("university-cohort.xlsx"),
        "--out",
        out_x.to_str().unwrap(),
    ]);
    assert_eq!(rc, 0, "{err}");
    assert!(err.contains("16 rows read (XLSX)"), "{err}");

    // Keys come from the trust list, checked against the root key in the data directory.
    let (rc, list, _) = run(&["registry", "show", "--data", d]);
    assert_eq!(rc, 0);
    let list: TrustList = serde_json::from_str(&list).unwrap();
    let dir = tanba::data_dir::DataDir::open(&data).unwrap();
    list.verify(&dir.authority_key().unwrap().public()).unwrap();
    let key_of = |bin: &str| {
        let issuer = list.body["issuers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["bin"] == bin)
            .unwrap();
        IssuerPublicKey::parse(issuer["keys"][0]["public_key"].as_str().unwrap()).unwrap()
    };

    for (out, bin, count) in [(&out1, "970940001239", 24), (&out2, "050140003254", 12)] {
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
        let entries = manifest.as_array().unwrap();
        assert_eq!(entries.len(), count);
        let key = key_of(bin);
        for e in entries {
            let png = std::fs::read(out.join(e["qr_png"].as_str().unwrap())).unwrap();
            let text = scan(&png);
            assert_eq!(text, e["verify_url"].as_str().unwrap());
            let payload = qr::verify(&text, &key).unwrap();
            assert_eq!(payload.id.to_string(), e["id"].as_str().unwrap());
            assert_eq!(payload.iss, bin);
            let vc_json: serde_json::Value = serde_json::from_slice(
                &std::fs::read(out.join(e["vc_json"].as_str().unwrap())).unwrap(),
            )
            .unwrap();
            vc::verify_proof(&vc_json, &key).unwrap();
            assert_eq!(e["expected_status"], "valid");
            let pdf = std::fs::read(out.join(e["pdf"].as_str().unwrap())).unwrap();
            assert!(pdf.starts_with(b"%PDF-") && pdf.len() > 10_000, "{e}");
        }
    }

    // The same group again: refused whole, with a report naming the originals.
    let out3 = tmp.path().join("again");
    let (rc, _, err) = run(&[
        "issue",
        "--data",
        d,
        "--issuer",
        "050140003254",
        "--kind",
        "diploma",
        "--csv",
        &sample("college-group-cp1251.csv"),
        "--out",
        out3.to_str().unwrap(),
    ]);
    assert_eq!(rc, 1, "{err}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out3.join("report.json")).unwrap()).unwrap();
    assert_eq!(report.as_array().unwrap().len(), 12);
    assert!(!out3.join("manifest.json").exists());

    // No IIN or name from the input anywhere in the store files; the ledger audits clean.
    let csv = std::fs::read_to_string(sample("school-class.csv")).unwrap();
    let first_row: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    for f in ["ledger.redb", "ledger-leaves.redb"] {
        let bytes = std::fs::read(data.join(f)).unwrap();
        for secret in [first_row[0], first_row[1]] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} found in {f}"
            );
        }
    }
    let (rc, out, _) = run(&["ledger", "audit", d]);
    assert_eq!(rc, 0, "{out}");
    assert!(
        out.contains("58 entries"),
        "6 registry changes + 24 + 12 + 16 credentials: {out}"
    );
}

#[test]
fn the_demo_seeds_once_and_every_expected_status_is_the_real_one() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let d = data.to_str().unwrap();
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/issuance");
    let (rc, out, err) = run(&[
        "demo",
        "--data",
        d,
        "--no-serve",
        "--samples",
        samples.to_str().unwrap(),
    ]);
    assert_eq!(rc, 0, "{out}{err}");
    assert!(out.contains("a revoked document: HTTP://"), "{out}");
    let manifest: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(data.join("demo/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest.len(), 24 + 1 + 12 + 16 + 4);

    let dir = tanba::data_dir::DataDir::open(&data).unwrap();
    let log = std::sync::Arc::new(dir.open_log().unwrap());
    let svc = dir.open_issuance(log.clone()).unwrap();
    let mut seen = std::collections::BTreeMap::new();
    for e in &manifest {
        let id = tanba::credential::record::CredentialId::parse(e["id"].as_str().unwrap()).unwrap();
        let version = e["version"].as_u64().map(|v| v as u32).or(Some(1));
        let (_, status) = svc.status(&id, version).unwrap();
        assert_eq!(status.code(), e["expected_status"], "{e}");
        *seen.entry(status.code()).or_insert(0) += 1;
        for file in ["qr_png", "vc_json", "pdf"] {
            let path = data.join("demo").join(e[file].as_str().unwrap());
            assert!(path.exists(), "{}", path.display());
        }
    }
    assert_eq!(seen["revoked"], 1);
    assert_eq!(seen["superseded"], 1);
    log.close();
    drop(svc);
    drop(log);

    // A second run finds the manifest and issues nothing more.
    let before = std::fs::read(data.join("demo/manifest.json")).unwrap();
    let (rc, _, err) = run(&[
        "demo",
        "--data",
        d,
        "--no-serve",
        "--samples",
        samples.to_str().unwrap(),
    ]);
    assert_eq!(rc, 0, "{err}");
    assert_eq!(
        std::fs::read(data.join("demo/manifest.json")).unwrap(),
        before
    );
    let (_, audit_out, _) = run(&["ledger", "audit", d]);
    assert!(
        audit_out.contains("70 entries"),
        "12 registry changes (6 issuers and their keys), 56 issued, 1 revocation, 1 correction: \
         {audit_out}"
    );

    // The server publishes the trust list and the DID documents the VCs point to.
    let server = common::Server::start(&data);
    let (status, body) = common::get(&format!("{}/trust", server.base));
    assert_eq!(status, 200);
    let list: TrustList = serde_json::from_slice(&body).unwrap();
    list.verify(&dir.authority_key().unwrap().public()).unwrap();
    // The four issuers of documents, the recognition body and the apostille authority.
    assert_eq!(list.body["issuers"].as_array().unwrap().len(), 6);
    let (status, body) = common::get(&format!("{}/issuers/970940001239/did.json", server.base));
    assert_eq!(status, 200);
    let did: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let key = dir
        .issuer_key("970940001239", false)
        .unwrap()
        .unwrap()
        .public();
    assert_eq!(
        did["verificationMethod"][0]["publicKeyMultibase"],
        vc::multikey(&key)
    );
    assert_eq!(did["id"], "did:web:127.0.0.1%3A8080:issuers:970940001239");
    let (status, body) = common::get(&format!("{}/.well-known/did.json", server.base));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let (status, body) = common::get(&format!("{}/issuers/000000000000/did.json", server.base));
    assert_eq!(status, 404);
    assert!(String::from_utf8_lossy(&body).contains("no issuer with BIN"));
    // And a VC from the demo verifies with the key its DID document publishes.
    let vc_entry = manifest
        .iter()
        .find(|e| e["kind"] == "attestat" && e["expected_status"] == "valid")
        .unwrap();
    let vc_json: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            data.join("demo")
                .join(vc_entry["vc_json"].as_str().unwrap()),
        )
        .unwrap(),
    )
    .unwrap();
    let vm = vc_json["proof"]["verificationMethod"].as_str().unwrap();
    let method = did["verificationMethod"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == vm)
        .unwrap();
    assert_eq!(method["publicKeyMultibase"], vc::multikey(&key));
    vc::verify_proof(&vc_json, &key).unwrap();
}

/// Lifecycle and re-access from the command line, each change journalled.
#[test]
fn cli_lifecycle_reaccess_accounts_and_journal() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let run = |args: &[&str]| {
        let out = common::tanba()
            .args(args)
            .arg("--data")
            .arg(&data)
            .env("USER", "registrar")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (ok, _, err) = run(&["demo", "--no-serve"]);
    assert!(ok, "{err}");
    let manifest: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(data.join("demo/manifest.json")).unwrap()).unwrap();
    let first = manifest
        .iter()
        .find(|e| e["expected_status"] == "valid" && e["kind"] == "attestat")
        .unwrap();
    let id = first["id"].as_str().unwrap();

    // Re-access gives the very same PDF as issuance wrote: the document, not a duplicate.
    let out = tmp.path().join("again");
    let (ok, _, err) = run(&["credential", "files", id, "--out", out.to_str().unwrap()]);
    assert!(ok, "{err}");
    let original = std::fs::read(data.join("demo").join(first["pdf"].as_str().unwrap())).unwrap();
    assert_eq!(std::fs::read(out.join("document.pdf")).unwrap(), original);
    assert_eq!(
        std::fs::read(out.join("vc.json")).unwrap(),
        std::fs::read(data.join("demo").join(first["vc_json"].as_str().unwrap())).unwrap()
    );

    let (ok, stdout, err) = run(&[
        "credential",
        "status",
        id,
        "--action",
        "revoke",
        "--reason",
        "fraud",
    ]);
    assert!(ok, "{err}");
    assert!(stdout.contains("revoked"), "{stdout}");
    let (ok, stdout, _) = run(&["credential", "show", id]);
    assert!(ok);
    let shown: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(shown["status"]["status"], "revoked", "{shown}");
    let (ok, _, err) = run(&[
        "credential",
        "status",
        id,
        "--action",
        "promote",
        "--reason",
        "fraud",
    ]);
    assert!(!ok);
    assert!(err.contains("action \"promote\""), "{err}");

    // The holder's documents by IIN.
    let iin = shown["claims"]["holder_iin"].as_str().unwrap();
    let (ok, stdout, _) = run(&["credential", "find", "--iin", iin]);
    assert!(ok);
    assert!(
        stdout.contains(id) && stdout.contains("revoked"),
        "{stdout}"
    );

    // Accounts from the CLI print a working token; bad shapes are refused and journalled.
    let (ok, stdout, err) = run(&[
        "account",
        "add",
        "--username",
        "mis.school",
        "--role",
        "issuer_operator",
        "--org",
        "970940001239",
    ]);
    assert!(ok, "{err}");
    assert!(stdout.trim().starts_with("tnb_"), "{stdout}");
    let (ok, _, err) = run(&[
        "account",
        "add",
        "--username",
        "mis.bad",
        "--role",
        "issuer_operator",
    ]);
    assert!(!ok);
    assert!(err.contains("org"), "{err}");

    let (ok, stdout, _) = run(&["journal", "--user", "cli:registrar"]);
    assert!(ok);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let actions: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["action"].as_str().unwrap(),
                l["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    for want in [
        ("credential.reaccess", "ok"),
        ("credential.revoke", "ok"),
        ("account.create", "ok"),
        ("account.create", "failed"),
    ] {
        assert!(actions.contains(&want), "{want:?} not in {actions:?}");
    }
}
