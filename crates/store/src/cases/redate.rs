//! A holiday notice entered (SPEC §3): the dates that were counted
//! provisionally across its year are counted again for every case they
//! touch, in the notice's own transaction, and the applicant of a case still
//! open is told of every date that moved.
//!
//! This changes no state and takes no step: the case's dates are a function
//! of its events and the calendar, and the calendar changed. The row's
//! version moves on, so that a case writer's batch planned against the old
//! calendar goes stale and is planned again.

use chrono::NaiveDate;
use serde::Serialize;
use tongban_domain::calendar::YearSchedule;

use super::{CASE_COLS, row_case};
use crate::outbox::{self, Notice, Recipient};
use crate::sql::ds;
use crate::{Result, Store, exec, now_ms, query};

/// One case whose dates moved when a notice was entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Redated {
    pub case_id: i64,
    pub case_no: String,
    /// (legal, promised, certificate) before and after.
    pub before: [Option<NaiveDate>; 3],
    pub after: [Option<NaiveDate>; 3],
}

fn moved(zh: &str, before: Option<NaiveDate>, after: Option<NaiveDate>) -> Option<String> {
    if before == after {
        return None;
    }
    let show = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_else(|| "未定".into());
    Some(format!("{zh}由{}改为{}", show(before), show(after)))
}

impl Store {
    /// Enters (or replaces) one year's holiday notice and recomputes the
    /// dates of every case counted into that year (or left without dates),
    /// all or nothing. Gives the cases whose dates moved.
    pub async fn put_calendar_year(
        &self,
        y: &YearSchedule,
        actor: Option<i64>,
        today: NaiveDate,
    ) -> Result<Vec<Redated>> {
        // The calendar before the notice: only a date the notice itself moves
        // is a change (a suspended case's dates move day by day anyway).
        let old = self.work_calendar().await?;
        let txn = self.begin().await?;
        let cal = self.write_calendar_year(&txn, y, actor).await?;
        // From the first day the notice lists: some list the December before.
        let jan1 = NaiveDate::from_ymd_opt(y.year, 1, 1);
        let from = y
            .days
            .iter()
            .map(|d| d.date)
            .chain(jan1)
            .min()
            .map(|d| d.to_string())
            .unwrap_or_else(|| format!("{}-01-01", y.year));
        // Locked while they are recomputed (PostgreSQL; SQLite has one
        // writer): a step committed meanwhile is read as it now stands, and a
        // batch planned on the old rows goes stale.
        let lock = match sea_orm::ConnectionTrait::get_database_backend(&txn) {
            sea_orm::DatabaseBackend::Postgres => " FOR UPDATE OF k",
            _ => "",
        };
        let rows = query(
            &txn,
            &format!(
                "SELECT {CASE_COLS} WHERE k.accepted_on IS NOT NULL AND (k.legal_due IS NULL \
                 OR k.legal_due >= $1 OR k.promised_due >= $1 OR k.certificate_due >= $1) ORDER BY k.id{lock}"
            ),
            vec![from.into()],
        )
        .await?;
        let mut out = Vec::new();
        let mut notices = Vec::new();
        // Per bundle application: its applicant and each service's lines.
        let mut bundles: Vec<(i64, Recipient, Vec<String>)> = Vec::new();
        let now = now_ms();
        for r in &rows {
            let c = row_case(r)?;
            let d = super::facts::dates_after(c.id, &c.clock, &cal, today)?;
            let was = super::facts::dates_after(c.id, &c.clock, &old, today)?;
            let before = match &was {
                // Dates once left blank (a year unknown then) are filled in.
                Some(w) if c.legal_due.is_some() => {
                    [Some(w.legal_due), Some(w.promised_due), w.certificate_due]
                }
                _ => [c.legal_due, c.promised_due, c.certificate_due],
            };
            let after = [
                d.as_ref().map(|d| d.legal_due),
                d.as_ref().map(|d| d.promised_due),
                d.as_ref().and_then(|d| d.certificate_due),
            ];
            if before == after {
                continue;
            }
            exec(
                &txn,
                "UPDATE cases SET legal_due = $1, promised_due = $2, certificate_due = $3, \
                 version = version + 1, updated_at = $4 WHERE id = $5",
                vec![
                    ds(after[0]),
                    ds(after[1]),
                    ds(after[2]),
                    now.into(),
                    c.id.into(),
                ],
            )
            .await?;
            crate::trail::append(
                &txn,
                actor,
                "case.redate",
                &format!("case:{}", c.id),
                serde_json::json!({
                    "year": y.year,
                    "before": before.map(|d| d.map(|d| d.to_string())),
                    "after": after.map(|d| d.map(|d| d.to_string())),
                }),
            )
            .await?;
            if !c.state.is_final() {
                let lines: Vec<String> = [
                    moved("法定办结期限", before[0], after[0]),
                    moved("承诺办结期限", before[1], after[1]),
                    moved("证件颁发期限", before[2], after[2]),
                ]
                .into_iter()
                .flatten()
                .collect();
                match c.bundle_case_id {
                    // A bundle's applicant hears once, for all its services.
                    Some(b) => match bundles.iter_mut().find(|(id, _, _)| *id == b) {
                        Some((_, _, ls)) => ls.push(format!(
                            "{}（{}）：{}",
                            c.item_name,
                            c.case_no,
                            lines.join("；")
                        )),
                        None => bundles.push((
                            b,
                            Recipient::Person {
                                user_id: c.applicant_user_id,
                                email: c.applicant_email.clone(),
                            },
                            vec![format!(
                                "{}（{}）：{}",
                                c.item_name,
                                c.case_no,
                                lines.join("；")
                            )],
                        )),
                    },
                    None => notices.push(Notice {
                        to: Recipient::Person {
                            user_id: c.applicant_user_id,
                            email: c.applicant_email.clone(),
                        },
                        case_id: Some(c.id),
                        bundle_case_id: None,
                        subject: format!("办件{}的期限已按{}年节假日安排确定", c.case_no, y.year),
                        body: format!(
                            "{}年节假日安排已公布，此前暂定的日期已重新计算：{}。",
                            y.year,
                            lines.join("；")
                        ),
                    }),
                }
            }
            out.push(Redated {
                case_id: c.id,
                case_no: c.case_no.clone(),
                before,
                after,
            });
        }
        for (b, to, lines) in bundles {
            notices.push(Notice {
                to,
                case_id: None,
                bundle_case_id: Some(b),
                subject: format!(
                    "您的“一件事”申请（{}等{}项）的期限已按{}年节假日安排确定",
                    lines
                        .first()
                        .and_then(|l| l.split('：').next())
                        .unwrap_or_default(),
                    lines.len(),
                    y.year
                ),
                body: format!(
                    "{}年节假日安排已公布，此前暂定的日期已重新计算。{}。",
                    y.year,
                    lines.join("。")
                ),
            });
        }
        outbox::write(&txn, &notices).await?;
        txn.commit().await?;
        Ok(out)
    }
}
