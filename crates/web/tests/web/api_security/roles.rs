//! The administration endpoints refuse every other role, and a department's
//! catalogue admin stays within the department; nothing changes on a refusal.

use super::*;

/// Everything the refused calls of [`admin_endpoints_refuse_other_roles`] could have changed.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    revision: i64,
    live_version: Option<String>,
    versions: Vec<String>,
    draft: Option<String>,
    smuggled_item_versions: usize,
    departments: Vec<String>,
    audit_runs: usize,
    finding: String,
    admin_items: usize,
}

impl Snapshot {
    async fn take(
        app: &App,
        live_code: &str,
        draft_id: i64,
        smuggled_code: &str,
        finding_id: i64,
    ) -> Self {
        let b = &app.backend;
        let s = app.store();
        let revision = s
            .catalog_revision()
            .await
            .unwrap_or_else(|e| panic!("{b}: catalog revision: {e}"));
        let live_version = s
            .published_item(live_code)
            .await
            .unwrap_or_else(|e| panic!("{b}: published item {live_code}: {e}"))
            .map(|i| {
                format!(
                    "{} v{} {} {}",
                    i.id,
                    i.version,
                    i.status.as_str(),
                    i.doc.name
                )
            });
        let versions = s
            .item_versions(live_code)
            .await
            .unwrap_or_else(|e| panic!("{b}: versions of {live_code}: {e}"))
            .into_iter()
            .map(|i| format!("{} v{} {}", i.id, i.version, i.status.as_str()))
            .collect();
        let draft = s
            .item_version(draft_id)
            .await
            .ok()
            .map(|i| format!("{} {} {}", i.status.as_str(), i.updated_at, i.doc.name));
        let smuggled_item_versions = s
            .item_versions(smuggled_code)
            .await
            .unwrap_or_else(|e| panic!("{b}: versions of {smuggled_code}: {e}"))
            .len();
        let departments = s
            .departments()
            .await
            .unwrap_or_else(|e| panic!("{b}: departments: {e}"))
            .into_iter()
            .map(|d| {
                format!(
                    "{}|{}|{}|{}|{}|{}",
                    d.id,
                    d.name,
                    d.short_name,
                    d.credit_code.as_str(),
                    d.phone,
                    d.address
                )
            })
            .collect();
        let f = s
            .finding(finding_id)
            .await
            .unwrap_or_else(|e| panic!("{b}: finding {finding_id}: {e}"));
        let finding = format!(
            "{} fixed_by={:?} verified_by={:?} note={}",
            f.status.as_str(),
            f.fixed_by,
            f.verified_by,
            f.fix_note
        );
        let admin_items = s
            .admin_items(&AdminFilter::default())
            .await
            .unwrap_or_else(|e| panic!("{b}: admin items: {e}"))
            .len();
        Snapshot {
            revision,
            live_version,
            versions,
            draft,
            smuggled_item_versions,
            departments,
            audit_runs: audit_run_count(app).await,
            finding,
            admin_items,
        }
    }
}

/// One administration endpoint with a body that would change something if accepted.
struct Endpoint {
    method: Method,
    uri: String,
    payload: Payload,
}

impl Endpoint {
    fn new(method: Method, uri: String, payload: Payload) -> Self {
        Endpoint {
            method,
            uri,
            payload,
        }
    }
    fn label(&self) -> String {
        format!("{} {}", self.method, self.uri)
    }
}

#[tokio::test]
async fn admin_endpoints_refuse_other_roles() {
    for app in apps("websec_roles").await {
        let b = app.backend.clone();
        let store = app.store();
        let live = published_named(&app, "企业设立登记").await;
        let draft = draft_named(&app, "托育机构备案").await;
        let wjw = department(&app, "卫健局").await;

        let today = NaiveDate::from_ymd_opt(2025, 6, 30).expect("date");
        let cal = WorkCalendar::builtin_with(&[]).expect("cal");
        store
            .run_audit("test", None, today, &cal)
            .await
            .unwrap_or_else(|e| panic!("{b}: audit: {e}"));
        let finding = store
            .findings(&FindingFilter::default())
            .await
            .unwrap_or_else(|e| panic!("{b}: findings: {e}"))
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("{b}: the demo catalogue has audit findings"));
        assert_eq!(
            finding.status.as_str(),
            "open",
            "{b}: a new finding is open"
        );

        // A brand-new item of 卫健局 (a valid document with a fresh 实施编码).
        let smuggled_code = format!("{}4060199001000", wjw.credit_code.as_str());
        let mut new_doc = serde_json::to_value(&draft.doc).expect("item document serialises");
        new_doc["name"] = json!("越权新建事项");
        new_doc["basic_code"] = json!("060199001000");
        new_doc["impl_code"] = json!(smuggled_code);
        let mut changed_draft = serde_json::to_value(&draft.doc).expect("item document serialises");
        changed_draft["name"] = json!("越权修改的草稿");
        let mut catalog: Value = serde_json::from_str(tongban_store::demo::DEMO_CATALOG)
            .expect("demo catalogue is JSON");
        catalog["departments"][0]["name"] = json!("越权导入改名的部门");
        let first17 = "91350100M000100Y4";
        let new_dept_code = format!(
            "{first17}{}",
            CreditCode::check_char_for(first17).expect("check character")
        );

        let endpoints = [
            Endpoint::new(
                Method::POST,
                "/api/v1/admin/items".into(),
                Payload::Json(json!({ "department_id": wjw.id, "doc": new_doc })),
            ),
            Endpoint::new(
                Method::PUT,
                format!("/api/v1/admin/items/{}", draft.id),
                Payload::Json(json!({ "doc": changed_draft, "updated_at": draft.updated_at })),
            ),
            Endpoint::new(
                Method::DELETE,
                format!("/api/v1/admin/items/{}", draft.id),
                Payload::None,
            ),
            Endpoint::new(
                Method::POST,
                format!("/api/v1/admin/items/{}/publish", draft.id),
                Payload::None,
            ),
            Endpoint::new(
                Method::POST,
                format!("/api/v1/admin/catalog/{}/versions", live.impl_code),
                Payload::None,
            ),
            Endpoint::new(
                Method::POST,
                format!("/api/v1/admin/catalog/{}/retire", live.impl_code),
                Payload::Json(json!({"reason": "职能调整"})),
            ),
            Endpoint::new(
                Method::POST,
                "/api/v1/admin/catalog/import".into(),
                Payload::Text(catalog.to_string()),
            ),
            Endpoint::new(
                Method::POST,
                "/api/v1/admin/departments".into(),
                Payload::Json(json!({
                    "name": "示范区越权新建局",
                    "short_name": "越权局",
                    "credit_code": new_dept_code,
                })),
            ),
            Endpoint::new(
                Method::PUT,
                format!("/api/v1/admin/departments/{}", wjw.id),
                Payload::Json(json!({
                    "name": "越权改名",
                    "short_name": "越权",
                    "credit_code": wjw.credit_code.as_str(),
                    "phone": wjw.phone,
                    "address": wjw.address,
                })),
            ),
            Endpoint::new(
                Method::POST,
                "/api/v1/admin/audit/runs".into(),
                Payload::None,
            ),
            Endpoint::new(
                Method::POST,
                format!("/api/v1/admin/audit/findings/{}/fix", finding.id),
                Payload::Json(json!({ "note": "越权整改" })),
            ),
            Endpoint::new(
                Method::POST,
                format!("/api/v1/admin/audit/findings/{}/verify", finding.id),
                Payload::None,
            ),
            Endpoint::new(Method::GET, "/api/v1/admin/items".into(), Payload::None),
            Endpoint::new(
                Method::GET,
                "/api/v1/admin/audit/findings".into(),
                Payload::None,
            ),
            Endpoint::new(
                Method::GET,
                "/api/v1/admin/catalog/export".into(),
                Payload::None,
            ),
        ];

        let before =
            Snapshot::take(&app, &live.impl_code, draft.id, &smuggled_code, finding.id).await;
        assert_eq!(
            before.smuggled_item_versions, 0,
            "{b}: the smuggled item does not exist yet"
        );
        assert!(before.draft.is_some(), "{b}: the demo draft exists");

        for ep in &endpoints {
            let r = app
                .send(api_request(ep.method.clone(), &ep.uri, None, &ep.payload))
                .await;
            assert_error(
                &b,
                &format!("anonymous {}", ep.label()),
                &r,
                StatusCode::UNAUTHORIZED,
                "unauthorized",
            );
        }
        for user in NON_ADMIN_USERS {
            let who = app.login(user).await;
            for ep in &endpoints {
                let r = app
                    .send(api_request(
                        ep.method.clone(),
                        &ep.uri,
                        Some(&who),
                        &ep.payload,
                    ))
                    .await;
                assert_error(
                    &b,
                    &format!("{user}: {}", ep.label()),
                    &r,
                    StatusCode::FORBIDDEN,
                    "forbidden",
                );
            }
        }

        let after =
            Snapshot::take(&app, &live.impl_code, draft.id, &smuggled_code, finding.id).await;
        assert_eq!(before, after, "{b}: refused calls changed nothing");
        let still_live = store
            .published_item(&live.impl_code)
            .await
            .unwrap_or_else(|e| panic!("{b}: published item: {e}"))
            .unwrap_or_else(|| panic!("{b}: {} is no longer published", live.impl_code));
        assert_eq!(
            still_live.id, live.id,
            "{b}: the same version is still live"
        );
        let dept_after = department(&app, "卫健局").await;
        assert_eq!(dept_after.name, wjw.name, "{b}: department name unchanged");
        let draft_after = store
            .item_version(draft.id)
            .await
            .unwrap_or_else(|e| panic!("{b}: the draft is gone: {e}"));
        assert_eq!(
            draft_after.status.as_str(),
            "draft",
            "{b}: the draft is still a draft"
        );
        assert_eq!(
            draft_after.updated_at, draft.updated_at,
            "{b}: the draft was not saved"
        );
    }
}

#[tokio::test]
async fn department_catalog_admin_is_limited_to_its_department() {
    for app in apps("websec_scope").await {
        let b = app.backend.clone();
        let wjw = department(&app, "卫健局").await;
        let birth = published_named(&app, "出生医学证明首次签发").await;
        let vaccination = published_named(&app, "预防接种证办理").await;
        let firm = published_named(&app, "企业设立登记").await;
        assert_eq!(
            birth.department_id, wjw.id,
            "{b}: {} belongs to 卫健局",
            birth.doc.name
        );
        assert_eq!(
            vaccination.department_id, wjw.id,
            "{b}: {} belongs to 卫健局",
            vaccination.doc.name
        );
        assert_ne!(
            firm.department_id, wjw.id,
            "{b}: 企业设立登记 belongs to another department"
        );

        let dept_admin = app.login("catalog_wjw").await;
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/admin/catalog/{}/versions", birth.impl_code),
                Some(&dept_admin),
                None,
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{b}: catalog_wjw new version of its own item: {}",
            r.text()
        );
        let v = r.json(&b, "new version");
        assert_eq!(
            v["status"].as_str(),
            Some("draft"),
            "{b}: a new version is a draft: {v}"
        );
        assert_eq!(
            v["version"].as_i64(),
            Some(birth.version + 1),
            "{b}: version number: {v}"
        );
        assert_eq!(
            v["department_id"].as_i64(),
            Some(wjw.id),
            "{b}: department: {v}"
        );

        let firm_versions = version_count(&app, &firm.impl_code).await;
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/admin/catalog/{}/versions", firm.impl_code),
                Some(&dept_admin),
                None,
            )
            .await;
        assert_error(
            &b,
            "catalog_wjw new version of 企业设立登记",
            &r,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/admin/catalog/{}/retire", firm.impl_code),
                Some(&dept_admin),
                Some(json!({"reason": "职能调整"})),
            )
            .await;
        assert_error(
            &b,
            "catalog_wjw retire 企业设立登记",
            &r,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        assert_eq!(
            version_count(&app, &firm.impl_code).await,
            firm_versions,
            "{b}: no version was added to 企业设立登记"
        );
        let firm_live = app
            .store()
            .published_item(&firm.impl_code)
            .await
            .unwrap_or_else(|e| panic!("{b}: published item: {e}"));
        assert_eq!(
            firm_live.map(|i| i.id),
            Some(firm.id),
            "{b}: 企业设立登记 is still live"
        );

        let centre_admin = app.login("catalog").await;
        for item in [&vaccination, &firm] {
            let r = app
                .api(
                    Method::POST,
                    &format!("/api/v1/admin/catalog/{}/versions", item.impl_code),
                    Some(&centre_admin),
                    None,
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::CREATED,
                "{b}: centre catalog admin new version of {}: {}",
                item.doc.name,
                r.text()
            );
            let v = r.json(&b, "new version");
            assert_eq!(
                v["department_id"].as_i64(),
                Some(item.department_id),
                "{b}: department: {v}"
            );
            assert_eq!(
                v["version"].as_i64(),
                Some(item.version + 1),
                "{b}: version number: {v}"
            );
        }
    }
}
