//! Writing a chunk of generated cases with multi-row statements.

use super::*;

/// What a chunk's write added.
pub(super) struct Written {
    pub(super) events: u64,
    pub(super) ratings: u64,
}

/// Rows per statement: under SQLite's 32,766 parameters.
fn per_statement(cols: usize) -> usize {
    (30_000 / cols).max(1)
}

async fn insert_chunked(
    txn: &WriteTxn,
    head: &str,
    cols: usize,
    values: Vec<sea_orm::Value>,
) -> Result<()> {
    let per = per_statement(cols) * cols;
    let mut values = values;
    while !values.is_empty() {
        let rest = if values.len() > per {
            values.split_off(per)
        } else {
            Vec::new()
        };
        crate::sql::insert_rows(txn, head, cols, values).await?;
        values = rest;
    }
    Ok(())
}

/// Writes one chunk of generated cases.
pub(super) async fn write_chunk(
    txn: &WriteTxn,
    made: &[Made],
    rollups: &Rollups,
    next_inv: &mut i64,
    rng: &mut Rng,
    today: NaiveDate,
) -> Result<Written> {
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
    insert_chunked(
        txn,
        "INSERT INTO cases (id, case_no, verify_code, centre_id, centre_path, lead_department_id, item_version_id, \
         impl_code, item_name, applicant_user_id, applicant_name, applicant_id_number, applicant_phone, \
         applicant_email, channel, created_by, state, version, approved, form, clock, tasks, co_reviewers, \
         received_on, accepted_on, legal_due, promised_due, decided_on, certificate_due, created_at, updated_at)",
        31,
        v,
    )
    .await?;
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
    insert_chunked(
        txn,
        "INSERT INTO case_tasks (case_id, department_id, seq, status)",
        4,
        v,
    )
    .await?;
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
    insert_chunked(
        txn,
        "INSERT INTO case_events (case_id, at, actor_id, actor_name, action, from_state, to_state, details, day)",
        9,
        v,
    )
    .await?;
    crate::indicators::add(txn, rollups).await?;
    // Every completed case is invited to be rated; about four in ten are.
    let mut inv: Vec<sea_orm::Value> = Vec::new();
    let mut rat: Vec<sea_orm::Value> = Vec::new();
    let mut counts: BTreeMap<(i64, i64, String, NaiveDate, &'static str, i64), i64> =
        BTreeMap::new();
    let now = crate::now_ms();
    for m in made {
        let Some(done) = m.completed_on else { continue };
        let c = &m.case;
        let id = *next_inv;
        *next_inv += 1;
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
            now.into(),
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
            now.into(),
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
    insert_chunked(
        txn,
        "INSERT INTO rating_invitations (id, subject, subject_id, subject_no, centre_id, centre_path, department_id, \
         item_code, item_name, applicant_user_id, window_user_id, staff, real_name, completed_on, created_at)",
        15,
        inv,
    )
    .await?;
    let ratings = (rat.len() / 17) as u64;
    insert_chunked(
        txn,
        "INSERT INTO ratings (invitation_id, channel, revision, centre_id, centre_path, department_id, item_code, \
         level, indicators, reasons, reasons_version, comment, rater_user_id, is_default, excluded, rated_on, created_at)",
        17,
        rat,
    )
    .await?;
    let b = sea_orm::ConnectionTrait::get_database_backend(txn);
    let all: Vec<_> = counts.into_iter().collect();
    for chunk in all.chunks(500) {
        let mut v: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len() * 8);
        for ((centre, dept, item, day, channel, level), n) in chunk {
            v.extend([
                (*centre).into(),
                (*dept).into(),
                item.clone().into(),
                day.to_string().into(),
                (*channel).into(),
                false.into(),
                (*level).into(),
                (*n).into(),
            ]);
        }
        exec(
            txn,
            &format!(
                "INSERT INTO rating_rollups (centre_id, department_id, item_code, day, channel, is_default, level, n) \
                 VALUES {} ON CONFLICT (centre_id, department_id, item_code, day, channel, is_default, level) \
                 DO UPDATE SET n = rating_rollups.n + excluded.n",
                rows(b, chunk.len(), 8, "")
            ),
            v,
        )
        .await?;
    }
    Ok(Written { events, ratings })
}
