//! Defect 5: parallel creations with one idempotency key all answer the same
//! case, never a 500, and only one case exists.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_creations_with_one_key_answer_one_case() {
    for app in apps("hard_idempotency").await {
        let b = app.backend.clone();
        let applicant = app.login("applicant").await;
        let router = router_of(&app);
        for round in 0..3 {
            let key = format!("double-click-{round}");
            let jobs: Vec<(Router, Request<Body>)> = (0..8)
                .map(|_| {
                    let req = api_req(
                        Method::POST,
                        "/api/v1/cases",
                        Some(&applicant),
                        Some(json!({"item": ITEM, "form": form(), "client_key": key})),
                    );
                    (router.clone(), req)
                })
                .collect();
            let answers = parallel(jobs).await;
            let mut ids = Vec::new();
            for r in &answers {
                assert!(
                    matches!(r.status, StatusCode::CREATED | StatusCode::OK),
                    "{b}: round {round}: {} {}",
                    r.status,
                    r.text()
                );
                ids.push(
                    r.json(&b, "create")["case"]["id"]
                        .as_i64()
                        .unwrap_or_else(|| panic!("{b}: no case id in {}", r.text())),
                );
            }
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(
                ids.len(),
                1,
                "{b}: round {round}: one case for one key, got {ids:?}"
            );
        }
        // Three keys, three cases: the applicant has exactly those.
        let mine = app
            .api(
                Method::GET,
                "/api/v1/cases?view=mine",
                Some(&applicant),
                None,
            )
            .await;
        assert_eq!(mine.status, StatusCode::OK, "{b}: {}", mine.text());
        let n = mine.json(&b, "mine")["cases"].as_array().map(Vec::len);
        assert_eq!(n, Some(3), "{b}: one case per key");
        // The same key from another author is another case.
        let clerk = app.login("clerk").await;
        let r = create_with(
            &app,
            &clerk,
            json!({"client_key": "double-click-0", "applicant": {"name": "王五", "id_number": APPLICANT_ID}}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}: {}", r.text());
    }
}

/// The same for bundle applications: eight parallel starts with one key are
/// one application, none a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_bundle_starts_with_one_key_answer_one_application() {
    for app in apps("hard_idempotency_bundle").await {
        let b = app.backend.clone();
        let applicant = app.login("applicant").await;
        let router = router_of(&app);
        let body = json!({
            "bundle": "newborn",
            "answers": {"parents_local": "yes", "mother_insured": "yes", "married": "yes"},
            "client_key": "newborn-double-click"
        });
        let jobs: Vec<(Router, Request<Body>)> = (0..8)
            .map(|_| {
                let req = api_req(
                    Method::POST,
                    "/api/v1/bundle-cases",
                    Some(&applicant),
                    Some(body.clone()),
                );
                (router.clone(), req)
            })
            .collect();
        let mut ids = Vec::new();
        for r in parallel(jobs).await {
            assert!(
                matches!(r.status, StatusCode::CREATED | StatusCode::OK),
                "{b}: {} {}",
                r.status,
                r.text()
            );
            ids.push(
                r.json(&b, "start")["bundle"]["id"]
                    .as_i64()
                    .unwrap_or_else(|| panic!("{b}: no bundle id in {}", r.text())),
            );
        }
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 1, "{b}: one application for one key: {ids:?}");
        let mine = app
            .api(Method::GET, "/api/v1/bundle-cases", Some(&applicant), None)
            .await;
        assert_eq!(mine.status, StatusCode::OK, "{b}: {}", mine.text());
        let n = mine.json(&b, "mine")["bundle_cases"]
            .as_array()
            .map(Vec::len);
        assert_eq!(n, Some(1), "{b}: the applicant has one application");
    }
}
