//! Properties over random trees: every inclusion and consistency proof verifies, and a single
//! flipped bit in a leaf, a proof, a root or a checkpoint is rejected.

mod common;

use proptest::prelude::*;
use tanba::ledger::{Entry, Log};

fn build(tmp: &std::path::Path, batches: &[usize]) -> (Log, Vec<Vec<u8>>) {
    let dir = common::init(tmp);
    let log = dir.open_log().unwrap();
    let mut entries = Vec::new();
    for &b in batches {
        let rxs: Vec<_> = (0..b)
            .map(|_| {
                let e = Entry::v1(format!("leaf {}", entries.len()).as_bytes()).unwrap();
                entries.push(e.as_bytes().to_vec());
                log.submit_waiting(e).unwrap()
            })
            .collect();
        for rx in rxs {
            rx.wait().unwrap();
        }
    }
    log.checkpoint_now_blocking().unwrap();
    (log, entries)
}

fn flip(s: &str, bit: usize) -> String {
    use base64::Engine as _;
    let e = base64::prelude::BASE64_STANDARD;
    let mut b = e.decode(s).unwrap();
    let i = bit % (b.len() * 8);
    b[i / 8] ^= 1 << (i % 8);
    e.encode(b)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn every_proof_verifies_and_any_flipped_bit_is_rejected(
        batches in prop::collection::vec(1usize..300, 1..6),
        picks in prop::collection::vec((any::<u64>(), any::<u64>(), any::<usize>()), 8),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let (log, entries) = build(tmp.path(), &batches);
        let n = entries.len() as u64;
        for (a, b, bit) in picks {
            let size = 1 + b % n;
            let index = a % size;
            let p = log.inclusion_proof(index, Some(size)).unwrap();
            prop_assert!(p.verify(Some(&entries[index as usize])).is_ok());
            // A flipped bit in the leaf data.
            let mut leaf = entries[index as usize].clone();
            let i = bit % (leaf.len() * 8);
            leaf[i / 8] ^= 1 << (i % 8);
            prop_assert!(p.verify(Some(&leaf)).is_err());
            // In the proof path.
            if !p.proof.is_empty() {
                let mut q = p.clone();
                let k = bit % q.proof.len();
                q.proof[k] = flip(&q.proof[k], bit);
                prop_assert!(q.verify(None).is_err());
            }
            // In the root.
            let mut q = p.clone();
            q.root_hash = flip(&q.root_hash, bit);
            prop_assert!(q.verify(None).is_err());
            // The wrong index.
            if size > 1 {
                let mut q = p.clone();
                q.index = (index + 1) % size;
                prop_assert!(q.verify(None).is_err());
            }

            let from = 1 + a % size;
            let c = log.consistency_proof(from, Some(size)).unwrap();
            prop_assert!(c.verify().is_ok());
            if !c.proof.is_empty() {
                let mut q = c.clone();
                let k = bit % q.proof.len();
                q.proof[k] = flip(&q.proof[k], bit);
                prop_assert!(q.verify().is_err());
                let mut q = c.clone();
                q.from_root = flip(&q.from_root, bit);
                prop_assert!(q.verify().is_err());
            }
        }
        // A flipped bit anywhere in the signed checkpoint is rejected.
        let note = log.checkpoint().note.clone();
        let verifier = log.verifier().clone();
        prop_assert!(verifier.open(&note).is_ok());
        for bit in [0usize, 13, 8 * note.len() / 2, 8 * note.len() - 9] {
            let mut bad = note.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(verifier.open(&bad).is_err(), "bit {bit} flipped and still accepted");
        }
        log.close();
    }
}
