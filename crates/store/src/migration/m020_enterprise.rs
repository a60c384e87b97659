//! Migration 020 (靠前服务, SPEC §9): authorizations (授权委托) of concierges
//! by enterprises, construction projects with their stage configuration,
//! the cases they group, concierge assignments, site visits, and
//! difficulty tickets with their departments, events and escalations; and
//! the cases marked to be worked first (绿色通道).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::*;

pub(super) struct M020Enterprise;

impl MigrationName for M020Enterprise {
    fn name(&self) -> &str {
        "m020_enterprise"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M020Enterprise {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // 授权委托: never deleted; revoking sets the day.
        m.create_table(
            Table::create()
                .table("mandates")
                .col(big_pk_auto("id"))
                .col(bigint("enterprise_user_id"))
                .col(bigint("concierge_user_id"))
                .col(boolean("scope_all"))
                .col(text("items"))
                .col(string("valid_from"))
                .col(string("valid_to"))
                .col(string_null("revoked_on"))
                .col(string("letter_key"))
                .col(string("letter_name"))
                .col(bigint("created_by"))
                .col(bigint("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "mandates",
            "ix_mandates_pair",
            &["enterprise_user_id", "concierge_user_id"],
            false,
        ))
        .await?;
        // Which items a stage holds, per centre and kind of project.
        m.create_table(
            Table::create()
                .table("project_stage_config")
                .col(big_pk_auto("id"))
                .col(bigint("centre_id"))
                .col(string("kind"))
                .col(bigint("stage"))
                .col(bigint("lead_department_id"))
                .col(bigint("target_days"))
                .col(text("items"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "project_stage_config",
            "ux_project_stage_config",
            &["centre_id", "kind", "stage"],
            true,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("projects")
                .col(big_pk_auto("id"))
                .col(string_uniq("code"))
                .col(string("name"))
                .col(bigint("centre_id"))
                .col(string("centre_path"))
                .col(bigint("owner_user_id"))
                .col(string("owner_name"))
                .col(string("owner_credit_code"))
                .col(string("division"))
                .col(string("kind"))
                .col(boolean("low_risk"))
                .col(bigint("land_area"))
                .col(bigint("floor_area"))
                .col(bigint("investment"))
                .col(string("planned_start"))
                .col(string("planned_finish"))
                .col(bigint("target_days"))
                .col(boolean("key_project"))
                .col(bigint_null("concierge_user_id"))
                .col(bigint("created_by"))
                .col(bigint("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "projects",
            "ix_projects_owner",
            &["owner_user_id"],
            false,
        ))
        .await?;
        m.create_index(index(
            "projects",
            "ix_projects_concierge",
            &["concierge_user_id"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("project_cases")
                .col(bigint("project_id"))
                .col(bigint("stage"))
                .col(bigint("case_id"))
                .primary_key(Index::create().col("project_id").col("case_id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "project_cases",
            "ux_project_cases_case",
            &["case_id"],
            true,
        ))
        .await?;
        // One concierge per enterprise (一对一).
        m.create_table(
            Table::create()
                .table("enterprise_concierges")
                .col(bigint("enterprise_user_id").primary_key())
                .col(bigint("concierge_user_id"))
                .col(bigint("assigned_by"))
                .col(bigint("assigned_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("site_visits")
                .col(big_pk_auto("id"))
                .col(bigint("project_id"))
                .col(string("visited_on"))
                .col(bigint("visitor_user_id"))
                .col(string("participants"))
                .col(text("topics"))
                .col(text("problems"))
                .col(text("follow_ups"))
                .col(bigint("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("tickets")
                .col(big_pk_auto("id"))
                .col(bigint("centre_id"))
                .col(string("centre_path"))
                .col(bigint_null("project_id"))
                .col(bigint_null("case_id"))
                .col(bigint_null("visit_id"))
                .col(bigint("enterprise_user_id"))
                .col(bigint("raised_by"))
                .col(string("raised_as"))
                .col(string("title"))
                .col(text("problem"))
                .col(string("items"))
                .col(string("state"))
                .col(bigint_null("assignee_id"))
                .col(text("answer"))
                .col(text("reason"))
                .col(string("raised_on"))
                .col(string("respond_by"))
                .col(string("resolve_by"))
                .col(bigint("escalation"))
                .col(bigint("reopened"))
                .col(bigint_null("rating"))
                .col(text("rating_comment"))
                .col(bigint("version"))
                .col(bigint("created_at"))
                .col(bigint("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "tickets",
            "ix_tickets_enterprise",
            &["enterprise_user_id"],
            false,
        ))
        .await?;
        m.create_index(index("tickets", "ix_tickets_state", &["state"], false))
            .await?;
        m.create_table(
            Table::create()
                .table("ticket_departments")
                .col(bigint("ticket_id"))
                .col(bigint("department_id"))
                .primary_key(Index::create().col("ticket_id").col("department_id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ticket_departments",
            "ix_ticket_departments_department",
            &["department_id"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("ticket_events")
                .col(big_pk_auto("id"))
                .col(bigint("ticket_id"))
                .col(bigint("at"))
                .col(bigint_null("actor_id"))
                .col(string("actor_label"))
                .col(string("kind"))
                .col(text("note"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ticket_events",
            "ix_ticket_events_ticket",
            &["ticket_id"],
            false,
        ))
        .await?;
        // An escalation step happens once per ticket, level and deadline,
        // whichever instance's sweep gets there first.
        m.create_table(
            Table::create()
                .table("ticket_escalations")
                .col(bigint("ticket_id"))
                .col(bigint("level"))
                .col(string("due"))
                .col(bigint("at"))
                .primary_key(Index::create().col("ticket_id").col("level").col("due"))
                .to_owned(),
        )
        .await?;
        // A stage's (or, stage 0, the whole project's) warning against its
        // target: once per level and start.
        m.create_table(
            Table::create()
                .table("project_warnings")
                .col(bigint("project_id"))
                .col(bigint("stage"))
                .col(string("level"))
                .col(string("started_on"))
                .col(bigint("at"))
                .primary_key(
                    Index::create()
                        .col("project_id")
                        .col("stage")
                        .col("level")
                        .col("started_on"),
                )
                .to_owned(),
        )
        .await?;
        // 告知承诺制: an application approved on the applicant's commitment
        // and its follow-up verification by the department.
        m.create_table(
            Table::create()
                .table("commitments")
                .col(big_pk_auto("id"))
                .col(big_integer_uniq("case_id"))
                .col(bigint("project_id"))
                .col(bigint("department_id"))
                .col(bigint("centre_id"))
                .col(string("verify_due"))
                .col(string("state"))
                .col(text("note"))
                .col(bigint_null("verified_by"))
                .col(bigint_null("verified_at"))
                .col(bigint("created_at"))
                .to_owned(),
        )
        .await?;
        // The green channel: cases a capability marks to be worked first.
        m.create_table(
            Table::create()
                .table("case_priority")
                .col(bigint("case_id").primary_key())
                .col(string("reason"))
                .col(bigint("since"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
