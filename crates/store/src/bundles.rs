//! Life-event bundles (SPEC §5, 高效办成一件事): versioned bundle
//! definitions, and bundle applications that fan out into one sub-case per
//! selected item. The rules (selection, slots, forms, derived state) live in
//! `tongban_domain::bundle`; this module stores and moves them.
//!
//! Invariants:
//! - submitting a bundle creates every sub-case or none (one transaction);
//! - a sub-case's command updates its bundle in the same transaction
//!   (`after_sub_case`): the bundle's applicant hears from the bundle once —
//!   one combined correction notice, one completion notice — never from each
//!   sub-case.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, QueryResult};
use serde::{Deserialize, Serialize};
use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::bundle::{
    self, BundleDoc, BundleState, Savings, Selection, Slot, SubCase, check_publishable,
};
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::{CaseState, Command, Deficiency, DocKind, Limits, Transition};
use tongban_domain::catalog::{DayUnit, FormField, ItemDoc, ItemStatus, TimeLimit};
use tongban_domain::clock::{ClockEvent, SuspendReason};
use tongban_domain::files::check_upload;
use tongban_domain::{FieldError, FieldErrors};

use crate::attachments::Attachments;
use crate::cases::{
    CASE_COLS, Case, CaseRow, Channel, DocBody, apply_in, co_reviewers_of, division_of,
    insert_case, row_case, shanghai_today, stale, to_json, verification_code,
};
use crate::catalog::ItemVersion;
use crate::{
    Result, Store, StoreError, exec, get, insert_id, now_ms, query, query_one, sm3_hex, trail,
};

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
            return self.created_by == a.user_id;
        }
        match a.role {
            Role::Applicant => self.applicant_user_id == Some(a.user_id),
            Role::Clerk | Role::Supervisor => self.centre_path.starts_with(&a.centre_path),
            _ => false,
        }
    }
    fn owned_by(&self, a: &Actor) -> bool {
        a.role == Role::Applicant && self.applicant_user_id == Some(a.user_id)
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
            .filter(|(i, s)| s.required && !self.files.iter().any(|f| f.slot == *i as i64))
            .map(|(i, _)| i)
            .collect()
    }
}

const BV_COLS: &str = "id, code, version, status, centre_id, doc, created_at, updated_at, published_at FROM bundle_versions";

fn row_bv(r: &QueryResult) -> Result<BundleVersion> {
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

const BC_COLS: &str = "id, bundle_no, verify_code, bundle_version_id, code, name, centre_id, centre_path, \
    applicant_user_id, applicant_name, applicant_id_number, applicant_phone, applicant_email, created_by, status, \
    state, version, answers, form, selection, items, promised_days, submitted_at, created_at, updated_at FROM bundle_cases";

fn json<T: serde::de::DeserializeOwned>(r: &QueryResult, col: &str) -> Result<T> {
    let s: String = get(r, col)?;
    serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

fn row_bc(r: &QueryResult) -> Result<BundleCase> {
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

fn invalid(field: &str, code: &str, zh: impl Into<String>, en: impl Into<String>) -> StoreError {
    StoreError::Invalid(FieldError::new(field, code, zh, en).into())
}

/// The centre path of a centre.
async fn centre_path(c: &impl ConnectionTrait, centre_id: i64) -> Result<String> {
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
fn require_bundle_admin(a: &Actor) -> Result<()> {
    if a.role != Role::CatalogAdmin {
        return Err(StoreError::Forbidden(Denied::Role));
    }
    if a.department_id.is_some() {
        return Err(StoreError::Forbidden(Denied::Department));
    }
    Ok(())
}

fn check_code(code: &str) -> Result<()> {
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

fn check_draft(doc: &BundleDoc) -> Result<()> {
    let mut e = FieldErrors::default();
    if doc.name.trim().is_empty() {
        e.push(FieldError::required("name", "一件事名称"));
    }
    if doc.promised_days > 365 {
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
fn injected(store: &Store, n: usize) -> Result<()> {
    if store.fanout_fault.load(Ordering::Relaxed) == n {
        return Err(StoreError::Corrupt(format!(
            "injected failure creating sub-case {n}"
        )));
    }
    Ok(())
}

impl Store {
    /// A bundle version the admin may change: of their centre or one below it.
    async fn admin_version(&self, actor: &Actor, id: i64) -> Result<BundleVersion> {
        require_bundle_admin(actor)?;
        let v = self.bundle_version(id).await?;
        if !centre_path(self.conn(), v.centre_id)
            .await?
            .starts_with(&actor.centre_path)
        {
            return Err(StoreError::Forbidden(Denied::Department));
        }
        Ok(v)
    }

    /// Makes the fan-out of the next bundle submissions fail when creating
    /// their `nth` sub-case (1-based; 0 turns it off). For tests of atomicity.
    #[doc(hidden)]
    pub fn inject_fanout_failure(&self, nth: usize) {
        self.fanout_fault.store(nth, Ordering::Relaxed);
    }

    /// Creates version 1 of a bundle as a draft.
    pub async fn create_bundle(
        &self,
        actor: &Actor,
        code: &str,
        doc: &BundleDoc,
    ) -> Result<BundleVersion> {
        require_bundle_admin(actor)?;
        self.create_bundle_in(actor.centre_id, Some(actor.user_id), code, doc)
            .await
    }

    async fn create_bundle_in(
        &self,
        centre_id: i64,
        actor: Option<i64>,
        code: &str,
        doc: &BundleDoc,
    ) -> Result<BundleVersion> {
        check_code(code)?;
        check_draft(doc)?;
        if query_one(
            self.conn(),
            "SELECT id FROM bundle_versions WHERE code = $1",
            vec![code.into()],
        )
        .await?
        .is_some()
        {
            return Err(invalid(
                "code",
                "duplicate",
                format!("编码{code}已被使用"),
                format!("code {code} is already used"),
            ));
        }
        let now = now_ms();
        let txn = self.begin().await?;
        let id = insert_id(
            &txn,
            "INSERT INTO bundle_versions (code, version, status, centre_id, doc, created_at, updated_at, published_at, retired_at) \
             VALUES ($1, 1, 'draft', $2, $3, $4, $4, NULL, NULL)",
            vec![code.into(), centre_id.into(), to_json(doc).into(), now.into()],
        )
        .await?;
        trail::append(
            &txn,
            actor,
            "bundle.create",
            &format!("bundle:{code}"),
            serde_json::json!({"version": 1, "name": doc.name}),
        )
        .await?;
        txn.commit().await?;
        self.bundle_version(id).await
    }

    /// Replaces the document of a draft version.
    pub async fn update_bundle_draft(
        &self,
        actor: &Actor,
        id: i64,
        doc: &BundleDoc,
    ) -> Result<BundleVersion> {
        check_draft(doc)?;
        let v = self.admin_version(actor, id).await?;
        if v.status != ItemStatus::Draft {
            return Err(StoreError::conflict(
                "只能修改草稿版本，已发布的版本请先创建新版本",
                "only a draft can be changed; create a new version of a published bundle",
            ));
        }
        let txn = self.begin().await?;
        let n = exec(
            &txn,
            "UPDATE bundle_versions SET doc = $1, updated_at = $2 WHERE id = $3 AND status = 'draft'",
            vec![to_json(doc).into(), now_ms().into(), id.into()],
        )
        .await?;
        if n != 1 {
            return Err(stale());
        }
        trail::append(
            &txn,
            Some(actor.user_id),
            "bundle.update",
            &format!("bundle:{}", v.code),
            serde_json::json!({"version": v.version}),
        )
        .await?;
        txn.commit().await?;
        self.bundle_version(id).await
    }

    /// Starts a new draft version from the newest one.
    pub async fn new_bundle_version(&self, actor: &Actor, code: &str) -> Result<BundleVersion> {
        require_bundle_admin(actor)?;
        let versions = self.bundle_versions(code).await?;
        let Some(last) = versions.last() else {
            return Err(StoreError::NotFound(format!("bundle {code}")));
        };
        self.admin_version(actor, last.id).await?;
        if versions.iter().any(|v| v.status == ItemStatus::Draft) {
            return Err(StoreError::conflict(
                "该一件事已有草稿版本",
                "the bundle already has a draft version",
            ));
        }
        let now = now_ms();
        let txn = self.begin().await?;
        let id = insert_id(
            &txn,
            "INSERT INTO bundle_versions (code, version, status, centre_id, doc, created_at, updated_at, published_at, retired_at) \
             VALUES ($1, $2, 'draft', $3, $4, $5, $5, NULL, NULL)",
            vec![
                code.into(),
                (last.version + 1).into(),
                last.centre_id.into(),
                to_json(&last.doc).into(),
                now.into(),
            ],
        )
        .await?;
        trail::append(
            &txn,
            Some(actor.user_id),
            "bundle.new_version",
            &format!("bundle:{code}"),
            serde_json::json!({"version": last.version + 1}),
        )
        .await?;
        txn.commit().await?;
        self.bundle_version(id).await
    }

    /// Publishes a draft version; the one published before is superseded.
    /// Refused when the bundle names an item that is not published, maps to
    /// a field that does not exist, leaves a required item field unfilled,
    /// or has questions with which no answer selects an item.
    pub async fn publish_bundle(&self, actor: &Actor, id: i64) -> Result<BundleVersion> {
        self.admin_version(actor, id).await?;
        self.publish_bundle_by(id, Some(actor.user_id)).await
    }

    async fn publish_bundle_by(&self, id: i64, actor: Option<i64>) -> Result<BundleVersion> {
        let v = self.bundle_version(id).await?;
        if v.status != ItemStatus::Draft {
            return Err(StoreError::conflict(
                "只能发布草稿版本",
                "only a draft version can be published",
            ));
        }
        let items = self.bundle_items(&v.doc).await?;
        let docs: HashMap<String, ItemDoc> = items
            .iter()
            .map(|i| (i.impl_code.clone(), i.doc.clone()))
            .collect();
        check_publishable(&v.doc, &docs).map_err(StoreError::Invalid)?;
        let now = now_ms();
        let txn = self.begin().await?;
        exec(
            &txn,
            "UPDATE bundle_versions SET status = 'superseded', updated_at = $1 WHERE code = $2 AND status = 'published'",
            vec![now.into(), v.code.clone().into()],
        )
        .await?;
        let n = exec(
            &txn,
            "UPDATE bundle_versions SET status = 'published', published_at = $1, updated_at = $1 WHERE id = $2 AND status = 'draft'",
            vec![now.into(), id.into()],
        )
        .await?;
        if n != 1 {
            return Err(stale());
        }
        trail::append(
            &txn,
            actor,
            "bundle.publish",
            &format!("bundle:{}", v.code),
            serde_json::json!({"version": v.version}),
        )
        .await?;
        txn.commit().await?;
        self.bundle_version(id).await
    }

    /// Loads the demo bundles (or any file in that format), publishing each.
    pub async fn import_bundles(&self, centre_id: i64, text: &str) -> Result<usize> {
        #[derive(Deserialize)]
        struct File {
            format: String,
            bundles: Vec<Entry>,
        }
        #[derive(Deserialize)]
        struct Entry {
            code: String,
            doc: BundleDoc,
        }
        let f: File = serde_json::from_str(text).map_err(|e| {
            invalid(
                "$",
                "invalid_json",
                format!("文件格式错误：{e}"),
                e.to_string(),
            )
        })?;
        if f.format != "tongban-bundles/1" {
            return Err(invalid(
                "format",
                "unsupported",
                "不支持的文件格式",
                "unsupported format",
            ));
        }
        for b in &f.bundles {
            let v = self
                .create_bundle_in(centre_id, None, &b.code, &b.doc)
                .await?;
            self.publish_bundle_by(v.id, None).await?;
        }
        Ok(f.bundles.len())
    }

    pub async fn bundle_version(&self, id: i64) -> Result<BundleVersion> {
        let r = query_one(
            self.conn(),
            &format!("SELECT {BV_COLS} WHERE id = $1"),
            vec![id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("bundle version {id}")))?;
        row_bv(&r)
    }

    pub async fn bundle_versions(&self, code: &str) -> Result<Vec<BundleVersion>> {
        let rows = query(
            self.conn(),
            &format!("SELECT {BV_COLS} WHERE code = $1 ORDER BY version"),
            vec![code.into()],
        )
        .await?;
        rows.iter().map(row_bv).collect()
    }

    /// The newest version of every bundle, for the admin list.
    pub async fn admin_bundles(&self, actor: &Actor) -> Result<Vec<BundleVersion>> {
        require_bundle_admin(actor)?;
        let rows = query(
            self.conn(),
            &format!(
                "SELECT {BV_COLS} b WHERE version = (SELECT MAX(version) FROM bundle_versions x WHERE x.code = b.code) \
                 AND centre_id IN (SELECT id FROM centres WHERE path LIKE $1) ORDER BY code"
            ),
            vec![format!("{}%", actor.centre_path).into()],
        )
        .await?;
        rows.iter().map(row_bv).collect()
    }

    /// The published versions of a bundle's items (missing ones left out).
    async fn bundle_items(&self, doc: &BundleDoc) -> Result<Vec<ItemVersion>> {
        let mut out = Vec::new();
        for bi in &doc.items {
            if let Some(i) = self.published_item(&bi.item).await?
                && i.impl_code == bi.item.trim().to_ascii_uppercase()
            {
                out.push(i);
            }
        }
        Ok(out)
    }

    async fn view_of(&self, v: BundleVersion) -> Result<BundleView> {
        let items = self.bundle_items(&v.doc).await?;
        let docs: HashMap<String, ItemDoc> = items
            .iter()
            .map(|i| (i.impl_code.clone(), i.doc.clone()))
            .collect();
        let savings = bundle::savings(&v.doc, &docs);
        Ok(BundleView {
            bundle: v,
            items,
            savings,
        })
    }

    /// Every published bundle with its savings.
    pub async fn published_bundles(&self) -> Result<Vec<BundleView>> {
        let rows = query(
            self.conn(),
            &format!("SELECT {BV_COLS} WHERE status = 'published' ORDER BY id"),
            vec![],
        )
        .await?;
        let mut out = Vec::new();
        for r in &rows {
            out.push(self.view_of(row_bv(r)?).await?);
        }
        Ok(out)
    }

    pub async fn published_bundle(&self, code: &str) -> Result<Option<BundleView>> {
        let r = query_one(
            self.conn(),
            &format!("SELECT {BV_COLS} WHERE code = $1 AND status = 'published'"),
            vec![code.into()],
        )
        .await?;
        match r {
            Some(r) => Ok(Some(self.view_of(row_bv(&r)?).await?)),
            None => Ok(None),
        }
    }

    // ----- applications -----

    /// Starts an application for a published bundle with the applicant's
    /// answers. The same `client_key` returns the same application.
    pub async fn start_bundle(
        &self,
        actor: &Actor,
        code: &str,
        answers: &BTreeMap<String, String>,
        client_key: Option<&str>,
    ) -> Result<BundleCase> {
        if actor.role != Role::Applicant {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        if let Some(key) = client_key {
            if key.len() > 100 {
                return Err(invalid(
                    "client_key",
                    "too_long",
                    "请求标识过长",
                    "client_key must be at most 100 characters",
                ));
            }
            if let Some(r) = query_one(
                self.conn(),
                "SELECT id FROM bundle_cases WHERE created_by = $1 AND client_key = $2",
                vec![actor.user_id.into(), key.into()],
            )
            .await?
            {
                return self.bundle_case(get(&r, "id")?).await;
            }
        }
        let view = self
            .published_bundle(code)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("published bundle {code}")))?;
        let sel = bundle::select_checked(&view.bundle.doc, answers).map_err(StoreError::Invalid)?;
        // Pin the item versions applied for; every selected item must be offered now.
        let mut pinned: BTreeMap<String, i64> = BTreeMap::new();
        for code in &sel.items {
            let Some(i) = view.items.iter().find(|i| &i.impl_code == code) else {
                return Err(StoreError::conflict(
                    format!("事项{code}暂停办理，本“一件事”暂不能申请，请联系服务中心"),
                    format!("item {code} is not offered now; the bundle cannot be applied for"),
                ));
            };
            pinned.insert(code.clone(), i.id);
        }
        let answers: BTreeMap<String, String> = answers
            .iter()
            .map(|(k, v)| (k.clone(), v.trim().to_string()))
            .collect();
        let u = query_one(
            self.conn(),
            "SELECT display_name, id_number, phone, email FROM users WHERE id = $1",
            vec![actor.user_id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound("user".into()))?;
        let centre = query_one(
            self.conn(),
            "SELECT path, division_code FROM centres WHERE id = $1",
            vec![view.bundle.centre_id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::Corrupt("centre".into()))?;
        let centre_path: String = get(&centre, "path")?;
        let division: String = get(&centre, "division_code")?;
        let now = now_ms();
        let today = shanghai_today();
        let txn = self.begin().await?;
        let id = insert_id(
            &txn,
            "INSERT INTO bundle_cases (bundle_no, verify_code, bundle_version_id, code, name, centre_id, centre_path, \
             applicant_user_id, applicant_name, applicant_id_number, applicant_phone, applicant_email, created_by, status, \
             state, version, answers, form, selection, items, promised_days, client_key, submitted_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $8, 'draft', 'draft', 1, $13, '{}', $14, $17, $18, $15, NULL, $16, $16)",
            vec![
                format!("tmp-{}", crate::accounts::random_token()).into(),
                verification_code().into(),
                view.bundle.id.into(),
                view.bundle.code.clone().into(),
                view.bundle.doc.name.clone().into(),
                view.bundle.centre_id.into(),
                centre_path.into(),
                actor.user_id.into(),
                get::<String>(&u, "display_name")?.into(),
                get::<String>(&u, "id_number")?.into(),
                get::<String>(&u, "phone")?.into(),
                get::<String>(&u, "email")?.into(),
                to_json(&answers).into(),
                to_json(&sel).into(),
                client_key.map(str::to_string).into(),
                now.into(),
                to_json(&pinned).into(),
                i64::from(view.bundle.doc.promised_days).into(),
            ],
        )
        .await;
        let id = match id {
            Ok(id) => id,
            Err(e) => {
                // A double click raced this one: answer with the application it made.
                drop(txn);
                if let Some(key) = client_key
                    && let Some(r) = query_one(
                        self.conn(),
                        "SELECT id FROM bundle_cases WHERE created_by = $1 AND client_key = $2",
                        vec![actor.user_id.into(), key.into()],
                    )
                    .await?
                {
                    return self.bundle_case(get(&r, "id")?).await;
                }
                return Err(e);
            }
        };
        let no = format!("YJS{division}{}{id:07}", today.format("%Y%m%d"));
        exec(
            &txn,
            "UPDATE bundle_cases SET bundle_no = $1 WHERE id = $2",
            vec![no.clone().into(), id.into()],
        )
        .await?;
        trail::append(
            &txn,
            Some(actor.user_id),
            "bundle_case.create",
            &format!("bundle_case:{no}"),
            serde_json::json!({"bundle": view.bundle.code, "version": view.bundle.version, "items": sel.items}),
        )
        .await?;
        txn.commit().await?;
        self.bundle_case(id).await
    }

    pub async fn bundle_case(&self, id: i64) -> Result<BundleCase> {
        let r = query_one(
            self.conn(),
            &format!("SELECT {BC_COLS} WHERE id = $1"),
            vec![id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("bundle application {id}")))?;
        row_bc(&r)
    }

    /// A bundle application with its sub-cases, as `actor` may see it.
    pub async fn bundle_for(&self, actor: &Actor, id: i64) -> Result<BundleRecord> {
        let b = self.bundle_case(id).await?;
        if !b.visible_to(actor) {
            return Err(StoreError::NotFound(format!("bundle application {id}")));
        }
        self.record_of(b).await
    }

    async fn record_of(&self, b: BundleCase) -> Result<BundleRecord> {
        let v = self.bundle_version(b.bundle_version_id).await?;
        let subs = query(
            self.conn(),
            &format!("SELECT {CASE_COLS} WHERE k.bundle_case_id = $1 ORDER BY k.id"),
            vec![b.id.into()],
        )
        .await?
        .iter()
        .map(row_case)
        .collect::<Result<Vec<_>>>()?;
        // The items as they were applied for: the sub-cases' versions once
        // submitted, the published versions before.
        let mut docs: HashMap<String, ItemDoc> = HashMap::new();
        if subs.is_empty() {
            docs = self.pinned_docs(&b).await?;
        } else {
            for c in &subs {
                docs.insert(
                    c.impl_code.clone(),
                    (*self.item_doc(c.item_version_id).await?).clone(),
                );
            }
        }
        let slots = bundle::slots(&b.selection, &docs);
        let fields = bundle::asked_fields(&v.doc, &b.selection)
            .into_iter()
            .map(|f| bundle::field_spec(f, &b.selection, &docs))
            .collect();
        let files = self.bundle_files(b.id).await?;
        let notices = query(
            self.conn(),
            "SELECT id, kind, number, body, created_at FROM bundle_notices WHERE bundle_case_id = $1 ORDER BY id",
            vec![b.id.into()],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(BundleNotice {
                id: get(r, "id")?,
                kind: get(r, "kind")?,
                number: get(r, "number")?,
                body: json(r, "body")?,
                created_at: get(r, "created_at")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let item_names = b
            .selection
            .items
            .iter()
            .map(|c| {
                docs.get(c)
                    .map(|d| d.name.clone())
                    .unwrap_or_else(|| c.clone())
            })
            .collect();
        let savings = bundle::savings(&v.doc, &docs);
        Ok(BundleRecord {
            bundle: b,
            doc: v.doc,
            slots,
            files,
            fields,
            sub_cases: subs,
            notices,
            item_names,
            savings,
        })
    }

    async fn bundle_files(&self, id: i64) -> Result<Vec<BundleFile>> {
        query(
            self.conn(),
            "SELECT id, slot, file_name, content_type, size, uploaded_at, object_key, digest FROM bundle_files WHERE bundle_case_id = $1 ORDER BY id",
            vec![id.into()],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(BundleFile {
                id: get(r, "id")?,
                slot: get(r, "slot")?,
                file_name: get(r, "file_name")?,
                content_type: get(r, "content_type")?,
                size: get(r, "size")?,
                uploaded_at: get(r, "uploaded_at")?,
                object_key: get(r, "object_key")?,
                digest: get(r, "digest")?,
            })
        })
        .collect()
    }

    /// The applicant's bundle applications, newest first.
    pub async fn my_bundles(&self, actor: &Actor) -> Result<Vec<BundleCase>> {
        let rows = query(
            self.conn(),
            &format!("SELECT {BC_COLS} WHERE applicant_user_id = $1 ORDER BY id DESC"),
            vec![actor.user_id.into()],
        )
        .await?;
        rows.iter().map(row_bc).collect()
    }

    /// Submitted bundle applications of the clerk's centre that have a
    /// sub-case awaiting intake.
    pub async fn bundle_intake_queue(&self, actor: &Actor) -> Result<Vec<BundleCase>> {
        if !matches!(actor.role, Role::Clerk | Role::Supervisor) {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        let rows = query(
            self.conn(),
            &format!(
                "SELECT {BC_COLS} b WHERE status = 'submitted' AND centre_path LIKE $1 \
                 AND EXISTS (SELECT 1 FROM cases k WHERE k.bundle_case_id = b.id AND k.state = 'submitted') ORDER BY id"
            ),
            vec![format!("{}%", actor.centre_path).into()],
        )
        .await?;
        rows.iter().map(row_bc).collect()
    }

    async fn own_draft(&self, actor: &Actor, id: i64) -> Result<BundleCase> {
        let b = self.bundle_case(id).await?;
        if b.created_by != actor.user_id {
            return Err(StoreError::NotFound(format!("bundle application {id}")));
        }
        if b.submitted {
            return Err(StoreError::conflict(
                "申请已提交，不能再修改",
                "the application has been submitted and can no longer be changed",
            ));
        }
        Ok(b)
    }

    /// Saves the one form after checking it against every selected item.
    pub async fn save_bundle_form(
        &self,
        actor: &Actor,
        id: i64,
        form: &BTreeMap<String, String>,
    ) -> Result<BundleCase> {
        let b = self.own_draft(actor, id).await?;
        let v = self.bundle_version(b.bundle_version_id).await?;
        let docs = self.pinned_docs(&b).await?;
        bundle::item_forms(&v.doc, &b.selection, &docs, form).map_err(StoreError::Invalid)?;
        let clean: BTreeMap<String, String> = form
            .iter()
            .map(|(k, v)| (k.clone(), v.trim().to_string()))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        let txn = self.begin().await?;
        let n = exec(
            &txn,
            "UPDATE bundle_cases SET form = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4 AND status = 'draft'",
            vec![to_json(&clean).into(), now_ms().into(), id.into(), b.version.into()],
        )
        .await?;
        if n != 1 {
            return Err(stale());
        }
        txn.commit().await?;
        self.bundle_case(id).await
    }

    /// The documents of the item versions pinned when the application started.
    async fn pinned_docs(&self, b: &BundleCase) -> Result<HashMap<String, ItemDoc>> {
        let mut docs = HashMap::new();
        for (code, id) in &b.items {
            docs.insert(code.clone(), (*self.item_doc(*id).await?).clone());
        }
        Ok(docs)
    }

    /// Uploads the file of one slot (a material asked once for every item
    /// that needs it) while the application is a draft.
    pub async fn bundle_upload(
        &self,
        files: &Attachments,
        actor: &Actor,
        id: i64,
        slot: usize,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<BundleFile> {
        let b = self.own_draft(actor, id).await?;
        let rec = self.record_of(b.clone()).await?;
        let Some(s) = rec.slots.get(slot) else {
            return Err(invalid(
                "slot",
                "unknown",
                "该材料不在本次申请的材料清单中",
                "no such material in this application's list",
            ));
        };
        let kind = check_upload(&bytes).map_err(|e| invalid("file", "refused", e.zh(), e.en()))?;
        let clean = crate::cases::clean_file_name(file_name, &s.name, kind.extension());
        let digest = sm3_hex(&bytes);
        let key = format!(
            "bundles/{}/{}-{}.{}",
            b.id,
            slot,
            crate::accounts::random_token(),
            kind.extension()
        );
        let size = bytes.len() as i64;
        files.put(&key, bytes).await?;
        let now = now_ms();
        let written = async {
            let txn = self.begin().await?;
            let n = exec(
                &txn,
                "UPDATE bundle_cases SET version = version + 1, updated_at = $1 WHERE id = $2 AND version = $3 AND status = 'draft'",
                vec![now.into(), b.id.into(), b.version.into()],
            )
            .await?;
            if n != 1 {
                return Err(stale());
            }
            let fid = insert_id(
                &txn,
                "INSERT INTO bundle_files (bundle_case_id, slot, file_name, content_type, size, object_key, digest, uploaded_by, uploaded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                vec![
                    b.id.into(),
                    (slot as i64).into(),
                    clean.clone().into(),
                    kind.content_type().into(),
                    size.into(),
                    key.clone().into(),
                    digest.clone().into(),
                    actor.user_id.into(),
                    now.into(),
                ],
            )
            .await?;
            trail::append(
                &txn,
                Some(actor.user_id),
                "bundle_case.upload",
                &format!("bundle_case:{}", b.bundle_no),
                serde_json::json!({"material": s.name, "sm3": digest, "size": size}),
            )
            .await?;
            txn.commit().await?;
            Ok::<i64, StoreError>(fid)
        }
        .await;
        match written {
            Ok(fid) => Ok(BundleFile {
                id: fid,
                slot: slot as i64,
                file_name: clean,
                content_type: kind.content_type().into(),
                size,
                uploaded_at: now,
                object_key: key,
                digest,
            }),
            Err(e) => {
                if let Err(d) = files.delete(&key).await {
                    tracing::warn!("orphan upload {key} not removed: {d}");
                }
                Err(e)
            }
        }
    }

    /// Removes a file from a draft application.
    pub async fn bundle_remove_upload(
        &self,
        files: &Attachments,
        actor: &Actor,
        id: i64,
        file_id: i64,
    ) -> Result<()> {
        let b = self.own_draft(actor, id).await?;
        let f = self
            .bundle_files(id)
            .await?
            .into_iter()
            .find(|f| f.id == file_id)
            .ok_or_else(|| StoreError::NotFound(format!("file {file_id}")))?;
        let txn = self.begin().await?;
        let n = exec(
            &txn,
            "UPDATE bundle_cases SET version = version + 1, updated_at = $1 WHERE id = $2 AND version = $3 AND status = 'draft'",
            vec![now_ms().into(), b.id.into(), b.version.into()],
        )
        .await?;
        if n != 1 {
            return Err(stale());
        }
        exec(
            &txn,
            "DELETE FROM bundle_files WHERE id = $1",
            vec![file_id.into()],
        )
        .await?;
        txn.commit().await?;
        if let Err(e) = files.delete(&f.object_key).await {
            tracing::warn!("removed upload {} left in storage: {e}", f.object_key);
        }
        Ok(())
    }

    /// Submits once: creates one sub-case per selected item, each with its
    /// form and the uploaded files, and submits them, all in one
    /// transaction. Submitting again (a double click) returns the same
    /// application.
    pub async fn submit_bundle(
        &self,
        actor: &Actor,
        id: i64,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<BundleRecord> {
        let b = self.bundle_case(id).await?;
        if b.created_by != actor.user_id {
            return Err(StoreError::NotFound(format!("bundle application {id}")));
        }
        if b.submitted {
            return self.record_of(b).await;
        }
        let v = self.bundle_version(b.bundle_version_id).await?;
        // The pinned item versions must still be the published ones: a guide
        // changed since the start may ask for other materials or fields.
        let mut items: Vec<ItemVersion> = Vec::new();
        for code in &b.selection.items {
            let pinned = b.items.get(code).copied().unwrap_or_default();
            match self.item_version(pinned).await {
                Ok(i) if i.status == ItemStatus::Published => items.push(i),
                _ => {
                    return Err(StoreError::conflict(
                        format!("事项{code}的办事指南已更新或停止办理，请重新开始申请"),
                        format!(
                            "the guide of item {code} changed or the item is no longer offered; start the application again"
                        ),
                    ));
                }
            }
        }
        let docs: HashMap<String, ItemDoc> = items
            .iter()
            .map(|i| (i.impl_code.clone(), i.doc.clone()))
            .collect();
        let forms = bundle::item_forms(&v.doc, &b.selection, &docs, &b.form)
            .map_err(StoreError::Invalid)?;
        let slots = bundle::slots(&b.selection, &docs);
        let files = self.bundle_files(id).await?;
        let mut errs = FieldErrors::default();
        for (i, s) in slots.iter().enumerate() {
            if s.required && !files.iter().any(|f| f.slot == i as i64) {
                errs.push(FieldError::new(
                    format!("slots[{i}]"),
                    "missing",
                    format!("请上传：{}", s.name),
                    format!("upload: {}", s.name),
                ));
            }
        }
        errs.into_result().map_err(StoreError::Invalid)?;
        let mut co = HashMap::new();
        for i in &items {
            co.insert(i.impl_code.clone(), co_reviewers_of(self, &i.doc).await?);
        }
        let division = division_of(self.conn(), b.centre_id).await?;
        let now = now_ms();
        let txn = self.begin().await?;
        // Claim the draft first: a concurrent submission finds it taken. While
        // the sub-cases are made the bundle is `busy`: their steps leave it be.
        let n = exec(
            &txn,
            "UPDATE bundle_cases SET status = 'busy', state = 'in_progress', version = version + 1, \
             submitted_at = $1, updated_at = $1 WHERE id = $2 AND version = $3 AND status = 'draft'",
            vec![now.into(), id.into(), b.version.into()],
        )
        .await?;
        if n != 1 {
            drop(txn);
            let now_b = self.bundle_case(id).await?;
            return if now_b.submitted {
                self.record_of(now_b).await
            } else {
                Err(stale())
            };
        }
        for (n, item) in items.iter().enumerate() {
            injected(self, n + 1)?;
            let empty = BTreeMap::new();
            let form = forms.get(&item.impl_code).unwrap_or(&empty);
            let waived: Vec<usize> = match b.selection.dropped.get(&item.impl_code) {
                Some(d) => item
                    .doc
                    .materials
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| d.contains(m.name.trim()))
                    .map(|(i, _)| i)
                    .collect(),
                None => Vec::new(),
            };
            let (case_id, _) = insert_case(
                &txn,
                &division,
                today,
                &CaseRow {
                    item,
                    user_id: b.applicant_user_id,
                    name: b.applicant_name.clone(),
                    id_number: b.applicant_id_number.clone(),
                    phone: b.applicant_phone.clone(),
                    email: b.applicant_email.clone(),
                    channel: Channel::Online,
                    actor,
                    form,
                    co: co.remove(&item.impl_code).unwrap_or_default(),
                    client_key: None,
                    bundle_case_id: Some(id),
                    waived,
                },
            )
            .await?;
            for (si, s) in slots.iter().enumerate() {
                for (_, idx) in s.uses.iter().filter(|(c, _)| c == &item.impl_code) {
                    for f in files.iter().filter(|f| f.slot == si as i64) {
                        exec(
                            &txn,
                            "INSERT INTO case_files (case_id, material_index, file_name, content_type, size, object_key, digest, uploaded_by, uploaded_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                            vec![
                                case_id.into(),
                                (*idx as i64).into(),
                                f.file_name.clone().into(),
                                f.content_type.clone().into(),
                                f.size.into(),
                                f.object_key.clone().into(),
                                f.digest.clone().into(),
                                actor.user_id.into(),
                                f.uploaded_at.into(),
                            ],
                        )
                        .await?;
                    }
                }
            }
            apply_in(
                self,
                &txn,
                Some(actor),
                case_id,
                None,
                &Command::Submit,
                cal,
                today,
            )
            .await?;
        }
        exec(
            &txn,
            "UPDATE bundle_cases SET status = 'submitted' WHERE id = $1",
            vec![id.into()],
        )
        .await?;
        after_sub_case(&txn, id, today).await?;
        notify_applicant(
            &txn,
            &b,
            &format!("【{}】申请已提交", b.name),
            &format!(
                "您的“{}”申请（编号{}）已提交，共{}个事项，由综合窗口统一受理。办理进度可在“我的一件事”中查看。",
                b.name,
                b.bundle_no,
                items.len()
            ),
        )
        .await?;
        trail::append(
            &txn,
            Some(actor.user_id),
            "bundle_case.submit",
            &format!("bundle_case:{}", b.bundle_no),
            serde_json::json!({"items": b.selection.items}),
        )
        .await?;
        txn.commit().await?;
        self.record_of(self.bundle_case(id).await?).await
    }

    /// 一窗受理: the clerk accepts every sub-case awaiting intake, in one
    /// transaction (refused as a whole if any cannot be accepted).
    pub async fn accept_bundle(
        &self,
        actor: &Actor,
        id: i64,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<BundleRecord> {
        self.intake_bundle(actor, id, &BTreeMap::new(), cal, today)
            .await
    }

    /// 一窗受理 with one combined correction notice: every sub-case awaiting
    /// intake is accepted, except those with deficiencies, which get their
    /// one-time notice — and the applicant one notice gathering them all.
    /// One transaction; refused as a whole if any step is refused.
    pub async fn intake_bundle(
        &self,
        actor: &Actor,
        id: i64,
        deficiencies: &BTreeMap<i64, Vec<Deficiency>>,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<BundleRecord> {
        let b = self.bundle_case(id).await?;
        if !b.visible_to(actor) {
            return Err(StoreError::NotFound(format!("bundle application {id}")));
        }
        if actor.role != Role::Clerk {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        let txn = self.begin().await?;
        let n = exec(
            &txn,
            "UPDATE bundle_cases SET status = 'busy' WHERE id = $1 AND status = 'submitted'",
            vec![id.into()],
        )
        .await?;
        if n != 1 {
            return Err(stale());
        }
        let ids: Vec<i64> = query(
            &txn,
            "SELECT id FROM cases WHERE bundle_case_id = $1 AND state = 'submitted' ORDER BY id",
            vec![id.into()],
        )
        .await?
        .iter()
        .map(|r| get(r, "id"))
        .collect::<Result<_>>()?;
        if ids.is_empty() {
            return Err(StoreError::conflict(
                "没有待受理的事项",
                "no sub-case awaits intake",
            ));
        }
        if let Some(other) = deficiencies.keys().find(|k| !ids.contains(k)) {
            return Err(invalid(
                "deficiencies",
                "unknown_case",
                format!("案件{other}不是本“一件事”待受理的事项"),
                format!("case {other} is not a sub-case of this bundle awaiting intake"),
            ));
        }
        let mut accepted = 0;
        for cid in &ids {
            let cmd = match deficiencies.get(cid) {
                Some(d) if !d.is_empty() => Command::RequestCorrection {
                    deficiencies: d.clone(),
                },
                _ => {
                    accepted += 1;
                    Command::Accept
                }
            };
            apply_in(self, &txn, Some(actor), *cid, None, &cmd, cal, today).await?;
        }
        exec(
            &txn,
            "UPDATE bundle_cases SET status = 'submitted' WHERE id = $1",
            vec![id.into()],
        )
        .await?;
        if accepted > 0 {
            notify_applicant(
                &txn,
                &b,
                &format!("【{}】已受理", b.name),
                &format!(
                    "您的“{}”申请（编号{}）中，{}个事项已受理，各部门按承诺时限办理。",
                    b.name, b.bundle_no, accepted
                ),
            )
            .await?;
        }
        after_sub_case(&txn, id, today).await?;
        txn.commit().await?;
        self.record_of(self.bundle_case(id).await?).await
    }

    /// During a correction: uploads a file for one slot; it goes to every
    /// sub-case waiting for correction that uses that material.
    pub async fn bundle_correction_upload(
        &self,
        files: &Attachments,
        actor: &Actor,
        id: i64,
        slot: usize,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<usize> {
        let b = self.bundle_case(id).await?;
        if !b.visible_to(actor) {
            return Err(StoreError::NotFound(format!("bundle application {id}")));
        }
        if !b.owned_by(actor) {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        let rec = self.record_of(b).await?;
        let Some(s) = rec.slots.get(slot) else {
            return Err(invalid(
                "slot",
                "unknown",
                "该材料不在本次申请的材料清单中",
                "no such material in this application's list",
            ));
        };
        let targets: Vec<(&Case, usize)> = rec
            .sub_cases
            .iter()
            .filter(|c| sub_of(c).waiting_for_correction())
            .flat_map(|c| {
                s.uses
                    .iter()
                    .filter(|(code, _)| code == &c.impl_code)
                    .map(|(_, idx)| (c, *idx))
                    .collect::<Vec<_>>()
            })
            .collect();
        if targets.is_empty() {
            return Err(StoreError::conflict(
                "没有等待补正该材料的事项",
                "no sub-case waits for corrections of this material",
            ));
        }
        let kind = check_upload(&bytes).map_err(|e| invalid("file", "refused", e.zh(), e.en()))?;
        let clean = crate::cases::clean_file_name(file_name, &s.name, kind.extension());
        let digest = sm3_hex(&bytes);
        let key = format!(
            "bundles/{}/c{}-{}.{}",
            rec.bundle.id,
            slot,
            crate::accounts::random_token(),
            kind.extension()
        );
        let size = bytes.len() as i64;
        files.put(&key, bytes).await?;
        let now = now_ms();
        // One stored file, attached to every waiting sub-case in one transaction,
        // each checked to be where it was read.
        let written = async {
            let txn = self.begin().await?;
            for (c, idx) in &targets {
                let r = query_one(
                    &txn,
                    "SELECT state, version FROM cases WHERE id = $1",
                    vec![c.id.into()],
                )
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("case {}", c.id)))?;
                if get::<String>(&r, "state")? != c.state.as_str()
                    || get::<i64>(&r, "version")? != c.version
                {
                    return Err(stale());
                }
                exec(
                    &txn,
                    "INSERT INTO case_files (case_id, material_index, file_name, content_type, size, object_key, digest, uploaded_by, uploaded_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    vec![
                        c.id.into(),
                        (*idx as i64).into(),
                        clean.clone().into(),
                        kind.content_type().into(),
                        size.into(),
                        key.clone().into(),
                        digest.clone().into(),
                        actor.user_id.into(),
                        now.into(),
                    ],
                )
                .await?;
                trail::append(
                    &txn,
                    Some(actor.user_id),
                    "case.upload",
                    &format!("case:{}", c.case_no),
                    serde_json::json!({"material": s.name, "sm3": digest, "size": size, "bundle": rec.bundle.bundle_no}),
                )
                .await?;
            }
            txn.commit().await?;
            Ok::<usize, StoreError>(targets.len())
        }
        .await;
        match written {
            Ok(n) => Ok(n),
            Err(e) => {
                if let Err(d) = files.delete(&key).await {
                    tracing::warn!("orphan upload {key} not removed: {d}");
                }
                Err(e)
            }
        }
    }

    /// The applicant has supplied the corrections: every sub-case waiting
    /// for them goes on, in one transaction.
    pub async fn supply_bundle_corrections(
        &self,
        actor: &Actor,
        id: i64,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<BundleRecord> {
        let b = self.bundle_case(id).await?;
        if !b.visible_to(actor) {
            return Err(StoreError::NotFound(format!("bundle application {id}")));
        }
        if !b.owned_by(actor) {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        let txn = self.begin().await?;
        let subs = query(
            &txn,
            &format!("SELECT {CASE_COLS} WHERE k.bundle_case_id = $1 ORDER BY k.id"),
            vec![id.into()],
        )
        .await?
        .iter()
        .map(row_case)
        .collect::<Result<Vec<_>>>()?;
        let waiting: Vec<i64> = subs
            .iter()
            .filter(|c| sub_of(c).waiting_for_correction())
            .map(|c| c.id)
            .collect();
        if waiting.is_empty() {
            return Err(StoreError::conflict(
                "当前没有需要补正的事项",
                "no sub-case waits for corrections",
            ));
        }
        for cid in waiting {
            apply_in(
                self,
                &txn,
                Some(actor),
                cid,
                None,
                &Command::SupplyCorrection,
                cal,
                today,
            )
            .await?;
        }
        txn.commit().await?;
        self.record_of(self.bundle_case(id).await?).await
    }
}

fn sub_of(c: &Case) -> SubCase {
    SubCase {
        state: c.state,
        approved: c.approved,
        correcting: matches!(
            c.clock.last(),
            Some(ClockEvent::Suspended {
                reason: SuspendReason::Correction,
                ..
            })
        ),
    }
}

async fn notify_applicant(
    c: &impl ConnectionTrait,
    b: &BundleCase,
    subject: &str,
    body: &str,
) -> Result<()> {
    crate::notify::to_applicant(
        c,
        b.applicant_user_id,
        &b.applicant_email,
        crate::notify::About {
            case_id: None,
            bundle_case_id: Some(b.id),
        },
        subject,
        body,
    )
    .await
}

fn outcome_of(c: &Case) -> &'static str {
    match (c.state, c.approved) {
        (CaseState::NotAccepted, _) => "不予受理",
        (CaseState::Withdrawn, _) => "已撤回",
        (_, Some(true)) => "准予",
        (_, Some(false)) => "不予许可",
        _ => "已办结",
    }
}

/// After a sub-case moved (inside its transaction): derives the bundle's
/// state; on a new correction, issues one combined notice gathering every
/// sub-case's open corrections; when every sub-case has ended, issues the
/// one completion notice with every result.
pub(crate) async fn after_sub_case(
    txn: &impl ConnectionTrait,
    bundle_case_id: i64,
    today: NaiveDate,
) -> Result<()> {
    // Lock the bundle first (a row lock on PostgreSQL; SQLite has one writer):
    // sub-cases finishing at the same time must see each other.
    exec(
        txn,
        "UPDATE bundle_cases SET version = version WHERE id = $1",
        vec![bundle_case_id.into()],
    )
    .await?;
    let r = query_one(
        txn,
        &format!("SELECT {BC_COLS} WHERE id = $1"),
        vec![bundle_case_id.into()],
    )
    .await?
    .ok_or_else(|| StoreError::Corrupt(format!("bundle application {bundle_case_id}")))?;
    let b = row_bc(&r)?;
    if !b.submitted {
        // Being submitted or taken in as a whole: that operation calls this once at its end.
        return Ok(());
    }
    let subs = query(
        txn,
        &format!("SELECT {CASE_COLS} WHERE k.bundle_case_id = $1 ORDER BY k.id"),
        vec![bundle_case_id.into()],
    )
    .await?
    .iter()
    .map(row_case)
    .collect::<Result<Vec<_>>>()?;
    let states: Vec<SubCase> = subs.iter().map(sub_of).collect();
    let new_state = bundle::bundle_state(&states);
    if new_state != b.state {
        exec(
            txn,
            "UPDATE bundle_cases SET state = $1, updated_at = $2 WHERE id = $3",
            vec![new_state.as_str().into(), now_ms().into(), b.id.into()],
        )
        .await?;
    }
    let notices = query(
        txn,
        "SELECT kind, body FROM bundle_notices WHERE bundle_case_id = $1 ORDER BY id",
        vec![b.id.into()],
    )
    .await?;
    // A correction notice when a sub-case waits that the last one did not list.
    let waiting: Vec<&Case> = subs
        .iter()
        .zip(&states)
        .filter(|(_, s)| s.waiting_for_correction())
        .map(|(c, _)| c)
        .collect();
    if !waiting.is_empty() {
        let last: Option<NoticeBody> = notices
            .iter()
            .rev()
            .find(|r| get::<String>(r, "kind").is_ok_and(|k| k == "correction"))
            .map(|r| json(r, "body"))
            .transpose()?;
        // A new notice when a sub-case waits on a correction notice (its own
        // document) that the last combined notice did not list.
        let mut latest: Vec<Option<i64>> = Vec::new();
        for c in &waiting {
            let d = query_one(
                txn,
                "SELECT id FROM case_documents WHERE case_id = $1 AND kind = $2 ORDER BY id DESC LIMIT 1",
                vec![c.id.into(), DocKind::CorrectionNotice.as_str().into()],
            )
            .await?;
            latest.push(d.map(|d| get::<i64>(&d, "id")).transpose()?);
        }
        let fresh = latest.iter().any(|doc| {
            !last
                .as_ref()
                .is_some_and(|l| l.lines.iter().any(|x| x.document_id == *doc))
        });
        if fresh {
            let mut lines = Vec::new();
            for c in &waiting {
                let d = query_one(
                    txn,
                    "SELECT id, body FROM case_documents WHERE case_id = $1 AND kind = $2 ORDER BY id DESC LIMIT 1",
                    vec![c.id.into(), DocKind::CorrectionNotice.as_str().into()],
                )
                .await?;
                let (doc_id, body): (Option<i64>, Option<DocBody>) = match d {
                    Some(d) => (Some(get(&d, "id")?), Some(json(&d, "body")?)),
                    None => (None, None),
                };
                let mut entries: Vec<String> = body
                    .as_ref()
                    .map(|b| {
                        b.materials
                            .iter()
                            .map(|m| {
                                let mut s = format!("{}（{}）", m.name, m.problem);
                                if !m.standard.is_empty() {
                                    s.push_str(&format!("，受理标准：{}", m.standard));
                                }
                                if !m.note.is_empty() {
                                    s.push_str(&format!("，说明：{}", m.note));
                                }
                                s
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                if entries.is_empty() {
                    // A correction after acceptance carries the reviewer's note.
                    let note = query_one(
                        txn,
                        "SELECT details FROM case_events WHERE case_id = $1 AND action = 'suspend' ORDER BY id DESC LIMIT 1",
                        vec![c.id.into()],
                    )
                    .await?
                    .map(|r| json::<serde_json::Value>(&r, "details"))
                    .transpose()?
                    .and_then(|v| v.get("note").and_then(|n| n.as_str()).map(str::to_string))
                    .unwrap_or_default();
                    entries.push(if note.is_empty() {
                        "请按部门要求补正材料".into()
                    } else {
                        note
                    });
                }
                lines.push(NoticeLine {
                    case_id: c.id,
                    case_no: c.case_no.clone(),
                    item_name: c.item_name.clone(),
                    department: c.lead_department_name.clone(),
                    entries,
                    outcome: String::new(),
                    document_id: doc_id,
                });
            }
            let count = notices.len() + 1;
            let body = NoticeBody {
                title: "“一件事”补正材料一次性告知书".into(),
                addressee: b.applicant_name.clone(),
                bundle_no: b.bundle_no.clone(),
                bundle_name: b.name.clone(),
                paragraphs: vec![format!(
                    "您申请的“{}”（编号{}）中，以下{}个事项需要补正材料。请一次性补齐后在“我的一件事”中提交，其余事项照常办理。",
                    b.name,
                    b.bundle_no,
                    lines.len()
                )],
                lines,
                date: Some(today),
            };
            exec(
                txn,
                "INSERT INTO bundle_notices (bundle_case_id, kind, number, body, created_at) VALUES ($1, 'correction', $2, $3, $4)",
                vec![
                    b.id.into(),
                    format!("补字〔{}〕{}-{count}", today.format("%Y"), b.bundle_no).into(),
                    to_json(&body).into(),
                    now_ms().into(),
                ],
            )
            .await?;
            let items: Vec<&str> = body.lines.iter().map(|l| l.item_name.as_str()).collect();
            notify_applicant(
                txn,
                &b,
                &format!("【{}】请补正材料", b.name),
                &format!(
                    "您的“{}”申请（编号{}）中，{}需要补正材料，详见一次性告知书。",
                    b.name,
                    b.bundle_no,
                    items.join("、")
                ),
            )
            .await?;
        }
    }
    let completed = notices
        .iter()
        .any(|r| get::<String>(r, "kind").is_ok_and(|k| k == "completion"));
    if bundle::all_ended(&states) && !completed {
        let mut lines = Vec::new();
        for c in &subs {
            let d = query_one(
                txn,
                "SELECT id, number FROM case_documents WHERE case_id = $1 AND kind IN ('approval_decision', 'denial_decision', 'refusal_decision') ORDER BY id DESC LIMIT 1",
                vec![c.id.into()],
            )
            .await?;
            let (doc_id, number): (Option<i64>, String) = match d {
                Some(d) => (Some(get(&d, "id")?), get(&d, "number")?),
                None => (None, String::new()),
            };
            lines.push(NoticeLine {
                case_id: c.id,
                case_no: c.case_no.clone(),
                item_name: c.item_name.clone(),
                department: c.lead_department_name.clone(),
                entries: if number.is_empty() {
                    vec![]
                } else {
                    vec![format!("决定文书：{number}")]
                },
                outcome: outcome_of(c).into(),
                document_id: doc_id,
            });
        }
        let approved = lines.iter().filter(|l| l.outcome == "准予").count();
        let other = lines.len() - approved;
        let summary = if other == 0 {
            format!("共{}个事项，全部准予", lines.len())
        } else {
            let mut parts = Vec::new();
            for o in ["不予许可", "不予受理", "已撤回"] {
                let n = lines.iter().filter(|l| l.outcome == o).count();
                if n > 0 {
                    parts.push(format!("{o}{n}个"));
                }
            }
            format!(
                "共{}个事项，准予{}个，{}",
                lines.len(),
                approved,
                parts.join("，")
            )
        };
        let body = NoticeBody {
            title: "“一件事”办结通知书".into(),
            addressee: b.applicant_name.clone(),
            bundle_no: b.bundle_no.clone(),
            bundle_name: b.name.clone(),
            paragraphs: vec![format!(
                "您申请的“{}”（编号{}）已全部办结：{}。各事项的办理结果如下，不予许可或不予受理的事项见各自的决定书及救济途径。",
                b.name, b.bundle_no, summary
            )],
            lines,
            date: Some(today),
        };
        exec(
            txn,
            "INSERT INTO bundle_notices (bundle_case_id, kind, number, body, created_at) VALUES ($1, 'completion', $2, $3, $4)",
            vec![
                b.id.into(),
                format!("结字〔{}〕{}", today.format("%Y"), b.bundle_no).into(),
                to_json(&body).into(),
                now_ms().into(),
            ],
        )
        .await?;
        notify_applicant(
            txn,
            &b,
            &format!("【{}】已全部办结", b.name),
            &body.paragraphs[0],
        )
        .await?;
    }
    Ok(())
}

/// Caps a sub-case's promised limit at its bundle's: the centre promises the
/// whole life event within the bundle's working days.
pub(crate) async fn cap_limits(
    c: &impl ConnectionTrait,
    case: &Case,
    mut limits: Limits,
) -> Result<Limits> {
    let Some(b) = case.bundle_case_id else {
        return Ok(limits);
    };
    let r = query_one(
        c,
        "SELECT promised_days FROM bundle_cases WHERE id = $1",
        vec![b.into()],
    )
    .await?;
    if let Some(r) = r {
        let days: i64 = get(&r, "promised_days")?;
        let days = u32::try_from(days).unwrap_or(u32::MAX);
        if limits.promised.unit == DayUnit::WorkingDays && days < limits.promised.days {
            limits.promised = TimeLimit {
                days,
                unit: DayUnit::WorkingDays,
                explanation: "按“一件事”承诺时限".into(),
            };
        }
    }
    Ok(limits)
}

/// Whether the bundle tells its applicant about this sub-case step itself
/// (acceptance, corrections, the end), so the sub-case stays silent.
pub(crate) fn bundle_speaks_for(action: &str, t: &Transition) -> bool {
    match action {
        "accept" | "request_correction" | "supply_correction" | "deliver" => true,
        "suspend" => matches!(
            t.clock,
            Some(ClockEvent::Suspended {
                reason: SuspendReason::Correction,
                ..
            })
        ),
        _ => false,
    }
}

/// A sub-case's notice to the applicant, tagged with its bundle.
pub(crate) async fn notify_for_sub_case(
    c: &impl ConnectionTrait,
    bundle_case_id: i64,
    case: &Case,
    subject: &str,
    body: &str,
) -> Result<()> {
    crate::notify::to_applicant(
        c,
        case.applicant_user_id,
        &case.applicant_email,
        crate::notify::About {
            case_id: Some(case.id),
            bundle_case_id: Some(bundle_case_id),
        },
        subject,
        body,
    )
    .await
}
