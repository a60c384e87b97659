//! 靠前服务 (SPEC §9): construction projects by stage with their concierge
//! (`projects.rs`, `stages.rs`), site visits, and difficulty tickets
//! (`tickets.rs`, escalated by `sweep.rs`). Concierges act for an
//! enterprise only under its authorization (`accounts::mandates`).

mod applications;
mod commitments;
mod inspections;
mod progress;
mod projects;
mod stages;
mod sweep;
mod tickets;
mod visits;

pub use applications::StageApplication;
pub use commitments::{Commitment, CommitmentChecks};
pub use inspections::{Inspection, InspectionPart, NewInspection};
pub use progress::{ProjectView, StageItem, StageView};
pub(crate) use projects::shorten_promises;
pub use projects::{NewProject, Project};
pub use stages::StageConfig;
pub(crate) use stages::StoredItems;
pub use sweep::TicketSweep;
pub use tickets::{NewTicket, Ticket, TicketEvent};
pub use visits::{NewVisit, Visit};

use tongban_domain::auth::{Actor, Denied, Role};

use crate::{Result, StoreError};

/// The projects an actor may see, as a SQL condition on `p` and its one
/// value: an enterprise its own; a concierge those assigned to them and
/// those of the enterprises assigned to them (一对一); the centre's staff
/// and supervisors those of their centre and the centres below.
pub(crate) fn project_scope(actor: &Actor) -> Result<(String, sea_orm::Value)> {
    Ok(match actor.role {
        Role::Applicant => ("p.owner_user_id = $1".into(), actor.user_id.into()),
        Role::Concierge => (
            "(p.concierge_user_id = $1 OR p.owner_user_id IN \
             (SELECT enterprise_user_id FROM enterprise_concierges WHERE concierge_user_id = $1))"
                .into(),
            actor.user_id.into(),
        ),
        Role::Clerk | Role::Reviewer | Role::Head | Role::Supervisor => (
            "p.centre_path LIKE $1".into(),
            format!("{}%", actor.centre_path).into(),
        ),
        _ => return Err(StoreError::Forbidden(Denied::Role)),
    })
}

/// The green channel's mark on a key project's applications.
pub(crate) const KEY_MARK: &str = "重点项目";

/// Which stage configuration a project follows.
pub(crate) fn config_kind(kind: &str, low_risk: bool) -> &'static str {
    match (kind, low_risk) {
        ("social", true) => "low_risk",
        ("social", false) => "social",
        _ => "government",
    }
}
