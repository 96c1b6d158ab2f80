use super::*;
use crate::credential::kinds::{Holder, RecognisedLevel};
use crate::intake::Application;
use std::cell::Cell;

fn png() -> Vec<u8> {
    let img = image::GrayImage::from_fn(900, 640, |x, y| {
        image::Luma([if (x / 40 + y / 40) % 2 == 0 { 250 } else { 20 }])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn case(dir: &Path) -> String {
    Cases::new(dir)
        .open_case(
            &Application {
                holder_name: Some("Иванов Пётр".into()),
                ..Default::default()
            },
            vec![("scan.png".into(), png())],
        )
        .unwrap()
}

fn certificate(case: &str) -> Recognition {
    Recognition {
        holder: Holder {
            full_name: "Иванов Пётр Сергеевич".into(),
            iin: "950101300036".into(),
        },
        decision_number: "REC-2026-1".into(),
        issued_on: "2026-03-01".into(),
        foreign_country: "RU".into(),
        foreign_kind: "diploma".into(),
        foreign_institution: "Томский государственный университет".into(),
        foreign_specialty: "Прикладная математика".into(),
        foreign_series: "107704".into(),
        foreign_number: "0012345".into(),
        foreign_issued_on: "2018-07-01".into(),
        level: RecognisedLevel::Bachelor,
        specialty_code: Some(first_bachelor_code()),
        specialty_name: Some("Математика".into()),
        case: case.into(),
    }
}

fn first_bachelor_code() -> String {
    crate::credential::classifier::all()
        .find(|s| s.level == crate::credential::kinds::DiplomaLevel::Bachelor)
        .unwrap()
        .code
        .clone()
}

fn today() -> time::Date {
    time::macros::date!(2026 - 06 - 01)
}

/// An `issue` that counts its calls and hands back a made-up certificate.
fn counting(calls: &Cell<u32>) -> impl Fn(&Recognition) -> Result<Issued, String> + '_ {
    move |r| {
        calls.set(calls.get() + 1);
        Ok(Issued {
            credential: format!("cred-{}", r.case),
            version: 1,
            verify_url: "http://x/V/ABC".into(),
            code: "ABCD".into(),
        })
    }
}

#[test]
fn a_low_risk_recognition_is_issued_at_once_and_closes_the_case() {
    let tmp = tempfile::tempdir().unwrap();
    let id = case(tmp.path());
    let review = Review::new(tmp.path(), 0.5);
    let calls = Cell::new(0);
    let s = review
        .decide(
            &id,
            "anna",
            Some(0.1),
            Decision::Recognise {
                certificate: Box::new(certificate(&id)),
            },
            today(),
            &counting(&calls),
        )
        .unwrap();
    assert_eq!(s.code(), "recognised");
    assert_eq!(calls.get(), 1);
    // Decided: a second decision is refused and issues nothing.
    let again = review.decide(
        &id,
        "boris",
        Some(0.1),
        Decision::Refuse {
            reason: "late".into(),
        },
        today(),
        &counting(&calls),
    );
    assert!(matches!(again, Err(ReviewError::Conflict(m)) if m.contains("already decided")));
    assert_eq!(calls.get(), 1);
    assert_eq!(review.events(&id).unwrap().len(), 1);
}

#[test]
fn a_high_risk_recognition_waits_for_a_second_officer() {
    let tmp = tempfile::tempdir().unwrap();
    let id = case(tmp.path());
    let review = Review::new(tmp.path(), 0.5);
    let calls = Cell::new(0);
    let s = review
        .decide(
            &id,
            "anna",
            Some(0.79),
            Decision::Recognise {
                certificate: Box::new(certificate(&id)),
            },
            today(),
            &counting(&calls),
        )
        .unwrap();
    assert_eq!(s.code(), "awaiting_confirmation");
    assert_eq!(calls.get(), 0, "nothing is issued before the confirmation");
    // The proposer cannot confirm her own proposal.
    let own = review.confirm(&id, "anna", today(), &counting(&calls));
    assert!(matches!(own, Err(ReviewError::Conflict(m)) if m.contains("second officer")));
    // Nor can anyone decide anew meanwhile.
    let meanwhile = review.decide(
        &id,
        "boris",
        Some(0.79),
        Decision::Refuse { reason: "x".into() },
        today(),
        &counting(&calls),
    );
    assert!(matches!(meanwhile, Err(ReviewError::Conflict(_))));
    // A second officer sends it back, with a reason: the case reopens.
    assert_eq!(
        review.send_back(&id, "boris", "check the seal").unwrap(),
        Status::Open
    );
    review
        .decide(
            &id,
            "anna",
            Some(0.79),
            Decision::Recognise {
                certificate: Box::new(certificate(&id)),
            },
            today(),
            &counting(&calls),
        )
        .unwrap();
    let s = review
        .confirm(&id, "boris", today(), &counting(&calls))
        .unwrap();
    assert_eq!(s.code(), "recognised");
    assert_eq!(calls.get(), 1);
    let events = review.events(&id).unwrap();
    match &events.last().unwrap().kind {
        EventKind::Recognised { proposed_by, .. } => {
            assert_eq!(proposed_by.as_deref(), Some("anna"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(events.last().unwrap().officer, "boris");
    // Nothing is left to confirm.
    assert!(
        review
            .confirm(&id, "carl", today(), &counting(&calls))
            .is_err()
    );
    assert_eq!(calls.get(), 1);
}

#[test]
fn refusals_and_requests_are_recorded_with_their_text() {
    let tmp = tempfile::tempdir().unwrap();
    let id = case(tmp.path());
    let review = Review::new(tmp.path(), 0.5);
    let calls = Cell::new(0);
    let blank = review.decide(
        &id,
        "anna",
        Some(0.9),
        Decision::Refuse {
            reason: "  ".into(),
        },
        today(),
        &counting(&calls),
    );
    assert!(matches!(blank, Err(ReviewError::Invalid(e)) if e[0].field == "reason"));
    assert!(
        review.events(&id).unwrap().is_empty(),
        "nothing half-written"
    );
    let s = review
        .decide(
            &id,
            "anna",
            Some(0.9),
            Decision::Request {
                documents: "the supplement".into(),
            },
            today(),
            &counting(&calls),
        )
        .unwrap();
    assert_eq!(
        s,
        Status::Requested {
            documents: "the supplement".into()
        }
    );
    let s = review
        .decide(
            &id,
            "anna",
            Some(0.9),
            Decision::Refuse {
                reason: "the seal is pasted".into(),
            },
            today(),
            &counting(&calls),
        )
        .unwrap();
    assert_eq!(s.code(), "refused");
    assert_eq!(calls.get(), 0);
    // The file is the record: read back by a new instance.
    let again = Review::new(tmp.path(), 0.5);
    assert_eq!(again.events(&id).unwrap().len(), 2);
    assert_eq!(again.status(&id).unwrap(), s);
}

#[test]
fn a_bad_certificate_names_every_field_and_an_unread_case_waits() {
    let tmp = tempfile::tempdir().unwrap();
    let id = case(tmp.path());
    let review = Review::new(tmp.path(), 0.5);
    let calls = Cell::new(0);
    let mut c = certificate(&id);
    c.foreign_country = "Russia".into();
    c.specialty_code = None;
    c.holder.iin = "123".into();
    let e = review
        .decide(
            &id,
            "anna",
            Some(0.1),
            Decision::Recognise {
                certificate: Box::new(c),
            },
            today(),
            &counting(&calls),
        )
        .unwrap_err();
    let fields: Vec<String> = match e {
        ReviewError::Invalid(v) => v.into_iter().map(|f| f.field).collect(),
        other => panic!("{other:?}"),
    };
    for f in ["holder.iin", "foreign_country", "specialty_code"] {
        assert!(fields.iter().any(|x| x == f), "{f}: {fields:?}");
    }
    let other_case = review.decide(
        &id,
        "anna",
        Some(0.1),
        Decision::Recognise {
            certificate: Box::new(certificate("another")),
        },
        today(),
        &counting(&calls),
    );
    assert!(matches!(other_case, Err(ReviewError::Invalid(e)) if e[0].field == "case"));
    let unread = review.decide(
        &id,
        "anna",
        None,
        Decision::Refuse { reason: "x".into() },
        today(),
        &counting(&calls),
    );
    assert!(matches!(unread, Err(ReviewError::NotRead)));
    assert!(matches!(
        review.status("0000"),
        Err(ReviewError::Case(CaseError::Unknown(_)))
    ));
    assert_eq!(calls.get(), 0);
}

#[test]
fn a_failed_issue_records_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let id = case(tmp.path());
    let review = Review::new(tmp.path(), 0.5);
    let failing = |_: &Recognition| Err("the ledger is unavailable".to_string());
    let e = review
        .decide(
            &id,
            "anna",
            Some(0.1),
            Decision::Recognise {
                certificate: Box::new(certificate(&id)),
            },
            today(),
            &failing,
        )
        .unwrap_err();
    assert!(e.to_string().contains("ledger is unavailable"), "{e}");
    assert_eq!(review.status(&id).unwrap(), Status::Open);
}

#[test]
fn earlier_cases_are_found_by_iin_person_document_and_repeat() {
    let app = |name: &str, birth: &str, iin: Option<&str>| Application {
        holder_name: Some(name.into()),
        birth_date: Some(birth.into()),
        iin: iin.map(str::to_string),
        ..Default::default()
    };
    let this_app = app("Иванов Пётр", "1995-01-01", Some("950101300036"));
    let same_iin = app("Someone Else", "1990-02-02", Some("950101300036"));
    let same_person = app("Ivanov Petr", "1995-01-01", None);
    let stranger = app("Сидорова Анна", "1995-01-01", None);
    let same_doc = app("Петров Иван", "1980-03-03", None);
    let repeat = app("Жуков Олег", "1970-01-01", None);
    let facts = |id: &'static str, a: &'static Application, doc: Option<&str>| CaseFacts {
        id,
        application: a,
        document: doc.map(str::to_string),
        repeats: Vec::new(),
    };
    let leak = |a: Application| -> &'static Application { Box::leak(Box::new(a)) };
    let mut this = facts("c0", leak(this_app), Some("1077040012345"));
    this.repeats = vec!["c5".into()];
    let others = vec![
        facts("c1", leak(same_iin), None),
        facts("c2", leak(same_person), None),
        facts("c3", leak(stranger), None),
        facts("c4", leak(same_doc), Some("1077040012345")),
        facts("c5", leak(repeat), None),
    ];
    let found = related(&this, &others);
    let got: Vec<(&str, &str)> = found.iter().map(|r| (r.case.as_str(), r.why)).collect();
    assert_eq!(
        got,
        vec![
            ("c1", "same_iin"),
            ("c2", "same_person"),
            ("c4", "same_document"),
            ("c5", "repeat")
        ]
    );
}

#[test]
fn waiting_raises_priority_up_to_a_cap() {
    assert!(priority(0.3, 10.0) > priority(0.45, 0.0));
    assert_eq!(priority(0.2, 100.0), priority(0.2, 15.0));
    assert!(priority(0.9, 0.0) > priority(0.2, 100.0));
}
