//! The QR code on every document: a verification URL that also carries a compact,
//! issuer-signed payload, so that a phone opens the online check and the CLI (or an app with the
//! cached trust list) can verify with no network at all.
//!
//! The payload follows the EU Digital COVID Certificate, which did this for billions of scans:
//!
//! ```text
//! payload  = CBOR map {"id": bstr(16), "v", "k", "iss", "dt", "c"}  ; ids, kind, issuer, date,
//!            and a few claims under short keys (see `SHORT_KEYS`)
//! signed   = COSE_Sign1 (tag 18), protected {alg: EdDSA (-8), kid: issuer key id (8 bytes)}
//! packed   = zlib(signed)
//! QR text  = "<BASE URL>/V/" ‖ base32(packed)               ; RFC 4648 alphabet, no padding
//! ```
//!
//! One deliberate difference from the DCC: base32 instead of base45. The payload sits in a URL
//! path that phone cameras open, and base45's alphabet contains space and `%`, which are not
//! URL-safe. Base32's characters, like an upper-cased URL, all lie in the QR alphanumeric mode,
//! so the whole code stays in that dense mode (5 bits per character against base45's 5.33).
//! It must fit QR version 15 at error correction M to scan off a printed A4 page.

use super::issuer_key::{IssuerPublicKey, IssuerSigningKey};
use super::record::{CredentialId, DocumentKind};
use coset::{
    CborSerializable as _, CoseSign1, CoseSign1Builder, HeaderBuilder, TaggedCborSerializable as _,
    iana,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Largest QR version allowed (version 15 is 77×77 modules).
pub const MAX_VERSION: i16 = 15;
/// Path segment before the payload.
pub const PATH: &str = "/V/";
/// Most bytes a payload may inflate to: refuses zip bombs in scanned codes.
const MAX_INFLATED: usize = 16 * 1024;

/// What the QR code asserts, signed by the issuer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QrPayload {
    #[serde(with = "id_as_bytes")]
    pub id: CredentialId,
    pub v: u32,
    pub k: DocumentKind,
    /// Issuer BIN.
    pub iss: String,
    /// Date of issue, YYYY-MM-DD.
    pub dt: String,
    /// The claims shown offline (a short subset: name, level, specialty…), under short keys.
    pub c: Map<String, Value>,
}

/// The id as a 16-byte CBOR byte string: half the size of its hex text.
mod id_as_bytes {
    use super::CredentialId;
    use serde::{Deserialize as _, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(id: &CredentialId, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&id.to_bytes())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<CredentialId, D::Error> {
        let bytes = ciborium::value::Value::deserialize(d)?;
        let b = bytes
            .as_bytes()
            .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())
            .ok_or_else(|| serde::de::Error::custom("id is not 16 bytes"))?;
        Ok(CredentialId::from_bytes(b))
    }
}

/// Claim names on paper and their long forms: every byte counts below QR version 15.
pub const SHORT_KEYS: [(&str, &str); 14] = [
    ("holder_name", "n"),
    ("child_name", "cn"),
    ("level", "l"),
    ("specialty_code", "sc"),
    ("series", "se"),
    ("number", "no"),
    ("honours", "h"),
    ("form", "f"),
    ("start_date", "sd"),
    ("planned_end", "pe"),
    ("foreign_country", "fc"),
    ("decision_number", "dn"),
    ("apostille_number", "an"),
    ("document_kind", "dk"),
];

/// The offline claims with their full names, for display.
pub fn expand_claims(short: &Map<String, Value>) -> Map<String, Value> {
    short
        .iter()
        .map(|(k, v)| {
            let long = SHORT_KEYS
                .iter()
                .find(|(_, s)| s == k)
                .map_or(k.as_str(), |(l, _)| l);
            (long.to_string(), v.clone())
        })
        .collect()
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QrError {
    #[error("QR text does not contain {PATH} followed by a payload")]
    NoPayload,
    #[error("QR payload is not base32 text (it may be cut short or mistyped)")]
    NotBase32,
    #[error("QR payload does not decompress: it is truncated or corrupted")]
    NotCompressed,
    #[error("QR payload is not in the exact encoding Tanba writes: it was altered")]
    NotCanonical,
    #[error("QR payload is not a COSE_Sign1 structure: {0}")]
    NotCose(String),
    #[error("QR payload content is malformed: {0}")]
    BadContent(String),
    #[error("QR payload is signed with key {found}, not with {expected}")]
    WrongKey { expected: String, found: String },
    #[error("QR payload signature does not verify with issuer key {0}")]
    BadSignature(String),
    #[error(
        "the document's data needs QR version {0}; at most {MAX_VERSION} scans off a printed page"
    )]
    TooLarge(i16),
    #[error("QR rendering failed: {0}")]
    Render(String),
}

/// The claims of each kind that travel in the QR code. Grades and IINs stay out: the code is
/// printed on paper that many people see.
pub fn offline_claims(kind: DocumentKind, claims: &Map<String, Value>) -> Map<String, Value> {
    let keep: &[&str] = match kind {
        DocumentKind::Attestat => &["holder_name", "level", "series", "number", "honours"],
        DocumentKind::Diploma => &[
            "holder_name",
            "level",
            "specialty_code",
            "series",
            "number",
            "honours",
        ],
        DocumentKind::Guardianship => &["child_name", "form", "start_date", "planned_end"],
        DocumentKind::Recognition => &[
            "holder_name",
            "level",
            "specialty_code",
            "foreign_country",
            "decision_number",
        ],
        DocumentKind::Apostille => &["apostille_number", "document_kind", "holder_name"],
    };
    claims
        .iter()
        .filter(|(k, _)| keep.contains(&k.as_str()))
        .map(|(k, v)| {
            let short = SHORT_KEYS
                .iter()
                .find(|(l, _)| l == k)
                .map_or(k.as_str(), |(_, s)| s);
            (short.to_string(), v.clone())
        })
        .collect()
}

/// Signs and packs `payload` into the QR text under `base_url` (e.g. `https://tanba.edu.kz`).
pub fn encode(
    payload: &QrPayload,
    key: &IssuerSigningKey,
    base_url: &str,
) -> Result<String, QrError> {
    let mut cbor = Vec::new();
    ciborium::into_writer(payload, &mut cbor).map_err(|e| QrError::BadContent(e.to_string()))?;
    let kid = hex::decode(key.public().key_id()).map_err(|e| QrError::BadContent(e.to_string()))?;
    let protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::EdDSA)
        .key_id(kid)
        .build();
    let sign1 = CoseSign1Builder::new()
        .protected(protected)
        .payload(cbor)
        .create_signature(b"", |tbs| key.sign_raw(tbs).to_vec())
        .build();
    let signed = sign1
        .to_tagged_vec()
        .map_err(|e| QrError::NotCose(e.to_string()))?;
    let packed = pack(&signed);
    Ok(format!(
        "{}{PATH}{}",
        base_url.trim_end_matches('/').to_uppercase(),
        data_encoding::BASE32_NOPAD.encode(&packed)
    ))
}

/// Zlib at level 9: the one packing `encode` writes and `decode` insists on. Output is
/// byte-identical to `miniz_oxide::deflate::compress_to_vec_zlib(bytes, 9)`; the compressor
/// (a few hundred KB of tables) is kept per thread and reset, since allocating and zeroing it
/// afresh was a tenth of an online verification.
fn pack(bytes: &[u8]) -> Vec<u8> {
    use miniz_oxide::deflate::core::{
        CompressorOxide, TDEFLFlush, TDEFLStatus, compress, create_comp_flags_from_zip_params,
    };
    thread_local! {
        static COMPRESSOR: std::cell::RefCell<Option<Box<CompressorOxide>>> =
            const { std::cell::RefCell::new(None) };
    }
    COMPRESSOR.with_borrow_mut(|slot| {
        let c = slot.get_or_insert_with(|| {
            Box::new(CompressorOxide::new(create_comp_flags_from_zip_params(
                9, 1, 0,
            )))
        });
        c.reset();
        // Deflate never grows data by more than 5 bytes per 16 KB block plus the zlib frame.
        let mut out = vec![0; bytes.len() + bytes.len() / 1000 + 64];
        let (status, _, written) = compress(c, bytes, &mut out, TDEFLFlush::Finish);
        assert_eq!(
            status,
            TDEFLStatus::Done,
            "the output buffer has room for any input"
        );
        out.truncate(written);
        out
    })
}

/// Unpacks QR text (a URL or the bare payload) without verifying: the key id tells the caller
/// which issuer key to verify with.
pub fn decode(text: &str) -> Result<(QrPayload, String, CoseSign1), QrError> {
    let text = text.trim();
    let b32 = match text.to_uppercase().rfind(PATH) {
        Some(at) => text[at + PATH.len()..].to_string(),
        None if !text.contains('/') && !text.is_empty() => text.to_string(),
        None => return Err(QrError::NoPayload),
    };
    let b32 = b32.trim_end_matches('/').to_uppercase();
    if b32.is_empty() {
        return Err(QrError::NoPayload);
    }
    let packed = data_encoding::BASE32_NOPAD
        .decode(b32.as_bytes())
        .map_err(|_| QrError::NotBase32)?;
    let signed = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&packed, MAX_INFLATED)
        .map_err(|_| QrError::NotCompressed)?;
    let sign1 = CoseSign1::from_tagged_slice(&signed)
        .or_else(|_| CoseSign1::from_slice(&signed))
        .map_err(|e| QrError::NotCose(e.to_string()))?;
    // Zlib and CBOR both let different bytes carry the same content (the ignored bits after a
    // stored block's header, say), and the signature covers only the content. So that no
    // changed character of a code can still pass, the text must be exactly the encoding
    // `encode` writes. The packing is deterministic (CBOR as coset writes it, zlib level 9);
    // `packing_is_byte_stable` pins it against a fixed vector, so a library upgrade that would
    // change it — and strand codes already printed — fails the tests first.
    let canonical = sign1
        .clone()
        .to_tagged_vec()
        .map_err(|e| QrError::NotCose(e.to_string()))?;
    if canonical != signed || pack(&signed) != packed {
        return Err(QrError::NotCanonical);
    }
    if sign1.protected.header.alg
        != Some(coset::RegisteredLabelWithPrivate::Assigned(
            iana::Algorithm::EdDSA,
        ))
    {
        return Err(QrError::NotCose("the algorithm is not EdDSA".into()));
    }
    let kid = hex::encode(&sign1.protected.header.key_id);
    let bytes = sign1
        .payload
        .as_deref()
        .ok_or_else(|| QrError::BadContent("no payload".into()))?;
    let payload: QrPayload =
        ciborium::from_reader(bytes).map_err(|e| QrError::BadContent(e.to_string()))?;
    Ok((payload, kid, sign1))
}

/// Decodes and verifies with the issuer key the caller looked up (by BIN and key id).
pub fn verify(text: &str, key: &IssuerPublicKey) -> Result<QrPayload, QrError> {
    let (payload, kid, sign1) = decode(text)?;
    if kid != key.key_id() {
        return Err(QrError::WrongKey {
            expected: key.key_id(),
            found: kid,
        });
    }
    sign1
        .verify_signature(b"", |sig, tbs| key.verify_raw(tbs, sig))
        .map_err(|_| QrError::BadSignature(key.key_id()))?;
    Ok(payload)
}

/// Builds the QR symbol for the text at error correction M and returns it with its version,
/// refusing a symbol above version 15 (too dense to scan off a printed page).
pub fn symbol(text: &str) -> Result<(qrcode::QrCode, i16), QrError> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| QrError::Render(e.to_string()))?;
    let version = match code.version() {
        qrcode::Version::Normal(v) => v,
        qrcode::Version::Micro(v) => v,
    };
    if version > MAX_VERSION {
        return Err(QrError::TooLarge(version));
    }
    Ok((code, version))
}

/// Renders the QR text as a PNG (error correction M, 4-module quiet zone, `scale` pixels per
/// module) and returns it with the QR version used.
pub fn render_png(text: &str, scale: u32) -> Result<(Vec<u8>, i16), QrError> {
    let (code, version) = symbol(text)?;
    let img = code
        .render::<image::Luma<u8>>()
        .module_dimensions(scale, scale)
        .quiet_zone(true)
        .build();
    let mut png = Vec::new();
    image::DynamicImage::ImageLuma8(img)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| QrError::Render(e.to_string()))?;
    Ok((png, version))
}

#[cfg(test)]
mod tests;
