//! Foreign-document cases over HTTP, for recognition and apostille officers.
//!
//! - `POST /api/v1/cases` (multipart): an `application` part (JSON, see
//!   [`crate::intake::Application`]; may be absent) and one or more `file` parts (JPEG, PNG,
//!   TIFF or PDF). Every file and the application are checked before anything is kept; the
//!   answer is `202 Accepted` with the case id, and the case is read in the background.
//! - `GET /api/v1/cases`: every case, oldest first, with its job's state.
//! - `GET /api/v1/cases/{id}`: the application, the files, the job's state (queued with the
//!   cases ahead, running with file, page and stage, done, failed) and, once read, the reading.
//! - `GET /api/v1/cases/{id}/files/{sha256}`: a file exactly as received.
//!
//! Every call is made by an authenticated officer (or admin) and journalled.

use super::api::{Attempt, Caller, blocking, services};
use super::error::ApiError;
use super::{AppState, Services};
use crate::accounts::Action;
use crate::intake::jobs::Jobs;
use crate::intake::{Application, CaseError, Received};
use axum::Json;
use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

/// Largest case upload: every file together.
pub const MAX_CASE_BYTES: usize = 64 * 1024 * 1024;

/// Most files in one case.
pub const MAX_CASE_FILES: usize = 20;

/// The reads; the upload is in [`upload_router`], under its own body limit.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/cases/{id}", get(read_case))
        .route("/api/v1/cases/{id}/files/{sha256}", get(read_file))
}

pub fn upload_router() -> Router<AppState> {
    Router::new().route("/api/v1/cases", get(list_cases).post(open_case))
}

fn jobs(svc: &Services) -> Result<&Jobs, ApiError> {
    svc.cases.as_ref().ok_or_else(|| {
        ApiError::Unavailable("this server does not take foreign-document cases".into())
    })
}

pub(super) fn case_error(e: CaseError) -> ApiError {
    match e {
        CaseError::Invalid(_) => ApiError::Unprocessable(e.to_string()),
        CaseError::Unknown(_) => ApiError::NotFound(e.to_string()),
        CaseError::Altered(_) | CaseError::Io(_) | CaseError::Seen(_) => {
            ApiError::Internal(e.to_string())
        }
    }
}

async fn open_case(
    State(state): State<AppState>,
    caller: Caller,
    mut form: Multipart,
) -> Result<Response, ApiError> {
    let svc = services(&state)?;
    let refused = {
        let attempt = Attempt::new(&svc, &caller, "case.open", "");
        attempt.authorise(&Action::HandleCases).err()
    };
    if let Some(e) = refused {
        // Read what was sent before answering: a client still sending its scans would
        // otherwise see the connection cut instead of the 401 or 403.
        while let Ok(Some(field)) = form.next_field().await {
            if field.bytes().await.is_err() {
                break;
            }
        }
        return Err(e);
    }
    let mut application = None::<Vec<u8>>;
    let mut files = Vec::new();
    let mut malformed = None::<String>;
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                let file_name = field.file_name().map(str::to_string);
                let bytes = match field.bytes().await {
                    Ok(b) => b,
                    Err(e) => {
                        malformed = Some(format!("part {name:?} could not be read: {e}"));
                        break;
                    }
                };
                match name.as_str() {
                    "application" => application = Some(bytes.to_vec()),
                    "file" => {
                        let n = files.len() + 1;
                        files.push((
                            file_name.unwrap_or_else(|| format!("file {n}")),
                            bytes.to_vec(),
                        ))
                    }
                    other => {
                        malformed = Some(format!(
                            "part {other:?} is neither `application` nor `file`"
                        ));
                        break;
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                malformed = Some(format!(
                    "the body must be multipart/form-data with `application` and `file` parts: {e}"
                ));
                break;
            }
        }
    }
    blocking(move || {
        let attempt = Attempt::new(&svc, &caller, "case.open", "");
        if let Some(m) = malformed {
            return Err(attempt.fail(ApiError::BadRequest(m)));
        }
        if files.len() > MAX_CASE_FILES {
            return Err(attempt.fail(ApiError::Unprocessable(format!(
                "files: {} were sent; a case holds at most {MAX_CASE_FILES}",
                files.len()
            ))));
        }
        let application = match application {
            None => Application::default(),
            Some(b) => Application::from_json(&b).map_err(|mut errors| {
                // Every problem at once: the files' too.
                for (name, bytes) in &files {
                    if let Err(e) =
                        Received::check(name, bytes.clone()).and_then(|r| r.pages().map(|_| ()))
                    {
                        errors.push(e);
                    }
                }
                attempt.fail(case_error(CaseError::Invalid(errors)))
            })?,
        };
        let count = files.len();
        let jobs = jobs(&svc).map_err(|e| attempt.fail(e))?;
        let id = jobs
            .submit(&application, files)
            .map_err(|e| attempt.fail(case_error(e)))?;
        let job = jobs.state(&id).map_err(|e| attempt.fail(case_error(e)))?;
        Attempt::new(&svc, &caller, "case.open", &id).ok(&format!("{count} file(s)"))?;
        Ok((
            StatusCode::ACCEPTED,
            [(header::LOCATION, format!("/api/v1/cases/{id}"))],
            Json(json!({"id": id, "job": job, "links": {"self": format!("/api/v1/cases/{id}")}})),
        )
            .into_response())
    })
    .await
}

async fn list_cases(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let svc = services(&state)?;
    blocking(move || {
        let attempt = Attempt::new(&svc, &caller, "case.list", "");
        attempt.authorise(&Action::HandleCases)?;
        let list = jobs(&svc)
            .and_then(|j| j.list().map_err(case_error))
            .map_err(|e| attempt.fail(e))?;
        attempt.ok(&format!("{} case(s)", list.len()))?;
        let cases: Vec<_> = list
            .into_iter()
            .map(|(id, job)| json!({"id": id, "job": job, "links": {"self": format!("/api/v1/cases/{id}")}}))
            .collect();
        Ok(Json(json!({"cases": cases})).into_response())
    })
    .await
}

async fn read_case(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let svc = services(&state)?;
    blocking(move || {
        let attempt = Attempt::new(&svc, &caller, "case.read", &id);
        attempt.authorise(&Action::HandleCases)?;
        let view = jobs(&svc)
            .and_then(|j| j.view(&id).map_err(case_error))
            .map_err(|e| attempt.fail(e))?;
        attempt.ok("")?;
        Ok(Json(view).into_response())
    })
    .await
}

async fn read_file(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, sha256)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let svc = services(&state)?;
    blocking(move || {
        let attempt = Attempt::new(&svc, &caller, "case.read_file", &id);
        attempt.authorise(&Action::HandleCases)?;
        let file = jobs(&svc)
            .and_then(|j| j.file(&id, &sha256).map_err(case_error))
            .map_err(|e| attempt.fail(e))?;
        attempt.ok(&sha256)?;
        Ok((
            [(header::CONTENT_TYPE, file.format.media_type())],
            file.bytes,
        )
            .into_response())
    })
    .await
}
