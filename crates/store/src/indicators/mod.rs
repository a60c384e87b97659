//! 效能评估 (SPEC §8.2): the indicator rollups, kept in the transaction of
//! every case step that changes them (a case observer), recomputed from the
//! recorded events by `verify`, and read by the dashboards, the drill-downs
//! and the monthly 指标调度 report.
//!
//! A rollup row counts one metric (`tongban_domain::indicators::rollup`)
//! for one day, centre, department, item, channel and person. The
//! contributions of a step come from one pure function, used both here and
//! in `verify.rs`, so the two can only disagree when a row was lost or
//! changed outside the writer — which `tongban kpi verify` reports.

mod drill;
mod months;
mod query;
mod reports;
mod verify;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use sea_orm::prelude::async_trait::async_trait;
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::CaseState;
use tongban_domain::clock::ClockEvent;
use tongban_domain::indicators::rollup::{StepFact, contributions};

use crate::Result;
use crate::WriteTxn;
use crate::cases::{CaseObserver, Effects, StepEvent};
use crate::sql::{exec, rows};

pub use drill::{DrillCase, DrillPage, DrillWhat};
pub use reports::StoredReport;
pub use verify::Difference;

/// One rollup row's key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RollupKey {
    pub day: NaiveDate,
    pub centre_id: i64,
    pub department_id: i64,
    pub impl_code: String,
    pub channel: String,
    /// Who took the step; 0 for the system and for the applicant.
    pub person_id: i64,
    pub metric: String,
}

impl RollupKey {
    /// The row's values in the order of [`ROLLUP_COLS`], with amount `n`.
    pub(crate) fn values(&self, n: i64) -> [sea_orm::Value; 8] {
        [
            self.day.to_string().into(),
            self.centre_id.into(),
            self.department_id.into(),
            self.impl_code.clone().into(),
            self.channel.clone().into(),
            self.person_id.into(),
            self.metric.clone().into(),
            n.into(),
        ]
    }
}

/// The rollups' columns, in the order of [`RollupKey::values`].
pub(crate) const ROLLUP_COLS: &[&str] = &[
    "day",
    "centre_id",
    "department_id",
    "impl_code",
    "channel",
    "person_id",
    "metric",
    "value",
];

/// Rollup amounts by key.
pub type Rollups = BTreeMap<RollupKey, i64>;

/// What a case is counted under.
pub(crate) struct CaseDims<'a> {
    pub centre_id: i64,
    pub department_id: i64,
    pub impl_code: &'a str,
    pub channel: &'a str,
    /// The applicant's account: their own steps count under no person (the
    /// person breakdown is of staff).
    pub applicant: Option<i64>,
}

/// Adds one step's contributions to `out`.
pub(crate) fn add_step(
    out: &mut Rollups,
    dims: &CaseDims<'_>,
    person: Option<i64>,
    fact: &StepFact<'_>,
    cal: &WorkCalendar,
) {
    for (m, v) in contributions(fact, cal) {
        let key = RollupKey {
            day: fact.day,
            centre_id: dims.centre_id,
            department_id: dims.department_id,
            impl_code: dims.impl_code.to_string(),
            channel: dims.channel.to_string(),
            person_id: person.filter(|p| Some(*p) != dims.applicant).unwrap_or(0),
            metric: m.name(),
        };
        *out.entry(key).or_insert(0) += v;
    }
}

/// Keeps the indicator rollups as cases move.
pub struct KpiRollups;

#[async_trait]
impl CaseObserver for KpiRollups {
    fn name(&self) -> &'static str {
        "indicators"
    }

    async fn observe(&self, txn: &WriteTxn, steps: &[StepEvent], _fx: &mut Effects) -> Result<()> {
        let mut out = Rollups::new();
        for s in steps {
            add_event(&mut out, s);
        }
        add(txn, &out).await?;
        // A step counted on a day of a month already summed (written late).
        months::add_past(txn, &out, crate::shanghai_today()).await
    }
}

/// Adds one step's contributions to `out`, as the observer counts it (also
/// used by the demo generator, which plans steps without the writer).
pub(crate) fn add_event(out: &mut Rollups, s: &StepEvent) {
    let c = &s.case;
    let channel = c.channel.as_str();
    let fact = StepFact {
        action: &s.action,
        from: s.from,
        to: c.state,
        by_system: s.actor.is_none(),
        at_window: channel == "window",
        delivery: s
            .details
            .get("method")
            .and_then(|m| m.as_str())
            .unwrap_or(""),
        waived: c.waived.len(),
        promised_due: c.promised_due,
        decided_on: c.decided_on,
        clock: &c.clock,
        day: s.today,
    };
    let dims = CaseDims {
        centre_id: c.centre_id,
        department_id: c.lead_department_id,
        impl_code: &c.impl_code,
        channel,
        applicant: c.applicant_user_id,
    };
    add_step(out, &dims, s.actor, &fact, &s.calendar);
}

/// Adds amounts to the stored rollups (rows made as needed). Keys go in
/// order, so two instances adding to the same rows never deadlock.
pub(crate) async fn add(c: &impl ConnectionTrait, r: &Rollups) -> Result<()> {
    const CHUNK: usize = 100;
    let all: Vec<(&RollupKey, &i64)> = r.iter().filter(|(_, v)| **v != 0).collect();
    for chunk in all.chunks(CHUNK) {
        let mut v: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len() * 8);
        for (k, n) in chunk {
            v.extend(k.values(**n));
        }
        exec(
            c,
            &format!(
                "INSERT INTO kpi_rollups (day, centre_id, department_id, impl_code, channel, person_id, metric, value) \
                 VALUES {} ON CONFLICT (day, centre_id, department_id, impl_code, channel, person_id, metric) \
                 DO UPDATE SET value = kpi_rollups.value + excluded.value",
                rows(c.get_database_backend(), chunk.len(), 8, "")
            ),
            v,
        )
        .await?;
    }
    Ok(())
}

/// A recorded event as the recomputation reads it.
pub(crate) struct EventRow {
    pub day: NaiveDate,
    pub action: String,
    pub from: CaseState,
    pub to: CaseState,
    pub actor: Option<i64>,
    pub method: String,
    pub centre_id: i64,
    pub department_id: i64,
    pub impl_code: String,
    pub channel: String,
    pub applicant: Option<i64>,
    pub waived: usize,
    pub promised_due: Option<NaiveDate>,
    pub decided_on: Option<NaiveDate>,
    pub clock: std::sync::Arc<Vec<ClockEvent>>,
}

impl EventRow {
    pub(crate) fn add_to(&self, out: &mut Rollups, cal: &WorkCalendar) {
        let fact = StepFact {
            action: &self.action,
            from: self.from,
            to: self.to,
            by_system: self.actor.is_none(),
            at_window: self.channel == "window",
            delivery: &self.method,
            waived: self.waived,
            promised_due: self.promised_due,
            decided_on: self.decided_on,
            clock: &self.clock,
            day: self.day,
        };
        let dims = CaseDims {
            centre_id: self.centre_id,
            department_id: self.department_id,
            impl_code: &self.impl_code,
            channel: &self.channel,
            applicant: self.applicant,
        };
        add_step(out, &dims, self.actor, &fact, cal);
    }
}
