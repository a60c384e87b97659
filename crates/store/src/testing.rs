//! Test support: fresh stores on each configured backend (SQLite always,
//! PostgreSQL when `TONGBAN_TEST_DATABASE_URL` is set).

use sea_orm::{ConnectionTrait, Database};

use crate::{Store, sqlite_url_for_dir};

/// A store in a fresh schema of the PostgreSQL database at `url`
/// (benchmarks and tests that must not share tables).
pub async fn open_pg_schema(url: &str, prefix: &str) -> Store {
    let schema = format!("{prefix}_{}", rand::random::<u32>());
    let admin = match Database::connect(url.to_string()).await {
        Ok(a) => a,
        Err(e) => panic!("{url} unreachable: {e}"),
    };
    if let Err(e) = admin
        .execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
        .await
    {
        panic!("create schema: {e}");
    }
    match Store::open_with(url, Some(&schema)).await {
        Ok(s) => s,
        Err(e) => panic!("postgres store: {e}"),
    }
}

/// A fresh, empty PostgreSQL database for a test that starts server
/// processes (they cannot share a schema search path); `None` without
/// `TONGBAN_TEST_DATABASE_URL`.
pub async fn fresh_pg_database(test: &str) -> Option<String> {
    let url = std::env::var("TONGBAN_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    let name = format!("tongban_{}_{}", test.to_lowercase(), rand::random::<u32>());
    let admin = match Database::connect(url.clone()).await {
        Ok(a) => a,
        Err(e) => panic!("TONGBAN_TEST_DATABASE_URL is set but unreachable: {e}"),
    };
    if let Err(e) = admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
    {
        panic!("create database: {e}");
    }
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b.to_string(), format!("?{q}")),
        None => (url.clone(), String::new()),
    };
    let base = match base.rsplit_once('/') {
        Some((host, _db)) => host.to_string(),
        None => base,
    };
    Some(format!("{base}/{name}{query}"))
}

/// The backends a storage test runs on: always a fresh SQLite file, and a
/// fresh schema in PostgreSQL when `TONGBAN_TEST_DATABASE_URL` is set.
pub async fn stores(test: &str) -> Vec<(String, Store)> {
    let mut out = Vec::new();
    for (backend, url, schema) in fresh_databases(test).await {
        match Store::open_with(&url, schema.as_deref()).await {
            Ok(s) => out.push((backend, s)),
            Err(e) => panic!("{backend} store: {e}"),
        }
    }
    out
}

/// Each backend's fresh database opened twice, as two server instances
/// open it: two connection pools, nothing of one store's memory shared
/// with the other. The first store has the schema; load data through it.
pub async fn store_pairs(test: &str) -> Vec<(String, Store, Store)> {
    let mut out = Vec::new();
    for (backend, url, schema) in fresh_databases(test).await {
        let open = || async {
            match Store::open_with(&url, schema.as_deref()).await {
                Ok(s) => s,
                Err(e) => panic!("{backend} store: {e}"),
            }
        };
        let a = open().await;
        let b = open().await;
        out.push((backend.clone(), a, b));
    }
    out
}

/// A fresh SQLite database, and a fresh PostgreSQL schema when
/// `TONGBAN_TEST_DATABASE_URL` is set: (backend, URL, schema).
async fn fresh_databases(test: &str) -> Vec<(String, String, Option<String>)> {
    let mut out = Vec::new();
    let dir = std::env::temp_dir().join(format!(
        "tongban-test-{}-{}-{}",
        test,
        std::process::id(),
        rand::random::<u32>()
    ));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        panic!("cannot create test dir {}: {e}", dir.display());
    }
    out.push(("sqlite".to_string(), sqlite_url_for_dir(&dir), None));
    match std::env::var("TONGBAN_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            let schema = format!("t_{}_{}", test.to_lowercase(), rand::random::<u32>());
            let admin = match Database::connect(url.clone()).await {
                Ok(a) => a,
                Err(e) => panic!("TONGBAN_TEST_DATABASE_URL is set but unreachable: {e}"),
            };
            if let Err(e) = admin
                .execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
                .await
            {
                panic!("create schema: {e}");
            }
            out.push(("postgres".to_string(), url, Some(schema)));
        }
        _ => eprintln!(
            "{test}: PostgreSQL skipped (set TONGBAN_TEST_DATABASE_URL to run this storage test on PostgreSQL too)"
        ),
    }
    out
}
