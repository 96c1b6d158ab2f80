//! The demo: what `scripts/demo.sh` (the README's main job) shows a new user.
//!
//! It registers four demo issuers — a school, a college, a university and a guardianship
//! authority — issues from the sample CSVs in `samples/issuance/` (a school class, a college
//! group in Windows-1251, a university cohort, guardianship acts), revokes one attestat and
//! corrects another (so its first version is superseded), and writes every document's QR code
//! and VC with a `manifest.json` under `<data>/demo/`. Running it again finds the manifest and
//! changes nothing.

use crate::credential::lifecycle::{Action, Reason};
use crate::credential::record::DocumentKind;
use crate::data_dir::DataDir;
use crate::issuance::output::{ManifestEntry, write_credential, write_manifest};
use crate::issuance::{Document, StatusRequest, bulk};
use crate::ledger::Log;
use crate::registry::{Change, Names};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use time::Date;

/// (BIN, kinds, names kk/ru/en, sample CSV, kind of the CSV)
const ISSUERS: [(&str, DocumentKind, [&str; 3], &str); 4] = [
    (
        "970940001239",
        DocumentKind::Attestat,
        [
            "№ 25 мектеп-гимназиясы",
            "Школа-гимназия № 25",
            "School-Gymnasium No. 25",
        ],
        "school-class.csv",
    ),
    (
        "050140003254",
        DocumentKind::Diploma,
        [
            "Алматы байланыс колледжі",
            "Алматинский колледж связи",
            "Almaty College of Communications",
        ],
        "college-group-cp1251.csv",
    ),
    (
        "990240001237",
        DocumentKind::Diploma,
        [
            "Әл-Фараби атындағы Қазақ ұлттық университеті",
            "Казахский национальный университет имени аль-Фараби",
            "Al-Farabi Kazakh National University",
        ],
        "university-cohort.csv",
    ),
    (
        "980340001239",
        DocumentKind::Guardianship,
        [
            "Астана қаласының қорғаншылық және қамқоршылық органы",
            "Орган опеки и попечительства города Астаны",
            "Astana Guardianship Authority",
        ],
        "guardianship-acts.csv",
    ),
];

/// The recognition body: it signs the recognition certificates the officers decide on.
/// (Synthetic BIN; the names are those of Kazakhstan's ENIC.)
pub const RECOGNITION_BODY: (&str, [&str; 3]) = (
    "010540000128",
    [
        "Болон процесі және академиялық ұтқырлық орталығы",
        "Центр Болонского процесса и академической мобильности",
        "Bologna Process and Academic Mobility Centre",
    ],
);

/// The competent authority that issues e-Apostilles for education documents. (Synthetic BIN.)
pub const APOSTILLE_AUTHORITY: (&str, [&str; 3]) = (
    "020240000159",
    [
        "Қазақстан Республикасы Ғылым және жоғары білім министрлігі",
        "Министерство науки и высшего образования Республики Казахстан",
        "Ministry of Science and Higher Education of the Republic of Kazakhstan",
    ],
);

#[derive(Debug, thiserror::Error)]
#[error("demo: {0}")]
pub struct DemoError(String);

fn err<E: std::fmt::Display>(e: E) -> DemoError {
    DemoError(e.to_string())
}

/// A demo account and how to sign in with it (written to `<data>/demo/accounts.json`, mode
/// 0600: demo credentials only).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct DemoAccount {
    pub username: String,
    pub role: crate::accounts::Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iin: Option<String>,
    pub password: String,
    pub token: String,
}

/// Creates the demo accounts once — an admin, an operator per demo issuer, and a holder (the
/// first pupil of the school class) — each with a random password and an API token. Running
/// again reads them back.
pub fn seed_accounts(
    dir: &DataDir,
    store: Arc<dyn crate::store::Store>,
    samples: &Path,
) -> Result<Vec<DemoAccount>, DemoError> {
    use crate::accounts::{Accounts, NewAccount, Role};
    let path = demo_dir(dir).join("accounts.json");
    if let Ok(bytes) = std::fs::read(&path) {
        return serde_json::from_slice(&bytes).map_err(err);
    }
    let school = std::fs::read(samples.join(ISSUERS[0].3)).map_err(err)?;
    let holder_iin = match bulk::parse_file(&school, DocumentKind::Attestat)
        .map_err(err)?
        .docs
        .first()
    {
        Some(Document::Attestat(a)) => a.holder.iin.clone(),
        _ => return Err(err("the school class sample has no attestat")),
    };
    let mut wanted: Vec<(String, Role, Option<String>, Option<String>)> =
        vec![("admin".into(), Role::Admin, None, None)];
    for (bin, kind, _, _) in ISSUERS {
        let name = match kind {
            DocumentKind::Attestat => "school",
            DocumentKind::Guardianship => "guardianship",
            DocumentKind::Diploma if bin == ISSUERS[1].0 => "college",
            DocumentKind::Diploma => "university",
            DocumentKind::Recognition => "recognition",
            DocumentKind::Apostille => "apostille",
        };
        wanted.push((
            format!("{name}.operator"),
            Role::IssuerOperator,
            Some(bin.into()),
            None,
        ));
    }
    wanted.push(("holder".into(), Role::Holder, None, Some(holder_iin)));
    wanted.push((
        "recognition.officer".into(),
        Role::RecognitionOfficer,
        None,
        None,
    ));
    // A second one: high-risk recognitions take two officers.
    wanted.push((
        "recognition.officer2".into(),
        Role::RecognitionOfficer,
        None,
        None,
    ));
    wanted.push((
        "apostille.officer".into(),
        Role::ApostilleOfficer,
        None,
        None,
    ));
    let accounts = Accounts::new(store);
    let mut out = Vec::new();
    for (username, role, org, iin) in wanted {
        let mut secret = [0u8; 12];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut secret);
        let password = format!("demo-{}", hex::encode(secret));
        accounts
            .create(NewAccount {
                username: username.clone(),
                role,
                org: org.clone(),
                iin: iin.clone(),
                password: Some(password.clone()),
            })
            .map_err(err)?;
        let token = accounts.create_token(&username, "demo").map_err(err)?;
        out.push(DemoAccount {
            username,
            role,
            org,
            iin,
            password,
            token,
        });
    }
    std::fs::create_dir_all(demo_dir(dir)).map_err(err)?;
    let json = serde_json::to_vec_pretty(&out).map_err(err)?;
    write_private(&path, &json).map_err(err)?;
    Ok(out)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

/// Opens a foreign-document case for each sample scan of `folder` (once: nothing
/// when cases exist). Each application is the applicant's word from the scan's ground truth
/// (its kind: diploma, supplement, attestat or apostille); the first diploma's applicant spells the name in Latin letters, as a passport would. The
/// server's background workers then read them. Returns the case ids.
pub fn seed_cases(dir: &DataDir, folder: &Path) -> Result<Vec<String>, DemoError> {
    use crate::intake::{Application, Cases, ForeignKind, Purpose, Route};
    let cases = Cases::new(&dir.path);
    if !cases.ids().map_err(err)?.is_empty() {
        return Ok(Vec::new());
    }
    let mut scans: Vec<PathBuf> = std::fs::read_dir(folder)
        .map_err(|e| err(format!("{}: {e}", folder.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jpg"))
        .collect();
    scans.sort();
    let mut ids = Vec::new();
    let mut latin_done = false;
    for scan in scans {
        let truth: serde_json::Value =
            serde_json::from_slice(&std::fs::read(scan.with_extension("json")).map_err(err)?)
                .map_err(err)?;
        let field = |k: &str| truth["fields"][k].as_str().map(str::to_string);
        let apostille = truth["kind"] == "apostille";
        let kind: ForeignKind =
            serde_json::from_value(truth["kind"].clone()).unwrap_or(ForeignKind::Diploma);
        let mut holder_name = field("holder_name");
        if kind == ForeignKind::Diploma && !latin_done {
            holder_name = holder_name.map(|n| crate::ocr::names::romanise(&n));
            latin_done = true;
        }
        let application = Application {
            holder_name,
            birth_date: field("birth_date"),
            country: truth["country"].as_str().map(str::to_string),
            kind: Some(kind),
            route: Some(if apostille {
                Route::Apostilled
            } else {
                Route::Neither
            }),
            purpose: Some(Purpose::Recognition),
            ..Default::default()
        };
        let name = scan
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bytes = std::fs::read(&scan).map_err(err)?;
        ids.push(
            cases
                .open_case(&application, vec![(name, bytes)])
                .map_err(err)?,
        );
    }
    Ok(ids)
}

/// Registers a demo issuer for `kind` with a key this deployment holds (once); its key.
/// Opens each sample scan of `folder` (paper documents issued in Kazakhstan) as a case
/// brought by the holder for an e-Apostille, and records the request; once: nothing when
/// requests exist. Returns the request ids.
pub fn seed_paper(
    dir: &DataDir,
    folder: &Path,
    holder: &str,
    iin: &str,
) -> Result<Vec<String>, DemoError> {
    use crate::intake::{Application, Cases, ForeignKind};
    let requests = crate::review::apostille::Requests::new(&dir.path);
    if !requests.list().map_err(err)?.is_empty() {
        return Ok(Vec::new());
    }
    let mut scans: Vec<PathBuf> = match std::fs::read_dir(folder) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "jpg"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(err(format!("{}: {e}", folder.display()))),
    };
    scans.sort();
    let application = Application::paper_apostille(iin, ForeignKind::Diploma).map_err(err)?;
    let cases = Cases::new(&dir.path);
    let mut ids = Vec::new();
    for scan in scans {
        let name = scan
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bytes = std::fs::read(&scan).map_err(err)?;
        let case = cases
            .open_case(&application, vec![(name, bytes)])
            .map_err(err)?;
        ids.push(
            requests
                .request_paper(holder, iin, &case, "diploma")
                .map_err(err)?
                .id,
        );
    }
    Ok(ids)
}

fn register(
    dir: &DataDir,
    svc: &crate::issuance::Issuance,
    root: &crate::credential::issuer_key::IssuerSigningKey,
    bin: &str,
    names: [&str; 3],
    kind: DocumentKind,
) -> Result<crate::credential::issuer_key::IssuerSigningKey, DemoError> {
    let key = dir
        .issuer_key(bin, true)
        .map_err(err)?
        .ok_or_else(|| err("no key"))?;
    if svc.registry().issuer(bin).is_some() {
        return Ok(key);
    }
    let reg = svc.registry();
    let names = Names {
        kk: names[0].into(),
        ru: names[1].into(),
        en: names[2].into(),
    };
    svc.change_registry(
        &reg.sign(
            root,
            Change::RegisterIssuer {
                seq: reg.next_seq(),
                bin: bin.into(),
                names,
                kinds: vec![kind],
            },
        )
        .map_err(err)?,
    )
    .map_err(err)?;
    let reg = svc.registry();
    svc.change_registry(
        &reg.sign(
            root,
            Change::AddKey {
                seq: reg.next_seq(),
                bin: bin.into(),
                key_id: key.public().key_id(),
                public_key: key.public().to_base64url(),
                not_before: "2000-01-01".into(),
                not_after: "2099-12-31".into(),
            },
        )
        .map_err(err)?,
    )
    .map_err(err)?;
    Ok(key)
}

/// Where the demo writes, under the data directory.
pub fn demo_dir(dir: &DataDir) -> PathBuf {
    dir.path.join("demo")
}

/// Seeds the demo once; returns the manifest (read back if it already exists).
pub fn seed(
    dir: &DataDir,
    log: Arc<Log>,
    samples: &Path,
    today: Date,
) -> Result<Vec<serde_json::Value>, DemoError> {
    let out = demo_dir(dir);
    let manifest_path = out.join("manifest.json");
    if manifest_path.exists() {
        let bytes = std::fs::read(&manifest_path).map_err(err)?;
        return serde_json::from_slice(&bytes).map_err(err);
    }
    // Check every sample before issuing anything, so a bad file leaves no partial demo.
    let mut batches = Vec::new();
    for (_, kind, _, csv) in ISSUERS {
        let path = samples.join(csv);
        let bytes =
            std::fs::read(&path).map_err(|e| DemoError(format!("{}: {e}", path.display())))?;
        let (docs, _, bad) = bulk::parse_csv(&bytes, kind).map_err(err)?;
        let mut problems: Vec<String> = bad
            .iter()
            .flat_map(|r| r.errors.iter().map(move |e| format!("row {}: {e}", r.row)))
            .collect();
        for (i, d) in docs.iter().enumerate() {
            if let Err(errors) = d.validate(today) {
                problems.extend(errors.iter().map(|e| format!("row {}: {e}", i + 1)));
            }
        }
        if !problems.is_empty() {
            return Err(DemoError(format!("{csv}: {}", problems.join("; "))));
        }
        batches.push(docs);
    }
    let svc = dir.open_issuance(log).map_err(err)?;
    let root = dir.authority_key().map_err(err)?;
    let mut manifest: Vec<ManifestEntry> = Vec::new();
    for ((bin, kind, names, csv), docs) in ISSUERS.into_iter().zip(batches) {
        let key = register(dir, &svc, &root, bin, names, kind)?;
        let issued = svc
            .issue_batch(bin, &key, &docs, today)
            .map_err(|e| match e {
                crate::issuance::IssueError::Invalid(rows) => DemoError(format!(
                    "{csv}: {}",
                    rows.iter()
                        .flat_map(|r| r
                            .errors
                            .iter()
                            .map(move |e| format!("row {}: {e}", r.row + 1)))
                        .collect::<Vec<_>>()
                        .join("; ")
                )),
                other => err(other),
            })?;
        let name = svc
            .registry()
            .issuer(bin)
            .map(|i| i.names.clone())
            .ok_or_else(|| format!("issuer {bin} is not registered"))
            .map_err(err)?;
        let mut entries = Vec::new();
        for (doc, c) in docs.iter().zip(&issued) {
            entries.push(
                write_credential(&out, &dir.config.public_url, &name, &key, doc, c).map_err(err)?,
            );
        }
        if kind == DocumentKind::Attestat && issued.len() >= 3 {
            // Revoke the second attestat: issued in error.
            let request = StatusRequest {
                action: Action::Revoke,
                reason: Reason::IssuedInError,
                on: today,
            };
            svc.change_status(bin, &key, &issued[1].id, request, today)
                .map_err(err)?;
            entries[1].expected_status = "revoked";
            // Correct the third: a grade was mistyped. Version 1 becomes superseded.
            let mut corrected = docs[2].clone();
            if let Document::Attestat(a) = &mut corrected
                && let Some(s) = a.subjects.last_mut()
            {
                s.grade = if s.grade == 5 { 4 } else { 5 };
            }
            let v2 = svc
                .amend(bin, &key, &issued[2].id, &corrected, today)
                .map_err(err)?;
            entries[2].expected_status = "superseded";
            entries.push(
                write_credential(&out, &dir.config.public_url, &name, &key, &corrected, &v2)
                    .map_err(err)?,
            );
        }
        manifest.extend(entries);
    }
    let (bin, names) = RECOGNITION_BODY;
    register(dir, &svc, &root, bin, names, DocumentKind::Recognition)?;
    let (bin, names) = APOSTILLE_AUTHORITY;
    register(dir, &svc, &root, bin, names, DocumentKind::Apostille)?;
    write_manifest(&out, &manifest).map_err(err)?;
    let bytes = std::fs::read(&manifest_path).map_err(err)?;
    serde_json::from_slice(&bytes).map_err(err)
}
