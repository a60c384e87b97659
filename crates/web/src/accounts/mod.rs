//! Accounts: signing in and out, as the session API (`/api/v1/session`)
//! and the login and logout pages, with the login rate limit; the system
//! admin's users page.
// Page handlers return a rendered error page as their `Err`; axum responses are
// 128 bytes, which is fine on this path (once per request).
#![allow(clippy::result_large_err)]

mod admin;
mod api;
mod pages;
mod profile;

use axum::routing::{get, post};

pub use api::authenticate;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::chrome::Pages;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::whoami, api::login, api::logout))
        .routes(routes!(profile::api_profile, profile::api_put_profile))
}

pub fn pages() -> Pages {
    Pages::new()
        .route("/login", get(pages::login_page).post(pages::login_post))
        .route("/logout", post(pages::logout_post))
        .route(
            "/admin/users",
            get(admin::users_page).post(admin::user_add_post),
        )
        .route(
            "/admin/profile",
            get(profile::profile_page).post(profile::profile_post),
        )
}
