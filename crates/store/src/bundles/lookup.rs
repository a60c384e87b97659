//! The public progress lookup (办件查询) of a bundle application by its
//! number and verification code: the bundle's state and each service's, no
//! personal data.

use tongban_domain::bundle::BundleState;
use tongban_domain::case::CaseState;

use super::{BC_COLS, row_bc};
use crate::cases::{CASE_COLS, row_case};
use crate::{Result, Store, query, query_one};

/// A bundle application as anyone with its number and code may see it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PublicBundleProgress {
    pub bundle_no: String,
    pub name: String,
    pub state: BundleState,
    pub submitted_at: Option<i64>,
    /// The bundle's promised working days.
    pub promised_days: u32,
    /// Each service: (case number, item, department, state).
    pub services: Vec<(String, String, String, CaseState)>,
}

impl Store {
    /// A submitted bundle application by number and verification code;
    /// `None` for any mismatch (compared without an early exit).
    pub async fn lookup_bundle(
        &self,
        bundle_no: &str,
        code: &str,
    ) -> Result<Option<PublicBundleProgress>> {
        let bundle_no = bundle_no.trim();
        let code = code.trim().to_ascii_uppercase();
        if bundle_no.is_empty() || bundle_no.len() > 40 || code.len() != 8 {
            return Ok(None);
        }
        let Some(r) = query_one(
            self.conn(),
            &format!("SELECT {BC_COLS} WHERE bundle_no = $1"),
            vec![bundle_no.into()],
        )
        .await?
        else {
            return Ok(None);
        };
        let b = row_bc(&r)?;
        if !crate::sql::same_code(&b.verify_code, &code) || !b.submitted {
            return Ok(None);
        }
        let v = self.bundle_version(b.bundle_version_id).await?;
        let rows = query(
            self.conn(),
            &format!("SELECT {CASE_COLS} WHERE k.bundle_case_id = $1 ORDER BY k.id"),
            vec![b.id.into()],
        )
        .await?;
        let mut services = Vec::with_capacity(rows.len());
        for r in &rows {
            let c = row_case(r)?;
            services.push((c.case_no, c.item_name, c.lead_department_name, c.state));
        }
        Ok(Some(PublicBundleProgress {
            bundle_no: b.bundle_no,
            name: b.name,
            state: b.state,
            submitted_at: b.submitted_at,
            promised_days: v.doc.promised_days.get(),
            services,
        }))
    }
}
