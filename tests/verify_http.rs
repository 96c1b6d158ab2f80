//! `POST /api/v1/verify` and `/api/openapi.json` against a running `tanba serve` seeded by
//! `tanba demo`: single and batch verdicts, bad requests, the per-address rate limit.

mod common;

use common::{Server, tanba};
use serde_json::{Value, json};

fn post(agent: &ureq::Agent, url: &str, body: &Value) -> (u16, Option<String>, Value) {
    let mut resp = agent
        .post(url)
        .header("Content-Type", "application/json")
        .send(serde_json::to_vec(body).unwrap())
        .unwrap();
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = resp.body_mut().read_to_vec().unwrap();
    (
        status,
        retry,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[test]
fn verify_api_answers_singles_and_batches_and_limits_each_address() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = tanba()
        .args(["demo", "--no-serve", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A slow refill, so that the allowance runs out within the test.
    let config_path = data.join("config.json");
    let mut config: Value = serde_json::from_slice(&std::fs::read(&config_path).unwrap()).unwrap();
    config["verify_rate_per_s"] = json!(1);
    config["verify_burst"] = json!(1000);
    std::fs::write(&config_path, serde_json::to_vec(&config).unwrap()).unwrap();
    let manifest: Vec<Value> =
        serde_json::from_slice(&std::fs::read(data.join("demo/manifest.json")).unwrap()).unwrap();

    let server = Server::start(&data);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("{}/api/v1/verify", server.base);

    // Every demo document, one by one.
    for e in &manifest {
        let (s, _, v) = post(&agent, &url, &json!({"qr": e["verify_url"]}));
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["status"], e["expected_status"], "{e}: {v}");
        assert!(v["message"]["kk"].is_string() && v["message"]["ru"] != v["message"]["en"]);
    }
    // A batch: verdicts in order, a foreign text as that item's error.
    let (s, _, v) = post(
        &agent,
        &url,
        &json!({"items": [
            {"qr": manifest[0]["verify_url"]},
            {"qr": manifest[1]["verify_url"]},
            {"qr": "https://example.com/x"},
        ]}),
    );
    assert_eq!(s, 200, "{v}");
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["status"], manifest[0]["expected_status"]);
    assert_eq!(items[1]["status"], manifest[1]["expected_status"]);
    assert_eq!(items[2]["error"]["status"], 400, "{v}");
    // A damaged payload is a verdict, not an error.
    let text = manifest[0]["verify_url"].as_str().unwrap();
    let (s, _, v) = post(&agent, &url, &json!({"qr": &text[..text.len() - 9]}));
    assert_eq!((s, v["status"].as_str()), (200, Some("tampered")), "{v}");

    // Bad requests name what is wrong.
    for (body, needle) in [
        (
            json!({"qr": "https://example.com/x"}),
            "not a Tanba QR code",
        ),
        (json!({"qr": "a", "items": []}), "exactly one of"),
        (json!({"items": []}), "`items` is empty"),
        (json!({"qrr": "x"}), "unknown field"),
        (
            json!({"items": vec![json!({"qr": "x"}); 1001]}),
            "at most 1000",
        ),
        (json!({"qr": text, "checkpoint": "nope"}), "checkpoint"),
    ] {
        let (s, _, v) = post(&agent, &url, &body);
        assert_eq!(s, 400, "{body}: {v}");
        let msg = v["error"]["message"].as_str().unwrap();
        assert!(msg.contains(needle), "{msg}");
    }

    // The allowance: 1,000 at once, refilled at 1/s. A full batch now exceeds what is left.
    let batch: Vec<Value> = (0..1000).map(|_| json!({"qr": text})).collect();
    let (s, retry, v) = post(&agent, &url, &json!({ "items": batch }));
    assert_eq!(s, 429, "{v}");
    let retry: u64 = retry.expect("Retry-After").parse().unwrap();
    assert!(retry >= 1, "{retry}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("retry in"),
        "{v}"
    );

    // The OpenAPI description names the verify operation.
    let (s, body) = common::get(&format!("{}/api/openapi.json", server.base));
    assert_eq!(s, 200);
    let doc: Value = serde_json::from_slice(&body).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["paths"]["/api/v1/verify"]["post"].is_object(), "{doc}");
}
