//! The OpenAPI document at `/api/openapi.json` — the base information
//! merged with every capability's part — and the `/healthz` check.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use utoipa::OpenApi;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/openapi.json", get(openapi_json))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tongban API",
        description = "一网通办 — service catalogue, guide audit and search. Errors are `{\"error\": {\"code\", \"message\", \"details\"}}`. State-changing calls need the session cookie and the `X-CSRF-Token` header from `GET /api/v1/session`."
    ),
    paths(healthz),
    components(schemas(crate::http::ErrorBody))
)]
pub struct ApiDoc;

/// The whole document: the base and every capability's paths and schemas.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::catalog::CatalogDoc::openapi());
    doc.merge(crate::accounts::AccountsDoc::openapi());
    doc.merge(crate::guide_audit::GuideAuditDoc::openapi());
    doc.merge(crate::cases::CasesDoc::openapi());
    doc.merge(crate::notices::NoticesDoc::openapi());
    doc.merge(crate::inquiries::InquiriesDoc::openapi());
    doc.merge(crate::bundles::BundlesDoc::openapi());
    doc.merge(crate::certificates::CertificatesDoc::openapi());
    doc.merge(crate::shared_data::SharedDataDoc::openapi());
    doc
}

pub async fn openapi_json() -> Response {
    let body = document()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".to_string());
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Health: 200 when the database answers.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "database answers"), (status = 503, description = "database down")))]
pub async fn healthz(State(s): State<AppState>) -> Response {
    match s.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("database: {e}")).into_response(),
    }
}
