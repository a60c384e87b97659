//! Migration 009 (certificate type): The certificate type as a column, so 免证办
//! reads only the holder's certificates of the types an item asks for;
//! existing rows are filled in from their signed bodies.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::*;

pub(super) struct M009CertificateType;

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
