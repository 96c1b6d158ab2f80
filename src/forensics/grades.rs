//! `grades.*`: the grades table of a supplement or transcript against the issuing country's
//! scale (`ocr-models/references/formats.json`, `grading`), and the mean printed under it
//! against the mean its rows give.
//!
//! - `grades.out_of_scale` (critical): a grade the scale does not have — a 6 on the
//!   five-point scale, an "A+" among Turkey's letters.
//! - `grades.gpa_inconsistent` (critical): the printed mean is neither the plain mean of the
//!   grades nor their mean weighted by hours or credits, within 0.05 (a mean is printed to two
//!   decimals). It is judged only on a table read whole: every grade on the scale, and the
//!   rows' printed numbers running from 1 without a gap, so that a row the engine lost does
//!   not pass for a forged mean.
//! - `grades.words_disagree` (warning): a grade printed as a number and in words whose two
//!   do not agree («5 (хорошо)»): the number retyped, or misread.

use super::{Context, Finding, Scan, Severity};
use serde_json::json;

/// How far a printed mean may be from the rows' mean: two decimals' rounding, and room for
/// a mean computed by the issuer before rounding each grade.
const MEAN_TOLERANCE: f64 = 0.05;

pub fn check(scan: &Scan, ctx: &Context, out: &mut Vec<Finding>) {
    let rows = &scan.reading.grades;
    if rows.is_empty() {
        return;
    }
    let country = scan
        .reading
        .country
        .as_deref()
        .or(ctx.application.and_then(|a| a.country.as_deref()));
    let Some(scale) = country.and_then(|c| ctx.references.grading(c)) else {
        return;
    };
    let file = &scan.reading.file.sha256;
    let mut whole = true;
    for r in rows {
        if scale.worth(&r.grade).is_none() {
            whole = false;
            out.push(
                Finding::new(
                    "grades.out_of_scale",
                    Severity::Critical,
                    [
                        ("course", json!(r.course)),
                        ("grade", json!(r.grade)),
                        ("scale", json!(scale.describe())),
                        ("country", json!(scale.country)),
                    ],
                )
                .at(file, r.page, r.bbox),
            );
        }
        if let (Some(words), Ok(n)) = (r.in_words, r.grade.parse::<u32>())
            && words != n
        {
            whole = false;
            out.push(
                Finding::new(
                    "grades.words_disagree",
                    Severity::Warning,
                    [
                        ("course", json!(r.course)),
                        ("grade", json!(r.grade)),
                        ("in_words", json!(words.to_string())),
                    ],
                )
                .at(file, r.page, r.bbox),
            );
        }
    }
    let complete = read_whole(rows);
    let Some(gpa) = scan.reading.fields.get("gpa") else {
        return;
    };
    let Ok(printed) = gpa.value.parse::<f64>() else {
        return;
    };
    if !whole || !complete || rows.len() < 3 {
        return;
    }
    let worths: Vec<f64> = rows.iter().filter_map(|r| scale.worth(&r.grade)).collect();
    let plain = worths.iter().sum::<f64>() / worths.len() as f64;
    let weights: Option<Vec<f64>> = rows
        .iter()
        .map(|r| r.credits.or(r.hours).map(f64::from))
        .collect();
    let weighted = weights
        .filter(|w| w.iter().sum::<f64>() > 0.0)
        .map(|w| worths.iter().zip(&w).map(|(g, w)| g * w).sum::<f64>() / w.iter().sum::<f64>());
    let nearest = weighted
        .into_iter()
        .chain([plain])
        .min_by(|a, b| (a - printed).abs().total_cmp(&(b - printed).abs()))
        .unwrap_or(plain);
    if (nearest - printed).abs() > MEAN_TOLERANCE || printed > scale.top() {
        out.push(
            Finding::new(
                "grades.gpa_inconsistent",
                Severity::Critical,
                [
                    ("printed", json!(gpa.value)),
                    ("computed", json!(format!("{nearest:.2}"))),
                    ("rows", json!(rows.len().to_string())),
                ],
            )
            .at(file, gpa.page, gpa.bbox),
        );
    }
}

/// Whether the rows' printed numbers run from 1 without a gap. A number the engine misread
/// («2.» for «5.») is vouched for by its neighbours (4 before it, 6 after it); a row lost
/// puts every number after it one ahead of its place, which nothing vouches for. A table
/// whose rows carry no numbers is taken as read.
fn read_whole(rows: &[crate::ocr::grades::GradeRow]) -> bool {
    let numbers: Vec<Option<u32>> = rows.iter().map(|r| r.row).collect();
    if numbers.iter().all(Option::is_none) {
        return true;
    }
    let n = numbers.len();
    (0..n).all(|i| {
        let place = i as u32 + 1;
        numbers[i] == Some(place)
            || ((i == 0 || numbers[i - 1] == Some(place - 1))
                && (i + 1 == n || numbers[i + 1] == Some(place + 1))
                && numbers[i] != Some(place + 1))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forensics::References;
    use crate::ocr::extract::Field;
    use crate::ocr::grades::GradeRow;

    fn row(n: u32, grade: &str, hours: u32, words: Option<u32>) -> GradeRow {
        GradeRow {
            row: Some(n),
            course: format!("Course {n}"),
            hours: None,
            credits: Some(hours),
            grade: grade.into(),
            in_words: words,
            confidence: 0.9,
            page: 1,
            bbox: [0, 40 * n, 30, 20],
        }
    }

    fn findings(country: &str, rows: Vec<GradeRow>, gpa: Option<&str>) -> Vec<&'static str> {
        let mut reading = crate::forensics::checks::tests::reading(
            crate::intake::ForeignKind::Supplement,
            country,
            &[],
        );
        reading.grades = rows;
        if let Some(g) = gpa {
            reading.fields.insert(
                "gpa".into(),
                Field {
                    value: g.into(),
                    confidence: 0.9,
                    page: 1,
                    bbox: [0, 900, 60, 20],
                },
            );
        }
        let scan = Scan {
            reading: &reading,
            pages: &[],
        };
        let ctx = Context {
            application: None,
            references: References::builtin(),
            seen: None,
            today: time::macros::date!(2026 - 01 - 01),
            enrolled: None,
        };
        let mut out = Vec::new();
        check(&scan, &ctx, &mut out);
        out.iter().map(|f| f.code).collect()
    }

    #[test]
    fn a_grade_beyond_the_scale_and_a_mean_the_rows_do_not_give_are_found() {
        let five = |g: [&str; 4]| {
            g.iter()
                .enumerate()
                .map(|(i, g)| row(i as u32 + 1, g, 4, None))
                .collect::<Vec<_>>()
        };
        // 5, 4, 4, 3: a plain mean of 4.00.
        assert!(findings("RU", five(["5", "4", "4", "3"]), Some("4.00")).is_empty());
        assert_eq!(
            findings("RU", five(["5", "4", "4", "3"]), Some("4.40")),
            ["grades.gpa_inconsistent"]
        );
        // A 6 is off the Russian scale but on the Belarusian one.
        assert_eq!(
            findings("RU", five(["6", "4", "4", "3"]), Some("4.00")),
            ["grades.out_of_scale"]
        );
        assert!(findings("BY", five(["6", "4", "4", "2"]), Some("4.00")).is_empty());
        // Turkey's letters, weighted by credits: AA×6, CC×2 and BB×4 give 3.33 (plain: 3.00).
        let tr = vec![
            row(1, "AA", 6, None),
            row(2, "CC", 2, None),
            row(3, "BB", 4, None),
        ];
        assert!(findings("TR", tr.clone(), Some("3.33")).is_empty());
        let mut plus = tr.clone();
        plus[2].grade = "A+".into();
        assert_eq!(findings("TR", plus, Some("3.33")), ["grades.out_of_scale"]);
        assert_eq!(
            findings("TR", tr.clone(), Some("3.90")),
            ["grades.gpa_inconsistent"]
        );
    }

    #[test]
    fn a_table_not_read_whole_is_not_judged_by_its_mean() {
        let mut rows: Vec<GradeRow> = (1..=4).map(|n| row(n, "4", 4, None)).collect();
        // Row 3 lost: the mean of what is left is not the table's.
        rows.remove(2);
        assert!(findings("RU", rows.clone(), Some("4.50")).is_empty());
        // Row 3's number misread as 8: its neighbours vouch for its place.
        let mut rows: Vec<GradeRow> = (1..=4).map(|n| row(n, "4", 4, None)).collect();
        rows[2].row = Some(8);
        assert_eq!(
            findings("RU", rows, Some("4.50")),
            ["grades.gpa_inconsistent"]
        );
        // A number whose words say otherwise is a warning, and the mean is not judged.
        let mut rows: Vec<GradeRow> = (1..=4).map(|n| row(n, "4", 4, Some(4))).collect();
        rows[0].grade = "5".into();
        assert_eq!(
            findings("RU", rows, Some("4.00")),
            ["grades.words_disagree"]
        );
        // A country whose scale the library does not hold is not judged at all.
        assert!(findings("FR", vec![row(1, "19", 4, None)], Some("9.00")).is_empty());
    }
}
