//! 首问负责: inquiries stay with their owner until handed over.

use super::*;

#[tokio::test]
async fn inquiries_stay_with_their_owner_until_handed_over() {
    for app in apps("inquiries").await {
        let b = app.backend.clone();
        let clerk = app.login("clerk").await;
        let reviewer = app.login("reviewer").await;
        let applicant = app.login("applicant").await;
        let r = app
            .api(
                Method::POST,
                "/api/v1/inquiries",
                Some(&applicant),
                Some(json!({"channel": "window", "subject": "x", "inquirer": "王五"})),
            )
            .await;
        assert_error(&b, "applicant logs", &r, StatusCode::FORBIDDEN, "forbidden");
        let r = app
            .api(
                Method::POST,
                "/api/v1/inquiries",
                Some(&clerk),
                Some(json!({"channel": "fax", "subject": "", "inquirer": "王五"})),
            )
            .await;
        let v = assert_error(
            &b,
            "bad inquiry",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        assert_eq!(
            v["error"]["details"].as_array().map(|d| d.len()),
            Some(2),
            "{b}: {v}"
        );
        let r = app
            .api(Method::POST, "/api/v1/inquiries", Some(&clerk), Some(json!({"channel": "hotline", "subject": "公共场所卫生许可需要哪些材料？", "inquirer": "王五", "contact": "13900000000"})))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}: {}", r.text());
        let id = r.json(&b, "inquiry")["id"].as_i64().expect("id");
        let list = app
            .api(Method::GET, "/api/v1/inquiries", Some(&clerk), None)
            .await
            .text();
        assert!(
            list.contains("王*") && !list.contains("王五"),
            "{b}: masked in lists: {list}"
        );
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/inquiries/{id}/close"),
                Some(&reviewer),
                Some(json!({"answer": "x"})),
            )
            .await;
        assert_error(&b, "not the owner", &r, StatusCode::FORBIDDEN, "forbidden");
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/inquiries/{id}/hand-over"),
                Some(&clerk),
                Some(json!({"to": "reviewer", "note": "涉及卫生检测标准，转卫健局"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: {}", r.text());
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/inquiries/{id}/close"),
                Some(&clerk),
                Some(json!({"answer": "x"})),
            )
            .await;
        assert_error(&b, "former owner", &r, StatusCode::FORBIDDEN, "forbidden");
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/inquiries/{id}/close"),
                Some(&reviewer),
                Some(json!({"answer": "已电话告知材料清单"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: {}", r.text());
        let page = app
            .get_page(&format!("/inquiries/{id}"), Some(&clerk))
            .await
            .text();
        assert!(
            page.contains("涉及卫生检测标准") && page.contains("已电话告知材料清单"),
            "{b}: the record keeps the hand-over"
        );
    }
}
