//! Issuance benchmarks (criterion). Figures and the machine go in README.md § Performance.
//!
//! - `issue/attestats/1000` and `issue/attestats/100000`: end-to-end bulk issuance of 1,000
//!   and of 100,000 distinct attestats per batch —
//!   validate, authorise, dedupe, salt and digest every claim, sign, seal, store in one
//!   transaction, append to the ledger in one transaction — in credentials per second; beside
//!   `ed25519/sign/1000`, the raw cost of 1,000 Ed25519 signatures in the same run.
//! - `artifacts/qr/encode+render`, `artifacts/vc/add_proof` and `artifacts/pdf/render`: the
//!   per-document files, one at a time on one core.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::sync::Arc;
use tanba::credential::{qr, vc};
use tanba::issuance::Document;
use tanba::issuance::synthetic::{self, attestat};

fn issuance(c: &mut Criterion) {
    tanba::alloc::keep_freed_memory();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tanba::data_dir::DataDir::init(&tmp.path().join("d"), "bench.tanba/ledger").unwrap();
    let log = Arc::new(dir.open_log().unwrap());
    let svc = dir.open_issuance(log.clone()).unwrap();
    let root = dir.authority_key().unwrap();
    let key = synthetic::register_school(&svc, &root).unwrap();
    let today = time::macros::date!(2026 - 11 - 22);

    let mut g = c.benchmark_group("issue");
    g.sample_size(20);
    g.throughput(Throughput::Elements(1000));
    let mut next = 0u64;
    g.bench_function(BenchmarkId::new("attestats", 1000), |b| {
        b.iter_batched(
            || {
                let docs: Vec<Document> = (next..next + 1000).map(attestat).collect();
                next += 1000;
                docs
            },
            |docs| {
                svc.issue_batch(synthetic::SCHOOL_BIN, &key, &docs, today)
                    .unwrap()
            },
            BatchSize::LargeInput,
        )
    });
    // The issue's figure: one bulk batch of 100,000 attestats.
    g.sample_size(10);
    g.throughput(Throughput::Elements(100_000));
    g.warm_up_time(std::time::Duration::from_secs(1));
    g.bench_function(BenchmarkId::new("attestats", 100_000), |b| {
        b.iter_batched(
            || {
                let docs: Vec<Document> = (next..next + 100_000).map(attestat).collect();
                next += 100_000;
                docs
            },
            |docs| {
                svc.issue_batch(synthetic::SCHOOL_BIN, &key, &docs, today)
                    .unwrap()
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();

    let mut g = c.benchmark_group("ed25519");
    g.throughput(Throughput::Elements(1000));
    let msgs: Vec<Vec<u8>> = (0..1000u32)
        .map(|i| format!("{i:0300}").into_bytes())
        .collect();
    g.bench_function(BenchmarkId::new("sign", 1000), |b| {
        b.iter(|| {
            msgs.iter()
                .map(|m| key.sign_raw(m)[0])
                .fold(0u8, |a, x| a ^ x)
        })
    });
    g.finish();

    let issued = svc
        .issue_batch(synthetic::SCHOOL_BIN, &key, &[attestat(9_999_999)], today)
        .unwrap();
    let header = issued[0].signed.header.clone();
    let claims = attestat(9_999_999).claims();
    let payload = qr::QrPayload {
        id: header.id,
        v: header.version,
        k: header.kind,
        iss: header.issuer.clone(),
        dt: header.issued_on.clone(),
        c: qr::offline_claims(header.kind, &claims),
    };
    let mut g = c.benchmark_group("artifacts");
    g.throughput(Throughput::Elements(1));
    g.bench_function("qr/encode+render", |b| {
        b.iter(|| {
            let text = qr::encode(&payload, &key, "https://tanba.edu.kz").unwrap();
            qr::render_png(&text, 6).unwrap()
        })
    });
    g.bench_function("vc/add_proof", |b| {
        b.iter(|| {
            let doc = vc::credential_document("tanba.edu.kz", &header, "Мектеп", &claims);
            vc::add_proof(
                doc,
                &key,
                "did:web:tanba.edu.kz:issuers:970940001239#k",
                "2026-06-20T00:00:00Z",
            )
            .unwrap()
        })
    });
    let text = qr::encode(&payload, &key, "https://tanba.edu.kz").unwrap();
    let doc = attestat(9_999_999);
    // Fonts load once per process; do it before timing.
    tanba::credential::pdf::fonts().unwrap();
    g.bench_function("pdf/render", |b| {
        b.iter(|| {
            tanba::credential::pdf::render(&tanba::credential::pdf::PdfInput {
                body: doc.pdf_body(),
                id: header.id,
                version: 1,
                issuer_bin: synthetic::SCHOOL_BIN,
                issuer_kk: "Мектеп",
                issuer_ru: "Школа",
                qr_text: &text,
                check_url: "https://tanba.edu.kz/check",
            })
            .unwrap()
        })
    });
    g.finish();
    log.close();
}

criterion_group!(benches, issuance);
criterion_main!(benches);
