//! The append-only, tamper-evident audit trail (SPEC §4.4): every action
//! appends an entry whose SM3 hash covers the previous entry's hash, so
//! altering, removing or reordering any stored entry breaks the chain.
//!
//! Appends take the chain head's row lock inside the caller's transaction,
//! so entries from several instances sharing one PostgreSQL stay in one chain.

use sea_orm::ConnectionTrait;
use serde::Serialize;

use crate::{Result, Store, StoreError, exec, get, now_ms, query, query_one, sm3_hex};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub(crate) fn entry_hash(
    prev: &str,
    at: i64,
    actor: Option<i64>,
    action: &str,
    object: &str,
    details: &str,
) -> String {
    let actor = actor.map(|a| a.to_string()).unwrap_or_default();
    sm3_hex(
        format!("{prev}\u{1f}{at}\u{1f}{actor}\u{1f}{action}\u{1f}{object}\u{1f}{details}")
            .as_bytes(),
    )
}

/// One entry to append.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntry {
    pub actor: Option<i64>,
    pub action: String,
    pub object: String,
    pub details: serde_json::Value,
}

/// Appends one entry in the caller's transaction.
pub(crate) async fn append(
    c: &impl ConnectionTrait,
    actor: Option<i64>,
    action: &str,
    object: &str,
    details: serde_json::Value,
) -> Result<()> {
    extend(
        c,
        &[NewEntry {
            actor,
            action: action.into(),
            object: object.into(),
            details,
        }],
    )
    .await
}

/// Extends the chain by `entries`, in order, in the caller's transaction:
/// the one place the chain grows. The head row is locked first (a row lock
/// on PostgreSQL, the write lock on SQLite), so several instances sharing
/// one database keep one chain.
pub(crate) async fn extend(c: &impl ConnectionTrait, entries: &[NewEntry]) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    exec(
        c,
        "UPDATE audit_trail_head SET last_hash = last_hash WHERE id = 1",
        vec![],
    )
    .await?;
    let head = query_one(
        c,
        "SELECT last_hash FROM audit_trail_head WHERE id = 1",
        vec![],
    )
    .await?
    .ok_or_else(|| StoreError::Corrupt("audit trail head missing".into()))?;
    let mut prev: String = get(&head, "last_hash")?;
    let at = now_ms();
    let mut v: Vec<sea_orm::Value> = Vec::with_capacity(entries.len() * 7);
    for e in entries {
        let details = e.details.to_string();
        let hash = entry_hash(&prev, at, e.actor, &e.action, &e.object, &details);
        v.extend([
            at.into(),
            e.actor.into(),
            e.action.clone().into(),
            e.object.clone().into(),
            details.into(),
            prev.into(),
            hash.clone().into(),
        ]);
        prev = hash;
    }
    crate::sql::insert_rows(
        c,
        "INSERT INTO audit_trail (at, actor_id, action, object, details, prev_hash, hash)",
        7,
        v,
    )
    .await?;
    exec(
        c,
        "UPDATE audit_trail_head SET last_hash = $1 WHERE id = 1",
        vec![prev.into()],
    )
    .await?;
    Ok(())
}

/// The result of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum TrailCheck {
    Intact {
        entries: i64,
    },
    /// The first entry that does not verify, and why.
    Broken {
        id: i64,
        reason: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct TrailEntry {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub action: String,
    pub object: String,
    pub details: String,
}

impl Store {
    /// Walks the whole chain and recomputes every hash.
    pub async fn verify_trail(&self) -> Result<TrailCheck> {
        let mut prev = GENESIS.to_string();
        let mut after = 0i64;
        let mut count = 0i64;
        loop {
            let rows = query(
                self.conn(),
                "SELECT id, at, actor_id, action, object, details, prev_hash, hash FROM audit_trail WHERE id > $1 ORDER BY id LIMIT 5000",
                vec![after.into()],
            )
            .await?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let id: i64 = get(r, "id")?;
                let stored_prev: String = get(r, "prev_hash")?;
                let stored: String = get(r, "hash")?;
                if stored_prev != prev {
                    return Ok(TrailCheck::Broken {
                        id,
                        reason: "does not follow the previous entry (an entry before it was removed or altered)".into(),
                    });
                }
                let actor: Option<i64> = get(r, "actor_id")?;
                let action: String = get(r, "action")?;
                let object: String = get(r, "object")?;
                let details: String = get(r, "details")?;
                let at: i64 = get(r, "at")?;
                if entry_hash(&prev, at, actor, &action, &object, &details) != stored {
                    return Ok(TrailCheck::Broken {
                        id,
                        reason: "its content does not match its hash (the entry was altered)"
                            .into(),
                    });
                }
                prev = stored;
                after = id;
                count += 1;
            }
        }
        let head = query_one(
            self.conn(),
            "SELECT last_hash FROM audit_trail_head WHERE id = 1",
            vec![],
        )
        .await?
        .ok_or_else(|| StoreError::Corrupt("audit trail head missing".into()))?;
        let last: String = get(&head, "last_hash")?;
        if last != prev {
            return Ok(TrailCheck::Broken {
                id: after + 1,
                reason: "entries after this point were removed".into(),
            });
        }
        Ok(TrailCheck::Intact { entries: count })
    }

    /// The newest entries, newest first.
    pub async fn trail(&self, limit: i64) -> Result<Vec<TrailEntry>> {
        let rows = query(
            self.conn(),
            "SELECT id, at, actor_id, action, object, details FROM audit_trail ORDER BY id DESC LIMIT $1",
            vec![limit.into()],
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TrailEntry {
                    id: get(r, "id")?,
                    at: get(r, "at")?,
                    actor_id: get(r, "actor_id")?,
                    action: get(r, "action")?,
                    object: get(r, "object")?,
                    details: get(r, "details")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn tampering_is_detected_at_the_first_broken_entry() {
        for (backend, store) in crate::testing::stores("trail").await {
            for i in 0..5 {
                let txn = store.begin().await.expect("txn");
                append(
                    &txn,
                    Some(1),
                    "test.action",
                    &format!("object-{i}"),
                    json!({"i": i}),
                )
                .await
                .expect("append");
                txn.commit().await.expect("commit");
            }
            assert_eq!(
                store.verify_trail().await.expect("verify"),
                TrailCheck::Intact { entries: 5 },
                "{backend}"
            );
            let ids: Vec<i64> = store
                .trail(10)
                .await
                .expect("trail")
                .iter()
                .map(|e| e.id)
                .rev()
                .collect();
            // Alter the third entry directly in the database.
            exec(
                store.conn(),
                "UPDATE audit_trail SET details = '{\"i\":99}' WHERE id = $1",
                vec![ids[2].into()],
            )
            .await
            .expect("tamper");
            match store.verify_trail().await.expect("verify") {
                TrailCheck::Broken { id, .. } => assert_eq!(id, ids[2], "{backend}"),
                other => panic!("{backend}: tampering not detected: {other:?}"),
            }
            exec(
                store.conn(),
                "UPDATE audit_trail SET details = '{\"i\":2}' WHERE id = $1",
                vec![ids[2].into()],
            )
            .await
            .expect("restore");
            assert!(matches!(
                store.verify_trail().await.expect("verify"),
                TrailCheck::Intact { .. }
            ));
            // Removing an entry breaks the next one.
            exec(
                store.conn(),
                "DELETE FROM audit_trail WHERE id = $1",
                vec![ids[1].into()],
            )
            .await
            .expect("delete");
            match store.verify_trail().await.expect("verify") {
                TrailCheck::Broken { id, .. } => assert_eq!(id, ids[2], "{backend}"),
                other => panic!("{backend}: removal not detected: {other:?}"),
            }
        }
    }
}
