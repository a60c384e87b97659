//! Database leases, so that a scheduled job runs on exactly one of several
//! server instances sharing one database. A lease is short and renewed
//! while its job runs ([`Store::hold_lease`]): when the holder dies, the
//! lease lapses within one time-to-live and another instance takes over. The
//! holder's name is the instance's configured identity, so a restarted
//! instance takes its own lease straight back.

use std::time::Duration;

use crate::{Result, Store, exec, now_ms};

/// A lease held by this process, renewed in the background until it is
/// released or dropped. Dropping it without [`HeldLease::release`] stops
/// the renewal, and the lease lapses by itself — as when the process dies.
pub struct HeldLease {
    store: Store,
    name: String,
    holder: String,
    renewal: tokio::task::JoinHandle<()>,
}

impl HeldLease {
    /// Gives the lease up now (the job is done).
    pub async fn release(self) -> Result<()> {
        self.renewal.abort();
        self.store.release_lease(&self.name, &self.holder).await
    }
}

impl Drop for HeldLease {
    fn drop(&mut self) {
        self.renewal.abort();
    }
}

impl Store {
    /// Takes or renews the named lease for `holder` for `ttl_ms`. Returns true
    /// if this holder now has it. An expired lease may be taken by anyone.
    pub async fn try_lease(&self, name: &str, holder: &str, ttl_ms: i64) -> Result<bool> {
        let now = now_ms();
        let n = exec(
            self.conn(),
            "INSERT INTO job_leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE job_leases.expires_at < $4 OR job_leases.holder = $2",
            vec![name.into(), holder.into(), (now + ttl_ms).into(), now.into()],
        )
        .await?;
        Ok(n == 1)
    }

    /// Takes the named lease for `holder` for `ttl`, and keeps renewing it
    /// every third of `ttl` while the returned guard lives. `None`: another
    /// holder has it.
    pub async fn hold_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<Option<HeldLease>> {
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2);
        if !self.try_lease(name, holder, ttl_ms).await? {
            return Ok(None);
        }
        let (store, n, h) = (self.clone(), name.to_string(), holder.to_string());
        let renewal = tokio::spawn(async move {
            let every = (ttl / 3).max(Duration::from_millis(50));
            loop {
                tokio::time::sleep(every).await;
                match store.try_lease(&n, &h, ttl_ms).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(lease = %n, "lease lost to another holder");
                        break;
                    }
                    Err(e) => tracing::warn!(lease = %n, "lease renewal failed: {e}"),
                }
            }
        });
        Ok(Some(HeldLease {
            store: self.clone(),
            name: name.to_string(),
            holder: holder.to_string(),
            renewal,
        }))
    }

    /// Gives a lease up early (after the job finished).
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        exec(
            self.conn(),
            "DELETE FROM job_leases WHERE name = $1 AND holder = $2",
            vec![name.into(), holder.into()],
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn one_holder_at_a_time() {
        for (backend, store) in crate::testing::stores("leases").await {
            assert!(
                store.try_lease("job", "a", 60_000).await.expect("q"),
                "{backend}"
            );
            assert!(
                !store.try_lease("job", "b", 60_000).await.expect("q"),
                "{backend}: b must wait"
            );
            assert!(
                store.try_lease("job", "a", 60_000).await.expect("q"),
                "{backend}: a renews"
            );
            store.release_lease("job", "a").await.expect("release");
            assert!(
                store.try_lease("job", "b", -1).await.expect("q"),
                "{backend}"
            );
            // b's lease is already expired (ttl -1): c may take it.
            assert!(
                store.try_lease("job", "c", 60_000).await.expect("q"),
                "{backend}"
            );
        }
    }
}
