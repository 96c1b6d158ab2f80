//! How a hash tile is kept in the store: its level-0 hashes (exactly what C2SP serves) followed
//! by the interior nodes of levels 1..7, so that every stored hash is one lookup instead of up
//! to 255 SHA-256 computations at read time. This is what makes proofs cheap at 10M entries.
//!
//! ```text
//! uint16 width W (1..=256, big-endian)
//! opaque level0[W][32]
//! opaque level_k[W >> k][32]   for k = 1..7; node j = H(0x01 ‖ level_{k-1}[2j] ‖ level_{k-1}[2j+1])
//! ```

use super::tile::TILE_HEIGHT;
use tlog_tiles::{Hash, node_hash};

/// Builds the stored form from the level-0 hashes of a tile.
pub fn encode(level0: &[u8]) -> Vec<u8> {
    let width = level0.len() / 32;
    let mut out = Vec::with_capacity(2 + level0.len() * 2);
    out.extend_from_slice(&(width as u16).to_be_bytes());
    out.extend_from_slice(level0);
    let mut prev_start = 2;
    let mut prev_count = width;
    for _ in 1..TILE_HEIGHT {
        let count = prev_count / 2;
        let start = out.len();
        for j in 0..count {
            let l = prev_start + 64 * j;
            let (mut left, mut right) = ([0u8; 32], [0u8; 32]);
            left.copy_from_slice(&out[l..l + 32]);
            right.copy_from_slice(&out[l + 32..l + 64]);
            out.extend_from_slice(&node_hash(Hash(left), Hash(right)).0);
        }
        prev_start = start;
        prev_count = count;
    }
    out
}

/// The tile's width, if the stored bytes are long enough to hold what it claims.
pub fn width(data: &[u8]) -> Option<usize> {
    let w = usize::from(u16::from_be_bytes([*data.first()?, *data.get(1)?]));
    ((1..=256).contains(&w) && data.len() >= 2 + 32 * w).then_some(w)
}

/// The level-0 hashes: the bytes C2SP serves for this tile.
pub fn level0(data: &[u8]) -> Option<&[u8]> {
    let w = width(data)?;
    Some(&data[2..2 + 32 * w])
}

/// Node `pos` of level `k` (0..8) within the tile.
pub fn node(data: &[u8], k: u8, pos: u64) -> Option<Hash> {
    let w = width(data)?;
    let mut offset = 2;
    let mut count = w;
    for _ in 0..k {
        offset += 32 * count;
        count /= 2;
    }
    if pos >= count as u64 {
        return None;
    }
    let at = offset + 32 * pos as usize;
    Some(Hash(data.get(at..at + 32)?.try_into().ok()?))
}

/// Checks that the interior nodes are what the level-0 hashes imply.
pub fn is_consistent(data: &[u8]) -> bool {
    level0(data).is_some_and(|l0| encode(l0) == data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tlog_tiles::{Tile, record_hash};

    #[test]
    fn nodes_equal_subtree_hashes_and_tampering_is_seen() {
        for w in [1usize, 2, 3, 7, 128, 200, 256] {
            let level0: Vec<u8> = (0..w as u32)
                .flat_map(|i| record_hash(&i.to_be_bytes()).0)
                .collect();
            let data = encode(&level0);
            assert_eq!(width(&data), Some(w));
            assert_eq!(super::level0(&data), Some(&level0[..]));
            for k in 0..8u8 {
                let span = 1usize << k;
                for pos in 0..(w / span) as u64 {
                    let s = pos as usize * span * 32;
                    let want = Tile::subtree_hash(&level0[s..s + span * 32]);
                    assert_eq!(node(&data, k, pos), Some(want), "w={w} k={k} pos={pos}");
                }
                assert_eq!(node(&data, k, (w / span) as u64), None);
            }
            assert!(is_consistent(&data));
            let mut bad = data.clone();
            let last = bad.len() - 1;
            bad[last] ^= 1;
            assert!(w == 1 || !is_consistent(&bad));
        }
    }
}
