//! The bundle application: one form (prefilled from the account), each
//! material uploaded once, check your answers, one submission; then its
//! page with the sub-cases, the combined correction notice and outcome,
//! 一窗受理 for the clerk, and the applicant's and the window's lists.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use tongban_domain::FieldError;
use tongban_domain::auth::Actor;
use tongban_store::StoreError;
use tongban_store::bundles::BundleRecord;

use super::views::{SlotView, SlotsExt as _, answer_text, page_errors, slot_views};
use crate::AppState;
use crate::chrome::{
    Chrome, CsrfForm, FieldView, Page, errors_at_fields, field_views, form_value, posted,
    signed_in, store_err,
};

pub(super) async fn own_record(
    s: &AppState,
    page: &Page,
    id: i64,
) -> Result<(Actor, BundleRecord), Response> {
    let actor = signed_in(page)?.clone();
    let r = s
        .store
        .bundle_for(&actor, id)
        .await
        .map_err(|e| store_err(page, e))?;
    Ok((actor, r))
}

#[derive(Template, WebTemplate)]
#[template(path = "bundles/bundle_form.html")]
struct FormPage {
    c: Chrome,
    id: i64,
    bundle_no: String,
    name: String,
    items: Vec<String>,
    fields: Vec<FieldView>,
    prefilled: bool,
    errors: Vec<FieldError>,
}

/// Values from the applicant's account for fields that ask the same.
fn prefill(r: &BundleRecord) -> BTreeMap<String, String> {
    let mut v = r.bundle.form.clone();
    if !v.is_empty() {
        return v;
    }
    let phone = r.bundle.applicant_phone.clone();
    for f in &r.fields {
        let k = f.key.as_str();
        if matches!(k, "guardian_name" | "applicant_name" | "handler_name") {
            v.insert(k.into(), r.bundle.applicant_name.clone());
        } else if k == "phone" && !phone.is_empty() {
            v.insert(k.into(), phone.clone());
        }
    }
    v
}

pub(super) async fn form_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let (_, r) = own_record(&s, &page, id).await?;
    if r.bundle.submitted {
        return Ok(Redirect::to(&format!("/bundle-cases/{id}")).into_response());
    }
    let values = prefill(&r);
    let prefilled = r.bundle.form.is_empty() && !values.is_empty();
    Ok(FormPage {
        c: page.chrome(),
        id,
        bundle_no: r.bundle.bundle_no.clone(),
        name: r.bundle.name.clone(),
        items: r.item_names.clone(),
        fields: field_views(&r.fields, &values),
        prefilled,
        errors: vec![],
    }
    .into_response())
}

pub(super) async fn form_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, Response> {
    let actor = posted(&page, &form_value(&raw, "csrf"))?;
    let form: BTreeMap<String, String> = raw
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("form.").map(|k| (k.to_string(), v.clone())))
        .collect();
    match s.store.save_bundle_form(&actor, id, &form).await {
        Ok(_) => Ok(Redirect::to(&format!("/bundle-cases/{id}/materials")).into_response()),
        Err(StoreError::Invalid(e)) => {
            let r = s
                .store
                .bundle_for(&actor, id)
                .await
                .map_err(|e| store_err(&page, e))?;
            let errors = page_errors(e);
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                FormPage {
                    c: page.chrome(),
                    id,
                    bundle_no: r.bundle.bundle_no.clone(),
                    name: r.bundle.name.clone(),
                    items: r.item_names.clone(),
                    fields: errors_at_fields(
                        field_views(&r.fields, &form),
                        &errors,
                        "form_",
                        page.lang,
                    ),
                    prefilled: false,
                    errors,
                },
            )
                .into_response())
        }
        Err(e) => Err(store_err(&page, e)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "bundles/bundle_materials.html")]
struct MaterialsPage {
    c: Chrome,
    id: i64,
    bundle_no: String,
    name: String,
    slots: Vec<SlotView>,
    errors: Vec<FieldError>,
}

pub(super) async fn materials_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let (_, r) = own_record(&s, &page, id).await?;
    if r.bundle.submitted {
        return Ok(Redirect::to(&format!("/bundle-cases/{id}")).into_response());
    }
    Ok(MaterialsPage {
        c: page.chrome(),
        id,
        bundle_no: r.bundle.bundle_no.clone(),
        name: r.bundle.name.clone(),
        slots: slot_views(&r, page.lang),
        errors: vec![],
    }
    .into_response())
}

/// Reads a multipart upload form: csrf and one file.
pub(super) async fn read_upload(
    page: &Page,
    mp: Multipart,
) -> Result<(String, String, Vec<u8>), Response> {
    let f = crate::chrome::read_upload(page, mp).await?;
    Ok((f.csrf, f.name, f.bytes))
}

pub(super) async fn slot_post(
    State(s): State<AppState>,
    page: Page,
    Path((id, slot)): Path<(i64, usize)>,
    mp: Multipart,
) -> Result<Response, Response> {
    let (csrf, name, bytes) = read_upload(&page, mp).await?;
    let actor = posted(&page, &csrf)?;
    match s
        .store
        .bundle_upload(&s.files, &actor, id, slot, &name, bytes)
        .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/bundle-cases/{id}/materials#slot-{slot}")).into_response())
        }
        Err(StoreError::Invalid(e)) => {
            let r = s
                .store
                .bundle_for(&actor, id)
                .await
                .map_err(|e| store_err(&page, e))?;
            let errors =
                e.0.into_iter()
                    .map(|mut e| {
                        e.field = format!("file-{slot}");
                        e
                    })
                    .collect();
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                MaterialsPage {
                    c: page.chrome(),
                    id,
                    bundle_no: r.bundle.bundle_no.clone(),
                    name: r.bundle.name.clone(),
                    slots: slot_views(&r, page.lang),
                    errors,
                },
            )
                .into_response())
        }
        Err(e) => Err(store_err(&page, e)),
    }
}

pub(super) async fn remove_file_post(
    State(s): State<AppState>,
    page: Page,
    Path((id, file)): Path<(i64, i64)>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, Response> {
    let actor = posted(&page, &f.csrf)?;
    s.store
        .bundle_remove_upload(&s.files, &actor, id, file)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(Redirect::to(&format!("/bundle-cases/{id}/materials")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "bundles/bundle_check.html")]
struct CheckPage {
    c: Chrome,
    id: i64,
    bundle_no: String,
    name: String,
    answers: Vec<(String, String)>,
    items: Vec<String>,
    notes: Vec<String>,
    form: Vec<(String, String)>,
    slots: Vec<SlotView>,
    missing: Vec<String>,
    errors: Vec<FieldError>,
}

fn check_view(page: &Page, r: &BundleRecord, errors: Vec<FieldError>) -> CheckPage {
    let slots = slot_views(r, page.lang);
    CheckPage {
        c: page.chrome(),
        id: r.bundle.id,
        bundle_no: r.bundle.bundle_no.clone(),
        name: r.bundle.name.clone(),
        answers: r
            .doc
            .questions
            .iter()
            .filter_map(|q| {
                r.bundle
                    .answers
                    .get(&q.key)
                    .map(|a| (q.text.clone(), answer_text(q.kind, a, page.lang)))
            })
            .collect(),
        items: r.item_names.clone(),
        notes: r.bundle.selection.notes.clone(),
        form: r
            .fields
            .iter()
            .map(|f| {
                (
                    f.label.clone(),
                    r.bundle.form.get(&f.key).cloned().unwrap_or_default(),
                )
            })
            .collect(),
        missing: r
            .missing_slots()
            .into_iter()
            .filter_map(|i| r.slots.get(i).map(|s| s.name.clone()))
            .collect(),
        slots,
        errors,
    }
}

pub(super) async fn check_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let (_, r) = own_record(&s, &page, id).await?;
    if r.bundle.submitted {
        return Ok(Redirect::to(&format!("/bundle-cases/{id}")).into_response());
    }
    Ok(check_view(&page, &r, vec![]).into_response())
}

pub(super) async fn submit_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, Response> {
    let actor = posted(&page, &f.csrf)?;
    match s
        .store
        .submit_bundle(&actor, id, &s.calendar(), s.today())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/bundle-cases/{id}/submitted")).into_response()),
        Err(StoreError::Invalid(e)) => {
            let r = s
                .store
                .bundle_for(&actor, id)
                .await
                .map_err(|e| store_err(&page, e))?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                check_view(&page, &r, page_errors(e)),
            )
                .into_response())
        }
        Err(e) => Err(store_err(&page, e)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "bundles/submitted.html")]
struct SubmittedPage {
    c: Chrome,
    id: i64,
    bundle_no: String,
    verify_code: String,
    name: String,
    items: Vec<String>,
    promised_days: u32,
    state: String,
}

/// The confirmation after submitting a bundle application: its number and
/// verification code, what happens next, the promised limit.
pub(super) async fn submitted_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let (_, r) = own_record(&s, &page, id).await?;
    if !r.bundle.submitted {
        return Ok(Redirect::to(&format!("/bundle-cases/{id}/check")).into_response());
    }
    let lang = page.lang;
    Ok(SubmittedPage {
        c: page.chrome(),
        id,
        bundle_no: r.bundle.bundle_no.clone(),
        verify_code: r.bundle.verify_code.clone(),
        name: r.bundle.name.clone(),
        items: r.item_names.clone(),
        promised_days: r.doc.promised_days.get(),
        state: lang.t(r.bundle.state.zh(), r.bundle.state.en()).to_string(),
    }
    .into_response())
}
