//! Profiling aid for bulk issuance: issues N batches of 100,000 synthetic attestats into one
//! fresh data directory (`cargo run --release --example issue_batches -- 6`) and prints, per
//! batch, the issuance rate beside the raw Ed25519 signing rate measured right after it, the
//! process's CPU time, and its resident memory. The criterion bench (`benches/issuance.rs`)
//! gives the figure; this shows how it moves from batch to batch — the first batches pay for
//! the memory the process is still growing into (fresh pages the kernel must zero), later ones
//! for a larger store. It also prints the data directory's files over 1 MB. `RUST_LOG=tanba=debug` adds each batch's check, store and commit times.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::Context as _;
use std::sync::Arc;
use tanba::issuance::Document;
use tanba::issuance::synthetic::{self, attestat};

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    tanba::alloc::keep_freed_memory();
    let batches: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()
        .context("the argument is the number of batches")?
        .unwrap_or(6);
    let tmp = tempfile::tempdir()?;
    let dir = tanba::data_dir::DataDir::init(&tmp.path().join("d"), "bench.tanba/ledger")?;
    let log = Arc::new(dir.open_log()?);
    let svc = dir.open_issuance(log)?;
    let root = dir.authority_key()?;
    let key = synthetic::register_school(&svc, &root)?;
    let today = time::macros::date!(2026 - 11 - 22);
    let msgs: Vec<Vec<u8>> = (0..2000u32)
        .map(|i| format!("{i:0300}").into_bytes())
        .collect();
    for b in 0..batches {
        let docs: Vec<Document> = (b * 100_000..(b + 1) * 100_000).map(attestat).collect();
        let before = Usage::now()?;
        let t = std::time::Instant::now();
        let out = svc
            .issue_batch(synthetic::SCHOOL_BIN, &key, &docs, today)
            .map_err(|e| anyhow::anyhow!("batch {}: {e}", b + 1))?;
        let seconds = t.elapsed().as_secs_f64();
        let after = Usage::now()?;
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
        let sizes: Vec<String> = std::fs::read_dir(tmp.path().join("d"))?
            .filter_map(|e| e.ok())
            .filter_map(|e| Some((e.file_name(), e.metadata().ok()?.len())))
            .filter(|(_, len)| *len > 1 << 20)
            .map(|(name, len)| format!("{} {} MB", name.to_string_lossy(), len >> 20))
            .collect();
        println!("  files: {}", sizes.join(", "));
    }
    Ok(())
}

/// This process's CPU seconds and resident memory, from `/proc/self/stat`.
struct Usage {
    user: f64,
    system: f64,
    resident_mb: u64,
}

impl Usage {
    fn now() -> anyhow::Result<Usage> {
        let stat = std::fs::read_to_string("/proc/self/stat")?;
        // The fields after the command name, which is in parentheses and may hold spaces.
        let f: Vec<&str> = stat
            .rsplit(')')
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        let field = |i: usize| -> anyhow::Result<f64> {
            f.get(i)
                .and_then(|v| v.parse().ok())
                .with_context(|| format!("/proc/self/stat has no number at field {}", i + 3))
        };
        Ok(Usage {
            user: field(11)? / 100.0,
            system: field(12)? / 100.0,
            resident_mb: field(21)? as u64 * 4 / 1024,
        })
    }
}
