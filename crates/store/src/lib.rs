//! Storage of Tongban: one code path for SQLite (embedded default) and
//! PostgreSQL (production), through sea-orm's connection and raw SQL with
//! `$n` placeholders, which both backends accept.
//!
//! Invariants:
//! - every multi-row change runs in one transaction: a failure leaves nothing;
//! - timestamps are UTC milliseconds since the epoch (`i64`), dates are ISO text;
//! - a published item version is never updated: a change is a new version.

// Infrastructure: SQL helpers, the schema, the audit trail, the notice
// writer, leases and attachment storage.
pub mod attachments;
pub mod decisions;
pub mod jobs;
pub mod limits;
mod migration;
pub mod outbox;
mod sql;
pub mod testing;
pub mod trail;

// The case core: one writer of transitions, observed by the capabilities.
pub mod cases;

// Capabilities.
pub mod accounts;
pub mod bundles;
pub mod calendar;
pub mod catalog;
pub mod certificates;
pub mod enterprise;
pub mod experience;
pub mod guide_audit;
pub mod hall;
pub mod indicators;
pub mod inquiries;
pub mod notices;
pub mod policies;
pub mod ratings;
pub mod shared_data;

// The demo centre (uses every capability).
pub mod demo;
/// Stage applications: 靠前服务's stages applied for through the bundles.
pub mod stage_applications;
// The unmasked readers, for this crate's own tests.
#[cfg(feature = "unmasked")]
pub mod unmasked;

/// The most rows one export holds (ratings, rectifications, findings): a
/// year of a large centre's; a longer span is exported in parts.
pub const EXPORT_LIMIT: usize = 100_000;

/// Today in the service centre's time zone.
pub fn shanghai_today() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
}

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, QueryResult,
    Statement, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use tongban_domain::FieldErrors;

pub use sea_orm::DatabaseTransaction;
/// For implementing [`cases::CaseObserver`] outside this crate.
pub use sea_orm::prelude::async_trait::async_trait;

/// The connection traits, for tests and tools that run SQL of their own.
pub mod sea_orm_conn {
    pub use sea_orm::ConnectionTrait;
}

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("not found: {0}")]
    NotFound(String),
    /// The request conflicts with the current state (e.g. a draft already exists).
    #[error("conflict: {en}")]
    Conflict { zh: String, en: String },
    /// Bad input, by field.
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The caller's role or department may not do this.
    #[error("forbidden: {}", .0.en())]
    Forbidden(tongban_domain::auth::Denied),
    /// Attachment storage failed.
    #[error("attachment storage: {0}")]
    Files(String),
}

impl StoreError {
    pub fn conflict(zh: impl Into<String>, en: impl Into<String>) -> Self {
        StoreError::Conflict {
            zh: zh.into(),
            en: en.into(),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A connected, migrated database.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    /// Parsed documents of non-draft item versions, which never change.
    /// SQLite: one writer at a time, queued here rather than in SQLite.
    write_gate: std::sync::Arc<tokio::sync::Mutex<()>>,
    docs: std::sync::Arc<
        std::sync::Mutex<
            std::collections::HashMap<i64, std::sync::Arc<tongban_domain::catalog::ItemDoc>>,
        >,
    >,
    /// Test hook: fail a bundle's fan-out on this sub-case (0: never).
    fanout_fault: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// The operator's secret sealing the signing keys (never stored).
    key_secret: std::sync::Arc<std::sync::RwLock<Option<tongban_certs::KeySecret>>>,
    /// The capabilities reacting to case steps (see `cases::CaseObserver`).
    observers: cases::Observers,
    /// Batches whose jobs were rerun one by one (see `cases::CaseWriter`).
    batch_fallbacks: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// A PostgreSQL streaming replica the dashboards and exports read from
    /// (`--read-database-url`); `None`: they read the primary.
    replica: Option<DatabaseConnection>,
}

/// Current time in UTC milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Builds the SQLite URL for a data directory.
pub fn sqlite_url_for_dir(dir: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("tongban.db").display())
}

impl Store {
    /// Connects and runs pending migrations.
    pub async fn open(url: &str) -> Result<Self> {
        Self::open_with(url, None).await
    }

    /// Connects with an optional PostgreSQL schema (tests isolate themselves this way).
    pub async fn open_with(url: &str, pg_schema: Option<&str>) -> Result<Self> {
        let mut opts = ConnectOptions::new(url.to_string());
        opts.sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(30));
        if url.starts_with("sqlite:") {
            // One writer at a time: SQLite serialises writes anyway, and a single
            // pooled writer avoids SQLITE_BUSY storms. WAL keeps readers concurrent.
            opts.max_connections(4).min_connections(1);
            opts.map_sqlx_sqlite_opts(|o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    // Cases are read back at every step: keep the hot pages in
                    // memory (32 MB cache per connection, reads through mmap)
                    // instead of copying them from the OS page by page.
                    .pragma("cache_size", "-32768")
                    .pragma("mmap_size", "268435456")
            });
        } else {
            opts.max_connections(16);
            if let Some(schema) = pg_schema {
                opts.set_schema_search_path(schema.to_string());
            }
        }
        let db = Database::connect(opts).await?;
        migration::Migrator::up(&db, None).await?;
        let store = Self {
            db,
            write_gate: Default::default(),
            docs: Default::default(),
            fanout_fault: Default::default(),
            key_secret: Default::default(),
            observers: Default::default(),
            batch_fallbacks: Default::default(),
            replica: None,
        };
        // The capabilities that react to case steps, in the order they run
        // (and their notices are written): shared data records its lookups,
        // notices tell the people each step concerns, bundles derive their
        // state and speak for their sub-cases, policies tell who is eligible.
        store.register_observer(std::sync::Arc::new(shared_data::LookupRecords));
        store.register_observer(std::sync::Arc::new(notices::StepNotices));
        store.register_observer(std::sync::Arc::new(bundles::BundleProgress));
        store.register_observer(std::sync::Arc::new(policies::PolicyMatcher));
        store.register_observer(std::sync::Arc::new(ratings::RatingInvitations));
        store.register_observer(std::sync::Arc::new(indicators::KpiRollups));
        store.register_observer(std::sync::Arc::new(enterprise::CommitmentChecks));
        store.register_observer(std::sync::Arc::new(stage_applications::StageApplications));
        store.kpi_backfill().await?;
        Ok(store)
    }

    /// Registers a capability's reaction to case steps (after the built-in
    /// ones); it then sees every step of this store and its clones.
    pub fn register_observer(&self, o: std::sync::Arc<dyn cases::CaseObserver>) {
        self.observers.register(o);
    }

    /// Takes a built-in observer out by name (benchmarks measure what one
    /// costs: `indicators` for the rollups). The capability it feeds is
    /// then wrong for the steps taken meanwhile: never in a server.
    pub fn remove_observer(&self, name: &str) {
        self.observers.remove(name);
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// How many group-commit batches were rolled back and rerun one job at
    /// a time since the store was opened (a test of the batch path expects 0).
    pub fn batch_fallbacks(&self) -> usize {
        self.batch_fallbacks
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn conn(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Where the dashboards, drill-downs and exports read: the replica when
    /// one is configured, else the primary. A replica lags by up to its
    /// replication delay; nothing that decides or writes reads it.
    pub fn read_conn(&self) -> &DatabaseConnection {
        self.replica.as_ref().unwrap_or(&self.db)
    }

    /// Reads dashboards and exports from a PostgreSQL streaming replica
    /// (read-only; its schema is the primary's, migrations never run on it).
    pub async fn with_read_replica(mut self, url: &str) -> Result<Self> {
        if !url.starts_with("postgres") || self.backend() != DbBackend::Postgres {
            return Err(StoreError::conflict(
                "只读副本须为 PostgreSQL 地址（postgres://…），且主库也须为 PostgreSQL",
                "a read replica must be a PostgreSQL URL (postgres://…) of a PostgreSQL primary",
            ));
        }
        let mut opts = ConnectOptions::new(url.to_string());
        opts.sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(30))
            .max_connections(8);
        self.replica = Some(Database::connect(opts).await?);
        Ok(self)
    }

    /// Answers when the database answers.
    pub async fn ping(&self) -> Result<()> {
        self.db.ping().await?;
        Ok(())
    }

    /// Starts a write transaction. On SQLite, writers queue on an in-process
    /// gate and then take the write lock at once (`BEGIN IMMEDIATE`): no
    /// writer fails upgrading a read lock, and none sleeps in SQLite's busy
    /// handler while another commits.
    pub async fn begin(&self) -> Result<WriteTxn> {
        if self.backend() == DbBackend::Sqlite {
            let gate = self.write_gate.clone().lock_owned().await;
            let txn = self
                .db
                .begin_with_options(sea_orm::TransactionOptions {
                    sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                    ..Default::default()
                })
                .await?;
            Ok(WriteTxn {
                txn,
                _gate: Some(gate),
            })
        } else {
            Ok(WriteTxn {
                txn: self.db.begin().await?,
                _gate: None,
            })
        }
    }
}

/// A write transaction (holding the SQLite write gate until it ends).
pub struct WriteTxn {
    txn: DatabaseTransaction,
    _gate: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTxn {
    pub async fn commit(self) -> Result<()> {
        Ok(self.txn.commit().await?)
    }
}

#[sea_orm::prelude::async_trait::async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }
    async fn execute_raw(&self, stmt: Statement) -> Result<sea_orm::ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }
    async fn execute_unprepared(&self, sql: &str) -> Result<sea_orm::ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }
    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }
    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }
}

pub(crate) use sql::{exec, get, insert_id, query, query_one};

/// Hex encoding for tokens and hashes.
pub fn hex(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(H[(b >> 4) as usize] as char);
        s.push(H[(b & 15) as usize] as char);
    }
    s
}

/// A random token, 32 bytes as hex.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    use rand::RngCore;
    rand::rng().fill_bytes(&mut b);
    hex(&b)
}

/// SM3 digest (GB/T 32905) as hex.
pub fn sm3_hex(data: &[u8]) -> String {
    use sm3::Digest;
    hex(&sm3::Sm3::digest(data))
}
