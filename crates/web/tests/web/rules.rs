//! Decision rules over HTTP on every backend: the catalogue admin reads the
//! tables and live test results, uploads a model to a draft, and cannot
//! publish while a test fails or a cell does not compile; applicants cannot
//! see the rules' administration.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

const MEDICAL: &str = "11339901MB000000374080301001000";

#[tokio::test]
async fn the_admin_reads_uploads_and_cannot_publish_failing_rules() {
    for app in apps("rules_http").await {
        let b = &app.backend;
        let admin = app.login("catalog").await;
        let applicant = app.login("applicant").await;
        let live = app
            .store()
            .published_item(MEDICAL)
            .await
            .expect("q")
            .expect("published");
        let v = app
            .api(
                Method::GET,
                &format!("/api/v1/admin/items/{}/decision", live.id),
                Some(&admin),
                None,
            )
            .await
            .json(b, "decision");
        assert_eq!(v["tables"][0]["name"], "新生儿参保条件", "{b}: {v}");
        assert!(
            v["tests"]
                .as_array()
                .is_some_and(|t| !t.is_empty() && t.iter().all(|x| x["passed"] == true))
        );
        let page = app
            .get_page(&format!("/admin/items/{}/rules", live.id), Some(&admin))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        let text = page.text();
        assert!(
            text.contains("rules-grid") && text.contains("新生儿参保条件"),
            "{b}"
        );
        assert!(
            text.contains("核验一致则秒批") && text.contains("data-passed=\"true\""),
            "{b}: the test cases run live"
        );
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/admin/items/{}/decision", live.id),
                Some(&applicant),
                None,
            )
            .await;
        assert!(
            r.status == StatusCode::FORBIDDEN || r.status == StatusCode::NOT_FOUND,
            "{b}: {}",
            r.status
        );
        // A new draft version; a test case that expects the wrong outcome.
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/admin/catalog/{MEDICAL}/versions"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}: {}", r.text());
        let draft = r.json(b, "draft")["id"].as_i64().expect("id");
        let mut spec = v["decision"].clone();
        spec["tests"][0]["expect"] = json!({"decision": "refuse"});
        let r = app
            .api(
                Method::PUT,
                &format!("/api/v1/admin/items/{draft}/decision"),
                Some(&admin),
                Some(spec.clone()),
            )
            .await
            .json(b, "upload");
        assert_eq!(r["tests"][0]["passed"], false, "{b}: {r}");
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/admin/items/{draft}/publish"),
                Some(&admin),
                None,
            )
            .await;
        let e = assert_error(
            b,
            "publish with a failing test",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        assert!(e.to_string().contains("decision.tests[0]"), "{b}: {e}");
        // A cell that does not compile is refused on upload, naming the rule and column.
        let mut bad = v["decision"].clone();
        bad["model"]["nodes"][1]["content"]["rules"][1]["i2"] = json!("> > 0");
        let r = app
            .api(
                Method::PUT,
                &format!("/api/v1/admin/items/{draft}/decision"),
                Some(&admin),
                Some(bad),
            )
            .await;
        let e = assert_error(
            b,
            "bad cell",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        assert!(e.to_string().contains("不一致项"), "{b}: {e}");
        // Fixed: publishes.
        let r = app
            .api(
                Method::PUT,
                &format!("/api/v1/admin/items/{draft}/decision"),
                Some(&admin),
                Some(v["decision"].clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: {}", r.text());
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/admin/items/{draft}/publish"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: {}", r.text());
    }
}
