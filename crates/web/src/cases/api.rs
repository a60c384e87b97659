//! The cases' JSON API: create an application, the caller's work list, a
//! case with everything about it, commands that move it, uploads, issued
//! documents, and the public progress lookup.

use std::collections::BTreeMap;

use crate::http::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tongban_domain::case::Command;
use tongban_store::cases::{ApplicantInput, NewCase};
use utoipa::ToSchema;

use super::json::{
    AppliedView, CaseDetail, CaseDocumentView, CaseFileView, CaseListView, CaseWithClock,
    PublicBundleProgressView, PublicProgressView,
};
use super::progress::{lookup, lookup_bundle};
use super::views::clock_view;
use super::work::list_for;
use crate::AppState;
use crate::http::{ApiError, ApiUser, Lang, check_origin};

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateCaseRequest {
    /// 实施编码 (or an unambiguous 基本编码) of a published item.
    pub item: String,
    /// The item's form fields by key.
    #[serde(default)]
    pub form: BTreeMap<String, String>,
    /// Window applications only: the applicant as identified at the window.
    #[serde(default)]
    pub applicant: Option<ApplicantJson>,
    /// Repeating the request with the same key returns the same case.
    #[serde(default)]
    #[schema(max_length = 100)]
    pub client_key: Option<String>,
    /// A concierge applying for an enterprise: the enterprise's user name
    /// (refused, with the reason, without its valid authorization for the item).
    #[serde(default)]
    pub on_behalf_of: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ApplicantJson {
    pub name: String,
    pub id_number: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
}

/// Creates an application (a draft) for a published item.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", security(("session" = [])), request_body = CreateCaseRequest,
    responses((status = 201, description = "the draft case", body = CaseWithClock), (status = 422, body = crate::http::ErrorBody), (status = 403, body = crate::http::ErrorBody)))]
pub(super) async fn api_create(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
    Json(req): Json<CreateCaseRequest>,
) -> Result<Response, ApiError> {
    let input = NewCase {
        form: req.form,
        applicant: req.applicant.map(|a| ApplicantInput {
            name: a.name,
            id_number: a.id_number,
            phone: a.phone,
            email: a.email,
        }),
        client_key: req.client_key,
        on_behalf_of: req.on_behalf_of,
    };
    let c = s
        .store
        .create_case(&actor, &req.item, input)
        .await
        .map_err(ApiError::from)?;
    let clock = clock_view(&s, &c, lang);
    Ok((
        StatusCode::CREATED,
        Json(CaseWithClock {
            case: c.into(),
            clock,
        }),
    )
        .into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `mine` (applicant), `intake` (clerk), `inbox` (reviewer, head), `supervised` (supervisor).
    #[param(pattern = "^(mine|intake|inbox|supervised)$")]
    pub view: Option<String>,
}

/// The caller's work list: an applicant's cases, the window's intake queue,
/// a department's inbox (most urgent first) or the supervisor's open cases.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", security(("session" = [])), params(ListParams),
    responses((status = 200, body = CaseListView), (status = 403, body = crate::http::ErrorBody)))]
pub(super) async fn api_list(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Query(p): Query<ListParams>,
) -> Result<Response, ApiError> {
    let rows = list_for(&s, &actor, p.view.as_deref())
        .await
        .map_err(ApiError::from)?;
    Ok(Json(CaseListView {
        cases: rows.into_iter().map(Into::into).collect(),
    })
    .into_response())
}

/// A case with its files, documents, history and deadlines.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", security(("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = CaseDetail), (status = 404, body = crate::http::ErrorBody)))]
pub(super) async fn api_get(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let r = s.store.case_for(&actor, id).await.map_err(ApiError::from)?;
    // The store applies the one rule of what this viewer sees (Sight) to
    // the case, its lookups and its decisions.
    let case = r.case.clone();
    let fetches = s.store.case_fetches_for(&actor, &r.case).await?;
    let decisions = s.store.case_decisions_for(&actor, &r.case).await?;
    let verify_code = r.case.verify_code.clone();
    Ok(Json(CaseDetail {
        clock: clock_view(&s, &r.case, lang),
        case: case.into(),
        files: r.files.into_iter().map(Into::into).collect(),
        documents: r.documents.into_iter().map(Into::into).collect(),
        events: r.events.into_iter().map(Into::into).collect(),
        // What was looked up in shared data and what the rules said (秒批);
        // supervisors see the outcome, not the looked-up personal data.
        fetches: fetches.into_iter().map(Into::into).collect(),
        decisions: decisions.into_iter().map(Into::into).collect(),
        verify_code,
    })
    .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CommandRequest {
    /// The case version the caller saw; a stale version is refused (409).
    pub version: Option<i64>,
    /// `{"type": "accept"}`, `{"type": "request_correction", "deficiencies": [{"material": 1, "problem": "missing", "note": ""}], "fields": [{"field": "baby_name", "note": ""}]}`,
    /// `{"type": "refuse", "reason", "competent_agency"}`, `{"type": "supply_correction"}`, `{"type": "submit"}`,
    /// `{"type": "complete_review", "agree", "opinion"}`, `{"type": "suspend", "reason": {"kind": "special_procedure", "name": "专家评审"} | {"kind": "correction"}, "note"}`,
    /// `{"type": "resume"}`, `{"type": "extend", "days", "reason"}`, `{"type": "decide", "approve", "reason"}`,
    /// `{"type": "issue"}`, `{"type": "deliver", "method"}`, `{"type": "withdraw", "reason"}`.
    pub command: Command,
}

/// Moves a case: the command is checked against the caller's role and
/// department and the case's state; nothing changes when it is refused.
#[utoipa::path(post, path = "/api/v1/cases/{id}/commands", tag = "cases", security(("session" = [])), params(("id" = i64, Path)), request_body = CommandRequest,
    responses((status = 200, body = AppliedView), (status = 403, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_command(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<CommandRequest>,
) -> Result<Response, ApiError> {
    let out = s
        .case_command(&actor, id, req.version, req.command)
        .await
        .map_err(ApiError::from)?;
    Ok(Json(AppliedView::from(out)).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FormCorrectionRequest {
    /// The corrected values of the fields the correction notice names.
    pub form: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FormCorrected {
    /// The fields corrected.
    pub fields: Vec<String>,
    /// The case's version after the correction.
    pub version: i64,
}

/// Corrects the form fields that the case's correction notice names: the
/// applicant, or a window clerk of the case's own centre on the applicant's
/// word (the applicant is told); any other field is refused.
#[utoipa::path(post, path = "/api/v1/cases/{id}/form-corrections", tag = "cases", security(("session" = [])), params(("id" = i64, Path)), request_body = FormCorrectionRequest,
    responses((status = 200, body = FormCorrected), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_correct_form(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<FormCorrectionRequest>,
) -> Result<Json<FormCorrected>, ApiError> {
    let c = s.store.correct_form(&actor, id, &req.form).await?;
    Ok(Json(FormCorrected {
        fields: req.form.keys().cloned().collect(),
        version: c.version,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// The file's name as the applicant knows it.
    pub name: Option<String>,
}

/// Uploads one file (the request body) for material `idx`. The type is
/// sniffed from the content (PDF, OFD, JPEG, PNG); at most 10 MB.
#[utoipa::path(put, path = "/api/v1/cases/{id}/materials/{idx}/files", tag = "cases", security(("session" = [])), params(("id" = i64, Path), ("idx" = u32, Path, description = "the material's index in the item version"), UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = CaseFileView), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_upload(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((id, idx)): Path<(i64, u32)>,
    Query(p): Query<UploadParams>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = s
        .store
        .upload(
            &s.files,
            &actor,
            id,
            idx as usize,
            p.name.as_deref().unwrap_or_default(),
            body.to_vec(),
        )
        .await
        .map_err(ApiError::from)?;
    Ok((StatusCode::CREATED, Json(CaseFileView::from(f))).into_response())
}

/// One issued document (receipt, notice, decision).
#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "cases", security(("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = CaseDocumentView), (status = 404, body = crate::http::ErrorBody)))]
pub(super) async fn api_document(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let (_, d) = s
        .store
        .case_document(&actor, id)
        .await
        .map_err(ApiError::from)?;
    Ok(Json(CaseDocumentView::from(d)).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ProgressRequest {
    pub case_no: String,
    /// The 8-character verification code printed on the receipt.
    pub code: String,
}

/// Public progress lookup (办件查询): status, dates and deadline, no
/// personal data. Failed lookups are rate-limited per address.
#[utoipa::path(post, path = "/api/v1/progress", tag = "cases", request_body = ProgressRequest,
    responses((status = 200, body = PublicProgressView), (status = 404, body = crate::http::ErrorBody), (status = 429, body = crate::http::ErrorBody)))]
pub(super) async fn api_progress(
    State(s): State<AppState>,
    crate::http::ClientIp(client): crate::http::ClientIp,
    headers: axum::http::HeaderMap,
    Json(req): Json<ProgressRequest>,
) -> Result<Response, ApiError> {
    check_origin(&headers)?;
    let p = lookup(&s, client, &req.case_no, &req.code).await?;
    Ok(Json(PublicProgressView::from(p)).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BundleProgressRequest {
    /// The bundle application's number (一件事编号).
    pub bundle_no: String,
    /// The 8-character verification code on its confirmation.
    pub code: String,
}

/// Public progress lookup of a bundle application (一件事): its state and
/// each service's, no personal data. Failed lookups count against the same
/// per-address limit as case lookups.
#[utoipa::path(post, path = "/api/v1/progress/bundle", tag = "cases", request_body = BundleProgressRequest,
    responses((status = 200, body = PublicBundleProgressView), (status = 404, body = crate::http::ErrorBody), (status = 429, body = crate::http::ErrorBody)))]
pub(super) async fn api_bundle_progress(
    State(s): State<AppState>,
    crate::http::ClientIp(client): crate::http::ClientIp,
    headers: axum::http::HeaderMap,
    Json(req): Json<BundleProgressRequest>,
) -> Result<Response, ApiError> {
    check_origin(&headers)?;
    let p = lookup_bundle(&s, client, &req.bundle_no, &req.code).await?;
    Ok(Json(PublicBundleProgressView::from(p)).into_response())
}
