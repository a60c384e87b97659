//! The rules of the lifecycle: who may give a command ([`authorize`]), what
//! it does in the case's state ([`transition`]), and the acceptance the law
//! deems after 5 working days without a notice ([`deemed_acceptance`]).

use chrono::NaiveDate;

use super::*;
use crate::auth::{Actor, Role};
use crate::clock::{ClockEvent, SuspendReason};
use crate::error::{FieldError, FieldErrors};

fn require_text(field: &str, v: &str, zh_label: &str, en_label: &str) -> Result<(), CaseError> {
    if v.trim().is_empty() {
        return Err(CaseError::field(
            field,
            "required",
            format!("请填写{zh_label}"),
            format!("{en_label} is required"),
        ));
    }
    match crate::text::check_text(field, zh_label, en_label, v, crate::text::TEXT_MAX, true) {
        Some(e) => Err(CaseError::field(field, &e.code, e.message_zh, e.message_en)),
        None => Ok(()),
    }
}

/// Optional text (may be empty): the text rule, at most `max` characters.
fn optional_text(
    field: &str,
    v: &str,
    zh_label: &str,
    en_label: &str,
    max: usize,
    multiline: bool,
) -> Result<(), CaseError> {
    match crate::text::check_text(field, zh_label, en_label, v, max, multiline) {
        Some(e) => Err(CaseError::field(field, &e.code, e.message_zh, e.message_en)),
        None => Ok(()),
    }
}

fn in_centre(actor: &Actor, f: &CaseFacts) -> bool {
    f.centre_path.starts_with(&actor.centre_path)
}

/// Checks that `actor` may give `cmd` on a case with `f` (role, department,
/// ownership). The state is checked by [`transition`].
pub fn authorize(actor: &Actor, f: &CaseFacts, cmd: &Command) -> Result<(), CaseError> {
    let deny_role = Err(CaseError::Denied(Denied::Role));
    let deny_dept = Err(CaseError::Denied(Denied::Department));
    // The applicant, or a concierge acting for them under a valid
    // authorization (the store says which, in `agent`).
    let owner = f.applicant_user == Some(actor.user_id)
        || (actor.role == Role::Concierge && f.agent == Some(actor.user_id));
    let clerk_here = actor.role == Role::Clerk && in_centre(actor, f);
    let dept = actor.department_id;
    let of_lead = dept == Some(f.lead_department) && in_centre(actor, f);
    let of_active = dept.is_some_and(|d| f.active_for(d)) && in_centre(actor, f);
    match cmd {
        // Corrections may be brought to any window; an online application
        // is submitted or withdrawn only by its applicant.
        Command::SupplyCorrection => match actor.role {
            Role::Applicant | Role::Concierge if owner => Ok(()),
            Role::Applicant => deny_dept,
            Role::Clerk if clerk_here => Ok(()),
            Role::Clerk => deny_dept,
            _ => deny_role,
        },
        Command::Submit | Command::Withdraw { .. } => match actor.role {
            Role::Applicant | Role::Concierge if owner => Ok(()),
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
        Command::RequestCorrection {
            deficiencies,
            fields,
        } => {
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
            check_deficiencies(f, deficiencies, fields)?;
            let mut t = Transition::to(S::Correction);
            t.document = Some(DocKind::CorrectionNotice);
            t.notify = vec![Notify::Applicant];
            Ok(t)
        }
        Command::SupplyCorrection => {
            if st == S::Suspended && f.suspended_for() == Some(&SuspendReason::Correction) {
                if !f.pending.is_empty() {
                    return Err(incomplete(f));
                }
                // Corrections after acceptance: the clock runs again.
                let mut t = Transition::to(back_state(f));
                t.clock = Some(ClockEvent::Resumed { on: today });
                t.notify = vec![Notify::Reviewers, Notify::LeadHead];
                return Ok(t);
            }
            if st != S::Correction {
                return Err(wrong_state(f, cmd));
            }
            if !f.pending.is_empty() {
                return Err(incomplete(f));
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
            optional_text(
                "competent_agency",
                competent_agency,
                "有权机关名称",
                "the competent agency",
                200,
                false,
            )?;
            let mut t = Transition::to(S::NotAccepted);
            t.document = Some(DocKind::RefusalDecision);
            t.notify = vec![Notify::Applicant];
            Ok(t)
        }
        Command::CompleteReview { agree, opinion } => match department {
            Some(d) => complete_review(f, d, *agree, opinion),
            None => Err(CaseError::Denied(Denied::Department)),
        },
        Command::Suspend {
            reason,
            note,
            materials,
        } => {
            if !matches!(st, S::Review | S::Decision) {
                return Err(wrong_state(f, cmd));
            }
            check_asked_materials(f, reason, materials)?;
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
            optional_text("note", note, "说明", "the note", 2000, true)?;
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
            let Some(n) = u32::try_from(*days)
                .ok()
                .filter(|n| (1..=max.0).contains(n))
            else {
                return Err(CaseError::field(
                    "days",
                    "out_of_range",
                    format!("延长期限应为1至{}个工作日", max.0),
                    format!("an extension is 1 to {} working days", max.0),
                ));
            };
            require_text("reason", reason, "延期理由", "the reason for the extension")?;
            let mut t = Transition::to(st);
            t.clock = Some(ClockEvent::Extended {
                on: today,
                days: WorkingDays(n),
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
            if *approve && !f.awaiting.is_empty() {
                let zh: Vec<&str> = f.awaiting.iter().map(|(z, _)| z.as_str()).collect();
                let en: Vec<&str> = f.awaiting.iter().map(|(_, e)| e.as_str()).collect();
                return Err(CaseError::Invalid(
                    FieldError::new(
                        "approve",
                        "awaiting_document",
                        format!("尚待转交的材料未到，暂不能作出准予决定：{}", zh.join("、")),
                        format!(
                            "cannot approve before the awaited documents arrive: {}",
                            en.join(", ")
                        ),
                    )
                    .into(),
                ));
            }
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
            optional_text(
                "method",
                method,
                "送达方式",
                "the delivery method",
                200,
                false,
            )?;
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
            optional_text("reason", reason, "撤回理由", "the reason", 2000, true)?;
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
fn check_deficiencies(
    f: &CaseFacts,
    list: &[Deficiency],
    fields: &[FieldFix],
) -> Result<(), CaseError> {
    let mut errs = FieldErrors::default();
    if list.is_empty() && fields.is_empty() {
        errs.push(FieldError::new(
            "deficiencies",
            "required",
            "一次性告知书须列出至少一项缺少或不符合要求的材料或需更正的申请信息",
            "the notice must list at least one missing or defective material or a field to correct",
        ));
    }
    let mut keys = std::collections::BTreeSet::new();
    for (i, x) in fields.iter().enumerate() {
        if !f.form_fields.iter().any(|(k, _)| *k == x.field) {
            errs.push(FieldError::new(
                format!("fields[{i}].field"),
                "unknown",
                "该字段不在本事项的申请表中",
                "no such field on the item's form",
            ));
        } else if !keys.insert(x.field.as_str()) {
            errs.push(FieldError::new(
                format!("fields[{i}].field"),
                "duplicate",
                "同一字段重复列出",
                "the field is listed twice",
            ));
        }
        if let Some(e) = crate::text::check_text(
            &format!("fields[{i}].note"),
            "说明",
            "the note",
            &x.note,
            1000,
            true,
        ) {
            errs.push(e);
        }
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
        } else if f.materials[d.material].spared {
            errs.push(spared_error(
                format!("deficiencies[{i}].material"),
                &f.materials[d.material].name,
            ));
        }
        if let Some(e) = crate::text::check_text(
            &format!("deficiencies[{i}].note"),
            "说明",
            "the note",
            &d.note,
            1000,
            true,
        ) {
            errs.push(e);
        }
    }
    if let Some(prev) = &f.noticed {
        let mut new: Vec<&str> = list
            .iter()
            .filter(|d| d.material < f.materials.len() && !prev.contains(&d.material))
            .map(|d| f.materials[d.material].name.as_str())
            .collect();
        // Form entries too: what the first notice did not name cannot be added.
        for x in fields {
            if !f.noticed_fields.contains(&x.field)
                && let Some((_, label)) = f.form_fields.iter().find(|(k, _)| *k == x.field)
            {
                new.push(label.as_str());
            }
        }
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

/// A material the applicant does not bring cannot be asked of them.
fn spared_error(field: String, name: &str) -> FieldError {
    FieldError::new(
        field,
        "not_asked",
        format!("“{name}”由平台获取或由前序事项出具，无需申请人提交，不能要求补正"),
        format!("“{name}” is obtained or issued for the applicant: it cannot be asked of them"),
    )
}

/// The materials a correction after acceptance asks for: only with a
/// correction, each in the item's list once, none the applicant is spared.
fn check_asked_materials(
    f: &CaseFacts,
    reason: &SuspendReason,
    materials: &[usize],
) -> Result<(), CaseError> {
    if materials.is_empty() {
        return Ok(());
    }
    let mut errs = FieldErrors::default();
    if *reason != SuspendReason::Correction {
        errs.push(FieldError::new(
            "materials",
            "not_correction",
            "只有补正才列出需要补交的材料",
            "materials are listed only for a correction",
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, m) in materials.iter().enumerate() {
        match f.materials.get(*m) {
            None => errs.push(FieldError::new(
                format!("materials[{i}]"),
                "unknown",
                "该材料不在本事项的材料清单中",
                "no such material in the item's list",
            )),
            Some(x) if !seen.insert(*m) => errs.push(FieldError::new(
                format!("materials[{i}]"),
                "duplicate",
                format!("材料“{}”重复列出", x.name),
                format!("material {m} is listed twice"),
            )),
            Some(x) if x.spared => errs.push(spared_error(format!("materials[{i}]"), &x.name)),
            Some(_) => {}
        }
    }
    errs.into_result().map_err(CaseError::Invalid)
}

/// Supplying while the notice's asks are not all done.
fn incomplete(f: &CaseFacts) -> CaseError {
    CaseError::Invalid(
        FieldError::new(
            "correction",
            "incomplete",
            format!("尚未按一次性告知书补正：{}", f.pending.join("、")),
            format!(
                "not yet corrected as the notice asks: {}",
                f.pending.join(", ")
            ),
        )
        .into(),
    )
}
