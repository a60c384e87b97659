//! The catalogue's JSON API: search and published items for everyone
//! (`/api/v1/items…`), and the administration of items — drafts, publishing,
//! versions and retiring (`/api/v1/admin/items…`, `/api/v1/admin/catalog…`).

use crate::http::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tongban_domain::FieldError;
use tongban_domain::auth::{Actor, Scope};
use tongban_domain::catalog::{ItemDoc, ItemStatus};
use tongban_search::SearchQuery;
use tongban_store::catalog::{AdminFilter, ItemVersion};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::chrome::empty_as_none;
use crate::http::{ApiError, ApiUser, item_scope, managed_version, visible_version};

/// Longest search text.
pub const SEARCH_TEXT_MAX: usize = 100;

/// Deepest result page reachable; deeper offsets are refused work, not memory.
pub const MAX_SEARCH_OFFSET: usize = 1000;

#[derive(Debug, Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Free text, segmented into Chinese words (at most 100 characters).
    #[param(max_length = 100)]
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
    /// Hits per page (1–100; default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// Hits to skip (beyond 1,000 there is nothing more to see).
    #[param(minimum = 0, maximum = 9.0e18)]
    pub offset: Option<u64>,
}

impl SearchParams {
    pub fn to_query(&self) -> SearchQuery {
        SearchQuery {
            // Longer text only costs the segmenter: the pages clamp it.
            text: self
                .q
                .as_deref()
                .unwrap_or_default()
                .chars()
                .take(SEARCH_TEXT_MAX)
                .collect(),
            department_id: self.department,
            item_type: self.item_type.clone().filter(|s| !s.is_empty()),
            service_object: self.object.clone().filter(|s| !s.is_empty()),
            life_event: self.event.clone().filter(|s| !s.is_empty()),
            limit: (self.limit.unwrap_or(20) as usize).clamp(1, 100),
            offset: usize::try_from(self.offset.unwrap_or(0))
                .unwrap_or(MAX_SEARCH_OFFSET)
                .min(MAX_SEARCH_OFFSET),
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
#[utoipa::path(get, path = "/api/v1/items", tag = "catalog", params(SearchParams), responses((status = 200, body = SearchResponse), (status = 422, body = crate::http::ErrorBody)))]
pub async fn search_items(
    State(s): State<AppState>,
    Query(p): Query<SearchParams>,
) -> Result<Json<SearchResponse>, ApiError> {
    // The API says what it takes; the search page clamps instead.
    let mut errs = tongban_domain::FieldErrors::default();
    if p.offset.is_some_and(|o| o > 9_000_000_000_000_000_000) {
        errs.push(FieldError::new(
            "offset",
            "out_of_range",
            "跳过条数超出范围",
            "offset is out of range",
        ));
    }
    if p.q
        .as_deref()
        .is_some_and(|q| q.chars().count() > SEARCH_TEXT_MAX)
    {
        errs.push(FieldError::new(
            "q",
            "too_long",
            format!("搜索内容不能超过{SEARCH_TEXT_MAX}字"),
            format!("q must be at most {SEARCH_TEXT_MAX} characters"),
        ));
    }
    if p.limit.is_some_and(|l| !(1..=100).contains(&l)) {
        errs.push(FieldError::new(
            "limit",
            "out_of_range",
            "每页条数应为1到100",
            "limit must be 1 to 100",
        ));
    }
    errs.into_result().map_err(ApiError::invalid)?;
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
#[utoipa::path(get, path = "/api/v1/items/{code}", tag = "catalog", params(("code" = String, Path, description = "实施编码 or 基本编码")),
    responses((status = 200, body = ItemView), (status = 404, body = crate::http::ErrorBody)))]
pub async fn get_item(
    State(s): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<ItemView>, ApiError> {
    let item = s
        .store
        .published_item(&code)
        .await?
        .ok_or_else(|| ApiError::not_found(&format!("item {code}")))?;
    Ok(Json(item.into()))
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct AdminListParams {
    #[serde(default, deserialize_with = "empty_as_none")]
    pub department: Option<i64>,
    /// draft, published, superseded, retired (empty: all)
    #[param(pattern = "^(|draft|published|superseded|retired)$")]
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

#[utoipa::path(get, path = "/api/v1/admin/items", tag = "catalog", security(("session" = [])), params(AdminListParams),
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
    serde_path_to_error::deserialize::<_, ItemDoc>(v).map_err(|e| {
        ApiError::invalid(tongban_store::catalog::transfer::path_error(base, e).into())
    })
}

/// Create a new item as a draft (version 1).
#[utoipa::path(post, path = "/api/v1/admin/items", tag = "catalog", security(("session" = [])), request_body = CreateItemRequest,
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

#[utoipa::path(get, path = "/api/v1/admin/items/{id}", tag = "catalog", security(("session" = [])), params(("id" = i64, Path)),
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
#[utoipa::path(put, path = "/api/v1/admin/items/{id}", tag = "catalog", security(("session" = [])), params(("id" = i64, Path)), request_body = UpdateItemRequest,
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

#[utoipa::path(delete, path = "/api/v1/admin/items/{id}", tag = "catalog", security(("session" = [])), params(("id" = i64, Path)), responses((status = 204), (status = 409, body = crate::http::ErrorBody)))]
pub async fn admin_delete_item(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    managed_version(&s, &actor, id).await?;
    s.store.delete_draft_by(id, Some(actor.user_id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PublishQuery {
    /// The draft's `updated_at` as the caller read it: publishing is refused
    /// (409) if it has changed since.
    pub updated_at: Option<i64>,
}

/// Publish a draft; the previous published version is superseded.
#[utoipa::path(post, path = "/api/v1/admin/items/{id}/publish", tag = "catalog", security(("session" = [])), params(("id" = i64, Path), PublishQuery),
    responses((status = 200, body = ItemView), (status = 403, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody)))]
pub async fn admin_publish_item(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<PublishQuery>,
) -> Result<Json<ItemView>, ApiError> {
    managed_version(&s, &actor, id).await?;
    let item = s
        .store
        .publish_reviewed(id, q.updated_at, Some(actor.user_id))
        .await?;
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

#[utoipa::path(get, path = "/api/v1/admin/catalog/{code}/versions", tag = "catalog", security(("session" = [])), params(("code" = String, Path, description = "实施编码")),
    responses((status = 200, body = Vec<ItemView>)))]
pub async fn admin_item_versions(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
) -> Result<Json<Vec<ItemView>>, ApiError> {
    let latest = latest_by_code(&s, &code).await?;
    actor.may_view_catalog_admin(item_scope(&latest))?;
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
#[utoipa::path(post, path = "/api/v1/admin/catalog/{code}/versions", tag = "catalog", security(("session" = [])), params(("code" = String, Path, description = "实施编码")),
    responses((status = 201, body = ItemView), (status = 409, body = crate::http::ErrorBody)))]
pub async fn admin_new_version(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
) -> Result<(StatusCode, Json<ItemView>), ApiError> {
    let latest = latest_by_code(&s, &code).await?;
    actor.may_manage_item(item_scope(&latest))?;
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

#[derive(Debug, Deserialize, ToSchema)]
pub struct RetireRequest {
    /// Why the item is withdrawn (required; recorded in the audit trail).
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

/// Withdraw an item from the public catalogue, for a recorded reason.
#[utoipa::path(post, path = "/api/v1/admin/catalog/{code}/retire", tag = "catalog", security(("session" = [])), params(("code" = String, Path, description = "实施编码")),
    request_body = RetireRequest,
    responses((status = 200, body = ItemView), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub async fn admin_retire_item(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
    Json(req): Json<RetireRequest>,
) -> Result<Json<ItemView>, ApiError> {
    let latest = latest_by_code(&s, &code).await?;
    actor.may_manage_item(item_scope(&latest))?;
    let item = s
        .store
        .retire(&code, &req.reason, Some(actor.user_id))
        .await?;
    s.refresh_search_now().await;
    Ok(Json(item.into()))
}
