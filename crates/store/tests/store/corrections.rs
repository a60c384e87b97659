//! The one-time correction notice names materials and form fields (SPEC
//! §4.1), on both backends: the applicant corrects exactly the named
//! fields, and supplying is refused, naming what is left, until each named
//! material is uploaded again and each named field changed.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::{CaseState, Command, Deficiency, FieldFix, Problem};
use tongban_store::StoreError;
use tongban_store::attachments::Attachments;
use tongban_store::cases::NewCase;

use crate::helpers::{actor, count, map};

const ITEM: &str = "11339901MB000000114010103001000";

#[tokio::test]
async fn a_notice_with_a_form_field_is_corrected_exactly_and_then_supplied() {
    for (backend, store) in tongban_store::testing::stores("corrections").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        let files = Attachments::in_memory();
        let applicant = actor(&store, "applicant").await;
        let clerk = actor(&store, "clerk").await;
        let c = store
            .create_case(
                &applicant,
                ITEM,
                NewCase {
                    form: map(&[
                        ("venue_name", "西湖宾馆"),
                        ("venue_address", "一路1号"),
                        ("area", "100"),
                        ("venue_type", "住宿场所"),
                    ]),
                    ..Default::default()
                },
            )
            .await
            .expect("case");
        for m in [0, 2] {
            store
                .upload(&files, &applicant, c.id, m, "m.pdf", b"%PDF-1.4 x".to_vec())
                .await
                .expect("upload");
        }
        store
            .case_command(&applicant, c.id, None, &Command::Submit, &cal, day)
            .await
            .expect("submit");
        // A field that is not the item's is refused at its line.
        let bad = Command::RequestCorrection {
            deficiencies: vec![Deficiency {
                material: 3,
                problem: Problem::Missing,
                note: String::new(),
            }],
            fields: vec![FieldFix {
                field: "nickname".into(),
                note: String::new(),
            }],
        };
        assert!(matches!(
            store
                .case_command(&clerk, c.id, None, &bad, &cal, day)
                .await,
            Err(StoreError::Invalid(_))
        ));
        let notice = Command::RequestCorrection {
            deficiencies: vec![Deficiency {
                material: 3,
                problem: Problem::Missing,
                note: String::new(),
            }],
            fields: vec![FieldFix {
                field: "venue_name".into(),
                note: "名称应与营业执照一致".into(),
            }],
        };
        store
            .case_command(&clerk, c.id, None, &notice, &cal, day)
            .await
            .unwrap_or_else(|e| panic!("{backend}: notice: {e}"));
        // The notice names the field; the event keeps no old value, only a digest.
        let rec = store.case_for(&applicant, c.id).await.expect("record");
        let docs = serde_json::to_string(&rec.documents).expect("json");
        assert!(
            docs.contains("申请信息：场所名称") && docs.contains("名称应与营业执照一致"),
            "{backend}"
        );
        assert_eq!(
            count(
                &store,
                "SELECT COUNT(*) AS n FROM case_events WHERE details LIKE '%西湖宾馆%'"
            )
            .await,
            0,
            "{backend}: the old value is not copied into the history"
        );
        // Nothing done: refused, naming both.
        match store
            .case_command(
                &applicant,
                c.id,
                None,
                &Command::SupplyCorrection,
                &cal,
                day,
            )
            .await
        {
            Err(StoreError::Invalid(e)) => {
                let m = &e.0[0].message_zh;
                assert!(
                    m.contains("从业人员健康合格证明") && m.contains("场所名称"),
                    "{backend}: {m}"
                );
            }
            other => panic!("{backend}: supply with nothing done: {other:?}"),
        }
        // Only the named field may be corrected; a bad value is refused.
        let mut other = BTreeMap::new();
        other.insert("area".to_string(), "200".to_string());
        assert!(matches!(
            store.correct_form(&applicant, c.id, &other).await,
            Err(StoreError::Invalid(_))
        ));
        // Staff other than the window may not: the supervisor sees it (and
        // is refused), a concierge does not see it at all.
        let supervisor = actor(&store, "supervisor").await;
        assert!(matches!(
            store
                .correct_form(&supervisor, c.id, &map(&[("venue_name", "x")]))
                .await,
            Err(StoreError::Forbidden(_))
        ));
        let concierge = actor(&store, "concierge").await;
        assert!(matches!(
            store
                .correct_form(&concierge, c.id, &map(&[("venue_name", "x")]))
                .await,
            Err(StoreError::NotFound(_))
        ));
        // A department does not see the application before acceptance.
        let reviewer = actor(&store, "reviewer").await;
        let reviewer_try = store
            .correct_form(&reviewer, c.id, &map(&[("venue_name", "x")]))
            .await;
        assert!(
            matches!(reviewer_try, Err(StoreError::NotFound(_))),
            "{backend}: {reviewer_try:?}"
        );
        // The applicant brings the correction to a window: the clerk enters
        // it, recorded as theirs.
        let fixed = store
            .correct_form(&clerk, c.id, &map(&[("venue_name", "西湖宾馆有限公司")]))
            .await
            .unwrap_or_else(|e| panic!("{backend}: correct at the window: {e}"));
        assert_eq!(
            count(
                &store,
                &format!(
                    "SELECT COUNT(*) AS n FROM case_form_corrections WHERE case_id = {} AND corrected_by = {}",
                    c.id, clerk.user_id
                )
            )
            .await,
            1,
            "{backend}"
        );
        // The applicant is told what the window changed, and by whom.
        assert_eq!(
            count(
                &store,
                &format!(
                    "SELECT COUNT(*) AS n FROM notifications WHERE user_id = {} AND case_id = {} \
                     AND subject LIKE '%在窗口更正%' AND body LIKE '%场所名称%'",
                    applicant.user_id, c.id
                )
            )
            .await,
            1,
            "{backend}"
        );
        assert_eq!(
            fixed.form.get("venue_name").map(String::as_str),
            Some("西湖宾馆有限公司")
        );
        assert_eq!(
            fixed.form.get("area").map(String::as_str),
            Some("100"),
            "{backend}"
        );
        // The material is still missing: refused, naming it alone.
        match store
            .case_command(
                &applicant,
                c.id,
                None,
                &Command::SupplyCorrection,
                &cal,
                day,
            )
            .await
        {
            Err(StoreError::Invalid(e)) => {
                let m = &e.0[0].message_zh;
                assert!(
                    m.contains("从业人员健康合格证明") && !m.contains("场所名称"),
                    "{backend}: {m}"
                );
            }
            other => panic!("{backend}: supply with the material missing: {other:?}"),
        }
        store
            .upload(
                &files,
                &applicant,
                c.id,
                3,
                "health.pdf",
                b"%PDF-1.4 y".to_vec(),
            )
            .await
            .expect("upload");
        let applied = store
            .case_command(
                &applicant,
                c.id,
                None,
                &Command::SupplyCorrection,
                &cal,
                day,
            )
            .await
            .unwrap_or_else(|e| panic!("{backend}: supply: {e}"));
        assert_eq!(applied.state, CaseState::Submitted, "{backend}");
        // Once supplied, the form is no longer open to corrections.
        assert!(matches!(
            store
                .correct_form(&applicant, c.id, &map(&[("venue_name", "y")]))
                .await,
            Err(StoreError::Conflict { .. })
        ));
    }
}

#[tokio::test]
async fn a_correction_after_acceptance_names_its_documents_and_waits_for_each() {
    for (backend, store) in tongban_store::testing::stores("corrections_after").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        let files = Attachments::in_memory();
        let applicant = actor(&store, "applicant").await;
        let clerk = actor(&store, "clerk").await;
        let reviewer = actor(&store, "reviewer").await;
        let c = store
            .create_case(
                &applicant,
                ITEM,
                NewCase {
                    form: map(&[
                        ("venue_name", "西湖宾馆"),
                        ("venue_address", "一路1号"),
                        ("area", "100"),
                        ("venue_type", "住宿场所"),
                    ]),
                    ..Default::default()
                },
            )
            .await
            .expect("case");
        for m in [0, 2, 3] {
            store
                .upload(&files, &applicant, c.id, m, "m.pdf", b"%PDF-1.4 x".to_vec())
                .await
                .expect("upload");
        }
        for (who, cmd) in [(&applicant, Command::Submit), (&clerk, Command::Accept)] {
            store
                .case_command(who, c.id, None, &cmd, &cal, day)
                .await
                .unwrap_or_else(|e| panic!("{backend}: {}: {e}", cmd.name()));
        }
        // The reviewer names the health certificates (material 3) to supply again.
        store
            .case_command(
                &reviewer,
                c.id,
                None,
                &Command::Suspend {
                    reason: tongban_domain::clock::SuspendReason::Correction,
                    note: "健康证明已过期".into(),
                    materials: vec![3],
                },
                &cal,
                day,
            )
            .await
            .unwrap_or_else(|e| panic!("{backend}: suspend: {e}"));
        let rec = store.case_for(&applicant, c.id).await.expect("case");
        let notice = serde_json::to_string(&rec.documents).expect("json");
        assert!(
            notice.contains("从业人员健康合格证明"),
            "{backend}: {notice}"
        );
        // Supplying with nothing done is refused, naming it.
        match store
            .case_command(
                &applicant,
                c.id,
                None,
                &Command::SupplyCorrection,
                &cal,
                day,
            )
            .await
        {
            Err(StoreError::Invalid(e)) => {
                assert!(
                    e.0[0].message_zh.contains("从业人员健康合格证明"),
                    "{backend}: {e:?}"
                )
            }
            other => panic!("{backend}: supplied with nothing done: {other:?}"),
        }
        // Only what it names may be uploaded.
        assert!(matches!(
            store
                .upload(&files, &applicant, c.id, 0, "x.pdf", b"%PDF-1.4 x".to_vec())
                .await,
            Err(StoreError::Invalid(e)) if e.0[0].code == "not_asked"
        ));
        store
            .upload(
                &files,
                &applicant,
                c.id,
                3,
                "health.pdf",
                b"%PDF-1.4 y".to_vec(),
            )
            .await
            .expect("upload");
        let back = store
            .case_command(
                &applicant,
                c.id,
                None,
                &Command::SupplyCorrection,
                &cal,
                day,
            )
            .await
            .unwrap_or_else(|e| panic!("{backend}: supply: {e}"));
        assert_eq!(back.state, CaseState::Review, "{backend}");
    }
}
