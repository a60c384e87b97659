//! Cases over the API and pages, on every backend: the online journey with a
//! one-time correction notice, the clock at each step, refusals of wrong
//! roles and departments, concurrent actions, uploads, sweeps, mail and the
//! 首问负责 log.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::NaiveDate;
use common::*;
use serde_json::{Value, json};
use tongban_domain::auth::Role;
use tongban_store::accounts::NewUser;

/// 公共场所卫生许可（新证）, 卫健局: four required materials, legal 20 / promised 10 working days.
const ITEM: &str = "11339901MB000000114010103001000";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

fn form() -> Value {
    json!({"venue_name": "示范宾馆", "venue_address": "示范区一路1号", "area": "320", "venue_type": "住宿场所"})
}

async fn create(app: &App, who: &Login) -> i64 {
    let r = app
        .api(
            Method::POST,
            "/api/v1/cases",
            Some(who),
            Some(json!({"item": ITEM, "form": form()})),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}: create: {}",
        app.backend,
        r.text()
    );
    r.json(&app.backend, "create")["case"]["id"]
        .as_i64()
        .expect("case id")
}

async fn upload(app: &App, who: &Login, id: i64, idx: usize, bytes: &[u8]) -> common::Resp {
    let req = Request::builder()
        .method(Method::PUT)
        .uri(format!(
            "/api/v1/cases/{id}/materials/{idx}/files?name=m{idx}.pdf"
        ))
        .header(header::COOKIE, who.cookie.as_str())
        .header("x-csrf-token", who.csrf.as_str())
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(bytes.to_vec()))
        .expect("request");
    app.send(req).await
}

async fn cmd(app: &App, who: &Login, id: i64, command: Value) -> common::Resp {
    app.api(
        Method::POST,
        &format!("/api/v1/cases/{id}/commands"),
        Some(who),
        Some(json!({ "command": command })),
    )
    .await
}

async fn ok(app: &App, who: &Login, id: i64, command: Value) -> Value {
    let r = cmd(app, who, id, command.clone()).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}: {} by {}: {}",
        app.backend,
        command,
        who.username,
        r.text()
    );
    r.json(&app.backend, "command")
}

async fn get_case(app: &App, who: &Login, id: i64) -> Value {
    let r = app
        .api(Method::GET, &format!("/api/v1/cases/{id}"), Some(who), None)
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}: get case: {}",
        app.backend,
        r.text()
    );
    r.json(&app.backend, "case")
}

fn date(v: &Value) -> NaiveDate {
    NaiveDate::parse_from_str(v.as_str().unwrap_or_default(), "%Y-%m-%d")
        .unwrap_or_else(|_| panic!("not a date: {v}"))
}

/// A submitted application with the first three of four materials.
async fn submitted(app: &App, applicant: &Login) -> i64 {
    let id = create(app, applicant).await;
    for idx in 0..3 {
        let r = upload(app, applicant, id, idx, PDF).await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{}: upload: {}",
            app.backend,
            r.text()
        );
    }
    ok(app, applicant, id, json!({"type": "submit"})).await;
    id
}

/// An accepted case (under review by 卫健局).
async fn accepted(app: &App, applicant: &Login, clerk: &Login) -> i64 {
    let id = submitted(app, applicant).await;
    let r = upload(app, clerk, id, 3, PDF).await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}: clerk uploads: {}",
        app.backend,
        r.text()
    );
    ok(app, clerk, id, json!({"type": "accept"})).await;
    id
}

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

        // The applicant supplies; the clerk accepts; the clock starts today.
        let r = upload(&app, &applicant, id, 3, PDF).await;
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

/// A command, the case it is tried on, and who must be refused with what status.
type Refusals<'a> = (Value, i64, Vec<(&'a Login, StatusCode)>);

/// Another department's reviewer and head, to try acting outside one's department.
async fn outsiders(app: &App) -> (Login, Login) {
    let store = app.store();
    let centre = store.centres().await.expect("centres")[0].id;
    let other = store
        .departments()
        .await
        .expect("departments")
        .into_iter()
        .find(|d| d.short_name == "公安分局")
        .expect("公安分局")
        .id;
    for (name, role) in [("rev_police", Role::Reviewer), ("head_police", Role::Head)] {
        store
            .create_user(NewUser {
                username: name,
                display_name: name,
                password: PASSWORD,
                role,
                centre_id: centre,
                department_id: Some(other),
                id_number: None,
                phone: "",
            })
            .await
            .expect("user");
    }
    (
        app.login("rev_police").await,
        app.login("head_police").await,
    )
}

#[tokio::test]
async fn every_command_refuses_the_wrong_role_and_the_wrong_department() {
    for app in apps("case_roles").await {
        let b = app.backend.clone();
        let applicant = app.login("applicant").await;
        let clerk = app.login("clerk").await;
        let reviewer = app.login("reviewer").await;
        let head = app.login("head").await;
        let supervisor = app.login("supervisor").await;
        let catalog = app.login("catalog").await;
        let (rev_police, head_police) = outsiders(&app).await;
        // A second applicant who does not own the case.
        let store = app.store();
        let centre = store.centres().await.expect("centres")[0].id;
        store
            .create_user(NewUser {
                username: "other_applicant",
                display_name: "李四",
                password: PASSWORD,
                role: Role::Applicant,
                centre_id: centre,
                department_id: None,
                id_number: None,
                phone: "",
            })
            .await
            .expect("user");
        let stranger = app.login("other_applicant").await;

        // Only applicants (online) and window clerks (for someone) start applications.
        for who in [&reviewer, &head, &supervisor, &catalog] {
            let r = app
                .api(
                    Method::POST,
                    "/api/v1/cases",
                    Some(who),
                    Some(json!({"item": ITEM, "form": form()})),
                )
                .await;
            assert_error(
                &b,
                &format!("create by {}", who.username),
                &r,
                StatusCode::FORBIDDEN,
                "forbidden",
            );
        }
        let r = app
            .api(Method::POST, "/api/v1/cases", Some(&clerk), Some(json!({"item": ITEM, "form": form(), "applicant": {"name": "王五", "id_number": "330102199003070028"}})))
            .await;
        let v = assert_error(
            &b,
            "window: bad ID",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        assert_eq!(
            v["error"]["details"][0]["field"], "applicant.id_number",
            "{b}"
        );
        let r = app
            .api(Method::POST, "/api/v1/cases", Some(&clerk), Some(json!({"item": ITEM, "form": form(), "applicant": {"name": "王五", "id_number": "330102199003070027", "phone": "13900000000"}})))
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{b}: window application: {}",
            r.text()
        );
        assert_eq!(r.json(&b, "window")["case"]["channel"], "window", "{b}");
        let review_case = accepted(&app, &applicant, &clerk).await;
        let intake_case = submitted(&app, &applicant).await;
        let cases: Vec<Refusals> = vec![
            (
                json!({"type": "accept"}),
                intake_case,
                vec![
                    (&reviewer, StatusCode::FORBIDDEN),
                    (&applicant, StatusCode::FORBIDDEN),
                    (&supervisor, StatusCode::FORBIDDEN),
                ],
            ),
            (
                json!({"type": "refuse", "reason": "x"}),
                intake_case,
                vec![
                    (&head, StatusCode::FORBIDDEN),
                    (&catalog, StatusCode::FORBIDDEN),
                ],
            ),
            (
                json!({"type": "request_correction", "deficiencies": [{"material": 3, "problem": "missing"}]}),
                intake_case,
                vec![
                    (&reviewer, StatusCode::FORBIDDEN),
                    (&stranger, StatusCode::NOT_FOUND),
                ],
            ),
            (
                json!({"type": "withdraw"}),
                intake_case,
                vec![
                    (&stranger, StatusCode::NOT_FOUND),
                    (&reviewer, StatusCode::FORBIDDEN),
                ],
            ),
            (
                json!({"type": "complete_review", "agree": true, "opinion": "同意"}),
                review_case,
                vec![
                    (&rev_police, StatusCode::FORBIDDEN),
                    (&clerk, StatusCode::FORBIDDEN),
                    (&applicant, StatusCode::FORBIDDEN),
                ],
            ),
            (
                json!({"type": "suspend", "reason": {"kind": "special_procedure", "name": "鉴定"}, "note": ""}),
                review_case,
                vec![
                    (&rev_police, StatusCode::FORBIDDEN),
                    (&clerk, StatusCode::FORBIDDEN),
                    (&stranger, StatusCode::NOT_FOUND),
                ],
            ),
            (
                json!({"type": "extend", "days": 5, "reason": "x"}),
                review_case,
                vec![
                    (&head_police, StatusCode::FORBIDDEN),
                    (&reviewer, StatusCode::FORBIDDEN),
                    (&supervisor, StatusCode::FORBIDDEN),
                ],
            ),
        ];
        for (command, id, refused) in cases {
            let before = get_case(&app, &applicant, id).await["case"]["version"].clone();
            for (who, status) in refused {
                let r = cmd(&app, who, id, command.clone()).await;
                assert_eq!(
                    r.status,
                    status,
                    "{b}: {command} by {}: {}",
                    who.username,
                    r.text()
                );
            }
            assert_eq!(
                get_case(&app, &applicant, id).await["case"]["version"],
                before,
                "{b}: {command}: nothing changed"
            );
        }
        // Decide, issue and deliver on a case waiting for the decision.
        ok(
            &app,
            &reviewer,
            review_case,
            json!({"type": "complete_review", "agree": true, "opinion": "同意"}),
        )
        .await;
        for (who, status) in [
            (&head_police, StatusCode::FORBIDDEN),
            (&reviewer, StatusCode::FORBIDDEN),
            (&clerk, StatusCode::FORBIDDEN),
        ] {
            let r = cmd(
                &app,
                who,
                review_case,
                json!({"type": "decide", "approve": true, "reason": "x"}),
            )
            .await;
            assert_eq!(
                r.status,
                status,
                "{b}: decide by {}: {}",
                who.username,
                r.text()
            );
        }
        ok(
            &app,
            &head,
            review_case,
            json!({"type": "decide", "approve": true, "reason": "符合条件"}),
        )
        .await;
        for who in [&rev_police, &clerk, &applicant] {
            let r = cmd(&app, who, review_case, json!({"type": "issue"})).await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{b}: issue by {}: {}",
                who.username,
                r.text()
            );
        }
        ok(&app, &reviewer, review_case, json!({"type": "issue"})).await;
        for who in [&rev_police, &supervisor, &applicant] {
            let r = cmd(
                &app,
                who,
                review_case,
                json!({"type": "deliver", "method": "x"}),
            )
            .await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{b}: deliver by {}: {}",
                who.username,
                r.text()
            );
        }
        // A stranger cannot see the case, its files or its documents.
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/cases/{review_case}"),
                Some(&stranger),
                None,
            )
            .await;
        assert_error(&b, "stranger reads", &r, StatusCode::NOT_FOUND, "not_found");
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/cases/{review_case}"),
                Some(&rev_police),
                None,
            )
            .await;
        assert_error(
            &b,
            "other department reads",
            &r,
            StatusCode::NOT_FOUND,
            "not_found",
        );
        let r = upload(&app, &stranger, intake_case, 3, PDF).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{b}: stranger uploads");
        // Without the CSRF header a command is refused.
        let req = Request::builder()
            .method(Method::POST)
            .uri(format!("/api/v1/cases/{intake_case}/commands"))
            .header(header::COOKIE, clerk.cookie.as_str())
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({"command": {"type": "accept"}}).to_string(),
            ))
            .expect("req");
        let r = app.send(req).await;
        assert_error(&b, "no csrf", &r, StatusCode::FORBIDDEN, "csrf");
    }
}

#[tokio::test]
async fn concurrent_actions_on_one_case_cannot_both_succeed() {
    for app in apps("case_concurrency").await {
        let b = app.backend.clone();
        let applicant = app.login("applicant").await;
        let clerk = app.login("clerk").await;
        let id = submitted(&app, &applicant).await;
        upload(&app, &clerk, id, 3, PDF).await;
        let version = get_case(&app, &clerk, id).await["case"]["version"]
            .as_i64()
            .expect("v");
        let body = json!({"version": version, "command": {"type": "accept"}});
        let body2 = json!({"version": version, "command": {"type": "refuse", "reason": "不属于本机关职权"}});
        let uri = format!("/api/v1/cases/{id}/commands");
        let (r1, r2) = tokio::join!(
            app.api(Method::POST, &uri, Some(&clerk), Some(body)),
            app.api(Method::POST, &uri, Some(&clerk), Some(body2)),
        );
        let statuses = [r1.status, r2.status];
        assert_eq!(
            statuses.iter().filter(|s| **s == StatusCode::OK).count(),
            1,
            "{b}: exactly one wins: {statuses:?} {} {}",
            r1.text(),
            r2.text()
        );
        assert!(
            statuses.contains(&StatusCode::CONFLICT),
            "{b}: {statuses:?}"
        );
        let c = get_case(&app, &clerk, id).await;
        assert_eq!(c["case"]["version"].as_i64(), Some(version + 1), "{b}");
        let docs = c["documents"].as_array().map(|d| d.len()).unwrap_or(0);
        assert_eq!(docs, 1, "{b}: one document, from the winner only");
    }
}

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

#[tokio::test]
async fn unanswered_applications_are_deemed_accepted_and_warnings_sent_once() {
    for app in apps("case_sweeps").await {
        let b = app.backend.clone();
        app.enter_next_year().await;
        let cal = app.state.calendar();
        let today = app.state.today();
        let applicant = app.login("applicant").await;
        let clerk = app.login("clerk").await;
        let id = submitted(&app, &applicant).await;
        let store = app.store();
        // Five working days after receipt the window still may act.
        let fifth = cal.add_workdays(today, 5).expect("cal");
        assert_eq!(
            store.sweep_intake(&cal, fifth).await.expect("sweep"),
            0,
            "{b}"
        );
        let sixth = cal.add_workdays(today, 6).expect("cal");
        assert_eq!(
            store.sweep_intake(&cal, sixth).await.expect("sweep"),
            1,
            "{b}"
        );
        let c = get_case(&app, &clerk, id).await;
        assert_eq!(c["case"]["state"], "review", "{b}");
        assert_eq!(
            date(&c["clock"]["accepted_on"]),
            today,
            "{b}: accepted from receipt"
        );
        let trail = store.trail(20).await.expect("trail");
        let e = trail
            .iter()
            .find(|e| e.action == "case.deemed_accepted")
            .unwrap_or_else(|| panic!("{b}: trail entry"));
        assert!(
            e.details.contains("第三十二条") && e.actor_id.is_none(),
            "{b}: {}",
            e.details
        );
        assert_eq!(
            store.sweep_intake(&cal, sixth).await.expect("sweep"),
            0,
            "{b}: once"
        );

        // Promised 10 working days: on the 9th, yellow; after the 10th, red; each once.
        let reviewer_id = store
            .users()
            .await
            .expect("users")
            .into_iter()
            .find(|u| u.username == "reviewer")
            .expect("reviewer")
            .id;
        let rule = Default::default();
        let before = store
            .notifications(reviewer_id, 500)
            .await
            .expect("n")
            .len();
        let day9 = cal.add_workdays(today, 9).expect("cal");
        let (a, b2) = tokio::join!(
            store.sweep_warnings(&cal, day9, rule),
            store.sweep_warnings(&cal, day9, rule)
        );
        assert_eq!(
            a.expect("sweep") + b2.expect("sweep"),
            1,
            "{b}: two sweeps at once warn once"
        );
        assert_eq!(
            store.sweep_warnings(&cal, day9, rule).await.expect("sweep"),
            0,
            "{b}"
        );
        let day11 = cal.add_workdays(today, 11).expect("cal");
        assert_eq!(
            store
                .sweep_warnings(&cal, day11, rule)
                .await
                .expect("sweep"),
            1,
            "{b}: red"
        );
        let notes = store.notifications(reviewer_id, 500).await.expect("n");
        let warnings: Vec<&str> = notes[..notes.len() - before]
            .iter()
            .map(|n| n.subject.as_str())
            .filter(|s| s.contains("预警"))
            .collect();
        assert_eq!(warnings.len(), 2, "{b}: {warnings:?}");
        let sup = store
            .users()
            .await
            .expect("users")
            .into_iter()
            .find(|u| u.username == "supervisor")
            .expect("sup")
            .id;
        assert!(
            store
                .notifications(sup, 50)
                .await
                .expect("n")
                .iter()
                .any(|n| n.subject.contains("红色预警")),
            "{b}: the supervisor hears of red"
        );
    }
}

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
