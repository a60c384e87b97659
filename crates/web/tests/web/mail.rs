//! Notices reach people by e-mail through the outbox: delivered by SMTP (to
//! the test sink), retried when the relay is down, never lost.

use axum::http::{Method, StatusCode};
use serde_json::json;
use tongban_store::sea_orm_conn::ConnectionTrait;
use tongban_web::mail::{MailError, Mailer, SmtpConfig, StartTls, sink};
use tongban_web::{AppState, Config};

use crate::helpers::*;

fn smtp(server: &str) -> Config {
    let mut cfg = SmtpConfig::new(server, "noreply@demo.tongban.test");
    cfg.timeout = std::time::Duration::from_secs(5);
    Config {
        background_jobs: false,
        smtp: Some(cfg),
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
        // UTF-8 throughout: the subject as encoded words, the body in base64.
        let data = to_clerk.data.to_ascii_lowercase();
        assert!(
            data.contains("subject: =?utf-8?b?")
                && data.contains("content-transfer-encoding: base64"),
            "{b}: {}",
            to_clerk.data
        );
        assert!(
            to_clerk.subject.contains("公共场所卫生许可") && to_clerk.body.contains("当前状态"),
            "{b}: {to_clerk:?}"
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

#[tokio::test]
async fn mail_goes_through_starttls_with_auth_to_a_relay_the_centres_ca_signed() {
    let (ca_pem, server) = test_pki();
    let (addr, sink) = sink::start_tls(server, true).await.expect("sink");
    let mut cfg = SmtpConfig::new(addr.clone(), "noreply@demo.tongban.test");
    cfg.username = Some("tongban".into());
    cfg.password = Some("relay-secret".into());
    cfg.ca_pem = Some(ca_pem);
    cfg.starttls = StartTls::Required;
    let mailer = Mailer::new(&cfg).expect("mailer");
    mailer
        .send(
            "clerk@demo.tongban.test",
            "【受理】申请已受理",
            "您好，案件已受理。",
            "t1",
        )
        .await
        .expect("sent over STARTTLS");
    let got = sink.received();
    assert_eq!(got.len(), 1);
    assert!(got[0].tls, "the message travelled encrypted");
    assert_eq!(got[0].auth.as_deref(), Some("tongban"));
    assert_eq!(got[0].subject, "【受理】申请已受理");
    assert_eq!(got[0].body.trim(), "您好，案件已受理。");
    // Opportunistic STARTTLS against the same relay, without trusting its
    // CA: the certificate is refused rather than the mail sent in clear.
    let mut untrusting = SmtpConfig::new(addr, "noreply@demo.tongban.test");
    untrusting.starttls = StartTls::Opportunistic;
    let r = Mailer::new(&untrusting)
        .expect("mailer")
        .send("clerk@demo.tongban.test", "s", "b", "t2")
        .await;
    assert!(
        matches!(&r, Err(MailError::Smtp(_))) && format!("{r:?}").contains("InvalidCertificate"),
        "an unknown certificate is refused by TLS: {r:?}"
    );
    assert_eq!(sink.received().len(), 1);
}

#[tokio::test]
async fn a_relay_without_starttls_gets_no_mail_when_starttls_is_required() {
    let (addr, sink) = sink::start().await.expect("sink");
    let mut cfg = SmtpConfig::new(addr.clone(), "noreply@demo.tongban.test");
    cfg.starttls = StartTls::Required;
    let r = Mailer::new(&cfg)
        .expect("mailer")
        .send("clerk@demo.tongban.test", "s", "b", "t3")
        .await;
    assert!(
        matches!(&r, Err(MailError::Smtp(e)) if e.is_client() && e.to_string().contains("STARTTLS")),
        "refused for want of STARTTLS: {r:?}"
    );
    assert!(sink.received().is_empty());
    // A password is not sent in clear either: with credentials, STARTTLS
    // is required even when it was left to the relay.
    let mut with_password = SmtpConfig::new(addr.clone(), "noreply@demo.tongban.test");
    with_password.username = Some("tongban".into());
    with_password.password = Some("relay-secret".into());
    let r = Mailer::new(&with_password)
        .expect("mailer")
        .send("clerk@demo.tongban.test", "s", "b", "t5")
        .await;
    assert!(
        matches!(&r, Err(MailError::Smtp(e)) if e.is_client() && e.to_string().contains("STARTTLS")),
        "credentials are not sent without STARTTLS: {r:?}"
    );
    assert!(sink.received().is_empty());
    // The same relay with STARTTLS when offered and no password: plain SMTP.
    cfg.starttls = StartTls::Opportunistic;
    Mailer::new(&cfg)
        .expect("mailer")
        .send("clerk@demo.tongban.test", "s", "b", "t4")
        .await
        .expect("sent");
    assert_eq!(sink.received().len(), 1);
    assert!(!sink.received()[0].tls);
}

#[tokio::test]
async fn starttls_is_used_whenever_the_relay_offers_it() {
    let (ca_pem, server) = test_pki();
    let (addr, sink) = sink::start_tls(server, false).await.expect("sink");
    let mut cfg = SmtpConfig::new(addr, "noreply@demo.tongban.test");
    cfg.ca_pem = Some(ca_pem);
    Mailer::new(&cfg)
        .expect("mailer")
        .send("clerk@demo.tongban.test", "【受理】", "正文", "t6")
        .await
        .expect("sent");
    let got = sink.received();
    assert_eq!(got.len(), 1);
    assert!(got[0].tls, "upgraded although the relay did not require it");
}

#[tokio::test]
async fn mail_the_relay_refuses_for_good_is_not_retried_and_is_shown_to_staff() {
    for app in apps("mail_refused").await {
        let b = app.backend.clone();
        // The clerks' notices go to a mailbox the relay says does not exist.
        let clerk_id = app
            .store()
            .actor("clerk")
            .await
            .expect("actor")
            .expect("demo clerk")
            .user_id;
        app.store()
            .set_user_email(clerk_id, "clerk@refused.invalid")
            .await
            .expect("e-mail set");
        let applicant = app.login("applicant").await;
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
        let (addr, sink) = sink::start().await.expect("sink");
        let relay = AppState::new(app.store().clone(), smtp(&addr))
            .await
            .expect("state");
        relay.mail_tick().await.expect("tick");
        let refused: Vec<_> = app
            .store()
            .outbox(100)
            .await
            .expect("outbox")
            .into_iter()
            .filter(|m| m.to_addr == "clerk@refused.invalid")
            .collect();
        assert_eq!(refused.len(), 1, "{b}: one mail to the clerk");
        let m = &refused[0];
        assert!(m.failed_at.is_some(), "{b}: marked failed: {m:?}");
        assert!(m.sent_at.is_none(), "{b}");
        assert!(
            m.last_error.contains("550"),
            "{b}: the relay's answer kept: {m:?}"
        );
        // The relay's reply echoes the address (as real relays do); what
        // is kept, and shown to staff, does not.
        assert!(
            !m.last_error.contains("refused.invalid"),
            "{b}: the error does not repeat the address: {m:?}"
        );
        // However much time passes, it is not tried again.
        app.store()
            .conn()
            .execute_unprepared("UPDATE outbox SET next_attempt_at = 0")
            .await
            .expect("time passes");
        assert!(
            app.store()
                .due_mail(100)
                .await
                .expect("due")
                .iter()
                .all(|d| d.id != m.id),
            "{b}: not due again"
        );
        relay.mail_tick().await.expect("tick");
        let again = app.store().outbox(100).await.expect("outbox");
        let m2 = again.iter().find(|x| x.id == m.id).expect("still kept");
        assert_eq!(m2.attempts, m.attempts, "{b}: no further attempt");
        assert!(
            sink.received()
                .iter()
                .all(|r| r.rcpt != "clerk@refused.invalid"),
            "{b}"
        );
        // The supervisors see it, masked; others may not.
        let clerk = app.login("clerk").await;
        let page = app.get_page("/admin/mail", Some(&clerk)).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{b}");
        let supervisor = app.login("supervisor").await;
        let page = app.get_page("/admin/mail", Some(&supervisor)).await;
        assert_eq!(page.status, StatusCode::OK, "{b}");
        let text = page.text();
        assert!(!text.contains("clerk@refused.invalid"), "{b}: masked");
        assert!(text.contains("c****@refused.invalid"), "{b}: {text}");
        assert!(
            !text.contains("Recipient address rejected"),
            "{b}: the relay's echo is not shown: {text}"
        );
        let reviewer = app.login("reviewer").await;
        let page = app.get_page("/admin/mail", Some(&reviewer)).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{b}");
    }
}
