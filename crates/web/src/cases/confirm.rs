//! What the one who acted is told: the confirmation page after submitting
//! an application (its number, the code of the progress lookup, what
//! happens next and by when), and the message on the case page after any
//! other action, saying what was done.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use tongban_domain::case::CaseState;

use crate::AppState;
use crate::chrome::{Chrome, Page, signed_in, store_err};
use crate::http::Lang;

#[derive(Template, WebTemplate)]
#[template(path = "cases/submitted.html")]
struct SubmittedPage {
    c: Chrome,
    id: i64,
    case_no: String,
    item_name: String,
    department: String,
    verify_code: String,
    promised: String,
    legal: String,
    /// Still waiting at the window (not yet accepted, e.g. by 秒批).
    waiting: bool,
    state: String,
}

/// `GET /cases/{id}/submitted`: the confirmation of a submitted application.
pub(super) async fn submitted_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?.clone();
    let r = s
        .store
        .case_for(&actor, id)
        .await
        .map_err(|e| store_err(&page, e))?;
    let lang = page.lang;
    let limit = |l: &Option<tongban_domain::catalog::TimeLimit>| {
        l.as_ref()
            .map(|l| match lang {
                Lang::Zh => l.zh(),
                Lang::En => l.en(),
            })
            .unwrap_or_default()
    };
    Ok(SubmittedPage {
        c: page.chrome(),
        id,
        case_no: r.case.case_no.clone(),
        item_name: r.case.item_name.clone(),
        department: r.case.lead_department_name.clone(),
        verify_code: r.case.verify_code.clone(),
        promised: limit(&r.doc.promised_limit),
        legal: limit(&r.doc.legal_limit),
        waiting: r.case.state == CaseState::Submitted,
        state: lang.t(r.case.state.zh(), r.case.state.en()).to_string(),
    }
    .into_response())
}

/// What the case page says after an action (`?done=<action>`).
pub(super) fn done_message(action: &str, lang: Lang) -> String {
    let (zh, en) = match action {
        "accept" => (
            "已受理，受理通知书已出具。",
            "Accepted; the acceptance notice is issued.",
        ),
        "request_correction" => (
            "已一次性告知需补正的材料，申请人已收到通知。",
            "The applicant is told, once, everything to correct.",
        ),
        "correct_form" => (
            "申请信息已更正。全部补正完成后，请点击“补正完毕，重新提交”。",
            "Your details are corrected. When everything is done, submit the corrections.",
        ),
        "correct_form_window" => (
            "已录入申请人在窗口更正的申请信息，申请人已收到通知。收齐补正材料后，请点击“窗口已收取补正材料，重新审查”。",
            "The details the applicant corrected are recorded and the applicant is told. Once everything is received, record the corrections as received.",
        ),
        "supply_correction" => (
            "补正材料已提交，等待窗口核对。",
            "Corrections supplied; the window checks them.",
        ),
        "refuse" => (
            "已作出不予受理决定，申请人已收到通知。",
            "Not accepted; the applicant is notified.",
        ),
        "complete_review" => ("审查意见已提交。", "Review opinion recorded."),
        "suspend" => ("已中止计时。", "The clock is suspended."),
        "resume" => ("已恢复计时。", "The clock runs again."),
        "extend" => (
            "已延长办理期限，申请人已收到通知。",
            "The time limit is extended; the applicant is notified.",
        ),
        "decide" => ("决定已作出。", "The decision is made."),
        "issue" => ("证照已颁发。", "The licence is issued."),
        "deliver" => ("已送达，办件办结。", "Delivered; the case is complete."),
        "withdraw" => ("申请已撤回。", "The application is withdrawn."),
        _ => ("已办理。", "Done."),
    };
    lang.t(zh, en).to_string()
}
