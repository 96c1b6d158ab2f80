//! Accounts, roles, sign-in and authorisation — and, in [`journal`], the audit journal.
//!
//! People sign in with a user name and password (Argon2id, stored as a PHC string) and get a
//! session token that lasts [`SESSION_SECONDS`]; systems get long-lived API tokens. Both are
//! `tnb_<id>_<secret>`: the id finds the record, and only SHA-256 of the secret is stored, so a
//! copy of the store yields no usable token. Every request that changes state carries one, is
//! checked by [`Principal::authorise`] for its role and organisation, and is written to the
//! journal whatever the outcome.
//!
//! Roles: `admin` (the authority: accounts, journal), `issuer_operator` (bound to one
//! organisation's BIN: issues, amends, revokes and reinstates only that organisation's
//! documents), `holder` (bound to an IIN: reads the documents issued to it), and the
//! recognition and apostille officers of the foreign-document pipeline.

pub mod journal;

use crate::credential::ids::{Bin, Iin};
use crate::store::{Collection, Store, StoreError};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand_core::RngCore as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::{Arc, OnceLock};

/// How long a password sign-in lasts.
pub const SESSION_SECONDS: i64 = 12 * 3600;
/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 12;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    IssuerOperator,
    Holder,
    RecognitionOfficer,
    ApostilleOfficer,
}

impl std::str::FromStr for Role {
    type Err = AccountError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|_| {
            AccountError::BadAccount(format!(
                "role {s:?} is not one of admin, issuer_operator, holder, recognition_officer, \
                 apostille_officer"
            ))
        })
    }
}

/// A stored account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub username: String,
    pub role: Role,
    /// The organisation (BIN) an issuer operator acts for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// The IIN a holder account belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iin: Option<String>,
    /// Argon2id PHC string; `None` for accounts that only use API tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Unix seconds.
    pub created: i64,
    #[serde(default)]
    pub disabled: bool,
}

/// What a caller supplies to create an account.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    pub username: String,
    pub role: Role,
    #[serde(default)]
    pub org: Option<String>,
    #[serde(default)]
    pub iin: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    Api,
    Session,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct TokenRecord {
    username: String,
    kind: TokenKind,
    label: String,
    /// Hex SHA-256 of the secret part.
    hash: String,
    created: i64,
    expires: Option<i64>,
    revoked: bool,
}

/// Who is asking: an authenticated account.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Principal {
    pub username: String,
    pub role: Role,
    pub org: Option<String>,
    pub iin: Option<String>,
    pub token_id: String,
}

/// What a principal wants to do, for [`Principal::authorise`].
#[derive(Clone, Copy, Debug)]
pub enum Action<'a> {
    ManageAccounts,
    ReadJournal,
    /// Issue documents as organisation `bin`.
    Issue {
        bin: &'a str,
    },
    /// Amend, revoke, reinstate or terminate a document issued by `issuer`.
    Change {
        issuer: &'a str,
    },
    /// Read a document's personal data.
    Read {
        issuer: &'a str,
        holders: &'a [&'a str],
    },
    /// Open foreign-document cases and read their scans and readings.
    HandleCases,
    /// Decide recognition cases: recognise, refuse, request documents, confirm.
    Recognise,
    /// Approve or refuse e-Apostille requests.
    Apostille,
}

impl Principal {
    /// Whether this principal may do `action`; the refusal names the reason.
    pub fn authorise(&self, action: &Action<'_>) -> Result<(), String> {
        let org = self.org.as_deref();
        match (action, self.role) {
            (Action::ManageAccounts | Action::ReadJournal, Role::Admin) => Ok(()),
            (Action::ManageAccounts | Action::ReadJournal, _) => {
                Err(format!("{} is not an admin", self.username))
            }
            (Action::Issue { bin } | Action::Change { issuer: bin }, Role::IssuerOperator) => {
                if org == Some(*bin) {
                    Ok(())
                } else {
                    Err(format!(
                        "{} operates for organisation {}, not {bin}",
                        self.username,
                        org.unwrap_or("none")
                    ))
                }
            }
            (Action::Issue { .. } | Action::Change { .. }, _) => Err(format!(
                "only an issuer operator of the organisation may do this; {} is {:?}",
                self.username, self.role
            )),
            (Action::Read { .. }, Role::Admin) => Ok(()),
            (Action::Read { issuer, .. }, Role::IssuerOperator) if org == Some(*issuer) => Ok(()),
            (Action::Read { holders, .. }, Role::Holder)
                if self.iin.as_deref().is_some_and(|i| holders.contains(&i)) =>
            {
                Ok(())
            }
            (
                Action::HandleCases,
                Role::Admin | Role::RecognitionOfficer | Role::ApostilleOfficer,
            ) => Ok(()),
            (Action::HandleCases, _) => Err(format!(
                "only recognition and apostille officers handle foreign-document cases; {} is {:?}",
                self.username, self.role
            )),
            (Action::Recognise, Role::RecognitionOfficer) => Ok(()),
            (Action::Apostille, Role::ApostilleOfficer) => Ok(()),
            (Action::Apostille, _) => Err(format!(
                "only apostille officers approve e-Apostilles; {} is {:?}",
                self.username, self.role
            )),
            (Action::Recognise, _) => Err(format!(
                "only recognition officers decide recognition cases; {} is {:?}",
                self.username, self.role
            )),
            (Action::Read { .. }, _) => Err(format!(
                "{} is neither the issuer's operator nor a holder of this document",
                self.username
            )),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("user name {0:?} must be 3–64 characters of a–z, 0–9, '.', '_' or '-'")]
    BadUsername(String),
    #[error("account {0:?} already exists")]
    Exists(String),
    #[error("no account {0:?}")]
    NoAccount(String),
    #[error("{0}")]
    BadAccount(String),
    #[error("the password must be at least {MIN_PASSWORD} characters")]
    WeakPassword,
    #[error("wrong user name or password")]
    BadLogin,
    #[error("the bearer token is malformed, unknown, expired or revoked")]
    BadToken,
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn valid_username(u: &str) -> bool {
    (3..=64).contains(&u.len())
        && u.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

fn hash_password(password: &str) -> Result<String, AccountError> {
    let salt = SaltString::generate(&mut rand_core::OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Hash(e.to_string()))
}

fn password_matches(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash to verify against when the user does not exist, so that a wrong user name costs
/// the same time as a wrong password and does not reveal which accounts exist.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password, never valid").unwrap_or_default())
}

pub(crate) fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// Compares equal-length strings in time independent of where they differ.
pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Accounts and tokens in the store.
#[derive(Clone)]
pub struct Accounts {
    store: Arc<dyn Store>,
}

impl Accounts {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Accounts { store }
    }

    /// Creates an account after checking that its role, organisation and IIN fit together.
    pub fn create(&self, new: NewAccount) -> Result<Account, AccountError> {
        let username = new.username.trim().to_string();
        if !valid_username(&username) {
            return Err(AccountError::BadUsername(username));
        }
        let org = match (new.role, new.org.as_deref().map(str::trim)) {
            (Role::IssuerOperator, Some(bin)) => Some(
                Bin::parse("org", bin)
                    .map_err(|e| AccountError::BadAccount(e.to_string()))?
                    .to_string(),
            ),
            (Role::IssuerOperator, None) => {
                return Err(AccountError::BadAccount(
                    "org: an issuer operator must name the organisation's BIN".into(),
                ));
            }
            (_, Some(_)) => {
                return Err(AccountError::BadAccount(
                    "org: only issuer operators are bound to an organisation".into(),
                ));
            }
            (_, None) => None,
        };
        let iin = match (new.role, new.iin.as_deref().map(str::trim)) {
            (Role::Holder, Some(iin)) => Some(
                Iin::parse("iin", iin)
                    .map_err(|e| AccountError::BadAccount(e.to_string()))?
                    .to_string(),
            ),
            (Role::Holder, None) => {
                return Err(AccountError::BadAccount(
                    "iin: a holder account must name the holder's IIN".into(),
                ));
            }
            (_, Some(_)) => {
                return Err(AccountError::BadAccount(
                    "iin: only holder accounts carry an IIN".into(),
                ));
            }
            (_, None) => None,
        };
        let password = match new.password {
            Some(p) if p.chars().count() < MIN_PASSWORD => return Err(AccountError::WeakPassword),
            Some(p) => Some(hash_password(&p)?),
            None => None,
        };
        let account = Account {
            username: username.clone(),
            role: new.role,
            org,
            iin,
            password,
            created: now(),
            disabled: false,
        };
        let json = serde_json::to_vec(&account).map_err(|e| AccountError::Hash(e.to_string()))?;
        match self
            .store
            .put_record(Collection::Accounts, &username, Some(&json), true)
        {
            Err(StoreError::Conflict { .. }) => Err(AccountError::Exists(username)),
            other => other.map(|_| account).map_err(AccountError::from),
        }
    }

    pub fn get(&self, username: &str) -> Result<Option<Account>, AccountError> {
        let Some(bytes) = self.store.get_record(Collection::Accounts, username)? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("account {username}: {e}")).into())
    }

    /// Every account, password hashes removed.
    pub fn list(&self) -> Result<Vec<Account>, AccountError> {
        self.store
            .scan_records(Collection::Accounts)?
            .into_iter()
            .map(|(k, v)| {
                serde_json::from_slice::<Account>(&v)
                    .map(|mut a| {
                        a.password = None;
                        a
                    })
                    .map_err(|e| StoreError::Corrupt(format!("account {k}: {e}")).into())
            })
            .collect()
    }

    pub fn set_disabled(&self, username: &str, disabled: bool) -> Result<(), AccountError> {
        let mut a = self
            .get(username)?
            .ok_or_else(|| AccountError::NoAccount(username.into()))?;
        a.disabled = disabled;
        let json = serde_json::to_vec(&a).map_err(|e| AccountError::Hash(e.to_string()))?;
        self.store
            .put_record(Collection::Accounts, username, Some(&json), false)?;
        Ok(())
    }

    fn new_token(
        &self,
        username: &str,
        kind: TokenKind,
        label: &str,
        expires: Option<i64>,
    ) -> Result<String, AccountError> {
        let mut id = [0u8; 8];
        let mut secret = [0u8; 32];
        rand_core::OsRng.fill_bytes(&mut id);
        rand_core::OsRng.fill_bytes(&mut secret);
        let id = hex::encode(id);
        let secret = data_encoding::BASE64URL_NOPAD.encode(&secret);
        let record = TokenRecord {
            username: username.to_string(),
            kind,
            label: label.chars().take(100).collect(),
            hash: sha256_hex(secret.as_bytes()),
            created: now(),
            expires,
            revoked: false,
        };
        let json = serde_json::to_vec(&record).map_err(|e| AccountError::Hash(e.to_string()))?;
        self.store
            .put_record(Collection::Tokens, &id, Some(&json), true)?;
        Ok(format!("tnb_{id}_{secret}"))
    }

    /// Signs a person in: a session token valid for [`SESSION_SECONDS`].
    pub fn login(&self, username: &str, password: &str) -> Result<String, AccountError> {
        let account = self.get(username.trim()).ok().flatten();
        let phc = account
            .as_ref()
            .and_then(|a| a.password.clone())
            .unwrap_or_else(|| decoy_hash().to_string());
        let ok = password_matches(&phc, password);
        match account {
            Some(a) if ok && !a.disabled && a.password.is_some() => self.new_token(
                &a.username,
                TokenKind::Session,
                "password sign-in",
                Some(now() + SESSION_SECONDS),
            ),
            _ => Err(AccountError::BadLogin),
        }
    }

    /// Signs a holder in after an identity check done elsewhere (a one-time code, or eGov's
    /// OpenID Connect): the holder account `username` bound to `iin` is created on first use,
    /// and a session token valid for [`SESSION_SECONDS`] is returned. Refused if `username`
    /// exists for another IIN or role, or is disabled.
    pub fn holder_session(
        &self,
        username: &str,
        iin: &str,
        how: &str,
    ) -> Result<String, AccountError> {
        let account = match self.get(username)? {
            Some(a) => a,
            None => match self.create(NewAccount {
                username: username.into(),
                role: Role::Holder,
                org: None,
                iin: Some(iin.into()),
                password: None,
            }) {
                // Two first sign-ins at once: the other one created it.
                Err(AccountError::Exists(_)) => self
                    .get(username)?
                    .ok_or_else(|| AccountError::NoAccount(username.into()))?,
                other => other?,
            },
        };
        if account.role != Role::Holder
            || account.iin.as_deref() != Some(iin.trim())
            || account.disabled
        {
            return Err(AccountError::BadLogin);
        }
        self.new_token(
            &account.username,
            TokenKind::Session,
            how,
            Some(now() + SESSION_SECONDS),
        )
    }

    /// A long-lived API token for a system acting as `username`. Shown once; only its hash
    /// is kept.
    pub fn create_token(&self, username: &str, label: &str) -> Result<String, AccountError> {
        let a = self
            .get(username)?
            .ok_or_else(|| AccountError::NoAccount(username.into()))?;
        self.new_token(&a.username, TokenKind::Api, label, None)
    }

    fn split(token: &str) -> Option<(&str, &str)> {
        let rest = token.trim().strip_prefix("tnb_")?;
        let (id, secret) = rest.split_once('_')?;
        (id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()) && secret.len() == 43)
            .then_some((id, secret))
    }

    /// Revokes a token (API token or session) by the token itself.
    pub fn revoke_token(&self, token: &str) -> Result<(), AccountError> {
        let p = self.authenticate(token)?;
        let bytes = self
            .store
            .get_record(Collection::Tokens, &p.token_id)?
            .ok_or(AccountError::BadToken)?;
        let mut record: TokenRecord =
            serde_json::from_slice(&bytes).map_err(|_| AccountError::BadToken)?;
        record.revoked = true;
        let json = serde_json::to_vec(&record).map_err(|e| AccountError::Hash(e.to_string()))?;
        self.store
            .put_record(Collection::Tokens, &p.token_id, Some(&json), false)?;
        Ok(())
    }

    /// Who a bearer token belongs to, if it is valid now.
    pub fn authenticate(&self, token: &str) -> Result<Principal, AccountError> {
        let (id, secret) = Self::split(token).ok_or(AccountError::BadToken)?;
        let bytes = self
            .store
            .get_record(Collection::Tokens, id)?
            .ok_or(AccountError::BadToken)?;
        let record: TokenRecord =
            serde_json::from_slice(&bytes).map_err(|_| AccountError::BadToken)?;
        if record.revoked
            || record.expires.is_some_and(|e| e <= now())
            || !constant_time_eq(&record.hash, &sha256_hex(secret.as_bytes()))
        {
            return Err(AccountError::BadToken);
        }
        let account = self
            .get(&record.username)?
            .filter(|a| !a.disabled)
            .ok_or(AccountError::BadToken)?;
        Ok(Principal {
            username: account.username,
            role: account.role,
            org: account.org,
            iin: account.iin,
            token_id: id.to_string(),
        })
    }
}

#[cfg(test)]
mod tests;
