//! The caller's in-app notifications as JSON (`/api/v1/notifications`).

use crate::http::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::http::{ApiError, ApiUser, Lang};

/// The caller's in-app notifications, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notices", security(("session" = [])), responses((status = 200, body = Object)))]
pub(super) async fn api_notifications(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
) -> Result<Response, ApiError> {
    let n = s
        .store
        .notifications(actor.user_id, 200)
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    Ok(Json(serde_json::json!({ "notifications": n })).into_response())
}
