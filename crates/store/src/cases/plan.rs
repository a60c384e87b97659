//! A decided step as a plan of effects, in memory: the case's working copy
//! moves on (state, version, clock, tasks, dates), and the step says what
//! the writer must add — the event, any document with its fixed text, any
//! certificate — and what observers will be told. Pure: no SQL here, so a
//! step planned alone and a step planned in a batch are the same step.

use std::sync::Arc;

use chrono::NaiveDate;
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::{CaseFacts, Command, DocKind, Transition};
use tongban_domain::catalog::ItemDoc;
use tongban_domain::clock::ClockEvent;

use super::documents::{doc_number, document_body};
use super::facts::dates_after;
use super::observe::{CaseEventKind, StepEvent};
use super::{Case, NewCert};
use crate::Result;
use crate::sql::to_json;

/// A case as it stands after the batch's earlier steps.
#[derive(Clone)]
pub(crate) struct Working {
    pub case: Case,
    /// The version it had when the batch read it (the write's check).
    pub original_version: i64,
    /// Uploaded files per material.
    pub uploads: Vec<usize>,
    /// The review tasks changed (their rows are rewritten).
    pub tasks_changed: bool,
    /// Materials were waived by the batch (the column is written).
    pub waived_changed: bool,
    /// The materials of a correction notice issued in this batch (later
    /// notices may only repeat them), overriding what the database says.
    pub noticed: Option<Vec<usize>>,
    /// Something changed: the row is written.
    pub touched: bool,
}

impl Working {
    pub(crate) fn new(case: Case, uploads: Vec<usize>) -> Self {
        Self {
            original_version: case.version,
            case,
            uploads,
            tasks_changed: false,
            waived_changed: false,
            noticed: None,
            touched: false,
        }
    }
}

/// A document a step issues.
pub(crate) struct PlannedDoc {
    pub kind: DocKind,
    pub number: String,
    /// The fixed text, as JSON.
    pub body: String,
}

/// One planned step: what the writer adds for it, and its event.
pub(crate) struct Step {
    pub actor_name: String,
    pub document: Option<PlannedDoc>,
    pub cert: Option<NewCert>,
    pub event: StepEvent,
}

/// Who took a step, as recorded.
pub(crate) struct Taker<'a> {
    pub user_id: Option<i64>,
    pub name: &'a str,
}

/// Plans step `t` of `cmd` (recorded as `action` with `details`) on the
/// working copy and moves it on.
#[allow(clippy::too_many_arguments)]
pub(crate) fn plan_step(
    w: &mut Working,
    doc: &ItemDoc,
    facts: &CaseFacts,
    by: Taker<'_>,
    cmd: &Command,
    action: &str,
    details: serde_json::Value,
    t: Transition,
    cert: Option<NewCert>,
    cal: &Arc<WorkCalendar>,
    today: NaiveDate,
    job: usize,
) -> Result<Step> {
    let c = &w.case;
    let mut clock_events = c.clock.clone();
    if let Some(e) = &t.clock {
        clock_events.push(e.clone());
    }
    // The events are the truth; the dates follow from them. A calendar year
    // not yet entered leaves the dates unknown (shown as such) rather than
    // blocking the case; an illegal event sequence is refused.
    let deadlines = dates_after(c.id, &clock_events, cal, today)?;
    let document = t.document.map(|kind| PlannedDoc {
        kind,
        number: doc_number(kind, &c.case_no, today),
        body: to_json(&document_body(
            kind,
            c,
            doc,
            facts,
            cmd,
            deadlines.as_ref(),
            today,
        )),
    });
    let from = c.state;
    // The working copy moves on.
    let c = &mut w.case;
    c.state = t.to;
    c.version += 1;
    if let Some(ClockEvent::Decided { on, .. }) = &t.clock
        && t.approved.is_some()
    {
        c.decided_on = Some(*on);
    }
    c.approved = t.approved.or(c.approved);
    c.clock = clock_events;
    if let Some(tasks) = t.tasks {
        w.tasks_changed = true;
        c.tasks = tasks;
    }
    c.received_on = t.received_on.or(c.received_on);
    c.accepted_on = match c.clock.first() {
        Some(ClockEvent::Accepted { on, .. }) => Some(*on),
        _ => None,
    };
    c.legal_due = deadlines.as_ref().map(|d| d.legal_due);
    c.promised_due = deadlines.as_ref().map(|d| d.promised_due);
    c.certificate_due = deadlines.as_ref().and_then(|d| d.certificate_due);
    if let Command::RequestCorrection { deficiencies, .. } = cmd {
        w.noticed = Some(deficiencies.iter().map(|d| d.material).collect());
    }
    w.touched = true;
    let case = Arc::new(w.case.clone());
    Ok(Step {
        actor_name: by.name.to_string(),
        document,
        cert,
        event: StepEvent {
            job,
            kinds: CaseEventKind::of(cmd, t.to, t.clock.as_ref()),
            action: action.to_string(),
            from,
            case,
            actor: by.user_id,
            notify: t.notify,
            clock: t.clock,
            deadlines,
            document: None,
            details,
            today,
            calendar: cal.clone(),
            attachment: None,
        },
    })
}
