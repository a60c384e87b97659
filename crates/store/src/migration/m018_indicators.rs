//! Migration 018 (效能评估, SPEC §8.2): the day each case event counts on,
//! the indicator rollups kept in the events' transactions, and the stored
//! monthly 指标调度 reports.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::*;

pub(super) struct M018Indicators;

impl MigrationName for M018Indicators {
    fn name(&self) -> &str {
        "m018_indicators"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M018Indicators {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // The legal day a step counts on (the job's day, China Standard
        // Time); older events take the day of their time stamp.
        m.alter_table(
            Table::alter()
                .table("case_events")
                .add_column(string_null("day"))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        let backfill = match m.get_database_backend() {
            sea_orm::DbBackend::Postgres => {
                "UPDATE case_events SET day = to_char(to_timestamp(at / 1000.0) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') WHERE day IS NULL"
            }
            _ => {
                "UPDATE case_events SET day = date(at / 1000, 'unixepoch', '+8 hours') WHERE day IS NULL"
            }
        };
        db.execute_unprepared(backfill).await?;
        m.create_index(index(
            "case_events",
            "ix_case_events_day",
            &["day", "to_state"],
            false,
        ))
        .await?;
        m.create_index(index(
            "case_events",
            "ix_case_events_day_action",
            &["day", "action", "case_id"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("kpi_rollups")
                .col(string("day"))
                .col(bigint("centre_id"))
                .col(bigint("department_id"))
                .col(string("impl_code"))
                .col(string("channel"))
                .col(bigint("person_id"))
                .col(string("metric"))
                .col(bigint("value"))
                .primary_key(
                    Index::create()
                        .col("day")
                        .col("centre_id")
                        .col("department_id")
                        .col("impl_code")
                        .col("channel")
                        .col("person_id")
                        .col("metric"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "kpi_rollups",
            "ix_kpi_rollups_centre_day",
            &["centre_id", "day"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("kpi_reports")
                .col(bigint("centre_id"))
                .col(string("month"))
                .col(blob("file"))
                .col(string("digest"))
                .col(bigint("created_at"))
                .primary_key(Index::create().col("centre_id").col("month"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
