//! The notifications page: the caller's notices with links to their case
//! or bundle application, and marking them all read.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

use tongban_domain::auth::Role;
use tongban_domain::privacy::Sight;

use crate::AppState;
use crate::chrome::{Chrome, Page, RequiredCsrfForm, fmt_time, posted, signed_in, store_err};
use crate::http::ApiError;

struct NoteView {
    subject: String,
    /// The text, cut where it names a page of the site (a link).
    body: Vec<(String, Option<String>)>,
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
            body: crate::chrome::split_links(&n.body),
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

struct UndeliverableView {
    to: String,
    subject: String,
    error: String,
    at: String,
    attempts: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "notices/undeliverable.html")]
struct UndeliverablePage {
    c: Chrome,
    mails: Vec<UndeliverableView>,
}

/// Mail the relay refused for good (a recipient refused, a malformed
/// address): for the supervisors, addresses masked by the one rule of what
/// a role sees. (The outbox keeps no centre, so the window clerks of one
/// centre do not get this list of every centre's mail.)
pub(super) async fn undeliverable_page(
    State(s): State<AppState>,
    page: Page,
) -> Result<Response, Response> {
    let (_, actor) = page.staff()?;
    if actor.role != Role::Supervisor {
        return Err(page.error(ApiError::denied(tongban_domain::auth::Denied::Role)));
    }
    let sight = Sight::of(actor);
    let mails = s
        .store
        .undeliverable_mail(200)
        .await
        .map_err(|e| store_err(&page, e))?
        .into_iter()
        .map(|m| UndeliverableView {
            to: sight.email(&m.to_addr),
            subject: m.subject,
            error: m.last_error,
            at: m.failed_at.map(fmt_time).unwrap_or_default(),
            attempts: m.attempts,
        })
        .collect();
    Ok(UndeliverablePage {
        c: page.chrome(),
        mails,
    }
    .into_response())
}
