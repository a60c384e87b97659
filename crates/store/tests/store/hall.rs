//! 预约 on both backends: a slot's capacity holds when many people book it
//! at once through two server instances; a double click books once; a
//! closed day is refused; a cancelled booking gives its place back and
//! keeps its history; a missed booking becomes a no-show once.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::hall::{ArrivalWindow, BookingWindow, OpenOn, Opening, SlotKind};
use tongban_store::StoreError;
use tongban_store::hall::ServiceRules;

use crate::helpers::{actor, count};

fn t(s: &str) -> NaiveTime {
    NaiveTime::parse_from_str(s, "%H:%M").expect("time")
}

fn rules(capacity: u32) -> ServiceRules {
    ServiceRules {
        openings: vec![Opening {
            on: OpenOn::Workdays,
            kind: SlotKind::Regular,
            from: t("09:00"),
            to: t("11:00"),
            minutes: 60,
            capacity,
        }],
        closures: vec![],
        booking: BookingWindow {
            lead_minutes: 60,
            horizon_days: 14,
        },
        arrival: ArrivalWindow {
            before: 30,
            after: 15,
        },
    }
}

#[tokio::test]
async fn a_slot_never_takes_more_than_its_capacity_with_many_bookers_on_two_instances() {
    for (backend, a, b) in tongban_store::testing::store_pairs("hall-capacity").await {
        tongban_store::demo::load_demo(&a).await.expect("demo");
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let admin = actor(&a, "catalog").await;
        let centre = admin.centre_id;
        let service = a
            .create_hall_service(&admin, "综合咨询", "A", &rules(5))
            .await
            .expect("service");
        // Wednesday 2026-12-09, booked on the Monday before.
        let day = NaiveDate::from_ymd_opt(2026, 12, 9).expect("date");
        let now: NaiveDateTime = NaiveDate::from_ymd_opt(2026, 12, 7)
            .expect("date")
            .and_time(t("08:00"));
        let mut people = Vec::new();
        for i in 0..12 {
            let name = format!("booker{i}");
            a.create_user(tongban_store::accounts::NewUser {
                username: &name,
                display_name: "预约人",
                password: "a-long-password-1",
                role: tongban_domain::auth::Role::Applicant,
                centre_id: centre,
                department_id: None,
                id_number: None,
                phone: "13800000000",
            })
            .await
            .expect("user");
            people.push(actor(&a, &name).await);
        }
        let mut tasks = Vec::new();
        for (i, p) in people.into_iter().enumerate() {
            let store = if i % 2 == 0 { a.clone() } else { b.clone() };
            let cal = cal.clone();
            let id = service.id;
            tasks.push(tokio::spawn(async move {
                store
                    .book(&p, id, day, t("09:00"), "", &cal, now, None)
                    .await
            }));
        }
        let mut booked = 0;
        let mut full = 0;
        for task in tasks {
            match task.await.expect("task") {
                Ok(_) => booked += 1,
                Err(StoreError::Conflict { .. }) => full += 1,
                Err(e) => panic!("{backend}: {e}"),
            }
        }
        assert_eq!((booked, full), (5, 7), "{backend}");
        assert_eq!(
            count(
                &a,
                "SELECT COUNT(*) AS n FROM bookings WHERE state = 'booked'"
            )
            .await,
            5,
            "{backend}"
        );
        let left = a.hall_slots(&service, &cal, day, day).await.expect("slots");
        assert_eq!(left[0].left(), 0, "{backend}");
        assert_eq!(left[1].left(), 5, "{backend}");
    }
}

#[tokio::test]
async fn a_double_click_books_once_a_holiday_is_refused_and_a_no_show_is_recorded_once() {
    for (backend, store) in tongban_store::testing::stores("hall-booking").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let admin = actor(&store, "catalog").await;
        let applicant = actor(&store, "applicant").await;
        let service = store
            .create_hall_service(&admin, "综合咨询", "A", &rules(2))
            .await
            .expect("service");
        let now = NaiveDate::from_ymd_opt(2026, 12, 7)
            .expect("date")
            .and_time(t("08:30"));
        let day = NaiveDate::from_ymd_opt(2026, 12, 9).expect("date");
        let one = store
            .book(
                &applicant,
                service.id,
                day,
                t("10:00"),
                "",
                &cal,
                now,
                Some("k1"),
            )
            .await
            .expect("booked");
        let again = store
            .book(
                &applicant,
                service.id,
                day,
                t("10:00"),
                "",
                &cal,
                now,
                Some("k1"),
            )
            .await
            .expect("the same");
        assert_eq!(one.id, again.id, "{backend}");
        // A Sunday, an hour outside the opening, too soon: refused, nothing written.
        for (d, at) in [
            (
                NaiveDate::from_ymd_opt(2026, 12, 13).expect("date"),
                "09:00",
            ),
            (day, "15:00"),
            (NaiveDate::from_ymd_opt(2026, 12, 7).expect("date"), "09:00"),
        ] {
            assert!(
                matches!(
                    store
                        .book(&applicant, service.id, d, t(at), "", &cal, now, None)
                        .await,
                    Err(StoreError::Invalid(_))
                ),
                "{backend}: {d} {at}"
            );
        }
        assert_eq!(
            count(&store, "SELECT COUNT(*) AS n FROM bookings").await,
            1,
            "{backend}"
        );
        // Missed: recorded once however often the sweep runs, kept.
        let late = day.and_time(t("10:16"));
        assert_eq!(
            store.sweep_no_shows(late).await.expect("sweep"),
            1,
            "{backend}"
        );
        assert_eq!(
            store.sweep_no_shows(late).await.expect("sweep"),
            0,
            "{backend}"
        );
        assert_eq!(
            store.no_shows_of(applicant.user_id).await.expect("n"),
            1,
            "{backend}"
        );
        assert_eq!(store.booking(one.id).await.expect("kept").state, "no_show");
        // Rescheduled within the same day: the old one is kept, its place
        // given back; the new one holds one place.
        let moved_day = NaiveDate::from_ymd_opt(2026, 12, 11).expect("date");
        let first = store
            .book(
                &applicant,
                service.id,
                moved_day,
                t("09:00"),
                "",
                &cal,
                now,
                None,
            )
            .await
            .expect("booked");
        let moved = store
            .reschedule_booking(&applicant, first.id, moved_day, t("10:00"), &cal, now)
            .await
            .expect("rescheduled");
        assert_eq!(
            store.booking(first.id).await.expect("old").state,
            "rescheduled"
        );
        let s = store
            .hall_slots(&service, &cal, moved_day, moved_day)
            .await
            .expect("slots");
        assert_eq!((s[0].left(), s[1].left()), (2, 1), "{backend}");
        assert_eq!(moved.state, "booked", "{backend}");
        // A cancelled booking gives its place back and stays.
        let next = NaiveDate::from_ymd_opt(2026, 12, 10).expect("date");
        let b = store
            .book(
                &applicant,
                service.id,
                next,
                t("09:00"),
                "",
                &cal,
                now,
                None,
            )
            .await
            .expect("booked");
        let c = store
            .cancel_booking(&applicant, b.id)
            .await
            .expect("cancelled");
        assert_eq!(c.state, "cancelled", "{backend}");
        let slots = store
            .hall_slots(&service, &cal, next, next)
            .await
            .expect("slots");
        assert_eq!(slots[0].left(), 2, "{backend}");
        assert_eq!(
            count(
                &store,
                &format!(
                    "SELECT COUNT(*) AS n FROM booking_events WHERE booking_id = {}",
                    b.id
                )
            )
            .await,
            2,
            "{backend}: booked, cancelled"
        );
    }
}

#[tokio::test]
async fn two_windows_on_two_instances_never_call_the_same_ticket() {
    for (backend, a, b) in tongban_store::testing::store_pairs("hall-queue").await {
        tongban_store::demo::load_demo(&a).await.expect("demo");
        let clerk = actor(&a, "clerk").await;
        let centre = clerk.centre_id;
        let start = NaiveDate::from_ymd_opt(2026, 12, 8)
            .expect("date")
            .and_time(t("09:00"));
        let mut numbers = Vec::new();
        for i in 0..10i64 {
            let tk = a
                .issue_ticket(centre, "A", i == 7, start + chrono::Duration::minutes(i))
                .await
                .expect("ticket");
            numbers.push(tk.number);
        }
        assert_eq!(numbers[0], "A001", "{backend}");
        assert_eq!(numbers[9], "A010", "{backend}");
        // Two windows, one on each instance, calling at the same moments.
        let now = start + chrono::Duration::minutes(15);
        let mut called = Vec::new();
        for _ in 0..5 {
            let (x, y) = tokio::join!(
                a.call_next(&clerk, "A", "1号窗口", now),
                b.call_next(&clerk, "A", "2号窗口", now)
            );
            for r in [x, y] {
                if let Some(tk) = r.expect("call") {
                    called.push(tk.number);
                }
            }
        }
        let mut unique = called.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10, "{backend}: {called:?}");
        assert_eq!(called.len(), 10, "{backend}: {called:?}");
        // The priority ticket A008 (issued at 09:07) counts 20 minutes more
        // and is among the first two called.
        assert!(
            called[..2].contains(&"A008".to_string()),
            "{backend}: {called:?}"
        );
        assert!(
            a.call_next(&clerk, "A", "1号窗口", now)
                .await
                .expect("call")
                .is_none(),
            "{backend}: nobody left"
        );
        // The queue lives in the database: a new instance sees it.
        let c = a
            .issue_ticket(centre, "A", false, now)
            .await
            .expect("ticket");
        let seen = b
            .waiting_tickets(centre, "A", now.date())
            .await
            .expect("waiting");
        assert_eq!(
            seen.iter().map(|x| x.id).collect::<Vec<_>>(),
            vec![c.id],
            "{backend}"
        );
        let applicant = actor(&a, "applicant").await;
        assert!(
            matches!(
                a.call_next(&applicant, "A", "1号窗口", now).await,
                Err(StoreError::Forbidden(_))
            ),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_booking_checked_in_on_time_becomes_a_priority_ticket_and_a_paused_window_calls_nobody() {
    for (backend, store) in tongban_store::testing::stores("hall-checkin").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let admin = actor(&store, "catalog").await;
        let applicant = actor(&store, "applicant").await;
        let clerk = actor(&store, "clerk").await;
        let service = store
            .create_hall_service(&admin, "综合咨询", "B", &rules(2))
            .await
            .expect("service");
        let now = NaiveDate::from_ymd_opt(2026, 12, 7)
            .expect("date")
            .and_time(t("08:00"));
        let day = NaiveDate::from_ymd_opt(2026, 12, 9).expect("date");
        let b = store
            .book(&applicant, service.id, day, t("10:00"), "", &cal, now, None)
            .await
            .expect("booked");
        // Another person's booking does not exist for them; too early is
        // refused with when to come.
        let other = actor(&store, "enterprise").await;
        assert!(
            matches!(
                store.check_in(&other, b.id, day.and_time(t("09:45"))).await,
                Err(StoreError::NotFound(_))
            ),
            "{backend}"
        );
        match store
            .check_in(&applicant, b.id, day.and_time(t("09:00")))
            .await
        {
            Err(StoreError::Invalid(e)) => {
                assert!(e.0[0].message_zh.contains("09:30"), "{backend}")
            }
            other => panic!("{backend}: {other:?}"),
        }
        // A walk-in earlier, then the booking on time: the booking first.
        let walk_in = store
            .issue_ticket(clerk.centre_id, "B", false, day.and_time(t("09:40")))
            .await
            .expect("walk-in");
        let tk = store
            .check_in(&applicant, b.id, day.and_time(t("09:50")))
            .await
            .expect("checked in");
        assert!(tk.priority, "{backend}");
        assert_eq!(tk.number, "B002", "{backend}");
        assert_eq!(store.booking(b.id).await.expect("b").state, "checked_in");
        // A paused window calls nobody, with its reason.
        store
            .pause_window(&clerk, "3号窗口", "系统维护")
            .await
            .expect("paused");
        match store
            .call_next(&clerk, "B", "3号窗口", day.and_time(t("09:55")))
            .await
        {
            Err(StoreError::Conflict { zh, .. }) => assert!(zh.contains("系统维护"), "{backend}"),
            other => panic!("{backend}: {other:?}"),
        }
        store
            .resume_window(&clerk, "3号窗口")
            .await
            .expect("resumed");
        let first = store
            .call_next(&clerk, "B", "3号窗口", day.and_time(t("09:55")))
            .await
            .expect("call")
            .expect("a ticket");
        assert_eq!(first.id, tk.id, "{backend}: the booking first");
        // Called three times more without an answer: skipped, kept.
        let mut last = first;
        for _ in 0..3 {
            last = store.recall_ticket(&clerk, last.id).await.expect("recall");
        }
        assert_eq!(last.state, "skipped", "{backend}");
        // The walk-in is served elsewhere: transferred to group C, it
        // waits there with its own issue time.
        let w = store
            .call_next(&clerk, "B", "3号窗口", day.and_time(t("09:56")))
            .await
            .expect("call")
            .expect("walk-in");
        assert_eq!(w.id, walk_in.id, "{backend}");
        let moved = store
            .transfer_ticket(&clerk, w.id, "C")
            .await
            .expect("moved");
        assert_eq!(
            (moved.group_code.as_str(), moved.state.as_str()),
            ("C", "waiting"),
            "{backend}"
        );
        assert_eq!(moved.issued_at, walk_in.issued_at, "{backend}");
    }
}
