//! Serving the log: tiles, entries, inclusion and consistency proofs (RFC 9162 §2.1.3, §2.1.4),
//! and checking proofs on the client side.
//!
//! Everything here reads only what the latest published checkpoint covers, so a client can
//! always tie what it gets to a signed tree head.

use super::checkpoint::SignedCheckpoint;
use super::entry::split_bundle;
use super::hashes::TileHashes;
use super::sequencer::{LeafIndex, Log};
use super::tile::TileId;
use base64::Engine as _;
use base64::prelude::BASE64_STANDARD;
use serde::{Deserialize, Serialize};
use tlog_tiles::{Hash, HashReader as _, check_record, check_tree, prove_record, prove_tree};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProofError {
    #[error("{what} {value} is out of range: {rule}")]
    OutOfRange {
        what: &'static str,
        value: u64,
        rule: String,
    },
    #[error("no entry with leaf hash {0} is in the log")]
    UnknownLeaf(String),
    #[error("{field} is not a SHA-256 hash (44 characters of base64, or 64 hex digits)")]
    BadHash { field: &'static str },
    #[error("the proof does not verify: {0}")]
    Invalid(String),
    #[error("the ledger could not read its tiles: {0}")]
    Storage(String),
}

/// RFC 9162 inclusion proof of one entry in a tree of `tree_size`, hashes in base64.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct InclusionProof {
    pub index: LeafIndex,
    pub tree_size: u64,
    pub leaf_hash: String,
    pub root_hash: String,
    pub proof: Vec<String>,
    /// The latest signed checkpoint; its tree size is ≥ `tree_size`.
    pub checkpoint: String,
}

/// RFC 9162 consistency proof between two tree sizes, hashes in base64.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ConsistencyProof {
    pub from: u64,
    pub to: u64,
    pub from_root: String,
    pub to_root: String,
    pub proof: Vec<String>,
    pub checkpoint: String,
}

fn b64(h: &Hash) -> String {
    BASE64_STANDARD.encode(h.0)
}

/// Parses a base64 hash, naming the field on error.
pub fn parse_hash(s: &str, field: &'static str) -> Result<Hash, ProofError> {
    let s = s.trim();
    // 64 hex digits, or 44 characters of standard base64.
    let bytes = if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(s).map_err(|_| ProofError::BadHash { field })?
    } else {
        BASE64_STANDARD
            .decode(s)
            .map_err(|_| ProofError::BadHash { field })?
    };
    let arr: [u8; 32] = bytes
        .try_into()
        .map_err(|_| ProofError::BadHash { field })?;
    Ok(Hash(arr))
}

fn parse_hashes(v: &[String]) -> Result<Vec<Hash>, ProofError> {
    v.iter().map(|h| parse_hash(h, "proof")).collect()
}

fn storage<E: std::fmt::Display>(e: E) -> ProofError {
    ProofError::Storage(e.to_string())
}

impl Log {
    fn checked_size(&self, cp: &SignedCheckpoint, size: Option<u64>) -> Result<u64, ProofError> {
        let size = size.unwrap_or(cp.head.size);
        if size == 0 || size > cp.head.size {
            return Err(ProofError::OutOfRange {
                what: "size",
                value: size,
                rule: format!("must be 1..={} (the latest checkpoint)", cp.head.size),
            });
        }
        Ok(size)
    }

    fn root_at(&self, cp: &SignedCheckpoint, size: u64) -> Result<Hash, ProofError> {
        if size == cp.head.size {
            return Ok(cp.head.root);
        }
        tlog_tiles::tree_hash(size, &TileHashes::new(self.store())).map_err(storage)
    }

    /// Inclusion proof for entry `index` in the tree of `size` (default: the latest checkpoint).
    pub fn inclusion_proof(
        &self,
        index: LeafIndex,
        size: Option<u64>,
    ) -> Result<InclusionProof, ProofError> {
        let cp = self.checkpoint();
        let size = self.checked_size(&cp, size)?;
        if index >= size {
            return Err(ProofError::OutOfRange {
                what: "index",
                value: index,
                rule: format!("must be below the tree size {size}"),
            });
        }
        let reader = TileHashes::new(self.store());
        let proof = prove_record(size, index, &reader).map_err(storage)?;
        let leaf = reader
            .read_hashes(&[tlog_tiles::stored_hash_index(0, index)])
            .map_err(storage)?[0];
        Ok(InclusionProof {
            index,
            tree_size: size,
            leaf_hash: b64(&leaf),
            root_hash: b64(&self.root_at(&cp, size)?),
            proof: proof.iter().map(b64).collect(),
            checkpoint: String::from_utf8_lossy(&cp.note).into_owned(),
        })
    }

    /// Inclusion proof for the entry whose leaf hash (base64 or hex) is `hash`.
    pub fn inclusion_proof_by_hash(
        &self,
        hash: &str,
        size: Option<u64>,
    ) -> Result<InclusionProof, ProofError> {
        let h = parse_hash(hash, "hash")?;
        let published = self.checkpoint().head.size;
        let index = match self.store().find_leaf(&h).map_err(storage)? {
            Some(i) => Some(i),
            None => {
                // Not indexed yet: scan the tail the indexer has not reached.
                let from = self.store().leaf_index_watermark().map_err(storage)?;
                super::sequencer::leaf_hashes(self.store(), from.min(published), published)
                    .map_err(ProofError::Storage)?
                    .iter()
                    .position(|l| *l == h)
                    .map(|p| from + p as u64)
            }
        };
        let index = index
            .filter(|i| *i < published)
            .ok_or_else(|| ProofError::UnknownLeaf(b64(&h)))?;
        self.inclusion_proof(index, size)
    }

    /// Consistency proof from tree size `from` to `to` (default: the latest checkpoint).
    pub fn consistency_proof(
        &self,
        from: u64,
        to: Option<u64>,
    ) -> Result<ConsistencyProof, ProofError> {
        let cp = self.checkpoint();
        let to = self.checked_size(&cp, to)?;
        if from == 0 || from > to {
            return Err(ProofError::OutOfRange {
                what: "from",
                value: from,
                rule: format!("must be 1..={to}"),
            });
        }
        let reader = TileHashes::new(self.store());
        let proof = prove_tree(to, from, &reader).map_err(storage)?;
        let from_root = tlog_tiles::tree_hash(from, &reader).map_err(storage)?;
        Ok(ConsistencyProof {
            from,
            to,
            from_root: b64(&from_root),
            to_root: b64(&self.root_at(&cp, to)?),
            proof: proof.iter().map(b64).collect(),
            checkpoint: String::from_utf8_lossy(&cp.note).into_owned(),
        })
    }

    /// The bytes of a tile as covered by the latest checkpoint; `None` if that checkpoint does
    /// not cover the requested width (a full tile of a partial position, or beyond the tree).
    pub fn read_tile(&self, id: TileId) -> Result<Option<Vec<u8>>, ProofError> {
        read_tile(self.store(), self.checkpoint().head.size, id)
    }

    /// The bytes of entry `index`, if the latest checkpoint covers it.
    pub fn entry(&self, index: LeafIndex) -> Result<Option<Vec<u8>>, ProofError> {
        if index >= self.checkpoint().head.size {
            return Ok(None);
        }
        // The bundle is read in place and only the one entry copied out.
        let mut out = Ok(None);
        self.store()
            .visit_bundle(index / 256, &mut |bundle| {
                if let Some(bundle) = bundle {
                    out = split_bundle(bundle)
                        .map(|entries| entries.get((index % 256) as usize).map(|e| e.to_vec()));
                }
            })
            .map_err(storage)?;
        out.map_err(storage)
    }
}

impl InclusionProof {
    /// Checks the proof against its own root hash (and, if given, the entry bytes).
    pub fn verify(&self, entry: Option<&[u8]>) -> Result<(), ProofError> {
        let leaf = parse_hash(&self.leaf_hash, "leaf_hash")?;
        if let Some(e) = entry
            && tlog_tiles::record_hash(e) != leaf
        {
            return Err(ProofError::Invalid(
                "the entry does not hash to leaf_hash".into(),
            ));
        }
        let root = parse_hash(&self.root_hash, "root_hash")?;
        check_record(
            &parse_hashes(&self.proof)?,
            self.tree_size,
            root,
            self.index,
            leaf,
        )
        .map_err(|e| ProofError::Invalid(e.to_string()))
    }
}

impl ConsistencyProof {
    /// Checks that the tree of `to` with `to_root` extends the tree of `from` with `from_root`.
    pub fn verify(&self) -> Result<(), ProofError> {
        check_tree(
            &parse_hashes(&self.proof)?,
            self.to,
            parse_hash(&self.to_root, "to_root")?,
            self.from,
            parse_hash(&self.from_root, "from_root")?,
        )
        .map_err(|e| ProofError::Invalid(e.to_string()))
    }
}

/// The bytes of tile `id` as a tree of `size` has them: a stored tile may be wider than the
/// requested width (tiles only grow at their end), so it is cut to exactly that width.
pub fn read_tile(
    store: &dyn crate::store::Store,
    size: u64,
    id: TileId,
) -> Result<Option<Vec<u8>>, ProofError> {
    let want = u64::from(id.width());
    if id.available_width(size) < want {
        return Ok(None);
    }
    match id {
        TileId::Hashes { level, n, .. } => {
            let data = store.read_tiles(&[(level, n)]).map_err(storage)?;
            let Some(Some(data)) = data.into_iter().next() else {
                return Ok(None);
            };
            let level0 = super::stored_tile::level0(&data)
                .ok_or_else(|| ProofError::Storage(format!("{} is stored malformed", id.path())))?;
            if (level0.len() as u64) < want * 32 {
                return Err(ProofError::Storage(format!(
                    "{} is stored with only {} hashes",
                    id.path(),
                    level0.len() / 32
                )));
            }
            Ok(Some(level0[..want as usize * 32].to_vec()))
        }
        TileId::Entries { n, .. } => {
            let Some(data) = store.read_bundle(n).map_err(storage)? else {
                return Ok(None);
            };
            // Keep exactly `want` entries: the stored bundle may be wider. A bundle too damaged
            // to split is served as stored, so that an auditor can see and name it.
            let Ok(entries) = split_bundle(&data) else {
                return Ok(Some(data));
            };
            let len: usize = entries
                .iter()
                .take(want as usize)
                .map(|e| e.len() + 2)
                .sum();
            Ok(Some(data[..len].to_vec()))
        }
    }
}
