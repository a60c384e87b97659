//! Migration 002 (calendar): the holiday notices an admin enters.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::*;

pub(super) struct M002Calendar;

impl MigrationName for M002Calendar {
    fn name(&self) -> &str {
        "m002_calendar"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M002Calendar {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Holiday notices entered by an admin; they override the shipped schedules.
        m.create_table(
            Table::create()
                .table("calendar_years")
                .col(bigint("year").primary_key())
                .col(text("source"))
                .col(text("days"))
                .col(bigint("updated_at"))
                .col(bigint_null("updated_by"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
