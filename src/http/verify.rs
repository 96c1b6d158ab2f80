//! Anonymous verification over HTTP: `POST /api/v1/verify` for systems (one document or a batch
//! of up to 1,000) and the OpenAPI description at `/api/openapi.json`. Both the API and the
//! public page (`page.rs`) call the one routine in `crate::verify` and share the per-address
//! rate limit.
//!
//! ```text
//! POST /api/v1/verify {"qr": "<QR text>", "checkpoint"?: "<signed note you hold>"}
//!   → 200 {"status": "valid"|"revoked"|"superseded"|"terminated"|"unknown"|"tampered",
//!          "message": {"kk","ru","en"}, "reason"?, "detail"?, "document"?, "checks", "ledger"?}
//! POST /api/v1/verify {"code": "XXXX-XXXX-XXXX"}
//!   → 200 <verdict of the current version, no claims> | 404 no document has the code
//! POST /api/v1/verify {"items": [{"qr": ...} | {"code": ...}, ...], "checkpoint"?: ...}
//!   → 200 {"items": [<verdict> | {"error": {"status": 400|404, "message": ...}}, ...]}
//! ```
//!
//! The printed verification code proves what a document is and whether it stands, not whose it
//! is: its verdict discloses no claim (see [`crate::verify::verify_code`]).
//!
//! A QR text that is not Tanba's at all is a 400 (in a batch: that item's `error`); a damaged
//! or forged one is a verdict. An exhausted allowance is a 429 with `Retry-After`.

use super::error::ApiError;
use super::{AppState, Services};
use crate::ledger::SignedCheckpoint;
use crate::verify::{Verifier, VerifyError};
use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;

/// Most documents in one verification request.
pub const MAX_BATCH: usize = 1000;

/// Largest verification request body: a full batch of long QR texts.
pub const MAX_VERIFY_BYTES: usize = 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/verify", post(verify))
}

/// Largest uploaded file (photo, scan or PDF) to find a QR code in.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

/// `POST /api/v1/verify/file`: the file as the body.
pub fn file_router() -> Router<AppState> {
    Router::new().route("/api/v1/verify/file", post(verify_file))
}

/// Routes under the general body limit.
pub fn docs_router() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(openapi))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Item {
    qr: Option<String>,
    code: Option<String>,
}

/// One document to verify: by its QR text or by its printed verification code.
enum Input {
    Qr(String),
    Code(String),
}

impl Item {
    fn input(self) -> Result<Input, String> {
        match (self.qr, self.code) {
            (Some(q), None) => Ok(Input::Qr(q)),
            (None, Some(c)) => Ok(Input::Code(c)),
            _ => Err("give exactly one of `qr` and `code`".into()),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    qr: Option<String>,
    code: Option<String>,
    items: Option<Vec<Item>>,
    checkpoint: Option<String>,
}

fn services(state: &AppState) -> Result<Arc<Services>, ApiError> {
    state
        .services
        .clone()
        .ok_or_else(|| ApiError::Unavailable("this server runs without verification".into()))
}

/// Charges `cost` documents to the caller's address.
pub(super) fn charge(svc: &Services, addr: SocketAddr, cost: usize) -> Result<(), ApiError> {
    let burst = svc.verify_limiter.burst() as usize;
    if cost > burst {
        return Err(ApiError::TooManyRequests {
            message: format!(
                "a request may verify at most {burst} documents at once; this one has {cost}"
            ),
            retry_after: 1,
        });
    }
    svc.verify_limiter
        .take(addr.ip(), cost as u32)
        .map_err(|retry_after| ApiError::TooManyRequests {
            message: format!(
                "too many verifications from {}: retry in {retry_after} s",
                addr.ip()
            ),
            retry_after,
        })
}

fn verify_error(e: VerifyError) -> ApiError {
    match e {
        VerifyError::NotOurs | VerifyError::TooLong(_) | VerifyError::BadCode(_) => {
            ApiError::BadRequest(e.to_string())
        }
        VerifyError::NoSuchCode(_) => ApiError::NotFound(e.to_string()),
        VerifyError::Internal(m) => ApiError::Internal(m),
    }
}

async fn verify(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let svc = services(&state)?;
    let req: Request = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!(
            "the body must be JSON {{\"qr\": \"...\"}}, {{\"code\": \"...\"}} or {{\"items\": [{{\"qr\": \"...\"}}, ...]}}: {e}"
        ))
    })?;
    let (inputs, batch) = match (req.qr, req.code, req.items) {
        (Some(q), None, None) => (vec![Ok(Input::Qr(q))], false),
        (None, Some(c), None) => (vec![Ok(Input::Code(c))], false),
        (None, None, Some(items)) if items.is_empty() => {
            return Err(ApiError::BadRequest("`items` is empty".into()));
        }
        (None, None, Some(items)) if items.len() > MAX_BATCH => {
            return Err(ApiError::BadRequest(format!(
                "`items` holds {} documents; at most {MAX_BATCH} per request",
                items.len()
            )));
        }
        (None, None, Some(items)) => (items.into_iter().map(Item::input).collect(), true),
        _ => {
            return Err(ApiError::BadRequest(
                "give exactly one of `qr`, `code` and `items`".into(),
            ));
        }
    };
    charge(&svc, addr, inputs.len())?;
    let held: Option<SignedCheckpoint> = match req.checkpoint {
        None => None,
        Some(note) => Some(state.log.verifier().open(note.as_bytes()).map_err(|e| {
            ApiError::BadRequest(format!(
                "`checkpoint` is not this log's signed checkpoint: {e}"
            ))
        })?),
    };
    let log = state.log.clone();
    let run = move || {
        let v = Verifier::Online {
            issuance: &svc.issuance,
            log: &log,
        };
        inputs
            .into_iter()
            .map(|input| match input {
                Ok(Input::Qr(t)) => v.verify_qr(&t, held.as_ref()),
                Ok(Input::Code(c)) => crate::verify::verify_code(&svc.issuance, &log, &c),
                Err(why) => Err(VerifyError::BadCode(why)),
            })
            .collect::<Vec<_>>()
    };
    // One document is about a tenth of a millisecond of CPU over store pages the OS keeps
    // cached: it runs on the request's own task, since handing it to a blocking thread (a
    // futex wake and two context switches) cost more than a tenth of the whole request under
    // load. A batch of up to 1,000 goes to the blocking pool.
    let out = if batch {
        tokio::task::spawn_blocking(run).await?
    } else {
        run()
    };
    if !batch {
        let verdict = out
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::Internal("no verdict for the one document".into()))?
            .map_err(verify_error)?;
        return Ok(Json(verdict).into_response());
    }
    let items: Vec<Value> = out
        .into_iter()
        .map(|r| match r {
            Ok(v) => serde_json::to_value(v).unwrap_or(Value::Null),
            Err(VerifyError::Internal(m)) => {
                tracing::error!(detail = %m, "verification failed");
                json!({"error": {"status": 500, "message": "internal error; it has been logged"}})
            }
            Err(e @ VerifyError::NoSuchCode(_)) => {
                json!({"error": {"status": 404, "message": e.to_string()}})
            }
            Err(e) => json!({"error": {"status": 400, "message": e.to_string()}}),
        })
        .collect();
    Ok(Json(json!({ "items": items })).into_response())
}

/// The verdict for the first QR code found in a PNG, JPEG or PDF sent as the body.
async fn verify_file(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    use crate::verify::scan::{self, ScanError};
    let svc = services(&state)?;
    if body.is_empty() {
        return Err(ApiError::BadRequest(
            "send the PNG, JPEG or PDF file as the request body".into(),
        ));
    }
    charge(&svc, addr, 1)?;
    let log = state.log.clone();
    let verdict = tokio::task::spawn_blocking(move || {
        let texts = scan::qr_texts(&body).map_err(|e| match e {
            ScanError::TooLarge { .. } => ApiError::TooLarge(e.to_string()),
            _ => ApiError::Unprocessable(e.to_string()),
        })?;
        let v = Verifier::Online {
            issuance: &svc.issuance,
            log: &log,
        };
        let first = texts
            .first()
            .ok_or_else(|| ApiError::Unprocessable(ScanError::NoCode.to_string()))?;
        v.verify_qr(first, None).map_err(verify_error)
    })
    .await??;
    Ok(Json(verdict).into_response())
}

async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
        .into_response()
}
