//! The state every handler shares ([`AppState`]): the store, the in-memory
//! search index and working-day calendar — rebuilt from the database and
//! refreshed when the catalogue or calendar revision moves, so several
//! instances can share one PostgreSQL — the settings
//! ([`Config`]) and the group-commit case writer.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tongban_domain::calendar::WorkCalendar;
use tongban_search::{SearchDoc, SearchIndex};
use tongban_store::Store;
use tongban_store::catalog::ItemVersion;
use tongban_store::limits::Limit;

use crate::mail;

/// Server settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Mark cookies `Secure` (behind HTTPS). [`Config::cookies_secure`]
    /// also says yes whenever the public URL is https.
    pub secure_cookies: bool,
    /// This instance's name in job leases; the same after a restart, so a
    /// restarted instance takes its own leases back.
    pub instance: String,
    /// How long a job lease lasts unless renewed (renewed every third of it
    /// while the job runs): a dead holder's lease lapses within this time.
    pub lease_ttl: Duration,
    /// Proxies (load balancers) whose `X-Forwarded-For` is believed; the
    /// client address is the last one before them.
    pub trusted_proxies: Vec<crate::http::client::IpRange>,
    /// Run the background jobs (search refresh, monthly audit, sweeps, mail).
    pub background_jobs: bool,
    /// Where uploaded files go (a local directory); `None`: in memory.
    pub attachments_dir: Option<std::path::PathBuf>,
    /// Outgoing mail; without it notices stay in the outbox (and in-app).
    pub smtp: Option<mail::SmtpConfig>,
    /// How often the intake, warning and mail jobs run.
    pub sweep_interval: Duration,
    /// When a case turns yellow.
    pub warning_rule: tongban_domain::clock::WarningRule,
    /// The public address (`https://…`) certificates' QR codes point to;
    /// without it, the request's host over http.
    pub public_url: Option<String>,
}

impl Config {
    /// Whether cookies are marked `Secure`: when asked, and always when the
    /// public address is https.
    pub fn cookies_secure(&self) -> bool {
        self.secure_cookies
            || self
                .public_url
                .as_deref()
                .is_some_and(|u| u.to_ascii_lowercase().starts_with("https://"))
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            instance: format!("{}-{}", std::process::id(), rand::random::<u32>()),
            lease_ttl: Duration::from_secs(15),
            trusted_proxies: Vec::new(),
            background_jobs: true,
            attachments_dir: None,
            smtp: None,
            sweep_interval: Duration::from_secs(60),
            warning_rule: Default::default(),
            public_url: None,
        }
    }
}

/// The in-memory search index and the catalogue revision it reflects.
pub struct SearchHolder {
    index: RwLock<Arc<SearchIndex>>,
    revision: AtomicI64,
}

impl SearchHolder {
    pub fn current(&self) -> Arc<SearchIndex> {
        match self.index.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }
}

/// Sign-in attempts allowed per account (any address) and window.
pub const LOGIN_PER_ACCOUNT: Limit = Limit {
    max: 5,
    window_ms: 5 * 60 * 1000,
};
/// Sign-in attempts allowed per client address (any account) and window.
pub const LOGIN_PER_ADDRESS: Limit = Limit {
    max: 30,
    window_ms: 5 * 60 * 1000,
};

/// The calendar in force and the database revision it was built from.
type CalendarSnapshot = (Arc<WorkCalendar>, u64);

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub search: Arc<SearchHolder>,
    calendar: Arc<RwLock<CalendarSnapshot>>,
    pub config: Arc<Config>,
    /// Uploaded material files.
    pub files: tongban_store::attachments::Attachments,
    /// Case commands go through group commit.
    pub writer: tongban_store::cases::CaseWriter,
}

/// What search indexes of a published item.
pub fn search_doc(i: &ItemVersion) -> SearchDoc {
    let mut body = i.doc.search_body();
    body.push('\n');
    body.push_str(&i.department_name);
    SearchDoc {
        code: i.impl_code.clone(),
        name: i.doc.name.clone(),
        body,
        department_id: i.department_id,
        item_type: i.doc.item_type.as_str().to_string(),
        service_objects: i
            .doc
            .service_objects
            .iter()
            .map(|o| o.as_str().to_string())
            .collect(),
        life_events: i.doc.life_events.clone(),
        result: format!("{} {}", i.doc.result.name, i.doc.result.licence_type),
    }
}

async fn build_index(store: &Store) -> anyhow::Result<(i64, SearchIndex)> {
    let revision = store.catalog_revision().await?;
    let items = store.published_items().await?;
    let phrasings: Vec<(String, String)> = store
        .search_phrasings()
        .await?
        .into_iter()
        .map(|p| (p.everyday, p.official))
        .collect();
    let index = tokio::task::spawn_blocking(move || {
        SearchIndex::build(items.iter().map(search_doc), phrasings)
    })
    .await??;
    Ok((revision, index))
}

impl AppState {
    pub async fn new(store: Store, config: Config) -> anyhow::Result<Self> {
        let (revision, index) = build_index(&store).await?;
        let calendar = store.work_calendar().await?;
        let calendar_rev = store.calendar_revision().await?;
        let files = match &config.attachments_dir {
            Some(dir) => tongban_store::attachments::Attachments::local(dir)?,
            None => tongban_store::attachments::Attachments::in_memory(),
        };
        Ok(Self {
            writer: tongban_store::cases::CaseWriter::start(store.clone()),
            files,
            store,
            search: Arc::new(SearchHolder {
                index: RwLock::new(Arc::new(index)),
                revision: AtomicI64::new(revision),
            }),
            calendar: Arc::new(RwLock::new((Arc::new(calendar), calendar_rev))),
            config: Arc::new(config),
        })
    }

    /// Rebuilds the search index if the catalogue changed (here or on another instance).
    pub async fn refresh_search(&self) -> anyhow::Result<bool> {
        let rev = self.store.catalog_revision().await?;
        if rev == self.search.revision.load(Ordering::Acquire) {
            return Ok(false);
        }
        let (rev, index) = build_index(&self.store).await?;
        match self.search.index.write() {
            Ok(mut g) => *g = Arc::new(index),
            Err(p) => *p.into_inner() = Arc::new(index),
        }
        self.search.revision.store(rev, Ordering::Release);
        Ok(true)
    }

    /// The working-day calendar in force (shipped schedules plus entered years).
    pub fn calendar(&self) -> Arc<WorkCalendar> {
        match self.calendar.read() {
            Ok(g) => g.0.clone(),
            Err(p) => p.into_inner().0.clone(),
        }
    }

    /// Rebuilds the calendar if an admin entered a year (here or on another instance).
    pub async fn refresh_calendar(&self) -> anyhow::Result<bool> {
        let rev = self.store.calendar_revision().await?;
        let current = match self.calendar.read() {
            Ok(g) => g.1,
            Err(p) => p.into_inner().1,
        };
        if rev == current {
            return Ok(false);
        }
        let cal = Arc::new(self.store.work_calendar().await?);
        match self.calendar.write() {
            Ok(mut g) => *g = (cal, rev),
            Err(p) => *p.into_inner() = (cal, rev),
        }
        Ok(true)
    }

    /// Refreshes the search index right after a change made here, so the
    /// change is searchable at once; a failure is logged and the background
    /// refresh retries it.
    pub async fn refresh_search_now(&self) {
        if let Err(e) = self.refresh_search().await {
            tracing::warn!("search refresh after a change failed (will retry): {e}");
        }
    }

    /// Applies a case command as `actor` today (through group commit).
    pub async fn case_command(
        &self,
        actor: &tongban_domain::auth::Actor,
        case_id: i64,
        expected_version: Option<i64>,
        cmd: tongban_domain::case::Command,
    ) -> Result<tongban_store::cases::Applied, tongban_store::StoreError> {
        // A submission looks up shared data and runs its rules first, then
        // joins the writer's batches, with 秒批 when the rules approve.
        if matches!(cmd, tongban_domain::case::Command::Submit) {
            let (cal, today) = (self.calendar(), self.today());
            let job = self
                .store
                .prepare_submit(actor, case_id, expected_version, cal, today)
                .await?;
            return self.writer.run(job).await;
        }
        self.writer
            .run(tongban_store::cases::Job::command(
                actor,
                case_id,
                expected_version,
                cmd,
                self.calendar(),
                self.today(),
            ))
            .await
    }

    /// Today in China Standard Time.
    pub fn today(&self) -> chrono::NaiveDate {
        tongban_store::cases::shanghai_today()
    }
}
