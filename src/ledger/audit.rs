//! Audit: re-read every tile and entry of a log, recompute the tree, and check it against the
//! latest signed checkpoint and every earlier checkpoint the auditor has seen.
//!
//! The audit trusts nothing it reads but the verifier key. It streams the entry bundles in order,
//! hashes every entry (RFC 9162 §2.1.1), rebuilds each hash tile level by level and compares it
//! with the served tile, and keeps a compact range (one hash per set bit of the size) from which
//! it computes the root at every checkpoint size it passes. Memory is O(log n).
//!
//! When something differs it names the first bad tile or entry. If the entries hash to the
//! checkpoint's root, the entries are genuine and the differing hash tile is the culprit;
//! otherwise the first entry whose hash differs from its level-0 tile is.

use super::checkpoint::{LogVerifier, SignedCheckpoint};
use super::entry::split_bundle;
use super::tile::{TILE_WIDTH, TileId};
use crate::store::Store;
use std::time::Duration;
use tlog_tiles::{Hash, Tile, node_hash, record_hash};

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("cannot read {what}: {reason}")]
    Source { what: String, reason: String },
    #[error("checkpoint rejected: {0}")]
    Checkpoint(String),
    #[error("bad tile {path}: hash {position} differs from the one recomputed from the entries")]
    BadTile { path: String, position: u64 },
    #[error("bad tile {path}: its stored interior nodes do not match its hashes")]
    BadInterior { path: String },
    #[error("bad entry {index} in {bundle}: {detail}")]
    BadEntry {
        index: u64,
        bundle: String,
        detail: String,
    },
    #[error(
        "the entries and tiles agree with each other but hash to {found}, not to the checkpoint's root {expected}"
    )]
    RootMismatch { expected: Hash, found: Hash },
    #[error(
        "checkpoint for size {size} seen earlier has root {seen}, but the log has {found} at that size: the log forked or was rewritten"
    )]
    Inconsistent { size: u64, seen: Hash, found: Hash },
    #[error(
        "a checkpoint for size {seen} was seen earlier, but the latest covers only {latest}: the log was rolled back"
    )]
    RolledBack { seen: u64, latest: u64 },
}

/// Where an audit reads the log from.
pub trait TileSource {
    /// The latest checkpoint note.
    fn checkpoint(&self) -> Result<Vec<u8>, AuditError>;
    /// One tile or entry bundle; an error if it cannot be read.
    fn tile(&self, id: TileId) -> Result<Vec<u8>, AuditError>;
    /// Damage the source saw beyond what it served (reported if nothing else was wrong).
    fn extra_finding(&self) -> Option<AuditError> {
        None
    }
}

/// Reads a log straight out of its store (the `--data DIR` form).
pub struct StoreSource<'a> {
    store: &'a dyn Store,
    size: std::sync::OnceLock<u64>,
    /// The first stored tile whose interior nodes disagree with its level-0 hashes.
    bad_interior: std::cell::RefCell<Option<String>>,
}

impl<'a> StoreSource<'a> {
    pub fn new(store: &'a dyn Store) -> Self {
        Self {
            store,
            size: std::sync::OnceLock::new(),
            bad_interior: std::cell::RefCell::new(None),
        }
    }
}

impl TileSource for StoreSource<'_> {
    fn checkpoint(&self) -> Result<Vec<u8>, AuditError> {
        self.store
            .latest_checkpoint()
            .map_err(|e| AuditError::Source {
                what: "the latest checkpoint".into(),
                reason: e.to_string(),
            })?
            .ok_or_else(|| AuditError::Source {
                what: "the latest checkpoint".into(),
                reason: "the store has none; run `tanba init` and append first".into(),
            })
    }

    fn extra_finding(&self) -> Option<AuditError> {
        let path = self.bad_interior.borrow().clone()?;
        Some(AuditError::BadInterior { path })
    }

    fn tile(&self, id: TileId) -> Result<Vec<u8>, AuditError> {
        // Interior nodes serve proofs but are not part of what C2SP serves: check them here.
        if let TileId::Hashes { level, n, .. } = id {
            let raw = self
                .store
                .read_tiles(&[(level, n)])
                .ok()
                .and_then(|mut v| v.pop().flatten());
            if let Some(raw) = raw
                && !super::stored_tile::is_consistent(&raw)
                && self.bad_interior.borrow().is_none()
            {
                *self.bad_interior.borrow_mut() = Some(id.path());
            }
        }
        // The store's own tree head bounds what exists; the checkpoint check happens above us.
        let size = *self
            .size
            .get_or_init(|| self.store.tree_head().map(|h| h.size).unwrap_or(0));
        super::proof::read_tile(self.store, size, id)
            .map_err(|e| AuditError::Source {
                what: id.path(),
                reason: e.to_string(),
            })?
            .ok_or_else(|| AuditError::Source {
                what: id.path(),
                reason: "not found".into(),
            })
    }
}

/// Reads a log served over HTTP by `tanba serve` (or any C2SP tlog-tiles server) at
/// `<base>/checkpoint` and `<base>/tile/...`.
pub struct HttpSource {
    base: String,
    agent: ureq::Agent,
}

impl HttpSource {
    /// `base` is the log prefix, e.g. `http://127.0.0.1:8080/ledger`.
    pub fn new(base: &str) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(30)))
            .http_status_as_error(true)
            .build()
            .into();
        Self {
            base: base.trim_end_matches('/').to_string(),
            agent,
        }
    }

    pub fn get(&self, rel: &str) -> Result<Vec<u8>, AuditError> {
        let url = format!("{}/{rel}", self.base);
        let fail = |reason: String| AuditError::Source {
            what: url.clone(),
            reason,
        };
        let mut resp = self
            .agent
            .get(&url)
            .call()
            .map_err(|e| fail(e.to_string()))?;
        resp.body_mut()
            .with_config()
            .limit(16 << 20)
            .read_to_vec()
            .map_err(|e| fail(e.to_string()))
    }
}

impl TileSource for HttpSource {
    fn checkpoint(&self) -> Result<Vec<u8>, AuditError> {
        self.get("checkpoint")
    }

    fn tile(&self, id: TileId) -> Result<Vec<u8>, AuditError> {
        self.get(&id.path())
    }
}

/// What a passing audit covered.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditReport {
    pub checkpoint: SignedCheckpoint,
    pub entries: u64,
    pub tiles: u64,
    pub checkpoints_checked: usize,
}

/// Audits the log behind `source`. `seen` holds earlier checkpoint notes (any order) that must
/// be consistent with the latest; `progress` is called with the number of entries checked.
pub fn audit(
    source: &dyn TileSource,
    verifier: &LogVerifier,
    seen: &[Vec<u8>],
    progress: &mut dyn FnMut(u64),
) -> Result<AuditReport, AuditError> {
    let latest = verifier
        .open(&source.checkpoint()?)
        .map_err(|e| AuditError::Checkpoint(e.to_string()))?;
    let size = latest.head.size;
    let mut earlier = Vec::new();
    for note in seen {
        let cp = verifier
            .open(note)
            .map_err(|e| AuditError::Checkpoint(format!("an earlier checkpoint: {e}")))?;
        if cp.head.size > size {
            return Err(AuditError::RolledBack {
                seen: cp.head.size,
                latest: size,
            });
        }
        earlier.push(cp.head);
    }
    earlier.push(latest.head);
    earlier.sort_by_key(|h| h.size);
    earlier.dedup();

    let mut walk = Walk {
        source,
        size,
        levels: Vec::new(),
        completed: Vec::new(),
        tiles: 0,
        bad_tile: None,
        bad_entry: None,
    };
    // Compact range over [0, index): (height, hash) with strictly decreasing heights.
    let mut range: Vec<(u32, Hash)> = Vec::new();
    let mut pending = earlier.iter().peekable();
    let mut check_roots = |index: u64, range: &[(u32, Hash)]| -> Result<(), AuditError> {
        while let Some(h) = pending.next_if(|h| h.size == index) {
            let found = root_of(range);
            if found == h.root {
                continue;
            }
            return Err(if h.size == size {
                AuditError::RootMismatch {
                    expected: h.root,
                    found,
                }
            } else {
                AuditError::Inconsistent {
                    size: h.size,
                    seen: h.root,
                    found,
                }
            });
        }
        Ok(())
    };
    check_roots(0, &range)?;

    for b in 0..size.div_ceil(TILE_WIDTH) {
        let width = (size - b * TILE_WIDTH).min(TILE_WIDTH) as u16;
        let bundle_id = TileId::Entries { n: b, width };
        let bundle = source.tile(bundle_id)?;
        let entries = split_bundle(&bundle).map_err(|e| AuditError::BadEntry {
            index: b * TILE_WIDTH,
            bundle: bundle_id.path(),
            detail: e.to_string(),
        })?;
        if entries.len() != usize::from(width) {
            return Err(AuditError::BadEntry {
                index: b * TILE_WIDTH,
                bundle: bundle_id.path(),
                detail: format!("bundle holds {} entries, expected {width}", entries.len()),
            });
        }
        for (i, e) in entries.iter().enumerate() {
            let index = b * TILE_WIDTH + i as u64;
            let mut h = record_hash(e);
            walk.push(0, h)?;
            let mut height = 0;
            while let Some(&(top_height, top)) = range.last() {
                if top_height != height {
                    break;
                }
                range.pop();
                h = node_hash(top, h);
                height += 1;
            }
            range.push((height, h));
            if let Err(e) = check_roots(index + 1, &range) {
                // The entries do not produce a signed root: name the entry if a level-0 tile
                // (built when the log was honest) disagrees with it.
                walk.compare_partial(0)?;
                return Err(walk.entry_blame().unwrap_or(e));
            }
        }
        progress(b * TILE_WIDTH + u64::from(width));
    }
    for level in 0..walk.levels.len() {
        walk.compare_partial(level)?;
    }
    // Every root matched, so the entries are genuine: any difference is the tile's fault.
    if let Some((id, position)) = walk.bad_tile {
        return Err(AuditError::BadTile {
            path: id.path(),
            position,
        });
    }
    if let Some(e) = source.extra_finding() {
        return Err(e);
    }
    Ok(AuditReport {
        checkpoint: latest,
        entries: size,
        tiles: walk.tiles,
        checkpoints_checked: earlier.len(),
    })
}

fn root_of(range: &[(u32, Hash)]) -> Hash {
    let mut it = range.iter().rev();
    let Some(&(_, mut h)) = it.next() else {
        return tlog_tiles::EMPTY_HASH;
    };
    for &(_, left) in it {
        h = node_hash(left, h);
    }
    h
}

/// Rebuilds hash tiles level by level and compares each with the served one.
struct Walk<'a> {
    source: &'a dyn TileSource,
    /// Size of the tree under audit, to name bundles at the width the log serves them.
    size: u64,
    /// Hashes of the tile under construction at each level.
    levels: Vec<Vec<Hash>>,
    /// Full tiles completed so far at each level: the index of the next tile.
    completed: Vec<u64>,
    tiles: u64,
    /// The first served hash tile that differed from the recomputed one, and where.
    bad_tile: Option<(TileId, u64)>,
    /// The first entry whose hash differed from its level-0 tile, and that tile.
    bad_entry: Option<(u64, TileId)>,
}

impl Walk<'_> {
    fn push(&mut self, level: usize, h: Hash) -> Result<(), AuditError> {
        if self.levels.len() <= level {
            self.levels.push(Vec::with_capacity(TILE_WIDTH as usize));
            self.completed.push(0);
        }
        self.levels[level].push(h);
        if self.levels[level].len() as u64 == TILE_WIDTH {
            let hashes = std::mem::take(&mut self.levels[level]);
            self.compare(level, &hashes)?;
            self.completed[level] += 1;
            let mut data = Vec::with_capacity(hashes.len() * 32);
            hashes.iter().for_each(|h| data.extend_from_slice(&h.0));
            self.push(level + 1, Tile::subtree_hash(&data))?;
        }
        Ok(())
    }

    /// Compares the partial tile under construction at `level`, if any.
    fn compare_partial(&mut self, level: usize) -> Result<(), AuditError> {
        let hashes = self.levels.get(level).cloned().unwrap_or_default();
        if hashes.is_empty() {
            return Ok(());
        }
        self.compare(level, &hashes)
    }

    fn compare(&mut self, level: usize, hashes: &[Hash]) -> Result<(), AuditError> {
        let n = self.completed[level];
        let id = TileId::Hashes {
            level: level as u8,
            n,
            width: hashes.len() as u16,
        };
        let served = self.source.tile(id)?;
        self.tiles += 1;
        let differs = hashes
            .iter()
            .enumerate()
            .find(|(i, h)| served.get(i * 32..i * 32 + 32) != Some(&h.0[..]))
            .map(|(i, _)| i as u64)
            .or_else(|| (served.len() != hashes.len() * 32).then_some(hashes.len() as u64));
        if let Some(position) = differs {
            if self.bad_tile.is_none() {
                self.bad_tile = Some((id, position));
            }
            if level == 0 && self.bad_entry.is_none() && position < hashes.len() as u64 {
                self.bad_entry = Some((n * TILE_WIDTH + position, id));
            }
        }
        Ok(())
    }

    fn entry_blame(&self) -> Option<AuditError> {
        let (index, tile) = self.bad_entry?;
        Some(AuditError::BadEntry {
            index,
            bundle: TileId::Entries {
                n: index / TILE_WIDTH,
                width: (self.size - index / TILE_WIDTH * TILE_WIDTH).min(TILE_WIDTH) as u16,
            }
            .path(),
            detail: format!(
                "its hash differs from {} and the entries do not hash to the signed root",
                tile.path()
            ),
        })
    }
}
