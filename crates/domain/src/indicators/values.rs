//! The indicators' formulas over named counts (SPEC §8.2): the rollups'
//! sums for a period and scope, and the few counts read when asked (open
//! cases past their promise, ratings, the catalogue's limits).

use std::collections::BTreeMap;

use super::rollup::{HANDLING_CAP, Metric};

/// Named counts for one period and scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals(pub BTreeMap<String, i64>);

/// Counts read when asked, not kept in rollups.
pub mod read {
    /// Open cases past their promised date (at the time of asking).
    pub const OPEN_PAST_PROMISE: &str = "open_past_promise";
    /// Valid ratings (not excluded on appeal, not defaults).
    pub const RATINGS: &str = "ratings";
    /// Valid ratings of 非常满意 or 满意.
    pub const RATINGS_GOOD: &str = "ratings_good";
    /// Default ratings (shown apart).
    pub const RATINGS_DEFAULT: &str = "ratings_default";
    /// Sum of the valid ratings' levels (1–5).
    pub const RATING_LEVELS: &str = "rating_levels";
    /// 差评 (valid).
    pub const BAD: &str = "bad";
    /// 差评 rectified within the limit and verified.
    pub const BAD_FIXED: &str = "bad_fixed";
    /// Real-name 差评.
    pub const BAD_REAL_NAME: &str = "bad_real_name";
    /// Real-name 差评 visited within 1 working day.
    pub const BAD_VISITED: &str = "bad_visited";
    /// Σ legal limits of the published items (working days).
    pub const LEGAL_DAYS: &str = "legal_days";
    /// Σ promised limits of the published items.
    pub const PROMISED_DAYS: &str = "promised_days";
}

impl Totals {
    pub fn get(&self, name: &str) -> i64 {
        self.0.get(name).copied().unwrap_or(0)
    }

    pub fn metric(&self, m: Metric) -> i64 {
        self.get(&m.name())
    }

    pub fn add(&mut self, name: &str, v: i64) {
        *self.0.entry(name.to_string()).or_insert(0) += v;
    }

    /// Adds every count of another scope or period.
    pub fn merge(&mut self, other: &Totals) {
        for (k, v) in &other.0 {
            self.add(k, *v);
        }
    }

    /// The handling-time histogram, shortest first.
    fn handled(&self) -> Vec<(u32, i64)> {
        let mut h: Vec<(u32, i64)> = self
            .0
            .iter()
            .filter_map(|(k, v)| match Metric::parse(k) {
                Some(Metric::Handled(d)) if *v > 0 => Some((d, *v)),
                _ => None,
            })
            .collect();
        h.sort_unstable();
        h
    }
}

/// An indicator's value for one period and scope, with the counts it came
/// from (so a reader can check it).
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    /// The value in the indicator's unit (a share as a percentage);
    /// `None` when nothing was counted (no denominator).
    pub value: Option<f64>,
    /// A second figure where the indicator has one (duration: P90).
    pub second: Option<f64>,
    pub numerator: i64,
    /// What it is divided by (or the count a mean is over).
    pub denominator: i64,
}

fn share(n: i64, d: i64) -> Value {
    Value {
        value: (d > 0).then(|| 100.0 * n as f64 / d as f64),
        second: None,
        numerator: n,
        denominator: d,
    }
}

fn count(n: i64) -> Value {
    Value {
        value: Some(n as f64),
        second: None,
        numerator: n,
        denominator: 1,
    }
}

/// The indicator `id`'s value from `t`; `None` for an indicator the
/// platform does not capture yet (hall tickets, bundle savings).
pub fn value(id: &str, t: &Totals) -> Option<Value> {
    use Metric as M;
    use read::*;
    Some(match id {
        "applications" => count(t.metric(M::Submitted)),
        "acceptance_rate" => share(
            t.metric(M::Accepted),
            t.metric(M::Accepted) + t.metric(M::NotAccepted),
        ),
        "on_time_rate" => share(t.metric(M::CompletedOnTime), t.metric(M::Completed)),
        "overdue" => count(t.get(OPEN_PAST_PROMISE) + t.metric(M::CompletedLate)),
        "duration" => {
            let h = t.handled();
            let n: i64 = h.iter().map(|(_, c)| c).sum();
            let sum: i64 = h.iter().map(|(d, c)| i64::from(*d) * c).sum();
            Value {
                value: (n > 0).then(|| sum as f64 / n as f64),
                second: percentile(&h, n, 90).map(f64::from),
                numerator: sum,
                denominator: n,
            }
        }
        "compression" => share(t.get(LEGAL_DAYS) - t.get(PROMISED_DAYS), t.get(LEGAL_DAYS)),
        "instant_share" => {
            let mut v = share(t.metric(M::DecidedSameDay), t.metric(M::Decided));
            v.second = share(t.metric(M::DecidedByRules), t.metric(M::Decided)).value;
            v
        }
        "online_rate" => share(t.metric(M::NoVisit), t.metric(M::Completed)),
        "one_visit_rate" => share(t.metric(M::AtMostOneVisit), t.metric(M::Completed)),
        "exempted_materials" => count(t.metric(M::Exempted)),
        "satisfaction" => {
            let mut v = share(t.get(RATINGS_GOOD), t.get(RATINGS));
            v.second =
                (t.get(RATINGS) > 0).then(|| t.get(RATING_LEVELS) as f64 / t.get(RATINGS) as f64);
            v
        }
        "bad_fix_rate" => share(t.get(BAD_FIXED), t.get(BAD)),
        "visit_rate" => share(t.get(BAD_VISITED), t.get(BAD_REAL_NAME)),
        _ => return None,
    })
}

/// The smallest value with at least `p`% of the counts at or below it
/// (nearest rank).
fn percentile(h: &[(u32, i64)], n: i64, p: i64) -> Option<u32> {
    if n == 0 {
        return None;
    }
    let rank = (p * n + 99) / 100; // ceil(p·n/100), at least 1
    let mut seen = 0;
    for (d, c) in h {
        seen += c;
        if seen >= rank.max(1) {
            return Some(*d);
        }
    }
    h.last().map(|(d, _)| (*d).min(HANDLING_CAP))
}

/// Which cases a figure is over: a centre and those below it (by the
/// centre's path), optionally one department, item and channel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// The centre's path (`/1/4/`); every centre below it is included.
    pub centre_path: String,
    pub department_id: Option<i64>,
    pub impl_code: Option<String>,
    /// `window` or `online`.
    pub channel: Option<String>,
}

/// What a table of figures is broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dim {
    /// One row: the whole scope.
    Total,
    Centre,
    Department,
    Item,
    /// The person who took the steps (staff; the system is person 0).
    Person,
    Day,
    Month,
}

impl Dim {
    pub fn as_str(self) -> &'static str {
        match self {
            Dim::Total => "total",
            Dim::Centre => "centre",
            Dim::Department => "department",
            Dim::Item => "item",
            Dim::Person => "person",
            Dim::Day => "day",
            Dim::Month => "month",
        }
    }

    pub fn parse(s: &str) -> Option<Dim> {
        [
            Dim::Total,
            Dim::Centre,
            Dim::Department,
            Dim::Item,
            Dim::Person,
            Dim::Day,
            Dim::Month,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }
}
