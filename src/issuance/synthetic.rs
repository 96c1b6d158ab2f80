//! Synthetic issuance for benchmarks and load tests: one school authorised for attestats,
//! and as many distinct, valid attestats as a run needs. Used by `benches/` and by
//! `examples/verify_load.rs` (the 1M-document verification load test); nothing in the service
//! calls it.

use super::{Document, Issuance, IssueError, IssuedCredential};
use crate::credential::ids::check_digit;
use crate::credential::issuer_key::IssuerSigningKey;
use crate::credential::kinds::{Attestat, AttestatLevel, Holder, Subject};
use crate::credential::qr;
use crate::credential::record::DocumentKind;
use crate::registry::{Change, Names};

/// The synthetic school's BIN (a valid check digit).
pub const SCHOOL_BIN: &str = "970940001239";

/// The n-th distinct valid IIN of a 2007 or 2008 birth (2,688,000 of them before repeating).
pub fn iin(n: u64) -> String {
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

/// The n-th synthetic general-secondary attestat: its own holder (IIN `iin(n)`) and number,
/// eight subjects.
pub fn attestat(n: u64) -> Document {
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

/// Registers the school [`SCHOOL_BIN`] for attestats with a fresh key valid 2025–2027, signed
/// by `root`, and returns that key.
pub fn register_school(
    svc: &Issuance,
    root: &IssuerSigningKey,
) -> Result<IssuerSigningKey, IssueError> {
    let key = IssuerSigningKey::generate();
    let seq = svc.registry().next_seq();
    let names = Names {
        kk: "Мектеп".into(),
        ru: "Школа".into(),
        en: "School".into(),
    };
    for change in [
        Change::RegisterIssuer {
            seq,
            bin: SCHOOL_BIN.into(),
            names,
            kinds: vec![DocumentKind::Attestat],
        },
        Change::AddKey {
            seq: seq + 1,
            bin: SCHOOL_BIN.into(),
            key_id: key.public().key_id(),
            public_key: key.public().to_base64url(),
            not_before: "2025-01-01".into(),
            not_after: "2027-12-31".into(),
        },
    ] {
        svc.change_registry(&svc.registry().sign(root, change)?)?;
    }
    Ok(key)
}

/// The QR text of an issued credential, as its PDF prints it: the claims the QR carries,
/// signed with the issuer's key, under `base_url`.
pub fn qr_text(
    issued: &IssuedCredential,
    doc: &Document,
    key: &IssuerSigningKey,
    base_url: &str,
) -> Result<String, qr::QrError> {
    let h = &issued.signed.header;
    let payload = qr::QrPayload {
        id: h.id,
        v: h.version,
        k: h.kind,
        iss: h.issuer.clone(),
        dt: h.issued_on.clone(),
        c: qr::offline_claims(h.kind, &doc.claims()),
    };
    qr::encode(&payload, key, base_url)
}
