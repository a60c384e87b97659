//! 预约 and 取号叫号 (SPEC §9): bookable slots on the legal calendar, the
//! arrival window of a booking, and the rule by which a window calls the
//! next ticket. Pure: the store keeps bookings and tickets.
//!
//! - Slots come from openings: every working day (调休 weekends included,
//!   holidays never), a given weekday when it is a working day (a late
//!   Wednesday), or the rest weekends that are no holiday (weekend
//!   延时服务). An exception closes part of a day. A year without its
//!   holiday notice gives provisional slots, marked so.
//! - A booking is checked in within its arrival window (minutes before and
//!   after its start); before it is early, after it the booking is a
//!   no-show and the person takes a walk-in ticket.
//! - The next ticket is the one longest waited, a priority ticket
//!   (booked, elderly, key project) counted `bonus` minutes longer: so no
//!   ticket is ever overtaken by one issued more than `bonus` minutes after
//!   it, and nobody waits without bound.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

use crate::calendar::{CalendarError, WorkCalendar};
use crate::error::{FieldError, FieldErrors};

/// What a slot is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlotKind {
    /// Opening hours at the windows.
    Regular,
    /// 延时服务: lunchtime, evenings, weekends.
    Extended,
    /// 上门服务: staff go to the person (an address and a travel buffer).
    Onsite,
}

impl SlotKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SlotKind::Regular => "regular",
            SlotKind::Extended => "extended",
            SlotKind::Onsite => "onsite",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [SlotKind::Regular, SlotKind::Extended, SlotKind::Onsite]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
    pub fn zh(self) -> &'static str {
        match self {
            SlotKind::Regular => "工作时间",
            SlotKind::Extended => "延时服务",
            SlotKind::Onsite => "上门服务",
        }
    }
}

/// On which days an opening applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "on", content = "weekday")]
pub enum OpenOn {
    /// Every working day, a 调休 weekend included.
    Workdays,
    /// This weekday (1 = Monday … 7 = Sunday) when it is a working day.
    Weekday(u8),
    /// Saturdays and Sundays that are rest days and no holiday.
    RestWeekends,
}

/// Hours in which slots of `minutes` each, with `capacity` bookings each,
/// are offered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opening {
    pub on: OpenOn,
    pub kind: SlotKind,
    /// `HH:MM`, start of the first slot.
    pub from: NaiveTime,
    /// `HH:MM`, end of the last slot.
    pub to: NaiveTime,
    /// 5–240.
    pub minutes: u32,
    /// 1–500 bookings per slot.
    pub capacity: u32,
}

/// Part of a day closed (a closed afternoon, a training).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    pub date: NaiveDate,
    pub from: NaiveTime,
    pub to: NaiveTime,
}

/// One bookable slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Slot {
    pub date: NaiveDate,
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub kind: SlotKind,
    pub capacity: u32,
    /// The day's year has no holiday notice yet: the day may still change.
    pub provisional: bool,
}

impl Opening {
    /// Refuses an opening that cannot give a slot, each reason by field.
    pub fn check(&self) -> Result<(), FieldErrors> {
        let mut errs = FieldErrors::default();
        if let OpenOn::Weekday(d) = self.on
            && !(1..=7).contains(&d)
        {
            errs.push(FieldError::new(
                "weekday",
                "out_of_range",
                "星期应为1（星期一）至7（星期日）",
                "weekday must be 1 (Monday) to 7 (Sunday)",
            ));
        }
        if !(5..=240).contains(&self.minutes) {
            errs.push(FieldError::new(
                "minutes",
                "out_of_range",
                "每个时段应为5至240分钟",
                "a slot lasts 5 to 240 minutes",
            ));
        }
        if !(1..=500).contains(&self.capacity) {
            errs.push(FieldError::new(
                "capacity",
                "out_of_range",
                "每个时段可预约1至500人",
                "a slot takes 1 to 500 bookings",
            ));
        }
        if self.to <= self.from
            || (self.minutes >= 5
                && (self.to - self.from) < Duration::minutes(i64::from(self.minutes)))
        {
            errs.push(FieldError::new(
                "to",
                "too_short",
                "结束时间应晚于开始时间，且至少容纳一个时段",
                "the hours must end after they start and hold one slot at least",
            ));
        }
        errs.into_result()
    }

    fn applies(&self, d: NaiveDate, cal: &WorkCalendar) -> Result<bool, CalendarError> {
        let work = cal.is_workday(d)?;
        Ok(match self.on {
            OpenOn::Workdays => work,
            OpenOn::Weekday(w) => work && d.weekday().number_from_monday() == u32::from(w),
            OpenOn::RestWeekends => {
                !work
                    && matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
                    && cal.day_name(d).is_none()
            }
        })
    }
}

/// The slots of `openings` from `from` to `to` (both included) on the
/// calendar, less the `closures`, in order of day and time.
pub fn slots(
    openings: &[Opening],
    closures: &[Closure],
    cal: &WorkCalendar,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Slot>, CalendarError> {
    let mut out = Vec::new();
    let mut d = from;
    while d <= to {
        for o in openings {
            if o.minutes < 5 || !o.applies(d, cal)? {
                continue;
            }
            let step = Duration::minutes(i64::from(o.minutes));
            let mut start = o.from;
            while start + step <= o.to && start + step > start {
                let end = start + step;
                let closed = closures
                    .iter()
                    .any(|c| c.date == d && c.from < end && start < c.to);
                if !closed {
                    out.push(Slot {
                        date: d,
                        start,
                        end,
                        kind: o.kind,
                        capacity: o.capacity,
                        provisional: cal.is_provisional(d),
                    });
                }
                start = end;
            }
        }
        d = match d.succ_opt() {
            Some(n) => n,
            None => break,
        };
    }
    out.sort_by_key(|s| (s.date, s.start, s.kind.as_str()));
    Ok(out)
}

/// When a booking may be made: at least `lead_minutes` ahead, at most
/// `horizon_days` days ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingWindow {
    pub lead_minutes: u32,
    pub horizon_days: u32,
}

impl BookingWindow {
    /// Why a slot starting at `start` cannot be booked at `now`, if not.
    pub fn refusal(&self, start: NaiveDateTime, now: NaiveDateTime) -> Option<FieldError> {
        if start < now + Duration::minutes(i64::from(self.lead_minutes)) {
            return Some(FieldError::new(
                "slot",
                "too_soon",
                format!("请至少提前{}分钟预约", self.lead_minutes),
                format!("book at least {} minutes ahead", self.lead_minutes),
            ));
        }
        if start.date() > now.date() + Duration::days(i64::from(self.horizon_days)) {
            return Some(FieldError::new(
                "slot",
                "too_far",
                format!("只能预约{}天内的时段", self.horizon_days),
                format!("slots can be booked up to {} days ahead", self.horizon_days),
            ));
        }
        None
    }
}

/// Where a check-in falls against a booking's arrival window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrival {
    /// Before the window: come back, or take a walk-in ticket.
    Early,
    /// Within: the booking's ticket, with its priority.
    OnTime,
    /// After: the booking is a no-show; a walk-in ticket.
    Late,
}

/// The arrival window of a booking: `before` minutes before its start to
/// `after` minutes after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArrivalWindow {
    pub before: u32,
    pub after: u32,
}

impl ArrivalWindow {
    pub fn arrival(&self, start: NaiveDateTime, now: NaiveDateTime) -> Arrival {
        if now < start - Duration::minutes(i64::from(self.before)) {
            Arrival::Early
        } else if now > start + Duration::minutes(i64::from(self.after)) {
            Arrival::Late
        } else {
            Arrival::OnTime
        }
    }

    /// Whether a booking not checked in is a no-show at `now`.
    pub fn missed(&self, start: NaiveDateTime, now: NaiveDateTime) -> bool {
        self.arrival(start, now) == Arrival::Late
    }
}

/// A ticket waiting to be called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiting {
    pub id: i64,
    pub issued_at: NaiveDateTime,
    pub priority: bool,
}

/// The calling rule: a priority ticket counts `bonus_minutes` (0–120) more
/// waiting than it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRule {
    pub bonus_minutes: u32,
}

impl CallRule {
    /// The ticket to call next at `now`: the longest waited, a priority one
    /// counted `bonus_minutes` longer; ties by issue time, then number.
    pub fn next(&self, waiting: &[Waiting], now: NaiveDateTime) -> Option<i64> {
        let bonus = Duration::minutes(i64::from(self.bonus_minutes));
        waiting
            .iter()
            .max_by(|a, b| {
                let score = |w: &Waiting| {
                    (now - w.issued_at) + if w.priority { bonus } else { Duration::zero() }
                };
                score(a)
                    .cmp(&score(b))
                    .then(b.issued_at.cmp(&a.issued_at))
                    .then(b.id.cmp(&a.id))
            })
            .map(|w| w.id)
    }
}

/// A window group's code: one capital letter, the prefix of its tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct GroupCode(char);

impl GroupCode {
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let mut chars = s.trim().chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_ascii_uppercase() => Ok(GroupCode(c)),
            _ => Err(FieldError::new(
                "group",
                "invalid",
                "窗口组代号应为一个大写字母（如 A）",
                "the window group is one capital letter (e.g. A)",
            )),
        }
    }

    pub fn letter(self) -> char {
        self.0
    }

    pub fn as_string(self) -> String {
        self.0.to_string()
    }
}

/// A ticket's number in its window group's day: the group's letter and
/// three digits (A001 … A999, then A1000 on a very busy day).
pub fn ticket_number(prefix: char, n: u32) -> String {
    format!("{prefix}{n:03}")
}

#[cfg(test)]
mod tests;
