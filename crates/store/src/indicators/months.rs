//! Monthly sums of the rollups, so a quarter or a year reads a few thousand
//! rows instead of every day's: `kpi_months` holds, per month, centre,
//! department, item, channel and metric, the sum of the month's daily
//! rollups (the person left out), for the months up to the one
//! `kpi_summary_state` names.
//!
//! They never differ from the daily rollups they sum:
//! - `Store::kpi_summarize` sums each month once it is closed (from the
//!   second day of the next month, so a step committed across midnight is
//!   in), replacing whatever was there, and moves the mark on;
//! - a step counted on a day before the current month (written late) adds
//!   to the month's sum in its own transaction as well as to the day's;
//! - a rebuild of daily rollups sums their months again;
//! - `kpi verify` compares each summed month with its days.
//!
//! Readers use a month's sum only when the whole month lies in the period
//! and up to the mark; other days come from the daily rollups.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use sea_orm::ConnectionTrait;

use super::{Difference, Rollups};
use crate::sql::{exec, get, query, query_one, rows};
use crate::{Result, Store, StoreError};

const STATE: &str = "months";

pub(crate) fn month_of(d: NaiveDate) -> String {
    d.format("%Y-%m").to_string()
}

fn first_day(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// The first day of the next month (the last representable day at the
/// end of the calendar).
fn next_month(d: NaiveDate) -> NaiveDate {
    first_day(d)
        .checked_add_signed(Duration::days(32))
        .map(first_day)
        .unwrap_or(NaiveDate::MAX)
}

fn month_start(m: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
        .map_err(|e| StoreError::Corrupt(format!("month {m}: {e}")))
}

fn month_end(m: &str) -> Result<NaiveDate> {
    Ok(next_month(month_start(m)?)
        .pred_opt()
        .unwrap_or(NaiveDate::MIN))
}

/// The last month summed, if any.
pub(crate) async fn through(c: &impl ConnectionTrait) -> Result<Option<String>> {
    query_one(
        c,
        "SELECT month FROM kpi_summary_state WHERE name = $1",
        vec![STATE.into()],
    )
    .await?
    .map(|r| get::<String>(&r, "month"))
    .transpose()
}

/// The whole months of `from..=to` that are summed: (first, last, first
/// day, last day), or none.
pub(crate) async fn summed_within(
    c: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Option<(String, String, NaiveDate, NaiveDate)>> {
    let Some(t) = through(c).await? else {
        return Ok(None);
    };
    let a = if from.day() == 1 {
        from
    } else {
        next_month(from)
    };
    let b = next_month(to).pred_opt().unwrap_or(to);
    let b = if b == to {
        to
    } else {
        first_day(to).pred_opt().unwrap_or(NaiveDate::MIN)
    };
    let b = b.min(month_end(&t)?);
    if a > b {
        return Ok(None);
    }
    Ok(Some((month_of(a), month_of(b), a, b)))
}

/// Replaces the sums of months `first..=last` by their days' (in the
/// caller's transaction).
pub(crate) async fn resum(c: &impl ConnectionTrait, first: &str, last: &str) -> Result<()> {
    exec(
        c,
        "DELETE FROM kpi_months WHERE month >= $1 AND month <= $2",
        vec![first.into(), last.into()],
    )
    .await?;
    exec(
        c,
        "INSERT INTO kpi_months (month, centre_id, department_id, impl_code, channel, metric, value) \
         SELECT substr(day, 1, 7), centre_id, department_id, impl_code, channel, metric, CAST(SUM(value) AS BIGINT) \
         FROM kpi_rollups WHERE day >= $1 AND day <= $2 \
         GROUP BY substr(day, 1, 7), centre_id, department_id, impl_code, channel, metric",
        vec![
            month_start(first)?.to_string().into(),
            month_end(last)?.to_string().into(),
        ],
    )
    .await?;
    Ok(())
}

/// Adds the amounts of days before `today`'s month to their months' sums.
pub(crate) async fn add_past(
    c: &impl ConnectionTrait,
    r: &Rollups,
    today: NaiveDate,
) -> Result<()> {
    let start = first_day(today);
    let mut sums: BTreeMap<(String, i64, i64, &str, &str, &str), i64> = BTreeMap::new();
    for (k, v) in r.iter().filter(|(k, v)| k.day < start && **v != 0) {
        *sums
            .entry((
                month_of(k.day),
                k.centre_id,
                k.department_id,
                &k.impl_code,
                &k.channel,
                &k.metric,
            ))
            .or_insert(0) += v;
    }
    let all: Vec<_> = sums.into_iter().collect();
    for chunk in all.chunks(100) {
        let mut v: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len() * 7);
        for ((m, centre, dept, item, channel, metric), n) in chunk {
            v.extend([
                m.clone().into(),
                (*centre).into(),
                (*dept).into(),
                (*item).into(),
                (*channel).into(),
                (*metric).into(),
                (*n).into(),
            ]);
        }
        exec(
            c,
            &format!(
                "INSERT INTO kpi_months (month, centre_id, department_id, impl_code, channel, metric, value) \
                 VALUES {} ON CONFLICT (month, centre_id, department_id, impl_code, channel, metric) \
                 DO UPDATE SET value = kpi_months.value + excluded.value",
                rows(c.get_database_backend(), chunk.len(), 7, "")
            ),
            v,
        )
        .await?;
    }
    Ok(())
}

/// Summed months of `from..=to` that differ from their days' sums.
pub(crate) async fn differences(
    c: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Difference>> {
    let Some((first, last, a, b)) = summed_within(c, from, to).await? else {
        return Ok(Vec::new());
    };
    type Key = (String, i64, i64, String, String, String);
    let read = |r: &sea_orm::QueryResult| -> Result<(Key, i64)> {
        Ok((
            (
                get(r, "month")?,
                get(r, "centre_id")?,
                get(r, "department_id")?,
                get(r, "impl_code")?,
                get(r, "channel")?,
                get(r, "metric")?,
            ),
            get(r, "value")?,
        ))
    };
    let mut kept: BTreeMap<Key, i64> = BTreeMap::new();
    for r in query(
        c,
        "SELECT month, centre_id, department_id, impl_code, channel, metric, value \
         FROM kpi_months WHERE month >= $1 AND month <= $2",
        vec![first.into(), last.into()],
    )
    .await?
    {
        let (k, v) = read(&r)?;
        kept.insert(k, v);
    }
    let mut days: BTreeMap<Key, i64> = BTreeMap::new();
    for r in query(
        c,
        "SELECT substr(day, 1, 7) AS month, centre_id, department_id, impl_code, channel, metric, \
         CAST(SUM(value) AS BIGINT) AS value FROM kpi_rollups WHERE day >= $1 AND day <= $2 \
         GROUP BY substr(day, 1, 7), centre_id, department_id, impl_code, channel, metric",
        vec![a.to_string().into(), b.to_string().into()],
    )
    .await?
    {
        let (k, v) = read(&r)?;
        days.insert(k, v);
    }
    let keys: std::collections::BTreeSet<&Key> = kept.keys().chain(days.keys()).collect();
    let mut out = Vec::new();
    for k in keys {
        let s = kept.get(k).copied().unwrap_or(0);
        let r = days.get(k).copied().unwrap_or(0);
        if s != r {
            out.push(Difference {
                day: month_start(&k.0)?,
                centre_id: k.1,
                department_id: k.2,
                impl_code: k.3.clone(),
                channel: k.4.clone(),
                person_id: -1,
                metric: format!("{} (sum of {})", k.5, k.0),
                stored: s,
                recomputed: r,
            });
        }
    }
    Ok(out)
}

/// The last closed month on `today`: the one before, from its second day.
fn last_closed(today: NaiveDate) -> NaiveDate {
    let prev = first_day(today).pred_opt().unwrap_or(NaiveDate::MIN);
    if today.day() >= 2 {
        prev
    } else {
        first_day(prev).pred_opt().unwrap_or(NaiveDate::MIN)
    }
}

impl Store {
    /// Sums the closed months not yet summed (none before the first
    /// rollup) and moves the mark on; returns the last month summed.
    pub async fn kpi_summarize(&self, today: NaiveDate) -> Result<Option<String>> {
        // Never ahead of the clock the writers' steps are judged by.
        let today = today.min(crate::shanghai_today());
        // Most calls find nothing to do: no lock for them.
        let closed = month_of(last_closed(today));
        let t = through(self.conn()).await?;
        if t.as_ref().is_some_and(|t| *t >= closed) {
            return Ok(t);
        }
        let txn = self.begin().await?;
        if self.backend() == sea_orm::DbBackend::Postgres {
            exec(&txn, "LOCK TABLE kpi_months IN EXCLUSIVE MODE", vec![]).await?;
        }
        let t = through(&txn).await?;
        if t.as_ref().is_some_and(|t| *t >= closed) {
            txn.commit().await?;
            return Ok(t);
        }
        let first = match &t {
            Some(t) => Some(month_of(next_month(month_start(t)?))),
            None => query_one(&txn, "SELECT MIN(day) AS d FROM kpi_rollups", vec![])
                .await?
                .map(|r| crate::sql::date_col(&r, "d"))
                .transpose()?
                .flatten()
                .map(month_of),
        };
        if t.is_none() {
            // Sums a late step added before any month was summed are
            // replaced by the days' own.
            exec(
                &txn,
                "DELETE FROM kpi_months WHERE month <= $1",
                vec![closed.clone().into()],
            )
            .await?;
        }
        if let Some(first) = first.filter(|f| *f <= closed) {
            resum(&txn, &first, &closed).await?;
        }
        exec(
            &txn,
            "INSERT INTO kpi_summary_state (name, month) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET month = excluded.month",
            vec![STATE.into(), closed.clone().into()],
        )
        .await?;
        txn.commit().await?;
        Ok(Some(closed))
    }

    /// Sums again the summed months among `first..=last` (after their days
    /// were written in bulk).
    pub(crate) async fn kpi_resum(&self, from: NaiveDate, to: NaiveDate) -> Result<()> {
        let txn = self.begin().await?;
        if self.backend() == sea_orm::DbBackend::Postgres {
            exec(&txn, "LOCK TABLE kpi_months IN EXCLUSIVE MODE", vec![]).await?;
        }
        resum_within(&txn, from, to).await?;
        txn.commit().await?;
        Ok(())
    }
}

/// Sums again, in the caller's transaction, the summed months that
/// `from..=to` touches.
pub(crate) async fn resum_within(
    c: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<()> {
    if let Some(t) = through(c).await? {
        let first = month_of(from);
        let last = month_of(to).min(t);
        if first <= last {
            resum(c, &first, &last).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn a_month_closes_on_the_second_day_of_the_next() {
        assert_eq!(last_closed(d("2026-12-01")), d("2026-10-31"));
        assert_eq!(last_closed(d("2026-12-02")), d("2026-11-30"));
        assert_eq!(last_closed(d("2026-01-15")), d("2025-12-31"));
        assert_eq!(last_closed(d("2026-03-01")), d("2026-01-31"));
        assert_eq!(next_month(d("2024-01-31")), d("2024-02-01"));
        assert_eq!(month_end("2024-02").expect("end"), d("2024-02-29"));
    }
}
