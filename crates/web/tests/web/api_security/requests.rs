//! Request checks: CSRF on the API and on forms, the login rate limit, the
//! JSON error format with field details, and the session cookie's flags.

use super::*;

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
        let r = app.login_attempt("catalog", helpers::PASSWORD).await;
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
        let r = app.login_attempt("catalog", helpers::PASSWORD).await;
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
        let token = helpers::session_cookie_pair(&r).unwrap_or_else(|| panic!("{b}: cookie pair"));
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
