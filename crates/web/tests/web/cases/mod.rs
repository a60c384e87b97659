//! Cases over the API and pages, on every backend: the online journey with a
//! one-time correction notice, the clock at each step, refusals of wrong
//! roles and departments, concurrent actions, uploads, sweeps, mail and the
//! 首问负责 log.

mod confirm;
mod inquiries;
mod journey;
mod refusals;
mod sweeps;
mod uploads;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::NaiveDate;
use serde_json::{Value, json};
use tongban_domain::auth::Role;
use tongban_store::accounts::NewUser;

use crate::helpers;
use crate::helpers::*;

/// 公共场所卫生许可（新证）, 卫健局: four required materials, legal 20 / promised 10 working days.
const ITEM: &str = "11339901MB000000114010103001000";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

fn form() -> Value {
    json!({"venue_name": "示范宾馆", "venue_address": "示范区一路1号", "area": "320", "venue_type": "住宿场所"})
}

async fn create(app: &App, who: &Login) -> i64 {
    let r = app
        .api(
            Method::POST,
            "/api/v1/cases",
            Some(who),
            Some(json!({"item": ITEM, "form": form()})),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}: create: {}",
        app.backend,
        r.text()
    );
    r.json(&app.backend, "create")["case"]["id"]
        .as_i64()
        .expect("case id")
}

async fn upload(app: &App, who: &Login, id: i64, idx: usize, bytes: &[u8]) -> helpers::Resp {
    let req = Request::builder()
        .method(Method::PUT)
        .uri(format!(
            "/api/v1/cases/{id}/materials/{idx}/files?name=m{idx}.pdf"
        ))
        .header(header::COOKIE, who.cookie.as_str())
        .header("x-csrf-token", who.csrf.as_str())
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(bytes.to_vec()))
        .expect("request");
    app.send(req).await
}

async fn cmd(app: &App, who: &Login, id: i64, command: Value) -> helpers::Resp {
    app.api(
        Method::POST,
        &format!("/api/v1/cases/{id}/commands"),
        Some(who),
        Some(json!({ "command": command })),
    )
    .await
}

async fn ok(app: &App, who: &Login, id: i64, command: Value) -> Value {
    let r = cmd(app, who, id, command.clone()).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}: {} by {}: {}",
        app.backend,
        command,
        who.username,
        r.text()
    );
    r.json(&app.backend, "command")
}

async fn get_case(app: &App, who: &Login, id: i64) -> Value {
    let r = app
        .api(Method::GET, &format!("/api/v1/cases/{id}"), Some(who), None)
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}: get case: {}",
        app.backend,
        r.text()
    );
    r.json(&app.backend, "case")
}

fn date(v: &Value) -> NaiveDate {
    NaiveDate::parse_from_str(v.as_str().unwrap_or_default(), "%Y-%m-%d")
        .unwrap_or_else(|_| panic!("not a date: {v}"))
}

/// A submitted application with the first three of four materials.
async fn submitted(app: &App, applicant: &Login) -> i64 {
    let id = create(app, applicant).await;
    for idx in 0..3 {
        let r = upload(app, applicant, id, idx, PDF).await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{}: upload: {}",
            app.backend,
            r.text()
        );
    }
    ok(app, applicant, id, json!({"type": "submit"})).await;
    id
}

/// An accepted case (under review by 卫健局).
async fn accepted(app: &App, applicant: &Login, clerk: &Login) -> i64 {
    let id = submitted(app, applicant).await;
    let r = upload(app, clerk, id, 3, PDF).await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}: clerk uploads: {}",
        app.backend,
        r.text()
    );
    ok(app, clerk, id, json!({"type": "accept"})).await;
    id
}
