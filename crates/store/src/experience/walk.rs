//! Recording a walk-through: its steps and findings, each finding routed to
//! the unit that owns the service with its deadline; reading them back.

use super::*;

fn check_walkthrough(w: &NewWalkthrough) -> Result<()> {
    let mut errs = FieldErrors::default();
    if w.steps.iter().all(|s| s.trim().is_empty()) {
        errs.push(FieldError::new(
            "steps",
            "required",
            "请记录走流程的步骤",
            "record the steps you took",
        ));
    }
    if w.steps.len() > 50 {
        errs.push(FieldError::new(
            "steps",
            "too_many",
            "步骤不能超过50个",
            "at most 50 steps",
        ));
    }
    for (i, s) in w.steps.iter().enumerate() {
        if let Some(e) = check_text(&format!("steps[{i}]"), "步骤", "a step", s, 500, false) {
            errs.push(e);
        }
    }
    if !(1..=24 * 60).contains(&w.minutes) {
        errs.push(FieldError::new(
            "minutes",
            "out_of_range",
            "用时应为1至1440分钟",
            "the time taken is 1 to 1440 minutes",
        ));
    }
    if w.findings.len() > 50 {
        errs.push(FieldError::new(
            "findings",
            "too_many",
            "问题不能超过50个",
            "at most 50 findings",
        ));
    }
    for (i, f) in w.findings.iter().enumerate() {
        if f.description.trim().is_empty() {
            errs.push(FieldError::new(
                format!("findings[{i}].description"),
                "required",
                "请描述发现的问题",
                "describe what you found",
            ));
        } else if let Some(e) = check_text(
            &format!("findings[{i}].description"),
            "问题描述",
            "the description",
            &f.description,
            2000,
            true,
        ) {
            errs.push(e);
        }
        if let Some(e) = check_text(
            &format!("findings[{i}].step"),
            "所在步骤",
            "the step",
            &f.step,
            500,
            false,
        ) {
            errs.push(e);
        }
    }
    if w.subject == WalkSubject::Bundle
        && let Some(e) = check_text(
            "bundle_name",
            "一件事名称",
            "the bundle's name",
            &w.bundle_name,
            200,
            false,
        )
    {
        errs.push(e);
    }
    errs.into_result().map_err(StoreError::Invalid)
}

impl Store {
    /// Records an officer's walk-through; each finding goes to the owning
    /// unit (and, about the guide, to its catalogue admins) with its deadline.
    pub async fn record_walkthrough(
        &self,
        actor: &Actor,
        w: &NewWalkthrough,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<Walkthrough> {
        actor.may_walk_through().map_err(StoreError::Forbidden)?;
        check_walkthrough(w)?;
        // What was walked: a published item (its department owns the
        // findings) or a bundle (the centre does).
        // The findings belong where what was walked belongs: an item's own
        // centre (perhaps a district below the officer's), a bundle's the
        // officer's centre.
        let (name, department, centre_id, centre_path) = match w.subject {
            WalkSubject::Item => {
                let r = query_one(
                    self.conn(),
                    "SELECT iv.name, iv.department_id, c.id AS centre_id, c.path FROM item_versions iv JOIN centres c ON c.id = iv.centre_id \
                     WHERE iv.impl_code = $1 AND iv.status = 'published'",
                    vec![w.code.trim().into()],
                )
                .await?
                .filter(|r| {
                    get::<String>(r, "path").is_ok_and(|p| p.starts_with(&actor.centre_path))
                })
                .ok_or_else(|| {
                    StoreError::Invalid(
                        FieldError::new(
                            "code",
                            "unknown",
                            "没有这个已公开的事项",
                            "no such published item",
                        )
                        .into(),
                    )
                })?;
                (
                    get::<String>(&r, "name")?,
                    Some(get::<i64>(&r, "department_id")?),
                    get::<i64>(&r, "centre_id")?,
                    get::<String>(&r, "path")?,
                )
            }
            WalkSubject::Bundle => {
                if w.bundle_name.trim().is_empty() {
                    return Err(StoreError::Invalid(
                        FieldError::new("code", "unknown", "没有这件“一件事”", "no such bundle")
                            .into(),
                    ));
                }
                (
                    w.bundle_name.trim().to_string(),
                    None,
                    actor.centre_id,
                    actor.centre_path.clone(),
                )
            }
        };
        let steps: Vec<String> = w
            .steps
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        let now = now_ms();
        let txn = self.begin().await?;
        let wid = insert_id(
            &txn,
            "INSERT INTO walkthroughs (officer_id, centre_id, centre_path, subject_kind, subject_code, subject_name, \
             department_id, steps, minutes, walked_on, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            vec![
                actor.user_id.into(),
                actor.centre_id.into(),
                actor.centre_path.clone().into(),
                w.subject.as_str().into(),
                w.code.trim().into(),
                name.clone().into(),
                department.into(),
                to_json(&steps).into(),
                w.minutes.into(),
                today.to_string().into(),
                now.into(),
            ],
        )
        .await?;
        let mut notices = Vec::new();
        for f in &w.findings {
            let due = cal
                .add_workdays(today, f.severity.fix_days())
                .map_err(|e| {
                    StoreError::Invalid(
                        FieldError::new("calendar", "missing_year", e.zh(), e.to_string()).into(),
                    )
                })?;
            exec(
                &txn,
                "INSERT INTO officer_findings (walkthrough_id, centre_id, centre_path, department_id, subject_code, category, \
                 severity, step, description, state, due, fixed_note, sent_back_reason, created_at, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, '', '', $11, 1)",
                vec![
                    wid.into(),
                    centre_id.into(),
                    centre_path.clone().into(),
                    department.into(),
                    w.code.trim().into(),
                    f.category.as_str().into(),
                    f.severity.as_str().into(),
                    f.step.trim().into(),
                    f.description.trim().into(),
                    due.to_string().into(),
                    now.into(),
                ],
            )
            .await?;
            let subject = format!("【体验员发现问题·{}】{name}", f.category.zh());
            let mut body = format!(
                "政务服务体验员走流程发现：{}（{}，{}）。请于{due}前整改。",
                f.description.trim(),
                f.severity.zh(),
                if f.step.trim().is_empty() {
                    "未注明步骤".to_string()
                } else {
                    format!("步骤：{}", f.step.trim())
                }
            );
            if department.is_some() {
                body.push_str(&format!("事项指南：/items/{}", w.code.trim()));
            }
            let mut roles: Vec<StaffRole> = match department {
                Some(_) => vec![StaffRole::Reviewer, StaffRole::Head],
                None => vec![StaffRole::Clerk],
            };
            if f.category.concerns_guide() {
                roles.push(StaffRole::CatalogAdmin);
            }
            for role in roles {
                notices.push(Notice {
                    to: Recipient::Staff {
                        role,
                        department_id: department,
                        centre_id,
                    },
                    case_id: None,
                    bundle_case_id: None,
                    subject: subject.clone(),
                    body: body.clone(),
                });
            }
        }
        crate::outbox::write(&txn, &notices).await?;
        trail::append(
            &txn,
            Some(actor.user_id),
            "walkthrough.record",
            &format!("walkthrough:{wid}"),
            serde_json::json!({"subject": w.code.trim(), "findings": w.findings.len(), "minutes": w.minutes}),
        )
        .await?;
        txn.commit().await?;
        self.walkthrough(wid).await
    }

    async fn walkthrough(&self, id: i64) -> Result<Walkthrough> {
        let r = query_one(
            self.conn(),
            "SELECT id, officer_id, subject_kind, subject_code, subject_name, department_id, steps, minutes, walked_on \
             FROM walkthroughs WHERE id = $1",
            vec![id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("walk-through {id}")))?;
        let findings = query(
            self.conn(),
            &format!("SELECT {FINDING_COLS} WHERE f.walkthrough_id = $1 ORDER BY f.id"),
            vec![id.into()],
        )
        .await?
        .iter()
        .map(row_finding)
        .collect::<Result<Vec<_>>>()?;
        Ok(Walkthrough {
            id,
            officer_id: get(&r, "officer_id")?,
            subject: if get::<String>(&r, "subject_kind")? == "bundle" {
                WalkSubject::Bundle
            } else {
                WalkSubject::Item
            },
            subject_code: get(&r, "subject_code")?,
            subject_name: get(&r, "subject_name")?,
            department_id: get(&r, "department_id")?,
            steps: json_col(&r, "steps")?,
            minutes: get(&r, "minutes")?,
            walked_on: date_col(&r, "walked_on")?
                .ok_or_else(|| StoreError::Corrupt("walk-through day".into()))?,
            findings,
        })
    }

    /// The walk-throughs `actor` may read: an officer's own, a supervisor's
    /// centres', newest first.
    pub async fn walkthroughs_for(&self, actor: &Actor) -> Result<Vec<Walkthrough>> {
        let (filter, v): (&str, sea_orm::Value) = match actor.role {
            Role::ExperienceOfficer => ("officer_id = $1", actor.user_id.into()),
            Role::Supervisor => (
                "centre_path LIKE $1",
                format!("{}%", actor.centre_path).into(),
            ),
            _ => return Err(StoreError::Forbidden(Denied::Role)),
        };
        let ids = query(
            self.conn(),
            &format!("SELECT id FROM walkthroughs WHERE {filter} ORDER BY id DESC LIMIT 200"),
            vec![v],
        )
        .await?;
        let mut out = Vec::with_capacity(ids.len());
        for r in &ids {
            out.push(self.walkthrough(get(r, "id")?).await?);
        }
        Ok(out)
    }
}
