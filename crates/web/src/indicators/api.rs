//! The figures and the cases behind them as JSON, and the tables as files,
//! for the same callers and with the same scope rules as the dashboard.

use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use tongban_domain::privacy::Sight;
use tongban_store::indicators::DrillWhat;
use utoipa::{IntoParams, ToSchema};

use super::figures::{
    Figure, FigureParams, days_over, dim, drill_page, figures_of, open_as_of, period, scope, totals,
};
use crate::AppState;
use crate::http::{ApiError, ApiUser, Json};

/// One row of figures (a department, an item, a day …).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FigureRow {
    /// The row's key: a department or centre id, an item code, a person
    /// id (0: the system), a day or a month; empty for the total.
    pub key: String,
    pub figures: Vec<Figure>,
}

/// The figures of a scope and period, broken down as asked, beside the
/// previous period's totals.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FigureTable {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub previous_from: chrono::NaiveDate,
    pub previous_to: chrono::NaiveDate,
    pub by: String,
    pub rows: Vec<FigureRow>,
    /// The scope's totals of this period and of the previous one.
    pub total: Vec<Figure>,
    pub previous_total: Vec<Figure>,
}

/// The indicators' figures. Supervisors: their centre and those below;
/// department heads: their department; anyone else: 404.
#[utoipa::path(get, path = "/api/v1/indicators/figures", tag = "indicators", security(("session" = [])),
    params(FigureParams),
    responses((status = 200, body = FigureTable), (status = 404, body = crate::http::ErrorBody),
        (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_figures(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Query(p): Query<FigureParams>,
) -> Result<Json<FigureTable>, ApiError> {
    let today = s.today();
    let per = period(&p, today)?;
    let d = dim(&p)?;
    let sc = scope(&s, &actor, &p).await?;
    let as_of = open_as_of(per.from, per.to, today);
    let rows = totals(&s.store, &sc, per.from, per.to, d, as_of).await?;
    let total = totals(
        &s.store,
        &sc,
        per.from,
        per.to,
        tongban_domain::indicators::values::Dim::Total,
        as_of,
    )
    .await?;
    let prev = totals(
        &s.store,
        &sc,
        per.prev_from,
        per.prev_to,
        tongban_domain::indicators::values::Dim::Total,
        None,
    )
    .await?;
    Ok(Json(FigureTable {
        from: per.from,
        to: per.to,
        previous_from: per.prev_from,
        previous_to: per.prev_to,
        by: d.as_str().into(),
        rows: rows
            .iter()
            .map(|(k, t)| FigureRow {
                key: k.clone(),
                figures: figures_of(t),
            })
            .collect(),
        total: total
            .first()
            .map(|(_, t)| figures_of(t))
            .unwrap_or_default(),
        previous_total: prev.first().map(|(_, t)| figures_of(t)).unwrap_or_default(),
    }))
}

/// Which cases, after which one.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DrillQuery {
    /// `submitted`, `accepted`, `not_accepted`, `decided`,
    /// `decided_by_rules`, `completed`, `completed_on_time`,
    /// `completed_late` or `overdue`.
    #[param(
        pattern = "^(submitted|accepted|not_accepted|decided|decided_by_rules|decided_same_day|completed|completed_on_time|completed_late|overdue)$"
    )]
    pub what: String,
    /// The last case id of the previous page.
    #[serde(default)]
    pub after: Option<i64>,
    /// Only the steps this person took (0: the system).
    #[serde(default)]
    pub person: Option<i64>,
}

/// One case behind a number (the applicant's name masked as the caller sees it).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FigureCase {
    pub id: i64,
    pub case_no: String,
    pub item_name: String,
    pub department_id: i64,
    pub channel: String,
    pub state: String,
    pub applicant_name: String,
    pub accepted_on: Option<chrono::NaiveDate>,
    pub promised_due: Option<chrono::NaiveDate>,
    pub decided_on: Option<chrono::NaiveDate>,
    /// Working days past the promised date (to the decision, or today).
    pub days_over: Option<i64>,
    /// Departments whose review is pending.
    pub holders: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FigureCases {
    pub cases: Vec<FigureCase>,
    /// `after` for the next page; absent on the last.
    pub next: Option<i64>,
}

/// The cases a number counts, 50 a page by case id.
#[utoipa::path(get, path = "/api/v1/indicators/cases", tag = "indicators", security(("session" = [])),
    params(DrillQuery, FigureParams),
    responses((status = 200, body = FigureCases), (status = 404, body = crate::http::ErrorBody),
        (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_cases(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Query(q): Query<DrillQuery>,
    Query(p): Query<FigureParams>,
) -> Result<Json<FigureCases>, ApiError> {
    let today = s.today();
    let Some(what) = DrillWhat::parse(&q.what) else {
        return Err(ApiError::invalid(tongban_domain::FieldErrors(vec![
            tongban_domain::FieldError::new("what", "invalid", "未知的指标口径", "unknown figure"),
        ])));
    };
    let (page, _) = drill_page(&s, &actor, &p, what, q.person, q.after.unwrap_or(0)).await?;
    let sight = Sight::of(&actor);
    let cal = s.calendar();
    Ok(Json(FigureCases {
        cases: page
            .cases
            .into_iter()
            .map(|c| FigureCase {
                days_over: days_over(&c, today, &cal),
                applicant_name: sight.name(&c.applicant_name),
                id: c.id,
                case_no: c.case_no,
                item_name: c.item_name,
                department_id: c.department_id,
                channel: c.channel,
                state: c.state,
                accepted_on: c.accepted_on,
                promised_due: c.promised_due,
                decided_on: c.decided_on,
                holders: c.holders,
            })
            .collect(),
        next: page.next,
    }))
}
