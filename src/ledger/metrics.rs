//! Counters and histograms the sequencer updates and `/metrics` renders (Prometheus text 0.0.4).
//! A handful of atomics: cheaper and more transparent than a metrics framework for five series.

use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// A fixed-bucket histogram of non-negative values.
pub struct Histogram {
    bounds: &'static [f64],
    counts: Vec<AtomicU64>,
    sum_micros: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    pub fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            counts: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            sum_micros: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, v: f64) {
        for (b, c) in self.bounds.iter().zip(&self.counts) {
            if v <= *b {
                c.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.sum_micros
            .fetch_add((v * 1e6) as u64, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (b, c) in self.bounds.iter().zip(&self.counts) {
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{b}\"}} {}",
                c.load(Ordering::Relaxed)
            );
        }
        let count = self.count();
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {count}");
    }
}

const BATCH_BOUNDS: &[f64] = &[1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0];
const LATENCY_BOUNDS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

/// What the ledger reports about itself.
pub struct Metrics {
    pub tree_size: AtomicU64,
    pub checkpoint_size: AtomicU64,
    pub checkpoints_signed: AtomicU64,
    pub batch_size: Histogram,
    pub append_latency: Histogram,
    checkpoint_at: Mutex<Instant>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            tree_size: AtomicU64::new(0),
            checkpoint_size: AtomicU64::new(0),
            checkpoints_signed: AtomicU64::new(0),
            batch_size: Histogram::new(BATCH_BOUNDS),
            append_latency: Histogram::new(LATENCY_BOUNDS),
            checkpoint_at: Mutex::new(Instant::now()),
        }
    }
}

impl Metrics {
    /// Records the checkpoint found in the store at start.
    pub fn checkpoint_loaded(&self, size: u64) {
        self.checkpoint_size.store(size, Ordering::Relaxed);
    }

    pub fn checkpoint_published(&self, size: u64) {
        self.checkpoint_size.store(size, Ordering::Relaxed);
        self.checkpoints_signed.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut at) = self.checkpoint_at.lock() {
            *at = Instant::now();
        }
    }

    /// Seconds since this process last published a checkpoint (or started).
    pub fn checkpoint_age_seconds(&self) -> f64 {
        self.checkpoint_at
            .lock()
            .map(|at| at.elapsed().as_secs_f64())
            .unwrap_or(0.0)
    }

    /// Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let gauge = |out: &mut String, name: &str, help: &str, v: String| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        };
        gauge(
            &mut out,
            "tanba_ledger_entries",
            "Entries durably committed to the ledger.",
            self.tree_size.load(Ordering::Relaxed).to_string(),
        );
        gauge(
            &mut out,
            "tanba_ledger_checkpoint_size",
            "Tree size of the latest published checkpoint.",
            self.checkpoint_size.load(Ordering::Relaxed).to_string(),
        );
        gauge(
            &mut out,
            "tanba_ledger_checkpoint_age_seconds",
            "Seconds since the latest checkpoint was published by this process.",
            format!("{:.3}", self.checkpoint_age_seconds()),
        );
        let _ = writeln!(
            out,
            "# HELP tanba_ledger_checkpoints_signed_total Checkpoints signed by this process.\n# TYPE tanba_ledger_checkpoints_signed_total counter\ntanba_ledger_checkpoints_signed_total {}",
            self.checkpoints_signed.load(Ordering::Relaxed)
        );
        self.batch_size.render(
            &mut out,
            "tanba_ledger_batch_size",
            "Entries per durable commit.",
        );
        self.append_latency.render(
            &mut out,
            "tanba_ledger_append_latency_seconds",
            "Time from entering the pool to the durable commit.",
        );
        out
    }
}
