//! Uploads are sniffed for their type and limited in size.

use super::*;

#[tokio::test]
async fn uploads_are_sniffed_and_size_limited() {
    for app in apps("case_uploads").await {
        let b = app.backend.clone();
        let applicant = app.login("applicant").await;
        let id = create(&app, &applicant).await;
        let r = upload(&app, &applicant, id, 0, b"MZ\x90\x00 not a document").await;
        let v = assert_error(
            &b,
            "exe",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        assert_eq!(v["error"]["details"][0]["field"], "file", "{b}");
        let mut big = b"%PDF-".to_vec();
        big.resize(10 * 1024 * 1024 + 1, b' ');
        let r = upload(&app, &applicant, id, 0, &big).await;
        assert_error(
            &b,
            "too big",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        let r = upload(&app, &applicant, id, 9, PDF).await;
        assert_error(
            &b,
            "no such material",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        let r = upload(&app, &applicant, id, 0, PDF).await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}");
        let file = r.json(&b, "file")["id"].as_i64().expect("file id");
        // The file comes back as uploaded, typed by its content.
        let r = app
            .get_page(&format!("/files/{file}"), Some(&applicant))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}");
        assert_eq!(r.body, PDF, "{b}");
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("application/pdf"),
            "{b}"
        );
        let reviewer = app.login("reviewer").await;
        let r = app
            .get_page(&format!("/files/{file}"), Some(&reviewer))
            .await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{b}: a draft is not the department's yet"
        );
        // A bad form value is reported by field and nothing is created.
        let before = app
            .store()
            .my_cases(
                &app.store()
                    .session(applicant.cookie.trim_start_matches("tb_session="))
                    .await
                    .expect("s")
                    .expect("session")
                    .actor,
                &app.state.calendar(),
                app.state.today(),
            )
            .await
            .expect("mine")
            .len();
        let r = app
            .api(Method::POST, "/api/v1/cases", Some(&applicant), Some(json!({"item": ITEM, "form": {"venue_name": "x", "area": "很大", "venue_type": "赌场"}})))
            .await;
        let v = assert_error(
            &b,
            "bad form",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        let fields: Vec<&str> = v["error"]["details"]
            .as_array()
            .expect("details")
            .iter()
            .filter_map(|d| d["field"].as_str())
            .collect();
        assert!(
            fields.contains(&"form.area")
                && fields.contains(&"form.venue_type")
                && fields.contains(&"form.venue_address"),
            "{b}: {fields:?}"
        );
        let after = app
            .store()
            .my_cases(
                &app.store()
                    .session(applicant.cookie.trim_start_matches("tb_session="))
                    .await
                    .expect("s")
                    .expect("session")
                    .actor,
                &app.state.calendar(),
                app.state.today(),
            )
            .await
            .expect("mine")
            .len();
        assert_eq!(before, after, "{b}");
    }
}
