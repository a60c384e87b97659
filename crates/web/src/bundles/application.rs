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
use tongban_domain::auth::{Actor, Role};
use tongban_domain::case::{Deficiency, Problem};
use tongban_domain::codes::mask_name;
use tongban_store::StoreError;
use tongban_store::bundles::BundleRecord;

use super::views::{SlotView, SlotsExt as _, answer_text, page_errors, slot_views};
use crate::AppState;
use crate::chrome::{
    Chrome, CsrfForm, FieldView, Page, errors_at_fields, field_views, fmt_time, form_value, posted,
    signed_in, store_err,
};
use crate::http::ApiError;

async fn own_record(s: &AppState, page: &Page, id: i64) -> Result<(Actor, BundleRecord), Response> {
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
async fn read_upload(
    page: &Page,
    mut mp: Multipart,
) -> Result<(String, String, Vec<u8>), Response> {
    let mut csrf = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
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
            Err(_) => return Err(bad(page)),
        };
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.map_err(|_| bad(page))?,
            "file" => {
                let name = field.file_name().unwrap_or_default().to_string();
                let bytes = field.bytes().await.map_err(|_| bad(page))?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    let (name, bytes) = file.unwrap_or_default();
    Ok((csrf, name, bytes))
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

struct SubView {
    id: i64,
    case_no: String,
    item_name: String,
    department: String,
    state: String,
    promised_due: String,
    waiting: bool,
}

/// Case number, item, department, outcome, entries, decision document, case id.
type NoticeRow = (
    String,
    String,
    String,
    String,
    Vec<String>,
    Option<i64>,
    i64,
);

struct NoticeView {
    number: String,
    title: String,
    paragraphs: Vec<String>,
    lines: Vec<NoticeRow>,
    date: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "bundles/bundle_case.html")]
struct BundleCasePage {
    c: Chrome,
    id: i64,
    bundle_no: String,
    name: String,
    state: String,
    state_key: &'static str,
    applicant: String,
    submitted_at: String,
    promised_days: u32,
    subs: Vec<SubView>,
    correction: Option<NoticeView>,
    completion: Option<NoticeView>,
    /// Slots the applicant may upload corrections to.
    correction_slots: Vec<SlotView>,
    can_supply: bool,
    can_accept: bool,
    /// For the clerk: each sub-case awaiting intake with its materials.
    intake: Vec<IntakeView>,
    notes: Vec<String>,
}

struct IntakeView {
    case_id: i64,
    item_name: String,
    /// index, name, 受理标准, files uploaded, required (and not waived), waived
    materials: Vec<(usize, String, String, usize, bool, bool)>,
}

fn notice_view(n: &tongban_store::bundles::BundleNotice) -> NoticeView {
    NoticeView {
        number: n.number.clone(),
        title: n.body.title.clone(),
        paragraphs: n.body.paragraphs.clone(),
        lines: n
            .body
            .lines
            .iter()
            .map(|l| {
                (
                    l.case_no.clone(),
                    l.item_name.clone(),
                    l.department.clone(),
                    l.outcome.clone(),
                    l.entries.clone(),
                    l.document_id,
                    l.case_id,
                )
            })
            .collect(),
        date: n.body.date.map(|d| d.to_string()).unwrap_or_default(),
    }
}

pub(super) async fn bundle_case_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let (actor, r) = own_record(&s, &page, id).await?;
    if !r.bundle.submitted {
        return Ok(Redirect::to(&format!("/bundle-cases/{id}/check")).into_response());
    }
    let lang = page.lang;
    let owner = actor.role == Role::Applicant;
    let waiting_codes: Vec<&str> = r
        .sub_cases
        .iter()
        .filter(|c| {
            c.state == tongban_domain::case::CaseState::Correction
                || (c.state == tongban_domain::case::CaseState::Suspended
                    && matches!(
                        c.clock.last(),
                        Some(tongban_domain::clock::ClockEvent::Suspended {
                            reason: tongban_domain::clock::SuspendReason::Correction,
                            ..
                        })
                    ))
        })
        .map(|c| c.impl_code.as_str())
        .collect();
    let correction = r.open_correction().map(notice_view);
    let correction_slots = if owner && correction.is_some() {
        slot_views(&r, page.lang)
            .into_iter()
            .zip(&r.slots)
            .filter(|(_, s)| {
                s.uses
                    .iter()
                    .any(|(c, _)| waiting_codes.contains(&c.as_str()))
            })
            .map(|(v, _)| SlotView { files: vec![], ..v })
            .collect()
    } else {
        vec![]
    };
    // Masked for this viewer by the store (`bundle_for`).
    let name = r.bundle.applicant_name.clone();
    let mut intake = Vec::new();
    if actor.role == Role::Clerk {
        for c in r
            .sub_cases
            .iter()
            .filter(|c| c.state == tongban_domain::case::CaseState::Submitted)
        {
            let doc = s
                .store
                .item_doc(c.item_version_id)
                .await
                .map_err(|e| store_err(&page, e))?;
            let files = s
                .store
                .case_files_for(&actor, c)
                .await
                .map_err(|e| store_err(&page, e))?;
            intake.push(IntakeView {
                case_id: c.id,
                item_name: c.item_name.clone(),
                materials: doc
                    .materials
                    .iter()
                    .enumerate()
                    .map(|(i, m)| {
                        let waived = c.waived.contains(&i);
                        (
                            i,
                            m.name.clone(),
                            m.acceptance_standard.clone(),
                            files
                                .iter()
                                .filter(|f| f.material_index == i as i64)
                                .count(),
                            !waived
                                && matches!(
                                    m.necessity,
                                    None | Some(tongban_domain::catalog::Necessity::Required)
                                ),
                            waived,
                        )
                    })
                    .collect(),
            });
        }
    }
    Ok(BundleCasePage {
        c: page.chrome(),
        id,
        bundle_no: r.bundle.bundle_no.clone(),
        name: r.bundle.name.clone(),
        state: lang.t(r.bundle.state.zh(), r.bundle.state.en()).to_string(),
        state_key: r.bundle.state.as_str(),
        applicant: name,
        submitted_at: r.bundle.submitted_at.map(fmt_time).unwrap_or_default(),
        promised_days: r.doc.promised_days.get(),
        subs: r
            .sub_cases
            .iter()
            .map(|c| SubView {
                id: c.id,
                case_no: c.case_no.clone(),
                item_name: c.item_name.clone(),
                department: c.lead_department_name.clone(),
                state: lang.t(c.state.zh(), c.state.en()).to_string(),
                promised_due: c
                    .promised_due
                    .map(|d| crate::chrome::fmt_due(&s.calendar(), d, lang))
                    .unwrap_or_default(),
                waiting: waiting_codes.contains(&c.impl_code.as_str()),
            })
            .collect(),
        can_supply: owner && correction.is_some(),
        correction,
        completion: r.completion().map(notice_view),
        correction_slots,
        can_accept: actor.role == Role::Clerk
            && r.sub_cases
                .iter()
                .any(|c| c.state == tongban_domain::case::CaseState::Submitted),
        intake,
        notes: r.bundle.selection.notes.clone(),
    }
    .into_response())
}

/// The clerk's checklist: `p_<case>_<material>` = ok | missing | defective,
/// `n_<case>_<material>` = note.
pub(super) async fn intake_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, Response> {
    let actor = posted(&page, &form_value(&raw, "csrf"))?;
    let mut deficiencies: BTreeMap<i64, Vec<Deficiency>> = BTreeMap::new();
    for (k, v) in &raw {
        let Some(rest) = k.strip_prefix("p_") else {
            continue;
        };
        let problem = match v.as_str() {
            "missing" => Problem::Missing,
            "defective" => Problem::Defective,
            _ => continue,
        };
        let mut parts = rest.splitn(2, '_');
        let (Some(Ok(case_id)), Some(Ok(material))) = (
            parts.next().map(str::parse::<i64>),
            parts.next().map(str::parse::<usize>),
        ) else {
            return Err(page.error(ApiError::bad_request(
                "受理表单不完整",
                "the intake form is malformed",
            )));
        };
        deficiencies.entry(case_id).or_default().push(Deficiency {
            material,
            problem,
            note: form_value(&raw, &format!("n_{case_id}_{material}")),
        });
    }
    s.store
        .intake_bundle(&actor, id, &deficiencies, &s.calendar(), s.today())
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(Redirect::to(&format!("/bundle-cases/{id}")).into_response())
}

pub(super) async fn correction_post(
    State(s): State<AppState>,
    page: Page,
    Path((id, slot)): Path<(i64, usize)>,
    mp: Multipart,
) -> Result<Response, Response> {
    let (csrf, name, bytes) = read_upload(&page, mp).await?;
    let actor = posted(&page, &csrf)?;
    s.store
        .bundle_correction_upload(&s.files, &actor, id, slot, &name, bytes)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(Redirect::to(&format!("/bundle-cases/{id}?uploaded={slot}#correction")).into_response())
}

pub(super) async fn supply_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, Response> {
    let actor = posted(&page, &f.csrf)?;
    s.store
        .supply_bundle_corrections(&actor, id, &s.calendar(), s.today())
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(Redirect::to(&format!("/bundle-cases/{id}")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "bundles/bundle_cases.html")]
struct MyPage {
    c: Chrome,
    clerk: bool,
    rows: Vec<(i64, String, String, String, String, String)>,
}

pub(super) async fn my_page(State(s): State<AppState>, page: Page) -> Result<Response, Response> {
    let actor = signed_in(&page)?.clone();
    let lang = page.lang;
    let clerk = actor.role != Role::Applicant;
    let list = if clerk {
        s.store.bundle_intake_queue(&actor).await
    } else {
        s.store.my_bundles(&actor).await
    }
    .map_err(|e| store_err(&page, e))?;
    Ok(MyPage {
        c: page.chrome(),
        clerk,
        rows: list
            .iter()
            .map(|b| {
                (
                    b.id,
                    b.bundle_no.clone(),
                    b.name.clone(),
                    if clerk {
                        mask_name(&b.applicant_name)
                    } else {
                        b.applicant_name.clone()
                    },
                    lang.t(b.state.zh(), b.state.en()).to_string(),
                    fmt_time(b.updated_at),
                )
            })
            .collect(),
    }
    .into_response())
}
