//! Decision rules of an item version (秒批) for the catalogue admin: the
//! model's readable table view with its test cases run live, upload and
//! download of the JDM JSON (API and page). Publishing refuses a model
//! that does not compile or whose tests fail (store::rules).
#![allow(clippy::result_large_err)]

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use serde::{Deserialize, Serialize};
use tongban_domain::FieldError;
use tongban_domain::catalog::{DecisionSpec, ItemStatus};
use utoipa::OpenApi;

use crate::AppState;
use crate::api::{managed_version, visible_version};
use crate::http::{ApiError, ApiUser, Lang};
use crate::pages::Page;
use crate::views::Chrome;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/admin/items/{id}/decision",
            get(api_get).put(api_put).delete(api_delete),
        )
        .route("/admin/items/{id}/rules", get(page).post(page_post))
}

/// A table for reading: name, hit policy, header, rows.
#[derive(Debug, Clone, Serialize)]
pub struct Grid {
    pub name: String,
    pub hit: String,
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RulesView {
    pub decision: Option<DecisionSpec>,
    pub tables: Vec<Grid>,
    pub tests: Vec<tongban_rules::TestResult>,
    /// Why the model does not compile, if it does not.
    pub error: String,
}

fn view(spec: Option<&DecisionSpec>) -> RulesView {
    let Some(spec) = spec else {
        return RulesView {
            decision: None,
            tables: vec![],
            tests: vec![],
            error: String::new(),
        };
    };
    match tongban_rules::Model::parse(&spec.model) {
        Ok(m) => RulesView {
            decision: Some(spec.clone()),
            tables: m
                .tables
                .iter()
                .map(|t| {
                    let (head, rows) = t.grid();
                    Grid {
                        name: t.name.clone(),
                        hit: format!("{:?}", t.hit).to_lowercase(),
                        head,
                        rows,
                    }
                })
                .collect(),
            tests: tongban_rules::run_tests(&m, &tongban_store::rules::test_cases(spec)),
            error: String::new(),
        },
        Err(e) => RulesView {
            decision: Some(spec.clone()),
            tables: vec![],
            tests: vec![],
            error: e.zh(),
        },
    }
}

/// The item version's decision model with its tables and test results.
#[utoipa::path(get, path = "/api/v1/admin/items/{id}/decision", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 403, body = crate::http::ErrorBody)))]
async fn api_get(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let item = visible_version(&s, &actor, id)
        .await
        .map_err(|e| e.in_lang(lang))?;
    Ok(Json(view(item.doc.decision.as_ref())).into_response())
}

async fn save(
    s: &AppState,
    actor: &tongban_domain::auth::Actor,
    id: i64,
    spec: Option<DecisionSpec>,
) -> Result<RulesView, ApiError> {
    let item = managed_version(s, actor, id).await?;
    if item.status != ItemStatus::Draft {
        return Err(ApiError::from(tongban_store::StoreError::conflict(
            "只能修改草稿版本的决策规则",
            "only a draft's decision rules can be changed",
        )));
    }
    if let Some(spec) = &spec
        && let Err(e) = tongban_rules::Model::parse(&spec.model)
    {
        return Err(ApiError::from(tongban_store::StoreError::Invalid(
            FieldError::new("decision.model", "invalid", e.zh(), e.to_string()).into(),
        )));
    }
    let mut doc = item.doc.clone();
    doc.decision = spec;
    let saved = s
        .store
        .update_draft_by(id, &doc, None, Some(actor.user_id))
        .await?;
    Ok(view(saved.doc.decision.as_ref()))
}

/// Uploads the decision model and test cases of a draft; answers with the
/// test results (every test must pass before the version is published).
#[utoipa::path(put, path = "/api/v1/admin/items/{id}/decision", params(("id" = i64, Path)),
    request_body = Object,
    responses((status = 200, body = Object), (status = 422, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody)))]
async fn api_put(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(spec): Json<DecisionSpec>,
) -> Result<Response, ApiError> {
    let v = save(&s, &actor, id, Some(spec))
        .await
        .map_err(|e| e.in_lang(lang))?;
    Ok(Json(v).into_response())
}

/// Removes a draft's decision model (cases then always go to a person).
#[utoipa::path(delete, path = "/api/v1/admin/items/{id}/decision", params(("id" = i64, Path)),
    responses((status = 200, body = Object)))]
async fn api_delete(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let v = save(&s, &actor, id, None)
        .await
        .map_err(|e| e.in_lang(lang))?;
    Ok(Json(v).into_response())
}

#[derive(OpenApi)]
#[openapi(paths(api_get, api_put, api_delete))]
pub struct RulesDoc;

#[derive(Template, WebTemplate)]
#[template(path = "admin_rules.html")]
struct RulesPage {
    c: Chrome,
    id: i64,
    item_name: String,
    draft: bool,
    v: RulesView,
    json: String,
    lookups: Vec<String>,
    errors: Vec<FieldError>,
}

async fn render(
    s: &AppState,
    page: &Page,
    id: i64,
    json: Option<String>,
    errors: Vec<FieldError>,
) -> Result<RulesPage, Response> {
    let (_, actor) = page.staff()?;
    let item = visible_version(s, actor, id)
        .await
        .map_err(|e| page.error(e))?;
    let v = view(item.doc.decision.as_ref());
    Ok(RulesPage {
        c: page.chrome(),
        id,
        item_name: item.doc.name.clone(),
        draft: item.status == ItemStatus::Draft,
        json: json.unwrap_or_else(|| {
            item.doc
                .decision
                .as_ref()
                .and_then(|d| serde_json::to_string_pretty(d).ok())
                .unwrap_or_default()
        }),
        lookups: item
            .doc
            .shared_data
            .iter()
            .map(|l| {
                let mut t = format!("{}（按{}查询）", l.source, l.key);
                if !l.satisfies.is_empty() {
                    t.push_str(&format!("，免交：{}", l.satisfies.join("、")));
                }
                if !l.compare.is_empty() {
                    let c: Vec<String> = l
                        .compare
                        .iter()
                        .map(|c| format!("{}↔{}", c.form_field, c.source_field))
                        .collect();
                    t.push_str(&format!("，比对：{}", c.join("、")));
                }
                t
            })
            .collect(),
        v,
        errors,
    })
}

async fn page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    Ok(render(&s, &page, id, None, vec![]).await?.into_response())
}

#[derive(Deserialize)]
struct RulesForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    spec: String,
}

async fn page_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<RulesForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    let actor = actor.clone();
    let spec: Option<DecisionSpec> = if f.spec.trim().is_empty() {
        None
    } else {
        match serde_json::from_str(&f.spec) {
            Ok(v) => Some(v),
            Err(e) => {
                let err = FieldError::new(
                    "spec",
                    "invalid_json",
                    format!("不是有效的决策规则JSON（第{}行）：{e}", e.line()),
                    format!("not a valid decision JSON (line {}): {e}", e.line()),
                );
                return Ok((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    render(&s, &page, id, Some(f.spec), vec![err]).await?,
                )
                    .into_response());
            }
        }
    };
    match save(&s, &actor, id, spec).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/items/{id}/rules")).into_response()),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let msg = e.in_lang(page.lang).message().to_string();
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render(
                    &s,
                    &page,
                    id,
                    Some(f.spec),
                    vec![FieldError::new("spec", "invalid", msg.clone(), msg)],
                )
                .await?,
            )
                .into_response())
        }
        Err(e) => Err(page.error(e)),
    }
}
