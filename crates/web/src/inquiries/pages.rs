//! The inquiry pages: the centre's inquiries with the form to log one, and
//! one inquiry with its history and the hand-over and answer forms.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_domain::FieldError;
use tongban_domain::auth::Actor;
use tongban_store::StoreError;
use tongban_store::inquiries::NewInquiry;

use crate::AppState;
use crate::chrome::{Chrome, Page, fmt_time, store_err};

struct InquiryRow {
    id: i64,
    channel: String,
    subject: String,
    inquirer: String,
    owner: String,
    status: String,
    at: String,
    mine: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "inquiries/inquiries.html")]
struct InquiriesPage {
    c: Chrome,
    rows: Vec<InquiryRow>,
    errors: Vec<FieldError>,
    form: InquiryForm,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct InquiryForm {
    csrf: String,
    channel: String,
    subject: String,
    inquirer: String,
    contact: String,
}

async fn inquiries_view(
    s: &AppState,
    page: &Page,
    actor: &Actor,
    errors: Vec<FieldError>,
    form: InquiryForm,
) -> Result<Response, Response> {
    let lang = page.lang;
    let rows = s
        .store
        .inquiries(actor)
        .await
        .map_err(|e| store_err(page, e))?
        .into_iter()
        .map(|q| InquiryRow {
            id: q.id,
            channel: if q.channel == "hotline" {
                lang.t("热线", "Hotline")
            } else {
                lang.t("窗口", "Window")
            }
            .into(),
            inquirer: q.inquirer_masked(),
            subject: q.subject.chars().take(60).collect(),
            mine: q.owner_id == actor.user_id,
            owner: q.owner_name,
            status: if q.status == "open" {
                lang.t("处理中", "Open")
            } else {
                lang.t("已答复", "Answered")
            }
            .into(),
            at: fmt_time(q.created_at),
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        InquiriesPage {
            c: page.chrome(),
            rows,
            errors,
            form,
        },
    )
        .into_response())
}

pub(super) async fn inquiries_page(
    State(s): State<AppState>,
    page: Page,
) -> Result<Response, Response> {
    let (_, actor) = page.staff()?;
    let actor = actor.clone();
    inquiries_view(&s, &page, &actor, vec![], InquiryForm::default()).await
}

pub(super) async fn inquiry_create_post(
    State(s): State<AppState>,
    page: Page,
    Form(f): Form<InquiryForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    let actor = actor.clone();
    match s
        .store
        .create_inquiry(
            &actor,
            &NewInquiry {
                channel: f.channel.clone(),
                subject: f.subject.clone(),
                inquirer: f.inquirer.clone(),
                contact: f.contact.clone(),
            },
        )
        .await
    {
        Ok(q) => Ok(Redirect::to(&format!("/inquiries/{}", q.id)).into_response()),
        Err(StoreError::Invalid(errs)) => inquiries_view(&s, &page, &actor, errs.0, f).await,
        Err(e) => Err(store_err(&page, e)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "inquiries/inquiry.html")]
struct InquiryPage {
    c: Chrome,
    q: tongban_store::inquiries::Inquiry,
    at: String,
    events: Vec<(String, String, String, String)>,
    mine: bool,
    open: bool,
    errors: Vec<FieldError>,
}

async fn inquiry_view(
    s: &AppState,
    page: &Page,
    actor: &Actor,
    id: i64,
    errors: Vec<FieldError>,
) -> Result<Response, Response> {
    let lang = page.lang;
    let (q, events) = s
        .store
        .inquiry(actor, id)
        .await
        .map_err(|e| store_err(page, e))?;
    let events = events
        .into_iter()
        .map(|e| {
            let what = match e.kind.as_str() {
                "created" => lang.t("登记（首问）", "Logged (first owner)").to_string(),
                "handed_over" => format!(
                    "{}{}",
                    lang.t("移交给 ", "Handed over to "),
                    e.to_owner_name.unwrap_or_default()
                ),
                "closed" => lang.t("答复并办结", "Answered and closed").to_string(),
                k => k.to_string(),
            };
            (fmt_time(e.at), e.actor_name, what, e.note)
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        InquiryPage {
            c: page.chrome(),
            at: fmt_time(q.created_at),
            mine: q.owner_id == actor.user_id,
            open: q.status == "open",
            q,
            events,
            errors,
        },
    )
        .into_response())
}

pub(super) async fn inquiry_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let (_, actor) = page.staff()?;
    let actor = actor.clone();
    inquiry_view(&s, &page, &actor, id, vec![]).await
}

#[derive(Deserialize)]
pub(super) struct HandOverForm {
    csrf: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    note: String,
}

pub(super) async fn inquiry_hand_over_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<HandOverForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    let actor = actor.clone();
    match s.store.hand_over_inquiry(&actor, id, &f.to, &f.note).await {
        Ok(_) => Ok(Redirect::to(&format!("/inquiries/{id}")).into_response()),
        Err(StoreError::Invalid(errs)) => inquiry_view(&s, &page, &actor, id, errs.0).await,
        Err(e) => Err(store_err(&page, e)),
    }
}

#[derive(Deserialize)]
pub(super) struct CloseForm {
    csrf: String,
    #[serde(default)]
    answer: String,
}

pub(super) async fn inquiry_close_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<CloseForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    let actor = actor.clone();
    match s.store.close_inquiry(&actor, id, &f.answer).await {
        Ok(_) => Ok(Redirect::to(&format!("/inquiries/{id}")).into_response()),
        Err(StoreError::Invalid(errs)) => inquiry_view(&s, &page, &actor, id, errs.0).await,
        Err(e) => Err(store_err(&page, e)),
    }
}
