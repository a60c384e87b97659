//! Difficulty tickets (审批疑难): raised by an enterprise or its concierge on
//! a project or an application, routed to the departments concerned with
//! an answer and a resolution deadline on the working-day calendar, moved
//! by `tongban_domain::enterprise::ticket::next_state`, rated by the raiser.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tongban_domain::FieldError;
use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::enterprise::mandate::acting_for;
use tongban_domain::enterprise::ticket::{self, TicketAction, TicketState};

use super::project_scope;
use crate::accounts::mandates::refused;
use crate::outbox::{self, Notice, Recipient, StaffRole};
use crate::sql::{date_col, json_col, to_json};
use crate::{Result, Store, StoreError, exec, get, insert_id, now_ms, query, query_one, trail};

#[derive(Debug, Clone, Serialize)]
pub struct Ticket {
    pub id: i64,
    pub centre_id: i64,
    pub project_id: Option<i64>,
    pub case_id: Option<i64>,
    pub enterprise_user_id: i64,
    pub enterprise_name: String,
    /// Who raised it, as recorded ("钱专员 代 某公司" for a concierge).
    pub raised_as: String,
    pub title: String,
    pub problem: String,
    pub items: Vec<String>,
    pub department_ids: Vec<i64>,
    /// The routed departments' names, in the same order.
    pub department_names: Vec<String>,
    pub state: String,
    pub state_zh: &'static str,
    pub answer: String,
    pub reason: String,
    pub raised_on: NaiveDate,
    pub respond_by: NaiveDate,
    pub resolve_by: NaiveDate,
    pub escalation: i64,
    pub reopened: i64,
    pub rating: Option<i64>,
    pub rating_comment: String,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TicketEvent {
    pub at: i64,
    pub actor_label: String,
    pub kind: String,
    pub note: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewTicket {
    #[serde(default)]
    pub project_id: Option<i64>,
    #[serde(default)]
    pub case_id: Option<i64>,
    #[serde(default)]
    pub visit_id: Option<i64>,
    pub title: String,
    pub problem: String,
    /// The items concerned (实施编码); their departments are routed to.
    #[serde(default)]
    pub items: Vec<String>,
    /// Departments named besides the items' own.
    #[serde(default)]
    pub department_ids: Vec<i64>,
}

const COLS: &str = "t.id, t.centre_id, t.project_id, t.case_id, t.enterprise_user_id, e.display_name AS enterprise_name, \
    t.raised_as, t.title, t.problem, t.items, t.state, t.answer, t.reason, t.raised_on, t.respond_by, t.resolve_by, \
    t.escalation, t.reopened, t.rating, t.rating_comment, t.version \
    FROM tickets t JOIN users e ON e.id = t.enterprise_user_id";

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("ticket {what}"))
}

async fn read(
    c: &impl sea_orm::ConnectionTrait,
    cond: &str,
    values: Vec<sea_orm::Value>,
    tail: &str,
) -> Result<Vec<Ticket>> {
    let rows = query(c, &format!("SELECT {COLS} WHERE {cond} {tail}"), values).await?;
    // The routed departments of every ticket listed, a few statements in all.
    let ids: Vec<i64> = rows
        .iter()
        .map(|r| get::<i64>(r, "id"))
        .collect::<Result<_>>()?;
    let mut routed: std::collections::HashMap<i64, (Vec<i64>, Vec<String>)> = Default::default();
    for chunk in ids.chunks(500) {
        let found = query(
            c,
            &format!(
                "SELECT td.ticket_id, td.department_id, d.name FROM ticket_departments td \
                 JOIN departments d ON d.id = td.department_id WHERE td.ticket_id IN ({}) \
                 ORDER BY td.ticket_id, td.department_id",
                crate::sql::list(chunk.len(), 0)
            ),
            chunk.iter().map(|i| (*i).into()).collect(),
        )
        .await?;
        for d in &found {
            let e = routed.entry(get(d, "ticket_id")?).or_default();
            e.0.push(get(d, "department_id")?);
            e.1.push(get(d, "name")?);
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: i64 = get(r, "id")?;
        let (depts, department_names) = routed.remove(&id).unwrap_or_default();
        let state: String = get(r, "state")?;
        out.push(Ticket {
            id,
            centre_id: get(r, "centre_id")?,
            project_id: get(r, "project_id")?,
            case_id: get(r, "case_id")?,
            enterprise_user_id: get(r, "enterprise_user_id")?,
            enterprise_name: get(r, "enterprise_name")?,
            raised_as: get(r, "raised_as")?,
            title: get(r, "title")?,
            problem: get(r, "problem")?,
            items: json_col(r, "items")?,
            department_ids: depts,
            department_names,
            state_zh: TicketState::parse(&state)
                .ok_or_else(|| corrupt("state"))?
                .zh(),
            state,
            answer: get(r, "answer")?,
            reason: get(r, "reason")?,
            raised_on: date_col(r, "raised_on")?.ok_or_else(|| corrupt("date"))?,
            respond_by: date_col(r, "respond_by")?.ok_or_else(|| corrupt("date"))?,
            resolve_by: date_col(r, "resolve_by")?.ok_or_else(|| corrupt("date"))?,
            escalation: get(r, "escalation")?,
            reopened: get(r, "reopened")?,
            rating: get(r, "rating")?,
            rating_comment: get(r, "rating_comment")?,
            version: get(r, "version")?,
        });
    }
    Ok(out)
}

fn invalid(field: &str, code: &str, zh: &str, en: &str) -> StoreError {
    StoreError::Invalid(FieldError::new(field, code, zh, en).into())
}

impl Store {
    /// Who the actor acts as on the enterprise's tickets: the enterprise
    /// itself, or a concierge under its authorization (with the words the
    /// record keeps); anyone else is refused.
    async fn raiser_label(
        &self,
        actor: &Actor,
        enterprise_id: i64,
        enterprise_name: &str,
        today: NaiveDate,
    ) -> Result<String> {
        match actor.role {
            Role::Applicant
                if actor.user_id == enterprise_id
                    && crate::accounts::mandates::is_enterprise(self.conn(), enterprise_id)
                        .await? =>
            {
                Ok(actor.display_name.clone())
            }
            Role::Concierge => {
                if let Err(why) = self
                    .mandate_check(actor.user_id, enterprise_id, None, today)
                    .await?
                {
                    return Err(refused(why));
                }
                Ok(acting_for(&actor.display_name, enterprise_name))
            }
            _ => Err(StoreError::Forbidden(Denied::Role)),
        }
    }

    /// Raises a ticket on a project the actor may see, or on an application
    /// of the enterprise, on `today`: its deadlines are counted on `cal`.
    pub async fn raise_ticket(
        &self,
        actor: &Actor,
        t: &NewTicket,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<Ticket> {
        let (enterprise, centre_id, centre_path) = match (t.project_id, t.case_id) {
            (Some(pid), _) => {
                let p = self.project(actor, pid).await?;
                let path = query_one(
                    self.conn(),
                    "SELECT centre_path FROM projects WHERE id = $1",
                    vec![pid.into()],
                )
                .await?
                .map(|r| get::<String>(&r, "centre_path"))
                .transpose()?
                .unwrap_or_default();
                // An application named beside the project must be the owner's.
                if let Some(cid) = t.case_id {
                    let owner = query_one(
                        self.conn(),
                        "SELECT applicant_user_id FROM cases WHERE id = $1",
                        vec![cid.into()],
                    )
                    .await?
                    .map(|r| get::<Option<i64>>(&r, "applicant_user_id"))
                    .transpose()?
                    .flatten();
                    if owner != Some(p.owner_user_id) {
                        return Err(StoreError::NotFound(format!("case {cid}")));
                    }
                }
                (p.owner_user_id, p.centre_id, path)
            }
            (None, Some(cid)) => {
                let r = query_one(
                    self.conn(),
                    "SELECT applicant_user_id, centre_id, centre_path FROM cases WHERE id = $1",
                    vec![cid.into()],
                )
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("case {cid}")))?;
                let owner: Option<i64> = get(&r, "applicant_user_id")?;
                let Some(owner) = owner else {
                    return Err(StoreError::NotFound(format!("case {cid}")));
                };
                // The enterprise's own application, or one its concierge
                // follows (一对一).
                let mine = owner == actor.user_id
                    || (actor.role == Role::Concierge
                        && query_one(
                            self.conn(),
                            "SELECT 1 AS one FROM enterprise_concierges WHERE enterprise_user_id = $1 AND concierge_user_id = $2",
                            vec![owner.into(), actor.user_id.into()],
                        )
                        .await?
                        .is_some());
                if !mine {
                    return Err(StoreError::NotFound(format!("case {cid}")));
                }
                (owner, get(&r, "centre_id")?, get(&r, "centre_path")?)
            }
            (None, None) => {
                return Err(invalid(
                    "project_id",
                    "required",
                    "请选择疑难诉求涉及的项目或申请",
                    "name the project or the application",
                ));
            }
        };
        let ename = query_one(
            self.conn(),
            "SELECT display_name FROM users WHERE id = $1",
            vec![enterprise.into()],
        )
        .await?
        .map(|r| get::<String>(&r, "display_name"))
        .transpose()?
        .unwrap_or_default();
        let label = self.raiser_label(actor, enterprise, &ename, today).await?;
        let mut errs = tongban_domain::FieldErrors::default();
        for (f, l, v, max) in [
            ("title", "诉求标题", &t.title, 200),
            ("problem", "问题描述", &t.problem, 4000),
        ] {
            if v.trim().is_empty() {
                errs.push(FieldError::required(f, l));
            } else if let Some(e) = tongban_domain::text::check_text(f, l, f, v, max, true) {
                errs.push(e);
            }
        }
        let mut depts: Vec<i64> = Vec::new();
        let mut items: Vec<String> = t
            .items
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        items.sort();
        items.dedup();
        if items.len() > 20 || t.department_ids.len() > 20 {
            errs.push(FieldError::new(
                "items",
                "too_many",
                "最多选择20个事项和20个部门",
                "at most 20 items and 20 departments",
            ));
        }
        for (i, code) in items.iter().enumerate().take(20) {
            match query_one(
                self.conn(),
                "SELECT department_id FROM item_versions WHERE impl_code = $1 AND status = 'published' AND centre_id = $2",
                vec![code.clone().into(), centre_id.into()],
            )
            .await?
            {
                Some(r) => depts.push(get(&r, "department_id")?),
                None => errs.push(FieldError::new(format!("items[{i}]"), "unknown", "本中心没有此实施编码的已发布事项", "no published item of the centre has this code")),
            }
        }
        for (i, d) in t.department_ids.iter().enumerate().take(20) {
            let ok = query_one(
                self.conn(),
                "SELECT id FROM departments WHERE id = $1 AND centre_id = $2",
                vec![(*d).into(), centre_id.into()],
            )
            .await?;
            if ok.is_some() {
                depts.push(*d);
            } else {
                errs.push(FieldError::new(
                    format!("department_ids[{i}]"),
                    "unknown",
                    "请选择本中心的部门",
                    "name a department of the centre",
                ));
            }
        }
        depts.sort_unstable();
        depts.dedup();
        if depts.is_empty() && errs.0.is_empty() {
            errs.push(FieldError::new(
                "items",
                "required",
                "请选择涉及的事项或部门",
                "name the items or departments concerned",
            ));
        }
        if let Some(vid) = t.visit_id {
            let ok = match t.project_id {
                Some(pid) => query_one(
                    self.conn(),
                    "SELECT id FROM site_visits WHERE id = $1 AND project_id = $2",
                    vec![vid.into(), pid.into()],
                )
                .await?
                .is_some(),
                None => false,
            };
            if !ok {
                errs.push(FieldError::new(
                    "visit_id",
                    "unknown",
                    "走访记录不属于该项目",
                    "the visit is not of this project",
                ));
            }
        }
        errs.into_result().map_err(StoreError::Invalid)?;
        let rules = self.centre_profile(centre_id).await?.enterprise;
        let (respond_by, resolve_by) = ticket::deadlines(
            today,
            rules.ticket_respond_days.get(),
            rules.ticket_resolve_days.get(),
            cal,
        )
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let now = now_ms();
        let txn = self.begin().await?;
        let id = insert_id(
            &txn,
            "INSERT INTO tickets (centre_id, centre_path, project_id, case_id, visit_id, enterprise_user_id, raised_by, raised_as, \
             title, problem, items, state, assignee_id, answer, reason, raised_on, respond_by, resolve_by, escalation, reopened, \
             rating, rating_comment, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'open', NULL, '', '', $12, $13, $14, 0, 0, NULL, '', 1, $15, $15)",
            vec![
                centre_id.into(), centre_path.into(), t.project_id.into(), t.case_id.into(), t.visit_id.into(), enterprise.into(),
                actor.user_id.into(), label.clone().into(), t.title.trim().into(), t.problem.trim().into(), to_json(&items).into(),
                today.to_string().into(), respond_by.to_string().into(), resolve_by.to_string().into(), now.into(),
            ],
        )
        .await?;
        let mut notices = Vec::new();
        for d in &depts {
            exec(
                &txn,
                "INSERT INTO ticket_departments (ticket_id, department_id) VALUES ($1, $2)",
                vec![id.into(), (*d).into()],
            )
            .await?;
            for role in [StaffRole::Reviewer, StaffRole::Head] {
                notices.push(Notice {
                    to: Recipient::Staff { role, department_id: Some(*d), centre_id },
                    case_id: t.case_id,
                    bundle_case_id: None,
                    subject: format!("审批疑难诉求：{}", t.title.trim()),
                    body: format!("{label}提出审批疑难诉求，请于{respond_by}前答复、{resolve_by}前解决。/tickets/{id}"),
                });
            }
        }
        exec(
            &txn,
            "INSERT INTO ticket_events (ticket_id, at, actor_id, actor_label, kind, note) VALUES ($1, $2, $3, $4, 'raised', $5)",
            vec![id.into(), now.into(), actor.user_id.into(), label.into(), t.problem.trim().into()],
        )
        .await?;
        outbox::write(&txn, &notices).await?;
        trail::append(
            &txn,
            Some(actor.user_id),
            "ticket.raise",
            &format!("ticket:{id}"),
            serde_json::json!({"departments": depts}),
        )
        .await?;
        txn.commit().await?;
        self.ticket(actor, id).await.map(|(t, _)| t)
    }

    /// The tickets the actor may see: an enterprise its own; a concierge
    /// those of the enterprises and projects they follow; reviewers and
    /// heads their department's, by deadline; supervisors their centre's
    /// and below, overdue first.
    /// The tickets of one project the actor may see.
    pub async fn project_tickets(&self, actor: &Actor, project_id: i64) -> Result<Vec<Ticket>> {
        let (cond, v, order) = ticket_scope(actor)?;
        read(
            self.conn(),
            &format!("t.project_id = $2 AND {cond}"),
            vec![v, project_id.into()],
            &format!("ORDER BY {order} LIMIT 500"),
        )
        .await
    }

    pub async fn tickets(&self, actor: &Actor) -> Result<Vec<Ticket>> {
        let (cond, v, order) = ticket_scope(actor)?;
        read(
            self.conn(),
            &cond,
            vec![v],
            &format!("ORDER BY {order} LIMIT 500"),
        )
        .await
    }

    /// One ticket with its history, if the actor may see it.
    pub async fn ticket(&self, actor: &Actor, id: i64) -> Result<(Ticket, Vec<TicketEvent>)> {
        let (cond, v, _) = ticket_scope(actor)?;
        let cond = format!("t.id = $2 AND {cond}");
        let t = read(self.conn(), &cond, vec![v, id.into()], "")
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::NotFound(format!("ticket {id}")))?;
        let events = query(
            self.conn(),
            "SELECT at, actor_label, kind, note FROM ticket_events WHERE ticket_id = $1 ORDER BY id",
            vec![id.into()],
        )
        .await?
        .iter()
        .map(|r| Ok(TicketEvent { at: get(r, "at")?, actor_label: get(r, "actor_label")?, kind: get(r, "kind")?, note: get(r, "note")? }))
        .collect::<Result<_>>()?;
        Ok((t, events))
    }

    /// Moves a ticket: a routed department's reviewer or head assigns,
    /// answers or rejects it (the last two with a text); the raiser side
    /// confirms it resolved, reopens it (with why) or closes it; a
    /// supervisor may close a resolved one. `version` is the one read.
    pub async fn act_on_ticket(
        &self,
        actor: &Actor,
        id: i64,
        action: TicketAction,
        note: &str,
        version: i64,
    ) -> Result<Ticket> {
        let (t, _) = self.ticket(actor, id).await?;
        let state = TicketState::parse(&t.state).ok_or_else(|| corrupt("state"))?;
        let of_dept = matches!(actor.role, Role::Reviewer | Role::Head)
            && actor
                .department_id
                .is_some_and(|d| t.department_ids.contains(&d));
        let label = match action {
            TicketAction::Assign | TicketAction::Answer | TicketAction::Reject => {
                if !of_dept {
                    return Err(StoreError::Forbidden(Denied::Role));
                }
                actor.display_name.clone()
            }
            TicketAction::Resolve | TicketAction::Reopen => {
                self.raiser_label(
                    actor,
                    t.enterprise_user_id,
                    &t.enterprise_name,
                    crate::shanghai_today(),
                )
                .await?
            }
            TicketAction::Close if actor.role == Role::Supervisor => actor.display_name.clone(),
            TicketAction::Close => {
                self.raiser_label(
                    actor,
                    t.enterprise_user_id,
                    &t.enterprise_name,
                    crate::shanghai_today(),
                )
                .await?
            }
        };
        let needs_text = matches!(
            action,
            TicketAction::Answer | TicketAction::Reject | TicketAction::Reopen
        );
        if needs_text && note.trim().is_empty() {
            return Err(invalid(
                "note",
                "required",
                "请填写答复、理由或未解决的原因",
                "write the answer or the reason",
            ));
        }
        if let Some(e) = tongban_domain::text::check_text("note", "说明", "note", note, 4000, true)
        {
            return Err(StoreError::Invalid(e.into()));
        }
        let rules = self.centre_profile(t.centre_id).await?.enterprise;
        let next = ticket::next_state(
            state,
            action,
            u32::try_from(t.reopened).unwrap_or(u32::MAX),
            rules.reopen_limit.get(),
        )
        .map_err(|e| StoreError::conflict(e.zh(), e.en()))?;
        let now = now_ms();
        let note = note.trim();
        let txn = self.begin().await?;
        let (extra, mut values): (&str, Vec<sea_orm::Value>) = match action {
            TicketAction::Assign => (", assignee_id = $5", vec![actor.user_id.into()]),
            TicketAction::Answer => (
                ", answer = $5, assignee_id = COALESCE(assignee_id, $6), escalation = 0",
                vec![note.into(), actor.user_id.into()],
            ),
            TicketAction::Reject => (", reason = $5", vec![note.into()]),
            TicketAction::Reopen => {
                // The departments owe a new answer, from today.
                let cal = self.work_calendar().await?;
                let (respond, resolve) = ticket::deadlines(
                    crate::shanghai_today(),
                    rules.ticket_respond_days.get(),
                    rules.ticket_resolve_days.get(),
                    &cal,
                )
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                (
                    ", reopened = reopened + 1, respond_by = $5, resolve_by = $6, escalation = 0",
                    vec![respond.to_string().into(), resolve.to_string().into()],
                )
            }
            TicketAction::Resolve | TicketAction::Close => ("", vec![]),
        };
        let mut all: Vec<sea_orm::Value> =
            vec![next.as_str().into(), now.into(), id.into(), version.into()];
        all.append(&mut values);
        let n = exec(
            &txn,
            &format!("UPDATE tickets SET state = $1, updated_at = $2, version = version + 1{extra} WHERE id = $3 AND version = $4"),
            all,
        )
        .await?;
        if n != 1 {
            return Err(StoreError::conflict(
                "该疑难诉求已被他人处理，请刷新后重试",
                "the ticket changed meanwhile; reload",
            ));
        }
        exec(
            &txn,
            "INSERT INTO ticket_events (ticket_id, at, actor_id, actor_label, kind, note) VALUES ($1, $2, $3, $4, $5, $6)",
            vec![id.into(), now.into(), actor.user_id.into(), label.clone().into(), action.as_str().into(), note.into()],
        )
        .await?;
        let subject = format!("审批疑难诉求“{}”：{}", t.title, next.zh());
        let body = format!("{label}：{}。/tickets/{id}", action.zh());
        let notices: Vec<Notice> = if matches!(action, TicketAction::Answer | TicketAction::Reject)
        {
            vec![Notice {
                to: Recipient::Person {
                    user_id: Some(t.enterprise_user_id),
                    email: String::new(),
                },
                case_id: t.case_id,
                bundle_case_id: None,
                subject,
                body,
            }]
        } else if action == TicketAction::Reopen {
            t.department_ids
                .iter()
                .map(|d| Notice {
                    to: Recipient::Staff {
                        role: StaffRole::Reviewer,
                        department_id: Some(*d),
                        centre_id: t.centre_id,
                    },
                    case_id: t.case_id,
                    bundle_case_id: None,
                    subject: subject.clone(),
                    body: body.clone(),
                })
                .collect()
        } else {
            Vec::new()
        };
        outbox::write(&txn, &notices).await?;
        trail::append(
            &txn,
            Some(actor.user_id),
            &format!("ticket.{}", action.as_str()),
            &format!("ticket:{id}"),
            serde_json::json!({"state": next.as_str()}),
        )
        .await?;
        txn.commit().await?;
        self.ticket(actor, id).await.map(|(t, _)| t)
    }

    /// The raiser side rates a resolved ticket once (five levels, §8.1).
    pub async fn rate_ticket(
        &self,
        actor: &Actor,
        id: i64,
        level: i64,
        comment: &str,
    ) -> Result<Ticket> {
        let (t, _) = self.ticket(actor, id).await?;
        let label = self
            .raiser_label(
                actor,
                t.enterprise_user_id,
                &t.enterprise_name,
                crate::shanghai_today(),
            )
            .await?;
        if !(1..=5).contains(&level) {
            return Err(invalid(
                "level",
                "out_of_range",
                "评价等级应为1至5",
                "level must be 1 to 5",
            ));
        }
        if let Some(e) =
            tongban_domain::text::check_text("comment", "评价意见", "comment", comment, 1000, true)
        {
            return Err(StoreError::Invalid(e.into()));
        }
        if level <= 2 && comment.trim().is_empty() {
            return Err(invalid(
                "comment",
                "required",
                "不满意的评价请说明原因",
                "say why for a dissatisfied rating",
            ));
        }
        if !matches!(t.state.as_str(), "resolved" | "closed") {
            return Err(StoreError::conflict(
                "疑难诉求解决后才能评价",
                "a ticket is rated once resolved",
            ));
        }
        let txn = self.begin().await?;
        let n = exec(
            &txn,
            "UPDATE tickets SET rating = $1, rating_comment = $2, updated_at = $3, version = version + 1 WHERE id = $4 AND rating IS NULL",
            vec![level.into(), comment.trim().into(), now_ms().into(), id.into()],
        )
        .await?;
        if n != 1 {
            return Err(StoreError::conflict(
                "该疑难诉求已评价",
                "the ticket is rated already",
            ));
        }
        exec(
            &txn,
            "INSERT INTO ticket_events (ticket_id, at, actor_id, actor_label, kind, note) VALUES ($1, $2, $3, $4, 'rated', $5)",
            vec![id.into(), now_ms().into(), actor.user_id.into(), label.into(), format!("{level}").into()],
        )
        .await?;
        trail::append(
            &txn,
            Some(actor.user_id),
            "ticket.rate",
            &format!("ticket:{id}"),
            serde_json::json!({"level": level}),
        )
        .await?;
        txn.commit().await?;
        self.ticket(actor, id).await.map(|(t, _)| t)
    }
}

/// Which tickets an actor sees (a condition on `t` with its one value `$1`)
/// and in which order.
fn ticket_scope(actor: &Actor) -> Result<(String, sea_orm::Value, &'static str)> {
    Ok(match actor.role {
        Role::Applicant => (
            "t.enterprise_user_id = $1".into(),
            actor.user_id.into(),
            "t.id DESC",
        ),
        Role::Concierge => {
            let (projects, _) = project_scope(actor)?;
            (
                format!(
                    "(t.raised_by = $1 OR t.enterprise_user_id IN (SELECT enterprise_user_id FROM enterprise_concierges WHERE concierge_user_id = $1) \
                     OR t.project_id IN (SELECT p.id FROM projects p WHERE {projects}))"
                ),
                actor.user_id.into(),
                "t.id DESC",
            )
        }
        Role::Reviewer | Role::Head => match actor.department_id {
            Some(d) => (
                "t.id IN (SELECT ticket_id FROM ticket_departments WHERE department_id = $1)"
                    .into(),
                d.into(),
                "CASE WHEN t.state IN ('open', 'assigned', 'reopened') THEN t.respond_by ELSE t.resolve_by END, t.id",
            ),
            None => return Err(StoreError::Forbidden(Denied::Department)),
        },
        Role::Supervisor => (
            "t.centre_path LIKE $1".into(),
            format!("{}%", actor.centre_path).into(),
            "t.escalation DESC, t.respond_by, t.id",
        ),
        _ => return Err(StoreError::Forbidden(Denied::Role)),
    })
}
