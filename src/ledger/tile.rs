//! C2SP tlog-tiles coordinates: `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]`.
//!
//! The tile height is fixed at 8 by c2sp.org/tlog-tiles, so unlike Go's sumdb paths the height
//! is not part of the path. `<N>` is written in groups of three digits, every group but the last
//! prefixed with `x` (`1234067` → `x001/x234/067`); `.p/<W>` marks a partial tile of width
//! `1 ≤ W < 256`. A full tile never changes once written; a partial one only grows at its end,
//! so any narrower partial tile is a prefix of a wider one.

use std::fmt;

/// Tile height fixed by c2sp.org/tlog-tiles.
pub const TILE_HEIGHT: u8 = 8;
/// Hashes in a full tile, and entries in a full bundle.
pub const TILE_WIDTH: u64 = 1 << TILE_HEIGHT;
/// Highest tile level: 63 levels of 8 bits would already exceed a u64 tree size.
pub const MAX_LEVEL: u8 = 63;

/// One C2SP tile: a hash tile at a level, or an entry bundle. `width` is 1..=256.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TileId {
    Hashes { level: u8, n: u64, width: u16 },
    Entries { n: u64, width: u16 },
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("bad tile path {path:?}: {reason}")]
pub struct TilePathError {
    pub path: String,
    pub reason: String,
}

impl TileId {
    pub fn width(&self) -> u16 {
        match self {
            TileId::Hashes { width, .. } | TileId::Entries { width, .. } => *width,
        }
    }

    pub fn n(&self) -> u64 {
        match self {
            TileId::Hashes { n, .. } | TileId::Entries { n, .. } => *n,
        }
    }

    pub fn is_full(&self) -> bool {
        u64::from(self.width()) == TILE_WIDTH
    }

    /// The path relative to the log prefix, e.g. `tile/0/x001/234.p/17`.
    pub fn path(&self) -> String {
        self.to_string()
    }

    /// Parses a path relative to the log prefix. Only the canonical spelling is accepted, so
    /// each tile has exactly one path (and one cache entry).
    pub fn parse(path: &str) -> Result<Self, TilePathError> {
        let bad = |reason: &str| TilePathError {
            path: path.chars().take(120).collect(),
            reason: reason.to_string(),
        };
        if path.len() > 100 {
            return Err(bad("longer than any tile path"));
        }
        let rest = path
            .strip_prefix("tile/")
            .ok_or_else(|| bad("must start with tile/"))?;
        let (level, rest) = rest
            .split_once('/')
            .ok_or_else(|| bad("expected tile/<L>/<N> or tile/entries/<N>"))?;
        let (n_part, width) = match rest.split_once(".p/") {
            Some((n_part, w)) => {
                let w: u16 = w
                    .parse()
                    .map_err(|_| bad("partial width after .p/ must be a number 1..255"))?;
                if w == 0 || u64::from(w) >= TILE_WIDTH {
                    return Err(bad("partial width after .p/ must be 1..255"));
                }
                (n_part, w)
            }
            None => (rest, TILE_WIDTH as u16),
        };
        let groups: Vec<&str> = n_part.split('/').collect();
        let mut n: u64 = 0;
        for (i, g) in groups.iter().enumerate() {
            let last = i + 1 == groups.len();
            let digits = if last {
                *g
            } else {
                g.strip_prefix('x')
                    .ok_or_else(|| bad("every group of N but the last starts with x"))?
            };
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("N is written in groups of exactly three digits"));
            }
            let d: u64 = digits.parse().map_err(|_| bad("N is not a number"))?;
            n = n
                .checked_mul(1000)
                .and_then(|n| n.checked_add(d))
                .ok_or_else(|| bad("N is too large"))?;
        }
        let id = if level == "entries" {
            TileId::Entries { n, width }
        } else {
            let level: u8 = level
                .parse()
                .map_err(|_| bad("level must be a number 0..63 or \"entries\""))?;
            if level > MAX_LEVEL {
                return Err(bad("level must be 0..63"));
            }
            TileId::Hashes { level, n, width }
        };
        // Reject non-canonical spellings such as leading zero groups (x000/001).
        if id.path() != path {
            return Err(bad("not the canonical spelling of this tile's path"));
        }
        Ok(id)
    }

    /// How many hashes (or entries) of this tile's position a tree of `size` holds, 0..=256.
    pub fn available_width(&self, size: u64) -> u64 {
        let count = match self {
            TileId::Hashes { level, .. } => {
                let shift = u32::from(*level) * u32::from(TILE_HEIGHT);
                if shift >= 64 { 0 } else { size >> shift }
            }
            TileId::Entries { .. } => size,
        };
        let start = self.n().saturating_mul(TILE_WIDTH);
        count.saturating_sub(start).min(TILE_WIDTH)
    }
}

impl fmt::Display for TileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self {
            TileId::Hashes { level, .. } => level.to_string(),
            TileId::Entries { .. } => "entries".to_string(),
        };
        let mut n = self.n();
        let mut n_str = format!("{:03}", n % 1000);
        while n >= 1000 {
            n /= 1000;
            n_str = format!("x{:03}/{n_str}", n % 1000);
        }
        write!(f, "tile/{level}/{n_str}")?;
        if !self.is_full() {
            write!(f, ".p/{}", self.width())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_c2sp_examples() {
        // Examples from c2sp.org/tlog-tiles.
        let t = TileId::Hashes {
            level: 0,
            n: 1234067,
            width: 256,
        };
        assert_eq!(t.path(), "tile/0/x001/x234/067");
        let t = TileId::Hashes {
            level: 1,
            n: 1234067,
            width: 8,
        };
        assert_eq!(t.path(), "tile/1/x001/x234/067.p/8");
        let e = TileId::Entries { n: 48, width: 256 };
        assert_eq!(e.path(), "tile/entries/048");
        for p in [
            "tile/0/x001/x234/067",
            "tile/1/x001/x234/067.p/8",
            "tile/entries/000.p/1",
            "tile/63/999",
        ] {
            assert_eq!(TileId::parse(p).unwrap().path(), p);
        }
    }

    #[test]
    fn malformed_paths_are_refused_with_a_reason() {
        for p in [
            "tile/0/1",
            "tile/0/x000/001",
            "tile/0/001.p/0",
            "tile/0/001.p/256",
            "tile/64/001",
            "tile/8/0/001",
            "tile/data/001",
            "tiles/0/001",
            "tile/0/x999/x999/x999/x999/x999/x999/x999/999",
            "tile/0/001/",
            "tile/0/-01",
        ] {
            let err = TileId::parse(p).expect_err(p);
            assert!(!err.reason.is_empty());
        }
    }

    #[test]
    fn available_width_counts_what_a_tree_holds() {
        let t = |level, n| TileId::Hashes {
            level,
            n,
            width: 256,
        };
        assert_eq!(t(0, 0).available_width(10), 10);
        assert_eq!(t(0, 0).available_width(300), 256);
        assert_eq!(t(0, 1).available_width(300), 44);
        assert_eq!(t(0, 2).available_width(300), 0);
        assert_eq!(t(1, 0).available_width(300), 1);
        assert_eq!(t(1, 0).available_width(255), 0);
        assert_eq!(TileId::Entries { n: 1, width: 1 }.available_width(257), 1);
    }
}
