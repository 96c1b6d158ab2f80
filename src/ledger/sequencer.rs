//! The log: a pool of waiting appenders, one sequencer thread, and the published checkpoint.
//!
//! Appending works like Sunlight's sequencer. Callers put their entry in the pool and wait. The
//! sequencer thread takes everything in the pool (up to `max_batch`), hashes it into the tree,
//! builds the new tiles and entry bundles, and writes them with the new tree head in one durable
//! store transaction. Only after that commit does each caller learn its index; if the commit
//! fails, every caller of the batch gets the error and the in-memory state is left untouched.
//!
//! Checkpoints are signed by the same thread at least every `checkpoint_interval` while the tree
//! grows, on shutdown, and on request. Before signing, the sequencer proves that its tree at the
//! published size has the published root (so every new checkpoint is consistent with the last),
//! and the store replaces the latest checkpoint only by compare-and-swap. The log therefore never
//! signs two different roots for one size, even if two processes somehow shared a store.

use super::checkpoint::{CheckpointError, LogSigner, LogVerifier, SignedCheckpoint};
use super::entry::{Entry, push_to_bundle, split_bundle};
use super::hashes::TileHashes;
use super::metrics::Metrics;
use super::tile::{TILE_HEIGHT, TILE_WIDTH, TileId};
use crate::store::{BatchWrite, Store, StoreError, TileKey, TreeHead};
use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tlog_tiles::{Hash, Tile, record_hash, stored_hash_index, stored_hashes_for_record_hash};
use tokio::sync::oneshot;

/// Position of an entry in the log, from 0.
pub type LeafIndex = u64;

/// Tunables of the sequencer.
#[derive(Clone, Debug)]
pub struct LogConfig {
    /// Longest time between a new entry and the checkpoint that covers it.
    pub checkpoint_interval: Duration,
    /// Most entries committed in one transaction.
    pub max_batch: usize,
    /// Most entries waiting in the pool; beyond it appends are refused as overloaded.
    pub pool_limit: usize,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            checkpoint_interval: Duration::from_secs(1),
            max_batch: 4096,
            pool_limit: 65_536,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error(
        "refusing to start: the stored tree has {tree} entries but the latest checkpoint covers {checkpoint}; the store lost committed data or was rolled back"
    )]
    StoreBehindCheckpoint { tree: u64, checkpoint: u64 },
    #[error(
        "refusing to start: the stored tree's root at size {size} is {found}, but the latest signed checkpoint says {expected}; the store was modified or corrupted"
    )]
    RootMismatch {
        size: u64,
        expected: Hash,
        found: Hash,
    },
    #[error("refusing to start: {0}")]
    Inconsistent(String),
    #[error("refusing to sign: {0}")]
    WouldFork(String),
    #[error("tree hashing failed: {0}")]
    Tree(String),
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum AppendError {
    #[error("the ledger is overloaded ({0} entries waiting); try again shortly")]
    PoolFull(usize),
    #[error("the ledger is shutting down")]
    Closed,
    #[error("the batch could not be committed: {0}")]
    Commit(String),
}

/// Entries from one caller, committed contiguously in the same transaction.
struct Pending {
    entries: Vec<Entry>,
    enqueued: Instant,
    reply: oneshot::Sender<Result<Range<LeafIndex>, AppendError>>,
}

/// Resolves once the entry is durably committed, with its index.
pub struct AppendReceipt(oneshot::Receiver<Result<Range<LeafIndex>, AppendError>>);

impl AppendReceipt {
    /// Waits (blocking the thread) for the commit.
    pub fn wait(self) -> Result<LeafIndex, AppendError> {
        self.0
            .blocking_recv()
            .map_err(|_| AppendError::Closed)?
            .map(|r| r.start)
    }

    /// The result if the commit already happened, without waiting.
    pub fn try_take(&mut self) -> Option<Result<LeafIndex, AppendError>> {
        match self.0.try_recv() {
            Ok(r) => Some(r.map(|r| r.start)),
            Err(oneshot::error::TryRecvError::Empty) => None,
            Err(oneshot::error::TryRecvError::Closed) => Some(Err(AppendError::Closed)),
        }
    }

    pub async fn wait_async(self) -> Result<LeafIndex, AppendError> {
        self.0
            .await
            .map_err(|_| AppendError::Closed)?
            .map(|r| r.start)
    }
}

enum Command {
    Append(Pending),
    /// Sign a checkpoint for everything committed so far, then reply.
    Checkpoint(oneshot::Sender<Result<SignedCheckpoint, String>>),
}

/// State shared by the sequencer thread and readers.
pub(crate) struct Shared {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) verifier: LogVerifier,
    /// The latest published checkpoint. Written only by the sequencer, after the store's
    /// compare-and-swap succeeded; read by every request that serves the log.
    pub(crate) published: RwLock<Arc<SignedCheckpoint>>,
    pub(crate) metrics: Metrics,
    /// Set by `Log::close` after the sequencer has stopped; the indexer then catches up, exits.
    closing: AtomicBool,
}

/// An open, append-only Merkle log.
pub struct Log {
    pub(crate) shared: Arc<Shared>,
    /// `None` once closed; cloned per append.
    sender: RwLock<Option<SyncSender<Command>>>,
    pool_limit: usize,
    sequencer: Mutex<Option<JoinHandle<()>>>,
    indexer: Mutex<Option<JoinHandle<()>>>,
}

/// The sequencer's private state: owned by its thread, never shared.
struct Sequencer {
    shared: Arc<Shared>,
    signer: LogSigner,
    config: LogConfig,
    head: TreeHead,
    /// The right-edge partial hash tile of each level, as committed.
    edge_tiles: HashMap<TileKey, Vec<u8>>,
    /// The right-edge partial entry bundle, as committed.
    edge_bundle: Vec<u8>,
}

impl Log {
    /// Opens the log in `store`, checking the stored tree against the latest checkpoint, and
    /// starts the sequencer. Reads O(log n) tiles; never scans the log.
    pub fn open(
        store: Arc<dyn Store>,
        signer: LogSigner,
        config: LogConfig,
    ) -> Result<Self, LedgerError> {
        let verifier = LogVerifier::new(signer.vkey())?;
        let head = store.tree_head()?;
        let reader = TileHashes::new(store.as_ref());
        let tree_err = |e: tlog_tiles::Error| LedgerError::Tree(e.to_string());

        if head.size > 0 {
            let root = tlog_tiles::tree_hash(head.size, &reader).map_err(tree_err)?;
            if root != head.root {
                return Err(LedgerError::Inconsistent(format!(
                    "the stored tiles hash to {root} at size {}, but the stored tree head says {}",
                    head.size, head.root
                )));
            }
        }
        let published = match store.latest_checkpoint()? {
            Some(bytes) => {
                let cp = verifier.open(&bytes)?;
                if cp.head.size > head.size {
                    return Err(LedgerError::StoreBehindCheckpoint {
                        tree: head.size,
                        checkpoint: cp.head.size,
                    });
                }
                let root = if cp.head.size == 0 {
                    tlog_tiles::EMPTY_HASH
                } else {
                    tlog_tiles::tree_hash(cp.head.size, &reader).map_err(tree_err)?
                };
                if root != cp.head.root {
                    return Err(LedgerError::RootMismatch {
                        size: cp.head.size,
                        expected: cp.head.root,
                        found: root,
                    });
                }
                cp
            }
            None => {
                let cp = signer.sign(head)?;
                store.swap_checkpoint(None, head.size, &cp.note)?;
                cp
            }
        };

        // Load the right edge: one partial tile per level, and the partial entry bundle.
        let mut edge_tiles = HashMap::new();
        for level in 0..=super::tile::MAX_LEVEL {
            let shift = u32::from(level) * u32::from(TILE_HEIGHT);
            let count = if shift >= 64 { 0 } else { head.size >> shift };
            if count == 0 {
                break;
            }
            let width = count % TILE_WIDTH;
            if width == 0 {
                continue;
            }
            let key = (level, count / TILE_WIDTH);
            let data = store.read_tiles(&[key])?.pop().flatten().ok_or_else(|| {
                LedgerError::Inconsistent(format!("edge tile {key:?} is missing"))
            })?;
            let stored = super::stored_tile::width(&data);
            if stored != Some(width as usize) {
                return Err(LedgerError::Inconsistent(format!(
                    "edge tile {key:?} holds {stored:?} hashes, expected {width}"
                )));
            }
            // The root check above read interior nodes; make sure they match the hashes
            // this tile serves (a few hundred SHA-256 per level, still O(log n)).
            if !super::stored_tile::is_consistent(&data) {
                return Err(LedgerError::Inconsistent(format!(
                    "edge tile {key:?}: its interior nodes do not match its hashes; the store was modified or corrupted"
                )));
            }
            edge_tiles.insert(key, data);
        }
        let bundle_width = head.size % TILE_WIDTH;
        let edge_bundle = if bundle_width == 0 {
            Vec::new()
        } else {
            let n = head.size / TILE_WIDTH;
            let data = store.read_bundle(n)?.ok_or_else(|| {
                LedgerError::Inconsistent(format!("edge entry bundle {n} is missing"))
            })?;
            let count = split_bundle(&data)
                .map_err(|e| LedgerError::Inconsistent(e.to_string()))?
                .len() as u64;
            if count != bundle_width {
                return Err(LedgerError::Inconsistent(format!(
                    "edge entry bundle {n} holds {count} entries, expected {bundle_width}"
                )));
            }
            data
        };

        let metrics = Metrics::default();
        metrics.tree_size.store(head.size, Ordering::Relaxed);
        metrics.checkpoint_loaded(published.head.size);
        let shared = Arc::new(Shared {
            store,
            verifier,
            published: RwLock::new(Arc::new(published)),
            metrics,
            closing: AtomicBool::new(false),
        });
        let (sender, receiver) = sync_channel(config.pool_limit);
        let pool_limit = config.pool_limit;
        let sequencer = Sequencer {
            shared: shared.clone(),
            signer,
            config,
            head,
            edge_tiles,
            edge_bundle,
        };
        let handle = std::thread::Builder::new()
            .name("tanba-sequencer".into())
            .spawn(move || sequencer.run(receiver))
            .map_err(|e| LedgerError::Inconsistent(format!("cannot start sequencer: {e}")))?;
        let indexer_shared = shared.clone();
        let indexer = std::thread::Builder::new()
            .name("tanba-indexer".into())
            .spawn(move || run_indexer(indexer_shared))
            .map_err(|e| LedgerError::Inconsistent(format!("cannot start indexer: {e}")))?;
        Ok(Self {
            shared,
            sender: RwLock::new(Some(sender)),
            pool_limit,
            sequencer: Mutex::new(Some(handle)),
            indexer: Mutex::new(Some(indexer)),
        })
    }

    fn sender(&self) -> Result<SyncSender<Command>, AppendError> {
        self.sender
            .read()
            .map_err(|_| AppendError::Closed)?
            .clone()
            .ok_or(AppendError::Closed)
    }

    fn enqueue(
        &self,
        entries: Vec<Entry>,
        wait_for_place: bool,
    ) -> Result<oneshot::Receiver<Result<Range<LeafIndex>, AppendError>>, AppendError> {
        let (reply, rx) = oneshot::channel();
        let cmd = Command::Append(Pending {
            entries,
            enqueued: Instant::now(),
            reply,
        });
        let sender = self.sender()?;
        if wait_for_place {
            sender.send(cmd).map_err(|_| AppendError::Closed)?;
        } else {
            match sender.try_send(cmd) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => return Err(AppendError::PoolFull(self.pool_limit)),
                Err(TrySendError::Disconnected(_)) => return Err(AppendError::Closed),
            }
        }
        Ok(rx)
    }

    /// Puts an entry in the pool without waiting for a place: a full pool is an error.
    /// The receipt resolves once the entry is durably committed.
    pub fn submit(&self, entry: Entry) -> Result<AppendReceipt, AppendError> {
        self.enqueue(vec![entry], false).map(AppendReceipt)
    }

    /// Like [`Log::submit`] but waits for a place in the pool (for offline bulk tools).
    pub fn submit_waiting(&self, entry: Entry) -> Result<AppendReceipt, AppendError> {
        self.enqueue(vec![entry], true).map(AppendReceipt)
    }

    /// Appends one entry and waits until it is durable. For async callers.
    pub async fn append(&self, entry: Entry) -> Result<LeafIndex, AppendError> {
        self.submit(entry)?.wait_async().await
    }

    /// Appends one entry and waits until it is durable. For threads outside an async runtime.
    pub fn append_blocking(&self, entry: Entry) -> Result<LeafIndex, AppendError> {
        self.submit_waiting(entry)?.wait()
    }

    /// Appends all `entries` at consecutive indexes in one durable transaction, or none of
    /// them: the unit of bulk issuance. Waits for a place in the pool and for the commit.
    pub fn append_all_blocking(
        &self,
        entries: Vec<Entry>,
    ) -> Result<Range<LeafIndex>, AppendError> {
        if entries.is_empty() {
            let size = self.shared.metrics.tree_size.load(Ordering::Relaxed);
            return Ok(size..size);
        }
        self.enqueue(entries, true)?
            .blocking_recv()
            .map_err(|_| AppendError::Closed)?
    }

    /// Async form of [`Log::append_all_blocking`]; a full pool is an error.
    pub async fn append_all(&self, entries: Vec<Entry>) -> Result<Range<LeafIndex>, AppendError> {
        if entries.is_empty() {
            let size = self.shared.metrics.tree_size.load(Ordering::Relaxed);
            return Ok(size..size);
        }
        self.enqueue(entries, false)?
            .await
            .map_err(|_| AppendError::Closed)?
    }

    /// Signs and publishes a checkpoint covering every entry committed so far.
    pub fn checkpoint_now_blocking(&self) -> Result<SignedCheckpoint, AppendError> {
        let (reply, rx) = oneshot::channel();
        self.sender()
            .map_err(|_| AppendError::Closed)?
            .send(Command::Checkpoint(reply))
            .map_err(|_| AppendError::Closed)?;
        rx.blocking_recv()
            .map_err(|_| AppendError::Closed)?
            .map_err(AppendError::Commit)
    }

    /// Async form of [`Log::checkpoint_now_blocking`].
    pub async fn checkpoint_now(&self) -> Result<SignedCheckpoint, AppendError> {
        let (reply, rx) = oneshot::channel();
        self.sender()?
            .try_send(Command::Checkpoint(reply))
            .map_err(|_| AppendError::PoolFull(self.pool_limit))?;
        rx.await
            .map_err(|_| AppendError::Closed)?
            .map_err(AppendError::Commit)
    }

    /// Stops taking entries, commits everything already in the pool, signs a final
    /// checkpoint, and waits for the sequencer to finish. Idempotent.
    pub fn close(&self) {
        if let Ok(mut s) = self.sender.write() {
            s.take();
        }
        if let Some(handle) = self.sequencer.lock().ok().and_then(|mut h| h.take()) {
            let _ = handle.join();
        }
        self.shared.closing.store(true, Ordering::Release);
        if let Some(handle) = self.indexer.lock().ok().and_then(|mut h| h.take()) {
            handle.thread().unpark();
            let _ = handle.join();
        }
    }

    /// The latest published checkpoint.
    pub fn checkpoint(&self) -> Arc<SignedCheckpoint> {
        match self.shared.published.read() {
            Ok(p) => p.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn verifier(&self) -> &LogVerifier {
        &self.shared.verifier
    }

    pub fn metrics(&self) -> &Metrics {
        &self.shared.metrics
    }

    pub fn store(&self) -> &dyn Store {
        self.shared.store.as_ref()
    }

    /// The store, shared: for services that keep their own records beside the log's.
    pub fn store_arc(&self) -> Arc<dyn Store> {
        self.shared.store.clone()
    }
}

impl Drop for Log {
    fn drop(&mut self) {
        self.close();
    }
}

impl Sequencer {
    fn run(mut self, receiver: Receiver<Command>) {
        let mut last_checkpoint = Instant::now();
        loop {
            let dirty = self.head.size != self.published().head.size;
            let wait = if dirty {
                self.config
                    .checkpoint_interval
                    .saturating_sub(last_checkpoint.elapsed())
            } else {
                Duration::from_secs(3600)
            };
            let first = match receiver.recv_timeout(wait) {
                Ok(cmd) => Some(cmd),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => break,
            };
            let mut batch = Vec::new();
            let mut entries = 0;
            let mut checkpoint_waiters = Vec::new();
            let mut next = first;
            while let Some(cmd) = next {
                match cmd {
                    Command::Append(p) => {
                        entries += p.entries.len();
                        batch.push(p);
                    }
                    Command::Checkpoint(reply) => checkpoint_waiters.push(reply),
                }
                // A group is never split, so one large group may exceed max_batch.
                if entries >= self.config.max_batch {
                    break;
                }
                next = receiver.try_recv().ok();
            }
            if !batch.is_empty() {
                self.sequence(batch);
            }
            let due = last_checkpoint.elapsed() >= self.config.checkpoint_interval;
            if !checkpoint_waiters.is_empty() || due {
                let result = self.publish_checkpoint();
                if let Err(e) = &result {
                    tracing::error!(error = %e, "checkpoint not published");
                }
                last_checkpoint = Instant::now();
                for w in checkpoint_waiters {
                    let _ = w.send(
                        result
                            .as_ref()
                            .map(|c| c.clone())
                            .map_err(|e| e.to_string()),
                    );
                }
            }
        }
        // The pool is closed and drained (recv returns queued commands before Disconnected).
        if let Err(e) = self.publish_checkpoint() {
            tracing::error!(error = %e, "final checkpoint not published");
        }
    }

    fn published(&self) -> Arc<SignedCheckpoint> {
        match self.shared.published.read() {
            Ok(p) => p.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Sequences one batch: hash, build tiles and bundles, commit durably, then wake waiters.
    fn sequence(&mut self, batch: Vec<Pending>) {
        let n: usize = batch.iter().map(|p| p.entries.len()).sum();
        match self.commit(&batch) {
            Ok(first) => {
                let m = &self.shared.metrics;
                m.batch_size.observe(n as f64);
                m.tree_size.store(self.head.size, Ordering::Relaxed);
                let mut next = first;
                for p in batch {
                    let latency = p.enqueued.elapsed().as_secs_f64();
                    for _ in &p.entries {
                        m.append_latency.observe(latency);
                    }
                    let end = next + p.entries.len() as u64;
                    let _ = p.reply.send(Ok(next..end));
                    next = end;
                }
            }
            Err(e) => {
                tracing::error!(error = %e, entries = n, "batch not committed");
                let err = AppendError::Commit(e.to_string());
                for p in batch {
                    let _ = p.reply.send(Err(err.clone()));
                }
            }
        }
    }

    /// Builds and commits the batch; on success advances the in-memory state and returns the
    /// index of the batch's first entry. On failure nothing in memory has changed.
    fn commit(&mut self, batch: &[Pending]) -> Result<LeafIndex, LedgerError> {
        let old = self.head;
        let tree_err = |e: tlog_tiles::Error| LedgerError::Tree(e.to_string());
        let entries: Vec<&Entry> = batch.iter().flat_map(|p| &p.entries).collect();
        let mut hashes: HashMap<u64, Hash> = HashMap::with_capacity(entries.len() * 2);
        let store = self.shared.store.clone();
        for (i, entry) in entries.iter().enumerate() {
            let index = old.size + i as u64;
            let leaf = record_hash(entry.as_bytes());
            let reader = TileHashes::with_overlays(store.as_ref(), &hashes, &self.edge_tiles);
            let stored = stored_hashes_for_record_hash(index, leaf, &reader).map_err(tree_err)?;
            let base = stored_hash_index(0, index);
            for (k, h) in stored.into_iter().enumerate() {
                hashes.insert(base + k as u64, h);
            }
        }
        let new_size = old.size + entries.len() as u64;
        let reader = TileHashes::with_overlays(store.as_ref(), &hashes, &self.edge_tiles);
        let root = tlog_tiles::tree_hash(new_size, &reader).map_err(tree_err)?;

        let mut tiles = Vec::new();
        for tile in Tile::new_tiles(TILE_HEIGHT, old.size, new_size) {
            let level0 = tile.read_data(&reader).map_err(tree_err)?;
            tiles.push((
                (tile.level(), tile.level_index()),
                super::stored_tile::encode(&level0),
            ));
        }

        let mut bundles = Vec::new();
        let mut bundle = self.edge_bundle.clone();
        let mut bundle_n = old.size / TILE_WIDTH;
        let mut in_bundle = old.size % TILE_WIDTH;
        for entry in &entries {
            push_to_bundle(&mut bundle, entry.as_bytes());
            in_bundle += 1;
            if in_bundle == TILE_WIDTH {
                bundles.push((bundle_n, std::mem::take(&mut bundle)));
                bundle_n += 1;
                in_bundle = 0;
            }
        }
        if in_bundle > 0 {
            bundles.push((bundle_n, bundle.clone()));
        }

        let new = TreeHead {
            size: new_size,
            root,
        };
        let write = BatchWrite { tiles, bundles };
        // Remember which tiles stay partial before the write consumes them.
        let edge_updates: Vec<(TileKey, Option<Vec<u8>>)> = write
            .tiles
            .iter()
            .map(|(k, d)| {
                let partial = super::stored_tile::width(d) != Some(TILE_WIDTH as usize);
                (*k, partial.then(|| d.clone()))
            })
            .collect();
        store.commit_batch(old, new, write)?;

        // Durable: now advance the in-memory state.
        self.head = new;
        for (k, d) in edge_updates {
            match d {
                Some(d) => {
                    self.edge_tiles.insert(k, d);
                }
                None => {
                    self.edge_tiles.remove(&k);
                }
            }
        }
        self.edge_bundle = if in_bundle > 0 { bundle } else { Vec::new() };
        Ok(old.size)
    }

    /// Signs a checkpoint for the committed tree if it differs from the published one.
    fn publish_checkpoint(&mut self) -> Result<SignedCheckpoint, LedgerError> {
        let published = self.published();
        let (old, new) = (published.head, self.head);
        if old == new {
            return Ok((*published).clone());
        }
        if new.size < old.size {
            return Err(LedgerError::WouldFork(format!(
                "tree size {} is smaller than the published {}",
                new.size, old.size
            )));
        }
        if new.size == old.size {
            return Err(LedgerError::WouldFork(format!(
                "a different root for the published size {}",
                old.size
            )));
        }
        // Consistency: our tree at the published size must have the published root.
        if old.size > 0 {
            let none = HashMap::new();
            let reader =
                TileHashes::with_overlays(self.shared.store.as_ref(), &none, &self.edge_tiles);
            let root = tlog_tiles::tree_hash(old.size, &reader)
                .map_err(|e| LedgerError::Tree(e.to_string()))?;
            if root != old.root {
                return Err(LedgerError::WouldFork(format!(
                    "the tree at size {} has root {root}, but {} was published",
                    old.size, old.root
                )));
            }
        }
        let signed = self.signer.sign(new)?;
        self.shared
            .store
            .swap_checkpoint(Some(&published.note), new.size, &signed.note)?;
        match self.shared.published.write() {
            Ok(mut p) => *p = Arc::new(signed.clone()),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(signed.clone()),
        }
        self.shared.metrics.checkpoint_published(new.size);
        Ok(signed)
    }
}

/// Leaves indexed per transaction at most, and the backlog that triggers indexing at once.
/// Larger sorted chunks touch each B-tree page of the index once per chunk; the bound keeps
/// the unindexed tail that a look-up by hash may have to scan to a few MB.
const INDEX_CHUNK_MAX: u64 = 262_144;
const INDEX_CHUNK_MIN: u64 = 65_536;

/// The leaf-hash indexer: keeps the store's hash → index map behind the committed tree, in
/// large sorted batches, off the append path. Lookups scan the small unindexed tail, so a
/// lagging index never gives a wrong answer, only a slower one.
fn run_indexer(shared: Arc<Shared>) {
    let mut last = Instant::now();
    loop {
        let closing = shared.closing.load(Ordering::Acquire);
        let size = shared.metrics.tree_size.load(Ordering::Acquire);
        let from = match shared.store.leaf_index_watermark() {
            Ok(w) => w,
            Err(e) => {
                tracing::error!(error = %e, "leaf index unreadable");
                if closing {
                    return;
                }
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
        };
        let pending = size.saturating_sub(from);
        let due = pending >= INDEX_CHUNK_MIN
            || (pending > 0 && (closing || last.elapsed() >= Duration::from_secs(1)));
        if due {
            let end = size.min(from + INDEX_CHUNK_MAX);
            if let Err(e) = index_range(shared.store.as_ref(), from, end) {
                tracing::error!(error = %e, from, end, "leaf index not updated");
                if closing {
                    return;
                }
                std::thread::sleep(Duration::from_secs(1));
            }
            last = Instant::now();
            continue;
        }
        if closing {
            return;
        }
        // `Log::close` unparks this thread, so shutdown never waits out the poll interval.
        std::thread::park_timeout(Duration::from_millis(50));
    }
}

/// The level-0 hashes of leaves `from..end`, read from the stored tiles.
pub(crate) fn leaf_hashes(store: &dyn Store, from: u64, end: u64) -> Result<Vec<Hash>, String> {
    if from >= end {
        return Ok(Vec::new());
    }
    let keys: Vec<TileKey> = (from / TILE_WIDTH..=(end - 1) / TILE_WIDTH)
        .map(|n| (0, n))
        .collect();
    let tiles = store.read_tiles(&keys).map_err(|e| e.to_string())?;
    (from..end)
        .map(|i| {
            let tile = tiles[(i / TILE_WIDTH - from / TILE_WIDTH) as usize]
                .as_deref()
                .ok_or_else(|| format!("level-0 tile {} is missing", i / TILE_WIDTH))?;
            super::stored_tile::node(tile, 0, i % TILE_WIDTH)
                .ok_or_else(|| format!("leaf {i} is missing from its tile"))
        })
        .collect()
}

fn index_range(store: &dyn Store, from: u64, end: u64) -> Result<(), String> {
    let hashes = leaf_hashes(store, from, end)?;
    store.index_leaves(from, &hashes).map_err(|e| e.to_string())
}

/// Recomputes the tiles a tree of `size` needs from scratch; used by tests to check the
/// incremental construction.
pub fn tile_ids_for_size(size: u64) -> Vec<TileId> {
    Tile::new_tiles(TILE_HEIGHT, 0, size)
        .into_iter()
        .map(|t| TileId::Hashes {
            level: t.level(),
            n: t.level_index(),
            width: t.width() as u16,
        })
        .collect()
}
