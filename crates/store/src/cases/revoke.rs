//! Revoking an approval (撤销许可): a capability whose follow-up found the
//! approval's basis untrue (告知承诺制: the applicant's commitment failed its
//! verification) takes it back. The case keeps its state and history; it
//! is no longer approved, the step is recorded with who and why, its
//! certificates are revoked, and the applicant is told — in the caller's
//! transaction.

use sea_orm::ConnectionTrait;

use crate::outbox::{Notice, Recipient};
use crate::{Result, StoreError, exec, get, now_ms, query_one};

/// Takes back the approval of `case_id` for `reason`, by `actor` (`(id,
/// name as recorded)`), on `day`. Refused when the case is not approved.
pub(crate) async fn revoke_approval(
    c: &impl ConnectionTrait,
    case_id: i64,
    actor: (i64, &str),
    reason: &str,
    day: chrono::NaiveDate,
) -> Result<()> {
    let r = query_one(
        c,
        "SELECT state, case_no, item_name, applicant_user_id, applicant_email FROM cases WHERE id = $1",
        vec![case_id.into()],
    )
    .await?
    .ok_or_else(|| StoreError::NotFound(format!("case {case_id}")))?;
    let n = exec(
        c,
        "UPDATE cases SET approved = FALSE, version = version + 1, updated_at = $1 WHERE id = $2 AND approved = TRUE",
        vec![now_ms().into(), case_id.into()],
    )
    .await?;
    if n != 1 {
        return Err(StoreError::conflict(
            "该申请未获准予许可，无可撤销",
            "the application is not approved; nothing to revoke",
        ));
    }
    let state: String = get(&r, "state")?;
    exec(
        c,
        "INSERT INTO case_events (case_id, at, actor_id, actor_name, action, from_state, to_state, details, document_id, day) \
         VALUES ($1, $2, $3, $4, 'revoke_approval', $5, $5, $6, NULL, $7)",
        vec![
            case_id.into(),
            now_ms().into(),
            actor.0.into(),
            actor.1.into(),
            state.into(),
            serde_json::json!({"reason": reason}).to_string().into(),
            day.to_string().into(),
        ],
    )
    .await?;
    exec(
        c,
        "UPDATE certificates SET revoked_at = $1, revoke_reason = $2 WHERE case_id = $3 AND revoked_at IS NULL",
        vec![now_ms().into(), format!("撤销许可：{reason}").into(), case_id.into()],
    )
    .await?;
    let case_no: String = get(&r, "case_no")?;
    let item: String = get(&r, "item_name")?;
    crate::outbox::write(
        c,
        &[Notice {
            to: Recipient::Person {
                user_id: get(&r, "applicant_user_id")?,
                email: get(&r, "applicant_email")?,
            },
            case_id: Some(case_id),
            bundle_case_id: None,
            subject: format!("撤销许可：{item}（{case_no}）"),
            body: format!(
                "您申请的{item}（{case_no}）的许可已被撤销，相关证照同时注销。原因：{reason}"
            ),
        }],
    )
    .await?;
    crate::trail::append(
        c,
        Some(actor.0),
        "case.revoke_approval",
        &format!("case:{case_no}"),
        serde_json::json!({"reason": reason}),
    )
    .await?;
    Ok(())
}
