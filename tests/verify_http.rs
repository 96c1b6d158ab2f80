//! `POST /api/v1/verify` and `/api/openapi.json` against a running `tanba serve` seeded by
//! `tanba demo`: single and batch verdicts, bad requests, the per-address rate limit.

mod common;

use common::{Server, multipart};
use serde_json::{Value, json};

fn post(agent: &ureq::Agent, url: &str, body: &Value) -> (u16, Option<String>, Value) {
    let mut resp = agent
        .post(url)
        .header("Content-Type", "application/json")
        .send(serde_json::to_vec(body).unwrap())
        .unwrap();
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = resp.body_mut().read_to_vec().unwrap();
    (
        status,
        retry,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[test]
fn verify_api_answers_singles_and_batches_and_limits_each_address() {
    let tmp = tempfile::tempdir().unwrap();
    let data = common::demo_data(tmp.path());
    // A slow refill, so that the allowance runs out within the test.
    let config_path = data.join("config.json");
    let mut config: Value = serde_json::from_slice(&std::fs::read(&config_path).unwrap()).unwrap();
    config["verify_rate_per_s"] = json!(1);
    config["verify_burst"] = json!(1000);
    std::fs::write(&config_path, serde_json::to_vec(&config).unwrap()).unwrap();
    let manifest: Vec<Value> =
        serde_json::from_slice(&std::fs::read(data.join("demo/manifest.json")).unwrap()).unwrap();

    let server = Server::start(&data);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("{}/api/v1/verify", server.base);

    // Every demo document, one by one.
    for e in &manifest {
        let (s, _, v) = post(&agent, &url, &json!({"qr": e["verify_url"]}));
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["status"], e["expected_status"], "{e}: {v}");
        assert!(v["message"]["kk"].is_string() && v["message"]["ru"] != v["message"]["en"]);
    }
    // A batch: verdicts in order, a foreign text as that item's error.
    let (s, _, v) = post(
        &agent,
        &url,
        &json!({"items": [
            {"qr": manifest[0]["verify_url"]},
            {"qr": manifest[1]["verify_url"]},
            {"qr": "https://example.com/x"},
        ]}),
    );
    assert_eq!(s, 200, "{v}");
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["status"], manifest[0]["expected_status"]);
    assert_eq!(items[1]["status"], manifest[1]["expected_status"]);
    assert_eq!(items[2]["error"]["status"], 400, "{v}");
    // A damaged payload is a verdict, not an error.
    let text = manifest[0]["verify_url"].as_str().unwrap();
    let (s, _, v) = post(&agent, &url, &json!({"qr": &text[..text.len() - 9]}));
    assert_eq!((s, v["status"].as_str()), (200, Some("tampered")), "{v}");

    // Bad requests name what is wrong.
    for (body, needle) in [
        (
            json!({"qr": "https://example.com/x"}),
            "not a Tanba QR code",
        ),
        (json!({"qr": "a", "items": []}), "exactly one of"),
        (json!({"items": []}), "`items` is empty"),
        (json!({"qrr": "x"}), "unknown field"),
        (
            json!({"items": vec![json!({"qr": "x"}); 1001]}),
            "at most 1000",
        ),
        (json!({"qr": text, "checkpoint": "nope"}), "checkpoint"),
    ] {
        let (s, _, v) = post(&agent, &url, &body);
        assert_eq!(s, 400, "{body}: {v}");
        let msg = v["error"]["message"].as_str().unwrap();
        assert!(msg.contains(needle), "{msg}");
    }

    // The allowance: 1,000 at once, refilled at 1/s. A full batch now exceeds what is left.
    let batch: Vec<Value> = (0..1000).map(|_| json!({"qr": text})).collect();
    let (s, retry, v) = post(&agent, &url, &json!({ "items": batch }));
    assert_eq!(s, 429, "{v}");
    let retry: u64 = retry.expect("Retry-After").parse().unwrap();
    assert!(retry >= 1, "{retry}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("retry in"),
        "{v}"
    );

    // The OpenAPI description names the verify operation.
    let (s, body) = common::get(&format!("{}/api/openapi.json", server.base));
    assert_eq!(s, 200);
    let doc: Value = serde_json::from_slice(&body).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["paths"]["/api/v1/verify"]["post"].is_object(), "{doc}");
}

fn get_page(agent: &ureq::Agent, url: &str, accept_language: Option<&str>) -> (u16, String) {
    let mut req = agent.get(url);
    if let Some(a) = accept_language {
        req = req.header("Accept-Language", a);
    }
    let mut resp = req.call().unwrap();
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().unwrap())
}

/// The `data-status` of the verdict region.
fn shown_status(html: &str) -> &str {
    let at = html.find("data-status=\"").expect("a verdict region") + 13;
    &html[at..at + html[at..].find('"').unwrap()]
}

/// Runs headless Chromium on `url`: the DOM after load, and a screenshot written to `png`.
fn chromium(url: &str, png: &std::path::Path, lang: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let run = |extra: &[String]| {
        let out = std::process::Command::new("chromium")
            .args(common::webdriver::CHROMIUM_FLAGS)
            .arg("--window-size=412,915") // a phone
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(format!("--lang={lang}"))
            .arg(format!("--accept-lang={lang}"))
            .args(extra)
            .arg(url)
            .output()
            .expect("chromium is installed by scripts/setup.sh");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    run(&[format!("--screenshot={}", png.display())]);
    run(&["--dump-dom".to_string()])
}

#[test]
fn the_qr_page_shows_each_verdict_in_three_languages_also_in_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let data = common::demo_data(tmp.path());
    let manifest: Vec<Value> =
        serde_json::from_slice(&std::fs::read(data.join("demo/manifest.json")).unwrap()).unwrap();
    let server = Server::start(&data);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    // The QR's URL names the configured public host; open the same path on this server.
    let page_url = |e: &Value| {
        let qr = e["verify_url"].as_str().unwrap();
        format!("{}{}", server.base, &qr[qr.rfind("/V/").unwrap()..])
    };

    // Every demo document: the verdict matches the manifest in all three languages, and the
    // text differs by language.
    for e in &manifest {
        let mut bodies = Vec::new();
        for lang in ["kk", "ru", "en"] {
            let (s, html) = get_page(&agent, &format!("{}?lang={lang}", page_url(e)), None);
            assert_eq!(s, 200, "{html}");
            assert_eq!(shown_status(&html), e["expected_status"], "{lang}: {e}");
            assert!(html.contains(&format!("<html lang=\"{lang}\">")));
            bodies.push(html);
        }
        assert!(bodies[0] != bodies[1] && bodies[1] != bodies[2]);
    }
    let valid = manifest
        .iter()
        .find(|e| e["expected_status"] == "valid")
        .unwrap();
    let revoked = manifest
        .iter()
        .find(|e| e["expected_status"] == "revoked")
        .unwrap();
    let superseded = manifest
        .iter()
        .find(|e| e["expected_status"] == "superseded")
        .unwrap();
    // Accept-Language chooses when no ?lang= is given; Kazakh when none of ours is asked.
    let (_, html) = get_page(&agent, &page_url(valid), Some("ru-RU,ru;q=0.9,en;q=0.5"));
    assert!(
        html.contains("Документ подлинный и действителен."),
        "{html}"
    );
    let (_, html) = get_page(&agent, &page_url(valid), Some("en-GB,en;q=0.9"));
    assert!(html.contains("The document is genuine and valid."));
    let (_, html) = get_page(&agent, &page_url(valid), Some("de-DE"));
    assert!(html.contains("Құжат түпнұсқа және күшінде."));
    // The page names the document and its ledger proof.
    let (_, html) = get_page(&agent, &format!("{}?lang=en", page_url(revoked)), None);
    assert!(
        html.contains("Revoked") && html.contains("Reason") && html.contains("Issued in error")
    );
    assert!(html.contains("General secondary (grade 11)"), "{html}");
    assert!(
        html.contains("Included in the signed checkpoint of size"),
        "{html}"
    );
    // A garbled code is a verdict: forged or altered.
    let (s, html) = get_page(
        &agent,
        &format!("{}/V/NOT-A-CODE?lang=en", server.base),
        None,
    );
    assert_eq!((s, shown_status(&html)), (200, "tampered"), "{html}");
    // Text that cannot be a code at all: a clear page, a 400.
    let long = "A".repeat(5000);
    let (s, html) = get_page(&agent, &format!("{}/V/{long}?lang=en", server.base), None);
    assert_eq!(s, 400);
    assert!(
        html.contains("This is not a Tanba verification code."),
        "{html}"
    );
    // One changed character of a real code never shows as valid.
    let url = page_url(valid);
    let flipped: String = {
        let mut b = url.clone().into_bytes();
        let i = b.len() - 7;
        b[i] = if b[i] == b'A' { b'B' } else { b'A' };
        String::from_utf8(b).unwrap()
    };
    let (_, html) = get_page(&agent, &format!("{flipped}?lang=en"), None);
    if html.contains("data-status") {
        assert_ne!(shown_status(&html), "valid");
    }

    // Headless Chromium, phone-sized: the valid, revoked and superseded pages and a language
    // switch, with screenshots kept under target/browser-artifacts/.
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-artifacts");
    std::fs::create_dir_all(&shots).unwrap();
    for (name, e, lang, expect) in [
        ("valid-kk", valid, "kk", "Құжат түпнұсқа және күшінде."),
        ("revoked-ru", revoked, "ru", "отозван"),
        (
            "superseded-en",
            superseded,
            "en",
            "a newer version replaces it",
        ),
    ] {
        let png = shots.join(format!("verify-{name}.png"));
        let dom = chromium(&format!("{}?lang={lang}", page_url(e)), &png, lang);
        assert!(dom.contains(expect), "{name}: {dom}");
        assert_eq!(shown_status(&dom), e["expected_status"]);
        assert!(
            std::fs::metadata(&png).unwrap().len() > 5_000,
            "{name}: empty screenshot"
        );
    }
    // The browser's own language preference picks the page's language.
    let dom = chromium(
        &page_url(valid),
        &shots.join("verify-valid-browser-ru.png"),
        "ru",
    );
    assert!(dom.contains("<html lang=\"ru\">"), "{dom}");
}

#[test]
fn files_are_searched_for_the_code_over_the_api_and_the_check_page() {
    let tmp = tempfile::tempdir().unwrap();
    let data = common::demo_data(tmp.path());
    let demo = data.join("demo");
    let manifest: Vec<Value> =
        serde_json::from_slice(&std::fs::read(demo.join("manifest.json")).unwrap()).unwrap();
    let server = Server::start(&data);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let send = |path: &str, ctype: &str, body: Vec<u8>| {
        let mut resp = agent
            .post(&format!("{}{path}", server.base))
            .header("Content-Type", ctype)
            .send(body)
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.body_mut().read_to_string().unwrap())
    };
    let file = |e: &Value, key: &str| std::fs::read(demo.join(e[key].as_str().unwrap())).unwrap();

    // The QR image and the PDF of each kind of verdict give the manifest's verdict.
    for status in ["valid", "revoked", "superseded"] {
        let e = manifest
            .iter()
            .find(|e| e["expected_status"] == status)
            .unwrap();
        for key in ["qr_png", "pdf"] {
            let (s, body) = send(
                "/api/v1/verify/file",
                "application/octet-stream",
                file(e, key),
            );
            assert_eq!(s, 200, "{key}: {body}");
            let v: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(v["status"], status, "{key}: {v}");
        }
    }
    // Bad files: each named.
    let blank_pdf = {
        let mut pdf = pdf_writer::Pdf::new();
        let (catalog, tree, page) = (
            pdf_writer::Ref::new(1),
            pdf_writer::Ref::new(2),
            pdf_writer::Ref::new(3),
        );
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree).kids([page]).count(1);
        pdf.page(page)
            .parent(tree)
            .media_box(pdf_writer::Rect::new(0.0, 0.0, 595.0, 842.0));
        pdf.finish()
    };
    let mut huge = {
        let mut out = Vec::new();
        image::DynamicImage::ImageLuma8(image::GrayImage::new(1, 1))
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    };
    huge[16..20].copy_from_slice(&20_000u32.to_be_bytes());
    huge[20..24].copy_from_slice(&20_000u32.to_be_bytes());
    for (bytes, status, needle) in [
        (blank_pdf.clone(), 422, "no QR code was found in the PDF"),
        (
            b"just some text, named scan.png".to_vec(),
            422,
            "not a PNG or JPEG",
        ),
        (huge, 422, "decoded"), // a broken CRC: refused before any pixel is read
        (Vec::new(), 400, "request body"),
    ] {
        let (s, body) = send("/api/v1/verify/file", "image/png", bytes);
        assert_eq!(s, status, "{body}");
        assert!(body.contains(needle), "{needle}: {body}");
    }

    // The check page: a form in each language; a pasted code; an uploaded PDF; nothing.
    for (lang, title) in [
        ("kk", "Құжатты тексеру"),
        ("ru", "Проверить документ"),
        ("en", "Check a document"),
    ] {
        let (s, html) = get_page(&agent, &format!("{}/check?lang={lang}", server.base), None);
        assert_eq!(s, 200);
        assert!(
            html.contains(title) && html.contains("enctype=\"multipart/form-data\""),
            "{html}"
        );
    }
    let revoked = manifest
        .iter()
        .find(|e| e["expected_status"] == "revoked")
        .unwrap();
    let (ctype, body) = multipart(&[
        (
            "qr",
            None,
            revoked["verify_url"].as_str().unwrap().as_bytes(),
        ),
        ("file", Some(""), b""),
    ]);
    let (s, html) = send("/check?lang=en", &ctype, body);
    assert_eq!((s, shown_status(&html)), (200, "revoked"), "{html}");
    let (ctype, body) = multipart(&[
        ("qr", None, b""),
        ("file", Some("document.pdf"), &file(revoked, "pdf")),
    ]);
    let (s, html) = send("/check?lang=ru", &ctype, body);
    assert_eq!((s, shown_status(&html)), (200, "revoked"), "{html}");
    assert!(html.contains("Отозван"));
    let (ctype, body) = multipart(&[("qr", None, b""), ("file", Some("blank.pdf"), &blank_pdf)]);
    let (s, html) = send("/check?lang=en", &ctype, body);
    assert_eq!(s, 422);
    assert!(html.contains("No QR code was found in the file."), "{html}");
    let (ctype, body) = multipart(&[("qr", None, b"  ")]);
    let (s, html) = send("/check?lang=en", &ctype, body);
    assert_eq!(s, 400);
    assert!(html.contains("Give the QR code text or a file."), "{html}");
}

/// A phone photo of a printed document, uploaded through the check page's own form in
/// headless Chromium: the page is rasterised from this run's revoked demo PDF at 200 dpi with
/// poppler, tilted, defocused and JPEG-compressed as a camera would, and the verdict must say
/// "revoked". The screenshot is kept under `target/tmp/browser-artifacts/`.
#[test]
fn a_phone_photo_uploaded_in_chromium_gets_its_verdict() {
    use common::webdriver::Browser;
    use imageproc::geometric_transformations::{Interpolation, rotate_about_center};
    let tmp = tempfile::tempdir().unwrap();
    let data = common::demo_data(tmp.path());
    let manifest: Vec<Value> =
        serde_json::from_slice(&std::fs::read(data.join("demo/manifest.json")).unwrap()).unwrap();
    let revoked = manifest
        .iter()
        .find(|e| e["expected_status"] == "revoked")
        .unwrap();
    let pdf = data.join("demo").join(revoked["pdf"].as_str().unwrap());
    let stem = tmp.path().join("page");
    let ok = std::process::Command::new("pdftoppm")
        .args(["-r", "200", "-f", "1", "-l", "1", "-png", "-singlefile"])
        .arg(&pdf)
        .arg(&stem)
        .status()
        .expect("pdftoppm is installed by scripts/setup.sh");
    assert!(ok.success());
    let page = image::open(stem.with_extension("png")).unwrap().to_rgb8();
    let tilted = rotate_about_center(
        &page,
        2f32.to_radians(),
        Interpolation::Bilinear,
        imageproc::geometric_transformations::Border::Constant(image::Rgb([90, 80, 70])), // the desk
    );
    let blurred = imageproc::filter::gaussian_blur_f32(&tilted, 0.8);
    let photo = tmp.path().join("photo.jpg");
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 75)
        .encode_image(&blurred)
        .unwrap();
    std::fs::write(&photo, jpeg).unwrap();

    let server = Server::start(&data);
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-artifacts");
    std::fs::create_dir_all(&shots).unwrap();
    let b = Browser::start("en");
    b.open(&format!("{}/check?lang=en", server.base));
    b.type_into("#file", photo.to_str().unwrap());
    b.click_and_wait("form button[type=submit]");
    assert_eq!(
        b.attribute("[data-status]", "data-status").as_deref(),
        Some("revoked"),
        "{}",
        b.source()
    );
    b.screenshot(&shots.join("check-photo-revoked-en.png"));
}

/// The short code printed under the QR, typed into the check page: the document's current
/// version verified in full, its status shown, no personal claim; typing slips forgiven; an
/// unknown code named as such.
#[test]
fn a_typed_verification_code_shows_the_current_status_without_personal_data() {
    let tmp = tempfile::tempdir().unwrap();
    let data = common::demo_data(tmp.path());
    let manifest: Vec<Value> =
        serde_json::from_slice(&std::fs::read(data.join("demo/manifest.json")).unwrap()).unwrap();
    let server = Server::start(&data);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let check = |typed: &str| {
        let (ctype, body) = multipart(&[("qr", None, typed.as_bytes())]);
        let mut resp = agent
            .post(&format!("{}/check?lang=en", server.base))
            .header("Content-Type", &ctype)
            .send(body)
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.body_mut().read_to_string().unwrap())
    };
    let code_of = |e: &Value| {
        tanba::credential::record::CredentialId::parse(e["id"].as_str().unwrap())
            .unwrap()
            .verification_code()
    };
    // A corrected document's code names it, and its current version stands.
    for (status, shown) in [
        ("valid", "valid"),
        ("revoked", "revoked"),
        ("superseded", "valid"),
    ] {
        let e = manifest
            .iter()
            .find(|e| e["expected_status"] == status)
            .unwrap();
        let code = code_of(e);
        let (s, html) = check(&code);
        assert_eq!(s, 200, "{html}");
        assert_eq!(shown_status(&html), shown, "{status}: {html}");
        assert!(html.contains(&code), "the page names the code");
        assert!(html.contains("Checked by its verification code"), "{html}");
        for personal in [
            "<dt>Full name</dt>",
            "<dt>IIN</dt>",
            "<dt>Subjects and grades</dt>",
        ] {
            assert!(
                !html.contains(personal),
                "{personal} shown for a code: {html}"
            );
        }
    }
    // Lower case, spaces for hyphens, and O for zero, I for one: the same document.
    let e = manifest
        .iter()
        .find(|e| e["expected_status"] == "revoked")
        .unwrap();
    let slipped = code_of(e)
        .to_lowercase()
        .replace('-', " ")
        .replace('0', "o")
        .replace('1', "i");
    let (s, html) = check(&slipped);
    assert_eq!(s, 200, "{slipped}: {html}");
    assert_eq!(shown_status(&html), "revoked");
    // A well-formed code no document has.
    let (s, html) = check("ZZZZ-ZZZZ-ZZZZ");
    assert_eq!(s, 404, "{html}");
    assert!(
        html.contains("No document has this verification code"),
        "{html}"
    );

    // The same over the API, one code or a batch mixing codes and QR texts.
    let api = format!("{}/api/v1/verify", server.base);
    let (s, _, v) = post(&agent, &api, &json!({ "code": slipped }));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "revoked");
    assert_eq!(
        v["document"]["claims"],
        json!({}),
        "no claim for a code: {v}"
    );
    let (s, _, v) = post(&agent, &api, &json!({ "code": "ZZZZ-ZZZZ-ZZZZ" }));
    assert_eq!(s, 404, "{v}");
    let (s, _, v) = post(&agent, &api, &json!({ "code": "not a code" }));
    assert_eq!(s, 400, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a code"),
        "{v}"
    );
    let valid = manifest
        .iter()
        .find(|e| e["expected_status"] == "valid")
        .unwrap();
    let (s, _, v) = post(
        &agent,
        &api,
        &json!({ "items": [
            { "code": code_of(valid) },
            { "qr": valid["verify_url"] },
            { "code": "ZZZZ-ZZZZ-ZZZZ" },
            { "qr": "x", "code": "y" },
        ] }),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["items"][0]["status"], "valid", "{v}");
    assert_eq!(v["items"][1]["status"], "valid", "{v}");
    assert!(
        !v["items"][1]["document"]["claims"]
            .as_object()
            .unwrap()
            .is_empty()
    );
    assert_eq!(v["items"][2]["error"]["status"], 404, "{v}");
    assert_eq!(v["items"][3]["error"]["status"], 400, "{v}");
}
