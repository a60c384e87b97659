//! What one case step adds to the indicator rollups (SPEC §8.2).
//!
//! The same function serves the case observer, which adds a step's
//! contributions in the step's transaction, and `tongban kpi verify`, which
//! recomputes them from the recorded events: a figure is right when the two
//! agree. A step's contributions depend only on the step (its action, the
//! states it moved between, who took it, its day) and on the case's dates
//! and clock, which stop changing once the case is decided.

use chrono::NaiveDate;

use crate::calendar::WorkCalendar;
use crate::case::CaseState;
use crate::clock::ClockEvent;

/// Longest handling time the histogram tells apart; longer ones count here.
pub const HANDLING_CAP: u32 = 400;

/// A named count the indicators' formulas use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    /// A case submitted.
    Submitted,
    /// An intake decision: accepted (by a clerk, or deemed, Art. 32).
    Accepted,
    /// An intake decision: 不予受理.
    NotAccepted,
    /// A decision on the application.
    Decided,
    /// A decision taken by the rules without a person (秒批).
    DecidedByRules,
    /// A decision on the day the case was accepted (即办).
    DecidedSameDay,
    /// A case completed (办结) after acceptance.
    Completed,
    /// Completed, decided by the promised date.
    CompletedOnTime,
    /// Completed, decided after the promised date.
    CompletedLate,
    /// Completed without the applicant coming in at all.
    NoVisit,
    /// Completed with the applicant coming in at most once.
    AtMostOneVisit,
    /// Materials obtained from shared data or certificates (not asked of
    /// the applicant), counted when the case is completed.
    Exempted,
    /// A decision that took this many working days (capped at [`HANDLING_CAP`]).
    Handled(u32),
}

impl Metric {
    /// The name stored in the rollups.
    pub fn name(self) -> String {
        match self {
            Metric::Handled(d) => format!("handled:{d}"),
            m => m.plain().to_string(),
        }
    }

    fn plain(self) -> &'static str {
        match self {
            Metric::Submitted => "submitted",
            Metric::Accepted => "accepted",
            Metric::NotAccepted => "not_accepted",
            Metric::Decided => "decided",
            Metric::DecidedByRules => "decided_by_rules",
            Metric::DecidedSameDay => "decided_same_day",
            Metric::Completed => "completed",
            Metric::CompletedOnTime => "completed_on_time",
            Metric::CompletedLate => "completed_late",
            Metric::NoVisit => "no_visit",
            Metric::AtMostOneVisit => "at_most_one_visit",
            Metric::Exempted => "exempted",
            Metric::Handled(_) => "handled",
        }
    }

    /// Reads a stored name back.
    pub fn parse(s: &str) -> Option<Metric> {
        if let Some(d) = s.strip_prefix("handled:") {
            return d
                .parse::<u32>()
                .ok()
                .filter(|d| *d <= HANDLING_CAP)
                .map(Metric::Handled);
        }
        [
            Metric::Submitted,
            Metric::Accepted,
            Metric::NotAccepted,
            Metric::Decided,
            Metric::DecidedByRules,
            Metric::DecidedSameDay,
            Metric::Completed,
            Metric::CompletedOnTime,
            Metric::CompletedLate,
            Metric::NoVisit,
            Metric::AtMostOneVisit,
            Metric::Exempted,
        ]
        .into_iter()
        .find(|m| m.plain() == s)
    }
}

/// One recorded step of a case, with what of the case its contributions
/// depend on.
#[derive(Debug, Clone)]
pub struct StepFact<'a> {
    /// The recorded action (`submit`, `accept`, `deemed_accepted`, …).
    pub action: &'a str,
    pub from: CaseState,
    pub to: CaseState,
    /// Taken by the system (秒批, deemed acceptance), not a person.
    pub by_system: bool,
    /// Submitted at a window (the applicant came in once for it).
    pub at_window: bool,
    /// The delivery method a `deliver` step recorded.
    pub delivery: &'a str,
    /// Materials recorded as not needed (免提交).
    pub waived: usize,
    pub promised_due: Option<NaiveDate>,
    pub decided_on: Option<NaiveDate>,
    /// The case's clock (acceptance, suspensions, the decision).
    pub clock: &'a [ClockEvent],
    /// The day the step counts as taken on.
    pub day: NaiveDate,
}

/// Whether a delivery method has the applicant come in (窗口领取).
pub fn delivered_in_person(method: &str) -> bool {
    method.contains("窗口") || method.contains("领取") || method.contains("自取")
}

/// What the step adds to the rollups (each metric once, with its amount).
pub fn contributions(f: &StepFact<'_>, cal: &WorkCalendar) -> Vec<(Metric, i64)> {
    let mut out = Vec::new();
    match f.action {
        "submit" => out.push((Metric::Submitted, 1)),
        "accept" | "deemed_accepted" => out.push((Metric::Accepted, 1)),
        "refuse" => out.push((Metric::NotAccepted, 1)),
        "decide" => {
            out.push((Metric::Decided, 1));
            if f.by_system {
                out.push((Metric::DecidedByRules, 1));
            }
            let accepted_on = match f.clock.first() {
                Some(ClockEvent::Accepted { on, .. }) => Some(*on),
                _ => None,
            };
            let decided_on = f.clock.iter().find_map(|e| match e {
                ClockEvent::Decided { on, .. } => Some(*on),
                _ => None,
            });
            if accepted_on.is_some() && accepted_on == decided_on {
                out.push((Metric::DecidedSameDay, 1));
            }
            if let Some(d) = handling_days(f.clock, cal) {
                out.push((Metric::Handled(d.min(HANDLING_CAP)), 1));
            }
        }
        _ => {}
    }
    let accepted = matches!(f.clock.first(), Some(ClockEvent::Accepted { .. }));
    if f.to == CaseState::Completed && f.from != CaseState::Completed && accepted {
        out.push((Metric::Completed, 1));
        let decided = f.decided_on.unwrap_or(f.day);
        match f.promised_due {
            Some(due) if decided <= due => out.push((Metric::CompletedOnTime, 1)),
            Some(_) => out.push((Metric::CompletedLate, 1)),
            // The calendar year was not entered: neither, until it is.
            None => {}
        }
        let visits = u32::from(f.at_window)
            + u32::from(f.action == "deliver" && delivered_in_person(f.delivery));
        if visits == 0 {
            out.push((Metric::NoVisit, 1));
        }
        if visits <= 1 {
            out.push((Metric::AtMostOneVisit, 1));
        }
        // Counted when the case ends: a later step may waive more.
        if f.waived > 0 {
            out.push((Metric::Exempted, f.waived as i64));
        }
    }
    out
}

/// Working days from acceptance to the decision, the days the clock stood
/// still (suspensions, corrections after acceptance) left out. `None`
/// before a decision, or while a year of it has no calendar.
pub fn handling_days(clock: &[ClockEvent], cal: &WorkCalendar) -> Option<u32> {
    let Some(ClockEvent::Accepted { on: accepted, .. }) = clock.first() else {
        return None;
    };
    let decided = clock.iter().find_map(|e| match e {
        ClockEvent::Decided { on, .. } => Some(*on),
        _ => None,
    })?;
    let mut days = cal.workdays_between(*accepted, decided).ok()?;
    let mut since: Option<NaiveDate> = None;
    for e in clock {
        match e {
            ClockEvent::Suspended { on, .. } if since.is_none() => since = Some(*on),
            ClockEvent::Resumed { on } => {
                if let Some(s) = since.take() {
                    days -= cal.workdays_between(s, *on).ok()?;
                }
            }
            ClockEvent::Decided { on, .. } => {
                if let Some(s) = since.take() {
                    days -= cal.workdays_between(s, *on).ok()?;
                }
            }
            _ => {}
        }
    }
    u32::try_from(days.max(0)).ok()
}
