//! The decision rules page of an item version: the tables, the test
//! results, the shared-data lookups, and the form to upload the model.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_domain::FieldError;
use tongban_domain::catalog::{DecisionSpec, ItemStatus};

use super::api::{RulesView, save, view};
use crate::AppState;
use crate::chrome::{Chrome, Page};
use crate::http::visible_version;

#[derive(Template, WebTemplate)]
#[template(path = "shared_data/admin_rules.html")]
struct RulesPage {
    c: Chrome,
    id: i64,
    item_name: String,
    draft: bool,
    v: RulesView,
    json: String,
    lookups: Vec<String>,
    errors: Vec<FieldError>,
}

async fn render(
    s: &AppState,
    page: &Page,
    id: i64,
    json: Option<String>,
    errors: Vec<FieldError>,
) -> Result<RulesPage, Response> {
    let (_, actor) = page.staff()?;
    let item = visible_version(s, actor, id)
        .await
        .map_err(|e| page.error(e))?;
    let v = view(item.doc.decision.as_ref());
    Ok(RulesPage {
        c: page.chrome(),
        id,
        item_name: item.doc.name.clone(),
        draft: item.status == ItemStatus::Draft,
        json: json.unwrap_or_else(|| {
            item.doc
                .decision
                .as_ref()
                .and_then(|d| serde_json::to_string_pretty(d).ok())
                .unwrap_or_default()
        }),
        lookups: item
            .doc
            .shared_data
            .iter()
            .map(|l| {
                let mut t = format!("{}（按{}查询）", l.source, l.key);
                if !l.satisfies.is_empty() {
                    t.push_str(&format!("，免交：{}", l.satisfies.join("、")));
                }
                if !l.compare.is_empty() {
                    let c: Vec<String> = l
                        .compare
                        .iter()
                        .map(|c| format!("{}↔{}", c.form_field, c.source_field))
                        .collect();
                    t.push_str(&format!("，比对：{}", c.join("、")));
                }
                t
            })
            .collect(),
        v,
        errors,
    })
}

pub(super) async fn page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    Ok(render(&s, &page, id, None, vec![]).await?.into_response())
}

#[derive(Deserialize)]
pub(super) struct RulesForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    spec: String,
}

pub(super) async fn page_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<RulesForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    let actor = actor.clone();
    let spec: Option<DecisionSpec> = if f.spec.trim().is_empty() {
        None
    } else {
        match serde_json::from_str(&f.spec) {
            Ok(v) => Some(v),
            Err(e) => {
                let err = FieldError::new(
                    "spec",
                    "invalid_json",
                    format!("不是有效的决策规则JSON（第{}行）：{e}", e.line()),
                    format!("not a valid decision JSON (line {}): {e}", e.line()),
                );
                return Ok((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    render(&s, &page, id, Some(f.spec), vec![err]).await?,
                )
                    .into_response());
            }
        }
    };
    match save(&s, &actor, id, spec).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/items/{id}/rules")).into_response()),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let msg = e.in_lang(page.lang).message().to_string();
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render(
                    &s,
                    &page,
                    id,
                    Some(f.spec),
                    vec![FieldError::new("spec", "invalid", msg.clone(), msg)],
                )
                .await?,
            )
                .into_response())
        }
        Err(e) => Err(page.error(e)),
    }
}
