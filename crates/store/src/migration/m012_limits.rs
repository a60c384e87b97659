//! Migration 012 (limits): attempt counters shared by every instance (the
//! sign-in and progress-lookup limits), and the time a mail was refused
//! for good.

use sea_orm_migration::prelude::*;

use super::*;

pub(super) struct M012Limits;

impl MigrationName for M012Limits {
    fn name(&self) -> &str {
        "m012_limits"
    }
}

/// Attempt counters per key (`login-user|…`, `login-addr|…`, `lookup|…`):
/// how many attempts were reserved since the window opened.
#[async_trait::async_trait]
impl MigrationTrait for M012Limits {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("attempt_counters")
                .col(string("counter_key").primary_key())
                .col(bigint("window_start"))
                .col(bigint("attempts"))
                .to_owned(),
        )
        .await?;
        // Mail the relay refused for good: kept, shown to staff, not retried.
        m.alter_table(
            Table::alter()
                .table("outbox")
                .add_column(bigint_null("failed_at"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
