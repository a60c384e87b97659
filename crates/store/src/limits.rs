//! Attempt limits shared by every instance over one database (sign-in,
//! progress lookup). An attempt is counted *before* it is checked, in one
//! atomic statement, so parallel requests cannot all slip under the limit;
//! a successful attempt gives its reservation back.

use crate::{Result, Store, exec, get, now_ms, query_one};

/// A limit: at most `max` attempts per key within `window_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: i64,
    pub window_ms: i64,
}

/// What a reservation found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// The attempt is counted and may be checked.
    Granted,
    /// The limit is reached: do not check the attempt.
    Refused,
}

impl Store {
    /// Counts one attempt for `key` and says whether it may be checked. The
    /// window restarts once `limit.window_ms` has passed since it opened.
    pub async fn reserve_attempt(&self, key: &str, limit: Limit) -> Result<Reservation> {
        let now = now_ms();
        let row = query_one(
            self.conn(),
            "INSERT INTO attempt_counters (counter_key, window_start, attempts) VALUES ($1, $2, 1) \
             ON CONFLICT (counter_key) DO UPDATE SET \
               attempts = CASE WHEN attempt_counters.window_start <= $3 THEN 1 \
                               ELSE attempt_counters.attempts + 1 END, \
               window_start = CASE WHEN attempt_counters.window_start <= $3 THEN $2 \
                                   ELSE attempt_counters.window_start END \
             RETURNING attempts",
            vec![key.into(), now.into(), (now - limit.window_ms).into()],
        )
        .await?;
        let attempts: i64 = match row {
            Some(r) => get(&r, "attempts")?,
            None => i64::MAX,
        };
        Ok(if attempts <= limit.max {
            Reservation::Granted
        } else {
            Reservation::Refused
        })
    }

    /// Gives back one reserved attempt (it succeeded, so it does not count).
    pub async fn release_attempt(&self, key: &str) -> Result<()> {
        exec(
            self.conn(),
            "UPDATE attempt_counters SET attempts = attempts - 1 WHERE counter_key = $1 AND attempts > 0",
            vec![key.into()],
        )
        .await?;
        Ok(())
    }

    /// Forgets counters whose window closed more than `older_than_ms` ago.
    pub async fn prune_attempts(&self, older_than_ms: i64) -> Result<u64> {
        exec(
            self.conn(),
            "DELETE FROM attempt_counters WHERE window_start < $1",
            vec![(now_ms() - older_than_ms).into()],
        )
        .await
    }
}
