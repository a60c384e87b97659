//! Life-event bundles (SPEC §5) over HTTP: the public bundle list and guide
//! with its savings, the situational questions one per page, the tailored
//! list, one form, each material uploaded once, check your answers, one
//! submission; the bundle application's page (sub-cases, the combined
//! correction notice, the combined outcome); 一窗受理 for the clerk; and the
//! catalogue admin's bundle editor. JSON API under `/api/v1/bundles…`,
//! `/api/v1/bundle-cases…` and `/api/v1/admin/bundles…`.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, put};
use axum::{Form, Json, Router};
use serde::Deserialize;
use tongban_domain::FieldError;
use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::bundle::{self, BundleDoc, Condition, Effect, QuestionKind, Selection};
use tongban_domain::case::{Deficiency, Problem};
use tongban_domain::catalog::{FormField, ItemDoc};
use tongban_domain::codes::{mask, mask_name};
use tongban_store::StoreError;
use tongban_store::bundles::{BundleRecord, BundleView};
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::cases::{FieldView, field_views, posted, signed_in};
use crate::http::{ApiError, ApiUser, Lang};
use crate::pages::{Page, store_err};
use crate::views::{Chrome, fmt_time, url_encode};

pub fn routes() -> Router<AppState> {
    Router::new()
        // API
        .route("/api/v1/bundles", get(api_bundles))
        .route("/api/v1/bundles/{code}", get(api_bundle))
        .route("/api/v1/bundles/{code}/select", post(api_select))
        .route(
            "/api/v1/bundle-cases",
            post(api_start).get(api_bundle_cases),
        )
        .route("/api/v1/bundle-cases/{id}", get(api_bundle_case))
        .route("/api/v1/bundle-cases/{id}/form", put(api_form))
        .route(
            "/api/v1/bundle-cases/{id}/slots/{slot}/files",
            put(api_upload),
        )
        .route("/api/v1/bundle-cases/{id}/submit", post(api_submit))
        .route("/api/v1/bundle-cases/{id}/accept", post(api_accept))
        .route("/api/v1/bundle-cases/{id}/intake", post(api_intake))
        .route(
            "/api/v1/bundle-cases/{id}/corrections/{slot}/files",
            put(api_correction_upload),
        )
        .route("/api/v1/bundle-cases/{id}/supply", post(api_supply))
        .route(
            "/api/v1/admin/bundles",
            get(api_admin_bundles).post(api_admin_create),
        )
        .route(
            "/api/v1/admin/bundles/{code}/versions",
            post(api_admin_new_version),
        )
        .route("/api/v1/admin/bundle-versions/{id}", put(api_admin_update))
        .route(
            "/api/v1/admin/bundle-versions/{id}/publish",
            post(api_admin_publish),
        )
        // Pages
        .route("/bundles", get(list_page))
        .route("/bundles/{code}", get(guide_page))
        .route("/bundles/{code}/ask", get(ask_page))
        .route("/bundles/{code}/start", post(start_post))
        .route("/bundle-cases", get(my_page))
        .route("/bundle-cases/{id}", get(bundle_case_page))
        .route("/bundle-cases/{id}/form", get(form_page).post(form_post))
        .route("/bundle-cases/{id}/materials", get(materials_page))
        .route("/bundle-cases/{id}/slots/{slot}", post(slot_post))
        .route(
            "/bundle-cases/{id}/files/{file}/delete",
            post(remove_file_post),
        )
        .route("/bundle-cases/{id}/check", get(check_page))
        .route("/bundle-cases/{id}/submit", post(submit_post))
        .route("/bundle-cases/{id}/intake", post(intake_post))
        .route(
            "/bundle-cases/{id}/corrections/{slot}",
            post(correction_post),
        )
        .route("/bundle-cases/{id}/supply", post(supply_post))
        .route(
            "/admin/bundles",
            get(admin_list_page).post(admin_create_post),
        )
        .route("/admin/bundles/{code}", get(admin_bundle_page))
        .route(
            "/admin/bundles/{code}/new-version",
            post(admin_new_version_post),
        )
        .route("/admin/bundle-versions/{id}", post(admin_save_post))
        .route(
            "/admin/bundle-versions/{id}/publish",
            post(admin_publish_post),
        )
}

// ---------------------------------------------------------------------------
// JSON API

fn view_json(v: &BundleView) -> serde_json::Value {
    serde_json::json!({
        "code": v.bundle.code,
        "version": v.bundle.version,
        "name": v.bundle.doc.name,
        "event": v.bundle.doc.event,
        "promised_days": v.bundle.doc.promised_days,
        "items": v.items.iter().map(|i| serde_json::json!({
            "impl_code": i.impl_code,
            "name": i.doc.name,
            "department": i.department_name,
        })).collect::<Vec<_>>(),
        "savings": v.savings,
    })
}

/// Published bundles with what each saves against applying item by item.
#[utoipa::path(get, path = "/api/v1/bundles", responses((status = 200, body = Object)))]
async fn api_bundles(State(s): State<AppState>, lang: Lang) -> Result<Response, ApiError> {
    let all = s
        .store
        .published_bundles()
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    Ok(Json(serde_json::json!({
        "bundles": all.iter().map(view_json).collect::<Vec<_>>()
    }))
    .into_response())
}

async fn published(s: &AppState, code: &str) -> Result<BundleView, ApiError> {
    s.store
        .published_bundle(code)
        .await?
        .ok_or_else(|| ApiError::not_found(code))
}

/// One published bundle: its definition (guide, questions, rules, form
/// fields), its items and its savings.
#[utoipa::path(get, path = "/api/v1/bundles/{code}", params(("code" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::http::ErrorBody)))]
async fn api_bundle(
    State(s): State<AppState>,
    lang: Lang,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let v = published(&s, &code).await.map_err(|e| e.in_lang(lang))?;
    let mut j = view_json(&v);
    j["doc"] = serde_json::to_value(&v.bundle.doc).unwrap_or_default();
    Ok(Json(j).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SelectRequest {
    /// Answers by question key: `yes`/`no`, an option, a number, or a date `YYYY-MM-DD`.
    pub answers: BTreeMap<String, String>,
}

/// The tailored list for a set of answers: the items that apply, each
/// material once, the notes, and the fields of the one form.
#[utoipa::path(post, path = "/api/v1/bundles/{code}/select", params(("code" = String, Path)), request_body = SelectRequest,
    responses((status = 200, body = Object), (status = 422, body = crate::http::ErrorBody)))]
async fn api_select(
    State(s): State<AppState>,
    lang: Lang,
    Path(code): Path<String>,
    Json(req): Json<SelectRequest>,
) -> Result<Response, ApiError> {
    let v = published(&s, &code).await.map_err(|e| e.in_lang(lang))?;
    let sel = bundle::select_checked(&v.bundle.doc, &req.answers)
        .map_err(|e| ApiError::from(StoreError::Invalid(e)).in_lang(lang))?;
    let docs = v.item_docs();
    let fields: Vec<FormField> = bundle::asked_fields(&v.bundle.doc, &sel)
        .into_iter()
        .map(|f| bundle::field_spec(f, &sel, &docs))
        .collect();
    Ok(Json(serde_json::json!({
        "selection": sel,
        "materials": bundle::slots(&sel, &docs),
        "fields": fields,
    }))
    .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StartRequest {
    /// Code of a published bundle, e.g. `newborn`.
    pub bundle: String,
    pub answers: BTreeMap<String, String>,
    /// Repeating the request with the same key returns the same application.
    #[serde(default)]
    pub client_key: Option<String>,
}

fn record_json(r: &BundleRecord, actor: &Actor) -> serde_json::Value {
    let mut r = r.clone();
    if actor.role == Role::Supervisor {
        // Oversight needs the facts of the application, not the family's data.
        r.bundle.applicant_name = mask_name(&r.bundle.applicant_name);
        r.bundle.applicant_id_number = mask(&r.bundle.applicant_id_number, 3, 2);
        r.bundle.form.clear();
        for c in &mut r.sub_cases {
            c.applicant_name = mask_name(&c.applicant_name);
            c.applicant_id_number = mask(&c.applicant_id_number, 3, 2);
            c.applicant_phone = mask(&c.applicant_phone, 3, 2);
            c.form.clear();
        }
    }
    let missing = r.missing_slots();
    let mut j = serde_json::to_value(&r).unwrap_or_default();
    j["state_zh"] = r.bundle.state.zh().into();
    j["missing_slots"] = serde_json::to_value(missing).unwrap_or_default();
    j
}

/// Starts a bundle application (a draft) with the applicant's answers.
#[utoipa::path(post, path = "/api/v1/bundle-cases", request_body = StartRequest,
    responses((status = 201, body = Object), (status = 422, body = crate::http::ErrorBody), (status = 403, body = crate::http::ErrorBody)))]
async fn api_start(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
    Json(req): Json<StartRequest>,
) -> Result<Response, ApiError> {
    let err = |e: StoreError| ApiError::from(e).in_lang(lang);
    let b = s
        .store
        .start_bundle(&actor, &req.bundle, &req.answers, req.client_key.as_deref())
        .await
        .map_err(err)?;
    let r = s.store.bundle_for(&actor, b.id).await.map_err(err)?;
    Ok((StatusCode::CREATED, Json(record_json(&r, &actor))).into_response())
}

/// The caller's bundle applications (applicant), or those awaiting intake (clerk).
#[utoipa::path(get, path = "/api/v1/bundle-cases", responses((status = 200, body = Object)))]
async fn api_bundle_cases(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
) -> Result<Response, ApiError> {
    let err = |e: StoreError| ApiError::from(e).in_lang(lang);
    let staff = actor.role != Role::Applicant;
    let list = if staff {
        s.store.bundle_intake_queue(&actor).await.map_err(err)?
    } else {
        s.store.my_bundles(&actor).await.map_err(err)?
    };
    // Lists carry no form data, and staff lists mask the applicant.
    let list: Vec<serde_json::Value> = list
        .iter()
        .map(|b| {
            serde_json::json!({
                "id": b.id,
                "bundle_no": b.bundle_no,
                "code": b.code,
                "name": b.name,
                "state": b.state,
                "submitted": b.submitted,
                "applicant_name": if staff { mask_name(&b.applicant_name) } else { b.applicant_name.clone() },
                "submitted_at": b.submitted_at,
                "updated_at": b.updated_at,
            })
        })
        .collect();
    Ok(Json(serde_json::json!({ "bundle_cases": list })).into_response())
}

/// A bundle application with its sub-cases, slots, files and notices.
#[utoipa::path(get, path = "/api/v1/bundle-cases/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::http::ErrorBody)))]
async fn api_bundle_case(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let r = s
        .store
        .bundle_for(&actor, id)
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    Ok(Json(record_json(&r, &actor)).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FormRequest {
    /// The one form's fields by key.
    pub form: BTreeMap<String, String>,
}

/// Saves the one form; each field is checked against every item it fills.
#[utoipa::path(put, path = "/api/v1/bundle-cases/{id}/form", params(("id" = i64, Path)), request_body = FormRequest,
    responses((status = 200, body = Object), (status = 422, body = crate::http::ErrorBody)))]
async fn api_form(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<FormRequest>,
) -> Result<Response, ApiError> {
    let err = |e: StoreError| ApiError::from(e).in_lang(lang);
    s.store
        .save_bundle_form(&actor, id, &req.form)
        .await
        .map_err(err)?;
    let r = s.store.bundle_for(&actor, id).await.map_err(err)?;
    Ok(Json(record_json(&r, &actor)).into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct UploadParams {
    pub name: Option<String>,
}

/// Uploads the file (the request body) for one material slot of a draft.
#[utoipa::path(put, path = "/api/v1/bundle-cases/{id}/slots/{slot}/files", params(("id" = i64, Path), ("slot" = usize, Path), UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = Object), (status = 422, body = crate::http::ErrorBody)))]
async fn api_upload(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
    Path((id, slot)): Path<(i64, usize)>,
    Query(p): Query<UploadParams>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = s
        .store
        .bundle_upload(
            &s.files,
            &actor,
            id,
            slot,
            p.name.as_deref().unwrap_or_default(),
            body.to_vec(),
        )
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    Ok((StatusCode::CREATED, Json(f)).into_response())
}

/// Submits once: every selected item becomes a sub-case, all or none.
/// Submitting again returns the same application.
#[utoipa::path(post, path = "/api/v1/bundle-cases/{id}/submit", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 422, body = crate::http::ErrorBody)))]
async fn api_submit(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let r = s
        .store
        .submit_bundle(&actor, id, &s.calendar(), s.today())
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    Ok(Json(record_json(&r, &actor)).into_response())
}

/// 一窗受理: the clerk accepts every sub-case awaiting intake.
#[utoipa::path(post, path = "/api/v1/bundle-cases/{id}/accept", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 409, body = crate::http::ErrorBody)))]
async fn api_accept(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let r = s
        .store
        .accept_bundle(&actor, id, &s.calendar(), s.today())
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    Ok(Json(record_json(&r, &actor)).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct IntakeRequest {
    /// Per sub-case id, what is missing or defective (`{"material": 0, "problem": "missing", "note": ""}`).
    /// Sub-cases not named (or with an empty list) are accepted.
    #[schema(value_type = Object)]
    pub deficiencies: BTreeMap<i64, Vec<Deficiency>>,
}

/// 一窗受理 with one combined correction notice: sub-cases with
/// deficiencies get their one-time notice, the others are accepted, and the
/// applicant gets one notice gathering every correction.
#[utoipa::path(post, path = "/api/v1/bundle-cases/{id}/intake", params(("id" = i64, Path)), request_body = IntakeRequest,
    responses((status = 200, body = Object), (status = 422, body = crate::http::ErrorBody)))]
async fn api_intake(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<IntakeRequest>,
) -> Result<Response, ApiError> {
    let r = s
        .store
        .intake_bundle(&actor, id, &req.deficiencies, &s.calendar(), s.today())
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    Ok(Json(record_json(&r, &actor)).into_response())
}

/// While corrections are asked for: uploads a file for one material; it
/// goes to every sub-case waiting for that material.
#[utoipa::path(put, path = "/api/v1/bundle-cases/{id}/corrections/{slot}/files", params(("id" = i64, Path), ("slot" = usize, Path), UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = Object), (status = 409, body = crate::http::ErrorBody)))]
async fn api_correction_upload(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
    Path((id, slot)): Path<(i64, usize)>,
    Query(p): Query<UploadParams>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let n = s
        .store
        .bundle_correction_upload(
            &s.files,
            &actor,
            id,
            slot,
            p.name.as_deref().unwrap_or_default(),
            body.to_vec(),
        )
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({"sub_cases": n})),
    )
        .into_response())
}

/// The corrections are supplied: every waiting sub-case goes on.
#[utoipa::path(post, path = "/api/v1/bundle-cases/{id}/supply", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 409, body = crate::http::ErrorBody)))]
async fn api_supply(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let r = s
        .store
        .supply_bundle_corrections(&actor, id, &s.calendar(), s.today())
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    Ok(Json(record_json(&r, &actor)).into_response())
}

/// The newest version of every bundle (catalogue admin of the centre).
#[utoipa::path(get, path = "/api/v1/admin/bundles", responses((status = 200, body = Object), (status = 403, body = crate::http::ErrorBody)))]
async fn api_admin_bundles(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
) -> Result<Response, ApiError> {
    let all = s
        .store
        .admin_bundles(&actor)
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    Ok(Json(serde_json::json!({ "bundles": all })).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateBundleRequest {
    /// Stable code: lowercase letters, digits, hyphens.
    pub code: String,
    /// The bundle definition: name, event, guide, items, questions, rules, fields, promised_days, onsite_visits.
    #[schema(value_type = Object)]
    pub doc: BundleDoc,
}

/// Creates version 1 of a bundle as a draft.
#[utoipa::path(post, path = "/api/v1/admin/bundles", request_body = CreateBundleRequest,
    responses((status = 201, body = Object), (status = 422, body = crate::http::ErrorBody), (status = 403, body = crate::http::ErrorBody)))]
async fn api_admin_create(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
    Json(req): Json<CreateBundleRequest>,
) -> Result<Response, ApiError> {
    let v = s
        .store
        .create_bundle(&actor, &req.code, &req.doc)
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// Starts a new draft version of a bundle from its newest version.
#[utoipa::path(post, path = "/api/v1/admin/bundles/{code}/versions", params(("code" = String, Path)),
    responses((status = 201, body = Object), (status = 409, body = crate::http::ErrorBody)))]
async fn api_admin_new_version(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let v = s
        .store
        .new_bundle_version(&actor, &code)
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateBundleRequest {
    #[schema(value_type = Object)]
    pub doc: BundleDoc,
}

/// Replaces the definition of a draft version.
#[utoipa::path(put, path = "/api/v1/admin/bundle-versions/{id}", params(("id" = i64, Path)), request_body = UpdateBundleRequest,
    responses((status = 200, body = Object), (status = 409, body = crate::http::ErrorBody)))]
async fn api_admin_update(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<UpdateBundleRequest>,
) -> Result<Response, ApiError> {
    let v = s
        .store
        .update_bundle_draft(&actor, id, &req.doc)
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    Ok(Json(v).into_response())
}

/// Publishes a draft version; refused (422, by field) when a mapping names
/// a missing field, leaves a required item field unfilled, or no answer
/// selects an item.
#[utoipa::path(post, path = "/api/v1/admin/bundle-versions/{id}/publish", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 422, body = crate::http::ErrorBody)))]
async fn api_admin_publish(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let v = s
        .store
        .publish_bundle(&actor, id)
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    Ok(Json(v).into_response())
}

#[derive(OpenApi)]
#[openapi(
    paths(
        api_bundles,
        api_bundle,
        api_select,
        api_start,
        api_bundle_cases,
        api_bundle_case,
        api_form,
        api_upload,
        api_submit,
        api_accept,
        api_intake,
        api_correction_upload,
        api_supply,
        api_admin_bundles,
        api_admin_create,
        api_admin_new_version,
        api_admin_update,
        api_admin_publish
    ),
    components(schemas(
        SelectRequest,
        StartRequest,
        FormRequest,
        IntakeRequest,
        CreateBundleRequest,
        UpdateBundleRequest
    ))
)]
pub struct BundlesDoc;

// ---------------------------------------------------------------------------
// Page helpers

fn form_value(raw: &[(String, String)], k: &str) -> String {
    raw.iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// Field errors as the error summary links them (`f-{field}` ids).
fn page_errors(errs: tongban_domain::FieldErrors) -> Vec<FieldError> {
    errs.0
        .into_iter()
        .map(|mut e| {
            e.field = e.field.replace(['.', '[', ']'], "_");
            e
        })
        .collect()
}

struct SavingsView {
    materials: (u32, u32),
    trips: (u32, u32),
    forms: (u32, u32),
    days: (u32, u32),
}

fn savings_view(s: &bundle::Savings) -> SavingsView {
    SavingsView {
        materials: (s.materials_separately, s.materials_bundle),
        trips: (s.trips_separately, s.trips_bundle),
        forms: (s.forms_separately, s.forms_bundle),
        days: (s.days_separately, s.days_bundle),
    }
}

struct SlotView {
    index: usize,
    name: String,
    standard: String,
    original: bool,
    required: bool,
    used_by: String,
    ambiguous: bool,
    files: Vec<(i64, String)>,
}

fn slot_views(r: &BundleRecord) -> Vec<SlotView> {
    r.slots
        .iter()
        .enumerate()
        .map(|(i, s)| SlotView {
            index: i,
            name: s.name.clone(),
            standard: s.standard.clone(),
            original: s.original,
            required: s.required,
            used_by: s.item_names.join("、"),
            ambiguous: s.ambiguous,
            files: r
                .files
                .iter()
                .filter(|f| f.slot == i as i64)
                .map(|f| (f.id, f.file_name.clone()))
                .collect(),
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Public pages: list, guide, questions, tailored list

#[derive(Template, WebTemplate)]
#[template(path = "bundles.html")]
struct ListPage {
    c: Chrome,
    bundles: Vec<(String, String, String, usize, SavingsView)>,
}

async fn list_page(State(s): State<AppState>, page: Page) -> Result<Response, Response> {
    let all = s
        .store
        .published_bundles()
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(ListPage {
        c: page.chrome(),
        bundles: all
            .iter()
            .map(|v| {
                (
                    v.bundle.code.clone(),
                    v.bundle.doc.name.clone(),
                    v.bundle.doc.event.clone(),
                    v.items.len(),
                    savings_view(&v.savings),
                )
            })
            .collect(),
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "bundle_guide.html")]
struct GuidePage {
    c: Chrome,
    code: String,
    name: String,
    event: String,
    guide: Vec<String>,
    version: i64,
    promised_days: u32,
    items: Vec<(String, String, String, u32, usize)>,
    questions: usize,
    savings: SavingsView,
}

async fn guide_page(
    State(s): State<AppState>,
    page: Page,
    Path(code): Path<String>,
) -> Result<Response, Response> {
    let v = published(&s, &code).await.map_err(|e| page.error(e))?;
    Ok(GuidePage {
        c: page.chrome(),
        code: v.bundle.code.clone(),
        name: v.bundle.doc.name.clone(),
        event: v.bundle.doc.event.clone(),
        guide: v
            .bundle
            .doc
            .guide
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect(),
        version: v.bundle.version,
        promised_days: v.bundle.doc.promised_days,
        items: v
            .items
            .iter()
            .map(|i| {
                (
                    i.impl_code.clone(),
                    i.doc.name.clone(),
                    i.department_name.clone(),
                    i.doc.promised_limit.as_ref().map(|l| l.days).unwrap_or(0),
                    i.doc.materials.len(),
                )
            })
            .collect(),
        questions: v.bundle.doc.questions.len(),
        savings: savings_view(&v.savings),
    }
    .into_response())
}

/// Answers carried from page to page in the query string (`a_<key>`).
fn answers_of(q: &[(String, String)]) -> BTreeMap<String, String> {
    q.iter()
        .filter_map(|(k, v)| k.strip_prefix("a_").map(|k| (k.to_string(), v.clone())))
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "bundle_question.html")]
struct QuestionPage {
    c: Chrome,
    code: String,
    name: String,
    step: usize,
    total: usize,
    key: String,
    text: String,
    kind: &'static str,
    options: Vec<String>,
    value: String,
    /// Earlier answers, carried as hidden fields.
    carried: Vec<(String, String)>,
    back: String,
    errors: Vec<FieldError>,
}

#[derive(Template, WebTemplate)]
#[template(path = "bundle_list.html")]
struct TailoredPage {
    c: Chrome,
    code: String,
    name: String,
    answers: Vec<(String, String, String)>,
    carried: Vec<(String, String)>,
    items: Vec<(String, String)>,
    notes: Vec<String>,
    slots: Vec<SlotView>,
    fields: Vec<String>,
    change: String,
    client_key: String,
    errors: Vec<FieldError>,
}

fn answer_text(kind: QuestionKind, v: &str, lang: Lang) -> String {
    match (kind, v) {
        (QuestionKind::YesNo, "yes") => lang.t("是", "Yes").into(),
        (QuestionKind::YesNo, "no") => lang.t("否", "No").into(),
        _ => v.to_string(),
    }
}

fn ask_url(code: &str, step: usize, answers: &BTreeMap<String, String>) -> String {
    let mut u = format!("/bundles/{}/ask?step={step}", url_encode(code));
    for (k, v) in answers {
        u.push_str(&format!("&a_{}={}", url_encode(k), url_encode(v)));
    }
    u
}

/// One question per page; after the last, the tailored list.
async fn ask_page(
    State(s): State<AppState>,
    page: Page,
    Path(code): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, Response> {
    let v = published(&s, &code).await.map_err(|e| page.error(e))?;
    let doc = &v.bundle.doc;
    let mut answers = answers_of(&q);
    let step: usize = form_value(&q, "step").parse().unwrap_or(0);
    // Only answers to known questions, and only up to the current step.
    answers.retain(|k, _| doc.questions.iter().any(|x| &x.key == k));
    // The first earlier question without a valid answer is asked again.
    let mut ask = step.min(doc.questions.len());
    let mut errors = Vec::new();
    for (i, qn) in doc.questions.iter().enumerate().take(ask) {
        let partial: BTreeMap<String, String> = answers
            .iter()
            .filter(|(k, _)| *k == &qn.key)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let single = BundleDoc {
            questions: vec![qn.clone()],
            ..doc.clone()
        };
        if let Err(e) = bundle::check_answers(&single, &partial) {
            ask = i;
            errors = page_errors(e);
            break;
        }
    }
    if ask < doc.questions.len() {
        let qn = &doc.questions[ask];
        let carried: Vec<(String, String)> = doc
            .questions
            .iter()
            .take(ask)
            .filter_map(|x| {
                answers
                    .get(&x.key)
                    .map(|v| (format!("a_{}", x.key), v.clone()))
            })
            .collect();
        let before: BTreeMap<String, String> = doc
            .questions
            .iter()
            .take(ask.saturating_sub(1))
            .filter_map(|x| answers.get(&x.key).map(|v| (x.key.clone(), v.clone())))
            .collect();
        let back = if ask == 0 {
            format!("/bundles/{}", url_encode(&code))
        } else {
            ask_url(&code, ask - 1, &before)
        };
        let status = if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        return Ok((
            status,
            QuestionPage {
                c: page.chrome(),
                code: code.clone(),
                name: doc.name.clone(),
                step: ask,
                total: doc.questions.len(),
                key: qn.key.clone(),
                text: qn.text.clone(),
                kind: match qn.kind {
                    QuestionKind::YesNo => "yes_no",
                    QuestionKind::Choice => "choice",
                    QuestionKind::Number => "number",
                    QuestionKind::Date => "date",
                },
                options: qn.options.clone(),
                value: answers.get(&qn.key).cloned().unwrap_or_default(),
                carried,
                back,
                errors,
            },
        )
            .into_response());
    }
    // Every question answered: the tailored list.
    match bundle::select_checked(doc, &answers) {
        Ok(sel) => Ok(tailored(&page, &v, &answers, &sel, vec![]).into_response()),
        Err(e) => {
            let mut p = tailored(&page, &v, &answers, &Selection::default(), page_errors(e));
            p.items.clear();
            Ok((StatusCode::UNPROCESSABLE_ENTITY, p).into_response())
        }
    }
}

fn tailored(
    page: &Page,
    v: &BundleView,
    answers: &BTreeMap<String, String>,
    sel: &Selection,
    errors: Vec<FieldError>,
) -> TailoredPage {
    let doc = &v.bundle.doc;
    let docs: HashMap<String, ItemDoc> = v.item_docs();
    let slots = bundle::slots(sel, &docs);
    let rec_like = slots
        .iter()
        .enumerate()
        .map(|(i, s)| SlotView {
            index: i,
            name: s.name.clone(),
            standard: s.standard.clone(),
            original: s.original,
            required: s.required,
            used_by: s.item_names.join("、"),
            ambiguous: s.ambiguous,
            files: vec![],
        })
        .collect();
    TailoredPage {
        c: page.chrome(),
        code: v.bundle.code.clone(),
        name: doc.name.clone(),
        answers: doc
            .questions
            .iter()
            .filter_map(|q| {
                answers.get(&q.key).map(|a| {
                    (
                        q.text.clone(),
                        answer_text(q.kind, a, page.lang),
                        ask_url(
                            &v.bundle.code,
                            doc.questions
                                .iter()
                                .position(|x| x.key == q.key)
                                .unwrap_or(0),
                            answers,
                        ),
                    )
                })
            })
            .collect(),
        carried: answers
            .iter()
            .map(|(k, v)| (format!("a_{k}"), v.clone()))
            .collect(),
        items: sel
            .items
            .iter()
            .filter_map(|c| {
                v.items
                    .iter()
                    .find(|i| &i.impl_code == c)
                    .map(|i| (i.doc.name.clone(), i.department_name.clone()))
            })
            .collect(),
        notes: sel.notes.clone(),
        slots: rec_like,
        fields: bundle::asked_fields(doc, sel)
            .iter()
            .map(|f| f.label.clone())
            .collect(),
        change: ask_url(&v.bundle.code, 0, answers),
        client_key: tongban_store::accounts::random_token(),
        errors,
    }
}

async fn start_post(
    State(s): State<AppState>,
    page: Page,
    Path(code): Path<String>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, Response> {
    let answers = answers_of(&raw);
    if page.session.is_none() {
        // Sign in first, then come back to the same list.
        let back = {
            let mut u = format!("/bundles/{}/ask?step=999", url_encode(&code));
            for (k, v) in &answers {
                u.push_str(&format!("&a_{}={}", url_encode(k), url_encode(v)));
            }
            u
        };
        return Ok(Redirect::to(&format!("/login?next={}", url_encode(&back))).into_response());
    }
    let actor = posted(&page, &form_value(&raw, "csrf"))?;
    let key = form_value(&raw, "client_key");
    match s
        .store
        .start_bundle(
            &actor,
            &code,
            &answers,
            Some(&key).filter(|k| !k.is_empty()).map(|k| k.as_str()),
        )
        .await
    {
        Ok(b) => Ok(Redirect::to(&format!("/bundle-cases/{}/form", b.id)).into_response()),
        Err(StoreError::Invalid(e)) => {
            let v = published(&s, &code).await.map_err(|e| page.error(e))?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                tailored(&page, &v, &answers, &Selection::default(), page_errors(e)),
            )
                .into_response())
        }
        Err(e) => Err(store_err(&page, e)),
    }
}

// ---------------------------------------------------------------------------
// The application: one form, materials once, check, submit

async fn own_record(s: &AppState, page: &Page, id: i64) -> Result<(Actor, BundleRecord), Response> {
    let actor = signed_in(page)?.clone();
    let r = s
        .store
        .bundle_for(&actor, id)
        .await
        .map_err(|e| store_err(page, e))?;
    Ok((actor, r))
}

#[derive(Template, WebTemplate)]
#[template(path = "bundle_form.html")]
struct FormPage {
    c: Chrome,
    id: i64,
    bundle_no: String,
    name: String,
    items: Vec<String>,
    fields: Vec<FieldView>,
    prefilled: bool,
    errors: Vec<FieldError>,
}

/// Values from the applicant's account for fields that ask the same.
fn prefill(r: &BundleRecord) -> BTreeMap<String, String> {
    let mut v = r.bundle.form.clone();
    if !v.is_empty() {
        return v;
    }
    let phone = r.bundle.applicant_phone.clone();
    for f in &r.fields {
        let k = f.key.as_str();
        if matches!(k, "guardian_name" | "applicant_name" | "handler_name") {
            v.insert(k.into(), r.bundle.applicant_name.clone());
        } else if k == "phone" && !phone.is_empty() {
            v.insert(k.into(), phone.clone());
        }
    }
    v
}

async fn form_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let (_, r) = own_record(&s, &page, id).await?;
    if r.bundle.submitted {
        return Ok(Redirect::to(&format!("/bundle-cases/{id}")).into_response());
    }
    let values = prefill(&r);
    let prefilled = r.bundle.form.is_empty() && !values.is_empty();
    Ok(FormPage {
        c: page.chrome(),
        id,
        bundle_no: r.bundle.bundle_no.clone(),
        name: r.bundle.name.clone(),
        items: r.item_names.clone(),
        fields: field_views(&r.fields, &values),
        prefilled,
        errors: vec![],
    }
    .into_response())
}

async fn form_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, Response> {
    let actor = posted(&page, &form_value(&raw, "csrf"))?;
    let form: BTreeMap<String, String> = raw
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("form.").map(|k| (k.to_string(), v.clone())))
        .collect();
    match s.store.save_bundle_form(&actor, id, &form).await {
        Ok(_) => Ok(Redirect::to(&format!("/bundle-cases/{id}/materials")).into_response()),
        Err(StoreError::Invalid(e)) => {
            let r = s
                .store
                .bundle_for(&actor, id)
                .await
                .map_err(|e| store_err(&page, e))?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                FormPage {
                    c: page.chrome(),
                    id,
                    bundle_no: r.bundle.bundle_no.clone(),
                    name: r.bundle.name.clone(),
                    items: r.item_names.clone(),
                    fields: field_views(&r.fields, &form),
                    prefilled: false,
                    errors: page_errors(e),
                },
            )
                .into_response())
        }
        Err(e) => Err(store_err(&page, e)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "bundle_materials.html")]
struct MaterialsPage {
    c: Chrome,
    id: i64,
    bundle_no: String,
    name: String,
    slots: Vec<SlotView>,
    errors: Vec<FieldError>,
}

async fn materials_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let (_, r) = own_record(&s, &page, id).await?;
    if r.bundle.submitted {
        return Ok(Redirect::to(&format!("/bundle-cases/{id}")).into_response());
    }
    Ok(MaterialsPage {
        c: page.chrome(),
        id,
        bundle_no: r.bundle.bundle_no.clone(),
        name: r.bundle.name.clone(),
        slots: slot_views(&r),
        errors: vec![],
    }
    .into_response())
}

/// Reads a multipart upload form: csrf and one file.
async fn read_upload(
    page: &Page,
    mut mp: Multipart,
) -> Result<(String, String, Vec<u8>), Response> {
    let mut csrf = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    let bad = |page: &Page| {
        page.error(ApiError::bad_request(
            "上传的表单不完整",
            "the upload form is incomplete",
        ))
    };
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err(bad(page)),
        };
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.map_err(|_| bad(page))?,
            "file" => {
                let name = field.file_name().unwrap_or_default().to_string();
                let bytes = field.bytes().await.map_err(|_| bad(page))?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    let (name, bytes) = file.unwrap_or_default();
    Ok((csrf, name, bytes))
}

async fn slot_post(
    State(s): State<AppState>,
    page: Page,
    Path((id, slot)): Path<(i64, usize)>,
    mp: Multipart,
) -> Result<Response, Response> {
    let (csrf, name, bytes) = read_upload(&page, mp).await?;
    let actor = posted(&page, &csrf)?;
    match s
        .store
        .bundle_upload(&s.files, &actor, id, slot, &name, bytes)
        .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/bundle-cases/{id}/materials#slot-{slot}")).into_response())
        }
        Err(StoreError::Invalid(e)) => {
            let r = s
                .store
                .bundle_for(&actor, id)
                .await
                .map_err(|e| store_err(&page, e))?;
            let errors =
                e.0.into_iter()
                    .map(|mut e| {
                        e.field = format!("file-{slot}");
                        e
                    })
                    .collect();
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                MaterialsPage {
                    c: page.chrome(),
                    id,
                    bundle_no: r.bundle.bundle_no.clone(),
                    name: r.bundle.name.clone(),
                    slots: slot_views(&r),
                    errors,
                },
            )
                .into_response())
        }
        Err(e) => Err(store_err(&page, e)),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn remove_file_post(
    State(s): State<AppState>,
    page: Page,
    Path((id, file)): Path<(i64, i64)>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, Response> {
    let actor = posted(&page, &f.csrf)?;
    s.store
        .bundle_remove_upload(&s.files, &actor, id, file)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(Redirect::to(&format!("/bundle-cases/{id}/materials")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "bundle_check.html")]
struct CheckPage {
    c: Chrome,
    id: i64,
    bundle_no: String,
    name: String,
    answers: Vec<(String, String)>,
    items: Vec<String>,
    notes: Vec<String>,
    form: Vec<(String, String)>,
    slots: Vec<SlotView>,
    missing: Vec<String>,
    errors: Vec<FieldError>,
}

fn check_view(page: &Page, r: &BundleRecord, errors: Vec<FieldError>) -> CheckPage {
    let slots = slot_views(r);
    CheckPage {
        c: page.chrome(),
        id: r.bundle.id,
        bundle_no: r.bundle.bundle_no.clone(),
        name: r.bundle.name.clone(),
        answers: r
            .doc
            .questions
            .iter()
            .filter_map(|q| {
                r.bundle
                    .answers
                    .get(&q.key)
                    .map(|a| (q.text.clone(), answer_text(q.kind, a, page.lang)))
            })
            .collect(),
        items: r.item_names.clone(),
        notes: r.bundle.selection.notes.clone(),
        form: r
            .fields
            .iter()
            .map(|f| {
                (
                    f.label.clone(),
                    r.bundle.form.get(&f.key).cloned().unwrap_or_default(),
                )
            })
            .collect(),
        missing: r
            .missing_slots()
            .into_iter()
            .filter_map(|i| r.slots.get(i).map(|s| s.name.clone()))
            .collect(),
        slots,
        errors,
    }
}

async fn check_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let (_, r) = own_record(&s, &page, id).await?;
    if r.bundle.submitted {
        return Ok(Redirect::to(&format!("/bundle-cases/{id}")).into_response());
    }
    Ok(check_view(&page, &r, vec![]).into_response())
}

async fn submit_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, Response> {
    let actor = posted(&page, &f.csrf)?;
    match s
        .store
        .submit_bundle(&actor, id, &s.calendar(), s.today())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/bundle-cases/{id}")).into_response()),
        Err(StoreError::Invalid(e)) => {
            let r = s
                .store
                .bundle_for(&actor, id)
                .await
                .map_err(|e| store_err(&page, e))?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                check_view(&page, &r, page_errors(e)),
            )
                .into_response())
        }
        Err(e) => Err(store_err(&page, e)),
    }
}

// ---------------------------------------------------------------------------
// The application's page, intake, corrections

struct SubView {
    id: i64,
    case_no: String,
    item_name: String,
    department: String,
    state: String,
    promised_due: String,
    waiting: bool,
}

/// Case number, item, department, outcome, entries, decision document, case id.
type NoticeRow = (
    String,
    String,
    String,
    String,
    Vec<String>,
    Option<i64>,
    i64,
);

struct NoticeView {
    number: String,
    title: String,
    paragraphs: Vec<String>,
    lines: Vec<NoticeRow>,
    date: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "bundle_case.html")]
struct BundleCasePage {
    c: Chrome,
    id: i64,
    bundle_no: String,
    name: String,
    state: String,
    state_key: &'static str,
    applicant: String,
    submitted_at: String,
    promised_days: u32,
    subs: Vec<SubView>,
    correction: Option<NoticeView>,
    completion: Option<NoticeView>,
    /// Slots the applicant may upload corrections to.
    correction_slots: Vec<SlotView>,
    can_supply: bool,
    can_accept: bool,
    /// For the clerk: each sub-case awaiting intake with its materials.
    intake: Vec<IntakeView>,
    notes: Vec<String>,
}

struct IntakeView {
    case_id: i64,
    item_name: String,
    /// index, name, 受理标准, files uploaded, required (and not waived), waived
    materials: Vec<(usize, String, String, usize, bool, bool)>,
}

fn notice_view(n: &tongban_store::bundles::BundleNotice) -> NoticeView {
    NoticeView {
        number: n.number.clone(),
        title: n.body.title.clone(),
        paragraphs: n.body.paragraphs.clone(),
        lines: n
            .body
            .lines
            .iter()
            .map(|l| {
                (
                    l.case_no.clone(),
                    l.item_name.clone(),
                    l.department.clone(),
                    l.outcome.clone(),
                    l.entries.clone(),
                    l.document_id,
                    l.case_id,
                )
            })
            .collect(),
        date: n.body.date.map(|d| d.to_string()).unwrap_or_default(),
    }
}

async fn bundle_case_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let (actor, r) = own_record(&s, &page, id).await?;
    if !r.bundle.submitted {
        return Ok(Redirect::to(&format!("/bundle-cases/{id}/check")).into_response());
    }
    let lang = page.lang;
    let owner = actor.role == Role::Applicant;
    let waiting_codes: Vec<&str> = r
        .sub_cases
        .iter()
        .filter(|c| {
            c.state == tongban_domain::case::CaseState::Correction
                || (c.state == tongban_domain::case::CaseState::Suspended
                    && matches!(
                        c.clock.last(),
                        Some(tongban_domain::clock::ClockEvent::Suspended {
                            reason: tongban_domain::clock::SuspendReason::Correction,
                            ..
                        })
                    ))
        })
        .map(|c| c.impl_code.as_str())
        .collect();
    let correction = r.open_correction().map(notice_view);
    let correction_slots = if owner && correction.is_some() {
        slot_views(&r)
            .into_iter()
            .zip(&r.slots)
            .filter(|(_, s)| {
                s.uses
                    .iter()
                    .any(|(c, _)| waiting_codes.contains(&c.as_str()))
            })
            .map(|(v, _)| SlotView { files: vec![], ..v })
            .collect()
    } else {
        vec![]
    };
    let name = if actor.role == Role::Supervisor {
        mask_name(&r.bundle.applicant_name)
    } else {
        r.bundle.applicant_name.clone()
    };
    let mut intake = Vec::new();
    if actor.role == Role::Clerk {
        for c in r
            .sub_cases
            .iter()
            .filter(|c| c.state == tongban_domain::case::CaseState::Submitted)
        {
            let doc = s
                .store
                .item_doc(c.item_version_id)
                .await
                .map_err(|e| store_err(&page, e))?;
            let files = s
                .store
                .case_files(c.id)
                .await
                .map_err(|e| store_err(&page, e))?;
            intake.push(IntakeView {
                case_id: c.id,
                item_name: c.item_name.clone(),
                materials: doc
                    .materials
                    .iter()
                    .enumerate()
                    .map(|(i, m)| {
                        let waived = c.waived.contains(&i);
                        (
                            i,
                            m.name.clone(),
                            m.acceptance_standard.clone(),
                            files
                                .iter()
                                .filter(|f| f.material_index == i as i64)
                                .count(),
                            !waived
                                && matches!(
                                    m.necessity,
                                    None | Some(tongban_domain::catalog::Necessity::Required)
                                ),
                            waived,
                        )
                    })
                    .collect(),
            });
        }
    }
    Ok(BundleCasePage {
        c: page.chrome(),
        id,
        bundle_no: r.bundle.bundle_no.clone(),
        name: r.bundle.name.clone(),
        state: lang.t(r.bundle.state.zh(), r.bundle.state.en()).to_string(),
        state_key: r.bundle.state.as_str(),
        applicant: name,
        submitted_at: r.bundle.submitted_at.map(fmt_time).unwrap_or_default(),
        promised_days: r.doc.promised_days,
        subs: r
            .sub_cases
            .iter()
            .map(|c| SubView {
                id: c.id,
                case_no: c.case_no.clone(),
                item_name: c.item_name.clone(),
                department: c.lead_department_name.clone(),
                state: lang.t(c.state.zh(), c.state.en()).to_string(),
                promised_due: c.promised_due.map(|d| d.to_string()).unwrap_or_default(),
                waiting: waiting_codes.contains(&c.impl_code.as_str()),
            })
            .collect(),
        can_supply: owner && correction.is_some(),
        correction,
        completion: r.completion().map(notice_view),
        correction_slots,
        can_accept: actor.role == Role::Clerk
            && r.sub_cases
                .iter()
                .any(|c| c.state == tongban_domain::case::CaseState::Submitted),
        intake,
        notes: r.bundle.selection.notes.clone(),
    }
    .into_response())
}

/// The clerk's checklist: `p_<case>_<material>` = ok | missing | defective,
/// `n_<case>_<material>` = note.
async fn intake_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, Response> {
    let actor = posted(&page, &form_value(&raw, "csrf"))?;
    let mut deficiencies: BTreeMap<i64, Vec<Deficiency>> = BTreeMap::new();
    for (k, v) in &raw {
        let Some(rest) = k.strip_prefix("p_") else {
            continue;
        };
        let problem = match v.as_str() {
            "missing" => Problem::Missing,
            "defective" => Problem::Defective,
            _ => continue,
        };
        let mut parts = rest.splitn(2, '_');
        let (Some(Ok(case_id)), Some(Ok(material))) = (
            parts.next().map(str::parse::<i64>),
            parts.next().map(str::parse::<usize>),
        ) else {
            return Err(page.error(ApiError::bad_request(
                "受理表单不完整",
                "the intake form is malformed",
            )));
        };
        deficiencies.entry(case_id).or_default().push(Deficiency {
            material,
            problem,
            note: form_value(&raw, &format!("n_{case_id}_{material}")),
        });
    }
    s.store
        .intake_bundle(&actor, id, &deficiencies, &s.calendar(), s.today())
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(Redirect::to(&format!("/bundle-cases/{id}")).into_response())
}

async fn correction_post(
    State(s): State<AppState>,
    page: Page,
    Path((id, slot)): Path<(i64, usize)>,
    mp: Multipart,
) -> Result<Response, Response> {
    let (csrf, name, bytes) = read_upload(&page, mp).await?;
    let actor = posted(&page, &csrf)?;
    s.store
        .bundle_correction_upload(&s.files, &actor, id, slot, &name, bytes)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(Redirect::to(&format!("/bundle-cases/{id}?uploaded={slot}#correction")).into_response())
}

async fn supply_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, Response> {
    let actor = posted(&page, &f.csrf)?;
    s.store
        .supply_bundle_corrections(&actor, id, &s.calendar(), s.today())
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(Redirect::to(&format!("/bundle-cases/{id}")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "bundle_cases.html")]
struct MyPage {
    c: Chrome,
    clerk: bool,
    rows: Vec<(i64, String, String, String, String, String)>,
}

async fn my_page(State(s): State<AppState>, page: Page) -> Result<Response, Response> {
    let actor = signed_in(&page)?.clone();
    let lang = page.lang;
    let clerk = actor.role != Role::Applicant;
    let list = if clerk {
        s.store.bundle_intake_queue(&actor).await
    } else {
        s.store.my_bundles(&actor).await
    }
    .map_err(|e| store_err(&page, e))?;
    Ok(MyPage {
        c: page.chrome(),
        clerk,
        rows: list
            .iter()
            .map(|b| {
                (
                    b.id,
                    b.bundle_no.clone(),
                    b.name.clone(),
                    if clerk {
                        mask_name(&b.applicant_name)
                    } else {
                        b.applicant_name.clone()
                    },
                    lang.t(b.state.zh(), b.state.en()).to_string(),
                    fmt_time(b.updated_at),
                )
            })
            .collect(),
    }
    .into_response())
}

// ---------------------------------------------------------------------------
// Admin

fn admin(page: &Page) -> Result<&Actor, Response> {
    let (_, a) = page.staff()?;
    if a.role != Role::CatalogAdmin {
        return Err(page.error(ApiError::denied(Denied::Role)));
    }
    if a.department_id.is_some() {
        return Err(page.error(ApiError::denied(Denied::Department)));
    }
    Ok(a)
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_bundles.html")]
struct AdminListPage {
    c: Chrome,
    rows: Vec<(String, String, i64, String)>,
    code: String,
    json: String,
    errors: Vec<FieldError>,
}

const NEW_BUNDLE: &str = r#"{
 "name": "",
 "event": "",
 "guide": "",
 "items": [],
 "questions": [],
 "rules": [],
 "fields": [],
 "promised_days": 5,
 "onsite_visits": 0
}"#;

async fn admin_list(
    s: &AppState,
    page: &Page,
    code: String,
    json: String,
    errors: Vec<FieldError>,
) -> Result<AdminListPage, Response> {
    let a = admin(page)?;
    let all = s
        .store
        .admin_bundles(a)
        .await
        .map_err(|e| store_err(page, e))?;
    let lang = page.lang;
    Ok(AdminListPage {
        c: page.chrome(),
        rows: all
            .iter()
            .map(|v| {
                (
                    v.code.clone(),
                    v.doc.name.clone(),
                    v.version,
                    lang.t(v.status.zh(), v.status.en()).to_string(),
                )
            })
            .collect(),
        code,
        json,
        errors,
    })
}

async fn admin_list_page(State(s): State<AppState>, page: Page) -> Result<Response, Response> {
    Ok(
        admin_list(&s, &page, String::new(), NEW_BUNDLE.into(), vec![])
            .await?
            .into_response(),
    )
}

fn parse_doc(json: &str) -> Result<BundleDoc, Vec<FieldError>> {
    serde_json::from_str(json).map_err(|e| {
        vec![FieldError::new(
            "doc",
            "invalid_json",
            format!(
                "定义不是有效的一件事JSON：第{}行第{}列：{e}",
                e.line(),
                e.column()
            ),
            format!(
                "not a valid bundle definition: line {}, column {}: {e}",
                e.line(),
                e.column()
            ),
        )]
    })
}

#[derive(Deserialize)]
struct AdminForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    doc: String,
}

async fn admin_create_post(
    State(s): State<AppState>,
    page: Page,
    Form(f): Form<AdminForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    let actor = actor.clone();
    let res = match parse_doc(&f.doc) {
        Ok(doc) => s
            .store
            .create_bundle(&actor, f.code.trim(), &doc)
            .await
            .map_err(|e| match e {
                StoreError::Invalid(e) => Ok(page_errors(e)),
                e => Err(e),
            }),
        Err(e) => Err(Ok(e)),
    };
    match res {
        Ok(_) => Ok(
            Redirect::to(&format!("/admin/bundles/{}", url_encode(f.code.trim()))).into_response(),
        ),
        Err(Ok(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            admin_list(&s, &page, f.code, f.doc, errors).await?,
        )
            .into_response()),
        Err(Err(e)) => Err(store_err(&page, e)),
    }
}

struct ReadableRule {
    when: String,
    then: Vec<String>,
}

fn condition_text(c: &Condition, doc: &BundleDoc) -> String {
    let q = |k: &str| {
        doc.questions
            .iter()
            .find(|q| q.key == k)
            .map(|q| q.text.clone())
            .unwrap_or_else(|| k.to_string())
    };
    match c {
        Condition::Is { question, value } => format!("“{}” = {value}", q(question)),
        Condition::Below { question, value } => format!("“{}” < {value}", q(question)),
        Condition::All { of } => of
            .iter()
            .map(|c| condition_text(c, doc))
            .collect::<Vec<_>>()
            .join(" 且 "),
        Condition::Any { of } => of
            .iter()
            .map(|c| condition_text(c, doc))
            .collect::<Vec<_>>()
            .join(" 或 "),
        Condition::Not { of } => format!("非（{}）", condition_text(of, doc)),
    }
}

fn effect_text(e: &Effect, names: &HashMap<String, String>) -> String {
    let n = |c: &str| names.get(c).cloned().unwrap_or_else(|| c.to_string());
    match e {
        Effect::IncludeItem { item } => format!("办理：{}", n(item)),
        Effect::ExcludeItem { item } => format!("不办理：{}", n(item)),
        Effect::DropMaterial { item, material } => format!("{}免交：{material}", n(item)),
        Effect::Note { text } => format!("提示：{text}"),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_bundle.html")]
struct AdminBundlePage {
    c: Chrome,
    code: String,
    name: String,
    versions: Vec<(i64, i64, String, bool)>,
    draft_id: Option<i64>,
    json: String,
    items: Vec<(String, String)>,
    questions: Vec<(String, String, String)>,
    rules: Vec<ReadableRule>,
    fields: Vec<(String, String, String, Vec<String>)>,
    savings: Option<SavingsView>,
    promised_days: u32,
    errors: Vec<FieldError>,
    saved: bool,
}

async fn admin_bundle(
    s: &AppState,
    page: &Page,
    code: &str,
    json: Option<String>,
    errors: Vec<FieldError>,
) -> Result<AdminBundlePage, Response> {
    let _ = admin(page)?;
    let versions = s
        .store
        .bundle_versions(code)
        .await
        .map_err(|e| store_err(page, e))?;
    let Some(shown) = versions
        .iter()
        .find(|v| v.status == tongban_domain::catalog::ItemStatus::Draft)
        .or_else(|| versions.last())
        .cloned()
    else {
        return Err(page.error(ApiError::not_found(code)));
    };
    let lang = page.lang;
    let names: HashMap<String, String> = {
        let mut m = HashMap::new();
        for bi in &shown.doc.items {
            if let Ok(Some(i)) = s.store.published_item(&bi.item).await {
                m.insert(bi.item.clone(), i.doc.name.clone());
            }
        }
        m
    };
    let published = s.store.published_bundle(code).await.ok().flatten();
    let doc = &shown.doc;
    Ok(AdminBundlePage {
        c: page.chrome(),
        code: code.to_string(),
        name: doc.name.clone(),
        versions: versions
            .iter()
            .map(|v| {
                (
                    v.id,
                    v.version,
                    lang.t(v.status.zh(), v.status.en()).to_string(),
                    v.id == shown.id,
                )
            })
            .collect(),
        draft_id: (shown.status == tongban_domain::catalog::ItemStatus::Draft).then_some(shown.id),
        json: json.unwrap_or_else(|| serde_json::to_string_pretty(doc).unwrap_or_default()),
        items: doc
            .items
            .iter()
            .map(|i| {
                (
                    names
                        .get(&i.item)
                        .cloned()
                        .unwrap_or_else(|| format!("{}（未发布）", i.item)),
                    if i.default {
                        lang.t("默认办理", "by default")
                    } else {
                        lang.t("按情形", "when a rule selects it")
                    }
                    .to_string(),
                )
            })
            .collect(),
        questions: doc
            .questions
            .iter()
            .map(|q| {
                (
                    q.key.clone(),
                    q.text.clone(),
                    if q.options.is_empty() {
                        format!("{:?}", q.kind)
                    } else {
                        q.options.join(" / ")
                    },
                )
            })
            .collect(),
        rules: doc
            .rules
            .iter()
            .map(|r| ReadableRule {
                when: condition_text(&r.when, doc),
                then: r.then.iter().map(|e| effect_text(e, &names)).collect(),
            })
            .collect(),
        fields: doc
            .fields
            .iter()
            .map(|f| {
                (
                    f.key.clone(),
                    f.label.clone(),
                    f.kind.as_str().to_string(),
                    f.maps_to
                        .iter()
                        .map(|t| {
                            format!(
                                "{}.{}",
                                names
                                    .get(&t.item)
                                    .cloned()
                                    .unwrap_or_else(|| t.item.clone()),
                                t.field
                            )
                        })
                        .collect(),
                )
            })
            .collect(),
        savings: published.map(|p| savings_view(&p.savings)),
        promised_days: doc.promised_days,
        errors,
        saved: false,
    })
}

async fn admin_bundle_page(
    State(s): State<AppState>,
    page: Page,
    Path(code): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, Response> {
    let mut p = admin_bundle(&s, &page, &code, None, vec![]).await?;
    p.saved = q.iter().any(|(k, _)| k == "saved");
    Ok(p.into_response())
}

async fn admin_new_version_post(
    State(s): State<AppState>,
    page: Page,
    Path(code): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    let actor = actor.clone();
    s.store
        .new_bundle_version(&actor, &code)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(Redirect::to(&format!("/admin/bundles/{}", url_encode(&code))).into_response())
}

async fn admin_save_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<AdminForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    let actor = actor.clone();
    let v = s
        .store
        .bundle_version(id)
        .await
        .map_err(|e| store_err(&page, e))?;
    let res = match parse_doc(&f.doc) {
        Ok(doc) => match s.store.update_bundle_draft(&actor, id, &doc).await {
            Ok(_) => Ok(()),
            Err(StoreError::Invalid(e)) => Err(page_errors(e)),
            Err(e) => return Err(store_err(&page, e)),
        },
        Err(e) => Err(e),
    };
    match res {
        Ok(()) => Ok(
            Redirect::to(&format!("/admin/bundles/{}?saved=1", url_encode(&v.code)))
                .into_response(),
        ),
        Err(errors) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            admin_bundle(&s, &page, &v.code, Some(f.doc), errors).await?,
        )
            .into_response()),
    }
}

async fn admin_publish_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    let actor = actor.clone();
    let v = s
        .store
        .bundle_version(id)
        .await
        .map_err(|e| store_err(&page, e))?;
    match s.store.publish_bundle(&actor, id).await {
        Ok(_) => Ok(Redirect::to(&format!("/bundles/{}", url_encode(&v.code))).into_response()),
        Err(StoreError::Invalid(e)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            admin_bundle(&s, &page, &v.code, None, page_errors(e)).await?,
        )
            .into_response()),
        Err(e) => Err(store_err(&page, e)),
    }
}
