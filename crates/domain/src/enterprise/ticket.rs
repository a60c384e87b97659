//! 审批疑难 tickets (有需必应、无事不扰): states, who may move them, and when
//! an overdue ticket escalates — first to the department head, then to
//! the supervisor (电子监察).

use chrono::NaiveDate;

use crate::calendar::{CalendarError, WorkCalendar};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketState {
    Open,
    Assigned,
    Answered,
    Resolved,
    Reopened,
    Closed,
    Rejected,
}

macro_rules! names {
    ($t:ty { $($v:ident = $s:literal, $zh:literal, $en:literal;)+ }) => {
        impl $t {
            pub fn as_str(self) -> &'static str { match self { $(Self::$v => $s,)+ } }
            pub fn zh(self) -> &'static str { match self { $(Self::$v => $zh,)+ } }
            pub fn en(self) -> &'static str { match self { $(Self::$v => $en,)+ } }
            pub fn parse(s: &str) -> Option<Self> { match s { $($s => Some(Self::$v),)+ _ => None } }
        }
    };
}

names!(TicketState {
    Open = "open", "待受理", "Open";
    Assigned = "assigned", "处理中", "Assigned";
    Answered = "answered", "已答复", "Answered";
    Resolved = "resolved", "已解决", "Resolved";
    Reopened = "reopened", "重新打开", "Reopened";
    Closed = "closed", "已关闭", "Closed";
    Rejected = "rejected", "不予受理", "Rejected";
});

impl TicketState {
    /// Waiting for the departments' answer.
    pub fn awaits_answer(self) -> bool {
        matches!(self, Self::Open | Self::Assigned | Self::Reopened)
    }
    /// Nothing more is owed on it.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Resolved | Self::Closed | Self::Rejected)
    }
}

/// What can be done to a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketAction {
    /// A department member takes it on.
    Assign,
    /// The department answers with what it did or will do.
    Answer,
    /// The raiser confirms the problem is solved.
    Resolve,
    /// The raiser says the answer did not solve it.
    Reopen,
    /// A department refuses it with a reason (not an approval difficulty).
    Reject,
    /// The raiser or a supervisor closes a resolved ticket.
    Close,
}

names!(TicketAction {
    Assign = "assign", "认领", "assign";
    Answer = "answer", "答复", "answer";
    Resolve = "resolve", "确认解决", "confirm resolved";
    Reopen = "reopen", "重新打开", "reopen";
    Reject = "reject", "不予受理", "reject";
    Close = "close", "关闭", "close";
});

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketError {
    WrongState(TicketState, TicketAction),
    ReopenLimit(u32),
}

impl TicketError {
    pub fn zh(&self) -> String {
        match self {
            Self::WrongState(s, a) => format!("该疑难诉求当前为“{}”，不能{}", s.zh(), a.zh()),
            Self::ReopenLimit(n) => {
                format!("该疑难诉求已重新打开{n}次，不能再次打开，请联系效能督查")
            }
        }
    }
    pub fn en(&self) -> String {
        match self {
            Self::WrongState(s, a) => {
                format!("the ticket is {}; cannot {}", s.en().to_lowercase(), a.en())
            }
            Self::ReopenLimit(n) => {
                format!("the ticket was reopened {n} times already; ask the supervisor")
            }
        }
    }
}

/// The state after `action`, or why not. `reopened` is how often the
/// ticket was reopened already, `limit` how often it may be.
pub fn next_state(
    state: TicketState,
    action: TicketAction,
    reopened: u32,
    limit: u32,
) -> Result<TicketState, TicketError> {
    use TicketAction as A;
    use TicketState as S;
    let wrong = Err(TicketError::WrongState(state, action));
    match (action, state) {
        (A::Assign, S::Open | S::Reopened) => Ok(S::Assigned),
        (A::Answer, S::Open | S::Assigned | S::Reopened) => Ok(S::Answered),
        (A::Resolve, S::Answered) => Ok(S::Resolved),
        (A::Reopen, S::Answered | S::Resolved) if reopened >= limit => {
            Err(TicketError::ReopenLimit(reopened))
        }
        (A::Reopen, S::Answered | S::Resolved) => Ok(S::Reopened),
        (A::Reject, S::Open | S::Assigned | S::Reopened) => Ok(S::Rejected),
        (A::Close, S::Resolved) => Ok(S::Closed),
        _ => wrong,
    }
}

/// How far an overdue ticket has climbed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Escalation {
    None = 0,
    /// The department head is told.
    Head = 1,
    /// The supervisor (电子监察) is told.
    Supervisor = 2,
}

impl Escalation {
    pub fn level(self) -> i64 {
        self as i64
    }
    pub fn zh(self) -> &'static str {
        match self {
            Self::None => "未督办",
            Self::Head => "已提醒部门负责人",
            Self::Supervisor => "已上报效能督查",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            Self::None => "not escalated",
            Self::Head => "escalated to the department head",
            Self::Supervisor => "escalated to the supervisor",
        }
    }
}

/// The escalation a ticket has reached on `today`: overdue once the
/// deadline that matters (the answer's while it waits for one, else the
/// resolution's) is past — to the head; still overdue `after` working days
/// later — to the supervisor. The due day itself is on time.
pub fn escalation(
    state: TicketState,
    respond_by: NaiveDate,
    resolve_by: NaiveDate,
    today: NaiveDate,
    after: u32,
    cal: &WorkCalendar,
) -> Result<Escalation, CalendarError> {
    let due = if state.is_final() {
        return Ok(Escalation::None);
    } else if state.awaits_answer() {
        respond_by
    } else {
        resolve_by
    };
    if today <= due {
        return Ok(Escalation::None);
    }
    if today > cal.add_workdays(due, after)? {
        Ok(Escalation::Supervisor)
    } else {
        Ok(Escalation::Head)
    }
}

/// The two deadlines of a ticket raised on `raised`: the answer within
/// `respond` working days and the resolution within `resolve`.
pub fn deadlines(
    raised: NaiveDate,
    respond: u32,
    resolve: u32,
    cal: &WorkCalendar,
) -> Result<(NaiveDate, NaiveDate), CalendarError> {
    Ok((
        cal.add_workdays(raised, respond)?,
        cal.add_workdays(raised, resolve.max(respond))?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use TicketAction as A;
    use TicketState as S;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }
    fn cal() -> WorkCalendar {
        WorkCalendar::builtin_with(&[]).expect("calendar")
    }

    #[test]
    fn a_ticket_moves_from_open_to_closed() {
        let mut s = S::Open;
        for (a, want) in [
            (A::Assign, S::Assigned),
            (A::Answer, S::Answered),
            (A::Resolve, S::Resolved),
            (A::Close, S::Closed),
        ] {
            s = next_state(s, a, 0, 2).expect("allowed");
            assert_eq!(s, want);
        }
        assert_eq!(
            next_state(S::Closed, A::Reopen, 0, 2),
            Err(TicketError::WrongState(S::Closed, A::Reopen))
        );
        assert_eq!(
            next_state(S::Open, A::Resolve, 0, 2),
            Err(TicketError::WrongState(S::Open, A::Resolve))
        );
        assert_eq!(
            next_state(S::Answered, A::Reject, 0, 2),
            Err(TicketError::WrongState(S::Answered, A::Reject))
        );
        assert_eq!(next_state(S::Assigned, A::Reject, 0, 2), Ok(S::Rejected));
    }

    #[test]
    fn reopening_is_limited() {
        assert_eq!(next_state(S::Answered, A::Reopen, 1, 2), Ok(S::Reopened));
        assert_eq!(
            next_state(S::Resolved, A::Reopen, 2, 2),
            Err(TicketError::ReopenLimit(2))
        );
        assert!(TicketError::ReopenLimit(2).zh().contains('2'));
    }

    #[test]
    fn an_unanswered_ticket_climbs_to_the_head_then_the_supervisor() {
        let c = cal();
        // Raised Thursday 2026-12-03: answer within 3 working days (Tue
        // Dec 8), resolution within 10 (Thu Dec 17).
        let (respond, resolve) = deadlines(d("2026-12-03"), 3, 10, &c).expect("ok");
        assert_eq!((respond, resolve), (d("2026-12-08"), d("2026-12-17")));
        let at =
            |s: TicketState, day: &str| escalation(s, respond, resolve, d(day), 2, &c).expect("ok");
        assert_eq!(
            at(S::Open, "2026-12-08"),
            Escalation::None,
            "the due day is on time"
        );
        assert_eq!(at(S::Open, "2026-12-09"), Escalation::Head);
        // Two working days after the due day (Dec 10) still the head.
        assert_eq!(at(S::Assigned, "2026-12-10"), Escalation::Head);
        assert_eq!(at(S::Assigned, "2026-12-11"), Escalation::Supervisor);
        // Answered: the resolution's deadline matters now.
        assert_eq!(at(S::Answered, "2026-12-11"), Escalation::None);
        assert_eq!(at(S::Answered, "2026-12-18"), Escalation::Head);
        // Over a weekend: Dec 17 + 2 working days = Mon Dec 21.
        assert_eq!(at(S::Answered, "2026-12-21"), Escalation::Head);
        assert_eq!(at(S::Answered, "2026-12-22"), Escalation::Supervisor);
        assert_eq!(at(S::Resolved, "2027-01-30"), Escalation::None);
    }
}
