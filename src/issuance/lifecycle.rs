//! Lifecycle operations of the issuance service: amend (a new version), revoke, reinstate,
//! terminate. Each is checked against the current status and the registry, signed by the
//! issuer, appended to the ledger, then recorded in the store.

use super::{
    Document, Issuance, IssueError, IssuedCredential, PublicRecord, RecordedChange,
    VerificationView, corrupt, open_disclosures, seal_disclosures,
};
use crate::credential::ids::Bin;
use crate::credential::issuer_key::IssuerSigningKey;
use crate::credential::lifecycle::{
    Action, Reason, SignedStatusChange, Status, StatusChange, status,
};
use crate::credential::record::{CredentialId, DocumentKind, IssueParams, issue};
use crate::ledger::Entry;
use crate::store::{CredentialRow, NewCredential};
use time::Date;

/// One version of a credential and where it stands.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct VersionStatus {
    pub version: u32,
    pub status: crate::credential::lifecycle::Status,
}

/// What a status change asks for.
#[derive(Clone, Copy, Debug)]
pub struct StatusRequest {
    pub action: Action,
    pub reason: Reason,
    /// Effective date.
    pub on: Date,
}

fn fail(msg: String) -> IssueError {
    IssueError::Lifecycle(msg)
}

impl Issuance {
    fn latest(&self, id: &CredentialId) -> Result<(u32, PublicRecord), IssueError> {
        let (latest, row) = self
            .store
            .latest_credential(&id.to_bytes())?
            .ok_or_else(|| IssueError::Unknown(id.to_string()))?;
        let public: PublicRecord =
            serde_json::from_slice(&row.public).map_err(|e| corrupt(id, e))?;
        Ok((latest, public))
    }

    /// Every version's status, oldest first: the history a corrected document keeps.
    pub fn history(&self, id: &CredentialId) -> Result<Vec<VersionStatus>, IssueError> {
        let (latest, _) = self.latest(id)?;
        (1..=latest)
            .map(|v| {
                let (version, status) = self.status(id, Some(v))?;
                Ok(VersionStatus { version, status })
            })
            .collect()
    }

    /// The public record of a version (the latest if `None`), with the latest version number.
    /// Needs no decryption: it works after erasure too.
    pub fn public_record(
        &self,
        id: &CredentialId,
        version: Option<u32>,
    ) -> Result<(u32, PublicRecord), IssueError> {
        let (latest, public) = self.latest(id)?;
        let v = version.unwrap_or(latest);
        if v == latest {
            return Ok((latest, public));
        }
        let row = self
            .store
            .credential(&id.to_bytes(), v)?
            .ok_or_else(|| IssueError::Unknown(format!("{id} v{v}")))?;
        let public = serde_json::from_slice(&row.public).map_err(|e| corrupt(id, e))?;
        Ok((latest, public))
    }

    /// What a verification reads of `version`, from one read of its row: the latest version
    /// number, the version's public record, and the claims its stored disclosures open to, as
    /// checked against the record's commitments (`None` once the personal data was erased;
    /// `Some(Err)` when a stored disclosure is not committed to — a store altered behind the
    /// ledger's back).
    pub fn verification_view(
        &self,
        id: &CredentialId,
        version: u32,
    ) -> Result<VerificationView, IssueError> {
        let raw = id.to_bytes();
        let (latest, mut row) = self
            .store
            .latest_credential(&raw)?
            .ok_or_else(|| IssueError::Unknown(id.to_string()))?;
        if version != latest {
            row = self
                .store
                .credential(&raw, version)?
                .ok_or_else(|| IssueError::Unknown(format!("{id} v{version}")))?;
        }
        let public: PublicRecord =
            serde_json::from_slice(&row.public).map_err(|e| corrupt(id, e))?;
        let claims = match self.data_key(id) {
            Ok(key) => {
                let plain = key
                    .open(&raw, version, &row.sealed)
                    .map_err(|e| corrupt(id, e))?;
                let disclosures = open_disclosures(&plain).map_err(|e| corrupt(id, e))?;
                Some(
                    public
                        .signed
                        .disclosed_claims(&disclosures)
                        .map_err(|e| e.to_string()),
                )
            }
            Err(IssueError::Erased(_)) => None,
            Err(e) => return Err(e),
        };
        Ok(VerificationView {
            latest,
            public,
            claims,
        })
    }

    /// The status of a version (the latest if `None`), with that version number.
    pub fn status(
        &self,
        id: &CredentialId,
        version: Option<u32>,
    ) -> Result<(u32, Status), IssueError> {
        let (latest, public) = self.latest(id)?;
        let v = version.unwrap_or(latest);
        if v == 0 || v > latest {
            return Err(IssueError::Unknown(format!("{id} v{v}")));
        }
        let changes: Vec<StatusChange> = public
            .changes
            .iter()
            .map(|c| c.signed.change.clone())
            .collect();
        Ok((v, status(v, latest, &changes)))
    }

    /// Checks that `key` of issuer `bin` may act on a credential of `kind` today.
    fn authorise_issuer(
        &self,
        bin: &str,
        key: &IssuerSigningKey,
        header_issuer: &str,
        kind: DocumentKind,
        today: Date,
    ) -> Result<String, IssueError> {
        let bin = Bin::parse("issuer", bin)
            .map_err(|e| IssueError::Issuer(bin.into(), e.reason))?
            .to_string();
        if bin != header_issuer {
            return Err(fail(format!(
                "issuer {bin} did not issue this credential (issuer {header_issuer} did); only the issuer may change it"
            )));
        }
        let reg = self.registry();
        let k = reg.authorise(&bin, &key.public().key_id(), kind, today)?;
        if k.public_key != key.public() {
            return Err(fail("the signing key is not the registered one".into()));
        }
        Ok(bin)
    }

    /// Revokes, reinstates or terminates the credential's current version.
    pub fn change_status(
        &self,
        bin: &str,
        key: &IssuerSigningKey,
        id: &CredentialId,
        request: StatusRequest,
        today: Date,
    ) -> Result<Status, IssueError> {
        let StatusRequest { action, reason, on } = request;
        let (latest, mut public) = self.latest(id)?;
        let header = public.signed.header.clone();
        let bin = self.authorise_issuer(bin, key, &header.issuer, header.kind, today)?;
        let changes: Vec<StatusChange> = public
            .changes
            .iter()
            .map(|c| c.signed.change.clone())
            .collect();
        let current = status(latest, latest, &changes);
        match (action, &current) {
            (Action::Revoke, Status::Valid) | (Action::Reinstate, Status::Revoked { .. }) => {}
            (Action::Terminate, Status::Valid) if header.kind == DocumentKind::Guardianship => {}
            (Action::Terminate, _) if header.kind != DocumentKind::Guardianship => {
                return Err(fail(format!(
                    "only a guardianship act can be terminated; {id} is a {:?}",
                    header.kind
                )));
            }
            (a, s) => {
                return Err(fail(format!(
                    "credential {id} is {}; it cannot be {}",
                    s.code(),
                    match a {
                        Action::Revoke => "revoked",
                        Action::Reinstate => "reinstated (only a revoked credential can)",
                        Action::Terminate => "terminated",
                    }
                )));
            }
        }
        if on > today {
            return Err(fail(format!(
                "the effective date {on} is in the future (today is {today})"
            )));
        }
        let issued_on = crate::registry::parse_date("issued_on", &header.issued_on)?;
        if on < issued_on {
            return Err(fail(format!(
                "the effective date {on} is before the credential was issued ({issued_on})"
            )));
        }
        let change = StatusChange {
            v: 1,
            id: *id,
            version: latest,
            action,
            on: on.to_string(),
            reason,
            issuer: bin,
            key_id: key.public().key_id(),
        };
        let signed = SignedStatusChange::sign(change, key).map_err(|e| corrupt(id, e))?;
        let payload = signed.ledger_payload().map_err(|e| corrupt(id, e))?;
        let ledger_index = self
            .log
            .append_blocking(Entry::v1(&payload).map_err(|e| IssueError::Ledger(e.to_string()))?)
            .map_err(|e| IssueError::Ledger(e.to_string()))?;
        public.changes.push(RecordedChange {
            signed,
            ledger_index,
        });
        let bytes = serde_json::to_vec(&public).map_err(|e| corrupt(id, e))?;
        self.store
            .update_public(&[(id.to_bytes(), latest, bytes)])?;
        Ok(self.status(id, None)?.1)
    }

    /// Issues a corrected version of a credential: same id, next version; the previous
    /// version becomes `superseded` and stays readable.
    pub fn amend(
        &self,
        bin: &str,
        key: &IssuerSigningKey,
        id: &CredentialId,
        doc: &Document,
        today: Date,
    ) -> Result<IssuedCredential, IssueError> {
        let (latest, public) = self.latest(id)?;
        let header = public.signed.header.clone();
        let issuer =
            Bin::parse("issuer", bin).map_err(|e| IssueError::Issuer(bin.into(), e.reason))?;
        self.authorise_issuer(bin, key, &header.issuer, header.kind, today)?;
        if doc.kind() != header.kind {
            return Err(fail(format!(
                "a {:?} cannot be corrected into a {:?}",
                header.kind,
                doc.kind()
            )));
        }
        let changes: Vec<StatusChange> = public
            .changes
            .iter()
            .map(|c| c.signed.change.clone())
            .collect();
        let current = status(latest, latest, &changes);
        if current != Status::Valid {
            return Err(fail(format!(
                "credential {id} is {}; only a valid credential can be corrected",
                current.code()
            )));
        }
        if let Err(errors) = doc.validate(today) {
            return Err(IssueError::Invalid(vec![super::RowError {
                row: 0,
                errors,
            }]));
        }
        let raw = id.to_bytes();
        let data_key = self.data_key(id)?;
        let version = latest + 1;
        let out = issue(
            &IssueParams {
                id: *id,
                version,
                kind: doc.kind(),
                issuer: &issuer,
                key,
                issued_on: doc.issued_on().trim(),
            },
            doc.claims(),
        )
        .map_err(|e| corrupt(id, e))?;
        let payload = out.ledger_payload();
        let ledger_index = self
            .log
            .append_blocking(Entry::v1(&payload).map_err(|e| IssueError::Ledger(e.to_string()))?)
            .map_err(|e| IssueError::Ledger(e.to_string()))?;
        let sealed_plain = seal_disclosures(&out.disclosures).map_err(|e| corrupt(id, e))?;
        let record = PublicRecord {
            signed: out.signed.clone(),
            ledger_index: Some(ledger_index),
            changes: Vec::new(),
        };
        self.store.put_credentials(&[NewCredential {
            row: CredentialRow {
                id: raw,
                version,
                public: serde_json::to_vec(&record).map_err(|e| corrupt(id, e))?,
                sealed: data_key
                    .seal(&raw, version, &sealed_plain)
                    .map_err(|e| corrupt(id, e))?,
            },
            wrapped_key: None,
            dedupe: None,
            holders: doc
                .holder_iins()
                .iter()
                .map(|i| self.index.holder(i))
                .collect(),
        }])?;
        Ok(IssuedCredential {
            id: *id,
            version,
            ledger_index,
            signed: out.signed,
            disclosures: out.disclosures,
        })
    }
}
