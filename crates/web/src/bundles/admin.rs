//! The catalogue admin's bundle editor: the bundles with the form for a
//! new one, and a bundle's versions with its definition in JSON and as
//! readable rules, saving a draft, a new version and publishing.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_domain::FieldError;
use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::bundle::{BundleDoc, Condition, Effect};
use tongban_store::StoreError;

use super::views::{SavingsView, page_errors, savings_view};
use crate::AppState;
use crate::chrome::{Chrome, CsrfForm, Page, store_err, url_encode};
use crate::http::ApiError;

pub(super) fn admin(page: &Page) -> Result<&Actor, Response> {
    let (_, a) = page.staff()?;
    if a.role != Role::CatalogAdmin {
        return Err(page.error(ApiError::denied(Denied::Role)));
    }
    if a.department_id.is_some() {
        return Err(page.error(ApiError::denied(Denied::Department)));
    }
    Ok(a)
}

#[derive(Template, WebTemplate)]
#[template(path = "bundles/admin_bundles.html")]
struct AdminListPage {
    c: Chrome,
    rows: Vec<(String, String, i64, String)>,
    code: String,
    json: String,
    errors: Vec<FieldError>,
}

const NEW_BUNDLE: &str = r#"{
 "name": "",
 "event": "",
 "guide": "",
 "items": [],
 "questions": [],
 "rules": [],
 "fields": [],
 "promised_days": 5,
 "onsite_visits": 0
}"#;

async fn admin_list(
    s: &AppState,
    page: &Page,
    code: String,
    json: String,
    errors: Vec<FieldError>,
) -> Result<AdminListPage, Response> {
    let a = admin(page)?;
    let all = s
        .store
        .admin_bundles(a)
        .await
        .map_err(|e| store_err(page, e))?;
    let lang = page.lang;
    Ok(AdminListPage {
        c: page.chrome(),
        rows: all
            .iter()
            .map(|v| {
                (
                    v.code.clone(),
                    v.doc.name.clone(),
                    v.version,
                    lang.t(v.status.zh(), v.status.en()).to_string(),
                )
            })
            .collect(),
        code,
        json,
        errors,
    })
}

pub(super) async fn admin_list_page(
    State(s): State<AppState>,
    page: Page,
) -> Result<Response, Response> {
    Ok(
        admin_list(&s, &page, String::new(), NEW_BUNDLE.into(), vec![])
            .await?
            .into_response(),
    )
}

fn parse_doc(json: &str) -> Result<BundleDoc, Vec<FieldError>> {
    serde_json::from_str(json).map_err(|e| {
        vec![FieldError::new(
            "doc",
            "invalid_json",
            format!(
                "定义不是有效的一件事JSON：第{}行第{}列：{e}",
                e.line(),
                e.column()
            ),
            format!(
                "not a valid bundle definition: line {}, column {}: {e}",
                e.line(),
                e.column()
            ),
        )]
    })
}

#[derive(Deserialize)]
pub(super) struct AdminForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    doc: String,
}

pub(super) async fn admin_create_post(
    State(s): State<AppState>,
    page: Page,
    Form(f): Form<AdminForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    let actor = actor.clone();
    let res = match parse_doc(&f.doc) {
        Ok(doc) => s
            .store
            .create_bundle(&actor, f.code.trim(), &doc)
            .await
            .map_err(|e| match e {
                StoreError::Invalid(e) => Ok(page_errors(e)),
                e => Err(e),
            }),
        Err(e) => Err(Ok(e)),
    };
    match res {
        Ok(_) => Ok(
            Redirect::to(&format!("/admin/bundles/{}", url_encode(f.code.trim()))).into_response(),
        ),
        Err(Ok(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            admin_list(&s, &page, f.code, f.doc, errors).await?,
        )
            .into_response()),
        Err(Err(e)) => Err(store_err(&page, e)),
    }
}

struct ReadableRule {
    when: String,
    then: Vec<String>,
}

fn condition_text(c: &Condition, doc: &BundleDoc) -> String {
    let q = |k: &str| {
        doc.questions
            .iter()
            .find(|q| q.key == k)
            .map(|q| q.text.clone())
            .unwrap_or_else(|| k.to_string())
    };
    match c {
        Condition::Is { question, value } => format!("“{}” = {value}", q(question)),
        Condition::Below { question, value } => format!("“{}” < {value}", q(question)),
        Condition::All { of } => of
            .iter()
            .map(|c| condition_text(c, doc))
            .collect::<Vec<_>>()
            .join(" 且 "),
        Condition::Any { of } => of
            .iter()
            .map(|c| condition_text(c, doc))
            .collect::<Vec<_>>()
            .join(" 或 "),
        Condition::Not { of } => format!("非（{}）", condition_text(of, doc)),
    }
}

fn effect_text(e: &Effect, names: &HashMap<String, String>) -> String {
    let n = |c: &str| names.get(c).cloned().unwrap_or_else(|| c.to_string());
    match e {
        Effect::IncludeItem { item } => format!("办理：{}", n(item)),
        Effect::ExcludeItem { item } => format!("不办理：{}", n(item)),
        Effect::DropMaterial { item, material } => format!("{}免交：{material}", n(item)),
        Effect::Note { text } => format!("提示：{text}"),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "bundles/admin_bundle.html")]
struct AdminBundlePage {
    c: Chrome,
    code: String,
    name: String,
    versions: Vec<(i64, i64, String, bool)>,
    draft_id: Option<i64>,
    json: String,
    items: Vec<(String, String)>,
    questions: Vec<(String, String, String)>,
    rules: Vec<ReadableRule>,
    fields: Vec<(String, String, String, Vec<String>)>,
    savings: Option<SavingsView>,
    promised_days: u32,
    errors: Vec<FieldError>,
    saved: bool,
}

async fn admin_bundle(
    s: &AppState,
    page: &Page,
    code: &str,
    json: Option<String>,
    errors: Vec<FieldError>,
) -> Result<AdminBundlePage, Response> {
    let _ = admin(page)?;
    let versions = s
        .store
        .bundle_versions(code)
        .await
        .map_err(|e| store_err(page, e))?;
    let Some(shown) = versions
        .iter()
        .find(|v| v.status == tongban_domain::catalog::ItemStatus::Draft)
        .or_else(|| versions.last())
        .cloned()
    else {
        return Err(page.error(ApiError::not_found(code)));
    };
    let lang = page.lang;
    let names: HashMap<String, String> = {
        let mut m = HashMap::new();
        for bi in &shown.doc.items {
            if let Ok(Some(i)) = s.store.published_item(&bi.item).await {
                m.insert(bi.item.clone(), i.doc.name.clone());
            }
        }
        m
    };
    let published = s.store.published_bundle(code).await.ok().flatten();
    let doc = &shown.doc;
    Ok(AdminBundlePage {
        c: page.chrome(),
        code: code.to_string(),
        name: doc.name.clone(),
        versions: versions
            .iter()
            .map(|v| {
                (
                    v.id,
                    v.version,
                    lang.t(v.status.zh(), v.status.en()).to_string(),
                    v.id == shown.id,
                )
            })
            .collect(),
        draft_id: (shown.status == tongban_domain::catalog::ItemStatus::Draft).then_some(shown.id),
        json: json.unwrap_or_else(|| serde_json::to_string_pretty(doc).unwrap_or_default()),
        items: doc
            .items
            .iter()
            .map(|i| {
                (
                    names
                        .get(&i.item)
                        .cloned()
                        .unwrap_or_else(|| format!("{}（未发布）", i.item)),
                    if i.default {
                        lang.t("默认办理", "by default")
                    } else {
                        lang.t("按情形", "when a rule selects it")
                    }
                    .to_string(),
                )
            })
            .collect(),
        questions: doc
            .questions
            .iter()
            .map(|q| {
                (
                    q.key.clone(),
                    q.text.clone(),
                    if q.options.is_empty() {
                        format!("{:?}", q.kind)
                    } else {
                        q.options.join(" / ")
                    },
                )
            })
            .collect(),
        rules: doc
            .rules
            .iter()
            .map(|r| ReadableRule {
                when: condition_text(&r.when, doc),
                then: r.then.iter().map(|e| effect_text(e, &names)).collect(),
            })
            .collect(),
        fields: doc
            .fields
            .iter()
            .map(|f| {
                (
                    f.key.clone(),
                    f.label.clone(),
                    f.kind.as_str().to_string(),
                    f.maps_to
                        .iter()
                        .map(|t| {
                            format!(
                                "{}.{}",
                                names
                                    .get(&t.item)
                                    .cloned()
                                    .unwrap_or_else(|| t.item.clone()),
                                t.field
                            )
                        })
                        .collect(),
                )
            })
            .collect(),
        savings: published.map(|p| savings_view(&p.savings)),
        promised_days: doc.promised_days.get(),
        errors,
        saved: false,
    })
}

pub(super) async fn admin_bundle_page(
    State(s): State<AppState>,
    page: Page,
    Path(code): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, Response> {
    let mut p = admin_bundle(&s, &page, &code, None, vec![]).await?;
    p.saved = q.iter().any(|(k, _)| k == "saved");
    Ok(p.into_response())
}

pub(super) async fn admin_new_version_post(
    State(s): State<AppState>,
    page: Page,
    Path(code): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    let actor = actor.clone();
    s.store
        .new_bundle_version(&actor, &code)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(Redirect::to(&format!("/admin/bundles/{}", url_encode(&code))).into_response())
}

pub(super) async fn admin_save_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<AdminForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    let actor = actor.clone();
    let v = s
        .store
        .bundle_version(id)
        .await
        .map_err(|e| store_err(&page, e))?;
    let res = match parse_doc(&f.doc) {
        Ok(doc) => match s.store.update_bundle_draft(&actor, id, &doc).await {
            Ok(_) => Ok(()),
            Err(StoreError::Invalid(e)) => Err(page_errors(e)),
            Err(e) => return Err(store_err(&page, e)),
        },
        Err(e) => Err(e),
    };
    match res {
        Ok(()) => Ok(
            Redirect::to(&format!("/admin/bundles/{}?saved=1", url_encode(&v.code)))
                .into_response(),
        ),
        Err(errors) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            admin_bundle(&s, &page, &v.code, Some(f.doc), errors).await?,
        )
            .into_response()),
    }
}

pub(super) async fn admin_publish_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    let actor = actor.clone();
    let v = s
        .store
        .bundle_version(id)
        .await
        .map_err(|e| store_err(&page, e))?;
    match s.store.publish_bundle(&actor, id).await {
        Ok(_) => Ok(Redirect::to(&format!("/bundles/{}", url_encode(&v.code))).into_response()),
        Err(StoreError::Invalid(e)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            admin_bundle(&s, &page, &v.code, None, page_errors(e)).await?,
        )
            .into_response()),
        Err(e) => Err(store_err(&page, e)),
    }
}
