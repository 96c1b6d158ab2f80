//! `/ledger/*`: the log as any C2SP tlog-tiles client expects it, plus JSON proofs.

use super::AppState;
use super::error::ApiError;
use crate::ledger::TileId;
use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const SHORT_LIVED: &str = "public, max-age=1";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ledger/checkpoint", get(checkpoint))
        .route("/ledger/vkey", get(vkey))
        .route("/ledger/tile/{*path}", get(tile))
        .route("/ledger/proof/inclusion", get(inclusion))
        .route("/ledger/proof/consistency", get(consistency))
}

/// The latest signed checkpoint, a C2SP signed note.
async fn checkpoint(State(state): State<AppState>) -> Response {
    let cp = state.log.checkpoint();
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        cp.note.clone(),
    )
        .into_response()
}

/// The log's verifier key, signed-note vkey format.
async fn vkey(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{}\n", state.log.verifier().vkey()),
    )
        .into_response()
}

/// A hash tile or entry bundle at its C2SP path.
async fn tile(
    State(state): State<AppState>,
    Path(path): Path<String>,
) -> Result<Response, ApiError> {
    let id =
        TileId::parse(&format!("tile/{path}")).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let log = state.log.clone();
    let data = tokio::task::spawn_blocking(move || log.read_tile(id)).await??;
    let data = data.ok_or_else(|| {
        ApiError::NotFound(format!(
            "{} is not covered by the latest checkpoint",
            id.path()
        ))
    })?;
    let cache = if id.is_full() { IMMUTABLE } else { SHORT_LIVED };
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, cache),
        ],
        data,
    )
        .into_response())
}

/// Query parameters are taken as text so that every malformed value gets our own message.
#[derive(Deserialize)]
struct InclusionQuery {
    index: Option<String>,
    hash: Option<String>,
    size: Option<String>,
}

fn parse_u64(name: &str, v: &str) -> Result<u64, ApiError> {
    v.parse::<u64>()
        .map_err(|_| ApiError::BadRequest(format!("{name}={v:?} is not a non-negative integer")))
}

fn optional_u64(name: &str, v: Option<&String>) -> Result<Option<u64>, ApiError> {
    v.map(|v| parse_u64(name, v)).transpose()
}

/// `?index=N[&size=S]` or `?hash=<base64 or hex leaf hash>[&size=S]`.
async fn inclusion(
    State(state): State<AppState>,
    Query(q): Query<InclusionQuery>,
) -> Result<Response, ApiError> {
    let size = optional_u64("size", q.size.as_ref())?;
    let log = state.log.clone();
    let proof = match (q.index, q.hash) {
        (Some(i), None) => {
            let index = parse_u64("index", &i)?;
            tokio::task::spawn_blocking(move || log.inclusion_proof(index, size)).await??
        }
        (None, Some(h)) => {
            tokio::task::spawn_blocking(move || log.inclusion_proof_by_hash(&h, size)).await??
        }
        _ => {
            return Err(ApiError::BadRequest(
                "give exactly one of index= or hash=".into(),
            ));
        }
    };
    Ok(Json(proof).into_response())
}

#[derive(Deserialize)]
struct ConsistencyQuery {
    from: Option<String>,
    to: Option<String>,
}

/// `?from=M[&to=N]`.
async fn consistency(
    State(state): State<AppState>,
    Query(q): Query<ConsistencyQuery>,
) -> Result<Response, ApiError> {
    let from = q
        .from
        .as_ref()
        .ok_or_else(|| ApiError::BadRequest("from= is required".into()))?;
    let from = parse_u64("from", from)?;
    let to = optional_u64("to", q.to.as_ref())?;
    let log = state.log.clone();
    let proof = tokio::task::spawn_blocking(move || log.consistency_proof(from, to)).await??;
    Ok(Json(proof).into_response())
}
