//! Electronic certificates on both backends: 制证 of an approval issues a
//! certificate signed by the department's key, in the case's transaction;
//! the export verifies offline and with OpenSSL 3 exactly as documented; a
//! changed byte fails; revocation is the issuing head's and shows.

use std::collections::BTreeMap;
use std::process::Command as Process;

use chrono::NaiveDate;
use tongban_domain::auth::Actor;
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::Command;
use tongban_domain::cert::{CertStatus, LicenceId};
use tongban_store::Store;

use crate::helpers::actor;
use tongban_store::attachments::Attachments;
use tongban_store::cases::NewCase;

/// 公共场所卫生许可 from application to 制证, as the demo's staff; the case
/// and the outcome of 制证.
async fn to_issue(
    store: &Store,
    cal: &WorkCalendar,
    day: NaiveDate,
) -> (i64, tongban_store::Result<tongban_store::cases::Applied>) {
    let files = Attachments::in_memory();
    let applicant = actor(store, "applicant").await;
    let clerk = actor(store, "clerk").await;
    let reviewer = actor(store, "reviewer").await;
    let head = actor(store, "head").await;
    let mut form = BTreeMap::new();
    for (k, v) in [
        ("venue_name", "示范宾馆"),
        ("venue_address", "示范区一路1号"),
        ("area", "320"),
        ("venue_type", "住宿场所"),
    ] {
        form.insert(k.to_string(), v.to_string());
    }
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
            .upload(&files, &applicant, c.id, m, "m.pdf", b"%PDF-1.4 x".to_vec())
            .await
            .expect("upload");
    }
    let steps: Vec<(&Actor, Command)> = vec![
        (&applicant, Command::Submit),
        (&clerk, Command::Accept),
        (
            &reviewer,
            Command::CompleteReview {
                agree: true,
                opinion: "符合条件".into(),
            },
        ),
        (
            &head,
            Command::Decide {
                approve: true,
                reason: "准予".into(),
            },
        ),
    ];
    for (who, cmd) in steps {
        store
            .case_command(who, c.id, None, &cmd, cal, day)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", cmd.name()));
    }
    let issued = store
        .case_command(&reviewer, c.id, None, &Command::Issue, cal, day)
        .await;
    (c.id, issued)
}

fn openssl(dir: &std::path::Path) -> Option<bool> {
    if Process::new("openssl").arg("version").output().is_err() {
        assert!(
            std::env::var_os("TONGBAN_REQUIRE_OPENSSL").is_none(),
            "openssl is required here but not installed"
        );
        eprintln!("openssl not installed: OpenSSL verification skipped");
        return None;
    }
    let out = Process::new("openssl")
        .current_dir(dir)
        .args([
            "pkeyutl",
            "-verify",
            "-rawin",
            "-digest",
            "sm3",
            "-pubin",
            "-inkey",
            "key.pem",
            "-sigfile",
            "sig.der",
            "-in",
            "cert.json",
            "-pkeyopt",
            "distid:1234567812345678",
        ])
        .output()
        .expect("openssl runs");
    Some(
        out.status.success()
            && String::from_utf8_lossy(&out.stdout).contains("Signature Verified Successfully"),
    )
}

#[tokio::test]
async fn an_issued_certificate_verifies_with_openssl_and_can_be_revoked() {
    for (backend, store) in tongban_store::testing::stores("certificates").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        let (case_id, issued) = to_issue(&store, &cal, day).await;
        issued.unwrap_or_else(|e| panic!("{backend}: 制证: {e}"));
        let certs = store.case_certificates(case_id).await.expect("certs");
        assert_eq!(certs.len(), 1, "{backend}: one certificate per approval");
        let c = &certs[0];
        // The identifier is well-formed, with its check character.
        assert_eq!(
            LicenceId::parse(&c.licence_id).map(|l| l.to_string()),
            Ok(c.licence_id.clone())
        );
        assert!(
            c.licence_id.contains(".11339901MB00000011."),
            "{backend}: issued by 卫健局"
        );
        assert_eq!(c.record.holder_code_type, "111");
        assert_eq!(
            c.record.fields.get("venue_name").map(String::as_str),
            Some("示范宾馆")
        );
        assert_eq!(c.status(day), CertStatus::Valid);
        assert!(store.signature_valid(c).await.expect("check"));
        // Offline verification of the export.
        let export = store.export_certificate(c).await.expect("export");
        let rec = export.verify().expect("verifies offline");
        assert_eq!(rec.licence_id.as_str(), c.licence_id);
        let mut forged = export.clone();
        forged.certificate = forged.certificate.replace("示范宾馆", "别的宾馆");
        let why = forged.verify().expect_err("a changed certificate fails");
        assert!(
            why.contains("签名") || why.contains("signature"),
            "{backend}: {why}"
        );
        // Against the published issuer keys: the file's key must be the issuer's.
        let trusted = store.issuer_keys().await.expect("issuer keys");
        assert_eq!(
            export
                .verify_trusted(&trusted)
                .map(|r| r.licence_id.to_string()),
            Ok(c.licence_id.clone()),
            "{backend}"
        );
        // A forger signs a changed certificate with a key of their own: it is
        // self-consistent, so only the trusted list catches it.
        let own = tongban_certs::SigningPair::generate();
        let mut self_signed = forged.clone();
        self_signed.signature_hex = tongban_certs::to_hex(&own.sign(forged.certificate.as_bytes()));
        self_signed.public_key_pem = own.public_pem().expect("pem");
        assert!(
            self_signed.verify().is_ok(),
            "{backend}: consistent on its own"
        );
        let why = self_signed
            .verify_trusted(&trusted)
            .expect_err("not a trusted key");
        assert!(why.contains("not in the trusted list"), "{backend}: {why}");
        // A trusted key of another department does not sign for this one.
        let mut elsewhere = trusted.clone();
        for k in &mut elsewhere.keys {
            k.issuer_code = "11339901MB0000009X".into();
        }
        let why = export
            .verify_trusted(&elsewhere)
            .expect_err("another department's key");
        assert!(why.contains("the key belongs to"), "{backend}: {why}");
        // A key reported compromised: the published list says so, and offline
        // verification of what it signed stops (online verification goes on).
        let key = c.key_id;
        store
            .mark_key_compromised(key, None)
            .await
            .expect("compromised");
        let listed = store.issuer_keys().await.expect("issuer keys");
        assert!(
            listed
                .keys
                .iter()
                .any(|k| k.key_id == key && k.compromised_at.is_some() && k.retired_at.is_some()),
            "{backend}"
        );
        let why = export
            .verify_trusted(&listed)
            .expect_err("no longer trusted");
        assert!(why.contains("compromised"), "{backend}: {why}");
        assert!(
            matches!(
                store.mark_key_compromised(key, None).await,
                Err(tongban_store::StoreError::NotFound(w)) if w.contains("already marked compromised")
            ),
            "{backend}: reported once"
        );
        assert!(
            store.signature_valid(c).await.expect("check"),
            "{backend}: online"
        );
        // OpenSSL 3, exactly the documented command, on the files we export.
        let dir =
            std::env::temp_dir().join(format!("tongban-cert-{backend}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("cert.json"), &export.certificate).expect("write");
        std::fs::write(
            dir.join("sig.der"),
            tongban_certs::from_hex(&export.signature_hex).expect("hex"),
        )
        .expect("write");
        std::fs::write(dir.join("key.pem"), &export.public_key_pem).expect("write");
        if let Some(ok) = openssl(&dir) {
            assert!(ok, "{backend}: OpenSSL verifies the issued certificate");
            std::fs::write(dir.join("cert.json"), &forged.certificate).expect("write");
            assert_eq!(
                openssl(&dir),
                Some(false),
                "{backend}: OpenSSL refuses a changed one"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
        // Revocation: only the issuing department's head, with a reason.
        let reviewer = actor(&store, "reviewer").await;
        let head = actor(&store, "head").await;
        let head_yb = actor(&store, "head_yb").await;
        assert!(matches!(
            store
                .revoke_certificate(&reviewer, &c.licence_id, "错误")
                .await,
            Err(tongban_store::StoreError::Forbidden(_))
        ));
        assert!(matches!(
            store
                .revoke_certificate(&head_yb, &c.licence_id, "错误")
                .await,
            Err(tongban_store::StoreError::Forbidden(_))
        ));
        assert!(
            matches!(
                store.revoke_certificate(&head, &c.licence_id, " ").await,
                Err(tongban_store::StoreError::Invalid(f)) if f.0.iter().any(|e| e.field == "reason")
            ),
            "{backend}: a revocation states its reason"
        );
        let revoked = store
            .revoke_certificate(&head, &c.licence_id, "场所已停业")
            .await
            .expect("revoked");
        assert_eq!(revoked.status(day), CertStatus::Revoked, "{backend}");
        assert!(
            matches!(
                store.revoke_certificate(&head, &c.licence_id, "再次").await,
                Err(tongban_store::StoreError::Conflict { en, .. }) if en.contains("already revoked")
            ),
            "{backend}: revoked once"
        );
        // The signature still verifies: revocation is a status, not a forgery.
        assert!(store.signature_valid(&revoked).await.expect("check"));
    }
}

#[tokio::test]
async fn without_a_key_nothing_is_issued_and_the_case_does_not_move() {
    for (backend, store) in tongban_store::testing::stores("certificates_nokey").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        // The department's keys are retired by hand (as if never generated).
        {
            use tongban_store::sea_orm_conn::ConnectionTrait;
            let c = store.conn();
            c.execute_unprepared("UPDATE signing_keys SET retired_at = 1")
                .await
                .expect("retire");
        }
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        let (case_id, issued) = to_issue(&store, &cal, day).await;
        let err = issued.expect_err("制证 refused without a key");
        assert!(
            format!("{err}").contains("keys generate"),
            "{backend}: {err}"
        );
        assert!(
            store
                .case_certificates(case_id)
                .await
                .expect("certs")
                .is_empty()
        );
        let c = store.unmasked_case(case_id).await.expect("case");
        assert_eq!(
            c.state.as_str(),
            "certifying",
            "{backend}: still waiting for 制证"
        );
    }
}
