//! Migration 021 (靠前服务, SPEC §9): a stage application is a bundle
//! application (one form, one set of materials) made for a stage of a
//! project; this records which project and stage it was made for.

use sea_orm_migration::prelude::*;

use super::*;

pub(super) struct M021StageApplications;

impl MigrationName for M021StageApplications {
    fn name(&self) -> &str {
        "m021_stage_applications"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M021StageApplications {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("project_bundles")
                .col(bigint("bundle_case_id").primary_key())
                .col(bigint("project_id"))
                .col(bigint("stage"))
                .col(bigint("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "project_bundles",
            "ix_project_bundles_project",
            &["project_id", "stage"],
            false,
        ))
        .await?;
        Ok(())
    }
}
