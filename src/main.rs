//! `tongban`: the one-stop government service platform's command line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};

mod calendar;
mod demo;
mod kpi;
mod tickets;
use tongban_store::Store;
use tongban_store::guide_audit::{FindingFilter, FindingStatus};

#[derive(Parser)]
#[command(
    name = "tongban",
    version,
    about = "通办 Tongban — one-stop government service platform (一网通办)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the data lives; shared by every command that reads or writes data.
#[derive(Args, Clone)]
struct DataArgs {
    /// Directory of the embedded SQLite database (ignored with a postgres:// URL).
    #[arg(
        long,
        global = true,
        default_value = "./tongban-data",
        env = "TONGBAN_DATA_DIR"
    )]
    data_dir: PathBuf,
    /// Database URL: postgres://… for PostgreSQL, sqlite://… for a SQLite file.
    #[arg(long, global = true, env = "TONGBAN_DATABASE_URL")]
    database_url: Option<String>,
}

impl DataArgs {
    async fn open(&self) -> anyhow::Result<Store> {
        let url = match &self.database_url {
            Some(u) => u.clone(),
            None => {
                std::fs::create_dir_all(&self.data_dir).with_context(|| {
                    format!("cannot create data directory {}", self.data_dir.display())
                })?;
                tongban_store::sqlite_url_for_dir(&self.data_dir)
            }
        };
        Store::open(&url).await.context("cannot open the database")
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (pages and JSON API); loads the demo into an empty database.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Do not load the demo centre, catalogue and accounts into an empty database.
        #[arg(long)]
        no_demo: bool,
        /// Mark session cookies Secure (when served over HTTPS; always so when
        /// --public-url is https).
        #[arg(long)]
        secure_cookies: bool,
        /// Directory of uploaded files (default: `attachments` in the data directory).
        /// Instances behind one load balancer must share it.
        #[arg(long, env = "TONGBAN_ATTACHMENTS_DIR")]
        attachments_dir: Option<PathBuf>,
        /// SMTP relay `host:port` for e-mail notices (without it notices are in-app only
        /// and mail waits in the outbox).
        #[arg(long, env = "TONGBAN_SMTP")]
        smtp: Option<String>,
        /// Sender address of e-mail notices.
        #[arg(
            long,
            env = "TONGBAN_SMTP_FROM",
            default_value = "noreply@tongban.invalid"
        )]
        smtp_from: String,
        /// SMTP AUTH user name (password from TONGBAN_SMTP_PASSWORD).
        #[arg(long, env = "TONGBAN_SMTP_USER")]
        smtp_user: Option<String>,
        /// STARTTLS to the relay: `opportunistic` (when offered), `required`
        /// (refuse a relay that does not offer it) or `off`.
        #[arg(long, env = "TONGBAN_SMTP_STARTTLS", default_value = "opportunistic")]
        smtp_starttls: tongban_web::mail::StartTls,
        /// A root certificate (PEM file) to trust for the relay, besides the public ones.
        #[arg(long, env = "TONGBAN_SMTP_CA")]
        smtp_ca: Option<PathBuf>,
        /// Public address of the service (https://…), used in certificates' QR codes.
        #[arg(long, env = "TONGBAN_PUBLIC_URL")]
        public_url: Option<String>,
        /// Seconds between runs of the intake/warning sweeps and mail delivery.
        #[arg(long, default_value_t = 60)]
        sweep_interval_secs: u64,
        /// A load balancer or reverse proxy whose X-Forwarded-For is believed
        /// (an address or a network such as 10.0.0.0/8; repeat for several).
        /// Without it the client address is the TCP peer.
        #[arg(
            long = "trusted-proxy",
            env = "TONGBAN_TRUSTED_PROXIES",
            value_delimiter = ','
        )]
        trusted_proxies: Vec<tongban_web::http::client::IpRange>,
        /// This instance's name in job leases (default: host name and port).
        /// Keep it stable across restarts and different between instances.
        #[arg(long, env = "TONGBAN_INSTANCE")]
        instance: Option<String>,
        /// A PostgreSQL streaming replica the dashboards, drill-downs and
        /// exports read from (nothing that decides or writes reads it).
        #[arg(long, env = "TONGBAN_READ_DATABASE_URL")]
        read_database_url: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Service catalogue: import, export, guide audit.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The tamper-evident audit trail (SM3 hash chain).
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Signing keys of the issuing departments (sealed under TONGBAN_KEY_SECRET).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Electronic certificates: verify an exported certificate offline, export one.
    Cert {
        #[command(subcommand)]
        command: CertCommand,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Shared-data sources for 秒批: register or update them from a file.
    Sources {
        #[command(subcommand)]
        command: SourcesCommand,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Working-day calendar (工作日): statutory holidays and 调休 working days.
    Calendar {
        #[command(subcommand)]
        command: calendar::CalendarCommand,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Demo data in bulk: `demo generate --cases N --years 3`.
    Demo {
        #[command(subcommand)]
        command: demo::DemoCommand,
        #[command(flatten)]
        data: DataArgs,
    },
    /// 审批疑难: escalate the overdue difficulty tickets now, as the server's
    /// scheduled sweep does (each step once, however often it runs).
    Tickets {
        #[command(subcommand)]
        command: tickets::TicketsCommand,
        #[command(flatten)]
        data: DataArgs,
    },
    /// 效能评估: check the indicator rollups against the case events, make a monthly report.
    Kpi {
        #[command(subcommand)]
        command: kpi::KpiCommand,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand)]
enum SourcesCommand {
    /// Register or update the sources of a tongban-sources/1 JSON file
    /// (and load the rows of its table sources).
    Import { file: PathBuf },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Generate a new signing key for a department (its 统一社会信用代码 or short
    /// name); the old key is retired. Needs TONGBAN_KEY_SECRET.
    Generate { department: String },
    /// Record that a signing key was compromised: it is retired, and the
    /// published issuer keys tell offline verifiers to stop trusting it.
    Compromised { key_id: i64 },
    /// List the issuing departments' public keys and fingerprints.
    List {
        /// The tongban-issuer-keys/1 document offline verifiers trust.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum CertCommand {
    /// Verify an exported certificate (tongban-cert/1 JSON) offline: the SM2
    /// signature with the embedded public key and the 证照标识 check character.
    Verify {
        file: PathBuf,
        /// The published issuer keys (tongban-issuer-keys/1, from
        /// `GET /api/v1/issuer-keys` or `tongban keys list --json`): the
        /// signing key must be the certificate issuer's.
        #[arg(long)]
        trusted_keys: Option<PathBuf>,
    },
    /// Write cert.json, sig.der and key.pem of a certificate into a directory,
    /// for `openssl pkeyutl -verify` (and the tongban-cert/1 export as cert.export.json).
    Export {
        licence_id: String,
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
}

fn key_secret(demo: bool) -> anyhow::Result<Option<tongban_certs::KeySecret>> {
    match std::env::var("TONGBAN_KEY_SECRET") {
        Ok(s) => Ok(Some(
            tongban_certs::KeySecret::derive(&s).context("TONGBAN_KEY_SECRET")?,
        )),
        Err(_) if demo => {
            eprintln!(
                "TONGBAN_KEY_SECRET is not set: the demo's signing keys use the published demo secret."
            );
            Ok(Some(tongban_certs::KeySecret::derive(
                tongban_store::demo::DEMO_KEY_SECRET,
            )?))
        }
        Err(_) => Ok(None),
    }
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain; exit 1 naming the first broken entry.
    Verify,
    /// Print the newest entries.
    Log {
        #[arg(long, default_value = "20")]
        limit: i64,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    Json,
    Csv,
}

#[derive(Subcommand)]
enum CatalogCommand {
    /// Import a tongban-catalog/1 JSON file (all or nothing).
    Import {
        /// The file to import.
        file: PathBuf,
    },
    /// Print the whole catalogue as tongban-catalog/1 JSON.
    Export,
    /// Run the guide audit now and print the open findings.
    Audit {
        #[arg(long, value_enum, default_value = "json")]
        format: ReportFormat,
        /// Audit as of this date (default: today in China Standard Time).
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("info,sqlx=warn,tantivy=warn")
            }),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The machine's host name, for the default instance name.
fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

fn today() -> chrono::NaiveDate {
    tongban_store::cases::shanghai_today()
}

/// Finished cases the demo starts with (`tongban demo generate` makes more).
const DEMO_HISTORY: u64 = 3_000;

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve {
            listen,
            no_demo,
            secure_cookies,
            attachments_dir,
            smtp,
            smtp_from,
            smtp_user,
            smtp_starttls,
            smtp_ca,
            sweep_interval_secs,
            public_url,
            trusted_proxies,
            instance,
            read_database_url,
            data,
        } => {
            let mut store = data.open().await?;
            if let Some(url) = &read_database_url {
                store = store
                    .with_read_replica(url)
                    .await
                    .context("cannot open the read replica")?;
            }
            match key_secret(!no_demo)? {
                Some(k) => store.set_key_secret(k),
                None => eprintln!(
                    "TONGBAN_KEY_SECRET is not set: certificates cannot be signed until it is."
                ),
            }
            let mut fresh_demo = false;
            if no_demo {
                tongban_store::demo::ensure_centre(&store).await?;
            } else if tongban_store::demo::load_demo(&store).await? {
                eprintln!(
                    "Loaded the demo centre, catalogue and accounts into the empty database."
                );
                fresh_demo = true;
            }
            print_demo_accounts(&store).await?;
            let smtp = match smtp {
                Some(server) => {
                    let mut cfg = tongban_web::mail::SmtpConfig::new(server, smtp_from);
                    cfg.username = smtp_user;
                    cfg.password = std::env::var("TONGBAN_SMTP_PASSWORD").ok();
                    cfg.starttls = smtp_starttls;
                    cfg.ca_pem = match smtp_ca {
                        Some(p) => Some(
                            std::fs::read_to_string(&p)
                                .map_err(|e| anyhow::anyhow!("--smtp-ca {}: {e}", p.display()))?,
                        ),
                        None => None,
                    };
                    // Wrong settings are said now, not at the first mail.
                    tongban_web::mail::Mailer::new(&cfg)?;
                    Some(cfg)
                }
                None => None,
            };
            let config = tongban_web::Config {
                secure_cookies,
                attachments_dir: Some(
                    attachments_dir.unwrap_or_else(|| data.data_dir.join("attachments")),
                ),
                smtp,
                sweep_interval: std::time::Duration::from_secs(sweep_interval_secs.max(1)),
                public_url,
                trusted_proxies,
                ..Default::default()
            };
            // A stable name unless the port is chosen by the system (then
            // the process's own, as several may share the host).
            let config = tongban_web::Config {
                instance: match instance {
                    Some(name) => name,
                    None if listen.port() != 0 => format!("{}:{}", host_name(), listen.port()),
                    None => config.instance.clone(),
                },
                ..config
            };
            if config.public_url.is_none() {
                eprintln!(
                    "--public-url is not set: certificates' QR codes name the address each request used."
                );
            }
            if let Some(u) = &config.public_url {
                let l = u.to_ascii_lowercase();
                let host = l
                    .strip_prefix("https://")
                    .or_else(|| l.strip_prefix("http://"))
                    .map(|r| r.split('/').next().unwrap_or(""))
                    .unwrap_or("");
                if host.is_empty() {
                    anyhow::bail!(
                        "--public-url {u}: give the address as https://host (or http://host)"
                    );
                }
            }
            let state = tongban_web::AppState::new(store, config).await?;
            if fresh_demo {
                demo::fill_fresh(&state, today(), DEMO_HISTORY).await?;
            }
            eprintln!("Tongban is serving at http://{listen}/");
            tongban_web::serve(listen, state).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Calendar { command, data } => calendar::run(command, data.open().await?).await,
        Command::Kpi { command, data } => kpi::run(command, data.open().await?).await,
        Command::Tickets { command, data } => {
            tickets::run(command, data.open().await?, today()).await
        }
        Command::Demo { command, data } => {
            demo::run(command, data.open().await?, key_secret(true)?, today()).await
        }
        Command::Sources { command, data } => match command {
            SourcesCommand::Import { file } => {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let store = data.open().await?;
                let n = tongban_store::shared_data::import_sources(&store, &text).await?;
                println!("{n} sources registered or updated");
                Ok(ExitCode::SUCCESS)
            }
        },
        Command::Keys { command, data } => match command {
            KeysCommand::Generate { department } => {
                let store = data.open().await?;
                let Some(secret) = key_secret(false)? else {
                    anyhow::bail!("set TONGBAN_KEY_SECRET (at least 12 characters) first");
                };
                store.set_key_secret(secret);
                let d = store
                    .departments()
                    .await?
                    .into_iter()
                    .find(|d| d.credit_code.as_str() == department || d.short_name == department)
                    .with_context(|| format!("no department {department}"))?;
                let id = store.generate_key(d.id, None).await?;
                println!("{}: new signing key {id}", d.name);
                Ok(ExitCode::SUCCESS)
            }
            KeysCommand::Compromised { key_id } => {
                let store = data.open().await?;
                store.mark_key_compromised(key_id, None).await?;
                println!(
                    "key {key_id} marked compromised and retired: generate a new key for its department (tongban keys generate) before it issues again"
                );
                Ok(ExitCode::SUCCESS)
            }
            KeysCommand::List { json } => {
                let store = data.open().await?;
                let keys = store.issuer_keys().await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&keys)?);
                } else {
                    for k in &keys.keys {
                        println!(
                            "{}\t{}\t{}\t{}\t{}",
                            k.key_id,
                            k.issuer_code,
                            k.issuer_name,
                            k.fingerprint,
                            if k.compromised_at.is_some() {
                                "COMPROMISED"
                            } else if k.retired_at.is_some() {
                                "retired"
                            } else {
                                "current"
                            }
                        );
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
        },
        Command::Cert { command, data } => match command {
            CertCommand::Verify { file, trusted_keys } => {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let export: tongban_store::certificates::CertExport =
                    serde_json::from_str(&text).context("not a tongban-cert/1 file")?;
                let trusted = match &trusted_keys {
                    Some(path) => {
                        let text = std::fs::read_to_string(path)
                            .with_context(|| format!("cannot read {}", path.display()))?;
                        Some(
                            serde_json::from_str::<tongban_store::certificates::IssuerKeys>(&text)
                                .context("not a tongban-issuer-keys/1 file")?,
                        )
                    }
                    None => None,
                };
                let checked = match &trusted {
                    Some(t) => export.verify_trusted(t),
                    None => export.verify(),
                };
                match checked {
                    Ok(rec) => {
                        let status = tongban_domain::cert::status(&rec, false, today());
                        println!("signature valid (SM2/SM3, signer id {})", export.signer_id);
                        let fp = tongban_certs::fingerprint(&export.public_key_pem);
                        if trusted.is_some() {
                            println!(
                                "issuer key trusted: fingerprint (SM3) {fp} is {}'s",
                                rec.issuer_name
                            );
                        } else {
                            println!(
                                "issuer key fingerprint (SM3) {fp} — not checked against a trusted list: pass --trusted-keys (from /api/v1/issuer-keys); the file's own key alone does not prove who signed"
                            );
                        }
                        println!("证照标识 {}", rec.licence_id);
                        println!(
                            "{} · {} · {}",
                            rec.type_name, rec.holder_name, rec.issuer_name
                        );
                        println!(
                            "validity: {} (offline: revocation is checked on the verification page)",
                            status.en()
                        );
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(e) => {
                        println!("NOT valid: {e}");
                        Ok(ExitCode::FAILURE)
                    }
                }
            }
            CertCommand::Export { licence_id, out } => {
                let store = data.open().await?;
                let c = store.certificate(&licence_id).await?;
                let e = store.export_certificate(&c).await?;
                std::fs::create_dir_all(&out)?;
                std::fs::write(out.join("cert.json"), &e.certificate)?;
                std::fs::write(
                    out.join("sig.der"),
                    tongban_certs::from_hex(&e.signature_hex).context("signature")?,
                )?;
                std::fs::write(out.join("key.pem"), &e.public_key_pem)?;
                std::fs::write(
                    out.join("cert.export.json"),
                    serde_json::to_string_pretty(&e)?,
                )?;
                println!(
                    "wrote cert.json, sig.der, key.pem and cert.export.json to {}",
                    out.display()
                );
                Ok(ExitCode::SUCCESS)
            }
        },
        Command::Audit { command, data } => {
            let store = data.open().await?;
            match command {
                AuditCommand::Verify => match store.verify_trail().await? {
                    tongban_store::trail::TrailCheck::Intact { entries } => {
                        println!("audit trail intact: {entries} entries");
                        Ok(ExitCode::SUCCESS)
                    }
                    tongban_store::trail::TrailCheck::Broken { id, reason } => {
                        println!("audit trail broken at entry {id}: {reason}");
                        Ok(ExitCode::FAILURE)
                    }
                },
                AuditCommand::Log { limit } => {
                    for e in store.trail(limit).await? {
                        println!(
                            "{} {} actor={} {} {} {}",
                            e.id,
                            chrono::DateTime::from_timestamp_millis(e.at)
                                .map(|t| t.with_timezone(&chrono_tz::Asia::Shanghai).to_rfc3339())
                                .unwrap_or_default(),
                            e.actor_id
                                .map(|a| a.to_string())
                                .unwrap_or_else(|| "-".into()),
                            e.action,
                            e.object,
                            e.details
                        );
                    }
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
        Command::Catalog { command, data } => {
            let store = data.open().await?;
            match command {
                CatalogCommand::Import { file } => {
                    let text = std::fs::read_to_string(&file)
                        .with_context(|| format!("cannot read {}", file.display()))?;
                    let centre = tongban_store::demo::ensure_centre(&store).await?;
                    match store.import_catalog(centre, &text, None).await {
                        Ok(r) => {
                            println!("{}", serde_json::to_string_pretty(&r)?);
                            Ok(ExitCode::SUCCESS)
                        }
                        Err(tongban_store::StoreError::Invalid(errs)) => {
                            eprintln!("{} refused; nothing was written:", file.display());
                            for e in &errs.0 {
                                eprintln!("  {}: {}", e.field, e.message_en);
                            }
                            Ok(ExitCode::from(2))
                        }
                        Err(e) => Err(e.into()),
                    }
                }
                CatalogCommand::Export => {
                    let file = store.export_catalog(&Default::default()).await?;
                    println!("{}", serde_json::to_string_pretty(&file)?);
                    Ok(ExitCode::SUCCESS)
                }
                CatalogCommand::Audit { format, date } => {
                    let calendar = store.work_calendar().await?;
                    let run = store
                        .run_audit("cli", None, date.unwrap_or_else(today), &calendar)
                        .await?;
                    eprintln!(
                        "audited {} published items: {} findings ({} new, {} closed)",
                        run.items, run.findings, run.opened, run.closed
                    );
                    let findings = store
                        .findings(&FindingFilter {
                            status: Some(FindingStatus::Open),
                            ..Default::default()
                        })
                        .await?;
                    match format {
                        ReportFormat::Json => {
                            println!("{}", serde_json::to_string_pretty(&findings)?)
                        }
                        ReportFormat::Csv => {
                            print!("{}", tongban_web::api::findings_csv(&findings))
                        }
                    }
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
    }
}

async fn print_demo_accounts(store: &Store) -> anyhow::Result<()> {
    let users = store.users().await?;
    let demo: Vec<_> = tongban_store::demo::DEMO_ACCOUNTS
        .iter()
        .filter(|a| users.iter().any(|u| u.username == a.username))
        .collect();
    if demo.is_empty() {
        return Ok(());
    }
    eprintln!(
        "Demo accounts (password: {}):",
        tongban_store::demo::DEMO_PASSWORD
    );
    for a in demo {
        eprintln!(
            "  {:<12} {:<10} {}",
            a.username,
            a.role.as_str(),
            a.display_name
        );
    }
    Ok(())
}
