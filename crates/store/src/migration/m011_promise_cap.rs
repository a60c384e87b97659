//! Migration 011 (promise cap): A bundle's promised working days kept on each
//! of its sub-cases, so the case core reads a case's limits from the case
//! alone; existing sub-cases are filled in from their bundles.

use sea_orm_migration::prelude::*;

use super::*;

pub(super) struct M011PromiseCap;

impl MigrationName for M011PromiseCap {
    fn name(&self) -> &str {
        "m011_promise_cap"
    }
}

/// A bundle's promised working days kept on each of its sub-cases, so the
/// case core reads a case's limits from the case alone; existing sub-cases
/// are filled in from their bundles.
#[async_trait::async_trait]
impl MigrationTrait for M011PromiseCap {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("cases")
                .add_column(bigint_null("promise_cap_days"))
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "UPDATE cases SET promise_cap_days = \
                 (SELECT b.promised_days FROM bundle_cases b WHERE b.id = cases.bundle_case_id) \
                 WHERE bundle_case_id IS NOT NULL",
            )
            .await?;
        Ok(())
    }
}
