//! The holder's side: signing in with a one-time code, and share links.
//!
//! **One-time codes.** A holder gives their IIN; a six-digit code goes to them through a
//! [`CodeSender`] (an SMS or eGov-notification gateway in production; in the demo the code is
//! shown on the page, as no gateway exists). The code lives [`CODE_SECONDS`], allows
//! [`CODE_ATTEMPTS`] tries, and only its SHA-256 is held, in memory: a restart simply asks the
//! holder for a new code. At most [`CODES_PER_IIN`] codes are pending per IIN.
//!
//! **Share links.** A holder shares one version of a document with a chosen subset of its
//! claims (e.g. without the grades) until an expiry date. The link is `/s/<id>_<secret>`: the
//! id finds the record, only SHA-256 of the secret is stored (a copy of the store opens no
//! link), so the link is shown once, when made. Every opening is counted and the latest
//! [`USES_KEPT`] times are kept for the holder to see; the holder can revoke a link at any
//! time. An expired or revoked link says so, with its date, and discloses nothing.

pub mod oidc;

use crate::accounts::{constant_time_eq, now, sha256_hex};
use crate::credential::random;
use crate::credential::record::CredentialId;
use crate::store::{Collection, Store, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a one-time code stays usable.
pub const CODE_SECONDS: u64 = 600;
/// Wrong codes tolerated before the code is void.
pub const CODE_ATTEMPTS: u8 = 5;
/// Codes pending at once for one IIN.
pub const CODES_PER_IIN: usize = 3;
/// Codes pending at once in all (a bound on memory under a flood of requests).
pub const CODES_PENDING: usize = 100_000;
/// Longest share-link lifetime.
pub const MAX_SHARE_DAYS: i64 = 365;
/// Opening times kept per share link (the count covers all of them).
pub const USES_KEPT: usize = 50;

#[derive(Debug, thiserror::Error)]
pub enum HolderError {
    #[error("too many codes were requested for this IIN; use the latest one or wait 10 minutes")]
    TooManyCodes,
    #[error("sign-in is busy; try again in a few minutes")]
    Busy,
    #[error("the code is wrong, expired or used up; ask for a new one")]
    BadCode,
    #[error("no share link {0}")]
    NoShare(String),
    #[error("share link expired on {0}")]
    Expired(String),
    #[error("share link revoked by its holder on {0}")]
    Revoked(String),
    #[error("{0}")]
    BadShare(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Delivers a one-time code to the person an IIN belongs to.
pub trait CodeSender: Send + Sync {
    /// Sends `code`; returns what the page may show (the code itself only in the demo).
    fn send(&self, iin: &str, code: &str) -> Result<Option<String>, String>;
}

/// The demo's delivery: there is no gateway, so the page shows the code (and says why).
pub struct ShownOnPage;

impl CodeSender for ShownOnPage {
    fn send(&self, _iin: &str, code: &str) -> Result<Option<String>, String> {
        Ok(Some(code.to_string()))
    }
}

struct Pending {
    iin: String,
    code_hash: String,
    expires: Instant,
    attempts_left: u8,
}

/// Pending one-time codes, in memory.
#[derive(Default)]
pub struct OneTimeCodes {
    pending: Mutex<HashMap<String, Pending>>,
}

impl OneTimeCodes {
    /// Starts a sign-in for `iin` (already validated): returns the challenge id the form
    /// carries, and the code to deliver.
    pub fn start(&self, iin: &str) -> Result<(String, String), HolderError> {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        pending.retain(|_, p| p.expires > now && p.attempts_left > 0);
        if pending.values().filter(|p| p.iin == iin).count() >= CODES_PER_IIN {
            return Err(HolderError::TooManyCodes);
        }
        if pending.len() >= CODES_PENDING {
            return Err(HolderError::Busy);
        }
        let challenge = hex::encode(random::bytes::<16>());
        let n = u32::from_le_bytes(random::bytes::<4>()) % 1_000_000;
        let code = format!("{n:06}");
        pending.insert(
            challenge.clone(),
            Pending {
                iin: iin.to_string(),
                code_hash: sha256_hex(code.as_bytes()),
                expires: now + Duration::from_secs(CODE_SECONDS),
                attempts_left: CODE_ATTEMPTS,
            },
        );
        Ok((challenge, code))
    }

    /// Checks a code against its challenge; on success the challenge is used up and the IIN
    /// returned.
    pub fn finish(&self, challenge: &str, code: &str) -> Result<String, HolderError> {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let Some(p) = pending.get_mut(challenge) else {
            return Err(HolderError::BadCode);
        };
        if p.expires <= Instant::now() || p.attempts_left == 0 {
            pending.remove(challenge);
            return Err(HolderError::BadCode);
        }
        if constant_time_eq(&p.code_hash, &sha256_hex(code.trim().as_bytes())) {
            let iin = p.iin.clone();
            pending.remove(challenge);
            Ok(iin)
        } else {
            p.attempts_left -= 1;
            Err(HolderError::BadCode)
        }
    }
}

/// A share link as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Share {
    pub id: String,
    /// The holder account that made it.
    pub owner: String,
    pub credential: String,
    pub version: u32,
    /// The claims it discloses, by name.
    pub claims: Vec<String>,
    /// Unix seconds.
    pub created: i64,
    pub expires: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<i64>,
    /// How many times it was opened.
    #[serde(default)]
    pub used: u64,
    /// The latest opening times (unix seconds), oldest first.
    #[serde(default)]
    pub uses: Vec<i64>,
    secret_hash: String,
}

impl Share {
    /// Whether it can be opened at `now`.
    pub fn live(&self, now: i64) -> bool {
        self.revoked.is_none() && now < self.expires
    }
}

/// A date in ISO 8601 (UTC) for unix seconds.
pub fn iso_date(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .map(|d| d.date().to_string())
        .unwrap_or_default()
}

/// A time in ISO 8601 (UTC, minutes) for unix seconds.
pub fn iso_minute(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .map(|d| {
            format!(
                "{} {:02}:{:02} UTC",
                d.date(),
                d.time().hour(),
                d.time().minute()
            )
        })
        .unwrap_or_default()
}

/// Share links in the store.
pub struct Shares {
    store: Arc<dyn Store>,
    /// Serialises the read-modify-write of a link's use count and revocation.
    write: Mutex<()>,
}

impl Shares {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Shares {
            store,
            write: Mutex::new(()),
        }
    }

    /// Makes a link to `credential` version `version` disclosing `claims`, valid for `days`.
    /// Returns the record and the link token (shown once).
    pub fn create(
        &self,
        owner: &str,
        credential: &CredentialId,
        version: u32,
        claims: Vec<String>,
        days: i64,
    ) -> Result<(Share, String), HolderError> {
        if !(1..=MAX_SHARE_DAYS).contains(&days) {
            return Err(HolderError::BadShare(format!(
                "days: a share link lasts 1 to {MAX_SHARE_DAYS} days, not {days}"
            )));
        }
        if claims.is_empty() {
            return Err(HolderError::BadShare(
                "claims: choose at least one field to share".into(),
            ));
        }
        let id = hex::encode(random::bytes::<8>());
        let secret = data_encoding::BASE64URL_NOPAD.encode(&random::bytes::<32>());
        let created = now();
        let share = Share {
            id: id.clone(),
            owner: owner.to_string(),
            credential: credential.to_string(),
            version,
            claims,
            created,
            expires: created + days * 86_400,
            revoked: None,
            used: 0,
            uses: Vec::new(),
            secret_hash: sha256_hex(secret.as_bytes()),
        };
        // The owner's index first: a crash between the two leaves an index line that
        // points at nothing (skipped when listing), never a link its owner cannot see.
        self.store.put_record(
            Collection::SharesByOwner,
            &format!("{owner}/{id}"),
            Some(b""),
            false,
        )?;
        self.put(&share, true)?;
        Ok((share, format!("{id}_{secret}")))
    }

    fn put(&self, share: &Share, new: bool) -> Result<(), HolderError> {
        let json = serde_json::to_vec(share)
            .map_err(|e| StoreError::Corrupt(format!("share {}: {e}", share.id)))?;
        self.store
            .put_record(Collection::Shares, &share.id, Some(&json), new)?;
        Ok(())
    }

    fn get(&self, id: &str) -> Result<Option<Share>, HolderError> {
        let Some(bytes) = self.store.get_record(Collection::Shares, id)? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("share {id}: {e}")).into())
    }

    /// The links a holder made, newest first.
    pub fn list(&self, owner: &str) -> Result<Vec<Share>, HolderError> {
        let mut out = Vec::new();
        for (key, _) in self
            .store
            .scan_prefix(Collection::SharesByOwner, &format!("{owner}/"))?
        {
            let id = &key[owner.len() + 1..];
            if let Some(s) = self.get(id)?.filter(|s| s.owner == owner) {
                out.push(s);
            }
        }
        out.sort_by(|a, b| b.created.cmp(&a.created).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// Revokes one of `owner`'s links (revoking twice keeps the first date).
    pub fn revoke(&self, owner: &str, id: &str) -> Result<Share, HolderError> {
        let _w = self.write.lock().unwrap_or_else(|p| p.into_inner());
        let mut share = self
            .get(id)?
            .filter(|s| s.owner == owner)
            .ok_or_else(|| HolderError::NoShare(id.to_string()))?;
        if share.revoked.is_none() {
            share.revoked = Some(now());
            self.put(&share, false)?;
        }
        Ok(share)
    }

    /// Opens a link by its token: counts the use and returns the record, or says why not.
    pub fn open(&self, token: &str) -> Result<Share, HolderError> {
        let unknown = || HolderError::NoShare("with this address".into());
        let (id, secret) = token.trim().split_once('_').ok_or_else(unknown)?;
        if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) || secret.len() != 43 {
            return Err(unknown());
        }
        let _w = self.write.lock().unwrap_or_else(|p| p.into_inner());
        let mut share = self.get(id)?.ok_or_else(unknown)?;
        if !constant_time_eq(&share.secret_hash, &sha256_hex(secret.as_bytes())) {
            return Err(unknown());
        }
        let t = now();
        if let Some(r) = share.revoked {
            return Err(HolderError::Revoked(iso_date(r)));
        }
        if t >= share.expires {
            return Err(HolderError::Expired(iso_date(share.expires)));
        }
        share.used += 1;
        share.uses.push(t);
        if share.uses.len() > USES_KEPT {
            share.uses.remove(0);
        }
        self.put(&share, false)?;
        Ok(share)
    }
}

#[cfg(test)]
mod tests;
