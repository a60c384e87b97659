//! The guide audit page: the findings with their counts, the last run, the
//! rules, and the forms to run the audit, record a rectification and verify it.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_domain::FieldError;
use tongban_domain::audit::RULES;
use tongban_domain::auth::Scope;
use tongban_store::guide_audit::{FindingFilter, FindingStatus};

use super::api::{self, FindingParams};
use crate::AppState;
use crate::chrome::{Chrome, CsrfForm, Page, fmt_time, notice_text, or_err, store_err};
use crate::http::{ApiError, Lang};

struct FindingRow {
    id: i64,
    impl_code: String,
    item_name: String,
    item_version: i64,
    rule_id: String,
    severity: String,
    severity_label: String,
    element: String,
    message: String,
    fix_note: String,
    status_label: String,
    can_fix: bool,
    can_verify: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "guide_audit/admin_audit.html")]
struct AuditPage {
    c: Chrome,
    errors: Vec<FieldError>,
    notice: String,
    status: String,
    item: String,
    open: usize,
    fixed: usize,
    verified: usize,
    last_run: String,
    rows: Vec<FindingRow>,
    /// (id, severity, title)
    rules: Vec<(String, String, String)>,
}

#[derive(Deserialize, Default)]
pub(super) struct AuditQuery {
    status: Option<String>,
    item: Option<String>,
    notice: Option<String>,
    error: Option<String>,
    finding: Option<i64>,
}

pub(super) async fn audit_page(
    State(s): State<AppState>,
    page: Page,
    Query(q): Query<AuditQuery>,
) -> Result<Response, Response> {
    let (_, actor) = page.staff()?;
    let status = q
        .status
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "open".into());
    let params = FindingParams {
        status: Some(status.clone()),
        item: q.item.clone(),
        department: None,
        rule: None,
    };
    let filter = or_err(&page, api::finding_filter(actor, &params))?;
    let rows = s
        .store
        .findings(&filter)
        .await
        .map_err(|e| store_err(&page, e))?;
    let all = s
        .store
        .findings(&FindingFilter {
            status: None,
            ..filter.clone()
        })
        .await
        .map_err(|e| store_err(&page, e))?;
    let count = |st: FindingStatus| all.iter().filter(|f| f.status == st).count();
    let lang = page.lang;
    let runs = s
        .store
        .audit_runs(1)
        .await
        .map_err(|e| store_err(&page, e))?;
    let last_run = match runs.first() {
        Some(r) => format!(
            "{}{}（{}）：{} {} {}，{} {}，{} {}",
            lang.t("最近一次核查：", "Last run: "),
            fmt_time(r.finished_at),
            if r.trigger == "schedule" {
                lang.t("每月自动", "monthly schedule")
            } else {
                lang.t("手动", "manual")
            },
            r.items,
            lang.t("个事项，发现", "items, findings"),
            r.findings,
            lang.t("新增", "new"),
            r.opened,
            lang.t("消除", "closed"),
            r.closed
        ),
        None => lang.t("尚未核查。", "Not run yet.").to_string(),
    };
    Ok(AuditPage {
        rows: rows
            .into_iter()
            .map(|f| {
                let scope = Scope {
                    centre_path: &f.centre_path,
                    department_id: f.department_id,
                };
                FindingRow {
                    can_fix: f.status == FindingStatus::Open
                        && actor.may_fix_finding(scope).is_ok(),
                    can_verify: f.status == FindingStatus::Fixed
                        && actor.may_verify_finding(scope).is_ok()
                        && f.fixed_by != Some(actor.user_id),
                    id: f.id,
                    impl_code: f.impl_code,
                    item_name: f.item_name,
                    item_version: f.item_version,
                    rule_id: f.rule_id,
                    severity: f.severity.as_str().into(),
                    severity_label: lang.t(f.severity.zh(), f.severity.as_str()).into(),
                    element: f.element,
                    message: if lang == Lang::En {
                        f.message_en
                    } else {
                        f.message_zh
                    },
                    fix_note: f.fix_note,
                    status_label: lang.t(f.status.zh(), f.status.as_str()).into(),
                }
            })
            .collect(),
        open: count(FindingStatus::Open),
        fixed: count(FindingStatus::Fixed),
        verified: count(FindingStatus::Verified),
        rules: RULES
            .iter()
            .map(|r| {
                (
                    r.id.to_string(),
                    lang.t(r.severity.zh(), r.severity.as_str()).to_string(),
                    lang.t(r.title_zh, r.title_en).to_string(),
                )
            })
            .collect(),
        last_run,
        status,
        item: q.item.unwrap_or_default(),
        notice: notice_text(lang, q.notice.as_deref()),
        errors: match (q.error.as_deref(), q.finding) {
            (Some("note"), Some(id)) => vec![FieldError::new(
                format!("note-{id}"),
                "required",
                "请填写整改说明后再标记已整改",
                "say what was done before marking the finding fixed",
            )],
            _ => vec![],
        },
        c: page.chrome(),
    }
    .into_response())
}

pub(super) async fn audit_run_post(
    State(s): State<AppState>,
    page: Page,
    Form(f): Form<CsrfForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    or_err(&page, actor.may_audit().map_err(ApiError::from))?;
    s.store
        .run_audit("manual", Some(actor.user_id), s.today(), &s.calendar())
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(Redirect::to("/admin/audit?notice=audit_done").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct FixForm {
    csrf: String,
    note: String,
}

pub(super) async fn fix_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<FixForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    let finding = s.store.finding(id).await.map_err(|e| store_err(&page, e))?;
    or_err(
        &page,
        super::api::outside_is_missing(actor, id, &finding.centre_path),
    )?;
    or_err(
        &page,
        actor
            .may_fix_finding(Scope {
                centre_path: &finding.centre_path,
                department_id: finding.department_id,
            })
            .map_err(ApiError::from),
    )?;
    match s.store.mark_finding_fixed(id, actor.user_id, &f.note).await {
        Ok(_) => {}
        Err(tongban_store::StoreError::Invalid(_)) => {
            return Ok(
                Redirect::to(&format!("/admin/audit?error=note&finding={id}")).into_response(),
            );
        }
        Err(e) => return Err(store_err(&page, e)),
    }
    Ok(Redirect::to("/admin/audit?notice=fixed").into_response())
}

pub(super) async fn verify_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    or_err(&page, super::api::may_verify(&s, actor, id).await)?;
    s.store
        .verify_finding(id, actor.user_id)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(Redirect::to("/admin/audit?status=fixed&notice=verified").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct SendBackForm {
    csrf: String,
    reason: String,
}

pub(super) async fn send_back_post(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<SendBackForm>,
) -> Result<Response, Response> {
    let (_, actor) = page.posted(&f.csrf)?;
    or_err(&page, super::api::may_verify(&s, actor, id).await)?;
    s.store
        .send_back_finding(id, actor.user_id, &f.reason)
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(Redirect::to("/admin/audit?status=fixed&notice=sent_back").into_response())
}
