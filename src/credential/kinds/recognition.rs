//! The recognition certificate: Kazakhstan's recognition (признание / тану) of a foreign
//! education document, as the recognition officers decided it, with the Kazakh equivalent —
//! the level of education and, for vocational and higher education, the specialty in the
//! classifier.
//!
//! It is issued by the recognition body from a case's decision (never in bulk), and it is a
//! credential like the others: signed, committed to the ledger, printable with a QR code.

use super::{Check, DiplomaLevel, FieldError, Holder, birth_of};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use time::Date;

/// The Kazakh level a foreign document is recognised as equal to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecognisedLevel {
    /// Основное среднее (after grade 9).
    BasicSecondary,
    /// Общее среднее (after grade 11).
    GeneralSecondary,
    Tvet,
    Bachelor,
    Master,
    Doctorate,
}

impl RecognisedLevel {
    /// The diploma level of the classifier, for the levels that have specialties.
    pub fn diploma_level(self) -> Option<DiplomaLevel> {
        match self {
            RecognisedLevel::BasicSecondary | RecognisedLevel::GeneralSecondary => None,
            RecognisedLevel::Tvet => Some(DiplomaLevel::Tvet),
            RecognisedLevel::Bachelor => Some(DiplomaLevel::Bachelor),
            RecognisedLevel::Master => Some(DiplomaLevel::Master),
            RecognisedLevel::Doctorate => Some(DiplomaLevel::Doctorate),
        }
    }

    /// Kazakh and Russian words for the level, as printed.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            RecognisedLevel::BasicSecondary => {
                ("негізгі орта білім", "основное среднее образование")
            }
            RecognisedLevel::GeneralSecondary => ("жалпы орта білім", "общее среднее образование"),
            RecognisedLevel::Tvet => (
                "техникалық және кәсіптік білім",
                "техническое и профессиональное образование",
            ),
            RecognisedLevel::Bachelor => (
                "жоғары білім (бакалавриат)",
                "высшее образование (бакалавриат)",
            ),
            RecognisedLevel::Master => (
                "жоғары оқу орнынан кейінгі білім (магистратура)",
                "послевузовское образование (магистратура)",
            ),
            RecognisedLevel::Doctorate => ("докторантура (PhD)", "докторантура (PhD)"),
        }
    }
}

/// A recognition certificate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recognition {
    pub holder: Holder,
    /// The decision's number, e.g. `ПР-2026-0001A2B3`.
    pub decision_number: String,
    /// Date of the decision: the certificate's date of issue.
    pub issued_on: String,
    /// The foreign document: ISO 3166-1 alpha-2 of the issuing country.
    pub foreign_country: String,
    /// `diploma` or `attestat`.
    pub foreign_kind: String,
    pub foreign_institution: String,
    #[serde(default)]
    pub foreign_specialty: String,
    #[serde(default)]
    pub foreign_series: String,
    pub foreign_number: String,
    /// The foreign document's date of issue, `YYYY-MM-DD` (or `YYYY` when it gives only a year).
    pub foreign_issued_on: String,
    /// The Kazakh equivalent.
    pub level: RecognisedLevel,
    /// Classifier code and name; required for vocational and higher education.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specialty_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specialty_name: Option<String>,
    /// The foreign-document case the decision was taken on.
    pub case: String,
}

impl Recognition {
    pub fn validate(&self, today: Date) -> Result<(), Vec<FieldError>> {
        let mut c = Check::default();
        c.name("holder.full_name", &self.holder.full_name);
        let birth = c
            .iin("holder.iin", &self.holder.iin)
            .and_then(|i| birth_of(&i));
        c.text("decision_number", &self.decision_number, 40);
        c.text("case", &self.case, 64);
        let issued = c.date("issued_on", &self.issued_on);
        if let Some(i) = issued
            && i > today
        {
            c.fail("issued_on", format!("is in the future (today is {today})"));
        }
        let country = self.foreign_country.trim();
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            c.fail(
                "foreign_country",
                format!("{country:?} is not an ISO 3166-1 alpha-2 code such as RU or KG"),
            );
        } else if country == "KZ" {
            c.fail(
                "foreign_country",
                "a document issued in Kazakhstan needs no recognition",
            );
        }
        if !matches!(self.foreign_kind.trim(), "diploma" | "attestat") {
            c.fail(
                "foreign_kind",
                format!("{:?} is neither diploma nor attestat", self.foreign_kind),
            );
        }
        c.text("foreign_institution", &self.foreign_institution, 300);
        c.text("foreign_number", &self.foreign_number, 30);
        if self.foreign_series.trim().chars().count() > 20 {
            c.fail("foreign_series", "is longer than 20 characters");
        }
        if self.foreign_specialty.trim().chars().count() > 300 {
            c.fail("foreign_specialty", "is longer than 300 characters");
        }
        let foreign = self.foreign_issued_on.trim();
        let foreign_date = if foreign.len() == 4 && foreign.bytes().all(|b| b.is_ascii_digit()) {
            foreign
                .parse::<i32>()
                .ok()
                .and_then(|y| Date::from_calendar_date(y, time::Month::December, 31).ok())
        } else {
            c.date("foreign_issued_on", foreign)
        };
        if let (Some(f), Some(i)) = (foreign_date, issued)
            && f > i
        {
            c.fail(
                "foreign_issued_on",
                format!("must be on or before the decision ({i})"),
            );
        }
        if let (Some(b), Some(f)) = (birth, foreign_date)
            && f <= b
        {
            c.fail(
                "foreign_issued_on",
                format!("must be after the birth date in holder.iin ({b})"),
            );
        }
        match (self.level.diploma_level(), &self.specialty_code) {
            (None, Some(_)) => c.fail(
                "specialty_code",
                "secondary education is recognised without a specialty",
            ),
            (Some(_), None) => c.fail(
                "specialty_code",
                "is required for vocational and higher education",
            ),
            (Some(level), Some(code)) => match super::super::classifier::lookup(code.trim()) {
                None => c.fail(
                    "specialty_code",
                    format!("{code:?} is not in the classifier of specialties"),
                ),
                Some(s) if s.level != level => c.fail(
                    "specialty_code",
                    format!("{code:?} is a {:?} specialty, not {level:?}", s.level),
                ),
                Some(_) => {}
            },
            (None, None) => {}
        }
        if let Some(name) = &self.specialty_name {
            c.text("specialty_name", name, 300);
        }
        c.finish()
    }

    pub fn claims(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("holder_name".into(), json!(self.holder.full_name.trim()));
        m.insert("holder_iin".into(), json!(self.holder.iin.trim()));
        m.insert("decision_number".into(), json!(self.decision_number.trim()));
        m.insert("foreign_country".into(), json!(self.foreign_country.trim()));
        m.insert("foreign_kind".into(), json!(self.foreign_kind.trim()));
        m.insert(
            "foreign_institution".into(),
            json!(self.foreign_institution.trim()),
        );
        m.insert(
            "foreign_specialty".into(),
            json!(self.foreign_specialty.trim()),
        );
        m.insert("foreign_series".into(), json!(self.foreign_series.trim()));
        m.insert("foreign_number".into(), json!(self.foreign_number.trim()));
        m.insert(
            "foreign_issued_on".into(),
            json!(self.foreign_issued_on.trim()),
        );
        m.insert("level".into(), json!(self.level));
        if let Some(code) = &self.specialty_code {
            m.insert("specialty_code".into(), json!(code.trim()));
        }
        if let Some(name) = &self.specialty_name {
            m.insert("specialty_name".into(), json!(name.trim()));
        }
        m.insert("case".into(), json!(self.case.trim()));
        m
    }
}
