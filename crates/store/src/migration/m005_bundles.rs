//! Migration 005 (bundles): bundle versions and applications, their files
//! and notices, and the sub-cases' and notices' link to them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::*;

pub(super) struct M005Bundles;

impl MigrationName for M005Bundles {
    fn name(&self) -> &str {
        "m005_bundles"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M005Bundles {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("bundle_versions")
                .col(big_pk_auto("id"))
                .col(string("code"))
                .col(bigint("version"))
                .col(string("status"))
                .col(bigint("centre_id"))
                .col(text("doc"))
                .col(bigint("created_at"))
                .col(bigint("updated_at"))
                .col(bigint_null("published_at"))
                .col(bigint_null("retired_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "bundle_versions",
            "ux_bundle_versions_code",
            &["code", "version"],
            true,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("bundle_cases")
                .col(big_pk_auto("id"))
                .col(string_uniq("bundle_no"))
                .col(string("verify_code"))
                .col(bigint("bundle_version_id"))
                .col(string("code"))
                .col(string("name"))
                .col(bigint("centre_id"))
                .col(string("centre_path"))
                .col(bigint_null("applicant_user_id"))
                .col(string("applicant_name"))
                .col(string("applicant_id_number"))
                .col(string("applicant_phone"))
                .col(string("applicant_email"))
                .col(bigint("created_by"))
                .col(string("status"))
                .col(string("state"))
                .col(bigint("version"))
                .col(text("answers"))
                .col(text("form"))
                .col(text("selection"))
                .col(text("items"))
                .col(bigint("promised_days"))
                .col(string_null("client_key"))
                .col(bigint_null("submitted_at"))
                .col(bigint("created_at"))
                .col(bigint("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("bundle_cases", "bundle_version_id")
                        .to("bundle_versions", "id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "bundle_cases",
            "ux_bundle_cases_client_key",
            &["created_by", "client_key"],
            true,
        ))
        .await?;
        m.create_index(index(
            "bundle_cases",
            "ix_bundle_cases_applicant",
            &["applicant_user_id"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("bundle_files")
                .col(big_pk_auto("id"))
                .col(bigint("bundle_case_id"))
                .col(bigint("slot"))
                .col(string("file_name"))
                .col(string("content_type"))
                .col(bigint("size"))
                .col(string("object_key"))
                .col(string("digest"))
                .col(bigint("uploaded_by"))
                .col(bigint("uploaded_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("bundle_files", "bundle_case_id")
                        .to("bundle_cases", "id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("bundle_notices")
                .col(big_pk_auto("id"))
                .col(bigint("bundle_case_id"))
                .col(string("kind"))
                .col(string("number"))
                .col(text("body"))
                .col(bigint("created_at"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("cases")
                .add_column(bigint_null("bundle_case_id"))
                .to_owned(),
        )
        .await?;
        // Materials a bundle's answers made unnecessary for this sub-case (JSON indexes).
        m.alter_table(
            Table::alter()
                .table("cases")
                .add_column(text_null("waived"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "cases",
            "ix_cases_bundle",
            &["bundle_case_id"],
            false,
        ))
        .await?;
        m.alter_table(
            Table::alter()
                .table("notifications")
                .add_column(bigint_null("bundle_case_id"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
