//! What an issuer signs and what the ledger keeps.
//!
//! A credential's **header** names the document (id, version, kind), its issuer (BIN and key id)
//! and its dates, and commits to every personal claim only through salted digests. The issuer
//! signs the header's RFC 8785 canonical bytes. The **ledger entry** is that signed header and
//! nothing more, so the public log holds no name, no IIN, no grade — yet anyone holding the
//! disclosures can prove them against it.
//!
//! ```text
//! ledger entry payload (after the ledger's version byte) = RFC 8785 JSON:
//! {"event":"credential.issue","header":{…},"sig":"<base64url Ed25519 over canonical(header)>"}
//! ```

use super::canonical;
use super::disclosure::{Disclosure, DisclosureError};
use super::ids::Bin;
use super::issuer_key::{IssuerPublicKey, IssuerSigningKey, KeyError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::fmt;

/// Crockford's base32 alphabet: digits and capitals without I, L, O and U.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Reads a verification code as typed: case, hyphens and spaces do not matter, and the letters
/// people confuse with digits (O → 0, I and L → 1) are read as those digits. Returns the 60
/// bits of [`CredentialId::code_bits`].
pub fn parse_verification_code(s: &str) -> Result<u64, RecordError> {
    let bad = || RecordError::BadCode(s.chars().take(40).collect());
    let mut bits = 0u64;
    let mut n = 0;
    for c in s.chars() {
        let c = match c.to_ascii_uppercase() {
            '-' | ' ' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        let v = CROCKFORD
            .iter()
            .position(|&a| a as char == c)
            .ok_or_else(bad)?;
        bits = (bits << 5) | v as u64;
        n += 1;
        if n > 12 {
            return Err(bad());
        }
    }
    if n != 12 {
        return Err(bad());
    }
    Ok(bits)
}

/// 128-bit credential identifier, lowercase hex: 48 bits of Unix milliseconds, then 80 random
/// bits (the layout of UUIDv7). Unguessable, and time-ordered so that the store's tables keyed
/// by id grow at their end instead of dirtying random B-tree pages.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CredentialId([u8; 16]);

impl CredentialId {
    pub fn random() -> Self {
        let mut b = [0u8; 16];
        super::random::fill(&mut b[6..]);
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        b[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
        Self(b)
    }

    pub fn from_bytes(b: [u8; 16]) -> Self {
        Self(b)
    }

    pub fn to_bytes(&self) -> [u8; 16] {
        self.0
    }

    /// The short verification code printed on a document for typing in by hand: the first 60
    /// of the id's 80 random bits in Crockford base32, grouped `XXXX-XXXX-XXXX`. It finds the
    /// document (every version shares it); it proves nothing by itself — the signature does.
    pub fn verification_code(&self) -> String {
        let bits = self.code_bits();
        let mut out = String::with_capacity(14);
        for i in 0..12 {
            if i == 4 || i == 8 {
                out.push('-');
            }
            let digit = (bits >> (55 - 5 * i)) & 31;
            out.push(CROCKFORD[digit as usize] as char);
        }
        out
    }

    /// The 60 bits behind [`Self::verification_code`], the key of the store's code index.
    pub fn code_bits(&self) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.0[6..14]);
        u64::from_be_bytes(b) >> 4
    }

    pub fn parse(s: &str) -> Result<Self, RecordError> {
        let bytes = hex::decode(s.trim())
            .ok()
            .and_then(|b| <[u8; 16]>::try_from(b).ok())
            .ok_or_else(|| RecordError::BadId(s.chars().take(40).collect()))?;
        Ok(Self(bytes))
    }
}

impl fmt::Display for CredentialId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for CredentialId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CredentialId({self})")
    }
}

impl Serialize for CredentialId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CredentialId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        CredentialId::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// The document kinds Tanba issues.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentKind {
    Attestat,
    Diploma,
    Guardianship,
    /// A recognition certificate of a foreign education document.
    Recognition,
    /// An e-Apostille (Hague Convention of 1961) for a document issued in Kazakhstan.
    Apostille,
}

/// The signed, public part of a credential: identifiers, dates and claim digests only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialHeader {
    /// Format version of this header.
    pub v: u8,
    pub id: CredentialId,
    /// 1 for the original; each correction is a new version that supersedes the previous one.
    pub version: u32,
    pub kind: DocumentKind,
    /// The issuing organisation's BIN (public: it identifies a school, not a person).
    pub issuer: String,
    /// Which of the issuer's registered keys signed.
    pub key_id: String,
    /// Date of issue, `YYYY-MM-DD`.
    pub issued_on: String,
    /// Digest algorithm of the disclosures (SD-JWT's `_sd_alg`).
    pub sd_alg: String,
    /// Sorted base64url SHA-256 digests of the claim disclosures.
    pub digests: Vec<String>,
}

impl CredentialHeader {
    /// The header's RFC 8785 bytes, written directly: its members are fixed, so their sorted
    /// order is known (`digests` … `version`), and serde_json writes strings and integers as
    /// RFC 8785 does. The generic canonicaliser (which gathers and sorts every object's
    /// members at run time) was 7% of bulk issuance; a test holds the two byte for byte.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(160 + self.digests.len() * 46);
        let member = |out: &mut Vec<u8>, first: bool, name: &str| {
            if !first {
                out.push(b',');
            }
            out.push(b'"');
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"\":");
        };
        // Writing strings and integers into a Vec cannot fail.
        let value = |out: &mut Vec<u8>, v: &dyn erased::Value| v.write(out);
        out.push(b'{');
        member(&mut out, true, "digests");
        out.push(b'[');
        for (i, d) in self.digests.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            value(&mut out, d);
        }
        out.push(b']');
        member(&mut out, false, "id");
        value(&mut out, &self.id);
        member(&mut out, false, "issued_on");
        value(&mut out, &self.issued_on);
        member(&mut out, false, "issuer");
        value(&mut out, &self.issuer);
        member(&mut out, false, "key_id");
        value(&mut out, &self.key_id);
        member(&mut out, false, "kind");
        value(&mut out, &self.kind);
        member(&mut out, false, "sd_alg");
        value(&mut out, &self.sd_alg);
        member(&mut out, false, "v");
        value(&mut out, &self.v);
        member(&mut out, false, "version");
        value(&mut out, &self.version);
        out.push(b'}');
        out
    }
}

/// One member value of [`CredentialHeader::canonical_bytes`], written by serde_json.
mod erased {
    pub trait Value {
        fn write(&self, out: &mut Vec<u8>);
    }
    impl<T: serde::Serialize> Value for T {
        fn write(&self, out: &mut Vec<u8>) {
            // A string, an id, a kind or an integer into a Vec: serde_json cannot fail here.
            let _ = serde_json::to_writer(&mut *out, self);
        }
    }
}

/// A header with the issuer's signature over its canonical bytes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignedHeader {
    pub header: CredentialHeader,
    pub sig: String,
}

/// What issuance produces: the signed header for the ledger, the disclosures for the holder.
#[derive(Clone, Debug)]
pub struct Issued {
    pub signed: SignedHeader,
    pub disclosures: Vec<Disclosure>,
    /// The header's RFC 8785 bytes, which the signature covers; kept so that the ledger entry
    /// and the stored record embed them instead of serialising the header twice more.
    pub header_json: Vec<u8>,
}

impl Issued {
    /// [`SignedHeader::ledger_payload`], built around the header bytes already canonicalised.
    /// RFC 8785 orders the event's members `event`, `header`, `sig`, and the signature is
    /// base64url text, which needs no escaping: the bytes are the same (tested).
    pub fn ledger_payload(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.header_json.len() + self.signed.sig.len() + 48);
        out.extend_from_slice(br#"{"event":"credential.issue","header":"#);
        out.extend_from_slice(&self.header_json);
        out.extend_from_slice(br#","sig":""#);
        out.extend_from_slice(self.signed.sig.as_bytes());
        out.extend_from_slice(br#""}"#);
        out
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("credential id {0:?} is not 32 hex digits")]
    BadId(String),
    #[error("verification code {0:?} is not 12 characters of Crockford base32 (XXXX-XXXX-XXXX)")]
    BadCode(String),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Disclosure(#[from] DisclosureError),
    #[error(transparent)]
    Canonical(#[from] canonical::CanonicalError),
    #[error("header was signed with key {signed} but verified against key {given}")]
    WrongKey { signed: String, given: String },
    #[error("ledger entry is not a credential event: {0}")]
    NotAnEntry(String),
}

/// Parameters of one issuance, apart from the claims.
pub struct IssueParams<'a> {
    pub id: CredentialId,
    pub version: u32,
    pub kind: DocumentKind,
    pub issuer: &'a Bin,
    pub key: &'a IssuerSigningKey,
    pub issued_on: &'a str,
}

/// Commits to every claim with a fresh salt and signs the header.
pub fn issue(p: &IssueParams<'_>, claims: Map<String, Value>) -> Result<Issued, RecordError> {
    let disclosures: Vec<Disclosure> = claims
        .into_iter()
        .map(|(name, value)| Disclosure::fresh(name, value))
        .collect();
    let mut digests: Vec<String> = disclosures.iter().map(Disclosure::digest).collect();
    digests.sort();
    let header = CredentialHeader {
        v: 1,
        id: p.id,
        version: p.version,
        kind: p.kind,
        issuer: p.issuer.to_string(),
        key_id: p.key.public().key_id(),
        issued_on: p.issued_on.to_string(),
        sd_alg: "sha-256".into(),
        digests,
    };
    let header_json = header.canonical_bytes();
    let sig = p.key.sign(&header_json);
    Ok(Issued {
        signed: SignedHeader { header, sig },
        disclosures,
        header_json,
    })
}

impl SignedHeader {
    /// Checks the issuer signature with `key` (which must be the key the header names).
    pub fn verify_signature(&self, key: &IssuerPublicKey) -> Result<(), RecordError> {
        if key.key_id() != self.header.key_id {
            return Err(RecordError::WrongKey {
                signed: self.header.key_id.clone(),
                given: key.key_id(),
            });
        }
        key.verify(&self.header.canonical_bytes(), &self.sig)?;
        Ok(())
    }

    /// Checks that each presented disclosure is committed to, once, and returns the claims.
    pub fn disclosed_claims(
        &self,
        disclosures: &[Disclosure],
    ) -> Result<Map<String, Value>, RecordError> {
        let committed: BTreeSet<&str> = self.header.digests.iter().map(String::as_str).collect();
        let mut out = Map::new();
        for d in disclosures {
            if !committed.contains(d.digest().as_str()) {
                return Err(DisclosureError::NotCommitted(d.name().to_string()).into());
            }
            if out
                .insert(d.name().to_string(), d.value().clone())
                .is_some()
            {
                return Err(DisclosureError::Duplicate(d.name().to_string()).into());
            }
        }
        Ok(out)
    }

    /// The ledger entry payload for this issuance (RFC 8785 JSON).
    pub fn ledger_payload(&self) -> Result<Vec<u8>, RecordError> {
        // RFC 8785 written directly, as the header is: the members' sorted order is
        // `event`, `header`, `sig`, and serde_json writes the string as RFC 8785 does.
        let header = self.header.canonical_bytes();
        let mut out = Vec::with_capacity(header.len() + self.sig.len() + 48);
        out.extend_from_slice(br#"{"event":"credential.issue","header":"#);
        out.extend_from_slice(&header);
        out.extend_from_slice(br#","sig":"#);
        erased::Value::write(&self.sig, &mut out);
        out.push(b'}');
        Ok(out)
    }

    /// Reads a ledger entry payload written by [`SignedHeader::ledger_payload`].
    pub fn from_ledger_payload(payload: &[u8]) -> Result<Self, RecordError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Event {
            event: String,
            header: CredentialHeader,
            sig: String,
        }
        let e: Event =
            serde_json::from_slice(payload).map_err(|e| RecordError::NotAnEntry(e.to_string()))?;
        if e.event != "credential.issue" {
            return Err(RecordError::NotAnEntry(format!("event {:?}", e.event)));
        }
        Ok(Self {
            header: e.header,
            sig: e.sig,
        })
    }
}

/// A version-1 attestat of the test school (BIN 970940001239), issued 2026-06-20 with
/// `claims`: the fixture other modules' tests share.
#[cfg(test)]
pub(crate) fn issue_test_attestat(key: &IssuerSigningKey, claims: Map<String, Value>) -> Issued {
    let bin = Bin::parse("issuer", "970940001239").expect("a valid BIN");
    issue(
        &IssueParams {
            id: CredentialId::random(),
            version: 1,
            kind: DocumentKind::Attestat,
            issuer: &bin,
            key,
            issued_on: "2026-06-20",
        },
        claims,
    )
    .expect("the test claims issue")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential::ids::Iin;
    use serde_json::json;

    /// The header written directly is RFC 8785's form of it, byte for byte, whatever its
    /// strings hold (quotes, controls, non-ASCII) and however many digests it has.
    #[test]
    fn a_header_written_directly_is_its_canonical_form() {
        let kinds = [
            DocumentKind::Attestat,
            DocumentKind::Diploma,
            DocumentKind::Guardianship,
            DocumentKind::Recognition,
            DocumentKind::Apostille,
        ];
        let odd = [
            "",
            "2026-06-20",
            "a\"b\\c",
            "\u{1}\u{1f}\n\t/",
            "Әсел €😀",
            "\u{7f}\u{2028}",
        ];
        for (i, kind) in kinds.into_iter().enumerate() {
            for (j, text) in odd.iter().enumerate() {
                let header = CredentialHeader {
                    v: (i * 50) as u8,
                    id: CredentialId::random(),
                    version: [1, 7, u32::MAX][j % 3],
                    kind,
                    issuer: format!("{text}9709{i}"),
                    key_id: text.to_string(),
                    issued_on: text.chars().rev().collect(),
                    sd_alg: "sha-256".into(),
                    digests: (0..j).map(|k| format!("{text}{k}")).collect(),
                };
                assert_eq!(
                    String::from_utf8(header.canonical_bytes()).unwrap(),
                    String::from_utf8(canonical::to_vec(&header).unwrap()).unwrap()
                );
            }
        }
    }

    /// The ledger payload written directly is RFC 8785's form of the event, byte for byte.
    #[test]
    fn a_ledger_payload_written_directly_is_its_canonical_form() {
        #[derive(Serialize)]
        struct Event<'a> {
            event: &'static str,
            header: &'a CredentialHeader,
            sig: &'a str,
        }
        for sig in ["", "AbC-_09", "a\"b\\c\u{1}", "Әсел 😀"] {
            let signed = SignedHeader {
                header: CredentialHeader {
                    v: 1,
                    id: CredentialId::random(),
                    version: 3,
                    kind: DocumentKind::Diploma,
                    issuer: "970940000011".into(),
                    key_id: "k1".into(),
                    issued_on: "2026-06-20".into(),
                    sd_alg: "sha-256".into(),
                    digests: vec!["x".into(), "y".into()],
                },
                sig: sig.into(),
            };
            let generic = canonical::to_vec(&Event {
                event: "credential.issue",
                header: &signed.header,
                sig: &signed.sig,
            })
            .unwrap();
            assert_eq!(
                String::from_utf8(signed.ledger_payload().unwrap()).unwrap(),
                String::from_utf8(generic).unwrap()
            );
        }
    }

    #[test]
    fn verification_codes_round_trip_and_forgive_typing() {
        let id = CredentialId::from_bytes([
            0x01, 0x93, 0x4a, 0x11, 0x22, 0x33, 0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88,
            0x77, 0x66,
        ]);
        let code = id.verification_code();
        assert_eq!(code.len(), 14);
        assert_eq!(&code[4..5], "-");
        // 0xffeeddccbbaa998 in 5-bit groups, Crockford alphabet (computed independently).
        assert_eq!(code, "ZZQD-VK5V-NACR");
        assert_eq!(parse_verification_code(&code).unwrap(), id.code_bits());
        assert_eq!(
            parse_verification_code("zzqd vk5v nacr").unwrap(),
            id.code_bits()
        );
        // O/I/L typed for 0/1.
        let other = CredentialId::from_bytes([0; 16]);
        assert_eq!(other.verification_code(), "0000-0000-0000");
        assert_eq!(parse_verification_code("OOOO-oooo-0000").unwrap(), 0);
        assert_eq!(parse_verification_code("0000-0000-0001").unwrap(), 1);
        assert_eq!(parse_verification_code("0000-0000-000L").unwrap(), 1);
        for bad in ["", "ZZQD-VKJV-NAC", "ZZQD-VKJV-NAC88", "ZZQD-VKJV-NACU"] {
            let e = parse_verification_code(bad).unwrap_err().to_string();
            assert!(e.contains("Crockford"), "{bad}: {e}");
        }
    }

    fn claims() -> Map<String, Value> {
        let iin = Iin::parse("iin", "050415501234").unwrap();
        json!({
            "holder_name": "Әсел Нұрланқызы Жұмабаева",
            "holder_iin": iin.to_string(),
            "school": "№ 25 мектеп-гимназиясы",
            "grades": {"Қазақ тілі": 5, "Математика": 4},
            "honours": "Алтын белгі",
        })
        .as_object()
        .unwrap()
        .clone()
    }

    fn issue_one(key: &IssuerSigningKey) -> Issued {
        issue_test_attestat(key, claims())
    }

    #[test]
    fn signed_header_verifies_and_discloses_any_subset() {
        let key = IssuerSigningKey::generate();
        let issued = issue_one(&key);
        issued.signed.verify_signature(&key.public()).unwrap();
        let all = issued.signed.disclosed_claims(&issued.disclosures).unwrap();
        assert_eq!(all, claims());
        // Hide the grades and the IIN: the rest still checks.
        let subset: Vec<Disclosure> = issued
            .disclosures
            .iter()
            .filter(|d| d.name() != "grades" && d.name() != "holder_iin")
            .cloned()
            .collect();
        let shown = issued.signed.disclosed_claims(&subset).unwrap();
        assert_eq!(shown.len(), 3);
        assert!(!shown.contains_key("grades"));
    }

    #[test]
    fn forged_claims_signatures_and_keys_are_rejected() {
        let key = IssuerSigningKey::generate();
        let issued = issue_one(&key);
        // A changed value under the same salt no longer matches any digest.
        let d = &issued.disclosures[0];
        let forged = Disclosure::with_salt(d.salt(), d.name(), json!("Someone Else"));
        assert!(matches!(
            issued.signed.disclosed_claims(&[forged]),
            Err(RecordError::Disclosure(DisclosureError::NotCommitted(_)))
        ));
        let twice = vec![issued.disclosures[1].clone(), issued.disclosures[1].clone()];
        assert!(issued.signed.disclosed_claims(&twice).is_err());
        // Any change to the header breaks the signature.
        let mut tampered = issued.signed.clone();
        tampered.header.issued_on = "2026-06-21".into();
        assert!(tampered.verify_signature(&key.public()).is_err());
        let mut tampered = issued.signed.clone();
        tampered.header.digests.pop();
        assert!(tampered.verify_signature(&key.public()).is_err());
        // Another key, even under the same key id claim, fails.
        let other = IssuerSigningKey::generate();
        assert!(matches!(
            issued.signed.verify_signature(&other.public()),
            Err(RecordError::WrongKey { .. })
        ));
    }

    #[test]
    fn ledger_entry_holds_no_personal_data_and_round_trips() {
        let key = IssuerSigningKey::generate();
        let issued = issue_one(&key);
        let payload = issued.signed.ledger_payload().unwrap();
        // The spliced payload bulk issuance writes is byte for byte the canonical one.
        assert_eq!(issued.ledger_payload(), payload);
        assert_eq!(
            issued.header_json,
            canonical::to_vec(&issued.signed.header).unwrap()
        );
        let text = String::from_utf8(payload.clone()).unwrap();
        for secret in [
            "Әсел",
            "Жұмабаева",
            "050415501234",
            "Алтын",
            "Математика",
            "мектеп",
        ] {
            assert!(
                !text.contains(secret),
                "{secret} leaked into the ledger entry"
            );
        }
        assert!(text.starts_with("{\"event\":\"credential.issue\""));
        let back = SignedHeader::from_ledger_payload(&payload).unwrap();
        assert_eq!(back, issued.signed);
        back.verify_signature(&key.public()).unwrap();
        assert!(SignedHeader::from_ledger_payload(b"{\"event\":\"other\"}").is_err());
    }
}
