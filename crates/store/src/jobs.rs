//! Database leases, so that a scheduled job runs on exactly one of several
//! server instances sharing one database.

use crate::{Result, Store, exec, now_ms};

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
