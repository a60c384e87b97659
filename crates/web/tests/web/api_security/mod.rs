//! Security of the JSON API, through the real router on every backend:
//! role and department checks of the administration endpoints, optimistic
//! locking, CSRF, the login rate limit, the error format and the session cookie.

mod catalog_api;
mod requests;
mod roles;

use axum::http::{Method, StatusCode};
use chrono::NaiveDate;
use serde_json::{Value, json};
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::codes::CreditCode;
use tongban_store::catalog::{AdminFilter, Department, ItemVersion};
use tongban_store::guide_audit::FindingFilter;

use crate::helpers;
use crate::helpers::{App, Login, NON_ADMIN_USERS, Payload, api_request, apps, assert_error, pct};

async fn published_named(app: &App, name: &str) -> ItemVersion {
    let b = &app.backend;
    app.store()
        .published_items()
        .await
        .unwrap_or_else(|e| panic!("{b}: published items: {e}"))
        .into_iter()
        .find(|i| i.doc.name == name)
        .unwrap_or_else(|| panic!("{b}: demo item {name} is not published"))
}

async fn draft_named(app: &App, name: &str) -> ItemVersion {
    let b = &app.backend;
    app.store()
        .draft_items()
        .await
        .unwrap_or_else(|e| panic!("{b}: draft items: {e}"))
        .into_iter()
        .find(|i| i.doc.name == name)
        .unwrap_or_else(|| panic!("{b}: demo draft {name} missing"))
}

async fn department(app: &App, short_name: &str) -> Department {
    let b = &app.backend;
    app.store()
        .departments()
        .await
        .unwrap_or_else(|e| panic!("{b}: departments: {e}"))
        .into_iter()
        .find(|d| d.short_name == short_name)
        .unwrap_or_else(|| panic!("{b}: demo department {short_name} missing"))
}

async fn version_count(app: &App, impl_code: &str) -> usize {
    let b = &app.backend;
    app.store()
        .item_versions(impl_code)
        .await
        .unwrap_or_else(|e| panic!("{b}: versions of {impl_code}: {e}"))
        .len()
}

async fn audit_run_count(app: &App) -> usize {
    let b = &app.backend;
    app.store()
        .audit_runs(1000)
        .await
        .unwrap_or_else(|e| panic!("{b}: audit runs: {e}"))
        .len()
}
