//! The checks of what was read: dates (`dates.*`), series and numbers (`number.*`), the
//! holder's name (`name.*`), the institution (`institution.*`) and the apostille certificate
//! (`apostille.*`), each against the application and the reference library.

use super::references::{DocDate, has_shape, shape_of};
use super::{Context, Finding, Scan, Severity};
use crate::intake::ForeignKind;
use crate::ocr::extract::Field;
use serde_json::{Value, json};

/// The field `name` of a reading with its parsed date, if it is one.
fn date_of<'a>(scan: &'a Scan, name: &str) -> Option<(&'a Field, DocDate)> {
    let f = scan.reading.fields.get(name)?;
    Some((f, DocDate::parse(&f.value)?))
}

fn kind_name(kind: Option<ForeignKind>) -> Option<&'static str> {
    Some(match kind? {
        ForeignKind::Diploma => "diploma",
        ForeignKind::Attestat => "attestat",
        ForeignKind::Supplement => "supplement",
        ForeignKind::Apostille => "apostille",
        ForeignKind::Translation => "translation",
    })
}

fn at(f: Finding, scan: &Scan, field: &Field) -> Finding {
    f.at(&scan.reading.file.sha256, field.page, field.bbox)
}

/// The checks of one document's own fields.
pub fn document(scan: &Scan, ctx: &Context, out: &mut Vec<Finding>) {
    dates(scan, ctx, out);
    numbers(scan, ctx, out);
    names(scan, ctx, out);
    institution(scan, ctx, out);
    if scan.reading.kind == Some(ForeignKind::Apostille) {
        apostille(scan, ctx, out);
    }
}

fn dates(scan: &Scan, ctx: &Context, out: &mut Vec<Finding>) {
    let issue = date_of(scan, "issue_date");
    let start = date_of(scan, "study_start");
    let end = date_of(scan, "study_end");
    let today = DocDate::Day(ctx.today);
    for name in [
        "issue_date",
        "study_start",
        "study_end",
        "birth_date",
        "apostille_date",
    ] {
        if let Some((f, d)) = date_of(scan, name)
            && today.surely_before(d)
        {
            out.push(at(
                Finding::new(
                    "dates.future",
                    Severity::Critical,
                    [
                        ("field", json!(name)),
                        ("value", json!(f.value)),
                        ("today", json!(ctx.today.to_string())),
                    ],
                ),
                scan,
                f,
            ));
        }
    }
    if let (Some((fi, i)), Some((fe, e))) = (issue, end)
        && i.surely_before(e)
    {
        out.push(at(
            Finding::new(
                "dates.issue_before_study_end",
                Severity::Critical,
                [
                    ("issue_date", json!(fi.value)),
                    ("study_end", json!(fe.value)),
                ],
            ),
            scan,
            fi,
        ));
    }
    if let (Some((fs, s)), Some((fe, e))) = (start, end) {
        let years = e.year() - s.year();
        let kind = kind_name(scan.reading.kind).unwrap_or("diploma");
        if e.surely_before(s) {
            out.push(at(
                Finding::new(
                    "dates.study_order",
                    Severity::Critical,
                    [
                        ("study_start", json!(fs.value)),
                        ("study_end", json!(fe.value)),
                    ],
                ),
                scan,
                fe,
            ));
        } else if let Some(&(lo, hi)) = ctx.references.study_years.get(kind)
            && !(lo..=hi).contains(&years)
        {
            out.push(at(
                Finding::new(
                    "dates.study_length",
                    Severity::Warning,
                    [
                        ("years", json!(years)),
                        ("min", json!(lo)),
                        ("max", json!(hi)),
                        ("kind", json!(kind)),
                    ],
                ),
                scan,
                fs,
            ));
        }
    }
    // The birth date the document prints, else the application's.
    let birth = date_of(scan, "birth_date").map(|(_, d)| d).or_else(|| {
        ctx.application
            .and_then(|a| a.birth_date.as_deref())
            .and_then(DocDate::parse)
    });
    if let Some(b) = birth {
        let ages = ctx.references.ages;
        for (code, field, (lo, hi)) in [
            ("dates.age_at_admission", start, ages.admission),
            ("dates.age_at_graduation", end.or(issue), ages.graduation),
        ] {
            if let Some((f, d)) = field {
                let age = d.year() - b.year();
                if !(lo..=hi).contains(&age) {
                    out.push(at(
                        Finding::new(
                            code,
                            Severity::Warning,
                            [
                                ("age", json!(age)),
                                ("min", json!(lo)),
                                ("max", json!(hi)),
                                ("birth_date", json!(b.year())),
                                ("value", json!(f.value)),
                            ],
                        ),
                        scan,
                        f,
                    ));
                }
            }
        }
    }
    if let (Some(a), Some((f, d))) = (
        ctx.application.and_then(|a| a.birth_date.as_deref()),
        date_of(scan, "birth_date"),
    ) && DocDate::parse(a).is_some_and(|a| a != d)
    {
        out.push(at(
            Finding::new(
                "dates.birth_date_differs",
                Severity::Warning,
                [("document", json!(f.value)), ("application", json!(a))],
            ),
            scan,
            f,
        ));
    }
}

fn numbers(scan: &Scan, ctx: &Context, out: &mut Vec<Finding>) {
    let (Some(country), Some(kind)) = (
        scan.reading.country.as_deref(),
        kind_name(scan.reading.kind),
    ) else {
        return;
    };
    let year = date_of(scan, "issue_date").map(|(_, d)| d.year());
    let Some(rule) = ctx.references.format(country, kind, year) else {
        return;
    };
    for (name, shapes) in [("series", &rule.series), ("number", &rule.number)] {
        let Some(f) = scan.reading.fields.get(name) else {
            continue;
        };
        let value = f.value.replace(' ', "");
        if !shapes.iter().any(|s| has_shape(&value, s)) {
            out.push(at(
                Finding::new(
                    "number.malformed",
                    Severity::Warning,
                    [
                        ("field", json!(name)),
                        ("value", json!(f.value)),
                        ("shape", json!(shape_of(&value))),
                        (
                            "expected",
                            json!(if shapes.is_empty() {
                                "—".to_string()
                            } else {
                                shapes.join(" | ")
                            }),
                        ),
                        ("country", json!(country)),
                    ],
                ),
                scan,
                f,
            ));
        }
        // The words printed in the number's box, as the engine read them: a letter inside a
        // run of digits (Cyrillic «З» for 3, «О» for 0) is what a retyped number shows.
        if name == "number" {
            let page = scan.reading.pages.iter().find(|p| p.page == f.page);
            let b = f.bbox;
            let raw: Vec<&str> = page
                .map(|p| {
                    super::edit::inside(&p.words, b)
                        .into_iter()
                        .map(|w| w.text.as_str())
                        .collect()
                })
                .unwrap_or_default();
            if let Some(w) = raw.iter().find(|w| {
                let digits = w.chars().filter(char::is_ascii_digit).count();
                let letters = w.chars().filter(|c| c.is_alphabetic()).count();
                digits >= 3 && letters >= 1 && letters * 3 <= digits
            }) {
                out.push(at(
                    Finding::new(
                        "number.lookalike_letters",
                        Severity::Info,
                        [("printed", json!(w)), ("value", json!(f.value))],
                    ),
                    scan,
                    f,
                ));
            }
        }
    }
}

fn names(scan: &Scan, ctx: &Context, out: &mut Vec<Finding>) {
    let Some(f) = scan.reading.fields.get("holder_name") else {
        return;
    };
    // Names whose words are printed in two scripts (a Latin surname, a Cyrillic given name)
    // are what the engine makes of a Latin name it partly misread: not a name to judge by.
    let script = |w: &str| {
        if w.chars().any(|c| matches!(c, '\u{0400}'..='\u{04FF}')) {
            'c'
        } else {
            'l'
        }
    };
    let scripts: std::collections::BTreeSet<char> = f
        .value
        .split_whitespace()
        .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 3)
        .map(script)
        .collect();
    let reliable = scripts.len() == 1;
    if let Some(m) = &scan.reading.matches.holder_name
        && let Some(app) = ctx.application.and_then(|a| a.holder_name.as_deref())
        && m.verdict == "different"
    {
        out.push(at(
            Finding::new(
                "name.mismatch",
                if reliable {
                    Severity::Critical
                } else {
                    Severity::Info
                },
                [
                    ("document", json!(f.value)),
                    ("application", json!(app)),
                    ("score", json!(m.score)),
                ],
            ),
            scan,
            f,
        ));
    }
    // A word in two scripts: the extraction already turned the engine's look-alike letters
    // into the word's own script, so what is left was printed so.
    for word in f.value.split_whitespace() {
        let cyrillic = word.chars().any(|c| matches!(c, '\u{0400}'..='\u{04FF}'));
        let latin = word.chars().any(|c| c.is_ascii_alphabetic());
        if cyrillic && latin {
            out.push(at(
                Finding::new(
                    "name.mixed_script",
                    Severity::Warning,
                    [("word", json!(word)), ("value", json!(f.value))],
                ),
                scan,
                f,
            ));
            break;
        }
    }
}

fn institution(scan: &Scan, ctx: &Context, out: &mut Vec<Finding>) {
    let Some(f) = scan.reading.fields.get("institution") else {
        return;
    };
    let country = scan.reading.country.as_deref();
    let Some((inst, score)) = ctx.references.institution(country, &f.value, 0.75) else {
        out.push(at(
            Finding::new(
                "institution.unknown",
                Severity::Info,
                [
                    ("value", json!(f.value)),
                    ("country", json!(country.unwrap_or("—"))),
                ],
            ),
            scan,
            f,
        ));
        return;
    };
    let issue = date_of(scan, "issue_date").map(|(_, d)| d);
    let Some(issue) = issue else { return };
    let day = match issue {
        DocDate::Day(d) => d,
        DocDate::Year(y) => match time::Date::from_ordinal_date(y, 1) {
            Ok(d) => d,
            Err(_) => return,
        },
    };
    if let Some(closed) = inst.closed
        && closed < day
    {
        out.push(at(
            Finding::new(
                "dates.after_closure",
                Severity::Critical,
                [
                    ("institution", json!(inst.names[0])),
                    ("closed", json!(closed.to_string())),
                    ("issue_date", json!(issue_string(issue))),
                ],
            ),
            scan,
            f,
        ));
    }
    if !inst.accredited.is_empty() && !inst.accredited.iter().any(|p| p.contains(day)) {
        out.push(at(
            Finding::new(
                "institution.not_accredited",
                Severity::Critical,
                [
                    ("institution", json!(inst.names[0])),
                    ("issue_date", json!(issue_string(issue))),
                    (
                        "periods",
                        json!(
                            inst.accredited
                                .iter()
                                .map(|p| format!(
                                    "{}–{}",
                                    p.from,
                                    p.to.map(|t| t.to_string()).unwrap_or_default()
                                ))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ),
                    ("match", json!((score * 1000.0).round() / 1000.0)),
                ],
            ),
            scan,
            f,
        ));
    }
}

fn issue_string(d: DocDate) -> String {
    match d {
        DocDate::Day(d) => d.to_string(),
        DocDate::Year(y) => y.to_string(),
    }
}

/// The fields an apostille certificate must carry (its numbered fields 2–10).
const APOSTILLE_FIELDS: [&str; 10] = [
    "apostille_country",
    "apostille_signed_by",
    "apostille_capacity",
    "apostille_seal_of",
    "apostille_place",
    "apostille_date",
    "apostille_authority",
    "apostille_number",
    "seal",
    "signature",
];

fn apostille(scan: &Scan, ctx: &Context, out: &mut Vec<Finding>) {
    let missing: Vec<&str> = APOSTILLE_FIELDS
        .iter()
        .copied()
        .filter(|f| !scan.reading.fields.contains_key(*f))
        .collect();
    if !missing.is_empty() && scan.reading.status != "unreadable" {
        out.push(
            Finding::new(
                "apostille.missing_fields",
                if missing.len() >= 3 {
                    Severity::Warning
                } else {
                    Severity::Info
                },
                [
                    ("fields", json!(missing.join(", "))),
                    ("count", json!(missing.len())),
                ],
            )
            .in_file(&scan.reading.file.sha256),
        );
    }
    let Some(country) = scan.reading.fields.get("apostille_country") else {
        return;
    };
    let on = date_of(scan, "apostille_date");
    let since = ctx.references.hague.get(&country.value);
    let party = match (since, on) {
        (None, _) => false,
        (Some(s), Some((_, d))) => !d.surely_before(DocDate::Day(*s)),
        (Some(_), None) => true,
    };
    if !party {
        out.push(at(
            Finding::new(
                "apostille.not_party",
                Severity::Critical,
                [
                    ("country", json!(country.value)),
                    (
                        "date",
                        on.map_or(Value::Null, |(f, _)| json!(f.value.clone())),
                    ),
                    ("since", since.map_or(json!("—"), |s| json!(s.to_string()))),
                ],
            ),
            scan,
            country,
        ));
    }
}

/// The checks across a case's files: an apostille dated before the document it certifies;
/// two documents of one case naming different people.
pub fn across(scans: &[Scan], ctx: &Context, out: &mut Vec<Finding>) {
    let apostilles: Vec<&Scan> = scans
        .iter()
        .filter(|s| s.reading.kind == Some(ForeignKind::Apostille))
        .collect();
    let documents: Vec<&Scan> = scans
        .iter()
        .filter(|s| s.reading.kind != Some(ForeignKind::Apostille))
        .collect();
    for a in &apostilles {
        let Some((fa, da)) = date_of(a, "apostille_date") else {
            continue;
        };
        for d in &documents {
            if let Some((fd, dd)) = date_of(d, "issue_date")
                && da.surely_before(dd)
            {
                out.push(at(
                    Finding::new(
                        "apostille.before_document",
                        Severity::Critical,
                        [
                            ("apostille_date", json!(fa.value)),
                            ("issue_date", json!(fd.value)),
                        ],
                    ),
                    a,
                    fa,
                ));
            }
        }
    }
    // A country the reference library knows nothing of: with no series rule and no
    // institution, the checks that hold a document to its country had nothing to hold it to,
    // and a clean result would mean less than it seems. The application's word first, then
    // what the documents say.
    let country = ctx
        .application
        .and_then(|a| a.country.as_deref())
        .or_else(|| documents.iter().find_map(|s| s.reading.country.as_deref()));
    if let Some(c) = country
        && !ctx.references.covers(c)
    {
        out.push(Finding::new(
            "institution.country_not_covered",
            Severity::Warning,
            [("country", json!(c))],
        ));
    }
    // An application that asks for an apostille route from a State that is not a party.
    if let Some(app) = ctx.application
        && app.route == Some(crate::intake::Route::Apostilled)
        && let Some(c) = app.country.as_deref()
        && !ctx.references.hague.contains_key(c)
        && apostilles.is_empty()
    {
        out.push(Finding::new(
            "apostille.not_party",
            Severity::Warning,
            [
                ("country", json!(c)),
                ("date", Value::Null),
                ("since", json!("—")),
            ],
        ));
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::forensics::{References, Thresholds, assess};
    use crate::intake::{Application, raster::Format};
    use crate::ocr::{FileReading, FileRef, Matches};
    use std::collections::BTreeMap;

    pub(crate) fn reading(
        kind: ForeignKind,
        country: &str,
        fields: &[(&str, &str)],
    ) -> FileReading {
        FileReading {
            status: "read",
            unreadable: vec![],
            kind: Some(kind),
            country: Some(country.into()),
            template: None,
            fields: fields
                .iter()
                .enumerate()
                .map(|(i, (k, v))| {
                    (
                        k.to_string(),
                        Field {
                            value: v.to_string(),
                            confidence: 0.95,
                            page: 1,
                            bbox: [100, 100 + 50 * i as u32, 300, 30],
                        },
                    )
                })
                .collect(),
            grades: Vec::new(),
            file: FileRef {
                name: "scan.jpg".into(),
                sha256: "ab".repeat(32),
                format: Format::Jpeg,
                jpeg_quality: None,
            },
            application: None,
            matches: Matches::default(),
            languages: "rus+eng".into(),
            pages: vec![],
            timings_ms: BTreeMap::new(),
        }
    }

    fn findings(readings: &[FileReading], app: Option<&Application>) -> Vec<Finding> {
        let scans: Vec<Scan> = readings
            .iter()
            .map(|r| Scan {
                reading: r,
                pages: &[],
            })
            .collect();
        let ctx = Context {
            application: app,
            references: References::builtin(),
            seen: None,
            today: time::macros::date!(2026 - 12 - 06),
            enrolled: None,
        };
        let mut out = Vec::new();
        for s in &scans {
            document(s, &ctx, &mut out);
        }
        across(&scans, &ctx, &mut out);
        out
    }

    fn codes(f: &[Finding]) -> Vec<&'static str> {
        f.iter().map(|f| f.code).collect()
    }

    const GOOD: [(&str, &str); 9] = [
        ("holder_name", "Каримова Гульнара Рустамовна"),
        ("institution", "Таджикский национальный университет"),
        ("series", "АМ"),
        ("number", "7888922"),
        ("study_start", "2013"),
        ("study_end", "2017"),
        ("issue_date", "2017-07-13"),
        ("birth_date", "1995-03-02"),
        ("registration_number", "30829"),
    ];

    #[test]
    fn a_consistent_diploma_has_no_findings() {
        let r = reading(ForeignKind::Diploma, "TJ", &GOOD);
        assert!(findings(&[r], None).is_empty());
    }

    fn with(changes: &[(&str, &str)]) -> FileReading {
        let mut fields: Vec<(&str, &str)> = GOOD.to_vec();
        for (k, v) in changes {
            fields.retain(|(f, _)| f != k);
            fields.push((k, v));
        }
        reading(ForeignKind::Diploma, "TJ", &fields)
    }

    #[test]
    fn impossible_dates_are_named_with_their_values() {
        let f = findings(&[with(&[("issue_date", "2015-07-13")])], None);
        assert_eq!(codes(&f), ["dates.issue_before_study_end"]);
        assert_eq!(f[0].evidence["issue_date"], "2015-07-13");
        assert_eq!(f[0].bbox, Some([100, 500, 300, 30]), "the issue date's box");
        assert!(
            f[0].messages["ru"].contains("2015-07-13"),
            "{:?}",
            f[0].messages
        );
        assert!(f[0].messages["kk"].contains("2017"), "{:?}", f[0].messages);

        let f = findings(&[with(&[("issue_date", "2031-07-13")])], None);
        assert!(codes(&f).contains(&"dates.future"), "{:?}", codes(&f));
        let f = findings(&[with(&[("study_start", "2019")])], None);
        assert_eq!(codes(&f), ["dates.study_order"]);
        let f = findings(&[with(&[("study_start", "2009")])], None);
        assert_eq!(codes(&f), ["dates.study_length"]);
        // Born 2005: eight at admission, twelve at graduation.
        let f = findings(&[with(&[("birth_date", "2005-01-01")])], None);
        assert_eq!(
            codes(&f),
            ["dates.age_at_admission", "dates.age_at_graduation"]
        );
        let app = Application {
            birth_date: Some("1995-03-03".into()),
            ..Default::default()
        };
        let f = findings(&[with(&[])], Some(&app));
        assert_eq!(codes(&f), ["dates.birth_date_differs"]);
    }

    #[test]
    fn numbers_are_held_to_their_countrys_shapes() {
        let f = findings(&[with(&[("number", "788892")])], None);
        assert_eq!(codes(&f), ["number.malformed"]);
        assert_eq!(f[0].evidence["shape"], "######");
        assert_eq!(f[0].evidence["expected"], "#######");
        // A Latin series where Tajik diplomas print Cyrillic letters.
        let f = findings(&[with(&[("series", "AM")])], None);
        assert_eq!(codes(&f), ["number.malformed"]);
        // No rule for the country: nothing to hold it to, and the officer is told so.
        let r = reading(ForeignKind::Diploma, "FR", &[("number", "1")]);
        let f = findings(&[r], None);
        assert_eq!(codes(&f), ["institution.country_not_covered"]);
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(f[0].messages["ru"].contains("FR"), "{:?}", f[0].messages);
    }

    #[test]
    fn a_closed_or_unaccredited_institution_and_an_unknown_one() {
        let r = reading(
            ForeignKind::Diploma,
            "KG",
            &[
                ("institution", "Восточный гуманитарный институт"),
                ("issue_date", "2016-06-20"),
            ],
        );
        let f = findings(&[r], None);
        assert_eq!(
            codes(&f),
            ["dates.after_closure", "institution.not_accredited"]
        );
        let r = reading(
            ForeignKind::Diploma,
            "KG",
            &[
                ("institution", "Восточный гуманитарный институт"),
                ("issue_date", "2010-06-20"),
            ],
        );
        assert!(findings(&[r], None).is_empty());
        let r = reading(
            ForeignKind::Diploma,
            "KG",
            &[("institution", "Академия несуществующих наук")],
        );
        let f = findings(&[r], None);
        assert_eq!(codes(&f), ["institution.unknown"]);
        assert_eq!(f[0].severity, Severity::Info);
    }

    #[test]
    fn the_name_against_the_application() {
        let mut r = with(&[]);
        r.matches.holder_name = Some(crate::ocr::names::compare(
            "Петров Сергей",
            "Каримова Гульнара Рустамовна",
        ));
        let app = Application {
            holder_name: Some("Петров Сергей".into()),
            ..Default::default()
        };
        let f = findings(&[r], Some(&app));
        assert_eq!(codes(&f), ["name.mismatch"]);
        assert_eq!(f[0].severity, Severity::Critical);
        let f = findings(&[with(&[("holder_name", "Kаримова Гульнара")])], None);
        assert_eq!(codes(&f), ["name.mixed_script"]);
    }

    #[test]
    fn apostilles_against_the_convention_and_the_document() {
        let apostille = |country: &str, date: &str| {
            reading(
                ForeignKind::Apostille,
                country,
                &[
                    ("apostille_country", country),
                    ("apostille_signed_by", "A. B"),
                    ("apostille_capacity", "rector"),
                    ("apostille_seal_of", "X"),
                    ("apostille_place", "Y"),
                    ("apostille_date", date),
                    ("apostille_authority", "Z"),
                    ("apostille_number", "1/2"),
                    ("seal", "present"),
                    ("signature", "present"),
                ],
            )
        };
        assert!(findings(&[apostille("CN", "2024-01-10")], None).is_empty());
        let f = findings(&[apostille("CN", "2020-01-10")], None);
        assert_eq!(codes(&f), ["apostille.not_party"]);
        assert_eq!(f[0].evidence["since"], "2023-11-07");
        // Not in the table at all (Turkmenistan): not a party.
        let f = findings(&[apostille("TM", "2020-01-10")], None);
        assert_eq!(codes(&f), ["apostille.not_party"]);
        // Dated before the diploma it certifies.
        let f = findings(&[with(&[]), apostille("TJ", "2017-05-01")], None);
        assert_eq!(codes(&f), ["apostille.before_document"]);
        let mut bare = apostille("RU", "2020-01-10");
        bare.fields.retain(|k, _| k.starts_with("apostille_c"));
        let f = findings(&[bare], None);
        assert_eq!(codes(&f), ["apostille.missing_fields"]);
        assert_eq!(f[0].evidence["count"], 8);
    }

    #[test]
    fn risk_and_route() {
        let t = Thresholds::default();
        let ok = with(&[]);
        let scans = [Scan {
            reading: &ok,
            pages: &[],
        }];
        assert_eq!(
            assess(&scans, &[], &t),
            (0.0, crate::forensics::Route::Cleared)
        );
        let info = Finding::new("institution.unknown", Severity::Info, []);
        assert_eq!(
            assess(&scans, std::slice::from_ref(&info), &t).1,
            crate::forensics::Route::Cleared
        );
        let warn = Finding::new("number.malformed", Severity::Warning, []);
        let (risk, route) = assess(&scans, &[warn.clone(), info], &t);
        assert_eq!(route, crate::forensics::Route::Review);
        assert!((risk - (1.0 - 0.7 * 0.98)).abs() < 1e-3, "{risk}");
        // Unreadable wins: ask for a new scan whatever else was found.
        let mut blank = with(&[]);
        blank.status = "unreadable";
        let scans = [Scan {
            reading: &blank,
            pages: &[],
        }];
        assert_eq!(
            assess(&scans, &[warn], &t).1,
            crate::forensics::Route::Unreadable
        );
    }
}
