//! 靠前服务 (SPEC §9): construction projects by stage, concierges'
//! authorizations, site visits and difficulty tickets — the JSON API and
//! the pages.

// Page handlers return a rendered error page as their `Err`.
#![allow(clippy::result_large_err)]

mod api;
mod pages;

use axum::routing::{get, post};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::chrome::Pages;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::api_projects, api::api_project_create))
        .routes(routes!(api::api_project))
        .routes(routes!(api::api_project_case))
        .routes(routes!(api::api_project_concierge))
        .routes(routes!(api::api_project_key))
        .routes(routes!(api::api_project_visit))
        .routes(routes!(api::api_mandates, api::api_mandate_create))
        .routes(routes!(api::api_mandate_revoke))
        .routes(routes!(api::api_tickets, api::api_ticket_create))
        .routes(routes!(api::api_ticket))
        .routes(routes!(api::api_ticket_action))
        .routes(routes!(api::api_ticket_rating))
}

pub fn pages() -> Pages {
    Pages::new()
        .route(
            "/projects",
            get(pages::projects_page).post(pages::project_create_post),
        )
        .route("/projects/{id}", get(pages::project_page))
        .route("/projects/{id}/cases", post(pages::project_case_post))
        .route(
            "/projects/{id}/concierge",
            post(pages::project_concierge_post),
        )
        .route("/projects/{id}/key", post(pages::project_key_post))
        .route("/projects/{id}/visits", post(pages::project_visit_post))
        .route(
            "/mandates",
            get(pages::mandates_page).post(pages::mandate_create_post),
        )
        .route("/mandates/{id}/revoke", post(pages::mandate_revoke_post))
        .route("/mandates/{id}/letter", get(pages::mandate_letter))
        .route(
            "/tickets",
            get(pages::tickets_page).post(pages::ticket_create_post),
        )
        .route("/tickets/{id}", get(pages::ticket_page))
        .route("/tickets/{id}/actions", post(pages::ticket_action_post))
        .route("/tickets/{id}/rating", post(pages::ticket_rating_post))
}
