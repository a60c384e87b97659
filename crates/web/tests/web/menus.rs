//! Day one: every demo account signs in on the login page, lands on its own
//! work, and every link of its menu opens (no 403, no 404); the menus offer
//! no other role's administration.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};

use crate::helpers::{App, Login, PASSWORD, apps};

const DEMO_USERS: &[(&str, &str)] = &[
    ("applicant", "/"),
    ("clerk", "/work"),
    ("reviewer", "/work"),
    ("head", "/work"),
    ("reviewer_scj", "/work"),
    ("head_ga", "/work"),
    ("concierge", "/projects"),
    ("enterprise", "/"),
    ("reviewer_zj", "/work"),
    ("head_zr", "/work"),
    ("catalog", "/admin"),
    ("catalog_wjw", "/admin"),
    ("supervisor", "/work"),
    ("officer", "/officer"),
    ("admin", "/admin/users"),
];

/// The login form's redirect: where the user lands.
async fn lands_on(app: &App, username: &str) -> String {
    let req = Request::builder()
        .method(Method::POST)
        .uri("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "username={username}&password={PASSWORD}&next="
        )))
        .expect("login form builds");
    let r = app.send(req).await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "{}: sign in as {username}: {}",
        app.backend,
        r.text()
    );
    r.header("location").unwrap_or_default()
}

/// The `href`s of the page's menu (`<nav>` … `</nav>`), in order.
fn menu_links(page: &str) -> Vec<String> {
    let nav = page
        .split("<nav>")
        .nth(1)
        .and_then(|n| n.split("</nav>").next())
        .unwrap_or_default();
    nav.split("<a href=\"")
        .skip(1)
        .filter_map(|a| a.split('"').next())
        .filter(|h| !h.starts_with("/lang/") && !h.starts_with("/login"))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn every_role_lands_on_its_work_and_every_menu_link_opens() {
    for app in apps("menus").await {
        let b = app.backend.clone();
        for (user, landing) in DEMO_USERS {
            assert_eq!(&lands_on(&app, user).await, landing, "{b}: {user} lands");
            let who: Login = app.login(user).await;
            let page = app.get_page(landing, Some(&who)).await;
            assert_eq!(
                page.status,
                StatusCode::OK,
                "{b}: {user}'s landing {landing}"
            );
            let links = menu_links(&page.text());
            assert!(
                links.first().map(String::as_str) == Some(*landing) || *landing == "/",
                "{b}: {user}'s menu starts with their work: {links:?}"
            );
            for href in &links {
                let r = app.get_page(href, Some(&who)).await;
                assert_eq!(
                    r.status,
                    StatusCode::OK,
                    "{b}: {user} follows the menu link {href}: {}",
                    r.text().chars().take(300).collect::<String>()
                );
            }
            let admin_links = links.iter().filter(|h| h.starts_with("/admin")).count();
            match *user {
                "applicant" | "clerk" | "reviewer" | "head" | "reviewer_scj" | "head_ga"
                | "concierge" | "officer" | "enterprise" | "reviewer_zj" | "head_zr" => {
                    assert_eq!(
                        admin_links, 0,
                        "{b}: {user} is offered administration: {links:?}"
                    )
                }
                _ => assert!(admin_links > 0, "{b}: {user}: {links:?}"),
            }
        }
        // Signed out: the public menu, every link open.
        let page = app.get_page("/", None).await;
        let links = menu_links(&page.text());
        assert!(links.len() >= 3, "{b}: the public menu: {links:?}");
        for href in &links {
            let r = app.get_page(href, None).await;
            assert_eq!(r.status, StatusCode::OK, "{b}: the public follows {href}");
        }
    }
}

/// The system admin adds an account on the users page: a bad one is
/// refused at its fields (summary and field messages, nothing stored), a
/// good one signs in; no other role opens the page.
#[tokio::test]
async fn the_system_admin_adds_a_user_on_the_users_page() {
    for app in apps("menus_users").await {
        let b = app.backend.clone();
        let admin = app.login("admin").await;
        let csrf = crate::helpers::pct(&admin.csrf);
        let r = app
            .post_form(
                "/admin/users",
                &admin,
                &format!(
                    "csrf={csrf}&username=newclerk&display_name={}&role=clerk&department=&password=short",
                    crate::helpers::pct("王\u{202E}五")
                ),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{b}: {}",
            r.text()
        );
        let page = r.text();
        assert!(page.contains("id=\"error-summary\""), "{b}: the summary");
        assert!(
            page.contains("id=\"e-display_name\""),
            "{b}: the name's field message"
        );
        assert!(
            page.contains("id=\"e-password\""),
            "{b}: the password's field message"
        );
        assert!(page.contains("<title>错误："), "{b}: the title says so");
        assert_eq!(
            app.login_attempt("newclerk", "short").await.status,
            StatusCode::UNAUTHORIZED
        );
        let r = app
            .post_form(
                "/admin/users",
                &admin,
                &format!(
                    "csrf={csrf}&username=newclerk&display_name={}&role=clerk&department=&password=a+long+password",
                    crate::helpers::pct("王五")
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{b}: {}", r.text());
        let page = app
            .get_page("/admin/users?notice=added", Some(&admin))
            .await;
        assert!(page.text().contains("newclerk"), "{b}: listed");
        assert_eq!(
            app.login_attempt("newclerk", "a long password")
                .await
                .status,
            StatusCode::OK,
            "{b}: the new clerk signs in"
        );
        // The same user name again: refused at the field.
        let r = app
            .post_form(
                "/admin/users",
                &admin,
                &format!("csrf={csrf}&username=newclerk&display_name=x&role=clerk&department=&password=a+long+password"),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert!(r.text().contains("id=\"e-username\""), "{b}");
        for user in ["clerk", "supervisor", "catalog"] {
            let who = app.login(user).await;
            let page = app.get_page("/admin/users", Some(&who)).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{b}: {user}");
        }
    }
}
