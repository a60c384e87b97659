//! Group commit: commands applied together behave exactly as if applied one
//! after another — later ones see earlier ones, a refused one changes
//! nothing and does not disturb the others — on both backends.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use tongban_domain::auth::Actor;
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::{CaseState, Command};
use tongban_store::Store;
use tongban_store::attachments::Attachments;
use tongban_store::batch::CaseRequest;
use tongban_store::cases::NewCase;
use tongban_store::trail::TrailCheck;

async fn actor(store: &Store, username: &str) -> Actor {
    store
        .actor(username)
        .await
        .expect("actor")
        .expect("demo user")
}

#[tokio::test]
async fn a_batch_is_the_same_as_its_commands_one_by_one() {
    for (backend, store) in tongban_store::testing::stores("group_commit").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = Arc::new(WorkCalendar::builtin_with(&[]).expect("calendar"));
        let files = Attachments::in_memory();
        let applicant = actor(&store, "applicant").await;
        let clerk = actor(&store, "clerk").await;
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        let mut ids = Vec::new();
        for (i, complete) in [true, false].into_iter().enumerate() {
            let mut form = BTreeMap::new();
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
            for m in 0..(if complete { 4 } else { 3 }) {
                store
                    .upload(&files, &applicant, c.id, m, "m.pdf", b"%PDF-1.4 x".to_vec())
                    .await
                    .expect("upload");
            }
            ids.push(c.id);
        }
        let (a, b) = (ids[0], ids[1]);
        let req = |who: &Actor, id: i64, cmd: Command| CaseRequest {
            actor: who.clone(),
            case_id: id,
            expected_version: None,
            cmd,
            calendar: cal.clone(),
            today: day,
        };
        let batch = vec![
            req(&applicant, a, Command::Submit),
            req(&applicant, a, Command::Submit), // already submitted: refused
            req(&clerk, b, Command::Accept),     // still a draft: refused
            req(&applicant, b, Command::Submit),
            req(&clerk, a, Command::Accept), // sees the submission above
            req(&clerk, b, Command::Accept), // a material is missing: refused
            req(&applicant, a, Command::Issue), // wrong role: refused
        ];
        let results = store.case_commands(&batch).await;
        let ok: Vec<bool> = results.iter().map(|r| r.is_ok()).collect();
        assert_eq!(
            ok,
            vec![true, false, false, true, true, false, false],
            "{backend}: {results:?}"
        );
        assert!(
            matches!(results[6], Err(tongban_store::StoreError::Forbidden(_))),
            "{backend}"
        );
        let ca = store.case(a).await.expect("a");
        let cb = store.case(b).await.expect("b");
        assert_eq!((ca.state, ca.version), (CaseState::Review, 3), "{backend}");
        assert_eq!(
            (cb.state, cb.version),
            (CaseState::Submitted, 2),
            "{backend}"
        );
        assert_eq!(ca.accepted_on, Some(day), "{backend}");
        assert_eq!(
            ca.promised_due,
            Some(cal.add_workdays(day, 10).expect("cal")),
            "{backend}"
        );
        // Documents and events as if one by one: a receipt for A only.
        let docs = store.case_documents(a).await.expect("docs");
        assert_eq!(docs.len(), 1, "{backend}");
        assert_eq!(
            results[4].as_ref().ok().and_then(|r| r.document_id),
            Some(docs[0].id),
            "{backend}"
        );
        let events: Vec<String> = store
            .case_events(a)
            .await
            .expect("events")
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(events, vec!["create", "submit", "accept"], "{backend}");
        // The review tasks were written for the inbox.
        let reviewer = actor(&store, "reviewer").await;
        let inbox = store.inbox(&reviewer, &cal, day).await.expect("inbox");
        assert_eq!(
            inbox.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![a],
            "{backend}"
        );
        // Notices went to the applicant and the clerks.
        assert!(
            store
                .notifications(applicant.user_id, 50)
                .await
                .expect("n")
                .iter()
                .any(|n| n.case_id == Some(a) && n.subject.contains("受理")),
            "{backend}"
        );
        assert!(
            store
                .outbox(100)
                .await
                .expect("outbox")
                .iter()
                .any(|m| m.to_addr == "clerk@demo.tongban.test"),
            "{backend}"
        );
        match store.verify_trail().await.expect("verify") {
            TrailCheck::Intact { .. } => {}
            other => panic!("{backend}: {other:?}"),
        }
        // A stale expected version in a batch is refused, the rest applies.
        let stale = CaseRequest {
            expected_version: Some(1),
            ..req(
                &clerk,
                b,
                Command::Refuse {
                    reason: "x".into(),
                    competent_agency: String::new(),
                },
            )
        };
        let results = store
            .case_commands(&[
                stale,
                req(
                    &applicant,
                    b,
                    Command::Withdraw {
                        reason: String::new(),
                    },
                ),
            ])
            .await;
        assert!(
            results[0].is_err() && results[1].is_ok(),
            "{backend}: {results:?}"
        );
        assert_eq!(
            store.case(b).await.expect("b").state,
            CaseState::Withdrawn,
            "{backend}"
        );
    }
}
