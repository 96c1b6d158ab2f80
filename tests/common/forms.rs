//! Form posts and pages as a browser sends them, without following redirects: the helpers of
//! the tests of the server-rendered pages.

use serde_json::Value;

/// An agent that does not follow redirects, so the test sees each `Set-Cookie` and `Location`.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

pub struct Reply {
    pub status: u16,
    pub location: Option<String>,
    pub cookie: Option<String>,
    pub body: String,
}

pub fn reply(mut resp: ureq::http::Response<ureq::Body>) -> Reply {
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let location = header("location");
    let cookie = header("set-cookie");
    Reply {
        status: resp.status().as_u16(),
        location,
        cookie,
        // Lossy, so a PDF's bytes still show their `%PDF-` header.
        body: String::from_utf8_lossy(&resp.body_mut().read_to_vec().unwrap_or_default())
            .into_owned(),
    }
}

pub fn get(agent: &ureq::Agent, url: &str, cookie: Option<&str>) -> Reply {
    let mut req = agent.get(url);
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    reply(req.call().unwrap())
}

pub fn post_form(
    agent: &ureq::Agent,
    url: &str,
    form: &[(&str, &str)],
    cookie: Option<&str>,
    origin: Option<&str>,
) -> Reply {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut req = agent
        .post(url)
        .header("Content-Type", "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    if let Some(o) = origin {
        req = req.header("Origin", o);
    }
    reply(req.send(body.as_bytes()).unwrap())
}

/// The text between `start` and the next `end` after it.
pub fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let at = s.find(start)? + start.len();
    Some(&s[at..at + s[at..].find(end)?])
}

/// `tanba_session=…` from a `Set-Cookie` header, checking its attributes.
pub fn session_of(set_cookie: &str) -> String {
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    set_cookie.split(';').next().unwrap().to_string()
}

pub fn demo_holder_iin(data: &std::path::Path) -> String {
    let accounts: Vec<Value> =
        serde_json::from_slice(&std::fs::read(data.join("demo/accounts.json")).unwrap()).unwrap();
    accounts
        .iter()
        .find(|a| a["role"] == "holder")
        .and_then(|a| a["iin"].as_str())
        .expect("a demo holder with an IIN")
        .to_string()
}

/// Signs in with a one-time code the demo shows on the page; the session cookie.
pub fn sign_in_with_code(agent: &ureq::Agent, base: &str, iin: &str) -> String {
    let r = post_form(
        agent,
        &format!("{base}/my/code?lang=en"),
        &[("iin", iin)],
        None,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let code: String = between(&r.body, "id=\"demo-code\">", "<")
        .expect("the demo shows the code")
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    assert_eq!(code.len(), 6, "{}", r.body);
    let challenge = between(&r.body, "name=\"challenge\" value=\"", "\"").unwrap();
    let r = post_form(
        agent,
        &format!("{base}/my/signin?lang=en"),
        &[("challenge", challenge), ("code", &code)],
        None,
        None,
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some("/my?lang=en"));
    session_of(&r.cookie.expect("a session cookie"))
}

/// Signs in to the holder portal in the browser, from its sign-in page: the IIN, then the
/// one-time code the demo shows on the page.
pub fn sign_in_in_browser(b: &super::webdriver::Browser, iin: &str) {
    b.type_into("#iin", iin);
    b.click_and_wait("form[action^='/my/code'] button");
    let code: String = b
        .text("#demo-code")
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    assert_eq!(code.len(), 6, "{}", b.source());
    b.type_into("#code", &code);
    b.click_and_wait("form[action^='/my/signin'] button");
}

/// Verifies a QR text through `POST /api/v1/verify`: the verdict.
pub fn verify_qr(agent: &ureq::Agent, base: &str, qr: &str) -> Value {
    let mut resp = agent
        .post(format!("{base}/api/v1/verify"))
        .header("Content-Type", "application/json")
        .send(serde_json::json!({ "qr": qr }).to_string())
        .unwrap();
    serde_json::from_slice(&resp.body_mut().read_to_vec().unwrap()).unwrap()
}
