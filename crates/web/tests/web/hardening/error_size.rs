//! Defect 6: small requests get small error replies — anonymous bodies are
//! bounded (64 KB), and an error lists at most 50 details plus one counting
//! the rest.

use super::*;

/// A sign-in body of about `size` bytes.
fn big_login(size: usize) -> String {
    json!({"username": "x".repeat(size), "password": "y"}).to_string()
}

#[tokio::test]
async fn anonymous_bodies_are_bounded() {
    for app in apps("hard_body_limit").await {
        let b = app.backend.clone();
        let body = big_login(100 * 1024);
        // With its length declared ...
        let req = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/session")
            .header(header::HOST, HOST)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, body.len().to_string())
            .body(Body::from(body.clone()))
            .expect("request");
        let r = app.send(req).await;
        assert_error(
            &b,
            "100 KB sign-in",
            &r,
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        );
        assert!(
            r.body.len() < 4 * 1024,
            "{b}: a {} byte reply",
            r.body.len()
        );
        // ... and without (the body is cut off where the limit is).
        let req = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/session")
            .header(header::HOST, HOST)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.clone()))
            .expect("request");
        let r = app.send(req).await;
        assert_error(
            &b,
            "100 KB sign-in without a length",
            &r,
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        );
        // The same for the progress lookup.
        let lookup = json!({"case_no": "x".repeat(100 * 1024), "code": "ABCD1234"}).to_string();
        let req = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/progress")
            .header(header::HOST, HOST)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, lookup.len().to_string())
            .body(Body::from(lookup))
            .expect("request");
        let r = app.send(req).await;
        assert_error(
            &b,
            "100 KB lookup",
            &r,
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        );
        // A small anonymous body still reaches the handler.
        let r = app.send(login_req("applicant", "wrong")).await;
        assert_error(
            &b,
            "small sign-in",
            &r,
            StatusCode::UNAUTHORIZED,
            "bad_credentials",
        );
        // A signed-in caller may send more than 64 KB (uploads, long forms).
        let applicant = app.login("applicant").await;
        let id = create(&app, &applicant).await;
        let mut big = b"%PDF-1.4\n".to_vec();
        big.resize(200 * 1024, b' ');
        let r = upload_named(&app, &applicant, id, 0, "big.pdf", &big).await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{b}: a 200 KB upload: {}",
            r.text()
        );
    }
}

#[tokio::test]
async fn an_error_lists_at_most_fifty_details_and_counts_the_rest() {
    for app in apps("hard_error_size").await {
        let b = app.backend.clone();
        let applicant = app.login("applicant").await;
        let mut f = form();
        for i in 0..5000 {
            f[format!("unknown_{i:04}")] = json!("x");
        }
        let r = create_with(&app, &applicant, json!({"form": f})).await;
        let v = assert_error(
            &b,
            "5000 unknown keys",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        let details = v["error"]["details"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(details.len() <= 51, "{b}: {} details", details.len());
        assert_eq!(
            details.len(),
            51,
            "{b}: 50 listed and one counting the rest"
        );
        let last = details.last().expect("details");
        assert_eq!(
            last["code"], "more",
            "{b}: the last detail counts the rest: {last}"
        );
        assert!(
            last.to_string().contains("4950"),
            "{b}: it says how many were left out: {last}"
        );
        assert!(
            details[..50].iter().all(|d| d["code"] == "unknown"),
            "{b}: the listed ones are the unknown keys"
        );
        assert!(
            r.body.len() < 64 * 1024,
            "{b}: a {} byte reply",
            r.body.len()
        );
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| m.chars().count() <= 1000),
            "{b}: the message names a few problems, not all: {}",
            v["error"]["message"]
        );
        // A long unknown key is clipped where it is echoed.
        let mut f = form();
        f["k".repeat(10_000)] = json!("x");
        let r = create_with(&app, &applicant, json!({"form": f})).await;
        let v = assert_error(
            &b,
            "a long key",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        assert!(
            r.body.len() < 8 * 1024,
            "{b}: a {} byte reply to one long key",
            r.body.len()
        );
        assert_eq!(
            v["error"]["details"].as_array().map(Vec::len),
            Some(1),
            "{b}"
        );
        // Nothing was created.
        let mine = app
            .api(
                Method::GET,
                "/api/v1/cases?view=mine",
                Some(&applicant),
                None,
            )
            .await
            .json(&b, "mine");
        assert_eq!(mine["cases"].as_array().map(Vec::len), Some(0), "{b}");
    }
}
