//! Migration 017 (好差评 and experience officers, SPEC §8.1): centre
//! profiles, rating invitations (a completed case or bundle application
//! that may be rated), ratings and their daily rollups, rectifications with
//! their files, appeals and warnings, on-site rating tokens, and the
//! experience officers' walk-throughs and findings.

use sea_orm_migration::prelude::*;

use super::*;

pub(super) struct M017Ratings;

impl MigrationName for M017Ratings {
    fn name(&self) -> &str {
        "m017_ratings"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M017Ratings {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // A centre's own rules (rating window, rectification limit, defaults).
        m.create_table(
            Table::create()
                .table("centre_profiles")
                .col(big_pk_auto("id"))
                .col(big_integer_uniq("centre_id"))
                .col(text("doc"))
                .col(bigint("updated_at"))
                .col(bigint_null("updated_by"))
                .to_owned(),
        )
        .await?;
        // What may be rated, fixed when it completes: who handled it and where.
        m.create_table(
            Table::create()
                .table("rating_invitations")
                .col(big_pk_auto("id"))
                .col(string("subject"))
                .col(bigint("subject_id"))
                .col(string("subject_no"))
                .col(bigint("centre_id"))
                .col(string("centre_path"))
                .col(bigint_null("department_id"))
                .col(string("item_code"))
                .col(string("item_name"))
                .col(bigint_null("applicant_user_id"))
                .col(bigint_null("window_user_id"))
                .col(text("staff"))
                .col(boolean("real_name"))
                .col(string("completed_on"))
                .col(bigint("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "rating_invitations",
            "ux_rating_invitations_subject",
            &["subject", "subject_id"],
            true,
        ))
        .await?;
        m.create_index(index(
            "rating_invitations",
            "ix_rating_invitations_applicant",
            &["applicant_user_id"],
            false,
        ))
        .await?;
        // A rating is never changed or deleted: a correction is a new row
        // (revision + 1) linked to the one it corrects, which is marked
        // superseded; an upheld appeal marks it excluded.
        m.create_table(
            Table::create()
                .table("ratings")
                .col(big_pk_auto("id"))
                .col(bigint("invitation_id"))
                .col(string("channel"))
                .col(bigint("revision"))
                .col(bigint_null("corrects_id"))
                .col(bigint_null("superseded_by"))
                .col(bigint("centre_id"))
                .col(string("centre_path"))
                .col(bigint_null("department_id"))
                .col(bigint_null("sub_case_id"))
                .col(string("item_code"))
                .col(bigint("level"))
                .col(text("indicators"))
                .col(text("reasons"))
                .col(string("reasons_version"))
                .col(text("comment"))
                .col(bigint_null("rater_user_id"))
                .col(bigint_null("entered_by"))
                .col(boolean("is_default"))
                .col(boolean("excluded"))
                .col(string("rated_on"))
                .col(bigint("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ratings",
            "ux_ratings_once",
            &["invitation_id", "channel", "revision"],
            true,
        ))
        .await?;
        m.create_index(index(
            "ratings",
            "ix_ratings_department_day",
            &["department_id", "rated_on"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ratings",
            "ix_ratings_centre_day",
            &["centre_id", "rated_on"],
            false,
        ))
        .await?;
        m.create_index(index("ratings", "ix_ratings_day", &["rated_on"], false))
            .await?;
        // Counts by day, kept in each rating's transaction (the public page
        // and the indicators read these, never the million rows).
        m.create_table(
            Table::create()
                .table("rating_rollups")
                .col(bigint("centre_id"))
                .col(bigint("department_id"))
                .col(string("item_code"))
                .col(string("day"))
                .col(string("channel"))
                .col(boolean("is_default"))
                .col(bigint("level"))
                .col(bigint("n"))
                .primary_key(
                    Index::create()
                        .col("centre_id")
                        .col("department_id")
                        .col("item_code")
                        .col("day")
                        .col("channel")
                        .col("is_default")
                        .col("level"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "rating_rollups",
            "ix_rating_rollups_day",
            &["centre_id", "day"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("rectifications")
                .col(big_pk_auto("id"))
                .col(big_integer_uniq("rating_id"))
                .col(bigint("centre_id"))
                .col(string("centre_path"))
                .col(bigint_null("department_id"))
                .col(string("state"))
                .col(string("visit_due"))
                .col(string("fix_due"))
                .col(bigint_null("visited_at"))
                .col(bigint_null("visited_by"))
                .col(string("visit_method"))
                .col(text("visit_note"))
                .col(text("cause"))
                .col(text("measures"))
                .col(bigint_null("rectified_at"))
                .col(bigint_null("rectified_by"))
                .col(bigint_null("verified_at"))
                .col(bigint_null("verified_by"))
                .col(text("sent_back_reason"))
                .col(string("verdict"))
                .col(bigint_null("verdict_at"))
                .col(bigint("created_at"))
                .col(bigint("updated_at"))
                .col(bigint("version"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "rectifications",
            "ix_rectifications_owner",
            &["department_id", "state"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("rectification_files")
                .col(big_pk_auto("id"))
                .col(bigint("rectification_id"))
                .col(string("kind"))
                .col(string("file_name"))
                .col(string("content_type"))
                .col(bigint("size"))
                .col(string("object_key"))
                .col(string("digest"))
                .col(bigint("uploaded_by"))
                .col(bigint("uploaded_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "rectification_files",
            "ix_rectification_files",
            &["rectification_id"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("rating_appeals")
                .col(big_pk_auto("id"))
                .col(bigint("rating_id"))
                .col(bigint("rectification_id"))
                .col(string("ground"))
                .col(text("statement"))
                .col(string("state"))
                .col(bigint("filed_by"))
                .col(bigint("filed_at"))
                .col(bigint_null("decided_by"))
                .col(bigint_null("decided_at"))
                .col(text("decision_reason"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "rating_appeals",
            "ix_rating_appeals_rating",
            &["rating_id"],
            false,
        ))
        .await?;
        // A warning is sent at most once per (rectification, deadline, level).
        m.create_table(
            Table::create()
                .table("rectification_warnings")
                .col(bigint("rectification_id"))
                .col(string("deadline"))
                .col(string("level"))
                .col(string("due"))
                .col(bigint("created_at"))
                .primary_key(
                    Index::create()
                        .col("rectification_id")
                        .col("deadline")
                        .col("level")
                        .col("due"),
                )
                .to_owned(),
        )
        .await?;
        // The window's tablet: one case, one use, a short life.
        m.create_table(
            Table::create()
                .table("onsite_tokens")
                .col(string("token_hash").primary_key())
                .col(bigint("invitation_id"))
                .col(bigint("created_by"))
                .col(bigint("created_at"))
                .col(bigint("expires_at"))
                .col(bigint_null("used_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("walkthroughs")
                .col(big_pk_auto("id"))
                .col(bigint("officer_id"))
                .col(bigint("centre_id"))
                .col(string("centre_path"))
                .col(string("subject_kind"))
                .col(string("subject_code"))
                .col(string("subject_name"))
                .col(bigint_null("department_id"))
                .col(text("steps"))
                .col(bigint("minutes"))
                .col(string("walked_on"))
                .col(bigint("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("officer_findings")
                .col(big_pk_auto("id"))
                .col(bigint("walkthrough_id"))
                .col(bigint("centre_id"))
                .col(string("centre_path"))
                .col(bigint_null("department_id"))
                .col(string("subject_code"))
                .col(string("category"))
                .col(string("severity"))
                .col(string("step"))
                .col(text("description"))
                .col(string("state"))
                .col(string("due"))
                .col(text("fixed_note"))
                .col(bigint_null("fixed_by"))
                .col(bigint_null("fixed_at"))
                .col(bigint_null("verified_by"))
                .col(bigint_null("verified_at"))
                .col(text("sent_back_reason"))
                .col(bigint("created_at"))
                .col(bigint("version"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "officer_findings",
            "ix_officer_findings_owner",
            &["department_id", "state"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("finding_files")
                .col(big_pk_auto("id"))
                .col(bigint("finding_id"))
                .col(string("file_name"))
                .col(string("content_type"))
                .col(bigint("size"))
                .col(string("object_key"))
                .col(string("digest"))
                .col(bigint("uploaded_by"))
                .col(bigint("uploaded_at"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
