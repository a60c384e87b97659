//! 好差评 (SPEC §8.1): a completed case — or a bundle application, rated as
//! one — becomes a rating invitation (an observer, in the step's
//! transaction); the applicant rates it online, at the window's tablet or on
//! the hotline, once per channel; a 差评 opens a rectification owned by the
//! unit that handled it, with a 回访 and a rectification deadline on the
//! working-day calendar, verified by a supervisor and judged by the
//! applicant; the owner may appeal it. Nothing deletes or edits a rating: a
//! correction is a new row linked to the one it corrects, an upheld appeal
//! marks it excluded. Counts by day (`rating_rollups`) are kept in each
//! change's transaction for the public page and the indicators.
//!
//! Files: `observer.rs` (invitations), `rate.rs` (rating, corrections),
//! `rectify.rs` (回访, rectification, verification, verdict, appeals),
//! `onsite.rs` (the window's tablet), `public.rs` (the public page and the
//! staff lists), `sweep.rs` (warnings, default ratings).

mod figures;
mod observer;
mod onsite;
mod public;
mod rate;
mod rectify;
mod seed;
mod sweep;

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, QueryResult};
use serde::Serialize;
use tongban_domain::ratings::{Level, RatingChannel, RectifyState};

use crate::sql::{date_col, get, json_col};
use crate::{Result, StoreError};

pub use observer::RatingInvitations;
pub use onsite::OnsiteCase;
pub use public::{PublicBad, PublicRatings, PublicRow, RatingFilter};
pub use rate::NewRating;
pub use rectify::{AppealView, RectificationView, RectifyAction};
pub use sweep::RatingSweep;

/// What may be rated: a completed case, or a bundle application as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    Case,
    Bundle,
}

impl Subject {
    pub fn as_str(self) -> &'static str {
        match self {
            Subject::Case => "case",
            Subject::Bundle => "bundle",
        }
    }
    fn parse(s: &str) -> Result<Self> {
        match s {
            "case" => Ok(Subject::Case),
            "bundle" => Ok(Subject::Bundle),
            other => Err(StoreError::Corrupt(format!("rating subject {other}"))),
        }
    }
}

/// A completed case or bundle application that may be rated, with who
/// handled it and where (fixed when it completed).
#[derive(Debug, Clone, Serialize)]
pub struct Invitation {
    pub id: i64,
    pub subject: Subject,
    pub subject_id: i64,
    /// The case number (a bundle: its first service's number).
    pub subject_no: String,
    pub centre_id: i64,
    pub centre_path: String,
    /// The department that handled it (none for a bundle: the centre).
    pub department_id: Option<i64>,
    pub item_code: String,
    pub item_name: String,
    #[serde(skip)]
    pub applicant_user_id: Option<i64>,
    /// The window clerk who took it in.
    pub window_user_id: Option<i64>,
    /// The staff whose steps the case's events show.
    pub staff: Vec<i64>,
    pub real_name: bool,
    pub completed_on: NaiveDate,
}

pub(crate) const INV_COLS: &str = "id, subject, subject_id, subject_no, centre_id, centre_path, \
    department_id, item_code, item_name, applicant_user_id, window_user_id, staff, real_name, \
    completed_on FROM rating_invitations";

pub(crate) fn row_invitation(r: &QueryResult) -> Result<Invitation> {
    Ok(Invitation {
        id: get(r, "id")?,
        subject: Subject::parse(&get::<String>(r, "subject")?)?,
        subject_id: get(r, "subject_id")?,
        subject_no: get(r, "subject_no")?,
        centre_id: get(r, "centre_id")?,
        centre_path: get(r, "centre_path")?,
        department_id: get(r, "department_id")?,
        item_code: get(r, "item_code")?,
        item_name: get(r, "item_name")?,
        applicant_user_id: get(r, "applicant_user_id")?,
        window_user_id: get(r, "window_user_id")?,
        staff: json_col(r, "staff")?,
        real_name: get(r, "real_name")?,
        completed_on: date_col(r, "completed_on")?
            .ok_or_else(|| StoreError::Corrupt("invitation without completion".into()))?,
    })
}

pub(crate) async fn invitation_of(
    c: &impl ConnectionTrait,
    subject: Subject,
    subject_id: i64,
) -> Result<Option<Invitation>> {
    crate::query_one(
        c,
        &format!("SELECT {INV_COLS} WHERE subject = $1 AND subject_id = $2"),
        vec![subject.as_str().into(), subject_id.into()],
    )
    .await?
    .map(|r| row_invitation(&r))
    .transpose()
}

pub(crate) async fn invitation_by_id(c: &impl ConnectionTrait, id: i64) -> Result<Invitation> {
    crate::query_one(
        c,
        &format!("SELECT {INV_COLS} WHERE id = $1"),
        vec![id.into()],
    )
    .await?
    .map(|r| row_invitation(&r))
    .transpose()?
    .ok_or_else(|| StoreError::NotFound(format!("rating invitation {id}")))
}

/// One rating as it is kept (never changed; a correction supersedes it).
#[derive(Debug, Clone, Serialize)]
pub struct Rating {
    pub id: i64,
    pub invitation_id: i64,
    pub channel: RatingChannel,
    pub revision: i64,
    pub corrects_id: Option<i64>,
    pub superseded_by: Option<i64>,
    pub centre_id: i64,
    pub department_id: Option<i64>,
    /// The bundle's service a bundle rating names.
    pub sub_case_id: Option<i64>,
    pub item_code: String,
    pub level: Level,
    pub indicators: std::collections::BTreeMap<String, i64>,
    pub reasons: Vec<String>,
    pub reasons_version: String,
    pub comment: String,
    /// Entered by staff (the hotline, or the window's tablet's opener).
    pub entered_by: Option<i64>,
    pub is_default: bool,
    /// An upheld appeal: kept, not counted.
    pub excluded: bool,
    pub rated_on: NaiveDate,
    pub created_at: i64,
    /// The 差评's rectification, where the query asked for it (the rated
    /// subject's ratings do: the applicant follows it from there).
    pub rectification_id: Option<i64>,
}

pub(crate) const RATING_COLS: &str = "id, invitation_id, channel, revision, corrects_id, superseded_by, \
    centre_id, department_id, sub_case_id, item_code, level, indicators, reasons, reasons_version, \
    comment, entered_by, is_default, excluded, rated_on, created_at FROM ratings";

pub(crate) fn row_rating(r: &QueryResult) -> Result<Rating> {
    let channel: String = get(r, "channel")?;
    let level: i64 = get(r, "level")?;
    Ok(Rating {
        id: get(r, "id")?,
        invitation_id: get(r, "invitation_id")?,
        channel: RatingChannel::parse(&channel)
            .ok_or_else(|| StoreError::Corrupt(format!("rating channel {channel}")))?,
        revision: get(r, "revision")?,
        corrects_id: get(r, "corrects_id")?,
        superseded_by: get(r, "superseded_by")?,
        centre_id: get(r, "centre_id")?,
        department_id: get(r, "department_id")?,
        sub_case_id: get(r, "sub_case_id")?,
        item_code: get(r, "item_code")?,
        level: Level::of(level).ok_or_else(|| StoreError::Corrupt(format!("level {level}")))?,
        indicators: json_col(r, "indicators")?,
        reasons: json_col(r, "reasons")?,
        reasons_version: get(r, "reasons_version")?,
        comment: get(r, "comment")?,
        entered_by: get(r, "entered_by")?,
        is_default: get(r, "is_default")?,
        excluded: get(r, "excluded")?,
        rated_on: date_col(r, "rated_on")?
            .ok_or_else(|| StoreError::Corrupt("rating without a day".into()))?,
        created_at: get(r, "created_at")?,
        rectification_id: r
            .try_get::<Option<i64>>("", "rectification_id")
            .ok()
            .flatten(),
    })
}

/// Adds `delta` to the day's count of a rating's level (its own
/// transaction: the figures never differ from the rows).
pub(crate) async fn count_in_rollup(
    c: &impl ConnectionTrait,
    r: &Rating,
    delta: i64,
) -> Result<()> {
    crate::exec(
        c,
        "INSERT INTO rating_rollups (centre_id, department_id, item_code, day, channel, is_default, level, n) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (centre_id, department_id, item_code, day, channel, is_default, level) \
         DO UPDATE SET n = rating_rollups.n + excluded.n",
        vec![
            r.centre_id.into(),
            r.department_id.unwrap_or(0).into(),
            r.item_code.clone().into(),
            r.rated_on.to_string().into(),
            r.channel.as_str().into(),
            r.is_default.into(),
            r.level.number().into(),
            delta.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Where a rectification stands, as stored.
pub(crate) fn parse_state(s: &str) -> Result<RectifyState> {
    RectifyState::parse(s).ok_or_else(|| StoreError::Corrupt(format!("rectification state {s}")))
}
