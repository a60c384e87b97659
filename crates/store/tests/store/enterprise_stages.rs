//! 靠前服务's stage applications on both backends: a stage is applied for
//! with one form and one set of materials that fan out, in one transaction,
//! to an application per item, each joining the project's stage (marked
//! and with the green channel's promise for a key project); the concierge
//! does it only under an authorization covering every item; the
//! departments then handle their items in parallel.

use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::{CaseState, Command};
use tongban_store::StoreError;
use tongban_store::attachments::Attachments;

use crate::enterprise::{LAND, RECORD, mandate, project, refusal};
use crate::helpers::{actor, count};

const SITE: &str = "11339901MB000001124011101001000";

#[tokio::test]
async fn a_stage_application_fans_out_atomically_into_the_project_s_stage() {
    for (backend, store) in tongban_store::testing::stores("enterprise-stages").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let files = Attachments::in_memory();
        let ent = actor(&store, "enterprise").await;
        let concierge = actor(&store, "concierge").await;
        let sup = actor(&store, "supervisor").await;
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let today = tongban_store::shanghai_today();
        let p = store
            .create_project(&ent, &project("2611-339901-04-03-53127K"))
            .await
            .expect("project");
        store.set_key_project(&sup, p.id, true).await.expect("key");
        store
            .assign_enterprise_concierge(&sup, "enterprise", "concierge")
            .await
            .expect("一对一");
        // An authorization for two of stage 1's three items is not enough.
        let pdf = b"%PDF-1.4 letter".to_vec();
        let days = chrono::Duration::days(30);
        store
            .grant_mandate(
                &ent,
                &files,
                &mandate(&[RECORD, SITE], today - days, today + days),
                "授权委托书.pdf",
                pdf.clone(),
            )
            .await
            .expect("narrow authorization");
        let why = refusal(store.apply_for_stage(&concierge, p.id, 1).await);
        assert!(why.contains("授权"), "{backend}: {why}");
        assert_eq!(
            count(&store, "SELECT COUNT(*) AS n FROM project_bundles").await,
            0,
            "{backend}"
        );
        store
            .grant_mandate(
                &ent,
                &files,
                &mandate(&[], today - days, today + days),
                "授权委托书.pdf",
                pdf,
            )
            .await
            .expect("full authorization");
        let b = store
            .apply_for_stage(&concierge, p.id, 1)
            .await
            .expect("stage 1");
        assert_eq!(b.applicant_user_id, Some(ent.user_id), "{backend}");
        // Starting again continues the same draft, for its maker and for
        // the enterprise it is for (never a second one beside it); the
        // draft is theirs only; a stage without a form is refused.
        for who in [&concierge, &ent] {
            let again = store.apply_for_stage(who, p.id, 1).await.expect("again");
            assert_eq!(again.id, b.id, "{backend}");
        }
        assert!(
            matches!(
                store.bundle_for(&sup, b.id).await,
                Err(StoreError::NotFound(_))
            ),
            "{backend}"
        );
        assert!(
            refusal(store.apply_for_stage(&ent, p.id, 9).await).contains("阶段申请表"),
            "{backend}"
        );
        // One set of materials: each asked slot once.
        let rec = store.bundle_for(&concierge, b.id).await.expect("draft");
        assert_eq!(rec.sub_cases.len(), 0, "{backend}");
        for (i, s) in rec.slots.iter().enumerate() {
            if s.asked() {
                store
                    .bundle_upload(&files, &concierge, b.id, i, "m.pdf", b"%PDF-1.4 x".to_vec())
                    .await
                    .expect("upload");
            }
        }
        // A failure at the very end of the fan-out — every application
        // submitted and joined to the stage — leaves nothing behind.
        store.inject_fanout_failure(4);
        store
            .submit_bundle(&concierge, b.id, &cal, today)
            .await
            .expect_err("injected");
        assert_eq!(
            count(&store, "SELECT COUNT(*) AS n FROM cases").await,
            0,
            "{backend}"
        );
        assert!(
            !store
                .bundle_for(&concierge, b.id)
                .await
                .expect("draft")
                .bundle
                .submitted,
            "{backend}"
        );
        let in_project = format!(
            "SELECT COUNT(*) AS n FROM project_cases WHERE project_id = {}",
            p.id
        );
        assert_eq!(count(&store, &in_project).await, 0, "{backend}");
        assert_eq!(
            count(&store, "SELECT COUNT(*) AS n FROM case_priority").await,
            0,
            "{backend}"
        );
        store.inject_fanout_failure(0);
        let rec = store
            .submit_bundle(&concierge, b.id, &cal, today)
            .await
            .expect("submitted");
        assert_eq!(rec.sub_cases.len(), 3, "{backend}");
        assert_eq!(count(&store, &in_project).await, 3, "{backend}");
        assert_eq!(
            count(&store, "SELECT COUNT(*) AS n FROM case_priority").await,
            3,
            "{backend}: each marked for the green channel"
        );
        for c in &rec.sub_cases {
            assert_eq!(c.applicant_user_id, Some(ent.user_id), "{backend}");
            assert_eq!(c.state, CaseState::Submitted, "{backend}");
        }
        // 用地预审与选址's 10 days, at the key projects' 70 %: 7.
        let site = rec
            .sub_cases
            .iter()
            .find(|c| c.impl_code == SITE)
            .expect("site");
        assert_eq!(site.promise_cap_days.map(|d| d.get()), Some(7), "{backend}");
        // Taking the mark off gives it back the bundle's promise; marking
        // again shortens it again.
        store
            .set_key_project(&sup, p.id, false)
            .await
            .expect("unmark");
        assert_eq!(cap_of(&store, &ent, site.id).await, Some(10), "{backend}");
        store.set_key_project(&sup, p.id, true).await.expect("key");
        assert_eq!(cap_of(&store, &ent, site.id).await, Some(7), "{backend}");
        let steps = store.case_for(&ent, site.id).await.expect("case").events;
        assert_eq!(
            steps.first().map(|e| e.actor_name.as_str()),
            Some("钱专员（帮办代办） 代 示范城建投资集团有限公司"),
            "{backend}"
        );
        // The stage's page: its three items applied for, the application listed.
        let v = store.project_view(&ent, p.id).await.expect("view");
        let s1 = v.stages.iter().find(|s| s.stage == 1).expect("stage 1");
        assert!(s1.items.iter().all(|i| i.case_id.is_some()), "{backend}");
        assert_eq!(s1.applications.len(), 1, "{backend}");
        assert!(s1.applications[0].submitted, "{backend}");
        assert_eq!(s1.used, Some(0), "{backend}");
        // Accepted at one window, then two departments decide their items
        // in parallel; the stage is done when the last is decided.
        let clerk = actor(&store, "clerk").await;
        let queue = store.bundle_intake_queue(&clerk).await.expect("queue");
        assert_eq!(queue.first().map(|x| x.id), Some(b.id), "{backend}");
        let marks = store.bundle_marks(&[b.id]).await.expect("marks");
        assert_eq!(
            marks.get(&b.id).map(String::as_str),
            Some("重点项目"),
            "{backend}"
        );
        store
            .accept_bundle(&clerk, b.id, &cal, today)
            .await
            .expect("accepted");
        for (code, reviewer, head) in [
            (RECORD, "reviewer_fg", "head_fg"),
            (SITE, "reviewer_zr", "head_zr"),
            (LAND, "reviewer_zr", "head_zr"),
        ] {
            let id = rec
                .sub_cases
                .iter()
                .find(|c| c.impl_code == code)
                .expect("sub-case")
                .id;
            let reviewer = actor(&store, reviewer).await;
            let head = actor(&store, head).await;
            for (who, cmd) in [
                (
                    &reviewer,
                    Command::CompleteReview {
                        agree: true,
                        opinion: "同意".into(),
                    },
                ),
                (
                    &head,
                    Command::Decide {
                        approve: true,
                        reason: "符合法定条件".into(),
                    },
                ),
                (&reviewer, Command::Issue),
                (
                    &clerk,
                    Command::Deliver {
                        method: "窗口领取".into(),
                    },
                ),
            ] {
                store
                    .case_command(who, id, None, &cmd, &cal, today)
                    .await
                    .unwrap_or_else(|e| panic!("{backend}: {code}: {e}"));
            }
        }
        let v = store.project_view(&ent, p.id).await.expect("view");
        let s1 = v.stages.iter().find(|s| s.stage == 1).expect("stage 1");
        assert!(s1.finished, "{backend}: {s1:?}");
        // An item is applied for once in a project: another application
        // for an item approved in it is not added.
        let again = crate::enterprise_cases::submitted(&store, &files, &ent, RECORD, today).await;
        assert!(
            matches!(
                store.add_case_to_project(&ent, p.id, again).await,
                Err(StoreError::Conflict { .. })
            ),
            "{backend}"
        );
        // Once applied for, the stage takes no second application.
        assert!(
            matches!(
                store.apply_for_stage(&concierge, p.id, 1).await,
                Err(StoreError::Conflict { .. })
            ),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_joint_inspection_takes_every_department_s_finding_and_gives_one_result() {
    use tongban_domain::enterprise::InspectionResult;
    use tongban_store::enterprise::NewInspection;
    for (backend, store) in tongban_store::testing::stores("enterprise-inspection").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let files = Attachments::in_memory();
        let ent = actor(&store, "enterprise").await;
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let today = tongban_store::shanghai_today();
        let zj = actor(&store, "reviewer_zj").await;
        let zr = actor(&store, "reviewer_zr").await;
        let fg = actor(&store, "reviewer_fg").await;
        let p = store
            .create_project(&ent, &project("2611-339901-04-03-53127K"))
            .await
            .expect("project");
        let zr_dept = zr.department_id.expect("dept");
        let n = NewInspection {
            inspect_on: (today + chrono::Duration::days(7)).to_string(),
            inspect_at: "09:30".into(),
            place: "项目现场东门".into(),
            departments: vec![zr_dept],
        };
        // Not before the completion stage is applied for.
        assert!(
            matches!(
                store.schedule_inspection(&zj, p.id, &n, today).await,
                Err(StoreError::Conflict { .. })
            ),
            "{backend}"
        );
        let b = store.apply_for_stage(&ent, p.id, 4).await.expect("stage 4");
        let rec = store.bundle_for(&ent, b.id).await.expect("draft");
        for (i, s) in rec.slots.iter().enumerate() {
            if s.asked() {
                store
                    .bundle_upload(&files, &ent, b.id, i, "m.pdf", b"%PDF-1.4 x".to_vec())
                    .await
                    .expect("upload");
            }
        }
        store
            .submit_bundle(&ent, b.id, &cal, today)
            .await
            .expect("submitted");
        // Only the stage's lead department (住建局) schedules it; a bad
        // appointment is refused by field and changes nothing.
        assert!(
            matches!(
                store.schedule_inspection(&fg, p.id, &n, today).await,
                Err(StoreError::Forbidden(_))
            ),
            "{backend}"
        );
        let bad = NewInspection {
            inspect_on: "2020-01-01".into(),
            inspect_at: "25:00".into(),
            place: " ".into(),
            departments: vec![],
        };
        match store.schedule_inspection(&zj, p.id, &bad, today).await {
            Err(StoreError::Invalid(e)) => {
                let f: Vec<&str> = e.0.iter().map(|x| x.field.as_str()).collect();
                assert_eq!(f, vec!["inspect_on", "inspect_at", "place"], "{backend}");
            }
            other => panic!("{backend}: {other:?}"),
        }
        let i = store
            .schedule_inspection(&zj, p.id, &n, today)
            .await
            .expect("scheduled");
        assert_eq!(i.parts.len(), 2, "{backend}: 住建局 and 自然资源规划局");
        assert_eq!(i.result, InspectionResult::Pending, "{backend}");
        assert!(
            matches!(
                store.schedule_inspection(&zj, p.id, &n, today).await,
                Err(StoreError::Conflict { .. })
            ),
            "{backend}: one open inspection"
        );
        // Nothing before the day; a department not inspecting records
        // nothing; one finding each.
        let day = today + chrono::Duration::days(7);
        assert!(
            matches!(
                store
                    .record_inspection_finding(&zj, i.id, true, "", today)
                    .await,
                Err(StoreError::Conflict { .. })
            ),
            "{backend}"
        );
        assert!(
            matches!(
                store
                    .record_inspection_finding(&fg, i.id, true, "", day)
                    .await,
                Err(StoreError::Forbidden(_))
            ),
            "{backend}"
        );
        let why = refusal(
            store
                .record_inspection_finding(&zr, i.id, false, "", day)
                .await,
        );
        assert!(why.contains("整改"), "{backend}: {why}");
        let i = store
            .record_inspection_finding(&zj, i.id, true, "", day)
            .await
            .expect("住建局");
        assert_eq!(i.result, InspectionResult::Pending, "{backend}");
        assert!(
            matches!(
                store
                    .record_inspection_finding(&zj, i.id, false, "再看", day)
                    .await,
                Err(StoreError::Conflict { .. })
            ),
            "{backend}"
        );
        let i = store
            .record_inspection_finding(
                &zr,
                i.id,
                false,
                "规划核实：东侧退界不足1.2米，须整改后复验",
                day,
            )
            .await
            .expect("自然资源规划局");
        assert_eq!(i.result, InspectionResult::Failed, "{backend}");
        // The enterprise is told the one result; the project shows it.
        let told = count(
            &store,
            &format!(
                "SELECT COUNT(*) AS n FROM notifications WHERE user_id = {} AND subject LIKE '联合验收不合格%'",
                ent.user_id
            ),
        )
        .await;
        assert_eq!(told, 1, "{backend}");
        let v = store.project_view(&ent, p.id).await.expect("view");
        assert_eq!(v.inspections.len(), 1, "{backend}");
        // After a failed one, the next may be scheduled.
        store
            .schedule_inspection(&zj, p.id, &n, today)
            .await
            .expect("re-inspection");
    }
}

/// The promise cap of an application, in working days.
async fn cap_of(
    store: &tongban_store::Store,
    who: &tongban_domain::auth::Actor,
    id: i64,
) -> Option<u32> {
    store
        .case_for(who, id)
        .await
        .expect("case")
        .case
        .promise_cap_days
        .map(|d| d.get())
}
