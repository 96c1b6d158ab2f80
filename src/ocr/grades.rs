//! The grades table of a supplement or transcript: one row per course, with its hours or
//! credits and its grade, and the mean grade printed under the table (`gpa`).
//!
//! A table is known by its header, a line naming both the course and the grade column in
//! any of the languages read («Наименование дисциплины … Оценка», "Course … Grade», «Пән …
//! Баға»); the header also says whether the middle column counts hours or credits. Each line
//! after it is a row when it reads, from the right:
//!
//! - a grade: a number with the grade in words beside it («5 (отлично)», «8 (восемь)»), a
//!   letter grade ("BA", "A-", read through Cyrillic look-alikes), or a bare number;
//! - then the hours or credits, a whole number;
//! - then the course, words with letters in them, after the row's printed number if any.
//!
//! Where a grade is printed both as a number and in words, the number is the grade when it
//! was read with confidence, and the words' value is kept beside it (`in_words`): a forger
//! who retypes the number rarely retypes the words, and a number misread is caught by them.
//! Rows are read in tesseract's lines, so a skewed scan's rows stay whole; lines the engine
//! split at a column's gap are joined back when they share their height.

use super::extract::{Field, Reading, skeleton, union};
use super::{PageText, Word};
use serde::Serialize;

/// One row of a grades table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GradeRow {
    /// The row's number as printed, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u32>,
    pub course: String,
    /// The hours, when the header names the column so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours: Option<u32>,
    /// The credits, when the header names the column so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credits: Option<u32>,
    /// A number on a point scale ("5", "9") or a letter grade ("BA", "A-").
    pub grade: String,
    /// The grade the words beside the number give («отлично» is 5), when there are some.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_words: Option<u32>,
    /// The mean confidence of the row's words.
    pub confidence: f32,
    pub page: usize,
    /// The grade's own box.
    #[serde(rename = "box")]
    pub bbox: [u32; 4],
}

const COURSE_LABELS: [&str; 9] = [
    "дисциплин",
    "учебных",
    "наименование",
    "предмет",
    "course",
    "subject",
    "module",
    "пән",
    "пәндер",
];
const GRADE_LABELS: [&str; 6] = ["оценка", "итоговая", "grade", "баға", "mark", "бағасы"];
const HOURS_LABELS: [&str; 4] = ["час", "hours", "сағат", "hrs"];
const CREDIT_LABELS: [&str; 3] = ["кредит", "credit", "ects"];
/// «Балл» alone, since «Средний» is often read «Среднии»: a line must also hold a decimal
/// number to give a mean.
const MEAN_LABELS: [&str; 7] = [
    "средний балл",
    "балл",
    "gpa",
    "орташа балл",
    "grade point average",
    "average grade",
    "средняя оценка",
];

/// Grades in words and their value: Russian, Kazakh and English names of the five-point
/// scale's grades, and Russian numerals for the ten-point one.
const WORDS: [(&str, u32); 22] = [
    ("отлично", 5),
    ("хорошо", 4),
    ("удовлетворительно", 3),
    ("неудовлетворительно", 2),
    ("өтежақсы", 5),
    ("жақсы", 4),
    ("қанағаттанарлық", 3),
    ("excellent", 5),
    ("good", 4),
    ("satisfactory", 3),
    ("один", 1),
    ("два", 2),
    ("три", 3),
    ("четыре", 4),
    ("пять", 5),
    ("шесть", 6),
    ("семь", 7),
    ("восемь", 8),
    ("девять", 9),
    ("десять", 10),
    ("ноль", 0),
    ("отл", 5),
];

/// Whether a line's text holds one of the labels (letter skeletons, so that look-alike
/// letters do not hide one).
fn has_label(text: &str, labels: &[&str]) -> bool {
    let t = skeleton(text);
    labels.iter().any(|l| t.contains(&skeleton(l)))
}

/// The value of a grade in words, tolerant of a letter or two misread in long words.
fn word_value(text: &str) -> Option<u32> {
    let w: String = text
        .chars()
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_lowercase)
        .collect();
    if w.chars().count() < 3 {
        return None;
    }
    WORDS
        .iter()
        .map(|(name, v)| (strsim::levenshtein(name, &w), name.chars().count(), *v))
        .filter(|(d, len, _)| *d == 0 || (*len >= 6 && *d <= len / 6))
        .min_by_key(|(d, _, _)| *d)
        .map(|(_, _, v)| v)
}

/// A letter grade as printed ("AA", "BA", "A-", "B+", "F"), with Cyrillic look-alikes read
/// as the Latin letters they are. In a table of letter grades (`lenient`), a two-character
/// grade is also read through the engine's confusions of these letters on their own: lower
/// case («cc», «сВ»), `8` for `B` and a round `o` or `0` for `D` («88» is BB, «oc» DC).
fn letter_grade(text: &str, lenient: bool) -> Option<String> {
    let trimmed = text.trim_matches(|c: char| matches!(c, '|' | '(' | ')' | '.' | ','));
    let pair = trimmed.chars().count() == 2;
    let t: String = trimmed
        .chars()
        .map(|c| match c {
            'А' => 'A',
            'В' => 'B',
            'С' => 'C',
            'Е' => 'E',
            '—' | '–' => '-',
            'a' | 'а' if lenient && pair => 'A',
            'в' | '8' if lenient && pair => 'B',
            'c' | 'с' if lenient && pair => 'C',
            'o' | 'о' | 'O' | 'О' | '0' if lenient && pair => 'D',
            c => c,
        })
        .collect();
    let cs: Vec<char> = t.chars().collect();
    let grade = |c: char| ('A'..='F').contains(&c);
    let ok = match cs.as_slice() {
        [a] => grade(*a),
        [a, b] => grade(*a) && (grade(*b) || matches!(b, '+' | '-')),
        _ => false,
    };
    ok.then_some(t)
}

/// A whole number as printed in a cell («108», "(5)", "1."), with `O` read for `0` and the
/// engine's brackets for a stroke at its edge («14}») trimmed.
fn whole(text: &str) -> Option<u32> {
    let t: String = text
        .trim_matches(|c: char| {
            matches!(
                c,
                '|' | '(' | ')' | '.' | ',' | ':' | '{' | '}' | '[' | ']' | '?'
            )
        })
        .chars()
        .map(|c| {
            if matches!(c, 'O' | 'О' | 'o' | 'о') {
                '0'
            } else {
                c
            }
        })
        .collect();
    if t.is_empty() || t.len() > 3 || !t.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// A page's lines in tesseract's order, with the pieces of one printed row that the engine
/// took for separate lines (a column's gap between them) joined back, left to right.
fn rows_of(page: &PageText) -> Vec<Vec<&Word>> {
    let mut lines: Vec<Vec<&Word>> = Vec::new();
    for w in &page.words {
        match lines.last_mut() {
            Some(l) if l.last().is_some_and(|p| p.line == w.line) => l.push(w),
            _ => lines.push(vec![w]),
        }
    }
    let span = |l: &[&Word]| {
        let b = union(l);
        (b[1], b[1] + b[3], b[0], b[0] + b[2])
    };
    let mut out: Vec<Vec<&Word>> = Vec::new();
    for line in lines {
        let (t, b, l, r) = span(&line);
        let joined = out.iter_mut().rev().take(3).find(|o| {
            let (ot, ob, ol, or) = span(o);
            let overlap = b.min(ob).saturating_sub(t.max(ot));
            let height = (b - t).min(ob - ot).max(1);
            overlap * 2 >= height && (r <= ol || l >= or)
        });
        match joined {
            Some(o) => {
                o.extend(line);
                o.sort_by_key(|w| w.bbox[0]);
            }
            None => out.push(line),
        }
    }
    out
}

/// The amount column a header names.
#[derive(Clone, Copy, PartialEq)]
enum Amount {
    Hours,
    Credits,
    None,
}

/// One row, if the line is one.
fn row(line: &[&Word], amount: Amount, letters: bool, page: usize) -> Option<GradeRow> {
    // Cell rules and stray marks carry no letter or digit.
    let mut words: Vec<&Word> = line
        .iter()
        .copied()
        .filter(|w| w.text.chars().any(char::is_alphanumeric))
        .collect();
    let all = words.clone();
    let number = words.first().and_then(|w| {
        let t = w.text.trim_end_matches(['.', ')', ',']);
        (t.len() <= 2 && t.chars().all(|c| c.is_ascii_digit()))
            .then(|| t.parse::<u32>().ok())
            .flatten()
    });
    if number.is_some() {
        words.remove(0);
    }
    // The grade, from the right.
    let last = *words.last()?;
    // Words in brackets after a number: the grade in words, known or not («(одиннадцать)»).
    let bracketed = last.text.starts_with('(') && last.text.chars().any(char::is_alphabetic);
    let before = (words.len() >= 2)
        .then(|| words[words.len() - 2])
        .and_then(|w| whole(&w.text).map(|n| (w, n)));
    let (grade, in_words, grade_words): (String, Option<u32>, Vec<&Word>) =
        if let Some(v) = word_value(&last.text) {
            words.pop();
            match before {
                // The number beside the words is the grade when it agrees with them, or
                // when it was read with the confidence of clean print: a misread digit is
                // read with less, a retyped one is printed as cleanly as the rest.
                Some((w, n))
                    if (n == v && w.confidence >= 0.6 || w.confidence >= 0.8)
                        && !(amount != Amount::None && n > 100) =>
                {
                    words.pop();
                    (n.to_string(), Some(v), vec![w, last])
                }
                Some((w, n)) if n <= 100 && w.confidence >= 0.6 => {
                    words.pop();
                    (v.to_string(), Some(v), vec![w, last])
                }
                _ => {
                    // The number misread as one other character («В» for 8, «$» for 5)
                    // before the words: the words are the grade.
                    if let [.., prev, misread] = words.as_slice()
                        && misread.text.chars().count() == 1
                        && (!misread.text.chars().all(char::is_alphabetic)
                            || whole(&prev.text).is_some())
                    {
                        words.pop();
                    }
                    (v.to_string(), Some(v), vec![last])
                }
            }
        } else if let (true, Some((w, n))) = (bracketed, before) {
            words.pop();
            words.pop();
            (n.to_string(), None, vec![w, last])
        } else if let Some(l) = letter_grade(&last.text, letters) {
            words.pop();
            (l, None, vec![last])
        } else if let Some(n) = whole(&last.text) {
            words.pop();
            (n.to_string(), None, vec![last])
        } else {
            return None;
        };
    let amount_value = if amount == Amount::None {
        None
    } else {
        let n = whole(&words.last()?.text)?;
        words.pop();
        Some(n)
    };
    let course: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
    if !words
        .iter()
        .any(|w| w.text.chars().filter(|c| c.is_alphabetic()).count() >= 3)
    {
        return None;
    }
    Some(GradeRow {
        row: number,
        course: course.join(" ").trim_matches(['|', ' ']).to_string(),
        hours: amount_value.filter(|_| amount == Amount::Hours),
        credits: amount_value.filter(|_| amount == Amount::Credits),
        grade,
        in_words,
        confidence: all.iter().map(|w| w.confidence).sum::<f32>() / all.len().max(1) as f32,
        page,
        bbox: union(&grade_words),
    })
}

/// The mean grade on a line that names it, as printed («4,25» is 4.25).
fn mean(line: &[&Word], page: usize) -> Option<Field> {
    let text: String = line
        .iter()
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    if !has_label(&text, &MEAN_LABELS) {
        return None;
    }
    line.iter().find_map(|w| {
        let t = w.text.trim_matches(|c: char| !c.is_ascii_digit());
        let (int, frac) = t.split_once([',', '.'])?;
        if int.is_empty()
            || int.len() > 2
            || frac.is_empty()
            || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
        {
            return None;
        }
        Some(Field {
            value: format!("{int}.{frac}"),
            confidence: w.confidence,
            page,
            bbox: w.bbox,
        })
    })
}

/// The rows of a table's body, down to the mean under it (or to the third line in a row
/// that is no row), and that mean.
fn table(
    body: &[Vec<&Word>],
    amount: Amount,
    letters: bool,
    page: usize,
) -> (Vec<GradeRow>, Option<Field>) {
    let mut rows = Vec::new();
    let mut misses = 0;
    for line in body {
        if let Some(f) = mean(line, page) {
            return (rows, Some(f));
        }
        match row(line, amount, letters, page) {
            Some(r) => {
                misses = 0;
                rows.push(r);
            }
            None => {
                misses += 1;
                if misses > 2 && !rows.is_empty() {
                    break;
                }
            }
        }
    }
    (rows, None)
}

/// Reads the grades table and the mean grade into `reading`.
pub fn read(pages: &[PageText], reading: &mut Reading) {
    for page in pages {
        let lines = rows_of(page);
        let text = |l: &[&Word]| {
            l.iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        };
        // The header names two of its columns; or, its bold print read badly, one, with the
        // table's first row under it.
        let families = |l: &[&Word]| {
            let t = text(l);
            [
                &COURSE_LABELS[..],
                &GRADE_LABELS,
                &HOURS_LABELS,
                &CREDIT_LABELS,
            ]
            .iter()
            .filter(|f| has_label(&t, f))
            .count()
        };
        let first_row = |i: usize| {
            lines.get(i + 1).is_some_and(|l| {
                [Amount::Hours, Amount::None]
                    .iter()
                    .any(|a| row(l, *a, false, page.page).is_some_and(|r| r.row == Some(1)))
            })
        };
        let Some(header) = lines
            .iter()
            .position(|l| families(l) >= 2)
            .or_else(|| (0..lines.len()).find(|&i| families(&lines[i]) == 1 && first_row(i)))
        else {
            continue;
        };
        let h = text(&lines[header]);
        let amount = if has_label(&h, &CREDIT_LABELS) {
            Amount::Credits
        } else if has_label(&h, &HOURS_LABELS) {
            Amount::Hours
        } else {
            Amount::None
        };
        let body = &lines[header + 1..];
        let (mut rows, gpa) = table(body, amount, false, page.page);
        // A table most of whose grades are letters is read again as one of letters.
        let letters = rows
            .iter()
            .filter(|r| r.grade.chars().all(|c| !c.is_ascii_digit()))
            .count();
        if letters * 2 > rows.len() {
            rows = table(body, amount, true, page.page).0;
        }
        reading.grades.extend(rows);
        if let Some(f) = gpa {
            reading.fields.entry("gpa".into()).or_insert(f);
        }
        // A mean printed further down, after what ended the table.
        if !reading.fields.contains_key("gpa")
            && let Some(f) = lines.iter().find_map(|l| mean(l, page.page))
        {
            reading.fields.insert("gpa".into(), f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::extract::{read as read_all, tests::page};

    #[test]
    fn rows_give_course_hours_and_grade_with_the_words_kept_beside_the_number() {
        let r = read_all(
            &[page(&[
                "ПРИЛОЖЕНИЕ К ДИПЛОМУ",
                "№ | Наименование дисциплины Часов | Оценка",
                "1. Основы права 108 5 (отлично)",
                "2. | Бухгалтерский учет | 144 | 4 (хорошо)",
                "3. Физика 180 3 (удовлетворитeльно)",
                "4. Химия 72 6 (отлично)",
                "5. Физика 72 11 (одиннадцать)",
                "Средний балл: 4,50",
                "Ректор Е. С. Ковалева",
            ])],
            &[],
        );
        let g = &r.grades;
        assert_eq!(g.len(), 5);
        assert_eq!(
            (
                g[1].row,
                g[1].course.as_str(),
                g[1].hours,
                g[1].grade.as_str()
            ),
            (Some(2), "Бухгалтерский учет", Some(144), "4")
        );
        // A Latin «e» inside the words still gives 3.
        assert_eq!(g[2].in_words, Some(3));
        // A retyped number stays what is printed, with the words' 5 beside it.
        assert_eq!((g[3].grade.as_str(), g[3].in_words), ("6", Some(5)));
        // A number whose words are no grade's stays the grade.
        assert_eq!((g[4].grade.as_str(), g[4].in_words), ("11", None));
        assert_eq!(r.fields["gpa"].value, "4.50");
    }

    #[test]
    fn letter_grades_and_credits_are_read_through_cyrillic_look_alikes() {
        let r = read_all(
            &[page(&[
                "DIPLOMA SUPPLEMENT / TRANSCRIPT",
                "No Course Credits Grade",
                "1. Calculus 6 ВА",
                "2. Introduction to Law 4 A+",
                "3. Databases 5 CC",
                "4. Ecology 6 88",
                "5. Marketing 7 oc",
                "Cumulative GPA: 3.21 / 4.00",
            ])],
            &[],
        );
        let g: Vec<_> = r
            .grades
            .iter()
            .map(|g| (g.course.as_str(), g.credits, g.grade.as_str()))
            .collect();
        assert_eq!(
            g,
            [
                ("Calculus", Some(6), "BA"),
                ("Introduction to Law", Some(4), "A+"),
                ("Databases", Some(5), "CC"),
                ("Ecology", Some(6), "BB"),
                ("Marketing", Some(7), "DC"),
            ]
        );
        assert_eq!(r.fields["gpa"].value, "3.21");
    }

    #[test]
    fn a_header_read_badly_is_known_by_one_label_and_the_first_row_under_it() {
        let r = read_all(
            &[page(&[
                "ПРИЛОЖЕНИЕ К ДИПЛОМУ",
                "МА НОО тЕВЫМе Mien ms Часов Oueuna",
                "1. Социология 180 7 (семей",
                "2. Статистика 14} В (восемь)",
                "Среднии балл: 7,50",
            ])],
            &[],
        );
        let g: Vec<_> = r
            .grades
            .iter()
            .map(|g| (g.hours, g.grade.as_str()))
            .collect();
        assert_eq!(g, [(Some(180), "7"), (Some(14), "8")]);
        assert_eq!(r.fields["gpa"].value, "7.50");
    }

    #[test]
    fn an_attestats_subjects_have_no_hours_and_a_grade_misread_as_a_sign_is_read_from_its_words() {
        let r = read_all(
            &[page(&[
                "АТТЕСТАТ",
                "Ма Нити аыые учебных поелметов итоговая енемма",
                "]. Физическая культура $ (отлично)",
                "2. Русский язык 3 (удовлетворительно )",
                "3. Информатика 5 {отлично}",
                "Средний балл аттестата: 4,33",
            ])],
            &[],
        );
        let g: Vec<_> = r
            .grades
            .iter()
            .map(|g| (g.row, g.course.as_str(), g.hours, g.grade.as_str()))
            .collect();
        assert_eq!(
            g,
            [
                (None, "Физическая культура", None, "5"),
                (Some(2), "Русский язык", None, "3"),
                (Some(3), "Информатика", None, "5"),
            ]
        );
    }

    #[test]
    fn without_a_header_nothing_is_a_row() {
        let r = read_all(
            &[page(&[
                "ДИПЛОМ",
                "Регистрационный номер 12 3456",
                "1. Основы права 108 5",
            ])],
            &[],
        );
        assert!(r.grades.is_empty());
    }
}
