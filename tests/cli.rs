//! The `tongban` command line, run as a user would.

use std::path::PathBuf;
use std::process::{Command, Output};

fn data_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tongban-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn run(args: &[&str], dir: &PathBuf) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tongban"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("TONGBAN_DATABASE_URL")
        .output()
        .expect("tongban runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

#[test]
fn help_lists_every_command() {
    /// The commands `--help` lists, in order (as clap prints them).
    fn listed(args: &[&str]) -> Vec<String> {
        let o = Command::new(env!("CARGO_BIN_EXE_tongban"))
            .args(args)
            .arg("--help")
            .output()
            .expect("runs");
        assert!(o.status.success(), "{args:?} --help fails");
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        text.lines()
            .skip_while(|l| !l.starts_with("Commands:"))
            .skip(1)
            .take_while(|l| !l.trim().is_empty())
            .filter_map(|l| l.split_whitespace().next())
            .filter(|c| *c != "help")
            .map(str::to_string)
            .collect()
    }
    let tree: &[(&str, &[&str])] = &[
        ("serve", &[]),
        ("catalog", &["import", "export", "audit"]),
        ("audit", &["verify", "log"]),
        ("keys", &["generate", "compromised", "list"]),
        ("cert", &["verify", "export"]),
        ("sources", &["import"]),
        (
            "calendar",
            &["add-workdays", "workdays", "is-workday", "import", "years"],
        ),
        ("demo", &["generate"]),
        ("tickets", &["sweep"]),
        ("kpi", &["verify", "rebuild", "summarize", "report"]),
    ];
    let top: Vec<&str> = tree.iter().map(|(c, _)| *c).collect();
    assert_eq!(listed(&[]), top, "the top-level commands");
    for (cmd, subs) in tree {
        assert_eq!(&listed(&[cmd]), subs, "the commands of `tongban {cmd}`");
        // Each one documents itself, with where its data lives.
        for sub in *subs {
            let o = Command::new(env!("CARGO_BIN_EXE_tongban"))
                .args([cmd, sub, "--help"])
                .output()
                .expect("runs");
            let text = String::from_utf8_lossy(&o.stdout);
            assert!(o.status.success(), "tongban {cmd} {sub} --help");
            assert!(text.contains("Usage: tongban"), "{cmd} {sub}:\n{text}");
        }
    }
    let o = Command::new(env!("CARGO_BIN_EXE_tongban"))
        .args(["catalog", "--help"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&o.stdout);
    for opt in ["--data-dir", "--database-url"] {
        assert!(
            text.contains(opt),
            "{opt} missing from catalog --help:\n{text}"
        );
    }
    let o = Command::new(env!("CARGO_BIN_EXE_tongban"))
        .args(["serve", "--help"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&o.stdout);
    for opt in [
        "--smtp",
        "--smtp-starttls",
        "--smtp-ca",
        "--database-url",
        "--listen",
    ] {
        assert!(
            text.contains(opt),
            "{opt} missing from serve --help:\n{text}"
        );
    }
}

#[test]
fn calendar_commands() {
    let dir = data_dir("calendar");
    let is = |d: &str| stdout(&run(&["calendar", "is-workday", d], &dir));
    assert_eq!(is("2025-01-26"), "workday", "调休 Sunday");
    assert_eq!(
        is("2025-05-02"),
        "holiday",
        "added statutory day since 2025"
    );
    assert_eq!(is("2026-02-28"), "workday", "调休 Saturday");
    assert_eq!(is("2025-01-27"), "workday");
    // 2025-09-30 + 1 working day: National Day holiday runs 10-01..10-08.
    assert_eq!(
        stdout(&run(&["calendar", "add-workdays", "2025-09-30", "1"], &dir)),
        "2025-10-09"
    );
    assert_eq!(
        stdout(&run(
            &["calendar", "add-workdays", "2025-01-20", "20"],
            &dir
        )),
        "2025-02-21"
    );
    assert_eq!(
        stdout(&run(
            &["calendar", "workdays", "2025-09-30", "2025-10-09"],
            &dir
        )),
        "1"
    );
    let o = run(&["calendar", "is-workday", "2031-01-06"], &dir);
    assert_eq!(o.status.code(), Some(2), "a missing year is an error");
    assert!(String::from_utf8_lossy(&o.stderr).contains("2031"));
    // Entering a year extends the calendar.
    let file = dir.join("2031.txt");
    std::fs::write(
        &file,
        "year 2031 test notice\n2031-01-01 off 元旦\n2031-01-04 work 调休\n",
    )
    .expect("write");
    let o = run(
        &["calendar", "import", file.to_str().expect("utf-8 path")],
        &dir,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(is("2031-01-01"), "holiday");
    assert_eq!(is("2031-01-04"), "workday");
    assert!(stdout(&run(&["calendar", "years"], &dir)).contains("2031 entered"));
}

#[test]
fn catalog_import_export_and_audit() {
    let dir = data_dir("catalog");
    // An empty database gets the demo through serve; here we import the demo file itself.
    let demo = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/store/demo/catalog.json"
    );
    let o = run(&["catalog", "import", demo], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        stdout(&o).contains("\"items_created\": 56"),
        "{}",
        stdout(&o)
    );
    let o = run(&["catalog", "export"], &dir);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("export is JSON");
    assert_eq!(v["format"], "tongban-catalog/1");
    assert_eq!(v["items"].as_array().map(Vec::len), Some(56));
    let o = run(
        &[
            "catalog",
            "audit",
            "--format",
            "csv",
            "--date",
            "2026-11-26",
        ],
        &dir,
    );
    assert!(o.status.success());
    let csv = stdout(&o);
    assert!(csv.starts_with("\u{feff}id,impl_code,item_name"), "{csv}");
    assert!(
        csv.contains("G11") && csv.contains("consult_phone"),
        "{csv}"
    );
    let o = run(&["catalog", "audit", "--format", "json"], &dir);
    let findings: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json report");
    assert!(findings.as_array().is_some_and(|a| !a.is_empty()));
    // A bad file is refused with paths, and nothing is written.
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"format":"tongban-catalog/1","items":[{"department":"91350100M000100Y4Z","status":"published","doc":{}}]}"#)
        .expect("write");
    let o = run(
        &["catalog", "import", bad.to_str().expect("utf-8 path")],
        &dir,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("$.items[0].department"));
}

#[test]
fn audit_verify_detects_a_row_altered_in_the_database() {
    let dir = data_dir("trail");
    let demo = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/store/demo/catalog.json"
    );
    assert!(run(&["catalog", "import", demo], &dir).status.success());
    assert!(
        run(&["catalog", "audit", "--date", "2026-11-26"], &dir)
            .status
            .success()
    );
    let o = run(&["audit", "verify"], &dir);
    assert!(o.status.success(), "{}", stdout(&o));
    assert!(
        stdout(&o).starts_with("audit trail intact: 2 entries"),
        "{}",
        stdout(&o)
    );
    // Alter the first entry directly in the database, behind the program's back.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let store = tongban_store::Store::open(&tongban_store::sqlite_url_for_dir(&dir))
            .await
            .expect("open");
        use tongban_store::sea_orm_conn::ConnectionTrait as _;
        store
            .conn()
            .execute_unprepared("UPDATE audit_trail SET details = '{}' WHERE id = 1")
            .await
            .expect("tamper");
    });
    let o = run(&["audit", "verify"], &dir);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("broken at entry 1"), "{}", stdout(&o));
}

/// `tongban serve` stops cleanly on SIGTERM (what systemd and Kubernetes
/// send): it finishes what is in flight (here a slow client's request,
/// whose body is still arriving) and exits 0, as on Ctrl-C, instead of
/// being killed by the signal.
#[cfg(unix)]
#[test]
fn serve_drains_and_exits_on_sigterm() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpStream;
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let dir = data_dir("sigterm");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
        l.local_addr().expect("addr").port()
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_tongban"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(&dir)
        .env_remove("TONGBAN_DATABASE_URL")
        .env("TONGBAN_KEY_SECRET", "a test secret of enough length")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tongban serve starts");
    // Wait until it says it is serving.
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("is serving") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(120))
        .expect("the server starts within two minutes");
    // A request in flight: sent, its answer not yet read.
    // (It says so just before it binds the port.)
    let started = Instant::now();
    let mut conn = loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(c) => break c,
            Err(e) => {
                assert!(started.elapsed() < Duration::from_secs(30), "connects: {e}");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    };
    // A slow client: the request's head and half its body are sent before
    // the signal, the rest well after it. The server must wait for it and
    // answer it, not cut it off.
    let body = br#"{"case_no":"TB20260000000001","code":"ABCD2345"}"#;
    let head = format!(
        "POST /api/v1/progress HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).expect("head sent");
    let (first, rest) = body.split_at(body.len() / 2);
    conn.write_all(first).expect("half the body sent");
    std::thread::sleep(Duration::from_millis(300));
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success(), "SIGTERM sent");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        child.try_wait().expect("wait").is_none(),
        "the server waits for the request in flight instead of exiting"
    );
    conn.write_all(rest)
        .expect("the rest of the body sent after the signal");
    let mut answer = String::new();
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    conn.read_to_string(&mut answer)
        .expect("the answer arrives");
    // The lookup ran (no such case: 404 with the API's JSON error), after
    // the signal.
    assert!(
        answer.starts_with("HTTP/1.1 404"),
        "the request in flight is answered: {answer}"
    );
    assert!(answer.contains("\"code\""), "a real API answer: {answer}");
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server exits within 30 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        status.success(),
        "exit after SIGTERM is clean (0), not death by the signal: {status:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `tongban sources import` registers the sources of a tongban-sources/1
/// file, and refuses a file of another format, changing nothing.
#[test]
fn sources_import_registers_a_file_and_refuses_another_format() {
    let dir = data_dir("sources");
    let file = dir.join("sources.json");
    std::fs::write(
        &file,
        r#"{"format": "tongban-sources/1", "sources": [
            {"key": "hukou", "name": "户籍信息", "fields": ["name", "address"],
             "connector": {"kind": "table"},
             "rows": {"330102199003070027": {"name": "张三", "address": "示范区一路1号"}}}
        ]}"#,
    )
    .expect("file");
    let o = run(&["sources", "import", &file.to_string_lossy()], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(stdout(&o), "1 sources registered or updated");
    std::fs::write(&file, r#"{"format": "tongban-catalog/1", "sources": []}"#).expect("file");
    let o = run(&["sources", "import", &file.to_string_lossy()], &dir);
    assert!(!o.status.success(), "another format is refused");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("unsupported format"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `tongban demo generate` on an empty directory: the demo, then the cases,
/// whose figures `tongban kpi verify` confirms; a database that is not a
/// demo is refused.
#[test]
fn demo_generate_fills_a_demo_and_verify_agrees() {
    let dir = std::env::temp_dir().join(format!("tongban-cli-generate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.to_string_lossy().to_string();
    let run = |args: &[&str]| {
        let mut a: Vec<&str> = args.to_vec();
        a.extend(["--data-dir", &data]);
        Command::new(env!("CARGO_BIN_EXE_tongban"))
            .args(&a)
            .env("TONGBAN_KEY_SECRET", "cli-test-secret")
            .output()
            .expect("runs")
    };
    let o = run(&["demo", "generate", "--cases", "300", "--years", "1"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("generated 300 cases"), "{out}");
    let o = run(&[
        "kpi",
        "verify",
        "--from",
        "2020-01-01",
        "--to",
        "2030-12-31",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    let _ = std::fs::remove_dir_all(&dir);
    // A production database (no demo) is left alone.
    let prod =
        std::env::temp_dir().join(format!("tongban-cli-generate-prod-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&prod);
    let p = prod.to_string_lossy().to_string();
    let o = Command::new(env!("CARGO_BIN_EXE_tongban"))
        .args([
            "catalog",
            "import",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/crates/store/demo/catalog.json"
            ),
            "--data-dir",
            &p,
        ])
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = Command::new(env!("CARGO_BIN_EXE_tongban"))
        .args(["demo", "generate", "--cases", "10", "--data-dir", &p])
        .output()
        .expect("runs");
    assert!(
        !o.status.success(),
        "generated into a database that is not a demo"
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("demo database"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let _ = std::fs::remove_dir_all(&prod);
}
