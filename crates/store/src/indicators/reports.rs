//! The stored monthly 指标调度 reports: one workbook per centre and month,
//! made once (the first writer wins; a second instance's attempt changes
//! nothing) and kept for download.

use serde::Serialize;

use crate::sql::{exec, get, query, query_one};
use crate::{Result, Store, now_ms};

/// A stored report, without its bytes.
#[derive(Debug, Clone, Serialize)]
pub struct StoredReport {
    pub centre_id: i64,
    pub centre_name: String,
    /// `2026-11`.
    pub month: String,
    /// SM3 of the file, hex.
    pub digest: String,
    pub created_at: i64,
}

impl Store {
    /// Stores a centre's report for a month unless one is stored already.
    /// Returns whether this call stored it.
    pub async fn save_kpi_report(&self, centre_id: i64, month: &str, file: &[u8]) -> Result<bool> {
        use sm3::Digest;
        let digest: String = sm3::Sm3::digest(file)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let n = exec(
            self.conn(),
            "INSERT INTO kpi_reports (centre_id, month, file, digest, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (centre_id, month) DO NOTHING",
            vec![
                centre_id.into(),
                month.into(),
                file.to_vec().into(),
                digest.into(),
                now_ms().into(),
            ],
        )
        .await?;
        Ok(n == 1)
    }

    /// Whether a centre's report for a month is stored.
    pub async fn kpi_report_saved(&self, centre_id: i64, month: &str) -> Result<bool> {
        Ok(query_one(
            self.conn(),
            "SELECT 1 AS one FROM kpi_reports WHERE centre_id = $1 AND month = $2",
            vec![centre_id.into(), month.into()],
        )
        .await?
        .is_some())
    }

    /// A stored report's file.
    pub async fn kpi_report_file(&self, centre_id: i64, month: &str) -> Result<Option<Vec<u8>>> {
        match query_one(
            self.conn(),
            "SELECT file FROM kpi_reports WHERE centre_id = $1 AND month = $2",
            vec![centre_id.into(), month.into()],
        )
        .await?
        {
            Some(r) => Ok(Some(get(&r, "file")?)),
            None => Ok(None),
        }
    }

    /// The stored reports of a centre and those below it, newest first.
    pub async fn kpi_reports(&self, centre_path: &str) -> Result<Vec<StoredReport>> {
        let rows = query(
            self.conn(),
            "SELECT r.centre_id, c.name, r.month, r.digest, r.created_at FROM kpi_reports r \
             JOIN centres c ON c.id = r.centre_id WHERE c.path LIKE $1 \
             ORDER BY r.month DESC, c.path LIMIT 240",
            vec![format!("{centre_path}%").into()],
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredReport {
                    centre_id: get(r, "centre_id")?,
                    centre_name: get(r, "name")?,
                    month: get(r, "month")?,
                    digest: get(r, "digest")?,
                    created_at: get(r, "created_at")?,
                })
            })
            .collect()
    }
}
