//! Writes planned steps — one command's or a whole batch's — with the same
//! multi-row statements whatever their number: the cases (each under the
//! version it was read at), their review tasks, documents, events and
//! certificates; then the observers' reactions, the notices and the
//! audit-trail extension. A case that moved meanwhile (another instance)
//! makes the whole write fail as stale, changing nothing.

use std::collections::HashMap;

use sea_orm::ConnectionTrait;

use super::certify::{insert_certificates, issue_trail};
use super::observe::{Effects, Observers, StepEvent};
use super::plan::{Step, Working};
use super::stale;
use crate::sql::{ds, exec, get, list, query, rows, to_json};
use crate::trail::NewEntry;
use crate::{Result, StoreError, WriteTxn, now_ms};

/// Writes `steps` (in order) for the working copies in `work`; returns
/// the steps' events, with the ids of the documents they issued.
pub(crate) async fn write_steps(
    txn: &WriteTxn,
    observers: &Observers,
    work: &HashMap<i64, Working>,
    mut steps: Vec<Step>,
) -> Result<Vec<StepEvent>> {
    let b = txn.get_database_backend();
    let now = now_ms();
    // Cases: the final state of each, under the version it had before.
    let mut touched: Vec<&Working> = work.values().filter(|w| w.touched).collect();
    touched.sort_by_key(|w| w.case.id);
    if !touched.is_empty() {
        let mut v: Vec<sea_orm::Value> = Vec::with_capacity(touched.len() * 15);
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
                // Only what this batch changed: the retry sweep may add
                // waived materials without moving the version.
                w.waived_changed.then(|| to_json(&c.waived)).into(),
            ]);
        }
        let n = exec(
            txn,
            &format!(
                "UPDATE cases SET state = v.column3, version = CAST(v.column4 AS BIGINT), approved = v.column5, \
                 clock = v.column6, tasks = v.column7, received_on = v.column8, accepted_on = v.column9, \
                 legal_due = v.column10, promised_due = v.column11, decided_on = v.column12, \
                 certificate_due = v.column13, updated_at = CAST(v.column14 AS BIGINT), \
                 waived = COALESCE(v.column15, cases.waived) \
                 FROM (VALUES {}) AS v WHERE cases.id = CAST(v.column1 AS BIGINT) AND cases.version = CAST(v.column2 AS BIGINT)",
                rows(b, touched.len(), 15, "")
            ),
            v,
        )
        .await?;
        if n as usize != touched.len() {
            return Err(stale());
        }
    }
    // Review tasks of the cases whose plan changed.
    let changed: Vec<&Working> = touched
        .iter()
        .copied()
        .filter(|w| w.tasks_changed)
        .collect();
    if !changed.is_empty() {
        exec(
            txn,
            &format!(
                "DELETE FROM case_tasks WHERE case_id IN ({})",
                list(changed.len(), 0)
            ),
            changed.iter().map(|w| w.case.id.into()).collect(),
        )
        .await?;
        let mut v: Vec<sea_orm::Value> = Vec::new();
        for w in &changed {
            for (seq, t) in w.case.tasks.iter().enumerate() {
                v.extend([
                    w.case.id.into(),
                    t.department_id.into(),
                    (seq as i64).into(),
                    t.status.as_str().into(),
                ]);
            }
        }
        crate::sql::insert_rows(
            txn,
            "INSERT INTO case_tasks (case_id, department_id, seq, status)",
            4,
            v,
        )
        .await?;
    }
    write_documents(txn, &mut steps, now).await?;
    // Events.
    let mut v: Vec<sea_orm::Value> = Vec::with_capacity(steps.len() * 10);
    for s in steps.iter() {
        let e = &s.event;
        v.extend([
            e.case.id.into(),
            now.into(),
            e.actor.into(),
            s.actor_name.clone().into(),
            e.action.clone().into(),
            e.from.as_str().into(),
            e.case.state.as_str().into(),
            e.details.to_string().into(),
            e.document.map(|d| d.1).into(),
            e.today.to_string().into(),
        ]);
    }
    crate::sql::insert_rows(
        txn,
        "INSERT INTO case_events (case_id, at, actor_id, actor_name, action, from_state, to_state, details, document_id, day)",
        10,
        v,
    )
    .await?;
    // Certificates, and the trail entries of every step in order.
    let certs: Vec<_> = steps.iter().filter_map(|s| s.cert.clone()).collect();
    insert_certificates(txn, &certs).await?;
    let mut fx = Effects::default();
    for s in steps.iter() {
        let e = &s.event;
        if let Some(x) = &s.cert {
            fx.trail(issue_trail(x, &e.case.case_no));
        }
        fx.trail(NewEntry {
            actor: e.actor,
            action: format!("case.{}", e.action),
            object: format!("case:{}", e.case.case_no),
            details: serde_json::json!({"from": e.from.as_str(), "to": e.case.state.as_str(), "details": e.details}),
        });
    }
    // The capabilities react, in the same transaction.
    let events: Vec<StepEvent> = steps.into_iter().map(|s| s.event).collect();
    observers.dispatch(txn, &events, &mut fx).await?;
    fx.write(txn).await?;
    Ok(events)
}

/// Inserts the steps' documents in one statement and gives each step its
/// document's id (matched back by case and number; a case issuing two
/// documents of one number in a batch gets them one at a time).
async fn write_documents(txn: &WriteTxn, steps: &mut [Step], now: i64) -> Result<()> {
    let with_doc: Vec<usize> = (0..steps.len())
        .filter(|i| steps[*i].document.is_some())
        .collect();
    if with_doc.is_empty() {
        return Ok(());
    }
    let b = txn.get_database_backend();
    let values = |s: &Step| -> Vec<sea_orm::Value> {
        let d = s.document.as_ref();
        vec![
            s.event.case.id.into(),
            d.map(|d| d.kind.as_str()).unwrap_or_default().into(),
            d.map(|d| d.number.clone()).unwrap_or_default().into(),
            d.map(|d| d.body.clone()).unwrap_or_default().into(),
            now.into(),
            s.event.actor.into(),
        ]
    };
    let mut keys: Vec<(i64, &str)> = with_doc
        .iter()
        .filter_map(|i| {
            steps[*i]
                .document
                .as_ref()
                .map(|d| (steps[*i].event.case.id, d.number.as_str()))
        })
        .collect();
    keys.sort_unstable();
    let unique = keys.windows(2).all(|w| w[0] != w[1]);
    let head =
        "INSERT INTO case_documents (case_id, kind, number, body, created_at, created_by) VALUES";
    let mut ids: Vec<(usize, i64)> = Vec::with_capacity(with_doc.len());
    if unique {
        let mut v = Vec::with_capacity(with_doc.len() * 6);
        for i in &with_doc {
            v.extend(values(&steps[*i]));
        }
        let found = query(
            txn,
            &format!(
                "{head} {} RETURNING id, case_id, number",
                rows(b, with_doc.len(), 6, "")
            ),
            v,
        )
        .await?;
        let mut by_key: HashMap<(i64, String), i64> = HashMap::with_capacity(found.len());
        for r in &found {
            by_key.insert((get(r, "case_id")?, get(r, "number")?), get(r, "id")?);
        }
        for i in &with_doc {
            let s = &steps[*i];
            if let Some(d) = &s.document {
                let id = by_key
                    .get(&(s.event.case.id, d.number.clone()))
                    .ok_or_else(|| {
                        StoreError::Corrupt(format!("document {} not returned", d.number))
                    })?;
                ids.push((*i, *id));
            }
        }
    } else {
        for i in &with_doc {
            let id = crate::sql::insert_id(
                txn,
                &format!("{head} {}", rows(b, 1, 6, "")),
                values(&steps[*i]),
            )
            .await?;
            ids.push((*i, id));
        }
    }
    for (i, id) in ids {
        if let Some(d) = &steps[i].document {
            steps[i].event.document = Some((d.kind, id));
        }
    }
    Ok(())
}
