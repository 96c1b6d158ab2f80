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
use tanba::credential::ids::check_digit;
use tanba::credential::issuer_key::IssuerSigningKey;
use tanba::credential::kinds::{Attestat, AttestatLevel, Holder, Subject};
use tanba::credential::record::DocumentKind;
use tanba::credential::{qr, vc};
use tanba::issuance::Document;
use tanba::registry::{Change, Names};

const BIN: &str = "970940001239";

/// The n-th distinct valid IIN of a 2007 or 2008 birth (2,688,000 of them before repeating).
fn iin(n: u64) -> String {
    let mut serial = n % 2000;
    let day = 1 + (n / 2000) % 28;
    let month = 1 + (n / 56_000) % 12;
    let sex = 5 + (n / 672_000) % 2;
    let year = 8 - (n / 1_344_000) % 2;
    loop {
        let prefix = format!("{year:02}{month:02}{day:02}{sex}{serial:04}");
        let d: Vec<u8> = prefix.bytes().map(|b| b - b'0').collect();
        if let Some(k) = check_digit(&d.try_into().expect("11 digits")) {
            return format!("{prefix}{k}");
        }
        serial += 2000; // stays distinct: bases are below 2000, retries above
    }
}

fn attestat(n: u64) -> Document {
    Document::Attestat(Attestat {
        holder: Holder {
            full_name: format!(
                "Оқушы Әсел {}",
                ["Нұрланқызы", "Серікқызы", "Асқарқызы", "Бекқызы"][n as usize % 4]
            ),
            iin: iin(n),
        },
        level: AttestatLevel::GeneralSecondary,
        school: "№ 25 мектеп-гимназиясы, Астана".into(),
        study_start: "2014-09-01".into(),
        study_end: "2026-05-25".into(),
        issued_on: "2026-06-20".into(),
        series: "ЖОБ".into(),
        number: format!("{n:07}"),
        honours: None,
        subjects: [
            "Қазақ тілі",
            "Орыс тілі",
            "Алгебра",
            "Геометрия",
            "Физика",
            "Химия",
            "Биология",
            "Қазақстан тарихы",
        ]
        .iter()
        .enumerate()
        .map(|(i, s)| Subject {
            name: s.to_string(),
            grade: 4 + (i as u8 + n as u8) % 2,
        })
        .collect(),
    })
}

fn issuance(c: &mut Criterion) {
    tanba::alloc::keep_freed_memory();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tanba::data_dir::DataDir::init(&tmp.path().join("d"), "bench.tanba/ledger").unwrap();
    let log = Arc::new(dir.open_log().unwrap());
    let svc = dir.open_issuance(log.clone()).unwrap();
    let root = dir.authority_key().unwrap();
    let key = IssuerSigningKey::generate();
    let reg = svc.registry();
    let names = Names {
        kk: "Мектеп".into(),
        ru: "Школа".into(),
        en: "School".into(),
    };
    svc.change_registry(
        &reg.sign(
            &root,
            Change::RegisterIssuer {
                seq: 1,
                bin: BIN.into(),
                names,
                kinds: vec![DocumentKind::Attestat],
            },
        )
        .unwrap(),
    )
    .unwrap();
    let reg = svc.registry();
    svc.change_registry(
        &reg.sign(
            &root,
            Change::AddKey {
                seq: 2,
                bin: BIN.into(),
                key_id: key.public().key_id(),
                public_key: key.public().to_base64url(),
                not_before: "2025-01-01".into(),
                not_after: "2027-12-31".into(),
            },
        )
        .unwrap(),
    )
    .unwrap();
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
            |docs| svc.issue_batch(BIN, &key, &docs, today).unwrap(),
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
            |docs| svc.issue_batch(BIN, &key, &docs, today).unwrap(),
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
        .issue_batch(BIN, &key, &[attestat(9_999_999)], today)
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
                issuer_bin: BIN,
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
