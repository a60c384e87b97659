//! The case page: everything about a case as the caller may see it —
//! deadlines, shared-data lookups and the rules' finding, certificates,
//! documents, history — and the actions the caller may take on it.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_domain::FieldError;
use tongban_domain::auth::{Actor, Role};
use tongban_domain::case::{self, CaseState, Command};
use tongban_domain::catalog::ReviewMode;
use tongban_domain::clock::{self, SuspendReason};
use tongban_store::StoreError;
use tongban_store::cases::CaseRecord;

use super::views::{
    ClockView, MaterialView, answers, applicant_rows, clock_view, material_views, state_label,
};
use crate::AppState;
use crate::chrome::{Chrome, Page, fmt_time, signed_in, store_err};
use crate::http::Lang;

struct EventView {
    at: String,
    who: String,
    action: String,
    to: String,
    note: String,
    document_id: Option<i64>,
}

struct DocView {
    id: i64,
    title: String,
    number: String,
    at: String,
}

struct TaskView {
    department: String,
    status: String,
}

#[derive(Default)]
struct Actions {
    intake: bool,
    supply: bool,
    upload: bool,
    review: bool,
    suspend: bool,
    resume: bool,
    extend: bool,
    max_extension: u32,
    decide: bool,
    issue: bool,
    deliver: bool,
    withdraw: bool,
    /// What the open correction notice asked that is not done yet.
    pending: Vec<String>,
    /// What the case awaits from outside before it may be approved.
    awaiting: Vec<(String, String)>,
}

impl Actions {
    fn any(&self) -> bool {
        self.intake
            || self.supply
            || self.review
            || self.suspend
            || self.resume
            || self.extend
            || self.decide
            || self.issue
            || self.deliver
            || self.withdraw
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "cases/case.html")]
struct CasePage {
    c: Chrome,
    id: i64,
    /// The bundle application (一件事) this case belongs to, for those who may open it.
    bundle: Option<i64>,
    /// Electronic certificates issued for the case: 证照标识, status.
    certificates: Vec<(String, String)>,
    /// Shared-data lookups: source, time, outcome (key, text), fields, values, message.
    fetches: Vec<FetchView>,
    /// The latest rule evaluation.
    finding: Option<FindingView>,
    version: i64,
    case_no: String,
    verify_code: String,
    item_name: String,
    impl_code: String,
    department: String,
    state: String,
    state_key: &'static str,
    channel: String,
    approved: String,
    applicant: Vec<(String, String)>,
    answers: Vec<(String, String)>,
    materials: Vec<MaterialView>,
    clock: Option<ClockView>,
    received_on: String,
    intake_due: String,
    tasks: Vec<TaskView>,
    documents: Vec<DocView>,
    events: Vec<EventView>,
    a: Actions,
    procedures: Vec<String>,
    errors: Vec<FieldError>,
    flash: String,
    /// The decision's words for the item's type (准予许可 only for 行政许可).
    approve_label: String,
    deny_label: String,
    /// The form's fields as the intake checklist shows them: (key, label, value).
    intake_fields: Vec<(String, String, String)>,
    /// A window clerk looking at someone else's application: the buttons
    /// say what the window does (receiving corrections), not the applicant's words.
    window: bool,
    /// Where to rate the ended case (好差评): the applicant's own, or the
    /// window's tablet and hotline entry; empty otherwise.
    rate_link: String,
    /// The applicant reads plain words, not the clock's terms.
    citizen: bool,
    /// The fields the open correction notice asks the applicant to correct.
    correct_fields: Vec<crate::chrome::FieldView>,
}

/// The words of a decision for an item of this type: 准予许可 is a 行政许可's;
/// other items are 准予办理 / 不予办理.
fn decision_words(t: tongban_domain::catalog::ItemType, lang: Lang) -> (String, String) {
    if t == tongban_domain::catalog::ItemType::Licensing {
        (
            lang.t("准予许可", "Approve").into(),
            lang.t("不予许可", "Deny").into(),
        )
    } else {
        (
            lang.t("准予办理", "Approve").into(),
            lang.t("不予办理", "Refuse").into(),
        )
    }
}

async fn actions_for(s: &AppState, actor: &Actor, r: &CaseRecord) -> Result<Actions, StoreError> {
    let mut facts = s
        .store
        .case_facts(&r.case, &r.doc, &s.calendar(), s.today())
        .await?;
    // A concierge holding the applicant's authorization is offered the
    // applicant's actions.
    facts.agent = s.store.agent_of(actor, &r.case, s.today()).await?;
    let may = |cmd: &Command| case::authorize(actor, &facts, cmd).is_ok();
    let st = r.case.state;
    let extended = r
        .case
        .clock
        .iter()
        .any(|e| matches!(e, clock::ClockEvent::Extended { .. }));
    let joint = r.doc.review.mode == ReviewMode::Joint && !r.case.co_reviewers.is_empty();
    let correcting = st == CaseState::Suspended
        && matches!(
            r.case.clock.last(),
            Some(clock::ClockEvent::Suspended {
                reason: SuspendReason::Correction,
                ..
            })
        );
    Ok(Actions {
        intake: st == CaseState::Submitted && may(&Command::Accept),
        supply: (st == CaseState::Correction || correcting) && may(&Command::SupplyCorrection),
        // The applicant, or a window receiving the corrections in person
        // (the page words it as the window's, not the applicant's).
        upload: (st == CaseState::Correction || correcting)
            && (r.case.applicant_user_id == Some(actor.user_id) || actor.role == Role::Clerk),
        review: st == CaseState::Review
            && may(&Command::CompleteReview {
                agree: true,
                opinion: String::new(),
            }),
        suspend: matches!(st, CaseState::Review | CaseState::Decision)
            && may(&Command::Suspend {
                reason: SuspendReason::Correction,
                note: String::new(),
                materials: vec![],
            }),
        resume: st == CaseState::Suspended && may(&Command::Resume),
        extend: matches!(
            st,
            CaseState::Review | CaseState::Decision | CaseState::Suspended
        ) && !extended
            && may(&Command::Extend {
                days: 1,
                reason: String::new(),
            }),
        max_extension: if joint {
            clock::MAX_JOINT_EXTENSION.0
        } else {
            clock::MAX_EXTENSION.0
        },
        decide: st == CaseState::Decision
            && may(&Command::Decide {
                approve: true,
                reason: String::new(),
            }),
        issue: st == CaseState::Certifying && may(&Command::Issue),
        deliver: st == CaseState::Delivering
            && may(&Command::Deliver {
                method: String::new(),
            }),
        withdraw: matches!(
            st,
            CaseState::Submitted
                | CaseState::Correction
                | CaseState::Review
                | CaseState::Suspended
                | CaseState::Decision
        ) && actor.role == Role::Applicant
            && may(&Command::Withdraw {
                reason: String::new(),
            }),
        pending: facts.pending.clone(),
        awaiting: facts.awaiting.clone(),
    })
}

pub(super) async fn render_case(
    s: &AppState,
    page: &Page,
    actor: &Actor,
    id: i64,
    errors: Vec<FieldError>,
    flash: String,
) -> Result<Response, Response> {
    let r = s
        .store
        .case_for(actor, id)
        .await
        .map_err(|e| store_err(page, e))?;
    // What this viewer sees of the person: the one rule, applied by the
    // store to the case, its lookups and decisions.
    let fetch_records = s
        .store
        .case_fetches_for(actor, &r.case)
        .await
        .map_err(|e| store_err(page, e))?;
    let fetches = fetch_records
        .iter()
        .cloned()
        .map(|f| FetchView {
            source: f.source_name,
            at: fmt_time(f.at),
            outcome_key: f.outcome.clone(),
            outcome: match f.outcome.as_str() {
                "found" => page.lang.t("已查到", "found"),
                "not_found" => page.lang.t("未查到记录", "no record"),
                "failed" => page.lang.t("查询失败", "failed"),
                "queued" => page.lang.t("等待查询", "queued"),
                "certificate" => page.lang.t("以电子证照代替", "e-certificate used"),
                "rejected" => page.lang.t("电子证照不可用", "e-certificate not usable"),
                _ => "",
            }
            .to_string(),
            fields: f.fields.join("、"),
            values: if f.data.is_object() {
                f.data
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| {
                                format!(
                                    "{k}：{}",
                                    v.as_str()
                                        .map(str::to_string)
                                        .unwrap_or_else(|| v.to_string())
                                )
                            })
                            .collect::<Vec<_>>()
                            .join("；")
                    })
                    .unwrap_or_default()
            } else {
                String::new()
            },
            message: f.message,
        })
        .collect();
    let finding = s
        .store
        .case_decisions_for(actor, &r.case)
        .await
        .map_err(|e| store_err(page, e))?
        .pop()
        .map(|d| FindingView {
            outcome_key: d.outcome.clone(),
            outcome: match d.outcome.as_str() {
                "approve" => page.lang.t("规则核验通过（秒批）", "approved by the rules"),
                "refuse" => page.lang.t("规则建议不予批准", "the rules advise refusal"),
                _ => page.lang.t("转人工审查", "referred to a reviewer"),
            }
            .to_string(),
            automatic: d.automatic,
            reasons: d.reasons,
            mismatches: d
                .mismatches
                .into_iter()
                .map(|m| {
                    // The field as the form names it, not its key.
                    let label = r
                        .doc
                        .form_fields
                        .iter()
                        .find(|f| f.key == m.form_field)
                        .map(|f| f.label.clone())
                        .unwrap_or(m.form_field);
                    (label, m.declared, m.authoritative, m.source)
                })
                .collect(),
            rule_version: d.item_version_id,
        });
    let certificates = s
        .store
        .case_certificates(id)
        .await
        .map_err(|e| store_err(page, e))?
        .iter()
        .map(|c| {
            let st = c.status(s.today());
            (
                c.licence_id.clone(),
                page.lang.t(st.zh(), st.en()).to_string(),
            )
        })
        .collect();
    if r.case.state == CaseState::Draft {
        return Ok(Redirect::to(&format!("/cases/{id}/check")).into_response());
    }
    let lang = page.lang;
    let a = actions_for(s, actor, &r)
        .await
        .map_err(|e| store_err(page, e))?;
    // Correcting the form: the applicant's, or the window's on their word.
    let can_correct = r.case.may_correct_form(actor);
    // A concierge holding the applicant's authorization rates for them.
    let agent = s
        .store
        .agent_of(actor, &r.case, s.today())
        .await
        .map_err(|e| store_err(page, e))?;
    let depts = s
        .store
        .departments()
        .await
        .map_err(|e| store_err(page, e))?;
    let dept_name = |id: i64| {
        depts
            .iter()
            .find(|d| d.id == id)
            .map(|d| d.name.clone())
            .unwrap_or_else(|| format!("#{id}"))
    };
    let cal = s.calendar();
    let intake_due = match (r.case.state, r.case.received_on) {
        (CaseState::Submitted, Some(d)) => cal
            .add_workdays(d, case::INTAKE_DAYS)
            .map(|d| d.to_string())
            .unwrap_or_default(),
        _ => String::new(),
    };
    // The Art. 45 procedures that stop the clock, plus the item's own.
    let mut procedures: Vec<String> = case::ART45_PROCEDURES
        .iter()
        .map(|s| s.to_string())
        .collect();
    for p in &r.doc.special_procedures {
        if !procedures.contains(&p.name) {
            procedures.push(p.name.clone());
        }
    }
    Ok(CasePage {
        c: page.chrome(),
        id,
        certificates,
        fetches,
        finding,
        bundle: r
            .case
            .bundle_case_id
            .filter(|_| matches!(actor.role, Role::Applicant | Role::Clerk | Role::Supervisor)),
        version: r.case.version,
        case_no: r.case.case_no.clone(),
        verify_code: r.case.verify_code.clone(),
        item_name: r.case.item_name.clone(),
        impl_code: r.case.impl_code.clone(),
        department: r.case.lead_department_name.clone(),
        state: state_label(r.case.state, lang),
        state_key: r.case.state.as_str(),
        channel: r.case.channel.zh().to_string(),
        approved: match r.case.approved {
            Some(true) => decision_words(r.doc.item_type, lang).0,
            Some(false) => decision_words(r.doc.item_type, lang).1,
            None => String::new(),
        },
        citizen: actor.role == Role::Applicant,
        window: actor.role == Role::Clerk && r.case.applicant_user_id != Some(actor.user_id),
        rate_link: if matches!(r.case.state, CaseState::Completed | CaseState::NotAccepted)
            && r.case.bundle_case_id.is_none()
            && (matches!(actor.role, Role::Applicant | Role::Clerk)
                || (actor.role == Role::Concierge && agent == Some(actor.user_id)))
        {
            format!("/cases/{}/rate", r.case.id)
        } else {
            String::new()
        },
        intake_fields: r
            .doc
            .form_fields
            .iter()
            .map(|f| {
                (
                    f.key.clone(),
                    f.label.clone(),
                    r.case.form.get(&f.key).cloned().unwrap_or_default(),
                )
            })
            .collect(),
        correct_fields: if can_correct {
            let keys = s
                .store
                .fields_to_correct(r.case.id)
                .await
                .map_err(|e| page.error(e.into()))?;
            let named: Vec<_> = r
                .doc
                .form_fields
                .iter()
                .filter(|f| keys.contains(&f.key))
                .cloned()
                .collect();
            crate::chrome::errors_at_fields(
                crate::chrome::field_views(&named, &r.case.form),
                &errors,
                "form.",
                lang,
            )
        } else {
            Vec::new()
        },
        approve_label: decision_words(r.doc.item_type, lang).0,
        deny_label: decision_words(r.doc.item_type, lang).1,
        applicant: applicant_rows(&r.case, lang),
        answers: answers(&r),
        materials: {
            let mut m = material_views(&r, &fetch_records, lang, actor.role != Role::Applicant);
            // What an earlier item of the bundle issues to this one.
            let passed = s
                .store
                .passed_on_to(&r.case)
                .await
                .map_err(|e| page.error(e.into()))?;
            for p in passed {
                if let Some(v) = m.iter_mut().find(|v| v.index as i64 == p.material_index) {
                    if p.licence_id.is_none() && p.failed_at.is_some() {
                        // Not coming: the applicant is to bring it after all.
                        v.provided = String::new();
                        v.required = true;
                        v.notes = lang
                            .t(
                                "一件事的前序事项未能出具此材料，需由申请人补交。",
                                "The earlier service of the bundle did not issue it: the applicant supplies it.",
                            )
                            .to_string();
                        continue;
                    }
                    v.unobtained = false;
                    v.provided = match &p.licence_id {
                        Some(id) => format!(
                            "{}{id}",
                            lang.t(
                                "已由本件一件事的前序事项出具并转交，电子证照编号：",
                                "Issued by an earlier service of this bundle and passed on: e-certificate "
                            )
                        ),
                        None => lang
                            .t(
                                "由本件一件事的前序事项出具后转交（尚未出具）",
                                "To be passed on when an earlier service of this bundle issues it (not yet issued)",
                            )
                            .to_string(),
                    };
                }
            }
            m
        },
        clock: clock_view(s, &r.case, lang),
        received_on: r
            .case
            .received_on
            .map(|d| d.to_string())
            .unwrap_or_default(),
        intake_due,
        tasks: r
            .case
            .tasks
            .iter()
            .map(|t| TaskView {
                department: dept_name(t.department_id),
                status: lang.t(t.status.zh(), t.status.en()).to_string(),
            })
            .collect(),
        documents: r
            .documents
            .iter()
            .map(|d| DocView {
                id: d.id,
                // The document's own title (a decision's says what it decides).
                title: if lang == Lang::En {
                    d.kind.en().to_string()
                } else {
                    d.body.title.clone()
                },
                number: d.number.clone(),
                at: fmt_time(d.created_at),
            })
            .collect(),
        events: r
            .events
            .iter()
            .rev()
            .map(|e| EventView {
                at: fmt_time(e.at),
                who: e.actor_name.clone(),
                action: event_label(&e.action, lang),
                to: CaseState::parse(&e.to_state)
                    .map(|st| state_label(st, lang))
                    .unwrap_or_default(),
                note: event_note(&e.details),
                document_id: e.document_id,
            })
            .collect(),
        a,
        procedures,
        errors,
        flash,
    }
    .into_response())
}

fn event_label(action: &str, lang: Lang) -> String {
    let (zh, en) = match action {
        "create" => ("创建申请", "application started"),
        "submit" => ("提交申请", "submitted"),
        "accept" => ("受理", "accepted"),
        "deemed_accepted" => (
            "逾期未告知，视为受理",
            "deemed accepted (no notice in 5 working days)",
        ),
        "request_correction" => ("一次性告知补正", "one-time correction notice"),
        "supply_correction" => ("提交补正材料", "corrections supplied"),
        "refuse" => ("不予受理", "not accepted"),
        "complete_review" => ("提交审查意见", "review opinion"),
        "suspend" => ("中止计时", "clock suspended"),
        "resume" => ("恢复计时", "clock resumed"),
        "extend" => ("延长办理期限", "time limit extended"),
        "decide" => ("作出决定", "decided"),
        "issue" => ("制证", "certificate made"),
        "deliver" => ("送达并办结", "delivered and completed"),
        "withdraw" => ("撤回申请", "withdrawn"),
        other => (other, other),
    };
    lang.t(zh, en).to_string()
}

fn event_note(d: &serde_json::Value) -> String {
    let mut parts = Vec::new();
    for k in [
        "opinion",
        "reason",
        "note",
        "method",
        "competent_agency",
        "why_zh",
    ] {
        match d.get(k) {
            Some(serde_json::Value::String(v)) if !v.trim().is_empty() => parts.push(v.clone()),
            Some(serde_json::Value::Object(o)) => {
                if let Some(serde_json::Value::String(n)) = o.get("name") {
                    parts.push(n.clone());
                } else if o.get("kind").and_then(|k| k.as_str()) == Some("correction") {
                    parts.push("补正材料".into());
                }
            }
            _ => {}
        }
    }
    if let Some(days) = d.get("days").and_then(|v| v.as_u64()) {
        parts.push(format!("{days}个工作日"));
    }
    parts.join("；")
}

#[derive(Deserialize)]
pub(super) struct FlashParam {
    done: Option<String>,
}

pub(super) async fn case_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Query(q): Query<FlashParam>,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?.clone();
    let flash = q
        .done
        .as_deref()
        .map(|a| super::confirm::done_message(a, page.lang))
        .unwrap_or_default();
    render_case(&s, &page, &actor, id, vec![], flash).await
}

struct FetchView {
    source: String,
    at: String,
    outcome_key: String,
    outcome: String,
    fields: String,
    values: String,
    message: String,
}

struct FindingView {
    outcome_key: String,
    outcome: String,
    automatic: bool,
    reasons: Vec<String>,
    /// form field, declared, authoritative, source
    mismatches: Vec<(String, String, String, String)>,
    rule_version: i64,
}
