//! The `tanba` command: argument parsing and output only; the work happens in the library.

mod cli_admin;
mod cli_forensics;
mod cli_ocr;

/// mimalloc instead of glibc malloc: allocation was a fifth of issuance time (signing threads
/// contending on glibc's arenas); with mimalloc bulk issuance is 12% faster.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use tanba::data_dir::{DEFAULT_DATA_DIR, DEFAULT_ORIGIN, DataDir};
use tanba::ledger::audit::{HttpSource, StoreSource, TileSource, audit};
use tanba::ledger::{ConsistencyProof, Entry, InclusionProof, LogVerifier};

#[derive(Parser)]
#[command(
    name = "tanba",
    version,
    about = "Tanba: verifiable education documents on an append-only Merkle ledger"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct DataArg {
    /// Ledger data directory.
    #[arg(long, default_value = DEFAULT_DATA_DIR, env = "TANBA_DATA")]
    data: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Verify a document from its QR text or an image of it (PNG, JPEG). Exit code 0: valid;
    /// 1: not valid (revoked, superseded, terminated, unknown, tampered); 2: error.
    Verify {
        /// The QR text (the URL), or a file holding an image of the code.
        input: String,
        #[command(flatten)]
        data: DataArg,
        /// Verify offline against this trust list (JSON as served at /trust) instead of the
        /// data directory: the issuer signature and authorisation only, no status.
        #[arg(long)]
        trust: Option<PathBuf>,
        /// Print the verdict as JSON.
        #[arg(long)]
        json: bool,
        /// Language of the verdict sentence: kk, ru or en.
        #[arg(long, default_value = "en")]
        lang: String,
    },
    /// Read a scanned foreign document (JPEG, PNG, TIFF or scanned PDF): preprocess each page,
    /// recognise it with tesseract, print the words with their confidences and boxes.
    #[command(args_conflicts_with_subcommands = true)]
    Ocr {
        #[command(subcommand)]
        tool: Option<OcrTool>,
        /// The scan: JPEG, PNG, TIFF or a scanned PDF.
        #[arg(required = true)]
        file: Option<PathBuf>,
        /// The application JSON (holder_name, birth_date, iin, country, kind, route, purpose).
        #[arg(long)]
        application: Option<PathBuf>,
        /// Tesseract languages joined by '+'.
        #[arg(long, default_value = tanba::ocr::DEFAULT_LANGS)]
        langs: String,
        /// Preprocessing steps to leave out (flatten, scale, deskew, denoise, binarize), comma-separated.
        #[arg(long, value_delimiter = ',')]
        skip: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check a foreign document: read each file (JPEG, PNG, TIFF or scanned PDF), run the
    /// forensic checks against the application and the reference library, and print the
    /// route (cleared, review, unreadable), the risk and each finding with its evidence.
    /// Exit 0 when cleared, 1 when not, 2 on an error.
    Check {
        /// The case's files: the document, its apostille, its supplement.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The application JSON (holder_name, birth_date, iin, country, kind, route, purpose).
        #[arg(long)]
        application: Option<PathBuf>,
        /// The index of files seen before (JSON lines); the checked files are added to it.
        #[arg(long)]
        seen: Option<PathBuf>,
        #[arg(long, default_value = tanba::ocr::DEFAULT_LANGS)]
        langs: String,
        /// Language of the findings' sentences: kk, ru or en.
        #[arg(long, default_value = "en")]
        lang: String,
        /// The risk from which a case goes to an officer (0–1; default 0.25).
        #[arg(long)]
        review_at: Option<f64>,
        /// A data directory whose enrolled reference seals the documents are compared with
        /// (`tanba references enroll`).
        #[arg(long)]
        references: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Reference samples from known-genuine scans.
    References {
        #[command(subcommand)]
        tool: ReferencesTool,
    },
    /// The forensic checks' evaluation set and its scoring.
    Forensics {
        #[command(subcommand)]
        tool: ForensicsTool,
    },
    /// Create a ledger: signing key (mode 0600), verifier key and configuration.
    Init {
        #[command(flatten)]
        data: DataArg,
        /// The log's origin, also its key name.
        #[arg(long, default_value = DEFAULT_ORIGIN)]
        origin: String,
    },
    /// The demo: register demo issuers, issue the sample CSVs (one document revoked, one
    /// corrected), write QR codes, VCs and manifest.json under DIR/demo/, then serve.
    Demo {
        #[command(flatten)]
        data: DataArg,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Seed and exit without serving.
        #[arg(long)]
        no_serve: bool,
        /// Folder with the sample CSVs.
        #[arg(long, default_value = "samples/issuance")]
        samples: PathBuf,
        /// Folder with sample foreign scans (`*.jpg` with their ground truth `*.json`), each
        /// opened as a case for the background OCR.
        #[arg(long, default_value = "samples/foreign")]
        foreign: PathBuf,
        /// Folder with sample scans of paper documents issued in Kazakhstan, each brought by
        /// the demo holder for an e-Apostille.
        #[arg(long, default_value = "samples/paper")]
        paper: PathBuf,
    },
    /// Run the HTTP server.
    Serve {
        #[command(flatten)]
        data: DataArg,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
    },
    /// Operator tools for the Merkle ledger.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// The trust registry: issuers, their keys and permitted document kinds.
    #[command(subcommand)]
    Registry(RegistryCommand),
    /// Accounts and API tokens for the JSON API.
    #[command(subcommand)]
    Account(cli_admin::AccountCommand),
    /// Read the audit journal, per user and period (JSON lines).
    Journal {
        #[command(flatten)]
        data: DataArg,
        #[arg(long)]
        user: Option<String>,
        /// YYYY-MM-DD or RFC 3339, inclusive.
        #[arg(long)]
        since: Option<String>,
        /// YYYY-MM-DD (the whole day) or RFC 3339, inclusive.
        #[arg(long)]
        until: Option<String>,
        #[arg(long)]
        limit: Option<usize>,
    },
    /// One credential: show it, find a person's, re-access its files, revoke, reinstate,
    /// terminate, amend.
    #[command(subcommand)]
    Credential(cli_admin::CredentialCommand),
    /// Issue a batch of documents from a CSV file (all rows or none, unless --skip-bad-rows).
    Issue {
        #[command(flatten)]
        data: DataArg,
        /// The issuing organisation's BIN (registered, with a key held in DIR/issuers/).
        #[arg(long)]
        issuer: String,
        /// attestat, diploma or guardianship.
        #[arg(long)]
        kind: String,
        /// The CSV (UTF-8 or Windows-1251) or XLSX file; see src/issuance/bulk.rs for the columns.
        #[arg(long, alias = "file")]
        csv: PathBuf,
        /// Where to write the QR codes, VC JSON files and manifest.json.
        #[arg(long)]
        out: PathBuf,
        /// Issue the good rows and report the bad ones, instead of issuing nothing.
        #[arg(long)]
        skip_bad_rows: bool,
    },
}

#[derive(Subcommand)]
enum RegistryCommand {
    /// Register an issuer organisation and give it a new signing key (root-signed changes).
    AddIssuer {
        #[command(flatten)]
        data: DataArg,
        #[arg(long)]
        bin: String,
        #[arg(long)]
        name_kk: String,
        #[arg(long)]
        name_ru: String,
        #[arg(long)]
        name_en: String,
        /// Comma-separated: attestat, diploma, guardianship.
        #[arg(long)]
        kinds: String,
        /// First day the key may sign (YYYY-MM-DD).
        #[arg(long, default_value = "2000-01-01")]
        from: String,
        /// Last day the key may sign (YYYY-MM-DD).
        #[arg(long, default_value = "2099-12-31")]
        until: String,
    },
    /// Print the root-signed trust list (JSON) for offline verifiers.
    Show {
        #[command(flatten)]
        data: DataArg,
    },
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Append entries: each FILE becomes one entry, or with --lines each line of stdin.
    /// Prints "<index>\t<base64 leaf hash>" per entry once it is durable.
    Append {
        #[command(flatten)]
        data: DataArg,
        /// Read entries from stdin, one per line (without the newline).
        #[arg(long)]
        lines: bool,
        files: Vec<PathBuf>,
    },
    /// Print the latest signed checkpoint.
    Checkpoint {
        #[command(flatten)]
        data: DataArg,
    },
    /// Print an inclusion proof (--index or --hash) or a consistency proof (--from) as JSON.
    Proof {
        #[command(flatten)]
        data: DataArg,
        #[arg(long, conflicts_with_all = ["hash", "from"])]
        index: Option<u64>,
        /// Leaf hash, base64 or hex.
        #[arg(long, conflicts_with = "from")]
        hash: Option<String>,
        /// Tree size of the proof (default: the latest checkpoint).
        #[arg(long)]
        size: Option<u64>,
        /// Consistency proof from this tree size to --size.
        #[arg(long)]
        from: Option<u64>,
    },
    /// Verify a JSON proof from `tanba ledger proof` or /ledger/proof/*. Exit 0 valid, 1 not.
    VerifyProof {
        /// The proof JSON file ("-" for stdin).
        proof: PathBuf,
        /// Verifier key (or @FILE); default: the one in --data.
        #[arg(long)]
        vkey: Option<String>,
        #[arg(long, default_value = DEFAULT_DATA_DIR, env = "TANBA_DATA")]
        data: PathBuf,
        /// The entry bytes the inclusion proof is for.
        #[arg(long)]
        entry: Option<PathBuf>,
    },
    /// Re-read every tile and entry, recompute the tree, check it against the latest checkpoint
    /// and every checkpoint seen before. TARGET is a data directory or a URL of a server.
    Audit {
        /// A data directory, or http://host:port (the server's /ledger prefix is added).
        target: String,
        /// Verifier key (or @FILE); default: the data directory's, or the server's /ledger/vkey.
        #[arg(long)]
        vkey: Option<String>,
        /// File of checkpoints seen before; the new checkpoint is added after a passing audit.
        #[arg(long)]
        seen: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    tanba::alloc::keep_freed_memory();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Init { data, origin } => {
            let dir = DataDir::init(&data.data, &origin)?;
            // Create the store and sign the checkpoint of the empty tree.
            dir.open_log()?.close();
            println!("initialised ledger {origin} in {}", data.data.display());
            println!("verifier key: {}", dir.vkey()?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { data, listen } => serve(&data.data, &listen),
        Command::Demo {
            data,
            listen,
            no_serve,
            samples,
            foreign,
            paper,
        } => demo(&data.data, &listen, no_serve, &samples, &foreign, &paper),
        Command::Ledger(cmd) => ledger(cmd),
        Command::Registry(cmd) => registry(cmd),
        Command::Issue {
            data,
            issuer,
            kind,
            csv,
            out,
            skip_bad_rows,
        } => issue(&data.data, &issuer, &kind, &csv, &out, skip_bad_rows),
        Command::Account(cmd) => cli_admin::account(cmd),
        Command::Journal {
            data,
            user,
            since,
            until,
            limit,
        } => cli_admin::read_journal(
            &data.data,
            tanba::accounts::journal::Query {
                user,
                since,
                until,
                limit,
            },
        ),
        Command::Credential(cmd) => cli_admin::credential(cmd),
        Command::Verify {
            input,
            data,
            trust,
            json,
            lang,
        } => cli_admin::verify(&input, &data.data, trust.as_deref(), json, &lang),
        Command::Check {
            files,
            application,
            seen,
            langs,
            lang,
            review_at,
            references,
            json,
        } => cli_forensics::check(cli_forensics::CheckArgs {
            files: &files,
            application: application.as_deref(),
            seen: seen.as_deref(),
            langs: &langs,
            lang: &lang,
            review_at,
            enrolled: references.as_deref(),
            json,
        }),
        Command::References {
            tool:
                ReferencesTool::Enroll {
                    file,
                    data,
                    institution,
                    langs,
                    json,
                },
        } => cli_forensics::enroll(&file, &data.data, institution.as_deref(), &langs, json),
        Command::Forensics {
            tool:
                ForensicsTool::Generate {
                    out,
                    kind,
                    count,
                    seed,
                },
        } => cli_forensics::generate(&out, &kind, count, seed),
        Command::Forensics {
            tool: ForensicsTool::Eval { dir, langs, json },
        } => cli_forensics::eval(&dir, &langs, json),
        Command::Ocr {
            tool:
                Some(OcrTool::Generate {
                    out,
                    count,
                    kind,
                    seed,
                }),
            ..
        } => cli_ocr::generate(&out, &kind, count, seed),
        Command::Ocr {
            tool:
                Some(OcrTool::Eval {
                    dir,
                    langs,
                    skip,
                    baseline,
                    json,
                }),
            ..
        } => cli_ocr::eval(&dir, &langs, &skip, baseline, json),
        Command::Ocr {
            tool: None,
            file,
            application,
            langs,
            skip,
            json,
        } => cli_ocr::ocr(
            &file.context("give the scan to read")?,
            application.as_deref(),
            &langs,
            &skip,
            json,
        ),
    }
}

#[derive(Subcommand)]
enum ForensicsTool {
    /// Render genuine synthetic diplomas and, for each, one tampered twin per class (dates,
    /// number, seal, edit, name, repeat, recompressed, copy-move, font) — or supplements or attestats, with
    /// twins whose grade is off the scale (grade-scale) or whose mean the grades do not give
    /// (gpa) —
    /// each with its ground truth and application.
    Generate {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value = "diploma", value_parser = ["diploma", "supplement", "attestat"])]
        kind: String,
        #[arg(long, default_value_t = 10)]
        count: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Check every genuine scan of DIR and its twins; print recall per tamper class and the
    /// false-positive rate on the genuine scans.
    Eval {
        dir: PathBuf,
        #[arg(long, default_value = tanba::ocr::DEFAULT_LANGS)]
        langs: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ReferencesTool {
    /// Enrol a known-genuine scan's seal and signature as its institution's references
    /// (DIR/references/): shown to officers beside a case's scan, and compared with the seals
    /// of the institution's documents (`seal.mismatch`).
    Enroll {
        file: PathBuf,
        #[command(flatten)]
        data: DataArg,
        /// The institution's id in ocr-models/references/institutions.json; default: the one
        /// the scan names.
        #[arg(long)]
        institution: Option<String>,
        #[arg(long, default_value = tanba::ocr::DEFAULT_LANGS)]
        langs: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum OcrTool {
    /// Render synthetic foreign documents (apostille certificates or diplomas), each a JPEG
    /// scan or phone photo with its ground truth (`<name>.json`: kind, country, condition,
    /// fields, distortions).
    Generate {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 20)]
        count: u64,
        /// What to render: apostille certificates, foreign diplomas, supplements to foreign
        /// diplomas and foreign school-leaving attestats (with their grades table), or paper
        /// diplomas issued in Kazakhstan (what a holder brings for an e-Apostille).
        #[arg(long, default_value = "apostille", value_parser = ["apostille", "diploma", "supplement", "attestat", "kz-diploma"])]
        kind: String,
        /// The first sample's seed; sample k has seed + k.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Read every scan of DIR that has a ground truth beside it and print each field's
    /// exact-match rate and each stage's time.
    Eval {
        dir: PathBuf,
        #[arg(long, default_value = tanba::ocr::DEFAULT_LANGS)]
        langs: String,
        #[arg(long, value_delimiter = ',')]
        skip: Vec<String>,
        /// Also time the `tesseract` command line over the same scans (one run over a list of
        /// them, so it loads its models once, as this command does), as the baseline.
        #[arg(long)]
        baseline: bool,
        #[arg(long)]
        json: bool,
    },
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

fn parse_kind(s: &str) -> Result<tanba::credential::record::DocumentKind> {
    serde_json::from_value(serde_json::Value::String(s.trim().to_lowercase()))
        .map_err(|_| anyhow::anyhow!("kind {s:?} is not one of attestat, diploma, guardianship"))
}

fn registry(cmd: RegistryCommand) -> Result<ExitCode> {
    use tanba::registry::{Change, Names};
    match cmd {
        RegistryCommand::AddIssuer {
            data,
            bin,
            name_kk,
            name_ru,
            name_en,
            kinds,
            from,
            until,
        } => {
            let dir = DataDir::open(&data.data)?;
            let kinds = kinds
                .split(',')
                .map(parse_kind)
                .collect::<Result<Vec<_>>>()?;
            let log = Arc::new(dir.open_log()?);
            let svc = dir.open_issuance(log.clone())?;
            let root = dir.authority_key()?;
            let reg = svc.registry();
            let bin = tanba::credential::ids::Bin::parse("--bin", &bin)
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .to_string();
            if reg.issuer(&bin).is_some() {
                bail!("issuer {bin} is already registered");
            }
            let key = dir
                .issuer_key(&bin, true)?
                .context("creating the issuer key")?;
            let register = reg.sign(
                &root,
                Change::RegisterIssuer {
                    seq: reg.next_seq(),
                    bin: bin.clone(),
                    names: Names {
                        kk: name_kk,
                        ru: name_ru,
                        en: name_en,
                    },
                    kinds,
                },
            )?;
            svc.change_registry(&register)?;
            let reg = svc.registry();
            let add = reg.sign(
                &root,
                Change::AddKey {
                    seq: reg.next_seq(),
                    bin: bin.clone(),
                    key_id: key.public().key_id(),
                    public_key: key.public().to_base64url(),
                    not_before: from,
                    not_after: until,
                },
            )?;
            svc.change_registry(&add)?;
            log.close();
            println!("registered issuer {bin} with key {}", key.public().key_id());
            Ok(ExitCode::SUCCESS)
        }
        RegistryCommand::Show { data } => {
            let dir = DataDir::open(&data.data)?;
            let log = Arc::new(dir.open_log()?);
            let svc = dir.open_issuance(log.clone())?;
            let list = svc.registry().trust_list(&dir.authority_key()?, today())?;
            println!("{}", serde_json::to_string_pretty(&list)?);
            log.close();
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn issue(
    data: &Path,
    bin: &str,
    kind: &str,
    csv: &Path,
    out: &Path,
    skip_bad_rows: bool,
) -> Result<ExitCode> {
    use tanba::issuance::{bulk, output};
    let kind = parse_kind(kind)?;
    let bytes = std::fs::read(csv).with_context(|| format!("cannot read {}", csv.display()))?;
    let bulk::Parsed {
        docs,
        encoding,
        errors: bad,
    } = bulk::parse_file(&bytes, kind)?;
    let format = encoding.map_or("XLSX".to_string(), |e| format!("CSV, {e:?}"));
    eprintln!(
        "{}: {} rows read ({format})",
        csv.display(),
        docs.len() + bad.len()
    );
    let dir = DataDir::open(data)?;
    let key = dir.issuer_key(bin, false)?.with_context(|| {
        format!(
            "no signing key for issuer {bin} in {}/issuers/",
            data.display()
        )
    })?;
    let log = Arc::new(dir.open_log()?);
    let svc = dir.open_issuance(log.clone())?;
    let bulk::BulkOutcome { issued, mut bad } = bulk::issue_parsed(
        &svc,
        bin,
        &key,
        bulk::Parsed {
            docs,
            encoding,
            errors: bad,
        },
        skip_bad_rows,
        today(),
    )?;
    let issued = (bad.is_empty() || skip_bad_rows).then_some(issued);
    bad.sort_by_key(|r| r.row);
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    if !bad.is_empty() {
        std::fs::write(out.join("report.json"), serde_json::to_vec_pretty(&bad)?)?;
        for r in &bad {
            for e in &r.errors {
                eprintln!("row {}: {}: {}", r.row, e.field, e.rule);
            }
        }
    }
    let Some(issued) = issued else {
        log.close();
        eprintln!(
            "{} bad row(s); nothing was issued (see {}; --skip-bad-rows issues the rest)",
            bad.len(),
            out.join("report.json").display()
        );
        return Ok(ExitCode::from(1));
    };
    let issuer_names = svc
        .registry()
        .issuer(bin)
        .map(|i| i.names.clone())
        .ok_or_else(|| anyhow::anyhow!("issuer {bin} is not registered"))?;
    let bar = ProgressBar::new(issued.len() as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} writing {bar:40} {pos}/{len} documents ({per_sec})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut manifest = Vec::with_capacity(issued.len());
    for (_, doc, c) in &issued {
        manifest.push(output::write_credential(
            out,
            &dir.config.public_url,
            &issuer_names,
            &key,
            doc,
            c,
        )?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    output::write_manifest(out, &manifest)?;
    log.close();
    eprintln!(
        "issued {} document(s), {} bad row(s) skipped; manifest: {}",
        issued.len(),
        bad.len(),
        out.join("manifest.json").display()
    );
    Ok(ExitCode::SUCCESS)
}

fn demo(
    data: &Path,
    listen: &str,
    no_serve: bool,
    samples: &Path,
    foreign: &Path,
    paper: &Path,
) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let dir = match DataDir::open(data) {
        Ok(d) => d,
        Err(tanba::data_dir::DataDirError::NotInitialised { .. }) => {
            let d = DataDir::init(data, DEFAULT_ORIGIN)?;
            println!("initialised ledger {DEFAULT_ORIGIN} in {}", data.display());
            d
        }
        Err(e) => return Err(e.into()),
    };
    let mut dir = dir;
    if !dir.config.show_sign_in_codes {
        // The demo has no SMS gateway: its holder portal shows sign-in codes on the page.
        dir.config.show_sign_in_codes = true;
        dir.save_config()?;
    }
    let log = Arc::new(dir.open_log()?);
    let manifest = tanba::demo::seed(&dir, log.clone(), samples, today())?;
    let out = tanba::demo::demo_dir(&dir);
    println!(
        "demo: {} documents with QR codes and VCs in {} (manifest.json lists each with its expected status)",
        manifest.len(),
        out.display()
    );
    for status in ["valid", "revoked", "superseded"] {
        if let Some(e) = manifest.iter().find(|e| e["expected_status"] == status) {
            println!(
                "  a {status} document: {}",
                e["verify_url"].as_str().unwrap_or("")
            );
        }
    }
    let accounts = tanba::demo::seed_accounts(&dir, log.store_arc(), samples)?;
    println!(
        "demo accounts (passwords and API tokens in {}):",
        out.join("accounts.json").display()
    );
    for a in &accounts {
        println!(
            "  {:<24} {:?}{}",
            a.username,
            a.role,
            a.org
                .as_deref()
                .map(|o| format!(" for {o}"))
                .unwrap_or_default()
        );
    }
    if let Some(iin) = accounts.iter().find_map(|a| a.iin.as_deref()) {
        println!(
            "  holder portal: open /my and sign in with IIN {iin} (the demo shows the one-time code)"
        );
    }
    let cases = tanba::demo::seed_cases(&dir, foreign)?;
    if !cases.is_empty() {
        println!(
            "demo: {} foreign-document cases from {}, read in the background once the server runs: work them at /officer as recognition.officer (a high-risk recognition needs recognition.officer2)",
            cases.len(),
            foreign.display()
        );
    }
    if let Some(holder) = accounts.iter().find(|a| a.iin.is_some()) {
        let iin = holder.iin.as_deref().unwrap_or_default();
        let requests = tanba::demo::seed_paper(&dir, paper, &holder.username, iin)?;
        if !requests.is_empty() {
            println!(
                "demo: {} paper document(s) from {} brought by the holder for an e-Apostille, read in the background: approve at /officer/apostilles as apostille.officer",
                requests.len(),
                paper.display()
            );
        }
    }
    if no_serve {
        log.close();
        return Ok(ExitCode::SUCCESS);
    }
    serve_log(&dir, log, listen, started)
}

fn serve(data: &Path, listen: &str) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let dir = DataDir::open(data)?;
    let log = Arc::new(dir.open_log()?);
    serve_log(&dir, log, listen, started)
}

fn serve_log(
    dir: &DataDir,
    log: Arc<tanba::ledger::Log>,
    listen: &str,
    started: std::time::Instant,
) -> Result<ExitCode> {
    let host = dir
        .config
        .public_url
        .trim_end_matches('/')
        .split("://")
        .nth(1)
        .unwrap_or(&dir.config.public_url)
        .to_string();
    let store = log.store_arc();
    let keys_dir = dir.clone();
    let oidc = match dir.config.oidc.clone() {
        Some(c) => Some(tanba::holder::oidc::Oidc::new(c).context("config.json: oidc")?),
        None => None,
    };
    let services = tanba::http::Services {
        issuance: dir.open_issuance(log.clone())?,
        authority: dir.authority_key()?,
        host,
        public_url: dir.config.public_url.clone(),
        accounts: tanba::accounts::Accounts::new(store.clone()),
        journal: tanba::accounts::journal::Journal::new(store.clone()),
        codes: Default::default(),
        code_sender: dir
            .config
            .show_sign_in_codes
            .then(|| Box::new(tanba::holder::ShownOnPage) as Box<dyn tanba::holder::CodeSender>),
        shares: tanba::holder::Shares::new(store),
        oidc,
        cases: Some(tanba::intake::jobs::Jobs::start(
            tanba::intake::Cases::new(&dir.path),
            dir.config.ocr_workers,
            &dir.config.ocr_languages,
            dir.config.forensics.clone(),
        )?),
        review: Some(tanba::review::Review::new(
            &dir.path,
            dir.config.forensics.confirm_at,
        )),
        apostilles: Some(tanba::review::apostille::Requests::new(&dir.path)),
        issuer_keys: Box::new(move |bin| keys_dir.issuer_key(bin, false).ok().flatten()),
        verify_limiter: tanba::http::ratelimit::RateLimiter::new(
            dir.config.verify_rate_per_s,
            dir.config
                .verify_burst
                .max(tanba::http::verify::MAX_BATCH as u32),
        ),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let state = tanba::http::AppState {
        log: log.clone(),
        services: Some(Arc::new(services)),
    };
    rt.block_on(async {
        let shutdown = tanba::http::shutdown_signal().context("installing signal handlers")?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let addr = listener.local_addr()?;
        let cp = log.checkpoint();
        tracing::info!(
            entries = cp.head.size,
            ms = started.elapsed().as_millis() as u64,
            "ledger open"
        );
        println!(
            "Tanba ledger {} with {} entries, listening on http://{addr}",
            cp.origin, cp.head.size
        );
        println!("  http://{addr}/                      what this server offers");
        println!("  http://{addr}/ledger/checkpoint     latest signed checkpoint");
        println!("  http://{addr}/ledger/vkey           verifier key");
        println!("  http://{addr}/ledger/proof/inclusion?index=0");
        println!("  http://{addr}/trust                 root-signed trust list of issuers");
        println!("  http://{addr}/healthz  http://{addr}/metrics");
        println!("  http://{addr}/check                check a document: paste a QR text, type its printed code, or upload a photo, scan or PDF");
        println!("  http://{addr}/my                   holder portal: documents, downloads, share links");
        println!("  http://{addr}/officer              recognition and apostille officers: the queue of foreign-document cases, decisions, certificates, e-Apostille requests");
        println!("  http://{addr}/apostille            public e-Register: check an e-Apostille by its number and date");
        println!(
            "  http://{addr}/api/v1/login          sign in (POST); the JSON API is in README.md"
        );
        std::io::stdout().flush().ok();
        tanba::http::serve(listener, state, shutdown).await?;
        anyhow::Ok(())
    })?;
    // Commit whatever is still in the pool and sign the final checkpoint.
    log.close();
    println!(
        "stopped; final checkpoint covers {} entries",
        log.checkpoint().head.size
    );
    Ok(ExitCode::SUCCESS)
}

fn read_key_arg(v: &str) -> Result<String> {
    match v.strip_prefix('@') {
        Some(path) => Ok(std::fs::read_to_string(path)
            .with_context(|| format!("cannot read verifier key file {path}"))?
            .trim()
            .to_string()),
        None => Ok(v.trim().to_string()),
    }
}

fn ledger(cmd: LedgerCommand) -> Result<ExitCode> {
    match cmd {
        LedgerCommand::Append { data, lines, files } => append(&data.data, lines, &files),
        LedgerCommand::Checkpoint { data } => {
            let dir = DataDir::open(&data.data)?;
            let store = dir.open_store()?;
            let note = tanba::store::Store::latest_checkpoint(store.as_ref())?
                .context("the ledger has no checkpoint yet")?;
            // Never print an unverified checkpoint.
            dir.verifier()?.open(&note)?;
            std::io::stdout().write_all(&note)?;
            Ok(ExitCode::SUCCESS)
        }
        LedgerCommand::Proof {
            data,
            index,
            hash,
            size,
            from,
        } => {
            let log = DataDir::open(&data.data)?.open_log()?;
            let json = match (index, hash, from) {
                (Some(i), None, None) => {
                    serde_json::to_string_pretty(&log.inclusion_proof(i, size)?)?
                }
                (None, Some(h), None) => {
                    serde_json::to_string_pretty(&log.inclusion_proof_by_hash(&h, size)?)?
                }
                (None, None, Some(f)) => {
                    serde_json::to_string_pretty(&log.consistency_proof(f, size)?)?
                }
                _ => bail!("give one of --index, --hash or --from"),
            };
            println!("{json}");
            Ok(ExitCode::SUCCESS)
        }
        LedgerCommand::VerifyProof {
            proof,
            vkey,
            data,
            entry,
        } => verify_proof(&proof, vkey.as_deref(), &data, entry.as_deref()),
        LedgerCommand::Audit { target, vkey, seen } => {
            run_audit(&target, vkey.as_deref(), seen.as_deref())
        }
    }
}

fn append(data: &Path, lines: bool, files: &[PathBuf]) -> Result<ExitCode> {
    if lines != files.is_empty() {
        bail!("give either FILE arguments or --lines (entries from stdin), not both or neither");
    }
    // Read and validate every file before appending any, so a bad file appends nothing.
    let mut entries = Vec::new();
    for f in files {
        let bytes = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
        entries.push(
            Entry::v1(&bytes).with_context(|| format!("{} cannot be an entry", f.display()))?,
        );
    }
    let dir = DataDir::open(data)?;
    let log = dir.open_log()?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<(String, tanba::ledger::AppendReceipt)>(65_536);
    let printer = std::thread::spawn(move || -> Result<u64> {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        let mut n = 0u64;
        for (leaf, mut pending) in rx.iter() {
            let result = match pending.try_take() {
                Some(r) => r,
                None => {
                    // About to wait: make what is acknowledged so far visible first.
                    out.flush()?;
                    pending.wait()
                }
            };
            let index = result?;
            writeln!(out, "{index}\t{leaf}")?;
            n += 1;
        }
        out.flush()?;
        Ok(n)
    });
    let submit = |entry: Entry| -> Result<()> {
        let leaf = base64::Engine::encode(
            &base64::prelude::BASE64_STANDARD,
            tlog_tiles::record_hash(entry.as_bytes()).0,
        );
        let rx = log.submit_waiting(entry)?;
        tx.send((leaf, rx))
            .map_err(|_| anyhow::anyhow!("output stopped"))?;
        Ok(())
    };
    let mut result = Ok(());
    if lines {
        let stdin = std::io::stdin();
        for (i, line) in stdin.lock().split(b'\n').enumerate() {
            let line = line.context("reading stdin")?;
            match Entry::v1(&line) {
                Ok(e) => submit(e)?,
                Err(e) => {
                    result = Err(anyhow::anyhow!("stdin line {}: {e}", i + 1));
                    break;
                }
            }
        }
    } else {
        for e in entries {
            submit(e)?;
        }
    }
    drop(tx);
    let n = printer
        .join()
        .map_err(|_| anyhow::anyhow!("output thread failed"))??;
    // Closing commits anything left and signs the checkpoint covering every appended entry.
    log.close();
    let cp = log.checkpoint();
    eprintln!(
        "appended {n} entries; checkpoint covers {} entries",
        cp.head.size
    );
    result.map(|_| ExitCode::SUCCESS)
}

fn verify_proof(
    path: &Path,
    vkey: Option<&str>,
    data: &Path,
    entry: Option<&Path>,
) -> Result<ExitCode> {
    let text = if path == Path::new("-") {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)?;
        s
    } else {
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?
    };
    let verifier = match vkey {
        Some(v) => LogVerifier::new(&read_key_arg(v)?)?,
        None => DataDir::open(data)?.verifier()?,
    };
    let value: serde_json::Value = serde_json::from_str(&text).context("the proof is not JSON")?;
    let (checkpoint, size, root, result) = if value.get("index").is_some() {
        let p: InclusionProof = serde_json::from_value(value).context("not an inclusion proof")?;
        let entry = entry
            .map(|e| std::fs::read(e).with_context(|| format!("cannot read {}", e.display())))
            .transpose()?;
        let r = p.verify(entry.as_deref());
        (p.checkpoint, p.tree_size, p.root_hash, r)
    } else {
        let p: ConsistencyProof =
            serde_json::from_value(value).context("not a consistency proof")?;
        let r = p.verify();
        (p.checkpoint, p.to, p.to_root, r)
    };
    if let Err(e) = result {
        println!("INVALID: {e}");
        return Ok(ExitCode::from(1));
    }
    let cp = match verifier.open(checkpoint.as_bytes()) {
        Ok(cp) => cp,
        Err(e) => {
            println!("INVALID: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let root = tanba::ledger::proof::parse_hash(&root, "root")?;
    if size == cp.head.size && root != cp.head.root {
        println!("INVALID: the proof's root differs from the signed checkpoint's");
        return Ok(ExitCode::from(1));
    }
    if size == cp.head.size {
        println!("OK: proof verifies against the signed checkpoint of size {size}");
    } else {
        println!(
            "OK: proof verifies against the root for size {size}; the signed checkpoint is for size {} (ask for a consistency proof to tie them)",
            cp.head.size
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn run_audit(target: &str, vkey: Option<&str>, seen_path: Option<&Path>) -> Result<ExitCode> {
    let mut seen: Vec<Vec<u8>> = match seen_path {
        Some(p) if p.exists() => {
            parse_seen(&std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?)
        }
        _ => Vec::new(),
    };
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} audit {bar:40} {pos}/{len} entries ({per_sec}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut progress = |n: u64| bar.set_position(n);
    let (report, source_desc) = if target.starts_with("http://") || target.starts_with("https://") {
        if target.starts_with("https://") {
            bail!(
                "this build audits over plain http only; put a TLS terminator's internal address here"
            );
        }
        let base = format!("{}/ledger", target.trim_end_matches('/'));
        let source = HttpSource::new(&base);
        let vkey = match vkey {
            Some(v) => read_key_arg(v)?,
            None => {
                let v = String::from_utf8(source.get("vkey")?)?.trim().to_string();
                eprintln!(
                    "warning: trusting the verifier key the server sent ({v}); pass --vkey to pin it"
                );
                v
            }
        };
        let verifier = LogVerifier::new(&vkey)?;
        bar.set_length(verifier.open(&source.checkpoint()?)?.head.size);
        (audit(&source, &verifier, &seen, &mut progress), base)
    } else {
        let dir = DataDir::open(Path::new(target))?;
        let verifier = match vkey {
            Some(v) => LogVerifier::new(&read_key_arg(v)?)?,
            None => dir.verifier()?,
        };
        let store = dir.open_store()?;
        seen.extend(tanba::store::Store::checkpoint_history(store.as_ref())?);
        let source = StoreSource::new(store.as_ref());
        bar.set_length(verifier.open(&source.checkpoint()?)?.head.size);
        (
            audit(&source, &verifier, &seen, &mut progress),
            target.to_string(),
        )
    };
    bar.finish_and_clear();
    match report {
        Ok(r) => {
            println!(
                "OK: {source_desc}: {} entries and {} tiles recomputed; root {} matches the signed checkpoint; {} checkpoints consistent",
                r.entries, r.tiles, r.checkpoint.head.root, r.checkpoints_checked
            );
            if let Some(p) = seen_path {
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)?;
                f.write_all(&r.checkpoint.note)?;
                f.write_all(b"\x00\n")?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("FAILED: {source_desc}: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

/// The seen-checkpoints file holds signed notes, each followed by a NUL line.
fn parse_seen(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split(|b| *b == 0)
        .map(|n| n.strip_prefix(b"\n").unwrap_or(n).to_vec())
        .filter(|n| !n.is_empty())
        .collect()
}
