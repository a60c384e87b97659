//! Two `tongban serve` processes on one PostgreSQL run the warning sweep and
//! mail delivery side by side: each warning is notified and mailed once.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use tongban_domain::case::Command as CaseCommand;
use tongban_store::Store;
use tongban_store::attachments::Attachments;
use tongban_store::cases::NewCase;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(url: &str, smtp: &str, dir: &std::path::Path) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_tongban"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--sweep-interval-secs",
            "1",
            "--smtp",
            smtp,
        ])
        .arg("--data-dir")
        .arg(dir)
        .env("TONGBAN_DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("tongban serve starts");
    Server(child)
}

async fn actor(store: &Store, username: &str) -> tongban_domain::auth::Actor {
    store
        .actor(username)
        .await
        .expect("actor")
        .expect("demo user")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warning_sweep_on_two_processes_notifies_each_warning_once() {
    let Some(url) = tongban_store::testing::fresh_pg_database("sweep2").await else {
        eprintln!("two-process warning sweep: PostgreSQL skipped (set TONGBAN_TEST_DATABASE_URL)");
        return;
    };
    let store = Store::open(&url).await.expect("store");
    tongban_store::demo::load_demo(&store).await.expect("demo");
    let cal = store.work_calendar().await.expect("calendar");
    let files = Attachments::in_memory();
    let applicant = actor(&store, "applicant").await;
    let clerk = actor(&store, "clerk").await;
    // Three cases accepted in March 2025: long overdue against a 10-day promise.
    let day = NaiveDate::from_ymd_opt(2025, 3, 3).expect("date");
    let mut ids = Vec::new();
    for i in 0..3 {
        let mut form = std::collections::BTreeMap::new();
        form.insert("venue_name".to_string(), format!("场所{i}"));
        form.insert("venue_address".to_string(), "一路1号".to_string());
        form.insert("area".to_string(), "100".to_string());
        form.insert("venue_type".to_string(), "住宿场所".to_string());
        let c = store
            .create_case(
                &applicant,
                "11339901MB000000114010103001000",
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
                    b"%PDF-1.4 test".to_vec(),
                )
                .await
                .expect("upload");
        }
        store
            .case_command(&applicant, c.id, None, &CaseCommand::Submit, &cal, day)
            .await
            .expect("submit");
        store
            .case_command(&clerk, c.id, None, &CaseCommand::Accept, &cal, day)
            .await
            .expect("accept");
        ids.push(c.id);
    }
    let (smtp, sink) = tongban_web::mail::sink::start().await.expect("sink");
    let dir_a = std::env::temp_dir().join(format!("tongban-sweep-a-{}", std::process::id()));
    let dir_b = std::env::temp_dir().join(format!("tongban-sweep-b-{}", std::process::id()));
    let a = serve(&url, &smtp, &dir_a);
    let b = serve(&url, &smtp, &dir_b);
    // Wait until every case has its red warning and all mail has gone out,
    // then let both processes sweep a few more times.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let outbox = store.outbox(1000).await.expect("outbox");
        let warned = outbox
            .iter()
            .filter(|m| m.subject.contains("红色预警"))
            .count();
        if warned > 0 && outbox.iter().all(|m| m.sent_at.is_some()) && warned >= 3 * 3 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "warnings not sent in time: {outbox:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_secs(4)).await;
    drop(a);
    drop(b);

    // Reviewer, head and supervisor (each with an e-mail address) are told
    // once per case: three red notifications each, three red mails each.
    for who in ["reviewer", "head", "supervisor"] {
        let user = actor(&store, who).await;
        let notes = store
            .notifications(user.user_id, 1000)
            .await
            .expect("notes");
        let red: Vec<_> = notes
            .iter()
            .filter(|n| n.subject.contains("红色预警"))
            .collect();
        assert_eq!(red.len(), 3, "{who}: {red:?}");
        for id in &ids {
            assert_eq!(
                red.iter().filter(|n| n.case_id == Some(*id)).count(),
                1,
                "{who}: case {id}"
            );
        }
        let mails = sink
            .received()
            .into_iter()
            .filter(|m| {
                m.rcpt == format!("{who}@demo.tongban.test") && m.subject.contains("【红色预警】")
            })
            .count();
        assert_eq!(mails, 3, "{who}: red mails delivered once each");
    }
    let total_sent = store.outbox(1000).await.expect("outbox").len();
    assert_eq!(
        sink.received().len(),
        total_sent,
        "every outbox mail delivered exactly once"
    );
    let _ = std::fs::remove_dir_all(dir_a);
    let _ = std::fs::remove_dir_all(dir_b);
}
