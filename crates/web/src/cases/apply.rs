//! Applying: the apply page with the item's form (and the applicant's
//! identity at the window), uploading the materials, and check your answers
//! before submitting.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_domain::FieldError;
use tongban_domain::auth::{Denied, Role};
use tongban_domain::case::CaseState;
use tongban_domain::clock::{self, SuspendReason};
use tongban_store::StoreError;
use tongban_store::cases::{ApplicantInput, CaseRecord, NewCase};
use tongban_store::shared_data::FetchRecord;

use super::views::{MaterialView, answers, applicant_rows, material_views, state_label};
use crate::AppState;
use crate::chrome::{
    Chrome, FieldView, Page, RequiredCsrfForm, errors_at_fields, field_views, posted, signed_in,
    store_err,
};
use crate::http::ApiError;

#[derive(Template, WebTemplate)]
#[template(path = "cases/apply.html")]
struct ApplyPage {
    c: Chrome,
    code: String,
    item_name: String,
    department: String,
    window: bool,
    /// A concierge applies for an enterprise (named by its user name).
    agent: bool,
    on_behalf_of: String,
    fields: Vec<FieldView>,
    applicant: ApplicantForm,
    errors: Vec<FieldError>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct ApplicantForm {
    applicant_name: String,
    applicant_id_number: String,
    applicant_phone: String,
    applicant_email: String,
}

pub(super) async fn apply_page(
    State(s): State<AppState>,
    page: Page,
    Path(code): Path<String>,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?;
    if !matches!(actor.role, Role::Applicant | Role::Clerk | Role::Concierge) {
        return Err(page.error(ApiError::denied(Denied::Role)));
    }
    let item = s
        .store
        .published_item(&code)
        .await
        .map_err(|e| store_err(&page, e))?
        .ok_or_else(|| page.error(ApiError::not_found(&code)))?;
    Ok(ApplyPage {
        c: page.chrome(),
        code: item.impl_code.clone(),
        item_name: item.doc.name.clone(),
        department: item.department_name.clone(),
        window: actor.role == Role::Clerk,
        agent: actor.role == Role::Concierge,
        on_behalf_of: String::new(),
        fields: field_views(&item.doc.form_fields, &BTreeMap::new()),
        applicant: ApplicantForm::default(),
        errors: vec![],
    }
    .into_response())
}

pub(super) async fn apply_post(
    State(s): State<AppState>,
    page: Page,
    Path(code): Path<String>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, Response> {
    let get = |k: &str| {
        raw.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let actor = posted(&page, &get("csrf"))?;
    let form: BTreeMap<String, String> = raw
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("form.").map(|k| (k.to_string(), v.clone())))
        .collect();
    let applicant = ApplicantForm {
        applicant_name: get("applicant_name"),
        applicant_id_number: get("applicant_id_number"),
        applicant_phone: get("applicant_phone"),
        applicant_email: get("applicant_email"),
    };
    let input = NewCase {
        form: form.clone(),
        applicant: (actor.role == Role::Clerk).then(|| ApplicantInput {
            name: applicant.applicant_name.clone(),
            id_number: applicant.applicant_id_number.clone(),
            phone: applicant.applicant_phone.clone(),
            email: applicant.applicant_email.clone(),
        }),
        client_key: Some(get("client_key")).filter(|k| !k.is_empty()),
        on_behalf_of: Some(get("on_behalf_of")).filter(|k| !k.is_empty()),
    };
    match s.store.create_case(&actor, &code, input).await {
        Ok(c) => Ok(Redirect::to(&format!("/cases/{}/materials", c.id)).into_response()),
        Err(StoreError::Invalid(errs)) => {
            let item = s
                .store
                .published_item(&code)
                .await
                .map_err(|e| store_err(&page, e))?
                .ok_or_else(|| page.error(ApiError::not_found(&code)))?;
            let errors: Vec<FieldError> = errs
                .0
                .into_iter()
                .map(|mut e| {
                    e.field = e.field.replace('.', "_");
                    // An authorization's refusal is about the enterprise named.
                    if e.field == "mandate" {
                        e.field = "on_behalf_of".into();
                    }
                    e
                })
                .collect();
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                ApplyPage {
                    c: page.chrome(),
                    code: item.impl_code.clone(),
                    item_name: item.doc.name.clone(),
                    department: item.department_name.clone(),
                    window: actor.role == Role::Clerk,
                    agent: actor.role == Role::Concierge,
                    on_behalf_of: get("on_behalf_of"),
                    fields: errors_at_fields(
                        field_views(&item.doc.form_fields, &form),
                        &errors,
                        "form_",
                        page.lang,
                    ),
                    applicant,
                    errors,
                },
            )
                .into_response())
        }
        Err(e) => Err(store_err(&page, e)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "cases/case_materials.html")]
struct MaterialsPage {
    c: Chrome,
    id: i64,
    /// Files may be added now (by this user).
    can_upload: bool,
    case_no: String,
    item_name: String,
    state: String,
    draft: bool,
    materials: Vec<MaterialView>,
    errors: Vec<FieldError>,
}

pub(super) async fn materials_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?;
    let r = s
        .store
        .case_for(actor, id)
        .await
        .map_err(|e| store_err(&page, e))?;
    let fetches = s
        .store
        .case_fetches_for(actor, &r.case)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(materials_view(&page, &r, &fetches, vec![]).into_response())
}

fn materials_view(
    page: &Page,
    r: &CaseRecord,
    fetches: &[FetchRecord],
    errors: Vec<FieldError>,
) -> MaterialsPage {
    let c = &r.case;
    let (owner, clerk) = match &page.session {
        Some(s) => (
            c.applicant_user_id == Some(s.actor.user_id) || c.created_by == s.actor.user_id,
            s.actor.role == Role::Clerk,
        ),
        None => (false, false),
    };
    let correcting = c.state == CaseState::Suspended
        && matches!(
            c.clock.last(),
            Some(clock::ClockEvent::Suspended {
                reason: SuspendReason::Correction,
                ..
            })
        );
    let open = matches!(c.state, CaseState::Draft | CaseState::Correction) || correcting;
    MaterialsPage {
        can_upload: ((owner || clerk) && open) || (clerk && c.state == CaseState::Submitted),
        c: page.chrome(),
        id: r.case.id,
        case_no: r.case.case_no.clone(),
        item_name: r.case.item_name.clone(),
        state: state_label(r.case.state, page.lang),
        draft: r.case.state == CaseState::Draft,
        materials: material_views(r, fetches, page.lang, clerk),
        errors,
    }
}

pub(super) async fn upload_post(
    State(s): State<AppState>,
    page: Page,
    Path((id, idx)): Path<(i64, usize)>,
    mut mp: Multipart,
) -> Result<Response, Response> {
    let mut csrf = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut back = String::new();
    let bad = |page: &Page| {
        page.error(ApiError::bad_request(
            "上传的表单不完整",
            "the upload form is incomplete",
        ))
    };
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err(bad(&page)),
        };
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.map_err(|_| bad(&page))?,
            "back" => back = field.text().await.map_err(|_| bad(&page))?,
            "file" => {
                let name = field.file_name().unwrap_or_default().to_string();
                let bytes = field.bytes().await.map_err(|_| bad(&page))?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    let actor = posted(&page, &csrf)?;
    let (name, bytes) = file.unwrap_or_default();
    let target = if back == "case" {
        format!("/cases/{id}")
    } else {
        format!("/cases/{id}/materials")
    };
    match s
        .store
        .upload(&s.files, &actor, id, idx, &name, bytes)
        .await
    {
        Ok(_) => Ok(Redirect::to(&target).into_response()),
        Err(StoreError::Invalid(errs)) => {
            let r = s
                .store
                .case_for(&actor, id)
                .await
                .map_err(|e| store_err(&page, e))?;
            let fetches = s
                .store
                .case_fetches_for(&actor, &r.case)
                .await
                .map_err(|e| store_err(&page, e))?;
            let errors = errs
                .0
                .into_iter()
                .map(|mut e| {
                    e.field = format!("file-{idx}");
                    e
                })
                .collect();
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                materials_view(&page, &r, &fetches, errors),
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
    Form(f): Form<RequiredCsrfForm>,
) -> Result<Response, Response> {
    let actor = posted(&page, &f.csrf)?;
    s.store
        .remove_upload(&s.files, &actor, id, file)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(Redirect::to(&format!("/cases/{id}/materials")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "cases/case_check.html")]
struct CheckPage {
    c: Chrome,
    id: i64,
    version: i64,
    case_no: String,
    item_name: String,
    applicant: Vec<(String, String)>,
    answers: Vec<(String, String)>,
    materials: Vec<MaterialView>,
    missing: Vec<String>,
}

pub(super) async fn check_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?;
    let r = s
        .store
        .case_for(actor, id)
        .await
        .map_err(|e| store_err(&page, e))?;
    if r.case.state != CaseState::Draft {
        return Ok(Redirect::to(&format!("/cases/{id}")).into_response());
    }
    let lang = page.lang;
    let materials = material_views(&r, &[], lang, false);
    let missing = materials
        .iter()
        .filter(|m| m.required && m.files.is_empty())
        .map(|m| m.name.clone())
        .collect();
    Ok(CheckPage {
        c: page.chrome(),
        id,
        version: r.case.version,
        case_no: r.case.case_no.clone(),
        item_name: r.case.item_name.clone(),
        applicant: applicant_rows(&r.case, lang),
        answers: answers(&r),
        materials,
        missing,
    }
    .into_response())
}
