//! A ledger's data directory: its configuration, keys and store file.
//!
//! ```text
//! <dir>/config.json    origin and sequencer settings (public)
//! <dir>/log.vkey       verifier key, signed-note vkey format (public)
//! <dir>/log.key        Ed25519 signing key, signed-note private key format (mode 0600)
//! <dir>/ledger.redb    the embedded store
//! ```

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
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p)
                .map_err(io("read", &p))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(DataDirError::BadConfig {
                    path: p.display().to_string(),
                    reason: format!(
                        "the signing key is readable by others (mode {:o}); run chmod 600",
                        mode & 0o777
                    ),
                });
            }
        }
        let skey = std::fs::read_to_string(&p).map_err(io("read", &p))?;
        Ok(LogSigner::new(&skey, &self.vkey()?).map_err(LedgerError::from)?)
    }

    /// Opens the store alone (for audits and tools that must not start a sequencer).
    pub fn open_store(&self) -> Result<Arc<RedbStore>, DataDirError> {
        Ok(Arc::new(
            RedbStore::open(&self.store_path()).map_err(LedgerError::from)?,
        ))
    }

    /// Opens the store and starts the log, with all start-up checks.
    pub fn open_log(&self) -> Result<Log, DataDirError> {
        let store = self.open_store()?;
        Ok(Log::open(store, self.signer()?, self.config.log_config())?)
    }
}
