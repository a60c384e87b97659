//! Evidence files of officers' findings: kept for the officer or the owner,
//! downloaded by whoever may see the finding.

use super::*;

impl Store {
    /// Adds evidence to a finding not yet verified: the officer who found
    /// it, or whoever may fix it.
    pub async fn officer_finding_file(
        &self,
        files: &crate::attachments::Attachments,
        actor: &Actor,
        id: i64,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<i64> {
        let f = self.officer_finding_for(actor, id).await?;
        let officer = actor.role == Role::ExperienceOfficer && f.officer_id == actor.user_id;
        let owner = actor
            .may_fix_officer_finding(&f.centre_path, f.department_id, f.category.concerns_guide())
            .is_ok()
            || (actor.role == Role::Clerk
                && f.department_id.is_none()
                && f.centre_path == actor.centre_path);
        if !officer && !owner {
            return Err(StoreError::Forbidden(Denied::Role));
        }
        if f.state == FindingState::Verified {
            return Err(wrong_state(f.state));
        }
        let kept = files
            .keep(&format!("findings/{id}"), "证据材料", file_name, bytes)
            .await?;
        let txn = self.begin().await?;
        let fid = insert_id(
            &txn,
            "INSERT INTO finding_files (finding_id, file_name, content_type, size, object_key, digest, uploaded_by, uploaded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            [vec![id.into()], kept.columns(), vec![actor.user_id.into(), now_ms().into()]].concat(),
        )
        .await?;
        trail::append(
            &txn,
            Some(actor.user_id),
            "officer_finding.file",
            &format!("officer_finding:{id}"),
            kept.audit(),
        )
        .await?;
        txn.commit().await?;
        Ok(fid)
    }

    /// A finding's evidence file, for whoever may see the finding.
    pub async fn officer_finding_download(
        &self,
        files: &crate::attachments::Attachments,
        actor: &Actor,
        file_id: i64,
    ) -> Result<(String, String, Vec<u8>)> {
        let r = query_one(
            self.conn(),
            "SELECT finding_id, file_name, content_type, object_key FROM finding_files WHERE id = $1",
            vec![file_id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("file {file_id}")))?;
        self.officer_finding_for(actor, get(&r, "finding_id")?)
            .await
            .map_err(|_| StoreError::NotFound(format!("file {file_id}")))?;
        let key: String = get(&r, "object_key")?;
        Ok((
            get(&r, "file_name")?,
            get(&r, "content_type")?,
            files.get(&key).await?,
        ))
    }
}
