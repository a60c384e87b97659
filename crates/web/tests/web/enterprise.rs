//! 靠前服务 through the API and the pages: who may do what at every new
//! endpoint (404 for what one may not see, 403 for what one sees but may
//! not do), bad input refused by field, a concierge acting only under the
//! enterprise's authorization and every act naming both.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::*;

/// 建筑工程施工许可证核发 (住建局).
const BUILD: &str = "11339901MB000001254011201001000";

fn new_project(code: &str, owner: &str) -> Value {
    json!({
        "code": code, "name": "示范物流园", "owner": owner, "division": "339901",
        "kind": "social", "low_risk": true, "land_area": 9000, "floor_area": 4000,
        "investment": 2500, "planned_start": "2027-03-01", "planned_finish": "2027-12-31"
    })
}

async fn grant(app: &App, who: &Login, query: &str, body: &[u8]) -> Resp {
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("/api/v1/mandates?{query}"))
        .header(header::COOKIE, who.cookie.as_str())
        .header("x-csrf-token", who.csrf.as_str())
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(body.to_vec()))
        .expect("request");
    app.send(req).await
}

#[tokio::test]
async fn every_enterprise_endpoint_checks_role_assignment_and_authorization() {
    for app in apps("enterprise_api").await {
        let b = app.backend.clone();
        let ent = app.login("enterprise").await;
        let ent2 = app.login("enterprise2").await;
        let concierge = app.login("concierge").await;
        let sup = app.login("supervisor").await;
        let citizen = app.login("applicant").await;
        let officer = app.login("officer").await;
        let wj = app.login("reviewer").await;
        let zj = app.login("reviewer_zj").await;
        let today = app.state.today();
        // A citizen is no enterprise; an officer has no project work.
        let r = app
            .api(
                Method::POST,
                "/api/v1/projects",
                Some(&citizen),
                Some(new_project("2611-339901-04-03-53127K", "")),
            )
            .await;
        assert_error(
            &b,
            "citizen registers",
            &r,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        let r = app
            .api(Method::GET, "/api/v1/projects", Some(&officer), None)
            .await;
        assert_error(&b, "officer lists", &r, StatusCode::FORBIDDEN, "forbidden");
        let r = app.api(Method::GET, "/api/v1/projects", None, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{b}");
        // Bad input: every field named at once, nothing recorded.
        let mut bad = new_project("2613-339901-04-03-53127K", "");
        bad["kind"] = json!("other");
        bad["planned_finish"] = json!("2026-01-01");
        let r = app
            .api(Method::POST, "/api/v1/projects", Some(&ent), Some(bad))
            .await;
        let v = assert_error(
            &b,
            "bad project",
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
        assert_eq!(fields, vec!["code", "kind", "planned_finish"], "{b}: {v}");
        let r = app
            .api(
                Method::POST,
                "/api/v1/projects",
                Some(&ent),
                Some(new_project("2611-339901-04-03-53127K", "")),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}: {}", r.text());
        let p = r.json(&b, "project")["id"].as_i64().expect("id");
        // Only the owner, its concierge and the supervisor see it.
        for (who, status) in [
            (&ent, StatusCode::OK),
            (&sup, StatusCode::OK),
            (&ent2, StatusCode::NOT_FOUND),
            (&concierge, StatusCode::NOT_FOUND),
        ] {
            let r = app
                .api(
                    Method::GET,
                    &format!("/api/v1/projects/{p}"),
                    Some(who),
                    None,
                )
                .await;
            assert_eq!(
                r.status,
                status,
                "{b}: {} sees project: {}",
                who.username,
                r.text()
            );
        }
        // The green channel and the concierge are the supervisor's.
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/projects/{p}/key"),
                Some(&ent),
                Some(json!({"key": true})),
            )
            .await;
        assert_error(
            &b,
            "owner marks key",
            &r,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/projects/{p}/key"),
                Some(&sup),
                Some(json!({"key": true})),
            )
            .await;
        assert_eq!(r.json(&b, "key")["key_project"], json!(true), "{b}");
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/projects/{p}/concierge"),
                Some(&sup),
                Some(json!({"concierge": "concierge"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: {}", r.text());
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/projects/{p}"),
                Some(&concierge),
                None,
            )
            .await;
        let view = r.json(&b, "view");
        assert_eq!(
            view["stages"].as_array().map(|s| s.len()),
            Some(5),
            "{b}: the demo's four stages and the parallel items"
        );
        // Authorizations: the enterprise's to give, with the letter.
        let q = format!(
            "concierge=concierge&scope_all=false&items={BUILD}&valid_from={today}&valid_to={}&name=letter.pdf",
            today + chrono::Duration::days(30)
        );
        let r = grant(&app, &concierge, &q, b"%PDF-1.4 x").await;
        assert_error(
            &b,
            "concierge grants",
            &r,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        let r = grant(&app, &ent, &q, b"not a pdf").await;
        assert_error(
            &b,
            "not a letter",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        let r = grant(&app, &ent, &q, b"%PDF-1.4 x").await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}: {}", r.text());
        let m = r.json(&b, "mandate")["id"].as_i64().expect("id");
        let r = app
            .api(Method::GET, "/api/v1/mandates", Some(&concierge), None)
            .await;
        assert_eq!(r.json(&b, "list")["mandates"][0]["id"], json!(m), "{b}");
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/mandates/{m}/revoke"),
                Some(&concierge),
                None,
            )
            .await;
        assert_error(
            &b,
            "concierge revokes",
            &r,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/mandates/{m}/revoke"),
                Some(&ent2),
                None,
            )
            .await;
        assert_error(
            &b,
            "another enterprise revokes",
            &r,
            StatusCode::NOT_FOUND,
            "not_found",
        );
        // Under it, the concierge raises a ticket naming both.
        let t = json!({"project_id": p, "title": "施工图审查", "problem": "是否免于施工图审查？", "items": [BUILD]});
        let r = app
            .api(
                Method::POST,
                "/api/v1/tickets",
                Some(&concierge),
                Some(t.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}: {}", r.text());
        let ticket = r.json(&b, "ticket");
        let id = ticket["id"].as_i64().expect("id");
        assert_eq!(
            ticket["raised_as"],
            json!("钱专员（帮办代办） 代 示范城建投资集团有限公司"),
            "{b}"
        );
        // Another department's reviewer does not see it; 住建局's answers.
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/tickets/{id}"),
                Some(&wj),
                None,
            )
            .await;
        assert_error(
            &b,
            "other department",
            &r,
            StatusCode::NOT_FOUND,
            "not_found",
        );
        let act = |action: &str, note: &str, version: i64| json!({"action": action, "note": note, "version": version});
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/tickets/{id}/actions"),
                Some(&zj),
                Some(act("shout", "", 1)),
            )
            .await;
        assert_error(
            &b,
            "unknown action",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/tickets/{id}/actions"),
                Some(&ent),
                Some(act("answer", "x", 1)),
            )
            .await;
        assert_error(&b, "owner answers", &r, StatusCode::FORBIDDEN, "forbidden");
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/tickets/{id}/actions"),
                Some(&zj),
                Some(act("answer", "适用告知承诺，无需送审", 1)),
            )
            .await;
        assert_eq!(r.json(&b, "answered")["state"], json!("answered"), "{b}");
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/tickets/{id}/actions"),
                Some(&ent),
                Some(act("resolve", "", 1)),
            )
            .await;
        assert_error(&b, "stale version", &r, StatusCode::CONFLICT, "conflict");
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/tickets/{id}/actions"),
                Some(&ent),
                Some(act("resolve", "", 2)),
            )
            .await;
        assert_eq!(r.json(&b, "resolved")["state"], json!("resolved"), "{b}");
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/tickets/{id}/rating"),
                Some(&ent),
                Some(json!({"level": 9})),
            )
            .await;
        assert_error(
            &b,
            "bad level",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/tickets/{id}/rating"),
                Some(&ent),
                Some(json!({"level": 5, "comment": "快"})),
            )
            .await;
        assert_eq!(r.json(&b, "rated")["rating"], json!(5), "{b}");
        // Revoked: the concierge is refused with the reason.
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/mandates/{m}/revoke"),
                Some(&ent),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: {}", r.text());
        let r = app
            .api(Method::POST, "/api/v1/tickets", Some(&concierge), Some(t))
            .await;
        let v = assert_error(
            &b,
            "revoked",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("撤销")),
            "{b}: {v}"
        );
        // Visits: the project's concierge only.
        let visit =
            json!({"visited_on": today.to_string(), "participants": "钱专员", "topics": "进度"});
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/projects/{p}/visits"),
                Some(&ent),
                Some(visit.clone()),
            )
            .await;
        assert_error(&b, "owner visits", &r, StatusCode::FORBIDDEN, "forbidden");
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/projects/{p}/visits"),
                Some(&concierge),
                Some(visit),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}: {}", r.text());
        // Assigning an enterprise its concierge is a supervisor's.
        let pair = json!({"enterprise": "enterprise2", "concierge": "concierge"});
        let r = app
            .api(
                Method::POST,
                "/api/v1/enterprise-concierges",
                Some(&ent),
                Some(pair.clone()),
            )
            .await;
        assert_error(
            &b,
            "enterprise assigns",
            &r,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        let r = app
            .api(
                Method::POST,
                "/api/v1/enterprise-concierges",
                Some(&sup),
                Some(json!({"enterprise": "applicant", "concierge": "concierge"})),
            )
            .await;
        assert_error(
            &b,
            "a citizen is no enterprise",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        let r = app
            .api(
                Method::POST,
                "/api/v1/enterprise-concierges",
                Some(&sup),
                Some(pair),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{b}: {}", r.text());
        // The stages are the catalogue admin's to set; supervisors read them.
        let catalog = app.login("catalog").await;
        let r = app
            .api(
                Method::GET,
                "/api/v1/admin/project-stages/low_risk",
                Some(&catalog),
                None,
            )
            .await;
        let stages = r.json(&b, "stages")["stages"].as_array().map(|s| s.len());
        assert_eq!(stages, Some(5), "{b}");
        let r = app
            .api(
                Method::GET,
                "/api/v1/admin/project-stages/low_risk",
                Some(&ent),
                None,
            )
            .await;
        assert_error(
            &b,
            "enterprise reads stages",
            &r,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        let r = app
            .api(
                Method::GET,
                "/api/v1/admin/project-stages/other",
                Some(&sup),
                None,
            )
            .await;
        assert_error(&b, "unknown kind", &r, StatusCode::NOT_FOUND, "not_found");
        let stage =
            json!({"stage": 3, "lead_department_id": 1, "target_days": 4, "items": [BUILD, BUILD]});
        let r = app
            .api(
                Method::PUT,
                "/api/v1/admin/project-stages/low_risk",
                Some(&sup),
                Some(stage.clone()),
            )
            .await;
        assert_error(
            &b,
            "supervisor sets stages",
            &r,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        let r = app
            .api(
                Method::PUT,
                "/api/v1/admin/project-stages/low_risk",
                Some(&catalog),
                Some(stage),
            )
            .await;
        let v = assert_error(
            &b,
            "an item twice",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        assert!(v.to_string().contains("items[1]"), "{b}: {v}");
        // Commitment checks: the departments', the parties' and supervisors' to read.
        let clerk = app.login("clerk").await;
        for (who, status) in [
            (&clerk, StatusCode::FORBIDDEN),
            (&officer, StatusCode::FORBIDDEN),
            (&zj, StatusCode::OK),
            (&ent, StatusCode::OK),
        ] {
            let r = app
                .api(Method::GET, "/api/v1/commitments", Some(who), None)
                .await;
            assert_eq!(r.status, status, "{b}: {} lists commitments", who.username);
        }
        let r = app
            .api(
                Method::POST,
                "/api/v1/commitments/999/verify",
                Some(&zj),
                Some(json!({"passed": true})),
            )
            .await;
        assert_error(
            &b,
            "unknown commitment",
            &r,
            StatusCode::NOT_FOUND,
            "not_found",
        );
        // The pages: each role opens its own, another enterprise's project is 404.
        for (who, uri, status) in [
            (&ent, format!("/projects/{p}"), StatusCode::OK),
            (&ent2, format!("/projects/{p}"), StatusCode::NOT_FOUND),
            (&ent, format!("/tickets/{id}"), StatusCode::OK),
            (&zj, "/tickets".to_string(), StatusCode::OK),
            (&officer, "/tickets".to_string(), StatusCode::FORBIDDEN),
            (&ent, "/mandates".to_string(), StatusCode::OK),
            (&ent, format!("/mandates/{m}/letter"), StatusCode::OK),
            (
                &ent2,
                format!("/mandates/{m}/letter"),
                StatusCode::NOT_FOUND,
            ),
        ] {
            let r = app.get_page(&uri, Some(who)).await;
            assert_eq!(r.status, status, "{b}: {} opens {uri}", who.username);
        }
        let page = app
            .get_page(&format!("/projects/{p}"), Some(&sup))
            .await
            .text();
        assert!(page.contains("重点项目") && page.contains("第1阶段"), "{b}");
        // A page form with bad input: the error summary and 422.
        let r = app
            .post_form(
                "/projects",
                &ent,
                &format!(
                    "csrf={}&code=12&name=&division=339901&kind=social",
                    pct(&ent.csrf)
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert!(r.text().contains("error-summary"), "{b}");
    }
}

#[tokio::test]
async fn a_stage_application_is_the_owner_s_or_its_authorized_concierge_s() {
    for app in apps("enterprise_stage_api").await {
        let b = app.backend.clone();
        let ent = app.login("enterprise").await;
        let ent2 = app.login("enterprise2").await;
        let concierge = app.login("concierge").await;
        let sup = app.login("supervisor").await;
        let today = app.state.today();
        let r = app
            .api(
                Method::POST,
                "/api/v1/projects",
                Some(&ent),
                Some(new_project("2611-339901-04-03-53127K", "")),
            )
            .await;
        let p = r.json(&b, "project")["id"].as_i64().expect("id");
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/projects/{p}/concierge"),
                Some(&sup),
                Some(json!({"concierge": "concierge"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: {}", r.text());
        // An authorization for 施工许可 only does not cover stage 1.
        let q = format!(
            "concierge=concierge&scope_all=false&items={BUILD}&valid_from={today}&valid_to={}&name=letter.pdf",
            today + chrono::Duration::days(30)
        );
        let r = grant(&app, &ent, &q, b"%PDF-1.4 x").await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}: {}", r.text());
        let apply = |stage: i64| format!("/api/v1/projects/{p}/stages/{stage}/application");
        for (who, status, code) in [
            (&ent2, StatusCode::NOT_FOUND, "not_found"),
            (&sup, StatusCode::FORBIDDEN, "forbidden"),
            (
                &concierge,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_input",
            ),
        ] {
            let r = app.api(Method::POST, &apply(1), Some(who), None).await;
            assert_error(&b, &who.username, &r, status, code);
        }
        let r = app.api(Method::POST, &apply(9), Some(&ent), None).await;
        assert_error(
            &b,
            "no form for the parallel items",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        assert!(r.text().contains("阶段申请表"), "{b}: {}", r.text());
        let r = app.api(Method::POST, &apply(1), Some(&ent), None).await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}: {}", r.text());
        let bid = r.json(&b, "application")["bundle_case_id"]
            .as_i64()
            .expect("id");
        let r = app.api(Method::POST, &apply(1), Some(&ent), None).await;
        assert_eq!(
            r.json(&b, "again")["bundle_case_id"],
            json!(bid),
            "{b}: the same draft"
        );
        // The draft opens to its maker (and the enterprise it is for) only.
        for (who, status) in [
            (&ent, StatusCode::OK),
            (&ent2, StatusCode::NOT_FOUND),
            (&concierge, StatusCode::NOT_FOUND),
            (&sup, StatusCode::NOT_FOUND),
        ] {
            let r = app
                .api(
                    Method::GET,
                    &format!("/api/v1/bundle-cases/{bid}"),
                    Some(who),
                    None,
                )
                .await;
            assert_eq!(r.status, status, "{b}: {}: {}", who.username, r.text());
        }
        let view = |who| {
            let app = &app;
            async move {
                app.api(
                    Method::GET,
                    &format!("/api/v1/projects/{p}"),
                    Some(who),
                    None,
                )
                .await
            }
        };
        let mine = view(&ent).await.json(&b, "view");
        assert_eq!(
            mine["stages"][0]["applications"][0]["bundle_case_id"],
            json!(bid),
            "{b}"
        );
        // Others see that the stage is being applied for, not its content.
        let theirs = view(&concierge).await.json(&b, "view");
        assert_eq!(
            theirs["stages"][0]["applications"][0]["submitted"],
            json!(false),
            "{b}"
        );
        let r = app
            .api(Method::POST, &apply(1), Some(&concierge), None)
            .await;
        assert_error(
            &b,
            "the concierge, authorized for 施工许可 only",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
    }
}

#[tokio::test]
async fn a_joint_inspection_is_scheduled_by_the_completion_stage_s_lead_department_only() {
    for app in apps("enterprise_inspection_api").await {
        let b = app.backend.clone();
        let ent = app.login("enterprise").await;
        let ent2 = app.login("enterprise2").await;
        let fg = app.login("reviewer_fg").await;
        let zj = app.login("reviewer_zj").await;
        let r = app
            .api(
                Method::POST,
                "/api/v1/projects",
                Some(&ent),
                Some(new_project("2611-339901-04-03-53127K", "")),
            )
            .await;
        let p = r.json(&b, "project")["id"].as_i64().expect("id");
        let uri = format!("/api/v1/projects/{p}/inspections");
        let day = (app.state.today() + chrono::Duration::days(7)).to_string();
        let good = json!({"inspect_on": day, "inspect_at": "09:30", "place": "项目现场"});
        for (who, status, code, body) in [
            (&ent2, StatusCode::NOT_FOUND, "not_found", good.clone()),
            (&ent, StatusCode::FORBIDDEN, "forbidden", good.clone()),
            (&fg, StatusCode::FORBIDDEN, "forbidden", good.clone()),
            (
                &zj,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_input",
                json!({"inspect_on": "2020-01-01", "inspect_at": "9", "place": ""}),
            ),
            (&zj, StatusCode::CONFLICT, "conflict", good.clone()),
        ] {
            let r = app.api(Method::POST, &uri, Some(who), Some(body)).await;
            assert_error(&b, &who.username, &r, status, code);
        }
        let r = app
            .api(
                Method::POST,
                "/api/v1/inspections/999999/findings",
                Some(&zj),
                Some(json!({"passed": true})),
            )
            .await;
        assert_error(&b, "no such", &r, StatusCode::NOT_FOUND, "not_found");
        let r = app
            .api(
                Method::POST,
                "/api/v1/inspections/999999/findings",
                Some(&ent),
                Some(json!({"passed": true})),
            )
            .await;
        assert_error(&b, "enterprise", &r, StatusCode::FORBIDDEN, "forbidden");
        let view = app
            .api(
                Method::GET,
                &format!("/api/v1/projects/{p}"),
                Some(&ent),
                None,
            )
            .await
            .json(&b, "view");
        assert_eq!(view["inspections"], json!([]), "{b}");
    }
}
