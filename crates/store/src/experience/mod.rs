//! Experience officers (政务服务体验员, 我陪群众走流程, SPEC §8.1): a
//! walk-through of an item or a bundle — the steps taken, the time it took,
//! and findings, each with a category, a severity and a step. A finding goes
//! to the unit that owns the service (and, about the guide, to its catalogue
//! admin) with a working-day deadline by severity, and is tracked like a
//! guide-audit finding: open → fixed → verified by a supervisor, or sent back.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::ratings::{FindingCategory, FindingSeverity, FindingState};
use tongban_domain::text::check_text;
use tongban_domain::{FieldError, FieldErrors};

use crate::outbox::{Notice, Recipient, StaffRole};
use crate::sql::{date_col, json_col, to_json};
use crate::{Result, Store, StoreError, exec, get, insert_id, now_ms, query, query_one, trail};

mod files;
mod walk;

/// What was walked through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WalkSubject {
    Item,
    Bundle,
}

impl WalkSubject {
    pub fn as_str(self) -> &'static str {
        match self {
            WalkSubject::Item => "item",
            WalkSubject::Bundle => "bundle",
        }
    }
}

/// A finding as the officer records it.
#[derive(Debug, Clone, Deserialize)]
pub struct NewFinding {
    pub category: FindingCategory,
    pub severity: FindingSeverity,
    /// The step it was met at (as the officer wrote the steps).
    #[serde(default)]
    pub step: String,
    pub description: String,
}

/// A walk-through as the officer records it. A bundle's name is given by
/// the caller (it is the bundles' to say); an item's is the catalogue's.
#[derive(Debug, Clone, Deserialize)]
pub struct NewWalkthrough {
    pub subject: WalkSubject,
    /// The item's 实施编码, or the bundle's code.
    pub code: String,
    #[serde(default)]
    pub bundle_name: String,
    pub steps: Vec<String>,
    pub minutes: i64,
    pub findings: Vec<NewFinding>,
}

/// A finding with where it stands.
#[derive(Debug, Clone, Serialize)]
pub struct OfficerFinding {
    pub id: i64,
    pub version: i64,
    pub walkthrough_id: i64,
    pub centre_path: String,
    pub department_id: Option<i64>,
    pub subject_code: String,
    pub subject_name: String,
    pub category: FindingCategory,
    pub severity: FindingSeverity,
    pub step: String,
    pub description: String,
    pub state: FindingState,
    pub due: NaiveDate,
    pub fixed_note: String,
    pub fixed_at: Option<i64>,
    pub verified_at: Option<i64>,
    pub sent_back_reason: String,
    pub created_at: i64,
    /// The officer who found it.
    pub officer_id: i64,
    /// Evidence: (file id, name).
    pub files: Vec<(i64, String)>,
}

/// A walk-through with its findings.
#[derive(Debug, Clone, Serialize)]
pub struct Walkthrough {
    pub id: i64,
    pub officer_id: i64,
    pub subject: WalkSubject,
    pub subject_code: String,
    pub subject_name: String,
    pub department_id: Option<i64>,
    pub steps: Vec<String>,
    pub minutes: i64,
    pub walked_on: NaiveDate,
    pub findings: Vec<OfficerFinding>,
}

/// What is done to a finding.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FindingAction {
    /// The owner says what was fixed.
    Fix { note: String },
    /// A supervisor verifies the fix.
    Verify,
    /// A supervisor sends it back, saying why.
    SendBack { reason: String },
}

const FINDING_COLS: &str = "f.id, f.version, f.walkthrough_id, f.centre_path, f.department_id, f.subject_code, \
    w.subject_name, f.category, f.severity, f.step, f.description, f.state, f.due, f.fixed_note, f.fixed_at, \
    f.verified_at, f.sent_back_reason, f.created_at, w.officer_id FROM officer_findings f \
    JOIN walkthroughs w ON w.id = f.walkthrough_id";

fn row_finding(r: &sea_orm::QueryResult) -> Result<OfficerFinding> {
    let category: String = get(r, "category")?;
    let severity: String = get(r, "severity")?;
    let state: String = get(r, "state")?;
    Ok(OfficerFinding {
        id: get(r, "id")?,
        version: get(r, "version")?,
        walkthrough_id: get(r, "walkthrough_id")?,
        centre_path: get(r, "centre_path")?,
        department_id: get(r, "department_id")?,
        subject_code: get(r, "subject_code")?,
        subject_name: get(r, "subject_name")?,
        category: FindingCategory::parse(&category)
            .ok_or_else(|| StoreError::Corrupt(format!("finding category {category}")))?,
        severity: FindingSeverity::parse(&severity)
            .ok_or_else(|| StoreError::Corrupt(format!("severity {severity}")))?,
        step: get(r, "step")?,
        description: get(r, "description")?,
        state: FindingState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("finding state {state}")))?,
        due: date_col(r, "due")?.ok_or_else(|| StoreError::Corrupt("finding due".into()))?,
        fixed_note: get(r, "fixed_note")?,
        fixed_at: get(r, "fixed_at")?,
        verified_at: get(r, "verified_at")?,
        sent_back_reason: get(r, "sent_back_reason")?,
        created_at: get(r, "created_at")?,
        officer_id: get(r, "officer_id")?,
        files: Vec::new(),
    })
}

impl Store {
    /// The findings `actor` works on or watches, the earliest due first:
    /// a department's for its staff (the centre's for window staff), those
    /// about guides for catalogue admins in scope, all below a supervisor's
    /// centre; `open_only` leaves out the verified.
    pub async fn officer_findings_for(
        &self,
        actor: &Actor,
        open_only: bool,
    ) -> Result<Vec<OfficerFinding>> {
        self.officer_findings_limited(actor, open_only, 500).await
    }

    /// Every finding `actor` watches, for an export (up to
    /// [`crate::EXPORT_LIMIT`] rows, the earliest due first).
    pub async fn officer_findings_export(&self, actor: &Actor) -> Result<Vec<OfficerFinding>> {
        self.officer_findings_limited(actor, false, crate::EXPORT_LIMIT)
            .await
    }

    async fn officer_findings_limited(
        &self,
        actor: &Actor,
        open_only: bool,
        limit: usize,
    ) -> Result<Vec<OfficerFinding>> {
        let guide = "f.category IN ('guide_inaccurate', 'too_many_materials')";
        let (filter, values): (String, Vec<sea_orm::Value>) =
            match (actor.role, actor.department_id) {
                (Role::Reviewer | Role::Head, Some(d)) => (
                    "f.department_id = $1 AND f.centre_path LIKE $2".into(),
                    vec![d.into(), format!("{}%", actor.centre_path).into()],
                ),
                (Role::Clerk, _) => (
                    "f.department_id IS NULL AND f.centre_path = $1".into(),
                    vec![actor.centre_path.clone().into()],
                ),
                (Role::CatalogAdmin, Some(d)) => (
                    format!("{guide} AND f.department_id = $1 AND f.centre_path LIKE $2"),
                    vec![d.into(), format!("{}%", actor.centre_path).into()],
                ),
                (Role::CatalogAdmin, None) => (
                    format!("{guide} AND f.centre_path LIKE $1"),
                    vec![format!("{}%", actor.centre_path).into()],
                ),
                (Role::Supervisor, _) => (
                    "f.centre_path LIKE $1".into(),
                    vec![format!("{}%", actor.centre_path).into()],
                ),
                _ => return Err(StoreError::Forbidden(Denied::Role)),
            };
        let open = if open_only {
            " AND f.state <> 'verified'"
        } else {
            ""
        };
        query(
            self.conn(),
            &format!(
                "SELECT {FINDING_COLS} WHERE {filter}{open} ORDER BY f.due, f.id LIMIT {limit}"
            ),
            values,
        )
        .await?
        .iter()
        .map(row_finding)
        .collect()
    }

    /// One finding, for whoever may work on or watch it (and the officer
    /// who found it), with its evidence files.
    pub async fn officer_finding_for(&self, actor: &Actor, id: i64) -> Result<OfficerFinding> {
        let mut f = query_one(
            self.conn(),
            &format!("SELECT {FINDING_COLS} WHERE f.id = $1"),
            vec![id.into()],
        )
        .await?
        .map(|r| row_finding(&r))
        .transpose()?
        .ok_or_else(|| StoreError::NotFound(format!("finding {id}")))?;
        let sees = actor
            .may_fix_officer_finding(&f.centre_path, f.department_id, f.category.concerns_guide())
            .is_ok()
            || (actor.role == Role::Clerk
                && f.department_id.is_none()
                && f.centre_path == actor.centre_path)
            || actor.may_oversee_ratings(&f.centre_path).is_ok()
            || (actor.role == Role::ExperienceOfficer && f.officer_id == actor.user_id);
        if sees {
            f.files = query(
                self.conn(),
                "SELECT id, file_name FROM finding_files WHERE finding_id = $1 ORDER BY id",
                vec![id.into()],
            )
            .await?
            .iter()
            .map(|r| Ok((get(r, "id")?, get(r, "file_name")?)))
            .collect::<Result<Vec<_>>>()?;
            Ok(f)
        } else {
            Err(StoreError::NotFound(format!("finding {id}")))
        }
    }

    /// Fixes, verifies or sends back a finding, under the version read.
    pub async fn officer_finding_act(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: Option<i64>,
        action: &FindingAction,
    ) -> Result<OfficerFinding> {
        let f = self.officer_finding_for(actor, id).await?;
        let (to, field, text) = match action {
            FindingAction::Fix { note } => {
                let window_owned = actor.role == Role::Clerk
                    && f.department_id.is_none()
                    && f.centre_path == actor.centre_path;
                if !window_owned {
                    actor
                        .may_fix_officer_finding(
                            &f.centre_path,
                            f.department_id,
                            f.category.concerns_guide(),
                        )
                        .map_err(StoreError::Forbidden)?;
                }
                if f.state != FindingState::Open {
                    return Err(wrong_state(f.state));
                }
                (FindingState::Fixed, "note", note.as_str())
            }
            FindingAction::Verify => {
                actor
                    .may_oversee_ratings(&f.centre_path)
                    .map_err(StoreError::Forbidden)?;
                if f.state != FindingState::Fixed {
                    return Err(wrong_state(f.state));
                }
                (FindingState::Verified, "", "")
            }
            FindingAction::SendBack { reason } => {
                actor
                    .may_oversee_ratings(&f.centre_path)
                    .map_err(StoreError::Forbidden)?;
                if f.state != FindingState::Fixed {
                    return Err(wrong_state(f.state));
                }
                (FindingState::Open, "reason", reason.as_str())
            }
        };
        if !field.is_empty() {
            if text.trim().is_empty() {
                return Err(StoreError::Invalid(
                    FieldError::new(field, "required", "请填写说明", "say what was done, or why")
                        .into(),
                ));
            }
            if let Some(e) = check_text(field, "说明", "the note", text, 2000, true) {
                return Err(StoreError::Invalid(e.into()));
            }
        }
        if let Some(v) = expected_version
            && v != f.version
        {
            return Err(stale());
        }
        let now = now_ms();
        let txn = self.begin().await?;
        let (sql, values): (&str, Vec<sea_orm::Value>) = match action {
            FindingAction::Fix { note } => (
                "UPDATE officer_findings SET state = $1, version = version + 1, fixed_note = $2, fixed_by = $3, \
                 fixed_at = $4, sent_back_reason = '' WHERE id = $5 AND version = $6",
                vec![
                    to.as_str().into(),
                    note.trim().into(),
                    actor.user_id.into(),
                    now.into(),
                    id.into(),
                    f.version.into(),
                ],
            ),
            FindingAction::Verify => (
                "UPDATE officer_findings SET state = $1, version = version + 1, verified_by = $2, verified_at = $3 \
                 WHERE id = $4 AND version = $5",
                vec![
                    to.as_str().into(),
                    actor.user_id.into(),
                    now.into(),
                    id.into(),
                    f.version.into(),
                ],
            ),
            FindingAction::SendBack { reason } => (
                "UPDATE officer_findings SET state = $1, version = version + 1, sent_back_reason = $2, \
                 fixed_at = NULL WHERE id = $3 AND version = $4",
                vec![
                    to.as_str().into(),
                    reason.trim().into(),
                    id.into(),
                    f.version.into(),
                ],
            ),
        };
        let n = exec(&txn, sql, values).await?;
        if n != 1 {
            return Err(stale());
        }
        if let FindingAction::SendBack { reason } = action {
            let mut roles = match f.department_id {
                Some(_) => vec![StaffRole::Reviewer, StaffRole::Head],
                None => vec![StaffRole::Clerk],
            };
            if f.category.concerns_guide() {
                roles.push(StaffRole::CatalogAdmin);
            }
            let centre_id: i64 = query_one(
                &txn,
                "SELECT centre_id FROM officer_findings WHERE id = $1",
                vec![id.into()],
            )
            .await?
            .map(|r| get(&r, "centre_id"))
            .transpose()?
            .unwrap_or(actor.centre_id);
            let notices: Vec<Notice> = roles
                .into_iter()
                .map(|role| Notice {
                    to: Recipient::Staff {
                        role,
                        department_id: f.department_id,
                        centre_id,
                    },
                    case_id: None,
                    bundle_case_id: None,
                    subject: format!("【体验员问题整改退回】{}", f.subject_name),
                    body: format!("整改未通过核验：{}", reason.trim()),
                })
                .collect();
            crate::outbox::write(&txn, &notices).await?;
        }
        trail::append(
            &txn,
            Some(actor.user_id),
            "officer_finding.state",
            &format!("officer_finding:{id}"),
            serde_json::json!({"to": to.as_str()}),
        )
        .await?;
        txn.commit().await?;
        self.officer_finding_for(actor, id).await
    }
}

fn wrong_state(st: FindingState) -> StoreError {
    StoreError::conflict(
        format!("该问题当前为“{}”，不能进行此操作", st.zh()),
        format!("the finding is “{}”: not possible now", st.en()),
    )
}

fn stale() -> StoreError {
    StoreError::conflict(
        "该问题已被他人处理，请刷新后再试",
        "the finding changed meanwhile; reload",
    )
}
