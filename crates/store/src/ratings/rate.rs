//! Giving a rating (online by the applicant, on the hotline entered by
//! staff), once per channel; correcting one (a new, linked row); and the
//! rectification a 差评 opens.

use chrono::NaiveDate;
use serde::Deserialize;
use tongban_domain::FieldError;
use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::ratings::{
    self, CheckedRating, REASONS_VERSION, RatingChannel, RatingInput, RatingRules,
};

use super::{Invitation, RATING_COLS, Rating, Subject, count_in_rollup, invitation_of, row_rating};
use crate::outbox::{Notice, Recipient, StaffRole};
use crate::sql::to_json;
use crate::{Result, Store, StoreError, WriteTxn, exec, get, now_ms, query_one, trail};

/// A rating as given.
#[derive(Debug, Clone, Deserialize)]
pub struct NewRating {
    pub channel: RatingChannel,
    #[serde(flatten)]
    pub input: RatingInput,
    /// For a bundle application: the service the rating is about (its
    /// department owns a 差评's rectification); none: the centre does.
    #[serde(default)]
    pub sub_case_id: Option<i64>,
}

/// Who may see an invitation at all (otherwise: not found).
pub(super) fn sees(actor: &Actor, inv: &Invitation) -> bool {
    match actor.role {
        Role::Applicant => inv.applicant_user_id == Some(actor.user_id),
        Role::Clerk | Role::Supervisor => inv.centre_path.starts_with(&actor.centre_path),
        Role::Reviewer | Role::Head => {
            inv.centre_path.starts_with(&actor.centre_path)
                && inv.department_id.is_some()
                && inv.department_id == actor.department_id
        }
        _ => false,
    }
}

fn invalid(e: FieldError) -> StoreError {
    StoreError::Invalid(e.into())
}

impl Store {
    /// What `actor` may rate, or has rated, of `subject`: the invitation
    /// with its ratings so far (not found when it is not theirs to see).
    pub async fn rating_subject(
        &self,
        actor: &Actor,
        subject: Subject,
        subject_id: i64,
    ) -> Result<(Invitation, Vec<Rating>)> {
        let not_found = || StoreError::NotFound(format!("{} {subject_id}", subject.as_str()));
        let inv = invitation_of(self.conn(), subject, subject_id)
            .await?
            .ok_or_else(not_found)?;
        // A concierge holding the enterprise's authorization for the item
        // sees what they may rate for it.
        let agent = actor.role == Role::Concierge
            && matches!(
                crate::accounts::mandates::agent_in(
                    self.conn(),
                    actor,
                    inv.applicant_user_id,
                    &inv.item_code,
                    crate::shanghai_today(),
                )
                .await?,
                Ok(Some(_))
            );
        if !sees(actor, &inv) && !agent {
            return Err(not_found());
        }
        let ratings = crate::query(
            self.conn(),
            &format!(
                "SELECT (SELECT x.id FROM rectifications x WHERE x.rating_id = ratings.id) \
                 AS rectification_id, {RATING_COLS} WHERE invitation_id = $1 ORDER BY id"
            ),
            vec![inv.id.into()],
        )
        .await?
        .iter()
        .map(row_rating)
        .collect::<Result<Vec<_>>>()?;
        Ok((inv, ratings))
    }

    /// The last day `inv` may be rated, on the centre's window.
    pub async fn last_rating_day(
        &self,
        inv: &Invitation,
        cal: &WorkCalendar,
    ) -> Result<Option<NaiveDate>> {
        let rules = crate::accounts::profile_in(self.conn(), inv.centre_id)
            .await?
            .ratings;
        Ok(rules.last_rating_day(cal, inv.completed_on).ok())
    }

    /// Rates a completed case or bundle application: online by its
    /// applicant, or on the hotline entered by the centre's staff on the
    /// applicant's word. One rating per channel (a second, even at the same
    /// moment, is refused); within the centre's window; a 差评 with reasons
    /// from the published list, and it opens a rectification.
    pub async fn rate(
        &self,
        actor: &Actor,
        subject: Subject,
        subject_id: i64,
        new: &NewRating,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<Rating> {
        let not_found = || StoreError::NotFound(format!("{} {subject_id}", subject.as_str()));
        // A concierge rates online for the enterprise under its
        // authorization for the item (the rating is the enterprise's, entered
        // by the concierge); without any authorization of it, nothing exists.
        let mut agent = false;
        let inv = match invitation_of(self.conn(), subject, subject_id).await? {
            Some(i) if sees(actor, &i) => i,
            Some(i) if actor.role == Role::Concierge && new.channel == RatingChannel::Online => {
                match crate::accounts::mandates::agent_in(
                    self.conn(),
                    actor,
                    i.applicant_user_id,
                    &i.item_code,
                    today,
                )
                .await?
                {
                    Ok(Some(_)) => {
                        agent = true;
                        i
                    }
                    Ok(None) | Err(tongban_domain::enterprise::MandateRefusal::None) => {
                        return Err(not_found());
                    }
                    Err(why) => return Err(crate::accounts::mandates::refused(why)),
                }
            }
            Some(_) => return Err(not_found()),
            None => return Err(self.not_yet_rated(actor, subject, subject_id).await),
        };
        let (rater, entered_by) = match new.channel {
            RatingChannel::Online if agent => (inv.applicant_user_id, Some(actor.user_id)),
            RatingChannel::Online => {
                if actor.role != Role::Applicant {
                    return Err(StoreError::Forbidden(Denied::Role));
                }
                (Some(actor.user_id), None)
            }
            RatingChannel::Hotline => {
                actor
                    .may_enter_hotline_rating(&inv.centre_path)
                    .map_err(StoreError::Forbidden)?;
                // Nobody enters the rating of their own work.
                if inv.window_user_id == Some(actor.user_id) || inv.staff.contains(&actor.user_id) {
                    return Err(invalid(FieldError::new(
                        "channel",
                        "own_work",
                        "您参与办理了该办件，不能代录它的评价，请由其他工作人员录入",
                        "you took part in handling this case: another member of staff enters its rating",
                    )));
                }
                (inv.applicant_user_id, Some(actor.user_id))
            }
            // The window's tablet rates through its own token.
            RatingChannel::OnSite => {
                return Err(invalid(FieldError::new(
                    "channel",
                    "on_site_by_tablet",
                    "现场评价请在窗口的评价器（或其二维码页面）上作出",
                    "on-site ratings are given on the window's tablet (or its QR code page)",
                )));
            }
        };
        let rules = crate::accounts::profile_in(self.conn(), inv.centre_id)
            .await?
            .ratings;
        if let Some(e) = ratings::window_refusal(&rules, cal, Some(inv.completed_on), today) {
            return Err(invalid(e));
        }
        let checked = ratings::check(new.channel, &new.input).map_err(StoreError::Invalid)?;
        let department = self.owner_of(&inv, new.sub_case_id).await?;
        let txn = self.begin().await?;
        let r = give(
            &txn,
            &inv,
            &checked,
            Given {
                rater,
                entered_by,
                department,
                sub_case_id: new.sub_case_id,
                is_default: false,
                corrects: None,
            },
            &rules,
            cal,
            today,
        )
        .await?;
        trail::append(
            &txn,
            Some(actor.user_id),
            "rating.give",
            &format!("rating:{}", r.id),
            serde_json::json!({
                "subject": format!("{}:{}", inv.subject.as_str(), inv.subject_id),
                "channel": r.channel.as_str(),
                "level": r.level.number(),
                "reasons": r.reasons,
            }),
        )
        .await?;
        txn.commit().await?;
        Ok(r)
    }

    /// Why there is nothing to rate: a case (or bundle) the actor sees that
    /// has not ended yet; otherwise, to them, nothing at all.
    pub(super) async fn not_yet_rated(
        &self,
        actor: &Actor,
        subject: Subject,
        subject_id: i64,
    ) -> StoreError {
        let not_found = || StoreError::NotFound(format!("{} {subject_id}", subject.as_str()));
        let sql = match subject {
            Subject::Case => "SELECT id, bundle_case_id FROM cases WHERE id = $1",
            Subject::Bundle => {
                "SELECT id, bundle_case_id FROM cases WHERE bundle_case_id = $1 ORDER BY id LIMIT 1"
            }
        };
        let Ok(Some(r)) = query_one(self.conn(), sql, vec![subject_id.into()]).await else {
            return not_found();
        };
        let (Ok(case_id), Ok(bundle)) = (
            get::<i64>(&r, "id"),
            get::<Option<i64>>(&r, "bundle_case_id"),
        ) else {
            return not_found();
        };
        match self.case_for(actor, case_id).await {
            // A bundle's service is rated with its bundle, as one.
            Ok(_) if subject == Subject::Case && bundle.is_some() => invalid(FieldError::new(
                "case",
                "rated_as_bundle",
                "该事项属于一次申请的“一件事”，请在“一件事”办结后对整件事评价",
                "this service is part of a life-event application: rate the application as one once it is complete",
            )),
            Ok(_) => invalid(FieldError::new(
                "case",
                "not_completed",
                "办件办结后才能评价",
                "a case can be rated once it is completed",
            )),
            Err(_) => not_found(),
        }
    }

    /// Who owns a rating's 差评: the case's department; for a bundle, the
    /// department of the service it names (checked to be one of its own),
    /// or the centre.
    pub(super) async fn owner_of(
        &self,
        inv: &Invitation,
        sub_case_id: Option<i64>,
    ) -> Result<Option<i64>> {
        match (inv.subject, sub_case_id) {
            (Subject::Case, None) => Ok(inv.department_id),
            (Subject::Case, Some(_)) => Err(invalid(FieldError::new(
                "sub_case_id",
                "not_bundle",
                "只有“一件事”的评价可以指明其中的事项",
                "only a bundle's rating names one of its services",
            ))),
            (Subject::Bundle, None) => Ok(None),
            (Subject::Bundle, Some(c)) => {
                let r = query_one(
                    self.conn(),
                    "SELECT lead_department_id FROM cases WHERE id = $1 AND bundle_case_id = $2",
                    vec![c.into(), inv.subject_id.into()],
                )
                .await?
                .ok_or_else(|| {
                    invalid(FieldError::new(
                        "sub_case_id",
                        "unknown",
                        "该事项不属于这件“一件事”",
                        "that service is not part of this bundle application",
                    ))
                })?;
                Ok(Some(get(&r, "lead_department_id")?))
            }
        }
    }

    /// Corrects a rating: a new record linked to the one it corrects, which
    /// stays in the history, marked superseded. Only by whoever gave it
    /// (the applicant, or the staff member who entered it), within the
    /// window, and not once its 差评 is in rectification (an appeal is the
    /// way then).
    pub async fn correct_rating(
        &self,
        actor: &Actor,
        rating_id: i64,
        input: &RatingInput,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<Rating> {
        let old = query_one(
            self.conn(),
            &format!("SELECT {RATING_COLS} WHERE id = $1"),
            vec![rating_id.into()],
        )
        .await?
        .map(|r| row_rating(&r))
        .transpose()?
        .ok_or_else(|| StoreError::NotFound(format!("rating {rating_id}")))?;
        let inv = super::invitation_by_id(self.conn(), old.invitation_id).await?;
        if !sees(actor, &inv) {
            return Err(StoreError::NotFound(format!("rating {rating_id}")));
        }
        // The applicant corrects what they gave online; the staff member
        // what they entered on the hotline. What was given at the window's
        // tablet is the applicant's own and nobody corrects it.
        let own = match old.channel {
            RatingChannel::Online => {
                actor.role == Role::Applicant && inv.applicant_user_id == Some(actor.user_id)
            }
            RatingChannel::Hotline => old.entered_by == Some(actor.user_id),
            RatingChannel::OnSite => false,
        };
        if !own || old.is_default {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        if old.superseded_by.is_some() {
            return Err(StoreError::conflict(
                "该评价已被更正，请更正最新的一条",
                "this rating was already corrected; correct the latest one",
            ));
        }
        let rules = crate::accounts::profile_in(self.conn(), inv.centre_id)
            .await?
            .ratings;
        if let Some(e) = ratings::window_refusal(&rules, cal, Some(inv.completed_on), today) {
            return Err(invalid(e));
        }
        let checked = ratings::check(old.channel, input).map_err(StoreError::Invalid)?;
        let txn = self.begin().await?;
        if query_one(
            &txn,
            "SELECT id FROM rectifications WHERE rating_id = $1",
            vec![rating_id.into()],
        )
        .await?
        .is_some()
        {
            return Err(StoreError::conflict(
                "该差评已进入整改流程，不能更正；如有误评，请由承办单位申诉复核",
                "this poor rating is being rectified and cannot be corrected; the unit may appeal it",
            ));
        }
        let new = give(
            &txn,
            &inv,
            &checked,
            Given {
                rater: if old.entered_by.is_some() {
                    inv.applicant_user_id
                } else {
                    Some(actor.user_id)
                },
                entered_by: old.entered_by,
                department: old.department_id,
                sub_case_id: old.sub_case_id,
                is_default: false,
                corrects: Some(&old),
            },
            &rules,
            cal,
            today,
        )
        .await?;
        trail::append(
            &txn,
            Some(actor.user_id),
            "rating.correct",
            &format!("rating:{}", new.id),
            serde_json::json!({"corrects": old.id, "level": new.level.number()}),
        )
        .await?;
        txn.commit().await?;
        Ok(new)
    }
}

/// Who gives a rating and how it stands.
pub(super) struct Given<'a> {
    pub rater: Option<i64>,
    pub entered_by: Option<i64>,
    pub department: Option<i64>,
    pub sub_case_id: Option<i64>,
    pub is_default: bool,
    /// The rating this one corrects (it is marked superseded).
    pub corrects: Option<&'a Rating>,
}

/// Writes one checked rating in `txn`: refused when the channel already has
/// one (unless it corrects it); counted in the day's rollup; a 差评 opens
/// its rectification and tells its owner.
#[allow(clippy::too_many_arguments)]
pub(super) async fn give(
    txn: &WriteTxn,
    inv: &Invitation,
    checked: &CheckedRating,
    g: Given<'_>,
    rules: &RatingRules,
    cal: &WorkCalendar,
    today: NaiveDate,
) -> Result<Rating> {
    let revision = g.corrects.map(|o| o.revision + 1).unwrap_or(0);
    let indicators: std::collections::BTreeMap<String, i64> = checked
        .indicators
        .iter()
        .map(|(k, v)| (k.clone(), v.number()))
        .collect();
    let reasons: Vec<&str> = checked.reasons.iter().map(|r| r.code).collect();
    // One per channel (and revision): a second at the same moment meets the
    // unique index and inserts nothing.
    let row = query_one(
        txn,
        "INSERT INTO ratings (invitation_id, channel, revision, corrects_id, centre_id, centre_path, department_id, \
         sub_case_id, item_code, level, indicators, reasons, reasons_version, comment, rater_user_id, entered_by, \
         is_default, excluded, rated_on, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) \
         ON CONFLICT (invitation_id, channel, revision) DO NOTHING RETURNING id",
        vec![
            inv.id.into(),
            checked.channel.as_str().into(),
            revision.into(),
            g.corrects.map(|o| o.id).into(),
            inv.centre_id.into(),
            inv.centre_path.clone().into(),
            g.department.into(),
            g.sub_case_id.into(),
            inv.item_code.clone().into(),
            checked.level.number().into(),
            to_json(&indicators).into(),
            to_json(&reasons).into(),
            REASONS_VERSION.into(),
            checked.comment.clone().into(),
            g.rater.into(),
            g.entered_by.into(),
            g.is_default.into(),
            false.into(),
            today.to_string().into(),
            now_ms().into(),
        ],
    )
    .await?;
    let Some(row) = row else {
        return Err(if g.corrects.is_some() {
            StoreError::conflict(
                "该评价已被同时更正，请刷新",
                "the rating was corrected meanwhile; reload",
            )
        } else {
            StoreError::conflict(
                format!(
                    "该办件已有{}，一次一评，每个渠道只能评价一次（已有的评价见本页“已有评价”）",
                    checked.channel.zh()
                ),
                format!(
                    "already rated {}: one rating per channel (see the ratings given on this page)",
                    checked.channel.en().to_lowercase()
                ),
            )
        });
    };
    let id: i64 = get(&row, "id")?;
    if let Some(old) = g.corrects {
        let n = exec(
            txn,
            "UPDATE ratings SET superseded_by = $1 WHERE id = $2 AND superseded_by IS NULL",
            vec![id.into(), old.id.into()],
        )
        .await?;
        if n != 1 {
            return Err(StoreError::conflict(
                "该评价已被同时更正，请刷新",
                "the rating was corrected meanwhile; reload",
            ));
        }
        if !old.excluded {
            count_in_rollup(txn, old, -1).await?;
        }
    }
    let r = query_one(
        txn,
        &format!("SELECT {RATING_COLS} WHERE id = $1"),
        vec![id.into()],
    )
    .await?
    .map(|r| row_rating(&r))
    .transpose()?
    .ok_or_else(|| StoreError::Corrupt(format!("rating {id} not read back")))?;
    count_in_rollup(txn, &r, 1).await?;
    if checked.is_bad() && !g.is_default {
        open_rectification(txn, inv, &r, rules, cal, today).await?;
    }
    Ok(r)
}

/// Every 差评 opens a rectification owned by the unit that handled the case
/// (谁办理谁负责): 回访 within 1 working day, rectification within the
/// centre's limit; the owner is told.
async fn open_rectification(
    txn: &WriteTxn,
    inv: &Invitation,
    r: &Rating,
    rules: &RatingRules,
    cal: &WorkCalendar,
    today: NaiveDate,
) -> Result<()> {
    let due = ratings::rectify_due(rules, cal, today).map_err(|e| {
        invalid(FieldError::new(
            "calendar",
            "missing_year",
            e.zh(),
            e.to_string(),
        ))
    })?;
    let now = now_ms();
    exec(
        txn,
        "INSERT INTO rectifications (rating_id, centre_id, centre_path, department_id, state, visit_due, fix_due, \
         visit_method, visit_note, cause, measures, sent_back_reason, verdict, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, 'awaiting_visit', $5, $6, '', '', '', '', '', '', $7, $7, 1)",
        vec![
            r.id.into(),
            inv.centre_id.into(),
            inv.centre_path.clone().into(),
            r.department_id.into(),
            due.visit_due.to_string().into(),
            due.fix_due.to_string().into(),
            now.into(),
        ],
    )
    .await?;
    let reasons: Vec<&str> = r
        .reasons
        .iter()
        .filter_map(|c| ratings::reason(c).map(|x| x.zh))
        .collect();
    let subject = format!("【差评】{}（{}）", inv.item_name, inv.subject_no);
    let body = format!(
        "收到一条{}（{}，原因：{}）。请于{}前回访申请人，于{}前完成整改并提交核验。",
        r.level.zh(),
        r.channel.zh(),
        reasons.join("、"),
        due.visit_due,
        due.fix_due
    );
    let mut notices = Vec::new();
    match r.department_id {
        Some(d) => {
            for role in [StaffRole::Reviewer, StaffRole::Head] {
                notices.push(Notice {
                    to: Recipient::Staff {
                        role,
                        department_id: Some(d),
                        centre_id: inv.centre_id,
                    },
                    case_id: (inv.subject == Subject::Case).then_some(inv.subject_id),
                    bundle_case_id: (inv.subject == Subject::Bundle).then_some(inv.subject_id),
                    subject: subject.clone(),
                    body: body.clone(),
                });
            }
        }
        None => notices.push(Notice {
            to: Recipient::Staff {
                role: StaffRole::Clerk,
                department_id: None,
                centre_id: inv.centre_id,
            },
            case_id: None,
            bundle_case_id: (inv.subject == Subject::Bundle).then_some(inv.subject_id),
            subject,
            body,
        }),
    }
    crate::outbox::write(txn, &notices).await?;
    Ok(())
}
