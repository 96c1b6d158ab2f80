//! Crash safety: a child process appends under load and is killed with SIGKILL at random
//! moments, many times over. After every kill the ledger must start, every index the child
//! acknowledged must hold the same entry, the tree must match the latest checkpoint, and every
//! checkpoint ever published must be consistent with the latest.

mod common;

use std::collections::HashMap;
use std::io::{BufReader, Write};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tanba::ledger::LogVerifier;

/// xorshift64*: enough randomness for kill timings without another dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

const ROUNDS: u32 = 20;

#[test]
fn sigkill_during_appends_never_loses_or_changes_acknowledged_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::init(tmp.path());
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("crash test seed {seed}");
    let mut rng = Rng(seed);
    // index → base64 leaf hash, across all rounds.
    let mut acked: HashMap<u64, String> = HashMap::new();
    let verifier = LogVerifier::new(&dir.vkey().unwrap()).unwrap();

    for round in 0..ROUNDS {
        let mut child = common::tanba()
            .args(["ledger", "append", "--lines", "--data"])
            .arg(&dir.path)
            .env("RUST_LOG", "error")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            let mut k = 0u64;
            loop {
                let line = format!(
                    "round {round} entry {k} {}\n",
                    "x".repeat((k % 200) as usize)
                );
                if stdin.write_all(line.as_bytes()).is_err() {
                    break;
                }
                k += 1;
            }
        });
        let got = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().unwrap();
        let reader = {
            let got = got.clone();
            std::thread::spawn(move || {
                // Only complete lines are acknowledgements: a kill can cut the last line short
                // (a pipe write larger than PIPE_BUF is not atomic), and a fragment proves nothing.
                let mut bytes = Vec::new();
                let _ = std::io::Read::read_to_end(&mut BufReader::new(stdout), &mut bytes);
                let complete = match bytes.iter().rposition(|b| *b == b'\n') {
                    Some(end) => &bytes[..end],
                    None => &bytes[..0],
                };
                for line in String::from_utf8_lossy(complete).lines() {
                    let (i, h) = line.split_once('\t').expect("index<TAB>hash");
                    assert_eq!(
                        h.len(),
                        44,
                        "a complete line holds a base64 SHA-256: {line:?}"
                    );
                    got.lock()
                        .unwrap()
                        .push((i.parse::<u64>().unwrap(), h.to_string()));
                }
            })
        };
        std::thread::sleep(Duration::from_millis(150 + rng.next() % 600));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        writer.join().unwrap();
        reader.join().unwrap();
        let got = std::mem::take(&mut *got.lock().unwrap());
        for (i, h) in got {
            if let Some(prev) = acked.insert(i, h.clone()) {
                assert_eq!(
                    prev, h,
                    "round {round}: index {i} was acknowledged for two entries"
                );
            }
        }

        // Restart: start-up checks must pass (the tree matches the latest checkpoint).
        let log = dir
            .open_log()
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        let cp = log.checkpoint_now_blocking().unwrap();
        for (&i, h) in &acked {
            assert!(
                i < cp.head.size,
                "round {round}: acknowledged index {i} is beyond the tree"
            );
            let entry = log.entry(i).unwrap().unwrap();
            let leaf = base64::Engine::encode(
                &base64::prelude::BASE64_STANDARD,
                tlog_tiles::record_hash(&entry).0,
            );
            assert_eq!(&leaf, h, "round {round}: index {i} holds a different entry");
        }
        let history = log.store().checkpoint_history().unwrap();
        for note in &history {
            let old = verifier.open(note).unwrap();
            if old.head.size == 0 {
                continue;
            }
            let p = log.consistency_proof(old.head.size, None).unwrap();
            let old_root =
                base64::Engine::encode(&base64::prelude::BASE64_STANDARD, old.head.root.0);
            assert_eq!(
                p.from_root, old_root,
                "round {round}: checkpoint {} is not a prefix",
                old.head.size
            );
            p.verify().unwrap();
        }
        log.close();
    }
    assert!(
        acked.len() > 1000,
        "too few acknowledged appends ({}) to mean anything",
        acked.len()
    );
    // Indexes acknowledged are dense from 0 within what was committed.
    eprintln!("{} entries acknowledged over {ROUNDS} kills", acked.len());
}
