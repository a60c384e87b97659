//! Hardening (issue 12): one module per class of defect the security review
//! and the bad-input probe found, each on every backend — login and lookup
//! limits shared by instances, drafts that are their author's alone, what
//! supervisors see, bounded working-day counts, idempotent creation, small
//! error replies, formula-safe exports, 404 for what one may not see,
//! implausible input, the Origin check and caching, and job leases that a
//! dead holder loses.
#![allow(dead_code)]

mod drafts;
mod edges;
mod error_size;
mod existence;
mod exports;
mod idempotency;
mod input;
mod leases;
mod login_limits;
mod masking;
mod working_days;

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tokio::task::JoinSet;
use tongban_domain::auth::Role;
use tongban_store::Store;
use tongban_store::accounts::NewUser;
use tongban_web::{AppState, Config};
use tower::ServiceExt;

pub use crate::helpers::*;

/// 公共场所卫生许可（新证）, 卫健局: four required materials; form fields
/// venue_name (text), venue_address (text), area (number), venue_type (choice).
pub const ITEM: &str = "11339901MB000000114010103001000";
pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
/// The Host every request of these tests names.
pub const HOST: &str = "localhost";
/// The demo applicant's identity, as the store copies it into their cases.
pub const APPLICANT_NAME: &str = "张三";
pub const APPLICANT_ID: &str = "330102199003070027";
pub const APPLICANT_PHONE: &str = "13800000000";
pub const APPLICANT_EMAIL: &str = "applicant@demo.tongban.test";
/// An id no object of any kind has.
pub const MISSING_ID: i64 = 987_654;

pub fn form() -> Value {
    json!({"venue_name": "示范宾馆", "venue_address": "示范区一路1号", "area": "320", "venue_type": "住宿场所"})
}

/// Every demo account but the applicant.
pub const OTHER_DEMO_USERS: &[&str] = &[
    "clerk",
    "reviewer",
    "head",
    "reviewer_scj",
    "reviewer_ga",
    "head_ga",
    "reviewer_yb",
    "head_yb",
    "reviewer_rs",
    "head_rs",
    "concierge",
    "catalog",
    "catalog_wjw",
    "supervisor",
    "officer",
    "admin",
];

// ---------------------------------------------------------------------------
// Routers and requests of our own, so requests can run in parallel tasks and
// come from chosen peer addresses.

/// The router over `state` without a fixed peer: every request must carry
/// its own [`ConnectInfo`] (see [`from_peer`]).
pub fn bare_router(state: &AppState) -> Router {
    tongban_web::router(state.clone())
}

/// The router over `state` with every request coming from `peer`.
pub fn router_at(state: &AppState, peer: [u8; 4]) -> Router {
    tongban_web::router(state.clone()).layer(MockConnectInfo(SocketAddr::from((peer, 40000))))
}

/// The router of an [`App`] (peer 127.0.0.1, as `apps` sets it), to clone into tasks.
pub fn router_of(app: &App) -> Router {
    router_at(&app.state, [127, 0, 0, 1])
}

/// The request as if it came over TCP from `peer` (for [`bare_router`]).
pub fn from_peer(mut req: Request<Body>, peer: [u8; 4]) -> Request<Body> {
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((peer, 40000))));
    req
}

/// The request with a header set (replacing any of that name).
pub fn with_header(mut req: Request<Body>, name: &'static str, value: &str) -> Request<Body> {
    req.headers_mut().insert(
        name,
        HeaderValue::from_str(value).expect("test header value"),
    );
    req
}

/// An API request (session cookie and CSRF header when signed in) naming [`HOST`].
pub fn api_req(
    method: Method,
    uri: &str,
    who: Option<&Login>,
    body: Option<Value>,
) -> Request<Body> {
    let payload = match body {
        Some(v) => Payload::Json(v),
        None => Payload::None,
    };
    with_header(api_request(method, uri, who, &payload), "host", HOST)
}

/// `POST /api/v1/session`.
pub fn login_req(username: &str, password: &str) -> Request<Body> {
    api_req(
        Method::POST,
        "/api/v1/session",
        None,
        Some(json!({ "username": username, "password": password })),
    )
}

/// Sends one request through (a clone of) a router and reads the answer.
pub async fn send_to(router: Router, req: Request<Body>) -> Resp {
    let resp = router.oneshot(req).await.expect("the router never fails");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap_or_else(|e| panic!("read response body: {e}"))
        .to_bytes()
        .to_vec();
    Resp {
        status,
        headers,
        body,
    }
}

/// Sends every request at once, each through its router, in parallel tasks.
/// The answers come back in completion order.
pub async fn parallel(jobs: Vec<(Router, Request<Body>)>) -> Vec<Resp> {
    let mut set = JoinSet::new();
    for (router, req) in jobs {
        set.spawn(send_to(router, req));
    }
    let mut out = Vec::new();
    while let Some(joined) = set.join_next().await {
        out.push(joined.unwrap_or_else(|e| panic!("request task failed: {e}")));
    }
    out
}

/// The JSON error code of an answer (empty when it has none).
pub fn error_code(r: &Resp) -> String {
    serde_json::from_slice::<Value>(&r.body)
        .ok()
        .and_then(|v| v["error"]["code"].as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The fields named by an error's details.
pub fn detail_fields(v: &Value) -> Vec<String> {
    v["error"]["details"]
        .as_array()
        .map(|d| {
            d.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The detail naming `field`, if any.
pub fn detail_for<'a>(v: &'a Value, field: &str) -> Option<&'a Value> {
    v["error"]["details"]
        .as_array()
        .and_then(|d| d.iter().find(|e| e["field"].as_str() == Some(field)))
}

// ---------------------------------------------------------------------------
// Stores and instances.

/// Server settings of a test instance: no background jobs.
pub fn config(instance: &str) -> Config {
    Config {
        instance: instance.to_string(),
        background_jobs: false,
        ..Default::default()
    }
}

/// A demo store on each backend with two instances over it.
pub async fn two_instances(
    test: &str,
    a: Config,
    b: Config,
) -> Vec<(String, Store, AppState, AppState)> {
    let mut out = Vec::new();
    // Each instance opens the database on its own, as two processes would:
    // nothing kept in one store's memory can help the other.
    for (backend, store, other) in tongban_store::testing::store_pairs(test).await {
        let loaded = tongban_store::demo::load_demo(&store)
            .await
            .unwrap_or_else(|e| panic!("{backend}: load demo: {e}"));
        assert!(loaded, "{backend}: the demo loads into a fresh store");
        let sa = AppState::new(store.clone(), a.clone())
            .await
            .unwrap_or_else(|e| panic!("{backend}: instance a: {e}"));
        let sb = AppState::new(other, b.clone())
            .await
            .unwrap_or_else(|e| panic!("{backend}: instance b: {e}"));
        out.push((backend, store, sa, sb));
    }
    out
}

/// A second applicant of the demo centre, signed in.
pub async fn second_applicant(app: &App) -> Login {
    let store = app.store();
    let centre = store.centres().await.expect("centres")[0].id;
    store
        .create_user(NewUser {
            username: "other_applicant",
            display_name: "李四",
            password: PASSWORD,
            role: Role::Applicant,
            centre_id: centre,
            department_id: None,
            id_number: None,
            phone: "13900000000",
        })
        .await
        .unwrap_or_else(|e| panic!("{}: second applicant: {e}", app.backend));
    app.login("other_applicant").await
}

// ---------------------------------------------------------------------------
// Cases over the API.

/// Creates a draft of [`ITEM`] with `body` (item and form filled in unless given).
pub async fn create_with(app: &App, who: &Login, body: Value) -> Resp {
    let mut body = body;
    if body.get("item").is_none() {
        body["item"] = json!(ITEM);
    }
    if body.get("form").is_none() {
        body["form"] = form();
    }
    app.api(Method::POST, "/api/v1/cases", Some(who), Some(body))
        .await
}

/// A draft of [`ITEM`] by `who`; its id.
pub async fn create(app: &App, who: &Login) -> i64 {
    let r = create_with(app, who, json!({})).await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}: create by {}: {}",
        app.backend,
        who.username,
        r.text()
    );
    r.json(&app.backend, "create")["case"]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{}: no case id", app.backend))
}

/// `PUT /api/v1/cases/{id}/materials/{idx}/files?name=…` with `bytes`.
pub async fn upload_named(
    app: &App,
    who: &Login,
    id: i64,
    idx: usize,
    name: &str,
    bytes: &[u8],
) -> Resp {
    let req = Request::builder()
        .method(Method::PUT)
        .uri(format!(
            "/api/v1/cases/{id}/materials/{idx}/files?name={}",
            pct(name)
        ))
        .header(header::HOST, HOST)
        .header(header::COOKIE, who.cookie.as_str())
        .header("x-csrf-token", who.csrf.as_str())
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(bytes.to_vec()))
        .expect("upload request builds");
    app.send(req).await
}

pub async fn upload(app: &App, who: &Login, id: i64, idx: usize) -> Resp {
    upload_named(app, who, id, idx, &format!("m{idx}.pdf"), PDF).await
}

/// Uploads and expects 201; the file's id.
pub async fn uploaded(app: &App, who: &Login, id: i64, idx: usize) -> i64 {
    let r = upload(app, who, id, idx).await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}: upload {idx} by {}: {}",
        app.backend,
        who.username,
        r.text()
    );
    r.json(&app.backend, "upload")["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{}: no file id", app.backend))
}

pub async fn cmd(app: &App, who: &Login, id: i64, command: Value) -> Resp {
    app.api(
        Method::POST,
        &format!("/api/v1/cases/{id}/commands"),
        Some(who),
        Some(json!({ "command": command })),
    )
    .await
}

pub async fn ok(app: &App, who: &Login, id: i64, command: Value) -> Value {
    let r = cmd(app, who, id, command.clone()).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}: {command} by {}: {}",
        app.backend,
        who.username,
        r.text()
    );
    r.json(&app.backend, "command")
}

pub async fn get_case(app: &App, who: &Login, id: i64) -> Value {
    let r = app
        .api(Method::GET, &format!("/api/v1/cases/{id}"), Some(who), None)
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}: get case {id} as {}: {}",
        app.backend,
        who.username,
        r.text()
    );
    r.json(&app.backend, "case")
}

/// A submitted application with all four materials; (case id, first file id).
pub async fn submitted(app: &App, applicant: &Login) -> (i64, i64) {
    let id = create(app, applicant).await;
    let first = uploaded(app, applicant, id, 0).await;
    for idx in 1..4 {
        uploaded(app, applicant, id, idx).await;
    }
    ok(app, applicant, id, json!({"type": "submit"})).await;
    (id, first)
}

/// An accepted case (under review by 卫健局, the receipt issued); (case id, first file id).
pub async fn accepted(app: &App, applicant: &Login, clerk: &Login) -> (i64, i64) {
    let (id, file) = submitted(app, applicant).await;
    ok(app, clerk, id, json!({"type": "accept"})).await;
    (id, file)
}

/// The multipart body of the upload form of the pages: the CSRF token and one file.
pub fn multipart_upload(csrf: &str, file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "tongbanTestBoundary7MA4YWxk";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/pdf\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Posts the pages' upload form for material `idx` of case `id`.
pub async fn page_upload(app: &App, who: &Login, id: i64, idx: usize) -> Resp {
    let (ct, body) = multipart_upload(&who.csrf, "m.pdf", PDF);
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("/cases/{id}/materials/{idx}"))
        .header(header::HOST, HOST)
        .header(header::COOKIE, who.cookie.as_str())
        .header(header::CONTENT_TYPE, ct)
        .body(Body::from(body))
        .expect("upload form builds");
    app.send(req).await
}

/// A GB 11643 citizen ID number: the 17 digits given and their check character.
pub fn id_number(first17: &str) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    assert_eq!(first17.len(), 17, "17 digits: {first17}");
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| {
            assert!(b.is_ascii_digit(), "digits only: {first17}");
            u32::from(b - b'0') * w
        })
        .sum();
    format!("{first17}{}", CHECK[(sum % 11) as usize])
}

#[test]
fn the_check_character_is_computed_as_the_standard_says() {
    // The demo applicant's number is valid; so is the standard's example.
    assert_eq!(id_number("33010219900307002"), APPLICANT_ID);
    assert_eq!(id_number("11010519491231002"), "11010519491231002X");
}
