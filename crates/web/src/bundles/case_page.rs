//! A submitted bundle application's page: the sub-cases, the combined
//! correction notice with what each service still waits for, the combined
//! outcome, 一窗受理 for the clerk (every line checked, files opened from the
//! checklist); and the applicant's and the window's lists.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use tongban_domain::FieldError;
use tongban_domain::auth::Role;
use tongban_domain::case::{Deficiency, Problem};
use tongban_domain::codes::mask_name;
use tongban_store::StoreError;

use super::application::{own_record, read_upload};
use super::views::{SlotView, slot_views};
use crate::AppState;
use crate::chrome::{Chrome, CsrfForm, Page, fmt_time, form_value, posted, signed_in, store_err};
use crate::http::ApiError;

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
    /// Slots the applicant may upload to now: what a correction asks, and
    /// what an earlier service did not issue.
    correction_slots: Vec<CorrectionSlot>,
    can_supply: bool,
    /// The applicant is to supply a document an earlier service did not issue.
    supply_needed: bool,
    can_accept: bool,
    /// For the clerk: each sub-case awaiting intake with its materials.
    intake: Vec<IntakeView>,
    notes: Vec<String>,
    /// The open correction, service by service, with what is still to do.
    waiting_lines: Vec<WaitingLine>,
    errors: Vec<FieldError>,
    flash: String,
}

struct IntakeView {
    case_id: i64,
    item_name: String,
    materials: Vec<IntakeLine>,
}

/// One material of a sub-case on the window's intake checklist.
struct IntakeLine {
    index: usize,
    name: String,
    standard: String,
    /// The uploads, to open: (file id, name).
    files: Vec<(i64, String)>,
    /// Needed and not spared (by the answers, shared data or the bundle).
    required: bool,
    /// Where it comes from when the applicant does not upload it.
    spared: String,
    /// The window checks it (a select on the checklist): not for what the
    /// applicant is spared.
    checkable: bool,
    /// What the clerk chose and noted, when the checklist comes back with errors.
    chosen: String,
    note: String,
}

/// A material the applicant may upload to now.
struct CorrectionSlot {
    view: SlotView,
    /// Supplied in place of a document an earlier service did not issue.
    supply: bool,
    /// Nothing of it is still to do.
    done: bool,
}

/// A service of the bundle waiting for corrections.
struct WaitingLine {
    case_id: i64,
    case_no: String,
    item_name: String,
    department: String,
    /// What the notice asks.
    entries: Vec<String>,
    /// What is still to do (empty: done, ready to submit).
    pending: Vec<String>,
    /// A correction after acceptance in the department's words only: what
    /// is done cannot be told.
    free_text: bool,
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

#[derive(serde::Deserialize)]
pub(super) struct Done {
    done: Option<String>,
}

pub(super) async fn bundle_case_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<Done>,
) -> Result<Response, Response> {
    let flash = match q.done.as_deref() {
        Some("supplied") => page.t(
            "补正材料已提交，相关部门将继续办理。",
            "Your corrections are submitted; the departments carry on.",
        ),
        Some("uploaded") => page.t(
            "材料已上传。全部上传后请点击“补正完毕，提交”。",
            "Uploaded. When everything is uploaded, submit your corrections.",
        ),
        Some("intake") => page.t(
            "已受理；有问题的事项已出具一次性告知书，申请人将收到一份汇总的补正通知。",
            "Accepted; the services with a problem got their one-time notice, and the applicant one combined notice.",
        ),
        _ => String::new(),
    };
    bundle_case_view(&s, &page, id, Vec::new(), flash, &[]).await
}

/// The bundle's page; `errors` (422) when an intake or a supply was refused.
async fn bundle_case_view(
    s: &AppState,
    page: &Page,
    id: i64,
    errors: Vec<FieldError>,
    flash: String,
    posted: &[(String, String)],
) -> Result<Response, Response> {
    let (actor, r) = own_record(s, page, id).await?;
    let posted_value = |k: String| {
        posted
            .iter()
            .find(|(x, _)| *x == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    if !r.bundle.submitted {
        return Ok(Redirect::to(&format!("/bundle-cases/{id}/check")).into_response());
    }
    let lang = page.lang;
    let owner = r.bundle.owned_by(&actor);
    let correcting = |c: &tongban_store::cases::Case| {
        c.state == tongban_domain::case::CaseState::Correction
            || (c.state == tongban_domain::case::CaseState::Suspended
                && matches!(
                    c.clock.last(),
                    Some(tongban_domain::clock::ClockEvent::Suspended {
                        reason: tongban_domain::clock::SuspendReason::Correction,
                        ..
                    })
                ))
    };
    let waiting_codes: Vec<&str> = r
        .sub_cases
        .iter()
        .filter(|c| correcting(c))
        .map(|c| c.impl_code.as_str())
        .collect();
    let correction = r.open_correction().map(notice_view);
    // What each waiting service asks (the materials its notice named, or —
    // a correction after acceptance in the department's words only — any
    // material the applicant brings) and what is still to do.
    let mut asked: Vec<(String, Vec<usize>)> = Vec::new();
    // Materials the applicant now supplies in place of a document an
    // earlier service did not issue: (item code, index).
    let mut to_supply: Vec<(String, usize)> = Vec::new();
    let mut waiting_lines = Vec::new();
    // Materials still to upload, by (item code, index).
    let mut pending_at: Vec<(String, usize)> = Vec::new();
    for c in &r.sub_cases {
        let holds = s
            .store
            .open_holds_of(c)
            .await
            .map_err(|e| store_err(page, e))?;
        if !c.state.is_final() && c.approved.is_none() {
            to_supply.extend(
                holds
                    .iter()
                    .filter(|(_, by_upload)| *by_upload)
                    .map(|(i, _)| (c.impl_code.clone(), *i)),
            );
        }
        let Some(n) = &correction else { continue };
        if !correcting(c) {
            continue;
        }
        let doc = s
            .store
            .item_doc(c.item_version_id)
            .await
            .map_err(|e| store_err(page, e))?;
        let named = s
            .store
            .materials_to_correct(c)
            .await
            .map_err(|e| store_err(page, e))?;
        let facts = s
            .store
            .case_facts(c, &doc, &s.calendar(), s.today())
            .await
            .map_err(|e| store_err(page, e))?;
        let free_text = c.state == tongban_domain::case::CaseState::Suspended && named.is_empty();
        for p in &facts.pending {
            if let Some(i) = doc.materials.iter().position(|m| &m.name == p) {
                pending_at.push((c.impl_code.clone(), i));
            }
        }
        asked.push((
            c.impl_code.clone(),
            if free_text {
                (0..doc.materials.len())
                    .filter(|i| !c.waived.contains(i) && !holds.iter().any(|(m, _)| m == i))
                    .collect()
            } else {
                named
            },
        ));
        waiting_lines.push(WaitingLine {
            case_id: c.id,
            case_no: c.case_no.clone(),
            item_name: c.item_name.clone(),
            department: c.lead_department_name.clone(),
            entries: n
                .lines
                .iter()
                .find(|l| l.6 == c.id)
                .map(|l| l.4.clone())
                .unwrap_or_default(),
            pending: facts.pending,
            free_text,
        });
    }
    let correction_slots: Vec<CorrectionSlot> = if owner {
        slot_views(&r, lang)
            .into_iter()
            .zip(&r.slots)
            .filter_map(|(v, slot)| {
                let asked_here = correction.is_some()
                    && slot.uses.iter().any(|(code, i)| {
                        asked
                            .iter()
                            .any(|(c, named)| c == code && named.contains(i))
                    });
                let supply = slot
                    .uses
                    .iter()
                    .any(|(code, i)| to_supply.iter().any(|(c, m)| c == code && m == i));
                (asked_here || supply).then(|| CorrectionSlot {
                    // Done once no service still lists it as to do.
                    done: asked_here
                        && !slot
                            .uses
                            .iter()
                            .any(|(code, i)| pending_at.iter().any(|(c, m)| c == code && m == i)),
                    supply,
                    view: SlotView { files: vec![], ..v },
                })
            })
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
                .map_err(|e| store_err(page, e))?;
            let files = s
                .store
                .case_files_for(&actor, c)
                .await
                .map_err(|e| store_err(page, e))?;
            let fetches = s
                .store
                .case_fetches_for(&actor, c)
                .await
                .map_err(|e| store_err(page, e))?;
            let holds = s
                .store
                .open_holds_of(c)
                .await
                .map_err(|e| store_err(page, e))?;
            intake.push(IntakeView {
                case_id: c.id,
                item_name: c.item_name.clone(),
                materials: doc
                    .materials
                    .iter()
                    .enumerate()
                    .map(|(i, m)| {
                        let waived = c.waived.contains(&i);
                        // Not the applicant's to bring: nothing for the window to
                        // ask (a 免提交 one the platform did not obtain is).
                        let (spared, is_spared) = if holds.iter().any(|(x, _)| *x == i) {
                            (
                                lang.t(
                                    "由一件事的前序事项出具后转交",
                                    "Passed on when an earlier service issues it",
                                )
                                .to_string(),
                                true,
                            )
                        } else if waived {
                            (
                                lang.t(
                                    "无需提交（按情形免交，或已由平台获取）",
                                    "Not needed (by the answers, or obtained by the platform)",
                                )
                                .to_string(),
                                true,
                            )
                        } else if m.exempt {
                            crate::chrome::provenance_text(
                                &tongban_store::shared_data::provenance(&doc, m, c.state, &fetches),
                                lang,
                                true,
                            )
                        } else {
                            (String::new(), false)
                        };
                        IntakeLine {
                            index: i,
                            name: m.name.clone(),
                            standard: m.acceptance_standard.clone(),
                            files: files
                                .iter()
                                .filter(|f| f.material_index == i as i64)
                                .map(|f| (f.id, f.file_name.clone()))
                                .collect(),
                            required: !is_spared
                                && matches!(
                                    m.necessity,
                                    None | Some(tongban_domain::catalog::Necessity::Required)
                                ),
                            checkable: !is_spared,
                            spared,
                            chosen: posted_value(format!("p_{}_{i}", c.id)),
                            note: posted_value(format!("n_{}_{i}", c.id)),
                        }
                    })
                    .collect(),
            });
        }
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        BundleCasePage {
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
            supply_needed: correction_slots.iter().any(|x| x.supply),
            correction,
            completion: r.completion().map(notice_view),
            correction_slots,
            can_accept: actor.role == Role::Clerk
                && r.sub_cases
                    .iter()
                    .any(|c| c.state == tongban_domain::case::CaseState::Submitted),
            intake,
            notes: r.bundle.selection.notes.clone(),
            waiting_lines,
            errors,
            flash,
        },
    )
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
    // Every line is checked by the clerk: nothing is taken as fine unseen.
    let unchecked: Vec<FieldError> = raw
        .iter()
        .filter(|(k, v)| k.starts_with("p_") && v.is_empty())
        .map(|(k, _)| {
            FieldError::new(
                k.clone(),
                "unchecked",
                "请逐项核对：选择符合、缺少或不符合法定形式",
                "check each line: fine, missing or not in legal form",
            )
        })
        .collect();
    if !unchecked.is_empty() {
        return bundle_case_view(&s, &page, id, unchecked, String::new(), &raw).await;
    }
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
    match s
        .store
        .intake_bundle(&actor, id, &deficiencies, &s.calendar(), s.today())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/bundle-cases/{id}?done=intake")).into_response()),
        Err(StoreError::Invalid(errs)) => {
            bundle_case_view(&s, &page, id, errs.0, String::new(), &raw).await
        }
        Err(e) => Err(store_err(&page, e)),
    }
}

pub(super) async fn correction_post(
    State(s): State<AppState>,
    page: Page,
    Path((id, slot)): Path<(i64, usize)>,
    mp: Multipart,
) -> Result<Response, Response> {
    let (csrf, name, bytes) = read_upload(&page, mp).await?;
    let actor = posted(&page, &csrf)?;
    match s
        .store
        .bundle_correction_upload(&s.files, &actor, id, slot, &name, bytes)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/bundle-cases/{id}?done=uploaded")).into_response()),
        // Refused at the file's own field, with the summary.
        Err(StoreError::Invalid(errs)) => {
            let errors = errs
                .0
                .into_iter()
                .map(|mut e| {
                    e.field = format!("correction-{slot}");
                    e
                })
                .collect();
            bundle_case_view(&s, &page, id, errors, String::new(), &[]).await
        }
        Err(StoreError::Conflict { zh, en }) => {
            let e = FieldError::new(format!("correction-{slot}"), "conflict", zh, en);
            bundle_case_view(&s, &page, id, vec![e], String::new(), &[]).await
        }
        Err(e) => Err(store_err(&page, e)),
    }
}

pub(super) async fn supply_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, Response> {
    let actor = posted(&page, &f.csrf)?;
    match s
        .store
        .supply_bundle_corrections(&actor, id, &s.calendar(), s.today())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/bundle-cases/{id}?done=supplied")).into_response()),
        // What is still to do, at each service of the notice.
        Err(StoreError::Invalid(errs)) => {
            bundle_case_view(&s, &page, id, errs.0, String::new(), &[]).await
        }
        Err(e) => Err(store_err(&page, e)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "bundles/bundle_cases.html")]
struct MyPage {
    c: Chrome,
    clerk: bool,
    rows: Vec<(i64, String, String, String, String, String)>,
    /// The green channel's marks, by application.
    marks: std::collections::HashMap<i64, String>,
}

pub(super) async fn my_page(State(s): State<AppState>, page: Page) -> Result<Response, Response> {
    let actor = signed_in(&page)?.clone();
    let lang = page.lang;
    let clerk = !matches!(actor.role, Role::Applicant | Role::Concierge);
    let list = if clerk {
        s.store.bundle_intake_queue(&actor).await
    } else {
        s.store.my_bundles(&actor).await
    }
    .map_err(|e| store_err(&page, e))?;
    let ids: Vec<i64> = list.iter().map(|b| b.id).collect();
    let marks = s
        .store
        .bundle_marks(&ids)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(MyPage {
        c: page.chrome(),
        clerk,
        marks,
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
