//! An issuer organisation's Ed25519 signing key and its public half.
//!
//! The key id is the first 8 bytes of SHA-256 of the public key, in hex: short enough for a
//! QR payload, and derived from the key so it cannot silently point at another one.

use base64::Engine as _;
use base64::prelude::BASE64_URL_SAFE_NO_PAD as B64URL;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("{0} is not a base64url Ed25519 public key (32 bytes)")]
    BadPublicKey(String),
    #[error("signature is not base64url of 64 bytes")]
    BadSignatureEncoding,
    #[error("signature does not verify with issuer key {0}")]
    BadSignature(String),
}

/// An issuer's signing key. Never printed, never serialized.
pub struct IssuerSigningKey(SigningKey);

impl IssuerSigningKey {
    pub fn generate() -> Self {
        Self(SigningKey::generate(&mut rand_core::OsRng))
    }

    pub fn from_bytes(secret: &[u8; 32]) -> Self {
        Self(SigningKey::from_bytes(secret))
    }

    /// The 32 secret bytes, for writing to a 0600 key file.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    pub fn public(&self) -> IssuerPublicKey {
        IssuerPublicKey(self.0.verifying_key())
    }

    /// base64url Ed25519 signature of `msg`.
    pub fn sign(&self, msg: &[u8]) -> String {
        B64URL.encode(self.sign_raw(msg))
    }

    /// Raw 64-byte Ed25519 signature of `msg` (for COSE).
    pub fn sign_raw(&self, msg: &[u8]) -> [u8; 64] {
        self.0.sign(msg).to_bytes()
    }
}

/// An issuer's public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IssuerPublicKey(VerifyingKey);

impl IssuerPublicKey {
    pub fn parse(b64: &str) -> Result<Self, KeyError> {
        let bytes: [u8; 32] = B64URL
            .decode(b64.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| KeyError::BadPublicKey(b64.chars().take(60).collect()))?;
        VerifyingKey::from_bytes(&bytes)
            .map(Self)
            .map_err(|_| KeyError::BadPublicKey(b64.chars().take(60).collect()))
    }

    pub fn to_base64url(&self) -> String {
        B64URL.encode(self.0.as_bytes())
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }

    /// First 8 bytes of SHA-256(public key), hex.
    pub fn key_id(&self) -> String {
        hex::encode(&Sha256::digest(self.0.as_bytes())[..8])
    }

    /// Verifies a base64url signature (strict RFC 8032 verification: no malleable signatures,
    /// no small-order keys).
    pub fn verify(&self, msg: &[u8], sig_b64: &str) -> Result<(), KeyError> {
        let sig = B64URL
            .decode(sig_b64.trim())
            .map_err(|_| KeyError::BadSignatureEncoding)?;
        self.verify_raw(msg, &sig)
    }

    /// Verifies a raw 64-byte signature, strictly.
    pub fn verify_raw(&self, msg: &[u8], sig: &[u8]) -> Result<(), KeyError> {
        let sig: [u8; 64] = sig.try_into().map_err(|_| KeyError::BadSignatureEncoding)?;
        let sig = ed25519_dalek::Signature::from_bytes(&sig);
        self.0
            .verify_strict(msg, &sig)
            .map_err(|_| KeyError::BadSignature(self.key_id()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8032 §7.1, TEST 2: one-byte message 0x72.
    #[test]
    fn rfc8032_test_2() {
        let secret: [u8; 32] =
            hex::decode("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
                .unwrap()
                .try_into()
                .unwrap();
        let key = IssuerSigningKey::from_bytes(&secret);
        assert_eq!(
            hex::encode(key.public().as_bytes()),
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
        );
        let sig = key.sign(&[0x72]);
        assert_eq!(
            hex::encode(B64URL.decode(&sig).unwrap()),
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da\
             085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
        );
        key.public().verify(&[0x72], &sig).unwrap();
        assert!(key.public().verify(&[0x73], &sig).is_err());
    }

    #[test]
    fn key_id_and_encoding_round_trip() {
        let k = IssuerSigningKey::generate();
        let p = IssuerPublicKey::parse(&k.public().to_base64url()).unwrap();
        assert_eq!(p, k.public());
        assert_eq!(p.key_id().len(), 16);
        assert!(IssuerPublicKey::parse("abc").is_err());
        assert_eq!(
            p.verify(b"x", "not a signature"),
            Err(KeyError::BadSignatureEncoding)
        );
    }
}
