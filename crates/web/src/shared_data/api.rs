//! The decision rules' JSON API (`/api/v1/admin/items/{id}/decision`):
//! read, upload and remove a draft's model, answered with its tables and
//! test results.

use crate::http::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tongban_domain::FieldError;
use tongban_domain::catalog::{DecisionSpec, ItemStatus};
use tongban_rules::{HitPolicy, TestResult};
use utoipa::ToSchema;

use crate::AppState;
use crate::http::{ApiError, ApiUser, managed_version, visible_version};

/// How a decision table picks its rows.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TableHit {
    /// The first rule that matches.
    First,
    /// Every rule that matches.
    Collect,
}

impl From<HitPolicy> for TableHit {
    fn from(h: HitPolicy) -> Self {
        match h {
            HitPolicy::First => TableHit::First,
            HitPolicy::Collect => TableHit::Collect,
        }
    }
}

impl std::fmt::Display for TableHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TableHit::First => "first",
            TableHit::Collect => "collect",
        })
    }
}

/// A table for reading: name, hit policy, header, rows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Grid {
    pub name: String,
    pub hit: TableHit,
    /// The column headings: inputs, then outputs.
    pub head: Vec<String>,
    /// One row per rule, a cell per column.
    pub rows: Vec<Vec<String>>,
}

/// The result of one of the model's test cases.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TestResultView {
    pub name: String,
    pub passed: bool,
    /// What the model answered (its output, as the model builds it).
    #[schema(value_type = Value)]
    pub got: serde_json::Value,
    /// Why the evaluation failed, if it did.
    pub error: String,
}

impl From<TestResult> for TestResultView {
    fn from(t: TestResult) -> Self {
        let TestResult {
            name,
            passed,
            got,
            error,
        } = t;
        TestResultView {
            name,
            passed,
            got,
            error,
        }
    }
}

/// An item version's decision model with its tables and test results.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RulesView {
    /// The model and its test cases; null when the version has none.
    #[schema(required)]
    pub decision: Option<DecisionSpec>,
    pub tables: Vec<Grid>,
    pub tests: Vec<TestResultView>,
    /// Why the model does not compile, if it does not.
    pub error: String,
}

pub(super) fn view(spec: Option<&DecisionSpec>) -> RulesView {
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
                        hit: t.hit.into(),
                        head,
                        rows,
                    }
                })
                .collect(),
            tests: tongban_rules::run_tests(&m, &tongban_store::decisions::test_cases(spec))
                .into_iter()
                .map(Into::into)
                .collect(),
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
#[utoipa::path(get, path = "/api/v1/admin/items/{id}/decision", tag = "shared-data", security(("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = RulesView), (status = 403, body = crate::http::ErrorBody)))]
pub(super) async fn api_get(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let item = visible_version(&s, &actor, id).await?;
    Ok(Json(view(item.doc.decision.as_ref())).into_response())
}

pub(super) async fn save(
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
#[utoipa::path(put, path = "/api/v1/admin/items/{id}/decision", tag = "shared-data", security(("session" = [])), params(("id" = i64, Path)),
    request_body = DecisionSpec,
    responses((status = 200, body = RulesView), (status = 422, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody)))]
pub(super) async fn api_put(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(spec): Json<DecisionSpec>,
) -> Result<Response, ApiError> {
    let v = save(&s, &actor, id, Some(spec)).await?;
    Ok(Json(v).into_response())
}

/// Removes a draft's decision model (cases then always go to a person).
#[utoipa::path(delete, path = "/api/v1/admin/items/{id}/decision", tag = "shared-data", security(("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = RulesView)))]
pub(super) async fn api_delete(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let v = save(&s, &actor, id, None).await?;
    Ok(Json(v).into_response())
}
