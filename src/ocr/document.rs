//! The main fields of a foreign diploma or attestat: the holder, the institution, the
//! specialty, the dates, the series and number, the registration number and who signed.
//!
//! No template is assumed. Documents of every country and layout share their *labels*
//! ("Дата выдачи", "Date of issue", "Registration No", "по специальности", "This is to
//! certify that") and the *shapes* of their values (a date, a run of digits, a name of two to
//! four capitalised words, initials and a surname), so each field is found by a label in any
//! of the languages, in whichever script the engine took its letters for, and its value is
//! read from the rest of that line or, when the label ends its line, from the line below, then
//! parsed by its shape, which also drops the frame's and the seal's debris that the engine
//! reads as letters. A few fields have no label on some documents and are found by shape
//! alone: a line of two digit groups under the title is the series and number of a Russian
//! diploma; a line naming a university is the institution. And a layout whose labels are in
//! no vocabulary ("Graduate:", "Awarded on:") still has `label: value` lines: the holder, the
//! study years and the issue date still missing are taken from those no field was read from,
//! by their values' shapes (see [`by_shape`]).

use super::PageText;
use super::Word;
use super::extract::{Field, Reading, folded, iso_date, skeleton, union};

/// One line of a page: its words without the frame's strokes (`|`, `—`).
struct Line<'a> {
    page: usize,
    words: Vec<&'a Word>,
}

impl Line<'_> {
    fn text(&self) -> String {
        join(&self.words)
    }
}

fn join(words: &[&Word]) -> String {
    words
        .iter()
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn page_lines(pages: &[PageText]) -> Vec<Line<'_>> {
    let mut out: Vec<Line> = Vec::new();
    for p in pages {
        let mut current: Option<u32> = None;
        for w in &p.words {
            if !w.text.chars().any(char::is_alphanumeric) && !matches!(w.text.as_str(), "№" | "/")
            {
                continue;
            }
            if current != Some(w.line) {
                current = Some(w.line);
                out.push(Line {
                    page: p.page,
                    words: Vec::new(),
                });
            }
            out.last_mut().expect("pushed above").words.push(w);
        }
    }
    for line in &mut out {
        trim_debris(&mut line.words);
    }
    out.retain(|l| !l.words.is_empty());
    out
}

/// Drops what the frame, the seal and the paper's edge leave at a line's ends: words of one
/// letter or digit (`7`, `т`, `2!`). A capital letter at the start stays when a number sign
/// or a number follows it: «К № 9321762» is a series.
fn trim_debris(words: &mut Vec<&Word>) {
    let alnum = |w: &Word| w.text.chars().filter(|c| c.is_alphanumeric()).count();
    while words.last().is_some_and(|w| alnum(w) <= 1 && w.text != "№") {
        words.pop();
    }
    while words.len() > 1 && alnum(words[0]) <= 1 && words[0].text != "№" {
        let series = words[0].text.chars().all(char::is_uppercase)
            && (alnum(words[1]) <= 2 || number_word(&words[1].text).is_some());
        if series {
            break;
        }
        words.remove(0);
    }
}

/// A label's word and a read word are the same when their skeletons are, or, for words of
/// five letters or more, when one letter inside the word differs (the engine's «щ» for «ш»,
/// «и» for «й»). The last letter must agree: it is the ending, and «квалификации» (of a
/// qualification) is not the label «квалификация».
fn same_word(label: &str, read: &str) -> bool {
    label == read
        || label.chars().count() >= 5
            && label.chars().last() == read.chars().last()
            && strsim::levenshtein(label, read) <= 1
}

/// Where a label ends in a line: the index after its last word, for the last label of
/// `labels` found in the line (a bilingual row "Дата выдачи / Date of issue: …" has its
/// value after the second).
fn label_end(line: &[&Word], labels: &[&str]) -> Option<usize> {
    let skel: Vec<String> = line.iter().map(|w| skeleton(&w.text)).collect();
    let mut best = None;
    for label in labels {
        let phrase: Vec<String> = label
            .split_whitespace()
            .map(skeleton)
            .filter(|w| !w.is_empty())
            .collect();
        if phrase.is_empty() || phrase.len() > skel.len() {
            continue;
        }
        for i in 0..=skel.len() - phrase.len() {
            if phrase.iter().zip(&skel[i..]).all(|(l, w)| same_word(l, w)) {
                let end = i + phrase.len();
                if best.is_none_or(|b| end > b) {
                    best = Some(end);
                }
            }
        }
    }
    best
}

/// The words after a label (separators dropped), or the next line's when the label ends
/// its line; with the index of the line the value is on.
/// The words of a line after its label, which ends at `end`: separators skipped, and the
/// other half of a bilingual label, read too badly to be known («Фамилия, имя, отчество /
/// Ри! пате: …» for "Full name:", «Ректор / Весфог: …»), up to its colon within three words.
fn after_label<'a>(line: &[&'a Word], end: usize) -> Vec<&'a Word> {
    let mut rest: Vec<&Word> = line[end..]
        .iter()
        .copied()
        .skip_while(|w| folded(&w.text).is_empty())
        .collect();
    let colon_read = end > 0 && line[end - 1].text.ends_with(':');
    if !colon_read
        && let Some(c) = rest.iter().take(3).position(|w| w.text.ends_with(':'))
        && c + 1 < rest.len()
    {
        rest.drain(..=c);
    }
    rest
}

fn labelled<'a>(lines: &'a [Line<'a>], labels: &[&str]) -> Option<(usize, Vec<&'a Word>)> {
    for (i, line) in lines.iter().enumerate() {
        let Some(end) = label_end(&line.words, labels) else {
            continue;
        };
        let rest = after_label(&line.words, end);
        if !rest.is_empty() {
            return Some((i, rest));
        }
        if let Some(next) = lines.get(i + 1) {
            return Some((i + 1, next.words.clone()));
        }
    }
    None
}

fn field(page: usize, value: String, words: &[&Word]) -> Field {
    Field {
        value,
        confidence: words.iter().map(|w| w.confidence).sum::<f32>() / words.len().max(1) as f32,
        page,
        bbox: union(words),
    }
}

/// The first date in the words, wherever it starts, with only the words it is printed in
/// (words after it that leave the date unchanged — the next line's, taken as candidates —
/// are not part of it, nor of its box).
fn date_in<'a>(words: &[&'a Word]) -> Option<(String, Vec<&'a Word>)> {
    for i in 0..words.len() {
        for len in (1..=4.min(words.len() - i)).rev() {
            if let Some(d) = iso_date(&join(&words[i..i + len]))
                && (1900..=2100).contains(&d[..4].parse::<i32>().unwrap_or(0))
            {
                let mut len = len;
                while len > 1 && iso_date(&join(&words[i..i + len - 1])).as_ref() == Some(&d) {
                    len -= 1;
                }
                return Some((d, words[i..i + len].to_vec()));
            }
        }
    }
    None
}

/// A four-digit year between 1950 and 2100 in a word (`2016`, `2016-`, `2016г.`).
fn year(word: &str) -> Option<i32> {
    let digits: String = word.chars().filter(char::is_ascii_digit).collect();
    let y: i32 = digits.parse().ok()?;
    (digits.len() == 4 && (1950..=2100).contains(&y)).then_some(y)
}

/// Digits as printed, with the letters the engine reads for them inside a run of digits.
fn digits_of(word: &str) -> String {
    word.chars()
        .map(|c| match c {
            'O' | 'o' | 'О' | 'о' => '0',
            'l' | 'I' | '|' | 'і' | 'І' => '1',
            'З' | 'з' => '3',
            'б' => '6',
            c => c,
        })
        .collect()
}

/// A word that is a number: digits with at most a separator or two (`0766342`, `45-1234`,
/// `2020/12345`), look-alike letters read as digits.
fn number_word(word: &str) -> Option<String> {
    let w = digits_of(word.trim_matches([',', '.', ';', ':']));
    let digits = w.chars().filter(char::is_ascii_digit).count();
    (digits >= 3
        && w.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '/')))
    .then_some(w)
}

/// A word of a person's name: a capital letter then letters (a hyphen or apostrophe inside).
fn name_word(w: &str) -> bool {
    let mut chars = w.chars();
    chars.next().is_some_and(char::is_uppercase)
        && w.chars().count() >= 2
        && w.chars()
            .all(|c| c.is_alphabetic() || matches!(c, '-' | '\''))
}

/// An initial: one capital letter and a dot (`И.`), or two run together (`И.П.`). The
/// engine's digit for a letter (`5.` for `S.`) is read back as the letter.
fn initial(w: &str, cyrillic: bool) -> Option<String> {
    // «П» read as two strokes («Il.», «ll.», «IІ.») in Cyrillic print.
    let w = match w {
        "Il." | "ll." | "II." | "IІ." | "Іl." | "lI." if cyrillic => "П.",
        w => w,
    };
    let fixed: String = w
        .chars()
        .map(|c| match (c, cyrillic) {
            ('5', false) => 'S',
            ('0', false) => 'O',
            ('1', false) => 'I',
            ('8', false) => 'B',
            ('6', true) => 'Б',
            ('0', true) => 'О',
            ('3', true) => 'З',
            ('8', true) => 'В',
            (c, true) => cyrillic_lookalikes(&c.to_string())
                .chars()
                .next()
                .unwrap_or(c),
            (c, false) => latin_lookalikes(c),
        })
        .collect();
    let parts: Vec<&str> = fixed.split_terminator('.').collect();
    // A Latin transliteration writes some Cyrillic initials with two letters: «Х.» as "Kh.",
    // «Ш.» as "Sh.", «Ю.» as "Yu.".
    const DIGRAPHS: [&str; 8] = ["Kh", "Sh", "Ch", "Zh", "Ts", "Yu", "Ya", "Yo"];
    (fixed.ends_with('.')
        && !parts.is_empty()
        && parts.len() <= 2
        && parts.iter().all(|p| {
            p.chars().count() == 1 && p.chars().all(char::is_uppercase)
                || !cyrillic && DIGRAPHS.contains(p)
        }))
    .then(|| {
        parts
            .iter()
            .map(|p| format!("{p}."))
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// Lines that say a document was issued to someone, after which the name follows.
const HOLDER: [&str; 12] = [
    "full name",
    "фамилия имя отчество",
    "фамилия, имя, отчество",
    "фио",
    "this is to certify that",
    "certify that",
    "свидетельствует о том что",
    "свидетельствует о том, что",
    "настоящий диплом выдан",
    "настоящий аттестат выдан",
    "awarded to",
    "аты-жөні",
];

/// Words that end a name: the sentence that follows it on the next line.
const AFTER_NAME: [&str; 10] = [
    "в",
    "освоил",
    "окончил",
    "born",
    "having",
    "has",
    "who",
    "родился",
    "родилась",
    "дата",
];

fn holder_name(lines: &[Line]) -> Option<Field> {
    let (mut i, mut rest) = labelled(lines, &HOLDER)?;
    // What follows the label on its line may be the frame's debris ("that 21"), no name at
    // all: the name is then on the next line.
    if !rest.iter().any(|w| w.text.chars().any(char::is_alphabetic)) && i + 1 < lines.len() {
        i += 1;
        rest = lines[i].words.clone();
    }
    let mut words: Vec<&Word> = Vec::new();
    // The name may be on the label's line, or over the next lines (surname, then given name
    // and patronymic), and is at most four words.
    let mut line = i;
    let mut candidates = trimmed(&rest);
    loop {
        let mut took = false;
        for w in &candidates {
            let t = w.text.trim_matches([',', '.', ';']);
            if AFTER_NAME.contains(&folded(t).as_str()) || !name_word(t) {
                break;
            }
            words.push(w);
            took = true;
            if words.len() == 4 {
                break;
            }
        }
        if !took || words.len() >= 3 || line + 1 >= lines.len() {
            break;
        }
        // A name broken over lines continues on a line of name words only.
        let next = &lines[line + 1];
        if !next
            .words
            .iter()
            .all(|w| name_word(w.text.trim_matches([',', '.'])))
        {
            break;
        }
        line += 1;
        candidates = next.words.clone();
    }
    if words.len() < 2 {
        return None;
    }
    let value = words
        .iter()
        .map(|w| w.text.trim_matches([',', '.', ';']))
        .collect::<Vec<_>>()
        .join(" ");
    Some(field(lines[i].page, value, &words))
}

fn labelled_date(lines: &[Line], labels: &[&str]) -> Option<Field> {
    for (i, line) in lines.iter().enumerate() {
        let Some(end) = label_end(&line.words, labels) else {
            continue;
        };
        let mut candidates = line.words[end..].to_vec();
        if let Some(next) = lines.get(i + 1) {
            candidates.extend(next.words.iter().take(4));
        }
        if let Some((d, words)) = date_in(&candidates) {
            return Some(field(line.page, d, &words));
        }
    }
    None
}

const INSTITUTION_WORDS: [&str; 14] = [
    "университет",
    "university",
    "universiteti",
    "üniversitesi",
    "институт",
    "institute",
    "академия",
    "academy",
    "колледж",
    "college",
    "училище",
    "школа",
    "school",
    "лицей",
];

/// The words of a line that are the institution's name: the line less debris at its ends
/// (single letters and marks the frame leaves).
fn trimmed<'a>(words: &[&'a Word]) -> Vec<&'a Word> {
    let keep = |w: &&Word| folded(&w.text).chars().count() >= 2;
    let start = words.iter().position(keep).unwrap_or(words.len());
    let end = words.iter().rposition(keep).map_or(start, |e| e + 1);
    words[start..end.max(start)].to_vec()
}

fn institution(lines: &[Line]) -> Option<Field> {
    let labels = [
        "institution",
        "учебное заведение",
        "высшее учебное заведение",
        "name of institution",
        "оқу орны",
    ];
    if let Some((i, words)) = labelled(lines, &labels) {
        let words = trimmed(&words);
        if !words.is_empty() {
            return Some(field(
                lines[i].page,
                join(&words).trim_matches([',', '.']).to_string(),
                &words,
            ));
        }
    }
    lines.iter().find_map(|line| {
        let text = line.text().to_lowercase();
        let names = INSTITUTION_WORDS.iter().any(|k| text.contains(k));
        let sentence = ["окончил", "поступил", "курс", "graduated", "названного"]
            .iter()
            .any(|k| text.contains(k));
        if !names || sentence {
            return None;
        }
        let words = trimmed(&line.words);
        (!words.is_empty()).then(|| {
            field(
                line.page,
                join(&words).trim_matches([',', '.']).to_string(),
                &words,
            )
        })
    })
}

/// A classifier code at the head of a specialty: `09.03.04`, `050703`, `6B06102`.
fn specialty_code(word: &str) -> Option<String> {
    let w = digits_of(word.trim_end_matches([',', ':']));
    let digits = w.chars().filter(char::is_ascii_digit).count();
    (digits >= 5 && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')).then_some(w)
}

/// The specialty and its code, and the qualification.
fn specialty_and_qualification(lines: &[Line], reading: &mut Reading) {
    let spec_labels = [
        "по специальности",
        "по направлению подготовки",
        "направление подготовки",
        "направление",
        "специальность",
        "specialty",
        "speciality",
        "major",
        "field of study",
        "department",
        "мамандығы",
    ];
    let qual_labels = [
        "присвоена квалификация",
        "квалификация",
        "qualification",
        "has been awarded the degree of",
        "awarded the degree of",
        "degree of",
        "присуждена степень",
        "біліктілігі",
    ];
    if let Some((i, words)) = labelled(lines, &spec_labels) {
        let mut words = trimmed(&words);
        if let Some(code) = words.first().and_then(|w| specialty_code(&w.text)) {
            reading.fields.insert(
                "specialty_code".into(),
                field(lines[i].page, code, &words[..1]),
            );
            words.remove(0);
        }
        if !words.is_empty() {
            reading.fields.insert(
                "specialty".into(),
                field(lines[i].page, join(&words), &words),
            );
        }
    }
    if let Some((i, words)) = labelled(lines, &qual_labels) {
        let mut words = trimmed(&words);
        // "Bachelor of Science in Physics" on one line, or "in Physics" on the next: the
        // specialty follows "in" when no label named it.
        let split = words.iter().position(|w| skeleton(&w.text) == "im");
        let mut specialty: Vec<&Word> = Vec::new();
        if let Some(k) = split {
            specialty = words.split_off(k)[1..].to_vec();
        } else if let Some(next) = lines.get(i + 1)
            && next
                .words
                .first()
                .is_some_and(|w| skeleton(&w.text) == "im")
        {
            specialty = trimmed(&next.words[1..]);
        }
        if !words.is_empty() {
            reading.fields.insert(
                "qualification".into(),
                field(lines[i].page, join(&words), &words),
            );
        }
        if !specialty.is_empty() && !reading.fields.contains_key("specialty") {
            reading.fields.insert(
                "specialty".into(),
                field(lines[i].page, join(&specialty), &specialty),
            );
        }
    }
}

/// The years (or dates) of study: "Period of study: 2016 - 2020", "in 2016 – 2020",
/// «в 2016 году поступил(а) … в 2020 году окончил(а)».
fn study_period(lines: &[Line], reading: &mut Reading) {
    let labels = [
        "period of study",
        "период обучения",
        "programme of study in",
        "programme of study",
        "годы обучения",
        "оқу кезеңі",
        "studied from",
    ];
    for line in lines {
        let Some(end) = label_end(&line.words, &labels) else {
            continue;
        };
        let rest = &line.words[end..];
        // "2014 - 2018", or one word "2014-2018".
        let years: Vec<(i32, &Word)> = rest
            .iter()
            .flat_map(|w| {
                w.text
                    .split(['-', '–', '—'])
                    .filter_map(|part| year(part).map(|y| (y, *w)))
                    .collect::<Vec<_>>()
            })
            .collect();
        if let [(a, wa), (b, wb), ..] = years.as_slice()
            && a < b
        {
            let (a, b) = (a.to_string(), b.to_string());
            reading
                .fields
                .insert("study_start".into(), field(line.page, a, &[wa]));
            reading
                .fields
                .insert("study_end".into(), field(line.page, b, &[wb]));
            return;
        }
    }
    let found = |stem: &str, name: &str, reading: &mut Reading| {
        for line in lines {
            let text = line.text().to_lowercase();
            if !text.contains(stem) {
                continue;
            }
            if let Some(w) = line.words.iter().find(|w| year(&w.text).is_some()) {
                let y = year(&w.text).expect("found above").to_string();
                reading
                    .fields
                    .insert(name.into(), field(line.page, y, &[w]));
                return;
            }
        }
    };
    found("поступил", "study_start", reading);
    found("окончил", "study_end", reading);
}

/// Cyrillic letters that look like Latin ones, back to Latin.
fn latin_lookalikes(c: char) -> char {
    match c {
        'А' => 'A',
        'В' => 'B',
        'С' => 'C',
        'Е' => 'E',
        'Н' => 'H',
        'К' => 'K',
        'М' => 'M',
        'О' => 'O',
        'Р' => 'P',
        'Т' => 'T',
        'Х' => 'X',
        c => c,
    }
}

/// Latin letters that look like Cyrillic ones, as the engine mixes them up in a series.
fn cyrillic_lookalikes(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'A' => 'А',
            'B' => 'В',
            'C' => 'С',
            'E' => 'Е',
            'H' => 'Н',
            'K' => 'К',
            'M' => 'М',
            'O' => 'О',
            'P' => 'Р',
            'T' => 'Т',
            'X' => 'Х',
            c => c,
        })
        .collect()
}

const REGISTRATION: [&str; 7] = [
    "registration no",
    "registration number",
    "регистрационный номер",
    "рег. №",
    "рег №",
    "тіркеу нөмірі",
    "регистрационный №",
];

fn registration_number(lines: &[Line]) -> Option<Field> {
    let (i, words) = labelled(lines, &REGISTRATION)?;
    let w = words.iter().find(|w| number_word(&w.text).is_some())?;
    Some(field(
        lines[i].page,
        number_word(&w.text).expect("found above"),
        &[w],
    ))
}

fn series_and_number(lines: &[Line], cyrillic: bool, reading: &mut Reading) {
    let number_labels = ["№", "no", "no.", "number", "номер", "nº", "n°", "ne"];
    let is_registration = |l: &Line| label_end(&l.words, &REGISTRATION).is_some();
    // «серии» is the genitive a sentence uses: «Диплом серии ВБ № 4410927».
    let series_labels = ["series", "серия", "серии", "сериясы"];
    let put_number = |page: usize, w: &Word, reading: &mut Reading| {
        if let Some(n) = number_word(&w.text) {
            reading.fields.insert("number".into(), field(page, n, &[w]));
        }
    };
    for line in lines.iter().filter(|l| !is_registration(l)) {
        let Some(end) = label_end(&line.words, &series_labels) else {
            continue;
        };
        let mut rest: Vec<&Word> = line.words[end..]
            .iter()
            .copied()
            .skip_while(|w| folded(&w.text).is_empty())
            .collect();
        // "Diploma series and number: B 4417093": the label runs on in lower-case words to
        // its colon (a series in capitals before a colon, «AB No: …», is kept).
        if let Some(c) = rest.iter().take(3).position(|w| w.text.ends_with(':'))
            && c + 1 < rest.len()
            && rest[..=c].iter().all(|w| {
                w.text
                    .chars()
                    .all(|ch| !ch.is_alphabetic() || ch.is_lowercase())
            })
        {
            rest.drain(..=c);
        }
        // The series: the first word, letters (one to three) or digits.
        if let Some(s) = rest.first() {
            let t = s.text.trim_matches([':', ',', '.']);
            let letters = !t.is_empty()
                && t.chars().count() <= 3
                && t.chars().all(|c| c.is_alphabetic() && c.is_uppercase());
            let value = if letters {
                Some(if cyrillic {
                    cyrillic_lookalikes(t)
                } else {
                    t.to_string()
                })
            } else {
                number_word(t)
            };
            if let Some(v) = value {
                reading
                    .fields
                    .insert("series".into(), field(line.page, v, &rest[..1]));
            }
        }
        // The number: the last long run of digits on the line.
        if let Some(w) = rest[1.min(rest.len())..]
            .iter()
            .rev()
            .find(|w| number_word(&w.text).is_some_and(|n| n.len() >= 5))
        {
            put_number(line.page, w, reading);
        }
        return;
    }
    // A Russian diploma: the series and the number alone on a line, six and seven digits
    // (a number of another length is still read as printed: the checks judge its shape).
    for line in lines {
        if let [a, b] = line.words.as_slice()
            && let (Some(s), Some(n)) = (number_word(&a.text), number_word(&b.text))
            && s.len() == 6
            && (5..=9).contains(&n.len())
            && n.chars().all(|c| c.is_ascii_digit())
        {
            reading
                .fields
                .insert("series".into(), field(line.page, s, &[a]));
            put_number(line.page, b, reading);
            return;
        }
    }
    // A series of letters, the number sign (however it was read) and the number, alone on
    // a line: «ДА № 7633017».
    for line in lines.iter().filter(|l| !is_registration(l)) {
        let words = &line.words;
        if (2..=3).contains(&words.len())
            && let (Some(first), Some(last)) = (words.first(), words.last())
            && let Some(n) = number_word(&last.text).filter(|n| n.len() >= 5)
        {
            let t = first.text.as_str();
            if (1..=3).contains(&t.chars().count())
                && t.chars().all(|c| c.is_alphabetic() && c.is_uppercase())
            {
                let series = if cyrillic {
                    cyrillic_lookalikes(t)
                } else {
                    t.to_string()
                };
                reading
                    .fields
                    .insert("series".into(), field(line.page, series, &[first]));
                reading
                    .fields
                    .insert("number".into(), field(line.page, n, &[last]));
                return;
            }
        }
    }
    // A number after "No" / "№" on a line that is not the registration.
    for line in lines.iter().filter(|l| !is_registration(l)) {
        let Some(end) = label_end(&line.words, &number_labels) else {
            continue;
        };
        if let Some(w) = line.words[end..]
            .iter()
            .find(|w| number_word(&w.text).is_some_and(|n| n.len() >= 5))
        {
            put_number(line.page, w, reading);
            return;
        }
    }
}

/// The labels of the officials who sign.
const SIGNATORY: [&str; 9] = [
    "ректор",
    "rector",
    "директор",
    "director",
    "декан",
    "dean",
    "председатель",
    "chairman",
    "president",
];

fn signed_by(lines: &[Line]) -> Option<Field> {
    for line in lines {
        let Some(end) = label_end(&line.words, &SIGNATORY) else {
            continue;
        };
        let rest = after_label(&line.words, end);
        // The initials are written in the surname's script: its first name word tells.
        let cyrillic = rest
            .iter()
            .find(|w| name_word(&w.text))
            .is_some_and(|w| w.text.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c)));
        let mut parts: Vec<String> = Vec::new();
        let mut words: Vec<&Word> = Vec::new();
        // Academic titles before the name ("Prof. Dr. Necdet Ünüvar") are not part of it.
        let titles = [
            "prof.",
            "dr.",
            "doç.",
            "проф.",
            "д-р",
            "professor",
            "профессор",
        ];
        let rest = rest
            .iter()
            .skip_while(|w| titles.contains(&w.text.to_lowercase().as_str()));
        for w in rest {
            let t = w.text.trim_end_matches([',', ';']);
            if let Some(i) = initial(t, cyrillic) {
                parts.push(i);
                words.push(w);
            } else if name_word(t) {
                parts.push(t.to_string());
                words.push(w);
                // Initials then the surname ("И. П. Смирнов"): the surname ends it.
                if parts.len() > 1 {
                    break;
                }
            } else {
                break;
            }
        }
        if parts.len() >= 2 {
            return Some(field(line.page, parts.join(" "), &words));
        }
    }
    None
}

/// Reads the main fields of a diploma or attestat into `reading`.
pub fn read(pages: &[PageText], reading: &mut Reading) {
    let lines = page_lines(pages);
    let letters: Vec<char> = lines
        .iter()
        .flat_map(|l| l.words.iter().flat_map(|w| w.text.chars()))
        .filter(|c| c.is_alphabetic())
        .collect();
    let cyr = letters
        .iter()
        .filter(|c| ('\u{400}'..='\u{4ff}').contains(*c))
        .count();
    let cyrillic = cyr * 2 > letters.len()
        || matches!(
            reading.country.as_deref(),
            Some("RU" | "KG" | "TJ" | "BY" | "KZ" | "UZ")
        );
    let put = |name: &str, f: Option<Field>, reading: &mut Reading| {
        if let Some(f) = f {
            reading.fields.insert(name.into(), f);
        }
    };
    put("holder_name", holder_name(&lines), reading);
    put(
        "birth_date",
        labelled_date(
            &lines,
            &[
                "date of birth",
                "birth date",
                "дата рождения",
                "born on",
                "born",
                "туған күні",
                "родился",
                "родилась",
            ],
        ),
        reading,
    );
    put(
        "issue_date",
        labelled_date(
            &lines,
            &[
                "date of issue",
                "дата выдачи",
                "issued on",
                "берілген күні",
                "берілген уақыты",
                // «Дата» lost to a scan's edge or a fold: «выдачи» alone still says it.
                "выдачи",
            ],
        ),
        reading,
    );
    put("institution", institution(&lines), reading);
    put("registration_number", registration_number(&lines), reading);
    put("signed_by", signed_by(&lines), reading);
    specialty_and_qualification(&lines, reading);
    study_period(&lines, reading);
    series_and_number(&lines, cyrillic, reading);
    by_shape(&lines, cyrillic, reading);
    if !cyrillic {
        // A Latin-script document: words the engine read in Cyrillic look-alikes («КАҮА
        // Етге» for "KAYA Emre") are Latin words.
        for name in [
            "holder_name",
            "institution",
            "specialty",
            "qualification",
            "signed_by",
        ] {
            if let Some(f) = reading.fields.get_mut(name) {
                f.value = latin_script(&f.value);
            }
        }
    }
}

/// Patronymic endings (Russian, Uzbek, Kazakh, Kyrgyz, in either script): a value ending in
/// one is a person's full name whatever its label says.
const PATRONYMIC: [&str; 16] = [
    "ovich", "evich", "ovna", "evna", "ovitch", "qizi", "o'g'li", "ogli", "uly", "kyzy", "вич",
    "вна", "қызы", "ұлы", "кызы", "уулу",
];

/// A series (its text and word) if printed, the number, and the number's word.
type SeriesNumber<'w> = (Option<(String, &'w Word)>, String, &'w Word);

/// The separate words that end a patronymic in Central Asian naming ("Alisher o'g'li").
const PATRONYMIC_WORDS: [&str; 8] = [
    "o'g'li",
    "o‘g‘li",
    "ogli",
    "qizi",
    "uly",
    "ulı",
    "kyzy",
    "uulu",
];

/// The label-less fallbacks for a layout whose labels are not in any vocabulary ("Graduate:",
/// "Awarded on:", "Years of study:"). Such a document still lays its fields out as
/// `label: value` lines, and the values keep their shapes, so each field still missing is
/// taken from a `label: value` line that no field was read from, by the value's shape alone:
/// - the holder: two to four name words, on the page's first free `label: value` line above
///   the birth date, or ending in a patronymic anywhere; never after a signatory's label
///   (those lines are [`signed_by`]'s);
/// - the study years: two years, the first before the second by one to eight;
/// - the series and number: a value of one run of five digits or more, alone or after a
///   series (one to three capitals, or six digits);
/// - the birth date: the earliest date, at least fourteen years before the issue date (read,
///   or the latest date);
/// - the issue date: the latest date not already the birth date, at least ten years after it.
fn by_shape(lines: &[Line], cyrillic: bool, reading: &mut Reading) {
    let taken = |line: &Line, reading: &Reading| {
        line.words.iter().any(|w| {
            reading
                .fields
                .values()
                .any(|f| f.page == line.page && overlaps(f.bbox, w.bbox))
        })
    };
    // (line index, the value's words) of each free `label: value` line.
    let free: Vec<(usize, Vec<&Word>)> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !taken(l, reading))
        .filter_map(|(i, l)| {
            let colon = l.words.iter().take(5).position(|w| w.text.ends_with(':'))?;
            // An official's line is never the holder's, even when its name was not read.
            if label_end(&l.words[..=colon], &SIGNATORY).is_some() {
                return None;
            }
            let value = l.words[colon + 1..].to_vec();
            (!value.is_empty()).then_some((i, value))
        })
        .collect();
    if !reading.fields.contains_key("holder_name") {
        // Uzbek, Kazakh and Kyrgyz patronymics end in a lower-case word: "Alisher o'g'li".
        let particle = |w: &Word| {
            let t = w.text.trim_end_matches([',', '.']).to_lowercase();
            PATRONYMIC_WORDS.contains(&t.as_str())
        };
        let names: Vec<&(usize, Vec<&Word>)> = free
            .iter()
            .filter(|(_, v)| {
                (2..=4).contains(&v.len())
                    && v.iter().enumerate().all(|(k, w)| {
                        name_word(w.text.trim_end_matches([',', '.']))
                            || k + 1 == v.len() && k >= 2 && particle(w)
                    })
            })
            .collect();
        let patronymic = names.iter().find(|(_, v)| {
            v.last().is_some_and(|w| {
                let t = w.text.trim_end_matches([',', '.']).to_lowercase();
                PATRONYMIC.iter().any(|p| t.ends_with(p))
            })
        });
        // Without a patronymic, only the first `label: value` line of the page, and above the
        // birth date where one was read (the holder comes first): a name-shaped value further
        // down is as likely a faculty ("Faculty: Economic Sciences").
        let birth = reading.fields.get("birth_date");
        let first = names.first().filter(|(i, v)| {
            Some(*i) == free.first().map(|f| f.0)
                && birth.is_none_or(|b| b.page != lines[*i].page || v[0].bbox[1] < b.bbox[1])
        });
        if let Some((i, v)) = patronymic.or(first) {
            let value = v
                .iter()
                .map(|w| w.text.trim_end_matches([',', '.']))
                .collect::<Vec<_>>()
                .join(" ");
            reading
                .fields
                .insert("holder_name".into(), field(lines[*i].page, value, v));
        }
    }
    if !reading.fields.contains_key("study_start") && !reading.fields.contains_key("study_end") {
        for (i, v) in &free {
            let years: Vec<(i32, &Word)> = v
                .iter()
                .flat_map(|w| {
                    w.text
                        .split(['-', '–', '—'])
                        .filter_map(|part| year(part).map(|y| (y, *w)))
                        .collect::<Vec<_>>()
                })
                .collect();
            if let [(a, wa), (b, wb)] = years.as_slice()
                && (1..=8).contains(&(b - a))
                && full_date_in(v).is_none()
            {
                let page = lines[*i].page;
                reading
                    .fields
                    .insert("study_start".into(), field(page, a.to_string(), &[wa]));
                reading
                    .fields
                    .insert("study_end".into(), field(page, b.to_string(), &[wb]));
                break;
            }
        }
    }
    // The series and number: a value of one long run of digits (five or more), after a
    // series of one to three capital letters or a six-digit series, and nothing else.
    if !reading.fields.contains_key("number") {
        for (i, v) in &free {
            let page = lines[*i].page;
            let digits = |w: &Word| number_word(&w.text).filter(|n| n.len() >= 5);
            let letters = |w: &Word| {
                let t = w.text.trim_end_matches([',', '.']);
                (1..=3).contains(&t.chars().count())
                    && t.chars().all(|c| c.is_alphabetic() && c.is_uppercase())
            };
            let words: Vec<&Word> = v.iter().copied().filter(|w| w.text != "№").collect();
            let found: Option<SeriesNumber> = match words.as_slice() {
                [n] => digits(n).map(|d| (None, d, *n)),
                [s, n] if letters(s) => digits(n).map(|d| (Some((s.text.clone(), *s)), d, *n)),
                [s, n] => number_word(&s.text)
                    .filter(|sd| sd.len() == 6 && sd.chars().all(|c| c.is_ascii_digit()))
                    .and_then(|sd| digits(n).map(|d| (Some((sd, *s)), d, *n))),
                _ => None,
            };
            if let Some((series, number, nw)) = found {
                if let Some((text, sw)) = series {
                    let text = if cyrillic {
                        cyrillic_lookalikes(&text)
                    } else {
                        text
                    };
                    reading
                        .fields
                        .entry("series".into())
                        .or_insert_with(|| field(page, text, &[sw]));
                }
                reading
                    .fields
                    .insert("number".into(), field(page, number, &[nw]));
                break;
            }
        }
    }
    // The free lines' dates, earliest first (both fallbacks below choose among them).
    let mut dates: Vec<(String, Vec<&Word>, usize)> = free
        .iter()
        .filter_map(|(i, v)| full_date_in(v).map(|(d, words)| (d, words, *i)))
        .collect();
    dates.sort_by(|a, b| a.0.cmp(&b.0));
    let year = |d: &str| d.get(..4).and_then(|y| y.parse::<i32>().ok());
    // The birth date: with an issue date (read, or the latest free date), the earliest free
    // date at least fourteen years before it.
    if !reading.fields.contains_key("birth_date") {
        let issued = reading
            .fields
            .get("issue_date")
            .map(|f| f.value.clone())
            .or_else(|| dates.last().map(|d| d.0.clone()));
        if let (Some((d, words, i)), Some(issued)) = (dates.first(), issued)
            && year(&issued).zip(year(d)).is_some_and(|(a, b)| a - b >= 14)
        {
            reading
                .fields
                .insert("birth_date".into(), field(lines[*i].page, d.clone(), words));
        }
    }
    // The issue date: the latest free date that is not the birth date, ten years after it.
    if !reading.fields.contains_key("issue_date") {
        let birth = reading.fields.get("birth_date").map(|f| f.value.clone());
        let born = birth.as_deref().and_then(year);
        let latest = dates.iter().rev().find(|(d, _, _)| {
            birth.as_deref() != Some(d.as_str())
                && born.is_none_or(|b| year(d).is_some_and(|y| y >= b + 10))
        });
        if let Some((d, words, i)) = latest {
            reading
                .fields
                .insert("issue_date".into(), field(lines[*i].page, d.clone(), words));
        }
    }
}

/// The first date with day and month in the words (a year alone is not one here).
fn full_date_in<'a>(words: &[&'a Word]) -> Option<(String, Vec<&'a Word>)> {
    date_in(words).filter(|(d, _)| d.len() == 10)
}

/// Whether two `[x, y, width, height]` boxes share any pixel.
fn overlaps(a: [u32; 4], b: [u32; 4]) -> bool {
    a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3]
}

/// The Latin letter a Cyrillic one is mistaken for by the engine in Latin print: the
/// capitals that share their shape, and the lower-case letters whose shapes are near
/// (`т` for `m`, `г` for `r`, `п` for `n`, `и` for `u`, `һ` for `h`).
fn latin_for(c: char) -> Option<char> {
    const PAIRS: &str = "АAаaВBвbьbСCсcЕEеeҒFНHһhІIіiЈJјjКKкkМMмmтmпnОOоoРPрpгrЅSѕsТTиuХXхxҮYУYуy";
    let pairs: Vec<char> = PAIRS.chars().collect();
    pairs.chunks_exact(2).find(|p| p[0] == c).map(|p| p[1])
}

/// Each word made only of Cyrillic look-alikes of Latin letters, in Latin letters; words with
/// any other Cyrillic letter (a real Cyrillic word) are left alone.
fn latin_script(value: &str) -> String {
    value
        .split(' ')
        .map(|word| {
            let cyrillic = word.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c));
            let mapped: Option<String> = word
                .chars()
                .map(|c| {
                    if ('\u{400}'..='\u{4ff}').contains(&c) {
                        latin_for(c)
                    } else {
                        Some(c)
                    }
                })
                .collect();
            match mapped {
                Some(latin) if cyrillic => latin,
                _ => word.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::super::extract::{read as read_all, tests::page};

    fn fields(lines: &[&str]) -> std::collections::BTreeMap<String, String> {
        read_all(&[page(lines)], &[])
            .fields
            .into_iter()
            .map(|(k, f)| (k, f.value))
            .collect()
    }

    /// A layout whose labels are in no vocabulary: the holder, the study years and the issue
    /// date are taken from its `label: value` lines by the values' shapes.
    #[test]
    fn an_unknown_layout_gives_its_fields_by_their_shapes() {
        let f = fields(&[
            "O'ZBEKISTON RESPUBLIKASI",
            "Toshkent davlat iqtisodiyot universiteti",
            "BAKALAVR DIPLOMI",
            "Graduate: Yusupova Dilnoza Bakhtiyorovna",
            "Date of birth: 14.05.2000",
            "Diploma series and number: B 4417093",
            "Years of study: 2017 - 2021",
            "Speciality: Economics",
            "Awarded on: 28.06.2021",
            "Rector: B. T. Rakhimov",
        ]);
        assert_eq!(f["holder_name"], "Yusupova Dilnoza Bakhtiyorovna");
        assert_eq!(f["birth_date"], "2000-05-14");
        // The series letter of a post-Soviet country is kept in Cyrillic, as the reference
        // library's series formats write it, whichever script the engine took it for.
        assert_eq!(f["series"], "В");
        assert_eq!(f["number"], "4417093");
        assert_eq!(
            (f["study_start"].as_str(), f["study_end"].as_str()),
            ("2017", "2021")
        );
        assert_eq!(f["issue_date"], "2021-06-28");
        assert_eq!(f["signed_by"], "B. T. Rakhimov");
        // A date's box is its own words only, though the next line's words were candidates:
        // the study years under the birth date stay free for the fallback.
        let f = fields(&[
            "КЫРГЫЗСКАЯ РЕСПУБЛИКА",
            "Кыргызский национальный университет",
            "Выпускник: Абдыкадыров Нурбек Асанович",
            "Родился: 03.11.1997",
            "Учился в университете: 2014 - 2018",
            "Направление: Юриспруденция",
            "Ректор: Kh. Kh. Khushvaktzoda",
        ]);
        assert_eq!(f["birth_date"], "1997-11-03");
        assert_eq!(
            (f["study_start"].as_str(), f["study_end"].as_str()),
            ("2014", "2018")
        );
        assert_eq!(f["specialty"], "Юриспруденция");
        assert_eq!(f["signed_by"], "Kh. Kh. Khushvaktzoda");
        // A birth date under an unknown label is the earliest date, long before the issue; a
        // series after «серии»; a signatory after their titles.
        let f = fields(&[
            "REPUBLIC OF TURKEY",
            "Student: YILMAZ Zeynep",
            "Naissance: 11.04.1998",
            "Diploma серии ВБ № 4410927",
            "Conferred: 24.07.2020",
            "Rector: Prof. Dr. Necdet Unuvar",
        ]);
        assert_eq!(f["birth_date"], "1998-04-11");
        assert_eq!(f["issue_date"], "2020-07-24");
        assert_eq!(
            (f["series"].as_str(), f["number"].as_str()),
            ("ВБ", "4410927")
        );
        assert_eq!(f["signed_by"], "Necdet Unuvar");
        // An Uzbek holder whose patronymic ends in "o'g'li"; a series and number under a
        // label in no vocabulary, letters or six digits before the number.
        let f = fields(&[
            "O'ZBEKISTON RESPUBLIKASI",
            "F.I.SH.: Karimov Jasur Alisher o'g'li",
            "Tug'ilgan sanasi: 21.09.1999",
            "Seriya va raqami: B 5530182",
        ]);
        assert_eq!(f["holder_name"], "Karimov Jasur Alisher o'g'li");
        assert_eq!(
            (f["series"].as_str(), f["number"].as_str()),
            ("В", "5530182")
        );
        let f = fields(&["ДИПЛОМ", "Бланк: 105424 3387126"]);
        assert_eq!(
            (f["series"].as_str(), f["number"].as_str()),
            ("105424", "3387126")
        );
        // A date is not a number.
        let f = fields(&["DIPLOMA", "Reference: 2020 12 05"]);
        assert!(!f.contains_key("number"), "{f:?}");
        // A name-shaped value that is not the first such line, without a patronymic, is not
        // taken for the holder; a date before the holder's tenth birthday is not the issue.
        let f = fields(&[
            "DIPLOMA",
            "Date of birth: 14.05.2000",
            "Faculty: Economic Sciences",
            "Entered: 01.09.2005",
        ]);
        assert!(!f.contains_key("holder_name"), "{f:?}");
        assert!(!f.contains_key("issue_date"), "{f:?}");
    }

    #[test]
    fn debris_after_the_holder_label_does_not_hide_the_name_on_the_next_line() {
        let f = fields(&[
            "HACETTEPE UNIVERSITY",
            "DIPLOMA",
            "This is to certify that 21",
            "! AYDIN Elif",
            "born on 17 December 2002",
        ]);
        assert_eq!(f["holder_name"], "AYDIN Elif");
    }

    #[test]
    fn the_colon_of_a_bilingual_labels_misread_half_ends_the_label() {
        let f = fields(&[
            "ДИПЛОМ / DIPLOMA",
            "Фамилия, имя, отчество / Ри! пате: Жумабеков Тимур Тимурович",
            "Дата рождения / Date of birth: 16.02.1999",
        ]);
        assert_eq!(f["holder_name"], "Жумабеков Тимур Тимурович");
        let f = fields(&["ДИПЛОМ / DIPLOMA", "Ректор / Весфог: Е. С. Ковалева"]);
        assert_eq!(f["signed_by"], "Е. С. Ковалева");
        let f = fields(&["ДИПЛОМ / DIPLOMA", "Ректор / Rector: И. Il. Смирнов"]);
        assert_eq!(f["signed_by"], "И. П. Смирнов");
    }

    #[test]
    fn latin_words_read_as_cyrillic_look_alikes_are_made_latin_and_real_cyrillic_is_kept() {
        use super::latin_script;
        assert_eq!(latin_script("КАҮА Етге"), "KAYA Emre");
        assert_eq!(latin_script("НАСЕТТЕРЕ UNIVERSITY"), "HACETTEPE UNIVERSITY");
        // «Жумабеков» has letters no Latin one looks like: a Cyrillic word, left as it is.
        assert_eq!(latin_script("Жумабеков Ali"), "Жумабеков Ali");
    }

    #[test]
    fn a_post_soviet_diploma_gives_its_name_over_two_lines_and_its_years_from_the_sentence() {
        let f = fields(&[
            "| КЫРГЫЗСКАЯ РЕСПУБЛИКА",
            "Ошский государственный университет",
            "ДИПЛОМ",
            "ВД Мг 0123456",
            "Настояший диплом выдан",
            "| Абдуллаева",
            "Айгерим Нурлановна",
            "в том, что он(а) в 2016 году поступил(а) в",
            "Ошский государственный университет",
            "и в 2020 году окончил(а) полный курс названного университета",
            "по специальности",
            "Юриспруденция",
            "ДОКУМЕНТ ОБ ОБРАЗОВАНИИ И О КВАЛИФИКАЦИИ",
            "присвоена квалификация",
            "юрист 7",
            "Регистрационный номер 45-1234",
            "Дата выдачи 25 июня 2020 года",
            "Ректор 6. Т. Рахимов (С) |",
        ]);
        assert_eq!(f["holder_name"], "Абдуллаева Айгерим Нурлановна");
        assert_eq!(f["institution"], "Ошский государственный университет");
        assert_eq!(f["series"], "ВД");
        assert_eq!(f["number"], "0123456");
        assert_eq!(f["study_start"], "2016");
        assert_eq!(f["study_end"], "2020");
        assert_eq!(f["specialty"], "Юриспруденция");
        assert_eq!(f["qualification"], "юрист");
        assert_eq!(f["registration_number"], "45-1234");
        assert_eq!(f["issue_date"], "2020-06-25");
        assert_eq!(f["signed_by"], "Б. Т. Рахимов");
        assert!(!f.contains_key("birth_date"));
    }

    #[test]
    fn an_english_diploma_gives_its_month_first_date_and_the_specialty_after_in() {
        let f = fields(&[
            "і KYRGYZ NATIONAL UNIVERSITY",
            "Kyrgyz Republic",
            "DIPLOMA",
            "Series BД No 4312937",
            "This is to certify that",
            "і Zarina Zhumabekova |",
            "born оп 5 July 2000",
            "having completed the programme of study іп 2018 - 2022",
            "has been awarded the degree of",
            "Bachelor of Science 7",
            "іп Physics",
            "Registration Мо: 21492",
            "Date of issue: June 22, 2022",
            "Rector 5. Petrov",
        ]);
        assert_eq!(f["holder_name"], "Zarina Zhumabekova");
        assert_eq!(f["birth_date"], "2000-07-05");
        assert_eq!(f["institution"], "KYRGYZ NATIONAL UNIVERSITY");
        // A Kyrgyz series is Cyrillic: the Latin B the engine read is the Cyrillic В.
        assert_eq!(f["series"], "ВД");
        assert_eq!(f["number"], "4312937");
        assert_eq!(f["study_start"], "2018");
        assert_eq!(f["study_end"], "2022");
        assert_eq!(f["qualification"], "Bachelor of Science");
        assert_eq!(f["specialty"], "Physics");
        assert_eq!(f["registration_number"], "21492");
        assert_eq!(f["issue_date"], "2022-06-22");
        assert_eq!(f["signed_by"], "S. Petrov");
    }

    #[test]
    fn a_russian_diploma_gives_its_unlabelled_series_and_number_and_its_specialty_code() {
        let f = fields(&[
            "РОССИЙСКАЯ ФЕДЕРАЦИЯ",
            "Казанский федеральный университет",
            "ДИПЛОМ",
            "БАКАЛАВРА",
            "107718 0123456",
            "Настоящий диплом свидетельствует о том, что",
            "Иванов",
            "Алексей Сергеевич",
            "освоил(а) программу бакалавриата",
            "по направлению подготовки",
            "09.03.04 Программная инженерия",
            "Регистрационный номер 1234567",
            "Дата выдачи 01.07.2020",
        ]);
        assert_eq!(f["series"], "107718");
        assert_eq!(f["number"], "0123456");
        assert_eq!(f["specialty_code"], "09.03.04");
        assert_eq!(f["specialty"], "Программная инженерия");
        assert_eq!(f["holder_name"], "Иванов Алексей Сергеевич");
        assert_eq!(f["registration_number"], "1234567");
        assert!(!f.contains_key("qualification"));
        assert!(!f.contains_key("study_start"));
    }

    #[test]
    fn a_bilingual_form_reads_each_value_after_its_second_label() {
        let f = fields(&[
            "РЕСПУБЛИКА ТАДЖИКИСТАН / Republic of Tajikistan",
            "ДИПЛОМ / DIPLOMA",
            "Серия / Series: АМ Ж / №: 0766342",
            "Фамилия, имя, отчество / Full name: Ахмедова Гульнара Рустамовна",
            "Дата рождения / Date of birth: 20.05.2000",
            "Учебное заведение / Institution:",
            "І Таджикский национальный университет",
            "Период обучения / Period of study: 2018 - 2022 г.",
            "Специальность / Specialty: 09.03.04 Программная инженерия",
            "Квалификация / Qualification: бакалавр |",
            "Регистрационный номер / Registration Мо: 2686",
            "Дата выдачи / Date of issue: 23.07.2022",
            "Ректор / Rector: Е. С. Ковалева КӨ)",
        ]);
        assert_eq!(f["series"], "АМ");
        assert_eq!(f["number"], "0766342");
        assert_eq!(f["holder_name"], "Ахмедова Гульнара Рустамовна");
        assert_eq!(f["birth_date"], "2000-05-20");
        assert_eq!(f["institution"], "Таджикский национальный университет");
        assert_eq!(f["study_start"], "2018");
        assert_eq!(f["study_end"], "2022");
        assert_eq!(f["specialty_code"], "09.03.04");
        assert_eq!(f["qualification"], "бакалавр");
        assert_eq!(f["registration_number"], "2686");
        assert_eq!(f["issue_date"], "2022-07-23");
        assert_eq!(f["signed_by"], "Е. С. Ковалева");
    }
}
