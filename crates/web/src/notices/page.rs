//! The notifications page: the caller's notices with links to their case
//! or bundle application, and marking them all read.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

use crate::AppState;
use crate::chrome::{Chrome, Page, RequiredCsrfForm, fmt_time, posted, signed_in, store_err};

struct NoteView {
    subject: String,
    body: String,
    at: String,
    case_id: Option<i64>,
    bundle_case_id: Option<i64>,
    read: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "notices/notifications.html")]
struct NotificationsPage {
    c: Chrome,
    notes: Vec<NoteView>,
}

pub(super) async fn notifications_page(
    State(s): State<AppState>,
    page: Page,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?;
    let notes = s
        .store
        .notifications(actor.user_id, 200)
        .await
        .map_err(|e| store_err(&page, e))?
        .into_iter()
        .map(|n| NoteView {
            subject: n.subject,
            body: n.body,
            at: fmt_time(n.created_at),
            case_id: n.case_id,
            bundle_case_id: n.bundle_case_id,
            read: n.read,
        })
        .collect();
    Ok(NotificationsPage {
        c: page.chrome(),
        notes,
    }
    .into_response())
}

pub(super) async fn notifications_read(
    State(s): State<AppState>,
    page: Page,
    Form(f): Form<RequiredCsrfForm>,
) -> Result<Response, Response> {
    let actor = posted(&page, &f.csrf)?;
    s.store
        .mark_notifications_read(actor.user_id)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(Redirect::to("/notifications").into_response())
}
