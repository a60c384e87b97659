//! Defect 3: one rule of what each role sees of the people in a case, the
//! same through the API, the pages, the issued documents and the downloads:
//! the supervisor sees the handling, not the person; the handling
//! department's reviewer sees the person but not the verification code; the
//! applicant (and the window clerk) see everything.

use super::*;

/// Everything a text must not hold for a viewer who may not see the person.
fn assert_no_person(b: &str, what: &str, text: &str, code: &str) {
    for (secret, name) in [
        (APPLICANT_NAME, "the full name"),
        (APPLICANT_ID, "the full ID number"),
        (APPLICANT_PHONE, "the full phone number"),
        (APPLICANT_EMAIL, "the e-mail address"),
        (code, "the verification code"),
    ] {
        assert!(
            !text.contains(secret),
            "{b}: {what} shows {name} ({secret}) to the supervisor"
        );
    }
}

fn is_masked(v: &Value, full: &str) -> bool {
    v.as_str()
        .is_some_and(|s| !s.is_empty() && s != full && s.contains('*'))
}

#[tokio::test]
async fn each_role_sees_what_the_one_rule_says_everywhere() {
    for app in apps("hard_masking").await {
        let b = app.backend.clone();
        let applicant = app.login("applicant").await;
        let clerk = app.login("clerk").await;
        let reviewer = app.login("reviewer").await;
        let supervisor = app.login("supervisor").await;
        let (id, file) = accepted(&app, &applicant, &clerk).await;

        // The applicant: everything, with the code of the progress lookup.
        let mine = get_case(&app, &applicant, id).await;
        let code = mine["verify_code"].as_str().unwrap_or_default().to_string();
        assert_eq!(
            code.chars().count(),
            8,
            "{b}: the applicant sees the code: {mine}"
        );
        assert_eq!(mine["case"]["applicant_name"], APPLICANT_NAME, "{b}");
        assert_eq!(mine["case"]["applicant_id_number"], APPLICANT_ID, "{b}");
        assert_eq!(mine["case"]["applicant_phone"], APPLICANT_PHONE, "{b}");
        assert_eq!(
            mine["case"]["form"]["venue_address"], "示范区一路1号",
            "{b}"
        );
        let doc = mine["documents"][0]["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("{b}: the acceptance receipt in {mine}"));
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/documents/{doc}"),
                Some(&applicant),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: {}", r.text());
        let receipt = r.json(&b, "receipt");
        assert_eq!(receipt["body"]["addressee"], APPLICANT_NAME, "{b}");
        assert!(
            receipt["body"]["paragraphs"].to_string().contains(&code),
            "{b}: the applicant's receipt quotes the code: {receipt}"
        );
        let page = app
            .get_page(&format!("/cases/{id}"), Some(&applicant))
            .await;
        assert!(
            page.text().contains(&code),
            "{b}: the applicant's page shows the code"
        );

        // The window clerk sees what the applicant sees.
        let clerks = get_case(&app, &clerk, id).await;
        assert_eq!(clerks["verify_code"].as_str(), Some(code.as_str()), "{b}");
        assert_eq!(clerks["case"]["applicant_name"], APPLICANT_NAME, "{b}");

        // The supervisor, through the API: masked identity, no form, no code.
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/cases/{id}"),
                Some(&supervisor),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: {}", r.text());
        let seen = r.json(&b, "supervisor's case");
        let c = &seen["case"];
        assert!(
            is_masked(&c["applicant_name"], APPLICANT_NAME),
            "{b}: name {}",
            c["applicant_name"]
        );
        assert!(
            c["applicant_name"]
                .as_str()
                .is_some_and(|n| n.starts_with('张')),
            "{b}: the family name stays: {}",
            c["applicant_name"]
        );
        assert!(
            is_masked(&c["applicant_id_number"], APPLICANT_ID),
            "{b}: {}",
            c["applicant_id_number"]
        );
        assert!(
            is_masked(&c["applicant_phone"], APPLICANT_PHONE),
            "{b}: {}",
            c["applicant_phone"]
        );
        assert_eq!(c["form"], json!({}), "{b}: the form is withheld");
        assert_eq!(seen["verify_code"], "", "{b}: no verification code");
        assert_no_person(&b, "GET /api/v1/cases/{id}", &r.text(), &code);

        // ... the case page ...
        let page = app
            .get_page(&format!("/cases/{id}"), Some(&supervisor))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{b}");
        assert_no_person(&b, "the case page", &page.text(), &code);
        assert!(
            !page.text().contains("示范区一路1号"),
            "{b}: the page shows the form's address"
        );

        // ... the receipt, through the API and its page ...
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/documents/{doc}"),
                Some(&supervisor),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: {}", r.text());
        let receipt = r.json(&b, "supervisor's receipt");
        assert!(
            is_masked(&receipt["body"]["addressee"], APPLICANT_NAME),
            "{b}: addressee {}",
            receipt["body"]["addressee"]
        );
        assert!(
            !receipt["body"]["paragraphs"].to_string().contains(&code),
            "{b}: the receipt's paragraphs quote the code: {}",
            receipt["body"]["paragraphs"]
        );
        assert_no_person(&b, "GET /api/v1/documents/{id}", &r.text(), &code);
        let page = app
            .get_page(&format!("/documents/{doc}"), Some(&supervisor))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{b}");
        assert_no_person(&b, "the receipt's page", &page.text(), &code);

        // ... and no download of the applicant's papers.
        let r = app
            .get_page(&format!("/files/{file}"), Some(&supervisor))
            .await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{b}: the supervisor downloads a file"
        );

        // The handling department's reviewer: the person in full, not the code.
        let theirs = get_case(&app, &reviewer, id).await;
        assert_eq!(theirs["case"]["applicant_name"], APPLICANT_NAME, "{b}");
        assert_eq!(theirs["case"]["applicant_id_number"], APPLICANT_ID, "{b}");
        assert_eq!(
            theirs["case"]["form"]["venue_address"], "示范区一路1号",
            "{b}"
        );
        assert_eq!(theirs["verify_code"], "", "{b}: the reviewer gets no code");
        assert!(
            !theirs.to_string().contains(&code),
            "{b}: the code in the reviewer's case"
        );
        let page = app.get_page(&format!("/cases/{id}"), Some(&reviewer)).await;
        assert_eq!(page.status, StatusCode::OK, "{b}");
        assert!(
            page.text().contains(APPLICANT_NAME),
            "{b}: the reviewer's page names the applicant"
        );
        assert!(
            !page.text().contains(&code),
            "{b}: the reviewer's page shows the code"
        );
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/documents/{doc}"),
                Some(&reviewer),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}");
        let receipt = r.json(&b, "reviewer's receipt");
        assert_eq!(receipt["body"]["addressee"], APPLICANT_NAME, "{b}");
        assert!(
            !r.text().contains(&code),
            "{b}: the reviewer's receipt quotes the code"
        );
        let r = app
            .get_page(&format!("/files/{file}"), Some(&reviewer))
            .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{b}: the reviewer reads the papers"
        );
        assert_eq!(r.body, PDF, "{b}");
    }
}

fn newborn_form() -> Value {
    json!({
        "baby_name": "张小宝", "baby_gender": "女", "birth_date": "2026-02-20",
        "guardian_name": "张三", "phone": "13800000000", "mailing_address": "示范区人民路1号",
        "mother_name": "李四", "medical_expense": "3200.50", "bank_account": "6222020000000000000"
    })
}

const BANK_ACCOUNT: &str = "6222020000000000000";
const ADDRESS: &str = "示范区人民路1号";

#[tokio::test]
async fn supervisors_get_no_family_data_from_bundles_or_their_sub_cases() {
    for app in apps("hard_masking_bundle").await {
        let b = app.backend.clone();
        let applicant = app.login("applicant").await;
        let supervisor = app.login("supervisor").await;
        let r = app
            .api(
                Method::POST,
                "/api/v1/bundle-cases",
                Some(&applicant),
                Some(json!({"bundle": "newborn", "answers": {"parents_local": "yes", "mother_insured": "yes", "married": "yes"}})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}: start: {}", r.text());
        let id = r.json(&b, "start")["bundle"]["id"]
            .as_i64()
            .expect("bundle id");
        let r = app
            .api(
                Method::PUT,
                &format!("/api/v1/bundle-cases/{id}/form"),
                Some(&applicant),
                Some(json!({"form": newborn_form()})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: form: {}", r.text());
        // The slots the applicant is asked for (免提交 and passed-on ones are not).
        let asked: Vec<usize> = r.json(&b, "form")["slots"]
            .as_array()
            .map(|v| {
                (0..v.len())
                    .filter(|i| v[*i]["provided"].is_null())
                    .collect()
            })
            .unwrap_or_default();
        assert!(!asked.is_empty(), "{b}: the bundle asks for materials");
        let slots = asked.len();
        for i in asked {
            let req = Request::builder()
                .method(Method::PUT)
                .uri(format!(
                    "/api/v1/bundle-cases/{id}/slots/{i}/files?name={}",
                    pct(&format!("{APPLICANT_NAME}材料{i}.pdf"))
                ))
                .header(header::COOKIE, applicant.cookie.as_str())
                .header("x-csrf-token", applicant.csrf.as_str())
                .header(header::CONTENT_TYPE, "application/octet-stream")
                .body(Body::from(PDF.to_vec()))
                .expect("request");
            let r = app.send(req).await;
            assert_eq!(r.status, StatusCode::CREATED, "{b}: slot {i}: {}", r.text());
        }
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/bundle-cases/{id}/submit"),
                Some(&applicant),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: submit: {}", r.text());
        let subs: Vec<i64> = r.json(&b, "submit")["sub_cases"]
            .as_array()
            .map(|s| s.iter().filter_map(|c| c["id"].as_i64()).collect())
            .unwrap_or_default();
        assert!(!subs.is_empty(), "{b}: sub-cases");

        // The applicant sees the family's data in the sub-cases.
        let mut in_some = false;
        for sub in &subs {
            in_some |= get_case(&app, &applicant, *sub)
                .await
                .to_string()
                .contains(BANK_ACCOUNT);
        }
        assert!(in_some, "{b}: the bank account fills some sub-case's form");

        // The supervisor: not in the bundle, not in its sub-cases, not in the
        // sub-cases read one by one, not on the page.
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/bundle-cases/{id}"),
                Some(&supervisor),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: {}", r.text());
        let v = r.json(&b, "supervisor's bundle");
        assert_eq!(v["bundle"]["form"], json!({}), "{b}: the bundle's form");
        let seen = v["sub_cases"].as_array().cloned().unwrap_or_default();
        assert_eq!(seen.len(), subs.len(), "{b}");
        for c in &seen {
            assert_eq!(c["form"], json!({}), "{b}: sub-case {} form", c["id"]);
            assert!(
                is_masked(&c["applicant_name"], APPLICANT_NAME),
                "{b}: sub-case name {}",
                c["applicant_name"]
            );
        }
        for secret in [BANK_ACCOUNT, ADDRESS, APPLICANT_ID, APPLICANT_NAME] {
            assert!(
                !r.text().contains(secret),
                "{b}: the bundle API shows {secret}"
            );
        }
        let files = v["files"].as_array().cloned().unwrap_or_default();
        assert_eq!(files.len(), slots, "{b}: the supervisor sees the uploads");
        for f in &files {
            assert!(
                f["file_name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("文件")),
                "{b}: a bundle file shown by its kind only: {f}"
            );
        }
        for sub in &subs {
            let r = app
                .api(
                    Method::GET,
                    &format!("/api/v1/cases/{sub}"),
                    Some(&supervisor),
                    None,
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::OK,
                "{b}: sub-case {sub}: {}",
                r.text()
            );
            assert_eq!(
                r.json(&b, "sub-case")["case"]["form"],
                json!({}),
                "{b}: sub-case {sub}"
            );
            for secret in [BANK_ACCOUNT, ADDRESS, APPLICANT_ID] {
                assert!(
                    !r.text().contains(secret),
                    "{b}: sub-case {sub} shows {secret}"
                );
            }
        }
        let page = app
            .get_page(&format!("/bundle-cases/{id}"), Some(&supervisor))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{b}");
        for secret in [BANK_ACCOUNT, ADDRESS, APPLICANT_ID] {
            assert!(
                !page.text().contains(secret),
                "{b}: the bundle page shows {secret}"
            );
        }
    }
}

/// The supervisor's lists, the names of uploaded files (often named after
/// the person) and the inquiries logged at the window show no one in full;
/// the window clerk, who handles them, sees them as given.
#[tokio::test]
async fn supervisors_lists_file_names_and_inquiries_show_no_one_in_full() {
    for app in apps("hard_masking_lists").await {
        let b = app.backend.clone();
        let applicant = app.login("applicant").await;
        let clerk = app.login("clerk").await;
        let supervisor = app.login("supervisor").await;
        let id = create(&app, &applicant).await;
        let named = format!("{APPLICANT_NAME}身份证.pdf");
        let r = upload_named(&app, &applicant, id, 0, &named, PDF).await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}: {}", r.text());
        for idx in 1..4 {
            uploaded(&app, &applicant, id, idx).await;
        }
        ok(&app, &applicant, id, json!({"type": "submit"})).await;
        ok(&app, &clerk, id, json!({"type": "accept"})).await;

        let clerks = get_case(&app, &clerk, id).await;
        assert!(
            clerks["files"].to_string().contains(&named),
            "{b}: the clerk sees the file's name: {}",
            clerks["files"]
        );
        let seen = get_case(&app, &supervisor, id).await;
        let files = seen["files"].as_array().cloned().unwrap_or_default();
        assert_eq!(files.len(), 4, "{b}: the supervisor sees the four files");
        for f in &files {
            let name = f["file_name"].as_str().unwrap_or_default();
            assert!(
                name.starts_with("文件") && name.ends_with(".pdf"),
                "{b}: a file is shown by its kind only: {name}"
            );
        }
        let page = app
            .get_page(&format!("/cases/{id}"), Some(&supervisor))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{b}");
        assert!(
            !page.text().contains(APPLICANT_NAME),
            "{b}: the supervisor's case page names the applicant (a file name?)"
        );

        // The supervisor's list, through the API and on the work page.
        let r = app
            .api(
                Method::GET,
                "/api/v1/cases?view=supervised",
                Some(&supervisor),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: {}", r.text());
        let rows = r.json(&b, "supervised")["cases"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let row = rows
            .iter()
            .find(|c| c["id"].as_i64() == Some(id))
            .unwrap_or_else(|| panic!("{b}: the case under review is supervised: {rows:?}"));
        assert!(
            is_masked(&row["applicant"], APPLICANT_NAME),
            "{b}: {}",
            row["applicant"]
        );
        assert!(!r.text().contains(APPLICANT_NAME), "{b}: the list API");
        let page = app.get_page("/work", Some(&supervisor)).await;
        assert_eq!(page.status, StatusCode::OK, "{b}");
        assert!(
            page.text().contains(row["case_no"].as_str().unwrap_or("?")),
            "{b}: the work page lists the case"
        );
        assert!(!page.text().contains(APPLICANT_NAME), "{b}: the work page");

        // An inquiry logged by the clerk: who asked and their number are the
        // clerk's to see, not the supervisor's.
        let (who, phone) = ("李四海", "13912345678");
        let r = app
            .api(
                Method::POST,
                "/api/v1/inquiries",
                Some(&clerk),
                Some(json!({"channel": "window", "subject": "新生儿落户要带什么", "inquirer": who, "contact": phone})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}: {}", r.text());
        let q = r.json(&b, "inquiry");
        assert_eq!(q["inquirer"], who, "{b}: the clerk who logged it");
        assert_eq!(q["contact"], phone, "{b}");
        let qid = q["id"].as_i64().expect("inquiry id");
        let page = app
            .get_page(&format!("/inquiries/{qid}"), Some(&clerk))
            .await;
        assert!(page.text().contains(phone), "{b}: the clerk can call back");
        let r = app
            .api(Method::GET, "/api/v1/inquiries", Some(&supervisor), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: {}", r.text());
        assert!(
            r.text().contains("新生儿落户要带什么"),
            "{b}: the supervisor sees the inquiry"
        );
        for (path, what) in [
            (format!("/inquiries/{qid}"), "the inquiry page"),
            ("/inquiries".to_string(), "the inquiries page"),
        ] {
            let page = app.get_page(&path, Some(&supervisor)).await;
            assert_eq!(page.status, StatusCode::OK, "{b}: {what}");
            for secret in [who, phone] {
                assert!(
                    !page.text().contains(secret),
                    "{b}: {what} shows {secret} to the supervisor"
                );
            }
        }
        for secret in [who, phone] {
            assert!(!r.text().contains(secret), "{b}: the inquiries API");
        }
    }
}
