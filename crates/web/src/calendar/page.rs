//! The calendar page: the years covered (shipped or entered) and the
//! system admin's form to enter a year's schedule.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_domain::FieldError;
use tongban_domain::FieldErrors;
use tongban_domain::calendar::{CalendarError, parse_schedules};

use crate::AppState;
use crate::chrome::{Chrome, Page};

#[derive(Template, WebTemplate)]
#[template(path = "calendar/admin_calendar.html")]
struct CalendarPage {
    c: Chrome,
    errors: Vec<FieldError>,
    notice: String,
    /// (year, shipped or entered)
    years: Vec<(i32, String)>,
    /// Years counted provisionally, with the statutory days used.
    provisional: Vec<(i32, String)>,
    can_edit: bool,
    year: String,
    source: String,
    days: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct CalendarForm {
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
    let cal = s.calendar();
    let provisional = cal
        .provisional_years()
        .map(|y| {
            let days = tongban_domain::calendar::statutory_holidays(y)
                .map(|v| {
                    v.iter()
                        .map(|(d, n)| format!("{n} {}", d.format("%m-%d")))
                        .collect::<Vec<_>>()
                        .join("、")
                })
                .unwrap_or_default();
            (y, days)
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
            provisional,
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
pub(super) struct NoticeQuery {
    saved: Option<i32>,
    /// Cases whose provisional dates the notice replaced.
    redated: Option<usize>,
}

pub(super) async fn calendar_page(
    State(s): State<AppState>,
    page: Page,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, Response> {
    let notice = match q.saved {
        Some(y) => format!(
            "{}{y}{}",
            page.lang.t("已保存节假日安排：", "Schedule saved: "),
            match q.redated {
                Some(n) if n > 0 => format!(
                    "{}{n}{}",
                    page.lang.t("。已重新计算", ". Dates recomputed for "),
                    page.lang.t(
                        "件办件的期限，并已告知申请人。",
                        " cases; the applicants were told."
                    )
                ),
                _ => String::new(),
            }
        ),
        None => String::new(),
    };
    render(&s, &page, CalendarForm::default(), vec![], notice).await
}

pub(super) async fn calendar_post(
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
    match s
        .store
        .put_calendar_year(&parsed, Some(uid), s.today())
        .await
    {
        Ok(redated) => {
            let _ = s.refresh_calendar().await;
            // The figures the notice moves (on-time completions, handling
            // times); `tongban kpi verify` finds any this misses.
            if let Err(e) = s.store.kpi_after_notice(&parsed, s.today()).await {
                tracing::warn!("indicator rollups not rebuilt after the notice: {e}");
            }
            Ok(Redirect::to(&format!(
                "/admin/calendar?saved={year}&redated={}",
                redated.len()
            ))
            .into_response())
        }
        Err(tongban_store::StoreError::Invalid(FieldErrors(errs))) => {
            render(&s, &page, f, errs, String::new()).await
        }
        Err(e) => Err(page.error(e.into())),
    }
}
