//! The guide audit: the rules run over every published guide (by hand or
//! monthly), their findings, rectification by the item's owner and
//! verification by a supervisor (API, CSV report and page).
// Page handlers return a rendered error page as their `Err`; axum responses are
// 128 bytes, which is fine on this path (once per request).
#![allow(clippy::result_large_err)]

mod api;
mod page;

use axum::routing::{get, post};

pub use api::findings_csv;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::chrome::Pages;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::audit_runs, api::audit_run))
        .routes(routes!(api::audit_findings))
        .routes(routes!(api::audit_fix))
        .routes(routes!(api::audit_verify))
        .routes(routes!(api::audit_send_back))
        .routes(routes!(api::audit_csv))
}

pub fn pages() -> Pages {
    Pages::new()
        .route("/admin/audit", get(page::audit_page))
        .route("/admin/audit/run", post(page::audit_run_post))
        .route("/admin/audit/findings/{id}/fix", post(page::fix_post))
        .route("/admin/audit/findings/{id}/verify", post(page::verify_post))
        .route(
            "/admin/audit/findings/{id}/send-back",
            post(page::send_back_post),
        )
}
