//! The inquiries' JSON API: log a first inquiry, list the centre's (names
//! masked), hand one over, close it with the answer.

use crate::http::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tongban_store::inquiries::{Inquiry, NewInquiry};
use utoipa::ToSchema;

use crate::AppState;
use crate::http::{ApiError, ApiUser};

/// How an inquiry came in: the values the store accepts.
#[derive(Debug, Clone, Copy, ToSchema)]
#[schema(rename_all = "snake_case")]
// Documents the text fields below: a request's channel is read as text so
// that every wrong field is reported at once; the store checks the value.
#[allow(dead_code)]
pub enum InquiryChannel {
    /// At the window.
    Window,
    /// On the hotline (12345 …).
    Hotline,
}

/// Where an inquiry stands.
#[derive(Debug, Clone, Copy, ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // documents the text fields below; the store sets the value
pub enum InquiryStatus {
    /// With its owner, not answered yet.
    Open,
    /// Answered.
    Closed,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct InquiryRequest {
    /// Another value is refused (422), reported by field together with
    /// every other wrong field.
    #[schema(value_type = InquiryChannel)]
    pub channel: String,
    pub subject: String,
    pub inquirer: String,
    #[serde(default)]
    pub contact: String,
}

/// An inquiry (首问负责) with its owner and, once closed, the answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InquiryView {
    pub id: i64,
    pub centre_id: i64,
    #[schema(value_type = InquiryChannel)]
    pub channel: String,
    pub subject: String,
    pub inquirer: String,
    pub contact: String,
    /// The staff member answering for it.
    pub owner_id: i64,
    pub owner_name: String,
    #[schema(value_type = InquiryStatus)]
    pub status: String,
    pub answer: String,
    pub created_at: i64,
    #[schema(required)]
    pub closed_at: Option<i64>,
}

impl From<Inquiry> for InquiryView {
    fn from(q: Inquiry) -> Self {
        let Inquiry {
            id,
            centre_id,
            channel,
            subject,
            inquirer,
            contact,
            owner_id,
            owner_name,
            status,
            answer,
            created_at,
            closed_at,
        } = q;
        InquiryView {
            id,
            centre_id,
            channel,
            subject,
            inquirer,
            contact,
            owner_id,
            owner_name,
            status,
            answer,
            created_at,
            closed_at,
        }
    }
}

/// An inquiry as the centre's list shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InquiryRow {
    pub id: i64,
    #[schema(value_type = InquiryChannel)]
    pub channel: String,
    pub subject: String,
    /// Masked (王*).
    pub inquirer: String,
    /// The owner's name.
    pub owner: String,
    #[schema(value_type = InquiryStatus)]
    pub status: String,
    pub created_at: i64,
}

/// The inquiries of the caller's centre, open ones first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InquiryList {
    pub inquiries: Vec<InquiryRow>,
}

/// Logs a first inquiry (首问负责): the caller becomes its owner.
#[utoipa::path(post, path = "/api/v1/inquiries", tag = "inquiries", security(("session" = [])), request_body = InquiryRequest,
    responses((status = 201, body = InquiryView), (status = 403, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_inquiry_create(
    State(s): State<AppState>,
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
        .map_err(ApiError::from)?;
    Ok((StatusCode::CREATED, Json(InquiryView::from(q))).into_response())
}

/// Inquiries of the caller's centre (inquirer names masked).
#[utoipa::path(get, path = "/api/v1/inquiries", tag = "inquiries", security(("session" = [])), responses((status = 200, body = InquiryList)))]
pub(super) async fn api_inquiries(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Response, ApiError> {
    let list = s.store.inquiries(&actor).await.map_err(ApiError::from)?;
    let inquiries = list
        .into_iter()
        .map(|q| InquiryRow {
            inquirer: q.inquirer_masked(),
            id: q.id,
            channel: q.channel,
            subject: q.subject,
            owner: q.owner_name,
            status: q.status,
            created_at: q.created_at,
        })
        .collect();
    Ok(Json(InquiryList { inquiries }).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct HandOverRequest {
    /// User name of the colleague taking over.
    pub to: String,
    pub note: String,
}

/// Hands an inquiry over (owner only), recorded with a note.
#[utoipa::path(post, path = "/api/v1/inquiries/{id}/hand-over", tag = "inquiries", security(("session" = [])), params(("id" = i64, Path)), request_body = HandOverRequest,
    responses((status = 200, body = InquiryView), (status = 403, body = crate::http::ErrorBody)))]
pub(super) async fn api_inquiry_hand_over(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<HandOverRequest>,
) -> Result<Response, ApiError> {
    let q = s
        .store
        .hand_over_inquiry(&actor, id, &r.to, &r.note)
        .await
        .map_err(ApiError::from)?;
    Ok(Json(InquiryView::from(q)).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CloseRequest {
    pub answer: String,
}

/// Closes an inquiry with the answer given (owner only).
#[utoipa::path(post, path = "/api/v1/inquiries/{id}/close", tag = "inquiries", security(("session" = [])), params(("id" = i64, Path)), request_body = CloseRequest,
    responses((status = 200, body = InquiryView), (status = 403, body = crate::http::ErrorBody)))]
pub(super) async fn api_inquiry_close(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<CloseRequest>,
) -> Result<Response, ApiError> {
    let q = s
        .store
        .close_inquiry(&actor, id, &r.answer)
        .await
        .map_err(ApiError::from)?;
    Ok(Json(InquiryView::from(q)).into_response())
}
