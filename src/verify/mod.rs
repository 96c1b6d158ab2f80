//! One verification routine, shared by the public page, the JSON API and the CLI.
//!
//! Input is the text of a document's QR code (the URL, or the bare payload). Online
//! ([`Verifier::Online`]) the routine checks, in order, and stops at the first failure:
//!
//! 1. the QR payload decodes (else `tampered`: a damaged or altered code);
//! 2. the issuer is in the registry (else `unknown`) and the key id is one of its keys (else
//!    `tampered`);
//! 3. the issuer's COSE signature over the payload verifies (else `tampered`);
//! 4. that key was authorised for that kind on the document's date (else `tampered`);
//! 5. the ledger's record of that id and version exists (else `unknown`) and its header says
//!    what the QR says (else `tampered`);
//! 6. the claims disclosed in the QR match the header's commitments, via the stored
//!    disclosures (else `tampered`; skipped, and said so, after the holder's data was erased);
//! 7. the issuance entry is the ledger's entry at its index, and that index is included in the
//!    latest signed checkpoint (the proof is recomputed from the tiles and the checkpoint's
//!    signature checked); when the caller knows an earlier checkpoint, it must be consistent
//!    with the latest (else `tampered`);
//! 8. the current status: `valid`, `revoked`, `superseded` or `terminated`.
//!
//! With a QR code, step 5 does not check the record's own issuer signature again: the record is
//! bound to its ledger entry in step 7 (the entry holds the header, its commitments and that
//! signature, and the log signs the tree that holds the entry), and everything the verdict
//! shows comes from the QR, whose issuer signature step 3 checked and steps 5–6 tie to the
//! record. A record altered in the store fails step 6 or 7; a record the log itself forged
//! could change nothing the QR says. That second signature was a fifth of an online
//! verification. Without a QR (a share link, a typed code) the record's signature is all the
//! issuer's word there is, and [`verify_shared`] checks it.
//!
//! Offline ([`Verifier::Offline`], a cached trust list) steps 1–4 run, and the verdict says that
//! the status was not checked.
//!
//! Every verdict carries its machine code and a sentence in Kazakh, Russian and English.

pub mod scan;

use crate::credential::lifecycle::Status;
use crate::credential::qr::{self, QrError, QrPayload};
use crate::credential::record::{CredentialId, DocumentKind};
use crate::i18n::Lang;
use crate::issuance::{Issuance, IssueError, PublicRecord};
use crate::ledger::{Entry, Log, SignedCheckpoint};
use crate::registry::{Names, Registry, parse_date};
use serde::Serialize;
use serde_json::{Map, Value};

/// The verdict's machine code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Code {
    Valid,
    Revoked,
    Superseded,
    Terminated,
    Unknown,
    Tampered,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Valid => "valid",
            Code::Revoked => "revoked",
            Code::Superseded => "superseded",
            Code::Terminated => "terminated",
            Code::Unknown => "unknown",
            Code::Tampered => "tampered",
        }
    }

    /// The verdict in one sentence, in `lang` (`kk`, `ru`, anything else English), from
    /// `locales/*.ftl`.
    pub fn sentence(self, lang: &str) -> String {
        Lang::parse(lang)
            .unwrap_or(Lang::En)
            .t(&format!("verdict-{}", self.as_str()))
    }
}

/// The sentence in all three languages.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sentences {
    pub kk: String,
    pub ru: String,
    pub en: String,
}

impl From<Code> for Sentences {
    fn from(c: Code) -> Self {
        Sentences {
            kk: c.sentence("kk"),
            ru: c.sentence("ru"),
            en: c.sentence("en"),
        }
    }
}

/// What the document says, once its signature verified.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Document {
    pub id: CredentialId,
    pub verification_code: String,
    pub version: u32,
    /// The newest version (online only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_version: Option<u32>,
    pub kind: DocumentKind,
    pub issuer: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer_names: Option<Names>,
    pub issued_on: String,
    /// The claims the QR code discloses, under their full names.
    pub claims: Map<String, Value>,
}

/// The ledger evidence behind an online verdict.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LedgerEvidence {
    pub index: u64,
    /// Size of the latest signed checkpoint the entry was proven included in.
    pub checkpoint_size: u64,
    /// The log's origin line.
    pub origin: String,
    /// The caller's earlier checkpoint size, when it gave one, proven a prefix of the latest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consistent_from: Option<u64>,
}

/// Which checks ran and passed.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Checks {
    pub signature: bool,
    pub issuer_authorised: bool,
    /// `None` when the claims could not be compared (offline, or personal data erased).
    pub claims_match_commitment: Option<bool>,
    pub ledger_inclusion: Option<bool>,
    /// `false` offline: the status was not looked up.
    pub status_checked: bool,
}

/// The outcome of one verification.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    pub status: Code,
    pub message: Sentences,
    /// Why, for a verdict other than `valid`, in technical English (for logs and support).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Revocation or termination date and reason; the superseding version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<Status>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<Document>,
    pub checks: Checks,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ledger: Option<LedgerEvidence>,
    /// Offline only: the date of the trust list the verdict rests on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_list_of: Option<String>,
}

impl Verdict {
    fn new(status: Code, reason: Option<String>) -> Self {
        Verdict {
            status,
            message: status.into(),
            reason,
            detail: None,
            document: None,
            checks: Checks::default(),
            ledger: None,
            trust_list_of: None,
        }
    }

    fn fail(mut self, status: Code, reason: impl Into<String>) -> Self {
        self.status = status;
        self.message = status.into();
        self.reason = Some(reason.into());
        self
    }
}

/// Input that is not a Tanba QR code at all (as opposed to a damaged one, which is a verdict).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("not a Tanba QR code: expected a URL ending in /V/<payload> or the bare payload")]
    NotOurs,
    #[error("the QR text is too long ({0} bytes; at most 4096)")]
    TooLong(usize),
    #[error("{0}")]
    BadCode(String),
    #[error("no document has the verification code {0}")]
    NoSuchCode(String),
    #[error("the verifier could not read its own records: {0}")]
    Internal(String),
}

/// Where the verifier gets its trust from.
pub enum Verifier<'a> {
    /// The service's own registry, store and ledger.
    Online {
        issuance: &'a Issuance,
        log: &'a Log,
    },
    /// A cached trust list (already checked against its root key) and its date.
    Offline {
        registry: &'a Registry,
        as_of: time::Date,
    },
}

/// Longest QR text accepted: version 15 at level M holds under 600 alphanumeric characters.
pub const MAX_QR_TEXT: usize = 4096;

impl Verifier<'_> {
    /// Verifies the text of a QR code. `known` is an earlier checkpoint the caller trusts (for
    /// the consistency check), if any.
    pub fn verify_qr(
        &self,
        text: &str,
        known: Option<&SignedCheckpoint>,
    ) -> Result<Verdict, VerifyError> {
        if text.len() > MAX_QR_TEXT {
            return Err(VerifyError::TooLong(text.len()));
        }
        let (payload, kid, sign1) = match qr::decode(text) {
            Ok(d) => d,
            Err(QrError::NoPayload) => return Err(VerifyError::NotOurs),
            Err(e) => {
                return Ok(Verdict::new(
                    Code::Tampered,
                    Some(format!("the QR payload is damaged or altered: {e}")),
                ));
            }
        };
        let owned;
        let registry = match self {
            Verifier::Online { issuance, .. } => {
                owned = issuance.registry();
                &owned
            }
            Verifier::Offline { registry, .. } => *registry,
        };
        let mut v = Verdict::new(Code::Valid, None);
        v.document = Some(Document {
            id: payload.id,
            verification_code: payload.id.verification_code(),
            version: payload.v,
            latest_version: None,
            kind: payload.k,
            issuer: payload.iss.clone(),
            issuer_names: registry.issuer(&payload.iss).map(|i| i.names.clone()),
            issued_on: payload.dt.clone(),
            claims: qr::expand_claims(&payload.c),
        });
        if let Verifier::Offline { as_of, .. } = self {
            v.trust_list_of = Some(as_of.to_string());
        }

        // 2–4: the issuer, its key, the signature, the authorisation.
        let Some(issuer) = registry.issuer(&payload.iss) else {
            return Ok(v.fail(
                Code::Unknown,
                format!("issuer {} is not in the trust registry", payload.iss),
            ));
        };
        let Some(key) = issuer.keys.iter().find(|k| k.key_id == kid) else {
            return Ok(v.fail(
                Code::Tampered,
                format!(
                    "issuer {} never registered a key with id {kid}",
                    payload.iss
                ),
            ));
        };
        if sign1
            .verify_signature(b"", |sig, tbs| key.public_key.verify_raw(tbs, sig))
            .is_err()
        {
            return Ok(v.fail(
                Code::Tampered,
                format!(
                    "the issuer signature does not verify with key {kid} of {}",
                    payload.iss
                ),
            ));
        }
        v.checks.signature = true;
        let date = match parse_date("dt", &payload.dt) {
            Ok(d) => d,
            Err(e) => return Ok(v.fail(Code::Tampered, e.to_string())),
        };
        if let Err(e) = registry.authorise(&payload.iss, &kid, payload.k, date) {
            return Ok(v.fail(Code::Tampered, format!("not authorised: {e}")));
        }
        v.checks.issuer_authorised = true;

        match self {
            Verifier::Offline { .. } => Ok(v),
            Verifier::Online { issuance, log } => online(issuance, log, &payload, known, v),
        }
    }
}

fn internal(e: impl std::fmt::Display) -> VerifyError {
    VerifyError::Internal(e.to_string())
}

/// Steps 5–8 of the module docs.
fn online(
    issuance: &Issuance,
    log: &Log,
    payload: &QrPayload,
    known: Option<&SignedCheckpoint>,
    mut v: Verdict,
) -> Result<Verdict, VerifyError> {
    // 5: the record, its signed header, and agreement with the QR (the version's row is read
    // once, for its public record and its sealed disclosures both).
    let view = match issuance.verification_view(&payload.id, payload.v) {
        Ok(r) => r,
        Err(IssueError::Unknown(_)) => {
            return Ok(v.fail(
                Code::Unknown,
                format!("no credential {} v{} on record", payload.id, payload.v),
            ));
        }
        Err(e) => return Err(internal(e)),
    };
    let (latest, public) = (view.latest, view.public);
    if let Some(d) = v.document.as_mut() {
        d.latest_version = Some(latest);
    }
    let h = &public.signed.header;
    if h.id != payload.id
        || h.version != payload.v
        || h.kind != payload.k
        || h.issuer != payload.iss
        || h.issued_on != payload.dt
    {
        return Ok(v.fail(
            Code::Tampered,
            "the QR code and the ledger's record of this credential disagree",
        ));
    }

    // 6: the QR's claims against the committed disclosures.
    match view.claims {
        Some(Ok(committed)) => {
            if qr::offline_claims(payload.k, &committed) != payload.c {
                v.checks.claims_match_commitment = Some(false);
                return Ok(v.fail(
                    Code::Tampered,
                    "the claims in the QR code differ from the ones the issuer committed to",
                ));
            }
            v.checks.claims_match_commitment = Some(true);
        }
        Some(Err(e)) => {
            v.checks.claims_match_commitment = Some(false);
            return Ok(v.fail(
                Code::Tampered,
                format!("a stored disclosure is not committed to: {e}"),
            ));
        }
        None => {}
    }

    ledger_and_status(log, &public, payload.v, latest, known, v)
}

/// Verifies the document a printed verification code names (`XXXX-XXXX-XXXX`, typing slips
/// forgiven): its current version in full, as [`verify_shared`] does, with no claim disclosed
/// — the code is printed in plain sight, so it proves what the document is and whether it
/// stands, never whose it is. [`VerifyError::NoSuchCode`] when no document carries the code
/// (or, at odds of one in 10^18 for a 60-bit code of random ids, two do: then neither is shown
/// rather than the wrong one).
pub fn verify_code(issuance: &Issuance, log: &Log, code: &str) -> Result<Verdict, VerifyError> {
    let bits = crate::credential::record::parse_verification_code(code)
        .map_err(|e| VerifyError::BadCode(e.to_string()))?;
    let ids = issuance.credentials_by_code(bits).map_err(internal)?;
    let [id] = ids.as_slice() else {
        return Err(VerifyError::NoSuchCode(code.trim().to_string()));
    };
    let (latest, _) = issuance.public_record(id, None).map_err(internal)?;
    verify_shared(issuance, log, id, latest, &[])
}

/// Verifies a stored credential version as its holder shares it through a share link: the
/// ledger's signed record (steps 5 and 4 of the module docs, against the registry), the stored
/// disclosures of the claims named in `keep` against the record's commitments (6), then the
/// ledger and the status (7, 8). The verdict's document shows exactly those claims.
pub fn verify_shared(
    issuance: &Issuance,
    log: &Log,
    id: &CredentialId,
    version: u32,
    keep: &[String],
) -> Result<Verdict, VerifyError> {
    let registry = issuance.registry();
    let mut v = Verdict::new(Code::Valid, None);
    let (latest, public) = match issuance.public_record(id, Some(version)) {
        Ok(r) => r,
        Err(IssueError::Unknown(_)) => {
            return Ok(v.fail(
                Code::Unknown,
                format!("no credential {id} v{version} on record"),
            ));
        }
        Err(e) => return Err(internal(e)),
    };
    let h = &public.signed.header;
    v.document = Some(Document {
        id: h.id,
        verification_code: h.id.verification_code(),
        version: h.version,
        latest_version: Some(latest),
        kind: h.kind,
        issuer: h.issuer.clone(),
        issuer_names: registry.issuer(&h.issuer).map(|i| i.names.clone()),
        issued_on: h.issued_on.clone(),
        claims: Map::new(),
    });
    let key = registry
        .issuer(&h.issuer)
        .and_then(|i| i.keys.iter().find(|k| k.key_id == h.key_id));
    match key {
        Some(k) if public.signed.verify_signature(&k.public_key).is_ok() => {}
        _ => {
            return Ok(v.fail(
                Code::Tampered,
                "the signature of the ledger's record does not verify",
            ));
        }
    }
    v.checks.signature = true;
    let date = match parse_date("issued_on", &h.issued_on) {
        Ok(d) => d,
        Err(e) => return Ok(v.fail(Code::Tampered, e.to_string())),
    };
    if let Err(e) = registry.authorise(&h.issuer, &h.key_id, h.kind, date) {
        return Ok(v.fail(Code::Tampered, format!("not authorised: {e}")));
    }
    v.checks.issuer_authorised = true;
    match issuance.open_credential(id, Some(version)) {
        Ok(opened) => {
            let chosen: Vec<_> = opened
                .disclosures
                .into_iter()
                .filter(|d| keep.iter().any(|k| k == d.name()))
                .collect();
            match public.signed.disclosed_claims(&chosen) {
                Ok(claims) => {
                    if let Some(d) = v.document.as_mut() {
                        d.claims = claims;
                    }
                    v.checks.claims_match_commitment = Some(true);
                }
                Err(e) => {
                    v.checks.claims_match_commitment = Some(false);
                    return Ok(v.fail(
                        Code::Tampered,
                        format!("a stored disclosure is not committed to: {e}"),
                    ));
                }
            }
        }
        Err(IssueError::Erased(_)) => {}
        Err(e) => return Err(internal(e)),
    }
    ledger_and_status(log, &public, version, latest, None, v)
}

/// Steps 7 and 8 of the module docs for a record whose signature was checked.
fn ledger_and_status(
    log: &Log,
    public: &PublicRecord,
    version: u32,
    latest: u32,
    known: Option<&SignedCheckpoint>,
    mut v: Verdict,
) -> Result<Verdict, VerifyError> {
    // 7: the ledger entry, its inclusion in the latest checkpoint, consistency with `known`.
    let Some(index) = public.ledger_index else {
        return Ok(v.fail(Code::Unknown, "the credential has no ledger entry yet"));
    };
    if index >= log.checkpoint().head.size {
        // Committed, but issued after the latest checkpoint: one covering it is signed within
        // the checkpoint interval. Not a forgery; not yet provable either.
        return Ok(v.fail(
            Code::Unknown,
            format!(
                "ledger entry {index} was committed after the latest signed checkpoint; \
                 it is covered within a second: verify again"
            ),
        ));
    }
    let payload_bytes = public.signed.ledger_payload().map_err(internal)?;
    let expected = Entry::v1(&payload_bytes).map_err(internal)?;
    let stored = log.entry(index).map_err(internal)?;
    if stored.as_deref() != Some(expected.as_bytes()) {
        v.checks.ledger_inclusion = Some(false);
        return Ok(v.fail(
            Code::Tampered,
            format!("ledger entry {index} is not this credential's issuance"),
        ));
    }
    let proof = log.inclusion_proof(index, None).map_err(internal)?;
    let checkpoint = log
        .verifier()
        .open(proof.checkpoint.as_bytes())
        .map_err(internal)?;
    if proof.verify(Some(expected.as_bytes())).is_err()
        || checkpoint.head.size != proof.tree_size
        || !crate::ledger::proof::parse_hash(&proof.root_hash, "root_hash")
            .is_ok_and(|r| r == checkpoint.head.root)
    {
        v.checks.ledger_inclusion = Some(false);
        return Ok(v.fail(
            Code::Tampered,
            format!("entry {index} is not proven included in the signed checkpoint"),
        ));
    }
    v.checks.ledger_inclusion = Some(true);
    let mut evidence = LedgerEvidence {
        index,
        checkpoint_size: proof.tree_size,
        origin: log.verifier().origin().to_string(),
        consistent_from: None,
    };
    if let Some(k) = known {
        let ok = k.head.size <= proof.tree_size
            && log
                .consistency_proof(k.head.size, Some(proof.tree_size))
                .ok()
                .filter(|c| c.verify().is_ok())
                .and_then(|c| crate::ledger::proof::parse_hash(&c.from_root, "from_root").ok())
                .is_some_and(|r| r == k.head.root);
        if !ok {
            v.ledger = Some(evidence);
            return Ok(v.fail(
                Code::Tampered,
                format!(
                    "the ledger's checkpoint of size {} is not consistent with the one you hold (size {})",
                    proof.tree_size, k.head.size
                ),
            ));
        }
        evidence.consistent_from = Some(k.head.size);
    }
    v.ledger = Some(evidence);

    // 8: the status, from the record read in step 5 (a latest version carries its changes; an
    // older one is superseded whatever they are).
    let changes: Vec<_> = public
        .changes
        .iter()
        .map(|c| c.signed.change.clone())
        .collect();
    let status = crate::credential::lifecycle::status(version, latest, &changes);
    v.checks.status_checked = true;
    let code = match &status {
        Status::Valid => Code::Valid,
        Status::Revoked { .. } => Code::Revoked,
        Status::Superseded { .. } => Code::Superseded,
        Status::Terminated { .. } => Code::Terminated,
    };
    if code != Code::Valid {
        v.status = code;
        v.message = code.into();
        v.detail = Some(status);
    }
    Ok(v)
}
