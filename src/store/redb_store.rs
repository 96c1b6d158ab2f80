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
use super::{Collection, CredentialRow, CredentialWriter, NewCredential};
use redb::{
    Database, MultimapTableDefinition, ReadableDatabase, ReadableTable, ReadableTableMetadata,
    TableDefinition, TableHandle,
};
use std::path::{Path, PathBuf};
use tlog_tiles::Hash;

const TILES: TableDefinition<(u8, u64), &[u8]> = TableDefinition::new("tiles");
const BUNDLES: TableDefinition<u64, &[u8]> = TableDefinition::new("bundles");
const LEAVES: TableDefinition<[u8; 32], u64> = TableDefinition::new("leaves");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const CHECKPOINTS: TableDefinition<u64, &[u8]> = TableDefinition::new("checkpoints");

/// (credential id, version) → public record JSON ‖ sealed personal data (u32 BE length prefix).
const CREDENTIALS: TableDefinition<([u8; 16], u32), &[u8]> = TableDefinition::new("credentials");
/// credential id → wrapped data key.
const DATA_KEYS: TableDefinition<[u8; 16], &[u8]> = TableDefinition::new("data_keys");
/// keyed dedupe hash → credential id.
const DEDUPE: TableDefinition<[u8; 32], [u8; 16]> = TableDefinition::new("dedupe");
/// keyed holder hash → credential ids.
const HOLDERS: MultimapTableDefinition<[u8; 32], [u8; 16]> =
    MultimapTableDefinition::new("holders");
/// sequence number → registry change payload.
/// The printed verification code's 60 bits → the credential ids that carry it.
const CODES: MultimapTableDefinition<u64, [u8; 16]> = MultimapTableDefinition::new("codes");
const REGISTRY: TableDefinition<u64, &[u8]> = TableDefinition::new("registry");
/// Small keyed collections: (collection tag, key) → JSON.
const RECORDS: TableDefinition<(u8, &str), &[u8]> = TableDefinition::new("records");
/// The audit journal: line number → JSON line.
const JOURNAL: TableDefinition<u64, &[u8]> = TableDefinition::new("journal");

const HEAD_KEY: &str = "head";

fn encode_row(row: &CredentialRow) -> Vec<u8> {
    let mut out = (row.public.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(&row.public);
    out.extend_from_slice(&row.sealed);
    out
}

fn decode_row(id: [u8; 16], version: u32, bytes: &[u8]) -> Result<CredentialRow, StoreError> {
    let corrupt = || StoreError::Corrupt(format!("credential row {} v{version}", hex::encode(id)));
    let len = u32::from_be_bytes(
        bytes
            .get(..4)
            .ok_or_else(corrupt)?
            .try_into()
            .map_err(|_| corrupt())?,
    ) as usize;
    let public = bytes.get(4..4 + len).ok_or_else(corrupt)?.to_vec();
    Ok(CredentialRow {
        id,
        version,
        public,
        sealed: bytes[4 + len..].to_vec(),
    })
}
const CHECKPOINT_KEY: &str = "checkpoint";

/// The `redb` implementation of [`Store`].
///
/// Three files: `<name>.redb` holds the ledger (tiles, bundles, checkpoints), the registry, the
/// keyed records and the journal; `<name>-leaves.redb` the leaf-hash index; and
/// `<name>-credentials.redb` the credentials with their data keys and indexes. Credentials have a
/// file of their own so that a large batch can be stored in one open transaction while the
/// ledger's sequencer keeps committing beside it (redb allows one writer per file).
pub struct RedbStore {
    db: Database,
    index: Database,
    creds: Database,
    path: PathBuf,
    index_path: PathBuf,
    creds_path: PathBuf,
}

const WATERMARK_KEY: &str = "watermark";

/// Test-only fault injection: stores whose path is listed fail their credential, status and
/// registry writes, as a crash between the ledger commit and the store commit would.
#[cfg(test)]
pub(crate) mod fault {
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    static FAILING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

    pub fn set(path: &Path, failing: bool) {
        let mut list = FAILING.lock().unwrap_or_else(|e| e.into_inner());
        list.retain(|p| p != path);
        if failing {
            list.push(path.to_path_buf());
        }
    }

    pub(super) fn active(path: &Path) -> bool {
        FAILING
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|p| p == path)
    }
}

impl RedbStore {
    fn injected_failure(&self) -> Result<(), StoreError> {
        #[cfg(test)]
        if fault::active(&self.path) {
            return Err(StoreError::Io("injected write failure".into()));
        }
        Ok(())
    }
}

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
        // Stores of the first layout kept credentials in the ledger's file; opening one here
        // would silently show none of them.
        {
            let txn = db.begin_read().map_err(io)?;
            if txn
                .list_tables()
                .map_err(io)?
                .any(|t| t.name() == CREDENTIALS.name())
            {
                return Err(open_err(
                    "this data directory uses the old layout with credentials inside the ledger \
                     file; export it with the previous release or start a new one with `tanba init`"
                        .into(),
                ));
            }
        }
        let txn = db.begin_write().map_err(io)?;
        {
            txn.open_table(TILES).map_err(io)?;
            txn.open_table(BUNDLES).map_err(io)?;
            txn.open_table(META).map_err(io)?;
            txn.open_table(CHECKPOINTS).map_err(io)?;
            txn.open_table(REGISTRY).map_err(io)?;
            txn.open_table(RECORDS).map_err(io)?;
            txn.open_table(JOURNAL).map_err(io)?;
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
        let creds_path = path.with_file_name(format!("{stem}-credentials.redb"));
        // A bulk batch keeps its whole transaction in this cache until it commits: 100,000
        // credentials are ~200 MB. A smaller cache spills dirty pages and doubles the time.
        let creds = create(&creds_path, 1 << 30)?;
        let txn = creds.begin_write().map_err(io)?;
        {
            txn.open_table(CREDENTIALS).map_err(io)?;
            txn.open_table(DATA_KEYS).map_err(io)?;
            txn.open_table(DEDUPE).map_err(io)?;
            txn.open_multimap_table(HOLDERS).map_err(io)?;
            // Stores made before the code index get it built once, from the credentials.
            let mut codes = txn.open_multimap_table(CODES).map_err(io)?;
            if codes.is_empty().map_err(io)? {
                let creds = txn.open_table(CREDENTIALS).map_err(io)?;
                for row in creds.iter().map_err(io)? {
                    let (key, _) = row.map_err(io)?;
                    let (id, version) = key.value();
                    if version == 1 {
                        codes.insert(code_key(&id), id).map_err(io)?;
                    }
                }
            }
        }
        txn.commit().map_err(io)?;
        Ok(Self {
            db,
            index,
            creds,
            path: path.to_path_buf(),
            index_path,
            creds_path,
        })
    }

    /// `f` of a credential's highest version and its stored row bytes, read in place.
    fn with_latest<T>(
        &self,
        id: &[u8; 16],
        f: impl FnOnce(u32, &[u8]) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let txn = self.creds.begin_read().map_err(io)?;
        let creds = txn.open_table(CREDENTIALS).map_err(io)?;
        let last = creds
            .range((*id, 0)..=(*id, u32::MAX))
            .map_err(io)?
            .next_back()
            .transpose()
            .map_err(io)?;
        last.map(|(k, v)| f(k.value().1, v.value())).transpose()
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

/// [`RedbStore`]'s [`CredentialWriter`]: one write transaction on the credentials file.
struct RedbCredentialWriter {
    txn: redb::WriteTransaction,
    /// Set by a failed `put`, whose partial writes must never be committed.
    failed: bool,
    /// Test-only fault injection: the commit fails with this.
    injected: Option<StoreError>,
}

impl CredentialWriter for RedbCredentialWriter {
    fn put(&mut self, new: &[NewCredential]) -> Result<(), StoreError> {
        if self.failed {
            return Err(StoreError::Io(
                "an earlier part of this credential batch failed".into(),
            ));
        }
        self.failed = true;
        self.put_all(new)?;
        self.failed = false;
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        if self.failed {
            return Err(StoreError::Io(
                "an earlier part of this credential batch failed; nothing was stored".into(),
            ));
        }
        if let Some(e) = self.injected {
            return Err(e);
        }
        self.txn.commit().map_err(io)
    }
}

impl RedbCredentialWriter {
    fn put_all(&mut self, new: &[NewCredential]) -> Result<(), StoreError> {
        let txn = &self.txn;
        let mut creds = txn.open_table(CREDENTIALS).map_err(io)?;
        let mut keys = txn.open_table(DATA_KEYS).map_err(io)?;
        let mut dedupe = txn.open_table(DEDUPE).map_err(io)?;
        let mut holders = txn.open_multimap_table(HOLDERS).map_err(io)?;
        let mut codes = txn.open_multimap_table(CODES).map_err(io)?;
        // The index keys are keyed hashes or random bits of the id, random by design: inserting
        // them in key order walks each B-tree once instead of jumping between pages for every key.
        let mut dedupes: Vec<([u8; 32], [u8; 16])> = Vec::with_capacity(new.len());
        let mut holder_keys: Vec<([u8; 32], [u8; 16])> = Vec::with_capacity(new.len());
        let mut code_keys: Vec<(u64, [u8; 16])> = Vec::with_capacity(new.len());
        for n in new {
            let r = &n.row;
            if let Some(d) = n.dedupe {
                dedupes.push((d, r.id));
            }
            // An existing row comes back from `insert`; the caller then drops the writer, so
            // the overwrite is never committed.
            if creds
                .insert((r.id, r.version), encode_row(r).as_slice())
                .map_err(io)?
                .is_some()
            {
                return Err(StoreError::Conflict {
                    expected: format!("no credential {} v{}", hex::encode(r.id), r.version),
                    found: hex::encode(r.id),
                });
            }
            if let Some(k) = &n.wrapped_key {
                keys.insert(r.id, k.as_slice()).map_err(io)?;
            }
            holder_keys.extend(n.holders.iter().map(|h| (*h, r.id)));
            if r.version == 1 {
                code_keys.push((code_key(&r.id), r.id));
            }
        }
        dedupes.sort_unstable();
        for (d, id) in dedupes {
            if let Some(existing) = dedupe.insert(d, id).map_err(io)? {
                return Err(StoreError::Conflict {
                    expected: "a document not issued before".into(),
                    found: hex::encode(existing.value()),
                });
            }
        }
        holder_keys.sort_unstable();
        for (h, id) in holder_keys {
            holders.insert(h, id).map_err(io)?;
        }
        code_keys.sort_unstable();
        for (code, id) in code_keys {
            codes.insert(code, id).map_err(io)?;
        }
        Ok(())
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

    fn visit_tiles(
        &self,
        keys: &[TileKey],
        f: &mut dyn FnMut(usize, Option<&[u8]>),
    ) -> Result<(), StoreError> {
        let txn = self.db.begin_read().map_err(io)?;
        let tiles = txn.open_table(TILES).map_err(io)?;
        for (i, k) in keys.iter().enumerate() {
            match tiles.get(*k).map_err(io)? {
                Some(v) => f(i, Some(v.value())),
                None => f(i, None),
            }
        }
        Ok(())
    }

    fn read_bundle(&self, n: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read().map_err(io)?;
        let bundles = txn.open_table(BUNDLES).map_err(io)?;
        Ok(bundles.get(n).map_err(io)?.map(|v| v.value().to_vec()))
    }

    fn visit_bundle(&self, n: u64, f: &mut dyn FnMut(Option<&[u8]>)) -> Result<(), StoreError> {
        let txn = self.db.begin_read().map_err(io)?;
        let bundles = txn.open_table(BUNDLES).map_err(io)?;
        let guard = bundles.get(n).map_err(io)?;
        f(guard.as_ref().map(|v| v.value()));
        Ok(())
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
        let creds = std::fs::metadata(&self.creds_path).map_err(io)?.len();
        Ok(main + index + creds)
    }

    fn credential_writer(&self) -> Result<Box<dyn CredentialWriter + '_>, StoreError> {
        let mut txn = self.creds.begin_write().map_err(io)?;
        txn.set_quick_repair(true);
        Ok(Box::new(RedbCredentialWriter {
            txn,
            failed: false,
            // An injected failure strikes at the commit, after the ledger took the batch.
            injected: self.injected_failure().err(),
        }))
    }

    fn update_public(&self, updates: &[([u8; 16], u32, Vec<u8>)]) -> Result<(), StoreError> {
        self.injected_failure()?;
        let mut txn = self.creds.begin_write().map_err(io)?;
        txn.set_quick_repair(true);
        {
            let mut creds = txn.open_table(CREDENTIALS).map_err(io)?;
            for (id, version, public) in updates {
                let old = creds
                    .get((*id, *version))
                    .map_err(io)?
                    .map(|v| v.value().to_vec())
                    .ok_or_else(|| StoreError::Conflict {
                        expected: format!("credential {} v{version}", hex::encode(id)),
                        found: "none".into(),
                    })?;
                let mut row = decode_row(*id, *version, &old)?;
                row.public = public.clone();
                creds
                    .insert((*id, *version), encode_row(&row).as_slice())
                    .map_err(io)?;
            }
        }
        txn.commit().map_err(io)
    }

    fn credential(&self, id: &[u8; 16], version: u32) -> Result<Option<CredentialRow>, StoreError> {
        let txn = self.creds.begin_read().map_err(io)?;
        let creds = txn.open_table(CREDENTIALS).map_err(io)?;
        creds
            .get((*id, version))
            .map_err(io)?
            .map(|v| decode_row(*id, version, v.value()))
            .transpose()
    }

    fn latest_version(&self, id: &[u8; 16]) -> Result<Option<u32>, StoreError> {
        self.with_latest(id, |version, _| Ok(version))
    }

    /// The last key of the id's range carries the row too: one descent of the B-tree.
    fn latest_credential(&self, id: &[u8; 16]) -> Result<Option<(u32, CredentialRow)>, StoreError> {
        self.with_latest(id, |version, bytes| {
            decode_row(*id, version, bytes).map(|row| (version, row))
        })
    }

    fn wrapped_key(&self, id: &[u8; 16]) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.creds.begin_read().map_err(io)?;
        let keys = txn.open_table(DATA_KEYS).map_err(io)?;
        Ok(keys.get(*id).map_err(io)?.map(|v| v.value().to_vec()))
    }

    fn erase_key(&self, id: &[u8; 16]) -> Result<bool, StoreError> {
        let mut txn = self.creds.begin_write().map_err(io)?;
        txn.set_quick_repair(true);
        let existed = {
            let mut keys = txn.open_table(DATA_KEYS).map_err(io)?;
            keys.remove(*id).map_err(io)?.is_some()
        };
        txn.commit().map_err(io)?;
        Ok(existed)
    }

    fn find_duplicate(&self, dedupe: &[u8; 32]) -> Result<Option<[u8; 16]>, StoreError> {
        let txn = self.creds.begin_read().map_err(io)?;
        let t = txn.open_table(DEDUPE).map_err(io)?;
        Ok(t.get(*dedupe).map_err(io)?.map(|v| v.value()))
    }

    /// One read transaction for all, and the keys looked up in key order (they are keyed
    /// hashes, random by design), so each B-tree page is visited once.
    fn find_duplicates(&self, keys: &[[u8; 32]]) -> Result<Vec<Option<[u8; 16]>>, StoreError> {
        let txn = self.creds.begin_read().map_err(io)?;
        let t = txn.open_table(DEDUPE).map_err(io)?;
        let mut order: Vec<usize> = (0..keys.len()).collect();
        order.sort_unstable_by_key(|&i| keys[i]);
        let mut out = vec![None; keys.len()];
        for i in order {
            out[i] = t.get(keys[i]).map_err(io)?.map(|v| v.value());
        }
        Ok(out)
    }

    fn credentials_of(&self, holder: &[u8; 32]) -> Result<Vec<[u8; 16]>, StoreError> {
        let txn = self.creds.begin_read().map_err(io)?;
        let t = txn.open_multimap_table(HOLDERS).map_err(io)?;
        t.get(*holder)
            .map_err(io)?
            .map(|v| v.map(|v| v.value()).map_err(io))
            .collect()
    }

    fn credentials_by_code(&self, code: u64) -> Result<Vec<[u8; 16]>, StoreError> {
        let txn = self.creds.begin_read().map_err(io)?;
        let t = txn.open_multimap_table(CODES).map_err(io)?;
        t.get(code)
            .map_err(io)?
            .map(|v| v.map(|v| v.value()).map_err(io))
            .collect()
    }

    fn get_record(&self, c: Collection, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read().map_err(io)?;
        let t = txn.open_table(RECORDS).map_err(io)?;
        Ok(t.get((c.tag(), key))
            .map_err(io)?
            .map(|v| v.value().to_vec()))
    }

    fn put_record(
        &self,
        c: Collection,
        key: &str,
        value: Option<&[u8]>,
        only_if_absent: bool,
    ) -> Result<(), StoreError> {
        let mut txn = self.db.begin_write().map_err(io)?;
        txn.set_quick_repair(true);
        {
            let mut t = txn.open_table(RECORDS).map_err(io)?;
            if only_if_absent && t.get((c.tag(), key)).map_err(io)?.is_some() {
                return Err(StoreError::Conflict {
                    expected: format!("no {c:?} record {key:?}"),
                    found: key.to_string(),
                });
            }
            match value {
                Some(v) => {
                    t.insert((c.tag(), key), v).map_err(io)?;
                }
                None => {
                    t.remove((c.tag(), key)).map_err(io)?;
                }
            }
        }
        txn.commit().map_err(io)
    }

    fn scan_prefix(
        &self,
        c: Collection,
        prefix: &str,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let txn = self.db.begin_read().map_err(io)?;
        let t = txn.open_table(RECORDS).map_err(io)?;
        let mut out = Vec::new();
        for r in t.range((c.tag(), prefix)..(c.tag() + 1, "")).map_err(io)? {
            let (k, v) = r.map_err(io)?;
            let key = k.value().1;
            if !key.starts_with(prefix) {
                break;
            }
            out.push((key.to_string(), v.value().to_vec()));
        }
        Ok(out)
    }

    fn append_journal(&self, line: &[u8]) -> Result<u64, StoreError> {
        let mut txn = self.db.begin_write().map_err(io)?;
        txn.set_quick_repair(true);
        let n = {
            let mut t = txn.open_table(JOURNAL).map_err(io)?;
            let n = t.last().map_err(io)?.map(|(k, _)| k.value()).unwrap_or(0) + 1;
            t.insert(n, line).map_err(io)?;
            n
        };
        txn.commit().map_err(io)?;
        Ok(n)
    }

    fn journal(&self, from: u64, limit: usize) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let txn = self.db.begin_read().map_err(io)?;
        let t = txn.open_table(JOURNAL).map_err(io)?;
        t.range(from..)
            .map_err(io)?
            .take(limit)
            .map(|r| r.map(|(k, v)| (k.value(), v.value().to_vec())).map_err(io))
            .collect()
    }

    fn registry_changes(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read().map_err(io)?;
        let t = txn.open_table(REGISTRY).map_err(io)?;
        t.iter()
            .map_err(io)?
            .map(|r| r.map(|(_, v)| v.value().to_vec()).map_err(io))
            .collect()
    }

    fn append_registry_change(&self, seq: u64, change: &[u8]) -> Result<(), StoreError> {
        self.injected_failure()?;
        let mut txn = self.db.begin_write().map_err(io)?;
        txn.set_quick_repair(true);
        {
            let mut t = txn.open_table(REGISTRY).map_err(io)?;
            let last = t.last().map_err(io)?.map(|(k, _)| k.value()).unwrap_or(0);
            if seq != last + 1 {
                return Err(StoreError::Conflict {
                    expected: format!("registry change {}", last + 1),
                    found: format!("{seq}"),
                });
            }
            t.insert(seq, change).map_err(io)?;
        }
        txn.commit().map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(id: u8, version: u32, dedupe: Option<u8>, holder: u8) -> NewCredential {
        NewCredential {
            row: CredentialRow {
                id: [id; 16],
                version,
                public: format!("{{\"v\":{version}}}").into_bytes(),
                sealed: vec![id; 40],
            },
            wrapped_key: (version == 1).then(|| vec![id; 72]),
            dedupe: dedupe.map(|d| [d; 32]),
            holders: vec![[holder; 32]],
        }
    }

    #[test]
    fn credential_batches_are_all_or_nothing_and_dedupe_names_the_original() {
        let dir = tempfile::tempdir().unwrap();
        let s = RedbStore::open(&dir.path().join("s.redb")).unwrap();
        s.put_credentials(&[new(1, 1, Some(10), 100), new(2, 1, Some(20), 100)])
            .unwrap();
        // The second batch reuses dedupe key 20: nothing of it is written, not even credential 3.
        let err = s
            .put_credentials(&[new(3, 1, Some(30), 101), new(4, 1, Some(20), 101)])
            .unwrap_err();
        assert!(err.to_string().contains(&hex::encode([2u8; 16])), "{err}");
        assert!(s.credential(&[3; 16], 1).unwrap().is_none());
        assert!(s.find_duplicate(&[30; 32]).unwrap().is_none());
        // A duplicate inside one batch is refused too.
        assert!(
            s.put_credentials(&[new(5, 1, Some(50), 1), new(6, 1, Some(50), 1)])
                .is_err()
        );
        assert!(s.credential(&[5; 16], 1).unwrap().is_none());

        s.put_credentials(&[new(1, 2, None, 100)]).unwrap();
        assert_eq!(s.latest_version(&[1; 16]).unwrap(), Some(2));
        assert_eq!(s.latest_version(&[9; 16]).unwrap(), None);
        // The one-descent look-up gives the newest version's row, not an older one or a
        // neighbour's (ids 1 and 2 are adjacent keys).
        let (v, latest) = s.latest_credential(&[1; 16]).unwrap().unwrap();
        assert_eq!(
            (v, latest.version, latest.public),
            (2, 2, b"{\"v\":2}".to_vec())
        );
        let (v, only) = s.latest_credential(&[2; 16]).unwrap().unwrap();
        assert_eq!((v, only.id), (1, [2; 16]));
        assert!(s.latest_credential(&[9; 16]).unwrap().is_none());
        assert!(s.latest_credential(&[0; 16]).unwrap().is_none());
        let row = s.credential(&[1; 16], 1).unwrap().unwrap();
        assert_eq!(row.sealed, vec![1; 40]);
        s.update_public(&[([1; 16], 1, b"{\"ledger\":5}".to_vec())])
            .unwrap();
        let row = s.credential(&[1; 16], 1).unwrap().unwrap();
        assert_eq!(row.public, b"{\"ledger\":5}");
        assert_eq!(
            row.sealed,
            vec![1; 40],
            "updating the public part keeps the sealed part"
        );
        let mut mine = s.credentials_of(&[100; 32]).unwrap();
        mine.sort();
        mine.dedup();
        assert_eq!(mine, vec![[1; 16], [2; 16]]);

        assert!(s.wrapped_key(&[1; 16]).unwrap().is_some());
        assert!(s.erase_key(&[1; 16]).unwrap());
        assert!(s.wrapped_key(&[1; 16]).unwrap().is_none());
        assert!(!s.erase_key(&[1; 16]).unwrap());
    }

    #[test]
    fn a_credential_writer_commits_its_parts_together_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let s = RedbStore::open(&dir.path().join("s.redb")).unwrap();
        let mut w = s.credential_writer().unwrap();
        w.put(&[new(1, 1, Some(10), 100)]).unwrap();
        w.put(&[new(2, 1, Some(20), 100)]).unwrap();
        // The ledger's file stays writable while the batch is open (a deadlock would hang here).
        s.put_record(Collection::Meta, "k", Some(b"v"), false)
            .unwrap();
        assert!(
            s.credential(&[1; 16], 1).unwrap().is_none(),
            "nothing is visible before the commit"
        );
        w.commit().unwrap();
        assert!(s.credential(&[1; 16], 1).unwrap().is_some());
        assert_eq!(s.find_duplicate(&[20; 32]).unwrap(), Some([2; 16]));

        // A writer dropped uncommitted leaves no trace.
        let mut w = s.credential_writer().unwrap();
        w.put(&[new(3, 1, Some(30), 101)]).unwrap();
        drop(w);
        assert!(s.credential(&[3; 16], 1).unwrap().is_none());
        assert!(s.find_duplicate(&[30; 32]).unwrap().is_none());

        // A conflict in a later part (dedupe 10 is credential 1's) poisons the whole batch:
        // further parts and the commit are refused, and the earlier part is not stored.
        let mut w = s.credential_writer().unwrap();
        w.put(&[new(4, 1, Some(40), 102)]).unwrap();
        let err = w.put(&[new(5, 1, Some(10), 102)]).unwrap_err();
        assert!(err.to_string().contains(&hex::encode([1u8; 16])), "{err}");
        assert!(w.put(&[new(6, 1, Some(60), 102)]).is_err());
        let err = w.commit().unwrap_err();
        assert!(err.to_string().contains("nothing was stored"), "{err}");
        for id in [4u8, 5, 6] {
            assert!(
                s.credential(&[id; 16], 1).unwrap().is_none(),
                "credential {id}"
            );
        }
        assert_eq!(s.find_duplicate(&[10; 32]).unwrap(), Some([1; 16]));
        assert!(s.credentials_of(&[102; 32]).unwrap().is_empty());
    }

    #[test]
    fn a_store_of_the_old_single_file_layout_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        {
            let db = Database::create(&path).unwrap();
            let txn = db.begin_write().unwrap();
            txn.open_table(CREDENTIALS).unwrap();
            txn.commit().unwrap();
        }
        let err = RedbStore::open(&path).err().expect("old layout refused");
        assert!(err.to_string().contains("old layout"), "{err}");
    }

    #[test]
    fn registry_changes_append_in_sequence_only() {
        let dir = tempfile::tempdir().unwrap();
        let s = RedbStore::open(&dir.path().join("s.redb")).unwrap();
        s.append_registry_change(1, b"one").unwrap();
        assert!(s.append_registry_change(3, b"three").is_err());
        assert!(s.append_registry_change(1, b"again").is_err());
        s.append_registry_change(2, b"two").unwrap();
        assert_eq!(
            s.registry_changes().unwrap(),
            vec![b"one".to_vec(), b"two".to_vec()]
        );
    }
}

/// The code-index key of a credential id: the bits its printed verification code carries.
fn code_key(id: &[u8; 16]) -> u64 {
    crate::credential::record::CredentialId::from_bytes(*id).code_bits()
}
