//! The 靠前服务 API's work on tickets and around projects: difficulty
//! tickets (raise, list, view, act, rate), an enterprise's concierge, the
//! stages' configuration and the commitments' verification.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use tongban_domain::enterprise::TicketAction;
use tongban_store::enterprise::{NewTicket, Ticket, TicketEvent};
use utoipa::ToSchema;

use super::api::{Answer, json};
use crate::AppState;
use crate::http::{ApiError, ApiUser, Json};

/// A difficulty ticket (审批疑难).
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketDoc {
    pub id: i64,
    #[schema(required)]
    pub project_id: Option<i64>,
    #[schema(required)]
    pub case_id: Option<i64>,
    pub enterprise_name: String,
    /// Who raised it ("钱专员 代 某公司" for a concierge).
    pub raised_as: String,
    pub title: String,
    pub problem: String,
    pub items: Vec<String>,
    pub department_ids: Vec<i64>,
    pub department_names: Vec<String>,
    /// open, assigned, answered, resolved, reopened, closed or rejected.
    pub state: String,
    pub state_zh: String,
    pub answer: String,
    pub reason: String,
    #[schema(value_type = String, format = Date)]
    pub raised_on: chrono::NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub respond_by: chrono::NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub resolve_by: chrono::NaiveDate,
    /// 0 none, 1 the department head told, 2 the supervisor told.
    pub escalation: i64,
    pub reopened: i64,
    #[schema(required)]
    pub rating: Option<i64>,
    pub rating_comment: String,
    /// Give it back with an action.
    pub version: i64,
}

impl From<Ticket> for TicketDoc {
    fn from(t: Ticket) -> Self {
        TicketDoc {
            id: t.id,
            project_id: t.project_id,
            case_id: t.case_id,
            enterprise_name: t.enterprise_name,
            raised_as: t.raised_as,
            title: t.title,
            problem: t.problem,
            items: t.items,
            department_ids: t.department_ids,
            department_names: t.department_names,
            state: t.state,
            state_zh: t.state_zh.into(),
            answer: t.answer,
            reason: t.reason,
            raised_on: t.raised_on,
            respond_by: t.respond_by,
            resolve_by: t.resolve_by,
            escalation: t.escalation,
            reopened: t.reopened,
            rating: t.rating,
            rating_comment: t.rating_comment,
            version: t.version,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketEventDoc {
    pub at: i64,
    pub actor_label: String,
    pub kind: String,
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketWithHistory {
    pub ticket: TicketDoc,
    pub events: Vec<TicketEventDoc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketList {
    pub tickets: Vec<TicketDoc>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TicketRequest {
    #[serde(default)]
    pub project_id: Option<i64>,
    #[serde(default)]
    pub case_id: Option<i64>,
    #[serde(default)]
    pub visit_id: Option<i64>,
    pub title: String,
    pub problem: String,
    /// 实施编码 of the items concerned.
    #[serde(default)]
    pub items: Vec<String>,
    #[serde(default)]
    pub department_ids: Vec<i64>,
}

/// The tickets the caller may see (departments by deadline, supervisors
/// overdue first).
#[utoipa::path(get, path = "/api/v1/tickets", tag = "enterprise", security(("session" = [])),
    responses((status = 200, body = TicketList), (status = 403, body = crate::http::ErrorBody)))]
pub(super) async fn api_tickets(State(s): State<AppState>, ApiUser(actor): ApiUser) -> Answer {
    let tickets = s
        .store
        .tickets(&actor)
        .await?
        .into_iter()
        .map(TicketDoc::from)
        .collect();
    Ok(json(StatusCode::OK, &TicketList { tickets }))
}

/// Raises a ticket on a project or an application (the enterprise, or its
/// concierge under its authorization).
#[utoipa::path(post, path = "/api/v1/tickets", tag = "enterprise", security(("session" = [])), request_body = TicketRequest,
    responses((status = 201, body = TicketDoc), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_ticket_create(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Json(r): Json<TicketRequest>,
) -> Answer {
    let t = s
        .store
        .raise_ticket(
            &actor,
            &NewTicket {
                project_id: r.project_id,
                case_id: r.case_id,
                visit_id: r.visit_id,
                title: r.title,
                problem: r.problem,
                items: r.items,
                department_ids: r.department_ids,
            },
            &s.calendar(),
            s.today(),
        )
        .await?;
    Ok(json(StatusCode::CREATED, &TicketDoc::from(t)))
}

/// A ticket with its history.
#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "enterprise", security(("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = TicketWithHistory), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody)))]
pub(super) async fn api_ticket(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> Answer {
    let (t, events) = s.store.ticket(&actor, id).await?;
    Ok(json(
        StatusCode::OK,
        &TicketWithHistory {
            ticket: t.into(),
            events: events
                .into_iter()
                .map(|e: TicketEvent| TicketEventDoc {
                    at: e.at,
                    actor_label: e.actor_label,
                    kind: e.kind,
                    note: e.note,
                })
                .collect(),
        },
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TicketActionRequest {
    /// assign, answer, reject (a routed department), resolve, reopen,
    /// close (the raiser; close also a supervisor).
    pub action: String,
    /// The answer, the reason, or why it is reopened.
    #[serde(default)]
    pub note: String,
    /// The version read.
    pub version: i64,
}

/// Moves a ticket.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/actions", tag = "enterprise", security(("session" = [])), params(("id" = i64, Path)), request_body = TicketActionRequest,
    responses((status = 200, body = TicketDoc), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_ticket_action(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<TicketActionRequest>,
) -> Answer {
    let Some(action) = TicketAction::parse(&r.action) else {
        return Err(ApiError::invalid(
            tongban_domain::FieldError::new(
                "action",
                "invalid",
                "操作应为assign、answer、reject、resolve、reopen或close",
                "action must be assign, answer, reject, resolve, reopen or close",
            )
            .into(),
        ));
    };
    Ok(json(
        StatusCode::OK,
        &TicketDoc::from(
            s.store
                .act_on_ticket(&actor, id, action, &r.note, r.version)
                .await?,
        ),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TicketRatingRequest {
    /// 1 (非常不满意) to 5 (非常满意).
    pub level: i64,
    /// Required for 1 and 2.
    #[serde(default)]
    pub comment: String,
}

/// The raiser rates a resolved ticket, once.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/rating", tag = "enterprise", security(("session" = [])), params(("id" = i64, Path)), request_body = TicketRatingRequest,
    responses((status = 200, body = TicketDoc), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_ticket_rating(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<TicketRatingRequest>,
) -> Answer {
    Ok(json(
        StatusCode::OK,
        &TicketDoc::from(s.store.rate_ticket(&actor, id, r.level, &r.comment).await?),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EnterpriseConciergeRequest {
    /// The enterprise account's user name.
    pub enterprise: String,
    /// The concierge's user name.
    pub concierge: String,
}

/// A supervisor assigns an enterprise its concierge (一对一); a later
/// assignment replaces the earlier one. The concierge then sees the
/// enterprise's projects, applications and tickets.
#[utoipa::path(post, path = "/api/v1/enterprise-concierges", tag = "enterprise", security(("session" = [])), request_body = EnterpriseConciergeRequest,
    responses((status = 204, description = "assigned"), (status = 403, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_enterprise_concierge(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Json(r): Json<EnterpriseConciergeRequest>,
) -> Answer {
    s.store
        .assign_enterprise_concierge(&actor, &r.enterprise, &r.concierge)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// One stage of a kind of project: its lead department, items and target.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StageConfigDoc {
    /// 1–4, or 9 for the items run in parallel.
    pub stage: i64,
    pub lead_department_id: i64,
    #[schema(value_type = u32, minimum = 1, maximum = 120)]
    pub target_days: tongban_domain::catalog::DayCount,
    /// 实施编码 of the stage's items (each in one stage of the kind).
    pub items: Vec<String>,
    /// Items approved on the applicant's commitment (告知承诺制).
    #[serde(default)]
    pub commitment_items: Vec<String>,
    /// The code of the stage's application form: a published bundle
    /// (一件事) of the centre without questions holding only the stage's
    /// items. Without it the stage is applied for item by item.
    #[serde(default)]
    pub bundle: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StageConfigList {
    pub stages: Vec<StageConfigDoc>,
}

fn kind_ok(kind: &str) -> Result<(), ApiError> {
    if matches!(kind, "government" | "social" | "low_risk") {
        Ok(())
    } else {
        Err(ApiError::not_found(kind))
    }
}

/// The stages of a kind of project (`government`, `social`, `low_risk`) at
/// the caller's centre: its catalogue admins and supervisors.
#[utoipa::path(get, path = "/api/v1/admin/project-stages/{kind}", tag = "enterprise", security(("session" = [])), params(("kind" = String, Path)),
    responses((status = 200, body = StageConfigList), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody)))]
pub(super) async fn api_stage_config(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(kind): Path<String>,
) -> Answer {
    if !matches!(
        actor.role,
        tongban_domain::auth::Role::CatalogAdmin | tongban_domain::auth::Role::Supervisor
    ) {
        return Err(tongban_domain::auth::Denied::Role.into());
    }
    kind_ok(&kind)?;
    let stages = s
        .store
        .stage_config(actor.centre_id, &kind)
        .await?
        .into_iter()
        .map(|c| StageConfigDoc {
            stage: c.stage,
            lead_department_id: c.lead_department_id,
            target_days: c.target_days,
            items: c.items,
            commitment_items: c.commitment_items,
            bundle: c.bundle,
        })
        .collect();
    Ok(json(StatusCode::OK, &StageConfigList { stages }))
}

/// Sets one stage of a kind of project at the caller's centre (its
/// centre-level catalogue admin).
#[utoipa::path(put, path = "/api/v1/admin/project-stages/{kind}", tag = "enterprise", security(("session" = [])), params(("kind" = String, Path)), request_body = StageConfigDoc,
    responses((status = 204, description = "set"), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_stage_config_put(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(kind): Path<String>,
    Json(r): Json<StageConfigDoc>,
) -> Answer {
    kind_ok(&kind)?;
    s.store
        .put_stage_config(
            &actor,
            &tongban_store::enterprise::StageConfig {
                kind,
                stage: r.stage,
                lead_department_id: r.lead_department_id,
                target_days: r.target_days,
                items: r.items,
                commitment_items: r.commitment_items,
                bundle: r.bundle,
            },
        )
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// An approval on commitment (告知承诺制) and its verification.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommitmentDoc {
    pub id: i64,
    pub case_id: i64,
    pub case_no: String,
    pub item_name: String,
    pub project_id: i64,
    pub project_name: String,
    pub department_id: i64,
    #[schema(value_type = String, format = Date)]
    pub verify_due: chrono::NaiveDate,
    /// `pending`, `verified` or `failed` (the approval revoked).
    pub state: String,
    pub note: String,
}

impl From<tongban_store::enterprise::Commitment> for CommitmentDoc {
    fn from(c: tongban_store::enterprise::Commitment) -> Self {
        CommitmentDoc {
            id: c.id,
            case_id: c.case_id,
            case_no: c.case_no,
            item_name: c.item_name,
            project_id: c.project_id,
            project_name: c.project_name,
            department_id: c.department_id,
            verify_due: c.verify_due,
            state: c.state,
            note: c.note,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommitmentList {
    pub commitments: Vec<CommitmentDoc>,
}

/// The commitments the caller may see (a department: its own, pending first).
#[utoipa::path(get, path = "/api/v1/commitments", tag = "enterprise", security(("session" = [])),
    responses((status = 200, body = CommitmentList), (status = 403, body = crate::http::ErrorBody)))]
pub(super) async fn api_commitments(State(s): State<AppState>, ApiUser(actor): ApiUser) -> Answer {
    let commitments = s
        .store
        .commitments(&actor)
        .await?
        .into_iter()
        .map(CommitmentDoc::from)
        .collect();
    Ok(json(StatusCode::OK, &CommitmentList { commitments }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct VerifyRequest {
    /// The commitment held (true), or was found untrue (false: the
    /// approval is revoked).
    pub passed: bool,
    /// What was verified; required when untrue.
    #[serde(default)]
    pub note: String,
}

/// The department records its verification of a commitment.
#[utoipa::path(post, path = "/api/v1/commitments/{id}/verify", tag = "enterprise", security(("session" = [])), params(("id" = i64, Path)), request_body = VerifyRequest,
    responses((status = 200, body = CommitmentDoc), (status = 403, body = crate::http::ErrorBody), (status = 404, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_commitment_verify(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<VerifyRequest>,
) -> Answer {
    let c = s
        .store
        .verify_commitment(&actor, id, r.passed, &r.note, s.today())
        .await?;
    Ok(json(StatusCode::OK, &CommitmentDoc::from(c)))
}
