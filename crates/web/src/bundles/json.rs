//! What the bundles' JSON API serves, as types: each mirrors the store's
//! record it is built from (destructured field by field, so a field added
//! there does not compile until it is served and documented here), and the
//! OpenAPI schema comes from the type that is served.
//!
//! The sub-cases of a bundle application are cases, served as the cases'
//! API serves them; a capability does not use another, so their mirror is
//! this module's own ([`SubCaseView`]).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use tongban_domain::bundle::{BundleDoc, BundleState, Savings, Selection, Slot};
use tongban_domain::case::{CaseState, ReviewTask, TaskStatus};
use tongban_domain::catalog::{FormField, ItemStatus, TimeLimit};
use tongban_domain::clock::{ClockEvent, SuspendReason};
use tongban_store::bundles::{
    BundleCase, BundleFile, BundleNotice, BundleRecord, BundleVersion, BundleView, NoticeBody,
    NoticeLine,
};
use tongban_store::cases::{Case, Channel};
use utoipa::ToSchema;

/// An item of a published bundle.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BundleItemSummary {
    /// 实施编码.
    pub impl_code: String,
    pub name: String,
    /// The item's department.
    pub department: String,
}

/// A published bundle with its items and what it saves against applying
/// item by item.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BundleSummary {
    pub code: String,
    pub version: i64,
    pub name: String,
    /// The life or business event (新生儿出生, 企业开办 …).
    pub event: String,
    /// The bundle's promised limit, in working days.
    pub promised_days: u32,
    pub items: Vec<BundleItemSummary>,
    pub savings: Savings,
}

fn item_summaries(v: &BundleView) -> Vec<BundleItemSummary> {
    v.items
        .iter()
        .map(|i| BundleItemSummary {
            impl_code: i.impl_code.clone(),
            name: i.doc.name.clone(),
            department: i.department_name.clone(),
        })
        .collect()
}

impl From<&BundleView> for BundleSummary {
    fn from(v: &BundleView) -> Self {
        BundleSummary {
            code: v.bundle.code.clone(),
            version: v.bundle.version,
            name: v.bundle.doc.name.clone(),
            event: v.bundle.doc.event.clone(),
            promised_days: v.bundle.doc.promised_days.get(),
            items: item_summaries(v),
            savings: v.savings,
        }
    }
}

/// Published bundles.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BundleList {
    pub bundles: Vec<BundleSummary>,
}

/// One published bundle: its summary and its definition.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BundleDetail {
    pub code: String,
    pub version: i64,
    pub name: String,
    pub event: String,
    /// The bundle's promised limit, in working days.
    pub promised_days: u32,
    pub items: Vec<BundleItemSummary>,
    pub savings: Savings,
    /// The definition: guide, questions, rules, form fields.
    pub doc: BundleDoc,
}

impl From<&BundleView> for BundleDetail {
    fn from(v: &BundleView) -> Self {
        let BundleSummary {
            code,
            version,
            name,
            event,
            promised_days,
            items,
            savings,
        } = v.into();
        BundleDetail {
            code,
            version,
            name,
            event,
            promised_days,
            items,
            savings,
            doc: v.bundle.doc.clone(),
        }
    }
}

/// The tailored list for a set of answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SelectionView {
    pub selection: Selection,
    /// Each material once, and the items it serves.
    pub materials: Vec<Slot>,
    /// The fields of the one form.
    pub fields: Vec<FormField>,
}

/// A bundle application: who applied, the answers, the one form and where
/// it stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BundleCaseInfo {
    pub id: i64,
    pub bundle_no: String,
    pub bundle_version_id: i64,
    pub code: String,
    pub name: String,
    pub centre_id: i64,
    pub centre_path: String,
    #[schema(required)]
    pub applicant_user_id: Option<i64>,
    /// Masked for supervisors, as is the ID number.
    pub applicant_name: String,
    pub applicant_id_number: String,
    pub created_by: i64,
    /// False until submitted once.
    pub submitted: bool,
    pub state: BundleState,
    pub version: i64,
    /// The answers to the situational questions, by key.
    pub answers: BTreeMap<String, String>,
    /// The one form's fields by key (empty for supervisors).
    pub form: BTreeMap<String, String>,
    pub selection: Selection,
    /// The item versions (ids) applied for, by 实施编码, pinned when the
    /// application starts.
    pub items: BTreeMap<String, i64>,
    /// The bundle's promised limit (working days), capping every sub-case's promise.
    pub promised_days: i64,
    #[schema(required)]
    pub submitted_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<BundleCase> for BundleCaseInfo {
    fn from(b: BundleCase) -> Self {
        let BundleCase {
            id,
            bundle_no,
            verify_code: _,
            bundle_version_id,
            code,
            name,
            centre_id,
            centre_path,
            applicant_user_id,
            applicant_name,
            applicant_id_number,
            applicant_phone: _,
            applicant_email: _,
            created_by,
            submitted,
            state,
            version,
            answers,
            form,
            selection,
            items,
            promised_days,
            submitted_at,
            created_at,
            updated_at,
        } = b;
        BundleCaseInfo {
            id,
            bundle_no,
            bundle_version_id,
            code,
            name,
            centre_id,
            centre_path,
            applicant_user_id,
            applicant_name,
            applicant_id_number,
            created_by,
            submitted,
            state,
            version,
            answers,
            form,
            selection,
            items,
            promised_days,
            submitted_at,
            created_at,
            updated_at,
        }
    }
}

/// A file uploaded once for a slot of the bundle.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BundleFileView {
    pub id: i64,
    /// The slot's index.
    pub slot: i64,
    pub file_name: String,
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    pub uploaded_at: i64,
}

impl From<BundleFile> for BundleFileView {
    fn from(f: BundleFile) -> Self {
        let BundleFile {
            id,
            slot,
            file_name,
            content_type,
            size,
            uploaded_at,
            object_key: _,
            digest: _,
        } = f;
        BundleFileView {
            id,
            slot,
            file_name,
            content_type,
            size,
            uploaded_at,
        }
    }
}

/// Which combined notice.
#[derive(Debug, Clone, Copy, ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // documents the text field below; the store sets the value
pub enum NoticeKind {
    /// The one correction notice gathering every sub-case's.
    Correction,
    /// The outcome of every sub-case, once all are done.
    Completion,
}

/// One sub-case in a combined notice.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoticeLineView {
    pub case_id: i64,
    pub case_no: String,
    pub item_name: String,
    pub department: String,
    /// Correction: each material asked for (name — problem — standard).
    /// Completion: the result.
    pub entries: Vec<String>,
    /// Completion: the outcome (准予 / 不予许可 / 不予受理 / 撤回).
    pub outcome: String,
    #[schema(required)]
    pub document_id: Option<i64>,
}

/// The content of a combined notice.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoticeBodyView {
    pub title: String,
    pub addressee: String,
    pub bundle_no: String,
    pub bundle_name: String,
    pub paragraphs: Vec<String>,
    pub lines: Vec<NoticeLineView>,
    #[schema(required)]
    pub date: Option<NaiveDate>,
}

/// A combined notice of the bundle (correction or completion).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BundleNoticeView {
    pub id: i64,
    #[schema(value_type = NoticeKind)]
    pub kind: String,
    pub number: String,
    pub body: NoticeBodyView,
    pub created_at: i64,
}

impl From<BundleNotice> for BundleNoticeView {
    fn from(n: BundleNotice) -> Self {
        let BundleNotice {
            id,
            kind,
            number,
            body,
            created_at,
        } = n;
        let NoticeBody {
            title,
            addressee,
            bundle_no,
            bundle_name,
            paragraphs,
            lines,
            date,
        } = body;
        let lines = lines
            .into_iter()
            .map(|l| {
                let NoticeLine {
                    case_id,
                    case_no,
                    item_name,
                    department,
                    entries,
                    outcome,
                    document_id,
                } = l;
                NoticeLineView {
                    case_id,
                    case_no,
                    item_name,
                    department,
                    entries,
                    outcome,
                    document_id,
                }
            })
            .collect();
        BundleNoticeView {
            id,
            kind,
            number,
            body: NoticeBodyView {
                title,
                addressee,
                bundle_no,
                bundle_name,
                paragraphs,
                lines,
                date,
            },
            created_at,
        }
    }
}

/// A bundle application with its sub-cases, slots, files and notices.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BundleCaseView {
    pub bundle: BundleCaseInfo,
    /// The bundle version's definition.
    pub doc: BundleDoc,
    /// The materials, each asked once.
    pub slots: Vec<Slot>,
    pub files: Vec<BundleFileView>,
    /// The one form's fields as asked for this selection.
    pub fields: Vec<FormField>,
    /// One case per selected item, once submitted.
    pub sub_cases: Vec<SubCaseView>,
    pub notices: Vec<BundleNoticeView>,
    /// Item names of the selection, in order.
    pub item_names: Vec<String>,
    pub savings: Savings,
    /// The state in Chinese.
    pub state_zh: String,
    /// Required slots (indexes) without a file yet.
    pub missing_slots: Vec<usize>,
}

impl From<BundleRecord> for BundleCaseView {
    fn from(r: BundleRecord) -> Self {
        let missing_slots = r.missing_slots();
        let BundleRecord {
            bundle,
            doc,
            slots,
            files,
            fields,
            sub_cases,
            notices,
            item_names,
            savings,
        } = r;
        BundleCaseView {
            state_zh: bundle.state.zh().to_string(),
            bundle: bundle.into(),
            doc,
            slots,
            files: files.into_iter().map(Into::into).collect(),
            fields,
            sub_cases: sub_cases.into_iter().map(Into::into).collect(),
            notices: notices.into_iter().map(Into::into).collect(),
            item_names,
            savings,
            missing_slots,
        }
    }
}

/// The caller's bundle applications, or those awaiting intake: no form
/// data, and staff lists mask the applicant.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BundleCaseRow {
    pub id: i64,
    pub bundle_no: String,
    pub code: String,
    pub name: String,
    pub state: BundleState,
    pub submitted: bool,
    pub applicant_name: String,
    #[schema(required)]
    pub submitted_at: Option<i64>,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BundleCaseList {
    pub bundle_cases: Vec<BundleCaseRow>,
}

/// How many sub-cases a correction upload went to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CorrectionUploaded {
    pub sub_cases: usize,
}

/// One stored version of a bundle (catalogue admin).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BundleVersionView {
    pub id: i64,
    /// Stable code, e.g. `newborn`.
    pub code: String,
    pub version: i64,
    pub status: ItemStatus,
    pub centre_id: i64,
    pub doc: BundleDoc,
    pub created_at: i64,
    pub updated_at: i64,
    #[schema(required)]
    pub published_at: Option<i64>,
}

impl From<BundleVersion> for BundleVersionView {
    fn from(v: BundleVersion) -> Self {
        let BundleVersion {
            id,
            code,
            version,
            status,
            centre_id,
            doc,
            created_at,
            updated_at,
            published_at,
        } = v;
        BundleVersionView {
            id,
            code,
            version,
            status,
            centre_id,
            doc,
            created_at,
            updated_at,
            published_at,
        }
    }
}

/// The newest version of every bundle of the centre.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminBundleList {
    pub bundles: Vec<BundleVersionView>,
}

/// How a sub-case came in.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubCaseChannel {
    Online,
    Window,
}

/// One step of a sub-case's legal clock, in order.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum SubCaseClockEvent {
    Accepted {
        on: NaiveDate,
        legal: TimeLimit,
        promised: TimeLimit,
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
    Decided {
        on: NaiveDate,
        certificate: bool,
    },
}

impl From<ClockEvent> for SubCaseClockEvent {
    fn from(e: ClockEvent) -> Self {
        match e {
            ClockEvent::Accepted {
                on,
                legal,
                promised,
                joint,
            } => SubCaseClockEvent::Accepted {
                on,
                legal,
                promised,
                joint,
            },
            ClockEvent::Suspended { on, reason } => SubCaseClockEvent::Suspended { on, reason },
            ClockEvent::Resumed { on } => SubCaseClockEvent::Resumed { on },
            ClockEvent::Extended { on, days, reason } => SubCaseClockEvent::Extended {
                on,
                days: days.0,
                reason,
            },
            ClockEvent::Decided { on, certificate } => {
                SubCaseClockEvent::Decided { on, certificate }
            }
        }
    }
}

/// One department's review of a sub-case.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubCaseTask {
    pub department_id: i64,
    pub status: TaskStatus,
}

/// A sub-case of a bundle application: the case of one item, as the
/// cases' API serves it (`case` of `GET /api/v1/cases/{id}`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubCaseView {
    pub id: i64,
    pub case_no: String,
    pub centre_id: i64,
    pub centre_path: String,
    pub lead_department_id: i64,
    pub lead_department_name: String,
    pub item_version_id: i64,
    pub impl_code: String,
    pub item_name: String,
    #[schema(required)]
    pub applicant_user_id: Option<i64>,
    /// Masked for supervisors, as are the ID number and phone.
    pub applicant_name: String,
    pub applicant_id_number: String,
    pub applicant_phone: String,
    pub channel: SubCaseChannel,
    pub created_by: i64,
    pub state: CaseState,
    pub version: i64,
    #[schema(required)]
    pub approved: Option<bool>,
    /// The item's form, filled from the one form (empty for supervisors).
    pub form: BTreeMap<String, String>,
    pub clock: Vec<SubCaseClockEvent>,
    pub tasks: Vec<SubCaseTask>,
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
    pub created_at: i64,
    pub updated_at: i64,
    #[schema(required)]
    pub bundle_case_id: Option<i64>,
    /// Materials (indexes) the bundle's answers, shared data or
    /// certificates made unnecessary.
    pub waived: Vec<usize>,
}

impl From<Case> for SubCaseView {
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
        SubCaseView {
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
            channel: match channel {
                Channel::Online => SubCaseChannel::Online,
                Channel::Window => SubCaseChannel::Window,
            },
            created_by,
            state,
            version,
            approved,
            form,
            clock: clock.into_iter().map(Into::into).collect(),
            tasks: tasks
                .into_iter()
                .map(|t| {
                    let ReviewTask {
                        department_id,
                        status,
                    } = t;
                    SubCaseTask {
                        department_id,
                        status,
                    }
                })
                .collect(),
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
