//! Ledger entries and C2SP entry bundles.
//!
//! An entry is opaque to the ledger apart from its first byte, a format version, so that later
//! versions of Tanba keep reading what earlier ones wrote. Version 1 is `0x01 ‖ payload`.
//! Upper layers (registry, credentials) define what the payload means; the ledger never looks.
//!
//! An entry bundle is the concatenation of up to 256 entries, each prefixed by its length as a
//! big-endian uint16 (c2sp.org/tlog-tiles, "Log Entries"):
//!
//! ```text
//! struct { opaque data<0..2^16-1>; } TileLeaf;   // one per entry, 256 in a full bundle
//! ```

/// The only entry format version this build writes.
pub const ENTRY_VERSION_1: u8 = 0x01;

/// Largest entry, version byte included: the bundle's uint16 length prefix bounds it.
pub const MAX_ENTRY_LEN: usize = u16::MAX as usize;

/// A validated ledger entry: version byte and payload, at most [`MAX_ENTRY_LEN`] bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry(pub(super) Vec<u8>);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EntryError {
    #[error("entry is {len} bytes with its version byte; the limit is {MAX_ENTRY_LEN}")]
    TooLarge { len: usize },
    #[error("entry is empty; it needs at least the version byte")]
    Empty,
    #[error("entry version {0:#04x} is unknown; this build reads version 0x01")]
    UnknownVersion(u8),
    #[error("entry bundle is truncated at byte {at}: {what}")]
    TruncatedBundle { at: usize, what: &'static str },
    #[error("entry bundle holds {count} entries; a bundle holds at most 256")]
    OverfullBundle { count: usize },
}

impl Entry {
    /// Wraps `payload` as a version-1 entry.
    pub fn v1(payload: &[u8]) -> Result<Self, EntryError> {
        let len = payload.len() + 1;
        if len > MAX_ENTRY_LEN {
            return Err(EntryError::TooLarge { len });
        }
        let mut bytes = Vec::with_capacity(len);
        bytes.push(ENTRY_VERSION_1);
        bytes.extend_from_slice(payload);
        Ok(Self(bytes))
    }

    /// Parses stored entry bytes, checking the version and size.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EntryError> {
        match bytes.first() {
            None => Err(EntryError::Empty),
            Some(&ENTRY_VERSION_1) if bytes.len() <= MAX_ENTRY_LEN => Ok(Self(bytes.to_vec())),
            Some(&ENTRY_VERSION_1) => Err(EntryError::TooLarge { len: bytes.len() }),
            Some(&v) => Err(EntryError::UnknownVersion(v)),
        }
    }

    /// The full entry bytes, as hashed into the tree (version byte included).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn version(&self) -> u8 {
        self.0[0]
    }

    /// What the layer above wrote.
    pub fn payload(&self) -> &[u8] {
        &self.0[1..]
    }
}

/// Appends one entry, length-prefixed, to a bundle under construction.
pub fn push_to_bundle(bundle: &mut Vec<u8>, entry: &[u8]) {
    // Entry guarantees len ≤ u16::MAX.
    bundle.extend_from_slice(&(entry.len() as u16).to_be_bytes());
    bundle.extend_from_slice(entry);
}

/// Splits a bundle into its entries' bytes (without checking versions: an auditor must be able
/// to hash whatever the log holds).
pub fn split_bundle(bundle: &[u8]) -> Result<Vec<&[u8]>, EntryError> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bundle.len() {
        if bundle.len() - at < 2 {
            return Err(EntryError::TruncatedBundle {
                at,
                what: "length prefix cut short",
            });
        }
        let len = u16::from_be_bytes([bundle[at], bundle[at + 1]]) as usize;
        at += 2;
        if bundle.len() - at < len {
            return Err(EntryError::TruncatedBundle {
                at,
                what: "entry shorter than its length prefix",
            });
        }
        out.push(&bundle[at..at + len]);
        at += len;
        if out.len() > 256 {
            return Err(EntryError::OverfullBundle { count: out.len() });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_round_trip_keeps_order_and_bytes() {
        let entries: Vec<Entry> = (0..5u8)
            .map(|i| Entry::v1(&vec![i; i as usize * 100]).unwrap())
            .collect();
        let mut bundle = Vec::new();
        for e in &entries {
            push_to_bundle(&mut bundle, e.as_bytes());
        }
        let back = split_bundle(&bundle).unwrap();
        assert_eq!(back.len(), 5);
        for (e, b) in entries.iter().zip(back) {
            assert_eq!(e.as_bytes(), b);
        }
        assert!(split_bundle(&bundle[..bundle.len() - 1]).is_err());
    }

    #[test]
    fn entry_limits_and_versions_are_enforced() {
        assert!(Entry::v1(&vec![0; MAX_ENTRY_LEN - 1]).is_ok());
        assert_eq!(
            Entry::v1(&vec![0; MAX_ENTRY_LEN]),
            Err(EntryError::TooLarge {
                len: MAX_ENTRY_LEN + 1
            })
        );
        assert_eq!(Entry::from_bytes(&[]), Err(EntryError::Empty));
        assert_eq!(
            Entry::from_bytes(&[2, 0]),
            Err(EntryError::UnknownVersion(2))
        );
        assert_eq!(Entry::from_bytes(&[1, 7]).unwrap().payload(), &[7]);
    }
}
