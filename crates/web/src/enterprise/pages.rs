//! The 靠前服务 pages: projects (list, register, a project's stages against
//! their targets, its visits, the supervisor's and the concierge's forms),
//! authorizations (an enterprise grants one with the signed letter and
//! revokes it; a concierge sees theirs) and difficulty tickets (raise, the
//! lists, one ticket with the actions the viewer may take).

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_domain::FieldError;
use tongban_domain::auth::{Actor, Role};
use tongban_store::StoreError;
use tongban_store::accounts::mandates::{MandateRecord, NewMandate};
use tongban_store::enterprise::{NewProject, NewVisit, Project, ProjectView, Ticket};

use crate::AppState;
use crate::chrome::{Chrome, Page, form_value, posted, read_upload, signed_in, store_err};

pub(super) fn status(errors: &[FieldError]) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// Errors shown at `field` when the store names the authorization
/// (`mandate`), which has no field of its own on these forms.
/// A list's entry (`items[2]`) is shown at the list's one field.
pub(super) fn at_field(mut errs: Vec<FieldError>, field: &str) -> Vec<FieldError> {
    for e in &mut errs {
        if e.field == "mandate" {
            e.field = field.into();
        }
        if let Some(i) = e.field.find('[') {
            e.field.truncate(i);
        }
        if e.field == "department_ids" {
            e.field = "items".into();
        }
    }
    errs
}

/// A refusal to show on the page, each message at the field `at` gives
/// for the store's field (a conflict has none: `at("")`); anything else is
/// no refusal and goes back as it is.
pub(super) fn refused_at(
    e: StoreError,
    at: impl Fn(&str) -> String,
) -> Result<Vec<FieldError>, StoreError> {
    match e {
        StoreError::Invalid(e) => Ok(e
            .0
            .into_iter()
            .map(|mut x| {
                x.field = at(&x.field);
                x
            })
            .collect()),
        StoreError::Conflict { zh, en } => Ok(vec![FieldError::new(at(""), "conflict", zh, en)]),
        e => Err(e),
    }
}

pub(super) fn redirect(to: String) -> Response {
    Redirect::to(&to).into_response()
}

/// Whether the signed-in applicant is an enterprise (a citizen has no
/// projects, authorizations or tickets to give).
pub(super) async fn enterprise(s: &AppState, page: &Page, actor: &Actor) -> Result<bool, Response> {
    if actor.role != Role::Applicant {
        return Ok(false);
    }
    s.store
        .is_enterprise_account(actor.user_id)
        .await
        .map_err(|e| store_err(page, e))
}

/// Who may open the 靠前服务 pages at all.
pub(super) fn may_open(page: &Page) -> Result<Actor, Response> {
    let a = signed_in(page)?.clone();
    match a.role {
        Role::Applicant
        | Role::Concierge
        | Role::Clerk
        | Role::Reviewer
        | Role::Head
        | Role::Supervisor => Ok(a),
        _ => Err(page.error(tongban_domain::auth::Denied::Role.into())),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "enterprise/projects.html")]
struct ProjectsPage {
    c: Chrome,
    projects: Vec<Project>,
    may_register: bool,
    concierge: bool,
    supervisor: bool,
    form: ProjectForm,
    errors: Vec<FieldError>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ProjectForm {
    csrf: String,
    code: String,
    name: String,
    owner: String,
    division: String,
    kind: String,
    low_risk: String,
    land_area: String,
    floor_area: String,
    investment: String,
    planned_start: String,
    planned_finish: String,
}

async fn projects_view(
    s: &AppState,
    page: &Page,
    actor: &Actor,
    form: ProjectForm,
    errors: Vec<FieldError>,
) -> Result<Response, Response> {
    let projects = s
        .store
        .projects(actor)
        .await
        .map_err(|e| store_err(page, e))?;
    Ok((
        status(&errors),
        ProjectsPage {
            c: page.chrome(),
            projects,
            may_register: actor.role == Role::Concierge || enterprise(s, page, actor).await?,
            concierge: actor.role == Role::Concierge,
            supervisor: actor.role == Role::Supervisor,
            form,
            errors,
        },
    )
        .into_response())
}

pub(super) async fn projects_page(
    State(s): State<AppState>,
    page: Page,
) -> Result<Response, Response> {
    let actor = may_open(&page)?;
    projects_view(
        &s,
        &page,
        &actor,
        ProjectForm {
            division: "339901".into(),
            kind: "social".into(),
            ..Default::default()
        },
        vec![],
    )
    .await
}

/// A number field of a form: empty or not a number reads as -1, which
/// the store refuses by field.
fn number(v: &str) -> i64 {
    v.trim().parse().unwrap_or(-1)
}

pub(super) async fn project_create_post(
    State(s): State<AppState>,
    page: Page,
    Form(f): Form<ProjectForm>,
) -> Result<Response, Response> {
    let actor = posted(&page, &f.csrf)?;
    let np = NewProject {
        code: f.code.clone(),
        name: f.name.clone(),
        owner: f.owner.clone(),
        division: f.division.clone(),
        kind: f.kind.clone(),
        low_risk: f.low_risk == "on" || f.low_risk == "true",
        land_area: number(&f.land_area),
        floor_area: number(&f.floor_area),
        investment: number(&f.investment),
        planned_start: f.planned_start.clone(),
        planned_finish: f.planned_finish.clone(),
    };
    match s.store.create_project(&actor, &np).await {
        Ok(p) => Ok(redirect(format!("/projects/{}", p.id))),
        Err(StoreError::Invalid(e)) => {
            projects_view(&s, &page, &actor, f, at_field(e.0, "owner")).await
        }
        Err(e) => Err(store_err(&page, e)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "enterprise/project.html")]
struct ProjectPage {
    c: Chrome,
    v: ProjectView,
    kind: String,
    supervisor: bool,
    own_concierge: bool,
    may_add: bool,
    /// The completion stage's lead department's staff schedule 联合验收.
    may_schedule: bool,
    /// The viewer's department (its findings on joint inspections).
    department: Option<i64>,
    /// The viewer, whether they own the project, and whether they are the
    /// window or a supervisor (who open its stage applications).
    me: i64,
    is_owner: bool,
    staff_opens: bool,
    /// The centre's departments another may be asked to inspect with.
    centre_departments: Vec<(i64, String)>,
    tickets: Vec<Ticket>,
    errors: Vec<FieldError>,
}

pub(super) async fn project_view(
    s: &AppState,
    page: &Page,
    actor: &Actor,
    id: i64,
    errors: Vec<FieldError>,
) -> Result<Response, Response> {
    let v = s
        .store
        .project_view(actor, id)
        .await
        .map_err(|e| store_err(page, e))?;
    let tickets = match actor.role {
        Role::Clerk => Vec::new(),
        _ => s
            .store
            .project_tickets(actor, id)
            .await
            .map_err(|e| store_err(page, e))?,
    };
    let centre_departments = if matches!(actor.role, Role::Reviewer | Role::Head) {
        s.store
            .departments()
            .await
            .map_err(|e| store_err(page, e))?
            .into_iter()
            .filter(|d| d.centre_id == v.project.centre_id)
            .map(|d| (d.id, d.name))
            .collect()
    } else {
        Vec::new()
    };
    let kind = format!(
        "{}{}",
        if v.project.kind == "government" {
            page.t("政府投资", "Government investment")
        } else {
            page.t("社会投资", "Private investment")
        },
        if v.project.low_risk {
            page.t("（简易低风险）", " (simple, low risk)")
        } else {
            String::new()
        }
    );
    Ok((
        status(&errors),
        ProjectPage {
            c: page.chrome(),
            kind,
            supervisor: actor.role == Role::Supervisor,
            own_concierge: actor.role == Role::Concierge
                && v.project.concierge_user_id == Some(actor.user_id),
            may_add: actor.user_id == v.project.owner_user_id || actor.role == Role::Concierge,
            may_schedule: matches!(actor.role, Role::Reviewer | Role::Head)
                && v.stages.iter().any(|st| {
                    st.stage == 4
                        && Some(st.lead_department_id) == actor.department_id
                        && st.started_on.is_some()
                })
                && v.inspections
                    .iter()
                    .all(|i| i.result != tongban_domain::enterprise::InspectionResult::Pending),
            centre_departments,
            me: actor.user_id,
            is_owner: actor.user_id == v.project.owner_user_id,
            staff_opens: matches!(actor.role, Role::Clerk | Role::Supervisor),
            department: match actor.role {
                Role::Reviewer | Role::Head => actor.department_id,
                _ => None,
            },
            v,
            tickets,
            errors,
        },
    )
        .into_response())
}

pub(super) async fn project_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let actor = may_open(&page)?;
    project_view(&s, &page, &actor, id, vec![]).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct SmallForm {
    csrf: String,
    case_no: String,
    concierge: String,
    key: String,
    visited_on: String,
    participants: String,
    topics: String,
    problems: String,
    follow_ups: String,
}

pub(super) async fn project_case_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<SmallForm>,
) -> Result<Response, Response> {
    let actor = posted(&page, &f.csrf)?;
    // The application is named by its number, as people know it.
    let case_id = s
        .store
        .case_id_by_number(f.case_no.trim())
        .await
        .map_err(|e| store_err(&page, e))?;
    let r = match case_id {
        Some(cid) => s
            .store
            .add_case_to_project(&actor, id, cid)
            .await
            .map(|_| ()),
        None => Err(StoreError::Invalid(
            FieldError::new(
                "case_no",
                "unknown",
                "没有此办件编号的申请",
                "no application has this number",
            )
            .into(),
        )),
    };
    match r {
        Ok(()) => Ok(redirect(format!("/projects/{id}"))),
        Err(StoreError::Invalid(e)) => {
            project_view(&s, &page, &actor, id, at_field(e.0, "case_no")).await
        }
        Err(StoreError::NotFound(_)) => {
            project_view(
                &s,
                &page,
                &actor,
                id,
                vec![FieldError::new(
                    "case_no",
                    "unknown",
                    "没有此办件编号的本企业申请",
                    "no application of the enterprise has this number",
                )],
            )
            .await
        }
        Err(e) => Err(store_err(&page, e)),
    }
}

/// Starts (or continues) the stage's application and goes to its
/// materials: one set for every item of the stage.
pub(super) async fn stage_apply_post(
    State(s): State<AppState>,
    page: Page,
    Path((id, stage)): Path<(i64, i64)>,
    Form(f): Form<SmallForm>,
) -> Result<Response, Response> {
    let actor = posted(&page, &f.csrf)?;
    let field = format!("apply-{stage}");
    match s.store.apply_for_stage(&actor, id, stage).await {
        Ok(b) => Ok(redirect(format!("/bundle-cases/{}/materials", b.id))),
        Err(e) => {
            let errs = refused_at(e, |_| field.clone()).map_err(|e| store_err(&page, e))?;
            project_view(&s, &page, &actor, id, errs).await
        }
    }
}

pub(super) async fn project_concierge_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<SmallForm>,
) -> Result<Response, Response> {
    let actor = posted(&page, &f.csrf)?;
    match s
        .store
        .assign_project_concierge(&actor, id, &f.concierge)
        .await
    {
        Ok(_) => Ok(redirect(format!("/projects/{id}"))),
        Err(StoreError::Invalid(e)) => project_view(&s, &page, &actor, id, e.0).await,
        Err(e) => Err(store_err(&page, e)),
    }
}

pub(super) async fn project_key_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<SmallForm>,
) -> Result<Response, Response> {
    let actor = posted(&page, &f.csrf)?;
    s.store
        .set_key_project(&actor, id, f.key == "true")
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(redirect(format!("/projects/{id}")))
}

pub(super) async fn project_visit_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<SmallForm>,
) -> Result<Response, Response> {
    let actor = posted(&page, &f.csrf)?;
    let v = NewVisit {
        visited_on: f.visited_on,
        participants: f.participants,
        topics: f.topics,
        problems: f.problems,
        follow_ups: f.follow_ups,
    };
    match s.store.record_visit(&actor, id, &v).await {
        Ok(_) => Ok(redirect(format!("/projects/{id}"))),
        Err(StoreError::Invalid(e)) => project_view(&s, &page, &actor, id, e.0).await,
        Err(e) => Err(store_err(&page, e)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "enterprise/mandates.html")]
struct MandatesPage {
    c: Chrome,
    mandates: Vec<MandateRecord>,
    enterprise: bool,
    today: chrono::NaiveDate,
    errors: Vec<FieldError>,
}

async fn mandates_view(
    s: &AppState,
    page: &Page,
    actor: &Actor,
    errors: Vec<FieldError>,
) -> Result<Response, Response> {
    let mandates = s
        .store
        .mandates(actor)
        .await
        .map_err(|e| store_err(page, e))?;
    Ok((
        status(&errors),
        MandatesPage {
            c: page.chrome(),
            mandates,
            enterprise: enterprise(s, page, actor).await?,
            today: s.today(),
            errors,
        },
    )
        .into_response())
}

pub(super) async fn mandates_page(
    State(s): State<AppState>,
    page: Page,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?.clone();
    mandates_view(&s, &page, &actor, vec![]).await
}

pub(super) async fn mandate_create_post(
    State(s): State<AppState>,
    page: Page,
    mp: Multipart,
) -> Result<Response, Response> {
    let up = read_upload(&page, mp).await?;
    let actor = posted(&page, &up.csrf)?;
    let v = |k: &str| form_value(&up.fields, k);
    let m = NewMandate {
        concierge: v("concierge"),
        scope_all: v("scope") != "items",
        items: v("items")
            .split([',', '，', '\n', ' '])
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect(),
        valid_from: v("valid_from"),
        valid_to: v("valid_to"),
    };
    match s
        .store
        .grant_mandate(&actor, &s.files, &m, &up.name, up.bytes)
        .await
    {
        Ok(_) => Ok(redirect("/mandates".into())),
        Err(StoreError::Invalid(e)) => {
            let errs =
                e.0.into_iter()
                    .map(|mut x| {
                        // The letter's type is checked as the upload `file`.
                        if x.field == "file" {
                            x.field = "letter".into();
                        }
                        x
                    })
                    .collect();
            mandates_view(&s, &page, &actor, at_field(errs, "concierge")).await
        }
        Err(e) => Err(store_err(&page, e)),
    }
}

pub(super) async fn mandate_revoke_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<SmallForm>,
) -> Result<Response, Response> {
    let actor = posted(&page, &f.csrf)?;
    s.store
        .revoke_mandate(&actor, id)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(redirect("/mandates".into()))
}

pub(super) async fn mandate_letter(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?.clone();
    let (name, bytes) = s
        .store
        .mandate_letter(&actor, &s.files, id)
        .await
        .map_err(|e| store_err(&page, e))?;
    let kind = tongban_domain::files::check_upload(&bytes)
        .map(|k| k.content_type())
        .unwrap_or("application/octet-stream");
    Ok(crate::chrome::download(&name, kind, bytes))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct AssignForm {
    csrf: String,
    enterprise: String,
    concierge: String,
}

/// A supervisor assigns an enterprise its concierge (一对一).
pub(super) async fn enterprise_concierge_post(
    State(s): State<AppState>,
    page: Page,
    Form(f): Form<AssignForm>,
) -> Result<Response, Response> {
    let actor = posted(&page, &f.csrf)?;
    match s
        .store
        .assign_enterprise_concierge(&actor, &f.enterprise, &f.concierge)
        .await
    {
        Ok(()) => Ok(redirect("/projects".into())),
        Err(StoreError::Invalid(e)) => {
            projects_view(&s, &page, &actor, ProjectForm::default(), e.0).await
        }
        Err(e) => Err(store_err(&page, e)),
    }
}
