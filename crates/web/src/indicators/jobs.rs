//! The monthly 指标调度 report, made by a scheduled job: on the first
//! working day of each month, last month's workbook of every centre; and
//! before it, the sums of the months closed since the last tick.

use crate::AppState;

/// The job's tick, as `spawn_background` runs it.
pub fn monthly_tick(
    s: AppState,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + Send>> {
    Box::pin(async move { s.monthly_kpi_report_tick().await.map(|_| ()) })
}

impl AppState {
    /// From the first working day of a month on, makes last month's 指标调度
    /// report of every centre that has none yet. Under a database lease,
    /// and each report is stored once (a second instance's attempt stores
    /// nothing), so every centre gets exactly one per month. Returns how
    /// many reports this call stored.
    pub async fn monthly_kpi_report_tick(&self) -> anyhow::Result<usize> {
        let today = self.today();
        // Closed months are summed first (their figures read the sums).
        self.store.kpi_summarize(today).await?;
        let cal = self.calendar();
        let first = chrono::Datelike::with_day(&today, 1).unwrap_or(today);
        // The first working day of the month (the calendar decides; a
        // month without a notice yet counts its provisional days).
        let mut day = first;
        for _ in 0..31 {
            if cal.is_workday(day).unwrap_or(true) {
                break;
            }
            day = day.succ_opt().unwrap_or(day);
        }
        if today < day {
            return Ok(0);
        }
        let month = super::export::last_month(today);
        // Nothing to do once every centre has its report (checked before
        // taking the lease: the tick runs every minute).
        let centres = self.store.centres().await?;
        let mut due = Vec::new();
        for c in &centres {
            if !self.store.kpi_report_saved(c.id, &month).await? {
                due.push(c.id);
            }
        }
        if due.is_empty() {
            return Ok(0);
        }
        let Some(lease) = self.lease("kpi-report-monthly").await? else {
            return Ok(0);
        };
        let mut made = 0;
        for id in due {
            if !lease.is_held() {
                break;
            }
            // One centre's failure leaves the others their reports.
            match super::export::monthly_report(&self.store, id, &month).await {
                Ok(bytes) => {
                    if self.store.save_kpi_report(id, &month, &bytes).await? {
                        made += 1;
                    }
                }
                Err(e) => tracing::warn!(
                    centre = id,
                    month,
                    "monthly indicator report failed: {}",
                    e.en
                ),
            }
        }
        lease.release().await?;
        if made > 0 {
            tracing::info!(month, made, "monthly indicator reports made");
        }
        Ok(made)
    }
}
