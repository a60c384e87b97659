//! Stage applications (并联审批, SPEC §9), where 靠前服务 and the bundles
//! meet: a stage of a project is applied for with one form and one set of
//! materials — the bundle (一件事) the stage's configuration names — by the
//! enterprise, or by its concierge under an authorization covering every
//! item. Submitting fans it out to one application per item in one
//! transaction (the bundle machinery); each joins the project's stage as it
//! is submitted (`StageApplications`, a case observer in the same
//! transaction), marked and with the shorter promise if the project is a
//! key one. Setting a stage — its items, and the form that must hold
//! only them — is here too, as it checks the bundle.

use std::collections::BTreeMap;

use sea_orm::prelude::async_trait::async_trait;
use tongban_domain::FieldError;
use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::enterprise::Stage;
use tongban_domain::enterprise::mandate::acting_for;

use crate::accounts::mandates::refused;
use crate::bundles::BundleCase;
use crate::cases::{CaseEventKind, CaseObserver, Effects, StepEvent};
use crate::enterprise::{KEY_MARK, StageConfig, StoredItems, config_kind, shorten_promises};
use crate::sql::to_json;
use crate::{Result, Store, StoreError, WriteTxn, exec, get, now_ms, query, query_one, trail};

impl Store {
    /// Sets one stage of the actor's centre (a centre-level catalogue
    /// admin): its items must be published items of the centre's
    /// departments, each in one stage of the kind only; the lead department
    /// one of the centre's.
    pub async fn put_stage_config(&self, actor: &Actor, c: &StageConfig) -> Result<()> {
        if actor.role != Role::CatalogAdmin || actor.department_id.is_some() {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        let mut errs = tongban_domain::FieldErrors::default();
        if !matches!(c.kind.as_str(), "government" | "social" | "low_risk") {
            errs.push(FieldError::new(
                "kind",
                "invalid",
                "项目类型应为政府投资、社会投资或社会投资简易低风险",
                "kind must be government, social or low_risk",
            ));
        }
        if Stage::from_number(c.stage).is_none() {
            errs.push(FieldError::new(
                "stage",
                "invalid",
                "阶段应为1至4，或9（并行推进）",
                "stage must be 1-4, or 9 for parallel items",
            ));
        }
        if c.target_days.get() == 0 || c.target_days.get() > 120 {
            errs.push(FieldError::new(
                "target_days",
                "out_of_range",
                "阶段时限应为1至120个工作日",
                "target_days must be 1 to 120",
            ));
        }
        let dept = query_one(
            self.conn(),
            "SELECT id FROM departments WHERE id = $1 AND centre_id = $2",
            vec![c.lead_department_id.into(), actor.centre_id.into()],
        )
        .await?;
        if dept.is_none() {
            errs.push(FieldError::new(
                "lead_department_id",
                "unknown",
                "牵头部门应为本中心的部门",
                "the lead department must be one of the centre's",
            ));
        }
        if c.items.is_empty() || c.items.len() > 50 {
            errs.push(FieldError::new(
                "items",
                "required",
                "每个阶段应包含1至50个事项",
                "a stage holds 1 to 50 items",
            ));
        }
        for (i, code) in c.items.iter().enumerate() {
            let ok = query_one(
                self.conn(),
                "SELECT 1 AS one FROM item_versions v JOIN departments d ON d.id = v.department_id \
                 WHERE v.impl_code = $1 AND v.status = 'published' AND d.centre_id = $2",
                vec![code.clone().into(), actor.centre_id.into()],
            )
            .await?;
            if ok.is_none() {
                errs.push(FieldError::new(
                    format!("items[{i}]"),
                    "unknown",
                    "本中心没有此实施编码的已发布事项",
                    "no published item of this centre has this code",
                ));
            }
        }
        // An item belongs to one stage of a kind, once.
        let others = self.stage_config(actor.centre_id, &c.kind).await?;
        for (i, code) in c.items.iter().enumerate() {
            let twice = c.items[..i].contains(code);
            let elsewhere = others
                .iter()
                .any(|o| o.stage != c.stage && o.items.contains(code));
            if twice || elsewhere {
                errs.push(FieldError::new(
                    format!("items[{i}]"),
                    "duplicate",
                    "同一事项只能属于一个阶段，且只列一次",
                    "an item belongs to one stage, listed once",
                ));
            }
        }
        for (i, code) in c.commitment_items.iter().enumerate() {
            if !c.items.contains(code) {
                errs.push(FieldError::new(
                    format!("commitment_items[{i}]"),
                    "unknown",
                    "告知承诺事项应为本阶段的事项",
                    "a commitment item must be one of the stage's items",
                ));
            }
        }
        if let Some(code) = &c.bundle {
            let fits = match self.published_bundle(code).await? {
                Some(b) => {
                    b.bundle.centre_id == actor.centre_id
                        && b.bundle.doc.questions.is_empty()
                        && !b.bundle.doc.items.is_empty()
                        && b.bundle.doc.items.iter().all(|i| c.items.contains(&i.item))
                }
                None => false,
            };
            if !fits {
                errs.push(FieldError::new(
                    "bundle",
                    "unfit",
                    "阶段申请表应为本中心已发布、不设情形问题且只含本阶段事项的“一件事”",
                    "the stage application must be a published bundle of the centre without questions, holding only the stage's items",
                ));
            }
        }
        errs.into_result().map_err(StoreError::Invalid)?;
        let txn = self.begin().await?;
        exec(
            &txn,
            "DELETE FROM project_stage_config WHERE centre_id = $1 AND kind = $2 AND stage = $3",
            vec![
                actor.centre_id.into(),
                c.kind.clone().into(),
                c.stage.into(),
            ],
        )
        .await?;
        exec(
            &txn,
            "INSERT INTO project_stage_config (centre_id, kind, stage, lead_department_id, target_days, items) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            vec![
                actor.centre_id.into(),
                c.kind.clone().into(),
                c.stage.into(),
                c.lead_department_id.into(),
                i64::from(c.target_days.get()).into(),
                to_json(&StoredItems {
                    items: c.items.clone(),
                    commitment_items: c.commitment_items.clone(),
                    bundle: c.bundle.clone(),
                })
                .into(),
            ],
        )
        .await?;
        trail::append(
            &txn,
            Some(actor.user_id),
            "project.stage_config",
            &format!("centre:{}", actor.centre_id),
            serde_json::to_value(c).unwrap_or_default(),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Starts (or, for its maker, continues) the application for `stage`
    /// of project `id`: a draft of the stage's bundle in the enterprise's
    /// name. Refused when the stage has no application form, is applied
    /// for already (as a whole or item by item), or — for a concierge —
    /// when the enterprise's authorization does not cover every item.
    pub async fn apply_for_stage(&self, actor: &Actor, id: i64, stage: i64) -> Result<BundleCase> {
        let p = self.project(actor, id).await?;
        match actor.role {
            Role::Applicant if actor.user_id == p.owner_user_id => {}
            Role::Concierge => {}
            _ => return Err(StoreError::Forbidden(Denied::Role)),
        }
        let config = self
            .stage_config(p.centre_id, config_kind(&p.kind, p.low_risk))
            .await?;
        let Some((code, items)) = config
            .iter()
            .find(|s| s.stage == stage)
            .and_then(|s| s.bundle.clone().map(|b| (b, s.items.clone())))
        else {
            return Err(StoreError::Invalid(
                FieldError::new(
                    "stage",
                    "no_application_form",
                    "本阶段未设阶段申请表，请逐项申请后归入项目",
                    "the stage has no application form: apply item by item and add them to the project",
                )
                .into(),
            ));
        };
        let plan = self
            .plan_bundle(&code, &BTreeMap::new(), p.owner_user_id)
            .await?;
        // The form as published now must still be the stage's: a later
        // version may not ask questions or bring other stages' items.
        if !plan.view.bundle.doc.questions.is_empty()
            || plan.sel.items.iter().any(|i| !items.contains(i))
        {
            return Err(StoreError::conflict(
                "本阶段的申请表已变更，与阶段配置不符，请联系服务中心",
                "the stage's application form no longer fits the stage; contact the centre",
            ));
        }
        let today = crate::shanghai_today();
        if actor.role == Role::Concierge {
            for item in &plan.sel.items {
                if let Err(why) = self
                    .mandate_check(actor.user_id, p.owner_user_id, Some(item), today)
                    .await?
                {
                    return Err(refused(why));
                }
            }
        }
        let txn = self.begin().await?;
        // The project's row first: two starts at once take turns here.
        exec(
            &txn,
            "UPDATE projects SET key_project = key_project WHERE id = $1",
            vec![id.into()],
        )
        .await?;
        let made = query(
            &txn,
            "SELECT bundle_case_id AS id, bundle_no, submitted, created_by FROM project_bundles \
             WHERE project_id = $1 AND stage = $2",
            vec![id.into(), stage.into()],
        )
        .await?;
        // A stage takes one application (a second is refused below).
        if let Some(r) = made.first() {
            let draft = !get::<bool>(r, "submitted")?;
            // Its maker continues it; the enterprise may take over a draft
            // its concierge began.
            let mine = get::<i64>(r, "created_by")? == actor.user_id
                || (actor.role == Role::Applicant && actor.user_id == p.owner_user_id);
            if draft && mine {
                let bid: i64 = get(r, "id")?;
                drop(txn);
                return self.bundle_case(bid).await;
            }
            let no: String = get(r, "bundle_no")?;
            return Err(StoreError::conflict(
                if draft {
                    "本阶段的申请正由他人填写".to_string()
                } else {
                    format!("本阶段已申请（编号{no}）")
                },
                if draft {
                    "someone else is filling in this stage's application".to_string()
                } else {
                    format!("the stage has been applied for ({no})")
                },
            ));
        }
        let single = query_one(
            &txn,
            "SELECT COUNT(*) AS n FROM project_cases WHERE project_id = $1 AND stage = $2",
            vec![id.into(), stage.into()],
        )
        .await?
        .map(|r| get::<i64>(&r, "n"))
        .transpose()?
        .unwrap_or(0);
        if single > 0 {
            return Err(StoreError::conflict(
                "本阶段已有逐项办理的申请，其余事项请逐项申请后归入项目",
                "the stage has applications made item by item: apply for the rest the same way",
            ));
        }
        let bid = self.insert_bundle_draft(&txn, actor, &plan, None).await?;
        exec(
            &txn,
            "INSERT INTO project_bundles (bundle_case_id, project_id, stage, bundle_no, created_by, submitted, created_at) \
             VALUES ($1, $2, $3, (SELECT bundle_no FROM bundle_cases WHERE id = $1), $4, $5, $6)",
            vec![
                bid.into(),
                id.into(),
                stage.into(),
                actor.user_id.into(),
                false.into(),
                now_ms().into(),
            ],
        )
        .await?;
        let label = if actor.role == Role::Concierge {
            acting_for(&actor.display_name, &p.owner_name)
        } else {
            actor.display_name.clone()
        };
        trail::append(
            &txn,
            Some(actor.user_id),
            "project.stage_application",
            &format!("project:{id}"),
            serde_json::json!({"stage": stage, "bundle_case": bid, "bundle": code, "by": label}),
        )
        .await?;
        txn.commit().await?;
        self.bundle_case(bid).await
    }
}

/// Puts each application a stage application fans out into its project's
/// stage as it is submitted, in the submission's transaction.
pub struct StageApplications;

#[async_trait]
impl CaseObserver for StageApplications {
    fn name(&self) -> &'static str {
        "stage_applications"
    }

    async fn observe(&self, txn: &WriteTxn, steps: &[StepEvent], _fx: &mut Effects) -> Result<()> {
        for s in steps {
            let case = &s.case;
            let Some(bid) = case
                .bundle_case_id
                .filter(|_| s.is(CaseEventKind::Submitted))
            else {
                continue;
            };
            let Some(r) = query_one(
                txn,
                "SELECT project_id, stage FROM project_bundles WHERE bundle_case_id = $1",
                vec![bid.into()],
            )
            .await?
            else {
                continue;
            };
            let project: i64 = get(&r, "project_id")?;
            exec(
                txn,
                "UPDATE project_bundles SET submitted = $1 WHERE bundle_case_id = $2",
                vec![true.into(), bid.into()],
            )
            .await?;
            // The project's row first, as a supervisor marking it does.
            exec(
                txn,
                "UPDATE projects SET key_project = key_project WHERE id = $1",
                vec![project.into()],
            )
            .await?;
            exec(
                txn,
                "INSERT INTO project_cases (project_id, stage, case_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                vec![project.into(), get::<i64>(&r, "stage")?.into(), case.id.into()],
            )
            .await?;
            let Some(p) = query_one(
                txn,
                "SELECT key_project, centre_id FROM projects WHERE id = $1",
                vec![project.into()],
            )
            .await?
            else {
                continue;
            };
            if get::<bool>(&p, "key_project")? {
                crate::cases::priority::mark(txn, &[case.id], KEY_MARK).await?;
                shorten_promises(txn, get(&p, "centre_id")?, &[case.id]).await?;
            }
        }
        Ok(())
    }
}
