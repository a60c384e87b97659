//! Bundle definitions: versioned drafts, publishing (refused when the
//! domain finds the bundle unpublishable), the demo import, and the
//! published bundles with their items.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use tongban_domain::auth::{Actor, Denied};
use tongban_domain::bundle::{self, BundleDoc, check_publishable};
use tongban_domain::catalog::{ItemDoc, ItemStatus};

use super::*;
use crate::catalog::ItemVersion;
use crate::{Result, Store, StoreError, exec, insert_id, now_ms, query, query_one, trail};

impl Store {
    /// A bundle version the admin may change: of their centre or one below it.
    pub(super) async fn admin_version(&self, actor: &Actor, id: i64) -> Result<BundleVersion> {
        require_bundle_admin(actor)?;
        let v = self.bundle_version(id).await?;
        if !centre_path(self.conn(), v.centre_id)
            .await?
            .starts_with(&actor.centre_path)
        {
            return Err(StoreError::Forbidden(Denied::Department));
        }
        Ok(v)
    }

    /// Makes the fan-out of the next bundle submissions fail when creating
    /// their `nth` sub-case (1-based; 0 turns it off; one past the last:
    /// after every sub-case is submitted and the observers have run). For
    /// tests of atomicity.
    #[doc(hidden)]
    pub fn inject_fanout_failure(&self, nth: usize) {
        self.fanout_fault.store(nth, Ordering::Relaxed);
    }

    /// Creates version 1 of a bundle as a draft.
    pub async fn create_bundle(
        &self,
        actor: &Actor,
        code: &str,
        doc: &BundleDoc,
    ) -> Result<BundleVersion> {
        require_bundle_admin(actor)?;
        self.create_bundle_in(actor.centre_id, Some(actor.user_id), code, doc)
            .await
    }

    pub(super) async fn create_bundle_in(
        &self,
        centre_id: i64,
        actor: Option<i64>,
        code: &str,
        doc: &BundleDoc,
    ) -> Result<BundleVersion> {
        check_code(code)?;
        check_draft(doc)?;
        if query_one(
            self.conn(),
            "SELECT id FROM bundle_versions WHERE code = $1",
            vec![code.into()],
        )
        .await?
        .is_some()
        {
            return Err(invalid(
                "code",
                "duplicate",
                format!("编码{code}已被使用"),
                format!("code {code} is already used"),
            ));
        }
        let now = now_ms();
        let txn = self.begin().await?;
        let id = insert_id(
            &txn,
            "INSERT INTO bundle_versions (code, version, status, centre_id, doc, created_at, updated_at, published_at, retired_at) \
             VALUES ($1, 1, 'draft', $2, $3, $4, $4, NULL, NULL)",
            vec![code.into(), centre_id.into(), to_json(doc).into(), now.into()],
        )
        .await?;
        trail::append(
            &txn,
            actor,
            "bundle.create",
            &format!("bundle:{code}"),
            serde_json::json!({"version": 1, "name": doc.name}),
        )
        .await?;
        txn.commit().await?;
        self.bundle_version(id).await
    }

    /// Replaces the document of a draft version.
    pub async fn update_bundle_draft(
        &self,
        actor: &Actor,
        id: i64,
        doc: &BundleDoc,
    ) -> Result<BundleVersion> {
        check_draft(doc)?;
        let v = self.admin_version(actor, id).await?;
        if v.status != ItemStatus::Draft {
            return Err(StoreError::conflict(
                "只能修改草稿版本，已发布的版本请先创建新版本",
                "only a draft can be changed; create a new version of a published bundle",
            ));
        }
        let txn = self.begin().await?;
        let n = exec(
            &txn,
            "UPDATE bundle_versions SET doc = $1, updated_at = $2 WHERE id = $3 AND status = 'draft'",
            vec![to_json(doc).into(), now_ms().into(), id.into()],
        )
        .await?;
        if n != 1 {
            return Err(stale());
        }
        trail::append(
            &txn,
            Some(actor.user_id),
            "bundle.update",
            &format!("bundle:{}", v.code),
            serde_json::json!({"version": v.version}),
        )
        .await?;
        txn.commit().await?;
        self.bundle_version(id).await
    }

    /// Starts a new draft version from the newest one.
    pub async fn new_bundle_version(&self, actor: &Actor, code: &str) -> Result<BundleVersion> {
        require_bundle_admin(actor)?;
        let versions = self.bundle_versions(code).await?;
        let Some(last) = versions.last() else {
            return Err(StoreError::NotFound(format!("bundle {code}")));
        };
        self.admin_version(actor, last.id).await?;
        if versions.iter().any(|v| v.status == ItemStatus::Draft) {
            return Err(StoreError::conflict(
                "该一件事已有草稿版本",
                "the bundle already has a draft version",
            ));
        }
        let now = now_ms();
        let txn = self.begin().await?;
        let id = insert_id(
            &txn,
            "INSERT INTO bundle_versions (code, version, status, centre_id, doc, created_at, updated_at, published_at, retired_at) \
             VALUES ($1, $2, 'draft', $3, $4, $5, $5, NULL, NULL)",
            vec![
                code.into(),
                (last.version + 1).into(),
                last.centre_id.into(),
                to_json(&last.doc).into(),
                now.into(),
            ],
        )
        .await?;
        trail::append(
            &txn,
            Some(actor.user_id),
            "bundle.new_version",
            &format!("bundle:{code}"),
            serde_json::json!({"version": last.version + 1}),
        )
        .await?;
        txn.commit().await?;
        self.bundle_version(id).await
    }

    /// Publishes a draft version; the one published before is superseded.
    /// Refused when the bundle names an item that is not published, maps to
    /// a field that does not exist, leaves a required item field unfilled,
    /// or has questions with which no answer selects an item.
    pub async fn publish_bundle(&self, actor: &Actor, id: i64) -> Result<BundleVersion> {
        self.admin_version(actor, id).await?;
        self.publish_bundle_by(id, Some(actor.user_id)).await
    }

    pub(super) async fn publish_bundle_by(
        &self,
        id: i64,
        actor: Option<i64>,
    ) -> Result<BundleVersion> {
        let v = self.bundle_version(id).await?;
        if v.status != ItemStatus::Draft {
            return Err(StoreError::conflict(
                "只能发布草稿版本",
                "only a draft version can be published",
            ));
        }
        let items = self.bundle_items(&v.doc).await?;
        let docs: HashMap<String, ItemDoc> = items
            .iter()
            .map(|i| (i.impl_code.clone(), i.doc.clone()))
            .collect();
        check_publishable(&v.doc, &docs).map_err(StoreError::Invalid)?;
        let now = now_ms();
        let txn = self.begin().await?;
        exec(
            &txn,
            "UPDATE bundle_versions SET status = 'superseded', updated_at = $1 WHERE code = $2 AND status = 'published'",
            vec![now.into(), v.code.clone().into()],
        )
        .await?;
        let n = exec(
            &txn,
            "UPDATE bundle_versions SET status = 'published', published_at = $1, updated_at = $1 WHERE id = $2 AND status = 'draft'",
            vec![now.into(), id.into()],
        )
        .await?;
        if n != 1 {
            return Err(stale());
        }
        trail::append(
            &txn,
            actor,
            "bundle.publish",
            &format!("bundle:{}", v.code),
            serde_json::json!({"version": v.version}),
        )
        .await?;
        txn.commit().await?;
        self.bundle_version(id).await
    }

    /// Loads the demo bundles (or any file in that format), publishing each.
    pub async fn import_bundles(&self, centre_id: i64, text: &str) -> Result<usize> {
        #[derive(Deserialize)]
        struct File {
            format: String,
            bundles: Vec<Entry>,
        }
        #[derive(Deserialize)]
        struct Entry {
            code: String,
            doc: BundleDoc,
        }
        let f: File = serde_json::from_str(text).map_err(|e| {
            invalid(
                "$",
                "invalid_json",
                format!("文件格式错误：{e}"),
                e.to_string(),
            )
        })?;
        if f.format != "tongban-bundles/1" {
            return Err(invalid(
                "format",
                "unsupported",
                "不支持的文件格式",
                "unsupported format",
            ));
        }
        for b in &f.bundles {
            let v = self
                .create_bundle_in(centre_id, None, &b.code, &b.doc)
                .await?;
            self.publish_bundle_by(v.id, None).await?;
        }
        Ok(f.bundles.len())
    }

    pub async fn bundle_version(&self, id: i64) -> Result<BundleVersion> {
        let r = query_one(
            self.conn(),
            &format!("SELECT {BV_COLS} WHERE id = $1"),
            vec![id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("bundle version {id}")))?;
        row_bv(&r)
    }

    pub async fn bundle_versions(&self, code: &str) -> Result<Vec<BundleVersion>> {
        let rows = query(
            self.conn(),
            &format!("SELECT {BV_COLS} WHERE code = $1 ORDER BY version"),
            vec![code.into()],
        )
        .await?;
        rows.iter().map(row_bv).collect()
    }

    /// The newest version of every bundle, for the admin list.
    pub async fn admin_bundles(&self, actor: &Actor) -> Result<Vec<BundleVersion>> {
        require_bundle_admin(actor)?;
        let rows = query(
            self.conn(),
            &format!(
                "SELECT {BV_COLS} b WHERE version = (SELECT MAX(version) FROM bundle_versions x WHERE x.code = b.code) \
                 AND centre_id IN (SELECT id FROM centres WHERE path LIKE $1) ORDER BY code"
            ),
            vec![format!("{}%", actor.centre_path).into()],
        )
        .await?;
        rows.iter().map(row_bv).collect()
    }

    /// The published versions of a bundle's items (missing ones left out).
    pub(super) async fn bundle_items(&self, doc: &BundleDoc) -> Result<Vec<ItemVersion>> {
        let mut out = Vec::new();
        for bi in &doc.items {
            if let Some(i) = self.published_item(&bi.item).await?
                && i.impl_code == bi.item.trim().to_ascii_uppercase()
            {
                out.push(i);
            }
        }
        Ok(out)
    }

    pub(super) async fn view_of(&self, v: BundleVersion) -> Result<BundleView> {
        let items = self.bundle_items(&v.doc).await?;
        let docs: HashMap<String, ItemDoc> = items
            .iter()
            .map(|i| (i.impl_code.clone(), i.doc.clone()))
            .collect();
        let savings = bundle::savings(&v.doc, &docs);
        Ok(BundleView {
            bundle: v,
            items,
            savings,
        })
    }

    /// Every published bundle with its savings.
    pub async fn published_bundles(&self) -> Result<Vec<BundleView>> {
        let rows = query(
            self.conn(),
            &format!("SELECT {BV_COLS} WHERE status = 'published' ORDER BY id"),
            vec![],
        )
        .await?;
        let mut out = Vec::new();
        for r in &rows {
            let v = row_bv(r)?;
            // A project stage's form is applied for from its project only.
            if !v.doc.stage_only {
                out.push(self.view_of(v).await?);
            }
        }
        Ok(out)
    }

    pub async fn published_bundle(&self, code: &str) -> Result<Option<BundleView>> {
        let r = query_one(
            self.conn(),
            &format!("SELECT {BV_COLS} WHERE code = $1 AND status = 'published'"),
            vec![code.into()],
        )
        .await?;
        match r {
            Some(r) => Ok(Some(self.view_of(row_bv(&r)?).await?)),
            None => Ok(None),
        }
    }

    // ----- applications -----
}
