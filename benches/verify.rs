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
use tanba::credential::ids::check_digit;
use tanba::credential::issuer_key::IssuerSigningKey;
use tanba::credential::kinds::{Attestat, AttestatLevel, Holder, Subject};
use tanba::credential::qr;
use tanba::credential::record::DocumentKind;
use tanba::issuance::Document;
use tanba::registry::{Change, Names};
use tanba::verify::{Code, Verifier};

const BIN: &str = "970940001239";
const DOCS: u64 = 2000;

fn iin(n: u64) -> String {
    let mut serial = n % 2000;
    let day = 1 + (n / 2000) % 28;
    loop {
        let prefix = format!("0801{day:02}6{serial:04}");
        let d: Vec<u8> = prefix.bytes().map(|b| b - b'0').collect();
        if let Some(k) = check_digit(&d.try_into().expect("11 digits")) {
            return format!("{prefix}{k}");
        }
        serial += 2000;
    }
}

fn attestat(n: u64) -> Document {
    Document::Attestat(Attestat {
        holder: Holder {
            full_name: "Оқушы Әсел Нұрланқызы".into(),
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
        subjects: ["Қазақ тілі", "Алгебра", "Физика", "Химия"]
            .iter()
            .map(|s| Subject {
                name: s.to_string(),
                grade: 5,
            })
            .collect(),
    })
}

fn verification(c: &mut Criterion) {
    tanba::alloc::keep_freed_memory();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tanba::data_dir::DataDir::init(&tmp.path().join("d"), "bench.tanba/ledger").unwrap();
    let log = Arc::new(dir.open_log().unwrap());
    let svc = dir.open_issuance(log.clone()).unwrap();
    let root = dir.authority_key().unwrap();
    let key = IssuerSigningKey::generate();
    let names = Names {
        kk: "Мектеп".into(),
        ru: "Школа".into(),
        en: "School".into(),
    };
    for change in [
        Change::RegisterIssuer {
            seq: 1,
            bin: BIN.into(),
            names,
            kinds: vec![DocumentKind::Attestat],
        },
        Change::AddKey {
            seq: 2,
            bin: BIN.into(),
            key_id: key.public().key_id(),
            public_key: key.public().to_base64url(),
            not_before: "2025-01-01".into(),
            not_after: "2027-12-31".into(),
        },
    ] {
        svc.change_registry(&svc.registry().sign(&root, change).unwrap())
            .unwrap();
    }
    let today = time::macros::date!(2026 - 11 - 22);
    let docs: Vec<Document> = (0..DOCS).map(attestat).collect();
    let issued = svc.issue_batch(BIN, &key, &docs, today).unwrap();
    log.checkpoint_now_blocking().unwrap();
    let texts: Vec<String> = issued
        .iter()
        .zip(&docs)
        .map(|(c, d)| {
            let h = &c.signed.header;
            let payload = qr::QrPayload {
                id: h.id,
                v: h.version,
                k: h.kind,
                iss: h.issuer.clone(),
                dt: h.issued_on.clone(),
                c: qr::offline_claims(h.kind, &d.claims()),
            };
            qr::encode(&payload, &key, "https://tanba.edu.kz").unwrap()
        })
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
