//! 取号叫号 (SPEC §9): tickets per window group and day (A001 …), taken
//! from one counter row in one statement; any free window of the group
//! calls the next by the calling rule, and a ticket goes to one window
//! only — the call is a conditional update, so two windows (or two server
//! instances) calling at the same moment never get the same ticket.

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::hall::{CallRule, Waiting, ticket_number};

use crate::{Result, Store, StoreError, exec, get, insert_id, query, query_one};

/// The calling rule of the hall: a priority ticket counts 20 minutes more
/// waiting than it has.
pub const CALL_RULE: CallRule = CallRule { bonus_minutes: 20 };

/// A ticket of the hall.
#[derive(Debug, Clone, Serialize)]
pub struct HallTicket {
    pub id: i64,
    pub group_code: String,
    pub day: NaiveDate,
    pub number: String,
    pub priority: bool,
    /// `waiting`, `called` or `done`.
    pub state: String,
    pub window_name: Option<String>,
    pub issued_at: i64,
    pub called_at: Option<i64>,
    pub finished_at: Option<i64>,
}

const COLS: &str = "id, group_code, day, number, priority, state, window_name, issued_at, called_at, finished_at FROM hall_tickets";

fn row(r: &sea_orm::QueryResult) -> Result<HallTicket> {
    let day: String = get(r, "day")?;
    Ok(HallTicket {
        id: get(r, "id")?,
        group_code: get(r, "group_code")?,
        day: NaiveDate::parse_from_str(&day, "%Y-%m-%d")
            .map_err(|e| StoreError::Corrupt(format!("ticket day: {e}")))?,
        number: get(r, "number")?,
        priority: get(r, "priority")?,
        state: get(r, "state")?,
        window_name: get(r, "window_name")?,
        issued_at: get(r, "issued_at")?,
        called_at: get(r, "called_at")?,
        finished_at: get(r, "finished_at")?,
    })
}

fn ms(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_millis()
}

fn at(ms: i64) -> NaiveDateTime {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.naive_utc())
        .unwrap_or_default()
}

impl Store {
    /// Issues the next ticket of window group `group` of `centre_id` on
    /// `now`'s day (a walk-in, or `priority` for the elderly, a booking
    /// checked in, a key project).
    pub async fn issue_ticket(
        &self,
        centre_id: i64,
        group: &str,
        priority: bool,
        now: NaiveDateTime,
    ) -> Result<HallTicket> {
        let Some(prefix) = group.chars().next().filter(|c| c.is_ascii_uppercase()) else {
            return Err(StoreError::Invalid(
                tongban_domain::FieldError::new(
                    "group",
                    "invalid",
                    "窗口组代号应为一个大写字母",
                    "the window group is one capital letter",
                )
                .into(),
            ));
        };
        let day = now.date().to_string();
        let txn = self.begin().await?;
        let seq: i64 = query_one(
            &txn,
            "INSERT INTO hall_ticket_seq (centre_id, group_code, day, last) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (centre_id, group_code, day) DO UPDATE SET last = hall_ticket_seq.last + 1 \
             RETURNING last",
            vec![centre_id.into(), group.into(), day.clone().into()],
        )
        .await?
        .map(|r| get::<i64>(&r, "last"))
        .transpose()?
        .ok_or_else(|| StoreError::Corrupt("ticket counter".into()))?;
        let number = ticket_number(prefix, u32::try_from(seq).unwrap_or(u32::MAX));
        let id = insert_id(
            &txn,
            "INSERT INTO hall_tickets (centre_id, group_code, day, seq, number, booking_id, priority, state, window_name, \
             called_by, issued_at, called_at, finished_at, case_id) \
             VALUES ($1, $2, $3, $4, $5, NULL, $6, 'waiting', NULL, NULL, $7, NULL, NULL, NULL)",
            vec![
                centre_id.into(),
                group.into(),
                day.into(),
                seq.into(),
                number.into(),
                priority.into(),
                ms(now).into(),
            ],
        )
        .await?;
        txn.commit().await?;
        self.hall_ticket(id).await
    }

    /// A window of group `group` calls the next ticket (the window clerk of
    /// the actor's centre): the one the calling rule picks, taken by a
    /// conditional update — if another window took it first, the next.
    /// `None` when nobody waits.
    pub async fn call_next(
        &self,
        actor: &Actor,
        group: &str,
        window: &str,
        now: NaiveDateTime,
    ) -> Result<Option<HallTicket>> {
        if actor.role != Role::Clerk {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        let day = now.date().to_string();
        for _ in 0..50 {
            let waiting: Vec<Waiting> = query(
                self.conn(),
                "SELECT id, issued_at, priority FROM hall_tickets \
                 WHERE centre_id = $1 AND group_code = $2 AND day = $3 AND state = 'waiting'",
                vec![actor.centre_id.into(), group.into(), day.clone().into()],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(Waiting {
                    id: get(r, "id")?,
                    issued_at: at(get(r, "issued_at")?),
                    priority: get(r, "priority")?,
                })
            })
            .collect::<Result<_>>()?;
            let Some(id) = CALL_RULE.next(&waiting, now) else {
                return Ok(None);
            };
            let taken = exec(
                self.conn(),
                "UPDATE hall_tickets SET state = 'called', window_name = $1, called_by = $2, called_at = $3 \
                 WHERE id = $4 AND state = 'waiting'",
                vec![
                    window.into(),
                    actor.user_id.into(),
                    ms(now).into(),
                    id.into(),
                ],
            )
            .await?;
            if taken == 1 {
                return self.hall_ticket(id).await.map(Some);
            }
        }
        Err(StoreError::conflict(
            "叫号繁忙，请稍后再叫",
            "the queue is busy: call again",
        ))
    }

    /// Finishes a called ticket (its service time ends), once.
    pub async fn finish_ticket(
        &self,
        actor: &Actor,
        id: i64,
        now: NaiveDateTime,
    ) -> Result<HallTicket> {
        if actor.role != Role::Clerk {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        let n = exec(
            self.conn(),
            "UPDATE hall_tickets SET state = 'done', finished_at = $1 \
             WHERE id = $2 AND state = 'called' AND centre_id = $3",
            vec![ms(now).into(), id.into(), actor.centre_id.into()],
        )
        .await?;
        if n != 1 {
            return Err(StoreError::conflict(
                "该号未在办理中",
                "the ticket is not being served",
            ));
        }
        self.hall_ticket(id).await
    }

    pub async fn hall_ticket(&self, id: i64) -> Result<HallTicket> {
        let r = query_one(
            self.conn(),
            &format!("SELECT {COLS} WHERE id = $1"),
            vec![id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("ticket {id}")))?;
        row(&r)
    }

    /// The tickets issued (and their issue time) not yet finished, for
    /// keeping the queue across restarts: it lives in the database.
    pub async fn waiting_tickets(
        &self,
        centre_id: i64,
        group: &str,
        day: NaiveDate,
    ) -> Result<Vec<HallTicket>> {
        query(
            self.conn(),
            &format!(
                "SELECT {COLS} WHERE centre_id = $1 AND group_code = $2 AND day = $3 AND state = 'waiting' ORDER BY seq"
            ),
            vec![centre_id.into(), group.into(), day.to_string().into()],
        )
        .await?
        .iter()
        .map(row)
        .collect()
    }
}
