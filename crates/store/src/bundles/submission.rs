//! A bundle application submitted once and moved as one: the fan-out into
//! one sub-case per selected item (all or none), 一窗受理 of every sub-case
//! with one combined correction notice, and corrections answered once for
//! every waiting sub-case.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::bundle::{self};
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::{Command, Deficiency};
use tongban_domain::catalog::{ItemDoc, ItemStatus};
use tongban_domain::files::check_upload;
use tongban_domain::{FieldError, FieldErrors};

use super::observer::{after_sub_case, sub_of, to_applicant};
use super::*;
use crate::attachments::Attachments;
use crate::cases::{Effects, Job};
use crate::catalog::ItemVersion;
use crate::{Result, Store, StoreError, exec, get, now_ms, query, query_one, sm3_hex, trail};

impl Store {
    /// Submits once: creates one sub-case per selected item, each with its
    /// form and the uploaded files, and submits them, all in one
    /// transaction. Submitting again (a double click) returns the same
    /// application.
    pub async fn submit_bundle(
        &self,
        actor: &Actor,
        id: i64,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<BundleRecord> {
        let b = self.bundle_case(id).await?;
        if !b.drafted_by(actor) {
            return Err(StoreError::NotFound(format!("bundle application {id}")));
        }
        if b.submitted {
            return self.record_of(b).await;
        }
        let acting = self.bundle_actor(&b, actor, today).await?;
        let actor = &acting;
        let v = self.bundle_version(b.bundle_version_id).await?;
        // The pinned item versions must still be the published ones: a guide
        // changed since the start may ask for other materials or fields.
        let mut items: Vec<ItemVersion> = Vec::new();
        for code in &b.selection.items {
            let pinned = b.items.get(code).copied().unwrap_or_default();
            match self.item_version(pinned).await {
                Ok(i) if i.status == ItemStatus::Published => items.push(i),
                _ => {
                    return Err(StoreError::conflict(
                        format!("事项{code}的办事指南已更新或停止办理，请重新开始申请"),
                        format!(
                            "the guide of item {code} changed or the item is no longer offered; start the application again"
                        ),
                    ));
                }
            }
        }
        let docs: HashMap<String, ItemDoc> = items
            .iter()
            .map(|i| (i.impl_code.clone(), i.doc.clone()))
            .collect();
        let forms = bundle::item_forms(&v.doc, &b.selection, &docs, &b.form)
            .map_err(StoreError::Invalid)?;
        let slots = bundle::slots(&b.selection, &docs);
        let files = self.bundle_files(id).await?;
        let mut errs = FieldErrors::default();
        for (i, s) in slots.iter().enumerate() {
            if s.required && s.asked() && !files.iter().any(|f| f.slot == i as i64) {
                errs.push(FieldError::new(
                    format!("slots[{i}]"),
                    "missing",
                    format!("请上传：{}", s.name),
                    format!("upload: {}", s.name),
                ));
            }
        }
        errs.into_result().map_err(StoreError::Invalid)?;
        let mut co = HashMap::new();
        for i in &items {
            co.insert(i.impl_code.clone(), co_reviewers_of(self, &i.doc).await?);
        }
        let division = division_of(self.conn(), b.centre_id).await?;
        let now = now_ms();
        let txn = self.begin().await?;
        // Claim the draft first: a concurrent submission finds it taken. While
        // the sub-cases are made the bundle is `busy`: their steps leave it be.
        let n = exec(
            &txn,
            "UPDATE bundle_cases SET status = 'busy', state = 'in_progress', version = version + 1, \
             submitted_at = $1, updated_at = $1 WHERE id = $2 AND version = $3 AND status = 'draft'",
            vec![now.into(), id.into(), b.version.into()],
        )
        .await?;
        if n != 1 {
            drop(txn);
            let now_b = self.bundle_case(id).await?;
            return if now_b.submitted {
                self.record_of(now_b).await
            } else {
                Err(stale())
            };
        }
        let cal = std::sync::Arc::new(cal.clone());
        let mut submits = Vec::with_capacity(items.len());
        for (n, item) in items.iter().enumerate() {
            injected(self, n + 1)?;
            let empty = BTreeMap::new();
            let form = forms.get(&item.impl_code).unwrap_or(&empty);
            let mut waived: Vec<usize> = match b.selection.dropped.get(&item.impl_code) {
                Some(d) => item
                    .doc
                    .materials
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| d.contains(m.name.trim()))
                    .map(|(i, _)| i)
                    .collect(),
                None => Vec::new(),
            };
            // A material an earlier item passes on is not the applicant's to
            // bring. A 免提交 one is not asked either, but it is spared only
            // once the platform obtains it (the sub-case's lookups): until
            // then the window verifies it and may ask for it.
            for idx in 0..item.doc.materials.len() {
                let mine: Vec<&bundle::Slot> = slots
                    .iter()
                    .filter(|s| {
                        s.uses
                            .iter()
                            .any(|(c, i)| c == &item.impl_code && *i == idx)
                    })
                    .collect();
                let passed_on = !mine.is_empty()
                    && mine
                        .iter()
                        .all(|s| matches!(s.provided, Some(bundle::Provided::PassedOn { .. })));
                if passed_on && !waived.contains(&idx) {
                    waived.push(idx);
                }
            }
            waived.sort_unstable();
            let (case_id, _) = insert_case(
                &txn,
                &division,
                today,
                &CaseRow {
                    item,
                    user_id: b.applicant_user_id,
                    name: b.applicant_name.clone(),
                    id_number: b.applicant_id_number.clone(),
                    phone: b.applicant_phone.clone(),
                    email: b.applicant_email.clone(),
                    channel: Channel::Online,
                    actor,
                    form,
                    co: co.remove(&item.impl_code).unwrap_or_default(),
                    client_key: None,
                    bundle_case_id: Some(id),
                    waived,
                    promise_cap: tongban_domain::catalog::DayCount::try_from(b.promised_days).ok(),
                },
            )
            .await?;
            for (si, s) in slots.iter().enumerate() {
                for (_, idx) in s.uses.iter().filter(|(c, _)| c == &item.impl_code) {
                    for f in files.iter().filter(|f| f.slot == si as i64) {
                        exec(
                            &txn,
                            "INSERT INTO case_files (case_id, material_index, file_name, content_type, size, object_key, digest, uploaded_by, uploaded_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                            vec![
                                case_id.into(),
                                (*idx as i64).into(),
                                f.file_name.clone().into(),
                                f.content_type.clone().into(),
                                f.size.into(),
                                f.object_key.clone().into(),
                                f.digest.clone().into(),
                                actor.user_id.into(),
                                f.uploaded_at.into(),
                            ],
                        )
                        .await?;
                    }
                }
            }
            // What an earlier item will issue to this one.
            for s in &slots {
                let Some(bundle::Provided::PassedOn { item: from, .. }) = &s.provided else {
                    continue;
                };
                for (_, idx) in s.uses.iter().filter(|(c, _)| c == &item.impl_code) {
                    exec(
                        &txn,
                        "INSERT INTO bundle_passed_on (bundle_case_id, to_case_id, material_index, kind, holder, from_item) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                        vec![
                            id.into(),
                            case_id.into(),
                            (*idx as i64).into(),
                            s.kind.clone().into(),
                            s.holder.map(|h| h.as_str()).unwrap_or("applicant").into(),
                            from.clone().into(),
                        ],
                    )
                    .await?;
                    // The sub-case may not be approved before it arrives.
                    let issuer = items
                        .iter()
                        .find(|i| &i.impl_code == from)
                        .map(|i| i.doc.name.trim().to_string())
                        .unwrap_or_else(|| from.clone());
                    // Named as this item's guide names it.
                    let what = item
                        .doc
                        .materials
                        .get(*idx)
                        .map(|m| m.name.trim().to_string())
                        .unwrap_or_else(|| s.name.clone());
                    crate::cases::hold(
                        &txn,
                        case_id,
                        *idx,
                        &format!("{what}（待“{issuer}”出具后转交）"),
                        &format!("{what} (passed on once “{issuer}” issues it)"),
                    )
                    .await?;
                }
            }
            submits.push(Job::command(
                actor,
                case_id,
                None,
                Command::Submit,
                cal.clone(),
                today,
            ));
        }
        self.apply_all_in(&txn, &submits).await?;
        injected(self, items.len() + 1)?;
        exec(
            &txn,
            "UPDATE bundle_cases SET status = 'submitted' WHERE id = $1",
            vec![id.into()],
        )
        .await?;
        let mut fx = Effects::default();
        after_sub_case(&txn, id, today, &mut fx).await?;
        fx.notice(to_applicant(
            &b,
            &format!("【{}】申请已提交", b.name),
            &format!(
                "您的“{}”申请（编号{}）已提交，共{}个事项，由综合窗口统一受理。办理进度可在“我的一件事”中查看。",
                b.name,
                b.bundle_no,
                items.len()
            ),
        ));
        fx.write(&txn).await?;
        trail::append(
            &txn,
            Some(actor.user_id),
            "bundle_case.submit",
            &format!("bundle_case:{}", b.bundle_no),
            serde_json::json!({"items": b.selection.items}),
        )
        .await?;
        txn.commit().await?;
        self.record_of(self.bundle_case(id).await?).await
    }

    /// 一窗受理: the clerk accepts every sub-case awaiting intake, in one
    /// transaction (refused as a whole if any cannot be accepted).
    pub async fn accept_bundle(
        &self,
        actor: &Actor,
        id: i64,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<BundleRecord> {
        self.intake_bundle(actor, id, &BTreeMap::new(), cal, today)
            .await
    }

    /// 一窗受理 with one combined correction notice: every sub-case awaiting
    /// intake is accepted, except those with deficiencies, which get their
    /// one-time notice — and the applicant one notice gathering them all.
    /// One transaction; refused as a whole if any step is refused.
    pub async fn intake_bundle(
        &self,
        actor: &Actor,
        id: i64,
        deficiencies: &BTreeMap<i64, Vec<Deficiency>>,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<BundleRecord> {
        let b = self.bundle_case(id).await?;
        if !b.visible_to(actor) {
            return Err(StoreError::NotFound(format!("bundle application {id}")));
        }
        if actor.role != Role::Clerk {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        let txn = self.begin().await?;
        let n = exec(
            &txn,
            "UPDATE bundle_cases SET status = 'busy' WHERE id = $1 AND status = 'submitted'",
            vec![id.into()],
        )
        .await?;
        if n != 1 {
            return Err(stale());
        }
        let ids: Vec<i64> = query(
            &txn,
            "SELECT id FROM cases WHERE bundle_case_id = $1 AND state = 'submitted' ORDER BY id",
            vec![id.into()],
        )
        .await?
        .iter()
        .map(|r| get(r, "id"))
        .collect::<Result<_>>()?;
        if ids.is_empty() {
            return Err(StoreError::conflict(
                "没有待受理的事项",
                "no sub-case awaits intake",
            ));
        }
        if let Some(other) = deficiencies.keys().find(|k| !ids.contains(k)) {
            return Err(invalid(
                "deficiencies",
                "unknown_case",
                format!("案件{other}不是本“一件事”待受理的事项"),
                format!("case {other} is not a sub-case of this bundle awaiting intake"),
            ));
        }
        let mut accepted = 0;
        let cal = std::sync::Arc::new(cal.clone());
        let mut jobs = Vec::with_capacity(ids.len());
        for cid in &ids {
            let cmd = match deficiencies.get(cid) {
                Some(d) if !d.is_empty() => Command::RequestCorrection {
                    deficiencies: d.clone(),
                    fields: vec![],
                },
                _ => {
                    accepted += 1;
                    Command::Accept
                }
            };
            jobs.push(Job::command(actor, *cid, None, cmd, cal.clone(), today));
        }
        self.apply_all_in(&txn, &jobs).await?;
        exec(
            &txn,
            "UPDATE bundle_cases SET status = 'submitted' WHERE id = $1",
            vec![id.into()],
        )
        .await?;
        let mut fx = Effects::default();
        if accepted > 0 {
            fx.notice(to_applicant(
                &b,
                &format!("【{}】已受理", b.name),
                &format!(
                    "您的“{}”申请（编号{}）中，{}个事项已受理，各部门按承诺时限办理。",
                    b.name, b.bundle_no, accepted
                ),
            ));
        }
        after_sub_case(&txn, id, today, &mut fx).await?;
        fx.write(&txn).await?;
        txn.commit().await?;
        self.record_of(self.bundle_case(id).await?).await
    }

    /// During a correction: uploads a file for one slot; it goes to every
    /// sub-case waiting for correction that uses that material.
    pub async fn bundle_correction_upload(
        &self,
        files: &Attachments,
        actor: &Actor,
        id: i64,
        slot: usize,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<usize> {
        let b = self.bundle_case(id).await?;
        if !b.visible_to(actor) {
            return Err(StoreError::NotFound(format!("bundle application {id}")));
        }
        if !b.owned_by(actor) {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        let acting = self
            .bundle_actor(&b, actor, crate::cases::shanghai_today())
            .await?;
        let actor = &acting;
        let rec = self.record_of(b).await?;
        let Some(s) = rec.slots.get(slot) else {
            return Err(invalid(
                "slot",
                "unknown",
                "该材料不在本次申请的材料清单中",
                "no such material in this application's list",
            ));
        };
        // Where this upload goes: each sub-case whose correction asks for it
        // (never one it is spared, or one an earlier item may still issue),
        // and each that awaits it from an item that ended without issuing it.
        let mut targets: Vec<(&Case, usize)> = Vec::new();
        // The departments to tell that what they awaited has arrived.
        let mut supplied: Vec<&Case> = Vec::new();
        for c in &rec.sub_cases {
            let holds = crate::cases::open_holds(self.conn(), c.id).await?;
            let correcting = sub_of(c).waiting_for_correction();
            let asked = if correcting {
                crate::cases::asked_materials(self.conn(), c).await?
            } else {
                Vec::new()
            };
            // A correction after acceptance in the department's words only.
            let free_text = correcting
                && c.state == tongban_domain::case::CaseState::Suspended
                && asked.is_empty();
            for (_, idx) in s.uses.iter().filter(|(code, _)| code == &c.impl_code) {
                let for_applicant =
                    holds.contains(&(*idx, true)) && !c.state.is_final() && c.approved.is_none();
                let asked_here = correcting
                    && (asked.contains(idx) || free_text)
                    && !c.waived.contains(idx)
                    && !holds.iter().any(|(m, _)| m == idx);
                if for_applicant || asked_here {
                    targets.push((c, *idx));
                }
                if for_applicant {
                    supplied.push(c);
                }
            }
        }
        if targets.is_empty() {
            return Err(StoreError::conflict(
                "没有事项要求补交该材料",
                "no service of this application asks for this document now",
            ));
        }
        let kind = check_upload(&bytes).map_err(|e| invalid("file", "refused", e.zh(), e.en()))?;
        let clean = crate::attachments::clean_file_name(file_name, &s.name, kind.extension());
        let digest = sm3_hex(&bytes);
        let key = format!(
            "bundles/{}/c{}-{}.{}",
            rec.bundle.id,
            slot,
            crate::accounts::random_token(),
            kind.extension()
        );
        let size = bytes.len() as i64;
        files.put(&key, bytes).await?;
        let now = now_ms();
        // One stored file, attached to every waiting sub-case in one transaction,
        // each checked to be where it was read.
        let written = async {
            let txn = self.begin().await?;
            for (c, idx) in &targets {
                let r = query_one(
                    &txn,
                    "SELECT state, version FROM cases WHERE id = $1",
                    vec![c.id.into()],
                )
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("case {}", c.id)))?;
                if get::<String>(&r, "state")? != c.state.as_str()
                    || get::<i64>(&r, "version")? != c.version
                {
                    return Err(stale());
                }
                exec(
                    &txn,
                    "INSERT INTO case_files (case_id, material_index, file_name, content_type, size, object_key, digest, uploaded_by, uploaded_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    vec![
                        c.id.into(),
                        (*idx as i64).into(),
                        clean.clone().into(),
                        kind.content_type().into(),
                        size.into(),
                        key.clone().into(),
                        digest.clone().into(),
                        actor.user_id.into(),
                        now.into(),
                    ],
                )
                .await?;
                trail::append(
                    &txn,
                    Some(actor.user_id),
                    "case.upload",
                    &format!("case:{}", c.case_no),
                    serde_json::json!({"material": s.name, "sm3": digest, "size": size, "bundle": rec.bundle.bundle_no}),
                )
                .await?;
            }
            let mut notices = Vec::new();
            for c in &supplied {
                for role in [crate::outbox::StaffRole::Reviewer, crate::outbox::StaffRole::Head] {
                    notices.push(crate::outbox::Notice {
                        to: crate::outbox::Recipient::Staff {
                            role,
                            department_id: Some(c.lead_department_id),
                            centre_id: c.centre_id,
                        },
                        case_id: Some(c.id),
                        bundle_case_id: None,
                        subject: format!("【{}】申请人已补交{}", c.case_no, s.name),
                        body: format!(
                            "一件事中前序事项未能出具的{}，申请人已补交，请核对后继续办理{}。",
                            s.name, c.case_no
                        ),
                    });
                }
            }
            crate::outbox::write(&txn, &notices).await?;
            txn.commit().await?;
            Ok::<usize, StoreError>(targets.len())
        }
        .await;
        match written {
            Ok(n) => Ok(n),
            Err(e) => {
                if let Err(d) = files.delete(&key).await {
                    tracing::warn!("orphan upload {key} not removed: {d}");
                }
                Err(e)
            }
        }
    }

    /// The applicant has supplied the corrections: every sub-case waiting
    /// for them goes on, in one transaction.
    pub async fn supply_bundle_corrections(
        &self,
        actor: &Actor,
        id: i64,
        cal: &WorkCalendar,
        today: NaiveDate,
    ) -> Result<BundleRecord> {
        let b = self.bundle_case(id).await?;
        if !b.visible_to(actor) {
            return Err(StoreError::NotFound(format!("bundle application {id}")));
        }
        if !b.owned_by(actor) {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        let acting = self.bundle_actor(&b, actor, today).await?;
        let actor = &acting;
        let txn = self.begin().await?;
        let subs = query(
            &txn,
            &format!("SELECT {CASE_COLS} WHERE k.bundle_case_id = $1 ORDER BY k.id"),
            vec![id.into()],
        )
        .await?
        .iter()
        .map(row_case)
        .collect::<Result<Vec<_>>>()?;
        let waiting: Vec<i64> = subs
            .iter()
            .filter(|c| sub_of(c).waiting_for_correction())
            .map(|c| c.id)
            .collect();
        if waiting.is_empty() {
            return Err(StoreError::conflict(
                "当前没有需要补正的事项",
                "no sub-case waits for corrections",
            ));
        }
        // Everything still to do, for every service at once, before anything moves.
        let mut errs = FieldErrors::default();
        for c in subs.iter().filter(|c| waiting.contains(&c.id)) {
            let doc = self.item_doc(c.item_version_id).await?;
            let left = crate::cases::pending_of(&txn, c, &doc).await?;
            if !left.is_empty() {
                errs.push(FieldError::new(
                    format!("sub-{}", c.id),
                    "incomplete",
                    format!("{}：尚未补正{}", c.item_name, left.join("、")),
                    format!("{}: not yet corrected: {}", c.item_name, left.join(", ")),
                ));
            }
        }
        errs.into_result().map_err(StoreError::Invalid)?;
        let cal = std::sync::Arc::new(cal.clone());
        let jobs: Vec<Job> = waiting
            .into_iter()
            .map(|cid| {
                Job::command(
                    actor,
                    cid,
                    None,
                    Command::SupplyCorrection,
                    cal.clone(),
                    today,
                )
            })
            .collect();
        self.apply_all_in(&txn, &jobs).await?;
        txn.commit().await?;
        self.record_of(self.bundle_case(id).await?).await
    }
}
