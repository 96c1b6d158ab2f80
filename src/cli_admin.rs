//! CLI commands for accounts, the audit journal, and one credential's re-access and lifecycle.
//! They act as the local operator (`cli:<user>` in the journal, source `local`): whoever can
//! run them can read the data directory's keys anyway; the journal still records them.

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use tanba::accounts::journal::{Journal, JournalLine, Outcome, Query};
use tanba::accounts::{Accounts, NewAccount};
use tanba::credential::lifecycle::{Action, Reason};
use tanba::credential::record::CredentialId;
use tanba::data_dir::DataDir;
use tanba::issuance::{Document, StatusRequest, output};
use tanba::store::Store;

use crate::DataArg;

#[derive(Subcommand)]
pub enum AccountCommand {
    /// Create an account and print an API token for it (shown once).
    Add {
        #[command(flatten)]
        data: DataArg,
        #[arg(long)]
        username: String,
        /// admin, issuer_operator, holder, recognition_officer or apostille_officer.
        #[arg(long)]
        role: String,
        /// The organisation's BIN (issuer operators).
        #[arg(long)]
        org: Option<String>,
        /// The holder's IIN (holders).
        #[arg(long)]
        iin: Option<String>,
        /// Name of an environment variable holding the password for sign-in (none: API
        /// token only).
        #[arg(long)]
        password_env: Option<String>,
    },
    /// List accounts.
    List {
        #[command(flatten)]
        data: DataArg,
    },
}

#[derive(Subcommand)]
pub enum CredentialCommand {
    /// Print a credential version: status, history and claims (JSON).
    Show {
        #[command(flatten)]
        data: DataArg,
        id: String,
        #[arg(long)]
        version: Option<u32>,
    },
    /// The credentials of a person, by IIN.
    Find {
        #[command(flatten)]
        data: DataArg,
        #[arg(long)]
        iin: String,
    },
    /// Re-access: write the version's PDF, QR and VC again (the same document, not a new one).
    Files {
        #[command(flatten)]
        data: DataArg,
        id: String,
        #[arg(long)]
        version: Option<u32>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Revoke, reinstate, or terminate (a guardianship), with a reason.
    Status {
        #[command(flatten)]
        data: DataArg,
        id: String,
        /// revoke, reinstate or terminate.
        #[arg(long)]
        action: String,
        /// issued_in_error, fraud, decision, grounds_lifted, majority, adoption,
        /// guardian_released, ...
        #[arg(long)]
        reason: String,
        /// Effective date (YYYY-MM-DD); today if absent.
        #[arg(long)]
        on: Option<String>,
    },
    /// Ledger issuance entries whose store write never happened (a crash in between), found
    /// by the reconciliation every start runs. JSON lines.
    Orphans {
        #[command(flatten)]
        data: DataArg,
    },
    /// Correct a document: the JSON file's document becomes the next version.
    Amend {
        #[command(flatten)]
        data: DataArg,
        id: String,
        /// The corrected document as JSON (`{"kind": "attestat", ...}`).
        #[arg(long)]
        file: PathBuf,
    },
}

fn who() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    )
}

fn journal(
    store: &Arc<dyn Store>,
    action: &str,
    target: &str,
    outcome: Outcome,
    detail: &str,
) -> Result<()> {
    Journal::new(store.clone()).record(JournalLine {
        n: 0,
        at: String::new(),
        who: who(),
        role: None,
        org: None,
        action: action.into(),
        target: target.into(),
        source: "local".into(),
        outcome,
        detail: detail.into(),
    })?;
    Ok(())
}

/// The signing key this data directory holds for an issuer.
fn held_key(dir: &DataDir, bin: &str) -> Result<tanba::credential::issuer_key::IssuerSigningKey> {
    dir.issuer_key(bin, false)?
        .with_context(|| format!("no signing key for issuer {bin} in this data directory"))
}

fn enum_arg<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(s.trim().to_lowercase()))
        .map_err(|_| anyhow::anyhow!("{what} {s:?} is not recognised"))
}

pub fn account(cmd: AccountCommand) -> Result<ExitCode> {
    match cmd {
        AccountCommand::Add {
            data,
            username,
            role,
            org,
            iin,
            password_env,
        } => {
            let dir = DataDir::open(&data.data)?;
            let password = match password_env {
                Some(var) => Some(
                    std::env::var(&var)
                        .with_context(|| format!("environment variable {var} is not set"))?,
                ),
                None => None,
            };
            let store: Arc<dyn Store> = dir.open_store()?;
            let accounts = Accounts::new(store.clone());
            let result = accounts.create(NewAccount {
                username: username.clone(),
                role: role.parse()?,
                org,
                iin,
                password,
            });
            match result {
                Ok(a) => {
                    let token = accounts.create_token(&a.username, "cli")?;
                    journal(&store, "account.create", &username, Outcome::Ok, &role)?;
                    println!("{token}");
                    eprintln!(
                        "created {} ({role}); the API token above is shown once",
                        a.username
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    journal(
                        &store,
                        "account.create",
                        &username,
                        Outcome::Failed,
                        &e.to_string(),
                    )?;
                    bail!(e)
                }
            }
        }
        AccountCommand::List { data } => {
            let dir = DataDir::open(&data.data)?;
            let list = Accounts::new(dir.open_store()?).list()?;
            println!("{}", serde_json::to_string_pretty(&list)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub fn read_journal(data: &std::path::Path, q: Query) -> Result<ExitCode> {
    let dir = DataDir::open(data)?;
    let lines = Journal::new(dir.open_store()?)
        .query(&q)
        .map_err(|e| anyhow::anyhow!(e))?;
    for l in lines {
        println!("{}", serde_json::to_string(&l)?);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn credential(cmd: CredentialCommand) -> Result<ExitCode> {
    let data = match &cmd {
        CredentialCommand::Show { data, .. }
        | CredentialCommand::Find { data, .. }
        | CredentialCommand::Files { data, .. }
        | CredentialCommand::Status { data, .. }
        | CredentialCommand::Amend { data, .. }
        | CredentialCommand::Orphans { data } => data.data.clone(),
    };
    let dir = DataDir::open(&data)?;
    let log = Arc::new(dir.open_log()?);
    let svc = dir.open_issuance(log.clone())?;
    let store = log.store_arc();
    let today = time::OffsetDateTime::now_utc().date();
    let result = (|| -> Result<ExitCode> {
        match cmd {
            CredentialCommand::Show { id, version, .. } => {
                let id = CredentialId::parse(&id)?;
                let opened = svc.open_credential(&id, version)?;
                let header = &opened.public.signed.header;
                let (latest, _) = svc.public_record(&id, None)?;
                let (_, status) = svc.status(&id, Some(header.version))?;
                let history = svc.history(&id)?;
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "id": id.to_string(), "version": header.version, "latest_version": latest,
                        "kind": header.kind, "issuer": header.issuer, "issued_on": header.issued_on,
                        "verification_code": id.verification_code(),
                        "status": status, "history": history, "claims": opened.claims,
                    }))?
                );
                Ok(ExitCode::SUCCESS)
            }
            CredentialCommand::Find { iin, .. } => {
                for id in svc.credentials_of(iin.trim())? {
                    let (latest, public) = svc.public_record(&id, None)?;
                    let (_, status) = svc.status(&id, None)?;
                    println!(
                        "{id}\t{:?}\tv{latest}\t{}\t{}",
                        public.signed.header.kind,
                        status.code(),
                        id.verification_code()
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            CredentialCommand::Files {
                id, version, out, ..
            } => {
                let cid = CredentialId::parse(&id)?;
                let opened = svc.open_credential(&cid, version)?;
                let header = &opened.public.signed.header;
                let doc = Document::from_claims(header.kind, &header.issued_on, &opened.claims)
                    .map_err(|e| anyhow::anyhow!(e))?;
                let bin = header.issuer.to_string();
                let key = held_key(&dir, &bin)?;
                let names = svc
                    .registry()
                    .issuer(&bin)
                    .map(|i| i.names.clone())
                    .with_context(|| format!("issuer {bin} is not registered"))?;
                let a = output::artifacts(&dir.config.public_url, &names, &key, &doc, header)?;
                std::fs::create_dir_all(&out)?;
                std::fs::write(out.join("document.pdf"), &a.pdf)?;
                std::fs::write(out.join("qr.png"), &a.qr_png)?;
                std::fs::write(out.join("vc.json"), &a.vc_json)?;
                journal(
                    &store,
                    "credential.reaccess",
                    &id,
                    Outcome::Ok,
                    &format!("v{}", header.version),
                )?;
                eprintln!(
                    "wrote document.pdf, qr.png and vc.json of {id} v{} to {}",
                    header.version,
                    out.display()
                );
                Ok(ExitCode::SUCCESS)
            }
            CredentialCommand::Status {
                id,
                action,
                reason,
                on,
                ..
            } => {
                let cid = CredentialId::parse(&id)?;
                let action: Action = enum_arg("action", &action)?;
                let reason: Reason = enum_arg("reason", &reason)?;
                let on = match on {
                    Some(s) => time::Date::parse(
                        &s,
                        time::macros::format_description!("[year]-[month]-[day]"),
                    )
                    .with_context(|| format!("--on {s:?} is not a YYYY-MM-DD date"))?,
                    None => today,
                };
                let (_, public) = svc.public_record(&cid, None)?;
                let bin = public.signed.header.issuer.to_string();
                let key = held_key(&dir, &bin)?;
                let label = format!("credential.{}", format!("{action:?}").to_lowercase());
                match svc.change_status(
                    &bin,
                    &key,
                    &cid,
                    StatusRequest { action, reason, on },
                    today,
                ) {
                    Ok(status) => {
                        journal(&store, &label, &id, Outcome::Ok, &format!("{reason:?}"))?;
                        println!("{id}\t{}", status.code());
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(e) => {
                        journal(&store, &label, &id, Outcome::Failed, &e.to_string())?;
                        bail!(e)
                    }
                }
            }
            CredentialCommand::Orphans { .. } => {
                for o in svc.orphans()? {
                    println!("{}", serde_json::to_string(&o)?);
                }
                Ok(ExitCode::SUCCESS)
            }
            CredentialCommand::Amend { id, file, .. } => {
                let cid = CredentialId::parse(&id)?;
                let bytes = std::fs::read(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let doc: Document = serde_json::from_slice(&bytes)
                    .with_context(|| format!("{} is not a document in JSON", file.display()))?;
                let (_, public) = svc.public_record(&cid, None)?;
                let bin = public.signed.header.issuer.to_string();
                let key = held_key(&dir, &bin)?;
                match svc.amend(&bin, &key, &cid, &doc, today) {
                    Ok(c) => {
                        journal(
                            &store,
                            "credential.amend",
                            &id,
                            Outcome::Ok,
                            &format!("now v{}", c.version),
                        )?;
                        println!("{id}\tv{}", c.version);
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(e) => {
                        journal(
                            &store,
                            "credential.amend",
                            &id,
                            Outcome::Failed,
                            &e.to_string(),
                        )?;
                        bail!(e)
                    }
                }
            }
        }
    })();
    log.close();
    result
}

/// `tanba verify`: the verdict for a QR text or an image of the code; exit 0 valid, 1 not.
pub fn verify(
    input: &str,
    data: &std::path::Path,
    trust: Option<&std::path::Path>,
    json: bool,
    lang: &str,
) -> Result<ExitCode> {
    use tanba::verify::{Code, Verifier, scan};
    if !matches!(lang, "kk" | "ru" | "en") {
        bail!("--lang {lang:?} is not one of kk, ru, en");
    }
    let path = std::path::Path::new(input);
    let text = if path.is_file() {
        let bytes = std::fs::read(path).with_context(|| format!("reading {input}"))?;
        if bytes.starts_with(b"%PDF") {
            bail!(
                "{input}: reading the QR code from a PDF is not supported yet; give an image of the page or the QR text"
            );
        }
        let texts = scan::qr_texts(&bytes).with_context(|| input.to_string())?;
        texts
            .into_iter()
            .next()
            .with_context(|| format!("{input}: no QR code found"))?
    } else {
        input.to_string()
    };
    let verdict = match trust {
        Some(file) => {
            let bytes =
                std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
            let list: tanba::registry::TrustList = serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not a trust list", file.display()))?;
            let (registry, as_of) = list
                .registry(None)
                .with_context(|| format!("{}: the trust list does not verify", file.display()))?;
            Verifier::Offline {
                registry: &registry,
                as_of,
            }
            .verify_qr(&text, None)?
        }
        None => {
            let dir = DataDir::open(data).with_context(|| {
                format!(
                    "{}: give --data DIR of a ledger, or --trust FILE (the JSON served at /trust) to verify offline",
                    data.display()
                )
            })?;
            let log = Arc::new(dir.open_log().context(
                "the ledger is in use (is `tanba serve` running?); verify offline with --trust FILE, or over HTTP",
            )?);
            let issuance = dir.open_issuance(log.clone())?;
            let verdict = Verifier::Online {
                issuance: &issuance,
                log: &log,
            }
            .verify_qr(&text, None)?;
            log.close();
            verdict
        }
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&verdict)?);
    } else {
        println!(
            "{}: {}",
            verdict.status.as_str(),
            verdict.status.sentence(lang)
        );
        if let Some(reason) = &verdict.reason {
            println!("  why: {reason}");
        }
        if let Some(d) = &verdict.document {
            println!(
                "  {} {} v{} by {} on {} (code {})",
                serde_json::to_value(d.kind)?.as_str().unwrap_or(""),
                d.id,
                d.version,
                d.issuer,
                d.issued_on,
                d.verification_code
            );
        }
        if let Some(l) = &verdict.ledger {
            println!(
                "  ledger entry {} included in the signed checkpoint of size {}",
                l.index, l.checkpoint_size
            );
        }
        if let Some(as_of) = &verdict.trust_list_of {
            println!("  offline, with the trust list of {as_of}: the status was not checked");
        }
    }
    Ok(if verdict.status == Code::Valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
