//! The legal clock of a case (SPEC §4.2): deadlines as a pure function of the
//! case's clock events and the working-day calendar, with an explanation a
//! person can read ("why is this due on X").
//!
//! Conventions (行政许可法 Art. 42, 44, 45, 82):
//! - "within N working days of D": D itself is not counted; the due date is
//!   the N-th working day after D.
//! - A suspension (特别程序 or 补正 after acceptance) from S to R stops the
//!   clock for the working days in (S, R]; the due date moves by that many.
//! - One extension, approved by the department head, of at most 10 working
//!   days (15 for joint handling).
//! - Natural-day limits count calendar days and move by calendar days.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::{CalendarError, WorkCalendar};
use crate::catalog::{DayUnit, TimeLimit};

/// A count of working days.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub struct WorkingDays(pub u32);

/// Longest extension of an ordinary case (Art. 42).
pub const MAX_EXTENSION: WorkingDays = WorkingDays(10);
/// Longest extension of joint handling (统一/联合/集中办理, Art. 42: 45 + 15).
pub const MAX_JOINT_EXTENSION: WorkingDays = WorkingDays(15);

/// Why the clock stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "name")]
pub enum SuspendReason {
    /// 听证, 招标, 拍卖, 检验, 检测, 检疫, 鉴定, 专家评审 … (Art. 45)
    SpecialProcedure(String),
    /// 补正 requested after acceptance.
    Correction,
}

// Written out: `correction` carries no name, which the derive would allow.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for SuspendReason {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        let kind = |k: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some([k.to_string()]))
        };
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .description(Some(
                        "a special procedure (Art. 45 or the item's own), named",
                    ))
                    .property("kind", kind("special_procedure"))
                    .property("name", ObjectBuilder::new().schema_type(Type::String))
                    .required("kind")
                    .required("name")
                    .additional_properties(Some(
                        utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
                    )),
            )
            .item(
                ObjectBuilder::new()
                    .description(Some("a correction asked for after acceptance"))
                    .property("kind", kind("correction"))
                    .required("kind")
                    .additional_properties(Some(
                        utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
                    )),
            )
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for SuspendReason {}

impl SuspendReason {
    fn zh(&self) -> String {
        match self {
            SuspendReason::SpecialProcedure(n) => n.clone(),
            SuspendReason::Correction => "补正材料".into(),
        }
    }
    fn en(&self) -> String {
        match self {
            SuspendReason::SpecialProcedure(n) => format!("special procedure ({n})"),
            SuspendReason::Correction => "correction of materials".into(),
        }
    }
}

/// What happens to a case's clock, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum ClockEvent {
    Accepted {
        on: NaiveDate,
        legal: TimeLimit,
        promised: TimeLimit,
        #[serde(default)]
        joint: bool,
    },
    Suspended {
        on: NaiveDate,
        reason: SuspendReason,
    },
    Resumed {
        on: NaiveDate,
    },
    Extended {
        on: NaiveDate,
        days: WorkingDays,
        reason: String,
    },
    /// The clock stops: a decision, or a withdrawal.
    Decided {
        on: NaiveDate,
        /// A certificate follows (an approval); false for a denial or a withdrawal.
        #[serde(default = "yes")]
        certificate: bool,
    },
}

fn yes() -> bool {
    true
}

impl ClockEvent {
    pub fn on(&self) -> NaiveDate {
        match self {
            ClockEvent::Accepted { on, .. }
            | ClockEvent::Suspended { on, .. }
            | ClockEvent::Resumed { on }
            | ClockEvent::Extended { on, .. }
            | ClockEvent::Decided { on, .. } => *on,
        }
    }
}

/// Where the clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    Running,
    Suspended,
    Stopped,
}

/// One line of the explanation, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Because {
    pub zh: String,
    pub en: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deadlines {
    pub state: ClockState,
    pub accepted_on: NaiveDate,
    /// 法定办结期限. While suspended, the date it would be if the clock resumed today.
    pub legal_due: NaiveDate,
    /// 承诺办结期限 (what warnings use).
    pub promised_due: NaiveDate,
    /// Working (or natural, for natural-day limits) days the clock stood still.
    pub suspended_days: u32,
    pub extension: WorkingDays,
    /// Certificates are due within 10 working days of the decision (Art. 44).
    pub certificate_due: Option<NaiveDate>,
    pub explanation: Vec<Because>,
    /// The first year of the calendar without a holiday notice: a date in it
    /// or later is 暂定 (SPEC §3), recomputed when the notice is entered.
    pub provisional_from: Option<i32>,
}

impl Deadlines {
    /// Whether a date of these deadlines is counted provisionally.
    pub fn is_provisional(&self, d: NaiveDate) -> bool {
        use chrono::Datelike;
        self.provisional_from.is_some_and(|y| d.year() >= y)
    }
    /// A date as a document or notice prints it: 暂定 when provisional.
    pub fn show(&self, d: NaiveDate) -> String {
        if self.is_provisional(d) {
            format!("{d}（暂定）")
        } else {
            d.to_string()
        }
    }
    /// Whether any of the dates is provisional.
    pub fn any_provisional(&self) -> bool {
        [
            Some(self.legal_due),
            Some(self.promised_due),
            self.certificate_due,
        ]
        .into_iter()
        .flatten()
        .any(|d| self.is_provisional(d))
    }
    /// The sentence a document adds when it prints a provisional date.
    pub fn provisional_sentence(&self) -> Option<String> {
        let y = self.provisional_from?;
        self.any_provisional().then(|| {
            format!("标注“暂定”的日期按法定节假日计算（{y}年节假日安排尚未公布），安排公布后将重新计算并另行告知。")
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    #[error("the clock starts with acceptance")]
    NotAccepted,
    #[error("event {index} ({what}) is out of order")]
    OutOfOrder { index: usize, what: &'static str },
    #[error("event {index}: {reason}")]
    Illegal {
        index: usize,
        reason: String,
        zh: String,
    },
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

impl ClockError {
    pub fn zh(&self) -> String {
        match self {
            ClockError::NotAccepted => "案件尚未受理，不能计时".into(),
            ClockError::OutOfOrder { index, .. } => {
                format!("第{}个计时事件的日期早于前一事件", index + 1)
            }
            ClockError::Illegal { zh, .. } => zh.clone(),
            ClockError::Calendar(e) => e.zh(),
        }
    }
}

fn illegal(index: usize, en: &str, zh: &str) -> ClockError {
    ClockError::Illegal {
        index,
        reason: en.to_string(),
        zh: zh.to_string(),
    }
}

fn due(
    cal: &WorkCalendar,
    unit: DayUnit,
    from: NaiveDate,
    days: u32,
) -> Result<NaiveDate, CalendarError> {
    match unit {
        DayUnit::WorkingDays => cal.add_workdays(from, days),
        DayUnit::NaturalDays => Ok(from + chrono::Duration::days(i64::from(days))),
    }
}

/// Computes the deadlines from the events, as of `today` (used only while suspended).
pub fn compute(
    events: &[ClockEvent],
    cal: &WorkCalendar,
    today: NaiveDate,
) -> Result<Deadlines, ClockError> {
    let Some(ClockEvent::Accepted {
        on: accepted,
        legal,
        promised,
        joint,
    }) = events.first()
    else {
        return Err(ClockError::NotAccepted);
    };
    let mut why = vec![Because {
        zh: format!(
            "{accepted}受理，法定办结时限{}，承诺办结时限{}",
            legal.zh(),
            promised.zh()
        ),
        en: format!(
            "accepted {accepted}; legal limit {}, promised limit {}",
            legal.en(),
            promised.en()
        ),
    }];
    let mut state = ClockState::Running;
    let mut suspended_since: Option<(NaiveDate, SuspendReason)> = None;
    let mut suspended_wd = 0u32;
    let mut suspended_nd = 0u32;
    let mut extension = WorkingDays(0);
    let mut decided: Option<NaiveDate> = None;
    let mut last = *accepted;
    for (i, e) in events.iter().enumerate().skip(1) {
        if e.on() < last {
            return Err(ClockError::OutOfOrder {
                index: i,
                what: match e {
                    ClockEvent::Accepted { .. } => "accepted",
                    ClockEvent::Suspended { .. } => "suspended",
                    ClockEvent::Resumed { .. } => "resumed",
                    ClockEvent::Extended { .. } => "extended",
                    ClockEvent::Decided { .. } => "decided",
                },
            });
        }
        last = e.on();
        if state == ClockState::Stopped {
            return Err(illegal(
                i,
                "the case is already decided",
                "案件已作出决定，计时已结束",
            ));
        }
        match e {
            ClockEvent::Accepted { .. } => {
                return Err(illegal(i, "accepted twice", "案件不能重复受理"));
            }
            ClockEvent::Suspended { on, reason } => {
                if state == ClockState::Suspended {
                    return Err(illegal(i, "already suspended", "计时已中止，不能重复中止"));
                }
                state = ClockState::Suspended;
                suspended_since = Some((*on, reason.clone()));
            }
            ClockEvent::Resumed { on } => {
                let Some((since, reason)) = suspended_since.take() else {
                    return Err(illegal(i, "not suspended", "计时未中止，无需恢复"));
                };
                let wd = cal.workdays_between(since, *on)?.max(0) as u32;
                let nd = (*on - since).num_days().max(0) as u32;
                suspended_wd += wd;
                suspended_nd += nd;
                state = ClockState::Running;
                why.push(Because {
                    zh: format!(
                        "{since}因{}中止计时，{on}恢复，中止{wd}个工作日不计入",
                        reason.zh()
                    ),
                    en: format!(
                        "suspended {since} for {}, resumed {on}: {wd} working days not counted",
                        reason.en()
                    ),
                });
            }
            ClockEvent::Extended { on, days, reason } => {
                if extension.0 > 0 {
                    return Err(illegal(
                        i,
                        "a case may be extended only once",
                        "办理期限只能延长一次",
                    ));
                }
                let max = if *joint {
                    MAX_JOINT_EXTENSION
                } else {
                    MAX_EXTENSION
                };
                if days.0 == 0 || *days > max {
                    return Err(ClockError::Illegal {
                        index: i,
                        reason: format!("an extension is 1 to {} working days", max.0),
                        zh: format!("延长期限应为1至{}个工作日", max.0),
                    });
                }
                if reason.trim().is_empty() {
                    return Err(illegal(
                        i,
                        "an extension needs a written reason",
                        "延长期限须说明理由",
                    ));
                }
                extension = *days;
                why.push(Because {
                    zh: format!("{on}经负责人批准延长{}个工作日：{reason}", days.0),
                    en: format!("extended {} working days on {on}: {reason}", days.0),
                });
            }
            ClockEvent::Decided { on, certificate } => {
                if state == ClockState::Suspended {
                    return Err(illegal(
                        i,
                        "resume the clock before deciding",
                        "计时中止期间不能作出决定，请先恢复计时",
                    ));
                }
                state = ClockState::Stopped;
                decided = Some(*on).filter(|_| *certificate);
            }
        }
    }
    // While suspended, count the stop up to today so the shown date is what it
    // would be if the clock resumed now.
    let (mut open_wd, mut open_nd) = (0, 0);
    if let Some((since, reason)) = &suspended_since {
        let until = today.max(*since);
        open_wd = cal.workdays_between(*since, until)?.max(0) as u32;
        open_nd = (until - *since).num_days().max(0) as u32;
        why.push(Because {
            zh: format!("{since}起因{}中止计时，尚未恢复", reason.zh()),
            en: format!(
                "suspended since {since} for {}, not yet resumed",
                reason.en()
            ),
        });
    }
    let shift = |unit: DayUnit| match unit {
        DayUnit::WorkingDays => suspended_wd + open_wd,
        DayUnit::NaturalDays => suspended_nd + open_nd,
    };
    let legal_days = legal.days.get()
        + shift(legal.unit)
        + if legal.unit == DayUnit::WorkingDays {
            extension.0
        } else {
            0
        };
    // An approved extension moves the promise too (capped by the law below).
    let promised_days = promised.days.get()
        + shift(promised.unit)
        + if promised.unit == DayUnit::WorkingDays {
            extension.0
        } else {
            0
        };
    let legal_due = due(cal, legal.unit, *accepted, legal_days)?;
    let mut promised_due = due(cal, promised.unit, *accepted, promised_days)?;
    // A promise never lies beyond the law.
    if promised_due > legal_due {
        promised_due = legal_due;
    }
    let certificate_due = match decided {
        Some(d) => Some(cal.add_workdays(d, 10)?),
        None => None,
    };
    why.push(Because {
        zh: format!("法定办结期限{legal_due}，承诺办结期限{promised_due}"),
        en: format!("legal deadline {legal_due}, promised deadline {promised_due}"),
    });
    if let (Some(d), Some(c)) = (decided, certificate_due) {
        why.push(Because {
            zh: format!("{d}作出决定，应于{c}前颁发、送达证件（第四十四条）"),
            en: format!("decided {d}; certificate due by {c} (Art. 44)"),
        });
    }
    Ok(Deadlines {
        state,
        accepted_on: *accepted,
        legal_due,
        promised_due,
        suspended_days: suspended_wd + open_wd,
        extension,
        certificate_due,
        explanation: why,
        provisional_from: cal.first_provisional_year(),
    })
}

/// Warning level of a running case against its promised deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Warning {
    Green,
    Yellow,
    Red,
}

/// When a case turns yellow: at most `days_left` working days left, or at most
/// `percent_left` % of the promised limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WarningRule {
    pub days_left: u32,
    pub percent_left: u32,
}

impl Default for WarningRule {
    fn default() -> Self {
        Self {
            days_left: 2,
            percent_left: 20,
        }
    }
}

/// The warning of a case on `today`. Stopped cases are green unless they were
/// decided after the promise; suspended cases keep their colour.
pub fn warning(
    d: &Deadlines,
    promised: &TimeLimit,
    today: NaiveDate,
    cal: &WorkCalendar,
    rule: WarningRule,
) -> Result<Warning, CalendarError> {
    if today > d.promised_due {
        return Ok(Warning::Red);
    }
    if d.state == ClockState::Suspended {
        return Ok(Warning::Green);
    }
    let left = cal.workdays_between(today, d.promised_due)?.max(0) as u32;
    let pct_limit = promised.days.get() * rule.percent_left / 100;
    if left <= rule.days_left || left <= pct_limit {
        Ok(Warning::Yellow)
    } else {
        Ok(Warning::Green)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::DayCount;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }
    fn cal() -> WorkCalendar {
        WorkCalendar::builtin_with(&[]).expect("calendar")
    }
    fn accepted(on: &str, legal: u32, promised: u32) -> ClockEvent {
        ClockEvent::Accepted {
            on: d(on),
            legal: TimeLimit::working(DayCount::of(legal)),
            promised: TimeLimit::working(DayCount::of(promised)),
            joint: false,
        }
    }

    #[test]
    fn plain_case_is_due_n_working_days_after_acceptance() {
        let c = cal();
        let r = compute(&[accepted("2025-01-20", 20, 10)], &c, d("2025-01-20")).expect("computes");
        // Spring Festival 2025-01-28..02-04 off, 01-26 and 02-08 worked.
        assert_eq!(r.legal_due, d("2025-02-21"));
        assert_eq!(
            r.promised_due,
            c.add_workdays(d("2025-01-20"), 10).expect("covered")
        );
        assert_eq!(r.state, ClockState::Running);
    }

    #[test]
    fn suspension_extension_and_decision_explain_the_date() {
        let c = cal();
        let events = vec![
            accepted("2025-01-20", 20, 15),
            ClockEvent::Suspended {
                on: d("2025-02-10"),
                reason: SuspendReason::SpecialProcedure("专家评审".into()),
            },
            ClockEvent::Resumed {
                on: d("2025-02-13"),
            },
            ClockEvent::Extended {
                on: d("2025-02-20"),
                days: WorkingDays(10),
                reason: "需现场核查".into(),
            },
            ClockEvent::Decided {
                on: d("2025-03-05"),
                certificate: true,
            },
        ];
        let r = compute(&events, &c, d("2025-03-05")).expect("computes");
        assert_eq!(r.suspended_days, 3);
        let expected = c
            .add_workdays(d("2025-01-20"), 20 + 3 + 10)
            .expect("covered");
        assert_eq!(r.legal_due, expected);
        assert_eq!(
            r.promised_due,
            c.add_workdays(d("2025-01-20"), 15 + 3 + 10)
                .expect("covered")
        );
        assert_eq!(
            r.certificate_due,
            Some(c.add_workdays(d("2025-03-05"), 10).expect("covered"))
        );
        let text: Vec<&str> = r.explanation.iter().map(|b| b.zh.as_str()).collect();
        assert!(text[0].starts_with("2025-01-20受理"), "{text:?}");
        assert!(
            text.iter()
                .any(|t| t.contains("专家评审") && t.contains("中止3个工作日")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|t| t.contains("延长10个工作日")),
            "{text:?}"
        );
    }

    #[test]
    fn illegal_histories_are_refused() {
        let c = cal();
        let ext = |days| ClockEvent::Extended {
            on: d("2025-02-20"),
            days: WorkingDays(days),
            reason: "理由".into(),
        };
        let twice = vec![accepted("2025-01-20", 20, 15), ext(5), ext(5)];
        assert!(matches!(
            compute(&twice, &c, d("2025-03-01")),
            Err(ClockError::Illegal { index: 2, .. })
        ));
        let too_long = vec![accepted("2025-01-20", 20, 15), ext(11)];
        assert!(matches!(
            compute(&too_long, &c, d("2025-03-01")),
            Err(ClockError::Illegal { index: 1, .. })
        ));
        let resume = vec![
            accepted("2025-01-20", 20, 15),
            ClockEvent::Resumed {
                on: d("2025-02-01"),
            },
        ];
        assert!(compute(&resume, &c, d("2025-03-01")).is_err());
        let backwards = vec![
            accepted("2025-01-20", 20, 15),
            ClockEvent::Decided {
                on: d("2025-01-10"),
                certificate: true,
            },
        ];
        assert!(matches!(
            compute(&backwards, &c, d("2025-03-01")),
            Err(ClockError::OutOfOrder { index: 1, .. })
        ));
        assert_eq!(
            compute(&[], &c, d("2025-03-01")),
            Err(ClockError::NotAccepted)
        );
        let joint = vec![
            ClockEvent::Accepted {
                on: d("2025-01-20"),
                legal: TimeLimit::working(DayCount::of(45)),
                promised: TimeLimit::working(DayCount::of(30)),
                joint: true,
            },
            ext(15),
        ];
        let r = compute(&joint, &c, d("2025-03-01")).expect("joint handling may extend 15");
        assert_eq!(
            r.legal_due,
            c.add_workdays(d("2025-01-20"), 60).expect("covered")
        );
    }

    #[test]
    fn an_open_suspension_moves_the_date_day_by_day() {
        let c = cal();
        let events = vec![
            accepted("2025-03-03", 20, 10),
            ClockEvent::Suspended {
                on: d("2025-03-10"),
                reason: SuspendReason::Correction,
            },
        ];
        let a = compute(&events, &c, d("2025-03-12")).expect("computes");
        let b = compute(&events, &c, d("2025-03-13")).expect("computes");
        assert_eq!(a.state, ClockState::Suspended);
        assert_eq!(
            c.workdays_between(a.legal_due, b.legal_due)
                .expect("covered"),
            1
        );
    }

    #[test]
    fn suspension_shift_equals_the_working_days_stopped() {
        // Property: for any acceptance, suspension window and limit, the due
        // date moves by exactly the working days in the window.
        let c = cal();
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..500 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let acc = d("2019-02-01") + chrono::Duration::days((x % 2400) as i64);
            let limit = (x >> 12) as u32 % 30 + 1;
            let s = acc + chrono::Duration::days(((x >> 20) % 20) as i64);
            let r = s + chrono::Duration::days(((x >> 30) % 25) as i64);
            let plain =
                compute(&[accepted(&acc.to_string(), limit, limit)], &c, acc).expect("plain");
            let events = vec![
                accepted(&acc.to_string(), limit, limit),
                ClockEvent::Suspended {
                    on: s,
                    reason: SuspendReason::Correction,
                },
                ClockEvent::Resumed { on: r },
            ];
            let with = compute(&events, &c, r).expect("with suspension");
            let stopped = c.workdays_between(s, r).expect("covered");
            assert_eq!(
                c.workdays_between(plain.legal_due, with.legal_due)
                    .expect("covered"),
                stopped,
                "accepted {acc}, limit {limit}, suspended {s}..{r}"
            );
        }
    }

    #[test]
    fn warnings_turn_yellow_then_red() {
        let c = cal();
        let promised = TimeLimit::working(DayCount::of(10));
        let r = compute(&[accepted("2025-03-03", 20, 10)], &c, d("2025-03-03")).expect("computes");
        let w = |day: &str| {
            warning(&r, &promised, d(day), &c, WarningRule::default()).expect("covered")
        };
        assert_eq!(w("2025-03-04"), Warning::Green);
        let two_left = {
            let mut day = r.promised_due;
            while c.workdays_between(day, r.promised_due).expect("covered") < 2 {
                day = day.pred_opt().expect("date");
            }
            day
        };
        assert_eq!(w(&two_left.to_string()), Warning::Yellow);
        assert_eq!(w(&r.promised_due.to_string()), Warning::Yellow);
        assert_eq!(
            w(&r.promised_due.succ_opt().expect("date").to_string()),
            Warning::Red
        );
    }
}
