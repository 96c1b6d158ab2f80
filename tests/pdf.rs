//! PDFs of every kind, read back by tools that share no code with ours: poppler's `pdftotext`,
//! `pdfinfo` and `pdffonts` (Debian `poppler-utils`), its `pdftoppm` to rasterise page one, and
//! two QR decoders on that raster — `rqrr` and ZBar's `zbarimg` (Debian `zbar-tools`), the
//! decoder library behind many phone scanner apps. `scripts/setup.sh` installs the tools.

use std::path::Path;
use std::process::Command;
use tanba::credential::issuer_key::IssuerSigningKey;
use tanba::credential::pdf::{self, PdfInput};
use tanba::credential::qr::{self, QrPayload, offline_claims};
use tanba::credential::record::{CredentialId, DocumentKind};
use tanba::issuance::Document;
use tanba::issuance::bulk::parse_file;

fn sample(name: &str, kind: DocumentKind) -> Vec<Document> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples/issuance")
        .join(name);
    let parsed = parse_file(&std::fs::read(&path).unwrap(), kind).unwrap();
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    parsed.docs
}

fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} is needed for this test (scripts/setup.sh): {e}"));
    assert!(
        out.status.success(),
        "{name} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

struct Rendered {
    dir: tempfile::TempDir,
    qr_text: String,
    code: String,
}

impl Rendered {
    fn pdf(&self) -> String {
        self.dir.path().join("doc.pdf").display().to_string()
    }
}

fn render(doc: &Document, version: u32) -> Rendered {
    let key = IssuerSigningKey::generate();
    let id = CredentialId::random();
    let payload = QrPayload {
        id,
        v: version,
        k: doc.kind(),
        iss: "970940001239".into(),
        dt: doc.issued_on().to_string(),
        c: offline_claims(doc.kind(), &doc.claims()),
    };
    let qr_text = qr::encode(&payload, &key, "https://tanba.example.kz").unwrap();
    let bytes = pdf::render(&PdfInput {
        body: doc.pdf_body(),
        id,
        version,
        issuer_bin: "970940001239",
        issuer_kk: "№ 25 мектеп-гимназиясы",
        issuer_ru: "Школа-гимназия № 25",
        qr_text: &qr_text,
        check_url: "https://tanba.example.kz/check",
    })
    .unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("doc.pdf"), &bytes).unwrap();
    Rendered {
        dir,
        qr_text,
        code: id.verification_code(),
    }
}

fn pages(r: &Rendered) -> usize {
    let info = tool("pdfinfo", &[&r.pdf()]);
    let line = info.lines().find(|l| l.starts_with("Pages:")).unwrap();
    let pages: usize = line["Pages:".len()..].trim().parse().unwrap();
    assert!(info.contains("595.28 x 841.89"), "not A4: {info}");
    pages
}

/// Rasterises page one at print resolution and decodes its QR with both decoders.
fn scan_page_one(r: &Rendered) {
    let prefix = r.dir.path().join("page");
    tool(
        "pdftoppm",
        &[
            "-r",
            "150",
            "-f",
            "1",
            "-l",
            "1",
            "-gray",
            "-png",
            &r.pdf(),
            &prefix.display().to_string(),
        ],
    );
    let png = std::fs::read_dir(r.dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "png"))
        .expect("pdftoppm wrote page one");
    let img = image::open(&png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR on page one");
    let (_, text) = grids[0].decode().unwrap();
    assert_eq!(text, r.qr_text, "rqrr read the QR off the rendered page");
    let zbar = tool("zbarimg", &["--quiet", "--raw", &png.display().to_string()]);
    assert_eq!(zbar.trim_end(), r.qr_text, "zbarimg read the QR");
}

fn text_of(r: &Rendered) -> String {
    tool("pdftotext", &["-layout", &r.pdf(), "-"])
}

#[test]
fn attestat_pdf_has_kazakh_text_the_code_and_a_scannable_qr() {
    let docs = sample("school-class.csv", DocumentKind::Attestat);
    let doc = &docs[0];
    let Document::Attestat(a) = doc else {
        panic!("attestat expected")
    };
    let r = render(doc, 1);
    assert_eq!(pages(&r), 1);
    let text = text_of(&r);
    // The letters particular to Kazakh survive embedding and extraction (ToUnicode).
    for needle in [
        "АТТЕСТАТ",
        a.holder.full_name.as_str(),
        a.holder.iin.as_str(),
        a.subjects[0].name.as_str(),
        r.code.as_str(),
        "Тексеру коды",
        "Код проверки",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
    let fonts = tool("pdffonts", &[&r.pdf()]);
    assert!(fonts.contains("DejaVuSans"), "{fonts}");
    // Every font is embedded as a subset: pdffonts prints `yes yes` under emb/sub.
    let font_lines: Vec<&str> = fonts.lines().skip(2).collect();
    assert_eq!(font_lines.len(), 2, "{fonts}");
    for l in font_lines {
        assert!(l.contains("CID TrueType"), "{l}");
        assert!(l.contains("yes yes"), "not an embedded subset: {l}");
    }
    scan_page_one(&r);
}

#[test]
fn kazakh_letters_all_render_and_extract() {
    let mut docs = sample("school-class.csv", DocumentKind::Attestat);
    let Document::Attestat(a) = &mut docs[0] else {
        panic!("attestat expected")
    };
    a.holder.full_name = "Әәғқңөұүһі ӘҒҚҢӨҰҮҺІ".into();
    let r = render(&docs[0], 1);
    let text = text_of(&r);
    assert!(text.contains("Әәғқңөұүһі ӘҒҚҢӨҰҮҺІ"), "{text}");
}

#[test]
fn diploma_supplement_starts_its_own_page_and_runs_over() {
    let docs = sample("university-cohort.csv", DocumentKind::Diploma);
    let Document::Diploma(d) = &docs[0] else {
        panic!("diploma expected")
    };
    let r = render(&docs[0], 1);
    assert_eq!(pages(&r), 2, "diploma page and one supplement page");
    let text = text_of(&r);
    let pages_text: Vec<&str> = text.split('\u{c}').collect();
    assert!(pages_text[0].contains("ДИПЛОМ"));
    assert!(!pages_text[0].contains("ДИПЛОМ ҚОСЫМШАСЫ"));
    assert!(pages_text[1].contains("ДИПЛОМ ҚОСЫМШАСЫ"));
    assert!(pages_text[1].contains("ПРИЛОЖЕНИЕ К ДИПЛОМУ"));
    assert!(pages_text[1].contains(&d.supplement.courses[0].name));
    // The classifier's names are printed beside the code.
    assert!(pages_text[0].contains("6B06101"));
    assert!(pages_text[0].contains("Информационные системы"));
    scan_page_one(&r);

    // Sixty courses do not fit on one page: the table runs over, header repeated.
    let mut d = d.clone();
    let template = d.supplement.courses[0].clone();
    d.supplement.courses = (1..=60)
        .map(|i| {
            let mut c = template.clone();
            c.name = format!("Пән {i} — {}", template.name);
            c
        })
        .collect();
    let r = render(&Document::Diploma(d), 1);
    let n = pages(&r);
    assert!(n >= 3, "{n} pages");
    let text = text_of(&r);
    assert!(text.contains("Пән 60 — "), "last course printed");
    let headers = text.matches("Пән / Дисциплина").count();
    assert_eq!(headers, n - 1, "table header on every supplement page");
}

#[test]
fn guardianship_and_corrected_version_pdfs() {
    let docs = sample("guardianship-acts.csv", DocumentKind::Guardianship);
    let Document::Guardianship(g) = &docs[0] else {
        panic!("guardianship expected")
    };
    let r = render(&docs[0], 2);
    assert_eq!(pages(&r), 1);
    let text = text_of(&r);
    for needle in [
        "АКТ ОБ УСТАНОВЛЕНИИ",
        g.child.full_name.as_str(),
        g.guardians[0].full_name.as_str(),
        g.basis.decision_number.as_str(),
        "Исправленная версия 2",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
    scan_page_one(&r);
}
