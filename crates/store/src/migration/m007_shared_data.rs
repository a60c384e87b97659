//! Migration 007 (shared data): data sources, their table rows, and the
//! lookups and rule evaluations recorded on cases.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::*;

pub(super) struct M007SharedData;

impl MigrationName for M007SharedData {
    fn name(&self) -> &str {
        "m007_shared_data"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M007SharedData {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("data_sources")
                .col(big_pk_auto("id"))
                .col(string_uniq("key"))
                .col(string("name"))
                .col(bigint_null("owner_department_id"))
                .col(text("fields"))
                .col(text("connector"))
                .col(bigint("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("source_rows")
                .col(big_pk_auto("id"))
                .col(string("source_key"))
                .col(string("lookup_key"))
                .col(text("data"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "source_rows",
            "ux_source_rows_key",
            &["source_key", "lookup_key"],
            true,
        ))
        .await?;
        // Every lookup made for a case: provenance the applicant can see.
        m.create_table(
            Table::create()
                .table("case_fetches")
                .col(big_pk_auto("id"))
                .col(bigint("case_id"))
                .col(string("source_key"))
                .col(string("source_name"))
                .col(bigint("at"))
                .col(string("outcome"))
                .col(text("fields"))
                .col(text("data"))
                .col(text("message"))
                .col(bigint("attempts"))
                .col(bigint_null("retry_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "case_fetches",
            "ix_case_fetches_case",
            &["case_id"],
            false,
        ))
        .await?;
        m.create_index(index(
            "case_fetches",
            "ix_case_fetches_retry",
            &["retry_at"],
            false,
        ))
        .await?;
        // Rule evaluations: version, inputs, trace, outcome, reasons, mismatches.
        m.create_table(
            Table::create()
                .table("case_decisions")
                .col(big_pk_auto("id"))
                .col(bigint("case_id"))
                .col(bigint("item_version_id"))
                .col(bigint("at"))
                .col(string("outcome"))
                .col(text("reasons"))
                .col(text("inputs"))
                .col(text("trace"))
                .col(text("mismatches"))
                .col(boolean("automatic"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "case_decisions",
            "ix_case_decisions_case",
            &["case_id"],
            false,
        ))
        .await?;
        Ok(())
    }
}
