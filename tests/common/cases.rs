//! A client of the foreign-document case API, for the tests that open cases.

use super::multipart;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

/// The demo account `username`'s API token.
pub fn token(data: &Path, username: &str) -> String {
    let accounts: Vec<Value> =
        serde_json::from_slice(&std::fs::read(data.join("demo/accounts.json")).unwrap()).unwrap();
    accounts.iter().find(|a| a["username"] == username).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string()
}

pub struct Client {
    pub base: String,
    pub agent: ureq::Agent,
}

impl Client {
    pub fn new(base: &str) -> Client {
        Client {
            base: base.to_string(),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into(),
        }
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> (u16, Vec<u8>) {
        let mut r = self.agent.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            r = r.header("Authorization", format!("Bearer {t}"));
        }
        let mut resp = r.call().unwrap();
        (
            resp.status().as_u16(),
            resp.body_mut().read_to_vec().unwrap(),
        )
    }

    pub fn get_json(&self, path: &str, token: &str) -> (u16, Value) {
        let (s, b) = self.get(path, Some(token));
        (s, serde_json::from_slice(&b).unwrap())
    }

    pub fn open(&self, token: Option<&str>, parts: &[(&str, Option<&str>, &[u8])]) -> (u16, Value) {
        let (ctype, body) = multipart(parts);
        let mut r = self
            .agent
            .post(format!("{}/api/v1/cases", self.base))
            .header("Content-Type", ctype);
        if let Some(t) = token {
            r = r.header("Authorization", format!("Bearer {t}"));
        }
        let mut resp = r.send(body).unwrap();
        let status = resp.status().as_u16();
        let body = resp.body_mut().read_to_vec().unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    /// Polls a case until its job is done or failed; returns every job state seen, then the case.
    pub fn wait(&self, id: &str, token: &str) -> (Vec<Value>, Value) {
        let started = Instant::now();
        let mut seen = Vec::new();
        loop {
            let (status, case) = self.get_json(&format!("/api/v1/cases/{id}"), token);
            assert_eq!(status, 200, "{case}");
            if seen.last() != Some(&case["job"]) {
                seen.push(case["job"].clone());
            }
            if case["job"]["state"] == "done" || case["job"]["state"] == "failed" {
                return (seen, case);
            }
            assert!(
                started.elapsed() < Duration::from_secs(300),
                "case {id} still {} after 5 minutes",
                case["job"]
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
