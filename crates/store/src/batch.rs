//! Group commit of case commands. Commands queued at the same moment are
//! decided one after another in memory (each sees the effect of the ones
//! before it, exactly as if run alone) and their effects written together in
//! one transaction with multi-row statements: the cases (each under its
//! version check), review tasks, documents, events, notices, mail and the
//! audit-trail entries. Durability is unchanged (one commit per batch); a
//! batch whose writes do not go through as planned — another instance moved
//! one of its cases meanwhile, or any database error — is rolled back whole
//! and its commands are run one by one instead.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use tokio::sync::{mpsc, oneshot};
use tongban_domain::auth::{Actor, Role};
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::{self, Command, Notify, ReviewTask, TaskStatus};
use tongban_domain::clock::ClockEvent;

use crate::cases::{
    Applied, CASE_COLS, Case, doc_number, document_body, ds, limits_of, row_case, stale, to_json,
};
use crate::{Result, Store, StoreError, exec, get, insert_id, now_ms, query, query_one, trail};

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

/// The queue in front of the group-commit writer.
#[derive(Clone)]
pub struct CaseWriter {
    tx: mpsc::Sender<(CaseRequest, oneshot::Sender<Result<Applied>>)>,
}

impl CaseWriter {
    /// Starts the writer task for `store`.
    pub fn start(store: Store) -> Self {
        type Item = (CaseRequest, oneshot::Sender<Result<Applied>>);
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
                    let results = store.case_commands(&reqs).await;
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
        let (tx, rx) = oneshot::channel();
        self.tx
            .send((req, tx))
            .await
            .map_err(|_| StoreError::Corrupt("case writer stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Corrupt("case writer dropped a command".into()))?
    }
}

/// Everything one successful command writes.
struct Planned {
    case_id: i64,
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
struct Working {
    case: Case,
    original_version: i64,
    uploads: Vec<usize>,
    tasks_changed: bool,
    touched: bool,
}

fn placeholders(rows: usize, cols: usize, start: usize) -> String {
    let mut s = String::new();
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            s.push_str(&format!("${}", start + r * cols + c + 1));
        }
        s.push(')');
    }
    s
}

impl Store {
    /// Applies commands in one transaction; one result per command, in order.
    pub async fn case_commands(&self, reqs: &[CaseRequest]) -> Vec<Result<Applied>> {
        if reqs.len() == 1 {
            let r = &reqs[0];
            return vec![
                self.case_command(
                    &r.actor,
                    r.case_id,
                    r.expected_version,
                    &r.cmd,
                    &r.calendar,
                    r.today,
                )
                .await,
            ];
        }
        match self.try_batch(reqs).await {
            Ok(results) => results,
            Err(e) => {
                tracing::debug!("group commit fell back to single commands: {e}");
                let mut out = Vec::with_capacity(reqs.len());
                for r in reqs {
                    out.push(
                        self.case_command(
                            &r.actor,
                            r.case_id,
                            r.expected_version,
                            &r.cmd,
                            &r.calendar,
                            r.today,
                        )
                        .await,
                    );
                }
                out
            }
        }
    }

    async fn try_batch(&self, reqs: &[CaseRequest]) -> Result<Vec<Result<Applied>>> {
        if reqs.iter().any(|r| matches!(r.cmd, Command::Issue)) {
            // 制证 signs a certificate: one at a time, through the single path.
            return Err(StoreError::conflict("制证", "certificate issue"));
        }
        let txn = self.begin().await?;
        let mut ids: Vec<i64> = reqs.iter().map(|r| r.case_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let list = placeholders(1, ids.len(), 0);
        let list = &list[1..list.len() - 1];
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

        let mut results: Vec<Result<Applied>> = Vec::with_capacity(reqs.len());
        let mut planned: Vec<(usize, Planned)> = Vec::new();
        for (i, r) in reqs.iter().enumerate() {
            let Some(w) = work.get_mut(&r.case_id) else {
                results.push(Err(StoreError::NotFound(format!("case {}", r.case_id))));
                continue;
            };
            match self.plan_one(w, r).await {
                Ok((applied, p)) => {
                    results.push(Ok(applied));
                    planned.push((i, p));
                }
                Err(e) => results.push(Err(e)),
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
            ]);
        }
        let n = exec(
            &txn,
            &format!(
                "UPDATE cases SET state = v.column3, version = v.column4, approved = v.column5, clock = v.column6, \
                 tasks = v.column7, received_on = v.column8, accepted_on = v.column9, legal_due = v.column10, \
                 promised_due = v.column11, decided_on = v.column12, certificate_due = v.column13, updated_at = v.column14 \
                 FROM (VALUES {}) AS v WHERE cases.id = CAST(v.column1 AS BIGINT) AND cases.version = CAST(v.column2 AS BIGINT)",
                placeholders(touched.len(), 14, 0)
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
            let l = placeholders(1, changed.len(), 0);
            exec(
                &txn,
                &format!(
                    "DELETE FROM case_tasks WHERE case_id IN ({})",
                    &l[1..l.len() - 1]
                ),
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
                        placeholders(rows, 4, 0)
                    ),
                    v,
                )
                .await?;
            }
        }
        // Documents (their ids go into the events).
        let mut doc_ids: HashMap<usize, i64> = HashMap::new();
        for (i, p) in &planned {
            if let Some((kind, number, body)) = &p.document {
                let id = insert_id(
                    &txn,
                    "INSERT INTO case_documents (case_id, kind, number, body, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)",
                    vec![
                        p.case_id.into(),
                        kind.clone().into(),
                        number.clone().into(),
                        body.clone().into(),
                        now.into(),
                        p.actor.into(),
                    ],
                )
                .await?;
                doc_ids.insert(*i, id);
            }
        }
        for (i, _) in &planned {
            if let (Some(id), Ok(a)) = (doc_ids.get(i), results[*i].as_mut()) {
                a.document_id = Some(*id);
            }
        }
        // Events.
        let mut v: Vec<sea_orm::Value> = Vec::new();
        for (i, p) in &planned {
            v.extend([
                p.case_id.into(),
                now.into(),
                p.actor.into(),
                p.actor_name.clone().into(),
                p.action.clone().into(),
                p.from.clone().into(),
                p.to.clone().into(),
                p.details.to_string().into(),
                doc_ids.get(i).copied().into(),
            ]);
        }
        exec(
            &txn,
            &format!(
                "INSERT INTO case_events (case_id, at, actor_id, actor_name, action, from_state, to_state, details, document_id) VALUES {}",
                placeholders(planned.len(), 9, 0)
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
        for (_, p) in &planned {
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
                    placeholders(direct_rows, 5, 0)
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
                    placeholders(mail_rows, 7, 0)
                ),
                mail,
            )
            .await?;
        }
        if group_rows > 0 {
            let join = "JOIN users u ON u.active AND u.role = v.column5 AND \
                 ((v.column5 = 'clerk' AND u.centre_id = v.column7) OR (v.column5 <> 'clerk' AND u.department_id = v.column6))";
            let vals = placeholders(group_rows, 7, 0);
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
        for (_, p) in &planned {
            let action = format!("case.{}", p.action);
            let details = p.trail_details.to_string();
            let hash = trail::entry_hash(&prev, now, p.actor, &action, &p.trail_object, &details);
            v.extend([
                now.into(),
                p.actor.into(),
                action.into(),
                p.trail_object.clone().into(),
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
                placeholders(planned.len(), 7, 0)
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

    /// Decides one command against the working copy and updates it.
    async fn plan_one(&self, w: &mut Working, r: &CaseRequest) -> Result<(Applied, Planned)> {
        let a = &r.actor;
        let c = &w.case;
        if !c.visible_to(a)
            && (a.role == Role::Applicant || !c.centre_path.starts_with(&a.centre_path))
        {
            return Err(StoreError::NotFound(format!("case {}", c.id)));
        }
        if let Some(v) = r.expected_version
            && v != c.version
        {
            return Err(stale());
        }
        let doc = self.item_doc(c.item_version_id).await?;
        let noticed = match r.cmd {
            Command::RequestCorrection { .. } => {
                crate::cases::noticed_of(self.conn(), c.id).await?
            }
            _ => None,
        };
        let facts = crate::cases::build_facts(c, &doc, &w.uploads, &r.calendar, r.today, noticed);
        case::authorize(a, &facts, &r.cmd)?;
        let t = case::transition(&facts, &r.cmd, &limits_of(&doc), r.today, a.department_id)?;
        let mut clock_events = c.clock.clone();
        if let Some(e) = &t.clock {
            clock_events.push(e.clone());
        }
        let deadlines = crate::cases::dates_after(c.id, &clock_events, &r.calendar, r.today)?;
        let details = serde_json::to_value(&r.cmd).unwrap_or_default();
        let document = t.document.map(|kind| {
            let body = document_body(kind, c, &doc, &facts, &r.cmd, deadlines.as_ref(), r.today);
            (
                kind.as_str().to_string(),
                doc_number(kind, &c.case_no, r.today),
                to_json(&body),
            )
        });
        let action = r.cmd.name().to_string();
        let (subject, body) = crate::cases::notice_text(c, &action, t.to, deadlines.as_ref());
        let tasks = t.tasks.clone().unwrap_or_else(|| c.tasks.clone());
        let planned = Planned {
            case_id: c.id,
            actor: Some(a.user_id),
            actor_name: a.display_name.clone(),
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
        Ok((
            Applied {
                case_id: c.id,
                state: c.state,
                version: c.version,
                document_id: None,
            },
            planned,
        ))
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
