//! Migration 022 (预约, SPEC §9): the hall's bookable services with their
//! openings, the bookings per slot counted atomically, and every booking
//! event (booked, rescheduled, cancelled, checked in, no-show) kept; the
//! hall's tickets per window group and day.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::*;

pub(super) struct M022Hall;

impl MigrationName for M022Hall {
    fn name(&self) -> &str {
        "m022_hall"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M022Hall {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("hall_services")
                .col(big_pk_auto("id"))
                .col(bigint("centre_id"))
                .col(string("name"))
                .col(string("group_code"))
                .col(text("rules"))
                .col(bigint("created_by"))
                .col(bigint("created_at"))
                .col(bigint("updated_at"))
                .to_owned(),
        )
        .await?;
        // Bookings per slot, counted in one statement so that capacity
        // holds under any number of bookers and instances.
        m.create_table(
            Table::create()
                .table("hall_slot_counts")
                .col(bigint("service_id"))
                .col(string("day"))
                .col(string("start_at"))
                .col(bigint("booked"))
                .primary_key(Index::create().col("service_id").col("day").col("start_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("bookings")
                .col(big_pk_auto("id"))
                .col(string_uniq("booking_no"))
                .col(bigint("service_id"))
                .col(bigint("centre_id"))
                .col(bigint("user_id"))
                .col(bigint("booked_by"))
                .col(string("day"))
                .col(string("start_at"))
                .col(string("end_at"))
                .col(string("kind"))
                .col(string("state"))
                .col(text("address"))
                .col(bigint_null("rescheduled_from"))
                .col(string_null("client_key"))
                .col(bigint("created_at"))
                .col(bigint("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "bookings",
            "ux_bookings_client_key",
            &["booked_by", "client_key"],
            true,
        ))
        .await?;
        m.create_index(index(
            "bookings",
            "ix_bookings_service_day",
            &["service_id", "day"],
            false,
        ))
        .await?;
        // 取号叫号: tickets per window group and day, numbered by one
        // counter row each (taken in one statement).
        m.create_table(
            Table::create()
                .table("hall_ticket_seq")
                .col(bigint("centre_id"))
                .col(string("group_code"))
                .col(string("day"))
                .col(bigint("last"))
                .primary_key(
                    Index::create()
                        .col("centre_id")
                        .col("group_code")
                        .col("day"),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("hall_tickets")
                .col(big_pk_auto("id"))
                .col(bigint("centre_id"))
                .col(string("group_code"))
                .col(string("day"))
                .col(bigint("seq"))
                .col(string("number"))
                .col(bigint_null("booking_id"))
                .col(boolean("priority"))
                .col(string("state"))
                .col(string_null("window_name"))
                .col(bigint_null("called_by"))
                .col(bigint("issued_at"))
                .col(bigint_null("called_at"))
                .col(bigint_null("finished_at"))
                .col(bigint_null("case_id"))
                .col(bigint("calls"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "hall_tickets",
            "ix_hall_tickets_queue",
            &["centre_id", "group_code", "day", "state"],
            false,
        ))
        .await?;
        // A window paused, with its reason (no calls until it resumes).
        m.create_table(
            Table::create()
                .table("hall_windows")
                .col(bigint("centre_id"))
                .col(string("window_name"))
                .col(text("paused_reason"))
                .col(bigint("since"))
                .primary_key(Index::create().col("centre_id").col("window_name"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("booking_events")
                .col(big_pk_auto("id"))
                .col(bigint("booking_id"))
                .col(bigint("at"))
                .col(bigint_null("actor_id"))
                .col(string("kind"))
                .col(text("note"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
