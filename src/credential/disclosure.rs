//! Per-claim salted commitments, in the Disclosure format of SD-JWT (RFC 9901 §4.2):
//!
//! ```text
//! disclosure = base64url( JSON [ salt, claim_name, claim_value ] )
//! digest     = base64url( SHA-256( ASCII(disclosure) ) )     ; over the base64url text itself
//! ```
//!
//! The issuer signs only the digests; the holder keeps the disclosures and shows any subset.
//! A 128-bit random salt per claim stops anyone from confirming a guessed value (an IIN, a
//! name) from its digest. Using SD-JWT's exact format means the SD-JWT VC export reuses these
//! digests unchanged.

use base64::Engine as _;
use base64::prelude::BASE64_URL_SAFE_NO_PAD as B64URL;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DisclosureError {
    #[error("disclosure is not base64url text")]
    NotBase64,
    #[error("disclosure is not a JSON array [salt, claim name, claim value]")]
    NotClaimArray,
    #[error("disclosure for claim {0:?} is not committed to by this credential")]
    NotCommitted(String),
    #[error("claim {0:?} is disclosed twice")]
    Duplicate(String),
}

/// One disclosed (or disclosable) claim.
#[derive(Clone, Debug, PartialEq)]
pub struct Disclosure {
    salt: String,
    name: String,
    value: Value,
    encoded: String,
}

/// The JSON text a base64url disclosure encodes.
pub fn decode_text(encoded: &str) -> Result<Vec<u8>, DisclosureError> {
    B64URL
        .decode(encoded.trim())
        .map_err(|_| DisclosureError::NotBase64)
}

/// The base64url form of a disclosure's JSON text (the inverse of [`decode_text`]).
pub fn encode_text(json: &[u8]) -> String {
    B64URL.encode(json)
}

impl Disclosure {
    /// A new disclosure with a fresh 128-bit random salt.
    pub fn new(name: &str, value: Value) -> Self {
        Self::fresh(name.to_string(), value)
    }

    /// [`Disclosure::new`] taking the claim's name and value by value (bulk issuance builds
    /// ten of these per document, so no copy of either is made).
    pub fn fresh(name: String, value: Value) -> Self {
        let salt: [u8; 16] = super::random::bytes();
        Self::encode(B64URL.encode(salt), name, value)
    }

    /// A disclosure with a given salt (for tests and re-encoding).
    pub fn with_salt(salt: &str, name: &str, value: Value) -> Self {
        Self::encode(salt.to_string(), name.to_string(), value)
    }

    /// Encodes `[salt, name, value]` as compact JSON (serialised straight from the parts, the
    /// same text as the JSON array value would give) and that text as base64url.
    fn encode(salt: String, name: String, value: Value) -> Self {
        // Serialising strings and a `Value` into a Vec cannot fail.
        let json = serde_json::to_vec(&(&salt, &name, &value)).unwrap_or_default();
        let encoded = B64URL.encode(json);
        Self {
            salt,
            name,
            value,
            encoded,
        }
    }

    /// Parses a disclosure someone presents; its digest is computed over exactly this text.
    pub fn parse(encoded: &str) -> Result<Self, DisclosureError> {
        let bytes = B64URL
            .decode(encoded.trim())
            .map_err(|_| DisclosureError::NotBase64)?;
        let Ok(Value::Array(parts)) = serde_json::from_slice::<Value>(&bytes) else {
            return Err(DisclosureError::NotClaimArray);
        };
        let [Value::String(salt), Value::String(name), value] = parts.as_slice() else {
            return Err(DisclosureError::NotClaimArray);
        };
        Ok(Self {
            salt: salt.clone(),
            name: name.clone(),
            value: value.clone(),
            encoded: encoded.trim().to_string(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn value(&self) -> &Value {
        &self.value
    }

    pub fn salt(&self) -> &str {
        &self.salt
    }

    /// The base64url text that is shown and hashed.
    pub fn encoded(&self) -> &str {
        &self.encoded
    }

    /// base64url(SHA-256(encoded)), the commitment the issuer signs.
    pub fn digest(&self) -> String {
        digest_of(&self.encoded)
    }
}

/// The SD-JWT digest of a disclosure's base64url text.
pub fn digest_of(encoded: &str) -> String {
    B64URL.encode(Sha256::digest(encoded.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// RFC 9901 §4.2.1 and §4.2.3: the family_name example and its digest.
    #[test]
    fn rfc9901_object_property_example() {
        let d = Disclosure::parse(
            "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0",
        )
        .unwrap();
        assert_eq!(d.salt(), "_26bc4LT-ac6q2KI6cBW5es");
        assert_eq!(d.name(), "family_name");
        assert_eq!(d.value(), &json!("Möbius"));
        assert_eq!(d.digest(), "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0");
        // The digest is over the text, not the decoded JSON: re-encoding changes it.
        let ours = Disclosure::with_salt(d.salt(), d.name(), d.value().clone());
        assert_ne!(ours.encoded(), d.encoded());
        assert_ne!(ours.digest(), d.digest());
        assert_eq!(
            Disclosure::parse(ours.encoded()).unwrap().digest(),
            ours.digest()
        );
    }

    /// RFC 9901 §4.2.2: an array-element disclosure has two elements, not a claim.
    #[test]
    fn rfc9901_array_element_digest_and_rejection() {
        assert_eq!(
            digest_of("WyJsa2x4RjVqTVlsR1RQVW92TU5JdkNBIiwgIkZSIl0"),
            "w0I8EKcdCtUPkGCNUrfwVp2xEgNjtoIDlOxc9-PlOhs"
        );
        assert_eq!(
            Disclosure::parse("WyJsa2x4RjVqTVlsR1RQVW92TU5JdkNBIiwgIkZSIl0"),
            Err(DisclosureError::NotClaimArray)
        );
        assert_eq!(Disclosure::parse("***"), Err(DisclosureError::NotBase64));
    }

    /// The parts are serialised directly; the text must be what the JSON array value gives,
    /// escapes and nested objects included, or stored disclosures would no longer match.
    #[test]
    fn encoding_is_the_json_array_text() {
        let value = json!([{"name": "Қазақ тілі \"1\"", "grade": 5}, {"a\nb": null, "x": 1.5}]);
        let d = Disclosure::with_salt("c2FsdA", "subjects", value.clone());
        let array = Value::Array(vec![json!("c2FsdA"), json!("subjects"), value]);
        assert_eq!(
            decode_text(d.encoded()).unwrap(),
            array.to_string().into_bytes()
        );
        assert_eq!(Disclosure::parse(d.encoded()).unwrap(), d);
    }

    #[test]
    fn salts_are_fresh_so_equal_values_do_not_link() {
        let a = Disclosure::new("iin", json!("880101300010"));
        let b = Disclosure::new("iin", json!("880101300010"));
        assert_ne!(a.salt(), b.salt());
        assert_ne!(a.digest(), b.digest());
        assert_eq!(B64URL.decode(a.salt()).unwrap().len(), 16);
    }
}
