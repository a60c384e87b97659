//! Guide audit runs and the tracking of each finding to rectification:
//! open → fixed → verified. A re-run closes findings whose cause is gone and
//! reopens those that came back.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{QueryResult, Value};
use serde::Serialize;
use tongban_domain::audit::{AuditContext, Finding, Severity, VersionFacts, audit_item};
use tongban_domain::calendar::WorkCalendar;

use crate::catalog::ItemVersion;
use crate::{Result, Store, StoreError, exec, get, insert_id, now_ms, query, query_one};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingStatus {
    Open,
    Fixed,
    Verified,
}

impl FindingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingStatus::Open => "open",
            FindingStatus::Fixed => "fixed",
            FindingStatus::Verified => "verified",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            FindingStatus::Open => "待整改",
            FindingStatus::Fixed => "已整改待核验",
            FindingStatus::Verified => "已核验",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(Self::Open),
            "fixed" => Some(Self::Fixed),
            "verified" => Some(Self::Verified),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StoredFinding {
    pub id: i64,
    pub impl_code: String,
    pub item_name: String,
    pub item_version: i64,
    pub department_id: i64,
    pub centre_path: String,
    pub rule_id: String,
    pub severity: Severity,
    pub element: String,
    pub message_zh: String,
    pub message_en: String,
    pub status: FindingStatus,
    pub first_seen_at: i64,
    pub last_seen_at: i64,
    pub fixed_at: Option<i64>,
    /// `None` with `fixed_at` set: closed by a re-run of the audit.
    pub fixed_by: Option<i64>,
    pub fix_note: String,
    pub verified_at: Option<i64>,
    pub verified_by: Option<i64>,
    pub reopened: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditRun {
    pub id: i64,
    pub trigger: String,
    pub period: String,
    pub started_at: i64,
    pub finished_at: i64,
    pub items: i64,
    pub findings: i64,
    pub opened: i64,
    pub closed: i64,
}

#[derive(Debug, Clone, Default)]
pub struct FindingFilter {
    pub status: Option<FindingStatus>,
    pub impl_code: Option<String>,
    pub department_id: Option<i64>,
    pub centre_path: Option<String>,
    pub rule_id: Option<String>,
}

const FINDING_COLS: &str = "f.id, f.impl_code, f.item_name, f.item_version, f.department_id, c.path AS centre_path, \
    f.rule_id, f.severity, f.element, f.message_zh, f.message_en, f.status, f.first_seen_at, f.last_seen_at, \
    f.fixed_at, f.fixed_by, f.fix_note, f.verified_at, f.verified_by, f.reopened \
    FROM audit_findings f JOIN centres c ON c.id = f.centre_id";

fn row_finding(r: &QueryResult) -> Result<StoredFinding> {
    let sev: String = get(r, "severity")?;
    let status: String = get(r, "status")?;
    Ok(StoredFinding {
        id: get(r, "id")?,
        impl_code: get(r, "impl_code")?,
        item_name: get(r, "item_name")?,
        item_version: get(r, "item_version")?,
        department_id: get(r, "department_id")?,
        centre_path: get(r, "centre_path")?,
        rule_id: get(r, "rule_id")?,
        severity: Severity::parse(&sev)
            .ok_or_else(|| StoreError::Corrupt(format!("severity {sev}")))?,
        element: get(r, "element")?,
        message_zh: get(r, "message_zh")?,
        message_en: get(r, "message_en")?,
        status: FindingStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("finding status {status}")))?,
        first_seen_at: get(r, "first_seen_at")?,
        last_seen_at: get(r, "last_seen_at")?,
        fixed_at: get(r, "fixed_at")?,
        fixed_by: get(r, "fixed_by")?,
        fix_note: get(r, "fix_note")?,
        verified_at: get(r, "verified_at")?,
        verified_by: get(r, "verified_by")?,
        reopened: get(r, "reopened")?,
    })
}

/// The audit's facts about pending drafts: a draft whose document differs from
/// the published one counts as a change since the draft was created.
pub fn version_facts(
    published: &[ItemVersion],
    drafts: &[ItemVersion],
) -> HashMap<String, VersionFacts> {
    let live: HashMap<&str, &ItemVersion> = published
        .iter()
        .map(|p| (p.impl_code.as_str(), p))
        .collect();
    let mut out = HashMap::new();
    for d in drafts {
        if let Some(p) = live.get(d.impl_code.as_str())
            && p.doc != d.doc
        {
            let since = chrono::DateTime::from_timestamp_millis(d.created_at)
                .map(|t| t.with_timezone(&chrono_tz::Asia::Shanghai).date_naive());
            out.insert(
                d.impl_code.clone(),
                VersionFacts {
                    pending_draft_since: since,
                },
            );
        }
    }
    out
}

/// Runs the audit over published items: pure and fast, no I/O.
pub fn audit_all(
    published: &[ItemVersion],
    facts: &HashMap<String, VersionFacts>,
    ctx: &AuditContext<'_>,
) -> Vec<(usize, Finding)> {
    let none = VersionFacts::default();
    let mut out = Vec::new();
    for (i, item) in published.iter().enumerate() {
        let f = facts.get(&item.impl_code).unwrap_or(&none);
        for finding in audit_item(&item.doc, f, ctx) {
            out.push((i, finding));
        }
    }
    out
}

const INSERT_CHUNK: usize = 200;

impl Store {
    /// Audits every published guide and reconciles stored findings, in one transaction.
    pub async fn run_audit(
        &self,
        trigger: &str,
        actor: Option<i64>,
        today: NaiveDate,
        calendar: &WorkCalendar,
    ) -> Result<AuditRun> {
        let started = now_ms();
        let published = self.published_items().await?;
        let drafts = self.draft_items().await?;
        let facts = version_facts(&published, &drafts);
        let issued = tongban_domain::audit::issued_types(published.iter().map(|v| &v.doc));
        let ctx = AuditContext {
            today,
            calendar,
            issued: &issued,
        };
        let found = audit_all(&published, &facts, &ctx);

        let txn = self.begin().await?;
        let rows = query(
            &txn,
            "SELECT id, impl_code, rule_id, element, status, message_zh, item_version FROM audit_findings",
            vec![],
        )
        .await?;
        struct Existing {
            id: i64,
            status: String,
            message_zh: String,
            item_version: i64,
            seen: bool,
        }
        let mut existing: HashMap<(String, String, String), Existing> =
            HashMap::with_capacity(rows.len());
        for r in &rows {
            existing.insert(
                (get(r, "impl_code")?, get(r, "rule_id")?, get(r, "element")?),
                Existing {
                    id: get(r, "id")?,
                    status: get(r, "status")?,
                    message_zh: get(r, "message_zh")?,
                    item_version: get(r, "item_version")?,
                    seen: false,
                },
            );
        }
        let now = now_ms();
        let mut to_insert: Vec<(usize, &Finding)> = Vec::new();
        let mut touched: Vec<i64> = Vec::new();
        let mut reopened = 0i64;
        for (i, f) in &found {
            let item = &published[*i];
            let key = (item.impl_code.clone(), f.rule_id.clone(), f.element.clone());
            match existing.get_mut(&key) {
                None => to_insert.push((*i, f)),
                Some(e) => {
                    e.seen = true;
                    if e.status != "open" {
                        reopened += 1;
                        exec(
                            &txn,
                            "UPDATE audit_findings SET status = 'open', reopened = reopened + 1, fixed_at = NULL, fixed_by = NULL, \
                             fix_note = '', verified_at = NULL, verified_by = NULL, last_seen_at = $1, message_zh = $2, message_en = $3, \
                             item_version = $4, item_name = $5 WHERE id = $6",
                            vec![
                                now.into(),
                                f.message_zh.clone().into(),
                                f.message_en.clone().into(),
                                item.version.into(),
                                item.doc.name.clone().into(),
                                e.id.into(),
                            ],
                        )
                        .await?;
                    } else if e.message_zh != f.message_zh || e.item_version != item.version {
                        exec(
                            &txn,
                            "UPDATE audit_findings SET last_seen_at = $1, message_zh = $2, message_en = $3, item_version = $4, item_name = $5 WHERE id = $6",
                            vec![
                                now.into(),
                                f.message_zh.clone().into(),
                                f.message_en.clone().into(),
                                item.version.into(),
                                item.doc.name.clone().into(),
                                e.id.into(),
                            ],
                        )
                        .await?;
                    } else {
                        touched.push(e.id);
                    }
                }
            }
        }
        for chunk in touched.chunks(500) {
            let ids: Vec<String> = chunk.iter().map(|i| i.to_string()).collect();
            exec(
                &txn,
                &format!(
                    "UPDATE audit_findings SET last_seen_at = $1 WHERE id IN ({})",
                    ids.join(",")
                ),
                vec![now.into()],
            )
            .await?;
        }
        // Open findings not seen now: the cause is gone (fixed, or the item was retired).
        let closed_ids: Vec<i64> = existing
            .values()
            .filter(|e| !e.seen && e.status == "open")
            .map(|e| e.id)
            .collect();
        for chunk in closed_ids.chunks(500) {
            let ids: Vec<String> = chunk.iter().map(|i| i.to_string()).collect();
            exec(
                &txn,
                &format!(
                    "UPDATE audit_findings SET status = 'fixed', fixed_at = $1, fixed_by = NULL, fix_note = $2 WHERE id IN ({})",
                    ids.join(",")
                ),
                vec![now.into(), "复核时问题已消除 / cause gone on re-audit".into()],
            )
            .await?;
        }
        for chunk in to_insert.chunks(INSERT_CHUNK) {
            let mut sql = String::from(
                "INSERT INTO audit_findings (impl_code, rule_id, element, severity, message_zh, message_en, item_name, item_version, \
                 department_id, centre_id, status, first_seen_at, last_seen_at, fix_note, reopened) VALUES ",
            );
            let mut vals: Vec<Value> = Vec::with_capacity(chunk.len() * 12);
            for (n, (i, f)) in chunk.iter().enumerate() {
                let item = &published[*i];
                if n > 0 {
                    sql.push(',');
                }
                let b = vals.len();
                sql.push_str(&format!(
                    "(${},${},${},${},${},${},${},${},${},${},'open',${},${},'',0)",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7,
                    b + 8,
                    b + 9,
                    b + 10,
                    b + 11,
                    b + 11
                ));
                vals.extend([
                    item.impl_code.clone().into(),
                    f.rule_id.clone().into(),
                    f.element.clone().into(),
                    f.severity.as_str().into(),
                    f.message_zh.clone().into(),
                    f.message_en.clone().into(),
                    item.doc.name.clone().into(),
                    item.version.into(),
                    item.department_id.into(),
                    item.centre_id.into(),
                    now.into(),
                ]);
            }
            // A run racing on another instance may have inserted the same finding.
            sql.push_str(" ON CONFLICT (impl_code, rule_id, element) DO NOTHING");
            exec(&txn, &sql, vals).await?;
        }
        let finished = now_ms();
        let period = today.format("%Y-%m").to_string();
        let opened = to_insert.len() as i64 + reopened;
        let id = insert_id(
            &txn,
            "INSERT INTO audit_runs (trigger, actor_id, period, started_at, finished_at, items, findings, opened, closed) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            vec![
                trigger.into(),
                actor.into(),
                period.clone().into(),
                started.into(),
                finished.into(),
                (published.len() as i64).into(),
                (found.len() as i64).into(),
                opened.into(),
                (closed_ids.len() as i64).into(),
            ],
        )
        .await?;
        crate::trail::append(
            &txn,
            actor,
            "guide_audit.run",
            &format!("audit_run:{id}"),
            serde_json::json!({"trigger": trigger, "items": published.len(), "findings": found.len()}),
        )
        .await?;
        txn.commit().await?;
        Ok(AuditRun {
            id,
            trigger: trigger.to_string(),
            period,
            started_at: started,
            finished_at: finished,
            items: published.len() as i64,
            findings: found.len() as i64,
            opened,
            closed: closed_ids.len() as i64,
        })
    }

    pub async fn findings(&self, f: &FindingFilter) -> Result<Vec<StoredFinding>> {
        let mut sql = format!("SELECT {FINDING_COLS} WHERE 1 = 1");
        let mut vals: Vec<Value> = Vec::new();
        if let Some(s) = f.status {
            vals.push(s.as_str().into());
            sql.push_str(&format!(" AND f.status = ${}", vals.len()));
        }
        if let Some(c) = &f.impl_code {
            vals.push(c.clone().into());
            sql.push_str(&format!(" AND f.impl_code = ${}", vals.len()));
        }
        if let Some(d) = f.department_id {
            vals.push(d.into());
            sql.push_str(&format!(" AND f.department_id = ${}", vals.len()));
        }
        if let Some(p) = &f.centre_path {
            vals.push(format!("{p}%").into());
            sql.push_str(&format!(" AND c.path LIKE ${}", vals.len()));
        }
        if let Some(r) = &f.rule_id {
            vals.push(r.clone().into());
            sql.push_str(&format!(" AND f.rule_id = ${}", vals.len()));
        }
        sql.push_str(" ORDER BY f.impl_code, f.rule_id, f.element");
        let rows = query(self.conn(), &sql, vals).await?;
        rows.iter().map(row_finding).collect()
    }

    pub async fn finding(&self, id: i64) -> Result<StoredFinding> {
        let r = query_one(
            self.conn(),
            &format!("SELECT {FINDING_COLS} WHERE f.id = $1"),
            vec![id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("finding {id}")))?;
        row_finding(&r)
    }

    /// The catalogue admin records a rectification (open → fixed).
    pub async fn mark_finding_fixed(
        &self,
        id: i64,
        actor: i64,
        note: &str,
    ) -> Result<StoredFinding> {
        if note.trim().is_empty() {
            return Err(StoreError::Invalid(
                tongban_domain::FieldError::required("note", "整改说明").into(),
            ));
        }
        if let Some(e) = tongban_domain::text::check_text(
            "note",
            "整改说明",
            "the note",
            note,
            tongban_domain::text::TEXT_MAX,
            true,
        ) {
            return Err(StoreError::Invalid(e.into()));
        }
        // The guide is audited again: a finding still there is marked so, for
        // the supervisor who verifies (or sends it back).
        let f = self.finding(id).await?;
        let still = match self.published_item(&f.impl_code).await? {
            Some(item) => self
                .audit_guide(&item.doc)
                .await?
                .iter()
                .any(|x| x.rule_id == f.rule_id && x.element == f.element),
            None => false,
        };
        let note = if still {
            format!(
                "{}（系统重新核查：该问题在现行指南中仍然存在）",
                note.trim()
            )
        } else {
            note.trim().to_string()
        };
        let txn = self.begin().await?;
        let n = exec(
            &txn,
            "UPDATE audit_findings SET status = 'fixed', fixed_at = $1, fixed_by = $2, fix_note = $3 WHERE id = $4 AND status = 'open'",
            vec![now_ms().into(), actor.into(), note.clone().into(), id.into()],
        )
        .await?;
        if n == 0 {
            self.finding(id).await?;
            return Err(StoreError::conflict(
                "只有待整改的问题可以标记为已整改",
                "only an open finding can be marked fixed",
            ));
        }
        crate::trail::append(
            &txn,
            Some(actor),
            "guide_audit.fix",
            &format!("finding:{id}"),
            serde_json::json!({"note": note, "still_found": still}),
        )
        .await?;
        txn.commit().await?;
        self.finding(id).await
    }

    /// The supervisor sends a rectification back (fixed → open), saying why.
    pub async fn send_back_finding(
        &self,
        id: i64,
        actor: i64,
        reason: &str,
    ) -> Result<StoredFinding> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::Invalid(
                tongban_domain::FieldError::required("reason", "退回理由").into(),
            ));
        }
        if let Some(e) = tongban_domain::text::check_text(
            "reason",
            "退回理由",
            "the reason",
            reason,
            tongban_domain::text::TEXT_MAX,
            true,
        ) {
            return Err(StoreError::Invalid(e.into()));
        }
        let f = self.finding(id).await?;
        let txn = self.begin().await?;
        let note = format!("退回：{reason}（原整改说明：{}）", f.fix_note);
        let n = exec(
            &txn,
            "UPDATE audit_findings SET status = 'open', reopened = reopened + 1, fixed_at = NULL, fixed_by = NULL, \
             fix_note = $1 WHERE id = $2 AND status = 'fixed'",
            vec![note.into(), id.into()],
        )
        .await?;
        if n == 0 {
            return Err(StoreError::conflict(
                "只有已整改的问题可以退回",
                "only a fixed finding can be sent back",
            ));
        }
        crate::trail::append(
            &txn,
            Some(actor),
            "guide_audit.send_back",
            &format!("finding:{id}"),
            serde_json::json!({"reason": reason}),
        )
        .await?;
        txn.commit().await?;
        self.finding(id).await
    }

    /// The supervisor verifies a rectification (fixed → verified).
    pub async fn verify_finding(&self, id: i64, actor: i64) -> Result<StoredFinding> {
        let f = self.finding(id).await?;
        if f.fixed_by == Some(actor) {
            return Err(StoreError::conflict(
                "整改人不能核验自己的整改",
                "the person who fixed a finding cannot verify it",
            ));
        }
        let txn = self.begin().await?;
        let n = exec(
            &txn,
            "UPDATE audit_findings SET status = 'verified', verified_at = $1, verified_by = $2 WHERE id = $3 AND status = 'fixed'",
            vec![now_ms().into(), actor.into(), id.into()],
        )
        .await?;
        if n == 0 {
            return Err(StoreError::conflict(
                "只有已整改的问题可以核验",
                "only a fixed finding can be verified",
            ));
        }
        crate::trail::append(
            &txn,
            Some(actor),
            "guide_audit.verify",
            &format!("finding:{id}"),
            serde_json::json!({}),
        )
        .await?;
        txn.commit().await?;
        self.finding(id).await
    }

    pub async fn audit_runs(&self, limit: i64) -> Result<Vec<AuditRun>> {
        let rows = query(
            self.conn(),
            "SELECT id, trigger, period, started_at, finished_at, items, findings, opened, closed FROM audit_runs ORDER BY id DESC LIMIT $1",
            vec![limit.into()],
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditRun {
                    id: get(r, "id")?,
                    trigger: get(r, "trigger")?,
                    period: get(r, "period")?,
                    started_at: get(r, "started_at")?,
                    finished_at: get(r, "finished_at")?,
                    items: get(r, "items")?,
                    findings: get(r, "findings")?,
                    opened: get(r, "opened")?,
                    closed: get(r, "closed")?,
                })
            })
            .collect()
    }

    /// Whether the scheduled audit already ran for a month (`YYYY-MM`).
    pub async fn scheduled_audit_done(&self, period: &str) -> Result<bool> {
        let r = query_one(
            self.conn(),
            "SELECT COUNT(*) AS n FROM audit_runs WHERE trigger = 'schedule' AND period = $1",
            vec![period.into()],
        )
        .await?;
        Ok(r.map(|r| get::<i64>(&r, "n")).transpose()?.unwrap_or(0) > 0)
    }
}
