//! Work lists: an applicant's cases, the window's intake queue, a
//! department's inbox (most urgent first) or the supervisor's open cases.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use tongban_domain::FieldError;
use tongban_domain::auth::{Actor, Role};
use tongban_domain::case::{self, CaseState};
use tongban_store::StoreError;
use tongban_store::cases::CaseListRow;

use super::views::state_label;
use crate::AppState;
use crate::chrome::{Chrome, Page, signed_in, store_err};

pub(super) async fn list_for(
    s: &AppState,
    actor: &Actor,
    view: Option<&str>,
) -> Result<Vec<CaseListRow>, StoreError> {
    let cal = s.calendar();
    let today = s.today();
    let view = view.unwrap_or(match actor.role {
        Role::Applicant => "mine",
        Role::Clerk => "intake",
        Role::Supervisor => "supervised",
        _ => "inbox",
    });
    match view {
        "mine" => s.store.my_cases(actor, &cal, today).await,
        "intake" => s.store.intake_queue(actor, &cal, today).await,
        "supervised" => s.store.supervised_cases(actor, &cal, today).await,
        "inbox" => s.store.inbox(actor, &cal, today).await,
        _ => Err(StoreError::Invalid(
            FieldError::new(
                "view",
                "invalid",
                "列表类型应为mine、intake、inbox或supervised",
                "view must be mine, intake, inbox or supervised",
            )
            .into(),
        )),
    }
}

struct RowView {
    id: i64,
    case_no: String,
    item_name: String,
    applicant: String,
    state: String,
    received_on: String,
    promised_due: String,
    days_left: String,
    warning: &'static str,
    /// The warning in words (urgency is never shown by colour alone).
    warning_text: &'static str,
    /// The green channel's mark (e.g. 重点项目): such rows come first.
    priority: String,
}

/// One table of the work page.
struct Group {
    id: &'static str,
    title: String,
    rows: Vec<RowView>,
}

#[derive(Template, WebTemplate)]
#[template(path = "cases/work.html")]
struct WorkPage {
    c: Chrome,
    title: String,
    intro: String,
    groups: Vec<Group>,
    clerk: bool,
}

pub(super) async fn work_page(State(s): State<AppState>, page: Page) -> Result<Response, Response> {
    let actor = signed_in(&page)?.clone();
    let lang = page.lang;
    let rows = list_for(&s, &actor, None)
        .await
        .map_err(|e| store_err(&page, e))?;
    let (title, intro) = match actor.role {
        Role::Applicant => (
            lang.t("我的办件", "My applications"),
            lang.t("您提交的全部申请及其办理进度。", "Everything you applied for and where it stands."),
        ),
        Role::Clerk => (
            lang.t("窗口受理", "Window intake"),
            lang.t(
                "待受理的申请，按收到时间排列。收到材料后5个工作日内须作出受理、补正或不予受理。",
                "Applications waiting for intake, oldest first. Accept, ask for corrections or refuse within 5 working days of receipt.",
            ),
        ),
        Role::Supervisor => (
            lang.t("在办案件监察", "Open cases"),
            lang.t("本中心及下级中心的在办案件，按剩余工作日排列。", "Open cases of this centre and the centres below it, most urgent first."),
        ),
        _ => (
            lang.t("部门待办", "Department inbox"),
            lang.t("本部门待办案件，按剩余工作日排列，最紧急的在前。", "Your department's cases, the fewest working days left first."),
        ),
    };
    let cal = s.calendar();
    let today = s.today();
    let head = actor.role == Role::Head;
    let (mut deciding, mut others) = (Vec::new(), Vec::new());
    for r in rows {
        // Before acceptance the window's 5 working days run, not the promise.
        let intake_due = (r.state == CaseState::Submitted)
            .then(|| {
                r.received_on
                    .and_then(|d| cal.add_workdays(d, case::INTAKE_DAYS).ok())
            })
            .flatten();
        let days_left = match intake_due {
            Some(due) => cal.workdays_between(today, due).ok(),
            None => r.days_left,
        };
        let (warning, warning_text) = match days_left {
            Some(d) if d < 0 => ("red", lang.t("已超期", "overdue")),
            Some(d) if d <= i64::from(s.config.warning_rule.days_left) => {
                ("yellow", lang.t("即将到期", "due soon"))
            }
            Some(_) => ("green", ""),
            None => ("", ""),
        };
        let due = match intake_due {
            Some(d) => format!(
                "{}{}",
                lang.t("受理期限 ", "intake by "),
                crate::chrome::fmt_due(&cal, d, lang)
            ),
            None => r
                .promised_due
                .map(|d| crate::chrome::fmt_due(&cal, d, lang))
                .unwrap_or_default(),
        };
        let row = RowView {
            id: r.id,
            case_no: r.case_no,
            item_name: r.item_name,
            applicant: r.applicant,
            state: state_label(r.state, lang),
            received_on: r.received_on.map(|d| d.to_string()).unwrap_or_default(),
            promised_due: due,
            days_left: days_left.map(|d| d.to_string()).unwrap_or_default(),
            warning,
            warning_text,
            priority: r.priority.unwrap_or_default(),
        };
        if head && r.state == CaseState::Decision {
            deciding.push(row);
        } else {
            others.push(row);
        }
    }
    // The head decides: what waits for their decision comes apart from
    // what their department still reviews.
    let groups = if head {
        vec![
            Group {
                id: "deciding",
                title: lang.t("待我决定", "Waiting for my decision").into(),
                rows: deciding,
            },
            Group {
                id: "cases",
                title: lang
                    .t(
                        "本部门在办（审查中、中止等）",
                        "In the department (under review, suspended …)",
                    )
                    .into(),
                rows: others,
            },
        ]
    } else {
        vec![Group {
            id: "cases",
            title: String::new(),
            rows: others,
        }]
    };
    Ok(WorkPage {
        c: page.chrome(),
        title: title.into(),
        intro: intro.into(),
        groups,
        clerk: actor.role == Role::Clerk,
    }
    .into_response())
}
