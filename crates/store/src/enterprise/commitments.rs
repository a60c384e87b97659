//! 告知承诺制: an application of a project's stage item marked for approval
//! on the applicant's commitment gets, when it is approved, a verification
//! for its department due within the centre's working days
//! (`CommitmentChecks`, a case observer). The department records the
//! result; a commitment found untrue revokes the approval through the case
//! core (`cases::revoke`: recorded, its certificates revoked, the applicant
//! told).

use chrono::NaiveDate;
use sea_orm::prelude::async_trait::async_trait;
use serde::Serialize;
use tongban_domain::FieldError;
use tongban_domain::auth::{Actor, Denied, Role};

use super::{config_kind, project_scope};
use crate::cases::{CaseEventKind, CaseObserver, Effects, StepEvent};
use crate::outbox::{Notice, Recipient, StaffRole};
use crate::sql::{date_col, json_col};
use crate::{Result, Store, StoreError, WriteTxn, exec, get, now_ms, query, query_one, trail};

/// A commitment and its verification.
#[derive(Debug, Clone, Serialize)]
pub struct Commitment {
    pub id: i64,
    pub case_id: i64,
    pub case_no: String,
    pub item_name: String,
    pub project_id: i64,
    pub project_name: String,
    pub department_id: i64,
    pub verify_due: NaiveDate,
    /// `pending`, `verified` or `failed`.
    pub state: String,
    pub note: String,
}

/// Creates the verification of an application approved on commitment.
pub struct CommitmentChecks;

#[async_trait]
impl CaseObserver for CommitmentChecks {
    fn name(&self) -> &'static str {
        "commitments"
    }

    async fn observe(&self, txn: &WriteTxn, steps: &[StepEvent], fx: &mut Effects) -> Result<()> {
        for s in steps {
            let case = &s.case;
            if !s.is(CaseEventKind::Decided) || case.approved != Some(true) {
                continue;
            }
            let Some(p) = query_one(
                txn,
                "SELECT p.id, p.kind, p.low_risk, p.centre_id FROM project_cases pc JOIN projects p ON p.id = pc.project_id \
                 WHERE pc.case_id = $1",
                vec![case.id.into()],
            )
            .await?
            else {
                continue;
            };
            let centre_id: i64 = get(&p, "centre_id")?;
            let kind = config_kind(&get::<String>(&p, "kind")?, get(&p, "low_risk")?);
            let committed = query(
                txn,
                "SELECT items FROM project_stage_config WHERE centre_id = $1 AND kind = $2",
                vec![centre_id.into(), kind.into()],
            )
            .await?
            .iter()
            .map(|r| json_col::<super::stages::StoredItems>(r, "items"))
            .collect::<Result<Vec<_>>>()?
            .iter()
            .any(|st| st.commitment_items.contains(&case.impl_code));
            if !committed {
                continue;
            }
            let rules = crate::accounts::profile_in(txn, centre_id)
                .await?
                .enterprise;
            let due = s
                .calendar
                .add_workdays(s.today, rules.commitment_verify_days.get())
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let n = exec(
                txn,
                "INSERT INTO commitments (case_id, project_id, department_id, centre_id, verify_due, state, note, \
                 verified_by, verified_at, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', '', NULL, NULL, $6) \
                 ON CONFLICT DO NOTHING",
                vec![
                    case.id.into(),
                    get::<i64>(&p, "id")?.into(),
                    case.lead_department_id.into(),
                    centre_id.into(),
                    due.to_string().into(),
                    now_ms().into(),
                ],
            )
            .await?;
            if n == 1 {
                fx.notice(Notice {
                    to: Recipient::Staff {
                        role: StaffRole::Reviewer,
                        department_id: Some(case.lead_department_id),
                        centre_id,
                    },
                    case_id: Some(case.id),
                    bundle_case_id: None,
                    subject: format!("告知承诺待核查：{}（{}）", case.item_name, case.case_no),
                    body: format!(
                        "该申请按告知承诺制准予许可，请于{due}前核查申请人承诺的内容；核查不实的，撤销许可。/commitments"
                    ),
                });
            }
        }
        Ok(())
    }
}

const COLS: &str = "m.id, m.case_id, k.case_no, k.item_name, m.project_id, p.name AS project_name, m.department_id, \
    m.verify_due, m.state, m.note FROM commitments m JOIN cases k ON k.id = m.case_id JOIN projects p ON p.id = m.project_id";

fn row(r: &sea_orm::QueryResult) -> Result<Commitment> {
    Ok(Commitment {
        id: get(r, "id")?,
        case_id: get(r, "case_id")?,
        case_no: get(r, "case_no")?,
        item_name: get(r, "item_name")?,
        project_id: get(r, "project_id")?,
        project_name: get(r, "project_name")?,
        department_id: get(r, "department_id")?,
        verify_due: date_col(r, "verify_due")?
            .ok_or_else(|| StoreError::Corrupt("commitment due".into()))?,
        state: get(r, "state")?,
        note: get(r, "note")?,
    })
}

impl Store {
    /// The commitments the actor may see: a department's reviewers and
    /// heads their own, pending first by due date; the projects' parties
    /// and supervisors those of the projects they see.
    pub async fn commitments(&self, actor: &Actor) -> Result<Vec<Commitment>> {
        let (cond, v) = match (actor.role, actor.department_id) {
            (Role::Reviewer | Role::Head, Some(d)) => {
                ("m.department_id = $1".to_string(), d.into())
            }
            (Role::Reviewer | Role::Head, None) => {
                return Err(StoreError::Forbidden(Denied::Department));
            }
            (Role::Clerk, _) => return Err(StoreError::Forbidden(Denied::Role)),
            _ => project_scope(actor)?,
        };
        let rows = query(
            self.conn(),
            &format!("SELECT {COLS} WHERE {cond} ORDER BY CASE WHEN m.state = 'pending' THEN 0 ELSE 1 END, m.verify_due, m.id LIMIT 500"),
            vec![v],
        )
        .await?;
        rows.iter().map(row).collect()
    }

    /// The department records its verification: passed, or untrue — which
    /// revokes the approval (a reason is required).
    pub async fn verify_commitment(
        &self,
        actor: &Actor,
        id: i64,
        passed: bool,
        note: &str,
        today: NaiveDate,
    ) -> Result<Commitment> {
        let c = self
            .commitments(actor)
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| StoreError::NotFound(format!("commitment {id}")))?;
        if !matches!(actor.role, Role::Reviewer | Role::Head)
            || actor.department_id != Some(c.department_id)
        {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        if let Some(e) =
            tongban_domain::text::check_text("note", "核查说明", "note", note, 4000, true)
        {
            return Err(StoreError::Invalid(e.into()));
        }
        if !passed && note.trim().is_empty() {
            return Err(StoreError::Invalid(
                FieldError::new(
                    "note",
                    "required",
                    "核查不实的，请写明不实的内容",
                    "say what was found untrue",
                )
                .into(),
            ));
        }
        let txn = self.begin().await?;
        let n = exec(
            &txn,
            "UPDATE commitments SET state = $1, note = $2, verified_by = $3, verified_at = $4 WHERE id = $5 AND state = 'pending'",
            vec![
                if passed { "verified" } else { "failed" }.into(),
                note.trim().into(),
                actor.user_id.into(),
                now_ms().into(),
                id.into(),
            ],
        )
        .await?;
        if n != 1 {
            return Err(StoreError::conflict(
                "该承诺已核查",
                "the commitment is verified already",
            ));
        }
        if !passed {
            crate::cases::revoke::revoke_approval(
                &txn,
                c.case_id,
                (actor.user_id, &actor.display_name),
                &format!("告知承诺核查不实：{}", note.trim()),
                today,
            )
            .await?;
        }
        trail::append(
            &txn,
            Some(actor.user_id),
            "commitment.verify",
            &format!("commitment:{id}"),
            serde_json::json!({"passed": passed}),
        )
        .await?;
        txn.commit().await?;
        self.commitments(actor)
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| StoreError::NotFound(format!("commitment {id}")))
    }
}
