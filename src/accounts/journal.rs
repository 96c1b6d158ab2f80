//! The audit journal: one line per attempted state change — who, what, on what, when, from
//! where, and the outcome, refused attempts included. Lines are numbered, durable before the
//! response is sent, and never rewritten; they can be read back per user and per period.

use super::Role;
use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JournalLine {
    /// Line number, assigned by the journal.
    #[serde(default)]
    pub n: u64,
    /// RFC 3339 UTC time.
    pub at: String,
    /// User name, or `anonymous` when no valid credentials came with the request.
    pub who: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// What was attempted, e.g. `credential.issue`, `credential.revoke`, `account.create`.
    pub action: String,
    /// What it was attempted on: a credential id, a BIN, a user name.
    pub target: String,
    /// The client address.
    pub source: String,
    /// `ok`, `refused` or `failed`.
    pub outcome: Outcome,
    /// Why it was refused or failed, or a summary of what was done.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    Refused,
    Failed,
}

/// A filter for reading the journal back.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Query {
    pub user: Option<String>,
    /// RFC 3339 or `YYYY-MM-DD`, inclusive.
    pub since: Option<String>,
    /// RFC 3339 or `YYYY-MM-DD`; a bare date includes that whole day.
    pub until: Option<String>,
    pub limit: Option<usize>,
}

#[derive(Clone)]
pub struct Journal {
    store: Arc<dyn Store>,
}

pub fn now_rfc3339() -> String {
    OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

impl Journal {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Journal { store }
    }

    /// Writes a line durably and returns its number. The time is filled in if empty.
    pub fn record(&self, mut line: JournalLine) -> Result<u64, StoreError> {
        if line.at.is_empty() {
            line.at = now_rfc3339();
        }
        line.n = 0;
        tracing::info!(
            who = %line.who,
            action = %line.action,
            target = %line.target,
            source = %line.source,
            outcome = ?line.outcome,
            detail = %line.detail,
            "journal"
        );
        let bytes = serde_json::to_vec(&line).map_err(|e| StoreError::Io(e.to_string()))?;
        self.store.append_journal(&bytes)
    }

    /// Lines matching the query, oldest first, at most `limit` (default 1,000).
    pub fn query(&self, q: &Query) -> Result<Vec<JournalLine>, String> {
        let since = q.since.as_deref().map(|s| bound(s, false)).transpose()?;
        let until = q.until.as_deref().map(|s| bound(s, true)).transpose()?;
        let limit = q.limit.unwrap_or(1000).min(10_000);
        let mut out = Vec::new();
        let mut from = 1;
        loop {
            let page = self.store.journal(from, 4096).map_err(|e| e.to_string())?;
            let Some(&(last, _)) = page.last() else { break };
            for (n, bytes) in page {
                let mut line: JournalLine = serde_json::from_slice(&bytes)
                    .map_err(|e| format!("journal line {n} is malformed: {e}"))?;
                line.n = n;
                let at = OffsetDateTime::parse(&line.at, &Rfc3339).ok();
                let keep = q.user.as_deref().is_none_or(|u| u == line.who)
                    && since.is_none_or(|s| at.is_some_and(|a| a >= s))
                    && until.is_none_or(|u| at.is_some_and(|a| a <= u));
                if keep {
                    out.push(line);
                    if out.len() == limit {
                        return Ok(out);
                    }
                }
            }
            from = last + 1;
        }
        Ok(out)
    }
}

/// Reads a period bound: RFC 3339, or a date meaning the start (or, for `until`, the end) of
/// that day in UTC.
fn bound(s: &str, end_of_day: bool) -> Result<OffsetDateTime, String> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t);
    }
    let d = time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| format!("{s:?} is neither an RFC 3339 time nor a YYYY-MM-DD date"))?;
    let t = if end_of_day {
        d.with_hms(23, 59, 59)
    } else {
        d.with_hms(0, 0, 0)
    };
    t.map(|t| t.assume_utc()).map_err(|e| e.to_string())
}
