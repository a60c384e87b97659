//! The applicant corrects the form fields that a one-time correction notice
//! named (SPEC §4.1) — exactly those, each checked as the form checks it.
//! No step of the case: supplying the corrections is the step, and it is
//! refused while anything the notice asked is still undone.

use std::collections::BTreeMap;

use tongban_domain::auth::{Actor, Denied};
use tongban_domain::case::CaseState;
use tongban_domain::{FieldError, FieldErrors};

use super::Case;
use crate::sql::to_json;
use crate::{Result, Store, StoreError, exec, now_ms};

impl Store {
    /// The form fields the open correction notice of a case names (keys).
    pub async fn fields_to_correct(&self, case_id: i64) -> Result<Vec<String>> {
        super::facts::noticed_fields_of(self.conn(), case_id).await
    }

    /// The materials (indexes) the case's open correction names: the last
    /// notice's before acceptance, or those the department named when it
    /// stopped the clock for a correction after acceptance.
    pub async fn materials_to_correct(&self, case: &Case) -> Result<Vec<usize>> {
        super::facts::asked_materials(self.conn(), case).await
    }

    /// Corrects the named form fields of a case waiting for correction.
    /// Only its applicant, or a window clerk of its centre, may
    /// (`Case::may_correct_form`);
    /// a field the notice did not name, or a value the form refuses, is
    /// refused and nothing changes.
    pub async fn correct_form(
        &self,
        actor: &Actor,
        case_id: i64,
        values: &BTreeMap<String, String>,
    ) -> Result<Case> {
        let c = self.case(case_id).await?;
        if !c.visible_to(actor) {
            return Err(StoreError::NotFound(format!("case {case_id}")));
        }
        if c.state == CaseState::Correction && !c.may_correct_form(actor) {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        // A concierge corrects only under a valid authorization, named with
        // the enterprise.
        let labelled = self
            .acting_on_case(
                actor,
                c.applicant_user_id,
                &c.impl_code,
                crate::shanghai_today(),
            )
            .await?;
        let actor = &labelled;
        if c.state != CaseState::Correction {
            return Err(StoreError::conflict(
                "只有待补正的申请可以更正申请信息",
                "only an application waiting for corrections can be corrected",
            ));
        }
        let asked = self.fields_to_correct(case_id).await?;
        let doc = self.item_doc(c.item_version_id).await?;
        let mut errs = FieldErrors::default();
        if values.is_empty() {
            errs.push(FieldError::new(
                "form",
                "required",
                "请填写需要更正的申请信息",
                "fill in the fields to correct",
            ));
        }
        for (k, v) in values {
            let Some(spec) = doc.form_fields.iter().find(|f| &f.key == k) else {
                errs.push(FieldError::new(
                    format!("form.{k}"),
                    "unknown",
                    format!("本事项没有字段{k}"),
                    format!("the item has no field {k}"),
                ));
                continue;
            };
            if !asked.contains(k) {
                errs.push(FieldError::new(
                    format!("form.{k}"),
                    "not_asked",
                    format!("一次性告知书未要求更正“{}”", spec.label),
                    format!("the notice did not ask to correct {}", spec.label),
                ));
                continue;
            }
            if let Some(e) = spec.check(Some(v.as_str())) {
                errs.push(e);
            }
        }
        errs.into_result().map_err(StoreError::Invalid)?;
        let mut form = c.form.clone();
        for (k, v) in values {
            form.insert(k.clone(), v.trim().to_string());
        }
        let txn = self.begin().await?;
        // The version moves on: a step planned on the old form goes stale.
        let now = now_ms();
        // Under the version read: two corrections at once never overwrite each other.
        let n = exec(
            &txn,
            "UPDATE cases SET form = $1, version = version + 1, updated_at = $2 \
             WHERE id = $3 AND state = 'correction' AND version = $4",
            vec![
                to_json(&form).into(),
                now.into(),
                case_id.into(),
                c.version.into(),
            ],
        )
        .await?;
        if n != 1 {
            return Err(StoreError::conflict(
                "该申请的状态已变化，请刷新",
                "the application changed meanwhile; reload",
            ));
        }
        for k in values.keys() {
            exec(
                &txn,
                "INSERT INTO case_form_corrections (case_id, field, corrected_by, corrected_at) VALUES ($1, $2, $3, $4)",
                vec![case_id.into(), k.clone().into(), actor.user_id.into(), now.into()],
            )
            .await?;
        }
        crate::trail::append(
            &txn,
            Some(actor.user_id),
            "case.correct_form",
            &format!("case:{case_id}"),
            serde_json::json!({"fields": values.keys().collect::<Vec<_>>()}),
        )
        .await?;
        // Corrected at a window on the applicant's word: they are told what
        // was changed in their application, and by whom.
        if c.applicant_user_id != Some(actor.user_id) && c.created_by != actor.user_id {
            let labels: Vec<String> = values
                .keys()
                .map(|k| {
                    doc.form_fields
                        .iter()
                        .find(|f| &f.key == k)
                        .map(|f| f.label.clone())
                        .unwrap_or_else(|| k.clone())
                })
                .collect();
            crate::outbox::write(
                &txn,
                &[crate::outbox::Notice {
                    to: crate::outbox::Recipient::Person {
                        user_id: c.applicant_user_id,
                        email: c.applicant_email.clone(),
                    },
                    case_id: Some(c.id),
                    bundle_case_id: c.bundle_case_id,
                    subject: format!("办件{}的申请信息已在窗口更正", c.case_no),
                    body: format!(
                        "您在窗口更正的申请信息已录入：{}（经办人：{}）。如非本人所为，请联系服务中心。",
                        labels.join("、"),
                        actor.display_name
                    ),
                }],
            )
            .await?;
        }
        txn.commit().await?;
        self.case(case_id).await
    }
}
