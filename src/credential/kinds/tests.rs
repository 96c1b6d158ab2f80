use super::*;
use crate::credential::ids::tests::with_check;
use time::macros::date;

const TODAY: Date = date!(2026 - 11 - 22);

fn fields(r: Result<(), Vec<FieldError>>) -> Vec<String> {
    r.err()
        .unwrap_or_default()
        .into_iter()
        .map(|e| e.field)
        .collect()
}

fn attestat() -> Attestat {
    Attestat {
        holder: Holder {
            full_name: "Жұмабаева Әсел Нұрланқызы".into(),
            iin: with_check("08031560012"), // born 2008-03-15, female
        },
        level: AttestatLevel::GeneralSecondary,
        school: "№ 25 мектеп-гимназиясы, Астана".into(),
        study_start: "2014-09-01".into(),
        study_end: "2026-05-25".into(),
        issued_on: "2026-06-20".into(),
        series: "ЖОБ".into(),
        number: "0012345".into(),
        honours: Some(AttestatHonours::AltynBelgi),
        subjects: vec![
            Subject {
                name: "Қазақ тілі".into(),
                grade: 5,
            },
            Subject {
                name: "Алгебра".into(),
                grade: 5,
            },
            Subject {
                name: "Физика".into(),
                grade: 5,
            },
        ],
    }
}

#[test]
fn a_valid_attestat_passes_and_yields_its_claims() {
    let a = attestat();
    a.validate(TODAY).unwrap();
    let claims = a.claims();
    assert_eq!(claims["holder_name"], "Жұмабаева Әсел Нұрланқызы");
    assert_eq!(claims["honours"], "altyn_belgi");
    assert_eq!(claims["subjects"][1]["grade"], 5);
}

#[test]
fn attestat_rules_each_name_their_field() {
    let mut a = attestat();
    a.subjects[1].grade = 4;
    assert_eq!(
        fields(a.validate(TODAY)),
        ["honours"],
        "Алтын белгі needs all fives"
    );
    let mut a = attestat();
    a.level = AttestatLevel::BasicSecondary;
    assert!(fields(a.validate(TODAY)).contains(&"honours".to_string()));
    let mut a = attestat();
    a.subjects[2].grade = 6;
    a.subjects.push(Subject {
        name: "алгебра".into(),
        grade: 5,
    });
    let f = fields(a.validate(TODAY));
    assert!(f.contains(&"subjects[2].grade".to_string()), "{f:?}");
    assert!(
        f.contains(&"subjects[3].name".to_string()),
        "duplicate subject: {f:?}"
    );
    let mut a = attestat();
    a.study_end = "2014-08-01".into();
    a.issued_on = "2027-01-01".into();
    let f = fields(a.validate(TODAY));
    assert!(
        f.contains(&"study_end".to_string()) && f.contains(&"issued_on".to_string()),
        "{f:?}"
    );
    let mut a = attestat();
    a.holder.iin = "080315600121".into();
    a.study_start = "1 Sept 2014".into();
    let f = fields(a.validate(TODAY));
    assert!(
        f.contains(&"holder.iin".to_string()) && f.contains(&"study_start".to_string()),
        "{f:?}"
    );
    let mut a = attestat();
    a.holder.iin = with_check("15031560012"); // born 2015: 11 at graduation
    let errs = a.validate(TODAY).unwrap_err();
    assert!(
        errs.iter()
            .any(|e| e.field == "study_end" && e.rule.contains("would be 11")),
        "{errs:?}"
    );
    let mut a = attestat();
    a.holder.full_name = "Robot 3000".into();
    a.number = "12AB".into();
    assert_eq!(fields(a.validate(TODAY)), ["holder.full_name", "number"]);
}

fn diploma() -> Diploma {
    Diploma {
        holder: Holder {
            full_name: "Серікбаев Данияр Асқарұлы".into(),
            iin: with_check("02071130004"), // born 2002-07-11, male
        },
        level: DiplomaLevel::Bachelor,
        institution: "Әл-Фараби атындағы Қазақ ұлттық университеті".into(),
        specialty_code: "6B06101".into(),
        specialty_name: "Ақпараттық жүйелер".into(),
        qualification: "Бакалавр".into(),
        study_start: "2020-09-01".into(),
        study_end: "2024-06-15".into(),
        issued_on: "2024-06-28".into(),
        series: "ЖБ-Б".into(),
        number: "1234567".into(),
        registration_number: "R-2024-0042".into(),
        honours: true,
        supplement: Supplement {
            courses: vec![
                Course {
                    name: "Алгоритмы".into(),
                    hours: None,
                    credits: Some(5),
                    letter: "A".into(),
                    points: 4.0,
                },
                Course {
                    name: "Базы данных".into(),
                    hours: None,
                    credits: Some(5),
                    letter: "A-".into(),
                    points: 3.67,
                },
                Course {
                    name: "Сети".into(),
                    hours: None,
                    credits: Some(2),
                    letter: "B+".into(),
                    points: 3.33,
                },
            ],
            // (4.0·5 + 3.67·5 + 3.33·2) / 12 = (20 + 18.35 + 6.66) / 12 = 3.7508
            gpa: 3.75,
        },
    }
}

#[test]
fn a_valid_diploma_passes() {
    diploma().validate(TODAY).unwrap();
    assert_eq!(
        diploma().claims()["supplement"]["courses"][1]["letter"],
        "A-"
    );
}

#[test]
fn diploma_rules_each_name_their_field() {
    let mut d = diploma();
    d.supplement.gpa = 3.9;
    assert_eq!(fields(d.validate(TODAY)), ["supplement.gpa"]);
    let mut d = diploma();
    d.supplement.courses[2].points = 3.0;
    d.supplement.gpa = 3.70; // (20 + 18.35 + 6) / 12 = 3.696
    assert_eq!(fields(d.validate(TODAY)), ["supplement.courses[2].points"]);
    let mut d = diploma();
    d.supplement.courses[0].letter = "F".into();
    assert!(fields(d.validate(TODAY)).contains(&"supplement.courses[0].letter".to_string()));
    let mut d = diploma();
    d.specialty_code = "7M06101".into();
    let errs = d.validate(TODAY).unwrap_err();
    assert!(errs[0].rule.contains("does not start with 6B"), "{errs:?}");
    let mut d = diploma();
    d.specialty_code = "6B13101".into();
    assert!(
        d.validate(TODAY).unwrap_err()[0]
            .rule
            .contains("broad field 13")
    );
    let mut d = diploma();
    d.level = DiplomaLevel::Tvet;
    d.specialty_code = "06130100".into();
    d.validate(TODAY).unwrap();
    // Well-formed but absent from the classifier table.
    let mut d = diploma();
    d.specialty_code = "6B06199".into();
    let errs = d.validate(TODAY).unwrap_err();
    assert_eq!(errs[0].field, "specialty_code");
    assert!(errs[0].rule.contains("not in the classifier"), "{errs:?}");
    let mut d = diploma();
    d.supplement.courses[0].letter = "B".into();
    d.supplement.courses[0].points = 3.0;
    d.supplement.gpa = 3.25; // the mean is (15 + 18.35 + 6.66) / 12 = 3.334: wrong on purpose
    let f = fields(d.validate(TODAY));
    assert!(f.contains(&"supplement.gpa".to_string()), "{f:?}");
    let mut d = diploma();
    d.supplement.courses[0].letter = "B".into();
    d.supplement.courses[0].points = 3.0;
    d.supplement.gpa = 3.33;
    assert_eq!(
        fields(d.validate(TODAY)),
        ["honours"],
        "GPA 3.33 < 3.5 cannot carry honours"
    );
}

fn guardianship() -> Guardianship {
    Guardianship {
        guardians: vec![Person {
            full_name: "Ахметова Гүлнар Серікқызы".into(),
            iin: with_check("85072040045"), // born 1985-07-20, female
        }],
        child: Person {
            full_name: "Ахметов Нұрсұлтан".into(),
            iin: with_check("16051050077"), // born 2016-05-10, male
        },
        form: GuardianshipForm::Opeka,
        basis: Basis {
            decision_number: "№ 142-қ".into(),
            decision_date: "2026-02-01".into(),
        },
        start_date: "2026-02-03".into(),
        planned_end: None,
        status: GuardianshipStatus::Active,
    }
}

#[test]
fn a_valid_guardianship_passes_and_ends_at_majority() {
    let g = guardianship();
    g.validate(TODAY).unwrap();
    assert_eq!(g.majority(), Some(date!(2034 - 05 - 10)));
    assert_eq!(g.claims()["planned_end"], "2034-05-10");
    assert_eq!(g.claims()["status"]["state"], "active");
}

#[test]
fn guardianship_age_and_party_rules() {
    let mut g = guardianship();
    g.child.iin = with_check("05010150099"); // 21 on start_date
    let errs = g.validate(TODAY).unwrap_err();
    assert_eq!(errs[0].field, "child.iin");
    assert!(errs[0].rule.contains("children under 18"), "{errs:?}");
    let mut g = guardianship();
    g.child.iin = with_check("10010160088"); // 16 on start_date
    assert_eq!(fields(g.validate(TODAY)), ["form"]);
    g.form = GuardianshipForm::Popechitelstvo;
    g.validate(TODAY).unwrap();
    let mut g = guardianship();
    g.guardians.push(Person {
        full_name: "Ахметов Ержан".into(),
        iin: with_check("10020150011"),
    }); // born 2010
    g.guardians.push(g.child.clone());
    let f = fields(g.validate(TODAY));
    assert_eq!(
        f,
        ["guardians[1].iin", "guardians[2].iin"],
        "a minor and the child himself"
    );
    let mut g = guardianship();
    g.planned_end = Some("2035-01-01".into());
    g.status = GuardianshipStatus::Terminated {
        date: "2026-01-01".into(),
        reason: "".into(),
    };
    g.start_date = "2026-01-31".into();
    let f = fields(g.validate(TODAY));
    assert_eq!(
        f,
        ["start_date", "planned_end", "status.date", "status.reason"],
        "{f:?}"
    );
}

#[test]
fn every_claim_has_labels_in_three_languages() {
    let mut names: Vec<String> = attestat().claims().keys().cloned().collect();
    names.extend(diploma().claims().keys().cloned());
    names.extend(guardianship().claims().keys().cloned());
    for n in names {
        let (kk, ru, en) = label(&n).unwrap_or_else(|| panic!("no label for {n}"));
        assert!(!kk.is_empty() && !ru.is_empty() && !en.is_empty());
        assert_ne!(kk, ru, "{n}: Kazakh and Russian labels differ");
    }
}
