//! `tanba ledger audit`: passes on an honest log, names the exact tile or entry when one bit
//! is flipped, and catches forks and rollbacks against checkpoints seen before.

mod common;

use tanba::ledger::audit::{AuditError, StoreSource, audit};
use tanba::ledger::{Entry, LogSigner};
use tanba::store::{Store, TreeHead};

fn build(entries: u32) -> (tempfile::TempDir, tanba::data_dir::DataDir) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::init(tmp.path());
    let log = dir.open_log().unwrap();
    for chunk in (0..entries).collect::<Vec<_>>().chunks(1000) {
        let rxs: Vec<_> = chunk
            .iter()
            .map(|i| {
                log.submit_waiting(Entry::v1(format!("document {i}").as_bytes()).unwrap())
                    .unwrap()
            })
            .collect();
        for rx in rxs {
            rx.wait().unwrap();
        }
        log.checkpoint_now_blocking().unwrap();
    }
    log.close();
    (tmp, dir)
}

fn run(
    dir: &tanba::data_dir::DataDir,
    seen: &[Vec<u8>],
) -> Result<tanba::ledger::audit::AuditReport, AuditError> {
    let store = dir.open_store().unwrap();
    let mut seen = seen.to_vec();
    seen.extend(store.checkpoint_history().unwrap());
    audit(
        &StoreSource::new(store.as_ref()),
        &dir.verifier().unwrap(),
        &seen,
        &mut |_| {},
    )
}

#[test]
fn honest_log_passes_with_all_checkpoints_consistent() {
    let (_tmp, dir) = build(70_000);
    let r = run(&dir, &[]).unwrap();
    assert_eq!(r.entries, 70_000);
    // 273 full + 1 partial level-0 tiles, 1 full + 1 partial level-1, 1 partial level-2.
    assert_eq!(r.tiles, 274 + 2 + 1);
    assert!(r.checkpoints_checked >= 70, "{}", r.checkpoints_checked);
}

#[test]
fn one_flipped_bit_is_named_by_tile_or_entry() {
    let (_tmp, dir) = build(70_000);
    let flip = |key: (u8, u64), byte: usize| {
        let store = dir.open_store().unwrap();
        let mut t = store.read_tiles(&[key]).unwrap()[0].clone().unwrap();
        t[byte] ^= 0x04;
        store.overwrite_tile_unchecked(key, &t).unwrap();
        t[byte] ^= 0x04;
        t
    };
    let restore = |key: (u8, u64), t: Vec<u8>| {
        dir.open_store()
            .unwrap()
            .overwrite_tile_unchecked(key, &t)
            .unwrap();
    };

    // A level-0 tile in the middle of the log.
    let orig = flip((0, 123), 32 * 7 + 3);
    match run(&dir, &[]) {
        Err(AuditError::BadTile { path, position }) => {
            assert_eq!(path, "tile/0/123");
            assert_eq!(position, 7);
        }
        other => panic!("expected tile/0/123 to be named, got {other:?}"),
    }
    restore((0, 123), orig);
    run(&dir, &[]).unwrap();

    // A level-1 tile.
    let orig = flip((1, 0), 32 * 200);
    let err = run(&dir, &[]).unwrap_err().to_string();
    assert!(err.contains("tile/1/000"), "{err}");
    restore((1, 0), orig);

    // An entry: the bundle no longer hashes to the signed root.
    let store = dir.open_store().unwrap();
    let mut b = store.read_bundle(42).unwrap().unwrap();
    let orig = b.clone();
    b[2 + 4] ^= 0x01; // inside the first entry's payload
    store.overwrite_bundle_unchecked(42, &b).unwrap();
    drop(store);
    match run(&dir, &[]) {
        Err(AuditError::BadEntry { index, bundle, .. }) => {
            assert_eq!(index, 42 * 256);
            assert_eq!(bundle, "tile/entries/042");
        }
        other => panic!("expected entry 10752 to be named, got {other:?}"),
    }
    dir.open_store()
        .unwrap()
        .overwrite_bundle_unchecked(42, &orig)
        .unwrap();
    run(&dir, &[]).unwrap();
}

#[test]
fn forks_and_rollbacks_against_seen_checkpoints_are_caught() {
    let (_tmp, dir) = build(3_000);
    let skey = std::fs::read_to_string(dir.path.join("log.key")).unwrap();
    let signer = LogSigner::new(&skey, &dir.vkey().unwrap()).unwrap();
    // A checkpoint for size 1500 with another root: what a forking log would have shown someone.
    let forged = signer
        .sign(TreeHead {
            size: 1500,
            root: tanba::ledger::Hash([9; 32]),
        })
        .unwrap();
    match run(&dir, &[forged.note]) {
        Err(AuditError::Inconsistent { size, .. }) => assert_eq!(size, 1500),
        other => panic!("expected a fork at 1500, got {other:?}"),
    }
    let future = signer
        .sign(TreeHead {
            size: 9_999,
            root: tanba::ledger::Hash([1; 32]),
        })
        .unwrap();
    assert!(matches!(
        run(&dir, &[future.note]),
        Err(AuditError::RolledBack {
            seen: 9_999,
            latest: 3_000
        })
    ));
}

#[test]
fn cli_audit_reports_ok_and_failure_with_exit_codes() {
    let (_tmp, dir) = build(1_000);
    let out = common::tanba()
        .args(["ledger", "audit"])
        .arg(&dir.path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("OK:"));
    let store = dir.open_store().unwrap();
    let mut t = store.read_tiles(&[(0, 1)]).unwrap()[0].clone().unwrap();
    t[0] ^= 0x80;
    store.overwrite_tile_unchecked((0, 1), &t).unwrap();
    drop(store);
    let out = common::tanba()
        .args(["ledger", "audit"])
        .arg(&dir.path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("FAILED") && stdout.contains("tile/0/001"),
        "{stdout}"
    );
}

#[test]
fn a_flipped_interior_node_is_named_too() {
    let (_tmp, dir) = build(3_000);
    let store = dir.open_store().unwrap();
    let mut t = store.read_tiles(&[(0, 3)]).unwrap()[0].clone().unwrap();
    // Past the 256 level-0 hashes: an interior node that only proofs use.
    let at = 2 + 256 * 32 + 40;
    t[at] ^= 0x02;
    store.overwrite_tile_unchecked((0, 3), &t).unwrap();
    drop(store);
    match run(&dir, &[]) {
        Err(AuditError::BadInterior { path }) => assert_eq!(path, "tile/0/003"),
        other => panic!("expected tile/0/003's interior to be named, got {other:?}"),
    }
}

#[test]
fn inclusion_by_hash_finds_indexed_and_not_yet_indexed_leaves() {
    let (_tmp, dir) = build(20_000);
    let log = dir.open_log().unwrap();
    // Everything is indexed after close; new leaves are found by scanning the tail.
    let extra = log.append_blocking(Entry::v1(b"fresh").unwrap()).unwrap();
    log.checkpoint_now_blocking().unwrap();
    for (i, bytes) in [
        (17u64, Entry::v1(b"document 17").unwrap()),
        (extra, Entry::v1(b"fresh").unwrap()),
    ] {
        let h = tlog_tiles::record_hash(bytes.as_bytes());
        let p = log
            .inclusion_proof_by_hash(&hex::encode(h.0), None)
            .unwrap();
        assert_eq!(p.index, i);
        p.verify(Some(bytes.as_bytes())).unwrap();
    }
    assert!(log.store().leaf_index_watermark().unwrap() >= 20_000);
    log.close();
    assert_eq!(log.store().leaf_index_watermark().unwrap(), 20_001);
}

#[test]
fn cli_proofs_verify_and_a_tampered_proof_is_refused() {
    let (tmp, dir) = build(1_000);
    let d = dir.path.to_str().unwrap();
    let proof = tmp.path().join("p.json");
    for args in [vec!["--index", "517"], vec!["--from", "10"]] {
        let out = common::tanba()
            .args(["ledger", "proof", "--data", d])
            .args(&args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(&proof, &out.stdout).unwrap();
        let ok = common::tanba()
            .args(["ledger", "verify-proof", "--data", d])
            .arg(&proof)
            .output()
            .unwrap();
        assert_eq!(
            ok.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&ok.stdout)
        );
        // One changed hash in the proof path: exit 1, and the reason.
        let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let h = v["proof"][0].as_str().unwrap().to_string();
        let flipped = if h.starts_with('A') {
            h.replacen('A', "B", 1)
        } else {
            format!("A{}", &h[1..])
        };
        v["proof"][0] = serde_json::json!(flipped);
        std::fs::write(&proof, serde_json::to_vec(&v).unwrap()).unwrap();
        let bad = common::tanba()
            .args(["ledger", "verify-proof", "--data", d])
            .arg(&proof)
            .output()
            .unwrap();
        assert_eq!(bad.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&bad.stdout).starts_with("INVALID"));
    }
    // A proof under another log's key is refused too.
    let other = tanba::ledger::generate_log_key("tanba.test/ledger")
        .unwrap()
        .1;
    let out = common::tanba()
        .args(["ledger", "proof", "--data", d, "--index", "3"])
        .output()
        .unwrap();
    std::fs::write(&proof, &out.stdout).unwrap();
    let bad = common::tanba()
        .args(["ledger", "verify-proof", "--vkey", &other])
        .arg(&proof)
        .output()
        .unwrap();
    assert_eq!(
        bad.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&bad.stdout)
    );
}
