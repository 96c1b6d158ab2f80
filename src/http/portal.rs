//! The holder portal (`/my`) and the share links it makes (`/s/<token>`).
//!
//! | method and path | what |
//! |---|---|
//! | `GET /my` | sign-in form, or the signed-in holder's documents, downloads and share links |
//! | `POST /my/code` `iin` | sends a one-time code (the demo shows it on the page) |
//! | `POST /my/signin` `challenge, code` | checks it; sets the session cookie |
//! | `GET /my/oidc/start`, `/my/oidc/callback` | sign-in through eGov's OpenID Connect, when configured |
//! | `POST /my/signout` | ends the session |
//! | `POST /my/share` `credential, version, claims…, days` | a share link, shown once |
//! | `POST /my/share/{id}/revoke` | revokes one of the holder's links |
//! | `POST /my/apostille` `credential, version` | requests an e-Apostille for a document |
//! | `POST /my/apostille/paper` (multipart) `kind, file…` | …or for a paper document, from its scans |
//! | `GET /s/{token}` | what a share link shows: the verdict and the chosen claims |
//!
//! Server-rendered, no script, in kk/ru/en like the verification page. The session is the
//! `tnb_…` token of [`crate::accounts`] in an `HttpOnly`, `SameSite=Lax` cookie (`Secure` when
//! the public URL is HTTPS); changes are POSTs, which a Lax cookie does not accompany from
//! another site, and a POST whose `Origin` is another host is refused besides. Sign-in,
//! sharing and revoking are journalled like every other change.

use super::api::{self, Attempt, Caller, SESSION_COOKIE};
use super::error::ApiError;
use super::page::{self, LangQuery};
use super::{AppState, Services};
use crate::accounts::journal::Outcome;
use crate::accounts::{Principal, Role};
use crate::credential::ids::Iin;
use crate::credential::record::CredentialId;
use crate::holder::{self, HolderError, Share};
use crate::i18n::Lang;
use crate::verify::{self, Code};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use fluent_bundle::FluentArgs;
use minijinja::context;
use std::net::SocketAddr;
use std::sync::Arc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/my", get(home))
        .route("/my/code", post(send_code))
        .route("/my/signin", post(sign_in))
        .route("/my/signout", post(sign_out))
        .route("/my/share", post(share))
        .route("/my/share/{id}/revoke", post(revoke))
        .route("/my/apostille", post(request_apostille))
        .route("/my/oidc/start", get(oidc_start))
        .route("/my/oidc/callback", get(oidc_callback))
        .route("/s/{token}", get(open_share))
}

/// The paper-document request takes scans, under the cases' upload limit.
pub fn upload_router() -> Router<AppState> {
    Router::new().route("/my/apostille/paper", post(request_paper_apostille))
}

/// Form fields in order, repeated names kept (`claims` is one per ticked box).
pub(super) fn fields(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

pub(super) fn field<'f>(f: &'f [(String, String)], name: &str) -> Option<&'f str> {
    f.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn texts(lang: Lang) -> minijinja::Value {
    let t = |id: &str| lang.t(id);
    context! {
        signin_intro => t("my-signin-intro"), iin => t("my-iin"), send_code => t("my-send-code"),
        oidc => t("my-oidc"), code_sent => t("my-code-sent"), code => t("my-code"),
        signin => t("my-signin"), signout => t("my-signout"), no_documents => t("my-no-documents"),
        downloads => t("my-downloads"), share => t("my-share"), share_fields => t("my-share-fields"),
        share_days => t("my-share-days"), share_create => t("my-share-create"),
        new_link => t("my-new-link"), links => t("my-links"), link_created => t("my-link-created"),
        link_expires => t("my-link-expires"), link_fields => t("my-link-fields"),
        link_used => t("my-link-used"), link_state => t("my-link-state"), revoke => t("my-revoke"),
        apostille => t("my-apostille"), apostille_request => t("my-apostille-request"),
        apostille_pending => t("my-apostille-pending"), apostille_refused => t("my-apostille-refused"),
        apostille_issued => t("my-apostille-issued"),
        paper => t("my-paper"), paper_intro => t("my-paper-intro"), paper_kind => t("my-paper-kind"),
        paper_files => t("my-paper-files"), paper_send => t("my-paper-send"),
        paper_reading => t("my-paper-reading"), kind_diploma => t("kind-diploma"),
        kind_attestat => t("kind-attestat"),
    }
}

/// Renders `my.html` in `mode` (`signin`, `code` or `home`) with `extra` context.
fn my_page(
    svc: &Services,
    status: StatusCode,
    lang: Lang,
    mode: &str,
    error: Option<String>,
    extra: minijinja::Value,
) -> Response {
    let title = lang.t(match mode {
        "signin" => "my-title-signin",
        "code" => "my-title-code",
        _ => "my-title",
    });
    let html = page::templates().get_template("my.html").and_then(|t| {
        t.render(context! {
            lang => lang.code(),
            title => title,
            lang_label => lang.t("lang-name"),
            langs => page::language_links(lang, "/my"),
            mode => mode,
            signed_in => mode == "home",
            oidc => svc.oidc.is_some(),
            error => error,
            t => texts(lang),
            ..extra
        })
    });
    let mut resp = page::html_response(status, lang, html);
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-store"),
    );
    resp
}

/// A response that ends a request early: boxed, as it is large beside the `Ok` values.
pub(super) type Refusal = Box<Response>;

fn services(state: &AppState) -> Result<Arc<Services>, Refusal> {
    api::services(state).map_err(|e| Box::new(e.into_response()))
}

/// What every portal handler starts with: the page's language and the services; for a form
/// post (`post`), a refusal if another site sent it.
pub(super) fn prelude(
    state: &AppState,
    q: &LangQuery,
    headers: &HeaderMap,
    post: bool,
) -> Result<(Lang, Arc<Services>), Refusal> {
    let lang = page::chosen_lang(q, headers);
    let svc = services(state)?;
    if post {
        same_origin(&svc, headers)?;
    }
    Ok((lang, svc))
}

/// The signed-in holder, if the session cookie is valid and belongs to a holder.
async fn session(svc: &Services, headers: &HeaderMap, source: String) -> Option<Caller> {
    let token = api::cookie(headers, SESSION_COOKIE)?.to_string();
    let caller = Caller::from_token(svc, Ok(token), source).await.ok()?;
    match &caller.principal {
        Ok(p) if p.role == Role::Holder && p.iin.is_some() => Some(caller),
        _ => None,
    }
}

/// Refuses a change posted from another site (when the browser says where it came from).
fn same_origin(svc: &Services, headers: &HeaderMap) -> Result<(), Refusal> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return Ok(());
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin.split("://").nth(1).unwrap_or(origin);
    if Some(origin_host) == host || origin_host == svc.host {
        Ok(())
    } else {
        Err(Box::new(
            (
                StatusCode::FORBIDDEN,
                format!("a form from {origin} may not change anything here"),
            )
                .into_response(),
        ))
    }
}

pub(super) fn session_cookie(svc: &Services, token: &str, max_age: i64) -> header::HeaderValue {
    let secure = if svc.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    header::HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| header::HeaderValue::from_static(""))
}

pub(super) fn see_other(to: String, cookie: Option<header::HeaderValue>) -> Response {
    let mut resp = Redirect::to(&to).into_response();
    if let Some(c) = cookie {
        resp.headers_mut().insert(header::SET_COOKIE, c);
    }
    resp
}

/// `GET /my`: the sign-in form, or the holder's documents.
async fn home(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let (lang, svc) = match prelude(&state, &q, &headers, false) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    match session(&svc, &headers, addr.ip().to_string()).await {
        None => my_page(&svc, StatusCode::OK, lang, "signin", None, context! {}),
        Some(caller) => dashboard(svc, caller, lang, None).await,
    }
}

/// One document as the dashboard lists it.
fn document_entry(
    svc: &Services,
    lang: Lang,
    id: &CredentialId,
    shares: &[Share],
    apostilles: &[crate::review::apostille::Request],
) -> Result<minijinja::Value, ApiError> {
    let opened = svc
        .issuance
        .open_credential(id, None)
        .map_err(api::issue_error)?;
    let h = &opened.public.signed.header;
    let (_, status) = svc.issuance.status(id, None).map_err(api::issue_error)?;
    let kind = serde_json::to_value(h.kind)
        .ok()
        .and_then(|k| k.as_str().map(str::to_string))
        .unwrap_or_default();
    let issuer = svc
        .issuance
        .registry()
        .issuer(&h.issuer)
        .map(|i| match lang {
            Lang::Kk => i.names.kk.clone(),
            Lang::Ru => i.names.ru.clone(),
            Lang::En => i.names.en.clone(),
        })
        .unwrap_or_else(|| format!("BIN {}", h.issuer));
    let code = match status {
        crate::credential::lifecycle::Status::Valid => Code::Valid,
        crate::credential::lifecycle::Status::Revoked { .. } => Code::Revoked,
        crate::credential::lifecycle::Status::Superseded { .. } => Code::Superseded,
        crate::credential::lifecycle::Status::Terminated { .. } => Code::Terminated,
    };
    let rows = vec![
        (lang.t("field-issuer"), issuer.clone()),
        (lang.t("field-issued-on"), h.issued_on.clone()),
        (lang.t("field-version"), h.version.to_string()),
        (
            lang.t("field-status"),
            lang.t(&format!("word-{}", code.as_str())),
        ),
        (lang.t("field-code"), id.verification_code()),
    ];
    let claims: Vec<_> = opened
        .claims
        .keys()
        .map(|name| context! { name => name, label => lang.claim_label(name) })
        .collect();
    let now = crate::accounts::now();
    let shares: Vec<_> = shares
        .iter()
        .filter(|s| s.credential == id.to_string())
        .map(|s| {
            let state = if s.revoked.is_some() {
                "my-state-revoked"
            } else if !s.live(now) {
                "my-state-expired"
            } else {
                "my-state-live"
            };
            let mut args = FluentArgs::new();
            args.set("count", s.used);
            args.set(
                "last",
                s.uses
                    .last()
                    .map_or("none".to_string(), |t| holder::iso_minute(*t)),
            );
            context! {
                id => s.id,
                created => holder::iso_minute(s.created),
                expires => holder::iso_date(s.expires),
                fields => s.claims.iter().map(|c| lang.claim_label(c)).collect::<Vec<_>>().join(", "),
                used => lang.t_args("my-used", Some(&args)),
                state => lang.t(state),
                live => s.live(now),
            }
        })
        .collect();
    // The latest request for an apostille on this document, if any.
    let apostille = apostilles
        .iter()
        .rev()
        .find(|r| {
            r.document
                .ledger()
                .is_some_and(|d| d.credential == id.to_string())
        })
        .map(|r| {
            use crate::review::apostille::RequestState;
            match &r.state {
                RequestState::Pending => context! { state => "pending" },
                RequestState::Refused { reason, .. } => {
                    context! { state => "refused", reason => reason }
                }
                RequestState::Approved { apostille, .. } => context! {
                    state => "approved", number => apostille.number,
                    date => apostille.issued_on, url => apostille.verify_url,
                },
            }
        });
    Ok(context! {
        id => id.to_string(),
        version => h.version,
        title => format!("{} — {issuer}", lang.t(&format!("kind-{kind}"))),
        rows => rows,
        claims => claims,
        shares => shares,
        apostille => apostille,
        may_apostille => code == Code::Valid && h.kind != crate::credential::record::DocumentKind::Apostille
            && svc.apostilles.is_some(),
    })
}

/// The signed-in holder's page; `new_link` is a link just made (shown once).
async fn dashboard(
    svc: Arc<Services>,
    caller: Caller,
    lang: Lang,
    new_link: Option<(String, i64)>,
) -> Response {
    dashboard_with(svc, caller, lang, new_link, None).await
}

/// The dashboard, with an error from a change above it (and its status) when there was one.
async fn dashboard_with(
    svc: Arc<Services>,
    caller: Caller,
    lang: Lang,
    new_link: Option<(String, i64)>,
    error: Option<ApiError>,
) -> Response {
    let svc2 = svc.clone();
    let built = tokio::task::spawn_blocking(move || {
        let attempt = Attempt::new(&svc2, &caller, "portal.list", "");
        let p = attempt.principal()?;
        let iin = p.iin.clone().unwrap_or_default();
        let ids = svc2
            .issuance
            .credentials_of(&iin)
            .map_err(|e| attempt.fail(api::issue_error(e)))?;
        let shares = svc2
            .shares
            .list(&p.username)
            .map_err(|e| attempt.fail(ApiError::Internal(e.to_string())))?;
        let apostilles = match &svc2.apostilles {
            Some(a) => a
                .list()
                .map_err(|e| attempt.fail(ApiError::Internal(e.to_string())))?
                .into_iter()
                .filter(|r| r.holder_iin == iin)
                .collect(),
            None => Vec::new(),
        };
        let mut docs = Vec::new();
        for id in &ids {
            match document_entry(&svc2, lang, id, &shares, &apostilles) {
                Ok(d) => docs.push(d),
                // Erased personal data: nothing left to show or share.
                Err(ApiError::NotFound(_)) | Err(ApiError::Conflict(_)) => {}
                Err(e) => return Err(attempt.fail(e)),
            }
        }
        attempt.ok(&format!("{} documents", docs.len()))?;
        // Paper documents brought for an apostille, newest first.
        let papers: Vec<minijinja::Value> = apostilles
            .iter()
            .rev()
            .filter_map(|r| {
                let case = r.document.case()?;
                use crate::review::apostille::RequestState;
                let (state, number, date, url, reason) = match &r.state {
                    RequestState::Pending => ("pending", None, None, None, None),
                    RequestState::Approved { apostille, .. } => (
                        "approved",
                        Some(apostille.number.clone()),
                        Some(apostille.issued_on.clone()),
                        Some(apostille.verify_url.clone()),
                        None,
                    ),
                    RequestState::Refused { reason, .. } => {
                        ("refused", None, None, None, Some(reason.clone()))
                    }
                };
                Some(context! {
                    id => r.id, case => case, at => r.at,
                    kind => lang.t(&format!("kind-{}", r.document.kind())),
                    state => state, number => number, date => date, url => url, reason => reason,
                })
            })
            .collect();
        Ok((
            docs,
            papers,
            svc2.apostilles.is_some() && svc2.cases.is_some(),
        ))
    })
    .await;
    let (docs, papers, may_paper) = match built {
        Ok(Ok(d)) => d,
        Ok(Err(e)) => return e.into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let new_link = new_link.map(|(url, expires)| {
        let mut args = FluentArgs::new();
        args.set("expires", holder::iso_date(expires));
        context! { url => url, note => lang.t_args("my-new-link-note", Some(&args)) }
    });
    let (status, error) = ApiError::page_status(error);
    my_page(
        &svc,
        status,
        lang,
        "home",
        error,
        context! { documents => docs, new_link => new_link, papers => papers, may_paper => may_paper },
    )
}

/// `POST /my/apostille`: a request for an e-Apostille on one of the holder's documents,
/// checked at once — the document must verify as valid and its issuer as authorised.
async fn request_apostille(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (lang, svc) = match prelude(&state, &q, &headers, true) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let caller = match holder_for_change(&svc, &headers, addr, lang).await {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let f = fields(&body);
    let credential = field(&f, "credential").unwrap_or("").to_string();
    let version: u32 = field(&f, "version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let (svc2, log) = (svc.clone(), state.log.clone());
    let caller2 = Caller {
        principal: caller.principal.clone(),
        source: caller.source.clone(),
    };
    let done = api::blocking(move || {
        let (svc, caller) = (svc2, caller2);
        let attempt = Attempt::new(&svc, &caller, "portal.apostille_request", &credential);
        let p = attempt.principal()?;
        let iin = p.iin.clone().unwrap_or_default();
        let requests = svc.apostilles.as_ref().ok_or_else(|| {
            attempt.fail(ApiError::Unavailable(
                "this server issues no e-Apostilles".into(),
            ))
        })?;
        let id = CredentialId::parse(&credential)
            .map_err(|e| attempt.fail(ApiError::BadRequest(e.to_string())))?;
        let own = svc
            .issuance
            .credentials_of(&iin)
            .map_err(|e| attempt.fail(api::issue_error(e)))?;
        if !own.contains(&id) {
            return Err(attempt.fail(ApiError::Forbidden(format!(
                "document {credential} is not one of this holder's"
            ))));
        }
        let keep: Vec<String> = ["holder_name", "child_name", "series", "number"]
            .map(String::from)
            .to_vec();
        let verdict = verify::verify_shared(&svc.issuance, &log, &id, version, &keep)
            .map_err(|e| attempt.fail(ApiError::Internal(e.to_string())))?;
        let Some(doc) = &verdict.document else {
            return Err(attempt.fail(ApiError::NotFound(format!(
                "no document {credential} v{version}"
            ))));
        };
        let claim = |k: &str| doc.claims.get(k).and_then(|v| v.as_str()).unwrap_or("");
        let series_number = match (claim("series"), claim("number")) {
            ("", "") => doc.verification_code.clone(),
            (s, n) => format!("{s} {n}").trim().to_string(),
        };
        let check = crate::review::apostille::DocumentCheck {
            credential: id.to_string(),
            version,
            verification_code: doc.verification_code.clone(),
            kind: serde_json::to_value(doc.kind)
                .ok()
                .and_then(|k| k.as_str().map(str::to_string))
                .unwrap_or_default(),
            issuer: doc.issuer.clone(),
            issuer_name: doc
                .issuer_names
                .as_ref()
                .map(|n| n.ru.clone())
                .unwrap_or_else(|| doc.issuer.clone()),
            issued_on: doc.issued_on.clone(),
            status: verdict.status.as_str().to_string(),
            issuer_authorised: verdict.checks.issuer_authorised,
            holder_name: [claim("holder_name"), claim("child_name")]
                .into_iter()
                .find(|n| !n.is_empty())
                .unwrap_or("")
                .to_string(),
            series_number,
        };
        let r = requests
            .request(&p.username, &iin, check)
            .map_err(|e| attempt.fail(ApiError::Conflict(e.to_string())))?;
        attempt.ok(&format!("request {}", r.id))?;
        Ok(())
    })
    .await;
    match done {
        Ok(()) => see_other(format!("/my?lang={}", lang.code()), None),
        Err(e) => dashboard_with(svc, caller, lang, None, Some(e)).await,
    }
}

/// Kinds of paper document a holder may bring for an apostille.
const PAPER_KINDS: [(&str, crate::intake::ForeignKind); 2] = [
    ("diploma", crate::intake::ForeignKind::Diploma),
    ("attestat", crate::intake::ForeignKind::Attestat),
];

/// `POST /my/apostille/paper`: a request for an e-Apostille on a paper document issued in
/// Kazakhstan. Its scans are opened as a case (purpose `apostille`, country KZ, the holder's
/// IIN and birth date), read and checked in the background against Kazakh references; the
/// request waits for an apostille officer, who sees the case's findings.
async fn request_paper_apostille(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    mut form: axum::extract::Multipart,
) -> Response {
    let (lang, svc) = match prelude(&state, &q, &headers, true) {
        Ok(p) => p,
        Err(r) => {
            super::cases::drain(&mut form).await;
            return *r;
        }
    };
    let caller = match holder_for_change(&svc, &headers, addr, lang).await {
        Ok(c) => c,
        Err(r) => {
            super::cases::drain(&mut form).await;
            return *r;
        }
    };
    let (kind, files, malformed) = match super::cases::read_upload(&mut form, "kind").await {
        Ok(u) => (
            u.text
                .map(|k| String::from_utf8_lossy(&k).trim().to_string()),
            u.files,
            None,
        ),
        Err(m) => (None, Vec::new(), Some(m)),
    };
    let svc2 = svc.clone();
    let caller2 = Caller {
        principal: caller.principal.clone(),
        source: caller.source.clone(),
    };
    let done = api::blocking(move || {
        let (svc, caller) = (svc2, caller2);
        let attempt = Attempt::new(&svc, &caller, "portal.apostille_paper", "");
        let p = attempt.principal()?;
        if let Some(m) = malformed {
            return Err(attempt.fail(ApiError::BadRequest(m)));
        }
        let (Some(requests), Some(jobs)) = (svc.apostilles.as_ref(), svc.cases.as_ref()) else {
            return Err(attempt.fail(ApiError::Unavailable(
                "this server takes no paper documents for an apostille".into(),
            )));
        };
        let kind = kind.unwrap_or_default();
        let Some((kind, foreign_kind)) = PAPER_KINDS.iter().find(|(k, _)| *k == kind) else {
            return Err(attempt.fail(ApiError::Unprocessable(format!(
                "kind: {kind:?} is not one of diploma, attestat"
            ))));
        };
        if files.is_empty() {
            return Err(attempt.fail(ApiError::Unprocessable(
                "file: attach at least one scan or photo of the document (JPEG, PNG, TIFF or PDF)"
                    .into(),
            )));
        }
        if files.len() > super::cases::MAX_CASE_FILES {
            return Err(attempt.fail(ApiError::Unprocessable(format!(
                "file: {} were sent; at most {}",
                files.len(),
                super::cases::MAX_CASE_FILES
            ))));
        }
        let iin = p.iin.clone().unwrap_or_default();
        let application = crate::intake::Application::paper_apostille(&iin, *foreign_kind)
            .map_err(|e| attempt.fail(ApiError::Forbidden(e.to_string())))?;
        let case = jobs
            .submit(&application, files)
            .map_err(|e| attempt.fail(super::cases::case_error(e)))?;
        let r = requests
            .request_paper(&p.username, &iin, &case, kind)
            .map_err(|e| attempt.fail(ApiError::Conflict(e.to_string())))?;
        Attempt::new(&svc, &caller, "portal.apostille_paper", &case)
            .ok(&format!("request {}", r.id))?;
        Ok(())
    })
    .await;
    match done {
        Ok(()) => see_other(format!("/my?lang={}", lang.code()), None),
        Err(e) => dashboard_with(svc, caller, lang, None, Some(e)).await,
    }
}

/// `POST /my/code`: checks the IIN and sends a code.
async fn send_code(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (lang, svc) = match prelude(&state, &q, &headers, true) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    // Each code costs the sender's allowance like a verification does.
    if let Err(e) = super::verify::charge(&svc, addr, 10) {
        return e.into_response();
    }
    let again =
        |status, id: &str| my_page(&svc, status, lang, "signin", Some(lang.t(id)), context! {});
    let Some(sender) = svc.code_sender.as_ref() else {
        return again(StatusCode::SERVICE_UNAVAILABLE, "my-no-gateway");
    };
    let f = fields(&body);
    let Some(iin) = field(&f, "iin").and_then(|i| Iin::parse("iin", i).ok()) else {
        return again(StatusCode::UNPROCESSABLE_ENTITY, "my-bad-iin");
    };
    let iin = iin.to_string();
    let (challenge, code) = match svc.codes.start(&iin) {
        Ok(c) => c,
        Err(HolderError::TooManyCodes) | Err(HolderError::Busy) => {
            return again(StatusCode::TOO_MANY_REQUESTS, "my-too-many");
        }
        Err(e) => return ApiError::Internal(e.to_string()).into_response(),
    };
    let shown = match sender.send(&iin, &code) {
        Ok(shown) => shown,
        Err(e) => {
            tracing::error!(detail = %e, "one-time code not delivered");
            return again(StatusCode::SERVICE_UNAVAILABLE, "my-no-gateway");
        }
    };
    let demo_code = shown.map(|c| {
        let mut args = FluentArgs::new();
        args.set("code", c);
        lang.t_args("my-demo-code", Some(&args))
    });
    my_page(
        &svc,
        StatusCode::OK,
        lang,
        "code",
        None,
        context! { challenge => challenge, demo_code => demo_code },
    )
}

/// `POST /my/signin`: the code checked, a holder session started.
async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (lang, svc) = match prelude(&state, &q, &headers, true) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let f = fields(&body);
    let (challenge, code) = (
        field(&f, "challenge").unwrap_or(""),
        field(&f, "code").unwrap_or(""),
    );
    let iin = svc.codes.finish(challenge, code);
    let svc2 = svc.clone();
    let source = addr.ip().to_string();
    let started = tokio::task::spawn_blocking(move || match iin {
        Ok(iin) => {
            let username = svc2.issuance.holder_account(&iin);
            let token = svc2
                .accounts
                .holder_session(&username, &iin, "one-time code")
                .map_err(|e| e.to_string());
            journal_sign_in(&svc2, &username, &source, "one-time code", &token);
            token.map_err(|_| "my-bad-code")
        }
        Err(_) => {
            journal_sign_in(
                &svc2,
                "anonymous",
                &source,
                "one-time code",
                &Err("wrong code".into()),
            );
            Err("my-bad-code")
        }
    })
    .await;
    match started {
        Ok(Ok(token)) => see_other(
            format!("/my?lang={}", lang.code()),
            Some(session_cookie(
                &svc,
                &token,
                crate::accounts::SESSION_SECONDS,
            )),
        ),
        Ok(Err(id)) => my_page(
            &svc,
            StatusCode::UNAUTHORIZED,
            lang,
            "signin",
            Some(lang.t(id)),
            context! {},
        ),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `GET /my/oidc/start`: off to the identity provider.
async fn oidc_start(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let (lang, svc) = match prelude(&state, &q, &headers, false) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    if let Err(e) = super::verify::charge(&svc, addr, 10) {
        return e.into_response();
    }
    let svc2 = svc.clone();
    let url = tokio::task::spawn_blocking(move || match &svc2.oidc {
        None => Err(ApiError::NotFound(
            "sign-in through eGov is not configured here".into(),
        )),
        Some(o) => o
            .start(lang.code())
            .map_err(|e| ApiError::Unavailable(e.to_string())),
    })
    .await;
    match url {
        Ok(Ok(url)) => see_other(url, None),
        Ok(Err(e)) => e.into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

#[derive(serde::Deserialize)]
struct Callback {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
}

/// `GET /my/oidc/callback`: back from the provider; the code redeemed, a session started.
async fn oidc_callback(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Query(cb): Query<Callback>,
    headers: HeaderMap,
) -> Response {
    // The language the holder started in, if the flow is found; else their browser's.
    let mut lang = Lang::from_accept_language(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let svc = match services(&state) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let svc2 = svc.clone();
    let source = addr.ip().to_string();
    let started = tokio::task::spawn_blocking(move || {
        let Some(oidc) = &svc2.oidc else {
            return (
                Err("sign-in through eGov is not configured here".to_string()),
                None,
            );
        };
        let mut started_in = None;
        let iin = match (&cb.state, &cb.code, &cb.error) {
            (_, _, Some(e)) => Err(format!("the provider said: {e}")),
            (Some(s), Some(c), None) => match oidc.finish(s, c) {
                Ok((iin, carried)) => {
                    started_in = Lang::parse(&carried);
                    Ok(iin)
                }
                Err(e) => Err(e.to_string()),
            },
            _ => Err("the callback carries no state and code".to_string()),
        };
        let (username, token) = match iin {
            Ok(iin) => {
                let username = svc2.issuance.holder_account(&iin);
                let token = svc2
                    .accounts
                    .holder_session(&username, &iin, "eGov OpenID Connect")
                    .map_err(|e| e.to_string());
                (username, token)
            }
            Err(e) => ("anonymous".to_string(), Err(e)),
        };
        journal_sign_in(&svc2, &username, &source, "OpenID Connect", &token);
        (token, started_in)
    })
    .await
    .map(|(token, started_in)| {
        lang = started_in.unwrap_or(lang);
        token
    });
    match started {
        Ok(Ok(token)) => see_other(
            format!("/my?lang={}", lang.code()),
            Some(session_cookie(
                &svc,
                &token,
                crate::accounts::SESSION_SECONDS,
            )),
        ),
        Ok(Err(why)) => my_page(
            &svc,
            StatusCode::UNAUTHORIZED,
            lang,
            "signin",
            Some(why),
            context! {},
        ),
        Err(e) => ApiError::from(e).into_response(),
    }
}

fn journal_sign_in(
    svc: &Services,
    who: &str,
    source: &str,
    how: &str,
    result: &Result<String, String>,
) {
    let (outcome, detail) = match result {
        Ok(_) => (Outcome::Ok, how.to_string()),
        Err(e) => (Outcome::Refused, e.clone()),
    };
    let line = crate::accounts::journal::JournalLine {
        n: 0,
        at: String::new(),
        who: who.to_string(),
        role: Some(Role::Holder),
        org: None,
        action: "portal.sign_in".into(),
        target: String::new(),
        source: source.to_string(),
        outcome,
        detail,
    };
    if let Err(e) = svc.journal.record(line) {
        tracing::error!(detail = %e, "journal write failed");
    }
}

/// `POST /my/signout`.
async fn sign_out(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let (lang, svc) = match prelude(&state, &q, &headers, true) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    if let Some(token) = api::cookie(&headers, SESSION_COOKIE).map(str::to_string) {
        let accounts = svc.accounts.clone();
        // An already invalid token is as good as revoked.
        let _ = tokio::task::spawn_blocking(move || accounts.revoke_token(&token)).await;
    }
    see_other(
        format!("/my?lang={}", lang.code()),
        Some(session_cookie(&svc, "", 0)),
    )
}

/// The signed-in holder for a change (its origin already checked), or the sign-in page.
async fn holder_for_change(
    svc: &Arc<Services>,
    headers: &HeaderMap,
    addr: SocketAddr,
    lang: Lang,
) -> Result<Caller, Refusal> {
    match session(svc, headers, addr.ip().to_string()).await {
        Some(c) => Ok(c),
        None => Err(Box::new(see_other(
            format!("/my?lang={}", lang.code()),
            None,
        ))),
    }
}

/// `POST /my/share`: a share link for one of the holder's documents.
async fn share(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (lang, svc) = match prelude(&state, &q, &headers, true) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let caller = match holder_for_change(&svc, &headers, addr, lang).await {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let f = fields(&body);
    let claims: Vec<String> = f
        .iter()
        .filter(|(k, v)| k == "claims" && !v.is_empty())
        .map(|(_, v)| v.clone())
        .collect();
    let credential = field(&f, "credential").unwrap_or("").to_string();
    let version = field(&f, "version").and_then(|v| v.parse::<u32>().ok());
    let days = field(&f, "days").and_then(|d| d.parse::<i64>().ok());
    let svc2 = svc.clone();
    let made = tokio::task::spawn_blocking(move || {
        let attempt = Attempt::new(&svc2, &caller, "portal.share", &credential);
        let id = CredentialId::parse(&credential)
            .map_err(|e| attempt.fail(ApiError::BadRequest(e.to_string())))?;
        let (opened, _) = api::open_for(&svc2, &attempt, &id, version)?;
        let version = opened.public.signed.header.version;
        if let Some(unknown) = claims.iter().find(|c| !opened.claims.contains_key(*c)) {
            return Err(attempt.fail(ApiError::BadRequest(format!(
                "claims: the document has no claim {unknown:?}"
            ))));
        }
        let p: &Principal = attempt.principal()?;
        let (share, token) = svc2
            .shares
            .create(&p.username, &id, version, claims, days.unwrap_or(0))
            .map_err(|e| {
                attempt.fail(match e {
                    HolderError::BadShare(m) => ApiError::BadRequest(m),
                    other => ApiError::Internal(other.to_string()),
                })
            })?;
        attempt.ok(&format!(
            "link {} to v{version}: {} until {}",
            share.id,
            share.claims.join(","),
            holder::iso_date(share.expires)
        ))?;
        Ok((share, token, caller))
    })
    .await;
    match made {
        Ok(Ok((share, token, caller))) => {
            let url = format!("{}/s/{token}", svc.public_url.trim_end_matches('/'));
            dashboard(svc, caller, lang, Some((url, share.expires))).await
        }
        Ok(Err(ApiError::BadRequest(m))) if m.starts_with("claims:") => {
            match session(&svc, &headers, addr.ip().to_string()).await {
                Some(c) => {
                    let mut r = dashboard(svc, c, lang, None).await;
                    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
                    r
                }
                None => see_other(format!("/my?lang={}", lang.code()), None),
            }
        }
        Ok(Err(e)) => e.into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `POST /my/share/{id}/revoke`.
async fn revoke(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let (lang, svc) = match prelude(&state, &q, &headers, true) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let caller = match holder_for_change(&svc, &headers, addr, lang).await {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let svc2 = svc.clone();
    let done = tokio::task::spawn_blocking(move || {
        let attempt = Attempt::new(&svc2, &caller, "portal.share_revoke", &id);
        let p = attempt.principal()?;
        match svc2.shares.revoke(&p.username, &id) {
            Ok(_) => attempt.ok("revoked"),
            Err(HolderError::NoShare(m)) => {
                Err(attempt.fail(ApiError::NotFound(format!("no share link {m} of yours"))))
            }
            Err(e) => Err(attempt.fail(ApiError::Internal(e.to_string()))),
        }
    })
    .await;
    match done {
        Ok(Ok(())) => see_other(format!("/my?lang={}", lang.code()), None),
        Ok(Err(e)) => e.into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `GET /s/{token}`: the shared document, verified, with only the claims the holder chose.
async fn open_share(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let (lang, svc) = match prelude(&state, &q, &headers, false) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    if let Err(e) = super::verify::charge(&svc, addr, 1) {
        return e.into_response();
    }
    let path = format!("/s/{token}");
    let log = state.log.clone();
    let svc2 = svc.clone();
    let result = tokio::task::spawn_blocking(move || {
        let share = svc2.shares.open(&token)?;
        let id = CredentialId::parse(&share.credential)
            .map_err(|e| HolderError::BadShare(e.to_string()))?;
        let verdict =
            verify::verify_shared(&svc2.issuance, &log, &id, share.version, &share.claims)
                .map_err(|e| HolderError::BadShare(e.to_string()))?;
        let total = svc2
            .issuance
            .public_record(&id, Some(share.version))
            .map(|(_, p)| p.signed.header.digests.len())
            .unwrap_or(0);
        Ok::<_, HolderError>((share, verdict, total))
    })
    .await;
    let gone = |status: StatusCode, sentence: String| {
        page::html_response(
            status,
            lang,
            page::render_page(
                lang,
                &path,
                None,
                Some((lang.t("share-gone-title"), sentence, None)),
                None,
            ),
        )
    };
    match result {
        Ok(Ok((share, verdict, total))) => {
            let mut args = FluentArgs::new();
            args.set(
                "shown",
                verdict.document.as_ref().map_or(0, |d| d.claims.len()),
            );
            args.set("total", total);
            args.set("expires", holder::iso_date(share.expires));
            let notice = lang.t_args("share-notice", Some(&args));
            page::html_response(
                StatusCode::OK,
                lang,
                page::render_page(lang, &path, Some(&verdict), None, Some(notice)),
            )
        }
        Ok(Err(HolderError::NoShare(_))) => gone(StatusCode::NOT_FOUND, lang.t("share-unknown")),
        Ok(Err(HolderError::Expired(date))) => {
            let mut args = FluentArgs::new();
            args.set("date", date);
            gone(StatusCode::GONE, lang.t_args("share-expired", Some(&args)))
        }
        Ok(Err(HolderError::Revoked(date))) => {
            let mut args = FluentArgs::new();
            args.set("date", date);
            gone(StatusCode::GONE, lang.t_args("share-revoked", Some(&args)))
        }
        Ok(Err(e)) => {
            tracing::error!(detail = %e, "share link failed");
            page::internal_error()
        }
        Err(e) => {
            tracing::error!(detail = %e, "share task failed");
            page::internal_error()
        }
    }
}
