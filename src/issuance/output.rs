//! What bulk issuance hands back to the issuer: per document a printable PDF, a QR PNG and the
//! W3C VC JSON, and `manifest.json` listing them with paths relative to the manifest.
//!
//! ```text
//! <out>/manifest.json
//! <out>/<credential id>/document.pdf  A4, Kazakh and Russian, QR and verification code
//! <out>/<credential id>/qr.png        the code alone, for other layouts
//! <out>/<credential id>/vc.json       W3C VC 2.0, eddsa-jcs-2022, issuer did:web
//! ```

use super::{Document, IssuedCredential};
use crate::credential::issuer_key::IssuerSigningKey;
use crate::credential::pdf::{self, PdfInput};
use crate::credential::qr::{self, QrPayload, offline_claims};
use crate::credential::record::CredentialHeader;
use crate::credential::vc;
use crate::registry::Names;
use serde::Serialize;
use std::path::Path;

/// One line of `manifest.json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ManifestEntry {
    pub id: String,
    pub kind: crate::credential::record::DocumentKind,
    pub pdf: String,
    pub qr_png: String,
    pub vc_json: String,
    pub verify_url: String,
    pub expected_status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot write {path}: {reason}")]
    Write { path: String, reason: String },
    #[error("{0}")]
    Build(String),
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    std::fs::write(path, bytes).map_err(|e| OutputError::Write {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// The files of one credential version, built in memory.
pub struct Artifacts {
    /// The QR text: verification URL and signed offline payload.
    pub qr_text: String,
    pub qr_png: Vec<u8>,
    pub vc_json: Vec<u8>,
    pub pdf: Vec<u8>,
}

/// Builds the QR, the VC and the PDF of a credential version. Ed25519 signatures are
/// deterministic, so building them again later (re-access) gives the same bytes.
pub fn artifacts(
    public_url: &str,
    issuer: &Names,
    key: &IssuerSigningKey,
    doc: &Document,
    header: &CredentialHeader,
) -> Result<Artifacts, OutputError> {
    let build = |e: &dyn std::fmt::Display| OutputError::Build(e.to_string());
    let claims = doc.claims();
    let payload = QrPayload {
        id: header.id,
        v: header.version,
        k: header.kind,
        iss: header.issuer.clone(),
        dt: header.issued_on.clone(),
        c: offline_claims(header.kind, &claims),
    };
    let qr_text = qr::encode(&payload, key, public_url).map_err(|e| build(&e))?;
    let (qr_png, _) = qr::render_png(&qr_text, 6).map_err(|e| build(&e))?;
    let host = public_url
        .trim_end_matches('/')
        .split("://")
        .nth(1)
        .unwrap_or(public_url);
    let did = vc::issuer_did(host, &header.issuer);
    let document = vc::credential_document(host, header, &issuer.kk, &claims);
    let created = format!("{}T00:00:00Z", header.issued_on);
    let secured = vc::add_proof(
        document,
        key,
        &vc::verification_method(&did, &key.public()),
        &created,
    )
    .map_err(|e| build(&e))?;
    let vc_json = serde_json::to_vec_pretty(&secured).map_err(|e| build(&e))?;
    let check_url = format!("{}/check", public_url.trim_end_matches('/'));
    let pdf = pdf::render(&PdfInput {
        body: doc.pdf_body(),
        id: header.id,
        version: header.version,
        issuer_bin: &header.issuer.to_string(),
        issuer_kk: &issuer.kk,
        issuer_ru: &issuer.ru,
        qr_text: &qr_text,
        check_url: &check_url,
    })
    .map_err(|e| build(&e))?;
    Ok(Artifacts {
        qr_text,
        qr_png,
        vc_json,
        pdf,
    })
}

/// Writes the artifacts of one credential under `out` and returns its manifest entry.
pub fn write_credential(
    out: &Path,
    public_url: &str,
    issuer: &Names,
    key: &IssuerSigningKey,
    doc: &Document,
    issued: &IssuedCredential,
) -> Result<ManifestEntry, OutputError> {
    let header = &issued.signed.header;
    let id = header.id.to_string();
    // Corrected versions get their own folder beside the original's.
    let folder = if header.version == 1 {
        id.clone()
    } else {
        format!("{id}-v{}", header.version)
    };
    let dir = out.join(&folder);
    std::fs::create_dir_all(&dir).map_err(|e| OutputError::Write {
        path: dir.display().to_string(),
        reason: e.to_string(),
    })?;
    let a = artifacts(public_url, issuer, key, doc, header)?;
    write(&dir.join("qr.png"), &a.qr_png)?;
    write(&dir.join("vc.json"), &a.vc_json)?;
    write(&dir.join("document.pdf"), &a.pdf)?;
    Ok(ManifestEntry {
        id: id.clone(),
        kind: header.kind,
        pdf: format!("{folder}/document.pdf"),
        qr_png: format!("{folder}/qr.png"),
        vc_json: format!("{folder}/vc.json"),
        verify_url: a.qr_text,
        expected_status: "valid",
        version: (header.version != 1).then_some(header.version),
    })
}

/// Writes `manifest.json`.
pub fn write_manifest(out: &Path, entries: &[ManifestEntry]) -> Result<(), OutputError> {
    let json = serde_json::to_vec_pretty(entries).map_err(|e| OutputError::Build(e.to_string()))?;
    write(&out.join("manifest.json"), &json)
}
