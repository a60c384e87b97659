//! 靠前服务 and the case core on both backends: a key project's
//! applications go first in the queues, a concierge applies for an
//! enterprise only within its authorization (every step naming both), and
//! stages near or past their targets warn once per level.

use chrono::{Duration, NaiveDate};
use tongban_domain::calendar::WorkCalendar;
use tongban_store::attachments::Attachments;
use tongban_store::{Store, StoreError};

use crate::enterprise::{BUILD, LAND, RECORD, mandate, project, refusal};
use crate::helpers::{actor, count, map};

/// An application of `applicant` for `item` with every material uploaded,
/// submitted on `day`.
pub(crate) async fn submitted(
    store: &Store,
    files: &Attachments,
    applicant: &tongban_domain::auth::Actor,
    item: &str,
    day: NaiveDate,
) -> i64 {
    let c = store
        .create_case(
            applicant,
            item,
            tongban_store::cases::NewCase {
                form: map(&[]),
                ..Default::default()
            },
        )
        .await
        .expect("draft");
    let doc = store.item_doc(c.item_version_id).await.expect("doc");
    for (i, m) in doc.materials.iter().enumerate() {
        if !m.exempt {
            store
                .upload(files, applicant, c.id, i, "m.pdf", b"%PDF-1.4 x".to_vec())
                .await
                .expect("upload");
        }
    }
    let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
    store
        .submit_case(applicant, c.id, None, &cal, day)
        .await
        .expect("submit");
    c.id
}

/// Takes a submitted 施工许可 application through 住建局: accepted,
/// reviewed, approved and certified on `day`, and delivered if `deliver`.
async fn approve(store: &Store, id: i64, day: NaiveDate, deliver: bool) {
    use tongban_domain::case::Command;
    let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
    let clerk = actor(store, "clerk").await;
    let reviewer = actor(store, "reviewer_zj").await;
    let head = actor(store, "head_zj").await;
    let mut steps = vec![
        (&clerk, Command::Accept),
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
    ];
    if deliver {
        steps.push((
            &clerk,
            Command::Deliver {
                method: "窗口领取".into(),
            },
        ));
    }
    for (who, cmd) in steps {
        store
            .case_command(who, id, None, &cmd, &cal, day)
            .await
            .expect("step");
    }
}

#[tokio::test]
async fn a_key_project_s_applications_go_first_in_the_queues_with_their_mark() {
    for (backend, store) in tongban_store::testing::stores("enterprise-green").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let files = Attachments::in_memory();
        let ent = actor(&store, "enterprise").await;
        let sup = actor(&store, "supervisor").await;
        let clerk = actor(&store, "clerk").await;
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let day = NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
        let p = store
            .create_project(&ent, &project("2611-339901-04-03-53127K"))
            .await
            .expect("project");
        // An older application outside the project, a newer one in it.
        let older = submitted(&store, &files, &ent, BUILD, day).await;
        let newer = submitted(&store, &files, &ent, RECORD, day + Duration::days(1)).await;
        store
            .add_case_to_project(&ent, p.id, newer)
            .await
            .expect("grouped");
        let queue = |store: &Store| {
            let (clerk, cal) = (clerk.clone(), cal.clone());
            let store = store.clone();
            async move {
                store
                    .intake_queue(&clerk, &cal, day + Duration::days(2))
                    .await
                    .expect("queue")
                    .into_iter()
                    .map(|r| (r.id, r.priority))
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(
            queue(&store).await,
            vec![(older, None), (newer, None)],
            "{backend}: oldest first"
        );
        store.set_key_project(&sup, p.id, true).await.expect("key");
        assert_eq!(
            queue(&store).await,
            vec![(newer, Some("重点项目".to_string())), (older, None)],
            "{backend}: the key project's first, marked"
        );
        // An application grouped later under the key project is marked too.
        let later = submitted(&store, &files, &ent, LAND, day).await;
        store
            .add_case_to_project(&ent, p.id, later)
            .await
            .expect("grouped");
        let q = queue(&store).await;
        assert_eq!(
            q.iter().filter(|(_, m)| m.is_some()).count(),
            2,
            "{backend}: {q:?}"
        );
        assert_eq!(q.last().map(|(id, _)| *id), Some(older), "{backend}");
        // Its promise is the green channel's: 70 % of 建设用地规划许可's 7
        // working days, rounded up — 5, counted from acceptance.
        let c = store.case_for(&ent, later).await.expect("case").case;
        assert_eq!(c.promise_cap_days.map(|d| d.get()), Some(5), "{backend}");
        store
            .case_command(
                &clerk,
                later,
                None,
                &tongban_domain::case::Command::Accept,
                &cal,
                day,
            )
            .await
            .expect("accepted");
        let c = store.case_for(&ent, later).await.expect("case").case;
        assert_eq!(c.promised_due, cal.add_workdays(day, 5).ok(), "{backend}");
        assert!(
            c.legal_due >= c.promised_due,
            "{backend}: never beyond the law"
        );
        // An application of no key project keeps its item's promise.
        let o = store.case_for(&ent, older).await.expect("older").case;
        assert_eq!(o.promise_cap_days, None, "{backend}");
        store
            .set_key_project(&sup, p.id, false)
            .await
            .expect("unmark");
        assert!(
            queue(&store).await.iter().all(|(_, m)| m.is_none()),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_concierge_applies_for_the_enterprise_only_within_its_authorization_and_every_step_names_both()
 {
    for (backend, store) in tongban_store::testing::stores("enterprise-agent").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let files = Attachments::in_memory();
        let ent = actor(&store, "enterprise").await;
        let concierge = actor(&store, "concierge").await;
        let citizen = actor(&store, "applicant").await;
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let today = tongban_store::shanghai_today();
        let new = || tongban_store::cases::NewCase {
            form: map(&[]),
            on_behalf_of: Some("enterprise".into()),
            ..Default::default()
        };
        // No authorization yet: refused with the reason.
        let why = refusal(store.create_case(&concierge, RECORD, new()).await);
        assert!(why.contains("没有该企业的授权委托"), "{backend}: {why}");
        // Not an enterprise: refused at the field.
        let mut not_ent = new();
        not_ent.on_behalf_of = Some("applicant".into());
        assert!(refusal(store.create_case(&concierge, RECORD, not_ent).await).contains("企业账户"));
        let m = mandate(
            &[RECORD],
            today - Duration::days(1),
            today + Duration::days(30),
        );
        let granted = store
            .grant_mandate(&ent, &files, &m, "授权书.pdf", b"%PDF-1.4 s".to_vec())
            .await
            .expect("grant");
        // Out of scope: the item is named.
        let why = refusal(store.create_case(&concierge, LAND, new()).await);
        assert!(why.contains(LAND), "{backend}: {why}");
        let c = store
            .create_case(&concierge, RECORD, new())
            .await
            .expect("draft");
        assert_eq!(
            (c.applicant_user_id, c.created_by),
            (Some(ent.user_id), concierge.user_id),
            "{backend}"
        );
        let doc = store.item_doc(c.item_version_id).await.expect("doc");
        for (i, mat) in doc.materials.iter().enumerate() {
            if !mat.exempt {
                store
                    .upload(&files, &concierge, c.id, i, "m.pdf", b"%PDF-1.4 x".to_vec())
                    .await
                    .expect("the concierge uploads");
            }
        }
        let done = store
            .submit_case(&concierge, c.id, None, &cal, today)
            .await
            .expect("submitted");
        assert_ne!(
            done.state,
            tongban_domain::case::CaseState::Draft,
            "{backend}"
        );
        // Both the enterprise and the concierge see it; a citizen does not.
        let rec = store.case_for(&ent, c.id).await.expect("the enterprise's");
        let names: Vec<&str> = rec.events.iter().map(|e| e.actor_name.as_str()).collect();
        assert!(
            names
                .iter()
                .take(2)
                .all(|n| *n == "钱专员（帮办代办） 代 示范城建投资集团有限公司"),
            "{backend}: {names:?}"
        );
        store
            .case_for(&concierge, c.id)
            .await
            .expect("the concierge's");
        assert!(
            matches!(
                store.case_for(&citizen, c.id).await,
                Err(StoreError::NotFound(_))
            ),
            "{backend}"
        );
        // Revoked: the next act is refused with the reason, and nothing changes.
        store
            .revoke_mandate(&ent, granted.id)
            .await
            .expect("revoke");
        let cmd = tongban_domain::case::Command::Withdraw {
            reason: "暂缓".into(),
        };
        let why = refusal(
            store
                .case_command(&concierge, c.id, None, &cmd, &cal, today)
                .await,
        );
        assert!(why.contains("撤销"), "{backend}: {why}");
        assert_eq!(
            store.case_for(&ent, c.id).await.expect("case").case.state,
            done.state,
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_stage_near_or_past_its_target_warns_once_per_level_with_two_instances() {
    for (backend, a, b) in tongban_store::testing::store_pairs("enterprise-warnings").await {
        tongban_store::demo::load_demo(&a).await.expect("demo");
        let ent = actor(&a, "enterprise").await;
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let today = tongban_store::shanghai_today();
        // 简易低风险: stage 1's target is 3 working days in the demo.
        let p = a
            .create_project(&ent, &project("2611-339901-04-03-53127K"))
            .await
            .expect("project");
        // Received today: stage 1's clock starts.
        let files = Attachments::in_memory();
        let c = submitted(&a, &files, &ent, RECORD, today).await;
        a.add_case_to_project(&ent, p.id, c)
            .await
            .expect("stage 1 starts today");
        let notes = format!(
            "SELECT COUNT(*) AS n FROM notifications WHERE user_id = {} AND subject LIKE '%项目预警%'",
            ent.user_id
        );
        let on = |n: u32| cal.add_workdays(today, n).expect("day");
        // The day it starts: nothing to say.
        assert_eq!(
            a.sweep_projects(&cal, on(0)).await.expect("sweep"),
            0,
            "{backend}"
        );
        // One day used of three (two left): yellow, once, whichever
        // instance sweeps.
        let (x, y) = tokio::join!(a.sweep_projects(&cal, on(1)), b.sweep_projects(&cal, on(1)));
        assert_eq!(x.expect("a") + y.expect("b"), 1, "{backend}");
        assert_eq!(count(&a, &notes).await, 1, "{backend}");
        assert_eq!(
            a.sweep_projects(&cal, on(2)).await.expect("still yellow"),
            0,
            "{backend}"
        );
        // Four days: past the stage's target — red, once.
        let (x, y) = tokio::join!(a.sweep_projects(&cal, on(4)), b.sweep_projects(&cal, on(4)));
        assert_eq!(
            x.expect("a") + y.expect("b"),
            1,
            "{backend}: the project's 15 days are still green"
        );
        assert_eq!(
            count(
                &a,
                "SELECT COUNT(*) AS n FROM project_warnings WHERE stage = 1"
            )
            .await,
            2,
            "{backend}"
        );
    }
}

#[tokio::test]
async fn an_approval_on_commitment_is_verified_and_an_untrue_one_revoked() {
    for (backend, store) in tongban_store::testing::stores("enterprise-commitment").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let files = Attachments::in_memory();
        let ent = actor(&store, "enterprise").await;
        let reviewer = actor(&store, "reviewer_zj").await;
        let other_dept = actor(&store, "reviewer").await;
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let day = NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
        // 简易低风险: the demo approves 施工许可 on the applicant's commitment.
        let p = store
            .create_project(&ent, &project("2611-339901-04-03-53127K"))
            .await
            .expect("project");
        let id = submitted(&store, &files, &ent, BUILD, day).await;
        store
            .add_case_to_project(&ent, p.id, id)
            .await
            .expect("stage 3");
        // 住建局 approves it and makes the certificate.
        approve(&store, id, day, false).await;
        // The approval brings a verification for 住建局, due in 20 working days.
        let mine = store.commitments(&reviewer).await.expect("list");
        assert_eq!(mine.len(), 1, "{backend}");
        let m = &mine[0];
        assert_eq!((m.case_id, m.state.as_str()), (id, "pending"), "{backend}");
        assert_eq!(
            Some(m.verify_due),
            cal.add_workdays(day, 20).ok(),
            "{backend}"
        );
        assert_eq!(
            store.commitments(&ent).await.expect("theirs").len(),
            1,
            "{backend}"
        );
        assert!(
            store
                .commitments(&other_dept)
                .await
                .expect("none")
                .is_empty(),
            "{backend}"
        );
        assert!(matches!(
            store
                .verify_commitment(&other_dept, m.id, true, "", day)
                .await,
            Err(StoreError::NotFound(_))
        ));
        // Untrue needs a reason; then the approval and its certificate go.
        assert!(
            refusal(
                store
                    .verify_commitment(&reviewer, m.id, false, " ", day)
                    .await
            )
            .contains("不实")
        );
        let certs = "SELECT COUNT(*) AS n FROM certificates WHERE revoked_at IS NULL";
        let live = count(&store, certs).await;
        assert!(live >= 1, "{backend}: the permit was certified");
        let done = store
            .verify_commitment(&reviewer, m.id, false, "现场核查：施工合同与承诺不符", day)
            .await
            .expect("failed");
        assert_eq!(done.state, "failed", "{backend}");
        let rec = store.case_for(&ent, id).await.expect("case");
        assert_eq!(rec.case.approved, Some(false), "{backend}");
        assert_eq!(
            rec.events.last().map(|e| e.action.as_str()),
            Some("revoke_approval"),
            "{backend}"
        );
        assert_eq!(
            count(&store, certs).await,
            live - 1,
            "{backend}: its certificate revoked"
        );
        let told = format!(
            "SELECT COUNT(*) AS n FROM notifications WHERE user_id = {} AND subject LIKE '撤销许可%'",
            ent.user_id
        );
        assert_eq!(count(&store, &told).await, 1, "{backend}");
        assert!(matches!(
            store
                .verify_commitment(&reviewer, m.id, true, "", day)
                .await,
            Err(StoreError::Conflict { .. })
        ));
    }
}

#[tokio::test]
async fn a_concierge_rates_for_the_enterprise_only_under_its_authorization() {
    use tongban_domain::ratings::{RatingChannel, RatingInput};
    use tongban_store::ratings::{NewRating, Subject};
    for (backend, store) in tongban_store::testing::stores("enterprise-rating").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let files = Attachments::in_memory();
        let ent = actor(&store, "enterprise").await;
        let concierge = actor(&store, "concierge").await;
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let day = tongban_store::shanghai_today();
        let id = submitted(&store, &files, &ent, BUILD, day).await;
        approve(&store, id, day, true).await;
        let indicators = RatingChannel::Online
            .indicators()
            .iter()
            .filter(|i| i.key != "overall")
            .map(|i| (i.key.to_string(), 5))
            .collect();
        let rating = NewRating {
            channel: RatingChannel::Online,
            input: RatingInput {
                level: 5,
                indicators,
                reasons: vec![],
                comment: "专员全程帮办".into(),
            },
            sub_case_id: None,
        };
        // No authorization of the enterprise: the case is nothing to them.
        assert!(matches!(
            store
                .rate(&concierge, Subject::Case, id, &rating, &cal, day)
                .await,
            Err(StoreError::NotFound(_))
        ));
        // An authorization for another item: refused with the reason.
        let m = mandate(&[LAND], day - Duration::days(1), day + Duration::days(30));
        store
            .grant_mandate(&ent, &files, &m, "授权书.pdf", b"%PDF-1.4 s".to_vec())
            .await
            .expect("grant");
        let why = refusal(
            store
                .rate(&concierge, Subject::Case, id, &rating, &cal, day)
                .await,
        );
        assert!(why.contains(BUILD), "{backend}: {why}");
        // Covering it: the rating is the enterprise's, entered by the concierge.
        let m = mandate(&[BUILD], day - Duration::days(1), day + Duration::days(30));
        store
            .grant_mandate(&ent, &files, &m, "授权书.pdf", b"%PDF-1.4 s".to_vec())
            .await
            .expect("grant");
        let r = store
            .rate(&concierge, Subject::Case, id, &rating, &cal, day)
            .await
            .expect("rated");
        assert_eq!(r.entered_by, Some(concierge.user_id), "{backend}");
        let rater = format!("SELECT rater_user_id AS n FROM ratings WHERE id = {}", r.id);
        assert_eq!(
            count(&store, &rater).await,
            ent.user_id,
            "{backend}: the enterprise's rating"
        );
        // One online rating: the enterprise cannot give a second.
        assert!(
            store
                .rate(&ent, Subject::Case, id, &rating, &cal, day)
                .await
                .is_err(),
            "{backend}"
        );
    }
}
