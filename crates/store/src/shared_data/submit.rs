//! A submission with shared data: the lookups, the comparison, 免证办 and
//! the decision model run before any write (`prepare_submit`); the job they
//! give the case writer carries the waived materials, the records (for
//! `LookupRecords`) and — when the rules approve on verified data — the
//! system's steps to delivery (秒批, [`InstantApproval`]). Lookups that
//! failed are retried by the sweep.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::NaiveDate;
use serde_json::{Map, Value};
use tongban_domain::auth::Actor;
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::{self, CaseState, Command, TaskStatus};
use tongban_domain::catalog::ItemDoc;
use tongban_domain::cert::CertStatus;

use super::records::record_many;
use super::{Fetched, Gathered, GatheredDecision, Mismatch, NewFetch, norm, value_text};
use crate::cases::{
    Applied, Case, FollowOn, Job, build_facts, gets_certificate, limits_of, prepare_certificate,
    signer_for, stale,
};
use crate::{Result, Store, StoreError, exec, get, now_ms, query, query_one};

impl Store {
    /// Submits an application, with shared data, 免证办 and 秒批, on its own
    /// (the server batches the same job with others through `CaseWriter`).
    pub async fn submit_case(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: Option<i64>,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<Applied> {
        let job = self
            .prepare_submit(
                actor,
                case_id,
                expected_version,
                Arc::new(cal.clone()),
                today,
            )
            .await?;
        self.run_job(job).await
    }

    /// The part of a submission done before any write: the caller may
    /// submit, and the lookups, certificates and rules have spoken. The job
    /// it returns is the submission to write.
    pub async fn prepare_submit(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: Option<i64>,
        cal: Arc<WorkCalendar>,
        today: NaiveDate,
    ) -> Result<Job> {
        let c = self.case(case_id).await?;
        if !c.visible_to(actor) {
            return Err(StoreError::NotFound(format!("case {case_id}")));
        }
        let doc = self.item_doc(c.item_version_id).await?;
        // Nothing is looked up for someone who may not submit this case (who
        // may is a question of role and ownership; the writer checks the rest).
        let mut facts = build_facts(&c, &doc, &[], &cal, today, None);
        facts.agent = crate::accounts::mandates::agent_in(
            self.conn(),
            actor,
            c.applicant_user_id,
            &c.impl_code,
            today,
        )
        .await?
        .map_err(crate::accounts::mandates::refused)?;
        case::authorize(actor, &facts, &Command::Submit)?;
        // A concierge's submission names both (钱专员 代 某公司).
        let actor = &self
            .acting_on_case(actor, c.applicant_user_id, &c.impl_code, today)
            .await?;
        // Nor for a case that is no longer a draft, or not the one the caller saw.
        if let Some(v) = expected_version
            && v != c.version
        {
            return Err(stale());
        }
        case::transition(
            &facts,
            &Command::Submit,
            &limits_of(&doc),
            today,
            actor.department_id,
        )?;
        let gathered = self.gather(&c, &doc, today).await?;
        // The certificate 秒批 will issue, signed here rather than in the
        // writer; without a key the writer says why and a person takes over.
        let presigned = if gets_certificate(gathered.approve(), &doc) {
            match signer_for(
                self,
                self.conn(),
                c.lead_department_id,
                &c.lead_department_name,
            )
            .await
            {
                Ok(s) => prepare_certificate(&s, &c, &doc, today).ok(),
                Err(_) => None,
            }
        } else {
            None
        };
        let mut job = Job::command(
            actor,
            case_id,
            // The case must still be what was looked up and decided on.
            Some(expected_version.unwrap_or(c.version)),
            Command::Submit,
            cal,
            today,
        );
        job.waive = gathered.waived.clone();
        job.then = gathered
            .approve()
            .then(|| Arc::new(InstantApproval::of(&gathered)) as Arc<dyn FollowOn>);
        job.presigned = presigned;
        job.attachment = Some(Arc::new(gathered));
        Ok(job)
    }

    /// What the lookups, certificates and rules say about a case now.
    pub(super) async fn gather(
        &self,
        c: &Case,
        doc: &ItemDoc,
        today: NaiveDate,
    ) -> Result<Gathered> {
        let sources = self.sources().await?;
        let mut g = Gathered {
            item_version_id: c.item_version_id,
            ..Default::default()
        };
        let mut data = Map::new();
        for l in &doc.shared_data {
            let Some(src) = sources.iter().find(|s| s.key == l.source) else {
                g.fetches
                    .push(NewFetch::failed(&l.source, &l.source, "数据源未登记"));
                continue;
            };
            let key = if l.key == "applicant" {
                c.applicant_id_number.clone()
            } else {
                l.key
                    .strip_prefix("form.")
                    .and_then(|f| c.form.get(f).cloned())
                    .unwrap_or_default()
            };
            if key.trim().is_empty() {
                g.fetches
                    .push(NewFetch::failed(&src.key, &src.name, "没有可查询的关键字"));
                continue;
            }
            match self.fetch_source(src, key.trim()).await {
                Fetched::Found(m) => {
                    for name in &l.satisfies {
                        if let Some(i) = doc
                            .materials
                            .iter()
                            .position(|x| x.name.trim() == name.trim())
                        {
                            g.waived.push(i);
                        }
                    }
                    for cmp in &l.compare {
                        let declared = c.form.get(&cmp.form_field).cloned().unwrap_or_default();
                        let auth = m.get(&cmp.source_field).map(value_text).unwrap_or_default();
                        if norm(&declared) != norm(&auth) {
                            g.mismatches.push(Mismatch {
                                form_field: cmp.form_field.clone(),
                                declared,
                                source: src.name.clone(),
                                source_field: cmp.source_field.clone(),
                                authoritative: auth,
                            });
                        }
                    }
                    data.insert(src.key.clone(), Value::Object(m.clone()));
                    g.fetches.push(NewFetch {
                        source_key: src.key.clone(),
                        source_name: src.name.clone(),
                        outcome: "found",
                        fields: m.keys().cloned().collect(),
                        data: Value::Object(m),
                        message: String::new(),
                        retry: false,
                    });
                }
                Fetched::NotFound => g.fetches.push(NewFetch {
                    source_key: src.key.clone(),
                    source_name: src.name.clone(),
                    outcome: "not_found",
                    fields: vec![],
                    data: Value::Null,
                    message: "没有查到记录".into(),
                    retry: false,
                }),
                Fetched::Failed(why) => {
                    let mut f =
                        NewFetch::failed(&src.key, &src.name, &format!("数据源暂不可用：{why}"));
                    f.retry = true;
                    g.fetches.push(f);
                }
            }
        }
        // 免证办: a valid e-certificate of the applicant stands for the material of its type.
        if !c.applicant_id_number.is_empty() {
            let names: Vec<&str> = doc.materials.iter().map(|m| m.name.trim()).collect();
            let certs = self
                .certificates_of_holder_typed(&c.applicant_id_number, &names)
                .await?;
            for (i, m) in doc.materials.iter().enumerate() {
                let matching: Vec<_> = certs
                    .iter()
                    .filter(|x| x.record.type_name.trim() == m.name.trim())
                    .collect();
                // A valid one if any; otherwise the newest says why not.
                let Some(cert) = matching
                    .iter()
                    .rev()
                    .find(|x| x.status(today) == CertStatus::Valid)
                    .or_else(|| matching.last())
                else {
                    continue;
                };
                match cert.status(today) {
                    CertStatus::Valid => {
                        g.waived.push(i);
                        g.fetches.push(NewFetch {
                            source_key: "e-certificates".into(),
                            source_name: "电子证照库".into(),
                            outcome: "certificate",
                            fields: vec!["licence_id".into()],
                            data: serde_json::json!({"material": m.name, "licence_id": cert.licence_id}),
                            message: format!("以电子证照{}代替“{}”", cert.licence_id, m.name),
                            retry: false,
                        });
                    }
                    st => g.fetches.push(NewFetch {
                        source_key: "e-certificates".into(),
                        source_name: "电子证照库".into(),
                        outcome: "rejected",
                        fields: vec!["licence_id".into()],
                        data: serde_json::json!({"material": m.name, "licence_id": cert.licence_id}),
                        message: format!(
                            "电子证照{}{}，不能代替“{}”，请提交该材料",
                            cert.licence_id,
                            st.zh(),
                            m.name
                        ),
                        retry: false,
                    }),
                }
            }
        }
        g.verified = !doc.shared_data.is_empty()
            && g.fetches
                .iter()
                .filter(|f| f.source_key != "e-certificates")
                .all(|f| f.outcome == "found");
        if let Some(spec) = &doc.decision {
            let input = serde_json::json!({
                "form": c.form,
                "data": Value::Object(data),
                "verified": g.verified,
                "mismatches": g.mismatches.len(),
                "applicant": {"id_number": c.applicant_id_number},
            });
            match crate::decisions::model_of(c.item_version_id, spec)
                .and_then(|m| m.evaluate(&input))
            {
                Ok(ev) => {
                    let (d, reasons) = ev.outcome();
                    g.decision = Some(GatheredDecision {
                        outcome: d,
                        reasons,
                        trace: serde_json::to_value(&ev.trace).unwrap_or_default(),
                        inputs: input,
                    });
                }
                Err(e) => {
                    g.decision = Some(GatheredDecision {
                        outcome: tongban_rules::Decision::Refer,
                        reasons: vec![e.zh()],
                        trace: Value::Null,
                        inputs: input,
                    });
                }
            }
        }
        Ok(g)
    }
    /// Retries lookups that failed (a source down or slow); when all of a
    /// case's lookups now succeed and it still awaits intake, its rules run
    /// again (and may approve it). Run by the sweep, under its lease; a
    /// failing case is put back and does not hold up the others.
    pub async fn retry_fetches(&self, cal: &WorkCalendar, today: NaiveDate) -> Result<usize> {
        let now = now_ms();
        let due = query(
            self.conn(),
            "SELECT DISTINCT case_id FROM case_fetches WHERE outcome IN ('failed', 'queued') \
             AND retry_at IS NOT NULL AND retry_at <= $1 AND attempts < 6 ORDER BY case_id LIMIT 50",
            vec![now.into()],
        )
        .await?;
        let mut done = 0;
        for r in due {
            let case_id: i64 = get(&r, "case_id")?;
            match self.retry_one(case_id, cal, today).await {
                Ok(true) => done += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(case = case_id, "retrying lookups failed: {e}");
                    exec(
                        self.conn(),
                        "UPDATE case_fetches SET retry_at = $1 WHERE case_id = $2 AND retry_at IS NOT NULL",
                        vec![(now_ms() + 600_000).into(), case_id.into()],
                    )
                    .await?;
                }
            }
        }
        Ok(done)
    }

    async fn retry_one(&self, case_id: i64, cal: &WorkCalendar, today: NaiveDate) -> Result<bool> {
        let c = self.case(case_id).await?;
        // Lookups queued at submission (a bundle's sub-case) are made once
        // whatever has happened since, unless the case has ended: they are
        // part of the application. Failed ones are retried only until someone
        // takes the case in hand: no more lookups about the person then.
        let first_time = query_one(
            self.conn(),
            "SELECT COUNT(*) AS n FROM case_fetches WHERE case_id = $1 AND outcome = 'queued' AND retry_at IS NOT NULL",
            vec![case_id.into()],
        )
        .await?
        .map(|r| get::<i64>(&r, "n"))
        .transpose()?
        .unwrap_or(0)
            > 0;
        if c.state.is_final() || (c.state != CaseState::Submitted && !first_time) {
            exec(
                self.conn(),
                "UPDATE case_fetches SET retry_at = NULL WHERE case_id = $1",
                vec![case_id.into()],
            )
            .await?;
            return Ok(false);
        }
        let failed: BTreeSet<String> = query(
            self.conn(),
            "SELECT source_key FROM case_fetches WHERE case_id = $1 AND retry_at IS NOT NULL",
            vec![case_id.into()],
        )
        .await?
        .iter()
        .map(|r| get::<String>(r, "source_key"))
        .collect::<Result<_>>()?;
        let doc = self.item_doc(c.item_version_id).await?;
        let mut g = self.gather(&c, &doc, today).await?;
        let txn = self.begin().await?;
        let attempts: i64 = query_one(
            &txn,
            "SELECT MAX(attempts) AS n FROM case_fetches WHERE case_id = $1 AND retry_at IS NOT NULL",
            vec![case_id.into()],
        )
        .await?
        .map(|r| get::<Option<i64>>(&r, "n"))
        .transpose()?
        .flatten()
        .unwrap_or(1);
        exec(
            &txn,
            "UPDATE case_fetches SET retry_at = NULL WHERE case_id = $1 AND retry_at IS NOT NULL",
            vec![case_id.into()],
        )
        .await?;
        // Only the lookups that had failed are recorded again.
        let all = std::mem::take(&mut g.fetches);
        g.fetches = all
            .into_iter()
            .filter(|f| failed.contains(&f.source_key))
            .collect();
        record_many(&txn, &[(case_id, &g, false)], attempts + 1).await?;
        txn.commit().await?;
        // What the lookups now stand for, and — when the rules approve — the
        // system's steps, through the writer, on the case as it was looked
        // up: if someone has taken it in hand meanwhile, nothing happens
        // (the writer leaves the case for a person when the steps cannot
        // all be taken).
        let job = Job {
            case_id,
            expected_version: Some(c.version),
            first: None,
            // A bundle's sub-cases are taken in together at the window (一窗受理).
            then: (g.approve() && c.bundle_case_id.is_none() && c.state == CaseState::Submitted)
                .then(|| Arc::new(InstantApproval::of(&g)) as Arc<dyn FollowOn>),
            waive: g.waived.clone(),
            presigned: None,
            attachment: None,
            calendar: Arc::new(cal.clone()),
            today,
        };
        match self.run_job(job).await {
            Ok(_) => {}
            Err(StoreError::Conflict { .. }) => {
                tracing::info!(
                    case = case_id,
                    "case moved before the retried lookups were used"
                );
            }
            Err(e) => {
                tracing::warn!(
                    case = case_id,
                    "instant approval after retry not completed: {e}"
                )
            }
        }
        Ok(true)
    }
}

/// 秒批: every step from acceptance to electronic delivery, by the system,
/// citing the rule version and reasons: acceptance, each review task in
/// turn, the decision, 制证 and 送达 (each by the department it belongs to).
pub struct InstantApproval {
    reasons: String,
    why: Value,
}

impl InstantApproval {
    fn of(g: &Gathered) -> Self {
        let (reasons, why) = g.instant_details();
        Self { reasons, why }
    }
}

impl FollowOn for InstantApproval {
    fn why(&self) -> &Value {
        &self.why
    }

    fn next(&self, c: &Case) -> Option<(Command, Option<i64>)> {
        let lead = Some(c.lead_department_id);
        match c.state {
            CaseState::Submitted => Some((Command::Accept, None)),
            CaseState::Review => c
                .tasks
                .iter()
                .find(|t| t.status == TaskStatus::Active)
                .map(|t| {
                    (
                        Command::CompleteReview {
                            agree: true,
                            opinion: format!("规则核验通过：{}", self.reasons),
                        },
                        Some(t.department_id),
                    )
                }),
            CaseState::Decision => Some((
                Command::Decide {
                    approve: true,
                    reason: format!(
                        "经共享数据核验并按决策规则自动审批（秒批）：{}",
                        self.reasons
                    ),
                },
                lead,
            )),
            CaseState::Certifying => Some((Command::Issue, lead)),
            CaseState::Delivering => Some((
                Command::Deliver {
                    method: "电子送达".into(),
                },
                lead,
            )),
            _ => None,
        }
    }
}
