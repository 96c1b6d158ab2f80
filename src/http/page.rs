//! The public verification page: what a document's QR code opens (`/V/<payload>`).
//!
//! Server-rendered HTML with no script: the verdict at one glance (colour, icon, a word and a
//! sentence), then the disclosed fields, the issuer and dates, and the ledger proof. Kazakh,
//! Russian or English: `?lang=` wins, else `Accept-Language`, else Kazakh; links switch
//! language. For screen readers: `lang` on the page and on each language link, the verdict in
//! a `role="status"` region labelled by its heading, icons hidden, fields as a definition list.
//! The same routine as the API gives the verdict, under the same per-address allowance.

use super::AppState;
use crate::credential::lifecycle::Status;
use crate::i18n::Lang;
use crate::verify::{Code, Verdict, Verifier, VerifyError};
use axum::Router;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use fluent_bundle::FluentArgs;
use minijinja::{AutoEscape, Environment, context};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::OnceLock;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/V/{payload}", get(page))
        .route("/v/{payload}", get(page))
}

/// `/check`, whose form uploads files (up to [`super::verify::MAX_FILE_BYTES`]).
pub fn upload_router() -> Router<AppState> {
    Router::new().route("/check", get(check_form).post(check_upload))
}

#[derive(Deserialize)]
pub(super) struct LangQuery {
    lang: Option<String>,
}

pub(super) fn templates() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        for (name, source) in [
            ("base.html", include_str!("templates/base.html")),
            ("verify.html", include_str!("templates/verify.html")),
            ("check.html", include_str!("templates/check.html")),
            ("my.html", include_str!("templates/my.html")),
            ("officer.html", include_str!("templates/officer.html")),
            ("register.html", include_str!("templates/register.html")),
        ] {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("template {name}: {e}"));
        }
        env
    })
}

fn icon(code: Code) -> &'static str {
    match code {
        Code::Valid => "✔",
        Code::Revoked | Code::Tampered => "✖",
        Code::Superseded | Code::Terminated => "⚠",
        Code::Unknown => "?",
    }
}

async fn page(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(payload): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = chosen_lang(&q, &headers);
    let path = format!("/V/{payload}");
    let Some(svc) = state.services.clone() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "verification is not served here",
        )
            .into_response();
    };
    if let Err(e) = super::verify::charge(&svc, addr, 1) {
        return e.into_response();
    }
    verdict_page(&state, svc, lang, &path, payload).await
}

/// Verifies `text` and renders the verdict page at `path`; text that is no Tanba code at all
/// gets the page that says so (400). One document is verified on the request's own task, as
/// the API does (see `verify.rs`).
async fn verdict_page(
    state: &AppState,
    svc: std::sync::Arc<super::Services>,
    lang: Lang,
    path: &str,
    text: String,
) -> Response {
    let verdict = Verifier::Online {
        issuance: &svc.issuance,
        log: &state.log,
    }
    .verify_qr(&text, None);
    match verdict {
        Ok(verdict) => html_response(
            StatusCode::OK,
            lang,
            render_page(lang, path, Some(&verdict), None, None),
        ),
        Err(VerifyError::Internal(detail)) => {
            tracing::error!(%detail, "verification page failed");
            internal_error()
        }
        Err(_) => html_response(
            StatusCode::BAD_REQUEST,
            lang,
            render_page(
                lang,
                path,
                None,
                Some((
                    lang.t("word-unknown"),
                    lang.t("not-ours"),
                    Some(lang.t("try-again")),
                )),
                None,
            ),
        ),
    }
}

/// A fault on our side: the detail was logged; the visitor gets a plain 500.
pub(super) fn internal_error() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error; it has been logged",
    )
        .into_response()
}

/// The language switch: the same path in each language.
pub(super) fn language_links(lang: Lang, path: &str) -> Vec<minijinja::Value> {
    Lang::ALL
        .iter()
        .map(|l| {
            context! {
                code => l.code(),
                name => l.t("lang-name"),
                href => format!("{path}?lang={}", l.code()),
                current => *l == lang,
            }
        })
        .collect()
}

pub(super) fn chosen_lang(q: &LangQuery, headers: &HeaderMap) -> Lang {
    q.lang.as_deref().and_then(Lang::parse).unwrap_or_else(|| {
        Lang::from_accept_language(
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        )
    })
}

pub(super) fn html_response(
    status: StatusCode,
    lang: Lang,
    html: Result<String, minijinja::Error>,
) -> Response {
    match html {
        Ok(html) => (
            status,
            [
                (header::CONTENT_LANGUAGE, lang.code()),
                (header::VARY, "Accept-Language"),
            ],
            Html(html),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(detail = %e, "page template");
            internal_error()
        }
    }
}

fn check_page(lang: Lang, error: Option<String>) -> Result<String, minijinja::Error> {
    let t = |id: &str| lang.t(id);
    templates().get_template("check.html")?.render(context! {
        lang => lang.code(),
        title => t("check-title"),
        intro => t("check-intro"),
        lang_label => t("lang-name"),
        langs => language_links(lang, "/check"),
        error => error,
        qr_label => t("check-qr-label"),
        file_label => t("check-file-label"),
        submit => t("check-submit"),
    })
}

/// `GET /check`: the form.
async fn check_form(Query(q): Query<LangQuery>, headers: HeaderMap) -> Response {
    let lang = chosen_lang(&q, &headers);
    html_response(StatusCode::OK, lang, check_page(lang, None))
}

/// `POST /check`: the pasted QR text, or the code found in the uploaded file, verified.
async fn check_upload(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    mut form: axum::extract::Multipart,
) -> Response {
    use crate::verify::scan::{self, ScanError};
    let lang = chosen_lang(&q, &headers);
    let again = |status, id: &str| html_response(status, lang, check_page(lang, Some(lang.t(id))));
    let (mut text, mut file) = (None::<String>, None::<Vec<u8>>);
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                let Ok(bytes) = field.bytes().await else {
                    return again(StatusCode::PAYLOAD_TOO_LARGE, "check-too-large");
                };
                match name.as_str() {
                    "qr" if !bytes.trim_ascii().is_empty() => {
                        text = Some(String::from_utf8_lossy(&bytes).trim().to_string())
                    }
                    "file" if !bytes.is_empty() => file = Some(bytes.to_vec()),
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(_) => return again(StatusCode::BAD_REQUEST, "check-nothing"),
        }
    }
    let Some(svc) = state.services.clone() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "verification is not served here",
        )
            .into_response();
    };
    if let Err(e) = super::verify::charge(&svc, addr, 1) {
        return e.into_response();
    }
    let text = match (text, file) {
        (Some(t), _) => t,
        (None, Some(bytes)) => {
            match tokio::task::spawn_blocking(move || scan::qr_texts(&bytes)).await {
                Ok(Ok(texts)) => texts.into_iter().next().unwrap_or_default(),
                Ok(Err(ScanError::NotAnImage)) => {
                    return again(StatusCode::UNPROCESSABLE_ENTITY, "check-not-image");
                }
                Ok(Err(ScanError::TooLarge { .. })) => {
                    return again(StatusCode::PAYLOAD_TOO_LARGE, "check-too-large");
                }
                Ok(Err(_)) => return again(StatusCode::UNPROCESSABLE_ENTITY, "check-no-code"),
                Err(e) => {
                    tracing::error!(detail = %e, "scan task failed");
                    return internal_error();
                }
            }
        }
        (None, None) => return again(StatusCode::BAD_REQUEST, "check-nothing"),
    };
    // The short code printed under the QR (XXXX-XXXX-XXXX), typed by hand.
    if text.len() <= 20 && crate::credential::record::parse_verification_code(&text).is_ok() {
        return code_page(&state, svc, lang, text).await;
    }
    verdict_page(&state, svc, lang, "/check", text).await
}

/// The verdict for a typed verification code (see [`crate::verify::verify_code`]), with a note
/// that the QR carries the content.
async fn code_page(
    state: &AppState,
    svc: std::sync::Arc<super::Services>,
    lang: Lang,
    code: String,
) -> Response {
    let log = state.log.clone();
    let found =
        tokio::task::spawn_blocking(move || crate::verify::verify_code(&svc.issuance, &log, &code))
            .await;
    let page = |status, verdict: Option<&Verdict>, plain, notice| {
        html_response(
            status,
            lang,
            render_page(lang, "/check", verdict, plain, notice),
        )
    };
    match found {
        Ok(Ok(verdict)) => page(
            StatusCode::OK,
            Some(&verdict),
            None,
            Some(lang.t("check-by-code")),
        ),
        Ok(Err(VerifyError::NoSuchCode(_) | VerifyError::BadCode(_))) => html_response(
            StatusCode::NOT_FOUND,
            lang,
            check_page(lang, Some(lang.t("check-code-unknown"))),
        ),
        Ok(Err(e)) => {
            tracing::error!(detail = %e, "code lookup failed");
            internal_error()
        }
        Err(e) => {
            tracing::error!(detail = %e, "code lookup task failed");
            internal_error()
        }
    }
}

/// The page for a verdict, or a plain message instead (`plain`: headline, sentence, and why —
/// for input that is not a Tanba code, or a share link that no longer works). `notice` is a
/// note under the verdict (what a share link shows).
pub(super) fn render_page(
    lang: Lang,
    path: &str,
    verdict: Option<&Verdict>,
    plain: Option<(String, String, Option<String>)>,
    notice: Option<String>,
) -> Result<String, minijinja::Error> {
    let t = |id: &str| lang.t(id);
    let langs = language_links(lang, path);
    let code = verdict.map_or(Code::Unknown, |v| v.status);
    let (headline, sentence, why) = match (verdict, plain) {
        (_, Some(plain)) => plain,
        (Some(v), None) => (
            t(&format!("word-{}", code.as_str())),
            code.sentence(lang.code()),
            v.reason.clone(),
        ),
        (None, None) => (t("word-unknown"), t("verdict-unknown"), None),
    };
    let mut document: Vec<(String, String)> = Vec::new();
    let mut ledger: Vec<(String, String)> = Vec::new();
    if let Some(v) = verdict {
        if let Some(d) = &v.document {
            let kind = serde_json::to_value(d.kind)
                .ok()
                .and_then(|k| k.as_str().map(str::to_string))
                .unwrap_or_default();
            document.push((t("field-kind"), t(&format!("kind-{kind}"))));
            for (name, value) in &d.claims {
                document.push((lang.claim_label(name), shown(lang, value)));
            }
            let issuer = match &d.issuer_names {
                Some(n) => format!(
                    "{} (BIN {})",
                    match lang {
                        Lang::Kk => &n.kk,
                        Lang::Ru => &n.ru,
                        Lang::En => &n.en,
                    },
                    d.issuer
                ),
                None => format!("BIN {}", d.issuer),
            };
            document.push((t("field-issuer"), issuer));
            document.push((t("field-issued-on"), d.issued_on.clone()));
            document.push((t("field-code"), d.verification_code.clone()));
            let version = match d.latest_version {
                Some(latest) => {
                    let mut args = FluentArgs::new();
                    args.set("version", d.version);
                    args.set("latest", latest);
                    lang.t_args("field-version-of", Some(&args))
                }
                None => d.version.to_string(),
            };
            document.push((t("field-version"), version));
            document.push((t("field-id"), d.id.to_string()));
        }
        match &v.detail {
            Some(Status::Revoked { on, reason }) | Some(Status::Terminated { on, reason }) => {
                document.push((t("field-status-date"), on.clone()));
                let reason = serde_json::to_value(reason)
                    .ok()
                    .and_then(|r| r.as_str().map(str::to_string))
                    .unwrap_or_default();
                let words = lang
                    .try_t(&format!("reason-{reason}"))
                    .unwrap_or_else(|| reason.replace('_', " "));
                document.push((t("field-status-reason"), words));
            }
            Some(Status::Superseded { by_version }) => {
                document.push((t("field-current"), by_version.to_string()));
            }
            _ => {}
        }
        if let Some(l) = &v.ledger {
            ledger.push((t("ledger-entry"), l.index.to_string()));
            ledger.push((t("ledger-checkpoint"), l.checkpoint_size.to_string()));
            ledger.push((t("ledger-origin"), l.origin.clone()));
            ledger.push((
                t("ledger-consistent"),
                t(if v.checks.ledger_inclusion == Some(true) {
                    "answer-yes"
                } else {
                    "answer-no"
                }),
            ));
        }
    }
    templates().get_template("verify.html")?.render(context! {
        lang => lang.code(),
        title => t("page-title"),
        lang_label => t("lang-name"),
        langs => langs,
        status => code.as_str(),
        icon => icon(code),
        headline => headline,
        sentence => sentence,
        why => why,
        why_label => t("why"),
        document_label => t("section-document"),
        document => (!document.is_empty()).then_some(document),
        ledger_label => t("section-ledger"),
        ledger => (!ledger.is_empty()).then_some(ledger),
        another => t("check-another"),
        notice => notice,
    })
}

/// A claim's value in words: codes (levels, honours, forms) translated, lists (subjects,
/// guardians, courses) one item after another, records by their fields, never raw JSON.
pub(super) fn shown(lang: Lang, value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::String(s) => lang
            .try_t(&format!("value-{s}"))
            .unwrap_or_else(|| s.clone()),
        Value::Bool(true) => lang.t("answer-yes"),
        Value::Bool(false) => lang.t("answer-no"),
        Value::Number(n) => n.to_string(),
        Value::Null => "—".to_string(),
        Value::Array(items) => items
            .iter()
            .map(|v| shown(lang, v))
            .collect::<Vec<_>>()
            .join("; "),
        Value::Object(fields) => fields
            .values()
            .filter(|v| !v.is_null())
            .map(|v| shown(lang, v))
            .collect::<Vec<_>>()
            .join(", "),
    }
}
