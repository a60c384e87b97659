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

use crate::auth::{Actor, Denied, Role};
use crate::catalog::{Necessity, ReviewMode};
use crate::clock::{self, ClockEvent, SuspendReason, WorkingDays};
use crate::error::{FieldError, FieldErrors};

macro_rules! labelled {
    ($(#[$m:meta])* $name:ident { $($v:ident = $json:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $json)] $v,)+ }
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let desc = [$(format!("{} {}", $json, $zh)),+].join(", ");
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($json),+]))
                    .description(Some(desc))
                    .into()
            }
        }
        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v,)+];
            pub fn as_str(self) -> &'static str { match self { $($name::$v => $json,)+ } }
            pub fn zh(self) -> &'static str { match self { $($name::$v => $zh,)+ } }
            pub fn en(self) -> &'static str { match self { $($name::$v => $en,)+ } }
            pub fn parse(s: &str) -> Option<Self> { match s { $($json => Some($name::$v),)+ _ => None } }
        }
    };
}

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

/// A material of the case's item version with what was uploaded for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialFacts {
    pub name: String,
    pub necessity: Option<Necessity>,
    pub acceptance_standard: String,
    pub uploads: usize,
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
    },
    Resume,
    /// The department head extends the limit once.
    Extend {
        days: u32,
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

fn require_text(field: &str, v: &str, zh_label: &str, en_label: &str) -> Result<(), CaseError> {
    if v.trim().is_empty() {
        return Err(CaseError::field(
            field,
            "required",
            format!("请填写{zh_label}"),
            format!("{en_label} is required"),
        ));
    }
    if v.chars().count() > 2000 {
        return Err(CaseError::field(
            field,
            "too_long",
            format!("{zh_label}不能超过2000字"),
            format!("{en_label} must be at most 2000 characters"),
        ));
    }
    Ok(())
}

fn in_centre(actor: &Actor, f: &CaseFacts) -> bool {
    f.centre_path.starts_with(&actor.centre_path)
}

/// Checks that `actor` may give `cmd` on a case with `f` (role, department,
/// ownership). The state is checked by [`transition`].
pub fn authorize(actor: &Actor, f: &CaseFacts, cmd: &Command) -> Result<(), CaseError> {
    let deny_role = Err(CaseError::Denied(Denied::Role));
    let deny_dept = Err(CaseError::Denied(Denied::Department));
    let owner = f.applicant_user == Some(actor.user_id);
    let clerk_here = actor.role == Role::Clerk && in_centre(actor, f);
    let dept = actor.department_id;
    let of_lead = dept == Some(f.lead_department) && in_centre(actor, f);
    let of_active = dept.is_some_and(|d| f.active_for(d)) && in_centre(actor, f);
    match cmd {
        // Corrections may be brought to any window; an online application
        // is submitted or withdrawn only by its applicant.
        Command::SupplyCorrection => match actor.role {
            Role::Applicant if owner => Ok(()),
            Role::Applicant => deny_dept,
            Role::Clerk if clerk_here => Ok(()),
            Role::Clerk => deny_dept,
            _ => deny_role,
        },
        Command::Submit | Command::Withdraw { .. } => match actor.role {
            Role::Applicant if owner => Ok(()),
            Role::Applicant => deny_dept,
            Role::Clerk if clerk_here && f.applicant_user.is_none() => Ok(()),
            Role::Clerk if clerk_here => deny_role,
            Role::Clerk => deny_dept,
            _ => deny_role,
        },
        Command::Accept | Command::RequestCorrection { .. } | Command::Refuse { .. } => {
            match actor.role {
                Role::Clerk if clerk_here => Ok(()),
                Role::Clerk => deny_dept,
                _ => deny_role,
            }
        }
        Command::CompleteReview { .. } => match actor.role {
            Role::Reviewer | Role::Head if of_active => Ok(()),
            Role::Reviewer | Role::Head => deny_dept,
            _ => deny_role,
        },
        Command::Suspend { .. } | Command::Resume => match actor.role {
            Role::Reviewer | Role::Head if of_active || of_lead => Ok(()),
            Role::Reviewer | Role::Head => deny_dept,
            _ => deny_role,
        },
        Command::Extend { .. } | Command::Decide { .. } => match actor.role {
            Role::Head if of_lead => Ok(()),
            Role::Head => deny_dept,
            _ => deny_role,
        },
        Command::Issue => match actor.role {
            Role::Reviewer | Role::Head if of_lead => Ok(()),
            Role::Reviewer | Role::Head => deny_dept,
            _ => deny_role,
        },
        Command::Deliver { .. } => match actor.role {
            Role::Clerk if clerk_here => Ok(()),
            Role::Reviewer | Role::Head if of_lead => Ok(()),
            Role::Clerk | Role::Reviewer | Role::Head => deny_dept,
            _ => deny_role,
        },
    }
}

fn wrong_state(f: &CaseFacts, cmd: &Command) -> CaseError {
    CaseError::state(
        format!("案件当前状态为“{}”，不能{}", f.state.zh(), cmd.zh()),
        format!(
            "the case is {}; cannot {}",
            f.state.en().to_lowercase(),
            cmd.name().replace('_', " ")
        ),
    )
}

/// The review tasks at acceptance: the first department (sequential) or all
/// of them (joint) active.
fn initial_tasks(f: &CaseFacts) -> Vec<ReviewTask> {
    let plan = f.plan();
    plan.iter()
        .enumerate()
        .map(|(i, d)| ReviewTask {
            department_id: *d,
            status: if f.review_mode == ReviewMode::Joint || i == 0 {
                TaskStatus::Active
            } else {
                TaskStatus::Waiting
            },
        })
        .collect()
}

fn accepted_event(on: NaiveDate, f: &CaseFacts, limits: &Limits) -> ClockEvent {
    ClockEvent::Accepted {
        on,
        legal: limits.legal.clone(),
        promised: limits.promised.clone(),
        joint: f.review_mode == ReviewMode::Joint && !f.co_reviewers.is_empty(),
    }
}

/// Where a resumed case goes back to: review while a review task is open.
fn back_state(f: &CaseFacts) -> CaseState {
    if f.tasks
        .iter()
        .any(|t| matches!(t.status, TaskStatus::Active | TaskStatus::Waiting))
    {
        CaseState::Review
    } else {
        CaseState::Decision
    }
}

/// What `cmd` does to a case on `today`, or why it cannot. `limits` are the
/// item version's time limits (used at acceptance); `department` is the
/// acting user's department (for review opinions).
pub fn transition(
    f: &CaseFacts,
    cmd: &Command,
    limits: &Limits,
    today: NaiveDate,
    department: Option<i64>,
) -> Result<Transition, CaseError> {
    use CaseState as S;
    let st = f.state;
    match cmd {
        Command::Submit => {
            if st != S::Draft {
                return Err(wrong_state(f, cmd));
            }
            let mut t = Transition::to(S::Submitted);
            t.received_on = Some(today);
            t.notify = vec![Notify::Clerks];
            Ok(t)
        }
        Command::Accept => {
            if st != S::Submitted {
                return Err(wrong_state(f, cmd));
            }
            let missing = f.missing_required();
            if !missing.is_empty() {
                let names: Vec<&str> = missing
                    .iter()
                    .map(|i| f.materials[*i].name.as_str())
                    .collect();
                return Err(CaseError::state(
                    format!(
                        "缺少必要材料，不能受理：{}。请出具一次性告知书",
                        names.join("、")
                    ),
                    format!(
                        "required materials are missing ({}); issue a one-time correction notice",
                        names.join(", ")
                    ),
                ));
            }
            // Past the 5 working days the application already counts as
            // accepted from receipt (Art. 32): the receipt says so.
            let on = match (f.intake_deadline, f.received_on) {
                (Some(last), Some(received)) if today > last => received,
                _ => today,
            };
            let mut t = Transition::to(S::Review);
            t.clock = Some(accepted_event(on, f, limits));
            t.document = Some(DocKind::Receipt);
            t.tasks = Some(initial_tasks(f));
            t.notify = vec![Notify::Applicant, Notify::Reviewers];
            Ok(t)
        }
        Command::RequestCorrection { deficiencies } => {
            if st != S::Submitted {
                return Err(wrong_state(f, cmd));
            }
            if let Some(last) = f.intake_deadline
                && today > last
            {
                return Err(CaseError::state(
                    format!(
                        "收到材料已超过5个工作日（期限{last}），依法自收到材料之日起即为受理，不能再要求补正"
                    ),
                    format!(
                        "more than 5 working days since receipt (last day {last}): the application counts as accepted and corrections can no longer be requested"
                    ),
                ));
            }
            check_deficiencies(f, deficiencies)?;
            let mut t = Transition::to(S::Correction);
            t.document = Some(DocKind::CorrectionNotice);
            t.notify = vec![Notify::Applicant];
            Ok(t)
        }
        Command::SupplyCorrection => {
            if st == S::Suspended && f.suspended_for() == Some(&SuspendReason::Correction) {
                // Corrections after acceptance: the clock runs again.
                let mut t = Transition::to(back_state(f));
                t.clock = Some(ClockEvent::Resumed { on: today });
                t.notify = vec![Notify::Reviewers, Notify::LeadHead];
                return Ok(t);
            }
            if st != S::Correction {
                return Err(wrong_state(f, cmd));
            }
            let mut t = Transition::to(S::Submitted);
            t.received_on = Some(today);
            t.notify = vec![Notify::Clerks];
            Ok(t)
        }
        Command::Refuse {
            reason,
            competent_agency,
        } => {
            if !matches!(st, S::Submitted) {
                return Err(wrong_state(f, cmd));
            }
            require_text("reason", reason, "不予受理的理由", "the reason")?;
            if competent_agency.chars().count() > 200 {
                return Err(CaseError::field(
                    "competent_agency",
                    "too_long",
                    "有权机关名称不能超过200字",
                    "the competent agency must be at most 200 characters",
                ));
            }
            let mut t = Transition::to(S::NotAccepted);
            t.document = Some(DocKind::RefusalDecision);
            t.notify = vec![Notify::Applicant];
            Ok(t)
        }
        Command::CompleteReview { agree, opinion } => match department {
            Some(d) => complete_review(f, d, *agree, opinion),
            None => Err(CaseError::Denied(Denied::Department)),
        },
        Command::Suspend { reason, note } => {
            if !matches!(st, S::Review | S::Decision) {
                return Err(wrong_state(f, cmd));
            }
            if let SuspendReason::SpecialProcedure(name) = reason {
                require_text("reason", name, "特别程序名称", "the special procedure")?;
                let name = name.trim();
                if !ART45_PROCEDURES.contains(&name) && !f.procedures.iter().any(|p| p == name) {
                    return Err(CaseError::field(
                        "reason",
                        "not_special",
                        format!(
                            "“{name}”不是依法不计入办理期限的特别程序（听证、招标、拍卖、检验、检测、检疫、鉴定、专家评审或本事项指南列明的程序）"
                        ),
                        format!(
                            "{name} is not a procedure whose time does not count (Art. 45 or listed in the item's guide)"
                        ),
                    ));
                }
            }
            if note.chars().count() > 2000 {
                return Err(CaseError::field(
                    "note",
                    "too_long",
                    "说明不能超过2000字",
                    "the note must be at most 2000 characters",
                ));
            }
            let mut t = Transition::to(S::Suspended);
            t.clock = Some(ClockEvent::Suspended {
                on: today,
                reason: reason.clone(),
            });
            t.document = match reason {
                SuspendReason::SpecialProcedure(_) => Some(DocKind::SpecialProcedureNotice),
                SuspendReason::Correction => Some(DocKind::CorrectionNotice),
            };
            t.notify = vec![Notify::Applicant];
            Ok(t)
        }
        Command::Resume => {
            if st != S::Suspended || f.suspended_for().is_none() {
                return Err(wrong_state(f, cmd));
            }
            let mut t = Transition::to(back_state(f));
            t.clock = Some(ClockEvent::Resumed { on: today });
            t.notify = vec![Notify::Applicant];
            Ok(t)
        }
        Command::Extend { days, reason } => {
            if !matches!(st, S::Review | S::Decision | S::Suspended) {
                return Err(wrong_state(f, cmd));
            }
            if let Some(due) = f.legal_due
                && today > due
            {
                return Err(CaseError::state(
                    format!("法定办结期限{due}已届满，不能再延长"),
                    format!("the legal deadline {due} has passed; it can no longer be extended"),
                ));
            }
            if f.extended() {
                return Err(CaseError::state(
                    "办理期限只能延长一次，本案已延长",
                    "a case may be extended only once; this one already was",
                ));
            }
            let joint = f.review_mode == ReviewMode::Joint && !f.co_reviewers.is_empty();
            let max = if joint {
                clock::MAX_JOINT_EXTENSION
            } else {
                clock::MAX_EXTENSION
            };
            if *days == 0 || *days > max.0 {
                return Err(CaseError::field(
                    "days",
                    "out_of_range",
                    format!("延长期限应为1至{}个工作日", max.0),
                    format!("an extension is 1 to {} working days", max.0),
                ));
            }
            require_text("reason", reason, "延期理由", "the reason for the extension")?;
            let mut t = Transition::to(st);
            t.clock = Some(ClockEvent::Extended {
                on: today,
                days: WorkingDays(*days),
                reason: reason.trim().to_string(),
            });
            t.document = Some(DocKind::ExtensionNotice);
            t.notify = vec![Notify::Applicant];
            Ok(t)
        }
        Command::Decide { approve, reason } => {
            if st != S::Decision {
                return Err(wrong_state(f, cmd));
            }
            require_text("reason", reason, "决定理由", "the reason for the decision")?;
            let mut t = Transition::to(if *approve {
                S::Certifying
            } else {
                S::Delivering
            });
            t.clock = Some(ClockEvent::Decided {
                on: today,
                certificate: *approve,
            });
            t.document = Some(if *approve {
                DocKind::ApprovalDecision
            } else {
                DocKind::DenialDecision
            });
            t.approved = Some(*approve);
            t.notify = vec![Notify::Applicant];
            Ok(t)
        }
        Command::Issue => {
            if st != S::Certifying {
                return Err(wrong_state(f, cmd));
            }
            let mut t = Transition::to(S::Delivering);
            t.notify = vec![Notify::Applicant];
            Ok(t)
        }
        Command::Deliver { method } => {
            if st != S::Delivering {
                return Err(wrong_state(f, cmd));
            }
            if method.chars().count() > 200 {
                return Err(CaseError::field(
                    "method",
                    "too_long",
                    "送达方式不能超过200字",
                    "the delivery method must be at most 200 characters",
                ));
            }
            let mut t = Transition::to(S::Completed);
            t.notify = vec![Notify::Applicant];
            Ok(t)
        }
        Command::Withdraw { reason } => {
            if !matches!(
                st,
                S::Draft | S::Submitted | S::Correction | S::Review | S::Suspended | S::Decision
            ) {
                return Err(wrong_state(f, cmd));
            }
            if reason.chars().count() > 2000 {
                return Err(CaseError::field(
                    "reason",
                    "too_long",
                    "撤回理由不能超过2000字",
                    "the reason must be at most 2000 characters",
                ));
            }
            let mut t = Transition::to(S::Withdrawn);
            if f.state.clock_open() && f.suspended_for().is_none() {
                // The clock ends with the withdrawal.
                t.clock = Some(ClockEvent::Decided {
                    on: today,
                    certificate: false,
                });
            }
            t.notify = vec![Notify::Clerks];
            Ok(t)
        }
    }
}

/// A department's review opinion ([`Command::CompleteReview`]).
fn complete_review(
    f: &CaseFacts,
    department_id: i64,
    agree: bool,
    opinion: &str,
) -> Result<Transition, CaseError> {
    if f.state != CaseState::Review {
        return Err(wrong_state(
            f,
            &Command::CompleteReview {
                agree,
                opinion: opinion.into(),
            },
        ));
    }
    require_text("opinion", opinion, "审查意见", "the review opinion")?;
    let mut tasks = f.tasks.clone();
    let Some(pos) = tasks
        .iter()
        .position(|t| t.department_id == department_id && t.status == TaskStatus::Active)
    else {
        return Err(CaseError::Denied(Denied::Department));
    };
    tasks[pos].status = if agree {
        TaskStatus::Agreed
    } else {
        TaskStatus::Disagreed
    };
    let mut notify = Vec::new();
    if let Some(next) = tasks.iter_mut().find(|t| t.status == TaskStatus::Waiting)
        && f.review_mode == ReviewMode::Sequential
    {
        next.status = TaskStatus::Active;
        notify.push(Notify::Reviewers);
    }
    let open = tasks
        .iter()
        .any(|t| matches!(t.status, TaskStatus::Active | TaskStatus::Waiting));
    let to = if open {
        CaseState::Review
    } else {
        notify.push(Notify::LeadHead);
        CaseState::Decision
    };
    Ok(Transition {
        to,
        clock: None,
        document: None,
        tasks: Some(tasks),
        notify,
        approved: None,
        received_on: None,
    })
}

/// 逾期未告知视为受理 (Art. 32): an application left without a notice for 5
/// working days counts as accepted from the day it was received. Returns the
/// transition when the rule applies on `today`.
pub fn deemed_acceptance(
    f: &CaseFacts,
    limits: &Limits,
    cal: &crate::calendar::WorkCalendar,
    today: NaiveDate,
) -> Result<Option<Transition>, crate::calendar::CalendarError> {
    if f.state != CaseState::Submitted {
        return Ok(None);
    }
    let Some(received) = f.received_on else {
        return Ok(None);
    };
    let last_day = cal.add_workdays(received, INTAKE_DAYS)?;
    if today <= last_day {
        return Ok(None);
    }
    let mut t = Transition::to(CaseState::Review);
    t.clock = Some(accepted_event(received, f, limits));
    t.document = Some(DocKind::Receipt);
    t.tasks = Some(initial_tasks(f));
    t.notify = vec![Notify::Applicant, Notify::Reviewers];
    Ok(Some(t))
}

/// Working days the window has to decide on intake (Art. 32).
pub const INTAKE_DAYS: u32 = 5;

/// The one-time notice must list every required material that is missing,
/// each at most once, and only materials of the item.
fn check_deficiencies(f: &CaseFacts, list: &[Deficiency]) -> Result<(), CaseError> {
    let mut errs = FieldErrors::default();
    if list.is_empty() {
        errs.push(FieldError::new(
            "deficiencies",
            "required",
            "一次性告知书须列出至少一项缺少或不符合要求的材料",
            "the notice must list at least one missing or defective material",
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, d) in list.iter().enumerate() {
        if d.material >= f.materials.len() {
            errs.push(FieldError::new(
                format!("deficiencies[{i}].material"),
                "unknown",
                "该材料不在本事项的材料清单中",
                "no such material in the item's list",
            ));
        } else if !seen.insert(d.material) {
            errs.push(FieldError::new(
                format!("deficiencies[{i}].material"),
                "duplicate",
                format!("材料“{}”重复列出", f.materials[d.material].name),
                format!("material {} is listed twice", d.material),
            ));
        }
        if d.note.chars().count() > 1000 {
            errs.push(FieldError::new(
                format!("deficiencies[{i}].note"),
                "too_long",
                "说明不能超过1000字",
                "the note must be at most 1000 characters",
            ));
        }
    }
    if let Some(prev) = &f.noticed {
        let new: Vec<&str> = list
            .iter()
            .filter(|d| d.material < f.materials.len() && !prev.contains(&d.material))
            .map(|d| f.materials[d.material].name.as_str())
            .collect();
        if !new.is_empty() {
            errs.push(FieldError::new(
                "deficiencies",
                "not_one_time",
                format!(
                    "一次性告知书已经发出，不能再要求补正其中未列明的材料：{}",
                    new.join("、")
                ),
                format!(
                    "a one-time notice was already issued; it did not list: {}",
                    new.join(", ")
                ),
            ));
        }
    }
    let left_out: Vec<&str> = f
        .missing_required()
        .into_iter()
        .filter(|m| !seen.contains(m))
        .map(|m| f.materials[m].name.as_str())
        .collect();
    if !left_out.is_empty() {
        errs.push(FieldError::new(
            "deficiencies",
            "incomplete",
            format!(
                "一次性告知须列出全部缺少的材料，还缺：{}",
                left_out.join("、")
            ),
            format!(
                "a one-time notice lists everything missing; also missing: {}",
                left_out.join(", ")
            ),
        ));
    }
    errs.into_result().map_err(CaseError::Invalid)
}

#[cfg(test)]
mod tests;
