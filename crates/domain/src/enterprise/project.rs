//! 工程建设项目 (SPEC §9, 国办发〔2019〕11号): project kinds, the four stages
//! and parallel items, working-day targets and progress against them.
//!
//! Time is counted as the law counts approval time: working days while a
//! stage is with the government (from its application's submission to the
//! last of its items' decisions), on the legal calendar. The days between
//! stages, while the enterprise prepares the next application, are not the
//! government's and do not count; the project's total is the sum of its
//! stages' days.

use chrono::NaiveDate;

use crate::calendar::{CalendarError, WorkCalendar};
use crate::catalog::DayCount;
use crate::clock::Warning;

/// 政府投资 or 社会投资 (with the 简易低风险 flag beside it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectKind {
    Government,
    Social,
}

impl ProjectKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "government" => Some(Self::Government),
            "social" => Some(Self::Social),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Government => "government",
            Self::Social => "social",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            Self::Government => "政府投资",
            Self::Social => "社会投资",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            Self::Government => "government investment",
            Self::Social => "private investment",
        }
    }
}

/// The four stages, and the items run beside them (并行推进).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// 立项用地规划许可.
    Land = 1,
    /// 工程建设许可.
    Design = 2,
    /// 施工许可.
    Construction = 3,
    /// 竣工验收 (限时联合验收).
    Completion = 4,
    /// 并行推进: items that may run beside any stage.
    Parallel = 9,
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::Land,
        Stage::Design,
        Stage::Construction,
        Stage::Completion,
        Stage::Parallel,
    ];
    pub fn number(self) -> i64 {
        self as i64
    }
    pub fn from_number(n: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.number() == n)
    }
    pub fn zh(self) -> &'static str {
        match self {
            Stage::Land => "立项用地规划许可",
            Stage::Design => "工程建设许可",
            Stage::Construction => "施工许可",
            Stage::Completion => "竣工验收",
            Stage::Parallel => "并行推进",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            Stage::Land => "Project approval and land-use planning",
            Stage::Design => "Construction project permit",
            Stage::Construction => "Construction permit",
            Stage::Completion => "Completion inspection",
            Stage::Parallel => "In parallel",
        }
    }
    /// The stage an application for this one waits on (none for the first
    /// and for parallel items).
    pub fn previous(self) -> Option<Stage> {
        match self {
            Stage::Design => Some(Stage::Land),
            Stage::Construction => Some(Stage::Design),
            Stage::Completion => Some(Stage::Construction),
            Stage::Land | Stage::Parallel => None,
        }
    }
}

/// A centre's working-day targets for a whole project, by kind (its
/// profile; the national ceiling is 120).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    pub government: DayCount,
    pub social: DayCount,
    pub low_risk: DayCount,
}

impl Targets {
    /// The national ceiling for a whole project's approval time.
    pub const NATIONAL: DayCount = DayCount::of(120);

    pub fn total_for(&self, kind: ProjectKind, low_risk: bool) -> DayCount {
        match (kind, low_risk) {
            (ProjectKind::Social, true) => self.low_risk,
            (ProjectKind::Social, false) => self.social,
            (ProjectKind::Government, _) => self.government,
        }
    }
}

impl Default for Targets {
    fn default() -> Self {
        Self {
            government: DayCount::of(100),
            social: DayCount::of(80),
            low_risk: DayCount::of(15),
        }
    }
}

/// Working days used against a target, and the colour it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageProgress {
    pub used: u32,
    pub target: u32,
    pub finished: bool,
    pub warning: Warning,
}

impl StageProgress {
    /// Days used of a stage that began on `started` (its application's
    /// submission; that day itself not counted, as a time limit is
    /// counted) and ended on `ended` (its last decision) or is still
    /// running on `today`. Yellow when at most 20 % of the target (or two
    /// days) is left, red once past it.
    pub fn of(
        started: NaiveDate,
        ended: Option<NaiveDate>,
        target: DayCount,
        today: NaiveDate,
        cal: &WorkCalendar,
    ) -> Result<Self, CalendarError> {
        let until = ended.unwrap_or(today).max(started);
        let used = cal.workdays_between(started, until)?.max(0) as u32;
        Ok(Self::counted(used, target, ended.is_some()))
    }

    /// Progress of `used` days against `target`.
    pub fn counted(used: u32, target: DayCount, finished: bool) -> Self {
        let target = target.get();
        let left = target.saturating_sub(used);
        let warning = if used > target {
            Warning::Red
        } else if !finished && (left <= 2 || left <= target / 5) {
            Warning::Yellow
        } else {
            Warning::Green
        };
        Self {
            used,
            target,
            finished,
            warning,
        }
    }

    /// The project's total: the sum of its stages' days against its own
    /// target.
    pub fn total(stages: &[StageProgress], target: DayCount, finished: bool) -> Self {
        let used = stages.iter().map(|s| s.used).sum();
        Self::counted(used, target, finished)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }
    fn cal() -> WorkCalendar {
        WorkCalendar::builtin_with(&[]).expect("calendar")
    }

    #[test]
    fn a_stage_counts_working_days_across_a_holiday_and_a_makeup_saturday() {
        // 2025-09-30 (Tue) submitted. National Day and Mid-Autumn: Oct 1-8
        // off, Saturday Oct 11 worked (调休). Decided Thursday Oct 16.
        // Working days after Sep 30 up to Oct 16: Oct 9, 10, 11 (Sat), 13,
        // 14, 15, 16 = 7.
        let p = StageProgress::of(
            d("2025-09-30"),
            Some(d("2025-10-16")),
            DayCount::of(20),
            d("2025-12-01"),
            &cal(),
        )
        .expect("in the calendar");
        assert_eq!((p.used, p.target, p.finished), (7, 20, true));
        assert_eq!(p.warning, Warning::Green);
    }

    #[test]
    fn a_running_stage_turns_yellow_then_red() {
        let c = cal();
        // Monday 2026-11-02 submitted, target 10 working days.
        let start = d("2026-11-02");
        let on =
            |day: &str| StageProgress::of(start, None, DayCount::of(10), d(day), &c).expect("ok");
        assert_eq!(on("2026-11-09").used, 5);
        assert_eq!(on("2026-11-09").warning, Warning::Green);
        // 8 used, 2 left: yellow.
        assert_eq!(on("2026-11-12").used, 8);
        assert_eq!(on("2026-11-12").warning, Warning::Yellow);
        // 11 used: past the target.
        assert_eq!(on("2026-11-17").used, 11);
        assert_eq!(on("2026-11-17").warning, Warning::Red);
        // A finished stage inside its target is green, however close.
        assert_eq!(
            StageProgress::counted(9, DayCount::of(10), true).warning,
            Warning::Green
        );
    }

    #[test]
    fn the_total_sums_the_stages_against_the_kind_target() {
        let t = Targets::default();
        assert_eq!(t.total_for(ProjectKind::Social, true).get(), 15);
        assert_eq!(t.total_for(ProjectKind::Government, true).get(), 100);
        assert!(t.government.get() <= Targets::NATIONAL.get());
        let stages = [
            StageProgress::counted(6, DayCount::of(5), true),
            StageProgress::counted(8, DayCount::of(5), false),
        ];
        let total = StageProgress::total(&stages, DayCount::of(15), false);
        assert_eq!((total.used, total.warning), (14, Warning::Yellow));
        assert_eq!(Stage::from_number(4), Some(Stage::Completion));
        assert_eq!(Stage::Construction.previous(), Some(Stage::Design));
        assert_eq!(Stage::Parallel.previous(), None);
    }
}
