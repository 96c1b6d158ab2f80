//! The HTTP service (axum): one router per resource, one error type, shared limits.
//!
//! Limits: request bodies 64 KiB, request line 8 KiB, headers 32 KiB in total, 30 s per
//! request. On SIGTERM or Ctrl-C the server stops accepting connections, finishes the requests
//! in flight, and the caller then closes the log, which commits the batch in flight and signs
//! a final checkpoint.

pub mod api;
pub mod cases;
pub mod error;
mod ledger;
mod officer;
mod ops;
mod page;
mod portal;
pub mod ratelimit;
mod register;
pub mod trust;
pub mod verify;

use crate::accounts::Accounts;
use crate::accounts::journal::Journal;
use crate::credential::issuer_key::IssuerSigningKey;
use crate::issuance::Issuance;
use crate::ledger::Log;
use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use error::ApiError;
use std::sync::Arc;
use std::time::Duration;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

pub const MAX_BODY_BYTES: usize = 64 * 1024;
pub const MAX_URI_BYTES: usize = 8 * 1024;
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Largest bulk-issuance upload (a CSV or XLSX of a whole cohort).
pub const MAX_UPLOAD_BYTES: usize = 16 * 1024 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub log: Arc<Log>,
    /// Registry, issuance, accounts; `None` serves the ledger alone.
    pub services: Option<Arc<Services>>,
}

/// Finds the signing key this deployment holds for an issuer, by BIN.
pub type IssuerKeys = Box<dyn Fn(&str) -> Option<IssuerSigningKey> + Send + Sync>;

/// What the endpoints beyond the bare ledger need.
pub struct Services {
    pub issuance: Issuance,
    /// Signs the trust list (the root authority's key, held by this deployment).
    pub authority: IssuerSigningKey,
    /// Host (and port) of `public_url`, as used in `did:web` identifiers.
    pub host: String,
    /// Base of the verification URLs in QR codes, e.g. `https://tanba.edu.kz`.
    pub public_url: String,
    pub accounts: Accounts,
    pub journal: Journal,
    /// The signing key this deployment holds for an issuer (by BIN), if any.
    pub issuer_keys: IssuerKeys,
    /// Per-address allowance of the anonymous verification API and page.
    pub verify_limiter: ratelimit::RateLimiter,
    /// Pending one-time sign-in codes of the holder portal.
    pub codes: crate::holder::OneTimeCodes,
    /// Delivers those codes; `None`: sign-in by code is off.
    pub code_sender: Option<Box<dyn crate::holder::CodeSender>>,
    /// Holders' share links.
    pub shares: crate::holder::Shares,
    /// Sign-in through an OpenID Connect provider (eGov), when configured.
    pub oidc: Option<crate::holder::oidc::Oidc>,
    /// Foreign-document cases and the background workers that read them; `None`: not taken.
    pub cases: Option<crate::intake::jobs::Jobs>,
    /// The officers' decisions on those cases; `Some` when `cases` is.
    pub review: Option<crate::review::Review>,
    /// e-Apostille requests and the e-Register; `None`: not offered.
    pub apostilles: Option<crate::review::apostille::Requests>,
}

/// The whole application router.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(ledger::router())
        .merge(ops::router())
        .merge(trust::router())
        .merge(api::router())
        .merge(verify::docs_router())
        .merge(page::router())
        .merge(portal::router())
        .merge(cases::router())
        .merge(officer::router())
        .merge(register::router())
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        // A verification batch of 1,000 QR texts is larger than other requests.
        .merge(
            verify::router()
                .layer(axum::extract::DefaultBodyLimit::disable())
                .layer(RequestBodyLimitLayer::new(verify::MAX_VERIFY_BYTES)),
        )
        // Files to find a QR code in: photos, scans, PDFs.
        .merge(
            verify::file_router()
                .merge(page::upload_router())
                .layer(axum::extract::DefaultBodyLimit::disable())
                .layer(RequestBodyLimitLayer::new(
                    verify::MAX_FILE_BYTES + 64 * 1024,
                )),
        )
        // Scans of a foreign-document case, or of a paper document brought for an apostille.
        .merge(
            cases::upload_router()
                .merge(portal::upload_router())
                .layer(axum::extract::DefaultBodyLimit::disable())
                .layer(RequestBodyLimitLayer::new(cases::MAX_CASE_BYTES)),
        )
        // Bulk uploads alone may be larger.
        .merge(
            api::upload_router()
                .layer(axum::extract::DefaultBodyLimit::disable())
                .layer(RequestBodyLimitLayer::new(MAX_UPLOAD_BYTES)),
        )
        .fallback(not_found)
        .with_state(state)
        .layer(middleware::from_fn(header_limits))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
}

async fn not_found(req: Request) -> ApiError {
    ApiError::NotFound(format!("no such resource: {}", req.uri().path()))
}

async fn header_limits(req: Request, next: Next) -> Response {
    let uri_len = req.uri().to_string().len();
    if uri_len > MAX_URI_BYTES {
        return (
            StatusCode::URI_TOO_LONG,
            axum::Json(serde_json::json!({"error": {"status": 414, "message": format!("request URI is {uri_len} bytes; the limit is {MAX_URI_BYTES}")}})),
        )
            .into_response();
    }
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if header_bytes > MAX_HEADER_BYTES {
        return (
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            axum::Json(serde_json::json!({"error": {"status": 431, "message": format!("request headers are {header_bytes} bytes; the limit is {MAX_HEADER_BYTES}")}})),
        )
            .into_response();
    }
    next.run(req).await
}

/// Serves until `shutdown` resolves, then drains in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Registers SIGTERM and Ctrl-C handlers now (so a signal that arrives before serving starts is
/// not lost to the default action) and returns a future that resolves on either.
/// Must be called inside the tokio runtime.
pub fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    #[cfg(unix)]
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutdown requested: finishing requests in flight");
    })
}
