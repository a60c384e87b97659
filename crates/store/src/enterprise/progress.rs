//! A project's stages: grouping the enterprise's applications under the
//! stage that holds their item, and the page with each stage's working
//! days against its target and the project's total.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use tongban_domain::FieldError;
use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::case::CaseState;
use tongban_domain::catalog::DayCount;
use tongban_domain::enterprise::mandate::acting_for;
use tongban_domain::enterprise::{Stage, StageProgress};

use super::{KEY_MARK, Project, Visit, config_kind};
use crate::accounts::mandates::refused;
use crate::sql::date_col;
use crate::{Result, Store, StoreError, exec, get, query, query_one, trail};

/// One item of a stage and the case that applies for it, if any.
#[derive(Debug, Clone, Serialize)]
pub struct StageItem {
    pub impl_code: String,
    pub name: String,
    pub department_name: String,
    pub commitment: bool,
    pub case_id: Option<i64>,
    pub case_no: Option<String>,
    pub state: Option<String>,
    pub state_zh: Option<String>,
    pub decided_on: Option<NaiveDate>,
}

/// One stage with its items and its days against its target.
#[derive(Debug, Clone, Serialize)]
pub struct StageView {
    pub stage: i64,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub lead_department_id: i64,
    pub lead_department_name: String,
    pub target_days: u32,
    pub started_on: Option<NaiveDate>,
    pub used: Option<u32>,
    pub finished: bool,
    /// `green`, `yellow` or `red`; none before it starts.
    pub warning: Option<String>,
    pub items: Vec<StageItem>,
    /// The stage's application form (a bundle), if it has one.
    pub bundle: Option<String>,
    /// Its stage applications (a draft included: the page opens it to its
    /// maker and the enterprise only).
    pub applications: Vec<super::StageApplication>,
}

impl StageView {
    /// Whether the stage may be applied for with its form: it has one, and
    /// nothing of it is applied for yet (as a whole or item by item).
    pub fn open_for_application(&self) -> bool {
        self.bundle.is_some()
            && self.applications.is_empty()
            && self.started_on.is_none()
            && self.items.iter().all(|i| i.case_id.is_none())
    }
}

/// A project's page: its stages, its total against its target, its visits
/// and what the enterprise must do next.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectView {
    pub project: Project,
    pub stages: Vec<StageView>,
    pub used: u32,
    pub warning: String,
    pub visits: Vec<Visit>,
    /// 联合验收, newest first.
    pub inspections: Vec<super::Inspection>,
    pub next_zh: Vec<String>,
}

impl Store {
    /// Groups an application of the enterprise under a stage of its project:
    /// the enterprise, or its concierge under an authorization covering the
    /// item. The item must be one the stage holds. The stage's clock starts
    /// with its first application's submission.
    pub async fn add_case_to_project(
        &self,
        actor: &Actor,
        id: i64,
        case_id: i64,
    ) -> Result<ProjectView> {
        let p = self.project(actor, id).await?;
        let c = query_one(
            self.conn(),
            "SELECT impl_code, applicant_user_id, received_on, state FROM cases WHERE id = $1",
            vec![case_id.into()],
        )
        .await?
        .filter(|r| {
            get::<Option<i64>>(r, "applicant_user_id").ok().flatten() == Some(p.owner_user_id)
        })
        .ok_or_else(|| StoreError::NotFound(format!("case {case_id}")))?;
        let impl_code: String = get(&c, "impl_code")?;
        let today = crate::shanghai_today();
        match actor.role {
            Role::Applicant if actor.user_id == p.owner_user_id => {}
            Role::Concierge => {
                if let Err(why) = self
                    .mandate_check(actor.user_id, p.owner_user_id, Some(&impl_code), today)
                    .await?
                {
                    return Err(refused(why));
                }
            }
            _ => return Err(StoreError::Forbidden(Denied::Role)),
        }
        let config = self
            .stage_config(p.centre_id, config_kind(&p.kind, p.low_risk))
            .await?;
        let Some(stage) = config.iter().find(|s| s.items.contains(&impl_code)) else {
            return Err(StoreError::Invalid(
                FieldError::new(
                    "case_id",
                    "not_in_stage",
                    "该事项不属于本项目的任何审批阶段",
                    "the item belongs to none of the project's stages",
                )
                .into(),
            ));
        };
        let txn = self.begin().await?;
        // The project's row first, so that a stage application and this
        // take turns, and a supervisor marking it at the same moment waits
        // for this (or this for them): the mark is never missed.
        exec(
            &txn,
            "UPDATE projects SET key_project = key_project WHERE id = $1",
            vec![id.into()],
        )
        .await?;
        // An item is applied for once in a project: again only after its
        // application ended without an approval.
        let open = query(
            &txn,
            "SELECT c.state, c.approved FROM project_cases pc JOIN cases c ON c.id = pc.case_id \
             WHERE pc.project_id = $1 AND c.impl_code = $2",
            vec![id.into(), impl_code.clone().into()],
        )
        .await?;
        for r in &open {
            let ended = get::<String>(r, "state")
                .ok()
                .as_deref()
                .and_then(CaseState::parse)
                .is_some_and(|s| s.is_final());
            if !ended || get::<Option<bool>>(r, "approved")? == Some(true) {
                return Err(StoreError::conflict(
                    "本项目已有该事项的申请",
                    "the project has an application for this item already",
                ));
            }
        }
        let drafting = query_one(
            &txn,
            "SELECT COUNT(*) AS n FROM project_bundles WHERE project_id = $1 AND stage = $2 AND submitted = $3",
            vec![id.into(), stage.stage.into(), false.into()],
        )
        .await?
        .map(|r| get::<i64>(&r, "n"))
        .transpose()?
        .unwrap_or(0);
        if drafting > 0 {
            return Err(StoreError::conflict(
                "本阶段的阶段申请正在填写，请在其中一并申请",
                "the stage's application is being filled in: apply with it",
            ));
        }
        let n = exec(
            &txn,
            "INSERT INTO project_cases (project_id, stage, case_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            vec![id.into(), stage.stage.into(), case_id.into()],
        )
        .await?;
        if n != 1 {
            return Err(StoreError::conflict(
                "该申请已归入项目",
                "the application belongs to a project already",
            ));
        }
        let key = query_one(
            &txn,
            "SELECT key_project FROM projects WHERE id = $1",
            vec![id.into()],
        )
        .await?
        .map(|r| get::<bool>(&r, "key_project"))
        .transpose()?
        .unwrap_or(false);
        if key {
            crate::cases::priority::mark(&txn, &[case_id], KEY_MARK).await?;
            super::projects::shorten_promises(&txn, p.centre_id, &[case_id]).await?;
        }
        let label = if actor.role == Role::Concierge {
            acting_for(&actor.display_name, &p.owner_name)
        } else {
            actor.display_name.clone()
        };
        trail::append(
            &txn,
            Some(actor.user_id),
            "project.case",
            &format!("project:{id}"),
            serde_json::json!({"case": case_id, "stage": stage.stage, "by": label}),
        )
        .await?;
        txn.commit().await?;
        self.project_view(actor, id).await
    }

    /// The project page: each stage with its items and their cases, the
    /// working days used against the stage's target and the project's.
    pub async fn project_view(&self, actor: &Actor, id: i64) -> Result<ProjectView> {
        let p = self.project(actor, id).await?;
        let cal = self.work_calendar().await?;
        self.project_view_of(p, &cal, crate::shanghai_today()).await
    }

    /// A project's stages and days on `today` (no access check: the
    /// callers check it, or are the sweep).
    pub(super) async fn project_view_of(
        &self,
        p: Project,
        cal: &tongban_domain::calendar::WorkCalendar,
        today: NaiveDate,
    ) -> Result<ProjectView> {
        let id = p.id;
        let config = self
            .stage_config(p.centre_id, config_kind(&p.kind, p.low_risk))
            .await?;
        let cases = query(
            self.conn(),
            "SELECT pc.stage, c.id, c.case_no, c.impl_code, c.state, c.approved, c.received_on, c.decided_on FROM project_cases pc \
             JOIN cases c ON c.id = pc.case_id WHERE pc.project_id = $1 ORDER BY c.id",
            vec![id.into()],
        )
        .await?;
        let mut by_code: BTreeMap<String, &sea_orm::QueryResult> = BTreeMap::new();
        // A stage's clock starts with the receipt of its first application
        // (a draft starts nothing); `grouped`: stages with any application.
        let mut runs: BTreeMap<i64, NaiveDate> = BTreeMap::new();
        let mut grouped = std::collections::BTreeSet::new();
        for r in &cases {
            by_code.insert(get::<String>(r, "impl_code")?, r);
            let stage: i64 = get(r, "stage")?;
            grouped.insert(stage);
            if let Some(d) = date_col(r, "received_on")? {
                let e = runs.entry(stage).or_insert(d);
                *e = (*e).min(d);
            }
        }
        let applications = self.stage_applications(id).await?;
        let mut stages = Vec::new();
        let mut progress = Vec::new();
        let mut next_zh = Vec::new();
        for s in &config {
            let Some(stage) = Stage::from_number(s.stage) else {
                continue;
            };
            let lead = query_one(
                self.conn(),
                "SELECT name FROM departments WHERE id = $1",
                vec![s.lead_department_id.into()],
            )
            .await?
            .map(|r| get::<String>(&r, "name"))
            .transpose()?
            .unwrap_or_default();
            let mut items = Vec::new();
            let mut all_final = true;
            let mut last_decided: Option<NaiveDate> = None;
            for code in &s.items {
                let info = query_one(
                    self.conn(),
                    "SELECT v.name, d.name AS dept FROM item_versions v JOIN departments d ON d.id = v.department_id \
                     WHERE v.impl_code = $1 AND v.status = 'published'",
                    vec![code.clone().into()],
                )
                .await?;
                let (name, dept) = match info {
                    Some(r) => (get::<String>(&r, "name")?, get::<String>(&r, "dept")?),
                    None => (code.clone(), String::new()),
                };
                let case = by_code.get(code);
                let state = case.map(|r| get::<String>(r, "state")).transpose()?;
                let parsed = state.as_deref().and_then(CaseState::parse);
                let decided = case
                    .map(|r| date_col(r, "decided_on"))
                    .transpose()?
                    .flatten();
                // Done when approved; an item refused or withdrawn is still
                // to be obtained.
                let approved = case
                    .map(|r| get::<Option<bool>>(r, "approved"))
                    .transpose()?
                    .flatten()
                    == Some(true);
                if !parsed.is_some_and(|s| s.is_final()) || !approved {
                    all_final = false;
                }
                if parsed.is_some_and(|s| s.is_final()) && !approved {
                    next_zh.push(format!(
                        "{}：“{name}”未获准，可单独重新申请后归入项目",
                        stage.zh()
                    ));
                }
                last_decided = last_decided.max(decided);
                if case.is_none() && grouped.contains(&s.stage) {
                    next_zh.push(format!("{}：尚未申请“{name}”", stage.zh()));
                }
                if parsed == Some(CaseState::Correction) {
                    next_zh.push(format!("{}：“{name}”待补正材料", stage.zh()));
                }
                items.push(StageItem {
                    impl_code: code.clone(),
                    name,
                    department_name: dept,
                    commitment: s.commitment_items.contains(code),
                    case_id: case.map(|r| get::<i64>(r, "id")).transpose()?,
                    case_no: case.map(|r| get::<String>(r, "case_no")).transpose()?,
                    state_zh: parsed.map(|s| s.zh().to_string()),
                    state,
                    decided_on: decided,
                });
            }
            let started = runs.get(&s.stage).copied();
            let prog = match started {
                Some(st) => {
                    let ended = if all_final {
                        Some(last_decided.unwrap_or(today))
                    } else {
                        None
                    };
                    let p = StageProgress::of(st, ended, s.target_days, today, cal)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    if stage != Stage::Parallel {
                        progress.push(p);
                    }
                    Some(p)
                }
                None => None,
            };
            stages.push(StageView {
                stage: s.stage,
                name_zh: stage.zh(),
                name_en: stage.en(),
                lead_department_id: s.lead_department_id,
                lead_department_name: lead,
                target_days: s.target_days.get(),
                started_on: started,
                used: prog.map(|p| p.used),
                finished: prog.is_some_and(|p| p.finished),
                warning: prog.map(|p| format!("{:?}", p.warning).to_lowercase()),
                items,
                bundle: s.bundle.clone(),
                applications: applications
                    .iter()
                    .filter(|a| a.stage == s.stage)
                    .cloned()
                    .collect(),
            });
        }
        if let Some(next) = stages
            .iter()
            .find(|s| s.started_on.is_none() && s.stage != Stage::Parallel.number())
        {
            let prev_done = Stage::from_number(next.stage)
                .and_then(Stage::previous)
                .is_none_or(|prev| {
                    stages
                        .iter()
                        .any(|s| s.stage == prev.number() && s.finished)
                });
            if prev_done {
                next_zh.push(format!("可申请第{}阶段：{}", next.stage, next.name_zh));
            }
        }
        let target = u32::try_from(p.target_days)
            .ok()
            .and_then(DayCount::new)
            .unwrap_or(DayCount::ZERO);
        let all_done =
            !stages.is_empty() && stages.iter().filter(|s| s.stage != 9).all(|s| s.finished);
        let total = StageProgress::total(&progress, target, all_done);
        let visits = self.visits_of(id).await?;
        let inspections = self.inspections_of(id).await?;
        Ok(ProjectView {
            project: p,
            stages,
            used: total.used,
            warning: format!("{:?}", total.warning).to_lowercase(),
            visits,
            inspections,
            next_zh,
        })
    }
}

impl Store {
    /// The id of the application with this number (办件编号), if any; what
    /// the caller may do with it is checked where it is used.
    pub async fn case_id_by_number(&self, case_no: &str) -> Result<Option<i64>> {
        query_one(
            self.conn(),
            "SELECT id FROM cases WHERE case_no = $1",
            vec![case_no.into()],
        )
        .await?
        .map(|r| get::<i64>(&r, "id"))
        .transpose()
    }
}
