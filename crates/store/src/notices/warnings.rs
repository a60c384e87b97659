//! The deadline warning sweep (SPEC §4.2, 电子监察): an open case turning
//! yellow or red against its promised deadline tells its handlers (and,
//! when red, the department head and the supervisors) once per level and
//! deadline.

use chrono::NaiveDate;
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::{CaseState, TaskStatus};
use tongban_domain::clock::{self, ClockEvent, Warning, WarningRule};

use crate::outbox::{Notice, Recipient, StaffRole};
use crate::{Result, Store, exec, get, now_ms, query, trail};

impl Store {
    /// The deadline warning sweep: every open case turning yellow or red
    /// against its promised deadline notifies its handlers (and, when red,
    /// the department head and the supervisors) exactly once per level and
    /// deadline — the unique warning row decides, so two instances running
    /// the sweep at once cannot both notify. Returns warnings sent.
    pub async fn sweep_warnings(
        &self,
        cal: &WorkCalendar,
        today: NaiveDate,
        rule: WarningRule,
    ) -> Result<usize> {
        let rows = query(
            self.conn(),
            "SELECT id FROM cases WHERE state IN ('review', 'suspended', 'decision') ORDER BY id",
            vec![],
        )
        .await?;
        let mut sent = 0;
        for r in rows {
            let case = self.case(get(&r, "id")?).await?;
            let Some(Ok(d)) = case.deadlines(cal, today) else {
                continue;
            };
            let Some(ClockEvent::Accepted { promised, .. }) = case.clock.first() else {
                continue;
            };
            let level = match clock::warning(&d, promised, today, cal, rule) {
                Ok(w) => w,
                Err(e) => {
                    tracing::warn!(case = case.id, "warning sweep: {e}");
                    continue;
                }
            };
            if level == Warning::Green {
                continue;
            }
            let level_s = if level == Warning::Red {
                "red"
            } else {
                "yellow"
            };
            let txn = self.begin().await?;
            let n = exec(
                &txn,
                "INSERT INTO case_warnings (case_id, level, due, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                vec![
                    case.id.into(),
                    level_s.into(),
                    d.promised_due.to_string().into(),
                    now_ms().into(),
                ],
            )
            .await?;
            if n != 1 {
                continue;
            }
            let (subject, body) = if level == Warning::Red {
                (
                    format!(
                        "【红色预警】{} {} 已超过承诺办结期限",
                        case.case_no, case.item_name
                    ),
                    format!(
                        "案件{}（{}）承诺办结期限为{}，现已逾期，请立即办理。当前状态：{}。",
                        case.case_no,
                        case.item_name,
                        d.promised_due,
                        case.state.zh()
                    ),
                )
            } else {
                (
                    format!(
                        "【黄色预警】{} {} 临近承诺办结期限",
                        case.case_no, case.item_name
                    ),
                    format!(
                        "案件{}（{}）承诺办结期限为{}，请抓紧办理。当前状态：{}。",
                        case.case_no,
                        case.item_name,
                        d.promised_due,
                        case.state.zh()
                    ),
                )
            };
            // The handlers: the active reviewing departments, or the lead
            // department once the review is over.
            let departments: Vec<i64> = if case.state == CaseState::Review {
                case.tasks
                    .iter()
                    .filter(|t| t.status == TaskStatus::Active)
                    .map(|t| t.department_id)
                    .collect()
            } else {
                vec![case.lead_department_id]
            };
            let notice = |to| Notice {
                to,
                case_id: Some(case.id),
                bundle_case_id: None,
                subject: subject.clone(),
                body: body.clone(),
            };
            let mut notices: Vec<Notice> = departments
                .iter()
                .map(|d| {
                    notice(Recipient::Staff {
                        role: StaffRole::Reviewer,
                        department_id: Some(*d),
                        centre_id: case.centre_id,
                    })
                })
                .collect();
            if level == Warning::Red {
                notices.push(notice(Recipient::Staff {
                    role: StaffRole::Head,
                    department_id: Some(case.lead_department_id),
                    centre_id: case.centre_id,
                }));
                notices.push(notice(Recipient::Supervisors {
                    centre_path: case.centre_path.clone(),
                }));
            }
            crate::outbox::write(&txn, &notices).await?;
            trail::append(
                &txn,
                None,
                &format!("case.warning_{level_s}"),
                &format!("case:{}", case.case_no),
                serde_json::json!({"promised_due": d.promised_due.to_string(), "today": today.to_string()}),
            )
            .await?;
            txn.commit().await?;
            sent += 1;
        }
        Ok(sent)
    }
}
