//! 联合验收: the completion stage's one joint inspection. Every inspecting
//! department records its own finding once; the combined result is known
//! when the last one is in — passed only if every department passed it.

use serde::{Deserialize, Serialize};

/// Where a joint inspection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InspectionResult {
    /// Some department has not recorded its finding yet.
    Pending,
    Passed,
    Failed,
}

impl InspectionResult {
    /// The combined result of the departments' findings (`None`: not yet
    /// recorded; `Some(true)`: passed). No department, no result.
    pub fn of(findings: &[Option<bool>]) -> Self {
        if findings.is_empty() || findings.iter().any(Option::is_none) {
            InspectionResult::Pending
        } else if findings.iter().all(|f| *f == Some(true)) {
            InspectionResult::Passed
        } else {
            InspectionResult::Failed
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            InspectionResult::Pending => "pending",
            InspectionResult::Passed => "passed",
            InspectionResult::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            InspectionResult::Pending,
            InspectionResult::Passed,
            InspectionResult::Failed,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }

    pub fn zh(self) -> &'static str {
        match self {
            InspectionResult::Pending => "验收中",
            InspectionResult::Passed => "联合验收合格",
            InspectionResult::Failed => "联合验收不合格",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            InspectionResult::Pending => "Under inspection",
            InspectionResult::Passed => "Passed the joint inspection",
            InspectionResult::Failed => "Failed the joint inspection",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::InspectionResult::*;
    use super::*;

    #[test]
    fn the_combined_result_waits_for_every_department_and_needs_every_pass() {
        assert_eq!(InspectionResult::of(&[]), Pending);
        assert_eq!(InspectionResult::of(&[Some(true), None]), Pending);
        assert_eq!(InspectionResult::of(&[Some(false), None]), Pending);
        assert_eq!(InspectionResult::of(&[Some(true), Some(true)]), Passed);
        assert_eq!(InspectionResult::of(&[Some(true), Some(false)]), Failed);
        for r in [Pending, Passed, Failed] {
            assert_eq!(InspectionResult::parse(r.as_str()), Some(r));
        }
    }
}
