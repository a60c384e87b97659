//! A project's stage applications as its page lists them: each stage's
//! application made with the stage's form (a bundle), read from
//! `project_bundles` with the bundle's number and state. Making one is the
//! composition's (the store's `stage_applications` module).

use serde::Serialize;
use tongban_domain::bundle::BundleState;

use crate::{Result, Store, StoreError, get, query};

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
            "SELECT pb.stage, b.id, b.bundle_no, b.created_by, b.status, b.state FROM project_bundles pb \
             JOIN bundle_cases b ON b.id = pb.bundle_case_id WHERE pb.project_id = $1 ORDER BY b.id",
            vec![id.into()],
        )
        .await?
        .iter()
        .map(|r| {
            let state: String = get(r, "state")?;
            Ok(StageApplication {
                bundle_case_id: get(r, "id")?,
                bundle_no: get(r, "bundle_no")?,
                stage: get(r, "stage")?,
                created_by: get(r, "created_by")?,
                submitted: get::<String>(r, "status")? != "draft",
                state_zh: BundleState::parse(&state)
                    .ok_or_else(|| StoreError::Corrupt(format!("bundle state {state}")))?
                    .zh(),
            })
        })
        .collect()
    }
}
