//! The bundle reacting to its sub-cases (a case observer): after each
//! step of a sub-case it derives the bundle's state; on a new correction it
//! issues one combined notice gathering every sub-case's open corrections;
//! when every sub-case has ended, the one completion notice with every
//! result. While a bundle operation moves several sub-cases at once the
//! bundle is `busy` and the operation calls [`after_sub_case`] once at its end.

use chrono::NaiveDate;
use sea_orm::prelude::async_trait::async_trait;
use tongban_domain::bundle::{self, SubCase};
use tongban_domain::case::{CaseState, DocKind};
use tongban_domain::clock::{ClockEvent, SuspendReason};

use super::*;
use crate::cases::{
    CASE_COLS, Case, CaseEventKind, CaseObserver, DocBody, Effects, StepEvent, row_case,
};
use crate::outbox::{Notice, Recipient, StaffRole};
use crate::sql::to_json;
use crate::{Result, StoreError, WriteTxn, exec, get, now_ms, query, query_one};

/// Derives a bundle's state and speaks for it after its sub-cases' steps.
pub struct BundleProgress;

#[async_trait]
impl CaseObserver for BundleProgress {
    fn name(&self) -> &'static str {
        "bundles"
    }

    /// A bundle reacts to one sub-case's step at a time.
    fn exclusive_key(&self, case: &Case) -> Option<i64> {
        case.bundle_case_id
    }

    async fn observe(&self, txn: &WriteTxn, steps: &[StepEvent], fx: &mut Effects) -> Result<()> {
        // Bundles in id order, so that two writers locking several bundles
        // always lock them in the same order (no deadlock on PostgreSQL).
        let mut bundles: Vec<(i64, NaiveDate)> = steps
            .iter()
            .filter_map(|s| s.case.bundle_case_id.map(|b| (b, s.today)))
            .collect();
        bundles.sort_by_key(|(b, _)| *b);
        bundles.dedup_by_key(|(b, _)| *b);
        for s in steps.iter().filter(|s| s.is(CaseEventKind::Certified)) {
            if let Some(b) = s.case.bundle_case_id {
                pass_on(txn, b, &s.case, s.actor, fx).await?;
            }
        }
        // An item that ends without issuing what later items await.
        for s in steps.iter().filter(|s| {
            s.is(CaseEventKind::Refused)
                || s.is(CaseEventKind::Withdrawn)
                || (s.is(CaseEventKind::Decided) && s.case.approved == Some(false))
        }) {
            if let Some(b) = s.case.bundle_case_id {
                not_issued(txn, b, &s.case, s.actor, fx).await?;
            }
        }
        for (b, today) in bundles {
            after_sub_case(txn, b, today, fx).await?;
        }
        Ok(())
    }
}

/// A sub-case issued its certificate: the later sub-cases waiting for that
/// document receive it now (SPEC §5, passed on as it is issued).
async fn pass_on(
    txn: &WriteTxn,
    bundle_id: i64,
    c: &Case,
    actor: Option<i64>,
    fx: &mut Effects,
) -> Result<()> {
    let Some(r) = query_one(
        txn,
        "SELECT licence_id FROM certificates WHERE case_id = $1 ORDER BY id DESC LIMIT 1",
        vec![c.id.into()],
    )
    .await?
    else {
        return Ok(());
    };
    let licence: String = get(&r, "licence_id")?;
    let waiting = query(
        txn,
        "SELECT id, to_case_id, kind, material_index FROM bundle_passed_on WHERE bundle_case_id = $1 \
         AND from_item = $2 AND from_case_id IS NULL AND failed_at IS NULL ORDER BY id",
        vec![bundle_id.into(), c.impl_code.clone().into()],
    )
    .await?;
    if waiting.is_empty() {
        return Ok(());
    }
    exec(
        txn,
        "UPDATE bundle_passed_on SET from_case_id = $1, licence_id = $2, passed_at = $3 \
         WHERE bundle_case_id = $4 AND from_item = $5 AND from_case_id IS NULL AND failed_at IS NULL",
        vec![
            c.id.into(),
            licence.clone().into(),
            now_ms().into(),
            bundle_id.into(),
            c.impl_code.clone().into(),
        ],
    )
    .await?;
    for w in &waiting {
        let to: i64 = get(w, "to_case_id")?;
        let kind: String = get(w, "kind")?;
        let index: i64 = get(w, "material_index")?;
        crate::cases::release(txn, to, index as usize).await?;
        if let Some(r) = receiver(txn, to).await? {
            for role in [StaffRole::Reviewer, StaffRole::Head] {
                fx.notice(r.notice(
                    role,
                    &format!("【{}】{kind}已转交", r.case_no),
                    &format!(
                        "一件事中“{}”（{}）已出具{kind}并转交本件{}，可继续办理。",
                        c.item_name, c.case_no, r.case_no
                    ),
                ));
            }
        }
        fx.trail(crate::trail::NewEntry {
            actor,
            action: "bundle_case.pass_on".into(),
            object: format!("case:{to}"),
            details: serde_json::json!({
                "bundle_case_id": bundle_id,
                "from_case_id": c.id,
                "kind": kind,
            }),
        });
    }
    Ok(())
}

/// The sub-case a passed-on document was meant for: where its staff are.
struct Receiver {
    case_no: String,
    centre_id: i64,
    department_id: i64,
    case_id: i64,
}

impl Receiver {
    fn notice(&self, role: StaffRole, subject: &str, body: &str) -> Notice {
        Notice {
            to: Recipient::Staff {
                role,
                department_id: Some(self.department_id),
                centre_id: self.centre_id,
            },
            case_id: Some(self.case_id),
            bundle_case_id: None,
            subject: subject.into(),
            body: body.into(),
        }
    }
}

async fn receiver(txn: &WriteTxn, case_id: i64) -> Result<Option<Receiver>> {
    query_one(
        txn,
        "SELECT case_no, centre_id, lead_department_id FROM cases WHERE id = $1",
        vec![case_id.into()],
    )
    .await?
    .map(|r| {
        Ok(Receiver {
            case_no: get(&r, "case_no")?,
            centre_id: get(&r, "centre_id")?,
            department_id: get(&r, "lead_department_id")?,
            case_id,
        })
    })
    .transpose()
}

/// A sub-case ended without issuing the document later sub-cases await
/// (refused, withdrawn or denied): they can no longer receive it. Each stays
/// held — it is not approved without the document — now until the applicant
/// supplies it; its department and the applicant are told.
async fn not_issued(
    txn: &WriteTxn,
    bundle_id: i64,
    c: &Case,
    actor: Option<i64>,
    fx: &mut Effects,
) -> Result<()> {
    let waiting = query(
        txn,
        "SELECT id, to_case_id, kind, material_index FROM bundle_passed_on WHERE bundle_case_id = $1 \
         AND from_item = $2 AND from_case_id IS NULL AND failed_at IS NULL ORDER BY id",
        vec![bundle_id.into(), c.impl_code.clone().into()],
    )
    .await?;
    if waiting.is_empty() {
        return Ok(());
    }
    exec(
        txn,
        "UPDATE bundle_passed_on SET failed_at = $1 \
         WHERE bundle_case_id = $2 AND from_item = $3 AND from_case_id IS NULL AND failed_at IS NULL",
        vec![
            now_ms().into(),
            bundle_id.into(),
            c.impl_code.clone().into(),
        ],
    )
    .await?;
    let outcome = outcome_of(txn, c).await?;
    let b = query_one(
        txn,
        &format!("SELECT {BC_COLS} WHERE id = $1"),
        vec![bundle_id.into()],
    )
    .await?
    .map(|r| row_bc(&r))
    .transpose()?;
    let mut kinds: Vec<String> = Vec::new();
    for w in &waiting {
        let to: i64 = get(w, "to_case_id")?;
        let kind: String = get(w, "kind")?;
        let index: i64 = get(w, "material_index")?;
        // A receiver that has ended or been decided no longer waits for it.
        let open = query_one(
            txn,
            "SELECT 1 AS x FROM cases k JOIN case_holds h ON h.case_id = k.id \
             WHERE k.id = $1 AND h.material_index = $2 AND h.released_at IS NULL \
             AND k.state IN ('submitted', 'correction', 'review', 'suspended', 'decision')",
            vec![to.into(), index.into()],
        )
        .await?
        .is_some();
        if !open {
            continue;
        }
        crate::cases::restate(
            txn,
            to,
            index as usize,
            &format!(
                "{kind}（“{}”{outcome}，未能转交，需申请人补交）",
                c.item_name
            ),
            &format!(
                "{kind} (“{}” ended without issuing it: the applicant is to supply it)",
                c.item_name
            ),
        )
        .await?;
        if let Some(r) = receiver(txn, to).await? {
            for role in [StaffRole::Reviewer, StaffRole::Head] {
                fx.notice(r.notice(
                    role,
                    &format!("【{}】{kind}无法转交", r.case_no),
                    &format!(
                        "一件事中“{}”（{}）{outcome}，{kind}不会出具。已请申请人在一件事中补交一次，补交后即转入本件{}；此前本件不能准予，其余审查可照常进行。",
                        c.item_name, c.case_no, r.case_no
                    ),
                ));
            }
        }
        if !kinds.contains(&kind) {
            kinds.push(kind.clone());
        }
        fx.trail(crate::trail::NewEntry {
            actor,
            action: "bundle_case.not_passed_on".into(),
            object: format!("case:{to}"),
            details: serde_json::json!({
                "bundle_case_id": bundle_id,
                "from_case_id": c.id,
                "kind": kind,
            }),
        });
    }
    if let (Some(b), false) = (b, kinds.is_empty()) {
        fx.notice(to_applicant(
            &b,
            &format!("【{}】{}需要您提交", b.name, kinds.join("、")),
            &format!(
                "您的“{}”申请（编号{}）中，“{}”{outcome}，{}不能由平台转交给其他事项。请在“我的一件事”中上传一次，平台将转给需要它的各个事项。",
                b.name,
                b.bundle_no,
                c.item_name,
                kinds.join("、")
            ),
        ));
    }
    Ok(())
}

pub(super) fn sub_of(c: &Case) -> SubCase {
    SubCase {
        state: c.state,
        approved: c.approved,
        correcting: matches!(
            c.clock.last(),
            Some(ClockEvent::Suspended {
                reason: SuspendReason::Correction,
                ..
            })
        ),
    }
}

/// A notice to the bundle's applicant, about the bundle.
pub(super) fn to_applicant(b: &BundleCase, subject: &str, body: &str) -> Notice {
    Notice {
        to: Recipient::Person {
            user_id: b.applicant_user_id,
            email: b.applicant_email.clone(),
        },
        case_id: None,
        bundle_case_id: Some(b.id),
        subject: subject.into(),
        body: body.into(),
    }
}

/// How a sub-case ended, in the words of its item's type: a licence is
/// 不予许可, any other item 不予办理.
async fn outcome_of(txn: &WriteTxn, c: &Case) -> Result<&'static str> {
    Ok(match (c.state, c.approved) {
        (CaseState::NotAccepted, _) => "不予受理",
        (CaseState::Withdrawn, _) => "已撤回",
        (_, Some(true)) => "准予",
        (_, Some(false)) => {
            let licensing = query_one(
                txn,
                "SELECT item_type FROM item_versions WHERE id = $1",
                vec![c.item_version_id.into()],
            )
            .await?
            .map(|r| get::<String>(&r, "item_type"))
            .transpose()?
                == Some(
                    tongban_domain::catalog::ItemType::Licensing
                        .as_str()
                        .to_string(),
                );
            if licensing {
                "不予许可"
            } else {
                "不予办理"
            }
        }
        _ => "已办结",
    })
}

/// After a sub-case moved (inside its transaction): derives the bundle's
/// state; on a new correction, issues one combined notice gathering every
/// sub-case's open corrections; when every sub-case has ended, issues the
/// one completion notice with every result.
pub(crate) async fn after_sub_case(
    txn: &WriteTxn,
    bundle_case_id: i64,
    today: NaiveDate,
    fx: &mut Effects,
) -> Result<()> {
    // Lock the bundle first (a row lock on PostgreSQL; SQLite has one writer):
    // sub-cases finishing at the same time must see each other.
    exec(
        txn,
        "UPDATE bundle_cases SET version = version WHERE id = $1",
        vec![bundle_case_id.into()],
    )
    .await?;
    let r = query_one(
        txn,
        &format!("SELECT {BC_COLS} WHERE id = $1"),
        vec![bundle_case_id.into()],
    )
    .await?
    .ok_or_else(|| StoreError::Corrupt(format!("bundle application {bundle_case_id}")))?;
    let b = row_bc(&r)?;
    if !b.submitted {
        // Being submitted or taken in as a whole: that operation calls this once at its end.
        return Ok(());
    }
    let subs = query(
        txn,
        &format!("SELECT {CASE_COLS} WHERE k.bundle_case_id = $1 ORDER BY k.id"),
        vec![bundle_case_id.into()],
    )
    .await?
    .iter()
    .map(row_case)
    .collect::<Result<Vec<_>>>()?;
    let states: Vec<SubCase> = subs.iter().map(sub_of).collect();
    let new_state = bundle::bundle_state(&states);
    if new_state != b.state {
        exec(
            txn,
            "UPDATE bundle_cases SET state = $1, updated_at = $2 WHERE id = $3",
            vec![new_state.as_str().into(), now_ms().into(), b.id.into()],
        )
        .await?;
    }
    let notices = query(
        txn,
        "SELECT kind, body FROM bundle_notices WHERE bundle_case_id = $1 ORDER BY id",
        vec![b.id.into()],
    )
    .await?;
    // A correction notice when a sub-case waits that the last one did not list.
    let waiting: Vec<&Case> = subs
        .iter()
        .zip(&states)
        .filter(|(_, s)| s.waiting_for_correction())
        .map(|(c, _)| c)
        .collect();
    if !waiting.is_empty() {
        let last: Option<NoticeBody> = notices
            .iter()
            .rev()
            .find(|r| get::<String>(r, "kind").is_ok_and(|k| k == "correction"))
            .map(|r| json(r, "body"))
            .transpose()?;
        // A new notice when a sub-case waits on a correction notice (its own
        // document) that the last combined notice did not list.
        let mut latest: Vec<Option<i64>> = Vec::new();
        for c in &waiting {
            let d = query_one(
                txn,
                "SELECT id FROM case_documents WHERE case_id = $1 AND kind = $2 ORDER BY id DESC LIMIT 1",
                vec![c.id.into(), DocKind::CorrectionNotice.as_str().into()],
            )
            .await?;
            latest.push(d.map(|d| get::<i64>(&d, "id")).transpose()?);
        }
        let fresh = latest.iter().any(|doc| {
            !last
                .as_ref()
                .is_some_and(|l| l.lines.iter().any(|x| x.document_id == *doc))
        });
        if fresh {
            let mut lines = Vec::new();
            for c in &waiting {
                let d = query_one(
                    txn,
                    "SELECT id, body FROM case_documents WHERE case_id = $1 AND kind = $2 ORDER BY id DESC LIMIT 1",
                    vec![c.id.into(), DocKind::CorrectionNotice.as_str().into()],
                )
                .await?;
                let (doc_id, body): (Option<i64>, Option<DocBody>) = match d {
                    Some(d) => (Some(get(&d, "id")?), Some(json(&d, "body")?)),
                    None => (None, None),
                };
                let mut entries: Vec<String> = body
                    .as_ref()
                    .map(|b| {
                        b.materials
                            .iter()
                            .map(|m| {
                                let mut s = format!("{}（{}）", m.name, m.problem);
                                if !m.standard.is_empty() {
                                    s.push_str(&format!("，受理标准：{}", m.standard));
                                }
                                if !m.note.is_empty() {
                                    s.push_str(&format!("，说明：{}", m.note));
                                }
                                s
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                if entries.is_empty() {
                    // A correction after acceptance carries the reviewer's note.
                    let note = query_one(
                        txn,
                        "SELECT details FROM case_events WHERE case_id = $1 AND action = 'suspend' ORDER BY id DESC LIMIT 1",
                        vec![c.id.into()],
                    )
                    .await?
                    .map(|r| json::<serde_json::Value>(&r, "details"))
                    .transpose()?
                    .and_then(|v| v.get("note").and_then(|n| n.as_str()).map(str::to_string))
                    .unwrap_or_default();
                    entries.push(if note.is_empty() {
                        "请按部门要求补正材料".into()
                    } else {
                        note
                    });
                }
                lines.push(NoticeLine {
                    case_id: c.id,
                    case_no: c.case_no.clone(),
                    item_name: c.item_name.clone(),
                    department: c.lead_department_name.clone(),
                    entries,
                    outcome: String::new(),
                    document_id: doc_id,
                });
            }
            let count = notices.len() + 1;
            let body = NoticeBody {
                title: "“一件事”补正材料一次性告知书".into(),
                addressee: b.applicant_name.clone(),
                bundle_no: b.bundle_no.clone(),
                bundle_name: b.name.clone(),
                paragraphs: vec![format!(
                    "您申请的“{}”（编号{}）中，以下{}个事项需要补正材料。请一次性补齐后在“我的一件事”中提交，其余事项照常办理。",
                    b.name,
                    b.bundle_no,
                    lines.len()
                )],
                lines,
                date: Some(today),
            };
            exec(
                txn,
                "INSERT INTO bundle_notices (bundle_case_id, kind, number, body, created_at) VALUES ($1, 'correction', $2, $3, $4)",
                vec![
                    b.id.into(),
                    format!("补字〔{}〕{}-{count}", today.format("%Y"), b.bundle_no).into(),
                    to_json(&body).into(),
                    now_ms().into(),
                ],
            )
            .await?;
            let items: Vec<&str> = body.lines.iter().map(|l| l.item_name.as_str()).collect();
            fx.notice(to_applicant(
                &b,
                &format!("【{}】请补正材料", b.name),
                &format!(
                    "您的“{}”申请（编号{}）中，{}需要补正材料，详见一次性告知书。",
                    b.name,
                    b.bundle_no,
                    items.join("、")
                ),
            ));
        }
    }
    let completed = notices
        .iter()
        .any(|r| get::<String>(r, "kind").is_ok_and(|k| k == "completion"));
    if bundle::all_ended(&states) && !completed {
        let mut lines = Vec::new();
        for c in &subs {
            let d = query_one(
                txn,
                "SELECT id, number FROM case_documents WHERE case_id = $1 AND kind IN ('approval_decision', 'denial_decision', 'refusal_decision') ORDER BY id DESC LIMIT 1",
                vec![c.id.into()],
            )
            .await?;
            let (doc_id, number): (Option<i64>, String) = match d {
                Some(d) => (Some(get(&d, "id")?), get(&d, "number")?),
                None => (None, String::new()),
            };
            lines.push(NoticeLine {
                case_id: c.id,
                case_no: c.case_no.clone(),
                item_name: c.item_name.clone(),
                department: c.lead_department_name.clone(),
                entries: if number.is_empty() {
                    vec![]
                } else {
                    vec![format!("决定文书：{number}")]
                },
                outcome: outcome_of(txn, c).await?.into(),
                document_id: doc_id,
            });
        }
        let approved = lines.iter().filter(|l| l.outcome == "准予").count();
        let other = lines.len() - approved;
        let summary = if other == 0 {
            format!("共{}个事项，全部准予", lines.len())
        } else {
            let mut parts = Vec::new();
            for o in ["不予许可", "不予办理", "不予受理", "已撤回"] {
                let n = lines.iter().filter(|l| l.outcome == o).count();
                if n > 0 {
                    parts.push(format!("{o}{n}个"));
                }
            }
            format!(
                "共{}个事项，准予{}个，{}",
                lines.len(),
                approved,
                parts.join("，")
            )
        };
        let body = NoticeBody {
            title: "“一件事”办结通知书".into(),
            addressee: b.applicant_name.clone(),
            bundle_no: b.bundle_no.clone(),
            bundle_name: b.name.clone(),
            paragraphs: vec![format!(
                "您申请的“{}”（编号{}）已全部办结：{}。各事项的办理结果如下，未获准予或不予受理的事项见各自的决定书及救济途径。",
                b.name, b.bundle_no, summary
            )],
            lines,
            date: Some(today),
        };
        exec(
            txn,
            "INSERT INTO bundle_notices (bundle_case_id, kind, number, body, created_at) VALUES ($1, 'completion', $2, $3, $4)",
            vec![
                b.id.into(),
                format!("结字〔{}〕{}", today.format("%Y"), b.bundle_no).into(),
                to_json(&body).into(),
                now_ms().into(),
            ],
        )
        .await?;
        fx.notice(to_applicant(
            &b,
            &format!("【{}】已全部办结", b.name),
            &body.paragraphs[0],
        ));
    }
    Ok(())
}
