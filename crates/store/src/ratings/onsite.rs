//! The window's rating tablet (现场评价): the clerk who has just handled a
//! case opens a rating page for that case alone — on the tablet, or as a QR
//! code for the applicant's phone — without anyone signing in. The page's
//! token is good for one rating, for 30 minutes, and shows no personal data.

use chrono::NaiveDate;
use serde::Serialize;
use tongban_domain::auth::Actor;
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::ratings::{self, RatingChannel, RatingInput};

use super::rate::{Given, give};
use super::{Invitation, Rating, Subject, invitation_by_id, invitation_of};
use crate::{Result, Store, StoreError, exec, get, now_ms, query_one, sm3_hex, trail};

/// How long a tablet's page stays good.
pub const ONSITE_TTL_MS: i64 = 30 * 60 * 1000;

/// What the tablet shows of the case: no personal data.
#[derive(Debug, Clone, Serialize)]
pub struct OnsiteCase {
    pub subject_no: String,
    pub item_name: String,
    pub completed_on: NaiveDate,
    pub expires_at: i64,
}

impl Store {
    /// Opens the tablet's page for a case (or bundle application) the
    /// centre has finished: a one-time token, shown as a link and QR code.
    pub async fn open_onsite_rating(
        &self,
        actor: &Actor,
        subject: Subject,
        subject_id: i64,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<(String, OnsiteCase)> {
        let inv = invitation_of(self.conn(), subject, subject_id)
            .await?
            .filter(|i| super::rate::sees(actor, i))
            .ok_or_else(|| StoreError::NotFound(format!("{} {subject_id}", subject.as_str())))?;
        actor
            .may_open_onsite_rating(&inv.centre_path)
            .map_err(StoreError::Forbidden)?;
        let rules = crate::accounts::profile_in(self.conn(), inv.centre_id)
            .await?
            .ratings;
        if let Some(e) = ratings::window_refusal(&rules, cal, Some(inv.completed_on), today) {
            return Err(StoreError::Invalid(e.into()));
        }
        if query_one(
            self.conn(),
            "SELECT id FROM ratings WHERE invitation_id = $1 AND channel = 'on_site'",
            vec![inv.id.into()],
        )
        .await?
        .is_some()
        {
            return Err(StoreError::conflict(
                "该办件已有现场评价",
                "this case already has an on-site rating",
            ));
        }
        let token = crate::accounts::random_token();
        let now = now_ms();
        let txn = self.begin().await?;
        exec(
            &txn,
            "INSERT INTO onsite_tokens (token_hash, invitation_id, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            vec![
                sm3_hex(token.as_bytes()).into(),
                inv.id.into(),
                actor.user_id.into(),
                now.into(),
                (now + ONSITE_TTL_MS).into(),
            ],
        )
        .await?;
        trail::append(
            &txn,
            Some(actor.user_id),
            "rating.onsite_open",
            &format!("{}:{}", inv.subject.as_str(), inv.subject_id),
            serde_json::json!({}),
        )
        .await?;
        txn.commit().await?;
        Ok((token, onsite_case(&inv, now + ONSITE_TTL_MS)))
    }

    /// What a tablet's token shows; not found once used, expired or unknown.
    pub async fn onsite_case(&self, token: &str) -> Result<OnsiteCase> {
        let (inv, expires) = self.onsite_invitation(token).await?;
        Ok(onsite_case(&inv, expires))
    }

    async fn onsite_invitation(&self, token: &str) -> Result<(Invitation, i64)> {
        let not_found = || StoreError::NotFound("on-site rating page".into());
        if token.len() > 100 {
            return Err(not_found());
        }
        let r = query_one(
            self.conn(),
            "SELECT invitation_id, expires_at, created_by FROM onsite_tokens WHERE token_hash = $1 \
             AND used_at IS NULL AND expires_at > $2",
            vec![sm3_hex(token.as_bytes()).into(), now_ms().into()],
        )
        .await?
        .ok_or_else(not_found)?;
        let inv = invitation_by_id(self.conn(), get(&r, "invitation_id")?).await?;
        Ok((inv, get(&r, "expires_at")?))
    }

    /// The rating given at the tablet: its token is used up in the same
    /// transaction (a second submit finds it used), the rating recorded as
    /// entered through the clerk's tablet.
    pub async fn rate_onsite(
        &self,
        token: &str,
        input: &RatingInput,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<Rating> {
        let (inv, _) = self.onsite_invitation(token).await?;
        let rules = crate::accounts::profile_in(self.conn(), inv.centre_id)
            .await?
            .ratings;
        if let Some(e) = ratings::window_refusal(&rules, cal, Some(inv.completed_on), today) {
            return Err(StoreError::Invalid(e.into()));
        }
        let checked = ratings::check(RatingChannel::OnSite, input).map_err(StoreError::Invalid)?;
        let department = self.owner_of(&inv, None).await?;
        let txn = self.begin().await?;
        let hash = sm3_hex(token.as_bytes());
        let opener: i64 = query_one(
            &txn,
            "SELECT created_by FROM onsite_tokens WHERE token_hash = $1",
            vec![hash.clone().into()],
        )
        .await?
        .map(|r| get(&r, "created_by"))
        .transpose()?
        .ok_or_else(|| StoreError::NotFound("on-site rating page".into()))?;
        let used = exec(
            &txn,
            "UPDATE onsite_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
            vec![now_ms().into(), hash.into()],
        )
        .await?;
        if used != 1 {
            return Err(StoreError::NotFound("on-site rating page".into()));
        }
        let r = give(
            &txn,
            &inv,
            &checked,
            Given {
                rater: inv.applicant_user_id,
                entered_by: Some(opener),
                department,
                sub_case_id: None,
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
            None,
            "rating.give",
            &format!("rating:{}", r.id),
            serde_json::json!({
                "subject": format!("{}:{}", inv.subject.as_str(), inv.subject_id),
                "channel": "on_site",
                "level": r.level.number(),
                "reasons": r.reasons,
                "tablet_of": opener,
            }),
        )
        .await?;
        txn.commit().await?;
        Ok(r)
    }
}

fn onsite_case(inv: &Invitation, expires_at: i64) -> OnsiteCase {
    OnsiteCase {
        subject_no: inv.subject_no.clone(),
        item_name: inv.item_name.clone(),
        completed_on: inv.completed_on,
        expires_at,
    }
}
