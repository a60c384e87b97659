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
mod guide;
mod views;

use axum::Router;
use axum::routing::{get, post, put};

pub use api::BundlesDoc;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        // API
        .route("/api/v1/bundles", get(api::api_bundles))
        .route("/api/v1/bundles/{code}", get(api::api_bundle))
        .route("/api/v1/bundles/{code}/select", post(api::api_select))
        .route(
            "/api/v1/bundle-cases",
            post(api::api_start).get(api::api_bundle_cases),
        )
        .route("/api/v1/bundle-cases/{id}", get(api::api_bundle_case))
        .route("/api/v1/bundle-cases/{id}/form", put(api::api_form))
        .route(
            "/api/v1/bundle-cases/{id}/slots/{slot}/files",
            put(api::api_upload),
        )
        .route("/api/v1/bundle-cases/{id}/submit", post(api::api_submit))
        .route("/api/v1/bundle-cases/{id}/accept", post(api::api_accept))
        .route("/api/v1/bundle-cases/{id}/intake", post(api::api_intake))
        .route(
            "/api/v1/bundle-cases/{id}/corrections/{slot}/files",
            put(api::api_correction_upload),
        )
        .route("/api/v1/bundle-cases/{id}/supply", post(api::api_supply))
        .route(
            "/api/v1/admin/bundles",
            get(api::api_admin_bundles).post(api::api_admin_create),
        )
        .route(
            "/api/v1/admin/bundles/{code}/versions",
            post(api::api_admin_new_version),
        )
        .route(
            "/api/v1/admin/bundle-versions/{id}",
            put(api::api_admin_update),
        )
        .route(
            "/api/v1/admin/bundle-versions/{id}/publish",
            post(api::api_admin_publish),
        )
        // Pages
        .route("/bundles", get(guide::list_page))
        .route("/bundles/{code}", get(guide::guide_page))
        .route("/bundles/{code}/ask", get(guide::ask_page))
        .route("/bundles/{code}/start", post(guide::start_post))
        .route("/bundle-cases", get(application::my_page))
        .route("/bundle-cases/{id}", get(application::bundle_case_page))
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
        .route("/bundle-cases/{id}/intake", post(application::intake_post))
        .route(
            "/bundle-cases/{id}/corrections/{slot}",
            post(application::correction_post),
        )
        .route("/bundle-cases/{id}/supply", post(application::supply_post))
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
