//! The working-day calendar over HTTP: public queries, and the system
//! admin's entry of a year's State Council notice (API and page).
// Page handlers return a rendered error page as their `Err`; axum responses are
// 128 bytes, which is fine on this path (once per request).
#![allow(clippy::result_large_err)]

mod api;
mod page;

use axum::routing::get;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::chrome::Pages;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::calendar_info))
        .routes(routes!(api::day))
        .routes(routes!(api::add_workdays))
        .routes(routes!(api::workdays))
        .routes(routes!(api::put_year))
}

pub fn pages() -> Pages {
    Pages::new().route(
        "/admin/calendar",
        get(page::calendar_page).post(page::calendar_post),
    )
}
