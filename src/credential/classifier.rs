//! Kazakhstan's classifier of specialties, as a table of codes with names in Kazakh, Russian
//! and English (`ocr-models/classifier/specialties.csv`, compiled into the binary).
//!
//! Diplomas must name a specialty code that exists in the table at the diploma's level; PDFs
//! print the classifier's names; the foreign-document pipeline matches programmes against it.
//! The committed table is an excerpt (higher-education codes `6B…`/`7M…`/`8D…` and eight-digit
//! TVET codes) sufficient for the demo and tests; replace the file with the full classifier
//! and rebuild to extend it.

use super::kinds::DiplomaLevel;
use std::collections::HashMap;
use std::sync::OnceLock;

/// One specialty of the classifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Specialty {
    pub code: String,
    pub level: DiplomaLevel,
    pub kk: String,
    pub ru: String,
    pub en: String,
}

const TABLE: &str = include_str!("../../ocr-models/classifier/specialties.csv");

fn parse_level(s: &str) -> Option<DiplomaLevel> {
    Some(match s {
        "tvet" => DiplomaLevel::Tvet,
        "bachelor" => DiplomaLevel::Bachelor,
        "master" => DiplomaLevel::Master,
        "doctorate" => DiplomaLevel::Doctorate,
        _ => return None,
    })
}

/// Parses a classifier table (`code,level,kk,ru,en` with a header line).
pub fn parse(table: &str) -> Result<Vec<Specialty>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(table.as_bytes());
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let r = record.map_err(|e| format!("classifier line {line}: {e}"))?;
        if r.len() != 5 {
            return Err(format!(
                "classifier line {line}: expected 5 columns, found {}",
                r.len()
            ));
        }
        let level = parse_level(&r[1])
            .ok_or_else(|| format!("classifier line {line}: level {:?}", &r[1]))?;
        out.push(Specialty {
            code: r[0].to_string(),
            level,
            kk: r[2].to_string(),
            ru: r[3].to_string(),
            en: r[4].to_string(),
        });
    }
    Ok(out)
}

fn index() -> &'static HashMap<String, Specialty> {
    static INDEX: OnceLock<HashMap<String, Specialty>> = OnceLock::new();
    INDEX.get_or_init(|| {
        // The table is compiled in and checked by a unit test, so a parse failure here is a
        // build defect; an empty index then refuses every code rather than crash a server.
        parse(TABLE)
            .unwrap_or_default()
            .into_iter()
            .map(|s| (s.code.clone(), s))
            .collect()
    })
}

/// Looks a code up in the classifier.
pub fn lookup(code: &str) -> Option<&'static Specialty> {
    index().get(code.trim())
}

/// Every specialty of the table, in no particular order.
pub fn all() -> impl Iterator<Item = &'static Specialty> {
    index().values()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_table_parses_with_unique_codes() {
        let rows = parse(TABLE).expect("table parses");
        assert!(rows.len() >= 40, "{} rows", rows.len());
        let codes: std::collections::HashSet<_> = rows.iter().map(|r| &r.code).collect();
        assert_eq!(codes.len(), rows.len(), "duplicate codes");
        for r in &rows {
            assert!(
                !r.kk.is_empty() && !r.ru.is_empty() && !r.en.is_empty(),
                "{r:?}"
            );
            let prefix_ok = match r.level {
                DiplomaLevel::Bachelor => r.code.starts_with("6B") && r.code.len() == 7,
                DiplomaLevel::Master => r.code.starts_with("7M") && r.code.len() == 7,
                DiplomaLevel::Doctorate => r.code.starts_with("8D") && r.code.len() == 7,
                DiplomaLevel::Tvet => r.code.len() == 8,
            };
            assert!(prefix_ok, "code shape does not match level: {r:?}");
        }
    }

    #[test]
    fn lookup_finds_known_and_refuses_unknown() {
        let s = lookup("06130100").expect("TVET software");
        assert_eq!(s.level, DiplomaLevel::Tvet);
        assert_eq!(s.ru, "Программное обеспечение");
        assert_eq!(
            lookup(" 6B06101 ").map(|s| s.kk.as_str()),
            Some("Ақпараттық жүйелер")
        );
        assert!(lookup("6B06199").is_none());
    }

    #[test]
    fn malformed_tables_are_refused_with_the_line() {
        let e = parse("code,level,kk,ru,en\n6B06101,bachelor,a,b\n").unwrap_err();
        assert!(e.contains("line 2"), "{e}");
        let e = parse("code,level,kk,ru,en\n6B06101,phd,a,b,c\n").unwrap_err();
        assert!(e.contains("level"), "{e}");
    }
}
