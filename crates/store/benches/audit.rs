//! Guide audit over 10,000 items.
//!
//! `cargo bench -p tongban-store --bench audit` — times the pure rule
//! evaluation, then a full recorded audit run on SQLite (load, audit,
//! reconcile findings in one transaction): first run (all findings new) and
//! a re-run (nothing changed). Set `TONGBAN_BENCH_DATABASE_URL` to a
//! PostgreSQL URL to time that backend instead.

use std::time::Instant;

use chrono::NaiveDate;
use tongban_domain::audit::{AuditContext, VersionFacts, audit_item};
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::catalog::ItemDoc;
use tongban_domain::codes::{BasicCode, ImplCode};
use tongban_store::Store;
use tongban_store::catalog::transfer::{CatalogFile, FORMAT, ItemRecord, parse_catalog};

fn synthetic(n: usize) -> CatalogFile {
    let demo =
        parse_catalog(tongban_store::demo::DEMO_CATALOG, &Default::default()).expect("demo parses");
    let base: Vec<&ItemRecord> = demo
        .items
        .iter()
        .filter(|i| i.status.as_str() == "published")
        .collect();
    let mut items = Vec::with_capacity(n);
    for i in 0..n {
        let src = base[i % base.len()];
        let mut doc: ItemDoc = src.doc.clone();
        let basic = BasicCode::parse(&format!("{:02}{:010}", 90 + (i % 9), i)).expect("basic code");
        doc.impl_code =
            ImplCode::compose(&doc.agency.credit_code, doc.exercise_level.digit(), &basic)
                .expect("impl code");
        doc.basic_code = basic;
        doc.name = format!("{}（{}）", doc.name, i);
        items.push(ItemRecord {
            department: src.department.clone(),
            status: src.status,
            doc,
        });
    }
    CatalogFile {
        format: FORMAT.into(),
        departments: demo.departments.clone(),
        items,
    }
}

fn main() {
    let n: usize = std::env::var("ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let file = synthetic(n);
    let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
    let today = NaiveDate::from_ymd_opt(2026, 11, 26).expect("date");
    let ctx = AuditContext {
        today,
        calendar: &cal,
        issued: &[],
    };

    let facts = VersionFacts::default();
    let mut best = f64::MAX;
    let mut findings = 0;
    for _ in 0..5 {
        let t = Instant::now();
        findings = file
            .items
            .iter()
            .map(|i| audit_item(&i.doc, &facts, &ctx).len())
            .sum::<usize>();
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "rules only: {n} items, {findings} findings, best of 5: {:.1} ms",
        best * 1000.0
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let (url, label) = match std::env::var("TONGBAN_BENCH_DATABASE_URL") {
            Ok(u) if !u.is_empty() => (u, "PostgreSQL"),
            _ => {
                let dir = std::env::temp_dir()
                    .join(format!("tongban-bench-audit-{}", std::process::id()));
                std::fs::create_dir_all(&dir).expect("temp dir");
                (tongban_store::sqlite_url_for_dir(&dir), "SQLite")
            }
        };
        let store = Store::open(&url).await.expect("store");
        let centre = tongban_store::demo::ensure_centre(&store)
            .await
            .expect("centre");
        let text = serde_json::to_string(&file).expect("serialise");
        let t = Instant::now();
        store
            .import_catalog(centre, &text, None)
            .await
            .expect("import");
        println!(
            "{label}: imported {n} items in {:.2} s",
            t.elapsed().as_secs_f64()
        );
        for label2 in ["first run (all findings new)", "re-run (no change)"] {
            let t = Instant::now();
            let run = store
                .run_audit("bench", None, today, &cal)
                .await
                .expect("audit");
            println!(
                "{label}: audit {label2}: {} items, {} findings, {} opened, {:.2} s",
                run.items,
                run.findings,
                run.opened,
                t.elapsed().as_secs_f64()
            );
        }
    });
}
