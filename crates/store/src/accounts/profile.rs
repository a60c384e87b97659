//! A centre's profile: its own rules where the law leaves them to it (the
//! rating window, the rectification limit, default ratings). A centre that
//! has none set uses the defaults.

use tongban_domain::auth::Actor;
use tongban_domain::ratings::CentreProfile;

use crate::sql::{json_col, to_json};
use crate::{Result, Store, StoreError, exec, now_ms, query_one, trail};

impl Store {
    /// The profile of `centre_id` (the defaults until one is set).
    pub async fn centre_profile(&self, centre_id: i64) -> Result<CentreProfile> {
        profile_in(self.conn(), centre_id).await
    }

    /// Sets the actor's centre's profile after checking it.
    pub async fn put_centre_profile(&self, actor: &Actor, p: &CentreProfile) -> Result<()> {
        actor.may_set_profile().map_err(StoreError::Forbidden)?;
        p.check().map_err(StoreError::Invalid)?;
        let txn = self.begin().await?;
        let now = now_ms();
        // Default ratings apply from when they are turned on.
        let before = profile_in(&txn, actor.centre_id).await?;
        let mut p = *p;
        if let Some(d) = p.ratings.default_rating.as_mut() {
            d.since_ms = before
                .ratings
                .default_rating
                .and_then(|b| b.since_ms)
                .or(Some(now));
        }
        let p = &p;
        // One statement, so two first saves at once do not collide.
        exec(
            &txn,
            "INSERT INTO centre_profiles (centre_id, doc, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (centre_id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at, \
             updated_by = excluded.updated_by",
            vec![
                actor.centre_id.into(),
                to_json(p).into(),
                now.into(),
                actor.user_id.into(),
            ],
        )
        .await?;
        trail::append(
            &txn,
            Some(actor.user_id),
            "centre.profile",
            &format!("centre:{}", actor.centre_id),
            serde_json::to_value(p).unwrap_or_default(),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}

/// The profile of `centre_id`, read with `c`.
pub(crate) async fn profile_in(
    c: &impl sea_orm::ConnectionTrait,
    centre_id: i64,
) -> Result<CentreProfile> {
    match query_one(
        c,
        "SELECT doc FROM centre_profiles WHERE centre_id = $1",
        vec![centre_id.into()],
    )
    .await?
    {
        Some(r) => json_col(&r, "doc"),
        None => Ok(CentreProfile::default()),
    }
}
