//! The staff's pages: the ratings of their department (or centre), the
//! rectifications they own or watch (the most urgent first), one
//! rectification with the forms its viewer may use, the appeal queue, and
//! the CSV exports.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use tongban_domain::FieldError;
use tongban_domain::auth::{Actor, Role};
use tongban_domain::privacy::Sight;
use tongban_domain::ratings::{AppealGround, RectifyState, Verdict};
use tongban_store::StoreError;
use tongban_store::ratings::{RectificationView, RectifyAction, Subject};

use super::export;
use super::pages::{Given, given};
use crate::AppState;
use crate::chrome::{
    Chrome, Page, csv_download, download, fmt_time, form_value, posted, signed_in, store_err,
};

#[derive(Debug, Default, Deserialize)]
pub(super) struct PeriodForm {
    #[serde(default)]
    from: Option<NaiveDate>,
    #[serde(default)]
    to: Option<NaiveDate>,
}

struct RatingRow {
    day: String,
    link: String,
    subject_no: String,
    item_name: String,
    given: Given,
    bad: bool,
    /// The window clerk who took it in, and the staff whose steps it shows.
    window: String,
    staff: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "ratings/ratings.html")]
struct RatingsPage {
    c: Chrome,
    from: String,
    to: String,
    rows: Vec<RatingRow>,
}

pub(super) async fn ratings_page(
    State(s): State<AppState>,
    page: Page,
    Query(q): Query<PeriodForm>,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?.clone();
    let lang = page.lang;
    let f = super::api::staff_filter(&s, &actor, q.from, q.to, None);
    let list = s
        .store
        .ratings_for(&actor, &f, None, 500)
        .await
        .map_err(|e| store_err(&page, e))?;
    let sight = Sight::of(&actor);
    let ids: Vec<i64> = list
        .iter()
        .flat_map(|(_, i)| i.window_user_id.into_iter().chain(i.staff.iter().copied()))
        .collect();
    let names = s
        .store
        .staff_names(&ids)
        .await
        .map_err(|e| store_err(&page, e))?;
    let name_of = |id: &i64| names.get(id).cloned();
    Ok(RatingsPage {
        c: page.chrome(),
        from: f.from.to_string(),
        to: f.to.to_string(),
        rows: list
            .iter()
            .map(|(r, i)| {
                let mut g = given(r, lang);
                g.comment = sight.free_text(&g.comment);
                RatingRow {
                    day: r.rated_on.to_string(),
                    link: match i.subject {
                        Subject::Case => format!("/cases/{}", i.subject_id),
                        Subject::Bundle => format!("/bundle-cases/{}", i.subject_id),
                    },
                    subject_no: i.subject_no.clone(),
                    item_name: i.item_name.clone(),
                    bad: r.level.is_bad(),
                    window: i
                        .window_user_id
                        .as_ref()
                        .and_then(name_of)
                        .unwrap_or_default(),
                    staff: i
                        .staff
                        .iter()
                        .filter_map(name_of)
                        .collect::<Vec<_>>()
                        .join("、"),
                    given: g,
                }
            })
            .collect(),
    }
    .into_response())
}

pub(super) async fn ratings_csv_page(
    State(s): State<AppState>,
    page: Page,
    Query(q): Query<PeriodForm>,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?.clone();
    let f = super::api::staff_filter(&s, &actor, q.from, q.to, None);
    let rows = s
        .store
        .ratings_export(&actor, &f)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(csv_download("ratings.csv", export::ratings_csv(&rows)))
}

pub(super) async fn rectifications_csv_page(
    State(s): State<AppState>,
    page: Page,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?.clone();
    let list = s
        .store
        .rectifications_export(&actor)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(csv_download(
        "rectifications.csv",
        export::rectifications_csv(&list),
    ))
}

struct RectRow {
    id: i64,
    state: String,
    state_key: &'static str,
    due: String,
    /// yellow, red or empty.
    urgency: &'static str,
    urgency_label: String,
    item_name: String,
    subject_no: String,
    level: String,
    reasons: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "ratings/rectifications.html")]
struct RectificationsPage {
    c: Chrome,
    title: String,
    all: bool,
    appeals: bool,
    rows: Vec<RectRow>,
}

fn urgency(s: &AppState, r: &RectificationView) -> (&'static str, &'static str, &'static str) {
    let Some(due) = r.next_due() else {
        return ("", "", "");
    };
    let today = s.today();
    if today > due {
        ("red", "已超期", "overdue")
    } else if s
        .calendar()
        .workdays_between(today, due)
        .unwrap_or(i64::MAX)
        <= 1
    {
        ("yellow", "临近期限", "due soon")
    } else {
        ("", "", "")
    }
}

fn rect_rows(s: &AppState, lang: crate::http::Lang, list: &[RectificationView]) -> Vec<RectRow> {
    list.iter()
        .map(|r| {
            let (u, zh, en) = urgency(s, r);
            RectRow {
                id: r.id,
                state: lang.t(r.state.zh(), r.state.en()).into(),
                state_key: r.state.as_str(),
                due: r.next_due().map(|d| d.to_string()).unwrap_or_default(),
                urgency: u,
                urgency_label: lang.t(zh, en).into(),
                item_name: r.item_name.clone(),
                subject_no: r.subject_no.clone(),
                level: lang.t(r.rating.level.zh(), r.rating.level.en()).into(),
                reasons: given(&r.rating, lang).reasons,
            }
        })
        .collect()
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct AllQuery {
    #[serde(default)]
    all: Option<String>,
}

pub(super) async fn rectifications_page(
    State(s): State<AppState>,
    page: Page,
    Query(q): Query<AllQuery>,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?.clone();
    let all = q.all.is_some();
    let list = s
        .store
        .rectifications_for(&actor, !all)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(RectificationsPage {
        c: page.chrome(),
        title: page.t("差评整改", "Rectifications"),
        all,
        appeals: false,
        rows: rect_rows(&s, page.lang, &list),
    }
    .into_response())
}

pub(super) async fn appeals_page(
    State(s): State<AppState>,
    page: Page,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?.clone();
    let list = s
        .store
        .appeal_queue(&actor)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(RectificationsPage {
        c: page.chrome(),
        title: page.t("差评申诉复核", "Appeals"),
        all: false,
        appeals: true,
        rows: rect_rows(&s, page.lang, &list),
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "ratings/rectification.html")]
struct RectificationPage {
    c: Chrome,
    errors: Vec<FieldError>,
    flash: String,
    id: i64,
    version: i64,
    state: String,
    state_key: &'static str,
    item_name: String,
    subject_no: String,
    case_link: String,
    /// Where the crumb leads: the staff's list, or the applicant's rating page.
    crumb: (String, String),
    rating: Given,
    visit_due: String,
    fix_due: String,
    urgency: &'static str,
    urgency_label: String,
    visit_method: String,
    visit_note: String,
    visited_at: String,
    cause: String,
    measures: String,
    rectified_at: String,
    verified_at: String,
    sent_back_reason: String,
    verdict: String,
    files: Vec<(i64, String, String)>,
    /// (ground, statement, state, decision)
    appeals: Vec<(String, String, String, String)>,
    may_visit: bool,
    may_rectify: bool,
    may_appeal: bool,
    may_verify: bool,
    may_decide: bool,
    may_verdict: bool,
    may_upload: bool,
    grounds: Vec<(&'static str, String)>,
    verdicts: Vec<(&'static str, String)>,
    /// What the forms sent back with errors.
    form: Vec<(String, String)>,
}

impl RectificationPage {
    fn value(&self, k: &str) -> String {
        form_value(&self.form, k)
    }
}

async fn rectification_view(
    s: &AppState,
    page: &Page,
    actor: &Actor,
    id: i64,
    errors: Vec<FieldError>,
    flash: String,
    form: Vec<(String, String)>,
) -> Result<Response, Response> {
    let lang = page.lang;
    let r = s
        .store
        .rectification_for(actor, id)
        .await
        .map_err(|e| store_err(page, e))?;
    let owner = actor
        .may_handle_rectification(&r.centre_path, r.department_id)
        .is_ok();
    let overseer = actor.may_oversee_ratings(&r.centre_path).is_ok();
    let applicant = actor.role == Role::Applicant && r.applicant_user_id == Some(actor.user_id);
    let (u, zh, en) = urgency(s, &r);
    let sight = Sight::of(actor);
    let mut rating = given(&r.rating, lang);
    rating.comment = sight.free_text(&rating.comment);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        RectificationPage {
            c: page.chrome(),
            errors,
            flash,
            id,
            version: r.version,
            state: lang.t(r.state.zh(), r.state.en()).into(),
            state_key: r.state.as_str(),
            item_name: r.item_name.clone(),
            subject_no: r.subject_no.clone(),
            case_link: case_link(&r),
            crumb: if applicant {
                (
                    format!("{}/rate", case_link(&r)),
                    lang.t("我的评价", "My rating").into(),
                )
            } else {
                (
                    "/rectifications".into(),
                    lang.t("差评整改", "Rectifications").into(),
                )
            },
            rating,
            visit_due: r.visit_due.to_string(),
            fix_due: r.fix_due.to_string(),
            urgency: u,
            urgency_label: lang.t(zh, en).into(),
            visit_method: r.visit_method.clone(),
            visit_note: sight.free_text(&r.visit_note),
            visited_at: r.visited_at.map(fmt_time).unwrap_or_default(),
            cause: r.cause.clone(),
            measures: r.measures.clone(),
            rectified_at: r.rectified_at.map(fmt_time).unwrap_or_default(),
            verified_at: r.verified_at.map(fmt_time).unwrap_or_default(),
            sent_back_reason: r.sent_back_reason.clone(),
            verdict: r
                .verdict
                .map(|v| lang.t(v.zh(), v.en()).to_string())
                .unwrap_or_default(),
            files: r.files.clone(),
            appeals: r
                .appeals
                .iter()
                .map(|a| {
                    (
                        lang.t(a.ground.zh(), a.ground.en()).to_string(),
                        a.statement.clone(),
                        lang.t(a.state.zh(), a.state.en()).to_string(),
                        a.decision_reason.clone(),
                    )
                })
                .collect(),
            may_visit: owner && r.state == RectifyState::AwaitingVisit,
            may_rectify: owner && r.state == RectifyState::Visited,
            may_appeal: owner
                && matches!(
                    r.state,
                    RectifyState::AwaitingVisit
                        | RectifyState::Visited
                        | RectifyState::AwaitingVerification
                ),
            may_verify: overseer && r.state == RectifyState::AwaitingVerification,
            may_decide: overseer && r.state == RectifyState::Appealed,
            may_verdict: applicant && r.state == RectifyState::Verified && r.verdict.is_none(),
            may_upload: owner
                && !matches!(r.state, RectifyState::Verified | RectifyState::Excluded),
            grounds: AppealGround::ALL
                .iter()
                .map(|g| (g.as_str(), lang.t(g.zh(), g.en()).to_string()))
                .collect(),
            verdicts: Verdict::ALL
                .iter()
                .map(|v| (v.as_str(), lang.t(v.zh(), v.en()).to_string()))
                .collect(),
            form,
        },
    )
        .into_response())
}

fn case_link(r: &RectificationView) -> String {
    match r.subject {
        Subject::Case => format!("/cases/{}", r.subject_id),
        Subject::Bundle => format!("/bundle-cases/{}", r.subject_id),
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct FlashQuery {
    #[serde(default)]
    done: String,
}

pub(super) async fn rectification_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Query(q): Query<FlashQuery>,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?.clone();
    let flash = match q.done.as_str() {
        "visit" => page.t("回访已记录。", "The return visit is recorded."),
        "rectify" => page.t("整改已提交，等待督查核验。", "Submitted for verification."),
        "verify" => page.t(
            "整改已核验，已请申请人评价整改结果。",
            "Verified; the applicant is asked for their verdict.",
        ),
        "send_back" => page.t("已退回承办单位继续整改。", "Sent back to the unit."),
        "appeal" => page.t(
            "申诉已提交，等待复核。",
            "The appeal is submitted for review.",
        ),
        "decide_appeal" => page.t("复核意见已记录。", "The appeal is decided."),
        "verdict" => page.t("感谢您对整改结果的评价。", "Thank you for your verdict."),
        "file" => page.t("材料已上传。", "The file is uploaded."),
        _ => String::new(),
    };
    rectification_view(&s, &page, &actor, id, vec![], flash, vec![]).await
}

/// One form for every action: `action` says which.
pub(super) async fn rectification_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, Response> {
    let actor = posted(&page, &form_value(&raw, "csrf"))?;
    let get = |k: &str| form_value(&raw, k);
    let action = match get("action").as_str() {
        "visit" => {
            let at = get("at");
            let when = if at.trim().is_empty() {
                None
            } else {
                match chrono::NaiveDateTime::parse_from_str(at.trim(), "%Y-%m-%dT%H:%M") {
                    Ok(t) => Some(t),
                    Err(_) => {
                        let e = FieldError::new(
                            "at",
                            "invalid",
                            "回访时间格式不正确，请按“年-月-日 时:分”填写",
                            "give the visit's time as year-month-day hour:minute",
                        );
                        return rectification_view(
                            &s,
                            &page,
                            &actor,
                            id,
                            vec![e],
                            String::new(),
                            raw,
                        )
                        .await;
                    }
                }
            };
            RectifyAction::Visit {
                method: get("method"),
                note: get("note"),
                at: when,
            }
        }
        "rectify" => RectifyAction::Rectify {
            cause: get("cause"),
            measures: get("measures"),
        },
        "verify" => RectifyAction::Verify,
        "send_back" => RectifyAction::SendBack {
            reason: get("reason"),
        },
        "appeal" => match AppealGround::parse(&get("ground")) {
            Some(ground) => RectifyAction::Appeal {
                ground,
                statement: get("statement"),
            },
            None => {
                let e = FieldError::new(
                    "ground",
                    "required",
                    "请选择申诉理由类别",
                    "choose the ground",
                );
                return rectification_view(&s, &page, &actor, id, vec![e], String::new(), raw)
                    .await;
            }
        },
        "decide_appeal" => match get("upheld").as_str() {
            "yes" | "no" => RectifyAction::DecideAppeal {
                upheld: get("upheld") == "yes",
                reason: get("decision"),
            },
            _ => {
                let e = FieldError::new(
                    "upheld",
                    "required",
                    "请选择复核结论：申诉成立或不成立",
                    "choose the decision: upheld or rejected",
                );
                return rectification_view(&s, &page, &actor, id, vec![e], String::new(), raw)
                    .await;
            }
        },
        "verdict" => match Verdict::parse(&get("verdict")) {
            Some(verdict) => RectifyAction::Verdict { verdict },
            None => {
                let e = FieldError::new(
                    "verdict",
                    "required",
                    "请选择您对整改结果的评价",
                    "choose your verdict",
                );
                return rectification_view(&s, &page, &actor, id, vec![e], String::new(), raw)
                    .await;
            }
        },
        _ => {
            return Err(page.error(crate::http::ApiError::bad_request(
                "表单不完整",
                "the form is malformed",
            )));
        }
    };
    let version = get("version").parse().ok();
    match s
        .store
        .rectification_act(&actor, id, version, &action)
        .await
    {
        Ok(_) => Ok(
            Redirect::to(&format!("/rectifications/{id}?done={}", action.name())).into_response(),
        ),
        Err(StoreError::Invalid(e)) => {
            // The decision's reason is posted as `decision`.
            let errors = e
                .0
                .into_iter()
                .map(|mut x| {
                    if matches!(action, RectifyAction::DecideAppeal { .. }) && x.field == "reason" {
                        x.field = "decision".into();
                    }
                    x
                })
                .collect();
            rectification_view(&s, &page, &actor, id, errors, String::new(), raw).await
        }
        Err(StoreError::Conflict { zh, en }) => {
            let e = FieldError::new("state", "conflict", zh, en);
            rectification_view(&s, &page, &actor, id, vec![e], String::new(), raw).await
        }
        Err(e) => Err(store_err(&page, e)),
    }
}

/// An evidence file for the rectification (or, `appeal=1`, the appeal).
pub(super) async fn rectification_file_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, Response> {
    let form = crate::chrome::read_upload(&page, mp).await?;
    let appeal = form_value(&form.fields, "appeal") == "1";
    let file = (!form.bytes.is_empty()).then(|| (form.name.clone(), form.bytes.clone()));
    let csrf = form.csrf;
    let actor = posted(&page, &csrf)?;
    let Some((name, bytes)) = file else {
        let e = FieldError::new("file", "required", "请选择要上传的文件", "choose a file");
        return rectification_view(&s, &page, &actor, id, vec![e], String::new(), vec![]).await;
    };
    match s
        .store
        .rectification_file(&s.files, &actor, id, appeal, &name, bytes)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/rectifications/{id}?done=file")).into_response()),
        Err(StoreError::Invalid(e)) => {
            rectification_view(&s, &page, &actor, id, e.0, String::new(), vec![]).await
        }
        Err(e) => Err(store_err(&page, e)),
    }
}

pub(super) async fn rectification_download(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?.clone();
    let (name, content_type, bytes) = s
        .store
        .rectification_download(&s.files, &actor, id)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(download(&name, &content_type, bytes))
}
