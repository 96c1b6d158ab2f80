//! The trust registry: who may issue what, with which key, when.
//!
//! The root authority (the ministry) signs every change as a registry event, and every event is
//! a ledger entry, so the whole history of the registry is public, ordered and auditable:
//!
//! ```text
//! {"event":"registry.v1","body":<Change>,"sig":"<base64url Ed25519 by the root over canonical(body)>"}
//! Change = {"op":"register_issuer", "seq", "bin", "names":{"kk","ru","en"}, "kinds":[…]}
//!        | {"op":"set_kinds",       "seq", "bin", "kinds":[…]}
//!        | {"op":"add_key",         "seq", "bin", "key_id", "public_key", "not_before", "not_after"}
//!        | {"op":"revoke_key",      "seq", "bin", "key_id", "revoked_on", "reason"}
//! ```
//!
//! `seq` counts events from 1 with no gaps, so a replay that drops or reorders one is refused.
//! The state ([`Registry`]) is the fold of the events; [`Registry::authorise`] answers the one
//! question verification asks — was this key of this issuer allowed to sign this kind on this
//! date? — and names the reason when the answer is no. The [`TrustList`] is a root-signed
//! snapshot of the state that offline verifiers cache.

use crate::credential::canonical;
use crate::credential::ids::Bin;
use crate::credential::issuer_key::{IssuerPublicKey, IssuerSigningKey, KeyError};
use crate::credential::record::DocumentKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::Date;
use time::macros::format_description;

/// Organisation names in the three languages of the interface.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Names {
    pub kk: String,
    pub ru: String,
    pub en: String,
}

/// One change to the registry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Change {
    RegisterIssuer {
        seq: u64,
        bin: String,
        names: Names,
        kinds: Vec<DocumentKind>,
    },
    SetKinds {
        seq: u64,
        bin: String,
        kinds: Vec<DocumentKind>,
    },
    AddKey {
        seq: u64,
        bin: String,
        key_id: String,
        public_key: String,
        not_before: String,
        not_after: String,
    },
    RevokeKey {
        seq: u64,
        bin: String,
        key_id: String,
        revoked_on: String,
        reason: String,
    },
}

impl Change {
    pub fn seq(&self) -> u64 {
        match self {
            Change::RegisterIssuer { seq, .. }
            | Change::SetKinds { seq, .. }
            | Change::AddKey { seq, .. }
            | Change::RevokeKey { seq, .. } => *seq,
        }
    }
}

/// A change signed by the root authority; its ledger payload is `canonical(self)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedChange {
    pub event: String,
    pub body: Change,
    pub sig: String,
}

pub const EVENT: &str = "registry.v1";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RegistryError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error(
        "registry event {got} arrived where {want} was expected: an event is missing or repeated"
    )]
    OutOfOrder { want: u64, got: u64 },
    #[error("registry event {seq} is not signed by the root authority")]
    NotRoot { seq: u64 },
    #[error("issuer {0} is not registered")]
    UnknownIssuer(String),
    #[error("issuer {0} is already registered")]
    DuplicateIssuer(String),
    #[error("issuer {bin} has no key {key_id}")]
    UnknownKey { bin: String, key_id: String },
    #[error("key {0} is already registered")]
    DuplicateKey(String),
    #[error("key {key_id} of issuer {bin} is valid from {from} to {to}, not on {date}")]
    KeyNotValid {
        bin: String,
        key_id: String,
        date: String,
        from: String,
        to: String,
    },
    #[error(
        "key {key_id} of issuer {bin} was revoked on {revoked_on} ({reason}); it cannot sign on {date}"
    )]
    KeyRevoked {
        bin: String,
        key_id: String,
        date: String,
        revoked_on: String,
        reason: String,
    },
    #[error("issuer {bin} may issue {permitted:?}, not {kind:?}")]
    KindNotPermitted {
        bin: String,
        kind: DocumentKind,
        permitted: Vec<DocumentKind>,
    },
    #[error("not a registry event: {0}")]
    NotAnEvent(String),
    #[error("the trust list is not signed by the root authority")]
    BadTrustList,
}

/// Parses `YYYY-MM-DD`, naming the field on error.
pub fn parse_date(field: &'static str, s: &str) -> Result<Date, RegistryError> {
    Date::parse(s.trim(), format_description!("[year]-[month]-[day]")).map_err(|_| {
        RegistryError::Invalid {
            field,
            reason: format!("{s:?} is not a date in the form YYYY-MM-DD"),
        }
    })
}

fn format_date(d: Date) -> String {
    d.format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_default()
}

/// A registered key and its life.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    pub key_id: String,
    #[serde(serialize_with = "ser_key", deserialize_with = "de_key")]
    pub public_key: IssuerPublicKey,
    #[serde(serialize_with = "ser_date", deserialize_with = "de_date")]
    pub not_before: Date,
    #[serde(serialize_with = "ser_date", deserialize_with = "de_date")]
    pub not_after: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<Revocation>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    #[serde(serialize_with = "ser_date", deserialize_with = "de_date")]
    pub on: Date,
    pub reason: String,
}

fn ser_date<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_date(*d))
}

fn ser_key<S: serde::Serializer>(k: &IssuerPublicKey, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&k.to_base64url())
}

fn de_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
    let s = String::deserialize(d)?;
    parse_date("date", &s).map_err(serde::de::Error::custom)
}

fn de_key<'de, D: serde::Deserializer<'de>>(d: D) -> Result<IssuerPublicKey, D::Error> {
    let s = String::deserialize(d)?;
    IssuerPublicKey::parse(&s).map_err(serde::de::Error::custom)
}

/// A registered issuer organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuerRecord {
    pub bin: String,
    pub names: Names,
    pub kinds: Vec<DocumentKind>,
    pub keys: Vec<KeyRecord>,
}

/// The registry state: the fold of all registry events so far.
#[derive(Clone, Debug)]
pub struct Registry {
    root: IssuerPublicKey,
    applied: u64,
    issuers: BTreeMap<String, IssuerRecord>,
}

fn check_kinds(kinds: &[DocumentKind]) -> Result<(), RegistryError> {
    if kinds.is_empty() {
        return Err(RegistryError::Invalid {
            field: "kinds",
            reason: "an issuer must be permitted at least one document kind".into(),
        });
    }
    Ok(())
}

impl Registry {
    /// An empty registry trusting `root`.
    pub fn new(root: IssuerPublicKey) -> Self {
        Self {
            root,
            applied: 0,
            issuers: BTreeMap::new(),
        }
    }

    pub fn root(&self) -> &IssuerPublicKey {
        &self.root
    }

    /// Sequence number the next change must carry.
    pub fn next_seq(&self) -> u64 {
        self.applied + 1
    }

    pub fn issuer(&self, bin: &str) -> Option<&IssuerRecord> {
        self.issuers.get(bin)
    }

    pub fn issuers(&self) -> impl Iterator<Item = &IssuerRecord> {
        self.issuers.values()
    }

    /// Signs a change with the root key (which must be this registry's root).
    pub fn sign(
        &self,
        root: &IssuerSigningKey,
        body: Change,
    ) -> Result<SignedChange, RegistryError> {
        let bytes =
            canonical::to_vec(&body).map_err(|e| RegistryError::NotAnEvent(e.to_string()))?;
        Ok(SignedChange {
            event: EVENT.into(),
            sig: root.sign(&bytes),
            body,
        })
    }

    /// Checks and applies one signed change. On error the state is unchanged.
    pub fn apply(&mut self, change: &SignedChange) -> Result<(), RegistryError> {
        if change.event != EVENT {
            return Err(RegistryError::NotAnEvent(format!(
                "event {:?}",
                change.event
            )));
        }
        let seq = change.body.seq();
        if seq != self.next_seq() {
            return Err(RegistryError::OutOfOrder {
                want: self.next_seq(),
                got: seq,
            });
        }
        let bytes = canonical::to_vec(&change.body)
            .map_err(|e| RegistryError::NotAnEvent(e.to_string()))?;
        self.root
            .verify(&bytes, &change.sig)
            .map_err(|_| RegistryError::NotRoot { seq })?;
        match &change.body {
            Change::RegisterIssuer {
                bin, names, kinds, ..
            } => {
                let bin = Bin::parse("bin", bin)
                    .map_err(|e| RegistryError::Invalid {
                        field: "bin",
                        reason: e.reason,
                    })?
                    .to_string();
                check_kinds(kinds)?;
                if self.issuers.contains_key(&bin) {
                    return Err(RegistryError::DuplicateIssuer(bin));
                }
                for (field, name) in [
                    ("names.kk", &names.kk),
                    ("names.ru", &names.ru),
                    ("names.en", &names.en),
                ] {
                    if name.trim().is_empty() {
                        return Err(RegistryError::Invalid {
                            field,
                            reason:
                                "the organisation's name is required in Kazakh, Russian and English"
                                    .into(),
                        });
                    }
                }
                self.issuers.insert(
                    bin.clone(),
                    IssuerRecord {
                        bin,
                        names: names.clone(),
                        kinds: kinds.clone(),
                        keys: Vec::new(),
                    },
                );
            }
            Change::SetKinds { bin, kinds, .. } => {
                check_kinds(kinds)?;
                let issuer = self
                    .issuers
                    .get_mut(bin)
                    .ok_or_else(|| RegistryError::UnknownIssuer(bin.clone()))?;
                issuer.kinds = kinds.clone();
            }
            Change::AddKey {
                bin,
                key_id,
                public_key,
                not_before,
                not_after,
                ..
            } => {
                let public = IssuerPublicKey::parse(public_key).map_err(|e: KeyError| {
                    RegistryError::Invalid {
                        field: "public_key",
                        reason: e.to_string(),
                    }
                })?;
                if &public.key_id() != key_id {
                    return Err(RegistryError::Invalid {
                        field: "key_id",
                        reason: format!(
                            "{key_id} is not the id of that public key ({})",
                            public.key_id()
                        ),
                    });
                }
                let from = parse_date("not_before", not_before)?;
                let to = parse_date("not_after", not_after)?;
                if to < from {
                    return Err(RegistryError::Invalid {
                        field: "not_after",
                        reason: format!("{not_after} is before not_before {not_before}"),
                    });
                }
                if self
                    .issuers
                    .values()
                    .any(|i| i.keys.iter().any(|k| &k.key_id == key_id))
                {
                    return Err(RegistryError::DuplicateKey(key_id.clone()));
                }
                let issuer = self
                    .issuers
                    .get_mut(bin)
                    .ok_or_else(|| RegistryError::UnknownIssuer(bin.clone()))?;
                issuer.keys.push(KeyRecord {
                    key_id: key_id.clone(),
                    public_key: public,
                    not_before: from,
                    not_after: to,
                    revoked: None,
                });
            }
            Change::RevokeKey {
                bin,
                key_id,
                revoked_on,
                reason,
                ..
            } => {
                let on = parse_date("revoked_on", revoked_on)?;
                let issuer = self
                    .issuers
                    .get_mut(bin)
                    .ok_or_else(|| RegistryError::UnknownIssuer(bin.clone()))?;
                let key = issuer
                    .keys
                    .iter_mut()
                    .find(|k| &k.key_id == key_id)
                    .ok_or_else(|| RegistryError::UnknownKey {
                        bin: bin.clone(),
                        key_id: key_id.clone(),
                    })?;
                // A key can be revoked once; the earliest date stands.
                if key.revoked.as_ref().is_none_or(|r| on < r.on) {
                    key.revoked = Some(Revocation {
                        on,
                        reason: reason.clone(),
                    });
                }
            }
        }
        self.applied = seq;
        Ok(())
    }

    /// Was key `key_id` of issuer `bin` allowed to sign a `kind` document dated `date`?
    /// Returns the key to verify the signature with, or why not.
    pub fn authorise(
        &self,
        bin: &str,
        key_id: &str,
        kind: DocumentKind,
        date: Date,
    ) -> Result<&KeyRecord, RegistryError> {
        let issuer = self
            .issuers
            .get(bin)
            .ok_or_else(|| RegistryError::UnknownIssuer(bin.to_string()))?;
        if !issuer.kinds.contains(&kind) {
            return Err(RegistryError::KindNotPermitted {
                bin: bin.to_string(),
                kind,
                permitted: issuer.kinds.clone(),
            });
        }
        let key = issuer
            .keys
            .iter()
            .find(|k| k.key_id == key_id)
            .ok_or_else(|| RegistryError::UnknownKey {
                bin: bin.to_string(),
                key_id: key_id.to_string(),
            })?;
        if let Some(r) = &key.revoked
            && date >= r.on
        {
            return Err(RegistryError::KeyRevoked {
                bin: bin.to_string(),
                key_id: key_id.to_string(),
                date: format_date(date),
                revoked_on: format_date(r.on),
                reason: r.reason.clone(),
            });
        }
        if date < key.not_before || date > key.not_after {
            return Err(RegistryError::KeyNotValid {
                bin: bin.to_string(),
                key_id: key_id.to_string(),
                date: format_date(date),
                from: format_date(key.not_before),
                to: format_date(key.not_after),
            });
        }
        Ok(key)
    }

    /// A root-signed snapshot of the state, for offline verifiers.
    pub fn trust_list(
        &self,
        root: &IssuerSigningKey,
        issued_on: Date,
    ) -> Result<TrustList, RegistryError> {
        let body = TrustListBody {
            v: 1,
            root_key: self.root.to_base64url(),
            issued_on: format_date(issued_on),
            registry_seq: self.applied,
            issuers: self.issuers.values().cloned().collect(),
        };
        let value =
            serde_json::to_value(&body).map_err(|e| RegistryError::NotAnEvent(e.to_string()))?;
        let bytes =
            canonical::to_vec(&value).map_err(|e| RegistryError::NotAnEvent(e.to_string()))?;
        Ok(TrustList {
            body: value,
            sig: root.sign(&bytes),
        })
    }
}

#[derive(Serialize, Deserialize)]
struct TrustListBody {
    v: u8,
    root_key: String,
    issued_on: String,
    registry_seq: u64,
    issuers: Vec<IssuerRecord>,
}

/// `{"body": {...}, "sig": "..."}`: the registry as of `body.registry_seq`, signed by the root.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrustList {
    pub body: serde_json::Value,
    pub sig: String,
}

impl TrustList {
    /// Checks the root's signature over the canonical body.
    pub fn verify(&self, root: &IssuerPublicKey) -> Result<(), RegistryError> {
        let bytes =
            canonical::to_vec(&self.body).map_err(|e| RegistryError::NotAnEvent(e.to_string()))?;
        root.verify(&bytes, &self.sig)
            .map_err(|_| RegistryError::BadTrustList)
    }

    /// The registry this list is a snapshot of, for offline verification, once the list's
    /// signature verifies with `root` (pinned by the caller) or, if `None`, with the root key
    /// the list names (trust on first use: the list is then only as good as where it came from).
    /// Returns it with the list's date.
    pub fn registry(
        &self,
        root: Option<&IssuerPublicKey>,
    ) -> Result<(Registry, Date), RegistryError> {
        let body: TrustListBody = serde_json::from_value(self.body.clone())
            .map_err(|e| RegistryError::NotAnEvent(format!("trust list: {e}")))?;
        let named = IssuerPublicKey::parse(&body.root_key).map_err(|e| RegistryError::Invalid {
            field: "root_key",
            reason: e.to_string(),
        })?;
        let root = root.unwrap_or(&named);
        if *root != named {
            return Err(RegistryError::BadTrustList);
        }
        self.verify(root)?;
        let date = parse_date("issued_on", &body.issued_on)?;
        Ok((
            Registry {
                root: *root,
                applied: body.registry_seq,
                issuers: body
                    .issuers
                    .into_iter()
                    .map(|i| (i.bin.clone(), i))
                    .collect(),
            },
            date,
        ))
    }
}

#[cfg(test)]
mod tests;
