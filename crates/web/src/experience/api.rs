//! The experience officers' JSON API: record a walk-through, list them, and
//! work on the findings (fix, verify, send back), with a CSV export.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tongban_domain::privacy::Sight;
use tongban_domain::ratings::{FindingCategory, FindingSeverity, FindingState};
use tongban_store::experience::{
    FindingAction, NewFinding, NewWalkthrough, OfficerFinding, WalkSubject, Walkthrough,
};
use utoipa::ToSchema;

use crate::AppState;
use crate::http::{ApiError, ApiUser, Json};

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WalkSubjectKind {
    Item,
    Bundle,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct OfficerFindingRequest {
    pub category: FindingCategory,
    pub severity: FindingSeverity,
    #[serde(default)]
    pub step: String,
    pub description: String,
}

/// A walk-through as recorded by an officer.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct WalkthroughRequest {
    pub subject: WalkSubjectKind,
    /// The item's 实施编码 or the bundle's code (published).
    pub code: String,
    /// The steps taken, in order.
    pub steps: Vec<String>,
    /// Minutes it took, 1–1440.
    pub minutes: i64,
    #[serde(default)]
    pub findings: Vec<OfficerFindingRequest>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfficerFindingView {
    pub id: i64,
    pub version: i64,
    pub walkthrough_id: i64,
    #[schema(required)]
    pub department_id: Option<i64>,
    pub subject_code: String,
    pub subject_name: String,
    pub category: FindingCategory,
    pub severity: FindingSeverity,
    pub step: String,
    pub description: String,
    pub state: FindingState,
    pub due: NaiveDate,
    pub fixed_note: String,
    #[schema(required)]
    pub fixed_at: Option<i64>,
    #[schema(required)]
    pub verified_at: Option<i64>,
    pub sent_back_reason: String,
    /// Evidence files (id, name), where the caller may read them.
    pub files: Vec<OfficerFindingFileView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfficerFindingFileView {
    pub id: i64,
    pub file_name: String,
}

impl From<&OfficerFinding> for OfficerFindingView {
    fn from(f: &OfficerFinding) -> Self {
        OfficerFindingView {
            id: f.id,
            version: f.version,
            walkthrough_id: f.walkthrough_id,
            department_id: f.department_id,
            subject_code: f.subject_code.clone(),
            subject_name: f.subject_name.clone(),
            category: f.category,
            severity: f.severity,
            step: f.step.clone(),
            description: f.description.clone(),
            state: f.state,
            due: f.due,
            fixed_note: f.fixed_note.clone(),
            fixed_at: f.fixed_at,
            verified_at: f.verified_at,
            sent_back_reason: f.sent_back_reason.clone(),
            files: f
                .files
                .iter()
                .map(|(id, file_name)| OfficerFindingFileView {
                    id: *id,
                    file_name: file_name.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WalkthroughView {
    pub id: i64,
    pub subject: WalkSubjectKind,
    pub subject_code: String,
    pub subject_name: String,
    #[schema(required)]
    pub department_id: Option<i64>,
    pub steps: Vec<String>,
    pub minutes: i64,
    pub walked_on: NaiveDate,
    pub findings: Vec<OfficerFindingView>,
}

impl From<&Walkthrough> for WalkthroughView {
    fn from(w: &Walkthrough) -> Self {
        WalkthroughView {
            id: w.id,
            subject: match w.subject {
                WalkSubject::Item => WalkSubjectKind::Item,
                WalkSubject::Bundle => WalkSubjectKind::Bundle,
            },
            subject_code: w.subject_code.clone(),
            subject_name: w.subject_name.clone(),
            department_id: w.department_id,
            steps: w.steps.clone(),
            minutes: w.minutes,
            walked_on: w.walked_on,
            findings: w.findings.iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WalkthroughList {
    pub walkthroughs: Vec<WalkthroughView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfficerFindingList {
    pub findings: Vec<OfficerFindingView>,
}

/// What is done to a finding.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OfficerFindingActionBody {
    /// The owner says what was fixed.
    Fix { note: String },
    /// A supervisor verifies the fix.
    Verify,
    /// A supervisor sends it back, saying why.
    SendBack { reason: String },
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct OfficerFindingActionRequest {
    /// The finding's version as read: a change meanwhile is refused (409).
    #[serde(default)]
    pub version: Option<i64>,
    pub action: OfficerFindingActionBody,
}

/// Records a walk-through (experience officers); each finding goes to the
/// owning unit with a deadline by its severity.
#[utoipa::path(post, path = "/api/v1/walkthroughs", tag = "experience", security(("session" = [])), request_body = WalkthroughRequest,
    responses((status = 201, body = WalkthroughView), (status = 403, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_walk(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Json(r): Json<WalkthroughRequest>,
) -> Result<Response, ApiError> {
    actor.may_walk_through()?;
    let subject = match r.subject {
        WalkSubjectKind::Item => WalkSubject::Item,
        WalkSubjectKind::Bundle => WalkSubject::Bundle,
    };
    // A bundle's name is the bundles' to say.
    let bundle_name = if subject == WalkSubject::Bundle {
        s.store
            .published_bundles()
            .await?
            .into_iter()
            .find(|b| b.bundle.code == r.code)
            .map(|b| b.bundle.doc.name)
            .unwrap_or_default()
    } else {
        String::new()
    };
    let w = s
        .store
        .record_walkthrough(
            &actor,
            &NewWalkthrough {
                subject,
                code: r.code,
                bundle_name,
                steps: r.steps,
                minutes: r.minutes,
                findings: r
                    .findings
                    .into_iter()
                    .map(|f| NewFinding {
                        category: f.category,
                        severity: f.severity,
                        step: f.step,
                        description: f.description,
                    })
                    .collect(),
            },
            &s.calendar(),
            s.today(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(WalkthroughView::from(&w))).into_response())
}

/// The walk-throughs the caller may read: an officer's own, a supervisor's
/// centres'.
#[utoipa::path(get, path = "/api/v1/walkthroughs", tag = "experience", security(("session" = [])),
    responses((status = 200, body = WalkthroughList), (status = 403, body = crate::http::ErrorBody)))]
pub(super) async fn api_walks(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<WalkthroughList>, ApiError> {
    let list = s.store.walkthroughs_for(&actor).await?;
    Ok(Json(WalkthroughList {
        walkthroughs: list.iter().map(Into::into).collect(),
    }))
}

/// The officers' findings the caller works on or watches, open ones, the
/// earliest due first.
#[utoipa::path(get, path = "/api/v1/officer-findings", tag = "experience", security(("session" = [])),
    responses((status = 200, body = OfficerFindingList), (status = 403, body = crate::http::ErrorBody)))]
pub(super) async fn api_findings(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<OfficerFindingList>, ApiError> {
    let list = s.store.officer_findings_for(&actor, true).await?;
    Ok(Json(OfficerFindingList {
        findings: list
            .iter()
            .map(|f| {
                let mut v = OfficerFindingView::from(f);
                v.description = Sight::of(&actor).free_text(&v.description);
                v
            })
            .collect(),
    }))
}

/// All the caller's officers' findings as CSV.
#[utoipa::path(get, path = "/api/v1/officer-findings/export.csv", tag = "experience", security(("session" = [])),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 403, body = crate::http::ErrorBody)))]
pub(super) async fn api_findings_csv(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Response, ApiError> {
    let list = s.store.officer_findings_export(&actor).await?;
    Ok(crate::chrome::csv_download(
        "officer-findings.csv",
        super::walk::findings_csv(&list),
    ))
}

/// One finding.
#[utoipa::path(get, path = "/api/v1/officer-findings/{id}", tag = "experience", security(("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = OfficerFindingView), (status = 404, body = crate::http::ErrorBody)))]
pub(super) async fn api_finding(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<OfficerFindingView>, ApiError> {
    let f = s.store.officer_finding_for(&actor, id).await?;
    Ok(Json((&f).into()))
}

/// Fixes (the owner), verifies or sends back (a supervisor) a finding.
#[utoipa::path(post, path = "/api/v1/officer-findings/{id}/actions", tag = "experience", security(("session" = [])), params(("id" = i64, Path)), request_body = OfficerFindingActionRequest,
    responses((status = 200, body = OfficerFindingView), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_finding_act(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<OfficerFindingActionRequest>,
) -> Result<Json<OfficerFindingView>, ApiError> {
    let action = match r.action {
        OfficerFindingActionBody::Fix { note } => FindingAction::Fix { note },
        OfficerFindingActionBody::Verify => FindingAction::Verify,
        OfficerFindingActionBody::SendBack { reason } => FindingAction::SendBack { reason },
    };
    let f = s
        .store
        .officer_finding_act(&actor, id, r.version, &action)
        .await?;
    Ok(Json((&f).into()))
}

#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OfficerFindingFileParams {
    /// The file's name as the uploader had it.
    pub name: Option<String>,
}

/// Adds an evidence file (the request body; PDF, OFD, JPEG or PNG, at most
/// 10 MB) to a finding not yet verified: the officer who found it, or whoever
/// may fix it.
#[utoipa::path(put, path = "/api/v1/officer-findings/{id}/files", tag = "experience", security(("session" = [])), params(("id" = i64, Path), OfficerFindingFileParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = OfficerFindingView), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_finding_file(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Query(p): Query<OfficerFindingFileParams>,
    body: Bytes,
) -> Result<Response, ApiError> {
    s.store
        .officer_finding_file(
            &s.files,
            &actor,
            id,
            p.name.as_deref().unwrap_or_default(),
            body.to_vec(),
        )
        .await?;
    let f = s.store.officer_finding_for(&actor, id).await?;
    Ok((StatusCode::CREATED, Json(OfficerFindingView::from(&f))).into_response())
}
