//! The reference library the checks compare a document with (`ocr-models/references/`):
//! institutions (country, names as printed, accreditation periods, closing day, whether their
//! documents carry a seal), the shapes of series and numbers per country, kind and year, the
//! plausible length of study and ages, and the dates the Hague 1961 Apostille Convention entered
//! into force for each State. Compiled in; a rule is corrected in the JSON, never in code.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use time::Date;

/// An institution of the library.
#[derive(Clone, Debug, Deserialize)]
pub struct Institution {
    pub id: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// Its names as its documents print them, in any language.
    pub names: Vec<String>,
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Periods it was accredited; `to` absent: still accredited.
    #[serde(default)]
    pub accredited: Vec<Period>,
    /// The day it closed, if it did.
    #[serde(default, with = "opt_date")]
    pub closed: Option<Date>,
    /// Whether its documents carry a seal.
    #[serde(default)]
    pub seal: bool,
    /// One of the sample generator's institutions (tests and the demo only).
    #[serde(default)]
    pub synthetic: bool,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Period {
    #[serde(with = "date")]
    pub from: Date,
    #[serde(default, with = "opt_date")]
    pub to: Option<Date>,
}

impl Period {
    pub fn contains(&self, d: Date) -> bool {
        self.from <= d && self.to.is_none_or(|t| d <= t)
    }
}

/// The shapes of a country's series and numbers on one kind of document, from a year on.
#[derive(Clone, Debug, Deserialize)]
pub struct FormatRule {
    pub country: String,
    pub kind: String,
    pub from: i32,
    #[serde(default)]
    pub to: Option<i32>,
    /// Empty: the document has no series.
    pub series: Vec<String>,
    pub number: Vec<String>,
}

/// A country's scale of grades: whole points from the lowest to the highest («2–5»,
/// «1–10»), or letters with the points each is worth (AA is 4.0).
#[derive(Clone, Debug, Deserialize)]
pub struct Grading {
    pub country: String,
    #[serde(default)]
    pub points: Option<(u32, u32)>,
    #[serde(default)]
    pub letters: BTreeMap<String, f64>,
}

impl Grading {
    /// The worth of a grade as read ("5", "BA"), or `None` when it is not on the scale.
    pub fn worth(&self, grade: &str) -> Option<f64> {
        match self.points {
            Some((lo, hi)) => grade
                .parse::<u32>()
                .ok()
                .filter(|g| (lo..=hi).contains(g))
                .map(f64::from),
            None => self.letters.get(grade).copied(),
        }
    }

    /// The scale as a reader would write it: «2–5», or "AA, BA, BB, …".
    pub fn describe(&self) -> String {
        match self.points {
            Some((lo, hi)) => format!("{lo}–{hi}"),
            None => {
                let mut l: Vec<(&String, &f64)> = self.letters.iter().collect();
                l.sort_by(|a, b| b.1.total_cmp(a.1));
                l.iter()
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        }
    }

    /// The highest worth on the scale.
    pub fn top(&self) -> f64 {
        match self.points {
            Some((_, hi)) => f64::from(hi),
            None => self.letters.values().copied().fold(0.0, f64::max),
        }
    }
}

#[derive(Deserialize)]
struct Formats {
    rules: Vec<FormatRule>,
    grading: Vec<Grading>,
    study_years: BTreeMap<String, (i32, i32)>,
    age_years: Ages,
}

/// Plausible ages, in whole years, at admission and at graduation.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct Ages {
    pub admission: (i32, i32),
    pub graduation: (i32, i32),
}

#[derive(Deserialize)]
struct Institutions {
    institutions: Vec<Institution>,
}

#[derive(Deserialize)]
struct Hague {
    entry_into_force: BTreeMap<String, String>,
}

/// The whole library, parsed once.
pub struct References {
    pub institutions: Vec<Institution>,
    pub formats: Vec<FormatRule>,
    /// Plausible years of study per kind (`diploma`: 2–7).
    pub study_years: BTreeMap<String, (i32, i32)>,
    pub ages: Ages,
    /// When the Apostille Convention entered into force for each State.
    pub hague: BTreeMap<String, Date>,
    /// Each country's scale of grades.
    pub grading: Vec<Grading>,
}

mod date {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<time::Date, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_date(&s).ok_or_else(|| serde::de::Error::custom(format!("bad date {s:?}")))
    }
}

mod opt_date {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<time::Date>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => super::parse_date(&s)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom(format!("bad date {s:?}"))),
        }
    }
}

/// `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<Date> {
    Date::parse(
        s.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// A document's date as the reading gives it: `YYYY-MM-DD`, or `YYYY` alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocDate {
    Day(Date),
    Year(i32),
}

impl DocDate {
    pub fn parse(s: &str) -> Option<DocDate> {
        let s = s.trim();
        if let Some(d) = parse_date(s) {
            return Some(DocDate::Day(d));
        }
        (s.len() == 4)
            .then(|| s.parse().ok())
            .flatten()
            .map(DocDate::Year)
    }
    pub fn year(self) -> i32 {
        match self {
            DocDate::Day(d) => d.year(),
            DocDate::Year(y) => y,
        }
    }
    /// Whether `self` is surely before `other` (a year alone is before only a later year).
    pub fn surely_before(self, other: DocDate) -> bool {
        match (self, other) {
            (DocDate::Day(a), DocDate::Day(b)) => a < b,
            (a, b) => a.year() < b.year(),
        }
    }
}

impl References {
    /// The library compiled from `ocr-models/references/`.
    pub fn builtin() -> &'static References {
        static R: OnceLock<References> = OnceLock::new();
        R.get_or_init(|| {
            let i: Institutions = serde_json::from_str(include_str!(
                "../../ocr-models/references/institutions.json"
            ))
            .expect("ocr-models/references/institutions.json is well-formed");
            let f: Formats =
                serde_json::from_str(include_str!("../../ocr-models/references/formats.json"))
                    .expect("ocr-models/references/formats.json is well-formed");
            let h: Hague =
                serde_json::from_str(include_str!("../../ocr-models/references/hague.json"))
                    .expect("ocr-models/references/hague.json is well-formed");
            References {
                institutions: i.institutions,
                formats: f.rules,
                grading: f.grading,
                study_years: f.study_years,
                ages: f.age_years,
                hague: h
                    .entry_into_force
                    .iter()
                    .map(|(c, d)| {
                        (
                            c.clone(),
                            parse_date(d).expect("hague.json dates are YYYY-MM-DD"),
                        )
                    })
                    .collect(),
            }
        })
    }

    /// The institution of `country` whose printed name is closest to `name`, with the
    /// similarity (0–1) of the letter skeletons, if it is at least `min`.
    pub fn institution(
        &self,
        country: Option<&str>,
        name: &str,
        min: f64,
    ) -> Option<(&Institution, f64)> {
        let key = crate::ocr::extract::skeleton(name);
        let key = key.as_str();
        self.institutions
            .iter()
            .filter(|i| country.is_none_or(|c| i.country == c))
            .flat_map(|i| {
                i.names.iter().map(move |n| {
                    (
                        i,
                        strsim::normalized_levenshtein(&crate::ocr::extract::skeleton(n), key),
                    )
                })
            })
            .filter(|(_, s)| *s >= min)
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// Whether the library holds anything for `country` — an institution or a series rule.
    pub fn covers(&self, country: &str) -> bool {
        self.institutions.iter().any(|i| i.country == country)
            || self.formats.iter().any(|r| r.country == country)
    }

    /// A country's scale of grades.
    pub fn grading(&self, country: &str) -> Option<&Grading> {
        self.grading.iter().find(|g| g.country == country)
    }

    /// The series-and-number rule for a country's kind of document issued in `year`.
    pub fn format(&self, country: &str, kind: &str, year: Option<i32>) -> Option<&FormatRule> {
        self.formats.iter().find(|r| {
            r.country == country
                && r.kind == kind
                && year.is_none_or(|y| r.from <= y && r.to.is_none_or(|t| y <= t))
        })
    }
}

/// Whether `value` has `shape`: `#` a digit, `Я` a capital Cyrillic letter, `Z` a capital
/// Latin letter, anything else itself.
pub fn has_shape(value: &str, shape: &str) -> bool {
    value.chars().count() == shape.chars().count()
        && value.chars().zip(shape.chars()).all(|(v, s)| match s {
            '#' => v.is_ascii_digit(),
            'Я' => matches!(
                v,
                'А'..='Я' | 'Ё' | 'Ә' | 'Ғ' | 'Қ' | 'Ң' | 'Ө' | 'Ұ' | 'Ү' | 'Һ' | 'І' | 'Ў'
            ),
            'Z' => v.is_ascii_uppercase(),
            s => v == s,
        })
}

/// The shape of `value`, in the same alphabet, for a finding's evidence.
pub fn shape_of(value: &str) -> String {
    value
        .chars()
        .map(|v| {
            if v.is_ascii_digit() {
                '#'
            } else if v.is_ascii_uppercase() {
                'Z'
            } else if has_shape(&v.to_string(), "Я") {
                'Я'
            } else {
                v
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_library_loads_and_answers() {
        let r = References::builtin();
        assert!(r.institutions.len() >= 12);
        let (i, s) = r
            .institution(Some("KG"), "Кыргызскнй национальный yнивepситет", 0.8)
            .expect("a misread name still finds its institution");
        assert_eq!(i.id, "kg-knu");
        assert!(s < 1.0);
        assert!(
            r.institution(Some("RU"), "Кыргызский национальный университет", 0.8)
                .is_none()
        );
        assert_eq!(r.hague["KZ"], parse_date("2001-01-30").unwrap());
        assert!(r.format("RU", "diploma", Some(2020)).is_some());
        assert!(
            r.format("RU", "diploma", Some(2010)).is_none(),
            "the rule starts in 2014"
        );
    }

    #[test]
    fn shapes() {
        assert!(has_shape("107724", "######"));
        assert!(!has_shape("10772", "######"));
        assert!(has_shape("ВД", "ЯЯ"));
        assert!(
            !has_shape("BD", "ЯЯ"),
            "Latin letters are not Cyrillic ones"
        );
        assert!(has_shape("2019/12345", "####/#####"));
        assert_eq!(shape_of("1О77245"), "#Я#####");
        assert!(
            DocDate::parse("2019")
                .unwrap()
                .surely_before(DocDate::parse("2020-06-01").unwrap())
        );
        assert!(
            !DocDate::parse("2020")
                .unwrap()
                .surely_before(DocDate::parse("2020-06-01").unwrap())
        );
    }
}
