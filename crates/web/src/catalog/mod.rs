//! The service catalogue: the public pages (home, search, an item's guide)
//! and `/api/v1/items…`, and the catalogue administration — items with
//! their versions and materials, publishing and retiring, departments, and
//! the import and export of the whole catalogue.
// Page handlers return a rendered error page as their `Err`; axum responses are
// 128 bytes, which is fine on this path (once per request).
#![allow(clippy::result_large_err)]

mod admin;
mod api;
mod departments;
mod edit;
mod forms;
mod import;
mod public;
mod views;

use axum::Router;
use axum::routing::{get, post, put};
use utoipa::OpenApi;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        // API
        .route("/api/v1/items", get(api::search_items))
        .route("/api/v1/items/{code}", get(api::get_item))
        .route(
            "/api/v1/admin/items",
            get(api::admin_list_items).post(api::admin_create_item),
        )
        .route(
            "/api/v1/admin/items/{id}",
            get(api::admin_get_item)
                .put(api::admin_update_item)
                .delete(api::admin_delete_item),
        )
        .route(
            "/api/v1/admin/items/{id}/publish",
            post(api::admin_publish_item),
        )
        .route(
            "/api/v1/admin/catalog/{code}/versions",
            get(api::admin_item_versions).post(api::admin_new_version),
        )
        .route(
            "/api/v1/admin/catalog/{code}/retire",
            post(api::admin_retire_item),
        )
        .route("/api/v1/admin/catalog/export", get(import::admin_export))
        .route("/api/v1/admin/catalog/import", post(import::admin_import))
        .route(
            "/api/v1/admin/departments",
            get(departments::admin_departments).post(departments::admin_create_department),
        )
        .route(
            "/api/v1/admin/departments/{id}",
            put(departments::admin_update_department),
        )
        // Public pages
        .route("/", get(public::home))
        .route("/items", get(public::search_page))
        .route("/items/{code}", get(public::item_page))
        // Administration pages
        .route("/admin", get(admin::admin_home))
        .route(
            "/admin/items/new",
            get(admin::new_item_page).post(admin::new_item_post),
        )
        .route("/admin/items/{id}", get(admin::admin_item_page))
        .route(
            "/admin/items/{id}/edit",
            get(edit::edit_page).post(edit::edit_post),
        )
        .route(
            "/admin/items/{id}/materials/new",
            get(edit::material_new_page).post(edit::material_new_post),
        )
        .route(
            "/admin/items/{id}/materials/{idx}",
            get(edit::material_page).post(edit::material_post),
        )
        .route(
            "/admin/items/{id}/materials/{idx}/delete",
            post(edit::material_delete),
        )
        .route("/admin/items/{id}/publish", post(admin::publish_post))
        .route("/admin/items/{id}/delete", post(admin::delete_post))
        .route("/admin/catalog/{code}", get(admin::latest_redirect))
        .route(
            "/admin/catalog/{code}/new-version",
            post(admin::new_version_post),
        )
        .route("/admin/catalog/{code}/retire", post(admin::retire_post))
        .route(
            "/admin/departments",
            get(departments::departments_page).post(departments::department_create_post),
        )
        .route(
            "/admin/departments/{id}",
            get(departments::department_edit_page).post(departments::department_update_post),
        )
        .route(
            "/admin/import",
            get(import::import_page).post(import::import_post),
        )
}

/// The catalogue's part of the OpenAPI document: the public items, their
/// administration, departments, and the catalogue's import and export.
pub struct CatalogDoc;

impl OpenApi for CatalogDoc {
    fn openapi() -> utoipa::openapi::OpenApi {
        let mut doc = api::ItemsDoc::openapi();
        doc.merge(import::TransferDoc::openapi());
        doc.merge(departments::DepartmentsDoc::openapi());
        doc
    }
}
