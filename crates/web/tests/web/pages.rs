//! Server-rendered pages and service endpoints through the real router on
//! every backend: the admin pages need a staff session, OpenAPI and health answer.

use axum::http::{Method, StatusCode};

use crate::helpers;
use crate::helpers::apps;

#[tokio::test]
async fn admin_pages_need_a_staff_session() {
    for app in apps("webpages_admin").await {
        let b = app.backend.clone();

        let r = app.get_page("/admin", None).await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "{b}: anonymous GET /admin: {}",
            r.text()
        );
        let location = r.header("location").unwrap_or_default();
        assert!(
            location.starts_with("/login?next=") && location.contains("admin"),
            "{b}: anonymous GET /admin redirects to the login page with next: {location:?}"
        );

        let applicant = app.login("applicant").await;
        let r = app.get_page("/admin", Some(&applicant)).await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{b}: applicant GET /admin: {}",
            r.text()
        );
        assert!(
            r.header("content-type")
                .unwrap_or_default()
                .starts_with("text/html"),
            "{b}: the refusal is a page: {:?}",
            r.header("content-type")
        );
        assert!(
            !r.text().contains("企业设立登记"),
            "{b}: the refusal page lists no catalogue items"
        );

        let clerk = app.login("clerk").await;
        let r = app.get_page("/admin", Some(&clerk)).await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{b}: clerk GET /admin: {}",
            r.text()
        );

        // A catalogue admin does get the page: the refusals above are about the role.
        let catalog = app.login("catalog").await;
        let r = app.get_page("/admin", Some(&catalog)).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{b}: catalog GET /admin: {}",
            r.text()
        );
        assert!(
            r.text().contains("企业设立登记"),
            "{b}: the admin list shows the catalogue"
        );
    }
}

#[tokio::test]
async fn openapi_and_health_answer() {
    for app in apps("webpages_service").await {
        let b = app.backend.clone();

        let r = app.api(Method::GET, "/api/openapi.json", None, None).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{b}: GET /api/openapi.json: {}",
            r.text()
        );
        assert!(
            r.header("content-type")
                .unwrap_or_default()
                .starts_with("application/json"),
            "{b}: OpenAPI content-type {:?}",
            r.header("content-type")
        );
        let v = r.json(&b, "openapi");
        assert!(
            v["paths"].get("/api/v1/items").is_some(),
            "{b}: OpenAPI documents /api/v1/items: {:?}",
            v["paths"]
                .as_object()
                .map(|m| m.keys().cloned().collect::<Vec<_>>())
        );
        assert!(
            v["paths"].get("/api/v1/admin/items/{id}/publish").is_some(),
            "{b}: OpenAPI documents the admin endpoints"
        );

        let r = app.api(Method::GET, "/healthz", None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{b}: GET /healthz: {}", r.text());
        assert_eq!(r.text(), "ok", "{b}: health body");
        assert_eq!(
            r.header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{b}: security headers are set"
        );
        assert_eq!(
            r.header("x-frame-options").as_deref(),
            Some("DENY"),
            "{b}: framing is denied"
        );
    }
}

#[tokio::test]
async fn search_form_defaults_huge_offsets_and_redirects_are_safe() {
    for app in helpers::apps("pages_safety").await {
        let b = app.backend.clone();
        // The results page's form sends empty filters for "all".
        let r = app
            .get_page(
                "/items?q=%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7&department=&type=&object=",
                None,
            )
            .await;
        assert_eq!(r.status, axum::http::StatusCode::OK, "{b}: {}", r.text());
        assert!(r.text().contains("企业设立登记"), "{b}");
        // Deep offsets are bounded, not allocated.
        let r = app
            .get_page("/api/v1/items?q=x&offset=10000000000000000", None)
            .await;
        assert_eq!(r.status, axum::http::StatusCode::OK, "{b}");
        // Only local paths are followed after a language switch.
        for next in [
            "/%09/evil.example",
            "//evil.example",
            "https://evil.example",
        ] {
            let r = app.get_page(&format!("/lang/en?next={next}"), None).await;
            assert_eq!(r.header("location").as_deref(), Some("/"), "{b}: {next}");
        }
        let r = app.get_page("/lang/en?next=/items", None).await;
        assert_eq!(r.header("location").as_deref(), Some("/items"), "{b}");
    }
}
