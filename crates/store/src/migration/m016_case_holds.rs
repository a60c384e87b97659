//! Migration 016 (case holds): what a case waits for from outside before it
//! may be approved — a document an earlier item of its bundle issues — and,
//! on the bundle's side, when the issuing item ended without issuing it.

use sea_orm_migration::prelude::*;

use super::*;

pub(super) struct M016CaseHolds;

impl MigrationName for M016CaseHolds {
    fn name(&self) -> &str {
        "m016_case_holds"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M016CaseHolds {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One row per material a case awaits; released when it arrives. An
        // upload of the material (after the hold was placed) also ends it.
        m.create_table(
            Table::create()
                .table("case_holds")
                .col(big_pk_auto("id"))
                .col(bigint("case_id"))
                .col(bigint("material_index"))
                .col(string("what_zh"))
                .col(string("what_en"))
                .col(bigint("held_at"))
                .col(bigint_null("released_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("case_holds_case")
                .table("case_holds")
                .col("case_id")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("bundle_passed_on")
                .add_column(bigint_null("failed_at"))
                .to_owned(),
        )
        .await?;
        // Sub-cases already waiting for a document are held from now on.
        m.get_connection()
            .execute_unprepared(
                "INSERT INTO case_holds (case_id, material_index, what_zh, what_en, held_at) \
                 SELECT p.to_case_id, p.material_index, p.kind, p.kind, 0 FROM bundle_passed_on p \
                 WHERE p.from_case_id IS NULL",
            )
            .await?;
        Ok(())
    }
}
