//! `tongban demo generate` on both backends: generated cases are real
//! cases — the rollups agree with `kpi verify`'s recomputation from their
//! events, the mix holds what the dashboards need (秒批, late work, open
//! work, refusals, ratings), and a member of staff can take the next step
//! on a generated open case through the ordinary writer.

use std::sync::Arc;

use sea_orm::ConnectionTrait;

use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::Command;
use tongban_domain::indicators::rollup::Metric;
use tongban_domain::indicators::values::{Dim, Scope, read};
use tongban_store::demo::GenerateOptions;

use crate::helpers::count;
use crate::ratings::d;

/// Every centre.
fn whole() -> Scope {
    Scope {
        centre_path: "/".into(),
        ..Default::default()
    }
}

/// No rollup of `from..=to` differs from its recomputation.
async fn verifies(
    store: &tongban_store::Store,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> bool {
    store.kpi_verify(from, to).await.expect("verify").is_empty()
}

#[tokio::test]
async fn generated_cases_are_real_cases_and_their_figures_verify() {
    for (backend, store) in tongban_store::testing::stores("generate").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = Arc::new(WorkCalendar::builtin_with(&[]).expect("calendar"));
        let today = d("2026-11-20");
        let before = count(&store, "SELECT COUNT(*) AS n FROM cases").await;
        let seen = std::sync::Mutex::new(Vec::new());
        let opts = GenerateOptions {
            cases: 2_500,
            years: 3,
            seed: 7,
            today,
            open: true,
            city: true,
        };
        let done = store
            .generate_cases(&opts, cal.clone(), &|n| seen.lock().expect("lock").push(n))
            .await
            .expect("generate");
        assert_eq!(done.cases, 2_500, "{backend}");
        assert_eq!(
            count(&store, "SELECT COUNT(*) AS n FROM cases").await,
            before + 2_500,
            "{backend}"
        );
        // A city and its districts, each with its own cases; the demo
        // district now sits under the city, its paths with it.
        let centres = store.centres().await.expect("centres");
        let city = centres
            .iter()
            .find(|c| c.division_code == "339900")
            .expect("the city");
        assert_eq!(centres.len(), 4, "{backend}");
        assert!(
            centres.iter().all(|c| c.path.starts_with(&city.path)
                && (c.id == city.id || c.parent_id == Some(city.id))),
            "{backend}"
        );
        assert_eq!(
            count(&store, "SELECT COUNT(DISTINCT centre_id) AS n FROM cases").await,
            4,
            "{backend}"
        );
        assert_eq!(
            count(
                &store,
                &format!(
                    "SELECT COUNT(*) AS n FROM cases k JOIN centres c ON c.id = k.centre_id \
                     WHERE k.centre_path <> c.path OR k.centre_path NOT LIKE '{}%'",
                    city.path
                )
            )
            .await,
            0,
            "{backend}"
        );
        // Progress was told after each chunk, ending at the total.
        let seen = seen.into_inner().expect("lock");
        assert_eq!(seen.last().copied(), Some(2_500), "{backend}");
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "{backend}");
        assert_eq!(
            count(&store, "SELECT COUNT(*) AS n FROM case_events").await,
            i64::try_from(done.events).expect("events"),
            "{backend}"
        );
        // Every event lies between the case's submission and today.
        assert_eq!(
            count(
                &store,
                "SELECT COUNT(*) AS n FROM case_events WHERE day > '2026-11-20' OR day < '2023-11-01'"
            )
            .await,
            0,
            "{backend}"
        );
        // The rollups are what the events give.
        let diffs = store
            .kpi_verify(d("2023-01-01"), d("2026-12-31"))
            .await
            .expect("verify");
        assert!(diffs.is_empty(), "{backend}: {} differences", diffs.len());
        // Closed months were summed: a year's figures by department read
        // those sums and equal the days' own sums, row for row.
        let (y0, y1) = (d("2025-01-01"), d("2025-12-31"));
        let by_dept = store
            .kpi_figures(&whole(), y0, y1, Dim::Department, None)
            .await
            .expect("figures by department");
        let c = store.conn();
        let direct = c
            .query_all_raw(sea_orm::Statement::from_string(
                c.get_database_backend(),
                "SELECT CAST(department_id AS TEXT) AS k, metric, CAST(SUM(value) AS BIGINT) AS v FROM kpi_rollups \
                 WHERE day >= '2025-01-01' AND day <= '2025-12-31' GROUP BY department_id, metric"
                    .to_string(),
            ))
            .await
            .expect("direct sums");
        assert!(direct.len() > 50, "{backend}");
        for r in &direct {
            let k: String = r.try_get("", "k").expect("k");
            let m: String = r.try_get("", "metric").expect("metric");
            let v: i64 = r.try_get("", "v").expect("v");
            let row = by_dept
                .iter()
                .find(|(key, _)| *key == k)
                .expect("department row");
            assert_eq!(row.1.get(&m), v, "{backend}: {k} {m}");
        }
        assert!(
            count(
                &store,
                "SELECT COUNT(*) AS n FROM kpi_months WHERE month = '2025-06'"
            )
            .await
                > 0,
            "{backend}: months summed"
        );
        // The cases behind a number are exactly as many as the number, over
        // a year (the cases walked in id order) and over a month (found by
        // the month's events), page after page.
        for (from, to) in [(y0, y1), (d("2026-10-01"), d("2026-10-31"))] {
            let want = store
                .kpi_figures(&whole(), from, to, Dim::Total, None)
                .await
                .expect("figures")[0]
                .1
                .metric(Metric::Completed);
            let (mut seen, mut after) = (0, 0);
            loop {
                let page = store
                    .kpi_cases(
                        &whole(),
                        tongban_store::indicators::DrillWhat::Completed,
                        from,
                        to,
                        None,
                        None,
                        after,
                    )
                    .await
                    .expect("drill");
                assert!(page.cases.iter().all(|c| c.id > after), "{backend}");
                seen += page.cases.len() as i64;
                match page.next {
                    Some(n) => after = n,
                    None => break,
                }
            }
            assert!(want > 50, "{backend}: {want}");
            assert_eq!(seen, want, "{backend}: {from} – {to}");
        }
        // A period of partial months: its whole months from the sums, the
        // other days from the daily rollups, by month and in total.
        let (p0, p1) = (d("2025-05-15"), d("2025-08-10"));
        let scope_all = whole();
        let by_month = store
            .kpi_figures(&scope_all, p0, p1, Dim::Month, None)
            .await
            .expect("by month");
        let total = store
            .kpi_figures(&scope_all, p0, p1, Dim::Total, None)
            .await
            .expect("total");
        let direct = c
            .query_all_raw(sea_orm::Statement::from_string(
                c.get_database_backend(),
                "SELECT substr(day, 1, 7) AS k, metric, CAST(SUM(value) AS BIGINT) AS v FROM kpi_rollups \
                 WHERE day >= '2025-05-15' AND day <= '2025-08-10' GROUP BY substr(day, 1, 7), metric"
                    .to_string(),
            ))
            .await
            .expect("direct sums by month");
        let mut sum_all: std::collections::BTreeMap<String, i64> = Default::default();
        for r in &direct {
            let k: String = r.try_get("", "k").expect("k");
            let m: String = r.try_get("", "metric").expect("metric");
            let v: i64 = r.try_get("", "v").expect("v");
            *sum_all.entry(m.clone()).or_insert(0) += v;
            let row = by_month
                .iter()
                .find(|(key, _)| *key == k)
                .expect("month row");
            assert_eq!(row.1.get(&m), v, "{backend}: {k} {m}");
        }
        assert_eq!(by_month.len(), 4, "{backend}: May to August");
        for (m, v) in &sum_all {
            assert_eq!(total[0].1.get(m), *v, "{backend}: total {m}");
        }
        // A month's sum changed behind the writer's back is reported; a
        // rebuild of its days sums it again.
        sea_orm::ConnectionTrait::execute_unprepared(
            c,
            "UPDATE kpi_months SET value = value + 1 WHERE month = '2025-06' AND metric = 'submitted'",
        )
        .await
        .expect("tamper");
        let diffs = store
            .kpi_verify(d("2025-06-01"), d("2025-06-30"))
            .await
            .expect("verify");
        assert!(
            !diffs.is_empty()
                && diffs
                    .iter()
                    .all(|x| x.metric.contains("sum of 2025-06") && x.stored == x.recomputed + 1),
            "{backend}: {diffs:?}"
        );
        store
            .kpi_rebuild(d("2025-06-10"), d("2025-06-12"))
            .await
            .expect("rebuild");
        assert!(
            verifies(&store, d("2025-06-01"), d("2025-06-30")).await,
            "{backend}"
        );
        // The mix the dashboards need.
        let scope = whole();
        let all = store
            .kpi_figures(&scope, d("2023-01-01"), today, Dim::Total, Some(today))
            .await
            .expect("figures");
        let t = &all[0].1;
        assert_eq!(t.metric(Metric::Submitted), 2_500, "{backend}");
        for m in [
            Metric::Accepted,
            Metric::NotAccepted,
            Metric::DecidedByRules,
            Metric::CompletedOnTime,
            Metric::CompletedLate,
            Metric::NoVisit,
        ] {
            assert!(t.metric(m) > 0, "{backend}: no {}", m.name());
        }
        assert!(t.get(read::OPEN_PAST_PROMISE) > 0, "{backend}");
        assert!(done.open > 0 && done.ratings > 0, "{backend}: {done:?}");
        for (what, sql) in [
            (
                "suspended",
                "SELECT COUNT(*) AS n FROM case_events WHERE action = 'suspend'",
            ),
            (
                "extended",
                "SELECT COUNT(*) AS n FROM case_events WHERE action = 'extend'",
            ),
            (
                "withdrawn",
                "SELECT COUNT(*) AS n FROM cases WHERE state = 'withdrawn'",
            ),
            (
                "disapproved",
                "SELECT COUNT(*) AS n FROM cases WHERE approved = FALSE",
            ),
        ] {
            assert!(count(&store, sql).await > 0, "{backend}: none {what}");
        }
        // Every case that ended (completed or not accepted) was invited to be
        // rated, as the ratings' observer invites them; the rating
        // figures count exactly the ratings written.
        assert_eq!(
            count(&store, "SELECT COUNT(*) AS n FROM rating_invitations").await,
            count(
                &store,
                "SELECT COUNT(*) AS n FROM cases WHERE state IN ('completed', 'not_accepted')"
            )
            .await,
            "{backend}"
        );
        let r = store
            .rating_figures(&scope, d("2023-01-01"), today, Dim::Total)
            .await
            .expect("rating figures");
        assert_eq!(
            r[0].1.get(read::RATINGS),
            i64::try_from(done.ratings).expect("ratings"),
            "{backend}"
        );
        // A generated open case takes its next step like any other.
        let (case_id, version, dept) = {
            let c = store.conn();
            let r = c
                .query_one_raw(sea_orm::Statement::from_string(
                    c.get_database_backend(),
                    "SELECT k.id, k.version, t.department_id FROM cases k JOIN case_tasks t ON t.case_id = k.id \
                     WHERE k.state = 'review' AND t.status = 'active' ORDER BY k.id LIMIT 1"
                        .to_string(),
                ))
                .await
                .expect("query")
                .expect("an open case in review");
            (
                r.try_get::<i64>("", "id").expect("id"),
                r.try_get::<i64>("", "version").expect("version"),
                r.try_get::<i64>("", "department_id").expect("dept"),
            )
        };
        let reviewer = store
            .users()
            .await
            .expect("users")
            .into_iter()
            .find(|u| {
                u.role == tongban_domain::auth::Role::Reviewer && u.department_id == Some(dept)
            })
            .expect("a reviewer of the department");
        let actor = crate::helpers::actor(&store, &reviewer.username).await;
        let cmd = Command::CompleteReview {
            agree: true,
            opinion: "同意".into(),
        };
        store
            .case_command(&actor, case_id, Some(version), &cmd, &cal, today)
            .await
            .expect("the next step");
        assert!(
            verifies(&store, d("2026-11-20"), d("2026-11-20")).await,
            "{backend}"
        );
        // Without open work, every generated case is finished by today.
        let more = GenerateOptions {
            cases: 300,
            seed: 8,
            open: false,
            ..opts
        };
        let done = store
            .generate_cases(&more, cal.clone(), &|_| {})
            .await
            .expect("generate closed");
        assert_eq!((done.cases, done.open), (300, 0), "{backend}");
        // The city is built once: a second run adds no centre.
        assert_eq!(
            store.centres().await.expect("centres").len(),
            4,
            "{backend}"
        );
        let diffs = store
            .kpi_verify(d("2023-01-01"), d("2026-12-31"))
            .await
            .expect("verify");
        assert!(diffs.is_empty(), "{backend}: {} differences", diffs.len());
    }
}

/// Staff of a department in a role, as an actor.
async fn staff_of(
    store: &tongban_store::Store,
    role: tongban_domain::auth::Role,
    dept: Option<i64>,
) -> tongban_domain::auth::Actor {
    let u = store
        .users()
        .await
        .expect("users")
        .into_iter()
        .find(|u| u.role == role && (dept.is_none() || u.department_id == dept))
        .expect("staff");
    crate::helpers::actor(store, &u.username).await
}

#[tokio::test]
async fn rollups_equal_verify_after_a_random_mix_of_commands_batched_and_one_by_one() {
    use tongban_domain::auth::Role;
    use tongban_domain::clock::SuspendReason;
    for (backend, store) in tongban_store::testing::stores("kpi_random_mix").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = Arc::new(WorkCalendar::builtin_with(&[]).expect("calendar"));
        let opts = GenerateOptions {
            cases: 1_500,
            years: 1,
            seed: 11,
            today: d("2026-11-20"),
            open: true,
            city: false,
        };
        store
            .generate_cases(&opts, cal.clone(), &|_| {})
            .await
            .expect("generate");
        let clerk = crate::helpers::actor(&store, "clerk").await;
        let applicant = crate::helpers::actor(&store, "gen_public").await;
        // A step written late, on a day of a month already summed, adds to
        // that month's sum too.
        let c = store.conn();
        let mark = c
            .query_one_raw(sea_orm::Statement::from_string(
                c.get_database_backend(),
                "SELECT month FROM kpi_summary_state".to_string(),
            ))
            .await
            .expect("query")
            .expect("months were summed");
        assert_eq!(
            mark.try_get::<String>("", "month").expect("month"),
            "2026-10",
            "{backend}"
        );
        let late = c
            .query_one_raw(sea_orm::Statement::from_string(
                c.get_database_backend(),
                "SELECT k.id, k.version, k.lead_department_id FROM cases k WHERE k.state = 'decision' \
                 AND NOT EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = k.id AND e.day > '2026-10-28') \
                 ORDER BY k.id LIMIT 1"
                    .to_string(),
            ))
            .await
            .expect("query")
            .expect("a case awaiting decision since before 2026-10-28");
        let (id, version, lead): (i64, i64, i64) = (
            late.try_get("", "id").expect("id"),
            late.try_get("", "version").expect("version"),
            late.try_get("", "lead_department_id").expect("lead"),
        );
        let head = staff_of(&store, Role::Head, Some(lead)).await;
        let decided = "SELECT CAST(COALESCE(SUM(value), 0) AS BIGINT) AS n FROM kpi_months WHERE month = '2026-10' AND metric = 'decided'";
        let before = count(&store, decided).await;
        let cmd = Command::Decide {
            approve: true,
            reason: "准予许可".into(),
        };
        store
            .case_command(&head, id, Some(version), &cmd, &cal, d("2026-10-30"))
            .await
            .expect("a late step");
        assert_eq!(count(&store, decided).await, before + 1, "{backend}");
        assert!(
            verifies(&store, d("2026-10-01"), d("2026-10-31")).await,
            "{backend}: the late step's month"
        );
        // A small LCG: the same mix every run.
        let mut seed: u64 = 0x5eed;
        let mut roll = |n: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        let (mut taken, mut refused) = (0, 0);
        for (round, today) in [d("2026-11-20"), d("2026-11-23"), d("2026-11-24")]
            .into_iter()
            .enumerate()
        {
            let c = store.conn();
            let open = c
                .query_all_raw(sea_orm::Statement::from_string(
                    c.get_database_backend(),
                    "SELECT k.id, k.version, k.state, k.lead_department_id, \
                     (SELECT t.department_id FROM case_tasks t WHERE t.case_id = k.id AND t.status = 'active' LIMIT 1) AS task \
                     FROM cases k WHERE k.state NOT IN ('completed', 'not_accepted', 'withdrawn', 'draft') ORDER BY k.id"
                        .to_string(),
                ))
                .await
                .expect("open cases");
            assert!(!open.is_empty(), "{backend}: no open cases");
            let mut batch = Vec::new();
            for r in &open {
                let id: i64 = r.try_get("", "id").expect("id");
                let version: i64 = r.try_get("", "version").expect("version");
                let state: String = r.try_get("", "state").expect("state");
                let lead: i64 = r.try_get("", "lead_department_id").expect("lead");
                let task: Option<i64> = r.try_get("", "task").expect("task");
                let (who, cmd) = match state.as_str() {
                    "submitted" if roll(5) == 0 => (
                        clerk.clone(),
                        Command::Refuse {
                            reason: "不属于本机关职权范围".into(),
                            competent_agency: "街道便民服务中心".into(),
                        },
                    ),
                    "submitted" => (clerk.clone(), Command::Accept),
                    "review" => {
                        let reviewer = staff_of(&store, Role::Reviewer, task.or(Some(lead))).await;
                        match roll(6) {
                            0 => (
                                reviewer,
                                Command::Suspend {
                                    reason: SuspendReason::SpecialProcedure("检测".into()),
                                    note: "送检".into(),
                                    materials: Vec::new(),
                                },
                            ),
                            1 => (
                                applicant.clone(),
                                Command::Withdraw {
                                    reason: "不再需要".into(),
                                },
                            ),
                            n => (
                                reviewer,
                                Command::CompleteReview {
                                    agree: n != 2,
                                    opinion: "审查意见".into(),
                                },
                            ),
                        }
                    }
                    "suspended" => (
                        staff_of(&store, Role::Reviewer, Some(lead)).await,
                        Command::Resume,
                    ),
                    "decision" => {
                        let head = staff_of(&store, Role::Head, Some(lead)).await;
                        match roll(5) {
                            0 => (
                                head,
                                Command::Extend {
                                    days: 5,
                                    reason: "情况复杂".into(),
                                },
                            ),
                            n => (
                                head,
                                Command::Decide {
                                    approve: n != 1,
                                    reason: "决定".into(),
                                },
                            ),
                        }
                    }
                    "certifying" => (
                        staff_of(&store, Role::Reviewer, Some(lead)).await,
                        Command::Issue,
                    ),
                    "delivering" => (
                        clerk.clone(),
                        Command::Deliver {
                            method: if roll(2) == 0 {
                                "窗口领取"
                            } else {
                                "电子送达"
                            }
                            .into(),
                        },
                    ),
                    _ => continue,
                };
                // Now and then a stale version: refused, nothing changes.
                let version = if roll(15) == 0 { version - 1 } else { version };
                if (id + round as i64) % 2 == 0 {
                    batch.push(tongban_store::cases::Job::command(
                        &who,
                        id,
                        Some(version),
                        cmd,
                        cal.clone(),
                        today,
                    ));
                } else {
                    match store
                        .case_command(&who, id, Some(version), &cmd, &cal, today)
                        .await
                    {
                        Ok(_) => taken += 1,
                        Err(_) => refused += 1,
                    }
                }
            }
            for part in batch.chunks(24) {
                for r in store.run_jobs(part).await {
                    if r.is_ok() {
                        taken += 1;
                    } else {
                        refused += 1;
                    }
                }
            }
            let diffs = store
                .kpi_verify(d("2025-01-01"), d("2026-12-31"))
                .await
                .expect("verify");
            assert!(diffs.is_empty(), "{backend} round {round}: {diffs:?}");
        }
        assert!(
            taken > 50 && refused > 0,
            "{backend}: {taken} taken, {refused} refused"
        );
    }
}
