//! Bulk data for the ratings' benchmarks and load tests (not used by the
//! server): invitations of one applicant, and a year of ratings with their
//! rollups, written with multi-row statements in one transaction each.

use chrono::{Duration, NaiveDate};

use crate::sql::rows;
use crate::{Result, Store, exec, get, now_ms, query_one};

impl Store {
    /// `n` completed cases of `applicant` (ids from `first_id`) that may be
    /// rated: rating invitations of department `department_id`, completed
    /// on `completed_on`. Only the invitations are written (a rating needs
    /// nothing else).
    pub async fn seed_rating_invitations(
        &self,
        applicant: i64,
        first_id: i64,
        n: usize,
        department_id: i64,
        item_code: &str,
        completed_on: NaiveDate,
    ) -> Result<()> {
        let centre = query_one(
            self.conn(),
            "SELECT id, path FROM centres ORDER BY id LIMIT 1",
            vec![],
        )
        .await?
        .ok_or_else(|| crate::StoreError::Corrupt("no centre".into()))?;
        let (cid, path): (i64, String) = (get(&centre, "id")?, get(&centre, "path")?);
        let txn = self.begin().await?;
        let b = sea_orm::ConnectionTrait::get_database_backend(&txn);
        for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
            let mut v: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len() * 14);
            for i in chunk {
                let id = first_id + *i as i64;
                v.extend([
                    "case".into(),
                    id.into(),
                    format!("BENCH{id:012}").into(),
                    cid.into(),
                    path.clone().into(),
                    Some(department_id).into(),
                    item_code.into(),
                    "基准测试事项".into(),
                    Some(applicant).into(),
                    None::<i64>.into(),
                    "[]".into(),
                    true.into(),
                    completed_on.to_string().into(),
                    now_ms().into(),
                ]);
            }
            exec(
                &txn,
                &format!(
                    "INSERT INTO rating_invitations (subject, subject_id, subject_no, centre_id, centre_path, department_id, \
                     item_code, item_name, applicant_user_id, window_user_id, staff, real_name, completed_on, created_at) VALUES {}",
                    rows(b, chunk.len(), 14, "")
                ),
                v,
            )
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// `n` ratings spread over the `days` days up to `last`, across
    /// `departments` departments (ids 1 ..) and `items` items each, about
    /// one in twelve a 差评 (no rectification rows: the figures read the
    /// ratings and the rollups), with their invitations and rollups.
    pub async fn seed_ratings(
        &self,
        n: usize,
        last: NaiveDate,
        days: i64,
        departments: i64,
        items: i64,
    ) -> Result<()> {
        let centre = query_one(
            self.conn(),
            "SELECT id, path FROM centres ORDER BY id LIMIT 1",
            vec![],
        )
        .await?
        .ok_or_else(|| crate::StoreError::Corrupt("no centre".into()))?;
        let (cid, path): (i64, String) = (get(&centre, "id")?, get(&centre, "path")?);
        let start: i64 = query_one(
            self.conn(),
            "SELECT COALESCE(MAX(id), 0) AS n FROM rating_invitations",
            vec![],
        )
        .await?
        .map(|r| get(&r, "n"))
        .transpose()?
        .unwrap_or(0);
        let txn = self.begin().await?;
        let b = sea_orm::ConnectionTrait::get_database_backend(&txn);
        let now = now_ms();
        for chunk in (0..n).collect::<Vec<_>>().chunks(400) {
            let mut inv: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len() * 14);
            let mut rat: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len() * 20);
            for i in chunk {
                let k = *i as i64;
                let inv_id = start + k + 1;
                let dept = 1 + k % departments;
                let item = format!("BENCHITEM{dept:02}{:03}", (k / departments) % items);
                let day = last - Duration::days(k % days);
                // Mostly 5 and 4; a 差评 about one in twelve.
                let level: i64 = match k % 12 {
                    0 => 2,
                    1 | 2 => 3,
                    3..=6 => 4,
                    _ => 5,
                };
                inv.extend([
                    "case".into(),
                    (1_000_000_000 + inv_id).into(),
                    format!("BENCH{inv_id:012}").into(),
                    cid.into(),
                    path.clone().into(),
                    Some(dept).into(),
                    item.clone().into(),
                    format!("基准事项{item}").into(),
                    None::<i64>.into(),
                    None::<i64>.into(),
                    "[]".into(),
                    true.into(),
                    day.to_string().into(),
                    now.into(),
                ]);
                rat.extend([
                    inv_id.into(),
                    "online".into(),
                    0i64.into(),
                    cid.into(),
                    path.clone().into(),
                    Some(dept).into(),
                    item.into(),
                    level.into(),
                    "{}".into(),
                    if level <= 2 { "[\"R01\"]" } else { "[]" }.into(),
                    "2026-1".into(),
                    "".into(),
                    false.into(),
                    false.into(),
                    day.to_string().into(),
                    now.into(),
                ]);
            }
            exec(
                &txn,
                &format!(
                    "INSERT INTO rating_invitations (subject, subject_id, subject_no, centre_id, centre_path, department_id, \
                     item_code, item_name, applicant_user_id, window_user_id, staff, real_name, completed_on, created_at) VALUES {}",
                    rows(b, chunk.len(), 14, "")
                ),
                inv,
            )
            .await?;
            exec(
                &txn,
                &format!(
                    "INSERT INTO ratings (invitation_id, channel, revision, centre_id, centre_path, department_id, item_code, \
                     level, indicators, reasons, reasons_version, comment, is_default, excluded, rated_on, created_at) VALUES {}",
                    rows(b, chunk.len(), 16, "")
                ),
                rat,
            )
            .await?;
        }
        exec(&txn, "DELETE FROM rating_rollups", vec![]).await?;
        exec(
            &txn,
            "INSERT INTO rating_rollups (centre_id, department_id, item_code, day, channel, is_default, level, n) \
             SELECT centre_id, COALESCE(department_id, 0), item_code, rated_on, channel, is_default, level, COUNT(*) \
             FROM ratings WHERE excluded = $1 AND superseded_by IS NULL \
             GROUP BY centre_id, COALESCE(department_id, 0), item_code, rated_on, channel, is_default, level",
            vec![false.into()],
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}
