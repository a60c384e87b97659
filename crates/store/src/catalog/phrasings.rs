//! The everyday phrasings search widens queries with (SPEC §2.4), kept by a
//! centre-level catalogue admin. A change moves the catalogue's revision, so
//! every instance rebuilds its index with the new list.

use serde::Serialize;
use tongban_domain::auth::Actor;
use tongban_domain::phrasings::check_phrasing;

use super::bump_revision;
use crate::{Result, Store, StoreError, exec, get, insert_id, now_ms, query, trail};

/// One everyday phrasing and the official wording it stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Phrasing {
    pub id: i64,
    pub everyday: String,
    pub official: String,
}

impl Store {
    /// Every phrasing, in the order they were added.
    pub async fn search_phrasings(&self) -> Result<Vec<Phrasing>> {
        let rows = query(
            self.conn(),
            "SELECT id, everyday, official FROM search_phrasings ORDER BY id",
            vec![],
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Phrasing {
                    id: get(r, "id")?,
                    everyday: get(r, "everyday")?,
                    official: get(r, "official")?,
                })
            })
            .collect()
    }

    /// Adds a phrasing (a pair already kept is refused as a conflict).
    pub async fn add_phrasing(
        &self,
        actor: &Actor,
        everyday: &str,
        official: &str,
    ) -> Result<Phrasing> {
        actor
            .may_manage_phrasings()
            .map_err(StoreError::Forbidden)?;
        check_phrasing(everyday, official).map_err(StoreError::Invalid)?;
        let (everyday, official) = (everyday.trim(), official.trim());
        if self
            .search_phrasings()
            .await?
            .iter()
            .any(|p| p.everyday == everyday && p.official == official)
        {
            return Err(StoreError::conflict(
                "该说法已在列表中",
                "this phrasing is already kept",
            ));
        }
        let txn = self.begin().await?;
        let id = insert_id(
            &txn,
            "INSERT INTO search_phrasings (everyday, official, created_by, created_at) VALUES ($1, $2, $3, $4)",
            vec![
                everyday.into(),
                official.into(),
                actor.user_id.into(),
                now_ms().into(),
            ],
        )
        .await?;
        bump_revision(&txn).await?;
        trail::append(
            &txn,
            Some(actor.user_id),
            "search.phrasing_add",
            &format!("phrasing:{id}"),
            serde_json::json!({"everyday": everyday, "official": official}),
        )
        .await?;
        txn.commit().await?;
        Ok(Phrasing {
            id,
            everyday: everyday.into(),
            official: official.into(),
        })
    }

    /// Removes a phrasing.
    pub async fn remove_phrasing(&self, actor: &Actor, id: i64) -> Result<()> {
        actor
            .may_manage_phrasings()
            .map_err(StoreError::Forbidden)?;
        let txn = self.begin().await?;
        let n = exec(
            &txn,
            "DELETE FROM search_phrasings WHERE id = $1",
            vec![id.into()],
        )
        .await?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("phrasing {id}")));
        }
        bump_revision(&txn).await?;
        trail::append(
            &txn,
            Some(actor.user_id),
            "search.phrasing_remove",
            &format!("phrasing:{id}"),
            serde_json::json!({}),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}
