//! A bundle application until it is submitted: started from the answers,
//! the one form, files per upload slot; and what its pages read.

use std::collections::{BTreeMap, HashMap};

use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::bundle::{self};
use tongban_domain::catalog::ItemDoc;
use tongban_domain::files::check_upload;

use super::*;
use crate::attachments::Attachments;
use crate::{
    Result, Store, StoreError, exec, get, insert_id, now_ms, query, query_one, sm3_hex, trail,
};

/// An application about to be made: see [`Store::plan_bundle`].
pub(crate) struct BundlePlan {
    applicant_id: i64,
    applicant_name: String,
    applicant_id_number: String,
    applicant_phone: String,
    applicant_email: String,
    centre_path: String,
    division: String,
    pub(crate) view: BundleView,
    pub(crate) sel: bundle::Selection,
    pinned: BTreeMap<String, i64>,
    answers: BTreeMap<String, String>,
}

impl Store {
    /// Starts an application for a published bundle with the applicant's
    /// answers. The same `client_key` returns the same application.
    pub async fn start_bundle(
        &self,
        actor: &Actor,
        code: &str,
        answers: &BTreeMap<String, String>,
        client_key: Option<&str>,
    ) -> Result<BundleCase> {
        if actor.role != Role::Applicant {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        if let Some(key) = client_key {
            if key.len() > 100 {
                return Err(invalid(
                    "client_key",
                    "too_long",
                    "请求标识过长",
                    "client_key must be at most 100 characters",
                ));
            }
            if let Some(r) = query_one(
                self.conn(),
                "SELECT id FROM bundle_cases WHERE created_by = $1 AND client_key = $2",
                vec![actor.user_id.into(), key.into()],
            )
            .await?
            {
                return self.bundle_case(get(&r, "id")?).await;
            }
        }
        let plan = self.plan_bundle(code, answers, actor.user_id).await?;
        if plan.view.bundle.doc.stage_only {
            return Err(StoreError::NotFound(format!("published bundle {code}")));
        }
        let txn = self.begin().await?;
        let id = match self
            .insert_bundle_draft(&txn, actor, &plan, client_key)
            .await
        {
            Ok(id) => id,
            Err(e) => {
                // A double click raced this one: answer with the application it made.
                drop(txn);
                if let Some(key) = client_key
                    && let Some(r) = query_one(
                        self.conn(),
                        "SELECT id FROM bundle_cases WHERE created_by = $1 AND client_key = $2",
                        vec![actor.user_id.into(), key.into()],
                    )
                    .await?
                {
                    return self.bundle_case(get(&r, "id")?).await;
                }
                return Err(e);
            }
        };
        txn.commit().await?;
        self.bundle_case(id).await
    }

    /// What an application for the published bundle `code` with these
    /// answers would be, for `applicant_id`: the selection, the item
    /// versions pinned, the applicant's particulars and the centre's.
    pub(crate) async fn plan_bundle(
        &self,
        code: &str,
        answers: &BTreeMap<String, String>,
        applicant_id: i64,
    ) -> Result<BundlePlan> {
        let view = self
            .published_bundle(code)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("published bundle {code}")))?;
        let sel = bundle::select_checked(&view.bundle.doc, answers).map_err(StoreError::Invalid)?;
        // Pin the item versions applied for; every selected item must be offered now.
        let mut pinned: BTreeMap<String, i64> = BTreeMap::new();
        for code in &sel.items {
            let Some(i) = view.items.iter().find(|i| &i.impl_code == code) else {
                return Err(StoreError::conflict(
                    format!("事项{code}暂停办理，本“一件事”暂不能申请，请联系服务中心"),
                    format!("item {code} is not offered now; the bundle cannot be applied for"),
                ));
            };
            pinned.insert(code.clone(), i.id);
        }
        let answers: BTreeMap<String, String> = answers
            .iter()
            .map(|(k, v)| (k.clone(), v.trim().to_string()))
            .collect();
        let applicant = query_one(
            self.conn(),
            "SELECT display_name, id_number, phone, email FROM users WHERE id = $1",
            vec![applicant_id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound("user".into()))?;
        let centre = query_one(
            self.conn(),
            "SELECT path, division_code FROM centres WHERE id = $1",
            vec![view.bundle.centre_id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::Corrupt("centre".into()))?;
        Ok(BundlePlan {
            applicant_id,
            applicant_name: get(&applicant, "display_name")?,
            applicant_id_number: get(&applicant, "id_number")?,
            applicant_phone: get(&applicant, "phone")?,
            applicant_email: get(&applicant, "email")?,
            centre_path: get(&centre, "path")?,
            division: get(&centre, "division_code")?,
            view,
            sel,
            pinned,
            answers,
        })
    }

    /// Writes the draft `plan` describes, made by `actor` (the applicant,
    /// or a concierge for them), in `txn`; gives its id.
    pub(crate) async fn insert_bundle_draft(
        &self,
        txn: &crate::WriteTxn,
        actor: &Actor,
        plan: &BundlePlan,
        client_key: Option<&str>,
    ) -> Result<i64> {
        let view = &plan.view;
        let now = now_ms();
        let today = shanghai_today();
        let id = insert_id(
            txn,
            "INSERT INTO bundle_cases (bundle_no, verify_code, bundle_version_id, code, name, centre_id, centre_path, \
             applicant_user_id, applicant_name, applicant_id_number, applicant_phone, applicant_email, created_by, status, \
             state, version, answers, form, selection, items, promised_days, client_key, submitted_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $19, 'draft', 'draft', 1, $13, '{}', $14, $17, $18, $15, NULL, $16, $16)",
            vec![
                format!("tmp-{}", crate::accounts::random_token()).into(),
                verification_code().into(),
                view.bundle.id.into(),
                view.bundle.code.clone().into(),
                view.bundle.doc.name.clone().into(),
                view.bundle.centre_id.into(),
                plan.centre_path.clone().into(),
                plan.applicant_id.into(),
                plan.applicant_name.clone().into(),
                plan.applicant_id_number.clone().into(),
                plan.applicant_phone.clone().into(),
                plan.applicant_email.clone().into(),
                to_json(&plan.answers).into(),
                to_json(&plan.sel).into(),
                client_key.map(str::to_string).into(),
                now.into(),
                to_json(&plan.pinned).into(),
                i64::from(view.bundle.doc.promised_days.get()).into(),
                actor.user_id.into(),
            ],
        )
        .await?;
        let no = format!("YJS{}{}{id:07}", plan.division, today.format("%Y%m%d"));
        exec(
            txn,
            "UPDATE bundle_cases SET bundle_no = $1 WHERE id = $2",
            vec![no.clone().into(), id.into()],
        )
        .await?;
        trail::append(
            txn,
            Some(actor.user_id),
            "bundle_case.create",
            &format!("bundle_case:{no}"),
            serde_json::json!({"bundle": view.bundle.code, "version": view.bundle.version, "items": plan.sel.items}),
        )
        .await?;
        Ok(id)
    }

    /// The bundle application as stored, unmasked (use
    /// [`Store::bundle_for`] to hand it out).
    pub(crate) async fn bundle_case(&self, id: i64) -> Result<BundleCase> {
        let r = query_one(
            self.conn(),
            &format!("SELECT {BC_COLS} WHERE id = $1"),
            vec![id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("bundle application {id}")))?;
        row_bc(&r)
    }

    /// A bundle application with its sub-cases, as `actor` may see it.
    pub async fn bundle_for(&self, actor: &Actor, id: i64) -> Result<BundleRecord> {
        let b = self.bundle_case(id).await?;
        if !b.visible_to(actor) {
            return Err(StoreError::NotFound(format!("bundle application {id}")));
        }
        // The concierge who filed it sees what they entered for the enterprise.
        // The concierge who filed it sees what they entered for the
        // enterprise while their authorization holds.
        let sight = if actor.role == Role::Concierge
            && b.created_by == actor.user_id
            && self.bundle_actor(&b, actor, shanghai_today()).await.is_ok()
        {
            Sight::FULL
        } else {
            Sight::of(actor)
        };
        Ok(self.record_of(b).await?.seen_by(sight))
    }

    pub(super) async fn record_of(&self, b: BundleCase) -> Result<BundleRecord> {
        let v = self.bundle_version(b.bundle_version_id).await?;
        let subs = query(
            self.conn(),
            &format!("SELECT {CASE_COLS} WHERE k.bundle_case_id = $1 ORDER BY k.id"),
            vec![b.id.into()],
        )
        .await?
        .iter()
        .map(row_case)
        .collect::<Result<Vec<_>>>()?;
        // The items as they were applied for: the sub-cases' versions once
        // submitted, the published versions before.
        let mut docs: HashMap<String, ItemDoc> = HashMap::new();
        if subs.is_empty() {
            docs = self.pinned_docs(&b).await?;
        } else {
            for c in &subs {
                docs.insert(
                    c.impl_code.clone(),
                    (*self.item_doc(c.item_version_id).await?).clone(),
                );
            }
        }
        let slots = bundle::slots(&b.selection, &docs);
        let fields = bundle::asked_fields(&v.doc, &b.selection)
            .into_iter()
            .map(|f| bundle::field_spec(f, &b.selection, &docs))
            .collect();
        let files = self.bundle_files(b.id).await?;
        let notices = query(
            self.conn(),
            "SELECT id, kind, number, body, created_at FROM bundle_notices WHERE bundle_case_id = $1 ORDER BY id",
            vec![b.id.into()],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(BundleNotice {
                id: get(r, "id")?,
                kind: get(r, "kind")?,
                number: get(r, "number")?,
                body: json(r, "body")?,
                created_at: get(r, "created_at")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let item_names = b
            .selection
            .items
            .iter()
            .map(|c| {
                docs.get(c)
                    .map(|d| d.name.clone())
                    .unwrap_or_else(|| c.clone())
            })
            .collect();
        let savings = bundle::savings(&v.doc, &docs);
        Ok(BundleRecord {
            bundle: b,
            doc: v.doc,
            slots,
            files,
            fields,
            sub_cases: subs,
            notices,
            item_names,
            savings,
        })
    }

    pub(super) async fn bundle_files(&self, id: i64) -> Result<Vec<BundleFile>> {
        query(
            self.conn(),
            "SELECT id, slot, file_name, content_type, size, uploaded_at, object_key, digest FROM bundle_files WHERE bundle_case_id = $1 ORDER BY id",
            vec![id.into()],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(BundleFile {
                id: get(r, "id")?,
                slot: get(r, "slot")?,
                file_name: get(r, "file_name")?,
                content_type: get(r, "content_type")?,
                size: get(r, "size")?,
                uploaded_at: get(r, "uploaded_at")?,
                object_key: get(r, "object_key")?,
                digest: get(r, "digest")?,
            })
        })
        .collect()
    }

    /// The applicant's bundle applications, newest first.
    pub async fn my_bundles(&self, actor: &Actor) -> Result<Vec<BundleCase>> {
        let rows = query(
            self.conn(),
            &format!(
                "SELECT {BC_COLS} WHERE {} = $1 ORDER BY id DESC",
                // A concierge's: those they filed for enterprises.
                if actor.role == Role::Concierge {
                    "created_by"
                } else {
                    "applicant_user_id"
                }
            ),
            vec![actor.user_id.into()],
        )
        .await?;
        rows.iter().map(row_bc).collect()
    }

    /// Submitted bundle applications of the clerk's centre that have a
    /// sub-case awaiting intake.
    pub async fn bundle_intake_queue(&self, actor: &Actor) -> Result<Vec<BundleCase>> {
        if !matches!(actor.role, Role::Clerk | Role::Supervisor) {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        let rows = query(
            self.conn(),
            &format!(
                "SELECT {BC_COLS} b WHERE status = 'submitted' AND centre_path LIKE $1 \
                 AND EXISTS (SELECT 1 FROM cases k WHERE k.bundle_case_id = b.id AND k.state = 'submitted') \
                 ORDER BY CASE WHEN EXISTS (SELECT 1 FROM cases k JOIN case_priority p ON p.case_id = k.id \
                 WHERE k.bundle_case_id = b.id) THEN 0 ELSE 1 END, id"
            ),
            vec![format!("{}%", actor.centre_path).into()],
        )
        .await?;
        rows.iter().map(row_bc).collect()
    }

    /// The green channel's marks of the listed bundle applications (重点项目
    /// when a sub-case is a key project's), for the queues to show.
    pub async fn bundle_marks(&self, ids: &[i64]) -> Result<HashMap<i64, String>> {
        crate::cases::priority::marks_of_bundles(self.conn(), ids).await
    }

    pub(super) async fn own_draft(&self, actor: &Actor, id: i64) -> Result<BundleCase> {
        let b = self.bundle_case(id).await?;
        if !b.drafted_by(actor) {
            return Err(StoreError::NotFound(format!("bundle application {id}")));
        }
        if b.submitted {
            return Err(StoreError::conflict(
                "申请已提交，不能再修改",
                "the application has been submitted and can no longer be changed",
            ));
        }
        self.bundle_actor(&b, actor, shanghai_today()).await?;
        Ok(b)
    }

    /// Saves the one form after checking it against every selected item.
    pub async fn save_bundle_form(
        &self,
        actor: &Actor,
        id: i64,
        form: &BTreeMap<String, String>,
    ) -> Result<BundleCase> {
        let b = self.own_draft(actor, id).await?;
        let v = self.bundle_version(b.bundle_version_id).await?;
        let docs = self.pinned_docs(&b).await?;
        bundle::item_forms(&v.doc, &b.selection, &docs, form).map_err(StoreError::Invalid)?;
        let clean: BTreeMap<String, String> = form
            .iter()
            .map(|(k, v)| (k.clone(), v.trim().to_string()))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        let txn = self.begin().await?;
        let n = exec(
            &txn,
            "UPDATE bundle_cases SET form = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4 AND status = 'draft'",
            vec![to_json(&clean).into(), now_ms().into(), id.into(), b.version.into()],
        )
        .await?;
        if n != 1 {
            return Err(stale());
        }
        txn.commit().await?;
        self.bundle_case(id).await
    }

    /// The documents of the item versions pinned when the application started.
    pub(super) async fn pinned_docs(&self, b: &BundleCase) -> Result<HashMap<String, ItemDoc>> {
        let mut docs = HashMap::new();
        for (code, id) in &b.items {
            docs.insert(code.clone(), (*self.item_doc(*id).await?).clone());
        }
        Ok(docs)
    }

    /// Uploads the file of one slot (a material asked once for every item
    /// that needs it) while the application is a draft.
    pub async fn bundle_upload(
        &self,
        files: &Attachments,
        actor: &Actor,
        id: i64,
        slot: usize,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<BundleFile> {
        let b = self.own_draft(actor, id).await?;
        let rec = self.record_of(b.clone()).await?;
        let Some(s) = rec.slots.get(slot) else {
            return Err(invalid(
                "slot",
                "unknown",
                "该材料不在本次申请的材料清单中",
                "no such material in this application's list",
            ));
        };
        if !s.asked() {
            return Err(invalid(
                "slot",
                "not_asked",
                format!(
                    "“{}”无需上传：由平台获取或由本件一件事的前序事项出具",
                    s.name
                ),
                format!(
                    "{} is not to be uploaded: the platform obtains it or an earlier item issues it",
                    s.name
                ),
            ));
        }
        let kind = check_upload(&bytes).map_err(|e| invalid("file", "refused", e.zh(), e.en()))?;
        let clean = crate::attachments::clean_file_name(file_name, &s.name, kind.extension());
        let digest = sm3_hex(&bytes);
        let key = format!(
            "bundles/{}/{}-{}.{}",
            b.id,
            slot,
            crate::accounts::random_token(),
            kind.extension()
        );
        let size = bytes.len() as i64;
        files.put(&key, bytes).await?;
        let now = now_ms();
        let written = async {
            let txn = self.begin().await?;
            let n = exec(
                &txn,
                "UPDATE bundle_cases SET version = version + 1, updated_at = $1 WHERE id = $2 AND version = $3 AND status = 'draft'",
                vec![now.into(), b.id.into(), b.version.into()],
            )
            .await?;
            if n != 1 {
                return Err(stale());
            }
            let fid = insert_id(
                &txn,
                "INSERT INTO bundle_files (bundle_case_id, slot, file_name, content_type, size, object_key, digest, uploaded_by, uploaded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                vec![
                    b.id.into(),
                    (slot as i64).into(),
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
                "bundle_case.upload",
                &format!("bundle_case:{}", b.bundle_no),
                serde_json::json!({"material": s.name, "sm3": digest, "size": size}),
            )
            .await?;
            txn.commit().await?;
            Ok::<i64, StoreError>(fid)
        }
        .await;
        match written {
            Ok(fid) => Ok(BundleFile {
                id: fid,
                slot: slot as i64,
                file_name: clean,
                content_type: kind.content_type().into(),
                size,
                uploaded_at: now,
                object_key: key,
                digest,
            }),
            Err(e) => {
                if let Err(d) = files.delete(&key).await {
                    tracing::warn!("orphan upload {key} not removed: {d}");
                }
                Err(e)
            }
        }
    }

    /// Removes a file from a draft application.
    pub async fn bundle_remove_upload(
        &self,
        files: &Attachments,
        actor: &Actor,
        id: i64,
        file_id: i64,
    ) -> Result<()> {
        let b = self.own_draft(actor, id).await?;
        let f = self
            .bundle_files(id)
            .await?
            .into_iter()
            .find(|f| f.id == file_id)
            .ok_or_else(|| StoreError::NotFound(format!("file {file_id}")))?;
        let txn = self.begin().await?;
        let n = exec(
            &txn,
            "UPDATE bundle_cases SET version = version + 1, updated_at = $1 WHERE id = $2 AND version = $3 AND status = 'draft'",
            vec![now_ms().into(), b.id.into(), b.version.into()],
        )
        .await?;
        if n != 1 {
            return Err(stale());
        }
        exec(
            &txn,
            "DELETE FROM bundle_files WHERE id = $1",
            vec![file_id.into()],
        )
        .await?;
        txn.commit().await?;
        if let Err(e) = files.delete(&f.object_key).await {
            tracing::warn!("removed upload {} left in storage: {e}", f.object_key);
        }
        Ok(())
    }
}
