//! Deciding a batch's jobs inside its transaction: each step decided by
//! the domain on the item version, the case's facts and the calendar it is
//! planned on, then planned onto the batch's working copies.

use super::*;

/// Decides steps inside a batch's transaction (the reads a decision needs:
/// the item version, the last correction notice, the signing key).
pub(super) struct Decider<'a> {
    pub(super) store: &'a Store,
    pub(super) txn: &'a WriteTxn,
    /// Signing keys loaded in this batch, per department.
    pub(super) signers: HashMap<i64, Signer>,
    /// The calendar as the database holds it, when a job's (built from the
    /// database, tagged) is out of date: a notice entered by another
    /// instance since. The job is planned on this one instead.
    pub(super) current: Option<Arc<WorkCalendar>>,
}

impl Decider<'_> {
    /// The calendar `job` is planned on.
    fn calendar_for(&self, job: &Job) -> Arc<WorkCalendar> {
        match (&self.current, job.calendar.tag()) {
            (Some(now), Some(tag)) if now.tag() != Some(tag) => now.clone(),
            _ => job.calendar.clone(),
        }
    }
}

/// What one decided step is, before it is planned.
struct Decided {
    doc: Arc<ItemDoc>,
    facts: case::CaseFacts,
    t: Transition,
    cmd: Command,
    action: &'static str,
    details: serde_json::Value,
}

impl Decider<'_> {
    /// Plans `job` onto `w`, adding its steps; on a refused first step
    /// nothing of the job remains.
    pub(super) async fn plan_job(
        &mut self,
        w: &mut Working,
        job: &Job,
        i: usize,
        steps: &mut Vec<Step>,
    ) -> Result<()> {
        // A job of the system's own steps only acts on the case as it was seen.
        if job.first.is_none()
            && let Some(v) = job.expected_version
            && v != w.case.version
        {
            return Err(stale());
        }
        let rollback = (!job.waive.is_empty() || job.then.is_some()).then(|| w.clone());
        let mut presigned = job.presigned.clone();
        // Materials shared data and certificates stand for.
        if !job.waive.is_empty() {
            let mut waived: BTreeSet<usize> = w.case.waived.iter().copied().collect();
            waived.extend(job.waive.iter().copied());
            let waived: Vec<usize> = waived.into_iter().collect();
            if waived != w.case.waived {
                w.case.waived = waived;
                w.waived_changed = true;
                w.touched = true;
            }
        }
        let cal = self.calendar_for(job);
        if let Some(first) = &job.first {
            let decided = match self
                .decide(w, first, job.expected_version, &cal, job.today)
                .await
            {
                Ok(d) => d,
                Err(e) => {
                    if let Some(r) = rollback {
                        *w = r;
                    }
                    return Err(e);
                }
            };
            if let Some(d) = decided {
                let by = match first {
                    StepBy::Person { actor, .. } => Taker {
                        user_id: Some(actor.user_id),
                        name: &actor.display_name,
                    },
                    _ => Taker {
                        user_id: None,
                        name: "系统",
                    },
                };
                match self.plan(w, d, by, &mut presigned, job, i).await {
                    Ok(mut s) => {
                        s.event.attachment = job.attachment.clone();
                        steps.push(s);
                    }
                    Err(e) => {
                        if let Some(r) = rollback {
                            *w = r;
                        }
                        return Err(e);
                    }
                }
            }
        }
        let Some(then) = &job.then else {
            return Ok(());
        };
        let after_first = w.clone();
        let keep = steps.len();
        // A bounded walk: acceptance, a review per task, decision, 制证, 送达.
        for _ in 0..16 {
            let Some((cmd, department)) = then.next(&w.case) else {
                break;
            };
            let by = StepBy::System {
                cmd,
                department,
                why: then.why().clone(),
                sealed: Sealed(()),
            };
            let planned = match self.decide(w, &by, None, &cal, job.today).await {
                Ok(Some(d)) => {
                    let taker = Taker {
                        user_id: None,
                        name: "系统",
                    };
                    self.plan(w, d, taker, &mut presigned, job, i).await
                }
                Ok(None) => break,
                Err(e) => Err(e),
            };
            match planned {
                Ok(s) => steps.push(s),
                Err(e) => {
                    // The first step stands, for a person to take over.
                    tracing::warn!(case = w.case.id, "system steps not completed: {e}");
                    *w = after_first;
                    steps.truncate(keep);
                    return Ok(());
                }
            }
        }
        if !then.complete(&w.case) {
            tracing::warn!(
                case = w.case.id,
                state = w.case.state.as_str(),
                "system steps stopped short of their end"
            );
            *w = after_first;
            steps.truncate(keep);
        }
        Ok(())
    }

    /// Asks the domain whether `by` may take this step now, and what it does.
    async fn decide(
        &mut self,
        w: &Working,
        by: &StepBy,
        expected_version: Option<i64>,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<Option<Decided>> {
        let c = &w.case;
        if let StepBy::Person { actor: a, .. } = by
            && !c.visible_to(a)
        {
            // A case the caller may not see is, to them, no case at all —
            // whoever they are (SECURITY.md: existence is not disclosed).
            // One they see but may not move is refused (403) below.
            return Err(StoreError::NotFound(format!("case {}", c.id)));
        }
        if let Some(v) = expected_version
            && v != c.version
        {
            return Err(stale());
        }
        let doc = self.store.item_doc(c.item_version_id).await?;
        let cmd = match by {
            StepBy::Person { cmd, .. } | StepBy::System { cmd, .. } => cmd.clone(),
            StepBy::DeemedAcceptance => Command::Submit,
        };
        let noticed = match (&cmd, &w.noticed) {
            (Command::RequestCorrection { .. }, Some(n)) => Some(n.clone()),
            (Command::RequestCorrection { .. }, None) => noticed_of(self.txn, c.id).await?,
            _ => None,
        };
        let mut facts = build_facts(c, &doc, &w.uploads, cal, today, noticed);
        if matches!(cmd, Command::SupplyCorrection) {
            facts.pending = crate::cases::facts::pending_of(self.txn, c, &doc).await?;
        }
        if matches!(cmd, Command::Decide { approve: true, .. }) {
            facts.awaiting = crate::cases::holds::awaiting_of(self.txn, c.id).await?;
        }
        if matches!(cmd, Command::RequestCorrection { .. }) && facts.noticed.is_some() {
            facts.noticed_fields = crate::cases::facts::noticed_fields_of(self.txn, c.id).await?;
        }
        let limits = limits_for(c, &doc);
        let decided = match by {
            StepBy::Person { actor, cmd } => {
                // A concierge acts as the applicant only under a valid
                // authorization, checked here in the batch's transaction.
                facts.agent = crate::accounts::mandates::agent_in(
                    self.txn,
                    actor,
                    c.applicant_user_id,
                    &c.impl_code,
                    today,
                )
                .await?
                .map_err(crate::accounts::mandates::refused)?;
                case::authorize(actor, &facts, cmd)?;
                let t = case::transition(&facts, cmd, &limits, today, actor.department_id)?;
                let details = serde_json::to_value(cmd).unwrap_or_default();
                Decided {
                    t,
                    cmd: cmd.clone(),
                    action: cmd.name(),
                    details,
                    doc,
                    facts,
                }
            }
            StepBy::System {
                cmd,
                department,
                why,
                ..
            } => {
                let t = case::transition(&facts, cmd, &limits, today, *department)?;
                let mut details = serde_json::to_value(cmd).unwrap_or_default();
                if let (serde_json::Value::Object(m), serde_json::Value::Object(extra)) =
                    (&mut details, why)
                {
                    m.extend(extra.clone());
                }
                Decided {
                    t,
                    cmd: cmd.clone(),
                    action: cmd.name(),
                    details,
                    doc,
                    facts,
                }
            }
            StepBy::DeemedAcceptance => {
                let t = match case::deemed_acceptance(&facts, &limits, cal, today) {
                    Ok(Some(t)) => t,
                    Ok(None) => return Ok(None),
                    Err(e) => {
                        // A year not entered yet: this case waits; the others go on.
                        tracing::warn!(case = c.id, "deemed acceptance not decidable yet: {e}");
                        return Ok(None);
                    }
                };
                let received = c.received_on.map(|d| d.to_string()).unwrap_or_default();
                Decided {
                    t,
                    cmd: Command::Accept,
                    action: "deemed_accepted",
                    details: serde_json::json!({
                        "rule": "行政许可法第三十二条",
                        "why_zh": format!("申请材料于{received}收到，5个工作日内未告知补正，自收到材料之日起即为受理"),
                        "why_en": format!("materials received {received} and no correction notice within 5 working days: accepted from receipt"),
                    }),
                    doc,
                    facts,
                }
            }
        };
        Ok(Some(decided))
    }

    /// Plans a decided step, signing its certificate at 制证 of an
    /// approved licence.
    async fn plan(
        &mut self,
        w: &mut Working,
        d: Decided,
        by: Taker<'_>,
        presigned: &mut Option<NewCert>,
        job: &Job,
        i: usize,
    ) -> Result<Step> {
        let c = &w.case;
        let cert = if matches!(d.cmd, Command::Issue)
            && gets_certificate(c.approved == Some(true), &d.doc)
        {
            let signer = match self.signers.entry(c.lead_department_id) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => e.insert(
                    signer_for(
                        self.store,
                        self.txn,
                        c.lead_department_id,
                        &c.lead_department_name,
                    )
                    .await?,
                ),
            };
            // Signed in advance, if still with the department's current key
            // (a key generated meanwhile retires the old one).
            match presigned.take() {
                Some(x) if x.key_id == signer.key_id() => Some(x),
                _ => Some(prepare_certificate(signer, c, &d.doc, job.today)?),
            }
        } else {
            None
        };
        plan_step(
            w,
            &d.doc,
            &d.facts,
            by,
            &d.cmd,
            d.action,
            d.details,
            d.t,
            cert,
            &self.calendar_for(job),
            job.today,
            i,
        )
    }
}
