//! Uploaded materials of an application: stored through `Attachments`,
//! checked by their magic bytes, listed per material, removed while the
//! application may still change, downloaded by whoever may see the case.

use sea_orm::ConnectionTrait;
use tongban_domain::FieldError;
use tongban_domain::auth::{Actor, Denied, Role};
use tongban_domain::case::CaseState;
use tongban_domain::clock::{ClockEvent, SuspendReason};
use tongban_domain::files::check_upload;

use super::{CaseFile, stale};
use crate::attachments::Attachments;
use crate::sql::{exec, get, insert_id, query, query_one};
use crate::{Result, Store, StoreError, now_ms, sm3_hex, trail};

impl Store {
    /// Uploads a file for one of the case's materials. Allowed to the
    /// applicant (or the window clerk) while the application is being made
    /// or corrected.
    pub async fn upload(
        &self,
        files: &Attachments,
        actor: &Actor,
        case_id: i64,
        material_index: usize,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<CaseFile> {
        let case = self.case(case_id).await?;
        let clerk = may_change_files(&case, actor)?;
        // A concierge uploads only under a valid authorization.
        self.acting_on_case(
            actor,
            case.applicant_user_id,
            &case.impl_code,
            crate::shanghai_today(),
        )
        .await?;
        let correcting = matches!(
            case.clock.last(),
            Some(ClockEvent::Suspended {
                reason: SuspendReason::Correction,
                ..
            })
        ) && case.state == CaseState::Suspended;
        // A document the bundle was to pass on but will not: the applicant
        // supplies it whatever the case's state (until it is decided).
        let held_for_applicant = super::holds::open_holds(self.conn(), case.id)
            .await?
            .contains(&(material_index, true))
            && matches!(
                case.state,
                CaseState::Submitted
                    | CaseState::Review
                    | CaseState::Suspended
                    | CaseState::Decision
            );
        let open = matches!(case.state, CaseState::Draft | CaseState::Correction)
            || correcting
            || held_for_applicant
            || (clerk && case.state == CaseState::Submitted);
        if !open {
            return Err(StoreError::conflict(
                format!("案件当前状态为“{}”，不能上传材料", case.state.zh()),
                format!(
                    "materials cannot be uploaded while the case is {}",
                    case.state.as_str()
                ),
            ));
        }
        let doc = self.item_doc(case.item_version_id).await?;
        let Some(material) = doc.materials.get(material_index) else {
            return Err(StoreError::Invalid(
                FieldError::new(
                    "material",
                    "unknown",
                    "该材料不在本事项的材料清单中",
                    "no such material in the item's list",
                )
                .into(),
            ));
        };
        // Only what the applicant brings: not a document the platform obtains
        // or an earlier item issues, and during a correction what it names.
        let refuse = |zh: String, en: String| {
            Err(StoreError::Invalid(
                FieldError::new("material", "not_asked", zh, en).into(),
            ))
        };
        let holds = super::holds::open_holds(self.conn(), case.id).await?;
        let supplying_held = holds.contains(&(material_index, true));
        if (case.waived.contains(&material_index) && !supplying_held)
            || holds.contains(&(material_index, false))
        {
            return refuse(
                format!(
                    "“{}”由平台获取或由前序事项出具后转交，无需上传",
                    material.name
                ),
                format!(
                    "“{}” is obtained or passed on for the applicant: nothing to upload",
                    material.name
                ),
            );
        }
        if (case.state == CaseState::Correction || correcting) && !supplying_held {
            let asked = super::facts::asked_materials(self.conn(), &case).await?;
            let free_text = correcting && asked.is_empty();
            if !free_text && !asked.contains(&material_index) {
                return refuse(
                    format!("补正告知书未要求补交“{}”", material.name),
                    format!("the correction notice does not ask for “{}”", material.name),
                );
            }
        }
        let kind = check_upload(&bytes).map_err(|e| {
            StoreError::Invalid(FieldError::new("file", "refused", e.zh(), e.en()).into())
        })?;
        let clean_name =
            crate::attachments::clean_file_name(file_name, &material.name, kind.extension());
        let digest = sm3_hex(&bytes);
        let key = format!(
            "cases/{}/{}-{}.{}",
            case.id,
            material_index,
            crate::accounts::random_token(),
            kind.extension()
        );
        let size = bytes.len() as i64;
        files.put(&key, bytes).await?;
        let now = now_ms();
        let txn = self.begin().await?;
        let written = async {
            // The case may have moved since it was read: check again under the lock.
            let now_state = query_one(
                &txn,
                "SELECT state, version FROM cases WHERE id = $1",
                vec![case.id.into()],
            )
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("case {}", case.id)))?;
            let st: String = get(&now_state, "state")?;
            let v: i64 = get(&now_state, "version")?;
            if st != case.state.as_str() || v != case.version {
                return Err(stale());
            }
            let id = insert_id(
                &txn,
                "INSERT INTO case_files (case_id, material_index, file_name, content_type, size, object_key, digest, uploaded_by, uploaded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                vec![
                    case.id.into(),
                    (material_index as i64).into(),
                    clean_name.clone().into(),
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
                &format!("case:{}", case.case_no),
                serde_json::json!({"material": material.name, "sm3": digest, "size": size}),
            )
            .await?;
            Ok::<i64, StoreError>(id)
        }
        .await;
        match written {
            Ok(id) => {
                txn.commit().await?;
                Ok(CaseFile {
                    id,
                    material_index: material_index as i64,
                    file_name: clean_name,
                    content_type: kind.content_type().into(),
                    size,
                    uploaded_at: now,
                    object_key: key,
                })
            }
            Err(e) => {
                drop(txn);
                // Do not leave an orphan object behind.
                if let Err(d) = files.delete(&key).await {
                    tracing::warn!("orphan upload {key} not removed: {d}");
                }
                Err(e)
            }
        }
    }

    /// Removes an uploaded file while the application is still a draft.
    pub async fn remove_upload(
        &self,
        files: &Attachments,
        actor: &Actor,
        case_id: i64,
        file_id: i64,
    ) -> Result<()> {
        let case = self.case(case_id).await?;
        may_change_files(&case, actor)?;
        self.acting_on_case(
            actor,
            case.applicant_user_id,
            &case.impl_code,
            crate::shanghai_today(),
        )
        .await?;
        if case.state != CaseState::Draft {
            return Err(StoreError::conflict(
                "已提交的材料不能删除",
                "submitted materials cannot be removed",
            ));
        }
        let r = query_one(
            self.conn(),
            "SELECT object_key FROM case_files WHERE id = $1 AND case_id = $2",
            vec![file_id.into(), case_id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("file {file_id}")))?;
        let key: String = get(&r, "object_key")?;
        let txn = self.begin().await?;
        // Only while the case is still the same draft.
        let n = exec(
            &txn,
            "DELETE FROM case_files WHERE id = $1 AND EXISTS (SELECT 1 FROM cases WHERE id = $2 AND state = 'draft' AND version = $3)",
            vec![file_id.into(), case_id.into(), case.version.into()],
        )
        .await?;
        if n != 1 {
            return Err(stale());
        }
        trail::append(
            &txn,
            Some(actor.user_id),
            "case.remove_upload",
            &format!("case:{}", case.case_no),
            serde_json::json!({"file": file_id}),
        )
        .await?;
        txn.commit().await?;
        if let Err(e) = files.delete(&key).await {
            tracing::warn!("removed upload {key} left in storage: {e}");
        }
        Ok(())
    }

    /// The bytes of an uploaded file, if `actor` may see the case.
    pub async fn download(
        &self,
        files: &Attachments,
        actor: &Actor,
        file_id: i64,
    ) -> Result<(CaseFile, Vec<u8>)> {
        let r = query_one(
            self.conn(),
            "SELECT case_id FROM case_files WHERE id = $1",
            vec![file_id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("file {file_id}")))?;
        let case = self.case(get(&r, "case_id")?).await?;
        // Files are the applicant's papers: only who may see them in full.
        if !self.sees_case(actor, &case).await? || !tongban_domain::privacy::Sight::of(actor).files
        {
            return Err(StoreError::NotFound(format!("file {file_id}")));
        }
        let f = self
            .case_files(case.id)
            .await?
            .into_iter()
            .find(|f| f.id == file_id)
            .ok_or_else(|| StoreError::NotFound(format!("file {file_id}")))?;
        let bytes = files.get(&f.object_key).await?;
        Ok((f, bytes))
    }
}

/// Whether `actor` may add or remove files of `case`: a case they may not
/// see is not found (a draft is its author's alone); one they see but may
/// not change is forbidden. `Ok(true)`: as the centre's window clerk.
fn may_change_files(case: &super::Case, actor: &Actor) -> Result<bool> {
    if !case.visible_to(actor) {
        return Err(StoreError::NotFound(format!("case {}", case.id)));
    }
    // The applicant, the draft's author, or the concierge who started it
    // for an enterprise (whose authorization the caller checks).
    let owner = case.applicant_user_id == Some(actor.user_id)
        || (case.state == CaseState::Draft && case.created_by == actor.user_id)
        || (actor.role == Role::Concierge && case.created_by == actor.user_id);
    let clerk = actor.role == Role::Clerk && case.centre_path.starts_with(&actor.centre_path);
    if owner || clerk {
        Ok(clerk)
    } else {
        Err(StoreError::Forbidden(Denied::Role))
    }
}

pub(crate) async fn upload_counts(c: &impl ConnectionTrait, case_id: i64) -> Result<Vec<usize>> {
    let mut counts = Vec::new();
    let rows = query(
        c,
        "SELECT material_index, COUNT(*) AS n FROM case_files WHERE case_id = $1 GROUP BY material_index",
        vec![case_id.into()],
    )
    .await?;
    for r in rows {
        let i: i64 = get(&r, "material_index")?;
        let n: i64 = get(&r, "n")?;
        let i = i as usize;
        if counts.len() <= i {
            counts.resize(i + 1, 0);
        }
        counts[i] = n as usize;
    }
    Ok(counts)
}
