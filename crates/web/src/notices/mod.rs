//! Notifications: the in-app notices of the signed-in user (API and page),
//! newest first, and marking them read.
// Page handlers return a rendered error page as their `Err`; axum responses are
// 128 bytes, which is fine on this path (once per request).
#![allow(clippy::result_large_err)]

mod api;
mod page;

use axum::Router;
use axum::routing::get;

pub use api::NoticesDoc;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/notifications", get(api::api_notifications))
        .route(
            "/notifications",
            get(page::notifications_page).post(page::notifications_read),
        )
}
