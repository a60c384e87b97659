//! The demo's 靠前服务: the stages of a construction project with the demo's
//! construction items (for every kind of project), and — loaded with the
//! activity into a fresh demo — two projects: a 社会投资简易低风险 warehouse
//! of 示范置业 and the government-investment key project of 示范城建投资集团
//! with its concierge (钱专员) under the enterprise's authorization, in stage
//! 2 with an item running in parallel, a site visit, and two difficulty
//! tickets (one answered, one overdue and escalated). Everything goes through
//! the same store operations as real work.

use chrono::{Duration, NaiveDate};
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::catalog::DayCount;

use super::activity::{PDF, actor, apply_as, take_through, workday_before};
use crate::accounts::mandates::NewMandate;
use crate::attachments::Attachments;
use crate::enterprise::{NewProject, NewTicket, NewVisit, StageConfig};
use crate::{Result, Store, StoreError};

/// The stages' application forms, bundles over the demo's construction items.
const DEMO_STAGE_BUNDLES: &str = include_str!("../../demo/stage_bundles.json");

const RECORD: &str = "11339901MB0000010Y4061001001000";
const SITE: &str = "11339901MB000001124011101001000";
const LAND: &str = "11339901MB000001124011102001000";
const PLAN: &str = "11339901MB000001124011103001000";
const REALTY: &str = "11339901MB000001124021104001000";
const BUILD: &str = "11339901MB000001254011201001000";
const DONE: &str = "11339901MB000001254061202001000";
const FIRE: &str = "11339901MB000001254011204001000";

/// The stage configuration for every kind of project: the same items, the
/// targets of each kind (government 100 = 30 + 25 + 20 + 25; private 80;
/// 简易低风险 15), 施工许可 under 告知承诺制 for 简易低风险.
pub(super) async fn stage_configs(store: &Store) -> Result<()> {
    let admin = actor(store, "catalog").await?;
    // Each stage's application form (one form, one set of materials).
    store
        .import_bundles(admin.centre_id, DEMO_STAGE_BUNDLES)
        .await?;
    let depts = store.departments().await?;
    let dept = |short: &str| {
        depts
            .iter()
            .find(|d| d.short_name == short)
            .map(|d| d.id)
            .ok_or_else(|| StoreError::Corrupt(format!("demo department {short}")))
    };
    let stages: [(i64, &str, &[&str]); 5] = [
        (1, "发改局", &[RECORD, SITE, LAND]),
        (2, "自然资源规划局", &[PLAN]),
        (3, "住建局", &[BUILD]),
        (4, "住建局", &[FIRE, DONE]),
        (9, "自然资源规划局", &[REALTY]),
    ];
    for (kind, targets) in [
        ("government", [30, 25, 20, 25, 10]),
        ("social", [25, 20, 15, 20, 10]),
        ("low_risk", [3, 4, 3, 5, 5]),
    ] {
        for ((stage, lead, items), days) in stages.iter().zip(targets) {
            let commitment = if kind == "low_risk" && *stage == 3 {
                vec![BUILD.to_string()]
            } else {
                Vec::new()
            };
            store
                .put_stage_config(
                    &admin,
                    &StageConfig {
                        kind: kind.into(),
                        stage: *stage,
                        lead_department_id: dept(lead)?,
                        target_days: DayCount::of(days),
                        items: items.iter().map(|s| s.to_string()).collect(),
                        commitment_items: commitment,
                        bundle: (*stage != 9).then(|| format!("project-stage-{stage}")),
                    },
                )
                .await?;
        }
    }
    Ok(())
}

/// The demo's projects, authorization, visit and tickets (see the module).
pub async fn load_demo_enterprise(
    store: &Store,
    files: &Attachments,
    cal: &WorkCalendar,
    today: NaiveDate,
) -> Result<()> {
    let supervisor = actor(store, "supervisor").await?;
    let concierge = actor(store, "concierge").await?;
    let enterprise = actor(store, "enterprise").await?;
    let enterprise2 = actor(store, "enterprise2").await?;
    store
        .assign_enterprise_concierge(&supervisor, "enterprise", "concierge")
        .await?;
    store
        .grant_mandate(
            &enterprise,
            files,
            &NewMandate {
                concierge: "concierge".into(),
                scope_all: true,
                items: Vec::new(),
                valid_from: (today - Duration::days(40)).to_string(),
                valid_to: (today + Duration::days(325)).to_string(),
            },
            "授权委托书.pdf",
            PDF.to_vec(),
        )
        .await?;
    // The key project, registered by its concierge for the enterprise.
    let hospital = store
        .create_project(
            &concierge,
            &NewProject {
                code: "2609-339901-04-01-530917".into(),
                name: "示范区人民医院新院区建设项目".into(),
                owner: "enterprise".into(),
                division: "339901".into(),
                kind: "government".into(),
                low_risk: false,
                land_area: 86_000,
                floor_area: 152_000,
                investment: 186_000,
                planned_start: (today + Duration::days(60)).to_string(),
                planned_finish: (today + Duration::days(900)).to_string(),
            },
        )
        .await?;
    store
        .set_key_project(&supervisor, hospital.id, true)
        .await?;
    // Stage 1 done by two departments in parallel, stage 2 under review,
    // 不动产首次登记 running beside it.
    for (item, reviewer, head, ago) in [
        (RECORD, "reviewer_fg", "head_fg", 22),
        (SITE, "reviewer_zr", "head_zr", 21),
        (LAND, "reviewer_zr", "head_zr", 8),
    ] {
        let day = workday_before(cal, today, ago);
        let id = apply_as(store, files, cal, "enterprise", item, &[], day).await?;
        take_through(store, cal, id, reviewer, head, day).await?;
        store
            .add_case_to_project(&concierge, hospital.id, id)
            .await?;
    }
    let clerk = actor(store, "clerk").await?;
    for (item, ago) in [(PLAN, 4), (REALTY, 2)] {
        let day = workday_before(cal, today, ago);
        let id = apply_as(store, files, cal, "enterprise", item, &[], day).await?;
        store
            .case_command(
                &clerk,
                id,
                None,
                &tongban_domain::case::Command::Accept,
                cal,
                day,
            )
            .await?;
        store
            .add_case_to_project(&concierge, hospital.id, id)
            .await?;
    }
    store
        .record_visit(
            &concierge,
            hospital.id,
            &NewVisit {
                visited_on: workday_before(cal, today, 5).to_string(),
                participants: "钱专员、建设单位项目经理、设计单位代表".into(),
                topics: "工程建设许可阶段准备情况；消防设计审查材料".into(),
                problems: "消防设计审查意见与规划条件中的消防车道要求不一致".into(),
                follow_ups: "提请住建局、自然资源规划局会商".into(),
            },
        )
        .await?;
    // The problem found on the visit, raised 8 working days ago and not
    // answered: past the answer's deadline, escalated.
    let raised_on = workday_before(cal, today, 8);
    store
        .raise_ticket(
            &concierge,
            &NewTicket {
                project_id: Some(hospital.id),
                title: "消防车道要求不一致".into(),
                problem: "消防设计审查意见要求环形消防车道，规划条件未预留用地，需两部门共同明确。"
                    .into(),
                items: vec![BUILD.into(), PLAN.into()],
                ..Default::default()
            },
            cal,
            raised_on,
        )
        .await?;
    store.sweep_tickets(cal, today).await?;
    // The low-risk warehouse of 示范置业, stage 1 on its way.
    let warehouse = store
        .create_project(
            &enterprise2,
            &NewProject {
                code: "2610-339901-89-03-218046".into(),
                name: "示范置业冷链仓储项目".into(),
                owner: String::new(),
                division: "339901".into(),
                kind: "social".into(),
                low_risk: true,
                land_area: 9_800,
                floor_area: 4_600,
                investment: 3_200,
                planned_start: (today + Duration::days(30)).to_string(),
                planned_finish: (today + Duration::days(300)).to_string(),
            },
        )
        .await?;
    let day = workday_before(cal, today, 1);
    let id = apply_as(store, files, cal, "enterprise2", RECORD, &[], day).await?;
    store
        .add_case_to_project(&enterprise2, warehouse.id, id)
        .await?;
    let asked = store
        .raise_ticket(
            &enterprise2,
            &NewTicket {
                project_id: Some(warehouse.id),
                title: "简易低风险项目能否免于施工图审查".into(),
                problem:
                    "本项目建筑面积4600平方米，单层仓库，请明确是否适用简易低风险免施工图审查。"
                        .into(),
                items: vec![BUILD.into()],
                ..Default::default()
            },
            cal,
            day,
        )
        .await?;
    let reviewer = actor(store, "reviewer_zj").await?;
    store
        .act_on_ticket(
            &reviewer,
            asked.id,
            tongban_domain::enterprise::TicketAction::Answer,
            "适用。按简易低风险工程建设项目审批办法，施工图审查实行告知承诺，无需另行送审。",
            asked.version,
        )
        .await?;
    Ok(())
}
