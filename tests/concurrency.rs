//! Many appenders at once: indexes are unique and dense, and each holds what its caller sent.

mod common;

use std::sync::Arc;
use tanba::ledger::Entry;

#[test]
fn concurrent_appenders_get_unique_dense_indexes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::init(tmp.path());
    let log = Arc::new(dir.open_log().unwrap());
    const THREADS: u64 = 16;
    const EACH: u64 = 500;
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let log = log.clone();
            std::thread::spawn(move || {
                (0..EACH)
                    .map(|k| {
                        let body = format!("thread {t} entry {k}");
                        let i = log
                            .append_blocking(Entry::v1(body.as_bytes()).unwrap())
                            .unwrap();
                        (i, body)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    // And async appenders on a runtime at the same time.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let async_results: Vec<(u64, String)> = rt.block_on(async {
        let tasks: Vec<_> = (0..EACH)
            .map(|k| {
                let log = log.clone();
                tokio::spawn(async move {
                    let body = format!("async entry {k}");
                    (
                        log.append(Entry::v1(body.as_bytes()).unwrap())
                            .await
                            .unwrap(),
                        body,
                    )
                })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    });
    let mut all: Vec<(u64, String)> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    all.extend(async_results);
    all.sort();
    let total = (THREADS + 1) * EACH;
    assert_eq!(all.len() as u64, total);
    for (expected, (i, _)) in all.iter().enumerate() {
        assert_eq!(*i, expected as u64, "indexes must be unique and dense");
    }
    let cp = log.checkpoint_now_blocking().unwrap();
    assert_eq!(cp.head.size, total);
    for (i, body) in &all {
        assert_eq!(log.entry(*i).unwrap().unwrap()[1..], *body.as_bytes());
    }
    // Concurrency produced real batches, not one commit per entry.
    let m = log.metrics();
    assert_eq!(m.append_latency.count(), total);
    assert!(m.batch_size.count() < total, "no group commit happened");
}
