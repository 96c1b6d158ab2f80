//! The one error type of the HTTP layer: each variant is one status code, the body is always
//! JSON `{"error": {"status": N, "message": "..."}}`, and internal details are logged, not sent.

use crate::ledger::{AppendError, ProofError};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug)]
pub enum ApiError {
    /// The request is malformed; the message names the parameter and the rule.
    BadRequest(String),
    /// No valid credentials came with the request.
    Unauthorized(String),
    /// The principal may not do this.
    Forbidden(String),
    NotFound(String),
    /// The request conflicts with what exists (a duplicate, a stale version).
    Conflict(String),
    /// Well-formed but invalid content; the message names the field and the rule.
    Unprocessable(String),
    TooLarge(String),
    /// The client's address spent its allowance; retry after the given seconds.
    TooManyRequests {
        message: String,
        retry_after: u64,
    },
    /// Temporarily unable (overload, shutting down); the client may retry.
    Unavailable(String),
    /// A fault on our side; the detail goes to the log only.
    Internal(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::TooManyRequests {
            message,
            retry_after,
        } = self
        {
            let status = StatusCode::TOO_MANY_REQUESTS;
            let body =
                json!({"error": {"status": 429, "message": message, "retry_after": retry_after}});
            return (
                status,
                [(axum::http::header::RETRY_AFTER, retry_after.to_string())],
                Json(body),
            )
                .into_response();
        }
        let (status, message) = self.parts();
        let body = json!({"error": {"status": status.as_u16(), "message": message}});
        (status, Json(body)).into_response()
    }
}

impl ApiError {
    /// A page's status and the error shown on it: `200` and none, or the error's.
    pub fn page_status(error: Option<ApiError>) -> (StatusCode, Option<String>) {
        match error {
            Some(e) => {
                let (s, m) = e.parts();
                (s, Some(m))
            }
            None => (StatusCode::OK, None),
        }
    }

    /// The status code and the message a client is shown (an internal error's detail is
    /// logged here, and replaced).
    pub fn parts(self) -> (StatusCode, String) {
        match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            ApiError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, m),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, m),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, m),
            ApiError::Unprocessable(m) => (StatusCode::UNPROCESSABLE_ENTITY, m),
            ApiError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, m),
            ApiError::TooManyRequests { message, .. } => (StatusCode::TOO_MANY_REQUESTS, message),
            ApiError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, m),
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error; it has been logged".to_string(),
                )
            }
        }
    }
}

impl From<ProofError> for ApiError {
    fn from(e: ProofError) -> Self {
        match e {
            ProofError::OutOfRange { .. } | ProofError::BadHash { .. } | ProofError::Invalid(_) => {
                ApiError::BadRequest(e.to_string())
            }
            ProofError::UnknownLeaf(_) => ApiError::NotFound(e.to_string()),
            ProofError::Storage(_) => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<AppendError> for ApiError {
    fn from(e: AppendError) -> Self {
        match e {
            AppendError::PoolFull(_) | AppendError::Closed => ApiError::Unavailable(e.to_string()),
            AppendError::Commit(_) => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        ApiError::Internal(e.to_string())
    }
}
