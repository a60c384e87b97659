//! Migration 015 (form corrections): which form entries an applicant
//! corrected, and when — the fact that a correction notice's entry was
//! dealt with, without keeping any value (or digest of one) in the history.

use sea_orm_migration::prelude::*;

use super::*;

pub(super) struct M015FormCorrections;

impl MigrationName for M015FormCorrections {
    fn name(&self) -> &str {
        "m015_form_corrections"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M015FormCorrections {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("case_form_corrections")
                .col(big_pk_auto("id"))
                .col(bigint("case_id"))
                .col(string("field"))
                .col(bigint("corrected_by"))
                .col(bigint("corrected_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("case_form_corrections_case")
                .table("case_form_corrections")
                .col("case_id")
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
