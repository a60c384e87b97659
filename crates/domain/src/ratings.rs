//! 好差评 (SPEC §8.1; 国办发〔2019〕51号, GB/T 39734-2020, GB/T 39735-2020):
//! what a rating is and what makes one valid, the published list of 差评
//! reasons, the rectification a 差评 opens and its deadlines, appeals, and
//! the experience officers' findings. Pure: the store feeds in the facts
//! (the case's end, today, the calendar, the centre's profile).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::{CalendarError, WorkCalendar};
use crate::catalog::DayCount;
use crate::error::{FieldError, FieldErrors};

labelled!(
    /// How a rating reaches the centre.
    RatingChannel {
        Online = "online", "网上评价", "Online";
        OnSite = "on_site", "现场评价", "On site";
        Hotline = "hotline", "热线评价", "Hotline";
    }
);

labelled!(
    /// The five levels (GB/T 39735-2020).
    Level {
        VerySatisfied = "5", "非常满意", "Very satisfied";
        Satisfied = "4", "满意", "Satisfied";
        Neutral = "3", "基本满意", "Fairly satisfied";
        Dissatisfied = "2", "不满意", "Dissatisfied";
        VeryDissatisfied = "1", "非常不满意", "Very dissatisfied";
    }
);

impl Level {
    /// The level of a number 1–5.
    pub fn of(n: i64) -> Option<Level> {
        match n {
            5 => Some(Level::VerySatisfied),
            4 => Some(Level::Satisfied),
            3 => Some(Level::Neutral),
            2 => Some(Level::Dissatisfied),
            1 => Some(Level::VeryDissatisfied),
            _ => None,
        }
    }

    pub fn number(self) -> i64 {
        match self {
            Level::VerySatisfied => 5,
            Level::Satisfied => 4,
            Level::Neutral => 3,
            Level::Dissatisfied => 2,
            Level::VeryDissatisfied => 1,
        }
    }

    /// 不满意 and 非常不满意 are 差评.
    pub fn is_bad(self) -> bool {
        self.number() <= 2
    }

    /// 非常满意 and 满意 are 好评 (for the 好评率).
    pub fn is_good(self) -> bool {
        self.number() >= 4
    }
}

/// An indicator the channel rates besides the whole (GB/T 39735-2020).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Indicator {
    pub key: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

const ONLINE: &[Indicator] = &[
    Indicator {
        key: "overall",
        zh: "整体满意度",
        en: "Overall",
    },
    Indicator {
        key: "efficiency",
        zh: "办事效率",
        en: "Efficiency",
    },
    Indicator {
        key: "guide_accuracy",
        zh: "办事指南精确度",
        en: "Accuracy of the guide",
    },
    Indicator {
        key: "convenience",
        zh: "办事便捷度",
        en: "Convenience",
    },
    Indicator {
        key: "usability",
        zh: "平台操作性",
        en: "Ease of use of the platform",
    },
];

const ON_SITE: &[Indicator] = &[
    Indicator {
        key: "overall",
        zh: "整体满意度",
        en: "Overall",
    },
    Indicator {
        key: "service_efficiency",
        zh: "服务效率",
        en: "Speed of service",
    },
    Indicator {
        key: "service_level",
        zh: "服务水平",
        en: "Quality of service",
    },
    Indicator {
        key: "attitude",
        zh: "服务态度",
        en: "Attitude",
    },
];

impl RatingChannel {
    /// The indicators rated on this channel; the first is the whole.
    /// The hotline asks the on-site ones (a person answers for the service).
    pub fn indicators(self) -> &'static [Indicator] {
        match self {
            RatingChannel::Online => ONLINE,
            RatingChannel::OnSite | RatingChannel::Hotline => ON_SITE,
        }
    }
}

/// One reason a 差评 may give, from the published list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reason {
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

/// The version of the published list of 差评 reasons every rating records.
pub const REASONS_VERSION: &str = "2026-1";

/// The published, versioned list of 差评 reasons. A code is never reused
/// for another meaning: a new meaning is a new code in a new version.
pub const REASONS: &[Reason] = &[
    Reason {
        code: "R01",
        zh: "办事指南或材料要求不清",
        en: "Unclear guide or document requirements",
    },
    Reason {
        code: "R02",
        zh: "多次跑腿",
        en: "Had to come more than once",
    },
    Reason {
        code: "R03",
        zh: "超时办理",
        en: "Not done in time",
    },
    Reason {
        code: "R04",
        zh: "服务态度不好",
        en: "Poor attitude",
    },
    Reason {
        code: "R05",
        zh: "系统难用",
        en: "The system is hard to use",
    },
    Reason {
        code: "R06",
        zh: "要求提交不必要的材料",
        en: "Asked for unnecessary documents",
    },
    Reason {
        code: "R07",
        zh: "等候时间过长",
        en: "Waited too long",
    },
    Reason {
        code: "R08",
        zh: "收费不规范",
        en: "Irregular fees",
    },
    Reason {
        code: "R99",
        zh: "其他",
        en: "Other",
    },
];

pub fn reason(code: &str) -> Option<&'static Reason> {
    REASONS.iter().find(|r| r.code == code)
}

/// What a rater gives.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RatingInput {
    /// The whole, 1–5 (5 = 非常满意).
    pub level: i64,
    /// Each of the channel's indicators, 1–5, by key (`overall` is the whole
    /// and may be left out).
    #[serde(default)]
    pub indicators: BTreeMap<String, i64>,
    /// For a 差评: one or more codes from the published list.
    #[serde(default)]
    pub reasons: Vec<String>,
    #[serde(default)]
    pub comment: String,
}

/// A rating that passed every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedRating {
    pub channel: RatingChannel,
    pub level: Level,
    /// Every indicator of the channel, the whole included.
    pub indicators: BTreeMap<String, Level>,
    pub reasons: Vec<&'static Reason>,
    pub comment: String,
}

impl CheckedRating {
    pub fn is_bad(&self) -> bool {
        self.level.is_bad()
    }
}

/// At most this many characters of comment.
pub const COMMENT_MAX: usize = 500;

/// Checks a rating on `channel`: the level and each indicator 1–5, every
/// indicator of the channel given, a 差评 with at least one known reason
/// (no reason on a rating that is not a 差评), a comment within the text rule.
pub fn check(channel: RatingChannel, input: &RatingInput) -> Result<CheckedRating, FieldErrors> {
    let mut errs = FieldErrors::default();
    let level = Level::of(input.level);
    if level.is_none() {
        errs.push(FieldError::new(
            "level",
            "out_of_range",
            "请选择满意程度（1至5）",
            "choose how satisfied you are (1 to 5)",
        ));
    }
    let mut indicators = BTreeMap::new();
    for (k, _) in input.indicators.iter() {
        if !channel.indicators().iter().any(|i| i.key == k) {
            errs.push(FieldError::new(
                format!("indicators.{k}"),
                "unknown",
                format!("{}没有评价指标“{k}”", channel.zh()),
                format!("{} has no indicator {k}", channel.en()),
            ));
        }
    }
    // The overall indicator is the rating's level: it cannot say otherwise.
    if let Some(o) = input.indicators.get("overall")
        && *o != input.level
    {
        errs.push(FieldError::new(
            "indicators.overall",
            "contradicts_level",
            "“整体满意度”须与评价等级一致",
            "the overall indicator must equal the rating's level",
        ));
    }
    for ind in channel.indicators() {
        let given = if ind.key == "overall" {
            input.indicators.get(ind.key).copied().or(Some(input.level))
        } else {
            input.indicators.get(ind.key).copied()
        };
        match given.and_then(Level::of) {
            Some(l) => {
                indicators.insert(ind.key.to_string(), l);
            }
            None => errs.push(FieldError::new(
                format!("indicators.{}", ind.key),
                if given.is_some() {
                    "out_of_range"
                } else {
                    "required"
                },
                format!("请评价“{}”（1至5）", ind.zh),
                format!("rate “{}” (1 to 5)", ind.en),
            )),
        }
    }
    let mut reasons: Vec<&'static Reason> = Vec::new();
    for code in &input.reasons {
        match reason(code.trim()) {
            Some(r) if !reasons.contains(&r) => reasons.push(r),
            Some(_) => {}
            None => errs.push(FieldError::new(
                "reasons",
                "unknown",
                format!("差评原因“{code}”不在公布的原因清单（{REASONS_VERSION}版）中"),
                format!("reason {code} is not on the published list (version {REASONS_VERSION})"),
            )),
        }
    }
    let bad = level.is_some_and(Level::is_bad);
    if bad && input.reasons.is_empty() {
        errs.push(FieldError::new(
            "reasons",
            "required",
            "差评请至少选择一项原因",
            "a poor rating needs at least one reason",
        ));
    }
    if !bad && !input.reasons.is_empty() {
        errs.push(FieldError::new(
            "reasons",
            "not_bad",
            "只有“不满意”或“非常不满意”的评价需要选择差评原因",
            "reasons are given only with a poor rating",
        ));
    }
    if let Some(e) = crate::text::check_text(
        "comment",
        "评价意见",
        "the comment",
        &input.comment,
        COMMENT_MAX,
        true,
    ) {
        errs.push(e);
    }
    errs.into_result()?;
    let level = level.ok_or_else(|| FieldErrors(Vec::new()))?;
    Ok(CheckedRating {
        channel,
        level,
        indicators,
        reasons,
        comment: input.comment.trim().to_string(),
    })
}

/// The centre's rules for ratings (its profile; SPEC §8.1: local rules differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RatingRules {
    /// Working days after completion during which the applicant may rate.
    pub window_days: DayCount,
    /// Working days from a 差评 to the end of its rectification (5–15 locally).
    pub rectify_days: DayCount,
    /// A default rating recorded when the applicant does not rate: off
    /// unless set.
    #[serde(default)]
    pub default_rating: Option<DefaultRating>,
}

impl Default for RatingRules {
    fn default() -> Self {
        RatingRules {
            window_days: DayCount::of(10),
            rectify_days: DayCount::of(5),
            default_rating: None,
        }
    }
}

/// Some provinces record a default when the applicant does not rate (e.g.
/// 满意 after 5 working days): marked as a default, counted apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DefaultRating {
    /// 3 (基本满意) or 4 (满意): never a 差评, never 非常满意.
    pub level: i64,
    /// Working days after completion.
    pub after_days: DayCount,
    /// When the rule was turned on (ms since the epoch; the platform sets
    /// it): only cases completed since then get a default, never the
    /// backlog from before the rule.
    #[serde(default)]
    pub since_ms: Option<i64>,
}

impl RatingRules {
    pub fn check(&self) -> Result<(), FieldErrors> {
        let mut errs = FieldErrors::default();
        let w = self.window_days.get();
        if !(1..=60).contains(&w) {
            errs.push(FieldError::new(
                "window_days",
                "out_of_range",
                "评价期限应为1至60个工作日",
                "the rating window is 1 to 60 working days",
            ));
        }
        let r = self.rectify_days.get();
        if !(5..=15).contains(&r) {
            errs.push(FieldError::new(
                "rectify_days",
                "out_of_range",
                "整改期限应为5至15个工作日",
                "the rectification limit is 5 to 15 working days",
            ));
        }
        if let Some(d) = self.default_rating {
            if !(3..=4).contains(&d.level) {
                errs.push(FieldError::new(
                    "default_rating.level",
                    "out_of_range",
                    "默认评价只能是基本满意（3）或满意（4）",
                    "a default rating is 3 (fairly satisfied) or 4 (satisfied)",
                ));
            }
            if d.after_days.get() < w {
                errs.push(FieldError::new(
                    "default_rating.after_days",
                    "too_early",
                    "默认评价须在评价期限届满之后记录",
                    "a default is recorded only after the rating window",
                ));
            }
        }
        errs.into_result()
    }

    /// The last day the applicant may rate a case completed on `completed_on`.
    pub fn last_rating_day(
        &self,
        cal: &WorkCalendar,
        completed_on: NaiveDate,
    ) -> Result<NaiveDate, CalendarError> {
        cal.add_workdays(completed_on, self.window_days.get())
    }
}

/// Why `today` is outside the rating window of a case completed on
/// `completed_on`; `None` when a rating may be given.
pub fn window_refusal(
    rules: &RatingRules,
    cal: &WorkCalendar,
    completed_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Option<FieldError> {
    let Some(done) = completed_on else {
        return Some(FieldError::new(
            "case",
            "not_completed",
            "办件办结后才能评价",
            "a case can be rated once it is completed",
        ));
    };
    match rules.last_rating_day(cal, done) {
        Ok(last) if today <= last => None,
        Ok(last) => Some(FieldError::new(
            "case",
            "window_closed",
            format!("评价期限已于{last}届满"),
            format!("the rating window closed on {last}"),
        )),
        // Years without a notice are provisional, so this is a date beyond
        // the calendar altogether: no deadline could be set for a 差评.
        Err(e) => Some(FieldError::new(
            "calendar",
            "missing_year",
            format!("工作日历尚未覆盖该日期，暂不能评价：{}", e.zh()),
            format!("the working-day calendar does not cover this date yet: {e}"),
        )),
    }
}

/// The two deadlines a 差评 opens (谁办理谁负责): the return visit within
/// 1 working day, the rectification within the profile's limit, both from
/// the day of the rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RectifyDue {
    pub visit_due: NaiveDate,
    pub fix_due: NaiveDate,
}

pub const VISIT_DAYS: u32 = 1;

pub fn rectify_due(
    rules: &RatingRules,
    cal: &WorkCalendar,
    rated_on: NaiveDate,
) -> Result<RectifyDue, CalendarError> {
    Ok(RectifyDue {
        visit_due: cal.add_workdays(rated_on, VISIT_DAYS)?,
        fix_due: cal.add_workdays(rated_on, rules.rectify_days.get())?,
    })
}

/// A centre's own rules where the law leaves them to it (SPEC §8.1: local
/// rules differ). Stored per centre; a centre without one uses the defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CentreProfile {
    #[serde(default)]
    pub ratings: RatingRules,
    /// 靠前服务: project targets and difficulty tickets' deadlines.
    #[serde(default)]
    pub enterprise: crate::enterprise::EnterpriseRules,
}

impl CentreProfile {
    pub fn check(&self) -> Result<(), FieldErrors> {
        let mut all = Vec::new();
        for (prefix, r) in [
            ("ratings", self.ratings.check()),
            ("enterprise", self.enterprise.check()),
        ] {
            if let Err(e) = r {
                all.extend(e.0.into_iter().map(|mut x| {
                    x.field = format!("{prefix}.{}", x.field);
                    x
                }));
            }
        }
        if all.is_empty() {
            Ok(())
        } else {
            Err(FieldErrors(all))
        }
    }
}

labelled!(
    /// Where a rectification stands.
    RectifyState {
        AwaitingVisit = "awaiting_visit", "待回访", "Return visit due";
        Visited = "visited", "已回访，整改中", "Visited, being rectified";
        AwaitingVerification = "awaiting_verification", "整改待核验", "Awaiting verification";
        Verified = "verified", "整改已核验", "Verified";
        Appealed = "appealed", "申诉中", "Under appeal";
        Excluded = "excluded", "申诉成立，不计入", "Appeal upheld: not counted";
    }
);

labelled!(
    /// The applicant's verdict on the rectification.
    Verdict {
        Satisfied = "satisfied", "满意", "Satisfied";
        Fair = "fair", "基本满意", "Fairly satisfied";
        Dissatisfied = "dissatisfied", "不满意", "Dissatisfied";
    }
);

labelled!(
    /// Why a 差评 is appealed (申诉复核).
    AppealGround {
        Mistaken = "mistaken", "误评（评价对象或内容有误）", "Mistaken";
        Malicious = "malicious", "恶意差评", "Malicious";
    }
);

labelled!(
    /// Where an appeal stands.
    AppealState {
        Pending = "pending", "待复核", "Pending";
        Upheld = "upheld", "申诉成立", "Upheld";
        Rejected = "rejected", "申诉不成立", "Rejected";
    }
);

/// A step on a rectification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RectifyStep {
    /// 回访: when, how, what the applicant said.
    Visit,
    /// The owner records cause, measures, evidence: to be verified.
    Rectify,
    /// A supervisor verifies it.
    Verify,
    /// A supervisor sends it back with a reason.
    SendBack,
    /// The owner appeals the 差评.
    Appeal,
    /// A supervisor upholds or rejects the appeal.
    DecideAppeal { upheld: bool },
    /// The applicant gives their verdict on the rectification.
    Verdict,
}

/// The state a step leads to from `from`, or why it may not be taken.
pub fn rectify_step(from: RectifyState, step: &RectifyStep) -> Result<RectifyState, FieldError> {
    use RectifyState as S;
    let refuse = || {
        FieldError::new(
            "state",
            "wrong_state",
            format!("整改当前为“{}”，不能进行此操作", from.zh()),
            format!("the rectification is “{}”: not possible now", from.en()),
        )
    };
    match (step, from) {
        (RectifyStep::Visit, S::AwaitingVisit) => Ok(S::Visited),
        (RectifyStep::Rectify, S::Visited) => Ok(S::AwaitingVerification),
        (RectifyStep::Verify, S::AwaitingVerification) => Ok(S::Verified),
        (RectifyStep::SendBack, S::AwaitingVerification) => Ok(S::Visited),
        (RectifyStep::Appeal, S::AwaitingVisit | S::Visited | S::AwaitingVerification) => {
            Ok(S::Appealed)
        }
        (RectifyStep::DecideAppeal { upheld: true }, S::Appealed) => Ok(S::Excluded),
        // Rejected: the rectification goes on; a visit first if none was made.
        (RectifyStep::DecideAppeal { upheld: false }, S::Appealed) => Ok(S::AwaitingVisit),
        (RectifyStep::Verdict, S::Verified) => Ok(S::Verified),
        _ => Err(refuse()),
    }
}

labelled!(
    /// What an experience officer found (体验员, 我陪群众走流程).
    FindingCategory {
        GuideInaccurate = "guide_inaccurate", "指南不准", "Guide inaccurate";
        TooManyMaterials = "too_many_materials", "材料过多", "Too many documents";
        RepeatedTrips = "repeated_trips", "多次跑动", "Repeated trips";
        HardSystem = "hard_system", "系统难用", "Hard to use";
        Attitude = "attitude", "态度", "Attitude";
        Other = "other", "其他", "Other";
    }
);

labelled!(
    /// How much a finding matters.
    FindingSeverity {
        High = "high", "严重", "High";
        Medium = "medium", "一般", "Medium";
        Low = "low", "轻微", "Low";
    }
);

impl FindingSeverity {
    /// Working days the owner has to fix it.
    pub fn fix_days(self) -> u32 {
        match self {
            FindingSeverity::High => 5,
            FindingSeverity::Medium => 10,
            FindingSeverity::Low => 15,
        }
    }
}

impl FindingCategory {
    /// A finding about the guide also goes to the catalogue admin.
    pub fn concerns_guide(self) -> bool {
        matches!(
            self,
            FindingCategory::GuideInaccurate | FindingCategory::TooManyMaterials
        )
    }
}

labelled!(
    /// Where an officer's finding stands (like a guide-audit finding).
    FindingState {
        Open = "open", "待整改", "Open";
        Fixed = "fixed", "已整改，待核验", "Fixed, awaiting verification";
        Verified = "verified", "已核验", "Verified";
    }
);

#[cfg(test)]
mod tests;
