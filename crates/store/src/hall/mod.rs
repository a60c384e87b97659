//! 预约 (SPEC §9): the hall's bookable services — their openings on the
//! legal calendar, closures, booking and arrival windows — and bookings.
//! A slot's capacity is counted in one statement (`hall_slot_counts`), so
//! it holds under any number of bookers and server instances; a booking is
//! never deleted: cancelling, rescheduling, checking in and missing it are
//! states with their events (`booking_events`). The hall's queue of
//! tickets is `queue.rs`.

mod queue;

pub use queue::{CALL_RULE, HallTicket};

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};
use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::hall::{
    ArrivalWindow, BookingWindow, Closure, GroupCode, Opening, Slot, SlotKind, slots,
};
use tongban_domain::{FieldError, FieldErrors};

use crate::sql::{json_col, to_json};
use crate::{Result, Store, StoreError, exec, get, insert_id, now_ms, query, query_one, trail};

/// A service's rules: its openings and closures, and when it may be booked
/// and arrived at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRules {
    pub openings: Vec<Opening>,
    #[serde(default)]
    pub closures: Vec<Closure>,
    pub booking: BookingWindow,
    pub arrival: ArrivalWindow,
}

/// A bookable service of the hall (an item, a bundle or 综合咨询).
#[derive(Debug, Clone, Serialize)]
pub struct HallService {
    pub id: i64,
    pub centre_id: i64,
    pub name: String,
    /// The window group's letter (its tickets are A001 …).
    pub group_code: String,
    pub rules: ServiceRules,
}

/// A slot with what is left of it.
#[derive(Debug, Clone, Serialize)]
pub struct SlotView {
    pub slot: Slot,
    pub booked: u32,
}

impl SlotView {
    pub fn left(&self) -> u32 {
        self.slot.capacity.saturating_sub(self.booked)
    }
}

/// A booking and where it stands.
#[derive(Debug, Clone, Serialize)]
pub struct Booking {
    pub id: i64,
    pub booking_no: String,
    pub service_id: i64,
    pub user_id: i64,
    pub day: NaiveDate,
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub kind: SlotKind,
    /// `booked`, `cancelled`, `rescheduled`, `checked_in` or `no_show`.
    pub state: String,
    pub address: String,
}

fn invalid(field: &str, code: &str, zh: &str, en: &str) -> StoreError {
    StoreError::Invalid(FieldError::new(field, code, zh, en).into())
}

const COLS: &str = "id, booking_no, service_id, user_id, day, start_at, end_at, kind, state, address FROM bookings";

fn row(r: &sea_orm::QueryResult) -> Result<Booking> {
    let time = |c: &str| -> Result<NaiveTime> {
        let s: String = get(r, c)?;
        NaiveTime::parse_from_str(&s, "%H:%M").map_err(|e| StoreError::Corrupt(format!("{c}: {e}")))
    };
    let kind: String = get(r, "kind")?;
    let day: String = get(r, "day")?;
    Ok(Booking {
        id: get(r, "id")?,
        booking_no: get(r, "booking_no")?,
        service_id: get(r, "service_id")?,
        user_id: get(r, "user_id")?,
        day: NaiveDate::parse_from_str(&day, "%Y-%m-%d")
            .map_err(|e| StoreError::Corrupt(format!("booking day: {e}")))?,
        start: time("start_at")?,
        end: time("end_at")?,
        kind: SlotKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("slot kind {kind}")))?,
        state: get(r, "state")?,
        address: get(r, "address")?,
    })
}

fn hm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

impl Store {
    /// Sets up a bookable service of the actor's centre (a centre-level
    /// catalogue admin): its openings checked each by field.
    pub async fn create_hall_service(
        &self,
        actor: &Actor,
        name: &str,
        group_code: &str,
        rules: &ServiceRules,
    ) -> Result<HallService> {
        if actor.role != Role::CatalogAdmin || actor.department_id.is_some() {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        let mut errs = FieldErrors::default();
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            errs.push(FieldError::required("name", "服务名称"));
        }
        let group = match GroupCode::parse(group_code) {
            Ok(g) => g.as_string(),
            Err(mut e) => {
                e.field = "group_code".into();
                errs.push(e);
                String::new()
            }
        };
        if rules.openings.is_empty() {
            errs.push(FieldError::required("openings", "开放时段"));
        }
        for (i, o) in rules.openings.iter().enumerate() {
            if let Err(e) = o.check() {
                for mut f in e.0 {
                    f.field = format!("openings[{i}].{}", f.field);
                    errs.push(f);
                }
            }
        }
        if rules.booking.horizon_days == 0 || rules.booking.horizon_days > 90 {
            errs.push(FieldError::new(
                "booking.horizon_days",
                "out_of_range",
                "可预约天数应为1至90天",
                "bookings open 1 to 90 days ahead",
            ));
        }
        if rules.arrival.before > 120 || rules.arrival.after > 120 {
            errs.push(FieldError::new(
                "arrival",
                "out_of_range",
                "到达时间窗前后各不超过120分钟",
                "the arrival window is at most 120 minutes either side",
            ));
        }
        errs.into_result().map_err(StoreError::Invalid)?;
        let now = now_ms();
        let txn = self.begin().await?;
        let id = insert_id(
            &txn,
            "INSERT INTO hall_services (centre_id, name, group_code, rules, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
            vec![
                actor.centre_id.into(),
                name.to_string().into(),
                group.clone().into(),
                to_json(rules).into(),
                actor.user_id.into(),
                now.into(),
            ],
        )
        .await?;
        trail::append(
            &txn,
            Some(actor.user_id),
            "hall.service",
            &format!("hall_service:{id}"),
            serde_json::json!({"name": name, "group": group}),
        )
        .await?;
        txn.commit().await?;
        self.hall_service(id).await
    }

    pub async fn hall_service(&self, id: i64) -> Result<HallService> {
        let r = query_one(
            self.conn(),
            "SELECT id, centre_id, name, group_code, rules FROM hall_services WHERE id = $1",
            vec![id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("hall service {id}")))?;
        Ok(HallService {
            id,
            centre_id: get(&r, "centre_id")?,
            name: get(&r, "name")?,
            group_code: get(&r, "group_code")?,
            rules: json_col(&r, "rules")?,
        })
    }

    /// The service's slots from `from` to `to` with what is left of each.
    pub async fn hall_slots(
        &self,
        service: &HallService,
        cal: &WorkCalendar,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<SlotView>> {
        let all = slots(
            &service.rules.openings,
            &service.rules.closures,
            cal,
            from,
            to,
        )
        .map_err(|e| {
            StoreError::Invalid(FieldError::new("day", "calendar", e.zh(), e.to_string()).into())
        })?;
        let counts = query(
            self.conn(),
            "SELECT day, start_at, booked FROM hall_slot_counts WHERE service_id = $1 AND day >= $2 AND day <= $3",
            vec![service.id.into(), from.to_string().into(), to.to_string().into()],
        )
        .await?;
        let mut booked = std::collections::HashMap::new();
        for r in &counts {
            booked.insert(
                (get::<String>(r, "day")?, get::<String>(r, "start_at")?),
                get::<i64>(r, "booked")?,
            );
        }
        Ok(all
            .into_iter()
            .map(|slot| {
                let n = booked
                    .get(&(slot.date.to_string(), hm(slot.start)))
                    .copied()
                    .unwrap_or(0);
                SlotView {
                    slot,
                    booked: u32::try_from(n).unwrap_or(u32::MAX),
                }
            })
            .collect())
    }

    /// Books the slot of `service` starting at `day` `start` for the
    /// applicant at `now`: refused for a closed day or time, too soon or too
    /// far ahead, a full slot, or a second booking of the person on the
    /// day; the same `client_key` (a double click) gives the same booking.
    #[allow(clippy::too_many_arguments)]
    pub async fn book(
        &self,
        actor: &Actor,
        service_id: i64,
        day: NaiveDate,
        start: NaiveTime,
        address: &str,
        cal: &WorkCalendar,
        now: NaiveDateTime,
        client_key: Option<&str>,
    ) -> Result<Booking> {
        self.book_replacing(
            actor, service_id, day, start, address, cal, now, client_key, None,
        )
        .await
    }

    /// Moves the applicant's booking to another slot of its service, in one
    /// transaction: the old one is kept as `rescheduled` (its place given
    /// back), the new one names it; refused as `book` refuses.
    #[allow(clippy::too_many_arguments)]
    pub async fn reschedule_booking(
        &self,
        actor: &Actor,
        id: i64,
        day: NaiveDate,
        start: NaiveTime,
        cal: &WorkCalendar,
        now: NaiveDateTime,
    ) -> Result<Booking> {
        let old = self.booking(id).await?;
        if actor.role != Role::Applicant || old.user_id != actor.user_id {
            return Err(StoreError::NotFound(format!("booking {id}")));
        }
        self.book_replacing(
            actor,
            old.service_id,
            day,
            start,
            &old.address,
            cal,
            now,
            None,
            Some(&old),
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn book_replacing(
        &self,
        actor: &Actor,
        service_id: i64,
        day: NaiveDate,
        start: NaiveTime,
        address: &str,
        cal: &WorkCalendar,
        now: NaiveDateTime,
        client_key: Option<&str>,
        replaces: Option<&Booking>,
    ) -> Result<Booking> {
        if actor.role != Role::Applicant {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        if let Some(key) = client_key
            && let Some(r) = query_one(
                self.conn(),
                &format!("SELECT {COLS} WHERE booked_by = $1 AND client_key = $2"),
                vec![actor.user_id.into(), key.into()],
            )
            .await?
        {
            return row(&r);
        }
        let service = self.hall_service(service_id).await?;
        let Some(slot) = self
            .hall_slots(&service, cal, day, day)
            .await?
            .into_iter()
            .map(|v| v.slot)
            .find(|s| s.start == start)
        else {
            return Err(invalid(
                "slot",
                "closed",
                "该时段不开放预约（节假日、非开放时间或已停办）",
                "this time is not open for booking (a holiday, outside the hours, or closed)",
            ));
        };
        if let Some(e) = service.rules.booking.refusal(day.and_time(start), now) {
            return Err(StoreError::Invalid(e.into()));
        }
        let address = address.trim();
        if slot.kind == SlotKind::Onsite && address.is_empty() {
            return Err(invalid(
                "address",
                "required",
                "上门服务请填写地址",
                "give the address for an on-site visit",
            ));
        }
        let txn = self.begin().await?;
        if let Some(old) = replaces {
            let n = exec(
                &txn,
                "UPDATE bookings SET state = 'rescheduled', updated_at = $1 WHERE id = $2 AND state = 'booked'",
                vec![now_ms().into(), old.id.into()],
            )
            .await?;
            if n != 1 {
                return Err(StoreError::conflict(
                    "该预约已不能改约",
                    "the booking can no longer be rescheduled",
                ));
            }
            exec(
                &txn,
                "UPDATE hall_slot_counts SET booked = booked - 1 WHERE service_id = $1 AND day = $2 AND start_at = $3 AND booked > 0",
                vec![old.service_id.into(), old.day.to_string().into(), hm(old.start).into()],
            )
            .await?;
            event(&txn, old.id, Some(actor.user_id), "rescheduled", "").await?;
        }
        let twice = query_one(
            &txn,
            "SELECT COUNT(*) AS n FROM bookings WHERE user_id = $1 AND service_id = $2 AND day = $3 AND state = 'booked'",
            vec![actor.user_id.into(), service_id.into(), day.to_string().into()],
        )
        .await?
        .map(|r| get::<i64>(&r, "n"))
        .transpose()?
        .unwrap_or(0);
        if twice > 0 {
            return Err(StoreError::conflict(
                "您当天已预约此服务，如需改时间请改约",
                "you have booked this service on that day already: reschedule it instead",
            ));
        }
        exec(
            &txn,
            "INSERT INTO hall_slot_counts (service_id, day, start_at, booked) VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING",
            vec![service_id.into(), day.to_string().into(), hm(start).into()],
        )
        .await?;
        let taken = exec(
            &txn,
            "UPDATE hall_slot_counts SET booked = booked + 1 WHERE service_id = $1 AND day = $2 AND start_at = $3 AND booked < $4",
            vec![
                service_id.into(),
                day.to_string().into(),
                hm(start).into(),
                i64::from(slot.capacity).into(),
            ],
        )
        .await?;
        if taken != 1 {
            return Err(StoreError::conflict(
                "该时段已约满，请选择其他时段",
                "this slot is full: choose another",
            ));
        }
        let ts = now_ms();
        let id = insert_id(
            &txn,
            "INSERT INTO bookings (booking_no, service_id, centre_id, user_id, booked_by, day, start_at, end_at, kind, state, \
             address, rescheduled_from, client_key, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8, 'booked', $9, $12, $10, $11, $11)",
            vec![
                format!("tmp-{}", crate::accounts::random_token()).into(),
                service_id.into(),
                service.centre_id.into(),
                actor.user_id.into(),
                day.to_string().into(),
                hm(start).into(),
                hm(slot.end).into(),
                slot.kind.as_str().into(),
                address.to_string().into(),
                client_key.map(str::to_string).into(),
                ts.into(),
                replaces.map(|b| b.id).into(),
            ],
        )
        .await?;
        let no = format!("YY{}{id:06}", day.format("%Y%m%d"));
        exec(
            &txn,
            "UPDATE bookings SET booking_no = $1 WHERE id = $2",
            vec![no.into(), id.into()],
        )
        .await?;
        event(&txn, id, Some(actor.user_id), "booked", "").await?;
        txn.commit().await?;
        self.booking(id).await
    }

    /// Cancels the applicant's booking: the slot's place is given back, the
    /// booking and its history stay.
    pub async fn cancel_booking(&self, actor: &Actor, id: i64) -> Result<Booking> {
        let b = self.booking(id).await?;
        if actor.role != Role::Applicant || b.user_id != actor.user_id {
            return Err(StoreError::NotFound(format!("booking {id}")));
        }
        let txn = self.begin().await?;
        let n = exec(
            &txn,
            "UPDATE bookings SET state = 'cancelled', updated_at = $1 WHERE id = $2 AND state = 'booked'",
            vec![now_ms().into(), id.into()],
        )
        .await?;
        if n != 1 {
            return Err(StoreError::conflict(
                "该预约已不能取消",
                "the booking can no longer be cancelled",
            ));
        }
        exec(
            &txn,
            "UPDATE hall_slot_counts SET booked = booked - 1 WHERE service_id = $1 AND day = $2 AND start_at = $3 AND booked > 0",
            vec![b.service_id.into(), b.day.to_string().into(), hm(b.start).into()],
        )
        .await?;
        event(&txn, id, Some(actor.user_id), "cancelled", "").await?;
        txn.commit().await?;
        self.booking(id).await
    }

    /// Records as no-shows, once, the bookings whose arrival window has
    /// passed at `now` without a check-in; gives how many.
    pub async fn sweep_no_shows(&self, now: NaiveDateTime) -> Result<usize> {
        let open = query(
            self.conn(),
            "SELECT b.id, b.day, b.start_at, s.rules FROM bookings b JOIN hall_services s ON s.id = b.service_id \
             WHERE b.state = 'booked' AND b.day <= $1",
            vec![now.date().to_string().into()],
        )
        .await?;
        let mut done = 0;
        for r in &open {
            let rules: ServiceRules = json_col(r, "rules")?;
            let day: String = get(r, "day")?;
            let start: String = get(r, "start_at")?;
            let Ok(at) = NaiveDateTime::parse_from_str(&format!("{day} {start}"), "%Y-%m-%d %H:%M")
            else {
                continue;
            };
            if !rules.arrival.missed(at, now) {
                continue;
            }
            let id: i64 = get(r, "id")?;
            let txn = self.begin().await?;
            let n = exec(
                &txn,
                "UPDATE bookings SET state = 'no_show', updated_at = $1 WHERE id = $2 AND state = 'booked'",
                vec![now_ms().into(), id.into()],
            )
            .await?;
            if n == 1 {
                event(&txn, id, None, "no_show", "").await?;
                done += 1;
            }
            txn.commit().await?;
        }
        Ok(done)
    }

    /// The applicant's bookings, newest first.
    pub async fn my_bookings(&self, actor: &Actor) -> Result<Vec<Booking>> {
        query(
            self.conn(),
            &format!("SELECT {COLS} WHERE user_id = $1 ORDER BY id DESC"),
            vec![actor.user_id.into()],
        )
        .await?
        .iter()
        .map(row)
        .collect()
    }

    pub async fn booking(&self, id: i64) -> Result<Booking> {
        let r = query_one(
            self.conn(),
            &format!("SELECT {COLS} WHERE id = $1"),
            vec![id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("booking {id}")))?;
        row(&r)
    }

    /// How many bookings of the person were missed (no-shows), ever.
    pub async fn no_shows_of(&self, user_id: i64) -> Result<i64> {
        Ok(query_one(
            self.conn(),
            "SELECT COUNT(*) AS n FROM bookings WHERE user_id = $1 AND state = 'no_show'",
            vec![user_id.into()],
        )
        .await?
        .map(|r| get::<i64>(&r, "n"))
        .transpose()?
        .unwrap_or(0))
    }
}

async fn event(
    c: &impl sea_orm::ConnectionTrait,
    booking: i64,
    actor: Option<i64>,
    kind: &str,
    note: &str,
) -> Result<()> {
    exec(
        c,
        "INSERT INTO booking_events (booking_id, at, actor_id, kind, note) VALUES ($1, $2, $3, $4, $5)",
        vec![booking.into(), now_ms().into(), actor.into(), kind.into(), note.into()],
    )
    .await?;
    Ok(())
}
