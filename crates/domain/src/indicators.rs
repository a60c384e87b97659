//! The indicator registry (效能评估, SPEC §8.2): every indicator defined
//! once — its id, names, definition, formula, unit, what counts as a
//! working day for it and the events that feed it — so a number in a
//! dashboard, an export or the monthly 指标调度 report can always be traced
//! back to what it means.

use serde::{Deserialize, Serialize};

#[cfg(test)]
mod formulas;
pub mod rollup;
pub mod values;

labelled!(
    /// What an indicator's value is measured in.
    Unit {
        Count = "count", "件", "cases";
        Share = "share", "%", "%";
        WorkingDays = "working_days", "工作日", "working days";
        Minutes = "minutes", "分钟", "minutes";
        Materials = "materials", "份", "documents";
        Level = "level", "分（1–5）", "points (1–5)";
    }
);

labelled!(
    /// The indicator groups of the monthly report (one sheet each).
    Group {
        Volume = "volume", "办件量", "Volume";
        Timeliness = "timeliness", "时效", "Timeliness";
        Convenience = "convenience", "便利度", "Convenience";
        Satisfaction = "satisfaction", "满意度", "Satisfaction";
        Hall = "hall", "大厅服务", "The hall";
    }
);

/// One indicator as the registry defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Indicator {
    /// Stable id, as in SPEC §8.2 (`on_time_rate`).
    pub id: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub group: Group,
    pub definition_zh: &'static str,
    pub definition_en: &'static str,
    /// The formula over named counts, e.g. `completed_on_time ÷ completed`.
    pub formula: &'static str,
    pub unit: Unit,
    /// Whether a higher value is better (for 红黄榜 ranking).
    pub higher_is_better: bool,
    /// What counts as a working day for it (the legal calendar, with 调休;
    /// suspensions excluded) — or why days do not matter.
    pub workdays_zh: &'static str,
    pub workdays_en: &'static str,
    /// The events that change it (case events, ratings, hall tickets).
    pub fed_by: &'static [&'static str],
}

const CAL_ZH: &str = "按法定工作日历计算（含调休上班日，不含节假日）；暂定年份的日期随通知更新重算";
const CAL_EN: &str = "on the legal working-day calendar (调休 working Saturdays count, holidays do not); \
    dates in provisional years are recomputed when the notice is entered";
const NONE_ZH: &str = "按事件发生的自然日归入统计期，不计工作日";
const NONE_EN: &str =
    "counted on the calendar day the event happened; working days do not enter it";

/// Every indicator of SPEC §8.2, in the order reports show them.
pub const REGISTRY: &[Indicator] = &[
    Indicator {
        id: "applications",
        zh: "办件量",
        en: "Applications",
        group: Group::Volume,
        definition_zh: "统计期内提交的办件数，按渠道（窗口、网上）分列；“一件事”的每个事项各计一件",
        definition_en: "cases submitted in the period, by channel (window, online); each service of a life-event application counts",
        formula: "submitted",
        unit: Unit::Count,
        higher_is_better: true,
        workdays_zh: NONE_ZH,
        workdays_en: NONE_EN,
        fed_by: &["case.submit"],
    },
    Indicator {
        id: "acceptance_rate",
        zh: "受理率",
        en: "Acceptance rate",
        group: Group::Volume,
        definition_zh: "统计期内作出受理决定的办件中，予以受理的比例",
        definition_en: "among intake decisions in the period, the share accepted",
        formula: "accepted ÷ (accepted + not_accepted)",
        unit: Unit::Share,
        higher_is_better: true,
        workdays_zh: NONE_ZH,
        workdays_en: NONE_EN,
        fed_by: &["case.accept", "case.reject_intake"],
    },
    Indicator {
        id: "on_time_rate",
        zh: "按时办结率",
        en: "On-time completion rate",
        group: Group::Timeliness,
        definition_zh: "统计期内办结的办件中，在承诺期限内办结的比例（延期以批准后的期限为准）",
        definition_en: "among cases completed in the period, the share completed by the promised date (an approved extension moves it)",
        formula: "completed_on_time ÷ completed",
        unit: Unit::Share,
        higher_is_better: true,
        workdays_zh: CAL_ZH,
        workdays_en: CAL_EN,
        fed_by: &["case.complete", "case.extend", "calendar.notice"],
    },
    Indicator {
        id: "overdue",
        zh: "超期件数",
        en: "Overdue cases",
        group: Group::Timeliness,
        definition_zh: "统计期末仍未办结且已过承诺期限的办件，加上统计期内逾期办结的办件",
        definition_en: "cases open past their promised date at the end of the period, plus cases completed late in it",
        formula: "open_past_promise + completed_late",
        unit: Unit::Count,
        higher_is_better: false,
        workdays_zh: CAL_ZH,
        workdays_en: CAL_EN,
        fed_by: &[
            "case.accept",
            "case.complete",
            "case.suspend",
            "case.resume",
            "case.extend",
            "calendar.notice",
        ],
    },
    Indicator {
        id: "duration",
        zh: "平均/P90 办理时长",
        en: "Handling time (mean, P90)",
        group: Group::Timeliness,
        definition_zh: "从受理到作出决定的工作日数（不含中止、补正等暂停时间），与承诺时限和法定时限对照",
        definition_en: "working days from acceptance to decision, suspensions (corrections, hearings) excluded, against the promised and legal limits",
        formula: "mean(workdays(accepted → decided) − suspended); p90(…)",
        unit: Unit::WorkingDays,
        higher_is_better: false,
        workdays_zh: CAL_ZH,
        workdays_en: CAL_EN,
        fed_by: &["case.accept", "case.decide", "case.suspend", "case.resume"],
    },
    Indicator {
        id: "compression",
        zh: "承诺时限压缩比",
        en: "Promise compression",
        group: Group::Timeliness,
        definition_zh: "已公开事项的（法定时限 − 承诺时限）÷ 法定时限",
        definition_en: "(legal limit − promised limit) ÷ legal limit over the published items",
        formula: "Σ(legal − promised) ÷ Σ legal",
        unit: Unit::Share,
        higher_is_better: true,
        workdays_zh: "以工作日计的法定和承诺时限，不涉及具体日期",
        workdays_en: "legal and promised limits in working days; no dates involved",
        fed_by: &["item.publish", "item.retire"],
    },
    Indicator {
        id: "instant_share",
        zh: "即办率 / 秒批率",
        en: "Instant decisions",
        group: Group::Convenience,
        definition_zh: "统计期内作出决定的办件中，受理当日即作出决定（即办）的比例；其中由规则自动作出决定、无人工参与（秒批）的比例另列",
        definition_en: "among cases decided in the period, the share decided on the day they were accepted (即办); the share decided by rules without a person (秒批) is shown beside it",
        formula: "decided_same_day ÷ decided; decided_by_rules ÷ decided",
        unit: Unit::Share,
        higher_is_better: true,
        workdays_zh: NONE_ZH,
        workdays_en: NONE_EN,
        fed_by: &["case.decide"],
    },
    Indicator {
        id: "online_rate",
        zh: "全程网办率",
        en: "Fully online",
        group: Group::Convenience,
        definition_zh: "统计期内办结的办件中，申请人一次也没有到现场的比例（网上申请且非窗口领取结果）",
        definition_en: "among cases completed in the period, the share whose applicant never had to come in (applied online, result not collected at a window)",
        formula: "no_visit ÷ completed",
        unit: Unit::Share,
        higher_is_better: true,
        workdays_zh: NONE_ZH,
        workdays_en: NONE_EN,
        fed_by: &["case.submit", "case.deliver"],
    },
    Indicator {
        id: "one_visit_rate",
        zh: "最多跑一次率",
        en: "At most one visit",
        group: Group::Convenience,
        definition_zh: "统计期内办结的办件中，申请人至多到现场一次的比例（窗口申请、窗口领取结果各计一次）",
        definition_en: "among cases completed in the period, the share whose applicant came in at most once (applying at a window and collecting the result there count one visit each)",
        formula: "at_most_one_visit ÷ completed",
        unit: Unit::Share,
        higher_is_better: true,
        workdays_zh: NONE_ZH,
        workdays_en: NONE_EN,
        fed_by: &["case.submit", "case.deliver"],
    },
    Indicator {
        id: "exempted_materials",
        zh: "免提交材料数",
        en: "Documents not asked for",
        group: Group::Convenience,
        definition_zh: "统计期内办结的办件中，由共享数据或电子证照取得、未要求申请人提交的材料份数",
        definition_en: "documents obtained from shared data or e-certificates instead of asked of the applicant, in cases completed in the period",
        formula: "Σ materials_obtained",
        unit: Unit::Materials,
        higher_is_better: true,
        workdays_zh: NONE_ZH,
        workdays_en: NONE_EN,
        fed_by: &["case.complete"],
    },
    Indicator {
        id: "bundle_savings",
        zh: "一件事减环节/材料/时间/跑动",
        en: "Life-event savings",
        group: Group::Convenience,
        definition_zh: "每件“一件事”申请比分别申请各事项少的环节、材料、时限和跑动次数（SPEC §5）",
        definition_en: "per life-event application, the steps, documents, days and visits saved against applying for each service apart (SPEC §5)",
        formula: "Σ(separate − bundled) per application",
        unit: Unit::Count,
        higher_is_better: true,
        workdays_zh: "时限按事项承诺时限的工作日计",
        workdays_en: "days as the services' promised limits in working days",
        fed_by: &["bundle.submit"],
    },
    Indicator {
        id: "satisfaction",
        zh: "好评率 / 满意度",
        en: "Satisfaction",
        group: Group::Satisfaction,
        definition_zh: "统计期内有效评价中“非常满意”和“满意”的比例；各评价指标的平均分。申诉成立的评价不计入，默认评价另列",
        definition_en: "among valid ratings in the period, the share 非常满意 or 满意; the mean level per indicator. Ratings excluded on appeal do not count; default ratings are shown apart",
        formula: "(level_5 + level_4) ÷ valid_ratings; mean(level) per indicator",
        unit: Unit::Share,
        higher_is_better: true,
        workdays_zh: NONE_ZH,
        workdays_en: NONE_EN,
        fed_by: &[
            "rating.give",
            "rating.correct",
            "rating.default",
            "rectification.decide_appeal",
        ],
    },
    Indicator {
        id: "bad_fix_rate",
        zh: "差评整改率",
        en: "差评 rectified in time",
        group: Group::Satisfaction,
        definition_zh: "统计期内的差评中，在整改期限内整改并经督查核验的比例（申诉成立的不计入）",
        definition_en: "among 差评 in the period, the share rectified within the limit and verified by a supervisor (upheld appeals excluded)",
        formula: "verified_in_time ÷ bad_ratings",
        unit: Unit::Share,
        higher_is_better: true,
        workdays_zh: CAL_ZH,
        workdays_en: CAL_EN,
        fed_by: &[
            "rating.give",
            "rectification.verify",
            "rectification.decide_appeal",
        ],
    },
    Indicator {
        id: "visit_rate",
        zh: "实名差评回访率",
        en: "Real-name 差评 visited",
        group: Group::Satisfaction,
        definition_zh: "统计期内的实名差评中，在1个工作日内回访的比例",
        definition_en: "among real-name 差评 in the period, the share visited within 1 working day",
        formula: "real_name_visited_in_time ÷ real_name_bad_ratings",
        unit: Unit::Share,
        higher_is_better: true,
        workdays_zh: CAL_ZH,
        workdays_en: CAL_EN,
        fed_by: &["rating.give", "rectification.visit"],
    },
    Indicator {
        id: "waiting_time",
        zh: "平均等候/办理时长",
        en: "Waiting and service time",
        group: Group::Hall,
        definition_zh: "大厅取号：从取号到叫号（等候）、从叫号到办结（办理）的平均分钟数",
        definition_en: "hall tickets: minutes from issue to call (waiting) and from call to finish (service), on average",
        formula: "mean(called − issued); mean(finished − called)",
        unit: Unit::Minutes,
        higher_is_better: false,
        workdays_zh: "按实际经过的分钟计",
        workdays_en: "elapsed minutes",
        fed_by: &["ticket.issue", "ticket.call", "ticket.finish"],
    },
];

/// The indicator with this id.
pub fn indicator(id: &str) -> Option<&'static Indicator> {
    REGISTRY.iter().find(|i| i.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_defines_every_indicator_of_spec_8_2_once_and_completely() {
        let spec = [
            "applications",
            "acceptance_rate",
            "on_time_rate",
            "overdue",
            "duration",
            "compression",
            "instant_share",
            "online_rate",
            "one_visit_rate",
            "exempted_materials",
            "bundle_savings",
            "satisfaction",
            "bad_fix_rate",
            "visit_rate",
            "waiting_time",
        ];
        let ids: Vec<&str> = REGISTRY.iter().map(|i| i.id).collect();
        assert_eq!(ids, spec);
        for i in REGISTRY {
            assert!(
                !(i.zh.is_empty()
                    || i.en.is_empty()
                    || i.definition_zh.is_empty()
                    || i.definition_en.is_empty()
                    || i.formula.is_empty()
                    || i.workdays_zh.is_empty()
                    || i.fed_by.is_empty()),
                "{} is defined in full",
                i.id
            );
            assert_eq!(indicator(i.id), Some(i));
        }
        assert_eq!(indicator("nonsense"), None);
    }
}
