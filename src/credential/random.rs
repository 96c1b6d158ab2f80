//! Random bytes for the per-credential values of issuance — ids, claim salts, data keys and
//! AEAD nonces — drawn from the operating system's CSPRNG a block at a time.
//!
//! A credential needs some twenty random values; one `getrandom` call for each was a tenth of
//! bulk issuance's time. Here every thread keeps a 4 KiB block from the kernel and hands out each
//! byte exactly once, wiping it as it goes, so the output is the kernel's own randomness, only
//! fetched in fewer calls. Long-lived keys (issuer, log, master, account secrets) still come
//! straight from `OsRng`.

use rand_core::RngCore;
use std::cell::RefCell;

const BLOCK: usize = 4096;

struct Pool {
    bytes: Box<[u8; BLOCK]>,
    /// Bytes before `used` were handed out (and wiped).
    used: usize,
}

thread_local! {
    static POOL: RefCell<Pool> = RefCell::new(Pool { bytes: Box::new([0; BLOCK]), used: BLOCK });
}

/// Fills `dest` with random bytes from the kernel's CSPRNG.
pub fn fill(dest: &mut [u8]) {
    if dest.len() > BLOCK / 4 {
        rand_core::OsRng.fill_bytes(dest);
        return;
    }
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        let mut filled = 0;
        while filled < dest.len() {
            if pool.used == BLOCK {
                rand_core::OsRng.fill_bytes(&mut pool.bytes[..]);
                pool.used = 0;
            }
            let take = (dest.len() - filled).min(BLOCK - pool.used);
            let from = pool.used;
            dest[filled..filled + take].copy_from_slice(&pool.bytes[from..from + take]);
            pool.bytes[from..from + take].fill(0);
            pool.used += take;
            filled += take;
        }
    });
}

/// `N` random bytes.
pub fn bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    fill(&mut b);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_differ_and_span_block_boundaries() {
        let mut seen = std::collections::HashSet::new();
        // 1,000 × 16 bytes crosses several 4 KiB blocks; no value may repeat.
        for _ in 0..1000 {
            assert!(seen.insert(bytes::<16>()), "a 128-bit value repeated");
        }
        // Odd sizes straddling a refill still come out whole and non-zero overall.
        for n in [1usize, 7, 33, 1000, 1025, 5000] {
            let mut v = vec![0u8; n];
            fill(&mut v);
            assert!(n < 8 || v.iter().any(|&b| b != 0), "{n} bytes all zero");
        }
    }

    #[test]
    fn bytes_look_uniform() {
        // 64 KiB: every byte value appears, none wildly over-represented (a stuck or
        // wiped-before-use pool would fail this).
        let mut counts = [0u32; 256];
        for _ in 0..4096 {
            for b in bytes::<16>() {
                counts[b as usize] += 1;
            }
        }
        let (min, max) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
        assert!(
            *min > 150 && *max < 380,
            "byte counts {min}..{max} for mean 256"
        );
    }
}
