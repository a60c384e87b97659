//! The calendar's JSON API: which years it covers, whether a date is a
//! working day, working-day arithmetic, and entering a year (system admin).

use crate::http::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tongban_domain::calendar::{CalendarError, ScheduleDay, YearSchedule};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::http::{ApiError, ApiUser};

fn missing(e: CalendarError) -> ApiError {
    match e {
        CalendarError::MissingYear(y) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "calendar_year_missing",
            format!("尚未录入{y}年的节假日安排"),
            format!("the holiday schedule for {y} has not been entered"),
        ),
        other => ApiError::internal(other),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarInfo {
    /// Years whose schedule is known (shipped or entered).
    pub covered_years: Vec<i32>,
    /// Years entered by an admin (they override the shipped schedule).
    pub entered_years: Vec<i32>,
    /// Years after the last notice, counted provisionally (暂定): their
    /// statutory holidays off, no 调休, until their notice is entered.
    pub provisional_years: Vec<i32>,
    /// Cases whose dates the request recomputed (entering a notice only).
    #[schema(required)]
    pub redated_cases: Option<usize>,
}

/// Which years the calendar covers.
#[utoipa::path(get, path = "/api/v1/calendar", tag = "calendar", responses((status = 200, body = CalendarInfo)))]
pub async fn calendar_info(State(s): State<AppState>) -> Result<Json<CalendarInfo>, ApiError> {
    let entered = s.store.calendar_years().await?;
    let cal = s.calendar();
    Ok(Json(CalendarInfo {
        covered_years: cal.covered_years().collect(),
        entered_years: entered.iter().map(|y| y.year).collect(),
        provisional_years: cal.provisional_years().collect(),
        redated_cases: None,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DayView {
    pub date: NaiveDate,
    pub workday: bool,
    /// The notice's name for the day (holiday or 调休), if listed.
    pub name: Option<String>,
    /// In a year without a notice: counted from the statutory holidays alone.
    pub provisional: bool,
}

/// Whether a date is a working day.
#[utoipa::path(get, path = "/api/v1/calendar/days/{date}", tag = "calendar", params(("date" = String, Path, format = Date, description = "YYYY-MM-DD")),
    responses((status = 200, body = DayView), (status = 422, body = crate::http::ErrorBody)))]
pub async fn day(
    State(s): State<AppState>,
    Path(date): Path<NaiveDate>,
) -> Result<Json<DayView>, ApiError> {
    let cal = s.calendar();
    let workday = cal.is_workday(date).map_err(missing)?;
    Ok(Json(DayView {
        date,
        workday,
        name: cal.day_name(date).map(String::from),
        provisional: cal.is_provisional(date),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AddParams {
    pub date: NaiveDate,
    /// Working days to add (the date itself is not counted), 0 to 1000.
    #[param(value_type = u32, minimum = 0, maximum = 1000)]
    pub n: tongban_domain::catalog::DayCount,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DateResult {
    pub date: NaiveDate,
    /// Counted into a year without a notice (暂定).
    pub provisional: bool,
}

/// The date N working days after a date.
#[utoipa::path(get, path = "/api/v1/calendar/add-workdays", tag = "calendar", params(AddParams),
    responses((status = 200, body = DateResult), (status = 422, body = crate::http::ErrorBody)))]
pub async fn add_workdays(
    State(s): State<AppState>,
    Query(p): Query<AddParams>,
) -> Result<Json<DateResult>, ApiError> {
    let cal = s.calendar();
    let date = cal.add_workdays(p.date, p.n.get()).map_err(missing)?;
    Ok(Json(DateResult {
        date,
        provisional: cal.is_provisional(date),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CountParams {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CountResult {
    /// Working days in (from, to].
    pub workdays: i64,
    /// Counted across a year without a notice (暂定).
    pub provisional: bool,
}

/// The number of working days in (from, to].
#[utoipa::path(get, path = "/api/v1/calendar/workdays", tag = "calendar", params(CountParams),
    responses((status = 200, body = CountResult), (status = 422, body = crate::http::ErrorBody)))]
pub async fn workdays(
    State(s): State<AppState>,
    Query(p): Query<CountParams>,
) -> Result<Json<CountResult>, ApiError> {
    let cal = s.calendar();
    let n = cal.workdays_between(p.from, p.to).map_err(missing)?;
    Ok(Json(CountResult {
        workdays: n,
        provisional: cal.is_provisional(p.from) || cal.is_provisional(p.to),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct YearRequest {
    /// Where it comes from (the notice's number or address).
    #[serde(default)]
    pub source: String,
    /// Days off and 调休 working days listed by the notice.
    pub days: Vec<ScheduleDay>,
}

/// Enter (or replace) a year's notice (system admin).
#[utoipa::path(put, path = "/api/v1/admin/calendar/years/{year}", tag = "calendar", security(("session" = [])), params(("year" = i32, Path)), request_body = YearRequest,
    responses((status = 200, body = CalendarInfo), (status = 403, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub async fn put_year(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(year): Path<i32>,
    Json(req): Json<YearRequest>,
) -> Result<Json<CalendarInfo>, ApiError> {
    actor.may_administer_system()?;
    let y = YearSchedule {
        year,
        source: req.source,
        days: req.days,
    };
    let redated = s
        .store
        .put_calendar_year(&y, Some(actor.user_id), s.today())
        .await?;
    s.refresh_calendar().await.map_err(ApiError::internal)?;
    // The figures the notice moves (on-time completions, handling times);
    // `tongban kpi verify` finds any this misses.
    if let Err(e) = s.store.kpi_after_notice(&y, s.today()).await {
        tracing::warn!("indicator rollups not rebuilt after the notice: {e}");
    }
    let Json(mut info) = calendar_info(State(s)).await?;
    info.redated_cases = Some(redated.len());
    Ok(Json(info))
}
