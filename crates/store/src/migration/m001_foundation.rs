//! Migration 001 (foundation): centres, departments, users and sessions,
//! item versions, the guide audit's runs and findings, job leases and the
//! catalogue revision.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::*;

pub(super) struct M001Foundation;

impl MigrationName for M001Foundation {
    fn name(&self) -> &str {
        "m001_foundation"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M001Foundation {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("centres")
                .col(big_pk_auto("id"))
                .col(string_uniq("division_code"))
                .col(string("name"))
                .col(bigint_null("parent_id"))
                .col(string("path"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("departments")
                .col(big_pk_auto("id"))
                .col(bigint("centre_id"))
                .col(string("name"))
                .col(string("short_name"))
                .col(string_uniq("credit_code"))
                .col(string("phone"))
                .col(string("address"))
                .col(bigint("created_at"))
                .col(bigint("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("departments", "centre_id")
                        .to("centres", "id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("users")
                .col(big_pk_auto("id"))
                .col(string_uniq("username"))
                .col(string("display_name"))
                .col(string("password_hash"))
                .col(string("role"))
                .col(bigint("centre_id"))
                .col(bigint_null("department_id"))
                .col(string("id_number"))
                .col(string("phone"))
                .col(boolean("active"))
                .col(bigint("created_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("users", "centre_id")
                        .to("centres", "id"),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("users", "department_id")
                        .to("departments", "id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("sessions")
                .col(string("token_hash").primary_key())
                .col(bigint("user_id"))
                .col(string("csrf_token"))
                .col(bigint("created_at"))
                .col(bigint("expires_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("sessions", "user_id")
                        .to("users", "id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("item_versions")
                .col(big_pk_auto("id"))
                .col(string("impl_code"))
                .col(string("basic_code"))
                .col(bigint("version"))
                .col(string("status"))
                .col(bigint("department_id"))
                .col(bigint("centre_id"))
                .col(string("name"))
                .col(string("item_type"))
                .col(text("doc"))
                .col(bigint("created_at"))
                .col(bigint("updated_at"))
                .col(bigint_null("published_at"))
                .col(bigint_null("retired_at"))
                .col(bigint_null("created_by"))
                .col(bigint_null("published_by"))
                .foreign_key(
                    ForeignKey::create()
                        .from("item_versions", "department_id")
                        .to("departments", "id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "item_versions",
            "ux_item_versions_code_version",
            &["impl_code", "version"],
            true,
        ))
        .await?;
        m.create_index(index(
            "item_versions",
            "ix_item_versions_status",
            &["status"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("audit_findings")
                .col(big_pk_auto("id"))
                .col(string("impl_code"))
                .col(string("rule_id"))
                .col(string("element"))
                .col(string("severity"))
                .col(text("message_zh"))
                .col(text("message_en"))
                .col(string("item_name"))
                .col(bigint("item_version"))
                .col(bigint("department_id"))
                .col(bigint("centre_id"))
                .col(string("status"))
                .col(bigint("first_seen_at"))
                .col(bigint("last_seen_at"))
                .col(bigint_null("fixed_at"))
                .col(bigint_null("fixed_by"))
                .col(text("fix_note"))
                .col(bigint_null("verified_at"))
                .col(bigint_null("verified_by"))
                .col(bigint("reopened"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "audit_findings",
            "ux_audit_findings_key",
            &["impl_code", "rule_id", "element"],
            true,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("audit_runs")
                .col(big_pk_auto("id"))
                .col(string("trigger"))
                .col(bigint_null("actor_id"))
                .col(string("period"))
                .col(bigint("started_at"))
                .col(bigint("finished_at"))
                .col(bigint("items"))
                .col(bigint("findings"))
                .col(bigint("opened"))
                .col(bigint("closed"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("job_leases")
                .col(string("name").primary_key())
                .col(string("holder"))
                .col(bigint("expires_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("catalog_state")
                .col(bigint("id").primary_key())
                .col(bigint("revision"))
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared("INSERT INTO catalog_state (id, revision) VALUES (1, 0)")
            .await?;
        Ok(())
    }
}
