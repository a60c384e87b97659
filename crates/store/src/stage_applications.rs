//! Stage applications (并联审批, SPEC §9), where 靠前服务 and the bundles
//! meet: a stage of a project is applied for with one form and one set of
//! materials — the bundle (一件事) the stage's configuration names — by the
//! enterprise, or by its concierge under an authorization covering every
//! item. Submitting fans it out to one application per item in one
//! transaction (the bundle machinery); each joins the project's stage as it
//! is submitted (`StageApplications`, a case observer in the same
//! transaction), marked and with the shorter promise if the project is a
//! key one.

use std::collections::BTreeMap;

use sea_orm::prelude::async_trait::async_trait;
use tongban_domain::FieldError;
use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::enterprise::mandate::acting_for;

use crate::accounts::mandates::refused;
use crate::bundles::BundleCase;
use crate::cases::{CaseEventKind, CaseObserver, Effects, StepEvent};
use crate::enterprise::{KEY_MARK, config_kind, shorten_promises};
use crate::{Result, Store, StoreError, WriteTxn, exec, get, now_ms, query, query_one, trail};

impl Store {
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
            "SELECT b.id, b.bundle_no, b.status, b.created_by FROM project_bundles pb \
             JOIN bundle_cases b ON b.id = pb.bundle_case_id WHERE pb.project_id = $1 AND pb.stage = $2",
            vec![id.into(), stage.into()],
        )
        .await?;
        // A stage takes one application (a second is refused below).
        if let Some(r) = made.first() {
            let status: String = get(r, "status")?;
            // Its maker continues it; the enterprise may take over a draft
            // its concierge began.
            let mine = get::<i64>(r, "created_by")? == actor.user_id
                || (actor.role == Role::Applicant && actor.user_id == p.owner_user_id);
            if status == "draft" && mine {
                let bid: i64 = get(r, "id")?;
                drop(txn);
                return self.bundle_case(bid).await;
            }
            let no: String = get(r, "bundle_no")?;
            return Err(StoreError::conflict(
                if status == "draft" {
                    "本阶段的申请正由他人填写".to_string()
                } else {
                    format!("本阶段已申请（编号{no}）")
                },
                if status == "draft" {
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
            "INSERT INTO project_bundles (bundle_case_id, project_id, stage, created_at) VALUES ($1, $2, $3, $4)",
            vec![bid.into(), id.into(), stage.into(), now_ms().into()],
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
