//! The JSON API under `/api/v1`, described by OpenAPI at `/api/openapi.json`.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tongban_domain::auth::{Actor, Scope};
use tongban_domain::catalog::{ItemDoc, ItemStatus};
use tongban_domain::codes::CreditCode;
use tongban_domain::{FieldError, FieldErrors};
use tongban_search::SearchQuery;
use tongban_store::audit::{AuditRun, FindingFilter, FindingStatus, StoredFinding};
use tongban_store::catalog::{AdminFilter, Department, DepartmentInput, ItemVersion};
use tongban_store::transfer::ImportReport;
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::AppState;
use crate::http::{
    ApiError, ApiUser, Lang, MaybeSession, check_origin, session_cookie, set_cookie,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/items", get(search_items))
        .route("/api/v1/items/{code}", get(get_item))
        .route("/api/v1/session", get(whoami).post(login).delete(logout))
        .route(
            "/api/v1/admin/items",
            get(admin_list_items).post(admin_create_item),
        )
        .route(
            "/api/v1/admin/items/{id}",
            get(admin_get_item)
                .put(admin_update_item)
                .delete(admin_delete_item),
        )
        .route("/api/v1/admin/items/{id}/publish", post(admin_publish_item))
        .route(
            "/api/v1/admin/catalog/{code}/versions",
            get(admin_item_versions).post(admin_new_version),
        )
        .route(
            "/api/v1/admin/catalog/{code}/retire",
            post(admin_retire_item),
        )
        .route("/api/v1/admin/catalog/export", get(admin_export))
        .route("/api/v1/admin/catalog/import", post(admin_import))
        .route(
            "/api/v1/admin/departments",
            get(admin_departments).post(admin_create_department),
        )
        .route(
            "/api/v1/admin/departments/{id}",
            put(admin_update_department),
        )
        .route("/api/v1/admin/audit/runs", get(audit_runs).post(audit_run))
        .route("/api/v1/admin/audit/findings", get(audit_findings))
        .route("/api/v1/admin/audit/findings/{id}/fix", post(audit_fix))
        .route(
            "/api/v1/admin/audit/findings/{id}/verify",
            post(audit_verify),
        )
        .route("/api/v1/admin/audit/report.csv", get(audit_csv))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tongban API",
        description = "一网通办 — service catalogue, guide audit and search. Errors are `{\"error\": {\"code\", \"message\", \"details\"}}`. State-changing calls need the session cookie and the `X-CSRF-Token` header from `GET /api/v1/session`."
    ),
    paths(
        healthz,
        search_items,
        get_item,
        whoami,
        login,
        logout,
        admin_list_items,
        admin_create_item,
        admin_get_item,
        admin_update_item,
        admin_delete_item,
        admin_publish_item,
        admin_item_versions,
        admin_new_version,
        admin_retire_item,
        admin_export,
        admin_import,
        admin_departments,
        admin_create_department,
        admin_update_department,
        audit_runs,
        audit_run,
        audit_findings,
        audit_fix,
        audit_verify,
        audit_csv
    ),
    components(schemas(crate::http::ErrorBody))
)]
pub struct ApiDoc;

pub async fn openapi_json() -> Response {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::cases::CasesDoc::openapi());
    doc.merge(crate::bundles::BundlesDoc::openapi());
    doc.merge(crate::certs::CertsDoc::openapi());
    doc.merge(crate::rules::RulesDoc::openapi());
    let body = doc.to_pretty_json().unwrap_or_else(|_| "{}".to_string());
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

// ---------------------------------------------------------------------------
// Public catalogue

/// Forms send an empty string for "all"; that means no filter.
fn empty_as_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// Deepest result page reachable; deeper offsets are refused work, not memory.
pub const MAX_SEARCH_OFFSET: usize = 1000;

#[derive(Debug, Deserialize, IntoParams, Default)]
pub struct SearchParams {
    /// Free text, segmented into Chinese words.
    pub q: Option<String>,
    /// Department id.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub department: Option<i64>,
    /// 事项类型, e.g. `licensing`.
    #[serde(rename = "type")]
    pub item_type: Option<String>,
    /// 服务对象: `natural_person` or `legal_person`.
    pub object: Option<String>,
    /// Life event, e.g. `新生儿出生`.
    pub event: Option<String>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

impl SearchParams {
    pub fn to_query(&self) -> SearchQuery {
        SearchQuery {
            text: self.q.clone().unwrap_or_default(),
            department_id: self.department,
            item_type: self.item_type.clone().filter(|s| !s.is_empty()),
            service_object: self.object.clone().filter(|s| !s.is_empty()),
            life_event: self.event.clone().filter(|s| !s.is_empty()),
            limit: self.limit.unwrap_or(20).clamp(1, 100),
            offset: self.offset.unwrap_or(0).min(MAX_SEARCH_OFFSET),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHitView {
    /// 实施编码
    pub code: String,
    pub name: String,
    /// Name with matched words in `<b>` (HTML-escaped).
    pub name_highlighted: String,
    /// Passage of the guide with matched words in `<b>` (HTML-escaped).
    pub snippet: String,
    pub score: f32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResponse {
    pub total: usize,
    /// The words the query was segmented into.
    pub words: Vec<String>,
    pub items: Vec<SearchHitView>,
}

/// Search published items.
#[utoipa::path(get, path = "/api/v1/items", params(SearchParams), responses((status = 200, body = SearchResponse)))]
pub async fn search_items(
    State(s): State<AppState>,
    Query(p): Query<SearchParams>,
) -> Result<Json<SearchResponse>, ApiError> {
    let r = s
        .search
        .current()
        .search(&p.to_query())
        .map_err(ApiError::internal)?;
    Ok(Json(SearchResponse {
        total: r.total,
        words: r.words,
        items: r
            .hits
            .into_iter()
            .map(|h| SearchHitView {
                code: h.code,
                name: h.name,
                name_highlighted: h.name_html,
                snippet: h.snippet_html,
                score: h.score,
            })
            .collect(),
    }))
}

/// One published item version. `doc` carries every guide element; its
/// format is the one of docs/CATALOG_FORMAT.md.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemView {
    pub id: i64,
    pub impl_code: String,
    pub version: i64,
    pub status: String,
    pub department_id: i64,
    pub department_name: String,
    pub updated_at: i64,
    pub published_at: Option<i64>,
    pub doc: ItemDoc,
}

impl From<ItemVersion> for ItemView {
    fn from(i: ItemVersion) -> Self {
        Self {
            id: i.id,
            impl_code: i.impl_code,
            version: i.version,
            status: i.status.as_str().to_string(),
            department_id: i.department_id,
            department_name: i.department_name,
            updated_at: i.updated_at,
            published_at: i.published_at,
            doc: i.doc,
        }
    }
}

/// A published item by 实施编码 (or an unambiguous 基本编码).
#[utoipa::path(get, path = "/api/v1/items/{code}", params(("code" = String, Path, description = "实施编码 or 基本编码")),
    responses((status = 200, body = ItemView), (status = 404, body = crate::http::ErrorBody)))]
pub async fn get_item(
    State(s): State<AppState>,
    lang: Lang,
    Path(code): Path<String>,
) -> Result<Json<ItemView>, ApiError> {
    let item = s
        .store
        .published_item(&code)
        .await?
        .ok_or_else(|| ApiError::not_found(&format!("item {code}")).in_lang(lang))?;
    Ok(Json(item.into()))
}

// ---------------------------------------------------------------------------
// Session

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub department_id: Option<i64>,
    /// Send this back in the `X-CSRF-Token` header of state-changing calls.
    pub csrf_token: String,
}

fn session_view(a: &Actor, csrf: &str) -> SessionView {
    SessionView {
        user_id: a.user_id,
        username: a.username.clone(),
        display_name: a.display_name.clone(),
        role: a.role.as_str().to_string(),
        department_id: a.department_id,
        csrf_token: csrf.to_string(),
    }
}

/// The signed-in user and their CSRF token.
#[utoipa::path(get, path = "/api/v1/session", responses((status = 200, body = SessionView), (status = 401, body = crate::http::ErrorBody)))]
pub async fn whoami(MaybeSession(s): MaybeSession) -> Result<Json<SessionView>, ApiError> {
    let s = s.ok_or_else(ApiError::unauthorized)?;
    Ok(Json(session_view(&s.actor, &s.csrf_token)))
}

/// Shared by the API and the login page: checks the rate limit and the password.
pub async fn authenticate(
    s: &AppState,
    client: &SocketAddr,
    username: &str,
    password: &str,
) -> Result<tongban_store::accounts::User, ApiError> {
    let key = format!("{}|{}", client.ip(), username.trim());
    let address_key = client.ip().to_string();
    if s.limiter.blocked(&key)
        || s.limiter
            .blocked_after(&address_key, crate::LOGIN_MAX_FAILURES_PER_ADDRESS)
    {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "登录失败次数过多，请5分钟后再试",
            "too many failed sign-ins; try again in 5 minutes",
        ));
    }
    match s.store.authenticate(username.trim(), password).await? {
        Some(u) => {
            s.limiter.succeeded(&key);
            Ok(u)
        }
        None => {
            s.limiter.failed(&key);
            s.limiter.failed(&address_key);
            tracing::info!(user = %tongban_domain::codes::mask(username, 1, 1), "failed sign-in");
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "bad_credentials",
                "用户名或密码错误",
                "wrong user name or password",
            ))
        }
    }
}

/// Sign in; sets the HttpOnly session cookie.
#[utoipa::path(post, path = "/api/v1/session", request_body = LoginRequest,
    responses((status = 200, body = SessionView), (status = 401, body = crate::http::ErrorBody), (status = 429, body = crate::http::ErrorBody)))]
pub async fn login(
    State(s): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    lang: Lang,
    Json(req): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    check_origin(&headers)?;
    let user = authenticate(&s, &client, &req.username, &req.password)
        .await
        .map_err(|e| e.in_lang(lang))?;
    let (token, csrf) = s.store.create_session(user.id).await?;
    let session = s
        .store
        .session(&token)
        .await?
        .ok_or_else(|| ApiError::internal("session vanished"))?;
    let mut resp = Json(session_view(&session.actor, &csrf)).into_response();
    set_cookie(
        &mut resp,
        session_cookie(
            &token,
            s.config.secure_cookies,
            tongban_store::accounts::SESSION_TTL_MS / 1000,
        ),
    );
    Ok(resp)
}

/// Sign out.
#[utoipa::path(delete, path = "/api/v1/session", responses((status = 204)))]
pub async fn logout(
    State(s): State<AppState>,
    _u: ApiUser,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(t) = crate::http::cookie(&headers, crate::http::SESSION_COOKIE) {
        s.store.delete_session(t).await?;
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    set_cookie(&mut resp, session_cookie("", s.config.secure_cookies, 0));
    Ok(resp)
}

// ---------------------------------------------------------------------------
// Catalogue administration

fn scope(i: &ItemVersion) -> Scope<'_> {
    Scope {
        centre_path: &i.centre_path,
        department_id: i.department_id,
    }
}

#[derive(Debug, Deserialize, IntoParams, Default)]
pub struct AdminListParams {
    #[serde(default, deserialize_with = "empty_as_none")]
    pub department: Option<i64>,
    /// draft, published, superseded, retired
    pub status: Option<String>,
    /// Part of the name or code.
    pub q: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminItemRow {
    #[serde(flatten)]
    pub latest: ItemView,
    /// The live version, if any.
    pub published_version: Option<i64>,
}

/// The admin list: the newest version of each item the caller may see.
pub fn admin_filter(actor: &Actor, p: &AdminListParams) -> Result<AdminFilter, ApiError> {
    actor.may_use_catalog_admin()?;
    let status = match p.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(ItemStatus::parse(s).ok_or_else(|| {
            ApiError::invalid(
                FieldError::new(
                    "status",
                    "unknown",
                    format!("未知状态{s}"),
                    format!("unknown status {s}"),
                )
                .into(),
            )
        })?),
        None => None,
    };
    Ok(AdminFilter {
        department_id: actor.department_id.or(p.department),
        centre_path: Some(actor.centre_path.clone()),
        status,
        name_contains: p.q.clone(),
    })
}

#[utoipa::path(get, path = "/api/v1/admin/items", params(AdminListParams),
    responses((status = 200, body = Vec<AdminItemRow>), (status = 401, body = crate::http::ErrorBody), (status = 403, body = crate::http::ErrorBody)))]
pub async fn admin_list_items(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Query(p): Query<AdminListParams>,
) -> Result<Json<Vec<AdminItemRow>>, ApiError> {
    let f = admin_filter(&actor, &p)?;
    let rows = s.store.admin_items(&f).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| AdminItemRow {
                published_version: r.published_version,
                latest: r.latest.into(),
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateItemRequest {
    pub department_id: i64,
    #[schema(value_type = tongban_domain::catalog::ItemDoc)]
    pub doc: serde_json::Value,
}

/// Parses an item document from JSON, reporting each problem with its path.
pub fn parse_doc(v: serde_json::Value, base: &str) -> Result<ItemDoc, ApiError> {
    serde_path_to_error::deserialize::<_, ItemDoc>(v)
        .map_err(|e| ApiError::invalid(tongban_store::transfer::path_error(base, e).into()))
}

/// Create a new item as a draft (version 1).
#[utoipa::path(post, path = "/api/v1/admin/items", request_body = CreateItemRequest,
    responses((status = 201, body = ItemView), (status = 403, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub async fn admin_create_item(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Json(req): Json<CreateItemRequest>,
) -> Result<(StatusCode, Json<ItemView>), ApiError> {
    let dept = s.store.department(req.department_id).await?;
    actor.may_manage_item(Scope {
        centre_path: &dept.centre_path,
        department_id: dept.id,
    })?;
    let doc = parse_doc(req.doc, "doc")?;
    let item = s
        .store
        .create_item(dept.id, &doc, Some(actor.user_id))
        .await?;
    Ok((StatusCode::CREATED, Json(item.into())))
}

/// Loads an item version and checks the caller may see it.
pub async fn visible_version(
    s: &AppState,
    actor: &Actor,
    id: i64,
) -> Result<ItemVersion, ApiError> {
    let item = s.store.item_version(id).await?;
    actor.may_view_catalog_admin(scope(&item))?;
    Ok(item)
}

/// Loads an item version and checks the caller may change it.
pub async fn managed_version(
    s: &AppState,
    actor: &Actor,
    id: i64,
) -> Result<ItemVersion, ApiError> {
    let item = s.store.item_version(id).await?;
    actor.may_manage_item(scope(&item))?;
    Ok(item)
}

#[utoipa::path(get, path = "/api/v1/admin/items/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = ItemView), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody)))]
pub async fn admin_get_item(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<ItemView>, ApiError> {
    Ok(Json(visible_version(&s, &actor, id).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateItemRequest {
    #[schema(value_type = tongban_domain::catalog::ItemDoc)]
    pub doc: serde_json::Value,
    /// The `updated_at` you read; a newer stored value means someone else saved first (409).
    pub updated_at: Option<i64>,
}

/// Save a draft. Published versions never change.
#[utoipa::path(put, path = "/api/v1/admin/items/{id}", params(("id" = i64, Path)), request_body = UpdateItemRequest,
    responses((status = 200, body = ItemView), (status = 409, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub async fn admin_update_item(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<UpdateItemRequest>,
) -> Result<Json<ItemView>, ApiError> {
    managed_version(&s, &actor, id).await?;
    let doc = parse_doc(req.doc, "doc")?;
    Ok(Json(
        s.store
            .update_draft_by(id, &doc, req.updated_at, Some(actor.user_id))
            .await?
            .into(),
    ))
}

#[utoipa::path(delete, path = "/api/v1/admin/items/{id}", params(("id" = i64, Path)), responses((status = 204), (status = 409, body = crate::http::ErrorBody)))]
pub async fn admin_delete_item(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    managed_version(&s, &actor, id).await?;
    s.store.delete_draft_by(id, Some(actor.user_id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Publish a draft; the previous published version is superseded.
#[utoipa::path(post, path = "/api/v1/admin/items/{id}/publish", params(("id" = i64, Path)),
    responses((status = 200, body = ItemView), (status = 403, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody)))]
pub async fn admin_publish_item(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<ItemView>, ApiError> {
    managed_version(&s, &actor, id).await?;
    let item = s.store.publish(id, Some(actor.user_id)).await?;
    s.refresh_search_now().await;
    Ok(Json(item.into()))
}

async fn latest_by_code(s: &AppState, code: &str) -> Result<ItemVersion, ApiError> {
    s.store
        .item_versions(code)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found(&format!("item {code}")))
}

#[utoipa::path(get, path = "/api/v1/admin/catalog/{code}/versions", params(("code" = String, Path, description = "实施编码")),
    responses((status = 200, body = Vec<ItemView>)))]
pub async fn admin_item_versions(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
) -> Result<Json<Vec<ItemView>>, ApiError> {
    let latest = latest_by_code(&s, &code).await?;
    actor.may_view_catalog_admin(scope(&latest))?;
    Ok(Json(
        s.store
            .item_versions(&code)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Start a new draft version from the live one.
#[utoipa::path(post, path = "/api/v1/admin/catalog/{code}/versions", params(("code" = String, Path, description = "实施编码")),
    responses((status = 201, body = ItemView), (status = 409, body = crate::http::ErrorBody)))]
pub async fn admin_new_version(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
) -> Result<(StatusCode, Json<ItemView>), ApiError> {
    let latest = latest_by_code(&s, &code).await?;
    actor.may_manage_item(scope(&latest))?;
    Ok((
        StatusCode::CREATED,
        Json(
            s.store
                .new_version(&code, Some(actor.user_id))
                .await?
                .into(),
        ),
    ))
}

/// Withdraw an item from the public catalogue.
#[utoipa::path(post, path = "/api/v1/admin/catalog/{code}/retire", params(("code" = String, Path, description = "实施编码")),
    responses((status = 200, body = ItemView), (status = 409, body = crate::http::ErrorBody)))]
pub async fn admin_retire_item(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
) -> Result<Json<ItemView>, ApiError> {
    let latest = latest_by_code(&s, &code).await?;
    actor.may_manage_item(scope(&latest))?;
    let item = s.store.retire(&code, Some(actor.user_id)).await?;
    s.refresh_search_now().await;
    Ok(Json(item.into()))
}

/// The whole catalogue as a `tongban-catalog/1` document.
#[utoipa::path(get, path = "/api/v1/admin/catalog/export", responses((status = 200, description = "tongban-catalog/1 JSON")))]
pub async fn admin_export(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Response, ApiError> {
    actor.may_use_catalog_admin()?;
    let scope = tongban_store::transfer::ExportScope {
        centre_path: Some(actor.centre_path.clone()),
        department_id: actor.department_id,
    };
    let file = s.store.export_catalog(&scope).await?;
    let body = serde_json::to_string_pretty(&file).map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"catalog.json\"",
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReportView {
    pub departments_created: usize,
    pub departments_updated: usize,
    pub items_created: usize,
    pub versions_created: usize,
    pub drafts_updated: usize,
    pub status_changed: usize,
    pub unchanged: usize,
}

impl From<ImportReport> for ImportReportView {
    fn from(r: ImportReport) -> Self {
        Self {
            departments_created: r.departments_created,
            departments_updated: r.departments_updated,
            items_created: r.items_created,
            versions_created: r.versions_created,
            drafts_updated: r.drafts_updated,
            status_changed: r.status_changed,
            unchanged: r.unchanged,
        }
    }
}

/// Import a `tongban-catalog/1` document: all or nothing; a bad file is refused
/// with the JSON path and reason of every problem.
#[utoipa::path(post, path = "/api/v1/admin/catalog/import", request_body(content = String, content_type = "application/json", description = "tongban-catalog/1 document"),
    responses((status = 200, body = ImportReportView), (status = 422, body = crate::http::ErrorBody)))]
pub async fn admin_import(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    body: String,
) -> Result<Json<ImportReportView>, ApiError> {
    actor.may_import_catalog()?;
    let report = s
        .store
        .import_catalog(actor.centre_id, &body, Some(actor.user_id))
        .await?;
    s.refresh_search_now().await;
    Ok(Json(report.into()))
}

// ---------------------------------------------------------------------------
// Departments

#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentView {
    pub id: i64,
    pub centre_id: i64,
    pub name: String,
    pub short_name: String,
    pub credit_code: String,
    pub phone: String,
    pub address: String,
}

impl From<Department> for DepartmentView {
    fn from(d: Department) -> Self {
        Self {
            id: d.id,
            centre_id: d.centre_id,
            name: d.name,
            short_name: d.short_name,
            credit_code: d.credit_code.as_str().to_string(),
            phone: d.phone,
            address: d.address,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DepartmentRequest {
    pub name: String,
    pub short_name: String,
    /// 统一社会信用代码, checked (GB 32100).
    pub credit_code: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub address: String,
}

impl DepartmentRequest {
    pub fn parse(&self) -> Result<DepartmentInput, ApiError> {
        let code = CreditCode::parse(&self.credit_code).map_err(|e| {
            ApiError::invalid(FieldErrors::single(
                e.into_field("credit_code", "统一社会信用代码"),
            ))
        })?;
        Ok(DepartmentInput {
            name: self.name.clone(),
            short_name: self.short_name.clone(),
            credit_code: code,
            phone: self.phone.clone(),
            address: self.address.clone(),
        })
    }
}

/// Departments (any staff member may list them).
#[utoipa::path(get, path = "/api/v1/admin/departments", responses((status = 200, body = Vec<DepartmentView>)))]
pub async fn admin_departments(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Vec<DepartmentView>>, ApiError> {
    if !actor.is_staff() {
        return Err(ApiError::denied(tongban_domain::auth::Denied::Role));
    }
    let all = s.store.departments().await?;
    Ok(Json(
        all.into_iter()
            .filter(|d| d.centre_path.starts_with(&actor.centre_path))
            .map(Into::into)
            .collect(),
    ))
}

/// Create a department (system admin).
#[utoipa::path(post, path = "/api/v1/admin/departments", request_body = DepartmentRequest,
    responses((status = 201, body = DepartmentView), (status = 403, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub async fn admin_create_department(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Json(req): Json<DepartmentRequest>,
) -> Result<(StatusCode, Json<DepartmentView>), ApiError> {
    actor.may_administer_system()?;
    let input = req.parse()?;
    let d = s
        .store
        .create_department_by(actor.centre_id, &input, Some(actor.user_id))
        .await?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

/// Change a department (system admin).
#[utoipa::path(put, path = "/api/v1/admin/departments/{id}", params(("id" = i64, Path)), request_body = DepartmentRequest,
    responses((status = 200, body = DepartmentView), (status = 403, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub async fn admin_update_department(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<DepartmentRequest>,
) -> Result<Json<DepartmentView>, ApiError> {
    actor.may_administer_system()?;
    let current = s.store.department(id).await?;
    if !current.centre_path.starts_with(&actor.centre_path) {
        return Err(ApiError::denied(tongban_domain::auth::Denied::Department));
    }
    let input = req.parse()?;
    Ok(Json(
        s.store
            .update_department_by(id, &input, Some(actor.user_id))
            .await?
            .into(),
    ))
}

// ---------------------------------------------------------------------------
// Guide audit

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditRunView {
    pub id: i64,
    pub trigger: String,
    pub period: String,
    pub started_at: i64,
    pub finished_at: i64,
    pub items: i64,
    pub findings: i64,
    pub opened: i64,
    pub closed: i64,
}

impl From<AuditRun> for AuditRunView {
    fn from(r: AuditRun) -> Self {
        Self {
            id: r.id,
            trigger: r.trigger,
            period: r.period,
            started_at: r.started_at,
            finished_at: r.finished_at,
            items: r.items,
            findings: r.findings,
            opened: r.opened,
            closed: r.closed,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/admin/audit/runs", responses((status = 200, body = Vec<AuditRunView>)))]
pub async fn audit_runs(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Vec<AuditRunView>>, ApiError> {
    actor.may_audit()?;
    Ok(Json(
        s.store
            .audit_runs(50)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Run the guide audit now.
#[utoipa::path(post, path = "/api/v1/admin/audit/runs", responses((status = 201, body = AuditRunView), (status = 403, body = crate::http::ErrorBody)))]
pub async fn audit_run(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<(StatusCode, Json<AuditRunView>), ApiError> {
    actor.may_audit()?;
    let run = s
        .store
        .run_audit("manual", Some(actor.user_id), s.today(), &s.calendar())
        .await?;
    Ok((StatusCode::CREATED, Json(run.into())))
}

#[derive(Debug, Deserialize, IntoParams, Default)]
pub struct FindingParams {
    /// open, fixed or verified
    pub status: Option<String>,
    /// 实施编码
    pub item: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub department: Option<i64>,
    pub rule: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FindingView {
    pub id: i64,
    pub impl_code: String,
    pub item_name: String,
    pub item_version: i64,
    pub department_id: i64,
    pub rule_id: String,
    pub severity: String,
    pub element: String,
    pub message_zh: String,
    pub message_en: String,
    pub status: String,
    pub first_seen_at: i64,
    pub last_seen_at: i64,
    pub fixed_at: Option<i64>,
    pub fixed_by: Option<i64>,
    pub fix_note: String,
    pub verified_at: Option<i64>,
    pub verified_by: Option<i64>,
    pub reopened: i64,
}

impl From<StoredFinding> for FindingView {
    fn from(f: StoredFinding) -> Self {
        Self {
            id: f.id,
            impl_code: f.impl_code,
            item_name: f.item_name,
            item_version: f.item_version,
            department_id: f.department_id,
            rule_id: f.rule_id,
            severity: f.severity.as_str().to_string(),
            element: f.element,
            message_zh: f.message_zh,
            message_en: f.message_en,
            status: f.status.as_str().to_string(),
            first_seen_at: f.first_seen_at,
            last_seen_at: f.last_seen_at,
            fixed_at: f.fixed_at,
            fixed_by: f.fixed_by,
            fix_note: f.fix_note,
            verified_at: f.verified_at,
            verified_by: f.verified_by,
            reopened: f.reopened,
        }
    }
}

pub fn finding_filter(actor: &Actor, p: &FindingParams) -> Result<FindingFilter, ApiError> {
    actor.may_audit()?;
    let status = match p.status.as_deref().filter(|s| !s.is_empty()) {
        Some(v) => Some(FindingStatus::parse(v).ok_or_else(|| {
            ApiError::invalid(
                FieldError::new(
                    "status",
                    "unknown",
                    format!("未知状态{v}"),
                    format!("unknown status {v}"),
                )
                .into(),
            )
        })?),
        None => None,
    };
    Ok(FindingFilter {
        status,
        impl_code: p.item.clone().filter(|s| !s.is_empty()),
        department_id: actor.department_id.or(p.department),
        centre_path: Some(actor.centre_path.clone()),
        rule_id: p.rule.clone().filter(|s| !s.is_empty()),
    })
}

/// Findings of the guide audit (JSON report).
#[utoipa::path(get, path = "/api/v1/admin/audit/findings", params(FindingParams), responses((status = 200, body = Vec<FindingView>)))]
pub async fn audit_findings(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Query(p): Query<FindingParams>,
) -> Result<Json<Vec<FindingView>>, ApiError> {
    let f = finding_filter(&actor, &p)?;
    Ok(Json(
        s.store
            .findings(&f)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FixRequest {
    /// What was done (整改说明).
    pub note: String,
}

/// Record a rectification (catalogue admin owning the item).
#[utoipa::path(post, path = "/api/v1/admin/audit/findings/{id}/fix", params(("id" = i64, Path)), request_body = FixRequest,
    responses((status = 200, body = FindingView), (status = 403, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody)))]
pub async fn audit_fix(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<FixRequest>,
) -> Result<Json<FindingView>, ApiError> {
    let f = s.store.finding(id).await?;
    actor.may_fix_finding(Scope {
        centre_path: &f.centre_path,
        department_id: f.department_id,
    })?;
    Ok(Json(
        s.store
            .mark_finding_fixed(id, actor.user_id, &req.note)
            .await?
            .into(),
    ))
}

/// Verify a rectification (supervisor).
#[utoipa::path(post, path = "/api/v1/admin/audit/findings/{id}/verify", params(("id" = i64, Path)),
    responses((status = 200, body = FindingView), (status = 403, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody)))]
pub async fn audit_verify(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<FindingView>, ApiError> {
    let f = s.store.finding(id).await?;
    actor.may_verify_finding(Scope {
        centre_path: &f.centre_path,
        department_id: f.department_id,
    })?;
    Ok(Json(
        s.store.verify_finding(id, actor.user_id).await?.into(),
    ))
}

/// Renders findings as CSV (UTF-8 with BOM so spreadsheet programs read Chinese).
pub fn findings_csv(findings: &[StoredFinding]) -> String {
    fn cell(s: &str) -> String {
        let needs = s.contains([',', '"', '\n', '\r']);
        let s = s.replace('"', "\"\"");
        if needs { format!("\"{s}\"") } else { s }
    }
    let mut out = String::from(
        "\u{feff}id,impl_code,item_name,version,rule_id,severity,element,status,message_zh,message_en\n",
    );
    for f in findings {
        let row = [
            f.id.to_string(),
            f.impl_code.clone(),
            f.item_name.clone(),
            f.item_version.to_string(),
            f.rule_id.clone(),
            f.severity.as_str().to_string(),
            f.element.clone(),
            f.status.as_str().to_string(),
            f.message_zh.clone(),
            f.message_en.clone(),
        ];
        out.push_str(&row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}

/// The audit report as CSV.
#[utoipa::path(get, path = "/api/v1/admin/audit/report.csv", params(FindingParams), responses((status = 200, description = "CSV", content_type = "text/csv")))]
pub async fn audit_csv(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Query(p): Query<FindingParams>,
) -> Result<Response, ApiError> {
    let f = finding_filter(&actor, &p)?;
    let findings = s.store.findings(&f).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"guide-audit.csv\"",
            ),
        ],
        findings_csv(&findings),
    )
        .into_response())
}
