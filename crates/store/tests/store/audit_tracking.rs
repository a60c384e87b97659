//! Guide audit findings tracked to rectification through the real path:
//! audit → fix the guide in a new version → publish → re-audit closes the
//! finding → a supervisor verifies it → the defect comes back → the same
//! finding reopens.

use chrono::NaiveDate;
use tongban_domain::calendar::WorkCalendar;
use tongban_store::guide_audit::{FindingFilter, FindingStatus, StoredFinding};
use tongban_store::{Store, StoreError};

const ITEM_NAME: &str = "高龄津贴申领";
const GOOD_PHONE: &str = "0571-86010007";
/// The demo's malformed consultation phone of 高龄津贴申领.
const BAD_PHONE: &str = "8601007";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 30).expect("2025-06-30 is a date")
}

fn calendar(backend: &str) -> WorkCalendar {
    WorkCalendar::builtin_with(&[]).unwrap_or_else(|e| panic!("{backend}: builtin calendar: {e}"))
}

async fn all_findings(backend: &str, store: &Store) -> Vec<StoredFinding> {
    store
        .findings(&FindingFilter::default())
        .await
        .unwrap_or_else(|e| panic!("{backend}: findings: {e}"))
}

/// The G11 finding on `consult_phone` of an item, if stored.
async fn phone_finding(backend: &str, store: &Store, impl_code: &str) -> Option<StoredFinding> {
    store
        .findings(&FindingFilter {
            impl_code: Some(impl_code.to_string()),
            rule_id: Some("G11".into()),
            ..FindingFilter::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{backend}: findings for {impl_code}: {e}"))
        .into_iter()
        .find(|f| f.element == "consult_phone")
}

/// Publishes a new version of an item with another consultation phone. A
/// malformed phone is an error-level finding, so publishing it is refused;
/// such a guide still reaches the catalogue by import (national data), which
/// is how the defect comes back here.
async fn republish_with_phone(backend: &str, store: &Store, impl_code: &str, phone: &str) {
    let draft = store
        .new_version(impl_code, None)
        .await
        .unwrap_or_else(|e| panic!("{backend}: new_version of {impl_code}: {e}"));
    let mut doc = draft.doc.clone();
    doc.consult_phone = phone.to_string();
    let saved = store
        .update_draft(draft.id, &doc, Some(draft.updated_at))
        .await
        .unwrap_or_else(|e| panic!("{backend}: update_draft with phone {phone}: {e}"));
    assert_eq!(
        saved.doc.consult_phone, phone,
        "{backend}: draft saved with phone {phone}"
    );
    match store.publish(draft.id, None).await {
        Ok(published) => assert_eq!(
            published.doc.consult_phone, phone,
            "{backend}: published version carries phone {phone}"
        ),
        Err(StoreError::Invalid(errs)) => {
            assert!(
                errs.0
                    .iter()
                    .any(|e| e.field == "consult_phone" && e.code == "audit_error"),
                "{backend}: refused for the phone: {errs:?}"
            );
            store
                .delete_draft(draft.id)
                .await
                .unwrap_or_else(|e| panic!("{backend}: delete draft: {e}"));
            let mut file = serde_json::to_value(
                store
                    .export_catalog(&tongban_store::catalog::transfer::ExportScope {
                        centre_path: None,
                        department_id: None,
                    })
                    .await
                    .unwrap_or_else(|e| panic!("{backend}: export: {e}")),
            )
            .unwrap_or_else(|e| panic!("{backend}: export as JSON: {e}"));
            if let Some(items) = file["items"].as_array_mut() {
                items.retain(|i| i["doc"]["impl_code"] == impl_code);
                for i in items {
                    i["doc"]["consult_phone"] = phone.into();
                }
            }
            let centre = store.centres().await.unwrap_or_else(|e| panic!("{e}"))[0].id;
            store
                .import_catalog(centre, &file.to_string(), None)
                .await
                .unwrap_or_else(|e| panic!("{backend}: import with phone {phone}: {e}"));
            let live = store
                .published_item(impl_code)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|| panic!("{backend}: published"));
            assert_eq!(live.doc.consult_phone, phone, "{backend}: imported");
        }
        Err(e) => panic!("{backend}: publish phone {phone}: {e}"),
    }
}

async fn user_id(backend: &str, store: &Store, username: &str) -> i64 {
    store
        .users()
        .await
        .unwrap_or_else(|e| panic!("{backend}: users: {e}"))
        .into_iter()
        .find(|u| u.username == username)
        .map(|u| u.id)
        .unwrap_or_else(|| panic!("{backend}: demo user {username} missing"))
}

fn expect_conflict<T: std::fmt::Debug>(backend: &str, what: &str, r: Result<T, StoreError>) {
    match r {
        Err(StoreError::Conflict { .. }) => {}
        other => panic!("{backend}: {what}: expected Conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn rerunning_the_audit_without_changes_adds_nothing() {
    for (backend, store) in tongban_store::testing::stores("audit_idem").await {
        let backend = backend.as_str();
        assert!(
            tongban_store::demo::load_demo(&store)
                .await
                .unwrap_or_else(|e| panic!("{backend}: load demo: {e}")),
            "{backend}: demo loads into a fresh store"
        );
        let cal = calendar(backend);
        let first = store
            .run_audit("manual", None, today(), &cal)
            .await
            .unwrap_or_else(|e| panic!("{backend}: first audit: {e}"));
        assert!(
            first.findings > 0,
            "{backend}: the demo catalogue has audit findings"
        );
        assert_eq!(
            first.opened, first.findings,
            "{backend}: a first run opens every finding"
        );
        let before = all_findings(backend, &store).await;
        assert_eq!(
            before.len() as i64,
            first.findings,
            "{backend}: one stored row per finding"
        );

        let second = store
            .run_audit("manual", None, today(), &cal)
            .await
            .unwrap_or_else(|e| panic!("{backend}: second audit: {e}"));
        assert_ne!(second.id, first.id, "{backend}: each run is recorded");
        assert_eq!(
            second.findings, first.findings,
            "{backend}: same findings on an unchanged catalogue"
        );
        assert_eq!(
            second.opened, 0,
            "{backend}: nothing newly opened on an unchanged catalogue"
        );
        assert_eq!(
            second.closed, 0,
            "{backend}: nothing closed on an unchanged catalogue"
        );
        let after = all_findings(backend, &store).await;
        assert_eq!(
            after.len(),
            before.len(),
            "{backend}: a re-run must not add finding rows"
        );
        let ids_before: Vec<i64> = before.iter().map(|f| f.id).collect();
        let ids_after: Vec<i64> = after.iter().map(|f| f.id).collect();
        assert_eq!(
            ids_after, ids_before,
            "{backend}: the same finding rows survive a re-run"
        );
        assert!(
            after
                .iter()
                .all(|f| f.status == FindingStatus::Open && f.reopened == 0),
            "{backend}: unchanged findings stay open and are not counted as reopened"
        );
        let runs = store
            .audit_runs(10)
            .await
            .unwrap_or_else(|e| panic!("{backend}: audit_runs: {e}"));
        assert_eq!(runs.len(), 2, "{backend}: both runs are listed");
        assert_eq!(runs[0].id, second.id, "{backend}: newest run first");
    }
}

#[tokio::test]
async fn finding_is_closed_verified_and_reopened() {
    for (backend, store) in tongban_store::testing::stores("audit_track").await {
        let backend = backend.as_str();
        assert!(
            tongban_store::demo::load_demo(&store)
                .await
                .unwrap_or_else(|e| panic!("{backend}: load demo: {e}")),
            "{backend}: demo loads into a fresh store"
        );
        let cal = calendar(backend);
        let supervisor = user_id(backend, &store, "supervisor").await;
        let catalog_admin = user_id(backend, &store, "catalog").await;

        let item = store
            .published_items()
            .await
            .unwrap_or_else(|e| panic!("{backend}: published_items: {e}"))
            .into_iter()
            .find(|i| i.doc.name == ITEM_NAME)
            .unwrap_or_else(|| panic!("{backend}: demo item {ITEM_NAME} not published"));
        let code = item.impl_code.clone();
        assert_eq!(
            item.doc.consult_phone, BAD_PHONE,
            "{backend}: demo precondition: malformed phone"
        );

        // --- first audit: the malformed phone is found.
        let run1 = store
            .run_audit("manual", None, today(), &cal)
            .await
            .unwrap_or_else(|e| panic!("{backend}: first audit: {e}"));
        assert!(run1.findings > 0, "{backend}: the demo has findings");
        let found = phone_finding(backend, &store, &code)
            .await
            .unwrap_or_else(|| panic!("{backend}: no G11 finding on consult_phone of {ITEM_NAME}"));
        assert_eq!(
            found.status,
            FindingStatus::Open,
            "{backend}: a new finding is open"
        );
        assert_eq!(
            found.item_version, item.version,
            "{backend}: finding names the audited version"
        );
        assert_eq!(found.reopened, 0, "{backend}: not reopened yet");

        // Guards on the tracking transitions, on open findings.
        expect_conflict(
            backend,
            "verifying an open finding",
            store.verify_finding(found.id, supervisor).await,
        );
        match store
            .mark_finding_fixed(found.id, catalog_admin, "   ")
            .await
        {
            Err(StoreError::Invalid(errs)) => assert!(
                errs.0.iter().any(|e| e.field == "note"),
                "{backend}: empty note error should name the note field, got {errs}"
            ),
            other => panic!(
                "{backend}: mark_finding_fixed with an empty note: expected Invalid, got {other:?}"
            ),
        }
        let unchanged = store
            .finding(found.id)
            .await
            .unwrap_or_else(|e| panic!("{backend}: reread finding: {e}"));
        assert_eq!(
            unchanged.status,
            FindingStatus::Open,
            "{backend}: refused transitions leave it open"
        );
        assert!(
            unchanged.fixed_at.is_none(),
            "{backend}: refused transitions set no fix time"
        );

        // --- fix through a new version and re-audit: the finding closes itself.
        let rows_before_fix = all_findings(backend, &store).await.len();
        republish_with_phone(backend, &store, &code, GOOD_PHONE).await;
        let run2 = store
            .run_audit("manual", None, today(), &cal)
            .await
            .unwrap_or_else(|e| panic!("{backend}: audit after fix: {e}"));
        assert!(
            run2.closed >= 1,
            "{backend}: the re-audit reports the closed finding (closed = {})",
            run2.closed
        );
        assert_eq!(run2.opened, 0, "{backend}: fixing a phone opens nothing");
        assert!(
            run2.findings < run1.findings,
            "{backend}: fewer findings after the fix"
        );
        let fixed = store
            .finding(found.id)
            .await
            .unwrap_or_else(|e| panic!("{backend}: finding after fix: {e}"));
        assert_eq!(
            fixed.status,
            FindingStatus::Fixed,
            "{backend}: re-audit marks the finding fixed"
        );
        assert!(fixed.fixed_at.is_some(), "{backend}: fix time recorded");
        assert_eq!(
            fixed.fixed_by, None,
            "{backend}: closed by the re-audit, not by a person"
        );
        assert_eq!(
            all_findings(backend, &store).await.len(),
            rows_before_fix,
            "{backend}: closing a finding adds no rows"
        );

        // --- the supervisor verifies it.
        let verified = store
            .verify_finding(found.id, supervisor)
            .await
            .unwrap_or_else(|e| panic!("{backend}: verify: {e}"));
        assert_eq!(
            verified.status,
            FindingStatus::Verified,
            "{backend}: verified"
        );
        assert_eq!(
            verified.verified_by,
            Some(supervisor),
            "{backend}: verifier recorded"
        );
        assert!(
            verified.verified_at.is_some(),
            "{backend}: verification time recorded"
        );
        expect_conflict(
            backend,
            "verifying an already verified finding",
            store.verify_finding(found.id, supervisor).await,
        );

        // --- the defect comes back: the same row reopens.
        let rows_before_regression = all_findings(backend, &store).await.len();
        republish_with_phone(backend, &store, &code, BAD_PHONE).await;
        let run3 = store
            .run_audit("manual", None, today(), &cal)
            .await
            .unwrap_or_else(|e| panic!("{backend}: audit after regression: {e}"));
        assert!(
            run3.opened >= 1,
            "{backend}: the reopened finding counts as opened"
        );
        let again = phone_finding(backend, &store, &code)
            .await
            .unwrap_or_else(|| panic!("{backend}: G11 finding missing after the defect returned"));
        assert_eq!(
            again.id, found.id,
            "{backend}: the same finding row is reopened, not a new one"
        );
        assert_eq!(
            again.status,
            FindingStatus::Open,
            "{backend}: reopened finding is open"
        );
        assert_eq!(again.reopened, 1, "{backend}: reopen counted once");
        assert!(
            again.fixed_at.is_none() && again.fixed_by.is_none(),
            "{backend}: fix cleared on reopen"
        );
        assert!(
            again.verified_at.is_none() && again.verified_by.is_none(),
            "{backend}: verification cleared on reopen"
        );
        assert_eq!(
            again.item_version, 3,
            "{backend}: finding now names version 3"
        );
        assert_eq!(
            all_findings(backend, &store).await.len(),
            rows_before_regression,
            "{backend}: reopening adds no rows"
        );

        // --- a person records a fix; they cannot verify their own fix.
        let marked = store
            .mark_finding_fixed(found.id, catalog_admin, "已更正咨询电话")
            .await
            .unwrap_or_else(|e| panic!("{backend}: mark fixed: {e}"));
        assert_eq!(
            marked.status,
            FindingStatus::Fixed,
            "{backend}: marked fixed"
        );
        assert_eq!(
            marked.fixed_by,
            Some(catalog_admin),
            "{backend}: fixer recorded"
        );
        // The guide still carries the bad phone: the re-audit says so beside
        // the note, for the supervisor who verifies or sends it back.
        assert_eq!(
            marked.fix_note, "已更正咨询电话（系统重新核查：该问题在现行指南中仍然存在）",
            "{backend}: note recorded with the re-audit"
        );
        expect_conflict(
            backend,
            "verifying one's own fix",
            store.verify_finding(found.id, catalog_admin).await,
        );
        let still_fixed = store
            .finding(found.id)
            .await
            .unwrap_or_else(|e| panic!("{backend}: reread after self-verify: {e}"));
        assert_eq!(
            still_fixed.status,
            FindingStatus::Fixed,
            "{backend}: self-verification changes nothing"
        );
        // The supervisor sends it back, with a reason: open again.
        match store.send_back_finding(found.id, supervisor, "  ").await {
            Err(StoreError::Invalid(_)) => {}
            other => panic!("{backend}: a send-back without reason: {other:?}"),
        }
        let back = store
            .send_back_finding(found.id, supervisor, "电话仍为8601007")
            .await
            .unwrap_or_else(|e| panic!("{backend}: send back: {e}"));
        assert_eq!(back.status, FindingStatus::Open, "{backend}");
        assert!(
            back.fixed_by.is_none() && back.fixed_at.is_none(),
            "{backend}"
        );
        assert!(
            back.fix_note.starts_with("退回：电话仍为8601007"),
            "{backend}: {}",
            back.fix_note
        );
        expect_conflict(
            backend,
            "sending back an open finding",
            store
                .send_back_finding(found.id, supervisor, "再次退回")
                .await,
        );
    }
}
