//! Foreign-document cases over HTTP against a running `tanba serve`: an officer opens a case,
//! it is read in the background with visible progress, and the reading is stored with it;
//! bad files are refused whole, with nothing kept; only officers may open or read cases, and
//! every attempt is journalled; a case received while the server was down is read when it
//! starts.

mod common;

use common::Server;
use common::cases::{Client, token};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn sample(name: &str) -> (PathBuf, Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples/foreign")
        .join(name);
    let truth =
        serde_json::from_slice(&std::fs::read(path.with_extension("json")).unwrap()).unwrap();
    (path, truth)
}

#[test]
fn an_officer_opens_a_case_that_is_read_in_the_background_and_stored_with_it() {
    let tmp = tempfile::tempdir().unwrap();
    let data = common::demo_data(tmp.path());
    let officer = token(&data, "recognition.officer");
    let operator = token(&data, "school.operator");
    let admin = token(&data, "admin");
    let server = Server::start(&data);
    let api = Client::new(&server.base);

    let (diploma, truth) = sample("diploma-0004.jpg");
    let (apostille, apostille_truth) = sample("apostille-0002.jpg");
    let diploma_bytes = std::fs::read(&diploma).unwrap();
    let apostille_bytes = std::fs::read(&apostille).unwrap();
    // The applicant writes the name in Latin letters, as in a passport.
    let application = json!({
        "holder_name": "Petrov Timur Timurovich",
        "country": "RU",
        "kind": "diploma",
        "route": "apostilled",
        "purpose": "recognition",
    });
    let app_bytes = serde_json::to_vec(&application).unwrap();

    // Not an officer: refused, nothing kept.
    let parts: [(&str, Option<&str>, &[u8]); 3] = [
        ("application", None, &app_bytes),
        ("file", Some("diploma.jpg"), &diploma_bytes),
        ("file", Some("apostille.jpg"), &apostille_bytes),
    ];
    let (status, body) = api.open(Some(&operator), &parts);
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("recognition and apostille officers"),
        "{body}"
    );
    let (status, _) = api.open(None, &parts);
    assert_eq!(status, 401);

    // A file that is not a scan, or an application that breaks its rules: refused whole,
    // each problem named, no case kept.
    let (status, body) = api.open(
        Some(&officer),
        &[
            ("application", None, br#"{"birth_date": "31.12.2000"}"#),
            ("file", Some("diploma.jpg"), &diploma_bytes),
            ("file", Some("notes.jpg"), b"these are notes, not a scan"),
        ],
    );
    assert_eq!(status, 422, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("birth_date") && message.contains("notes.jpg"),
        "{message}"
    );
    let (status, body) = api.open(Some(&officer), &[("application", None, &app_bytes)]);
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at least one scan")
    );
    let (_, list) = api.get_json("/api/v1/cases", &officer);
    assert_eq!(
        list["cases"],
        json!([]),
        "a refused case left something: {list}"
    );

    // The officer's case is accepted at once and read in the background.
    let (status, opened) = api.open(Some(&officer), &parts);
    assert_eq!(status, 202, "{opened}");
    let id = opened["id"].as_str().unwrap().to_string();
    assert!(
        ["queued", "running"].contains(&opened["job"]["state"].as_str().unwrap()),
        "{opened}"
    );
    let (seen, case) = api.wait(&id, &officer);
    assert_eq!(case["job"]["state"], "done", "{case}");
    // Progress was visible on the way: the two files, their pages.
    assert!(
        seen.iter()
            .any(|s| s["state"] == "running" && s["files"] == 2 && s["pages"] == 1),
        "no progress seen: {seen:?}"
    );
    assert_eq!(case["application"], application);
    assert_eq!(case["files"][0]["name"], "diploma.jpg");
    assert_eq!(case["files"][1]["format"], "jpeg");

    // What was read is stored with the case: each file's fields, boxes and matches.
    let files = case["reading"]["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["status"], "read");
    assert_eq!(files[0]["kind"], "diploma");
    for f in ["holder_name", "number", "issue_date"] {
        assert_eq!(files[0]["fields"][f]["value"], truth["fields"][f], "{f}");
    }
    assert_eq!(
        files[0]["matches"]["holder_name"]["verdict"], "transliteration",
        "{}",
        files[0]["matches"]
    );
    assert_eq!(files[1]["kind"], "apostille");
    assert_eq!(
        files[1]["fields"]["apostille_date"]["value"],
        apostille_truth["fields"]["apostille_date"]
    );
    let stored = std::fs::read(data.join("cases").join(&id).join("reading.json")).unwrap();
    let stored: Value = serde_json::from_slice(&stored).unwrap();
    assert_eq!(stored["files"], case["reading"]["files"]);
    // The checks ran over both files: a route, a risk, findings that point at their files.
    let check = &case["reading"]["check"];
    assert!(
        ["cleared", "review"].contains(&check["route"].as_str().unwrap()),
        "{check}"
    );
    assert!(check["risk"].as_f64().is_some());
    assert_eq!(check["fields"].as_object().unwrap().len(), 2, "{check}");
    for f in check["findings"].as_array().unwrap() {
        assert!(f["code"].as_str().unwrap().contains('.'), "{f}");
        assert!(f["messages"]["kk"].as_str().is_some(), "{f}");
    }

    // The scans are kept exactly as received.
    let sha = case["files"][0]["sha256"].as_str().unwrap();
    let (status, bytes) = api.get(&format!("/api/v1/cases/{id}/files/{sha}"), Some(&officer));
    assert_eq!(status, 200);
    assert_eq!(bytes, diploma_bytes);
    let (status, _) = api.get(&format!("/api/v1/cases/{id}"), Some(&operator));
    assert_eq!(status, 403);
    let (status, _) = api.get("/api/v1/cases/00ff", Some(&officer));
    assert_eq!(status, 404);

    // Every attempt is in the journal, the refused ones included.
    let (_, journal) = api.get_json("/api/v1/journal?limit=200", &admin);
    let lines = journal["lines"]
        .as_array()
        .unwrap_or_else(|| panic!("{journal}"));
    let opens: Vec<(&str, &str)> = lines
        .iter()
        .filter(|l| l["action"] == "case.open")
        .map(|l| (l["who"].as_str().unwrap(), l["outcome"].as_str().unwrap()))
        .collect();
    for expected in [
        ("school.operator", "refused"),
        ("recognition.officer", "failed"),
        ("recognition.officer", "ok"),
    ] {
        assert!(opens.contains(&expected), "{expected:?} not in {opens:?}");
    }
}

#[test]
fn a_case_received_while_the_server_was_down_is_read_when_it_starts() {
    let tmp = tempfile::tempdir().unwrap();
    let data = common::demo_data(tmp.path());
    let officer = token(&data, "recognition.officer");
    // Received (say, by another node) with no server running: kept, not yet read.
    let (diploma, truth) = sample("diploma-0007.jpg");
    let id = tanba::intake::Cases::new(&data)
        .open_case(
            &tanba::intake::Application::default(),
            vec![("scan.jpg".into(), std::fs::read(&diploma).unwrap())],
        )
        .unwrap();
    assert!(!data.join("cases").join(&id).join("reading.json").exists());
    let server = Server::start(&data);
    let api = Client::new(&server.base);
    let (_, case) = api.wait(&id, &officer);
    assert_eq!(case["job"]["state"], "done", "{case}");
    assert_eq!(
        case["reading"]["files"][0]["fields"]["number"]["value"],
        truth["fields"]["number"]
    );

    // The same scan filed again by someone else: the checks remember the first case.
    let bytes = std::fs::read(&diploma).unwrap();
    let (status, opened) = api.open(
        Some(&officer),
        &[
            (
                "application",
                None,
                r#"{"holder_name": "Сейткали Асель"}"#.as_bytes(),
            ),
            ("file", Some("copy.jpg"), &bytes),
        ],
    );
    assert_eq!(status, 202, "{opened}");
    let again = opened["id"].as_str().unwrap().to_string();
    let (_, case) = api.wait(&again, &officer);
    let check = &case["reading"]["check"];
    assert_eq!(check["route"], "review", "{check}");
    let repeat = check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "repeat.same_file")
        .unwrap_or_else(|| panic!("{check}"));
    assert_eq!(repeat["severity"], "critical");
    assert_eq!(repeat["evidence"]["case"], id.as_str());
}
