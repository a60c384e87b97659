//! The bundles' JSON API: published bundles and the tailored list for a
//! set of answers, the bundle application from start to one submission,
//! 一窗受理 and corrections, and the catalogue admin's bundle versions.

use std::collections::BTreeMap;

use crate::http::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tongban_domain::auth::{Actor, Role};
use tongban_domain::bundle::{self, BundleDoc};
use tongban_domain::case::Deficiency;
use tongban_domain::catalog::FormField;
use tongban_domain::codes::mask_name;
use tongban_domain::privacy::Sight;
use tongban_store::StoreError;
use tongban_store::bundles::{BundleRecord, BundleView};
use utoipa::ToSchema;

use super::json::{
    AdminBundleList, BundleCaseList, BundleCaseRow, BundleCaseView, BundleDetail, BundleFileView,
    BundleList, BundleVersionView, CorrectionUploaded, SelectionView,
};
use crate::AppState;
use crate::http::{ApiError, ApiUser};

/// Published bundles with what each saves against applying item by item.
#[utoipa::path(get, path = "/api/v1/bundles", tag = "bundles", responses((status = 200, body = BundleList)))]
pub(super) async fn api_bundles(State(s): State<AppState>) -> Result<Response, ApiError> {
    let all = s.store.published_bundles().await.map_err(ApiError::from)?;
    Ok(Json(BundleList {
        bundles: all.iter().map(Into::into).collect(),
    })
    .into_response())
}

/// A published 一件事 as the public sees it (a project stage's form is none:
/// it is applied for from its project's page).
pub(super) async fn published(s: &AppState, code: &str) -> Result<BundleView, ApiError> {
    s.store
        .published_bundle(code)
        .await?
        .filter(|v| !v.bundle.doc.stage_only)
        .ok_or_else(|| ApiError::not_found(&format!("published bundle {code}")))
}

/// One published bundle: its definition (guide, questions, rules, form
/// fields), its items and its savings.
#[utoipa::path(get, path = "/api/v1/bundles/{code}", tag = "bundles", params(("code" = String, Path)),
    responses((status = 200, body = BundleDetail), (status = 404, body = crate::http::ErrorBody)))]
pub(super) async fn api_bundle(
    State(s): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let v = published(&s, &code).await?;
    Ok(Json(BundleDetail::from(&v)).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SelectRequest {
    /// Answers by question key: `yes`/`no`, an option, a number, or a date `YYYY-MM-DD`.
    pub answers: BTreeMap<String, String>,
}

/// The tailored list for a set of answers: the items that apply, each
/// material once, the notes, and the fields of the one form.
#[utoipa::path(post, path = "/api/v1/bundles/{code}/select", tag = "bundles", params(("code" = String, Path)), request_body = SelectRequest,
    responses((status = 200, body = SelectionView), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_select(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Json(req): Json<SelectRequest>,
) -> Result<Response, ApiError> {
    let v = published(&s, &code).await?;
    let sel = bundle::select_checked(&v.bundle.doc, &req.answers)
        .map_err(|e| ApiError::from(StoreError::Invalid(e)))?;
    let docs = v.item_docs();
    let fields: Vec<FormField> = bundle::asked_fields(&v.bundle.doc, &sel)
        .into_iter()
        .map(|f| bundle::field_spec(f, &sel, &docs))
        .collect();
    Ok(Json(SelectionView {
        materials: bundle::slots(&sel, &docs),
        selection: sel,
        fields,
    })
    .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StartRequest {
    /// Code of a published bundle, e.g. `newborn`.
    pub bundle: String,
    pub answers: BTreeMap<String, String>,
    /// Repeating the request with the same key returns the same application.
    #[serde(default)]
    #[schema(max_length = 100)]
    pub client_key: Option<String>,
}

/// The application as `actor` may see it: the one rule of what a viewer
/// sees of the family's data ([`Sight`]), for the bundle and each sub-case.
fn record_view(r: &BundleRecord, actor: &Actor) -> BundleCaseView {
    // The concierge who filed it for an enterprise sees what the store
    // showed them: all while their authorization holds (checked by every
    // action and by `bundle_for`), nothing otherwise.
    if actor.role == tongban_domain::auth::Role::Concierge && r.bundle.created_by == actor.user_id {
        return r.clone().into();
    }
    r.clone().seen_by(Sight::of(actor)).into()
}

/// Starts a bundle application (a draft) with the applicant's answers.
#[utoipa::path(post, path = "/api/v1/bundle-cases", tag = "bundles", security(("session" = [])), request_body = StartRequest,
    responses((status = 201, body = BundleCaseView), (status = 422, body = crate::http::ErrorBody), (status = 403, body = crate::http::ErrorBody)))]
pub(super) async fn api_start(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Json(req): Json<StartRequest>,
) -> Result<Response, ApiError> {
    let err = |e: StoreError| ApiError::from(e);
    let b = s
        .store
        .start_bundle(&actor, &req.bundle, &req.answers, req.client_key.as_deref())
        .await
        .map_err(err)?;
    let r = s.store.bundle_for(&actor, b.id).await.map_err(err)?;
    Ok((StatusCode::CREATED, Json(record_view(&r, &actor))).into_response())
}

/// The caller's bundle applications (applicant), or those awaiting intake (clerk).
#[utoipa::path(get, path = "/api/v1/bundle-cases", tag = "bundles", security(("session" = [])), responses((status = 200, body = BundleCaseList)))]
pub(super) async fn api_bundle_cases(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Response, ApiError> {
    let err = |e: StoreError| ApiError::from(e);
    let staff = !matches!(actor.role, Role::Applicant | Role::Concierge);
    let list = if staff {
        s.store.bundle_intake_queue(&actor).await.map_err(err)?
    } else {
        s.store.my_bundles(&actor).await.map_err(err)?
    };
    // Lists carry no form data, and staff lists mask the applicant.
    let bundle_cases = list
        .into_iter()
        .map(|b| BundleCaseRow {
            applicant_name: if staff {
                mask_name(&b.applicant_name)
            } else {
                b.applicant_name
            },
            id: b.id,
            bundle_no: b.bundle_no,
            code: b.code,
            name: b.name,
            state: b.state,
            submitted: b.submitted,
            submitted_at: b.submitted_at,
            updated_at: b.updated_at,
        })
        .collect();
    Ok(Json(BundleCaseList { bundle_cases }).into_response())
}

/// A bundle application with its sub-cases, slots, files and notices.
#[utoipa::path(get, path = "/api/v1/bundle-cases/{id}", tag = "bundles", security(("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = BundleCaseView), (status = 404, body = crate::http::ErrorBody)))]
pub(super) async fn api_bundle_case(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let r = s
        .store
        .bundle_for(&actor, id)
        .await
        .map_err(ApiError::from)?;
    Ok(Json(record_view(&r, &actor)).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FormRequest {
    /// The one form's fields by key.
    pub form: BTreeMap<String, String>,
}

/// Saves the one form; each field is checked against every item it fills.
#[utoipa::path(put, path = "/api/v1/bundle-cases/{id}/form", tag = "bundles", security(("session" = [])), params(("id" = i64, Path)), request_body = FormRequest,
    responses((status = 200, body = BundleCaseView), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_form(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<FormRequest>,
) -> Result<Response, ApiError> {
    let err = |e: StoreError| ApiError::from(e);
    s.store
        .save_bundle_form(&actor, id, &req.form)
        .await
        .map_err(err)?;
    let r = s.store.bundle_for(&actor, id).await.map_err(err)?;
    Ok(Json(record_view(&r, &actor)).into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    pub name: Option<String>,
}

/// Uploads the file (the request body) for one material slot of a draft.
#[utoipa::path(put, path = "/api/v1/bundle-cases/{id}/slots/{slot}/files", tag = "bundles", security(("session" = [])), params(("id" = i64, Path), ("slot" = u32, Path), UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = BundleFileView), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_upload(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((id, slot)): Path<(i64, u32)>,
    Query(p): Query<UploadParams>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = s
        .store
        .bundle_upload(
            &s.files,
            &actor,
            id,
            slot as usize,
            p.name.as_deref().unwrap_or_default(),
            body.to_vec(),
        )
        .await
        .map_err(ApiError::from)?;
    Ok((StatusCode::CREATED, Json(BundleFileView::from(f))).into_response())
}

/// Submits once: every selected item becomes a sub-case, all or none.
/// Submitting again returns the same application.
#[utoipa::path(post, path = "/api/v1/bundle-cases/{id}/submit", tag = "bundles", security(("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = BundleCaseView), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_submit(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let r = s
        .store
        .submit_bundle(&actor, id, &s.calendar(), s.today())
        .await
        .map_err(ApiError::from)?;
    Ok(Json(record_view(&r, &actor)).into_response())
}

/// 一窗受理: the clerk accepts every sub-case awaiting intake.
#[utoipa::path(post, path = "/api/v1/bundle-cases/{id}/accept", tag = "bundles", security(("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = BundleCaseView), (status = 409, body = crate::http::ErrorBody)))]
pub(super) async fn api_accept(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let r = s
        .store
        .accept_bundle(&actor, id, &s.calendar(), s.today())
        .await
        .map_err(ApiError::from)?;
    Ok(Json(record_view(&r, &actor)).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct IntakeRequest {
    /// Per sub-case id, what is missing or defective (`{"material": 0, "problem": "missing", "note": ""}`).
    /// Sub-cases not named (or with an empty list) are accepted.
    pub deficiencies: BTreeMap<String, Vec<Deficiency>>,
}

/// 一窗受理 with one combined correction notice: sub-cases with
/// deficiencies get their one-time notice, the others are accepted, and the
/// applicant gets one notice gathering every correction.
#[utoipa::path(post, path = "/api/v1/bundle-cases/{id}/intake", tag = "bundles", security(("session" = [])), params(("id" = i64, Path)), request_body = IntakeRequest,
    responses((status = 200, body = BundleCaseView), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_intake(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<IntakeRequest>,
) -> Result<Response, ApiError> {
    // The keys are sub-case ids (JSON object keys are text).
    let mut deficiencies = BTreeMap::new();
    for (k, v) in req.deficiencies {
        let cid = k.parse::<i64>().map_err(|_| {
            ApiError::invalid(tongban_domain::FieldErrors::single(
                tongban_domain::FieldError::new(
                    format!("deficiencies.{k}"),
                    "invalid",
                    format!("“{k}”不是案件编号（子件的 id）"),
                    format!("{k:?} is not a sub-case id"),
                ),
            ))
        })?;
        deficiencies.insert(cid, v);
    }
    let r = s
        .store
        .intake_bundle(&actor, id, &deficiencies, &s.calendar(), s.today())
        .await
        .map_err(ApiError::from)?;
    Ok(Json(record_view(&r, &actor)).into_response())
}

/// While corrections are asked for: uploads a file for one material; it
/// goes to every sub-case waiting for that material.
#[utoipa::path(put, path = "/api/v1/bundle-cases/{id}/corrections/{slot}/files", tag = "bundles", security(("session" = [])), params(("id" = i64, Path), ("slot" = u32, Path), UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = CorrectionUploaded), (status = 409, body = crate::http::ErrorBody)))]
pub(super) async fn api_correction_upload(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((id, slot)): Path<(i64, u32)>,
    Query(p): Query<UploadParams>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let n = s
        .store
        .bundle_correction_upload(
            &s.files,
            &actor,
            id,
            slot as usize,
            p.name.as_deref().unwrap_or_default(),
            body.to_vec(),
        )
        .await
        .map_err(ApiError::from)?;
    Ok((
        StatusCode::CREATED,
        Json(CorrectionUploaded { sub_cases: n }),
    )
        .into_response())
}

/// The corrections are supplied: every waiting sub-case goes on.
#[utoipa::path(post, path = "/api/v1/bundle-cases/{id}/supply", tag = "bundles", security(("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = BundleCaseView), (status = 409, body = crate::http::ErrorBody)))]
pub(super) async fn api_supply(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let r = s
        .store
        .supply_bundle_corrections(&actor, id, &s.calendar(), s.today())
        .await
        .map_err(ApiError::from)?;
    Ok(Json(record_view(&r, &actor)).into_response())
}

/// The newest version of every bundle (catalogue admin of the centre).
#[utoipa::path(get, path = "/api/v1/admin/bundles", tag = "bundles", security(("session" = [])), responses((status = 200, body = AdminBundleList), (status = 403, body = crate::http::ErrorBody)))]
pub(super) async fn api_admin_bundles(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Response, ApiError> {
    let all = s
        .store
        .admin_bundles(&actor)
        .await
        .map_err(ApiError::from)?;
    Ok(Json(AdminBundleList {
        bundles: all.into_iter().map(Into::into).collect(),
    })
    .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateBundleRequest {
    /// Stable code: lowercase letters, digits, hyphens.
    pub code: String,
    /// The bundle definition: name, event, guide, items, questions, rules, fields, promised_days, onsite_visits.
    pub doc: BundleDoc,
}

/// Creates version 1 of a bundle as a draft.
#[utoipa::path(post, path = "/api/v1/admin/bundles", tag = "bundles", security(("session" = [])), request_body = CreateBundleRequest,
    responses((status = 201, body = BundleVersionView), (status = 422, body = crate::http::ErrorBody), (status = 403, body = crate::http::ErrorBody)))]
pub(super) async fn api_admin_create(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Json(req): Json<CreateBundleRequest>,
) -> Result<Response, ApiError> {
    let v = s
        .store
        .create_bundle(&actor, &req.code, &req.doc)
        .await
        .map_err(ApiError::from)?;
    Ok((StatusCode::CREATED, Json(BundleVersionView::from(v))).into_response())
}

/// Starts a new draft version of a bundle from its newest version.
#[utoipa::path(post, path = "/api/v1/admin/bundles/{code}/versions", tag = "bundles", security(("session" = [])), params(("code" = String, Path)),
    responses((status = 201, body = BundleVersionView), (status = 409, body = crate::http::ErrorBody)))]
pub(super) async fn api_admin_new_version(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let v = s
        .store
        .new_bundle_version(&actor, &code)
        .await
        .map_err(ApiError::from)?;
    Ok((StatusCode::CREATED, Json(BundleVersionView::from(v))).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateBundleRequest {
    pub doc: BundleDoc,
}

/// Replaces the definition of a draft version.
#[utoipa::path(put, path = "/api/v1/admin/bundle-versions/{id}", tag = "bundles", security(("session" = [])), params(("id" = i64, Path)), request_body = UpdateBundleRequest,
    responses((status = 200, body = BundleVersionView), (status = 409, body = crate::http::ErrorBody)))]
pub(super) async fn api_admin_update(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<UpdateBundleRequest>,
) -> Result<Response, ApiError> {
    let v = s
        .store
        .update_bundle_draft(&actor, id, &req.doc)
        .await
        .map_err(ApiError::from)?;
    Ok(Json(BundleVersionView::from(v)).into_response())
}

/// Publishes a draft version; refused (422, by field) when a mapping names
/// a missing field, leaves a required item field unfilled, or no answer
/// selects an item.
#[utoipa::path(post, path = "/api/v1/admin/bundle-versions/{id}/publish", tag = "bundles", security(("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = BundleVersionView), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_admin_publish(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let v = s
        .store
        .publish_bundle(&actor, id)
        .await
        .map_err(ApiError::from)?;
    Ok(Json(BundleVersionView::from(v)).into_response())
}
