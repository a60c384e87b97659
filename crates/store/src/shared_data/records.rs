//! What a submission looked up and how its rules decided, recorded on the
//! case (a case observer): every lookup (the `attempts`-th; a failed one is
//! retried after 1, 2, 4 … minutes) and each rule evaluation, marked
//! automatic when 秒批 took the case to its end.

use sea_orm::ConnectionTrait;
use sea_orm::prelude::async_trait::async_trait;

use super::Gathered;
use crate::cases::{CaseEventKind, CaseObserver, Effects, StepEvent};
use crate::sql::to_json;
use crate::{Result, WriteTxn, exec, now_ms};

/// Records a submission's lookups and rule evaluation with it.
pub struct LookupRecords;

#[async_trait]
impl CaseObserver for LookupRecords {
    fn name(&self) -> &'static str {
        "shared-data"
    }

    async fn observe(&self, txn: &WriteTxn, steps: &[StepEvent], _fx: &mut Effects) -> Result<()> {
        // Ended by the system's 秒批 steps, within each job.
        let instant = |s: &StepEvent| {
            s.actor.is_none()
                && s.is(CaseEventKind::Completed)
                && s.details.get("by").and_then(|b| b.as_str()) == Some("秒批")
        };
        let mut items: Vec<(i64, &Gathered, bool)> = Vec::new();
        for s in steps {
            if let Some(g) = s.attached::<Gathered>() {
                let automatic = steps
                    .iter()
                    .any(|o| o.job == s.job && o.case.id == s.case.id && instant(o));
                items.push((s.case.id, g, automatic));
            }
        }
        record_many(txn, &items, 1).await?;
        // A case submitted without its lookups (a bundle's sub-case, made in
        // the bundle's transaction): they are queued for the retry sweep,
        // which looks them up outside any transaction.
        for s in steps
            .iter()
            .filter(|s| s.is(CaseEventKind::Submitted) && s.attached::<Gathered>().is_none())
        {
            queue_lookups(txn, s.case.id, s.case.item_version_id).await?;
        }
        // 秒批 after a retried lookup: the evaluation recorded then is the
        // one that decided.
        for s in steps.iter().filter(|s| instant(s)) {
            if !items.iter().any(|(c, _, _)| *c == s.case.id) {
                exec(
                    txn,
                    "UPDATE case_decisions SET automatic = $1 WHERE id = (SELECT MAX(id) FROM case_decisions WHERE case_id = $2)",
                    vec![true.into(), s.case.id.into()],
                )
                .await?;
            }
        }
        Ok(())
    }
}

/// The records of submissions in two statements: every lookup (the
/// `attempts`-th; a failed one is retried after 1, 2, 4 … minutes), and each
/// rule evaluation (`automatic` when 秒批 went through).
pub(crate) async fn record_many(
    txn: &impl ConnectionTrait,
    items: &[(i64, &Gathered, bool)],
    attempts: i64,
) -> Result<()> {
    let now = now_ms();
    let backoff = 60_000 * (1i64 << (attempts - 1).clamp(0, 5));
    let mut v: Vec<sea_orm::Value> = Vec::new();
    let mut rows = 0;
    for (case_id, g, _) in items {
        for f in &g.fetches {
            let retry_at = f.retry.then_some(now + backoff);
            v.extend([
                (*case_id).into(),
                f.source_key.clone().into(),
                f.source_name.clone().into(),
                now.into(),
                f.outcome.into(),
                to_json(&f.fields).into(),
                f.data.to_string().into(),
                f.message.clone().into(),
                attempts.into(),
                retry_at.into(),
            ]);
            rows += 1;
        }
    }
    if rows > 0 {
        exec(
            txn,
            &format!(
                "INSERT INTO case_fetches (case_id, source_key, source_name, at, outcome, fields, data, message, attempts, retry_at) VALUES {}",
                crate::sql::rows(txn.get_database_backend(), rows, 10, "")
            ),
            v,
        )
        .await?;
    }
    let mut v: Vec<sea_orm::Value> = Vec::new();
    let mut rows = 0;
    for (case_id, g, automatic) in items {
        if let Some(d) = &g.decision {
            v.extend([
                (*case_id).into(),
                g.item_version_id.into(),
                now.into(),
                serde_json::to_value(d.outcome)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
                    .into(),
                to_json(&d.reasons).into(),
                d.inputs.to_string().into(),
                d.trace.to_string().into(),
                to_json(&g.mismatches).into(),
                (*automatic).into(),
            ]);
            rows += 1;
        }
    }
    if rows > 0 {
        exec(
            txn,
            &format!(
                "INSERT INTO case_decisions (case_id, item_version_id, at, outcome, reasons, inputs, trace, mismatches, automatic) VALUES {}",
                crate::sql::rows(txn.get_database_backend(), rows, 9, "")
            ),
            v,
        )
        .await?;
    }
    Ok(())
}

/// Queues the item's lookups for a case submitted without them: a row per
/// source, `queued`, due now, which `Store::retry_fetches` takes up.
async fn queue_lookups(txn: &WriteTxn, case_id: i64, item_version_id: i64) -> Result<()> {
    let Some(r) = crate::query_one(
        txn,
        "SELECT doc FROM item_versions WHERE id = $1",
        vec![item_version_id.into()],
    )
    .await?
    else {
        return Ok(());
    };
    let doc: tongban_domain::catalog::ItemDoc = crate::sql::json_col(&r, "doc")?;
    let now = now_ms();
    let mut seen: Vec<&str> = Vec::new();
    for l in &doc.shared_data {
        if seen.contains(&l.source.as_str()) {
            continue;
        }
        seen.push(&l.source);
        // Named as people read it (the registered source's name).
        let name = crate::query_one(
            txn,
            "SELECT name FROM data_sources WHERE key = $1",
            vec![l.source.clone().into()],
        )
        .await?
        .map(|r| crate::get::<String>(&r, "name"))
        .transpose()?
        .unwrap_or_else(|| l.source.clone());
        exec(
            txn,
            "INSERT INTO case_fetches (case_id, source_key, source_name, at, outcome, fields, data, message, attempts, retry_at) \
             VALUES ($1, $2, $3, $4, 'queued', '[]', 'null', $5, 0, $4)",
            vec![
                case_id.into(),
                l.source.clone().into(),
                name.into(),
                now.into(),
                "等待查询".into(),
            ],
        )
        .await?;
    }
    Ok(())
}
