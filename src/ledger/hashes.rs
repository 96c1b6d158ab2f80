//! Reading stored Merkle hashes out of tiles.
//!
//! Tiles are the ledger's only hash storage: every stored hash (Go tlog's "stored hash index")
//! lies in exactly one tile, kept with its interior nodes (see `stored_tile`). The sequencer
//! layers two in-memory maps over the store: the hashes of the batch being sequenced, and the
//! right-edge partial tiles, so appending rarely reads disk.

use super::stored_tile;
use super::tile::TILE_HEIGHT;
use crate::store::{Store, TileKey};
use std::collections::HashMap;
use tlog_tiles::{Error as TlogError, Hash, HashReader, split_stored_hash_index};

/// A [`HashReader`] over a store's tiles, optionally with in-memory overlays.
pub struct TileHashes<'a> {
    store: &'a dyn Store,
    batch: Option<&'a HashMap<u64, Hash>>,
    edge: Option<&'a HashMap<TileKey, Vec<u8>>>,
}

impl<'a> TileHashes<'a> {
    pub fn new(store: &'a dyn Store) -> Self {
        Self {
            store,
            batch: None,
            edge: None,
        }
    }

    pub fn with_overlays(
        store: &'a dyn Store,
        batch: &'a HashMap<u64, Hash>,
        edge: &'a HashMap<TileKey, Vec<u8>>,
    ) -> Self {
        Self {
            store,
            batch: Some(batch),
            edge: Some(edge),
        }
    }
}

/// Where stored hash `index` lives: tile key, level within the tile, position at that level.
fn locate(index: u64) -> (TileKey, u8, u64) {
    let (level, n) = split_stored_hash_index(index);
    let tile_level = level / TILE_HEIGHT;
    let k = level % TILE_HEIGHT;
    let tile_n = n >> (TILE_HEIGHT - k);
    let pos = n - (tile_n << (TILE_HEIGHT - k));
    ((tile_level, tile_n), k, pos)
}

impl HashReader for TileHashes<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, TlogError> {
        let mut out = vec![Hash([0; 32]); indexes.len()];
        // (position in `out`, tile key, level in tile, position) still to be read from the store.
        let mut missing: Vec<(usize, TileKey, u8, u64)> = Vec::new();
        for (i, &index) in indexes.iter().enumerate() {
            if let Some(h) = self.batch.and_then(|b| b.get(&index)) {
                out[i] = *h;
                continue;
            }
            let (key, k, pos) = locate(index);
            match self.edge.and_then(|e| e.get(&key)) {
                Some(data) => {
                    out[i] = stored_tile::node(data, k, pos).ok_or(TlogError::InvalidTile)?
                }
                None => missing.push((i, key, k, pos)),
            }
        }
        if missing.is_empty() {
            return Ok(out);
        }
        let mut keys: Vec<TileKey> = missing.iter().map(|m| m.1).collect();
        keys.sort_unstable();
        keys.dedup();
        // Each stored tile is looked at in place and only the hashes asked of it are taken
        // (a tile is up to 16 KB; a proof needs a few of its 32-byte nodes).
        let mut bad = None;
        self.store
            .visit_tiles(&keys, &mut |t, data| {
                for (i, key, k, pos) in &missing {
                    if *key != keys[t] {
                        continue;
                    }
                    match data.map(|d| stored_tile::node(d, *k, *pos)) {
                        Some(Some(h)) => out[*i] = h,
                        Some(None) => {
                            bad.get_or_insert(TlogError::InvalidTile);
                        }
                        None => {
                            bad.get_or_insert(TlogError::IndexesNotInTree);
                        }
                    }
                }
            })
            .map_err(|e| TlogError::InvalidInput(e.to_string()))?;
        if let Some(e) = bad {
            return Err(e);
        }
        Ok(out)
    }
}
