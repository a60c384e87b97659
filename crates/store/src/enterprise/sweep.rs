//! Yellow and red warnings on projects' stage and total targets, each once
//! per level and start, to the concierge, the enterprise and the lead
//! department's head; and escalation of overdue tickets (both run under the
//! sweep's lease): to the
//! department heads, then to the supervisors (电子监察). Each step is a row
//! keyed by ticket, level and deadline, inserted at most once, and its
//! event and notices are written only with that row — so two instances
//! sweeping at once send each notice once.

use chrono::NaiveDate;
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::enterprise::ticket::{self, Escalation, TicketState};

use crate::outbox::{self, Notice, Recipient, StaffRole};
use crate::sql::date_col;
use crate::{Result, Store, StoreError, exec, get, now_ms, query};

/// What a sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TicketSweep {
    pub to_heads: usize,
    pub to_supervisors: usize,
}

impl Store {
    /// Escalates every overdue ticket one step at a time, as far as `today`
    /// takes it.
    pub async fn sweep_tickets(&self, cal: &WorkCalendar, today: NaiveDate) -> Result<TicketSweep> {
        let mut done = TicketSweep::default();
        let open = query(
            self.conn(),
            "SELECT id, centre_id, centre_path, case_id, title, state, respond_by, resolve_by, escalation FROM tickets \
             WHERE state IN ('open', 'assigned', 'reopened', 'answered') AND escalation < 2 \
             AND (CASE WHEN state = 'answered' THEN resolve_by ELSE respond_by END) < $1 ORDER BY id LIMIT 1000",
            vec![today.to_string().into()],
        )
        .await?;
        for r in &open {
            let id: i64 = get(r, "id")?;
            let state = TicketState::parse(&get::<String>(r, "state")?)
                .ok_or_else(|| StoreError::Corrupt("ticket state".into()))?;
            let respond = date_col(r, "respond_by")?
                .ok_or_else(|| StoreError::Corrupt("ticket date".into()))?;
            let resolve = date_col(r, "resolve_by")?
                .ok_or_else(|| StoreError::Corrupt("ticket date".into()))?;
            let centre_id: i64 = get(r, "centre_id")?;
            let rules = self.centre_profile(centre_id).await?.enterprise;
            let Ok(reached) = ticket::escalation(
                state,
                respond,
                resolve,
                today,
                rules.escalate_after_days.get(),
                cal,
            ) else {
                tracing::warn!(
                    ticket = id,
                    "ticket escalation: the calendar does not reach its deadline"
                );
                continue;
            };
            let due = if state.awaits_answer() {
                respond
            } else {
                resolve
            };
            let was: i64 = get(r, "escalation")?;
            for level in [Escalation::Head, Escalation::Supervisor] {
                if level > reached || level.level() <= was {
                    continue;
                }
                let txn = self.begin().await?;
                let n = exec(
                    &txn,
                    "INSERT INTO ticket_escalations (ticket_id, level, due, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    vec![id.into(), level.level().into(), due.to_string().into(), now_ms().into()],
                )
                .await?;
                if n != 1 {
                    continue;
                }
                // Still in the state it was read in (an answer meanwhile
                // changes the deadline that matters): else nothing is sent.
                let n = exec(
                    &txn,
                    "UPDATE tickets SET escalation = $1 WHERE id = $2 AND escalation < $1 AND state = $3",
                    vec![level.level().into(), id.into(), state.as_str().into()],
                )
                .await?;
                if n != 1 {
                    continue;
                }
                let what = if state.awaits_answer() {
                    "答复"
                } else {
                    "解决"
                };
                exec(
                    &txn,
                    "INSERT INTO ticket_events (ticket_id, at, actor_id, actor_label, kind, note) VALUES ($1, $2, NULL, '系统', 'escalated', $3)",
                    vec![id.into(), now_ms().into(), format!("超过{what}期限{due}：{}", level.zh()).into()],
                )
                .await?;
                let title: String = get(r, "title")?;
                let subject = format!("审批疑难诉求逾期督办：{title}");
                let body = format!(
                    "该诉求应于{due}前{what}，现已逾期，{}。/tickets/{id}",
                    level.zh()
                );
                let case_id: Option<i64> = get(r, "case_id")?;
                let notices: Vec<Notice> = match level {
                    Escalation::Head => query(
                        self.conn(),
                        "SELECT department_id FROM ticket_departments WHERE ticket_id = $1",
                        vec![id.into()],
                    )
                    .await?
                    .iter()
                    .map(|d| {
                        Ok(Notice {
                            to: Recipient::Staff {
                                role: StaffRole::Head,
                                department_id: Some(get(d, "department_id")?),
                                centre_id,
                            },
                            case_id,
                            bundle_case_id: None,
                            subject: subject.clone(),
                            body: body.clone(),
                        })
                    })
                    .collect::<Result<_>>()?,
                    _ => vec![Notice {
                        to: Recipient::Supervisors {
                            centre_path: get(r, "centre_path")?,
                        },
                        case_id,
                        bundle_case_id: None,
                        subject,
                        body,
                    }],
                };
                outbox::write(&txn, &notices).await?;
                txn.commit().await?;
                match level {
                    Escalation::Head => done.to_heads += 1,
                    _ => done.to_supervisors += 1,
                }
            }
        }
        Ok(done)
    }
}

impl Store {
    /// Warns of every running stage (and project) near or past its target:
    /// each level once per stage and start, whichever instance gets there
    /// first. Gives the number of warnings sent.
    pub async fn sweep_projects(&self, cal: &WorkCalendar, today: NaiveDate) -> Result<usize> {
        let mut sent = 0;
        for p in self.all_projects().await? {
            let (pid, owner, concierge, centre_id) =
                (p.id, p.owner_user_id, p.concierge_user_id, p.centre_id);
            let name = p.name.clone();
            let v = match self.project_view_of(p, cal, today).await {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(project = pid, "project warnings: {e}");
                    continue;
                }
            };
            let mut due: Vec<(i64, String, NaiveDate, Option<i64>, String)> = Vec::new();
            for s in &v.stages {
                if let (Some(w), Some(start), false) = (&s.warning, s.started_on, s.finished)
                    && w != "green"
                {
                    due.push((
                        s.stage,
                        w.clone(),
                        start,
                        Some(s.lead_department_id),
                        s.name_zh.to_string(),
                    ));
                }
            }
            let first = v.stages.iter().filter_map(|s| s.started_on).min();
            if let Some(start) = first
                && v.warning != "green"
            {
                due.push((0, v.warning.clone(), start, None, "项目总用时".to_string()));
            }
            for (stage, level, start, dept, what) in due {
                let txn = self.begin().await?;
                let n = exec(
                    &txn,
                    "INSERT INTO project_warnings (project_id, stage, level, started_on, at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT DO NOTHING",
                    vec![pid.into(), stage.into(), level.clone().into(), start.to_string().into(), now_ms().into()],
                )
                .await?;
                if n != 1 {
                    continue;
                }
                let word = if level == "red" {
                    "已超过目标时限"
                } else {
                    "临近目标时限"
                };
                let subject = format!("工程建设项目预警：{name}");
                let body = format!("{name}的{what}{word}，请关注办理进度。/projects/{pid}");
                let mut to = vec![Recipient::Person {
                    user_id: Some(owner),
                    email: String::new(),
                }];
                if let Some(c) = concierge {
                    to.push(Recipient::Person {
                        user_id: Some(c),
                        email: String::new(),
                    });
                }
                if let Some(d) = dept {
                    to.push(Recipient::Staff {
                        role: StaffRole::Head,
                        department_id: Some(d),
                        centre_id,
                    });
                }
                let notices: Vec<Notice> = to
                    .into_iter()
                    .map(|to| Notice {
                        to,
                        case_id: None,
                        bundle_case_id: None,
                        subject: subject.clone(),
                        body: body.clone(),
                    })
                    .collect();
                outbox::write(&txn, &notices).await?;
                txn.commit().await?;
                sent += 1;
            }
        }
        Ok(sent)
    }
}
