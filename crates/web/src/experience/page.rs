//! The experience officer's page: what there is to walk through.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use tongban_domain::auth::{Denied, Role};

use crate::AppState;
use crate::chrome::{Chrome, Page, store_err};
use crate::http::ApiError;

struct Walk {
    href: String,
    name: String,
    owner: String,
    /// The form that records a walk-through of it.
    record: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "experience/officer.html")]
struct OfficerPage {
    c: Chrome,
    bundles: Vec<Walk>,
    items: Vec<Walk>,
}

pub(super) async fn officer_page(
    State(s): State<AppState>,
    page: Page,
) -> Result<Response, Response> {
    let (_, actor) = page.staff()?;
    if actor.role != Role::ExperienceOfficer {
        return Err(page.error(ApiError::denied(Denied::Role)));
    }
    let err = |e| store_err(&page, e);
    let bundles = s
        .store
        .published_bundles()
        .await
        .map_err(err)?
        .into_iter()
        .map(|b| Walk {
            href: format!("/bundles/{}", b.bundle.code),
            record: format!(
                "/officer/walkthroughs/new?subject=bundle&code={}",
                crate::chrome::url_encode(&b.bundle.code)
            ),
            owner: b.bundle.doc.event.clone(),
            name: b.bundle.doc.name,
        })
        .collect();
    let items = s
        .store
        .published_items()
        .await
        .map_err(err)?
        .into_iter()
        .map(|i| Walk {
            href: format!("/items/{}", i.impl_code),
            record: format!(
                "/officer/walkthroughs/new?subject=item&code={}",
                crate::chrome::url_encode(&i.impl_code)
            ),
            name: i.doc.name,
            owner: i.department_name,
        })
        .collect();
    Ok(OfficerPage {
        c: page.chrome(),
        bundles,
        items,
    }
    .into_response())
}
