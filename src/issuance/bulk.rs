//! Bulk input: a whole class or cohort from a CSV file, as exported by Excel or 1C, in UTF-8
//! or Windows-1251, comma- or semicolon-separated (Russian-locale Excel writes `;`), or from
//! the first sheet of an XLSX workbook.
//!
//! Columns, by kind (header names as below, any order; extra columns are refused so that a
//! misspelled header does not silently drop data):
//!
//! ```text
//! attestat:     full_name, iin, level, school, study_start, study_end, issued_on, series,
//!               number, honours?, subjects            subjects = "Алгебра:5; Физика:4"
//! diploma:      full_name, iin, level, institution, specialty_code, specialty_name,
//!               qualification, study_start, study_end, issued_on, series, number,
//!               registration_number, honours?, courses, gpa
//!                                                     courses = "Name|credits|letter|points; …"
//! guardianship: guardian_name, guardian_iin, guardian2_name?, guardian2_iin?, child_name,
//!               child_iin, form, decision_number, decision_date, start_date, planned_end?
//! ```
//!
//! Every row is parsed; problems come back as [`RowError`]s naming the row (1 = first data
//! row, as a spreadsheet user counts below the header) and the column.

use super::{Document, RowError};
use crate::credential::kinds::{
    Attestat, Basis, Course, Diploma, FieldError, Guardianship, GuardianshipStatus, Holder, Person,
    Subject, Supplement,
};
use crate::credential::record::DocumentKind;
use std::collections::HashMap;

/// Largest CSV accepted: 20 MB is some 50,000 graduates.
pub const MAX_CSV_BYTES: usize = 20 << 20;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BulkError {
    #[error("the file is {0} bytes; the limit is {MAX_CSV_BYTES}")]
    TooLarge(usize),
    #[error("the file is empty")]
    Empty,
    #[error("the header is missing column(s) {0:?} required for a {1:?} batch")]
    MissingColumns(Vec<String>, DocumentKind),
    #[error("the header has unknown column(s) {0:?}; expected only {1:?}")]
    UnknownColumns(Vec<String>, Vec<String>),
    #[error("the header names column {0:?} twice")]
    DuplicateColumn(String),
    #[error("the file is not valid CSV at line {line}: {reason}")]
    Malformed { line: u64, reason: String },
    #[error("{0:?} documents are not issued in bulk")]
    NotInBulk(DocumentKind),
}

/// Which text encoding a file was read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Windows1251,
}

/// Decodes UTF-8 (with or without BOM) or, failing that, Windows-1251.
pub fn decode_text(bytes: &[u8]) -> (String, Encoding) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), Encoding::Utf8),
        Err(_) => {
            let (s, _, _) = encoding_rs::WINDOWS_1251.decode(bytes);
            (s.into_owned(), Encoding::Windows1251)
        }
    }
}

/// Required and optional columns of a kind issued in bulk; `None` for a kind that is not.
fn columns(kind: DocumentKind) -> Option<(&'static [&'static str], &'static [&'static str])> {
    Some(match kind {
        // Recognition certificates come from the officers' decisions, one case at a time.
        DocumentKind::Recognition | DocumentKind::Apostille => return None,
        DocumentKind::Attestat => (
            &[
                "full_name",
                "iin",
                "level",
                "school",
                "study_start",
                "study_end",
                "issued_on",
                "series",
                "number",
                "subjects",
            ],
            &["honours"],
        ),
        DocumentKind::Diploma => (
            &[
                "full_name",
                "iin",
                "level",
                "institution",
                "specialty_code",
                "specialty_name",
                "qualification",
                "study_start",
                "study_end",
                "issued_on",
                "series",
                "number",
                "registration_number",
                "courses",
                "gpa",
            ],
            &["honours"],
        ),
        DocumentKind::Guardianship => (
            &[
                "guardian_name",
                "guardian_iin",
                "child_name",
                "child_iin",
                "form",
                "decision_number",
                "decision_date",
                "start_date",
            ],
            &["guardian2_name", "guardian2_iin", "planned_end"],
        ),
    })
}

/// The documents of a CSV file, with the encoding it was read in, or every row's problems.
pub fn parse_csv(
    bytes: &[u8],
    kind: DocumentKind,
) -> Result<(Vec<Document>, Encoding, Vec<RowError>), BulkError> {
    if bytes.len() > MAX_CSV_BYTES {
        return Err(BulkError::TooLarge(bytes.len()));
    }
    let (text, encoding) = decode_text(bytes);
    let first_line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .ok_or(BulkError::Empty)?;
    let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let malformed = |e: csv::Error| BulkError::Malformed {
        line: e.position().map_or(0, |p| p.line()),
        reason: e.to_string(),
    };
    let header: Vec<String> = reader
        .headers()
        .map_err(malformed)?
        .iter()
        .map(str::to_string)
        .collect();
    let mut records = Vec::new();
    for record in reader.records() {
        records.push(
            record
                .map_err(malformed)?
                .iter()
                .map(str::to_string)
                .collect(),
        );
    }
    let (docs, errors) = parse_table(&header, &records, kind)?;
    Ok((docs, encoding, errors))
}

/// The documents of an XLSX workbook's first sheet (first row = header), or every row's problems.
/// Date cells become `YYYY-MM-DD`; IINs and BINs stored as numbers get their leading zeros back.
pub fn parse_xlsx(
    bytes: &[u8],
    kind: DocumentKind,
) -> Result<(Vec<Document>, Vec<RowError>), BulkError> {
    use calamine::{Data, Reader as _};
    if bytes.len() > MAX_CSV_BYTES {
        return Err(BulkError::TooLarge(bytes.len()));
    }
    let bad = |reason: String| BulkError::Malformed { line: 0, reason };
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|e| bad(format!("not an XLSX workbook: {e}")))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or(BulkError::Empty)?
        .map_err(|e| bad(e.to_string()))?;
    let mut rows = range.rows();
    let header: Vec<String> = rows
        .next()
        .ok_or(BulkError::Empty)?
        .iter()
        .map(|c| c.to_string())
        .collect();
    let iin_columns: Vec<bool> = header
        .iter()
        .map(|h| h.trim().to_lowercase().ends_with("iin"))
        .collect();
    // Excel counts days from 1899-12-30 (its 1900 leap-year bug folded in).
    let excel_epoch = time::macros::date!(1899 - 12 - 30);
    let records: Vec<Vec<String>> = rows
        .filter(|r| r.iter().any(|c| !matches!(c, Data::Empty)))
        .map(|r| {
            r.iter()
                .enumerate()
                .map(|(i, c)| match c {
                    Data::DateTime(d) => {
                        let days = d.as_f64().floor() as i64;
                        (excel_epoch + time::Duration::days(days)).to_string()
                    }
                    Data::Float(f) if iin_columns.get(i) == Some(&true) && f.fract() == 0.0 => {
                        format!("{:012}", *f as u64)
                    }
                    Data::Int(n) if iin_columns.get(i) == Some(&true) => format!("{n:012}"),
                    Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    parse_table(&header, &records, kind)
}

/// What a bulk file held.
#[derive(Debug)]
pub struct Parsed {
    pub docs: Vec<Document>,
    /// The text encoding of a CSV; `None` for an XLSX workbook.
    pub encoding: Option<Encoding>,
    pub errors: Vec<RowError>,
}

/// What a bulk issuance did.
pub struct BulkOutcome {
    /// Issued documents with their row numbers (data rows counted from 1).
    pub issued: Vec<(usize, Document, super::IssuedCredential)>,
    /// Rows refused, by row number, each with its field errors.
    pub bad: Vec<RowError>,
}

/// Issues the parsed rows as one batch. If any row is bad — unreadable, invalid, a duplicate
/// within the batch or of an earlier document — nothing is issued unless `skip_bad_rows`, in
/// which case the bad rows are set aside (their errors kept) and the rest issued together.
pub fn issue_parsed(
    svc: &super::Issuance,
    bin: &str,
    key: &crate::credential::issuer_key::IssuerSigningKey,
    parsed: Parsed,
    skip_bad_rows: bool,
    today: time::Date,
) -> Result<BulkOutcome, super::IssueError> {
    let Parsed {
        mut docs,
        errors: mut bad,
        ..
    } = parsed;
    // Row numbers in reports count data rows from 1, as in the spreadsheet below its header.
    let mut rows: Vec<usize> = (1..=docs.len() + bad.len())
        .filter(|r| !bad.iter().any(|b| b.row == *r))
        .collect();
    let issued = loop {
        if !bad.is_empty() && !skip_bad_rows {
            break Vec::new();
        }
        if docs.is_empty() {
            break Vec::new();
        }
        match svc.issue_batch(bin, key, &docs, today) {
            Ok(issued) => break issued,
            Err(super::IssueError::Invalid(errs)) => {
                let drop: Vec<usize> = errs.iter().map(|e| e.row).collect();
                for e in errs {
                    bad.push(RowError {
                        row: rows[e.row],
                        errors: e.errors,
                    });
                }
                if !skip_bad_rows {
                    break Vec::new();
                }
                let keep = |i: usize| !drop.contains(&i);
                docs = docs
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| keep(*i))
                    .map(|(_, d)| d)
                    .collect();
                rows = rows
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| keep(*i))
                    .map(|(_, r)| r)
                    .collect();
            }
            Err(e) => return Err(e),
        }
    };
    bad.sort_by_key(|r| r.row);
    let issued = rows
        .into_iter()
        .zip(docs)
        .zip(issued)
        .map(|((r, d), c)| (r, d, c))
        .collect();
    Ok(BulkOutcome { issued, bad })
}

/// CSV or XLSX, told apart by the file's first bytes (an XLSX file is a ZIP archive).
pub fn parse_file(bytes: &[u8], kind: DocumentKind) -> Result<Parsed, BulkError> {
    if bytes.starts_with(b"PK\x03\x04") {
        let (docs, errors) = parse_xlsx(bytes, kind)?;
        Ok(Parsed {
            docs,
            encoding: None,
            errors,
        })
    } else {
        let (docs, enc, errors) = parse_csv(bytes, kind)?;
        Ok(Parsed {
            docs,
            encoding: Some(enc),
            errors,
        })
    }
}

/// Turns a header and its rows into documents, checking the columns first.
fn parse_table(
    header: &[String],
    records: &[Vec<String>],
    kind: DocumentKind,
) -> Result<(Vec<Document>, Vec<RowError>), BulkError> {
    let header: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let (required, optional) = columns(kind).ok_or(BulkError::NotInBulk(kind))?;
    let mut index = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        if index.insert(h.clone(), i).is_some() {
            return Err(BulkError::DuplicateColumn(h.clone()));
        }
    }
    let missing: Vec<String> = required
        .iter()
        .filter(|c| !index.contains_key(**c))
        .map(|c| c.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(BulkError::MissingColumns(missing, kind));
    }
    let known: Vec<&str> = required.iter().chain(optional).copied().collect();
    let unknown: Vec<String> = header
        .iter()
        .filter(|h| !known.contains(&h.as_str()))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(BulkError::UnknownColumns(
            unknown,
            known.iter().map(|s| s.to_string()).collect(),
        ));
    }

    let mut docs = Vec::new();
    let mut errors = Vec::new();
    for (n, record) in records.iter().enumerate() {
        let get = |c: &str| {
            index
                .get(c)
                .and_then(|&i| record.get(i))
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        let mut row = Row {
            get: &get,
            errors: Vec::new(),
        };
        let doc = match kind {
            DocumentKind::Attestat => row.attestat(),
            DocumentKind::Diploma => row.diploma(),
            DocumentKind::Guardianship => row.guardianship(),
            DocumentKind::Recognition | DocumentKind::Apostille => {
                return Err(BulkError::NotInBulk(kind));
            }
        };
        if row.errors.is_empty() {
            docs.push(doc);
        } else {
            errors.push(RowError {
                row: n + 1,
                errors: row.errors,
            });
        }
    }
    if docs.is_empty() && errors.is_empty() {
        return Err(BulkError::Empty);
    }
    Ok((docs, errors))
}

struct Row<'a> {
    get: &'a dyn Fn(&str) -> String,
    errors: Vec<FieldError>,
}

impl Row<'_> {
    fn fail(&mut self, field: &str, rule: String) {
        self.errors.push(FieldError {
            field: field.into(),
            rule,
        });
    }

    fn get(&self, c: &str) -> String {
        (self.get)(c)
    }

    /// A snake_case enum value from its column.
    fn choice<T: serde::de::DeserializeOwned>(&mut self, c: &str, allowed: &str) -> Option<T> {
        let v = self.get(c).to_lowercase();
        match serde_json::from_value(serde_json::Value::String(v.clone())) {
            Ok(t) => Some(t),
            Err(_) => {
                self.fail(c, format!("{v:?} is not one of {allowed}"));
                None
            }
        }
    }

    fn flag(&mut self, c: &str) -> bool {
        match self.get(c).to_lowercase().as_str() {
            "" | "0" | "no" | "false" | "жоқ" | "нет" => false,
            "1" | "yes" | "true" | "иә" | "да" => true,
            other => {
                self.fail(c, format!("{other:?} is not yes/no"));
                false
            }
        }
    }

    fn attestat(&mut self) -> Document {
        let level = self.choice("level", "basic_secondary, general_secondary");
        let honours = match self.get("honours").as_str() {
            "" => None,
            _ => self.choice("honours", "altyn_belgi, with_distinction"),
        };
        let mut subjects = Vec::new();
        for (i, part) in self
            .get("subjects")
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .enumerate()
        {
            match part
                .rsplit_once(':')
                .map(|(n, g)| (n.trim(), g.trim().parse::<u8>()))
            {
                Some((name, Ok(grade))) => subjects.push(Subject {
                    name: name.into(),
                    grade,
                }),
                _ => self.fail(
                    "subjects",
                    format!("item {} {part:?} is not \"Subject:grade\"", i + 1),
                ),
            }
        }
        Document::Attestat(Attestat {
            holder: Holder {
                full_name: self.get("full_name"),
                iin: self.get("iin"),
            },
            level: level.unwrap_or(crate::credential::kinds::AttestatLevel::GeneralSecondary),
            school: self.get("school"),
            study_start: self.get("study_start"),
            study_end: self.get("study_end"),
            issued_on: self.get("issued_on"),
            series: self.get("series"),
            number: self.get("number"),
            honours,
            subjects,
        })
    }

    fn diploma(&mut self) -> Document {
        let level = self.choice("level", "tvet, bachelor, master, doctorate");
        let honours = self.flag("honours");
        let mut courses = Vec::new();
        for (i, part) in self
            .get("courses")
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .enumerate()
        {
            let f: Vec<&str> = part.split('|').map(str::trim).collect();
            match (
                f.as_slice(),
                f.get(1).map(|c| c.parse::<u32>()),
                f.get(3).map(|p| p.replace(',', ".").parse::<f64>()),
            ) {
                ([name, _, letter, _], Some(Ok(credits)), Some(Ok(points))) => {
                    courses.push(Course {
                        name: name.to_string(),
                        hours: None,
                        credits: Some(credits),
                        letter: letter.to_string(),
                        points,
                    })
                }
                _ => self.fail(
                    "courses",
                    format!(
                        "item {} {part:?} is not \"Name|credits|letter|points\"",
                        i + 1
                    ),
                ),
            }
        }
        let gpa = match self.get("gpa").replace(',', ".").parse::<f64>() {
            Ok(g) => g,
            Err(_) => {
                self.fail("gpa", format!("{:?} is not a number", self.get("gpa")));
                0.0
            }
        };
        Document::Diploma(Diploma {
            holder: Holder {
                full_name: self.get("full_name"),
                iin: self.get("iin"),
            },
            level: level.unwrap_or(crate::credential::kinds::DiplomaLevel::Bachelor),
            institution: self.get("institution"),
            specialty_code: self.get("specialty_code"),
            specialty_name: self.get("specialty_name"),
            qualification: self.get("qualification"),
            study_start: self.get("study_start"),
            study_end: self.get("study_end"),
            issued_on: self.get("issued_on"),
            series: self.get("series"),
            number: self.get("number"),
            registration_number: self.get("registration_number"),
            honours,
            supplement: Supplement { courses, gpa },
        })
    }

    fn guardianship(&mut self) -> Document {
        let form = self.choice("form", "opeka, popechitelstvo");
        let mut guardians = vec![Person {
            full_name: self.get("guardian_name"),
            iin: self.get("guardian_iin"),
        }];
        if !self.get("guardian2_iin").is_empty() || !self.get("guardian2_name").is_empty() {
            guardians.push(Person {
                full_name: self.get("guardian2_name"),
                iin: self.get("guardian2_iin"),
            });
        }
        let planned_end = Some(self.get("planned_end")).filter(|s| !s.is_empty());
        Document::Guardianship(Guardianship {
            guardians,
            child: Person {
                full_name: self.get("child_name"),
                iin: self.get("child_iin"),
            },
            form: form.unwrap_or(crate::credential::kinds::GuardianshipForm::Opeka),
            basis: Basis {
                decision_number: self.get("decision_number"),
                decision_date: self.get("decision_date"),
            },
            start_date: self.get("start_date"),
            planned_end,
            status: GuardianshipStatus::Active,
        })
    }
}

#[cfg(test)]
mod tests;
