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
mod phrasings;
mod public;
mod views;

use axum::routing::{get, post};

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::chrome::Pages;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::search_items))
        .routes(routes!(api::get_item))
        .routes(routes!(api::admin_list_items, api::admin_create_item))
        .routes(routes!(
            api::admin_get_item,
            api::admin_update_item,
            api::admin_delete_item
        ))
        .routes(routes!(api::admin_publish_item))
        .routes(routes!(api::admin_item_versions, api::admin_new_version))
        .routes(routes!(api::admin_retire_item))
        .routes(routes!(import::admin_export))
        .routes(routes!(import::admin_import))
        .routes(routes!(
            departments::admin_departments,
            departments::admin_create_department
        ))
        .routes(routes!(departments::admin_update_department))
        .routes(routes!(
            phrasings::admin_phrasings,
            phrasings::admin_add_phrasing
        ))
        .routes(routes!(phrasings::admin_remove_phrasing))
}

pub fn pages() -> Pages {
    Pages::new()
        .route("/", get(public::home))
        .route("/items", get(public::search_page))
        .route("/items/{code}", get(public::item_page))
        .route("/admin", get(admin::admin_home))
        .route(
            "/admin/search-phrasings",
            get(phrasings::phrasings_page).post(phrasings::phrasings_post),
        )
        .route(
            "/admin/search-phrasings/{id}/delete",
            post(phrasings::phrasing_remove_post),
        )
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
