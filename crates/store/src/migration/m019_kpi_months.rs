//! Migration 019 (效能评估 at scale): monthly sums of the indicator rollups
//! (without the person), kept for closed months, and how far they reach;
//! the daily rollups indexed by department.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::*;

pub(super) struct M019KpiMonths;

impl MigrationName for M019KpiMonths {
    fn name(&self) -> &str {
        "m019_kpi_months"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M019KpiMonths {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("kpi_months")
                .col(string("month"))
                .col(bigint("centre_id"))
                .col(bigint("department_id"))
                .col(string("impl_code"))
                .col(string("channel"))
                .col(string("metric"))
                .col(bigint("value"))
                .primary_key(
                    Index::create()
                        .col("month")
                        .col("centre_id")
                        .col("department_id")
                        .col("impl_code")
                        .col("channel")
                        .col("metric"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "kpi_months",
            "ix_kpi_months_centre_month",
            &["centre_id", "month"],
            false,
        ))
        .await?;
        // A department's days (its dashboard, its people).
        m.create_index(index(
            "kpi_rollups",
            "ix_kpi_rollups_department_day",
            &["department_id", "day"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("kpi_summary_state")
                .col(string("name").primary_key())
                .col(string("month"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
