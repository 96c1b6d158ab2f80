//! The document kinds — attestat, diploma, guardianship act and recognition certificate — their fields, labels in Kazakh, Russian and English, and the
//! rules an issuer's input must satisfy before anything is signed.
//!
//! Validation collects every problem, not just the first, and each [`FieldError`] names the
//! field (a path such as `subjects[3].grade`) and the rule, so a bulk-issuance report can list
//! them all per row. Dates are ISO 8601 `YYYY-MM-DD`; the chain
//! birth < study start < study end ≤ issue ≤ today is enforced for education documents.

use super::ids::Iin;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use time::Date;
use time::macros::format_description;

/// One validation failure: which field, and what rule it breaks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub rule: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.rule)
    }
}

/// Collects errors while checking one document.
#[derive(Default)]
struct Check {
    errors: Vec<FieldError>,
}

impl Check {
    fn fail(&mut self, field: impl Into<String>, rule: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.into(),
            rule: rule.into(),
        });
    }

    fn date(&mut self, field: &str, s: &str) -> Option<Date> {
        match Date::parse(s.trim(), format_description!("[year]-[month]-[day]")) {
            Ok(d) => Some(d),
            Err(_) => {
                self.fail(field, format!("{s:?} is not a date in the form YYYY-MM-DD"));
                None
            }
        }
    }

    fn text(&mut self, field: &str, s: &str, max: usize) {
        let t = s.trim();
        if t.is_empty() {
            self.fail(field, "is required");
        } else if t.chars().count() > max {
            self.fail(field, format!("is longer than {max} characters"));
        } else if t.chars().any(char::is_control) {
            self.fail(field, "contains control characters");
        }
    }

    fn name(&mut self, field: &str, s: &str) {
        self.text(field, s, 200);
        if s.chars().any(|c| c.is_ascii_digit()) {
            self.fail(field, "a person's name has no digits");
        }
    }

    fn iin(&mut self, field: &str, s: &str) -> Option<Iin> {
        match Iin::parse("iin", s) {
            Ok(i) => Some(i),
            Err(e) => {
                self.fail(field, e.reason);
                None
            }
        }
    }

    /// `earlier` < `later` (or ≤ when `allow_equal`), both optional.
    fn order(
        &mut self,
        later_field: &str,
        earlier: Option<(&str, Date)>,
        later: Option<Date>,
        allow_equal: bool,
    ) {
        if let (Some((ef, e)), Some(l)) = (earlier, later)
            && (l < e || (!allow_equal && l == e))
        {
            let op = if allow_equal { "on or after" } else { "after" };
            self.fail(later_field, format!("must be {op} {ef} ({e})"));
        }
    }

    /// The education documents' date chain: birth < study_start < study_end ≤ issued_on ≤ today.
    fn study_dates(
        &mut self,
        birth: Option<Date>,
        study_start: &str,
        study_end: &str,
        issued_on: &str,
        today: Date,
    ) -> (Option<Date>, Option<Date>) {
        let start = self.date("study_start", study_start);
        let end = self.date("study_end", study_end);
        let issued = self.date("issued_on", issued_on);
        self.order(
            "study_start",
            birth.map(|b| ("the birth date in holder.iin", b)),
            start,
            false,
        );
        self.order("study_end", start.map(|s| ("study_start", s)), end, false);
        self.order("issued_on", end.map(|e| ("study_end", e)), issued, true);
        if let Some(i) = issued
            && i > today
        {
            self.fail("issued_on", format!("is in the future (today is {today})"));
        }
        (start, end)
    }

    fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
}

fn birth_of(iin: &Iin) -> Option<Date> {
    let (y, m, d) = iin.birth_date();
    Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()
}

/// Whole years between `from` and `to`.
pub fn age_on(birth: Date, on: Date) -> i32 {
    let mut years = on.year() - birth.year();
    if (on.month() as u8, on.day()) < (birth.month() as u8, birth.day()) {
        years -= 1;
    }
    years
}

/// The holder of an education document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holder {
    pub full_name: String,
    pub iin: String,
}

// ---------------------------------------------------------------------------------------------
// Attestat

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttestatLevel {
    /// Negізгі орта білім / основное среднее: after grade 9.
    BasicSecondary,
    /// Жалпы орта білім / общее среднее: after grade 11.
    GeneralSecondary,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttestatHonours {
    /// «Алтын белгі»: general secondary, every final grade 5.
    AltynBelgi,
    /// Үздік аттестат / аттестат с отличием: basic secondary, every final grade 5.
    WithDistinction,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    pub name: String,
    /// Final grade on the 5-point scale.
    pub grade: u8,
}

/// A school-leaving certificate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attestat {
    pub holder: Holder,
    pub level: AttestatLevel,
    pub school: String,
    pub study_start: String,
    pub study_end: String,
    pub issued_on: String,
    pub series: String,
    pub number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honours: Option<AttestatHonours>,
    pub subjects: Vec<Subject>,
}

impl Attestat {
    pub fn validate(&self, today: Date) -> Result<(), Vec<FieldError>> {
        let mut c = Check::default();
        c.name("holder.full_name", &self.holder.full_name);
        let iin = c.iin("holder.iin", &self.holder.iin);
        c.text("school", &self.school, 300);
        c.text("series", &self.series, 10);
        c.text("number", &self.number, 20);
        if !self.number.trim().chars().all(|ch| ch.is_ascii_digit()) {
            c.fail("number", "is digits only");
        }
        let birth = iin.as_ref().and_then(birth_of);
        let (_, end) = c.study_dates(
            birth,
            &self.study_start,
            &self.study_end,
            &self.issued_on,
            today,
        );
        let min_age = match self.level {
            AttestatLevel::BasicSecondary => 14,
            AttestatLevel::GeneralSecondary => 16,
        };
        if let (Some(b), Some(e)) = (birth, end)
            && age_on(b, e) < min_age
        {
            c.fail(
                "study_end",
                format!("the holder would be {} at graduation; at least {min_age} is expected for this level", age_on(b, e)),
            );
        }
        if self.subjects.is_empty() {
            c.fail(
                "subjects",
                "at least one subject with its final grade is required",
            );
        }
        let mut seen = BTreeSet::new();
        for (i, s) in self.subjects.iter().enumerate() {
            c.text(&format!("subjects[{i}].name"), &s.name, 120);
            if !seen.insert(s.name.trim().to_lowercase()) {
                c.fail(
                    format!("subjects[{i}].name"),
                    format!("{:?} is listed twice", s.name),
                );
            }
            if !(3..=5).contains(&s.grade) {
                c.fail(
                    format!("subjects[{i}].grade"),
                    format!(
                        "{} is outside the 5-point scale's passing grades 3–5",
                        s.grade
                    ),
                );
            }
        }
        let all_fives = !self.subjects.is_empty() && self.subjects.iter().all(|s| s.grade == 5);
        match (self.honours, self.level) {
            (Some(AttestatHonours::AltynBelgi), AttestatLevel::BasicSecondary) => {
                c.fail("honours", "«Алтын белгі» is awarded with the general secondary attestat only")
            }
            (Some(AttestatHonours::WithDistinction), AttestatLevel::GeneralSecondary) => c.fail(
                "honours",
                "with_distinction is the basic secondary honour; general secondary has «Алтын белгі»",
            ),
            (Some(_), _) if !all_fives => c.fail("honours", "requires a final grade of 5 in every subject"),
            _ => {}
        }
        c.finish()
    }

    /// The claims the issuer commits to, one disclosure each.
    pub fn claims(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("holder_name".into(), json!(self.holder.full_name.trim()));
        m.insert("holder_iin".into(), json!(self.holder.iin.trim()));
        m.insert("level".into(), json!(self.level));
        m.insert("school".into(), json!(self.school.trim()));
        m.insert("study_start".into(), json!(self.study_start.trim()));
        m.insert("study_end".into(), json!(self.study_end.trim()));
        m.insert("series".into(), json!(self.series.trim()));
        m.insert("number".into(), json!(self.number.trim()));
        if let Some(h) = self.honours {
            m.insert("honours".into(), json!(h));
        }
        m.insert("subjects".into(), json!(self.subjects));
        m
    }
}

// ---------------------------------------------------------------------------------------------
// Diploma

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiplomaLevel {
    /// Technical and vocational education (ТиПО / ТжКБ).
    Tvet,
    Bachelor,
    Master,
    Doctorate,
}

/// One course of the diploma supplement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Course {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits: Option<u32>,
    /// Letter grade of the credit system: A, A-, B+, B, B-, C+, C, C-, D+, D.
    pub letter: String,
    /// Grade points matching the letter (A = 4.0 … D = 1.0).
    pub points: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Supplement {
    pub courses: Vec<Course>,
    /// Credit-weighted mean of the points, as printed on the supplement.
    pub gpa: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Diploma {
    pub holder: Holder,
    pub level: DiplomaLevel,
    pub institution: String,
    pub specialty_code: String,
    pub specialty_name: String,
    pub qualification: String,
    pub study_start: String,
    pub study_end: String,
    pub issued_on: String,
    pub series: String,
    pub number: String,
    pub registration_number: String,
    #[serde(default)]
    pub honours: bool,
    pub supplement: Supplement,
}

/// Letter grades of the credit system and their points.
pub const LETTER_POINTS: [(&str, f64); 10] = [
    ("A", 4.0),
    ("A-", 3.67),
    ("B+", 3.33),
    ("B", 3.0),
    ("B-", 2.67),
    ("C+", 2.33),
    ("C", 2.0),
    ("C-", 1.67),
    ("D+", 1.33),
    ("D", 1.0),
];

/// GPA at or above which a diploma may carry honours (с отличием / үздік).
pub const HONOURS_MIN_GPA: f64 = 3.5;

impl Diploma {
    /// The specialty-code shape for each level: higher education codes are the level prefix
    /// (6B bachelor, 7M master, 8D doctorate) and five digits, the first two a broad field
    /// 01–12; TVET codes are eight digits. Then the code must exist in the classifier table
    /// at the same level.
    fn code_rule(&self) -> Result<(), String> {
        let code = self.specialty_code.trim();
        let prefix = match self.level {
            DiplomaLevel::Bachelor => Some("6B"),
            DiplomaLevel::Master => Some("7M"),
            DiplomaLevel::Doctorate => Some("8D"),
            DiplomaLevel::Tvet => None,
        };
        match prefix {
            Some(p) => {
                let rest = code.strip_prefix(p).ok_or_else(|| {
                    format!("{code:?} does not start with {p}, the prefix of this level")
                })?;
                if rest.len() != 5 || !rest.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!("{code:?} must be {p} followed by five digits"));
                }
                let field: u8 = rest[..2].parse().unwrap_or(0);
                if !(1..=12).contains(&field) {
                    return Err(format!(
                        "{code:?} names broad field {:02}; fields are 01–12",
                        field
                    ));
                }
                Ok(())
            }
            None if code.len() == 8 && code.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
            None => Err(format!(
                "{code:?} must be eight digits for technical and vocational education"
            )),
        }?;
        match super::classifier::lookup(code) {
            None => Err(format!("{code:?} is not in the classifier of specialties")),
            Some(s) if s.level != self.level => Err(format!(
                "{code:?} is a {:?} specialty in the classifier, not {:?}",
                s.level, self.level
            )),
            Some(_) => Ok(()),
        }
    }

    pub fn validate(&self, today: Date) -> Result<(), Vec<FieldError>> {
        let mut c = Check::default();
        c.name("holder.full_name", &self.holder.full_name);
        let iin = c.iin("holder.iin", &self.holder.iin);
        c.text("institution", &self.institution, 300);
        c.text("specialty_name", &self.specialty_name, 300);
        c.text("qualification", &self.qualification, 300);
        c.text("series", &self.series, 10);
        c.text("number", &self.number, 20);
        c.text("registration_number", &self.registration_number, 30);
        if let Err(rule) = self.code_rule() {
            c.fail("specialty_code", rule);
        }
        let birth = iin.as_ref().and_then(birth_of);
        let (start, _) = c.study_dates(
            birth,
            &self.study_start,
            &self.study_end,
            &self.issued_on,
            today,
        );
        if let (Some(b), Some(s)) = (birth, start)
            && age_on(b, s) < 14
        {
            c.fail(
                "study_start",
                format!(
                    "the holder would be {} at admission; at least 14 is expected",
                    age_on(b, s)
                ),
            );
        }
        let s = &self.supplement;
        if s.courses.is_empty() {
            c.fail(
                "supplement.courses",
                "the supplement lists at least one course",
            );
        }
        let mut weighted = 0.0;
        let mut weight = 0.0;
        for (i, course) in s.courses.iter().enumerate() {
            c.text(&format!("supplement.courses[{i}].name"), &course.name, 200);
            if course.hours.is_none() && course.credits.is_none() {
                c.fail(format!("supplement.courses[{i}]"), "gives hours or credits");
            }
            match LETTER_POINTS
                .iter()
                .find(|(l, _)| *l == course.letter.trim())
            {
                None => c.fail(
                    format!("supplement.courses[{i}].letter"),
                    format!(
                        "{:?} is not a passing letter grade (A, A-, B+, B, B-, C+, C, C-, D+, D)",
                        course.letter
                    ),
                ),
                Some((l, p)) if (p - course.points).abs() > 0.005 => c.fail(
                    format!("supplement.courses[{i}].points"),
                    format!("{} does not match letter {l}, which is {p}", course.points),
                ),
                Some(_) => {}
            }
            let w = f64::from(course.credits.or(course.hours).unwrap_or(1));
            weighted += course.points * w;
            weight += w;
        }
        if weight > 0.0 {
            let gpa = weighted / weight;
            if (gpa - s.gpa).abs() > 0.01 {
                c.fail(
                    "supplement.gpa",
                    format!(
                        "{} is not the credit-weighted mean of the listed grades ({gpa:.2})",
                        s.gpa
                    ),
                );
            }
        }
        if !(0.0..=4.0).contains(&s.gpa) {
            c.fail("supplement.gpa", "is on the 0–4 scale");
        }
        if self.honours && s.gpa < HONOURS_MIN_GPA {
            c.fail(
                "honours",
                format!(
                    "requires a GPA of at least {HONOURS_MIN_GPA}; the supplement has {}",
                    s.gpa
                ),
            );
        }
        c.finish()
    }

    pub fn claims(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("holder_name".into(), json!(self.holder.full_name.trim()));
        m.insert("holder_iin".into(), json!(self.holder.iin.trim()));
        m.insert("level".into(), json!(self.level));
        m.insert("institution".into(), json!(self.institution.trim()));
        m.insert("specialty_code".into(), json!(self.specialty_code.trim()));
        m.insert("specialty_name".into(), json!(self.specialty_name.trim()));
        m.insert("qualification".into(), json!(self.qualification.trim()));
        m.insert("study_start".into(), json!(self.study_start.trim()));
        m.insert("study_end".into(), json!(self.study_end.trim()));
        m.insert("series".into(), json!(self.series.trim()));
        m.insert("number".into(), json!(self.number.trim()));
        m.insert(
            "registration_number".into(),
            json!(self.registration_number.trim()),
        );
        m.insert("honours".into(), json!(self.honours));
        m.insert("supplement".into(), json!(self.supplement));
        m
    }
}

// ---------------------------------------------------------------------------------------------
// Guardianship

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardianshipForm {
    /// Қорғаншылық / опека: a child under 14.
    Opeka,
    /// Қамқоршылық / попечительство: a child of 14 to 18.
    Popechitelstvo,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub full_name: String,
    pub iin: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Basis {
    /// Number of the guardianship authority's decision.
    pub decision_number: String,
    pub decision_date: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case", deny_unknown_fields)]
pub enum GuardianshipStatus {
    Active,
    Terminated { date: String, reason: String },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guardianship {
    pub guardians: Vec<Person>,
    pub child: Person,
    pub form: GuardianshipForm,
    pub basis: Basis,
    pub start_date: String,
    /// When the child comes of age (18); computed from the child's IIN if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_end: Option<String>,
    pub status: GuardianshipStatus,
}

impl Guardianship {
    /// The child's 18th birthday (29 February births come of age on 1 March).
    pub fn majority(&self) -> Option<Date> {
        let birth = Iin::parse("iin", &self.child.iin)
            .ok()
            .as_ref()
            .and_then(birth_of)?;
        Date::from_calendar_date(birth.year() + 18, birth.month(), birth.day())
            .or_else(|_| Date::from_calendar_date(birth.year() + 18, time::Month::March, 1))
            .ok()
    }

    pub fn validate(&self, today: Date) -> Result<(), Vec<FieldError>> {
        let mut c = Check::default();
        c.name("child.full_name", &self.child.full_name);
        let child = c.iin("child.iin", &self.child.iin);
        if self.guardians.is_empty() {
            c.fail("guardians", "at least one guardian is required");
        }
        let start = c.date("start_date", &self.start_date);
        let decided = c.date("basis.decision_date", &self.basis.decision_date);
        c.text("basis.decision_number", &self.basis.decision_number, 40);
        c.order(
            "start_date",
            decided.map(|d| ("basis.decision_date", d)),
            start,
            true,
        );
        if let Some(s) = start
            && s > today
        {
            c.fail("start_date", format!("is in the future (today is {today})"));
        }
        let child_birth = child.as_ref().and_then(birth_of);
        if let (Some(b), Some(s)) = (child_birth, start) {
            let age = age_on(b, s);
            if age >= 18 {
                c.fail(
                    "child.iin",
                    format!(
                        "the child is {age} on start_date; guardianship is for children under 18"
                    ),
                );
            } else if self.form == GuardianshipForm::Opeka && age >= 14 {
                c.fail("form", format!("the child is {age} on start_date; опека is for children under 14, use popechitelstvo"));
            } else if self.form == GuardianshipForm::Popechitelstvo && age < 14 {
                c.fail("form", format!("the child is {age} on start_date; попечительство is for ages 14–18, use opeka"));
            }
            if s < b {
                c.fail("start_date", "is before the child's birth");
            }
        }
        let mut iins = BTreeSet::new();
        if let Some(i) = child {
            iins.insert(i.to_string());
        }
        for (i, g) in self.guardians.iter().enumerate() {
            c.name(&format!("guardians[{i}].full_name"), &g.full_name);
            let Some(giin) = c.iin(&format!("guardians[{i}].iin"), &g.iin) else {
                continue;
            };
            if !iins.insert(giin.to_string()) {
                c.fail(
                    format!("guardians[{i}].iin"),
                    "is the child's or another guardian's IIN",
                );
                continue;
            }
            if let (Some(b), Some(s)) = (birth_of(&giin), start)
                && age_on(b, s) < 18
            {
                c.fail(
                    format!("guardians[{i}].iin"),
                    format!(
                        "the guardian is {} on start_date; a guardian must be an adult",
                        age_on(b, s)
                    ),
                );
            }
        }
        let majority = self.majority();
        if let Some(p) = &self.planned_end
            && let Some(end) = c.date("planned_end", p)
        {
            c.order(
                "planned_end",
                start.map(|s| ("start_date", s)),
                Some(end),
                false,
            );
            if let Some(m) = majority
                && end > m
            {
                c.fail(
                    "planned_end",
                    format!("is after the child comes of age ({m})"),
                );
            }
        }
        if let GuardianshipStatus::Terminated { date, reason } = &self.status {
            let t = c.date("status.date", date);
            c.order("status.date", start.map(|s| ("start_date", s)), t, true);
            if let Some(t) = t
                && t > today
            {
                c.fail(
                    "status.date",
                    format!("is in the future (today is {today})"),
                );
            }
            c.text("status.reason", reason, 300);
        }
        c.finish()
    }

    pub fn claims(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("guardians".into(), json!(self.guardians));
        m.insert("child_name".into(), json!(self.child.full_name.trim()));
        m.insert("child_iin".into(), json!(self.child.iin.trim()));
        m.insert("form".into(), json!(self.form));
        m.insert("basis".into(), json!(self.basis));
        m.insert("start_date".into(), json!(self.start_date.trim()));
        let end = self
            .planned_end
            .clone()
            .or_else(|| self.majority().map(|d| d.to_string()));
        if let Some(e) = end {
            m.insert("planned_end".into(), json!(e));
        }
        m.insert("status".into(), json!(self.status));
        m
    }
}

/// Field labels in Kazakh, Russian and English, for pages, PDFs and error reports.
pub fn label(field: &str) -> Option<(&'static str, &'static str, &'static str)> {
    Some(match field {
        "holder_name" | "holder.full_name" => ("Аты-жөні", "Ф. И. О.", "Full name"),
        "holder_iin" | "holder.iin" => ("ЖСН", "ИИН", "IIN"),
        "level" => ("Білім деңгейі", "Уровень образования", "Level of education"),
        "school" => ("Мектеп", "Школа", "School"),
        "institution" => ("Оқу орны", "Учебное заведение", "Institution"),
        "specialty_code" => ("Мамандық коды", "Код специальности", "Specialty code"),
        "specialty_name" => ("Мамандық", "Специальность", "Specialty"),
        "qualification" => ("Біліктілік", "Квалификация", "Qualification"),
        "study_start" => ("Оқудың басталуы", "Начало обучения", "Start of study"),
        "study_end" => ("Оқудың аяқталуы", "Окончание обучения", "End of study"),
        "issued_on" => ("Берілген күні", "Дата выдачи", "Date of issue"),
        "series" => ("Сериясы", "Серия", "Series"),
        "number" => ("Нөмірі", "Номер", "Number"),
        "registration_number" => (
            "Тіркеу нөмірі",
            "Регистрационный номер",
            "Registration number",
        ),
        "honours" => ("Үздік", "С отличием", "Honours"),
        "subjects" => (
            "Пәндер мен бағалар",
            "Предметы и оценки",
            "Subjects and grades",
        ),
        "supplement" => (
            "Диплом қосымшасы",
            "Приложение к диплому",
            "Diploma supplement",
        ),
        "guardians" => ("Қорғаншылар", "Опекуны", "Guardians"),
        "child_name" => ("Баланың аты-жөні", "Ф. И. О. ребёнка", "Child's full name"),
        "child_iin" => ("Баланың ЖСН", "ИИН ребёнка", "Child's IIN"),
        "form" => ("Нысаны", "Форма", "Form"),
        "basis" => ("Негіздеме", "Основание", "Basis"),
        "start_date" => ("Басталған күні", "Дата начала", "Start date"),
        "planned_end" => ("Аяқталу күні", "Дата окончания", "Planned end"),
        "status" => ("Мәртебесі", "Статус", "Status"),
        "decision_number" => ("Шешім нөмірі", "Номер решения", "Decision number"),
        "foreign_country" => ("Берген ел", "Страна выдачи", "Country of issue"),
        "foreign_kind" => ("Құжат түрі", "Вид документа", "Kind of document"),
        // Printed under the line "foreign document": short enough for the PDF's label column.
        "foreign_institution" => ("Оқу орны", "Учебное заведение", "Institution"),
        "foreign_specialty" => (
            "Шетелдік мамандық",
            "Иностранная специальность",
            "Foreign specialty",
        ),
        "foreign_series" => ("Құжат сериясы", "Серия документа", "Document series"),
        "foreign_number" => ("Құжат нөмірі", "Номер документа", "Document number"),
        "foreign_issued_on" => (
            "Құжат берілген күні",
            "Дата выдачи документа",
            "Document issued on",
        ),
        "case" => ("Іс", "Дело", "Case"),
        "apostille_country" => ("1. Ел", "1. Страна", "1. Country"),
        "signed_by" => ("2. Қол қойған", "2. Подписан", "2. Signed by"),
        "capacity" => ("3. Лауазымы", "3. В качестве", "3. Capacity"),
        "seal_of" => ("4. Мөрі", "4. Печать учреждения", "4. Seal or stamp of"),
        "place" => ("5. Орны", "5. Место", "5. At"),
        "authority" => ("7. Берген орган", "7. Орган", "7. By"),
        "apostille_number" => (
            "8. Апостиль нөмірі",
            "8. Номер апостиля",
            "8. Apostille number",
        ),
        "seal" => ("9. Мөр", "9. Печать", "9. Seal"),
        "signature" => ("10. Қолы", "10. Подпись", "10. Signature"),
        "document_kind" => ("Құжат түрі", "Вид документа", "Document kind"),
        "document_credential" => (
            "Құжат идентификаторы",
            "Идентификатор документа",
            "Document identifier",
        ),
        "document_number" => ("Құжат нөмірі", "Номер документа", "Document number"),
        "document_issued_on" => (
            "Құжат берілген күні",
            "Дата выдачи документа",
            "Document issued on",
        ),
        _ => return None,
    })
}

mod apostille;
mod recognition;
pub use apostille::Apostille;
pub use recognition::{RecognisedLevel, Recognition};

#[cfg(test)]
mod tests;
