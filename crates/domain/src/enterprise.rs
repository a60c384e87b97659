//! 靠前服务 (SPEC §9): construction projects and their stages, concierges'
//! authorizations (授权委托) and difficulty tickets (审批疑难). Pure rules:
//! the store keeps the rows, the web shows them.

pub mod code;
pub mod inspection;
pub mod mandate;
pub mod project;
pub mod ticket;

pub use code::{Filing, ProjectCode, ProjectCodeForm};
pub use inspection::InspectionResult;
pub use mandate::{Mandate, MandateRefusal, MandateScope};
pub use project::{ProjectKind, Stage, StageProgress, Targets};
pub use ticket::{Escalation, TicketAction, TicketError, TicketState};

use serde::{Deserialize, Serialize};

use crate::catalog::DayCount;
use crate::{FieldError, FieldErrors};

/// A centre's own rules for 靠前服务 (its profile): project targets by kind
/// and the tickets' deadlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnterpriseRules {
    /// Working days for a whole government-investment project.
    pub target_government: DayCount,
    /// Working days for a whole private-investment project.
    pub target_social: DayCount,
    /// Working days for a 社会投资简易低风险 project.
    pub target_low_risk: DayCount,
    /// Working days for the departments' answer to a difficulty ticket.
    pub ticket_respond_days: DayCount,
    /// Working days for its resolution.
    pub ticket_resolve_days: DayCount,
    /// Working days an overdue ticket stays with the head before it
    /// reaches the supervisor.
    pub escalate_after_days: DayCount,
    /// How often the raiser may reopen a ticket.
    pub reopen_limit: DayCount,
    /// A key project's (重点项目) applications are promised within this
    /// share of their item's promised working days (rounded up; 100: no
    /// shorter promise), never beyond the law.
    #[serde(default = "default_key_promise")]
    pub key_promise_percent: DayCount,
    /// Working days after an approval on commitment (告知承诺制) within
    /// which the department verifies the commitment.
    #[serde(default = "default_verify_days")]
    pub commitment_verify_days: DayCount,
}

fn default_verify_days() -> DayCount {
    DayCount::of(20)
}

fn default_key_promise() -> DayCount {
    DayCount::of(70)
}

impl Default for EnterpriseRules {
    fn default() -> Self {
        let t = Targets::default();
        Self {
            target_government: t.government,
            target_social: t.social,
            target_low_risk: t.low_risk,
            ticket_respond_days: DayCount::of(3),
            ticket_resolve_days: DayCount::of(10),
            escalate_after_days: DayCount::of(2),
            reopen_limit: DayCount::of(2),
            key_promise_percent: default_key_promise(),
            commitment_verify_days: default_verify_days(),
        }
    }
}

impl EnterpriseRules {
    /// A key project's promise for an item promised within `days` working
    /// days: the centre's share, rounded up, at least one day.
    pub fn key_promise(&self, days: DayCount) -> DayCount {
        let share =
            (u64::from(days.get()) * u64::from(self.key_promise_percent.get())).div_ceil(100);
        DayCount::new(u32::try_from(share.max(1)).unwrap_or(DayCount::MAX)).unwrap_or(days)
    }

    pub fn targets(&self) -> Targets {
        Targets {
            government: self.target_government,
            social: self.target_social,
            low_risk: self.target_low_risk,
        }
    }

    pub fn check(&self) -> Result<(), FieldErrors> {
        let mut errs = FieldErrors::default();
        let national = Targets::NATIONAL.get();
        for (field, v) in [
            ("target_government", self.target_government),
            ("target_social", self.target_social),
            ("target_low_risk", self.target_low_risk),
        ] {
            if v.get() == 0 || v.get() > national {
                errs.push(FieldError::new(
                    field,
                    "out_of_range",
                    format!("项目审批时限应为1至{national}个工作日"),
                    format!("{field} must be 1 to {national} working days"),
                ));
            }
        }
        if self.ticket_respond_days.get() == 0 || self.ticket_respond_days.get() > 30 {
            errs.push(FieldError::new(
                "ticket_respond_days",
                "out_of_range",
                "疑难诉求答复时限应为1至30个工作日",
                "ticket_respond_days must be 1 to 30",
            ));
        }
        if self.ticket_resolve_days < self.ticket_respond_days
            || self.ticket_resolve_days.get() > 60
        {
            errs.push(FieldError::new(
                "ticket_resolve_days",
                "out_of_range",
                "疑难诉求解决时限不能短于答复时限，且不超过60个工作日",
                "ticket_resolve_days must be at least the answer's days and at most 60",
            ));
        }
        if self.escalate_after_days.get() > 20 {
            errs.push(FieldError::new(
                "escalate_after_days",
                "out_of_range",
                "升级督办间隔不超过20个工作日",
                "escalate_after_days must be at most 20",
            ));
        }
        if !(1..=100).contains(&self.key_promise_percent.get()) {
            errs.push(FieldError::new(
                "key_promise_percent",
                "out_of_range",
                "重点项目承诺时限比例应为1至100",
                "key_promise_percent must be 1 to 100",
            ));
        }
        if !(1..=120).contains(&self.commitment_verify_days.get()) {
            errs.push(FieldError::new(
                "commitment_verify_days",
                "out_of_range",
                "告知承诺核查时限应为1至120个工作日",
                "commitment_verify_days must be 1 to 120",
            ));
        }
        if self.reopen_limit.get() > 5 {
            errs.push(FieldError::new(
                "reopen_limit",
                "out_of_range",
                "重新打开次数上限不超过5次",
                "reopen_limit must be at most 5",
            ));
        }
        errs.into_result()
    }
}
