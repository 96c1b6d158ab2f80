//! Foreign-document intake. A case is an application (who applies, for what) plus the scans
//! submitted with it: diplomas, attestats, supplements, apostille certificates and their
//! translations, as JPEG, PNG, TIFF or PDF.
//!
//! Every file is hashed (SHA-256) and kept byte for byte as received, under its hash, next to
//! the application: what an officer later sees and what the pipeline read are provably the
//! same bytes. Files are checked by content before they are kept — the format from the bytes,
//! the size, and each page's pixel count from its header ([`raster`]) — so a case never holds
//! a file the pipeline cannot read or a decompression bomb.

pub mod countries;
pub mod jobs;
pub mod raster;

/// The stored reading of a case's files.
const READING: &str = "reading.json";

use crate::credential::ids::Iin;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Largest file accepted (a 40-page scanned PDF at 300 dpi, JPEG-compressed).
pub const MAX_FILE_BYTES: usize = 50 * 1024 * 1024;

/// What the applicant says the document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ForeignKind {
    Diploma,
    Attestat,
    Supplement,
    Apostille,
    Translation,
}

/// How the document was certified for use abroad.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Route {
    Apostilled,
    Legalised,
    Neither,
}

/// What the applicant asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    Recognition,
    Apostille,
}

/// The application of a case. Any field may be missing; a present one must be well-formed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder_name: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    /// A Kazakhstani IIN, if the applicant has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iin: Option<String>,
    /// ISO 3166-1 alpha-2 of the issuing country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ForeignKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<Route>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<Purpose>,
}

/// One broken rule of an application or a file, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl Application {
    /// Reads an application from JSON, naming the field of any error.
    pub fn from_json(bytes: &[u8]) -> Result<Self, Vec<FieldError>> {
        let app: Application = serde_json::from_slice(bytes).map_err(|e| {
            vec![FieldError {
                field: "application".into(),
                reason: format!("not an application JSON object: {e}"),
            }]
        })?;
        app.validate()?;
        Ok(app)
    }

    /// The application of a paper document issued in Kazakhstan that the holder of `iin`
    /// brings for an e-Apostille: their IIN and the birth date it carries, country `KZ`, not
    /// yet certified for use abroad, purpose `apostille`.
    pub fn paper_apostille(iin: &str, kind: ForeignKind) -> Result<Application, FieldError> {
        let (y, m, d) = Iin::parse("iin", iin)
            .map_err(|e| FieldError {
                field: "iin".into(),
                reason: e.reason,
            })?
            .birth_date();
        Ok(Application {
            iin: Some(iin.to_string()),
            birth_date: Some(format!("{y:04}-{m:02}-{d:02}")),
            country: Some("KZ".into()),
            kind: Some(kind),
            route: Some(Route::Neither),
            purpose: Some(Purpose::Apostille),
            ..Default::default()
        })
    }

    /// Every broken rule at once.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field: &str, reason: String| {
            errors.push(FieldError {
                field: field.into(),
                reason,
            })
        };
        if let Some(name) = &self.holder_name {
            if name.trim().is_empty() {
                fail("holder_name", "is empty".into());
            } else if name.chars().count() > 200 {
                fail("holder_name", "is longer than 200 characters".into());
            }
        }
        let birth = self.birth_date.as_deref().map(|d| {
            time::Date::parse(
                d.trim(),
                time::macros::format_description!("[year]-[month]-[day]"),
            )
            .map_err(|_| format!("{d:?} is not a date in the form YYYY-MM-DD"))
        });
        if let Some(Err(reason)) = &birth {
            fail("birth_date", reason.clone());
        }
        if let Some(iin) = &self.iin {
            match Iin::parse("iin", iin) {
                Err(e) => fail("iin", e.reason),
                Ok(parsed) => {
                    let (y, m, d) = parsed.birth_date();
                    if let Some(Ok(b)) = birth
                        && (b.year(), u8::from(b.month()), b.day()) != (y, m, d)
                    {
                        fail(
                            "iin",
                            format!("its birth date is not the application's birth_date {b}"),
                        );
                    }
                }
            }
        }
        if let Some(c) = &self.country {
            if !(c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase())) {
                fail(
                    "country",
                    format!(
                        "{c:?} is not an ISO 3166-1 alpha-2 code (two capital letters, e.g. RU)"
                    ),
                );
            } else if !countries::is_assigned(c) {
                fail(
                    "country",
                    format!("{c:?} is not an assigned ISO 3166-1 alpha-2 code of any country"),
                );
            }
        }
        // What the applicant asks for must fit what they say the document is: recognition is
        // for documents from abroad; Kazakhstan apostilles only its own documents, and only
        // ones not already certified for use abroad.
        let kz = self.country.as_deref() == Some("KZ");
        match self.purpose {
            Some(Purpose::Recognition) if kz => fail(
                "purpose",
                "recognition is for foreign documents; the country is KZ (Kazakhstan's own \
                 documents need none)"
                    .into(),
            ),
            Some(Purpose::Apostille) => {
                if let Some(c) = self.country.as_deref().filter(|c| *c != "KZ") {
                    fail(
                        "purpose",
                        format!(
                            "Kazakhstan apostilles only documents issued in Kazakhstan; the \
                             country is {c}"
                        ),
                    );
                }
                if matches!(self.route, Some(Route::Apostilled | Route::Legalised)) {
                    fail(
                        "route",
                        "a document brought for an apostille has not yet been certified for \
                         use abroad; the route must be \"neither\" or left out"
                            .into(),
                    );
                }
                if self.kind == Some(ForeignKind::Apostille) {
                    fail(
                        "kind",
                        "an apostille certificate is not itself apostilled; give the \
                         document it certifies"
                            .into(),
                    );
                }
            }
            _ => {}
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// A file as received: its bytes, their hash, and the format they were checked to be.
#[derive(Clone)]
pub struct Received {
    /// The name it was submitted under (shown, never trusted).
    pub name: String,
    pub sha256: String,
    pub format: raster::Format,
    pub bytes: Vec<u8>,
}

impl Received {
    /// Checks a submitted file: size, format by content. Its pages are measured when read.
    pub fn check(name: &str, bytes: Vec<u8>) -> Result<Self, FieldError> {
        let fail = |reason: String| FieldError {
            field: format!("file {name:?}"),
            reason,
        };
        if bytes.len() > MAX_FILE_BYTES {
            return Err(fail(format!(
                "is {} bytes; at most {MAX_FILE_BYTES}",
                bytes.len()
            )));
        }
        let format = raster::Format::sniff(&bytes).ok_or_else(|| {
            fail(
                raster::RasterError::UnknownFormat(hex::encode(&bytes[..bytes.len().min(8)]))
                    .to_string(),
            )
        })?;
        Ok(Received {
            name: name.into(),
            sha256: hex::encode(Sha256::digest(&bytes)),
            format,
            bytes,
        })
    }

    /// The file's pages, decoded under the limits of [`raster`].
    pub fn pages(&self) -> Result<Vec<raster::Page>, FieldError> {
        raster::pages(&self.bytes).map_err(|e| FieldError {
            field: format!("file {:?}", self.name),
            reason: e.to_string(),
        })
    }
}

/// Where cases live: `DIR/cases/<case id>/` with `application.json`, `files.json` (name,
/// hash, format of each file in submission order), `files/<sha256>.<ext>`, and once the
/// background job has read them, `reading.json` ([`jobs`]).
pub struct Cases {
    root: PathBuf,
}

/// A stored case's listing of one file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    pub name: String,
    pub sha256: String,
    pub format: raster::Format,
    pub bytes: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("the case is not valid: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    #[error("no case {0}")]
    Unknown(String),
    #[error("the stored file {0} no longer has the hash it was received with")]
    Altered(String),
    #[error("case storage: {0}")]
    Io(#[from] std::io::Error),
    #[error("the index of files seen: {0}")]
    Seen(#[from] crate::forensics::repeat::SeenError),
}

impl Cases {
    pub fn new(data_dir: &Path) -> Self {
        Cases {
            root: data_dir.join("cases"),
        }
    }

    /// The data directory the cases are kept in.
    pub fn data_dir(&self) -> &Path {
        self.root.parent().unwrap_or(&self.root)
    }

    /// The index of files the checks have seen (`DIR/forensics/seen.jsonl`).
    pub fn seen_path(&self) -> PathBuf {
        self.root.with_file_name("forensics").join("seen.jsonl")
    }

    /// Checks every file and the application, then keeps them all under a new case id — or,
    /// if anything is wrong, keeps nothing and names every problem.
    pub fn open_case(
        &self,
        application: &Application,
        files: Vec<(String, Vec<u8>)>,
    ) -> Result<String, CaseError> {
        let mut errors = application.validate().err().unwrap_or_default();
        if files.is_empty() {
            errors.push(FieldError {
                field: "files".into(),
                reason: "a case needs at least one scan".into(),
            });
        }
        let mut received = Vec::new();
        for (name, bytes) in files {
            match Received::check(&name, bytes).and_then(|r| r.pages().map(|_| r)) {
                Ok(r) => received.push(r),
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(CaseError::Invalid(errors));
        }
        let id = hex::encode(crate::credential::random::bytes::<12>());
        // Written under a temporary name and renamed into place: a crash leaves no half case.
        let tmp = self.root.join(format!(".new-{id}"));
        std::fs::create_dir_all(tmp.join("files"))?;
        let listing: Vec<FileEntry> = received
            .iter()
            .map(|r| FileEntry {
                name: r.name.clone(),
                sha256: r.sha256.clone(),
                format: r.format,
                bytes: r.bytes.len(),
            })
            .collect();
        for r in &received {
            std::fs::write(
                tmp.join("files")
                    .join(format!("{}.{}", r.sha256, r.format.extension())),
                &r.bytes,
            )?;
        }
        std::fs::write(
            tmp.join("application.json"),
            serde_json::to_vec_pretty(application).map_err(std::io::Error::other)?,
        )?;
        std::fs::write(
            tmp.join("files.json"),
            serde_json::to_vec_pretty(&listing).map_err(std::io::Error::other)?,
        )?;
        std::fs::rename(&tmp, self.root.join(&id))?;
        Ok(id)
    }

    fn dir(&self, id: &str) -> Result<PathBuf, CaseError> {
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(CaseError::Unknown(id.into()));
        }
        let dir = self.root.join(id);
        if !dir.is_dir() {
            return Err(CaseError::Unknown(id.into()));
        }
        Ok(dir)
    }

    /// A stored case's application and its files' listing (names, hashes, formats, sizes),
    /// without reading the files.
    pub fn listing(&self, id: &str) -> Result<(Application, Vec<FileEntry>), CaseError> {
        let dir = self.dir(id)?;
        let app: Application =
            serde_json::from_slice(&std::fs::read(dir.join("application.json"))?)
                .map_err(std::io::Error::other)?;
        let listing: Vec<FileEntry> =
            serde_json::from_slice(&std::fs::read(dir.join("files.json"))?)
                .map_err(std::io::Error::other)?;
        Ok((app, listing))
    }

    /// When case `id` was opened (its application was written).
    pub fn opened(&self, id: &str) -> Result<std::time::SystemTime, CaseError> {
        Ok(std::fs::metadata(self.dir(id)?.join("application.json"))?.modified()?)
    }

    /// Every case's id, oldest first.
    pub fn ids(&self) -> Result<Vec<String>, CaseError> {
        let entries = match std::fs::read_dir(&self.root) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut ids = Vec::new();
        for e in entries {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            // `.new-*` are cases being written (or left half-written by a crash).
            if name.starts_with('.') || !e.file_type()?.is_dir() {
                continue;
            }
            // application.json is written once, when the case is opened.
            let opened = std::fs::metadata(e.path().join("application.json"))
                .and_then(|m| m.modified())
                .unwrap_or(std::time::SystemTime::UNIX_EPOCH);
            ids.push((opened, name));
        }
        ids.sort();
        Ok(ids.into_iter().map(|(_, id)| id).collect())
    }

    /// The cases with no stored reading, oldest first.
    pub fn unread(&self) -> Result<Vec<String>, CaseError> {
        Ok(self
            .ids()?
            .into_iter()
            .filter(|id| !self.root.join(id).join(READING).exists())
            .collect())
    }

    /// What the background job stored for case `id`, if it has run.
    pub fn reading(&self, id: &str) -> Result<Option<serde_json::Value>, CaseError> {
        let path = self.dir(id)?.join(READING);
        match std::fs::read(&path) {
            Ok(b) => Ok(Some(
                serde_json::from_slice(&b).map_err(std::io::Error::other)?,
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Stores a case's reading, whole or not at all (written aside, synced, renamed).
    pub fn store_reading(&self, id: &str, reading: &serde_json::Value) -> Result<(), CaseError> {
        use std::io::Write;
        let dir = self.dir(id)?;
        let tmp = dir.join(format!(".{READING}.tmp"));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&serde_json::to_vec(reading).map_err(std::io::Error::other)?)?;
        f.sync_all()?;
        std::fs::rename(&tmp, dir.join(READING))?;
        Ok(())
    }

    /// A stored case's application and files, each file checked against its hash.
    pub fn read(&self, id: &str) -> Result<(Application, Vec<Received>), CaseError> {
        let (app, listing) = self.listing(id)?;
        let dir = self.dir(id)?;
        let files = listing
            .into_iter()
            .map(|f| Self::kept(&dir, f))
            .collect::<Result<_, _>>()?;
        Ok((app, files))
    }

    /// One file of case `id`, by its hash, checked to still have that hash.
    pub fn file(&self, id: &str, sha256: &str) -> Result<Received, CaseError> {
        let (_, listing) = self.listing(id)?;
        let entry = listing
            .into_iter()
            .find(|f| f.sha256 == sha256)
            .ok_or_else(|| CaseError::Unknown(format!("{id}/files/{sha256}")))?;
        Self::kept(&self.dir(id)?, entry)
    }

    /// A listed file's bytes as kept, checked against the hash it was received with.
    fn kept(dir: &Path, f: FileEntry) -> Result<Received, CaseError> {
        let bytes = std::fs::read(dir.join("files").join(format!(
            "{}.{}",
            f.sha256,
            f.format.extension()
        )))?;
        if hex::encode(Sha256::digest(&bytes)) != f.sha256 {
            return Err(CaseError::Altered(f.name));
        }
        Ok(Received {
            name: f.name,
            sha256: f.sha256,
            format: f.format,
            bytes,
        })
    }
}

#[cfg(test)]
mod tests;
