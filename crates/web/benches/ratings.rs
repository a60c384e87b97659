//! 好差评 over HTTP (issue 14), a server on SQLite with the demo:
//!
//! 1. Rating submission: `CLIENTS` clients each rate completed cases of the
//!    applicant (`RATINGS` in all, one in ten a 差评 that opens its
//!    rectification and tells the department), measuring each request and
//!    the throughput. Target: p99 ≤ 20 ms at ≥ 300 ratings/s.
//! 2. The public page for one department over a year of `MILLION` ratings
//!    (default 1,000,000, with their rollups): `PAGES` requests of
//!    `/api/v1/public/ratings?department=…` and of the `/satisfaction` page.
//!    Target: p95 ≤ 100 ms.
//!
//! `cargo bench -p tongban-web --bench ratings` (RATINGS=6000 CLIENTS=8
//! MILLION=1000000 PAGES=200).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

mod common;
use common::{env, http};

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[i.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}

async fn run() {
    let ratings = env("RATINGS", 6000);
    let clients = env("CLIENTS", 8);
    let million = env("MILLION", 1_000_000);
    let pages = env("PAGES", 200);
    let dir = std::env::temp_dir().join(format!("tongban-bench-ratings-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let store = tongban_store::Store::open(&tongban_store::sqlite_url_for_dir(&dir))
        .await
        .expect("store");
    tongban_store::demo::load_demo(&store).await.expect("demo");
    let today = tongban_store::shanghai_today();
    let applicant = store
        .actor("applicant")
        .await
        .expect("actor")
        .expect("demo applicant");
    // 医保局 (a department with staff to tell of a 差评).
    let yb = store
        .departments()
        .await
        .expect("departments")
        .into_iter()
        .find(|d| d.short_name == "医保局")
        .expect("医保局")
        .id;
    store
        .seed_rating_invitations(
            applicant.user_id,
            1,
            ratings,
            yb,
            "11339901MB000000374080301001000",
            today,
        )
        .await
        .expect("seed invitations");
    let config = tongban_web::Config {
        attachments_dir: Some(dir.join("files")),
        background_jobs: false,
        ..Default::default()
    };
    let state = tongban_web::AppState::new(store.clone(), config)
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

    // 1. Rating submission.
    let good = r#"{"channel":"online","level":5,"indicators":{"efficiency":5,"guide_accuracy":5,"convenience":4,"usability":5},"comment":"办得很快"}"#;
    let bad = r#"{"channel":"online","level":2,"indicators":{"efficiency":2,"guide_accuracy":2,"convenience":3,"usability":3},"reasons":["R01","R02"],"comment":"材料要求没写清楚"}"#;
    let ids: Vec<i64> = (1..=ratings as i64).collect();
    let per = ids.len().div_ceil(clients);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for chunk in ids.chunks(per).map(|c| c.to_vec()) {
        let (cookie, csrf) = (cookie.clone(), csrf.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(chunk.len());
            for id in chunk {
                let body = if id % 10 == 0 { bad } else { good };
                let t = Instant::now();
                let (st, text, _) = http(
                    addr,
                    "POST",
                    &format!("/api/v1/cases/{id}/ratings"),
                    &cookie,
                    &csrf,
                    body,
                )
                .await;
                lat.push(t.elapsed());
                assert_eq!(st, 201, "rate {id}: {text}");
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.expect("client"));
    }
    let took = started.elapsed();
    lat.sort();
    println!(
        "rating submission: {} ratings by {clients} clients in {:.1} s = {:.0} ratings/s; p50 {} p95 {} p99 {} max {}",
        lat.len(),
        took.as_secs_f64(),
        lat.len() as f64 / took.as_secs_f64(),
        ms(pct(&lat, 0.50)),
        ms(pct(&lat, 0.95)),
        ms(pct(&lat, 0.99)),
        ms(pct(&lat, 1.0)),
    );

    // 2. A year of ratings, and the public page for one department.
    let seeded = Instant::now();
    store
        .seed_ratings(million, today, 365, 13, 8)
        .await
        .expect("seed ratings");
    println!(
        "seeded {million} ratings (and rollups) in {:.1} s",
        seeded.elapsed().as_secs_f64()
    );
    let from = today - chrono::Duration::days(364);
    for (what, path) in [
        (
            "GET /api/v1/public/ratings (one department, a year)",
            format!("/api/v1/public/ratings?from={from}&to={today}&department=3"),
        ),
        (
            "GET /api/v1/public/ratings (all departments, a year)",
            format!("/api/v1/public/ratings?from={from}&to={today}"),
        ),
        (
            "GET /satisfaction (all departments, a year)",
            format!("/satisfaction?from={from}&to={today}"),
        ),
    ] {
        let mut lat = Vec::with_capacity(pages);
        for _ in 0..pages {
            let t = Instant::now();
            let (st, text, _) = http(addr, "GET", &path, "", "", "").await;
            lat.push(t.elapsed());
            assert_eq!(st, 200, "{what}: {}", &text[..text.len().min(200)]);
        }
        lat.sort();
        println!(
            "{what}: {pages} requests; p50 {} p95 {} p99 {}",
            ms(pct(&lat, 0.50)),
            ms(pct(&lat, 0.95)),
            ms(pct(&lat, 0.99)),
        );
    }
    let size = std::fs::metadata(dir.join("tongban.db"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!("database: {:.0} MB", size as f64 / 1e6);
    let _ = std::fs::remove_dir_all(&dir);
}
