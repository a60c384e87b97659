//! The indicator registry (效能评估, SPEC §8.2) as a page and as JSON: what
//! each number on a dashboard or in a report means, how it is computed,
//! on which days, and which events feed it.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use tongban_domain::indicators::{Group, REGISTRY, Unit};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::chrome::{Chrome, Page, Pages};
use crate::http::Json;

mod api;
mod chart;
pub mod export;
pub mod figures;
pub mod jobs;
mod pages;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_indicators))
        .routes(routes!(api::api_figures))
        .routes(routes!(api::api_cases))
}

pub fn pages() -> Pages {
    Pages::new()
        .route("/indicators", get(registry_page))
        .route("/indicators/dashboard", get(pages::dashboard))
        .route("/indicators/dashboard.csv", get(pages::table_csv))
        .route("/indicators/dashboard.xlsx", get(pages::table_xlsx))
        .route("/indicators/cases", get(pages::cases))
        .route("/indicators/reports/file", get(pages::report_file))
}

/// One indicator's definition.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorDefinition {
    /// Stable id (`on_time_rate`): reports and exports name it.
    pub id: String,
    pub zh: String,
    pub en: String,
    pub group: Group,
    pub definition_zh: String,
    pub definition_en: String,
    pub formula: String,
    pub unit: Unit,
    /// Whether a higher value is better (the 红黄榜's order).
    pub higher_is_better: bool,
    pub workdays_zh: String,
    pub workdays_en: String,
    /// The events that change it.
    pub fed_by: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorRegistry {
    pub indicators: Vec<IndicatorDefinition>,
}

/// The indicator registry: every indicator of the dashboards and reports
/// with its definition, formula, unit, working-day rule and the events that
/// feed it. No sign-in.
#[utoipa::path(get, path = "/api/v1/indicators", tag = "indicators",
    responses((status = 200, body = IndicatorRegistry)))]
pub(crate) async fn api_indicators() -> Json<IndicatorRegistry> {
    Json(IndicatorRegistry {
        indicators: REGISTRY
            .iter()
            .map(|i| IndicatorDefinition {
                id: i.id.into(),
                zh: i.zh.into(),
                en: i.en.into(),
                group: i.group,
                definition_zh: i.definition_zh.into(),
                definition_en: i.definition_en.into(),
                formula: i.formula.into(),
                unit: i.unit,
                higher_is_better: i.higher_is_better,
                workdays_zh: i.workdays_zh.into(),
                workdays_en: i.workdays_en.into(),
                fed_by: i.fed_by.iter().map(|e| e.to_string()).collect(),
            })
            .collect(),
    })
}

/// One indicator as the page shows it, in the reader's language.
struct Row {
    id: &'static str,
    name: &'static str,
    group: &'static str,
    definition: &'static str,
    formula: &'static str,
    unit: &'static str,
    better: &'static str,
    workdays: &'static str,
    fed_by: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "indicators/registry.html")]
struct RegistryPage {
    c: Chrome,
    rows: Vec<Row>,
}

async fn registry_page(page: Page) -> Response {
    let lang = page.lang;
    RegistryPage {
        c: page.chrome(),
        rows: REGISTRY
            .iter()
            .map(|i| Row {
                id: i.id,
                name: lang.t(i.zh, i.en),
                group: lang.t(i.group.zh(), i.group.en()),
                definition: lang.t(i.definition_zh, i.definition_en),
                formula: i.formula,
                unit: lang.t(i.unit.zh(), i.unit.en()),
                better: if i.higher_is_better {
                    lang.t("越高越好", "higher is better")
                } else {
                    lang.t("越低越好", "lower is better")
                },
                workdays: lang.t(i.workdays_zh, i.workdays_en),
                fed_by: i.fed_by.join(", "),
            })
            .collect(),
    }
    .into_response()
}
