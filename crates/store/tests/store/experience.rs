//! Experience officers' findings on both backends: routed to the unit that
//! owns the service (and, about the guide, to its catalogue admin) with a
//! deadline by severity, and tracked open → fixed → verified, or sent back.

use chrono::NaiveDate;
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::ratings::{FindingCategory, FindingSeverity, FindingState};
use tongban_store::StoreError;
use tongban_store::experience::{FindingAction, NewFinding, NewWalkthrough, WalkSubject};

use crate::helpers::{actor, count};

/// 公共场所卫生许可 (卫健局).
const ITEM: &str = "11339901MB000000114010103001000";

#[tokio::test]
async fn an_officer_s_findings_reach_their_owners_and_are_tracked_to_verification() {
    for (backend, store) in tongban_store::testing::stores("experience").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        let officer = actor(&store, "officer").await;
        let walk = NewWalkthrough {
            subject: WalkSubject::Item,
            code: ITEM.into(),
            bundle_name: String::new(),
            steps: vec!["网上查看办事指南".into(), "到综合窗口提交材料".into()],
            minutes: 95,
            findings: vec![
                NewFinding {
                    category: FindingCategory::GuideInaccurate,
                    severity: FindingSeverity::High,
                    step: "网上查看办事指南".into(),
                    description: "指南未写明卫生检测报告需原件".into(),
                },
                NewFinding {
                    category: FindingCategory::Attitude,
                    severity: FindingSeverity::Low,
                    step: "到综合窗口提交材料".into(),
                    description: "窗口人员未主动说明补正要求".into(),
                },
            ],
        };
        // Only an officer records walk-throughs; bad input changes nothing.
        let clerk = actor(&store, "clerk").await;
        assert!(matches!(
            store.record_walkthrough(&clerk, &walk, &cal, day).await,
            Err(StoreError::Forbidden(_))
        ));
        let mut bad = walk.clone();
        bad.minutes = 0;
        bad.findings[0].description = String::new();
        match store.record_walkthrough(&officer, &bad, &cal, day).await {
            Err(StoreError::Invalid(e)) => {
                let f: Vec<&str> = e.0.iter().map(|x| x.field.as_str()).collect();
                assert_eq!(f, vec!["minutes", "findings[0].description"], "{backend}");
            }
            other => panic!("{backend}: {other:?}"),
        }
        assert_eq!(
            count(&store, "SELECT COUNT(*) AS n FROM walkthroughs").await,
            0
        );
        let w = store
            .record_walkthrough(&officer, &walk, &cal, day)
            .await
            .unwrap_or_else(|e| panic!("{backend}: {e}"));
        assert_eq!(w.subject_name, "公共场所卫生许可（新证）");
        assert_eq!(w.findings.len(), 2);
        // Deadlines by severity on the calendar: 5 and 15 working days from 2 March.
        assert_eq!(w.findings[0].due, cal.add_workdays(day, 5).expect("due"));
        assert_eq!(w.findings[1].due, cal.add_workdays(day, 15).expect("due"));
        // The department sees both; its catalogue admin the guide one; another department none.
        let reviewer = actor(&store, "reviewer").await;
        assert_eq!(
            store
                .officer_findings_for(&reviewer, true)
                .await
                .expect("list")
                .len(),
            2
        );
        let catalog_wjw = actor(&store, "catalog_wjw").await;
        let theirs = store
            .officer_findings_for(&catalog_wjw, true)
            .await
            .expect("list");
        assert_eq!(theirs.len(), 1, "{backend}");
        assert_eq!(theirs[0].category, FindingCategory::GuideInaccurate);
        let reviewer_ga = actor(&store, "reviewer_ga").await;
        assert!(
            store
                .officer_findings_for(&reviewer_ga, true)
                .await
                .expect("list")
                .is_empty()
        );
        assert!(matches!(
            store
                .officer_finding_for(&reviewer_ga, w.findings[0].id)
                .await,
            Err(StoreError::NotFound(_))
        ));
        for (who, n) in [(&reviewer, 2), (&catalog_wjw, 1)] {
            assert_eq!(
                count(
                    &store,
                    &format!(
                        "SELECT COUNT(*) AS n FROM notifications WHERE user_id = {} AND subject LIKE '【体验员发现问题%'",
                        who.user_id
                    )
                )
                .await,
                n,
                "{backend}: {}",
                who.username
            );
        }
        // The officer adds evidence; another department may not.
        let files = tongban_store::attachments::Attachments::in_memory();
        store
            .officer_finding_file(
                &files,
                &officer,
                w.findings[0].id,
                "照片.jpg",
                b"\xff\xd8\xff\xe0 jpeg".to_vec(),
            )
            .await
            .unwrap_or_else(|e| panic!("{backend}: evidence: {e}"));
        assert!(matches!(
            store
                .officer_finding_file(
                    &files,
                    &reviewer_ga,
                    w.findings[0].id,
                    "x.pdf",
                    b"%PDF-1.4".to_vec()
                )
                .await,
            Err(StoreError::NotFound(_))
        ));
        assert_eq!(
            store
                .officer_finding_for(&reviewer, w.findings[0].id)
                .await
                .expect("finding")
                .files
                .len(),
            1,
            "{backend}: the owner sees the evidence"
        );
        // Fixed by the catalogue admin, sent back, fixed again, verified.
        let g = w.findings[0].id;
        let fix = FindingAction::Fix {
            note: "指南已补充原件要求并重新发布".into(),
        };
        let supervisor = actor(&store, "supervisor").await;
        assert!(
            matches!(
                store
                    .officer_finding_act(&supervisor, g, None, &FindingAction::Verify)
                    .await,
                Err(StoreError::Conflict { .. })
            ),
            "nothing to verify while open"
        );
        store
            .officer_finding_act(&catalog_wjw, g, None, &fix)
            .await
            .expect("fixed");
        assert!(matches!(
            store
                .officer_finding_act(&reviewer, g, None, &FindingAction::Verify)
                .await,
            Err(StoreError::Forbidden(_))
        ));
        let back = store
            .officer_finding_act(
                &supervisor,
                g,
                None,
                &FindingAction::SendBack {
                    reason: "请附修订后的指南链接".into(),
                },
            )
            .await
            .expect("sent back");
        assert_eq!(back.state, FindingState::Open);
        assert_eq!(back.sent_back_reason, "请附修订后的指南链接");
        store
            .officer_finding_act(&reviewer, g, Some(back.version), &fix)
            .await
            .expect("again");
        let done = store
            .officer_finding_act(&supervisor, g, None, &FindingAction::Verify)
            .await
            .expect("verified");
        assert_eq!(done.state, FindingState::Verified);
        assert_eq!(
            store
                .officer_findings_for(&reviewer, true)
                .await
                .expect("list")
                .len(),
            1
        );
        assert_eq!(
            store.walkthroughs_for(&officer).await.expect("mine").len(),
            1
        );
        assert_eq!(
            store
                .walkthroughs_for(&supervisor)
                .await
                .expect("all")
                .len(),
            1
        );
    }
}
