//! The ratings' CSV exports: no names, comments with numbers masked (one
//! rule whoever downloads them), formula cells neutralised.

use tongban_domain::export::csv_row;
use tongban_domain::privacy::mask_numbers;
use tongban_store::ratings::{Invitation, Rating, RectificationView};

pub(super) fn ratings_csv(rows: &[(Rating, Invitation)]) -> String {
    let mut out = String::from("\u{feff}");
    out.push_str(&csv_row(&[
        "id",
        "rated_on",
        "subject",
        "subject_no",
        "item_code",
        "item_name",
        "department_id",
        "channel",
        "level",
        "reasons",
        "reasons_version",
        "comment",
        "is_default",
        "excluded",
        "corrects_id",
        "superseded_by",
        "window_user_id",
        "staff_user_ids",
    ]));
    for (r, i) in rows {
        out.push_str(&csv_row(&[
            r.id.to_string(),
            r.rated_on.to_string(),
            i.subject.as_str().to_string(),
            i.subject_no.clone(),
            i.item_code.clone(),
            i.item_name.clone(),
            r.department_id.map(|d| d.to_string()).unwrap_or_default(),
            r.channel.as_str().to_string(),
            r.level.number().to_string(),
            r.reasons.join(" "),
            r.reasons_version.clone(),
            mask_numbers(&r.comment),
            r.is_default.to_string(),
            r.excluded.to_string(),
            r.corrects_id.map(|d| d.to_string()).unwrap_or_default(),
            r.superseded_by.map(|d| d.to_string()).unwrap_or_default(),
            i.window_user_id.map(|d| d.to_string()).unwrap_or_default(),
            i.staff
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(" "),
        ]));
    }
    out
}

pub(super) fn rectifications_csv(list: &[RectificationView]) -> String {
    let mut out = String::from("\u{feff}");
    out.push_str(&csv_row(&[
        "id",
        "rating_id",
        "subject_no",
        "item_name",
        "department_id",
        "level",
        "reasons",
        "state",
        "visit_due",
        "fix_due",
        "visit_method",
        "cause",
        "measures",
        "verdict",
        "appealed",
    ]));
    for r in list {
        out.push_str(&csv_row(&[
            r.id.to_string(),
            r.rating.id.to_string(),
            r.subject_no.clone(),
            r.item_name.clone(),
            r.department_id.map(|d| d.to_string()).unwrap_or_default(),
            r.rating.level.number().to_string(),
            r.rating.reasons.join(" "),
            r.state.as_str().to_string(),
            r.visit_due.to_string(),
            r.fix_due.to_string(),
            r.visit_method.clone(),
            mask_numbers(&r.cause),
            mask_numbers(&r.measures),
            r.verdict
                .map(|v| v.as_str().to_string())
                .unwrap_or_default(),
            (!r.appeals.is_empty()).to_string(),
        ]));
    }
    out
}
