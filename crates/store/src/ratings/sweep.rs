//! The ratings' part of the sweep (run under the sweep's lease): yellow and
//! red warnings on the 回访 and rectification deadlines, each sent once; and
//! default ratings where the centre's profile turns them on.

use chrono::{Duration, NaiveDate};
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::ratings::{CheckedRating, Level, RatingChannel};

use super::rate::{Given, give};
use super::{INV_COLS, row_invitation};
use crate::outbox::{Notice, Recipient, StaffRole};
use crate::sql::date_col;
use crate::{Result, Store, exec, get, now_ms, query, trail};

/// What a sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RatingSweep {
    pub warnings: usize,
    pub defaults: usize,
}

impl Store {
    /// Warns of 回访 and rectification deadlines near or past (each warning
    /// once), and records default ratings where a centre's profile asks for
    /// them. Cases and centres that fail are logged and left for the next
    /// round.
    pub async fn sweep_ratings(&self, cal: &WorkCalendar, today: NaiveDate) -> Result<RatingSweep> {
        let mut done = RatingSweep::default();
        let open = query(
            self.conn(),
            "SELECT r.id, r.state, r.visit_due, r.fix_due, r.department_id, r.centre_id, r.centre_path, \
             i.item_name, i.subject_no FROM rectifications r JOIN ratings g ON g.id = r.rating_id \
             JOIN rating_invitations i ON i.id = g.invitation_id \
             WHERE r.state IN ('awaiting_visit', 'visited') \
             AND (CASE WHEN r.state = 'awaiting_visit' THEN r.visit_due ELSE r.fix_due END) <= $1 \
             AND NOT EXISTS (SELECT 1 FROM rectification_warnings w WHERE w.rectification_id = r.id \
               AND w.level = 'red' \
               AND w.deadline = (CASE WHEN r.state = 'awaiting_visit' THEN 'visit' ELSE 'fix' END)) \
             ORDER BY (CASE WHEN r.state = 'awaiting_visit' THEN r.visit_due ELSE r.fix_due END), r.id LIMIT 1000",
            // Only what is due within a fortnight (one working day ahead
            // may be that far over a long holiday) and not yet warned red:
            // a backlog never hides a newer deadline.
            vec![(today + Duration::days(14)).to_string().into()],
        )
        .await?;
        for r in &open {
            let id: i64 = get(r, "id")?;
            let state: String = get(r, "state")?;
            let (deadline, due, what) = if state == "awaiting_visit" {
                ("visit", date_col(r, "visit_due")?, "回访")
            } else {
                ("fix", date_col(r, "fix_due")?, "整改")
            };
            let Some(due) = due else { continue };
            let level = if today > due {
                "red"
            } else if cal.workdays_between(today, due).unwrap_or(i64::MAX) <= 1 {
                "yellow"
            } else {
                continue;
            };
            let txn = self.begin().await?;
            let n = exec(
                &txn,
                "INSERT INTO rectification_warnings (rectification_id, deadline, level, due, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                vec![
                    id.into(),
                    deadline.into(),
                    level.into(),
                    due.to_string().into(),
                    now_ms().into(),
                ],
            )
            .await?;
            if n == 1 {
                let about = format!(
                    "{}（{}）",
                    get::<String>(r, "item_name")?,
                    get::<String>(r, "subject_no")?
                );
                let (subject, body) = if level == "red" {
                    (
                        format!("【差评{what}已超期】{about}"),
                        format!("差评的{what}期限为{due}，已超期，请立即处理。"),
                    )
                } else {
                    (
                        format!("【差评{what}临近期限】{about}"),
                        format!("差评的{what}期限为{due}，请及时处理。"),
                    )
                };
                let dept: Option<i64> = get(r, "department_id")?;
                let centre_id: i64 = get(r, "centre_id")?;
                // The owning unit: a department's reviewers and head (who
                // visit and rectify), or the centre's window staff.
                let roles: &[StaffRole] = if dept.is_some() {
                    &[StaffRole::Reviewer, StaffRole::Head]
                } else {
                    &[StaffRole::Clerk]
                };
                let mut notices: Vec<Notice> = roles
                    .iter()
                    .map(|role| Notice {
                        to: Recipient::Staff {
                            role: *role,
                            department_id: dept,
                            centre_id,
                        },
                        case_id: None,
                        bundle_case_id: None,
                        subject: subject.clone(),
                        body: body.clone(),
                    })
                    .collect();
                if level == "red" {
                    // 电子监察: the supervisors of the centre and above.
                    notices.push(Notice {
                        to: Recipient::Supervisors {
                            centre_path: get(r, "centre_path")?,
                        },
                        case_id: None,
                        bundle_case_id: None,
                        subject,
                        body,
                    });
                }
                crate::outbox::write(&txn, &notices).await?;
                done.warnings += 1;
            }
            txn.commit().await?;
        }
        // Default ratings, centre by centre, where the profile turns them on.
        for p in query(self.conn(), "SELECT centre_id FROM centre_profiles", vec![]).await? {
            let centre_id: i64 = get(&p, "centre_id")?;
            let rules = crate::accounts::profile_in(self.conn(), centre_id)
                .await?
                .ratings;
            let Some(d) = rules.default_rating else {
                continue;
            };
            let (Some(level), Some(since)) = (Level::of(d.level), d.since_ms) else {
                continue;
            };
            // At least as many calendar days as working days have passed.
            let latest = today - Duration::days(i64::from(d.after_days.get()));
            let due = query(
                self.conn(),
                &format!(
                    "SELECT {INV_COLS} WHERE centre_id = $1 AND completed_on <= $2 AND created_at >= $3 AND NOT EXISTS \
                     (SELECT 1 FROM ratings g WHERE g.invitation_id = rating_invitations.id) ORDER BY id LIMIT 500"
                ),
                vec![centre_id.into(), latest.to_string().into(), since.into()],
            )
            .await?;
            for r in &due {
                let inv = row_invitation(r)?;
                match cal.add_workdays(inv.completed_on, d.after_days.get()) {
                    Ok(day) if day < today => {}
                    _ => continue,
                }
                let checked = CheckedRating {
                    channel: RatingChannel::Online,
                    level,
                    indicators: RatingChannel::Online
                        .indicators()
                        .iter()
                        .map(|i| (i.key.to_string(), level))
                        .collect(),
                    reasons: vec![],
                    comment: String::new(),
                };
                let txn = self.begin().await?;
                match give(
                    &txn,
                    &inv,
                    &checked,
                    Given {
                        rater: None,
                        entered_by: None,
                        department: inv.department_id,
                        sub_case_id: None,
                        is_default: true,
                        corrects: None,
                    },
                    &rules,
                    cal,
                    today,
                )
                .await
                {
                    Ok(g) => {
                        trail::append(
                            &txn,
                            None,
                            "rating.default",
                            &format!("rating:{}", g.id),
                            serde_json::json!({"level": level.number(), "after_days": d.after_days.get()}),
                        )
                        .await?;
                        txn.commit().await?;
                        done.defaults += 1;
                    }
                    // Rated meanwhile: nothing to default.
                    Err(crate::StoreError::Conflict { .. }) => {}
                    Err(e) => {
                        tracing::warn!(invitation = inv.id, "default rating not recorded: {e}")
                    }
                }
            }
        }
        Ok(done)
    }
}
