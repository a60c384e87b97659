//! 联合验收 over the API: the completion stage's lead department schedules
//! the project's one joint inspection; each inspecting department records
//! its finding; the last sets the combined result.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tongban_store::enterprise::{Inspection, NewInspection};
use utoipa::ToSchema;

use super::api::{Answer, json};
use crate::AppState;
use crate::http::{ApiUser, Json};

/// One inspecting department's finding.
#[derive(Debug, Serialize, ToSchema)]
pub struct InspectionPartDoc {
    pub department_id: i64,
    pub department_name: String,
    /// None until the department records its finding.
    #[schema(required)]
    pub passed: Option<bool>,
    pub note: String,
}

/// A joint inspection with its departments and the combined result.
#[derive(Debug, Serialize, ToSchema)]
pub struct InspectionDoc {
    pub id: i64,
    pub project_id: i64,
    #[schema(value_type = String, format = Date)]
    pub inspect_on: chrono::NaiveDate,
    /// HH:MM.
    pub inspect_at: String,
    pub place: String,
    pub lead_department_id: i64,
    /// `pending` until every department's finding is in, then `passed`
    /// (every one passed) or `failed`.
    pub result: String,
    pub result_zh: String,
    pub parts: Vec<InspectionPartDoc>,
}

impl From<Inspection> for InspectionDoc {
    fn from(i: Inspection) -> Self {
        InspectionDoc {
            id: i.id,
            project_id: i.project_id,
            inspect_on: i.inspect_on,
            inspect_at: i.inspect_at,
            place: i.place,
            lead_department_id: i.lead_department_id,
            result: i.result.as_str().into(),
            result_zh: i.result.zh().into(),
            parts: i
                .parts
                .into_iter()
                .map(|p| InspectionPartDoc {
                    department_id: p.department_id,
                    department_name: p.department_name,
                    passed: p.passed,
                    note: p.note,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct InspectionRequest {
    /// YYYY-MM-DD, today or later.
    pub inspect_on: String,
    /// HH:MM.
    pub inspect_at: String,
    pub place: String,
    /// Departments inspecting besides those of the stage's items.
    #[serde(default)]
    pub departments: Vec<i64>,
}

/// The completion stage's lead department (its reviewers and heads)
/// schedules the project's joint inspection with every department of the
/// stage's items, once the stage is applied for and no other is open.
#[utoipa::path(post, path = "/api/v1/projects/{id}/inspections", tag = "enterprise", security(("session" = [])), params(("id" = i64, Path)), request_body = InspectionRequest,
    responses((status = 201, body = InspectionDoc), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_inspection_create(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<InspectionRequest>,
) -> Answer {
    let i = s
        .store
        .schedule_inspection(
            &actor,
            id,
            &NewInspection {
                inspect_on: r.inspect_on,
                inspect_at: r.inspect_at,
                place: r.place,
                departments: r.departments,
            },
            s.today(),
        )
        .await?;
    Ok(json(StatusCode::CREATED, &InspectionDoc::from(i)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FindingRequest {
    pub passed: bool,
    /// Required when it did not pass: the problems and what to put right.
    #[serde(default)]
    pub note: String,
}

/// An inspecting department (its reviewers and heads) records its finding,
/// once, on or after the inspection's day; the last department's sets the
/// combined result.
#[utoipa::path(post, path = "/api/v1/inspections/{id}/findings", tag = "enterprise", security(("session" = [])), params(("id" = i64, Path)), request_body = FindingRequest,
    responses((status = 200, body = InspectionDoc), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_inspection_finding(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<FindingRequest>,
) -> Answer {
    let i = s
        .store
        .record_inspection_finding(&actor, id, r.passed, &r.note, s.today())
        .await?;
    Ok(json(StatusCode::OK, &InspectionDoc::from(i)))
}
