//! The 差评 rectification loop: the visit, the rectification, verification,
//! the applicant's verdict, and appeals (evidence first; an upheld one keeps
//! the rating out of the figures).

use tongban_domain::calendar::WorkCalendar;
use tongban_domain::ratings::{AppealGround, RectifyState, Verdict};
use tongban_store::StoreError;
use tongban_store::ratings::{RatingFilter, RectifyAction, Subject};

use crate::helpers::{actor, completed_case, count};
use crate::ratings::{d, online};

#[tokio::test]
async fn a_rectification_goes_from_visit_to_the_applicant_s_verdict_and_an_appeal_keeps_the_rating()
{
    for (backend, store) in tongban_store::testing::stores("ratings_loop").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let day = d("2026-03-02");
        let applicant = actor(&store, "applicant").await;
        let reviewer_yb = actor(&store, "reviewer_yb").await;
        let head_yb = actor(&store, "head_yb").await;
        let supervisor = actor(&store, "supervisor").await;
        let id = completed_case(&store, &applicant, day).await;
        store
            .rate(
                &applicant,
                Subject::Case,
                id,
                &online(2, &["R01"]),
                &cal,
                day,
            )
            .await
            .expect("rated");
        let x = store
            .rectifications_for(&reviewer_yb, true)
            .await
            .expect("list")[0]
            .clone();
        // The order is fixed: rectify before the visit is refused.
        let rectify = RectifyAction::Rectify {
            cause: "指南未写明需要原件".into(),
            measures: "修订办事指南，补充原件要求".into(),
        };
        assert!(matches!(
            store
                .rectification_act(&reviewer_yb, x.id, None, &rectify)
                .await,
            Err(StoreError::Invalid(_))
        ));
        // An empty visit record is refused at its fields.
        match store
            .rectification_act(
                &reviewer_yb,
                x.id,
                None,
                &RectifyAction::Visit {
                    method: String::new(),
                    note: String::new(),
                    at: None,
                },
            )
            .await
        {
            Err(StoreError::Invalid(e)) => {
                let f: Vec<&str> = e.0.iter().map(|x| x.field.as_str()).collect();
                assert_eq!(f, vec!["method", "note"], "{backend}");
            }
            other => panic!("{backend}: {other:?}"),
        }
        // A visit said to be tomorrow is refused; nothing changes.
        let tomorrow = chrono::Utc::now()
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .naive_local()
            + chrono::Duration::days(1);
        match store
            .rectification_act(
                &reviewer_yb,
                x.id,
                Some(x.version),
                &RectifyAction::Visit {
                    method: "电话".into(),
                    note: "申请人表示理解".into(),
                    at: Some(tomorrow),
                },
            )
            .await
        {
            Err(StoreError::Invalid(e)) => {
                assert_eq!(
                    (e.0[0].field.as_str(), e.0[0].code.as_str()),
                    ("at", "future")
                );
            }
            other => panic!("{backend}: {other:?}"),
        }
        let v = store
            .rectification_act(
                &reviewer_yb,
                x.id,
                Some(x.version),
                &RectifyAction::Visit {
                    method: "电话".into(),
                    note: "申请人表示第二次才知道要带原件".into(),
                    at: None,
                },
            )
            .await
            .expect("visit");
        // A stale version is refused.
        assert!(matches!(
            store
                .rectification_act(&head_yb, x.id, Some(x.version), &rectify)
                .await,
            Err(StoreError::Conflict { .. })
        ));
        let v = store
            .rectification_act(&head_yb, x.id, Some(v.version), &rectify)
            .await
            .expect("rectify");
        assert_eq!(v.state, RectifyState::AwaitingVerification);
        // Only a supervisor verifies; sent back, rectified again, verified.
        assert!(matches!(
            store
                .rectification_act(&head_yb, x.id, None, &RectifyAction::Verify)
                .await,
            Err(StoreError::Forbidden(_))
        ));
        store
            .rectification_act(
                &supervisor,
                x.id,
                None,
                &RectifyAction::SendBack {
                    reason: "请附修订后的指南".into(),
                },
            )
            .await
            .expect("sent back");
        store
            .rectification_act(&reviewer_yb, x.id, None, &rectify)
            .await
            .expect("again");
        let v = store
            .rectification_act(&supervisor, x.id, None, &RectifyAction::Verify)
            .await
            .expect("verified");
        assert_eq!(v.state, RectifyState::Verified);
        // The applicant gives a verdict, once.
        let verdict = RectifyAction::Verdict {
            verdict: Verdict::Satisfied,
        };
        assert!(matches!(
            store
                .rectification_act(&reviewer_yb, x.id, None, &verdict)
                .await,
            Err(StoreError::Forbidden(_))
        ));
        let v = store
            .rectification_act(&applicant, x.id, None, &verdict)
            .await
            .expect("verdict");
        assert_eq!(v.verdict, Some(Verdict::Satisfied));
        assert!(matches!(
            store
                .rectification_act(&applicant, x.id, None, &verdict)
                .await,
            Err(StoreError::Conflict { .. })
        ));

        // A second 差评, appealed as mistaken and upheld: kept, not counted.
        let id2 = completed_case(&store, &applicant, day).await;
        let bad = store
            .rate(
                &applicant,
                Subject::Case,
                id2,
                &online(1, &["R04"]),
                &cal,
                day,
            )
            .await
            .expect("rated");
        let f = RatingFilter {
            from: day,
            to: day,
            centre_path: "/1/".into(),
            department_id: None,
        };
        let before = store.public_ratings(&f).await.expect("public");
        assert_eq!(before.total.count, 2, "{backend}");
        assert_eq!(before.bad.len(), 2, "{backend}");
        let y = store
            .rectifications_for(&reviewer_yb, true)
            .await
            .expect("list")
            .into_iter()
            .find(|r| r.rating.id == bad.id)
            .expect("second");
        let appeal = RectifyAction::Appeal {
            ground: AppealGround::Mistaken,
            statement: "申请人来电说明误点了非常不满意".into(),
        };
        // Without evidence the appeal is refused, and nothing changes.
        match store.rectification_act(&head_yb, y.id, None, &appeal).await {
            Err(StoreError::Invalid(e)) => assert_eq!(e.0[0].code, "evidence_required"),
            other => panic!("{backend}: {other:?}"),
        }
        let files = tongban_store::attachments::Attachments::in_memory();
        store
            .rectification_file(
                &files,
                &head_yb,
                y.id,
                true,
                "录音.pdf",
                b"%PDF-1.4 x".to_vec(),
            )
            .await
            .expect("evidence");
        store
            .rectification_act(&head_yb, y.id, None, &appeal)
            .await
            .expect("appeal");
        // The applicant sees neither the appeal nor its evidence.
        let seen = store
            .rectification_for(&applicant, y.id)
            .await
            .expect("the applicant's view");
        assert!(
            seen.appeals.is_empty() && seen.files.is_empty(),
            "{backend}"
        );
        assert_eq!(
            store.appeal_queue(&supervisor).await.expect("queue").len(),
            1
        );
        let z = store
            .rectification_act(
                &supervisor,
                y.id,
                None,
                &RectifyAction::DecideAppeal {
                    upheld: true,
                    reason: "录音证实为误评".into(),
                },
            )
            .await
            .expect("decided");
        assert_eq!(z.state, RectifyState::Excluded);
        assert!(z.rating.excluded, "{backend}: kept, marked");
        assert_eq!(z.appeals[0].decision_reason, "录音证实为误评");
        let after = store.public_ratings(&f).await.expect("public");
        assert_eq!(after.total.count, 1, "{backend}: out of the figures");
        assert_eq!(after.bad.len(), 1, "{backend}");
        assert_eq!(
            count(&store, "SELECT COUNT(*) AS n FROM ratings").await,
            2,
            "{backend}: nothing deleted"
        );
        // The public page names no one.
        let json = serde_json::to_string(&after).expect("json");
        assert!(
            !json.contains("张三") && !json.contains("来回跑"),
            "{backend}: {json}"
        );
        assert_eq!(after.bad[0].outcome, Some(RectifyState::Verified));
        assert_eq!(after.bad[0].verdict, Some(Verdict::Satisfied));
    }
}

#[tokio::test]
async fn a_rejected_appeal_resumes_where_the_rectification_was_and_two_rejections_end_it() {
    for (backend, store) in tongban_store::testing::stores("ratings_appeal_again").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let day = d("2026-03-02");
        let files = tongban_store::attachments::Attachments::in_memory();
        let applicant = actor(&store, "applicant").await;
        let head_yb = actor(&store, "head_yb").await;
        let supervisor = actor(&store, "supervisor").await;
        let id = completed_case(&store, &applicant, day).await;
        store
            .rate(
                &applicant,
                Subject::Case,
                id,
                &online(1, &["R01"]),
                &cal,
                day,
            )
            .await
            .expect("rated");
        let r = store
            .rectifications_for(&head_yb, true)
            .await
            .expect("list")
            .pop()
            .expect("opened");
        let act = |a: RectifyAction| {
            let (store, head_yb) = (&store, &head_yb);
            async move { store.rectification_act(head_yb, r.id, None, &a).await }
        };
        act(RectifyAction::Visit {
            method: "电话".into(),
            note: "申请人表示材料清单不清楚".into(),
            at: None,
        })
        .await
        .expect("visit");
        act(RectifyAction::Rectify {
            cause: "清单未分情形".into(),
            measures: "清单按情形重写".into(),
        })
        .await
        .expect("rectify");
        let appeal = || RectifyAction::Appeal {
            ground: AppealGround::Malicious,
            statement: "申请人多次以同一理由差评".into(),
        };
        let reject = RectifyAction::DecideAppeal {
            upheld: false,
            reason: "证据不足".into(),
        };
        for round in 1..=2 {
            store
                .rectification_file(
                    &files,
                    &head_yb,
                    r.id,
                    true,
                    "记录.pdf",
                    b"%PDF-1.4 x".to_vec(),
                )
                .await
                .expect("evidence");
            act(appeal()).await.expect("appeal");
            let v = store
                .rectification_act(&supervisor, r.id, None, &reject)
                .await
                .expect("rejected");
            assert_eq!(
                v.state,
                RectifyState::AwaitingVerification,
                "{backend}: round {round} resumes awaiting verification"
            );
        }
        // Two rejections: no third appeal, even with new evidence.
        store
            .rectification_file(
                &files,
                &head_yb,
                r.id,
                true,
                "又一份.pdf",
                b"%PDF-1.4 y".to_vec(),
            )
            .await
            .expect("evidence");
        assert!(
            matches!(act(appeal()).await, Err(StoreError::Conflict { .. })),
            "{backend}"
        );
        // The rating still counts.
        let f = RatingFilter {
            from: day,
            to: day,
            centre_path: "/1/".into(),
            department_id: None,
        };
        assert_eq!(
            store.public_ratings(&f).await.expect("public").total.count,
            1,
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_dissatisfied_verdict_goes_to_the_supervisors() {
    for (backend, store) in tongban_store::testing::stores("ratings_verdict_bad").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let day = d("2026-03-02");
        let applicant = actor(&store, "applicant").await;
        let head_yb = actor(&store, "head_yb").await;
        let supervisor = actor(&store, "supervisor").await;
        let id = completed_case(&store, &applicant, day).await;
        store
            .rate(
                &applicant,
                Subject::Case,
                id,
                &online(2, &["R01"]),
                &cal,
                day,
            )
            .await
            .expect("rated");
        let r = store
            .rectifications_for(&head_yb, true)
            .await
            .expect("list")
            .pop()
            .expect("opened");
        for (who, a) in [
            (
                &head_yb,
                RectifyAction::Visit {
                    method: "电话".into(),
                    note: "申请人说明了问题".into(),
                    at: None,
                },
            ),
            (
                &head_yb,
                RectifyAction::Rectify {
                    cause: "指南不清".into(),
                    measures: "重写指南".into(),
                },
            ),
            (&supervisor, RectifyAction::Verify),
            (
                &applicant,
                RectifyAction::Verdict {
                    verdict: Verdict::Dissatisfied,
                },
            ),
        ] {
            store
                .rectification_act(who, r.id, None, &a)
                .await
                .unwrap_or_else(|e| panic!("{backend}: {}: {e}", a.name()));
        }
        let told = store
            .notifications(supervisor.user_id, 50)
            .await
            .expect("notices");
        assert!(
            told.iter().any(|n| n.subject.contains("整改结果不满意")
                && n.body.contains(&format!("/rectifications/{}", r.id))),
            "{backend}: the supervisor is told"
        );
    }
}
