//! 取号叫号 (SPEC §9): tickets per window group and day (A001 …), taken
//! from one counter row in one statement; any free window of the group
//! calls the next by the calling rule, and a ticket goes to one window
//! only — the call is a conditional update, so two windows (or two server
//! instances) calling at the same moment never get the same ticket.

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::hall::{CallRule, GroupCode, Waiting, ticket_number};

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

/// The hall's windows are the clerks'.
fn clerk(actor: &Actor) -> Result<()> {
    if actor.role == Role::Clerk {
        Ok(())
    } else {
        Err(StoreError::Forbidden(Denied::Role))
    }
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
        self.issue_ticket_for(centre_id, group, priority, None, now)
            .await
    }

    async fn issue_ticket_for(
        &self,
        centre_id: i64,
        group: &str,
        priority: bool,
        booking: Option<i64>,
        now: NaiveDateTime,
    ) -> Result<HallTicket> {
        let code = GroupCode::parse(group).map_err(|e| StoreError::Invalid(e.into()))?;
        let (prefix, group) = (code.letter(), code.as_string());
        let day = now.date().to_string();
        let txn = self.begin().await?;
        let seq: i64 = query_one(
            &txn,
            "INSERT INTO hall_ticket_seq (centre_id, group_code, day, last) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (centre_id, group_code, day) DO UPDATE SET last = hall_ticket_seq.last + 1 \
             RETURNING last",
            vec![centre_id.into(), group.clone().into(), day.clone().into()],
        )
        .await?
        .map(|r| get::<i64>(&r, "last"))
        .transpose()?
        .ok_or_else(|| StoreError::Corrupt("ticket counter".into()))?;
        let number = ticket_number(prefix, u32::try_from(seq).unwrap_or(u32::MAX));
        let id = insert_id(
            &txn,
            "INSERT INTO hall_tickets (centre_id, group_code, day, seq, number, booking_id, priority, state, window_name, \
             called_by, issued_at, called_at, finished_at, case_id, calls) \
             VALUES ($1, $2, $3, $4, $5, $8, $6, 'waiting', NULL, NULL, $7, NULL, NULL, NULL, 0)",
            vec![
                centre_id.into(),
                group.into(),
                day.into(),
                seq.into(),
                number.into(),
                priority.into(),
                ms(now).into(),
                booking.into(),
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
        clerk(actor)?;
        if let Some(r) = query_one(
            self.conn(),
            "SELECT paused_reason FROM hall_windows WHERE centre_id = $1 AND window_name = $2",
            vec![actor.centre_id.into(), window.into()],
        )
        .await?
        {
            let why: String = get(&r, "paused_reason")?;
            return Err(StoreError::conflict(
                format!("本窗口已暂停（{why}），恢复后再叫号"),
                format!("this window is paused ({why}): resume it to call"),
            ));
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
                "UPDATE hall_tickets SET state = 'called', window_name = $1, called_by = $2, called_at = $3, \
                 calls = calls + 1 WHERE id = $4 AND state = 'waiting'",
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
        clerk(actor)?;
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

/// A called ticket not answered after this many calls is skipped.
pub const SKIP_AFTER_CALLS: i64 = 3;

impl Store {
    /// The applicant checks in their booking at the hall at `now`: within
    /// its arrival window it becomes a priority ticket of its service's
    /// window group; before it the person is told when to come back; after
    /// it the booking is missed and a walk-in ticket is theirs to take.
    /// Another person's booking does not exist for them.
    pub async fn check_in(
        &self,
        actor: &Actor,
        booking_id: i64,
        now: NaiveDateTime,
    ) -> Result<HallTicket> {
        let b = self.booking(booking_id).await?;
        if actor.role != Role::Applicant || b.user_id != actor.user_id {
            return Err(StoreError::NotFound(format!("booking {booking_id}")));
        }
        if b.state != "booked" {
            return Err(StoreError::conflict(
                "该预约不能签到（已取消、已签到或已过期）",
                "the booking cannot be checked in (cancelled, checked in or missed)",
            ));
        }
        let service = self.hall_service(b.service_id).await?;
        let start = b.day.and_time(b.start);
        let w = service.rules.arrival;
        match w.arrival(start, now) {
            tongban_domain::hall::Arrival::Early => {
                let from = start - chrono::Duration::minutes(i64::from(w.before));
                return Err(StoreError::Invalid(
                    tongban_domain::FieldError::new(
                        "booking",
                        "early",
                        format!("请于{}后签到，或现场取号", from.format("%H:%M")),
                        format!(
                            "check in from {}, or take a walk-in ticket",
                            from.format("%H:%M")
                        ),
                    )
                    .into(),
                ));
            }
            tongban_domain::hall::Arrival::Late => {
                return Err(StoreError::Invalid(
                    tongban_domain::FieldError::new(
                        "booking",
                        "late",
                        "已超过预约到达时间，请现场取号",
                        "the arrival window has passed: take a walk-in ticket",
                    )
                    .into(),
                ));
            }
            tongban_domain::hall::Arrival::OnTime => {}
        }
        let n = exec(
            self.conn(),
            "UPDATE bookings SET state = 'checked_in', updated_at = $1 WHERE id = $2 AND state = 'booked'",
            vec![crate::now_ms().into(), booking_id.into()],
        )
        .await?;
        if n != 1 {
            return Err(StoreError::conflict(
                "该预约已签到",
                "the booking is checked in already",
            ));
        }
        exec(
            self.conn(),
            "INSERT INTO booking_events (booking_id, at, actor_id, kind, note) VALUES ($1, $2, $3, 'checked_in', '')",
            vec![booking_id.into(), crate::now_ms().into(), actor.user_id.into()],
        )
        .await?;
        self.issue_ticket_for(
            service.centre_id,
            &service.group_code,
            true,
            Some(booking_id),
            now,
        )
        .await
    }

    /// Pauses a window (the clerk, with a reason): it calls nobody until
    /// it resumes.
    pub async fn pause_window(&self, actor: &Actor, window: &str, reason: &str) -> Result<()> {
        clerk(actor)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::Invalid(
                tongban_domain::FieldError::required("reason", "暂停原因").into(),
            ));
        }
        exec(
            self.conn(),
            "INSERT INTO hall_windows (centre_id, window_name, paused_reason, since) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (centre_id, window_name) DO UPDATE SET paused_reason = $3, since = $4",
            vec![
                actor.centre_id.into(),
                window.into(),
                reason.into(),
                crate::now_ms().into(),
            ],
        )
        .await?;
        Ok(())
    }

    /// Resumes a paused window.
    pub async fn resume_window(&self, actor: &Actor, window: &str) -> Result<()> {
        clerk(actor)?;
        exec(
            self.conn(),
            "DELETE FROM hall_windows WHERE centre_id = $1 AND window_name = $2",
            vec![actor.centre_id.into(), window.into()],
        )
        .await?;
        Ok(())
    }

    /// Calls a called ticket again; after [`SKIP_AFTER_CALLS`] calls
    /// without an answer it is skipped (kept, not served).
    pub async fn recall_ticket(&self, actor: &Actor, id: i64) -> Result<HallTicket> {
        clerk(actor)?;
        let n = exec(
            self.conn(),
            "UPDATE hall_tickets SET calls = calls + 1, \
             state = CASE WHEN calls + 1 > $1 THEN 'skipped' ELSE state END \
             WHERE id = $2 AND state = 'called' AND centre_id = $3",
            vec![SKIP_AFTER_CALLS.into(), id.into(), actor.centre_id.into()],
        )
        .await?;
        if n != 1 {
            return Err(StoreError::conflict(
                "该号未在叫号中",
                "the ticket is not being called",
            ));
        }
        self.hall_ticket(id).await
    }

    /// Sends a called ticket to another window group, where it waits with
    /// its own issue time (it does not start again at the back).
    pub async fn transfer_ticket(&self, actor: &Actor, id: i64, group: &str) -> Result<HallTicket> {
        clerk(actor)?;
        let group = GroupCode::parse(group)
            .map_err(|e| StoreError::Invalid(e.into()))?
            .as_string();
        let n = exec(
            self.conn(),
            "UPDATE hall_tickets SET group_code = $1, state = 'waiting', window_name = NULL, called_by = NULL, \
             called_at = NULL WHERE id = $2 AND state = 'called' AND centre_id = $3",
            vec![group.into(), id.into(), actor.centre_id.into()],
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
}
