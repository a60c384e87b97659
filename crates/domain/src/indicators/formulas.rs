//! The formulas on hand-made cases; every expected value is worked out by
//! hand in the comment beside it, on the 2026 calendar (中秋 09-25..27 and
//! 国庆 10-01..07 off; 09-20 and 10-10 worked) and the provisional 2027.

use chrono::NaiveDate;

use super::rollup::{HANDLING_CAP, Metric, StepFact, contributions, handling_days};
use super::values::{Totals, read, value};
use crate::calendar::WorkCalendar;
use crate::case::CaseState as S;
use crate::catalog::{DayCount, TimeLimit};
use crate::clock::{ClockEvent, SuspendReason, WorkingDays};

fn d(s: &str) -> NaiveDate {
    s.parse().expect("a date")
}
fn cal() -> WorkCalendar {
    WorkCalendar::builtin_with(&[]).expect("calendar")
}
fn accepted(on: &str) -> ClockEvent {
    ClockEvent::Accepted {
        on: d(on),
        legal: TimeLimit::working(DayCount::of(20)),
        promised: TimeLimit::working(DayCount::of(10)),
        joint: false,
    }
}
fn decided(on: &str) -> ClockEvent {
    ClockEvent::Decided {
        on: d(on),
        certificate: true,
    }
}
fn suspended(on: &str) -> ClockEvent {
    ClockEvent::Suspended {
        on: d(on),
        reason: SuspendReason::Correction,
    }
}
fn resumed(on: &str) -> ClockEvent {
    ClockEvent::Resumed { on: d(on) }
}

fn step<'a>(action: &'a str, from: S, to: S, clock: &'a [ClockEvent], day: &str) -> StepFact<'a> {
    StepFact {
        action,
        from,
        to,
        by_system: false,
        at_window: false,
        delivery: "",
        waived: 0,
        promised_due: None,
        decided_on: None,
        clock,
        day: d(day),
    }
}

fn totals(steps: &[StepFact<'_>]) -> Totals {
    let c = cal();
    let mut t = Totals::default();
    for s in steps {
        for (m, v) in contributions(s, &c) {
            t.add(&m.name(), v);
        }
    }
    t
}

#[test]
fn handling_days_count_working_days_and_leave_out_suspensions() {
    let c = cal();
    // (09-28, 10-12]: 09-29, 09-30, 10-08, 10-09, 10-10 (调休), 10-12 = 6.
    let plain = [accepted("2026-09-28"), decided("2026-10-12")];
    assert_eq!(handling_days(&plain, &c), Some(6));
    // Suspended 09-30 → resumed 10-09: (09-30, 10-09] = 10-08, 10-09 = 2 → 4.
    let with_pause = [
        accepted("2026-09-28"),
        suspended("2026-09-30"),
        resumed("2026-10-09"),
        decided("2026-10-12"),
    ];
    assert_eq!(handling_days(&with_pause, &c), Some(4));
    // An extension moves the deadline, not the time taken: still 6.
    let extended = [
        accepted("2026-09-28"),
        ClockEvent::Extended {
            on: d("2026-10-09"),
            days: WorkingDays(5),
            reason: "专家评审".into(),
        },
        decided("2026-10-12"),
    ];
    assert_eq!(handling_days(&extended, &c), Some(6));
    // Decided while suspended: the pause runs to the decision.
    // (12-01, 12-04] = 3 working days, paused (12-02, 12-04] = 2 → 1.
    let decided_paused = [
        accepted("2026-12-01"),
        suspended("2026-12-02"),
        decided("2026-12-04"),
    ];
    assert_eq!(handling_days(&decided_paused, &c), Some(1));
    // Not decided yet: no handling time.
    assert_eq!(handling_days(&[accepted("2026-12-01")], &c), None);
}

#[test]
fn intake_decisions_make_the_acceptance_rate() {
    let none: [ClockEvent; 0] = [];
    let steps = [
        step("submit", S::Draft, S::Submitted, &none, "2026-11-02"),
        step("submit", S::Draft, S::Submitted, &none, "2026-11-02"),
        step("submit", S::Draft, S::Submitted, &none, "2026-11-03"),
        step("accept", S::Submitted, S::Review, &none, "2026-11-03"),
        // Art. 32: deemed accepted counts as accepted.
        step(
            "deemed_accepted",
            S::Submitted,
            S::Review,
            &none,
            "2026-11-09",
        ),
        step("refuse", S::Submitted, S::NotAccepted, &none, "2026-11-04"),
        // A correction notice is not an intake decision.
        step(
            "request_correction",
            S::Submitted,
            S::Correction,
            &none,
            "2026-11-04",
        ),
    ];
    let t = totals(&steps);
    assert_eq!(value("applications", &t).and_then(|v| v.value), Some(3.0));
    // 2 accepted ÷ (2 + 1) = 66.67 %.
    let v = value("acceptance_rate", &t).expect("defined");
    assert_eq!((v.numerator, v.denominator), (2, 3));
    assert!((v.value.unwrap_or_default() - 200.0 / 3.0).abs() < 1e-9);
}

#[test]
fn completion_on_time_late_and_visits() {
    let a = [accepted("2026-11-02"), decided("2026-11-10")];
    let mut on_time = step("deliver", S::Delivering, S::Completed, &a, "2026-11-12");
    on_time.promised_due = Some(d("2026-11-16"));
    on_time.decided_on = Some(d("2026-11-10"));
    on_time.delivery = "电子送达";
    // Decided after its promised date (delivered later still).
    let b = [accepted("2026-10-09"), decided("2026-10-30")];
    let mut late = step("deliver", S::Delivering, S::Completed, &b, "2026-11-02");
    late.promised_due = Some(d("2026-10-23"));
    late.decided_on = Some(d("2026-10-30"));
    late.at_window = true;
    late.delivery = "窗口领取";
    // Decided exactly on the promised date: on time.
    let c = [accepted("2026-11-02"), decided("2026-11-16")];
    let mut on_the_day = step("deliver", S::Delivering, S::Completed, &c, "2026-11-16");
    on_the_day.promised_due = Some(d("2026-11-16"));
    on_the_day.decided_on = Some(d("2026-11-16"));
    on_the_day.at_window = true;
    on_the_day.delivery = "邮寄送达";
    // Refused at intake: never accepted, so not a completion.
    let none: [ClockEvent; 0] = [];
    let refused = step("refuse", S::Submitted, S::NotAccepted, &none, "2026-11-02");
    // A provisional year not entered yet: completed, but neither on time nor late.
    let e = [accepted("2026-11-30"), decided("2026-12-03")];
    let unknown = step("deliver", S::Delivering, S::Completed, &e, "2026-12-03");
    let t = totals(&[on_time, late, on_the_day, refused, unknown]);
    assert_eq!(t.metric(Metric::Completed), 4);
    // 2 on time ÷ 4 completed = 50 %.
    assert_eq!(value("on_time_rate", &t).and_then(|v| v.value), Some(50.0));
    // Overdue: 1 completed late + 3 open past their promise (read when asked).
    let mut t2 = t.clone();
    t2.add(read::OPEN_PAST_PROMISE, 3);
    assert_eq!(value("overdue", &t2).and_then(|v| v.value), Some(4.0));
    // Visits: on_time 0 (online, e-delivery), late 2 (window both ways),
    // on_the_day 1 (window, posted), unknown 0 → no visit 2 of 4, ≤ 1 visit 3 of 4.
    assert_eq!(value("online_rate", &t).and_then(|v| v.value), Some(50.0));
    assert_eq!(
        value("one_visit_rate", &t).and_then(|v| v.value),
        Some(75.0)
    );
}

#[test]
fn duration_mean_and_p90_from_the_histogram() {
    let mut t = Totals::default();
    // Ten decisions: 0,1,2,3,4,5,6,7,8 and 20 working days.
    for days in [0u32, 1, 2, 3, 4, 5, 6, 7, 8, 20] {
        t.add(&Metric::Handled(days).name(), 1);
        t.add(&Metric::Decided.name(), 1);
    }
    let v = value("duration", &t).expect("defined");
    // Mean = 56 ÷ 10 = 5.6; P90 = the 9th of 10 (nearest rank) = 8.
    assert_eq!(v.value, Some(5.6));
    assert_eq!(v.second, Some(8.0));
    assert_eq!(
        value("duration", &Totals::default()).and_then(|v| v.value),
        None
    );
}

#[test]
fn rules_decisions_and_exempted_materials() {
    let a = [accepted("2026-11-02"), decided("2026-11-02")];
    let mut auto = step("decide", S::Decision, S::Certifying, &a, "2026-11-02");
    auto.by_system = true;
    let b = [accepted("2026-11-02"), decided("2026-11-05")];
    let person = step("decide", S::Decision, S::Certifying, &b, "2026-11-05");
    // Suspended the day it was accepted and decided on the day it resumed:
    // no working day counted, yet not decided on the day of acceptance.
    let c = [
        accepted("2026-11-06"),
        suspended("2026-11-06"),
        resumed("2026-11-09"),
        decided("2026-11-09"),
    ];
    let paused = step("decide", S::Decision, S::Certifying, &c, "2026-11-09");
    // Three materials obtained from shared data: counted when it completes.
    let mut done = step("deliver", S::Delivering, S::Completed, &b, "2026-11-06");
    done.waived = 3;
    let none: [ClockEvent; 0] = [];
    let mut sub = step("submit", S::Draft, S::Submitted, &none, "2026-11-02");
    sub.waived = 3;
    let t = totals(&[auto, person, paused, sub, done]);
    // 即办 (decided the day accepted) 1 of 3 decided; 秒批 1 of 3.
    let v = value("instant_share", &t).expect("defined");
    assert_eq!((v.numerator, v.denominator), (1, 3));
    assert_eq!(v.second.map(|x| (x * 100.0).round()), Some(3333.0));
    assert_eq!(
        t.metric(Metric::Handled(0)),
        2,
        "the paused one took 0 working days too"
    );
    assert_eq!(
        value("exempted_materials", &t).and_then(|v| v.value),
        Some(3.0)
    );
    // (11-02, 11-05] = 3 working days.
    assert_eq!(t.metric(Metric::Handled(3)), 1);
}

#[test]
fn ratings_figures_and_compression() {
    let mut t = Totals::default();
    // 8 valid ratings, 6 good, levels summing to 31; defaults apart.
    t.add(read::RATINGS, 8);
    t.add(read::RATINGS_GOOD, 6);
    t.add(read::RATING_LEVELS, 31);
    t.add(read::RATINGS_DEFAULT, 5);
    t.add(read::BAD, 4);
    t.add(read::BAD_FIXED, 3);
    t.add(read::BAD_REAL_NAME, 2);
    t.add(read::BAD_VISITED, 1);
    t.add(read::LEGAL_DAYS, 60);
    t.add(read::PROMISED_DAYS, 24);
    let s = value("satisfaction", &t).expect("defined");
    // 6 ÷ 8 = 75 %; mean level 31 ÷ 8 = 3.875 — defaults do not enter it.
    assert_eq!((s.value, s.second), (Some(75.0), Some(3.875)));
    assert_eq!(value("bad_fix_rate", &t).and_then(|v| v.value), Some(75.0));
    assert_eq!(value("visit_rate", &t).and_then(|v| v.value), Some(50.0));
    // (60 − 24) ÷ 60 = 60 %.
    assert_eq!(value("compression", &t).and_then(|v| v.value), Some(60.0));
    // Not captured yet: no made-up number.
    assert_eq!(value("waiting_time", &t), None);
    assert_eq!(value("bundle_savings", &t), None);
}

#[test]
fn metric_names_read_back_and_long_cases_are_capped() {
    for m in [
        Metric::Submitted,
        Metric::CompletedLate,
        Metric::Handled(0),
        Metric::Handled(HANDLING_CAP),
    ] {
        assert_eq!(Metric::parse(&m.name()), Some(m));
    }
    assert_eq!(Metric::parse("handled:-1"), None);
    assert_eq!(Metric::parse("handled:99999"), None);
    assert_eq!(Metric::parse("nonsense"), None);
    // 2024-01-02 → 2026-11-30: far beyond the cap, counted at the cap.
    let long = [accepted("2024-01-02"), decided("2026-11-30")];
    let f = step("decide", S::Decision, S::Certifying, &long, "2026-11-30");
    let c = contributions(&f, &cal());
    assert!(c.contains(&(Metric::Handled(HANDLING_CAP), 1)));
}
