//! The indicator registry (SPEC §8.2) as JSON and as a page, for anyone:
//! every indicator with its definition, and the page anchors reports link.

use axum::http::{Method, StatusCode};

use crate::helpers::*;

#[tokio::test]
async fn the_registry_defines_every_indicator_as_json_and_as_a_page() {
    for app in apps("web_indicators").await {
        let b = app.backend.clone();
        let r = app.api(Method::GET, "/api/v1/indicators", None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{b}");
        let v = r.json(&b, "registry");
        let list = v["indicators"].as_array().cloned().unwrap_or_default();
        let ids: Vec<&str> = list.iter().filter_map(|i| i["id"].as_str()).collect();
        let expected: Vec<&str> = tongban_domain::indicators::REGISTRY
            .iter()
            .map(|i| i.id)
            .collect();
        assert_eq!(ids, expected, "{b}");
        let on_time = list
            .iter()
            .find(|i| i["id"] == "on_time_rate")
            .expect("on_time_rate");
        assert_eq!(on_time["zh"], "按时办结率");
        assert_eq!(on_time["unit"], "share");
        assert_eq!(on_time["formula"], "completed_on_time ÷ completed");
        assert!(
            on_time["fed_by"]
                .as_array()
                .is_some_and(|e| e.iter().any(|x| x == "case.extend")),
            "{b}: {on_time}"
        );
        let page = app.get_page("/indicators", None).await;
        assert_eq!(page.status, StatusCode::OK, "{b}");
        let html = page.text();
        for id in expected {
            assert!(html.contains(&format!("id=\"{id}\"")), "{b}: anchor {id}");
        }
        assert!(html.contains("实名差评回访率"), "{b}");
    }
}
