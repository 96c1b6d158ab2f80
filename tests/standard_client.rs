//! Done-means of the ledger: a standard tlog client with no Tanba code — Go's reference
//! packages golang.org/x/mod/sumdb/note and sumdb/tlog (tests/tlog-client) — verifies the
//! checkpoint signature, every tile and every entry of a served log, and that an earlier
//! checkpoint is consistent with a later one after a restart and more appends. It must also
//! reject a log whose served tile was tampered with.

mod common;

use std::process::Command;
use tanba::ledger::Entry;

fn append(dir: &tanba::data_dir::DataDir, from: u32, to: u32) {
    let log = dir.open_log().unwrap();
    let rxs: Vec<_> = (from..to)
        .map(|i| {
            log.submit_waiting(Entry::v1(format!("credential commitment {i}").as_bytes()).unwrap())
                .unwrap()
        })
        .collect();
    for rx in rxs {
        rx.wait().unwrap();
    }
    log.close();
}

fn client(bin: &std::path::Path, base: &str, vkey: &str, extra: &[&str]) -> (bool, String) {
    let out = Command::new(bin)
        .args(["-url", &format!("{base}/ledger"), "-vkey", vkey])
        .args(extra)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn go_reference_client_verifies_served_log_across_restart() {
    let bin = common::go_client();
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::init(tmp.path());
    let vkey = dir.vkey().unwrap();
    let saved = tmp.path().join("checkpoint-1");
    append(&dir, 0, 1000);

    let server = common::Server::start(&dir.path);
    let (ok, out) = client(
        &bin,
        &server.base,
        &vkey,
        &["-save", saved.to_str().unwrap()],
    );
    assert!(ok, "{out}");
    assert!(out.contains("size 1000"), "{out}");
    assert!(server.stop().success());

    // Restart with more entries: the earlier checkpoint must be consistent with the new one.
    append(&dir, 1000, 70_000);
    let server = common::Server::start(&dir.path);
    let (ok, out) = client(
        &bin,
        &server.base,
        &vkey,
        &["-old", saved.to_str().unwrap()],
    );
    assert!(ok, "{out}");
    assert!(
        out.contains("consistent with earlier checkpoint of size 1000"),
        "{out}"
    );
    assert!(out.contains("size 70000"), "{out}");

    // The same client with another key must refuse the checkpoint.
    let other = tanba::ledger::generate_log_key("tanba.test/ledger")
        .unwrap()
        .1;
    let (ok, out) = client(&bin, &server.base, &other, &[]);
    assert!(!ok, "a foreign key verified our checkpoint: {out}");
    drop(server);

    // Tamper with one full tile in the middle: the reference client must notice.
    let store = dir.open_store().unwrap();
    let mut t = tanba::store::Store::read_tiles(store.as_ref(), &[(0, 100)]).unwrap()[0]
        .clone()
        .unwrap();
    t[64] ^= 1;
    store.overwrite_tile_unchecked((0, 100), &t).unwrap();
    drop(store);
    let server = common::Server::start(&dir.path);
    let (ok, out) = client(&bin, &server.base, &vkey, &[]);
    assert!(!ok, "a tampered tile went unnoticed: {out}");

    // And `tanba ledger audit` over HTTP names it.
    let out = common::tanba()
        .args(["ledger", "audit", &server.base, "--vkey", &vkey])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("tile/0/100"), "{stdout}");
}
