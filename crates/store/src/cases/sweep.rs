//! The intake sweep (行政许可法 Art. 32): applications left 5 working days
//! without a notice are recorded as accepted from receipt, by the system.

use std::sync::Arc;

use chrono::NaiveDate;
use tongban_domain::calendar::WorkCalendar;

use super::writer::{Job, StepBy};
use crate::sql::{get, query};
use crate::{Result, Store, StoreError};

impl Store {
    /// 逾期未告知视为受理: records as accepted, from receipt, every submitted
    /// application left more than 5 working days without a notice. Returns
    /// how many were recorded. Safe to run on several instances at once (each
    /// case moves under its version check).
    pub async fn sweep_intake(&self, cal: &WorkCalendar, today: NaiveDate) -> Result<usize> {
        let rows = query(
            self.conn(),
            "SELECT id, version FROM cases WHERE state = 'submitted' ORDER BY id",
            vec![],
        )
        .await?;
        let cal = Arc::new(cal.clone());
        let mut n = 0;
        for chunk in rows.chunks(64) {
            let mut jobs = Vec::with_capacity(chunk.len());
            for r in chunk {
                let mut job =
                    Job::system(get(r, "id")?, StepBy::DeemedAcceptance, cal.clone(), today);
                job.expected_version = Some(get(r, "version")?);
                jobs.push(job);
            }
            for (job, r) in jobs.iter().zip(self.run_jobs(&jobs).await) {
                match r {
                    Ok(a) if Some(a.version) != job.expected_version => n += 1,
                    Ok(_) | Err(StoreError::Conflict { .. }) => {}
                    Err(e) => tracing::warn!(case = job.case_id, "intake sweep: {e}"),
                }
            }
        }
        Ok(n)
    }
}
