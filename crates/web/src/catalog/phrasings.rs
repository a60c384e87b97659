//! Everyday phrasings for search ("生孩子" → 新生儿出生): kept by the centre's
//! catalogue admin through the API and a page; every instance rebuilds its
//! index with them (SPEC §2.4).

use crate::http::Json;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use tongban_domain::FieldError;
use tongban_domain::auth::Actor;
use tongban_store::StoreError;
use tongban_store::catalog::Phrasing;
use utoipa::ToSchema;

use crate::AppState;
use crate::chrome::{Chrome, NoticeParam, Page, notice_text, store_err};
use crate::http::{ApiError, ApiUser};

#[derive(Debug, Serialize, ToSchema)]
pub struct PhrasingView {
    pub id: i64,
    /// What people type (生孩子).
    pub everyday: String,
    /// The wording the guides use (新生儿出生).
    pub official: String,
}

impl From<Phrasing> for PhrasingView {
    fn from(p: Phrasing) -> Self {
        Self {
            id: p.id,
            everyday: p.everyday,
            official: p.official,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PhrasingRequest {
    #[schema(min_length = 1, max_length = 20)]
    pub everyday: String,
    #[schema(min_length = 1, max_length = 20)]
    pub official: String,
}

/// The everyday phrasings search widens queries with (catalogue admin).
#[utoipa::path(get, path = "/api/v1/admin/search-phrasings", tag = "catalog", security(("session" = [])),
    responses((status = 200, body = Vec<PhrasingView>), (status = 403, body = crate::http::ErrorBody)))]
pub async fn admin_phrasings(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Vec<PhrasingView>>, ApiError> {
    actor.may_manage_phrasings()?;
    Ok(Json(
        s.store
            .search_phrasings()
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Adds an everyday phrasing; search uses it at once, on every instance.
#[utoipa::path(post, path = "/api/v1/admin/search-phrasings", tag = "catalog", security(("session" = [])), request_body = PhrasingRequest,
    responses((status = 201, body = PhrasingView), (status = 403, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub async fn admin_add_phrasing(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Json(req): Json<PhrasingRequest>,
) -> Result<(StatusCode, Json<PhrasingView>), ApiError> {
    let p = s
        .store
        .add_phrasing(&actor, &req.everyday, &req.official)
        .await?;
    s.refresh_search_now().await;
    Ok((StatusCode::CREATED, Json(p.into())))
}

/// Removes an everyday phrasing.
#[utoipa::path(delete, path = "/api/v1/admin/search-phrasings/{id}", tag = "catalog", security(("session" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody)))]
pub async fn admin_remove_phrasing(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    s.store.remove_phrasing(&actor, id).await?;
    s.refresh_search_now().await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Template, WebTemplate)]
#[template(path = "catalog/admin_phrasings.html")]
struct PhrasingsPage {
    c: Chrome,
    errors: Vec<FieldError>,
    notice: String,
    rows: Vec<Phrasing>,
    everyday: String,
    official: String,
}

async fn render(
    s: &AppState,
    page: &Page,
    f: PhrasingForm,
    errors: Vec<FieldError>,
    notice: String,
) -> Result<Response, Response> {
    page.staff_who(Actor::may_manage_phrasings)?;
    let rows = s
        .store
        .search_phrasings()
        .await
        .map_err(|e| store_err(page, e))?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        PhrasingsPage {
            c: page.chrome(),
            errors,
            notice,
            rows,
            everyday: f.everyday,
            official: f.official,
        },
    )
        .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct PhrasingForm {
    csrf: String,
    everyday: String,
    official: String,
}

pub(super) async fn phrasings_page(
    State(s): State<AppState>,
    page: Page,
    Query(n): Query<NoticeParam>,
) -> Result<Response, Response> {
    let notice = notice_text(page.lang, n.notice.as_deref());
    render(&s, &page, PhrasingForm::default(), vec![], notice).await
}

pub(super) async fn phrasings_post(
    State(s): State<AppState>,
    page: Page,
    Form(f): Form<PhrasingForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    match s.store.add_phrasing(actor, &f.everyday, &f.official).await {
        Ok(_) => {
            s.refresh_search_now().await;
            Ok(Redirect::to("/admin/search-phrasings?notice=phrasing_added").into_response())
        }
        Err(StoreError::Invalid(e)) => render(&s, &page, f, e.0, String::new()).await,
        Err(StoreError::Conflict { zh, en }) => {
            let e = FieldError::new("everyday", "duplicate", zh, en);
            render(&s, &page, f, vec![e], String::new()).await
        }
        Err(e) => Err(store_err(&page, e)),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RemoveForm {
    csrf: String,
}

pub(super) async fn phrasing_remove_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<RemoveForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    s.store
        .remove_phrasing(actor, id)
        .await
        .map_err(|e| store_err(&page, e))?;
    s.refresh_search_now().await;
    Ok(Redirect::to("/admin/search-phrasings?notice=phrasing_removed").into_response())
}
