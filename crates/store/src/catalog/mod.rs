//! Departments and versioned service items.

mod phrasings;
mod publish;
pub mod transfer;
pub use phrasings::Phrasing;

use sea_orm::{ConnectionTrait, QueryResult, Value};
use serde::Serialize;
use tongban_domain::catalog::{ItemDoc, ItemStatus, check_agency_matches};
use tongban_domain::codes::CreditCode;
use tongban_domain::{FieldError, FieldErrors};

use crate::{Result, Store, StoreError, exec, get, insert_id, now_ms, query, query_one, trail};

#[derive(Debug, Clone, Serialize)]
pub struct Department {
    pub id: i64,
    pub centre_id: i64,
    pub centre_path: String,
    pub name: String,
    pub short_name: String,
    pub credit_code: CreditCode,
    pub phone: String,
    pub address: String,
}

/// Input for creating or changing a department.
#[derive(Debug, Clone)]
pub struct DepartmentInput {
    pub name: String,
    pub short_name: String,
    pub credit_code: CreditCode,
    pub phone: String,
    pub address: String,
}

impl DepartmentInput {
    fn check(&self) -> Result<()> {
        let mut e = FieldErrors::default();
        if self.name.trim().is_empty() {
            e.push(FieldError::required("name", "部门名称"));
        }
        if self.short_name.trim().is_empty() {
            e.push(FieldError::required("short_name", "部门简称"));
        }
        use tongban_domain::text::{NAME_MAX, TEXT_MAX, check_text};
        for (field, zh, v, max) in [
            ("name", "部门名称", &self.name, NAME_MAX),
            ("short_name", "部门简称", &self.short_name, NAME_MAX),
            ("address", "地址", &self.address, TEXT_MAX),
        ] {
            if let Some(err) = check_text(field, zh, field, v.trim(), max, false) {
                e.push(err);
            }
        }
        if !self.phone.trim().is_empty() && !tongban_domain::codes::is_valid_phone(&self.phone) {
            e.push(FieldError::new(
                "phone",
                "invalid_phone",
                "电话号码格式错误",
                "phone is not a valid phone number",
            ));
        }
        e.into_result().map_err(StoreError::Invalid)
    }
}

/// One stored version of an item.
#[derive(Debug, Clone, Serialize)]
pub struct ItemVersion {
    pub id: i64,
    pub impl_code: String,
    pub version: i64,
    pub status: ItemStatus,
    pub department_id: i64,
    pub department_name: String,
    pub centre_id: i64,
    pub centre_path: String,
    pub doc: ItemDoc,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
    pub retired_at: Option<i64>,
}

const ITEM_COLS: &str = "iv.id, iv.impl_code, iv.version, iv.status, iv.department_id, d.name AS department_name, \
    iv.centre_id, c.path AS centre_path, iv.doc, iv.created_at, iv.updated_at, iv.published_at, iv.retired_at \
    FROM item_versions iv JOIN departments d ON d.id = iv.department_id JOIN centres c ON c.id = iv.centre_id";

fn row_item(r: &QueryResult) -> Result<ItemVersion> {
    let status: String = get(r, "status")?;
    let doc: String = get(r, "doc")?;
    let id: i64 = get(r, "id")?;
    Ok(ItemVersion {
        id,
        impl_code: get(r, "impl_code")?,
        version: get(r, "version")?,
        status: ItemStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("item {id} status {status}")))?,
        department_id: get(r, "department_id")?,
        department_name: get(r, "department_name")?,
        centre_id: get(r, "centre_id")?,
        centre_path: get(r, "centre_path")?,
        doc: serde_json::from_str(&doc)
            .map_err(|e| StoreError::Corrupt(format!("item {id} document: {e}")))?,
        created_at: get(r, "created_at")?,
        updated_at: get(r, "updated_at")?,
        published_at: get(r, "published_at")?,
        retired_at: get(r, "retired_at")?,
    })
}

fn row_dept(r: &QueryResult) -> Result<Department> {
    let code: String = get(r, "credit_code")?;
    Ok(Department {
        id: get(r, "id")?,
        centre_id: get(r, "centre_id")?,
        centre_path: get(r, "centre_path")?,
        name: get(r, "name")?,
        short_name: get(r, "short_name")?,
        credit_code: CreditCode::parse(&code)
            .map_err(|e| StoreError::Corrupt(format!("department code {code}: {e}")))?,
        phone: get(r, "phone")?,
        address: get(r, "address")?,
    })
}

const DEPT_COLS: &str = "d.id, d.centre_id, c.path AS centre_path, d.name, d.short_name, d.credit_code, d.phone, d.address \
    FROM departments d JOIN centres c ON c.id = d.centre_id";

/// Filter for the admin item list.
#[derive(Debug, Clone, Default)]
pub struct AdminFilter {
    pub department_id: Option<i64>,
    pub centre_path: Option<String>,
    pub status: Option<ItemStatus>,
    pub name_contains: Option<String>,
}

/// One row of the admin list: the newest version of an item, and which
/// version is live.
#[derive(Debug, Clone, Serialize)]
pub struct ItemSummary {
    pub latest: ItemVersion,
    pub published_version: Option<i64>,
}

fn doc_json(doc: &ItemDoc) -> Result<String> {
    serde_json::to_string(doc).map_err(|e| StoreError::Corrupt(format!("serialise item: {e}")))
}

pub(crate) async fn bump_revision(c: &impl ConnectionTrait) -> Result<()> {
    exec(
        c,
        "UPDATE catalog_state SET revision = revision + 1 WHERE id = 1",
        vec![],
    )
    .await?;
    Ok(())
}

impl Store {
    pub async fn create_department(
        &self,
        centre_id: i64,
        d: &DepartmentInput,
    ) -> Result<Department> {
        self.create_department_by(centre_id, d, None).await
    }

    /// Creates a department, recording who did it in the audit trail.
    pub async fn create_department_by(
        &self,
        centre_id: i64,
        d: &DepartmentInput,
        actor: Option<i64>,
    ) -> Result<Department> {
        d.check()?;
        if self.department_by_code(&d.credit_code).await?.is_some() {
            return Err(StoreError::Invalid(
                FieldError::new(
                    "credit_code",
                    "duplicate",
                    format!("统一社会信用代码{}已被其他部门使用", d.credit_code),
                    format!(
                        "credit code {} is already used by another department",
                        d.credit_code
                    ),
                )
                .into(),
            ));
        }
        let now = now_ms();
        let txn = self.begin().await?;
        let id = insert_id(
            &txn,
            "INSERT INTO departments (centre_id, name, short_name, credit_code, phone, address, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            vec![
                centre_id.into(),
                d.name.trim().into(),
                d.short_name.trim().into(),
                d.credit_code.as_str().into(),
                d.phone.trim().into(),
                d.address.trim().into(),
                now.into(),
                now.into(),
            ],
        )
        .await?;
        trail::append(
            &txn,
            actor,
            "department.create",
            &format!("department:{id}"),
            serde_json::json!({"name": d.name.trim(), "credit_code": d.credit_code.as_str()}),
        )
        .await?;
        txn.commit().await?;
        self.department(id).await
    }

    pub async fn update_department(&self, id: i64, d: &DepartmentInput) -> Result<Department> {
        self.update_department_by(id, d, None).await
    }

    /// Changes a department, recording who did it in the audit trail.
    pub async fn update_department_by(
        &self,
        id: i64,
        d: &DepartmentInput,
        actor: Option<i64>,
    ) -> Result<Department> {
        d.check()?;
        let current = self.department(id).await?;
        if let Some(other) = self.department_by_code(&d.credit_code).await?
            && other.id != id
        {
            return Err(StoreError::Invalid(
                FieldError::new(
                    "credit_code",
                    "duplicate",
                    format!("统一社会信用代码{}已被“{}”使用", d.credit_code, other.name),
                    format!(
                        "credit code {} is already used by {}",
                        d.credit_code, other.name
                    ),
                )
                .into(),
            ));
        }
        if current.credit_code != d.credit_code {
            let n = query_one(
                self.conn(),
                "SELECT COUNT(*) AS n FROM item_versions WHERE department_id = $1",
                vec![id.into()],
            )
            .await?
            .map(|r| get::<i64>(&r, "n"))
            .transpose()?
            .unwrap_or(0);
            if n > 0 {
                return Err(StoreError::Invalid(
                    FieldError::new(
                        "credit_code",
                        "in_use",
                        "该部门已有事项，其实施编码包含原信用代码，不能修改信用代码",
                        "the department has items whose implementation codes contain the old credit code",
                    )
                    .into(),
                ));
            }
        }
        let txn = self.begin().await?;
        exec(
            &txn,
            "UPDATE departments SET name = $1, short_name = $2, credit_code = $3, phone = $4, address = $5, updated_at = $6 WHERE id = $7",
            vec![
                d.name.trim().into(),
                d.short_name.trim().into(),
                d.credit_code.as_str().into(),
                d.phone.trim().into(),
                d.address.trim().into(),
                now_ms().into(),
                id.into(),
            ],
        )
        .await?;
        trail::append(
            &txn,
            actor,
            "department.update",
            &format!("department:{id}"),
            serde_json::json!({"name": d.name.trim(), "credit_code": d.credit_code.as_str()}),
        )
        .await?;
        txn.commit().await?;
        self.department(id).await
    }

    pub async fn department(&self, id: i64) -> Result<Department> {
        let r = query_one(
            self.conn(),
            &format!("SELECT {DEPT_COLS} WHERE d.id = $1"),
            vec![id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("department {id}")))?;
        row_dept(&r)
    }

    pub async fn department_by_code(&self, code: &CreditCode) -> Result<Option<Department>> {
        query_one(
            self.conn(),
            &format!("SELECT {DEPT_COLS} WHERE d.credit_code = $1"),
            vec![code.as_str().into()],
        )
        .await?
        .map(|r| row_dept(&r))
        .transpose()
    }

    pub async fn departments(&self) -> Result<Vec<Department>> {
        let rows = query(
            self.conn(),
            &format!("SELECT {DEPT_COLS} ORDER BY d.id"),
            vec![],
        )
        .await?;
        rows.iter().map(row_dept).collect()
    }

    /// The catalogue's change counter; instances rebuild their search index when it moves.
    pub async fn catalog_revision(&self) -> Result<i64> {
        let r = query_one(
            self.conn(),
            "SELECT revision FROM catalog_state WHERE id = 1",
            vec![],
        )
        .await?
        .ok_or_else(|| StoreError::Corrupt("catalog_state row missing".into()))?;
        get(&r, "revision")
    }

    /// Creates version 1 of a new item as a draft.
    pub async fn create_item(
        &self,
        department_id: i64,
        doc: &ItemDoc,
        actor: Option<i64>,
    ) -> Result<ItemVersion> {
        doc.check_saveable().map_err(StoreError::Invalid)?;
        let dept = self.department(department_id).await?;
        check_agency_matches(doc, &dept.credit_code).map_err(|e| StoreError::Invalid(e.into()))?;
        let existing = query_one(
            self.conn(),
            "SELECT id FROM item_versions WHERE impl_code = $1",
            vec![doc.impl_code.as_str().into()],
        )
        .await?;
        if existing.is_some() {
            return Err(StoreError::Invalid(
                FieldError::new(
                    "impl_code",
                    "duplicate",
                    format!("实施编码{}已存在，请在该事项下新建版本", doc.impl_code),
                    format!(
                        "implementation code {} already exists; create a new version of it instead",
                        doc.impl_code
                    ),
                )
                .into(),
            ));
        }
        let txn = self.begin().await?;
        let id = insert_version(&txn, &dept, doc, 1, ItemStatus::Draft, actor).await?;
        trail::append(
            &txn,
            actor,
            "item.create",
            &format!("item:{}", doc.impl_code),
            serde_json::json!({"version_id": id, "version": 1, "name": doc.name}),
        )
        .await?;
        txn.commit().await?;
        self.item_version(id).await
    }

    /// Starts a new draft version from the newest published (or retired) one.
    pub async fn new_version(&self, impl_code: &str, actor: Option<i64>) -> Result<ItemVersion> {
        let versions = self.item_versions(impl_code).await?;
        let Some(latest) = versions.first() else {
            return Err(StoreError::NotFound(format!("item {impl_code}")));
        };
        if latest.status == ItemStatus::Draft {
            return Err(StoreError::conflict(
                format!(
                    "事项已有草稿（第{}版），请先编辑或发布该草稿",
                    latest.version
                ),
                format!(
                    "version {} is already a draft; edit or publish it first",
                    latest.version
                ),
            ));
        }
        let dept = self.department(latest.department_id).await?;
        let txn = self.begin().await?;
        let id = insert_version(
            &txn,
            &dept,
            &latest.doc,
            latest.version + 1,
            ItemStatus::Draft,
            actor,
        )
        .await?;
        trail::append(
            &txn,
            actor,
            "item.new_version",
            &format!("item:{impl_code}"),
            serde_json::json!({"version_id": id, "version": latest.version + 1}),
        )
        .await?;
        txn.commit().await?;
        self.item_version(id).await
    }

    /// Saves a draft. `expected_updated_at`, when given, must match (optimistic lock).
    pub async fn update_draft(
        &self,
        id: i64,
        doc: &ItemDoc,
        expected_updated_at: Option<i64>,
    ) -> Result<ItemVersion> {
        self.update_draft_by(id, doc, expected_updated_at, None)
            .await
    }

    /// Saves a draft, recording who did it in the audit trail.
    pub async fn update_draft_by(
        &self,
        id: i64,
        doc: &ItemDoc,
        expected_updated_at: Option<i64>,
        actor: Option<i64>,
    ) -> Result<ItemVersion> {
        let current = self.item_version(id).await?;
        if current.status != ItemStatus::Draft {
            return Err(StoreError::conflict(
                format!(
                    "第{}版状态为“{}”，已发布的版本不能修改，请新建版本",
                    current.version,
                    current.status.zh()
                ),
                format!(
                    "version {} is {}; only drafts can change — create a new version",
                    current.version,
                    current.status.as_str()
                ),
            ));
        }
        doc.check_saveable().map_err(StoreError::Invalid)?;
        if doc.impl_code.as_str() != current.impl_code {
            return Err(StoreError::Invalid(
                FieldError::new(
                    "impl_code",
                    "immutable",
                    "实施编码是事项的标识，不能在版本中修改",
                    "impl_code identifies the item and cannot change between versions",
                )
                .into(),
            ));
        }
        let dept = self.department(current.department_id).await?;
        check_agency_matches(doc, &dept.credit_code).map_err(|e| StoreError::Invalid(e.into()))?;
        let now = now_ms().max(current.updated_at + 1);
        let txn = self.begin().await?;
        let n = exec(
            &txn,
            "UPDATE item_versions SET doc = $1, name = $2, item_type = $3, basic_code = $4, updated_at = $5 \
             WHERE id = $6 AND status = 'draft' AND updated_at = $7",
            vec![
                doc_json(doc)?.into(),
                doc.name.clone().into(),
                doc.item_type.as_str().into(),
                doc.basic_code.as_str().into(),
                now.into(),
                id.into(),
                expected_updated_at.unwrap_or(current.updated_at).into(),
            ],
        )
        .await?;
        if n == 0 {
            return Err(StoreError::conflict(
                "草稿已被他人修改，请刷新后重试",
                "the draft was changed by someone else; reload and try again",
            ));
        }
        trail::append(
            &txn,
            actor,
            "item.edit_draft",
            &format!("item:{}", current.impl_code),
            serde_json::json!({"version_id": id, "version": current.version}),
        )
        .await?;
        txn.commit().await?;
        self.item_version(id).await
    }

    pub async fn delete_draft(&self, id: i64) -> Result<()> {
        self.delete_draft_by(id, None).await
    }

    /// Deletes a draft, recording who did it in the audit trail.
    pub async fn delete_draft_by(&self, id: i64, actor: Option<i64>) -> Result<()> {
        let txn = self.begin().await?;
        let code = query_one(
            &txn,
            "SELECT impl_code FROM item_versions WHERE id = $1",
            vec![id.into()],
        )
        .await?
        .map(|r| get::<String>(&r, "impl_code"))
        .transpose()?
        .unwrap_or_default();
        let n = exec(
            &txn,
            "DELETE FROM item_versions WHERE id = $1 AND status = 'draft'",
            vec![id.into()],
        )
        .await?;
        if n == 0 {
            return Err(StoreError::conflict(
                "只能删除草稿",
                "only drafts can be deleted",
            ));
        }
        trail::append(
            &txn,
            actor,
            "item.delete_draft",
            &format!("item:{code}"),
            serde_json::json!({"version_id": id}),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    pub async fn item_version(&self, id: i64) -> Result<ItemVersion> {
        let r = query_one(
            self.conn(),
            &format!("SELECT {ITEM_COLS} WHERE iv.id = $1"),
            vec![id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("item version {id}")))?;
        row_item(&r)
    }

    /// All versions of an item, newest first.
    pub async fn item_versions(&self, impl_code: &str) -> Result<Vec<ItemVersion>> {
        let rows = query(
            self.conn(),
            &format!("SELECT {ITEM_COLS} WHERE iv.impl_code = $1 ORDER BY iv.version DESC"),
            vec![impl_code.into()],
        )
        .await?;
        rows.iter().map(row_item).collect()
    }

    /// The published version of an item, by 实施编码 or, when unambiguous, 基本编码.
    pub async fn published_item(&self, code: &str) -> Result<Option<ItemVersion>> {
        let code = code.trim().to_ascii_uppercase();
        let rows = query(
            self.conn(),
            &format!("SELECT {ITEM_COLS} WHERE iv.status = 'published' AND (iv.impl_code = $1 OR iv.basic_code = $1)"),
            vec![code.clone().into()],
        )
        .await?;
        let items: Vec<ItemVersion> = rows.iter().map(row_item).collect::<Result<_>>()?;
        Ok(match items.len() {
            1 => items.into_iter().next(),
            _ => items.into_iter().find(|i| i.impl_code == code),
        })
    }

    /// Every published version (search index, audit, export).
    pub async fn published_items(&self) -> Result<Vec<ItemVersion>> {
        let rows = query(
            self.conn(),
            &format!("SELECT {ITEM_COLS} WHERE iv.status = 'published' ORDER BY iv.impl_code"),
            vec![],
        )
        .await?;
        rows.iter().map(row_item).collect()
    }

    /// Every draft (for the audit's republish rule and export).
    pub async fn draft_items(&self) -> Result<Vec<ItemVersion>> {
        let rows = query(
            self.conn(),
            &format!("SELECT {ITEM_COLS} WHERE iv.status = 'draft' ORDER BY iv.impl_code"),
            vec![],
        )
        .await?;
        rows.iter().map(row_item).collect()
    }

    /// The admin list: the newest version of each item matching the filter.
    pub async fn admin_items(&self, f: &AdminFilter) -> Result<Vec<ItemSummary>> {
        let mut sql = format!(
            "SELECT {ITEM_COLS} WHERE iv.version = (SELECT MAX(x.version) FROM item_versions x WHERE x.impl_code = iv.impl_code)"
        );
        let mut vals: Vec<Value> = Vec::new();
        if let Some(d) = f.department_id {
            vals.push(d.into());
            sql.push_str(&format!(" AND iv.department_id = ${}", vals.len()));
        }
        if let Some(p) = &f.centre_path {
            vals.push(format!("{p}%").into());
            sql.push_str(&format!(" AND c.path LIKE ${}", vals.len()));
        }
        if let Some(s) = f.status {
            vals.push(s.as_str().into());
            sql.push_str(&format!(" AND iv.status = ${}", vals.len()));
        }
        if let Some(q) = f.name_contains.as_ref().filter(|q| !q.trim().is_empty()) {
            // Case-insensitive on both backends; the user's % and _ are literal.
            let escaped = q
                .trim()
                .replace('!', "!!")
                .replace('%', "!%")
                .replace('_', "!_");
            vals.push(format!("%{}%", escaped.to_uppercase()).into());
            sql.push_str(&format!(
                " AND (UPPER(iv.name) LIKE ${n} ESCAPE '!' OR UPPER(iv.impl_code) LIKE ${n} ESCAPE '!')",
                n = vals.len()
            ));
        }
        sql.push_str(" ORDER BY d.id, iv.name");
        let rows = query(self.conn(), &sql, vals).await?;
        let published = query(
            self.conn(),
            "SELECT impl_code, version FROM item_versions WHERE status = 'published'",
            vec![],
        )
        .await?;
        let mut live = std::collections::HashMap::new();
        for r in &published {
            live.insert(get::<String>(r, "impl_code")?, get::<i64>(r, "version")?);
        }
        rows.iter()
            .map(|r| {
                let latest = row_item(r)?;
                Ok(ItemSummary {
                    published_version: live.get(&latest.impl_code).copied(),
                    latest,
                })
            })
            .collect()
    }
}

pub(crate) async fn insert_version(
    c: &impl ConnectionTrait,
    dept: &Department,
    doc: &ItemDoc,
    version: i64,
    status: ItemStatus,
    actor: Option<i64>,
) -> Result<i64> {
    let now = now_ms();
    let published_at = (status == ItemStatus::Published).then_some(now);
    insert_id(
        c,
        "INSERT INTO item_versions (impl_code, basic_code, version, status, department_id, centre_id, name, item_type, doc, \
         created_at, updated_at, published_at, retired_at, created_by, published_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, NULL, $12, $13)",
        vec![
            doc.impl_code.as_str().into(),
            doc.basic_code.as_str().into(),
            version.into(),
            status.as_str().into(),
            dept.id.into(),
            dept.centre_id.into(),
            doc.name.clone().into(),
            doc.item_type.as_str().into(),
            doc_json(doc)?.into(),
            now.into(),
            published_at.into(),
            actor.into(),
            published_at.and(actor).into(),
        ],
    )
    .await
}
