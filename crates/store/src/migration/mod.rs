//! Schema migrations, written once with sea-query builders for both backends.
//! Integer columns are all 64-bit so reads are uniform (`i64`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(M001Foundation),
            Box::new(M002Calendar),
            Box::new(M003Trail),
            Box::new(M004Cases),
            Box::new(M005Bundles),
            Box::new(M006Certificates),
            Box::new(M007SharedData),
            Box::new(M008Policies),
            Box::new(M009CertificateType),
            Box::new(M010KeyCompromise),
            Box::new(M011PromiseCap),
        ]
    }
    fn migration_table_name() -> DynIden {
        "tongban_migrations".into_iden()
    }
}

struct M001Foundation;

impl MigrationName for M001Foundation {
    fn name(&self) -> &str {
        "m001_foundation"
    }
}

fn bigint(name: &'static str) -> ColumnDef {
    big_integer(name)
}
fn bigint_null(name: &'static str) -> ColumnDef {
    big_integer_null(name)
}

fn index(
    table: &'static str,
    name: &'static str,
    cols: &[&'static str],
    unique: bool,
) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(*c);
    }
    if unique {
        i.unique();
    }
    i.to_owned()
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

struct M002Calendar;

impl MigrationName for M002Calendar {
    fn name(&self) -> &str {
        "m002_calendar"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M002Calendar {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Holiday notices entered by an admin; they override the shipped schedules.
        m.create_table(
            Table::create()
                .table("calendar_years")
                .col(bigint("year").primary_key())
                .col(text("source"))
                .col(text("days"))
                .col(bigint("updated_at"))
                .col(bigint_null("updated_by"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

struct M003Trail;

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

struct M004Cases;

impl MigrationName for M004Cases {
    fn name(&self) -> &str {
        "m004_cases"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M004Cases {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("users")
                .add_column(string("email").default(""))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("cases")
                .col(big_pk_auto("id"))
                .col(string_uniq("case_no"))
                .col(string("verify_code"))
                .col(bigint("centre_id"))
                .col(string("centre_path"))
                .col(bigint("lead_department_id"))
                .col(bigint("item_version_id"))
                .col(string("impl_code"))
                .col(string("item_name"))
                .col(bigint_null("applicant_user_id"))
                .col(string("applicant_name"))
                .col(string("applicant_id_number"))
                .col(string("applicant_phone"))
                .col(string("applicant_email"))
                .col(string("channel"))
                .col(bigint("created_by"))
                .col(string("state"))
                .col(bigint("version"))
                .col(boolean_null("approved"))
                .col(text("form"))
                .col(text("clock"))
                .col(text("tasks"))
                .col(text("co_reviewers"))
                .col(string_null("received_on"))
                .col(string_null("accepted_on"))
                .col(string_null("legal_due"))
                .col(string_null("promised_due"))
                .col(string_null("decided_on"))
                .col(string_null("certificate_due"))
                .col(string_null("client_key"))
                .col(bigint("created_at"))
                .col(bigint("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("cases", "item_version_id")
                        .to("item_versions", "id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index("cases", "ix_cases_state", &["state"], false))
            .await?;
        m.create_index(index(
            "cases",
            "ix_cases_applicant",
            &["applicant_user_id"],
            false,
        ))
        .await?;
        m.create_index(index(
            "cases",
            "ux_cases_client_key",
            &["created_by", "client_key"],
            true,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("case_tasks")
                .col(big_pk_auto("id"))
                .col(bigint("case_id"))
                .col(bigint("department_id"))
                .col(bigint("seq"))
                .col(string("status"))
                .foreign_key(
                    ForeignKey::create()
                        .from("case_tasks", "case_id")
                        .to("cases", "id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "case_tasks",
            "ix_case_tasks_dept",
            &["department_id", "status"],
            false,
        ))
        .await?;
        m.create_index(index(
            "case_tasks",
            "ix_case_tasks_case",
            &["case_id"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("case_events")
                .col(big_pk_auto("id"))
                .col(bigint("case_id"))
                .col(bigint("at"))
                .col(bigint_null("actor_id"))
                .col(string("actor_name"))
                .col(string("action"))
                .col(string("from_state"))
                .col(string("to_state"))
                .col(text("details"))
                .col(bigint_null("document_id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "case_events",
            "ix_case_events_case",
            &["case_id"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("case_files")
                .col(big_pk_auto("id"))
                .col(bigint("case_id"))
                .col(bigint("material_index"))
                .col(string("file_name"))
                .col(string("content_type"))
                .col(bigint("size"))
                .col(string("object_key"))
                .col(string("digest"))
                .col(bigint("uploaded_by"))
                .col(bigint("uploaded_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "case_files",
            "ix_case_files_case",
            &["case_id"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("case_documents")
                .col(big_pk_auto("id"))
                .col(bigint("case_id"))
                .col(string("kind"))
                .col(string("number"))
                .col(text("body"))
                .col(bigint("created_at"))
                .col(bigint_null("created_by"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "case_documents",
            "ix_case_documents_case",
            &["case_id"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("case_warnings")
                .col(bigint("case_id"))
                .col(string("level"))
                .col(string("due"))
                .col(bigint("at"))
                .primary_key(Index::create().col("case_id").col("level").col("due"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("notifications")
                .col(big_pk_auto("id"))
                .col(bigint("user_id"))
                .col(bigint_null("case_id"))
                .col(string("subject"))
                .col(text("body"))
                .col(bigint("created_at"))
                .col(bigint_null("read_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "notifications",
            "ix_notifications_user",
            &["user_id"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("outbox")
                .col(big_pk_auto("id"))
                .col(string("to_addr"))
                .col(string("subject"))
                .col(text("body"))
                .col(bigint("created_at"))
                .col(bigint("attempts"))
                .col(bigint("next_attempt_at"))
                .col(bigint_null("sent_at"))
                .col(text("last_error"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "outbox",
            "ix_outbox_pending",
            &["sent_at", "next_attempt_at"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("inquiries")
                .col(big_pk_auto("id"))
                .col(bigint("centre_id"))
                .col(string("channel"))
                .col(text("subject"))
                .col(string("inquirer"))
                .col(string("contact"))
                .col(bigint("owner_id"))
                .col(string("status"))
                .col(text("answer"))
                .col(bigint("created_by"))
                .col(bigint("created_at"))
                .col(bigint_null("closed_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("inquiry_events")
                .col(big_pk_auto("id"))
                .col(bigint("inquiry_id"))
                .col(bigint("at"))
                .col(bigint("actor_id"))
                .col(string("kind"))
                .col(bigint_null("to_owner"))
                .col(text("note"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

struct M005Bundles;

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

struct M006Certificates;

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

struct M007SharedData;

impl MigrationName for M007SharedData {
    fn name(&self) -> &str {
        "m007_shared_data"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M007SharedData {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("data_sources")
                .col(big_pk_auto("id"))
                .col(string_uniq("key"))
                .col(string("name"))
                .col(bigint_null("owner_department_id"))
                .col(text("fields"))
                .col(text("connector"))
                .col(bigint("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("source_rows")
                .col(big_pk_auto("id"))
                .col(string("source_key"))
                .col(string("lookup_key"))
                .col(text("data"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "source_rows",
            "ux_source_rows_key",
            &["source_key", "lookup_key"],
            true,
        ))
        .await?;
        // Every lookup made for a case: provenance the applicant can see.
        m.create_table(
            Table::create()
                .table("case_fetches")
                .col(big_pk_auto("id"))
                .col(bigint("case_id"))
                .col(string("source_key"))
                .col(string("source_name"))
                .col(bigint("at"))
                .col(string("outcome"))
                .col(text("fields"))
                .col(text("data"))
                .col(text("message"))
                .col(bigint("attempts"))
                .col(bigint_null("retry_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "case_fetches",
            "ix_case_fetches_case",
            &["case_id"],
            false,
        ))
        .await?;
        m.create_index(index(
            "case_fetches",
            "ix_case_fetches_retry",
            &["retry_at"],
            false,
        ))
        .await?;
        // Rule evaluations: version, inputs, trace, outcome, reasons, mismatches.
        m.create_table(
            Table::create()
                .table("case_decisions")
                .col(big_pk_auto("id"))
                .col(bigint("case_id"))
                .col(bigint("item_version_id"))
                .col(bigint("at"))
                .col(string("outcome"))
                .col(text("reasons"))
                .col(text("inputs"))
                .col(text("trace"))
                .col(text("mismatches"))
                .col(boolean("automatic"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "case_decisions",
            "ix_case_decisions_case",
            &["case_id"],
            false,
        ))
        .await?;
        Ok(())
    }
}

struct M008Policies;

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

struct M009CertificateType;

impl MigrationName for M009CertificateType {
    fn name(&self) -> &str {
        "m009_certificate_type"
    }
}

/// The certificate type as a column, so 免证办 reads only the holder's
/// certificates of the types an item asks for; existing rows are filled in
/// from their signed bodies.
#[async_trait::async_trait]
impl MigrationTrait for M009CertificateType {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("certificates")
                .add_column(string("type_name").default(""))
                .to_owned(),
        )
        .await?;
        // The composite index replaces the holder-only one, which the
        // planner would otherwise prefer and then read every certificate
        // the holder has.
        m.drop_index(
            Index::drop()
                .name("ix_certificates_holder")
                .table("certificates")
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "certificates",
            "ix_certificates_holder_type",
            &["holder_code", "type_name"],
            false,
        ))
        .await?;
        let db = m.get_connection();
        let backend = m.get_database_backend();
        let rows = db
            .query_all_raw(sea_orm::Statement::from_string(
                backend,
                "SELECT id, body FROM certificates",
            ))
            .await?;
        for r in rows {
            let id: i64 = r.try_get("", "id")?;
            let body: String = r.try_get("", "body")?;
            let name = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["type_name"].as_str().map(str::to_string))
                .unwrap_or_default();
            db.execute_raw(sea_orm::Statement::from_sql_and_values(
                backend,
                "UPDATE certificates SET type_name = $1 WHERE id = $2",
                [name.into(), id.into()],
            ))
            .await?;
        }
        Ok(())
    }
}

struct M010KeyCompromise;

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

struct M011PromiseCap;

impl MigrationName for M011PromiseCap {
    fn name(&self) -> &str {
        "m011_promise_cap"
    }
}

/// A bundle's promised working days kept on each of its sub-cases, so the
/// case core reads a case's limits from the case alone; existing sub-cases
/// are filled in from their bundles.
#[async_trait::async_trait]
impl MigrationTrait for M011PromiseCap {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("cases")
                .add_column(bigint_null("promise_cap_days"))
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "UPDATE cases SET promise_cap_days = \
                 (SELECT b.promised_days FROM bundle_cases b WHERE b.id = cases.bundle_case_id) \
                 WHERE bundle_case_id IS NOT NULL",
            )
            .await?;
        Ok(())
    }
}
