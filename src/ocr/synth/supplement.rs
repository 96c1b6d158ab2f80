//! Synthetic supplements to foreign diplomas (transcripts) and foreign school-leaving
//! attestats, with their grades table and ground truth: the holder, the document's series
//! and number, then one numbered row per course (or school subject) with its hours or ECTS
//! credits (not on an attestat) and its grade, and the mean grade under the table.
//!
//! Each country prints grades on its own scale, as the reference library records it:
//!
//! - **five-point** (Russia, Kyrgyzstan, Uzbekistan, Tajikistan): «5 (отлично)», «4 (хорошо)»,
//!   «3 (удовлетворительно)»; the mean of the grades as «Средний балл: 4,25»;
//! - **ten-point** (Belarus): «8 (восемь)»; the mean the same way;
//! - **letters** (Turkey): AA, BA, BB, CB, CC, DC, DD worth 4.0 down to 1.0; the mean
//!   weighted by credits as "Cumulative GPA: 3.21 / 4.00".
//!
//! Half the tables are ruled in a full grid, half only under the header and at the end. A
//! third of the samples are phone photos, the rest scans, as for the diplomas.
//!
//! Two forgeries a tampered twin may carry ([`GradesTamper`]): a grade beyond the country's
//! scale, or a mean that the listed grades do not give.

use super::diploma::{
    COUNTRIES, MEN, SIGNERS, SIGNERS_LATIN, SPECIALTIES, SURNAMES, TURKISH, WOMEN,
};
use super::{FONTS, Mix, Sample, SynthError, condition, font, phone_photo, scan, seal, signature};
use ab_glyph::{FontVec, PxScale};
use image::{Rgb, RgbImage};
use imageproc::drawing::{draw_line_segment_mut, draw_text_mut, text_size};
use serde_json::{Map, Value, json};

/// A grading scale as supplements print it.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Scale {
    Five,
    Ten,
    Letters,
}

/// Courses (Russian, English).
const COURSES: [(&str, &str); 24] = [
    ("История", "History"),
    ("Философия", "Philosophy"),
    ("Иностранный язык", "Foreign Language"),
    ("Математический анализ", "Calculus"),
    ("Линейная алгебра", "Linear Algebra"),
    ("Физическая культура", "Physical Education"),
    ("Экономическая теория", "Economic Theory"),
    ("Информатика", "Computer Science"),
    ("Основы права", "Introduction to Law"),
    ("Психология", "Psychology"),
    ("Социология", "Sociology"),
    ("Статистика", "Statistics"),
    ("Менеджмент", "Management"),
    ("Маркетинг", "Marketing"),
    ("Бухгалтерский учет", "Accounting"),
    ("Базы данных", "Databases"),
    ("Программирование", "Programming"),
    ("Физика", "Physics"),
    ("Химия", "Chemistry"),
    ("Экология", "Ecology"),
    ("Культурология", "Cultural Studies"),
    ("Политология", "Political Science"),
    ("Теория вероятностей", "Probability Theory"),
    ("Дискретная математика", "Discrete Mathematics"),
];

/// The words of the five-point scale's passing grades, 3 to 5.
const FIVE_WORDS: [&str; 3] = ["удовлетворительно", "хорошо", "отлично"];
/// The words of the ten-point scale's numbers, 0 to 10.
const TEN_WORDS: [&str; 11] = [
    "ноль",
    "один",
    "два",
    "три",
    "четыре",
    "пять",
    "шесть",
    "семь",
    "восемь",
    "девять",
    "десять",
];
/// Turkey's letter grades and their points.
const LETTERS: [(&str, f64); 7] = [
    ("AA", 4.0),
    ("BA", 3.5),
    ("BB", 3.0),
    ("CB", 2.5),
    ("CC", 2.0),
    ("DC", 1.5),
    ("DD", 1.0),
];

/// One forgery a supplement's tampered twin carries (`tanba forensics generate --kind
/// supplement`): the same supplement, rendered and scanned exactly as its genuine twin, but
/// for this.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GradesTamper {
    /// One grade beyond the country's scale: «6 (отлично)» on the five-point scale,
    /// «11 (одиннадцать)» on the ten-point one, "A+" among Turkey's letters. The mean is
    /// left as the genuine grades give it.
    Scale,
    /// The mean under the table raised (or, near the top of the scale, lowered) by 0.3 to
    /// 0.6: the listed grades no longer give it.
    Gpa,
}

impl GradesTamper {
    pub const ALL: [GradesTamper; 2] = [GradesTamper::Scale, GradesTamper::Gpa];

    pub fn name(self) -> &'static str {
        match self {
            GradesTamper::Scale => "grade-scale",
            GradesTamper::Gpa => "gpa",
        }
    }
}

/// One row of the table as printed.
struct Row {
    course: String,
    /// Hours, or credits on the letter scale.
    amount: u32,
    /// The grade cell as printed («5 (отлично)», "BA").
    printed: String,
    /// The grade's value as the ground truth gives it ("5", "BA").
    grade: String,
    /// Its worth on the scale (the letter's points).
    points: f64,
}

/// The `seed`-th supplement, genuine or with one `tamper`.
pub fn supplement(seed: u64, tamper: Option<GradesTamper>) -> Result<Sample, SynthError> {
    render(seed, tamper, false)
}

/// The `seed`-th foreign school-leaving attestat («о среднем общем образовании»), genuine or
/// with one `tamper`: the same table of subjects and grades, without hours, under the
/// school's name and the date of issue; Turkey, whose school certificates grade out of 100,
/// is not drawn.
pub fn attestat(seed: u64, tamper: Option<GradesTamper>) -> Result<Sample, SynthError> {
    render(seed, tamper, true)
}

/// School subjects.
const SUBJECTS: [&str; 16] = [
    "Алгебра",
    "Геометрия",
    "Русский язык",
    "Литература",
    "История",
    "Обществознание",
    "Физика",
    "Химия",
    "Биология",
    "География",
    "Информатика",
    "Иностранный язык",
    "Физическая культура",
    "Родной язык",
    "Астрономия",
    "Черчение",
];

/// A city of each country the attestats are drawn from, for the school's name.
fn city(code: &str) -> &'static str {
    match code {
        "RU" => "Новосибирск",
        "KG" => "Бишкек",
        "UZ" => "Ташкент",
        "TJ" => "Душанбе",
        _ => "Минск",
    }
}

fn render(seed: u64, tamper: Option<GradesTamper>, attestat: bool) -> Result<Sample, SynthError> {
    let salt = if attestat { 0xA77E } else { 0x5B1E };
    let mut rng = Mix(seed.wrapping_mul(0xA24B_AED4_963E_E407) ^ salt);
    let regular = font(FONTS[(rng.next() % 3) as usize])?;
    let bold = font(FONTS[3])?;
    // Turkey is the last country of the table.
    let countries = if attestat {
        &COUNTRIES[..COUNTRIES.len() - 1]
    } else {
        &COUNTRIES[..]
    };
    let (code, country_ru, country_en, series_letters, institutions) = *rng.pick(countries);
    let scale = match code {
        "TR" => Scale::Letters,
        "BY" => Scale::Ten,
        _ => Scale::Five,
    };
    let (inst_ru, inst_en) = *rng.pick(institutions);
    let (_, spec_ru, spec_en, _, _) = *rng.pick(&SPECIALTIES);
    let woman = rng.unit() < 0.5;
    let (surname_ru, surname_en) = *rng.pick(&SURNAMES);
    let (given_ru, _, patronymic) = *rng.pick(if woman { &WOMEN } else { &MEN });
    let holder = if scale == Scale::Letters {
        let (g, s) = *rng.pick(&TURKISH);
        let _ = surname_en;
        format!("{} {g}", s.to_uppercase())
    } else if woman {
        format!("{surname_ru}а {given_ru} {patronymic}")
    } else {
        format!("{surname_ru} {given_ru} {patronymic}")
    };
    let birth_year = if attestat { 1999 } else { 1994 } + (rng.next() % 9) as i32;
    let (bm, bd) = (1 + rng.next() % 12, 1 + rng.next() % 28);
    let birth = format!("{birth_year}-{bm:02}-{bd:02}");
    let start = birth_year + 17 + (rng.next() % 2) as i32;
    let end = start + 4;
    let digits =
        |rng: &mut Mix, n: u32| format!("{:0w$}", rng.next() % 10u64.pow(n), w = n as usize);
    let (series, number) = match code {
        "RU" => (
            Some(format!("1{}", digits(&mut rng, 5))),
            digits(&mut rng, 7),
        ),
        "TR" => (None, format!("{end}/{}", digits(&mut rng, 5))),
        _ => (
            Some(rng.pick(series_letters).to_string()),
            digits(&mut rng, 7),
        ),
    };

    // The table: 10 to 14 distinct courses, or 12 to 16 subjects.
    let count = if attestat { 12 } else { 10 } + (rng.next() % 5) as usize;
    let mut order: Vec<usize> = (0..if attestat {
        SUBJECTS.len()
    } else {
        COURSES.len()
    })
        .collect();
    for i in (1..order.len()).rev() {
        order.swap(i, (rng.next() % (i as u64 + 1)) as usize);
    }
    let mut rows: Vec<Row> = order[..count]
        .iter()
        .map(|&i| {
            let (ru, en) = if attestat {
                (SUBJECTS[i], SUBJECTS[i])
            } else {
                COURSES[i]
            };
            match scale {
                Scale::Five => {
                    let g = 3 + weighted(&mut rng, &[1, 4, 5]) as u8;
                    Row {
                        course: ru.into(),
                        amount: 72 + 36 * (rng.next() % 5) as u32,
                        printed: format!("{g} ({})", FIVE_WORDS[g as usize - 3]),
                        grade: g.to_string(),
                        points: g as f64,
                    }
                }
                Scale::Ten => {
                    let g = 5 + weighted(&mut rng, &[1, 2, 3, 4, 3, 2]) as u8;
                    Row {
                        course: ru.into(),
                        amount: 72 + 36 * (rng.next() % 5) as u32,
                        printed: format!("{g} ({})", TEN_WORDS[g as usize]),
                        grade: g.to_string(),
                        points: g as f64,
                    }
                }
                Scale::Letters => {
                    let (l, p) = LETTERS[weighted(&mut rng, &[4, 4, 4, 3, 2, 1, 1])];
                    Row {
                        course: en.into(),
                        amount: 3 + (rng.next() % 5) as u32,
                        printed: l.into(),
                        grade: l.into(),
                        points: p,
                    }
                }
            }
        })
        .collect();
    let mean = mean_of(&rows, scale);
    let (top, decimal) = match scale {
        Scale::Five => (5.0, ','),
        Scale::Ten => (10.0, ','),
        Scale::Letters => (4.0, '.'),
    };
    let mut gpa = mean;
    match tamper {
        Some(GradesTamper::Scale) => {
            let r = &mut rows[(rng.next() % count as u64) as usize];
            (r.printed, r.grade) = match scale {
                Scale::Five => ("6 (отлично)".into(), "6".into()),
                Scale::Ten => ("11 (одиннадцать)".into(), "11".into()),
                Scale::Letters => ("A+".into(), "A+".into()),
            };
        }
        Some(GradesTamper::Gpa) => {
            let shift = rng.range(0.3, 0.6) as f64;
            gpa = if mean + shift <= top {
                mean + shift
            } else {
                mean - shift
            };
        }
        None => {
            // Drawn either way, so that a twin's scan draws what its genuine's does.
            rng.next();
        }
    }
    let gpa_printed = format!("{gpa:.2}").replace('.', &decimal.to_string());

    let mut truth = Map::new();
    let mut put = |k: &str, v: String| {
        truth.insert(k.to_string(), Value::String(v));
    };
    let (day, month) = (bd, bm);
    // (text, size, bold, centred)
    let mut head: Vec<(String, f32, bool, bool)> = Vec::new();
    let (amount_label, signer);
    if attestat {
        // Issued in June of the year school was finished (`start`, at 17 or 18).
        let issued = format!("{start}-06-{:02}", 20 + rng.next() % 10);
        signer = *rng.pick(&SIGNERS);
        let school = format!("Средняя школа № {} г. {}", 1 + rng.next() % 120, city(code));
        let s = series.clone().unwrap_or_default();
        head.push((country_ru.into(), 1.1, true, true));
        head.push(("АТТЕСТАТ".into(), 1.8, true, true));
        head.push(("о среднем общем образовании".into(), 1.1, false, true));
        head.push((format!("Серия {s} № {number}"), 1.1, true, true));
        for line in [
            format!("Фамилия, имя, отчество: {holder}"),
            format!("Дата рождения: {day:02}.{month:02}.{birth_year}"),
            format!("Учебное заведение: {school}"),
            format!("Дата выдачи: {}.06.{start}", &issued[issued.len() - 2..]),
        ] {
            head.push((line, 1.0, false, false));
        }
        amount_label = "";
        put("institution", school);
        put("series", s);
        put("issue_date", issued);
    } else if scale == Scale::Letters {
        signer = *rng.pick(&SIGNERS_LATIN);
        head.push((inst_en.to_uppercase(), 1.2, true, true));
        head.push((country_en.into(), 1.0, false, true));
        head.push(("DIPLOMA SUPPLEMENT / TRANSCRIPT".into(), 1.5, true, true));
        head.push((format!("Diploma No {number}"), 1.0, false, true));
        head.push((format!("Full name: {holder}"), 1.0, false, false));
        head.push((
            format!("Date of birth: {day:02}.{month:02}.{birth_year}"),
            1.0,
            false,
            false,
        ));
        head.push((format!("Programme: {spec_en}"), 1.0, false, false));
        head.push((
            format!("Period of study: {start} - {end}"),
            1.0,
            false,
            false,
        ));
        amount_label = "Credits";
        put("institution", inst_en.to_uppercase());
        put("specialty", spec_en.into());
    } else {
        signer = *rng.pick(&SIGNERS);
        head.push((country_ru.into(), 1.1, true, true));
        head.push((inst_ru.into(), 1.0, false, true));
        head.push(("ПРИЛОЖЕНИЕ К ДИПЛОМУ".into(), 1.5, true, true));
        let s = series.clone().unwrap_or_default();
        head.push((format!("Серия {s} № {number}"), 1.1, true, true));
        head.push((
            format!("Фамилия, имя, отчество: {holder}"),
            1.0,
            false,
            false,
        ));
        head.push((
            format!("Дата рождения: {day:02}.{month:02}.{birth_year}"),
            1.0,
            false,
            false,
        ));
        head.push((format!("Специальность: {spec_ru}"), 1.0, false, false));
        head.push((
            format!("Период обучения: {start} - {end}"),
            1.0,
            false,
            false,
        ));
        amount_label = "Часов";
        put("institution", inst_ru.into());
        put("specialty", spec_ru.into());
        put("series", s);
    }
    put("holder_name", holder.clone());
    put("birth_date", birth.clone());
    put("number", number.clone());
    if !attestat {
        put("study_start", start.to_string());
        put("study_end", end.to_string());
    }
    put("signed_by", signer.into());
    put("gpa", format!("{gpa:.2}"));

    let paper = 240 + (rng.next() % 12) as u8;
    let mut img = RgbImage::from_pixel(1654, 2339, Rgb([paper, paper, paper.saturating_sub(6)]));
    let ink = Rgb([25, 25, 35]);
    let base = rng.range(26.0, 31.0);
    let margin = rng.range(150.0, 200.0) as i32;
    let width = 1654 - 2 * margin;
    let mut y = rng.range(180.0, 240.0) as i32;
    let draw = |img: &mut RgbImage, text: &str, x: i32, y: i32, s: f32, bold_face: bool| {
        let face: &FontVec = if bold_face { &bold } else { &regular };
        draw_text_mut(img, ink, x, y, PxScale::from(s), face, text);
    };
    for (text, size, b, centred) in &head {
        let face: &FontVec = if *b { &bold } else { &regular };
        let mut s = base * size;
        while text_size(PxScale::from(s), face, text).0 as i32 > width {
            s *= 0.92;
        }
        let x = if *centred {
            margin + (width - text_size(PxScale::from(s), face, text).0 as i32) / 2
        } else {
            margin
        };
        draw(&mut img, text, x, y, s, *b);
        y += (s * rng.range(1.7, 2.0)) as i32;
    }

    // The table's columns: the row's number, the course, the hours or credits (right
    // aligned) and the grade.
    let cell = base * 0.95;
    let row_h = (cell * 1.75) as i32;
    let x_course = margin + (cell * 2.6) as i32;
    let x_amount_end = margin + width * 68 / 100;
    let x_grade = margin + width * 74 / 100;
    let grid = rng.unit() < 0.5;
    let rule = Rgb([60, 60, 70]);
    let table_top = y;
    let (course_label, grade_label) = if attestat {
        ("Наименование учебных предметов", "Итоговая оценка")
    } else if scale == Scale::Letters {
        ("Course", "Grade")
    } else {
        ("Наименование дисциплины", "Оценка")
    };
    let ty = y + (row_h - cell as i32) / 2;
    draw(&mut img, "№", margin + 6, ty, cell, true);
    draw(&mut img, course_label, x_course, ty, cell, true);
    if !attestat {
        let aw = text_size(PxScale::from(cell), &bold, amount_label).0 as i32;
        draw(&mut img, amount_label, x_amount_end - aw, ty, cell, true);
    }
    draw(&mut img, grade_label, x_grade, ty, cell, true);
    y += row_h;
    let mut grades = Vec::with_capacity(rows.len());
    let hline = |img: &mut RgbImage, y: i32| {
        draw_line_segment_mut(
            img,
            (margin as f32, y as f32),
            ((margin + width) as f32, y as f32),
            rule,
        );
    };
    hline(&mut img, table_top);
    hline(&mut img, y);
    for (i, r) in rows.iter().enumerate() {
        let ty = y + (row_h - cell as i32) / 2;
        draw(
            &mut img,
            &format!("{}.", i + 1),
            margin + 6,
            ty,
            cell,
            false,
        );
        draw(&mut img, &r.course, x_course, ty, cell, false);
        let amount = r.amount.to_string();
        if !attestat {
            let aw = text_size(PxScale::from(cell), &regular, &amount).0 as i32;
            draw(&mut img, &amount, x_amount_end - aw, ty, cell, false);
        }
        draw(&mut img, &r.printed, x_grade, ty, cell, false);
        y += row_h;
        if grid {
            hline(&mut img, y);
        }
        let amount_key = if scale == Scale::Letters {
            "credits"
        } else {
            "hours"
        };
        grades.push(if attestat {
            json!({"course": r.course, "grade": r.grade})
        } else {
            json!({"course": r.course, amount_key: amount, "grade": r.grade})
        });
    }
    hline(&mut img, y);
    if grid {
        for x in [
            margin,
            x_course - 12,
            if attestat {
                x_grade - 14
            } else {
                (x_amount_end + x_grade) / 2
            },
            margin + width,
        ] {
            draw_line_segment_mut(
                &mut img,
                (x as f32, table_top as f32),
                (x as f32, y as f32),
                rule,
            );
        }
    }
    y += row_h;
    let gpa_line = if attestat {
        format!("Средний балл аттестата: {gpa_printed}")
    } else if scale == Scale::Letters {
        format!("Cumulative GPA: {gpa_printed} / 4.00")
    } else {
        format!("Средний балл: {gpa_printed}")
    };
    draw(&mut img, &gpa_line, margin, y, base, false);
    y += (base * 2.6) as i32;
    let signer_line = if attestat {
        format!("Директор {signer}")
    } else if scale == Scale::Letters {
        format!("Rector {signer}")
    } else {
        format!("Ректор {signer}")
    };
    draw(&mut img, &signer_line, margin, y, base, false);
    signature(&mut img, 900.0, y as f32 + 20.0, signer, &mut rng);
    seal(&mut img, 1200, y + 40, 100, &mut rng);

    let phone = rng.unit() < 1.0 / 3.0;
    let (jpeg, distortions, condition) = if phone {
        let (jpeg, d) = phone_photo(img, &mut rng)?;
        (jpeg, d, "phone")
    } else {
        let strength = rng.unit();
        let (jpeg, d) = scan(img, paper, strength, &mut rng)?;
        (jpeg, d, condition(strength))
    };
    let kind = if attestat { "attestat" } else { "supplement" };
    let layout = match (attestat, scale) {
        (true, _) => "attestat-post-soviet",
        (false, Scale::Letters) => "supplement-english",
        _ => "supplement-russian",
    };
    let truth = json!({
        "kind": kind,
        "country": code,
        "layout": layout,
        "condition": condition,
        "scale": format!("{scale:?}").to_lowercase(),
        "grid": grid,
        "fields": truth,
        "grades": grades,
        "distortions": distortions,
        "tamper": tamper.map(GradesTamper::name),
        "application": {
            "holder_name": holder,
            "birth_date": birth,
            "country": code,
            "kind": kind,
        },
    });
    Ok(Sample { jpeg, truth })
}

/// An index drawn with the given weights.
fn weighted(rng: &mut Mix, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut pick = (rng.next() % total as u64) as u32;
    for (i, w) in weights.iter().enumerate() {
        if pick < *w {
            return i;
        }
        pick -= w;
    }
    weights.len() - 1
}

/// The mean the table gives: plain on the point scales, weighted by credits on the letters.
fn mean_of(rows: &[Row], scale: Scale) -> f64 {
    if scale == Scale::Letters {
        let credits: u32 = rows.iter().map(|r| r.amount).sum();
        rows.iter().map(|r| r.points * r.amount as f64).sum::<f64>() / credits.max(1) as f64
    } else {
        rows.iter().map(|r| r.points).sum::<f64>() / rows.len().max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_mean_is_what_the_rows_give_and_each_tamper_changes_only_its_part() {
        for seed in 0..12 {
            let attestat = seed % 3 == 0;
            let make = |t| render(seed, t, attestat).unwrap().truth;
            let genuine = make(None);
            assert_eq!(
                genuine["kind"],
                if attestat { "attestat" } else { "supplement" }
            );
            let rows = genuine["grades"].as_array().unwrap();
            assert!((10..=16).contains(&rows.len()));
            let gpa: f64 = genuine["fields"]["gpa"].as_str().unwrap().parse().unwrap();
            let (sum, weight) = rows.iter().fold((0.0, 0.0), |(s, w), r| {
                let g = r["grade"].as_str().unwrap();
                match r["credits"].as_str() {
                    Some(c) => {
                        let c: f64 = c.parse().unwrap();
                        let p = LETTERS.iter().find(|(l, _)| *l == g).unwrap().1;
                        (s + p * c, w + c)
                    }
                    None => (s + g.parse::<f64>().unwrap(), w + 1.0),
                }
            });
            assert!((sum / weight - gpa).abs() < 0.006, "seed {seed}");

            let scale = make(Some(GradesTamper::Scale));
            assert_eq!(scale["fields"]["gpa"], genuine["fields"]["gpa"]);
            let changed: Vec<_> = rows
                .iter()
                .zip(scale["grades"].as_array().unwrap())
                .filter(|(a, b)| a != b)
                .collect();
            assert_eq!(changed.len(), 1, "seed {seed}");
            let bad = changed[0].1["grade"].as_str().unwrap();
            assert!(["6", "11", "A+"].contains(&bad));

            let gpa_twin = make(Some(GradesTamper::Gpa));
            assert_eq!(gpa_twin["grades"], genuine["grades"]);
            let shifted: f64 = gpa_twin["fields"]["gpa"].as_str().unwrap().parse().unwrap();
            assert!((shifted - gpa).abs() >= 0.29, "seed {seed}");
            assert_eq!(gpa_twin["distortions"], genuine["distortions"]);
        }
    }
}
