//! Publishing and retiring a guide: a draft is published only without an
//! error-level audit finding (SPEC §2.3); an item is retired for a recorded
//! reason.

use tongban_domain::audit::{
    AuditContext, Finding, Severity, VersionFacts, audit_item, issued_types,
};
use tongban_domain::catalog::ItemDoc;
use tongban_domain::{FieldError, FieldErrors};

use super::{ItemVersion, bump_revision};
use crate::{Result, Store, StoreError, exec, get, now_ms, query_one, trail};

impl Store {
    /// Publishes a draft; the previously published version becomes superseded.
    pub async fn publish(&self, id: i64, actor: Option<i64>) -> Result<ItemVersion> {
        self.publish_reviewed(id, None, actor).await
    }

    /// Publishes the draft as the admin reviewed it: `reviewed` is the
    /// draft's `updated_at` on the page they read (a colleague's later edit
    /// is refused, to be read first); `None` takes the draft as it is now.
    pub async fn publish_reviewed(
        &self,
        id: i64,
        reviewed: Option<i64>,
        actor: Option<i64>,
    ) -> Result<ItemVersion> {
        // A decision model must compile and pass its test cases first.
        let draft = self.item_version(id).await?;
        if reviewed.is_some_and(|r| r != draft.updated_at) {
            return Err(StoreError::conflict(
                "该草稿在您查看之后已被修改，请刷新核对后再发布",
                "the draft changed after you read it; reload, check and publish again",
            ));
        }
        crate::decisions::check_decision(&draft.doc).map_err(StoreError::Invalid)?;
        // A guide with an error-level audit finding is not published (SPEC §2.3):
        // every finding is named, at its element, all at once.
        self.audit_errors(&draft.doc)
            .await?
            .into_result()
            .map_err(StoreError::Invalid)?;
        let txn = self.begin().await?;
        let now = now_ms();
        let r = query_one(
            &txn,
            "SELECT impl_code, status FROM item_versions WHERE id = $1",
            vec![id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("item version {id}")))?;
        let status: String = get(&r, "status")?;
        let code: String = get(&r, "impl_code")?;
        if status != "draft" {
            return Err(StoreError::conflict(
                "只有草稿可以发布",
                format!("only a draft can be published; this version is {status}"),
            ));
        }
        // Claim the draft first, as it was audited: a concurrent publish,
        // delete or edit (which the audit above did not see) touches no row.
        let claimed = exec(
            &txn,
            "UPDATE item_versions SET status = 'published', published_at = $1, published_by = $2, updated_at = $1 \
             WHERE id = $3 AND status = 'draft' AND updated_at = $4",
            vec![
                now.into(),
                actor.into(),
                id.into(),
                draft.updated_at.into(),
            ],
        )
        .await?;
        if claimed != 1 {
            return Err(StoreError::conflict(
                "该草稿已被他人修改、发布或删除，请刷新后再发布",
                "the draft was changed, published or deleted meanwhile; reload and publish again",
            ));
        }
        exec(
            &txn,
            "UPDATE item_versions SET status = 'superseded', retired_at = $1 \
             WHERE impl_code = $2 AND id <> $3 AND status IN ('published', 'retired')",
            vec![now.into(), code.clone().into(), id.into()],
        )
        .await?;
        bump_revision(&txn).await?;
        trail::append(
            &txn,
            actor,
            "item.publish",
            &format!("item:{code}"),
            serde_json::json!({"version_id": id}),
        )
        .await?;
        txn.commit().await?;
        self.item_version(id).await
    }

    /// The guide audit of one guide as it stands today, against the
    /// calendar in force and the licence types the published catalogue issues.
    pub async fn audit_guide(&self, doc: &ItemDoc) -> Result<Vec<Finding>> {
        let calendar = self.work_calendar().await?;
        let published = self.published_items().await?;
        let issued = issued_types(published.iter().map(|v| &v.doc));
        let ctx = AuditContext {
            today: crate::shanghai_today(),
            calendar: &calendar,
            issued: &issued,
        };
        Ok(audit_item(doc, &VersionFacts::default(), &ctx))
    }

    /// The guide audit's error-level findings on a guide about to be
    /// published, as field errors (element, rule id and message).
    pub async fn audit_errors(&self, doc: &ItemDoc) -> Result<FieldErrors> {
        let mut errs = FieldErrors::default();
        for f in self.audit_guide(doc).await? {
            if f.severity == Severity::Error {
                errs.push(FieldError::new(
                    f.element,
                    "audit_error",
                    format!("{}（核查规则{}）", f.message_zh, f.rule_id),
                    format!("{} (audit rule {})", f.message_en, f.rule_id),
                ));
            }
        }
        Ok(errs)
    }

    /// Withdraws an item from the public catalogue, for a recorded reason.
    pub async fn retire(
        &self,
        impl_code: &str,
        reason: &str,
        actor: Option<i64>,
    ) -> Result<ItemVersion> {
        let reason = reason.trim();
        let mut errs = FieldErrors::default();
        if reason.is_empty() {
            errs.push(FieldError::new(
                "reason",
                "required",
                "请填写取消事项的理由（将记入审计日志）",
                "give the reason for retiring the item (it is recorded)",
            ));
        } else if let Some(e) = tongban_domain::text::check_text(
            "reason",
            "取消理由",
            "Reason",
            reason,
            tongban_domain::text::TEXT_MAX,
            true,
        ) {
            errs.push(e);
        }
        errs.into_result().map_err(StoreError::Invalid)?;
        let txn = self.begin().await?;
        let now = now_ms();
        let r = query_one(
            &txn,
            "SELECT id FROM item_versions WHERE impl_code = $1 AND status = 'published'",
            vec![impl_code.into()],
        )
        .await?
        .ok_or_else(|| {
            StoreError::conflict(
                "该事项没有已发布的版本",
                "the item has no published version",
            )
        })?;
        let id: i64 = get(&r, "id")?;
        exec(
            &txn,
            "UPDATE item_versions SET status = 'retired', retired_at = $1, published_by = COALESCE(published_by, $2) WHERE id = $3",
            vec![now.into(), actor.into(), id.into()],
        )
        .await?;
        bump_revision(&txn).await?;
        trail::append(
            &txn,
            actor,
            "item.retire",
            &format!("item:{impl_code}"),
            serde_json::json!({"version_id": id, "reason": reason}),
        )
        .await?;
        txn.commit().await?;
        self.item_version(id).await
    }
}
