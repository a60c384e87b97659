//! Cases (SPEC §4): applications, the commands that move them, their
//! documents, uploads and clock. The rules live in `tongban_domain::case`;
//! this module loads a case's facts, asks the domain, and persists the
//! answer — state, clock, review tasks, document, event, notices and the
//! audit-trail entry — in one transaction guarded by the case's version.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, QueryResult};
use serde::{Deserialize, Serialize};
use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::{
    self, CaseError, CaseFacts, CaseState, Command, Deficiency, DocKind, Limits, MaterialFacts,
    ReviewTask, Transition,
};
use tongban_domain::catalog::{ItemDoc, ItemStatus, TimeLimit};
use tongban_domain::clock::{self, ClockEvent, Deadlines, SuspendReason};
use tongban_domain::codes::{CreditCode, IdCardNumber, mask_name};
use tongban_domain::files::check_upload;
use tongban_domain::{FieldError, FieldErrors};

use crate::attachments::Attachments;
use crate::{
    Result, Store, StoreError, exec, get, insert_id, now_ms, query, query_one, sm3_hex, trail,
};

/// How the application came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Online,
    Window,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Online => "online",
            Channel::Window => "window",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            Channel::Online => "网上申请",
            Channel::Window => "窗口申请",
        }
    }
}

/// The applicant as entered at the window (online, it comes from the account).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ApplicantInput {
    pub name: String,
    /// 公民身份号码 or 统一社会信用代码.
    pub id_number: String,
    pub phone: String,
    #[serde(default)]
    pub email: String,
}

/// A new application (a draft until submitted).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewCase {
    pub form: BTreeMap<String, String>,
    /// Only for window applications.
    #[serde(default)]
    pub applicant: Option<ApplicantInput>,
    /// Repeating a request with the same key returns the same case.
    #[serde(default)]
    pub client_key: Option<String>,
}

/// One uploaded file.
#[derive(Debug, Clone, Serialize)]
pub struct CaseFile {
    pub id: i64,
    pub material_index: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub uploaded_at: i64,
    #[serde(skip)]
    pub object_key: String,
}

/// One document produced by the case (receipt, notice, decision).
#[derive(Debug, Clone, Serialize)]
pub struct CaseDocument {
    pub id: i64,
    pub case_id: i64,
    pub kind: DocKind,
    pub number: String,
    pub body: DocBody,
    pub created_at: i64,
}

/// The content of a document, fixed when it is issued.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct DocBody {
    pub title: String,
    pub addressee: String,
    pub case_no: String,
    pub item_name: String,
    pub paragraphs: Vec<String>,
    /// Materials listed by a correction notice, with their 受理标准.
    #[serde(default)]
    pub materials: Vec<DocMaterial>,
    pub issuer: String,
    pub date: NaiveDate,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocMaterial {
    pub name: String,
    pub problem: String,
    pub standard: String,
    pub note: String,
}

/// One recorded step of a case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseEvent {
    pub at: i64,
    pub actor_name: String,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub details: serde_json::Value,
    pub document_id: Option<i64>,
}

/// A case with everything its page shows.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    pub id: i64,
    pub case_no: String,
    #[serde(skip)]
    pub verify_code: String,
    pub centre_id: i64,
    pub centre_path: String,
    pub lead_department_id: i64,
    pub lead_department_name: String,
    pub item_version_id: i64,
    pub impl_code: String,
    pub item_name: String,
    pub applicant_user_id: Option<i64>,
    pub applicant_name: String,
    pub applicant_id_number: String,
    pub applicant_phone: String,
    #[serde(skip)]
    pub applicant_email: String,
    pub channel: Channel,
    /// Who started the application (the applicant, or a window clerk).
    pub created_by: i64,
    pub state: CaseState,
    pub version: i64,
    pub approved: Option<bool>,
    pub form: BTreeMap<String, String>,
    pub clock: Vec<ClockEvent>,
    pub tasks: Vec<ReviewTask>,
    pub co_reviewers: Vec<i64>,
    pub received_on: Option<NaiveDate>,
    pub accepted_on: Option<NaiveDate>,
    pub legal_due: Option<NaiveDate>,
    pub promised_due: Option<NaiveDate>,
    pub decided_on: Option<NaiveDate>,
    pub certificate_due: Option<NaiveDate>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The bundle application (一件事) this case is part of.
    pub bundle_case_id: Option<i64>,
    /// Materials (indexes) the bundle's answers made unnecessary.
    pub waived: Vec<usize>,
}

impl Case {
    /// May this actor see the case at all?
    pub fn visible_to(&self, a: &Actor) -> bool {
        // A draft is its author's alone until it is submitted.
        if self.state == CaseState::Draft {
            return self.created_by == a.user_id || self.applicant_user_id == Some(a.user_id);
        }
        match a.role {
            Role::Applicant => self.applicant_user_id == Some(a.user_id),
            Role::Clerk | Role::Supervisor => self.centre_path.starts_with(&a.centre_path),
            // A department sees a case from its acceptance on.
            Role::Reviewer | Role::Head => {
                !self.clock.is_empty()
                    && self.centre_path.starts_with(&a.centre_path)
                    && a.department_id.is_some_and(|d| {
                        d == self.lead_department_id
                            || self.tasks.iter().any(|t| t.department_id == d)
                    })
            }
            _ => false,
        }
    }

    /// Deadlines on `today`, when the clock has started.
    pub fn deadlines(
        &self,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Option<std::result::Result<Deadlines, clock::ClockError>> {
        if self.clock.is_empty() {
            None
        } else {
            Some(clock::compute(&self.clock, cal, today))
        }
    }
}

/// A case's full record for its page.
#[derive(Debug, Clone, Serialize)]
pub struct CaseRecord {
    pub case: Case,
    pub files: Vec<CaseFile>,
    pub documents: Vec<CaseDocument>,
    pub events: Vec<CaseEvent>,
    pub doc: Arc<ItemDoc>,
}

/// A row of an inbox or a list.
#[derive(Debug, Clone, Serialize)]
pub struct CaseListRow {
    pub id: i64,
    pub case_no: String,
    pub item_name: String,
    /// Masked (张*), lists never show full personal data.
    pub applicant: String,
    pub state: CaseState,
    pub received_on: Option<NaiveDate>,
    pub promised_due: Option<NaiveDate>,
    pub legal_due: Option<NaiveDate>,
    /// Working days left to the promised deadline (negative: overdue).
    pub days_left: Option<i64>,
    pub updated_at: i64,
}

/// What the public progress lookup shows: no personal data.
#[derive(Debug, Clone, Serialize)]
pub struct PublicProgress {
    pub case_no: String,
    pub item_name: String,
    pub department: String,
    pub state: CaseState,
    pub received_on: Option<NaiveDate>,
    pub accepted_on: Option<NaiveDate>,
    pub promised_due: Option<NaiveDate>,
    pub legal_due: Option<NaiveDate>,
    pub decided_on: Option<NaiveDate>,
    pub steps: Vec<PublicStep>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicStep {
    pub at: i64,
    pub action_zh: String,
    pub state: CaseState,
}

/// The result of a command.
#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    pub case_id: i64,
    pub state: CaseState,
    pub version: i64,
    pub document_id: Option<i64>,
}

pub(crate) const CASE_COLS: &str = "k.id, k.case_no, k.verify_code, k.centre_id, k.centre_path, k.lead_department_id, \
    d.name AS lead_department_name, k.item_version_id, k.impl_code, k.item_name, k.applicant_user_id, \
    k.applicant_name, k.applicant_id_number, k.applicant_phone, k.applicant_email, k.channel, k.created_by, k.state, \
    k.version, k.approved, k.form, k.clock, k.tasks, k.co_reviewers, k.received_on, k.accepted_on, \
    k.legal_due, k.promised_due, k.decided_on, k.certificate_due, k.created_at, k.updated_at, k.bundle_case_id, k.waived \
    FROM cases k JOIN departments d ON d.id = k.lead_department_id";

fn date_col(r: &QueryResult, col: &str) -> Result<Option<NaiveDate>> {
    let v: Option<String> = get(r, col)?;
    match v {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("{col} {s}: {e}"))),
    }
}

fn json_col<T: serde::de::DeserializeOwned>(r: &QueryResult, col: &str) -> Result<T> {
    let s: String = get(r, col)?;
    serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

pub(crate) fn row_case(r: &QueryResult) -> Result<Case> {
    let state: String = get(r, "state")?;
    let channel: String = get(r, "channel")?;
    Ok(Case {
        id: get(r, "id")?,
        case_no: get(r, "case_no")?,
        verify_code: get(r, "verify_code")?,
        centre_id: get(r, "centre_id")?,
        centre_path: get(r, "centre_path")?,
        lead_department_id: get(r, "lead_department_id")?,
        lead_department_name: get(r, "lead_department_name")?,
        item_version_id: get(r, "item_version_id")?,
        impl_code: get(r, "impl_code")?,
        item_name: get(r, "item_name")?,
        applicant_user_id: get(r, "applicant_user_id")?,
        applicant_name: get(r, "applicant_name")?,
        applicant_id_number: get(r, "applicant_id_number")?,
        applicant_phone: get(r, "applicant_phone")?,
        applicant_email: get(r, "applicant_email")?,
        channel: if channel == "window" {
            Channel::Window
        } else {
            Channel::Online
        },
        created_by: get(r, "created_by")?,
        state: CaseState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("case state {state}")))?,
        version: get(r, "version")?,
        approved: get(r, "approved")?,
        form: json_col(r, "form")?,
        clock: json_col(r, "clock")?,
        tasks: json_col(r, "tasks")?,
        co_reviewers: json_col(r, "co_reviewers")?,
        received_on: date_col(r, "received_on")?,
        accepted_on: date_col(r, "accepted_on")?,
        legal_due: date_col(r, "legal_due")?,
        promised_due: date_col(r, "promised_due")?,
        decided_on: date_col(r, "decided_on")?,
        certificate_due: date_col(r, "certificate_due")?,
        created_at: get(r, "created_at")?,
        updated_at: get(r, "updated_at")?,
        bundle_case_id: get(r, "bundle_case_id")?,
        waived: match get::<Option<String>>(r, "waived")? {
            Some(w) => {
                serde_json::from_str(&w).map_err(|e| StoreError::Corrupt(format!("waived: {e}")))?
            }
            None => Vec::new(),
        },
    })
}

pub(crate) fn ds(d: Option<NaiveDate>) -> sea_orm::Value {
    d.map(|d| d.to_string()).into()
}

pub(crate) fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

impl From<CaseError> for StoreError {
    fn from(e: CaseError) -> Self {
        match e {
            CaseError::Denied(d) => StoreError::Forbidden(d),
            CaseError::State { zh, en } => StoreError::Conflict { zh, en },
            CaseError::Invalid(f) => StoreError::Invalid(f),
        }
    }
}

/// The limits a case is accepted under: the item's, or the law's 20 working
/// days (Art. 42) when the guide sets none; the promise never exceeds the law.
pub fn limits_of(doc: &ItemDoc) -> Limits {
    let joint = doc.review.mode == tongban_domain::catalog::ReviewMode::Joint
        && !doc.review.co_reviewers.is_empty();
    let legal = doc
        .legal_limit
        .clone()
        .unwrap_or_else(|| TimeLimit::working(if joint { 45 } else { 20 }));
    let promised = doc.promised_limit.clone().unwrap_or_else(|| legal.clone());
    Limits { legal, promised }
}

const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

pub(crate) fn verification_code() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..8)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// Case number: centre division code, date, and the case's id.
fn case_number(division: &str, today: NaiveDate, id: i64) -> String {
    format!("{division}{}{id:07}", today.format("%Y%m%d"))
}

pub(crate) fn doc_number(kind: DocKind, case_no: &str, today: NaiveDate) -> String {
    let prefix = match kind {
        DocKind::Receipt => "受字",
        DocKind::CorrectionNotice => "补字",
        DocKind::RefusalDecision => "不受字",
        DocKind::SpecialProcedureNotice => "特字",
        DocKind::ExtensionNotice => "延字",
        DocKind::ApprovalDecision => "准字",
        DocKind::DenialDecision => "不准字",
    };
    format!("{prefix}〔{}〕{case_no}", today.format("%Y"))
}

/// What a new case row holds.
pub(crate) struct CaseRow<'a> {
    pub item: &'a crate::catalog::ItemVersion,
    pub user_id: Option<i64>,
    pub name: String,
    pub id_number: String,
    pub phone: String,
    pub email: String,
    pub channel: Channel,
    pub actor: &'a Actor,
    pub form: &'a BTreeMap<String, String>,
    pub co: Vec<i64>,
    pub client_key: Option<String>,
    pub bundle_case_id: Option<i64>,
    pub waived: Vec<usize>,
}

/// The co-reviewing departments of an item, resolved when a case starts so
/// the case keeps its plan.
pub(crate) async fn co_reviewers_of(store: &Store, doc: &ItemDoc) -> Result<Vec<i64>> {
    let mut co = Vec::new();
    for code in &doc.review.co_reviewers {
        let d = store.department_by_code(code).await?.ok_or_else(|| {
            StoreError::Corrupt(format!("co-reviewing department {code} does not exist"))
        })?;
        co.push(d.id);
    }
    Ok(co)
}

pub(crate) async fn division_of(c: &impl ConnectionTrait, centre_id: i64) -> Result<String> {
    get(
        &query_one(
            c,
            "SELECT division_code FROM centres WHERE id = $1",
            vec![centre_id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::Corrupt("centre".into()))?,
        "division_code",
    )
}

/// Inserts a draft case with its creation event and trail entry; returns
/// its id and number.
pub(crate) async fn insert_case(
    txn: &impl ConnectionTrait,
    division: &str,
    today: NaiveDate,
    row: &CaseRow<'_>,
) -> Result<(i64, String)> {
    let now = now_ms();
    let item = row.item;
    let id = insert_id(
        txn,
        "INSERT INTO cases (case_no, verify_code, centre_id, centre_path, lead_department_id, item_version_id, \
         impl_code, item_name, applicant_user_id, applicant_name, applicant_id_number, applicant_phone, \
         applicant_email, channel, created_by, state, version, approved, form, clock, tasks, co_reviewers, \
         received_on, accepted_on, legal_due, promised_due, decided_on, certificate_due, client_key, created_at, updated_at, bundle_case_id, waived) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'draft', 1, NULL, $16, '[]', '[]', $17, \
         NULL, NULL, NULL, NULL, NULL, NULL, $18, $19, $19, $20, $21)",
        vec![
            format!("tmp-{}", crate::accounts::random_token()).into(),
            verification_code().into(),
            item.centre_id.into(),
            item.centre_path.clone().into(),
            item.department_id.into(),
            item.id.into(),
            item.impl_code.clone().into(),
            item.doc.name.clone().into(),
            row.user_id.into(),
            row.name.clone().into(),
            row.id_number.clone().into(),
            row.phone.clone().into(),
            row.email.clone().into(),
            row.channel.as_str().into(),
            row.actor.user_id.into(),
            to_json(row.form).into(),
            to_json(&row.co).into(),
            row.client_key.clone().into(),
            now.into(),
            row.bundle_case_id.into(),
            (!row.waived.is_empty())
                .then(|| to_json(&row.waived))
                .into(),
        ],
    )
    .await?;
    let case_no = case_number(division, today, id);
    exec(
        txn,
        "UPDATE cases SET case_no = $1 WHERE id = $2",
        vec![case_no.clone().into(), id.into()],
    )
    .await?;
    exec(
        txn,
        "INSERT INTO case_events (case_id, at, actor_id, actor_name, action, from_state, to_state, details, document_id) \
         VALUES ($1, $2, $3, $4, 'create', '', 'draft', $5, NULL)",
        vec![
            id.into(),
            now.into(),
            row.actor.user_id.into(),
            row.actor.display_name.clone().into(),
            serde_json::json!({"channel": row.channel.as_str(), "bundle": row.bundle_case_id})
                .to_string()
                .into(),
        ],
    )
    .await?;
    trail::append(
        txn,
        Some(row.actor.user_id),
        "case.create",
        &format!("case:{case_no}"),
        serde_json::json!({"item": item.impl_code, "version": item.version, "channel": row.channel.as_str(), "bundle": row.bundle_case_id}),
    )
    .await?;
    Ok((id, case_no))
}

impl Store {
    /// The parsed document of a (non-draft) item version, cached.
    pub async fn item_doc(&self, item_version_id: i64) -> Result<Arc<ItemDoc>> {
        if let Ok(cache) = self.docs.lock()
            && let Some(d) = cache.get(&item_version_id)
        {
            return Ok(d.clone());
        }
        let v = self.item_version(item_version_id).await?;
        let doc = Arc::new(v.doc);
        if v.status != ItemStatus::Draft
            && let Ok(mut cache) = self.docs.lock()
        {
            cache.insert(item_version_id, doc.clone());
        }
        Ok(doc)
    }

    /// Starts an application for the published version of `impl_code`: an
    /// applicant online (their own identity) or a clerk at the window (the
    /// applicant's identity as entered). The case is a draft until submitted.
    pub async fn create_case(
        &self,
        actor: &Actor,
        impl_code: &str,
        input: NewCase,
    ) -> Result<Case> {
        let channel = match actor.role {
            Role::Applicant => Channel::Online,
            Role::Clerk => Channel::Window,
            _ => return Err(StoreError::Forbidden(Denied::Role)),
        };
        if let Some(key) = &input.client_key {
            if key.len() > 100 {
                return Err(StoreError::Invalid(
                    FieldError::new(
                        "client_key",
                        "too_long",
                        "请求标识过长",
                        "client_key must be at most 100 characters",
                    )
                    .into(),
                ));
            }
            if let Some(r) = query_one(
                self.conn(),
                "SELECT id FROM cases WHERE created_by = $1 AND client_key = $2",
                vec![actor.user_id.into(), key.clone().into()],
            )
            .await?
            {
                return self.case(get(&r, "id")?).await;
            }
        }
        let item = self
            .published_item(impl_code)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("published item {impl_code}")))?;
        if !item.centre_path.starts_with(&actor.centre_path)
            && !actor.centre_path.starts_with(&item.centre_path)
        {
            return Err(StoreError::Forbidden(Denied::Department));
        }
        // The form: only the item's fields, each checked.
        let mut errs = FieldErrors::default();
        for k in input.form.keys() {
            if !item.doc.form_fields.iter().any(|f| &f.key == k) {
                errs.push(FieldError::new(
                    format!("form.{k}"),
                    "unknown",
                    format!("本事项没有字段{k}"),
                    format!("the item has no field {k}"),
                ));
            }
        }
        for f in &item.doc.form_fields {
            if let Some(e) = f.check(input.form.get(&f.key).map(String::as_str)) {
                errs.push(e);
            }
        }
        let form: BTreeMap<String, String> = input
            .form
            .iter()
            .map(|(k, v)| (k.clone(), v.trim().to_string()))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        // The applicant.
        let (name, id_number, phone, email, user_id) = match channel {
            Channel::Online => {
                let r = query_one(
                    self.conn(),
                    "SELECT display_name, id_number, phone, email FROM users WHERE id = $1",
                    vec![actor.user_id.into()],
                )
                .await?
                .ok_or_else(|| StoreError::NotFound("user".into()))?;
                (
                    get::<String>(&r, "display_name")?,
                    get::<String>(&r, "id_number")?,
                    get::<String>(&r, "phone")?,
                    get::<String>(&r, "email")?,
                    Some(actor.user_id),
                )
            }
            Channel::Window => {
                let a = input.applicant.clone().unwrap_or_default();
                if a.name.trim().is_empty() {
                    errs.push(FieldError::required("applicant.name", "申请人姓名或名称"));
                }
                let idn = a.id_number.trim().to_ascii_uppercase();
                if IdCardNumber::parse(&idn).is_err() && CreditCode::parse(&idn).is_err() {
                    errs.push(FieldError::new(
                        "applicant.id_number",
                        "invalid_code",
                        "请填写有效的公民身份号码或统一社会信用代码",
                        "enter a valid citizen ID number or unified social credit code",
                    ));
                }
                if !a.phone.trim().is_empty()
                    && !tongban_domain::codes::is_valid_phone(a.phone.trim())
                {
                    errs.push(FieldError::new(
                        "applicant.phone",
                        "invalid",
                        "请填写有效的联系电话",
                        "enter a valid phone number",
                    ));
                }
                let email = a.email.trim().to_string();
                if !email.is_empty() && (!email.contains('@') || email.len() > 200) {
                    errs.push(FieldError::new(
                        "applicant.email",
                        "invalid",
                        "请填写有效的电子邮箱",
                        "enter a valid e-mail address",
                    ));
                }
                (
                    a.name.trim().to_string(),
                    idn,
                    a.phone.trim().to_string(),
                    email,
                    None,
                )
            }
        };
        errs.into_result().map_err(StoreError::Invalid)?;
        let co = co_reviewers_of(self, &item.doc).await?;
        let division = division_of(self.conn(), item.centre_id).await?;
        let today = shanghai_today();
        let txn = self.begin().await?;
        let (id, _) = insert_case(
            &txn,
            &division,
            today,
            &CaseRow {
                item: &item,
                user_id,
                name,
                id_number,
                phone,
                email,
                channel,
                actor,
                form: &form,
                co,
                client_key: input.client_key.clone(),
                bundle_case_id: None,
                waived: Vec::new(),
            },
        )
        .await?;
        txn.commit().await?;
        self.case(id).await
    }

    pub async fn case(&self, id: i64) -> Result<Case> {
        let r = query_one(
            self.conn(),
            &format!("SELECT {CASE_COLS} WHERE k.id = $1"),
            vec![id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("case {id}")))?;
        row_case(&r)
    }

    /// A case as `actor` may see it: not found when it is not theirs to see.
    pub async fn case_for(&self, actor: &Actor, id: i64) -> Result<CaseRecord> {
        let case = self.case(id).await?;
        if !case.visible_to(actor) {
            // Do not reveal that the case exists.
            return Err(StoreError::NotFound(format!("case {id}")));
        }
        let doc = self.item_doc(case.item_version_id).await?;
        Ok(CaseRecord {
            files: self.case_files(id).await?,
            documents: self.case_documents(id).await?,
            events: self.case_events(id).await?,
            case,
            doc,
        })
    }

    pub async fn case_files(&self, case_id: i64) -> Result<Vec<CaseFile>> {
        let rows = query(
            self.conn(),
            "SELECT id, material_index, file_name, content_type, size, uploaded_at, object_key FROM case_files WHERE case_id = $1 ORDER BY id",
            vec![case_id.into()],
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CaseFile {
                    id: get(r, "id")?,
                    material_index: get(r, "material_index")?,
                    file_name: get(r, "file_name")?,
                    content_type: get(r, "content_type")?,
                    size: get(r, "size")?,
                    uploaded_at: get(r, "uploaded_at")?,
                    object_key: get(r, "object_key")?,
                })
            })
            .collect()
    }

    pub async fn case_documents(&self, case_id: i64) -> Result<Vec<CaseDocument>> {
        let rows = query(
            self.conn(),
            "SELECT id, case_id, kind, number, body, created_at FROM case_documents WHERE case_id = $1 ORDER BY id",
            vec![case_id.into()],
        )
        .await?;
        rows.iter().map(row_document).collect()
    }

    /// One document, if `actor` may see its case.
    pub async fn case_document(&self, actor: &Actor, doc_id: i64) -> Result<(Case, CaseDocument)> {
        let r = query_one(
            self.conn(),
            "SELECT id, case_id, kind, number, body, created_at FROM case_documents WHERE id = $1",
            vec![doc_id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("document {doc_id}")))?;
        let d = row_document(&r)?;
        let case = self.case(d.case_id).await?;
        if !case.visible_to(actor) {
            return Err(StoreError::NotFound(format!("document {doc_id}")));
        }
        Ok((case, d))
    }

    pub async fn case_events(&self, case_id: i64) -> Result<Vec<CaseEvent>> {
        let rows = query(
            self.conn(),
            "SELECT at, actor_name, action, from_state, to_state, details, document_id FROM case_events WHERE case_id = $1 ORDER BY id",
            vec![case_id.into()],
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CaseEvent {
                    at: get(r, "at")?,
                    actor_name: get(r, "actor_name")?,
                    action: get(r, "action")?,
                    from_state: get(r, "from_state")?,
                    to_state: get(r, "to_state")?,
                    details: json_col(r, "details")?,
                    document_id: get(r, "document_id")?,
                })
            })
            .collect()
    }

    /// Uploads a file for one of the case's materials. Allowed to the
    /// applicant (or the window clerk) while the application is being made
    /// or corrected.
    pub async fn upload(
        &self,
        files: &Attachments,
        actor: &Actor,
        case_id: i64,
        material_index: usize,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<CaseFile> {
        let case = self.case(case_id).await?;
        let owner = case.applicant_user_id == Some(actor.user_id);
        let clerk = actor.role == Role::Clerk && case.centre_path.starts_with(&actor.centre_path);
        if !owner && !clerk {
            return Err(if case.visible_to(actor) {
                StoreError::Forbidden(Denied::Role)
            } else {
                StoreError::NotFound(format!("case {case_id}"))
            });
        }
        let correcting = matches!(
            case.clock.last(),
            Some(ClockEvent::Suspended {
                reason: SuspendReason::Correction,
                ..
            })
        ) && case.state == CaseState::Suspended;
        let open = matches!(case.state, CaseState::Draft | CaseState::Correction)
            || correcting
            || (clerk && case.state == CaseState::Submitted);
        if !open {
            return Err(StoreError::conflict(
                format!("案件当前状态为“{}”，不能上传材料", case.state.zh()),
                format!(
                    "materials cannot be uploaded while the case is {}",
                    case.state.as_str()
                ),
            ));
        }
        let doc = self.item_doc(case.item_version_id).await?;
        let Some(material) = doc.materials.get(material_index) else {
            return Err(StoreError::Invalid(
                FieldError::new(
                    "material",
                    "unknown",
                    "该材料不在本事项的材料清单中",
                    "no such material in the item's list",
                )
                .into(),
            ));
        };
        let kind = check_upload(&bytes).map_err(|e| {
            StoreError::Invalid(FieldError::new("file", "refused", e.zh(), e.en()).into())
        })?;
        let clean_name = clean_file_name(file_name, &material.name, kind.extension());
        let digest = sm3_hex(&bytes);
        let key = format!(
            "cases/{}/{}-{}.{}",
            case.id,
            material_index,
            crate::accounts::random_token(),
            kind.extension()
        );
        let size = bytes.len() as i64;
        files.put(&key, bytes).await?;
        let now = now_ms();
        let txn = self.begin().await?;
        let written = async {
            // The case may have moved since it was read: check again under the lock.
            let now_state = query_one(
                &txn,
                "SELECT state, version FROM cases WHERE id = $1",
                vec![case.id.into()],
            )
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("case {}", case.id)))?;
            let st: String = get(&now_state, "state")?;
            let v: i64 = get(&now_state, "version")?;
            if st != case.state.as_str() || v != case.version {
                return Err(stale());
            }
            let id = insert_id(
                &txn,
                "INSERT INTO case_files (case_id, material_index, file_name, content_type, size, object_key, digest, uploaded_by, uploaded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                vec![
                    case.id.into(),
                    (material_index as i64).into(),
                    clean_name.clone().into(),
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
                &format!("case:{}", case.case_no),
                serde_json::json!({"material": material.name, "sm3": digest, "size": size}),
            )
            .await?;
            Ok::<i64, StoreError>(id)
        }
        .await;
        match written {
            Ok(id) => {
                txn.commit().await?;
                Ok(CaseFile {
                    id,
                    material_index: material_index as i64,
                    file_name: clean_name,
                    content_type: kind.content_type().into(),
                    size,
                    uploaded_at: now,
                    object_key: key,
                })
            }
            Err(e) => {
                drop(txn);
                // Do not leave an orphan object behind.
                if let Err(d) = files.delete(&key).await {
                    tracing::warn!("orphan upload {key} not removed: {d}");
                }
                Err(e)
            }
        }
    }

    /// Removes an uploaded file while the application is still a draft.
    pub async fn remove_upload(
        &self,
        files: &Attachments,
        actor: &Actor,
        case_id: i64,
        file_id: i64,
    ) -> Result<()> {
        let case = self.case(case_id).await?;
        if case.applicant_user_id != Some(actor.user_id)
            && !(actor.role == Role::Clerk && case.centre_path.starts_with(&actor.centre_path))
        {
            return Err(StoreError::NotFound(format!("case {case_id}")));
        }
        if case.state != CaseState::Draft {
            return Err(StoreError::conflict(
                "已提交的材料不能删除",
                "submitted materials cannot be removed",
            ));
        }
        let r = query_one(
            self.conn(),
            "SELECT object_key FROM case_files WHERE id = $1 AND case_id = $2",
            vec![file_id.into(), case_id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("file {file_id}")))?;
        let key: String = get(&r, "object_key")?;
        let txn = self.begin().await?;
        // Only while the case is still the same draft.
        let n = exec(
            &txn,
            "DELETE FROM case_files WHERE id = $1 AND EXISTS (SELECT 1 FROM cases WHERE id = $2 AND state = 'draft' AND version = $3)",
            vec![file_id.into(), case_id.into(), case.version.into()],
        )
        .await?;
        if n != 1 {
            return Err(stale());
        }
        trail::append(
            &txn,
            Some(actor.user_id),
            "case.remove_upload",
            &format!("case:{}", case.case_no),
            serde_json::json!({"file": file_id}),
        )
        .await?;
        txn.commit().await?;
        if let Err(e) = files.delete(&key).await {
            tracing::warn!("removed upload {key} left in storage: {e}");
        }
        Ok(())
    }

    /// The bytes of an uploaded file, if `actor` may see the case.
    pub async fn download(
        &self,
        files: &Attachments,
        actor: &Actor,
        file_id: i64,
    ) -> Result<(CaseFile, Vec<u8>)> {
        let r = query_one(
            self.conn(),
            "SELECT case_id FROM case_files WHERE id = $1",
            vec![file_id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("file {file_id}")))?;
        let case = self.case(get(&r, "case_id")?).await?;
        if !case.visible_to(actor) {
            return Err(StoreError::NotFound(format!("file {file_id}")));
        }
        let f = self
            .case_files(case.id)
            .await?
            .into_iter()
            .find(|f| f.id == file_id)
            .ok_or_else(|| StoreError::NotFound(format!("file {file_id}")))?;
        let bytes = files.get(&f.object_key).await?;
        Ok((f, bytes))
    }

    /// Gives `cmd` on a case as `actor`. `expected_version`, when given, must
    /// match (a concurrent action wins, this one is refused).
    pub async fn case_command(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: Option<i64>,
        cmd: &Command,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<Applied> {
        let txn = self.begin().await?;
        let out = apply_in(
            self,
            &txn,
            Some(actor),
            case_id,
            expected_version,
            cmd,
            cal,
            today,
        )
        .await?;
        txn.commit().await?;
        Ok(out)
    }

    /// The facts the case rules decide on (for showing only allowed actions).
    pub async fn case_facts(
        &self,
        case: &Case,
        doc: &ItemDoc,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<CaseFacts> {
        facts_of(self.conn(), case, doc, None, cal, today).await
    }

    /// Cases of `actor`'s department that await its action, most urgent first.
    pub async fn inbox(
        &self,
        actor: &Actor,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<Vec<CaseListRow>> {
        let Some(dept) = actor.department_id else {
            return Err(StoreError::Forbidden(Denied::Department));
        };
        if !matches!(actor.role, Role::Reviewer | Role::Head) {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        let rows = query(
            self.conn(),
            &format!(
                "SELECT {CASE_COLS} WHERE k.centre_path LIKE $2 AND ( \
                 (k.state IN ('review', 'suspended') AND EXISTS (SELECT 1 FROM case_tasks t WHERE t.case_id = k.id AND t.department_id = $1 AND t.status = 'active')) \
                 OR (k.lead_department_id = $1 AND k.state IN ('decision', 'suspended', 'certifying', 'delivering'))) \
                 ORDER BY k.promised_due, k.id LIMIT 500"
            ),
            vec![dept.into(), format!("{}%", actor.centre_path).into()],
        )
        .await?;
        let mut out: Vec<CaseListRow> = rows
            .iter()
            .map(|r| row_case(r).map(|c| list_row(&c, cal, today)))
            .collect::<Result<_>>()?;
        // Remaining working days decide the order (a suspended case's date moves).
        out.sort_by_key(|r| (r.days_left.unwrap_or(i64::MAX), r.id));
        Ok(out)
    }

    /// Applications waiting at the window of `actor`'s centre, oldest first.
    pub async fn intake_queue(
        &self,
        actor: &Actor,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<Vec<CaseListRow>> {
        if actor.role != Role::Clerk {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        let rows = query(
            self.conn(),
            &format!(
                "SELECT {CASE_COLS} WHERE k.centre_path LIKE $1 AND k.state IN ('submitted', 'delivering', 'correction') \
                 ORDER BY k.received_on, k.id LIMIT 500"
            ),
            vec![format!("{}%", actor.centre_path).into()],
        )
        .await?;
        rows.iter()
            .map(|r| row_case(r).map(|c| list_row(&c, cal, today)))
            .collect()
    }

    /// The applicant's own cases, newest first.
    pub async fn my_cases(
        &self,
        actor: &Actor,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<Vec<CaseListRow>> {
        let rows = query(
            self.conn(),
            &format!(
                "SELECT {CASE_COLS} WHERE k.applicant_user_id = $1 ORDER BY k.id DESC LIMIT 500"
            ),
            vec![actor.user_id.into()],
        )
        .await?;
        rows.iter()
            .map(|r| {
                row_case(r).map(|c| {
                    let mut row = list_row(&c, cal, today);
                    row.applicant = c.applicant_name.clone();
                    row
                })
            })
            .collect()
    }

    /// Every case of the centre tree (supervisor), most urgent first.
    pub async fn supervised_cases(
        &self,
        actor: &Actor,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<Vec<CaseListRow>> {
        if actor.role != Role::Supervisor {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        let rows = query(
            self.conn(),
            &format!(
                "SELECT {CASE_COLS} WHERE k.centre_path LIKE $1 AND k.state IN ('review', 'suspended', 'decision') \
                 ORDER BY k.promised_due, k.id LIMIT 1000"
            ),
            vec![format!("{}%", actor.centre_path).into()],
        )
        .await?;
        rows.iter()
            .map(|r| row_case(r).map(|c| list_row(&c, cal, today)))
            .collect()
    }

    /// Public progress lookup: the case number and its verification code.
    pub async fn lookup(
        &self,
        case_no: &str,
        code: &str,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<Option<PublicProgress>> {
        let case_no = case_no.trim();
        let code = code.trim().to_ascii_uppercase();
        if case_no.is_empty() || case_no.len() > 40 || code.len() != 8 {
            return Ok(None);
        }
        let Some(r) = query_one(
            self.conn(),
            &format!("SELECT {CASE_COLS} WHERE k.case_no = $1"),
            vec![case_no.into()],
        )
        .await?
        else {
            return Ok(None);
        };
        let c = row_case(&r)?;
        // Compare without an early exit on the first differing byte.
        let same = c.verify_code.len() == code.len()
            && c.verify_code
                .bytes()
                .zip(code.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if !same || c.state == CaseState::Draft {
            return Ok(None);
        }
        let steps = self
            .case_events(c.id)
            .await?
            .into_iter()
            .filter(|e| e.from_state != e.to_state || e.action == "extend")
            .filter_map(|e| {
                CaseState::parse(&e.to_state).map(|state| PublicStep {
                    at: e.at,
                    action_zh: action_zh(&e.action).into(),
                    state,
                })
            })
            .collect();
        let (promised_due, legal_due) = match c.deadlines(cal, today) {
            Some(Ok(d)) => (Some(d.promised_due), Some(d.legal_due)),
            _ => (c.promised_due, c.legal_due),
        };
        Ok(Some(PublicProgress {
            case_no: c.case_no,
            item_name: c.item_name,
            department: c.lead_department_name,
            state: c.state,
            received_on: c.received_on,
            accepted_on: c.accepted_on,
            promised_due,
            legal_due,
            decided_on: c.decided_on,
            steps,
        }))
    }

    /// 逾期未告知视为受理: records as accepted, from receipt, every submitted
    /// application left more than 5 working days without a notice. Returns
    /// how many were recorded. Safe to run on several instances at once (each
    /// case moves under its version check).
    pub async fn sweep_intake(&self, cal: &WorkCalendar, today: NaiveDate) -> Result<usize> {
        let rows = query(
            self.conn(),
            "SELECT id FROM cases WHERE state = 'submitted' ORDER BY id",
            vec![],
        )
        .await?;
        let mut n = 0;
        for r in rows {
            let id: i64 = get(&r, "id")?;
            let txn = self.begin().await?;
            match deem_in(self, &txn, id, cal, today).await {
                Ok(true) => {
                    txn.commit().await?;
                    n += 1;
                }
                Ok(false) => {}
                Err(StoreError::Conflict { .. }) => {}
                Err(e) => tracing::warn!(case = id, "intake sweep: {e}"),
            }
        }
        Ok(n)
    }
}

pub(crate) fn action_zh(action: &str) -> &'static str {
    match action {
        "create" => "创建申请",
        "submit" => "提交申请",
        "accept" => "受理",
        "deemed_accepted" => "逾期未告知，视为受理",
        "request_correction" => "一次性告知补正",
        "supply_correction" => "提交补正材料",
        "refuse" => "不予受理",
        "complete_review" => "审查",
        "suspend" => "中止计时",
        "resume" => "恢复计时",
        "extend" => "延长办理期限",
        "decide" => "作出决定",
        "issue" => "制证",
        "deliver" => "送达并办结",
        "withdraw" => "撤回申请",
        _ => "办理",
    }
}

fn row_document(r: &QueryResult) -> Result<CaseDocument> {
    let kind: String = get(r, "kind")?;
    Ok(CaseDocument {
        id: get(r, "id")?,
        case_id: get(r, "case_id")?,
        kind: DocKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("document kind {kind}")))?,
        number: get(r, "number")?,
        body: json_col(r, "body")?,
        created_at: get(r, "created_at")?,
    })
}

fn list_row(c: &Case, cal: &WorkCalendar, today: NaiveDate) -> CaseListRow {
    // Dates follow from the events and today's calendar (a suspended case's
    // date moves day by day; a year entered since the last step fills it in).
    let (promised, legal) = match c.deadlines(cal, today) {
        Some(Ok(d)) => (Some(d.promised_due), Some(d.legal_due)),
        _ => (c.promised_due, c.legal_due),
    };
    let days_left = if c.state.clock_open() {
        promised.and_then(|p| cal.workdays_between(today, p).ok())
    } else {
        None
    };
    CaseListRow {
        id: c.id,
        case_no: c.case_no.clone(),
        item_name: c.item_name.clone(),
        applicant: mask_name(&c.applicant_name),
        state: c.state,
        received_on: c.received_on,
        promised_due: promised,
        legal_due: legal,
        days_left,
        updated_at: c.updated_at,
    }
}

/// Today in the service centre's time zone.
pub fn shanghai_today() -> NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
}

/// The facts the domain decides on, from the case, its item and uploads.
pub(crate) fn build_facts(
    case: &Case,
    doc: &ItemDoc,
    uploads: &[usize],
    cal: &WorkCalendar,
    today: NaiveDate,
    noticed: Option<Vec<usize>>,
) -> CaseFacts {
    let legal_due = match clock::compute(&case.clock, cal, today) {
        Ok(d) if !case.clock.is_empty() => Some(d.legal_due),
        _ => None,
    };
    CaseFacts {
        state: case.state,
        centre_path: case.centre_path.clone(),
        lead_department: case.lead_department_id,
        applicant_user: case.applicant_user_id,
        review_mode: doc.review.mode,
        co_reviewers: case.co_reviewers.clone(),
        tasks: case.tasks.clone(),
        materials: doc
            .materials
            .iter()
            .enumerate()
            .map(|(i, m)| MaterialFacts {
                name: m.name.clone(),
                // A material the bundle's answers made unnecessary is optional here.
                necessity: if case.waived.contains(&i) {
                    Some(tongban_domain::catalog::Necessity::Optional)
                } else {
                    m.necessity
                },
                acceptance_standard: m.acceptance_standard.clone(),
                uploads: uploads.get(i).copied().unwrap_or(0),
            })
            .collect(),
        clock: case.clock.clone(),
        received_on: case.received_on,
        intake_deadline: case
            .received_on
            .and_then(|r| cal.add_workdays(r, case::INTAKE_DAYS).ok()),
        legal_due,
        noticed,
        procedures: doc
            .special_procedures
            .iter()
            .map(|p| p.name.trim().to_string())
            .collect(),
    }
}

/// Materials listed by the case's last correction notice before acceptance.
pub(crate) async fn noticed_of(
    c: &impl ConnectionTrait,
    case_id: i64,
) -> Result<Option<Vec<usize>>> {
    let r = query_one(
        c,
        "SELECT details FROM case_events WHERE case_id = $1 AND action = 'request_correction' ORDER BY id DESC LIMIT 1",
        vec![case_id.into()],
    )
    .await?;
    let Some(r) = r else { return Ok(None) };
    let v: serde_json::Value = json_col(&r, "details")?;
    Ok(Some(
        v.get("deficiencies")
            .and_then(|d| d.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|d| d.get("material").and_then(|m| m.as_u64()))
                    .map(|m| m as usize)
                    .collect()
            })
            .unwrap_or_default(),
    ))
}

async fn upload_counts(c: &impl ConnectionTrait, case_id: i64) -> Result<Vec<usize>> {
    let mut counts = Vec::new();
    let rows = query(
        c,
        "SELECT material_index, COUNT(*) AS n FROM case_files WHERE case_id = $1 GROUP BY material_index",
        vec![case_id.into()],
    )
    .await?;
    for r in rows {
        let i: i64 = get(&r, "material_index")?;
        let n: i64 = get(&r, "n")?;
        let i = i as usize;
        if counts.len() <= i {
            counts.resize(i + 1, 0);
        }
        counts[i] = n as usize;
    }
    Ok(counts)
}

async fn facts_of(
    c: &impl ConnectionTrait,
    case: &Case,
    doc: &ItemDoc,
    cmd: Option<&Command>,
    cal: &WorkCalendar,
    today: NaiveDate,
) -> Result<CaseFacts> {
    let uploads = match cmd {
        None | Some(Command::Accept) | Some(Command::RequestCorrection { .. }) => {
            upload_counts(c, case.id).await?
        }
        _ => Vec::new(),
    };
    let noticed = match cmd {
        None | Some(Command::RequestCorrection { .. }) => noticed_of(c, case.id).await?,
        _ => None,
    };
    Ok(build_facts(case, doc, &uploads, cal, today, noticed))
}

pub(crate) async fn load_for_update(c: &impl ConnectionTrait, id: i64) -> Result<Case> {
    let r = query_one(
        c,
        &format!("SELECT {CASE_COLS} WHERE k.id = $1"),
        vec![id.into()],
    )
    .await?
    .ok_or_else(|| StoreError::NotFound(format!("case {id}")))?;
    row_case(&r)
}

/// Runs one command inside the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn apply_in(
    store: &Store,
    txn: &impl ConnectionTrait,
    actor: Option<&Actor>,
    case_id: i64,
    expected_version: Option<i64>,
    cmd: &Command,
    cal: &WorkCalendar,
    today: NaiveDate,
) -> Result<Applied> {
    let case = load_for_update(txn, case_id).await?;
    // Someone else's application, or a case of another centre: answer as
    // if it did not exist. Staff of the centre learn why they may not act.
    if let Some(a) = actor
        && !case.visible_to(a)
        && (a.role == Role::Applicant || !case.centre_path.starts_with(&a.centre_path))
    {
        return Err(StoreError::NotFound(format!("case {case_id}")));
    }
    if let Some(v) = expected_version
        && v != case.version
    {
        return Err(stale());
    }
    let doc = store.item_doc(case.item_version_id).await?;
    let facts = facts_of(txn, &case, &doc, Some(cmd), cal, today).await?;
    let limits = crate::bundles::cap_limits(txn, &case, limits_of(&doc)).await?;
    let Some(actor) = actor else {
        return Err(StoreError::Forbidden(Denied::Role));
    };
    case::authorize(actor, &facts, cmd)?;
    let t = case::transition(&facts, cmd, &limits, today, actor.department_id)?;
    // 制证 of an approval: the signed electronic certificate, in this transaction.
    if matches!(cmd, Command::Issue)
        && case.approved == Some(true)
        && doc.result.result_type == tongban_domain::catalog::ResultType::Licence
    {
        crate::certs::issue_in(store, txn, &case, &doc, today).await?;
    }
    persist(
        txn,
        &case,
        &doc,
        &facts,
        Some(actor),
        cmd.name(),
        serde_json::to_value(cmd).unwrap_or_default(),
        cmd,
        t,
        cal,
        today,
    )
    .await
}

/// A step the system takes without a person (秒批): the same transition
/// rules, no role check; recorded as 系统 with `details` saying why.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn system_in(
    store: &Store,
    txn: &impl ConnectionTrait,
    case_id: i64,
    cmd: &Command,
    department: Option<i64>,
    details: serde_json::Value,
    cal: &WorkCalendar,
    today: NaiveDate,
) -> Result<Applied> {
    let case = load_for_update(txn, case_id).await?;
    let doc = store.item_doc(case.item_version_id).await?;
    let facts = facts_of(txn, &case, &doc, Some(cmd), cal, today).await?;
    let limits = crate::bundles::cap_limits(txn, &case, limits_of(&doc)).await?;
    let t = case::transition(&facts, cmd, &limits, today, department)?;
    if matches!(cmd, Command::Issue)
        && case.approved == Some(true)
        && doc.result.result_type == tongban_domain::catalog::ResultType::Licence
    {
        crate::certs::issue_in(store, txn, &case, &doc, today).await?;
    }
    let mut d = serde_json::to_value(cmd).unwrap_or_default();
    if let (serde_json::Value::Object(m), serde_json::Value::Object(extra)) = (&mut d, details) {
        m.extend(extra);
    }
    persist(
        txn,
        &case,
        &doc,
        &facts,
        None,
        cmd.name(),
        d,
        cmd,
        t,
        cal,
        today,
    )
    .await
}

/// An uploaded file's name as stored: no control characters or path
/// separators, at most 120 characters; `stem.ext` when nothing is left.
pub(crate) fn clean_file_name(name: &str, stem: &str, ext: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '/' | '\\'))
        .take(120)
        .collect();
    if clean.trim().is_empty() {
        format!("{stem}.{ext}")
    } else {
        clean
    }
}

pub(crate) fn stale() -> StoreError {
    StoreError::conflict(
        "案件已被他人处理，请刷新页面后再操作",
        "the case was changed by someone else; reload and try again",
    )
}

async fn deem_in(
    store: &Store,
    txn: &impl ConnectionTrait,
    id: i64,
    cal: &WorkCalendar,
    today: NaiveDate,
) -> Result<bool> {
    let case = load_for_update(txn, id).await?;
    let doc = store.item_doc(case.item_version_id).await?;
    let facts = facts_of(txn, &case, &doc, Some(&Command::Submit), cal, today).await?;
    let limits = crate::bundles::cap_limits(txn, &case, limits_of(&doc)).await?;
    let t = match case::deemed_acceptance(&facts, &limits, cal, today) {
        Ok(t) => t,
        Err(e) => {
            // A year not entered yet: this case waits; the others go on.
            tracing::warn!(case = id, "deemed acceptance not decidable yet: {e}");
            return Ok(false);
        }
    };
    let Some(t) = t else {
        return Ok(false);
    };
    let received = case.received_on.map(|d| d.to_string()).unwrap_or_default();
    persist(
        txn,
        &case,
        &doc,
        &facts,
        None,
        "deemed_accepted",
        serde_json::json!({
            "rule": "行政许可法第三十二条",
            "why_zh": format!("申请材料于{received}收到，5个工作日内未告知补正，自收到材料之日起即为受理"),
            "why_en": format!("materials received {received} and no correction notice within 5 working days: accepted from receipt"),
        }),
        &Command::Accept,
        t,
        cal,
        today,
    )
    .await?;
    Ok(true)
}

/// Writes a transition: case row (version-checked), review tasks, document,
/// event, notices and the audit-trail entry.
#[allow(clippy::too_many_arguments)]
async fn persist(
    txn: &impl ConnectionTrait,
    case: &Case,
    doc: &ItemDoc,
    facts: &CaseFacts,
    actor: Option<&Actor>,
    action: &str,
    details: serde_json::Value,
    cmd: &Command,
    t: Transition,
    cal: &WorkCalendar,
    today: NaiveDate,
) -> Result<Applied> {
    let now = now_ms();
    let mut clock_events = case.clock.clone();
    if let Some(e) = &t.clock {
        clock_events.push(e.clone());
    }
    // The events are the truth; the dates follow from them. A calendar year
    // not yet entered leaves the dates unknown (shown as such) rather than
    // blocking the case; an illegal event sequence is refused.
    let deadlines = dates_after(case.id, &clock_events, cal, today)?;
    let accepted_on = match clock_events.first() {
        Some(ClockEvent::Accepted { on, .. }) => Some(*on),
        _ => None,
    };
    let tasks = t.tasks.clone().unwrap_or_else(|| case.tasks.clone());
    let received_on = t.received_on.or(case.received_on);
    let decided_on = match &t.clock {
        Some(ClockEvent::Decided { on, .. }) if t.approved.is_some() => Some(*on),
        _ => case.decided_on,
    };
    let approved = t.approved.or(case.approved);
    let n = exec(
        txn,
        "UPDATE cases SET state = $1, version = version + 1, approved = $2, clock = $3, tasks = $4, \
         received_on = $5, accepted_on = $6, legal_due = $7, promised_due = $8, decided_on = $9, \
         certificate_due = $10, updated_at = $11 WHERE id = $12 AND version = $13",
        vec![
            t.to.as_str().into(),
            approved.into(),
            to_json(&clock_events).into(),
            to_json(&tasks).into(),
            ds(received_on),
            ds(accepted_on),
            ds(deadlines.as_ref().map(|d| d.legal_due)),
            ds(deadlines.as_ref().map(|d| d.promised_due)),
            ds(decided_on),
            ds(deadlines.as_ref().and_then(|d| d.certificate_due)),
            now.into(),
            case.id.into(),
            case.version.into(),
        ],
    )
    .await?;
    if n != 1 {
        return Err(stale());
    }
    if let Some(new_tasks) = &t.tasks {
        exec(
            txn,
            "DELETE FROM case_tasks WHERE case_id = $1",
            vec![case.id.into()],
        )
        .await?;
        for (i, task) in new_tasks.iter().enumerate() {
            exec(
                txn,
                "INSERT INTO case_tasks (case_id, department_id, seq, status) VALUES ($1, $2, $3, $4)",
                vec![
                    case.id.into(),
                    task.department_id.into(),
                    (i as i64).into(),
                    task.status.as_str().into(),
                ],
            )
            .await?;
        }
    }
    let document_id = match t.document {
        Some(kind) => {
            let body = document_body(kind, case, doc, facts, cmd, deadlines.as_ref(), today);
            Some(
                insert_id(
                    txn,
                    "INSERT INTO case_documents (case_id, kind, number, body, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)",
                    vec![
                        case.id.into(),
                        kind.as_str().into(),
                        doc_number(kind, &case.case_no, today).into(),
                        to_json(&body).into(),
                        now.into(),
                        actor.map(|a| a.user_id).into(),
                    ],
                )
                .await?,
            )
        }
        None => None,
    };
    let actor_name = actor
        .map(|a| a.display_name.clone())
        .unwrap_or_else(|| "系统".into());
    exec(
        txn,
        "INSERT INTO case_events (case_id, at, actor_id, actor_name, action, from_state, to_state, details, document_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        vec![
            case.id.into(),
            now.into(),
            actor.map(|a| a.user_id).into(),
            actor_name.into(),
            action.into(),
            case.state.as_str().into(),
            t.to.as_str().into(),
            details.to_string().into(),
            document_id.into(),
        ],
    )
    .await?;
    let (subject, body) = notice_text(case, action, t.to, deadlines.as_ref());
    for who in &t.notify {
        if *who == case::Notify::Applicant
            && let Some(b) = case.bundle_case_id
        {
            // A bundle's applicant hears about acceptance, corrections and the
            // end from the bundle, once; other steps come tagged with the bundle.
            if !crate::bundles::bundle_speaks_for(action, &t) {
                crate::bundles::notify_for_sub_case(txn, b, case, &subject, &body).await?;
            }
            continue;
        }
        crate::notify::notify_group(txn, case, &tasks, *who, &subject, &body).await?;
    }
    if let Some(b) = case.bundle_case_id {
        crate::bundles::after_sub_case(txn, b, today).await?;
    }
    // 免申即享: an approved case that ends is an event for the policies.
    if t.to == CaseState::Completed && approved == Some(true) {
        crate::policies::on_case_completed(txn, case).await?;
    }
    trail::append(
        txn,
        actor.map(|a| a.user_id),
        &format!("case.{action}"),
        &format!("case:{}", case.case_no),
        serde_json::json!({"from": case.state.as_str(), "to": t.to.as_str(), "details": details}),
    )
    .await?;
    Ok(Applied {
        case_id: case.id,
        state: t.to,
        version: case.version + 1,
        document_id,
    })
}

/// The dates that follow from a case's clock events: none before acceptance
/// or while a calendar year is missing (shown as unknown, never guessed); an
/// illegal sequence of events is refused.
pub(crate) fn dates_after(
    case_id: i64,
    events: &[ClockEvent],
    cal: &WorkCalendar,
    today: NaiveDate,
) -> Result<Option<Deadlines>> {
    if events.is_empty() {
        return Ok(None);
    }
    match clock::compute(events, cal, today) {
        Ok(d) => Ok(Some(d)),
        Err(clock::ClockError::Calendar(e)) => {
            tracing::warn!(case = case_id, "deadline unknown: {e}");
            Ok(None)
        }
        Err(e) => Err(StoreError::Invalid(
            FieldError::new("clock", "illegal", e.zh(), e.to_string()).into(),
        )),
    }
}

/// Subject and text of the notice announcing a step of a case.
pub(crate) fn notice_text(
    case: &Case,
    action: &str,
    to: CaseState,
    d: Option<&Deadlines>,
) -> (String, String) {
    let subject = format!(
        "【{}】{}：{}",
        case.case_no,
        case.item_name,
        action_zh(action)
    );
    let mut body = format!(
        "您好，案件{}（{}）已{}，当前状态：{}。",
        case.case_no,
        case.item_name,
        action_zh(action),
        to.zh()
    );
    if let Some(d) = d
        && to.clock_open()
    {
        body.push_str(&format!("承诺办结期限：{}。", d.promised_due));
    }
    (subject, body)
}

/// The content of a document issued now.
pub(crate) fn document_body(
    kind: DocKind,
    case: &Case,
    doc: &ItemDoc,
    facts: &CaseFacts,
    cmd: &Command,
    d: Option<&Deadlines>,
    today: NaiveDate,
) -> DocBody {
    let mut p = Vec::new();
    let mut materials = Vec::new();
    let item = &case.item_name;
    let received = case
        .received_on
        .map(|d| d.to_string())
        .unwrap_or_else(|| today.to_string());
    match (kind, cmd) {
        (DocKind::Receipt, _) if d.is_some_and(|d| d.accepted_on < today) => {
            let on = d.map(|d| d.accepted_on).unwrap_or(today);
            p.push(format!(
                "你（单位）于{on}提交的{item}申请材料，本机关未在收到申请材料之日起五个工作日内一次告知需要补正的全部内容。根据《中华人民共和国行政许可法》第三十二条的规定，自收到申请材料之日起即为受理。"
            ));
            if let Some(d) = d {
                p.push(format!(
                    "受理日期：{}。法定办结期限：{}；承诺办结期限：{}。",
                    d.accepted_on, d.legal_due, d.promised_due
                ));
            }
            p.push(format!(
                "案件编号：{}；查询码：{}。可凭案件编号和查询码在“办件查询”中查看办理进度。",
                case.case_no, case.verify_code
            ));
        }
        (DocKind::Receipt, _) => {
            p.push(format!(
                "你（单位）于{received}提出的{item}申请，经审查，申请材料齐全、符合法定形式，根据《中华人民共和国行政许可法》第三十二条的规定，决定予以受理。"
            ));
            if let Some(d) = d {
                p.push(format!(
                    "受理日期：{}。法定办结期限：{}；承诺办结期限：{}。",
                    d.accepted_on, d.legal_due, d.promised_due
                ));
            }
            p.push(format!(
                "案件编号：{}；查询码：{}。可凭案件编号和查询码在“办件查询”中查看办理进度。",
                case.case_no, case.verify_code
            ));
        }
        (DocKind::CorrectionNotice, Command::RequestCorrection { deficiencies }) => {
            p.push(format!(
                "你（单位）于{received}提出的{item}申请，申请材料不齐全或者不符合法定形式。根据《中华人民共和国行政许可法》第三十二条的规定，现一次性告知需要补正的全部内容如下："
            ));
            materials = deficiency_lines(facts, deficiencies);
            p.push("请按上述要求补正后重新提交。补正材料提交后，窗口将重新审查受理。".into());
        }
        (DocKind::CorrectionNotice, _) => {
            p.push(format!(
                "你（单位）申请的{item}，在审查过程中需要补正材料，自本告知书发出之日起中止计算办理期限，补正材料提交后恢复计算。"
            ));
            if let Command::Suspend { note, .. } = cmd
                && !note.trim().is_empty()
            {
                p.push(format!("需要补正的内容：{}", note.trim()));
            }
        }
        (
            DocKind::RefusalDecision,
            Command::Refuse {
                reason,
                competent_agency,
            },
        ) => {
            p.push(format!(
                "你（单位）于{received}提出的{item}申请，经审查，决定不予受理。"
            ));
            p.push(format!("理由：{}", reason.trim()));
            if !competent_agency.trim().is_empty() {
                p.push(format!(
                    "该申请事项依法应向{}提出申请。",
                    competent_agency.trim()
                ));
            }
            p.push("如不服本决定，可依法申请行政复议或者提起行政诉讼。".into());
        }
        (DocKind::SpecialProcedureNotice, Command::Suspend { reason, note }) => {
            let name = match reason {
                SuspendReason::SpecialProcedure(n) => n.clone(),
                SuspendReason::Correction => "补正".into(),
            };
            p.push(format!(
                "你（单位）申请的{item}，需要进行{name}。根据《中华人民共和国行政许可法》第四十五条的规定，{name}所需时间不计算在办理期限内，自{today}起中止计算办理期限，{name}结束后恢复计算。"
            ));
            if !note.trim().is_empty() {
                p.push(format!("说明：{}", note.trim()));
            }
        }
        (DocKind::ExtensionNotice, Command::Extend { days, reason }) => {
            p.push(format!(
                "你（单位）申请的{item}，因{}，不能在规定期限内作出决定。经本行政机关负责人批准，根据《中华人民共和国行政许可法》第四十二条的规定，办理期限延长{days}个工作日。",
                reason.trim()
            ));
            if let Some(d) = d {
                p.push(format!(
                    "延长后法定办结期限：{}；承诺办结期限：{}。",
                    d.legal_due, d.promised_due
                ));
            }
        }
        (DocKind::ApprovalDecision, Command::Decide { reason, .. }) => {
            p.push(format!(
                "你（单位）提出的{item}申请，经审查，符合法定条件、标准，根据《中华人民共和国行政许可法》第三十八条第一款的规定，决定准予行政许可。"
            ));
            p.push(format!("理由：{}", reason.trim()));
            if let Some(c) = d.and_then(|d| d.certificate_due) {
                p.push(format!(
                    "许可证件（{}）将于{c}前颁发、送达（第四十四条）。",
                    if doc.result.name.is_empty() {
                        "办理结果"
                    } else {
                        doc.result.name.as_str()
                    }
                ));
            }
        }
        (DocKind::DenialDecision, Command::Decide { reason, .. }) => {
            p.push(format!(
                "你（单位）提出的{item}申请，经审查，决定不予行政许可。"
            ));
            p.push(format!("理由：{}", reason.trim()));
            p.push("如不服本决定，可自收到本决定书之日起六十日内依法申请行政复议，或者六个月内依法提起行政诉讼。".into());
        }
        _ => p.push(format!("{}：{item}", kind.zh())),
    }
    DocBody {
        title: kind.zh().into(),
        addressee: case.applicant_name.clone(),
        case_no: case.case_no.clone(),
        item_name: item.clone(),
        paragraphs: p,
        materials,
        issuer: doc.agency.name.clone(),
        date: today,
    }
}

fn deficiency_lines(facts: &CaseFacts, list: &[Deficiency]) -> Vec<DocMaterial> {
    list.iter()
        .filter_map(|d| {
            facts.materials.get(d.material).map(|m| DocMaterial {
                name: m.name.clone(),
                problem: d.problem.zh().into(),
                standard: m.acceptance_standard.clone(),
                note: d.note.trim().to_string(),
            })
        })
        .collect()
}
