//! Life-event bundles (SPEC §5) over HTTP: the public bundle list and guide
//! with its savings, the situational questions one per page, the tailored
//! list, one form, each material uploaded once, check your answers, one
//! submission; the bundle application's page (sub-cases, the combined
//! correction notice, the combined outcome); 一窗受理 for the clerk; and the
//! catalogue admin's bundle editor. JSON API under `/api/v1/bundles…`,
//! `/api/v1/bundle-cases…` and `/api/v1/admin/bundles…`.
// Page handlers return a rendered error page as their `Err`; axum responses are
// 128 bytes, which is fine on this path (once per request).
#![allow(clippy::result_large_err)]

mod admin;
mod api;
mod application;
mod case_page;
mod guide;
mod json;
mod views;

use axum::routing::{get, post};

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::chrome::Pages;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::api_bundles))
        .routes(routes!(api::api_bundle))
        .routes(routes!(api::api_select))
        .routes(routes!(api::api_start, api::api_bundle_cases))
        .routes(routes!(api::api_bundle_case))
        .routes(routes!(api::api_form))
        .routes(routes!(api::api_upload))
        .routes(routes!(api::api_submit))
        .routes(routes!(api::api_accept))
        .routes(routes!(api::api_intake))
        .routes(routes!(api::api_correction_upload))
        .routes(routes!(api::api_supply))
        .routes(routes!(api::api_admin_bundles, api::api_admin_create))
        .routes(routes!(api::api_admin_new_version))
        .routes(routes!(api::api_admin_update))
        .routes(routes!(api::api_admin_publish))
}

pub fn pages() -> Pages {
    Pages::new()
        .route("/bundles", get(guide::list_page))
        .route("/bundles/{code}", get(guide::guide_page))
        .route("/bundles/{code}/ask", get(guide::ask_page))
        .route("/bundles/{code}/start", post(guide::start_post))
        .route("/bundle-cases", get(case_page::my_page))
        .route("/bundle-cases/{id}", get(case_page::bundle_case_page))
        .route(
            "/bundle-cases/{id}/form",
            get(application::form_page).post(application::form_post),
        )
        .route(
            "/bundle-cases/{id}/materials",
            get(application::materials_page),
        )
        .route(
            "/bundle-cases/{id}/slots/{slot}",
            post(application::slot_post),
        )
        .route(
            "/bundle-cases/{id}/files/{file}/delete",
            post(application::remove_file_post),
        )
        .route("/bundle-cases/{id}/check", get(application::check_page))
        .route("/bundle-cases/{id}/submit", post(application::submit_post))
        .route(
            "/bundle-cases/{id}/submitted",
            get(application::submitted_page),
        )
        .route("/bundle-cases/{id}/intake", post(case_page::intake_post))
        .route(
            "/bundle-cases/{id}/corrections/{slot}",
            post(case_page::correction_post),
        )
        .route("/bundle-cases/{id}/supply", post(case_page::supply_post))
        .route(
            "/admin/bundles",
            get(admin::admin_list_page).post(admin::admin_create_post),
        )
        .route("/admin/bundles/{code}", get(admin::admin_bundle_page))
        .route(
            "/admin/bundles/{code}/new-version",
            post(admin::admin_new_version_post),
        )
        .route("/admin/bundle-versions/{id}", post(admin::admin_save_post))
        .route(
            "/admin/bundle-versions/{id}/publish",
            post(admin::admin_publish_post),
        )
}
