//! The JSON API for people and systems who change state, under `/api/v1`.
//!
//! | method and path | who | what |
//! |---|---|---|
//! | `POST /api/v1/login` `{username, password}` | anyone | a session token (12 h) |
//! | `POST /api/v1/logout` | any principal | revokes the token used |
//! | `GET/POST /api/v1/accounts` | admin | list / create accounts |
//! | `POST /api/v1/accounts/{user}/tokens` `{label}` | admin, or the user | an API token, shown once |
//! | `GET /api/v1/journal?user=&since=&until=&limit=` | admin | the audit journal |
//! | `POST /api/v1/credentials` (a document, JSON) | issuer operator | issues one document |
//! | `POST /api/v1/credentials/bulk?kind=K[&skip_bad_rows=true]` (CSV or XLSX body) | issuer operator | issues a cohort |
//! | `GET /api/v1/credentials/{id}[?version=N]` | its issuer's operator, its holder, admin | the document, status and history |
//! | `GET /api/v1/credentials/{id}/document.pdf`, `/vc.json`, `/qr.png`, `/sd-jwt` | same | re-access: the same files again (the SD-JWT VC with every disclosure) |
//! | `POST /api/v1/credentials/{id}/status` `{action, reason, on?}` | its issuer's operator | revoke, reinstate, terminate |
//! | `POST /api/v1/credentials/{id}/amend` (the corrected document) | its issuer's operator | a new version |
//! | `GET /api/v1/me/credentials` | holder | the holder's documents |
//!
//! Requests carry `Authorization: Bearer tnb_…`; reads (`GET`) may instead carry the holder
//! portal's session cookie. Every attempt to change state — and every
//! read of personal data — writes a journal line before the response goes out, refusals
//! included. Work runs on blocking threads: it signs, writes the store and waits for the
//! ledger's durable commit.

use super::error::ApiError;
use super::{AppState, Services};
use crate::accounts::journal::{JournalLine, Outcome, Query};
use crate::accounts::{Action, NewAccount, Principal, Role};
use crate::credential::lifecycle::{Action as StatusAction, Reason};
use crate::credential::record::{CredentialId, DocumentKind};
use crate::issuance::bulk::{self, BulkOutcome};
use crate::issuance::output::{self, Artifacts};
use crate::issuance::{Document, IssueError, IssuedCredential, StatusRequest};
use crate::store::StoreError;
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query as UrlQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/login", post(login))
        .route("/api/v1/logout", post(logout))
        .route("/api/v1/accounts", get(list_accounts).post(create_account))
        .route("/api/v1/accounts/{user}/tokens", post(create_token))
        .route("/api/v1/journal", get(journal))
        .route("/api/v1/credentials", post(issue_one))
        .route("/api/v1/credentials/{id}", get(read_credential))
        .route("/api/v1/credentials/{id}/{file}", get(read_file))
        .route("/api/v1/credentials/{id}/status", post(change_status))
        .route("/api/v1/credentials/{id}/amend", post(amend))
        .route("/api/v1/me/credentials", get(my_credentials))
}

/// Routes whose bodies may exceed the general limit (up to [`super::MAX_UPLOAD_BYTES`]).
pub fn upload_router() -> Router<AppState> {
    Router::new().route("/api/v1/credentials/bulk", post(issue_bulk))
}

/// The cookie that carries a holder portal session (the same `tnb_…` token as a bearer).
pub const SESSION_COOKIE: &str = "tanba_session";

/// The value of cookie `name`, if the request sent it.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Who called, and from where.
pub struct Caller {
    pub(super) principal: Result<Principal, String>,
    pub(super) source: String,
}

impl Caller {
    /// The caller a token (or the reason there is none) stands for.
    pub(super) async fn from_token(
        svc: &Services,
        token: Result<String, String>,
        source: String,
    ) -> Result<Self, ApiError> {
        let principal = match token {
            Err(why) => Err(why),
            Ok(token) => {
                let accounts = svc.accounts.clone();
                tokio::task::spawn_blocking(move || accounts.authenticate(&token))
                    .await?
                    .map_err(|e| e.to_string())
            }
        };
        Ok(Caller { principal, source })
    }
}

/// The client address of a request, as the journal records it.
pub fn source_of(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    /// A bearer token; for reads (`GET`) alone, the portal's session cookie also serves, so a
    /// signed-in holder's download links work — a cookie never authorises a change here.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let svc = services(state)?;
        let token = match parts.headers.get(header::AUTHORIZATION) {
            None => match cookie(&parts.headers, SESSION_COOKIE) {
                Some(t) if parts.method == axum::http::Method::GET => Ok(t.to_string()),
                _ => Err("no Authorization: Bearer token was sent".to_string()),
            },
            Some(v) => match v.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")) {
                None => Err("the Authorization header must be `Bearer <token>`".to_string()),
                Some(token) => Ok(token.to_string()),
            },
        };
        Caller::from_token(&svc, token, source_of(parts)).await
    }
}

pub(super) fn services(state: &AppState) -> Result<Arc<Services>, ApiError> {
    state
        .services
        .clone()
        .ok_or_else(|| ApiError::Unavailable("this server runs without issuance services".into()))
}

/// One journalled attempt: every way out of a handler records its outcome.
pub(super) struct Attempt<'a> {
    svc: &'a Services,
    caller: &'a Caller,
    action: &'static str,
    target: String,
    claimed: Option<String>,
}

impl<'a> Attempt<'a> {
    pub(super) fn new(
        svc: &'a Services,
        caller: &'a Caller,
        action: &'static str,
        target: &str,
    ) -> Self {
        Attempt {
            svc,
            caller,
            action,
            target: target.to_string(),
            claimed: None,
        }
    }

    /// Names who the anonymous caller claims to be (a user name signing in), for the journal.
    pub(super) fn claim(&mut self, who: &str) {
        self.claimed = Some(who.to_string());
    }

    pub(super) fn record(&self, outcome: Outcome, detail: &str) -> Result<(), ApiError> {
        let p = self.caller.principal.as_ref().ok();
        let line = JournalLine {
            n: 0,
            at: String::new(),
            who: p
                .map(|p| p.username.clone())
                .or_else(|| self.claimed.clone())
                .unwrap_or_else(|| "anonymous".into()),
            role: p.map(|p| p.role),
            org: p.and_then(|p| p.org.clone()),
            action: self.action.into(),
            target: self.target.clone(),
            source: self.caller.source.clone(),
            outcome,
            detail: detail.chars().take(500).collect(),
        };
        // A change that cannot be journalled must not be reported as done.
        self.svc
            .journal
            .record(line)
            .map(|_| ())
            .map_err(|e| ApiError::Internal(format!("audit journal: {e}")))
    }

    /// The authenticated principal, or a journalled 401.
    pub(super) fn principal(&self) -> Result<&'a Principal, ApiError> {
        match &self.caller.principal {
            Ok(p) => Ok(p),
            Err(why) => {
                self.record(Outcome::Refused, why)?;
                Err(ApiError::Unauthorized(why.clone()))
            }
        }
    }

    /// Authenticated and authorised, or a journalled 401/403.
    pub(super) fn authorise(&self, action: &Action<'_>) -> Result<&'a Principal, ApiError> {
        let p = self.principal()?;
        p.authorise(action)
            .map_err(|why| match self.record(Outcome::Refused, &why) {
                Ok(()) => ApiError::Forbidden(why),
                Err(e) => e,
            })?;
        Ok(p)
    }

    /// Journals a failure and passes the error on.
    pub(super) fn fail(&self, e: ApiError) -> ApiError {
        let (outcome, detail) = match &e {
            ApiError::Forbidden(m) => (Outcome::Refused, m.clone()),
            ApiError::BadRequest(m)
            | ApiError::Unprocessable(m)
            | ApiError::Conflict(m)
            | ApiError::NotFound(m)
            | ApiError::TooLarge(m)
            | ApiError::Unauthorized(m)
            | ApiError::Unavailable(m)
            | ApiError::Internal(m)
            | ApiError::TooManyRequests { message: m, .. } => (Outcome::Failed, m.clone()),
        };
        match self.record(outcome, &detail) {
            Ok(()) => e,
            Err(journal) => journal,
        }
    }

    pub(super) fn ok(&self, detail: &str) -> Result<(), ApiError> {
        self.record(Outcome::Ok, detail)
    }
}

/// Runs blocking work (signing, store writes, waiting for the ledger) off the async threads.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await?
}

pub(super) fn issue_error(e: IssueError) -> ApiError {
    match e {
        // The registry refusing the issuer (key revoked or expired, kind not permitted) is a
        // matter of authority, not of the document's content.
        IssueError::Invalid(rows)
            if rows
                .iter()
                .all(|r| r.errors.iter().all(|e| e.field == "issuer")) =>
        {
            ApiError::Forbidden(
                rows.iter()
                    .flat_map(|r| r.errors.iter().map(|e| e.rule.clone()))
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        }
        IssueError::Invalid(rows) => ApiError::Unprocessable(
            rows.iter()
                .flat_map(|r| r.errors.iter().map(|e| e.to_string()))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        IssueError::Issuer(..) | IssueError::Registry(_) => ApiError::Forbidden(e.to_string()),
        IssueError::Unknown(_) => ApiError::NotFound(e.to_string()),
        IssueError::Erased(_) => ApiError::NotFound(e.to_string()),
        IssueError::Lifecycle(m) => ApiError::Conflict(m),
        IssueError::Store(StoreError::Conflict { .. }) => ApiError::Conflict(e.to_string()),
        IssueError::Ledger(_) => ApiError::Unavailable(e.to_string()),
        IssueError::Store(_) | IssueError::Corrupt(..) => ApiError::Internal(e.to_string()),
    }
}

pub(super) fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

fn parse_id(s: &str) -> Result<CredentialId, ApiError> {
    CredentialId::parse(s).map_err(|e| ApiError::BadRequest(e.to_string()))
}

fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("{what}: {e}")))
}

fn issuer_key(
    svc: &Services,
    bin: &str,
) -> Result<crate::credential::issuer_key::IssuerSigningKey, ApiError> {
    (svc.issuer_keys)(bin).ok_or_else(|| {
        ApiError::Conflict(format!(
            "this deployment holds no signing key for issuer {bin}"
        ))
    })
}

/// Links and codes of an issued version, as returned after issuance.
fn issued_json(svc: &Services, c: &IssuedCredential) -> Value {
    let id = c.id.to_string();
    let base = format!("/api/v1/credentials/{id}");
    json!({
        "id": id,
        "version": c.version,
        "kind": c.signed.header.kind,
        "verification_code": c.id.verification_code(),
        "ledger_index": c.ledger_index,
        "links": {
            "self": format!("{base}?version={}", c.version),
            "pdf": format!("{base}/document.pdf?version={}", c.version),
            "vc": format!("{base}/vc.json?version={}", c.version),
            "qr": format!("{base}/qr.png?version={}", c.version),
            "check": format!("{}/check", svc.public_url.trim_end_matches('/')),
        },
    })
}

// --- sign-in and accounts --------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    username: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let svc = services(&state)?;
    blocking(move || {
        let mut attempt = Attempt::new(&svc, &caller, "session.login", "");
        let req: Login = parse_json(&body, "login").map_err(|e| attempt.fail(e))?;
        attempt.target = req.username.clone();
        attempt.claimed = Some(req.username.clone());
        match svc.accounts.login(&req.username, &req.password) {
            Ok(token) => {
                attempt.ok("session opened")?;
                Ok(Json(json!({
                    "token": token,
                    "expires_in": crate::accounts::SESSION_SECONDS,
                }))
                .into_response())
            }
            Err(e) => {
                attempt.record(Outcome::Refused, &e.to_string())?;
                Err(ApiError::Unauthorized(e.to_string()))
            }
        }
    })
    .await
}

async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    let svc = services(&state)?;
    blocking(move || {
        let attempt = Attempt::new(&svc, &caller, "session.logout", "");
        let p = attempt.principal()?;
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        svc.accounts
            .revoke_token(token)
            .map_err(|e| attempt.fail(ApiError::Unauthorized(e.to_string())))?;
        attempt.ok(&format!("token {} revoked", p.token_id))?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
    .await
}

async fn create_account(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let svc = services(&state)?;
    blocking(move || {
        let mut attempt = Attempt::new(&svc, &caller, "account.create", "");
        attempt.authorise(&Action::ManageAccounts)?;
        let new: NewAccount = parse_json(&body, "account").map_err(|e| attempt.fail(e))?;
        attempt.target = new.username.clone();
        let account = svc.accounts.create(new).map_err(|e| {
            attempt.fail(match e {
                crate::accounts::AccountError::Exists(_) => ApiError::Conflict(e.to_string()),
                crate::accounts::AccountError::Store(_) => ApiError::Internal(e.to_string()),
                _ => ApiError::Unprocessable(e.to_string()),
            })
        })?;
        attempt.ok(&format!("role {:?}", account.role))?;
        let mut v =
            serde_json::to_value(&account).map_err(|e| ApiError::Internal(e.to_string()))?;
        if let Some(o) = v.as_object_mut() {
            o.remove("password");
        }
        Ok((StatusCode::CREATED, Json(v)).into_response())
    })
    .await
}

async fn list_accounts(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let svc = services(&state)?;
    blocking(move || {
        let attempt = Attempt::new(&svc, &caller, "account.list", "");
        attempt.authorise(&Action::ManageAccounts)?;
        let list = svc
            .accounts
            .list()
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok(Json(json!({ "accounts": list })).into_response())
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    #[serde(default)]
    label: String,
}

async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(user): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let svc = services(&state)?;
    blocking(move || {
        let attempt = Attempt::new(&svc, &caller, "token.create", &user);
        let p = attempt.principal()?;
        if p.username != user {
            attempt.authorise(&Action::ManageAccounts)?;
        }
        let req: TokenRequest = if body.is_empty() {
            TokenRequest::default()
        } else {
            parse_json(&body, "token request").map_err(|e| attempt.fail(e))?
        };
        let token = svc
            .accounts
            .create_token(&user, &req.label)
            .map_err(|e| attempt.fail(ApiError::NotFound(e.to_string())))?;
        attempt.ok(&format!("label {:?}", req.label))?;
        Ok((StatusCode::CREATED, Json(json!({ "token": token }))).into_response())
    })
    .await
}

async fn journal(
    State(state): State<AppState>,
    caller: Caller,
    UrlQuery(q): UrlQuery<Query>,
) -> Result<Response, ApiError> {
    let svc = services(&state)?;
    blocking(move || {
        let attempt = Attempt::new(&svc, &caller, "journal.read", "");
        attempt.authorise(&Action::ReadJournal)?;
        let lines = svc.journal.query(&q).map_err(ApiError::BadRequest)?;
        Ok(Json(json!({ "lines": lines })).into_response())
    })
    .await
}

// --- issuance --------------------------------------------------------------------------------

/// The organisation an operator issues for.
fn operator_org<'p>(attempt: &Attempt<'_>, p: &'p Principal) -> Result<&'p str, ApiError> {
    match (p.role, p.org.as_deref()) {
        (Role::IssuerOperator, Some(bin)) => Ok(bin),
        _ => {
            attempt.authorise(&Action::Issue { bin: "" })?;
            Err(ApiError::Forbidden("not an issuer operator".into()))
        }
    }
}

async fn issue_one(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let svc = services(&state)?;
    blocking(move || {
        let mut attempt = Attempt::new(&svc, &caller, "credential.issue", "");
        let p = attempt.principal()?;
        let bin = operator_org(&attempt, p)?;
        attempt.target = bin.to_string();
        attempt.authorise(&Action::Issue { bin })?;
        let doc: Document = parse_json(&body, "document").map_err(|e| attempt.fail(e))?;
        let key = issuer_key(&svc, bin).map_err(|e| attempt.fail(e))?;
        let issued = svc
            .issuance
            .issue_batch(bin, &key, std::slice::from_ref(&doc), today())
            .map_err(|e| attempt.fail(issue_error(e)))?;
        let c = &issued[0];
        attempt.ok(&format!("issued {} v{}", c.id, c.version))?;
        Ok((StatusCode::CREATED, Json(issued_json(&svc, c))).into_response())
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkQuery {
    kind: String,
    #[serde(default)]
    skip_bad_rows: bool,
}

async fn issue_bulk(
    State(state): State<AppState>,
    caller: Caller,
    UrlQuery(q): UrlQuery<BulkQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let svc = services(&state)?;
    blocking(move || {
        let mut attempt = Attempt::new(&svc, &caller, "credential.bulk_issue", "");
        let p = attempt.principal()?;
        let bin = operator_org(&attempt, p)?;
        attempt.target = bin.to_string();
        attempt.authorise(&Action::Issue { bin })?;
        let kind: DocumentKind = serde_json::from_value(Value::String(q.kind.clone()))
            .map_err(|_| {
                attempt.fail(ApiError::BadRequest(format!(
                    "kind {:?} is not one of attestat, diploma, guardianship",
                    q.kind
                )))
            })?;
        if body.is_empty() {
            return Err(attempt.fail(ApiError::BadRequest(
                "the body must be the CSV or XLSX file".into(),
            )));
        }
        let parsed =
            bulk::parse_file(&body, kind).map_err(|e| attempt.fail(ApiError::BadRequest(e.to_string())))?;
        let encoding = parsed
            .encoding
            .map_or("xlsx".to_string(), |e| format!("{e:?}").to_lowercase());
        let rows = parsed.docs.len() + parsed.errors.len();
        let key = issuer_key(&svc, bin).map_err(|e| attempt.fail(e))?;
        let BulkOutcome { issued, bad } = bulk::issue_parsed(
            &svc.issuance,
            bin,
            &key,
            parsed,
            q.skip_bad_rows,
            today(),
        )
        .map_err(|e| attempt.fail(issue_error(e)))?;
        let bad_json: Vec<Value> = bad
            .iter()
            .flat_map(|r| {
                r.errors
                    .iter()
                    .map(move |e| json!({"row": r.row, "field": e.field, "rule": e.rule}))
            })
            .collect();
        if !bad.is_empty()
            && issued.is_empty()
            && bad
                .iter()
                .all(|r| r.errors.iter().all(|e| e.field == "issuer"))
        {
            let why = bad[0]
                .errors
                .first()
                .map(|e| e.rule.clone())
                .unwrap_or_default();
            return Err(attempt.fail(ApiError::Forbidden(why)));
        }
        if !bad.is_empty() && !q.skip_bad_rows {
            attempt.fail(ApiError::Unprocessable(format!(
                "{} of {rows} rows are bad; nothing was issued",
                bad.len()
            )));
            let body = json!({
                "error": {
                    "status": 422,
                    "message": format!("{} of {rows} rows are bad; nothing was issued (skip_bad_rows=true issues the rest)", bad.len()),
                },
                "rows": rows,
                "encoding": encoding,
                "errors": bad_json,
            });
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response());
        }
        attempt.ok(&format!(
            "{} issued, {} bad rows skipped",
            issued.len(),
            bad.len()
        ))?;
        let credentials: Vec<Value> = issued
            .iter()
            .map(|(row, _, c)| {
                let mut v = issued_json(&svc, c);
                v["row"] = json!(row);
                v
            })
            .collect();
        Ok(Json(json!({
            "rows": rows,
            "encoding": encoding,
            "issued": credentials.len(),
            "credentials": credentials,
            "errors": bad_json,
        }))
        .into_response())
    })
    .await
}

// --- reading and re-access -------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct VersionQuery {
    version: Option<u32>,
}

/// Opens a version after checking the principal may read it.
pub(super) fn open_for(
    svc: &Services,
    attempt: &Attempt<'_>,
    id: &CredentialId,
    version: Option<u32>,
) -> Result<(crate::issuance::OpenedCredential, Document), ApiError> {
    attempt.principal()?;
    let opened = svc
        .issuance
        .open_credential(id, version)
        .map_err(|e| attempt.fail(issue_error(e)))?;
    let header = &opened.public.signed.header;
    let doc = Document::from_claims(header.kind, &header.issued_on, &opened.claims)
        .map_err(|e| attempt.fail(ApiError::Internal(e)))?;
    let issuer = header.issuer.to_string();
    let holders = doc.holder_iins();
    attempt.authorise(&Action::Read {
        issuer: &issuer,
        holders: &holders,
    })?;
    Ok((opened, doc))
}

async fn read_credential(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    UrlQuery(q): UrlQuery<VersionQuery>,
) -> Result<Response, ApiError> {
    let svc = services(&state)?;
    blocking(move || {
        let attempt = Attempt::new(&svc, &caller, "credential.read", &id);
        let id = parse_id(&id).map_err(|e| attempt.fail(e))?;
        let (opened, _) = open_for(&svc, &attempt, &id, q.version)?;
        let header = &opened.public.signed.header;
        let (latest, _) = svc.issuance.public_record(&id, None).map_err(issue_error)?;
        let (_, status) = svc
            .issuance
            .status(&id, Some(header.version))
            .map_err(issue_error)?;
        let history = svc.issuance.history(&id).map_err(issue_error)?;
        attempt.ok(&format!("v{}", header.version))?;
        Ok(Json(json!({
            "id": id.to_string(),
            "version": header.version,
            "latest_version": latest,
            "kind": header.kind,
            "issuer": header.issuer,
            "issued_on": header.issued_on,
            "verification_code": id.verification_code(),
            "status": status,
            "status_code": status.code(),
            "claims": opened.claims,
            "ledger_index": opened.public.ledger_index,
            "history": history,
        }))
        .into_response())
    })
    .await
}

async fn read_file(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, file)): Path<(String, String)>,
    UrlQuery(q): UrlQuery<VersionQuery>,
) -> Result<Response, ApiError> {
    let svc = services(&state)?;
    blocking(move || {
        let attempt = Attempt::new(&svc, &caller, "credential.reaccess", &id);
        let (content_type, pick): (&str, fn(Artifacts) -> Vec<u8>) = match file.as_str() {
            "document.pdf" => ("application/pdf", |a| a.pdf),
            "vc.json" => ("application/vc+ld+json", |a| a.vc_json),
            "qr.png" => ("image/png", |a| a.qr_png),
            "sd-jwt" => ("application/dc+sd-jwt", |_| Vec::new()),
            _ => {
                return Err(ApiError::NotFound(format!(
                    "no file {file:?}; there are document.pdf, vc.json, qr.png and sd-jwt"
                )));
            }
        };
        let id = parse_id(&id).map_err(|e| attempt.fail(e))?;
        let (opened, doc) = open_for(&svc, &attempt, &id, q.version)?;
        let header = &opened.public.signed.header;
        let bin = header.issuer.to_string();
        let key = issuer_key(&svc, &bin).map_err(|e| attempt.fail(e))?;
        if file == "sd-jwt" {
            // SD-JWT VC with every disclosure: the holder presents a subset of it later.
            let kind = serde_json::to_value(header.kind)
                .ok()
                .and_then(|k| k.as_str().map(str::to_string))
                .unwrap_or_default();
            let iat = crate::registry::parse_date("issued_on", &header.issued_on)
                .map(|d| d.midnight().assume_utc().unix_timestamp())
                .map_err(|e| attempt.fail(ApiError::Internal(e.to_string())))?;
            let sd_jwt = crate::credential::sdjwt::issue(
                header,
                &opened.disclosures,
                &key,
                &crate::credential::vc::issuer_did(&svc.host, &bin),
                &format!("{}/vct/{kind}", svc.public_url.trim_end_matches('/')),
                iat,
            );
            attempt.ok(&format!("{file} of v{}", header.version))?;
            return Ok((
                [
                    (header::CONTENT_TYPE, content_type),
                    (header::CACHE_CONTROL, "private, no-store"),
                ],
                sd_jwt,
            )
                .into_response());
        }
        let names = svc
            .issuance
            .registry()
            .issuer(&bin)
            .map(|i| i.names.clone())
            .ok_or_else(|| attempt.fail(ApiError::Internal(format!("issuer {bin} vanished"))))?;
        let artifacts = output::artifacts(&svc.public_url, &names, &key, &doc, header)
            .map_err(|e| attempt.fail(ApiError::Internal(e.to_string())))?;
        attempt.ok(&format!("{file} of v{}", header.version))?;
        Ok((
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "private, no-store"),
            ],
            pick(artifacts),
        )
            .into_response())
    })
    .await
}

async fn my_credentials(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let svc = services(&state)?;
    blocking(move || {
        let attempt = Attempt::new(&svc, &caller, "credential.list_own", "");
        let p = attempt.principal()?;
        let Some(iin) = p.iin.as_deref().filter(|_| p.role == Role::Holder) else {
            attempt.record(Outcome::Refused, "not a holder account")?;
            return Err(ApiError::Forbidden(format!(
                "{} is not a holder account",
                p.username
            )));
        };
        let ids = svc.issuance.credentials_of(iin).map_err(issue_error)?;
        let mut out = Vec::new();
        for id in ids {
            let (latest, public) = svc.issuance.public_record(&id, None).map_err(issue_error)?;
            let (_, status) = svc.issuance.status(&id, None).map_err(issue_error)?;
            out.push(json!({
                "id": id.to_string(),
                "kind": public.signed.header.kind,
                "issuer": public.signed.header.issuer,
                "issued_on": public.signed.header.issued_on,
                "version": latest,
                "status": status.code(),
                "links": {"self": format!("/api/v1/credentials/{id}")},
            }));
        }
        attempt.ok(&format!("{} documents", out.len()))?;
        Ok(Json(json!({ "credentials": out })).into_response())
    })
    .await
}

// --- lifecycle -------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusBody {
    action: StatusAction,
    reason: Reason,
    /// Effective date, `YYYY-MM-DD`; today if absent.
    #[serde(default)]
    on: Option<String>,
}

/// The issuer of a credential, from its public record, checked against the principal.
fn authorise_change(
    svc: &Services,
    attempt: &Attempt<'_>,
    id: &CredentialId,
) -> Result<String, ApiError> {
    attempt.principal()?;
    let (_, public) = svc
        .issuance
        .public_record(id, None)
        .map_err(|e| attempt.fail(issue_error(e)))?;
    let issuer = public.signed.header.issuer.to_string();
    attempt.authorise(&Action::Change { issuer: &issuer })?;
    Ok(issuer)
}

async fn change_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let svc = services(&state)?;
    blocking(move || {
        let mut attempt = Attempt::new(&svc, &caller, "credential.status", &id);
        // Who asks comes before what they sent: no body is read for an unauthenticated caller.
        attempt.principal()?;
        let id = parse_id(&id).map_err(|e| attempt.fail(e))?;
        let req: StatusBody = parse_json(&body, "status change").map_err(|e| attempt.fail(e))?;
        attempt.action = match req.action {
            StatusAction::Revoke => "credential.revoke",
            StatusAction::Reinstate => "credential.reinstate",
            StatusAction::Terminate => "credential.terminate",
        };
        let issuer = authorise_change(&svc, &attempt, &id)?;
        let on = match &req.on {
            None => today(),
            Some(s) => {
                time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
                    .map_err(|_| {
                        attempt.fail(ApiError::BadRequest(format!(
                            "on: {s:?} is not a YYYY-MM-DD date"
                        )))
                    })?
            }
        };
        let key = issuer_key(&svc, &issuer).map_err(|e| attempt.fail(e))?;
        let status = svc
            .issuance
            .change_status(
                &issuer,
                &key,
                &id,
                StatusRequest {
                    action: req.action,
                    reason: req.reason,
                    on,
                },
                today(),
            )
            .map_err(|e| attempt.fail(issue_error(e)))?;
        attempt.ok(&format!("{:?}, now {}", req.reason, status.code()))?;
        Ok(
            Json(json!({"id": id.to_string(), "status": status, "status_code": status.code()}))
                .into_response(),
        )
    })
    .await
}

async fn amend(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let svc = services(&state)?;
    blocking(move || {
        let attempt = Attempt::new(&svc, &caller, "credential.amend", &id);
        // Who asks comes before what they sent: no body is read for an unauthenticated caller.
        attempt.principal()?;
        let id = parse_id(&id).map_err(|e| attempt.fail(e))?;
        let issuer = authorise_change(&svc, &attempt, &id)?;
        let doc: Document = parse_json(&body, "document").map_err(|e| attempt.fail(e))?;
        let key = issuer_key(&svc, &issuer).map_err(|e| attempt.fail(e))?;
        let c = svc
            .issuance
            .amend(&issuer, &key, &id, &doc, today())
            .map_err(|e| attempt.fail(issue_error(e)))?;
        attempt.ok(&format!("now v{}", c.version))?;
        Ok((StatusCode::CREATED, Json(issued_json(&svc, &c))).into_response())
    })
    .await
}
