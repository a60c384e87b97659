//! Priority handling (绿色通道): a capability may mark cases to be worked
//! first — 靠前服务 marks the cases of a key project (重点项目). The work
//! lists put marked cases first, with the reason as their visible mark;
//! a capability may also shorten a case's promise before it is accepted
//! (a key project's shorter promised limits, never beyond the law).

use std::collections::HashMap;

use sea_orm::ConnectionTrait;

use crate::sql::list;
use crate::{Result, exec, get, now_ms, query};

/// Marks `cases` to be worked first, for `reason` (e.g. 重点项目); a case
/// marked already keeps its first reason.
pub(crate) async fn mark(c: &impl ConnectionTrait, cases: &[i64], reason: &str) -> Result<()> {
    for id in cases {
        exec(
            c,
            "INSERT INTO case_priority (case_id, reason, since) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            vec![(*id).into(), reason.into(), now_ms().into()],
        )
        .await?;
    }
    Ok(())
}

/// Takes the mark given for `reason` off `cases` (another reason's stays).
pub(crate) async fn unmark(c: &impl ConnectionTrait, cases: &[i64], reason: &str) -> Result<()> {
    for id in cases {
        exec(
            c,
            "DELETE FROM case_priority WHERE case_id = $1 AND reason = $2",
            vec![(*id).into(), reason.into()],
        )
        .await?;
    }
    Ok(())
}

/// The marks of the listed cases.
pub(crate) async fn marks_of(
    c: &impl ConnectionTrait,
    cases: &[i64],
) -> Result<HashMap<i64, String>> {
    let mut out = HashMap::new();
    for chunk in cases.chunks(500) {
        if chunk.is_empty() {
            continue;
        }
        let rows = query(
            c,
            &format!(
                "SELECT case_id, reason FROM case_priority WHERE case_id IN ({})",
                list(chunk.len(), 0)
            ),
            chunk.iter().map(|i| (*i).into()).collect(),
        )
        .await?;
        for r in &rows {
            out.insert(get::<i64>(r, "case_id")?, get::<String>(r, "reason")?);
        }
    }
    Ok(out)
}

/// Caps the promise of `case` at `days` working days, if it is not yet
/// accepted (the promise is fixed at acceptance) and not capped shorter
/// already; moves its version on, so a batch planned on the old promise goes
/// stale. Gives whether it was capped.
pub(crate) async fn cap_promise(c: &impl ConnectionTrait, case: i64, days: i64) -> Result<bool> {
    let n = exec(
        c,
        "UPDATE cases SET promise_cap_days = $1, version = version + 1 \
         WHERE id = $2 AND state IN ('draft', 'submitted', 'correction') \
         AND (promise_cap_days IS NULL OR promise_cap_days > $1)",
        vec![days.into(), case.into()],
    )
    .await?;
    Ok(n == 1)
}

/// The marks of the listed bundle applications: a bundle is marked when
/// one of its sub-cases is.
pub(crate) async fn marks_of_bundles(
    c: &impl ConnectionTrait,
    bundles: &[i64],
) -> Result<HashMap<i64, String>> {
    let mut out = HashMap::new();
    for chunk in bundles.chunks(500) {
        if chunk.is_empty() {
            continue;
        }
        let rows = query(
            c,
            &format!(
                "SELECT k.bundle_case_id, MIN(p.reason) AS reason FROM cases k \
                 JOIN case_priority p ON p.case_id = k.id WHERE k.bundle_case_id IN ({}) \
                 GROUP BY k.bundle_case_id",
                list(chunk.len(), 0)
            ),
            chunk.iter().map(|i| (*i).into()).collect(),
        )
        .await?;
        for r in &rows {
            out.insert(
                get::<i64>(r, "bundle_case_id")?,
                get::<String>(r, "reason")?,
            );
        }
    }
    Ok(out)
}

/// Gives `case`, if it is not yet accepted, its promise back: the bundle's
/// cap for a bundle's sub-case, none for another (the green channel's
/// shorter promise taken off with the mark). Moves its version on.
pub(crate) async fn restore_promise(c: &impl ConnectionTrait, case: i64) -> Result<bool> {
    let n = exec(
        c,
        "UPDATE cases SET promise_cap_days = (SELECT b.promised_days FROM bundle_cases b WHERE b.id = cases.bundle_case_id), \
         version = version + 1 \
         WHERE id = $1 AND state IN ('draft', 'submitted', 'correction') AND promise_cap_days IS NOT NULL \
         AND promise_cap_days IS DISTINCT FROM (SELECT b.promised_days FROM bundle_cases b WHERE b.id = cases.bundle_case_id)",
        vec![case.into()],
    )
    .await?;
    Ok(n == 1)
}
