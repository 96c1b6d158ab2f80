//! From recognised words to typed fields: the page's kind and country, and the numbered
//! fields of the Hague 1961 apostille certificate, each with its value, confidence, page and
//! box.
//!
//! The apostille is read by its numbers, the one thing every certificate shares whatever its
//! languages: a line (or part of one) that starts with `N.` holds field N, after its label in
//! any of the languages the certificate uses (English, French, Russian, Kazakh), which are
//! stripped one after another with the separators between them. Dates become ISO 8601 and
//! countries ISO 3166-1 alpha-2 (`ocr-models/countries.json`). Fields 9 and 10, the seal and
//! the signature, are found by the ink beside their labels that no recognised word explains.

use super::{PageText, Word};
use crate::intake::ForeignKind;
use image::GrayImage;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// One extracted field.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Field {
    pub value: String,
    /// The mean confidence of the words it was read from (1 for a presence found in pixels).
    pub confidence: f32,
    pub page: usize,
    #[serde(rename = "box")]
    pub bbox: [u32; 4],
}

/// What the pipeline read out of a document.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Reading {
    pub kind: Option<ForeignKind>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    pub template: Option<super::template::TemplateMatch>,
    pub fields: BTreeMap<String, Field>,
    /// The grades table of a supplement or transcript, row by row.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub grades: Vec<super::grades::GradeRow>,
}

/// The apostille's numbered fields 1–8 and the labels printed before their values.
const APOSTILLE: [(u32, &str, &[&str]); 8] = [
    (
        1,
        "apostille_country",
        &["country", "pays", "страна", "ел", "мемлекет"],
    ),
    (
        2,
        "apostille_signed_by",
        &[
            "has been signed by",
            "a été signé par",
            "подписан",
            "подписан(а)",
            "қол қойған",
        ],
    ),
    (
        3,
        "apostille_capacity",
        &[
            "acting in the capacity of",
            "agissant en qualité de",
            "выступающим в качестве",
            "в качестве",
            "лауазымы",
        ],
    ),
    (
        4,
        "apostille_seal_of",
        &[
            "bears the seal/stamp of",
            "bears the seal / stamp of",
            "est revêtu du sceau/timbre de",
            "скреплен печатью",
            "скреплён печатью",
            "мөрімен бекітілген",
        ],
    ),
    (
        5,
        "apostille_place",
        &["at", "à", "в", "в городе", "қаласында"],
    ),
    (6, "apostille_date", &["the", "le", "дата", "күні"]),
    (7, "apostille_authority", &["by", "par", "кем", "кім"]),
    (
        8,
        "apostille_number",
        &["no", "№", "n°", "за №", "за", "нөмірі"],
    ),
];

/// Lowercase letters and digits only: how labels and country names are compared.
pub(super) fn folded(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn countries() -> &'static Vec<(String, String)> {
    static TABLE: OnceLock<Vec<(String, String)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let json: serde_json::Value =
            serde_json::from_str(include_str!("../../ocr-models/countries.json"))
                .expect("ocr-models/countries.json is JSON");
        let mut out = Vec::new();
        if let Some(map) = json["countries"].as_object() {
            for (code, names) in map {
                for n in names.as_array().into_iter().flatten() {
                    if let Some(n) = n.as_str() {
                        out.push((folded(n), code.clone()));
                    }
                }
            }
        }
        // Longest names first, so "Kyrgyz Republic" wins over a shorter name inside it.
        out.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
        out
    })
}

/// The ISO code of a country name as printed, if the table knows it.
pub fn country_code(name: &str) -> Option<String> {
    let f = folded(name);
    if f.is_empty() {
        return None;
    }
    countries()
        .iter()
        .find(|(n, _)| *n == f)
        .map(|(_, c)| c.clone())
}

const MONTHS: [(&[&str], u8); 12] = [
    (
        &["january", "jan", "января", "январь", "қаңтар", "janvier"],
        1,
    ),
    (
        &["february", "feb", "февраля", "февраль", "ақпан", "février"],
        2,
    ),
    (&["march", "mar", "марта", "март", "наурыз", "mars"], 3),
    (&["april", "apr", "апреля", "апрель", "сәуір", "avril"], 4),
    (&["may", "мая", "май", "мамыр", "mai"], 5),
    (&["june", "jun", "июня", "июнь", "маусым", "juin"], 6),
    (&["july", "jul", "июля", "июль", "шілде", "juillet"], 7),
    (&["august", "aug", "августа", "август", "тамыз", "août"], 8),
    (
        &[
            "september",
            "sep",
            "сентября",
            "сентябрь",
            "қыркүйек",
            "septembre",
        ],
        9,
    ),
    (
        &["october", "oct", "октября", "октябрь", "қазан", "octobre"],
        10,
    ),
    (
        &["november", "nov", "ноября", "ноябрь", "қараша", "novembre"],
        11,
    ),
    (
        &[
            "december",
            "dec",
            "декабря",
            "декабрь",
            "желтоқсан",
            "décembre",
        ],
        12,
    ),
];

/// A printed date as ISO 8601: `14.03.2025`, `14/03/2025`, `2025-03-14`, `14 March 2025`,
/// `14 марта 2025 г.`; `None` when it is not a real date.
pub fn iso_date(text: &str) -> Option<String> {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let parts: Vec<&str> = cleaned.split_whitespace().collect();
    let num = |s: &str| s.parse::<u32>().ok();
    let (y, m, d) = match parts.as_slice() {
        [a, b, c, ..] if a.len() == 4 && num(a).is_some() => (num(a)?, num(b)?, num(c)?),
        [a, b, c, ..] if num(a).is_some() && num(b).is_some() && c.len() == 4 => {
            (num(c)?, num(b)?, num(a)?)
        }
        // "June 22, 2022"
        [b, a, c, ..] if num(b).is_none() && num(a).is_some() && c.len() == 4 => {
            let month = b.to_lowercase();
            let m = MONTHS
                .iter()
                .find(|(names, _)| names.contains(&month.as_str()))?
                .1;
            (num(c)?, m as u32, num(a)?)
        }
        [a, b, c, ..] if num(a).is_some() && c.len() == 4 => {
            let month = b.to_lowercase();
            let m = MONTHS
                .iter()
                .find(|(names, _)| names.contains(&month.as_str()))?
                .1;
            (num(c)?, m as u32, num(a)?)
        }
        _ => return None,
    };
    let date = time::Date::from_calendar_date(
        y as i32,
        time::Month::try_from(u8::try_from(m).ok()?).ok()?,
        u8::try_from(d).ok()?,
    )
    .ok()?;
    Some(date.to_string())
}

/// The number a word opens a numbered field with (`1.`, `10.`, and OCR's `1,` or `l.`).
fn field_number(word: &str) -> Option<u32> {
    let w = word.trim_end_matches([':', ')']);
    let body = w.strip_suffix('.').or_else(|| w.strip_suffix(','))?;
    let digits: String = body
        .chars()
        .map(|c| match c {
            'l' | 'I' | '|' => '1',
            'O' | 'o' | 'О' | 'о' => '0',
            c => c,
        })
        .collect();
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Words of one page grouped by line, in reading order.
fn lines(page: &PageText) -> Vec<Vec<&Word>> {
    let mut out: Vec<Vec<&Word>> = Vec::new();
    for w in &page.words {
        match out.last_mut() {
            Some(l) if l[0].line == w.line => l.push(w),
            _ => out.push(vec![w]),
        }
    }
    out
}

pub(crate) fn union(words: &[&Word]) -> [u32; 4] {
    let x0 = words.iter().map(|w| w.bbox[0]).min().unwrap_or(0);
    let y0 = words.iter().map(|w| w.bbox[1]).min().unwrap_or(0);
    let x1 = words
        .iter()
        .map(|w| w.bbox[0] + w.bbox[2])
        .max()
        .unwrap_or(0);
    let y1 = words
        .iter()
        .map(|w| w.bbox[1] + w.bbox[3])
        .max()
        .unwrap_or(0);
    [x0, y0, x1 - x0, y1 - y0]
}

/// A label word's skeleton: folded, then Cyrillic and Latin look-alikes (and OCR's usual
/// swaps: `by` read as `Бу`, `in` as `іп`, `No` as `Мо`) made one letter, so a label is found
/// in whichever script the engine took it for. Applied to both sides of a comparison.
pub(crate) fn skeleton(s: &str) -> String {
    folded(s)
        .chars()
        .map(|c| match c {
            'а' => 'a',
            'в' | 'б' => 'b',
            'е' | 'ё' => 'e',
            'к' => 'k',
            'м' | 'п' | 'n' => 'm',
            'н' => 'h',
            'о' | '0' => 'o',
            'р' => 'p',
            'с' => 'c',
            'т' => 't',
            'у' => 'y',
            'х' => 'x',
            'һ' => 'h',
            'і' | 'ı' | 'l' | '1' => 'i',
            // The breve is the first thing a blur takes: «Настоящии» is «Настоящий».
            'й' => 'и',
            c => c,
        })
        .collect()
}

/// Drops the labels (any of `labels`, in any order and number) and separators from the front.
fn strip_labels<'a>(mut words: &'a [&'a Word], labels: &[&str]) -> &'a [&'a Word] {
    let phrases: Vec<Vec<String>> = labels
        .iter()
        .map(|l| {
            l.split_whitespace()
                .map(skeleton)
                .filter(|w| !w.is_empty())
                .collect()
        })
        .collect();
    loop {
        let Some(first) = words.first() else {
            return words;
        };
        if folded(&first.text).is_empty() {
            words = &words[1..];
            continue;
        }
        let hit = phrases.iter().filter(|p| !p.is_empty()).find(|p| {
            p.len() <= words.len()
                && p.iter()
                    .zip(words.iter())
                    .all(|(l, w)| *l == skeleton(&w.text))
        });
        match hit {
            Some(p) => words = &words[p.len()..],
            None => return words,
        }
    }
}

/// Splits a line where a word opens a numbered field: `[(number, words after it)]`.
fn numbered_segments<'a>(line: &'a [&'a Word]) -> Vec<(u32, &'a [&'a Word], &'a Word)> {
    let starts: Vec<(usize, u32)> = line
        .iter()
        .enumerate()
        .filter_map(|(i, w)| field_number(&w.text).map(|n| (i, n)))
        .filter(|&(_, n)| n >= 1)
        .collect();
    starts
        .iter()
        .enumerate()
        .map(|(k, &(i, n))| {
            let end = starts.get(k + 1).map_or(line.len(), |s| s.0);
            (n, &line[i + 1..end], line[i])
        })
        .collect()
}

fn classify(text: &str) -> Option<ForeignKind> {
    let t = text.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    if has(&["apostille", "апостиль"]) && has(&["1961"]) {
        Some(ForeignKind::Apostille)
    } else if has(&[
        "приложение к диплому",
        "diploma supplement",
        "дипломға қосымша",
    ]) {
        Some(ForeignKind::Supplement)
    } else if has(&["перевод с", "translation from", "аударма"]) {
        Some(ForeignKind::Translation)
    } else if has(&[
        "диплом",
        "diploma",
        "diplom",
        "awarded the degree",
        "присвоена квалификация",
        "присуждена степень",
    ]) {
        Some(ForeignKind::Diploma)
    } else if has(&["аттестат", "certificate of secondary", "shahodatnoma"]) {
        Some(ForeignKind::Attestat)
    } else {
        None
    }
}

/// Ink (pixels darker than 160) in a region, as a share of its area, not counting
/// recognised words' boxes.
pub(crate) fn unexplained_ink(img: &GrayImage, region: [u32; 4], words: &[Word]) -> f32 {
    let [x, y, w, h] = region;
    let (x1, y1) = ((x + w).min(img.width()), (y + h).min(img.height()));
    if x1 <= x || y1 <= y {
        return 0.0;
    }
    let explaining = explaining_words(region, words);
    let inside_word = |px: u32, py: u32| {
        explaining
            .iter()
            .any(|b| px >= b[0] && px < b[0] + b[2] && py >= b[1] && py < b[1] + b[3])
    };
    let mut ink = 0u64;
    for py in y..y1 {
        for px in x..x1 {
            if img.get_pixel(px, py).0[0] < 160 && !inside_word(px, py) {
                ink += 1;
            }
        }
    }
    ink as f32 / ((x1 - x) as u64 * (y1 - y) as u64) as f32
}

/// The boxes of the printed words that explain ink in `region`: only confident real words
/// (a stamp read as "(0 )" does not explain its ink), and only those reaching into it.
pub(crate) fn explaining_words(region: [u32; 4], words: &[Word]) -> Vec<[u32; 4]> {
    let [x, y, w, h] = region;
    let (x1, y1) = (x + w, y + h);
    words
        .iter()
        .filter(|wd| {
            let b = wd.bbox;
            wd.confidence > 0.8
                && wd.text.chars().filter(|c| c.is_alphanumeric()).count() >= 3
                && b[0] < x1
                && b[0] + b[2] > x
                && b[1] < y1
                && b[1] + b[3] > y
        })
        .map(|wd| wd.bbox)
        .collect()
}

/// Reads the kind, the country and the fields out of the pages (`images`: the received
/// pages, for the seal and signature).
pub fn read(pages: &[PageText], images: &[&GrayImage]) -> Reading {
    let text: String = pages
        .iter()
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let mut reading = Reading {
        kind: classify(&text),
        template: super::template::classify(&text),
        ..Reading::default()
    };
    if reading.kind == Some(ForeignKind::Apostille) {
        for (p, page) in pages.iter().enumerate() {
            let ls = lines(page);
            for line in &ls {
                for (n, rest, label) in numbered_segments(line) {
                    // Fields 9 and 10 are known by their labels too, when the number is
                    // misread ("10." as "19.").
                    let n = if (1..=8).contains(&n) {
                        n
                    } else {
                        let has = |l: &[&str]| {
                            rest.iter().any(|w| {
                                let k = skeleton(&w.text);
                                l.iter().any(|l| k.contains(&skeleton(l)))
                            })
                        };
                        if has(&["signature", "подпись", "қолы"]) {
                            10
                        } else if has(&["seal", "stamp", "печать", "мөр"]) {
                            9
                        } else {
                            n
                        }
                    };
                    if let Some((_, name, labels)) = APOSTILLE.iter().find(|(k, _, _)| *k == n) {
                        // A bilingual label is "English / Russian": the value follows the
                        // second, so read from after the slash when there is one (the
                        // English half, read badly, is then no obstacle).
                        // The slash may be read inside one word with the halves ("at/B",
                        // whose Russian half is one letter; not "seal/stamp").
                        let after_slash = rest
                            .iter()
                            .position(|w| {
                                w.text == "/"
                                    || w.text.ends_with('/')
                                    || w.text.rsplit_once('/').is_some_and(|(_, after)| {
                                        after.chars().count() <= 2
                                            && !w.text.chars().any(|c| c.is_ascii_digit())
                                    })
                            })
                            .map_or(rest, |i| &rest[i + 1..]);
                        let mut value = strip_labels(after_slash, labels);
                        if value.is_empty() {
                            value = strip_labels(rest, labels);
                        }
                        // Stray marks after the value ("—", a dot of the frame).
                        while value
                            .last()
                            .is_some_and(|w| !w.text.chars().any(char::is_alphanumeric))
                        {
                            value = &value[..value.len() - 1];
                        }
                        if *name == "apostille_date" {
                            // The date wherever it starts: a label read badly ("the" as
                            // "(һе") is not stripped, but cannot parse as a date either.
                            if let Some(i) = (0..rest.len()).find(|&i| {
                                iso_date(
                                    &rest[i..]
                                        .iter()
                                        .map(|w| w.text.as_str())
                                        .collect::<Vec<_>>()
                                        .join(" "),
                                )
                                .is_some()
                            }) {
                                value = &rest[i..];
                            }
                        }
                        if *name == "apostille_number" {
                            // A number is one run of words with digits; what follows on the
                            // line (a stamp's edge read as letters) is not part of it. Before
                            // it, a label read with a digit («за» as "3a") is no number: a
                            // word of letters with a single digit.
                            while value.first().is_some_and(|w| {
                                w.text.chars().filter(char::is_ascii_digit).count() < 2
                                    && w.text.chars().any(char::is_alphabetic)
                            }) {
                                value = &value[1..];
                            }
                            let mut run = value
                                .iter()
                                .take_while(|w| {
                                    w.text.chars().any(|c| c.is_ascii_digit())
                                        || matches!(w.text.as_str(), "/" | "-")
                                })
                                .count();
                            while run > 0
                                && !value[run - 1].text.chars().any(|c| c.is_ascii_digit())
                            {
                                run -= 1;
                            }
                            value = &value[..run];
                        }
                        if value.is_empty() || reading.fields.contains_key(*name) {
                            continue;
                        }
                        let raw = value
                            .iter()
                            .map(|w| w.text.as_str())
                            .collect::<Vec<_>>()
                            .join(" ");
                        let normalised = match *name {
                            "apostille_date" => iso_date(&raw),
                            "apostille_country" => country_code(&raw),
                            _ => Some(raw.trim_matches([',', ';', '.']).to_string()),
                        };
                        if let Some(v) = normalised {
                            reading.fields.insert(
                                name.to_string(),
                                Field {
                                    value: v,
                                    confidence: value.iter().map(|w| w.confidence).sum::<f32>()
                                        / value.len() as f32,
                                    page: page.page,
                                    bbox: union(value),
                                },
                            );
                        }
                    } else if (n == 9 || n == 10)
                        && let Some(img) = images.get(p)
                    {
                        // The region right of the label's words, five lines of it tall.
                        let b = label.bbox;
                        let label_words = [
                            "seal",
                            "stamp",
                            "печать",
                            "signature",
                            "подпись",
                            "мөр",
                            "қолы",
                        ]
                        .map(skeleton);
                        let end = line
                            .iter()
                            .filter(|w| {
                                let k = skeleton(&w.text);
                                w.text == "/" || label_words.iter().any(|l| k.contains(l.as_str()))
                            })
                            .map(|w| w.bbox[0] + w.bbox[2])
                            .max()
                            .unwrap_or(b[0] + b[2]);
                        let x = end + b[3];
                        let region = [
                            x,
                            b[1].saturating_sub(b[3] * 2),
                            img.width().saturating_sub(x) * 2 / 3,
                            b[3] * 5,
                        ];
                        let share = unexplained_ink(img, region, &page.words);
                        let name = if n == 9 { "seal" } else { "signature" };
                        if share > 0.01 && !reading.fields.contains_key(name) {
                            reading.fields.insert(
                                name.into(),
                                Field {
                                    value: "present".into(),
                                    confidence: 1.0,
                                    page: page.page,
                                    bbox: region,
                                },
                            );
                        }
                    }
                }
            }
        }
        reading.country = reading
            .fields
            .get("apostille_country")
            .map(|f| f.value.clone());
    }
    if reading.country.is_none() {
        // The first country name printed anywhere.
        let f = folded(&text);
        reading.country = countries()
            .iter()
            .filter(|(n, _)| n.chars().count() >= 6)
            .filter_map(|(n, c)| f.find(n.as_str()).map(|at| (at, c)))
            .min_by_key(|(at, _)| *at)
            .map(|(_, c)| c.clone());
    }
    if reading.kind != Some(ForeignKind::Apostille) {
        super::document::read(pages, &mut reading);
        super::grades::read(pages, &mut reading);
    }
    reading
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    fn word(text: &str, line: u32, x: u32) -> Word {
        Word {
            text: text.into(),
            confidence: 0.9,
            bbox: [x, line * 40, 10 * text.chars().count() as u32, 30],
            line,
        }
    }

    pub(in crate::ocr) fn page(lines: &[&str]) -> PageText {
        let mut words = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            let mut x = 100;
            for t in l.split_whitespace() {
                words.push(word(t, i as u32 + 1, x));
                x += 12 * t.chars().count() as u32 + 15;
            }
        }
        PageText {
            page: 1,
            width: 2000,
            height: 3000,
            preprocess: Default::default(),
            mean_confidence: 0.9,
            text: lines.join("\n"),
            words,
            orientation_degrees: 0,
            unreadable: None,
        }
    }

    #[test]
    fn the_numbered_fields_of_a_bilingual_apostille_are_read_and_normalised() {
        let p = page(&[
            "APOSTILLE",
            "(Convention de La Haye du 5 octobre 1961)",
            "1. Country: / Страна: Российская Федерация",
            "This public document / Настоящий официальный документ",
            "2. has been signed by / подписан Иванова Мария Петровна",
            "3. acting in the capacity of / выступающим в качестве ректора",
            "4. bears the seal/stamp of / скреплен печатью МГУ имени М. В. Ломоносова",
            "Certified / Удостоверено",
            "5. at / в Москва 6. the / дата 14.03.2025",
            "7. by / кем Министерство науки и высшего образования",
            "8. No / за № 77-1234/25",
        ]);
        let r = read(&[p], &[]);
        assert_eq!(r.kind, Some(ForeignKind::Apostille));
        assert_eq!(r.country.as_deref(), Some("RU"));
        let v = |k: &str| r.fields.get(k).map(|f| f.value.as_str());
        assert_eq!(v("apostille_country"), Some("RU"));
        assert_eq!(v("apostille_signed_by"), Some("Иванова Мария Петровна"));
        assert_eq!(v("apostille_capacity"), Some("ректора"));
        assert_eq!(v("apostille_seal_of"), Some("МГУ имени М. В. Ломоносова"));
        assert_eq!(v("apostille_place"), Some("Москва"));
        assert_eq!(v("apostille_date"), Some("2025-03-14"));
        assert_eq!(
            v("apostille_authority"),
            Some("Министерство науки и высшего образования")
        );
        assert_eq!(v("apostille_number"), Some("77-1234/25"));
        // Boxes cover the value's words only: the place starts after "5. at / в".
        let place = &r.fields["apostille_place"];
        assert_eq!(place.bbox[1], 9 * 40);
        assert!(place.bbox[0] > 100 + 3 * 15);
    }

    #[test]
    fn labels_misread_into_the_value_are_not_taken_for_it() {
        let p = page(&[
            "APOSTILLE",
            "(Convention de La Haye du 5 octobre 1961)",
            "1. Country: / Страна: Республика Узбекистан",
            "Certified / Удостоверено",
            "5. at/B Самарканд 6. the / дата 14.03.2025",
            "8. No / 3a 81-37809/24",
        ]);
        let r = read(&[p], &[]);
        let v = |k: &str| r.fields.get(k).map(|f| f.value.as_str());
        assert_eq!(v("apostille_place"), Some("Самарканд"));
        assert_eq!(v("apostille_number"), Some("81-37809/24"));
    }

    #[test]
    fn dates_and_countries_normalise_from_their_printed_forms() {
        assert_eq!(iso_date("14.03.2025").as_deref(), Some("2025-03-14"));
        assert_eq!(iso_date("2025-03-14").as_deref(), Some("2025-03-14"));
        assert_eq!(iso_date("14 марта 2025 г.").as_deref(), Some("2025-03-14"));
        assert_eq!(iso_date("3 March 2025").as_deref(), Some("2025-03-03"));
        assert_eq!(iso_date("June 22, 2022").as_deref(), Some("2022-06-22"));
        assert_eq!(iso_date("31.02.2025"), None);
        assert_eq!(iso_date("Москва"), None);
        assert_eq!(country_code("КЫРГЫЗСКАЯ РЕСПУБЛИКА").as_deref(), Some("KG"));
        assert_eq!(country_code("Türkiye").as_deref(), Some("TR"));
        assert_eq!(country_code("Atlantis"), None);
        assert_eq!(field_number("1."), Some(1));
        assert_eq!(field_number("l."), Some(1));
        assert_eq!(field_number("10."), Some(10));
        assert_eq!(field_number("2025."), None);
        assert_eq!(field_number("Москва"), None);
    }

    #[test]
    fn kinds_are_told_by_their_titles() {
        assert_eq!(classify("ДИПЛОМ БАКАЛАВРА"), Some(ForeignKind::Diploma));
        assert_eq!(
            classify("ПРИЛОЖЕНИЕ К ДИПЛОМУ № 123"),
            Some(ForeignKind::Supplement)
        );
        assert_eq!(
            classify("АТТЕСТАТ о среднем общем образовании"),
            Some(ForeignKind::Attestat)
        );
        assert_eq!(classify("a letter"), None);
    }
}
