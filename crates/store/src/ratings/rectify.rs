//! A 差评's rectification: the owner's 回访 and rectification (cause,
//! measures, evidence files), a supervisor's verification or sending back,
//! the applicant's verdict; and appeals (申诉复核) decided by a supervisor —
//! an upheld one keeps the rating, marks it excluded and takes it out of the
//! figures.

use serde::{Deserialize, Serialize};
use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::ratings::{
    AppealGround, AppealState, RectifyState, RectifyStep, Verdict, rectify_step,
};
use tongban_domain::text::check_text;
use tongban_domain::{FieldError, FieldErrors};

use super::{Rating, count_in_rollup};
use crate::attachments::Attachments;
use crate::outbox::{Notice, Recipient, StaffRole};
use crate::{Result, Store, StoreError, exec, get, now_ms, query, query_one, trail};

mod rows;
use rows::rectification_rows;

/// What is done to a rectification.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RectifyAction {
    /// 回访: when (local time; now if not said) and how the applicant was
    /// reached, and what they said.
    Visit {
        method: String,
        note: String,
        at: Option<chrono::NaiveDateTime>,
    },
    /// The cause and the measures taken (evidence files uploaded apart).
    Rectify { cause: String, measures: String },
    /// A supervisor verifies the rectification.
    Verify,
    /// A supervisor sends it back, saying why.
    SendBack { reason: String },
    /// The owner appeals the 差评 as mistaken or malicious.
    Appeal {
        ground: AppealGround,
        statement: String,
    },
    /// A supervisor decides the pending appeal.
    DecideAppeal { upheld: bool, reason: String },
    /// The applicant's verdict on the rectification.
    Verdict { verdict: Verdict },
}

impl RectifyAction {
    fn step(&self) -> RectifyStep {
        match self {
            RectifyAction::Visit { .. } => RectifyStep::Visit,
            RectifyAction::Rectify { .. } => RectifyStep::Rectify,
            RectifyAction::Verify => RectifyStep::Verify,
            RectifyAction::SendBack { .. } => RectifyStep::SendBack,
            RectifyAction::Appeal { .. } => RectifyStep::Appeal,
            RectifyAction::DecideAppeal { upheld, .. } => {
                RectifyStep::DecideAppeal { upheld: *upheld }
            }
            RectifyAction::Verdict { .. } => RectifyStep::Verdict,
        }
    }
    pub fn name(&self) -> &'static str {
        match self {
            RectifyAction::Visit { .. } => "visit",
            RectifyAction::Rectify { .. } => "rectify",
            RectifyAction::Verify => "verify",
            RectifyAction::SendBack { .. } => "send_back",
            RectifyAction::Appeal { .. } => "appeal",
            RectifyAction::DecideAppeal { .. } => "decide_appeal",
            RectifyAction::Verdict { .. } => "verdict",
        }
    }
}

/// An appeal as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct AppealView {
    pub id: i64,
    pub ground: AppealGround,
    pub statement: String,
    pub state: AppealState,
    pub filed_at: i64,
    pub decided_at: Option<i64>,
    pub decision_reason: String,
}

/// A rectification with its rating and what was done.
#[derive(Debug, Clone, Serialize)]
pub struct RectificationView {
    pub id: i64,
    pub version: i64,
    pub state: RectifyState,
    pub rating: Rating,
    pub subject: super::Subject,
    pub subject_id: i64,
    pub subject_no: String,
    pub item_name: String,
    pub centre_path: String,
    pub department_id: Option<i64>,
    pub visit_due: chrono::NaiveDate,
    pub fix_due: chrono::NaiveDate,
    pub visited_at: Option<i64>,
    pub visit_method: String,
    pub visit_note: String,
    pub cause: String,
    pub measures: String,
    pub rectified_at: Option<i64>,
    pub verified_at: Option<i64>,
    pub sent_back_reason: String,
    pub verdict: Option<Verdict>,
    /// (id, kind: evidence | appeal, file name)
    pub files: Vec<(i64, String, String)>,
    pub appeals: Vec<AppealView>,
    /// The applicant of the rated case (for the verdict), never shown.
    #[serde(skip)]
    pub applicant_user_id: Option<i64>,
}

impl RectificationView {
    /// The deadline that matters now: the visit's until it is made, then the
    /// rectification's; none once it is done or out of the figures.
    pub fn next_due(&self) -> Option<chrono::NaiveDate> {
        match self.state {
            RectifyState::AwaitingVisit => Some(self.visit_due),
            RectifyState::Visited | RectifyState::AwaitingVerification => Some(self.fix_due),
            _ => None,
        }
    }
}

/// The most rows a rectification list shows (the most urgent first).
pub const LIST_LIMIT: usize = 500;

impl Store {
    async fn rectification_row(
        &self,
        c: &impl sea_orm::ConnectionTrait,
        id: i64,
    ) -> Result<RectificationView> {
        rectification_rows(c, &[id])
            .await?
            .pop()
            .ok_or_else(|| StoreError::NotFound(format!("rectification {id}")))
    }

    /// One rectification, for its owner, a supervisor over it, or the
    /// applicant of the rated case (not found for anyone else).
    pub async fn rectification_for(&self, actor: &Actor, id: i64) -> Result<RectificationView> {
        let mut r = self.rectification_row(self.conn(), id).await?;
        if actor
            .may_see_ratings(&r.centre_path, r.department_id)
            .is_ok()
        {
            Ok(r)
        } else if actor.role == Role::Applicant && r.applicant_user_id == Some(actor.user_id) {
            // The applicant follows the rectification; an appeal against
            // their rating is the staff's and the supervisor's business.
            r.appeals.clear();
            r.files.retain(|(_, kind, _)| kind != "appeal");
            Ok(r)
        } else {
            Err(StoreError::NotFound(format!("rectification {id}")))
        }
    }

    /// The rectifications `actor` works on or watches, the most urgent
    /// first: the owner's (its department's, or — window staff — the
    /// centre's), a supervisor's over their centres; `open_only` leaves out
    /// the verified and the excluded.
    pub async fn rectifications_for(
        &self,
        actor: &Actor,
        open_only: bool,
    ) -> Result<Vec<RectificationView>> {
        self.rectifications_limited(actor, open_only, LIST_LIMIT)
            .await
    }

    /// Every rectification `actor` works on or watches, for an export (up
    /// to [`crate::EXPORT_LIMIT`] rows, the most urgent first).
    pub async fn rectifications_export(&self, actor: &Actor) -> Result<Vec<RectificationView>> {
        self.rectifications_limited(actor, false, crate::EXPORT_LIMIT)
            .await
    }

    async fn rectifications_limited(
        &self,
        actor: &Actor,
        open_only: bool,
        limit: usize,
    ) -> Result<Vec<RectificationView>> {
        let (filter, values): (&str, Vec<sea_orm::Value>) = match actor.role {
            Role::Reviewer | Role::Head => (
                "r.department_id = $1 AND r.centre_path LIKE $2",
                vec![
                    actor.department_id.unwrap_or(-1).into(),
                    format!("{}%", actor.centre_path).into(),
                ],
            ),
            Role::Clerk => (
                "r.department_id IS NULL AND r.centre_path = $1",
                vec![actor.centre_path.clone().into()],
            ),
            Role::Supervisor => (
                "r.centre_path LIKE $1",
                vec![format!("{}%", actor.centre_path).into()],
            ),
            _ => return Err(StoreError::Forbidden(Denied::Role)),
        };
        let open = if open_only {
            " AND r.state NOT IN ('verified', 'excluded')"
        } else {
            ""
        };
        self.rectifications_where(filter, open, values, limit).await
    }

    /// Up to `limit` rectifications matching `filter` (and `more`),
    /// the most urgent first — the deadline that matters now
    /// ([`RectificationView::next_due`]), those with nothing due last — so a
    /// long list never hides the most overdue.
    async fn rectifications_where(
        &self,
        filter: &str,
        more: &str,
        values: Vec<sea_orm::Value>,
        limit: usize,
    ) -> Result<Vec<RectificationView>> {
        const DUE: &str = "CASE WHEN r.state = 'awaiting_visit' THEN r.visit_due \
            WHEN r.state IN ('visited', 'awaiting_verification') THEN r.fix_due END";
        let ids = query(
            self.conn(),
            &format!(
                "SELECT r.id FROM rectifications r WHERE {filter}{more} \
                 ORDER BY ({DUE}) IS NULL, {DUE}, r.id LIMIT {limit}"
            ),
            values,
        )
        .await?;
        let ids: Vec<i64> = ids.iter().map(|r| get(r, "id")).collect::<Result<_>>()?;
        rectification_rows(self.conn(), &ids).await
    }

    /// Pending appeals a supervisor decides.
    pub async fn appeal_queue(&self, actor: &Actor) -> Result<Vec<RectificationView>> {
        actor
            .may_oversee_ratings(&actor.centre_path)
            .map_err(StoreError::Forbidden)?;
        self.rectifications_where(
            "r.centre_path LIKE $1",
            " AND r.state = 'appealed'",
            vec![format!("{}%", actor.centre_path).into()],
            LIST_LIMIT,
        )
        .await
    }

    /// Does `action` to rectification `id` as `actor`, under the version
    /// they read (a change meanwhile is refused); refused actions change
    /// nothing.
    pub async fn rectification_act(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: Option<i64>,
        action: &RectifyAction,
    ) -> Result<RectificationView> {
        let r = self.rectification_for(actor, id).await?;
        match action {
            RectifyAction::Visit { .. }
            | RectifyAction::Rectify { .. }
            | RectifyAction::Appeal { .. } => actor
                .may_handle_rectification(&r.centre_path, r.department_id)
                .map_err(StoreError::Forbidden)?,
            RectifyAction::Verify
            | RectifyAction::SendBack { .. }
            | RectifyAction::DecideAppeal { .. } => actor
                .may_oversee_ratings(&r.centre_path)
                .map_err(StoreError::Forbidden)?,
            RectifyAction::Verdict { .. } => {
                if !(actor.role == Role::Applicant && r.applicant_user_id == Some(actor.user_id)) {
                    return Err(StoreError::Forbidden(Denied::Role));
                }
                if r.verdict.is_some() {
                    return Err(StoreError::conflict(
                        "您已评价过整改结果",
                        "you have already given your verdict",
                    ));
                }
            }
        }
        check_action(action)?;
        if let Some(v) = expected_version
            && v != r.version
        {
            return Err(stale());
        }
        if matches!(action, RectifyAction::Appeal { .. }) {
            appeal_allowed(&r)?;
        }
        let mut to =
            rectify_step(r.state, &action.step()).map_err(|e| StoreError::Invalid(e.into()))?;
        // A rejected appeal resumes where it was: awaiting verification if
        // the rectification was submitted (and not sent back), visited if
        // the visit was made.
        if matches!(action, RectifyAction::DecideAppeal { upheld: false, .. }) {
            if r.rectified_at.is_some() && r.sent_back_reason.is_empty() {
                to = RectifyState::AwaitingVerification;
            } else if r.visited_at.is_some() {
                to = RectifyState::Visited;
            }
        }
        let now = now_ms();
        let txn = self.begin().await?;
        let n = exec(
            &txn,
            "UPDATE rectifications SET state = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4",
            vec![to.as_str().into(), now.into(), id.into(), r.version.into()],
        )
        .await?;
        if n != 1 {
            return Err(stale());
        }
        let who = actor.user_id;
        let mut notices = Vec::new();
        let about = format!("{}（{}）", r.item_name, r.subject_no);
        let case_id = (r.subject == super::Subject::Case).then_some(r.subject_id);
        let bundle_id = (r.subject == super::Subject::Bundle).then_some(r.subject_id);
        let to_owner = |subject: String, body: String| -> Vec<Notice> {
            match r.department_id {
                Some(d) => [StaffRole::Reviewer, StaffRole::Head]
                    .into_iter()
                    .map(|role| Notice {
                        to: Recipient::Staff {
                            role,
                            department_id: Some(d),
                            centre_id: r.rating.centre_id,
                        },
                        case_id,
                        bundle_case_id: bundle_id,
                        subject: subject.clone(),
                        body: body.clone(),
                    })
                    .collect(),
                None => vec![Notice {
                    to: Recipient::Staff {
                        role: StaffRole::Clerk,
                        department_id: None,
                        centre_id: r.rating.centre_id,
                    },
                    case_id,
                    bundle_case_id: bundle_id,
                    subject,
                    body,
                }],
            }
        };
        let to_supervisors = |subject: String, body: String| Notice {
            to: Recipient::Supervisors {
                centre_path: r.centre_path.clone(),
            },
            case_id,
            bundle_case_id: bundle_id,
            subject,
            body,
        };
        match action {
            RectifyAction::Visit { method, note, at } => {
                let when = visit_time(*at, r.rating.created_at, now)?;
                exec(
                    &txn,
                    "UPDATE rectifications SET visited_at = $1, visited_by = $2, visit_method = $3, visit_note = $4 WHERE id = $5",
                    vec![when.into(), who.into(), method.trim().into(), note.trim().into(), id.into()],
                )
                .await?;
            }
            RectifyAction::Rectify { cause, measures } => {
                exec(
                    &txn,
                    "UPDATE rectifications SET cause = $1, measures = $2, rectified_at = $3, rectified_by = $4, \
                     sent_back_reason = '' WHERE id = $5",
                    vec![cause.trim().into(), measures.trim().into(), now.into(), who.into(), id.into()],
                )
                .await?;
                notices.push(to_supervisors(
                    format!("【差评整改待核验】{about}"),
                    format!("差评整改已提交：{}。请核验。", measures.trim()),
                ));
            }
            RectifyAction::Verify => {
                exec(
                    &txn,
                    "UPDATE rectifications SET verified_at = $1, verified_by = $2 WHERE id = $3",
                    vec![now.into(), who.into(), id.into()],
                )
                .await?;
                if r.applicant_user_id.is_some() {
                    notices.push(Notice {
                        to: Recipient::Person {
                            user_id: r.applicant_user_id,
                            email: String::new(),
                        },
                        case_id,
                        bundle_case_id: bundle_id,
                        subject: format!("您的差评已整改：{about}"),
                        body: format!(
                            "针对您的评价，承办单位已完成整改：{}。欢迎评价整改结果：/rectifications/{id}",
                            r.measures
                        ),
                    });
                }
            }
            RectifyAction::SendBack { reason } => {
                exec(
                    &txn,
                    "UPDATE rectifications SET sent_back_reason = $1 WHERE id = $2",
                    vec![reason.trim().into(), id.into()],
                )
                .await?;
                notices.extend(to_owner(
                    format!("【差评整改退回】{about}"),
                    format!("整改未通过核验：{}。请继续整改并重新提交。", reason.trim()),
                ));
            }
            RectifyAction::Appeal { ground, statement } => {
                exec(
                    &txn,
                    "INSERT INTO rating_appeals (rating_id, rectification_id, ground, statement, state, filed_by, filed_at, decision_reason) \
                     VALUES ($1, $2, $3, $4, 'pending', $5, $6, '')",
                    vec![
                        r.rating.id.into(),
                        id.into(),
                        ground.as_str().into(),
                        statement.trim().into(),
                        who.into(),
                        now.into(),
                    ],
                )
                .await?;
                notices.push(to_supervisors(
                    format!("【差评申诉待复核】{about}"),
                    format!("承办单位以“{}”申诉：{}", ground.zh(), statement.trim()),
                ));
            }
            RectifyAction::DecideAppeal { upheld, reason } => {
                let n = exec(
                    &txn,
                    "UPDATE rating_appeals SET state = $1, decided_by = $2, decided_at = $3, decision_reason = $4 \
                     WHERE rectification_id = $5 AND state = 'pending'",
                    vec![
                        if *upheld { "upheld" } else { "rejected" }.into(),
                        who.into(),
                        now.into(),
                        reason.trim().into(),
                        id.into(),
                    ],
                )
                .await?;
                if n != 1 {
                    return Err(StoreError::Corrupt(format!(
                        "rectification {id} appealed without a pending appeal"
                    )));
                }
                if *upheld {
                    // Kept, with the decision; out of the figures.
                    exec(
                        &txn,
                        "UPDATE ratings SET excluded = $1 WHERE id = $2",
                        vec![true.into(), r.rating.id.into()],
                    )
                    .await?;
                    if r.rating.superseded_by.is_none() {
                        count_in_rollup(&txn, &r.rating, -1).await?;
                    }
                }
                notices.extend(to_owner(
                    format!(
                        "【差评申诉{}】{about}",
                        if *upheld { "成立" } else { "不成立" }
                    ),
                    format!("复核意见：{}", reason.trim()),
                ));
            }
            RectifyAction::Verdict { verdict } => {
                exec(
                    &txn,
                    "UPDATE rectifications SET verdict = $1, verdict_at = $2 WHERE id = $3",
                    vec![verdict.as_str().into(), now.into(), id.into()],
                )
                .await?;
                notices.extend(to_owner(
                    format!("【整改评价】{about}"),
                    format!("申请人对整改结果的评价：{}", verdict.zh()),
                ));
                // An applicant still dissatisfied is the supervisors' to follow.
                if *verdict == Verdict::Dissatisfied {
                    notices.push(to_supervisors(
                        format!("【整改结果不满意】{about}"),
                        format!(
                            "申请人对已核验的整改结果仍不满意，请督查跟进：/rectifications/{id}"
                        ),
                    ));
                }
            }
        }
        crate::outbox::write(&txn, &notices).await?;
        trail::append(
            &txn,
            Some(who),
            &format!("rectification.{}", action.name()),
            &format!("rectification:{id}"),
            serde_json::json!({"to": to.as_str()}),
        )
        .await?;
        txn.commit().await?;
        self.rectification_row(self.conn(), id).await
    }

    /// Adds an evidence file (`appeal`: the appeal's) to a rectification
    /// its owner is working on.
    #[allow(clippy::too_many_arguments)]
    pub async fn rectification_file(
        &self,
        files: &Attachments,
        actor: &Actor,
        id: i64,
        for_appeal: bool,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<i64> {
        let r = self.rectification_for(actor, id).await?;
        actor
            .may_handle_rectification(&r.centre_path, r.department_id)
            .map_err(StoreError::Forbidden)?;
        if matches!(r.state, RectifyState::Verified | RectifyState::Excluded) {
            return Err(StoreError::conflict(
                "整改已结束，不能再添加材料",
                "the rectification is closed",
            ));
        }
        let kept = files
            .keep(
                &format!("rectifications/{id}"),
                "整改材料",
                file_name,
                bytes,
            )
            .await?;
        let txn = self.begin().await?;
        let fid = crate::insert_id(
            &txn,
            "INSERT INTO rectification_files (rectification_id, kind, file_name, content_type, size, object_key, digest, uploaded_by, uploaded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            [
                vec![id.into(), if for_appeal { "appeal" } else { "evidence" }.into()],
                kept.columns(),
                vec![actor.user_id.into(), now_ms().into()],
            ]
            .concat(),
        )
        .await?;
        trail::append(
            &txn,
            Some(actor.user_id),
            "rectification.file",
            &format!("rectification:{id}"),
            kept.audit(),
        )
        .await?;
        txn.commit().await?;
        Ok(fid)
    }

    /// A rectification's file, for whoever may see the rectification.
    pub async fn rectification_download(
        &self,
        files: &Attachments,
        actor: &Actor,
        file_id: i64,
    ) -> Result<(String, String, Vec<u8>)> {
        let r = query_one(
            self.conn(),
            "SELECT rectification_id, file_name, content_type, object_key FROM rectification_files WHERE id = $1",
            vec![file_id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("file {file_id}")))?;
        let rid: i64 = get(&r, "rectification_id")?;
        let seen = self
            .rectification_for(actor, rid)
            .await
            .map_err(|_| StoreError::NotFound(format!("file {file_id}")))?;
        if !seen.files.iter().any(|(f, _, _)| *f == file_id) {
            return Err(StoreError::NotFound(format!("file {file_id}")));
        }
        let key: String = get(&r, "object_key")?;
        Ok((
            get(&r, "file_name")?,
            get(&r, "content_type")?,
            files.get(&key).await?,
        ))
    }
}

/// An appeal comes with evidence (an appeal file uploaded first), and a
/// rating is appealed at most twice: a second rejection is final.
fn appeal_allowed(r: &RectificationView) -> Result<()> {
    if r.appeals
        .iter()
        .filter(|a| a.state == AppealState::Rejected)
        .count()
        >= MAX_APPEALS
    {
        return Err(StoreError::conflict(
            "该差评已申诉两次且均未获支持，不能再申诉",
            "this rating was appealed twice and both were rejected: no further appeal",
        ));
    }
    let evidence = r.files.iter().filter(|(_, k, _)| k == "appeal").count();
    if evidence <= r.appeals.len() {
        return Err(StoreError::Invalid(
            FieldError::new(
                "file",
                "evidence_required",
                "申诉须附证据：请先上传申诉材料（勾选“申诉材料”）",
                "an appeal needs evidence: upload it first, marked as for the appeal",
            )
            .into(),
        ));
    }
    Ok(())
}

/// How many rejected appeals end the appealing.
const MAX_APPEALS: usize = 2;

/// When the visit was made, in ms: the time said (Beijing time) — not
/// before the rating, not in the future — or now.
fn visit_time(at: Option<chrono::NaiveDateTime>, rated_at: i64, now: i64) -> Result<i64> {
    use chrono::TimeZone;
    let Some(at) = at else {
        return Ok(now);
    };
    let ms = chrono_tz::Asia::Shanghai
        .from_local_datetime(&at)
        .earliest()
        .map(|t| t.timestamp_millis())
        .unwrap_or(now);
    let refuse = |reason: &str, zh: &str, en: &str| {
        Err(StoreError::Invalid(
            FieldError::new("at", reason, zh, en).into(),
        ))
    };
    if ms > now + 60_000 {
        refuse(
            "future",
            "回访时间不能晚于现在",
            "the visit cannot be in the future",
        )
    } else if ms < rated_at - 60_000 {
        refuse(
            "before_rating",
            "回访时间不能早于差评的时间",
            "the visit cannot be before the rating",
        )
    } else {
        Ok(ms)
    }
}

fn stale() -> StoreError {
    StoreError::conflict(
        "该整改已被他人处理，请刷新后再试",
        "the rectification changed meanwhile; reload",
    )
}

/// The action's texts: required where they say what was done, within the
/// text rule.
fn check_action(a: &RectifyAction) -> Result<()> {
    let mut errs = FieldErrors::default();
    let mut need = |field: &str, zh: &str, en: &str, v: &str, max: usize| {
        if v.trim().is_empty() {
            errs.push(FieldError::new(
                field,
                "required",
                format!("请填写{zh}"),
                format!("{en} is required"),
            ));
        } else if let Some(e) = check_text(field, zh, en, v, max, true) {
            errs.push(e);
        }
    };
    match a {
        RectifyAction::Visit { method, note, .. } => {
            need("method", "回访方式", "the way of the visit", method, 50);
            need(
                "note",
                "回访情况（申请人的意见）",
                "what the applicant said",
                note,
                2000,
            );
        }
        RectifyAction::Rectify { cause, measures } => {
            need("cause", "差评原因分析", "the cause", cause, 2000);
            need("measures", "整改措施", "the measures", measures, 2000);
        }
        RectifyAction::SendBack { reason } => {
            need("reason", "退回理由", "the reason", reason, 1000)
        }
        RectifyAction::Appeal { statement, .. } => {
            need("statement", "申诉理由", "the grounds", statement, 2000)
        }
        RectifyAction::DecideAppeal { reason, .. } => {
            need("reason", "复核意见", "the decision's reason", reason, 1000)
        }
        RectifyAction::Verify | RectifyAction::Verdict { .. } => {}
    }
    errs.into_result().map_err(StoreError::Invalid)
}
