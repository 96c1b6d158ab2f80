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
    // Ids follow the rows, so the store's id-keyed tables grow at their end.
    assert!(
        issued.windows(2).all(|w| w[0].id < w[1].id),
        "credential ids out of row order"
    );
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

mod lifecycle {
    use super::*;
    use tanba::credential::lifecycle::{Action, Reason, SignedStatusChange, Status};

    fn status_event(f: &Fixture, index: u64) -> SignedStatusChange {
        f.log.checkpoint_now_blocking().unwrap();
        let entry = f.log.entry(index).unwrap().unwrap();
        #[derive(serde::Deserialize)]
        struct Event {
            change: tanba::credential::lifecycle::StatusChange,
            sig: String,
        }
        let e: Event = serde_json::from_slice(&entry[1..]).unwrap();
        SignedStatusChange {
            change: e.change,
            sig: e.sig,
        }
    }

    #[test]
    fn revoke_and_reinstate_are_signed_ledger_events_checked_against_the_status() {
        let f = fixture();
        let c = &f
            .svc
            .issue_batch(SCHOOL, &f.key, &[student(1)], TODAY)
            .unwrap()[0];
        let on = date!(2026 - 07 - 01);
        let s = f
            .svc
            .change_status(
                SCHOOL,
                &f.key,
                &c.id,
                tanba::issuance::StatusRequest {
                    action: Action::Revoke,
                    reason: Reason::IssuedInError,
                    on,
                },
                TODAY,
            )
            .unwrap();
        assert_eq!(
            s,
            Status::Revoked {
                on: "2026-07-01".into(),
                reason: Reason::IssuedInError
            }
        );
        let err = f
            .svc
            .change_status(
                SCHOOL,
                &f.key,
                &c.id,
                tanba::issuance::StatusRequest {
                    action: Action::Revoke,
                    reason: Reason::Fraud,
                    on,
                },
                TODAY,
            )
            .unwrap_err();
        assert!(
            err.to_string().contains("is revoked; it cannot be revoked"),
            "{err}"
        );
        let err = f
            .svc
            .amend(SCHOOL, &f.key, &c.id, &student(1), TODAY)
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("only a valid credential can be corrected"),
            "{err}"
        );
        let s = f
            .svc
            .change_status(
                SCHOOL,
                &f.key,
                &c.id,
                tanba::issuance::StatusRequest {
                    action: Action::Reinstate,
                    reason: Reason::GroundsLifted,
                    on,
                },
                TODAY,
            )
            .unwrap();
        assert_eq!(s, Status::Valid);
        let err = f
            .svc
            .change_status(
                SCHOOL,
                &f.key,
                &c.id,
                tanba::issuance::StatusRequest {
                    action: Action::Reinstate,
                    reason: Reason::GroundsLifted,
                    on,
                },
                TODAY,
            )
            .unwrap_err();
        assert!(
            err.to_string().contains("only a revoked credential can"),
            "{err}"
        );
        let err = f
            .svc
            .change_status(
                SCHOOL,
                &f.key,
                &c.id,
                tanba::issuance::StatusRequest {
                    action: Action::Terminate,
                    reason: Reason::Majority,
                    on,
                },
                TODAY,
            )
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("only a guardianship act can be terminated"),
            "{err}"
        );
        let err = f
            .svc
            .change_status(
                SCHOOL,
                &f.key,
                &c.id,
                tanba::issuance::StatusRequest {
                    action: Action::Revoke,
                    reason: Reason::Fraud,
                    on: date!(2027 - 01 - 01),
                },
                TODAY,
            )
            .unwrap_err();
        assert!(err.to_string().contains("in the future"), "{err}");
        // Both events are in the ledger, signed by the issuer, without personal data.
        let first = c.ledger_index + 1;
        for (i, action) in [(first, Action::Revoke), (first + 1, Action::Reinstate)] {
            let e = status_event(&f, i);
            e.verify(&f.key.public()).unwrap();
            assert_eq!(e.change.action, action);
            assert_eq!(e.change.id, c.id);
        }
        // Another organisation cannot touch it.
        let other = IssuerSigningKey::generate();
        let err = f
            .svc
            .change_status(
                "050140003254",
                &other,
                &c.id,
                tanba::issuance::StatusRequest {
                    action: Action::Revoke,
                    reason: Reason::Fraud,
                    on,
                },
                TODAY,
            )
            .unwrap_err();
        assert!(
            err.to_string().contains("did not issue this credential"),
            "{err}"
        );
    }

    #[test]
    fn amending_issues_a_new_version_and_keeps_the_history() {
        let f = fixture();
        let c = &f
            .svc
            .issue_batch(SCHOOL, &f.key, &[student(2)], TODAY)
            .unwrap()[0];
        let mut corrected = student(2);
        if let Document::Attestat(a) = &mut corrected {
            a.subjects[1].grade = 5;
        }
        let v2 = f
            .svc
            .amend(SCHOOL, &f.key, &c.id, &corrected, TODAY)
            .unwrap();
        assert_eq!((v2.id, v2.version), (c.id, 2));
        assert_eq!(
            f.svc.status(&c.id, Some(1)).unwrap().1,
            Status::Superseded { by_version: 2 }
        );
        assert_eq!(f.svc.status(&c.id, None).unwrap(), (2, Status::Valid));
        let old = f.svc.open_credential(&c.id, Some(1)).unwrap();
        let new = f.svc.open_credential(&c.id, Some(2)).unwrap();
        assert_eq!(
            old.claims["subjects"][1]["grade"], 4,
            "history stays readable"
        );
        assert_eq!(new.claims["subjects"][1]["grade"], 5);
        f.log.checkpoint_now_blocking().unwrap();
        let entry = f.log.entry(v2.ledger_index).unwrap().unwrap();
        let signed = SignedHeader::from_ledger_payload(&entry[1..]).unwrap();
        signed.verify_signature(&f.key.public()).unwrap();
        assert_eq!(signed.header.version, 2);
        // A diploma cannot replace an attestat, and an invalid correction is refused.
        let mut bad = corrected.clone();
        if let Document::Attestat(a) = &mut bad {
            a.subjects[0].grade = 9;
        }
        assert!(matches!(
            f.svc.amend(SCHOOL, &f.key, &c.id, &bad, TODAY),
            Err(IssueError::Invalid(_))
        ));
        assert_eq!(
            f.svc.status(&c.id, None).unwrap().0,
            2,
            "nothing was issued"
        );
    }

    #[test]
    fn a_guardianship_act_is_terminated() {
        use tanba::credential::kinds::{
            Basis, Guardianship, GuardianshipForm, GuardianshipStatus, Person,
        };
        let f = fixture();
        let authority = "980340001239";
        let gkey = IssuerSigningKey::generate();
        let reg = f.svc.registry();
        f.svc
            .change_registry(
                &reg.sign(
                    &f.root,
                    Change::RegisterIssuer {
                        seq: reg.next_seq(),
                        bin: authority.into(),
                        names: Names {
                            kk: "Қорғаншылық органы".into(),
                            ru: "Орган опеки".into(),
                            en: "Guardianship authority".into(),
                        },
                        kinds: vec![tanba::credential::record::DocumentKind::Guardianship],
                    },
                )
                .unwrap(),
            )
            .unwrap();
        let reg = f.svc.registry();
        f.svc
            .change_registry(
                &reg.sign(
                    &f.root,
                    Change::AddKey {
                        seq: reg.next_seq(),
                        bin: authority.into(),
                        key_id: gkey.public().key_id(),
                        public_key: gkey.public().to_base64url(),
                        not_before: "2025-01-01".into(),
                        not_after: "2030-12-31".into(),
                    },
                )
                .unwrap(),
            )
            .unwrap();
        let act = Document::Guardianship(Guardianship {
            guardians: vec![Person {
                full_name: "Ахметова Гүлнар".into(),
                iin: iin("85072040045"),
            }],
            child: Person {
                full_name: "Ахметов Нұрсұлтан".into(),
                iin: iin("16051050077"),
            },
            form: GuardianshipForm::Opeka,
            basis: Basis {
                decision_number: "№ 142-қ".into(),
                decision_date: "2026-02-01".into(),
            },
            start_date: "2026-02-03".into(),
            planned_end: None,
            status: GuardianshipStatus::Active,
        });
        let c = &f.svc.issue_batch(authority, &gkey, &[act], TODAY).unwrap()[0];
        let s = f
            .svc
            .change_status(
                authority,
                &gkey,
                &c.id,
                tanba::issuance::StatusRequest {
                    action: Action::Terminate,
                    reason: Reason::Adoption,
                    on: date!(2026 - 10 - 01),
                },
                TODAY,
            )
            .unwrap();
        assert_eq!(
            s,
            Status::Terminated {
                on: "2026-10-01".into(),
                reason: Reason::Adoption
            }
        );
        assert_eq!(s.code(), "terminated");
    }
}
