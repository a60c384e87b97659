//! Accounts: signing in and out, as the session API (`/api/v1/session`)
//! and the login and logout pages, with the login rate limit.
// Page handlers return a rendered error page as their `Err`; axum responses are
// 128 bytes, which is fine on this path (once per request).
#![allow(clippy::result_large_err)]

mod api;
mod pages;

use axum::Router;
use axum::routing::{get, post};

pub use api::{AccountsDoc, authenticate};

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/session",
            get(api::whoami).post(api::login).delete(api::logout),
        )
        .route("/login", get(pages::login_page).post(pages::login_post))
        .route("/logout", post(pages::logout_post))
}
