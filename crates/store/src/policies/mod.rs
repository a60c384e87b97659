//! 免申即享 / 服务找人 (SPEC §6): published policies whose eligibility rules
//! run when an event happens — a case of a given item ends approved (a birth
//! registered, an enterprise founded) — and tell the people who qualify,
//! without an application. Each person is told once per policy.

use std::collections::HashMap;

use sea_orm::ConnectionTrait;
use sea_orm::prelude::async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tongban_domain::catalog::DecisionSpec;

use crate::cases::{Case, CaseEventKind, CaseObserver, Effects, StepEvent};
use crate::outbox::{Notice, Recipient};
use crate::{Result, Store, StoreError, WriteTxn, exec, get, now_ms, query, query_one};

/// A benefit granted without application to whoever the rules find eligible.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    pub key: String,
    pub name: String,
    /// What the person gets and how (shown in the notice).
    pub benefit: String,
    /// The event: the approved end of a case of this item (实施编码).
    pub event_item: String,
    /// Eligibility: a decision model whose `decision` is `approve` for the eligible.
    pub rule: DecisionSpec,
}

/// One person found eligible.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyMatch {
    pub policy: String,
    pub name: String,
    pub subject_code: String,
    pub case_id: i64,
    pub at: i64,
}

impl Store {
    /// Publishes (or replaces) a policy; its rule must compile and pass its tests.
    pub async fn upsert_policy(&self, p: &Policy) -> Result<()> {
        crate::decisions::check_spec(&p.rule).map_err(StoreError::Invalid)?;
        let txn = self.begin().await?;
        exec(
            &txn,
            "DELETE FROM policies WHERE key = $1",
            vec![p.key.clone().into()],
        )
        .await?;
        exec(
            &txn,
            "INSERT INTO policies (key, name, benefit, event_item, rule, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            vec![
                p.key.clone().into(),
                p.name.clone().into(),
                p.benefit.clone().into(),
                p.event_item.clone().into(),
                serde_json::to_string(&p.rule)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?
                    .into(),
                now_ms().into(),
            ],
        )
        .await?;
        txn.commit().await
    }

    /// People found eligible, newest first (for oversight and the person's own page).
    pub async fn policy_matches(&self, subject_code: Option<&str>) -> Result<Vec<PolicyMatch>> {
        let rows = match subject_code {
            Some(code) => {
                query(
                    self.conn(),
                    "SELECT p.key, p.name, m.subject_code, m.case_id, m.at FROM policy_matches m JOIN policies p ON p.id = m.policy_id WHERE m.subject_code = $1 ORDER BY m.id DESC",
                    vec![code.into()],
                )
                .await?
            }
            None => {
                query(
                    self.conn(),
                    "SELECT p.key, p.name, m.subject_code, m.case_id, m.at FROM policy_matches m JOIN policies p ON p.id = m.policy_id ORDER BY m.id DESC",
                    vec![],
                )
                .await?
            }
        };
        rows.iter()
            .map(|r| {
                Ok(PolicyMatch {
                    policy: get(r, "key")?,
                    name: get(r, "name")?,
                    subject_code: get(r, "subject_code")?,
                    case_id: get(r, "case_id")?,
                    at: get(r, "at")?,
                })
            })
            .collect()
    }
}

/// A published policy as its event reads it.
struct EventPolicy {
    id: i64,
    name: String,
    benefit: String,
    rule: String,
}

/// The policies whose event is the approved end of a case of `impl_code`.
async fn policies_for(c: &impl ConnectionTrait, impl_code: &str) -> Result<Vec<EventPolicy>> {
    query(
        c,
        "SELECT id, name, benefit, rule FROM policies WHERE event_item = $1",
        vec![impl_code.into()],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(EventPolicy {
            id: get(r, "id")?,
            name: get(r, "name")?,
            benefit: get(r, "benefit")?,
            rule: get(r, "rule")?,
        })
    })
    .collect()
}

/// 免申即享 as a case observer: when a case ends approved, every policy
/// whose event it is runs its rule on the case, in the same transaction;
/// the eligible person is told once per policy.
pub struct PolicyMatcher;

#[async_trait]
impl CaseObserver for PolicyMatcher {
    fn name(&self) -> &'static str {
        "policies"
    }

    async fn observe(&self, txn: &WriteTxn, steps: &[StepEvent], fx: &mut Effects) -> Result<()> {
        let mut by_item: HashMap<&str, Vec<EventPolicy>> = HashMap::new();
        let mut done: Vec<i64> = Vec::new();
        for s in steps {
            let case = &s.case;
            if !s.is(CaseEventKind::Completed)
                || case.approved != Some(true)
                || done.contains(&case.id)
            {
                continue;
            }
            done.push(case.id);
            if !by_item.contains_key(case.impl_code.as_str()) {
                let found = policies_for(txn, &case.impl_code).await?;
                by_item.insert(case.impl_code.as_str(), found);
            }
            if let Some(found) = by_item.get(case.impl_code.as_str())
                && !found.is_empty()
            {
                run_policies(txn, case, found, fx).await?;
            }
        }
        Ok(())
    }
}

/// Runs the event's policies on one case.
async fn run_policies(
    c: &impl ConnectionTrait,
    case: &Case,
    policies: &[EventPolicy],
    fx: &mut Effects,
) -> Result<()> {
    for p in policies {
        let (id, name, benefit) = (p.id, &p.name, &p.benefit);
        let Ok(spec) = serde_json::from_str::<DecisionSpec>(&p.rule) else {
            tracing::warn!(policy = id, "policy rule unreadable");
            continue;
        };
        let input = serde_json::json!({
            "form": case.form,
            "item": case.impl_code,
            "applicant": {"id_number": case.applicant_id_number},
        });
        let eligible =
            match tongban_rules::Model::parse(&spec.model).and_then(|m| m.evaluate(&input)) {
                Ok(ev) => ev.outcome().0 == tongban_rules::Decision::Approve,
                Err(e) => {
                    tracing::warn!(policy = id, "policy rule failed: {e}");
                    false
                }
            };
        if !eligible || case.applicant_id_number.is_empty() {
            continue;
        }
        // Once per person and policy.
        if query_one(
            c,
            "SELECT id FROM policy_matches WHERE policy_id = $1 AND subject_code = $2",
            vec![id.into(), case.applicant_id_number.clone().into()],
        )
        .await?
        .is_some()
        {
            continue;
        }
        exec(
            c,
            "INSERT INTO policy_matches (policy_id, subject_code, case_id, at) VALUES ($1, $2, $3, $4)",
            vec![
                id.into(),
                case.applicant_id_number.clone().into(),
                case.id.into(),
                now_ms().into(),
            ],
        )
        .await?;
        let subject = format!("【免申即享】{name}");
        let body = format!(
            "根据您办结的“{}”（{}），您符合“{name}”的条件，无需申请：{benefit}",
            case.item_name, case.case_no
        );
        fx.notice(Notice {
            to: Recipient::Person {
                user_id: case.applicant_user_id,
                email: case.applicant_email.clone(),
            },
            case_id: Some(case.id),
            bundle_case_id: case.bundle_case_id,
            subject,
            body,
        });
    }
    Ok(())
}

/// Loads policies from the demo file format (`tongban-policies/1`).
pub async fn import_policies(store: &Store, text: &str) -> Result<usize> {
    #[derive(Deserialize)]
    struct File {
        format: String,
        policies: Vec<Policy>,
    }
    let f: File = serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("policies file: {e}")))?;
    if f.format != "tongban-policies/1" {
        return Err(StoreError::Corrupt("policies file format".into()));
    }
    for p in &f.policies {
        store.upsert_policy(p).await?;
    }
    Ok(f.policies.len())
}
