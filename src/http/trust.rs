//! `/trust` and the DID documents: what offline verifiers cache and what `did:web` resolves.
//!
//! - `GET /trust` — the registry as a root-signed trust list (JSON).
//! - `GET /.well-known/did.json` — the root authority's DID document (`did:web:<host>`).
//! - `GET /issuers/<BIN>/did.json` — an issuer's DID document
//!   (`did:web:<host>:issuers:<BIN>`), one Multikey per registered key.

use super::error::ApiError;
use super::{AppState, Services};
use crate::credential::vc;
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/trust", get(trust))
        .route("/.well-known/did.json", get(root_did))
        .route("/issuers/{bin}/did.json", get(issuer_did))
}

fn context(state: &AppState) -> Result<&Services, ApiError> {
    state
        .services
        .as_deref()
        .ok_or_else(|| ApiError::Unavailable("this server runs without the issuer registry".into()))
}

fn json_with_cache(body: serde_json::Value) -> Response {
    ([(header::CACHE_CONTROL, "public, max-age=300")], Json(body)).into_response()
}

async fn trust(State(state): State<AppState>) -> Result<Response, ApiError> {
    let ctx = context(&state)?;
    let today = time::OffsetDateTime::now_utc().date();
    let list = ctx
        .issuance
        .registry()
        .trust_list(&ctx.authority, today)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(json_with_cache(
        serde_json::to_value(list).map_err(|e| ApiError::Internal(e.to_string()))?,
    ))
}

async fn root_did(State(state): State<AppState>) -> Result<Response, ApiError> {
    let ctx = context(&state)?;
    let did = format!("did:web:{}", ctx.host.replace(':', "%3A"));
    Ok(json_with_cache(vc::did_document(
        &did,
        &[ctx.authority.public()],
    )))
}

async fn issuer_did(
    State(state): State<AppState>,
    Path(bin): Path<String>,
) -> Result<Response, ApiError> {
    let ctx = context(&state)?;
    let reg = ctx.issuance.registry();
    let issuer = reg
        .issuer(&bin)
        .ok_or_else(|| ApiError::NotFound(format!("no issuer with BIN {bin:?} is registered")))?;
    let keys: Vec<_> = issuer.keys.iter().map(|k| k.public_key).collect();
    let mut doc = vc::did_document(&vc::issuer_did(&ctx.host, &issuer.bin), &keys);
    doc["alsoKnownAs"] = serde_json::json!([format!("urn:kz:bin:{}", issuer.bin)]);
    Ok(json_with_cache(doc))
}
