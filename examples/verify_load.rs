//! The in-process halves of the verification load test, which `scripts/bench-verify.sh` runs
//! around `tanba serve` and the load generator (wrk):
//!
//! ```text
//! verify_load seed DIR COUNT SAMPLE
//! ```
//! creates the data directory DIR and issues COUNT distinct attestats into it, in batches of
//! 100,000, through the same `issue_batch` as the CLI and the API, without the per-document
//! files (PDF, PNG, VC), which verification never reads. It turns off the per-address
//! verification limit (the load generator is one address) and writes `DIR/load/qr.txt`:
//! the QR texts of SAMPLE documents spread evenly over the store, in shuffled order.
//!
//! ```text
//! verify_load baseline DIR SECONDS
//! ```
//! measures on one core, SECONDS each: raw strict Ed25519 verification (the baseline the
//! issue's targets are ratios of); offline verification of the sampled QR texts against the
//! data directory's trust list; and online verification, the whole routine against the store.
//! It prints `name per_second` lines. Run it while the server is stopped (the store is locked
//! by whichever process has it open).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tanba::data_dir::DataDir;
use tanba::issuance::Document;
use tanba::issuance::synthetic::{self, attestat};
use tanba::verify::{Code, Verifier};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const BATCH: u64 = 100_000;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["seed", dir, count, sample] => seed(Path::new(dir), count.parse()?, sample.parse()?),
        ["baseline", dir, secs] => baseline(Path::new(dir), Duration::from_secs(secs.parse()?)),
        _ => Err(
            "usage: verify_load seed DIR COUNT SAMPLE | verify_load baseline DIR SECONDS".into(),
        ),
    }
}

fn qr_file(dir: &Path) -> PathBuf {
    dir.join("load").join("qr.txt")
}

fn seed(path: &Path, count: u64, sample: u64) -> Result<()> {
    tanba::alloc::keep_freed_memory();
    if count == 0 || sample == 0 || sample > count {
        return Err(format!("need 0 < SAMPLE ≤ COUNT (got {sample} of {count})").into());
    }
    let mut dir = DataDir::init(path, "load.tanba/ledger")?;
    dir.config.verify_rate_per_s = 0;
    dir.save_config()?;
    let log = Arc::new(dir.open_log()?);
    let svc = dir.open_issuance(log.clone())?;
    let key = synthetic::register_school(&svc, &dir.authority_key()?)?;
    let today = time::OffsetDateTime::now_utc().date();
    // Every `stride`-th document goes into the sample.
    let stride = count / sample;
    let mut texts = Vec::with_capacity(sample as usize);
    let started = Instant::now();
    let mut first = 0;
    while first < count {
        let end = (first + BATCH).min(count);
        let docs: Vec<Document> = (first..end).map(attestat).collect();
        let issued = svc.issue_batch(synthetic::SCHOOL_BIN, &key, &docs, today)?;
        for (n, (c, d)) in (first..end).zip(issued.iter().zip(&docs)) {
            if n % stride == stride / 2 && (texts.len() as u64) < sample {
                texts.push(synthetic::qr_text(c, d, &key, &dir.config.public_url)?);
            }
        }
        first = end;
        eprintln!(
            "issued {first} of {count} ({:.0}/s)",
            first as f64 / started.elapsed().as_secs_f64()
        );
    }
    log.checkpoint_now_blocking()?;
    // A fixed shuffle (a multiplicative step coprime with the length), so consecutive
    // requests land far apart in the store.
    let len = texts.len();
    let step = (0..)
        .map(|k| len / 2 + 1 + k)
        .find(|s| gcd(*s, len) == 1)
        .unwrap_or(1);
    std::fs::create_dir_all(path.join("load"))?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(qr_file(path))?);
    for i in 0..len {
        writeln!(out, "{}", texts[(i * step) % len])?;
    }
    out.flush()?;
    log.close();
    println!(
        "seeded {count} attestats in {:.1} s; {len} QR texts in {}",
        started.elapsed().as_secs_f64(),
        qr_file(path).display()
    );
    Ok(())
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Runs `f` over and over for `secs`, returning calls per second.
fn rate(secs: Duration, mut f: impl FnMut(usize)) -> f64 {
    let started = Instant::now();
    let mut n = 0;
    while started.elapsed() < secs {
        for _ in 0..64 {
            f(n);
            n += 1;
        }
    }
    n as f64 / started.elapsed().as_secs_f64()
}

fn baseline(path: &Path, secs: Duration) -> Result<()> {
    tanba::alloc::keep_freed_memory();
    let texts: Vec<String> = std::fs::read_to_string(qr_file(path))?
        .lines()
        .map(str::to_string)
        .collect();
    if texts.is_empty() {
        return Err(format!("{} is empty", qr_file(path).display()).into());
    }
    let dir = DataDir::open(path)?;
    let log = Arc::new(dir.open_log()?);
    let svc = dir.open_issuance(log.clone())?;
    let root = dir.authority_key()?;
    let today = time::OffsetDateTime::now_utc().date();
    let list = svc.registry().trust_list(&root, today)?;
    let (registry, as_of) = list.registry(Some(&root.public()))?;

    let key = tanba::credential::issuer_key::IssuerSigningKey::generate();
    let msg = texts[0].as_bytes();
    let sig = key.sign_raw(msg);
    let public = key.public();
    let ed = rate(secs, |_| {
        public.verify_raw(msg, &sig).expect("own signature")
    });
    println!("ed25519_verify_per_s {ed:.0}");

    let offline = Verifier::Offline {
        registry: &registry,
        as_of,
    };
    let off = rate(secs, |i| {
        let v = offline
            .verify_qr(&texts[i % texts.len()], None)
            .expect("verdict");
        assert_eq!(v.status, Code::Valid, "{:?}", v.reason);
    });
    println!("offline_verify_per_s {off:.0}");

    let online = Verifier::Online {
        issuance: &svc,
        log: &log,
    };
    let on = rate(secs, |i| {
        let v = online
            .verify_qr(&texts[i % texts.len()], None)
            .expect("verdict");
        assert_eq!(v.status, Code::Valid, "{:?}", v.reason);
    });
    println!("online_verify_per_s {on:.0}");
    println!("ledger_entries {}", log.checkpoint().head.size);
    log.close();
    Ok(())
}
