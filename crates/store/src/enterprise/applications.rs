//! A project's stage applications as its page lists them: each stage's
//! application made with the stage's form (a bundle), as `project_bundles`
//! records it — its number, maker, and whether it is submitted. Making one
//! is the composition's (the store's `stage_applications` module).

use serde::Serialize;

use crate::{Result, Store, get, query};

/// A stage application of a project, as its page lists it.
#[derive(Debug, Clone, Serialize)]
pub struct StageApplication {
    pub bundle_case_id: i64,
    pub bundle_no: String,
    pub stage: i64,
    pub created_by: i64,
    pub submitted: bool,
    pub state_zh: &'static str,
}

impl Store {
    /// The stage applications of a project, oldest first.
    pub(super) async fn stage_applications(&self, id: i64) -> Result<Vec<StageApplication>> {
        query(
            self.conn(),
            "SELECT stage, bundle_case_id, bundle_no, created_by, submitted FROM project_bundles \
             WHERE project_id = $1 ORDER BY bundle_case_id",
            vec![id.into()],
        )
        .await?
        .iter()
        .map(|r| {
            let submitted: bool = get(r, "submitted")?;
            Ok(StageApplication {
                bundle_case_id: get(r, "bundle_case_id")?,
                bundle_no: get(r, "bundle_no")?,
                stage: get(r, "stage")?,
                created_by: get(r, "created_by")?,
                submitted,
                state_zh: if submitted {
                    "已提交，各部门并联办理"
                } else {
                    "草稿（未提交）"
                },
            })
        })
        .collect()
    }
}
