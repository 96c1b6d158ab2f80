//! Reconciling the store with the ledger after a crash.
//!
//! Every change is written to the ledger first and to the store second, so a crash (or a
//! failed store write) between the two leaves a ledger entry the store does not know. At start
//! the issuance service replays the ledger entries it has not yet checked — a watermark in the
//! store makes this cheap — and for each:
//!
//! - `credential.issue` with no stored record: an **orphan**. Its personal data was never
//!   stored and cannot be recovered (no QR, PDF or VC was handed out either). It is recorded
//!   with its ledger index so verifiers can answer "unknown: issuance did not complete" and
//!   operators can re-issue; the duplicate check lets them, since nothing was recorded.
//! - `credential.status` missing from the record's history: **restored** from the signed
//!   change in the ledger, which is all the store would have held.
//! - a registry change missing from the store: **restored** the same way, in sequence.

use super::{Issuance, IssueError, PublicRecord, RecordedChange, corrupt};
use crate::credential::lifecycle::SignedStatusChange;
use crate::credential::record::{CredentialId, DocumentKind, SignedHeader};
use crate::ledger::Entry;
use crate::registry::{EVENT as REGISTRY_EVENT, Registry, SignedChange};
use crate::store::{Collection, StoreError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

const WATERMARK: &str = "reconciled_upto";

/// A ledger issuance entry with no stored record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Orphan {
    pub ledger_index: u64,
    pub id: CredentialId,
    pub version: u32,
    pub issuer: String,
    pub kind: DocumentKind,
}

/// What one reconciliation found and did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ReconcileReport {
    /// Ledger entries checked (from the previous watermark to the tree size).
    pub scanned: u64,
    pub orphans: Vec<Orphan>,
    pub restored_status_changes: usize,
    pub restored_registry_changes: usize,
}

fn store_err(e: impl std::fmt::Display) -> IssueError {
    IssueError::Store(StoreError::Corrupt(e.to_string()))
}

impl Issuance {
    /// Replays the ledger entries past the watermark against the store; see the module docs.
    /// Call it when nothing else is issuing (at start), so no entry is caught in flight.
    pub fn reconcile(&self) -> Result<ReconcileReport, IssueError> {
        let from = match self.store.get_record(Collection::Meta, WATERMARK)? {
            Some(b) => String::from_utf8_lossy(&b)
                .parse::<u64>()
                .map_err(store_err)?,
            None => 0,
        };
        // Entries are served once a checkpoint covers them: sign one over everything committed.
        let size = self
            .log
            .checkpoint_now_blocking()
            .map_err(|e| IssueError::Ledger(e.to_string()))?
            .head
            .size;
        let mut report = ReconcileReport {
            scanned: size.saturating_sub(from),
            ..ReconcileReport::default()
        };
        for index in from..size {
            let Some(bytes) = self.log.entry(index).map_err(store_err)? else {
                continue;
            };
            let Ok(entry) = Entry::from_bytes(&bytes) else {
                continue;
            };
            // Entries of other producers (or not JSON) are not ours to reconcile.
            #[derive(Deserialize)]
            struct Event {
                event: String,
            }
            let Ok(event) = serde_json::from_slice::<Event>(entry.payload()) else {
                continue;
            };
            match event.event.as_str() {
                "credential.issue" => {
                    let signed =
                        SignedHeader::from_ledger_payload(entry.payload()).map_err(store_err)?;
                    let h = &signed.header;
                    if self
                        .store
                        .credential(&h.id.to_bytes(), h.version)?
                        .is_none()
                    {
                        let orphan = Orphan {
                            ledger_index: index,
                            id: h.id,
                            version: h.version,
                            issuer: h.issuer.to_string(),
                            kind: h.kind,
                        };
                        let key = format!("{}/v{}", h.id, h.version);
                        let json = serde_json::to_vec(&orphan).map_err(store_err)?;
                        self.store
                            .put_record(Collection::Orphans, &key, Some(&json), false)?;
                        tracing::warn!(
                            ledger_index = index,
                            id = %h.id,
                            version = h.version,
                            "orphan issuance entry: the store write never happened"
                        );
                        report.orphans.push(orphan);
                    }
                }
                "credential.status" => {
                    #[derive(Deserialize)]
                    struct StatusEvent {
                        change: crate::credential::lifecycle::StatusChange,
                        sig: String,
                    }
                    let e: StatusEvent =
                        serde_json::from_slice(entry.payload()).map_err(store_err)?;
                    let id = e.change.id;
                    let version = e.change.version;
                    let Some(row) = self.store.credential(&id.to_bytes(), version)? else {
                        continue;
                    };
                    let mut public: PublicRecord =
                        serde_json::from_slice(&row.public).map_err(|e| corrupt(&id, e))?;
                    if public.changes.iter().any(|c| c.ledger_index == index) {
                        continue;
                    }
                    public.changes.push(RecordedChange {
                        signed: SignedStatusChange {
                            change: e.change,
                            sig: e.sig,
                        },
                        ledger_index: index,
                    });
                    public.changes.sort_by_key(|c| c.ledger_index);
                    let bytes = serde_json::to_vec(&public).map_err(|e| corrupt(&id, e))?;
                    self.store
                        .update_public(&[(id.to_bytes(), version, bytes)])?;
                    tracing::warn!(ledger_index = index, %id, "restored a status change from the ledger");
                    report.restored_status_changes += 1;
                }
                REGISTRY_EVENT => {
                    let change: SignedChange =
                        serde_json::from_slice(entry.payload()).map_err(store_err)?;
                    let mut guard = self
                        .registry
                        .write()
                        .map_err(|_| IssueError::Ledger("registry lock poisoned".into()))?;
                    let next_seq = guard.next_seq();
                    if change.body.seq() < next_seq {
                        continue;
                    }
                    let mut next = Registry::clone(&guard);
                    next.apply(&change)?;
                    self.store
                        .append_registry_change(change.body.seq(), entry.payload())?;
                    *guard = Arc::new(next);
                    tracing::warn!(
                        ledger_index = index,
                        seq = change.body.seq(),
                        "restored a registry change from the ledger"
                    );
                    report.restored_registry_changes += 1;
                }
                _ => {}
            }
        }
        self.store.put_record(
            Collection::Meta,
            WATERMARK,
            Some(size.to_string().as_bytes()),
            false,
        )?;
        Ok(report)
    }

    /// Every orphan found so far.
    pub fn orphans(&self) -> Result<Vec<Orphan>, IssueError> {
        self.store
            .scan_records(Collection::Orphans)?
            .into_iter()
            .map(|(_, v)| serde_json::from_slice(&v).map_err(store_err))
            .collect()
    }

    /// Whether a credential version is a known orphan.
    pub fn orphan(&self, id: &CredentialId, version: u32) -> Result<Option<Orphan>, IssueError> {
        self.store
            .get_record(Collection::Orphans, &format!("{id}/v{version}"))?
            .map(|v| serde_json::from_slice(&v).map_err(store_err))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential::issuer_key::IssuerSigningKey;
    use crate::credential::lifecycle::{Action, Reason};
    use crate::data_dir::DataDir;
    use crate::issuance::{Document, StatusRequest, bulk};
    use crate::registry::{Change, Names};
    use crate::store::redb_store::fault;
    use std::sync::Arc;

    const BIN: &str = "970940001239";

    fn docs() -> Vec<Document> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples/issuance/school-class.csv");
        bulk::parse_file(&std::fs::read(path).unwrap(), DocumentKind::Attestat)
            .unwrap()
            .docs
    }

    fn add_key(
        svc: &Issuance,
        root: &IssuerSigningKey,
        key: &IssuerSigningKey,
    ) -> Result<u64, IssueError> {
        let reg = svc.registry();
        svc.change_registry(
            &reg.sign(
                root,
                Change::AddKey {
                    seq: reg.next_seq(),
                    bin: BIN.into(),
                    key_id: key.public().key_id(),
                    public_key: key.public().to_base64url(),
                    not_before: "2025-01-01".into(),
                    not_after: "2027-12-31".into(),
                },
            )
            .unwrap(),
        )
    }

    #[test]
    fn ledger_entries_whose_store_write_failed_are_orphaned_or_restored() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::init(&tmp.path().join("d"), "test.tanba/ledger").unwrap();
        let log = Arc::new(dir.open_log().unwrap());
        let svc = dir.open_issuance(log.clone()).unwrap();
        let root = dir.authority_key().unwrap();
        let key = IssuerSigningKey::generate();
        let reg = svc.registry();
        svc.change_registry(
            &reg.sign(
                &root,
                Change::RegisterIssuer {
                    seq: 1,
                    bin: BIN.into(),
                    names: Names {
                        kk: "Мектеп".into(),
                        ru: "Школа".into(),
                        en: "School".into(),
                    },
                    kinds: vec![DocumentKind::Attestat],
                },
            )
            .unwrap(),
        )
        .unwrap();
        add_key(&svc, &root, &key).unwrap();
        let today = time::macros::date!(2026 - 11 - 22);
        let docs = docs();
        let a = svc.issue_batch(BIN, &key, &docs[..1], today).unwrap();

        // Three changes reach the ledger but not the store.
        fault::set(&dir.store_path(), true);
        let err = svc.issue_batch(BIN, &key, &docs[1..2], today).unwrap_err();
        assert!(err.to_string().contains("injected"), "{err}");
        let revoke = StatusRequest {
            action: Action::Revoke,
            reason: Reason::Fraud,
            on: today,
        };
        svc.change_status(BIN, &key, &a[0].id, revoke, today)
            .unwrap_err();
        let second_key = IssuerSigningKey::generate();
        add_key(&svc, &root, &second_key).unwrap_err();
        fault::set(&dir.store_path(), false);
        assert_eq!(svc.status(&a[0].id, None).unwrap().1.code(), "valid");

        // The next start reconciles: the issuance is an orphan, the others are restored.
        let svc = dir.open_issuance(log.clone()).unwrap();
        let orphans = svc.orphans().unwrap();
        assert_eq!(orphans.len(), 1, "{orphans:?}");
        assert_eq!(orphans[0].version, 1);
        assert_eq!(orphans[0].issuer, BIN);
        assert!(svc.orphan(&orphans[0].id, 1).unwrap().is_some());
        assert_eq!(svc.status(&a[0].id, None).unwrap().1.code(), "revoked");
        let k2 = second_key.public().key_id();
        assert!(
            svc.registry()
                .issuer(BIN)
                .unwrap()
                .keys
                .iter()
                .any(|k| k.key_id == k2),
            "the second key is back in the registry"
        );
        // Nothing was recorded for the orphan, so it can be issued again; a second pass has
        // nothing new to do.
        svc.issue_batch(BIN, &key, &docs[1..2], today).unwrap();
        let again = svc.reconcile().unwrap();
        assert!(again.orphans.is_empty(), "{again:?}");
        assert_eq!(
            again.restored_status_changes + again.restored_registry_changes,
            0
        );
        log.close();
    }
}
