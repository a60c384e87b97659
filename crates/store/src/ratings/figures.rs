//! The satisfaction figures the indicators read (SPEC §8.2): valid ratings
//! and their levels from the daily counts, and the 差评's rectification and
//! 回访 in time, for a scope and period, broken down as asked.

use chrono::NaiveDate;
use tongban_domain::indicators::values::{Dim, Scope, Totals, read};

use crate::sql::{get, query};
use crate::{Result, Store};

/// The key column of a breakdown over a table aliased `t` (`None`: one row).
fn key_of(dim: Dim, dept: &str, item: &str, day: &str) -> Option<String> {
    match dim {
        Dim::Total | Dim::Person => None,
        Dim::Centre => Some("CAST(t.centre_id AS TEXT)".into()),
        // A rating of a bundle with no service named has no department: 0.
        Dim::Department => Some(format!("CAST(COALESCE(t.{dept}, 0) AS TEXT)")),
        Dim::Item => Some(format!("t.{item}")),
        Dim::Day => Some(format!("t.{day}")),
        Dim::Month => Some(format!("substr(t.{day}, 1, 7)")),
    }
}

/// `AND …` for the scope's department and item over table `t`.
fn narrow(scope: &Scope, dept: &str, item: &str, v: &mut Vec<sea_orm::Value>) -> String {
    let mut s = String::new();
    if let Some(d) = scope.department_id {
        v.push(d.into());
        s.push_str(&format!(" AND t.{dept} = ${}", v.len()));
    }
    if let Some(i) = &scope.impl_code {
        v.push(i.clone().into());
        s.push_str(&format!(" AND t.{item} = ${}", v.len()));
    }
    s
}

impl Store {
    /// Rating figures by `dim` (Person: none — ratings are of units).
    pub async fn rating_figures(
        &self,
        scope: &Scope,
        from: NaiveDate,
        to: NaiveDate,
        dim: Dim,
    ) -> Result<Vec<(String, Totals)>> {
        let mut out: std::collections::BTreeMap<String, Totals> = Default::default();
        if dim == Dim::Person {
            return Ok(Vec::new());
        }
        // Levels of valid ratings (defaults apart).
        let mut v: Vec<sea_orm::Value> = vec![
            from.to_string().into(),
            to.to_string().into(),
            format!("{}%", scope.centre_path).into(),
        ];
        let more = narrow(scope, "department_id", "item_code", &mut v);
        let key = key_of(dim, "department_id", "item_code", "day");
        let sql = format!(
            "SELECT {} AS k, t.is_default, t.level, CAST(SUM(t.n) AS BIGINT) AS n FROM rating_rollups t \
             WHERE t.day >= $1 AND t.day <= $2 AND t.centre_id IN (SELECT id FROM centres WHERE path LIKE $3){more} \
             GROUP BY {}t.is_default, t.level",
            key.clone().unwrap_or_else(|| "''".into()),
            key.as_ref().map(|k| format!("{k}, ")).unwrap_or_default(),
        );
        for r in query(self.read_conn(), &sql, v).await? {
            let k: String = get(&r, "k")?;
            let is_default: bool = get(&r, "is_default")?;
            let level: i64 = get(&r, "level")?;
            let n: i64 = get(&r, "n")?;
            let t = out.entry(k).or_default();
            if is_default {
                t.add(read::RATINGS_DEFAULT, n);
                continue;
            }
            let Some(l) = tongban_domain::ratings::Level::of(level) else {
                continue;
            };
            t.add(read::RATINGS, n);
            t.add(read::RATING_LEVELS, n * level);
            if l.is_good() {
                t.add(read::RATINGS_GOOD, n);
            }
            if l.is_bad() {
                t.add(read::BAD, n);
            }
        }
        // 差评: rectified in time and verified; real-name ones visited in time.
        let mut v: Vec<sea_orm::Value> = vec![
            from.to_string().into(),
            to.to_string().into(),
            format!("{}%", scope.centre_path).into(),
        ];
        let more = narrow(scope, "department_id", "item_code", &mut v);
        let key = key_of(dim, "department_id", "item_code", "rated_on");
        let sql = format!(
            "SELECT {} AS k, x.state, x.fix_due, x.visit_due, x.rectified_at, x.visited_at, i.real_name \
             FROM rectifications x JOIN ratings t ON t.id = x.rating_id \
             JOIN rating_invitations i ON i.id = t.invitation_id \
             WHERE t.rated_on >= $1 AND t.rated_on <= $2 AND t.centre_path LIKE $3 \
             AND t.superseded_by IS NULL AND t.excluded = FALSE AND t.is_default = FALSE{more}",
            key.unwrap_or_else(|| "''".into()),
        );
        let day_of = |ms: Option<i64>| {
            ms.and_then(chrono::DateTime::from_timestamp_millis)
                .map(|t| t.with_timezone(&chrono_tz::Asia::Shanghai).date_naive())
        };
        for r in query(self.read_conn(), &sql, v).await? {
            let k: String = get(&r, "k")?;
            let t = out.entry(k).or_default();
            let state: String = get(&r, "state")?;
            let fix_due: String = get(&r, "fix_due")?;
            let visit_due: String = get(&r, "visit_due")?;
            let rectified = day_of(get(&r, "rectified_at")?);
            let visited = day_of(get(&r, "visited_at")?);
            if state == "verified"
                && rectified.is_some_and(|d| d.to_string().as_str() <= fix_due.as_str())
            {
                t.add(read::BAD_FIXED, 1);
            }
            if get::<bool>(&r, "real_name")? {
                t.add(read::BAD_REAL_NAME, 1);
                if visited.is_some_and(|d| d.to_string().as_str() <= visit_due.as_str()) {
                    t.add(read::BAD_VISITED, 1);
                }
            }
        }
        Ok(out.into_iter().collect())
    }
}
