//! Every command refuses the wrong role (403) and is not found by whoever
//! may not see the case (404, as for a missing one), and two
//! concurrent actions on one case cannot both succeed.

use super::*;

/// A command, the case it is tried on, and who must be refused with what status.
type Refusals<'a> = (Value, i64, Vec<(&'a Login, StatusCode)>);

/// Another department's reviewer and head, to try acting outside one's department.
async fn outsiders(app: &App) -> (Login, Login) {
    let store = app.store();
    let centre = store.centres().await.expect("centres")[0].id;
    let other = store
        .departments()
        .await
        .expect("departments")
        .into_iter()
        .find(|d| d.short_name == "公安分局")
        .expect("公安分局")
        .id;
    for (name, role) in [("rev_police", Role::Reviewer), ("head_police", Role::Head)] {
        store
            .create_user(NewUser {
                username: name,
                display_name: name,
                password: PASSWORD,
                role,
                centre_id: centre,
                department_id: Some(other),
                id_number: None,
                phone: "",
            })
            .await
            .expect("user");
    }
    (
        app.login("rev_police").await,
        app.login("head_police").await,
    )
}

#[tokio::test]
async fn every_command_refuses_the_wrong_role_and_hides_the_case_from_who_may_not_see_it() {
    for app in apps("case_roles").await {
        let b = app.backend.clone();
        let applicant = app.login("applicant").await;
        let clerk = app.login("clerk").await;
        let reviewer = app.login("reviewer").await;
        let head = app.login("head").await;
        let supervisor = app.login("supervisor").await;
        let catalog = app.login("catalog").await;
        let (rev_police, head_police) = outsiders(&app).await;
        // A second applicant who does not own the case.
        let store = app.store();
        let centre = store.centres().await.expect("centres")[0].id;
        store
            .create_user(NewUser {
                username: "other_applicant",
                display_name: "李四",
                password: PASSWORD,
                role: Role::Applicant,
                centre_id: centre,
                department_id: None,
                id_number: None,
                phone: "",
            })
            .await
            .expect("user");
        let stranger = app.login("other_applicant").await;

        // Only applicants (online) and window clerks (for someone) start applications.
        for who in [&reviewer, &head, &supervisor, &catalog] {
            let r = app
                .api(
                    Method::POST,
                    "/api/v1/cases",
                    Some(who),
                    Some(json!({"item": ITEM, "form": form()})),
                )
                .await;
            assert_error(
                &b,
                &format!("create by {}", who.username),
                &r,
                StatusCode::FORBIDDEN,
                "forbidden",
            );
        }
        let r = app
            .api(Method::POST, "/api/v1/cases", Some(&clerk), Some(json!({"item": ITEM, "form": form(), "applicant": {"name": "王五", "id_number": "330102199003070028"}})))
            .await;
        let v = assert_error(
            &b,
            "window: bad ID",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        assert_eq!(
            v["error"]["details"][0]["field"], "applicant.id_number",
            "{b}"
        );
        let r = app
            .api(Method::POST, "/api/v1/cases", Some(&clerk), Some(json!({"item": ITEM, "form": form(), "applicant": {"name": "王五", "id_number": "330102199003070027", "phone": "13900000000"}})))
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{b}: window application: {}",
            r.text()
        );
        assert_eq!(r.json(&b, "window")["case"]["channel"], "window", "{b}");
        let review_case = accepted(&app, &applicant, &clerk).await;
        let intake_case = submitted(&app, &applicant).await;
        let cases: Vec<Refusals> = vec![
            (
                json!({"type": "accept"}),
                intake_case,
                vec![
                    // A department sees a case from its acceptance on.
                    (&reviewer, StatusCode::NOT_FOUND),
                    (&applicant, StatusCode::FORBIDDEN),
                    (&supervisor, StatusCode::FORBIDDEN),
                ],
            ),
            (
                json!({"type": "refuse", "reason": "x"}),
                intake_case,
                vec![
                    (&head, StatusCode::NOT_FOUND),
                    (&catalog, StatusCode::NOT_FOUND),
                ],
            ),
            (
                json!({"type": "request_correction", "deficiencies": [{"material": 3, "problem": "missing"}]}),
                intake_case,
                vec![
                    (&reviewer, StatusCode::NOT_FOUND),
                    (&stranger, StatusCode::NOT_FOUND),
                ],
            ),
            (
                json!({"type": "withdraw"}),
                intake_case,
                vec![
                    (&stranger, StatusCode::NOT_FOUND),
                    (&reviewer, StatusCode::NOT_FOUND),
                ],
            ),
            (
                json!({"type": "complete_review", "agree": true, "opinion": "同意"}),
                review_case,
                vec![
                    (&rev_police, StatusCode::NOT_FOUND),
                    (&clerk, StatusCode::FORBIDDEN),
                    (&applicant, StatusCode::FORBIDDEN),
                ],
            ),
            (
                json!({"type": "suspend", "reason": {"kind": "special_procedure", "name": "鉴定"}, "note": ""}),
                review_case,
                vec![
                    (&rev_police, StatusCode::NOT_FOUND),
                    (&clerk, StatusCode::FORBIDDEN),
                    (&stranger, StatusCode::NOT_FOUND),
                ],
            ),
            (
                json!({"type": "extend", "days": 5, "reason": "x"}),
                review_case,
                vec![
                    (&head_police, StatusCode::NOT_FOUND),
                    (&reviewer, StatusCode::FORBIDDEN),
                    (&supervisor, StatusCode::FORBIDDEN),
                ],
            ),
        ];
        for (command, id, refused) in cases {
            let before = get_case(&app, &applicant, id).await["case"]["version"].clone();
            for (who, status) in refused {
                let r = cmd(&app, who, id, command.clone()).await;
                assert_eq!(
                    r.status,
                    status,
                    "{b}: {command} by {}: {}",
                    who.username,
                    r.text()
                );
            }
            assert_eq!(
                get_case(&app, &applicant, id).await["case"]["version"],
                before,
                "{b}: {command}: nothing changed"
            );
        }
        // Decide, issue and deliver on a case waiting for the decision.
        ok(
            &app,
            &reviewer,
            review_case,
            json!({"type": "complete_review", "agree": true, "opinion": "同意"}),
        )
        .await;
        for (who, status) in [
            (&head_police, StatusCode::NOT_FOUND),
            (&reviewer, StatusCode::FORBIDDEN),
            (&clerk, StatusCode::FORBIDDEN),
        ] {
            let r = cmd(
                &app,
                who,
                review_case,
                json!({"type": "decide", "approve": true, "reason": "x"}),
            )
            .await;
            assert_eq!(
                r.status,
                status,
                "{b}: decide by {}: {}",
                who.username,
                r.text()
            );
        }
        ok(
            &app,
            &head,
            review_case,
            json!({"type": "decide", "approve": true, "reason": "符合条件"}),
        )
        .await;
        for (who, status) in [
            (&rev_police, StatusCode::NOT_FOUND),
            (&clerk, StatusCode::FORBIDDEN),
            (&applicant, StatusCode::FORBIDDEN),
        ] {
            let r = cmd(&app, who, review_case, json!({"type": "issue"})).await;
            assert_eq!(
                r.status,
                status,
                "{b}: issue by {}: {}",
                who.username,
                r.text()
            );
        }
        ok(&app, &reviewer, review_case, json!({"type": "issue"})).await;
        for (who, status) in [
            (&rev_police, StatusCode::NOT_FOUND),
            (&supervisor, StatusCode::FORBIDDEN),
            (&applicant, StatusCode::FORBIDDEN),
        ] {
            let r = cmd(
                &app,
                who,
                review_case,
                json!({"type": "deliver", "method": "x"}),
            )
            .await;
            assert_eq!(
                r.status,
                status,
                "{b}: deliver by {}: {}",
                who.username,
                r.text()
            );
        }
        // A stranger cannot see the case, its files or its documents.
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/cases/{review_case}"),
                Some(&stranger),
                None,
            )
            .await;
        assert_error(&b, "stranger reads", &r, StatusCode::NOT_FOUND, "not_found");
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/cases/{review_case}"),
                Some(&rev_police),
                None,
            )
            .await;
        assert_error(
            &b,
            "other department reads",
            &r,
            StatusCode::NOT_FOUND,
            "not_found",
        );
        let r = upload(&app, &stranger, intake_case, 3, PDF).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{b}: stranger uploads");
        // Without the CSRF header a command is refused.
        let req = Request::builder()
            .method(Method::POST)
            .uri(format!("/api/v1/cases/{intake_case}/commands"))
            .header(header::COOKIE, clerk.cookie.as_str())
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({"command": {"type": "accept"}}).to_string(),
            ))
            .expect("req");
        let r = app.send(req).await;
        assert_error(&b, "no csrf", &r, StatusCode::FORBIDDEN, "csrf");
    }
}

#[tokio::test]
async fn concurrent_actions_on_one_case_cannot_both_succeed() {
    for app in apps("case_concurrency").await {
        let b = app.backend.clone();
        let applicant = app.login("applicant").await;
        let clerk = app.login("clerk").await;
        let id = submitted(&app, &applicant).await;
        upload(&app, &clerk, id, 3, PDF).await;
        let version = get_case(&app, &clerk, id).await["case"]["version"]
            .as_i64()
            .expect("v");
        let body = json!({"version": version, "command": {"type": "accept"}});
        let body2 = json!({"version": version, "command": {"type": "refuse", "reason": "不属于本机关职权"}});
        let uri = format!("/api/v1/cases/{id}/commands");
        let (r1, r2) = tokio::join!(
            app.api(Method::POST, &uri, Some(&clerk), Some(body)),
            app.api(Method::POST, &uri, Some(&clerk), Some(body2)),
        );
        let statuses = [r1.status, r2.status];
        assert_eq!(
            statuses.iter().filter(|s| **s == StatusCode::OK).count(),
            1,
            "{b}: exactly one wins: {statuses:?} {} {}",
            r1.text(),
            r2.text()
        );
        assert!(
            statuses.contains(&StatusCode::CONFLICT),
            "{b}: {statuses:?}"
        );
        let c = get_case(&app, &clerk, id).await;
        assert_eq!(c["case"]["version"].as_i64(), Some(version + 1), "{b}");
        let docs = c["documents"].as_array().map(|d| d.len()).unwrap_or(0);
        assert_eq!(docs, 1, "{b}: one document, from the winner only");
    }
}
