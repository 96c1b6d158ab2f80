//! e-Apostille for documents issued in Kazakhstan, against a running server: a holder asks
//! for one on a ledger document from the portal (checked at once), an apostille officer
//! approves it, it is issued as a ledger credential with the ten Hague fields and a QR code,
//! and the public e-Register finds it by number and date — over HTTP and in headless Chromium.
//! Wrong roles, other people's documents, repeated requests and bad lookups are refused, named.

mod common;

use common::Server;
use common::forms::{
    agent, between, demo_holder_iin, get, post_form, sign_in_with_code, verify_qr,
};
use serde_json::Value;
use std::path::Path;

fn password(data: &Path, username: &str) -> String {
    let accounts: Vec<Value> =
        serde_json::from_slice(&std::fs::read(data.join("demo/accounts.json")).unwrap()).unwrap();
    accounts.iter().find(|a| a["username"] == username).unwrap()["password"]
        .as_str()
        .unwrap()
        .to_string()
}

fn officer(a: &ureq::Agent, base: &str, data: &Path, username: &str) -> String {
    let r = post_form(
        a,
        &format!("{base}/officer/signin?lang=en"),
        &[
            ("username", username),
            ("password", &password(data, username)),
        ],
        None,
        None,
    );
    assert_eq!(r.status, 303, "{}", r.body);
    r.cookie.unwrap().split(';').next().unwrap().to_string()
}

#[test]
fn a_holder_requests_an_apostille_an_officer_approves_it_and_the_register_finds_it() {
    let tmp = tempfile::tempdir().unwrap();
    let data = common::demo_data(tmp.path());
    let server = Server::start(&data);
    let base = server.base.clone();
    let a = agent();
    let iin = demo_holder_iin(&data);
    let holder = sign_in_with_code(&a, &base, &iin);

    // The holder's valid document offers the request; ask for it.
    let dash = get(&a, &format!("{base}/my?lang=en"), Some(&holder));
    let form = between(&dash.body, "class=\"apostille\"", "</form>").expect("a request form");
    let credential = between(form, "name=\"credential\" value=\"", "\"").unwrap();
    let version = between(form, "name=\"version\" value=\"", "\"").unwrap();
    let request = [("credential", credential), ("version", version)];
    let r = post_form(
        &a,
        &format!("{base}/my/apostille?lang=en"),
        &request,
        Some(&holder),
        None,
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let dash = get(&a, &format!("{base}/my?lang=en"), Some(&holder));
    assert!(
        dash.body.contains("data-apostille=\"pending\""),
        "{}",
        dash.body
    );
    // Once is enough.
    let r = post_form(
        &a,
        &format!("{base}/my/apostille?lang=en"),
        &request,
        Some(&holder),
        None,
    );
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("already requested"), "{}", r.body);
    // Not someone else's document.
    let manifest: Vec<Value> =
        serde_json::from_slice(&std::fs::read(data.join("demo/manifest.json")).unwrap()).unwrap();
    let other = manifest.iter().find(|m| m["kind"] == "diploma").unwrap()["id"]
        .as_str()
        .unwrap();
    let r = post_form(
        &a,
        &format!("{base}/my/apostille?lang=en"),
        &[("credential", other), ("version", "1")],
        Some(&holder),
        None,
    );
    assert_eq!(r.status, 403, "{}", r.body);

    // A recognition officer sees the request but may not approve it.
    let anna = officer(&a, &base, &data, "recognition.officer");
    let queue = get(
        &a,
        &format!("{base}/officer/apostilles?lang=en"),
        Some(&anna),
    );
    let id = between(&queue.body, "data-request=\"", "\"")
        .expect("the pending request")
        .to_string();
    assert!(
        queue.body.contains("valid · issuer authorised"),
        "{}",
        queue.body
    );
    let approve = format!("{base}/officer/apostilles/{id}/approve?lang=en");
    let r = post_form(&a, &approve, &[], Some(&anna), None);
    assert_eq!(r.status, 403, "{}", r.body);
    // The apostille officer approves: an e-Apostille is issued.
    let ap = officer(&a, &base, &data, "apostille.officer");
    let r = post_form(&a, &approve, &[], Some(&ap), None);
    assert_eq!(r.status, 303, "{}", r.body);
    let r = post_form(&a, &approve, &[], Some(&ap), None);
    assert_eq!(r.status, 409, "approved once: {}", r.body);

    let dash = get(&a, &format!("{base}/my?lang=en"), Some(&holder));
    let issued = between(&dash.body, "data-apostille=\"approved\"", "</p>").expect("issued");
    let qr = between(issued, "href=\"", "\"")
        .unwrap()
        .replace("&#x2f;", "/");
    let label = between(issued, "№ ", "</a>").unwrap();
    let (number, date) = label.split_once(", ").unwrap();
    assert!(number.starts_with("AP-"), "{number}");

    // Its QR code verifies: a valid e-Apostille carrying its number.
    let verdict = verify_qr(&a, &base, &qr);
    assert_eq!(verdict["status"], "valid", "{verdict}");
    assert_eq!(verdict["document"]["kind"], "apostille", "{verdict}");
    assert_eq!(verdict["document"]["claims"]["apostille_number"], number);

    // The e-Register: found by number and date, the ten fields and the document's code.
    let page = get(
        &a,
        &format!(
            "{base}/apostille?number={}&date={date}&lang=en",
            number.to_lowercase()
        ),
        None,
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("data-status=\"valid\""), "{}", page.body);
    for label in [
        "1. Country",
        "2. Signed by",
        "4. Seal or stamp of",
        "7. By",
        "8. Apostille number",
        "10. Signature",
    ] {
        assert!(page.body.contains(label), "{label}: {}", page.body);
    }
    assert!(page.body.contains(number));
    let code = between(&dash.body, "<dt>Verification code</dt><dd>", "</dd>").unwrap();
    assert_eq!(
        between(&page.body, "id=\"document-code\">", "<"),
        Some(code),
        "{}",
        page.body
    );
    let wrong = get(
        &a,
        &format!("{base}/apostille?number={number}&date=2001-01-01&lang=en"),
        None,
    );
    assert_eq!(wrong.status, 404);
    assert!(
        wrong
            .body
            .contains("No apostille with this number and date")
    );
    let bad = get(
        &a,
        &format!("{base}/apostille?number={number}&date=yesterday&lang=en"),
        None,
    );
    assert_eq!(bad.status, 400);

    // Every step is journalled.
    let admin: Vec<Value> =
        serde_json::from_slice(&std::fs::read(data.join("demo/accounts.json")).unwrap()).unwrap();
    let token = admin.iter().find(|x| x["username"] == "admin").unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let mut resp = a
        .get(format!("{base}/api/v1/journal"))
        .header("Authorization", format!("Bearer {token}"))
        .call()
        .unwrap();
    let journal: Value = serde_json::from_slice(&resp.body_mut().read_to_vec().unwrap()).unwrap();
    let lines = journal["lines"].as_array().unwrap();
    let has = |who: &str, action: &str, outcome: &str| {
        lines.iter().any(|l| {
            l["who"].as_str().is_some_and(|w| w.starts_with(who))
                && l["action"] == action
                && l["outcome"] == outcome
        })
    };
    assert!(has("holder-", "portal.apostille_request", "ok"));
    assert!(has("holder-", "portal.apostille_request", "failed"));
    assert!(has("holder-", "portal.apostille_request", "refused"));
    assert!(has("recognition.officer", "apostille.approve", "refused"));
    assert!(has("apostille.officer", "apostille.approve", "ok"));

    // The same lookup in headless Chromium, in Kazakh, through the page's own form.
    let b = common::webdriver::Browser::start("kk");
    b.open(&format!("{base}/apostille"));
    assert!(b.source().contains("<html lang=\"kk\">"));
    b.type_into("#number", number);
    b.type_into("#date", date);
    b.click_and_wait("form[action='/apostille'] button");
    assert_eq!(
        b.attribute("[data-status]", "data-status").as_deref(),
        Some("valid"),
        "{}",
        b.source()
    );
    assert!(b.text("#apostille-fields").contains(number));
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-artifacts");
    std::fs::create_dir_all(&shots).unwrap();
    b.screenshot(&shots.join("apostille-register-kk.png"));
}

/// Posts the portal's paper-document form as a browser sends it (multipart).
/// The form's fields as `post_form` takes them.
fn pairs(f: &[(String, String)]) -> Vec<(&str, &str)> {
    f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn post_paper(
    a: &ureq::Agent,
    base: &str,
    cookie: &str,
    parts: &[(&str, Option<&str>, &[u8])],
) -> common::forms::Reply {
    let (content_type, body) = common::multipart(parts);
    common::forms::reply(
        a.post(format!("{base}/my/apostille/paper?lang=en"))
            .header("Content-Type", content_type)
            .header("Cookie", cookie)
            .send(&body[..])
            .unwrap(),
    )
}

#[test]
fn a_paper_document_is_read_checked_against_kazakh_references_and_apostilled() {
    let tmp = tempfile::tempdir().unwrap();
    let data = common::demo_data(tmp.path());
    // A paper diploma issued in Kazakhstan, as the generator renders it, with its truth.
    let scans = tmp.path().join("kz");
    let out = common::tanba()
        .args(["ocr", "generate", "--kind", "kz-diploma", "--count", "1"])
        .args(["--seed", "500", "--out"])
        .arg(&scans)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scan = std::fs::read(scans.join("kz-diploma-0500.jpg")).unwrap();
    let truth: Value =
        serde_json::from_slice(&std::fs::read(scans.join("kz-diploma-0500.json")).unwrap())
            .unwrap();
    let server = Server::start(&data);
    let base = server.base.clone();
    let a = agent();
    let iin = demo_holder_iin(&data);
    let holder = sign_in_with_code(&a, &base, &iin);

    // The form is on the dashboard; a wrong kind, no scan, or a file that is no image are
    // refused, each named, and leave nothing behind.
    let dash = get(&a, &format!("{base}/my?lang=en"), Some(&holder));
    assert!(
        dash.body.contains("action=\"/my/apostille/paper"),
        "{}",
        dash.body
    );
    let r = post_paper(
        &a,
        &base,
        &holder,
        &[("kind", None, b"passport"), ("file", Some("d.jpg"), &scan)],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("kind: &quot;passport&quot;") || r.body.contains("kind: \"passport\""),
        "{}",
        r.body
    );
    let r = post_paper(&a, &base, &holder, &[("kind", None, b"diploma")]);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("attach at least one scan"), "{}", r.body);
    let r = post_paper(
        &a,
        &base,
        &holder,
        &[
            ("kind", None, b"diploma"),
            ("file", Some("notes.jpg"), b"plain text"),
        ],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("notes.jpg"), "{}", r.body);
    assert!(
        !data.join("apostille").exists()
            || std::fs::read_dir(data.join("apostille"))
                .unwrap()
                .next()
                .is_none()
    );

    // Without a session the whole upload is read, then the sign-in page is the answer.
    let r = post_paper(
        &a,
        &base,
        "",
        &[
            ("kind", None, b"diploma"),
            ("file", Some("diploma.jpg"), &scan),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(
        r.location.as_deref().is_some_and(|l| l.starts_with("/my")),
        "{:?}",
        r.location
    );

    // The holder sends the scan through the dashboard's form in headless Chromium.
    let b = common::webdriver::Browser::start("kk");
    b.open(&format!("{base}/my"));
    common::forms::sign_in_in_browser(&b, &iin);
    b.type_into(
        "#paper-files",
        scans.join("kz-diploma-0500.jpg").to_str().unwrap(),
    );
    b.click_and_wait("form.paper button");
    assert_eq!(
        b.attribute("[data-paper]", "data-apostille").as_deref(),
        Some("pending"),
        "{}",
        b.source()
    );
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-artifacts");
    std::fs::create_dir_all(&shots).unwrap();
    b.screenshot(&shots.join("apostille-paper-kk.png"));
    drop(b);
    let dash = get(&a, &format!("{base}/my?lang=en"), Some(&holder));
    assert!(
        dash.body.contains("data-apostille=\"pending\""),
        "{}",
        dash.body
    );

    // The apostille officer sees the request with its case; the case is read in the background.
    let ap = officer(&a, &base, &data, "apostille.officer");
    let page = get(&a, &format!("{base}/officer/apostilles?lang=en"), Some(&ap));
    let section =
        between(&page.body, "data-source=\"paper\"", "</section>").expect("the paper request");
    let case = between(section, "/officer/cases/", "?")
        .unwrap()
        .to_string();
    let api = common::cases::Client::new(&base);
    let token = common::cases::token(&data, "apostille.officer");
    let (_, read) = api.wait(&case, &token);
    assert_eq!(read["job"]["state"], "done", "{read}");
    // Read as a Kazakh diploma and checked against Kazakh references: the series rule and the
    // university are in the library, so no `institution.country_not_covered`.
    let check = &read["reading"]["check"];
    let codes: Vec<&str> = check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(
        !codes.contains(&"institution.country_not_covered"),
        "{codes:?}"
    );
    assert!(!codes.contains(&"institution.unknown"), "{codes:?}");
    assert!(!codes.contains(&"number.malformed"), "{codes:?}");
    assert_eq!(read["application"]["purpose"], "apostille");
    assert_eq!(read["application"]["country"], "KZ");

    // It is not a recognition: not in the recognition queue, and not decided there.
    let anna = officer(&a, &base, &data, "recognition.officer");
    let queue = get(&a, &format!("{base}/officer?lang=en"), Some(&anna));
    assert!(!queue.body.contains(&case), "{}", queue.body);
    let r = post_form(
        &a,
        &format!("{base}/officer/cases/{case}/decide?lang=en"),
        &[("decision", "refuse"), ("reason", "x")],
        Some(&anna),
        None,
    );
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("apostille"), "{}", r.body);
    let case_page = get(
        &a,
        &format!("{base}/officer/cases/{case}?lang=en"),
        Some(&ap),
    );
    assert!(
        case_page.body.contains("id=\"for-apostille\""),
        "{}",
        case_page.body
    );

    // The officer's form is prefilled from the reading.
    let page = get(&a, &format!("{base}/officer/apostilles?lang=en"), Some(&ap));
    let section = between(&page.body, "data-source=\"paper\"", "</section>").unwrap();
    let id = between(&page.body, "data-request=\"", "\"")
        .unwrap()
        .to_string();
    let value = |name: &str| {
        between(section, &format!("name=\"{name}\" value=\""), "\"")
            .unwrap()
            .to_string()
    };
    let want = |k: &str| truth["fields"][k].as_str().unwrap().to_string();
    assert_eq!(
        value("document_number"),
        format!("{} {}", want("series"), want("number"))
    );
    assert_eq!(value("document_issued_on"), want("issue_date"));
    assert_eq!(value("signed_by"), want("signed_by"));
    let approve = format!("{base}/officer/apostilles/{id}/approve?lang=en");
    let mut form: Vec<(String, String)> = [
        "holder_name",
        "document_number",
        "document_issued_on",
        "signed_by",
        "seal_of",
    ]
    .iter()
    .map(|k| (k.to_string(), value(k).replace("&#x2f;", "/")))
    .collect();
    // Field 3 is the officer's to give: without it nothing is issued, and the field is named.
    let r = post_form(&a, &approve, &pairs(&form), Some(&ap), None);
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("capacity"), "{}", r.body);
    form.push(("capacity".into(), "Ректор / Rector".into()));
    let r = post_form(&a, &approve, &pairs(&form), Some(&ap), None);
    assert_eq!(r.status, 303, "{}", r.body);

    // Issued: the holder sees it; its QR verifies; it certifies the paper document by number.
    let dash = get(&a, &format!("{base}/my?lang=en"), Some(&holder));
    let issued = between(&dash.body, "data-apostille=\"approved\"", "</p>").expect("issued");
    let qr = between(issued, "href=\"", "\"")
        .unwrap()
        .replace("&#x2f;", "/");
    let label = between(issued, "№ ", "</a>").unwrap();
    let (number, date) = label.split_once(", ").unwrap();
    let verdict = verify_qr(&a, &base, &qr);
    assert_eq!(verdict["status"], "valid", "{verdict}");
    assert_eq!(verdict["document"]["claims"]["apostille_number"], number);

    // The e-Register finds it and says it certifies a paper document.
    let page = get(
        &a,
        &format!("{base}/apostille?number={number}&date={date}&lang=en"),
        None,
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("data-status=\"valid\""), "{}", page.body);
    assert!(page.body.contains("id=\"paper-document\""), "{}", page.body);
    assert!(!page.body.contains("id=\"document-code\""), "{}", page.body);
    // Its fields are what the officer confirmed: the document by number and date, its signer.
    let fields = between(&page.body, "id=\"apostille-fields\">", "</dl>")
        .unwrap()
        .replace("&#x2f;", "/");
    for v in [
        format!("{} {}", want("series"), want("number")),
        want("issue_date"),
        want("signed_by"),
        "Ректор / Rector".to_string(),
    ] {
        assert!(fields.contains(&v), "{v}: {fields}");
    }
}
