//! Notices: in-app notifications and the e-mail outbox (written in the same
//! transaction as the change they announce, so none is lost), and the
//! deadline warning sweep (SPEC §4.2, 电子监察).

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use serde::Serialize;
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::{CaseState, Notify, ReviewTask, TaskStatus};
use tongban_domain::clock::{self, ClockEvent, Warning, WarningRule};

use crate::cases::Case;
use crate::{Result, Store, exec, get, now_ms, query, query_one, trail};

/// One in-app notification.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    pub id: i64,
    pub case_id: Option<i64>,
    /// A bundle application's notice (一件事).
    pub bundle_case_id: Option<i64>,
    pub subject: String,
    pub body: String,
    pub created_at: i64,
    pub read: bool,
}

/// One e-mail waiting in (or delivered from) the outbox.
#[derive(Debug, Clone, Serialize)]
pub struct Mail {
    pub id: i64,
    pub to_addr: String,
    pub subject: String,
    pub body: String,
    pub attempts: i64,
    pub sent_at: Option<i64>,
    pub last_error: String,
}

/// Sends notifications (and mail to those with an address) to the users
/// selected by `filter` (a condition on `users u`, parameters from $4 on).
async fn to_users(
    c: &impl ConnectionTrait,
    case_id: Option<i64>,
    subject: &str,
    body: &str,
    filter: &str,
    params: Vec<sea_orm::Value>,
) -> Result<()> {
    let now = now_ms();
    let mut v: Vec<sea_orm::Value> = vec![subject.into(), body.into(), now.into()];
    v.extend(params.iter().cloned());
    let mut v1 = v.clone();
    v1.push(case_id.into());
    let case_param = format!("${}", v1.len());
    exec(
        c,
        &format!(
            "INSERT INTO notifications (user_id, case_id, subject, body, created_at, read_at) \
             SELECT u.id, {case_param}, $1, $2, $3, NULL FROM users u WHERE u.active AND {filter}"
        ),
        v1,
    )
    .await?;
    exec(
        c,
        &format!(
            "INSERT INTO outbox (to_addr, subject, body, created_at, attempts, next_attempt_at, sent_at, last_error) \
             SELECT u.email, $1, $2, $3, 0, $3, NULL, '' FROM users u WHERE u.active AND u.email <> '' AND {filter}"
        ),
        v,
    )
    .await?;
    Ok(())
}

/// Who an applicant's notice is about: a case, a bundle application, or both.
pub(crate) struct About {
    pub case_id: Option<i64>,
    pub bundle_case_id: Option<i64>,
}

/// An in-app notice to an applicant (if they have an account) and the same
/// by e-mail (if they gave an address), in the caller's transaction.
pub(crate) async fn to_applicant(
    c: &impl ConnectionTrait,
    user_id: Option<i64>,
    email: &str,
    about: About,
    subject: &str,
    body: &str,
) -> Result<()> {
    let now = now_ms();
    if let Some(uid) = user_id {
        exec(
            c,
            "INSERT INTO notifications (user_id, case_id, subject, body, created_at, read_at, bundle_case_id) VALUES ($1, $2, $3, $4, $5, NULL, $6)",
            vec![
                uid.into(),
                about.case_id.into(),
                subject.into(),
                body.into(),
                now.into(),
                about.bundle_case_id.into(),
            ],
        )
        .await?;
    }
    if !email.is_empty() {
        exec(
            c,
            "INSERT INTO outbox (to_addr, subject, body, created_at, attempts, next_attempt_at, sent_at, last_error) VALUES ($1, $2, $3, $4, 0, $4, NULL, '')",
            vec![email.into(), subject.into(), body.into(), now.into()],
        )
        .await?;
    }
    Ok(())
}

/// Notifies one group of people about a case.
pub(crate) async fn notify_group(
    c: &impl ConnectionTrait,
    case: &Case,
    tasks: &[ReviewTask],
    who: Notify,
    subject: &str,
    body: &str,
) -> Result<()> {
    let cid = Some(case.id);
    match who {
        Notify::Applicant => {
            if let Some(uid) = case.applicant_user_id {
                exec(
                    c,
                    "INSERT INTO notifications (user_id, case_id, subject, body, created_at, read_at) VALUES ($1, $2, $3, $4, $5, NULL)",
                    vec![uid.into(), case.id.into(), subject.into(), body.into(), now_ms().into()],
                )
                .await?;
            }
            if !case.applicant_email.is_empty() {
                let now = now_ms();
                exec(
                    c,
                    "INSERT INTO outbox (to_addr, subject, body, created_at, attempts, next_attempt_at, sent_at, last_error) VALUES ($1, $2, $3, $4, 0, $4, NULL, '')",
                    vec![case.applicant_email.clone().into(), subject.into(), body.into(), now.into()],
                )
                .await?;
            }
        }
        Notify::Reviewers => {
            for t in tasks.iter().filter(|t| t.status == TaskStatus::Active) {
                to_users(
                    c,
                    cid,
                    subject,
                    body,
                    "u.role = 'reviewer' AND u.department_id = $4",
                    vec![t.department_id.into()],
                )
                .await?;
            }
        }
        Notify::LeadHead => {
            to_users(
                c,
                cid,
                subject,
                body,
                "u.role = 'head' AND u.department_id = $4",
                vec![case.lead_department_id.into()],
            )
            .await?;
        }
        Notify::Clerks => {
            to_users(
                c,
                cid,
                subject,
                body,
                "u.role = 'clerk' AND u.centre_id = $4",
                vec![case.centre_id.into()],
            )
            .await?;
        }
    }
    Ok(())
}

/// Backoff before the next delivery attempt: 1 min, 2, 4 … capped at 1 hour.
pub fn retry_delay_ms(attempts: i64) -> i64 {
    let exp = attempts.clamp(0, 6) as u32;
    (60_000i64 << exp).min(3_600_000)
}

impl Store {
    pub async fn notifications(&self, user_id: i64, limit: i64) -> Result<Vec<Notification>> {
        let rows = query(
            self.conn(),
            "SELECT id, case_id, bundle_case_id, subject, body, created_at, read_at FROM notifications WHERE user_id = $1 ORDER BY id DESC LIMIT $2",
            vec![user_id.into(), limit.into()],
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Notification {
                    id: get(r, "id")?,
                    case_id: get(r, "case_id")?,
                    bundle_case_id: get(r, "bundle_case_id")?,
                    subject: get(r, "subject")?,
                    body: get(r, "body")?,
                    created_at: get(r, "created_at")?,
                    read: get::<Option<i64>>(r, "read_at")?.is_some(),
                })
            })
            .collect()
    }

    pub async fn unread_notifications(&self, user_id: i64) -> Result<i64> {
        let r = query_one(
            self.conn(),
            "SELECT COUNT(*) AS n FROM notifications WHERE user_id = $1 AND read_at IS NULL",
            vec![user_id.into()],
        )
        .await?;
        Ok(match r {
            Some(r) => get(&r, "n")?,
            None => 0,
        })
    }

    pub async fn mark_notifications_read(&self, user_id: i64) -> Result<()> {
        exec(
            self.conn(),
            "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL",
            vec![now_ms().into(), user_id.into()],
        )
        .await?;
        Ok(())
    }

    /// Mail due for (another) delivery attempt, oldest first.
    pub async fn due_mail(&self, limit: i64) -> Result<Vec<Mail>> {
        let rows = query(
            self.conn(),
            "SELECT id, to_addr, subject, body, attempts, sent_at, last_error FROM outbox \
             WHERE sent_at IS NULL AND next_attempt_at <= $1 ORDER BY id LIMIT $2",
            vec![now_ms().into(), limit.into()],
        )
        .await?;
        rows.iter().map(row_mail).collect()
    }

    /// The whole outbox, newest first (tests and the admin view).
    pub async fn outbox(&self, limit: i64) -> Result<Vec<Mail>> {
        let rows = query(
            self.conn(),
            "SELECT id, to_addr, subject, body, attempts, sent_at, last_error FROM outbox ORDER BY id DESC LIMIT $1",
            vec![limit.into()],
        )
        .await?;
        rows.iter().map(row_mail).collect()
    }

    pub async fn mail_sent(&self, id: i64) -> Result<()> {
        exec(
            self.conn(),
            "UPDATE outbox SET sent_at = $1, attempts = attempts + 1, last_error = '' WHERE id = $2",
            vec![now_ms().into(), id.into()],
        )
        .await?;
        Ok(())
    }

    /// Records a failed attempt; the mail stays and is retried later.
    pub async fn mail_failed(&self, id: i64, error: &str) -> Result<()> {
        let r = query_one(
            self.conn(),
            "SELECT attempts FROM outbox WHERE id = $1",
            vec![id.into()],
        )
        .await?;
        let attempts: i64 = match r {
            Some(r) => get(&r, "attempts")?,
            None => return Ok(()),
        };
        let error: String = error.chars().take(500).collect();
        exec(
            self.conn(),
            "UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 WHERE id = $3",
            vec![
                error.into(),
                (now_ms() + retry_delay_ms(attempts)).into(),
                id.into(),
            ],
        )
        .await?;
        Ok(())
    }

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
            let tasks = if case.state == CaseState::Review {
                case.tasks.clone()
            } else {
                vec![ReviewTask {
                    department_id: case.lead_department_id,
                    status: TaskStatus::Active,
                }]
            };
            notify_group(&txn, &case, &tasks, Notify::Reviewers, &subject, &body).await?;
            if level == Warning::Red {
                notify_group(&txn, &case, &tasks, Notify::LeadHead, &subject, &body).await?;
                to_users(
                    &txn,
                    Some(case.id),
                    &subject,
                    &body,
                    "u.role = 'supervisor' AND EXISTS (SELECT 1 FROM centres c WHERE c.id = u.centre_id AND $4 LIKE c.path || '%')",
                    vec![case.centre_path.clone().into()],
                )
                .await?;
            }
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

fn row_mail(r: &sea_orm::QueryResult) -> Result<Mail> {
    Ok(Mail {
        id: get(r, "id")?,
        to_addr: get(r, "to_addr")?,
        subject: get(r, "subject")?,
        body: get(r, "body")?,
        attempts: get(r, "attempts")?,
        sent_at: get(r, "sent_at")?,
        last_error: get(r, "last_error")?,
    })
}
