//! Reading stored Merkle hashes out of tiles.
//!
//! Tiles are the ledger's only hash storage: every stored hash (Go tlog's "stored hash index")
//! lies in exactly one tile and is recomputed from the level-0 hashes of that tile
//! (`Tile::hash_at_index`). The sequencer layers two in-memory maps over the store: the hashes
//! of the batch being sequenced, and the right-edge partial tiles, so appending rarely reads disk.

use super::tile::TILE_HEIGHT;
use crate::store::{Store, TileKey};
use std::collections::HashMap;
use tlog_tiles::{Error as TlogError, Hash, HashReader, Tile};

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

impl HashReader for TileHashes<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, TlogError> {
        let mut out = vec![Hash([0; 32]); indexes.len()];
        // (position in `out`, tile, stored index) still to be read from the store.
        let mut missing: Vec<(usize, Tile, u64)> = Vec::new();
        for (i, &index) in indexes.iter().enumerate() {
            if let Some(h) = self.batch.and_then(|b| b.get(&index)) {
                out[i] = *h;
                continue;
            }
            let tile = Tile::from_index(TILE_HEIGHT, index);
            let key = (tile.level(), tile.level_index());
            match self.edge.and_then(|e| e.get(&key)) {
                Some(data) => out[i] = tile.hash_at_index(data, index)?,
                None => missing.push((i, tile, index)),
            }
        }
        if missing.is_empty() {
            return Ok(out);
        }
        let mut keys: Vec<TileKey> = missing
            .iter()
            .map(|(_, t, _)| (t.level(), t.level_index()))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let data = self
            .store
            .read_tiles(&keys)
            .map_err(|e| TlogError::InvalidInput(e.to_string()))?;
        let tiles: HashMap<TileKey, Option<Vec<u8>>> = keys.into_iter().zip(data).collect();
        for (i, tile, index) in missing {
            let data = tiles
                .get(&(tile.level(), tile.level_index()))
                .and_then(|d| d.as_deref())
                .ok_or(TlogError::IndexesNotInTree)?;
            out[i] = tile.hash_at_index(data, index)?;
        }
        Ok(out)
    }
}
