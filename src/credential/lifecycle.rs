//! A credential's life after issuance, as issuer-signed ledger events.
//!
//! - **amend** (correct): a new *version* of the same credential id is issued; every earlier
//!   version is then `superseded` and stays readable as history.
//! - **revoke** (annul) with a reason code, and **reinstate** a revoked credential.
//! - **terminate** a guardianship act (the child came of age, was adopted, …).
//!
//! ```text
//! {"event":"credential.status","change":{v, id, version, action, on, reason, issuer, key_id},
//!  "sig":"<base64url Ed25519 by the issuer over canonical(change)>"}
//! ```
//!
//! Reasons are codes, not free text: the ledger is public and must never carry personal data.

use super::canonical;
use super::issuer_key::{IssuerPublicKey, IssuerSigningKey};
use super::record::{CredentialId, RecordError};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Revoke,
    Reinstate,
    Terminate,
}

/// Why a status changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The document should not have been issued (a data or procedure error).
    IssuedInError,
    /// Obtained by fraud or on forged grounds.
    Fraud,
    /// A court or authority decision.
    Decision,
    /// Revocation was itself an error, or its grounds were lifted (for reinstatement).
    GroundsLifted,
    /// The child came of age (guardianship).
    Majority,
    /// The child was adopted or returned to a parent (guardianship).
    Adoption,
    /// The guardian was released or removed (guardianship).
    GuardianReleased,
    Other,
}

/// One status change, as signed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    pub v: u8,
    pub id: CredentialId,
    /// The version the change applies to (the latest when it was made).
    pub version: u32,
    pub action: Action,
    /// Effective date, YYYY-MM-DD.
    pub on: String,
    pub reason: Reason,
    pub issuer: String,
    pub key_id: String,
}

/// A status change with the issuer's signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedStatusChange {
    pub change: StatusChange,
    pub sig: String,
}

/// Where a credential version stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    Valid,
    Revoked { on: String, reason: Reason },
    Superseded { by_version: u32 },
    Terminated { on: String, reason: Reason },
}

impl Status {
    /// The machine code verifiers show.
    pub fn code(&self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Revoked { .. } => "revoked",
            Status::Superseded { .. } => "superseded",
            Status::Terminated { .. } => "terminated",
        }
    }
}

/// The status of `version`, given the credential's latest version and the status changes
/// applied to that latest version, in ledger order.
pub fn status(version: u32, latest: u32, changes: &[StatusChange]) -> Status {
    if version < latest {
        return Status::Superseded { by_version: latest };
    }
    let mut s = Status::Valid;
    for c in changes.iter().filter(|c| c.version == latest) {
        s = match c.action {
            Action::Revoke => Status::Revoked {
                on: c.on.clone(),
                reason: c.reason,
            },
            Action::Reinstate => Status::Valid,
            Action::Terminate => Status::Terminated {
                on: c.on.clone(),
                reason: c.reason,
            },
        };
    }
    s
}

impl SignedStatusChange {
    pub fn sign(change: StatusChange, key: &IssuerSigningKey) -> Result<Self, RecordError> {
        let sig = key.sign(&canonical::to_vec(&change)?);
        Ok(Self { change, sig })
    }

    pub fn verify(&self, key: &IssuerPublicKey) -> Result<(), RecordError> {
        if key.key_id() != self.change.key_id {
            return Err(RecordError::WrongKey {
                signed: self.change.key_id.clone(),
                given: key.key_id(),
            });
        }
        key.verify(&canonical::to_vec(&self.change)?, &self.sig)?;
        Ok(())
    }

    /// The ledger entry payload (RFC 8785 JSON).
    pub fn ledger_payload(&self) -> Result<Vec<u8>, RecordError> {
        #[derive(Serialize)]
        struct Event<'a> {
            event: &'static str,
            change: &'a StatusChange,
            sig: &'a str,
        }
        Ok(canonical::to_vec(&Event {
            event: "credential.status",
            change: &self.change,
            sig: &self.sig,
        })?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(version: u32, action: Action, on: &str) -> StatusChange {
        StatusChange {
            v: 1,
            id: CredentialId::from_bytes([1; 16]),
            version,
            action,
            on: on.into(),
            reason: Reason::IssuedInError,
            issuer: "970940001239".into(),
            key_id: "00".into(),
        }
    }

    #[test]
    fn status_follows_versions_and_changes_in_order() {
        assert_eq!(status(1, 1, &[]), Status::Valid);
        assert_eq!(status(1, 2, &[]), Status::Superseded { by_version: 2 });
        let revoked = [change(1, Action::Revoke, "2026-07-01")];
        assert_eq!(status(1, 1, &revoked).code(), "revoked");
        let back = [
            change(1, Action::Revoke, "2026-07-01"),
            change(1, Action::Reinstate, "2026-07-05"),
        ];
        assert_eq!(status(1, 1, &back), Status::Valid);
        let ended = [change(1, Action::Terminate, "2030-01-01")];
        assert_eq!(status(1, 1, &ended).code(), "terminated");
        // Changes to an older version do not touch the current one.
        assert_eq!(status(2, 2, &revoked), Status::Valid);
    }

    #[test]
    fn signed_changes_verify_and_carry_no_free_text() {
        let key = IssuerSigningKey::generate();
        let mut c = change(1, Action::Revoke, "2026-07-01");
        c.key_id = key.public().key_id();
        let s = SignedStatusChange::sign(c, &key).unwrap();
        s.verify(&key.public()).unwrap();
        let mut t = s.clone();
        t.change.action = Action::Reinstate;
        assert!(t.verify(&key.public()).is_err());
        let payload = String::from_utf8(s.ledger_payload().unwrap()).unwrap();
        // RFC 8785 sorts members: change, event, sig.
        assert!(payload.starts_with("{\"change\":{"), "{payload}");
        assert!(
            payload.contains("},\"event\":\"credential.status\",\"sig\":"),
            "{payload}"
        );
        assert!(payload.contains("\"reason\":\"issued_in_error\""));
    }
}
