//! The notices of case steps: each step tells the people the domain names
//! (the applicant, the reviewers whose review became active, the lead
//! department's head, the centre's window clerks). A bundle's sub-case
//! leaves to its bundle what the bundle says once for all of them, and tags
//! the rest with the bundle.

use sea_orm::prelude::async_trait::async_trait;
use tongban_domain::bundle::bundle_speaks_for;
use tongban_domain::case::{Notify, TaskStatus};

use crate::cases::{CaseObserver, Effects, StepEvent, notice_text};
use crate::outbox::{Notice, Recipient, StaffRole};
use crate::{Result, WriteTxn};

/// Writes the notices of every step (see the module).
pub struct StepNotices;

#[async_trait]
impl CaseObserver for StepNotices {
    fn name(&self) -> &'static str {
        "notices"
    }

    async fn observe(&self, _txn: &WriteTxn, steps: &[StepEvent], fx: &mut Effects) -> Result<()> {
        for s in steps {
            if s.notify.is_empty() {
                continue;
            }
            let c = &s.case;
            let (subject, body) = notice_text(c, &s.action, c.state, s.deadlines.as_ref());
            let notice = |to, bundle_case_id| Notice {
                to,
                case_id: Some(c.id),
                bundle_case_id,
                subject: subject.clone(),
                body: body.clone(),
            };
            for who in &s.notify {
                match who {
                    Notify::Applicant => {
                        if c.bundle_case_id.is_some()
                            && bundle_speaks_for(&s.action, s.clock.as_ref())
                        {
                            continue;
                        }
                        fx.notice(notice(
                            Recipient::Person {
                                user_id: c.applicant_user_id,
                                email: c.applicant_email.clone(),
                            },
                            c.bundle_case_id,
                        ));
                    }
                    Notify::Reviewers => {
                        for t in c.tasks.iter().filter(|t| t.status == TaskStatus::Active) {
                            fx.notice(notice(
                                Recipient::Staff {
                                    role: StaffRole::Reviewer,
                                    department_id: Some(t.department_id),
                                    centre_id: c.centre_id,
                                },
                                None,
                            ));
                        }
                    }
                    Notify::LeadHead => fx.notice(notice(
                        Recipient::Staff {
                            role: StaffRole::Head,
                            department_id: Some(c.lead_department_id),
                            centre_id: c.centre_id,
                        },
                        None,
                    )),
                    Notify::Clerks => fx.notice(notice(
                        Recipient::Staff {
                            role: StaffRole::Clerk,
                            department_id: None,
                            centre_id: c.centre_id,
                        },
                        None,
                    )),
                }
            }
        }
        Ok(())
    }
}
