//! Migration 021 (靠前服务, SPEC §9): a stage application is a bundle
//! application (one form, one set of materials) made for a stage of a
//! project; this records which project and stage it was made for. And
//! 联合验收: a project's joint inspection with each inspecting department's
//! finding.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

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
                .col(string("bundle_no"))
                .col(bigint("created_by"))
                .col(boolean("submitted"))
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
        m.create_table(
            Table::create()
                .table("joint_inspections")
                .col(big_pk_auto("id"))
                .col(bigint("project_id"))
                .col(string("inspect_on"))
                .col(string("inspect_at"))
                .col(text("place"))
                .col(bigint("lead_department_id"))
                .col(string("result"))
                .col(bigint("created_by"))
                .col(bigint("created_at"))
                .col(bigint_null("decided_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "joint_inspections",
            "ix_joint_inspections_project",
            &["project_id"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("joint_inspection_departments")
                .col(bigint("inspection_id"))
                .col(bigint("department_id"))
                .col(boolean_null("passed"))
                .col(text("note"))
                .col(bigint_null("recorded_by"))
                .col(bigint_null("recorded_at"))
                .primary_key(Index::create().col("inspection_id").col("department_id"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
