//! Migration 003 (trail): the append-only audit trail and its chain head.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::*;

pub(super) struct M003Trail;

impl MigrationName for M003Trail {
    fn name(&self) -> &str {
        "m003_audit_trail"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M003Trail {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("audit_trail")
                .col(big_pk_auto("id"))
                .col(bigint("at"))
                .col(bigint_null("actor_id"))
                .col(string("action"))
                .col(string("object"))
                .col(text("details"))
                .col(string("prev_hash"))
                .col(string("hash"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("audit_trail_head")
                .col(bigint("id").primary_key())
                .col(string("last_hash"))
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO audit_trail_head (id, last_hash) VALUES (1, '{}')",
                crate::trail::GENESIS
            ))
            .await?;
        Ok(())
    }
}
