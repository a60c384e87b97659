//! Once only, for real (SPEC §5), on both backends: a material is what it
//! is and whose; 免提交 documents are not asked and the sub-cases do not
//! wait for them; the 出生医学证明 the first item issues is never asked and is
//! passed on to the later sub-cases when 制证 signs it.

use chrono::NaiveDate;
use tongban_domain::bundle::Provided;
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::{CaseState, Command};
use tongban_domain::catalog::Holder;
use tongban_domain::clock::SuspendReason;
use tongban_store::StoreError;
use tongban_store::attachments::Attachments;

use crate::helpers::{actor, count, ready_newborn};

#[tokio::test]
async fn each_document_once_and_an_issued_certificate_is_passed_on() {
    for (backend, store) in tongban_store::testing::stores("passed_on").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let files = Attachments::in_memory();
        let applicant = actor(&store, "applicant").await;
        let b = ready_newborn(&store, &files, &applicant, "once").await;
        let rec = store.bundle_for(&applicant, b.id).await.expect("record");
        // Each parent's ID card is one document however many guides ask for
        // it and whatever they call it; none is asked (the register has it).
        for who in [Holder::Father, Holder::Mother] {
            let ids: Vec<_> = rec
                .slots
                .iter()
                .filter(|s| s.kind == "居民身份证" && s.holder == Some(who))
                .collect();
            assert_eq!(ids.len(), 1, "{backend}: {who:?}");
            assert!(ids[0].uses.len() >= 4, "{backend}: {:?}", ids[0].uses);
            assert!(matches!(ids[0].provided, Some(Provided::Obtained { .. })));
        }
        let birth: Vec<_> = rec
            .slots
            .iter()
            .filter(|s| s.kind == "出生医学证明")
            .collect();
        assert_eq!(birth.len(), 1, "{backend}");
        assert!(
            matches!(&birth[0].provided, Some(Provided::PassedOn { item_name, .. }) if item_name == "出生医学证明首次签发"),
            "{backend}: {:?}",
            birth[0].provided
        );
        // What is asked is what was uploaded: nothing else.
        let asked = rec.slots.iter().filter(|s| s.asked()).count();
        assert_eq!(rec.files.len(), asked, "{backend}");
        assert!(rec.savings.materials_bundle < rec.savings.materials_separately);

        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        store
            .submit_bundle(&applicant, b.id, &cal, day)
            .await
            .expect("submitted");
        let clerk = actor(&store, "clerk").await;
        let rec = store
            .accept_bundle(&clerk, b.id, &cal, day)
            .await
            .unwrap_or_else(|e| panic!("{backend}: accept: {e}"));
        // Nothing the applicant was spared held the window up.
        assert!(
            rec.sub_cases.iter().all(|c| c.state == CaseState::Review),
            "{backend}: {:?}",
            rec.sub_cases.iter().map(|c| c.state).collect::<Vec<_>>()
        );
        let reg = rec
            .sub_cases
            .iter()
            .find(|c| c.item_name.starts_with("出生登记"))
            .expect("出生登记")
            .clone();
        let waiting = store.passed_on_to(&reg).await.expect("passed on");
        assert_eq!(waiting.len(), 1, "{backend}");
        assert_eq!(waiting[0].kind, "出生医学证明");
        assert_eq!(waiting[0].holder, "child");
        assert!(waiting[0].licence_id.is_none(), "{backend}: not issued yet");
        let receivers = count(&store, "SELECT COUNT(*) AS n FROM bundle_passed_on").await;
        assert_eq!(
            receivers, 4,
            "{backend}: 预防接种证, 出生登记, 医保, 生育医疗费用"
        );

        // The receiving department may review, but not approve, before the
        // document arrives.
        let reviewer_ga = actor(&store, "reviewer_ga").await;
        let head_ga = actor(&store, "head_ga").await;
        let approve = Command::Decide {
            approve: true,
            reason: "准予登记".into(),
        };
        store
            .case_command(
                &reviewer_ga,
                reg.id,
                None,
                &Command::CompleteReview {
                    agree: true,
                    opinion: "符合".into(),
                },
                &cal,
                day,
            )
            .await
            .unwrap_or_else(|e| panic!("{backend}: review: {e}"));
        match store
            .case_command(&head_ga, reg.id, None, &approve, &cal, day)
            .await
        {
            Err(StoreError::Invalid(e)) => {
                assert_eq!(e.0[0].code, "awaiting_document", "{backend}");
                assert!(
                    e.0[0].message_zh.contains("出生医学证明"),
                    "{backend}: {e:?}"
                );
            }
            other => panic!("{backend}: approved before the document arrived: {other:?}"),
        }
        assert_eq!(
            store.awaiting(&reg).await.expect("awaiting").len(),
            1,
            "{backend}"
        );

        // The first item goes to 制证: its certificate reaches every later one.
        let cert = rec
            .sub_cases
            .iter()
            .find(|c| c.item_name.starts_with("出生医学证明"))
            .expect("出生医学证明")
            .id;
        let reviewer = actor(&store, "reviewer").await;
        let head = actor(&store, "head").await;
        for (who, cmd) in [
            (
                &reviewer,
                Command::CompleteReview {
                    agree: true,
                    opinion: "符合".into(),
                },
            ),
            (
                &head,
                Command::Decide {
                    approve: true,
                    reason: "准予".into(),
                },
            ),
            (&reviewer, Command::Issue),
        ] {
            store
                .case_command(who, cert, None, &cmd, &cal, day)
                .await
                .unwrap_or_else(|e| panic!("{backend}: {}: {e}", cmd.name()));
        }
        let licence = store.case_certificates(cert).await.expect("certs")[0]
            .licence_id
            .to_string();
        let got = store.passed_on_to(&reg).await.expect("passed on");
        assert_eq!(
            got[0].licence_id.as_deref(),
            Some(licence.as_str()),
            "{backend}"
        );
        assert_eq!(got[0].from_case_id, Some(cert), "{backend}");
        assert_eq!(
            count(
                &store,
                "SELECT COUNT(*) AS n FROM bundle_passed_on WHERE licence_id IS NULL"
            )
            .await,
            0,
            "{backend}: every later sub-case received it"
        );
        assert_eq!(
            count(
                &store,
                "SELECT COUNT(*) AS n FROM audit_trail WHERE action = 'bundle_case.pass_on'"
            )
            .await,
            4,
            "{backend}"
        );
        // The receiving department was told, and may now approve.
        assert_eq!(
            count(
                &store,
                &format!(
                    "SELECT COUNT(*) AS n FROM notifications WHERE user_id = {} AND case_id = {} \
                     AND subject LIKE '%出生医学证明已转交%'",
                    reviewer_ga.user_id, reg.id
                )
            )
            .await,
            1,
            "{backend}"
        );
        assert!(store.awaiting(&reg).await.expect("awaiting").is_empty());
        store
            .case_command(&head_ga, reg.id, None, &approve, &cal, day)
            .await
            .unwrap_or_else(|e| panic!("{backend}: approve after it arrived: {e}"));
    }
}

#[tokio::test]
async fn when_the_issuer_is_denied_the_later_items_wait_for_the_applicant_instead() {
    for (backend, store) in tongban_store::testing::stores("not_passed_on").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let files = Attachments::in_memory();
        let applicant = actor(&store, "applicant").await;
        let b = ready_newborn(&store, &files, &applicant, "denied").await;
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        store
            .submit_bundle(&applicant, b.id, &cal, day)
            .await
            .expect("submitted");
        let clerk = actor(&store, "clerk").await;
        let rec = store
            .accept_bundle(&clerk, b.id, &cal, day)
            .await
            .unwrap_or_else(|e| panic!("{backend}: accept: {e}"));
        let sub = |name: &str| {
            rec.sub_cases
                .iter()
                .find(|c| c.item_name.starts_with(name))
                .expect("sub-case")
                .clone()
        };
        let (cert, reg, vaccine) = (sub("出生医学证明"), sub("出生登记"), sub("预防接种证"));
        let birth_slot = rec
            .slots
            .iter()
            .position(|s| s.kind == "出生医学证明")
            .expect("slot");
        let index = store.passed_on_to(&reg).await.expect("passed on")[0].material_index as usize;
        let reviewer_ga = actor(&store, "reviewer_ga").await;
        let head_ga = actor(&store, "head_ga").await;
        // A department cannot ask the applicant for it in a correction …
        match store
            .case_command(
                &reviewer_ga,
                reg.id,
                None,
                &Command::Suspend {
                    reason: SuspendReason::Correction,
                    note: String::new(),
                    materials: vec![index],
                },
                &cal,
                day,
            )
            .await
        {
            Err(StoreError::Invalid(e)) => assert_eq!(e.0[0].code, "not_asked", "{backend}"),
            other => panic!("{backend}: asked for a passed-on document: {other:?}"),
        }
        // … and while the first service may still issue it, the applicant
        // cannot upload something in its place: not to the sub-case during
        // a correction, not through the bundle.
        store
            .case_command(
                &reviewer_ga,
                reg.id,
                None,
                &Command::Suspend {
                    reason: SuspendReason::Correction,
                    note: "请补充户主签字".into(),
                    materials: vec![],
                },
                &cal,
                day,
            )
            .await
            .unwrap_or_else(|e| panic!("{backend}: suspend: {e}"));
        assert!(
            matches!(
                store
                    .upload(&files, &applicant, reg.id, index, "fake.pdf", b"%PDF-1.4 z".to_vec())
                    .await,
                Err(StoreError::Invalid(e)) if e.0[0].code == "not_asked"
            ),
            "{backend}: a held document cannot be uploaded in its place"
        );
        assert!(
            matches!(
                store
                    .bundle_correction_upload(
                        &files,
                        &applicant,
                        b.id,
                        birth_slot,
                        "fake.pdf",
                        b"%PDF-1.4 z".to_vec()
                    )
                    .await,
                Err(StoreError::Conflict { .. })
            ),
            "{backend}: nor through the bundle"
        );
        store
            .case_command(
                &applicant,
                reg.id,
                None,
                &Command::SupplyCorrection,
                &cal,
                day,
            )
            .await
            .unwrap_or_else(|e| panic!("{backend}: supply: {e}"));
        // One receiver is withdrawn before the issuer ends: it hears nothing.
        store
            .case_command(
                &applicant,
                vaccine.id,
                None,
                &Command::Withdraw {
                    reason: "不再需要".into(),
                },
                &cal,
                day,
            )
            .await
            .unwrap_or_else(|e| panic!("{backend}: withdraw: {e}"));
        let reviewer = actor(&store, "reviewer").await;
        let head = actor(&store, "head").await;
        for (who, cmd) in [
            (
                &reviewer,
                Command::CompleteReview {
                    agree: false,
                    opinion: "出生医学信息有误".into(),
                },
            ),
            (
                &head,
                Command::Decide {
                    approve: false,
                    reason: "出生医学信息与医院记录不符".into(),
                },
            ),
        ] {
            store
                .case_command(who, cert.id, None, &cmd, &cal, day)
                .await
                .unwrap_or_else(|e| panic!("{backend}: {}: {e}", cmd.name()));
        }
        // Still held, now until the applicant supplies it; the page says so.
        let awaiting = store.awaiting(&reg).await.expect("awaiting");
        assert_eq!(awaiting.len(), 1, "{backend}");
        assert!(
            awaiting[0].0.contains("需申请人补交"),
            "{backend}: {awaiting:?}"
        );
        let p = store.passed_on_to(&reg).await.expect("passed on");
        assert!(
            p[0].failed_at.is_some() && p[0].licence_id.is_none(),
            "{backend}"
        );
        let told = |user: i64, case: i64, what: &'static str| {
            let store = store.clone();
            async move {
                count(
                    &store,
                    &format!(
                        "SELECT COUNT(*) AS n FROM notifications WHERE user_id = {user} AND case_id = {case} \
                         AND subject LIKE '%{what}%'"
                    ),
                )
                .await
            }
        };
        for who in [&head_ga, &reviewer_ga] {
            assert_eq!(
                told(who.user_id, reg.id, "出生医学证明无法转交").await,
                1,
                "{backend}: the receiving department is told"
            );
        }
        let reviewer_wj = actor(&store, "reviewer").await;
        assert_eq!(
            told(reviewer_wj.user_id, vaccine.id, "无法转交").await,
            0,
            "{backend}: not about a withdrawn service"
        );
        assert_eq!(
            count(
                &store,
                &format!(
                    "SELECT COUNT(*) AS n FROM notifications WHERE user_id = {} \
                     AND subject LIKE '%出生医学证明需要您提交%'",
                    applicant.user_id
                )
            )
            .await,
            1,
            "{backend}: the applicant is asked once"
        );
        // The applicant supplies it once, in the bundle: it reaches every
        // service still waiting (出生登记, 医保, 生育医疗费用; not the withdrawn one).
        let n = store
            .bundle_correction_upload(
                &files,
                &applicant,
                b.id,
                birth_slot,
                "birth.pdf",
                b"%PDF-1.4 y".to_vec(),
            )
            .await
            .unwrap_or_else(|e| panic!("{backend}: supply the document: {e}"));
        assert_eq!(n, 3, "{backend}");
        assert!(
            store.awaiting(&reg).await.expect("awaiting").is_empty(),
            "{backend}"
        );
        assert_eq!(
            told(reviewer_ga.user_id, reg.id, "申请人已补交").await,
            1,
            "{backend}: the department hears it arrived"
        );
        for (who, cmd) in [
            (
                &reviewer_ga,
                Command::CompleteReview {
                    agree: true,
                    opinion: "符合".into(),
                },
            ),
            (
                &head_ga,
                Command::Decide {
                    approve: true,
                    reason: "准予登记".into(),
                },
            ),
        ] {
            store
                .case_command(who, reg.id, None, &cmd, &cal, day)
                .await
                .unwrap_or_else(|e| panic!("{backend}: {}: {e}", cmd.name()));
        }
    }
}

#[tokio::test]
async fn a_sub_case_s_lookups_are_made_after_the_bundle_is_submitted_and_never_skip_the_window() {
    for (backend, store) in tongban_store::testing::stores("sub_case_lookups").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let files = Attachments::in_memory();
        let applicant = actor(&store, "applicant").await;
        let b = ready_newborn(&store, &files, &applicant, "lookups").await;
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        let rec = store
            .submit_bundle(&applicant, b.id, &cal, day)
            .await
            .expect("submitted");
        let yb = rec
            .sub_cases
            .iter()
            .find(|c| c.item_name.starts_with("城乡居民基本医疗保险"))
            .expect("医保")
            .clone();
        let outcomes = |store: &tongban_store::Store, id: i64| {
            let store = store.clone();
            async move {
                count(
                    &store,
                    &format!("SELECT COUNT(*) AS n FROM case_fetches WHERE case_id = {id} AND outcome = 'queued'"),
                )
                .await
            }
        };
        // Made in the bundle's transaction, the sub-case's lookups wait for the sweep.
        assert_eq!(
            outcomes(&store, yb.id).await,
            2,
            "{backend}: population and birth"
        );
        store.retry_fetches(&cal, day).await.expect("sweep");
        assert_eq!(
            count(
                &store,
                &format!(
                    "SELECT COUNT(*) AS n FROM case_fetches WHERE case_id = {} AND outcome = 'found'",
                    yb.id
                )
            )
            .await,
            2,
            "{backend}: both registers answered"
        );
        // Found, but the bundle's sub-case is not approved on its own: the
        // window takes the bundle in as a whole.
        let now = store.bundle_for(&applicant, b.id).await.expect("record");
        let yb = now.sub_cases.iter().find(|c| c.id == yb.id).expect("医保");
        assert_eq!(yb.state, CaseState::Submitted, "{backend}");
        let clerk = actor(&store, "clerk").await;
        store
            .accept_bundle(&clerk, b.id, &cal, day)
            .await
            .unwrap_or_else(|e| panic!("{backend}: accept: {e}"));
    }
}

#[tokio::test]
async fn a_sub_case_taken_in_before_its_lookups_ran_still_gets_them() {
    for (backend, store) in tongban_store::testing::stores("late_lookups").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let files = Attachments::in_memory();
        let applicant = actor(&store, "applicant").await;
        let b = ready_newborn(&store, &files, &applicant, "late").await;
        let cal = WorkCalendar::builtin_with(&[]).expect("calendar");
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        store
            .submit_bundle(&applicant, b.id, &cal, day)
            .await
            .expect("submitted");
        // The window is quicker than the sweep.
        let clerk = actor(&store, "clerk").await;
        let rec = store
            .accept_bundle(&clerk, b.id, &cal, day)
            .await
            .unwrap_or_else(|e| panic!("{backend}: accept: {e}"));
        let yb = rec
            .sub_cases
            .iter()
            .find(|c| c.item_name.starts_with("城乡居民基本医疗保险"))
            .expect("医保")
            .clone();
        // The guardian's ID card (免提交) is not obtained yet.
        assert!(!yb.waived.contains(&0), "{backend}: {:?}", yb.waived);
        store.retry_fetches(&cal, day).await.expect("sweep");
        let found = count(
            &store,
            &format!(
                "SELECT COUNT(*) AS n FROM case_fetches WHERE case_id = {} AND outcome = 'found'",
                yb.id
            ),
        )
        .await;
        assert_eq!(found, 2, "{backend}: looked up after all");
        let reviewer_yb = actor(&store, "reviewer_yb").await;
        let now = store
            .case_for(&reviewer_yb, yb.id)
            .await
            .expect("case")
            .case;
        assert_eq!(
            now.state,
            CaseState::Review,
            "{backend}: still the department's"
        );
        assert!(
            now.waived.contains(&0),
            "{backend}: the ID card obtained: {:?}",
            now.waived
        );
        // The rows name the sources as people read them.
        assert_eq!(
            count(
                &store,
                &format!(
                    "SELECT COUNT(*) AS n FROM case_fetches WHERE case_id = {} AND source_name = source_key",
                    yb.id
                )
            )
            .await,
            0,
            "{backend}"
        );
    }
}
