//! 首问负责 (SPEC §4.4): every inquiry at a window or on the hotline is
//! logged with its first owner, who stays responsible until a recorded
//! hand-over to a colleague of the same centre.

use serde::Serialize;
use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::codes::mask_name;
use tongban_domain::privacy::Sight;
use tongban_domain::{FieldError, FieldErrors};

use crate::{Result, Store, StoreError, exec, get, insert_id, now_ms, query, query_one, trail};

#[derive(Debug, Clone, Serialize)]
pub struct Inquiry {
    pub id: i64,
    pub centre_id: i64,
    pub channel: String,
    pub subject: String,
    pub inquirer: String,
    pub contact: String,
    pub owner_id: i64,
    pub owner_name: String,
    pub status: String,
    pub answer: String,
    pub created_at: i64,
    pub closed_at: Option<i64>,
}

impl Inquiry {
    /// The inquirer's name as lists show it.
    pub fn inquirer_masked(&self) -> String {
        mask_name(&self.inquirer)
    }

    /// The inquiry as a viewer with `sight` sees it (the one rule: staff
    /// answering it see the inquirer, supervisors do not).
    pub fn seen_by(mut self, sight: Sight) -> Inquiry {
        self.inquirer = sight.name(&self.inquirer);
        self.contact = sight.contact(&self.contact);
        self
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct InquiryEvent {
    pub at: i64,
    pub actor_name: String,
    pub kind: String,
    pub to_owner_name: Option<String>,
    pub note: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct NewInquiry {
    /// `window` or `hotline`.
    pub channel: String,
    pub subject: String,
    pub inquirer: String,
    #[serde(default)]
    pub contact: String,
}

const COLS: &str = "q.id, q.centre_id, q.channel, q.subject, q.inquirer, q.contact, q.owner_id, \
    u.display_name AS owner_name, q.status, q.answer, q.created_at, q.closed_at \
    FROM inquiries q JOIN users u ON u.id = q.owner_id";

fn row(r: &sea_orm::QueryResult) -> Result<Inquiry> {
    Ok(Inquiry {
        id: get(r, "id")?,
        centre_id: get(r, "centre_id")?,
        channel: get(r, "channel")?,
        subject: get(r, "subject")?,
        inquirer: get(r, "inquirer")?,
        contact: get(r, "contact")?,
        owner_id: get(r, "owner_id")?,
        owner_name: get(r, "owner_name")?,
        status: get(r, "status")?,
        answer: get(r, "answer")?,
        created_at: get(r, "created_at")?,
        closed_at: get(r, "closed_at")?,
    })
}

fn staff_of_centre(a: &Actor) -> Result<()> {
    match a.role {
        Role::Clerk | Role::Reviewer | Role::Head | Role::Concierge | Role::Supervisor => Ok(()),
        _ => Err(StoreError::Forbidden(Denied::Role)),
    }
}

fn text(field: &str, v: &str, label_zh: &str, max: usize, errs: &mut FieldErrors) {
    if v.trim().is_empty() {
        errs.push(FieldError::required(field, label_zh));
    } else if let Some(e) =
        tongban_domain::text::check_text(field, label_zh, field, v, usize::MAX, true)
    {
        // No control or bidirectional characters (the length is said below).
        errs.push(e);
    } else if v.chars().count() > max {
        errs.push(FieldError::new(
            field,
            "too_long",
            format!("{label_zh}不能超过{max}字"),
            format!("{field} must be at most {max} characters"),
        ));
    }
}

impl Store {
    /// Logs an inquiry; the one who logs it is its first owner.
    pub async fn create_inquiry(&self, actor: &Actor, q: &NewInquiry) -> Result<Inquiry> {
        staff_of_centre(actor)?;
        let mut errs = FieldErrors::default();
        if !matches!(q.channel.as_str(), "window" | "hotline") {
            errs.push(FieldError::new(
                "channel",
                "invalid",
                "请选择咨询渠道（窗口或热线）",
                "channel must be window or hotline",
            ));
        }
        text("subject", &q.subject, "咨询内容", 2000, &mut errs);
        text("inquirer", &q.inquirer, "咨询人", 100, &mut errs);
        if q.contact.chars().count() > 100 {
            errs.push(FieldError::new(
                "contact",
                "too_long",
                "联系方式不能超过100字",
                "contact must be at most 100 characters",
            ));
        }
        errs.into_result().map_err(StoreError::Invalid)?;
        let now = now_ms();
        let txn = self.begin().await?;
        let id = insert_id(
            &txn,
            "INSERT INTO inquiries (centre_id, channel, subject, inquirer, contact, owner_id, status, answer, created_by, created_at, closed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'open', '', $6, $7, NULL)",
            vec![
                actor.centre_id.into(),
                q.channel.clone().into(),
                q.subject.trim().into(),
                q.inquirer.trim().into(),
                q.contact.trim().into(),
                actor.user_id.into(),
                now.into(),
            ],
        )
        .await?;
        exec(
            &txn,
            "INSERT INTO inquiry_events (inquiry_id, at, actor_id, kind, to_owner, note) VALUES ($1, $2, $3, 'created', $3, '')",
            vec![id.into(), now.into(), actor.user_id.into()],
        )
        .await?;
        trail::append(
            &txn,
            Some(actor.user_id),
            "inquiry.create",
            &format!("inquiry:{id}"),
            serde_json::json!({"channel": q.channel}),
        )
        .await?;
        txn.commit().await?;
        self.inquiry(actor, id).await.map(|(q, _)| q)
    }

    /// Open inquiries of the actor's centre (a supervisor: also closed ones).
    pub async fn inquiries(&self, actor: &Actor) -> Result<Vec<Inquiry>> {
        staff_of_centre(actor)?;
        let rows = query(
            self.conn(),
            &format!(
                "SELECT {COLS} WHERE q.centre_id = $1 ORDER BY q.status DESC, q.id DESC LIMIT 500"
            ),
            vec![actor.centre_id.into()],
        )
        .await?;
        let sight = Sight::of_inquirer(actor);
        rows.iter()
            .map(|r| row(r).map(|q| q.seen_by(sight)))
            .collect()
    }

    pub async fn inquiry(&self, actor: &Actor, id: i64) -> Result<(Inquiry, Vec<InquiryEvent>)> {
        staff_of_centre(actor)?;
        let q = query_one(
            self.conn(),
            &format!("SELECT {COLS} WHERE q.id = $1"),
            vec![id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("inquiry {id}")))?;
        let q = row(&q)?;
        if q.centre_id != actor.centre_id {
            return Err(StoreError::NotFound(format!("inquiry {id}")));
        }
        let rows = query(
            self.conn(),
            "SELECT e.at, a.display_name AS actor_name, e.kind, o.display_name AS to_owner_name, e.note \
             FROM inquiry_events e JOIN users a ON a.id = e.actor_id LEFT JOIN users o ON o.id = e.to_owner \
             WHERE e.inquiry_id = $1 ORDER BY e.id",
            vec![id.into()],
        )
        .await?;
        let events = rows
            .iter()
            .map(|r| {
                Ok(InquiryEvent {
                    at: get(r, "at")?,
                    actor_name: get(r, "actor_name")?,
                    kind: get(r, "kind")?,
                    to_owner_name: get(r, "to_owner_name")?,
                    note: get(r, "note")?,
                })
            })
            .collect::<Result<_>>()?;
        Ok((q.seen_by(Sight::of_inquirer(actor)), events))
    }

    /// Hands an open inquiry over: only its owner may, to active staff of the
    /// same centre, with a note saying what was done so far.
    pub async fn hand_over_inquiry(
        &self,
        actor: &Actor,
        id: i64,
        to_username: &str,
        note: &str,
    ) -> Result<Inquiry> {
        let (q, _) = self.inquiry(actor, id).await?;
        if q.owner_id != actor.user_id {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        if q.status != "open" {
            return Err(StoreError::conflict(
                "该咨询已办结",
                "the inquiry is closed",
            ));
        }
        let mut errs = FieldErrors::default();
        text("note", note, "移交说明", 2000, &mut errs);
        let target = query_one(
            self.conn(),
            "SELECT id, role, centre_id FROM users WHERE username = $1 AND active",
            vec![to_username.trim().into()],
        )
        .await?;
        let to = match target {
            Some(r) => {
                let role: String = get(&r, "role")?;
                let centre: i64 = get(&r, "centre_id")?;
                let id: i64 = get(&r, "id")?;
                let staff = matches!(
                    role.as_str(),
                    "clerk" | "reviewer" | "head" | "concierge" | "supervisor"
                );
                if centre != q.centre_id || !staff || id == actor.user_id {
                    None
                } else {
                    Some(id)
                }
            }
            None => None,
        };
        if to.is_none() {
            errs.push(FieldError::new(
                "to",
                "unknown",
                "请填写本中心另一位工作人员的用户名",
                "name another staff member of this centre",
            ));
        }
        errs.into_result().map_err(StoreError::Invalid)?;
        let Some(to) = to else {
            return Err(StoreError::NotFound("user".into()));
        };
        let now = now_ms();
        let txn = self.begin().await?;
        let n = exec(
            &txn,
            "UPDATE inquiries SET owner_id = $1 WHERE id = $2 AND owner_id = $3 AND status = 'open'",
            vec![to.into(), id.into(), actor.user_id.into()],
        )
        .await?;
        if n != 1 {
            return Err(StoreError::conflict(
                "该咨询已被他人处理，请刷新",
                "the inquiry changed; reload",
            ));
        }
        exec(
            &txn,
            "INSERT INTO inquiry_events (inquiry_id, at, actor_id, kind, to_owner, note) VALUES ($1, $2, $3, 'handed_over', $4, $5)",
            vec![id.into(), now.into(), actor.user_id.into(), to.into(), note.trim().into()],
        )
        .await?;
        trail::append(
            &txn,
            Some(actor.user_id),
            "inquiry.hand_over",
            &format!("inquiry:{id}"),
            serde_json::json!({"to": to}),
        )
        .await?;
        txn.commit().await?;
        self.inquiry_any(id).await
    }

    /// Closes an inquiry with the answer given: its owner only.
    pub async fn close_inquiry(&self, actor: &Actor, id: i64, answer: &str) -> Result<Inquiry> {
        let (q, _) = self.inquiry(actor, id).await?;
        if q.owner_id != actor.user_id {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        let mut errs = FieldErrors::default();
        text("answer", answer, "答复内容", 4000, &mut errs);
        errs.into_result().map_err(StoreError::Invalid)?;
        let now = now_ms();
        let txn = self.begin().await?;
        let n = exec(
            &txn,
            "UPDATE inquiries SET status = 'closed', answer = $1, closed_at = $2 WHERE id = $3 AND owner_id = $4 AND status = 'open'",
            vec![answer.trim().into(), now.into(), id.into(), actor.user_id.into()],
        )
        .await?;
        if n != 1 {
            return Err(StoreError::conflict(
                "该咨询已办结",
                "the inquiry is closed",
            ));
        }
        exec(
            &txn,
            "INSERT INTO inquiry_events (inquiry_id, at, actor_id, kind, to_owner, note) VALUES ($1, $2, $3, 'closed', NULL, $4)",
            vec![id.into(), now.into(), actor.user_id.into(), answer.trim().into()],
        )
        .await?;
        trail::append(
            &txn,
            Some(actor.user_id),
            "inquiry.close",
            &format!("inquiry:{id}"),
            serde_json::json!({}),
        )
        .await?;
        txn.commit().await?;
        self.inquiry_any(id).await
    }

    async fn inquiry_any(&self, id: i64) -> Result<Inquiry> {
        let r = query_one(
            self.conn(),
            &format!("SELECT {COLS} WHERE q.id = $1"),
            vec![id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("inquiry {id}")))?;
        row(&r)
    }
}
