//! Which items each stage holds, per centre and kind of project (the
//! catalogue admin's configuration), with its lead department and target.
//! Setting one checks its form, a bundle: that is the composition's
//! (`put_stage_config` in the store's `stage_applications` module).

use serde::{Deserialize, Serialize};
use tongban_domain::catalog::DayCount;

use crate::sql::json_col;
use crate::{Result, Store, StoreError, get, query};

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
pub(crate) struct StoredItems {
    pub(crate) items: Vec<String>,
    #[serde(default)]
    pub(crate) commitment_items: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) bundle: Option<String>,
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
}
