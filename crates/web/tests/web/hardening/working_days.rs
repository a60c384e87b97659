//! Defect 4: working-day counts are bounded (0 to 1000) wherever they come
//! in — the calendar API, an item's time limits, an extension — and
//! out-of-range numbers are a clear error, never a wrapped-around date.

use chrono::NaiveDate;

use super::*;

fn date_of(v: &Value) -> Option<NaiveDate> {
    v["date"]
        .as_str()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

#[tokio::test]
async fn the_calendar_api_refuses_counts_out_of_range() {
    for app in apps("hard_workdays_api").await {
        let b = app.backend.clone();
        let start = NaiveDate::from_ymd_opt(2025, 1, 1).expect("date");
        for n in [
            "4294967295",
            "4294967296",
            "1001",
            "-1",
            "99999999999999999999",
        ] {
            let uri = format!("/api/v1/calendar/add-workdays?date=2025-01-01&n={n}");
            let r = app.api(Method::GET, &uri, None, None).await;
            assert!(
                matches!(
                    r.status,
                    StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY
                ),
                "{b}: n={n}: status {} ({})",
                r.status,
                r.text()
            );
            let v = r.json(&b, &uri);
            assert!(
                v["error"]["code"].as_str().is_some_and(|c| !c.is_empty()),
                "{b}: n={n}: the JSON error shape: {v}"
            );
            assert!(
                v.get("date").is_none(),
                "{b}: n={n}: no date is answered: {v}"
            );
            if let Some(d) = date_of(&v) {
                assert!(d >= start, "{b}: n={n}: a date before the start: {d}");
            }
        }
        // The bounds themselves.
        let r = app
            .api(
                Method::GET,
                "/api/v1/calendar/add-workdays?date=2025-01-01&n=0",
                None,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: n=0: {}", r.text());
        assert_eq!(
            date_of(&r.json(&b, "n=0")),
            Some(start),
            "{b}: n=0 is the date itself"
        );
        let r = app
            .api(
                Method::GET,
                "/api/v1/calendar/add-workdays?date=2025-01-01&n=10",
                None,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: n=10: {}", r.text());
        let ten = date_of(&r.json(&b, "n=10")).expect("a date");
        assert!(ten > start, "{b}: 10 working days on is later: {ten}");
        // 1000 is in range: either a date after the start or the missing
        // year of the calendar named — never a date before.
        let r = app
            .api(
                Method::GET,
                "/api/v1/calendar/add-workdays?date=2025-01-01&n=1000",
                None,
                None,
            )
            .await;
        match r.status {
            StatusCode::OK => {
                let d = date_of(&r.json(&b, "n=1000")).expect("a date");
                assert!(d > ten, "{b}: n=1000 gives {d}");
            }
            StatusCode::UNPROCESSABLE_ENTITY => {
                assert_error(
                    &b,
                    "n=1000",
                    &r,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "calendar_year_missing",
                );
            }
            s => panic!("{b}: n=1000: {s}: {}", r.text()),
        }
    }
}

#[tokio::test]
async fn an_item_cannot_promise_an_absurd_number_of_working_days() {
    for app in apps("hard_workdays_item").await {
        let b = app.backend.clone();
        let admin = app.login("catalog").await;
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/admin/catalog/{ITEM}/versions"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{b}: new version: {}",
            r.text()
        );
        let draft = r.json(&b, "new version");
        let id = draft["id"].as_i64().expect("draft id");
        let read_at = draft["updated_at"].as_i64().expect("updated_at");
        assert_eq!(
            draft["doc"]["legal_limit"]["days"], 20,
            "{b}: the demo item's legal limit"
        );
        for (limit, days) in [
            ("legal_limit", json!(4_294_967_295u64)),
            ("legal_limit", json!(1001)),
            ("promised_limit", json!(4_294_967_295u64)),
            ("legal_limit", json!(-1)),
        ] {
            let mut doc = draft["doc"].clone();
            doc[limit]["days"] = days.clone();
            let r = app
                .api(
                    Method::PUT,
                    &format!("/api/v1/admin/items/{id}"),
                    Some(&admin),
                    Some(json!({"doc": doc, "updated_at": read_at})),
                )
                .await;
            let v = assert_error(
                &b,
                &format!("{limit} of {days} days"),
                &r,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_input",
            );
            let fields = detail_fields(&v);
            assert!(
                fields
                    .iter()
                    .any(|f| f.contains(limit) && f.ends_with("days")),
                "{b}: {limit} of {days}: the field is named: {fields:?}"
            );
            let stored = app
                .store()
                .item_version(id)
                .await
                .unwrap_or_else(|e| panic!("{b}: draft {id}: {e}"));
            assert_eq!(
                stored.updated_at, read_at,
                "{b}: {limit} of {days}: the refused save changed the draft"
            );
            let legal = stored.doc.legal_limit.as_ref().map(|l| l.days.get());
            assert_eq!(legal, Some(20), "{b}: the legal limit is unchanged");
        }
        // The bound itself is accepted.
        let mut doc = draft["doc"].clone();
        doc["legal_limit"]["days"] = json!(1000);
        let r = app
            .api(
                Method::PUT,
                &format!("/api/v1/admin/items/{id}"),
                Some(&admin),
                Some(json!({"doc": doc, "updated_at": read_at})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{b}: 1000 days is in range: {}",
            r.text()
        );
        assert_eq!(
            r.json(&b, "saved")["doc"]["legal_limit"]["days"],
            1000,
            "{b}"
        );
    }
}

#[tokio::test]
async fn an_extension_is_bounded_too() {
    for app in apps("hard_workdays_extend").await {
        let b = app.backend.clone();
        let applicant = app.login("applicant").await;
        let clerk = app.login("clerk").await;
        let head = app.login("head").await;
        let (id, _) = accepted(&app, &applicant, &clerk).await;
        let before = get_case(&app, &applicant, id).await;
        for days in [
            json!(4_294_967_295u64),
            json!(4_294_967_296u64),
            json!(1001),
            json!(-1),
        ] {
            let r = cmd(
                &app,
                &head,
                id,
                json!({"type": "extend", "days": days, "reason": "专家评审"}),
            )
            .await;
            let v = assert_error(
                &b,
                &format!("extend by {days}"),
                &r,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_input",
            );
            let fields = detail_fields(&v);
            assert!(
                fields.iter().any(|f| f.ends_with("days")),
                "{b}: extend by {days}: the field is named: {fields:?}"
            );
        }
        let after = get_case(&app, &applicant, id).await;
        assert_eq!(
            after["case"]["version"], before["case"]["version"],
            "{b}: nothing changed"
        );
        assert_eq!(
            after["case"]["legal_due"], before["case"]["legal_due"],
            "{b}"
        );
    }
}
