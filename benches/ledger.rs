//! Ledger benchmarks (criterion). Figures and the machine go in README.md § Performance.
//!
//! - `append/durable/B`: appends per second when each commit carries B entries (one redb
//!   transaction with fsync per commit), beside `append/sha256/B`, the raw cost of the RFC 9162
//!   leaf hashes of the same entries, measured in the same run.
//! - `proof/*/N`: inclusion and consistency proofs at N entries, beside `proof/tile-read/N`,
//!   one stored tile read (the storage floor a proof cannot go below).
//! - `start/N`: opening the ledger with its start-up checks (what `tanba serve` does before
//!   it listens), at N entries.
//!
//! The large ledgers (1M and 10M entries of 128 bytes) are built once under
//! target/bench-ledgers and reused; `TANBA_BENCH_SIZES=1000000` limits the sizes. Building
//! also reports store bytes per entry and audits the 1M ledger, then flips one bit and audits
//! again to show the tile is named.

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tanba::data_dir::DataDir;
use tanba::ledger::audit::{StoreSource, audit};
use tanba::ledger::{Entry, Log};
use tanba::store::Store;

const ENTRY_BYTES: usize = 128;

fn entry(i: u64) -> Entry {
    let mut payload = [0u8; ENTRY_BYTES - 1];
    payload[..8].copy_from_slice(&i.to_be_bytes());
    payload[8..16].copy_from_slice(&i.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_be_bytes());
    Entry::v1(&payload).expect("128 bytes fit")
}

fn sizes() -> Vec<u64> {
    std::env::var("TANBA_BENCH_SIZES")
        .unwrap_or_else(|_| "1000000,10000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

fn bench_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-ledgers")
}

/// A ledger of `n` entries, built on first use.
fn ledger(n: u64) -> DataDir {
    let path = bench_dir().join(n.to_string());
    if let Ok(dir) = DataDir::open(&path) {
        let store = dir.open_store().unwrap();
        if store.tree_head().unwrap().size == n {
            return dir;
        }
        drop(store);
        std::fs::remove_dir_all(&path).unwrap();
    }
    let dir = DataDir::init(&path, "bench.tanba/ledger").unwrap();
    let log = dir.open_log().unwrap();
    let start = Instant::now();
    let mut i = 0;
    while i < n {
        let k = (n - i).min(8192);
        log.append_all_blocking((i..i + k).map(entry).collect())
            .unwrap();
        i += k;
    }
    log.close();
    let secs = start.elapsed().as_secs_f64();
    let bytes = log.store().disk_bytes().unwrap();
    eprintln!(
        "built {n} entries in {secs:.1} s ({:.0} appends/s at batch 8192); store {bytes} bytes = {:.1} bytes/entry ({ENTRY_BYTES}-byte entries)",
        n as f64 / secs,
        bytes as f64 / n as f64
    );
    dir
}

fn appends(c: &mut Criterion) {
    let mut g = c.benchmark_group("append");
    g.measurement_time(Duration::from_secs(8));
    for batch in [1u64, 64, 1024] {
        g.throughput(Throughput::Elements(batch));
        let entries: Vec<Entry> = (0..batch).map(entry).collect();
        g.bench_with_input(BenchmarkId::new("sha256", batch), &entries, |b, es| {
            b.iter(|| {
                es.iter()
                    .map(|e| tlog_tiles::record_hash(e.as_bytes()))
                    .fold(0u8, |a, h| a ^ h.0[0])
            })
        });
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::init(&tmp.path().join("d"), "bench.tanba/ledger").unwrap();
        let log = dir.open_log().unwrap();
        let mut next = 0u64;
        g.bench_function(BenchmarkId::new("durable", batch), |b| {
            b.iter_batched(
                || {
                    let es: Vec<Entry> = (next..next + batch).map(entry).collect();
                    next += batch;
                    es
                },
                |es| log.append_all_blocking(es).unwrap(),
                BatchSize::SmallInput,
            )
        });
        log.close();
    }
    g.finish();
}

fn proofs_and_start(c: &mut Criterion) {
    for n in sizes() {
        let dir = ledger(n);
        if n == 1_000_000 {
            audit_demo(&dir);
        }
        let mut g = c.benchmark_group("start");
        g.sample_size(10);
        g.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| {
                let log: Log = dir.open_log().unwrap();
                log.close();
            })
        });
        g.finish();

        let log = dir.open_log().unwrap();
        let mut g = c.benchmark_group("proof");
        let mut x = 0x1234_5678_9abc_def1u64;
        let mut rand = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        g.bench_function(BenchmarkId::new("tile-read", n), |b| {
            b.iter(|| log.store().read_tiles(&[(0, rand() % (n / 256))]).unwrap())
        });
        g.bench_function(BenchmarkId::new("inclusion", n), |b| {
            b.iter(|| log.inclusion_proof(rand() % n, None).unwrap())
        });
        g.bench_function(BenchmarkId::new("consistency", n), |b| {
            b.iter(|| log.consistency_proof(1 + rand() % (n - 1), None).unwrap())
        });
        g.finish();
        log.close();
    }
}

/// Audits the 1M ledger, then a copy with one flipped bit, and reports both.
fn audit_demo(dir: &DataDir) {
    let verifier = dir.verifier().unwrap();
    let store = dir.open_store().unwrap();
    let start = Instant::now();
    let report = audit(
        &StoreSource::new(store.as_ref()),
        &verifier,
        &[],
        &mut |_| {},
    )
    .unwrap();
    eprintln!(
        "audit of {} entries and {} tiles passed in {:.2} s",
        report.entries,
        report.tiles,
        start.elapsed().as_secs_f64()
    );
    drop(store);
    let copy = bench_dir().join("1000000-flipped");
    let _ = std::fs::remove_dir_all(&copy);
    std::fs::create_dir_all(&copy).unwrap();
    for f in ["config.json", "log.vkey", "log.key", "ledger.redb"] {
        std::fs::copy(dir.path.join(f), copy.join(f)).unwrap();
    }
    let flipped = DataDir::open(&copy).unwrap().open_store().unwrap();
    let mut t = flipped.read_tiles(&[(0, 2024)]).unwrap()[0]
        .clone()
        .unwrap();
    t[32 * 100 + 17] ^= 0x08;
    flipped.overwrite_tile_unchecked((0, 2024), &t).unwrap();
    let err = audit(
        &StoreSource::new(flipped.as_ref()),
        &verifier,
        &[],
        &mut |_| {},
    )
    .unwrap_err();
    eprintln!("audit after flipping one bit of tile/0/x002/024: {err}");
    drop(flipped);
    let _ = std::fs::remove_dir_all(&copy);
}

criterion_group!(benches, appends, proofs_and_start);
criterion_main!(benches);
