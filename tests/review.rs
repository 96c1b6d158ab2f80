//! The recognition officers' review against a running `tanba serve`: cases read and checked in
//! the background, a queue by risk, decisions through the officers' forms — a low-risk
//! recognition issued at once as a ledger credential that verifies, a high-risk one held for a
//! second officer, a duplicate certificate refused, a return and a refusal recorded — each
//! refusal of a wrong role or a wrong site, and every step in the audit journal. Then the same
//! journey through the pages in headless Chromium.

mod common;

use common::Server;
use common::cases::{Client, token};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The twins of one generated document of `kind` (diploma, supplement): the genuine scan
/// and its tampered copies.
fn twins(tmp: &Path, kind: &str, seed: &str) -> PathBuf {
    let dir = tmp.join(format!("twins-{kind}"));
    let out = common::tanba()
        .args(["forensics", "generate", "--kind", kind, "--count", "1"])
        .args(["--seed", seed, "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

/// An agent that shows redirects instead of following them.
fn forms() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

/// Opens a case for one scan with the applicant's word from its ground truth; waits for its
/// reading; the case id and the risk its checks gave.
fn open_case(api: &Client, officer: &str, scan: &Path) -> (String, f64) {
    let truth: Value =
        serde_json::from_slice(&std::fs::read(scan.with_extension("json")).unwrap()).unwrap();
    let mut application = truth["application"].clone();
    application["purpose"] = json!("recognition");
    let app = serde_json::to_vec(&application).unwrap();
    let bytes = std::fs::read(scan).unwrap();
    let (status, body) = api.open(
        Some(officer),
        &[
            ("application", None, &app),
            ("file", Some("scan.jpg"), &bytes),
        ],
    );
    assert_eq!(status, 202, "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    let (_, case) = api.wait(&id, officer);
    assert_eq!(case["job"]["state"], "done", "{case}");
    let risk = case["reading"]["check"]["risk"].as_f64().unwrap();
    (id, risk)
}

/// A valid IIN of a man born on `birth` (YYYY-MM-DD, 2000–2099).
fn iin_born(birth: &str) -> String {
    let d: Vec<u32> = birth.split('-').map(|p| p.parse().unwrap()).collect();
    for serial in 1..100 {
        let first = format!("{:02}{:02}{:02}5{serial:04}", d[0] % 100, d[1], d[2]);
        let digits: Vec<u32> = first.chars().map(|c| c.to_digit(10).unwrap()).collect();
        let sum = |w: &[u32]| digits.iter().zip(w).map(|(a, b)| a * b).sum::<u32>() % 11;
        let mut check = sum(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        if check == 10 {
            check = sum(&[3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]);
        }
        if check < 10 {
            return format!("{first}{check}");
        }
    }
    unreachable!()
}

fn password(data: &Path, username: &str) -> String {
    let accounts: Vec<Value> =
        serde_json::from_slice(&std::fs::read(data.join("demo/accounts.json")).unwrap()).unwrap();
    accounts.iter().find(|a| a["username"] == username).unwrap()["password"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A form post with the session cookie; status, `Location` and body.
fn post(api: &Client, cookie: &str, path: &str, form: &[(&str, &str)]) -> (u16, String, String) {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut resp = forms()
        .post(format!("{}{path}", api.base))
        .header("Cookie", cookie)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(body)
        .unwrap();
    let location = resp
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or("")
        .to_string();
    let status = resp.status().as_u16();
    (
        status,
        location,
        resp.body_mut().read_to_string().unwrap_or_default(),
    )
}

fn page(api: &Client, cookie: &str, path: &str) -> (u16, String) {
    let mut resp = api
        .agent
        .get(format!("{}{path}", api.base))
        .header("Cookie", cookie)
        .call()
        .unwrap();
    (
        resp.status().as_u16(),
        resp.body_mut().read_to_string().unwrap(),
    )
}

/// Signs in through the officers' form; the session cookie, or the refusal's status and page.
fn sign_in(api: &Client, data: &Path, username: &str) -> Result<String, (u16, String)> {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("username", username),
            ("password", &password(data, username)),
        ])
        .finish();
    let mut resp = forms()
        .post(format!("{}/officer/signin?lang=en", api.base))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(body)
        .unwrap();
    let status = resp.status().as_u16();
    if status != 303 {
        return Err((status, resp.body_mut().read_to_string().unwrap()));
    }
    let set = resp.headers().get("set-cookie").unwrap().to_str().unwrap();
    Ok(set.split(';').next().unwrap().to_string())
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = s.find(start)? + start.len();
    let j = s[i..].find(end)? + i;
    Some(&s[i..j])
}

/// The recognise form as an officer fills it for a case: what the page proposes, plus the IIN.
fn recognise_form(case_page: &str, iin: &str) -> Vec<(String, String)> {
    let form = between(case_page, "class=\"recognise\"", "</form>").expect("a recognise form");
    let mut out = vec![
        ("decision".to_string(), "recognise".to_string()),
        ("iin".to_string(), iin.to_string()),
    ];
    for name in [
        "holder_name",
        "foreign_country",
        "foreign_institution",
        "foreign_specialty",
        "foreign_series",
        "foreign_number",
        "foreign_issued_on",
        "specialty_code",
    ] {
        let value = between(form, &format!("name=\"{name}\" value=\""), "\"")
            .unwrap_or_else(|| panic!("{name} in {form}"));
        out.push((name.to_string(), value.replace("&#x2f;", "/")));
    }
    let level = between(form, "name=\"level\"", "</select>").unwrap();
    let chosen = between(level, "<option value=\"", "\" selected")
        .map(|s| s.rsplit('"').next().unwrap_or(s).to_string())
        .unwrap();
    out.push(("level".into(), chosen));
    out.push(("foreign_kind".into(), "diploma".into()));
    out
}

fn pairs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

#[test]
fn officers_decide_with_a_second_officer_for_high_risk_and_every_step_is_journalled() {
    let tmp = tempfile::tempdir().unwrap();
    let data = common::demo_data(tmp.path());
    let server = Server::start(&data);
    let api = Client::new(&server.base);
    let officer_token = token(&data, "recognition.officer");
    let dir = twins(tmp.path(), "diploma", "52003");
    // The institution's reference seal and signature, enrolled from a genuine scan.
    let out = common::tanba()
        .args(["references", "enroll", "--data"])
        .arg(&data)
        .arg(dir.join("diploma-52003.jpg"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (genuine, low) = open_case(&api, &officer_token, &dir.join("diploma-52003.jpg"));
    let (dated, high) = open_case(&api, &officer_token, &dir.join("diploma-52003-dates.jpg"));
    assert!(low < 0.5 && high >= 0.5, "{low} {high}");

    // Only accounts that handle cases sign in here.
    let (status, body) = sign_in(&api, &data, "school.operator").unwrap_err();
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("does not handle foreign-document cases"),
        "{body}"
    );
    let anna = sign_in(&api, &data, "recognition.officer").unwrap();
    let boris = sign_in(&api, &data, "recognition.officer2").unwrap();
    let apostille = sign_in(&api, &data, "apostille.officer").unwrap();
    // Without a session: the sign-in form.
    let (status, body) = page(&api, "", &format!("/officer/cases/{genuine}?lang=en"));
    assert_eq!(status, 401);
    assert!(body.contains("name=\"password\""), "{body}");

    // The queue: the riskier case first.
    let (status, queue) = page(&api, &anna, "/officer?lang=en");
    assert_eq!(status, 200);
    let first = queue.find(&format!("data-case=\"{dated}\"")).unwrap();
    let second = queue.find(&format!("data-case=\"{genuine}\"")).unwrap();
    assert!(first < second, "{queue}");

    // The genuine case: fields beside the application, no findings to draw.
    let (_, case) = page(&api, &anna, &format!("/officer/cases/{genuine}?lang=en"));
    assert!(
        case.contains("data-field=\"holder_name\" class=\"agree\""),
        "{case}"
    );
    assert!(!case.contains("id=\"second-officer\""));
    // The enrolled reference samples beside the scan.
    let refs = between(&case, "id=\"reference-samples\"", "</div>").expect("reference samples");
    let seal = between(refs, "<img src=\"", "\"").unwrap().to_string();
    let mut r = api
        .agent
        .get(format!("{}{seal}", api.base))
        .header("Cookie", &anna)
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{seal}");
    assert!(r.body_mut().read_to_vec().unwrap().starts_with(b"\x89PNG"));
    let iin = iin_born("2001-08-11");
    let form = recognise_form(&case, &iin);
    let path = format!("/officer/cases/{genuine}/decide?lang=en");

    // An apostille officer may look, not decide.
    let (status, _, body) = post(&api, &apostille, &path, &pairs(&form));
    assert_eq!(status, 403, "{body}");
    // Bad input, named; nothing decided.
    let mut bad = form.clone();
    bad.iter_mut().find(|(k, _)| k == "iin").unwrap().1 = "123456789012".into();
    bad.iter_mut()
        .find(|(k, _)| k == "foreign_country")
        .unwrap()
        .1 = "Turkey".into();
    let (status, _, body) = post(&api, &anna, &path, &pairs(&bad));
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("holder.iin") && body.contains("foreign_country"),
        "{body}"
    );
    let (status, _, body) = post(&api, &anna, &path, &[("decision", "approve")]);
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("not one of recognise, refuse, request"),
        "{body}"
    );
    // Another site's form: refused before anything is read.
    let mut req = api
        .agent
        .post(format!("{}{path}", api.base))
        .header("Cookie", &anna)
        .header("Origin", "http://elsewhere.example")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send("decision=refuse&reason=x")
        .unwrap();
    assert_eq!(req.status().as_u16(), 403);
    let _ = req.body_mut().read_to_string();

    // Low risk: recognised at once; the certificate verifies as a valid ledger credential.
    let (status, location, body) = post(&api, &anna, &path, &pairs(&form));
    assert_eq!(status, 303, "{body}");
    assert!(location.starts_with(&format!("/officer/cases/{genuine}")));
    let (_, case) = page(&api, &anna, &format!("/officer/cases/{genuine}?lang=en"));
    assert!(case.contains("data-status=\"recognised\""), "{case}");
    let qr = between(&case, "id=\"verify-link\" href=\"", "\"")
        .unwrap()
        .replace("&#x2f;", "/");
    let mut resp = api
        .agent
        .post(format!("{}/api/v1/verify", api.base))
        .header("Content-Type", "application/json")
        .send(json!({ "qr": qr }).to_string())
        .unwrap();
    let verdict: Value = serde_json::from_slice(&resp.body_mut().read_to_vec().unwrap()).unwrap();
    assert_eq!(verdict["status"], "valid", "{verdict}");
    assert_eq!(verdict["document"]["kind"], "recognition", "{verdict}");
    let (status, pdf) = {
        let mut r = api
            .agent
            .get(format!(
                "{}/officer/cases/{genuine}/certificate.pdf",
                api.base
            ))
            .header("Cookie", &anna)
            .call()
            .unwrap();
        (r.status().as_u16(), r.body_mut().read_to_vec().unwrap())
    };
    assert_eq!(status, 200);
    assert!(pdf.starts_with(b"%PDF"));
    // Decided: no second decision.
    let (status, _, body) = post(
        &api,
        &anna,
        &path,
        &[("decision", "refuse"), ("reason", "second thoughts")],
    );
    assert_eq!(status, 409, "{body}");

    // The tampered twin: its earlier case shows, and a recognition waits for a second officer.
    let case_path = format!("/officer/cases/{dated}?lang=en");
    let (_, case) = page(&api, &anna, &case_path);
    assert!(case.contains("id=\"second-officer\""), "{case}");
    assert!(
        case.contains("data-code=\"dates.issue_before_study_end\""),
        "{case}"
    );
    let earlier = between(&case, "<ul id=\"earlier\">", "</ul>").expect("earlier cases");
    assert!(earlier.contains(&genuine), "{earlier}");
    let path = format!("/officer/cases/{dated}/decide?lang=en");
    let (status, _, _) = post(&api, &anna, &path, &pairs(&recognise_form(&case, &iin)));
    assert_eq!(status, 303);
    let (_, case) = page(&api, &anna, &case_path);
    assert!(
        case.contains("data-status=\"awaiting_confirmation\""),
        "{case}"
    );
    // Not by the officer who proposed it.
    let confirm = format!("/officer/cases/{dated}/confirm?lang=en");
    let (status, _, body) = post(&api, &anna, &confirm, &[]);
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("a second officer must confirm"), "{body}");
    // The second officer confirms; the same person and document already have a certificate,
    // so none is issued twice: the conflict names the original.
    let (status, _, body) = post(&api, &boris, &confirm, &[]);
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("already"), "{body}");
    let (status, _, _) = post(
        &api,
        &boris,
        &format!("/officer/cases/{dated}/return?lang=en"),
        &[("reason", "the dates are impossible: refuse it")],
    );
    assert_eq!(status, 303);
    let (status, _, _) = post(
        &api,
        &anna,
        &path,
        &[
            ("decision", "refuse"),
            ("reason", "issued before the end of study"),
        ],
    );
    assert_eq!(status, 303);
    let (_, case) = page(&api, &anna, &case_path);
    assert!(case.contains("data-status=\"refused\""), "{case}");
    for event in ["proposed", "returned", "refused"] {
        assert!(case.contains(&format!("data-event=\"{event}\"")), "{event}");
    }
    let (_, queue) = page(&api, &anna, "/officer?lang=en");
    let decided = between(&queue, "id=\"decided\"", "</table>").unwrap();
    assert!(
        decided.contains(&dated) && decided.contains(&genuine),
        "{queue}"
    );

    // The journal has every step, refusals included.
    let (_, journal) = api.get_json("/api/v1/journal", &token(&data, "admin"));
    let lines = journal["lines"].as_array().unwrap();
    let has = |who: &str, action: &str, outcome: &str| {
        lines
            .iter()
            .any(|l| l["who"] == who && l["action"] == action && l["outcome"] == outcome)
    };
    assert!(has("school.operator", "officer.sign_in", "refused"));
    assert!(has("recognition.officer", "officer.sign_in", "ok"));
    assert!(has("apostille.officer", "case.decide", "refused"));
    assert!(has("recognition.officer", "case.decide", "failed"));
    assert!(has("recognition.officer", "case.decide", "ok"));
    assert!(has("recognition.officer", "case.confirm", "failed"));
    assert!(has("recognition.officer2", "case.return", "ok"));
    assert!(has("recognition.officer", "case.read", "ok"));
}

/// An officer works a flagged case from the queue to a decision in headless Chromium, a second
/// officer confirms it, and the certificate's QR link opens a valid verdict on the public page.
/// Screenshots under `target/tmp/browser-artifacts/`.
#[test]
fn a_supplements_grades_are_shown_to_the_officer_with_the_forged_grade_marked() {
    let tmp = tempfile::tempdir().unwrap();
    let data = common::demo_data(tmp.path());
    let server = Server::start(&data);
    let api = Client::new(&server.base);
    let officer_token = token(&data, "recognition.officer");
    let dir = twins(tmp.path(), "supplement", "61004");
    let scan = dir.join("supplement-61004-grade-scale.jpg");
    let (id, risk) = open_case(&api, &officer_token, &scan);
    assert!(risk >= 0.5, "{risk}");
    let truth: Value =
        serde_json::from_slice(&std::fs::read(scan.with_extension("json")).unwrap()).unwrap();
    let grades = truth["grades"].as_array().unwrap();
    let forged = grades.iter().find(|g| g["grade"] == "6").unwrap();

    let anna = sign_in(&api, &data, "recognition.officer").unwrap();
    for lang in ["en", "ru", "kk"] {
        let (status, case) = page(&api, &anna, &format!("/officer/cases/{id}?lang={lang}"));
        assert_eq!(status, 200);
        let table = between(&case, "<table id=\"grades\"", "</table>").expect("grades table");
        let rows: Vec<&str> = table.split("<tr").skip(2).collect();
        assert_eq!(rows.len(), grades.len(), "{table}");
        for (row, g) in rows.iter().zip(grades) {
            let course = g["course"].as_str().unwrap();
            assert!(row.contains(course), "{row}");
            // The forged grade's row is marked, and only it.
            assert_eq!(row.contains("class=\"disagree\""), g == forged, "{row}");
        }
        // The words' 5 shown beside the printed 6.
        let marked = rows.iter().find(|r| r.contains("disagree")).unwrap();
        assert!(marked.contains(">6 <small>(5)</small>"), "{marked}");
        // The mean among the fields, and the finding's sentence in the page's language.
        assert!(case.contains("data-field=\"gpa\""), "{case}");
        let course = forged["course"].as_str().unwrap();
        let words = match lang {
            // (The apostrophe is escaped in the page.)
            "en" => format!("for {course} is not on UZ"),
            "ru" => format!("«{course}» не входит в шкалу страны UZ (2–5)"),
            _ => format!("«{course}» пәні бойынша 6 бағасы UZ елінің шкаласында жоқ"),
        };
        assert!(case.contains(&words), "{lang}: {words}");
    }
}

#[test]
fn an_officer_works_a_flagged_case_to_a_certificate_that_verifies_in_chromium() {
    use common::webdriver::Browser;
    let tmp = tempfile::tempdir().unwrap();
    let data = common::demo_data(tmp.path());
    let server = Server::start(&data);
    let api = Client::new(&server.base);
    let base = server.base.clone();
    let dir = twins(tmp.path(), "diploma", "52003");
    let (flagged, risk) = open_case(
        &api,
        &token(&data, "recognition.officer"),
        &dir.join("diploma-52003-edit.jpg"),
    );
    assert!(risk >= 0.5, "{risk}");
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-artifacts");
    std::fs::create_dir_all(&shots).unwrap();

    let b = Browser::start("ru");
    let sign_in = |user: &str| {
        b.open(&format!("{base}/officer"));
        assert!(b.source().contains("<html lang=\"ru\">"));
        b.type_into("#username", user);
        b.type_into("#password", &password(&data, user));
        b.click_and_wait("form[action^='/officer/signin'] button");
    };
    sign_in("recognition.officer");
    assert_eq!(
        b.attribute("#queue tbody tr:first-of-type", "data-case")
            .as_deref(),
        Some(flagged.as_str())
    );
    b.screenshot(&shots.join("officer-queue-ru.png"));
    b.click_and_wait("#queue tbody tr:first-of-type a");
    // The retyped patch is drawn on the scan and named beside it.
    assert!(b.count("svg rect[data-finding]") >= 1, "{}", b.source());
    assert_eq!(b.count("#findings li[data-code='edit.patch']"), 1);
    assert!(b.count("#fields tr[data-field='holder_name']") == 1);
    assert!(b.text("#second-officer").contains("второй сотрудник"));
    b.screenshot(&shots.join("officer-case-ru.png"));
    b.type_into("form.recognise input[name=iin]", &iin_born("2001-08-11"));
    b.click_and_wait("form.recognise button");
    assert_eq!(
        b.attribute("section[data-status]", "data-status")
            .as_deref(),
        Some("awaiting_confirmation"),
        "{}",
        b.source()
    );
    b.click_and_wait("form[action='/officer/signout?lang=ru'] button");

    sign_in("recognition.officer2");
    b.open(&format!("{base}/officer/cases/{flagged}"));
    b.click_and_wait("form.confirm button");
    assert_eq!(
        b.attribute("section[data-status]", "data-status")
            .as_deref(),
        Some("recognised"),
        "{}",
        b.source()
    );
    b.screenshot(&shots.join("officer-recognised-ru.png"));
    let link = b.attribute("#verify-link", "href").unwrap();
    // The link names the configured public host; open the same path on this server.
    let path = &link[link.find("/V/").expect("a verification link")..];
    b.open(&format!("{base}{path}?lang=en"));
    assert_eq!(
        b.attribute("[data-status]", "data-status").as_deref(),
        Some("valid"),
        "{}",
        b.source()
    );
    assert!(b.source().contains("Recognition certificate"));
    b.screenshot(&shots.join("officer-certificate-verified-en.png"));
}
