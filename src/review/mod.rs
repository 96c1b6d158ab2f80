//! The recognition officers' review: decisions on foreign-document cases, the queue they work
//! from, and the earlier cases of the same person or document.
//!
//! A case's decisions are an append-only list of events in `DIR/cases/<id>/decisions.json`,
//! rewritten whole (write, sync, rename) under one lock, so a crash leaves the old list or the
//! new one. What a case stands at is the fold of its events:
//!
//! ```text
//!  open ──refuse──▶ refused                      (final; the reason is kept)
//!   │ ──request──▶ documents requested ──(any decision again)──▶ …
//!   │ ──recognise, risk < confirm_at──▶ recognised   (certificate issued on the ledger)
//!   └─ recognise, risk ≥ confirm_at ─▶ awaiting confirmation
//!                          ├─ confirm (another officer) ─▶ recognised
//!                          └─ return (another officer, with a reason) ─▶ open
//! ```
//!
//! The certificate itself is issued by the caller's `issue` function (the HTTP layer holds the
//! recognition body's key); this module decides when, and records what was issued.

pub mod apostille;

use crate::credential::kinds::{FieldError, Recognition};
use crate::intake::{CaseError, Cases};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const DECISIONS: &str = "decisions.json";

/// Longest reason or list of requested documents.
pub const MAX_TEXT: usize = 1000;

/// What an officer decides.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// Recognise the foreign document as equal to a Kazakh level (and specialty).
    Recognise {
        certificate: Box<Recognition>,
    },
    Refuse {
        reason: String,
    },
    /// Ask the applicant for more documents.
    Request {
        documents: String,
    },
}

/// The certificate a recognition became.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Issued {
    pub credential: String,
    pub version: u32,
    /// The verification URL (the QR code's text).
    pub verify_url: String,
    /// The verification code printed on the certificate.
    pub code: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// A recognition of a high-risk case, waiting for a second officer.
    Proposed {
        certificate: Recognition,
        risk: f64,
    },
    /// The second officer sent the proposal back.
    Returned {
        reason: String,
    },
    Recognised {
        certificate: Recognition,
        issued: Issued,
        /// Who proposed it, when a second officer confirmed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        proposed_by: Option<String>,
    },
    Refused {
        reason: String,
    },
    Requested {
        documents: String,
    },
}

/// One event of a case's decisions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// RFC 3339, UTC.
    pub at: String,
    pub officer: String,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// Where a case stands.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Status {
    Open,
    Requested {
        documents: String,
    },
    AwaitingConfirmation {
        proposed_by: String,
        certificate: Box<Recognition>,
    },
    Recognised {
        issued: Issued,
    },
    Refused {
        reason: String,
    },
}

impl Status {
    /// `open`, `requested`, `awaiting_confirmation`, `recognised` or `refused`.
    pub fn code(&self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Requested { .. } => "requested",
            Status::AwaitingConfirmation { .. } => "awaiting_confirmation",
            Status::Recognised { .. } => "recognised",
            Status::Refused { .. } => "refused",
        }
    }

    /// Whether the case is closed (no more decisions).
    pub fn is_final(&self) -> bool {
        matches!(self, Status::Recognised { .. } | Status::Refused { .. })
    }

    /// The fold of a case's events.
    pub fn of(events: &[Event]) -> Status {
        let mut s = Status::Open;
        for e in events {
            s = match &e.kind {
                EventKind::Proposed { certificate, .. } => Status::AwaitingConfirmation {
                    proposed_by: e.officer.clone(),
                    certificate: Box::new(certificate.clone()),
                },
                EventKind::Returned { .. } => Status::Open,
                EventKind::Recognised { issued, .. } => Status::Recognised {
                    issued: issued.clone(),
                },
                EventKind::Refused { reason } => Status::Refused {
                    reason: reason.clone(),
                },
                EventKind::Requested { documents } => Status::Requested {
                    documents: documents.clone(),
                },
            };
        }
        s
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("the decision is not valid: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    /// The case is not in a state that allows this.
    #[error("{0}")]
    Conflict(String),
    #[error("the case has not been read and checked yet; decide once its reading is done")]
    NotRead,
    #[error("{0}")]
    Case(#[from] CaseError),
    #[error("the recognition certificate could not be issued: {0}")]
    Issue(String),
    #[error("the decisions of case {0} are damaged: {1}")]
    Damaged(String, String),
    #[error("decision storage: {0}")]
    Io(#[from] std::io::Error),
}

/// Decisions on the cases of one data directory.
pub struct Review {
    cases: Cases,
    root: PathBuf,
    /// From this risk on, a recognition needs a second officer.
    confirm_at: f64,
    /// Held while a decision is checked against the case's state and written, so two officers
    /// deciding at once cannot both act on the same state (nor issue twice).
    write: Mutex<()>,
}

pub(crate) fn now() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

pub(crate) fn text(field: &str, s: &str) -> Result<String, ReviewError> {
    let t = s.trim();
    let rule = if t.is_empty() {
        "is required"
    } else if t.chars().count() > MAX_TEXT {
        "is longer than 1000 characters"
    } else {
        return Ok(t.to_string());
    };
    Err(ReviewError::Invalid(vec![FieldError {
        field: field.into(),
        rule: rule.into(),
    }]))
}

impl Review {
    pub fn new(data_dir: &Path, confirm_at: f64) -> Review {
        Review {
            cases: Cases::new(data_dir),
            root: data_dir.join("cases"),
            confirm_at,
            write: Mutex::new(()),
        }
    }

    /// The data directory the cases live in.
    pub fn data_dir(&self) -> &Path {
        self.cases.data_dir()
    }

    /// When case `id` was opened.
    pub fn opened(&self, id: &str) -> Result<std::time::SystemTime, ReviewError> {
        Ok(self.cases.opened(id)?)
    }

    pub fn confirm_at(&self) -> f64 {
        self.confirm_at
    }

    fn path(&self, id: &str) -> Result<PathBuf, ReviewError> {
        // Checks the id and that the case exists.
        self.cases.listing(id)?;
        Ok(self.root.join(id).join(DECISIONS))
    }

    /// A case's events, oldest first.
    pub fn events(&self, id: &str) -> Result<Vec<Event>, ReviewError> {
        let path = self.path(id)?;
        match std::fs::read(&path) {
            Ok(b) => serde_json::from_slice(&b)
                .map_err(|e| ReviewError::Damaged(id.to_string(), e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }

    pub fn status(&self, id: &str) -> Result<Status, ReviewError> {
        Ok(Status::of(&self.events(id)?))
    }

    fn append(&self, id: &str, event: Event) -> Result<(), ReviewError> {
        use std::io::Write as _;
        let path = self.path(id)?;
        let mut events = self.events(id)?;
        events.push(event);
        let bytes = serde_json::to_vec_pretty(&events)
            .map_err(|e| ReviewError::Damaged(id.to_string(), e.to_string()))?;
        let tmp = path.with_file_name(format!(".{DECISIONS}.tmp"));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.write.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records `officer`'s decision on case `id`, whose checks gave `risk` (`None`: not read
    /// yet). A recognition below `confirm_at` is issued at once through `issue`; above, it
    /// waits for a second officer. Returns the case's new status.
    pub fn decide(
        &self,
        id: &str,
        officer: &str,
        risk: Option<f64>,
        decision: Decision,
        today: time::Date,
        issue: &dyn Fn(&Recognition) -> Result<Issued, String>,
    ) -> Result<Status, ReviewError> {
        let risk = risk.ok_or(ReviewError::NotRead)?;
        let _held = self.lock();
        let status = self.status(id)?;
        match &status {
            Status::Open | Status::Requested { .. } => {}
            Status::AwaitingConfirmation { proposed_by, .. } => {
                return Err(ReviewError::Conflict(format!(
                    "case {id} awaits a second officer's confirmation of {proposed_by}'s recognition"
                )));
            }
            s => {
                return Err(ReviewError::Conflict(format!(
                    "case {id} is already decided: {}",
                    s.code()
                )));
            }
        }
        let kind = match decision {
            Decision::Refuse { reason } => EventKind::Refused {
                reason: text("reason", &reason)?,
            },
            Decision::Request { documents } => EventKind::Requested {
                documents: text("documents", &documents)?,
            },
            Decision::Recognise { certificate } => {
                if certificate.case != id {
                    return Err(ReviewError::Invalid(vec![FieldError {
                        field: "case".into(),
                        rule: format!("names case {:?}, not {id}", certificate.case),
                    }]));
                }
                certificate.validate(today).map_err(ReviewError::Invalid)?;
                if risk >= self.confirm_at {
                    EventKind::Proposed {
                        certificate: *certificate,
                        risk,
                    }
                } else {
                    let issued = issue(&certificate).map_err(ReviewError::Issue)?;
                    EventKind::Recognised {
                        certificate: *certificate,
                        issued,
                        proposed_by: None,
                    }
                }
            }
        };
        self.append(
            id,
            Event {
                at: now(),
                officer: officer.to_string(),
                kind,
            },
        )?;
        self.status(id)
    }

    /// A second officer confirms a proposed recognition: the certificate is issued.
    pub fn confirm(
        &self,
        id: &str,
        officer: &str,
        today: time::Date,
        issue: &dyn Fn(&Recognition) -> Result<Issued, String>,
    ) -> Result<Status, ReviewError> {
        let _held = self.lock();
        let (proposed_by, certificate) = self.proposal(id, officer)?;
        certificate.validate(today).map_err(ReviewError::Invalid)?;
        let issued = issue(&certificate).map_err(ReviewError::Issue)?;
        self.append(
            id,
            Event {
                at: now(),
                officer: officer.to_string(),
                kind: EventKind::Recognised {
                    certificate: *certificate,
                    issued,
                    proposed_by: Some(proposed_by),
                },
            },
        )?;
        self.status(id)
    }

    /// A second officer sends a proposed recognition back, with the reason; the case reopens.
    pub fn send_back(&self, id: &str, officer: &str, reason: &str) -> Result<Status, ReviewError> {
        let _held = self.lock();
        let reason = text("reason", reason)?;
        self.proposal(id, officer)?;
        self.append(
            id,
            Event {
                at: now(),
                officer: officer.to_string(),
                kind: EventKind::Returned { reason },
            },
        )?;
        self.status(id)
    }

    /// The pending proposal, if `officer` may act on it (not the one who proposed it).
    fn proposal(&self, id: &str, officer: &str) -> Result<(String, Box<Recognition>), ReviewError> {
        match self.status(id)? {
            Status::AwaitingConfirmation {
                proposed_by,
                certificate,
            } => {
                if proposed_by == officer {
                    Err(ReviewError::Conflict(format!(
                        "{officer} proposed this recognition; a second officer must confirm it"
                    )))
                } else {
                    Ok((proposed_by, certificate))
                }
            }
            s => Err(ReviewError::Conflict(format!(
                "case {id} has no recognition awaiting confirmation (it is {})",
                s.code()
            ))),
        }
    }
}

/// Where a case sits in the queue: the higher, the sooner. Risk counts most; each day a case
/// waits adds 0.02 (a case waiting ten days passes one 0.2 riskier that just arrived), up to
/// 0.3, so nothing waits forever behind fresher risky cases.
pub fn priority(risk: f64, waited_days: f64) -> f64 {
    risk + (waited_days.max(0.0) * 0.02).min(0.3)
}

/// What links another case to this one.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Related {
    pub case: String,
    /// `same_iin`, `same_person` (name and birth date), `same_document` (series and number),
    /// or `repeat` (a check found this case's scan filed there).
    pub why: &'static str,
}

/// What [`related`] compares of a case.
pub struct CaseFacts<'a> {
    pub id: &'a str,
    pub application: &'a crate::intake::Application,
    /// Series and number as read, normalised (no spaces, upper case).
    pub document: Option<String>,
    /// Cases named by this case's `repeat.*` and `number.duplicate` findings.
    pub repeats: Vec<String>,
}

/// The other cases that concern the same person or document as `this`.
pub fn related(this: &CaseFacts<'_>, others: &[CaseFacts<'_>]) -> Vec<Related> {
    let a = this.application;
    let mut out = Vec::new();
    for o in others.iter().filter(|o| o.id != this.id) {
        let b = o.application;
        let why =
            if this.repeats.iter().any(|r| r == o.id) || o.repeats.iter().any(|r| r == this.id) {
                Some("repeat")
            } else if a.iin.is_some() && a.iin == b.iin {
                Some("same_iin")
            } else if this.document.is_some() && this.document == o.document {
                Some("same_document")
            } else if let (Some(an), Some(bn), Some(ad), Some(bd)) =
                (&a.holder_name, &b.holder_name, &a.birth_date, &b.birth_date)
                && ad == bd
                && matches!(
                    crate::ocr::names::compare(an, bn).verdict,
                    "exact" | "transliteration" | "close"
                )
            {
                Some("same_person")
            } else {
                None
            };
        if let Some(why) = why {
            out.push(Related {
                case: o.id.to_string(),
                why,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests;
