//! 好差评 (SPEC §8.1): rating a completed case or bundle application
//! (online, at the window's tablet, on the hotline), the staff's ratings,
//! rectifications and appeals, exports, and the public page — API and pages.
// Page handlers return a rendered error page as their `Err`; axum responses are
// 128 bytes, which is fine on this path (once per request).
#![allow(clippy::result_large_err)]

mod api;
mod export;
mod json;
mod pages;
mod public;
mod staff;

use axum::routing::{get, post};
use chrono::{Duration, NaiveDate};
use tongban_domain::FieldError;
use tongban_store::ratings::RatingFilter;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::chrome::Pages;
use crate::http::ApiError;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::api_reasons))
        .routes(routes!(api::api_case_rating))
        .routes(routes!(api::api_bundle_rating))
        .routes(routes!(api::api_rate_case))
        .routes(routes!(api::api_rate_bundle))
        .routes(routes!(api::api_correct_rating))
        .routes(routes!(api::api_open_onsite_case))
        .routes(routes!(api::api_open_onsite_bundle))
        .routes(routes!(api::api_onsite_case))
        .routes(routes!(api::api_rate_onsite))
        .routes(routes!(api::api_ratings))
        .routes(routes!(api::api_ratings_csv))
        .routes(routes!(api::api_rectifications))
        .routes(routes!(api::api_rectifications_csv))
        .routes(routes!(api::api_rectification))
        .routes(routes!(api::api_rectification_act))
        .routes(routes!(api::api_rectification_file))
        .routes(routes!(api::api_public_ratings))
}

pub fn pages() -> Pages {
    Pages::new()
        .route(
            "/cases/{id}/rate",
            get(pages::rate_case_page).post(pages::rate_case_post),
        )
        .route(
            "/bundle-cases/{id}/rate",
            get(pages::rate_bundle_page).post(pages::rate_bundle_post),
        )
        .route("/cases/{id}/onsite", post(pages::onsite_case_post))
        .route("/bundle-cases/{id}/onsite", post(pages::onsite_bundle_post))
        .route(
            "/r/{token}",
            get(pages::tablet_page).post(pages::tablet_post),
        )
        .route("/ratings", get(staff::ratings_page))
        .route("/ratings/export.csv", get(staff::ratings_csv_page))
        .route("/rectifications", get(staff::rectifications_page))
        .route(
            "/rectifications/export.csv",
            get(staff::rectifications_csv_page),
        )
        .route(
            "/rectifications/{id}",
            get(staff::rectification_page).post(staff::rectification_post),
        )
        .route(
            "/rectifications/{id}/files",
            post(staff::rectification_file_post),
        )
        .route(
            "/rectification-files/{id}",
            get(staff::rectification_download),
        )
        .route("/appeals", get(staff::appeals_page))
        .route("/satisfaction", get(public::satisfaction_page))
}

/// A period: `to` (default today) back to `from` (default 30 days before).
pub(crate) fn period(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
) -> (NaiveDate, NaiveDate) {
    let to = to.unwrap_or(today);
    let from = from.unwrap_or(to - Duration::days(30));
    (from, to)
}

/// The public page's filter: the whole deployment, a period of at most
/// three years that ends after it begins.
async fn public_filter(
    s: &AppState,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    department: Option<i64>,
) -> Result<RatingFilter, ApiError> {
    let (from, to) = period(from, to, s.today());
    if from > to || (to - from).num_days() > 3 * 366 {
        return Err(ApiError::invalid(
            FieldError::new(
                "from",
                "bad_period",
                "起止日期有误：开始日期应早于结束日期，且跨度不超过三年",
                "the period must start before it ends and span at most three years",
            )
            .into(),
        ));
    }
    Ok(RatingFilter {
        from,
        to,
        centre_path: "/".into(),
        department_id: department,
    })
}
