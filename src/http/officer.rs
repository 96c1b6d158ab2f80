//! The recognition officers' pages (`/officer`): the queue, the case page and the decisions.
//!
//! | method and path | what |
//! |---|---|
//! | `GET /officer` | sign-in form, or the queue: open cases by priority (risk, then waiting) |
//! | `POST /officer/signin` `username, password` | an officer's session cookie |
//! | `POST /officer/signout` | ends it |
//! | `GET /officer/cases/{id}` | the case: scans with the findings drawn, fields beside the application, references, earlier cases, decisions |
//! | `GET /officer/cases/{id}/pages/{sha256}/{n}` | page `n` of a file, as PNG |
//! | `POST /officer/cases/{id}/decide` `decision=recognise\|refuse\|request, …` | a decision |
//! | `POST /officer/cases/{id}/confirm` | a second officer confirms a high-risk recognition |
//! | `POST /officer/cases/{id}/return` `reason` | …or sends it back |
//! | `GET /officer/cases/{id}/certificate.pdf` | the recognition certificate issued |
//! | `GET /officer/references/{institution}/{seal.png\|signature.png}` | an enrolled reference image |
//! | `GET /officer/apostilles` | e-Apostille requests: pending, with their automatic check; decided |
//! | `POST /officer/apostilles/{id}/approve` | an apostille officer approves: the e-Apostille is issued |
//! | `POST /officer/apostilles/{id}/refuse` `reason` | …or refuses, with the reason |
//!
//! Server-rendered, no script, kk/ru/en. The session is the same `tnb_…` cookie as the holder
//! portal's, for accounts that may handle cases; decisions need a recognition officer. Every
//! page read and every decision goes to the audit journal, refusals included. A recognition is
//! issued as a credential by the recognition body (the registered issuer permitted
//! `recognition` whose key this deployment holds) and verifies like any other document.

use super::api::{Attempt, Caller, SESSION_COOKIE, blocking};
use super::error::ApiError;
use super::page::{self, LangQuery};
use super::portal::{Refusal, field, fields, prelude, see_other, session_cookie};
use super::{AppState, Services};
use crate::accounts::Action;
use crate::accounts::journal::Outcome;
use crate::credential::issuer_key::IssuerSigningKey;
use crate::credential::kinds::{Holder, RecognisedLevel, Recognition};
use crate::credential::record::DocumentKind;
use crate::i18n::Lang;
use crate::intake::jobs::JobState;
use crate::issuance::Document;
use crate::review::{self, CaseFacts, Decision, EventKind, Issued, ReviewError, Status};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::context;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/officer", get(home))
        .route("/officer/signin", post(sign_in))
        .route("/officer/signout", post(sign_out))
        .route("/officer/cases/{id}", get(case_page))
        .route("/officer/cases/{id}/pages/{sha256}/{n}", get(page_image))
        .route("/officer/cases/{id}/certificate.pdf", get(certificate_pdf))
        .route("/officer/cases/{id}/decide", post(decide))
        .route("/officer/cases/{id}/confirm", post(confirm))
        .route("/officer/cases/{id}/return", post(send_back))
        .route(
            "/officer/references/{institution}/{file}",
            get(reference_image),
        )
        .route("/officer/apostilles", get(apostille_queue))
        .route("/officer/apostilles/{id}/approve", post(approve_apostille))
        .route("/officer/apostilles/{id}/refuse", post(refuse_apostille))
}

/// Widest page image served: enough to read a diploma on a screen.
const PAGE_WIDTH: u32 = 1100;

/// The fields the case page sets side by side, in order.
const FIELDS: [&str; 16] = [
    "holder_name",
    "birth_date",
    "country",
    "kind",
    "institution",
    "specialty",
    "qualification",
    "study_start",
    "study_end",
    "issue_date",
    "series",
    "number",
    "registration_number",
    "signed_by",
    "gpa",
    "seal",
];

fn texts(lang: Lang) -> minijinja::Value {
    let ids = [
        "signin-intro",
        "username",
        "password",
        "signin",
        "signout",
        "queue",
        "queue-empty",
        "decided",
        "case",
        "applicant",
        "country",
        "kind",
        "purpose",
        "route",
        "risk",
        "waiting",
        "days",
        "status",
        "findings",
        "priority",
        "reading",
        "no-findings",
        "scans",
        "page",
        "fields",
        "field",
        "application",
        "document",
        "confidence",
        "references",
        "no-reference",
        "institution",
        "accredited",
        "closed",
        "seal-expected",
        "format",
        "hague",
        "reference-images",
        "earlier",
        "no-earlier",
        "decision",
        "recognise",
        "refuse",
        "request",
        "reason",
        "documents",
        "holder-name",
        "iin",
        "level",
        "specialty-code",
        "programme",
        "foreign-institution",
        "foreign-specialty",
        "foreign-series",
        "foreign-number",
        "foreign-issued-on",
        "foreign-country",
        "foreign-kind",
        "second-officer",
        "awaiting",
        "your-proposal",
        "confirm",
        "return",
        "certificate",
        "verify-link",
        "code",
        "history",
        "back",
        "not-officer",
        "read-only",
        "apostilles",
        "apostilles-empty",
        "approve",
        "requested-by",
        "automatic-check",
        "apostille-number",
        "apostille-read-only",
        "reference-seal",
        "reference-signature",
        "document-seal",
        "enrolled",
        "for-apostille",
        "paper",
        "ledger-document",
        "signed-by",
        "capacity",
        "seal-of",
        "not-read",
        "grades",
        "course",
        "hours-or-credits",
        "grade",
    ];
    let mut m = std::collections::BTreeMap::new();
    for id in ids {
        m.insert(id.replace('-', "_"), lang.t(&format!("officer-{id}")));
    }
    minijinja::Value::from_serialize(&m)
}

/// Renders `officer.html` in `mode` (`signin`, `queue` or `case`).
fn officer_page(
    status: StatusCode,
    lang: Lang,
    mode: &str,
    path: &str,
    error: Option<String>,
    extra: minijinja::Value,
) -> Response {
    let title = lang.t(match mode {
        "signin" => "officer-title-signin",
        "case" => "officer-title-case",
        "apostilles" => "officer-apostilles",
        _ => "officer-title",
    });
    let html = page::templates()
        .get_template("officer.html")
        .and_then(|t| {
            t.render(context! {
                lang => lang.code(),
                title => title,
                lang_label => lang.t("lang-name"),
                langs => page::language_links(lang, path),
                mode => mode,
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

/// The signed-in officer (an account that may handle cases), if the cookie is valid.
async fn session(svc: &Services, headers: &HeaderMap, source: String) -> Option<Caller> {
    let token = super::api::cookie(headers, SESSION_COOKIE)?.to_string();
    let caller = Caller::from_token(svc, Ok(token), source).await.ok()?;
    match &caller.principal {
        Ok(p) if p.authorise(&Action::HandleCases).is_ok() => Some(caller),
        _ => None,
    }
}

/// The officer, or (no valid session) the sign-in page.
async fn officer_or_signin(
    svc: &Arc<Services>,
    headers: &HeaderMap,
    addr: SocketAddr,
    lang: Lang,
) -> Result<Caller, Refusal> {
    match session(svc, headers, addr.ip().to_string()).await {
        Some(c) => Ok(c),
        None => Err(Box::new(officer_page(
            StatusCode::UNAUTHORIZED,
            lang,
            "signin",
            "/officer",
            None,
            context! {},
        ))),
    }
}

fn review_error(e: ReviewError) -> ApiError {
    match e {
        ReviewError::Invalid(_) => ApiError::Unprocessable(e.to_string()),
        ReviewError::Conflict(_) | ReviewError::NotRead | ReviewError::Issue(_) => {
            ApiError::Conflict(e.to_string())
        }
        ReviewError::Case(crate::intake::CaseError::Unknown(_)) => {
            ApiError::NotFound(e.to_string())
        }
        ReviewError::Case(crate::intake::CaseError::Invalid(_)) => {
            ApiError::BadRequest(e.to_string())
        }
        ReviewError::Case(_) | ReviewError::Damaged(..) | ReviewError::Io(_) => {
            ApiError::Internal(e.to_string())
        }
    }
}

fn parts(svc: &Services) -> Result<(&crate::intake::jobs::Jobs, &review::Review), ApiError> {
    match (&svc.cases, &svc.review) {
        (Some(j), Some(r)) => Ok((j, r)),
        _ => Err(ApiError::Unavailable(
            "this server does not take foreign-document cases".into(),
        )),
    }
}

/// An error page for a failed request: its status and message, in the officer's layout.
fn error_page(lang: Lang, e: ApiError) -> Response {
    let (status, message) = e.parts();
    officer_page(
        status,
        lang,
        "queue",
        "/officer",
        Some(message),
        context! { rows => Vec::<Value>::new(), done => Vec::<Value>::new() },
    )
}

// --- sign-in -----------------------------------------------------------------------------------

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
        None => officer_page(
            StatusCode::OK,
            lang,
            "signin",
            "/officer",
            None,
            context! {},
        ),
        Some(caller) => queue(svc, caller, lang).await,
    }
}

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
    let username = field(&f, "username").unwrap_or("").to_string();
    let password = f
        .iter()
        .find(|(k, _)| k == "password")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let svc2 = svc.clone();
    let source = addr.ip().to_string();
    let started = tokio::task::spawn_blocking(move || {
        let caller = Caller {
            principal: Err("signing in".into()),
            source,
        };
        let mut attempt = Attempt::new(&svc2, &caller, "officer.sign_in", &username);
        attempt.claim(&username);
        let token = match svc2.accounts.login(&username, &password) {
            Ok(t) => t,
            Err(e) => {
                attempt.record(Outcome::Refused, &e.to_string())?;
                return Err(ApiError::Unauthorized(e.to_string()));
            }
        };
        let principal = svc2
            .accounts
            .authenticate(&token)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        if let Err(why) = principal.authorise(&Action::HandleCases) {
            let _ = svc2.accounts.revoke_token(&token);
            attempt.record(Outcome::Refused, &why)?;
            return Err(ApiError::Forbidden(why));
        }
        attempt.record(Outcome::Ok, "password")?;
        Ok(token)
    })
    .await;
    match started {
        Ok(Ok(token)) => see_other(
            format!("/officer?lang={}", lang.code()),
            Some(session_cookie(
                &svc,
                &token,
                crate::accounts::SESSION_SECONDS,
            )),
        ),
        Ok(Err(e @ (ApiError::Unauthorized(_) | ApiError::Forbidden(_)))) => {
            let message = match &e {
                ApiError::Forbidden(_) => lang.t("officer-not-officer"),
                _ => lang.t("officer-bad-login"),
            };
            officer_page(
                e.parts().0,
                lang,
                "signin",
                "/officer",
                Some(message),
                context! {},
            )
        }
        Ok(Err(e)) => e.into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

async fn sign_out(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let (lang, svc) = match prelude(&state, &q, &headers, true) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    if let Some(token) = super::api::cookie(&headers, SESSION_COOKIE).map(str::to_string) {
        let accounts = svc.accounts.clone();
        // An already invalid token is as good as revoked.
        let _ = tokio::task::spawn_blocking(move || accounts.revoke_token(&token)).await;
    }
    see_other(
        format!("/officer?lang={}", lang.code()),
        Some(session_cookie(&svc, "", 0)),
    )
}

// --- the queue ---------------------------------------------------------------------------------

/// What the queue and the case page know of a case.
struct CaseSummary {
    id: String,
    application: crate::intake::Application,
    job: JobState,
    reading: Option<Value>,
    status: Status,
    waited_days: f64,
}

impl CaseSummary {
    fn check(&self) -> Option<&Value> {
        self.reading
            .as_ref()
            .map(|r| &r["check"])
            .filter(|c| c.is_object())
    }

    fn risk(&self) -> Option<f64> {
        self.check().and_then(|c| c["risk"].as_f64())
    }

    fn route(&self) -> Option<&str> {
        self.check().and_then(|c| c["route"].as_str())
    }

    /// A field as read: the first file that has it.
    fn read_field(&self, name: &str) -> Option<&Value> {
        self.reading.as_ref()?["files"]
            .as_array()?
            .iter()
            .map(|f| &f["fields"][name])
            .find(|v| v.is_object())
    }

    fn document_number(&self) -> Option<String> {
        let number = self.read_field("number")?["value"].as_str()?;
        let series = self
            .read_field("series")
            .and_then(|s| s["value"].as_str())
            .unwrap_or("");
        Some(
            format!("{series}{number}")
                .chars()
                .filter(|c| !c.is_whitespace())
                .flat_map(char::to_uppercase)
                .collect(),
        )
    }

    fn facts(&self) -> CaseFacts<'_> {
        let repeats = self
            .check()
            .and_then(|c| c["findings"].as_array())
            .into_iter()
            .flatten()
            .filter(|f| {
                f["code"]
                    .as_str()
                    .is_some_and(|c| c.starts_with("repeat.") || c == "number.duplicate")
            })
            .filter_map(|f| f["evidence"]["case"].as_str().map(str::to_string))
            .collect();
        CaseFacts {
            id: &self.id,
            application: &self.application,
            document: self.document_number(),
            repeats,
        }
    }

    fn priority(&self) -> f64 {
        review::priority(self.risk().unwrap_or(0.0), self.waited_days)
    }
}

fn summaries(svc: &Services) -> Result<Vec<CaseSummary>, ApiError> {
    let (jobs, review) = parts(svc)?;
    let now = std::time::SystemTime::now();
    let mut out = Vec::new();
    for (id, _) in jobs.list().map_err(|e| ApiError::Internal(e.to_string()))? {
        out.push(summary(jobs, review, &id, now)?);
    }
    Ok(out)
}

fn summary(
    jobs: &crate::intake::jobs::Jobs,
    review: &review::Review,
    id: &str,
    now: std::time::SystemTime,
) -> Result<CaseSummary, ApiError> {
    let view = jobs.view(id).map_err(super::cases::case_error)?;
    let status = review.status(id).map_err(review_error)?;
    let opened = review.opened(id).map_err(review_error)?;
    let waited_days = now
        .duration_since(opened)
        .map(|d| d.as_secs_f64() / 86_400.0)
        .unwrap_or(0.0);
    Ok(CaseSummary {
        id: id.to_string(),
        application: view.application,
        job: view.job,
        reading: view.reading,
        status,
        waited_days,
    })
}

fn status_words(lang: Lang, s: &Status) -> String {
    lang.t(&format!("officer-status-{}", s.code().replace('_', "-")))
}

fn job_words(lang: Lang, job: &JobState) -> Option<String> {
    match job {
        JobState::Done => None,
        JobState::Failed { error } => Some(format!("{}: {error}", lang.t("officer-failed"))),
        _ => Some(lang.t("officer-reading")),
    }
}

fn row(lang: Lang, c: &CaseSummary) -> minijinja::Value {
    let findings = c
        .check()
        .and_then(|k| k["findings"].as_array())
        .map(|f| {
            f.iter()
                .filter(|f| f["severity"] != "info")
                .filter_map(|f| f["code"].as_str())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let a = &c.application;
    context! {
        id => c.id,
        applicant => a.holder_name.clone().unwrap_or_default(),
        country => a.country.clone().unwrap_or_default(),
        kind => a.kind.map(|k| format!("{k:?}").to_lowercase()).unwrap_or_default(),
        purpose => a.purpose.map(|k| format!("{k:?}").to_lowercase()).unwrap_or_default(),
        route => c.route().unwrap_or(""),
        risk => c.risk().map(|r| format!("{r:.2}")),
        waited => format!("{:.1}", c.waited_days),
        status => c.status.code(),
        status_words => status_words(lang, &c.status),
        job => job_words(lang, &c.job),
        findings => findings,
        priority => format!("{:.2}", c.priority()),
    }
}

async fn queue(svc: Arc<Services>, caller: Caller, lang: Lang) -> Response {
    let built = blocking(move || {
        let attempt = Attempt::new(&svc, &caller, "case.queue", "");
        attempt.authorise(&Action::HandleCases)?;
        let mut all = summaries(&svc).map_err(|e| attempt.fail(e))?;
        // Paper documents brought for an apostille are worked from their requests.
        all.retain(|c| c.application.purpose != Some(crate::intake::Purpose::Apostille));
        // Open cases first, by priority; the decided after, newest first.
        all.sort_by(|a, b| b.priority().total_cmp(&a.priority()));
        let (done, open): (Vec<_>, Vec<_>) = all.iter().partition(|c| c.status.is_final());
        attempt.ok(&format!("{} open, {} decided", open.len(), done.len()))?;
        let mut done: Vec<_> = done;
        done.sort_by(|a, b| a.waited_days.total_cmp(&b.waited_days));
        let officer = caller
            .principal
            .as_ref()
            .map(|p| p.username.clone())
            .unwrap_or_default();
        Ok(context! {
            officer => officer,
            rows => open.iter().map(|c| row(lang, c)).collect::<Vec<_>>(),
            done => done.iter().take(50).map(|c| row(lang, c)).collect::<Vec<_>>(),
        })
    })
    .await;
    match built {
        Ok(ctx) => officer_page(StatusCode::OK, lang, "queue", "/officer", None, ctx),
        Err(e) => error_page(lang, e),
    }
}

// --- the case page -----------------------------------------------------------------------------

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The application's word for a field, where it has one.
fn applied(a: &crate::intake::Application, name: &str) -> Option<String> {
    match name {
        "holder_name" => a.holder_name.clone(),
        "birth_date" => a.birth_date.clone(),
        "country" => a.country.clone(),
        "kind" => a.kind.map(|k| format!("{k:?}").to_lowercase()),
        _ => None,
    }
}

/// The document's word for a field: an extracted field, or the classification of the file.
fn read_value(c: &CaseSummary, name: &str) -> Option<(String, Option<f64>)> {
    if let Some(f) = c.read_field(name) {
        return Some((value_text(&f["value"]), f["confidence"].as_f64()));
    }
    let files = c.reading.as_ref()?["files"].as_array()?;
    match name {
        "country" | "kind" => files
            .iter()
            .find_map(|f| f[name].as_str())
            .map(|s| (s.to_string(), None)),
        _ => None,
    }
}

/// The scans: per file and page, the image and the boxes of the findings on it.
fn scans(c: &CaseSummary, findings: &[Value]) -> Vec<minijinja::Value> {
    let mut out = Vec::new();
    let files = c
        .reading
        .as_ref()
        .and_then(|r| r["files"].as_array())
        .cloned()
        .unwrap_or_default();
    for f in &files {
        let sha = f["file"]["sha256"].as_str().unwrap_or_default();
        for p in f["pages"].as_array().into_iter().flatten() {
            let n = p["page"].as_u64().unwrap_or(1) as usize;
            let boxes: Vec<minijinja::Value> = findings
                .iter()
                .enumerate()
                .filter(|(_, x)| {
                    x["file"].as_str() == Some(sha) && x["page"].as_u64() == Some(n as u64)
                })
                .filter_map(|(i, x)| {
                    let b = x["box"].as_array()?;
                    let v: Vec<u64> = b.iter().filter_map(Value::as_u64).collect();
                    (v.len() == 4).then(|| {
                        context! {
                            n => i + 1, x => v[0], y => v[1], w => v[2].max(4), h => v[3].max(4),
                            severity => x["severity"].as_str().unwrap_or("info"),
                            code => x["code"].as_str().unwrap_or(""),
                        }
                    })
                })
                .collect();
            out.push(context! {
                file => f["file"]["name"].as_str().unwrap_or(""),
                sha256 => sha,
                page => n,
                width => p["width"].as_u64().unwrap_or(1000),
                height => p["height"].as_u64().unwrap_or(1400),
                boxes => boxes,
            });
        }
    }
    out
}

/// The reference library's entries for what the document says: its institution, the
/// series-and-number rule, the Hague Convention's date for the country.
fn references(
    c: &CaseSummary,
    lang: Lang,
    enrolled: &crate::forensics::enrolled::Library,
) -> minijinja::Value {
    let refs = crate::forensics::References::builtin();
    let country = read_value(c, "country")
        .map(|v| v.0)
        .or_else(|| c.application.country.clone());
    let institution = c
        .read_field("institution")
        .and_then(|f| f["value"].as_str())
        .and_then(|name| refs.institution(country.as_deref(), name, 0.75))
        .map(|(i, score)| {
            context! {
                names => i.names.join(" · "),
                country => i.country,
                score => format!("{score:.2}"),
                accredited => i.accredited.iter().map(|p| format!(
                    "{} – {}", p.from, p.to.map(|t| t.to_string()).unwrap_or_else(|| lang.t("officer-now"))
                )).collect::<Vec<_>>().join(", "),
                closed => i.closed.map(|d| d.to_string()),
                seal => i.seal,
                synthetic => i.synthetic,
                enrolled => enrolled.institutions.get(&i.id).map(|e| context! {
                    id => e.institution,
                    at => e.enrolled_at,
                    seal => e.seal_png.is_some(),
                    signature => e.signature_png.is_some(),
                }),
            }
        });
    let year = read_value(c, "issue_date").and_then(|v| v.0.get(..4)?.parse::<i32>().ok());
    let kind = read_value(c, "kind").map(|v| v.0);
    let format = match (&country, &kind) {
        (Some(co), Some(k)) => refs.format(co, k, year).map(|r| {
            context! {
                rule => format!("{} {} {}–{}", r.country, r.kind, r.from, r.to.map(|t| t.to_string()).unwrap_or_default()),
                series => r.series.join(" | "),
                number => r.number.join(" | "),
            }
        }),
        _ => None,
    };
    let hague = country
        .as_deref()
        .and_then(|co| refs.hague.get(co).map(|d| format!("{co}: {d}")));
    context! { institution => institution, format => format, hague => hague }
}

/// What the recognise form starts with: the document's words where it has them.
fn proposal(c: &CaseSummary, today: time::Date) -> minijinja::Value {
    let read = |n: &str| read_value(c, n).map(|v| v.0).unwrap_or_default();
    let programmes: Vec<minijinja::Value> = c
        .reading
        .as_ref()
        .and_then(|r| r["files"].as_array())
        .into_iter()
        .flatten()
        .flat_map(|f| {
            f["matches"]["programme"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|p| {
            context! {
                code => p["code"].as_str().unwrap_or(""),
                level => p["level"].as_str().unwrap_or(""),
                name => p["name_ru"].as_str().unwrap_or(""),
                score => format!("{:.2}", p["score"].as_f64().unwrap_or(0.0)),
            }
        })
        .collect();
    let best = c
        .reading
        .as_ref()
        .and_then(|r| r["files"].as_array())
        .and_then(|f| {
            f.iter()
                .find_map(|f| f["matches"]["programme"].as_array()?.first().cloned())
        });
    let kind = match read("kind").as_str() {
        k @ ("diploma" | "attestat") => k.to_string(),
        _ => c
            .application
            .kind
            .map(|k| format!("{k:?}").to_lowercase())
            .filter(|k| k == "diploma" || k == "attestat")
            .unwrap_or_else(|| "diploma".into()),
    };
    context! {
        holder_name => c.application.holder_name.clone().unwrap_or_else(|| read("holder_name")),
        iin => c.application.iin.clone().unwrap_or_default(),
        foreign_country => { let r = read("country"); if r.is_empty() { c.application.country.clone().unwrap_or_default() } else { r } },
        foreign_kind => kind,
        foreign_institution => read("institution"),
        foreign_specialty => read("specialty"),
        foreign_series => read("series"),
        foreign_number => read("number"),
        foreign_issued_on => read("issue_date"),
        level => best.as_ref().and_then(|b| b["level"].as_str().map(str::to_string)).unwrap_or_default(),
        specialty_code => best.as_ref().and_then(|b| b["code"].as_str().map(str::to_string)).unwrap_or_default(),
        programmes => programmes,
        decision_number => decision_number(&c.id, today),
    }
}

/// The decision's number: the year and the case, so one case has one number.
fn decision_number(case: &str, today: time::Date) -> String {
    format!(
        "REC-{}-{}",
        today.year(),
        case.chars().take(8).collect::<String>().to_uppercase()
    )
}

fn history(lang: Lang, events: &[review::Event]) -> Vec<minijinja::Value> {
    events
        .iter()
        .map(|e| {
            let (what, detail) = match &e.kind {
                EventKind::Proposed { risk, .. } => ("proposed", format!("risk {risk:.2}")),
                EventKind::Returned { reason } => ("returned", reason.clone()),
                EventKind::Recognised {
                    issued,
                    proposed_by,
                    ..
                } => (
                    "recognised",
                    match proposed_by {
                        Some(p) => format!("{} · {p}", issued.code),
                        None => issued.code.clone(),
                    },
                ),
                EventKind::Refused { reason } => ("refused", reason.clone()),
                EventKind::Requested { documents } => ("requested", documents.clone()),
            };
            context! {
                at => e.at, officer => e.officer, what => lang.t(&format!("officer-event-{what}")),
                event => what, detail => detail,
            }
        })
        .collect()
}

/// Everything the case page shows, built off the async threads.
fn case_context(
    svc: &Services,
    caller: &Caller,
    lang: Lang,
    id: &str,
) -> Result<minijinja::Value, ApiError> {
    let (jobs, review) = parts(svc)?;
    let attempt = Attempt::new(svc, caller, "case.read", id);
    let p = attempt.authorise(&Action::HandleCases)?;
    let now = std::time::SystemTime::now();
    let this = summary(jobs, review, id, now).map_err(|e| attempt.fail(e))?;
    let all = summaries(svc).map_err(|e| attempt.fail(e))?;
    let others: Vec<CaseFacts<'_>> = all.iter().map(CaseSummary::facts).collect();
    let earlier: Vec<minijinja::Value> = review::related(&this.facts(), &others)
        .into_iter()
        .map(|r| {
            let other = all.iter().find(|c| c.id == r.case);
            context! {
                id => r.case,
                why => lang.t(&format!("officer-why-{}", r.why.replace('_', "-"))),
                status => other.map(|o| status_words(lang, &o.status)),
                applicant => other.and_then(|o| o.application.holder_name.clone()),
            }
        })
        .collect();
    let findings: Vec<Value> = this
        .check()
        .and_then(|c| c["findings"].as_array().cloned())
        .unwrap_or_default();
    let shown_findings: Vec<minijinja::Value> = findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            context! {
                n => i + 1,
                code => f["code"].as_str().unwrap_or(""),
                severity => f["severity"].as_str().unwrap_or("info"),
                message => f["messages"][lang.code()].as_str().or_else(|| f["message"].as_str()).unwrap_or(""),
                page => f["page"].as_u64(),
                evidence => f["evidence"].as_object().map(|o| o.iter().map(|(k, v)| format!("{k}: {}", value_text(v))).collect::<Vec<_>>().join("; ")).unwrap_or_default(),
            }
        })
        .collect();
    let name_match = this
        .reading
        .as_ref()
        .and_then(|r| r["files"].as_array())
        .and_then(|f| {
            f.iter()
                .find_map(|f| f["matches"]["holder_name"]["verdict"].as_str())
        })
        .map(str::to_string);
    let field_rows: Vec<minijinja::Value> = FIELDS
        .iter()
        .filter_map(|name| {
            let app = applied(&this.application, name);
            let doc = read_value(&this, name);
            if app.is_none() && doc.is_none() {
                return None;
            }
            let agree = match (&app, &doc) {
                (Some(_), Some(_)) if *name == "holder_name" => {
                    name_match.as_deref().map(|v| v != "different")
                }
                (Some(a), Some((d, _))) => Some(a.eq_ignore_ascii_case(d)),
                _ => None,
            };
            Some(context! {
                name => name,
                label => lang.t(&format!("officer-field-{}", name.replace('_', "-"))),
                application => app,
                document => doc.as_ref().map(|d| d.0.clone()),
                confidence => doc.as_ref().and_then(|d| d.1).map(|c| format!("{c:.2}")),
                agree => agree,
            })
        })
        .collect();
    let events = review
        .events(id)
        .map_err(|e| attempt.fail(review_error(e)))?;
    let enrolled = crate::forensics::enrolled::Library::open(review.data_dir())
        .map_err(|e| attempt.fail(ApiError::Internal(e.to_string())))?;
    // The document's seal, when a check found it unlike the reference: cropped beside it.
    let seal_crop = findings
        .iter()
        .find(|f| f["code"] == "seal.mismatch")
        .and_then(|f| {
            let b: Vec<u64> = f["box"]
                .as_array()?
                .iter()
                .filter_map(Value::as_u64)
                .collect();
            let (sha, page) = (f["file"].as_str()?, f["page"].as_u64()?);
            let p = this.reading.as_ref()?["files"]
                .as_array()?
                .iter()
                .find(|x| x["file"]["sha256"] == sha)?["pages"]
                .as_array()?
                .iter()
                .find(|x| x["page"] == page)?
                .clone();
            (b.len() == 4).then(|| {
                context! {
                    sha256 => sha, page => page, x => b[0], y => b[1], w => b[2], h => b[3],
                    pw => p["width"].as_u64(), ph => p["height"].as_u64(),
                }
            })
        });
    // A paper document brought for an apostille is decided with its request, not here.
    let for_apostille = this.application.purpose == Some(crate::intake::Purpose::Apostille);
    let may_decide = p.authorise(&Action::Recognise).is_ok() && !for_apostille;
    let today = super::api::today();
    let (awaiting, proposer) = match &this.status {
        Status::AwaitingConfirmation {
            proposed_by,
            certificate,
        } => (
            Some(context! {
                holder_name => certificate.holder.full_name,
                level => lang.t(&format!("officer-level-{}", level_code(certificate.level))),
                specialty_code => certificate.specialty_code,
                specialty_name => certificate.specialty_name,
                decision_number => certificate.decision_number,
            }),
            Some(proposed_by.clone()),
        ),
        _ => (None, None),
    };
    let issued = match &this.status {
        Status::Recognised { issued } => Some(context! {
            code => issued.code,
            verify_url => issued.verify_url,
            credential => issued.credential,
        }),
        _ => None,
    };
    attempt.ok("")?;
    let risk = this.risk();
    Ok(context! {
        case => context! {
            id => this.id,
            applicant => this.application.holder_name,
            purpose => this.application.purpose.map(|k| format!("{k:?}").to_lowercase()),
            route => this.route(),
            risk => risk.map(|r| format!("{r:.2}")),
            high_risk => risk.is_some_and(|r| r >= review.confirm_at()),
            confirm_at => format!("{:.2}", review.confirm_at()),
            waited => format!("{:.1}", this.waited_days),
            status => this.status.code(),
            status_words => status_words(lang, &this.status),
            refused => match &this.status { Status::Refused { reason } => Some(reason.clone()), _ => None },
            requested => match &this.status { Status::Requested { documents } => Some(documents.clone()), _ => None },
            job => job_words(lang, &this.job),
            read => this.check().is_some(),
        },
        officer => p.username,
        may_decide => may_decide,
        for_apostille => for_apostille,
        open => matches!(this.status, Status::Open | Status::Requested { .. }),
        awaiting => awaiting,
        own_proposal => proposer.as_deref() == Some(p.username.as_str()),
        proposer => proposer,
        issued => issued,
        findings => shown_findings,
        scans => scans(&this, &findings),
        seal_crop => seal_crop,
        fields => field_rows,
        grades => grade_rows(&this, &findings),
        references => references(&this, lang, &enrolled),
        earlier => earlier,
        proposal => proposal(&this, today),
        levels => LEVELS.iter().map(|l| context! { code => l, name => lang.t(&format!("officer-level-{l}")) }).collect::<Vec<_>>(),
        history => history(lang, &events),
    })
}

/// The grades table of the first file that has one, each row marked when a finding points
/// at its grade (`grades.out_of_scale`, `grades.words_disagree`).
fn grade_rows(case: &CaseSummary, findings: &[Value]) -> Vec<minijinja::Value> {
    let Some((sha, rows)) = case.reading.as_ref().and_then(|r| {
        r["files"].as_array()?.iter().find_map(|f| {
            let rows = f["grades"].as_array().filter(|g| !g.is_empty())?;
            Some((f["file"]["sha256"].as_str().unwrap_or(""), rows))
        })
    }) else {
        return Vec::new();
    };
    rows.iter()
        .map(|r| {
            let flagged = findings.iter().any(|f| {
                f["code"].as_str().is_some_and(|c| c.starts_with("grades."))
                    && f["file"].as_str() == Some(sha)
                    && f["page"] == r["page"]
                    && f["box"] == r["box"]
            });
            context! {
                row => r["row"].as_u64(),
                course => r["course"].as_str(),
                amount => r["hours"].as_u64().or(r["credits"].as_u64()),
                grade => r["grade"].as_str(),
                in_words => r["in_words"].as_u64(),
                flagged => flagged,
            }
        })
        .collect()
}

const LEVELS: [&str; 6] = [
    "basic_secondary",
    "general_secondary",
    "tvet",
    "bachelor",
    "master",
    "doctorate",
];

fn level_code(l: RecognisedLevel) -> String {
    serde_json::to_value(l)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

async fn case_page(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let (lang, svc) = match prelude(&state, &q, &headers, false) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let caller = match officer_or_signin(&svc, &headers, addr, lang).await {
        Ok(c) => c,
        Err(r) => return *r,
    };
    render_case(svc, caller, lang, id, None).await
}

/// The case page, with an error from a decision above it when there was one.
async fn render_case(
    svc: Arc<Services>,
    caller: Caller,
    lang: Lang,
    id: String,
    error: Option<ApiError>,
) -> Response {
    let path = format!("/officer/cases/{id}");
    let built = blocking(move || case_context(&svc, &caller, lang, &id)).await;
    match built {
        Ok(ctx) => {
            let (status, message) = ApiError::page_status(error);
            officer_page(status, lang, "case", &path, message, ctx)
        }
        Err(e) => error_page(lang, e),
    }
}

async fn page_image(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path((id, sha256, n)): Path<(String, String, usize)>,
    headers: HeaderMap,
) -> Response {
    let Ok(svc) = super::api::services(&state) else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let Some(caller) = session(&svc, &headers, addr.ip().to_string()).await else {
        return ApiError::Unauthorized("sign in as an officer at /officer".into()).into_response();
    };
    let made = blocking(move || {
        let attempt = Attempt::new(&svc, &caller, "case.read_page", &id);
        attempt.authorise(&Action::HandleCases)?;
        let (jobs, _) = parts(&svc).map_err(|e| attempt.fail(e))?;
        let file = jobs
            .file(&id, &sha256)
            .map_err(|e| attempt.fail(super::cases::case_error(e)))?;
        let pages = file
            .pages()
            .map_err(|e| attempt.fail(ApiError::Unprocessable(e.to_string())))?;
        let page = pages
            .into_iter()
            .find(|p| p.number == n)
            .ok_or_else(|| attempt.fail(ApiError::NotFound(format!("the file has no page {n}"))))?;
        let img = if page.image.width() > PAGE_WIDTH {
            let h = (page.image.height() as u64 * PAGE_WIDTH as u64 / page.image.width() as u64)
                .max(1) as u32;
            image::imageops::resize(
                &page.image,
                PAGE_WIDTH,
                h,
                image::imageops::FilterType::Triangle,
            )
        } else {
            page.image
        };
        let mut png = std::io::Cursor::new(Vec::new());
        img.write_to(&mut png, image::ImageFormat::Png)
            .map_err(|e| attempt.fail(ApiError::Internal(e.to_string())))?;
        attempt.ok(&format!("{sha256} page {n}"))?;
        Ok(png.into_inner())
    })
    .await;
    match made {
        Ok(png) => (
            [
                (header::CONTENT_TYPE, "image/png"),
                (header::CACHE_CONTROL, "private, max-age=3600"),
            ],
            png,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

// --- decisions ---------------------------------------------------------------------------------

/// What a body's issuance of one document hands back.
struct BodyIssued {
    issued: crate::issuance::IssuedCredential,
    /// The QR code's text: the verification URL.
    qr_text: String,
}

/// The body registered for `kind` whose signing key this deployment holds (the recognition
/// body, the apostille authority), named `body` in the error when there is none.
fn body_for(
    svc: &Services,
    kind: DocumentKind,
    body: &str,
) -> Result<(crate::registry::IssuerRecord, IssuerSigningKey), String> {
    svc.issuance
        .registry()
        .issuers()
        .filter(|i| i.kinds.contains(&kind))
        .find_map(|i| (svc.issuer_keys)(&i.bin).map(|k| (i.clone(), k)))
        .ok_or_else(|| {
            format!(
                "no {body} is registered with a key this deployment holds (register an issuer \
                 permitted `{}`)",
                kind_name(kind)
            )
        })
}

/// Issues `doc` as `issuer` with its key, then signs a checkpoint covering it, so
/// the officer's next page can show it verifying. Errors name each broken rule (a duplicate
/// names the original).
fn issue_as_body(
    svc: &Services,
    log: &crate::ledger::Log,
    doc: &Document,
    (issuer, key): (crate::registry::IssuerRecord, IssuerSigningKey),
) -> Result<BodyIssued, String> {
    let issued = svc
        .issuance
        .issue_batch(
            &issuer.bin,
            &key,
            std::slice::from_ref(doc),
            super::api::today(),
        )
        .map_err(|e| match e {
            crate::issuance::IssueError::Invalid(rows) => rows
                .iter()
                .flat_map(|r| r.errors.iter().map(ToString::to_string))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        })?
        .into_iter()
        .next()
        .ok_or_else(|| "the issuance returned no credential".to_string())?;
    log.checkpoint_now_blocking().map_err(|e| e.to_string())?;
    let a = crate::issuance::output::artifacts(
        &svc.public_url,
        &issuer.names,
        &key,
        doc,
        &issued.signed.header,
    )
    .map_err(|e| e.to_string())?;
    Ok(BodyIssued {
        issued,
        qr_text: a.qr_text,
    })
}

/// A kind's name as the registry and the API spell it.
fn kind_name(kind: DocumentKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Issues a recognition certificate as the recognition body.
fn issue_certificate(
    svc: &Services,
    log: &crate::ledger::Log,
    r: &Recognition,
) -> Result<Issued, String> {
    let body = body_for(svc, DocumentKind::Recognition, "recognition body")?;
    let b = issue_as_body(svc, log, &Document::Recognition(r.clone()), body)?;
    Ok(Issued {
        credential: b.issued.id.to_string(),
        version: b.issued.version,
        verify_url: b.qr_text,
        code: b.issued.id.verification_code(),
    })
}

/// The certificate an officer's recognise form describes.
fn certificate_from(
    f: &[(String, String)],
    id: &str,
    today: time::Date,
) -> Result<Recognition, ApiError> {
    let get = |n: &str| field(f, n).unwrap_or("").to_string();
    let level: RecognisedLevel =
        serde_json::from_value(Value::String(get("level"))).map_err(|_| {
            ApiError::Unprocessable(format!(
                "level: {:?} is not one of {}",
                get("level"),
                LEVELS.join(", ")
            ))
        })?;
    let code = field(f, "specialty_code").map(str::to_string);
    let specialty_name = code
        .as_deref()
        .and_then(crate::credential::classifier::lookup)
        .map(|s| s.ru.clone());
    Ok(Recognition {
        holder: Holder {
            full_name: get("holder_name"),
            iin: get("iin"),
        },
        decision_number: decision_number(id, today),
        issued_on: today.to_string(),
        foreign_country: get("foreign_country").to_uppercase(),
        foreign_kind: get("foreign_kind"),
        foreign_institution: get("foreign_institution"),
        foreign_specialty: get("foreign_specialty"),
        foreign_series: get("foreign_series"),
        foreign_number: get("foreign_number"),
        foreign_issued_on: get("foreign_issued_on"),
        level,
        specialty_code: code,
        specialty_name,
        case: id.to_string(),
    })
}

/// The risk the checks gave a case; `None` until it is read.
fn risk_of(svc: &Services, id: &str) -> Result<Option<f64>, ApiError> {
    let (jobs, _) = parts(svc)?;
    let view = jobs.view(id).map_err(super::cases::case_error)?;
    Ok(view
        .reading
        .as_ref()
        .and_then(|r| r["check"]["risk"].as_f64()))
}

/// A decision, a confirmation or a return, from a form; then the case page again.
async fn act(
    state: AppState,
    addr: SocketAddr,
    q: LangQuery,
    headers: HeaderMap,
    id: String,
    body: Bytes,
    what: &'static str,
) -> Response {
    let (lang, svc) = match prelude(&state, &q, &headers, true) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let caller = match officer_or_signin(&svc, &headers, addr, lang).await {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let svc2 = svc.clone();
    let id2 = id.clone();
    let caller2 = Caller {
        principal: caller.principal.clone(),
        source: caller.source.clone(),
    };
    let log = state.log.clone();
    let done = blocking(move || {
        let (svc, id, caller) = (svc2, id2, caller2);
        let action = match what {
            "decide" => "case.decide",
            "confirm" => "case.confirm",
            _ => "case.return",
        };
        let attempt = Attempt::new(&svc, &caller, action, &id);
        let p = attempt.authorise(&Action::Recognise)?;
        let (jobs, review) = parts(&svc).map_err(|e| attempt.fail(e))?;
        let view = jobs
            .view(&id)
            .map_err(|e| attempt.fail(super::cases::case_error(e)))?;
        if view.application.purpose == Some(crate::intake::Purpose::Apostille) {
            return Err(attempt.fail(ApiError::Conflict(format!(
                "case {id} is a paper document brought for an apostille: it is decided with \
                 its request at /officer/apostilles, not recognised"
            ))));
        }
        let f = fields(&body);
        let today = super::api::today();
        let issue = |r: &Recognition| issue_certificate(&svc, &log, r);
        let status = match what {
            "decide" => {
                let decision = match field(&f, "decision") {
                    Some("recognise") => Decision::Recognise {
                        certificate: Box::new(
                            certificate_from(&f, &id, today).map_err(|e| attempt.fail(e))?,
                        ),
                    },
                    Some("refuse") => Decision::Refuse {
                        reason: field(&f, "reason").unwrap_or("").to_string(),
                    },
                    Some("request") => Decision::Request {
                        documents: field(&f, "documents").unwrap_or("").to_string(),
                    },
                    other => {
                        return Err(attempt.fail(ApiError::BadRequest(format!(
                            "decision: {other:?} is not one of recognise, refuse, request"
                        ))));
                    }
                };
                let risk = risk_of(&svc, &id).map_err(|e| attempt.fail(e))?;
                review.decide(&id, &p.username, risk, decision, today, &issue)
            }
            "confirm" => review.confirm(&id, &p.username, today, &issue),
            _ => review.send_back(&id, &p.username, field(&f, "reason").unwrap_or("")),
        }
        .map_err(|e| attempt.fail(review_error(e)))?;
        let detail = match &status {
            Status::Recognised { issued } => format!("recognised: {}", issued.credential),
            s => s.code().to_string(),
        };
        attempt.ok(&detail)?;
        Ok(())
    })
    .await;
    match done {
        Ok(()) => see_other(format!("/officer/cases/{id}?lang={}", lang.code()), None),
        Err(e) => render_case(svc, caller, lang, id, Some(e)).await,
    }
}

async fn decide(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    act(state, addr, q, headers, id, body, "decide").await
}

async fn confirm(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    act(state, addr, q, headers, id, body, "confirm").await
}

async fn send_back(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    act(state, addr, q, headers, id, body, "return").await
}

/// The recognition certificate of a recognised case, as PDF, rebuilt from the stored
/// credential (the same bytes as at issue: signatures are deterministic).
async fn certificate_pdf(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Ok(svc) = super::api::services(&state) else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let Some(caller) = session(&svc, &headers, addr.ip().to_string()).await else {
        return ApiError::Unauthorized("sign in as an officer at /officer".into()).into_response();
    };
    let made = blocking(move || {
        let attempt = Attempt::new(&svc, &caller, "case.certificate", &id);
        attempt.authorise(&Action::HandleCases)?;
        let (_, review) = parts(&svc).map_err(|e| attempt.fail(e))?;
        let Status::Recognised { issued } = review
            .status(&id)
            .map_err(|e| attempt.fail(review_error(e)))?
        else {
            return Err(attempt.fail(ApiError::NotFound(format!(
                "case {id} has no recognition certificate"
            ))));
        };
        let cid = crate::credential::record::CredentialId::parse(&issued.credential)
            .map_err(|e| attempt.fail(ApiError::Internal(e.to_string())))?;
        let opened = svc
            .issuance
            .open_credential(&cid, Some(issued.version))
            .map_err(|e| attempt.fail(super::api::issue_error(e)))?;
        let h = &opened.public.signed.header;
        let doc = Document::from_claims(h.kind, &h.issued_on, &opened.claims)
            .map_err(|e| attempt.fail(ApiError::Internal(e)))?;
        let bin = h.issuer.to_string();
        let key = (svc.issuer_keys)(&bin).ok_or_else(|| {
            attempt.fail(ApiError::Conflict(format!(
                "this deployment holds no signing key for issuer {bin}"
            )))
        })?;
        let names = svc
            .issuance
            .registry()
            .issuer(&bin)
            .map(|i| i.names.clone())
            .ok_or_else(|| attempt.fail(ApiError::Internal(format!("issuer {bin} vanished"))))?;
        let a = crate::issuance::output::artifacts(&svc.public_url, &names, &key, &doc, h)
            .map_err(|e| attempt.fail(ApiError::Internal(e.to_string())))?;
        attempt.ok(&issued.credential)?;
        Ok(a.pdf)
    })
    .await;
    match made {
        Ok(pdf) => (
            [
                (header::CONTENT_TYPE, "application/pdf"),
                (header::CACHE_CONTROL, "private, no-store"),
            ],
            pdf,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// An institution's enrolled reference seal or signature (`tanba references enroll`).
async fn reference_image(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path((institution, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let Ok(svc) = super::api::services(&state) else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let Some(caller) = session(&svc, &headers, addr.ip().to_string()).await else {
        return ApiError::Unauthorized("sign in as an officer at /officer".into()).into_response();
    };
    let made = blocking(move || {
        let attempt = Attempt::new(&svc, &caller, "reference.read", &institution);
        attempt.authorise(&Action::HandleCases)?;
        let (_, review) = parts(&svc).map_err(|e| attempt.fail(e))?;
        let library = crate::forensics::enrolled::Library::open(review.data_dir())
            .map_err(|e| attempt.fail(ApiError::Internal(e.to_string())))?;
        let path = library.image(&institution, &file).ok_or_else(|| {
            attempt.fail(ApiError::NotFound(format!(
                "no enrolled {file} for institution {institution}"
            )))
        })?;
        let png =
            std::fs::read(&path).map_err(|e| attempt.fail(ApiError::Internal(e.to_string())))?;
        attempt.ok(&file)?;
        Ok(png)
    })
    .await;
    match made {
        Ok(png) => ([(header::CONTENT_TYPE, "image/png")], png).into_response(),
        Err(e) => e.into_response(),
    }
}

// --- e-Apostille requests ------------------------------------------------------------------

fn apostilles(svc: &Services) -> Result<&review::apostille::Requests, ApiError> {
    svc.apostilles
        .as_ref()
        .ok_or_else(|| ApiError::Unavailable("this server issues no e-Apostilles".into()))
}

async fn apostille_queue(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let (lang, svc) = match prelude(&state, &q, &headers, false) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let caller = match officer_or_signin(&svc, &headers, addr, lang).await {
        Ok(c) => c,
        Err(r) => return *r,
    };
    apostille_page(svc, caller, lang, None).await
}

async fn apostille_page(
    svc: Arc<Services>,
    caller: Caller,
    lang: Lang,
    error: Option<ApiError>,
) -> Response {
    use review::apostille::RequestState;
    let built = blocking(move || {
        let attempt = Attempt::new(&svc, &caller, "apostille.queue", "");
        let p = attempt.authorise(&Action::HandleCases)?;
        let list = apostilles(&svc)
            .and_then(|a| a.list().map_err(review_error))
            .map_err(|e| attempt.fail(e))?;
        attempt.ok(&format!("{} request(s)", list.len()))?;
        let now = std::time::SystemTime::now();
        let row = |r: &review::apostille::Request| {
            let (state, detail, url) = match &r.state {
                RequestState::Pending => ("pending", String::new(), None),
                RequestState::Refused {
                    officer, reason, ..
                } => ("refused", format!("{officer}: {reason}"), None),
                RequestState::Approved {
                    officer, apostille, ..
                } => (
                    "approved",
                    format!("№ {} · {} · {officer}", apostille.number, apostille.issued_on),
                    Some(apostille.verify_url.clone()),
                ),
            };
            let kind = lang.t(&format!("kind-{}", r.document.kind()));
            match &r.document {
                review::apostille::Certified::Ledger(d) => context! {
                    id => r.id, at => r.at, requested_by => r.requested_by, source => "ledger",
                    kind => kind, issuer => d.issuer_name,
                    holder => d.holder_name, number => d.series_number, issued_on => d.issued_on,
                    code => d.verification_code,
                    check => format!("{} · {}", d.status, if d.issuer_authorised { "issuer authorised" } else { "issuer NOT authorised" }),
                    state => state, detail => detail, url => url,
                },
                // A decided request needs only its case named; a pending one its case's
                // reading and checks.
                review::apostille::Certified::Paper(paper) if state != "pending" => context! {
                    id => r.id, at => r.at, requested_by => r.requested_by, source => "paper",
                    kind => kind, case => paper.case, holder => paper.case,
                    state => state, detail => detail, url => url,
                },
                review::apostille::Certified::Paper(paper) => {
                    let c = parts(&svc).and_then(|(jobs, review)| summary(jobs, review, &paper.case, now));
                    let c = match c {
                        Ok(c) => c,
                        Err(e) => return context! {
                            id => r.id, at => r.at, requested_by => r.requested_by, source => "paper",
                            kind => kind, case => paper.case, check => e.parts().1,
                            state => state, detail => detail, url => url,
                        },
                    };
                    let paper_fields = paper_prefill(&c);
                    let check = match (c.route(), job_words(lang, &c.job)) {
                        (_, Some(words)) => words,
                        (Some(route), None) => {
                            let codes: Vec<&str> = c
                                .check()
                                .and_then(|k| k["findings"].as_array())
                                .into_iter()
                                .flatten()
                                .filter(|f| f["severity"] != "info")
                                .filter_map(|f| f["code"].as_str())
                                .collect();
                            format!(
                                "{route} · {} {:.2}{}{}",
                                lang.t("officer-risk"),
                                c.risk().unwrap_or(0.0),
                                if codes.is_empty() { "" } else { " · " },
                                codes.join(", ")
                            )
                        }
                        (None, None) => lang.t("officer-not-read"),
                    };
                    context! {
                        id => r.id, at => r.at, requested_by => r.requested_by, source => "paper",
                        kind => kind, case => paper.case,
                        holder => paper_fields.holder_name, number => paper_fields.document_number,
                        issued_on => paper_fields.document_issued_on, issuer => paper_fields.seal_of,
                        fields => paper_fields, readable => c.route().is_some_and(|r| r != "unreadable"),
                        check => check, state => state, detail => detail, url => url,
                    }
                }
            }
        };
        let (pending, decided): (Vec<_>, Vec<_>) = list
            .iter()
            .partition(|r| matches!(r.state, RequestState::Pending));
        Ok(context! {
            officer => p.username,
            may_approve => p.authorise(&Action::Apostille).is_ok(),
            pending => pending.into_iter().map(row).collect::<Vec<_>>(),
            decided => decided.into_iter().rev().take(50).map(row).collect::<Vec<_>>(),
        })
    })
    .await;
    match built {
        Ok(ctx) => {
            let (status, message) = ApiError::page_status(error);
            officer_page(
                status,
                lang,
                "apostilles",
                "/officer/apostilles",
                message,
                ctx,
            )
        }
        Err(e) => error_page(lang, e),
    }
}

/// What an apostille says of the document it certifies: fields 2–4, the holder, the number
/// and the date. For a paper document, prefilled from the case's reading; the officer checks
/// them against the scan (and the specimen signatures) and corrects them before approving.
#[derive(Clone, Debug, Default, serde::Serialize)]
struct CertifiedFields {
    holder_name: String,
    document_number: String,
    document_issued_on: String,
    signed_by: String,
    capacity: String,
    seal_of: String,
}

fn paper_prefill(c: &CaseSummary) -> CertifiedFields {
    let read = |name: &str| {
        c.read_field(name)
            .and_then(|f| f["value"].as_str())
            .unwrap_or("")
            .to_string()
    };
    let holder_name = c
        .application
        .holder_name
        .clone()
        .unwrap_or_else(|| read("holder_name"));
    CertifiedFields {
        holder_name,
        document_number: format!("{} {}", read("series"), read("number"))
            .trim()
            .to_string(),
        document_issued_on: read("issue_date"),
        signed_by: read("signed_by"),
        capacity: String::new(),
        seal_of: read("institution"),
    }
}

/// The officer's fields for a paper document's apostille, once its case has been read and
/// found readable: an apostille is never given on a scan nobody could read.
fn paper_fields(
    svc: &Services,
    case: &str,
    f: &[(String, String)],
) -> Result<CertifiedFields, ApiError> {
    let (jobs, review) = parts(svc)?;
    let c = summary(jobs, review, case, std::time::SystemTime::now())?;
    match c.route() {
        None => {
            return Err(ApiError::Conflict(format!(
                "case {case} has not been read yet; approve once its reading and checks are done"
            )));
        }
        Some("unreadable") => {
            return Err(ApiError::Conflict(format!(
                "case {case} could not be read: refuse and ask the holder for a new scan"
            )));
        }
        Some(_) => {}
    }
    let get = |k: &str| field(f, k).unwrap_or("").trim().to_string();
    Ok(CertifiedFields {
        holder_name: get("holder_name"),
        document_number: get("document_number"),
        document_issued_on: get("document_issued_on"),
        signed_by: get("signed_by"),
        capacity: get("capacity"),
        seal_of: get("seal_of"),
    })
}

/// Issues the e-Apostille of an approved request, as the apostille authority: the registered
/// issuer permitted `apostille` whose key this deployment holds.
fn issue_apostille(
    svc: &Services,
    log: &crate::ledger::Log,
    officer: &str,
    r: &review::apostille::Request,
    number: &str,
    paper: Option<&CertifiedFields>,
) -> Result<review::apostille::IssuedApostille, String> {
    use crate::credential::kinds::Apostille;
    let (authority, key) = body_for(svc, DocumentKind::Apostille, "apostille authority")?;
    // A ledger document's fields 2–4 are its issuer's electronic signature; a paper
    // document's are what the officer confirmed.
    let (f, document_credential) = match (&r.document, paper) {
        (review::apostille::Certified::Ledger(d), _) => (
            CertifiedFields {
                holder_name: d.holder_name.clone(),
                document_number: d.series_number.clone(),
                document_issued_on: d.issued_on.clone(),
                signed_by: format!(
                    "{} — электронная цифровая подпись / electronic signature",
                    d.issuer_name
                ),
                capacity: format!(
                    "организация образования, эмитент реестра Tanba (БИН {}) / education issuer in the Tanba registry",
                    d.issuer
                ),
                seal_of: d.issuer_name.clone(),
            },
            Some(d.credential.clone()),
        ),
        (review::apostille::Certified::Paper(_), Some(p)) => (p.clone(), None),
        (review::apostille::Certified::Paper(p), None) => {
            return Err(format!(
                "the apostille on the paper document of case {} needs the officer's fields",
                p.case
            ));
        }
    };
    let apostille = Apostille {
        apostille_number: number.to_string(),
        issued_on: super::api::today().to_string(),
        signed_by: f.signed_by,
        capacity: f.capacity,
        seal_of: f.seal_of,
        place: "Астана / Astana".into(),
        authority: format!("{} / {}", authority.names.ru, authority.names.en),
        seal: format!(
            "электронная печать / electronic seal: {} (БИН {})",
            authority.names.ru, authority.bin
        ),
        signature: format!("{officer} (ЭЦП органа / the authority's e-signature)"),
        holder: Holder {
            full_name: f.holder_name,
            iin: r.holder_iin.clone(),
        },
        document_kind: r.document.kind().to_string(),
        document_credential,
        document_number: f.document_number,
        document_issued_on: f.document_issued_on,
    };
    let doc = Document::Apostille(apostille);
    let b = issue_as_body(svc, log, &doc, (authority, key))?;
    Ok(review::apostille::IssuedApostille {
        number: number.to_string(),
        issued_on: b.issued.signed.header.issued_on.clone(),
        credential: b.issued.id.to_string(),
        verify_url: b.qr_text,
        code: b.issued.id.verification_code(),
    })
}

async fn apostille_act(
    state: AppState,
    addr: SocketAddr,
    q: LangQuery,
    headers: HeaderMap,
    id: String,
    body: Bytes,
    approve: bool,
) -> Response {
    let (lang, svc) = match prelude(&state, &q, &headers, true) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let caller = match officer_or_signin(&svc, &headers, addr, lang).await {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let svc2 = svc.clone();
    let caller2 = Caller {
        principal: caller.principal.clone(),
        source: caller.source.clone(),
    };
    let log = state.log.clone();
    let done = blocking(move || {
        let (svc, caller) = (svc2, caller2);
        let action = if approve {
            "apostille.approve"
        } else {
            "apostille.refuse"
        };
        let attempt = Attempt::new(&svc, &caller, action, &id);
        let p = attempt.authorise(&Action::Apostille)?;
        let requests = apostilles(&svc).map_err(|e| attempt.fail(e))?;
        let f = fields(&body);
        let r = if approve {
            // A paper document: its case must have been read, and the officer's fields
            // (prefilled from the reading) say what the apostille certifies.
            let paper = match requests
                .get(&id)
                .map_err(|e| attempt.fail(review_error(e)))?
            {
                review::apostille::Request {
                    document: review::apostille::Certified::Paper(paper),
                    ..
                } => Some(paper_fields(&svc, &paper.case, &f).map_err(|e| attempt.fail(e))?),
                _ => None,
            };
            requests.approve(&id, &p.username, &|r, number| {
                issue_apostille(&svc, &log, &p.username, r, number, paper.as_ref())
            })
        } else {
            requests.refuse(&id, &p.username, field(&f, "reason").unwrap_or(""))
        }
        .map_err(|e| attempt.fail(review_error(e)))?;
        let detail = match &r.state {
            review::apostille::RequestState::Approved { apostille, .. } => {
                format!("{} {}", apostille.number, apostille.credential)
            }
            _ => "refused".to_string(),
        };
        attempt.ok(&detail)?;
        Ok(())
    })
    .await;
    match done {
        Ok(()) => see_other(format!("/officer/apostilles?lang={}", lang.code()), None),
        Err(e) => apostille_page(svc, caller, lang, Some(e)).await,
    }
}

async fn approve_apostille(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    apostille_act(state, addr, q, headers, id, body, true).await
}

async fn refuse_apostille(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    apostille_act(state, addr, q, headers, id, body, false).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every message the officers' pages compose from a code exists in every language.
    #[test]
    fn every_composed_message_exists() {
        let mut ids: Vec<String> = vec![
            "officer-title".into(),
            "officer-title-signin".into(),
            "officer-title-case".into(),
            "officer-bad-login".into(),
            "officer-failed".into(),
            "officer-now".into(),
        ];
        for s in [
            "open",
            "requested",
            "awaiting-confirmation",
            "recognised",
            "refused",
        ] {
            ids.push(format!("officer-status-{s}"));
        }
        for w in ["same-iin", "same-person", "same-document", "repeat"] {
            ids.push(format!("officer-why-{w}"));
        }
        for e in ["proposed", "returned", "recognised", "refused", "requested"] {
            ids.push(format!("officer-event-{e}"));
        }
        ids.extend(
            FIELDS
                .iter()
                .map(|f| format!("officer-field-{}", f.replace('_', "-"))),
        );
        ids.extend(LEVELS.iter().map(|l| format!("officer-level-{l}")));
        for lang in Lang::ALL {
            for id in &ids {
                assert!(lang.try_t(id).is_some(), "{id} in {}", lang.code());
            }
            let t = texts(lang);
            let m: std::collections::BTreeMap<String, String> =
                serde_json::from_value(serde_json::to_value(&t).unwrap()).unwrap();
            for (k, v) in m {
                assert!(!v.starts_with("officer-"), "{k} in {}: {v}", lang.code());
            }
        }
        // The level codes are the certificate's.
        for l in LEVELS {
            let level: RecognisedLevel = serde_json::from_value(Value::String(l.into())).unwrap();
            assert_eq!(level_code(level), l);
        }
    }
}
