//! Database leases, so that a scheduled job runs on exactly one of several
//! server instances sharing one database. A lease is short and renewed
//! while its job runs ([`Store::hold_lease`]): when the holder dies, the
//! lease lapses within one time-to-live and another instance takes over. The
//! holder's name is the instance's configured identity, so a restarted
//! instance takes its own lease straight back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::{Result, Store, exec, now_ms};

/// A lease held by this process, renewed in the background until it is
/// released or dropped. Dropping it without [`HeldLease::release`] stops
/// the renewal, and the lease lapses by itself — as when the process dies.
pub struct HeldLease {
    store: Store,
    name: String,
    holder: String,
    renewal: Option<tokio::task::JoinHandle<()>>,
    lost: Arc<AtomicBool>,
}

impl HeldLease {
    /// Whether the lease is still this holder's: false once a renewal found
    /// another holder, or renewals failed for longer than the lease lasts.
    /// A long job checks it between its pieces of work and stops.
    pub fn is_held(&self) -> bool {
        !self.lost.load(Ordering::Acquire)
    }

    /// Gives the lease up now (the job is done). The renewal is stopped
    /// first, so none lands after the release.
    pub async fn release(mut self) -> Result<()> {
        if let Some(r) = self.renewal.take() {
            r.abort();
            let _ = r.await;
        }
        self.store.release_lease(&self.name, &self.holder).await
    }
}

impl Drop for HeldLease {
    fn drop(&mut self) {
        if let Some(r) = &self.renewal {
            r.abort();
        }
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
        let lost = Arc::new(AtomicBool::new(false));
        let flag = lost.clone();
        let renewal = tokio::spawn(async move {
            let every = (ttl / 3).max(Duration::from_millis(50));
            let mut renewed = Instant::now();
            loop {
                tokio::time::sleep(every).await;
                match store.try_lease(&n, &h, ttl_ms).await {
                    Ok(true) => renewed = Instant::now(),
                    Ok(false) => {
                        tracing::warn!(lease = %n, "lease lost to another holder");
                        flag.store(true, Ordering::Release);
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(lease = %n, "lease renewal failed: {e}");
                        if renewed.elapsed() >= ttl {
                            // It may have lapsed and been taken meanwhile.
                            flag.store(true, Ordering::Release);
                            break;
                        }
                    }
                }
            }
        });
        Ok(Some(HeldLease {
            store: self.clone(),
            name: name.to_string(),
            holder: holder.to_string(),
            renewal: Some(renewal),
            lost,
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
