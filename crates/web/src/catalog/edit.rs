//! Editing a draft: the item form with every scalar guide element, and its
//! materials one by one (add, change, remove).

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use tongban_domain::FieldError;
use tongban_domain::catalog::*;
use tongban_store::catalog::ItemVersion;

use super::admin::managed;
use super::forms::{ItemForm, MaterialForm};
use crate::AppState;
use crate::chrome::{Choice, Chrome, Page, options, store_err};
use crate::http::ApiError;

#[derive(Template, WebTemplate)]
#[template(path = "catalog/admin_item_edit.html")]
struct EditPage {
    c: Chrome,
    errors: Vec<FieldError>,
    id: i64,
    f: ItemForm,
    item_types: Vec<Choice>,
    business_kinds: Vec<Choice>,
    levels: Vec<Choice>,
    case_kinds: Vec<Choice>,
    legal_units: Vec<Choice>,
    promised_units: Vec<Choice>,
    depths: Vec<Choice>,
    result_types: Vec<Choice>,
}

fn edit_page_view(page: &Page, id: i64, f: ItemForm, errors: Vec<FieldError>) -> Response {
    let lang = page.lang;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let view = EditPage {
        item_types: options(ItemType::ALL, &f.item_type, lang),
        business_kinds: options(BusinessKind::ALL, &f.business_kind, lang),
        levels: options(ExerciseLevel::ALL, &f.exercise_level, lang),
        case_kinds: options(CaseKind::ALL, &f.case_kind, lang),
        legal_units: options(DayUnit::ALL, &f.legal_unit, lang),
        promised_units: options(DayUnit::ALL, &f.promised_unit, lang),
        depths: options(OnlineDepth::ALL, &f.online_depth, lang),
        result_types: options(ResultType::ALL, &f.result_type, lang),
        id,
        f,
        errors,
        c: page.chrome(),
    };
    (status, view).into_response()
}

fn must_be_draft(page: &Page, item: &ItemVersion) -> Result<(), Response> {
    if item.status == ItemStatus::Draft {
        Ok(())
    } else {
        Err(page.error(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "已发布的版本不能修改，请新建版本",
            "a published version cannot change; create a new version",
        )))
    }
}

pub(super) async fn edit_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let item = managed(&s, &page, id).await?;
    must_be_draft(&page, &item)?;
    Ok(edit_page_view(
        &page,
        id,
        ItemForm::from_doc(&item.doc, item.updated_at),
        vec![],
    ))
}

pub(super) async fn edit_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<ItemForm>,
) -> Result<Response, Response> {
    page.posted(&f.csrf)?;
    let item = managed(&s, &page, id).await?;
    must_be_draft(&page, &item)?;
    let doc = match f.apply(&item.doc) {
        Ok(d) => d,
        Err(e) => return Ok(edit_page_view(&page, id, f, e.0)),
    };
    let expected = f.updated_at.parse::<i64>().ok();
    match s
        .store
        .update_draft_by(id, &doc, expected, page.user_id())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/admin/items/{id}?notice=saved")).into_response()),
        Err(tongban_store::StoreError::Invalid(e)) => Ok(edit_page_view(&page, id, f, e.0)),
        Err(tongban_store::StoreError::Conflict { zh, en }) => {
            // Keep what was typed; the summary says why it was not saved.
            let e = FieldError::new("updated_at", "conflict", zh, en);
            Ok(edit_page_view(&page, id, f, vec![e]))
        }
        Err(e) => Err(store_err(&page, e)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "catalog/admin_material.html")]
struct MaterialPage {
    c: Chrome,
    errors: Vec<FieldError>,
    id: i64,
    index: usize,
    is_new: bool,
    item_name: String,
    action: String,
    f: MaterialForm,
    types: Vec<Choice>,
    sources: Vec<Choice>,
    necessities: Vec<Choice>,
    forms: Vec<Choice>,
    trust: Vec<Choice>,
}

fn material_view(
    page: &Page,
    item: &ItemVersion,
    index: Option<usize>,
    f: MaterialForm,
    errors: Vec<FieldError>,
) -> Response {
    let lang = page.lang;
    let types = options(MaterialType::ALL, &f.material_type, lang);
    let sources = options(MaterialSource::ALL, &f.source, lang);
    let necessities = options(Necessity::ALL, &f.necessity, lang);
    let forms = options(SubmitForm::ALL, &f.submit_form, lang);
    let trust = options(TrustLevel::ALL, &f.trust_level, lang);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let action = match index {
        Some(i) => format!("/admin/items/{}/materials/{i}", item.id),
        None => format!("/admin/items/{}/materials/new", item.id),
    };
    (
        status,
        MaterialPage {
            id: item.id,
            index: index.unwrap_or(0),
            is_new: index.is_none(),
            item_name: item.doc.name.clone(),
            action,
            f,
            types,
            sources,
            necessities,
            forms,
            trust,
            errors,
            c: page.chrome(),
        },
    )
        .into_response()
}

pub(super) async fn material_new_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let item = managed(&s, &page, id).await?;
    must_be_draft(&page, &item)?;
    let f = MaterialForm {
        material_type: "1".into(),
        updated_at: item.updated_at.to_string(),
        originals: "0".into(),
        copies: "0".into(),
        ..Default::default()
    };
    Ok(material_view(&page, &item, None, f, vec![]))
}

async fn save_material(
    s: &AppState,
    page: &Page,
    item: ItemVersion,
    index: Option<usize>,
    f: MaterialForm,
) -> Result<Response, Response> {
    let base = index.and_then(|i| item.doc.materials.get(i));
    let m = match f.to_material(base) {
        Ok(m) => m,
        Err(e) => return Ok(material_view(page, &item, index, f, e.0)),
    };
    let mut doc = item.doc.clone();
    match index {
        Some(i) if i < doc.materials.len() => doc.materials[i] = m,
        Some(_) => return Err(page.error(ApiError::not_found("material"))),
        None => doc.materials.push(m),
    }
    match s
        .store
        .update_draft_by(item.id, &doc, f.updated_at.parse().ok(), page.user_id())
        .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/admin/items/{}?notice=saved", item.id)).into_response())
        }
        Err(tongban_store::StoreError::Invalid(e)) => Ok(material_view(page, &item, index, f, e.0)),
        Err(tongban_store::StoreError::Conflict { zh, en }) => {
            let e = FieldError::new("updated_at", "conflict", zh, en);
            Ok(material_view(page, &item, index, f, vec![e]))
        }
        Err(e) => Err(store_err(page, e)),
    }
}

pub(super) async fn material_new_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<MaterialForm>,
) -> Result<Response, Response> {
    page.posted(&f.csrf)?;
    let item = managed(&s, &page, id).await?;
    must_be_draft(&page, &item)?;
    save_material(&s, &page, item, None, f).await
}

pub(super) async fn material_page(
    State(s): State<AppState>,
    page: Page,
    Path((id, idx)): Path<(i64, usize)>,
) -> Result<Response, Response> {
    let item = managed(&s, &page, id).await?;
    must_be_draft(&page, &item)?;
    let m = item
        .doc
        .materials
        .get(idx)
        .ok_or_else(|| page.error(ApiError::not_found("material")))?;
    let f = MaterialForm::from_material(m, item.updated_at);
    Ok(material_view(&page, &item, Some(idx), f, vec![]))
}

pub(super) async fn material_post(
    State(s): State<AppState>,
    page: Page,
    Path((id, idx)): Path<(i64, usize)>,
    Form(f): Form<MaterialForm>,
) -> Result<Response, Response> {
    page.posted(&f.csrf)?;
    let item = managed(&s, &page, id).await?;
    must_be_draft(&page, &item)?;
    save_material(&s, &page, item, Some(idx), f).await
}

pub(super) async fn material_delete(
    State(s): State<AppState>,
    page: Page,
    Path((id, idx)): Path<(i64, usize)>,
    Form(f): Form<MaterialForm>,
) -> Result<Response, Response> {
    page.posted(&f.csrf)?;
    let item = managed(&s, &page, id).await?;
    must_be_draft(&page, &item)?;
    let mut doc = item.doc.clone();
    if idx >= doc.materials.len() {
        return Err(page.error(ApiError::not_found("material")));
    }
    doc.materials.remove(idx);
    s.store
        .update_draft_by(id, &doc, f.updated_at.parse().ok(), page.user_id())
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(Redirect::to(&format!("/admin/items/{id}?notice=saved")).into_response())
}
