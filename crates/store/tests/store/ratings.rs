//! 好差评 on both backends: one rating per case and channel even when sent
//! at once; a 差评's deadlines on the working-day calendar; the
//! rectification loop to the applicant's verdict; an upheld appeal takes a
//! rating out of the figures and keeps it; corrections are new records;
//! the window's tablet rates once; default ratings only when turned on.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::ratings::{CentreProfile, RatingChannel, RatingInput, RectifyState};
use tongban_store::StoreError;
use tongban_store::ratings::{NewRating, RatingFilter, Subject};

use crate::helpers::{actor, completed_case, count};

pub(crate) fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

pub(crate) fn online(level: i64, reasons: &[&str]) -> NewRating {
    NewRating {
        channel: RatingChannel::Online,
        input: RatingInput {
            level,
            indicators: [
                ("efficiency", level),
                ("guide_accuracy", level),
                ("convenience", level),
                ("usability", level),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<BTreeMap<_, _>>(),
            reasons: reasons.iter().map(|r| r.to_string()).collect(),
            comment: "材料要求写得不清楚，来回跑了两次".into(),
        },
        sub_case_id: None,
    }
}

pub(crate) fn on_site(level: i64, reasons: &[&str]) -> RatingInput {
    RatingInput {
        level,
        indicators: [
            ("service_efficiency", level),
            ("service_level", level),
            ("attitude", level),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
        reasons: reasons.iter().map(|r| r.to_string()).collect(),
        comment: String::new(),
    }
}

#[tokio::test]
async fn one_rating_per_case_and_channel_even_when_sent_at_once() {
    for (backend, store) in tongban_store::testing::stores("ratings_once").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let day = d("2026-03-02");
        let applicant = actor(&store, "applicant").await;
        let id = completed_case(&store, &applicant, day).await;
        // Eight submits of the same rating at the same moment (a double click, twice over).
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (store, applicant, cal) = (store.clone(), applicant.clone(), cal.clone());
            tasks.push(tokio::spawn(async move {
                store
                    .rate(&applicant, Subject::Case, id, &online(5, &[]), &cal, day)
                    .await
            }));
        }
        let mut ok = 0;
        for t in tasks {
            match t.await.expect("task") {
                Ok(_) => ok += 1,
                Err(StoreError::Conflict { zh, .. }) => {
                    assert!(zh.contains("每个渠道只能评价一次"), "{zh}")
                }
                Err(e) => panic!("{backend}: {e}"),
            }
        }
        assert_eq!(ok, 1, "{backend}: one rating recorded");
        assert_eq!(
            count(&store, "SELECT COUNT(*) AS n FROM ratings").await,
            1,
            "{backend}"
        );
        // The hotline is another channel: the window's staff enter it.
        let clerk = actor(&store, "clerk").await;
        let hotline = NewRating {
            channel: RatingChannel::Hotline,
            input: on_site(4, &[]),
            sub_case_id: None,
        };
        store
            .rate(&clerk, Subject::Case, id, &hotline, &cal, day)
            .await
            .unwrap_or_else(|e| panic!("{backend}: hotline: {e}"));
        // Only the applicant rates online; a reviewer of another department does not see it.
        assert!(matches!(
            store
                .rate(&clerk, Subject::Case, id, &online(5, &[]), &cal, day)
                .await,
            Err(StoreError::Forbidden(_))
        ));
        let reviewer = actor(&store, "reviewer").await;
        assert!(matches!(
            store
                .rate(&reviewer, Subject::Case, id, &online(5, &[]), &cal, day)
                .await,
            Err(StoreError::NotFound(_))
        ));
        // Outside the window (10 working days from 2 March: 16 March is the last).
        let other = completed_case(&store, &applicant, day).await;
        match store
            .rate(
                &applicant,
                Subject::Case,
                other,
                &online(5, &[]),
                &cal,
                d("2026-03-17"),
            )
            .await
        {
            Err(StoreError::Invalid(e)) => assert_eq!(e.0[0].code, "window_closed", "{backend}"),
            x => panic!("{backend}: after the window: {x:?}"),
        }
        // Before completion there is nothing to rate.
        let open = store
            .create_case(
                &applicant,
                "11339901MB000000374080301001000",
                tongban_store::cases::NewCase {
                    form: crate::helpers::map(&[
                        ("baby_name", "张小宝"),
                        ("birth_date", "2026-02-20"),
                        ("guardian_name", "张三"),
                        ("phone", "13800000000"),
                    ]),
                    ..Default::default()
                },
            )
            .await
            .expect("draft");
        match store
            .rate(
                &applicant,
                Subject::Case,
                open.id,
                &online(5, &[]),
                &cal,
                day,
            )
            .await
        {
            Err(StoreError::Invalid(e)) => assert_eq!(e.0[0].code, "not_completed", "{backend}"),
            x => panic!("{backend}: before completion: {x:?}"),
        }
    }
}

#[tokio::test]
async fn a_bad_rating_on_the_friday_before_the_spring_festival_is_due_after_the_holiday() {
    for (backend, store) in tongban_store::testing::stores("ratings_due").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let applicant = actor(&store, "applicant").await;
        let id = completed_case(&store, &applicant, d("2026-02-12")).await;
        // No reason: refused, nothing recorded.
        match store
            .rate(
                &applicant,
                Subject::Case,
                id,
                &online(2, &[]),
                &cal,
                d("2026-02-13"),
            )
            .await
        {
            Err(StoreError::Invalid(e)) => assert_eq!(e.0[0].field, "reasons"),
            x => panic!("{backend}: {x:?}"),
        }
        assert_eq!(count(&store, "SELECT COUNT(*) AS n FROM ratings").await, 0);
        let r = store
            .rate(
                &applicant,
                Subject::Case,
                id,
                &online(2, &["R01", "R02"]),
                &cal,
                d("2026-02-13"),
            )
            .await
            .unwrap_or_else(|e| panic!("{backend}: {e}"));
        let reviewer_yb = actor(&store, "reviewer_yb").await;
        let open = store
            .rectifications_for(&reviewer_yb, true)
            .await
            .expect("list");
        assert_eq!(open.len(), 1, "{backend}: the handling department owns it");
        let x = &open[0];
        assert_eq!(x.rating.id, r.id);
        assert_eq!(x.state, RectifyState::AwaitingVisit);
        // Friday 13 February 2026: 回访 by Saturday 14 February (a 调休
        // working day); rectification within 5 working days: 14, 24–27 February.
        assert_eq!(x.visit_due, d("2026-02-14"), "{backend}");
        assert_eq!(x.fix_due, d("2026-02-27"), "{backend}");
        // The department was told.
        assert!(
            count(
                &store,
                &format!(
                    "SELECT COUNT(*) AS n FROM notifications WHERE user_id = {} AND subject LIKE '【差评】%'",
                    reviewer_yb.user_id
                )
            )
            .await
                == 1
        );
        // Another department neither sees nor acts on it.
        let reviewer = actor(&store, "reviewer").await;
        assert!(
            store
                .rectifications_for(&reviewer, true)
                .await
                .expect("list")
                .is_empty()
        );
        assert!(matches!(
            store.rectification_for(&reviewer, x.id).await,
            Err(StoreError::NotFound(_))
        ));
        // A centre that allows 10 working days for its rectifications.
        let admin = actor(&store, "admin").await;
        let mut p = CentreProfile::default();
        p.ratings.rectify_days = tongban_domain::catalog::DayCount::of(10);
        store.put_centre_profile(&admin, &p).await.expect("profile");
        let id2 = completed_case(&store, &applicant, d("2026-02-12")).await;
        store
            .rate(
                &applicant,
                Subject::Case,
                id2,
                &online(1, &["R04"]),
                &cal,
                d("2026-02-13"),
            )
            .await
            .expect("rated");
        let open = store
            .rectifications_for(&reviewer_yb, true)
            .await
            .expect("list");
        let second = open.iter().find(|x| x.rating.id != r.id).expect("second");
        // 14, 24–27 February, 28 (调休), 2–5 March.
        assert_eq!(second.fix_due, d("2026-03-05"), "{backend}");
    }
}

#[tokio::test]
async fn a_correction_is_a_new_linked_record_and_the_tablet_rates_once() {
    for (backend, store) in tongban_store::testing::stores("ratings_correct").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let day = d("2026-03-02");
        let applicant = actor(&store, "applicant").await;
        let clerk = actor(&store, "clerk").await;
        let id = completed_case(&store, &applicant, day).await;
        let first = store
            .rate(&applicant, Subject::Case, id, &online(3, &[]), &cal, day)
            .await
            .expect("rated");
        let second = store
            .correct_rating(&applicant, first.id, &online(5, &[]).input, &cal, day)
            .await
            .expect("corrected");
        assert_eq!(second.corrects_id, Some(first.id));
        assert_eq!(second.revision, 1);
        let (_, all) = store
            .rating_subject(&applicant, Subject::Case, id)
            .await
            .expect("history");
        assert_eq!(all.len(), 2, "{backend}: both kept");
        assert_eq!(all[0].superseded_by, Some(second.id));
        let f = RatingFilter {
            from: day,
            to: day,
            centre_path: "/1/".into(),
            department_id: None,
        };
        let p = store.public_ratings(&f).await.expect("public");
        assert_eq!(
            (p.total.count, p.total.per_level[0]),
            (1, 1),
            "{backend}: the current one counts"
        );
        // Someone else cannot correct it.
        assert!(matches!(
            store
                .correct_rating(&clerk, second.id, &online(1, &["R04"]).input, &cal, day)
                .await,
            Err(StoreError::Forbidden(_))
        ));

        // The window's tablet: one page for the case, one rating, no sign-in.
        let (token, shown) = store
            .open_onsite_rating(&clerk, Subject::Case, id, &cal, day)
            .await
            .expect("tablet");
        assert!(
            !serde_json::to_string(&shown)
                .expect("json")
                .contains("张三")
        );
        let r = store
            .rate_onsite(&token, &on_site(4, &[]), &cal, day)
            .await
            .expect("rated on site");
        assert_eq!(r.channel, RatingChannel::OnSite);
        assert_eq!(r.entered_by, Some(clerk.user_id));
        assert!(matches!(
            store.rate_onsite(&token, &on_site(4, &[]), &cal, day).await,
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            store.onsite_case("not-a-token").await,
            Err(StoreError::NotFound(_))
        ));
        // Nobody corrects what was given at the tablet, not even its opener.
        assert!(matches!(
            store
                .correct_rating(&clerk, r.id, &on_site(1, &["R04"]), &cal, day)
                .await,
            Err(StoreError::Forbidden(_))
        ));
        // A second tablet page for a case rated on site is refused.
        assert!(matches!(
            store
                .open_onsite_rating(&clerk, Subject::Case, id, &cal, day)
                .await,
            Err(StoreError::Conflict { .. })
        ));
    }
}

#[tokio::test]
async fn default_ratings_only_when_the_centre_turns_them_on_and_counted_apart() {
    for (backend, store) in tongban_store::testing::stores("ratings_default").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let applicant = actor(&store, "applicant").await;
        completed_case(&store, &applicant, d("2026-03-02")).await;
        // Off by default: nothing is written for the applicant.
        let done = store
            .sweep_ratings(&cal, d("2026-04-01"))
            .await
            .expect("sweep");
        assert_eq!(done.defaults, 0, "{backend}");
        let admin = actor(&store, "admin").await;
        let mut p = CentreProfile::default();
        p.ratings.default_rating = Some(tongban_domain::ratings::DefaultRating {
            level: 4,
            after_days: tongban_domain::catalog::DayCount::of(15),
            since_ms: None,
        });
        store.put_centre_profile(&admin, &p).await.expect("profile");
        // The case completed before the rule was turned on keeps no rating.
        assert_eq!(
            store
                .sweep_ratings(&cal, d("2026-04-01"))
                .await
                .expect("sweep")
                .defaults,
            0,
            "{backend}: no default for the backlog"
        );
        // Saving the profile again keeps the day the rule was turned on.
        store.put_centre_profile(&admin, &p).await.expect("profile");
        completed_case(&store, &applicant, d("2026-03-02")).await;
        // 15 working days after 2 March is 23 March: not yet on the 23rd.
        assert_eq!(
            store
                .sweep_ratings(&cal, d("2026-03-23"))
                .await
                .expect("sweep")
                .defaults,
            0
        );
        assert_eq!(
            store
                .sweep_ratings(&cal, d("2026-03-24"))
                .await
                .expect("sweep")
                .defaults,
            1
        );
        assert_eq!(
            store
                .sweep_ratings(&cal, d("2026-03-25"))
                .await
                .expect("sweep")
                .defaults,
            0
        );
        let f = RatingFilter {
            from: d("2026-03-01"),
            to: d("2026-03-31"),
            centre_path: "/1/".into(),
            department_id: None,
        };
        let p = store.public_ratings(&f).await.expect("public");
        assert_eq!((p.total.count, p.defaults), (0, 1), "{backend}: apart");
        assert_eq!(
            count(
                &store,
                "SELECT COUNT(*) AS n FROM ratings WHERE is_default = true"
            )
            .await,
            1
        );
    }
}

#[tokio::test]
async fn the_demo_s_activity_shows_every_rectification_state() {
    for (backend, store) in tongban_store::testing::stores("ratings_demo").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let files = tongban_store::attachments::Attachments::in_memory();
        let today = d("2026-12-07");
        tongban_store::demo::load_demo_activity(&store, &files, &cal, today)
            .await
            .unwrap_or_else(|e| panic!("{backend}: {e}"));
        let supervisor = actor(&store, "supervisor").await;
        let all = store
            .rectifications_for(&supervisor, false)
            .await
            .expect("all");
        let states: Vec<RectifyState> = all.iter().map(|r| r.state).collect();
        for want in [
            RectifyState::AwaitingVisit,
            RectifyState::AwaitingVerification,
            RectifyState::Verified,
            RectifyState::Appealed,
        ] {
            assert!(states.contains(&want), "{backend}: {want:?} in {states:?}");
        }
        // The one awaiting its 回访 is overdue.
        let overdue = all
            .iter()
            .find(|r| r.state == RectifyState::AwaitingVisit)
            .expect("awaiting visit");
        assert!(
            overdue.visit_due < today,
            "{backend}: {}",
            overdue.visit_due
        );
        let f = RatingFilter {
            from: d("2026-11-01"),
            to: today,
            centre_path: "/".into(),
            department_id: None,
        };
        let p = store.public_ratings(&f).await.expect("public");
        assert!(
            p.total.per_level[0] + p.total.per_level[1] > p.bad.len() as i64,
            "{backend}: mostly 满意"
        );
        let officer = actor(&store, "officer").await;
        assert_eq!(
            store.walkthroughs_for(&officer).await.expect("walks").len(),
            2
        );
    }
}

#[tokio::test]
async fn a_bundle_is_rated_as_one_and_a_bad_rating_goes_to_the_service_it_names() {
    use tongban_domain::case::{CaseState, Command};
    for (backend, store) in tongban_store::testing::stores("ratings_bundle").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let files = tongban_store::attachments::Attachments::in_memory();
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let day = d("2026-03-02");
        let applicant = actor(&store, "applicant").await;
        let clerk = actor(&store, "clerk").await;
        let b = crate::helpers::ready_newborn(&store, &files, &applicant, "rated").await;
        store
            .submit_bundle(&applicant, b.id, &cal, day)
            .await
            .expect("submitted");
        let rec = store
            .accept_bundle(&clerk, b.id, &cal, day)
            .await
            .expect("accepted");
        let staff = [
            ("卫生健康", "reviewer", "head"),
            ("公安", "reviewer_ga", "head_ga"),
            ("医疗保障", "reviewer_yb", "head_yb"),
            ("人力资源", "reviewer_rs", "head_rs"),
        ];
        let mut reg = 0;
        for (n, c) in rec.sub_cases.iter().enumerate() {
            let (_, r, h) = staff
                .iter()
                .find(|(dname, _, _)| c.lead_department_name.contains(dname))
                .expect("staff");
            let (r, h) = (actor(&store, r).await, actor(&store, h).await);
            if c.item_name.starts_with("出生登记") {
                reg = c.id;
            }
            for (who, cmd) in [
                (
                    &r,
                    Command::CompleteReview {
                        agree: true,
                        opinion: "同意".into(),
                    },
                ),
                (
                    &h,
                    Command::Decide {
                        approve: true,
                        reason: "准予".into(),
                    },
                ),
                (&r, Command::Issue),
                (
                    &clerk,
                    Command::Deliver {
                        method: "邮寄".into(),
                    },
                ),
            ] {
                store
                    .case_command(who, c.id, None, &cmd, &cal, day)
                    .await
                    .unwrap_or_else(|e| panic!("{backend} {}: {}: {e}", c.item_name, cmd.name()));
            }
            // Nothing to rate until the last service has ended.
            if n + 1 < rec.sub_cases.len() {
                assert!(
                    store
                        .rating_subject(&applicant, Subject::Bundle, b.id)
                        .await
                        .is_err()
                );
            }
        }
        let now = store.bundle_for(&applicant, b.id).await.expect("bundle");
        assert!(
            now.sub_cases
                .iter()
                .all(|c| c.state == CaseState::Completed)
        );
        // A service of the bundle is not rated on its own.
        match store
            .rate(&applicant, Subject::Case, reg, &online(5, &[]), &cal, day)
            .await
        {
            Err(StoreError::Invalid(e)) => assert_eq!(e.0[0].code, "rated_as_bundle", "{backend}"),
            other => panic!("{backend}: {other:?}"),
        }
        // A 差评 naming 出生登记 goes to 公安; one naming none to the centre's window.
        let mut named = online(2, &["R02"]);
        named.sub_case_id = Some(reg);
        store
            .rate(&applicant, Subject::Bundle, b.id, &named, &cal, day)
            .await
            .unwrap_or_else(|e| panic!("{backend}: {e}"));
        let reviewer_ga = actor(&store, "reviewer_ga").await;
        assert_eq!(
            store
                .rectifications_for(&reviewer_ga, true)
                .await
                .expect("ga")
                .len(),
            1,
            "{backend}"
        );
        let hotline = NewRating {
            channel: RatingChannel::Hotline,
            input: on_site(1, &["R07"]),
            sub_case_id: None,
        };
        // The clerk who took the application in does not enter its rating.
        match store
            .rate(&clerk, Subject::Bundle, b.id, &hotline, &cal, day)
            .await
        {
            Err(StoreError::Invalid(e)) => assert_eq!(e.0[0].code, "own_work", "{backend}"),
            other => panic!("{backend}: {other:?}"),
        }
        let seat = actor(&store, "clerk_hotline").await;
        store
            .rate(&seat, Subject::Bundle, b.id, &hotline, &cal, day)
            .await
            .unwrap_or_else(|e| panic!("{backend}: {e}"));
        let centre = store
            .rectifications_for(&clerk, true)
            .await
            .expect("centre");
        assert_eq!(centre.len(), 1, "{backend}: the centre's window owns it");
        assert_eq!(centre[0].department_id, None);
        // A service of another application cannot be named.
        let mut wrong = online(2, &["R02"]);
        wrong.sub_case_id = Some(999_999);
        match store
            .rate(&applicant, Subject::Bundle, b.id, &wrong, &cal, day)
            .await
        {
            Err(StoreError::Invalid(e)) => assert_eq!(e.0[0].field, "sub_case_id", "{backend}"),
            other => panic!("{backend}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn an_export_holds_every_rating_of_the_period_not_one_page() {
    for (backend, store) in tongban_store::testing::stores("ratings_export").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let last = d("2026-03-31");
        store
            .seed_ratings(2500, last, 10, 1, 2)
            .await
            .expect("seed");
        let supervisor = actor(&store, "supervisor").await;
        let f = RatingFilter {
            from: d("2026-03-01"),
            to: last,
            centre_path: supervisor.centre_path.clone(),
            department_id: None,
        };
        let rows = store.ratings_export(&supervisor, &f).await.expect("export");
        assert_eq!(rows.len(), 2500, "{backend}: past the 1000-row pages");
        assert!(
            rows.windows(2).all(|w| w[0].0.id > w[1].0.id),
            "{backend}: newest first, none twice"
        );
    }
}
