//! The case lifecycle (SPEC §4.1, §4.3): states, the commands that move a
//! case, who may give each command, and what each produces (clock events,
//! documents, review tasks, notices). Pure: the store feeds in the case's
//! facts, persists the [`Transition`], and never decides anything itself.
//!
//! 草稿 → 申请 → 受理 | 补正 | 不予受理 → 审查 (one or more departments,
//! sequential or joint) → 待决定 → 决定 (准予 → 制证 | 不予) → 送达 → 办结;
//! plus 撤回 and 挂起 (suspended: the clock stops).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::auth::Denied;
use crate::catalog::{Necessity, ReviewMode};
use crate::clock::{self, ClockEvent, SuspendReason, WorkingDays};
use crate::error::{FieldError, FieldErrors};

labelled!(
    /// Where a case stands.
    CaseState {
        Draft = "draft", "草稿（未提交）", "Draft (not submitted)";
        Submitted = "submitted", "已申请，待受理", "Submitted, awaiting intake";
        Correction = "correction", "待补正", "Awaiting corrected materials";
        NotAccepted = "not_accepted", "不予受理", "Not accepted";
        Review = "review", "审查中", "Under review";
        Suspended = "suspended", "挂起（计时中止）", "Suspended (clock stopped)";
        Decision = "decision", "待决定", "Awaiting decision";
        Certifying = "certifying", "准予许可，制证中", "Approved, certificate being made";
        Delivering = "delivering", "待送达", "Awaiting delivery";
        Completed = "completed", "已办结", "Completed";
        Withdrawn = "withdrawn", "已撤回", "Withdrawn";
    }
);

impl CaseState {
    /// No command moves a case out of a final state.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            CaseState::NotAccepted | CaseState::Completed | CaseState::Withdrawn
        )
    }
    /// The legal clock runs (or stands suspended) in these states.
    pub fn clock_open(self) -> bool {
        matches!(
            self,
            CaseState::Review | CaseState::Suspended | CaseState::Decision
        )
    }
}

labelled!(
    /// The written documents of §4.1/§4.2, stored with the case.
    DocKind {
        Receipt = "receipt", "受理通知书", "Acceptance receipt";
        CorrectionNotice = "correction_notice", "补正材料一次性告知书", "One-time correction notice";
        RefusalDecision = "refusal_decision", "不予受理决定书", "Decision not to accept";
        SpecialProcedureNotice = "special_procedure_notice", "特别程序告知书", "Notice of special procedure";
        ExtensionNotice = "extension_notice", "延长办理期限告知书", "Notice of extension";
        ApprovalDecision = "approval_decision", "准予行政许可决定书", "Decision to approve";
        DenialDecision = "denial_decision", "不予行政许可决定书", "Decision to deny";
    }
);

labelled!(
    /// What is wrong with one material.
    Problem {
        Missing = "missing", "缺少", "missing";
        Defective = "defective", "不符合法定形式", "not in legal form";
    }
);

/// One line of a one-time correction notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deficiency {
    /// Index into the item version's materials.
    pub material: usize,
    pub problem: Problem,
    #[serde(default)]
    pub note: String,
}

/// A form field that a correction notice asks the applicant to correct
/// (e.g. a value 自动比对 found different from the authoritative data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldFix {
    /// The key of one of the item's form fields.
    pub field: String,
    #[serde(default)]
    pub note: String,
}

/// A material of the case's item version with what was uploaded for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialFacts {
    pub name: String,
    pub necessity: Option<Necessity>,
    pub acceptance_standard: String,
    pub uploads: usize,
    /// Not the applicant's to bring: obtained by the platform (a lookup or
    /// an e-certificate), issued by an earlier item of the bundle, or made
    /// unnecessary by the bundle's answers. Never asked in a notice.
    pub spared: bool,
}

impl MaterialFacts {
    /// Must be present before acceptance (容缺后补 and optional ones need not).
    pub fn required(&self) -> bool {
        matches!(self.necessity, None | Some(Necessity::Required))
    }
}

/// One department's review of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewTask {
    pub department_id: i64,
    pub status: TaskStatus,
}

labelled!(
    TaskStatus {
        Waiting = "waiting", "等待", "Waiting";
        Active = "active", "审查中", "Reviewing";
        Agreed = "agreed", "同意", "Agreed";
        Disagreed = "disagreed", "不同意", "Disagreed";
    }
);

/// Everything the rules need to know about a case.
#[derive(Debug, Clone)]
pub struct CaseFacts {
    pub state: CaseState,
    pub centre_path: String,
    /// The item's department: it decides, extends, makes the certificate.
    pub lead_department: i64,
    /// The applicant's account (online applications).
    pub applicant_user: Option<i64>,
    /// A concierge (帮办代办员) who may act as the applicant: one the store
    /// found holding the applicant's valid authorization (授权委托) for
    /// this item today.
    pub agent: Option<i64>,
    pub review_mode: ReviewMode,
    /// Co-reviewing departments in order (excluding the lead department).
    pub co_reviewers: Vec<i64>,
    pub tasks: Vec<ReviewTask>,
    pub materials: Vec<MaterialFacts>,
    pub clock: Vec<ClockEvent>,
    /// The day the application (or the last correction) was received.
    pub received_on: Option<NaiveDate>,
    /// The last day the window may answer an application (5 working days
    /// after receipt); after it the application counts as accepted.
    pub intake_deadline: Option<NaiveDate>,
    /// The legal deadline as it stands (none before acceptance).
    pub legal_due: Option<NaiveDate>,
    /// Materials listed by the correction notice already issued, if any:
    /// a second notice may only repeat them (一次告知).
    pub noticed: Option<Vec<usize>>,
    /// The item's own special procedures (besides those of Art. 45).
    pub procedures: Vec<String>,
    /// The item's form fields: (key, label).
    pub form_fields: Vec<(String, String)>,
    /// Form entries named by the correction notice already issued (with
    /// `noticed`): a second notice may only repeat them (一次告知).
    pub noticed_fields: Vec<String>,
    /// What the open correction notice asked that is not done yet (each
    /// listed material re-uploaded, each listed field changed): supplying
    /// is refused until it is empty.
    pub pending: Vec<String>,
    /// Documents the case still awaits from outside (Chinese, English) — one
    /// an earlier item of its bundle issues: it may not be approved before
    /// they arrive (or the applicant supplies them).
    pub awaiting: Vec<(String, String)>,
}

/// The procedures whose time does not count (行政许可法 Art. 45).
pub const ART45_PROCEDURES: &[&str] = &[
    "听证",
    "招标",
    "拍卖",
    "检验",
    "检测",
    "检疫",
    "鉴定",
    "专家评审",
];

impl CaseFacts {
    fn suspended_for(&self) -> Option<&SuspendReason> {
        let mut current = None;
        for e in &self.clock {
            match e {
                ClockEvent::Suspended { reason, .. } => current = Some(reason),
                ClockEvent::Resumed { .. } => current = None,
                _ => {}
            }
        }
        current
    }
    fn extended(&self) -> bool {
        self.clock
            .iter()
            .any(|e| matches!(e, ClockEvent::Extended { .. }))
    }
    fn active_for(&self, dept: i64) -> bool {
        self.tasks
            .iter()
            .any(|t| t.department_id == dept && t.status == TaskStatus::Active)
    }
    /// Materials required for acceptance with nothing uploaded.
    pub fn missing_required(&self) -> Vec<usize> {
        self.materials
            .iter()
            .enumerate()
            .filter(|(_, m)| m.required() && m.uploads == 0)
            .map(|(i, _)| i)
            .collect()
    }
    /// The next (sequential) departments of review: co-reviewers first, lead last.
    fn plan(&self) -> Vec<i64> {
        let mut v: Vec<i64> = self
            .co_reviewers
            .iter()
            .copied()
            .filter(|d| *d != self.lead_department)
            .collect();
        v.push(self.lead_department);
        v
    }
}

/// What someone asks to do to a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    /// The applicant (or the clerk at the window) submits the application.
    Submit,
    /// 受理 at the window.
    Accept,
    /// 补正: one notice listing every missing or defective material.
    RequestCorrection {
        deficiencies: Vec<Deficiency>,
        /// Form fields to correct, each named in the notice.
        #[serde(default)]
        fields: Vec<FieldFix>,
    },
    /// The applicant has supplied what the notice asked for.
    SupplyCorrection,
    /// 不予受理, with the reason and the competent agency.
    Refuse {
        reason: String,
        #[serde(default)]
        competent_agency: String,
    },
    /// A department's review opinion.
    CompleteReview {
        agree: bool,
        opinion: String,
    },
    /// Stop the clock for a special procedure or a correction after acceptance.
    Suspend {
        reason: SuspendReason,
        note: String,
        /// For a correction: the materials (by index) to supply again; the
        /// applicant's supply is refused until each is uploaded.
        #[serde(default)]
        materials: Vec<usize>,
    },
    Resume,
    /// The department head extends the limit once.
    Extend {
        /// Working days, 1 to 10 (15 for joint handling); any other
        /// number is refused naming `days`.
        days: i64,
        reason: String,
    },
    /// The department head decides.
    Decide {
        approve: bool,
        reason: String,
    },
    /// 制证: the certificate or approval document is made.
    Issue,
    /// 送达 and 办结.
    Deliver {
        #[serde(default)]
        method: String,
    },
    /// The applicant withdraws before the decision.
    Withdraw {
        #[serde(default)]
        reason: String,
    },
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::Submit => "submit",
            Command::Accept => "accept",
            Command::RequestCorrection { .. } => "request_correction",
            Command::SupplyCorrection => "supply_correction",
            Command::Refuse { .. } => "refuse",
            Command::CompleteReview { .. } => "complete_review",
            Command::Suspend { .. } => "suspend",
            Command::Resume => "resume",
            Command::Extend { .. } => "extend",
            Command::Decide { .. } => "decide",
            Command::Issue => "issue",
            Command::Deliver { .. } => "deliver",
            Command::Withdraw { .. } => "withdraw",
        }
    }
    pub fn zh(&self) -> &'static str {
        match self {
            Command::Submit => "提交申请",
            Command::Accept => "受理",
            Command::RequestCorrection { .. } => "一次性告知补正",
            Command::SupplyCorrection => "提交补正材料",
            Command::Refuse { .. } => "不予受理",
            Command::CompleteReview { .. } => "提交审查意见",
            Command::Suspend { .. } => "中止计时（挂起）",
            Command::Resume => "恢复计时",
            Command::Extend { .. } => "延长办理期限",
            Command::Decide { .. } => "作出决定",
            Command::Issue => "制证",
            Command::Deliver { .. } => "送达并办结",
            Command::Withdraw { .. } => "撤回申请",
        }
    }
}

/// Why a command was refused. Nothing changes when this is returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseError {
    Denied(Denied),
    /// Not possible in the case's current state.
    State {
        zh: String,
        en: String,
    },
    Invalid(FieldErrors),
}

impl CaseError {
    fn state(zh: impl Into<String>, en: impl Into<String>) -> Self {
        CaseError::State {
            zh: zh.into(),
            en: en.into(),
        }
    }
    fn field(field: &str, code: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        CaseError::Invalid(FieldErrors::single(FieldError::new(field, code, zh, en)))
    }
    pub fn zh(&self) -> String {
        match self {
            CaseError::Denied(d) => d.zh().into(),
            CaseError::State { zh, .. } => zh.clone(),
            CaseError::Invalid(f) => {
                f.0.iter()
                    .map(|e| e.message_zh.clone())
                    .collect::<Vec<_>>()
                    .join("；")
            }
        }
    }
    pub fn en(&self) -> String {
        match self {
            CaseError::Denied(d) => d.en().into(),
            CaseError::State { en, .. } => en.clone(),
            CaseError::Invalid(f) => f.to_string(),
        }
    }
}

/// Who notices go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Notify {
    Applicant,
    /// Reviewers of departments whose review became active.
    Reviewers,
    /// The head of the lead department.
    LeadHead,
    /// Window clerks of the centre.
    Clerks,
}

/// What a command does, for the store to persist in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub to: CaseState,
    pub clock: Option<ClockEvent>,
    pub document: Option<DocKind>,
    /// The new review tasks when they change.
    pub tasks: Option<Vec<ReviewTask>>,
    pub notify: Vec<Notify>,
    /// 准予 / 不予, set by the decision.
    pub approved: Option<bool>,
    /// Sets the date intake is counted from (submission, supplied correction).
    pub received_on: Option<NaiveDate>,
}

impl Transition {
    fn to(to: CaseState) -> Self {
        Self {
            to,
            clock: None,
            document: None,
            tasks: None,
            notify: Vec::new(),
            approved: None,
            received_on: None,
        }
    }
}

/// The clock limits taken from the item version at acceptance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub legal: crate::catalog::TimeLimit,
    pub promised: crate::catalog::TimeLimit,
}

mod rules;

pub use rules::{INTAKE_DAYS, authorize, deemed_acceptance, transition};

#[cfg(test)]
mod tests;
