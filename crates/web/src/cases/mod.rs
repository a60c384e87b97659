//! Cases over HTTP (SPEC §4): the JSON API under `/api/v1/cases…` and the
//! pages — apply, upload, check your answers, the case page with the actions
//! the caller may take, printable documents and file downloads, work lists
//! and the public progress lookup (办件查询).
// Page handlers return a rendered error page as their `Err`; axum responses are
// 128 bytes, which is fine on this path (once per request).
#![allow(clippy::result_large_err)]

mod actions;
mod api;
mod apply;
mod confirm;
mod documents;
mod json;
mod page;
mod progress;
mod views;
mod work;

use axum::routing::{get, post};

pub use progress::LOOKUP_LIMIT;
pub use views::ClockView;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::chrome::Pages;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::api_create, api::api_list))
        .routes(routes!(api::api_get))
        .routes(routes!(api::api_command))
        .routes(routes!(api::api_correct_form))
        .routes(routes!(api::api_upload))
        .routes(routes!(api::api_document))
        .routes(routes!(api::api_progress))
        .routes(routes!(api::api_bundle_progress))
}

pub fn pages() -> Pages {
    Pages::new()
        .route(
            "/items/{code}/apply",
            get(apply::apply_page).post(apply::apply_post),
        )
        .route("/cases/{id}", get(page::case_page))
        .route("/cases/{id}/materials", get(apply::materials_page))
        .route("/cases/{id}/materials/{idx}", post(apply::upload_post))
        .route(
            "/cases/{id}/files/{file}/delete",
            post(apply::remove_file_post),
        )
        .route("/cases/{id}/check", get(apply::check_page))
        .route("/cases/{id}/submitted", get(confirm::submitted_page))
        .route("/cases/{id}/act", post(actions::act_post))
        .route("/cases/{id}/correct-form", post(actions::correct_form_post))
        .route("/documents/{id}", get(documents::document_page))
        .route("/files/{id}", get(documents::file_download))
        .route("/work", get(work::work_page))
        .route(
            "/progress",
            get(progress::progress_page).post(progress::progress_post),
        )
}
