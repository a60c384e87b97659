//! Appeals against a 差评 through the API and the pages: evidence first,
//! decided only by a supervisor over the case's centre (a supervisor of
//! another centre does not even see it), kept from the applicant, and the
//! applicant's way from their rating to the rectification.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn an_appeal_needs_evidence_is_decided_by_the_centre_s_supervisor_and_kept_from_the_applicant()
 {
    for app in apps("web_appeals").await {
        let b = app.backend.clone();
        let store = app.store();
        let today = app.state.today();
        let id = crate::ratings::completed(&app, today).await;
        let applicant = app.login("applicant").await;
        let head_yb = app.login("head_yb").await;
        let reviewer = app.login("reviewer").await;
        let supervisor = app.login("supervisor").await;
        // A supervisor of a district centre below this one.
        let root = store.centres().await.expect("centres")[0].clone();
        let child = store
            .create_centre(
                &tongban_domain::codes::DivisionCode::parse("339902").expect("code"),
                "下级中心",
                Some(root.id),
            )
            .await
            .expect("child centre");
        store
            .create_user(tongban_store::accounts::NewUser {
                username: "sup_child",
                display_name: "下级督查员",
                password: PASSWORD,
                role: tongban_domain::auth::Role::Supervisor,
                centre_id: child.id,
                department_id: None,
                id_number: None,
                phone: "",
            })
            .await
            .expect("user");
        let sup_child = app.login("sup_child").await;

        let bad = json!({
            "channel": "online", "level": 1,
            "indicators": {"efficiency": 1, "guide_accuracy": 1, "convenience": 1, "usability": 1},
            "reasons": ["R01"], "comment": "请回电13800000000",
        });
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/cases/{id}/ratings"),
                Some(&applicant),
                Some(bad),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}: {}", r.text());
        let list = app
            .api(Method::GET, "/api/v1/rectifications", Some(&head_yb), None)
            .await
            .json(&b, "list");
        let rid = list["rectifications"][0]["id"].as_i64().expect("rid");
        let one = format!("/api/v1/rectifications/{rid}");
        let act = format!("{one}/actions");

        // The supervisor reads it with the comment's number masked, as on the page.
        let v = app
            .api(Method::GET, &one, Some(&supervisor), None)
            .await
            .json(&b, "supervisor's view");
        let comment = v["rating"]["comment"].as_str().unwrap_or_default();
        assert!(
            comment.starts_with("请回电") && !comment.contains("13800000000"),
            "{b}: {comment}"
        );
        // Another centre's supervisor and another department see nothing.
        for who in [&sup_child, &reviewer] {
            assert_error(
                &b,
                "not theirs",
                &app.api(Method::GET, &one, Some(who), None).await,
                StatusCode::NOT_FOUND,
                "not_found",
            );
        }

        // An appeal without evidence is refused, by field; nothing changes.
        let appeal = json!({"action": {"type": "appeal", "ground": "mistaken", "statement": "申请人来电说明误选"}});
        let v = assert_error(
            &b,
            "no evidence",
            &app.api(Method::POST, &act, Some(&head_yb), Some(appeal.clone()))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        assert!(v.to_string().contains("evidence_required"), "{b}: {v}");
        let req = Request::builder()
            .method(Method::PUT)
            .uri(format!(
                "{one}/files?name=%E5%BD%95%E9%9F%B3.pdf&appeal=true"
            ))
            .header(header::COOKIE, head_yb.cookie.as_str())
            .header("x-csrf-token", head_yb.csrf.as_str())
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .body(Body::from(b"%PDF-1.4 recording".to_vec()))
            .expect("request");
        let r = app.send(req).await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}: {}", r.text());
        let file_id = r.json(&b, "file")["files"][0]["id"]
            .as_i64()
            .expect("file id");
        let r = app
            .api(Method::POST, &act, Some(&head_yb), Some(appeal))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: {}", r.text());
        assert_eq!(r.json(&b, "appealed")["state"], "appealed");

        // The applicant follows the rectification but not the appeal.
        let v = app
            .api(Method::GET, &one, Some(&applicant), None)
            .await
            .json(&b, "applicant's view");
        assert_eq!(v["appeals"], json!([]), "{b}");
        assert_eq!(v["files"], json!([]), "{b}");
        let file = format!("/rectification-files/{file_id}");
        assert_eq!(
            app.get_page(&file, Some(&applicant)).await.status,
            StatusCode::NOT_FOUND,
            "{b}"
        );
        assert_eq!(
            app.get_page(&file, Some(&sup_child)).await.status,
            StatusCode::NOT_FOUND,
            "{b}"
        );
        assert_eq!(
            app.get_page(&file, Some(&supervisor)).await.status,
            StatusCode::OK,
            "{b}"
        );
        let page = app
            .get_page(&format!("/cases/{id}/rate"), Some(&applicant))
            .await;
        assert!(
            page.text().contains(&format!("/rectifications/{rid}")),
            "{b}: the rating page links the rectification"
        );

        // Deciding: not the owner, not another centre's supervisor; the
        // page asks for the decision rather than assume one.
        let decide =
            json!({"action": {"type": "decide_appeal", "upheld": true, "reason": "录音证实误选"}});
        assert_error(
            &b,
            "owner decides",
            &app.api(Method::POST, &act, Some(&head_yb), Some(decide.clone()))
                .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        assert_error(
            &b,
            "other centre decides",
            &app.api(Method::POST, &act, Some(&sup_child), Some(decide.clone()))
                .await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
        let r = app
            .post_form(
                &format!("/rectifications/{rid}"),
                &supervisor,
                &format!(
                    "csrf={}&action=decide_appeal&decision={}",
                    supervisor.csrf,
                    pct("理由")
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert!(
            r.text().contains("#f-upheld"),
            "{b}: the summary links the choice"
        );
        let r = app
            .api(Method::POST, &act, Some(&supervisor), Some(decide))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: {}", r.text());
        let v = r.json(&b, "decided");
        assert_eq!(v["state"], "excluded", "{b}: {v}");
        assert_eq!(v["rating"]["excluded"], true, "{b}: kept, not counted");
    }
}
