//! Migration 006 (certificates): sealed signing keys per department and the
//! certificates signed with them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::*;

pub(super) struct M006Certificates;

impl MigrationName for M006Certificates {
    fn name(&self) -> &str {
        "m006_certificates"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M006Certificates {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("signing_keys")
                .col(big_pk_auto("id"))
                .col(bigint("department_id"))
                .col(text("public_pem"))
                .col(text("sealed"))
                .col(bigint("created_at"))
                .col(bigint_null("retired_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "signing_keys",
            "ix_signing_keys_department",
            &["department_id"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("certificates")
                .col(big_pk_auto("id"))
                .col(string_uniq("licence_id"))
                .col(bigint("case_id"))
                .col(bigint("department_id"))
                .col(string("holder_code"))
                .col(text("body"))
                .col(text("signature"))
                .col(bigint("key_id"))
                .col(bigint("issued_at"))
                .col(bigint_null("revoked_at"))
                .col(text("revoke_reason"))
                .foreign_key(
                    ForeignKey::create()
                        .from("certificates", "key_id")
                        .to("signing_keys", "id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "certificates",
            "ix_certificates_case",
            &["case_id"],
            false,
        ))
        .await?;
        m.create_index(index(
            "certificates",
            "ix_certificates_holder",
            &["holder_code"],
            false,
        ))
        .await?;
        Ok(())
    }
}
