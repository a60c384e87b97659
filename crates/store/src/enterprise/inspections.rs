//! 联合验收 (SPEC §9): the completion stage's one joint inspection. The
//! stage's lead department schedules one appointment — day, time, place —
//! with every department whose item the stage holds; each records its own
//! finding once; the last finding sets the one combined result. The
//! enterprise, its concierge and the departments are told at each turn.

use chrono::NaiveDate;
use serde::Serialize;
use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::enterprise::{InspectionResult, Stage};
use tongban_domain::text::{NAME_MAX, TEXT_MAX, check_text};
use tongban_domain::{FieldError, FieldErrors};

use super::{Project, config_kind};
use crate::outbox::{self, Notice, Recipient, StaffRole};
use crate::{Result, Store, StoreError, exec, get, insert_id, now_ms, query, query_one, trail};

/// One department's part in a joint inspection.
#[derive(Debug, Clone, Serialize)]
pub struct InspectionPart {
    pub department_id: i64,
    pub department_name: String,
    /// None until the department records its finding.
    pub passed: Option<bool>,
    pub note: String,
}

/// A joint inspection and its combined result.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    pub id: i64,
    pub project_id: i64,
    pub inspect_on: NaiveDate,
    /// `HH:MM`.
    pub inspect_at: String,
    pub place: String,
    pub lead_department_id: i64,
    pub result: InspectionResult,
    pub parts: Vec<InspectionPart>,
}

impl Inspection {
    /// Whether the inspection waits for the finding of `department`.
    pub fn awaits(&self, department: &Option<i64>) -> bool {
        department.is_some_and(|d| {
            self.parts
                .iter()
                .any(|p| p.department_id == d && p.passed.is_none())
        })
    }
}

/// What the lead department schedules.
#[derive(Debug, Clone, Default)]
pub struct NewInspection {
    pub inspect_on: String,
    pub inspect_at: String,
    pub place: String,
    /// Departments inspecting besides those of the stage's items (规划核实
    /// by 自然资源规划局, 人防, 档案 …), of the centre.
    pub departments: Vec<i64>,
}

fn staff_of(actor: &Actor) -> Result<i64> {
    match (actor.role, actor.department_id) {
        (Role::Reviewer | Role::Head, Some(d)) => Ok(d),
        _ => Err(StoreError::Forbidden(Denied::Role)),
    }
}

impl Store {
    /// Schedules the project's joint inspection (the completion stage's
    /// lead department's reviewers and heads), once the stage is applied
    /// for and while no other inspection of the project is open. Every
    /// department of the stage's items takes part.
    pub async fn schedule_inspection(
        &self,
        actor: &Actor,
        project_id: i64,
        n: &NewInspection,
        today: NaiveDate,
    ) -> Result<Inspection> {
        let p = self.project(actor, project_id).await?;
        let dept = staff_of(actor)?;
        let config = self
            .stage_config(p.centre_id, config_kind(&p.kind, p.low_risk))
            .await?;
        let Some(stage) = config
            .iter()
            .find(|s| s.stage == Stage::Completion.number())
        else {
            return Err(StoreError::conflict(
                "本类项目未设竣工验收阶段",
                "this kind of project has no completion stage",
            ));
        };
        if stage.lead_department_id != dept {
            return Err(StoreError::Forbidden(Denied::Department));
        }
        let mut errs = FieldErrors::default();
        let day = NaiveDate::parse_from_str(n.inspect_on.trim(), "%Y-%m-%d").ok();
        match day {
            Some(d) if d >= today => {}
            Some(_) => errs.push(FieldError::new(
                "inspect_on",
                "past",
                "验收日期不能早于今天",
                "the inspection cannot be in the past",
            )),
            None => errs.push(FieldError::new(
                "inspect_on",
                "invalid",
                "请填写验收日期（年-月-日）",
                "enter the inspection's date (YYYY-MM-DD)",
            )),
        }
        let at = n.inspect_at.trim();
        if chrono::NaiveTime::parse_from_str(at, "%H:%M").is_err() {
            errs.push(FieldError::new(
                "inspect_at",
                "invalid",
                "请填写验收时间（时:分）",
                "enter the inspection's time (HH:MM)",
            ));
        }
        let place = n.place.trim().to_string();
        if place.is_empty() {
            errs.push(FieldError::required("place", "验收地点"));
        } else if let Some(e) =
            check_text("place", "验收地点", "the place", &place, NAME_MAX, false)
        {
            errs.push(e);
        }
        errs.into_result().map_err(StoreError::Invalid)?;
        let Some(day) = day else {
            return Err(StoreError::Corrupt("inspection day".into()));
        };
        let started = query_one(
            self.conn(),
            "SELECT COUNT(*) AS n FROM project_cases WHERE project_id = $1 AND stage = $2",
            vec![project_id.into(), stage.stage.into()],
        )
        .await?
        .map(|r| get::<i64>(&r, "n"))
        .transpose()?
        .unwrap_or(0);
        if started == 0 {
            return Err(StoreError::conflict(
                "竣工验收阶段尚未申请，暂不能安排联合验收",
                "the completion stage has not been applied for yet",
            ));
        }
        let mut departments = vec![stage.lead_department_id];
        for code in &stage.items {
            if let Some(r) = query_one(
                self.conn(),
                "SELECT department_id FROM item_versions WHERE impl_code = $1 AND status = 'published'",
                vec![code.clone().into()],
            )
            .await?
            {
                let d: i64 = get(&r, "department_id")?;
                if !departments.contains(&d) {
                    departments.push(d);
                }
            }
        }
        for (k, d) in n.departments.iter().enumerate() {
            let ok = query_one(
                self.conn(),
                "SELECT 1 AS one FROM departments WHERE id = $1 AND centre_id = $2",
                vec![(*d).into(), p.centre_id.into()],
            )
            .await?;
            if ok.is_none() {
                return Err(StoreError::Invalid(
                    FieldError::new(
                        format!("departments[{k}]"),
                        "unknown",
                        "验收部门应为本中心的部门",
                        "an inspecting department must be one of the centre's",
                    )
                    .into(),
                ));
            }
            if !departments.contains(d) {
                departments.push(*d);
            }
        }
        let txn = self.begin().await?;
        // The project's row first: two schedulers at once take turns.
        exec(
            &txn,
            "UPDATE projects SET key_project = key_project WHERE id = $1",
            vec![project_id.into()],
        )
        .await?;
        let open = query_one(
            &txn,
            "SELECT id FROM joint_inspections WHERE project_id = $1 AND result = 'pending'",
            vec![project_id.into()],
        )
        .await?;
        if open.is_some() {
            return Err(StoreError::conflict(
                "本项目已安排联合验收，尚未出具结果",
                "the project's joint inspection is scheduled and has no result yet",
            ));
        }
        let id = insert_id(
            &txn,
            "INSERT INTO joint_inspections (project_id, inspect_on, inspect_at, place, lead_department_id, result, \
             created_by, created_at, decided_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, NULL)",
            vec![
                project_id.into(),
                day.to_string().into(),
                at.to_string().into(),
                place.clone().into(),
                dept.into(),
                actor.user_id.into(),
                now_ms().into(),
            ],
        )
        .await?;
        for d in &departments {
            exec(
                &txn,
                "INSERT INTO joint_inspection_departments (inspection_id, department_id, passed, note, recorded_by, recorded_at) \
                 VALUES ($1, $2, NULL, '', NULL, NULL)",
                vec![id.into(), (*d).into()],
            )
            .await?;
        }
        let subject = format!("联合验收安排：{}", p.name);
        let body = format!(
            "{day} {at}在{place}对“{}”进行联合验收，各验收部门同场查验、一次出具结果。/projects/{project_id}",
            p.name
        );
        let mut notices = to_enterprise(&p, &subject, &body);
        for d in &departments {
            notices.push(Notice {
                to: Recipient::Staff {
                    role: StaffRole::Reviewer,
                    department_id: Some(*d),
                    centre_id: p.centre_id,
                },
                case_id: None,
                bundle_case_id: None,
                subject: subject.clone(),
                body: body.clone(),
            });
        }
        outbox::write(&txn, &notices).await?;
        trail::append(
            &txn,
            Some(actor.user_id),
            "project.inspection",
            &format!("project:{project_id}"),
            serde_json::json!({"inspection": id, "on": day, "at": at, "departments": departments}),
        )
        .await?;
        txn.commit().await?;
        self.inspection(id).await
    }

    /// Records the finding of the actor's department (its reviewers and
    /// heads), once; the last department's finding sets the combined
    /// result, of which the enterprise and its concierge are told.
    pub async fn record_inspection_finding(
        &self,
        actor: &Actor,
        id: i64,
        passed: bool,
        note: &str,
        today: NaiveDate,
    ) -> Result<Inspection> {
        let dept = staff_of(actor)?;
        let i = self.inspection(id).await?;
        // Not seen by someone outside the project's centre: not found.
        let p = self
            .project(actor, i.project_id)
            .await
            .map_err(|e| match e {
                StoreError::NotFound(_) => StoreError::NotFound(format!("inspection {id}")),
                e => e,
            })?;
        if !i.parts.iter().any(|x| x.department_id == dept) {
            return Err(StoreError::Forbidden(Denied::Department));
        }
        if today < i.inspect_on {
            return Err(StoreError::conflict(
                format!("联合验收定于{}，届时再出具意见", i.inspect_on),
                format!(
                    "the inspection is on {}: record the finding then",
                    i.inspect_on
                ),
            ));
        }
        let mut errs = FieldErrors::default();
        let note = note.trim();
        if !passed && note.is_empty() {
            errs.push(FieldError::new(
                "note",
                "required",
                "验收不合格的，请写明问题和整改要求",
                "a failed finding needs the problems and what to put right",
            ));
        }
        if let Some(e) = check_text("note", "验收意见", "the note", note, TEXT_MAX, true) {
            errs.push(e);
        }
        errs.into_result().map_err(StoreError::Invalid)?;
        let txn = self.begin().await?;
        // The inspection's row first: the last two findings at once take
        // turns, so one of them sees both and sets the result.
        exec(
            &txn,
            "UPDATE joint_inspections SET result = result WHERE id = $1",
            vec![id.into()],
        )
        .await?;
        let n = exec(
            &txn,
            "UPDATE joint_inspection_departments SET passed = $1, note = $2, recorded_by = $3, recorded_at = $4 \
             WHERE inspection_id = $5 AND department_id = $6 AND passed IS NULL",
            vec![
                passed.into(),
                note.to_string().into(),
                actor.user_id.into(),
                now_ms().into(),
                id.into(),
                dept.into(),
            ],
        )
        .await?;
        if n != 1 {
            return Err(StoreError::conflict(
                "本部门的验收意见已出具",
                "your department's finding is recorded already",
            ));
        }
        let findings: Vec<Option<bool>> = query(
            &txn,
            "SELECT passed FROM joint_inspection_departments WHERE inspection_id = $1",
            vec![id.into()],
        )
        .await?
        .iter()
        .map(|r| get::<Option<bool>>(r, "passed"))
        .collect::<Result<_>>()?;
        let result = InspectionResult::of(&findings);
        if result != InspectionResult::Pending {
            let n = exec(
                &txn,
                "UPDATE joint_inspections SET result = $1, decided_at = $2 WHERE id = $3 AND result = 'pending'",
                vec![result.as_str().into(), now_ms().into(), id.into()],
            )
            .await?;
            if n == 1 {
                let subject = format!("{}：{}", result.zh(), p.name);
                let body = format!(
                    "“{}”的联合验收各部门意见已全部出具，结果：{}。/projects/{}",
                    p.name,
                    result.zh(),
                    p.id
                );
                outbox::write(&txn, &to_enterprise(&p, &subject, &body)).await?;
            }
        }
        trail::append(
            &txn,
            Some(actor.user_id),
            "project.inspection_finding",
            &format!("project:{}", p.id),
            serde_json::json!({"inspection": id, "department": dept, "passed": passed}),
        )
        .await?;
        txn.commit().await?;
        self.inspection(id).await
    }

    /// A project's joint inspections, newest first (no access check: the
    /// project's page checks it).
    pub(super) async fn inspections_of(&self, project_id: i64) -> Result<Vec<Inspection>> {
        let ids = query(
            self.conn(),
            "SELECT id FROM joint_inspections WHERE project_id = $1 ORDER BY id DESC",
            vec![project_id.into()],
        )
        .await?;
        let mut out = Vec::with_capacity(ids.len());
        for r in &ids {
            out.push(self.inspection(get(r, "id")?).await?);
        }
        Ok(out)
    }

    async fn inspection(&self, id: i64) -> Result<Inspection> {
        let r = query_one(
            self.conn(),
            "SELECT id, project_id, inspect_on, inspect_at, place, lead_department_id, result FROM joint_inspections WHERE id = $1",
            vec![id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("inspection {id}")))?;
        let parts = query(
            self.conn(),
            "SELECT j.department_id, d.name, j.passed, j.note FROM joint_inspection_departments j \
             JOIN departments d ON d.id = j.department_id WHERE j.inspection_id = $1 ORDER BY j.department_id",
            vec![id.into()],
        )
        .await?
        .iter()
        .map(|x| {
            Ok(InspectionPart {
                department_id: get(x, "department_id")?,
                department_name: get(x, "name")?,
                passed: get(x, "passed")?,
                note: get(x, "note")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let result: String = get(&r, "result")?;
        Ok(Inspection {
            id,
            project_id: get(&r, "project_id")?,
            inspect_on: crate::sql::date_col(&r, "inspect_on")?
                .ok_or_else(|| StoreError::Corrupt("inspection day".into()))?,
            inspect_at: get(&r, "inspect_at")?,
            place: get(&r, "place")?,
            lead_department_id: get(&r, "lead_department_id")?,
            result: InspectionResult::parse(&result)
                .ok_or_else(|| StoreError::Corrupt(format!("inspection result {result}")))?,
            parts,
        })
    }
}

/// The notices of a project's enterprise and its concierge.
fn to_enterprise(p: &Project, subject: &str, body: &str) -> Vec<Notice> {
    let mut to = vec![Some(p.owner_user_id)];
    if p.concierge_user_id.is_some() {
        to.push(p.concierge_user_id);
    }
    to.into_iter()
        .map(|user_id| Notice {
            to: Recipient::Person {
                user_id,
                email: String::new(),
            },
            case_id: None,
            bundle_case_id: None,
            subject: subject.to_string(),
            body: body.to_string(),
        })
        .collect()
}
