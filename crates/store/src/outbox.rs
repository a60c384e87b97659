//! The one writer of notices: in-app notifications and the e-mail outbox,
//! written in the transaction of the change they announce, so a notice is
//! never lost nor sent for a change that did not happen. Everything that
//! tells someone something (case steps, bundles, policies, warnings) hands
//! its notices here.

use sea_orm::ConnectionTrait;

use crate::sql::{exec, rows};
use crate::{Result, now_ms};

/// Who a notice goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// One person: an in-app notice when they have an account, and mail
    /// when they gave an address.
    Person { user_id: Option<i64>, email: String },
    /// Every active member of a staff role: window clerks of a centre, or
    /// reviewers / heads of a department (in-app, and mail to those with an
    /// address).
    Staff {
        role: StaffRole,
        department_id: Option<i64>,
        centre_id: i64,
    },
    /// The supervisors (电子监察) of a centre and of every centre above it.
    Supervisors { centre_path: String },
}

/// The staff roles notices are addressed to as a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffRole {
    Clerk,
    Reviewer,
    Head,
    /// A department's catalogue admins and the centre's own.
    CatalogAdmin,
}

impl StaffRole {
    fn as_str(self) -> &'static str {
        match self {
            StaffRole::Clerk => "clerk",
            StaffRole::Reviewer => "reviewer",
            StaffRole::Head => "head",
            StaffRole::CatalogAdmin => "catalog_admin",
        }
    }
}

/// One notice to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub to: Recipient,
    /// The case it is about, if any.
    pub case_id: Option<i64>,
    /// The bundle application (一件事) it is about, if any.
    pub bundle_case_id: Option<i64>,
    pub subject: String,
    pub body: String,
}

/// Writes notices with a few multi-row statements, whatever their number.
pub(crate) async fn write(c: &impl ConnectionTrait, notices: &[Notice]) -> Result<()> {
    if notices.is_empty() {
        return Ok(());
    }
    let b = c.get_database_backend();
    let now = now_ms();
    let (mut direct, mut direct_rows) = (Vec::new(), 0);
    let (mut mail, mut mail_rows) = (Vec::new(), 0);
    let (mut staff, mut staff_rows) = (Vec::new(), 0);
    let mut supervisors: Vec<(&Notice, &str)> = Vec::new();
    for n in notices {
        match &n.to {
            Recipient::Person { user_id, email } => {
                if let Some(uid) = user_id {
                    direct.extend([
                        (*uid).into(),
                        n.case_id.into(),
                        n.bundle_case_id.into(),
                        n.subject.clone().into(),
                        n.body.clone().into(),
                        now.into(),
                    ]);
                    direct_rows += 1;
                }
                if !email.is_empty() {
                    mail.extend([
                        email.clone().into(),
                        n.subject.clone().into(),
                        n.body.clone().into(),
                        now.into(),
                        now.into(),
                    ]);
                    mail_rows += 1;
                }
            }
            Recipient::Supervisors { centre_path } => {
                supervisors.push((n, centre_path.as_str()));
            }
            Recipient::Staff {
                role,
                department_id,
                centre_id,
            } => {
                staff.extend::<[sea_orm::Value; 8]>([
                    n.case_id.into(),
                    n.bundle_case_id.into(),
                    n.subject.clone().into(),
                    n.body.clone().into(),
                    now.into(),
                    role.as_str().into(),
                    (*department_id).into(),
                    (*centre_id).into(),
                ]);
                staff_rows += 1;
            }
        }
    }
    if direct_rows > 0 {
        exec(
            c,
            &format!(
                "INSERT INTO notifications (user_id, case_id, bundle_case_id, subject, body, created_at) VALUES {}",
                rows(b, direct_rows, 6, "")
            ),
            direct,
        )
        .await?;
    }
    if mail_rows > 0 {
        // Due at once: the first attempt is at the creation time.
        exec(
            c,
            &format!(
                "INSERT INTO outbox (to_addr, subject, body, created_at, next_attempt_at, attempts, last_error) VALUES {}",
                rows(b, mail_rows, 5, ", 0, ''")
            ),
            mail,
        )
        .await?;
    }
    if staff_rows > 0 {
        // Clerks are a centre's; reviewers and heads a department's;
        // catalogue admins the department's and the centre's own.
        let vals = rows(b, staff_rows, 8, "");
        let join = "JOIN users u ON u.active AND u.role = v.column6 AND \
             ((v.column6 = 'clerk' AND u.centre_id = CAST(v.column8 AS BIGINT)) \
              OR (v.column6 = 'catalog_admin' AND u.centre_id = CAST(v.column8 AS BIGINT) \
                  AND (u.department_id IS NULL OR u.department_id = CAST(v.column7 AS BIGINT))) \
              OR (v.column6 NOT IN ('clerk', 'catalog_admin') AND u.department_id = CAST(v.column7 AS BIGINT)))";
        exec(
            c,
            &format!(
                "INSERT INTO notifications (user_id, case_id, bundle_case_id, subject, body, created_at) \
                 SELECT u.id, CAST(v.column1 AS BIGINT), CAST(v.column2 AS BIGINT), v.column3, v.column4, CAST(v.column5 AS BIGINT) \
                 FROM (VALUES {vals}) AS v {join}"
            ),
            staff.clone(),
        )
        .await?;
        exec(
            c,
            &format!(
                "INSERT INTO outbox (to_addr, subject, body, created_at, attempts, next_attempt_at, last_error) \
                 SELECT u.email, v.column3, v.column4, CAST(v.column5 AS BIGINT), 0, CAST(v.column5 AS BIGINT), '' \
                 FROM (VALUES {vals}) AS v {join} WHERE u.email <> ''"
            ),
            staff,
        )
        .await?;
    }
    for (n, path) in supervisors {
        let filter = "u.active AND u.role = 'supervisor' AND EXISTS \
             (SELECT 1 FROM centres c WHERE c.id = u.centre_id AND $1 LIKE c.path || '%')";
        exec(
            c,
            &format!(
                "INSERT INTO notifications (user_id, case_id, bundle_case_id, subject, body, created_at) \
                 SELECT u.id, $2, $3, $4, $5, $6 FROM users u WHERE {filter}"
            ),
            vec![
                path.into(),
                n.case_id.into(),
                n.bundle_case_id.into(),
                n.subject.clone().into(),
                n.body.clone().into(),
                now.into(),
            ],
        )
        .await?;
        exec(
            c,
            &format!(
                "INSERT INTO outbox (to_addr, subject, body, created_at, attempts, next_attempt_at, last_error) \
                 SELECT u.email, $2, $3, $4, 0, $4, '' FROM users u WHERE {filter} AND u.email <> ''"
            ),
            vec![
                path.into(),
                n.subject.clone().into(),
                n.body.clone().into(),
                now.into(),
            ],
        )
        .await?;
    }
    Ok(())
}
