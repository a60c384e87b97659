//! Defect 2: an online draft is its author's alone — every other account
//! (every staff role, and another applicant) gets 404 for every operation on
//! it, through the API and the pages, and the draft's files stay as they were.

use super::*;

/// The ids of a case's files, as its applicant sees them.
async fn file_ids(app: &App, applicant: &Login, id: i64) -> Vec<i64> {
    get_case(app, applicant, id).await["files"]
        .as_array()
        .map(|f| f.iter().filter_map(|x| x["id"].as_i64()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_draft_is_its_authors_alone_for_every_operation() {
    for app in apps("hard_drafts").await {
        let b = app.backend.clone();
        let applicant = app.login("applicant").await;
        let id = create(&app, &applicant).await;
        let file = uploaded(&app, &applicant, id, 0).await;
        let before = get_case(&app, &applicant, id).await;
        assert_eq!(before["case"]["state"], "draft", "{b}");
        let version = before["case"]["version"].clone();

        let mut others = Vec::new();
        for u in OTHER_DEMO_USERS {
            others.push(app.login(u).await);
        }
        others.push(second_applicant(&app).await);

        for who in &others {
            let u = who.username.clone();
            let r = app
                .api(Method::GET, &format!("/api/v1/cases/{id}"), Some(who), None)
                .await;
            assert_error(
                &b,
                &format!("{u} reads the draft"),
                &r,
                StatusCode::NOT_FOUND,
                "not_found",
            );
            let r = upload(&app, who, id, 1).await;
            assert_error(
                &b,
                &format!("{u} uploads into the draft"),
                &r,
                StatusCode::NOT_FOUND,
                "not_found",
            );
            for command in [
                json!({"type": "submit"}),
                json!({"type": "withdraw", "reason": "不办了"}),
                json!({"type": "accept"}),
            ] {
                let r = cmd(&app, who, id, command.clone()).await;
                assert_error(
                    &b,
                    &format!("{u}: {command} on the draft"),
                    &r,
                    StatusCode::NOT_FOUND,
                    "not_found",
                );
            }
            for page in [
                format!("/cases/{id}"),
                format!("/cases/{id}/materials"),
                format!("/cases/{id}/check"),
                format!("/files/{file}"),
            ] {
                let r = app.get_page(&page, Some(who)).await;
                assert_eq!(r.status, StatusCode::NOT_FOUND, "{b}: {u} opens {page}");
            }
            let r = page_upload(&app, who, id, 1).await;
            assert_eq!(
                r.status,
                StatusCode::NOT_FOUND,
                "{b}: {u} uploads through the page"
            );
            let r = app
                .post_form(
                    &format!("/cases/{id}/files/{file}/delete"),
                    who,
                    &format!("csrf={}", who.csrf),
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::NOT_FOUND,
                "{b}: {u} deletes the applicant's file: {}",
                r.text()
            );
            let r = app
                .post_form(
                    &format!("/cases/{id}/act"),
                    who,
                    &format!("csrf={}&action=submit&version={version}", who.csrf),
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::NOT_FOUND,
                "{b}: {u} submits through the page"
            );
        }

        // Nothing changed.
        let after = get_case(&app, &applicant, id).await;
        assert_eq!(after["case"]["state"], "draft", "{b}");
        assert_eq!(
            after["case"]["version"], version,
            "{b}: the draft did not move"
        );
        assert_eq!(
            file_ids(&app, &applicant, id).await,
            vec![file],
            "{b}: the files are as uploaded"
        );
        let r = app
            .get_page(&format!("/files/{file}"), Some(&applicant))
            .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{b}: the applicant still downloads it"
        );
        assert_eq!(r.body, PDF, "{b}");

        // The same page operations work for the author (so the 404s above
        // are refusals, not wrong routes).
        // (A draft's own page sends its author on to check the answers.)
        let r = app
            .get_page(&format!("/cases/{id}"), Some(&applicant))
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "{b}: the author opens the draft"
        );
        for page in [
            format!("/cases/{id}/materials"),
            format!("/cases/{id}/check"),
        ] {
            let r = app.get_page(&page, Some(&applicant)).await;
            assert_eq!(r.status, StatusCode::OK, "{b}: the author opens {page}");
        }
        let r = page_upload(&app, &applicant, id, 1).await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "{b}: the author uploads: {}",
            r.text()
        );
        let ids = file_ids(&app, &applicant, id).await;
        assert_eq!(ids.len(), 2, "{b}: {ids:?}");
        let added = ids
            .iter()
            .copied()
            .find(|f| *f != file)
            .expect("the new file");
        let r = app
            .post_form(
                &format!("/cases/{id}/files/{added}/delete"),
                &applicant,
                &format!("csrf={}", applicant.csrf),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "{b}: the author removes a file: {}",
            r.text()
        );
        assert_eq!(file_ids(&app, &applicant, id).await, vec![file], "{b}");
    }
}
