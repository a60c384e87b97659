//! 首问负责 inquiries: whoever is asked first at the window or the hotline
//! owns the inquiry until it is answered or handed over, with every step
//! recorded (API and pages).
// Page handlers return a rendered error page as their `Err`; axum responses are
// 128 bytes, which is fine on this path (once per request).
#![allow(clippy::result_large_err)]

mod api;
mod pages;

use axum::routing::{get, post};

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::chrome::Pages;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::api_inquiry_create, api::api_inquiries))
        .routes(routes!(api::api_inquiry_hand_over))
        .routes(routes!(api::api_inquiry_close))
}

pub fn pages() -> Pages {
    Pages::new()
        .route(
            "/inquiries",
            get(pages::inquiries_page).post(pages::inquiry_create_post),
        )
        .route("/inquiries/{id}", get(pages::inquiry_page))
        .route(
            "/inquiries/{id}/hand-over",
            post(pages::inquiry_hand_over_post),
        )
        .route("/inquiries/{id}/close", post(pages::inquiry_close_post))
}
