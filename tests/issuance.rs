//! Issuance end to end: registry changes and credentials land in the ledger, personal data
//! never does, bad batches issue nothing, duplicates are refused, erasure keeps commitments.

mod common;

use serde_json::json;
use std::sync::Arc;
use tanba::credential::issuer_key::IssuerSigningKey;
use tanba::credential::kinds::{Attestat, AttestatLevel, Holder, Subject};
use tanba::credential::record::SignedHeader;
use tanba::credential::sealed::MasterKey;
use tanba::issuance::{Document, IndexKey, Issuance, IssueError};
use tanba::ledger::audit::{StoreSource, audit};
use tanba::registry::{Change, Names};
use time::macros::date;

const SCHOOL: &str = "970940001239";

/// IIN with its check digit (prefix: 11 digits).
fn iin(prefix: &str) -> String {
    let d: Vec<u8> = prefix.bytes().map(|b| b - b'0').collect();
    let k = tanba::credential::ids::check_digit(&d.try_into().unwrap()).unwrap();
    format!("{prefix}{k}")
}

fn student(n: u32) -> Document {
    Document::Attestat(Attestat {
        holder: Holder {
            full_name: format!(
                "Оқушы Әсел Нұрланқызы {}",
                ["А", "Б", "В", "Г", "Ғ"][n as usize % 5]
            ),
            iin: iin(&format!("080315600{:02}", n)),
        },
        level: AttestatLevel::GeneralSecondary,
        school: "№ 25 мектеп-гимназиясы".into(),
        study_start: "2014-09-01".into(),
        study_end: "2026-05-25".into(),
        issued_on: "2026-06-20".into(),
        series: "ЖОБ".into(),
        number: format!("00123{n:02}"),
        honours: None,
        subjects: vec![
            Subject {
                name: "Қазақ тілі".into(),
                grade: 5,
            },
            Subject {
                name: "Математика".into(),
                grade: 4,
            },
        ],
    })
}

struct Fixture {
    _tmp: tempfile::TempDir,
    dir: tanba::data_dir::DataDir,
    log: Arc<tanba::ledger::Log>,
    root: IssuerSigningKey,
    key: IssuerSigningKey,
    master: [u8; 32],
    svc: Issuance,
}

fn open(
    dir: &tanba::data_dir::DataDir,
    log: &Arc<tanba::ledger::Log>,
    root: &IssuerSigningKey,
    master: &[u8; 32],
) -> Issuance {
    Issuance::open(
        log.clone(),
        log.store_arc(),
        MasterKey::from_bytes(master),
        IndexKey::from_bytes([3; 32]),
        root.public(),
    )
    .unwrap_or_else(|e| panic!("{e} ({})", dir.path.display()))
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::init(tmp.path());
    let log = Arc::new(dir.open_log().unwrap());
    let root = IssuerSigningKey::generate();
    let key = IssuerSigningKey::generate();
    let (master, _) = MasterKey::generate();
    let svc = open(&dir, &log, &root, &master);
    let reg = svc.registry();
    let c1 = reg
        .sign(
            &root,
            Change::RegisterIssuer {
                seq: 1,
                bin: SCHOOL.into(),
                names: Names {
                    kk: "№ 25 мектеп-гимназиясы".into(),
                    ru: "Школа-гимназия № 25".into(),
                    en: "School-Gymnasium No. 25".into(),
                },
                kinds: vec![tanba::credential::record::DocumentKind::Attestat],
            },
        )
        .unwrap();
    svc.change_registry(&c1).unwrap();
    let c2 = svc
        .registry()
        .sign(
            &root,
            Change::AddKey {
                seq: 2,
                bin: SCHOOL.into(),
                key_id: key.public().key_id(),
                public_key: key.public().to_base64url(),
                not_before: "2025-01-01".into(),
                not_after: "2027-12-31".into(),
            },
        )
        .unwrap();
    svc.change_registry(&c2).unwrap();
    Fixture {
        _tmp: tmp,
        dir,
        log,
        root,
        key,
        master,
        svc,
    }
}

const TODAY: time::Date = date!(2026 - 11 - 22);

#[test]
fn a_class_is_issued_committed_without_personal_data_and_reopened() {
    let f = fixture();
    let class: Vec<Document> = (0..25).map(student).collect();
    let before = f.log.checkpoint_now_blocking().unwrap().head.size;
    let issued = f.svc.issue_batch(SCHOOL, &f.key, &class, TODAY).unwrap();
    assert_eq!(issued.len(), 25);
    let cp = f.log.checkpoint_now_blocking().unwrap();
    assert_eq!(cp.head.size, before + 25);
    for (i, c) in issued.iter().enumerate() {
        assert_eq!(
            c.ledger_index,
            before + i as u64,
            "one contiguous ledger transaction"
        );
        let entry = f.log.entry(c.ledger_index).unwrap().unwrap();
        let text = String::from_utf8(entry[1..].to_vec()).unwrap();
        let Document::Attestat(a) = &class[i] else {
            unreachable!()
        };
        assert!(
            !text.contains(&a.holder.iin) && !text.contains("Әсел") && !text.contains("Математика"),
            "{text}"
        );
        let signed = SignedHeader::from_ledger_payload(&entry[1..]).unwrap();
        signed.verify_signature(&f.key.public()).unwrap();
        let shown = signed.disclosed_claims(&c.disclosures).unwrap();
        assert_eq!(shown, class[i].claims());
        let opened = f.svc.open_credential(&c.id, None).unwrap();
        assert_eq!(opened.claims, class[i].claims());
        assert_eq!(opened.public.ledger_index, Some(c.ledger_index));
    }
    // The holder finds their document again by IIN: re-access, not re-issue.
    let Document::Attestat(a) = &class[7] else {
        unreachable!()
    };
    assert_eq!(
        f.svc.credentials_of(&a.holder.iin).unwrap(),
        vec![issued[7].id]
    );
}

#[test]
fn bad_rows_duplicates_and_unauthorised_issuers_issue_nothing() {
    let f = fixture();
    let size = || f.log.checkpoint_now_blocking().unwrap().head.size;
    let start = size();
    let mut class: Vec<Document> = (0..5).map(student).collect();
    if let Document::Attestat(a) = &mut class[3] {
        a.subjects[1].grade = 7;
        a.holder.iin = "080315600031".into();
    }
    class.push(student(1)); // the same student twice in one batch
    let Err(IssueError::Invalid(rows)) = f.svc.issue_batch(SCHOOL, &f.key, &class, TODAY) else {
        panic!("an invalid batch must be refused");
    };
    let report: Vec<(usize, Vec<String>)> = rows
        .iter()
        .map(|r| (r.row, r.errors.iter().map(|e| e.field.clone()).collect()))
        .collect();
    assert_eq!(
        report,
        vec![
            (
                3,
                vec!["holder.iin".to_string(), "subjects[1].grade".to_string()]
            ),
            (5, vec!["holder".to_string()]),
        ]
    );
    assert_eq!(size(), start, "nothing reached the ledger");

    let first = f
        .svc
        .issue_batch(SCHOOL, &f.key, &[student(9)], TODAY)
        .unwrap();
    let Err(IssueError::Invalid(rows)) = f.svc.issue_batch(SCHOOL, &f.key, &[student(9)], TODAY)
    else {
        panic!("a duplicate must be refused");
    };
    assert!(
        rows[0].errors[0].rule.contains(&first[0].id.to_string()),
        "{:?}",
        rows[0]
    );

    // A diploma from a school, and a key the registry does not know.
    let stranger = IssuerSigningKey::generate();
    let Err(IssueError::Invalid(rows)) =
        f.svc.issue_batch(SCHOOL, &stranger, &[student(10)], TODAY)
    else {
        panic!("an unregistered key must be refused");
    };
    assert!(
        rows[0].errors[0].rule.contains("has no key"),
        "{:?}",
        rows[0]
    );
    let revoke = f
        .svc
        .registry()
        .sign(
            &f.root,
            Change::RevokeKey {
                seq: 3,
                bin: SCHOOL.into(),
                key_id: f.key.public().key_id(),
                revoked_on: "2026-01-01".into(),
                reason: "key compromised".into(),
            },
        )
        .unwrap();
    f.svc.change_registry(&revoke).unwrap();
    let Err(IssueError::Invalid(rows)) = f.svc.issue_batch(SCHOOL, &f.key, &[student(11)], TODAY)
    else {
        panic!("a revoked key must be refused");
    };
    assert!(
        rows[0].errors[0].rule.contains("revoked on 2026-01-01"),
        "{:?}",
        rows[0]
    );
    assert_eq!(
        size(),
        start + 1 + 1,
        "one credential and one registry change since the start"
    );
}

#[test]
fn erasure_keeps_the_commitment_and_restart_keeps_the_registry() {
    let f = fixture();
    let issued = f
        .svc
        .issue_batch(SCHOOL, &f.key, &[student(1), student(2)], TODAY)
        .unwrap();
    f.log.checkpoint_now_blocking().unwrap();
    assert!(f.svc.erase(&issued[0].id).unwrap());
    assert!(matches!(
        f.svc.open_credential(&issued[0].id, None),
        Err(IssueError::Erased(_))
    ));
    f.svc.open_credential(&issued[1].id, None).unwrap();
    // The ledger entry still verifies, and the holder's own disclosures still match it.
    let entry = f.log.entry(issued[0].ledger_index).unwrap().unwrap();
    let signed = SignedHeader::from_ledger_payload(&entry[1..]).unwrap();
    signed.verify_signature(&f.key.public()).unwrap();
    signed.disclosed_claims(&issued[0].disclosures).unwrap();

    // A new service over the same store rebuilds the registry from its changes.
    let again = open(&f.dir, &f.log, &f.root, &f.master);
    let reg = again.registry();
    assert_eq!(reg.next_seq(), 3);
    assert!(
        reg.authorise(
            SCHOOL,
            &f.key.public().key_id(),
            tanba::credential::record::DocumentKind::Attestat,
            date!(2026 - 06 - 20)
        )
        .is_ok()
    );
    let opened = again.open_credential(&issued[1].id, None).unwrap();
    assert_eq!(
        opened.claims["holder_name"],
        json!(student(2).claims()["holder_name"])
    );

    // And the ledger with registry and credential entries passes an audit.
    f.log.checkpoint_now_blocking().unwrap();
    let report = audit(
        &StoreSource::new(f.log.store()),
        f.log.verifier(),
        &[],
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(report.entries, 4);
}
