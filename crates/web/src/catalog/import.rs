//! The whole catalogue as one `tongban-catalog/1` document: export, and
//! import all or nothing (API and page).

use crate::http::Json;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tongban_domain::FieldError;
use tongban_domain::catalog::{ItemDoc, ItemStatus};
use tongban_domain::codes::CreditCode;
use tongban_store::catalog::transfer::{CatalogFile, DepartmentRecord, ImportReport, ItemRecord};
use utoipa::ToSchema;

use crate::AppState;
use crate::chrome::{Chrome, Page, or_err, store_err};
use crate::http::{ApiError, ApiUser};

/// A department of a `tongban-catalog/1` document.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogDepartment {
    pub name: String,
    pub short_name: String,
    pub credit_code: CreditCode,
    pub phone: String,
    pub address: String,
}

/// An item version of a `tongban-catalog/1` document.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogItem {
    /// The department's 统一社会信用代码.
    pub department: CreditCode,
    pub status: ItemStatus,
    pub doc: ItemDoc,
}

/// The catalogue as one document (format `tongban-catalog/1`,
/// docs/CATALOG_FORMAT.md): what the import reads back.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogDocument {
    #[schema(pattern = "^tongban-catalog/1$")]
    pub format: String,
    pub departments: Vec<CatalogDepartment>,
    pub items: Vec<CatalogItem>,
}

impl From<CatalogFile> for CatalogDocument {
    fn from(f: CatalogFile) -> Self {
        let CatalogFile {
            format,
            departments,
            items,
        } = f;
        CatalogDocument {
            format,
            departments: departments
                .into_iter()
                .map(|d| {
                    let DepartmentRecord {
                        name,
                        short_name,
                        credit_code,
                        phone,
                        address,
                    } = d;
                    CatalogDepartment {
                        name,
                        short_name,
                        credit_code,
                        phone,
                        address,
                    }
                })
                .collect(),
            items: items
                .into_iter()
                .map(|i| {
                    let ItemRecord {
                        department,
                        status,
                        doc,
                    } = i;
                    CatalogItem {
                        department,
                        status,
                        doc,
                    }
                })
                .collect(),
        }
    }
}

/// The whole catalogue as a `tongban-catalog/1` document.
#[utoipa::path(get, path = "/api/v1/admin/catalog/export", tag = "catalog", security(("session" = [])),
    responses((status = 200, description = "tongban-catalog/1 JSON, as an attachment", body = CatalogDocument)))]
pub async fn admin_export(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
) -> Result<Response, ApiError> {
    actor.may_use_catalog_admin()?;
    let scope = tongban_store::catalog::transfer::ExportScope {
        centre_path: Some(actor.centre_path.clone()),
        department_id: actor.department_id,
    };
    let file = s.store.export_catalog(&scope).await?;
    let body =
        serde_json::to_string_pretty(&CatalogDocument::from(file)).map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"catalog.json\"",
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReportView {
    pub departments_created: usize,
    pub departments_updated: usize,
    pub items_created: usize,
    pub versions_created: usize,
    pub drafts_updated: usize,
    pub status_changed: usize,
    pub unchanged: usize,
}

impl From<ImportReport> for ImportReportView {
    fn from(r: ImportReport) -> Self {
        Self {
            departments_created: r.departments_created,
            departments_updated: r.departments_updated,
            items_created: r.items_created,
            versions_created: r.versions_created,
            drafts_updated: r.drafts_updated,
            status_changed: r.status_changed,
            unchanged: r.unchanged,
        }
    }
}

/// Import a `tongban-catalog/1` document: all or nothing; a bad file is refused
/// with the JSON path and reason of every problem.
#[utoipa::path(post, path = "/api/v1/admin/catalog/import", tag = "catalog", security(("session" = [])), request_body(content = String, content_type = "application/json", description = "tongban-catalog/1 document"),
    responses((status = 200, body = ImportReportView), (status = 422, body = crate::http::ErrorBody)))]
pub async fn admin_import(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    body: String,
) -> Result<Json<ImportReportView>, ApiError> {
    actor.may_import_catalog()?;
    let report = s
        .store
        .import_catalog(actor.centre_id, &body, Some(actor.user_id))
        .await?;
    s.refresh_search_now().await;
    Ok(Json(report.into()))
}

#[derive(Template, WebTemplate)]
#[template(path = "catalog/admin_import.html")]
struct ImportPage {
    c: Chrome,
    errors: Vec<FieldError>,
    notice: String,
}

pub(super) async fn import_page(page: Page) -> Result<Response, Response> {
    let (_, actor) = page.staff()?;
    or_err(&page, actor.may_import_catalog().map_err(ApiError::from))?;
    Ok(ImportPage {
        c: page.chrome(),
        errors: vec![],
        notice: String::new(),
    }
    .into_response())
}

pub(super) async fn import_post(
    State(s): State<AppState>,
    page: Page,
    mut mp: Multipart,
) -> Result<Response, Response> {
    let mut csrf = String::new();
    let mut text = String::new();
    while let Ok(Some(field)) = mp.next_field().await {
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("file") => text = field.text().await.unwrap_or_default(),
            _ => {}
        }
    }
    let (_, actor) = page.posted(&csrf)?;
    or_err(&page, actor.may_import_catalog().map_err(ApiError::from))?;
    let (centre, uid) = (actor.centre_id, actor.user_id);
    match s.store.import_catalog(centre, &text, Some(uid)).await {
        Ok(r) => {
            s.refresh_search_now().await;
            let notice = format!(
                "{} {} / {} {} / {} {} / {} {}",
                page.t("新增事项", "items created"),
                r.items_created,
                page.t("新增版本", "versions created"),
                r.versions_created,
                page.t("未变化", "unchanged"),
                r.unchanged,
                page.t("新增部门", "departments created"),
                r.departments_created
            );
            Ok(ImportPage {
                c: page.chrome(),
                errors: vec![],
                notice,
            }
            .into_response())
        }
        Err(tongban_store::StoreError::Invalid(e)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            ImportPage {
                c: page.chrome(),
                errors: e.0,
                notice: String::new(),
            },
        )
            .into_response()),
        Err(e) => Err(store_err(&page, e)),
    }
}
