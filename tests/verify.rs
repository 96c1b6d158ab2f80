//! The verification routine (`src/verify/`) against the demo's documents: every QR gives the
//! verdict the manifest expects; altered, forged and foreign payloads never verify; offline
//! verification from a trust list; erasure; consistency with a checkpoint the caller holds.

mod common;

use std::path::Path;
use std::sync::Arc;
use tanba::credential::issuer_key::IssuerSigningKey;
use tanba::credential::lifecycle::{Action, Reason};
use tanba::credential::qr;
use tanba::credential::record::CredentialId;
use tanba::issuance::StatusRequest;
use tanba::verify::{Code, Verifier, VerifyError};

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

struct Demo {
    _tmp: tempfile::TempDir,
    dir: tanba::data_dir::DataDir,
    log: Arc<tanba::ledger::Log>,
    svc: tanba::issuance::Issuance,
    manifest: Vec<serde_json::Value>,
}

fn demo() -> Demo {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::init(tmp.path());
    let log = Arc::new(dir.open_log().unwrap());
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/issuance");
    let manifest = tanba::demo::seed(&dir, log.clone(), &samples, today()).unwrap();
    let svc = dir.open_issuance(log.clone()).unwrap();
    Demo {
        _tmp: tmp,
        dir,
        log,
        svc,
        manifest,
    }
}

fn url(entry: &serde_json::Value) -> &str {
    entry["verify_url"].as_str().unwrap()
}

/// Repacks a QR text's COSE structure after `edit` changed it, keeping its signature bytes.
fn repack(text: &str, edit: impl FnOnce(&mut coset::CoseSign1)) -> String {
    use coset::TaggedCborSerializable;
    let at = text.rfind("/V/").unwrap() + 3;
    let packed = data_encoding::BASE32_NOPAD
        .decode(&text.as_bytes()[at..])
        .unwrap();
    let signed = miniz_oxide::inflate::decompress_to_vec_zlib(&packed).unwrap();
    let mut sign1 = coset::CoseSign1::from_tagged_slice(&signed).unwrap();
    edit(&mut sign1);
    let bytes = sign1.to_tagged_vec().unwrap();
    let packed = miniz_oxide::deflate::compress_to_vec_zlib(&bytes, 9);
    format!(
        "{}{}",
        &text[..at],
        data_encoding::BASE32_NOPAD.encode(&packed)
    )
}

#[test]
fn every_demo_qr_gets_the_verdict_its_manifest_expects() {
    let d = demo();
    let v = Verifier::Online {
        issuance: &d.svc,
        log: &d.log,
    };
    let mut seen = std::collections::BTreeSet::new();
    for entry in &d.manifest {
        let verdict = v.verify_qr(url(entry), None).unwrap();
        assert_eq!(
            verdict.status.as_str(),
            entry["expected_status"].as_str().unwrap(),
            "{entry}: {verdict:?}"
        );
        seen.insert(verdict.status.as_str());
        assert!(verdict.checks.signature && verdict.checks.issuer_authorised);
        assert_eq!(verdict.checks.claims_match_commitment, Some(true));
        assert_eq!(verdict.checks.ledger_inclusion, Some(true));
        let ledger = verdict.ledger.as_ref().unwrap();
        assert!(ledger.index < ledger.checkpoint_size);
        let doc = verdict.document.as_ref().unwrap();
        assert_eq!(doc.id.to_string(), entry["id"].as_str().unwrap());
        assert!(doc.issuer_names.is_some());
        // The three sentences are three languages.
        let m = &verdict.message;
        assert!(m.kk != m.ru && m.ru != m.en && m.kk != m.en, "{m:?}");
    }
    assert!(
        seen.contains("valid") && seen.contains("revoked") && seen.contains("superseded"),
        "{seen:?}"
    );
    // The superseded version names its successor; the revocation its reason.
    let superseded = d
        .manifest
        .iter()
        .find(|e| e["expected_status"] == "superseded")
        .unwrap();
    let verdict = v.verify_qr(url(superseded), None).unwrap();
    let detail = serde_json::to_value(&verdict.detail).unwrap();
    assert_eq!(detail["by_version"], 2, "{detail}");
    let revoked = d
        .manifest
        .iter()
        .find(|e| e["expected_status"] == "revoked")
        .unwrap();
    let detail = serde_json::to_value(v.verify_qr(url(revoked), None).unwrap().detail).unwrap();
    assert_eq!(detail["reason"], "issued_in_error", "{detail}");
}

#[test]
fn a_terminated_guardianship_and_an_erased_holder_say_so() {
    let d = demo();
    let v = Verifier::Online {
        issuance: &d.svc,
        log: &d.log,
    };
    let act = d
        .manifest
        .iter()
        .find(|e| e["kind"] == "guardianship")
        .expect("the demo has guardianship acts");
    let verdict = v.verify_qr(url(act), None).unwrap();
    assert_eq!(verdict.status, Code::Valid);
    let doc = verdict.document.unwrap();
    let key = d.dir.issuer_key(&doc.issuer, false).unwrap().unwrap();
    let request = StatusRequest {
        action: Action::Terminate,
        reason: Reason::Majority,
        on: today(),
    };
    d.svc
        .change_status(&doc.issuer, &key, &doc.id, request, today())
        .unwrap();
    let verdict = v.verify_qr(url(act), None).unwrap();
    assert_eq!(verdict.status, Code::Terminated, "{verdict:?}");

    // Erasing the personal data keeps the commitment verifiable; the claims check is skipped.
    let entry = d
        .manifest
        .iter()
        .find(|e| e["expected_status"] == "valid" && e["kind"] == "diploma")
        .unwrap();
    let id = CredentialId::parse(entry["id"].as_str().unwrap()).unwrap();
    assert!(d.svc.erase(&id).unwrap());
    let verdict = v.verify_qr(url(entry), None).unwrap();
    assert_eq!(verdict.status, Code::Valid);
    assert_eq!(verdict.checks.claims_match_commitment, None);
}

#[test]
fn altered_forged_and_foreign_payloads_never_verify() {
    let d = demo();
    let v = Verifier::Online {
        issuance: &d.svc,
        log: &d.log,
    };
    let text = url(&d.manifest[0]).to_string();
    assert_eq!(v.verify_qr(&text, None).unwrap().status, Code::Valid);

    // Every single-character change of the payload: never valid (a verdict or an error).
    let at = text.rfind("/V/").unwrap() + 3;
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    for i in at..text.len() {
        let mut b = text.clone().into_bytes();
        let old = b[i];
        b[i] = *alphabet.iter().find(|&&c| c != old).unwrap();
        let altered = String::from_utf8(b).unwrap();
        if let Ok(verdict) = v.verify_qr(&altered, None) {
            assert_ne!(
                verdict.status,
                Code::Valid,
                "position {i} (payload char {}) of {text} changed to {altered} still valid",
                i - at
            );
        }
    }
    // Truncated.
    let verdict = v.verify_qr(&text[..text.len() - 20], None).unwrap();
    assert_eq!(verdict.status, Code::Tampered, "{verdict:?}");

    // The signed bytes changed but the signature kept (a forged name): tampered.
    let forged = repack(&text, |s| {
        let mut p = s.payload.take().unwrap();
        let n = p.len();
        p[n - 1] ^= 1;
        s.payload = Some(p);
    });
    let verdict = v.verify_qr(&forged, None).unwrap();
    assert_eq!(verdict.status, Code::Tampered, "{verdict:?}");

    // A payload well signed by a key the registry never saw, for an unregistered BIN.
    let (payload, _, _) = qr::decode(&text).unwrap();
    let stranger = IssuerSigningKey::generate();
    let mut foreign = payload.clone();
    foreign.iss = "000000000000".into();
    let t = qr::encode(&foreign, &stranger, "https://tanba.test").unwrap();
    assert_eq!(v.verify_qr(&t, None).unwrap().status, Code::Unknown);
    // The same under a registered issuer's BIN: not its key, so forged.
    let t = qr::encode(&payload, &stranger, "https://tanba.test").unwrap();
    let verdict = v.verify_qr(&t, None).unwrap();
    assert_eq!(verdict.status, Code::Tampered, "{verdict:?}");

    // Well signed by the real issuer, but for an id the ledger never recorded.
    let key = d.dir.issuer_key(&payload.iss, false).unwrap().unwrap();
    let mut ghost = payload.clone();
    ghost.id = CredentialId::random();
    let t = qr::encode(&ghost, &key, "https://tanba.test").unwrap();
    assert_eq!(v.verify_qr(&t, None).unwrap().status, Code::Unknown);
    // Or with claims the issuer never committed to.
    let mut changed = payload.clone();
    changed.c.insert("n".into(), "Someone Else".into());
    let t = qr::encode(&changed, &key, "https://tanba.test").unwrap();
    let verdict = v.verify_qr(&t, None).unwrap();
    assert_eq!(verdict.status, Code::Tampered, "{verdict:?}");
    assert_eq!(verdict.checks.claims_match_commitment, Some(false));

    // Not ours at all, or far too long: errors, not verdicts.
    assert!(matches!(
        v.verify_qr("https://example.com/hello", None),
        Err(VerifyError::NotOurs)
    ));
    assert!(matches!(
        v.verify_qr(&"A".repeat(10_000), None),
        Err(VerifyError::TooLong(_))
    ));
}

#[test]
fn offline_verification_from_the_trust_list_and_consistency_with_a_held_checkpoint() {
    let d = demo();
    let root = d.dir.authority_key().unwrap();
    let list = d.svc.registry().trust_list(&root, today()).unwrap();
    let (registry, as_of) = list.registry(Some(&root.public())).unwrap();
    let offline = Verifier::Offline {
        registry: &registry,
        as_of,
    };
    for entry in &d.manifest {
        let verdict = offline.verify_qr(url(entry), None).unwrap();
        // Offline, the signature and the authorisation are all that is known.
        assert_eq!(verdict.status, Code::Valid, "{entry}");
        assert!(!verdict.checks.status_checked);
        assert_eq!(verdict.trust_list_of.as_deref(), Some(&*as_of.to_string()));
    }
    // A trust list whose body was edited is refused; so is one under another root.
    let mut edited = list.clone();
    edited.body["registry_seq"] = 999.into();
    assert!(edited.registry(Some(&root.public())).is_err());
    let other = IssuerSigningKey::generate();
    assert!(list.registry(Some(&other.public())).is_err());

    // Online with a checkpoint held from before more entries were appended: consistent.
    let held = d.log.checkpoint();
    let online = Verifier::Online {
        issuance: &d.svc,
        log: &d.log,
    };
    // Grow the tree: revoke one valid document, then verify another.
    let valid: Vec<_> = d
        .manifest
        .iter()
        .filter(|e| e["expected_status"] == "valid")
        .collect();
    let (gone, entry) = (valid[0], valid[1]);
    let (payload, _, _) = qr::decode(url(gone)).unwrap();
    let key = d.dir.issuer_key(&payload.iss, false).unwrap().unwrap();
    let request = StatusRequest {
        action: Action::Revoke,
        reason: Reason::Fraud,
        on: today(),
    };
    d.svc
        .change_status(&payload.iss, &key, &payload.id, request, today())
        .unwrap();
    d.log.checkpoint_now_blocking().unwrap();
    assert!(d.log.checkpoint().head.size > held.head.size);
    let verdict = online.verify_qr(url(entry), Some(&held)).unwrap();
    assert_eq!(verdict.status, Code::Valid);
    assert_eq!(
        verdict.ledger.unwrap().consistent_from,
        Some(held.head.size)
    );
    // A held checkpoint of another history is refused with a verdict.
    let mut forked = (*held).clone();
    forked.head.root = tanba::ledger::Hash([7; 32]);
    let verdict = online.verify_qr(url(entry), Some(&forked)).unwrap();
    assert_eq!(verdict.status, Code::Tampered, "{verdict:?}");
}

#[test]
fn the_cli_verifies_text_images_and_offline_with_exit_codes() {
    let Demo {
        _tmp,
        dir,
        log,
        svc,
        manifest,
    } = demo();
    let root = dir.authority_key().unwrap();
    let list = svc.registry().trust_list(&root, today()).unwrap();
    let data = dir.path.clone();
    let trust = data.join("trust.json");
    std::fs::write(&trust, serde_json::to_vec(&list).unwrap()).unwrap();
    let demo_dir = tanba::demo::demo_dir(&dir);
    // Release the ledger for the CLI.
    drop(svc);
    log.close();
    drop(log);
    let run = |args: &[&str]| {
        let out = common::tanba()
            .arg("verify")
            .args(args)
            .arg("--data")
            .arg(&data)
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let valid = manifest
        .iter()
        .find(|e| e["expected_status"] == "valid")
        .unwrap();
    let revoked = manifest
        .iter()
        .find(|e| e["expected_status"] == "revoked")
        .unwrap();
    let (code, out, err) = run(&[url(valid)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("valid: The document is genuine"), "{out}");
    let (code, out, _) = run(&[url(revoked), "--json", "--lang", "kk"]);
    assert_eq!(code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"], "revoked");
    let (code, out, _) = run(&[url(revoked), "--lang", "ru"]);
    assert_eq!(code, 1);
    assert!(out.contains("отозван"), "{out}");
    // From the QR image the issuance wrote.
    let png = demo_dir.join(valid["qr_png"].as_str().unwrap());
    let (code, out, err) = run(&[png.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    // Offline: the revoked document's signature still verifies; the status is not known.
    let (code, out, _) = run(&[url(revoked), "--trust", trust.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("the status was not checked"), "{out}");
    // Errors: exit 2 with a message naming the problem.
    let (code, _, err) = run(&["https://example.com/not-ours"]);
    assert_eq!(code, 2);
    assert!(err.contains("not a Tanba QR code"), "{err}");
    let junk = data.join("junk.png");
    std::fs::write(&junk, b"not an image").unwrap();
    let (code, _, err) = run(&[junk.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("not a PNG or JPEG"), "{err}");
}
