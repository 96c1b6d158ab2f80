//! A ledger's data directory: its configuration, keys and store file.
//!
//! ```text
//! <dir>/config.json    origin and sequencer settings (public)
//! <dir>/log.vkey       verifier key, signed-note vkey format (public)
//! <dir>/log.key        Ed25519 signing key, signed-note private key format (mode 0600)
//! <dir>/ledger.redb    the embedded store
//! <dir>/authority.key  the root authority's Ed25519 key, hex (mode 0600) — demo and operator use
//! <dir>/records.key    master key wrapping each credential's data key, hex (mode 0600)
//! <dir>/index.key      key of the IIN index hashes, hex (mode 0600)
//! <dir>/issuers/<BIN>.key  issuer signing keys held by this service, hex (mode 0600)
//! ```
//!
//! The key files are created on first use, so data directories made by earlier versions open.

use crate::ledger::{LedgerError, Log, LogConfig, LogSigner, LogVerifier, generate_log_key};
use crate::store::RedbStore;
use serde::{Deserialize, Serialize};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The default data directory, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = "ledger/data";
/// The default log origin (also the signing key's name).
pub const DEFAULT_ORIGIN: &str = "tanba.edu.kz/ledger";

#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error("{path} already holds a ledger; refusing to overwrite its keys")]
    AlreadyInitialised { path: String },
    #[error("{path} holds no ledger: run `tanba init --data {path}` first")]
    NotInitialised { path: String },
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is malformed: {reason}")]
    BadConfig { path: String, reason: String },
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// `config.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The log's origin line and key name, e.g. `tanba.edu.kz/ledger`.
    pub origin: String,
    /// Longest delay between an append and the checkpoint covering it, in milliseconds.
    #[serde(default = "default_interval")]
    pub checkpoint_interval_ms: u64,
    /// Most entries per durable commit.
    #[serde(default = "default_max_batch")]
    pub max_batch: usize,
    /// Most entries waiting for a commit before appends are refused as overloaded.
    #[serde(default = "default_pool_limit")]
    pub pool_limit: usize,
    /// Public base URL of the verification service: QR codes and did:web identifiers use it.
    #[serde(default = "default_public_url")]
    pub public_url: String,
    /// Documents per second each client address may verify (API and page); 0: no limit.
    #[serde(default = "default_verify_rate")]
    pub verify_rate_per_s: u32,
    /// Documents an address may verify at once after a quiet spell (at least a full batch).
    #[serde(default = "default_verify_burst")]
    pub verify_burst: u32,
    /// Holder portal: show one-time sign-in codes on the page (the demo, which has no SMS
    /// gateway). Off: sign-in by code is unavailable until a gateway is wired in.
    #[serde(default)]
    pub show_sign_in_codes: bool,
    /// Holder portal: sign-in through an OpenID Connect provider (eGov's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc: Option<crate::holder::oidc::OidcConfig>,
    /// Background OCR workers reading submitted foreign documents; each holds one tesseract
    /// engine and one file's pages (about 150 MB for a page at 300 dpi).
    #[serde(default = "default_ocr_workers")]
    pub ocr_workers: usize,
    /// Languages those workers read, as tesseract names them (`rus+kaz+eng`).
    #[serde(default = "default_ocr_languages")]
    pub ocr_languages: String,
    /// How the forensic checks' findings become a risk and a route (README: Forensics).
    #[serde(default)]
    pub forensics: crate::forensics::Thresholds,
}

fn default_ocr_workers() -> usize {
    1
}
fn default_ocr_languages() -> String {
    crate::ocr::DEFAULT_LANGS.into()
}

fn default_verify_rate() -> u32 {
    100
}
fn default_verify_burst() -> u32 {
    2000
}

fn default_public_url() -> String {
    "http://127.0.0.1:8080".into()
}

fn default_interval() -> u64 {
    1000
}
fn default_max_batch() -> usize {
    4096
}
fn default_pool_limit() -> usize {
    65_536
}

impl Config {
    pub fn log_config(&self) -> LogConfig {
        LogConfig {
            checkpoint_interval: Duration::from_millis(self.checkpoint_interval_ms.max(1)),
            max_batch: self.max_batch.max(1),
            pool_limit: self.pool_limit.max(1),
        }
    }
}

/// An initialised data directory.
#[derive(Clone)]
pub struct DataDir {
    pub path: PathBuf,
    pub config: Config,
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> DataDirError {
    let path = path.display().to_string();
    move |source| DataDirError::Io {
        action,
        path,
        source,
    }
}

fn write_new(path: &Path, data: &[u8], mode: u32) -> Result<(), DataDirError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(mode);
    }
    let mut f = opts.open(path).map_err(io("create", path))?;
    f.write_all(data).map_err(io("write", path))?;
    f.sync_all().map_err(io("sync", path))
}

/// Refuses a key file that others can read.
fn check_private(p: &Path) -> Result<(), DataDirError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(p)
            .map_err(io("read", p))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(DataDirError::BadConfig {
                path: p.display().to_string(),
                reason: format!(
                    "this key file is readable by others (mode {:o}); run chmod 600",
                    mode & 0o777
                ),
            });
        }
    }
    Ok(())
}

impl DataDir {
    /// Creates keys and configuration in `path` (created if missing). Refuses to touch a
    /// directory that already holds a ledger.
    pub fn init(path: &Path, origin: &str) -> Result<Self, DataDirError> {
        if path.join("config.json").exists() || path.join("log.key").exists() {
            return Err(DataDirError::AlreadyInitialised {
                path: path.display().to_string(),
            });
        }
        std::fs::create_dir_all(path).map_err(io("create", path))?;
        let (skey, vkey) = generate_log_key(origin).map_err(LedgerError::from)?;
        let config = Config {
            origin: origin.to_string(),
            checkpoint_interval_ms: default_interval(),
            max_batch: default_max_batch(),
            pool_limit: default_pool_limit(),
            public_url: default_public_url(),
            verify_rate_per_s: default_verify_rate(),
            verify_burst: default_verify_burst(),
            show_sign_in_codes: false,
            oidc: None,
            ocr_workers: default_ocr_workers(),
            ocr_languages: default_ocr_languages(),
            forensics: Default::default(),
        };
        write_new(&path.join("log.key"), format!("{skey}\n").as_bytes(), 0o600)?;
        write_new(
            &path.join("log.vkey"),
            format!("{vkey}\n").as_bytes(),
            0o644,
        )?;
        let json = serde_json::to_vec_pretty(&config).unwrap_or_default();
        write_new(&path.join("config.json"), &json, 0o644)?;
        Ok(Self {
            path: path.to_path_buf(),
            config,
        })
    }

    /// Opens an initialised directory.
    /// Writes `config` back to `config.json` (whole: a new file renamed over the old).
    pub fn save_config(&self) -> Result<(), DataDirError> {
        let path = self.path.join("config.json");
        let tmp = self.path.join("config.json.new");
        let _ = std::fs::remove_file(&tmp);
        let json = serde_json::to_vec_pretty(&self.config).unwrap_or_default();
        write_new(&tmp, &json, 0o644)?;
        std::fs::rename(&tmp, &path).map_err(io("replace", &path))
    }

    pub fn open(path: &Path) -> Result<Self, DataDirError> {
        let cfg_path = path.join("config.json");
        if !cfg_path.exists() {
            return Err(DataDirError::NotInitialised {
                path: path.display().to_string(),
            });
        }
        let bytes = std::fs::read(&cfg_path).map_err(io("read", &cfg_path))?;
        let config: Config =
            serde_json::from_slice(&bytes).map_err(|e| DataDirError::BadConfig {
                path: cfg_path.display().to_string(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            path: path.to_path_buf(),
            config,
        })
    }

    pub fn store_path(&self) -> PathBuf {
        self.path.join("ledger.redb")
    }

    pub fn vkey(&self) -> Result<String, DataDirError> {
        let p = self.path.join("log.vkey");
        Ok(std::fs::read_to_string(&p)
            .map_err(io("read", &p))?
            .trim()
            .to_string())
    }

    pub fn verifier(&self) -> Result<LogVerifier, DataDirError> {
        Ok(LogVerifier::new(&self.vkey()?).map_err(LedgerError::from)?)
    }

    fn signer(&self) -> Result<LogSigner, DataDirError> {
        let p = self.path.join("log.key");
        check_private(&p)?;
        let skey = std::fs::read_to_string(&p).map_err(io("read", &p))?;
        Ok(LogSigner::new(&skey, &self.vkey()?).map_err(LedgerError::from)?)
    }

    /// Opens the store alone (for audits and tools that must not start a sequencer).
    pub fn open_store(&self) -> Result<Arc<RedbStore>, DataDirError> {
        Ok(Arc::new(
            RedbStore::open(&self.store_path()).map_err(LedgerError::from)?,
        ))
    }

    /// Reads a 32-byte hex key file, creating it (mode 0600) with a random key if absent.
    fn key_file(&self, name: &str) -> Result<[u8; 32], DataDirError> {
        let p = self.path.join(name);
        if !p.exists() {
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).map_err(io("create", parent))?;
            }
            let mut k = [0u8; 32];
            rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut k);
            write_new(&p, format!("{}\n", hex::encode(k)).as_bytes(), 0o600)?;
        }
        check_private(&p)?;
        let text = std::fs::read_to_string(&p).map_err(io("read", &p))?;
        hex::decode(text.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| DataDirError::BadConfig {
                path: p.display().to_string(),
                reason: "expected 64 hex digits".into(),
            })
    }

    /// The root authority's signing key (created on first use).
    pub fn authority_key(
        &self,
    ) -> Result<crate::credential::issuer_key::IssuerSigningKey, DataDirError> {
        Ok(crate::credential::issuer_key::IssuerSigningKey::from_bytes(
            &self.key_file("authority.key")?,
        ))
    }

    /// The signing key this service holds for issuer `bin`, created if `create` and absent.
    pub fn issuer_key(
        &self,
        bin: &str,
        create: bool,
    ) -> Result<Option<crate::credential::issuer_key::IssuerSigningKey>, DataDirError> {
        let name = format!("issuers/{}.key", bin.trim());
        if !create && !self.path.join(&name).exists() {
            return Ok(None);
        }
        Ok(Some(
            crate::credential::issuer_key::IssuerSigningKey::from_bytes(&self.key_file(&name)?),
        ))
    }

    /// The issuance service over `log` (which must be this directory's log), reconciled with
    /// the ledger (see `issuance::reconcile`).
    pub fn open_issuance(
        &self,
        log: std::sync::Arc<Log>,
    ) -> Result<crate::issuance::Issuance, DataDirError> {
        let master =
            crate::credential::sealed::MasterKey::from_bytes(&self.key_file("records.key")?);
        let index = crate::issuance::IndexKey::from_bytes(self.key_file("index.key")?);
        let root = self.authority_key()?.public();
        let store = log.store_arc();
        let bad = |e: crate::issuance::IssueError| DataDirError::BadConfig {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        };
        let svc = crate::issuance::Issuance::open(log, store, master, index, root).map_err(bad)?;
        // Ledger first, store second: settle whatever a crash left between the two.
        let report = svc.reconcile().map_err(bad)?;
        if !report.orphans.is_empty() {
            tracing::warn!(
                orphans = report.orphans.len(),
                "ledger issuance entries without stored records (see `tanba credential orphans`)"
            );
        }
        Ok(svc)
    }

    /// Opens the store and starts the log, with all start-up checks.
    pub fn open_log(&self) -> Result<Log, DataDirError> {
        let store = self.open_store()?;
        Ok(Log::open(store, self.signer()?, self.config.log_config())?)
    }
}
