//! Group commit of case commands. Commands queued at the same moment are
//! decided one after another in memory (each sees the effect of the ones
//! before it, exactly as if run alone) and their effects written together in
//! one transaction with multi-row statements: the cases (each under its
//! version check), review tasks, documents, events, notices, mail and the
//! audit-trail entries. Durability is unchanged (one commit per batch); a
//! batch whose writes do not go through as planned — another instance moved
//! one of its cases meanwhile, or any database error — is rolled back whole
//! and its commands are run one by one instead.
//!
//! Submissions join the same batches: their lookups and rules ran before
//! (see `shared`), and when the rules approve on verified data the system's
//! steps to delivery (秒批), the signed certificate, the lookup and rule
//! records and any 免申即享 notices are planned and written with them. A
//! submission whose instant approval cannot finish is written submitted,
//! for a person.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;
use tokio::sync::{mpsc, oneshot};
use tongban_domain::auth::{Actor, Role};
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::{self, CaseState, Command, Notify, ReviewTask, TaskStatus};
use tongban_domain::clock::ClockEvent;

use crate::cases::{
    Applied, CASE_COLS, Case, doc_number, document_body, ds, limits_of, row_case, stale, to_json,
};
use crate::certs::{NewCert, Signer};
use crate::shared::{Gathered, PreparedSubmit};
use crate::{
    Result, Store, StoreError, WriteTxn, exec, get, insert_id, now_ms, query, query_one, trail,
};
use sea_orm::DbBackend;

/// One command waiting to be applied.
#[derive(Clone)]
pub struct CaseRequest {
    pub actor: Actor,
    pub case_id: i64,
    pub expected_version: Option<i64>,
    pub cmd: Command,
    pub calendar: Arc<WorkCalendar>,
    pub today: NaiveDate,
}

/// Largest batch on SQLite (keeps every multi-row statement far below
/// parameter limits).
pub const MAX_BATCH: usize = 128;
/// Largest batch on PostgreSQL, where larger multi-row updates were measured
/// to get slower per row (see docs/PERFORMANCE.md).
pub const MAX_BATCH_PG: usize = 24;

/// Work for the writer: a command, or a prepared submission (with 秒批).
pub enum Job {
    Command(CaseRequest),
    Submit {
        prepared: Box<PreparedSubmit>,
        calendar: Arc<WorkCalendar>,
        today: NaiveDate,
    },
}

impl Job {
    fn case_id(&self) -> i64 {
        match self {
            Job::Command(r) => r.case_id,
            Job::Submit { prepared, .. } => prepared.case_id,
        }
    }
}

/// The queue in front of the group-commit writer.
#[derive(Clone)]
pub struct CaseWriter {
    tx: mpsc::Sender<(Job, oneshot::Sender<Result<Applied>>)>,
}

impl CaseWriter {
    /// Starts the writer task for `store`.
    pub fn start(store: Store) -> Self {
        type Item = (Job, oneshot::Sender<Result<Applied>>);
        let (tx, rx) = mpsc::channel::<Item>(4096);
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
                    let (reqs, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
                    let results = store.run_jobs(&reqs).await;
                    for (reply, r) in replies.into_iter().zip(results) {
                        let _ = reply.send(r);
                    }
                }
            });
        }
        Self { tx }
    }

    /// Applies one command (batched with whatever else is waiting).
    pub async fn apply(&self, req: CaseRequest) -> Result<Applied> {
        self.run(Job::Command(req)).await
    }

    /// Writes a prepared submission (batched with whatever else is waiting).
    pub async fn submit(
        &self,
        prepared: PreparedSubmit,
        calendar: Arc<WorkCalendar>,
        today: NaiveDate,
    ) -> Result<Applied> {
        self.run(Job::Submit {
            prepared: Box::new(prepared),
            calendar,
            today,
        })
        .await
    }

    async fn run(&self, job: Job) -> Result<Applied> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send((job, tx))
            .await
            .map_err(|_| StoreError::Corrupt("case writer stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Corrupt("case writer dropped a command".into()))?
    }
}

/// Everything one successful command writes.
struct Planned {
    case_id: i64,
    case_no: String,
    /// The step ends the case approved (免申即享 policies run).
    completed_approved: bool,
    actor: Option<i64>,
    actor_name: String,
    action: String,
    from: String,
    to: String,
    details: serde_json::Value,
    document: Option<(String, String, String)>,
    notes: Vec<(Notify, Vec<ReviewTask>)>,
    subject: String,
    body: String,
    trail_object: String,
    trail_details: serde_json::Value,
}

/// A case as it stands after the batch's earlier commands.
#[derive(Clone)]
struct Working {
    case: Case,
    original_version: i64,
    uploads: Vec<usize>,
    tasks_changed: bool,
    /// Materials waived by this batch's submissions (written only then).
    waived_changed: bool,
    touched: bool,
}

/// Who takes a step: a person (checked against their role), or the system
/// (秒批; `why` is added to the step's details).
#[derive(Clone, Copy)]
enum Who<'a> {
    Person(&'a Actor),
    System {
        department: Option<i64>,
        why: &'a serde_json::Value,
    },
}

/// One planned step and what it adds to the batch.
struct Step {
    applied: Applied,
    planned: Planned,
    cert: Option<NewCert>,
}

/// One audit-trail entry, in chain order.
struct TrailEntry {
    actor: Option<i64>,
    action: String,
    object: String,
    details: serde_json::Value,
}

/// `(…), (…)` for `rows` rows of `cols` parameters, each row ending in
/// `suffix` (constant columns such as `, NULL`). The statement must have no
/// other parameters. SQLite gets anonymous `?` parameters: it looks a named
/// parameter up by walking a list, which grows quadratic in large batches.
pub(crate) fn placeholders_with(b: DbBackend, rows: usize, cols: usize, suffix: &str) -> String {
    let mut s = String::with_capacity(rows * (cols * 5 + 4 + suffix.len()));
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            if b == DbBackend::Sqlite {
                s.push('?');
            } else {
                s.push_str(&format!("${}", r * cols + c + 1));
            }
        }
        s.push_str(suffix);
        s.push(')');
    }
    s
}

/// `$k+1, …, $k+n`: a list for `IN (…)` after `k` other parameters.
pub(crate) fn placeholders_from(n: usize, k: usize) -> String {
    (k + 1..=k + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn placeholders(b: DbBackend, rows: usize, cols: usize) -> String {
    placeholders_with(b, rows, cols, "")
}

impl Store {
    /// Applies commands in one transaction; one result per command, in order.
    pub async fn case_commands(&self, reqs: &[CaseRequest]) -> Vec<Result<Applied>> {
        let jobs: Vec<Job> = reqs.iter().cloned().map(Job::Command).collect();
        self.run_jobs(&jobs).await
    }

    /// Runs jobs in one transaction when it can, one by one otherwise; one
    /// result per job, in order.
    pub async fn run_jobs(&self, jobs: &[Job]) -> Vec<Result<Applied>> {
        if let [job @ Job::Command(_)] = jobs {
            return vec![self.run_alone(job).await];
        }
        match self.try_batch(jobs).await {
            Ok(results) => results,
            Err(e) => {
                tracing::debug!("group commit fell back to single commands: {e}");
                let mut out = Vec::with_capacity(jobs.len());
                for job in jobs {
                    out.push(self.run_alone(job).await);
                }
                out
            }
        }
    }

    /// One job through the one-at-a-time path.
    async fn run_alone(&self, job: &Job) -> Result<Applied> {
        match job {
            Job::Command(r) => {
                self.case_command(
                    &r.actor,
                    r.case_id,
                    r.expected_version,
                    &r.cmd,
                    &r.calendar,
                    r.today,
                )
                .await
            }
            Job::Submit {
                prepared,
                calendar,
                today,
            } => self.submit_prepared(prepared, calendar, *today).await,
        }
    }

    async fn try_batch(&self, jobs: &[Job]) -> Result<Vec<Result<Applied>>> {
        let b = self.backend();
        let txn = self.begin().await?;
        let mut ids: Vec<i64> = jobs.iter().map(Job::case_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let list = placeholders_from(ids.len(), 0);
        let list = list.as_str();
        let rows = query(
            &txn,
            &format!("SELECT {CASE_COLS} WHERE k.id IN ({list})"),
            ids.iter().map(|i| (*i).into()).collect(),
        )
        .await?;
        let mut work: HashMap<i64, Working> = HashMap::new();
        for r in &rows {
            let c = row_case(r)?;
            if c.bundle_case_id.is_some() {
                // Sub-cases of a bundle also update their bundle: one at a time.
                return Err(StoreError::conflict("一件事子件", "bundle sub-case"));
            }
            work.insert(
                c.id,
                Working {
                    original_version: c.version,
                    case: c,
                    uploads: Vec::new(),
                    tasks_changed: false,
                    waived_changed: false,
                    touched: false,
                },
            );
        }
        let counts = query(
            &txn,
            &format!(
                "SELECT case_id, material_index, COUNT(*) AS n FROM case_files WHERE case_id IN ({list}) GROUP BY case_id, material_index"
            ),
            ids.iter().map(|i| (*i).into()).collect(),
        )
        .await?;
        for r in counts {
            let cid: i64 = get(&r, "case_id")?;
            let idx: i64 = get(&r, "material_index")?;
            let n: i64 = get(&r, "n")?;
            if let Some(w) = work.get_mut(&cid) {
                let idx = idx as usize;
                if w.uploads.len() <= idx {
                    w.uploads.resize(idx + 1, 0);
                }
                w.uploads[idx] = n as usize;
            }
        }

        let mut results: Vec<Result<Applied>> = Vec::with_capacity(jobs.len());
        let mut signers: HashMap<i64, Signer> = HashMap::new();
        let mut planned: Vec<Planned> = Vec::new();
        // Each job's last planned step: its result and document.
        let mut last_of: Vec<Option<usize>> = vec![None; jobs.len()];
        let mut certs: Vec<NewCert> = Vec::new();
        let mut trails: Vec<TrailEntry> = Vec::new();
        let mut records: Vec<(i64, &Gathered, bool)> = Vec::new();
        let mut completed: Vec<i64> = Vec::new();
        let mut keep = |i: usize, step: Step, results: &mut Vec<Result<Applied>>| {
            if let Some(x) = step.cert {
                let (action, object, details) =
                    crate::certs::issue_trail(&x, &step.planned.case_no);
                trails.push(TrailEntry {
                    actor: None,
                    action,
                    object,
                    details,
                });
                certs.push(x);
            }
            let p = &step.planned;
            trails.push(TrailEntry {
                actor: p.actor,
                action: format!("case.{}", p.action),
                object: p.trail_object.clone(),
                details: p.trail_details.clone(),
            });
            if p.completed_approved {
                completed.push(p.case_id);
            }
            last_of[i] = Some(planned.len());
            planned.push(step.planned);
            if i < results.len() {
                results[i] = Ok(step.applied);
            } else {
                results.push(Ok(step.applied));
            }
        };
        for (i, job) in jobs.iter().enumerate() {
            let Some(w) = work.get_mut(&job.case_id()) else {
                results.push(Err(StoreError::NotFound(format!("case {}", job.case_id()))));
                continue;
            };
            match job {
                Job::Command(r) => {
                    match self
                        .plan_one(
                            &txn,
                            &mut signers,
                            &mut None,
                            w,
                            Who::Person(&r.actor),
                            &r.cmd,
                            r.expected_version,
                            &r.calendar,
                            r.today,
                        )
                        .await
                    {
                        Ok(step) => keep(i, step, &mut results),
                        Err(e) => results.push(Err(e)),
                    }
                }
                Job::Submit {
                    prepared: p,
                    calendar,
                    today,
                } => {
                    let g = &p.gathered;
                    let before = w.clone();
                    // Materials the lookups and certificates stand for.
                    let mut waived: BTreeSet<usize> = w.case.waived.iter().copied().collect();
                    waived.extend(g.waived.iter().copied());
                    let waived: Vec<usize> = waived.into_iter().collect();
                    if waived != w.case.waived {
                        w.case.waived = waived;
                        w.waived_changed = true;
                    }
                    let step = self
                        .plan_one(
                            &txn,
                            &mut signers,
                            &mut None,
                            w,
                            Who::Person(&p.actor),
                            &Command::Submit,
                            Some(p.expected_version),
                            calendar,
                            *today,
                        )
                        .await;
                    match step {
                        Ok(step) => keep(i, step, &mut results),
                        Err(e) => {
                            *w = before;
                            results.push(Err(e));
                            continue;
                        }
                    }
                    let mut automatic = false;
                    if g.approve() {
                        let before = w.clone();
                        match self
                            .plan_instant(
                                &txn,
                                &mut signers,
                                p.cert.clone(),
                                w,
                                g,
                                calendar,
                                *today,
                            )
                            .await
                        {
                            Ok(steps) => {
                                for step in steps {
                                    keep(i, step, &mut results);
                                }
                                automatic = true;
                            }
                            Err(e) => {
                                // Submitted all the same, for a person.
                                *w = before;
                                tracing::warn!(
                                    case = p.case_id,
                                    "instant approval not completed: {e}"
                                );
                            }
                        }
                    }
                    records.push((p.case_id, g, automatic));
                }
            }
        }
        if planned.is_empty() {
            return Ok(results);
        }
        let now = now_ms();

        // Cases: final state of each, under the version it had before the batch.
        let touched: Vec<&Working> = work.values().filter(|w| w.touched).collect();
        let mut v: Vec<sea_orm::Value> = Vec::new();
        for w in &touched {
            let c = &w.case;
            v.extend([
                c.id.into(),
                w.original_version.into(),
                c.state.as_str().into(),
                c.version.into(),
                c.approved.into(),
                to_json(&c.clock).into(),
                to_json(&c.tasks).into(),
                ds(c.received_on),
                ds(c.accepted_on),
                ds(c.legal_due),
                ds(c.promised_due),
                ds(c.decided_on),
                ds(c.certificate_due),
                now.into(),
                // Only what a submission changed: the retry sweep may add
                // waived materials without moving the version.
                w.waived_changed.then(|| to_json(&c.waived)).into(),
            ]);
        }
        let n = exec(
            &txn,
            &format!(
                "UPDATE cases SET state = v.column3, version = v.column4, approved = v.column5, clock = v.column6, \
                 tasks = v.column7, received_on = v.column8, accepted_on = v.column9, legal_due = v.column10, \
                 promised_due = v.column11, decided_on = v.column12, certificate_due = v.column13, updated_at = v.column14, \
                 waived = COALESCE(v.column15, cases.waived) \
                 FROM (VALUES {}) AS v WHERE cases.id = CAST(v.column1 AS BIGINT) AND cases.version = CAST(v.column2 AS BIGINT)",
                placeholders(b, touched.len(), 15)
            ),
            v,
        )
        .await?;
        if n as usize != touched.len() {
            return Err(stale());
        }
        // Review tasks of the cases whose plan moved.
        let changed: Vec<&Working> = touched
            .iter()
            .copied()
            .filter(|w| w.tasks_changed)
            .collect();
        if !changed.is_empty() {
            let l = placeholders_from(changed.len(), 0);
            exec(
                &txn,
                &format!("DELETE FROM case_tasks WHERE case_id IN ({l})"),
                changed.iter().map(|w| w.case.id.into()).collect(),
            )
            .await?;
            let mut v: Vec<sea_orm::Value> = Vec::new();
            let mut rows = 0;
            for w in &changed {
                for (seq, t) in w.case.tasks.iter().enumerate() {
                    v.extend([
                        w.case.id.into(),
                        t.department_id.into(),
                        (seq as i64).into(),
                        t.status.as_str().into(),
                    ]);
                    rows += 1;
                }
            }
            if rows > 0 {
                exec(
                    &txn,
                    &format!(
                        "INSERT INTO case_tasks (case_id, department_id, seq, status) VALUES {}",
                        placeholders(b, rows, 4)
                    ),
                    v,
                )
                .await?;
            }
        }
        // Documents (their ids go into the events): one statement, matched
        // back by case and number, unless a case has two of one number.
        let mut doc_ids: HashMap<usize, i64> = HashMap::new();
        let docs: Vec<(usize, &Planned)> = planned
            .iter()
            .enumerate()
            .filter(|(_, p)| p.document.is_some())
            .collect();
        let mut keys: Vec<(i64, &str)> = docs
            .iter()
            .filter_map(|(_, p)| p.document.as_ref().map(|d| (p.case_id, d.1.as_str())))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let values = |p: &Planned| -> Vec<sea_orm::Value> {
            let (kind, number, body) = p.document.clone().unwrap_or_default();
            vec![
                p.case_id.into(),
                kind.into(),
                number.into(),
                body.into(),
                now.into(),
                p.actor.into(),
            ]
        };
        if keys.len() == docs.len() && !docs.is_empty() {
            let rows = query(
                &txn,
                &format!(
                    "INSERT INTO case_documents (case_id, kind, number, body, created_at, created_by) VALUES {} RETURNING id, case_id, number",
                    placeholders(b, docs.len(), 6)
                ),
                docs.iter().flat_map(|(_, p)| values(p)).collect(),
            )
            .await?;
            let mut by_key: HashMap<(i64, String), i64> = HashMap::new();
            for r in rows {
                by_key.insert((get(&r, "case_id")?, get(&r, "number")?), get(&r, "id")?);
            }
            for (pi, p) in &docs {
                let number = p.document.as_ref().map(|d| d.1.clone()).unwrap_or_default();
                let id = by_key
                    .get(&(p.case_id, number))
                    .ok_or_else(|| StoreError::Corrupt("document id not returned".into()))?;
                doc_ids.insert(*pi, *id);
            }
        } else {
            for (pi, p) in &docs {
                let id = insert_id(
                    &txn,
                    "INSERT INTO case_documents (case_id, kind, number, body, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)",
                    values(p),
                )
                .await?;
                doc_ids.insert(*pi, id);
            }
        }
        for (i, last) in last_of.iter().enumerate() {
            if let (Some(pi), Some(Ok(a))) = (last, results.get_mut(i))
                && let Some(id) = doc_ids.get(pi)
            {
                a.document_id = Some(*id);
            }
        }
        // Events.
        let mut v: Vec<sea_orm::Value> = Vec::new();
        for (i, p) in planned.iter().enumerate() {
            v.extend([
                p.case_id.into(),
                now.into(),
                p.actor.into(),
                p.actor_name.clone().into(),
                p.action.clone().into(),
                p.from.clone().into(),
                p.to.clone().into(),
                p.details.to_string().into(),
                doc_ids.get(&i).copied().into(),
            ]);
        }
        exec(
            &txn,
            &format!(
                "INSERT INTO case_events (case_id, at, actor_id, actor_name, action, from_state, to_state, details, document_id) VALUES {}",
                placeholders(b, planned.len(), 9)
            ),
            v,
        )
        .await?;
        // Notices: applicants directly, staff groups through the users table.
        let mut direct: Vec<sea_orm::Value> = Vec::new();
        let mut direct_rows = 0;
        let mut mail: Vec<sea_orm::Value> = Vec::new();
        let mut mail_rows = 0;
        let mut groups: Vec<sea_orm::Value> = Vec::new();
        let mut group_rows = 0;
        for p in &planned {
            let c = &work[&p.case_id].case;
            for (who, tasks) in &p.notes {
                match who {
                    Notify::Applicant => {
                        if let Some(uid) = c.applicant_user_id {
                            direct.extend([
                                uid.into(),
                                c.id.into(),
                                p.subject.clone().into(),
                                p.body.clone().into(),
                                now.into(),
                            ]);
                            direct_rows += 1;
                        }
                        if !c.applicant_email.is_empty() {
                            mail.extend([
                                c.applicant_email.clone().into(),
                                p.subject.clone().into(),
                                p.body.clone().into(),
                                now.into(),
                                0i64.into(),
                                now.into(),
                                String::new().into(),
                            ]);
                            mail_rows += 1;
                        }
                    }
                    Notify::Reviewers => {
                        for t in tasks.iter().filter(|t| t.status == TaskStatus::Active) {
                            groups.extend(group_row(c, p, "reviewer", Some(t.department_id), now));
                            group_rows += 1;
                        }
                    }
                    Notify::LeadHead => {
                        groups.extend(group_row(c, p, "head", Some(c.lead_department_id), now));
                        group_rows += 1;
                    }
                    Notify::Clerks => {
                        groups.extend(group_row(c, p, "clerk", None, now));
                        group_rows += 1;
                    }
                }
            }
        }
        if direct_rows > 0 {
            exec(
                &txn,
                &format!(
                    "INSERT INTO notifications (user_id, case_id, subject, body, created_at) VALUES {}",
                    placeholders(b, direct_rows, 5)
                ),
                direct,
            )
            .await?;
        }
        if mail_rows > 0 {
            exec(
                &txn,
                &format!(
                    "INSERT INTO outbox (to_addr, subject, body, created_at, attempts, next_attempt_at, last_error) VALUES {}",
                    placeholders(b, mail_rows, 7)
                ),
                mail,
            )
            .await?;
        }
        if group_rows > 0 {
            let join = "JOIN users u ON u.active AND u.role = v.column5 AND \
                 ((v.column5 = 'clerk' AND u.centre_id = v.column7) OR (v.column5 <> 'clerk' AND u.department_id = v.column6))";
            let vals = placeholders(b, group_rows, 7);
            exec(
                &txn,
                &format!(
                    "INSERT INTO notifications (user_id, case_id, subject, body, created_at) \
                     SELECT u.id, v.column1, v.column2, v.column3, v.column4 FROM (VALUES {vals}) AS v {join}"
                ),
                groups.clone(),
            )
            .await?;
            exec(
                &txn,
                &format!(
                    "INSERT INTO outbox (to_addr, subject, body, created_at, attempts, next_attempt_at, last_error) \
                     SELECT u.email, v.column2, v.column3, v.column4, 0, v.column4, '' FROM (VALUES {vals}) AS v {join} WHERE u.email <> ''"
                ),
                groups,
            )
            .await?;
        }
        // Certificates, the lookup and rule records, and 免申即享.
        crate::certs::insert_certificates(&txn, &certs).await?;
        crate::shared::record_many(&txn, &records, 1).await?;
        completed.dedup();
        let mut policies: HashMap<&str, Vec<crate::policies::EventPolicy>> = HashMap::new();
        for id in &completed {
            let case = &work[id].case;
            if !policies.contains_key(case.impl_code.as_str()) {
                let found = crate::policies::policies_for(&txn, &case.impl_code).await?;
                policies.insert(case.impl_code.as_str(), found);
            }
            if let Some(found) = policies.get(case.impl_code.as_str())
                && !found.is_empty()
            {
                crate::policies::run_policies(&txn, case, found).await?;
            }
        }
        // The audit trail: one chain, extended in order.
        exec(
            &txn,
            "UPDATE audit_trail_head SET last_hash = last_hash WHERE id = 1",
            vec![],
        )
        .await?;
        let head = query_one(
            &txn,
            "SELECT last_hash FROM audit_trail_head WHERE id = 1",
            vec![],
        )
        .await?
        .ok_or_else(|| StoreError::Corrupt("audit trail head missing".into()))?;
        let mut prev: String = get(&head, "last_hash")?;
        let mut v: Vec<sea_orm::Value> = Vec::new();
        for t in &trails {
            let details = t.details.to_string();
            let hash = trail::entry_hash(&prev, now, t.actor, &t.action, &t.object, &details);
            v.extend([
                now.into(),
                t.actor.into(),
                t.action.clone().into(),
                t.object.clone().into(),
                details.into(),
                prev.clone().into(),
                hash.clone().into(),
            ]);
            prev = hash;
        }
        exec(
            &txn,
            &format!(
                "INSERT INTO audit_trail (at, actor_id, action, object, details, prev_hash, hash) VALUES {}",
                placeholders(b, trails.len(), 7)
            ),
            v,
        )
        .await?;
        exec(
            &txn,
            "UPDATE audit_trail_head SET last_hash = $1 WHERE id = 1",
            vec![prev.into()],
        )
        .await?;
        txn.commit().await?;
        Ok(results)
    }

    /// 秒批 in the working copy: acceptance, each review, decision, 制证
    /// (signed) and electronic delivery, by the system; all or nothing.
    #[allow(clippy::too_many_arguments)]
    async fn plan_instant(
        &self,
        txn: &WriteTxn,
        signers: &mut HashMap<i64, Signer>,
        mut presigned: Option<NewCert>,
        w: &mut Working,
        g: &Gathered,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<Vec<Step>> {
        let (reasons, why) = g.instant_details();
        let system = |department| Who::System {
            department,
            why: &why,
        };
        let mut steps = vec![
            self.plan_one(
                txn,
                signers,
                &mut presigned,
                w,
                system(None),
                &Command::Accept,
                None,
                cal,
                today,
            )
            .await?,
        ];
        // Each review task, in turn.
        for _ in 0..8 {
            if w.case.state != CaseState::Review {
                break;
            }
            let Some(dept) = w
                .case
                .tasks
                .iter()
                .find(|t| t.status == TaskStatus::Active)
                .map(|t| t.department_id)
            else {
                break;
            };
            let cmd = crate::shared::instant_review(&reasons);
            steps.push(
                self.plan_one(
                    txn,
                    signers,
                    &mut presigned,
                    w,
                    system(Some(dept)),
                    &cmd,
                    None,
                    cal,
                    today,
                )
                .await?,
            );
        }
        let lead = Some(w.case.lead_department_id);
        for cmd in crate::shared::instant_closing(&reasons) {
            steps.push(
                self.plan_one(
                    txn,
                    signers,
                    &mut presigned,
                    w,
                    system(lead),
                    &cmd,
                    None,
                    cal,
                    today,
                )
                .await?,
            );
        }
        Ok(steps)
    }

    /// Decides one step against the working copy and updates it.
    #[allow(clippy::too_many_arguments)]
    async fn plan_one(
        &self,
        txn: &WriteTxn,
        signers: &mut HashMap<i64, Signer>,
        presigned: &mut Option<NewCert>,
        w: &mut Working,
        who: Who<'_>,
        cmd: &Command,
        expected_version: Option<i64>,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<Step> {
        let c = &w.case;
        let (actor, department) = match who {
            Who::Person(a) => {
                if !c.visible_to(a)
                    && (a.role == Role::Applicant || !c.centre_path.starts_with(&a.centre_path))
                {
                    return Err(StoreError::NotFound(format!("case {}", c.id)));
                }
                (Some(a), a.department_id)
            }
            Who::System { department, .. } => (None, department),
        };
        if let Some(v) = expected_version
            && v != c.version
        {
            return Err(stale());
        }
        let doc = self.item_doc(c.item_version_id).await?;
        let noticed = match cmd {
            Command::RequestCorrection { .. } => {
                crate::cases::noticed_of(self.conn(), c.id).await?
            }
            _ => None,
        };
        let facts = crate::cases::build_facts(c, &doc, &w.uploads, cal, today, noticed);
        if let Some(a) = actor {
            case::authorize(a, &facts, cmd)?;
        }
        let t = case::transition(&facts, cmd, &limits_of(&doc), today, department)?;
        // 制证 of an approved licence: signed now, stored with the batch.
        let cert = if matches!(cmd, Command::Issue)
            && c.approved == Some(true)
            && doc.result.result_type == tongban_domain::catalog::ResultType::Licence
        {
            let signer = match signers.entry(c.lead_department_id) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => e.insert(
                    crate::certs::signer_for(
                        self,
                        txn,
                        c.lead_department_id,
                        &c.lead_department_name,
                    )
                    .await?,
                ),
            };
            // Signed in advance, if still with the department's current key
            // (a key generated meanwhile retires the old one).
            match presigned.take() {
                Some(x) if x.key_id == signer.key_id() => Some(x),
                _ => Some(crate::certs::prepare_certificate(signer, c, &doc, today)?),
            }
        } else {
            None
        };
        let mut clock_events = c.clock.clone();
        if let Some(e) = &t.clock {
            clock_events.push(e.clone());
        }
        let deadlines = crate::cases::dates_after(c.id, &clock_events, cal, today)?;
        let mut details = serde_json::to_value(cmd).unwrap_or_default();
        if let (Who::System { why, .. }, serde_json::Value::Object(m)) = (who, &mut details)
            && let serde_json::Value::Object(extra) = why
        {
            m.extend(extra.clone());
        }
        let document = t.document.map(|kind| {
            let body = document_body(kind, c, &doc, &facts, cmd, deadlines.as_ref(), today);
            (
                kind.as_str().to_string(),
                doc_number(kind, &c.case_no, today),
                to_json(&body),
            )
        });
        let action = cmd.name().to_string();
        let (subject, body) = crate::cases::notice_text(c, &action, t.to, deadlines.as_ref());
        let tasks = t.tasks.clone().unwrap_or_else(|| c.tasks.clone());
        let approved = t.approved.or(c.approved);
        let planned = Planned {
            case_id: c.id,
            case_no: c.case_no.clone(),
            actor: actor.map(|a| a.user_id),
            actor_name: actor
                .map(|a| a.display_name.clone())
                .unwrap_or_else(|| "系统".into()),
            completed_approved: t.to == CaseState::Completed && approved == Some(true),
            action: action.clone(),
            from: c.state.as_str().into(),
            to: t.to.as_str().into(),
            details: details.clone(),
            document,
            notes: t.notify.iter().map(|n| (*n, tasks.clone())).collect(),
            subject,
            body,
            trail_object: format!("case:{}", c.case_no),
            trail_details: serde_json::json!({"from": c.state.as_str(), "to": t.to.as_str(), "details": details}),
        };
        // The working copy moves on.
        let c = &mut w.case;
        c.state = t.to;
        c.version += 1;
        c.approved = t.approved.or(c.approved);
        if let Some(ClockEvent::Decided { on, .. }) = &t.clock
            && t.approved.is_some()
        {
            c.decided_on = Some(*on);
        }
        c.clock = clock_events;
        if t.tasks.is_some() {
            w.tasks_changed = true;
        }
        c.tasks = tasks;
        c.received_on = t.received_on.or(c.received_on);
        c.accepted_on = match c.clock.first() {
            Some(ClockEvent::Accepted { on, .. }) => Some(*on),
            _ => None,
        };
        c.legal_due = deadlines.as_ref().map(|d| d.legal_due);
        c.promised_due = deadlines.as_ref().map(|d| d.promised_due);
        c.certificate_due = deadlines.as_ref().and_then(|d| d.certificate_due);
        w.touched = true;
        Ok(Step {
            applied: Applied {
                case_id: c.id,
                state: c.state,
                version: c.version,
                document_id: None,
            },
            planned,
            cert,
        })
    }
}

fn group_row(
    c: &Case,
    p: &Planned,
    role: &str,
    dept: Option<i64>,
    now: i64,
) -> [sea_orm::Value; 7] {
    [
        c.id.into(),
        p.subject.clone().into(),
        p.body.clone().into(),
        now.into(),
        role.to_string().into(),
        dept.into(),
        c.centre_id.into(),
    ]
}
