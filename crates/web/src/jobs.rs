//! The background jobs of an instance ([`spawn_background`]): the search
//! and calendar refresh, the case sweeps (deemed intake, deadline warnings,
//! lookup retries), outbox mail delivery and the monthly guide audit, the
//! ticks under database leases so one instance runs each at a time.

use std::time::Duration;

use tongban_store::jobs::HeldLease;

use crate::AppState;
use crate::mail;

impl AppState {
    /// Takes the named job lease for this instance, renewed while the job
    /// runs; `None` when another instance holds it.
    pub(crate) async fn lease(&self, name: &str) -> tongban_store::Result<Option<HeldLease>> {
        self.store
            .hold_lease(name, &self.config.instance, self.config.lease_ttl)
            .await
    }

    /// Runs the monthly guide audit if no instance has run it this month.
    /// A database lease makes sure only one instance does.
    pub async fn monthly_audit_tick(&self) -> anyhow::Result<bool> {
        let today = self.today();
        let period = today.format("%Y-%m").to_string();
        let Some(lease) = self.lease("guide-audit-monthly").await? else {
            return Ok(false);
        };
        let ran = if self.store.scheduled_audit_done(&period).await? {
            false
        } else {
            let run = self
                .store
                .run_audit("schedule", None, today, &self.calendar())
                .await?;
            tracing::info!(
                items = run.items,
                findings = run.findings,
                "monthly guide audit done"
            );
            true
        };
        lease.release().await?;
        Ok(ran)
    }

    /// The case sweeps: applications left 5 working days without a notice
    /// are recorded as accepted (Art. 32), then deadline warnings go out;
    /// failed lookups are retried; the ratings' deadlines warned of.
    /// Under a lease so one instance runs them at a time; the warning rows
    /// make a repeated warning impossible even without it.
    /// `None` when another instance holds the sweeps' lease.
    pub async fn case_sweep_tick(&self) -> anyhow::Result<Option<(usize, usize)>> {
        let Some(lease) = self.lease("case-sweeps").await? else {
            return Ok(None);
        };
        let cal = self.calendar();
        let today = self.today();
        // Each sweep runs whatever the other one did.
        let deemed = self.store.sweep_intake(&cal, today).await;
        let warned = self
            .store
            .sweep_warnings(&cal, today, self.config.warning_rule)
            .await;
        // Lookups of sources that were down are tried again.
        match self.store.retry_fetches(&cal, today).await {
            Ok(n) if n > 0 => tracing::info!(cases = n, "shared-data lookups retried"),
            Ok(_) => {}
            Err(e) => tracing::warn!("retrying shared-data lookups failed: {e}"),
        }
        // 好差评: warnings on 回访 and rectification deadlines, default ratings.
        match self.store.sweep_ratings(&cal, today).await {
            Ok(r) if r.warnings + r.defaults > 0 => {
                tracing::info!(
                    warnings = r.warnings,
                    defaults = r.defaults,
                    "ratings swept"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("the ratings' sweep failed: {e}"),
        }
        // 工程建设项目: warnings on stage and project targets.
        match self.store.sweep_projects(&cal, today).await {
            Ok(n) if n > 0 => tracing::info!(warnings = n, "project targets swept"),
            Ok(_) => {}
            Err(e) => tracing::warn!("the projects' sweep failed: {e}"),
        }
        // 审批疑难: overdue tickets climb to the head, then the supervisor.
        match self.store.sweep_tickets(&cal, today).await {
            Ok(t) if t.to_heads + t.to_supervisors > 0 => tracing::info!(
                to_heads = t.to_heads,
                to_supervisors = t.to_supervisors,
                "difficulty tickets escalated"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!("the tickets' sweep failed: {e}"),
        }
        let result = match (deemed, warned) {
            (Ok(d), Ok(w)) => Ok((d, w)),
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
        // Attempt counters whose window closed an hour ago are forgotten.
        if let Err(e) = self.store.prune_attempts(60 * 60 * 1000).await {
            tracing::warn!("pruning attempt counters failed: {e}");
        }
        lease.release().await?;
        let (deemed, warned) = result?;
        if deemed + warned > 0 {
            tracing::info!(deemed, warned, "case sweeps done");
        }
        Ok(Some((deemed, warned)))
    }

    /// Delivers due outbox mail; failures stay queued with a backoff.
    pub async fn mail_tick(&self) -> anyhow::Result<usize> {
        let Some(cfg) = &self.config.smtp else {
            return Ok(0);
        };
        let Some(lease) = self.lease("mail-delivery").await? else {
            return Ok(0);
        };
        let mut sent = 0;
        let result = async {
            let mailer = match mail::Mailer::new(cfg) {
                Ok(m) => m,
                Err(e) => {
                    tracing::error!("mail relay settings: {e}");
                    return Ok(());
                }
            };
            // A bounded batch, so the next tick's other jobs get their turn.
            let started = std::time::Instant::now();
            let base = self
                .config
                .public_url
                .as_deref()
                .map(|b| b.trim_end_matches('/').to_string());
            for m in self.store.due_mail(100).await? {
                // Paths the notice names are followed from the public site.
                let body = match &base {
                    Some(b) => crate::chrome::absolute_links(&m.body, b),
                    None => m.body.clone(),
                };
                // Stop when the lease is gone: another instance sends now.
                if started.elapsed() > Duration::from_secs(180) || !lease.is_held() {
                    break;
                }
                match mailer
                    .send(&m.to_addr, &m.subject, &body, &format!("outbox-{}", m.id))
                    .await
                {
                    Ok(()) => {
                        self.store.mail_sent(m.id).await?;
                        sent += 1;
                    }
                    Err(e) if e.is_permanent() => {
                        tracing::warn!(mail = m.id, "mail refused for good (not retried): {e}");
                        // Kept without the relay's words, which echo the address.
                        let why = match &e {
                            mail::MailError::Smtp(s) => format!(
                                "{} {}",
                                s.status().map(|c| c.to_string()).unwrap_or_default(),
                                "the relay refused the recipient"
                            ),
                            _ => "the address or the message is malformed".to_string(),
                        };
                        self.store.mail_refused(m.id, &why).await?;
                    }
                    Err(e) if e.stops_delivery() => {
                        // The relay refuses everything (credentials, policy):
                        // nothing is marked failed; the mails wait.
                        tracing::error!("the mail relay refuses mail, delivery stopped: {e}");
                        self.store.mail_failed(m.id, &e.to_string()).await?;
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(mail = m.id, "mail delivery failed (will retry): {e}");
                        self.store.mail_failed(m.id, &e.to_string()).await?;
                    }
                }
            }
            Ok::<_, tongban_store::StoreError>(())
        }
        .await;
        lease.release().await?;
        result?;
        Ok(sent)
    }
}

/// A capability's scheduled work, run every minute beside the monthly
/// audit (it takes its own lease and decides whether anything is due).
pub type Tick =
    fn(AppState) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + Send>>;

/// Starts the background jobs of this instance. Each job finishes the
/// round it is in when `stop` turns true, then ends: a shutdown never cuts a
/// round off half-way (a mail sent but not marked sent, a sweep holding its
/// lease until it lapses). The handles resolve when the jobs have ended.
pub fn spawn_background(
    state: AppState,
    stop: tokio::sync::watch::Receiver<bool>,
    ticks: Vec<(&'static str, Tick)>,
) -> Vec<tokio::task::JoinHandle<()>> {
    /// Waits `d`, or less when asked to stop; says whether to go on.
    async fn wait(stop: &mut tokio::sync::watch::Receiver<bool>, d: Duration) -> bool {
        if *stop.borrow() {
            return false;
        }
        tokio::select! {
            () = tokio::time::sleep(d) => !*stop.borrow(),
            // A closed channel (the server is gone) also means stop.
            _ = stop.changed() => false,
        }
    }
    let mut jobs = Vec::new();
    let (s, mut st) = (state.clone(), stop.clone());
    jobs.push(tokio::spawn(async move {
        while wait(&mut st, Duration::from_secs(2)).await {
            if let Err(e) = s.refresh_search().await {
                tracing::warn!("search refresh failed: {e}");
            }
            if let Err(e) = s.refresh_calendar().await {
                tracing::warn!("calendar refresh failed: {e}");
            }
        }
    }));
    let (s, mut st) = (state.clone(), stop.clone());
    jobs.push(tokio::spawn(async move {
        loop {
            if let Err(e) = s.case_sweep_tick().await {
                tracing::warn!("case sweeps failed: {e}");
            }
            if let Err(e) = s.mail_tick().await {
                tracing::warn!("mail delivery failed: {e}");
            }
            if !wait(&mut st, s.config.sweep_interval).await {
                break;
            }
        }
    }));
    let mut st = stop;
    jobs.push(tokio::spawn(async move {
        loop {
            if let Err(e) = state.monthly_audit_tick().await {
                tracing::warn!("monthly audit failed: {e}");
            }
            for (name, tick) in &ticks {
                if let Err(e) = tick(state.clone()).await {
                    tracing::warn!("{name} failed: {e}");
                }
            }
            if !wait(&mut st, Duration::from_secs(60)).await {
                break;
            }
        }
    }));
    jobs
}
