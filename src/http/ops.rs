//! Operations endpoints: `/healthz` and `/metrics`.

use super::AppState;
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/", get(index))
}

async fn healthz(State(state): State<AppState>) -> Response {
    let cp = state.log.checkpoint();
    Json(json!({
        "status": "ok",
        "tree_size": cp.head.size,
        "checkpoint_age_seconds": state.log.metrics().checkpoint_age_seconds(),
    }))
    .into_response()
}

async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.log.metrics().render(),
    )
        .into_response()
}

/// What this server offers, for a person who opens its root URL.
async fn index(State(state): State<AppState>) -> Response {
    let cp = state.log.checkpoint();
    Json(json!({
        "service": "Tanba ledger",
        "origin": cp.origin,
        "tree_size": cp.head.size,
        "endpoints": {
            "checkpoint": "/ledger/checkpoint",
            "verifier_key": "/ledger/vkey",
            "tiles": "/ledger/tile/<L>/<N>[.p/<W>] and /ledger/tile/entries/<N>[.p/<W>] (C2SP tlog-tiles)",
            "inclusion_proof": "/ledger/proof/inclusion?index=N[&size=S] or ?hash=H",
            "consistency_proof": "/ledger/proof/consistency?from=M[&to=N]",
            "health": "/healthz",
            "metrics": "/metrics",
        }
    }))
    .into_response()
}
