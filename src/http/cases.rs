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

/// A multipart upload: its one text part (an application, a kind) and its `file` parts, each
/// with the name it was submitted under.
pub(super) struct Upload {
    pub text: Option<Vec<u8>>,
    pub files: Vec<(String, Vec<u8>)>,
}

/// Reads an upload of `file` parts and one text part named `text`. Any other part, a part
/// that cannot be read, or a body that is not multipart is an error naming it. A file input
/// left empty (no file name, no bytes) sends a part of its own, which is skipped.
pub(super) async fn read_upload(form: &mut Multipart, text: &str) -> Result<Upload, String> {
    let mut upload = Upload {
        text: None,
        files: Vec::new(),
    };
    loop {
        let part = match form.next_field().await {
            Ok(Some(part)) => part,
            Ok(None) => return Ok(upload),
            Err(e) => {
                return Err(format!(
                    "the body must be multipart/form-data with `{text}` and `file` parts: {e}"
                ));
            }
        };
        let name = part.name().unwrap_or("").to_string();
        let file_name = part
            .file_name()
            .filter(|n| !n.is_empty())
            .map(str::to_string);
        let bytes = part
            .bytes()
            .await
            .map_err(|e| format!("part {name:?} could not be read: {e}"))?;
        match name.as_str() {
            n if n == text => upload.text = Some(bytes.to_vec()),
            "file" if file_name.is_none() && bytes.is_empty() => {}
            "file" => {
                let n = upload.files.len() + 1;
                upload.files.push((
                    file_name.unwrap_or_else(|| format!("file {n}")),
                    bytes.to_vec(),
                ));
            }
            other => return Err(format!("part {other:?} is neither `{text}` nor `file`")),
        }
    }
}

/// Reads what was sent before answering a refusal: a client still sending its scans would
/// otherwise see the connection cut instead of the answer.
pub(super) async fn drain(form: &mut Multipart) {
    while let Ok(Some(part)) = form.next_field().await {
        if part.bytes().await.is_err() {
            break;
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
        drain(&mut form).await;
        return Err(e);
    }
    let (application, files, malformed) = match read_upload(&mut form, "application").await {
        Ok(u) => (u.text, u.files, None),
        Err(m) => (None, Vec::new(), Some(m)),
    };
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
