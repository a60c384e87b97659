//! Reading rectifications in batches: their rows, ratings, files and
//! appeals in four queries per few hundred, for lists and exports.

use std::collections::HashMap;

use tongban_domain::ratings::{AppealGround, AppealState, Verdict};

use super::super::{RATING_COLS, Rating, parse_state, row_rating};
use super::{AppealView, RectificationView};
use crate::sql::date_col;
use crate::{Result, StoreError, get, query};

pub(super) const RECT_COLS: &str = "r.id, r.version, r.state, r.rating_id, r.centre_path, r.department_id, r.visit_due, \
    r.fix_due, r.visited_at, r.visit_method, r.visit_note, r.cause, r.measures, r.rectified_at, r.verified_at, \
    r.sent_back_reason, r.verdict, i.subject, i.subject_id, i.subject_no, i.item_name, i.applicant_user_id \
    FROM rectifications r JOIN ratings g ON g.id = r.rating_id JOIN rating_invitations i ON i.id = g.invitation_id";

/// The rectifications `ids` in that order (those that exist), read a few
/// hundred at a time: their rows, ratings, files and appeals in four
/// queries per batch, not four per rectification.
pub(super) async fn rectification_rows(
    c: &impl sea_orm::ConnectionTrait,
    ids: &[i64],
) -> Result<Vec<RectificationView>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let values = || {
            chunk
                .iter()
                .map(|&i| i.into())
                .collect::<Vec<sea_orm::Value>>()
        };
        let marks = crate::sql::list(chunk.len(), 0);
        let rows = query(
            c,
            &format!("SELECT {RECT_COLS} WHERE r.id IN ({marks})"),
            values(),
        )
        .await?;
        let rating_ids: Vec<sea_orm::Value> = rows
            .iter()
            .map(|r| get::<i64>(r, "rating_id").map(Into::into))
            .collect::<Result<_>>()?;
        let mut ratings: HashMap<i64, Rating> = HashMap::new();
        if !rating_ids.is_empty() {
            let m = crate::sql::list(rating_ids.len(), 0);
            for x in query(
                c,
                &format!("SELECT {RATING_COLS} WHERE id IN ({m})"),
                rating_ids,
            )
            .await?
            {
                let g = row_rating(&x)?;
                ratings.insert(g.id, g);
            }
        }
        let mut files: HashMap<i64, Vec<(i64, String, String)>> = HashMap::new();
        for f in query(
            c,
            &format!(
                "SELECT id, rectification_id, kind, file_name FROM rectification_files \
                 WHERE rectification_id IN ({marks}) ORDER BY id"
            ),
            values(),
        )
        .await?
        {
            files
                .entry(get(&f, "rectification_id")?)
                .or_default()
                .push((get(&f, "id")?, get(&f, "kind")?, get(&f, "file_name")?));
        }
        let mut appeals: HashMap<i64, Vec<AppealView>> = HashMap::new();
        for a in query(
            c,
            &format!(
                "SELECT id, rectification_id, ground, statement, state, filed_at, decided_at, decision_reason \
                 FROM rating_appeals WHERE rectification_id IN ({marks}) ORDER BY id"
            ),
            values(),
        )
        .await?
        {
            let ground: String = get(&a, "ground")?;
            let state: String = get(&a, "state")?;
            appeals
                .entry(get(&a, "rectification_id")?)
                .or_default()
                .push(AppealView {
                    id: get(&a, "id")?,
                    ground: AppealGround::parse(&ground)
                        .ok_or_else(|| StoreError::Corrupt(format!("appeal ground {ground}")))?,
                    statement: get(&a, "statement")?,
                    state: AppealState::parse(&state)
                        .ok_or_else(|| StoreError::Corrupt(format!("appeal state {state}")))?,
                    filed_at: get(&a, "filed_at")?,
                    decided_at: get(&a, "decided_at")?,
                    decision_reason: get(&a, "decision_reason")?,
                });
        }
        let mut by_id: HashMap<i64, RectificationView> = HashMap::new();
        for r in &rows {
            let id: i64 = get(r, "id")?;
            let rating_id: i64 = get(r, "rating_id")?;
            let rating = ratings
                .remove(&rating_id)
                .ok_or_else(|| StoreError::Corrupt(format!("rating {rating_id}")))?;
            let verdict: String = get(r, "verdict")?;
            let subject: String = get(r, "subject")?;
            by_id.insert(
                id,
                RectificationView {
                    id,
                    version: get(r, "version")?,
                    state: parse_state(&get::<String>(r, "state")?)?,
                    rating,
                    subject: super::super::Subject::parse(&subject)?,
                    subject_id: get(r, "subject_id")?,
                    subject_no: get(r, "subject_no")?,
                    item_name: get(r, "item_name")?,
                    centre_path: get(r, "centre_path")?,
                    department_id: get(r, "department_id")?,
                    visit_due: date_col(r, "visit_due")?
                        .ok_or_else(|| StoreError::Corrupt("rectification visit due".into()))?,
                    fix_due: date_col(r, "fix_due")?
                        .ok_or_else(|| StoreError::Corrupt("rectification due".into()))?,
                    visited_at: get(r, "visited_at")?,
                    visit_method: get(r, "visit_method")?,
                    visit_note: get(r, "visit_note")?,
                    cause: get(r, "cause")?,
                    measures: get(r, "measures")?,
                    rectified_at: get(r, "rectified_at")?,
                    verified_at: get(r, "verified_at")?,
                    sent_back_reason: get(r, "sent_back_reason")?,
                    verdict: Verdict::parse(&verdict),
                    files: files.remove(&id).unwrap_or_default(),
                    appeals: appeals.remove(&id).unwrap_or_default(),
                    applicant_user_id: get(r, "applicant_user_id")?,
                },
            );
        }
        out.extend(chunk.iter().filter_map(|id| by_id.remove(id)));
    }
    Ok(out)
}
