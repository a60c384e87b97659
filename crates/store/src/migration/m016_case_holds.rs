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
                // Whether the applicant's upload of the material ends it:
                // only once the one who was to issue it no longer will.
                .col(boolean("by_upload").default(false))
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
        // Sub-cases already waiting for a document are held from now on,
        // unless they were decided or ended meanwhile. Where the issuing
        // sub-case has already ended without issuing it, the receiver waits
        // for the applicant's upload instead.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let db = m.get_connection();
        db.execute_unprepared(&format!(
            "UPDATE bundle_passed_on SET failed_at = {now} WHERE from_case_id IS NULL AND EXISTS \
             (SELECT 1 FROM cases c WHERE c.bundle_case_id = bundle_passed_on.bundle_case_id \
              AND c.impl_code = bundle_passed_on.from_item \
              AND (c.state IN ('not_accepted', 'withdrawn') OR c.approved = {no}))",
            no = if matches!(
                db.get_database_backend(),
                sea_orm::DatabaseBackend::Postgres
            ) {
                "false"
            } else {
                "0"
            },
        ))
        .await?;
        db.execute_unprepared(&format!(
            "INSERT INTO case_holds (case_id, material_index, what_zh, what_en, held_at, by_upload) \
             SELECT p.to_case_id, p.material_index, p.kind, 'a document an earlier service of the bundle issues', \
             {now}, CASE WHEN p.failed_at IS NULL THEN {no} ELSE {yes} END FROM bundle_passed_on p \
             WHERE p.from_case_id IS NULL AND EXISTS (SELECT 1 FROM cases c WHERE c.id = p.to_case_id \
               AND c.state IN ('submitted', 'correction', 'review', 'suspended', 'decision'))",
            no = if matches!(db.get_database_backend(), sea_orm::DatabaseBackend::Postgres) {
                "false"
            } else {
                "0"
            },
            yes = if matches!(db.get_database_backend(), sea_orm::DatabaseBackend::Postgres) {
                "true"
            } else {
                "1"
            },
        ))
        .await?;
        Ok(())
    }
}
