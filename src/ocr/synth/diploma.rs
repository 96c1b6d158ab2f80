//! Synthetic foreign diplomas with their ground truth, in three layouts that share no
//! template, so that extraction is measured on what documents have in common (their labels,
//! their number and date formats) rather than on where one layout puts a field:
//!
//! - **post-Soviet**: Russian text, centred, the holder's name over two lines, the study years
//!   inside the sentence («в 2016 году поступил(а) … в 2020 году окончил(а)»), as Kyrgyz,
//!   Tajik, Uzbek and Belarusian diplomas print them;
//! - **Russian Federation**: the series and number without labels under the title, the
//!   specialty code of the Russian classifier before its name, no study years;
//! - **English**: "This is to certify that", a Latin-script name, a birth date and a
//!   month-first issue date, as Turkish and international versions print them;
//! - **bilingual form**: "Russian / English: value" rows, one field per row.
//!
//! A third of the samples are phone photos of the printed page (perspective, uneven light,
//! a desk around the page), the rest scans of varied strength.

use super::{FONTS, Mix, Sample, SynthError, condition, font, phone_photo, scan, seal, signature};
use ab_glyph::{Font, FontVec, PxScale, ScaleFont};
use image::{Rgb, RgbImage};
use imageproc::drawing::{draw_hollow_rect_mut, draw_text_mut, text_size};
use imageproc::rect::Rect;
use serde_json::{Map, Value, json};

#[derive(Clone, Copy, PartialEq, Debug)]
enum Layout {
    PostSoviet,
    Russian,
    English,
    Form,
}

/// (ISO code, name in Russian, name in English, series letters, institutions (ru, en)).
pub(super) type Country = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
);

pub(super) const COUNTRIES: [Country; 6] = [
    (
        "RU",
        "РОССИЙСКАЯ ФЕДЕРАЦИЯ",
        "Russian Federation",
        &[],
        &[
            (
                "Новосибирский государственный университет",
                "Novosibirsk State University",
            ),
            (
                "Казанский федеральный университет",
                "Kazan Federal University",
            ),
            (
                "Томский политехнический университет",
                "Tomsk Polytechnic University",
            ),
        ],
    ),
    (
        "KG",
        "КЫРГЫЗСКАЯ РЕСПУБЛИКА",
        "Kyrgyz Republic",
        &["ВД", "ВМ", "АБ"],
        &[
            (
                "Кыргызский национальный университет",
                "Kyrgyz National University",
            ),
            ("Ошский государственный университет", "Osh State University"),
        ],
    ),
    (
        "UZ",
        "РЕСПУБЛИКА УЗБЕКИСТАН",
        "Republic of Uzbekistan",
        &["В", "К"],
        &[
            (
                "Национальный университет Узбекистана",
                "National University of Uzbekistan",
            ),
            (
                "Самаркандский государственный университет",
                "Samarkand State University",
            ),
        ],
    ),
    (
        "TJ",
        "РЕСПУБЛИКА ТАДЖИКИСТАН",
        "Republic of Tajikistan",
        &["ДА", "АМ"],
        &[(
            "Таджикский национальный университет",
            "Tajik National University",
        )],
    ),
    (
        "BY",
        "РЕСПУБЛИКА БЕЛАРУСЬ",
        "Republic of Belarus",
        &["ВБ", "МА"],
        &[
            (
                "Белорусский государственный университет",
                "Belarusian State University",
            ),
            (
                "Гомельский государственный университет",
                "Gomel State University",
            ),
        ],
    ),
    (
        "TR",
        "ТУРЕЦКАЯ РЕСПУБЛИКА",
        "Republic of Turkey",
        &[],
        &[
            ("Анкарский университет", "Ankara University"),
            ("Университет Хаджеттепе", "Hacettepe University"),
        ],
    ),
];

/// Kazakhstan, for the paper documents brought for an e-Apostille: not among the foreign
/// countries a seed picks from, so adding it left every foreign sample as it was. The series
/// is «ЖБ» (жоғары білім) over seven digits, as Kazakh higher-education diplomas printed it.
const KAZAKHSTAN: Country = (
    "KZ",
    "РЕСПУБЛИКА КАЗАХСТАН",
    "Republic of Kazakhstan",
    &["ЖБ"],
    &[
        (
            "Карагандинский университет имени академика Е. А. Букетова",
            "Karaganda Buketov University",
        ),
        (
            "Павлодарский педагогический университет",
            "Pavlodar Pedagogical University",
        ),
    ],
);

/// (Russian classifier code, name in Russian, name in English, qualification in Russian and
/// English, the closest code of Kazakhstan's classifier).
pub(super) type Specialty = (
    &'static str,
    &'static str,
    &'static str,
    (&'static str, &'static str),
    &'static str,
);

pub(super) const SPECIALTIES: [Specialty; 10] = [
    (
        "09.03.04",
        "Программная инженерия",
        "Software Engineering",
        ("бакалавр", "Bachelor of Science"),
        "6B06102",
    ),
    (
        "38.03.01",
        "Экономика",
        "Economics",
        ("экономист", "Bachelor of Economics"),
        "6B04101",
    ),
    (
        "40.03.01",
        "Юриспруденция",
        "Law",
        ("юрист", "Bachelor of Laws"),
        "6B04201",
    ),
    (
        "38.03.02",
        "Менеджмент",
        "Management",
        ("менеджер", "Bachelor of Business Administration"),
        "6B04102",
    ),
    (
        "01.03.01",
        "Математика",
        "Mathematics",
        ("математик", "Bachelor of Science"),
        "6B05401",
    ),
    (
        "03.03.02",
        "Физика",
        "Physics",
        ("физик", "Bachelor of Science"),
        "6B05402",
    ),
    (
        "21.03.01",
        "Нефтегазовое дело",
        "Petroleum Engineering",
        ("инженер", "Bachelor of Engineering"),
        "6B07201",
    ),
    (
        "08.03.01",
        "Строительство",
        "Civil Engineering",
        ("инженер-строитель", "Bachelor of Engineering"),
        "6B07302",
    ),
    (
        "37.03.01",
        "Психология",
        "Psychology",
        ("психолог", "Bachelor of Arts"),
        "6B03101",
    ),
    (
        "06.03.01",
        "Биология",
        "Biology",
        ("биолог", "Bachelor of Science"),
        "6B05101",
    ),
];

/// Surnames (Cyrillic, Latin) in their masculine form; the feminine adds «а» / "a".
pub(super) const SURNAMES: [(&str, &str); 10] = [
    ("Иванов", "Ivanov"),
    ("Петров", "Petrov"),
    ("Абдуллаев", "Abdullaev"),
    ("Токтогулов", "Toktogulov"),
    ("Назаров", "Nazarov"),
    ("Юсупов", "Yusupov"),
    ("Каримов", "Karimov"),
    ("Жумабеков", "Zhumabekov"),
    ("Ахмедов", "Akhmedov"),
    ("Смирнов", "Smirnov"),
];
pub(super) const MEN: [(&str, &str, &str); 6] = [
    ("Алексей", "Aleksei", "Алексеевич"),
    ("Бахтиёр", "Bakhtiyor", "Бахтиёрович"),
    ("Рустам", "Rustam", "Рустамович"),
    ("Сергей", "Sergei", "Сергеевич"),
    ("Тимур", "Timur", "Тимурович"),
    ("Нурлан", "Nurlan", "Нурланович"),
];
pub(super) const WOMEN: [(&str, &str, &str); 6] = [
    ("Мария", "Mariya", "Алексеевна"),
    ("Гульнара", "Gulnara", "Рустамовна"),
    ("Айгерим", "Aigerim", "Нурлановна"),
    ("Дилноза", "Dilnoza", "Бахтиёровна"),
    ("Елена", "Elena", "Сергеевна"),
    ("Зарина", "Zarina", "Тимуровна"),
];
pub(super) const TURKISH: [(&str, &str); 6] = [
    ("Mehmet", "Demir"),
    ("Emre", "Kaya"),
    ("Elif", "Aydin"),
    ("Zeynep", "Sahin"),
    ("Burak", "Ozturk"),
    ("Selin", "Arslan"),
];
pub(super) const SIGNERS: [&str; 5] = [
    "И. П. Смирнов",
    "А. К. Жумабаев",
    "Н. В. Орлова",
    "Б. Т. Рахимов",
    "Е. С. Ковалева",
];
pub(super) const SIGNERS_LATIN: [&str; 4] = ["A. Yildiz", "M. Celik", "S. Petrov", "K. Aliev"];

/// Bold faces other than the page's, for a retyped bold number ([`Tamper::Font`]).
const OTHER_BOLD: [&str; 2] = ["DejaVuSerif-Bold.ttf", "DejaVuSansMono-Bold.ttf"];

const MONTHS_RU: [&str; 12] = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A line of the document: its text, its size relative to the body's and whether it is
/// centred.
struct Line {
    text: String,
    size: f32,
    centred: bool,
    bold: bool,
}

fn body(text: impl Into<String>) -> Line {
    Line {
        text: text.into(),
        size: 1.0,
        centred: true,
        bold: false,
    }
}

fn left(text: impl Into<String>) -> Line {
    Line {
        centred: false,
        ..body(text)
    }
}

fn title(text: impl Into<String>, size: f32) -> Line {
    Line {
        size,
        bold: true,
        ..body(text)
    }
}

/// One forgery a tampered twin carries (`tanba forensics generate`): the same document,
/// rendered and scanned exactly as its genuine twin, but for this.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tamper {
    /// An impossible date: issued two years before the study ended, or (where the study
    /// years are not printed) at fourteen.
    Dates,
    /// A number one digit short for its country's format.
    Number,
    /// No seal.
    Seal,
    /// The number retyped (one digit changed) on a pasted patch of other paper.
    Edit,
    /// Another surname pasted over the holder's, on a patch of other paper; the application
    /// names the pasted holder.
    Name,
    /// The number retyped (one digit changed) on the same paper and pasted seamlessly into
    /// the scan's file from a copy saved at a lower JPEG quality: no patch of other paper,
    /// only the pasted pixels' compression history tells.
    Recompressed,
    /// The number's last digit changed by copying another digit of it over it, from the
    /// scan itself (its paper grain with it), as a forger's clone tool does: the same ink,
    /// the same paper, the same compression — only the repeated grain tells.
    CopyMove,
    /// The number's last three digits retyped (the last one changed) in another typeface of
    /// the same weight, or in the page's own a tenth to a sixth larger or smaller, on the
    /// same paper before the page is printed: nothing but the letterforms tell.
    Font,
}

impl Tamper {
    pub const ALL: [Tamper; 8] = [
        Tamper::Dates,
        Tamper::Number,
        Tamper::Seal,
        Tamper::Edit,
        Tamper::Name,
        Tamper::Recompressed,
        Tamper::CopyMove,
        Tamper::Font,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Tamper::Dates => "dates",
            Tamper::Number => "number",
            Tamper::Seal => "seal",
            Tamper::Edit => "edit",
            Tamper::Name => "name",
            Tamper::Recompressed => "recompressed",
            Tamper::CopyMove => "copy-move",
            Tamper::Font => "font",
        }
    }
}

/// The `seed`-th foreign diploma: a scan at 200 dpi, or a phone photo of the printed page.
pub fn diploma(seed: u64) -> Result<Sample, SynthError> {
    twin(seed, None)
}

/// The `seed`-th foreign diploma, genuine or with one `tamper`. The ground truth describes
/// what is printed (a retyped number is the number read) and carries the application an
/// applicant would file with it (`application`).
pub fn twin(seed: u64, tamper: Option<Tamper>) -> Result<Sample, SynthError> {
    render(seed, tamper, None)
}

/// The `seed`-th paper diploma issued in Kazakhstan (post-Soviet or form layout), genuine or
/// with one `tamper`: what a holder brings for an e-Apostille.
pub fn kazakh(seed: u64, tamper: Option<Tamper>) -> Result<Sample, SynthError> {
    render(seed, tamper, Some(KAZAKHSTAN))
}

fn render(seed: u64, tamper: Option<Tamper>, only: Option<Country>) -> Result<Sample, SynthError> {
    let mut rng = Mix(seed.wrapping_mul(0x9E6C_63D0_676A_9A99) ^ 0xD1F1);
    let face = (rng.next() % 3) as usize;
    let regular = font(FONTS[face])?;
    let bold = font(FONTS[3])?;
    // The pick is drawn either way, so that a seed's other draws do not depend on `only`.
    let picked = *rng.pick(&COUNTRIES);
    let country = only.unwrap_or(picked);
    let (code, country_ru, country_en, series_letters, institutions) = country;
    let layout = match code {
        "TR" => Layout::English,
        "RU" => *rng.pick(&[Layout::Russian, Layout::Form]),
        "KZ" => *rng.pick(&[Layout::PostSoviet, Layout::Form]),
        _ => *rng.pick(&[Layout::PostSoviet, Layout::Form, Layout::English]),
    };
    let (inst_ru, inst_en) = *rng.pick(institutions);
    let specialty = *rng.pick(&SPECIALTIES);
    let (spec_code, spec_ru, spec_en, (qual_ru, qual_en), kz_code) = specialty;
    // A Kazakh diploma prints Kazakhstan's own classifier code.
    let spec_code = if code == "KZ" { kz_code } else { spec_code };
    let woman = rng.unit() < 0.5;
    let (surname_ru, surname_en) = *rng.pick(&SURNAMES);
    let (given_ru, given_en, patronymic) = *rng.pick(if woman { &WOMEN } else { &MEN });
    let (surname_ru, surname_en) = if woman {
        (format!("{surname_ru}а"), format!("{surname_en}a"))
    } else {
        (surname_ru.to_string(), surname_en.to_string())
    };
    let birth_year = 1994 + (rng.next() % 9) as i32;
    let date = |y: i32, m: u8, d: u8| {
        time::Date::from_calendar_date(y, time::Month::try_from(m).expect("1..=12"), d)
            .expect("a real date")
    };
    let birth = date(
        birth_year,
        1 + (rng.next() % 12) as u8,
        1 + (rng.next() % 28) as u8,
    );
    let start = birth_year + 17 + (rng.next() % 2) as i32;
    let end = start + 4;
    let issue = date(end, 6 + (rng.next() % 2) as u8, 1 + (rng.next() % 28) as u8);
    let issue = match tamper {
        Some(Tamper::Dates) if layout == Layout::Russian => {
            date(birth_year + 14, u8::from(issue.month()), issue.day())
        }
        Some(Tamper::Dates) => date(end - 2, u8::from(issue.month()), issue.day()),
        _ => issue,
    };
    let serial = |rng: &mut Mix, digits: u32| {
        format!(
            "{:0width$}",
            rng.next() % 10u64.pow(digits),
            width = digits as usize
        )
    };
    let (series, number) = match code {
        "RU" => (
            Some(format!("1{}", serial(&mut rng, 5))),
            serial(&mut rng, 7),
        ),
        "TR" => (None, format!("{end}/{}", serial(&mut rng, 5))),
        _ => (
            Some(rng.pick(series_letters).to_string()),
            serial(&mut rng, 7),
        ),
    };
    let mut number = number;
    if tamper == Some(Tamper::Number) {
        number.pop();
    }
    let registration = match rng.next() % 3 {
        0 => serial(&mut rng, 4),
        1 => format!("{}-{}", 10 + rng.next() % 90, serial(&mut rng, 4)),
        _ => format!("{}{}", serial(&mut rng, 5), ""),
    };
    let signer_ru = *rng.pick(&SIGNERS);
    let signer_en = *rng.pick(&SIGNERS_LATIN);
    let day_month_ru = |d: time::Date| {
        format!(
            "{} {} {} года",
            d.day(),
            MONTHS_RU[d.month() as usize - 1],
            d.year()
        )
    };
    let numeric = |d: time::Date| format!("{:02}.{:02}.{}", d.day(), d.month() as u8, d.year());

    let mut truth = Map::new();
    let mut put = |k: &str, v: String| {
        truth.insert(k.to_string(), Value::String(v));
    };
    let mut lines: Vec<Line> = Vec::new();
    match layout {
        Layout::PostSoviet | Layout::Russian => {
            let series = series.clone().expect("Cyrillic layouts have a series");
            lines.push(title(country_ru, 1.1));
            lines.push(body(inst_ru));
            lines.push(title("ДИПЛОМ", 2.2));
            if layout == Layout::Russian {
                lines.push(title("БАКАЛАВРА", 1.3));
                lines.push(title(format!("{series} {number}"), 1.3));
                lines.push(body("ДОКУМЕНТ ОБ ОБРАЗОВАНИИ И О КВАЛИФИКАЦИИ"));
                lines.push(body("Настоящий диплом свидетельствует о том, что"));
            } else {
                lines.push(title(format!("{series} № {number}"), 1.3));
                lines.push(body("Настоящий диплом выдан"));
            }
            lines.push(title(surname_ru.clone(), 1.3));
            lines.push(title(format!("{given_ru} {patronymic}"), 1.3));
            if layout == Layout::Russian {
                lines.push(body("освоил(а) программу бакалавриата"));
                lines.push(body("по направлению подготовки"));
                lines.push(body(format!("{spec_code} {spec_ru}")));
                lines.push(body(
                    "и успешно прошел(ла) государственную итоговую аттестацию",
                ));
                put("specialty_code", spec_code.into());
            } else {
                lines.push(body(format!(
                    "в том, что он(а) в {start} году поступил(а) в"
                )));
                lines.push(body(inst_ru));
                lines.push(body(format!(
                    "и в {end} году окончил(а) полный курс названного университета"
                )));
                lines.push(body("по специальности"));
                lines.push(body(spec_ru));
                put("study_start", start.to_string());
                put("study_end", end.to_string());
            }
            lines.push(body("Решением Государственной аттестационной комиссии"));
            lines.push(body("присвоена квалификация"));
            lines.push(title(qual_ru, 1.2));
            lines.push(left(format!("Регистрационный номер {registration}")));
            let issued = if rng.unit() < 0.5 {
                day_month_ru(issue)
            } else {
                numeric(issue)
            };
            lines.push(left(format!("Дата выдачи {issued}")));
            lines.push(left(format!("Ректор {signer_ru}")));
            put(
                "holder_name",
                format!("{surname_ru} {given_ru} {patronymic}"),
            );
            put("institution", inst_ru.into());
            put("specialty", spec_ru.into());
            put("qualification", qual_ru.into());
            put("series", series);
            put("signed_by", signer_ru.into());
        }
        Layout::English => {
            let (given, surname) = if code == "TR" {
                let (g, s) = *rng.pick(&TURKISH);
                (g.to_string(), s.to_string())
            } else {
                (given_en.to_string(), surname_en.clone())
            };
            let name = if rng.unit() < 0.5 {
                format!("{given} {surname}")
            } else {
                format!("{} {given}", surname.to_uppercase())
            };
            lines.push(title(inst_en.to_uppercase(), 1.2));
            lines.push(body(country_en));
            lines.push(title("DIPLOMA", 2.2));
            match &series {
                Some(s) => lines.push(body(format!("Series {s} No {number}"))),
                None => lines.push(body(format!("Diploma No {number}"))),
            }
            lines.push(body("This is to certify that"));
            lines.push(title(name.clone(), 1.3));
            lines.push(body(format!(
                "born on {} {} {}",
                birth.day(),
                MONTHS_EN[birth.month() as usize - 1],
                birth.year()
            )));
            lines.push(body(format!(
                "having completed the programme of study in {start} - {end}"
            )));
            lines.push(body("has been awarded the degree of"));
            lines.push(title(qual_en, 1.2));
            lines.push(body(format!("in {spec_en}")));
            lines.push(left(format!("Registration No {registration}")));
            lines.push(left(format!(
                "Date of issue: {} {}, {}",
                MONTHS_EN[issue.month() as usize - 1],
                issue.day(),
                issue.year()
            )));
            lines.push(left(format!("Rector {signer_en}")));
            put("holder_name", name);
            put("birth_date", birth.to_string());
            put("institution", inst_en.to_uppercase());
            put("specialty", spec_en.into());
            put("qualification", qual_en.into());
            put("study_start", start.to_string());
            put("study_end", end.to_string());
            if let Some(s) = &series {
                put("series", s.clone());
            }
            put("signed_by", signer_en.into());
        }
        Layout::Form => {
            let series = series.clone().expect("form-layout countries have a series");
            let name = format!("{surname_ru} {given_ru} {patronymic}");
            lines.push(title(format!("{country_ru} / {country_en}"), 1.0));
            lines.push(title("ДИПЛОМ / DIPLOMA", 1.8));
            lines.push(left(format!("Серия / Series: {series}   № / No: {number}")));
            lines.push(left(format!("Фамилия, имя, отчество / Full name: {name}")));
            lines.push(left(format!(
                "Дата рождения / Date of birth: {}",
                numeric(birth)
            )));
            lines.push(left("Учебное заведение / Institution:"));
            lines.push(left(inst_ru));
            lines.push(left(format!(
                "Период обучения / Period of study: {start} - {end}"
            )));
            lines.push(left(format!(
                "Специальность / Specialty: {spec_code} {spec_ru}"
            )));
            lines.push(left(format!("Квалификация / Qualification: {qual_ru}")));
            lines.push(left(format!(
                "Регистрационный номер / Registration No: {registration}"
            )));
            lines.push(left(format!(
                "Дата выдачи / Date of issue: {}",
                numeric(issue)
            )));
            lines.push(left(format!("Ректор / Rector: {signer_ru}")));
            put("holder_name", name);
            put("birth_date", birth.to_string());
            put("institution", inst_ru.into());
            put("specialty", spec_ru.into());
            put("specialty_code", spec_code.into());
            put("qualification", qual_ru.into());
            put("study_start", start.to_string());
            put("study_end", end.to_string());
            put("series", series);
            put("signed_by", signer_ru.into());
        }
    }
    put("number", number.clone());
    put("registration_number", registration.clone());
    put("issue_date", issue.to_string());
    // A pasted edit: which line, the end of it that is covered, and what is printed instead.
    let mut paste: Option<(usize, String, String)> = None;
    // A seamless retype: which line, the number, and the number printed instead.
    let mut retype: Option<(usize, String, String)> = None;
    // A copy-move: which line, and the digits of the number copied from and over.
    let mut cloned: Option<(usize, usize, usize)> = None;
    // A retyped tail: which line, the tail printed and the tail retyped.
    let mut restyled: Option<(usize, String, String)> = None;
    match tamper {
        Some(Tamper::Font) => {
            let digits: Vec<usize> = number
                .char_indices()
                .filter(|(_, c)| c.is_ascii_digit())
                .map(|(k, _)| k)
                .collect();
            if digits.len() >= 4
                && let Some(i) = lines.iter().position(|l| l.text.ends_with(&number))
            {
                let from = digits[digits.len() - 3];
                let old = number[from..].to_string();
                let mut new: Vec<char> = old.chars().collect();
                if let Some(last) = new.iter_mut().rev().find(|c| c.is_ascii_digit()) {
                    *last = char::from(b'0' + (last.to_digit(10).unwrap_or(0) as u8 + 1) % 10);
                }
                let new: String = new.into_iter().collect();
                truth.insert(
                    "number".into(),
                    Value::String(format!("{}{new}", &number[..from])),
                );
                restyled = Some((i, old, new));
            }
        }
        Some(Tamper::CopyMove) => {
            let mut digits: Vec<char> = number.chars().collect();
            let last = digits.iter().rposition(|c| c.is_ascii_digit());
            let first_other = last.and_then(|t| {
                (0..t).find(|&k| digits[k].is_ascii_digit() && digits[k] != digits[t])
            });
            if let (Some(t), Some(k)) = (last, first_other)
                && let Some(i) = lines.iter().position(|l| l.text.ends_with(&number))
            {
                digits[t] = digits[k];
                cloned = Some((i, k, t));
                truth.insert("number".into(), Value::String(digits.into_iter().collect()));
            }
        }
        Some(Tamper::Edit) | Some(Tamper::Recompressed) => {
            let mut digits: Vec<char> = number.chars().collect();
            if let Some(last) = digits.iter_mut().rev().find(|c| c.is_ascii_digit()) {
                *last = char::from(b'0' + (last.to_digit(10).unwrap_or(0) as u8 + 1) % 10);
            }
            let retyped: String = digits.into_iter().collect();
            if let Some(i) = lines.iter().position(|l| l.text.ends_with(&number)) {
                if tamper == Some(Tamper::Edit) {
                    paste = Some((i, number.clone(), retyped.clone()));
                } else {
                    retype = Some((i, number.clone(), retyped.clone()));
                }
                truth.insert("number".into(), Value::String(retyped));
            }
        }
        Some(Tamper::Name) => {
            let holder = truth["holder_name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            // The holder's surname, and another of the same script, case and gender.
            let found = holder.split_whitespace().find_map(|w| {
                let lower = w.to_lowercase();
                SURNAMES
                    .iter()
                    .enumerate()
                    .flat_map(|(i, (ru, en))| [(i, *ru), (i, *en)])
                    .chain(TURKISH.iter().enumerate().map(|(i, (_, s))| (100 + i, *s)))
                    .find(|(_, s)| {
                        let s = s.to_lowercase();
                        lower == s || lower == format!("{s}а") || lower == format!("{s}a")
                    })
                    .map(|(i, s)| (w.to_string(), i, s))
            });
            if let Some((old, i, base)) = found {
                let cyrillic = base.chars().any(|c| c.is_alphabetic() && !c.is_ascii());
                let other = if i >= 100 {
                    TURKISH[(i - 100 + 1) % TURKISH.len()].1.to_string()
                } else {
                    let (ru, en) = SURNAMES[(i + 3) % SURNAMES.len()];
                    let s = if cyrillic { ru } else { en };
                    let ending = &old.to_lowercase()[base.to_lowercase().len()..];
                    format!("{s}{ending}")
                };
                let other = if old.chars().all(|c| !c.is_lowercase()) {
                    other.to_uppercase()
                } else {
                    other
                };
                let pasted = holder.replacen(&old, &other, 1);
                if let Some(i) = lines.iter().position(|l| l.text.ends_with(&holder)) {
                    paste = Some((i, holder.clone(), pasted.clone()));
                } else if let Some(i) = lines.iter().position(|l| l.text == old) {
                    paste = Some((i, old, other));
                }
                truth.insert("holder_name".into(), Value::String(pasted));
            }
        }
        _ => {}
    }

    let paper = 240 + (rng.next() % 12) as u8;
    let mut img = RgbImage::from_pixel(1654, 2339, Rgb([paper, paper, paper.saturating_sub(6)]));
    let ink = Rgb([25, 25, 35]);
    let base = rng.range(27.0, 33.0);
    let margin = rng.range(150.0, 220.0) as i32;
    let mut y = rng.range(200.0, 280.0) as i32;
    let width = 1654 - 2 * margin;
    let mut signer_row = y;
    let mut placed = Vec::with_capacity(lines.len());
    for line in &lines {
        let face: &FontVec = if line.bold { &bold } else { &regular };
        let mut scale = PxScale::from(base * line.size);
        // A line too wide for the page is set smaller, as a typesetter would.
        let (mut w, _) = text_size(scale, face, &line.text);
        while w as i32 > width {
            scale = PxScale::from(scale.x * 0.92);
            w = text_size(scale, face, &line.text).0;
        }
        let x = if line.centred {
            margin + (width - w as i32) / 2
        } else {
            margin
        };
        draw_text_mut(&mut img, ink, x, y, scale, face, &line.text);
        placed.push((x, y, scale));
        if line.text.starts_with("Ректор") || line.text.starts_with("Rector") {
            signer_row = y;
        }
        y += (scale.y * rng.range(1.7, 2.1)) as i32;
    }
    if let Some((i, old, new)) = &paste {
        let i = *i;
        // The covered end of the line on a patch of whiter (or, on white paper, greyer)
        // paper, the new text set a touch smaller, as a forger's printer would.
        let (x, y, scale) = placed[i];
        let face: &FontVec = if lines[i].bold { &bold } else { &regular };
        let kept = &lines[i].text[..lines[i].text.len() - old.len()];
        let x0 = x + if kept.is_empty() {
            0
        } else {
            text_size(scale, face, kept).0 as i32
        };
        let small = PxScale::from(scale.x * 0.96);
        let w = text_size(scale, face, old)
            .0
            .max(text_size(small, face, new).0);
        let delta = 7 + (seed % 6) as i32;
        let shade = if paper as i32 + delta <= 255 {
            paper as i32 + delta
        } else {
            paper as i32 - delta
        } as u8;
        imageproc::drawing::draw_filled_rect_mut(
            &mut img,
            Rect::at(x0 - 10, y - (scale.y * 0.2) as i32).of_size(w + 20, (scale.y * 1.45) as u32),
            Rgb([shade, shade, shade.saturating_sub(3)]),
        );
        draw_text_mut(&mut img, ink, x0 + 2, y + 1, small, face, new);
    }
    // The retyped tail: the old digits covered with the page's own paper (the print's
    // texture comes after), the new ones set on the same baseline.
    let mut retyped_as = Value::Null;
    if let Some((i, old, new)) = &restyled {
        let i = *i;
        let (x, y, scale) = placed[i];
        let face_now: &FontVec = if lines[i].bold { &bold } else { &regular };
        let kept = &lines[i].text[..lines[i].text.len() - old.len()];
        let x0 = x + text_size(scale, face_now, kept).0 as i32;
        let (w, h) = text_size(scale, face_now, old);
        imageproc::drawing::draw_filled_rect_mut(
            &mut img,
            Rect::at(x0, y).of_size(w, h),
            Rgb([paper, paper, paper.saturating_sub(6)]),
        );
        // A third of the twins in another face of the same weight, a third larger, a third
        // smaller (drawn from the seed, so the scan's draws stay the genuine's).
        let step = ((seed / 3) % 5) as f32 * 0.015;
        let (name, factor) = match seed % 3 {
            0 if lines[i].bold => (OTHER_BOLD[(seed / 3 % 2) as usize], 1.0),
            0 => (FONTS[(face + 1 + (seed / 3 % 2) as usize) % 3], 1.0),
            1 => (FONTS[if lines[i].bold { 3 } else { face }], 1.10 + step),
            _ => (FONTS[if lines[i].bold { 3 } else { face }], 0.90 - step),
        };
        let other = font(name)?;
        let new_scale = PxScale::from(scale.x * factor);
        let baseline = |f: &FontVec, s: PxScale| f.as_scaled(s).ascent();
        let y_new = y + (baseline(face_now, scale) - baseline(&other, new_scale)).round() as i32;
        draw_text_mut(&mut img, ink, x0, y_new, new_scale, &other, new);
        retyped_as = json!({"face": name, "scale": factor, "digits": new});
    }
    // A double frame, the signature beside the rector's name and the seal over it.
    let frame = Rgb([110, 80, 40]);
    for k in 0..2 {
        let inset = 70 + k * 14;
        draw_hollow_rect_mut(
            &mut img,
            Rect::at(inset, inset).of_size(1654 - 2 * inset as u32, 2339 - 2 * inset as u32),
            frame,
        );
    }
    let signer = truth
        .get("signed_by")
        .and_then(Value::as_str)
        .unwrap_or_default();
    signature(&mut img, 900.0, signer_row as f32 + 20.0, signer, &mut rng);
    if tamper == Some(Tamper::Seal) {
        // Drawn nowhere, so that the twin's scan draws the same noise as its genuine's.
        seal(&mut RgbImage::new(1, 1), 0, 0, 100, &mut rng);
    } else {
        seal(&mut img, 1200, signer_row + 40, 100, &mut rng);
    }

    super::print_texture(&mut img, seed);

    // The retyped copy: the same page with the number set anew on the same paper.
    let retyped = retype.map(|(i, old, new)| {
        let (x, y, scale) = placed[i];
        let face: &FontVec = if lines[i].bold { &bold } else { &regular };
        let kept = &lines[i].text[..lines[i].text.len() - old.len()];
        let x0 = x + if kept.is_empty() {
            0
        } else {
            text_size(scale, face, kept).0 as i32
        };
        let w = text_size(scale, face, &old).0;
        let mut copy = img.clone();
        imageproc::drawing::draw_filled_rect_mut(
            &mut copy,
            Rect::at(x0 - 2, y - (scale.y * 0.1) as i32).of_size(w + 4, (scale.y * 1.3) as u32),
            Rgb([paper, paper, paper.saturating_sub(6)]),
        );
        draw_text_mut(&mut copy, ink, x0, y, scale, face, &new);
        copy
    });

    // The copy-move's source and target digits, each marked in black on a copy of the page,
    // to be found again in the scan by where the marked copy's scan differs.
    let marked = cloned.map(|(i, from, to)| {
        let (x, y, scale) = placed[i];
        let face: &FontVec = if lines[i].bold { &bold } else { &regular };
        let text = &lines[i].text;
        let start = text.len() - number.len();
        // The caret before the `n`th byte of the line (the text is ASCII there).
        let caret = |n: usize| x + text_size(scale, face, &text[..n]).0 as i32;
        let height = text_size(scale, face, text).1;
        [from, to].map(|j| {
            let (x0, x1) = (caret(start + j), caret(start + j + 1));
            let mut m = img.clone();
            imageproc::drawing::draw_filled_rect_mut(
                &mut m,
                Rect::at(x0, y).of_size((x1 - x0).max(1) as u32, height),
                Rgb([0, 0, 0]),
            );
            m
        })
    });

    let phone = rng.unit() < 1.0 / 3.0;
    let (jpeg, distortions, condition) = match (retyped, marked) {
        // The page and its two marked copies go through the same scan or photo, so the marks
        // show where the digits lie in the scan.
        (_, Some(marks)) => {
            let mut again = [rng.clone(), rng.clone()];
            let (page, quality, mut d, condition) = shoot(img, phone, paper, &mut rng)?;
            let mut regions = Vec::with_capacity(2);
            for (m, r) in marks.into_iter().zip(&mut again) {
                let copy = shoot(m, phone, paper, r)?.0;
                regions.push(super::changed_region(&page, &copy).ok_or_else(|| {
                    SynthError::Encode("a marked digit left no trace in the scan".into())
                })?);
            }
            let jpeg = super::copy_moved(page, regions[0], regions[1], quality)?;
            d["copied_from"] = json!(regions[0]);
            d["copied_to"] = json!(regions[1]);
            (jpeg, d, condition)
        }
        // Both copies go through the same scan or photo (the same draws), so they differ only
        // where the number was retyped; that region of the copy, saved at a lower quality, is
        // pasted into the genuine scan, which is saved again at its own quality.
        (Some(copy), None) => {
            let mut again = rng.clone();
            let (page, quality, mut d, condition) = shoot(img, phone, paper, &mut rng)?;
            let copy = shoot(copy, phone, paper, &mut again)?.0;
            let pasted_quality = quality.saturating_sub(35).max(25);
            let (jpeg, region) = super::paste_recompressed(page, &copy, quality, pasted_quality)?;
            d["pasted_quality"] = json!(pasted_quality);
            d["pasted_region"] = json!(region);
            (jpeg, d, condition)
        }
        (None, None) if phone => {
            let (jpeg, d) = phone_photo(img, &mut rng)?;
            (jpeg, d, "phone")
        }
        (None, None) => {
            let strength = rng.unit();
            let (jpeg, d) = scan(img, paper, strength, &mut rng)?;
            (jpeg, d, condition(strength))
        }
    };
    let mut distortions = distortions;
    if !retyped_as.is_null() {
        distortions["retyped"] = retyped_as;
    }
    let application = json!({
        "holder_name": truth["holder_name"],
        "birth_date": birth.to_string(),
        "country": code,
        "kind": "diploma",
    });
    let truth = json!({
        "kind": "diploma",
        "country": code,
        "layout": format!("{layout:?}").to_lowercase(),
        "condition": condition,
        "fields": truth,
        "programme_match": kz_code,
        "distortions": distortions,
        "tamper": tamper.map(Tamper::name),
        "application": application,
    });
    Ok(Sample { jpeg, truth })
}

/// The page scanned or photographed before its file is written (the draws of [`scan`] or
/// [`phone_photo`]): the image, the JPEG quality, what was done and the condition's name.
fn shoot(
    img: RgbImage,
    phone: bool,
    paper: u8,
    rng: &mut Mix,
) -> Result<(image::GrayImage, u8, Value, &'static str), SynthError> {
    Ok(if phone {
        let (p, q, d) = super::photographed(img, rng)?;
        (p, q, d, "phone")
    } else {
        let strength = rng.unit();
        let (p, q, d) = super::scanned(img, paper, strength, rng);
        (p, q, d, condition(strength))
    })
}
