//! A foreign specialty mapped to the closest entries of Kazakhstan's classifier of
//! specialties (`ocr-models/classifier/specialties.csv`: code, level, and the names in
//! Kazakh, Russian and English), with a score.
//!
//! Names are compared by the Sørensen–Dice coefficient of their letter trigrams (words
//! padded with spaces), which forgives inflection («инженерия» / «инженерии»), word order
//! and a misread letter, and is taken against each of the three names of an entry, so a
//! Russian, Kazakh or English specialty finds its entry alike. When the qualification names a
//! level (bachelor, master, doctor), entries of that level are preferred.

use serde::Serialize;
use std::collections::HashSet;
use std::sync::OnceLock;

/// One entry of the classifier and how well a specialty matches it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProgrammeMatch {
    pub code: String,
    pub level: String,
    pub name_kk: String,
    pub name_ru: String,
    pub name_en: String,
    /// 0–1.
    pub score: f64,
}

struct Entry {
    code: String,
    level: String,
    names: [String; 3],
    grams: [HashSet<String>; 3],
}

fn trigrams(name: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    for word in name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let padded: Vec<char> = format!(" {} ", word.to_lowercase().replace('ё', "е"))
            .chars()
            .collect();
        for w in padded.windows(3) {
            out.insert(w.iter().collect());
        }
    }
    out
}

fn classifier() -> &'static Vec<Entry> {
    static TABLE: OnceLock<Vec<Entry>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut rows = csv::Reader::from_reader(
            include_str!("../../ocr-models/classifier/specialties.csv").as_bytes(),
        );
        rows.records()
            .map(|r| {
                let r = r.expect("ocr-models/classifier/specialties.csv is well-formed CSV");
                let names = [r[2].to_string(), r[3].to_string(), r[4].to_string()];
                Entry {
                    code: r[0].to_string(),
                    level: r[1].to_string(),
                    grams: names.clone().map(|n| trigrams(&n)),
                    names,
                }
            })
            .collect()
    })
}

fn dice(a: &HashSet<String>, b: &HashSet<String>) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    2.0 * a.intersection(b).count() as f64 / (a.len() + b.len()) as f64
}

/// The level a qualification names, in the classifier's words.
fn level_of(qualification: &str) -> Option<&'static str> {
    let q = qualification.to_lowercase();
    let has = |ws: &[&str]| ws.iter().any(|w| q.contains(w));
    if has(&["бакалавр", "bachelor", "lisans"]) {
        Some("bachelor")
    } else if has(&["магистр", "master", "yüksek lisans"]) {
        Some("master")
    } else if has(&["доктор", "doctor", "phd"]) {
        Some("doctorate")
    } else {
        None
    }
}

/// The `n` closest classifier entries to a specialty, best first.
pub fn closest(specialty: &str, qualification: Option<&str>, n: usize) -> Vec<ProgrammeMatch> {
    let grams = trigrams(specialty);
    let level = qualification.and_then(level_of);
    let mut scored: Vec<(f64, bool, &Entry)> = classifier()
        .iter()
        .map(|e| {
            let s = e.grams.iter().map(|g| dice(&grams, g)).fold(0.0, f64::max);
            (s, level.is_some_and(|l| l == e.level), e)
        })
        .filter(|(s, _, _)| *s > 0.0)
        .collect();
    // Best score first; at equal scores the qualification's level, then the classifier's
    // order (bachelor's entries come first there).
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
    scored
        .into_iter()
        .take(n)
        .map(|(s, _, e)| ProgrammeMatch {
            code: e.code.clone(),
            level: e.level.clone(),
            name_kk: e.names[0].clone(),
            name_ru: e.names[1].clone(),
            name_en: e.names[2].clone(),
            score: (s * 1000.0).round() / 1000.0,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specialties_in_any_of_the_three_languages_find_their_entry() {
        for (specialty, code) in [
            ("Программная инженерия", "6B06102"),
            ("Software Engineering", "6B06102"),
            ("Бағдарламалық инженерия", "6B06102"),
            ("Юриспруденция", "6B04201"),
            ("Нефтегазовое дело", "6B07201"),
            ("Petroleum engineering", "6B07201"),
            ("Civil Engineering", "6B07302"),
            // Inflected, and with a misread letter.
            ("программной инженерии", "6B06102"),
            ("Экономиka", "6B04101"),
        ] {
            let m = closest(specialty, None, 3);
            assert_eq!(m[0].code, code, "{specialty}: {m:?}");
            assert!(m[0].score > 0.4, "{specialty}: {m:?}");
            assert!(m.windows(2).all(|w| w[0].score >= w[1].score));
        }
    }

    #[test]
    fn the_qualifications_level_decides_between_equal_names() {
        assert_eq!(closest("Экономика", Some("магистр"), 1)[0].code, "7M04101");
        assert_eq!(
            closest("Economics", Some("Bachelor of Economics"), 1)[0].code,
            "6B04101"
        );
        assert!(closest("Экономика", None, 3).len() == 3);
        assert!(closest("", None, 3).is_empty());
        assert!(closest("zzzz qqqq", None, 3).is_empty());
    }
}
