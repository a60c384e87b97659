//! Once only, for real (SPEC §5), on both backends: a material is what it
//! is and whose; 免提交 documents are not asked and the sub-cases do not
//! wait for them; the 出生医学证明 the first item issues is never asked and is
//! passed on to the later sub-cases when 制证 signs it.

use chrono::NaiveDate;
use tongban_domain::bundle::Provided;
use tongban_domain::calendar::WorkCalendar;
use tongban_domain::case::{CaseState, Command};
use tongban_domain::catalog::Holder;
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
    }
}
