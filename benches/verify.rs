//! Verification benchmarks (criterion), one core each; figures in README.md § Performance.
//!
//! - `verify/offline`: a QR text against a cached trust list — decode, COSE signature,
//!   authorisation — what `tanba verify --trust` and an offline app do per document.
//! - `verify/online`: the whole routine against the store and ledger of a data directory holding
//!   the documents — signatures, claims against commitments (one decryption), ledger entry and
//!   inclusion proof, status.
//! - `ed25519/verify`: the raw cost of one strict Ed25519 verification in the same run: the
//!   baseline both are reported against.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::sync::Arc;
use tanba::issuance::Document;
use tanba::issuance::synthetic::{self, attestat};
use tanba::verify::{Code, Verifier};

const DOCS: u64 = 2000;

fn verification(c: &mut Criterion) {
    tanba::alloc::keep_freed_memory();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tanba::data_dir::DataDir::init(&tmp.path().join("d"), "bench.tanba/ledger").unwrap();
    let log = Arc::new(dir.open_log().unwrap());
    let svc = dir.open_issuance(log.clone()).unwrap();
    let root = dir.authority_key().unwrap();
    let key = synthetic::register_school(&svc, &root).unwrap();
    let today = time::macros::date!(2026 - 11 - 22);
    let docs: Vec<Document> = (0..DOCS).map(attestat).collect();
    let issued = svc
        .issue_batch(synthetic::SCHOOL_BIN, &key, &docs, today)
        .unwrap();
    log.checkpoint_now_blocking().unwrap();
    let texts: Vec<String> = issued
        .iter()
        .zip(&docs)
        .map(|(c, d)| synthetic::qr_text(c, d, &key, "https://tanba.edu.kz").unwrap())
        .collect();
    let list = svc.registry().trust_list(&root, today).unwrap();
    let (registry, as_of) = list.registry(Some(&root.public())).unwrap();

    let mut g = c.benchmark_group("verify");
    g.throughput(Throughput::Elements(1));
    let offline = Verifier::Offline {
        registry: &registry,
        as_of,
    };
    let mut i = 0;
    g.bench_function("offline", |b| {
        b.iter(|| {
            i = (i + 1) % texts.len();
            let v = offline.verify_qr(&texts[i], None).unwrap();
            assert_eq!(v.status, Code::Valid);
        })
    });
    let online = Verifier::Online {
        issuance: &svc,
        log: &log,
    };
    g.bench_function("online", |b| {
        b.iter(|| {
            i = (i + 1) % texts.len();
            let v = online.verify_qr(&texts[i], None).unwrap();
            assert_eq!(v.status, Code::Valid);
        })
    });
    g.finish();

    let mut g = c.benchmark_group("ed25519");
    g.throughput(Throughput::Elements(1));
    let msg = b"a 300-byte message standing in for a signed QR payload".repeat(5);
    let sig = key.sign_raw(&msg);
    let public = key.public();
    g.bench_function("verify", |b| {
        b.iter(|| public.verify_raw(&msg, &sig).unwrap())
    });
    g.finish();
    log.close();
}

criterion_group!(benches, verification);
criterion_main!(benches);
