//! Migration 008 (policies): 免申即享 policies and the people they matched.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::*;

pub(super) struct M008Policies;

impl MigrationName for M008Policies {
    fn name(&self) -> &str {
        "m008_policies"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M008Policies {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("policies")
                .col(big_pk_auto("id"))
                .col(string_uniq("key"))
                .col(string("name"))
                .col(text("benefit"))
                .col(string("event_item"))
                .col(text("rule"))
                .col(bigint("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("policy_matches")
                .col(big_pk_auto("id"))
                .col(bigint("policy_id"))
                .col(string("subject_code"))
                .col(bigint("case_id"))
                .col(bigint("at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "policy_matches",
            "ux_policy_matches",
            &["policy_id", "subject_code"],
            true,
        ))
        .await?;
        Ok(())
    }
}
