//! e-Apostille requests. A holder asks for an apostille on a document issued in Kazakhstan:
//!
//! - one of their **ledger documents**: the request is checked at once (the document must
//!   verify as valid, its issuer authorised) and refused then if it fails;
//! - a **paper document**: its scans are opened as a case (purpose `apostille`, country KZ),
//!   read and checked in the background like a foreign document but against Kazakh
//!   references, and the officer sees the case's route, risk and findings.
//!
//! An apostille officer approves or refuses it, and an approval is issued as an e-Apostille
//! credential. The e-Register finds an issued apostille by its number and date.
//!
//! Each request is one file, `DIR/apostille/<id>.json`, rewritten whole (write, sync, rename)
//! under one lock.

use super::{ReviewError, now};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Mutex;

/// What the automatic check found of the document at the time of the request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DocumentCheck {
    /// The credential id and version.
    pub credential: String,
    pub version: u32,
    pub verification_code: String,
    /// `attestat`, `diploma`, …
    pub kind: String,
    pub issuer: String,
    /// The issuer's Russian name (for field 4, the seal it bears).
    pub issuer_name: String,
    pub issued_on: String,
    /// The verdict: must be `valid`.
    pub status: String,
    pub issuer_authorised: bool,
    /// The document's holder.
    pub holder_name: String,
    pub series_number: String,
}

/// A paper document brought for an apostille: the case its scans were opened as.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaperDocument {
    pub case: String,
    /// `attestat` or `diploma`, as the holder says.
    pub kind: String,
}

/// What a request asks an apostille for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Certified {
    Ledger(DocumentCheck),
    Paper(PaperDocument),
}

impl Certified {
    pub fn kind(&self) -> &str {
        match self {
            Certified::Ledger(d) => &d.kind,
            Certified::Paper(p) => &p.kind,
        }
    }

    /// The ledger document, when it is one.
    pub fn ledger(&self) -> Option<&DocumentCheck> {
        match self {
            Certified::Ledger(d) => Some(d),
            Certified::Paper(_) => None,
        }
    }

    /// The case of a paper document.
    pub fn case(&self) -> Option<&str> {
        match self {
            Certified::Ledger(_) => None,
            Certified::Paper(p) => Some(&p.case),
        }
    }
}

/// The apostille a request became.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IssuedApostille {
    pub number: String,
    pub issued_on: String,
    pub credential: String,
    pub verify_url: String,
    pub code: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RequestState {
    Pending,
    Approved {
        officer: String,
        decided_at: String,
        apostille: IssuedApostille,
    },
    Refused {
        officer: String,
        decided_at: String,
        reason: String,
    },
}

/// One request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub id: String,
    pub at: String,
    /// The holder account that asked.
    pub requested_by: String,
    pub holder_iin: String,
    pub document: Certified,
    #[serde(flatten)]
    pub state: RequestState,
}

/// The requests of one data directory.
pub struct Requests {
    root: PathBuf,
    write: Mutex<()>,
}

fn valid_id(id: &str) -> bool {
    id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Requests {
    pub fn new(data_dir: &std::path::Path) -> Requests {
        Requests {
            root: data_dir.join("apostille"),
            write: Mutex::new(()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.write.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn save(&self, r: &Request) -> Result<(), ReviewError> {
        use std::io::Write as _;
        std::fs::create_dir_all(&self.root)?;
        let bytes = serde_json::to_vec_pretty(r)
            .map_err(|e| ReviewError::Damaged(r.id.clone(), e.to_string()))?;
        let tmp = self.root.join(format!(".{}.tmp", r.id));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, self.root.join(format!("{}.json", r.id)))?;
        Ok(())
    }

    pub fn get(&self, id: &str) -> Result<Request, ReviewError> {
        if !valid_id(id) {
            return Err(ReviewError::Case(crate::intake::CaseError::Unknown(
                format!("apostille request {id:?}"),
            )));
        }
        let bytes = match std::fs::read(self.root.join(format!("{id}.json"))) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ReviewError::Case(crate::intake::CaseError::Unknown(
                    format!("apostille request {id}"),
                )));
            }
            Err(e) => return Err(e.into()),
        };
        serde_json::from_slice(&bytes)
            .map_err(|e| ReviewError::Damaged(id.to_string(), e.to_string()))
    }

    /// Every request, oldest first.
    pub fn list(&self) -> Result<Vec<Request>, ReviewError> {
        let entries = match std::fs::read_dir(&self.root) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut out = Vec::new();
        for e in entries {
            let name = e?.file_name().to_string_lossy().into_owned();
            if let Some(id) = name.strip_suffix(".json").filter(|id| valid_id(id)) {
                out.push(self.get(id)?);
            }
        }
        out.sort_by(|a, b| a.at.cmp(&b.at).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// Records a request whose document passed the automatic check; refuses one that did
    /// not, naming why, and a second request for a document already pending or apostilled.
    pub fn request(
        &self,
        requested_by: &str,
        holder_iin: &str,
        document: DocumentCheck,
    ) -> Result<Request, ReviewError> {
        if document.status != "valid" {
            return Err(ReviewError::Conflict(format!(
                "the document {} is {}: only a valid document is apostilled",
                document.verification_code, document.status
            )));
        }
        if !document.issuer_authorised {
            return Err(ReviewError::Conflict(format!(
                "the issuer {} was not authorised to issue this {} on {}",
                document.issuer, document.kind, document.issued_on
            )));
        }
        let _held = self.lock();
        if let Some(open) = self.list()?.into_iter().find(|r| {
            r.document
                .ledger()
                .is_some_and(|d| d.credential == document.credential)
                && !matches!(r.state, RequestState::Refused { .. })
        }) {
            return Err(ReviewError::Conflict(format!(
                "an apostille for document {} was already requested (request {}, {})",
                document.verification_code,
                open.id,
                match open.state {
                    RequestState::Pending => "pending",
                    _ => "approved",
                }
            )));
        }
        self.record(requested_by, holder_iin, Certified::Ledger(document))
    }

    /// Records a request for a paper document whose scans were opened as `case`. Its reading
    /// and checks are the case's; an officer approves only once the case has been read.
    pub fn request_paper(
        &self,
        requested_by: &str,
        holder_iin: &str,
        case: &str,
        kind: &str,
    ) -> Result<Request, ReviewError> {
        let _held = self.lock();
        if self.list()?.iter().any(|r| r.document.case() == Some(case)) {
            return Err(ReviewError::Conflict(format!(
                "case {case} already has an apostille request"
            )));
        }
        self.record(
            requested_by,
            holder_iin,
            Certified::Paper(PaperDocument {
                case: case.to_string(),
                kind: kind.to_string(),
            }),
        )
    }

    fn record(
        &self,
        requested_by: &str,
        holder_iin: &str,
        document: Certified,
    ) -> Result<Request, ReviewError> {
        let r = Request {
            id: hex::encode(crate::credential::random::bytes::<12>()),
            at: now(),
            requested_by: requested_by.to_string(),
            holder_iin: holder_iin.to_string(),
            document,
            state: RequestState::Pending,
        };
        self.save(&r)?;
        Ok(r)
    }

    /// An apostille officer approves a pending request: `issue` makes the e-Apostille (from the
    /// request and its number); then the request records it.
    pub fn approve(
        &self,
        id: &str,
        officer: &str,
        issue: &dyn Fn(&Request, &str) -> Result<IssuedApostille, String>,
    ) -> Result<Request, ReviewError> {
        let _held = self.lock();
        let mut r = self.pending(id)?;
        let number = format!("AP-{}-{}", &now()[..4], id[..8].to_ascii_uppercase());
        let apostille = issue(&r, &number).map_err(ReviewError::Issue)?;
        r.state = RequestState::Approved {
            officer: officer.to_string(),
            decided_at: now(),
            apostille,
        };
        self.save(&r)?;
        Ok(r)
    }

    pub fn refuse(&self, id: &str, officer: &str, reason: &str) -> Result<Request, ReviewError> {
        let reason = super::text("reason", reason)?;
        let _held = self.lock();
        let mut r = self.pending(id)?;
        r.state = RequestState::Refused {
            officer: officer.to_string(),
            decided_at: now(),
            reason,
        };
        self.save(&r)?;
        Ok(r)
    }

    fn pending(&self, id: &str) -> Result<Request, ReviewError> {
        let r = self.get(id)?;
        match r.state {
            RequestState::Pending => Ok(r),
            _ => Err(ReviewError::Conflict(format!(
                "apostille request {id} is already decided"
            ))),
        }
    }

    /// The e-Register: the apostille of that number issued on that date, if there is one.
    /// A number ends with its request id's first eight hex digits, so only the requests whose
    /// file names start with them are read, not the whole register.
    pub fn find(&self, number: &str, date: &str) -> Result<Option<Request>, ReviewError> {
        let number = number.trim().to_uppercase();
        let date = date.trim();
        let Some(prefix) = number
            .rsplit('-')
            .next()
            .filter(|p| p.len() == 8 && p.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(str::to_ascii_lowercase)
        else {
            return Ok(None);
        };
        let entries = match std::fs::read_dir(&self.root) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        for e in entries {
            let name = e?.file_name().to_string_lossy().into_owned();
            let Some(id) = name
                .strip_suffix(".json")
                .filter(|id| valid_id(id) && id.starts_with(&prefix))
            else {
                continue;
            };
            let r = self.get(id)?;
            if matches!(&r.state, RequestState::Approved { apostille, .. }
                if apostille.number == number && apostille.issued_on == date)
            {
                return Ok(Some(r));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn check(status: &str) -> DocumentCheck {
        DocumentCheck {
            credential: "0011".into(),
            version: 1,
            verification_code: "AAAA-BBBB-CCCC".into(),
            kind: "diploma".into(),
            issuer: "990240001237".into(),
            issuer_name: "КазНУ".into(),
            issued_on: "2024-06-30".into(),
            status: status.into(),
            issuer_authorised: true,
            holder_name: "Ахметов Ерлан".into(),
            series_number: "ЖБ-Б 0012345".into(),
        }
    }

    #[test]
    fn a_request_is_checked_approved_once_and_found_in_the_register() {
        let tmp = tempfile::tempdir().unwrap();
        let requests = Requests::new(tmp.path());
        let revoked = requests.request("holder-1", "950101300036", check("revoked"));
        assert!(matches!(revoked, Err(ReviewError::Conflict(m)) if m.contains("revoked")));
        let mut unauthorised = check("valid");
        unauthorised.issuer_authorised = false;
        assert!(
            requests
                .request("holder-1", "950101300036", unauthorised)
                .is_err()
        );
        assert!(
            requests.list().unwrap().is_empty(),
            "refused requests keep nothing"
        );

        let r = requests
            .request("holder-1", "950101300036", check("valid"))
            .unwrap();
        let again = requests.request("holder-1", "950101300036", check("valid"));
        assert!(matches!(again, Err(ReviewError::Conflict(m)) if m.contains("already requested")));

        let calls = Cell::new(0);
        let issue = |req: &Request, number: &str| {
            calls.set(calls.get() + 1);
            assert_eq!(
                req.document.ledger().map(|d| d.credential.as_str()),
                Some("0011")
            );
            Ok(IssuedApostille {
                number: number.to_string(),
                issued_on: "2026-12-01".into(),
                credential: "ap-1".into(),
                verify_url: "http://x/V/A".into(),
                code: "XXXX".into(),
            })
        };
        let done = requests.approve(&r.id, "ap.officer", &issue).unwrap();
        let RequestState::Approved { apostille, .. } = &done.state else {
            panic!("{done:?}")
        };
        assert!(apostille.number.starts_with("AP-"), "{apostille:?}");
        assert!(requests.approve(&r.id, "ap.officer", &issue).is_err());
        assert!(requests.refuse(&r.id, "ap.officer", "late").is_err());
        assert_eq!(calls.get(), 1);

        let number = apostille.number.to_lowercase();
        let found = requests.find(&number, "2026-12-01").unwrap().unwrap();
        assert_eq!(found.id, r.id);
        assert!(requests.find(&number, "2026-12-02").unwrap().is_none());
        assert!(
            requests
                .find("AP-2026-00000000", "2026-12-01")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_refusal_needs_a_reason_and_frees_the_document() {
        let tmp = tempfile::tempdir().unwrap();
        let requests = Requests::new(tmp.path());
        let r = requests
            .request("h", "950101300036", check("valid"))
            .unwrap();
        assert!(requests.refuse(&r.id, "ap", " ").is_err());
        let failing = |_: &Request, _: &str| Err("no apostille authority".to_string());
        assert!(requests.approve(&r.id, "ap", &failing).is_err());
        assert_eq!(requests.get(&r.id).unwrap().state, RequestState::Pending);
        requests
            .refuse(&r.id, "ap", "the original is needed")
            .unwrap();
        // Refused: the holder may ask again.
        requests
            .request("h", "950101300036", check("valid"))
            .unwrap();
        assert!(requests.get("../etc").is_err());
        assert_eq!(requests.list().unwrap().len(), 2);
    }

    #[test]
    fn a_paper_request_names_its_case_once_and_reads_back_as_paper() {
        let tmp = tempfile::tempdir().unwrap();
        let requests = Requests::new(tmp.path());
        let ledger = requests
            .request("h", "950101300036", check("valid"))
            .unwrap();
        let paper = requests
            .request_paper("h", "950101300036", "c0ffee", "diploma")
            .unwrap();
        let again = requests.request_paper("h", "950101300036", "c0ffee", "diploma");
        assert!(matches!(again, Err(ReviewError::Conflict(m)) if m.contains("c0ffee")));
        // Both kinds survive the file: the untagged form tells them apart.
        let back = requests.get(&paper.id).unwrap();
        assert_eq!(back.document.case(), Some("c0ffee"));
        assert!(back.document.ledger().is_none());
        assert_eq!(back.document.kind(), "diploma");
        let back = requests.get(&ledger.id).unwrap();
        assert_eq!(back.document.case(), None);
        assert_eq!(back.document, Certified::Ledger(check("valid")));
    }
}
