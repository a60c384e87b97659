//! Defect 9: implausible input is refused by field — over-long names and
//! names holding control or bidirectional characters, identity numbers of
//! people not yet born, e-mail addresses a relay cannot take, numbers out of
//! a field's range or written as exponents — and an uploaded file's name
//! takes the extension of the type its content was sniffed as.

use super::*;

/// A window application by the clerk for this applicant.
async fn window(app: &App, clerk: &Login, applicant: Value) -> Resp {
    create_with(app, clerk, json!({ "applicant": applicant })).await
}

/// The answer is 422 `invalid_input` with a detail for `field` (and `code`, when given).
fn refused(b: &str, what: &str, r: &Resp, field: &str, code: Option<&str>) {
    let v = assert_error(
        b,
        what,
        r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    let d = detail_for(&v, field)
        .unwrap_or_else(|| panic!("{b}: {what}: no detail for {field} in {v}"));
    if let Some(code) = code {
        assert_eq!(d["code"], code, "{b}: {what}: {d}");
    }
    assert!(
        r.body.len() < 16 * 1024,
        "{b}: {what}: a {} byte reply",
        r.body.len()
    );
}

#[tokio::test]
async fn implausible_applicants_are_refused_at_the_window() {
    for app in apps("hard_input_window").await {
        let b = app.backend.clone();
        let clerk = app.login("clerk").await;
        let ok_id = APPLICANT_ID;
        let long = "王".repeat(100_001);
        let r = window(&app, &clerk, json!({"name": long, "id_number": ok_id})).await;
        refused(
            &b,
            "a name of 100,001 characters",
            &r,
            "applicant.name",
            Some("too_long"),
        );
        let r = window(
            &app,
            &clerk,
            json!({"name": "王".repeat(101), "id_number": ok_id}),
        )
        .await;
        refused(
            &b,
            "a name of 101 characters",
            &r,
            "applicant.name",
            Some("too_long"),
        );
        for bad in ["王\u{0}五", "王五\u{202E}fdp.exe", "王\u{2066}五", "王\n五"] {
            let r = window(&app, &clerk, json!({"name": bad, "id_number": ok_id})).await;
            refused(
                &b,
                &format!("the name {bad:?}"),
                &r,
                "applicant.name",
                Some("bad_character"),
            );
        }
        // Born in 2099: a well-formed number, with a correct check character.
        let unborn = id_number("11010120990101123");
        let r = window(&app, &clerk, json!({"name": "王五", "id_number": unborn})).await;
        refused(
            &b,
            "an ID number born in 2099",
            &r,
            "applicant.id_number",
            None,
        );
        let r = window(
            &app,
            &clerk,
            json!({"name": "王五", "id_number": id_number("11010118500101123")}),
        )
        .await;
        refused(
            &b,
            "an ID number born in 1850",
            &r,
            "applicant.id_number",
            None,
        );
        for email in [
            "a@b.test\r\nBcc: x@y.test",
            "no-at-sign",
            "a@b",
            "张三 <a@b.test>",
            "a b@c.test",
        ] {
            let r = window(
                &app,
                &clerk,
                json!({"name": "王五", "id_number": ok_id, "email": email}),
            )
            .await;
            refused(
                &b,
                &format!("the e-mail {email:?}"),
                &r,
                "applicant.email",
                None,
            );
        }
        // A plausible applicant is taken.
        let r = window(
            &app,
            &clerk,
            json!({"name": "王五", "id_number": ok_id, "phone": "13900000000", "email": "wang.wu@example.com"}),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{b}: a plausible applicant: {}",
            r.text()
        );
        let c = r.json(&b, "window case");
        assert_eq!(c["case"]["applicant_name"], "王五", "{b}");
        assert_eq!(c["case"]["channel"], "window", "{b}");
        // The name at the limit is accepted.
        let r = window(
            &app,
            &clerk,
            json!({"name": "王".repeat(100), "id_number": ok_id}),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{b}: a name of 100 characters: {}",
            r.text()
        );
    }
}

#[tokio::test]
async fn form_fields_refuse_implausible_values() {
    for app in apps("hard_input_form").await {
        let b = app.backend.clone();
        let applicant = app.login("applicant").await;
        let with = |key: &str, value: &str| {
            let mut f = form();
            f[key] = json!(value);
            json!({ "form": f })
        };
        // Text: no bidirectional overrides or control characters.
        for bad in ["示范\u{202E}宾馆", "示范\u{0}宾馆", "示范\u{200F}宾馆"] {
            let r = create_with(&app, &applicant, with("venue_name", bad)).await;
            refused(
                &b,
                &format!("venue_name {bad:?}"),
                &r,
                "form.venue_name",
                Some("bad_character"),
            );
        }
        let r = create_with(&app, &applicant, with("venue_address", &"路".repeat(2001))).await;
        refused(
            &b,
            "an address of 2001 characters",
            &r,
            "form.venue_address",
            Some("too_long"),
        );
        // Numbers: plain decimals in the field's range (an area is not negative).
        for (bad, code) in [
            ("-5", "out_of_range"),
            ("1e308", "invalid"),
            ("1e3", "invalid"),
            ("inf", "invalid"),
            ("NaN", "invalid"),
            ("0x10", "invalid"),
            ("1000000000001", "out_of_range"),
            ("1234567890123456", "invalid"),
        ] {
            let r = create_with(&app, &applicant, with("area", bad)).await;
            refused(&b, &format!("area {bad:?}"), &r, "form.area", Some(code));
        }
        let mine = app
            .api(
                Method::GET,
                "/api/v1/cases?view=mine",
                Some(&applicant),
                None,
            )
            .await
            .json(&b, "mine");
        assert_eq!(
            mine["cases"].as_array().map(Vec::len),
            Some(0),
            "{b}: nothing was created"
        );
        for good in ["120.5", "0", "320", "1000000000000"] {
            let r = create_with(&app, &applicant, with("area", good)).await;
            assert_eq!(
                r.status,
                StatusCode::CREATED,
                "{b}: area {good:?}: {}",
                r.text()
            );
            assert_eq!(r.json(&b, "created")["case"]["form"]["area"], good, "{b}");
        }
    }
}

#[tokio::test]
async fn a_file_name_takes_the_sniffed_types_extension() {
    for app in apps("hard_input_files").await {
        let b = app.backend.clone();
        let applicant = app.login("applicant").await;
        let id = create(&app, &applicant).await;
        for (sent, stored) in [
            ("report.html", "report.pdf"),
            ("report.pdf", "report.pdf"),
            ("invoice\u{202E}fdp.exe", "invoicefdp.pdf"),
            ("noextension", "noextension.pdf"),
        ] {
            let r = upload_named(&app, &applicant, id, 0, sent, PDF).await;
            assert_eq!(
                r.status,
                StatusCode::CREATED,
                "{b}: upload {sent:?}: {}",
                r.text()
            );
            let f = r.json(&b, "file");
            let name = f["file_name"].as_str().unwrap_or_default().to_string();
            assert!(
                name.ends_with(".pdf"),
                "{b}: {sent:?} is stored as {name:?}"
            );
            assert_eq!(name, stored, "{b}: {sent:?}");
            assert_eq!(f["content_type"], "application/pdf", "{b}");
            // The download names it so too.
            let file = f["id"].as_i64().expect("file id");
            let r = app
                .get_page(&format!("/files/{file}"), Some(&applicant))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{b}");
            let disposition = r.header("content-disposition").unwrap_or_default();
            assert!(
                disposition.contains(".pdf")
                    && !disposition.contains(".html")
                    && !disposition.contains(".exe"),
                "{b}: {sent:?}: {disposition}"
            );
        }
        // Path separators never survive.
        let r = upload_named(&app, &applicant, id, 0, "../../etc/passwd", PDF).await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}: {}", r.text());
        let name = r.json(&b, "file")["file_name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            name.ends_with(".pdf") && !name.contains('/') && !name.contains('\\'),
            "{b}: stored as {name:?}"
        );
    }
}

/// An unknown field is ignored, its value unchecked; its name is still a
/// property name of the body, which the document holds to the text rule.
#[tokio::test]
async fn unknown_fields_are_ignored_but_their_names_follow_the_text_rule() {
    for app in apps("hard_unknown_names").await {
        let b = app.backend.clone();
        let clerk = app.login("clerk").await;
        let body = |extra: &str| {
            let mut v = json!({"channel": "window", "subject": "办证要带什么", "inquirer": "王五"});
            v[extra] = json!("值\u{202E}随意");
            v
        };
        let r = app
            .api(
                Method::POST,
                "/api/v1/inquiries",
                Some(&clerk),
                Some(body("note")),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{b}: an unknown field is ignored: {}",
            r.text()
        );
        let r = app
            .api(
                Method::POST,
                "/api/v1/inquiries",
                Some(&clerk),
                Some(body("no\u{202E}te")),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{b}: {}",
            r.text()
        );
        assert_eq!(error_code(&r), "invalid_input", "{b}");
    }
}
