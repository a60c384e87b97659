//! 授权委托: an enterprise authorizes a concierge to act for it — for all
//! its applications or for listed items — between two dates, until it
//! revokes the authorization. Every act under it names both.

use std::collections::BTreeSet;

use chrono::NaiveDate;

/// What an authorization covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MandateScope {
    /// Every item.
    All,
    /// Only these items (实施编码).
    Items(BTreeSet<String>),
}

/// One recorded authorization, as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mandate {
    pub scope: MandateScope,
    pub valid_from: NaiveDate,
    /// The last day it is valid.
    pub valid_to: NaiveDate,
    /// The day the enterprise revoked it, if it did.
    pub revoked_on: Option<NaiveDate>,
}

/// Why an act under an authorization was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MandateRefusal {
    /// No authorization of this enterprise names this concierge.
    None,
    NotYetValid(NaiveDate),
    Expired(NaiveDate),
    Revoked(NaiveDate),
    /// The item is not among those the authorization lists.
    OutOfScope(String),
}

impl MandateRefusal {
    pub fn zh(&self) -> String {
        match self {
            Self::None => "您没有该企业的授权委托，不能代其办理".into(),
            Self::NotYetValid(d) => format!("该企业的授权委托自{d}起生效，目前尚不能代其办理"),
            Self::Expired(d) => format!("该企业的授权委托已于{d}到期，请企业重新授权"),
            Self::Revoked(d) => format!("该企业已于{d}撤销授权委托"),
            Self::OutOfScope(item) => format!("授权委托不包括事项“{item}”"),
        }
    }
    pub fn en(&self) -> String {
        match self {
            Self::None => "you hold no authorization of this enterprise".into(),
            Self::NotYetValid(d) => format!("the authorization is valid from {d}"),
            Self::Expired(d) => {
                format!("the authorization expired on {d}; the enterprise must authorize again")
            }
            Self::Revoked(d) => format!("the enterprise revoked the authorization on {d}"),
            Self::OutOfScope(item) => format!("the authorization does not cover {item}"),
        }
    }
}

impl Mandate {
    /// Whether the authorization lets its concierge act on `impl_code`
    /// (`None`: an act that concerns no single item, e.g. raising a
    /// ticket on a project) on `today`.
    pub fn covers(&self, impl_code: Option<&str>, today: NaiveDate) -> Result<(), MandateRefusal> {
        if let Some(r) = self.revoked_on.filter(|r| *r <= today) {
            return Err(MandateRefusal::Revoked(r));
        }
        if today < self.valid_from {
            return Err(MandateRefusal::NotYetValid(self.valid_from));
        }
        if today > self.valid_to {
            return Err(MandateRefusal::Expired(self.valid_to));
        }
        match (&self.scope, impl_code) {
            (MandateScope::Items(items), Some(code)) if !items.contains(code) => {
                Err(MandateRefusal::OutOfScope(code.to_string()))
            }
            _ => Ok(()),
        }
    }

    /// The best answer among an enterprise's authorizations of one
    /// concierge: the first that covers, else the refusal of the one that
    /// came nearest (in scope but out of date beats out of scope).
    pub fn any_covers(
        mandates: &[Mandate],
        impl_code: Option<&str>,
        today: NaiveDate,
    ) -> Result<(), MandateRefusal> {
        let mut best = MandateRefusal::None;
        for m in mandates {
            match m.covers(impl_code, today) {
                Ok(()) => return Ok(()),
                Err(e) => {
                    let nearer = match (&best, &e) {
                        (MandateRefusal::None, _) => true,
                        (MandateRefusal::OutOfScope(_), MandateRefusal::OutOfScope(_)) => false,
                        (MandateRefusal::OutOfScope(_), _) => true,
                        _ => false,
                    };
                    if nearer {
                        best = e;
                    }
                }
            }
        }
        Err(best)
    }
}

/// The words every act under an authorization is recorded with:
/// "钱专员 代 某公司".
pub fn acting_for(concierge: &str, enterprise: &str) -> String {
    format!("{concierge} 代 {enterprise}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }
    fn mandate(scope: MandateScope) -> Mandate {
        Mandate {
            scope,
            valid_from: d("2026-12-01"),
            valid_to: d("2027-05-31"),
            revoked_on: None,
        }
    }

    #[test]
    fn an_authorization_covers_its_days_and_no_others() {
        let m = mandate(MandateScope::All);
        assert_eq!(m.covers(Some("A"), d("2026-12-01")), Ok(()));
        assert_eq!(
            m.covers(Some("A"), d("2027-05-31")),
            Ok(()),
            "the last day counts"
        );
        assert_eq!(
            m.covers(Some("A"), d("2026-11-30")),
            Err(MandateRefusal::NotYetValid(d("2026-12-01")))
        );
        assert_eq!(
            m.covers(Some("A"), d("2027-06-01")),
            Err(MandateRefusal::Expired(d("2027-05-31")))
        );
    }

    #[test]
    fn a_listed_scope_covers_only_its_items() {
        let m = mandate(MandateScope::Items(["A".to_string()].into()));
        assert_eq!(m.covers(Some("A"), d("2026-12-07")), Ok(()));
        assert_eq!(
            m.covers(Some("B"), d("2026-12-07")),
            Err(MandateRefusal::OutOfScope("B".into()))
        );
        // A ticket on the project names no item.
        assert_eq!(m.covers(None, d("2026-12-07")), Ok(()));
    }

    #[test]
    fn a_revocation_ends_it_from_that_day() {
        let mut m = mandate(MandateScope::All);
        m.revoked_on = Some(d("2026-12-10"));
        assert_eq!(m.covers(Some("A"), d("2026-12-09")), Ok(()));
        assert_eq!(
            m.covers(Some("A"), d("2026-12-10")),
            Err(MandateRefusal::Revoked(d("2026-12-10")))
        );
    }

    #[test]
    fn the_nearest_refusal_is_told() {
        let listed = mandate(MandateScope::Items(["A".to_string()].into()));
        let mut old = mandate(MandateScope::All);
        old.valid_to = d("2026-12-05");
        assert_eq!(
            Mandate::any_covers(&[], Some("B"), d("2026-12-07")),
            Err(MandateRefusal::None)
        );
        assert_eq!(
            Mandate::any_covers(&[listed.clone(), old.clone()], Some("B"), d("2026-12-07")),
            Err(MandateRefusal::Expired(d("2026-12-05")))
        );
        assert_eq!(
            Mandate::any_covers(&[old, listed], Some("A"), d("2026-12-07")),
            Ok(())
        );
        assert_eq!(
            acting_for("钱专员", "示范建设有限公司"),
            "钱专员 代 示范建设有限公司"
        );
        assert!(
            MandateRefusal::Expired(d("2026-12-05"))
                .zh()
                .contains("2026-12-05")
        );
    }
}
