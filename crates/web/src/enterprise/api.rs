//! The 靠前服务 API: projects (register, list, view with stage progress,
//! group an application under its stage, concierge, green channel, site
//! visits), authorizations (grant with the signed letter, list, revoke) and
//! difficulty tickets (raise, list, view, act, rate). Every check is the
//! store's: role, assignment, authorization; what a caller may not see is 404.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tongban_store::accounts::mandates::{MandateRecord, NewMandate};
use tongban_store::enterprise::{NewProject, NewVisit, Project, ProjectView};
use utoipa::ToSchema;

use crate::AppState;
use crate::http::{ApiError, ApiUser, Json};

pub(super) type Answer = Result<Response, ApiError>;

pub(super) fn json<T: Serialize>(status: StatusCode, v: &T) -> Response {
    (status, Json(serde_json::to_value(v).unwrap_or_default())).into_response()
}

/// A construction project (工程建设项目).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectDoc {
    pub id: i64,
    /// 投资项目代码.
    pub code: String,
    pub name: String,
    pub owner_name: String,
    pub owner_credit_code: String,
    pub division: String,
    /// `government` or `social`.
    pub kind: String,
    pub low_risk: bool,
    pub land_area: i64,
    pub floor_area: i64,
    /// 万元.
    pub investment: i64,
    pub planned_start: String,
    pub planned_finish: String,
    /// Working days for the whole project.
    pub target_days: i64,
    /// 重点项目 (green channel).
    pub key_project: bool,
    #[schema(required)]
    pub concierge_name: Option<String>,
}

impl From<Project> for ProjectDoc {
    fn from(p: Project) -> Self {
        ProjectDoc {
            id: p.id,
            code: p.code,
            name: p.name,
            owner_name: p.owner_name,
            owner_credit_code: p.owner_credit_code,
            division: p.division,
            kind: p.kind,
            low_risk: p.low_risk,
            land_area: p.land_area,
            floor_area: p.floor_area,
            investment: p.investment,
            planned_start: p.planned_start,
            planned_finish: p.planned_finish,
            target_days: p.target_days,
            key_project: p.key_project,
            concierge_name: p.concierge_name,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectList {
    pub projects: Vec<ProjectDoc>,
}

/// One item of a stage and its application, if any.
#[derive(Debug, Serialize, ToSchema)]
pub struct StageItemDoc {
    pub impl_code: String,
    pub name: String,
    pub department_name: String,
    /// Approved on the applicant's commitment (告知承诺制).
    pub commitment: bool,
    #[schema(required)]
    pub case_id: Option<i64>,
    #[schema(required)]
    pub case_no: Option<String>,
    #[schema(required)]
    pub state: Option<String>,
    #[schema(required)]
    pub state_zh: Option<String>,
    #[schema(required, value_type = Option<String>, format = Date)]
    pub decided_on: Option<chrono::NaiveDate>,
}

/// A stage with its days against its target.
#[derive(Debug, Serialize, ToSchema)]
pub struct StageDoc {
    /// 1–4, or 9 for the items run in parallel.
    pub stage: i64,
    pub name_zh: String,
    pub name_en: String,
    pub lead_department_name: String,
    pub target_days: u32,
    #[schema(required, value_type = Option<String>, format = Date)]
    pub started_on: Option<chrono::NaiveDate>,
    #[schema(required)]
    pub used: Option<u32>,
    pub finished: bool,
    /// `green`, `yellow` or `red`; none before the stage starts.
    #[schema(required)]
    pub warning: Option<String>,
    pub items: Vec<StageItemDoc>,
    /// The code of the stage's application form (a bundle of its items);
    /// none: the stage is applied for item by item.
    #[schema(required)]
    pub bundle: Option<String>,
    /// The stage's applications made with its form (a draft listed too; it
    /// opens to its maker and the enterprise only).
    pub applications: Vec<StageApplicationDoc>,
}

/// A stage application: one form and one set of materials for the stage's
/// items (its details: `/api/v1/bundle-cases/{bundle_case_id}`).
#[derive(Debug, Serialize, ToSchema)]
pub struct StageApplicationDoc {
    pub bundle_case_id: i64,
    pub bundle_no: String,
    pub stage: i64,
    pub submitted: bool,
    pub state_zh: String,
}

impl From<tongban_store::enterprise::StageApplication> for StageApplicationDoc {
    fn from(a: tongban_store::enterprise::StageApplication) -> Self {
        StageApplicationDoc {
            bundle_case_id: a.bundle_case_id,
            bundle_no: a.bundle_no,
            stage: a.stage,
            submitted: a.submitted,
            state_zh: a.state_zh.into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VisitDoc {
    pub id: i64,
    #[schema(value_type = String, format = Date)]
    pub visited_on: chrono::NaiveDate,
    pub visitor_name: String,
    pub participants: String,
    pub topics: String,
    pub problems: String,
    pub follow_ups: String,
}

/// A project's page: stages, total working days against the target,
/// visits, and what the enterprise must do next.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectViewDoc {
    pub project: ProjectDoc,
    pub stages: Vec<StageDoc>,
    /// Working days used, all stages together.
    pub used: u32,
    pub warning: String,
    pub visits: Vec<VisitDoc>,
    /// 联合验收, newest first.
    pub inspections: Vec<super::api_inspect::InspectionDoc>,
    pub next_zh: Vec<String>,
}

impl From<ProjectView> for ProjectViewDoc {
    fn from(v: ProjectView) -> Self {
        ProjectViewDoc {
            project: v.project.into(),
            stages: v
                .stages
                .into_iter()
                .map(|s| StageDoc {
                    stage: s.stage,
                    name_zh: s.name_zh.into(),
                    name_en: s.name_en.into(),
                    lead_department_name: s.lead_department_name,
                    target_days: s.target_days,
                    started_on: s.started_on,
                    used: s.used,
                    finished: s.finished,
                    warning: s.warning,
                    items: s
                        .items
                        .into_iter()
                        .map(|i| StageItemDoc {
                            impl_code: i.impl_code,
                            name: i.name,
                            department_name: i.department_name,
                            commitment: i.commitment,
                            case_id: i.case_id,
                            case_no: i.case_no,
                            state: i.state,
                            state_zh: i.state_zh,
                            decided_on: i.decided_on,
                        })
                        .collect(),
                    bundle: s.bundle,
                    applications: s.applications.into_iter().map(Into::into).collect(),
                })
                .collect(),
            used: v.used,
            warning: v.warning,
            visits: v
                .visits
                .into_iter()
                .map(|x| VisitDoc {
                    id: x.id,
                    visited_on: x.visited_on,
                    visitor_name: x.visitor_name,
                    participants: x.participants,
                    topics: x.topics,
                    problems: x.problems,
                    follow_ups: x.follow_ups,
                })
                .collect(),
            inspections: v.inspections.into_iter().map(Into::into).collect(),
            next_zh: v.next_zh,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ProjectRequest {
    /// 投资项目代码, either form (24 characters with hyphens).
    pub code: String,
    pub name: String,
    /// The owner enterprise's user name (a concierge registering for it).
    #[serde(default)]
    pub owner: String,
    /// Division code (行政区划代码) of the site.
    pub division: String,
    /// `government` or `social`.
    pub kind: String,
    #[serde(default)]
    pub low_risk: bool,
    pub land_area: i64,
    pub floor_area: i64,
    pub investment: i64,
    /// YYYY-MM-DD.
    pub planned_start: String,
    /// YYYY-MM-DD.
    pub planned_finish: String,
}

/// The projects the caller may see (key projects first).
#[utoipa::path(get, path = "/api/v1/projects", tag = "enterprise", security(("session" = [])),
    responses((status = 200, body = ProjectList), (status = 403, body = crate::http::ErrorBody)))]
pub(super) async fn api_projects(State(s): State<AppState>, ApiUser(actor): ApiUser) -> Answer {
    let projects = s
        .store
        .projects(&actor)
        .await?
        .into_iter()
        .map(ProjectDoc::from)
        .collect();
    Ok(json(StatusCode::OK, &ProjectList { projects }))
}

/// Registers a project: an enterprise for itself, or its concierge under
/// its authorization.
#[utoipa::path(post, path = "/api/v1/projects", tag = "enterprise", security(("session" = [])), request_body = ProjectRequest,
    responses((status = 201, body = ProjectDoc), (status = 403, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_project_create(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Json(r): Json<ProjectRequest>,
) -> Answer {
    let p = s
        .store
        .create_project(
            &actor,
            &NewProject {
                code: r.code,
                name: r.name,
                owner: r.owner,
                division: r.division,
                kind: r.kind,
                low_risk: r.low_risk,
                land_area: r.land_area,
                floor_area: r.floor_area,
                investment: r.investment,
                planned_start: r.planned_start,
                planned_finish: r.planned_finish,
            },
        )
        .await?;
    Ok(json(StatusCode::CREATED, &ProjectDoc::from(p)))
}

/// A project with its stages and progress against the targets.
#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "enterprise", security(("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ProjectViewDoc), (status = 404, body = crate::http::ErrorBody)))]
pub(super) async fn api_project(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Answer {
    Ok(json(
        StatusCode::OK,
        &ProjectViewDoc::from(s.store.project_view(&actor, id).await?),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ProjectCaseRequest {
    /// An application of the owner enterprise.
    pub case_id: i64,
}

/// Groups an application of the enterprise under the stage that holds its
/// item (the enterprise, or its concierge under an authorization covering it).
#[utoipa::path(post, path = "/api/v1/projects/{id}/cases", tag = "enterprise", security(("session" = [])), params(("id" = i64, Path)), request_body = ProjectCaseRequest,
    responses((status = 200, body = ProjectViewDoc), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_project_case(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<ProjectCaseRequest>,
) -> Answer {
    Ok(json(
        StatusCode::OK,
        &ProjectViewDoc::from(s.store.add_case_to_project(&actor, id, r.case_id).await?),
    ))
}

/// Starts the application for a stage of the project with the stage's form
/// (one form, one set of materials for all its items), in the enterprise's
/// name: the enterprise, or its concierge under an authorization covering
/// every item. Its maker starting again continues the same draft; fill it
/// in and submit it through `/api/v1/bundle-cases/{id}`.
#[utoipa::path(post, path = "/api/v1/projects/{id}/stages/{stage}/application", tag = "enterprise", security(("session" = [])), params(("id" = i64, Path), ("stage" = i64, Path, description = "1–4")),
    responses((status = 201, body = StageApplicationDoc), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_stage_application(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((id, stage)): Path<(i64, i64)>,
) -> Answer {
    let b = s.store.apply_for_stage(&actor, id, stage).await?;
    Ok(json(
        StatusCode::CREATED,
        &StageApplicationDoc {
            bundle_case_id: b.id,
            bundle_no: b.bundle_no,
            stage,
            submitted: b.submitted,
            state_zh: b.state.zh().into(),
        },
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ConciergeRequest {
    /// The concierge's user name.
    pub concierge: String,
}

/// A supervisor assigns the project its concierge (项目专员).
#[utoipa::path(post, path = "/api/v1/projects/{id}/concierge", tag = "enterprise", security(("session" = [])), params(("id" = i64, Path)), request_body = ConciergeRequest,
    responses((status = 200, body = ProjectDoc), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_project_concierge(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<ConciergeRequest>,
) -> Answer {
    Ok(json(
        StatusCode::OK,
        &ProjectDoc::from(
            s.store
                .assign_project_concierge(&actor, id, &r.concierge)
                .await?,
        ),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct KeyRequest {
    /// 重点项目: the green channel.
    pub key: bool,
}

/// A supervisor marks a project as key (the green channel) or unmarks it.
#[utoipa::path(post, path = "/api/v1/projects/{id}/key", tag = "enterprise", security(("session" = [])), params(("id" = i64, Path)), request_body = KeyRequest,
    responses((status = 200, body = ProjectDoc), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody)))]
pub(super) async fn api_project_key(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<KeyRequest>,
) -> Answer {
    Ok(json(
        StatusCode::OK,
        &ProjectDoc::from(s.store.set_key_project(&actor, id, r.key).await?),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct VisitRequest {
    /// YYYY-MM-DD, not after today.
    pub visited_on: String,
    pub participants: String,
    pub topics: String,
    #[serde(default)]
    pub problems: String,
    #[serde(default)]
    pub follow_ups: String,
}

/// The project's concierge records a site visit (定期走访).
#[utoipa::path(post, path = "/api/v1/projects/{id}/visits", tag = "enterprise", security(("session" = [])), params(("id" = i64, Path)), request_body = VisitRequest,
    responses((status = 201, body = VisitDoc), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_project_visit(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<VisitRequest>,
) -> Answer {
    let v = s
        .store
        .record_visit(
            &actor,
            id,
            &NewVisit {
                visited_on: r.visited_on,
                participants: r.participants,
                topics: r.topics,
                problems: r.problems,
                follow_ups: r.follow_ups,
            },
        )
        .await?;
    Ok(json(
        StatusCode::CREATED,
        &VisitDoc {
            id: v.id,
            visited_on: v.visited_on,
            visitor_name: v.visitor_name,
            participants: v.participants,
            topics: v.topics,
            problems: v.problems,
            follow_ups: v.follow_ups,
        },
    ))
}

/// An authorization (授权委托) as its two parties see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MandateDoc {
    pub id: i64,
    pub enterprise_name: String,
    pub concierge_name: String,
    pub scope_all: bool,
    pub items: Vec<String>,
    #[schema(value_type = String, format = Date)]
    pub valid_from: chrono::NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub valid_to: chrono::NaiveDate,
    #[schema(required, value_type = Option<String>, format = Date)]
    pub revoked_on: Option<chrono::NaiveDate>,
    pub letter_name: String,
}

impl From<MandateRecord> for MandateDoc {
    fn from(m: MandateRecord) -> Self {
        MandateDoc {
            id: m.id,
            enterprise_name: m.enterprise_name,
            concierge_name: m.concierge_name,
            scope_all: m.scope_all,
            items: m.items,
            valid_from: m.valid_from,
            valid_to: m.valid_to,
            revoked_on: m.revoked_on,
            letter_name: m.letter_name,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MandateList {
    pub mandates: Vec<MandateDoc>,
}

/// The authorizations the caller is a party to.
#[utoipa::path(get, path = "/api/v1/mandates", tag = "enterprise", security(("session" = [])),
    responses((status = 200, body = MandateList), (status = 403, body = crate::http::ErrorBody)))]
pub(super) async fn api_mandates(State(s): State<AppState>, ApiUser(actor): ApiUser) -> Answer {
    let mandates = s
        .store
        .mandates(&actor)
        .await?
        .into_iter()
        .map(MandateDoc::from)
        .collect();
    Ok(json(StatusCode::OK, &MandateList { mandates }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MandateParams {
    /// The concierge's user name.
    pub concierge: String,
    /// Every item (`true`) or only `items`.
    #[serde(default)]
    pub scope_all: bool,
    /// 实施编码 separated by commas (when not every item).
    #[serde(default)]
    pub items: String,
    /// YYYY-MM-DD.
    pub valid_from: String,
    /// YYYY-MM-DD, the last day.
    pub valid_to: String,
    /// The letter's file name.
    #[serde(default)]
    pub name: String,
}

/// An enterprise authorizes a concierge; the body is the signed letter
/// (PDF, OFD, JPEG or PNG).
#[utoipa::path(post, path = "/api/v1/mandates", tag = "enterprise", security(("session" = [])), params(MandateParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = MandateDoc), (status = 403, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_mandate_create(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Query(p): Query<MandateParams>,
    body: Bytes,
) -> Answer {
    let m = NewMandate {
        concierge: p.concierge,
        scope_all: p.scope_all,
        items: p
            .items
            .split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect(),
        valid_from: p.valid_from,
        valid_to: p.valid_to,
    };
    let rec = s
        .store
        .grant_mandate(&actor, &s.files, &m, &p.name, body.to_vec())
        .await?;
    Ok(json(StatusCode::CREATED, &MandateDoc::from(rec)))
}

/// The enterprise revokes its authorization from today on.
#[utoipa::path(post, path = "/api/v1/mandates/{id}/revoke", tag = "enterprise", security(("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = MandateDoc), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody)))]
pub(super) async fn api_mandate_revoke(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Answer {
    Ok(json(
        StatusCode::OK,
        &MandateDoc::from(s.store.revoke_mandate(&actor, id).await?),
    ))
}
