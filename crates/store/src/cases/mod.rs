//! The case core (SPEC §4): what a case is, and the one path every change
//! to a case takes. The rules live in `tongban_domain::case`; here a
//! command is decided into a plan of steps (`plan`), the plans of one or
//! many commands are written together (`write`) by the one writer
//! (`writer`, alone or group-committed), and the capabilities that react to
//! cases — bundles, 免申即享, notices, and whatever comes next — are told
//! every step as a case observer (`observe`), in the same transaction.
//!
//! Also here: creating applications (`create`), their uploads (`uploads`),
//! what pages and lists read (`read`), the documents a step issues
//! (`documents`), the facts the domain decides on (`facts`), certificates
//! signed at 制证 (`certify`) and the intake sweep (`sweep`).

mod certify;
mod correct;
mod create;
mod documents;
mod facts;
mod holds;
mod observe;
mod plan;
pub(crate) mod priority;
mod privacy;
mod read;
mod redate;
pub(crate) mod revoke;
mod sweep;
mod uploads;
mod write;
mod writer;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use sea_orm::QueryResult;
use serde::{Deserialize, Serialize};
use tongban_domain::auth::{Actor, Role};
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::{CaseError, CaseState, DocKind, Limits, ReviewTask};
use tongban_domain::catalog::{DayCount, DayUnit, ItemDoc, ItemStatus, TimeLimit};
use tongban_domain::clock::{self, ClockEvent, Deadlines};

use crate::sql::{date_col, get, json_col};
use crate::{Result, Store, StoreError};

pub use certify::Certificate;
pub(crate) use certify::{NewCert, gets_certificate, prepare_certificate, signer_for};
pub(crate) use create::{CaseRow, co_reviewers_of, division_of, insert_case};
pub(crate) use create::{case_number, verification_code};
pub(crate) use documents::{action_zh, notice_text};
pub(crate) use facts::asked_materials;
pub(crate) use facts::{build_facts, pending_of};
pub(crate) use holds::{hold, open_holds, release, restate};
pub(crate) use observe::Observers;
pub use observe::{CaseEventKind, CaseObserver, Effects, StepEvent};
pub(crate) use plan::{Taker, Working, plan_step};
pub use redate::Redated;
pub use writer::{CaseWriter, FollowOn, Job, StepBy};

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
    /// A concierge applying for an enterprise: its user name (under the
    /// enterprise's valid authorization for the item).
    #[serde(default)]
    pub on_behalf_of: Option<String>,
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
    /// Materials (indexes) the bundle's answers, shared data or
    /// certificates made unnecessary.
    pub waived: Vec<usize>,
    /// The bundle's promised working days, which cap this sub-case's.
    #[serde(skip)]
    pub promise_cap_days: Option<DayCount>,
}

impl Case {
    /// May this actor correct the form entries a correction notice names?
    /// The applicant, online; or a window of the case's own centre, where
    /// the applicant brings the corrections in person (recorded as the clerk
    /// who took them, and the applicant is told).
    pub fn may_correct_form(&self, a: &Actor) -> bool {
        self.state == CaseState::Correction
            && (self.applicant_user_id == Some(a.user_id)
                || self.created_by == a.user_id
                || (a.role == Role::Clerk && self.centre_path == a.centre_path))
    }

    /// May this actor see the case at all?
    pub fn visible_to(&self, a: &Actor) -> bool {
        // A draft is its author's alone until it is submitted.
        if self.state == CaseState::Draft {
            return self.created_by == a.user_id || self.applicant_user_id == Some(a.user_id);
        }
        match a.role {
            Role::Applicant => self.applicant_user_id == Some(a.user_id),
            // A concierge sees the applications they started for an
            // enterprise (acting on them takes its valid authorization).
            Role::Concierge => self.created_by == a.user_id && self.applicant_user_id.is_some(),
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
    /// Why it is worked first (绿色通道, e.g. 重点项目), if it is.
    pub priority: Option<String>,
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
    k.legal_due, k.promised_due, k.decided_on, k.certificate_due, k.created_at, k.updated_at, k.bundle_case_id, k.waived, k.promise_cap_days \
    FROM cases k JOIN departments d ON d.id = k.lead_department_id";

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
        promise_cap_days: get::<Option<i64>>(r, "promise_cap_days")?
            .and_then(|d| DayCount::try_from(d).ok()),
    })
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
        .unwrap_or_else(|| TimeLimit::working(DayCount::of(if joint { 45 } else { 20 })));
    let promised = doc.promised_limit.clone().unwrap_or_else(|| legal.clone());
    Limits { legal, promised }
}

/// The limits a case runs under: its item's, with the promise capped by
/// the bundle (一件事) it belongs to, which promises the whole life event
/// within its own working days, or by a key project's green channel.
pub(crate) fn limits_for(case: &Case, doc: &ItemDoc) -> Limits {
    let mut limits = limits_of(doc);
    if let Some(days) = case.promise_cap_days
        && limits.promised.unit == DayUnit::WorkingDays
        && days < limits.promised.days
    {
        limits.promised = TimeLimit {
            days,
            unit: DayUnit::WorkingDays,
            explanation: if case.bundle_case_id.is_some() {
                "按“一件事”承诺时限"
            } else {
                "按重点项目绿色通道承诺时限"
            }
            .into(),
        };
    }
    limits
}

pub(crate) fn stale() -> StoreError {
    StoreError::conflict(
        "案件已被他人处理，请刷新页面后再操作",
        "the case was changed by someone else; reload and try again",
    )
}

pub use crate::shanghai_today;

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
}
