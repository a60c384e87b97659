//! Catalogue import and export (format `tongban-catalog/1`, documented in
//! docs/CATALOG_FORMAT.md). An import is checked whole before anything is
//! written; every problem is reported with its JSON path.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use tongban_domain::catalog::{ItemDoc, ItemStatus};
use tongban_domain::codes::CreditCode;
use tongban_domain::{FieldError, FieldErrors};

use crate::catalog::{Department, bump_revision, insert_version};
use crate::{Result, Store, StoreError, exec, get, insert_id, now_ms, query, query_one};

pub const FORMAT: &str = "tongban-catalog/1";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentRecord {
    pub name: String,
    pub short_name: String,
    pub credit_code: CreditCode,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub address: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemRecord {
    /// The department's 统一社会信用代码.
    pub department: CreditCode,
    /// `published`, `draft` or `retired`.
    pub status: ItemStatus,
    pub doc: ItemDoc,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogFile {
    pub format: String,
    #[serde(default)]
    pub departments: Vec<DepartmentRecord>,
    #[serde(default)]
    pub items: Vec<ItemRecord>,
}

/// Which part of the catalogue an export covers; the default is all of it.
#[derive(Debug, Clone, Default)]
pub struct ExportScope {
    pub centre_path: Option<String>,
    pub department_id: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ImportReport {
    pub departments_created: usize,
    pub departments_updated: usize,
    pub items_created: usize,
    pub versions_created: usize,
    pub drafts_updated: usize,
    /// Items whose guide was unchanged but whose status (published/retired) changed.
    pub status_changed: usize,
    pub unchanged: usize,
}

/// A deserialisation error as a field error whose path starts at `base`.
pub fn path_error<E: std::fmt::Display>(
    base: &str,
    e: serde_path_to_error::Error<E>,
) -> FieldError {
    let inner = e.path().to_string();
    let path = if inner == "." || inner.is_empty() {
        base.to_string()
    } else if inner.starts_with('[') {
        format!("{base}{inner}")
    } else {
        format!("{base}.{inner}")
    };
    let reason = e.into_inner().to_string();
    FieldError::new(
        path.clone(),
        "invalid",
        format!("{path}：{reason}"),
        format!("{path}: {reason}"),
    )
}

/// Parses and checks a catalogue file without touching the database.
/// `known_departments` are the credit codes already in the database.
pub fn parse_catalog(
    text: &str,
    known_departments: &HashSet<String>,
) -> Result<CatalogFile, FieldErrors> {
    let mut errs = FieldErrors::default();
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return Err(FieldErrors::single(FieldError::new(
                "$",
                "not_json",
                format!("不是有效的JSON（第{}行第{}列）：{e}", e.line(), e.column()),
                format!(
                    "not valid JSON (line {}, column {}): {e}",
                    e.line(),
                    e.column()
                ),
            )));
        }
    };
    let format = value
        .get("format")
        .and_then(|f| f.as_str())
        .unwrap_or_default();
    if format != FORMAT {
        errs.push(FieldError::new(
            "$.format",
            "unknown_format",
            format!("format应为“{FORMAT}”，实际为“{format}”"),
            format!("format must be {FORMAT:?}, got {format:?}"),
        ));
    }
    if let Some(obj) = value.as_object() {
        for k in obj.keys() {
            if !matches!(k.as_str(), "format" | "departments" | "items") {
                errs.push(FieldError::new(
                    format!("$.{k}"),
                    "unknown_field",
                    format!("未知字段$.{k}"),
                    format!("unknown field $.{k}"),
                ));
            }
        }
    } else {
        errs.push(FieldError::new(
            "$",
            "not_object",
            "顶层应为对象",
            "the top level must be an object",
        ));
        return Err(errs);
    }
    let empty = Vec::new();
    let depts_v = value
        .get("departments")
        .and_then(|d| d.as_array())
        .unwrap_or(&empty);
    let items_v = value
        .get("items")
        .and_then(|d| d.as_array())
        .unwrap_or(&empty);
    let mut departments = Vec::new();
    let mut codes: HashSet<String> = known_departments.clone();
    let mut seen_depts = HashSet::new();
    for (i, d) in depts_v.iter().enumerate() {
        let base = format!("$.departments[{i}]");
        match serde_path_to_error::deserialize::<_, DepartmentRecord>(d) {
            Ok(rec) => {
                if rec.name.trim().is_empty() {
                    errs.push(FieldError::required(&format!("{base}.name"), "部门名称"));
                }
                if !seen_depts.insert(rec.credit_code.as_str().to_string()) {
                    errs.push(FieldError::new(
                        format!("{base}.credit_code"),
                        "duplicate",
                        format!("信用代码{}在文件中重复", rec.credit_code),
                        format!("credit code {} appears twice in the file", rec.credit_code),
                    ));
                }
                codes.insert(rec.credit_code.as_str().to_string());
                departments.push(rec);
            }
            Err(e) => errs.push(path_error(&base, e)),
        }
    }
    let mut items = Vec::new();
    let mut seen_items: HashMap<(String, bool), usize> = HashMap::new();
    for (i, it) in items_v.iter().enumerate() {
        let base = format!("$.items[{i}]");
        match serde_path_to_error::deserialize::<_, ItemRecord>(it) {
            Ok(rec) => {
                if !codes.contains(rec.department.as_str()) {
                    errs.push(FieldError::new(
                        format!("{base}.department"),
                        "unknown_department",
                        format!("部门{}既不在文件中也不在系统中", rec.department),
                        format!(
                            "department {} is neither in the file nor in the system",
                            rec.department
                        ),
                    ));
                }
                if rec.doc.agency.credit_code != rec.department {
                    errs.push(FieldError::new(
                        format!("{base}.doc.agency.credit_code"),
                        "agency_mismatch",
                        "实施主体信用代码应与所属部门一致",
                        "the agency's credit code must be the department's",
                    ));
                }
                if rec.status == ItemStatus::Superseded {
                    errs.push(FieldError::new(
                        format!("{base}.status"),
                        "bad_status",
                        "状态应为published、draft或retired",
                        "status must be published, draft or retired",
                    ));
                }
                if let Err(fe) = rec.doc.check_saveable() {
                    for e in fe.0 {
                        errs.push(e.under(&format!("{base}.doc")));
                    }
                }
                if rec.status == ItemStatus::Published
                    && let Err(fe) = crate::decisions::check_decision(&rec.doc)
                {
                    for e in fe.0 {
                        errs.push(e.under(&format!("{base}.doc")));
                    }
                }
                let key = (
                    rec.doc.impl_code.as_str().to_string(),
                    rec.status == ItemStatus::Draft,
                );
                if let Some(first) = seen_items.insert(key, i) {
                    errs.push(FieldError::new(
                        format!("{base}.doc.impl_code"),
                        "duplicate",
                        format!("实施编码{}与$.items[{first}]重复", rec.doc.impl_code),
                        format!("impl_code {} repeats $.items[{first}]", rec.doc.impl_code),
                    ));
                }
                items.push(rec);
            }
            Err(e) => errs.push(path_error(&base, e)),
        }
    }
    if errs.is_empty() {
        Ok(CatalogFile {
            format: format.to_string(),
            departments,
            items,
        })
    } else {
        Err(errs)
    }
}

impl Store {
    /// Imports a catalogue file into a centre: all or nothing.
    pub async fn import_catalog(
        &self,
        centre_id: i64,
        text: &str,
        actor: Option<i64>,
    ) -> Result<ImportReport> {
        // Only this centre's departments may be named; another centre's are refused.
        let all = self.departments().await?;
        let known: HashSet<String> = all
            .iter()
            .filter(|d| d.centre_id == centre_id)
            .map(|d| d.credit_code.as_str().to_string())
            .collect();
        let foreign: HashSet<String> = all
            .iter()
            .filter(|d| d.centre_id != centre_id)
            .map(|d| d.credit_code.as_str().to_string())
            .collect();
        let file = parse_catalog(text, &known).map_err(StoreError::Invalid)?;
        let mut errs = tongban_domain::FieldErrors::default();
        for (i, d) in file.departments.iter().enumerate() {
            if foreign.contains(d.credit_code.as_str()) {
                errs.push(tongban_domain::FieldError::new(
                    format!("$.departments[{i}].credit_code"),
                    "other_centre",
                    format!("部门{}属于其他政务服务中心，不能在此导入", d.credit_code),
                    format!(
                        "department {} belongs to another service centre",
                        d.credit_code
                    ),
                ));
            }
        }
        errs.into_result().map_err(StoreError::Invalid)?;
        let mut report = ImportReport::default();
        let txn = self.begin().await?;
        let now = now_ms();
        for d in &file.departments {
            let existing = query_one(
                &txn,
                "SELECT id FROM departments WHERE credit_code = $1",
                vec![d.credit_code.as_str().into()],
            )
            .await?;
            match existing {
                Some(r) => {
                    let id: i64 = get(&r, "id")?;
                    exec(
                        &txn,
                        "UPDATE departments SET name = $1, short_name = $2, phone = $3, address = $4, updated_at = $5 WHERE id = $6",
                        vec![
                            d.name.clone().into(),
                            d.short_name.clone().into(),
                            d.phone.clone().into(),
                            d.address.clone().into(),
                            now.into(),
                            id.into(),
                        ],
                    )
                    .await?;
                    report.departments_updated += 1;
                }
                None => {
                    insert_id(
                        &txn,
                        "INSERT INTO departments (centre_id, name, short_name, credit_code, phone, address, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
                        vec![
                            centre_id.into(),
                            d.name.clone().into(),
                            d.short_name.clone().into(),
                            d.credit_code.as_str().into(),
                            d.phone.clone().into(),
                            d.address.clone().into(),
                            now.into(),
                        ],
                    )
                    .await?;
                    report.departments_created += 1;
                }
            }
        }
        let mut depts: HashMap<String, Department> = HashMap::new();
        for r in query(
            &txn,
            "SELECT d.id, d.centre_id, c.path AS centre_path, d.name, d.short_name, d.credit_code, d.phone, d.address \
             FROM departments d JOIN centres c ON c.id = d.centre_id WHERE d.centre_id = $1",
            vec![centre_id.into()],
        )
        .await?
        {
            let code: String = get(&r, "credit_code")?;
            let Ok(cc) = CreditCode::parse(&code) else { continue };
            depts.insert(
                code,
                Department {
                    id: get(&r, "id")?,
                    centre_id: get(&r, "centre_id")?,
                    centre_path: get(&r, "centre_path")?,
                    name: get(&r, "name")?,
                    short_name: get(&r, "short_name")?,
                    credit_code: cc,
                    phone: get(&r, "phone")?,
                    address: get(&r, "address")?,
                },
            );
        }
        // Published/retired records first, so drafts land on top of them.
        let mut order: Vec<&ItemRecord> = file
            .items
            .iter()
            .filter(|i| i.status != ItemStatus::Draft)
            .collect();
        order.extend(file.items.iter().filter(|i| i.status == ItemStatus::Draft));
        for rec in order {
            let dept = depts
                .get(rec.department.as_str())
                .ok_or_else(|| StoreError::NotFound(format!("department {}", rec.department)))?;
            let code = rec.doc.impl_code.as_str();
            let rows = query(
                &txn,
                "SELECT id, version, status, doc FROM item_versions WHERE impl_code = $1 ORDER BY version DESC",
                vec![code.into()],
            )
            .await?;
            let latest = rows.first();
            let max_version: i64 = match latest {
                Some(r) => get(r, "version")?,
                None => 0,
            };
            let draft_id: Option<i64> = match latest {
                Some(r) if get::<String>(r, "status")? == "draft" => Some(get(r, "id")?),
                _ => None,
            };
            let live_row = rows.iter().find(|r| {
                matches!(
                    get::<String>(r, "status").as_deref(),
                    Ok("published") | Ok("retired")
                )
            });
            let live_doc: Option<ItemDoc> = live_row
                .map(|r| get::<String>(r, "doc"))
                .transpose()?
                .and_then(|d| serde_json::from_str(&d).ok());
            let live_status: Option<String> =
                live_row.map(|r| get::<String>(r, "status")).transpose()?;
            let live_id: Option<i64> = live_row.map(|r| get::<i64>(r, "id")).transpose()?;
            let doc_text = serde_json::to_string(&rec.doc)
                .map_err(|e| StoreError::Corrupt(format!("serialise: {e}")))?;
            match rec.status {
                ItemStatus::Draft => {
                    if let Some(id) = draft_id {
                        exec(
                            &txn,
                            "UPDATE item_versions SET doc = $1, name = $2, item_type = $3, updated_at = $4 WHERE id = $5",
                            vec![
                                doc_text.into(),
                                rec.doc.name.clone().into(),
                                rec.doc.item_type.as_str().into(),
                                now.into(),
                                id.into(),
                            ],
                        )
                        .await?;
                        report.drafts_updated += 1;
                    } else {
                        insert_version(
                            &txn,
                            dept,
                            &rec.doc,
                            max_version + 1,
                            ItemStatus::Draft,
                            actor,
                        )
                        .await?;
                        if max_version == 0 {
                            report.items_created += 1;
                        } else {
                            report.versions_created += 1;
                        }
                    }
                }
                status => {
                    if live_doc.as_ref() == Some(&rec.doc) {
                        if live_status.as_deref() == Some(rec.status.as_str()) {
                            report.unchanged += 1;
                        } else if let Some(id) = live_id {
                            // Same guide, other status: retire or republish it in place.
                            exec(
                                &txn,
                                "UPDATE item_versions SET status = $1, retired_at = $2 WHERE id = $3",
                                vec![
                                    rec.status.as_str().into(),
                                    (rec.status == ItemStatus::Retired).then_some(now).into(),
                                    id.into(),
                                ],
                            )
                            .await?;
                            report.status_changed += 1;
                        }
                        continue;
                    }
                    exec(
                        &txn,
                        "UPDATE item_versions SET status = 'superseded', retired_at = $1 WHERE impl_code = $2 AND status IN ('published', 'retired')",
                        vec![now.into(), code.into()],
                    )
                    .await?;
                    // A pending draft would sit below the new version: it is replaced.
                    if let Some(id) = draft_id {
                        exec(
                            &txn,
                            "DELETE FROM item_versions WHERE id = $1",
                            vec![id.into()],
                        )
                        .await?;
                    }
                    let id = insert_version(
                        &txn,
                        dept,
                        &rec.doc,
                        max_version + 1,
                        ItemStatus::Published,
                        actor,
                    )
                    .await?;
                    if status == ItemStatus::Retired {
                        exec(
                            &txn,
                            "UPDATE item_versions SET status = 'retired', retired_at = $1 WHERE id = $2",
                            vec![now.into(), id.into()],
                        )
                        .await?;
                    }
                    if max_version == 0 {
                        report.items_created += 1;
                    } else {
                        report.versions_created += 1;
                    }
                }
            }
        }
        bump_revision(&txn).await?;
        crate::trail::append(
            &txn,
            actor,
            "catalog.import",
            &format!("centre:{centre_id}"),
            serde_json::to_value(&report).unwrap_or_default(),
        )
        .await?;
        txn.commit().await?;
        Ok(report)
    }

    /// Exports departments and the current state of every item: its live
    /// version (published or retired) and its pending draft. `scope` limits
    /// it to a centre's subtree and, for a department-level user, one department.
    pub async fn export_catalog(&self, scope: &ExportScope) -> Result<CatalogFile> {
        let in_scope = |centre_path: &str, dept: i64| {
            scope
                .centre_path
                .as_deref()
                .is_none_or(|p| centre_path.starts_with(p))
                && scope.department_id.is_none_or(|d| d == dept)
        };
        let all = self.departments().await?;
        let ids: HashSet<i64> = all
            .iter()
            .filter(|d| in_scope(&d.centre_path, d.id))
            .map(|d| d.id)
            .collect();
        let departments = all
            .into_iter()
            .filter(|d| ids.contains(&d.id))
            .map(|d| DepartmentRecord {
                name: d.name,
                short_name: d.short_name,
                credit_code: d.credit_code,
                phone: d.phone,
                address: d.address,
            })
            .collect();
        let rows = query(
            self.conn(),
            "SELECT iv.status, iv.doc, d.credit_code, iv.department_id FROM item_versions iv JOIN departments d ON d.id = iv.department_id \
             WHERE iv.status IN ('published', 'retired', 'draft') ORDER BY iv.impl_code, iv.version",
            vec![],
        )
        .await?;
        let rows: Vec<_> = rows
            .into_iter()
            .filter(|r| get::<i64>(r, "department_id").is_ok_and(|d| ids.contains(&d)))
            .collect();
        let mut items = Vec::with_capacity(rows.len());
        for r in &rows {
            let status: String = get(r, "status")?;
            let doc: String = get(r, "doc")?;
            let code: String = get(r, "credit_code")?;
            items.push(ItemRecord {
                department: CreditCode::parse(&code)
                    .map_err(|e| StoreError::Corrupt(format!("{code}: {e}")))?,
                status: ItemStatus::parse(&status)
                    .ok_or_else(|| StoreError::Corrupt(status.clone()))?,
                doc: serde_json::from_str(&doc)
                    .map_err(|e| StoreError::Corrupt(format!("item document: {e}")))?,
            });
        }
        Ok(CatalogFile {
            format: FORMAT.to_string(),
            departments,
            items,
        })
    }
}
