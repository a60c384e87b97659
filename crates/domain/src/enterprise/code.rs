//! 投资项目代码: the two forms seen in national data (SPEC §9).
//!
//! - The older form `YYYY-AAAAAA-II-TT-NNNNNN` (the 2016 online platform):
//!   the year the code was given (2016–2020), the division code, the
//!   industry (国民经济行业门类, two digits), the filing type and a serial.
//! - The current form of GB/T 40058-2021, also 24 characters with its
//!   separators: `YYMM-AAAAAA-BB-TT-RRRRRC` — year and month, division code,
//!   the central guiding department (two digits), the filing type, a random
//!   part and a check character.
//!
//! The two never read alike: a current code's first four digits are a year
//! and month (month 01–12), an older code's a year 2016–2020 (its last two
//! digits 16–20 are never a month). The current form's check character is
//! computed by the national platform, whose algorithm is not published with
//! the standard we follow; it is checked for its shape (a digit or a capital
//! letter), not recomputed.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::codes::DivisionCode;
use crate::error::FieldError;

/// Which form a code is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProjectCodeForm {
    /// GB/T 40058-2021.
    Current,
    /// `YYYY-AAAAAA-II-TT-NNNNNN`.
    Legacy,
}

/// How the project was put on record (项目类型代码).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Filing {
    /// 审批 (government investment).
    Approval,
    /// 核准.
    Verification,
    /// 备案.
    Record,
}

impl Filing {
    pub fn zh(self) -> &'static str {
        match self {
            Filing::Approval => "审批",
            Filing::Verification => "核准",
            Filing::Record => "备案",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            Filing::Approval => "approval",
            Filing::Verification => "verification",
            Filing::Record => "record",
        }
    }
}

/// Why a project code was refused: each says what is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectCodeError {
    Empty,
    Length(usize),
    Separators,
    /// A character that is not a digit where digits belong (1-based position).
    NotDigit(usize),
    /// Neither a year 2016–2020 nor a year and month.
    Time(String),
    Division(String),
    Filing(String),
    /// The current form's last character is not a digit or capital letter.
    CheckShape(char),
}

impl ProjectCodeError {
    pub fn zh(&self) -> String {
        match self {
            Self::Empty => "请填写投资项目代码".into(),
            Self::Length(n) => format!("投资项目代码应为24位（含连字符），实际为{n}位"),
            Self::Separators => "投资项目代码应按“XXXX-XXXXXX-XX-XX-XXXXXX”以连字符分段".into(),
            Self::NotDigit(p) => format!("投资项目代码第{p}位应为数字"),
            Self::Time(t) => format!(
                "投资项目代码的时间代码“{t}”无效：应为2016至2020年的年份（旧版）或年月（新版，月份01至12）"
            ),
            Self::Division(d) => format!("投资项目代码的地区代码“{d}”不是有效的行政区划代码"),
            Self::Filing(t) => {
                format!("投资项目代码的项目类型代码“{t}”无效：应为01审批、02核准或03备案")
            }
            Self::CheckShape(c) => format!("投资项目代码的校验码“{c}”应为数字或大写字母"),
        }
    }
    pub fn en(&self) -> String {
        match self {
            Self::Empty => "enter the project code".into(),
            Self::Length(n) => {
                format!("a project code has 24 characters with its hyphens, got {n}")
            }
            Self::Separators => "a project code reads XXXX-XXXXXX-XX-XX-XXXXXX".into(),
            Self::NotDigit(p) => format!("character {p} of the project code must be a digit"),
            Self::Time(t) => format!(
                "time part {t:?} is neither a year 2016-2020 (older form) nor a year and month (current form)"
            ),
            Self::Division(d) => format!("region part {d:?} is not a division code"),
            Self::Filing(t) => {
                format!("type part {t:?} must be 01 (approval), 02 (verification) or 03 (record)")
            }
            Self::CheckShape(c) => {
                format!("check character {c:?} must be a digit or a capital letter")
            }
        }
    }
    pub fn into_field(self, field: &str) -> FieldError {
        FieldError::new(field, "invalid_code", self.zh(), self.en())
    }
}

/// A checked 投资项目代码; the only constructor is [`ProjectCode::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProjectCode {
    text: String,
    form: ProjectCodeForm,
    /// The first day of the year (older form) or month (current form).
    given: NaiveDate,
    filing: Filing,
}

impl ProjectCode {
    /// Parses either form. `today` bounds the time part: a code is never
    /// dated after the month it is entered in.
    pub fn parse(input: &str, today: NaiveDate) -> Result<Self, ProjectCodeError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(ProjectCodeError::Empty);
        }
        let n = s.chars().count();
        if n != 24 {
            return Err(ProjectCodeError::Length(n));
        }
        let b = s.as_bytes();
        // Positions of the hyphens: after 4, 11, 14 and 17 characters.
        for (i, c) in s.chars().enumerate() {
            let hyphen = matches!(i, 4 | 11 | 14 | 17);
            if hyphen != (c == '-') {
                return Err(ProjectCodeError::Separators);
            }
        }
        for (i, c) in b.iter().enumerate().take(23) {
            if !matches!(i, 4 | 11 | 14 | 17) && !c.is_ascii_digit() {
                return Err(ProjectCodeError::NotDigit(i + 1));
            }
        }
        let time = &s[0..4];
        let region = &s[5..11];
        let filing_part = &s[15..17];
        let last = char::from(b[23]);
        let t: u32 = time.parse().map_err(|_| ProjectCodeError::NotDigit(1))?;
        let (form, given) = if (2016..=2020).contains(&t) {
            if !last.is_ascii_digit() {
                return Err(ProjectCodeError::NotDigit(24));
            }
            let y = i32::try_from(t).map_err(|_| ProjectCodeError::Time(time.into()))?;
            let d = NaiveDate::from_ymd_opt(y, 1, 1)
                .ok_or_else(|| ProjectCodeError::Time(time.into()))?;
            (ProjectCodeForm::Legacy, d)
        } else {
            let (yy, mm) = (t / 100, t % 100);
            let year = 2000 + i32::try_from(yy).map_err(|_| ProjectCodeError::Time(time.into()))?;
            // The current form came into use in November 2020.
            let d = NaiveDate::from_ymd_opt(year, mm, 1)
                .filter(|d| *d >= NaiveDate::from_ymd_opt(2020, 11, 1).unwrap_or(*d))
                .ok_or_else(|| ProjectCodeError::Time(time.into()))?;
            if !(last.is_ascii_digit() || last.is_ascii_uppercase()) {
                return Err(ProjectCodeError::CheckShape(last));
            }
            (ProjectCodeForm::Current, d)
        };
        let this_month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
        if given > this_month {
            return Err(ProjectCodeError::Time(time.into()));
        }
        DivisionCode::parse(region).map_err(|_| ProjectCodeError::Division(region.into()))?;
        let filing = match filing_part {
            "01" => Filing::Approval,
            "02" => Filing::Verification,
            "03" => Filing::Record,
            other => return Err(ProjectCodeError::Filing(other.into())),
        };
        Ok(Self {
            text: s.to_string(),
            form,
            given,
            filing,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
    pub fn form(&self) -> ProjectCodeForm {
        self.form
    }
    pub fn filing(&self) -> Filing {
        self.filing
    }
    /// The division the code was given in.
    pub fn division(&self) -> &str {
        &self.text[5..11]
    }
    /// The year (and, in the current form, month) the code was given.
    pub fn given(&self) -> NaiveDate {
        self.given
    }
}

impl fmt::Display for ProjectCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 7).expect("date")
    }
    fn parse(s: &str) -> Result<ProjectCode, ProjectCodeError> {
        ProjectCode::parse(s, today())
    }

    #[test]
    fn the_current_form_is_read_with_its_month_and_filing() {
        let c = parse("2611-339901-04-01-53127K").expect("valid");
        assert_eq!(c.form(), ProjectCodeForm::Current);
        assert_eq!(c.filing(), Filing::Approval);
        assert_eq!(c.division(), "339901");
        assert_eq!(
            c.given(),
            NaiveDate::from_ymd_opt(2026, 11, 1).expect("date")
        );
        let c = parse(" 2012-339901-89-03-000017 ").expect("trimmed, December 2020");
        assert_eq!(c.form(), ProjectCodeForm::Current);
        assert_eq!(c.as_str(), "2012-339901-89-03-000017");
    }

    #[test]
    fn the_older_form_is_read_with_its_year() {
        let c = parse("2019-339901-47-02-012345").expect("valid");
        assert_eq!(c.form(), ProjectCodeForm::Legacy);
        assert_eq!(c.filing(), Filing::Verification);
        assert_eq!(
            c.given(),
            NaiveDate::from_ymd_opt(2019, 1, 1).expect("date")
        );
    }

    #[test]
    fn each_kind_of_error_is_named() {
        assert_eq!(parse(""), Err(ProjectCodeError::Empty));
        assert_eq!(
            parse("2611-339901-04-01-5312"),
            Err(ProjectCodeError::Length(22))
        );
        assert_eq!(
            parse("2611_339901-04-01-53127K"),
            Err(ProjectCodeError::Separators)
        );
        assert_eq!(
            parse("26113399010401531270K-xx"),
            Err(ProjectCodeError::Separators)
        );
        assert_eq!(
            parse("2611-3399A1-04-01-53127K"),
            Err(ProjectCodeError::NotDigit(10))
        );
        assert_eq!(
            parse("2611-339901-04-01-5312AK"),
            Err(ProjectCodeError::NotDigit(23))
        );
        // The older form's serial is all digits.
        assert_eq!(
            parse("2019-339901-47-02-01234X"),
            Err(ProjectCodeError::NotDigit(24))
        );
        // Month 13; a year and month before the current form; a future month.
        assert_eq!(
            parse("2613-339901-04-01-53127K"),
            Err(ProjectCodeError::Time("2613".into()))
        );
        assert_eq!(
            parse("2010-339901-04-01-53127K"),
            Err(ProjectCodeError::Time("2010".into()))
        );
        assert_eq!(
            parse("2701-339901-04-01-53127K"),
            Err(ProjectCodeError::Time("2701".into()))
        );
        assert_eq!(
            parse("2611-999901-04-01-53127K"),
            Err(ProjectCodeError::Division("999901".into()))
        );
        assert_eq!(
            parse("2611-339901-04-04-53127K"),
            Err(ProjectCodeError::Filing("04".into()))
        );
        assert_eq!(
            parse("2611-339901-04-01-53127k"),
            Err(ProjectCodeError::CheckShape('k'))
        );
        // Every message names what is wrong, in both languages.
        let e = parse("2613-339901-04-01-53127K").expect_err("month 13");
        assert!(e.zh().contains("2613") && e.en().contains("2613"));
        let f = e.into_field("code");
        assert_eq!(
            (f.field.as_str(), f.code.as_str()),
            ("code", "invalid_code")
        );
    }
}
