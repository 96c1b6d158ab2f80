//! Per-client-address token buckets for the anonymous endpoints (verification API and page).
//!
//! Each address gets `burst` tokens, refilled at `rate` per second; a request costs one token
//! per document it verifies. An empty bucket answers 429 with `Retry-After` (whole seconds
//! until enough tokens are back). Idle buckets are dropped once the table grows large, so a
//! scan from many addresses cannot grow memory without bound.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// Buckets kept before the full ones are dropped.
const PRUNE_AT: usize = 100_000;

struct Bucket {
    tokens: f64,
    at: Instant,
}

pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl RateLimiter {
    /// `rate` tokens per second per address, at most `burst` saved up. A rate of 0 disables
    /// limiting.
    pub fn new(rate: u32, burst: u32) -> Self {
        RateLimiter {
            rate: rate as f64,
            burst: burst.max(1) as f64,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn burst(&self) -> u32 {
        self.burst as u32
    }

    /// Takes `cost` tokens for `addr`, or says in how many seconds to retry.
    pub fn take(&self, addr: IpAddr, cost: u32) -> Result<(), u64> {
        self.take_at(addr, cost, Instant::now())
    }

    fn take_at(&self, addr: IpAddr, cost: u32, now: Instant) -> Result<(), u64> {
        if self.rate == 0.0 {
            return Ok(());
        }
        let cost = cost as f64;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= PRUNE_AT {
            let (rate, burst) = (self.rate, self.burst);
            buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * rate < burst
            });
        }
        let b = buckets.entry(addr).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * self.rate).min(self.burst);
        b.at = now;
        if b.tokens >= cost {
            b.tokens -= cost;
            Ok(())
        } else {
            Err(((cost - b.tokens) / self.rate).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn buckets_drain_refill_and_are_per_address() {
        let l = RateLimiter::new(10, 20);
        let t0 = Instant::now();
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        assert!(l.take_at(a, 15, t0).is_ok());
        assert!(l.take_at(a, 5, t0).is_ok());
        // Empty: one token is 0.1 s away, which rounds up to a whole second.
        assert_eq!(l.take_at(a, 1, t0), Err(1));
        // Another address has its own bucket.
        assert!(l.take_at(b, 20, t0).is_ok());
        // Half a second refills five tokens, no more.
        let t1 = t0 + Duration::from_millis(500);
        assert!(l.take_at(a, 5, t1).is_ok());
        assert!(l.take_at(a, 1, t1).is_err());
        // A cost above the burst can never pass; it is told how long a full refill takes.
        assert_eq!(l.take_at(a, 30, t1 + Duration::from_secs(60)), Err(1));
        // Rate 0: no limit.
        let off = RateLimiter::new(0, 1);
        assert!(off.take_at(a, 1_000_000, t0).is_ok());
    }
}
