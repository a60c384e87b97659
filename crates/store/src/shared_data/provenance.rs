//! Where a 免提交 material stands on a case (SPEC §5, §6): obtained by a
//! lookup or stood for by an e-certificate, being obtained, not obtained, or
//! — a source the platform does not reach itself — verified by the window.
//! Pages word it; this says which it is, from the case's lookups.

use tongban_domain::case::CaseState;
use tongban_domain::catalog::{ItemDoc, Material};

use super::FetchRecord;

/// Where a 免提交 material stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provenance {
    /// Before submission: the platform will look it up (`lookup`), or the
    /// window will verify it with `source`.
    Draft { lookup: bool, source: String },
    /// An e-certificate stands for it (免证办).
    Certificate { licence_id: String },
    /// A lookup found it.
    Obtained { source: String, at: i64 },
    /// Its lookup has not been made yet.
    Pending,
    /// Its lookups did not find it (each source and why): the window
    /// verifies it, and the applicant may be asked for it.
    NotObtained { why: Vec<String> },
    /// The e-certificate found cannot stand for it (expired, revoked …).
    Refused { why: String },
    /// A source the platform does not reach: the window verifies it.
    ByWindow { source: String },
}

impl Provenance {
    /// The applicant is spared bringing it (nothing to upload or to ask).
    pub fn spares(&self) -> bool {
        !matches!(
            self,
            Provenance::NotObtained { .. } | Provenance::Refused { .. }
        )
    }
}

/// Where 免提交 material `m` of `doc` stands on a case in `state` with the
/// lookups `fetches` (as the viewer sees them: the material a certificate
/// stood for is kept for every viewer).
pub fn provenance(
    doc: &ItemDoc,
    m: &Material,
    state: CaseState,
    fetches: &[FetchRecord],
) -> Provenance {
    let name = m.name.trim();
    let source = m.data_source.trim().to_string();
    let lookups: Vec<&str> = doc
        .shared_data
        .iter()
        .filter(|l| l.satisfies.iter().any(|x| x.trim() == name))
        .map(|l| l.source.as_str())
        .collect();
    if state == CaseState::Draft {
        return Provenance::Draft {
            lookup: !lookups.is_empty(),
            source,
        };
    }
    let for_this = |f: &&FetchRecord| f.data.get("material").and_then(|v| v.as_str()) == Some(name);
    if let Some(f) = fetches
        .iter()
        .rev()
        .filter(for_this)
        .find(|f| f.outcome == "certificate" || f.outcome == "rejected")
    {
        let id = f
            .data
            .get("licence_id")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        return if f.outcome == "certificate" {
            Provenance::Certificate { licence_id: id }
        } else {
            Provenance::Refused {
                why: f.message.clone(),
            }
        };
    }
    if lookups.is_empty() {
        return Provenance::ByWindow { source };
    }
    // The last lookup of each source that stands for it.
    let last: Vec<&FetchRecord> = lookups
        .iter()
        .filter_map(|k| fetches.iter().rev().find(|f| f.source_key == *k))
        .collect();
    if let Some(f) = last.iter().find(|f| f.outcome == "found") {
        return Provenance::Obtained {
            source: f.source_name.clone(),
            at: f.at,
        };
    }
    if last.is_empty() || last.iter().any(|f| f.outcome == "queued") {
        return Provenance::Pending;
    }
    Provenance::NotObtained {
        why: last
            .iter()
            .map(|f| format!("{}：{}", f.source_name, f.message))
            .collect(),
    }
}
