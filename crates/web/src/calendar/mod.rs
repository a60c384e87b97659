//! The working-day calendar over HTTP: public queries, and the system
//! admin's entry of a year's State Council notice (API and page). Its API
//! paths carry OpenAPI annotations but have never been part of the published
//! document, so the calendar has no doc struct.
// Page handlers return a rendered error page as their `Err`; axum responses are
// 128 bytes, which is fine on this path (once per request).
#![allow(clippy::result_large_err)]

mod api;
mod page;

use axum::Router;
use axum::routing::{get, put};

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/calendar", get(api::calendar_info))
        .route("/api/v1/calendar/days/{date}", get(api::day))
        .route("/api/v1/calendar/add-workdays", get(api::add_workdays))
        .route("/api/v1/calendar/workdays", get(api::workdays))
        .route("/api/v1/admin/calendar/years/{year}", put(api::put_year))
        .route(
            "/admin/calendar",
            get(page::calendar_page).post(page::calendar_post),
        )
}
