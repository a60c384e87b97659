//! The 靠前服务 pages of tickets and commitments: raise a difficulty ticket,
//! the lists, one ticket with the actions the viewer may take, and the
//! departments' verification of approvals on commitment.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tongban_domain::FieldError;
use tongban_domain::auth::{Actor, Role};
use tongban_domain::enterprise::{TicketAction, TicketState};
use tongban_store::StoreError;
use tongban_store::enterprise::{NewTicket, Project, Ticket, TicketEvent};

use super::pages::{at_field, enterprise, may_open, redirect, refused_at, status};
use crate::AppState;
use crate::chrome::{Chrome, Page, fmt_time, posted, store_err};

struct TicketRow {
    t: Ticket,
    overdue: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "enterprise/tickets.html")]
struct TicketsPage {
    c: Chrome,
    rows: Vec<TicketRow>,
    may_raise: bool,
    projects: Vec<Project>,
    form: TicketForm,
    errors: Vec<FieldError>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct TicketForm {
    csrf: String,
    project_id: String,
    /// A problem found on a site visit becomes a ticket.
    visit_id: String,
    title: String,
    problem: String,
    items: String,
}

async fn tickets_view(
    s: &AppState,
    page: &Page,
    actor: &Actor,
    form: TicketForm,
    errors: Vec<FieldError>,
) -> Result<Response, Response> {
    let today = s.today();
    let rows = s
        .store
        .tickets(actor)
        .await
        .map_err(|e| store_err(page, e))?
        .into_iter()
        .map(|t| TicketRow {
            overdue: TicketState::parse(&t.state).is_some_and(|st| {
                !st.is_final()
                    && today
                        > if st.awaits_answer() {
                            t.respond_by
                        } else {
                            t.resolve_by
                        }
            }),
            t,
        })
        .collect();
    let may_raise = actor.role == Role::Concierge || enterprise(s, page, actor).await?;
    let projects = if may_raise {
        s.store
            .projects(actor)
            .await
            .map_err(|e| store_err(page, e))?
    } else {
        Vec::new()
    };
    Ok((
        status(&errors),
        TicketsPage {
            c: page.chrome(),
            rows,
            may_raise,
            projects,
            form,
            errors,
        },
    )
        .into_response())
}

pub(super) async fn tickets_page(
    State(s): State<AppState>,
    page: Page,
    Query(q): Query<TicketPrefill>,
) -> Result<Response, Response> {
    let actor = may_open(&page)?;
    if actor.role == Role::Clerk {
        return Err(page.error(tongban_domain::auth::Denied::Role.into()));
    }
    // From a project's page, or a problem found on one of its site visits.
    let form = TicketForm {
        project_id: q.project_id.map(|p| p.to_string()).unwrap_or_default(),
        visit_id: q.visit_id.map(|v| v.to_string()).unwrap_or_default(),
        ..Default::default()
    };
    tickets_view(&s, &page, &actor, form, vec![]).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct TicketPrefill {
    #[serde(deserialize_with = "crate::chrome::empty_as_none")]
    project_id: Option<i64>,
    #[serde(deserialize_with = "crate::chrome::empty_as_none")]
    visit_id: Option<i64>,
}

pub(super) async fn ticket_create_post(
    State(s): State<AppState>,
    page: Page,
    Form(f): Form<TicketForm>,
) -> Result<Response, Response> {
    let actor = posted(&page, &f.csrf)?;
    let t = NewTicket {
        project_id: f.project_id.trim().parse().ok(),
        visit_id: f.visit_id.trim().parse().ok(),
        title: f.title.clone(),
        problem: f.problem.clone(),
        items: f
            .items
            .split([',', '，', '\n', ' '])
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect(),
        ..Default::default()
    };
    match s
        .store
        .raise_ticket(&actor, &t, &s.calendar(), s.today())
        .await
    {
        Ok(t) => Ok(redirect(format!("/tickets/{}", t.id))),
        Err(StoreError::Invalid(e)) => {
            tickets_view(&s, &page, &actor, f, at_field(e.0, "project_id")).await
        }
        Err(e) => Err(store_err(&page, e)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "enterprise/ticket.html")]
struct TicketPage {
    c: Chrome,
    t: Ticket,
    events: Vec<(String, String, String, String)>,
    /// The actions the viewer may take now: (action, label).
    actions: Vec<(&'static str, String)>,
    may_rate: bool,
    escalation: String,
    errors: Vec<FieldError>,
}

fn event_zh(page: &Page, kind: &str) -> String {
    match kind {
        "raised" => page.t("提出诉求", "Raised"),
        "escalated" => page.t("逾期督办", "Escalated"),
        "rated" => page.t("评价", "Rated"),
        k => TicketAction::parse(k)
            .map(|a| {
                if page.lang == crate::http::Lang::En {
                    a.en().to_string()
                } else {
                    a.zh().to_string()
                }
            })
            .unwrap_or_else(|| k.to_string()),
    }
}

async fn ticket_view(
    s: &AppState,
    page: &Page,
    actor: &Actor,
    id: i64,
    errors: Vec<FieldError>,
) -> Result<Response, Response> {
    let (t, events) = s
        .store
        .ticket(actor, id)
        .await
        .map_err(|e| store_err(page, e))?;
    let state = TicketState::parse(&t.state).unwrap_or(TicketState::Closed);
    let limit = s
        .store
        .centre_profile(t.centre_id)
        .await
        .map_err(|e| store_err(page, e))?
        .enterprise
        .reopen_limit
        .get();
    let reopened = u32::try_from(t.reopened).unwrap_or(u32::MAX);
    let of_dept = matches!(actor.role, Role::Reviewer | Role::Head)
        && actor
            .department_id
            .is_some_and(|d| t.department_ids.contains(&d));
    let raiser = (actor.role == Role::Applicant && actor.user_id == t.enterprise_user_id)
        || actor.role == Role::Concierge;
    let mut actions = Vec::new();
    let all = [
        (TicketAction::Assign, of_dept),
        (TicketAction::Answer, of_dept),
        (TicketAction::Reject, of_dept),
        (TicketAction::Resolve, raiser),
        (TicketAction::Reopen, raiser),
        (
            TicketAction::Close,
            raiser || actor.role == Role::Supervisor,
        ),
    ];
    for (a, may) in all {
        if may && tongban_domain::enterprise::ticket::next_state(state, a, reopened, limit).is_ok()
        {
            actions.push((
                a.as_str(),
                if page.lang == crate::http::Lang::En {
                    a.en().to_string()
                } else {
                    a.zh().to_string()
                },
            ));
        }
    }
    let events = events
        .into_iter()
        .map(|e: TicketEvent| {
            (
                fmt_time(e.at),
                e.actor_label,
                event_zh(page, &e.kind),
                e.note,
            )
        })
        .collect();
    let escalation = match t.escalation {
        1 => page.t("已提醒部门负责人", "Escalated to the department head"),
        2 => page.t("已上报效能督查", "Escalated to the supervisor"),
        _ => String::new(),
    };
    Ok((
        status(&errors),
        TicketPage {
            c: page.chrome(),
            may_rate: raiser
                && t.rating.is_none()
                && matches!(state, TicketState::Resolved | TicketState::Closed),
            t,
            events,
            actions,
            escalation,
            errors,
        },
    )
        .into_response())
}

pub(super) async fn ticket_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let actor = may_open(&page)?;
    ticket_view(&s, &page, &actor, id, vec![]).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ActForm {
    csrf: String,
    action: String,
    note: String,
    version: i64,
    level: String,
    comment: String,
}

pub(super) async fn ticket_action_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<ActForm>,
) -> Result<Response, Response> {
    let actor = posted(&page, &f.csrf)?;
    let Some(action) = TicketAction::parse(&f.action) else {
        return Err(page.error(crate::http::ApiError::bad_request(
            "未知的操作",
            "unknown action",
        )));
    };
    match s
        .store
        .act_on_ticket(&actor, id, action, &f.note, f.version)
        .await
    {
        Ok(_) => Ok(redirect(format!("/tickets/{id}"))),
        Err(StoreError::Invalid(e)) => {
            ticket_view(&s, &page, &actor, id, at_field(e.0, "note")).await
        }
        Err(e) => Err(store_err(&page, e)),
    }
}

pub(super) async fn ticket_rating_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<ActForm>,
) -> Result<Response, Response> {
    let actor = posted(&page, &f.csrf)?;
    let level = f.level.trim().parse().unwrap_or(0);
    match s.store.rate_ticket(&actor, id, level, &f.comment).await {
        Ok(_) => Ok(redirect(format!("/tickets/{id}"))),
        Err(StoreError::Invalid(e)) => {
            ticket_view(&s, &page, &actor, id, at_field(e.0, "comment")).await
        }
        Err(e) => Err(store_err(&page, e)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "enterprise/commitments.html")]
struct CommitmentsPage {
    c: Chrome,
    rows: Vec<tongban_store::enterprise::Commitment>,
    /// The department that verifies (its reviewers and heads).
    verifier: bool,
    today: chrono::NaiveDate,
    errors: Vec<FieldError>,
}

async fn commitments_view(
    s: &AppState,
    page: &Page,
    actor: &Actor,
    errors: Vec<FieldError>,
) -> Result<Response, Response> {
    let rows = s
        .store
        .commitments(actor)
        .await
        .map_err(|e| store_err(page, e))?;
    Ok((
        status(&errors),
        CommitmentsPage {
            c: page.chrome(),
            rows,
            verifier: matches!(actor.role, Role::Reviewer | Role::Head),
            today: s.today(),
            errors,
        },
    )
        .into_response())
}

pub(super) async fn commitments_page(
    State(s): State<AppState>,
    page: Page,
) -> Result<Response, Response> {
    let actor = may_open(&page)?;
    if actor.role == Role::Clerk {
        return Err(page.error(tongban_domain::auth::Denied::Role.into()));
    }
    commitments_view(&s, &page, &actor, vec![]).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct VerifyForm {
    csrf: String,
    passed: String,
    note: String,
}

pub(super) async fn commitment_verify_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<VerifyForm>,
) -> Result<Response, Response> {
    let actor = posted(&page, &f.csrf)?;
    match s
        .store
        .verify_commitment(&actor, id, f.passed == "true", &f.note, s.today())
        .await
    {
        Ok(_) => Ok(redirect("/commitments".into())),
        Err(StoreError::Invalid(e)) => {
            commitments_view(&s, &page, &actor, at_field(e.0, "note")).await
        }
        Err(e) => Err(store_err(&page, e)),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct InspectionForm {
    csrf: String,
    inspect_on: String,
    inspect_at: String,
    place: String,
    passed: String,
    note: String,
    project_id: i64,
    /// Extra inspecting departments, by id.
    departments: String,
}

/// 联合验收: the completion stage's lead department schedules the joint
/// inspection from the project's page.
pub(super) async fn inspection_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<InspectionForm>,
) -> Result<Response, Response> {
    let actor = posted(&page, &f.csrf)?;
    let n = tongban_store::enterprise::NewInspection {
        inspect_on: f.inspect_on,
        inspect_at: f.inspect_at,
        place: f.place,
        departments: f
            .departments
            .split(',')
            .filter_map(|d| d.trim().parse().ok())
            .collect(),
    };
    match s.store.schedule_inspection(&actor, id, &n, s.today()).await {
        Ok(_) => Ok(redirect(format!("/projects/{id}#inspections"))),
        Err(e) => {
            // The form's fields; a conflict at the section.
            let errs = refused_at(e, |f| match f {
                "" => "inspections".into(),
                f if f.starts_with("departments") => "departments".into(),
                f => f.into(),
            })
            .map_err(|e| store_err(&page, e))?;
            super::pages::project_view(&s, &page, &actor, id, errs).await
        }
    }
}

/// An inspecting department records its finding from the project's page.
pub(super) async fn finding_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<InspectionForm>,
) -> Result<Response, Response> {
    let actor = posted(&page, &f.csrf)?;
    let passed = match f.passed.as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    };
    let field = format!("finding-{id}");
    let r = match passed {
        Some(p) => {
            s.store
                .record_inspection_finding(&actor, id, p, &f.note, s.today())
                .await
        }
        None => Err(StoreError::Invalid(
            FieldError::new(
                field.clone(),
                "required",
                "请选择验收意见：合格或不合格",
                "choose the finding: passed or not",
            )
            .into(),
        )),
    };
    match r {
        Ok(i) => Ok(redirect(format!("/projects/{}#inspections", i.project_id))),
        Err(e) => {
            // The note at its box, a conflict at the section, the rest at
            // the choice.
            let errs = refused_at(e, |f| match f {
                "note" => format!("note-{id}"),
                "" => "inspections".into(),
                _ => field.clone(),
            })
            .map_err(|e| store_err(&page, e))?;
            super::pages::project_view(&s, &page, &actor, f.project_id, errs).await
        }
    }
}
