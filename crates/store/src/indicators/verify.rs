//! `tongban kpi verify`: the rollups recomputed from the recorded case
//! events, compared with what the writer kept; and the rebuild a late
//! change (a holiday notice that moves dates) calls for.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use serde::Serialize;
use tongban_domain::case::CaseState;
use tongban_domain::clock::ClockEvent;

use super::{EventRow, RollupKey, Rollups, add};
use crate::sql::{exec, get, query};
use crate::{Result, Store, StoreError};

/// Rows read at a time.
const PAGE: i64 = 5_000;

/// A rollup row that differs from its recomputation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub day: NaiveDate,
    pub centre_id: i64,
    pub department_id: i64,
    pub impl_code: String,
    pub channel: String,
    pub person_id: i64,
    pub metric: String,
    /// What the rollups hold.
    pub stored: i64,
    /// What the events give.
    pub recomputed: i64,
}

fn state(s: &str) -> Result<CaseState> {
    CaseState::parse(s).ok_or_else(|| StoreError::Corrupt(format!("case state {s}")))
}

/// The rollups the events of `from..=to` give.
pub(crate) async fn recompute(
    c: &impl ConnectionTrait,
    cal: &tongban_domain::calendar::WorkCalendar,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Rollups> {
    let mut out = Rollups::new();
    let mut after: i64 = 0;
    // A case's clock is parsed once however many of its events are read.
    let mut clocks: HashMap<i64, Arc<Vec<ClockEvent>>> = HashMap::new();
    loop {
        let rows = query(
            c,
            "SELECT e.id, e.case_id, e.day, e.at, e.action, e.from_state, e.to_state, e.actor_id, e.details, \
             k.centre_id, k.lead_department_id, k.impl_code, k.channel, k.applicant_user_id, k.waived, \
             k.promised_due, k.decided_on, k.clock \
             FROM case_events e JOIN cases k ON k.id = e.case_id \
             WHERE e.day >= $1 AND e.day <= $2 AND e.id > $3 \
             AND (e.action IN ('submit', 'accept', 'deemed_accepted', 'refuse', 'decide') OR e.to_state = 'completed') \
             ORDER BY e.id LIMIT $4",
            vec![
                from.to_string().into(),
                to.to_string().into(),
                after.into(),
                PAGE.into(),
            ],
        )
        .await?;
        let n = rows.len();
        for r in &rows {
            after = get(r, "id")?;
            let case_id: i64 = get(r, "case_id")?;
            let clock = match clocks.get(&case_id) {
                Some(c) => c.clone(),
                None => {
                    let c: Arc<Vec<ClockEvent>> = Arc::new(crate::sql::json_col(r, "clock")?);
                    clocks.insert(case_id, c.clone());
                    c
                }
            };
            let details: String = get(r, "details")?;
            let method = serde_json::from_str::<serde_json::Value>(&details)
                .ok()
                .and_then(|d| d.get("method").and_then(|m| m.as_str()).map(String::from))
                .unwrap_or_default();
            let waived: Option<String> = get(r, "waived")?;
            let waived = match waived {
                Some(w) => serde_json::from_str::<Vec<usize>>(&w)
                    .map_err(|e| StoreError::Corrupt(format!("waived: {e}")))?
                    .len(),
                None => 0,
            };
            // An event written before its day was recorded counts on the
            // day of its time stamp (China Standard Time).
            let day = match crate::sql::date_col(r, "day")? {
                Some(d) => d,
                None => chrono::DateTime::from_timestamp_millis(get(r, "at")?)
                    .map(|t| t.with_timezone(&chrono_tz::Asia::Shanghai).date_naive())
                    .ok_or_else(|| StoreError::Corrupt("case event time".into()))?,
            };
            let e = EventRow {
                day,
                action: get(r, "action")?,
                from: state(&get::<String>(r, "from_state")?)?,
                to: state(&get::<String>(r, "to_state")?)?,
                actor: get(r, "actor_id")?,
                method,
                centre_id: get(r, "centre_id")?,
                department_id: get(r, "lead_department_id")?,
                impl_code: get(r, "impl_code")?,
                channel: get(r, "channel")?,
                applicant: get(r, "applicant_user_id")?,
                waived,
                promised_due: crate::sql::date_col(r, "promised_due")?,
                decided_on: crate::sql::date_col(r, "decided_on")?,
                clock,
            };
            e.add_to(&mut out, cal);
        }
        if (n as i64) < PAGE {
            break;
        }
        if clocks.len() > 200_000 {
            clocks.clear();
        }
    }
    Ok(out)
}

/// The stored rollups of `from..=to`.
pub(crate) async fn stored(
    c: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Rollups> {
    let rows = query(
        c,
        "SELECT day, centre_id, department_id, impl_code, channel, person_id, metric, value \
         FROM kpi_rollups WHERE day >= $1 AND day <= $2",
        vec![from.to_string().into(), to.to_string().into()],
    )
    .await?;
    let mut out = Rollups::new();
    for r in &rows {
        let day = crate::sql::date_col(r, "day")?
            .ok_or_else(|| StoreError::Corrupt("rollup without a day".into()))?;
        out.insert(
            RollupKey {
                day,
                centre_id: get(r, "centre_id")?,
                department_id: get(r, "department_id")?,
                impl_code: get(r, "impl_code")?,
                channel: get(r, "channel")?,
                person_id: get(r, "person_id")?,
                metric: get(r, "metric")?,
            },
            get(r, "value")?,
        );
    }
    Ok(out)
}

/// Every key whose stored amount differs from the recomputed one (a
/// missing row counts as 0).
pub(crate) fn differences(stored: &Rollups, recomputed: &Rollups) -> Vec<Difference> {
    let keys: BTreeSet<&RollupKey> = stored.keys().chain(recomputed.keys()).collect();
    keys.into_iter()
        .filter_map(|k| {
            let s = stored.get(k).copied().unwrap_or(0);
            let r = recomputed.get(k).copied().unwrap_or(0);
            (s != r).then(|| Difference {
                day: k.day,
                centre_id: k.centre_id,
                department_id: k.department_id,
                impl_code: k.impl_code.clone(),
                channel: k.channel.clone(),
                person_id: k.person_id,
                metric: k.metric.clone(),
                stored: s,
                recomputed: r,
            })
        })
        .collect()
}

impl Store {
    /// Recomputes the rollups of `from..=to` from the case events and
    /// reports every difference from the stored ones (none: the figures
    /// stand).
    pub async fn kpi_verify(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<Difference>> {
        use sea_orm::TransactionTrait;
        // One snapshot for the events and the rollups, so steps committed
        // meanwhile show in neither (a read-only repeatable-read transaction
        // on PostgreSQL; a read transaction sees one snapshot on SQLite).
        let txn = match self.backend() {
            sea_orm::DbBackend::Postgres => {
                self.conn()
                    .begin_with_config(
                        Some(sea_orm::IsolationLevel::RepeatableRead),
                        Some(sea_orm::AccessMode::ReadOnly),
                    )
                    .await?
            }
            _ => self.conn().begin().await?,
        };
        let cal = crate::calendar::calendar_in(&txn).await?;
        let fresh = recompute(&txn, &cal, from, to).await?;
        let kept = stored(&txn, from, to).await?;
        let mut out = differences(&kept, &fresh);
        out.extend(super::months::differences(&txn, from, to).await?);
        txn.rollback().await?;
        Ok(out)
    }

    /// Replaces the rollups of `from..=to` by their recomputation, in one
    /// transaction (after a late change: a holiday notice that moved the
    /// dates counted into its year). Returns how many rows changed.
    pub async fn kpi_rebuild(&self, from: NaiveDate, to: NaiveDate) -> Result<usize> {
        let txn = self.begin().await?;
        // No step adds to the rollups while they are recomputed and
        // replaced (PostgreSQL; SQLite has one writer at a time).
        if self.backend() == sea_orm::DbBackend::Postgres {
            exec(&txn, "LOCK TABLE kpi_rollups IN EXCLUSIVE MODE", vec![]).await?;
            exec(&txn, "LOCK TABLE kpi_months IN EXCLUSIVE MODE", vec![]).await?;
        }
        let cal = crate::calendar::calendar_in(&txn).await?;
        let fresh = recompute(&txn, &cal, from, to).await?;
        let kept = stored(&txn, from, to).await?;
        let changed = differences(&kept, &fresh).len();
        exec(
            &txn,
            "DELETE FROM kpi_rollups WHERE day >= $1 AND day <= $2",
            vec![from.to_string().into(), to.to_string().into()],
        )
        .await?;
        add(&txn, &fresh).await?;
        super::months::resum_within(&txn, from, to).await?;
        txn.commit().await?;
        Ok(changed)
    }
}

impl Store {
    /// Fills the rollups of a database whose cases predate them (the first
    /// start after the upgrade that added them); nothing when they are
    /// there or there are no cases.
    pub(crate) async fn kpi_backfill(&self) -> Result<()> {
        if crate::sql::query_one(
            self.conn(),
            "SELECT 1 AS one FROM kpi_rollups LIMIT 1",
            vec![],
        )
        .await?
        .is_some()
        {
            return Ok(());
        }
        let Some(r) = crate::sql::query_one(
            self.conn(),
            "SELECT MIN(day) AS a, MAX(day) AS b FROM case_events WHERE action = 'submit'",
            vec![],
        )
        .await?
        else {
            return Ok(());
        };
        if let (Some(a), Some(b)) = (
            crate::sql::date_col(&r, "a")?,
            crate::sql::date_col(&r, "b")?,
        ) {
            tracing::info!(%a, %b, "filling the indicator rollups from the case events");
            self.kpi_rebuild(a, b.max(crate::shanghai_today())).await?;
        }
        Ok(())
    }

    /// After a holiday notice for `y` was entered (its dates recomputed),
    /// rebuilds the rollups it can move: from the first day it lists
    /// through its year's end (or `today`, if later).
    pub async fn kpi_after_notice(
        &self,
        y: &tongban_domain::calendar::YearSchedule,
        today: NaiveDate,
    ) -> Result<usize> {
        let jan1 = NaiveDate::from_ymd_opt(y.year, 1, 1);
        let dec31 = NaiveDate::from_ymd_opt(y.year, 12, 31);
        let Some(from) = y.days.iter().map(|d| d.date).chain(jan1).min() else {
            return Ok(0);
        };
        let to = dec31.map_or(today, |d| d.max(today));
        self.kpi_rebuild(from, to).await
    }
}
