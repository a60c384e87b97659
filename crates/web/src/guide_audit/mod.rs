//! The guide audit: the rules run over every published guide (by hand or
//! monthly), their findings, rectification by the item's owner and
//! verification by a supervisor (API, CSV report and page).
// Page handlers return a rendered error page as their `Err`; axum responses are
// 128 bytes, which is fine on this path (once per request).
#![allow(clippy::result_large_err)]

mod api;
mod page;

use axum::Router;
use axum::routing::{get, post};

pub use api::{GuideAuditDoc, findings_csv};

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/admin/audit/runs",
            get(api::audit_runs).post(api::audit_run),
        )
        .route("/api/v1/admin/audit/findings", get(api::audit_findings))
        .route(
            "/api/v1/admin/audit/findings/{id}/fix",
            post(api::audit_fix),
        )
        .route(
            "/api/v1/admin/audit/findings/{id}/verify",
            post(api::audit_verify),
        )
        .route("/api/v1/admin/audit/report.csv", get(api::audit_csv))
        .route("/admin/audit", get(page::audit_page))
        .route("/admin/audit/run", post(page::audit_run_post))
        .route("/admin/audit/findings/{id}/fix", post(page::fix_post))
        .route("/admin/audit/findings/{id}/verify", post(page::verify_post))
}
