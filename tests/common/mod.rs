//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod cases;
pub mod forms;
pub mod webdriver;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use tanba::data_dir::DataDir;

pub fn tanba() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tanba"))
}

/// A fresh, initialised data directory.
pub fn init(dir: &Path) -> DataDir {
    DataDir::init(&dir.join("data"), "tanba.test/ledger").unwrap()
}

/// A `tanba serve` child process on an ephemeral loopback port.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    pub fn start(data: &Path) -> Server {
        Server::start_with_env(data, &[])
    }

    /// As `start`, with extra environment variables (e.g. a client secret).
    pub fn start_with_env(data: &Path, env: &[(&str, &str)]) -> Server {
        let mut child = tanba()
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let base = line
            .split("listening on ")
            .nth(1)
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .trim()
            .to_string();
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in out.lines() {});
        Server { child, base }
    }

    /// SIGTERM, then wait: the graceful path.
    pub fn stop(mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn get(url: &str) -> (u16, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut resp = agent.get(url).call().unwrap();
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_vec().unwrap())
}

/// Builds the Go reference client (golang.org/x/mod/sumdb/{note,tlog}) into target/.
pub fn go_client() -> PathBuf {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("tlog-client");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tlog-client");
    let status = Command::new("go")
        .args(["build", "-o"])
        .arg(&out)
        .arg(".")
        .current_dir(&src)
        .env("GOPATH", "/usr/share/gocode")
        .env("GO111MODULE", "off")
        .env("GOFLAGS", "")
        .env(
            "GOCACHE",
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("gocache"),
        )
        .status()
        .expect(
            "the Go toolchain is needed for the standard-client test: \
             scripts/test.sh installs golang-go and golang-golang-x-mod-dev",
        );
    assert!(status.success(), "building the Go reference client failed");
    out
}

/// A data directory seeded by `tanba demo --no-serve` under `tmp` (not serving), without the
/// sample foreign-document cases, whose background reading would only load these tests' CPU.
pub fn demo_data(tmp: &Path) -> PathBuf {
    let data = tmp.join("data");
    let no_scans = tmp.join("no-foreign-scans");
    std::fs::create_dir_all(&no_scans).unwrap();
    let out = tanba()
        .args(["demo", "--no-serve", "--data"])
        .arg(&data)
        .arg("--foreign")
        .arg(&no_scans)
        .arg("--paper")
        .arg(&no_scans)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    data
}

/// A `multipart/form-data` body with the given (name, filename, bytes) parts.
pub fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "tanba-test-boundary-7d1f";
    let mut body = Vec::new();
    for (name, filename, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match filename {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
