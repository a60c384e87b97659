//! Who sees which figures, over which period: the filters of the
//! dashboard, its API and its exports, and the figures read for them (the
//! case rollups and the rating figures, merged per row).

use std::collections::BTreeMap;

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use tongban_domain::auth::{Actor, Role};
use tongban_domain::indicators::values::{Dim, Scope, Totals, value};
use tongban_domain::indicators::{REGISTRY, Unit};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::http::ApiError;

/// The filters, as a query string gives them.
#[derive(Debug, Clone, Default, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FigureParams {
    /// `day`, `week`, `month` (default), `quarter`, `year` or `custom`.
    #[serde(default)]
    #[param(pattern = "^(|day|week|month|quarter|year|custom)$")]
    pub period: Option<String>,
    /// A day in the period (default today).
    #[serde(default, deserialize_with = "crate::chrome::empty_date_as_none")]
    pub on: Option<NaiveDate>,
    /// First day of a custom period.
    #[serde(default, deserialize_with = "crate::chrome::empty_date_as_none")]
    pub from: Option<NaiveDate>,
    /// Last day of a custom period.
    #[serde(default, deserialize_with = "crate::chrome::empty_date_as_none")]
    pub to: Option<NaiveDate>,
    /// A centre at or below the caller's.
    #[serde(default, deserialize_with = "crate::chrome::empty_as_none")]
    pub centre: Option<i64>,
    #[serde(default, deserialize_with = "crate::chrome::empty_as_none")]
    pub department: Option<i64>,
    /// An item's 实施编码.
    #[serde(default)]
    #[param(max_length = 64)]
    pub item: Option<String>,
    /// `window` or `online`.
    #[serde(default)]
    #[param(pattern = "^(|window|online)$")]
    pub channel: Option<String>,
    /// The breakdown: `total`, `centre`, `department` (default), `item`,
    /// `person`, `day` or `month`.
    #[serde(default)]
    #[param(pattern = "^(|total|centre|department|item|person|day|month)$")]
    pub by: Option<String>,
}

/// A period and the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub kind: &'static str,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub prev_from: NaiveDate,
    pub prev_to: NaiveDate,
}

/// The longest custom period (days).
const MAX_DAYS: i64 = 3 * 366;

fn bad(field: &str, zh: &str, en: &str) -> ApiError {
    ApiError::invalid(tongban_domain::FieldErrors(vec![
        tongban_domain::FieldError::new(field, "invalid", zh, en),
    ]))
}

/// The period the filters name; the previous one is as long, just before.
pub fn period(p: &FigureParams, today: NaiveDate) -> Result<Period, ApiError> {
    let on = p.on.unwrap_or(today);
    // Dates far outside any case are refused rather than overflowing.
    // Dates far outside any case are brought within 1990–2200 (the page
    // shows the period it used) rather than overflowing.
    let lo = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap_or(today);
    let hi = NaiveDate::from_ymd_opt(2200, 12, 31).unwrap_or(today);
    let sane = |d: NaiveDate| d.clamp(lo, hi);
    let on = sane(on);
    let out = || bad("on", "日期超出范围", "the date is out of range");
    let add_m = |d: NaiveDate, n: u32| d.checked_add_months(Months::new(n)).ok_or_else(out);
    let sub_m = |d: NaiveDate, n: u32| d.checked_sub_months(Months::new(n)).ok_or_else(out);
    let add_d = |d: NaiveDate, n: u64| d.checked_add_days(Days::new(n)).ok_or_else(out);
    let sub_d = |d: NaiveDate, n: u64| d.checked_sub_days(Days::new(n)).ok_or_else(out);
    let month_start = |d: NaiveDate| d.with_day(1).unwrap_or(d);
    let kind = match p.period.as_deref() {
        None | Some("") => "month",
        Some(k) => k,
    };
    let (kind, from, to): (&'static str, NaiveDate, NaiveDate) = match kind {
        "day" => ("day", on, on),
        "week" => {
            let from = sub_d(on, u64::from(on.weekday().num_days_from_monday()))?;
            ("week", from, add_d(from, 6)?)
        }
        "month" => {
            let from = month_start(on);
            ("month", from, sub_d(add_m(from, 1)?, 1)?)
        }
        "quarter" => {
            let m0 = (on.month0() / 3) * 3;
            let from = NaiveDate::from_ymd_opt(on.year(), m0 + 1, 1).unwrap_or(on);
            ("quarter", from, sub_d(add_m(from, 3)?, 1)?)
        }
        "year" => {
            let from = NaiveDate::from_ymd_opt(on.year(), 1, 1).unwrap_or(on);
            ("year", from, sub_d(add_m(from, 12)?, 1)?)
        }
        "custom" => {
            // A missing end is `on`; a missing start is 30 days before the
            // end; ends given the wrong way round are swapped; at most three
            // years are shown (the page says which period it used).
            let to = sane(p.to.unwrap_or(on));
            let from = match p.from {
                Some(f) => sane(f),
                None => sub_d(to, 30)?,
            };
            let (from, to) = if to < from { (to, from) } else { (from, to) };
            let to = if (to - from).num_days() >= MAX_DAYS {
                add_d(from, u64::try_from(MAX_DAYS - 1).unwrap_or(0))?
            } else {
                to
            };
            ("custom", from, to)
        }
        _ => {
            return Err(bad(
                "period",
                "期间须为 day、week、month、quarter、year 或 custom",
                "period must be day, week, month, quarter, year or custom",
            ));
        }
    };
    let (prev_from, prev_to) = match kind {
        "month" | "quarter" | "year" => {
            let n = match kind {
                "month" => 1,
                "quarter" => 3,
                _ => 12,
            };
            (sub_m(from, n)?, sub_d(from, 1)?)
        }
        _ => {
            let len = u64::try_from((to - from).num_days() + 1).unwrap_or(1);
            (sub_d(from, len)?, sub_d(from, 1)?)
        }
    };
    Ok(Period {
        kind,
        from,
        to,
        prev_from,
        prev_to,
    })
}

/// The breakdown the filters ask for.
pub fn dim(p: &FigureParams) -> Result<Dim, ApiError> {
    match p.by.as_deref() {
        None | Some("") => Ok(Dim::Department),
        Some(s) => Dim::parse(s).ok_or_else(|| {
            bad(
                "by",
                "分组须为 total、centre、department、item、person、day 或 month",
                "by must be total, centre, department, item, person, day or month",
            )
        }),
    }
}

/// What the caller may see: a supervisor their centre and those below; a
/// department head their department. Anyone else, or a centre or
/// department outside that, is not found.
pub async fn scope(s: &AppState, actor: &Actor, p: &FigureParams) -> Result<Scope, ApiError> {
    let channel = match p.channel.as_deref() {
        None | Some("") => None,
        Some(c @ ("window" | "online")) => Some(c.to_string()),
        Some(_) => {
            return Err(bad(
                "channel",
                "渠道须为 window 或 online",
                "channel must be window or online",
            ));
        }
    };
    let item = p.item.clone().filter(|i| !i.is_empty());
    if item.as_ref().is_some_and(|i| i.len() > 64) {
        return Err(bad("item", "事项编码过长", "the item code is too long"));
    }
    let mut scope = Scope {
        centre_path: actor.centre_path.clone(),
        department_id: None,
        impl_code: item,
        channel,
    };
    match actor.role {
        Role::Supervisor => {}
        Role::Head => {
            let Some(own) = actor.department_id else {
                return Err(ApiError::not_found("indicators"));
            };
            if p.department.is_some_and(|d| d != own)
                || p.centre.is_some_and(|c| c != actor.centre_id)
            {
                return Err(ApiError::not_found("department"));
            }
            scope.department_id = Some(own);
            return Ok(scope);
        }
        _ => return Err(ApiError::not_found("indicators")),
    }
    if let Some(c) = p.centre {
        let centres = s.store.centres().await?;
        let Some(centre) = centres
            .iter()
            .find(|x| x.id == c && x.path.starts_with(&actor.centre_path))
        else {
            return Err(ApiError::not_found("centre"));
        };
        scope.centre_path = centre.path.clone();
    }
    if let Some(d) = p.department {
        let deps = s.store.departments().await?;
        if !deps
            .iter()
            .any(|x| x.id == d && x.centre_path.starts_with(&scope.centre_path))
        {
            return Err(ApiError::not_found("department"));
        }
        scope.department_id = Some(d);
    }
    Ok(scope)
}

/// One indicator's figure.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Figure {
    /// The registry's id.
    pub id: String,
    /// In the indicator's unit (a share in %); absent when nothing counted.
    pub value: Option<f64>,
    /// The second figure where there is one (duration: P90; satisfaction:
    /// mean level; instant: the 秒批 share).
    pub second: Option<f64>,
    pub numerator: i64,
    pub denominator: i64,
}

/// Every indicator the platform captures, from one row's counts.
pub fn figures_of(t: &Totals) -> Vec<Figure> {
    REGISTRY
        .iter()
        .filter_map(|i| {
            value(i.id, t).map(|v| Figure {
                id: i.id.to_string(),
                value: v.value.map(round2),
                second: v.second.map(round2),
                numerator: v.numerator,
                denominator: v.denominator,
            })
        })
        .collect()
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A figure as a cell shows it (`—` when nothing was counted).
pub fn show(unit: Unit, v: Option<f64>) -> String {
    match v {
        None => "—".into(),
        Some(x) => match unit {
            Unit::Share => format!("{x:.1}%"),
            Unit::WorkingDays | Unit::Level | Unit::Minutes => format!("{x:.1}"),
            _ => format!("{}", x.round() as i64),
        },
    }
}

/// The counts of `scope` over `from..=to` by `dim`: the case rollups and
/// the rating figures, merged per row. `open_as_of`: the day open cases
/// past their promise are counted on (the current period only).
pub async fn totals(
    store: &tongban_store::Store,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
    dim: Dim,
    open_as_of: Option<NaiveDate>,
) -> Result<Vec<(String, Totals)>, ApiError> {
    let mut rows: BTreeMap<String, Totals> = BTreeMap::new();
    for (k, t) in store.kpi_figures(scope, from, to, dim, open_as_of).await? {
        rows.entry(k).or_default().merge(&t);
    }
    // Ratings are of the unit that handled the case, not of a channel.
    if scope.channel.is_none() {
        for (k, t) in store.rating_figures(scope, from, to, dim).await? {
            rows.entry(k).or_default().merge(&t);
        }
    }
    if dim == Dim::Total && rows.is_empty() {
        rows.insert(String::new(), Totals::default());
    }
    Ok(rows.into_iter().collect())
}

/// The cases behind a number for the caller's filters (one page after
/// case `after`), and the period they are of.
pub async fn drill_page(
    s: &AppState,
    actor: &Actor,
    p: &FigureParams,
    what: tongban_store::indicators::DrillWhat,
    person: Option<i64>,
    after: i64,
) -> Result<(tongban_store::indicators::DrillPage, Period), ApiError> {
    let today = s.today();
    let per = period(p, today)?;
    let sc = scope(s, actor, p).await?;
    let as_of = open_as_of(per.from, per.to, today);
    let page = s
        .store
        .kpi_cases(&sc, what, per.from, per.to, person, as_of, after)
        .await?;
    Ok((page, per))
}

/// Working days a case went past its promised date: to its decision, or to
/// `today` while undecided.
pub fn days_over(
    c: &tongban_store::indicators::DrillCase,
    today: NaiveDate,
    cal: &tongban_domain::calendar::WorkCalendar,
) -> Option<i64> {
    let end = c.decided_on.unwrap_or(today);
    c.promised_due
        .filter(|due| *due < end)
        .and_then(|due| cal.workdays_between(due, end).ok())
}

/// The day open cases past their promise are counted on: today, when the
/// period holds it.
pub fn open_as_of(from: NaiveDate, to: NaiveDate, today: NaiveDate) -> Option<NaiveDate> {
    (from <= today && today <= to).then_some(today)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn periods_and_the_one_before() {
        let today = d("2026-12-07");
        let p = |k: &str| FigureParams {
            period: Some(k.into()),
            ..Default::default()
        };
        let m = period(&p("month"), today).expect("month");
        assert_eq!((m.from, m.to), (d("2026-12-01"), d("2026-12-31")));
        assert_eq!((m.prev_from, m.prev_to), (d("2026-11-01"), d("2026-11-30")));
        let w = period(&p("week"), today).expect("week");
        assert_eq!(
            (w.from, w.to, w.prev_from),
            (d("2026-12-07"), d("2026-12-13"), d("2026-11-30"))
        );
        let q = period(&p("quarter"), today).expect("quarter");
        assert_eq!(
            (q.from, q.to, q.prev_from),
            (d("2026-10-01"), d("2026-12-31"), d("2026-07-01"))
        );
        let y = period(&p("year"), today).expect("year");
        assert_eq!(
            (y.from, y.to, y.prev_to),
            (d("2026-01-01"), d("2026-12-31"), d("2025-12-31"))
        );
        let mut c = p("custom");
        c.from = Some(d("2026-11-10"));
        c.to = Some(d("2026-11-19"));
        let c = period(&c, today).expect("custom");
        assert_eq!((c.prev_from, c.prev_to), (d("2026-10-31"), d("2026-11-09")));
        let far = FigureParams {
            on: Some(d("9999-01-01")),
            ..p("month")
        };
        let f = period(&far, today).expect("brought within range");
        assert_eq!(f.from, d("2200-12-01"), "clamped, not overflowed");
        let mut back = p("custom");
        back.from = Some(d("2026-11-19"));
        back.to = Some(d("2026-11-10"));
        let b = period(&back, today).expect("swapped");
        assert_eq!((b.from, b.to), (d("2026-11-10"), d("2026-11-19")));
        assert!(period(&p("fortnight"), today).is_err());
    }
}
