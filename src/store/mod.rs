//! Persistence for the ledger, behind one trait.
//!
//! The ledger keeps its whole state as C2SP tiles: hash tiles (every stored hash of the Merkle
//! tree can be recomputed from the level-0 hashes of the tile that holds it) and entry bundles.
//! Beside them the store keeps the tree head the tiles describe, the signed checkpoints (the
//! latest one, replaced only by compare-and-swap, and every one ever published), and a
//! leaf-hash index for proof look-ups. The index is derived data: it is written behind a
//! watermark, apart from the append path, and can always be rebuilt from the level-0 tiles.
//!
//! The trait is synchronous and speaks in whole batches so that a PostgreSQL implementation can
//! map each method to one statement or one transaction; callers never see a database type.
//! Nothing outside this module names a database.

pub(crate) mod redb_store;

pub use redb_store::RedbStore;

use tlog_tiles::Hash;

/// Size and root hash of the tree that the stored tiles describe.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TreeHead {
    pub size: u64,
    pub root: Hash,
}

impl TreeHead {
    /// The empty tree: size 0, root SHA-256 of the empty string (RFC 9162 §2.1.1).
    pub const EMPTY: TreeHead = TreeHead {
        size: 0,
        root: tlog_tiles::EMPTY_HASH,
    };
}

/// Coordinates of a hash tile: level `L` and index `N` of C2SP tlog-tiles.
pub type TileKey = (u8, u64);

/// Everything one sequenced batch changes, written in a single transaction.
#[derive(Debug, Default)]
pub struct BatchWrite {
    /// Hash tiles with their new (possibly still partial) contents.
    pub tiles: Vec<(TileKey, Vec<u8>)>,
    /// Entry bundles with their new (possibly still partial) contents.
    pub bundles: Vec<(u64, Vec<u8>)>,
}

/// One version of a credential as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialRow {
    pub id: [u8; 16],
    pub version: u32,
    /// The public record (signed header, ledger index, lifecycle) as JSON; opaque to the store.
    pub public: Vec<u8>,
    /// Personal data, sealed under the credential's own data key.
    pub sealed: Vec<u8>,
}

/// A credential version being stored for the first time.
#[derive(Clone, Debug)]
pub struct NewCredential {
    pub row: CredentialRow,
    /// The wrapped data key, given with a credential's first version.
    pub wrapped_key: Option<Vec<u8>>,
    /// Keyed hash naming "this document for this person"; a second one is refused.
    pub dedupe: Option<[u8; 32]>,
    /// Keyed hashes of the holders' IINs, for finding a person's documents again.
    pub holders: Vec<[u8; 32]>,
}

/// One open batch of new credentials; see [`Store::credential_writer`].
pub trait CredentialWriter {
    /// Adds credential versions to the batch. A [`StoreError::Conflict`] (a version or a dedupe
    /// key taken, in the store or earlier in this batch) fails the whole batch: drop the writer.
    fn put(&mut self, new: &[NewCredential]) -> Result<(), StoreError>;

    /// Makes the whole batch durable at once.
    fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// Errors of the persistence layer. The message says what failed; the ledger adds context.
/// The small keyed collections kept beside the ledger (never in it: they hold personal data
/// and secrets' hashes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Collection {
    /// People and systems that may sign in, by user name.
    Accounts,
    /// API tokens and login sessions, by token id (only a hash of each secret is kept).
    Tokens,
    /// Bookkeeping such as how far the store has been reconciled with the ledger.
    Meta,
    /// Ledger issuance entries whose store write never happened (a crash in between), by
    /// `<id>/v<version>`.
    Orphans,
    /// Holders' share links, by link id (only a hash of each link's secret is kept).
    Shares,
    /// Which share links a holder made: `<holder account>/<link id>`, empty values.
    SharesByOwner,
}

impl Collection {
    fn tag(self) -> u8 {
        match self {
            Collection::Accounts => 1,
            Collection::Tokens => 2,
            Collection::Meta => 3,
            Collection::Orphans => 4,
            Collection::Shares => 5,
            Collection::SharesByOwner => 6,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the store at {path}: {reason}")]
    Open { path: String, reason: String },
    #[error("store I/O failed: {0}")]
    Io(String),
    #[error("the store was changed by someone else: expected {expected}, found {found}")]
    Conflict { expected: String, found: String },
    #[error("the store holds malformed data: {0}")]
    Corrupt(String),
}

/// Persistence for one log. Implementations must make [`Store::commit_batch`] and
/// [`Store::swap_checkpoint`] atomic and durable before they return.
pub trait Store: Send + Sync {
    /// The tree head of the committed tiles ([`TreeHead::EMPTY`] for a new store).
    fn tree_head(&self) -> Result<TreeHead, StoreError>;

    /// Hash tiles by key, in the order asked; `None` where a tile was never written.
    /// A returned tile may be wider than the caller needs: tiles only ever grow at the end.
    fn read_tiles(&self, keys: &[TileKey]) -> Result<Vec<Option<Vec<u8>>>, StoreError>;

    /// Shows each tile of `keys` (in that order; `None` where never written) to `f` in place,
    /// for a reader that needs a few hashes of a tile and not a copy of all of it.
    fn visit_tiles(
        &self,
        keys: &[TileKey],
        f: &mut dyn FnMut(usize, Option<&[u8]>),
    ) -> Result<(), StoreError> {
        for (i, tile) in self.read_tiles(keys)?.into_iter().enumerate() {
            f(i, tile.as_deref());
        }
        Ok(())
    }

    /// The entry bundle `n`, full or the widest partial written so far.
    fn read_bundle(&self, n: u64) -> Result<Option<Vec<u8>>, StoreError>;

    /// Shows bundle `n` to `f` in place (`None` where never written), for a reader that needs
    /// one entry of it and not a copy of all of it.
    fn visit_bundle(&self, n: u64, f: &mut dyn FnMut(Option<&[u8]>)) -> Result<(), StoreError> {
        f(self.read_bundle(n)?.as_deref());
        Ok(())
    }

    /// The first index whose leaf hash is `hash`, among indexes below the watermark.
    fn find_leaf(&self, hash: &Hash) -> Result<Option<u64>, StoreError>;

    /// Leaves `0..watermark` are in the leaf-hash index.
    fn leaf_index_watermark(&self) -> Result<u64, StoreError>;

    /// Indexes `leaves[i]` as leaf `from + i` (the first index of a hash wins) and moves the
    /// watermark to `from + leaves.len()`, atomically; fails with [`StoreError::Conflict`] if
    /// the watermark is not `from`.
    fn index_leaves(&self, from: u64, leaves: &[Hash]) -> Result<(), StoreError>;

    /// Writes a batch and moves the head from `old` to `new`, atomically and durably.
    /// Fails with [`StoreError::Conflict`] without writing anything if the head is not `old`.
    fn commit_batch(
        &self,
        old: TreeHead,
        new: TreeHead,
        batch: BatchWrite,
    ) -> Result<(), StoreError>;

    /// The latest published checkpoint (a signed note), if any.
    fn latest_checkpoint(&self) -> Result<Option<Vec<u8>>, StoreError>;

    /// Replaces the latest checkpoint by `new` (for tree size `size`) only if the stored one is
    /// still `expected`, and records `new` in the history. Atomic and durable.
    fn swap_checkpoint(
        &self,
        expected: Option<&[u8]>,
        size: u64,
        new: &[u8],
    ) -> Result<(), StoreError>;

    /// Every checkpoint ever published, oldest first (one per tree size).
    fn checkpoint_history(&self) -> Result<Vec<Vec<u8>>, StoreError>;

    /// Bytes the store occupies on disk, for metrics and the bytes-per-entry figure.
    fn disk_bytes(&self) -> Result<u64, StoreError>;

    // --- credentials -------------------------------------------------------------------------

    /// Stores new credential versions atomically. Fails with [`StoreError::Conflict`], writing
    /// nothing, if a version exists already or a dedupe key is taken (in the store or twice in
    /// the batch); the conflict names the existing credential id in hex.
    fn put_credentials(&self, new: &[NewCredential]) -> Result<(), StoreError> {
        let mut writer = self.credential_writer()?;
        writer.put(new)?;
        writer.commit()
    }

    /// Starts one atomic batch of new credentials given in parts, so a large batch can be stored
    /// while the rest of it is still being signed. Nothing is visible or durable until
    /// [`CredentialWriter::commit`]; a writer dropped uncommitted writes nothing. Other
    /// credential writes wait while a writer is open; ledger appends do not.
    fn credential_writer(&self) -> Result<Box<dyn CredentialWriter + '_>, StoreError>;

    /// Replaces the public part of existing versions (e.g. to record a ledger index), atomically.
    fn update_public(&self, updates: &[([u8; 16], u32, Vec<u8>)]) -> Result<(), StoreError>;

    /// One version of a credential.
    fn credential(&self, id: &[u8; 16], version: u32) -> Result<Option<CredentialRow>, StoreError>;

    /// The highest version stored for a credential.
    fn latest_version(&self, id: &[u8; 16]) -> Result<Option<u32>, StoreError>;

    /// The highest version of a credential with its row, in one look-up where the store can.
    fn latest_credential(&self, id: &[u8; 16]) -> Result<Option<(u32, CredentialRow)>, StoreError> {
        let Some(v) = self.latest_version(id)? else {
            return Ok(None);
        };
        Ok(self.credential(id, v)?.map(|row| (v, row)))
    }

    /// A credential's wrapped data key; `None` once erased.
    fn wrapped_key(&self, id: &[u8; 16]) -> Result<Option<Vec<u8>>, StoreError>;

    /// Deletes a credential's wrapped data key: its personal data becomes unreadable for good.
    fn erase_key(&self, id: &[u8; 16]) -> Result<bool, StoreError>;

    /// The credential already holding a dedupe key.
    fn find_duplicate(&self, dedupe: &[u8; 32]) -> Result<Option<[u8; 16]>, StoreError>;

    /// [`Store::find_duplicate`] for many keys at once, in their order.
    fn find_duplicates(&self, keys: &[[u8; 32]]) -> Result<Vec<Option<[u8; 16]>>, StoreError> {
        keys.iter().map(|k| self.find_duplicate(k)).collect()
    }

    /// The credentials of a holder (by keyed IIN hash).
    fn credentials_of(&self, holder: &[u8; 32]) -> Result<Vec<[u8; 16]>, StoreError>;

    /// The credentials whose printed verification code carries these 60 bits (normally one).
    fn credentials_by_code(&self, code: u64) -> Result<Vec<[u8; 16]>, StoreError>;

    // --- accounts, tokens, the audit journal -------------------------------------------------

    /// A record of a small keyed collection, or `None`.
    fn get_record(&self, c: Collection, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Writes (or with `None` deletes) a record. With `only_if_absent`, fails with
    /// [`StoreError::Conflict`] when the key exists — creation that cannot overwrite.
    fn put_record(
        &self,
        c: Collection,
        key: &str,
        value: Option<&[u8]>,
        only_if_absent: bool,
    ) -> Result<(), StoreError>;

    /// Every record of a collection, in key order.
    fn scan_records(&self, c: Collection) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.scan_prefix(c, "")
    }

    /// The records of a collection whose keys start with `prefix`, in key order.
    fn scan_prefix(
        &self,
        c: Collection,
        prefix: &str,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError>;

    /// Appends a line to the audit journal, durably, and returns its number (from 1).
    fn append_journal(&self, line: &[u8]) -> Result<u64, StoreError>;

    /// Journal lines numbered `from` onwards, at most `limit`.
    fn journal(&self, from: u64, limit: usize) -> Result<Vec<(u64, Vec<u8>)>, StoreError>;

    // --- registry ----------------------------------------------------------------------------

    /// Every registry change in order (their payloads as appended to the ledger).
    fn registry_changes(&self) -> Result<Vec<Vec<u8>>, StoreError>;

    /// Records registry change `seq`; fails with [`StoreError::Conflict`] unless it is the next.
    fn append_registry_change(&self, seq: u64, change: &[u8]) -> Result<(), StoreError>;
}
