//! What the cases' JSON API serves, as types: each mirrors the store's
//! record it is built from (destructured field by field, so a field added
//! to the store's type does not compile until it is served and documented
//! here), and the OpenAPI schema comes from the same type that is served.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use tongban_domain::case::{CaseState, DocKind, ReviewTask, TaskStatus};
use tongban_domain::catalog::TimeLimit;
use tongban_domain::clock::{ClockEvent, SuspendReason};
use tongban_store::cases::{
    Applied, Case, CaseDocument, CaseEvent, CaseFile, CaseListRow, Channel, DocBody, DocMaterial,
    PublicProgress, PublicStep,
};
use tongban_store::shared_data::{DecisionRecord, FetchRecord, Mismatch};
use utoipa::ToSchema;

use super::views::ClockView;

/// How the application came in.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseChannel {
    Online,
    Window,
}

impl From<Channel> for CaseChannel {
    fn from(c: Channel) -> Self {
        match c {
            Channel::Online => CaseChannel::Online,
            Channel::Window => CaseChannel::Window,
        }
    }
}

/// One step of a case's legal clock, in order.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum ClockEventView {
    Accepted {
        on: NaiveDate,
        legal: TimeLimit,
        promised: TimeLimit,
        /// Joint handling (统一/联合/集中办理): a longer extension is allowed.
        joint: bool,
    },
    Suspended {
        on: NaiveDate,
        reason: SuspendReason,
    },
    Resumed {
        on: NaiveDate,
    },
    Extended {
        on: NaiveDate,
        /// Working days added.
        days: u32,
        reason: String,
    },
    /// The clock stops: a decision, or a withdrawal.
    Decided {
        on: NaiveDate,
        /// A certificate follows (an approval); false for a denial or a withdrawal.
        certificate: bool,
    },
}

impl From<ClockEvent> for ClockEventView {
    fn from(e: ClockEvent) -> Self {
        match e {
            ClockEvent::Accepted {
                on,
                legal,
                promised,
                joint,
            } => ClockEventView::Accepted {
                on,
                legal,
                promised,
                joint,
            },
            ClockEvent::Suspended { on, reason } => ClockEventView::Suspended { on, reason },
            ClockEvent::Resumed { on } => ClockEventView::Resumed { on },
            ClockEvent::Extended { on, days, reason } => ClockEventView::Extended {
                on,
                days: days.0,
                reason,
            },
            ClockEvent::Decided { on, certificate } => ClockEventView::Decided { on, certificate },
        }
    }
}

/// One department's review of a case.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewTaskView {
    pub department_id: i64,
    pub status: TaskStatus,
}

impl From<ReviewTask> for ReviewTaskView {
    fn from(t: ReviewTask) -> Self {
        let ReviewTask {
            department_id,
            status,
        } = t;
        ReviewTaskView {
            department_id,
            status,
        }
    }
}

/// A case: its item, applicant, state, clock, review tasks and dates.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseView {
    pub id: i64,
    pub case_no: String,
    pub centre_id: i64,
    pub centre_path: String,
    pub lead_department_id: i64,
    pub lead_department_name: String,
    pub item_version_id: i64,
    /// 实施编码 of the item.
    pub impl_code: String,
    pub item_name: String,
    #[schema(required)]
    pub applicant_user_id: Option<i64>,
    /// Masked (张*) for supervisors, as are the ID number and phone.
    pub applicant_name: String,
    pub applicant_id_number: String,
    pub applicant_phone: String,
    pub channel: CaseChannel,
    /// Who started the application (the applicant, or a window clerk).
    pub created_by: i64,
    pub state: CaseState,
    /// Changes with every step; a command names the version it saw.
    pub version: i64,
    /// The decision, once made.
    #[schema(required)]
    pub approved: Option<bool>,
    /// The form's answers by field key.
    pub form: BTreeMap<String, String>,
    pub clock: Vec<ClockEventView>,
    pub tasks: Vec<ReviewTaskView>,
    /// Departments (ids) reviewing besides the lead department.
    pub co_reviewers: Vec<i64>,
    #[schema(required)]
    pub received_on: Option<NaiveDate>,
    #[schema(required)]
    pub accepted_on: Option<NaiveDate>,
    #[schema(required)]
    pub legal_due: Option<NaiveDate>,
    #[schema(required)]
    pub promised_due: Option<NaiveDate>,
    #[schema(required)]
    pub decided_on: Option<NaiveDate>,
    #[schema(required)]
    pub certificate_due: Option<NaiveDate>,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    pub updated_at: i64,
    /// The bundle application (一件事) this case is part of.
    #[schema(required)]
    pub bundle_case_id: Option<i64>,
    /// Materials (indexes) the bundle's answers, shared data or
    /// certificates made unnecessary.
    pub waived: Vec<usize>,
}

impl From<Case> for CaseView {
    fn from(c: Case) -> Self {
        let Case {
            id,
            case_no,
            verify_code: _,
            centre_id,
            centre_path,
            lead_department_id,
            lead_department_name,
            item_version_id,
            impl_code,
            item_name,
            applicant_user_id,
            applicant_name,
            applicant_id_number,
            applicant_phone,
            applicant_email: _,
            channel,
            created_by,
            state,
            version,
            approved,
            form,
            clock,
            tasks,
            co_reviewers,
            received_on,
            accepted_on,
            legal_due,
            promised_due,
            decided_on,
            certificate_due,
            created_at,
            updated_at,
            bundle_case_id,
            waived,
            promise_cap_days: _,
        } = c;
        CaseView {
            id,
            case_no,
            centre_id,
            centre_path,
            lead_department_id,
            lead_department_name,
            item_version_id,
            impl_code,
            item_name,
            applicant_user_id,
            applicant_name,
            applicant_id_number,
            applicant_phone,
            channel: channel.into(),
            created_by,
            state,
            version,
            approved,
            form,
            clock: clock.into_iter().map(Into::into).collect(),
            tasks: tasks.into_iter().map(Into::into).collect(),
            co_reviewers,
            received_on,
            accepted_on,
            legal_due,
            promised_due,
            decided_on,
            certificate_due,
            created_at,
            updated_at,
            bundle_case_id,
            waived,
        }
    }
}

/// One uploaded file of a case.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseFileView {
    pub id: i64,
    /// The material's index in the item version.
    pub material_index: i64,
    pub file_name: String,
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    pub uploaded_at: i64,
}

impl From<CaseFile> for CaseFileView {
    fn from(f: CaseFile) -> Self {
        let CaseFile {
            id,
            material_index,
            file_name,
            content_type,
            size,
            uploaded_at,
            object_key: _,
        } = f;
        CaseFileView {
            id,
            material_index,
            file_name,
            content_type,
            size,
            uploaded_at,
        }
    }
}

/// A material a correction notice lists, with its 受理标准.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DocMaterialView {
    pub name: String,
    pub problem: String,
    pub standard: String,
    pub note: String,
}

/// The content of a document, fixed when it is issued.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DocBodyView {
    pub title: String,
    pub addressee: String,
    pub case_no: String,
    pub item_name: String,
    pub paragraphs: Vec<String>,
    /// Materials listed by a correction notice.
    pub materials: Vec<DocMaterialView>,
    pub issuer: String,
    pub date: NaiveDate,
}

impl From<DocBody> for DocBodyView {
    fn from(b: DocBody) -> Self {
        let DocBody {
            title,
            addressee,
            case_no,
            item_name,
            paragraphs,
            materials,
            issuer,
            date,
        } = b;
        DocBodyView {
            title,
            addressee,
            case_no,
            item_name,
            paragraphs,
            materials: materials
                .into_iter()
                .map(|m| {
                    let DocMaterial {
                        name,
                        problem,
                        standard,
                        note,
                    } = m;
                    DocMaterialView {
                        name,
                        problem,
                        standard,
                        note,
                    }
                })
                .collect(),
            issuer,
            date,
        }
    }
}

/// A document issued by a case (receipt, notice, decision).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseDocumentView {
    pub id: i64,
    pub case_id: i64,
    pub kind: DocKind,
    /// 文号.
    pub number: String,
    pub body: DocBodyView,
    pub created_at: i64,
}

impl From<CaseDocument> for CaseDocumentView {
    fn from(d: CaseDocument) -> Self {
        let CaseDocument {
            id,
            case_id,
            kind,
            number,
            body,
            created_at,
        } = d;
        CaseDocumentView {
            id,
            case_id,
            kind,
            number,
            body: body.into(),
            created_at,
        }
    }
}

/// One recorded step of a case.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseEventView {
    pub at: i64,
    pub actor_name: String,
    /// The command (`accept`, `decide` …), or `create`, `deemed_accepted` ….
    pub action: String,
    /// The state before (empty when the case was created) and after.
    pub from_state: String,
    pub to_state: String,
    /// What the step recorded; its shape depends on the action.
    #[schema(value_type = Value)]
    pub details: serde_json::Value,
    /// The document the step issued.
    #[schema(required)]
    pub document_id: Option<i64>,
}

impl From<CaseEvent> for CaseEventView {
    fn from(e: CaseEvent) -> Self {
        let CaseEvent {
            at,
            actor_name,
            action,
            from_state,
            to_state,
            details,
            document_id,
        } = e;
        CaseEventView {
            at,
            actor_name,
            action,
            from_state,
            to_state,
            details,
            document_id,
        }
    }
}

/// What a lookup in shared data gave.
#[derive(Debug, Clone, Copy, ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // documents the store's values; the field is served as stored
pub enum FetchOutcome {
    Found,
    NotFound,
    Failed,
    Certificate,
    Rejected,
}

/// One lookup in shared data at submission (what was looked up about the applicant).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FetchView {
    pub id: i64,
    pub source_key: String,
    pub source_name: String,
    pub at: i64,
    #[schema(value_type = FetchOutcome)]
    pub outcome: String,
    /// The fields the source answered.
    pub fields: Vec<String>,
    /// The record found (null when nothing was found, and for supervisors).
    #[schema(value_type = Option<Object>, required)]
    pub data: serde_json::Value,
    pub message: String,
    pub attempts: i64,
}

impl From<FetchRecord> for FetchView {
    fn from(f: FetchRecord) -> Self {
        let FetchRecord {
            id,
            source_key,
            source_name,
            at,
            outcome,
            fields,
            data,
            message,
            attempts,
        } = f;
        FetchView {
            id,
            source_key,
            source_name,
            at,
            outcome,
            fields,
            data,
            message,
            attempts,
        }
    }
}

/// What a decision model decided.
#[derive(Debug, Clone, Copy, ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // documents the store's values; the field is served as stored
pub enum DecisionOutcome {
    Approve,
    Refer,
    Refuse,
}

/// A declared value that disagrees with the authoritative one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MismatchView {
    pub form_field: String,
    /// Masked for supervisors, as is the authoritative value.
    pub declared: String,
    pub source: String,
    pub source_field: String,
    pub authoritative: String,
}

/// One evaluation of the item's decision rules (秒批) recorded on a case.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DecisionView {
    pub at: i64,
    pub item_version_id: i64,
    #[schema(value_type = DecisionOutcome)]
    pub outcome: String,
    pub reasons: Vec<String>,
    /// The model's input (null for supervisors).
    #[schema(value_type = Option<Object>, required)]
    pub inputs: serde_json::Value,
    /// How the model's tables decided.
    #[schema(value_type = Value)]
    pub trace: serde_json::Value,
    pub mismatches: Vec<MismatchView>,
    /// 秒批: the system carried the case to delivery.
    pub automatic: bool,
}

impl From<DecisionRecord> for DecisionView {
    fn from(d: DecisionRecord) -> Self {
        let DecisionRecord {
            at,
            item_version_id,
            outcome,
            reasons,
            inputs,
            trace,
            mismatches,
            automatic,
        } = d;
        DecisionView {
            at,
            item_version_id,
            outcome,
            reasons,
            inputs,
            trace,
            mismatches: mismatches
                .into_iter()
                .map(|m| {
                    let Mismatch {
                        form_field,
                        declared,
                        source,
                        source_field,
                        authoritative,
                    } = m;
                    MismatchView {
                        form_field,
                        declared,
                        source,
                        source_field,
                        authoritative,
                    }
                })
                .collect(),
            automatic,
        }
    }
}

/// A case with its clock as the caller reads it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseWithClock {
    pub case: CaseView,
    /// Deadlines, once the clock has started.
    #[schema(required)]
    pub clock: Option<ClockView>,
}

/// A case with its files, documents, history and deadlines.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseDetail {
    pub case: CaseView,
    /// Deadlines, once the clock has started.
    #[schema(required)]
    pub clock: Option<ClockView>,
    pub files: Vec<CaseFileView>,
    pub documents: Vec<CaseDocumentView>,
    pub events: Vec<CaseEventView>,
    /// What was looked up in shared data; supervisors see the outcome, not
    /// the looked-up personal data.
    pub fetches: Vec<FetchView>,
    /// What the rules said (秒批).
    pub decisions: Vec<DecisionView>,
    /// The receipt's verification code, for the applicant and the clerk
    /// (empty for anyone else).
    pub verify_code: String,
}

/// A row of a work list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseRowView {
    pub id: i64,
    pub case_no: String,
    pub item_name: String,
    /// Masked (张*): lists never show full personal data.
    pub applicant: String,
    pub state: CaseState,
    #[schema(required)]
    pub received_on: Option<NaiveDate>,
    #[schema(required)]
    pub promised_due: Option<NaiveDate>,
    #[schema(required)]
    pub legal_due: Option<NaiveDate>,
    /// Working days left to the promised deadline (negative: overdue).
    #[schema(required)]
    pub days_left: Option<i64>,
    pub updated_at: i64,
    /// Why it is worked first (绿色通道, e.g. 重点项目); such rows come first.
    #[schema(required)]
    pub priority: Option<String>,
}

impl From<CaseListRow> for CaseRowView {
    fn from(r: CaseListRow) -> Self {
        let CaseListRow {
            id,
            case_no,
            item_name,
            applicant,
            state,
            received_on,
            promised_due,
            legal_due,
            days_left,
            updated_at,
            priority,
        } = r;
        CaseRowView {
            id,
            case_no,
            item_name,
            applicant,
            state,
            received_on,
            promised_due,
            legal_due,
            days_left,
            updated_at,
            priority,
        }
    }
}

/// The caller's work list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseListView {
    pub cases: Vec<CaseRowView>,
}

/// Where a case stands after a command.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppliedView {
    pub case_id: i64,
    pub state: CaseState,
    pub version: i64,
    /// The document the command issued.
    #[schema(required)]
    pub document_id: Option<i64>,
}

impl From<Applied> for AppliedView {
    fn from(a: Applied) -> Self {
        let Applied {
            case_id,
            state,
            version,
            document_id,
        } = a;
        AppliedView {
            case_id,
            state,
            version,
            document_id,
        }
    }
}

/// One step the public progress lookup shows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicStepView {
    pub at: i64,
    pub action_zh: String,
    pub state: CaseState,
}

/// What the public progress lookup (办件查询) shows: no personal data.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicProgressView {
    pub case_no: String,
    pub item_name: String,
    pub department: String,
    pub state: CaseState,
    #[schema(required)]
    pub received_on: Option<NaiveDate>,
    #[schema(required)]
    pub accepted_on: Option<NaiveDate>,
    #[schema(required)]
    pub promised_due: Option<NaiveDate>,
    #[schema(required)]
    pub legal_due: Option<NaiveDate>,
    #[schema(required)]
    pub decided_on: Option<NaiveDate>,
    pub steps: Vec<PublicStepView>,
}

impl From<PublicProgress> for PublicProgressView {
    fn from(p: PublicProgress) -> Self {
        let PublicProgress {
            case_no,
            item_name,
            department,
            state,
            received_on,
            accepted_on,
            promised_due,
            legal_due,
            decided_on,
            steps,
        } = p;
        PublicProgressView {
            case_no,
            item_name,
            department,
            state,
            received_on,
            accepted_on,
            promised_due,
            legal_due,
            decided_on,
            steps: steps
                .into_iter()
                .map(|s| {
                    let PublicStep {
                        at,
                        action_zh,
                        state,
                    } = s;
                    PublicStepView {
                        at,
                        action_zh,
                        state,
                    }
                })
                .collect(),
        }
    }
}

/// What the public progress lookup (办件查询) shows of a bundle application:
/// no personal data.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicBundleProgressView {
    pub bundle_no: String,
    pub name: String,
    pub state: tongban_domain::bundle::BundleState,
    /// When it was submitted (UTC milliseconds).
    #[schema(required)]
    pub submitted_at: Option<i64>,
    /// The bundle's promised working days.
    pub promised_days: u32,
    pub services: Vec<PublicServiceView>,
}

/// One service of a bundle application, as the public lookup shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicServiceView {
    pub case_no: String,
    pub item_name: String,
    pub department: String,
    pub state: CaseState,
}

impl From<tongban_store::bundles::PublicBundleProgress> for PublicBundleProgressView {
    fn from(p: tongban_store::bundles::PublicBundleProgress) -> Self {
        Self {
            bundle_no: p.bundle_no,
            name: p.name,
            state: p.state,
            submitted_at: p.submitted_at,
            promised_days: p.promised_days,
            services: p
                .services
                .into_iter()
                .map(
                    |(case_no, item_name, department, state)| PublicServiceView {
                        case_no,
                        item_name,
                        department,
                        state,
                    },
                )
                .collect(),
        }
    }
}
