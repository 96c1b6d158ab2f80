//! Background reading of cases. A submitted case joins a queue; worker threads, each with its
//! own tesseract engine, read its files page by page, run the forensic checks over them
//! (`crate::forensics`: findings, risk and route, against the files seen before) and store
//! what they read and found with the case (`reading.json`), written whole or not at all. Progress (file, page, stage) is visible while
//! a case is read. Cases received but not yet read when the server stopped are queued again
//! when it starts: a submission is never lost to a restart.

use super::{Application, CaseError, Cases, FileEntry};
use crate::forensics::{self, Thresholds, repeat::Seen};
use crate::ocr::{self, preprocess};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

/// Where a case's reading stands.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for a worker; `ahead` cases are before it.
    Queued { ahead: usize },
    /// Being read: file `file` of `files`, page `page` of that file's `pages` done.
    Running {
        file: usize,
        files: usize,
        page: usize,
        pages: usize,
        /// What the worker is doing: `decoding`, `reading`, `storing` or `checking`.
        stage: &'static str,
    },
    /// Read; the reading is stored with the case.
    Done,
    /// The reading could not be made (the reason is stored with the case).
    Failed { error: String },
}

/// A case as the API shows it.
#[derive(Debug, Serialize)]
pub struct CaseView {
    pub id: String,
    pub application: Application,
    pub files: Vec<FileEntry>,
    pub job: JobState,
    /// The stored reading, once done (or failed): per file what `tanba ocr --json` prints.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reading: Option<Value>,
}

struct Inner {
    cases: Cases,
    languages: String,
    thresholds: Thresholds,
    /// Files seen before; held while a case is checked and recorded, so two cases read at
    /// once still see each other.
    seen: Mutex<Seen>,
    queue: Mutex<VecDeque<String>>,
    wake: Condvar,
    running: Mutex<HashMap<String, JobState>>,
    /// Done or failed, as stored: known once read from a case's reading, so that listing
    /// cases does not read every stored reading again.
    finished: Mutex<HashMap<String, JobState>>,
}

/// The queue and its workers.
#[derive(Clone)]
pub struct Jobs {
    inner: Arc<Inner>,
}

impl Jobs {
    /// Starts `workers` reader threads over the cases of `cases`, queueing every case that has
    /// no stored reading yet (oldest first).
    pub fn start(
        cases: Cases,
        workers: usize,
        languages: &str,
        thresholds: Thresholds,
    ) -> Result<Jobs, CaseError> {
        let pending = cases.unread()?;
        let seen = Seen::open(&cases.seen_path())?;
        let jobs = Jobs {
            inner: Arc::new(Inner {
                cases,
                languages: languages.to_string(),
                thresholds,
                seen: Mutex::new(seen),
                queue: Mutex::new(pending.into()),
                wake: Condvar::new(),
                running: Mutex::new(HashMap::new()),
                finished: Mutex::new(HashMap::new()),
            }),
        };
        for n in 0..workers.max(1) {
            let inner = jobs.inner.clone();
            std::thread::Builder::new()
                .name(format!("ocr-{n}"))
                .spawn(move || worker(&inner))
                .map_err(CaseError::Io)?;
        }
        Ok(jobs)
    }

    /// Opens a case (see [`Cases::open_case`]) and queues it for reading.
    pub fn submit(
        &self,
        application: &Application,
        files: Vec<(String, Vec<u8>)>,
    ) -> Result<String, CaseError> {
        let id = self.inner.cases.open_case(application, files)?;
        lock(&self.inner.queue).push_back(id.clone());
        self.inner.wake.notify_one();
        Ok(id)
    }

    /// Where the reading of case `id` stands.
    pub fn state(&self, id: &str) -> Result<JobState, CaseError> {
        if let Some(s) = lock(&self.inner.running).get(id) {
            return Ok(s.clone());
        }
        if let Some(ahead) = lock(&self.inner.queue).iter().position(|q| q == id) {
            return Ok(JobState::Queued { ahead });
        }
        if let Some(s) = lock(&self.inner.finished).get(id) {
            return Ok(s.clone());
        }
        match self.inner.cases.reading(id)? {
            Some(r) => {
                let state = finished_state(&r);
                lock(&self.inner.finished).insert(id.to_string(), state.clone());
                Ok(state)
            }
            // Neither queued, running nor read: only while a worker moves it between the two.
            None => Ok(JobState::Queued { ahead: 0 }),
        }
    }

    /// A case with its job's state and, when there is one, its stored reading.
    pub fn view(&self, id: &str) -> Result<CaseView, CaseError> {
        let (application, files) = self.inner.cases.listing(id)?;
        let job = self.state(id)?;
        let reading = match job {
            JobState::Done | JobState::Failed { .. } => self.inner.cases.reading(id)?,
            _ => None,
        };
        Ok(CaseView {
            id: id.to_string(),
            application,
            files,
            job,
            reading,
        })
    }

    /// One file of case `id`, by its hash, checked to still have that hash.
    pub fn file(&self, id: &str, sha256: &str) -> Result<super::Received, CaseError> {
        self.inner.cases.file(id, sha256)
    }

    /// Every case, oldest first, with its job's state.
    pub fn list(&self) -> Result<Vec<(String, JobState)>, CaseError> {
        self.inner
            .cases
            .ids()?
            .into_iter()
            .map(|id| {
                let s = self.state(&id)?;
                Ok((id, s))
            })
            .collect()
    }
}

/// Done, or failed with the stored reason.
fn finished_state(reading: &Value) -> JobState {
    match reading.get("error").and_then(Value::as_str) {
        Some(e) => JobState::Failed {
            error: e.to_string(),
        },
        None => JobState::Done,
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn worker(inner: &Inner) {
    // The engine is started on the first case, and again after a failure to start.
    let mut reader: Option<ocr::Reader> = None;
    loop {
        let id = {
            let mut q = lock(&inner.queue);
            loop {
                if let Some(id) = q.pop_front() {
                    break id;
                }
                q = inner.wake.wait(q).unwrap_or_else(|p| p.into_inner());
            }
        };
        let set = |s: JobState| {
            lock(&inner.running).insert(id.clone(), s);
        };
        set(JobState::Running {
            file: 0,
            files: 0,
            page: 0,
            pages: 0,
            stage: "decoding",
        });
        let started = Instant::now();
        // A fault in the pipeline fails this case, not the worker.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            read_case(inner, &id, &mut reader, &set)
        }))
        .unwrap_or_else(|_| Err("the reading stopped on an internal fault".to_string()));
        if result.is_err() {
            // An engine error may leave the engine unusable: the next case starts a new one.
            reader = None;
        }
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let stored = match result {
            Ok((files, check)) => serde_json::json!({"files": files, "check": check, "ms": ms}),
            Err(e) => {
                tracing::warn!(case = %id, error = %e, "case could not be read");
                serde_json::json!({"error": e, "ms": ms})
            }
        };
        match inner.cases.store_reading(&id, &stored) {
            Ok(()) => {
                lock(&inner.finished).insert(id.clone(), finished_state(&stored));
            }
            // Not stored: the case stays unread and is queued again at the next start.
            Err(e) => tracing::error!(case = %id, error = %e, "reading not stored"),
        }
        lock(&inner.running).remove(&id);
    }
}

/// Reads every file of a case; the error is the sentence stored with the case.
fn read_case(
    inner: &Inner,
    id: &str,
    reader: &mut Option<ocr::Reader>,
    set: &dyn Fn(JobState),
) -> Result<(Vec<ocr::FileReading>, forensics::Report), String> {
    let (application, files) = inner.cases.read(id).map_err(|e| e.to_string())?;
    let mut engine_ms = 0.0;
    if reader.is_none() {
        let t = Instant::now();
        *reader = Some(ocr::Reader::new(&inner.languages).map_err(|e| e.to_string())?);
        engine_ms = t.elapsed().as_secs_f64() * 1000.0;
    }
    let reader = reader.as_mut().expect("started above");
    let mut out = Vec::with_capacity(files.len());
    let n = files.len();
    for (i, file) in files.iter().enumerate() {
        set(JobState::Running {
            file: i + 1,
            files: n,
            page: 0,
            pages: 0,
            stage: "decoding",
        });
        let mut timings = BTreeMap::new();
        let t = Instant::now();
        let pages = file.pages().map_err(|e| e.to_string())?;
        timings.insert("decode".to_string(), t.elapsed().as_secs_f64() * 1000.0);
        if i == 0 && engine_ms > 0.0 {
            timings.insert("ocr_init".to_string(), engine_ms);
        }
        let count = pages.len();
        set(JobState::Running {
            file: i + 1,
            files: n,
            page: 0,
            pages: count,
            stage: "reading",
        });
        let reading = ocr::read_file(
            reader,
            file,
            &pages,
            Some(&application),
            &preprocess::Options::default(),
            timings,
            &mut |done, pages| {
                set(JobState::Running {
                    file: i + 1,
                    files: n,
                    page: done,
                    pages,
                    stage: if done == pages { "storing" } else { "reading" },
                })
            },
        )
        .map_err(|e| format!("file {:?}: {e}", file.name))?;
        out.push(forensics::ReadFile {
            reading,
            pages: pages.into_iter().map(|p| p.image).collect(),
        });
    }
    set(JobState::Running {
        file: n,
        files: n,
        page: 0,
        pages: 0,
        stage: "checking",
    });
    let scans: Vec<forensics::Scan> = out.iter().map(forensics::ReadFile::scan).collect();
    let mut seen = lock(&inner.seen);
    let enrolled =
        forensics::enrolled::Library::open(inner.cases.data_dir()).map_err(|e| e.to_string())?;
    let ctx = forensics::Context {
        application: Some(&application),
        references: forensics::References::builtin(),
        seen: Some(&seen),
        today: time::OffsetDateTime::now_utc().date(),
        enrolled: Some(&enrolled),
    };
    let report = forensics::report(&scans, &ctx, &inner.thresholds, crate::i18n::Lang::En);
    for scan in &scans {
        seen.record(id, scan, Some(&application))
            .map_err(|e| e.to_string())?;
    }
    drop(seen);
    Ok((out.into_iter().map(|r| r.reading).collect(), report))
}
