//! Instant approval from shared data on both backends: agreeing data →
//! decided and certified with no human step; disagreeing data → a reviewer
//! sees the mismatch; a source that is down → the application lands, marked
//! for manual handling, and the lookup is retried until it succeeds.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tongban_domain::auth::Actor;
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::CaseState;
use tongban_store::Store;

use crate::helpers::actor;
use tongban_store::cases::NewCase;
use tongban_store::shared_data::{Connector, SourceDef};

/// 城乡居民基本医疗保险参保登记 (a newborn): rules approve when the birth
/// register and the population register agree with the form.
const MEDICAL: &str = "11339901MB000000374080301001000";

fn form(baby: &str) -> BTreeMap<String, String> {
    [
        ("baby_name", baby),
        ("birth_date", "2026-02-20"),
        ("guardian_name", "张三"),
        ("phone", "13800000000"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

async fn apply(store: &Store, applicant: &Actor, baby: &str) -> i64 {
    store
        .create_case(
            applicant,
            MEDICAL,
            NewCase {
                form: form(baby),
                ..Default::default()
            },
        )
        .await
        .expect("case")
        .id
}

#[tokio::test]
async fn agreeing_data_is_approved_and_certified_without_a_person() {
    for (backend, store) in tongban_store::testing::stores("instant_ok").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        let applicant = actor(&store, "applicant").await;
        let id = apply(&store, &applicant, "张小宝").await;
        // No upload at all: both materials come from the registers (免提交).
        let started = std::time::Instant::now();
        let done = store
            .submit_case(&applicant, id, None, &cal, day)
            .await
            .unwrap_or_else(|e| panic!("{backend}: {e}"));
        let took = started.elapsed();
        assert_eq!(done.state, CaseState::Completed, "{backend}");
        let c = store.unmasked_case(id).await.expect("case");
        assert_eq!(c.approved, Some(true));
        assert_eq!(
            c.waived.len(),
            2,
            "{backend}: both materials from shared data"
        );
        // Recorded: what was looked up, the rule version, inputs, trace, outcome.
        let fetches = store.unmasked_case_fetches(id).await.expect("fetches");
        let sources: Vec<&str> = fetches.iter().map(|f| f.source_key.as_str()).collect();
        assert_eq!(sources, vec!["population", "birth"], "{backend}");
        assert!(fetches.iter().all(|f| f.outcome == "found"));
        assert_eq!(fetches[1].data["baby_name"], "张小宝");
        let d = store.unmasked_case_decisions(id).await.expect("decisions");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].outcome, "approve");
        assert!(d[0].automatic);
        assert_eq!(d[0].item_version_id, c.item_version_id);
        assert_eq!(
            d[0].trace[0]["rule"], "r4",
            "{backend}: the trace names the rule"
        );
        assert_eq!(d[0].inputs["verified"], true);
        // The certificate is signed and valid; the steps are the system's.
        let certs = store.case_certificates(id).await.expect("certs");
        assert_eq!(certs.len(), 1, "{backend}");
        assert!(store.signature_valid(&certs[0]).await.expect("sig"));
        let events = store.unmasked_case_events(id).await.expect("events");
        let by_system = events.iter().filter(|e| e.actor_name == "系统").count();
        assert!(
            by_system >= 5,
            "{backend}: accept, review, decide, issue, deliver by the system"
        );
        assert!(
            events.iter().any(|e| e.details["by"] == "秒批"),
            "{backend}: the events say why"
        );
        // 免申即享: the completed registration tells the family of the subsidy, once.
        let m = store
            .policy_matches(Some("330102199003070027"))
            .await
            .expect("matches");
        assert_eq!(m.len(), 1, "{backend}");
        assert_eq!(m[0].policy, "newborn-insurance-subsidy");
        assert_eq!(m[0].case_id, id);
        let again = apply(&store, &applicant, "张小宝").await;
        store
            .submit_case(&applicant, again, None, &cal, day)
            .await
            .expect("second");
        assert_eq!(
            store
                .policy_matches(Some("330102199003070027"))
                .await
                .expect("m")
                .len(),
            1,
            "{backend}: told once"
        );
        eprintln!("{backend}: instant approval took {took:?} (debug build)");
    }
}

#[tokio::test]
async fn disagreeing_data_goes_to_a_person_with_the_mismatch() {
    for (backend, store) in tongban_store::testing::stores("instant_refer").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        let applicant = actor(&store, "applicant").await;
        let id = apply(&store, &applicant, "张大宝").await;
        let done = store
            .submit_case(&applicant, id, None, &cal, day)
            .await
            .expect("submitted");
        assert_eq!(
            done.state,
            CaseState::Submitted,
            "{backend}: waits for a person"
        );
        let d = store.unmasked_case_decisions(id).await.expect("decisions");
        assert_eq!(d[0].outcome, "refer");
        assert!(!d[0].automatic);
        assert_eq!(d[0].mismatches.len(), 1, "{backend}");
        let m = &d[0].mismatches[0];
        assert_eq!(
            (
                m.form_field.as_str(),
                m.declared.as_str(),
                m.authoritative.as_str()
            ),
            ("baby_name", "张大宝", "张小宝")
        );
        assert!(store.case_certificates(id).await.expect("certs").is_empty());
        // The window can still accept it: the materials came from the registers.
        let clerk = actor(&store, "clerk").await;
        let r = store
            .case_command(
                &clerk,
                id,
                None,
                &tongban_domain::case::Command::Accept,
                &cal,
                day,
            )
            .await
            .expect("accepted by the clerk");
        assert_eq!(r.state, CaseState::Review);
    }
}

/// A one-shot HTTP server answering every request with `body` (or 503).
async fn serve_json(listener: tokio::net::TcpListener, body: String) {
    loop {
        let Ok((mut s, _)) = listener.accept().await else {
            return;
        };
        let body = body.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 2048];
            let _ = s.read(&mut buf).await;
            let resp = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                body.len(),
                body
            );
            let _ = s.write_all(resp.as_bytes()).await;
        });
    }
}

#[tokio::test]
async fn a_source_that_is_down_loses_nothing_and_is_retried() {
    for (backend, store) in tongban_store::testing::stores("instant_down").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        // The birth register becomes an HTTP service on a port nobody listens on.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        drop(listener);
        store
            .upsert_source(&SourceDef {
                key: "birth".into(),
                name: "出生医学登记库（卫健部门）".into(),
                owner: "11339901MB00000011".into(),
                fields: vec![
                    "baby_name".into(),
                    "birth_date".into(),
                    "birth_district".into(),
                ],
                connector: Connector::Http {
                    url: format!("http://{addr}/births/{{key}}"),
                    timeout_ms: 500,
                    retries: 1,
                    auth_header: "Authorization: Bearer test".into(),
                    ca_pem: String::new(),
                },
            })
            .await
            .expect("source");
        let applicant = actor(&store, "applicant").await;
        let id = apply(&store, &applicant, "张小宝").await;
        let done = store
            .submit_case(&applicant, id, None, &cal, day)
            .await
            .expect("the application lands");
        assert_eq!(done.state, CaseState::Submitted, "{backend}");
        let f = store.unmasked_case_fetches(id).await.expect("fetches");
        let birth = f
            .iter()
            .find(|f| f.source_key == "birth")
            .expect("birth lookup");
        assert_eq!(birth.outcome, "failed", "{backend}");
        assert!(birth.message.contains("暂不可用"), "{}", birth.message);
        let d = store.unmasked_case_decisions(id).await.expect("decisions");
        assert_eq!(d[0].outcome, "refer");
        assert!(
            d[0].reasons[0].contains("未能核验"),
            "{backend}: {:?}",
            d[0].reasons
        );
        // Not due yet: nothing happens.
        assert_eq!(store.retry_fetches(&cal, day).await.expect("retry"), 0);
        // The source comes back; the retry is due (moved forward for the test).
        let listener = tokio::net::TcpListener::bind(addr).await.expect("rebind");
        let server = tokio::spawn(serve_json(
            listener,
            r#"{"baby_name":"张小宝","birth_date":"2026-02-20","birth_district":"339901"}"#.into(),
        ));
        {
            use tongban_store::sea_orm_conn::ConnectionTrait;
            store
                .conn()
                .execute_unprepared(
                    "UPDATE case_fetches SET retry_at = 0 WHERE retry_at IS NOT NULL",
                )
                .await
                .expect("due now");
        }
        assert_eq!(
            store.retry_fetches(&cal, day).await.expect("retry"),
            1,
            "{backend}"
        );
        server.abort();
        let c = store.unmasked_case(id).await.expect("case");
        assert_eq!(
            c.state,
            CaseState::Completed,
            "{backend}: approved once the data came"
        );
        let f = store.unmasked_case_fetches(id).await.expect("fetches");
        assert!(
            f.iter()
                .any(|f| f.source_key == "birth" && f.outcome == "found" && f.attempts == 2)
        );
        assert_eq!(
            store.retry_fetches(&cal, day).await.expect("retry"),
            0,
            "nothing left"
        );
    }
}

/// What a case's history looks like: the steps and the documents issued.
async fn history(store: &Store, id: i64) -> (Vec<(String, String)>, Vec<String>) {
    let events = store
        .unmasked_case_events(id)
        .await
        .expect("events")
        .into_iter()
        .map(|e| (e.action, e.actor_name))
        .collect();
    let docs = store
        .unmasked_case_documents(id)
        .await
        .expect("documents")
        .into_iter()
        .map(|d| d.kind.as_str().to_string())
        .collect();
    (events, docs)
}

/// The server writes submissions through the group-commit writer: several
/// at once, in one transaction. Each must come out exactly as if submitted
/// alone — approved and certified, or referred — and one that fails must not
/// take the others with it.
#[tokio::test]
async fn submissions_written_together_come_out_as_if_alone() {
    use std::sync::Arc;
    for (backend, store) in tongban_store::testing::stores("instant_batch").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = Arc::new(WorkCalendar::builtin_with(&[]).expect("calendar"));
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        let applicant = actor(&store, "applicant").await;
        // One alone, through the single path, to compare with.
        let alone = apply(&store, &applicant, "张小宝").await;
        let r = store
            .submit_case(&applicant, alone, None, &cal, day)
            .await
            .expect("alone");
        assert_eq!(r.state, CaseState::Completed, "{backend}");

        let agree: Vec<i64> = {
            let mut v = Vec::new();
            for _ in 0..3 {
                v.push(apply(&store, &applicant, "张小宝").await);
            }
            v
        };
        let disagree = apply(&store, &applicant, "张大宝").await;
        let moved = apply(&store, &applicant, "张小宝").await;
        let mut jobs = Vec::new();
        for id in agree.iter().chain([&disagree, &moved]) {
            jobs.push(
                store
                    .prepare_submit(&applicant, *id, None, cal.clone(), day)
                    .await
                    .expect("prepared"),
            );
        }
        // Another instance changes one case between its lookups and the write.
        {
            use tongban_store::sea_orm_conn::ConnectionTrait;
            store
                .conn()
                .execute_unprepared(&format!(
                    "UPDATE cases SET version = version + 1 WHERE id = {moved}"
                ))
                .await
                .expect("moved meanwhile");
        }
        let results = store.run_jobs(&jobs).await;
        assert_eq!(results.len(), 5);
        for (id, r) in agree.iter().zip(&results) {
            let a = r.as_ref().unwrap_or_else(|e| panic!("{backend}: {e}"));
            assert_eq!(a.state, CaseState::Completed, "{backend}");
            let c = store.unmasked_case(*id).await.expect("case");
            assert_eq!(c.approved, Some(true));
            assert_eq!(c.waived.len(), 2, "{backend}: materials from the registers");
            assert_eq!(
                history(&store, *id).await,
                history(&store, alone).await,
                "{backend}: the same steps and documents as alone"
            );
            let certs = store.case_certificates(*id).await.expect("certs");
            assert_eq!(certs.len(), 1, "{backend}");
            assert!(store.signature_valid(&certs[0]).await.expect("sig"));
            let d = store.unmasked_case_decisions(*id).await.expect("decisions");
            assert!(d.len() == 1 && d[0].automatic, "{backend}");
            assert_eq!(
                store
                    .unmasked_case_fetches(*id)
                    .await
                    .expect("fetches")
                    .len(),
                2
            );
        }
        // Written together: one transaction, one time for every step.
        let mut times = std::collections::BTreeSet::new();
        for id in agree.iter().chain([&disagree]) {
            for e in store.unmasked_case_events(*id).await.expect("events") {
                if e.action != "create" {
                    times.insert(e.at);
                }
            }
        }
        assert_eq!(times.len(), 1, "{backend}: one batch, not one by one");
        let referred = results[3].as_ref().expect("referred");
        assert_eq!(referred.state, CaseState::Submitted, "{backend}");
        let d = store
            .unmasked_case_decisions(disagree)
            .await
            .expect("decisions");
        assert!(d.len() == 1 && !d[0].automatic && d[0].mismatches.len() == 1);
        assert!(
            store
                .case_certificates(disagree)
                .await
                .expect("c")
                .is_empty()
        );
        assert!(
            matches!(&results[4], Err(tongban_store::StoreError::Conflict { en, .. }) if en.contains("changed by someone else")),
            "{backend}: a case changed meanwhile is refused: {:?}",
            results[4]
        );
        let c = store.unmasked_case(moved).await.expect("case");
        assert_eq!(c.state, CaseState::Draft, "{backend}: and left as it was");
        assert!(
            store
                .unmasked_case_fetches(moved)
                .await
                .expect("f")
                .is_empty()
        );
        // A key generated between the signature and the write: the
        // certificate is signed again with the department's current key.
        let late = apply(&store, &applicant, "张小宝").await;
        let p = store
            .prepare_submit(&applicant, late, None, cal.clone(), day)
            .await
            .expect("prepared");
        let dept = store
            .unmasked_case(late)
            .await
            .expect("case")
            .lead_department_id;
        let new_key = store.generate_key(dept, None).await.expect("new key");
        let r = store
            .run_jobs(&[
                p,
                store
                    .prepare_submit(&applicant, late, None, cal.clone(), day)
                    .await
                    .expect("prepared twice"),
            ])
            .await;
        assert_eq!(
            r[0].as_ref().map(|a| a.state).ok(),
            Some(CaseState::Completed),
            "{backend}"
        );
        assert!(
            matches!(&r[1], Err(tongban_store::StoreError::Conflict { en, .. }) if en.contains("changed by someone else")),
            "{backend}: the same draft twice: once: {:?}",
            r[1]
        );
        let certs = store.case_certificates(late).await.expect("certs");
        assert_eq!(certs.len(), 1, "{backend}");
        assert_eq!(certs[0].key_id, new_key, "{backend}: the current key");
        assert!(store.signature_valid(&certs[0]).await.expect("sig"));
        // A case no longer a draft is refused before anything is looked up.
        let r = store
            .prepare_submit(&applicant, late, None, cal.clone(), day)
            .await;
        assert!(
            matches!(&r, Err(tongban_store::StoreError::Conflict { .. })),
            "{backend}: {:?}",
            r.as_ref().err()
        );
        let fetches = store
            .unmasked_case_fetches(late)
            .await
            .expect("fetches")
            .len();
        assert_eq!(fetches, 2, "{backend}: nothing more looked up");
        // One chain through everything.
        assert!(
            matches!(
                store.verify_trail().await.expect("trail"),
                tongban_store::trail::TrailCheck::Intact { .. }
            ),
            "{backend}"
        );
    }
}
