//! SQL helpers shared by every storage module: statements for the
//! connection's backend, row reading, and placeholders for multi-row
//! statements. One code path for SQLite and PostgreSQL: raw SQL with `$n`
//! placeholders, which both accept.

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};
use serde::Serialize;

use crate::{Result, StoreError};

/// Builds a statement for the connection's backend.
pub(crate) fn stmt(c: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(c.get_database_backend(), sql, values)
}

pub(crate) async fn exec(c: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Result<u64> {
    Ok(c.execute_raw(stmt(c, sql, values)).await?.rows_affected())
}

pub(crate) async fn query(
    c: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<QueryResult>> {
    Ok(c.query_all_raw(stmt(c, sql, values)).await?)
}

pub(crate) async fn query_one(
    c: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Option<QueryResult>> {
    Ok(c.query_one_raw(stmt(c, sql, values)).await?)
}

/// Whether a verification code matches, compared without an early exit on
/// the first differing byte.
pub(crate) fn same_code(stored: &str, given: &str) -> bool {
    stored.len() == given.len()
        && stored
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Inserts and returns the new row's id (`RETURNING id` works on both backends).
pub(crate) async fn insert_id(
    c: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<i64> {
    let sql = format!("{sql} RETURNING id");
    let row = query_one(c, &sql, values)
        .await?
        .ok_or_else(|| StoreError::Corrupt("insert returned no id".into()))?;
    Ok(row.try_get::<i64>("", "id")?)
}

pub(crate) fn get<T: sea_orm::TryGetable>(r: &QueryResult, col: &str) -> Result<T> {
    Ok(r.try_get::<T>("", col)?)
}

/// A nullable ISO date column.
pub(crate) fn date_col(r: &QueryResult, col: &str) -> Result<Option<NaiveDate>> {
    let v: Option<String> = get(r, col)?;
    match v {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("{col} {s}: {e}"))),
    }
}

/// A JSON text column.
pub(crate) fn json_col<T: serde::de::DeserializeOwned>(r: &QueryResult, col: &str) -> Result<T> {
    let s: String = get(r, col)?;
    serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

/// A date as the value of an ISO date column.
pub(crate) fn ds(d: Option<NaiveDate>) -> Value {
    d.map(|d| d.to_string()).into()
}

/// A value as the text of a JSON column.
pub(crate) fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// `(…), (…)` for `rows` rows of `cols` parameters, each row ending in
/// `suffix` (constant columns such as `, NULL`). The statement must have no
/// other parameters. SQLite gets anonymous `?` parameters: it looks a named
/// parameter up by walking a list, which grows quadratic in large batches.
pub(crate) fn rows(b: DbBackend, rows: usize, cols: usize, suffix: &str) -> String {
    let mut s = String::with_capacity(rows * (cols * 5 + 4 + suffix.len()));
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            if b == DbBackend::Sqlite {
                s.push('?');
            } else {
                s.push('$');
                s.push_str(&(r * cols + c + 1).to_string());
            }
        }
        s.push_str(suffix);
        s.push(')');
    }
    s
}

/// `$k+1, …, $k+n`: a list for `IN (…)` after `k` other parameters.
pub(crate) fn list(n: usize, k: usize) -> String {
    (k + 1..=k + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A multi-row `INSERT … VALUES` of `cols` values per row; nothing when
/// there are no rows.
pub(crate) async fn insert_rows(
    c: &impl ConnectionTrait,
    head: &str,
    cols: usize,
    values: Vec<Value>,
) -> Result<()> {
    if values.is_empty() {
        return Ok(());
    }
    let n = values.len() / cols;
    exec(
        c,
        &format!(
            "{head} VALUES {}",
            rows(c.get_database_backend(), n, cols, "")
        ),
        values,
    )
    .await?;
    Ok(())
}
