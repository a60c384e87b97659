//! Defect 10: the weaker edges — the Origin of a state change must be this
//! site exactly (its scheme included), answers are not cached unless a
//! handler says so, the certificate QR code built from the Host header is
//! not cached publicly, and the session cookie is Secure whenever the site
//! is https.

use super::*;

/// An instance over `app`'s store with other settings.
async fn instance(app: &App, config: Config) -> Router {
    let state = AppState::new(app.store().clone(), config)
        .await
        .unwrap_or_else(|e| panic!("{}: instance: {e}", app.backend));
    router_at(&state, [127, 0, 0, 1])
}

fn signing_in(origin: Option<&str>, host: &str, password: &str) -> Request<Body> {
    let req = with_header(login_req("applicant", password), "host", host);
    match origin {
        Some(o) => with_header(req, "origin", o),
        None => req,
    }
}

/// The `tb_session` Set-Cookie of a sign-in.
fn session_set_cookie(b: &str, r: &Resp) -> String {
    r.set_cookies()
        .into_iter()
        .find(|c| c.starts_with("tb_session="))
        .unwrap_or_else(|| panic!("{b}: no session cookie in {:?}", r.set_cookies()))
}

fn is_secure(cookie: &str) -> bool {
    cookie
        .split(';')
        .any(|attr| attr.trim().eq_ignore_ascii_case("secure"))
}

#[tokio::test]
async fn the_origin_must_be_this_site_with_its_scheme() {
    for app in apps("hard_edges_origin").await {
        let b = app.backend.clone();
        // A plain-http server without a public URL: the site is http://localhost.
        for origin in [
            "https://localhost",
            "localhost",
            "ftp://localhost",
            "null",
            "http://evil.example",
            "http://localhost.evil.example",
            "http://localhost/path",
            "http://user@localhost",
        ] {
            let r = app.send(signing_in(Some(origin), HOST, PASSWORD)).await;
            assert_error(
                &b,
                &format!("Origin {origin:?}"),
                &r,
                StatusCode::FORBIDDEN,
                "csrf",
            );
        }
        // The login page's form too.
        let req = Request::builder()
            .method(Method::POST)
            .uri("/login")
            .header(header::HOST, HOST)
            .header(header::ORIGIN, "https://localhost")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "username=applicant&password={PASSWORD}"
            )))
            .expect("form");
        let r = app.send(req).await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{b}: the login form from another scheme"
        );
        assert!(
            session_cookie_pair(&r).is_none(),
            "{b}: no session from a refused sign-in"
        );
        // The site itself passes the check.
        let r = app
            .send(signing_in(Some("http://localhost"), HOST, PASSWORD))
            .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{b}: Origin http://localhost: {}",
            r.text()
        );
        let r = app.send(signing_in(None, HOST, PASSWORD)).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{b}: no Origin (not a browser): {}",
            r.text()
        );
        // A signed-in state change from another scheme is refused despite its CSRF token.
        let applicant = app.login("applicant").await;
        let req = with_header(
            api_req(
                Method::POST,
                "/api/v1/cases",
                Some(&applicant),
                Some(json!({"item": ITEM, "form": form()})),
            ),
            "origin",
            "https://localhost",
        );
        let r = app.send(req).await;
        assert_error(
            &b,
            "a command from https on http",
            &r,
            StatusCode::FORBIDDEN,
            "csrf",
        );
        let mine = app
            .api(
                Method::GET,
                "/api/v1/cases?view=mine",
                Some(&applicant),
                None,
            )
            .await
            .json(&b, "mine");
        assert_eq!(
            mine["cases"].as_array().map(Vec::len),
            Some(0),
            "{b}: nothing was created"
        );
        // Reading is not a state change: an Origin does not matter to a GET.
        let req = with_header(
            api_req(Method::GET, "/api/v1/session", Some(&applicant), None),
            "origin",
            "https://elsewhere.example",
        );
        assert_eq!(app.send(req).await.status, StatusCode::OK, "{b}");

        // Behind https (the public URL): only that origin.
        let public = instance(
            &app,
            Config {
                public_url: Some("https://tongban.example".into()),
                ..config("public")
            },
        )
        .await;
        let r = send_to(
            public.clone(),
            signing_in(Some("http://tongban.example"), "tongban.example", PASSWORD),
        )
        .await;
        assert_error(
            &b,
            "http origin on an https site",
            &r,
            StatusCode::FORBIDDEN,
            "csrf",
        );
        let r = send_to(
            public.clone(),
            signing_in(Some("https://localhost"), HOST, PASSWORD),
        )
        .await;
        assert_error(
            &b,
            "another host on an https site",
            &r,
            StatusCode::FORBIDDEN,
            "csrf",
        );
        let r = send_to(
            public.clone(),
            signing_in(Some("https://tongban.example"), "tongban.example", PASSWORD),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{b}: the public origin: {}",
            r.text()
        );
        // Secure cookies without a public URL: this host over https.
        let secure = instance(
            &app,
            Config {
                secure_cookies: true,
                ..config("secure")
            },
        )
        .await;
        let r = send_to(
            secure.clone(),
            signing_in(Some("http://localhost"), HOST, PASSWORD),
        )
        .await;
        assert_error(
            &b,
            "http origin with Secure cookies",
            &r,
            StatusCode::FORBIDDEN,
            "csrf",
        );
        let r = send_to(
            secure.clone(),
            signing_in(Some("https://localhost"), HOST, PASSWORD),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{b}: https://localhost with Secure cookies: {}",
            r.text()
        );
    }
}

#[tokio::test]
async fn answers_with_personal_data_are_not_stored_by_caches() {
    for app in apps("hard_edges_cache").await {
        let b = app.backend.clone();
        let applicant = app.login("applicant").await;
        let id = create(&app, &applicant).await;
        let r = app
            .send(api_req(
                Method::GET,
                "/api/v1/session",
                Some(&applicant),
                None,
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}");
        assert_eq!(
            r.header("cache-control").as_deref(),
            Some("no-store"),
            "{b}: GET /api/v1/session"
        );
        let r = app
            .send(api_req(
                Method::GET,
                &format!("/api/v1/cases/{id}"),
                Some(&applicant),
                None,
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}");
        assert_eq!(
            r.header("cache-control").as_deref(),
            Some("no-store"),
            "{b}: GET /api/v1/cases/{{id}}"
        );
        for page in [
            "/".to_string(),
            // A draft: its page is the check-your-answers page.
            format!("/cases/{id}/check"),
            "/login".to_string(),
        ] {
            let r = app.get_page(&page, Some(&applicant)).await;
            assert_eq!(r.status, StatusCode::OK, "{b}: {page}");
            assert_eq!(
                r.header("cache-control").as_deref(),
                Some("no-store"),
                "{b}: page {page}"
            );
        }
        // Errors too.
        let r = app
            .send(api_req(
                Method::GET,
                &format!("/api/v1/cases/{MISSING_ID}"),
                Some(&applicant),
                None,
            ))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{b}");
        assert_eq!(
            r.header("cache-control").as_deref(),
            Some("no-store"),
            "{b}: an error"
        );
        // A download says so itself.
        let file = uploaded(&app, &applicant, id, 0).await;
        let r = app
            .get_page(&format!("/files/{file}"), Some(&applicant))
            .await;
        let cc = r.header("cache-control").unwrap_or_default();
        assert!(cc.contains("no-store"), "{b}: a download: {cc}");
    }
}

#[tokio::test]
async fn the_qr_code_is_cached_publicly_only_when_the_public_url_is_set() {
    for app in apps("hard_edges_qr").await {
        let b = app.backend.clone();
        let lid = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U";
        let uri = format!("/verify/{lid}/qr.svg");
        let req = |host: &str| {
            Request::builder()
                .method(Method::GET)
                .uri(uri.as_str())
                .header(header::HOST, host)
                .body(Body::empty())
                .expect("request")
        };
        let r = app.send(req(HOST)).await;
        assert_eq!(r.status, StatusCode::OK, "{b}: {}", r.text());
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("image/svg+xml"),
            "{b}"
        );
        assert_eq!(
            r.header("cache-control").as_deref(),
            Some("private, no-store"),
            "{b}: built from the Host header, so no shared cache keeps it"
        );
        // Another Host gives another picture: that is why it must not be shared.
        let other = app.send(req("attacker.example")).await;
        assert_eq!(other.status, StatusCode::OK, "{b}");
        assert_ne!(
            other.body, r.body,
            "{b}: the QR code follows the Host header"
        );
        assert_eq!(
            other.header("cache-control").as_deref(),
            Some("private, no-store"),
            "{b}"
        );

        let public = instance(
            &app,
            Config {
                public_url: Some("https://tongban.example".into()),
                ..config("public")
            },
        )
        .await;
        let r1 = send_to(public.clone(), req(HOST)).await;
        let r2 = send_to(public.clone(), req("attacker.example")).await;
        assert_eq!(r1.status, StatusCode::OK, "{b}");
        assert_eq!(
            r1.header("cache-control").as_deref(),
            Some("public, max-age=86400"),
            "{b}"
        );
        assert_eq!(
            r1.body, r2.body,
            "{b}: with a public URL the Host header does not matter"
        );
    }
}

#[tokio::test]
async fn the_session_cookie_is_secure_whenever_the_site_is_https() {
    for app in apps("hard_edges_cookie").await {
        let b = app.backend.clone();
        let cases = [
            ("no public URL", None, false, false),
            (
                "an https public URL",
                Some("https://tongban.example"),
                false,
                true,
            ),
            (
                "an HTTPS public URL in capitals",
                Some("HTTPS://Tongban.Example/"),
                false,
                true,
            ),
            (
                "an http public URL",
                Some("http://tongban.example"),
                false,
                false,
            ),
            ("--secure-cookies", None, true, true),
        ];
        for (what, public_url, secure_cookies, want) in cases {
            let router = instance(
                &app,
                Config {
                    public_url: public_url.map(str::to_string),
                    secure_cookies,
                    ..config("cookie")
                },
            )
            .await;
            let r = send_to(router, signing_in(None, HOST, PASSWORD)).await;
            assert_eq!(r.status, StatusCode::OK, "{b}: {what}: {}", r.text());
            let cookie = session_set_cookie(&b, &r);
            assert_eq!(is_secure(&cookie), want, "{b}: {what}: {cookie}");
            assert!(cookie.contains("HttpOnly"), "{b}: {what}: {cookie}");
        }
        // The default instance of the tests (no public URL, no flag).
        let r = app.send(signing_in(None, HOST, PASSWORD)).await;
        assert!(!is_secure(&session_set_cookie(&b, &r)), "{b}: plain http");
    }
}
