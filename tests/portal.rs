//! The holder portal over HTTP: one-time-code and OpenID Connect sign-in, the holder's
//! documents and downloads, share links with a subset of claims (use count, expiry,
//! revocation), and the guards around them.

mod common;

use common::Server;
use common::forms::{
    Reply, agent, between, demo_holder_iin, get, post_form, reply, session_of, sign_in_with_code,
};
use serde_json::Value;
use std::collections::HashMap;

/// The token of the share link a dashboard page shows once, just after it was made.
fn new_link_token(html: &str) -> String {
    let link = between(html, "id=\"new-link\" href=\"", "\"")
        .unwrap_or_else(|| panic!("no new link in {html}"))
        .replace("&#x2f;", "/"); // minijinja's HTML escaping writes `/` so
    link[link.rfind("/s/").expect("a share link") + 3..].to_string()
}

/// The dashboard's documents: credential id → (version, [(claim name, label)]).
fn documents(html: &str) -> HashMap<String, (String, Vec<(String, String)>)> {
    let mut out = HashMap::new();
    for section in html.split("data-credential=\"").skip(1) {
        let id = section[..section.find('"').unwrap()].to_string();
        let version = between(section, "name=\"version\" value=\"", "\"")
            .unwrap()
            .to_string();
        let claims = section
            .split("name=\"claims\" value=\"")
            .skip(1)
            .map(|c| {
                let name = c[..c.find('"').unwrap()].to_string();
                let label = between(c, "checked> ", "</label>")
                    .unwrap()
                    .trim()
                    .to_string();
                (name, label)
            })
            .collect();
        out.insert(id, (version, claims));
    }
    out
}

#[test]
fn a_holder_signs_in_with_a_code_downloads_and_shares_a_subset() {
    let tmp = tempfile::tempdir().unwrap();
    let data = common::demo_data(tmp.path());
    let iin = demo_holder_iin(&data);
    let manifest: Vec<Value> =
        serde_json::from_slice(&std::fs::read(data.join("demo/manifest.json")).unwrap()).unwrap();
    let server = Server::start(&data);
    let base = server.base.clone();
    let a = agent();

    // Signed out: the sign-in form, and no documents.
    let r = get(&a, &format!("{base}/my?lang=en"), None);
    assert_eq!(r.status, 200);
    assert!(r.body.contains("id=\"iin\"") && !r.body.contains("data-credential"));

    // A malformed IIN is named; a wrong code is refused and starts no session.
    let r = post_form(
        &a,
        &format!("{base}/my/code?lang=en"),
        &[("iin", "123456789012")],
        None,
        None,
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("IIN"), "{}", r.body);
    let r = post_form(
        &a,
        &format!("{base}/my/code?lang=en"),
        &[("iin", &iin)],
        None,
        None,
    );
    let challenge = between(&r.body, "name=\"challenge\" value=\"", "\"").unwrap();
    let shown: String = between(&r.body, "id=\"demo-code\">", "<")
        .unwrap()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let wrong = format!("{:06}", (shown.parse::<u32>().unwrap() + 1) % 1_000_000);
    let r = post_form(
        &a,
        &format!("{base}/my/signin?lang=en"),
        &[("challenge", challenge), ("code", &wrong)],
        None,
        None,
    );
    assert_eq!(r.status, 401, "{}", r.body);
    assert!(r.cookie.is_none());

    // A form posted from another site is refused before anything happens.
    let r = post_form(
        &a,
        &format!("{base}/my/code?lang=en"),
        &[("iin", &iin)],
        None,
        Some("https://evil.example"),
    );
    assert_eq!(r.status, 403, "{}", r.body);

    // The right code: a session, and the holder's documents, each from the manifest.
    let cookie = sign_in_with_code(&a, &base, &iin);
    let r = get(&a, &format!("{base}/my?lang=en"), Some(&cookie));
    assert_eq!(r.status, 200);
    let docs = documents(&r.body);
    assert!(!docs.is_empty(), "{}", r.body);
    for id in docs.keys() {
        assert!(manifest.iter().any(|e| e["id"] == id.as_str()), "{id}");
    }
    let (id, (version, claims)) = docs.iter().next().unwrap();
    assert!(claims.len() >= 3, "{claims:?}");

    // Downloads with the cookie: the PDF, the W3C VC and the SD-JWT VC.
    let api = format!("{base}/api/v1/credentials/{id}");
    let pdf = get(&a, &format!("{api}/document.pdf"), Some(&cookie));
    assert_eq!(pdf.status, 200);
    assert!(pdf.body.starts_with("%PDF-"));
    let vc = get(&a, &format!("{api}/vc.json"), Some(&cookie));
    assert_eq!(vc.status, 200);
    let vc: Value = serde_json::from_str(&vc.body).unwrap();
    assert!(vc["credentialSubject"].is_object(), "{vc}");
    let sd = get(&a, &format!("{api}/sd-jwt"), Some(&cookie));
    assert_eq!(sd.status, 200, "{}", sd.body);
    let parts: Vec<&str> = sd.body.split('~').collect();
    assert_eq!(
        parts.len(),
        claims.len() + 2,
        "one disclosure per claim: {}",
        sd.body
    );
    use data_encoding::BASE64URL_NOPAD;
    let payload: Value = serde_json::from_slice(
        &BASE64URL_NOPAD
            .decode(parts[0].split('.').nth(1).unwrap().as_bytes())
            .unwrap(),
    )
    .unwrap();
    assert!(
        payload["iss"].as_str().unwrap().starts_with("did:web:"),
        "{payload}"
    );
    assert_eq!(payload["_sd"].as_array().unwrap().len(), claims.len());
    // Without the cookie, nothing.
    assert_eq!(get(&a, &format!("{api}/document.pdf"), None).status, 401);
    // The cookie reads, but never changes: an API change with it is refused.
    let mut req = a.post(&format!("{api}/status"));
    req = req.header("Cookie", &cookie);
    let r = reply(
        req.header("Content-Type", "application/json")
            .send(br#"{"action":"revoke","reason":"error"}"#.as_slice())
            .unwrap(),
    );
    assert_eq!(r.status, 401, "{}", r.body);
    // Another person's document is not the holder's to read.
    let other = manifest
        .iter()
        .find(|e| !docs.contains_key(e["id"].as_str().unwrap()))
        .unwrap();
    let r = get(
        &a,
        &format!(
            "{base}/api/v1/credentials/{}/document.pdf",
            other["id"].as_str().unwrap()
        ),
        Some(&cookie),
    );
    assert_eq!(r.status, 403, "{}", r.body);

    // A share link with two of the claims, for 7 days.
    let chosen = &claims[..2];
    let hidden = &claims[2..];
    let mut form = vec![
        ("credential", id.as_str()),
        ("version", version.as_str()),
        ("days", "7"),
    ];
    for (name, _) in chosen {
        form.push(("claims", name));
    }
    let r = post_form(
        &a,
        &format!("{base}/my/share?lang=en"),
        &form,
        Some(&cookie),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let token = &new_link_token(&r.body);
    let share_url = format!("{base}/s/{token}");
    // The link was never stored: a fresh dashboard does not show it again.
    let r = get(&a, &format!("{base}/my?lang=en"), Some(&cookie));
    assert!(!r.body.contains(token));
    assert!(r.body.contains("data-share="));

    // The employer opens it: valid, only the chosen claims, and the notice says so.
    for _ in 0..2 {
        let r = get(&a, &format!("{share_url}?lang=en"), None);
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("data-status=\"valid\""), "{}", r.body);
        assert!(r.body.contains("id=\"share-notice\""), "{}", r.body);
        for (_, label) in chosen {
            assert!(
                r.body.contains(&format!("<dt>{label}</dt>")),
                "{label}: {}",
                r.body
            );
        }
        for (_, label) in hidden {
            assert!(
                !r.body.contains(&format!("<dt>{label}</dt>")),
                "{label} shown: {}",
                r.body
            );
        }
    }
    // A link with every claim: each under its label in words, lists and records included,
    // never as raw JSON or a message id.
    let mut all = vec![
        ("credential", id.as_str()),
        ("version", version.as_str()),
        ("days", "1"),
    ];
    for (name, _) in claims {
        all.push(("claims", name));
    }
    let r = post_form(
        &a,
        &format!("{base}/my/share?lang=en"),
        &all,
        Some(&cookie),
        None,
    );
    let everything = new_link_token(&r.body);
    let r = get(&a, &format!("{base}/s/{everything}?lang=en"), None);
    assert_eq!(r.status, 200, "{}", r.body);
    for (name, label) in claims {
        assert!(
            label != name && !label.starts_with("claim-"),
            "{name} has no label"
        );
        assert!(
            r.body.contains(&format!("<dt>{label}</dt>")),
            "{label}: {}",
            r.body
        );
    }
    let dl = between(&r.body, "<dl", "</dl>").unwrap();
    assert!(
        !dl.contains("{&quot;") && !dl.contains("[{") && !dl.contains("{\""),
        "{dl}"
    );

    // The holder sees the first link used twice.
    let r = get(&a, &format!("{base}/my?lang=en"), Some(&cookie));
    let row = between(
        &r.body,
        &format!("<tr data-share=\"{}", token.split('_').next().unwrap()),
        "</tr>",
    )
    .unwrap();
    assert!(row.contains("2 times"), "{row}");

    // Tampered or unknown tokens: not found, and they do not reveal anything.
    let mut bad = token.to_string();
    let last = bad.pop().unwrap();
    bad.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(
        get(&a, &format!("{base}/s/{bad}?lang=en"), None).status,
        404
    );

    // A claim the document does not have is refused by name.
    let r = post_form(
        &a,
        &format!("{base}/my/share?lang=en"),
        &[
            ("credential", id),
            ("version", version),
            ("claims", "no_such_claim"),
            ("days", "7"),
        ],
        Some(&cookie),
        None,
    );
    assert_eq!(r.status, 422, "{}", r.body);

    // Revoked: 410 with the date, at once.
    let share_id = token.split('_').next().unwrap().to_string();
    assert!(r.body.contains(&format!("<tr data-share=\"{share_id}\"")));
    let r = post_form(
        &a,
        &format!("{base}/my/share/{share_id}/revoke?lang=en"),
        &[],
        Some(&cookie),
        None,
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let r = get(&a, &format!("{share_url}?lang=en"), None);
    assert_eq!(r.status, 410, "{}", r.body);
    assert!(r.body.contains("revoked"), "{}", r.body);
    assert!(!r.body.contains("data-status=\"valid\""));

    // Another link, then expired in the store: 410 naming the day.
    let mut form = vec![
        ("credential", id.as_str()),
        ("version", version.as_str()),
        ("days", "1"),
    ];
    form.push(("claims", &chosen[0].0));
    let r = post_form(
        &a,
        &format!("{base}/my/share?lang=en"),
        &form,
        Some(&cookie),
        None,
    );
    let token = new_link_token(&r.body);
    assert_eq!(
        get(&a, &format!("{base}/s/{token}?lang=en"), None).status,
        200
    );
    drop(server);
    {
        use tanba::store::{Collection, Store};
        let dir = tanba::data_dir::DataDir::open(&data).unwrap();
        let store = dir.open_store().unwrap();
        let share_id = token.split('_').next().unwrap();
        let mut rec: Value = serde_json::from_slice(
            &store
                .get_record(Collection::Shares, share_id)
                .unwrap()
                .unwrap(),
        )
        .unwrap();
        rec["expires"] = Value::from(rec["created"].as_i64().unwrap() - 86_400);
        store
            .put_record(
                Collection::Shares,
                share_id,
                Some(&serde_json::to_vec(&rec).unwrap()),
                false,
            )
            .unwrap();
    }
    let server = Server::start(&data);
    let r = get(&a, &format!("{}/s/{token}?lang=en", server.base), None);
    assert_eq!(r.status, 410, "{}", r.body);
    assert!(r.body.contains("expired"), "{}", r.body);
    // The session outlived the restart; signing out ends it.
    let r = get(&a, &format!("{}/my?lang=en", server.base), Some(&cookie));
    assert!(r.body.contains("data-credential"));
    let r = post_form(
        &a,
        &format!("{}/my/signout?lang=en", server.base),
        &[],
        Some(&cookie),
        None,
    );
    assert_eq!(r.status, 303);
    let r = get(&a, &format!("{}/my?lang=en", server.base), Some(&cookie));
    assert!(!r.body.contains("data-credential"));

    // Every step is in the audit journal, the refusals included.
    let accounts: Vec<Value> =
        serde_json::from_slice(&std::fs::read(data.join("demo/accounts.json")).unwrap()).unwrap();
    let admin = accounts.iter().find(|a| a["role"] == "admin").unwrap();
    let r = reply(
        a.get(&format!("{}/api/v1/journal", server.base))
            .header(
                "Authorization",
                &format!("Bearer {}", admin["token"].as_str().unwrap()),
            )
            .call()
            .unwrap(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let journal: Value = serde_json::from_str(&r.body).unwrap();
    let lines = journal["lines"].as_array().unwrap();
    let seen = |action: &str, outcome: &str| {
        lines
            .iter()
            .any(|l| l["action"] == action && l["outcome"] == outcome)
    };
    for action in [
        "portal.sign_in",
        "portal.list",
        "portal.share",
        "portal.share_revoke",
    ] {
        assert!(seen(action, "ok"), "{action} not journalled: {journal}");
    }
    assert!(seen("portal.sign_in", "refused"), "{journal}");
    assert!(
        seen("portal.share", "failed"),
        "the unknown claim: {journal}"
    );
}

/// A minimal OpenID Connect provider on loopback, as eGov's would answer: discovery,
/// an authorization endpoint that signs in whoever `login_hint` names, and a token endpoint
/// that checks the PKCE verifier and the client secret. `twist` on the authorization request
/// makes it misbehave in one named way.
mod provider {
    use axum::Router;
    use axum::body::Bytes;
    use axum::extract::{Query, State};
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Json, Redirect, Response};
    use axum::routing::{get, post};
    use data_encoding::BASE64URL_NOPAD;
    use serde_json::json;
    use sha2::{Digest, Sha256};
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    pub const CLIENT: &str = "tanba-test";
    pub const SECRET: &str = "s3cret-for-tests";

    struct Pending {
        challenge: String,
        nonce: String,
        redirect: String,
        iin: String,
        twist: String,
    }

    struct Provider {
        base: String,
        pending: Mutex<HashMap<String, Pending>>,
    }

    /// Starts the provider; its issuer URL.
    pub fn start() -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Provider {
            base: base.clone(),
            pending: Mutex::new(HashMap::new()),
        });
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let app = Router::new()
                    .route("/.well-known/openid-configuration", get(discovery))
                    .route("/authorize", get(authorize))
                    .route("/token", post(token))
                    .with_state(state);
                axum::serve(listener, app).await.unwrap();
            })
        });
        base
    }

    async fn discovery(State(p): State<Arc<Provider>>) -> Json<serde_json::Value> {
        Json(json!({
            "issuer": p.base,
            "authorization_endpoint": format!("{}/authorize", p.base),
            "token_endpoint": format!("{}/token", p.base),
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
        }))
    }

    async fn authorize(
        State(p): State<Arc<Provider>>,
        Query(q): Query<HashMap<String, String>>,
    ) -> Response {
        let q = |k: &str| q.get(k).cloned().unwrap_or_default();
        if q("response_type") != "code"
            || q("client_id") != CLIENT
            || q("code_challenge_method") != "S256"
            || !q("scope").split(' ').any(|s| s == "openid")
            || q("state").is_empty()
            || q("nonce").is_empty()
        {
            return (StatusCode::BAD_REQUEST, "bad authorization request").into_response();
        }
        let redirect = q("redirect_uri");
        if q("twist") == "deny" {
            return Redirect::to(&format!(
                "{redirect}?error=access_denied&state={}",
                q("state")
            ))
            .into_response();
        }
        let code = format!("code-{}", p.pending.lock().unwrap().len());
        p.pending.lock().unwrap().insert(
            code.clone(),
            Pending {
                challenge: q("code_challenge"),
                nonce: q("nonce"),
                redirect: redirect.clone(),
                iin: q("login_hint"),
                twist: q("twist"),
            },
        );
        Redirect::to(&format!("{redirect}?code={code}&state={}", q("state"))).into_response()
    }

    async fn token(State(p): State<Arc<Provider>>, body: Bytes) -> Response {
        let f: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
        let f = |k: &str| f.get(k).cloned().unwrap_or_default();
        let refuse =
            |e: &str| (StatusCode::BAD_REQUEST, Json(json!({ "error": e }))).into_response();
        if f("client_id") != CLIENT || f("client_secret") != SECRET {
            return refuse("invalid_client");
        }
        // A code is redeemed once.
        let Some(pending) = p.pending.lock().unwrap().remove(&f("code")) else {
            return refuse("invalid_grant");
        };
        let challenge = BASE64URL_NOPAD.encode(&Sha256::digest(f("code_verifier").as_bytes()));
        if f("grant_type") != "authorization_code"
            || challenge != pending.challenge
            || f("redirect_uri") != pending.redirect
        {
            return refuse("invalid_grant");
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let mut claims = json!({
            "iss": p.base,
            "sub": "egov-subject-1",
            "aud": CLIENT,
            "iat": now,
            "exp": now + 300,
            "nonce": pending.nonce,
            "iin": pending.iin,
        });
        match pending.twist.as_str() {
            "wrong-nonce" => claims["nonce"] = json!("not-the-nonce"),
            "other-audience" => claims["aud"] = json!("someone-else"),
            "expired" => claims["exp"] = json!(now - 60),
            "no-iin" => claims
                .as_object_mut()
                .unwrap()
                .remove("iin")
                .map(|_| ())
                .unwrap_or(()),
            _ => {}
        }
        let part = |v: serde_json::Value| BASE64URL_NOPAD.encode(v.to_string().as_bytes());
        let id_token = format!(
            "{}.{}.{}",
            part(json!({"alg": "RS256", "kid": "test"})),
            part(claims),
            BASE64URL_NOPAD.encode(b"signature")
        );
        Json(json!({ "access_token": "at", "token_type": "Bearer", "id_token": id_token }))
            .into_response()
    }
}

#[test]
fn a_holder_signs_in_through_openid_connect_with_pkce_and_each_bad_token_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let data = common::demo_data(tmp.path());
    let iin = demo_holder_iin(&data);
    let issuer = provider::start();
    // Where the provider sends the browser back; the test replays it against the server.
    let redirect = "http://127.0.0.1/my/oidc/callback";
    let config_path = data.join("config.json");
    let mut config: Value = serde_json::from_slice(&std::fs::read(&config_path).unwrap()).unwrap();
    config["oidc"] = serde_json::json!({
        "issuer": issuer,
        "client_id": provider::CLIENT,
        "redirect_url": redirect,
        "client_secret_env": "TANBA_TEST_OIDC_SECRET",
    });
    std::fs::write(&config_path, serde_json::to_vec_pretty(&config).unwrap()).unwrap();
    let server = Server::start_with_env(&data, &[("TANBA_TEST_OIDC_SECRET", provider::SECRET)]);
    let base = server.base.clone();
    let a = agent();

    let r = get(&a, &format!("{base}/my?lang=en"), None);
    assert!(r.body.contains("id=\"oidc\""), "{}", r.body);

    // One round: start at Tanba, sign in at the provider (with a twist), come back.
    let round = |twist: &str| -> (Reply, String) {
        let r = get(&a, &format!("{base}/my/oidc/start?lang=en"), None);
        assert_eq!(r.status, 303, "{}", r.body);
        let to = r.location.unwrap();
        assert!(to.starts_with(&format!("{issuer}/authorize?")), "{to}");
        let q: HashMap<String, String> =
            form_urlencoded::parse(to.split_once('?').unwrap().1.as_bytes())
                .into_owned()
                .collect();
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["code_challenge"].len(), 43, "a SHA-256 in base64url");
        assert_eq!(q["redirect_uri"], redirect);
        let r = get(&a, &format!("{to}&login_hint={iin}&twist={twist}"), None);
        assert_eq!(r.status, 303, "{}", r.body);
        let back = r.location.unwrap();
        let back = format!("{base}{}", back.strip_prefix("http://127.0.0.1").unwrap());
        (get(&a, &back, None), back)
    };

    let (r, callback) = round("");
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some("/my?lang=en"));
    let cookie = session_of(&r.cookie.unwrap());
    let home = get(&a, &format!("{base}/my?lang=en"), Some(&cookie));
    assert!(!documents(&home.body).is_empty(), "{}", home.body);
    // The same callback again: its state was used up.
    let r = get(&a, &callback, None);
    assert_eq!(r.status, 401);
    assert!(r.cookie.is_none());

    for (twist, why) in [
        ("deny", "access_denied"),
        ("wrong-nonce", "nonce"),
        ("other-audience", "aud"),
        ("expired", "exp"),
        ("no-iin", "iin"),
    ] {
        let (r, _) = round(twist);
        assert_eq!(r.status, 401, "{twist}: {}", r.body);
        assert!(r.cookie.is_none(), "{twist}");
        assert!(r.body.contains(why), "{twist}: {}", r.body);
        assert!(!r.body.contains("data-credential"));
    }
}

/// The same journey in headless Chromium, through the pages' own forms: sign in with the
/// demo code, share a document without its grades, open the link as an employer would, see
/// its use on the dashboard, revoke it, and see the link refuse. Screenshots of each step are
/// kept under `target/tmp/browser-artifacts/`.
#[test]
fn a_holder_shares_a_subset_and_revokes_it_in_chromium() {
    use common::webdriver::Browser;
    let tmp = tempfile::tempdir().unwrap();
    let data = common::demo_data(tmp.path());
    let iin = demo_holder_iin(&data);
    let server = Server::start(&data);
    let base = server.base.clone();
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-artifacts");
    std::fs::create_dir_all(&shots).unwrap();

    let b = Browser::start("ru");
    b.open(&format!("{base}/my"));
    // The browser's language picks the page's.
    assert!(b.source().contains("<html lang=\"ru\">"), "{}", b.source());
    b.screenshot(&shots.join("portal-signin-ru.png"));
    common::forms::sign_in_in_browser(&b, &iin);
    assert!(b.count("[data-credential]") >= 1, "{}", b.source());
    b.screenshot(&shots.join("portal-dashboard-ru.png"));

    // Keep the first two claims of the first document, untick the rest, share for a day.
    let section = "[data-credential]:first-of-type";
    let boxes = b.count(&format!("{section} input[name=claims]"));
    assert!(boxes >= 3, "{}", b.source());
    let labels = b.texts(&format!("{section} fieldset label"));
    for i in 3..=boxes {
        b.click(&format!(
            "{section} fieldset label:nth-of-type({i}) input[name=claims]"
        ));
    }
    b.click_and_wait(&format!("{section} form.share button"));
    let link = b
        .attribute("#new-link", "href")
        .expect("the new link is shown");
    // The link names the configured public host; open the same path on this server.
    let link = format!("{base}{}", &link[link.find("/s/").expect("a share link")..]);

    // The employer opens it: a valid verdict with only the two chosen fields.
    b.open(&link);
    assert_eq!(
        b.attribute("[data-status]", "data-status").as_deref(),
        Some("valid")
    );
    assert_eq!(b.count("#share-notice"), 1);
    let shown = b.texts("dl dt");
    for (i, label) in labels.iter().enumerate() {
        assert_eq!(
            shown.iter().any(|dt| dt == label.trim()),
            i < 2,
            "{label}: {shown:?}"
        );
    }
    b.screenshot(&shots.join("portal-share-valid-ru.png"));

    // Back on the dashboard, the link's use shows; revoking it makes the link refuse.
    b.open(&format!("{base}/my"));
    let row = b.text("tr[data-share]");
    assert!(row.contains("1 раз"), "{row}");
    b.click_and_wait("tr[data-share] form button");
    assert!(b.count("tr[data-share] form button") == 0, "{}", b.source());
    b.open(&link);
    assert!(b.source().contains("Владелец отозвал"), "{}", b.source());
    b.screenshot(&shots.join("portal-share-revoked-ru.png"));
}
