//! A W3C WebDriver client just big enough for the browser tests: ChromeDriver on loopback
//! driving headless Chromium — open a page, type into fields, click, read the DOM, take a
//! screenshot. Interactions go through the browser's own form handling, so what is tested is
//! what a person with a phone would do.

use data_encoding::BASE64;
use serde_json::{Value, json};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The element key of the W3C WebDriver protocol.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The flags the brief asks headless Chromium to run with.
pub const CHROMIUM_FLAGS: [&str; 7] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// One ChromeDriver process and one browser session; both end on drop.
pub struct Browser {
    driver: Child,
    base: String,
    agent: ureq::Agent,
    _profile: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    /// A phone-sized headless Chromium whose preferred language is `lang`.
    pub fn start(lang: &str) -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is installed by scripts/setup.sh");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let root = format!("http://127.0.0.1:{port}");
        let ready = Instant::now();
        loop {
            if let Ok(mut r) = agent.get(&format!("{root}/status")).call()
                && let Ok(body) = r.body_mut().read_to_string()
                && let Ok(v) = serde_json::from_str::<Value>(&body)
                && v["value"]["ready"] == true
            {
                break;
            }
            assert!(
                ready.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = tempfile::tempdir().unwrap();
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| s.to_string()).collect();
        args.push("--window-size=412,915".into()); // a phone
        args.push(format!("--lang={lang}"));
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": args,
                "prefs": {"intl.accept_languages": lang},
            },
        }}});
        let mut browser = Browser {
            driver,
            base: root,
            agent,
            _profile: profile,
        };
        let v = browser.call("POST", "/session", Some(caps));
        let id = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_string();
        browser.base = format!("{}/session/{id}", browser.base);
        browser
    }

    /// One WebDriver command; its `value`, or a panic naming the WebDriver error.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.try_call(method, path, body)
            .unwrap_or_else(|(status, v)| panic!("{method} {path}: {status} {v}"))
    }

    /// One WebDriver command: its `value`, or the HTTP status and the error body.
    fn try_call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, (u16, Value)> {
        let url = format!("{}{path}", self.base);
        let mut resp = match method {
            "GET" => self.agent.get(&url).call(),
            "DELETE" => self.agent.delete(&url).call(),
            _ => self
                .agent
                .post(&url)
                .header("Content-Type", "application/json")
                .send(serde_json::to_vec(&body.unwrap_or_else(|| json!({}))).unwrap()),
        }
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status().as_u16();
        let v: Value = serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
        if status == 200 {
            Ok(v["value"].clone())
        } else {
            Err((status, v))
        }
    }

    pub fn open(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    pub fn url(&self) -> String {
        self.call("GET", "/url", None).as_str().unwrap().to_string()
    }

    /// The DOM as it stands.
    pub fn source(&self) -> String {
        self.call("GET", "/source", None)
            .as_str()
            .unwrap()
            .to_string()
    }

    fn find_all(&self, css: &str) -> Vec<String> {
        self.call(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        )
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            e[ELEMENT]
                .as_str()
                .unwrap_or_else(|| panic!("not an element: {e}"))
                .to_string()
        })
        .collect()
    }

    fn find(&self, css: &str) -> String {
        let all = self.find_all(css);
        assert!(!all.is_empty(), "no element {css:?} in {}", self.source());
        all[0].clone()
    }

    /// How many elements match `css`.
    pub fn count(&self, css: &str) -> usize {
        self.find_all(css).len()
    }

    /// The rendered text of the first element matching `css`.
    pub fn text(&self, css: &str) -> String {
        let e = self.find(css);
        self.call("GET", &format!("/element/{e}/text"), None)
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The rendered text of every element matching `css`.
    pub fn texts(&self, css: &str) -> Vec<String> {
        self.find_all(css)
            .iter()
            .map(|e| {
                self.call("GET", &format!("/element/{e}/text"), None)
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    /// An attribute of the first element matching `css`.
    pub fn attribute(&self, css: &str, name: &str) -> Option<String> {
        let e = self.find(css);
        self.call("GET", &format!("/element/{e}/attribute/{name}"), None)
            .as_str()
            .map(str::to_string)
    }

    /// Types `text` into the first element matching `css` (for a file input: a path).
    pub fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.call(
            "POST",
            &format!("/element/{e}/value"),
            Some(json!({ "text": text })),
        );
    }

    pub fn click(&self, css: &str) {
        let e = self.find(css);
        self.call("POST", &format!("/element/{e}/click"), None);
    }

    /// Clicks what submits a form or follows a link, and waits until the next page has
    /// replaced this one and finished loading.
    pub fn click_and_wait(&self, css: &str) {
        let page = self.find("html");
        self.click(css);
        let since = Instant::now();
        // The old document's root goes stale once the new one is in place.
        while self
            .try_call("GET", &format!("/element/{page}/name"), None)
            .is_ok()
        {
            assert!(
                since.elapsed() < Duration::from_secs(20),
                "clicking {css:?} led nowhere: {}",
                self.source()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
        while self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": "return document.readyState", "args": []})),
        ) != "complete"
        {
            assert!(
                since.elapsed() < Duration::from_secs(20),
                "the page did not load"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// A PNG of the viewport, written to `png`.
    pub fn screenshot(&self, png: &Path) {
        let b64 = self.call("GET", "/screenshot", None);
        let bytes = BASE64.decode(b64.as_str().unwrap().as_bytes()).unwrap();
        assert!(bytes.starts_with(b"\x89PNG"));
        std::fs::write(png, bytes).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Ok(r) = self.agent.delete(&self.base).call() {
            drop(r);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
