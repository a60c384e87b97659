//! Migration 014 (phrasings): the everyday phrasings search widens queries
//! with, kept by the catalogue admin; a new database starts with the default
//! list.

use sea_orm_migration::prelude::*;

use super::*;

pub(super) struct M014Phrasings;

impl MigrationName for M014Phrasings {
    fn name(&self) -> &str {
        "m014_phrasings"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M014Phrasings {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("search_phrasings")
                .col(big_pk_auto("id"))
                .col(string("everyday"))
                .col(string("official"))
                .col(bigint_null("created_by"))
                .col(bigint("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("search_phrasings_pair")
                .table("search_phrasings")
                .col("everyday")
                .col("official")
                .unique()
                .to_owned(),
        )
        .await?;
        for (everyday, official) in tongban_domain::phrasings::DEFAULT_PHRASINGS {
            let mut insert = Query::insert();
            insert
                .into_table("search_phrasings")
                .columns(["everyday", "official", "created_at"])
                .values([(*everyday).into(), (*official).into(), 0i64.into()])
                .map_err(|e| DbErr::Custom(e.to_string()))?;
            m.exec_stmt(insert).await?;
        }
        Ok(())
    }
}
