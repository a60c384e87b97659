//! Migration 022 (预约, SPEC §9): the hall's bookable services with their
//! openings, the bookings per slot counted atomically, and every booking
//! event (booked, rescheduled, cancelled, checked in, no-show) kept.

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
