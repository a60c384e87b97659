//! The guide audit's JSON API under `/api/v1/admin/audit…`: runs, findings,
//! rectification and verification, and the report as CSV.

use crate::http::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tongban_domain::FieldError;
use tongban_domain::auth::{Actor, Scope};
use tongban_domain::export::csv_row;
use tongban_store::guide_audit::{AuditRun, FindingFilter, FindingStatus, StoredFinding};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::chrome::empty_as_none;
use crate::http::{ApiError, ApiUser};

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

#[utoipa::path(get, path = "/api/v1/admin/audit/runs", tag = "guide-audit", security(("session" = [])), responses((status = 200, body = Vec<AuditRunView>)))]
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
#[utoipa::path(post, path = "/api/v1/admin/audit/runs", tag = "guide-audit", security(("session" = [])), responses((status = 201, body = AuditRunView), (status = 403, body = crate::http::ErrorBody)))]
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
#[into_params(parameter_in = Query)]
pub struct FindingParams {
    /// open, fixed or verified (empty: all)
    #[param(pattern = "^(|open|fixed|verified)$")]
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
#[utoipa::path(get, path = "/api/v1/admin/audit/findings", tag = "guide-audit", security(("session" = [])), params(FindingParams), responses((status = 200, body = Vec<FindingView>)))]
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
#[utoipa::path(post, path = "/api/v1/admin/audit/findings/{id}/fix", tag = "guide-audit", security(("session" = [])), params(("id" = i64, Path)), request_body = FixRequest,
    responses((status = 200, body = FindingView), (status = 403, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody)))]
pub async fn audit_fix(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<FixRequest>,
) -> Result<Json<FindingView>, ApiError> {
    let f = s.store.finding(id).await?;
    outside_is_missing(&actor, id, &f.centre_path)?;
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

/// A finding the actor may verify or send back: one of their centre (else
/// 404), as a supervisor (else 403).
pub(super) async fn may_verify(
    s: &AppState,
    actor: &tongban_domain::auth::Actor,
    id: i64,
) -> Result<(), ApiError> {
    let f = s.store.finding(id).await?;
    outside_is_missing(actor, id, &f.centre_path)?;
    actor.may_verify_finding(Scope {
        centre_path: &f.centre_path,
        department_id: f.department_id,
    })?;
    Ok(())
}

/// Verify a rectification (supervisor).
#[utoipa::path(post, path = "/api/v1/admin/audit/findings/{id}/verify", tag = "guide-audit", security(("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = FindingView), (status = 403, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody)))]
pub async fn audit_verify(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<FindingView>, ApiError> {
    may_verify(&s, &actor, id).await?;
    Ok(Json(
        s.store.verify_finding(id, actor.user_id).await?.into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SendBackRequest {
    /// Why the rectification is not accepted (退回理由).
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

/// Send a rectification back to the owner (supervisor): fixed → open.
#[utoipa::path(post, path = "/api/v1/admin/audit/findings/{id}/send-back", tag = "guide-audit", security(("session" = [])), params(("id" = i64, Path)), request_body = SendBackRequest,
    responses((status = 200, body = FindingView), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub async fn audit_send_back(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<SendBackRequest>,
) -> Result<Json<FindingView>, ApiError> {
    may_verify(&s, &actor, id).await?;
    Ok(Json(
        s.store
            .send_back_finding(id, actor.user_id, &req.reason)
            .await?
            .into(),
    ))
}

/// Renders findings as CSV (UTF-8 with BOM so spreadsheet programs read
/// Chinese), every cell neutralised against formula injection.
pub fn findings_csv(findings: &[StoredFinding]) -> String {
    let mut out = String::from("\u{feff}");
    out.push_str(&csv_row(&[
        "id",
        "impl_code",
        "item_name",
        "version",
        "rule_id",
        "severity",
        "element",
        "status",
        "message_zh",
        "message_en",
    ]));
    for f in findings {
        out.push_str(&csv_row(&[
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
        ]));
    }
    out
}

/// The audit report as CSV.
#[utoipa::path(get, path = "/api/v1/admin/audit/report.csv", tag = "guide-audit", security(("session" = [])), params(FindingParams), responses((status = 200, description = "CSV", content_type = "text/csv")))]
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

/// A finding of another centre does not exist for the caller (404, as a
/// missing id); one of their own centre they may not act on is 403.
pub(super) fn outside_is_missing(
    actor: &tongban_domain::auth::Actor,
    id: i64,
    centre_path: &str,
) -> Result<(), ApiError> {
    if centre_path.starts_with(&actor.centre_path) {
        Ok(())
    } else {
        Err(ApiError::not_found(&format!("finding {id}")))
    }
}
