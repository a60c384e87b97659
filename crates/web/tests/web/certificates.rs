//! Certificates over HTTP on every backend: the public verification API and
//! page (masked holder, status, signature), the export for the holder only,
//! and revocation by the issuing department's head.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};
use tongban_domain::auth::Role;
use tongban_store::accounts::NewUser;
use tongban_store::certificates::CertExport;

use crate::helpers::*;

const ITEM: &str = "11339901MB000000114010103001000";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

async fn ok(app: &App, who: &Login, id: i64, command: Value) {
    let r = app
        .api(
            Method::POST,
            &format!("/api/v1/cases/{id}/commands"),
            Some(who),
            Some(json!({ "command": command })),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}: {command}: {}",
        app.backend,
        r.text()
    );
}

/// A 公共场所卫生许可 case taken to 制证 through the API; its id.
async fn issued_case(app: &App) -> i64 {
    let b = &app.backend;
    let applicant = app.login("applicant").await;
    let clerk = app.login("clerk").await;
    let reviewer = app.login("reviewer").await;
    let head = app.login("head").await;
    let r = app
        .api(
            Method::POST,
            "/api/v1/cases",
            Some(&applicant),
            Some(json!({"item": ITEM, "form": {"venue_name": "示范宾馆", "venue_address": "示范区一路1号", "area": "320", "venue_type": "住宿场所"}})),
        )
        .await;
    let id = r.json(b, "create")["case"]["id"].as_i64().expect("id");
    for i in 0..4 {
        let req = Request::builder()
            .method(Method::PUT)
            .uri(format!(
                "/api/v1/cases/{id}/materials/{i}/files?name=m{i}.pdf"
            ))
            .header(header::COOKIE, applicant.cookie.as_str())
            .header("x-csrf-token", applicant.csrf.as_str())
            .body(Body::from(PDF.to_vec()))
            .expect("request");
        assert_eq!(app.send(req).await.status, StatusCode::CREATED);
    }
    ok(app, &applicant, id, json!({"type": "submit"})).await;
    ok(app, &clerk, id, json!({"type": "accept"})).await;
    ok(
        app,
        &reviewer,
        id,
        json!({"type": "complete_review", "agree": true, "opinion": "同意"}),
    )
    .await;
    ok(
        app,
        &head,
        id,
        json!({"type": "decide", "approve": true, "reason": "准予"}),
    )
    .await;
    ok(app, &reviewer, id, json!({"type": "issue"})).await;
    id
}

#[tokio::test]
async fn a_certificate_is_verifiable_by_anyone_and_exportable_by_its_holder() {
    for app in apps("cert_http").await {
        let b = &app.backend;
        let id = issued_case(&app).await;
        let applicant = app.login("applicant").await;
        let page = app
            .get_page(&format!("/cases/{id}"), Some(&applicant))
            .await
            .text();
        let lid = page
            .split("class=\"licence-id\">")
            .nth(1)
            .and_then(|t| t.split('<').next())
            .expect("the case page shows the licence id")
            .to_string();
        assert!(lid.starts_with("1.2.156.3005.2."), "{b}: {lid}");
        // Anyone can verify it; the holder's number is masked.
        let v = app
            .api(
                Method::GET,
                &format!("/api/v1/certificates/{lid}"),
                None,
                None,
            )
            .await
            .json(b, "verify");
        assert_eq!(v["status"], "valid", "{b}: {v}");
        assert_eq!(v["signature_valid"], true);
        let holder = v["record"]["holder_code"].as_str().unwrap_or_default();
        assert!(
            holder.starts_with("330") && holder.contains('*') && !holder.contains("19900307"),
            "{b}: {holder}"
        );
        let html = app.get_page(&format!("/verify/{lid}"), None).await;
        assert_eq!(html.status, StatusCode::OK);
        assert!(
            html.text().contains("data-status=\"valid\"")
                && html.text().contains("data-valid=\"yes\"")
        );
        let qr = app.get_page(&format!("/verify/{lid}/qr.svg"), None).await;
        assert_eq!(qr.header("content-type").as_deref(), Some("image/svg+xml"));
        // A malformed identifier is refused as such; an unknown one is not found.
        let r = app
            .api(
                Method::GET,
                "/api/v1/certificates/1.2.156.3005.2.X",
                None,
                None,
            )
            .await;
        assert_error(
            b,
            "malformed",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        let unknown = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U";
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/certificates/{unknown}"),
                None,
                None,
            )
            .await;
        assert_error(b, "unknown", &r, StatusCode::NOT_FOUND, "not_found");
        // The export verifies offline, for the holder only.
        let e: CertExport = serde_json::from_value(
            app.api(
                Method::GET,
                &format!("/api/v1/certificates/{lid}/export"),
                Some(&applicant),
                None,
            )
            .await
            .json(b, "export"),
        )
        .expect("tongban-cert/1");
        assert_eq!(
            e.verify().map(|r| r.licence_id.to_string()),
            Ok(lid.clone()),
            "{b}"
        );
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/certificates/{lid}/export"),
                None,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{b}");
        app.store()
            .create_user(NewUser {
                username: "other",
                display_name: "王五",
                password: PASSWORD,
                role: Role::Applicant,
                centre_id: 1,
                department_id: None,
                id_number: None,
                phone: "13900000000",
            })
            .await
            .expect("user");
        let other = app.login("other").await;
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/certificates/{lid}/export"),
                Some(&other),
                None,
            )
            .await;
        assert_error(b, "someone else", &r, StatusCode::NOT_FOUND, "not_found");
        // Revocation: the issuing head only; it shows everywhere.
        let reviewer = app.login("reviewer").await;
        let head = app.login("head").await;
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/certificates/{lid}/revoke"),
                Some(&reviewer),
                Some(json!({"reason": "错误"})),
            )
            .await;
        assert_error(
            b,
            "reviewer revokes",
            &r,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/certificates/{lid}/revoke"),
                Some(&head),
                Some(json!({"reason": "场所已停业"})),
            )
            .await
            .json(b, "revoke");
        assert_eq!(r["status"], "revoked", "{b}: {r}");
        let html = app.get_page(&format!("/verify/{lid}"), None).await.text();
        assert!(
            html.contains("data-status=\"revoked\"") && html.contains("场所已停业"),
            "{b}"
        );
    }
}
