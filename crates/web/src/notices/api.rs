//! The caller's in-app notifications as JSON (`/api/v1/notifications`).

use crate::http::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tongban_store::notices::Notification;
use utoipa::ToSchema;

use crate::AppState;
use crate::http::{ApiError, ApiUser};

/// One in-app notification.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: i64,
    /// The case it is about.
    #[schema(required)]
    pub case_id: Option<i64>,
    /// The bundle application (一件事) it is about.
    #[schema(required)]
    pub bundle_case_id: Option<i64>,
    pub subject: String,
    pub body: String,
    pub created_at: i64,
    pub read: bool,
}

impl From<Notification> for NotificationView {
    fn from(n: Notification) -> Self {
        let Notification {
            id,
            case_id,
            bundle_case_id,
            subject,
            body,
            created_at,
            read,
        } = n;
        NotificationView {
            id,
            case_id,
            bundle_case_id,
            subject,
            body,
            created_at,
            read,
        }
    }
}

/// The caller's notifications, newest first (at most 200).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationList {
    pub notifications: Vec<NotificationView>,
}

/// The caller's in-app notifications, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notices", security(("session" = [])), responses((status = 200, body = NotificationList)))]
pub(super) async fn api_notifications(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Response, ApiError> {
    let n = s
        .store
        .notifications(actor.user_id, 200)
        .await
        .map_err(ApiError::from)?;
    Ok(Json(NotificationList {
        notifications: n.into_iter().map(Into::into).collect(),
    })
    .into_response())
}
