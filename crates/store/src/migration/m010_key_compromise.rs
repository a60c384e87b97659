//! Migration 010 (key compromise): A signing key reported compromised:
//! offline verifiers stop trusting anything it signed, whatever date the
//! certificate bears.

use sea_orm_migration::prelude::*;

use super::*;

pub(super) struct M010KeyCompromise;

impl MigrationName for M010KeyCompromise {
    fn name(&self) -> &str {
        "m010_key_compromise"
    }
}

/// A signing key reported compromised: offline verifiers stop trusting
/// anything it signed, whatever date the certificate bears.
#[async_trait::async_trait]
impl MigrationTrait for M010KeyCompromise {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("signing_keys")
                .add_column(bigint_null("compromised_at"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
