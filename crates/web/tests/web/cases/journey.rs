//! The online journey from application through the one-time correction
//! notice to completion, and what the case pages show at each step.

use super::*;

#[tokio::test]
async fn online_application_through_one_time_notice_to_completion() {
    for app in apps("case_journey").await {
        let b = app.backend.clone();
        let cal = app.state.calendar();
        let today = app.state.today();
        let applicant = app.login("applicant").await;
        let clerk = app.login("clerk").await;
        let reviewer = app.login("reviewer").await;
        let head = app.login("head").await;
        let id = submitted(&app, &applicant).await;

        // The window may not accept with a required material missing.
        let r = cmd(&app, &clerk, id, json!({"type": "accept"})).await;
        assert_error(
            &b,
            "accept with a gap",
            &r,
            StatusCode::CONFLICT,
            "conflict",
        );
        assert!(
            r.text().contains("从业人员健康合格证明"),
            "{b}: names the gap: {}",
            r.text()
        );
        // A notice that forgets the missing material is refused: one notice lists everything.
        let r = cmd(
            &app,
            &clerk,
            id,
            json!({"type": "request_correction", "deficiencies": [{"material": 0, "problem": "defective", "note": "未签字"}]}),
        )
        .await;
        let v = assert_error(
            &b,
            "partial notice",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        assert_eq!(v["error"]["details"][0]["code"], "incomplete", "{b}: {v}");
        ok(
            &app,
            &clerk,
            id,
            json!({"type": "request_correction", "deficiencies": [
                {"material": 0, "problem": "defective", "note": "未签字"},
                {"material": 3, "problem": "missing", "note": ""}]}),
        )
        .await;
        let c = get_case(&app, &applicant, id).await;
        assert_eq!(c["case"]["state"], "correction", "{b}");
        let notice = c["documents"]
            .as_array()
            .and_then(|d| d.iter().find(|d| d["kind"] == "correction_notice"))
            .unwrap_or_else(|| panic!("{b}: no correction notice in {c}"))
            .clone();
        let listed: Vec<&str> = notice["body"]["materials"]
            .as_array()
            .expect("materials")
            .iter()
            .filter_map(|m| m["name"].as_str())
            .collect();
        assert_eq!(
            listed,
            vec!["公共场所卫生许可申请表", "从业人员健康合格证明"],
            "{b}"
        );
        assert!(
            notice["body"]["materials"][1]["standard"]
                .as_str()
                .is_some_and(|s| !s.is_empty()),
            "{b}: each line carries its 受理标准"
        );
        // The notice page prints on A4.
        let page = app
            .get_page(&format!("/documents/{}", notice["id"]), Some(&applicant))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{b}");
        assert!(
            page.text().contains("补正材料一次性告知书") && page.text().contains("doc-materials"),
            "{b}"
        );

        // Supplying with a listed material not re-uploaded is refused,
        // naming it; once each is supplied, it goes through.
        let r = upload(&app, &applicant, id, 3, PDF).await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}: {}", r.text());
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/cases/{id}/commands"),
                Some(&applicant),
                Some(json!({"command": {"type": "supply_correction"}})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{b}: {}",
            r.text()
        );
        assert!(
            r.text().contains("公共场所卫生许可申请表"),
            "{b}: {}",
            r.text()
        );
        let r = upload(&app, &applicant, id, 0, PDF).await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}: {}", r.text());
        ok(&app, &applicant, id, json!({"type": "supply_correction"})).await;
        ok(&app, &clerk, id, json!({"type": "accept"})).await;
        let c = get_case(&app, &applicant, id).await;
        assert_eq!(c["case"]["state"], "review", "{b}");
        assert_eq!(date(&c["clock"]["accepted_on"]), today, "{b}");
        assert_eq!(
            date(&c["clock"]["promised_due"]),
            cal.add_workdays(today, 10).expect("calendar"),
            "{b}: promised 10 working days"
        );
        assert_eq!(
            date(&c["clock"]["legal_due"]),
            cal.add_workdays(today, 20).expect("calendar"),
            "{b}: legal 20 working days"
        );
        let code = c["verify_code"].as_str().expect("code").to_string();
        let case_no = c["case"]["case_no"].as_str().expect("no").to_string();

        // Reviewer: 专家评审 stops the clock; resume; the head extends once.
        ok(&app, &reviewer, id, json!({"type": "suspend", "reason": {"kind": "special_procedure", "name": "专家评审"}, "note": "组织专家现场评审"})).await;
        assert_eq!(
            get_case(&app, &reviewer, id).await["case"]["state"],
            "suspended",
            "{b}"
        );
        let r = cmd(
            &app,
            &head,
            id,
            json!({"type": "decide", "approve": true, "reason": "x"}),
        )
        .await;
        assert_error(
            &b,
            "decide while suspended",
            &r,
            StatusCode::CONFLICT,
            "conflict",
        );
        ok(&app, &reviewer, id, json!({"type": "resume"})).await;
        let r = cmd(
            &app,
            &reviewer,
            id,
            json!({"type": "extend", "days": 10, "reason": "需补充检测"}),
        )
        .await;
        assert_error(
            &b,
            "reviewer extends",
            &r,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        let r = cmd(
            &app,
            &head,
            id,
            json!({"type": "extend", "days": 11, "reason": "需补充检测"}),
        )
        .await;
        assert_error(
            &b,
            "11 days",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        ok(
            &app,
            &head,
            id,
            json!({"type": "extend", "days": 10, "reason": "需补充检测"}),
        )
        .await;
        let r = cmd(
            &app,
            &head,
            id,
            json!({"type": "extend", "days": 2, "reason": "再延"}),
        )
        .await;
        assert_error(&b, "extend twice", &r, StatusCode::CONFLICT, "conflict");
        if cal.add_workdays(today, 30).is_err() {
            // The deadline reaches into a year whose notice is not entered yet:
            // the case moves on, and its page says the date cannot be known yet.
            let c = get_case(&app, &applicant, id).await;
            assert!(
                c["clock"]["error"]
                    .as_str()
                    .is_some_and(|e| e.contains("尚未录入")),
                "{b}: {}",
                c["clock"]
            );
            app.enter_next_year().await;
        }
        let cal = app.state.calendar();
        let c = get_case(&app, &applicant, id).await;
        assert_eq!(
            date(&c["clock"]["legal_due"]),
            cal.add_workdays(today, 30).expect("calendar"),
            "{b}: legal 20 + 10 extension (suspension today counts 0 days)"
        );
        assert_eq!(
            date(&c["clock"]["promised_due"]),
            cal.add_workdays(today, 20).expect("calendar"),
            "{b}: the promise moves with the extension"
        );
        let explanation = c["clock"]["explanation"].to_string();
        assert!(
            explanation.contains("专家评审") && explanation.contains("延长10个工作日"),
            "{b}: {explanation}"
        );

        ok(
            &app,
            &reviewer,
            id,
            json!({"type": "complete_review", "agree": true, "opinion": "符合卫生要求"}),
        )
        .await;
        ok(
            &app,
            &head,
            id,
            json!({"type": "decide", "approve": true, "reason": "经审查符合法定条件"}),
        )
        .await;
        let c = get_case(&app, &applicant, id).await;
        assert_eq!(c["case"]["state"], "certifying", "{b}");
        assert_eq!(
            date(&c["clock"]["certificate_due"]),
            cal.add_workdays(today, 10).expect("calendar"),
            "{b}: certificate within 10 working days of the decision"
        );
        ok(&app, &reviewer, id, json!({"type": "issue"})).await;
        ok(
            &app,
            &clerk,
            id,
            json!({"type": "deliver", "method": "窗口领取"}),
        )
        .await;
        let c = get_case(&app, &applicant, id).await;
        assert_eq!(c["case"]["state"], "completed", "{b}");
        let kinds: Vec<&str> = c["documents"]
            .as_array()
            .expect("documents")
            .iter()
            .filter_map(|d| d["kind"].as_str())
            .collect();
        assert_eq!(
            kinds,
            vec![
                "correction_notice",
                "receipt",
                "special_procedure_notice",
                "extension_notice",
                "approval_decision"
            ],
            "{b}"
        );

        // Public lookup: number + code, no personal data; a wrong code is refused.
        let r = app
            .api(
                Method::POST,
                "/api/v1/progress",
                None,
                Some(json!({"case_no": case_no, "code": code})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: {}", r.text());
        let text = r.text();
        assert!(
            text.contains("completed") && text.contains(&today.to_string()),
            "{b}: {text}"
        );
        assert!(
            !text.contains("张三")
                && !text.contains("330102199003070027")
                && !text.contains("13800000000"),
            "{b}: no personal data: {text}"
        );
        let r = app
            .api(
                Method::POST,
                "/api/v1/progress",
                None,
                Some(json!({"case_no": case_no, "code": "AAAAAAAA"})),
            )
            .await;
        assert_error(&b, "wrong code", &r, StatusCode::NOT_FOUND, "not_found");

        // Every step is in the hash chain; the applicant was told by notice and e-mail.
        match app.store().verify_trail().await.expect("verify") {
            tongban_store::trail::TrailCheck::Intact { entries } => {
                assert!(entries >= 15, "{b}: {entries}")
            }
            other => panic!("{b}: {other:?}"),
        }
        let trail = app.store().trail(100).await.expect("trail");
        for action in [
            "case.accept",
            "case.request_correction",
            "case.suspend",
            "case.extend",
            "case.decide",
            "case.deliver",
        ] {
            assert!(
                trail.iter().any(|e| e.action == action),
                "{b}: {action} in the trail"
            );
        }
        let notes = app
            .api(Method::GET, "/api/v1/notifications", Some(&applicant), None)
            .await
            .json(&b, "notes");
        assert!(
            notes["notifications"]
                .as_array()
                .is_some_and(|n| n.len() >= 8),
            "{b}: {notes}"
        );
        let mail = app.store().outbox(200).await.expect("outbox");
        assert!(
            mail.iter()
                .any(|m| m.to_addr == "applicant@demo.tongban.test" && m.subject.contains("受理")),
            "{b}"
        );
    }
}

#[tokio::test]
async fn case_pages_show_the_checklist_and_only_allowed_actions() {
    for app in apps("case_pages").await {
        let b = app.backend.clone();
        let applicant = app.login("applicant").await;
        let clerk = app.login("clerk").await;
        let reviewer = app.login("reviewer").await;
        let id = submitted(&app, &applicant).await;
        let page = app.get_page(&format!("/cases/{id}"), Some(&clerk)).await;
        assert_eq!(page.status, StatusCode::OK, "{b}");
        let t = page.text();
        assert!(
            t.contains("id=\"issue-correction\"") && t.contains("id=\"accept\""),
            "{b}: intake actions"
        );
        assert!(
            t.contains("原件") || t.contains("受理标准"),
            "{b}: the standards are on the checklist"
        );
        assert!(
            t.contains("id=\"intake-due\""),
            "{b}: the 5-day intake date"
        );
        let page = app
            .get_page(&format!("/cases/{id}"), Some(&applicant))
            .await
            .text();
        assert!(
            !page.contains("id=\"accept\"") && page.contains("id=\"withdraw\""),
            "{b}: the applicant cannot accept"
        );
        let page = app.get_page(&format!("/cases/{id}"), Some(&reviewer)).await;
        assert_eq!(
            page.status,
            StatusCode::NOT_FOUND,
            "{b}: not yet the department's"
        );
        // The form post carries the CSRF token; a post without it is refused.
        let r = app
            .post_form(&format!("/cases/{id}/act"), &clerk, "action=accept")
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{b}");
        let r = app
            .post_form(
                &format!("/cases/{id}/act"),
                &clerk,
                &format!("csrf={}&action=accept", clerk.csrf),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CONFLICT,
            "{b}: a gap: the error is shown on the page"
        );
        assert!(r.text().contains("error-summary"), "{b}");
        // Work lists: the clerk's intake queue shows the case with a masked name.
        let work = app.get_page("/work", Some(&clerk)).await.text();
        assert!(
            work.contains("张*") && !work.contains("张三"),
            "{b}: masked"
        );
        // Public lookup page without login.
        let c = get_case(&app, &applicant, id).await;
        let form = format!(
            "case_no={}&code={}",
            c["case"]["case_no"].as_str().expect("no"),
            c["verify_code"].as_str().expect("code")
        );
        let req = Request::builder()
            .method(Method::POST)
            .uri("/progress")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form))
            .expect("req");
        let r = app.send(req).await;
        assert_eq!(r.status, StatusCode::OK, "{b}");
        assert!(
            r.text().contains("public-state") && !r.text().contains("张三"),
            "{b}"
        );
    }
}
