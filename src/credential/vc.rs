//! W3C Verifiable Credentials 2.0 export, secured by a Data Integrity proof with the
//! `eddsa-jcs-2022` cryptosuite (W3C "Data Integrity EdDSA Cryptosuites v1.0", §3.3).
//!
//! ```text
//! proofConfig  = {type: "DataIntegrityProof", cryptosuite: "eddsa-jcs-2022", created,
//!                 verificationMethod, proofPurpose: "assertionMethod", @context: document's}
//! hashData     = SHA-256(JCS(proofConfig)) ‖ SHA-256(JCS(document without proof))
//! proofValue   = "z" ‖ base58btc(Ed25519(hashData))
//! ```
//!
//! Issuers are `did:web` identifiers whose verification methods are Multikeys
//! (`publicKeyMultibase` = "z" ‖ base58btc(0xed 0x01 ‖ public key)).

use super::canonical;
use super::issuer_key::{IssuerPublicKey, IssuerSigningKey};
use super::record::{CredentialHeader, DocumentKind};
use serde_json::Map;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";
/// Multicodec prefix of an Ed25519 public key.
const ED25519_PUB: [u8; 2] = [0xed, 0x01];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VcError {
    #[error("the document is not a JSON object")]
    NotAnObject,
    #[error("the document has no proof")]
    NoProof,
    #[error("proof.{0} is missing or not what {CRYPTOSUITE} requires")]
    BadProofField(&'static str),
    #[error("proof.@context differs from the document's @context")]
    ContextMismatch,
    #[error("proof.proofValue is not a base58btc multibase string of 64 bytes")]
    BadProofValue,
    #[error(
        "the proof does not verify: the document or proof was changed, or the key is not the signer's"
    )]
    BadSignature,
    #[error("canonicalization failed: {0}")]
    Canonical(String),
}

/// `publicKeyMultibase` of an Ed25519 key.
pub fn multikey(key: &IssuerPublicKey) -> String {
    let mut bytes = ED25519_PUB.to_vec();
    bytes.extend_from_slice(key.as_bytes());
    format!("z{}", bs58::encode(bytes).into_string())
}

fn hash_data(document: &Value, proof_config: &Value) -> Result<Vec<u8>, VcError> {
    let jcs = |v: &Value| canonical::to_vec(v).map_err(|e| VcError::Canonical(e.to_string()));
    let mut out = Sha256::digest(jcs(proof_config)?).to_vec();
    out.extend_from_slice(&Sha256::digest(jcs(document)?));
    Ok(out)
}

/// Adds an `eddsa-jcs-2022` proof to `document` (which must have no proof yet).
pub fn add_proof(
    mut document: Value,
    key: &IssuerSigningKey,
    verification_method: &str,
    created: &str,
) -> Result<Value, VcError> {
    let obj = document.as_object_mut().ok_or(VcError::NotAnObject)?;
    obj.remove("proof");
    let mut config = json!({
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    });
    if let Some(ctx) = obj.get("@context") {
        config["@context"] = ctx.clone();
    }
    let sig = key.sign_raw(&hash_data(&document, &config)?);
    config["proofValue"] = json!(format!("z{}", bs58::encode(sig).into_string()));
    document["proof"] = config;
    Ok(document)
}

/// Verifies the `eddsa-jcs-2022` proof of `secured` with `key`.
pub fn verify_proof(secured: &Value, key: &IssuerPublicKey) -> Result<(), VcError> {
    let mut document = secured.clone();
    let obj = document.as_object_mut().ok_or(VcError::NotAnObject)?;
    let mut proof = obj.remove("proof").ok_or(VcError::NoProof)?;
    let p = proof
        .as_object_mut()
        .ok_or(VcError::BadProofField("type"))?;
    if p.get("type") != Some(&json!("DataIntegrityProof")) {
        return Err(VcError::BadProofField("type"));
    }
    if p.get("cryptosuite") != Some(&json!(CRYPTOSUITE)) {
        return Err(VcError::BadProofField("cryptosuite"));
    }
    let value = p
        .remove("proofValue")
        .and_then(|v| v.as_str().map(str::to_string))
        .ok_or(VcError::BadProofField("proofValue"))?;
    if let Some(ctx) = p.get("@context")
        && obj.get("@context") != Some(ctx)
    {
        return Err(VcError::ContextMismatch);
    }
    let sig = value
        .strip_prefix('z')
        .and_then(|b| bs58::decode(b).into_vec().ok())
        .filter(|s| s.len() == 64)
        .ok_or(VcError::BadProofValue)?;
    key.verify_raw(&hash_data(&document, &proof)?, &sig)
        .map_err(|_| VcError::BadSignature)
}

/// The `did:web` of an issuer organisation, resolved at `https://<host>/issuers/<BIN>/did.json`
/// (a port in `host` is percent-encoded, as did:web requires).
pub fn issuer_did(host: &str, bin: &str) -> String {
    format!("did:web:{}:issuers:{bin}", host.replace(':', "%3A"))
}

/// The verification method id of one issuer key.
pub fn verification_method(did: &str, key: &IssuerPublicKey) -> String {
    format!("{did}#{}", key.key_id())
}

/// The DID document of an issuer: one Multikey per registered key, all usable for assertions.
pub fn did_document(did: &str, keys: &[IssuerPublicKey]) -> Value {
    let methods: Vec<Value> = keys
        .iter()
        .map(|k| {
            json!({
                "id": verification_method(did, k),
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": multikey(k),
            })
        })
        .collect();
    let ids: Vec<Value> = keys
        .iter()
        .map(|k| json!(verification_method(did, k)))
        .collect();
    json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": ids,
    })
}

/// The unsigned VC 2.0 document of a credential with the given claims. Terms beyond the VC
/// vocabulary fall under the v2 context's `@vocab`; no extra context needs resolving.
pub fn credential_document(
    host: &str,
    header: &CredentialHeader,
    issuer_name: &str,
    claims: &Map<String, Value>,
) -> Value {
    let kind = match header.kind {
        DocumentKind::Attestat => "KzSchoolLeavingCertificate",
        DocumentKind::Diploma => "KzDiploma",
        DocumentKind::Guardianship => "KzGuardianshipAct",
        DocumentKind::Recognition => "KzRecognitionCertificate",
        DocumentKind::Apostille => "KzApostille",
    };
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": format!("https://{host}/credentials/{}/v{}", header.id, header.version),
        "type": ["VerifiableCredential", kind],
        "issuer": {"id": issuer_did(host, &header.issuer), "name": issuer_name},
        "validFrom": format!("{}T00:00:00Z", header.issued_on),
        "credentialSubject": claims,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes a multibase base58btc key with a 2-byte multicodec prefix.
    fn multibase_key(s: &str, codec: [u8; 2]) -> [u8; 32] {
        let bytes = bs58::decode(&s[1..]).into_vec().unwrap();
        assert_eq!(bytes[..2], codec);
        bytes[2..].try_into().unwrap()
    }

    fn unsigned() -> Value {
        json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
            "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
            "type": ["VerifiableCredential", "AlumniCredential"],
            "name": "Alumni Credential",
            "description": "A minimum viable example of an Alumni Credential.",
            "issuer": "https://vc.example/issuers/5678",
            "validFrom": "2023-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"}
        })
    }

    const VM: &str =
        "https://vc.example/issuers/5678#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";

    /// The published test vector of vc-di-eddsa (TestVectors/eddsa-jcs-2022): same key, document
    /// and proof options must give the same signature and proofValue (Ed25519 is deterministic).
    #[test]
    fn w3c_eddsa_jcs_2022_test_vector() {
        let secret = multibase_key(
            "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq",
            [0x80, 0x26],
        );
        let key = IssuerSigningKey::from_bytes(&secret);
        assert_eq!(
            multikey(&key.public()),
            "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
        );
        let signed = add_proof(unsigned(), &key, VM, "2023-02-24T23:36:38Z").unwrap();
        let value = signed["proof"]["proofValue"].as_str().unwrap();
        assert_eq!(
            hex::encode(bs58::decode(&value[1..]).into_vec().unwrap()),
            "fc91dec6565f35fbe185a77352e7fc512f95d1904da305cfef32ab8135469301f5a72d4e7a58368fc6ffc497b44633993bac054e3bc1436e3c846db8f1544503"
        );
        assert_eq!(
            value,
            "z63t83Y53KfzJ5ZosfKTnqfMcKB2dmTrfjSaQjeNNjAD5srBowQfmWqeRb8rRjmeEuCBEsddF9LsVogtuTsijJKh4"
        );
        verify_proof(&signed, &key.public()).unwrap();
    }

    #[test]
    fn changed_documents_proofs_and_keys_are_rejected() {
        let key = IssuerSigningKey::generate();
        let signed = add_proof(unsigned(), &key, VM, "2026-11-22T00:00:00Z").unwrap();
        verify_proof(&signed, &key.public()).unwrap();
        let mut d = signed.clone();
        d["credentialSubject"]["alumniOf"] = json!("Another School");
        assert_eq!(verify_proof(&d, &key.public()), Err(VcError::BadSignature));
        let mut d = signed.clone();
        d["proof"]["created"] = json!("2026-11-23T00:00:00Z");
        assert_eq!(verify_proof(&d, &key.public()), Err(VcError::BadSignature));
        let mut d = signed.clone();
        d["proof"]["@context"] = json!(["https://www.w3.org/ns/credentials/v2"]);
        assert_eq!(
            verify_proof(&d, &key.public()),
            Err(VcError::ContextMismatch)
        );
        let mut d = signed.clone();
        d["proof"]["cryptosuite"] = json!("eddsa-rdfc-2022");
        assert_eq!(
            verify_proof(&d, &key.public()),
            Err(VcError::BadProofField("cryptosuite"))
        );
        let mut d = signed.clone();
        d["proof"]["proofValue"] = json!("zabc");
        assert_eq!(verify_proof(&d, &key.public()), Err(VcError::BadProofValue));
        assert_eq!(
            verify_proof(&unsigned(), &key.public()),
            Err(VcError::NoProof)
        );
        let other = IssuerSigningKey::generate();
        assert_eq!(
            verify_proof(&signed, &other.public()),
            Err(VcError::BadSignature)
        );
    }

    #[test]
    fn a_tanba_credential_exports_as_a_verifiable_vc_with_a_did_web_issuer() {
        let key = IssuerSigningKey::generate();
        let claims = json!({"holder_name": "Әсел Жұмабаева", "level": "general_secondary"});
        let issued = crate::credential::record::issue_test_attestat(
            &key,
            claims.as_object().unwrap().clone(),
        );
        let host = "127.0.0.1:8080";
        let did = issuer_did(host, "970940001239");
        assert_eq!(did, "did:web:127.0.0.1%3A8080:issuers:970940001239");
        let doc = credential_document(
            host,
            &issued.signed.header,
            "№ 25 мектеп-гимназиясы",
            claims.as_object().unwrap(),
        );
        let vm = verification_method(&did, &key.public());
        let vc = add_proof(doc, &key, &vm, "2026-06-20T09:00:00Z").unwrap();
        verify_proof(&vc, &key.public()).unwrap();
        assert_eq!(vc["issuer"]["id"], did);
        assert_eq!(vc["credentialSubject"]["holder_name"], "Әсел Жұмабаева");
        assert_eq!(vc["validFrom"], "2026-06-20T00:00:00Z");
        let did_doc = did_document(&did, &[key.public()]);
        assert_eq!(did_doc["assertionMethod"][0], vm);
        assert_eq!(
            did_doc["verificationMethod"][0]["publicKeyMultibase"],
            multikey(&key.public())
        );
    }
}
