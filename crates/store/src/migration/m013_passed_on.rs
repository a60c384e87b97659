//! Migration 013 (passed on): the documents that an earlier item of a
//! bundle issues to a later one (SPEC §5), and what the platform obtained
//! instead of asking (免提交), per sub-case material.

use sea_orm_migration::prelude::*;

use super::*;

pub(super) struct M013PassedOn;

impl MigrationName for M013PassedOn {
    fn name(&self) -> &str {
        "m013_passed_on"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M013PassedOn {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One row per receiving sub-case material: who issues it, and, once
        // issued, the certificate that was passed on.
        m.create_table(
            Table::create()
                .table("bundle_passed_on")
                .col(big_pk_auto("id"))
                .col(bigint("bundle_case_id"))
                .col(bigint("to_case_id"))
                .col(bigint("material_index"))
                .col(string("kind"))
                .col(string("holder"))
                .col(string("from_item"))
                .col(bigint_null("from_case_id"))
                .col(string_null("licence_id"))
                .col(bigint_null("passed_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("bundle_passed_on_bundle")
                .table("bundle_passed_on")
                .col("bundle_case_id")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("bundle_passed_on_to")
                .table("bundle_passed_on")
                .col("to_case_id")
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
