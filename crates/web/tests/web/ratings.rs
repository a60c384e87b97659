//! 好差评 and experience officers through the API and the pages: who may do
//! what at every new endpoint (404 for what one may not see, 403 for what
//! one sees but may not do), bad input refused by field, exports masked and
//! formula-safe, the public figures without names.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::*;

/// A 城乡居民医保 application for the newborn, completed by 秒批 on `day`.
pub(crate) async fn completed(app: &App, day: chrono::NaiveDate) -> i64 {
    let store = app.store();
    let applicant = store
        .actor("applicant")
        .await
        .expect("actor")
        .expect("demo");
    let form = [
        ("baby_name", "张小宝"),
        ("birth_date", "2026-02-20"),
        ("guardian_name", "张三"),
        ("phone", "13800000000"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let c = store
        .create_case(
            &applicant,
            "11339901MB000000374080301001000",
            tongban_store::cases::NewCase {
                form,
                ..Default::default()
            },
        )
        .await
        .expect("case");
    let cal = app.state.calendar();
    store
        .submit_case(&applicant, c.id, None, &cal, day)
        .await
        .expect("submitted");
    c.id
}

fn bad_rating(comment: &str) -> Value {
    json!({
        "channel": "online",
        "level": 2,
        "indicators": {"efficiency": 2, "guide_accuracy": 2, "convenience": 3, "usability": 3},
        "reasons": ["R01", "R02"],
        "comment": comment,
    })
}

#[tokio::test]
async fn ratings_endpoints_check_who_may_do_what() {
    for app in apps("web_ratings").await {
        let b = app.backend.clone();
        let today = app.state.today();
        let id = completed(&app, today).await;
        let applicant = app.login("applicant").await;
        let clerk = app.login("clerk").await;
        let reviewer = app.login("reviewer").await;
        let reviewer_yb = app.login("reviewer_yb").await;
        let head_yb = app.login("head_yb").await;
        let supervisor = app.login("supervisor").await;
        let concierge = app.login("concierge").await;

        // The published scheme, for anyone.
        let r = app
            .api(Method::GET, "/api/v1/ratings/reasons", None, None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}");
        let v = r.json(&b, "reasons");
        assert!(
            v["reasons"].as_array().is_some_and(|a| a.len() >= 5),
            "{b}: {v}"
        );
        assert_eq!(v["version"], "2026-1");

        // Reading a case's ratings: its applicant; not another department, not anonymous.
        let path = format!("/api/v1/cases/{id}/rating");
        assert_eq!(
            app.api(Method::GET, &path, Some(&applicant), None)
                .await
                .status,
            StatusCode::OK
        );
        assert_error(
            &b,
            "anonymous",
            &app.api(Method::GET, &path, None, None).await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        );
        assert_error(
            &b,
            "other department",
            &app.api(Method::GET, &path, Some(&reviewer), None).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );

        // Rating: the applicant online; a supervisor sees it but may not; a
        // concierge does not see it; bad input by field, nothing recorded.
        let rate = format!("/api/v1/cases/{id}/ratings");
        assert_error(
            &b,
            "concierge",
            &app.api(Method::POST, &rate, Some(&concierge), Some(bad_rating("")))
                .await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
        assert_error(
            &b,
            "supervisor",
            &app.api(Method::POST, &rate, Some(&supervisor), Some(bad_rating("")))
                .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        let mut no_reason = bad_rating("");
        no_reason["reasons"] = json!([]);
        let v = assert_error(
            &b,
            "no reason",
            &app.api(Method::POST, &rate, Some(&applicant), Some(no_reason))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        assert!(v.to_string().contains("reasons"), "{b}: {v}");
        let mut wrong_level = bad_rating("");
        wrong_level["level"] = json!(7);
        assert_error(
            &b,
            "level 7",
            &app.api(Method::POST, &rate, Some(&applicant), Some(wrong_level))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        let r = app
            .api(
                Method::POST,
                &rate,
                Some(&applicant),
                Some(bad_rating("=HYPERLINK(\"x\") 请回电13800000000")),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}: {}", r.text());
        let rating_id = r.json(&b, "rating")["id"].as_i64().expect("id");
        assert_error(
            &b,
            "twice",
            &app.api(Method::POST, &rate, Some(&applicant), Some(bad_rating("")))
                .await,
            StatusCode::CONFLICT,
            "conflict",
        );
        // The window enters a hotline rating on the applicant's word.
        let mut hotline = json!({"channel": "hotline", "level": 4, "indicators": {"service_efficiency": 4, "service_level": 4, "attitude": 5}});
        let r = app
            .api(Method::POST, &rate, Some(&clerk), Some(hotline.clone()))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}: {}", r.text());
        hotline["channel"] = json!("telepathy");
        assert_eq!(
            app.api(Method::POST, &rate, Some(&clerk), Some(hotline))
                .await
                .status,
            StatusCode::UNPROCESSABLE_ENTITY
        );

        // The 差评's rectification: the handling department owns it.
        let list = app
            .api(
                Method::GET,
                "/api/v1/rectifications",
                Some(&reviewer_yb),
                None,
            )
            .await
            .json(&b, "list");
        let rects = list["rectifications"].as_array().expect("list");
        assert_eq!(rects.len(), 1, "{b}");
        let rid = rects[0]["id"].as_i64().expect("id");
        assert_eq!(rects[0]["rating"]["id"].as_i64(), Some(rating_id));
        let none = app
            .api(Method::GET, "/api/v1/rectifications", Some(&reviewer), None)
            .await
            .json(&b, "none");
        assert_eq!(none["rectifications"].as_array().map(Vec::len), Some(0));
        let one = format!("/api/v1/rectifications/{rid}");
        assert_error(
            &b,
            "other department",
            &app.api(Method::GET, &one, Some(&reviewer), None).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
        assert_eq!(
            app.api(Method::GET, &one, Some(&applicant), None)
                .await
                .status,
            StatusCode::OK
        );
        assert_error(
            &b,
            "applicants list none",
            &app.api(
                Method::GET,
                "/api/v1/rectifications",
                Some(&applicant),
                None,
            )
            .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        let act = format!("/api/v1/rectifications/{rid}/actions");
        let visit =
            json!({"action": {"type": "visit", "method": "电话", "note": "申请人说指南没写清楚"}});
        assert_error(
            &b,
            "applicant visits",
            &app.api(Method::POST, &act, Some(&applicant), Some(visit.clone()))
                .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        let empty = json!({"action": {"type": "visit", "method": "", "note": ""}});
        let v = assert_error(
            &b,
            "empty visit",
            &app.api(Method::POST, &act, Some(&reviewer_yb), Some(empty))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        assert!(v.to_string().contains("method"), "{b}: {v}");
        let r = app
            .api(Method::POST, &act, Some(&reviewer_yb), Some(visit))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: {}", r.text());
        let version = r.json(&b, "visited")["version"].as_i64();
        // Evidence: the owner uploads; the applicant may not.
        let put = |who: &Login| {
            let req = Request::builder()
                .method(Method::PUT)
                .uri(format!(
                    "/api/v1/rectifications/{rid}/files?name=evidence.pdf"
                ))
                .header(header::COOKIE, who.cookie.as_str())
                .header("x-csrf-token", who.csrf.as_str())
                .header(header::CONTENT_TYPE, "application/octet-stream")
                .body(Body::from(b"%PDF-1.4 evidence".to_vec()))
                .expect("request");
            app.send(req)
        };
        assert_eq!(put(&applicant).await.status, StatusCode::FORBIDDEN, "{b}");
        assert_eq!(put(&head_yb).await.status, StatusCode::CREATED, "{b}");
        let rectify = json!({"version": version, "action": {"type": "rectify", "cause": "指南未写明原件要求", "measures": "修订指南"}});
        assert_eq!(
            app.api(Method::POST, &act, Some(&head_yb), Some(rectify))
                .await
                .status,
            StatusCode::OK,
            "{b}"
        );
        let verify = json!({"action": {"type": "verify"}});
        assert_error(
            &b,
            "owner verifies",
            &app.api(Method::POST, &act, Some(&head_yb), Some(verify.clone()))
                .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        assert_eq!(
            app.api(Method::POST, &act, Some(&supervisor), Some(verify))
                .await
                .status,
            StatusCode::OK,
            "{b}"
        );
        let verdict = json!({"action": {"type": "verdict", "verdict": "fair"}});
        let r = app
            .api(Method::POST, &act, Some(&applicant), Some(verdict))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: {}", r.text());
        assert_eq!(r.json(&b, "verdict")["verdict"], "fair");

        // Exports: no names, numbers masked, formulas neutralised.
        let csv = app
            .api(
                Method::GET,
                "/api/v1/ratings/export.csv",
                Some(&reviewer_yb),
                None,
            )
            .await;
        assert_eq!(csv.status, StatusCode::OK, "{b}");
        assert!(
            csv.header("content-type")
                .is_some_and(|c| c.starts_with("text/csv"))
        );
        let text = csv.text();
        assert!(text.contains("'=HYPERLINK"), "{b}: {text}");
        assert!(
            !text.contains("13800000000") && !text.contains("张三"),
            "{b}: {text}"
        );
        assert_error(
            &b,
            "applicant export",
            &app.api(
                Method::GET,
                "/api/v1/ratings/export.csv",
                Some(&applicant),
                None,
            )
            .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        let rcsv = app
            .api(
                Method::GET,
                "/api/v1/rectifications/export.csv",
                Some(&supervisor),
                None,
            )
            .await;
        assert!(rcsv.text().contains("修订指南"), "{b}");

        // The public figures: no sign-in, no names, no comments; a bad period by field.
        let p = app
            .api(Method::GET, "/api/v1/public/ratings", None, None)
            .await;
        assert_eq!(p.status, StatusCode::OK, "{b}");
        let pv = p.json(&b, "public");
        assert_eq!(pv["total"]["count"], 2, "{b}: {pv}");
        let ptext = pv.to_string();
        assert!(
            !ptext.contains("张三") && !ptext.contains("HYPERLINK") && !ptext.contains("138"),
            "{b}: {ptext}"
        );
        assert_eq!(pv["bad"][0]["outcome"], "verified");
        let v = assert_error(
            &b,
            "bad period",
            &app.api(
                Method::GET,
                "/api/v1/public/ratings?from=2026-05-01&to=2026-01-01",
                None,
                None,
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        assert!(v.to_string().contains("from"), "{b}");

        // The window's tablet: the clerk opens it; the applicant may not.
        let id2 = completed(&app, today).await;
        let open = format!("/api/v1/cases/{id2}/onsite-rating");
        assert_error(
            &b,
            "applicant opens tablet",
            &app.api(Method::POST, &open, Some(&applicant), None).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        let r = app.api(Method::POST, &open, Some(&clerk), None).await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}: {}", r.text());
        let token = r.json(&b, "tablet")["token"]
            .as_str()
            .expect("token")
            .to_string();
        let shown = app
            .api(Method::GET, &format!("/api/v1/onsite/{token}"), None, None)
            .await;
        assert_eq!(shown.status, StatusCode::OK);
        assert!(!shown.text().contains("张三"));
        let on_site = json!({"level": 5, "indicators": {"service_efficiency": 5, "service_level": 5, "attitude": 5}});
        assert_eq!(
            app.api(
                Method::POST,
                &format!("/api/v1/onsite/{token}/rating"),
                None,
                Some(on_site.clone())
            )
            .await
            .status,
            StatusCode::CREATED
        );
        assert_error(
            &b,
            "used token",
            &app.api(
                Method::POST,
                &format!("/api/v1/onsite/{token}/rating"),
                None,
                Some(on_site),
            )
            .await,
            StatusCode::NOT_FOUND,
            "not_found",
        );

        // Corrections: by whoever gave it; nobody else.
        let correction = json!({"level": 4, "indicators": {"service_efficiency": 4, "service_level": 4, "attitude": 4}});
        assert_error(
            &b,
            "another corrects",
            &app.api(
                Method::POST,
                &format!("/api/v1/ratings/{rating_id}/corrections"),
                Some(&clerk),
                Some(correction),
            )
            .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );

        // The centre's profile: the system admin's.
        let admin = app.login("admin").await;
        assert_error(
            &b,
            "clerk profile",
            &app.api(Method::GET, "/api/v1/admin/profile", Some(&clerk), None)
                .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        let mut p = app
            .api(Method::GET, "/api/v1/admin/profile", Some(&admin), None)
            .await
            .json(&b, "profile");
        p["ratings"]["rectify_days"] = json!(30);
        let v = assert_error(
            &b,
            "30 days",
            &app.api(
                Method::PUT,
                "/api/v1/admin/profile",
                Some(&admin),
                Some(p.clone()),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        assert!(v.to_string().contains("ratings.rectify_days"), "{b}: {v}");
        p["ratings"]["rectify_days"] = json!(10);
        assert_eq!(
            app.api(Method::PUT, "/api/v1/admin/profile", Some(&admin), Some(p))
                .await
                .status,
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn officers_record_walk_throughs_and_owners_fix_their_findings() {
    for app in apps("web_officers").await {
        let b = app.backend.clone();
        let officer = app.login("officer").await;
        let clerk = app.login("clerk").await;
        let reviewer = app.login("reviewer").await;
        let reviewer_ga = app.login("reviewer_ga").await;
        let supervisor = app.login("supervisor").await;
        let walk = json!({
            "subject": "item",
            "code": "11339901MB000000114010103001000",
            "steps": ["查看指南", "窗口提交"],
            "minutes": 80,
            "findings": [{"category": "guide_inaccurate", "severity": "high", "step": "查看指南", "description": "指南未写明需原件"}],
        });
        assert_error(
            &b,
            "clerk walks",
            &app.api(
                Method::POST,
                "/api/v1/walkthroughs",
                Some(&clerk),
                Some(walk.clone()),
            )
            .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        let mut bad = walk.clone();
        bad["minutes"] = json!(0);
        assert_error(
            &b,
            "0 minutes",
            &app.api(
                Method::POST,
                "/api/v1/walkthroughs",
                Some(&officer),
                Some(bad),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        let r = app
            .api(
                Method::POST,
                "/api/v1/walkthroughs",
                Some(&officer),
                Some(walk),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}: {}", r.text());
        let fid = r.json(&b, "walk")["findings"][0]["id"]
            .as_i64()
            .expect("finding");
        let mine = app
            .api(Method::GET, "/api/v1/walkthroughs", Some(&officer), None)
            .await
            .json(&b, "mine");
        assert_eq!(mine["walkthroughs"].as_array().map(Vec::len), Some(1));
        let list = app
            .api(
                Method::GET,
                "/api/v1/officer-findings",
                Some(&reviewer),
                None,
            )
            .await
            .json(&b, "findings");
        assert_eq!(list["findings"].as_array().map(Vec::len), Some(1), "{b}");
        let one = format!("/api/v1/officer-findings/{fid}");
        assert_error(
            &b,
            "other department",
            &app.api(Method::GET, &one, Some(&reviewer_ga), None).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
        let act = format!("{one}/actions");
        let fix = json!({"action": {"type": "fix", "note": "指南已修订"}});
        assert_error(
            &b,
            "supervisor fixes",
            &app.api(Method::POST, &act, Some(&supervisor), Some(fix.clone()))
                .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        assert_eq!(
            app.api(Method::POST, &act, Some(&reviewer), Some(fix))
                .await
                .status,
            StatusCode::OK
        );
        let verified = app
            .api(
                Method::POST,
                &act,
                Some(&supervisor),
                Some(json!({"action": {"type": "verify"}})),
            )
            .await;
        assert_eq!(verified.json(&b, "verified")["state"], "verified");
        let csv = app
            .api(
                Method::GET,
                "/api/v1/officer-findings/export.csv",
                Some(&supervisor),
                None,
            )
            .await;
        assert!(csv.text().contains("指南未写明需原件"), "{b}");
    }
}

#[tokio::test]
async fn the_rating_pages_rate_and_show_the_rectification() {
    for app in apps("web_rating_pages").await {
        let b = app.backend.clone();
        let id = completed(&app, app.state.today()).await;
        let applicant = app.login("applicant").await;
        // The case page offers the rating; the form page asks for it.
        let case = app
            .get_page(&format!("/cases/{id}"), Some(&applicant))
            .await
            .text();
        assert!(case.contains(&format!("/cases/{id}/rate")), "{b}");
        let form = app
            .get_page(&format!("/cases/{id}/rate"), Some(&applicant))
            .await;
        assert_eq!(form.status, StatusCode::OK, "{b}");
        assert!(form.text().contains("rating-form"));
        // A 差评 without a reason comes back with the error at its field.
        let csrf = pct(&applicant.csrf);
        let r = app
            .post_form(
                &format!("/cases/{id}/rate"),
                &applicant,
                &format!("csrf={csrf}&level=1&ind_efficiency=1&ind_guide_accuracy=1&ind_convenience=1&ind_usability=1"),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert!(r.text().contains("差评请至少选择一项原因"));
        let r = app
            .post_form(
                &format!("/cases/{id}/rate"),
                &applicant,
                &format!("csrf={csrf}&level=1&ind_efficiency=1&ind_guide_accuracy=1&ind_convenience=1&ind_usability=1&reason=R04"),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{b}: {}", r.text());
        let done = app
            .get_page(&format!("/cases/{id}/rate?done=bad"), Some(&applicant))
            .await
            .text();
        assert!(done.contains("1个工作日内回访"), "{b}");
        // The public page shows it without a name.
        let public = app.get_page("/satisfaction", None).await;
        assert_eq!(public.status, StatusCode::OK);
        let t = public.text();
        assert!(t.contains("服务态度不好") && !t.contains("张三"), "{b}");
    }
}
