//! Notifications: the in-app notices of the signed-in user (API and page),
//! newest first, and marking them read; and the mail the relay refused for
//! good, for the window and the supervisors (`/admin/mail`).
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
    OpenApiRouter::new().routes(routes!(api::api_notifications))
}

pub fn pages() -> Pages {
    Pages::new()
        .route(
            "/notifications",
            get(page::notifications_page).post(page::notifications_read),
        )
        .route("/admin/mail", get(page::undeliverable_page))
}
