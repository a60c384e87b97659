//! Life-event bundles on both backends: the demo bundles are published; one
//! submission fans out into every sub-case or none; a double submission is
//! one application; the applicant hears once per correction and once at the
//! end.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use tongban_domain::auth::Actor;
use tongban_domain::bundle::BundleState;
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::{CaseState, Command, Deficiency, Problem};
use tongban_domain::clock::SuspendReason;

use crate::helpers::{actor, count, map, newborn_form, ready_newborn};
use tongban_store::attachments::Attachments;

#[tokio::test]
async fn the_demo_bundles_are_published_with_their_savings() {
    for (backend, store) in tongban_store::testing::stores("bundles_demo").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let all = store.published_bundles().await.expect("bundles");
        let names: Vec<&str> = all.iter().map(|b| b.bundle.doc.name.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "新生儿出生一件事",
                "教育入学一件事",
                "生育保险待遇领取一件事",
                "企业开办一件事"
            ],
            "{backend}"
        );
        for b in &all {
            assert_eq!(b.items.len(), b.bundle.doc.items.len(), "{backend}");
            let s = b.savings;
            assert!(s.materials_bundle <= s.materials_separately, "{backend}");
            assert_eq!(s.forms_separately as usize, b.items.len(), "{backend}");
        }
        let newborn = &all[0];
        assert!(newborn.bundle.doc.promised_days.get() <= 5);
        assert_eq!(newborn.items.len(), 6);
    }
}

#[tokio::test]
async fn publishing_refuses_a_bundle_that_leaves_a_field_unfilled() {
    for (backend, store) in tongban_store::testing::stores("bundles_publish").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let admin = actor(&store, "catalog").await;
        let dept_admin = actor(&store, "catalog_wjw").await;
        let applicant = actor(&store, "applicant").await;
        let v = store
            .new_bundle_version(&admin, "newborn")
            .await
            .expect("new version");
        assert_eq!(v.version, 2);
        let mut doc = v.doc.clone();
        // Drop the mapping of 新生儿姓名: required fields are left unfilled.
        doc.fields.retain(|f| f.key != "baby_name");
        store
            .update_bundle_draft(&admin, v.id, &doc)
            .await
            .expect("draft saved");
        let err = store
            .publish_bundle(&admin, v.id)
            .await
            .expect_err("refused");
        let text = format!("{err:?}");
        assert!(text.contains("unfilled"), "{backend}: {text}");
        // A department's admin and an applicant may not touch bundles.
        assert!(matches!(
            store.publish_bundle(&dept_admin, v.id).await,
            Err(tongban_store::StoreError::Forbidden(_))
        ));
        assert!(matches!(
            store.update_bundle_draft(&applicant, v.id, &doc).await,
            Err(tongban_store::StoreError::Forbidden(_))
        ));
        // Still version 1 is live; put the mapping back and publish.
        assert_eq!(
            store
                .published_bundle("newborn")
                .await
                .expect("q")
                .expect("live")
                .bundle
                .version,
            1
        );
        store
            .update_bundle_draft(&admin, v.id, &v.doc)
            .await
            .expect("draft saved");
        store.publish_bundle(&admin, v.id).await.expect("published");
        let live = store
            .published_bundle("newborn")
            .await
            .expect("q")
            .expect("live");
        assert_eq!(live.bundle.version, 2, "{backend}");
        assert_eq!(store.bundle_versions("newborn").await.expect("v").len(), 2);
    }
}

#[tokio::test]
async fn a_failure_on_the_fourth_sub_case_leaves_nothing_behind() {
    for (backend, store) in tongban_store::testing::stores("bundles_atomic").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let files = Attachments::in_memory();
        let applicant = actor(&store, "applicant").await;
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        let b = ready_newborn(&store, &files, &applicant, "k1").await;
        let trail_before = count(&store, "SELECT COUNT(*) AS n FROM audit_trail").await;
        store.inject_fanout_failure(4);
        let err = store
            .submit_bundle(&applicant, b.id, &cal, day)
            .await
            .expect_err("injected");
        assert!(format!("{err}").contains("sub-case 4"), "{backend}: {err}");
        assert_eq!(
            count(&store, "SELECT COUNT(*) AS n FROM cases").await,
            0,
            "{backend}"
        );
        assert_eq!(
            count(&store, "SELECT COUNT(*) AS n FROM case_files").await,
            0
        );
        assert_eq!(
            count(&store, "SELECT COUNT(*) AS n FROM case_events").await,
            0
        );
        assert_eq!(
            count(&store, "SELECT COUNT(*) AS n FROM notifications").await,
            0
        );
        assert_eq!(
            count(&store, "SELECT COUNT(*) AS n FROM audit_trail").await,
            trail_before
        );
        let still = store.unmasked_bundle_case(b.id).await.expect("bundle");
        assert!(!still.submitted);
        assert_eq!(still.state, BundleState::Draft);
        // Without the fault the same application goes through, once.
        store.inject_fanout_failure(0);
        let rec = store
            .submit_bundle(&applicant, b.id, &cal, day)
            .await
            .expect("submitted");
        assert_eq!(rec.sub_cases.len(), 6, "{backend}");
        assert!(
            rec.sub_cases
                .iter()
                .all(|c| c.state == CaseState::Submitted)
        );
        assert_eq!(rec.bundle.state, BundleState::InProgress);
        // Each sub-case got its item's form and every material it needs.
        let reg = rec
            .sub_cases
            .iter()
            .find(|c| c.item_name.starts_with("出生登记"))
            .expect("出生登记");
        assert_eq!(reg.form.get("baby_gender").map(String::as_str), Some("男"));
        // 出生登记 asks nothing of the applicant: its ID cards, 户口簿 and
        // 结婚证 are 免提交 (not asked; the window verifies them until a lookup
        // obtains them) and its 出生医学证明 is passed on — waived, never asked.
        let reg_files = store.unmasked_case_files(reg.id).await.expect("files");
        assert!(reg_files.is_empty(), "{backend}: {reg_files:?}");
        assert_eq!(reg.waived, vec![2], "{backend}");
        // Each uploaded document reaches every sub-case using it, stored once.
        let uses: usize = rec
            .slots
            .iter()
            .filter(|s| s.asked())
            .map(|s| s.uses.len())
            .sum();
        assert_eq!(
            count(&store, "SELECT COUNT(*) AS n FROM case_files").await,
            uses as i64,
            "{backend}"
        );
        assert_eq!(
            count(
                &store,
                "SELECT COUNT(DISTINCT object_key) AS n FROM case_files"
            )
            .await,
            rec.files.len() as i64,
            "{backend}: one stored object per upload"
        );
        // A double click: the same application, no new sub-cases.
        let again = store
            .submit_bundle(&applicant, b.id, &cal, day)
            .await
            .expect("same");
        assert_eq!(again.bundle.id, b.id);
        assert_eq!(count(&store, "SELECT COUNT(*) AS n FROM cases").await, 6);
        // Starting again with the same key returns the same application.
        let same = store
            .start_bundle(
                &applicant,
                "newborn",
                &map(&[
                    ("parents_local", "yes"),
                    ("mother_insured", "yes"),
                    ("married", "yes"),
                ]),
                Some("k1"),
            )
            .await
            .expect("same");
        assert_eq!(same.id, b.id);
        assert_eq!(
            count(&store, "SELECT COUNT(*) AS n FROM bundle_cases").await,
            1
        );
        // One "submitted" notice for the applicant, none per sub-case.
        assert_eq!(
            count(
                &store,
                "SELECT COUNT(*) AS n FROM notifications WHERE bundle_case_id IS NOT NULL"
            )
            .await,
            1
        );
    }
}

#[tokio::test]
async fn bad_answers_forms_and_missing_materials_are_refused() {
    for (backend, store) in tongban_store::testing::stores("bundles_bad").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let applicant = actor(&store, "applicant").await;
        let clerk = actor(&store, "clerk").await;
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        let bad = map(&[("parents_local", "maybe"), ("mother_insured", "yes")]);
        let err = store
            .start_bundle(&applicant, "newborn", &bad, None)
            .await
            .expect_err("bad answers");
        let text = format!("{err:?}");
        assert!(
            text.contains("answers.parents_local") && text.contains("answers.married"),
            "{backend}: {text}"
        );
        assert!(matches!(
            store
                .start_bundle(&clerk, "newborn", &BTreeMap::new(), None)
                .await,
            Err(tongban_store::StoreError::Forbidden(_))
        ));
        // Not local: 出生登记 is not selected, a referral note is.
        let away = store
            .start_bundle(
                &applicant,
                "newborn",
                &map(&[
                    ("parents_local", "no"),
                    ("mother_insured", "no"),
                    ("married", "yes"),
                ]),
                None,
            )
            .await
            .expect("start");
        assert_eq!(away.selection.items.len(), 4, "{backend}");
        assert!(!away.selection.notes.is_empty());
        // A form missing a mapped field names it.
        let mut form = newborn_form();
        form.remove("baby_name");
        form.remove("medical_expense");
        form.remove("bank_account");
        form.remove("mother_name");
        form.remove("baby_gender");
        let err = store
            .save_bundle_form(&applicant, away.id, &form)
            .await
            .expect_err("missing");
        assert!(format!("{err:?}").contains("form.baby_name"), "{err:?}");
        // Fields of an item that was not selected are not accepted either.
        let err = store
            .save_bundle_form(&applicant, away.id, &newborn_form())
            .await
            .expect_err("unknown fields");
        assert!(
            format!("{err:?}").contains("form.medical_expense"),
            "{err:?}"
        );
        form.insert("baby_name".into(), "张小宝".into());
        store
            .save_bundle_form(&applicant, away.id, &form)
            .await
            .expect("form");
        // Nothing uploaded: the submission lists what is missing and changes nothing.
        let err = store
            .submit_bundle(&applicant, away.id, &cal, day)
            .await
            .expect_err("missing materials");
        // Only what is asked is missing: never a 免提交 ID card.
        let e = format!("{err:?}");
        assert!(
            e.contains("近期免冠照片") && !e.contains("居民身份证"),
            "{e}"
        );
        assert_eq!(count(&store, "SELECT COUNT(*) AS n FROM cases").await, 0);
        // Someone else's draft is not theirs to see.
        assert!(
            matches!(
                store.bundle_for(&clerk, away.id).await,
                Err(tongban_store::StoreError::NotFound(_))
            ),
            "{backend}: as if it did not exist"
        );
    }
}

#[tokio::test]
async fn one_correction_notice_and_one_combined_outcome() {
    for (backend, store) in tongban_store::testing::stores("bundles_journey").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let files = Attachments::in_memory();
        let applicant = actor(&store, "applicant").await;
        let clerk = actor(&store, "clerk").await;
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        let b = ready_newborn(&store, &files, &applicant, "k2").await;
        store
            .submit_bundle(&applicant, b.id, &cal, day)
            .await
            .expect("submitted");
        // 一窗受理: the clerk accepts every sub-case at once.
        let rec = store
            .accept_bundle(&clerk, b.id, &cal, day)
            .await
            .expect("accepted");
        assert!(
            rec.sub_cases.iter().all(|c| c.state == CaseState::Review),
            "{backend}"
        );
        let notes = |sql: &'static str| {
            let store = store.clone();
            async move { count(&store, sql).await }
        };
        // Two departments ask for corrections after acceptance.
        let by_dept = |name: &str| {
            rec.sub_cases
                .iter()
                .find(|c| c.item_name.starts_with(name))
                .expect("sub-case")
                .clone()
        };
        let cert = by_dept("出生医学证明");
        let med = by_dept("城乡居民");
        let reviewer = actor(&store, "reviewer").await;
        let reviewer_yb = actor(&store, "reviewer_yb").await;
        store
            .case_command(
                &reviewer,
                cert.id,
                None,
                &Command::Suspend {
                    reason: SuspendReason::Correction,
                    note: "新生儿出生信息登记表缺少助产机构盖章".into(),
                    materials: vec![],
                },
                &cal,
                day,
            )
            .await
            .expect("correction");
        store
            .case_command(
                &reviewer_yb,
                med.id,
                None,
                &Command::Suspend {
                    reason: SuspendReason::Correction,
                    note: "监护人身份证照片不清晰".into(),
                    materials: vec![],
                },
                &cal,
                day,
            )
            .await
            .expect("correction");
        let rec = store.bundle_for(&applicant, b.id).await.expect("record");
        assert_eq!(rec.bundle.state, BundleState::Correction, "{backend}");
        let open = rec.open_correction().expect("combined notice");
        // The last notice gathers both sub-cases' requests.
        assert_eq!(open.body.lines.len(), 2, "{backend}");
        assert!(open.body.lines[0].entries[0].contains("盖章"));
        // The applicant hears from the bundle only: submitted + two notices
        // (the second sub-case joined after the first notice), nothing per sub-case.
        assert_eq!(
            notes("SELECT COUNT(*) AS n FROM notifications WHERE case_id IS NOT NULL AND user_id IN (SELECT id FROM users WHERE username = 'applicant')").await,
            0,
            "{backend}"
        );
        // The second request was added to a fresh notice listing both; the
        // first one's lines are not lost.
        assert_eq!(
            notes("SELECT COUNT(*) AS n FROM bundle_notices WHERE kind = 'correction'").await,
            2
        );
        // Supply once: both sub-cases go on.
        let slot = rec
            .slots
            .iter()
            .position(|s| s.name == "新生儿出生信息登记表")
            .expect("slot");
        let n = store
            .bundle_correction_upload(
                &files,
                &applicant,
                b.id,
                slot,
                "new.pdf",
                b"%PDF-1.4 y".to_vec(),
            )
            .await
            .expect("upload");
        assert_eq!(n, 1);
        let rec = store
            .supply_bundle_corrections(&applicant, b.id, &cal, day)
            .await
            .expect("supplied");
        assert_eq!(rec.bundle.state, BundleState::InProgress, "{backend}");
        assert!(rec.sub_cases.iter().all(|c| c.state == CaseState::Review));
        // Every department finishes its sub-case; 生育医疗费用报销 is denied.
        let staff = [
            ("卫生健康", "reviewer", "head"),
            ("公安", "reviewer_ga", "head_ga"),
            ("医疗保障", "reviewer_yb", "head_yb"),
            ("人力资源", "reviewer_rs", "head_rs"),
        ];
        for c in &rec.sub_cases {
            let (_, r, h) = staff
                .iter()
                .find(|(d, _, _)| c.lead_department_name.contains(d))
                .expect("staff");
            let r = actor(&store, r).await;
            let h = actor(&store, h).await;
            let approve = !c.item_name.starts_with("生育医疗");
            let steps: Vec<(&Actor, Command)> = vec![
                (
                    &r,
                    Command::CompleteReview {
                        agree: approve,
                        opinion: "审查意见".into(),
                    },
                ),
                (
                    &h,
                    Command::Decide {
                        approve,
                        reason: "依法决定".into(),
                    },
                ),
            ];
            for (who, cmd) in steps {
                store
                    .case_command(who, c.id, None, &cmd, &cal, day)
                    .await
                    .unwrap_or_else(|e| panic!("{backend} {}: {e}", c.item_name));
            }
            let now = store.unmasked_case(c.id).await.expect("case");
            if now.state == CaseState::Certifying {
                store
                    .case_command(&r, c.id, None, &Command::Issue, &cal, day)
                    .await
                    .expect("issue");
            }
            // No completion notice before the last sub-case ends.
            assert_eq!(
                notes("SELECT COUNT(*) AS n FROM bundle_notices WHERE kind = 'completion'").await,
                0
            );
            store
                .case_command(
                    &clerk,
                    c.id,
                    None,
                    &Command::Deliver {
                        method: "邮寄".into(),
                    },
                    &cal,
                    day,
                )
                .await
                .expect("deliver");
        }
        let rec = store.bundle_for(&applicant, b.id).await.expect("record");
        assert_eq!(rec.bundle.state, BundleState::PartlyRefused, "{backend}");
        let done = rec.completion().expect("one completion notice");
        assert_eq!(done.body.lines.len(), 6);
        let denied: Vec<&str> = done
            .body
            .lines
            .iter()
            .filter(|l| l.outcome == "不予办理")
            .map(|l| l.item_name.as_str())
            .collect();
        // Not a licence: 不予办理, not 不予许可.
        assert_eq!(denied, vec!["生育医疗费用报销"], "{backend}");
        assert_eq!(
            notes("SELECT COUNT(*) AS n FROM bundle_notices WHERE kind = 'completion'").await,
            1
        );
        // Every notice to the applicant is the bundle's or tagged with it.
        assert_eq!(
            notes("SELECT COUNT(*) AS n FROM notifications WHERE bundle_case_id IS NULL AND user_id IN (SELECT id FROM users WHERE username = 'applicant')").await,
            0,
            "{backend}"
        );
        // The bundle's own: submitted, accepted, two correction notices,
        // completion, and the invitation to rate it as one.
        assert_eq!(
            notes("SELECT COUNT(*) AS n FROM notifications WHERE bundle_case_id IS NOT NULL AND case_id IS NULL").await,
            6,
            "{backend}"
        );
        // The denial reached the applicant when it was decided, not only at the end.
        assert_eq!(
            notes("SELECT COUNT(*) AS n FROM notifications WHERE case_id IS NOT NULL AND bundle_case_id IS NOT NULL AND body LIKE '%生育医疗费用报销%'").await,
            1,
            "{backend}"
        );
    }
}

#[tokio::test]
async fn intake_gathers_every_correction_into_one_notice_and_keeps_the_bundle_promise() {
    for (backend, store) in tongban_store::testing::stores("bundles_intake").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let files = Attachments::in_memory();
        let applicant = actor(&store, "applicant").await;
        let clerk = actor(&store, "clerk").await;
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        let b = ready_newborn(&store, &files, &applicant, "k3").await;
        let rec = store
            .submit_bundle(&applicant, b.id, &cal, day)
            .await
            .expect("submitted");
        let by = |name: &str| {
            rec.sub_cases
                .iter()
                .find(|c| c.item_name.starts_with(name))
                .expect("sub-case")
                .id
        };
        let (cert, reg, refund) = (by("出生医学证明"), by("出生登记"), by("生育医疗"));
        let mut d = BTreeMap::new();
        d.insert(
            cert,
            vec![Deficiency {
                material: 1,
                problem: Problem::Defective,
                note: "缺少助产机构盖章".into(),
            }],
        );
        d.insert(
            reg,
            vec![Deficiency {
                material: 1,
                problem: Problem::Missing,
                note: String::new(),
            }],
        );
        // A sub-case of another application is refused, and nothing changes.
        let mut wrong = d.clone();
        wrong.insert(999_999, vec![]);
        assert!(
            matches!(
                store.intake_bundle(&clerk, b.id, &wrong, &cal, day).await,
                Err(tongban_store::StoreError::Invalid(f))
                    if f.0.iter().any(|e| e.field == "deficiencies" && e.code == "unknown_case")
            ),
            "{backend}: another application's sub-case"
        );
        let rec = store
            .intake_bundle(&clerk, b.id, &d, &cal, day)
            .await
            .expect("intake");
        let st = |id: i64| rec.sub_cases.iter().find(|c| c.id == id).expect("c").state;
        assert_eq!(st(cert), CaseState::Correction, "{backend}");
        assert_eq!(st(reg), CaseState::Correction);
        assert_eq!(
            rec.sub_cases
                .iter()
                .filter(|c| c.state == CaseState::Review)
                .count(),
            4
        );
        assert_eq!(rec.bundle.state, BundleState::Correction);
        // One notice, both sub-cases, each material with its standard.
        let corrections: Vec<_> = rec
            .notices
            .iter()
            .filter(|n| n.kind == "correction")
            .collect();
        assert_eq!(corrections.len(), 1, "{backend}");
        assert_eq!(corrections[0].body.lines.len(), 2);
        assert!(corrections[0].body.lines[0].entries[0].contains("盖章"));
        assert!(corrections[0].body.lines[1].entries[0].contains("居民户口簿"));
        assert_eq!(
            count(
                &store,
                "SELECT COUNT(*) AS n FROM notifications WHERE subject LIKE '%补正%'"
            )
            .await,
            1,
            "{backend}: one correction notice reaches the applicant"
        );
        // The bundle promises 5 working days; the refund's own promise is 10.
        let r = store.unmasked_case(refund).await.expect("case");
        assert_eq!(r.promised_due, cal.add_workdays(day, 5).ok(), "{backend}");
        // The applicant supplies both at once; the window accepts them.
        for name in ["新生儿出生信息登记表", "居民户口簿"] {
            let slot = rec.slots.iter().position(|s| s.name == name).expect("slot");
            store
                .bundle_correction_upload(
                    &files,
                    &applicant,
                    b.id,
                    slot,
                    "c.pdf",
                    b"%PDF-1.4 c".to_vec(),
                )
                .await
                .expect("correction upload");
        }
        store
            .supply_bundle_corrections(&applicant, b.id, &cal, day)
            .await
            .expect("supplied");
        let rec = store
            .accept_bundle(&clerk, b.id, &cal, day)
            .await
            .expect("accepted");
        assert!(
            rec.sub_cases.iter().all(|c| c.state == CaseState::Review),
            "{backend}"
        );
        assert_eq!(rec.bundle.state, BundleState::InProgress);
    }
}

#[tokio::test]
async fn a_material_the_answers_drop_is_not_required_of_the_sub_case() {
    for (backend, store) in tongban_store::testing::stores("bundles_waived").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let files = Attachments::in_memory();
        let applicant = actor(&store, "applicant").await;
        let clerk = actor(&store, "clerk").await;
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        let b = store
            .start_bundle(
                &applicant,
                "school-entry",
                &map(&[("household_local", "no"), ("housing", "自有住房")]),
                None,
            )
            .await
            .expect("start");
        assert_eq!(b.selection.items.len(), 2, "{backend}");
        store
            .save_bundle_form(
                &applicant,
                b.id,
                &map(&[
                    ("child_name", "张小明"),
                    ("child_birth_date", "2020-05-01"),
                    ("guardian_name", "张三"),
                    ("school_name", "示范区第一小学"),
                    ("residence_address", "示范区人民路1号"),
                    ("residence_since", "2022-01-01"),
                    ("phone", "13800000000"),
                ]),
            )
            .await
            .expect("form");
        let rec = store.bundle_for(&applicant, b.id).await.expect("record");
        assert!(
            !rec.slots.iter().any(|s| s.name.starts_with("居住证明")),
            "{backend}"
        );
        let asked: Vec<usize> = (0..rec.slots.len())
            .filter(|i| rec.slots[*i].asked())
            .collect();
        for i in asked {
            store
                .bundle_upload(&files, &applicant, b.id, i, "m.pdf", b"%PDF-1.4 x".to_vec())
                .await
                .expect("upload");
        }
        store
            .submit_bundle(&applicant, b.id, &cal, day)
            .await
            .expect("submitted");
        // The housing proof is waived for 居住证申领: the window can accept.
        let rec = store
            .accept_bundle(&clerk, b.id, &cal, day)
            .await
            .unwrap_or_else(|e| panic!("{backend}: {e}"));
        let permit = rec
            .sub_cases
            .iter()
            .find(|c| c.item_name == "居住证申领")
            .expect("permit");
        // The housing proof, dropped by the answers (the 免提交 ID card is
        // not asked either, but spared only once obtained).
        assert_eq!(permit.waived, vec![1], "{backend}");
        assert_eq!(permit.state, CaseState::Review);
    }
}

#[tokio::test]
async fn a_catalogue_admin_of_another_centre_cannot_touch_the_bundle() {
    for (backend, store) in tongban_store::testing::stores("bundles_centres").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let admin = actor(&store, "catalog").await;
        let root = store.centres().await.expect("centres")[0].id;
        let code = tongban_domain::codes::DivisionCode::parse("339902").expect("code");
        let other = store
            .create_centre(&code, "另一个分中心", Some(root))
            .await
            .expect("centre");
        store
            .create_user(tongban_store::accounts::NewUser {
                username: "catalog_other",
                display_name: "外中心事项管理",
                password: "a-long-password-1",
                role: tongban_domain::auth::Role::CatalogAdmin,
                centre_id: other.id,
                department_id: None,
                id_number: None,
                phone: "13800000001",
            })
            .await
            .expect("user");
        let outsider = actor(&store, "catalog_other").await;
        assert!(
            matches!(
                store.new_bundle_version(&outsider, "newborn").await,
                Err(tongban_store::StoreError::Forbidden(_))
            ),
            "{backend}"
        );
        assert!(
            store
                .admin_bundles(&outsider)
                .await
                .expect("list")
                .is_empty()
        );
        let v = store
            .new_bundle_version(&admin, "newborn")
            .await
            .expect("v2");
        assert!(matches!(
            store.publish_bundle(&outsider, v.id).await,
            Err(tongban_store::StoreError::Forbidden(_))
        ));
        assert!(matches!(
            store.update_bundle_draft(&outsider, v.id, &v.doc).await,
            Err(tongban_store::StoreError::Forbidden(_))
        ));
        // The demo's four life events and the four construction stages' forms.
        assert_eq!(store.admin_bundles(&admin).await.expect("list").len(), 8);
    }
}

#[tokio::test]
async fn two_starts_and_two_submissions_at_once_make_one_application() {
    for (backend, store) in tongban_store::testing::stores("bundles_race").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let files = Attachments::in_memory();
        let applicant = actor(&store, "applicant").await;
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        let answers = map(&[
            ("parents_local", "yes"),
            ("mother_insured", "yes"),
            ("married", "yes"),
        ]);
        let (a, b) = tokio::join!(
            store.start_bundle(&applicant, "newborn", &answers, Some("race")),
            store.start_bundle(&applicant, "newborn", &answers, Some("race")),
        );
        let (a, b) = (a.expect("first"), b.expect("second"));
        assert_eq!(a.id, b.id, "{backend}");
        let ready = ready_newborn(&store, &files, &applicant, "race").await;
        assert_eq!(ready.id, a.id);
        let (x, y) = tokio::join!(
            store.submit_bundle(&applicant, a.id, &cal, day),
            store.submit_bundle(&applicant, a.id, &cal, day),
        );
        let (x, y) = (x.expect("first"), y.expect("second"));
        assert_eq!((x.bundle.id, y.bundle.id), (a.id, a.id));
        assert_eq!(
            count(&store, "SELECT COUNT(*) AS n FROM cases").await,
            6,
            "{backend}"
        );
        assert_eq!(
            count(&store, "SELECT COUNT(*) AS n FROM bundle_cases").await,
            1
        );
    }
}
