//! Notices: what people read (in-app notifications), the e-mail outbox's
//! delivery bookkeeping, the notices of case steps (a case observer,
//! `observer`) and the deadline warning sweep (SPEC §4.2, 电子监察,
//! `warnings`). Every notice is written by `crate::outbox`.

mod observer;
mod warnings;

pub use observer::StepNotices;

use serde::Serialize;

use crate::{Result, Store, exec, get, now_ms, query, query_one};

/// One in-app notification.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    pub id: i64,
    pub case_id: Option<i64>,
    /// A bundle application's notice (一件事).
    pub bundle_case_id: Option<i64>,
    pub subject: String,
    pub body: String,
    pub created_at: i64,
    pub read: bool,
}

/// One e-mail waiting in (or delivered from) the outbox.
#[derive(Debug, Clone, Serialize)]
pub struct Mail {
    pub id: i64,
    pub to_addr: String,
    pub subject: String,
    pub body: String,
    pub attempts: i64,
    pub sent_at: Option<i64>,
    pub last_error: String,
    /// When the relay refused it for good (a 5xx reply, a bad address).
    pub failed_at: Option<i64>,
}

/// Backoff before the next delivery attempt: 1 min, 2, 4 … capped at 1 hour.
pub fn retry_delay_ms(attempts: i64) -> i64 {
    let exp = attempts.clamp(0, 6) as u32;
    (60_000i64 << exp).min(3_600_000)
}

impl Store {
    pub async fn notifications(&self, user_id: i64, limit: i64) -> Result<Vec<Notification>> {
        let rows = query(
            self.conn(),
            "SELECT id, case_id, bundle_case_id, subject, body, created_at, read_at FROM notifications WHERE user_id = $1 ORDER BY id DESC LIMIT $2",
            vec![user_id.into(), limit.into()],
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Notification {
                    id: get(r, "id")?,
                    case_id: get(r, "case_id")?,
                    bundle_case_id: get(r, "bundle_case_id")?,
                    subject: get(r, "subject")?,
                    body: get(r, "body")?,
                    created_at: get(r, "created_at")?,
                    read: get::<Option<i64>>(r, "read_at")?.is_some(),
                })
            })
            .collect()
    }

    pub async fn unread_notifications(&self, user_id: i64) -> Result<i64> {
        let r = query_one(
            self.conn(),
            "SELECT COUNT(*) AS n FROM notifications WHERE user_id = $1 AND read_at IS NULL",
            vec![user_id.into()],
        )
        .await?;
        Ok(match r {
            Some(r) => get(&r, "n")?,
            None => 0,
        })
    }

    pub async fn mark_notifications_read(&self, user_id: i64) -> Result<()> {
        exec(
            self.conn(),
            "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL",
            vec![now_ms().into(), user_id.into()],
        )
        .await?;
        Ok(())
    }

    /// Mail due for (another) delivery attempt, oldest first.
    pub async fn due_mail(&self, limit: i64) -> Result<Vec<Mail>> {
        let rows = query(
            self.conn(),
            "SELECT id, to_addr, subject, body, attempts, sent_at, last_error, failed_at FROM outbox \
             WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 ORDER BY id LIMIT $2",
            vec![now_ms().into(), limit.into()],
        )
        .await?;
        rows.iter().map(row_mail).collect()
    }

    /// The whole outbox, newest first (tests and the admin view).
    pub async fn outbox(&self, limit: i64) -> Result<Vec<Mail>> {
        let rows = query(
            self.conn(),
            "SELECT id, to_addr, subject, body, attempts, sent_at, last_error, failed_at FROM outbox ORDER BY id DESC LIMIT $1",
            vec![limit.into()],
        )
        .await?;
        rows.iter().map(row_mail).collect()
    }

    pub async fn mail_sent(&self, id: i64) -> Result<()> {
        exec(
            self.conn(),
            "UPDATE outbox SET sent_at = $1, attempts = attempts + 1, last_error = '' WHERE id = $2",
            vec![now_ms().into(), id.into()],
        )
        .await?;
        Ok(())
    }

    /// Mail the relay refused for good, newest first (what staff follow up).
    pub async fn undeliverable_mail(&self, limit: i64) -> Result<Vec<Mail>> {
        let rows = query(
            self.conn(),
            "SELECT id, to_addr, subject, body, attempts, sent_at, last_error, failed_at FROM outbox \
             WHERE failed_at IS NOT NULL ORDER BY failed_at DESC, id DESC LIMIT $1",
            vec![limit.into()],
        )
        .await?;
        rows.iter().map(row_mail).collect()
    }

    /// Records that the relay refused a mail for good: it is not tried again.
    pub async fn mail_refused(&self, id: i64, error: &str) -> Result<()> {
        let error: String = error.chars().take(500).collect();
        exec(
            self.conn(),
            "UPDATE outbox SET attempts = attempts + 1, last_error = $1, failed_at = $2 WHERE id = $3 AND sent_at IS NULL",
            vec![error.into(), now_ms().into(), id.into()],
        )
        .await?;
        Ok(())
    }

    /// Records a failed attempt; the mail stays and is retried later.
    pub async fn mail_failed(&self, id: i64, error: &str) -> Result<()> {
        let r = query_one(
            self.conn(),
            "SELECT attempts FROM outbox WHERE id = $1",
            vec![id.into()],
        )
        .await?;
        let attempts: i64 = match r {
            Some(r) => get(&r, "attempts")?,
            None => return Ok(()),
        };
        let error: String = error.chars().take(500).collect();
        exec(
            self.conn(),
            "UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 WHERE id = $3",
            vec![
                error.into(),
                (now_ms() + retry_delay_ms(attempts)).into(),
                id.into(),
            ],
        )
        .await?;
        Ok(())
    }
}

fn row_mail(r: &sea_orm::QueryResult) -> Result<Mail> {
    Ok(Mail {
        id: get(r, "id")?,
        to_addr: get(r, "to_addr")?,
        subject: get(r, "subject")?,
        body: get(r, "body")?,
        attempts: get(r, "attempts")?,
        sent_at: get(r, "sent_at")?,
        last_error: get(r, "last_error")?,
        failed_at: get(r, "failed_at")?,
    })
}
