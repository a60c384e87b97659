//! The text rule (no control or bidirectional characters, bounded
//! lengths) where the store takes text outside the JSON API: bundle
//! definitions and accounts.

use crate::helpers::{actor, count};

/// What applicants read of a bundle (its name, guide, questions, options,
/// notes and field labels) follows the text rule: a bidirectional override
/// or a control character is refused at the field that holds it, and
/// nothing is stored.
#[tokio::test]
async fn bundle_texts_refuse_control_and_bidi_characters() {
    use tongban_domain::bundle::Effect;
    for (backend, store) in tongban_store::testing::stores("bundles_text").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let admin = actor(&store, "catalog").await;
        let all = store.published_bundles().await.expect("bundles");
        let good = all[0].bundle.doc.clone();
        let before = count(&store, "SELECT COUNT(*) AS n FROM bundle_versions").await;
        let mut cases: Vec<(String, tongban_domain::bundle::BundleDoc)> = Vec::new();
        let mut d = good.clone();
        d.name = "新生儿\u{202E}fdp.exe".into();
        cases.push(("name".into(), d));
        let mut d = good.clone();
        d.guide = "材料\u{0}清单".into();
        cases.push(("guide".into(), d));
        let mut d = good.clone();
        d.questions[0].text = "是否\u{2066}本地户籍".into();
        cases.push(("questions[0].text".into(), d));
        let mut d = good.clone();
        d.questions[0].options = vec!["是\u{7}".into()];
        cases.push(("questions[0].options[0]".into(), d));
        let mut d = good.clone();
        d.rules.push(tongban_domain::bundle::Rule {
            when: d.rules[0].when.clone(),
            then: vec![Effect::Note {
                text: "请到\u{202D}窗口".into(),
            }],
        });
        let last = d.rules.len() - 1;
        cases.push((format!("rules[{last}].then[0].text"), d));
        let mut d = good.clone();
        d.fields[0].label = "x".repeat(101);
        cases.push(("fields[0].label".into(), d));
        for (i, (field, doc)) in cases.iter().enumerate() {
            let r = store
                .create_bundle(&admin, &format!("texttest-{i}"), doc)
                .await;
            match r {
                Err(tongban_store::StoreError::Invalid(errs)) => assert!(
                    errs.0.iter().any(|e| &e.field == field),
                    "{backend}: the error names {field}: {errs:?}"
                ),
                other => panic!("{backend}: {field} accepted: {other:?}"),
            }
        }
        assert_eq!(
            count(&store, "SELECT COUNT(*) AS n FROM bundle_versions").await,
            before,
            "{backend}: nothing stored"
        );
        store
            .create_bundle(&admin, "texttest-ok", &good)
            .await
            .unwrap_or_else(|e| panic!("{backend}: the good definition: {e}"));
    }
}

/// Accounts follow the same rules as applications: names without control or
/// bidirectional characters and of bounded length, identity numbers of
/// people already born.
#[tokio::test]
async fn accounts_refuse_implausible_names_and_identity_numbers() {
    use tongban_domain::auth::Role;
    use tongban_domain::codes::IdCardNumber;
    use tongban_store::accounts::NewUser;
    for (backend, store) in tongban_store::testing::stores("accounts_text").await {
        tongban_store::demo::load_demo(&store).await.expect("demo");
        let user = |username: &'static str, display_name: &'static str| NewUser {
            username,
            display_name,
            password: "a long enough password",
            role: Role::Applicant,
            centre_id: 1,
            department_id: None,
            id_number: None,
            phone: "",
        };
        let long = "名".repeat(101);
        let long: &'static str = Box::leak(long.into_boxed_str());
        for (u, field) in [
            (user("bidi", "王\u{202E}五"), "display_name"),
            (user("nul", "王\u{0}五"), "display_name"),
            (user("long", long), "display_name"),
            (user("", "王五"), "username"),
            (user("new\nline", "王五"), "username"),
        ] {
            match store.create_user(u).await {
                Err(tongban_store::StoreError::Invalid(errs)) => assert!(
                    errs.0.iter().any(|e| e.field == field),
                    "{backend}: {field}: {errs:?}"
                ),
                other => panic!("{backend}: {field} accepted: {other:?}"),
            }
        }
        // Born in 2099: well-formed, but no one's.
        let unborn = IdCardNumber::parse(&with_check("33010220990101001")).expect("well-formed");
        let r = store
            .create_user(NewUser {
                id_number: Some(unborn),
                ..user("unborn", "王五")
            })
            .await;
        assert!(
            matches!(&r, Err(tongban_store::StoreError::Invalid(e)) if e.0.iter().any(|e| e.field == "id_number")),
            "{backend}: {r:?}"
        );
        let born = IdCardNumber::parse(&with_check("33010219900101001")).expect("well-formed");
        store
            .create_user(NewUser {
                id_number: Some(born),
                ..user("born", "王五")
            })
            .await
            .unwrap_or_else(|e| panic!("{backend}: a plausible account: {e}"));
        assert_eq!(
            count(&store, "SELECT COUNT(*) AS n FROM users WHERE username IN ('bidi', 'nul', 'long', 'unborn', 'born')").await,
            1,
            "{backend}: only the plausible account is stored"
        );
    }
}

/// 17 digits and their GB 11643 check character.
fn with_check(first17: &str) -> String {
    let c = tongban_domain::codes::IdCardNumber::check_char_for(first17).expect("17 digits");
    format!("{first17}{c}")
}
