//! Site visits (定期走访) by the project's concierge.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tongban_domain::FieldError;
use tongban_domain::auth::{Actor, Denied, Role};

use super::projects::{day, text};
use crate::sql::date_col;
use crate::{Result, Store, StoreError, get, insert_id, now_ms, query, trail};

#[derive(Debug, Clone, Serialize)]
pub struct Visit {
    pub id: i64,
    pub visited_on: NaiveDate,
    pub visitor_name: String,
    pub participants: String,
    pub topics: String,
    pub problems: String,
    pub follow_ups: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewVisit {
    pub visited_on: String,
    pub participants: String,
    pub topics: String,
    #[serde(default)]
    pub problems: String,
    #[serde(default)]
    pub follow_ups: String,
}

impl Store {
    /// The project's concierge records a site visit (定期走访).
    pub async fn record_visit(&self, actor: &Actor, id: i64, v: &NewVisit) -> Result<Visit> {
        let p = self.project(actor, id).await?;
        if actor.role != Role::Concierge || p.concierge_user_id != Some(actor.user_id) {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        let mut errs = tongban_domain::FieldErrors::default();
        let on = day("visited_on", "走访日期", &v.visited_on, &mut errs);
        if on.is_some_and(|d| d > crate::shanghai_today()) {
            errs.push(FieldError::new(
                "visited_on",
                "future",
                "走访日期不能晚于今天",
                "visited_on is after today",
            ));
        }
        text("participants", "参加人员", &v.participants, 500, &mut errs);
        text("topics", "走访内容", &v.topics, 4000, &mut errs);
        for (f, l, t) in [
            ("problems", "发现问题", &v.problems),
            ("follow_ups", "跟进事项", &v.follow_ups),
        ] {
            if let Some(e) = tongban_domain::text::check_text(f, l, f, t, 4000, true) {
                errs.push(e);
            }
        }
        errs.into_result().map_err(StoreError::Invalid)?;
        let on = on.ok_or_else(|| StoreError::Corrupt("visit date".into()))?;
        let txn = self.begin().await?;
        let vid = insert_id(
            &txn,
            "INSERT INTO site_visits (project_id, visited_on, visitor_user_id, participants, topics, problems, follow_ups, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            vec![id.into(), on.to_string().into(), actor.user_id.into(), v.participants.trim().into(), v.topics.trim().into(),
                v.problems.trim().into(), v.follow_ups.trim().into(), now_ms().into()],
        )
        .await?;
        trail::append(
            &txn,
            Some(actor.user_id),
            "project.visit",
            &format!("project:{id}"),
            serde_json::json!({"visit": vid}),
        )
        .await?;
        txn.commit().await?;
        self.visits_of(id)
            .await?
            .into_iter()
            .find(|x| x.id == vid)
            .ok_or_else(|| StoreError::NotFound(format!("visit {vid}")))
    }

    pub(super) async fn visits_of(&self, project_id: i64) -> Result<Vec<Visit>> {
        let rows = query(
            self.conn(),
            "SELECT v.id, v.visited_on, u.display_name, v.participants, v.topics, v.problems, v.follow_ups \
             FROM site_visits v JOIN users u ON u.id = v.visitor_user_id WHERE v.project_id = $1 ORDER BY v.visited_on DESC, v.id DESC",
            vec![project_id.into()],
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Visit {
                    id: get(r, "id")?,
                    visited_on: date_col(r, "visited_on")?
                        .ok_or_else(|| StoreError::Corrupt("visit date".into()))?,
                    visitor_name: get(r, "display_name")?,
                    participants: get(r, "participants")?,
                    topics: get(r, "topics")?,
                    problems: get(r, "problems")?,
                    follow_ups: get(r, "follow_ups")?,
                })
            })
            .collect()
    }
}
