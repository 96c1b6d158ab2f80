//! The HTTP API: tiles equal what a client recomputes from the entries, proofs verify, caching
//! headers are right, and malformed requests get a 4xx with a JSON error, never a 500.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use std::sync::Arc;
use tanba::http::{AppState, app};
use tanba::ledger::{ConsistencyProof, Entry, InclusionProof, Log};
use tlog_tiles::{Tile, record_hash};
use tower::ServiceExt;

struct Fixture {
    _tmp: tempfile::TempDir,
    log: Arc<Log>,
    entries: Vec<Vec<u8>>,
}

fn fixture(n: u32) -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::init(tmp.path());
    let log = Arc::new(dir.open_log().unwrap());
    let entries: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            Entry::v1(format!("entry number {i}").as_bytes())
                .unwrap()
                .as_bytes()
                .to_vec()
        })
        .collect();
    let rxs: Vec<_> = entries
        .iter()
        .map(|e| log.submit_waiting(Entry::from_bytes(e).unwrap()).unwrap())
        .collect();
    for rx in rxs {
        rx.wait().unwrap();
    }
    log.checkpoint_now_blocking().unwrap();
    Fixture {
        _tmp: tmp,
        log,
        entries,
    }
}

async fn get(log: &Arc<Log>, uri: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let resp = app(AppState {
        log: log.clone(),
        services: None,
    })
    .oneshot(Request::get(uri).body(Body::empty()).unwrap())
    .await
    .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiles_equal_what_a_client_recomputes_from_the_entries() {
    let f = tokio::task::spawn_blocking(|| fixture(700)).await.unwrap();
    // Level 0 from the served entry bundles, hashed by the client.
    let mut leaves = Vec::new();
    for (n, width) in [(0u64, 256u16), (1, 256), (2, 188)] {
        let path = if width == 256 {
            format!("/ledger/tile/entries/{n:03}")
        } else {
            format!("/ledger/tile/entries/{n:03}.p/{width}")
        };
        let (s, _, bundle) = get(&f.log, &path).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        let mut rest = &bundle[..];
        while !rest.is_empty() {
            let len = u16::from_be_bytes([rest[0], rest[1]]) as usize;
            leaves.push(record_hash(&rest[2..2 + len]));
            rest = &rest[2 + len..];
        }
    }
    assert_eq!(leaves.len(), 700);
    for (i, l) in leaves.iter().enumerate() {
        assert_eq!(*l, record_hash(&f.entries[i]));
    }
    let mut level1 = Vec::new();
    for (n, path) in [
        (0usize, "/ledger/tile/0/000"),
        (1, "/ledger/tile/0/001"),
        (2, "/ledger/tile/0/002.p/188"),
    ] {
        let (s, h, tile) = get(&f.log, path).await;
        assert_eq!(s, StatusCode::OK);
        let want: Vec<u8> = leaves[n * 256..(n * 256 + 256).min(700)]
            .iter()
            .flat_map(|h| h.0)
            .collect();
        assert_eq!(tile, want, "{path}");
        let cache = h["cache-control"].to_str().unwrap();
        if path.contains(".p/") {
            assert!(
                !cache.contains("immutable"),
                "partial tiles are short-lived"
            );
        } else {
            assert_eq!(cache, "public, max-age=31536000, immutable");
            level1.push(Tile::subtree_hash(&tile));
        }
    }
    let (s, _, tile) = get(&f.log, "/ledger/tile/1/000.p/2").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(tile, level1.iter().flat_map(|h| h.0).collect::<Vec<u8>>());
    // A narrower partial tile than the tree has is served as the prefix.
    let (_, _, narrow) = get(&f.log, "/ledger/tile/0/002.p/5").await;
    assert_eq!(
        narrow,
        leaves[512..517]
            .iter()
            .flat_map(|h| h.0)
            .collect::<Vec<u8>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoint_vkey_and_proofs_verify() {
    let f = tokio::task::spawn_blocking(|| fixture(300)).await.unwrap();
    let (s, _, cp) = get(&f.log, "/ledger/checkpoint").await;
    assert_eq!(s, StatusCode::OK);
    let (_, _, vkey) = get(&f.log, "/ledger/vkey").await;
    let verifier = tanba::ledger::LogVerifier::new(std::str::from_utf8(&vkey).unwrap()).unwrap();
    let cp = verifier.open(&cp).unwrap();
    assert_eq!(cp.head.size, 300);

    let (s, _, body) = get(&f.log, "/ledger/proof/inclusion?index=123").await;
    assert_eq!(s, StatusCode::OK);
    let p: InclusionProof = serde_json::from_slice(&body).unwrap();
    p.verify(Some(&f.entries[123])).unwrap();
    assert!(p.verify(Some(&f.entries[124])).is_err());

    let leaf = hex::encode(record_hash(&f.entries[77]).0);
    let (s, _, body) = get(
        &f.log,
        &format!("/ledger/proof/inclusion?hash={leaf}&size=200"),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let p: InclusionProof = serde_json::from_slice(&body).unwrap();
    assert_eq!((p.index, p.tree_size), (77, 200));
    p.verify(Some(&f.entries[77])).unwrap();

    let (s, _, body) = get(&f.log, "/ledger/proof/consistency?from=17&to=300").await;
    assert_eq!(s, StatusCode::OK);
    let p: ConsistencyProof = serde_json::from_slice(&body).unwrap();
    p.verify().unwrap();

    let (s, _, body) = get(&f.log, "/healthz").await;
    assert_eq!(s, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains("\"tree_size\":300"));
    let (_, _, body) = get(&f.log, "/metrics").await;
    let text = String::from_utf8(body).unwrap();
    for name in [
        "tanba_ledger_entries 300",
        "tanba_ledger_batch_size_bucket",
        "tanba_ledger_append_latency_seconds_count",
        "tanba_ledger_checkpoint_age_seconds",
    ] {
        assert!(text.contains(name), "metrics lack {name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_4xx_json_errors_never_500() {
    let f = tokio::task::spawn_blocking(|| fixture(300)).await.unwrap();
    let cases: &[(&str, u16)] = &[
        ("/ledger/tile/0/x000/001", 400),
        ("/ledger/tile/0/1", 400),
        ("/ledger/tile/0/000.p/0", 400),
        ("/ledger/tile/0/000.p/999", 400),
        ("/ledger/tile/64/000", 400),
        ("/ledger/tile/abc/000", 400),
        (
            "/ledger/tile/entries/x999/x999/x999/x999/x999/x999/x999/999",
            400,
        ),
        ("/ledger/tile/0/005", 404),      // beyond the tree
        ("/ledger/tile/0/001", 404),      // full tile of a partial position
        ("/ledger/tile/0/001.p/45", 404), // wider than the tree
        ("/ledger/tile/entries/002", 404),
        ("/ledger/proof/inclusion", 400),
        ("/ledger/proof/inclusion?index=-1", 400),
        ("/ledger/proof/inclusion?index=1e3", 400),
        ("/ledger/proof/inclusion?index=300", 400),
        ("/ledger/proof/inclusion?index=5&size=0", 400),
        ("/ledger/proof/inclusion?index=5&size=301", 400),
        ("/ledger/proof/inclusion?index=18446744073709551616", 400),
        ("/ledger/proof/inclusion?index=1&hash=AAAA", 400),
        ("/ledger/proof/inclusion?hash=not-base64", 400),
        (
            "/ledger/proof/inclusion?hash=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            404,
        ),
        ("/ledger/proof/consistency", 400),
        ("/ledger/proof/consistency?from=0", 400),
        ("/ledger/proof/consistency?from=20&to=10", 400),
        ("/ledger/proof/consistency?from=x", 400),
        ("/nowhere", 404),
    ];
    for (uri, want) in cases {
        let (s, h, body) = get(&f.log, uri).await;
        assert_eq!(
            s.as_u16(),
            *want,
            "{uri}: {}",
            String::from_utf8_lossy(&body)
        );
        assert_eq!(h["content-type"], "application/json", "{uri}");
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let msg = v["error"]["message"].as_str().unwrap();
        assert!(!msg.is_empty(), "{uri}");
    }
    // Oversized request line and headers.
    let long = format!("/ledger/proof/inclusion?index=1&pad={}", "a".repeat(9000));
    assert_eq!(get(&f.log, &long).await.0, StatusCode::URI_TOO_LONG);
    let mut req = Request::get("/healthz");
    for i in 0..40 {
        req = req.header(format!("x-pad-{i}"), "b".repeat(1000));
    }
    let resp = app(AppState {
        log: f.log.clone(),
        services: None,
    })
    .oneshot(req.body(Body::empty()).unwrap())
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    // A body on a GET-only route is refused by method, a huge body by size.
    let resp = app(AppState {
        log: f.log.clone(),
        services: None,
    })
    .oneshot(
        Request::post("/ledger/checkpoint")
            .body(Body::from(vec![0u8; 100_000]))
            .unwrap(),
    )
    .await
    .unwrap();
    assert!(resp.status().is_client_error(), "{}", resp.status());
}
