//! Notices reach people by e-mail through the outbox: delivered by SMTP (to
//! the test sink), retried when the relay is down, never lost.

use axum::http::{Method, StatusCode};
use serde_json::json;
use tongban_store::sea_orm_conn::ConnectionTrait;
use tongban_web::mail::{SmtpConfig, sink};
use tongban_web::{AppState, Config};

use crate::helpers::*;

fn smtp(server: &str) -> Config {
    Config {
        background_jobs: false,
        smtp: Some(SmtpConfig {
            server: server.to_string(),
            from: "noreply@demo.tongban.test".into(),
            username: None,
            password: None,
            timeout: std::time::Duration::from_secs(5),
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn outbox_mail_is_retried_while_the_relay_is_down_and_then_delivered_once() {
    for app in apps("mail").await {
        let b = app.backend.clone();
        let applicant = app.login("applicant").await;
        // Submitting tells the window clerks (in-app and by e-mail).
        let r = app
            .api(
                Method::POST,
                "/api/v1/cases",
                Some(&applicant),
                Some(json!({"item": "11339901MB000000114010103001000", "form": {"venue_name": "示范宾馆", "venue_address": "一路1号", "area": "100", "venue_type": "住宿场所"}})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}: {}", r.text());
        let id = r.json(&b, "case")["case"]["id"].as_i64().expect("id");
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/cases/{id}/commands"),
                Some(&applicant),
                Some(json!({"command": {"type": "submit"}})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: {}", r.text());
        let queued = app.store().outbox(100).await.expect("outbox");
        assert!(
            queued
                .iter()
                .any(|m| m.to_addr == "clerk@demo.tongban.test"),
            "{b}: {queued:?}"
        );
        let pending = queued.iter().filter(|m| m.sent_at.is_none()).count();

        // The relay is down: nothing is sent, every mail stays with its error.
        let closed = {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            l.local_addr().expect("addr").to_string()
        };
        let down = AppState::new(app.store().clone(), smtp(&closed))
            .await
            .expect("state");
        assert_eq!(down.mail_tick().await.expect("tick"), 0, "{b}");
        let after = app.store().outbox(100).await.expect("outbox");
        assert!(
            after
                .iter()
                .all(|m| m.sent_at.is_none() && m.attempts == 1 && !m.last_error.is_empty()),
            "{b}: {after:?}"
        );
        // Not retried before its backoff is over.
        assert!(
            app.store().due_mail(100).await.expect("due").is_empty(),
            "{b}"
        );

        // Later the relay is back (time passes: the backoff is over).
        app.store()
            .conn()
            .execute_unprepared("UPDATE outbox SET next_attempt_at = 0")
            .await
            .expect("time passes");
        let (addr, sink) = sink::start().await.expect("sink");
        let up = AppState::new(app.store().clone(), smtp(&addr))
            .await
            .expect("state");
        assert_eq!(up.mail_tick().await.expect("tick"), pending, "{b}");
        assert_eq!(up.mail_tick().await.expect("tick"), 0, "{b}: nothing twice");
        let got = sink.received();
        assert_eq!(got.len(), pending, "{b}");
        let to_clerk = got
            .iter()
            .find(|m| m.rcpt == "clerk@demo.tongban.test")
            .unwrap_or_else(|| panic!("{b}: {got:?}"));
        assert!(
            to_clerk.data.contains("Subject: =?UTF-8?B?")
                && to_clerk.data.contains("Content-Transfer-Encoding: base64"),
            "{b}"
        );
        assert!(
            app.store()
                .outbox(100)
                .await
                .expect("outbox")
                .iter()
                .all(|m| m.sent_at.is_some()),
            "{b}"
        );
    }
}
