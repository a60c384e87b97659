//! Recording a walk-through (one page: the steps, the time, up to five
//! findings), the walk-throughs recorded, and the findings as their owners
//! and supervisors work on them.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_domain::FieldError;
use tongban_domain::auth::{Actor, Role};
use tongban_domain::export::csv_row;
use tongban_domain::privacy::{Sight, mask_numbers};
use tongban_domain::ratings::{FindingCategory, FindingSeverity, FindingState};
use tongban_store::StoreError;
use tongban_store::experience::{
    FindingAction, NewFinding, NewWalkthrough, OfficerFinding, WalkSubject,
};

use crate::AppState;
use crate::chrome::{Chrome, Page, fmt_time, form_value, posted, signed_in, store_err};
use crate::http::ApiError;

/// How many finding rows the form offers (empty ones are left out).
const FINDING_ROWS: usize = 5;

#[derive(Debug, Default, Deserialize)]
pub(super) struct WalkQuery {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    done: String,
}

struct FindingRow {
    n: usize,
    category: String,
    severity: String,
    step: String,
    description: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "experience/walk_new.html")]
struct WalkNewPage {
    c: Chrome,
    errors: Vec<FieldError>,
    subject: String,
    code: String,
    name: String,
    steps: String,
    minutes: String,
    rows: Vec<FindingRow>,
    categories: Vec<(&'static str, String)>,
    severities: Vec<(&'static str, String)>,
}

/// What is being walked through: a published item or bundle's name.
async fn subject_name(s: &AppState, subject: &str, code: &str) -> Option<String> {
    match subject {
        "bundle" => s
            .store
            .published_bundles()
            .await
            .ok()?
            .into_iter()
            .find(|b| b.bundle.code == code)
            .map(|b| b.bundle.doc.name),
        _ => s
            .store
            .published_items()
            .await
            .ok()?
            .into_iter()
            .find(|i| i.impl_code == code)
            .map(|i| i.doc.name),
    }
}

fn officer(page: &Page) -> Result<Actor, Response> {
    let actor = signed_in(page)?.clone();
    actor
        .may_walk_through()
        .map_err(|d| page.error(ApiError::denied(d)))?;
    Ok(actor)
}

#[allow(clippy::too_many_arguments)]
fn walk_view(
    page: &Page,
    errors: Vec<FieldError>,
    subject: &str,
    code: &str,
    name: &str,
    raw: &[(String, String)],
) -> Response {
    let lang = page.lang;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (
        status,
        WalkNewPage {
            c: page.chrome(),
            errors,
            subject: subject.into(),
            code: code.into(),
            name: name.into(),
            steps: form_value(raw, "steps"),
            minutes: form_value(raw, "minutes"),
            rows: (0..FINDING_ROWS)
                .map(|n| FindingRow {
                    n,
                    category: form_value(raw, &format!("category_{n}")),
                    severity: form_value(raw, &format!("severity_{n}")),
                    step: form_value(raw, &format!("step_{n}")),
                    description: form_value(raw, &format!("description_{n}")),
                })
                .collect(),
            categories: FindingCategory::ALL
                .iter()
                .map(|x| (x.as_str(), lang.t(x.zh(), x.en()).to_string()))
                .collect(),
            severities: FindingSeverity::ALL
                .iter()
                .map(|x| (x.as_str(), lang.t(x.zh(), x.en()).to_string()))
                .collect(),
        },
    )
        .into_response()
}

pub(super) async fn walk_new_page(
    State(s): State<AppState>,
    page: Page,
    Query(q): Query<WalkQuery>,
) -> Result<Response, Response> {
    officer(&page)?;
    let name = subject_name(&s, &q.subject, &q.code)
        .await
        .ok_or_else(|| page.error(ApiError::not_found("service")))?;
    Ok(walk_view(&page, vec![], &q.subject, &q.code, &name, &[]))
}

/// The form's findings: rows with a description; the others are empty.
/// Rows whose category or severity is not one of the list, or begun but not
/// described, are reported.
fn findings_of(raw: &[(String, String)]) -> (Vec<NewFinding>, Vec<FieldError>) {
    let mut out = Vec::new();
    let mut errs = Vec::new();
    for n in 0..FINDING_ROWS {
        let description = form_value(raw, &format!("description_{n}"));
        if description.trim().is_empty() {
            // A row begun but not described is not dropped unseen.
            let begun = ["category", "severity", "step"]
                .iter()
                .any(|k| !form_value(raw, &format!("{k}_{n}")).trim().is_empty());
            if begun {
                errs.push(FieldError::new(
                    format!("description_{n}"),
                    "required",
                    format!("第{}个问题：请描述发现的问题，或清空这一行", n + 1),
                    format!("finding {}: describe it, or clear the row", n + 1),
                ));
            }
            continue;
        }
        let category = FindingCategory::parse(&form_value(raw, &format!("category_{n}")));
        let severity = FindingSeverity::parse(&form_value(raw, &format!("severity_{n}")));
        if category.is_none() {
            errs.push(FieldError::new(
                format!("category_{n}"),
                "required",
                format!("第{}个问题：请选择问题类别", n + 1),
                format!("finding {}: choose the category", n + 1),
            ));
        }
        if severity.is_none() {
            errs.push(FieldError::new(
                format!("severity_{n}"),
                "required",
                format!("第{}个问题：请选择严重程度", n + 1),
                format!("finding {}: choose how serious it is", n + 1),
            ));
        }
        if let (Some(category), Some(severity)) = (category, severity) {
            out.push(NewFinding {
                category,
                severity,
                step: form_value(raw, &format!("step_{n}")),
                description,
            });
        }
    }
    (out, errs)
}

pub(super) async fn walk_new_post(
    State(s): State<AppState>,
    page: Page,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, Response> {
    let actor = posted(&page, &form_value(&raw, "csrf"))?;
    let subject = form_value(&raw, "subject");
    let code = form_value(&raw, "code");
    let name = subject_name(&s, &subject, &code)
        .await
        .ok_or_else(|| page.error(ApiError::not_found("service")))?;
    let (findings, mut errors) = findings_of(&raw);
    let minutes = form_value(&raw, "minutes")
        .trim()
        .parse::<i64>()
        .unwrap_or(0);
    let walk = NewWalkthrough {
        subject: if subject == "bundle" {
            WalkSubject::Bundle
        } else {
            WalkSubject::Item
        },
        code: code.clone(),
        bundle_name: name.clone(),
        steps: form_value(&raw, "steps")
            .lines()
            .map(str::to_string)
            .collect(),
        minutes,
        findings,
    };
    if errors.is_empty() {
        match s
            .store
            .record_walkthrough(&actor, &walk, &s.calendar(), s.today())
            .await
        {
            Ok(_) => {
                return Ok(Redirect::to("/officer/walkthroughs?done=recorded").into_response());
            }
            Err(StoreError::Invalid(e)) => errors = e.0,
            Err(e) => return Err(store_err(&page, e)),
        }
    }
    // Errors of the n-th recorded finding are at its row of the form.
    let rows: Vec<usize> = (0..FINDING_ROWS)
        .filter(|n| {
            !form_value(&raw, &format!("description_{n}"))
                .trim()
                .is_empty()
        })
        .collect();
    let errors = errors
        .into_iter()
        .map(|mut e| {
            if let Some(rest) = e.field.strip_prefix("findings[")
                && let Some((i, field)) = rest.split_once("].")
                && let Some(n) = i.parse::<usize>().ok().and_then(|i| rows.get(i))
            {
                e.field = format!("{field}_{n}");
            }
            e
        })
        .collect();
    Ok(walk_view(&page, errors, &subject, &code, &name, &raw))
}

struct WalkRow {
    day: String,
    name: String,
    minutes: i64,
    steps: usize,
    /// (finding id, category, description, state)
    findings: Vec<(i64, String, String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "experience/walkthroughs.html")]
struct WalksPage {
    c: Chrome,
    flash: String,
    officer: bool,
    rows: Vec<WalkRow>,
}

pub(super) async fn walkthroughs_page(
    State(s): State<AppState>,
    page: Page,
    Query(q): Query<WalkQuery>,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?.clone();
    let lang = page.lang;
    let list = s
        .store
        .walkthroughs_for(&actor)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(WalksPage {
        c: page.chrome(),
        flash: if q.done == "recorded" {
            page.t(
                "走查记录已提交，发现的问题已转交承办单位限期整改。",
                "Recorded; each finding went to its owner with a deadline.",
            )
        } else {
            String::new()
        },
        officer: actor.role == Role::ExperienceOfficer,
        rows: list
            .iter()
            .map(|w| WalkRow {
                day: w.walked_on.to_string(),
                name: w.subject_name.clone(),
                minutes: w.minutes,
                steps: w.steps.len(),
                findings: w
                    .findings
                    .iter()
                    .map(|f| {
                        (
                            f.id,
                            lang.t(f.category.zh(), f.category.en()).to_string(),
                            Sight::of(&actor).free_text(&f.description),
                            lang.t(f.state.zh(), f.state.en()).to_string(),
                        )
                    })
                    .collect(),
            })
            .collect(),
    }
    .into_response())
}

struct FindingView {
    id: i64,
    name: String,
    /// An item's code ("" for a bundle): its guide, and the catalogue's
    /// entry for the admin who fixes a guide problem.
    code: String,
    category: String,
    severity: String,
    step: String,
    description: String,
    state: String,
    state_key: &'static str,
    due: String,
    overdue: bool,
    fixed_note: String,
    fixed_at: String,
    sent_back_reason: String,
    version: i64,
}

fn finding_view(
    s: &AppState,
    f: &OfficerFinding,
    lang: crate::http::Lang,
    sight: &Sight,
) -> FindingView {
    FindingView {
        id: f.id,
        name: f.subject_name.clone(),
        code: if f.department_id.is_some() {
            f.subject_code.clone()
        } else {
            String::new()
        },
        category: lang.t(f.category.zh(), f.category.en()).into(),
        severity: lang.t(f.severity.zh(), f.severity.en()).into(),
        step: f.step.clone(),
        description: sight.free_text(&f.description),
        state: lang.t(f.state.zh(), f.state.en()).into(),
        state_key: f.state.as_str(),
        due: f.due.to_string(),
        overdue: f.state == FindingState::Open && s.today() > f.due,
        fixed_note: f.fixed_note.clone(),
        fixed_at: f.fixed_at.map(fmt_time).unwrap_or_default(),
        sent_back_reason: f.sent_back_reason.clone(),
        version: f.version,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "experience/findings.html")]
struct FindingsPage {
    c: Chrome,
    all: bool,
    rows: Vec<FindingView>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct AllQuery {
    #[serde(default)]
    all: Option<String>,
    #[serde(default)]
    done: String,
}

pub(super) async fn findings_page(
    State(s): State<AppState>,
    page: Page,
    Query(q): Query<AllQuery>,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?.clone();
    let all = q.all.is_some();
    let list = s
        .store
        .officer_findings_for(&actor, !all)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(FindingsPage {
        c: page.chrome(),
        all,
        rows: list
            .iter()
            .map(|f| finding_view(&s, f, page.lang, &Sight::of(&actor)))
            .collect(),
    }
    .into_response())
}

pub(super) async fn findings_csv_page(
    State(s): State<AppState>,
    page: Page,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?.clone();
    let list = s
        .store
        .officer_findings_export(&actor)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(crate::chrome::csv_download(
        "officer-findings.csv",
        findings_csv(&list),
    ))
}

/// The officers' findings as CSV (numbers in free text masked, formula
/// cells neutralised).
pub(super) fn findings_csv(list: &[OfficerFinding]) -> String {
    let mut out = String::from("\u{feff}");
    out.push_str(&csv_row(&[
        "id",
        "subject_code",
        "subject_name",
        "department_id",
        "category",
        "severity",
        "step",
        "description",
        "state",
        "due",
        "fixed_note",
    ]));
    for f in list {
        out.push_str(&csv_row(&[
            f.id.to_string(),
            f.subject_code.clone(),
            f.subject_name.clone(),
            f.department_id.map(|d| d.to_string()).unwrap_or_default(),
            f.category.as_str().to_string(),
            f.severity.as_str().to_string(),
            f.step.clone(),
            mask_numbers(&f.description),
            f.state.as_str().to_string(),
            f.due.to_string(),
            mask_numbers(&f.fixed_note),
        ]));
    }
    out
}

#[derive(Template, WebTemplate)]
#[template(path = "experience/finding.html")]
struct FindingPage {
    c: Chrome,
    errors: Vec<FieldError>,
    flash: String,
    f: FindingView,
    may_fix: bool,
    may_verify: bool,
    /// The officer who found it, or whoever may fix it, adds evidence.
    may_upload: bool,
    files: Vec<(i64, String)>,
    /// The catalogue admin opens the item in the catalogue to fix its guide.
    catalog_admin: bool,
}

async fn finding_view_page(
    s: &AppState,
    page: &Page,
    actor: &Actor,
    id: i64,
    errors: Vec<FieldError>,
    flash: String,
) -> Result<Response, Response> {
    let f = s
        .store
        .officer_finding_for(actor, id)
        .await
        .map_err(|e| store_err(page, e))?;
    let window = actor.role == Role::Clerk && f.department_id.is_none();
    let may_fix = f.state == FindingState::Open
        && (window
            || actor
                .may_fix_officer_finding(
                    &f.centre_path,
                    f.department_id,
                    f.category.concerns_guide(),
                )
                .is_ok());
    let may_verify =
        f.state == FindingState::Fixed && actor.may_oversee_ratings(&f.centre_path).is_ok();
    let officer = actor.role == Role::ExperienceOfficer && f.officer_id == actor.user_id;
    let may_upload = f.state != FindingState::Verified
        && (officer
            || window
            || actor
                .may_fix_officer_finding(
                    &f.centre_path,
                    f.department_id,
                    f.category.concerns_guide(),
                )
                .is_ok());
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        FindingPage {
            c: page.chrome(),
            errors,
            flash,
            f: finding_view(s, &f, page.lang, &Sight::of(actor)),
            catalog_admin: actor.role == Role::CatalogAdmin,
            may_fix,
            may_verify,
            may_upload,
            files: f.files.clone(),
        },
    )
        .into_response())
}

pub(super) async fn finding_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Query(q): Query<AllQuery>,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?.clone();
    let flash = match q.done.as_str() {
        "fix" => page.t(
            "整改情况已提交，等待督查核验。",
            "Submitted for verification.",
        ),
        "verify" => page.t("已核验。", "Verified."),
        "send_back" => page.t("已退回继续整改。", "Sent back."),
        "file" => page.t("证据材料已上传。", "The evidence is uploaded."),
        _ => String::new(),
    };
    finding_view_page(&s, &page, &actor, id, vec![], flash).await
}

pub(super) async fn finding_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, Response> {
    let actor = posted(&page, &form_value(&raw, "csrf"))?;
    let (action, name) = match form_value(&raw, "action").as_str() {
        "fix" => (
            FindingAction::Fix {
                note: form_value(&raw, "note"),
            },
            "fix",
        ),
        "verify" => (FindingAction::Verify, "verify"),
        "send_back" => (
            FindingAction::SendBack {
                reason: form_value(&raw, "reason"),
            },
            "send_back",
        ),
        _ => {
            return Err(page.error(ApiError::bad_request("表单不完整", "the form is malformed")));
        }
    };
    let version = form_value(&raw, "version").parse().ok();
    match s
        .store
        .officer_finding_act(&actor, id, version, &action)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/officer-findings/{id}?done={name}")).into_response()),
        Err(StoreError::Invalid(e)) => {
            finding_view_page(&s, &page, &actor, id, e.0, String::new()).await
        }
        Err(StoreError::Conflict { zh, en }) => {
            let e = FieldError::new("state", "conflict", zh, en);
            finding_view_page(&s, &page, &actor, id, vec![e], String::new()).await
        }
        Err(e) => Err(store_err(&page, e)),
    }
}

/// Evidence for a finding (multipart: `csrf`, `file`).
pub(super) async fn finding_file_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    mp: axum::extract::Multipart,
) -> Result<Response, Response> {
    let form = crate::chrome::read_upload(&page, mp).await?;
    let file = (!form.bytes.is_empty()).then(|| (form.name.clone(), form.bytes.clone()));
    let csrf = form.csrf;
    let actor = posted(&page, &csrf)?;
    let Some((name, bytes)) = file else {
        let e = FieldError::new("file", "required", "请选择要上传的文件", "choose a file");
        return finding_view_page(&s, &page, &actor, id, vec![e], String::new()).await;
    };
    match s
        .store
        .officer_finding_file(&s.files, &actor, id, &name, bytes)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/officer-findings/{id}?done=file")).into_response()),
        Err(StoreError::Invalid(e)) => {
            finding_view_page(&s, &page, &actor, id, e.0, String::new()).await
        }
        Err(e) => Err(store_err(&page, e)),
    }
}

pub(super) async fn finding_download(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?.clone();
    let (name, content_type, bytes) = s
        .store
        .officer_finding_download(&s.files, &actor, id)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(crate::chrome::download(&name, &content_type, bytes))
}
