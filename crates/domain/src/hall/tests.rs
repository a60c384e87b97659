use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::*;
use crate::calendar::WorkCalendar;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}
fn t(s: &str) -> NaiveTime {
    NaiveTime::parse_from_str(s, "%H:%M").expect("time")
}
fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("datetime")
}
fn cal() -> WorkCalendar {
    WorkCalendar::builtin_with(&[]).expect("calendar")
}

fn morning() -> Opening {
    Opening {
        on: OpenOn::Workdays,
        kind: SlotKind::Regular,
        from: t("09:00"),
        to: t("10:00"),
        minutes: 30,
        capacity: 4,
    }
}

#[test]
fn slots_follow_the_legal_calendar_调休_saturdays_open_holidays_closed() {
    let weekend = Opening {
        on: OpenOn::RestWeekends,
        kind: SlotKind::Extended,
        from: t("09:00"),
        to: t("12:00"),
        minutes: 60,
        capacity: 2,
    };
    // 2026-10-01…07 National Day; Saturday 10-10 is a 调休 working day;
    // 10-11 an ordinary Sunday.
    let s = slots(
        &[morning(), weekend],
        &[],
        &cal(),
        d("2026-10-01"),
        d("2026-10-11"),
    )
    .expect("slots");
    let days: Vec<(NaiveDate, SlotKind)> = s.iter().map(|x| (x.date, x.kind)).collect();
    assert!(
        !days.iter().any(|(x, _)| *x <= d("2026-10-07")),
        "the holiday week is closed: {days:?}"
    );
    assert_eq!(s.iter().filter(|x| x.date == d("2026-10-08")).count(), 2);
    assert_eq!(s.iter().filter(|x| x.date == d("2026-10-09")).count(), 2);
    // The 调休 Saturday keeps working hours and has no weekend service.
    let sat: Vec<&Slot> = s.iter().filter(|x| x.date == d("2026-10-10")).collect();
    assert_eq!(sat.len(), 2);
    assert!(sat.iter().all(|x| x.kind == SlotKind::Regular));
    // The ordinary Sunday has the weekend service only: 3 one-hour slots.
    let sun: Vec<&Slot> = s.iter().filter(|x| x.date == d("2026-10-11")).collect();
    assert_eq!(sun.len(), 3);
    assert!(
        sun.iter()
            .all(|x| x.kind == SlotKind::Extended && x.capacity == 2)
    );
    assert!(s.iter().all(|x| !x.provisional), "2026 has its notice");
    assert_eq!(s[0].start, t("09:00"));
    assert_eq!(s[0].end, t("09:30"));
}

#[test]
fn a_weekday_opening_applies_on_that_working_weekday_and_a_closure_takes_its_hours() {
    let evening = Opening {
        on: OpenOn::Weekday(3),
        kind: SlotKind::Extended,
        from: t("17:30"),
        to: t("19:30"),
        minutes: 60,
        capacity: 3,
    };
    let closed = Closure {
        date: d("2026-12-09"),
        from: t("09:15"),
        to: t("09:45"),
    };
    // Wednesday 2026-12-09 and Thursday 12-10.
    let s = slots(
        &[morning(), evening],
        &[closed],
        &cal(),
        d("2026-12-09"),
        d("2026-12-10"),
    )
    .expect("slots");
    let wed: Vec<(NaiveTime, SlotKind)> = s
        .iter()
        .filter(|x| x.date == d("2026-12-09"))
        .map(|x| (x.start, x.kind))
        .collect();
    // Both morning slots overlap the closure; the two evening slots stay.
    assert_eq!(
        wed,
        vec![
            (t("17:30"), SlotKind::Extended),
            (t("18:30"), SlotKind::Extended)
        ]
    );
    let thu = s.iter().filter(|x| x.date == d("2026-12-10")).count();
    assert_eq!(thu, 2, "Thursday: the morning only");
}

#[test]
fn a_year_without_its_notice_gives_provisional_slots() {
    let s = slots(&[morning()], &[], &cal(), d("2027-03-01"), d("2027-03-01")).expect("slots");
    assert_eq!(s.len(), 2);
    assert!(s.iter().all(|x| x.provisional));
}

#[test]
fn an_opening_is_checked_by_field() {
    let bad = Opening {
        on: OpenOn::Weekday(8),
        kind: SlotKind::Regular,
        from: t("10:00"),
        to: t("10:10"),
        minutes: 30,
        capacity: 0,
    };
    let e = bad.check().expect_err("bad");
    let f: Vec<&str> = e.0.iter().map(|x| x.field.as_str()).collect();
    assert_eq!(f, vec!["weekday", "capacity", "to"]);
    assert!(morning().check().is_ok());
}

#[test]
fn bookings_open_after_the_lead_time_and_within_the_horizon() {
    let w = BookingWindow {
        lead_minutes: 60,
        horizon_days: 14,
    };
    let now = at("2026-12-07 09:00");
    assert_eq!(
        w.refusal(at("2026-12-07 09:30"), now).map(|e| e.code),
        Some("too_soon".to_string())
    );
    assert!(w.refusal(at("2026-12-07 10:00"), now).is_none());
    assert!(w.refusal(at("2026-12-21 16:00"), now).is_none());
    assert_eq!(
        w.refusal(at("2026-12-22 09:00"), now).map(|e| e.code),
        Some("too_far".to_string())
    );
}

#[test]
fn the_arrival_window_decides_early_on_time_late_and_no_shows() {
    let w = ArrivalWindow {
        before: 30,
        after: 15,
    };
    let start = at("2026-12-08 10:00");
    assert_eq!(w.arrival(start, at("2026-12-08 09:29")), Arrival::Early);
    assert_eq!(w.arrival(start, at("2026-12-08 09:30")), Arrival::OnTime);
    assert_eq!(w.arrival(start, at("2026-12-08 10:15")), Arrival::OnTime);
    assert_eq!(w.arrival(start, at("2026-12-08 10:16")), Arrival::Late);
    assert!(!w.missed(start, at("2026-12-08 10:15")));
    assert!(w.missed(start, at("2026-12-08 10:16")));
}

#[test]
fn priority_comes_first_but_never_overtakes_a_ticket_issued_more_than_the_bonus_earlier() {
    let rule = CallRule { bonus_minutes: 20 };
    let w = |id, m: &str, priority| Waiting {
        id,
        issued_at: at(&format!("2026-12-08 {m}")),
        priority,
    };
    let now = at("2026-12-08 10:00");
    // A priority ticket 10 minutes younger goes first…
    assert_eq!(
        rule.next(&[w(1, "09:30", false), w(2, "09:40", true)], now),
        Some(2)
    );
    // …one 25 minutes younger does not.
    assert_eq!(
        rule.next(&[w(1, "09:30", false), w(2, "09:55", true)], now),
        Some(1)
    );
    // Ties: the earlier issued, then the lower number.
    assert_eq!(
        rule.next(&[w(5, "09:30", false), w(4, "09:30", false)], now),
        Some(4)
    );
    assert_eq!(rule.next(&[], now), None);
    // The bound, over a stream: one call a minute, a priority ticket every
    // minute and a walk-in every third. No ticket is called after one
    // issued more than the bonus after it.
    let mut waiting: Vec<Waiting> = Vec::new();
    let mut called: Vec<Waiting> = Vec::new();
    let start = at("2026-12-08 09:00");
    for minute in 0..240i64 {
        let now = start + Duration::minutes(minute);
        waiting.push(Waiting {
            id: minute * 2,
            issued_at: now,
            priority: true,
        });
        if minute % 3 == 0 {
            waiting.push(Waiting {
                id: minute * 2 + 1,
                issued_at: now,
                priority: false,
            });
        }
        if let Some(id) = rule.next(&waiting, now) {
            let i = waiting.iter().position(|x| x.id == id).expect("waiting");
            called.push(waiting.remove(i));
        }
    }
    for (k, c) in called.iter().enumerate() {
        for later in &called[..k] {
            assert!(
                later.issued_at <= c.issued_at + Duration::minutes(20),
                "{later:?} called before {c:?}"
            );
        }
    }
    assert!(
        called.iter().any(|c| !c.priority),
        "walk-ins are called too"
    );
}

#[test]
fn a_window_group_is_one_capital_letter() {
    assert_eq!(GroupCode::parse(" B ").map(GroupCode::letter), Ok('B'));
    for bad in ["", "a", "AB", "1", "Ａ"] {
        assert!(GroupCode::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn ticket_numbers_are_the_group_letter_and_three_digits() {
    assert_eq!(ticket_number('A', 1), "A001");
    assert_eq!(ticket_number('B', 123), "B123");
    assert_eq!(ticket_number('A', 1000), "A1000");
}
