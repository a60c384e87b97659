//! Cases over HTTP (SPEC §4): the JSON API under `/api/v1/cases…` and the
//! pages — apply, upload, check your answers, the case page with the actions
//! the caller may take, printable documents, work lists, notifications,
//! 首问负责 inquiries and the public progress lookup.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::net::SocketAddr;

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, put};
use axum::{Form, Json, Router};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tongban_domain::FieldError;
use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::case::{self, CaseState, Command, Deficiency, DocKind, Problem};
use tongban_domain::catalog::{FieldKind, ReviewMode};
use tongban_domain::clock::{self, ClockState, SuspendReason, Warning};
use tongban_domain::codes::mask;
use tongban_store::StoreError;
use tongban_store::cases::{ApplicantInput, Case, CaseListRow, CaseRecord, NewCase};
use tongban_store::inquiries::NewInquiry;
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::http::{ApiError, ApiUser, Lang, check_origin};
use crate::pages::{Page, store_err};
use crate::views::{Chrome, fmt_time};

pub fn routes() -> Router<AppState> {
    Router::new()
        // API
        .route("/api/v1/cases", post(api_create).get(api_list))
        .route("/api/v1/cases/{id}", get(api_get))
        .route("/api/v1/cases/{id}/commands", post(api_command))
        .route("/api/v1/cases/{id}/materials/{idx}/files", put(api_upload))
        .route("/api/v1/documents/{id}", get(api_document))
        .route("/api/v1/progress", post(api_progress))
        .route("/api/v1/notifications", get(api_notifications))
        .route(
            "/api/v1/inquiries",
            post(api_inquiry_create).get(api_inquiries),
        )
        .route(
            "/api/v1/inquiries/{id}/hand-over",
            post(api_inquiry_hand_over),
        )
        .route("/api/v1/inquiries/{id}/close", post(api_inquiry_close))
        // Pages
        .route("/items/{code}/apply", get(apply_page).post(apply_post))
        .route("/cases/{id}", get(case_page))
        .route("/cases/{id}/materials", get(materials_page))
        .route("/cases/{id}/materials/{idx}", post(upload_post))
        .route("/cases/{id}/files/{file}/delete", post(remove_file_post))
        .route("/cases/{id}/check", get(check_page))
        .route("/cases/{id}/act", post(act_post))
        .route("/documents/{id}", get(document_page))
        .route("/files/{id}", get(file_download))
        .route("/work", get(work_page))
        .route(
            "/notifications",
            get(notifications_page).post(notifications_read),
        )
        .route("/progress", get(progress_page).post(progress_post))
        .route("/inquiries", get(inquiries_page).post(inquiry_create_post))
        .route("/inquiries/{id}", get(inquiry_page))
        .route("/inquiries/{id}/hand-over", post(inquiry_hand_over_post))
        .route("/inquiries/{id}/close", post(inquiry_close_post))
}

// ---------------------------------------------------------------------------
// Shared helpers

/// The clock as a page shows it.
#[derive(Debug, Clone, Serialize, Default, ToSchema)]
pub struct ClockView {
    pub state: String,
    pub accepted_on: String,
    pub legal_due: String,
    pub promised_due: String,
    pub certificate_due: String,
    pub suspended_days: u32,
    pub extension_days: u32,
    /// Working days left to the promised deadline (negative: overdue).
    pub days_left: Option<i64>,
    /// green, yellow or red.
    pub warning: String,
    pub explanation: Vec<String>,
    pub error: String,
}

fn clock_view(s: &AppState, c: &Case, lang: Lang) -> Option<ClockView> {
    let cal = s.calendar();
    let today = s.today();
    let d = c.deadlines(&cal, today)?;
    let d = match d {
        Ok(d) => d,
        Err(e) => {
            return Some(ClockView {
                error: lang.t(&e.zh(), &e.to_string()).to_string(),
                ..Default::default()
            });
        }
    };
    let open = c.state.clock_open();
    let days_left = if open {
        cal.workdays_between(today, d.promised_due).ok()
    } else {
        None
    };
    let warning = match c.clock.first() {
        Some(clock::ClockEvent::Accepted { promised, .. }) if open => {
            match clock::warning(&d, promised, today, &cal, s.config.warning_rule) {
                Ok(Warning::Red) => "red",
                Ok(Warning::Yellow) => "yellow",
                _ => "green",
            }
        }
        _ => "",
    };
    Some(ClockView {
        state: match d.state {
            ClockState::Running => lang.t("计时中", "running"),
            ClockState::Suspended => lang.t("已中止计时", "suspended"),
            ClockState::Stopped => lang.t("已停止（已决定）", "stopped (decided)"),
        }
        .to_string(),
        accepted_on: d.accepted_on.to_string(),
        legal_due: d.legal_due.to_string(),
        promised_due: d.promised_due.to_string(),
        certificate_due: d.certificate_due.map(|d| d.to_string()).unwrap_or_default(),
        suspended_days: d.suspended_days,
        extension_days: d.extension.0,
        days_left,
        warning: warning.into(),
        explanation: d
            .explanation
            .iter()
            .map(|b| lang.t(&b.zh, &b.en).to_string())
            .collect(),
        error: String::new(),
    })
}

/// The signed-in user of a page, or a redirect to the login page.
pub(crate) fn signed_in(page: &Page) -> Result<&Actor, Response> {
    match &page.session {
        Some(s) => Ok(&s.actor),
        None => Err(Redirect::to(&format!(
            "/login?next={}",
            crate::views::url_encode(&page.here)
        ))
        .into_response()),
    }
}

/// A form post from a signed-in user (any role), forgery-checked.
pub(crate) fn posted(page: &Page, csrf: &str) -> Result<Actor, Response> {
    let Some(s) = &page.session else {
        return Err(page.error(ApiError::unauthorized()));
    };
    crate::http::check_form_csrf(&page.headers, s, csrf).map_err(|e| page.error(e))?;
    Ok(s.actor.clone())
}

fn state_label(st: CaseState, lang: Lang) -> String {
    lang.t(st.zh(), st.en()).to_string()
}

// ---------------------------------------------------------------------------
// JSON API

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateCaseRequest {
    /// 实施编码 (or an unambiguous 基本编码) of a published item.
    pub item: String,
    /// The item's form fields by key.
    #[serde(default)]
    pub form: BTreeMap<String, String>,
    /// Window applications only: the applicant as identified at the window.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub applicant: Option<ApplicantJson>,
    /// Repeating the request with the same key returns the same case.
    #[serde(default)]
    pub client_key: Option<String>,
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
#[utoipa::path(post, path = "/api/v1/cases", request_body = CreateCaseRequest,
    responses((status = 201, description = "the draft case", body = Object), (status = 422, body = crate::http::ErrorBody), (status = 403, body = crate::http::ErrorBody)))]
async fn api_create(
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
    };
    let c = s
        .store
        .create_case(&actor, &req.item, input)
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    Ok((StatusCode::CREATED, Json(case_json(&s, &c, lang))).into_response())
}

fn case_json(s: &AppState, c: &Case, lang: Lang) -> serde_json::Value {
    serde_json::json!({
        "case": c,
        "clock": clock_view(s, c, lang),
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// `mine` (applicant), `intake` (clerk), `inbox` (reviewer, head), `supervised` (supervisor).
    pub view: Option<String>,
}

/// The caller's work list: an applicant's cases, the window's intake queue,
/// a department's inbox (most urgent first) or the supervisor's open cases.
#[utoipa::path(get, path = "/api/v1/cases", params(ListParams),
    responses((status = 200, body = Object), (status = 403, body = crate::http::ErrorBody)))]
async fn api_list(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
    Query(p): Query<ListParams>,
) -> Result<Response, ApiError> {
    let rows = list_for(&s, &actor, p.view.as_deref())
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    Ok(Json(serde_json::json!({ "cases": rows })).into_response())
}

async fn list_for(
    s: &AppState,
    actor: &Actor,
    view: Option<&str>,
) -> Result<Vec<CaseListRow>, StoreError> {
    let cal = s.calendar();
    let today = s.today();
    let view = view.unwrap_or(match actor.role {
        Role::Applicant => "mine",
        Role::Clerk => "intake",
        Role::Supervisor => "supervised",
        _ => "inbox",
    });
    match view {
        "mine" => s.store.my_cases(actor, &cal, today).await,
        "intake" => s.store.intake_queue(actor, &cal, today).await,
        "supervised" => s.store.supervised_cases(actor, &cal, today).await,
        "inbox" => s.store.inbox(actor, &cal, today).await,
        _ => Err(StoreError::Invalid(
            FieldError::new(
                "view",
                "invalid",
                "列表类型应为mine、intake、inbox或supervised",
                "view must be mine, intake, inbox or supervised",
            )
            .into(),
        )),
    }
}

/// A case with its files, documents, history and deadlines.
#[utoipa::path(get, path = "/api/v1/cases/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::http::ErrorBody)))]
async fn api_get(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let r = s
        .store
        .case_for(&actor, id)
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    let mut case = r.case.clone();
    if actor.role == Role::Supervisor {
        // Oversight needs the facts of the case, not the person's identity.
        case.applicant_id_number = mask(&case.applicant_id_number, 3, 2);
        case.applicant_phone = mask(&case.applicant_phone, 3, 2);
        case.applicant_name = tongban_domain::codes::mask_name(&case.applicant_name);
    }
    let err = |e: StoreError| ApiError::from(e).in_lang(lang);
    let mut fetches = s.store.case_fetches(id).await.map_err(err)?;
    let mut decisions = s.store.case_decisions(id).await.map_err(err)?;
    if actor.role == Role::Supervisor {
        for f in &mut fetches {
            f.data = serde_json::Value::Null;
        }
        for d in &mut decisions {
            d.inputs = serde_json::Value::Null;
            for m in &mut d.mismatches {
                m.declared = mask(&m.declared, 1, 0);
                m.authoritative = mask(&m.authoritative, 1, 0);
            }
        }
    }
    Ok(Json(serde_json::json!({
        "case": case,
        "clock": clock_view(&s, &r.case, lang),
        "files": r.files,
        "documents": r.documents,
        "events": r.events,
        // What was looked up in shared data and what the rules said (秒批);
        // supervisors see the outcome, not the looked-up personal data.
        "fetches": fetches,
        "decisions": decisions,
        "verify_code": if actor.role == Role::Applicant || actor.role == Role::Clerk { r.case.verify_code.clone() } else { String::new() },
    }))
    .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CommandRequest {
    /// The case version the caller saw; a stale version is refused (409).
    pub version: Option<i64>,
    /// `{"type": "accept"}`, `{"type": "request_correction", "deficiencies": [{"material": 1, "problem": "missing", "note": ""}]}`,
    /// `{"type": "refuse", "reason", "competent_agency"}`, `{"type": "supply_correction"}`, `{"type": "submit"}`,
    /// `{"type": "complete_review", "agree", "opinion"}`, `{"type": "suspend", "reason": {"kind": "special_procedure", "name": "专家评审"} | {"kind": "correction"}, "note"}`,
    /// `{"type": "resume"}`, `{"type": "extend", "days", "reason"}`, `{"type": "decide", "approve", "reason"}`,
    /// `{"type": "issue"}`, `{"type": "deliver", "method"}`, `{"type": "withdraw", "reason"}`.
    #[schema(value_type = Object)]
    pub command: Command,
}

/// Moves a case: the command is checked against the caller's role and
/// department and the case's state; nothing changes when it is refused.
#[utoipa::path(post, path = "/api/v1/cases/{id}/commands", params(("id" = i64, Path)), request_body = CommandRequest,
    responses((status = 200, body = Object), (status = 403, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
async fn api_command(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<CommandRequest>,
) -> Result<Response, ApiError> {
    let out = s
        .case_command(&actor, id, req.version, req.command)
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    Ok(Json(out).into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct UploadParams {
    /// The file's name as the applicant knows it.
    pub name: Option<String>,
}

/// Uploads one file (the request body) for material `idx`. The type is
/// sniffed from the content (PDF, OFD, JPEG, PNG); at most 10 MB.
#[utoipa::path(put, path = "/api/v1/cases/{id}/materials/{idx}/files", params(("id" = i64, Path), ("idx" = usize, Path), UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = Object), (status = 422, body = crate::http::ErrorBody)))]
async fn api_upload(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
    Path((id, idx)): Path<(i64, usize)>,
    Query(p): Query<UploadParams>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = s
        .store
        .upload(
            &s.files,
            &actor,
            id,
            idx,
            p.name.as_deref().unwrap_or_default(),
            body.to_vec(),
        )
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    Ok((StatusCode::CREATED, Json(f)).into_response())
}

/// One issued document (receipt, notice, decision).
#[utoipa::path(get, path = "/api/v1/documents/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::http::ErrorBody)))]
async fn api_document(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let (_, d) = s
        .store
        .case_document(&actor, id)
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    Ok(Json(d).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ProgressRequest {
    pub case_no: String,
    /// The 8-character verification code printed on the receipt.
    pub code: String,
}

/// Failed lookups allowed per address and window.
pub const LOOKUP_MAX_FAILURES: u32 = 10;

async fn lookup(
    s: &AppState,
    client: &SocketAddr,
    case_no: &str,
    code: &str,
) -> Result<tongban_store::cases::PublicProgress, ApiError> {
    let key = format!("lookup|{}", client.ip());
    if s.limiter.blocked_after(&key, LOOKUP_MAX_FAILURES) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "查询失败次数过多，请5分钟后再试",
            "too many failed lookups; try again in 5 minutes",
        ));
    }
    match s
        .store
        .lookup(case_no, code, &s.calendar(), s.today())
        .await
        .map_err(ApiError::from)?
    {
        Some(p) => Ok(p),
        None => {
            s.limiter.failed(&key);
            Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "案件编号或查询码不正确",
                "no case matches this number and verification code",
            ))
        }
    }
}

/// Public progress lookup (办件查询): status, dates and deadline, no
/// personal data. Failed lookups are rate-limited per address.
#[utoipa::path(post, path = "/api/v1/progress", request_body = ProgressRequest,
    responses((status = 200, body = Object), (status = 404, body = crate::http::ErrorBody), (status = 429, body = crate::http::ErrorBody)))]
async fn api_progress(
    State(s): State<AppState>,
    lang: Lang,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    Json(req): Json<ProgressRequest>,
) -> Result<Response, ApiError> {
    check_origin(&headers).map_err(|e| e.in_lang(lang))?;
    let p = lookup(&s, &client, &req.case_no, &req.code)
        .await
        .map_err(|e| e.in_lang(lang))?;
    Ok(Json(p).into_response())
}

/// The caller's in-app notifications, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", responses((status = 200, body = Object)))]
async fn api_notifications(
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
#[utoipa::path(post, path = "/api/v1/inquiries", request_body = InquiryRequest,
    responses((status = 201, body = Object), (status = 403, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
async fn api_inquiry_create(
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
#[utoipa::path(get, path = "/api/v1/inquiries", responses((status = 200, body = Object)))]
async fn api_inquiries(
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
#[utoipa::path(post, path = "/api/v1/inquiries/{id}/hand-over", params(("id" = i64, Path)), request_body = HandOverRequest,
    responses((status = 200, body = Object), (status = 403, body = crate::http::ErrorBody)))]
async fn api_inquiry_hand_over(
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
#[utoipa::path(post, path = "/api/v1/inquiries/{id}/close", params(("id" = i64, Path)), request_body = CloseRequest,
    responses((status = 200, body = Object), (status = 403, body = crate::http::ErrorBody)))]
async fn api_inquiry_close(
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

#[derive(OpenApi)]
#[openapi(
    paths(
        api_create,
        api_list,
        api_get,
        api_command,
        api_upload,
        api_document,
        api_progress,
        api_notifications,
        api_inquiry_create,
        api_inquiries,
        api_inquiry_hand_over,
        api_inquiry_close
    ),
    components(schemas(
        CreateCaseRequest,
        ApplicantJson,
        CommandRequest,
        ProgressRequest,
        InquiryRequest,
        HandOverRequest,
        CloseRequest,
        ClockView
    ))
)]
pub struct CasesDoc;

// ---------------------------------------------------------------------------
// Apply

/// One form field as the apply and bundle-form pages show it.
pub(crate) struct FieldView {
    pub(crate) key: String,
    pub(crate) label: String,
    pub(crate) kind: &'static str,
    pub(crate) required: bool,
    pub(crate) value: String,
    pub(crate) options: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "apply.html")]
struct ApplyPage {
    c: Chrome,
    code: String,
    item_name: String,
    department: String,
    window: bool,
    fields: Vec<FieldView>,
    applicant: ApplicantForm,
    errors: Vec<FieldError>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct ApplicantForm {
    applicant_name: String,
    applicant_id_number: String,
    applicant_phone: String,
    applicant_email: String,
}

pub(crate) fn field_views(
    fields: &[tongban_domain::catalog::FormField],
    values: &BTreeMap<String, String>,
) -> Vec<FieldView> {
    fields
        .iter()
        .map(|f| FieldView {
            key: f.key.clone(),
            label: f.label.clone(),
            kind: f.kind.as_str(),
            required: f.required,
            value: values.get(&f.key).cloned().unwrap_or_default(),
            options: f.options.clone(),
        })
        .collect()
}

async fn apply_page(
    State(s): State<AppState>,
    page: Page,
    Path(code): Path<String>,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?;
    if !matches!(actor.role, Role::Applicant | Role::Clerk) {
        return Err(page.error(ApiError::denied(Denied::Role)));
    }
    let item = s
        .store
        .published_item(&code)
        .await
        .map_err(|e| store_err(&page, e))?
        .ok_or_else(|| page.error(ApiError::not_found(&code)))?;
    Ok(ApplyPage {
        c: page.chrome(),
        code: item.impl_code.clone(),
        item_name: item.doc.name.clone(),
        department: item.department_name.clone(),
        window: actor.role == Role::Clerk,
        fields: field_views(&item.doc.form_fields, &BTreeMap::new()),
        applicant: ApplicantForm::default(),
        errors: vec![],
    }
    .into_response())
}

async fn apply_post(
    State(s): State<AppState>,
    page: Page,
    Path(code): Path<String>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, Response> {
    let get = |k: &str| {
        raw.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let actor = posted(&page, &get("csrf"))?;
    let form: BTreeMap<String, String> = raw
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("form.").map(|k| (k.to_string(), v.clone())))
        .collect();
    let applicant = ApplicantForm {
        applicant_name: get("applicant_name"),
        applicant_id_number: get("applicant_id_number"),
        applicant_phone: get("applicant_phone"),
        applicant_email: get("applicant_email"),
    };
    let input = NewCase {
        form: form.clone(),
        applicant: (actor.role == Role::Clerk).then(|| ApplicantInput {
            name: applicant.applicant_name.clone(),
            id_number: applicant.applicant_id_number.clone(),
            phone: applicant.applicant_phone.clone(),
            email: applicant.applicant_email.clone(),
        }),
        client_key: Some(get("client_key")).filter(|k| !k.is_empty()),
    };
    match s.store.create_case(&actor, &code, input).await {
        Ok(c) => Ok(Redirect::to(&format!("/cases/{}/materials", c.id)).into_response()),
        Err(StoreError::Invalid(errs)) => {
            let item = s
                .store
                .published_item(&code)
                .await
                .map_err(|e| store_err(&page, e))?
                .ok_or_else(|| page.error(ApiError::not_found(&code)))?;
            let errors = errs
                .0
                .into_iter()
                .map(|mut e| {
                    e.field = e.field.replace('.', "_");
                    e
                })
                .collect();
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                ApplyPage {
                    c: page.chrome(),
                    code: item.impl_code.clone(),
                    item_name: item.doc.name.clone(),
                    department: item.department_name.clone(),
                    window: actor.role == Role::Clerk,
                    fields: field_views(&item.doc.form_fields, &form),
                    applicant,
                    errors,
                },
            )
                .into_response())
        }
        Err(e) => Err(store_err(&page, e)),
    }
}

// ---------------------------------------------------------------------------
// Materials and check-your-answers

struct MaterialView {
    index: usize,
    name: String,
    necessity: String,
    required: bool,
    standard: String,
    notes: String,
    files: Vec<FileView>,
}

struct FileView {
    id: i64,
    name: String,
    size: String,
}

fn material_views(r: &CaseRecord, lang: Lang) -> Vec<MaterialView> {
    r.doc
        .materials
        .iter()
        .enumerate()
        .map(|(i, m)| MaterialView {
            index: i,
            name: m.name.clone(),
            necessity: m
                .necessity
                .map(|n| lang.t(n.zh(), n.en()).to_string())
                .unwrap_or_else(|| lang.t("必要", "Required").to_string()),
            required: matches!(
                m.necessity,
                None | Some(tongban_domain::catalog::Necessity::Required)
            ),
            standard: m.acceptance_standard.clone(),
            notes: m.filling_notes.clone(),
            files: r
                .files
                .iter()
                .filter(|f| f.material_index == i as i64)
                .map(|f| FileView {
                    id: f.id,
                    name: f.file_name.clone(),
                    size: if f.size >= 1024 * 1024 {
                        format!("{:.1} MB", f.size as f64 / 1048576.0)
                    } else {
                        format!("{} KB", (f.size + 1023) / 1024)
                    },
                })
                .collect(),
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "case_materials.html")]
struct MaterialsPage {
    c: Chrome,
    id: i64,
    /// Files may be added now (by this user).
    can_upload: bool,
    case_no: String,
    item_name: String,
    state: String,
    draft: bool,
    materials: Vec<MaterialView>,
    errors: Vec<FieldError>,
}

async fn materials_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?;
    let r = s
        .store
        .case_for(actor, id)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(materials_view(&page, &r, vec![]).into_response())
}

fn materials_view(page: &Page, r: &CaseRecord, errors: Vec<FieldError>) -> MaterialsPage {
    let c = &r.case;
    let (owner, clerk) = match &page.session {
        Some(s) => (
            c.applicant_user_id == Some(s.actor.user_id) || c.created_by == s.actor.user_id,
            s.actor.role == Role::Clerk,
        ),
        None => (false, false),
    };
    let correcting = c.state == CaseState::Suspended
        && matches!(
            c.clock.last(),
            Some(clock::ClockEvent::Suspended {
                reason: SuspendReason::Correction,
                ..
            })
        );
    let open = matches!(c.state, CaseState::Draft | CaseState::Correction) || correcting;
    MaterialsPage {
        can_upload: ((owner || clerk) && open) || (clerk && c.state == CaseState::Submitted),
        c: page.chrome(),
        id: r.case.id,
        case_no: r.case.case_no.clone(),
        item_name: r.case.item_name.clone(),
        state: state_label(r.case.state, page.lang),
        draft: r.case.state == CaseState::Draft,
        materials: material_views(r, page.lang),
        errors,
    }
}

async fn upload_post(
    State(s): State<AppState>,
    page: Page,
    Path((id, idx)): Path<(i64, usize)>,
    mut mp: Multipart,
) -> Result<Response, Response> {
    let mut csrf = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut back = String::new();
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
            Err(_) => return Err(bad(&page)),
        };
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.map_err(|_| bad(&page))?,
            "back" => back = field.text().await.map_err(|_| bad(&page))?,
            "file" => {
                let name = field.file_name().unwrap_or_default().to_string();
                let bytes = field.bytes().await.map_err(|_| bad(&page))?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    let actor = posted(&page, &csrf)?;
    let (name, bytes) = file.unwrap_or_default();
    let target = if back == "case" {
        format!("/cases/{id}")
    } else {
        format!("/cases/{id}/materials")
    };
    match s
        .store
        .upload(&s.files, &actor, id, idx, &name, bytes)
        .await
    {
        Ok(_) => Ok(Redirect::to(&target).into_response()),
        Err(StoreError::Invalid(errs)) => {
            let r = s
                .store
                .case_for(&actor, id)
                .await
                .map_err(|e| store_err(&page, e))?;
            let errors = errs
                .0
                .into_iter()
                .map(|mut e| {
                    e.field = format!("file-{idx}");
                    e
                })
                .collect();
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                materials_view(&page, &r, errors),
            )
                .into_response())
        }
        Err(e) => Err(store_err(&page, e)),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
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
        .remove_upload(&s.files, &actor, id, file)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(Redirect::to(&format!("/cases/{id}/materials")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "case_check.html")]
struct CheckPage {
    c: Chrome,
    id: i64,
    version: i64,
    case_no: String,
    item_name: String,
    applicant: Vec<(String, String)>,
    answers: Vec<(String, String)>,
    materials: Vec<MaterialView>,
    missing: Vec<String>,
}

async fn check_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?;
    let r = s
        .store
        .case_for(actor, id)
        .await
        .map_err(|e| store_err(&page, e))?;
    if r.case.state != CaseState::Draft {
        return Ok(Redirect::to(&format!("/cases/{id}")).into_response());
    }
    let lang = page.lang;
    let materials = material_views(&r, lang);
    let missing = materials
        .iter()
        .filter(|m| m.required && m.files.is_empty())
        .map(|m| m.name.clone())
        .collect();
    Ok(CheckPage {
        c: page.chrome(),
        id,
        version: r.case.version,
        case_no: r.case.case_no.clone(),
        item_name: r.case.item_name.clone(),
        applicant: applicant_rows(&r.case, lang, false),
        answers: answers(&r),
        materials,
        missing,
    }
    .into_response())
}

fn applicant_rows(c: &Case, lang: Lang, masked: bool) -> Vec<(String, String)> {
    let idn = if masked {
        mask(&c.applicant_id_number, 3, 2)
    } else {
        c.applicant_id_number.clone()
    };
    vec![
        (
            lang.t("申请人", "Applicant").into(),
            c.applicant_name.clone(),
        ),
        (lang.t("证件号码", "ID number").into(), idn),
        (
            lang.t("联系电话", "Phone").into(),
            c.applicant_phone.clone(),
        ),
    ]
}

fn answers(r: &CaseRecord) -> Vec<(String, String)> {
    r.doc
        .form_fields
        .iter()
        .map(|f| {
            let v = r.case.form.get(&f.key).cloned().unwrap_or_default();
            let v = match (f.kind, v.as_str()) {
                (FieldKind::YesNo, "yes") => "是".to_string(),
                (FieldKind::YesNo, "no") => "否".to_string(),
                _ => v,
            };
            (f.label.clone(), v)
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The case page and its actions

struct EventView {
    at: String,
    who: String,
    action: String,
    to: String,
    note: String,
    document_id: Option<i64>,
}

struct DocView {
    id: i64,
    title: String,
    number: String,
    at: String,
}

struct TaskView {
    department: String,
    status: String,
}

#[derive(Default)]
struct Actions {
    intake: bool,
    supply: bool,
    upload: bool,
    review: bool,
    suspend: bool,
    resume: bool,
    extend: bool,
    max_extension: u32,
    decide: bool,
    issue: bool,
    deliver: bool,
    withdraw: bool,
}

impl Actions {
    fn any(&self) -> bool {
        self.intake
            || self.supply
            || self.review
            || self.suspend
            || self.resume
            || self.extend
            || self.decide
            || self.issue
            || self.deliver
            || self.withdraw
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "case.html")]
struct CasePage {
    c: Chrome,
    id: i64,
    /// The bundle application (一件事) this case belongs to, for those who may open it.
    bundle: Option<i64>,
    /// Electronic certificates issued for the case: 证照标识, status.
    certificates: Vec<(String, String)>,
    /// Shared-data lookups: source, time, outcome (key, text), fields, values, message.
    fetches: Vec<FetchView>,
    /// The latest rule evaluation.
    finding: Option<FindingView>,
    version: i64,
    case_no: String,
    verify_code: String,
    item_name: String,
    impl_code: String,
    department: String,
    state: String,
    state_key: &'static str,
    channel: String,
    approved: String,
    applicant: Vec<(String, String)>,
    answers: Vec<(String, String)>,
    materials: Vec<MaterialView>,
    clock: Option<ClockView>,
    received_on: String,
    intake_due: String,
    tasks: Vec<TaskView>,
    documents: Vec<DocView>,
    events: Vec<EventView>,
    a: Actions,
    procedures: Vec<String>,
    errors: Vec<FieldError>,
    flash: String,
}

async fn actions_for(s: &AppState, actor: &Actor, r: &CaseRecord) -> Result<Actions, StoreError> {
    let facts = s
        .store
        .case_facts(&r.case, &r.doc, &s.calendar(), s.today())
        .await?;
    let may = |cmd: &Command| case::authorize(actor, &facts, cmd).is_ok();
    let st = r.case.state;
    let extended = r
        .case
        .clock
        .iter()
        .any(|e| matches!(e, clock::ClockEvent::Extended { .. }));
    let joint = r.doc.review.mode == ReviewMode::Joint && !r.case.co_reviewers.is_empty();
    let correcting = st == CaseState::Suspended
        && matches!(
            r.case.clock.last(),
            Some(clock::ClockEvent::Suspended {
                reason: SuspendReason::Correction,
                ..
            })
        );
    Ok(Actions {
        intake: st == CaseState::Submitted && may(&Command::Accept),
        supply: (st == CaseState::Correction || correcting) && may(&Command::SupplyCorrection),
        upload: (st == CaseState::Correction || correcting)
            && (r.case.applicant_user_id == Some(actor.user_id) || actor.role == Role::Clerk),
        review: st == CaseState::Review
            && may(&Command::CompleteReview {
                agree: true,
                opinion: String::new(),
            }),
        suspend: matches!(st, CaseState::Review | CaseState::Decision)
            && may(&Command::Suspend {
                reason: SuspendReason::Correction,
                note: String::new(),
            }),
        resume: st == CaseState::Suspended && may(&Command::Resume),
        extend: matches!(
            st,
            CaseState::Review | CaseState::Decision | CaseState::Suspended
        ) && !extended
            && may(&Command::Extend {
                days: 1,
                reason: String::new(),
            }),
        max_extension: if joint {
            clock::MAX_JOINT_EXTENSION.0
        } else {
            clock::MAX_EXTENSION.0
        },
        decide: st == CaseState::Decision
            && may(&Command::Decide {
                approve: true,
                reason: String::new(),
            }),
        issue: st == CaseState::Certifying && may(&Command::Issue),
        deliver: st == CaseState::Delivering
            && may(&Command::Deliver {
                method: String::new(),
            }),
        withdraw: matches!(
            st,
            CaseState::Submitted
                | CaseState::Correction
                | CaseState::Review
                | CaseState::Suspended
                | CaseState::Decision
        ) && actor.role == Role::Applicant
            && may(&Command::Withdraw {
                reason: String::new(),
            }),
    })
}

async fn render_case(
    s: &AppState,
    page: &Page,
    actor: &Actor,
    id: i64,
    errors: Vec<FieldError>,
    flash: String,
) -> Result<Response, Response> {
    let r = s
        .store
        .case_for(actor, id)
        .await
        .map_err(|e| store_err(page, e))?;
    let show_values = actor.role != Role::Supervisor;
    let fetches = s
        .store
        .case_fetches(id)
        .await
        .map_err(|e| store_err(page, e))?
        .into_iter()
        .map(|f| FetchView {
            source: f.source_name,
            at: fmt_time(f.at),
            outcome_key: f.outcome.clone(),
            outcome: match f.outcome.as_str() {
                "found" => page.lang.t("已查到", "found"),
                "not_found" => page.lang.t("未查到记录", "no record"),
                "failed" => page
                    .lang
                    .t("查询失败，将自动重试", "failed, will be retried"),
                "certificate" => page.lang.t("以电子证照代替", "e-certificate used"),
                "rejected" => page.lang.t("电子证照不可用", "e-certificate not usable"),
                _ => "",
            }
            .to_string(),
            fields: f.fields.join("、"),
            values: if show_values && f.data.is_object() {
                f.data
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| {
                                format!(
                                    "{k}：{}",
                                    v.as_str()
                                        .map(str::to_string)
                                        .unwrap_or_else(|| v.to_string())
                                )
                            })
                            .collect::<Vec<_>>()
                            .join("；")
                    })
                    .unwrap_or_default()
            } else {
                String::new()
            },
            message: f.message,
        })
        .collect();
    let finding = s
        .store
        .case_decisions(id)
        .await
        .map_err(|e| store_err(page, e))?
        .pop()
        .map(|d| FindingView {
            outcome_key: d.outcome.clone(),
            outcome: match d.outcome.as_str() {
                "approve" => page.lang.t("规则核验通过（秒批）", "approved by the rules"),
                "refuse" => page.lang.t("规则建议不予批准", "the rules advise refusal"),
                _ => page.lang.t("转人工审查", "referred to a reviewer"),
            }
            .to_string(),
            automatic: d.automatic,
            reasons: d.reasons,
            mismatches: d
                .mismatches
                .into_iter()
                .map(|m| {
                    if show_values {
                        (m.form_field, m.declared, m.authoritative, m.source)
                    } else {
                        (
                            m.form_field,
                            mask(&m.declared, 1, 0),
                            mask(&m.authoritative, 1, 0),
                            m.source,
                        )
                    }
                })
                .collect(),
            rule_version: d.item_version_id,
        });
    let certificates = s
        .store
        .case_certificates(id)
        .await
        .map_err(|e| store_err(page, e))?
        .iter()
        .map(|c| {
            let st = c.status(s.today());
            (
                c.licence_id.clone(),
                page.lang.t(st.zh(), st.en()).to_string(),
            )
        })
        .collect();
    if r.case.state == CaseState::Draft {
        return Ok(Redirect::to(&format!("/cases/{id}/check")).into_response());
    }
    let lang = page.lang;
    let a = actions_for(s, actor, &r)
        .await
        .map_err(|e| store_err(page, e))?;
    let depts = s
        .store
        .departments()
        .await
        .map_err(|e| store_err(page, e))?;
    let dept_name = |id: i64| {
        depts
            .iter()
            .find(|d| d.id == id)
            .map(|d| d.name.clone())
            .unwrap_or_else(|| format!("#{id}"))
    };
    let cal = s.calendar();
    let intake_due = match (r.case.state, r.case.received_on) {
        (CaseState::Submitted, Some(d)) => cal
            .add_workdays(d, case::INTAKE_DAYS)
            .map(|d| d.to_string())
            .unwrap_or_default(),
        _ => String::new(),
    };
    // The Art. 45 procedures that stop the clock, plus the item's own.
    let mut procedures: Vec<String> = case::ART45_PROCEDURES
        .iter()
        .map(|s| s.to_string())
        .collect();
    for p in &r.doc.special_procedures {
        if !procedures.contains(&p.name) {
            procedures.push(p.name.clone());
        }
    }
    let show_code = actor.role == Role::Applicant || actor.role == Role::Clerk;
    Ok(CasePage {
        c: page.chrome(),
        id,
        certificates,
        fetches,
        finding,
        bundle: r
            .case
            .bundle_case_id
            .filter(|_| matches!(actor.role, Role::Applicant | Role::Clerk | Role::Supervisor)),
        version: r.case.version,
        case_no: r.case.case_no.clone(),
        verify_code: if show_code {
            r.case.verify_code.clone()
        } else {
            String::new()
        },
        item_name: r.case.item_name.clone(),
        impl_code: r.case.impl_code.clone(),
        department: r.case.lead_department_name.clone(),
        state: state_label(r.case.state, lang),
        state_key: r.case.state.as_str(),
        channel: r.case.channel.zh().to_string(),
        approved: match r.case.approved {
            Some(true) => lang.t("准予许可", "Approved").into(),
            Some(false) => lang.t("不予许可", "Denied").into(),
            None => String::new(),
        },
        applicant: applicant_rows(&r.case, lang, actor.role == Role::Supervisor),
        answers: answers(&r),
        materials: material_views(&r, lang),
        clock: clock_view(s, &r.case, lang),
        received_on: r
            .case
            .received_on
            .map(|d| d.to_string())
            .unwrap_or_default(),
        intake_due,
        tasks: r
            .case
            .tasks
            .iter()
            .map(|t| TaskView {
                department: dept_name(t.department_id),
                status: lang.t(t.status.zh(), t.status.en()).to_string(),
            })
            .collect(),
        documents: r
            .documents
            .iter()
            .map(|d| DocView {
                id: d.id,
                title: lang.t(d.kind.zh(), d.kind.en()).to_string(),
                number: d.number.clone(),
                at: fmt_time(d.created_at),
            })
            .collect(),
        events: r
            .events
            .iter()
            .rev()
            .map(|e| EventView {
                at: fmt_time(e.at),
                who: e.actor_name.clone(),
                action: event_label(&e.action, lang),
                to: CaseState::parse(&e.to_state)
                    .map(|st| state_label(st, lang))
                    .unwrap_or_default(),
                note: event_note(&e.details),
                document_id: e.document_id,
            })
            .collect(),
        a,
        procedures,
        errors,
        flash,
    }
    .into_response())
}

fn event_label(action: &str, lang: Lang) -> String {
    let (zh, en) = match action {
        "create" => ("创建申请", "application started"),
        "submit" => ("提交申请", "submitted"),
        "accept" => ("受理", "accepted"),
        "deemed_accepted" => (
            "逾期未告知，视为受理",
            "deemed accepted (no notice in 5 working days)",
        ),
        "request_correction" => ("一次性告知补正", "one-time correction notice"),
        "supply_correction" => ("提交补正材料", "corrections supplied"),
        "refuse" => ("不予受理", "not accepted"),
        "complete_review" => ("提交审查意见", "review opinion"),
        "suspend" => ("中止计时", "clock suspended"),
        "resume" => ("恢复计时", "clock resumed"),
        "extend" => ("延长办理期限", "time limit extended"),
        "decide" => ("作出决定", "decided"),
        "issue" => ("制证", "certificate made"),
        "deliver" => ("送达并办结", "delivered and completed"),
        "withdraw" => ("撤回申请", "withdrawn"),
        other => (other, other),
    };
    lang.t(zh, en).to_string()
}

fn event_note(d: &serde_json::Value) -> String {
    let mut parts = Vec::new();
    for k in [
        "opinion",
        "reason",
        "note",
        "method",
        "competent_agency",
        "why_zh",
    ] {
        match d.get(k) {
            Some(serde_json::Value::String(v)) if !v.trim().is_empty() => parts.push(v.clone()),
            Some(serde_json::Value::Object(o)) => {
                if let Some(serde_json::Value::String(n)) = o.get("name") {
                    parts.push(n.clone());
                } else if o.get("kind").and_then(|k| k.as_str()) == Some("correction") {
                    parts.push("补正材料".into());
                }
            }
            _ => {}
        }
    }
    if let Some(days) = d.get("days").and_then(|v| v.as_u64()) {
        parts.push(format!("{days}个工作日"));
    }
    parts.join("；")
}

#[derive(Deserialize)]
struct FlashParam {
    done: Option<String>,
}

async fn case_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Query(q): Query<FlashParam>,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?.clone();
    let flash = match q.done.as_deref() {
        Some("1") => page.lang.t("已办理。", "Done.").to_string(),
        _ => String::new(),
    };
    render_case(&s, &page, &actor, id, vec![], flash).await
}

/// Parses the action form of the case page into a command.
fn command_from_form(f: &[(String, String)]) -> Result<Command, FieldError> {
    let get = |k: &str| {
        f.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let action = get("action");
    Ok(match action.as_str() {
        "submit" => Command::Submit,
        "accept" => Command::Accept,
        "request_correction" => {
            let mut list = Vec::new();
            for (k, v) in f {
                if let Some(idx) = k.strip_prefix("problem_")
                    && let Ok(i) = idx.parse::<usize>()
                    && !v.is_empty()
                {
                    let problem = match v.as_str() {
                        "missing" => Problem::Missing,
                        "defective" => Problem::Defective,
                        _ => continue,
                    };
                    list.push(Deficiency {
                        material: i,
                        problem,
                        note: get(&format!("note_{i}")),
                    });
                }
            }
            Command::RequestCorrection { deficiencies: list }
        }
        "supply_correction" => Command::SupplyCorrection,
        "refuse" => Command::Refuse {
            reason: get("reason"),
            competent_agency: get("competent_agency"),
        },
        "complete_review" => Command::CompleteReview {
            agree: get("agree") != "no",
            opinion: get("opinion"),
        },
        "suspend" => {
            let p = get("procedure");
            Command::Suspend {
                reason: if p == "补正" || p == "correction" {
                    SuspendReason::Correction
                } else {
                    SuspendReason::SpecialProcedure(p)
                },
                note: get("note"),
            }
        }
        "resume" => Command::Resume,
        "extend" => Command::Extend {
            days: get("days").parse().map_err(|_| {
                FieldError::new(
                    "days",
                    "invalid",
                    "请填写延长的工作日数",
                    "enter the number of working days",
                )
            })?,
            reason: get("reason"),
        },
        "decide" => Command::Decide {
            approve: get("approve") == "yes",
            reason: get("reason"),
        },
        "issue" => Command::Issue,
        "deliver" => Command::Deliver {
            method: get("method"),
        },
        "withdraw" => Command::Withdraw {
            reason: get("reason"),
        },
        _ => {
            return Err(FieldError::new(
                "action",
                "invalid",
                "未知的操作",
                "unknown action",
            ));
        }
    })
}

async fn act_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, Response> {
    let csrf = f
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let actor = posted(&page, &csrf)?;
    let version = f
        .iter()
        .find(|(k, _)| k == "version")
        .and_then(|(_, v)| v.parse::<i64>().ok());
    let cmd = match command_from_form(&f) {
        Ok(c) => c,
        Err(e) => {
            return render_case(&s, &page, &actor, id, vec![e], String::new())
                .await
                .map(|r| (StatusCode::UNPROCESSABLE_ENTITY, r).into_response());
        }
    };
    match s.case_command(&actor, id, version, cmd).await {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}?done=1")).into_response()),
        Err(StoreError::Invalid(errs)) => render_case(&s, &page, &actor, id, errs.0, String::new())
            .await
            .map(|r| (StatusCode::UNPROCESSABLE_ENTITY, r).into_response()),
        Err(StoreError::Conflict { zh, en }) => {
            let e = FieldError::new("action", "conflict", zh, en);
            render_case(&s, &page, &actor, id, vec![e], String::new())
                .await
                .map(|r| (StatusCode::CONFLICT, r).into_response())
        }
        Err(e) => Err(store_err(&page, e)),
    }
}

// ---------------------------------------------------------------------------
// Documents and files

#[derive(Template, WebTemplate)]
#[template(path = "document.html")]
struct DocumentPage {
    c: Chrome,
    case_id: i64,
    title: String,
    number: String,
    body: tongban_store::cases::DocBody,
    refusal: bool,
}

async fn document_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?;
    let (case, d) = s
        .store
        .case_document(actor, id)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(DocumentPage {
        c: page.chrome(),
        case_id: case.id,
        title: d.body.title.clone(),
        number: d.number.clone(),
        refusal: matches!(d.kind, DocKind::RefusalDecision | DocKind::DenialDecision),
        body: d.body,
    }
    .into_response())
}

async fn file_download(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?;
    let (f, bytes) = s
        .store
        .download(&s.files, actor, id)
        .await
        .map_err(|e| store_err(&page, e))?;
    let ascii: String = f
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, f.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
                    crate::views::url_encode(&f.file_name)
                ),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

// ---------------------------------------------------------------------------
// Work lists

struct RowView {
    id: i64,
    case_no: String,
    item_name: String,
    applicant: String,
    state: String,
    received_on: String,
    promised_due: String,
    days_left: String,
    warning: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "work.html")]
struct WorkPage {
    c: Chrome,
    title: String,
    intro: String,
    rows: Vec<RowView>,
    clerk: bool,
}

async fn work_page(State(s): State<AppState>, page: Page) -> Result<Response, Response> {
    let actor = signed_in(&page)?.clone();
    let lang = page.lang;
    let rows = list_for(&s, &actor, None)
        .await
        .map_err(|e| store_err(&page, e))?;
    let (title, intro) = match actor.role {
        Role::Applicant => (
            lang.t("我的办件", "My applications"),
            lang.t("您提交的全部申请及其办理进度。", "Everything you applied for and where it stands."),
        ),
        Role::Clerk => (
            lang.t("窗口受理", "Window intake"),
            lang.t(
                "待受理的申请，按收到时间排列。收到材料后5个工作日内须作出受理、补正或不予受理。",
                "Applications waiting for intake, oldest first. Accept, ask for corrections or refuse within 5 working days of receipt.",
            ),
        ),
        Role::Supervisor => (
            lang.t("在办案件监察", "Open cases"),
            lang.t("本中心及下级中心的在办案件，按剩余工作日排列。", "Open cases of this centre and the centres below it, most urgent first."),
        ),
        _ => (
            lang.t("部门待办", "Department inbox"),
            lang.t("本部门待办案件，按剩余工作日排列，最紧急的在前。", "Your department's cases, the fewest working days left first."),
        ),
    };
    let cal = s.calendar();
    let rows = rows
        .into_iter()
        .map(|r| {
            let warning = match r.days_left {
                Some(d) if d < 0 => "red",
                Some(d) if d <= i64::from(s.config.warning_rule.days_left) => "yellow",
                Some(_) => "green",
                None => "",
            };
            let received = r.received_on.map(|d| d.to_string()).unwrap_or_default();
            let due = if r.state == CaseState::Submitted {
                r.received_on
                    .and_then(|d| cal.add_workdays(d, case::INTAKE_DAYS).ok())
                    .map(|d| format!("{}{d}", lang.t("受理期限 ", "intake by ")))
                    .unwrap_or_default()
            } else {
                r.promised_due.map(|d| d.to_string()).unwrap_or_default()
            };
            RowView {
                id: r.id,
                case_no: r.case_no,
                item_name: r.item_name,
                applicant: r.applicant,
                state: state_label(r.state, lang),
                received_on: received,
                promised_due: due,
                days_left: r.days_left.map(|d| d.to_string()).unwrap_or_default(),
                warning,
            }
        })
        .collect();
    Ok(WorkPage {
        c: page.chrome(),
        title: title.into(),
        intro: intro.into(),
        rows,
        clerk: actor.role == Role::Clerk,
    }
    .into_response())
}

// ---------------------------------------------------------------------------
// Notifications

struct FetchView {
    source: String,
    at: String,
    outcome_key: String,
    outcome: String,
    fields: String,
    values: String,
    message: String,
}

struct FindingView {
    outcome_key: String,
    outcome: String,
    automatic: bool,
    reasons: Vec<String>,
    /// form field, declared, authoritative, source
    mismatches: Vec<(String, String, String, String)>,
    rule_version: i64,
}

struct NoteView {
    subject: String,
    body: String,
    at: String,
    case_id: Option<i64>,
    bundle_case_id: Option<i64>,
    read: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    c: Chrome,
    notes: Vec<NoteView>,
}

async fn notifications_page(State(s): State<AppState>, page: Page) -> Result<Response, Response> {
    let actor = signed_in(&page)?;
    let notes = s
        .store
        .notifications(actor.user_id, 200)
        .await
        .map_err(|e| store_err(&page, e))?
        .into_iter()
        .map(|n| NoteView {
            subject: n.subject,
            body: n.body,
            at: fmt_time(n.created_at),
            case_id: n.case_id,
            bundle_case_id: n.bundle_case_id,
            read: n.read,
        })
        .collect();
    Ok(NotificationsPage {
        c: page.chrome(),
        notes,
    }
    .into_response())
}

async fn notifications_read(
    State(s): State<AppState>,
    page: Page,
    Form(f): Form<CsrfForm>,
) -> Result<Response, Response> {
    let actor = posted(&page, &f.csrf)?;
    s.store
        .mark_notifications_read(actor.user_id)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(Redirect::to("/notifications").into_response())
}

// ---------------------------------------------------------------------------
// Public progress lookup

#[derive(Template, WebTemplate)]
#[template(path = "progress.html")]
struct ProgressPage {
    c: Chrome,
    case_no: String,
    errors: Vec<FieldError>,
    result: Option<ProgressView>,
}

struct ProgressView {
    case_no: String,
    item_name: String,
    department: String,
    state: String,
    received_on: String,
    accepted_on: String,
    promised_due: String,
    legal_due: String,
    decided_on: String,
    steps: Vec<(String, String)>,
}

async fn progress_page(page: Page) -> Response {
    ProgressPage {
        c: page.chrome(),
        case_no: String::new(),
        errors: vec![],
        result: None,
    }
    .into_response()
}

#[derive(Deserialize)]
struct ProgressForm {
    #[serde(default)]
    case_no: String,
    #[serde(default)]
    code: String,
}

async fn progress_post(
    State(s): State<AppState>,
    page: Page,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Form(f): Form<ProgressForm>,
) -> Response {
    if let Err(e) = check_origin(&page.headers) {
        return page.error(e);
    }
    let lang = page.lang;
    let d = |o: Option<NaiveDate>| o.map(|d| d.to_string()).unwrap_or_default();
    match lookup(&s, &client, &f.case_no, &f.code).await {
        Ok(p) => ProgressPage {
            c: page.chrome(),
            case_no: f.case_no.clone(),
            errors: vec![],
            result: Some(ProgressView {
                case_no: p.case_no,
                item_name: p.item_name,
                department: p.department,
                state: state_label(p.state, lang),
                received_on: d(p.received_on),
                accepted_on: d(p.accepted_on),
                promised_due: d(p.promised_due),
                legal_due: d(p.legal_due),
                decided_on: d(p.decided_on),
                steps: p
                    .steps
                    .iter()
                    .map(|st| (fmt_time(st.at), st.action_zh.clone()))
                    .collect(),
            }),
        }
        .into_response(),
        Err(e) => {
            let status = e.status;
            let e = e.in_lang(lang);
            let msg = e.message().to_string();
            (
                status,
                ProgressPage {
                    c: page.chrome(),
                    case_no: f.case_no,
                    errors: vec![FieldError::new("case_no", e.code, msg.clone(), msg)],
                    result: None,
                },
            )
                .into_response()
        }
    }
}

// ---------------------------------------------------------------------------
// 首问负责 inquiries

struct InquiryRow {
    id: i64,
    channel: String,
    subject: String,
    inquirer: String,
    owner: String,
    status: String,
    at: String,
    mine: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "inquiries.html")]
struct InquiriesPage {
    c: Chrome,
    rows: Vec<InquiryRow>,
    errors: Vec<FieldError>,
    form: InquiryForm,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct InquiryForm {
    csrf: String,
    channel: String,
    subject: String,
    inquirer: String,
    contact: String,
}

async fn inquiries_view(
    s: &AppState,
    page: &Page,
    actor: &Actor,
    errors: Vec<FieldError>,
    form: InquiryForm,
) -> Result<Response, Response> {
    let lang = page.lang;
    let rows = s
        .store
        .inquiries(actor)
        .await
        .map_err(|e| store_err(page, e))?
        .into_iter()
        .map(|q| InquiryRow {
            id: q.id,
            channel: if q.channel == "hotline" {
                lang.t("热线", "Hotline")
            } else {
                lang.t("窗口", "Window")
            }
            .into(),
            inquirer: q.inquirer_masked(),
            subject: q.subject.chars().take(60).collect(),
            mine: q.owner_id == actor.user_id,
            owner: q.owner_name,
            status: if q.status == "open" {
                lang.t("处理中", "Open")
            } else {
                lang.t("已答复", "Answered")
            }
            .into(),
            at: fmt_time(q.created_at),
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        InquiriesPage {
            c: page.chrome(),
            rows,
            errors,
            form,
        },
    )
        .into_response())
}

async fn inquiries_page(State(s): State<AppState>, page: Page) -> Result<Response, Response> {
    let (_, actor) = page.staff()?;
    let actor = actor.clone();
    inquiries_view(&s, &page, &actor, vec![], InquiryForm::default()).await
}

async fn inquiry_create_post(
    State(s): State<AppState>,
    page: Page,
    Form(f): Form<InquiryForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    let actor = actor.clone();
    match s
        .store
        .create_inquiry(
            &actor,
            &NewInquiry {
                channel: f.channel.clone(),
                subject: f.subject.clone(),
                inquirer: f.inquirer.clone(),
                contact: f.contact.clone(),
            },
        )
        .await
    {
        Ok(q) => Ok(Redirect::to(&format!("/inquiries/{}", q.id)).into_response()),
        Err(StoreError::Invalid(errs)) => inquiries_view(&s, &page, &actor, errs.0, f).await,
        Err(e) => Err(store_err(&page, e)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "inquiry.html")]
struct InquiryPage {
    c: Chrome,
    q: tongban_store::inquiries::Inquiry,
    at: String,
    events: Vec<(String, String, String, String)>,
    mine: bool,
    open: bool,
    errors: Vec<FieldError>,
}

async fn inquiry_view(
    s: &AppState,
    page: &Page,
    actor: &Actor,
    id: i64,
    errors: Vec<FieldError>,
) -> Result<Response, Response> {
    let lang = page.lang;
    let (q, events) = s
        .store
        .inquiry(actor, id)
        .await
        .map_err(|e| store_err(page, e))?;
    let events = events
        .into_iter()
        .map(|e| {
            let what = match e.kind.as_str() {
                "created" => lang.t("登记（首问）", "Logged (first owner)").to_string(),
                "handed_over" => format!(
                    "{}{}",
                    lang.t("移交给 ", "Handed over to "),
                    e.to_owner_name.unwrap_or_default()
                ),
                "closed" => lang.t("答复并办结", "Answered and closed").to_string(),
                k => k.to_string(),
            };
            (fmt_time(e.at), e.actor_name, what, e.note)
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        InquiryPage {
            c: page.chrome(),
            at: fmt_time(q.created_at),
            mine: q.owner_id == actor.user_id,
            open: q.status == "open",
            q,
            events,
            errors,
        },
    )
        .into_response())
}

async fn inquiry_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let (_, actor) = page.staff()?;
    let actor = actor.clone();
    inquiry_view(&s, &page, &actor, id, vec![]).await
}

#[derive(Deserialize)]
struct HandOverForm {
    csrf: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    note: String,
}

async fn inquiry_hand_over_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<HandOverForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    let actor = actor.clone();
    match s.store.hand_over_inquiry(&actor, id, &f.to, &f.note).await {
        Ok(_) => Ok(Redirect::to(&format!("/inquiries/{id}")).into_response()),
        Err(StoreError::Invalid(errs)) => inquiry_view(&s, &page, &actor, id, errs.0).await,
        Err(e) => Err(store_err(&page, e)),
    }
}

#[derive(Deserialize)]
struct CloseForm {
    csrf: String,
    #[serde(default)]
    answer: String,
}

async fn inquiry_close_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<CloseForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    let actor = actor.clone();
    match s.store.close_inquiry(&actor, id, &f.answer).await {
        Ok(_) => Ok(Redirect::to(&format!("/inquiries/{id}")).into_response()),
        Err(StoreError::Invalid(errs)) => inquiry_view(&s, &page, &actor, id, errs.0).await,
        Err(e) => Err(store_err(&page, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn correction_form_lists_every_marked_material() {
        let cmd = command_from_form(&form(&[
            ("action", "request_correction"),
            ("problem_0", ""),
            ("problem_1", "missing"),
            ("problem_3", "defective"),
            ("note_3", "复印件不清晰"),
        ]))
        .expect("parses");
        assert_eq!(
            cmd,
            Command::RequestCorrection {
                deficiencies: vec![
                    Deficiency {
                        material: 1,
                        problem: Problem::Missing,
                        note: String::new()
                    },
                    Deficiency {
                        material: 3,
                        problem: Problem::Defective,
                        note: "复印件不清晰".into()
                    },
                ]
            }
        );
        assert!(command_from_form(&form(&[("action", "explode")])).is_err());
        assert!(command_from_form(&form(&[("action", "extend"), ("days", "ten")])).is_err());
    }

    #[test]
    fn suspension_for_correction_is_not_a_special_procedure() {
        assert_eq!(
            command_from_form(&form(&[("action", "suspend"), ("procedure", "补正")])),
            Ok(Command::Suspend {
                reason: SuspendReason::Correction,
                note: String::new()
            })
        );
    }
}
