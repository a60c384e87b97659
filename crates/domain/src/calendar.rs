//! The working-day calendar (SPEC §3): statutory holidays and 调休 working days
//! from the State Council's yearly notices.
//!
//! A date is a working day if the notice lists it as a working day, or if it is
//! a Monday–Friday the notice does not list as a day off. Queries run in O(1)
//! (is-workday, count) or O(log n) (add N working days) over a prefix-count
//! array covering every day of the covered years.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// One line of a yearly notice: a day off, or a weekend day made a working day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScheduleDay {
    pub date: NaiveDate,
    pub off: bool,
    pub name: String,
}

/// One year's notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearSchedule {
    pub year: i32,
    /// Where it comes from (the notice's title or number).
    #[serde(default)]
    pub source: String,
    pub days: Vec<ScheduleDay>,
}

impl YearSchedule {
    /// Checks an admin-entered notice: dates belong to the year (or the
    /// adjacent December/January, as notices sometimes list), no date twice,
    /// a working day (调休) falls on a weekend, and the year is plausible.
    pub fn check(&self) -> Result<(), crate::FieldErrors> {
        use crate::FieldError;
        let mut e = crate::FieldErrors::default();
        if !(2019..=2100).contains(&self.year) {
            e.push(FieldError::new(
                "year",
                "out_of_range",
                "年份应在2019至2100之间",
                "year must be between 2019 and 2100",
            ));
        }
        if let Some(err) =
            crate::text::check_text("source", "来源", "source", &self.source, 200, false)
        {
            e.push(err);
        }
        if self.days.len() > 400 {
            e.push(FieldError::new(
                "days",
                "too_many",
                "一年的安排不能超过400天",
                "a year's notice lists at most 400 days",
            ));
        }
        let mut seen = BTreeSet::new();
        for (i, d) in self.days.iter().enumerate() {
            let field = format!("days[{i}]");
            if let Some(err) = crate::text::check_text(
                &format!("{field}.name"),
                "节日名称",
                "day name",
                &d.name,
                50,
                false,
            ) {
                e.push(err);
            }
            let y = d.date.year();
            let adjacent = (y == self.year - 1 && d.date.month() == 12)
                || (y == self.year + 1 && d.date.month() == 1);
            if y != self.year && !adjacent {
                e.push(FieldError::new(
                    field.clone(),
                    "wrong_year",
                    format!("{}不属于{}年", d.date, self.year),
                    format!("{} is not in {}", d.date, self.year),
                ));
            }
            if !seen.insert(d.date) {
                e.push(FieldError::new(
                    field.clone(),
                    "duplicate",
                    format!("{}重复出现", d.date),
                    format!("{} is listed twice", d.date),
                ));
            }
            let weekend = matches!(d.date.weekday(), Weekday::Sat | Weekday::Sun);
            if !d.off && !weekend {
                e.push(FieldError::new(
                    field,
                    "not_weekend",
                    format!("{}是工作日，无需列为调休上班", d.date),
                    format!(
                        "{} is a weekday; only weekend days can be made working days",
                        d.date
                    ),
                ));
            }
        }
        e.into_result()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("the holiday schedule for {0} has not been entered")]
    MissingYear(i32),
    #[error("line {line}: {reason}")]
    Parse { line: usize, reason: String },
    #[error("{0}")]
    Invalid(String),
}

impl CalendarError {
    pub fn zh(&self) -> String {
        match self {
            CalendarError::MissingYear(y) => format!("尚未录入{y}年的节假日安排"),
            CalendarError::Parse { line, reason } => format!("第{line}行：{reason}"),
            CalendarError::Invalid(s) => s.clone(),
        }
    }
}

/// Parses the product's own schedule format:
///
/// ```text
/// # comment
/// year 2025 国办发明电〔2024〕12号
/// 2025-01-01 off 元旦
/// 2025-01-26 work 春节
/// ```
pub fn parse_schedules(text: &str) -> Result<Vec<YearSchedule>, CalendarError> {
    let mut out: Vec<YearSchedule> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let lineno = i + 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.splitn(3, ' ');
        let first = parts.next().unwrap_or_default();
        let second = parts.next().unwrap_or_default();
        let rest = parts.next().unwrap_or_default().trim().to_string();
        if first == "year" {
            let year: i32 = second.parse().map_err(|_| CalendarError::Parse {
                line: lineno,
                reason: format!("bad year {second:?}"),
            })?;
            out.push(YearSchedule {
                year,
                source: rest,
                days: Vec::new(),
            });
            continue;
        }
        let date =
            NaiveDate::parse_from_str(first, "%Y-%m-%d").map_err(|_| CalendarError::Parse {
                line: lineno,
                reason: format!("bad date {first:?}"),
            })?;
        let off = match second {
            "off" => true,
            "work" => false,
            other => {
                return Err(CalendarError::Parse {
                    line: lineno,
                    reason: format!("expected off or work, got {other:?}"),
                });
            }
        };
        let Some(current) = out.last_mut() else {
            return Err(CalendarError::Parse {
                line: lineno,
                reason: "a day before any `year` line".into(),
            });
        };
        current.days.push(ScheduleDay {
            date,
            off,
            name: rest,
        });
    }
    Ok(out)
}

/// Writes schedules in the format `parse_schedules` reads.
pub fn format_schedules(years: &[YearSchedule]) -> String {
    let mut s = String::new();
    for y in years {
        s.push_str(&format!("year {} {}\n", y.year, y.source).replace(" \n", "\n"));
        for d in &y.days {
            s.push_str(&format!(
                "{} {} {}\n",
                d.date,
                if d.off { "off" } else { "work" },
                d.name
            ));
        }
    }
    s
}

/// Reads one file of the public holiday-cn data set (`{"year", "papers", "days":
/// [{"name", "date", "isOffDay"}]}`) into a schedule.
pub fn from_holiday_cn_json(text: &str) -> Result<YearSchedule, CalendarError> {
    #[derive(Deserialize)]
    struct Day {
        name: String,
        date: NaiveDate,
        #[serde(rename = "isOffDay")]
        is_off_day: bool,
    }
    #[derive(Deserialize)]
    struct File {
        year: i32,
        #[serde(default)]
        papers: Vec<String>,
        days: Vec<Day>,
    }
    let f: File = serde_json::from_str(text)
        .map_err(|e| CalendarError::Invalid(format!("holiday-cn JSON: {e}")))?;
    Ok(YearSchedule {
        year: f.year,
        source: f.papers.first().cloned().unwrap_or_default(),
        days: f
            .days
            .into_iter()
            .map(|d| ScheduleDay {
                date: d.date,
                off: d.is_off_day,
                name: d.name,
            })
            .collect(),
    })
}

/// The schedules shipped with the product (2019 onwards).
pub const BUILTIN_SCHEDULES: &str = include_str!("../data/holidays.txt");

/// How many years after the last notice are computed provisionally (SPEC §3):
/// every deadline the law allows (at most 45 + 15 working days, then 10 for
/// the certificate) falls well within them.
pub const PROVISIONAL_YEARS: i32 = 2;

/// The statutory holidays the law itself fixes for a year (全国年节及纪念日放假办法):
/// from 2025 (as revised in 2024) 元旦, 春节 除夕 to 初三, 清明, 劳动节 1–2 May, 端午,
/// 中秋 and 国庆 1–3 Oct, 13 days; from 2014 to 2024 春节 was 初一 to 初三 and
/// 劳动节 1 May, 11 days. The lunar and solar-term dates come from a lunisolar
/// calendar. These are only the days the law names: a notice adds bridging
/// days off and 调休 working days, which no rule foretells.
pub fn statutory_holidays(year: i32) -> Result<Vec<(NaiveDate, &'static str)>, CalendarError> {
    use tyme4rs::tyme::lunar::LunarDay;
    use tyme4rs::tyme::solar::{SolarDay, SolarTerm};
    if !(2014..=2200).contains(&year) {
        return Err(CalendarError::Invalid(format!(
            "statutory holidays of {year} are not known to this rule"
        )));
    }
    let bad = || CalendarError::Invalid(format!("lunar calendar of {year}"));
    let ymd = |y: i32, m: u32, d: u32| NaiveDate::from_ymd_opt(y, m, d).ok_or_else(bad);
    let solar = |s: SolarDay| {
        let y = i32::try_from(s.get_solar_month().get_year()).map_err(|_| bad())?;
        ymd(y, s.get_month() as u32, s.get_day() as u32)
    };
    let lunar = |m: isize, d: usize| -> Result<NaiveDate, CalendarError> {
        let day = LunarDay::new(year as isize, m, d).map_err(|_| bad())?;
        solar(day.get_solar_day())
    };
    let new_year = lunar(1, 1)?;
    let revised = year >= 2025;
    let mut out = vec![(ymd(year, 1, 1)?, "元旦")];
    let first = if revised { -1 } else { 0 };
    for k in first..3 {
        out.push((new_year + Duration::days(k), "春节"));
    }
    let qingming = SolarTerm::new(year as isize, "清明").map_err(|_| bad())?;
    out.push((solar(qingming.get_solar_day())?, "清明节"));
    out.push((ymd(year, 5, 1)?, "劳动节"));
    if revised {
        out.push((ymd(year, 5, 2)?, "劳动节"));
    }
    out.push((lunar(5, 5)?, "端午节"));
    out.push((lunar(8, 15)?, "中秋节"));
    for d in 1..=3 {
        out.push((ymd(year, 10, d)?, "国庆节"));
    }
    out.sort_by_key(|(d, _)| *d);
    // 中秋 may fall within 国庆: one day off, under both names' first.
    out.dedup_by_key(|(d, _)| *d);
    Ok(out)
}

/// The provisional schedule of a year without a notice: its statutory
/// holidays off, every other Monday–Friday a working day, no 调休.
pub fn provisional_schedule(year: i32) -> Result<YearSchedule, CalendarError> {
    Ok(YearSchedule {
        year,
        source: format!("{year}年节假日安排尚未公布：按法定节假日暂定"),
        days: statutory_holidays(year)?
            .into_iter()
            .map(|(date, name)| ScheduleDay {
                date,
                off: true,
                name: name.to_string(),
            })
            .collect(),
    })
}

/// An immutable working-day calendar over a contiguous range of covered years.
#[derive(Debug, Clone)]
pub struct WorkCalendar {
    first: NaiveDate,
    first_year: i32,
    last_year: i32,
    covered: BTreeSet<i32>,
    /// Years after the last notice, computed from the statutory holidays alone.
    provisional: BTreeSet<i32>,
    /// `prefix[i]` = working days among the first `i` days from `first`.
    prefix: Vec<u32>,
    names: BTreeMap<NaiveDate, (bool, String)>,
    /// What the entered notices it was built from were, when its builder
    /// says (a fingerprint of the database's notices): a writer holding a
    /// calendar whose tag no longer matches builds the current one.
    tag: Option<u64>,
}

impl WorkCalendar {
    /// Builds the calendar. Every date listed in any schedule is indexed by
    /// itself, whichever year's file it came from (some notices list days of
    /// the previous December).
    ///
    /// The [`PROVISIONAL_YEARS`] years after the last notice are covered
    /// provisionally ([`provisional_schedule`]): their dates are computed, and
    /// [`WorkCalendar::is_provisional`] says so.
    pub fn new(schedules: &[YearSchedule]) -> Result<Self, CalendarError> {
        let covered: BTreeSet<i32> = schedules.iter().map(|s| s.year).collect();
        let (Some(&first_year), Some(&noticed_last)) = (covered.first(), covered.last()) else {
            return Err(CalendarError::Invalid("no schedule given".into()));
        };
        let mut names = BTreeMap::new();
        for s in schedules {
            for d in &s.days {
                names.insert(d.date, (d.off, d.name.clone()));
            }
        }
        let mut provisional = BTreeSet::new();
        // The years after the last notice, and any year before it whose own
        // notice is missing (a later year's was entered first).
        for year in (first_year..=noticed_last + PROVISIONAL_YEARS).filter(|y| !covered.contains(y))
        {
            for d in provisional_schedule(year)?.days {
                // A notice's own listing of a later day stands.
                names.entry(d.date).or_insert((d.off, d.name));
            }
            provisional.insert(year);
        }
        let last_year = noticed_last + PROVISIONAL_YEARS;
        let first = NaiveDate::from_ymd_opt(first_year, 1, 1)
            .ok_or_else(|| CalendarError::Invalid(format!("year {first_year}")))?;
        let end = NaiveDate::from_ymd_opt(last_year, 12, 31)
            .ok_or_else(|| CalendarError::Invalid(format!("year {last_year}")))?;
        let n = (end - first).num_days() as usize + 1;
        let mut prefix = Vec::with_capacity(n + 1);
        prefix.push(0u32);
        let mut acc = 0u32;
        let mut d = first;
        for _ in 0..n {
            if Self::rule(&names, d) {
                acc += 1;
            }
            prefix.push(acc);
            d += Duration::days(1);
        }
        Ok(Self {
            first,
            first_year,
            last_year,
            covered,
            provisional,
            prefix,
            names,
            tag: None,
        })
    }

    /// The calendar marked with the fingerprint of the notices it was built from.
    pub fn tagged(mut self, tag: u64) -> Self {
        self.tag = Some(tag);
        self
    }

    /// The fingerprint of the notices it was built from, if its builder gave one.
    pub fn tag(&self) -> Option<u64> {
        self.tag
    }

    /// The calendar of the shipped schedules plus any extra (admin-entered) ones;
    /// an extra year replaces a shipped one.
    pub fn builtin_with(extra: &[YearSchedule]) -> Result<Self, CalendarError> {
        let mut all = parse_schedules(BUILTIN_SCHEDULES)?;
        all.retain(|s| !extra.iter().any(|e| e.year == s.year));
        all.extend(extra.iter().cloned());
        Self::new(&all)
    }

    fn rule(names: &BTreeMap<NaiveDate, (bool, String)>, d: NaiveDate) -> bool {
        match names.get(&d) {
            Some((off, _)) => !off,
            None => !matches!(d.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    fn index(&self, d: NaiveDate) -> Result<usize, CalendarError> {
        let y = d.year();
        if y < self.first_year
            || y > self.last_year
            || !(self.covered.contains(&y) || self.provisional.contains(&y))
        {
            return Err(CalendarError::MissingYear(y));
        }
        Ok((d - self.first).num_days() as usize)
    }

    /// The years whose notice is in the calendar.
    pub fn covered_years(&self) -> impl Iterator<Item = i32> + '_ {
        self.covered.iter().copied()
    }

    /// The years computed provisionally, their notice not yet entered.
    pub fn provisional_years(&self) -> impl Iterator<Item = i32> + '_ {
        self.provisional.iter().copied()
    }

    /// A date in a year without a notice: anything counted to or across it
    /// is 暂定 (provisional) until the notice is entered.
    pub fn is_provisional(&self, d: NaiveDate) -> bool {
        self.provisional.contains(&d.year())
    }

    /// The first year without a notice.
    pub fn first_provisional_year(&self) -> Option<i32> {
        self.provisional.first().copied()
    }

    pub fn is_workday(&self, d: NaiveDate) -> Result<bool, CalendarError> {
        let i = self.index(d)?;
        Ok(self.prefix[i + 1] > self.prefix[i])
    }

    /// The holiday or 调休 name of a date, if the notice lists it.
    pub fn day_name(&self, d: NaiveDate) -> Option<&str> {
        self.names.get(&d).map(|(_, n)| n.as_str())
    }

    /// Working days in the half-open interval (from, to]; negative if to < from.
    pub fn workdays_between(&self, from: NaiveDate, to: NaiveDate) -> Result<i64, CalendarError> {
        let a = self.index(from)?;
        let b = self.index(to)?;
        Ok(i64::from(self.prefix[b + 1]) - i64::from(self.prefix[a + 1]))
    }

    /// The date `n` working days after `from` (`from` itself not counted).
    /// `n = 0` gives `from`.
    pub fn add_workdays(&self, from: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        let a = self.index(from)?;
        if n == 0 {
            return Ok(from);
        }
        // Checked: a count past the end of the calendar is a missing year,
        // never a wrapped-around date.
        let Some(target) = self.prefix[a + 1].checked_add(n) else {
            return Err(CalendarError::MissingYear(self.last_year + 1));
        };
        // First j with prefix[j] >= target; the day is j - 1.
        let j = self.prefix.partition_point(|&c| c < target);
        if j >= self.prefix.len() {
            return Err(CalendarError::MissingYear(self.last_year + 1));
        }
        let day = self.first + Duration::days(j as i64 - 1);
        // The day found must lie in a covered year (gaps are refused).
        self.index(day)?;
        Ok(day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    fn cal() -> WorkCalendar {
        WorkCalendar::builtin_with(&[]).expect("builtin calendar")
    }

    #[test]
    fn a_notice_refuses_day_names_with_control_or_bidi_characters() {
        let day = |name: &str| ScheduleDay {
            date: d("2027-10-01"),
            off: true,
            name: name.into(),
        };
        for bad in ["国庆\u{202E}节", "国庆\u{0}节", &"节".repeat(51)] {
            let y = YearSchedule {
                year: 2027,
                source: "国办发明电〔2026〕1号".into(),
                days: vec![day(bad)],
            };
            let errs = y.check().expect_err("refused");
            assert!(
                errs.0.iter().any(|e| e.field == "days[0].name"),
                "{bad:?}: {errs:?}"
            );
        }
        let y = YearSchedule {
            year: 2027,
            source: "来源\u{202E}".into(),
            days: vec![day("国庆节")],
        };
        let errs = y.check().expect_err("refused");
        assert!(errs.0.iter().any(|e| e.field == "source"), "{errs:?}");
        let y = YearSchedule {
            year: 2027,
            source: String::new(),
            days: vec![day("国庆节")],
        };
        assert!(y.check().is_ok());
    }

    #[test]
    fn known_days() {
        let c = cal();
        assert!(
            c.is_workday(d("2025-01-26")).expect("covered"),
            "调休 Sunday"
        );
        assert!(!c.is_workday(d("2025-05-02")).expect("covered"), "劳动节");
        assert!(
            c.is_workday(d("2026-02-28")).expect("covered"),
            "调休 Saturday"
        );
        assert!(
            !c.is_workday(d("2025-01-28")).expect("covered"),
            "除夕 from 2025"
        );
        assert!(c.is_workday(d("2025-01-27")).expect("covered"));
    }

    #[test]
    fn missing_year_is_explicit() {
        let c = cal();
        assert_eq!(
            c.is_workday(d("2018-06-01")),
            Err(CalendarError::MissingYear(2018))
        );
        // Beyond the provisional years nothing is guessed.
        assert!(matches!(
            c.add_workdays(d("2028-12-20"), 30),
            Err(CalendarError::MissingYear(2029))
        ));
    }

    #[test]
    fn a_year_without_a_notice_is_provisional_never_blank() {
        let c = cal();
        assert_eq!(c.provisional_years().collect::<Vec<_>>(), vec![2027, 2028]);
        assert!(!c.is_provisional(d("2026-12-31")));
        assert!(c.is_provisional(d("2027-01-04")));
        // 30 working days from Sunday 20 December 2026: the rest of December (9),
        // then January 2027 less 元旦 (Fri 1 Jan) and 1 February — by hand.
        let due = c.add_workdays(d("2026-12-20"), 30).expect("provisional");
        assert_eq!(due, d("2027-02-01"));
        assert!(c.is_provisional(due));
        // 春节 2027: 除夕 5 February (Fri) to 初三 8 February (Mon); the
        // weekend between is off anyway.
        for off in ["2027-02-05", "2027-02-08", "2027-05-03", "2027-10-01"] {
            let want = off != "2027-05-03";
            assert_eq!(!c.is_workday(d(off)).expect("provisional"), want, "{off}");
        }
        assert_eq!(c.day_name(d("2027-02-05")), Some("春节"));
    }

    #[test]
    fn a_missing_year_before_an_entered_one_stays_provisional() {
        // 2028's notice entered while 2027's is still missing.
        let y2028 = provisional_schedule(2028).expect("2028");
        let c = WorkCalendar::builtin_with(&[y2028]).expect("calendar");
        assert!(c.is_provisional(d("2027-06-01")), "2027 still provisional");
        assert!(!c.is_provisional(d("2028-06-01")), "2028 entered");
        assert_eq!(
            c.provisional_years().collect::<Vec<_>>(),
            vec![2027, 2029, 2030]
        );
        // Counting across the gap works, and 2027's statutory days are off.
        assert!(!c.is_workday(d("2027-10-01")).expect("provisional"));
        assert!(c.add_workdays(d("2026-12-20"), 300).is_ok());
    }

    #[test]
    fn entering_the_notice_ends_the_provisional_year() {
        let y2027 = YearSchedule {
            year: 2027,
            source: "国办发明电〔2026〕".into(),
            days: vec![ScheduleDay {
                date: d("2027-01-04"),
                off: true,
                name: "元旦".into(),
            }],
        };
        let c = WorkCalendar::builtin_with(&[y2027]).expect("calendar");
        assert!(!c.is_provisional(d("2027-06-01")));
        assert!(c.is_provisional(d("2028-06-01")));
        assert!(!c.is_workday(d("2027-01-04")).expect("entered"));
        // The notice decides: what it does not list is an ordinary day.
        assert!(c.is_workday(d("2027-02-05")).expect("entered"));
    }

    #[test]
    fn statutory_days_fall_on_the_official_holidays_2019_to_2026() {
        let c = cal();
        for year in 2019..=2026 {
            let days = statutory_holidays(year).expect("rule");
            let want = if year >= 2025 { 13 } else { 11 };
            // 中秋 fell on 国庆 in 2020: one day fewer.
            let want = if year == 2020 { want - 1 } else { want };
            assert_eq!(days.len(), want, "{year}: {days:?}");
            for (date, name) in days {
                assert!(
                    !c.is_workday(date).expect("covered"),
                    "{year}: {name} {date} is a working day in the notice"
                );
            }
        }
        // Spot checks by hand: 春节 2026 (17 Feb), 清明 2025 (4 Apr), 端午
        // 2024 (10 Jun), 中秋 2023 (29 Sep).
        let has = |y: i32, s: &str| {
            statutory_holidays(y)
                .expect("rule")
                .iter()
                .any(|(x, _)| *x == d(s))
        };
        assert!(has(2026, "2026-02-16") && has(2026, "2026-02-17") && has(2026, "2026-02-19"));
        assert!(has(2025, "2025-04-04"));
        assert!(has(2024, "2024-06-10"));
        assert!(has(2023, "2023-09-29"));
        assert!(
            !has(2024, "2024-02-09"),
            "除夕 became statutory only in 2025"
        );
    }

    fn naive_add(c: &WorkCalendar, from: NaiveDate, n: u32) -> NaiveDate {
        let mut day = from;
        let mut left = n;
        while left > 0 {
            day += Duration::days(1);
            if c.is_workday(day).expect("covered") {
                left -= 1;
            }
        }
        day
    }

    fn naive_count(c: &WorkCalendar, from: NaiveDate, to: NaiveDate) -> i64 {
        let mut n = 0;
        let mut day = from;
        while day < to {
            day += Duration::days(1);
            if c.is_workday(day).expect("covered") {
                n += 1;
            }
        }
        n
    }

    #[test]
    fn arithmetic_matches_day_by_day_count() {
        // Deterministic pseudo-random sweep (a property test without a framework).
        let c = cal();
        let start = d("2019-01-01");
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..3000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let from = start + Duration::days((x % 2700) as i64);
            let n = ((x >> 20) % 60) as u32;
            let got = c.add_workdays(from, n).expect("in range");
            assert_eq!(got, naive_add(&c, from, n), "add {n} to {from}");
            if n > 0 {
                assert!(c.is_workday(got).expect("covered"));
            }
            let to = from + Duration::days(((x >> 40) % 200) as i64);
            if to.year() <= 2026 {
                assert_eq!(
                    c.workdays_between(from, to).expect("in range"),
                    naive_count(&c, from, to),
                    "count ({from}, {to}]"
                );
            }
        }
    }

    #[test]
    fn format_roundtrip_and_parse_errors() {
        let years = parse_schedules(BUILTIN_SCHEDULES).expect("builtin parses");
        assert!(years.len() >= 8);
        assert_eq!(
            parse_schedules(&format_schedules(&years)).expect("reparse"),
            years
        );
        let err = parse_schedules("year 2030\n2030-13-01 off x\n").expect_err("bad month");
        assert!(matches!(err, CalendarError::Parse { line: 2, .. }));
    }

    #[test]
    fn entered_year_is_checked() {
        let ok = YearSchedule {
            year: 2027,
            source: String::new(),
            days: vec![
                ScheduleDay {
                    date: d("2027-01-01"),
                    off: true,
                    name: "元旦".into(),
                },
                ScheduleDay {
                    date: d("2027-02-06"),
                    off: false,
                    name: "春节".into(),
                },
            ],
        };
        assert!(ok.check().is_ok());
        let bad = YearSchedule {
            year: 2027,
            source: String::new(),
            days: vec![
                ScheduleDay {
                    date: d("2026-06-01"),
                    off: true,
                    name: "x".into(),
                },
                ScheduleDay {
                    date: d("2027-02-08"),
                    off: false,
                    name: "周一".into(),
                },
                ScheduleDay {
                    date: d("2027-02-08"),
                    off: true,
                    name: "dup".into(),
                },
            ],
        };
        let errs = bad.check().expect_err("three problems");
        let codes: Vec<_> = errs.0.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(codes, ["wrong_year", "not_weekend", "duplicate"]);
    }

    #[test]
    fn holiday_cn_conversion() {
        let y = from_holiday_cn_json(
            r#"{"year":2027,"papers":["p"],"days":[{"name":"元旦","date":"2027-01-01","isOffDay":true}]}"#,
        )
        .expect("parses");
        assert_eq!(y.year, 2027);
        assert!(y.days[0].off);
        let c = WorkCalendar::builtin_with(&[y]).expect("builds");
        assert!(!c.is_workday(d("2027-01-01")).expect("now covered"));
        assert!(c.is_workday(d("2027-01-04")).expect("Monday"));
    }
}
