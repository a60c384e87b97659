//! What the ratings' API carries: the shapes of requests and answers, as
//! the OpenAPI document describes them.

use std::collections::BTreeMap;
use tongban_domain::privacy::Sight;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tongban_domain::ratings::{
    AppealGround, AppealState, RatingChannel, RatingInput, Reason, RectifyState, Verdict,
};
use tongban_store::ratings::{
    Invitation, PublicRatings, PublicRow, Rating, RectificationView, RectifyAction, Subject,
};
use utoipa::{IntoParams, ToSchema};

/// A rating as given: the whole (1–5, 5 = 非常满意), each indicator of the
/// channel, and for a 差评 (1 or 2) one or more reason codes.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RatingRequest {
    /// `online` (the applicant) or `hotline` (entered by window staff on the
    /// applicant's word); on-site ratings go through the tablet's page.
    pub channel: RatingChannel,
    #[schema(minimum = 1, maximum = 5)]
    pub level: i64,
    /// By indicator key (see `/api/v1/ratings/reasons`); `overall` is the whole.
    #[serde(default)]
    pub indicators: BTreeMap<String, i64>,
    /// Codes from the published list, for a 差评 only.
    #[serde(default)]
    pub reasons: Vec<String>,
    #[serde(default)]
    pub comment: String,
    /// For a bundle application: the service the rating is about.
    #[serde(default)]
    pub sub_case_id: Option<i64>,
}

impl RatingRequest {
    pub fn input(&self) -> RatingInput {
        RatingInput {
            level: self.level,
            indicators: self.indicators.clone(),
            reasons: self.reasons.clone(),
            comment: self.comment.clone(),
        }
    }
}

/// A rating's levels without a channel (a correction keeps the channel; the
/// tablet's is on site).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RatingInputBody {
    #[schema(minimum = 1, maximum = 5)]
    pub level: i64,
    #[serde(default)]
    pub indicators: BTreeMap<String, i64>,
    #[serde(default)]
    pub reasons: Vec<String>,
    #[serde(default)]
    pub comment: String,
}

impl RatingInputBody {
    pub fn input(&self) -> RatingInput {
        RatingInput {
            level: self.level,
            indicators: self.indicators.clone(),
            reasons: self.reasons.clone(),
            comment: self.comment.clone(),
        }
    }
}

/// One rating as kept (never changed: a correction is a new one).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RatingView {
    pub id: i64,
    pub channel: RatingChannel,
    pub revision: i64,
    #[schema(required)]
    pub corrects_id: Option<i64>,
    #[schema(required)]
    pub superseded_by: Option<i64>,
    pub level: i64,
    pub indicators: BTreeMap<String, i64>,
    pub reasons: Vec<String>,
    pub reasons_version: String,
    pub comment: String,
    #[schema(required)]
    pub sub_case_id: Option<i64>,
    /// Recorded by the platform because no rating was given (counted apart).
    pub is_default: bool,
    /// An upheld appeal: kept, not counted.
    pub excluded: bool,
    pub rated_on: NaiveDate,
    pub created_at: i64,
}

impl From<&Rating> for RatingView {
    fn from(r: &Rating) -> Self {
        RatingView {
            id: r.id,
            channel: r.channel,
            revision: r.revision,
            corrects_id: r.corrects_id,
            superseded_by: r.superseded_by,
            level: r.level.number(),
            indicators: r.indicators.clone(),
            reasons: r.reasons.clone(),
            reasons_version: r.reasons_version.clone(),
            comment: r.comment.clone(),
            sub_case_id: r.sub_case_id,
            is_default: r.is_default,
            excluded: r.excluded,
            rated_on: r.rated_on,
            created_at: r.created_at,
        }
    }
}

impl RatingView {
    /// As `sight` sees it: the comment's numbers masked by the one rule
    /// ([`Sight::free_text`]) pages and exports use.
    pub fn seen_by(mut self, sight: &Sight) -> Self {
        self.comment = sight.free_text(&self.comment);
        self
    }
}

/// What is rated: a case, or a bundle application as one.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    Case,
    Bundle,
}

impl From<Subject> for SubjectKind {
    fn from(s: Subject) -> Self {
        match s {
            Subject::Case => SubjectKind::Case,
            Subject::Bundle => SubjectKind::Bundle,
        }
    }
}

/// A completed case or bundle application and its ratings so far.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RatingSubjectView {
    pub subject: SubjectKind,
    pub subject_id: i64,
    pub subject_no: String,
    pub item_name: String,
    pub completed_on: NaiveDate,
    /// The last day it may be rated (the centre's window).
    #[schema(required)]
    pub last_day: Option<NaiveDate>,
    pub ratings: Vec<RatingView>,
}

impl RatingSubjectView {
    pub fn new(
        inv: &Invitation,
        last_day: Option<NaiveDate>,
        ratings: &[Rating],
        sight: &Sight,
    ) -> Self {
        RatingSubjectView {
            subject: inv.subject.into(),
            subject_id: inv.subject_id,
            subject_no: inv.subject_no.clone(),
            item_name: inv.item_name.clone(),
            completed_on: inv.completed_on,
            last_day,
            ratings: ratings
                .iter()
                .map(|r| RatingView::from(r).seen_by(sight))
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LevelView {
    pub level: i64,
    pub zh: String,
    pub en: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorView {
    pub key: String,
    pub zh: String,
    pub en: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChannelView {
    pub channel: RatingChannel,
    pub indicators: Vec<IndicatorView>,
}

/// The published rating scheme: levels, each channel's indicators, and the
/// versioned list of 差评 reasons.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReasonsView {
    pub version: String,
    pub reasons: Vec<Reason>,
    pub levels: Vec<LevelView>,
    pub channels: Vec<ChannelView>,
}

/// The window's tablet page, opened for one case.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OnsiteOpened {
    /// The page's one-time token (also in `path`).
    pub token: String,
    /// Where the tablet (or the QR code) goes: `/r/{token}`.
    pub path: String,
    pub expires_at: i64,
}

/// What the tablet shows: no personal data.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OnsiteCaseView {
    pub subject_no: String,
    pub item_name: String,
    pub completed_on: NaiveDate,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RectificationFileView {
    pub id: i64,
    /// `evidence` or `appeal`.
    pub kind: String,
    pub file_name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppealJson {
    pub id: i64,
    pub ground: AppealGround,
    pub statement: String,
    pub state: AppealState,
    pub filed_at: i64,
    #[schema(required)]
    pub decided_at: Option<i64>,
    pub decision_reason: String,
}

/// A 差评's rectification with its rating and what was done.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RectificationJson {
    pub id: i64,
    pub version: i64,
    pub state: RectifyState,
    pub rating: RatingView,
    pub subject: SubjectKind,
    pub subject_id: i64,
    pub subject_no: String,
    pub item_name: String,
    #[schema(required)]
    pub department_id: Option<i64>,
    pub visit_due: NaiveDate,
    pub fix_due: NaiveDate,
    #[schema(required)]
    pub visited_at: Option<i64>,
    pub visit_method: String,
    pub visit_note: String,
    pub cause: String,
    pub measures: String,
    #[schema(required)]
    pub rectified_at: Option<i64>,
    #[schema(required)]
    pub verified_at: Option<i64>,
    pub sent_back_reason: String,
    #[schema(required)]
    pub verdict: Option<Verdict>,
    pub files: Vec<RectificationFileView>,
    pub appeals: Vec<AppealJson>,
}

impl From<&RectificationView> for RectificationJson {
    fn from(r: &RectificationView) -> Self {
        RectificationJson {
            id: r.id,
            version: r.version,
            state: r.state,
            rating: RatingView::from(&r.rating),
            subject: r.subject.into(),
            subject_id: r.subject_id,
            subject_no: r.subject_no.clone(),
            item_name: r.item_name.clone(),
            department_id: r.department_id,
            visit_due: r.visit_due,
            fix_due: r.fix_due,
            visited_at: r.visited_at,
            visit_method: r.visit_method.clone(),
            visit_note: r.visit_note.clone(),
            cause: r.cause.clone(),
            measures: r.measures.clone(),
            rectified_at: r.rectified_at,
            verified_at: r.verified_at,
            sent_back_reason: r.sent_back_reason.clone(),
            verdict: r.verdict,
            files: r
                .files
                .iter()
                .map(|(id, kind, file_name)| RectificationFileView {
                    id: *id,
                    kind: kind.clone(),
                    file_name: file_name.clone(),
                })
                .collect(),
            appeals: r
                .appeals
                .iter()
                .map(|a| AppealJson {
                    id: a.id,
                    ground: a.ground,
                    statement: a.statement.clone(),
                    state: a.state,
                    filed_at: a.filed_at,
                    decided_at: a.decided_at,
                    decision_reason: a.decision_reason.clone(),
                })
                .collect(),
        }
    }
}

impl RectificationJson {
    /// As `sight` sees it: what people wrote (the comment, the visit's
    /// note, appeal statements) through the one masking rule.
    pub fn seen_by(mut self, sight: &Sight) -> Self {
        self.rating = self.rating.seen_by(sight);
        self.visit_note = sight.free_text(&self.visit_note);
        for a in &mut self.appeals {
            a.statement = sight.free_text(&a.statement);
        }
        self
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RectificationList {
    pub rectifications: Vec<RectificationJson>,
}

/// What is done to a rectification.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RectifyActionBody {
    /// 回访 (the owner): how the applicant was reached and what they said.
    Visit {
        method: String,
        note: String,
        /// When the visit was made (Beijing time, e.g. `2026-12-04T15:30:00`);
        /// now if left out. Not in the future, not before the rating.
        #[serde(default)]
        at: Option<chrono::NaiveDateTime>,
    },
    /// The owner's rectification: the cause and the measures.
    Rectify { cause: String, measures: String },
    /// A supervisor verifies it.
    Verify,
    /// A supervisor sends it back, saying why.
    SendBack { reason: String },
    /// The owner appeals the 差评.
    Appeal {
        ground: AppealGround,
        statement: String,
    },
    /// A supervisor decides the pending appeal.
    DecideAppeal { upheld: bool, reason: String },
    /// The applicant's verdict on the rectification.
    Verdict { verdict: Verdict },
}

impl From<RectifyActionBody> for RectifyAction {
    fn from(b: RectifyActionBody) -> Self {
        match b {
            RectifyActionBody::Visit { method, note, at } => {
                RectifyAction::Visit { method, note, at }
            }
            RectifyActionBody::Rectify { cause, measures } => {
                RectifyAction::Rectify { cause, measures }
            }
            RectifyActionBody::Verify => RectifyAction::Verify,
            RectifyActionBody::SendBack { reason } => RectifyAction::SendBack { reason },
            RectifyActionBody::Appeal { ground, statement } => {
                RectifyAction::Appeal { ground, statement }
            }
            RectifyActionBody::DecideAppeal { upheld, reason } => {
                RectifyAction::DecideAppeal { upheld, reason }
            }
            RectifyActionBody::Verdict { verdict } => RectifyAction::Verdict { verdict },
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RectifyRequest {
    /// The rectification's version as read: a change meanwhile is refused (409).
    #[serde(default)]
    pub version: Option<i64>,
    pub action: RectifyActionBody,
}

/// A period and, optionally, one department.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodParams {
    /// First day (default: 30 days before `to`).
    pub from: Option<NaiveDate>,
    /// Last day (default: today).
    pub to: Option<NaiveDate>,
    /// One department's only.
    pub department: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicRowView {
    pub key: String,
    pub name: String,
    pub count: i64,
    /// Ratings per level, 非常满意 (5) first.
    pub per_level: Vec<i64>,
    /// 好评率 (非常满意 + 满意) in per mille.
    #[schema(required)]
    pub good_per_mille: Option<i64>,
}

impl From<&PublicRow> for PublicRowView {
    fn from(r: &PublicRow) -> Self {
        PublicRowView {
            key: r.key.clone(),
            name: r.name.clone(),
            count: r.count,
            per_level: r.per_level.to_vec(),
            good_per_mille: r.good_per_mille(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicBadView {
    pub rated_on: NaiveDate,
    pub department: String,
    pub item_name: String,
    pub level: i64,
    pub channel: RatingChannel,
    pub reasons: Vec<String>,
    #[schema(required)]
    pub outcome: Option<RectifyState>,
    #[schema(required)]
    pub verdict: Option<Verdict>,
}

/// The published figures (好差评公示): no personal data.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicRatingsView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub total: PublicRowView,
    pub departments: Vec<PublicRowView>,
    pub items: Vec<PublicRowView>,
    /// Default ratings, counted apart.
    pub defaults: i64,
    pub bad: Vec<PublicBadView>,
}

impl From<&PublicRatings> for PublicRatingsView {
    fn from(p: &PublicRatings) -> Self {
        PublicRatingsView {
            from: p.from,
            to: p.to,
            total: (&p.total).into(),
            departments: p.departments.iter().map(Into::into).collect(),
            items: p.items.iter().map(Into::into).collect(),
            defaults: p.defaults,
            bad: p
                .bad
                .iter()
                .map(|b| PublicBadView {
                    rated_on: b.rated_on,
                    department: b.department.clone(),
                    item_name: b.item_name.clone(),
                    level: b.level.number(),
                    channel: b.channel,
                    reasons: b.reasons.clone(),
                    outcome: b.outcome,
                    verdict: b.verdict,
                })
                .collect(),
        }
    }
}

/// A staff list row: the rating and what it rates.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffRatingRow {
    pub rating: RatingView,
    pub subject: SubjectKind,
    pub subject_id: i64,
    pub subject_no: String,
    pub item_name: String,
    #[schema(required)]
    pub department_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffRatingList {
    pub ratings: Vec<StaffRatingRow>,
    /// Pass as `before` for the next page; none at the end.
    #[schema(required)]
    pub next_before: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StaffRatingParams {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub department: Option<i64>,
    /// The `next_before` of the previous page.
    pub before: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OpenParams {
    /// Only those not verified or excluded yet (default true).
    pub open: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileParams {
    /// The file's name as the uploader had it.
    pub name: Option<String>,
    /// Evidence for an appeal rather than for the rectification.
    pub appeal: Option<bool>,
}
