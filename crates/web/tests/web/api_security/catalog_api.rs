//! A catalogue admin edits, versions and publishes items through the API,
//! and search follows.

use super::*;

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
