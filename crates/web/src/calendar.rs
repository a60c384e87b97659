//! The working-day calendar over HTTP: public queries, and the system
//! admin's entry of a year's State Council notice (API and page).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tongban_domain::calendar::{CalendarError, ScheduleDay, YearSchedule, parse_schedules};
use tongban_domain::{FieldError, FieldErrors};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::http::{ApiError, ApiUser, Lang};
use crate::pages::Page;
use crate::views::Chrome;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/calendar", get(calendar_info))
        .route("/api/v1/calendar/days/{date}", get(day))
        .route("/api/v1/calendar/add-workdays", get(add_workdays))
        .route("/api/v1/calendar/workdays", get(workdays))
        .route(
            "/api/v1/admin/calendar/years/{year}",
            axum::routing::put(put_year),
        )
        .route("/admin/calendar", get(calendar_page).post(calendar_post))
}

fn missing(e: CalendarError, lang: Lang) -> ApiError {
    match e {
        CalendarError::MissingYear(y) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "calendar_year_missing",
            format!("尚未录入{y}年的节假日安排"),
            format!("the holiday schedule for {y} has not been entered"),
        ),
        other => ApiError::internal(other),
    }
    .in_lang(lang)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarInfo {
    /// Years whose schedule is known (shipped or entered).
    pub covered_years: Vec<i32>,
    /// Years entered by an admin (they override the shipped schedule).
    pub entered_years: Vec<i32>,
}

/// Which years the calendar covers.
#[utoipa::path(get, path = "/api/v1/calendar", responses((status = 200, body = CalendarInfo)))]
pub async fn calendar_info(State(s): State<AppState>) -> Result<Json<CalendarInfo>, ApiError> {
    let entered = s.store.calendar_years().await?;
    Ok(Json(CalendarInfo {
        covered_years: s.calendar().covered_years().collect(),
        entered_years: entered.iter().map(|y| y.year).collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DayView {
    pub date: NaiveDate,
    pub workday: bool,
    /// The notice's name for the day (holiday or 调休), if listed.
    pub name: Option<String>,
}

/// Whether a date is a working day.
#[utoipa::path(get, path = "/api/v1/calendar/days/{date}", params(("date" = String, Path, description = "YYYY-MM-DD")),
    responses((status = 200, body = DayView), (status = 422, body = crate::http::ErrorBody)))]
pub async fn day(
    State(s): State<AppState>,
    lang: Lang,
    Path(date): Path<NaiveDate>,
) -> Result<Json<DayView>, ApiError> {
    let cal = s.calendar();
    let workday = cal.is_workday(date).map_err(|e| missing(e, lang))?;
    Ok(Json(DayView {
        date,
        workday,
        name: cal.day_name(date).map(String::from),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AddParams {
    pub date: NaiveDate,
    /// Working days to add (the date itself is not counted).
    pub n: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DateResult {
    pub date: NaiveDate,
}

/// The date N working days after a date.
#[utoipa::path(get, path = "/api/v1/calendar/add-workdays", params(AddParams),
    responses((status = 200, body = DateResult), (status = 422, body = crate::http::ErrorBody)))]
pub async fn add_workdays(
    State(s): State<AppState>,
    lang: Lang,
    Query(p): Query<AddParams>,
) -> Result<Json<DateResult>, ApiError> {
    let date = s
        .calendar()
        .add_workdays(p.date, p.n)
        .map_err(|e| missing(e, lang))?;
    Ok(Json(DateResult { date }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CountParams {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CountResult {
    /// Working days in (from, to].
    pub workdays: i64,
}

/// The number of working days in (from, to].
#[utoipa::path(get, path = "/api/v1/calendar/workdays", params(CountParams),
    responses((status = 200, body = CountResult), (status = 422, body = crate::http::ErrorBody)))]
pub async fn workdays(
    State(s): State<AppState>,
    lang: Lang,
    Query(p): Query<CountParams>,
) -> Result<Json<CountResult>, ApiError> {
    let n = s
        .calendar()
        .workdays_between(p.from, p.to)
        .map_err(|e| missing(e, lang))?;
    Ok(Json(CountResult { workdays: n }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct YearRequest {
    /// Where it comes from (the notice's number or address).
    #[serde(default)]
    pub source: String,
    /// Days off and 调休 working days listed by the notice.
    #[schema(value_type = Vec<Object>)]
    pub days: Vec<ScheduleDay>,
}

/// Enter (or replace) a year's notice (system admin).
#[utoipa::path(put, path = "/api/v1/admin/calendar/years/{year}", params(("year" = i32, Path)), request_body = YearRequest,
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
    s.store.put_calendar_year(&y, Some(actor.user_id)).await?;
    s.refresh_calendar().await.map_err(ApiError::internal)?;
    calendar_info(State(s)).await
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_calendar.html")]
struct CalendarPage {
    c: Chrome,
    errors: Vec<FieldError>,
    notice: String,
    /// (year, shipped or entered)
    years: Vec<(i32, String)>,
    can_edit: bool,
    year: String,
    source: String,
    days: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CalendarForm {
    csrf: String,
    year: String,
    source: String,
    days: String,
}

async fn render(
    s: &AppState,
    page: &Page,
    f: CalendarForm,
    errors: Vec<FieldError>,
    notice: String,
) -> Result<Response, Response> {
    let (_, actor) = page.staff()?;
    let entered: Vec<i32> = s
        .store
        .calendar_years()
        .await
        .map_err(|e| page.error(e.into()))?
        .iter()
        .map(|y| y.year)
        .collect();
    let lang = page.lang;
    let years = s
        .calendar()
        .covered_years()
        .map(|y| {
            let how = if entered.contains(&y) {
                lang.t("管理员录入", "entered")
            } else {
                lang.t("随产品发布", "shipped")
            };
            (y, how.to_string())
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        CalendarPage {
            c: page.chrome(),
            can_edit: actor.may_administer_system().is_ok(),
            errors,
            notice,
            years,
            year: f.year,
            source: f.source,
            days: f.days,
        },
    )
        .into_response())
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    saved: Option<i32>,
}

async fn calendar_page(
    State(s): State<AppState>,
    page: Page,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, Response> {
    let notice = match q.saved {
        Some(y) => format!(
            "{}{y}",
            page.lang.t("已保存节假日安排：", "Schedule saved: ")
        ),
        None => String::new(),
    };
    render(&s, &page, CalendarForm::default(), vec![], notice).await
}

async fn calendar_post(
    State(s): State<AppState>,
    page: Page,
    Form(f): Form<CalendarForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    if let Err(d) = actor.may_administer_system() {
        return Err(page.error(d.into()));
    }
    let uid = actor.user_id;
    let year: i32 = match f.year.trim().parse() {
        Ok(y) => y,
        Err(_) => {
            let e = FieldError::new(
                "year",
                "not_a_number",
                "请填写四位年份",
                "enter a four-digit year",
            );
            return render(&s, &page, f, vec![e], String::new()).await;
        }
    };
    let text = format!("year {year} {}\n{}", f.source.trim(), f.days);
    let parsed = match parse_schedules(&text) {
        Ok(mut v) if v.len() == 1 => v.remove(0),
        Ok(_) => {
            let e = FieldError::new(
                "days",
                "year_line",
                "请不要在日期中再写year行",
                "do not add `year` lines to the days",
            );
            return render(&s, &page, f, vec![e], String::new()).await;
        }
        Err(e) => {
            // Line numbers count the generated `year` line; report them as the user typed them.
            let msg = match &e {
                CalendarError::Parse { line, reason } => {
                    format!("{}: {reason}", line.saturating_sub(1))
                }
                other => other.to_string(),
            };
            let fe = FieldError::new("days", "parse", format!("第{msg}"), format!("line {msg}"));
            return render(&s, &page, f, vec![fe], String::new()).await;
        }
    };
    match s.store.put_calendar_year(&parsed, Some(uid)).await {
        Ok(()) => {
            let _ = s.refresh_calendar().await;
            Ok(Redirect::to(&format!("/admin/calendar?saved={year}")).into_response())
        }
        Err(tongban_store::StoreError::Invalid(FieldErrors(errs))) => {
            render(&s, &page, f, errs, String::new()).await
        }
        Err(e) => Err(page.error(e.into())),
    }
}
