//! The facts the domain decides a command on, from the case, its item
//! version, its uploads and its last correction notice; and the dates that
//! follow from a case's clock events.

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use tongban_domain::FieldError;
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::{self, CaseFacts, Command, MaterialFacts};
use tongban_domain::catalog::ItemDoc;
use tongban_domain::clock::{self, ClockEvent, Deadlines};

use super::Case;
use super::uploads::upload_counts;
use crate::sql::{json_col, query_one};
use crate::{Result, StoreError};

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
        agent: None,
        review_mode: doc.review.mode,
        co_reviewers: case.co_reviewers.clone(),
        tasks: case.tasks.clone(),
        materials: doc
            .materials
            .iter()
            .enumerate()
            .map(|(i, m)| MaterialFacts {
                name: m.name.clone(),
                // A material the bundle's answers made unnecessary, or one the
                // platform obtains (免提交), is not the applicant's to bring.
                necessity: if case.waived.contains(&i) || m.exempt {
                    Some(tongban_domain::catalog::Necessity::Optional)
                } else {
                    m.necessity
                },
                acceptance_standard: m.acceptance_standard.clone(),
                uploads: uploads.get(i).copied().unwrap_or(0),
                spared: case.waived.contains(&i),
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
        form_fields: doc
            .form_fields
            .iter()
            .map(|f| (f.key.clone(), f.label.clone()))
            .collect(),
        noticed_fields: Vec::new(),
        pending: Vec::new(),
        awaiting: Vec::new(),
    }
}

/// What the open correction notice (before acceptance) asked that is not
/// done yet: a listed material with no upload since the notice, a listed
/// form entry not submitted again since then. Named as the applicant reads
/// them.
pub(crate) async fn pending_of(
    c: &impl ConnectionTrait,
    case: &Case,
    doc: &ItemDoc,
) -> Result<Vec<String>> {
    if case.state == case::CaseState::Suspended
        && matches!(
            case.clock.last(),
            Some(ClockEvent::Suspended {
                reason: clock::SuspendReason::Correction,
                ..
            })
        )
    {
        return pending_after_acceptance(c, case, doc).await;
    }
    if case.state != case::CaseState::Correction {
        return Ok(Vec::new());
    }
    let Some(LastNotice {
        materials: listed,
        fields,
        at,
    }) = last_notice(c, case.id).await?
    else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    if !listed.is_empty() {
        let rows = crate::query(
            c,
            "SELECT DISTINCT material_index FROM case_files WHERE case_id = $1 AND uploaded_at >= $2",
            vec![case.id.into(), at.into()],
        )
        .await?;
        let mut fresh = Vec::new();
        for r in &rows {
            let i: i64 = crate::get(r, "material_index")?;
            fresh.push(i as usize);
        }
        for m in listed {
            if !fresh.contains(&m)
                && let Some(mat) = doc.materials.get(m)
            {
                out.push(mat.name.clone());
            }
        }
    }
    if fields.is_empty() {
        return Ok(out);
    }
    // A named entry is dealt with once the applicant has submitted it again
    // (changed or, if it was right after all, confirmed) since the notice.
    let rows = crate::query(
        c,
        "SELECT DISTINCT field FROM case_form_corrections WHERE case_id = $1 AND corrected_at >= $2",
        vec![case.id.into(), at.into()],
    )
    .await?;
    let mut done = Vec::new();
    for r in &rows {
        let f: String = crate::get(r, "field")?;
        done.push(f);
    }
    for key in &fields {
        if !done.contains(key) {
            let label = doc
                .form_fields
                .iter()
                .find(|x| x.key == *key)
                .map(|x| x.label.clone())
                .unwrap_or_else(|| key.clone());
            out.push(format!("申请信息“{label}”"));
        }
    }
    Ok(out)
}

/// What a correction after acceptance asked (the materials the department
/// named when it stopped the clock) that has not been uploaded since.
async fn pending_after_acceptance(
    c: &impl ConnectionTrait,
    case: &Case,
    doc: &ItemDoc,
) -> Result<Vec<String>> {
    let Some(r) = query_one(
        c,
        "SELECT details, at FROM case_events WHERE case_id = $1 AND action = 'suspend' ORDER BY id DESC LIMIT 1",
        vec![case.id.into()],
    )
    .await?
    else {
        return Ok(Vec::new());
    };
    let v: serde_json::Value = json_col(&r, "details")?;
    let at: i64 = crate::get(&r, "at")?;
    let asked: Vec<usize> = v
        .get("materials")
        .and_then(|m| m.as_array())
        .into_iter()
        .flatten()
        .filter_map(|m| m.as_u64())
        .map(|m| m as usize)
        .collect();
    if asked.is_empty() {
        return Ok(Vec::new());
    }
    let rows = crate::query(
        c,
        "SELECT DISTINCT material_index FROM case_files WHERE case_id = $1 AND uploaded_at >= $2",
        vec![case.id.into(), at.into()],
    )
    .await?;
    let mut fresh = Vec::new();
    for r in &rows {
        fresh.push(crate::get::<i64>(r, "material_index")? as usize);
    }
    Ok(asked
        .into_iter()
        .filter(|m| !fresh.contains(m))
        .filter_map(|m| doc.materials.get(m).map(|x| x.name.clone()))
        .collect())
}

/// The materials (indexes) a correction names — before acceptance, the last
/// notice's; after it, those the department named when it stopped the clock.
pub(crate) async fn asked_materials(c: &impl ConnectionTrait, case: &Case) -> Result<Vec<usize>> {
    if case.state == case::CaseState::Suspended {
        let r = query_one(
            c,
            "SELECT details FROM case_events WHERE case_id = $1 AND action = 'suspend' ORDER BY id DESC LIMIT 1",
            vec![case.id.into()],
        )
        .await?;
        let Some(r) = r else {
            return Ok(Vec::new());
        };
        let v: serde_json::Value = json_col(&r, "details")?;
        return Ok(v
            .get("materials")
            .and_then(|m| m.as_array())
            .into_iter()
            .flatten()
            .filter_map(|m| m.as_u64())
            .map(|m| m as usize)
            .collect());
    }
    Ok(noticed_of(c, case.id).await?.unwrap_or_default())
}

/// What the case's last correction notice before acceptance named, and when.
pub(crate) struct LastNotice {
    pub materials: Vec<usize>,
    pub fields: Vec<String>,
    pub at: i64,
}

pub(crate) async fn last_notice(
    c: &impl ConnectionTrait,
    case_id: i64,
) -> Result<Option<LastNotice>> {
    let Some(r) = query_one(
        c,
        "SELECT details, at FROM case_events WHERE case_id = $1 AND action = 'request_correction' ORDER BY id DESC LIMIT 1",
        vec![case_id.into()],
    )
    .await?
    else {
        return Ok(None);
    };
    let v: serde_json::Value = json_col(&r, "details")?;
    let list = |key: &str| v.get(key).and_then(|d| d.as_array()).into_iter().flatten();
    Ok(Some(LastNotice {
        materials: list("deficiencies")
            .filter_map(|d| d.get("material").and_then(|m| m.as_u64()))
            .map(|m| m as usize)
            .collect(),
        fields: list("fields")
            .filter_map(|f| f.get("field").and_then(|k| k.as_str()).map(String::from))
            .collect(),
        at: crate::get(&r, "at")?,
    }))
}

/// Form entries named by the case's last correction notice before acceptance.
pub(crate) async fn noticed_fields_of(
    c: &impl ConnectionTrait,
    case_id: i64,
) -> Result<Vec<String>> {
    Ok(last_notice(c, case_id)
        .await?
        .map(|n| n.fields)
        .unwrap_or_default())
}

/// Materials listed by the case's last correction notice before acceptance.
pub(crate) async fn noticed_of(
    c: &impl ConnectionTrait,
    case_id: i64,
) -> Result<Option<Vec<usize>>> {
    Ok(last_notice(c, case_id).await?.map(|n| n.materials))
}

pub(crate) async fn facts_of(
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
    let mut facts = build_facts(case, doc, &uploads, cal, today, noticed);
    if matches!(cmd, None | Some(Command::SupplyCorrection)) {
        facts.pending = pending_of(c, case, doc).await?;
    }
    if matches!(cmd, None | Some(Command::Decide { approve: true, .. })) {
        facts.awaiting = super::holds::awaiting_of(c, case.id).await?;
    }
    Ok(facts)
}

/// The dates that follow from a case's clock events: none before acceptance
/// (a year without a notice is counted provisionally; only beyond the
/// provisional years is a date unknown); an illegal sequence of events is
/// refused.
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
