//! Departments: listed for any staff member, created and changed by the
//! system admin (API and page).

use crate::http::Json;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use tongban_domain::codes::CreditCode;
use tongban_domain::{FieldError, FieldErrors};
use tongban_store::catalog::{Department, DepartmentInput};
use utoipa::ToSchema;

use crate::AppState;
use crate::chrome::{Chrome, NoticeParam, Page, notice_text, or_err, store_err};
use crate::http::{ApiError, ApiUser};

#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentView {
    pub id: i64,
    pub centre_id: i64,
    pub name: String,
    pub short_name: String,
    pub credit_code: String,
    pub phone: String,
    pub address: String,
}

impl From<Department> for DepartmentView {
    fn from(d: Department) -> Self {
        Self {
            id: d.id,
            centre_id: d.centre_id,
            name: d.name,
            short_name: d.short_name,
            credit_code: d.credit_code.as_str().to_string(),
            phone: d.phone,
            address: d.address,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DepartmentRequest {
    pub name: String,
    pub short_name: String,
    /// 统一社会信用代码, checked (GB 32100).
    pub credit_code: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub address: String,
}

impl DepartmentRequest {
    pub fn parse(&self) -> Result<DepartmentInput, ApiError> {
        let code = CreditCode::parse(&self.credit_code).map_err(|e| {
            ApiError::invalid(FieldErrors::single(
                e.into_field("credit_code", "统一社会信用代码"),
            ))
        })?;
        Ok(DepartmentInput {
            name: self.name.clone(),
            short_name: self.short_name.clone(),
            credit_code: code,
            phone: self.phone.clone(),
            address: self.address.clone(),
        })
    }
}

/// Departments (any staff member may list them).
#[utoipa::path(get, path = "/api/v1/admin/departments", tag = "catalog", security(("session" = [])), responses((status = 200, body = Vec<DepartmentView>)))]
pub async fn admin_departments(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Json<Vec<DepartmentView>>, ApiError> {
    if !actor.is_staff() {
        return Err(ApiError::denied(tongban_domain::auth::Denied::Role));
    }
    let all = s.store.departments().await?;
    Ok(Json(
        all.into_iter()
            .filter(|d| d.centre_path.starts_with(&actor.centre_path))
            .map(Into::into)
            .collect(),
    ))
}

/// Create a department (system admin).
#[utoipa::path(post, path = "/api/v1/admin/departments", tag = "catalog", security(("session" = [])), request_body = DepartmentRequest,
    responses((status = 201, body = DepartmentView), (status = 403, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub async fn admin_create_department(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Json(req): Json<DepartmentRequest>,
) -> Result<(StatusCode, Json<DepartmentView>), ApiError> {
    actor.may_administer_system()?;
    let input = req.parse()?;
    let d = s
        .store
        .create_department_by(actor.centre_id, &input, Some(actor.user_id))
        .await?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

/// Change a department (system admin).
#[utoipa::path(put, path = "/api/v1/admin/departments/{id}", tag = "catalog", security(("session" = [])), params(("id" = i64, Path)), request_body = DepartmentRequest,
    responses((status = 200, body = DepartmentView), (status = 403, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub async fn admin_update_department(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<DepartmentRequest>,
) -> Result<Json<DepartmentView>, ApiError> {
    actor.may_administer_system()?;
    let current = s.store.department(id).await?;
    if !current.centre_path.starts_with(&actor.centre_path) {
        return Err(ApiError::denied(tongban_domain::auth::Denied::Department));
    }
    let input = req.parse()?;
    Ok(Json(
        s.store
            .update_department_by(id, &input, Some(actor.user_id))
            .await?
            .into(),
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "catalog/admin_departments.html")]
struct DepartmentsPage {
    c: Chrome,
    errors: Vec<FieldError>,
    notice: String,
    departments: Vec<DepartmentView>,
    can_edit: bool,
    edit_id: i64,
    form: DeptForm,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct DeptForm {
    csrf: String,
    name: String,
    short_name: String,
    credit_code: String,
    phone: String,
    address: String,
}

async fn departments_view(
    s: &AppState,
    page: &Page,
    edit_id: i64,
    form: DeptForm,
    errors: Vec<FieldError>,
    notice: String,
) -> Result<Response, Response> {
    let (_, actor) = page.staff()?;
    let all = s
        .store
        .departments()
        .await
        .map_err(|e| store_err(page, e))?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        DepartmentsPage {
            departments: all
                .into_iter()
                .filter(|d| d.centre_path.starts_with(&actor.centre_path))
                .map(Into::into)
                .collect(),
            can_edit: actor.may_administer_system().is_ok(),
            edit_id,
            form,
            errors,
            notice,
            c: page.chrome(),
        },
    )
        .into_response())
}

pub(super) async fn departments_page(
    State(s): State<AppState>,
    page: Page,
    Query(n): Query<NoticeParam>,
) -> Result<Response, Response> {
    departments_view(
        &s,
        &page,
        0,
        DeptForm::default(),
        vec![],
        notice_text(page.lang, n.notice.as_deref()),
    )
    .await
}

pub(super) async fn department_edit_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let (_, actor) = page.staff()?;
    or_err(&page, actor.may_administer_system().map_err(ApiError::from))?;
    let d = s
        .store
        .department(id)
        .await
        .map_err(|e| store_err(&page, e))?;
    if !d.centre_path.starts_with(&actor.centre_path) {
        return Err(page.error(ApiError::denied(tongban_domain::auth::Denied::Department)));
    }
    let form = DeptForm {
        csrf: String::new(),
        name: d.name,
        short_name: d.short_name,
        credit_code: d.credit_code.to_string(),
        phone: d.phone,
        address: d.address,
    };
    departments_view(&s, &page, id, form, vec![], String::new()).await
}

async fn save_department(
    s: &AppState,
    page: &Page,
    id: Option<i64>,
    f: DeptForm,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    or_err(page, actor.may_administer_system().map_err(ApiError::from))?;
    if let Some(id) = id {
        let d = s
            .store
            .department(id)
            .await
            .map_err(|e| store_err(page, e))?;
        if !d.centre_path.starts_with(&actor.centre_path) {
            return Err(page.error(ApiError::denied(tongban_domain::auth::Denied::Department)));
        }
    }
    let req = DepartmentRequest {
        name: f.name.clone(),
        short_name: f.short_name.clone(),
        credit_code: f.credit_code.clone(),
        phone: f.phone.clone(),
        address: f.address.clone(),
    };
    let input = match req.parse() {
        Ok(i) => i,
        Err(e) => {
            return departments_view(s, page, id.unwrap_or(0), f, e.details, String::new()).await;
        }
    };
    let r = match id {
        Some(id) => {
            s.store
                .update_department_by(id, &input, Some(actor.user_id))
                .await
        }
        None => {
            s.store
                .create_department_by(actor.centre_id, &input, Some(actor.user_id))
                .await
        }
    };
    match r {
        Ok(_) => Ok(Redirect::to("/admin/departments?notice=dept_saved").into_response()),
        Err(tongban_store::StoreError::Invalid(e)) => {
            departments_view(s, page, id.unwrap_or(0), f, e.0, String::new()).await
        }
        Err(e) => Err(store_err(page, e)),
    }
}

pub(super) async fn department_create_post(
    State(s): State<AppState>,
    page: Page,
    Form(f): Form<DeptForm>,
) -> Result<Response, Response> {
    save_department(&s, &page, None, f).await
}

pub(super) async fn department_update_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<DeptForm>,
) -> Result<Response, Response> {
    save_department(&s, &page, Some(id), f).await
}
