//! SD-JWT VC export (RFC 9901 selective disclosure; IETF SD-JWT VC): the same salted claim
//! digests the ledger commits to, in a compact form wallets read.
//!
//! ```text
//! <base64url header>.<base64url payload>.<base64url EdDSA signature>~<disclosure>~…~
//! header  = {"alg":"EdDSA","typ":"dc+sd-jwt","kid":"<issuer key id>"}
//! payload = {"iss","iat","vct","jti":"<credential id>","_sd":[digests],"_sd_alg":"sha-256",
//!            "status":{"version":N}}
//! ```
//!
//! The holder presents the JWT with only the disclosures they choose (e.g. without grades);
//! the verifier checks the issuer signature and that every shown disclosure's digest is in
//! `_sd`. Digests of claims not shown reveal nothing: each is salted.

use super::disclosure::{Disclosure, DisclosureError};
use super::issuer_key::{IssuerPublicKey, IssuerSigningKey};
use super::record::CredentialHeader;
use base64::Engine as _;
use base64::prelude::BASE64_URL_SAFE_NO_PAD as B64URL;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SdJwtError {
    #[error("not an SD-JWT: expected <jwt>~<disclosures>~")]
    Malformed,
    #[error("the issuer-signed JWT is malformed: {0}")]
    BadJwt(String),
    #[error("the JWT is not signed with EdDSA by key {0}")]
    WrongKey(String),
    #[error("the issuer signature does not verify")]
    BadSignature,
    #[error(transparent)]
    Disclosure(#[from] DisclosureError),
}

fn b64json(v: &Value) -> String {
    B64URL.encode(v.to_string())
}

/// The issuer-signed SD-JWT with every disclosure (what the holder keeps).
pub fn issue(
    header: &CredentialHeader,
    disclosures: &[Disclosure],
    key: &IssuerSigningKey,
    iss: &str,
    vct: &str,
    iat: i64,
) -> String {
    let jwt_header = json!({"alg": "EdDSA", "typ": "dc+sd-jwt", "kid": key.public().key_id()});
    let payload = json!({
        "iss": iss,
        "iat": iat,
        "vct": vct,
        "jti": header.id.to_string(),
        "_sd": header.digests,
        "_sd_alg": "sha-256",
        "status": {"version": header.version},
    });
    let signing_input = format!("{}.{}", b64json(&jwt_header), b64json(&payload));
    let sig = B64URL.encode(key.sign_raw(signing_input.as_bytes()));
    let mut out = format!("{signing_input}.{sig}~");
    for d in disclosures {
        out.push_str(d.encoded());
        out.push('~');
    }
    out
}

fn split(sd_jwt: &str) -> Result<(&str, Vec<&str>), SdJwtError> {
    let sd_jwt = sd_jwt.trim();
    if !sd_jwt.ends_with('~') {
        return Err(SdJwtError::Malformed);
    }
    let mut parts = sd_jwt.trim_end_matches('~').split('~');
    let jwt = parts
        .next()
        .filter(|j| j.matches('.').count() == 2)
        .ok_or(SdJwtError::Malformed)?;
    Ok((jwt, parts.filter(|p| !p.is_empty()).collect()))
}

/// The holder's presentation: the same JWT with only the disclosures of `keep`.
pub fn present(sd_jwt: &str, keep: &[&str]) -> Result<String, SdJwtError> {
    let (jwt, disclosures) = split(sd_jwt)?;
    let mut out = format!("{jwt}~");
    for d in disclosures {
        if keep.contains(&Disclosure::parse(d)?.name()) {
            out.push_str(d);
            out.push('~');
        }
    }
    Ok(out)
}

/// Verifies an SD-JWT (or a presentation of it) with the issuer key; returns the JWT payload
/// with the disclosed claims added and `_sd` removed.
pub fn verify(sd_jwt: &str, key: &IssuerPublicKey) -> Result<Map<String, Value>, SdJwtError> {
    let (jwt, disclosures) = split(sd_jwt)?;
    let mut segs = jwt.split('.');
    let (h, p, s) = (
        segs.next().unwrap_or(""),
        segs.next().unwrap_or(""),
        segs.next().unwrap_or(""),
    );
    let decode = |seg: &str| -> Result<Value, SdJwtError> {
        let bytes = B64URL
            .decode(seg)
            .map_err(|e| SdJwtError::BadJwt(e.to_string()))?;
        serde_json::from_slice(&bytes).map_err(|e| SdJwtError::BadJwt(e.to_string()))
    };
    let header = decode(h)?;
    if header["alg"] != "EdDSA" || header["kid"] != key.key_id() {
        return Err(SdJwtError::WrongKey(key.key_id()));
    }
    let sig = B64URL
        .decode(s)
        .map_err(|e| SdJwtError::BadJwt(e.to_string()))?;
    key.verify_raw(format!("{h}.{p}").as_bytes(), &sig)
        .map_err(|_| SdJwtError::BadSignature)?;
    let Value::Object(mut payload) = decode(p)? else {
        return Err(SdJwtError::BadJwt("the payload is not an object".into()));
    };
    let committed: BTreeSet<String> = payload
        .remove("_sd")
        .and_then(|v| serde_json::from_value(v).ok())
        .ok_or_else(|| SdJwtError::BadJwt("no _sd array".into()))?;
    let mut seen = BTreeSet::new();
    for d in disclosures {
        let d = Disclosure::parse(d)?;
        if !committed.contains(&d.digest()) {
            return Err(DisclosureError::NotCommitted(d.name().into()).into());
        }
        if !seen.insert(d.name().to_string()) || payload.contains_key(d.name()) {
            return Err(DisclosureError::Duplicate(d.name().into()).into());
        }
        payload.insert(d.name().into(), d.value().clone());
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> (IssuerSigningKey, String) {
        let key = IssuerSigningKey::generate();
        let claims = json!({"holder_name": "Әсел Жұмабаева", "grades": {"Алгебра": 5}, "level": "general_secondary"});
        let issued = crate::credential::record::issue_test_attestat(
            &key,
            claims.as_object().unwrap().clone(),
        );
        let sd = issue(
            &issued.signed.header,
            &issued.disclosures,
            &key,
            "did:web:tanba.edu.kz:issuers:970940001239",
            "https://tanba.edu.kz/vct/attestat",
            1_782_000_000,
        );
        (key, sd)
    }

    #[test]
    fn the_holder_shows_a_subset_and_the_verifier_sees_exactly_it() {
        let (key, sd) = fixture();
        let all = verify(&sd, &key.public()).unwrap();
        assert_eq!(all["holder_name"], "Әсел Жұмабаева");
        assert_eq!(all["grades"]["Алгебра"], 5);
        let shown = present(&sd, &["holder_name", "level"]).unwrap();
        let claims = verify(&shown, &key.public()).unwrap();
        assert_eq!(claims["holder_name"], "Әсел Жұмабаева");
        assert!(!claims.contains_key("grades"), "grades stay hidden");
        assert_eq!(
            shown.matches('~').count(),
            3,
            "the JWT and exactly two disclosures"
        );
        assert_eq!(claims["vct"], "https://tanba.edu.kz/vct/attestat");
    }

    #[test]
    fn forged_disclosures_jwts_and_keys_are_rejected() {
        let (key, sd) = fixture();
        let forged = Disclosure::with_salt("c2FsdA", "holder_name", json!("Someone Else"));
        let with_forged = format!("{}{}~", present(&sd, &[]).unwrap(), forged.encoded());
        assert!(matches!(
            verify(&with_forged, &key.public()),
            Err(SdJwtError::Disclosure(DisclosureError::NotCommitted(_)))
        ));
        let (jwt, _) = sd.split_once('~').unwrap();
        let mut parts: Vec<String> = jwt.split('.').map(String::from).collect();
        let mut payload: Value =
            serde_json::from_slice(&B64URL.decode(&parts[1]).unwrap()).unwrap();
        payload["iss"] = json!("did:web:evil.example");
        parts[1] = b64json(&payload);
        let tampered = format!("{}~", parts.join("."));
        assert_eq!(
            verify(&tampered, &key.public()),
            Err(SdJwtError::BadSignature)
        );
        let other = IssuerSigningKey::generate();
        assert!(matches!(
            verify(&sd, &other.public()),
            Err(SdJwtError::WrongKey(_))
        ));
        assert_eq!(
            verify("not an sd-jwt", &key.public()),
            Err(SdJwtError::Malformed)
        );
    }
}
