//! Case lifecycle throughput: N cases driven through submit → accept →
//! review → decide → issue → deliver, each step a durable transaction that
//! checks the rules, moves the case under its version, recomputes the clock,
//! writes the event, any document, the notices and the audit-trail entry.
//!
//! `cargo bench -p tongban-store --bench lifecycle` on SQLite (WAL,
//! synchronous=NORMAL); set `TONGBAN_BENCH_DATABASE_URL` to a PostgreSQL URL
//! (synchronous_commit as configured, `on` by default) to time that backend.
//! `CASES` (default 2000), `WORKERS` (default 64 concurrent clients, as many
//! requests in flight as a busy centre's servers would have) and `MODE`:
//! `group` (default: through the group-commit writer the server uses) or
//! `single` (one transaction per command). `NOOP_OBSERVER=1` registers one
//! more case observer that does nothing, to show what an observer costs;
//! `NO_ROLLUPS=1` takes the indicator rollups' observer out (their cost).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use tongban_domain::auth::Actor;
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::Command;
use tongban_store::Store;
use tongban_store::attachments::Attachments;
use tongban_store::cases::{CaseObserver, Effects, Job, NewCase, StepEvent};

const ITEM: &str = "11339901MB000000114010103001000";
const STEPS: [&str; 6] = ["submit", "accept", "review", "decide", "issue", "deliver"];

async fn actor(store: &Store, username: &str) -> Actor {
    store
        .actor(username)
        .await
        .expect("actor")
        .expect("demo user")
}

/// A case observer that does nothing (its cost is the dispatch).
struct Noop;

#[tongban_store::async_trait]
impl CaseObserver for Noop {
    fn name(&self) -> &'static str {
        "noop"
    }
    async fn observe(
        &self,
        _txn: &tongban_store::WriteTxn,
        steps: &[StepEvent],
        _fx: &mut Effects,
    ) -> tongban_store::Result<()> {
        std::hint::black_box(steps.len());
        Ok(())
    }
}

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i].as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let cases: usize = std::env::var("CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let workers: usize = std::env::var("WORKERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let group = std::env::var("MODE").map(|m| m != "single").unwrap_or(true);
    let (store, backend) = match std::env::var("TONGBAN_BENCH_DATABASE_URL") {
        Ok(url) if !url.is_empty() => (
            tongban_store::testing::open_pg_schema(&url, "bench_lifecycle").await,
            "postgres",
        ),
        _ => {
            let dir = std::env::temp_dir()
                .join(format!("tongban-bench-lifecycle-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("dir");
            (
                Store::open(&tongban_store::sqlite_url_for_dir(&dir))
                    .await
                    .expect("sqlite"),
                "sqlite",
            )
        }
    };
    tongban_store::demo::load_demo(&store).await.expect("demo");
    if std::env::var("NOOP_OBSERVER").is_ok_and(|v| v == "1") {
        store.register_observer(Arc::new(Noop));
    }
    if std::env::var("NO_ROLLUPS").is_ok_and(|v| v == "1") {
        store.remove_observer("indicators");
    }
    let cal = Arc::new(WorkCalendar::builtin_with(&[]).expect("calendar"));
    let files = Attachments::in_memory();
    let applicant = actor(&store, "applicant").await;
    let clerk = actor(&store, "clerk").await;
    let reviewer = actor(&store, "reviewer").await;
    let head = actor(&store, "head").await;
    let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");

    // Set-up (not timed): the drafts with their four materials.
    let t = Instant::now();
    let mut ids = Vec::with_capacity(cases);
    for i in 0..cases {
        let mut form = std::collections::BTreeMap::new();
        form.insert("venue_name".to_string(), format!("场所{i}"));
        form.insert("venue_address".to_string(), "一路1号".to_string());
        form.insert("area".to_string(), "100".to_string());
        form.insert("venue_type".to_string(), "住宿场所".to_string());
        let c = store
            .create_case(
                &applicant,
                ITEM,
                NewCase {
                    form,
                    ..Default::default()
                },
            )
            .await
            .expect("case");
        for m in 0..4 {
            store
                .upload(
                    &files,
                    &applicant,
                    c.id,
                    m,
                    "m.pdf",
                    b"%PDF-1.4 bench".to_vec(),
                )
                .await
                .expect("upload");
        }
        ids.push(c.id);
    }
    eprintln!(
        "{backend}: set up {cases} drafts in {:.1}s",
        t.elapsed().as_secs_f64()
    );

    let cmds: Vec<(Actor, Command)> = vec![
        (applicant.clone(), Command::Submit),
        (clerk.clone(), Command::Accept),
        (
            reviewer.clone(),
            Command::CompleteReview {
                agree: true,
                opinion: "符合条件".into(),
            },
        ),
        (
            head.clone(),
            Command::Decide {
                approve: true,
                reason: "准予".into(),
            },
        ),
        (reviewer.clone(), Command::Issue),
        (
            clerk.clone(),
            Command::Deliver {
                method: "窗口领取".into(),
            },
        ),
    ];
    let cmds = Arc::new(cmds);
    let ids = Arc::new(ids);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let writer = tongban_store::cases::CaseWriter::start(store.clone());
    let start = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..workers {
        let (store, cal, cmds, ids, next, writer) = (
            store.clone(),
            cal.clone(),
            cmds.clone(),
            ids.clone(),
            next.clone(),
            writer.clone(),
        );
        handles.push(tokio::spawn(async move {
            let mut lat: Vec<Vec<Duration>> = vec![Vec::new(); STEPS.len()];
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(&id) = ids.get(i) else { break };
                for (s, (who, cmd)) in cmds.iter().enumerate() {
                    let t = Instant::now();
                    if group {
                        writer
                            .run(Job::command(who, id, None, cmd.clone(), cal.clone(), day))
                            .await
                            .expect("transition");
                    } else {
                        store
                            .case_command(who, id, None, cmd, &cal, day)
                            .await
                            .expect("transition");
                    }
                    lat[s].push(t.elapsed());
                }
            }
            lat
        }));
    }
    let mut lat: Vec<Vec<Duration>> = vec![Vec::new(); STEPS.len()];
    for h in handles {
        for (s, v) in h.await.expect("worker").into_iter().enumerate() {
            lat[s].extend(v);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let transitions = cases * STEPS.len();
    println!(
        "{backend} ({}): {cases} cases, {transitions} transitions, {workers} clients in {secs:.2}s: {:.0} cases/s, {:.0} transitions/s",
        if group {
            "group commit"
        } else {
            "one transaction per command"
        },
        cases as f64 / secs,
        transitions as f64 / secs
    );
    for (s, name) in STEPS.iter().enumerate() {
        let v = &mut lat[s];
        println!(
            "  {name:<8} p50 {:.2} ms  p99 {:.2} ms",
            pct(v, 0.5),
            pct(v, 0.99)
        );
    }
    match store.verify_trail().await.expect("verify") {
        tongban_store::trail::TrailCheck::Intact { entries } => {
            println!("  audit trail intact: {entries} entries")
        }
        other => panic!("trail: {other:?}"),
    }
}
