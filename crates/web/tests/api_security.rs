//! Security of the JSON API, through the real router on every backend:
//! role and department checks of the administration endpoints, optimistic
//! locking, CSRF, the login rate limit, the error format and the session cookie.

mod common;

use axum::http::{Method, StatusCode};
use chrono::NaiveDate;
use serde_json::{Value, json};
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::codes::CreditCode;
use tongban_store::audit::FindingFilter;
use tongban_store::catalog::{AdminFilter, Department, ItemVersion};

use common::{App, Login, NON_ADMIN_USERS, Payload, api_request, apps, assert_error, pct};

async fn published_named(app: &App, name: &str) -> ItemVersion {
    let b = &app.backend;
    app.store()
        .published_items()
        .await
        .unwrap_or_else(|e| panic!("{b}: published items: {e}"))
        .into_iter()
        .find(|i| i.doc.name == name)
        .unwrap_or_else(|| panic!("{b}: demo item {name} is not published"))
}

async fn draft_named(app: &App, name: &str) -> ItemVersion {
    let b = &app.backend;
    app.store()
        .draft_items()
        .await
        .unwrap_or_else(|e| panic!("{b}: draft items: {e}"))
        .into_iter()
        .find(|i| i.doc.name == name)
        .unwrap_or_else(|| panic!("{b}: demo draft {name} missing"))
}

async fn department(app: &App, short_name: &str) -> Department {
    let b = &app.backend;
    app.store()
        .departments()
        .await
        .unwrap_or_else(|e| panic!("{b}: departments: {e}"))
        .into_iter()
        .find(|d| d.short_name == short_name)
        .unwrap_or_else(|| panic!("{b}: demo department {short_name} missing"))
}

async fn version_count(app: &App, impl_code: &str) -> usize {
    let b = &app.backend;
    app.store()
        .item_versions(impl_code)
        .await
        .unwrap_or_else(|e| panic!("{b}: versions of {impl_code}: {e}"))
        .len()
}

async fn audit_run_count(app: &App) -> usize {
    let b = &app.backend;
    app.store()
        .audit_runs(1000)
        .await
        .unwrap_or_else(|e| panic!("{b}: audit runs: {e}"))
        .len()
}

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
                Payload::None,
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
                None,
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

/// Search hits of `GET /api/v1/items?q=...` as (code, name).
async fn search_hits(app: &App, q: &str) -> Vec<(String, String)> {
    let b = &app.backend;
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/items?q={}", pct(q)),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{b}: search {q}: {}", r.text());
    let v = r.json(b, "search");
    v["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{b}: search {q}: no items array in {v}"))
        .iter()
        .map(|h| {
            (
                h["code"].as_str().unwrap_or_default().to_string(),
                h["name"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn catalog_admin_edits_and_publishes_through_the_api() {
    for app in apps("websec_happy").await {
        let b = app.backend.clone();
        let item = published_named(&app, "食品经营许可").await;
        let code = item.impl_code.clone();
        let admin = app.login("catalog").await;

        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/admin/catalog/{code}/versions"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{b}: new version: {}",
            r.text()
        );
        let draft = r.json(&b, "new version");
        assert_eq!(
            draft["status"].as_str(),
            Some("draft"),
            "{b}: new version is a draft: {draft}"
        );
        let id = draft["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("{b}: draft id in {draft}"));
        let read_at = draft["updated_at"]
            .as_i64()
            .unwrap_or_else(|| panic!("{b}: draft updated_at in {draft}"));
        let old_name = draft["doc"]["name"]
            .as_str()
            .unwrap_or_else(|| panic!("{b}: draft name in {draft}"))
            .to_string();
        let new_name = format!("{old_name}（熊猫）");
        let mut doc = draft["doc"].clone();
        doc["name"] = json!(new_name);

        let r = app
            .api(
                Method::PUT,
                &format!("/api/v1/admin/items/{id}"),
                Some(&admin),
                Some(json!({ "doc": doc, "updated_at": read_at })),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: save draft: {}", r.text());
        let saved = r.json(&b, "save draft");
        assert_eq!(
            saved["doc"]["name"].as_str(),
            Some(new_name.as_str()),
            "{b}: saved name: {saved}"
        );
        assert_ne!(
            saved["updated_at"].as_i64(),
            Some(read_at),
            "{b}: updated_at moves on save"
        );

        let mut stale = doc.clone();
        stale["name"] = json!(format!("{old_name}（过期）"));
        let r = app
            .api(
                Method::PUT,
                &format!("/api/v1/admin/items/{id}"),
                Some(&admin),
                Some(json!({ "doc": stale, "updated_at": read_at })),
            )
            .await;
        assert_error(
            &b,
            "save with a stale updated_at",
            &r,
            StatusCode::CONFLICT,
            "conflict",
        );
        let stored = app
            .store()
            .item_version(id)
            .await
            .unwrap_or_else(|e| panic!("{b}: draft {id}: {e}"));
        assert_eq!(
            stored.doc.name, new_name,
            "{b}: the stale save did not overwrite"
        );

        let before_publish = search_hits(&app, "熊猫").await;
        assert!(
            !before_publish.iter().any(|(c, _)| *c == code),
            "{b}: a draft is not searchable: {before_publish:?}"
        );
        let r = app
            .api(Method::GET, &format!("/api/v1/items/{code}"), None, None)
            .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{b}: public item before publish: {}",
            r.text()
        );
        let v = r.json(&b, "public item");
        assert_eq!(
            v["doc"]["name"].as_str(),
            Some(old_name.as_str()),
            "{b}: public sees the live version: {v}"
        );

        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/admin/items/{id}/publish"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: publish: {}", r.text());
        let published = r.json(&b, "publish");
        assert_eq!(
            published["status"].as_str(),
            Some("published"),
            "{b}: published: {published}"
        );

        let r = app
            .api(Method::GET, &format!("/api/v1/items/{code}"), None, None)
            .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{b}: public item after publish: {}",
            r.text()
        );
        let v = r.json(&b, "public item");
        assert_eq!(
            v["doc"]["name"].as_str(),
            Some(new_name.as_str()),
            "{b}: public sees the new name: {v}"
        );
        assert_eq!(
            v["version"].as_i64(),
            Some(item.version + 1),
            "{b}: public sees the new version: {v}"
        );
        assert_eq!(
            v["id"].as_i64(),
            Some(id),
            "{b}: the published version is the draft: {v}"
        );

        let hits = search_hits(&app, "熊猫").await;
        assert!(
            hits.iter().any(|(c, n)| *c == code && *n == new_name),
            "{b}: search finds the new name after publishing: {hits:?}"
        );
    }
}

#[tokio::test]
async fn csrf_is_enforced_on_api_and_forms() {
    for app in apps("websec_csrf").await {
        let b = app.backend.clone();
        let admin = app.login("catalog").await;
        let runs = audit_run_count(&app).await;
        let uri = "/api/v1/admin/audit/runs";

        let no_token = Login {
            csrf: String::new(),
            ..admin.clone()
        };
        let req = axum::http::Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(axum::http::header::COOKIE, admin.cookie.as_str())
            .body(axum::body::Body::empty())
            .expect("request builds");
        let r = app.send(req).await;
        assert_error(
            &b,
            "POST without x-csrf-token",
            &r,
            StatusCode::FORBIDDEN,
            "csrf",
        );
        let r = app.api(Method::POST, uri, Some(&no_token), None).await;
        assert_error(
            &b,
            "POST with an empty x-csrf-token",
            &r,
            StatusCode::FORBIDDEN,
            "csrf",
        );

        let wrong = Login {
            csrf: format!(
                "{}{}",
                if admin.csrf.starts_with('0') {
                    '1'
                } else {
                    '0'
                },
                &admin.csrf[1..]
            ),
            ..admin.clone()
        };
        assert_ne!(wrong.csrf, admin.csrf);
        let r = app.api(Method::POST, uri, Some(&wrong), None).await;
        assert_error(
            &b,
            "POST with a wrong x-csrf-token",
            &r,
            StatusCode::FORBIDDEN,
            "csrf",
        );

        let mut req = api_request(Method::POST, uri, Some(&admin), &Payload::None);
        req.headers_mut().insert(
            axum::http::header::ORIGIN,
            axum::http::HeaderValue::from_static("http://evil.example"),
        );
        let r = app.send(req).await;
        assert_error(
            &b,
            "POST from another origin",
            &r,
            StatusCode::FORBIDDEN,
            "csrf",
        );
        assert_eq!(
            audit_run_count(&app).await,
            runs,
            "{b}: refused API posts ran no audit"
        );

        // The same call with the right token works: the refusals above were the CSRF check.
        let r = app.api(Method::POST, uri, Some(&admin), None).await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{b}: POST with the right token: {}",
            r.text()
        );
        assert_eq!(
            audit_run_count(&app).await,
            runs + 1,
            "{b}: the accepted post ran the audit"
        );

        // Form posts check their `csrf` field.
        let runs = audit_run_count(&app).await;
        let r = app
            .post_form(
                "/admin/audit/run",
                &admin,
                &format!("csrf={}", pct(&wrong.csrf)),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{b}: form post with a wrong csrf field: {}",
            r.text()
        );
        let r = app.post_form("/admin/audit/run", &admin, "").await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{b}: form post without a csrf field: {}",
            r.text()
        );
        assert_eq!(
            audit_run_count(&app).await,
            runs,
            "{b}: refused form posts ran no audit"
        );

        let r = app
            .post_form(
                "/admin/audit/run",
                &admin,
                &format!("csrf={}", pct(&admin.csrf)),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "{b}: form post with the right csrf: {}",
            r.text()
        );
        assert_eq!(
            audit_run_count(&app).await,
            runs + 1,
            "{b}: the accepted form post ran the audit"
        );
    }
}

#[tokio::test]
async fn login_is_rate_limited() {
    for app in apps("websec_ratelimit").await {
        let b = app.backend.clone();
        for attempt in 1..=5 {
            let r = app.login_attempt("catalog", "wrong-password").await;
            assert_error(
                &b,
                &format!("wrong password, attempt {attempt}"),
                &r,
                StatusCode::UNAUTHORIZED,
                "bad_credentials",
            );
            assert!(
                r.set_cookies().is_empty(),
                "{b}: a failed sign-in sets no cookie"
            );
        }
        let r = app.login_attempt("catalog", common::PASSWORD).await;
        assert_error(
            &b,
            "sixth attempt with the right password",
            &r,
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
        );
        assert!(
            r.set_cookies().is_empty(),
            "{b}: a rate-limited sign-in sets no cookie"
        );
        // The limit is per user name: another account still signs in.
        app.login("supervisor").await;
    }
}

#[tokio::test]
async fn errors_are_json_with_field_details() {
    for app in apps("websec_errors").await {
        let b = app.backend.clone();
        let departments_before = app
            .store()
            .departments()
            .await
            .unwrap_or_else(|e| panic!("{b}: departments: {e}"))
            .len();

        let sysadmin = app.login("admin").await;
        let r = app
            .api(
                Method::POST,
                "/api/v1/admin/departments",
                Some(&sysadmin),
                Some(json!({
                    "name": "示范区测试局",
                    "short_name": "测试局",
                    "credit_code": "91350100M000100Y4Z",
                })),
            )
            .await;
        let v = assert_error(
            &b,
            "department with a bad credit code",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        assert_eq!(
            v["error"]["details"][0]["field"].as_str(),
            Some("credit_code"),
            "{b}: the detail names the field: {v}"
        );
        for key in ["code", "message_zh", "message_en"] {
            assert!(
                v["error"]["details"][0][key]
                    .as_str()
                    .is_some_and(|s| !s.is_empty()),
                "{b}: detail has {key}: {v}"
            );
        }
        let departments_after = app
            .store()
            .departments()
            .await
            .unwrap_or_else(|e| panic!("{b}: departments: {e}"))
            .len();
        assert_eq!(
            departments_after, departments_before,
            "{b}: no department was created"
        );

        let r = app.api(Method::GET, "/api/v1/items/NOPE", None, None).await;
        assert_error(
            &b,
            "GET an unknown item",
            &r,
            StatusCode::NOT_FOUND,
            "not_found",
        );

        let draft = draft_named(&app, "托育机构备案").await;
        let admin = app.login("catalog").await;
        let mut doc = serde_json::to_value(&draft.doc).expect("item document serialises");
        doc["materials"] = json!([{ "name": "x", "material_type": 7 }]);
        let r = app
            .api(
                Method::PUT,
                &format!("/api/v1/admin/items/{}", draft.id),
                Some(&admin),
                Some(json!({ "doc": doc, "updated_at": draft.updated_at })),
            )
            .await;
        let v = assert_error(
            &b,
            "draft with a malformed material",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        let field = v["error"]["details"][0]["field"]
            .as_str()
            .unwrap_or_default();
        assert!(
            field.contains("materials"),
            "{b}: the detail's path names materials: {v}"
        );
        let stored = app
            .store()
            .item_version(draft.id)
            .await
            .unwrap_or_else(|e| panic!("{b}: draft: {e}"));
        assert_eq!(
            stored.updated_at, draft.updated_at,
            "{b}: the bad document was not saved"
        );
    }
}

#[tokio::test]
async fn session_cookie_is_http_only_and_same_site_lax() {
    for app in apps("websec_cookie").await {
        let b = app.backend.clone();
        let r = app.login_attempt("catalog", common::PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK, "{b}: sign in: {}", r.text());
        let cookie = r
            .set_cookies()
            .into_iter()
            .find(|c| c.starts_with("tb_session="))
            .unwrap_or_else(|| panic!("{b}: no tb_session cookie in {:?}", r.set_cookies()));
        let attrs: Vec<String> = cookie
            .split(';')
            .map(|a| a.trim().to_ascii_lowercase())
            .collect();
        assert!(
            attrs.iter().any(|a| a == "httponly"),
            "{b}: HttpOnly in {cookie}"
        );
        assert!(
            attrs.iter().any(|a| a == "samesite=lax"),
            "{b}: SameSite=Lax in {cookie}"
        );
        assert!(
            attrs.iter().any(|a| a == "path=/"),
            "{b}: Path=/ in {cookie}"
        );

        // The cookie is a working session and the body never echoes its token.
        let token = common::session_cookie_pair(&r).unwrap_or_else(|| panic!("{b}: cookie pair"));
        assert!(
            !r.text().contains(&token["tb_session=".len()..]),
            "{b}: the body does not carry the session token"
        );
        let who = Login {
            username: "catalog".into(),
            cookie: token,
            csrf: String::new(),
        };
        let r = app
            .api(Method::GET, "/api/v1/session", Some(&who), None)
            .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{b}: whoami with the cookie: {}",
            r.text()
        );
        let v = r.json(&b, "whoami");
        assert_eq!(v["username"].as_str(), Some("catalog"), "{b}: whoami: {v}");
    }
}
