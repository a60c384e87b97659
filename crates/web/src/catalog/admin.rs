//! The catalogue administration pages: the list of items, a new item, an
//! item version with its audit findings and versions, and publishing,
//! deleting a draft, new versions and retiring.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_domain::auth::{Role, Scope};
use tongban_domain::catalog::{Agency, ExerciseLevel, ItemDoc, ItemStatus};
use tongban_domain::codes::BasicCode;
use tongban_domain::{FieldError, FieldErrors};
use tongban_store::StoreError;
use tongban_store::catalog::ItemVersion;

use super::api::{self, AdminListParams};
use super::views::GuideView;
use crate::AppState;
use crate::chrome::{
    Choice, Chrome, CsrfForm, NoticeParam, Page, fmt_time, notice_text, options, or_err, store_err,
};
use crate::http::{ApiError, Lang, managed_version};

struct AdminRow {
    id: i64,
    name: String,
    code: String,
    department: String,
    version: i64,
    status: String,
    status_label: String,
    live: String,
    updated: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "catalog/admin_items.html")]
struct AdminItemsPage {
    c: Chrome,
    rows: Vec<AdminRow>,
    q: String,
    statuses: Vec<Choice>,
    can_create: bool,
    can_import: bool,
}

pub(super) async fn admin_home(
    State(s): State<AppState>,
    page: Page,
    Query(p): Query<AdminListParams>,
) -> Result<Response, Response> {
    let (_, actor) = page.staff()?;
    let filter = or_err(&page, api::admin_filter(actor, &p))?;
    let rows = s
        .store
        .admin_items(&filter)
        .await
        .map_err(|e| store_err(&page, e))?;
    let lang = page.lang;
    Ok(AdminItemsPage {
        rows: rows
            .into_iter()
            .map(|r| AdminRow {
                id: r.latest.id,
                name: r.latest.doc.name.clone(),
                code: r.latest.impl_code.clone(),
                department: r.latest.department_name.clone(),
                version: r.latest.version,
                status: r.latest.status.as_str().into(),
                status_label: lang.t(r.latest.status.zh(), r.latest.status.en()).into(),
                live: r
                    .published_version
                    .map(|v| format!("v{v}"))
                    .unwrap_or_else(|| "—".into()),
                updated: fmt_time(r.latest.updated_at),
            })
            .collect(),
        q: p.q.clone().unwrap_or_default(),
        statuses: options(
            ItemStatus::ALL,
            p.status.as_deref().unwrap_or_default(),
            lang,
        ),
        can_create: actor.role == Role::CatalogAdmin,
        can_import: actor.may_import_catalog().is_ok(),
        c: page.chrome(),
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "catalog/admin_item_new.html")]
struct NewItemPage {
    c: Chrome,
    errors: Vec<FieldError>,
    departments: Vec<Choice>,
    levels: Vec<Choice>,
    name: String,
    basic_code: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct NewItemForm {
    csrf: String,
    department_id: String,
    name: String,
    basic_code: String,
    exercise_level: String,
}

async fn new_item_form(
    s: &AppState,
    page: &Page,
    f: &NewItemForm,
    errors: Vec<FieldError>,
) -> Result<Response, Response> {
    let (_, actor) = page.staff()?;
    let depts = s
        .store
        .departments()
        .await
        .map_err(|e| store_err(page, e))?;
    let lang = page.lang;
    let level = ExerciseLevel::parse(&f.exercise_level).unwrap_or(ExerciseLevel::County);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        NewItemPage {
            departments: depts
                .iter()
                .filter(|d| {
                    actor
                        .may_manage_item(Scope {
                            centre_path: &d.centre_path,
                            department_id: d.id,
                        })
                        .is_ok()
                })
                .map(|d| Choice {
                    value: d.id.to_string(),
                    label: d.name.clone(),
                    selected: f.department_id == d.id.to_string(),
                })
                .collect(),
            levels: options(ExerciseLevel::ALL, level.as_str(), lang),
            name: f.name.clone(),
            basic_code: f.basic_code.clone(),
            errors,
            c: page.chrome(),
        },
    )
        .into_response())
}

pub(super) async fn new_item_page(
    State(s): State<AppState>,
    page: Page,
) -> Result<Response, Response> {
    let (_, actor) = page.staff()?;
    if actor.role != Role::CatalogAdmin {
        return Err(page.error(ApiError::denied(tongban_domain::auth::Denied::Role)));
    }
    new_item_form(&s, &page, &NewItemForm::default(), vec![]).await
}

pub(super) async fn new_item_post(
    State(s): State<AppState>,
    page: Page,
    Form(f): Form<NewItemForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    let mut errs = FieldErrors::default();
    let dept = match f.department_id.parse::<i64>() {
        Ok(id) => s.store.department(id).await.ok(),
        Err(_) => None,
    };
    let Some(dept) = dept else {
        errs.push(FieldError::required("department_id", "实施部门"));
        return new_item_form(&s, &page, &f, errs.0).await;
    };
    or_err(
        &page,
        actor
            .may_manage_item(Scope {
                centre_path: &dept.centre_path,
                department_id: dept.id,
            })
            .map_err(ApiError::from),
    )?;
    let basic = BasicCode::parse(&f.basic_code).map_err(|e| e.into_field("basic_code", "基本编码"));
    let level = ExerciseLevel::parse(&f.exercise_level);
    if f.name.trim().is_empty() {
        errs.push(FieldError::required("name", "事项名称"));
    }
    if let Err(e) = &basic {
        errs.push(e.clone());
    }
    let (Ok(basic), Some(level), true) = (basic, level, errs.is_empty()) else {
        return new_item_form(&s, &page, &f, errs.0).await;
    };
    let agency = Agency {
        name: dept.name.clone(),
        credit_code: dept.credit_code.clone(),
    };
    let Some(doc) = ItemDoc::skeleton(f.name.trim(), agency, level, basic) else {
        return new_item_form(
            &s,
            &page,
            &f,
            vec![FieldError::new(
                "basic_code",
                "invalid",
                "无法生成实施编码",
                "cannot compose the implementation code",
            )],
        )
        .await;
    };
    match s
        .store
        .create_item(dept.id, &doc, Some(actor.user_id))
        .await
    {
        Ok(item) => {
            Ok(Redirect::to(&format!("/admin/items/{}?notice=created", item.id)).into_response())
        }
        Err(tongban_store::StoreError::Invalid(e)) => new_item_form(&s, &page, &f, e.0).await,
        Err(e) => Err(store_err(&page, e)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "catalog/admin_item.html")]
struct AdminItemPage {
    c: Chrome,
    errors: Vec<FieldError>,
    notice: String,
    g: GuideView,
    id: i64,
    version: i64,
    status: String,
    status_label: String,
    updated: String,
    /// The draft's `updated_at` as read here: publishing takes it as reviewed.
    updated_at: i64,
    department: String,
    can_manage: bool,
    has_draft: bool,
    /// (severity, rule id, message, element)
    findings: Vec<(String, String, String, String)>,
    /// (id, version, status label, published at)
    versions: Vec<(i64, i64, String, String)>,
    /// An error-level finding stands: publishing is refused.
    publish_blocked: bool,
    /// The retire form was refused (its reason): open it again.
    retire_error: bool,
}

async fn render_admin_item(
    s: &AppState,
    page: &Page,
    item: ItemVersion,
    errors: Vec<FieldError>,
    notice: String,
) -> Result<Response, Response> {
    let (_, actor) = page.staff()?;
    or_err(
        page,
        actor
            .may_view_catalog_admin(Scope {
                centre_path: &item.centre_path,
                department_id: item.department_id,
            })
            .map_err(ApiError::from),
    )?;
    let can_manage = actor
        .may_manage_item(Scope {
            centre_path: &item.centre_path,
            department_id: item.department_id,
        })
        .is_ok();
    let versions = s
        .store
        .item_versions(&item.impl_code)
        .await
        .map_err(|e| store_err(page, e))?;
    let has_draft = versions.iter().any(|v| v.status == ItemStatus::Draft);
    let lang = page.lang;
    let found = s
        .store
        .audit_guide(&item.doc)
        .await
        .map_err(|e| store_err(page, e))?;
    let publish_blocked = found
        .iter()
        .any(|f| f.severity == tongban_domain::audit::Severity::Error);
    let findings = found
        .into_iter()
        .map(|f| {
            (
                f.severity.as_str().to_string(),
                f.rule_id,
                if lang == Lang::En {
                    f.message_en
                } else {
                    f.message_zh
                },
                f.element,
            )
        })
        .collect();
    Ok(AdminItemPage {
        g: GuideView::new(&item.doc, lang),
        id: item.id,
        version: item.version,
        status: item.status.as_str().into(),
        status_label: lang.t(item.status.zh(), item.status.en()).into(),
        updated: fmt_time(item.updated_at),
        updated_at: item.updated_at,
        department: item.department_name.clone(),
        can_manage,
        has_draft,
        findings,
        versions: versions
            .iter()
            .map(|v| {
                (
                    v.id,
                    v.version,
                    lang.t(v.status.zh(), v.status.en()).to_string(),
                    v.published_at.map(fmt_time).unwrap_or_default(),
                )
            })
            .collect(),
        publish_blocked,
        retire_error: errors.iter().any(|e| e.field == "reason"),
        errors,
        notice,
        c: page.chrome(),
    }
    .into_response())
}

pub(super) async fn admin_item_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Query(n): Query<NoticeParam>,
) -> Result<Response, Response> {
    page.staff()?;
    let item = s
        .store
        .item_version(id)
        .await
        .map_err(|e| store_err(&page, e))?;
    render_admin_item(
        &s,
        &page,
        item,
        vec![],
        notice_text(page.lang, n.notice.as_deref()),
    )
    .await
}

pub(super) async fn latest_redirect(
    State(s): State<AppState>,
    page: Page,
    Path(code): Path<String>,
) -> Result<Response, Response> {
    page.staff()?;
    let versions = s
        .store
        .item_versions(&code)
        .await
        .map_err(|e| store_err(&page, e))?;
    let v = versions
        .first()
        .ok_or_else(|| page.error(ApiError::not_found(&code)))?;
    Ok(Redirect::to(&format!("/admin/items/{}", v.id)).into_response())
}

/// Loads a version the signed-in admin may change.
pub(super) async fn managed(s: &AppState, page: &Page, id: i64) -> Result<ItemVersion, Response> {
    let (_, actor) = page.staff()?;
    or_err(page, managed_version(s, actor, id).await)
}

pub(super) async fn publish_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&crate::chrome::form_value(&f, "csrf"))?;
    let uid = actor.user_id;
    let item = managed(&s, &page, id).await?;
    // The draft as the admin read it on the page.
    let reviewed = crate::chrome::form_value(&f, "updated_at").parse().ok();
    match s.store.publish_reviewed(id, reviewed, Some(uid)).await {
        Ok(_) => {}
        // Refused by the audit (or the decision model): the page again, with
        // every reason in the error summary.
        Err(StoreError::Invalid(FieldErrors(errs))) => {
            let r = render_admin_item(&s, &page, item, errs, String::new()).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, r).into_response());
        }
        Err(e) => return Err(store_err(&page, e)),
    }
    s.refresh_search_now().await;
    Ok(Redirect::to(&format!("/admin/items/{id}?notice=published")).into_response())
}

pub(super) async fn delete_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, Response> {
    page.posted(&f.csrf)?;
    let item = managed(&s, &page, id).await?;
    s.store
        .delete_draft_by(id, page.user_id())
        .await
        .map_err(|e| store_err(&page, e))?;
    let versions = s
        .store
        .item_versions(&item.impl_code)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(match versions.first() {
        Some(v) => Redirect::to(&format!("/admin/items/{}", v.id)),
        None => Redirect::to("/admin"),
    }
    .into_response())
}

async fn code_scope_check(s: &AppState, page: &Page, code: &str) -> Result<ItemVersion, Response> {
    let (_, actor) = page.staff()?;
    let versions = s
        .store
        .item_versions(code)
        .await
        .map_err(|e| store_err(page, e))?;
    let latest = versions
        .into_iter()
        .next()
        .ok_or_else(|| page.error(ApiError::not_found(code)))?;
    or_err(
        page,
        actor
            .may_manage_item(Scope {
                centre_path: &latest.centre_path,
                department_id: latest.department_id,
            })
            .map_err(ApiError::from),
    )?;
    Ok(latest)
}

pub(super) async fn new_version_post(
    State(s): State<AppState>,
    page: Page,
    Path(code): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    let uid = actor.user_id;
    code_scope_check(&s, &page, &code).await?;
    let v = s
        .store
        .new_version(&code, Some(uid))
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(Redirect::to(&format!("/admin/items/{}?notice=new_version", v.id)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RetireForm {
    csrf: String,
    reason: String,
}

pub(super) async fn retire_post(
    State(s): State<AppState>,
    page: Page,
    Path(code): Path<String>,
    Form(f): Form<RetireForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    let uid = actor.user_id;
    let latest = code_scope_check(&s, &page, &code).await?;
    let v = match s.store.retire(&code, &f.reason, Some(uid)).await {
        Ok(v) => v,
        Err(StoreError::Invalid(FieldErrors(errs))) => {
            let shown = match s.store.published_item(&code).await {
                Ok(Some(p)) => p,
                _ => latest,
            };
            let r = render_admin_item(&s, &page, shown, errs, String::new()).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, r).into_response());
        }
        Err(e) => return Err(store_err(&page, e)),
    };
    s.refresh_search_now().await;
    Ok(Redirect::to(&format!("/admin/items/{}?notice=retired", v.id)).into_response())
}
