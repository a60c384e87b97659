//! The cases behind a number: the same conditions the rollups count by,
//! as a list paged by case id (keyset), with what explains the number —
//! for 超期 the promised date, the days over and who holds the case now.

use chrono::NaiveDate;
use serde::Serialize;
use tongban_domain::indicators::values::Scope;

use super::query::scope_sql;
use crate::sql::{date_col, get, query};
use crate::{Result, Store};

/// Cases on one drill-down page.
pub const DRILL_PAGE: i64 = 50;

/// Which cases a number counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrillWhat {
    Submitted,
    Accepted,
    NotAccepted,
    Decided,
    DecidedByRules,
    /// 即办: decided on the day of acceptance.
    DecidedSameDay,
    Completed,
    CompletedOnTime,
    CompletedLate,
    /// 超期: completed late in the period, and (when asked as of a day)
    /// open past the promised date.
    Overdue,
}

impl DrillWhat {
    pub fn parse(s: &str) -> Option<DrillWhat> {
        Some(match s {
            "submitted" => DrillWhat::Submitted,
            "accepted" => DrillWhat::Accepted,
            "not_accepted" => DrillWhat::NotAccepted,
            "decided" => DrillWhat::Decided,
            "decided_by_rules" => DrillWhat::DecidedByRules,
            "decided_same_day" => DrillWhat::DecidedSameDay,
            "completed" => DrillWhat::Completed,
            "completed_on_time" => DrillWhat::CompletedOnTime,
            "completed_late" => DrillWhat::CompletedLate,
            "overdue" => DrillWhat::Overdue,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DrillWhat::Submitted => "submitted",
            DrillWhat::Accepted => "accepted",
            DrillWhat::NotAccepted => "not_accepted",
            DrillWhat::Decided => "decided",
            DrillWhat::DecidedByRules => "decided_by_rules",
            DrillWhat::DecidedSameDay => "decided_same_day",
            DrillWhat::Completed => "completed",
            DrillWhat::CompletedOnTime => "completed_on_time",
            DrillWhat::CompletedLate => "completed_late",
            DrillWhat::Overdue => "overdue",
        }
    }

    /// The event condition (over `e`, the case `t`).
    fn event_sql(self) -> &'static str {
        const DONE: &str = "e.to_state = 'completed' AND e.from_state <> 'completed' AND t.accepted_on IS NOT NULL";
        match self {
            DrillWhat::Submitted => "e.action = 'submit'",
            DrillWhat::Accepted => "e.action IN ('accept', 'deemed_accepted')",
            DrillWhat::NotAccepted => "e.action = 'refuse'",
            DrillWhat::Decided => "e.action = 'decide'",
            DrillWhat::DecidedByRules => "e.action = 'decide' AND e.actor_id IS NULL",
            DrillWhat::DecidedSameDay => "e.action = 'decide' AND t.decided_on = t.accepted_on",
            DrillWhat::Completed => DONE,
            DrillWhat::CompletedOnTime => {
                "e.to_state = 'completed' AND e.from_state <> 'completed' AND t.accepted_on IS NOT NULL \
                 AND COALESCE(t.decided_on, e.day) <= t.promised_due"
            }
            DrillWhat::CompletedLate | DrillWhat::Overdue => {
                "e.to_state = 'completed' AND e.from_state <> 'completed' AND t.accepted_on IS NOT NULL \
                 AND COALESCE(t.decided_on, e.day) > t.promised_due"
            }
        }
    }
}

/// One case behind a number (personal data as stored: the caller masks).
#[derive(Debug, Clone, Serialize)]
pub struct DrillCase {
    pub id: i64,
    pub case_no: String,
    pub item_name: String,
    pub department_id: i64,
    pub channel: String,
    pub state: String,
    pub applicant_name: String,
    pub accepted_on: Option<NaiveDate>,
    pub promised_due: Option<NaiveDate>,
    pub decided_on: Option<NaiveDate>,
    /// The departments whose review is pending (who holds it now).
    pub holders: Vec<i64>,
}

/// A page of cases and where the next one starts.
#[derive(Debug, Clone, Serialize)]
pub struct DrillPage {
    pub cases: Vec<DrillCase>,
    /// The `after` of the next page; `None` on the last.
    pub next: Option<i64>,
}

impl Store {
    /// The cases `what` counts for `scope` over `from..=to` (with `person`:
    /// the steps that person took; 0 for the system), after case id
    /// `after`, in id order. `open_as_of`: 超期 also lists the cases open
    /// past their promise on that day.
    #[allow(clippy::too_many_arguments)]
    pub async fn kpi_cases(
        &self,
        scope: &Scope,
        what: DrillWhat,
        from: NaiveDate,
        to: NaiveDate,
        person: Option<i64>,
        open_as_of: Option<NaiveDate>,
        after: i64,
    ) -> Result<DrillPage> {
        let mut v: Vec<sea_orm::Value> =
            vec![from.to_string().into(), to.to_string().into(), after.into()];
        let cond = scope_sql(scope, &mut v, "lead_department_id");
        let by = match person {
            Some(0) => " AND e.actor_id IS NULL".to_string(),
            Some(p) => {
                v.push(p.into());
                format!(" AND e.actor_id = ${}", v.len())
            }
            None => String::new(),
        };
        // A short period's events find the cases (an index on the events'
        // day and action); over a long one, where a page's cases come
        // early, the cases are walked in id order and each one's events
        // checked (the events' case index), stopping at a page. (Real case
        // ids follow time: a long period well before the newest cases finds
        // its first page late in the walk on SQLite; bounding the walk by
        // the period's first and last case cost more than it saved at a
        // million cases.)
        let mut which = if (to - from).num_days() <= 31 {
            format!(
                "t.id IN (SELECT e.case_id FROM case_events e JOIN cases t ON t.id = e.case_id \
                 WHERE e.day >= $1 AND e.day <= $2 AND e.case_id > $3 AND {}{by})",
                what.event_sql()
            )
        } else {
            format!(
                "EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = t.id \
                 AND e.day >= $1 AND e.day <= $2 AND {}{by})",
                what.event_sql()
            )
        };
        if what == DrillWhat::Overdue
            && let Some(day) = open_as_of
            && person.is_none()
        {
            v.push(day.to_string().into());
            which = format!(
                "({which} OR (t.state IN ('review', 'decision') AND t.promised_due < ${}))",
                v.len()
            );
        }
        v.push((DRILL_PAGE + 1).into());
        let limit = v.len();
        let rows = query(
            self.read_conn(),
            &format!(
                "SELECT t.id, t.case_no, t.item_name, t.lead_department_id, t.channel, t.state, t.applicant_name, \
                 t.accepted_on, t.promised_due, t.decided_on, t.tasks FROM cases t \
                 WHERE t.id > $3{cond} AND {which} ORDER BY t.id LIMIT ${limit}"
            ),
            v,
        )
        .await?;
        let mut cases = Vec::with_capacity(rows.len());
        for r in rows.iter().take(DRILL_PAGE as usize) {
            let tasks: Vec<tongban_domain::case::ReviewTask> = crate::sql::json_col(r, "tasks")?;
            cases.push(DrillCase {
                id: get(r, "id")?,
                case_no: get(r, "case_no")?,
                item_name: get(r, "item_name")?,
                department_id: get(r, "lead_department_id")?,
                channel: get(r, "channel")?,
                state: get(r, "state")?,
                applicant_name: get(r, "applicant_name")?,
                accepted_on: date_col(r, "accepted_on")?,
                promised_due: date_col(r, "promised_due")?,
                decided_on: date_col(r, "decided_on")?,
                holders: tasks
                    .iter()
                    .filter(|t| t.status == tongban_domain::case::TaskStatus::Active)
                    .map(|t| t.department_id)
                    .collect(),
            });
        }
        let next = (rows.len() as i64 > DRILL_PAGE)
            .then(|| cases.last().map(|c| c.id))
            .flatten();
        Ok(DrillPage { cases, next })
    }
}
