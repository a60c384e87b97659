//! Time limits of a guide (法定/承诺办结时限) and the bounded day count
//! they are made of.

use serde::{Deserialize, Serialize};

use super::DayUnit;

/// A count of days in a time limit (法定/承诺办结时限, a bundle's promise, a
/// calendar question): 0 to [`DayCount::MAX`]. Larger numbers are refused
/// where they come in, so deadline arithmetic never wraps around.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(try_from = "i64", into = "u32")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = u32, minimum = 0, maximum = 1000))]
pub struct DayCount(u32);

impl DayCount {
    /// The longest time limit a guide may state, in days (about four years
    /// of working days; no 办结时限 in law comes near it).
    pub const MAX: u32 = 1000;
    pub const ZERO: DayCount = DayCount(0);

    /// `None` above [`DayCount::MAX`].
    pub const fn new(n: u32) -> Option<Self> {
        if n <= Self::MAX { Some(Self(n)) } else { None }
    }
    /// A constant count; a number above the maximum does not compile when
    /// used in a `const`.
    pub const fn of(n: u32) -> Self {
        assert!(n <= Self::MAX, "a day count is at most DayCount::MAX");
        Self(n)
    }
    pub const fn get(self) -> u32 {
        self.0
    }
    /// The error a number out of range gets, naming the field.
    pub fn out_of_range(field: &str) -> crate::FieldError {
        crate::FieldError::new(
            field,
            "out_of_range",
            format!("天数应为0至{}", Self::MAX),
            format!("a number of days is 0 to {}", Self::MAX),
        )
    }
}

impl TryFrom<i64> for DayCount {
    type Error = String;
    fn try_from(n: i64) -> Result<Self, Self::Error> {
        u32::try_from(n).ok().and_then(Self::new).ok_or_else(|| {
            format!(
                "a number of days is 0 to {} (天数应为0至{})",
                Self::MAX,
                Self::MAX
            )
        })
    }
}

impl From<DayCount> for u32 {
    fn from(d: DayCount) -> u32 {
        d.0
    }
}

impl std::fmt::Display for DayCount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for DayCount {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let n: i64 = s
            .trim()
            .parse()
            .map_err(|_| format!("{s}: not a whole number of days"))?;
        Self::try_from(n)
    }
}

/// A time limit with its unit and explanation (法定/承诺办结时限).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimeLimit {
    pub days: DayCount,
    pub unit: DayUnit,
    #[serde(default)]
    pub explanation: String,
}

impl TimeLimit {
    pub fn working(days: DayCount) -> Self {
        Self {
            days,
            unit: DayUnit::WorkingDays,
            explanation: String::new(),
        }
    }
    pub fn zh(&self) -> String {
        format!("{}个{}", self.days, self.unit.zh())
    }
    pub fn en(&self) -> String {
        format!("{} {}", self.days, self.unit.en())
    }
}
