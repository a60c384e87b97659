//! Dates that never vanish (SPEC §3), on both backends: a case accepted in
//! December counts into a year whose holiday notice is not out; its dates are
//! provisional, stored and shown; entering the notice recomputes them in the
//! same transaction, tells the applicant and leaves other cases alone.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use tongban_domain::calendar::{ScheduleDay, WorkCalendar, YearSchedule};
use tongban_domain::case::Command;
use tongban_store::Store;
use tongban_store::attachments::Attachments;
use tongban_store::cases::NewCase;

use crate::helpers::{actor, count};

/// 公共场所卫生许可: legal limit 20, promise 10 working days.
const ITEM: &str = "11339901MB000000114010103001000";

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

async fn accepted_on(store: &Store, cal: &WorkCalendar, day: NaiveDate) -> i64 {
    let files = Attachments::in_memory();
    let applicant = actor(store, "applicant").await;
    let clerk = actor(store, "clerk").await;
    let mut form = BTreeMap::new();
    for (k, v) in [
        ("venue_name", "示范宾馆"),
        ("venue_address", "示范区一路1号"),
        ("area", "320"),
        ("venue_type", "住宿场所"),
    ] {
        form.insert(k.to_string(), v.to_string());
    }
    let c = store
        .create_case(
            &applicant,
            ITEM,
            NewCase {
                form,
                ..Default::default()
            },
        )
        .await
        .expect("case");
    for m in 0..4 {
        store
            .upload(&files, &applicant, c.id, m, "m.pdf", b"%PDF-1.4 x".to_vec())
            .await
            .expect("upload");
    }
    for (who, cmd) in [(&applicant, Command::Submit), (&clerk, Command::Accept)] {
        store
            .case_command(who, c.id, None, &cmd, cal, day)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", cmd.name()));
    }
    c.id
}

#[tokio::test]
async fn provisional_dates_are_kept_and_recomputed_when_the_notice_is_entered() {
    for (backend, store) in tongban_store::testing::stores("provisional").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = store.work_calendar().await.expect("calendar");
        // Accepted on Monday 21 December 2026. Counted by hand: the promise
        // (10) takes 22–25 and 28–31 December (8), skips 元旦 (Fri 1 January,
        // a statutory day) and ends on 5 January; the legal limit (20) ends
        // on 19 January.
        let late = accepted_on(&store, &cal, d("2026-12-21")).await;
        // One accepted in March is not touched by a 2027 notice.
        let early = accepted_on(&store, &cal, d("2026-03-02")).await;
        let supervisor = actor(&store, "supervisor").await;
        let k = store
            .case_for(&supervisor, late)
            .await
            .expect("supervisor sees it")
            .case;
        assert_eq!(k.promised_due, Some(d("2027-01-05")), "{backend}");
        assert_eq!(k.legal_due, Some(d("2027-01-19")), "{backend}");
        assert!(cal.is_provisional(d("2027-01-05")));
        // The case stays on the supervisor's list with its dates.
        let listed = store
            .supervised_cases(&supervisor, &cal, d("2026-12-21"))
            .await
            .expect("list");
        let row = listed.iter().find(|r| r.id == late).expect("listed");
        assert_eq!(row.promised_due, Some(d("2027-01-05")), "{backend}");
        assert_eq!(row.days_left, Some(10), "{backend}");
        // The acceptance receipt says 暂定 and why.
        let rec = store.case_for(&supervisor, late).await.expect("record");
        let receipt = serde_json::to_string(&rec.documents).expect("json");
        assert!(
            receipt.contains("2027-01-05（暂定）"),
            "{backend}: {receipt}"
        );
        assert!(receipt.contains("2027年节假日安排尚未公布"), "{backend}");

        let before_notes = count(&store, "SELECT COUNT(*) AS n FROM notifications").await;
        let version = k.version;
        // The 2027 notice (as an admin would enter it): 元旦 and a bridging
        // Monday 4 January off.
        let notice = YearSchedule {
            year: 2027,
            source: "国办发明电〔2026〕".into(),
            days: vec![
                ScheduleDay {
                    date: d("2027-01-01"),
                    off: true,
                    name: "元旦".into(),
                },
                ScheduleDay {
                    date: d("2027-01-04"),
                    off: true,
                    name: "元旦".into(),
                },
            ],
        };
        let admin = actor(&store, "admin").await;
        let redated = store
            .put_calendar_year(&notice, Some(admin.user_id), d("2026-12-22"))
            .await
            .expect("entered");
        assert_eq!(
            redated.iter().map(|r| r.case_id).collect::<Vec<_>>(),
            vec![late],
            "{backend}: only the case counted into 2027 moves"
        );
        let k = store.case_for(&supervisor, late).await.expect("case").case;
        assert_eq!(k.promised_due, Some(d("2027-01-06")), "{backend}");
        assert_eq!(k.legal_due, Some(d("2027-01-20")), "{backend}");
        assert!(k.version > version, "{backend}: a planned batch goes stale");
        let cal = store.work_calendar().await.expect("calendar");
        assert!(!cal.is_provisional(d("2027-01-06")), "{backend}");
        // The applicant is told what moved.
        let applicant = actor(&store, "applicant").await;
        let notes = store
            .notifications(applicant.user_id, 50)
            .await
            .expect("notes");
        let told = notes
            .iter()
            .find(|n| n.case_id == Some(late) && n.subject.contains("期限已按2027年"))
            .expect("applicant told");
        assert!(
            told.body.contains("承诺办结期限由2027-01-05改为2027-01-06"),
            "{backend}: {}",
            told.body
        );
        assert_eq!(
            count(&store, "SELECT COUNT(*) AS n FROM notifications").await,
            before_notes + 1,
            "{backend}: one notice, to the applicant of the moved case"
        );
        assert_eq!(
            count(
                &store,
                "SELECT COUNT(*) AS n FROM audit_trail WHERE action = 'case.redate'"
            )
            .await,
            1,
            "{backend}"
        );
        let e = store
            .case_for(&supervisor, early)
            .await
            .expect("early")
            .case;
        assert_eq!(e.promised_due, Some(d("2026-03-16")), "{backend}");
        // A refused notice changes nothing: no year, no dates.
        let bad = YearSchedule {
            year: 2028,
            source: String::new(),
            days: vec![ScheduleDay {
                date: d("2027-03-01"),
                off: true,
                name: "x".into(),
            }],
        };
        assert!(
            store
                .put_calendar_year(&bad, None, d("2026-12-22"))
                .await
                .is_err()
        );
        let k2 = store.case_for(&supervisor, late).await.expect("case").case;
        assert_eq!(k2.version, k.version, "{backend}");
    }
}

/// The 2027 notice of the tests below: 元旦 with a bridging Monday off.
fn notice_2027(extra: Vec<ScheduleDay>) -> YearSchedule {
    let mut days = vec![
        ScheduleDay {
            date: d("2027-01-01"),
            off: true,
            name: "元旦".into(),
        },
        ScheduleDay {
            date: d("2027-01-04"),
            off: true,
            name: "元旦".into(),
        },
    ];
    days.extend(extra);
    YearSchedule {
        year: 2027,
        source: "国办发明电〔2026〕".into(),
        days,
    }
}

#[tokio::test]
async fn a_step_planned_on_a_calendar_another_instance_has_since_replaced_uses_the_new_one() {
    for (backend, store) in tongban_store::testing::stores("stale_calendar").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        // This instance's calendar, read before the notice …
        let old = store.work_calendar().await.expect("calendar");
        assert!(old.tag().is_some());
        // … which another instance enters now.
        store
            .put_calendar_year(&notice_2027(vec![]), None, d("2026-12-18"))
            .await
            .expect("entered");
        // Accepted with the old calendar in hand: the dates are the new ones.
        let id = accepted_on(&store, &old, d("2026-12-21")).await;
        let supervisor = actor(&store, "supervisor").await;
        let k = store.case_for(&supervisor, id).await.expect("case").case;
        assert_eq!(k.promised_due, Some(d("2027-01-06")), "{backend}");
        assert_eq!(k.legal_due, Some(d("2027-01-20")), "{backend}");
        // A calendar built by hand (no database tag) is used as it is.
        let by_hand = WorkCalendar::builtin_with(&[]).expect("calendar");
        let id = accepted_on(&store, &by_hand, d("2026-12-21")).await;
        let k = store.case_for(&supervisor, id).await.expect("case").case;
        assert_eq!(k.promised_due, Some(d("2027-01-05")), "{backend}");
    }
}

#[tokio::test]
async fn a_notice_listing_a_day_of_the_december_before_recomputes_cases_due_then() {
    for (backend, store) in tongban_store::testing::stores("december_before").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = store.work_calendar().await.expect("calendar");
        // Accepted 2026-11-23: every date falls in December 2026.
        let id = accepted_on(&store, &cal, d("2026-11-23")).await;
        let supervisor = actor(&store, "supervisor").await;
        let k = store.case_for(&supervisor, id).await.expect("case").case;
        let legal = k.legal_due.expect("legal");
        assert!(legal < d("2027-01-01"), "{backend}: {legal}");
        // The 2027 notice also gives a day off in the December before, on
        // the case's legal deadline (a Monday … Friday).
        let notice = notice_2027(vec![ScheduleDay {
            date: legal,
            off: true,
            name: "调休".into(),
        }]);
        let redated = store
            .put_calendar_year(&notice, None, d("2026-11-24"))
            .await
            .expect("entered");
        assert_eq!(
            redated.iter().map(|r| r.case_id).collect::<Vec<_>>(),
            vec![id],
            "{backend}"
        );
        let k = store.case_for(&supervisor, id).await.expect("case").case;
        let new = WorkCalendar::builtin_with(&[notice]).expect("calendar");
        assert_eq!(
            k.legal_due,
            Some(new.add_workdays(d("2026-11-23"), 20).expect("add")),
            "{backend}"
        );
        assert!(k.legal_due > Some(legal), "{backend}");
    }
}

#[tokio::test]
async fn a_bundle_s_applicant_hears_once_when_the_notice_moves_its_services_dates() {
    for (backend, store) in tongban_store::testing::stores("redate_bundle").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let files = Attachments::in_memory();
        let applicant = actor(&store, "applicant").await;
        let b = crate::helpers::ready_newborn(&store, &files, &applicant, "redate").await;
        let cal = store.work_calendar().await.expect("calendar");
        // Submitted and taken in on Thursday 31 December 2026: every
        // service's promise reaches into 2027.
        let day = d("2026-12-31");
        store
            .submit_bundle(&applicant, b.id, &cal, day)
            .await
            .expect("submitted");
        let clerk = actor(&store, "clerk").await;
        store
            .accept_bundle(&clerk, b.id, &cal, day)
            .await
            .expect("accepted");
        let redated = store
            .put_calendar_year(&notice_2027(vec![]), None, day)
            .await
            .expect("entered");
        assert!(redated.len() > 1, "{backend}: several services moved");
        let notes: Vec<_> = store
            .notifications(applicant.user_id, 100)
            .await
            .expect("notes")
            .into_iter()
            .filter(|n| n.subject.contains("2027年节假日安排"))
            .collect();
        assert_eq!(notes.len(), 1, "{backend}: one notice for the bundle");
        for r in &redated {
            assert!(
                notes[0].body.contains(&r.case_no),
                "{backend}: {}",
                notes[0].body
            );
        }
    }
}
