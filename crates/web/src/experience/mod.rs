//! 政务服务体验员 (experience officers, 我陪群众走流程): their landing page
//! with the services to walk through, recording a walk-through with its
//! findings, and the findings as their owners fix them and supervisors
//! verify them (API and pages).
// Page handlers return a rendered error page as their `Err`; axum responses are
// 128 bytes, which is fine on this path (once per request).
#![allow(clippy::result_large_err)]

mod api;
mod page;
mod walk;

use axum::routing::{get, post};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::chrome::Pages;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::api_walk, api::api_walks))
        .routes(routes!(api::api_findings))
        .routes(routes!(api::api_findings_csv))
        .routes(routes!(api::api_finding))
        .routes(routes!(api::api_finding_act))
        .routes(routes!(api::api_finding_file))
}

pub fn pages() -> Pages {
    Pages::new()
        .route("/officer", get(page::officer_page))
        .route(
            "/officer/walkthroughs/new",
            get(walk::walk_new_page).post(walk::walk_new_post),
        )
        .route("/officer/walkthroughs", get(walk::walkthroughs_page))
        .route("/officer-findings", get(walk::findings_page))
        .route("/officer-findings/export.csv", get(walk::findings_csv_page))
        .route(
            "/officer-findings/{id}",
            get(walk::finding_page).post(walk::finding_post),
        )
        .route(
            "/officer-findings/{id}/files",
            post(walk::finding_file_post),
        )
        .route("/finding-files/{id}", get(walk::finding_download))
}
