//! The calendar API: public queries, and entering a year (system admin only).

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers;

#[tokio::test]
async fn calendar_api_answers_and_only_the_admin_enters_a_year() {
    for app in helpers::apps("calendar_api").await {
        let b = app.backend.clone();
        let get = |uri: &'static str| {
            let app = &app;
            let b = b.clone();
            async move {
                let r = app.api(Method::GET, uri, None, None).await;
                let v: Value = r.json(&b, uri);
                (r.status, v)
            }
        };
        let (status, body) = get("/api/v1/calendar/days/2025-01-26").await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert_eq!(body["workday"], true, "{b}: 调休 Sunday");
        let (_, body) = get("/api/v1/calendar/add-workdays?date=2025-09-30&n=1").await;
        assert_eq!(body["date"], "2025-10-09", "{b}");
        let (_, body) = get("/api/v1/calendar/workdays?from=2025-09-30&to=2025-10-09").await;
        assert_eq!(body["workdays"], 1, "{b}");
        let (status, body) = get("/api/v1/calendar/days/2030-01-07").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(body["error"]["code"], "calendar_year_missing", "{b}");

        let notice = json!({"source": "test", "days": [
            {"date": "2030-01-01", "off": true, "name": "元旦"},
            {"date": "2030-01-05", "off": false, "name": "调休"}
        ]});
        let uri = "/api/v1/admin/calendar/years/2030";
        let catalog = app.login("catalog").await;
        let r = app
            .api(Method::PUT, uri, Some(&catalog), Some(notice.clone()))
            .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{b}: only the system admin"
        );
        let admin = app.login("admin").await;
        let r = app.api(Method::PUT, uri, Some(&admin), Some(notice)).await;
        assert_eq!(r.status, StatusCode::OK, "{b}: {}", r.text());
        let (_, body) = get("/api/v1/calendar/days/2030-01-05").await;
        assert_eq!(body["workday"], true, "{b}: entered 调休 Saturday");
        let (_, body) = get("/api/v1/calendar/days/2030-01-01").await;
        assert_eq!(body["workday"], false, "{b}");
        // A malformed notice is refused with the field named, and changes nothing.
        let bad =
            json!({"source": "", "days": [{"date": "2030-03-04", "off": false, "name": "周一"}]});
        let r = app.api(Method::PUT, uri, Some(&admin), Some(bad)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let v = r.json(&b, "refusal");
        assert_eq!(v["error"]["details"][0]["field"], "days[0]", "{b}");
        let (_, body) = get("/api/v1/calendar/days/2030-01-05").await;
        assert_eq!(body["workday"], true, "{b}: the earlier notice stands");
    }
}
