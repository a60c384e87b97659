//! Instant approval end to end over HTTP (issue 5): a server on SQLite with
//! the demo, many clients each submitting newborn insurance applications
//! whose data agree with the registers; every submission is looked up,
//! decided by the rules, accepted, reviewed, decided, certified (SM2) and
//! delivered before the response.
//!
//! `cargo bench -p tongban-web --bench instant` (APPS=2000 CLIENTS=32).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

mod common;
use common::{env, http};

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}

async fn run() {
    let apps = env("APPS", 2000);
    let clients = env("CLIENTS", 32);
    let dir = std::env::temp_dir().join(format!("tongban-bench-instant-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let store = tongban_store::Store::open(&tongban_store::sqlite_url_for_dir(&dir))
        .await
        .expect("store");
    tongban_store::demo::load_demo(&store).await.expect("demo");
    let config = tongban_web::Config {
        attachments_dir: Some(dir.join("files")),
        background_jobs: false,
        ..Default::default()
    };
    let state = tongban_web::AppState::new(store, config)
        .await
        .expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = tongban_web::router(state);
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("serve")
    });
    // Sign in once; every client uses the applicant's session.
    let (st, body, cookies) = http(
        addr,
        "POST",
        "/api/v1/session",
        "",
        "",
        r#"{"username":"applicant","password":"tongban-demo"}"#,
    )
    .await;
    assert_eq!(st, 200, "login: {body}");
    let cookie = cookies
        .into_iter()
        .find(|c| c.starts_with("tb_session="))
        .expect("session cookie");
    let csrf = serde_json::from_str::<serde_json::Value>(&body).expect("json")["csrf_token"]
        .as_str()
        .expect("csrf")
        .to_string();
    let form = r#"{"item":"11339901MB000000374080301001000","form":{"baby_name":"张小宝","birth_date":"2026-02-20","guardian_name":"张三","phone":"13800000000"}}"#;
    // Drafts first (not measured), then the submissions.
    let mut ids = Vec::with_capacity(apps);
    for _ in 0..apps {
        let (st, body, _) = http(addr, "POST", "/api/v1/cases", &cookie, &csrf, form).await;
        assert_eq!(st, 201, "create: {body}");
        let v: serde_json::Value = serde_json::from_str(&body).expect("json");
        ids.push(v["case"]["id"].as_i64().expect("id"));
    }
    let per = ids.len().div_ceil(clients);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for chunk in ids.chunks(per).map(|c| c.to_vec()) {
        let (cookie, csrf) = (cookie.clone(), csrf.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            for id in chunk {
                let t = Instant::now();
                let (st, body, _) = http(
                    addr,
                    "POST",
                    &format!("/api/v1/cases/{id}/commands"),
                    &cookie,
                    &csrf,
                    r#"{"command":{"type":"submit"}}"#,
                )
                .await;
                assert_eq!(st, 200, "submit: {body}");
                assert!(
                    body.contains("\"completed\""),
                    "not approved instantly: {body}"
                );
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut lat: Vec<Duration> = Vec::new();
    for t in tasks {
        lat.extend(t.await.expect("client"));
    }
    let wall = started.elapsed();
    lat.sort_unstable();
    let p = |q: f64| lat[((lat.len() as f64 * q) as usize).min(lat.len() - 1)];
    println!(
        "instant approval over HTTP, SQLite, {} applications, {clients} clients: {:.0} applications/s, p50 {:?}, p99 {:?}, max {:?}",
        lat.len(),
        lat.len() as f64 / wall.as_secs_f64(),
        p(0.50),
        p(0.99),
        lat[lat.len() - 1]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
