//! The Merkle log, and nothing else: RFC 9162 hashing, the sequencer, C2SP tlog-tiles,
//! C2SP checkpoints signed per C2SP signed-note, inclusion and consistency proofs, and audit.
//!
//! Entries are versioned opaque bytes: this module knows nothing of credentials, issuers or
//! documents, and imports nothing from the modules that do.
//!
//! The Merkle tree arithmetic comes from the `tlog_tiles` crate (Cloudflare's port of Go's
//! `sumdb/tlog`, which CT logs run in production); signatures from `signed_note`.

pub mod audit;
pub mod checkpoint;
pub mod entry;
mod hashes;
pub mod metrics;
pub mod proof;
mod sequencer;
mod stored_tile;
#[cfg(test)]
mod tests;
pub mod tile;

pub use checkpoint::{LogSigner, LogVerifier, SignedCheckpoint, generate_log_key};
pub use entry::{Entry, EntryError};
pub use proof::{ConsistencyProof, InclusionProof, ProofError};
pub use sequencer::{
    AppendError, AppendReceipt, LeafIndex, LedgerError, Log, LogConfig, tile_ids_for_size,
};
pub use tile::TileId;
pub use tlog_tiles::Hash;
