//! Reading the figures: the rollups' sums for a scope and period, broken
//! down by centre, department, item, person, day or month, with the counts
//! read when asked (open cases past their promise; the published items'
//! limits for the compression ratio).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use tongban_domain::catalog::DayUnit;
use tongban_domain::indicators::values::{Dim, Scope, Totals, read};

use crate::sql::{get, query};
use crate::{Result, Store};

/// The key column of a breakdown (`None`: one row).
fn key_of(dim: Dim) -> Option<&'static str> {
    match dim {
        Dim::Total => None,
        Dim::Centre => Some("CAST(t.centre_id AS TEXT)"),
        Dim::Department => Some("CAST(t.department_id AS TEXT)"),
        Dim::Item => Some("t.impl_code"),
        Dim::Person => Some("CAST(t.person_id AS TEXT)"),
        Dim::Day => Some("t.day"),
        Dim::Month => Some("substr(t.day, 1, 7)"),
    }
}

/// The scope's conditions after `v`'s parameters (centre by path; the
/// rest as given), over columns named as in the rollups.
pub(crate) fn scope_sql(scope: &Scope, v: &mut Vec<sea_orm::Value>, dept_col: &str) -> String {
    v.push(format!("{}%", scope.centre_path).into());
    let mut s = format!(
        " AND t.centre_id IN (SELECT id FROM centres WHERE path LIKE ${})",
        v.len()
    );
    if let Some(d) = scope.department_id {
        v.push(d.into());
        s.push_str(&format!(" AND t.{dept_col} = ${}", v.len()));
    }
    if let Some(i) = &scope.impl_code {
        v.push(i.clone().into());
        s.push_str(&format!(" AND t.impl_code = ${}", v.len()));
    }
    if let Some(c) = &scope.channel {
        v.push(c.clone().into());
        s.push_str(&format!(" AND t.channel = ${}", v.len()));
    }
    s
}

impl Store {
    /// The case figures of `scope` over `from..=to` by `dim`. `open_as_of`:
    /// also count the cases open past their promise on that day (the
    /// current period only; not by day, month or person).
    pub async fn kpi_figures(
        &self,
        scope: &Scope,
        from: NaiveDate,
        to: NaiveDate,
        dim: Dim,
        open_as_of: Option<NaiveDate>,
    ) -> Result<Vec<(String, Totals)>> {
        let mut out: BTreeMap<String, Totals> = BTreeMap::new();
        let mut v: Vec<sea_orm::Value> = vec![from.to_string().into(), to.to_string().into()];
        // Whole months already summed are read from their sums (not by
        // person or day, which the sums leave out).
        let summed = match dim {
            Dim::Person | Dim::Day => None,
            _ => super::months::summed_within(self.read_conn(), from, to).await?,
        };
        let cond = scope_sql(scope, &mut v, "department_id");
        let sql = if let Some((first, last, a, b)) = summed {
            let raw_key = key_of(dim).unwrap_or("''");
            let month_key = if dim == Dim::Month {
                "t.month"
            } else {
                raw_key
            };
            let n = v.len();
            v.extend([
                a.to_string().into(),
                b.to_string().into(),
                first.into(),
                last.into(),
            ]);
            let mcond = scope_sql(scope, &mut v, "department_id");
            format!(
                "SELECT u.k, u.metric, CAST(SUM(u.v) AS BIGINT) AS v FROM (\
                 SELECT {raw_key} AS k, t.metric, t.value AS v FROM kpi_rollups t \
                 WHERE ((t.day >= $1 AND t.day < ${a}) OR (t.day > ${b} AND t.day <= $2)){cond} \
                 UNION ALL SELECT {month_key} AS k, t.metric, t.value AS v FROM kpi_months t \
                 WHERE t.month >= ${m1} AND t.month <= ${m2}{mcond}) u GROUP BY u.k, u.metric",
                a = n + 1,
                b = n + 2,
                m1 = n + 3,
                m2 = n + 4,
            )
        } else {
            match key_of(dim) {
                Some(k) => format!(
                    "SELECT {k} AS k, t.metric, CAST(SUM(t.value) AS BIGINT) AS v FROM kpi_rollups t \
                 WHERE t.day >= $1 AND t.day <= $2{cond} GROUP BY {k}, t.metric"
                ),
                None => format!(
                    "SELECT '' AS k, t.metric, CAST(SUM(t.value) AS BIGINT) AS v FROM kpi_rollups t \
                 WHERE t.day >= $1 AND t.day <= $2{cond} GROUP BY t.metric"
                ),
            }
        };
        for r in query(self.read_conn(), &sql, v).await? {
            let k: String = get(&r, "k")?;
            let m: String = get(&r, "metric")?;
            out.entry(k).or_default().add(&m, get(&r, "v")?);
        }
        if let Some(day) = open_as_of
            && !matches!(dim, Dim::Day | Dim::Month | Dim::Person)
        {
            for (k, n) in self.open_past_promise(scope, day, dim).await? {
                out.entry(k).or_default().add(read::OPEN_PAST_PROMISE, n);
            }
        }
        if !matches!(dim, Dim::Day | Dim::Month | Dim::Person) {
            for (k, legal, promised) in self.published_limits(scope, dim).await? {
                let t = out.entry(k).or_default();
                t.add(read::LEGAL_DAYS, legal);
                t.add(read::PROMISED_DAYS, promised);
            }
        }
        Ok(out.into_iter().collect())
    }

    /// Cases accepted and not yet decided whose promised date is before
    /// `day`, by `dim`. A suspended case is not counted: its clock stands
    /// still and its promised date moves on while it does.
    async fn open_past_promise(
        &self,
        scope: &Scope,
        day: NaiveDate,
        dim: Dim,
    ) -> Result<Vec<(String, i64)>> {
        let mut v: Vec<sea_orm::Value> = vec![day.to_string().into()];
        let cond = scope_sql(scope, &mut v, "lead_department_id");
        let k = match dim {
            Dim::Centre => "CAST(t.centre_id AS TEXT)",
            Dim::Department => "CAST(t.lead_department_id AS TEXT)",
            Dim::Item => "t.impl_code",
            _ => "''",
        };
        let group = if k == "''" {
            String::new()
        } else {
            format!(" GROUP BY {k}")
        };
        let rows = query(
            self.read_conn(),
            &format!(
                "SELECT {k} AS k, COUNT(*) AS n FROM cases t \
                 WHERE t.state IN ('review', 'decision') AND t.promised_due < $1{cond}{group}"
            ),
            v,
        )
        .await?;
        rows.iter()
            .map(|r| Ok((get(r, "k")?, get(r, "n")?)))
            .collect()
    }

    /// Σ legal and Σ promised working days of the published items, by `dim`
    /// (items whose limits are in working days and both given).
    async fn published_limits(&self, scope: &Scope, dim: Dim) -> Result<Vec<(String, i64, i64)>> {
        let mut v: Vec<sea_orm::Value> = Vec::new();
        v.push(format!("{}%", scope.centre_path).into());
        let mut cond = format!(
            " AND t.centre_id IN (SELECT id FROM centres WHERE path LIKE ${})",
            v.len()
        );
        if let Some(d) = scope.department_id {
            v.push(d.into());
            cond.push_str(&format!(" AND t.department_id = ${}", v.len()));
        }
        if let Some(i) = &scope.impl_code {
            v.push(i.clone().into());
            cond.push_str(&format!(" AND t.impl_code = ${}", v.len()));
        }
        let rows = query(
            self.read_conn(),
            &format!(
                "SELECT t.id, t.centre_id, t.department_id, t.impl_code FROM item_versions t \
                 WHERE t.status = 'published'{cond}"
            ),
            v,
        )
        .await?;
        let mut out: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for r in &rows {
            // A published version never changes: its parsed document is
            // cached. One that does not parse is the catalogue's problem,
            // not a reason to fail every dashboard: it is left out.
            let doc = match self.item_doc(get(r, "id")?).await {
                Ok(d) => d,
                Err(crate::StoreError::Corrupt(_)) => continue,
                Err(e) => return Err(e),
            };
            let (Some(l), Some(p)) = (doc.legal_limit.clone(), doc.promised_limit.clone()) else {
                continue;
            };
            if l.unit != DayUnit::WorkingDays || p.unit != DayUnit::WorkingDays {
                continue;
            }
            let k = match dim {
                Dim::Centre => get::<i64>(r, "centre_id")?.to_string(),
                Dim::Department => get::<i64>(r, "department_id")?.to_string(),
                Dim::Item => get(r, "impl_code")?,
                _ => String::new(),
            };
            let e = out.entry(k).or_default();
            e.0 += i64::from(l.days.get());
            e.1 += i64::from(p.days.get());
        }
        Ok(out.into_iter().map(|(k, (l, p))| (k, l, p)).collect())
    }
}
