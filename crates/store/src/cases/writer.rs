//! The one writer of case transitions. A [`Job`] — a person's command, or
//! what the system does on its own (a deemed acceptance, the steps of 秒批
//! after a submission) — is decided by the domain into steps (`plan`), and
//! the steps of every job of a batch are written together (`write`) in one
//! transaction. A single command is a batch of one: there is no other path.
//!
//! [`CaseWriter`] queues the server's jobs and group-commits those that
//! arrive together. Jobs of one batch are decided in order against working
//! copies, each seeing the effect of the ones before it, exactly as if run
//! alone; a refused job changes nothing and the others go on. A batch whose
//! writes do not go through as planned — another instance moved one of its
//! cases meanwhile, an observer failed, any database error — is rolled back
//! whole and its jobs are run one by one instead. Two jobs on cases sharing
//! an observer's exclusive key (sub-cases of one bundle) never share a
//! batch: the observer reacts to each in turn.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use chrono::NaiveDate;
use tokio::sync::{mpsc, oneshot};
use tongban_domain::auth::Actor;
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::{self, Command, Transition};
use tongban_domain::catalog::ItemDoc;

use super::certify::{NewCert, Signer, gets_certificate, prepare_certificate, signer_for};
use super::facts::{build_facts, noticed_of};
use super::plan::{Step, Taker, Working, plan_step};
use super::write::write_steps;
use super::{Applied, CASE_COLS, Case, limits_for, row_case, stale};
use crate::sql::{get, list, query};
use crate::{Result, Store, StoreError, WriteTxn};

mod decide;
use decide::Decider;

/// Who takes a job's first step.
#[derive(Clone, Debug)]
pub enum StepBy {
    /// A person, checked against their role, department and ownership.
    Person { actor: Actor, cmd: Command },
    /// The system, under the same transition rules without a role check,
    /// recorded as 系统 with `why` added to the step's details. Only the
    /// writer takes such steps (from a job's follow-on, built inside this
    /// crate): no other crate can construct one.
    System {
        cmd: Command,
        department: Option<i64>,
        why: serde_json::Value,
        sealed: Sealed,
    },
    /// 逾期未告知视为受理 (行政许可法 Art. 32): an application left 5 working
    /// days without a notice counts as accepted from receipt. Nothing
    /// happens when it is not due (or a calendar year is missing).
    DeemedAcceptance,
}

/// Keeps [`StepBy::System`] out of other crates' hands.
#[derive(Clone, Debug)]
pub struct Sealed(());

/// Steps the system takes on its own after a job's first step (秒批).
pub trait FollowOn: Send + Sync {
    /// What each of its steps records as the reason (added to details).
    fn why(&self) -> &serde_json::Value;
    /// The next command and the department taking it, for the case as it
    /// stands; `None` when done.
    fn next(&self, case: &Case) -> Option<(Command, Option<i64>)>;
    /// Whether the steps taken brought the case where they must: if not,
    /// none of them is written. By default, the case's end.
    fn complete(&self, case: &Case) -> bool {
        case.state.is_final()
    }
}

/// Work for the writer.
#[derive(Clone)]
pub struct Job {
    pub case_id: i64,
    /// The version the caller saw; the job is refused if the case moved.
    pub expected_version: Option<i64>,
    /// The first step; `None` for a job that only runs its follow-on.
    pub(crate) first: Option<StepBy>,
    /// Steps the system then takes; if one is refused (no signing key, a
    /// material still missing) they are all dropped and the first step is
    /// written alone, for a person to take over. Built inside this crate
    /// only (秒批): its steps skip the role check.
    pub(crate) then: Option<Arc<dyn FollowOn>>,
    /// Materials recorded as not needed before the first step (免提交).
    pub(crate) waive: Vec<usize>,
    /// A certificate signed in advance for the 制证 the follow-on reaches
    /// (used if still signed with the department's current key).
    pub(crate) presigned: Option<NewCert>,
    /// Given to observers with the first step (see [`super::StepEvent`]).
    pub(crate) attachment: Option<Arc<dyn std::any::Any + Send + Sync>>,
    pub calendar: Arc<WorkCalendar>,
    pub today: NaiveDate,
}

impl Job {
    /// A person's command.
    pub fn command(
        actor: &Actor,
        case_id: i64,
        expected_version: Option<i64>,
        cmd: Command,
        calendar: Arc<WorkCalendar>,
        today: NaiveDate,
    ) -> Self {
        Self {
            case_id,
            expected_version,
            first: Some(StepBy::Person {
                actor: actor.clone(),
                cmd,
            }),
            then: None,
            waive: Vec::new(),
            presigned: None,
            attachment: None,
            calendar,
            today,
        }
    }

    /// A step of the system's.
    pub fn system(
        case_id: i64,
        first: StepBy,
        calendar: Arc<WorkCalendar>,
        today: NaiveDate,
    ) -> Self {
        Self {
            case_id,
            expected_version: None,
            first: Some(first),
            then: None,
            waive: Vec::new(),
            presigned: None,
            attachment: None,
            calendar,
            today,
        }
    }
}

/// Largest batch on SQLite (keeps every multi-row statement far below
/// parameter limits).
pub const MAX_BATCH: usize = 128;
/// Largest batch on PostgreSQL, where larger multi-row updates were measured
/// to get slower per row (see docs/PERFORMANCE.md).
pub const MAX_BATCH_PG: usize = 24;

type Reply = oneshot::Sender<Result<Applied>>;

/// The queue in front of the writer: jobs sent at the same moment are
/// group-committed.
#[derive(Clone)]
pub struct CaseWriter {
    tx: mpsc::Sender<(Job, Reply)>,
}

impl CaseWriter {
    /// Starts the writer task for `store`.
    pub fn start(store: Store) -> Self {
        let (tx, rx) = mpsc::channel::<(Job, Reply)>(4096);
        // SQLite has one writer anyway; PostgreSQL overlaps one batch's
        // commit with the next one's work.
        let (max, writers) = if store.backend() == sea_orm::DbBackend::Postgres {
            (MAX_BATCH_PG, 2)
        } else {
            (MAX_BATCH, 1)
        };
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        for _ in 0..writers {
            let (store, rx) = (store.clone(), rx.clone());
            tokio::spawn(async move {
                loop {
                    let batch = {
                        let mut rx = rx.lock().await;
                        let Some(first) = rx.recv().await else {
                            return;
                        };
                        let mut batch = vec![first];
                        // Let the clients just answered queue their next
                        // commands, so they join this batch.
                        for _ in 0..4 {
                            tokio::task::yield_now().await;
                        }
                        while batch.len() < max {
                            match rx.try_recv() {
                                Ok(r) => batch.push(r),
                                Err(_) => break,
                            }
                        }
                        batch
                    };
                    let (jobs, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
                    // In a task of its own: a panic in an observer fails the
                    // commands of the round it happens in (their transaction
                    // rolls back), never the writer. Each command is answered
                    // as soon as its round commits, so a panic in a later
                    // round (a deferred job) cannot report committed work as
                    // failed: the unanswered ones see the writer fail them.
                    let s = store.clone();
                    let run = tokio::spawn(async move {
                        let mut replies: Vec<Option<Reply>> =
                            replies.into_iter().map(Some).collect();
                        s.run_jobs_answering(&jobs, |i, r| {
                            if let Some(reply) = replies.get_mut(i).and_then(Option::take) {
                                let _ = reply.send(r);
                            }
                        })
                        .await;
                    });
                    if let Err(e) = run.await {
                        tracing::error!("a case-writer batch failed: {e}");
                    }
                }
            });
        }
        Self { tx }
    }

    /// Runs a job (batched with whatever else is waiting).
    pub async fn run(&self, job: Job) -> Result<Applied> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send((job, tx))
            .await
            .map_err(|_| StoreError::Corrupt("case writer stopped".into()))?;
        // No answer: the round it was in failed (and rolled back).
        rx.await.map_err(|_| {
            StoreError::Corrupt(
                "the case writer failed on this command; nothing was changed".into(),
            )
        })?
    }
}

/// What became of a job in a batch.
enum Outcome {
    Done(Result<Applied>),
    /// An observer's exclusive key (a bundle) is taken by an earlier job of
    /// the batch: next batch.
    Deferred,
}

/// A batch decided in memory, ready to be written.
struct Planned {
    work: HashMap<i64, Working>,
    steps: Vec<Step>,
    /// Per job: its outcome and its last step's index (for the document id).
    outcomes: Vec<(Outcome, Option<usize>)>,
}

impl Store {
    /// Gives `cmd` on a case as `actor`. `expected_version`, when given, must
    /// match (a concurrent action wins, this one is refused).
    pub async fn case_command<C: Clone + Into<Arc<WorkCalendar>>>(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: Option<i64>,
        cmd: &Command,
        cal: &C,
        today: NaiveDate,
    ) -> Result<Applied> {
        // A concierge acts for the applicant under a valid authorization,
        // and the step names both (钱专员 代 某公司).
        let labelled;
        let actor = if actor.role == tongban_domain::auth::Role::Concierge {
            let c = self.case(case_id).await?;
            if !c.visible_to(actor) {
                return Err(StoreError::NotFound(format!("case {case_id}")));
            }
            labelled = self
                .acting_on_case(actor, c.applicant_user_id, &c.impl_code, today)
                .await?;
            &labelled
        } else {
            actor
        };
        let job = Job::command(
            actor,
            case_id,
            expected_version,
            cmd.clone(),
            cal.clone().into(),
            today,
        );
        self.run_job(job).await
    }

    /// Runs one job in a transaction of its own.
    pub async fn run_job(&self, job: Job) -> Result<Applied> {
        self.run_jobs(std::slice::from_ref(&job))
            .await
            .pop()
            .unwrap_or_else(|| Err(StoreError::Corrupt("no result".into())))
    }

    /// Runs jobs group-committed: one transaction when it can, one by one
    /// otherwise; one result per job, in order.
    pub async fn run_jobs(&self, jobs: &[Job]) -> Vec<Result<Applied>> {
        let mut results: Vec<Option<Result<Applied>>> = (0..jobs.len()).map(|_| None).collect();
        self.run_jobs_answering(jobs, |i, r| {
            if let Some(slot) = results.get_mut(i) {
                *slot = Some(r);
            }
        })
        .await;
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(StoreError::Corrupt("job not run".into()))))
            .collect()
    }

    /// As [`Store::run_jobs`], handing each job's result (by index) to
    /// `done` as soon as the round that decided it has committed.
    pub(crate) async fn run_jobs_answering(
        &self,
        jobs: &[Job],
        mut done: impl FnMut(usize, Result<Applied>),
    ) {
        let mut pending: Vec<usize> = (0..jobs.len()).collect();
        while !pending.is_empty() {
            let batch: Vec<&Job> = pending.iter().map(|i| &jobs[*i]).collect();
            let outcomes = match self.try_batch(&batch).await {
                Ok(o) => o,
                Err(e) => {
                    if batch.len() == 1 {
                        vec![Outcome::Done(Err(e))]
                    } else {
                        tracing::debug!("group commit fell back to single commands: {e}");
                        self.batch_fallbacks
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let mut out = Vec::with_capacity(batch.len());
                        for job in &batch {
                            out.push(Outcome::Done(match self.try_batch(&[*job]).await {
                                Ok(mut o) => match o.pop() {
                                    Some(Outcome::Done(r)) => r,
                                    _ => Err(StoreError::Corrupt("job not run".into())),
                                },
                                Err(e) => Err(e),
                            }));
                        }
                        out
                    }
                }
            };
            let mut next = Vec::new();
            for (i, o) in pending.iter().zip(outcomes) {
                match o {
                    Outcome::Done(r) => done(*i, r),
                    Outcome::Deferred => next.push(*i),
                }
            }
            pending = next;
        }
    }

    /// One batch in one transaction.
    async fn try_batch(&self, jobs: &[&Job]) -> Result<Vec<Outcome>> {
        let txn = self.begin().await?;
        let mut planned = self.plan_jobs(&txn, jobs, true).await?;
        let mut events = Vec::new();
        if !planned.steps.is_empty() || planned.work.values().any(|w| w.touched) {
            let steps = std::mem::take(&mut planned.steps);
            events = write_steps(&txn, &self.observers, &planned.work, steps).await?;
            txn.commit().await?;
        }
        Ok(finish(planned.outcomes, &events))
    }

    /// Runs jobs inside the caller's transaction (a bundle moving its
    /// sub-cases together): all of them or, on the first refusal, none.
    pub(crate) async fn apply_all_in(&self, txn: &WriteTxn, jobs: &[Job]) -> Result<Vec<Applied>> {
        let refs: Vec<&Job> = jobs.iter().collect();
        let mut planned = self.plan_jobs(txn, &refs, false).await?;
        let steps = std::mem::take(&mut planned.steps);
        let events = write_steps(txn, &self.observers, &planned.work, steps).await?;
        finish(planned.outcomes, &events)
            .into_iter()
            .map(|o| match o {
                Outcome::Done(r) => r,
                Outcome::Deferred => Err(StoreError::Corrupt("job deferred".into())),
            })
            .collect()
    }

    /// Decides every job of a batch against working copies, in order.
    async fn plan_jobs(
        &self,
        txn: &WriteTxn,
        jobs: &[&Job],
        defer_exclusive: bool,
    ) -> Result<Planned> {
        let mut ids: Vec<i64> = jobs.iter().map(|j| j.case_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let in_list = list(ids.len(), 0);
        let id_values: Vec<sea_orm::Value> = ids.iter().map(|i| (*i).into()).collect();
        let mut work: HashMap<i64, Working> = HashMap::with_capacity(ids.len());
        for r in query(
            txn,
            &format!("SELECT {CASE_COLS} WHERE k.id IN ({in_list})"),
            id_values.clone(),
        )
        .await?
        {
            let c = row_case(&r)?;
            work.insert(c.id, Working::new(c, Vec::new()));
        }
        for r in query(
            txn,
            &format!(
                "SELECT case_id, material_index, COUNT(*) AS n FROM case_files WHERE case_id IN ({in_list}) GROUP BY case_id, material_index"
            ),
            id_values,
        )
        .await?
        {
            let cid: i64 = get(&r, "case_id")?;
            let idx = usize::try_from(get::<i64>(&r, "material_index")?).unwrap_or(usize::MAX);
            let n: i64 = get(&r, "n")?;
            if let Some(w) = work.get_mut(&cid)
                && idx < 4096
            {
                if w.uploads.len() <= idx {
                    w.uploads.resize(idx + 1, 0);
                }
                w.uploads[idx] = usize::try_from(n).unwrap_or(0);
            }
        }
        // Calendars built from the database say which notices they hold; one
        // that is out of date (a notice entered on another instance in the
        // last moments) is replaced by the database's own, read here.
        let current = match jobs.iter().find_map(|j| j.calendar.tag()) {
            Some(_) => {
                let tag = crate::calendar::calendar_tag(txn).await?;
                if jobs
                    .iter()
                    .any(|j| j.calendar.tag().is_some_and(|t| t != tag))
                {
                    Some(Arc::new(crate::calendar::calendar_in(txn).await?))
                } else {
                    None
                }
            }
            None => None,
        };
        let mut ctx = Decider {
            store: self,
            txn,
            signers: HashMap::new(),
            current,
        };
        let mut steps: Vec<Step> = Vec::new();
        let mut outcomes = Vec::with_capacity(jobs.len());
        // Keys of observers that must see one step at a time (a bundle).
        let mut exclusive: HashSet<(&'static str, i64)> = HashSet::new();
        for (i, job) in jobs.iter().enumerate() {
            let Some(w) = work.get_mut(&job.case_id) else {
                outcomes.push((
                    Outcome::Done(Err(StoreError::NotFound(format!("case {}", job.case_id)))),
                    None,
                ));
                continue;
            };
            if defer_exclusive {
                let keys = self.observers.exclusive_keys(&w.case);
                if keys.iter().any(|k| exclusive.contains(k)) {
                    outcomes.push((Outcome::Deferred, None));
                    continue;
                }
                exclusive.extend(keys);
            }
            let first_step = steps.len();
            match ctx.plan_job(w, job, i, &mut steps).await {
                Ok(()) => {
                    let last = (steps.len() > first_step).then(|| steps.len() - 1);
                    let c = &w.case;
                    outcomes.push((
                        Outcome::Done(Ok(Applied {
                            case_id: c.id,
                            state: c.state,
                            version: c.version,
                            document_id: None,
                        })),
                        last,
                    ));
                }
                Err(e) => outcomes.push((Outcome::Done(Err(e)), None)),
            }
        }
        Ok(Planned {
            work,
            steps,
            outcomes,
        })
    }
}

/// The jobs' results, with the document each job's last step issued.
fn finish(outcomes: Vec<(Outcome, Option<usize>)>, events: &[super::StepEvent]) -> Vec<Outcome> {
    outcomes
        .into_iter()
        .map(|(o, last)| match o {
            Outcome::Done(Ok(mut a)) => {
                a.document_id = last
                    .and_then(|i| events.get(i))
                    .and_then(|e| e.document.map(|d| d.1));
                Outcome::Done(Ok(a))
            }
            other => other,
        })
        .collect()
}
