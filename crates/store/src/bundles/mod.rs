//! Life-event bundles (SPEC §5, 高效办成一件事): versioned bundle
//! definitions, and bundle applications that fan out into one sub-case per
//! selected item. The rules (selection, slots, forms, derived state) live in
//! `tongban_domain::bundle`; this module stores and moves them.
//!
//! Here: what a bundle and its application are (types and rows);
//! `definitions` (versions, publishing, import), `applications` (start,
//! the one form, uploads per slot), `submission` (one submission fanning out
//! into sub-cases, 一窗受理, corrections answered once) and `observer` (the
//! bundle reacting to its sub-cases' steps).
//!
//! Invariants:
//! - submitting a bundle creates every sub-case or none (one transaction);
//! - a sub-case's step updates its bundle in the same transaction (the
//!   `BundleProgress` case observer): the bundle's applicant hears from the
//!   bundle once — one combined correction notice, one completion notice —
//!   never from each sub-case.

mod applications;
mod definitions;
mod lookup;
mod observer;
mod submission;

pub use lookup::PublicBundleProgress;
pub use observer::BundleProgress;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, QueryResult};
use serde::{Deserialize, Serialize};
use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::bundle::{BundleDoc, BundleState, Effect, Savings, Selection, Slot};
use tongban_domain::catalog::{FormField, ItemDoc, ItemStatus};
use tongban_domain::privacy::Sight;
use tongban_domain::text::{ANY_STRING_MAX, NAME_MAX, TEXT_MAX, check_text};
use tongban_domain::{FieldError, FieldErrors};

use crate::cases::{
    CASE_COLS, Case, CaseRow, Channel, co_reviewers_of, division_of, insert_case, row_case,
    shanghai_today, stale, verification_code,
};
use crate::catalog::ItemVersion;
use crate::sql::to_json;
use crate::{Result, Store, StoreError, get, query, query_one};

/// One stored version of a bundle.
#[derive(Debug, Clone, Serialize)]
pub struct BundleVersion {
    pub id: i64,
    /// Stable code, e.g. `newborn`.
    pub code: String,
    pub version: i64,
    pub status: ItemStatus,
    pub centre_id: i64,
    pub doc: BundleDoc,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
}

/// A published bundle with its items and what it saves.
#[derive(Debug, Clone, Serialize)]
pub struct BundleView {
    pub bundle: BundleVersion,
    /// The published versions of its items, in the bundle's order.
    pub items: Vec<ItemVersion>,
    pub savings: Savings,
}

impl BundleView {
    pub fn item_docs(&self) -> HashMap<String, ItemDoc> {
        self.items
            .iter()
            .map(|i| (i.impl_code.clone(), i.doc.clone()))
            .collect()
    }
}

/// A bundle application.
#[derive(Debug, Clone, Serialize)]
pub struct BundleCase {
    pub id: i64,
    pub bundle_no: String,
    #[serde(skip)]
    pub verify_code: String,
    pub bundle_version_id: i64,
    pub code: String,
    pub name: String,
    pub centre_id: i64,
    pub centre_path: String,
    pub applicant_user_id: Option<i64>,
    pub applicant_name: String,
    pub applicant_id_number: String,
    #[serde(skip)]
    pub applicant_phone: String,
    #[serde(skip)]
    pub applicant_email: String,
    pub created_by: i64,
    /// `draft` until submitted once.
    pub submitted: bool,
    pub state: BundleState,
    pub version: i64,
    pub answers: BTreeMap<String, String>,
    pub form: BTreeMap<String, String>,
    pub selection: Selection,
    /// The item versions applied for, pinned when the application starts.
    pub items: BTreeMap<String, i64>,
    /// The bundle's promised limit (working days), capping every sub-case's promise.
    pub promised_days: i64,
    pub submitted_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl BundleCase {
    pub fn visible_to(&self, a: &Actor) -> bool {
        if !self.submitted {
            return self.drafted_by(a);
        }
        match a.role {
            Role::Applicant => self.applicant_user_id == Some(a.user_id),
            // The concierge who filed it for an enterprise (a stage
            // application of its project).
            Role::Concierge => self.created_by == a.user_id,
            Role::Clerk | Role::Supervisor => self.centre_path.starts_with(&a.centre_path),
            _ => false,
        }
    }

    /// Whether `a` may fill in and submit the draft: its maker, or the
    /// applicant it was started for (an enterprise takes over what its
    /// concierge began).
    pub fn drafted_by(&self, a: &Actor) -> bool {
        self.created_by == a.user_id
            || (a.role == Role::Applicant && self.applicant_user_id == Some(a.user_id))
    }

    /// Whether `a` acts as the applicant: the applicant, or the concierge
    /// who filed it for them (each of their steps on the sub-cases is
    /// checked against the enterprise's authorization by the case writer).
    pub fn owned_by(&self, a: &Actor) -> bool {
        match a.role {
            Role::Applicant => self.applicant_user_id == Some(a.user_id),
            Role::Concierge => self.created_by == a.user_id,
            _ => false,
        }
    }
}

impl Store {
    /// The actor as the sub-cases' steps record them: a concierge acts for
    /// the enterprise only while its authorization covers every item of
    /// the application on `today` (refused with the reason otherwise), and
    /// is named with it ("钱专员 代 某公司"); anyone else is as they are.
    pub(crate) async fn bundle_actor(
        &self,
        b: &BundleCase,
        actor: &Actor,
        today: NaiveDate,
    ) -> Result<Actor> {
        if actor.role != Role::Concierge {
            return Ok(actor.clone());
        }
        let Some(applicant) = b.applicant_user_id else {
            return Err(StoreError::Forbidden(Denied::Role));
        };
        for code in &b.selection.items {
            if let Err(why) = self
                .mandate_check(actor.user_id, applicant, Some(code), today)
                .await?
            {
                return Err(crate::accounts::mandates::refused(why));
            }
        }
        let first = b.selection.items.first().map(String::as_str).unwrap_or("");
        self.acting_on_case(actor, Some(applicant), first, today)
            .await
    }
}

/// A file uploaded once for a slot of the bundle.
#[derive(Debug, Clone, Serialize)]
pub struct BundleFile {
    pub id: i64,
    pub slot: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub uploaded_at: i64,
    #[serde(skip)]
    pub object_key: String,
    #[serde(skip)]
    pub digest: String,
}

/// A combined notice of the bundle (correction or completion).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BundleNotice {
    pub id: i64,
    pub kind: String,
    pub number: String,
    pub body: NoticeBody,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct NoticeBody {
    pub title: String,
    pub addressee: String,
    pub bundle_no: String,
    pub bundle_name: String,
    pub paragraphs: Vec<String>,
    pub lines: Vec<NoticeLine>,
    pub date: Option<NaiveDate>,
}

/// One sub-case in a combined notice.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NoticeLine {
    pub case_id: i64,
    pub case_no: String,
    pub item_name: String,
    pub department: String,
    /// Correction: each material asked for (name — problem — standard). Completion: the result.
    pub entries: Vec<String>,
    /// Completion: the outcome (准予 / 不予许可 / 不予受理 / 撤回).
    pub outcome: String,
    pub document_id: Option<i64>,
}

/// Everything the bundle application's page shows.
#[derive(Debug, Clone, Serialize)]
pub struct BundleRecord {
    pub bundle: BundleCase,
    pub doc: BundleDoc,
    pub slots: Vec<Slot>,
    pub files: Vec<BundleFile>,
    /// The one form's fields as asked for this selection.
    pub fields: Vec<FormField>,
    pub sub_cases: Vec<Case>,
    pub notices: Vec<BundleNotice>,
    /// Item names of the selection, in order.
    pub item_names: Vec<String>,
    pub savings: Savings,
}

impl BundleRecord {
    /// The combined correction notice now open, if the bundle waits for corrections.
    pub fn open_correction(&self) -> Option<&BundleNotice> {
        if self.bundle.state != BundleState::Correction {
            return None;
        }
        self.notices.iter().rev().find(|n| n.kind == "correction")
    }
    pub fn completion(&self) -> Option<&BundleNotice> {
        self.notices.iter().find(|n| n.kind == "completion")
    }
    /// Required slots without a file yet.
    pub fn missing_slots(&self) -> Vec<usize> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(i, s)| {
                s.required && s.asked() && !self.files.iter().any(|f| f.slot == *i as i64)
            })
            .map(|(i, _)| i)
            .collect()
    }
}

const BV_COLS: &str = "id, code, version, status, centre_id, doc, created_at, updated_at, published_at FROM bundle_versions";

pub(super) fn row_bv(r: &QueryResult) -> Result<BundleVersion> {
    let status: String = get(r, "status")?;
    let id: i64 = get(r, "id")?;
    let doc: String = get(r, "doc")?;
    Ok(BundleVersion {
        id,
        code: get(r, "code")?,
        version: get(r, "version")?,
        status: ItemStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("bundle {id} status {status}")))?,
        centre_id: get(r, "centre_id")?,
        doc: serde_json::from_str(&doc)
            .map_err(|e| StoreError::Corrupt(format!("bundle {id} document: {e}")))?,
        created_at: get(r, "created_at")?,
        updated_at: get(r, "updated_at")?,
        published_at: get(r, "published_at")?,
    })
}

pub(super) const BC_COLS: &str = "id, bundle_no, verify_code, bundle_version_id, code, name, centre_id, centre_path, \
    applicant_user_id, applicant_name, applicant_id_number, applicant_phone, applicant_email, created_by, status, \
    state, version, answers, form, selection, items, promised_days, submitted_at, created_at, updated_at FROM bundle_cases";

pub(super) fn json<T: serde::de::DeserializeOwned>(r: &QueryResult, col: &str) -> Result<T> {
    let s: String = get(r, col)?;
    serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

pub(super) fn row_bc(r: &QueryResult) -> Result<BundleCase> {
    let state: String = get(r, "state")?;
    let status: String = get(r, "status")?;
    Ok(BundleCase {
        id: get(r, "id")?,
        bundle_no: get(r, "bundle_no")?,
        verify_code: get(r, "verify_code")?,
        bundle_version_id: get(r, "bundle_version_id")?,
        code: get(r, "code")?,
        name: get(r, "name")?,
        centre_id: get(r, "centre_id")?,
        centre_path: get(r, "centre_path")?,
        applicant_user_id: get(r, "applicant_user_id")?,
        applicant_name: get(r, "applicant_name")?,
        applicant_id_number: get(r, "applicant_id_number")?,
        applicant_phone: get(r, "applicant_phone")?,
        applicant_email: get(r, "applicant_email")?,
        created_by: get(r, "created_by")?,
        submitted: status == "submitted",
        state: BundleState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("bundle state {state}")))?,
        version: get(r, "version")?,
        answers: json(r, "answers")?,
        form: json(r, "form")?,
        selection: json(r, "selection")?,
        items: json(r, "items")?,
        promised_days: get(r, "promised_days")?,
        submitted_at: get(r, "submitted_at")?,
        created_at: get(r, "created_at")?,
        updated_at: get(r, "updated_at")?,
    })
}

pub(super) fn invalid(
    field: &str,
    code: &str,
    zh: impl Into<String>,
    en: impl Into<String>,
) -> StoreError {
    StoreError::Invalid(FieldError::new(field, code, zh, en).into())
}

/// The centre path of a centre.
pub(super) async fn centre_path(c: &impl ConnectionTrait, centre_id: i64) -> Result<String> {
    get(
        &query_one(
            c,
            "SELECT path FROM centres WHERE id = $1",
            vec![centre_id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("centre {centre_id}")))?,
        "path",
    )
}

/// Bundles span departments: only the centre's catalogue admin defines them.
pub(super) fn require_bundle_admin(a: &Actor) -> Result<()> {
    if a.role != Role::CatalogAdmin {
        return Err(StoreError::Forbidden(Denied::Role));
    }
    if a.department_id.is_some() {
        return Err(StoreError::Forbidden(Denied::Department));
    }
    Ok(())
}

pub(super) fn check_code(code: &str) -> Result<()> {
    let ok = !code.is_empty()
        && code.len() <= 40
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && code.starts_with(|c: char| c.is_ascii_lowercase());
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "code",
            "invalid",
            "编码只能由小写字母、数字和连字符组成，以字母开头，最长40位",
            "the code must be lowercase letters, digits and hyphens, starting with a letter, at most 40",
        ))
    }
}

pub(super) fn check_draft(doc: &BundleDoc) -> Result<()> {
    let mut e = FieldErrors::default();
    if doc.name.trim().is_empty() {
        e.push(FieldError::required("name", "一件事名称"));
    }
    // The texts applicants read: the text rule (no control or bidirectional
    // characters, bounded lengths).
    let mut text = |field: String, zh: &str, v: &str, max: usize, multiline: bool| {
        if let Some(err) = check_text(&field, zh, &field, v, max, multiline) {
            e.push(err);
        }
    };
    text("name".into(), "一件事名称", &doc.name, NAME_MAX, false);
    text("event".into(), "事件", &doc.event, NAME_MAX, false);
    text("guide".into(), "办事指南", &doc.guide, ANY_STRING_MAX, true);
    for (i, q) in doc.questions.iter().enumerate() {
        text(format!("questions[{i}].text"), "问题", &q.text, 500, false);
        for (j, o) in q.options.iter().enumerate() {
            text(
                format!("questions[{i}].options[{j}]"),
                "选项",
                o,
                NAME_MAX,
                false,
            );
        }
    }
    for (i, r) in doc.rules.iter().enumerate() {
        for (j, eff) in r.then.iter().enumerate() {
            if let Effect::Note { text: t } = eff {
                text(
                    format!("rules[{i}].then[{j}].text"),
                    "提示",
                    t,
                    TEXT_MAX,
                    true,
                );
            }
        }
    }
    for (i, f) in doc.fields.iter().enumerate() {
        text(
            format!("fields[{i}].label"),
            "字段名称",
            &f.label,
            NAME_MAX,
            false,
        );
    }
    if doc.promised_days.get() > 365 {
        e.push(FieldError::new(
            "promised_days",
            "too_large",
            "承诺办结时限不能超过365个工作日",
            "the promised limit must be at most 365 working days",
        ));
    }
    e.into_result().map_err(StoreError::Invalid)
}

/// The fault-injection hook of the fan-out: fail on the n-th sub-case.
pub(super) fn injected(store: &Store, n: usize) -> Result<()> {
    if store.fanout_fault.load(Ordering::Relaxed) == n {
        return Err(StoreError::Corrupt(format!(
            "injected failure creating sub-case {n}"
        )));
    }
    Ok(())
}

impl BundleRecord {
    /// The application as a viewer with `sight` sees it (the rule of
    /// [`Sight`], applied as the case core applies it to each sub-case).
    pub fn seen_by(mut self, sight: Sight) -> BundleRecord {
        let code = self.bundle.verify_code.clone();
        let b = &mut self.bundle;
        b.applicant_name = sight.name(&b.applicant_name);
        b.applicant_id_number = sight.id_number(&b.applicant_id_number);
        b.applicant_phone = sight.phone(&b.applicant_phone);
        b.applicant_email = sight.email(&b.applicant_email);
        b.verify_code = sight.verify_code(&b.verify_code);
        if !sight.form {
            // The answers and the notes they lead to are the family's too
            // (married or not, hukou, housing).
            b.form.clear();
            b.answers.clear();
            b.selection.notes.clear();
        }
        for n in &mut self.notices {
            n.body.addressee = sight.name(&n.body.addressee);
            n.body.paragraphs = n
                .body
                .paragraphs
                .iter()
                .map(|p| sight.text_quoting_code(p, &code))
                .collect();
        }
        for f in &mut self.files {
            f.file_name = sight.file_name(f.id, &f.file_name);
        }
        self.sub_cases = self
            .sub_cases
            .into_iter()
            .map(|c| c.seen_by(sight))
            .collect();
        self
    }
}

/// A document an earlier item of the bundle issues to a sub-case (SPEC §5).
#[derive(Debug, Clone, Serialize)]
pub struct PassedOn {
    pub material_index: i64,
    pub kind: String,
    pub holder: String,
    /// The issuing item's 实施编码, and once issued its sub-case and certificate.
    pub from_item: String,
    pub from_case_id: Option<i64>,
    pub licence_id: Option<String>,
    pub passed_at: Option<i64>,
    /// The issuing item ended without issuing it (the applicant supplies it).
    pub failed_at: Option<i64>,
}

impl Store {
    /// What the bundle passes on to a case (empty for a case outside a
    /// bundle). Takes the case as already handed out to the viewer.
    pub async fn passed_on_to(&self, case: &crate::cases::Case) -> Result<Vec<PassedOn>> {
        if case.bundle_case_id.is_none() {
            return Ok(Vec::new());
        }
        let rows = query(
            self.conn(),
            "SELECT material_index, kind, holder, from_item, from_case_id, licence_id, passed_at, failed_at \
             FROM bundle_passed_on WHERE to_case_id = $1 ORDER BY material_index, id",
            vec![case.id.into()],
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PassedOn {
                    material_index: get(r, "material_index")?,
                    kind: get(r, "kind")?,
                    holder: get(r, "holder")?,
                    from_item: get(r, "from_item")?,
                    from_case_id: get(r, "from_case_id")?,
                    licence_id: get(r, "licence_id")?,
                    passed_at: get(r, "passed_at")?,
                    failed_at: get(r, "failed_at")?,
                })
            })
            .collect()
    }
}
