//! 靠前服务 on both backends: concierges act for an enterprise only under
//! its authorization and see only what they follow; projects group the
//! enterprise's applications by stage with their days against the target;
//! difficulty tickets are routed, moved, rated, and escalate once each
//! step even with two instances sweeping.

use chrono::{Duration, NaiveDate};
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::catalog::DayCount;
use tongban_domain::codes::CreditCode;
use tongban_domain::enterprise::TicketAction;
use tongban_store::accounts::mandates::NewMandate;
use tongban_store::attachments::Attachments;
use tongban_store::enterprise::{NewProject, NewTicket, NewVisit, StageConfig};
use tongban_store::{Store, StoreError};

use crate::helpers::{actor, count, map};

/// 企业投资项目备案 (发改局) and 建设用地规划许可证核发 (自然资源规划局).
pub(crate) const RECORD: &str = "11339901MB0000010Y4061001001000";
pub(crate) const LAND: &str = "11339901MB000001124011102001000";
/// 建筑工程施工许可证核发 (住建局).
pub(crate) const BUILD: &str = "11339901MB000001254011201001000";

pub(crate) fn refusal(r: Result<impl std::fmt::Debug, StoreError>) -> String {
    match r {
        Err(StoreError::Invalid(e)) => {
            e.0.iter()
                .map(|f| f.message_zh.clone())
                .collect::<Vec<_>>()
                .join("；")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn enterprises(store: &Store) -> (i64, i64) {
    let centre = store.centres().await.expect("centres")[0].id;
    let code = |s: &str| CreditCode::parse(s).expect("credit code");
    let first17 = "91339901MA2J0CYB0";
    let c1 = format!(
        "{first17}{}",
        CreditCode::check_char_for(first17).expect("check")
    );
    let second = "91339901MA2J1QEU0";
    let c2 = format!(
        "{second}{}",
        CreditCode::check_char_for(second).expect("check")
    );
    let e1 = store
        .create_enterprise(
            "ent1",
            "示范建设有限公司",
            "ent-password",
            centre,
            &code(&c1),
        )
        .await
        .expect("e1");
    let e2 = store
        .create_enterprise(
            "ent2",
            "示范置业有限公司",
            "ent-password",
            centre,
            &code(&c2),
        )
        .await
        .expect("e2");
    (e1, e2)
}

pub(crate) fn project(code: &str) -> NewProject {
    NewProject {
        code: code.into(),
        name: "示范产业园一期".into(),
        owner: "ent1".into(),
        division: "339901".into(),
        kind: "social".into(),
        low_risk: true,
        land_area: 12000,
        floor_area: 3500,
        investment: 2800,
        planned_start: "2027-03-01".into(),
        planned_finish: "2028-06-30".into(),
    }
}

pub(crate) fn mandate(items: &[&str], from: NaiveDate, to: NaiveDate) -> NewMandate {
    NewMandate {
        concierge: "concierge".into(),
        scope_all: items.is_empty(),
        items: items.iter().map(|s| s.to_string()).collect(),
        valid_from: from.to_string(),
        valid_to: to.to_string(),
    }
}

#[tokio::test]
async fn a_concierge_acts_only_under_a_valid_authorization_and_sees_only_what_they_follow() {
    for (backend, store) in tongban_store::testing::stores("enterprise-mandates").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let files = Attachments::in_memory();
        enterprises(&store).await;
        let ent1 = actor(&store, "ent1").await;
        let ent2 = actor(&store, "ent2").await;
        let concierge = actor(&store, "concierge").await;
        let today = tongban_store::shanghai_today();
        // Without an authorization the concierge cannot register for ent1.
        let why = refusal(
            store
                .create_project(&concierge, &project("2611-339901-04-03-53127K"))
                .await,
        );
        assert!(why.contains("没有该企业的授权委托"), "{backend}: {why}");
        // A citizen is no enterprise: it cannot authorize anyone.
        let citizen = actor(&store, "applicant").await;
        let letter = b"%PDF-1.4 signed".to_vec();
        let m = mandate(&[], today - Duration::days(1), today + Duration::days(30));
        assert!(matches!(
            store
                .grant_mandate(&citizen, &files, &m, "授权书.pdf", letter.clone())
                .await,
            Err(StoreError::Forbidden(_))
        ));
        // Bad input names each field and records nothing.
        let mut bad = mandate(&["no-such-item"], today, today - Duration::days(1));
        bad.concierge = "clerk".into();
        match store
            .grant_mandate(&ent1, &files, &bad, "x.pdf", Vec::new())
            .await
        {
            Err(StoreError::Invalid(e)) => {
                let f: Vec<&str> = e.0.iter().map(|x| x.field.as_str()).collect();
                assert_eq!(
                    f,
                    vec!["concierge", "valid_to", "items[0]", "letter"],
                    "{backend}"
                );
            }
            other => panic!("{backend}: {other:?}"),
        }
        assert_eq!(
            count(&store, "SELECT COUNT(*) AS n FROM mandates").await,
            0,
            "{backend}"
        );
        // ent1 authorizes the concierge for every item; the letter is kept.
        let granted = store
            .grant_mandate(&ent1, &files, &m, "授权书.pdf", letter.clone())
            .await
            .expect("grant");
        assert_eq!(
            store
                .mandate_letter(&concierge, &files, granted.id)
                .await
                .expect("letter")
                .1,
            letter
        );
        assert!(
            matches!(
                store.mandate(&ent2, granted.id).await,
                Err(StoreError::NotFound(_))
            ),
            "{backend}"
        );
        let p = store
            .create_project(&concierge, &project("2611-339901-04-03-53127K"))
            .await
            .expect("project");
        assert_eq!(
            (p.owner_user_id, p.concierge_user_id),
            (ent1.user_id, Some(concierge.user_id))
        );
        assert_eq!(
            p.target_days, 15,
            "{backend}: 简易低风险 takes the centre's low-risk target"
        );
        // The code is checked, with the reason.
        let why = refusal(
            store
                .create_project(&ent1, &project("2613-339901-04-03-53127K"))
                .await,
        );
        assert!(why.contains("2613"), "{backend}: {why}");
        let why = refusal(
            store
                .create_project(&ent1, &project("2611-339901-04-03-53127K"))
                .await,
        );
        assert!(why.contains("已登记"), "{backend}: {why}");
        // An expired authorization of ent2 is refused with its date.
        let old = mandate(&[], today - Duration::days(60), today - Duration::days(1));
        store
            .grant_mandate(&ent2, &files, &old, "old.pdf", letter.clone())
            .await
            .expect("old grant");
        let mut p2 = project("2019-339901-47-02-012345");
        p2.owner = "ent2".into();
        let why = refusal(store.create_project(&concierge, &p2).await);
        assert!(
            why.contains("已于") && why.contains("到期"),
            "{backend}: {why}"
        );
        let theirs = store
            .create_project(&ent2, &p2)
            .await
            .expect("ent2's own project");
        // Visibility: the owner, its concierge, the supervisor; not another
        // enterprise, nor a concierge who does not follow it.
        assert!(
            matches!(
                store.project(&ent2, p.id).await,
                Err(StoreError::NotFound(_))
            ),
            "{backend}"
        );
        assert!(
            matches!(
                store.project(&concierge, theirs.id).await,
                Err(StoreError::NotFound(_))
            ),
            "{backend}"
        );
        let seen: Vec<i64> = store
            .projects(&concierge)
            .await
            .expect("list")
            .iter()
            .map(|x| x.id)
            .collect();
        assert_eq!(seen, vec![p.id], "{backend}");
        let sup = actor(&store, "supervisor").await;
        assert_eq!(
            store.projects(&sup).await.expect("all").len(),
            2,
            "{backend}"
        );
        assert!(matches!(
            store.projects(&actor(&store, "officer").await).await,
            Err(StoreError::Forbidden(_))
        ));
        // Once ent2 is assigned to the concierge (一对一), its projects are theirs to see.
        store
            .assign_enterprise_concierge(&sup, "ent2", "concierge")
            .await
            .expect("assign");
        assert_eq!(
            store.projects(&concierge).await.expect("list").len(),
            2,
            "{backend}"
        );
        // Revoked: the concierge can no longer act for ent1.
        store
            .revoke_mandate(&ent1, granted.id)
            .await
            .expect("revoke");
        assert!(matches!(
            store.revoke_mandate(&concierge, granted.id).await,
            Err(StoreError::Forbidden(_))
        ));
        let t = NewTicket {
            project_id: Some(p.id),
            title: "用地".into(),
            problem: "规划条件不明".into(),
            items: vec![LAND.into()],
            ..Default::default()
        };
        let why = refusal(
            store
                .raise_ticket(
                    &concierge,
                    &t,
                    &WorkCalendar::builtin_with(&[]).expect("cal"),
                    tongban_store::shanghai_today(),
                )
                .await,
        );
        assert!(why.contains("撤销"), "{backend}: {why}");
        // The green channel is the supervisor's to set.
        assert!(matches!(
            store.set_key_project(&ent1, p.id, true).await,
            Err(StoreError::Forbidden(_))
        ));
        assert!(
            store
                .set_key_project(&sup, p.id, true)
                .await
                .expect("key")
                .key_project
        );
        assert_eq!(
            store.projects(&sup).await.expect("all")[0].id,
            p.id,
            "{backend}: key projects first"
        );
    }
}

#[tokio::test]
async fn a_project_groups_its_stage_applications_and_counts_their_days() {
    for (backend, store) in tongban_store::testing::stores("enterprise-stages").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let files = Attachments::in_memory();
        enterprises(&store).await;
        let ent1 = actor(&store, "ent1").await;
        let concierge = actor(&store, "concierge").await;
        let admin = actor(&store, "catalog").await;
        let depts = store.departments().await.expect("departments");
        let dept = |short: &str| {
            depts
                .iter()
                .find(|d| d.short_name == short)
                .expect("dept")
                .id
        };
        let stage1 = StageConfig {
            kind: "low_risk".into(),
            stage: 1,
            lead_department_id: dept("发改局"),
            target_days: DayCount::of(5),
            items: vec![RECORD.into(), LAND.into()],
            commitment_items: vec![],
            bundle: None,
        };
        // Only the centre's catalogue admin configures stages; bad stages are refused.
        assert!(matches!(
            store.put_stage_config(&ent1, &stage1).await,
            Err(StoreError::Forbidden(_))
        ));
        let mut bad = stage1.clone();
        bad.stage = 5;
        bad.items = vec!["nope".into()];
        bad.commitment_items = vec![BUILD.into()];
        // An application form holding another stage's items is no stage's.
        bad.bundle = Some("project-stage-4".into());
        match store.put_stage_config(&admin, &bad).await {
            Err(StoreError::Invalid(e)) => {
                let f: Vec<&str> = e.0.iter().map(|x| x.field.as_str()).collect();
                assert_eq!(
                    f,
                    vec!["stage", "items[0]", "commitment_items[0]", "bundle"],
                    "{backend}"
                );
            }
            other => panic!("{backend}: {other:?}"),
        }
        store
            .put_stage_config(&admin, &stage1)
            .await
            .expect("stage 1");
        let stage3 = StageConfig {
            stage: 3,
            lead_department_id: dept("住建局"),
            items: vec![BUILD.into()],
            ..stage1.clone()
        };
        store
            .put_stage_config(&admin, &stage3)
            .await
            .expect("stage 3");
        let p = store
            .create_project(&ent1, &project("2611-339901-04-03-53127K"))
            .await
            .expect("project");
        // The supervisor assigns the project its concierge (项目专员), who
        // holds an authorization for 施工许可 only.
        let sup = actor(&store, "supervisor").await;
        assert!(
            matches!(
                store.project(&concierge, p.id).await,
                Err(StoreError::NotFound(_))
            ),
            "{backend}: not yet theirs"
        );
        assert!(
            refusal(store.assign_project_concierge(&sup, p.id, "clerk").await)
                .contains("帮办代办员")
        );
        store
            .assign_project_concierge(&sup, p.id, "concierge")
            .await
            .expect("assigned");
        let today = tongban_store::shanghai_today();
        let m = mandate(&[BUILD], today, today + Duration::days(90));
        store
            .grant_mandate(&ent1, &files, &m, "授权书.pdf", b"%PDF-1.4 s".to_vec())
            .await
            .expect("grant");
        let draft = |code: &'static str| {
            let store = &store;
            let ent1 = &ent1;
            async move {
                store
                    .create_case(
                        ent1,
                        code,
                        tongban_store::cases::NewCase {
                            form: map(&[]),
                            ..Default::default()
                        },
                    )
                    .await
                    .expect("draft")
                    .id
            }
        };
        let record = draft(RECORD).await;
        let build = draft(BUILD).await;
        // Out of the authorization's scope: refused with the item named.
        let why = refusal(store.add_case_to_project(&concierge, p.id, record).await);
        assert!(why.contains(RECORD), "{backend}: {why}");
        let view = store
            .add_case_to_project(&ent1, p.id, record)
            .await
            .expect("stage 1 application");
        let s1 = view.stages.iter().find(|s| s.stage == 1).expect("stage 1");
        // A draft starts no clock: the stage starts with a receipt.
        assert_eq!((s1.started_on, s1.used), (None, None), "{backend}");
        assert_eq!((s1.target_days, s1.finished), (5, false), "{backend}");
        assert_eq!(
            s1.items
                .iter()
                .filter(|i| i.case_id == Some(record))
                .count(),
            1
        );
        assert!(
            view.next_zh.iter().any(|n| n.contains("尚未申请")),
            "{backend}: {:?}",
            view.next_zh
        );
        // In scope, through the concierge; twice is refused.
        store
            .add_case_to_project(&concierge, p.id, build)
            .await
            .expect("stage 3 by the concierge");
        assert!(matches!(
            store.add_case_to_project(&ent1, p.id, build).await,
            Err(StoreError::Conflict { .. })
        ));
        // Another enterprise's case is not found; an item of no stage is refused.
        let ent2 = actor(&store, "ent2").await;
        let theirs = store
            .create_case(
                &ent2,
                BUILD,
                tongban_store::cases::NewCase {
                    form: map(&[]),
                    ..Default::default()
                },
            )
            .await
            .expect("ent2's draft");
        assert!(
            matches!(
                store.add_case_to_project(&ent1, p.id, theirs.id).await,
                Err(StoreError::NotFound(_))
            ),
            "{backend}"
        );
        let other = draft("11339901MB000001254011203001000").await;
        let why = refusal(store.add_case_to_project(&ent1, p.id, other).await);
        assert!(why.contains("不属于本项目"), "{backend}: {why}");
        // Site visits are the project concierge's.
        let visit = NewVisit {
            visited_on: today.to_string(),
            participants: "钱专员、项目经理".into(),
            topics: "施工准备".into(),
            problems: "临时用电未接入".into(),
            follow_ups: String::new(),
        };
        assert!(matches!(
            store.record_visit(&ent1, p.id, &visit).await,
            Err(StoreError::Forbidden(_))
        ));
        let v = store
            .record_visit(&concierge, p.id, &visit)
            .await
            .expect("visit");
        assert_eq!(
            store.project_view(&ent1, p.id).await.expect("view").visits[0].id,
            v.id
        );
        let mut future = visit.clone();
        future.visited_on = (today + Duration::days(1)).to_string();
        assert!(
            refusal(store.record_visit(&concierge, p.id, &future).await).contains("不能晚于今天")
        );
    }
}

#[tokio::test]
async fn a_ticket_is_routed_answered_rated_and_escalates_each_step_once_with_two_instances() {
    for (backend, a, b) in tongban_store::testing::store_pairs("enterprise-tickets").await {
        tongban_store::demo::load_demo(&a).await.expect("demo");
        enterprises(&a).await;
        let ent1 = actor(&a, "ent1").await;
        let p = a
            .create_project(&ent1, &project("2611-339901-04-03-53127K"))
            .await
            .expect("project");
        let t = NewTicket {
            project_id: Some(p.id),
            title: "用地规划条件".into(),
            problem: "规划条件与备案内容不一致，无法申请用地规划许可".into(),
            items: vec![LAND.into(), RECORD.into()],
            ..Default::default()
        };
        // Nothing to route to: refused.
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let today = tongban_store::shanghai_today();
        let why = refusal(
            a.raise_ticket(
                &ent1,
                &NewTicket {
                    items: vec![],
                    ..t.clone()
                },
                &cal,
                today,
            )
            .await,
        );
        assert!(why.contains("涉及的事项或部门"), "{backend}: {why}");
        let raised = a
            .raise_ticket(&ent1, &t, &cal, today)
            .await
            .expect("raised");
        assert_eq!(
            (raised.state.as_str(), raised.department_ids.len()),
            ("open", 2),
            "{backend}"
        );
        assert_eq!(
            raised.respond_by,
            cal.add_workdays(today, 3).expect("due"),
            "{backend}"
        );
        // A department not routed to does not see it.
        let wj = actor(&a, "reviewer").await;
        assert!(
            matches!(a.ticket(&wj, raised.id).await, Err(StoreError::NotFound(_))),
            "{backend}"
        );
        assert!(matches!(
            a.act_on_ticket(&ent1, raised.id, TicketAction::Answer, "x", raised.version)
                .await,
            Err(StoreError::Forbidden(_))
        ));
        // 发改局 has a reviewer and a head (demo accounts).
        // Two instances sweep at once, past the answer's deadline: the
        // heads are told once per department.
        let late = cal.add_workdays(raised.respond_by, 1).expect("late");
        let (x, y) = tokio::join!(a.sweep_tickets(&cal, late), b.sweep_tickets(&cal, late));
        let (x, y) = (x.expect("sweep a"), y.expect("sweep b"));
        assert_eq!(x.to_heads + y.to_heads, 1, "{backend}");
        assert_eq!(x.to_supervisors + y.to_supervisors, 0, "{backend}");
        let head = actor(&a, "head_fg").await;
        let escalated = format!(
            "SELECT COUNT(*) AS n FROM notifications WHERE user_id = {} AND subject LIKE '%逾期督办%'",
            head.user_id
        );
        assert_eq!(
            count(&a, &escalated).await,
            1,
            "{backend}: the head is told once"
        );
        let later = cal.add_workdays(raised.respond_by, 3).expect("later");
        a.sweep_tickets(&cal, late)
            .await
            .expect("again: nothing new");
        assert_eq!(count(&a, &escalated).await, 1, "{backend}");
        let (x, y) = tokio::join!(a.sweep_tickets(&cal, later), b.sweep_tickets(&cal, later));
        assert_eq!(
            x.expect("a").to_supervisors + y.expect("b").to_supervisors,
            1,
            "{backend}"
        );
        assert_eq!(
            count(&a, "SELECT COUNT(*) AS n FROM ticket_escalations").await,
            2,
            "{backend}"
        );
        let sup = actor(&a, "supervisor").await;
        assert_eq!(
            a.tickets(&sup).await.expect("list")[0].escalation,
            2,
            "{backend}"
        );
        // The department answers; the enterprise reopens (within the
        // limit), then confirms and rates it once.
        let rev = actor(&a, "reviewer_fg").await;
        let (seen, _) = a.ticket(&rev, raised.id).await.expect("routed to 发改局");
        let why = refusal(
            a.act_on_ticket(&rev, raised.id, TicketAction::Answer, " ", seen.version)
                .await,
        );
        assert!(why.contains("请填写"), "{backend}: {why}");
        let answered = a
            .act_on_ticket(
                &rev,
                raised.id,
                TicketAction::Answer,
                "已协调规划部门出具一致的规划条件",
                seen.version,
            )
            .await
            .expect("answer");
        assert_eq!(answered.state, "answered");
        // A stale version is refused.
        assert!(matches!(
            a.act_on_ticket(&ent1, raised.id, TicketAction::Resolve, "", seen.version)
                .await,
            Err(StoreError::Conflict { .. })
        ));
        let mut v = answered.version;
        for _ in 0..2 {
            let r = a
                .act_on_ticket(
                    &ent1,
                    raised.id,
                    TicketAction::Reopen,
                    "仍未收到新的规划条件",
                    v,
                )
                .await
                .expect("reopen");
            assert_eq!(
                r.escalation, 0,
                "{backend}: a reopened ticket owes a new answer"
            );
            v = a
                .act_on_ticket(&rev, raised.id, TicketAction::Answer, "已补发", r.version)
                .await
                .expect("answer")
                .version;
        }
        assert!(
            matches!(
                a.act_on_ticket(&ent1, raised.id, TicketAction::Reopen, "还是不行", v)
                    .await,
                Err(StoreError::Conflict { .. })
            ),
            "{backend}: limit 2"
        );
        assert!(
            matches!(
                a.rate_ticket(&ent1, raised.id, 5, "").await,
                Err(StoreError::Conflict { .. })
            ),
            "{backend}: rated once resolved"
        );
        let done = a
            .act_on_ticket(&ent1, raised.id, TicketAction::Resolve, "", v)
            .await
            .expect("resolved");
        assert_eq!(done.state, "resolved");
        assert!(refusal(a.rate_ticket(&ent1, raised.id, 2, "").await).contains("说明原因"));
        a.rate_ticket(&ent1, raised.id, 5, "响应及时")
            .await
            .expect("rated");
        assert!(matches!(
            a.rate_ticket(&ent1, raised.id, 4, "").await,
            Err(StoreError::Conflict { .. })
        ));
        let (_, events) = a.ticket(&ent1, raised.id).await.expect("history");
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds,
            vec![
                "raised",
                "escalated",
                "escalated",
                "answer",
                "reopen",
                "answer",
                "reopen",
                "answer",
                "resolve",
                "rated"
            ],
            "{backend}"
        );
        assert!(events.iter().all(|e| !e.actor_label.is_empty()));
    }
}
