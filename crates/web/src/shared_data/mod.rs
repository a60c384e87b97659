//! Shared data and decision rules of an item version (秒批) for the
//! catalogue admin: the model's readable table view with its test cases run
//! live, upload and download of the JDM JSON (API and page). Publishing
//! refuses a model that does not compile or whose tests fail (store::rules).
//! The system admin's list of the shared-data sources.
// Page handlers return a rendered error page as their `Err`; axum responses are
// 128 bytes, which is fine on this path (once per request).
#![allow(clippy::result_large_err)]

mod api;
mod page;
mod sources;

use axum::routing::get;

pub use api::{Grid, RulesView};

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::chrome::Pages;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api::api_get, api::api_put, api::api_delete))
}

pub fn pages() -> Pages {
    Pages::new()
        .route(
            "/admin/items/{id}/rules",
            get(page::page).post(page::page_post),
        )
        .route("/admin/sources", get(sources::sources_page))
}
