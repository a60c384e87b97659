//! Writing a chunk of generated cases with multi-row statements.

use super::*;
use crate::indicators::ROLLUP_COLS;

/// What a chunk's write added.
pub(super) struct Written {
    pub(super) events: u64,
    pub(super) ratings: u64,
}

/// Rows of one table, in its columns' order.
pub(super) struct Rows {
    table: &'static str,
    cols: &'static [&'static str],
    values: Vec<sea_orm::Value>,
}

/// What a chunk writes: plain rows, and amounts added to the rollups.
pub(super) struct Chunk {
    rows: Vec<Rows>,
    kpi: Vec<sea_orm::Value>,
    ratings: Vec<sea_orm::Value>,
}

const KPI_KEY: &str = "day, centre_id, department_id, impl_code, channel, person_id, metric";
const RATING_COLS: &[&str] = &[
    "centre_id",
    "department_id",
    "item_code",
    "day",
    "channel",
    "is_default",
    "level",
    "n",
];
const RATING_KEY: &str = "centre_id, department_id, item_code, day, channel, is_default, level";

/// Rows per statement: under SQLite's 32,766 parameters.
fn per_statement(cols: usize) -> usize {
    (30_000 / cols).max(1)
}

/// Multi-row statements in the caller's transaction (`upsert`: amounts
/// added to existing rows of the key).
async fn insert_rows(
    txn: &WriteTxn,
    table: &str,
    cols: &[&str],
    values: &[sea_orm::Value],
    upsert: Option<(&str, &str)>,
) -> Result<()> {
    let b = sea_orm::ConnectionTrait::get_database_backend(txn);
    for part in values.chunks(per_statement(cols.len()) * cols.len()) {
        let tail = match upsert {
            Some((key, amount)) => format!(
                " ON CONFLICT ({key}) DO UPDATE SET {amount} = {table}.{amount} + excluded.{amount}"
            ),
            None => String::new(),
        };
        exec(
            txn,
            &format!(
                "INSERT INTO {table} ({}) VALUES {}{tail}",
                cols.join(", "),
                rows(b, part.len() / cols.len(), cols.len(), "")
            ),
            part.to_vec(),
        )
        .await?;
    }
    Ok(())
}

/// A value in PostgreSQL's COPY text format.
fn copy_text(v: &sea_orm::Value, out: &mut String) {
    use sea_orm::Value as V;
    use std::fmt::Write;
    match v {
        V::BigInt(Some(n)) => {
            let _ = write!(out, "{n}");
        }
        V::Int(Some(n)) => {
            let _ = write!(out, "{n}");
        }
        V::Bool(Some(b)) => out.push(if *b { 't' } else { 'f' }),
        V::String(Some(s)) => {
            for ch in s.chars() {
                match ch {
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    c => out.push(c),
                }
            }
        }
        _ => out.push_str("\\N"),
    }
}

fn copy_error(e: sea_orm::sqlx::Error) -> StoreError {
    StoreError::Db(sea_orm::DbErr::Custom(format!("COPY: {e}")))
}

/// `COPY table (cols) FROM STDIN` of `values` on `conn`.
async fn copy_in(
    conn: &mut sea_orm::sqlx::PgConnection,
    table: &str,
    cols: &[&str],
    values: &[sea_orm::Value],
) -> Result<()> {
    if values.is_empty() {
        return Ok(());
    }
    let mut text = String::with_capacity(values.len() * 16);
    for row in values.chunks(cols.len()) {
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                text.push('\t');
            }
            copy_text(v, &mut text);
        }
        text.push('\n');
    }
    let mut copy = conn
        .copy_in_raw(&format!("COPY {table} ({}) FROM STDIN", cols.join(", ")))
        .await
        .map_err(copy_error)?;
    copy.send(text.as_bytes()).await.map_err(copy_error)?;
    copy.finish().await.map_err(copy_error)?;
    Ok(())
}

impl Store {
    /// Writes a chunk in one transaction: multi-row statements on SQLite;
    /// COPY on PostgreSQL (the rollups' amounts copied into a temporary
    /// table, then added to the stored rows in key order).
    pub(super) async fn write_generated(&self, chunk: &Chunk) -> Result<()> {
        if self.backend() != sea_orm::DbBackend::Postgres {
            let txn = self.begin().await?;
            for r in &chunk.rows {
                insert_rows(&txn, r.table, r.cols, &r.values, None).await?;
            }
            let kpi = Some((KPI_KEY, "value"));
            insert_rows(&txn, "kpi_rollups", ROLLUP_COLS, &chunk.kpi, kpi).await?;
            let n = Some((RATING_KEY, "n"));
            insert_rows(&txn, "rating_rollups", RATING_COLS, &chunk.ratings, n).await?;
            txn.commit().await?;
            return Ok(());
        }
        use sea_orm::sqlx::{Acquire, AssertSqlSafe, Executor, raw_sql};
        let pool = self.conn().get_postgres_connection_pool();
        let mut conn = pool.acquire().await.map_err(copy_error)?;
        let mut tx = conn.begin().await.map_err(copy_error)?;
        for r in &chunk.rows {
            copy_in(&mut tx, r.table, r.cols, &r.values).await?;
        }
        for (table, cols, key, amount, values) in [
            ("kpi_rollups", ROLLUP_COLS, KPI_KEY, "value", &chunk.kpi),
            (
                "rating_rollups",
                RATING_COLS,
                RATING_KEY,
                "n",
                &chunk.ratings,
            ),
        ] {
            if values.is_empty() {
                continue;
            }
            let temp = format!("gen_{table}");
            let create = format!(
                "CREATE TEMP TABLE IF NOT EXISTS {temp} (LIKE {table}) ON COMMIT DELETE ROWS"
            );
            tx.execute(raw_sql(AssertSqlSafe(create)))
                .await
                .map_err(copy_error)?;
            copy_in(&mut tx, &temp, cols, values).await?;
            let list = cols.join(", ");
            let add = format!(
                "INSERT INTO {table} ({list}) SELECT {list} FROM {temp} ORDER BY {key} \
                 ON CONFLICT ({key}) DO UPDATE SET {amount} = {table}.{amount} + excluded.{amount}"
            );
            tx.execute(raw_sql(AssertSqlSafe(add)))
                .await
                .map_err(copy_error)?;
        }
        tx.commit().await.map_err(copy_error)?;
        Ok(())
    }
}

/// The rows of one chunk of generated cases: the cases, their tasks and
/// events, the rating invitations of the completed ones and the ratings
/// given, and the amounts their steps and ratings add to the rollups.
pub(super) fn chunk_rows(
    made: &[Made],
    rollups: &Rollups,
    invitations: &[i64],
    rng: &mut Rng,
    today: NaiveDate,
) -> (Chunk, Written) {
    let mut out = Chunk {
        rows: Vec::new(),
        kpi: Vec::new(),
        ratings: Vec::new(),
    };
    let mut v: Vec<sea_orm::Value> = Vec::with_capacity(made.len() * 34);
    for m in made {
        let c = &m.case;
        let updated = m.events.last().map(|e| e.at).unwrap_or(c.created_at);
        v.extend([
            c.id.into(),
            c.case_no.clone().into(),
            c.verify_code.clone().into(),
            c.centre_id.into(),
            c.centre_path.clone().into(),
            c.lead_department_id.into(),
            c.item_version_id.into(),
            c.impl_code.clone().into(),
            c.item_name.clone().into(),
            c.applicant_user_id.into(),
            c.applicant_name.clone().into(),
            c.applicant_id_number.clone().into(),
            c.applicant_phone.clone().into(),
            c.applicant_email.clone().into(),
            c.channel.as_str().into(),
            c.created_by.into(),
            c.state.as_str().into(),
            c.version.into(),
            c.approved.into(),
            to_json(&c.form).into(),
            to_json(&c.clock).into(),
            to_json(&c.tasks).into(),
            to_json(&c.co_reviewers).into(),
            ds(c.received_on),
            ds(c.accepted_on),
            ds(c.legal_due),
            ds(c.promised_due),
            ds(c.decided_on),
            ds(c.certificate_due),
            c.created_at.into(),
            updated.into(),
        ]);
    }
    out.rows.push(Rows {
        table: "cases",
        cols: &[
            "id",
            "case_no",
            "verify_code",
            "centre_id",
            "centre_path",
            "lead_department_id",
            "item_version_id",
            "impl_code",
            "item_name",
            "applicant_user_id",
            "applicant_name",
            "applicant_id_number",
            "applicant_phone",
            "applicant_email",
            "channel",
            "created_by",
            "state",
            "version",
            "approved",
            "form",
            "clock",
            "tasks",
            "co_reviewers",
            "received_on",
            "accepted_on",
            "legal_due",
            "promised_due",
            "decided_on",
            "certificate_due",
            "created_at",
            "updated_at",
        ],
        values: v,
    });
    let mut v: Vec<sea_orm::Value> = Vec::new();
    for m in made {
        for (seq, t) in m.case.tasks.iter().enumerate() {
            v.extend([
                m.case.id.into(),
                t.department_id.into(),
                (seq as i64).into(),
                t.status.as_str().into(),
            ]);
        }
    }
    out.rows.push(Rows {
        table: "case_tasks",
        cols: &["case_id", "department_id", "seq", "status"],
        values: v,
    });
    let mut v: Vec<sea_orm::Value> = Vec::new();
    let mut events = 0u64;
    for m in made {
        for e in &m.events {
            events += 1;
            v.extend([
                m.case.id.into(),
                e.at.into(),
                e.actor.into(),
                e.actor_name.clone().into(),
                e.action.clone().into(),
                e.from.into(),
                e.to.into(),
                e.details.clone().into(),
                e.day.to_string().into(),
            ]);
        }
    }
    out.rows.push(Rows {
        table: "case_events",
        cols: &[
            "case_id",
            "at",
            "actor_id",
            "actor_name",
            "action",
            "from_state",
            "to_state",
            "details",
            "day",
        ],
        values: v,
    });
    for (k, n) in rollups.iter().filter(|(_, n)| **n != 0) {
        out.kpi.extend(k.values(*n));
    }
    // Every completed case is invited to be rated; about four in ten are.
    let mut inv: Vec<sea_orm::Value> = Vec::new();
    let mut rat: Vec<sea_orm::Value> = Vec::new();
    let mut counts: BTreeMap<(i64, i64, String, NaiveDate, &'static str, i64), i64> =
        BTreeMap::new();
    let mut invitations = invitations.iter().copied();
    for m in made {
        let Some(done) = m.completed_on else { continue };
        let c = &m.case;
        let Some(id) = invitations.next() else { break };
        let ended_at = m.events.last().map(|e| e.at).unwrap_or(c.created_at);
        inv.extend([
            id.into(),
            "case".into(),
            c.id.into(),
            c.case_no.clone().into(),
            c.centre_id.into(),
            c.centre_path.clone().into(),
            Some(c.lead_department_id).into(),
            c.impl_code.clone().into(),
            c.item_name.clone().into(),
            c.applicant_user_id.into(),
            m.window.into(),
            to_json(&m.staff).into(),
            true.into(),
            done.to_string().into(),
            ended_at.into(),
        ]);
        if !rng.chance(400) {
            continue;
        }
        let rated_on = (done + Duration::days(rng.below(4) as i64)).min(today);
        let level: i64 = match rng.below(20) {
            0 => 3,
            1..=4 => 4,
            _ => 5,
        };
        let channel = if c.channel == Channel::Window && rng.chance(500) {
            "on_site"
        } else {
            "online"
        };
        rat.extend([
            id.into(),
            channel.into(),
            0i64.into(),
            c.centre_id.into(),
            c.centre_path.clone().into(),
            Some(c.lead_department_id).into(),
            c.impl_code.clone().into(),
            level.into(),
            "{}".into(),
            "[]".into(),
            tongban_domain::ratings::REASONS_VERSION.into(),
            "".into(),
            c.applicant_user_id.into(),
            false.into(),
            false.into(),
            rated_on.to_string().into(),
            (ended_at + (rated_on - done).num_milliseconds())
                .min(crate::now_ms())
                .into(),
        ]);
        *counts
            .entry((
                c.centre_id,
                c.lead_department_id,
                c.impl_code.clone(),
                rated_on,
                channel,
                level,
            ))
            .or_insert(0) += 1;
    }
    out.rows.push(Rows {
        table: "rating_invitations",
        cols: &[
            "id",
            "subject",
            "subject_id",
            "subject_no",
            "centre_id",
            "centre_path",
            "department_id",
            "item_code",
            "item_name",
            "applicant_user_id",
            "window_user_id",
            "staff",
            "real_name",
            "completed_on",
            "created_at",
        ],
        values: inv,
    });
    let ratings = (rat.len() / 17) as u64;
    out.rows.push(Rows {
        table: "ratings",
        cols: &[
            "invitation_id",
            "channel",
            "revision",
            "centre_id",
            "centre_path",
            "department_id",
            "item_code",
            "level",
            "indicators",
            "reasons",
            "reasons_version",
            "comment",
            "rater_user_id",
            "is_default",
            "excluded",
            "rated_on",
            "created_at",
        ],
        values: rat,
    });
    for ((centre, dept, item, day, channel, level), n) in counts {
        out.ratings.extend([
            centre.into(),
            dept.into(),
            item.into(),
            day.to_string().into(),
            channel.into(),
            false.into(),
            level.into(),
            n.into(),
        ]);
    }
    (out, Written { events, ratings })
}
