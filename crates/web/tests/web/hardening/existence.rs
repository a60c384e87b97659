//! Defect 8: what the caller may not see answers exactly as what does not
//! exist — 404 with the same error code — for every verb and every kind of
//! object: cases (read, commands, uploads, pages), documents, files,
//! certificates and bundle applications.

use super::*;

/// Both answers are 404 with the error code `not_found`.
fn same_404(b: &str, what: &str, hidden: &Resp, missing: &Resp) {
    assert_error(
        b,
        &format!("{what} (not the caller's)"),
        hidden,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        b,
        &format!("{what} (missing)"),
        missing,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

/// Both page answers are 404.
fn same_404_page(b: &str, what: &str, hidden: &Resp, missing: &Resp) {
    assert_eq!(
        hidden.status,
        StatusCode::NOT_FOUND,
        "{b}: {what} (not the caller's)"
    );
    assert_eq!(
        missing.status,
        StatusCode::NOT_FOUND,
        "{b}: {what} (missing)"
    );
}

/// Every case operation of `who` on `case` (which they may not see) against the same on a missing case.
async fn case_operations(app: &App, who: &Login, case: i64, file: i64) {
    let b = &app.backend;
    let u = &who.username;
    let (h, m) = (
        app.api(
            Method::GET,
            &format!("/api/v1/cases/{case}"),
            Some(who),
            None,
        )
        .await,
        app.api(
            Method::GET,
            &format!("/api/v1/cases/{MISSING_ID}"),
            Some(who),
            None,
        )
        .await,
    );
    same_404(b, &format!("{u}: GET case"), &h, &m);
    for command in [
        json!({"type": "accept"}),
        json!({"type": "complete_review", "agree": true, "opinion": "同意"}),
        json!({"type": "suspend", "reason": {"kind": "special_procedure", "name": "鉴定"}, "note": ""}),
        json!({"type": "extend", "days": 5, "reason": "x"}),
        json!({"type": "decide", "approve": true, "reason": "x"}),
        json!({"type": "withdraw", "reason": "x"}),
        json!({"type": "supply_correction"}),
        json!({"type": "submit"}),
    ] {
        let h = cmd(app, who, case, command.clone()).await;
        let m = cmd(app, who, MISSING_ID, command.clone()).await;
        same_404(b, &format!("{u}: {command}"), &h, &m);
    }
    let (h, m) = (
        upload(app, who, case, 0).await,
        upload(app, who, MISSING_ID, 0).await,
    );
    same_404(b, &format!("{u}: upload"), &h, &m);
    for path in ["", "/materials"] {
        let h = app
            .get_page(&format!("/cases/{case}{path}"), Some(who))
            .await;
        let m = app
            .get_page(&format!("/cases/{MISSING_ID}{path}"), Some(who))
            .await;
        same_404_page(b, &format!("{u}: page /cases/{{id}}{path}"), &h, &m);
    }
    for action in ["accept", "withdraw", "complete_review"] {
        let form = format!("csrf={}&action={action}", who.csrf);
        let h = app
            .post_form(&format!("/cases/{case}/act"), who, &form)
            .await;
        let m = app
            .post_form(&format!("/cases/{MISSING_ID}/act"), who, &form)
            .await;
        same_404_page(b, &format!("{u}: page action {action}"), &h, &m);
    }
    let h = page_upload(app, who, case, 0).await;
    let m = page_upload(app, who, MISSING_ID, 0).await;
    same_404_page(b, &format!("{u}: page upload"), &h, &m);
    let h = app.get_page(&format!("/files/{file}"), Some(who)).await;
    let m = app
        .get_page(&format!("/files/{MISSING_ID}"), Some(who))
        .await;
    same_404_page(b, &format!("{u}: file download"), &h, &m);
}

#[tokio::test]
async fn cases_documents_files_and_certificates_one_may_not_see_do_not_exist() {
    for app in apps("hard_existence").await {
        let b = app.backend.clone();
        let applicant = app.login("applicant").await;
        let clerk = app.login("clerk").await;
        let reviewer = app.login("reviewer").await;
        let head = app.login("head").await;
        // Another department's reviewer, and an applicant who does not own the case.
        let outsider = app.login("reviewer_scj").await;
        let stranger = second_applicant(&app).await;
        let (review_case, review_file) = accepted(&app, &applicant, &clerk).await;
        let (intake_case, intake_file) = submitted(&app, &applicant).await;
        let before = [
            get_case(&app, &applicant, review_case).await["case"]["version"].clone(),
            get_case(&app, &applicant, intake_case).await["case"]["version"].clone(),
        ];

        case_operations(&app, &outsider, review_case, review_file).await;
        case_operations(&app, &stranger, review_case, review_file).await;
        // The handling department sees a case from its acceptance on only.
        case_operations(&app, &reviewer, intake_case, intake_file).await;
        case_operations(&app, &outsider, intake_case, intake_file).await;

        let after = [
            get_case(&app, &applicant, review_case).await["case"]["version"].clone(),
            get_case(&app, &applicant, intake_case).await["case"]["version"].clone(),
        ];
        assert_eq!(before, after, "{b}: nothing changed");

        // Documents.
        let doc = get_case(&app, &applicant, review_case).await["documents"][0]["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("{b}: the acceptance receipt"));
        for who in [&outsider, &stranger] {
            let h = app
                .api(
                    Method::GET,
                    &format!("/api/v1/documents/{doc}"),
                    Some(who),
                    None,
                )
                .await;
            let m = app
                .api(
                    Method::GET,
                    &format!("/api/v1/documents/{MISSING_ID}"),
                    Some(who),
                    None,
                )
                .await;
            same_404(&b, &format!("{}: document", who.username), &h, &m);
            let h = app.get_page(&format!("/documents/{doc}"), Some(who)).await;
            let m = app
                .get_page(&format!("/documents/{MISSING_ID}"), Some(who))
                .await;
            same_404_page(&b, &format!("{}: document page", who.username), &h, &m);
        }

        // Certificates: the export is the holder's (and the handlers').
        ok(
            &app,
            &reviewer,
            review_case,
            json!({"type": "complete_review", "agree": true, "opinion": "同意"}),
        )
        .await;
        ok(
            &app,
            &head,
            review_case,
            json!({"type": "decide", "approve": true, "reason": "准予"}),
        )
        .await;
        ok(&app, &reviewer, review_case, json!({"type": "issue"})).await;
        let page = app
            .get_page(&format!("/cases/{review_case}"), Some(&applicant))
            .await
            .text();
        let lid = page
            .split("class=\"licence-id\">")
            .nth(1)
            .and_then(|t| t.split('<').next())
            .unwrap_or_else(|| panic!("{b}: the case page shows the licence id"))
            .to_string();
        let unknown = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U";
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/certificates/{lid}/export"),
                Some(&applicant),
                None,
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{b}: the holder exports: {}",
            r.text()
        );
        // The supervisor sees the case, masked; the signed certificate cannot
        // be masked, so it is not theirs to export either.
        let supervisor = app.login("supervisor").await;
        for who in [&outsider, &stranger, &supervisor] {
            let h = app
                .api(
                    Method::GET,
                    &format!("/api/v1/certificates/{lid}/export"),
                    Some(who),
                    None,
                )
                .await;
            let m = app
                .api(
                    Method::GET,
                    &format!("/api/v1/certificates/{unknown}/export"),
                    Some(who),
                    None,
                )
                .await;
            same_404(&b, &format!("{}: certificate export", who.username), &h, &m);
        }
    }
}

#[tokio::test]
async fn bundle_applications_one_may_not_see_do_not_exist() {
    for app in apps("hard_existence_bundle").await {
        let b = app.backend.clone();
        let applicant = app.login("applicant").await;
        let clerk = app.login("clerk").await;
        let reviewer = app.login("reviewer").await;
        let stranger = second_applicant(&app).await;
        let r = app
            .api(
                Method::POST,
                "/api/v1/bundle-cases",
                Some(&applicant),
                Some(json!({"bundle": "newborn", "answers": {"parents_local": "yes", "mother_insured": "yes", "married": "yes"}})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}: start: {}", r.text());
        let id = r.json(&b, "start")["bundle"]["id"]
            .as_i64()
            .expect("bundle id");
        for who in [&stranger, &clerk, &reviewer] {
            let u = who.username.clone();
            for (method, path, body) in [
                (Method::GET, "", None),
                (
                    Method::PUT,
                    "/form",
                    Some(json!({"form": {"baby_name": "x"}})),
                ),
                (Method::POST, "/submit", None),
                (Method::POST, "/accept", None),
                (Method::POST, "/supply", None),
            ] {
                let h = app
                    .api(
                        method.clone(),
                        &format!("/api/v1/bundle-cases/{id}{path}"),
                        Some(who),
                        body.clone(),
                    )
                    .await;
                let m = app
                    .api(
                        method.clone(),
                        &format!("/api/v1/bundle-cases/{MISSING_ID}{path}"),
                        Some(who),
                        body.clone(),
                    )
                    .await;
                same_404(&b, &format!("{u}: {method} bundle{path}"), &h, &m);
            }
            let put = |bundle: i64| {
                Request::builder()
                    .method(Method::PUT)
                    .uri(format!(
                        "/api/v1/bundle-cases/{bundle}/slots/0/files?name=m.pdf"
                    ))
                    .header(header::COOKIE, who.cookie.as_str())
                    .header("x-csrf-token", who.csrf.as_str())
                    .header(header::CONTENT_TYPE, "application/octet-stream")
                    .body(Body::from(PDF.to_vec()))
                    .expect("request")
            };
            let h = app.send(put(id)).await;
            let m = app.send(put(MISSING_ID)).await;
            same_404(&b, &format!("{u}: bundle upload"), &h, &m);
            let h = app
                .get_page(&format!("/bundle-cases/{id}"), Some(who))
                .await;
            let m = app
                .get_page(&format!("/bundle-cases/{MISSING_ID}"), Some(who))
                .await;
            same_404_page(&b, &format!("{u}: bundle page"), &h, &m);
        }
        // Still the applicant's untouched draft.
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/bundle-cases/{id}"),
                Some(&applicant),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: {}", r.text());
        let v = r.json(&b, "bundle");
        assert_eq!(v["bundle"]["submitted"], false, "{b}");
        assert!(
            v["files"].as_array().is_some_and(|f| f.is_empty()),
            "{b}: no files: {v}"
        );
    }
}
