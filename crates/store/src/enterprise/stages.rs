//! Which items each stage holds, per centre and kind of project (the
//! catalogue admin's configuration), with its lead department and target.

use serde::{Deserialize, Serialize};
use tongban_domain::FieldError;
use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::catalog::DayCount;
use tongban_domain::enterprise::Stage;

use crate::sql::{json_col, to_json};
use crate::{Result, Store, StoreError, exec, get, query, query_one, trail};

/// One stage's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageConfig {
    /// `government`, `social` or `low_risk`.
    pub kind: String,
    /// 1–4, or 9 for the items run in parallel.
    pub stage: i64,
    pub lead_department_id: i64,
    pub target_days: DayCount,
    /// The items' 实施编码.
    pub items: Vec<String>,
    /// Items approved on the applicant's commitment (告知承诺制).
    #[serde(default)]
    pub commitment_items: Vec<String>,
    /// The stage application (申请表): a published bundle (一件事) of the
    /// centre without questions whose items are the stage's. One form and
    /// one set of materials fan out to every item, handled in parallel.
    #[serde(default)]
    pub bundle: Option<String>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct StoredItems {
    pub(super) items: Vec<String>,
    #[serde(default)]
    pub(super) commitment_items: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) bundle: Option<String>,
}

impl Store {
    /// The stage configuration of a centre for a kind of project, by stage.
    pub async fn stage_config(&self, centre_id: i64, kind: &str) -> Result<Vec<StageConfig>> {
        let rows = query(
            self.conn(),
            "SELECT kind, stage, lead_department_id, target_days, items FROM project_stage_config \
             WHERE centre_id = $1 AND kind = $2 ORDER BY stage",
            vec![centre_id.into(), kind.into()],
        )
        .await?;
        rows.iter()
            .map(|r| {
                let items: StoredItems = json_col(r, "items")?;
                let days: i64 = get(r, "target_days")?;
                Ok(StageConfig {
                    kind: get(r, "kind")?,
                    stage: get(r, "stage")?,
                    lead_department_id: get(r, "lead_department_id")?,
                    target_days: u32::try_from(days)
                        .ok()
                        .and_then(DayCount::new)
                        .ok_or_else(|| StoreError::Corrupt("stage target".into()))?,
                    items: items.items,
                    commitment_items: items.commitment_items,
                    bundle: items.bundle,
                })
            })
            .collect()
    }

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
}
