//! Printable A4 PDFs of issued documents, in Kazakh and Russian with English field names.
//!
//! Each PDF carries the document's fields, the QR code (URL plus the issuer-signed offline
//! payload), the short verification code and the credential id. A diploma's supplement — its
//! courses with hours or credits, letter grades, points and GPA — starts on a page of its own
//! and runs over as many pages as it needs.
//!
//! Text is set in DejaVu Sans, which has every letter of the Kazakh alphabet (ә ғ қ ң ө ұ ү һ і).
//! The fonts come from Debian's `fonts-dejavu-core` (installed by `scripts/setup.sh`), or from
//! the directory named by `TANBA_FONT_DIR`; each PDF embeds a subset holding only the glyphs it
//! uses, as CID fonts with a ToUnicode map so the text can be searched and copied. The QR is a
//! one-pixel-per-module image scaled up without interpolation, so it prints sharp at any size.

use super::kinds::{
    Apostille, Attestat, AttestatHonours, AttestatLevel, Diploma, DiplomaLevel, Guardianship,
    GuardianshipForm, GuardianshipStatus, Recognition,
};
use super::record::{CredentialId, DocumentKind};
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

/// A4 in points.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 50.0;
/// Space kept free at the bottom of page one for the QR block.
const QR_BLOCK: f32 = 200.0;
const QR_SIZE: f32 = 170.0;

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error(
        "font {file} not found in {dirs}; install the Debian package fonts-dejavu-core \
         (scripts/setup.sh does) or set TANBA_FONT_DIR to a directory holding it"
    )]
    FontMissing { file: &'static str, dirs: String },
    #[error("font {0} cannot be read: {1}")]
    FontBroken(String, String),
    #[error("QR code: {0}")]
    Qr(String),
    #[error("font subsetting: {0}")]
    Subset(String),
}

/// The document to print: its typed body and what the ledger and registry say about it.
pub struct PdfInput<'a> {
    pub body: Body<'a>,
    pub id: CredentialId,
    pub version: u32,
    pub issuer_bin: &'a str,
    pub issuer_kk: &'a str,
    pub issuer_ru: &'a str,
    /// The QR text: verification URL with the signed payload.
    pub qr_text: &'a str,
    /// Where a reader types the verification code, e.g. `https://tanba.kz/check`.
    pub check_url: &'a str,
}

/// The typed document, borrowed.
#[derive(Clone, Copy)]
pub enum Body<'a> {
    Attestat(&'a Attestat),
    Diploma(&'a Diploma),
    Guardianship(&'a Guardianship),
    Recognition(&'a Recognition),
    Apostille(&'a Apostille),
}

impl Body<'_> {
    pub fn kind(&self) -> DocumentKind {
        match self {
            Body::Attestat(_) => DocumentKind::Attestat,
            Body::Diploma(_) => DocumentKind::Diploma,
            Body::Guardianship(_) => DocumentKind::Guardianship,
            Body::Recognition(_) => DocumentKind::Recognition,
            Body::Apostille(_) => DocumentKind::Apostille,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Fonts

struct Face {
    file: &'static str,
    data: &'static [u8],
    face: ttf_parser::Face<'static>,
}

impl Face {
    fn load(dirs: &[PathBuf], file: &'static str) -> Result<Face, PdfError> {
        let path = dirs
            .iter()
            .map(|d| d.join(file))
            .find(|p| p.is_file())
            .ok_or_else(|| PdfError::FontMissing {
                file,
                dirs: dirs
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let bytes = std::fs::read(&path)
            .map_err(|e| PdfError::FontBroken(path.display().to_string(), e.to_string()))?;
        // Fonts live for the whole process; leaking them once lets the parsed face borrow them.
        let data: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        let face = ttf_parser::Face::parse(data, 0)
            .map_err(|e| PdfError::FontBroken(path.display().to_string(), e.to_string()))?;
        Ok(Face { file, data, face })
    }

    fn glyph(&self, c: char) -> u16 {
        self.face
            .glyph_index(c)
            .or_else(|| self.face.glyph_index('?'))
            .map(|g| g.0)
            .unwrap_or(0)
    }

    /// Advance of a glyph in thousandths of the font size.
    fn advance(&self, gid: u16) -> f32 {
        let units = self
            .face
            .glyph_hor_advance(ttf_parser::GlyphId(gid))
            .unwrap_or(0) as f32;
        units * 1000.0 / self.face.units_per_em() as f32
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| self.advance(self.glyph(c)))
            .sum::<f32>()
            * size
            / 1000.0
    }

    fn scaled(&self, v: i16) -> f32 {
        v as f32 * 1000.0 / self.face.units_per_em() as f32
    }
}

/// The regular and bold faces every PDF uses.
pub struct Fonts {
    regular: Face,
    bold: Face,
}

fn font_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = std::env::var_os("TANBA_FONT_DIR") {
        dirs.push(PathBuf::from(d));
    }
    dirs.push(PathBuf::from("/usr/share/fonts/truetype/dejavu"));
    dirs.push(PathBuf::from("/usr/share/fonts/TTF"));
    dirs
}

/// Loads the fonts once per process.
pub fn fonts() -> Result<&'static Fonts, PdfError> {
    static FONTS: OnceLock<Result<Fonts, String>> = OnceLock::new();
    let loaded = FONTS.get_or_init(|| {
        let dirs = font_dirs();
        let load = || -> Result<Fonts, PdfError> {
            Ok(Fonts {
                regular: Face::load(&dirs, "DejaVuSans.ttf")?,
                bold: Face::load(&dirs, "DejaVuSans-Bold.ttf")?,
            })
        };
        load().map_err(|e| e.to_string())
    });
    loaded
        .as_ref()
        .map_err(|e| PdfError::FontBroken("DejaVu Sans".into(), e.clone()))
}

// ---------------------------------------------------------------------------------------------
// Layout: pages of positioned text, rules and the QR

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Weight {
    Regular,
    Bold,
}

enum Op {
    Text {
        weight: Weight,
        size: f32,
        x: f32,
        y: f32,
        gray: f32,
        text: String,
    },
    Rule {
        x1: f32,
        x2: f32,
        y: f32,
        width: f32,
    },
    Qr {
        x: f32,
        y: f32,
        size: f32,
    },
}

struct Layout<'f> {
    fonts: &'f Fonts,
    pages: Vec<Vec<Op>>,
    y: f32,
    /// Lowest y that flowing text may reach on the current page.
    floor: f32,
    /// Repeated at the top of continuation pages.
    running_head: String,
}

impl<'f> Layout<'f> {
    fn new(fonts: &'f Fonts) -> Self {
        Layout {
            fonts,
            pages: vec![Vec::new()],
            y: PAGE_H - MARGIN,
            floor: MARGIN + QR_BLOCK,
            running_head: String::new(),
        }
    }

    fn face(&self, w: Weight) -> &'f Face {
        match w {
            Weight::Regular => &self.fonts.regular,
            Weight::Bold => &self.fonts.bold,
        }
    }

    fn page(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("a layout always has a page")
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = PAGE_H - MARGIN;
        self.floor = MARGIN + 20.0;
        if !self.running_head.is_empty() {
            let head = self.running_head.clone();
            self.put(Weight::Regular, 8.0, MARGIN, self.y, 0.4, head);
            self.y -= 20.0;
        }
    }

    /// Starts a new page unless `height` still fits above the floor.
    fn need(&mut self, height: f32) {
        if self.y - height < self.floor {
            self.new_page();
        }
    }

    fn put(&mut self, weight: Weight, size: f32, x: f32, y: f32, gray: f32, text: String) {
        self.page().push(Op::Text {
            weight,
            size,
            x,
            y,
            gray,
            text,
        });
    }

    fn wrap(&self, weight: Weight, size: f32, text: &str, max: f32) -> Vec<String> {
        let face = self.face(weight);
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if face.width(&candidate, size) <= max || line.is_empty() {
                line = candidate;
            } else {
                lines.push(std::mem::replace(&mut line, word.to_string()));
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        if lines.is_empty() {
            lines.push(String::new());
        }
        lines
    }

    /// A centred line.
    fn centred(&mut self, weight: Weight, size: f32, text: &str) {
        for line in self.wrap(weight, size, text, PAGE_W - 2.0 * MARGIN) {
            self.need(size * 1.3);
            let w = self.face(weight).width(&line, size);
            let y = self.y - size;
            self.put(weight, size, (PAGE_W - w) / 2.0, y, 0.0, line);
            self.y -= size * 1.35;
        }
    }

    /// A labelled field: the label in Kazakh and Russian (small, grey) on the left, the value
    /// (wrapped) on the right.
    fn field(&mut self, label_kk: &str, label_ru: &str, value: &str) {
        let label_w = 190.0;
        let value_x = MARGIN + label_w + 10.0;
        let value_w = PAGE_W - MARGIN - value_x;
        let lines = self.wrap(Weight::Bold, 10.5, value, value_w);
        let height = (lines.len() as f32 * 13.5).max(22.0) + 6.0;
        self.need(height);
        let top = self.y;
        self.put(
            Weight::Regular,
            7.5,
            MARGIN,
            top - 8.0,
            0.35,
            label_kk.into(),
        );
        self.put(
            Weight::Regular,
            7.5,
            MARGIN,
            top - 17.0,
            0.35,
            label_ru.into(),
        );
        for (i, line) in lines.into_iter().enumerate() {
            self.put(
                Weight::Bold,
                10.5,
                value_x,
                top - 10.0 - 13.5 * i as f32,
                0.0,
                line,
            );
        }
        self.y -= height;
    }

    fn rule(&mut self, width: f32) {
        self.need(6.0);
        let y = self.y - 3.0;
        self.page().push(Op::Rule {
            x1: MARGIN,
            x2: PAGE_W - MARGIN,
            y,
            width,
        });
        self.y -= 8.0;
    }

    fn gap(&mut self, h: f32) {
        self.y -= h;
    }

    /// A table: column headers and rows; `cols` are the x offsets from the margin and the
    /// width of each column. The header is repeated on every page the table runs over.
    fn table(&mut self, cols: &[(f32, f32)], header: &[&str], rows: &[Vec<String>]) {
        let header_row = |l: &mut Layout<'_>| {
            l.need(30.0);
            let y = l.y - 9.0;
            for (&(x, _), h) in cols.iter().zip(header) {
                l.put(Weight::Bold, 7.5, MARGIN + x, y, 0.3, (*h).into());
            }
            l.y -= 12.0;
            l.rule(0.5);
        };
        header_row(self);
        for row in rows {
            let wrapped: Vec<Vec<String>> = cols
                .iter()
                .zip(row)
                .map(|(&(_, w), cell)| self.wrap(Weight::Regular, 9.5, cell, w - 4.0))
                .collect();
            let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1);
            let height = lines as f32 * 12.0 + 3.0;
            if self.y - height < self.floor {
                self.new_page();
                header_row(self);
            }
            let top = self.y;
            for (&(x, _), cell) in cols.iter().zip(wrapped) {
                for (i, line) in cell.into_iter().enumerate() {
                    self.put(
                        Weight::Regular,
                        9.5,
                        MARGIN + x,
                        top - 9.5 - 12.0 * i as f32,
                        0.0,
                        line,
                    );
                }
            }
            self.y -= height;
        }
        self.rule(0.5);
    }
}

// ---------------------------------------------------------------------------------------------
// What each kind prints

fn title(body: &Body<'_>) -> (String, String, Option<(&'static str, &'static str)>) {
    match body {
        Body::Attestat(a) => {
            let (kk, ru) = match a.level {
                AttestatLevel::BasicSecondary => (
                    "НЕГІЗГІ ОРТА БІЛІМ ТУРАЛЫ АТТЕСТАТ",
                    "АТТЕСТАТ ОБ ОСНОВНОМ СРЕДНЕМ ОБРАЗОВАНИИ",
                ),
                AttestatLevel::GeneralSecondary => (
                    "ЖАЛПЫ ОРТА БІЛІМ ТУРАЛЫ АТТЕСТАТ",
                    "АТТЕСТАТ ОБ ОБЩЕМ СРЕДНЕМ ОБРАЗОВАНИИ",
                ),
            };
            let honours = a.honours.map(|h| match h {
                AttestatHonours::AltynBelgi => ("«Алтын белгі»", "«Алтын белгі»"),
                AttestatHonours::WithDistinction => ("ҮЗДІК", "С ОТЛИЧИЕМ"),
            });
            (kk.into(), ru.into(), honours)
        }
        Body::Diploma(d) => {
            let (kk, ru) = match d.level {
                DiplomaLevel::Tvet => (
                    "ТЕХНИКАЛЫҚ ЖӘНЕ КӘСІПТІК БІЛІМ ТУРАЛЫ ДИПЛОМ",
                    "ДИПЛОМ О ТЕХНИЧЕСКОМ И ПРОФЕССИОНАЛЬНОМ ОБРАЗОВАНИИ",
                ),
                DiplomaLevel::Bachelor => (
                    "ЖОҒАРЫ БІЛІМ ТУРАЛЫ ДИПЛОМ (БАКАЛАВРИАТ)",
                    "ДИПЛОМ О ВЫСШЕМ ОБРАЗОВАНИИ (БАКАЛАВРИАТ)",
                ),
                DiplomaLevel::Master => ("МАГИСТР ДИПЛОМЫ", "ДИПЛОМ МАГИСТРА"),
                DiplomaLevel::Doctorate => ("PhD ДОКТОРЫ ДИПЛОМЫ", "ДИПЛОМ ДОКТОРА PhD"),
            };
            let honours = d.honours.then_some(("ҮЗДІК", "С ОТЛИЧИЕМ"));
            (kk.into(), ru.into(), honours)
        }
        Body::Guardianship(g) => {
            let (kk, ru) = match g.form {
                GuardianshipForm::Opeka => (
                    "ҚОРҒАНШЫЛЫҚ БЕЛГІЛЕУ ТУРАЛЫ АКТІ",
                    "АКТ ОБ УСТАНОВЛЕНИИ ОПЕКИ",
                ),
                GuardianshipForm::Popechitelstvo => (
                    "ҚАМҚОРШЫЛЫҚ БЕЛГІЛЕУ ТУРАЛЫ АКТІ",
                    "АКТ ОБ УСТАНОВЛЕНИИ ПОПЕЧИТЕЛЬСТВА",
                ),
            };
            (kk.into(), ru.into(), None)
        }
        Body::Recognition(_) => (
            "БІЛІМ ТУРАЛЫ ШЕТЕЛДІК ҚҰЖАТТЫ ТАНУ ТУРАЛЫ КУӘЛІК".into(),
            "СВИДЕТЕЛЬСТВО О ПРИЗНАНИИ ИНОСТРАННОГО ДОКУМЕНТА ОБ ОБРАЗОВАНИИ".into(),
            None,
        ),
        Body::Apostille(_) => (
            "APOSTILLE".into(),
            "(Convention de La Haye du 5 octobre 1961)".into(),
            None,
        ),
    }
}

fn field(l: &mut Layout<'_>, name: &str, value: &str) {
    let (kk, ru, en) = super::kinds::label(name).unwrap_or((name, name, name));
    l.field(kk, &format!("{ru} / {en}"), value);
}

fn grade_words(grade: u8) -> &'static str {
    match grade {
        5 => "өте жақсы / отлично",
        4 => "жақсы / хорошо",
        3 => "қанағаттанарлық / удовлетворительно",
        2 => "қанағаттанарлықсыз / неудовлетворительно",
        _ => "",
    }
}

fn attestat(l: &mut Layout<'_>, a: &Attestat) {
    field(l, "holder_name", &a.holder.full_name);
    field(l, "holder_iin", &a.holder.iin);
    field(l, "school", &a.school);
    field(
        l,
        "study_start",
        &format!("{} — {}", a.study_start, a.study_end),
    );
    field(l, "issued_on", &a.issued_on);
    l.gap(6.0);
    l.need(40.0);
    let (kk, ru, _) = super::kinds::label("subjects").unwrap_or_default();
    l.centred(Weight::Bold, 10.0, &format!("{kk} / {ru}"));
    let rows: Vec<Vec<String>> = a
        .subjects
        .iter()
        .enumerate()
        .map(|(i, s)| {
            vec![
                format!("{}", i + 1),
                s.name.clone(),
                format!("{} ({})", s.grade, grade_words(s.grade)),
            ]
        })
        .collect();
    l.table(
        &[(0.0, 25.0), (25.0, 270.0), (300.0, 195.0)],
        &["№", "Пән / Предмет", "Баға / Оценка"],
        &rows,
    );
}

fn specialty_line(d: &Diploma) -> String {
    match super::classifier::lookup(&d.specialty_code) {
        Some(s) if s.kk != s.ru => format!("{} {} / {}", s.code, s.kk, s.ru),
        Some(s) => format!("{} {}", s.code, s.kk),
        None => format!("{} {}", d.specialty_code.trim(), d.specialty_name),
    }
}

fn diploma(l: &mut Layout<'_>, d: &Diploma, series_number: &str) {
    field(l, "holder_name", &d.holder.full_name);
    field(l, "holder_iin", &d.holder.iin);
    field(l, "institution", &d.institution);
    field(l, "specialty_name", &specialty_line(d));
    field(l, "qualification", &d.qualification);
    field(
        l,
        "study_start",
        &format!("{} — {}", d.study_start, d.study_end),
    );
    field(l, "issued_on", &d.issued_on);
    field(l, "registration_number", &d.registration_number);

    // The supplement starts on a page of its own, under a running head naming the diploma.
    l.running_head = format!(
        "{} · {} · {}",
        d.holder.full_name, series_number, "Диплом қосымшасы / Приложение к диплому"
    );
    l.new_page();
    l.centred(Weight::Bold, 14.0, "ДИПЛОМ ҚОСЫМШАСЫ");
    l.centred(
        Weight::Bold,
        11.0,
        "ПРИЛОЖЕНИЕ К ДИПЛОМУ · DIPLOMA SUPPLEMENT",
    );
    l.gap(6.0);
    field(l, "holder_name", &d.holder.full_name);
    field(l, "specialty_name", &specialty_line(d));
    l.gap(4.0);
    let credit_based = d.supplement.courses.iter().any(|c| c.credits.is_some());
    let rows: Vec<Vec<String>> = d
        .supplement
        .courses
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let amount = match (c.credits, c.hours) {
                (Some(cr), _) => cr.to_string(),
                (None, Some(h)) => h.to_string(),
                (None, None) => String::new(),
            };
            vec![
                format!("{}", i + 1),
                c.name.clone(),
                amount,
                c.letter.clone(),
                format!("{:.2}", c.points),
            ]
        })
        .collect();
    let amount_header = if credit_based {
        "Кредит / Кредиты"
    } else {
        "Сағат / Часы"
    };
    l.table(
        &[
            (0.0, 25.0),
            (25.0, 245.0),
            (275.0, 90.0),
            (370.0, 60.0),
            (435.0, 60.0),
        ],
        &[
            "№",
            "Пән / Дисциплина",
            amount_header,
            "Баға / Оценка",
            "Балл",
        ],
        &rows,
    );
    l.field(
        "Орташа балл (GPA)",
        "Средний балл / GPA",
        &format!("{:.2}", d.supplement.gpa),
    );
}

fn guardianship(l: &mut Layout<'_>, g: &Guardianship) {
    field(l, "child_name", &g.child.full_name);
    field(l, "child_iin", &g.child.iin);
    let form = match g.form {
        GuardianshipForm::Opeka => "қорғаншылық / опека (14 жасқа дейін / до 14 лет)",
        GuardianshipForm::Popechitelstvo => "қамқоршылық / попечительство (14–18 жас / 14–18 лет)",
    };
    field(l, "form", form);
    for (i, p) in g.guardians.iter().enumerate() {
        let (kk, ru, en) = super::kinds::label("guardians").unwrap_or_default();
        l.field(
            &format!("{kk} {}", i + 1),
            &format!("{ru} / {en}"),
            &format!("{} (ЖСН/ИИН {})", p.full_name, p.iin),
        );
    }
    field(
        l,
        "basis",
        &format!("№ {} · {}", g.basis.decision_number, g.basis.decision_date),
    );
    field(l, "start_date", &g.start_date);
    let end = g
        .planned_end
        .clone()
        .or_else(|| g.majority().map(|d| d.to_string()))
        .unwrap_or_default();
    field(l, "planned_end", &end);
    let status = match &g.status {
        GuardianshipStatus::Active => "қолданыста / действует".to_string(),
        GuardianshipStatus::Terminated { date, reason } => {
            format!("тоқтатылды / прекращена {date}: {reason}")
        }
    };
    field(l, "status", &status);
}

fn recognition(l: &mut Layout<'_>, r: &Recognition) {
    field(l, "holder_name", &r.holder.full_name);
    field(l, "holder_iin", &r.holder.iin);
    l.gap(4.0);
    l.field(
        "Шетелдік құжат",
        "Иностранный документ / Foreign document",
        &format!(
            "{} · {} {}",
            r.foreign_country.trim(),
            r.foreign_series.trim(),
            r.foreign_number.trim()
        ),
    );
    field(l, "foreign_institution", &r.foreign_institution);
    if !r.foreign_specialty.trim().is_empty() {
        field(l, "foreign_specialty", &r.foreign_specialty);
    }
    field(l, "foreign_issued_on", &r.foreign_issued_on);
    l.gap(4.0);
    let (kk, ru) = r.level.words();
    l.field(
        "Қазақстандағы баламасы",
        "Эквивалент в Казахстане / Kazakh equivalent",
        &format!("{kk} / {ru}"),
    );
    if let Some(code) = &r.specialty_code {
        field(
            l,
            "specialty_code",
            &format!(
                "{} {}",
                code.trim(),
                r.specialty_name.as_deref().unwrap_or("").trim()
            ),
        );
    }
    field(l, "issued_on", &r.issued_on);
}

fn apostille(l: &mut Layout<'_>, a: &Apostille) {
    for (n, words, value) in a.numbered() {
        l.field(&format!("{n}."), words, &value);
    }
    l.gap(6.0);
    l.field(
        "Куәландырылған құжат",
        "Удостоверенный документ / Document certified",
        &format!(
            "{} № {} · {}",
            a.document_kind, a.document_number, a.document_issued_on
        ),
    );
    field(l, "holder_name", &a.holder.full_name);
    if let Some(id) = &a.document_credential {
        field(l, "document_credential", id);
    }
}

fn series_number(body: &Body<'_>) -> Option<String> {
    match body {
        Body::Attestat(a) => Some(format!("{} № {}", a.series.trim(), a.number.trim())),
        Body::Diploma(d) => Some(format!("{} № {}", d.series.trim(), d.number.trim())),
        Body::Guardianship(_) => None,
        Body::Recognition(r) => Some(format!("№ {}", r.decision_number.trim())),
        Body::Apostille(a) => Some(format!("№ {}", a.apostille_number.trim())),
    }
}

/// Lays the document out into pages.
fn lay_out<'f>(fonts: &'f Fonts, input: &PdfInput<'_>) -> Layout<'f> {
    let mut l = Layout::new(fonts);
    // Issuer, top left.
    l.put(
        Weight::Bold,
        10.0,
        MARGIN,
        l.y - 10.0,
        0.0,
        input.issuer_kk.into(),
    );
    l.put(
        Weight::Regular,
        9.0,
        MARGIN,
        l.y - 23.0,
        0.25,
        input.issuer_ru.into(),
    );
    l.put(
        Weight::Regular,
        8.0,
        MARGIN,
        l.y - 35.0,
        0.4,
        format!("БСН / БИН {}", input.issuer_bin),
    );
    l.gap(52.0);
    l.rule(1.0);
    l.gap(10.0);
    let (kk, ru, honours) = title(&input.body);
    l.centred(Weight::Bold, 15.0, &kk);
    l.centred(Weight::Bold, 11.5, &ru);
    if let Some((hkk, hru)) = honours {
        let line = if hkk == hru {
            hkk.to_string()
        } else {
            format!("{hkk} / {hru}")
        };
        l.centred(Weight::Bold, 11.0, &line);
    }
    let sn = series_number(&input.body);
    if let Some(sn) = &sn {
        l.centred(Weight::Regular, 11.0, sn);
    }
    if input.version > 1 {
        l.centred(
            Weight::Regular,
            9.0,
            &format!(
                "Түзетілген нұсқа {v} / Исправленная версия {v}",
                v = input.version
            ),
        );
    }
    l.gap(10.0);
    match input.body {
        Body::Attestat(a) => attestat(&mut l, a),
        Body::Diploma(d) => diploma(&mut l, d, sn.as_deref().unwrap_or_default()),
        Body::Guardianship(g) => guardianship(&mut l, g),
        Body::Recognition(r) => recognition(&mut l, r),
        Body::Apostille(a) => apostille(&mut l, a),
    }
    verification_block(&mut l, input);
    l
}

/// The QR and the verification code at the foot of page one.
fn verification_block(l: &mut Layout<'_>, input: &PdfInput<'_>) {
    let first = &mut l.pages[0];
    let qr_x = PAGE_W - MARGIN - QR_SIZE;
    let qr_y = MARGIN;
    first.push(Op::Rule {
        x1: MARGIN,
        x2: PAGE_W - MARGIN,
        y: MARGIN + QR_SIZE + 14.0,
        width: 0.5,
    });
    first.push(Op::Qr {
        x: qr_x,
        y: qr_y,
        size: QR_SIZE,
    });
    let mut y = MARGIN + QR_SIZE - 8.0;
    let mut line = |weight, size, gray, text: String, step: f32| {
        first.push(Op::Text {
            weight,
            size,
            x: MARGIN,
            y,
            gray,
            text,
        });
        y -= step;
    };
    line(
        Weight::Regular,
        8.0,
        0.35,
        "Тексеру коды / Код проверки / Verification code".into(),
        22.0,
    );
    line(Weight::Bold, 20.0, 0.0, input.id.verification_code(), 20.0);
    line(Weight::Regular, 9.0, 0.0, input.check_url.into(), 16.0);
    line(
        Weight::Regular,
        7.5,
        0.35,
        "Құжат электрондық қолтаңбамен расталған және Tanba тізілімінде тіркелген.".into(),
        10.0,
    );
    line(
        Weight::Regular,
        7.5,
        0.35,
        "Документ подписан электронной подписью и зарегистрирован в реестре Tanba.".into(),
        10.0,
    );
    line(
        Weight::Regular,
        7.5,
        0.35,
        "QR кодын телефонмен сканерлеңіз / Отсканируйте QR-код телефоном.".into(),
        14.0,
    );
    line(
        Weight::Regular,
        6.5,
        0.5,
        format!("ID {} · v{}", input.id, input.version),
        10.0,
    );
}

// ---------------------------------------------------------------------------------------------
// Writing the PDF

/// Glyphs used by one face, remapped to consecutive ids for the subset.
struct Used {
    remapper: subsetter::GlyphRemapper,
    unicode: BTreeMap<u16, char>,
}

impl Used {
    fn new() -> Self {
        Used {
            remapper: subsetter::GlyphRemapper::new(),
            unicode: BTreeMap::new(),
        }
    }

    /// Encodes text as two-byte CIDs (the subset's glyph ids).
    fn encode(&mut self, face: &Face, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            let cid = self.remapper.remap(face.glyph(c));
            self.unicode.entry(cid).or_insert(c);
            out.extend_from_slice(&cid.to_be_bytes());
        }
        out
    }
}

/// Renders the PDF.
pub fn render(input: &PdfInput<'_>) -> Result<Vec<u8>, PdfError> {
    let fonts = fonts()?;
    let layout = lay_out(fonts, input);
    let (qr, _) = super::qr::symbol(input.qr_text).map_err(|e| PdfError::Qr(e.to_string()))?;
    write(fonts, &layout, &qr, input)
}

fn write(
    fonts: &Fonts,
    layout: &Layout<'_>,
    qr: &qrcode::QrCode,
    input: &PdfInput<'_>,
) -> Result<Vec<u8>, PdfError> {
    let mut next = 1;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let catalog = alloc();
    let tree = alloc();
    let info = alloc();
    let qr_image = alloc();
    let faces = [
        (Weight::Regular, &fonts.regular, Name(b"F1")),
        (Weight::Bold, &fonts.bold, Name(b"F2")),
    ];
    let mut used = [Used::new(), Used::new()];

    let mut pdf = Pdf::new();
    let page_ids: Vec<(Ref, Ref)> = layout.pages.iter().map(|_| (alloc(), alloc())).collect();
    for (ops, &(_, content_id)) in layout.pages.iter().zip(&page_ids) {
        let mut content = Content::new();
        for op in ops {
            match op {
                Op::Text {
                    weight,
                    size,
                    x,
                    y,
                    gray,
                    text,
                } => {
                    let i = (*weight == Weight::Bold) as usize;
                    let bytes = used[i].encode(faces[i].1, text);
                    content.set_fill_gray(*gray);
                    content.begin_text();
                    content.set_font(faces[i].2, *size);
                    content.next_line(*x, *y);
                    content.show(Str(&bytes));
                    content.end_text();
                }
                Op::Rule { x1, x2, y, width } => {
                    content.set_stroke_gray(0.6);
                    content.set_line_width(*width);
                    content.move_to(*x1, *y);
                    content.line_to(*x2, *y);
                    content.stroke();
                }
                Op::Qr { x, y, size } => {
                    content.save_state();
                    content.transform([*size, 0.0, 0.0, *size, *x, *y]);
                    content.x_object(Name(b"Qr"));
                    content.restore_state();
                }
            }
        }
        pdf.stream(content_id, &deflate(&content.finish()))
            .filter(Filter::FlateDecode);
    }

    let font_refs: Vec<(Ref, Ref, Ref, Ref, Ref)> = faces
        .iter()
        .map(|_| (alloc(), alloc(), alloc(), alloc(), alloc()))
        .collect();
    for (page, &(page_id, content_id)) in layout.pages.iter().zip(&page_ids) {
        let mut p = pdf.page(page_id);
        p.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        p.parent(tree);
        p.contents(content_id);
        let mut resources = p.resources();
        let mut f = resources.fonts();
        for (face, refs) in faces.iter().zip(&font_refs) {
            f.pair(face.2, refs.0);
        }
        f.finish();
        if page.iter().any(|op| matches!(op, Op::Qr { .. })) {
            resources.x_objects().pair(Name(b"Qr"), qr_image);
        }
    }
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().map(|p| p.0))
        .count(page_ids.len() as i32);
    let kind = match input.body.kind() {
        DocumentKind::Attestat => "Attestat",
        DocumentKind::Diploma => "Diploma",
        DocumentKind::Guardianship => "Guardianship act",
        DocumentKind::Recognition => "Recognition certificate",
        DocumentKind::Apostille => "Apostille",
    };
    pdf.document_info(info)
        .title(TextStr(&format!("{kind} {}", input.id.verification_code())))
        .producer(TextStr("Tanba"));

    // The QR: one grey pixel per module, a 4-module quiet zone, no interpolation.
    let width = qr.width();
    let quiet = 4;
    let side = width + 2 * quiet;
    let colors = qr.to_colors();
    let mut pixels = vec![255u8; side * side];
    for (i, c) in colors.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            pixels[(i / width + quiet) * side + i % width + quiet] = 0;
        }
    }
    let packed = deflate(&pixels);
    let mut image = pdf.image_xobject(qr_image, &packed);
    image.filter(Filter::FlateDecode);
    image.width(side as i32);
    image.height(side as i32);
    image.color_space().device_gray();
    image.bits_per_component(8);
    image.interpolate(false);
    image.finish();

    for (((_, face, _), refs), used) in faces.iter().zip(&font_refs).zip(&used) {
        write_font(&mut pdf, face, used, *refs)?;
    }
    Ok(pdf.finish())
}

fn deflate(bytes: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(bytes, 6)
}

/// Writes one font as a Type0 font over a CIDFontType2 subset, with its widths and a
/// ToUnicode map.
fn write_font(
    pdf: &mut Pdf,
    face: &Face,
    used: &Used,
    (type0, cid, descriptor, file, to_unicode): (Ref, Ref, Ref, Ref, Ref),
) -> Result<(), PdfError> {
    // A six-letter subset tag, derived from the glyph set so equal subsets get equal names.
    let mut tag_seed: u32 = 0x811c_9dc5;
    for g in used.remapper.remapped_gids() {
        tag_seed = (tag_seed ^ g as u32).wrapping_mul(0x0100_0193);
    }
    let tag: String = (0..6)
        .map(|i| (b'A' + ((tag_seed >> (i * 5)) % 26) as u8) as char)
        .collect();
    let postscript = face
        .file
        .trim_end_matches(".ttf")
        .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "");
    let base_name = format!("{tag}+{postscript}");
    let system = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };

    pdf.type0_font(type0)
        .base_font(Name(base_name.as_bytes()))
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(to_unicode);

    let widths: Vec<f32> = used
        .remapper
        .remapped_gids()
        .map(|old| face.advance(old))
        .collect();
    let mut cid_font = pdf.cid_font(cid);
    cid_font
        .subtype(CidFontType::Type2)
        .base_font(Name(base_name.as_bytes()))
        .system_info(system)
        .font_descriptor(descriptor)
        .default_width(0.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    cid_font.widths().consecutive(0, widths);
    cid_font.finish();

    let f = &face.face;
    let bbox = f.global_bounding_box();
    let mut flags = FontFlags::NON_SYMBOLIC;
    if face.file.contains("Bold") {
        flags |= FontFlags::FORCE_BOLD;
    }
    pdf.font_descriptor(descriptor)
        .name(Name(base_name.as_bytes()))
        .flags(flags)
        .bbox(Rect::new(
            face.scaled(bbox.x_min),
            face.scaled(bbox.y_min),
            face.scaled(bbox.x_max),
            face.scaled(bbox.y_max),
        ))
        .italic_angle(0.0)
        .ascent(face.scaled(f.ascender()))
        .descent(face.scaled(f.descender()))
        .cap_height(face.scaled(f.capital_height().unwrap_or(f.ascender())))
        .stem_v(if face.file.contains("Bold") {
            140.0
        } else {
            80.0
        })
        .font_file2(file);

    let subset = subsetter::subset(face.data, 0, &used.remapper)
        .map_err(|e| PdfError::Subset(e.to_string()))?;
    pdf.stream(file, &deflate(&subset))
        .filter(Filter::FlateDecode)
        .pair(Name(b"Length1"), subset.len() as i32);

    let mut cmap = UnicodeCmap::new(Name(b"Custom"), system);
    for (&cid, &c) in &used.unicode {
        cmap.pair(cid, c);
    }
    pdf.cmap(to_unicode, &cmap.finish())
        .name(Name(b"Custom"))
        .system_info(system);
    Ok(())
}
