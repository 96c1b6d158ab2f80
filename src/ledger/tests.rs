//! Known-answer and construction tests of the log, with the Certificate Transparency reference
//! vectors (RFC 6962 test data, as in certificate-transparency-go's `testonly` package).

use super::*;
use crate::store::{RedbStore, Store};
use std::sync::Arc;
use tlog_tiles::{Tile, record_hash};

pub(crate) fn temp_log(dir: &std::path::Path) -> (Log, Arc<RedbStore>) {
    let store = Arc::new(RedbStore::open(&dir.join("l.redb")).unwrap());
    let (skey, vkey) = generate_log_key("tanba.test/log").unwrap();
    let log = Log::open(
        store.clone(),
        LogSigner::new(&skey, &vkey).unwrap(),
        LogConfig::default(),
    )
    .unwrap();
    (log, store)
}

/// The eight leaves of the CT reference test data.
const CT_LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// MTH of the first n leaves, n = 1..=8.
const CT_ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// (leaf index, tree size, audit path)
const CT_INCLUSION: [(u64, u64, &[&str]); 4] = [
    (
        0,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        3,
        &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    ),
    (
        1,
        5,
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
];

/// (old size, new size, consistency proof)
const CT_CONSISTENCY: [(u64, u64, &[&str]); 4] = [
    (1, 1, &[]),
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
];

fn hex_to_b64(h: &str) -> String {
    use base64::Engine as _;
    base64::prelude::BASE64_STANDARD.encode(hex::decode(h).unwrap())
}

#[test]
fn ct_reference_vectors_roots_inclusion_and_consistency() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = temp_log(dir.path());
    assert_eq!(
        log.checkpoint().head.root.0.to_vec(),
        hex::decode("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855").unwrap(),
        "empty tree root is SHA-256 of the empty string"
    );
    for (i, leaf) in CT_LEAVES.iter().enumerate() {
        // Raw CT leaves, not version-1 entries: the vectors fix the bytes hashed.
        let index = log
            .append_blocking(Entry(hex::decode(leaf).unwrap()))
            .unwrap();
        assert_eq!(index, i as u64);
        let cp = log.checkpoint_now_blocking().unwrap();
        assert_eq!(cp.head.size, i as u64 + 1);
        assert_eq!(
            hex::encode(cp.head.root.0),
            CT_ROOTS[i],
            "root at size {}",
            i + 1
        );
    }
    for (index, size, path) in CT_INCLUSION {
        let p = log.inclusion_proof(index, Some(size)).unwrap();
        let want: Vec<String> = path.iter().map(|h| hex_to_b64(h)).collect();
        assert_eq!(p.proof, want, "inclusion proof ({index}, {size})");
        assert_eq!(p.root_hash, hex_to_b64(CT_ROOTS[size as usize - 1]));
        p.verify(Some(&hex::decode(CT_LEAVES[index as usize]).unwrap()))
            .unwrap();
    }
    for (from, to, path) in CT_CONSISTENCY {
        let p = log.consistency_proof(from, Some(to)).unwrap();
        let want: Vec<String> = path.iter().map(|h| hex_to_b64(h)).collect();
        assert_eq!(p.proof, want, "consistency proof ({from}, {to})");
        p.verify().unwrap();
    }
}

/// Hash tiles recomputed from scratch: level 0 from the entries, level L+1 from full tiles.
fn tiles_from_scratch(entries: &[Vec<u8>]) -> std::collections::HashMap<(u8, u64), Vec<u8>> {
    let mut out = std::collections::HashMap::new();
    let mut level: Vec<Hash> = entries.iter().map(|e| record_hash(e)).collect();
    let mut l = 0u8;
    while !level.is_empty() {
        let mut next = Vec::new();
        for (n, chunk) in level.chunks(256).enumerate() {
            let data: Vec<u8> = chunk.iter().flat_map(|h| h.0).collect();
            if chunk.len() == 256 {
                next.push(Tile::subtree_hash(&data));
            }
            out.insert((l, n as u64), data);
        }
        level = next;
        l += 1;
    }
    out
}

#[test]
fn incremental_tiles_and_bundles_equal_tiles_built_from_scratch() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = temp_log(dir.path());
    let mut entries = Vec::new();
    // Uneven batches that cross tile boundaries at level 0 and level 1.
    let mut next = 0u32;
    for batch in [1usize, 255, 1, 300, 513, 17, 64_000, 3] {
        let rxs: Vec<_> = (0..batch)
            .map(|_| {
                let e = Entry::v1(format!("entry {next}").as_bytes()).unwrap();
                next += 1;
                entries.push(e.as_bytes().to_vec());
                log.submit_waiting(e).unwrap()
            })
            .collect();
        for rx in rxs {
            rx.wait().unwrap();
        }
    }
    let cp = log.checkpoint_now_blocking().unwrap();
    let size = entries.len() as u64;
    assert_eq!(cp.head.size, size);
    let want = tiles_from_scratch(&entries);
    let ids = tile_ids_for_size(size);
    assert!(
        ids.iter()
            .any(|t| matches!(t, TileId::Hashes { level: 1, .. }))
    );
    for id in ids {
        let TileId::Hashes { level, n, .. } = id else {
            unreachable!()
        };
        let got = log.read_tile(id).unwrap().unwrap();
        assert_eq!(&got, &want[&(level, n)], "{}", id.path());
    }
    // Entry bundles hold exactly the entries, in order.
    for n in 0..size.div_ceil(256) {
        let width = (size - n * 256).min(256) as u16;
        let b = log
            .read_tile(TileId::Entries { n, width })
            .unwrap()
            .unwrap();
        let got = entry::split_bundle(&b).unwrap();
        assert_eq!(got.len(), width as usize);
        for (i, e) in got.iter().enumerate() {
            assert_eq!(*e, entries[(n * 256) as usize + i].as_slice());
        }
    }
    // A narrower partial tile is the prefix of the wider one; beyond the tree there is none.
    let p = log
        .read_tile(TileId::Hashes {
            level: 0,
            n: 0,
            width: 10,
        })
        .unwrap()
        .unwrap();
    assert_eq!(p, want[&(0, 0)][..320]);
    let beyond = size / 256 + 1;
    assert!(
        log.read_tile(TileId::Hashes {
            level: 0,
            n: beyond,
            width: 1
        })
        .unwrap()
        .is_none()
    );
}

#[test]
fn restart_resumes_the_same_tree_and_refuses_a_tampered_edge() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.redb");
    let (skey, vkey) = generate_log_key("tanba.test/log").unwrap();
    let open = || {
        let store = Arc::new(RedbStore::open(&path).unwrap());
        let log = Log::open(
            store.clone(),
            LogSigner::new(&skey, &vkey).unwrap(),
            LogConfig::default(),
        );
        (log, store)
    };
    let (log, store) = open();
    let log = log.unwrap();
    for i in 0..300u32 {
        log.append_blocking(Entry::v1(&i.to_be_bytes()).unwrap())
            .unwrap();
    }
    log.close();
    let first = log.checkpoint();
    assert_eq!(first.head.size, 300);
    drop(log);
    drop(store);

    let (log, store) = open();
    let log = log.unwrap();
    assert_eq!(log.checkpoint().head, first.head);
    assert_eq!(log.append_blocking(Entry::v1(b"after").unwrap()), Ok(300));
    log.close();
    let p = log.consistency_proof(300, None).unwrap();
    assert_eq!(p.from_root, base64_of(&first.head.root));
    p.verify().unwrap();
    drop(log);

    // Flip one bit of the right-edge level-0 tile: the stored tree no longer has the signed root.
    let mut tile = store.read_tiles(&[(0, 1)]).unwrap()[0].clone().unwrap();
    tile[5] ^= 0x10;
    store.overwrite_tile_unchecked((0, 1), &tile).unwrap();
    drop(store);
    let (log, _store) = open();
    let err = log
        .err()
        .expect("a tampered tree must not start")
        .to_string();
    assert!(err.contains("refusing to start"), "{err}");
}

fn base64_of(h: &Hash) -> String {
    use base64::Engine as _;
    base64::prelude::BASE64_STANDARD.encode(h.0)
}

#[test]
fn append_all_is_contiguous_and_in_order_among_concurrent_appenders() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = temp_log(dir.path());
    let log = Arc::new(log);
    let noise: Vec<_> = (0..4)
        .map(|t| {
            let log = log.clone();
            std::thread::spawn(move || {
                for k in 0..300 {
                    log.append_blocking(Entry::v1(format!("noise {t} {k}").as_bytes()).unwrap())
                        .unwrap();
                }
            })
        })
        .collect();
    let mut ranges = Vec::new();
    for g in 0..5 {
        let group: Vec<Entry> = (0..700)
            .map(|k| Entry::v1(format!("group {g} item {k}").as_bytes()).unwrap())
            .collect();
        let range = log.append_all_blocking(group.clone()).unwrap();
        assert_eq!(range.end - range.start, 700);
        ranges.push((range, group));
    }
    for n in noise {
        n.join().unwrap();
    }
    log.checkpoint_now_blocking().unwrap();
    for (range, group) in ranges {
        for (i, e) in range.zip(group) {
            assert_eq!(log.entry(i).unwrap().unwrap(), e.as_bytes());
        }
    }
    assert_eq!(log.checkpoint().head.size, 4 * 300 + 5 * 700);
}
