//! The API and its document are one: every documented operation is served,
//! nothing under `/api` is served that the document does not describe, and
//! every error under `/api` — a handler's, an extractor's, the router's —
//! is the documented JSON error in the caller's language.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

use crate::helpers::{App, apps, assert_error};

/// A value for a path parameter that parses whatever its type.
fn placeholder(name: &str) -> &'static str {
    match name {
        "date" => "2026-03-02",
        "year" => "2027",
        _ => "1",
    }
}

fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(a) = rest.find('{') {
        out.push_str(&rest[..a]);
        let b = rest[a..].find('}').map(|b| a + b).unwrap_or(rest.len() - 1);
        out.push_str(placeholder(&rest[a + 1..b]));
        rest = &rest[b + 1..];
    }
    out.push_str(rest);
    out
}

async fn answer(app: &App, method: Method, uri: &str) -> (StatusCode, String) {
    let r = app
        .send(
            Request::builder()
                .method(method)
                .uri(uri)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    (r.status, r.text())
}

#[tokio::test]
async fn every_documented_operation_is_served_and_nothing_else_under_api() {
    for app in apps("openapi_routes").await {
        let b = &app.backend;
        let (_, doc) = tongban_web::api();
        let mut operations = 0;
        for (path, item) in &doc.paths.paths {
            for (method, op) in [
                (Method::GET, &item.get),
                (Method::POST, &item.post),
                (Method::PUT, &item.put),
                (Method::DELETE, &item.delete),
            ] {
                if op.is_none() {
                    continue;
                }
                operations += 1;
                let (status, body) = answer(&app, method.clone(), &concrete(path)).await;
                assert!(
                    !body.contains("\"no_such_api\"") && status != StatusCode::METHOD_NOT_ALLOWED,
                    "{b}: documented {method} {path} is not served: {status} {body}"
                );
            }
        }
        assert!(operations > 60, "{b}: {operations} operations documented");
        // The calendar is part of the document now.
        assert!(
            doc.paths
                .paths
                .contains_key("/api/v1/calendar/add-workdays")
        );
        // No page is under /api (the page router refuses such paths).
        let pages = tongban_web::pages();
        assert!(pages.paths().len() > 50, "{b}");
        assert!(
            pages.paths().iter().all(|p| !p.starts_with("/api")),
            "{b}: {:?}",
            pages.paths()
        );
        // What is not documented is not served.
        let r = app
            .api(Method::GET, "/api/v1/no-such-thing", None, None)
            .await;
        assert_error(b, "unknown route", &r, StatusCode::NOT_FOUND, "no_such_api");
        let r = app.api(Method::DELETE, "/api/v1/items", None, None).await;
        let v = assert_error(
            b,
            "wrong method",
            &r,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        );
        assert!(
            r.header("allow").is_some_and(|a| a.contains("GET")),
            "{b}: 405 keeps its Allow header: {v}"
        );
    }
}

#[test]
fn pages_refuse_a_path_under_api() {
    let r = std::panic::catch_unwind(|| {
        tongban_web::chrome::Pages::new().route(
            "/api/v1/undocumented",
            axum::routing::get(|| async { "served but not described" }),
        )
    });
    assert!(
        r.is_err(),
        "an /api route can only be registered documented"
    );
}

#[tokio::test]
async fn every_error_under_api_is_the_json_error_in_the_callers_language() {
    for app in apps("openapi_errors").await {
        let b = &app.backend;
        let admin = app.login("catalog").await;
        // Malformed JSON.
        let req = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/admin/items")
            .header(header::COOKIE, admin.cookie.as_str())
            .header("x-csrf-token", admin.csrf.as_str())
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{not json"))
            .expect("request");
        let r = app.send(req).await;
        assert_error(
            b,
            "malformed JSON",
            &r,
            StatusCode::BAD_REQUEST,
            "bad_request",
        );
        // A field of the wrong type: the detail names it.
        let r = app
            .api(
                Method::POST,
                "/api/v1/progress",
                None,
                Some(json!({"case_no": 12, "code": "x"})),
            )
            .await;
        let v = assert_error(
            b,
            "wrong type",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        assert!(v.to_string().contains("case_no"), "{b}: {v}");
        // Not JSON at all.
        let req = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/progress")
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from("case"))
            .expect("request");
        let r = app.send(req).await;
        assert_error(
            b,
            "wrong content type",
            &r,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        );
        // A path value of the wrong type.
        let r = app
            .api(Method::GET, "/api/v1/cases/abc", Some(&admin), None)
            .await;
        assert_error(
            b,
            "bad path value",
            &r,
            StatusCode::BAD_REQUEST,
            "bad_request",
        );
        // A query value of the wrong type.
        let r = app
            .api(
                Method::GET,
                "/api/v1/calendar/add-workdays?from=2026-03-02&days=many",
                None,
                None,
            )
            .await;
        assert_error(
            b,
            "bad query value",
            &r,
            StatusCode::BAD_REQUEST,
            "bad_request",
        );
        // A body over the limit.
        let big = "x".repeat(21 * 1024 * 1024);
        let req = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/admin/catalog/import")
            .header(header::COOKIE, admin.cookie.as_str())
            .header("x-csrf-token", admin.csrf.as_str())
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(big))
            .expect("request");
        let r = app.send(req).await;
        assert_error(
            b,
            "body too large",
            &r,
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        );
        // A JSON body over 2 MB (signed in, far below the 20 MB of uploads).
        let three_mb = format!("{{\"name\": \"{}\"}}", "x".repeat(3 * 1024 * 1024));
        let req = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/admin/items")
            .header(header::COOKIE, admin.cookie.as_str())
            .header("x-csrf-token", admin.csrf.as_str())
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(three_mb))
            .expect("request");
        let r = app.send(req).await;
        assert_error(
            b,
            "a 3 MB JSON body",
            &r,
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        );
        // In English for an English reader, a handler's error and the router's.
        let english = |uri: &str| {
            Request::builder()
                .method(Method::GET)
                .uri(uri)
                .header(header::COOKIE, "tb_lang=en")
                .body(Body::empty())
                .expect("request")
        };
        let r = app.send(english("/api/v1/items/000000000000")).await;
        let v = assert_error(b, "unknown item", &r, StatusCode::NOT_FOUND, "not_found");
        let m = v["error"]["message"].as_str().unwrap_or_default();
        assert!(m.is_ascii(), "{b}: English message: {m}");
        let r = app
            .api(Method::GET, "/api/v1/items/000000000000", None, None)
            .await;
        let v = assert_error(b, "unknown item", &r, StatusCode::NOT_FOUND, "not_found");
        assert_eq!(
            v["error"]["message"].as_str(),
            Some("未找到事项 000000000000"),
            "{b}: the object named in Chinese: {v}"
        );
        let r = app.send(english("/api/v1/nothing-here")).await;
        let v = assert_error(b, "unknown route", &r, StatusCode::NOT_FOUND, "no_such_api");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .starts_with("no such API"),
            "{b}: {v}"
        );
        let r = app
            .api(Method::GET, "/api/v1/nothing-here", None, None)
            .await;
        let v = assert_error(b, "unknown route", &r, StatusCode::NOT_FOUND, "no_such_api");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .starts_with("没有这个接口"),
            "{b}: Chinese first: {v}"
        );
        // Pages keep their own error pages.
        let r = app.get_page("/no-such-page", None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{b}");
        assert!(
            !r.header("content-type")
                .unwrap_or_default()
                .starts_with("application/json"),
            "{b}"
        );
    }
}

#[tokio::test]
async fn the_document_states_the_text_rule_of_request_strings() {
    for app in apps("openapi_text_rule").await {
        let b = &app.backend;
        let r = app.api(Method::GET, "/api/openapi.json", None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{b}");
        let doc = r.json(b, "the document");
        let password = &doc["components"]["schemas"]["LoginRequest"]["properties"]["password"];
        assert_eq!(
            password["pattern"].as_str(),
            Some(tongban_web::openapi::TEXT_PATTERN),
            "{b}: {password}"
        );
        assert_eq!(password["maxLength"], 20_000, "{b}");
        // A field's own limit is kept.
        let key = &doc["components"]["schemas"]["StartRequest"]["properties"]["client_key"];
        assert_eq!(key["maxLength"], 100, "{b}: {key}");
        // And the server holds to it: a control character is refused, naming the field.
        let r = app
            .api(
                Method::POST,
                "/api/v1/session",
                None,
                Some(serde_json::json!({"username": "applicant", "password": "a\u{202E}b"})),
            )
            .await;
        let v = assert_error(
            b,
            "bidi in a password",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        assert_eq!(v["error"]["details"][0]["field"], "password", "{b}: {v}");
    }
}

/// Two capabilities must not name different schemas alike: the merged
/// document would keep one of them and describe the other's responses
/// wrongly (schemathesis found `IndicatorView` twice).
#[test]
fn no_two_capabilities_name_different_schemas_alike() {
    use std::collections::BTreeMap;
    use tongban_web as w;
    let parts: Vec<(&str, utoipa_axum::router::OpenApiRouter<w::AppState>)> = vec![
        ("catalog", w::catalog::api()),
        ("guide_audit", w::guide_audit::api()),
        ("accounts", w::accounts::api()),
        ("cases", w::cases::api()),
        ("notices", w::notices::api()),
        ("inquiries", w::inquiries::api()),
        ("ratings", w::ratings::api()),
        ("experience", w::experience::api()),
        ("indicators", w::indicators::api()),
        ("bundles", w::bundles::api()),
        ("shared_data", w::shared_data::api()),
        ("certificates", w::certificates::api()),
        ("calendar", w::calendar::api()),
    ];
    let mut seen: BTreeMap<String, (&str, String)> = BTreeMap::new();
    let mut clashes = Vec::new();
    for (module, router) in parts {
        let (_, doc) = router.split_for_parts();
        let schemas = doc.components.map(|c| c.schemas).unwrap_or_default();
        for (name, schema) in schemas {
            let text = serde_json::to_string(&schema).unwrap_or_default();
            match seen.get(&name) {
                Some((other, t)) if *t != text => {
                    clashes.push(format!("{name}: {other} and {module}"));
                }
                Some(_) => {}
                None => {
                    seen.insert(name, (module, text));
                }
            }
        }
    }
    assert!(seen.len() > 50, "the schemas are collected: {}", seen.len());
    assert!(clashes.is_empty(), "schema names used twice: {clashes:?}");
}
