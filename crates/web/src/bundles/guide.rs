//! The public bundle pages: the list of bundles, a bundle's guide with its
//! savings, the situational questions one per page, the tailored list, and
//! starting the application from it.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use tongban_domain::FieldError;
use tongban_domain::bundle::{self, BundleDoc, QuestionKind, Selection};
use tongban_domain::catalog::ItemDoc;
use tongban_store::StoreError;
use tongban_store::bundles::BundleView;

use super::api::published;
use super::views::{SavingsView, SlotView, SlotsExt as _, answer_text, page_errors, savings_view};
use crate::AppState;
use crate::chrome::{Chrome, Page, form_value, posted, store_err, url_encode};

#[derive(Template, WebTemplate)]
#[template(path = "bundles/bundles.html")]
struct ListPage {
    c: Chrome,
    bundles: Vec<(String, String, String, usize, SavingsView)>,
}

pub(super) async fn list_page(State(s): State<AppState>, page: Page) -> Result<Response, Response> {
    let all = s
        .store
        .published_bundles()
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(ListPage {
        c: page.chrome(),
        bundles: all
            .iter()
            .map(|v| {
                (
                    v.bundle.code.clone(),
                    v.bundle.doc.name.clone(),
                    v.bundle.doc.event.clone(),
                    v.items.len(),
                    savings_view(&v.savings),
                )
            })
            .collect(),
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "bundles/bundle_guide.html")]
struct GuidePage {
    c: Chrome,
    code: String,
    name: String,
    event: String,
    guide: Vec<String>,
    version: i64,
    promised_days: u32,
    items: Vec<(String, String, String, u32, usize)>,
    questions: usize,
    savings: SavingsView,
}

pub(super) async fn guide_page(
    State(s): State<AppState>,
    page: Page,
    Path(code): Path<String>,
) -> Result<Response, Response> {
    let v = published(&s, &code).await.map_err(|e| page.error(e))?;
    Ok(GuidePage {
        c: page.chrome(),
        code: v.bundle.code.clone(),
        name: v.bundle.doc.name.clone(),
        event: v.bundle.doc.event.clone(),
        guide: v
            .bundle
            .doc
            .guide
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect(),
        version: v.bundle.version,
        promised_days: v.bundle.doc.promised_days.get(),
        items: v
            .items
            .iter()
            .map(|i| {
                (
                    i.impl_code.clone(),
                    i.doc.name.clone(),
                    i.department_name.clone(),
                    i.doc
                        .promised_limit
                        .as_ref()
                        .map(|l| l.days.get())
                        .unwrap_or(0),
                    i.doc.materials.len(),
                )
            })
            .collect(),
        questions: v.bundle.doc.questions.len(),
        savings: savings_view(&v.savings),
    }
    .into_response())
}

/// Answers carried from page to page in the query string (`a_<key>`).
fn answers_of(q: &[(String, String)]) -> BTreeMap<String, String> {
    q.iter()
        .filter_map(|(k, v)| k.strip_prefix("a_").map(|k| (k.to_string(), v.clone())))
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "bundles/bundle_question.html")]
struct QuestionPage {
    c: Chrome,
    code: String,
    name: String,
    step: usize,
    total: usize,
    key: String,
    text: String,
    kind: &'static str,
    options: Vec<String>,
    value: String,
    /// Earlier answers, carried as hidden fields.
    carried: Vec<(String, String)>,
    back: String,
    errors: Vec<FieldError>,
}

#[derive(Template, WebTemplate)]
#[template(path = "bundles/bundle_list.html")]
struct TailoredPage {
    c: Chrome,
    code: String,
    name: String,
    answers: Vec<(String, String, String)>,
    carried: Vec<(String, String)>,
    items: Vec<(String, String)>,
    notes: Vec<String>,
    slots: Vec<SlotView>,
    fields: Vec<String>,
    change: String,
    client_key: String,
    errors: Vec<FieldError>,
}

fn ask_url(code: &str, step: usize, answers: &BTreeMap<String, String>) -> String {
    let mut u = format!("/bundles/{}/ask?step={step}", url_encode(code));
    for (k, v) in answers {
        u.push_str(&format!("&a_{}={}", url_encode(k), url_encode(v)));
    }
    u
}

/// One question per page; after the last, the tailored list.
pub(super) async fn ask_page(
    State(s): State<AppState>,
    page: Page,
    Path(code): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, Response> {
    let v = published(&s, &code).await.map_err(|e| page.error(e))?;
    let doc = &v.bundle.doc;
    let mut answers = answers_of(&q);
    let step: usize = form_value(&q, "step").parse().unwrap_or(0);
    // Only answers to known questions, and only up to the current step.
    answers.retain(|k, _| doc.questions.iter().any(|x| &x.key == k));
    // The first earlier question without a valid answer is asked again.
    let mut ask = step.min(doc.questions.len());
    let mut errors = Vec::new();
    for (i, qn) in doc.questions.iter().enumerate().take(ask) {
        let partial: BTreeMap<String, String> = answers
            .iter()
            .filter(|(k, _)| *k == &qn.key)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let single = BundleDoc {
            questions: vec![qn.clone()],
            ..doc.clone()
        };
        if let Err(e) = bundle::check_answers(&single, &partial) {
            ask = i;
            errors = page_errors(e);
            break;
        }
    }
    if ask < doc.questions.len() {
        let qn = &doc.questions[ask];
        let carried: Vec<(String, String)> = doc
            .questions
            .iter()
            .take(ask)
            .filter_map(|x| {
                answers
                    .get(&x.key)
                    .map(|v| (format!("a_{}", x.key), v.clone()))
            })
            .collect();
        let before: BTreeMap<String, String> = doc
            .questions
            .iter()
            .take(ask.saturating_sub(1))
            .filter_map(|x| answers.get(&x.key).map(|v| (x.key.clone(), v.clone())))
            .collect();
        let back = if ask == 0 {
            format!("/bundles/{}", url_encode(&code))
        } else {
            ask_url(&code, ask - 1, &before)
        };
        let status = if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        return Ok((
            status,
            QuestionPage {
                c: page.chrome(),
                code: code.clone(),
                name: doc.name.clone(),
                step: ask,
                total: doc.questions.len(),
                key: qn.key.clone(),
                text: qn.text.clone(),
                kind: match qn.kind {
                    QuestionKind::YesNo => "yes_no",
                    QuestionKind::Choice => "choice",
                    QuestionKind::Number => "number",
                    QuestionKind::Date => "date",
                },
                options: qn.options.clone(),
                value: answers.get(&qn.key).cloned().unwrap_or_default(),
                carried,
                back,
                errors,
            },
        )
            .into_response());
    }
    // Every question answered: the tailored list.
    match bundle::select_checked(doc, &answers) {
        Ok(sel) => Ok(tailored(&page, &v, &answers, &sel, vec![]).into_response()),
        Err(e) => {
            let mut p = tailored(&page, &v, &answers, &Selection::default(), page_errors(e));
            p.items.clear();
            Ok((StatusCode::UNPROCESSABLE_ENTITY, p).into_response())
        }
    }
}

fn tailored(
    page: &Page,
    v: &BundleView,
    answers: &BTreeMap<String, String>,
    sel: &Selection,
    errors: Vec<FieldError>,
) -> TailoredPage {
    let doc = &v.bundle.doc;
    let docs: HashMap<String, ItemDoc> = v.item_docs();
    let slots = bundle::slots(sel, &docs);
    let rec_like = slots
        .iter()
        .enumerate()
        .map(|(i, s)| SlotView {
            index: i,
            name: s.name.clone(),
            standard: s.standard.clone(),
            original: s.original,
            required: s.required,
            used_by: s.item_names.join("、"),
            ambiguous: s.ambiguous,
            files: vec![],
            provided: super::views::provided_text(s, page.lang),
        })
        .collect();
    TailoredPage {
        c: page.chrome(),
        code: v.bundle.code.clone(),
        name: doc.name.clone(),
        answers: doc
            .questions
            .iter()
            .filter_map(|q| {
                answers.get(&q.key).map(|a| {
                    (
                        q.text.clone(),
                        answer_text(q.kind, a, page.lang),
                        ask_url(
                            &v.bundle.code,
                            doc.questions
                                .iter()
                                .position(|x| x.key == q.key)
                                .unwrap_or(0),
                            answers,
                        ),
                    )
                })
            })
            .collect(),
        carried: answers
            .iter()
            .map(|(k, v)| (format!("a_{k}"), v.clone()))
            .collect(),
        items: sel
            .items
            .iter()
            .filter_map(|c| {
                v.items
                    .iter()
                    .find(|i| &i.impl_code == c)
                    .map(|i| (i.doc.name.clone(), i.department_name.clone()))
            })
            .collect(),
        notes: sel.notes.clone(),
        slots: rec_like,
        fields: bundle::asked_fields(doc, sel)
            .iter()
            .map(|f| f.label.clone())
            .collect(),
        change: ask_url(&v.bundle.code, 0, answers),
        client_key: tongban_store::accounts::random_token(),
        errors,
    }
}

pub(super) async fn start_post(
    State(s): State<AppState>,
    page: Page,
    Path(code): Path<String>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, Response> {
    let answers = answers_of(&raw);
    if page.session.is_none() {
        // Sign in first, then come back to the same list.
        let back = {
            let mut u = format!("/bundles/{}/ask?step=999", url_encode(&code));
            for (k, v) in &answers {
                u.push_str(&format!("&a_{}={}", url_encode(k), url_encode(v)));
            }
            u
        };
        return Ok(Redirect::to(&format!("/login?next={}", url_encode(&back))).into_response());
    }
    let actor = posted(&page, &form_value(&raw, "csrf"))?;
    let key = form_value(&raw, "client_key");
    match s
        .store
        .start_bundle(
            &actor,
            &code,
            &answers,
            Some(&key).filter(|k| !k.is_empty()).map(|k| k.as_str()),
        )
        .await
    {
        Ok(b) => Ok(Redirect::to(&format!("/bundle-cases/{}/form", b.id)).into_response()),
        Err(StoreError::Invalid(e)) => {
            let v = published(&s, &code).await.map_err(|e| page.error(e))?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                tailored(&page, &v, &answers, &Selection::default(), page_errors(e)),
            )
                .into_response())
        }
        Err(e) => Err(store_err(&page, e)),
    }
}
