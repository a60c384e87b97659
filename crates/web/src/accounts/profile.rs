//! The centre's profile (its own rules where the law leaves them to it:
//! the rating window, the rectification limit, default ratings), kept by
//! the system admin: a page and the API.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_domain::FieldError;
use tongban_domain::auth::Actor;
use tongban_domain::catalog::DayCount;
use tongban_domain::ratings::{CentreProfile, DefaultRating};
use tongban_store::StoreError;

use crate::AppState;
use crate::chrome::{Chrome, Page, form_value, posted, store_err};
use crate::http::{ApiError, ApiUser, Json};

/// The caller's centre's profile (system admins).
#[utoipa::path(get, path = "/api/v1/admin/profile", tag = "accounts", security(("session" = [])),
    responses((status = 200, body = CentreProfile), (status = 403, body = crate::http::ErrorBody)))]
pub(super) async fn api_profile(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<CentreProfile>, ApiError> {
    actor.may_set_profile()?;
    Ok(Json(s.store.centre_profile(actor.centre_id).await?))
}

/// Sets the caller's centre's profile: the rating window (1–60 working
/// days), the rectification limit (1–15), an optional default rating (3 or
/// 4, after the window).
#[utoipa::path(put, path = "/api/v1/admin/profile", tag = "accounts", security(("session" = [])), request_body = CentreProfile,
    responses((status = 200, body = CentreProfile), (status = 403, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_put_profile(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Json(p): Json<CentreProfile>,
) -> Result<Json<CentreProfile>, ApiError> {
    s.store.put_centre_profile(&actor, &p).await?;
    Ok(Json(s.store.centre_profile(actor.centre_id).await?))
}

#[derive(Template, WebTemplate)]
#[template(path = "accounts/profile.html")]
struct ProfilePage {
    c: Chrome,
    errors: Vec<FieldError>,
    flash: String,
    window_days: String,
    rectify_days: String,
    default_on: bool,
    default_level: String,
    default_after: String,
}

fn admin(page: &Page) -> Result<Actor, Response> {
    let (_, actor) = page.staff()?;
    actor
        .may_set_profile()
        .map_err(|d| page.error(ApiError::denied(d)))?;
    Ok(actor.clone())
}

fn profile_view(
    page: &Page,
    p: &CentreProfile,
    errors: Vec<FieldError>,
    flash: String,
    raw: Option<&[(String, String)]>,
) -> Response {
    let v = |k: &str, d: String| raw.map(|r| form_value(r, k)).unwrap_or(d);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (
        status,
        ProfilePage {
            c: page.chrome(),
            errors,
            flash,
            window_days: v("window_days", p.ratings.window_days.get().to_string()),
            rectify_days: v("rectify_days", p.ratings.rectify_days.get().to_string()),
            default_on: raw
                .map(|r| form_value(r, "default_on") == "on")
                .unwrap_or(p.ratings.default_rating.is_some()),
            default_level: v(
                "default_level",
                p.ratings
                    .default_rating
                    .map(|d| d.level.to_string())
                    .unwrap_or_else(|| "4".into()),
            ),
            default_after: v(
                "default_after",
                p.ratings
                    .default_rating
                    .map(|d| d.after_days.get().to_string())
                    .unwrap_or_else(|| "15".into()),
            ),
        },
    )
        .into_response()
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Done {
    #[serde(default)]
    done: String,
}

pub(super) async fn profile_page(
    State(s): State<AppState>,
    page: Page,
    Query(q): Query<Done>,
) -> Result<Response, Response> {
    let actor = admin(&page)?;
    let p = s
        .store
        .centre_profile(actor.centre_id)
        .await
        .map_err(|e| store_err(&page, e))?;
    let flash = if q.done == "saved" {
        page.t("中心规则已保存。", "Saved.")
    } else {
        String::new()
    };
    Ok(profile_view(&page, &p, vec![], flash, None))
}

/// A whole number of working days from a form field, or the field's error.
fn days(raw: &[(String, String)], k: &str, zh: &str, en: &str) -> Result<DayCount, FieldError> {
    form_value(raw, k)
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|n| DayCount::try_from(n).ok())
        .ok_or_else(|| {
            FieldError::new(
                k,
                "invalid",
                format!("{zh}应为工作日数（整数）"),
                format!("{en} is a number of working days"),
            )
        })
}

pub(super) async fn profile_post(
    State(s): State<AppState>,
    page: Page,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, Response> {
    let actor = posted(&page, &form_value(&raw, "csrf"))?;
    admin(&page)?;
    let current = s
        .store
        .centre_profile(actor.centre_id)
        .await
        .map_err(|e| store_err(&page, e))?;
    let mut errors = Vec::new();
    let mut p = current;
    match days(&raw, "window_days", "评价期限", "The rating window") {
        Ok(d) => p.ratings.window_days = d,
        Err(e) => errors.push(e),
    }
    match days(&raw, "rectify_days", "整改期限", "The rectification limit") {
        Ok(d) => p.ratings.rectify_days = d,
        Err(e) => errors.push(e),
    }
    p.ratings.default_rating = if form_value(&raw, "default_on") == "on" {
        match days(&raw, "default_after", "默认评价时间", "The default's delay") {
            Ok(after_days) => Some(DefaultRating {
                level: form_value(&raw, "default_level").parse().unwrap_or(0),
                after_days,
                since_ms: None,
            }),
            Err(e) => {
                errors.push(e);
                None
            }
        }
    } else {
        None
    };
    if errors.is_empty() {
        match s.store.put_centre_profile(&actor, &p).await {
            Ok(()) => return Ok(Redirect::to("/admin/profile?done=saved").into_response()),
            Err(StoreError::Invalid(e)) => {
                errors =
                    e.0.into_iter()
                        .map(|mut x| {
                            x.field = match x.field.as_str() {
                                "ratings.window_days" => "window_days".into(),
                                "ratings.rectify_days" => "rectify_days".into(),
                                "ratings.default_rating.level" => "default_level".into(),
                                "ratings.default_rating.after_days" => "default_after".into(),
                                other => other.to_string(),
                            };
                            x
                        })
                        .collect()
            }
            Err(e) => return Err(store_err(&page, e)),
        }
    }
    Ok(profile_view(&page, &p, errors, String::new(), Some(&raw)))
}
