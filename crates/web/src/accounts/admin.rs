//! The system admin's accounts page (`/admin/users`): every account with
//! its role, department and whether it may sign in, and the form to add
//! one (the store checks it: names by the text rule, passwords of 8 or more
//! characters, user names not taken).

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_domain::FieldError;
use tongban_domain::auth::{Actor, Role};
use tongban_store::StoreError;
use tongban_store::accounts::NewUser;

use crate::AppState;
use crate::chrome::{Choice, Chrome, NoticeParam, Page, store_err};

struct UserRow {
    username: String,
    name: String,
    role: String,
    department: String,
    active: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct UserForm {
    csrf: String,
    username: String,
    display_name: String,
    role: String,
    department: String,
    password: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "accounts/admin_users.html")]
struct UsersPage {
    c: Chrome,
    users: Vec<UserRow>,
    roles: Vec<Choice>,
    departments: Vec<Choice>,
    form: UserForm,
    errors: Vec<FieldError>,
    notice: String,
}

async fn render(
    s: &AppState,
    page: &Page,
    form: UserForm,
    errors: Vec<FieldError>,
    notice: String,
) -> Result<Response, Response> {
    let err = |e| store_err(page, e);
    let departments = s.store.departments().await.map_err(err)?;
    let users = s
        .store
        .users()
        .await
        .map_err(err)?
        .into_iter()
        .map(|u| UserRow {
            department: u
                .department_id
                .and_then(|d| departments.iter().find(|x| x.id == d))
                .map(|d| d.name.clone())
                .unwrap_or_else(|| page.t("（中心）", "(centre)")),
            role: page.t(u.role.zh(), u.role.en()),
            username: u.username,
            name: u.display_name,
            active: u.active,
        })
        .collect();
    let roles = Role::ALL
        .iter()
        .map(|r| Choice {
            value: r.as_str().into(),
            label: page.t(r.zh(), r.en()),
            selected: form.role == r.as_str(),
        })
        .collect();
    let mut depts = vec![Choice {
        value: String::new(),
        label: page.t("（中心，不属于部门）", "(the centre, no department)"),
        selected: form.department.is_empty(),
    }];
    depts.extend(departments.iter().map(|d| Choice {
        value: d.id.to_string(),
        label: d.name.clone(),
        selected: form.department == d.id.to_string(),
    }));
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        UsersPage {
            c: page.chrome(),
            users,
            roles,
            departments: depts,
            form: UserForm {
                password: String::new(),
                ..form
            },
            errors,
            notice,
        },
    )
        .into_response())
}

pub(super) async fn users_page(
    State(s): State<AppState>,
    page: Page,
    Query(n): Query<NoticeParam>,
) -> Result<Response, Response> {
    page.staff_who(Actor::may_administer_system)?;
    let notice = match n.notice.as_deref() {
        Some("added") => page.t("已添加用户。", "User added."),
        _ => String::new(),
    };
    render(&s, &page, UserForm::default(), vec![], notice).await
}

pub(super) async fn user_add_post(
    State(s): State<AppState>,
    page: Page,
    Form(f): Form<UserForm>,
) -> Result<Response, Response> {
    page.posted(&f.csrf)?;
    let actor = page.staff_who(Actor::may_administer_system)?;
    let mut errors = Vec::new();
    let role = Role::parse(&f.role);
    if role.is_none() {
        errors.push(FieldError::new(
            "role",
            "required",
            "请选择角色",
            "choose a role",
        ));
    }
    let department_id = match f.department.trim() {
        "" => None,
        d => match d.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.push(FieldError::new(
                    "department",
                    "invalid",
                    "请选择部门",
                    "choose a department",
                ));
                None
            }
        },
    };
    let (Some(role), true) = (role, errors.is_empty()) else {
        return render(&s, &page, f, errors, String::new()).await;
    };
    let r = s
        .store
        .create_user(NewUser {
            username: f.username.trim(),
            display_name: f.display_name.trim(),
            password: &f.password,
            role,
            centre_id: actor.centre_id,
            department_id,
            id_number: None,
            phone: "",
        })
        .await;
    match r {
        Ok(_) => Ok(Redirect::to("/admin/users?notice=added").into_response()),
        Err(StoreError::Invalid(e)) => render(&s, &page, f, e.0, String::new()).await,
        Err(StoreError::Conflict { zh, en }) => {
            let taken = vec![FieldError::new("username", "taken", zh, en)];
            render(&s, &page, f, taken, String::new()).await
        }
        Err(e) => Err(store_err(&page, e)),
    }
}
