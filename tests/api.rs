//! The JSON API against a running `tanba serve` seeded by `tanba demo`: sign-in, per-
//! organisation authorisation (an operator of one organisation can never issue, amend,
//! revoke or read for another), single and bulk issuance over HTTP, lifecycle, re-access and
//! the audit journal.

mod common;

use common::Server;
use serde_json::{Value, json};
use std::path::Path;
use tanba::credential::ids::check_digit;
use tanba::credential::record::DocumentKind;
use tanba::issuance::Document;
use tanba::issuance::bulk::parse_file;

const SCHOOL: &str = "970940001239";
const COLLEGE: &str = "050140003254";

struct Api {
    base: String,
    agent: ureq::Agent,
}

impl Api {
    fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> (u16, Vec<u8>) {
        let url = format!("{}{path}", self.base);
        let auth = token.map(|t| format!("Bearer {t}"));
        let resp = match (method, body) {
            ("GET", _) => {
                let mut r = self.agent.get(&url);
                if let Some(a) = &auth {
                    r = r.header("Authorization", a);
                }
                r.call()
            }
            (_, body) => {
                let mut r = self.agent.post(&url);
                if let Some(a) = &auth {
                    r = r.header("Authorization", a);
                }
                r.send(body.unwrap_or_default())
            }
        };
        let mut resp = resp.unwrap();
        let status = resp.status().as_u16();
        (status, resp.body_mut().read_to_vec().unwrap())
    }

    fn json(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let (s, b) = self.call(
            method,
            path,
            token,
            body.map(|v| serde_json::to_vec(&v).unwrap()),
        );
        let v = if b.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&b)
                .unwrap_or_else(|_| json!({"raw": String::from_utf8_lossy(&b)}))
        };
        (s, v)
    }
}

/// A distinct valid IIN of a 2008 birth.
fn iin(n: u64) -> String {
    let mut serial = 9000 + n % 1000;
    loop {
        let prefix = format!("080315{}{serial:04}", 5);
        let d: Vec<u8> = prefix.bytes().map(|b| b - b'0').collect();
        if let Some(k) = check_digit(&d.try_into().unwrap()) {
            return format!("{prefix}{k}");
        }
        serial += 1;
    }
}

/// A name without digits for the n-th test pupil.
fn name(n: u64) -> String {
    let letters: String = n
        .to_string()
        .bytes()
        .map(|d| ['А', 'Б', 'В', 'Г', 'Д', 'Е', 'Ж', 'З', 'И', 'К'][(d - b'0') as usize])
        .collect();
    format!("Жаңа Оқушы{letters}")
}

fn new_attestat(n: u64) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/issuance/school-class.csv");
    let parsed = parse_file(&std::fs::read(path).unwrap(), DocumentKind::Attestat).unwrap();
    let mut doc = parsed.docs[0].clone();
    if let Document::Attestat(a) = &mut doc {
        a.holder.iin = iin(n);
        a.holder.full_name = name(n);
        a.number = format!("{:07}", 900_000 + n);
    }
    serde_json::to_value(&doc).unwrap()
}

#[test]
fn api_issues_changes_and_journals_with_per_organisation_authorisation() {
    let tmp = tempfile::tempdir().unwrap();
    let data = common::demo_data(tmp.path());
    let accounts: Vec<Value> =
        serde_json::from_slice(&std::fs::read(data.join("demo/accounts.json")).unwrap()).unwrap();
    let account = |name: &str| {
        accounts
            .iter()
            .find(|a| a["username"] == name)
            .unwrap()
            .clone()
    };
    let server = Server::start(&data);
    let api = Api {
        base: server.base.clone(),
        agent: ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into(),
    };

    // Sign-in: the right password gives a session; a wrong one is refused.
    let school = account("school.operator");
    let (s, v) = api.json(
        "POST",
        "/api/v1/login",
        None,
        Some(json!({"username": "school.operator", "password": school["password"]})),
    );
    assert_eq!(s, 200, "{v}");
    let school_token = v["token"].as_str().unwrap().to_string();
    let (s, _) = api.json(
        "POST",
        "/api/v1/login",
        None,
        Some(json!({"username": "school.operator", "password": "not the password"})),
    );
    assert_eq!(s, 401);
    let college_token = account("college.operator")["token"]
        .as_str()
        .unwrap()
        .to_string();
    let admin_token = account("admin")["token"].as_str().unwrap().to_string();
    let holder = account("holder");
    let holder_token = holder["token"].as_str().unwrap().to_string();

    // No token: 401, nothing issued.
    let (s, v) = api.json("POST", "/api/v1/credentials", None, Some(new_attestat(1)));
    assert_eq!(s, 401, "{v}");

    // Single issuance by the school's operator.
    let (s, v) = api.json(
        "POST",
        "/api/v1/credentials",
        Some(&school_token),
        Some(new_attestat(1)),
    );
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    assert_eq!(v["version"], 1);
    assert_eq!(v["verification_code"].as_str().unwrap().len(), 14);
    // The same document again is refused as a duplicate, naming the original.
    let (s, v) = api.json(
        "POST",
        "/api/v1/credentials",
        Some(&school_token),
        Some(new_attestat(1)),
    );
    assert_eq!(s, 422, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains(&id), "{v}");
    // Invalid input names the field.
    let mut bad = new_attestat(2);
    bad["holder"]["iin"] = json!("080315500000");
    let (s, v) = api.json(
        "POST",
        "/api/v1/credentials",
        Some(&school_token),
        Some(bad),
    );
    assert_eq!(s, 422, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("holder.iin"),
        "{v}"
    );

    // The college's operator can neither issue an attestat (the college may not issue that
    // kind), nor revoke, amend or read the school's document.
    let (s, v) = api.json(
        "POST",
        "/api/v1/credentials",
        Some(&college_token),
        Some(new_attestat(3)),
    );
    assert_eq!(s, 403, "{v}");
    let (s, v) = api.json(
        "POST",
        &format!("/api/v1/credentials/{id}/status"),
        Some(&college_token),
        Some(json!({"action": "revoke", "reason": "fraud"})),
    );
    assert_eq!(s, 403, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains(SCHOOL),
        "{v}"
    );
    let (s, _) = api.json(
        "POST",
        &format!("/api/v1/credentials/{id}/amend"),
        Some(&college_token),
        Some(new_attestat(1)),
    );
    assert_eq!(s, 403);
    let (s, _) = api.json(
        "GET",
        &format!("/api/v1/credentials/{id}"),
        Some(&college_token),
        None,
    );
    assert_eq!(s, 403);
    // ... and the document is untouched.
    let (s, v) = api.json(
        "GET",
        &format!("/api/v1/credentials/{id}"),
        Some(&school_token),
        None,
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status_code"], "valid");
    assert_eq!(v["claims"]["holder_name"], name(1));

    // Lifecycle by the school: revoke, reinstate, amend.
    let (s, v) = api.json(
        "POST",
        &format!("/api/v1/credentials/{id}/status"),
        Some(&school_token),
        Some(json!({"action": "revoke", "reason": "issued_in_error"})),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status_code"], "revoked");
    let (s, v) = api.json(
        "POST",
        &format!("/api/v1/credentials/{id}/status"),
        Some(&school_token),
        Some(json!({"action": "reinstate", "reason": "grounds_lifted"})),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status_code"], "valid");
    let mut corrected = new_attestat(1);
    corrected["holder"]["full_name"] = json!("Жаңа Оқушы Бір");
    let (s, v) = api.json(
        "POST",
        &format!("/api/v1/credentials/{id}/amend"),
        Some(&school_token),
        Some(corrected),
    );
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["version"], 2);
    let (_, v) = api.json(
        "GET",
        &format!("/api/v1/credentials/{id}?version=1"),
        Some(&school_token),
        None,
    );
    assert_eq!(v["status_code"], "superseded");
    assert_eq!(v["history"].as_array().unwrap().len(), 2);

    // Re-access: the same PDF again, byte for byte, not a new document.
    let (s, pdf1) = api.call(
        "GET",
        &format!("/api/v1/credentials/{id}/document.pdf"),
        Some(&school_token),
        None,
    );
    assert_eq!(s, 200);
    assert!(pdf1.starts_with(b"%PDF-"));
    let (_, pdf2) = api.call(
        "GET",
        &format!("/api/v1/credentials/{id}/document.pdf"),
        Some(&school_token),
        None,
    );
    assert_eq!(pdf1, pdf2);
    let (s, vc) = api.json(
        "GET",
        &format!("/api/v1/credentials/{id}/vc.json"),
        Some(&school_token),
        None,
    );
    assert_eq!(s, 200);
    assert_eq!(vc["proof"]["cryptosuite"], "eddsa-jcs-2022");

    // The holder sees their own documents and nobody else's.
    let (s, v) = api.json("GET", "/api/v1/me/credentials", Some(&holder_token), None);
    assert_eq!(s, 200, "{v}");
    let mine = v["credentials"].as_array().unwrap();
    assert!(!mine.is_empty());
    let own_id = mine[0]["id"].as_str().unwrap();
    let (s, v) = api.json(
        "GET",
        &format!("/api/v1/credentials/{own_id}"),
        Some(&holder_token),
        None,
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["claims"]["holder_iin"], holder["iin"]);
    let (s, _) = api.json(
        "GET",
        &format!("/api/v1/credentials/{id}"),
        Some(&holder_token),
        None,
    );
    assert_eq!(s, 403);
    let (s, _) = api.json("GET", "/api/v1/me/credentials", Some(&school_token), None);
    assert_eq!(s, 403);

    // Bulk over HTTP: a bad row stops the whole batch unless asked to skip it.
    let header =
        "full_name,iin,level,school,study_start,study_end,issued_on,series,number,honours,subjects";
    let row = |n: u64, iin: &str| {
        format!(
            "{},{iin},general_secondary,№ 25 мектеп-гимназиясы,2014-09-01,2026-05-25,2026-06-20,ЖОБ,{:07},,Математика:5; Физика:4",
            name(n),
            800_000 + n
        )
    };
    let csv = format!(
        "{header}\n{}\n{}\n",
        row(10, &iin(10)),
        row(11, "080315512345")
    );
    let (s, v) = api.call(
        "POST",
        "/api/v1/credentials/bulk?kind=attestat",
        Some(&school_token),
        Some(csv.clone().into_bytes()),
    );
    let v: Value = serde_json::from_slice(&v).unwrap();
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["errors"][0]["row"], 2, "{v}");
    assert_eq!(v["errors"][0]["field"], "holder.iin", "{v}");
    let (s, v) = api.call(
        "POST",
        "/api/v1/credentials/bulk?kind=attestat&skip_bad_rows=true",
        Some(&school_token),
        Some(csv.into_bytes()),
    );
    let v: Value = serde_json::from_slice(&v).unwrap();
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["issued"], 1);
    assert_eq!(v["credentials"][0]["row"], 1);
    // An oversized upload is refused from its Content-Length, before any of it is read.
    {
        use std::io::{Read, Write};
        let addr = server.base.trim_start_matches("http://");
        let mut conn = std::net::TcpStream::connect(addr).unwrap();
        write!(
            conn,
            "POST /api/v1/credentials/bulk?kind=attestat HTTP/1.1\r\nHost: {addr}\r\n\
             Authorization: Bearer {school_token}\r\nContent-Length: {}\r\n\r\n",
            17 * 1024 * 1024
        )
        .unwrap();
        conn.write_all(&[b'a'; 4096]).unwrap();
        let mut reply = [0u8; 64];
        let n = conn.read(&mut reply).unwrap();
        let head = String::from_utf8_lossy(&reply[..n]);
        assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    }
    // Another organisation's operator cannot bulk-issue as the school: it issues as itself.
    let (s, _) = api.call(
        "POST",
        "/api/v1/credentials/bulk?kind=attestat",
        Some(&college_token),
        Some(format!("{header}\n{}\n", row(12, &iin(12))).into_bytes()),
    );
    assert_eq!(s, 403);

    // The journal: refusals included, filtered by user; admins only.
    let (s, _) = api.json("GET", "/api/v1/journal", Some(&school_token), None);
    assert_eq!(s, 403);
    let (s, v) = api.json(
        "GET",
        "/api/v1/journal?user=college.operator",
        Some(&admin_token),
        None,
    );
    assert_eq!(s, 200, "{v}");
    let lines = v["lines"].as_array().unwrap();
    let refused: Vec<&str> = lines
        .iter()
        .filter(|l| l["outcome"] == "refused")
        .map(|l| l["action"].as_str().unwrap())
        .collect();
    for action in [
        "credential.issue",
        "credential.revoke",
        "credential.amend",
        "credential.read",
        "credential.bulk_issue",
    ] {
        assert!(
            refused.contains(&action),
            "{action} not journalled as refused: {refused:?}"
        );
    }
    assert!(lines.iter().all(|l| l["who"] == "college.operator"
        && l["source"] == "127.0.0.1"
        && l["org"] == COLLEGE));
    let (_, v) = api.json(
        "GET",
        "/api/v1/journal?user=anonymous",
        Some(&admin_token),
        None,
    );
    assert!(
        v["lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["action"] == "credential.issue"),
        "{v}"
    );
    let (_, v) = api.json(
        "GET",
        "/api/v1/journal?user=school.operator",
        Some(&admin_token),
        None,
    );
    let ok: Vec<&str> = v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["outcome"] == "ok")
        .map(|l| l["action"].as_str().unwrap())
        .collect();
    for action in [
        "session.login",
        "credential.issue",
        "credential.revoke",
        "credential.reinstate",
        "credential.amend",
        "credential.bulk_issue",
    ] {
        assert!(ok.contains(&action), "{action} missing: {ok:?}");
    }

    // Accounts: admins create them; operators cannot.
    let (s, _) = api.json(
        "POST",
        "/api/v1/accounts",
        Some(&school_token),
        Some(json!({"username": "intruder", "role": "admin", "password": "long enough password"})),
    );
    assert_eq!(s, 403);
    let (s, v) = api.json(
        "POST",
        "/api/v1/accounts",
        Some(&admin_token),
        Some(json!({"username": "school.second", "role": "issuer_operator", "org": SCHOOL, "password": "long enough password"})),
    );
    assert_eq!(s, 201, "{v}");
    assert!(v.get("password").is_none());
    let (s, v) = api.json(
        "POST",
        "/api/v1/accounts/school.second/tokens",
        Some(&admin_token),
        Some(json!({"label": "MIS"})),
    );
    assert_eq!(s, 201, "{v}");
    let second = v["token"].as_str().unwrap().to_string();
    let (s, _) = api.json(
        "POST",
        "/api/v1/credentials",
        Some(&second),
        Some(new_attestat(20)),
    );
    assert_eq!(s, 201);
    // Logging out revokes the session.
    let (s, _) = api.json("POST", "/api/v1/logout", Some(&school_token), None);
    assert_eq!(s, 204);
    let (s, _) = api.json(
        "POST",
        "/api/v1/credentials",
        Some(&school_token),
        Some(new_attestat(21)),
    );
    assert_eq!(s, 401);
    server.stop();
}
