//! The embedded store: one `redb` file (ACID, copy-on-write B-trees, crash-safe commits).
//!
//! Tables:
//! - `tiles`       (level, n) → hash tile bytes (32-byte hashes, partial tiles rewritten as they grow)
//! - `bundles`     n → entry bundle bytes (uint16-length-prefixed entries)
//! - `meta`        "head" → size (u64 BE) ‖ root; "checkpoint" → latest signed note
//! - `checkpoints` tree size → signed note, every checkpoint ever published
//!
//! Every commit uses redb's quick-repair mode (allocator state saved with the commit, two-phase
//! commit), so reopening after a crash does not walk the whole file: start-up stays O(log n)
//! even after `kill -9`, at the price of a slower commit (measured in README § Performance).
//!
//! The leaf-hash index lives in a second file, `<name>-leaves.redb`: its random-key inserts
//! would otherwise dirty a page per entry inside every append transaction. It has its own
//! write lock and fsync, and a watermark (`meta` → "watermark") committed with each batch.
//! - `leaves`      leaf hash → first index

use super::{BatchWrite, Store, StoreError, TileKey, TreeHead};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use std::path::{Path, PathBuf};
use tlog_tiles::Hash;

const TILES: TableDefinition<(u8, u64), &[u8]> = TableDefinition::new("tiles");
const BUNDLES: TableDefinition<u64, &[u8]> = TableDefinition::new("bundles");
const LEAVES: TableDefinition<[u8; 32], u64> = TableDefinition::new("leaves");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const CHECKPOINTS: TableDefinition<u64, &[u8]> = TableDefinition::new("checkpoints");

const HEAD_KEY: &str = "head";
const CHECKPOINT_KEY: &str = "checkpoint";

/// The `redb` implementation of [`Store`].
pub struct RedbStore {
    db: Database,
    index: Database,
    path: PathBuf,
    index_path: PathBuf,
}

const WATERMARK_KEY: &str = "watermark";

fn io<E: std::fmt::Display>(e: E) -> StoreError {
    StoreError::Io(e.to_string())
}

fn encode_head(head: &TreeHead) -> [u8; 40] {
    let mut out = [0u8; 40];
    out[..8].copy_from_slice(&head.size.to_be_bytes());
    out[8..].copy_from_slice(&head.root.0);
    out
}

fn decode_head(bytes: &[u8]) -> Result<TreeHead, StoreError> {
    if bytes.len() != 40 {
        return Err(StoreError::Corrupt(format!(
            "tree head record is {} bytes, expected 40",
            bytes.len()
        )));
    }
    let mut size = [0u8; 8];
    size.copy_from_slice(&bytes[..8]);
    let mut root = [0u8; 32];
    root.copy_from_slice(&bytes[8..]);
    Ok(TreeHead {
        size: u64::from_be_bytes(size),
        root: Hash(root),
    })
}

impl RedbStore {
    /// Opens (creating if needed) the store file at `path`. Only one process may hold it open:
    /// a second opener gets a clear error instead of a second sequencer.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let open_err = |reason: String| StoreError::Open {
            path: path.display().to_string(),
            reason,
        };
        let create = |p: &Path, cache: usize| {
            Database::builder()
                .set_cache_size(cache)
                .create(p)
                .map_err(|e| match e {
                    redb::DatabaseError::DatabaseAlreadyOpen => {
                        open_err("another tanba process has this ledger open".into())
                    }
                    other => open_err(other.to_string()),
                })
        };
        let db = create(path, 256 << 20)?;
        let txn = db.begin_write().map_err(io)?;
        {
            txn.open_table(TILES).map_err(io)?;
            txn.open_table(BUNDLES).map_err(io)?;
            txn.open_table(META).map_err(io)?;
            txn.open_table(CHECKPOINTS).map_err(io)?;
        }
        txn.commit().map_err(io)?;
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("ledger");
        let index_path = path.with_file_name(format!("{stem}-leaves.redb"));
        let index = create(&index_path, 64 << 20)?;
        let txn = index.begin_write().map_err(io)?;
        {
            txn.open_table(LEAVES).map_err(io)?;
            txn.open_table(META).map_err(io)?;
        }
        txn.commit().map_err(io)?;
        Ok(Self {
            db,
            index,
            path: path.to_path_buf(),
            index_path,
        })
    }

    /// Test and tooling hook: overwrites one stored hash tile in place, bypassing every check.
    /// Used to prove that corruption is detected; never called by the ledger itself.
    pub fn overwrite_tile_unchecked(&self, key: TileKey, data: &[u8]) -> Result<(), StoreError> {
        let mut txn = self.db.begin_write().map_err(io)?;
        txn.set_quick_repair(true);
        txn.open_table(TILES)
            .map_err(io)?
            .insert(key, data)
            .map_err(io)?;
        txn.commit().map_err(io)
    }

    /// Test and tooling hook: overwrites one entry bundle in place, bypassing every check.
    pub fn overwrite_bundle_unchecked(&self, n: u64, data: &[u8]) -> Result<(), StoreError> {
        let mut txn = self.db.begin_write().map_err(io)?;
        txn.set_quick_repair(true);
        txn.open_table(BUNDLES)
            .map_err(io)?
            .insert(n, data)
            .map_err(io)?;
        txn.commit().map_err(io)
    }
}

impl Store for RedbStore {
    fn tree_head(&self) -> Result<TreeHead, StoreError> {
        let txn = self.db.begin_read().map_err(io)?;
        let meta = txn.open_table(META).map_err(io)?;
        match meta.get(HEAD_KEY).map_err(io)? {
            Some(v) => decode_head(v.value()),
            None => Ok(TreeHead::EMPTY),
        }
    }

    fn read_tiles(&self, keys: &[TileKey]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        let txn = self.db.begin_read().map_err(io)?;
        let tiles = txn.open_table(TILES).map_err(io)?;
        keys.iter()
            .map(|k| Ok(tiles.get(*k).map_err(io)?.map(|v| v.value().to_vec())))
            .collect()
    }

    fn read_bundle(&self, n: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read().map_err(io)?;
        let bundles = txn.open_table(BUNDLES).map_err(io)?;
        Ok(bundles.get(n).map_err(io)?.map(|v| v.value().to_vec()))
    }

    fn find_leaf(&self, hash: &Hash) -> Result<Option<u64>, StoreError> {
        let txn = self.index.begin_read().map_err(io)?;
        let leaves = txn.open_table(LEAVES).map_err(io)?;
        Ok(leaves.get(hash.0).map_err(io)?.map(|v| v.value()))
    }

    fn leaf_index_watermark(&self) -> Result<u64, StoreError> {
        let txn = self.index.begin_read().map_err(io)?;
        let meta = txn.open_table(META).map_err(io)?;
        match meta.get(WATERMARK_KEY).map_err(io)? {
            Some(v) => {
                let b: [u8; 8] = v.value().try_into().map_err(|_| {
                    StoreError::Corrupt("leaf index watermark is not 8 bytes".into())
                })?;
                Ok(u64::from_be_bytes(b))
            }
            None => Ok(0),
        }
    }

    fn index_leaves(&self, from: u64, leaves: &[Hash]) -> Result<(), StoreError> {
        let current = self.leaf_index_watermark()?;
        let mut txn = self.index.begin_write().map_err(io)?;
        txn.set_quick_repair(true);
        {
            // Only the indexer writes here; re-check inside the transaction anyway.
            let mut meta = txn.open_table(META).map_err(io)?;
            let inside = match meta.get(WATERMARK_KEY).map_err(io)? {
                Some(v) => u64::from_be_bytes(v.value().try_into().unwrap_or([0; 8])),
                None => 0,
            };
            if inside != from || current != from {
                return Err(StoreError::Conflict {
                    expected: format!("leaf index watermark {from}"),
                    found: format!("{inside}"),
                });
            }
            // Sorted inserts touch each B-tree page once per batch.
            let mut sorted: Vec<(&Hash, u64)> = leaves.iter().zip(from..).collect();
            sorted.sort_unstable_by(|a, b| a.0.0.cmp(&b.0.0).then(a.1.cmp(&b.1)));
            let mut table = txn.open_table(LEAVES).map_err(io)?;
            for (hash, index) in sorted {
                if table.get(hash.0).map_err(io)?.is_none() {
                    table.insert(hash.0, index).map_err(io)?;
                }
            }
            let end = from + leaves.len() as u64;
            meta.insert(WATERMARK_KEY, end.to_be_bytes().as_slice())
                .map_err(io)?;
        }
        txn.commit().map_err(io)
    }

    fn commit_batch(
        &self,
        old: TreeHead,
        new: TreeHead,
        batch: BatchWrite,
    ) -> Result<(), StoreError> {
        let mut txn = self.db.begin_write().map_err(io)?;
        txn.set_quick_repair(true);
        {
            let mut meta = txn.open_table(META).map_err(io)?;
            let current = match meta.get(HEAD_KEY).map_err(io)? {
                Some(v) => decode_head(v.value())?,
                None => TreeHead::EMPTY,
            };
            if current != old {
                // Dropping the transaction without commit discards it.
                return Err(StoreError::Conflict {
                    expected: format!("tree size {}", old.size),
                    found: format!("tree size {}", current.size),
                });
            }
            let mut tiles = txn.open_table(TILES).map_err(io)?;
            for (key, data) in &batch.tiles {
                tiles.insert(*key, data.as_slice()).map_err(io)?;
            }
            let mut bundles = txn.open_table(BUNDLES).map_err(io)?;
            for (n, data) in &batch.bundles {
                bundles.insert(*n, data.as_slice()).map_err(io)?;
            }
            meta.insert(HEAD_KEY, encode_head(&new).as_slice())
                .map_err(io)?;
        }
        txn.commit().map_err(io)
    }

    fn latest_checkpoint(&self) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read().map_err(io)?;
        let meta = txn.open_table(META).map_err(io)?;
        Ok(meta
            .get(CHECKPOINT_KEY)
            .map_err(io)?
            .map(|v| v.value().to_vec()))
    }

    fn swap_checkpoint(
        &self,
        expected: Option<&[u8]>,
        size: u64,
        new: &[u8],
    ) -> Result<(), StoreError> {
        let mut txn = self.db.begin_write().map_err(io)?;
        txn.set_quick_repair(true);
        {
            let mut meta = txn.open_table(META).map_err(io)?;
            let current = meta
                .get(CHECKPOINT_KEY)
                .map_err(io)?
                .map(|v| v.value().to_vec());
            if current.as_deref() != expected {
                return Err(StoreError::Conflict {
                    expected: "the checkpoint this process last published".into(),
                    found: "a different checkpoint".into(),
                });
            }
            meta.insert(CHECKPOINT_KEY, new).map_err(io)?;
            let mut history = txn.open_table(CHECKPOINTS).map_err(io)?;
            history.insert(size, new).map_err(io)?;
        }
        txn.commit().map_err(io)
    }

    fn checkpoint_history(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read().map_err(io)?;
        let history = txn.open_table(CHECKPOINTS).map_err(io)?;
        history
            .iter()
            .map_err(io)?
            .map(|r| r.map(|(_, v)| v.value().to_vec()).map_err(io))
            .collect()
    }

    fn disk_bytes(&self) -> Result<u64, StoreError> {
        let main = std::fs::metadata(&self.path).map_err(io)?.len();
        let index = std::fs::metadata(&self.index_path).map_err(io)?.len();
        Ok(main + index)
    }
}
