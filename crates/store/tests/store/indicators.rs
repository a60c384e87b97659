//! 效能评估 on both backends: the rollups the case writer keeps equal their
//! recomputation from the case events after a mix of real work (the demo's
//! weeks of cases through every step, 秒批 cases written one by one and
//! batched); a lost or altered row is reported and rebuilt; a month's report
//! is stored once however many instances try.

use tongban_domain::calendar::WorkCalendar;
use tongban_domain::indicators::rollup::Metric;
use tongban_domain::indicators::values::{Dim, Scope, value};

use crate::helpers::{actor, completed_case, count};
use crate::ratings::d;

#[tokio::test]
async fn rollups_equal_their_recomputation_and_differences_are_found() {
    for (backend, store) in tongban_store::testing::stores("kpi_verify").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let files = tongban_store::attachments::Attachments::in_memory();
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let today = d("2026-11-20");
        tongban_store::demo::load_demo_activity(&store, &files, &cal, today)
            .await
            .expect("activity");
        // 秒批 cases on two days, one at a time.
        let applicant = actor(&store, "applicant").await;
        for day in ["2026-11-02", "2026-11-02", "2026-11-03"] {
            completed_case(&store, &applicant, d(day)).await;
        }
        let (from, to) = (d("2026-01-01"), d("2026-12-31"));
        let diffs = store.kpi_verify(from, to).await.expect("verify");
        assert!(diffs.is_empty(), "{backend}: {diffs:?}");
        // The figures are alive, and as the events say.
        let scope = Scope {
            centre_path: "/".into(),
            ..Default::default()
        };
        let all = store
            .kpi_figures(&scope, from, to, Dim::Total, None)
            .await
            .expect("figures");
        let t = &all[0].1;
        let submitted = count(
            &store,
            "SELECT COUNT(*) AS n FROM case_events WHERE action = 'submit' AND day >= '2026-01-01'",
        )
        .await;
        assert_eq!(t.metric(Metric::Submitted), submitted, "{backend}");
        assert!(t.metric(Metric::Completed) >= 3, "{backend}");
        assert!(t.metric(Metric::DecidedByRules) >= 3, "{backend}");
        // The three 秒批 cases of 2026-11-02/03 were decided on the day.
        let nov = store
            .kpi_figures(&scope, d("2026-11-02"), d("2026-11-03"), Dim::Day, None)
            .await
            .expect("by day");
        let day2 = nov.iter().find(|(k, _)| k == "2026-11-02").expect("day");
        assert!(day2.1.metric(Metric::DecidedByRules) >= 2, "{backend}");
        let instant = value("instant_share", &day2.1).expect("defined");
        assert!(instant.numerator >= 2, "{backend}");
        // A row changed behind the writer's back is reported, then rebuilt.
        let c = store.conn();
        sea_orm::ConnectionTrait::execute_unprepared(
            c,
            "UPDATE kpi_rollups SET value = value + 5 WHERE metric = 'submitted' AND day = '2026-11-02'",
        )
        .await
        .expect("tamper");
        let diffs = store.kpi_verify(from, to).await.expect("verify");
        assert!(!diffs.is_empty(), "{backend}");
        assert!(
            diffs
                .iter()
                .all(|x| x.metric == "submitted" && x.stored == x.recomputed + 5)
        );
        let changed = store
            .kpi_rebuild(d("2026-11-01"), d("2026-11-30"))
            .await
            .expect("rebuild");
        assert!(changed >= 1);
        assert!(
            store.kpi_verify(from, to).await.expect("verify").is_empty(),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_months_report_is_stored_once_by_two_instances() {
    for (backend, a, b) in tongban_store::testing::store_pairs("kpi_report_once").await {
        tongban_store::demo::load_demo(&a).await.expect("demo");
        let centre = a.centres().await.expect("centres")[0].id;
        let (x, y) = tokio::join!(
            a.save_kpi_report(centre, "2026-11", b"first"),
            b.save_kpi_report(centre, "2026-11", b"second"),
        );
        let stored = [x.expect("a"), y.expect("b")];
        assert_eq!(
            stored.iter().filter(|s| **s).count(),
            1,
            "{backend}: exactly one stores"
        );
        let file = a
            .kpi_report_file(centre, "2026-11")
            .await
            .expect("read")
            .expect("file");
        assert!(file == b"first" || file == b"second");
        assert!(b.kpi_report_saved(centre, "2026-11").await.expect("saved"));
        assert!(!b.kpi_report_saved(centre, "2026-10").await.expect("none"));
    }
}
