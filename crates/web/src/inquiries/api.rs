//! The inquiries' JSON API: log a first inquiry, list the centre's (names
//! masked), hand one over, close it with the answer.

use crate::http::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tongban_store::inquiries::NewInquiry;
use utoipa::ToSchema;

use crate::AppState;
use crate::http::{ApiError, ApiUser, Lang};

#[derive(Debug, Deserialize, ToSchema)]
pub struct InquiryRequest {
    /// `window` or `hotline`.
    pub channel: String,
    pub subject: String,
    pub inquirer: String,
    #[serde(default)]
    pub contact: String,
}

/// Logs a first inquiry (首问负责): the caller becomes its owner.
#[utoipa::path(post, path = "/api/v1/inquiries", tag = "inquiries", security(("session" = [])), request_body = InquiryRequest,
    responses((status = 201, body = Object), (status = 403, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_inquiry_create(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
    Json(r): Json<InquiryRequest>,
) -> Result<Response, ApiError> {
    let q = s
        .store
        .create_inquiry(
            &actor,
            &NewInquiry {
                channel: r.channel,
                subject: r.subject,
                inquirer: r.inquirer,
                contact: r.contact,
            },
        )
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    Ok((StatusCode::CREATED, Json(q)).into_response())
}

/// Inquiries of the caller's centre (inquirer names masked).
#[utoipa::path(get, path = "/api/v1/inquiries", tag = "inquiries", security(("session" = [])), responses((status = 200, body = Object)))]
pub(super) async fn api_inquiries(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
) -> Result<Response, ApiError> {
    let list = s
        .store
        .inquiries(&actor)
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    let rows: Vec<serde_json::Value> = list
        .iter()
        .map(|q| {
            serde_json::json!({
                "id": q.id, "channel": q.channel, "subject": q.subject,
                "inquirer": q.inquirer_masked(), "owner": q.owner_name,
                "status": q.status, "created_at": q.created_at,
            })
        })
        .collect();
    Ok(Json(serde_json::json!({ "inquiries": rows })).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct HandOverRequest {
    /// User name of the colleague taking over.
    pub to: String,
    pub note: String,
}

/// Hands an inquiry over (owner only), recorded with a note.
#[utoipa::path(post, path = "/api/v1/inquiries/{id}/hand-over", tag = "inquiries", security(("session" = [])), params(("id" = i64, Path)), request_body = HandOverRequest,
    responses((status = 200, body = Object), (status = 403, body = crate::http::ErrorBody)))]
pub(super) async fn api_inquiry_hand_over(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<HandOverRequest>,
) -> Result<Response, ApiError> {
    let q = s
        .store
        .hand_over_inquiry(&actor, id, &r.to, &r.note)
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    Ok(Json(q).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CloseRequest {
    pub answer: String,
}

/// Closes an inquiry with the answer given (owner only).
#[utoipa::path(post, path = "/api/v1/inquiries/{id}/close", tag = "inquiries", security(("session" = [])), params(("id" = i64, Path)), request_body = CloseRequest,
    responses((status = 200, body = Object), (status = 403, body = crate::http::ErrorBody)))]
pub(super) async fn api_inquiry_close(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<CloseRequest>,
) -> Result<Response, ApiError> {
    let q = s
        .store
        .close_inquiry(&actor, id, &r.answer)
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    Ok(Json(q).into_response())
}
