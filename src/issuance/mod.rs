//! Issuance: from an issuer's validated documents to signed credentials committed to the ledger
//! and stored with their personal data sealed.
//!
//! One batch (a single document, or a whole graduating class) goes through, in order:
//!
//! 1. **validate** every document, collecting every broken rule of every row;
//! 2. **authorise**: the registry must allow the issuer's key to sign each document's kind on
//!    its date of issue;
//! 3. **no duplicates**: a document already issued to the same person is refused, naming the
//!    original so the holder re-accesses it instead of getting a second one;
//! 4. **sign** each header (salted claim digests only) and seal the personal data under a new
//!    data key;
//! 5. **append** all ledger entries in one ledger transaction (`Log::append_all`), then
//!    **store** all records, with their ledger indexes, in one store transaction.
//!
//! Any failure in steps 1–3 issues nothing. If step 5's store write fails (or the process dies
//! between the two transactions), the ledger holds commitments nobody can open: they carry no
//! personal data, verification reports them as unknown, and re-running the batch issues it
//! cleanly, since no stored record blocks it as a duplicate. Writing the ledger first saves a
//! second store pass over every record (measured: a quarter of the store time).
//!
//! Registry changes go through here too: applied to a copy of the registry first (so a bad
//! change changes nothing), appended to the ledger, then recorded in the store.

pub mod bulk;
mod lifecycle;
pub use lifecycle::{StatusRequest, VersionStatus};
pub mod output;
pub mod reconcile;
pub mod synthetic;

use crate::credential::canonical;
use crate::credential::disclosure::Disclosure;
use crate::credential::ids::Bin;
use crate::credential::issuer_key::{IssuerPublicKey, IssuerSigningKey};
use crate::credential::kinds::{
    Apostille, Attestat, Diploma, FieldError, Guardianship, Recognition,
};
use crate::credential::record::{CredentialId, DocumentKind, IssueParams, SignedHeader, issue};
use crate::credential::sealed::MasterKey;
use crate::ledger::{Entry, LeafIndex, Log};
use crate::registry::{Registry, RegistryError, SignedChange, parse_date};
use crate::store::{CredentialRow, NewCredential, Store, StoreError};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::Sha256;
use std::sync::{Arc, RwLock};
use time::Date;

/// A document an issuer submits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Document {
    Attestat(Attestat),
    Diploma(Diploma),
    Guardianship(Guardianship),
    Recognition(Recognition),
    Apostille(Apostille),
}

impl Document {
    pub fn kind(&self) -> DocumentKind {
        match self {
            Document::Attestat(_) => DocumentKind::Attestat,
            Document::Diploma(_) => DocumentKind::Diploma,
            Document::Guardianship(_) => DocumentKind::Guardianship,
            Document::Recognition(_) => DocumentKind::Recognition,
            Document::Apostille(_) => DocumentKind::Apostille,
        }
    }

    pub fn validate(&self, today: Date) -> Result<(), Vec<FieldError>> {
        match self {
            Document::Attestat(d) => d.validate(today),
            Document::Diploma(d) => d.validate(today),
            Document::Guardianship(d) => d.validate(today),
            Document::Recognition(d) => d.validate(today),
            Document::Apostille(d) => d.validate(today),
        }
    }

    pub fn claims(&self) -> Map<String, Value> {
        match self {
            Document::Attestat(d) => d.claims(),
            Document::Diploma(d) => d.claims(),
            Document::Guardianship(d) => d.claims(),
            Document::Recognition(d) => d.claims(),
            Document::Apostille(d) => d.claims(),
        }
    }

    /// Rebuilds the typed document from its claims (as stored, or as disclosed in full) — the
    /// inverse of [`Document::claims`] — so a stored credential can be printed again.
    pub fn from_claims(
        kind: DocumentKind,
        issued_on: &str,
        c: &Map<String, Value>,
    ) -> Result<Document, String> {
        let get = |k: &str| c.get(k).cloned().unwrap_or(Value::Null);
        let v = match kind {
            DocumentKind::Attestat => serde_json::json!({
                "kind": "attestat",
                "holder": {"full_name": get("holder_name"), "iin": get("holder_iin")},
                "level": get("level"), "school": get("school"),
                "study_start": get("study_start"), "study_end": get("study_end"),
                "issued_on": issued_on, "series": get("series"), "number": get("number"),
                "honours": get("honours"), "subjects": get("subjects"),
            }),
            DocumentKind::Diploma => serde_json::json!({
                "kind": "diploma",
                "holder": {"full_name": get("holder_name"), "iin": get("holder_iin")},
                "level": get("level"), "institution": get("institution"),
                "specialty_code": get("specialty_code"), "specialty_name": get("specialty_name"),
                "qualification": get("qualification"),
                "study_start": get("study_start"), "study_end": get("study_end"),
                "issued_on": issued_on, "series": get("series"), "number": get("number"),
                "registration_number": get("registration_number"),
                "honours": get("honours"), "supplement": get("supplement"),
            }),
            DocumentKind::Guardianship => serde_json::json!({
                "kind": "guardianship",
                "guardians": get("guardians"),
                "child": {"full_name": get("child_name"), "iin": get("child_iin")},
                "form": get("form"), "basis": get("basis"), "start_date": get("start_date"),
                "planned_end": get("planned_end"), "status": get("status"),
            }),
            DocumentKind::Recognition => {
                let mut v = serde_json::json!({
                    "kind": "recognition",
                    "holder": {"full_name": get("holder_name"), "iin": get("holder_iin")},
                    "issued_on": issued_on,
                });
                for k in [
                    "decision_number",
                    "foreign_country",
                    "foreign_kind",
                    "foreign_institution",
                    "foreign_specialty",
                    "foreign_series",
                    "foreign_number",
                    "foreign_issued_on",
                    "level",
                    "specialty_code",
                    "specialty_name",
                    "case",
                ] {
                    if let Some(x) = c.get(k) {
                        v[k] = x.clone();
                    }
                }
                v
            }
            DocumentKind::Apostille => {
                let mut v = serde_json::json!({
                    "kind": "apostille",
                    "holder": {"full_name": get("holder_name"), "iin": get("holder_iin")},
                    "issued_on": issued_on,
                });
                for k in [
                    "apostille_number",
                    "signed_by",
                    "capacity",
                    "seal_of",
                    "place",
                    "authority",
                    "seal",
                    "signature",
                    "document_kind",
                    "document_credential",
                    "document_number",
                    "document_issued_on",
                ] {
                    if let Some(x) = c.get(k) {
                        v[k] = x.clone();
                    }
                }
                v
            }
        };
        serde_json::from_value(v)
            .map_err(|e| format!("the stored {kind:?} claims do not form a document: {e}"))
    }

    /// The typed body, borrowed, for printing.
    pub fn pdf_body(&self) -> crate::credential::pdf::Body<'_> {
        use crate::credential::pdf::Body;
        match self {
            Document::Attestat(d) => Body::Attestat(d),
            Document::Diploma(d) => Body::Diploma(d),
            Document::Guardianship(d) => Body::Guardianship(d),
            Document::Recognition(d) => Body::Recognition(d),
            Document::Apostille(d) => Body::Apostille(d),
        }
    }

    /// Date of issue: on the document, or the authority's decision for a guardianship act.
    pub fn issued_on(&self) -> &str {
        match self {
            Document::Attestat(d) => &d.issued_on,
            Document::Diploma(d) => &d.issued_on,
            Document::Guardianship(d) => &d.basis.decision_date,
            Document::Recognition(d) => &d.issued_on,
            Document::Apostille(d) => &d.issued_on,
        }
    }

    /// IINs of the people who may re-access this document.
    pub fn holder_iins(&self) -> Vec<&str> {
        match self {
            Document::Attestat(d) => vec![d.holder.iin.trim()],
            Document::Diploma(d) => vec![d.holder.iin.trim()],
            Document::Guardianship(d) => std::iter::once(d.child.iin.trim())
                .chain(d.guardians.iter().map(|g| g.iin.trim()))
                .collect(),
            Document::Recognition(d) => vec![d.holder.iin.trim()],
            Document::Apostille(d) => vec![d.holder.iin.trim()],
        }
    }

    /// What makes two submissions the same document: one attestat per person and level; one
    /// diploma per person, institution, level and specialty; one act per child and decision.
    fn identity(&self, issuer: &str) -> String {
        match self {
            Document::Attestat(d) => format!("attestat|{}|{:?}", d.holder.iin.trim(), d.level),
            Document::Diploma(d) => format!(
                "diploma|{}|{issuer}|{:?}|{}",
                d.holder.iin.trim(),
                d.level,
                d.specialty_code.trim()
            ),
            Document::Guardianship(d) => format!(
                "guardianship|{}|{issuer}|{}",
                d.child.iin.trim(),
                d.basis.decision_number.trim()
            ),
            // One recognition per person and foreign document.
            Document::Recognition(d) => format!(
                "recognition|{}|{}|{}|{}",
                d.holder.iin.trim(),
                d.foreign_country.trim(),
                d.foreign_series.trim(),
                d.foreign_number.trim()
            ),
            // One apostille per document.
            Document::Apostille(d) => format!(
                "apostille|{}|{}|{}",
                d.document_kind.trim(),
                d.document_credential.as_deref().unwrap_or("").trim(),
                d.document_number.trim()
            ),
        }
    }
}

/// Keyed hashes for the store's indexes, so that no IIN is kept in the clear.
pub struct IndexKey([u8; 32]);

impl IndexKey {
    pub fn from_bytes(b: [u8; 32]) -> Self {
        Self(b)
    }

    fn hash(&self, domain: &str, data: &str) -> [u8; 32] {
        // HMAC takes keys of any length (RFC 2104 §2): this constructor cannot fail.
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC accepts any key length");
        mac.update(domain.as_bytes());
        mac.update(&[0]);
        mac.update(data.as_bytes());
        mac.finalize().into_bytes().into()
    }

    pub fn holder(&self, iin: &str) -> [u8; 32] {
        self.hash("holder", iin.trim())
    }

    /// The account name of a holder who signs in to the portal: a keyed pseudonym, so the
    /// journal and the account list never show an IIN.
    pub fn holder_account(&self, iin: &str) -> String {
        format!(
            "holder-{}",
            hex::encode(&self.hash("account", iin.trim())[..8])
        )
    }

    fn dedupe(&self, identity: &str) -> [u8; 32] {
        self.hash("dedupe", identity)
    }
}

/// The problems of one row of a batch (rows count from 0).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub row: usize,
    pub errors: Vec<FieldError>,
}

#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("{} of the documents are invalid; nothing was issued", .0.len())]
    Invalid(Vec<RowError>),
    #[error("issuer {0} cannot be used: {1}")]
    Issuer(String, String),
    #[error(transparent)]
    Registry(Box<RegistryError>),
    #[error("the ledger refused the batch: {0}")]
    Ledger(String),
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
    #[error("credential {0} is unknown")]
    Unknown(String),
    #[error("the personal data of credential {0} has been erased")]
    Erased(String),
    #[error("credential {0} cannot be opened: {1}")]
    Corrupt(String, String),
    #[error("{0}")]
    Lifecycle(String),
}

impl From<RegistryError> for IssueError {
    fn from(e: RegistryError) -> Self {
        IssueError::Registry(Box::new(e))
    }
}

/// A credential just issued: what the holder receives.
#[derive(Clone, Debug)]
pub struct IssuedCredential {
    pub id: CredentialId,
    pub version: u32,
    pub ledger_index: LeafIndex,
    pub signed: SignedHeader,
    pub disclosures: Vec<Disclosure>,
}

/// The public part of a stored credential version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PublicRecord {
    pub signed: SignedHeader,
    /// Where the issuance event sits in the ledger.
    pub ledger_index: Option<LeafIndex>,
    /// Status changes of this version, in ledger order.
    #[serde(default)]
    pub changes: Vec<RecordedChange>,
}

/// A status change and where it sits in the ledger.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedChange {
    pub signed: crate::credential::lifecycle::SignedStatusChange,
    pub ledger_index: LeafIndex,
}

/// The sealed part of a stored credential version: the holder's disclosures, from which the
/// claims are rebuilt (storing the claims as well would double the personal data kept). Each
/// disclosure is kept as the compact JSON text its base64url form encodes, one per line: a
/// quarter smaller than the base64 text, and exactly that text again when re-encoded.
pub(crate) fn seal_disclosures(disclosures: &[Disclosure]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(disclosures.len() * 80);
    for (i, d) in disclosures.iter().enumerate() {
        let json =
            crate::credential::disclosure::decode_text(d.encoded()).map_err(|e| e.to_string())?;
        if json.contains(&b'\n') {
            return Err(format!("disclosure {} is not compact JSON", d.name()));
        }
        if i > 0 {
            out.push(b'\n');
        }
        out.extend_from_slice(&json);
    }
    Ok(out)
}

/// The disclosures [`seal_disclosures`] stored.
fn open_disclosures(plain: &[u8]) -> Result<Vec<Disclosure>, String> {
    if plain.is_empty() {
        return Ok(Vec::new());
    }
    plain
        .split(|&b| b == b'\n')
        .map(|json| {
            Disclosure::parse(&crate::credential::disclosure::encode_text(json))
                .map_err(|e| e.to_string())
        })
        .collect()
}

/// What a verification reads of one credential version ([`Issuance::verification_view`]).
#[derive(Debug)]
pub struct VerificationView {
    /// The newest version of the credential.
    pub latest: u32,
    /// The version's public record.
    pub public: PublicRecord,
    /// The claims its stored disclosures open to, checked against the record's commitments:
    /// `None` once erased, `Some(Err)` with why when one is not committed to.
    pub claims: Option<Result<Map<String, Value>, String>>,
}

/// A stored credential version, opened.
#[derive(Clone, Debug)]
pub struct OpenedCredential {
    pub public: PublicRecord,
    pub claims: Map<String, Value>,
    pub disclosures: Vec<Disclosure>,
}

/// A new version's [`PublicRecord`] as stored: `{"signed": {"header", "sig"}, "ledger_index",
/// "changes": []}`, built around the header bytes the signature covers rather than by
/// serialising the header again (it is valid JSON for the header; member order is free).
fn new_public_record(out: &crate::credential::record::Issued, ledger_index: LeafIndex) -> Vec<u8> {
    let mut row = Vec::with_capacity(out.header_json.len() + out.signed.sig.len() + 64);
    row.extend_from_slice(br#"{"signed":{"header":"#);
    row.extend_from_slice(&out.header_json);
    row.extend_from_slice(br#","sig":""#);
    row.extend_from_slice(out.signed.sig.as_bytes());
    row.extend_from_slice(
        format!(r#""}},"ledger_index":{ledger_index},"changes":[]}}"#).as_bytes(),
    );
    row
}

/// One document signed and sealed, ready for the ledger and the store.
/// One document's checks: its duplicate key, its errors, and an earlier issuance of it.
struct Checked {
    dedupe: [u8; 32],
    errors: Vec<FieldError>,
    existing: Option<[u8; 16]>,
}

/// `f` over `items` on the worker pool (one thread per core, kept for the process's life so
/// their allocator caches stay warm), in order.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    use rayon::prelude::*;
    items.par_iter().with_min_len(64).map(f).collect()
}

struct Prepared {
    id: CredentialId,
    out: crate::credential::record::Issued,
    entry: Entry,
    new: NewCredential,
}

/// The issuance service.
pub struct Issuance {
    log: Arc<Log>,
    store: Arc<dyn Store>,
    master: MasterKey,
    index: IndexKey,
    /// Swapped whole on each change, so readers (every verification) share it without copying.
    registry: RwLock<Arc<Registry>>,
}

fn corrupt(id: &CredentialId, e: impl std::fmt::Display) -> IssueError {
    IssueError::Corrupt(id.to_string(), e.to_string())
}

impl Issuance {
    /// Opens the service, rebuilding the registry from the store's registry changes.
    pub fn open(
        log: Arc<Log>,
        store: Arc<dyn Store>,
        master: MasterKey,
        index: IndexKey,
        root: IssuerPublicKey,
    ) -> Result<Self, IssueError> {
        let mut registry = Registry::new(root);
        for bytes in store.registry_changes()? {
            let change: SignedChange = serde_json::from_slice(&bytes)
                .map_err(|e| RegistryError::NotAnEvent(e.to_string()))?;
            registry.apply(&change)?;
        }
        Ok(Self {
            log,
            store,
            master,
            index,
            registry: RwLock::new(Arc::new(registry)),
        })
    }

    /// A snapshot of the registry.
    pub fn registry(&self) -> Arc<Registry> {
        match self.registry.read() {
            Ok(r) => r.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Applies a root-signed registry change: checked first, then ledger, then store.
    pub fn change_registry(&self, change: &SignedChange) -> Result<LeafIndex, IssueError> {
        let mut guard = self
            .registry
            .write()
            .map_err(|_| IssueError::Ledger("registry lock poisoned".into()))?;
        let mut next = Registry::clone(&guard);
        next.apply(change)?;
        let payload =
            canonical::to_vec(change).map_err(|e| RegistryError::NotAnEvent(e.to_string()))?;
        let entry = Entry::v1(&payload).map_err(|e| IssueError::Ledger(e.to_string()))?;
        let index = self
            .log
            .append_blocking(entry)
            .map_err(|e| IssueError::Ledger(e.to_string()))?;
        self.store
            .append_registry_change(next.next_seq() - 1, &payload)?;
        *guard = Arc::new(next);
        Ok(index)
    }

    /// Issues a batch for issuer `bin` signed with `key`: all documents, or none.
    ///
    /// Every document is checked before anything is signed; one bad row refuses the batch. The
    /// documents are then signed on every core in chunks while this thread appends each signed
    /// chunk to the ledger and adds it to one open store transaction, committed at the end, so
    /// the store's work overlaps the signing instead of following it. Should the store fail
    /// after some chunks reached the ledger, those entries are orphans: the next start lists
    /// them (see [`reconcile`]) and the same documents can be issued again.
    pub fn issue_batch(
        &self,
        bin: &str,
        key: &IssuerSigningKey,
        docs: &[Document],
        today: Date,
    ) -> Result<Vec<IssuedCredential>, IssueError> {
        let issuer =
            Bin::parse("issuer", bin).map_err(|e| IssueError::Issuer(bin.into(), e.reason))?;
        let bin = issuer.to_string();
        let registry = self.registry();
        let key_id = key.public().key_id();
        let started = std::time::Instant::now();

        // 1–2: validate and authorise each row on its own (on every core); each document's
        // duplicate key is computed once, checked in 3, stored in step 5.
        let checked = parallel_map(docs, |doc| -> Result<Checked, IssueError> {
            let dedupe = self.index.dedupe(&doc.identity(&bin));
            let mut errors = doc.validate(today).err().unwrap_or_default();
            if errors.is_empty() {
                let date = parse_date("issued_on", doc.issued_on())?;
                match registry.authorise(&bin, &key_id, doc.kind(), date) {
                    Ok(k) if k.public_key != key.public() => errors.push(FieldError {
                        field: "issuer".into(),
                        rule: "the signing key is not the registered one".into(),
                    }),
                    Ok(_) => {}
                    Err(e) => errors.push(FieldError {
                        field: "issuer".into(),
                        rule: e.to_string(),
                    }),
                }
            }
            Ok(Checked {
                dedupe,
                errors,
                existing: None,
            })
        });
        // 3: earlier issuances of the rows that passed, looked up together (one read
        // transaction per slice, keys in order) rather than row by row.
        let mut checked: Vec<Result<Checked, IssueError>> = checked;
        let wanted: Vec<(usize, [u8; 32])> = checked
            .iter()
            .enumerate()
            .filter_map(|(i, c)| match c {
                Ok(c) if c.errors.is_empty() => Some((i, c.dedupe)),
                _ => None,
            })
            .collect();
        let found = {
            use rayon::prelude::*;
            wanted
                .par_chunks(8192)
                .map(|part| {
                    let keys: Vec<[u8; 32]> = part.iter().map(|(_, k)| *k).collect();
                    self.store.find_duplicates(&keys)
                })
                .collect::<Result<Vec<_>, _>>()?
        };
        for ((i, _), existing) in wanted.iter().zip(found.into_iter().flatten()) {
            if let Ok(c) = &mut checked[*i] {
                c.existing = existing;
            }
        }
        let mut rows = Vec::new();
        let mut identities = std::collections::HashMap::new();
        let mut dedupes = Vec::with_capacity(docs.len());
        for (row, checked) in checked.into_iter().enumerate() {
            let Checked {
                dedupe,
                mut errors,
                existing,
            } = checked?;
            if errors.is_empty() {
                if let Some(first) = identities.insert(dedupe, row) {
                    errors.push(FieldError {
                        field: "holder".into(),
                        rule: format!("the same document for the same person is already row {first} of this batch"),
                    });
                } else if let Some(existing) = existing {
                    errors.push(FieldError {
                        field: "holder".into(),
                        rule: format!(
                            "this document was already issued as credential {}; re-access it instead of issuing a duplicate",
                            hex::encode(existing)
                        ),
                    });
                }
            }
            if !errors.is_empty() {
                rows.push(RowError { row, errors });
            }
            dedupes.push(dedupe);
        }
        if !rows.is_empty() {
            return Err(IssueError::Invalid(rows));
        }

        // 4 and 5: sign and seal in chunks on every core; here, append each chunk to the ledger
        // (one transaction per chunk) and to the store's open transaction.
        let checked_at = std::time::Instant::now();
        let threads = rayon::current_num_threads();
        let chunk = (docs.len() / (threads * 4)).clamp(500, 2048);
        let chunks = docs.len().div_ceil(chunk);
        let failed = std::sync::atomic::AtomicBool::new(false);
        // The ids are drawn here and sorted, so that row order is id order: each chunk's rows
        // then go to the end of the store's id-keyed tables, filling their pages, where ids
        // drawn by the signers (two chunks at a time) would interleave and split half-full
        // pages all over the batch's range.
        let mut ids: Vec<CredentialId> = (0..docs.len()).map(|_| CredentialId::random()).collect();
        ids.sort_unstable();
        let mut parts: Vec<Vec<IssuedCredential>> = (0..chunks).map(|_| Vec::new()).collect();
        // The closure runs on this thread (the committer); the chunks on the worker pool.
        rayon::in_place_scope(|scope| -> Result<(), IssueError> {
            let (tx, rx) = std::sync::mpsc::sync_channel(threads * 2);
            for c in 0..chunks {
                let (tx, failed, issuer, dedupes, ids) =
                    (tx.clone(), &failed, &issuer, &dedupes, &ids);
                scope.spawn(move |_| {
                    // Once the batch failed, the chunks not yet signed are skipped.
                    if failed.load(std::sync::atomic::Ordering::Relaxed) {
                        return;
                    }
                    let rows = c * chunk..((c + 1) * chunk).min(docs.len());
                    let part: Result<Vec<Prepared>, IssueError> = rows
                        .map(|i| self.prepare(ids[i], &docs[i], issuer, dedupes[i], key))
                        .collect();
                    // A closed channel means the batch failed.
                    if tx.send((c, part)).is_err() {
                        failed.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                });
            }
            drop(tx);
            let committed = self.commit_chunks(rx, &mut parts);
            if committed.is_err() {
                failed.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            let stored_at = std::time::Instant::now();
            tracing::debug!(
                documents = docs.len(),
                check_ms = (checked_at - started).as_millis() as u64,
                sign_store_commit_ms = (stored_at - checked_at).as_millis() as u64,
                "issued a batch"
            );
            committed
        })?;
        Ok(parts.into_iter().flatten().collect())
    }

    /// The committer of [`Issuance::issue_batch`]: appends each signed chunk from `rx` to the
    /// ledger, while a second thread adds the chunks already in the ledger to one store
    /// transaction and commits it once every chunk is in (so a ledger commit's wait overlaps
    /// the store's work). Returning early drops `rx` (the signers stop) and the store
    /// transaction uncommitted (nothing is stored).
    fn commit_chunks(
        &self,
        rx: std::sync::mpsc::Receiver<(usize, Result<Vec<Prepared>, IssueError>)>,
        parts: &mut [Vec<IssuedCredential>],
    ) -> Result<(), IssueError> {
        enum ToStore {
            Chunk(usize, Vec<Prepared>, std::ops::Range<LeafIndex>),
            /// Every chunk was sent: commit. A channel closed without it means abandon.
            Done,
        }
        std::thread::scope(|scope| {
            let (tx, to_store) = std::sync::mpsc::sync_channel::<ToStore>(4);
            let store = std::thread::Builder::new()
                .name("tanba-store".into())
                .spawn_scoped(scope, move || -> Result<(), IssueError> {
                    let mut writer = self.store.credential_writer()?;
                    let mut busy = std::time::Duration::ZERO;
                    for msg in to_store {
                        let (c, part, range) = match msg {
                            ToStore::Chunk(c, part, range) => (c, part, range),
                            ToStore::Done => {
                                let started = std::time::Instant::now();
                                writer.commit()?;
                                tracing::debug!(
                                    insert_ms = busy.as_millis() as u64,
                                    commit_ms = started.elapsed().as_millis() as u64,
                                    "stored a batch"
                                );
                                return Ok(());
                            }
                        };
                        let started = std::time::Instant::now();
                        let mut new = Vec::with_capacity(part.len());
                        for (p, ledger_index) in part.into_iter().zip(range) {
                            let Prepared {
                                id,
                                out,
                                new: mut n,
                                ..
                            } = p;
                            n.row.public = new_public_record(&out, ledger_index);
                            new.push(n);
                            parts[c].push(IssuedCredential {
                                id,
                                version: 1,
                                ledger_index,
                                signed: out.signed,
                                disclosures: out.disclosures,
                            });
                        }
                        writer.put(&new)?;
                        busy += started.elapsed();
                    }
                    Err(IssueError::Ledger(
                        "the batch stopped before all of it reached the ledger; nothing was stored"
                            .into(),
                    ))
                })
                .map_err(|e| IssueError::Ledger(format!("cannot start the store thread: {e}")))?;
            let appended = (|| -> Result<(), IssueError> {
                for (c, part) in rx {
                    let part = part?;
                    let entries = part.iter().map(|p| p.entry.clone()).collect();
                    let range = self
                        .log
                        .append_all_blocking(entries)
                        .map_err(|e| IssueError::Ledger(e.to_string()))?;
                    if tx.send(ToStore::Chunk(c, part, range)).is_err() {
                        return Ok(()); // the store thread failed: its error says why
                    }
                }
                let _ = tx.send(ToStore::Done);
                Ok(())
            })();
            drop(tx);
            let stored = store
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            appended.and(stored)
        })
    }

    /// A credential's data key, unwrapped; `Erased` once its personal data was erased.
    fn data_key(
        &self,
        id: &CredentialId,
    ) -> Result<crate::credential::sealed::DataKey, IssueError> {
        let raw = id.to_bytes();
        let wrapped = self
            .store
            .wrapped_key(&raw)?
            .ok_or_else(|| IssueError::Erased(id.to_string()))?;
        self.master
            .unwrap_data_key(&raw, &wrapped)
            .map_err(|e| corrupt(id, e))
    }

    /// Signs one document and seals its personal data.
    fn prepare(
        &self,
        id: CredentialId,
        doc: &Document,
        issuer: &Bin,
        dedupe: [u8; 32],
        key: &IssuerSigningKey,
    ) -> Result<Prepared, IssueError> {
        let claims = doc.claims();
        let out = issue(
            &IssueParams {
                id,
                version: 1,
                kind: doc.kind(),
                issuer,
                key,
                issued_on: doc.issued_on().trim(),
            },
            claims,
        )
        .map_err(|e| corrupt(&id, e))?;
        let payload = out.ledger_payload();
        let entry = Entry::v1(&payload).map_err(|e| IssueError::Ledger(e.to_string()))?;
        let (data_key, wrapped) = self
            .master
            .new_data_key(&id.to_bytes())
            .map_err(|e| corrupt(&id, e))?;
        let sealed_plain = seal_disclosures(&out.disclosures).map_err(|e| corrupt(&id, e))?;
        let new = NewCredential {
            row: CredentialRow {
                id: id.to_bytes(),
                version: 1,
                public: Vec::new(), // filled in with the ledger index once appended
                sealed: data_key
                    .seal(&id.to_bytes(), 1, &sealed_plain)
                    .map_err(|e| corrupt(&id, e))?,
            },
            wrapped_key: Some(wrapped),
            dedupe: Some(dedupe),
            holders: doc
                .holder_iins()
                .iter()
                .map(|i| self.index.holder(i))
                .collect(),
        };
        Ok(Prepared {
            id,
            out,
            entry,
            new,
        })
    }

    /// Reads and decrypts one stored credential version (the latest if `version` is `None`).
    pub fn open_credential(
        &self,
        id: &CredentialId,
        version: Option<u32>,
    ) -> Result<OpenedCredential, IssueError> {
        let raw = id.to_bytes();
        let version = match version {
            Some(v) => v,
            None => self
                .store
                .latest_version(&raw)?
                .ok_or_else(|| IssueError::Unknown(id.to_string()))?,
        };
        let row = self
            .store
            .credential(&raw, version)?
            .ok_or_else(|| IssueError::Unknown(id.to_string()))?;
        let public: PublicRecord =
            serde_json::from_slice(&row.public).map_err(|e| corrupt(id, e))?;
        let data_key = self.data_key(id)?;
        let plain = data_key
            .open(&raw, version, &row.sealed)
            .map_err(|e| corrupt(id, e))?;
        let disclosures = open_disclosures(&plain).map_err(|e| corrupt(id, e))?;
        // The claims are exactly what the disclosures commit to: rebuild and check them.
        let claims = public
            .signed
            .disclosed_claims(&disclosures)
            .map_err(|e| corrupt(id, e))?;
        Ok(OpenedCredential {
            public,
            claims,
            disclosures,
        })
    }

    /// The portal account name of the holder with this IIN (a keyed pseudonym).
    pub fn holder_account(&self, iin: &str) -> String {
        self.index.holder_account(iin)
    }

    /// The credentials of a person, found by IIN.
    pub fn credentials_of(&self, iin: &str) -> Result<Vec<CredentialId>, IssueError> {
        let mut ids: Vec<CredentialId> = self
            .store
            .credentials_of(&self.index.holder(iin))?
            .into_iter()
            .map(CredentialId::from_bytes)
            .collect();
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    /// The credentials a verification code names, given as the bits
    /// [`crate::credential::record::parse_verification_code`] reads from it (normally one: the
    /// code is 60 bits of the 128-bit id).
    pub fn credentials_by_code(&self, bits: u64) -> Result<Vec<CredentialId>, IssueError> {
        Ok(self
            .store
            .credentials_by_code(bits)?
            .into_iter()
            .map(CredentialId::from_bytes)
            .collect())
    }

    /// Erases a credential's personal data for good; its ledger commitment stays valid.
    pub fn erase(&self, id: &CredentialId) -> Result<bool, IssueError> {
        Ok(self.store.erase_key(&id.to_bytes())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The record built around the signed bytes reads back as the record serde would write.
    #[test]
    fn new_public_record_reads_back_whole() {
        let key = IssuerSigningKey::generate();
        let mut claims = Map::new();
        claims.insert("holder_name".into(), Value::from("Әсел \"Жұмабаева\""));
        let out = crate::credential::record::issue_test_attestat(&key, claims);
        let row = new_public_record(&out, 123_456_789_012);
        let read: PublicRecord = serde_json::from_slice(&row).unwrap();
        assert_eq!(
            read,
            PublicRecord {
                signed: out.signed.clone(),
                ledger_index: Some(123_456_789_012),
                changes: Vec::new(),
            }
        );
        read.signed.verify_signature(&key.public()).unwrap();
    }
}
