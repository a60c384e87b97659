//! 靠前服务 (SPEC §9): construction projects by stage, concierges'
//! authorizations, site visits and difficulty tickets — the JSON API and
//! the pages.

// Page handlers return a rendered error page as their `Err`.
#![allow(clippy::result_large_err)]

mod api;
mod api_inspect;
mod api_work;
mod pages;
mod pages_work;

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
        .routes(routes!(api::api_stage_application))
        .routes(routes!(api_inspect::api_inspection_create))
        .routes(routes!(api_inspect::api_inspection_finding))
        .routes(routes!(api::api_project_concierge))
        .routes(routes!(api::api_project_key))
        .routes(routes!(api::api_project_visit))
        .routes(routes!(api::api_mandates, api::api_mandate_create))
        .routes(routes!(api::api_mandate_revoke))
        .routes(routes!(api_work::api_tickets, api_work::api_ticket_create))
        .routes(routes!(api_work::api_ticket))
        .routes(routes!(api_work::api_ticket_action))
        .routes(routes!(api_work::api_ticket_rating))
        .routes(routes!(api_work::api_enterprise_concierge))
        .routes(routes!(
            api_work::api_stage_config,
            api_work::api_stage_config_put
        ))
        .routes(routes!(api_work::api_commitments))
        .routes(routes!(api_work::api_commitment_verify))
}

pub fn pages() -> Pages {
    Pages::new()
        .route(
            "/projects",
            get(pages::projects_page).post(pages::project_create_post),
        )
        .route("/projects/{id}", get(pages::project_page))
        .route(
            "/enterprise-concierges",
            post(pages::enterprise_concierge_post),
        )
        .route("/projects/{id}/cases", post(pages::project_case_post))
        .route(
            "/projects/{id}/stages/{stage}/apply",
            post(pages::stage_apply_post),
        )
        .route(
            "/projects/{id}/concierge",
            post(pages::project_concierge_post),
        )
        .route("/projects/{id}/key", post(pages::project_key_post))
        .route(
            "/projects/{id}/inspections",
            post(pages_work::inspection_post),
        )
        .route("/inspections/{id}/findings", post(pages_work::finding_post))
        .route("/projects/{id}/visits", post(pages::project_visit_post))
        .route(
            "/mandates",
            get(pages::mandates_page).post(pages::mandate_create_post),
        )
        .route("/mandates/{id}/revoke", post(pages::mandate_revoke_post))
        .route("/mandates/{id}/letter", get(pages::mandate_letter))
        .route(
            "/tickets",
            get(pages_work::tickets_page).post(pages_work::ticket_create_post),
        )
        .route("/tickets/{id}", get(pages_work::ticket_page))
        .route("/commitments", get(pages_work::commitments_page))
        .route(
            "/commitments/{id}/verify",
            post(pages_work::commitment_verify_post),
        )
        .route(
            "/tickets/{id}/actions",
            post(pages_work::ticket_action_post),
        )
        .route("/tickets/{id}/rating", post(pages_work::ticket_rating_post))
}
