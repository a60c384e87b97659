//! What is published (好差评公示, no personal data) and what staff list: per
//! department and item, the count of ratings and the share of each level
//! over a period, read from the daily rollups; each 差评 with its reasons and
//! the outcome of its rectification. Default ratings are counted apart;
//! ratings excluded on appeal and superseded by a correction are not counted.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::ratings::{Level, RatingChannel, RectifyState, Verdict};

use super::observer::BUNDLE_ITEM;
use super::{Invitation, RATING_COLS, Rating, row_rating};
use crate::{Result, Store, StoreError, get, query};

/// Which ratings: a period (inclusive), optionally one department, within
/// a centre and those below it.
#[derive(Debug, Clone)]
pub struct RatingFilter {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub centre_path: String,
    pub department_id: Option<i64>,
}

/// One department's or item's figures.
#[derive(Debug, Clone, Serialize)]
pub struct PublicRow {
    /// The department's id, or the item's 实施编码 (`bundle` for 一件事).
    pub key: String,
    pub name: String,
    pub count: i64,
    /// Ratings per level, 非常满意 (5) first.
    pub per_level: [i64; 5],
}

impl PublicRow {
    /// 好评率: (非常满意 + 满意) ÷ all, in per mille, rounded half up (none
    /// when nothing rated).
    pub fn good_per_mille(&self) -> Option<i64> {
        (self.count > 0)
            .then(|| ((self.per_level[0] + self.per_level[1]) * 1000 + self.count / 2) / self.count)
    }
}

/// One 差评 as published: no name, no comment.
#[derive(Debug, Clone, Serialize)]
pub struct PublicBad {
    pub rated_on: NaiveDate,
    pub department: String,
    pub item_name: String,
    pub level: Level,
    pub channel: RatingChannel,
    pub reasons: Vec<String>,
    /// The rectification's state (none: a default-free rating without one).
    pub outcome: Option<RectifyState>,
    pub verdict: Option<Verdict>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicRatings {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub total: PublicRow,
    pub departments: Vec<PublicRow>,
    pub items: Vec<PublicRow>,
    /// Default ratings (recorded when the applicant did not rate), apart.
    pub defaults: i64,
    /// The period's 差评, newest first (at most 200).
    pub bad: Vec<PublicBad>,
}

fn slot(level: i64) -> Option<usize> {
    (1..=5).contains(&level).then(|| (5 - level) as usize)
}

impl Store {
    /// The public figures of a period (no sign-in, no personal data).
    pub async fn public_ratings(&self, f: &RatingFilter) -> Result<PublicRatings> {
        let mut cond = String::from(
            "day >= $1 AND day <= $2 AND centre_id IN (SELECT id FROM centres WHERE path LIKE $3)",
        );
        let mut values: Vec<sea_orm::Value> = vec![
            f.from.to_string().into(),
            f.to.to_string().into(),
            format!("{}%", f.centre_path).into(),
        ];
        if let Some(d) = f.department_id {
            cond.push_str(" AND department_id = $4");
            values.push(d.into());
        }
        let rows = query(
            self.conn(),
            &format!(
                "SELECT department_id, item_code, level, is_default, CAST(SUM(n) AS BIGINT) AS n FROM rating_rollups \
                 WHERE {cond} GROUP BY department_id, item_code, level, is_default"
            ),
            values,
        )
        .await?;
        let dept_names: BTreeMap<i64, String> = self
            .departments()
            .await?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect();
        let item_names: BTreeMap<String, String> = query(
            self.conn(),
            "SELECT impl_code, name FROM item_versions WHERE status = 'published'",
            vec![],
        )
        .await?
        .iter()
        .map(|r| Ok((get(r, "impl_code")?, get(r, "name")?)))
        .collect::<Result<_>>()?;
        let blank = |key: String, name: String| PublicRow {
            key,
            name,
            count: 0,
            per_level: [0; 5],
        };
        let mut total = blank("all".into(), "全部".into());
        let mut depts: BTreeMap<i64, PublicRow> = BTreeMap::new();
        let mut items: BTreeMap<String, PublicRow> = BTreeMap::new();
        let mut defaults = 0;
        for r in &rows {
            let n: i64 = get::<Option<i64>>(r, "n")?.unwrap_or(0);
            if n == 0 {
                continue;
            }
            if get::<bool>(r, "is_default")? {
                defaults += n;
                continue;
            }
            let Some(i) = slot(get(r, "level")?) else {
                continue;
            };
            let d: i64 = get(r, "department_id")?;
            let code: String = get(r, "item_code")?;
            for row in [
                &mut total,
                depts.entry(d).or_insert_with(|| {
                    blank(
                        d.to_string(),
                        dept_names
                            .get(&d)
                            .cloned()
                            .unwrap_or_else(|| "服务中心（一件事）".into()),
                    )
                }),
                items.entry(code.clone()).or_insert_with(|| {
                    let name = if code == BUNDLE_ITEM {
                        "一件事".to_string()
                    } else {
                        item_names
                            .get(&code)
                            .cloned()
                            .unwrap_or_else(|| code.clone())
                    };
                    blank(code.clone(), name)
                }),
            ] {
                row.count += n;
                row.per_level[i] += n;
            }
        }
        let mut departments: Vec<PublicRow> = depts.into_values().collect();
        departments.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
        let mut items: Vec<PublicRow> = items.into_values().collect();
        items.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
        // The period's 差评, newest first, with their outcome.
        let mut cond = String::from(
            "g.rated_on >= $1 AND g.rated_on <= $2 AND g.centre_path LIKE $3 AND g.level <= 2 \
             AND g.excluded = $4 AND g.is_default = $4 AND g.superseded_by IS NULL",
        );
        let mut values: Vec<sea_orm::Value> = vec![
            f.from.to_string().into(),
            f.to.to_string().into(),
            format!("{}%", f.centre_path).into(),
            false.into(),
        ];
        if let Some(d) = f.department_id {
            cond.push_str(" AND g.department_id = $5");
            values.push(d.into());
        }
        let bad_rows = query(
            self.conn(),
            &format!(
                "SELECT g.rated_on, g.department_id, g.level, g.channel, g.reasons, i.item_name, r.state, r.verdict \
                 FROM ratings g JOIN rating_invitations i ON i.id = g.invitation_id \
                 LEFT JOIN rectifications r ON r.rating_id = g.id WHERE {cond} \
                 ORDER BY g.rated_on DESC, g.id DESC LIMIT 200"
            ),
            values,
        )
        .await?;
        let mut bad = Vec::with_capacity(bad_rows.len());
        for r in &bad_rows {
            let d: Option<i64> = get(r, "department_id")?;
            let level: i64 = get(r, "level")?;
            let channel: String = get(r, "channel")?;
            let reasons: Vec<String> = crate::sql::json_col(r, "reasons")?;
            let state: Option<String> = get(r, "state")?;
            let verdict: Option<String> = get(r, "verdict")?;
            bad.push(PublicBad {
                rated_on: crate::sql::date_col(r, "rated_on")?
                    .ok_or_else(|| StoreError::Corrupt("rating day".into()))?,
                department: d
                    .and_then(|d| dept_names.get(&d).cloned())
                    .unwrap_or_else(|| "服务中心".into()),
                item_name: get(r, "item_name")?,
                level: Level::of(level)
                    .ok_or_else(|| StoreError::Corrupt(format!("level {level}")))?,
                channel: RatingChannel::parse(&channel)
                    .ok_or_else(|| StoreError::Corrupt(format!("channel {channel}")))?,
                reasons,
                outcome: state.as_deref().and_then(RectifyState::parse),
                verdict: verdict.as_deref().and_then(Verdict::parse),
            });
        }
        Ok(PublicRatings {
            from: f.from,
            to: f.to,
            total,
            departments,
            items,
            defaults,
            bad,
        })
    }

    /// Every rating `actor` may read under `f`, newest first, for an
    /// export: page after page (keyset), up to [`crate::EXPORT_LIMIT`].
    pub async fn ratings_export(
        &self,
        actor: &Actor,
        f: &RatingFilter,
    ) -> Result<Vec<(Rating, Invitation)>> {
        const PAGE: i64 = 1000;
        let mut out: Vec<(Rating, Invitation)> = Vec::new();
        loop {
            let before = out.last().map(|(r, _)| r.id);
            let page = self.ratings_for(actor, f, before, PAGE).await?;
            let last = (page.len() as i64) < PAGE;
            out.extend(page);
            if last || out.len() >= crate::EXPORT_LIMIT {
                out.truncate(crate::EXPORT_LIMIT);
                return Ok(out);
            }
        }
    }

    /// The ratings `actor` may read, newest first (at most `limit`, before
    /// id `before` for the next page): a department's for its staff, the
    /// centre's (bundles) for its window staff, every one below a
    /// supervisor's centre. With the invitation each rates.
    pub async fn ratings_for(
        &self,
        actor: &Actor,
        f: &RatingFilter,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<(Rating, Invitation)>> {
        let mut cond = String::from("g.rated_on >= $1 AND g.rated_on <= $2");
        let mut values: Vec<sea_orm::Value> =
            vec![f.from.to_string().into(), f.to.to_string().into()];
        // Each further condition with its value as the next placeholder.
        let mut add = |cond: &mut String, c: &str, v: sea_orm::Value| {
            values.push(v);
            cond.push_str(&format!(" AND {c} ${}", values.len()));
        };
        match actor.role {
            Role::Reviewer | Role::Head => {
                add(
                    &mut cond,
                    "g.department_id =",
                    actor.department_id.unwrap_or(-1).into(),
                );
                add(
                    &mut cond,
                    "g.centre_path LIKE",
                    format!("{}%", actor.centre_path).into(),
                );
            }
            Role::Clerk => {
                add(
                    &mut cond,
                    "g.centre_path =",
                    actor.centre_path.clone().into(),
                );
                cond.push_str(" AND g.department_id IS NULL");
            }
            Role::Supervisor => {
                add(
                    &mut cond,
                    "g.centre_path LIKE",
                    format!("{}%", actor.centre_path).into(),
                );
                if let Some(d) = f.department_id {
                    add(&mut cond, "g.department_id =", d.into());
                }
            }
            _ => return Err(StoreError::Forbidden(Denied::Role)),
        }
        if let Some(b) = before {
            add(&mut cond, "g.id <", b.into());
        }
        let rows = query(
            self.conn(),
            &format!(
                "SELECT {}, {} FROM ratings g JOIN rating_invitations i ON i.id = g.invitation_id \
                 WHERE {cond} ORDER BY g.id DESC LIMIT {}",
                RATING_COLS
                    .trim_end_matches(" FROM ratings")
                    .split(", ")
                    .map(|c| format!("g.{c}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                super::INV_COLS
                    .trim_end_matches(" FROM rating_invitations")
                    .split(", ")
                    .map(|c| format!("i.{c} AS i_{c}", c = c.trim()))
                    .collect::<Vec<_>>()
                    .join(", "),
                limit.clamp(1, 1000)
            ),
            values,
        )
        .await?;
        rows.iter()
            .map(|r| Ok((row_rating(r)?, row_invitation_prefixed(r)?)))
            .collect()
    }
}

/// An invitation read with its columns prefixed `i_` (joined with a rating).
fn row_invitation_prefixed(r: &sea_orm::QueryResult) -> Result<Invitation> {
    let p = |c: &str| format!("i_{c}");
    Ok(Invitation {
        id: get(r, &p("id"))?,
        subject: super::Subject::parse(&get::<String>(r, &p("subject"))?)?,
        subject_id: get(r, &p("subject_id"))?,
        subject_no: get(r, &p("subject_no"))?,
        centre_id: get(r, &p("centre_id"))?,
        centre_path: get(r, &p("centre_path"))?,
        department_id: get(r, &p("department_id"))?,
        item_code: get(r, &p("item_code"))?,
        item_name: get(r, &p("item_name"))?,
        applicant_user_id: get(r, &p("applicant_user_id"))?,
        window_user_id: get(r, &p("window_user_id"))?,
        staff: crate::sql::json_col(r, &p("staff"))?,
        real_name: get(r, &p("real_name"))?,
        completed_on: crate::sql::date_col(r, &p("completed_on"))?
            .ok_or_else(|| StoreError::Corrupt("invitation without completion".into()))?,
    })
}
