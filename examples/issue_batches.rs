//! Profiling aid for bulk issuance: issues N batches of 100,000 synthetic attestats into one
//! fresh data directory (`cargo run --release --example issue_batches -- 6`) and prints, per
//! batch, the issuance rate beside the raw Ed25519 signing rate measured right after it, the
//! process's CPU time, and its resident memory. The criterion bench (`benches/issuance.rs`)
//! gives the figure; this shows how it moves from batch to batch — the first batches pay for
//! the memory the process is still growing into (fresh pages the kernel must zero), later ones
//! for a larger store. `RUST_LOG=tanba=debug` adds each batch's check, store and commit times.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use tanba::issuance::Document;
use tanba::issuance::synthetic::{self, attestat};

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    tanba::alloc::keep_freed_memory();
    let batches: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("the argument is the number of batches"))
        .unwrap_or(6);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tanba::data_dir::DataDir::init(&tmp.path().join("d"), "bench.tanba/ledger").unwrap();
    let log = Arc::new(dir.open_log().unwrap());
    let svc = dir.open_issuance(log).unwrap();
    let root = dir.authority_key().unwrap();
    let key = synthetic::register_school(&svc, &root).unwrap();
    let today = time::macros::date!(2026 - 11 - 22);
    let msgs: Vec<Vec<u8>> = (0..2000u32)
        .map(|i| format!("{i:0300}").into_bytes())
        .collect();
    for b in 0..batches {
        let docs: Vec<Document> = (b * 100_000..(b + 1) * 100_000).map(attestat).collect();
        let before = Usage::now();
        let t = std::time::Instant::now();
        let out = svc
            .issue_batch(synthetic::SCHOOL_BIN, &key, &docs, today)
            .unwrap();
        let seconds = t.elapsed().as_secs_f64();
        let after = Usage::now();
        drop(out);
        let t = std::time::Instant::now();
        for m in &msgs {
            std::hint::black_box(key.sign_raw(m));
        }
        let sign = msgs.len() as f64 / t.elapsed().as_secs_f64();
        println!(
            "batch {}: {:.0} credentials/s, signing {sign:.0}/s ({:.0}%), user {:.2} s, system {:.2} s, resident {} MB",
            b + 1,
            100_000.0 / seconds,
            100_000.0 / seconds / sign * 100.0,
            after.user - before.user,
            after.system - before.system,
            after.resident_mb,
        );
    }
}

/// This process's CPU seconds and resident memory, from `/proc/self/stat`.
struct Usage {
    user: f64,
    system: f64,
    resident_mb: u64,
}

impl Usage {
    fn now() -> Usage {
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
        let f: Vec<&str> = stat
            .rsplit(')')
            .next()
            .unwrap()
            .split_whitespace()
            .collect();
        let ticks = |i: usize| f[i].parse::<f64>().unwrap() / 100.0;
        Usage {
            user: ticks(11),
            system: ticks(12),
            resident_mb: f[21].parse::<u64>().unwrap() * 4 / 1024,
        }
    }
}
