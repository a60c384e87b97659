//! A case that ends — or the last service of a bundle application — becomes
//! something its applicant may rate (a case observer, in the step's
//! transaction): who handled it and where are fixed then, and the applicant
//! is invited to rate it.

use sea_orm::prelude::async_trait::async_trait;
use tongban_domain::case::CaseState;

use crate::cases::{Case, CaseObserver, Effects, StepEvent};
use crate::outbox::{Notice, Recipient};
use crate::sql::to_json;
use crate::{Result, WriteTxn, exec, get, now_ms, query};

/// The item code a bundle application's ratings are counted under.
pub const BUNDLE_ITEM: &str = "bundle";

/// Invites the applicant to rate what has ended.
pub struct RatingInvitations;

/// A case may be rated once it has ended with an answer (办结, or 不予受理).
fn rated_end(st: CaseState) -> bool {
    matches!(st, CaseState::Completed | CaseState::NotAccepted)
}

#[async_trait]
impl CaseObserver for RatingInvitations {
    fn name(&self) -> &'static str {
        "ratings"
    }

    /// Sub-cases of one bundle one at a time (the last to end invites).
    fn exclusive_key(&self, case: &Case) -> Option<i64> {
        case.bundle_case_id
    }

    async fn observe(&self, txn: &WriteTxn, steps: &[StepEvent], fx: &mut Effects) -> Result<()> {
        for s in steps {
            if !s.case.state.is_final() || s.from.is_final() {
                continue;
            }
            let c = &s.case;
            match c.bundle_case_id {
                None if rated_end(c.state) => invite_case(txn, c, s.today, fx).await?,
                None => {}
                Some(b) => invite_bundle(txn, b, c, s.today, fx).await?,
            }
        }
        Ok(())
    }
}

/// The staff whose steps the cases' events show, and the window clerk who
/// took the (first) case in.
async fn handlers(
    txn: &WriteTxn,
    case_ids: &[i64],
    applicant: Option<i64>,
) -> Result<(Vec<i64>, Option<i64>)> {
    let mut staff: Vec<i64> = Vec::new();
    let mut window = None;
    for id in case_ids {
        for r in query(
            txn,
            "SELECT actor_id, action FROM case_events WHERE case_id = $1 AND actor_id IS NOT NULL ORDER BY id",
            vec![(*id).into()],
        )
        .await?
        {
            let a: i64 = get(&r, "actor_id")?;
            let action: String = get(&r, "action")?;
            if Some(a) == applicant {
                continue;
            }
            if window.is_none() && matches!(action.as_str(), "accept" | "request_correction" | "refuse")
            {
                window = Some(a);
            }
            if !staff.contains(&a) {
                staff.push(a);
            }
        }
    }
    Ok((staff, window))
}

#[allow(clippy::too_many_arguments)]
async fn insert_invitation(
    txn: &WriteTxn,
    subject: super::Subject,
    subject_id: i64,
    subject_no: &str,
    c: &Case,
    department_id: Option<i64>,
    item_code: &str,
    item_name: &str,
    staff: &[i64],
    window: Option<i64>,
    today: chrono::NaiveDate,
) -> Result<bool> {
    let n = exec(
        txn,
        "INSERT INTO rating_invitations (subject, subject_id, subject_no, centre_id, centre_path, department_id, \
         item_code, item_name, applicant_user_id, window_user_id, staff, real_name, completed_on, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         ON CONFLICT (subject, subject_id) DO NOTHING",
        vec![
            subject.as_str().into(),
            subject_id.into(),
            subject_no.into(),
            c.centre_id.into(),
            c.centre_path.clone().into(),
            department_id.into(),
            item_code.into(),
            item_name.into(),
            c.applicant_user_id.into(),
            window.into(),
            to_json(&staff).into(),
            (c.applicant_user_id.is_some() || !c.applicant_id_number.is_empty()).into(),
            today.to_string().into(),
            now_ms().into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

async fn invite_case(
    txn: &WriteTxn,
    c: &Case,
    today: chrono::NaiveDate,
    fx: &mut Effects,
) -> Result<()> {
    let (staff, window) = handlers(txn, &[c.id], c.applicant_user_id).await?;
    let new = insert_invitation(
        txn,
        super::Subject::Case,
        c.id,
        &c.case_no,
        c,
        Some(c.lead_department_id),
        &c.impl_code,
        &c.item_name,
        &staff,
        window,
        today,
    )
    .await?;
    if new && c.applicant_user_id.is_some() {
        fx.notice(Notice {
            to: Recipient::Person {
                user_id: c.applicant_user_id,
                email: String::new(),
            },
            case_id: Some(c.id),
            bundle_case_id: None,
            subject: format!("请评价：{}（{}）", c.item_name, c.case_no),
            body: format!(
                "您的办件“{}”已办结。欢迎对本次服务作出评价（好差评），评价页面：/cases/{}/rate",
                c.item_name, c.id
            ),
        });
    }
    Ok(())
}

/// The bundle is rated as one once its last service has ended.
async fn invite_bundle(
    txn: &WriteTxn,
    bundle_id: i64,
    c: &Case,
    today: chrono::NaiveDate,
    fx: &mut Effects,
) -> Result<()> {
    let subs = query(
        txn,
        "SELECT id, case_no, item_name, state FROM cases WHERE bundle_case_id = $1 ORDER BY id",
        vec![bundle_id.into()],
    )
    .await?;
    let mut ids = Vec::new();
    let mut names = Vec::new();
    let mut first_no = String::new();
    let mut any_answer = false;
    for r in &subs {
        let st: String = get(r, "state")?;
        let st = CaseState::parse(&st)
            .ok_or_else(|| crate::StoreError::Corrupt(format!("case state {st}")))?;
        if !st.is_final() {
            return Ok(());
        }
        any_answer |= rated_end(st);
        if first_no.is_empty() {
            first_no = get(r, "case_no")?;
        }
        ids.push(get::<i64>(r, "id")?);
        names.push(get::<String>(r, "item_name")?);
    }
    if !any_answer {
        return Ok(());
    }
    let (staff, window) = handlers(txn, &ids, c.applicant_user_id).await?;
    let name = format!("一件事（{}）", names.join("、"));
    let new = insert_invitation(
        txn,
        super::Subject::Bundle,
        bundle_id,
        &first_no,
        c,
        None,
        BUNDLE_ITEM,
        &name,
        &staff,
        window,
        today,
    )
    .await?;
    if new && c.applicant_user_id.is_some() {
        fx.notice(Notice {
            to: Recipient::Person {
                user_id: c.applicant_user_id,
                email: String::new(),
            },
            case_id: None,
            bundle_case_id: Some(bundle_id),
            subject: "请评价您的“一件事”办理".into(),
            body: format!(
                "欢迎对您的“一件事”申请作为一件事作出评价（好差评），评价页面：/bundle-cases/{bundle_id}/rate"
            ),
        });
    }
    Ok(())
}
