//! What the one who acted is told: a confirmation page after submitting
//! (number, code, what happens next), and a message naming the action after
//! any other, instead of "已办理" for everything.

use axum::http::StatusCode;

use crate::hardening::{create, get_case, uploaded};
use crate::helpers::{apps, pct};

#[tokio::test]
async fn submitting_confirms_with_the_number_and_code_and_actions_say_what_was_done() {
    for app in apps("cases_confirm").await {
        let b = app.backend.clone();
        let applicant = app.login("applicant").await;
        let clerk = app.login("clerk").await;
        let id = create(&app, &applicant).await;
        for idx in 0..4 {
            uploaded(&app, &applicant, id, idx).await;
        }
        let version = get_case(&app, &applicant, id).await["case"]["version"]
            .as_i64()
            .expect("version");
        let r = app
            .post_form(
                &format!("/cases/{id}/act"),
                &applicant,
                &format!(
                    "csrf={}&version={version}&action=submit",
                    pct(&applicant.csrf)
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{b}: {}", r.text());
        assert_eq!(
            r.header("location").as_deref(),
            Some(format!("/cases/{id}/submitted").as_str()),
            "{b}: to the confirmation page"
        );
        let c = get_case(&app, &applicant, id).await;
        let page = app
            .get_page(&format!("/cases/{id}/submitted"), Some(&applicant))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{b}");
        let t = page.text();
        for shown in [
            "申请已提交",
            c["case"]["case_no"].as_str().unwrap_or("?"),
            c["verify_code"].as_str().unwrap_or("?"),
            "5个工作日",
        ] {
            assert!(t.contains(shown), "{b}: the confirmation shows {shown}");
        }
        // Someone who may not see the case gets no confirmation of it.
        let stranger = crate::hardening::second_applicant(&app).await;
        let page = app
            .get_page(&format!("/cases/{id}/submitted"), Some(&stranger))
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{b}");

        // The clerk accepts: the page says so, in words.
        let version = get_case(&app, &clerk, id).await["case"]["version"]
            .as_i64()
            .expect("version");
        let r = app
            .post_form(
                &format!("/cases/{id}/act"),
                &clerk,
                &format!("csrf={}&version={version}&action=accept", pct(&clerk.csrf)),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{b}: {}", r.text());
        let to = r.header("location").unwrap_or_default();
        assert_eq!(to, format!("/cases/{id}?done=accept"), "{b}");
        let page = app.get_page(&to, Some(&clerk)).await.text();
        assert!(
            page.contains("已受理，受理通知书已出具"),
            "{b}: the message names the action"
        );
        assert!(!page.contains("已办理。"), "{b}");
    }
}

/// The head's work page puts what waits for their decision apart from what
/// the department still reviews; the window's list counts the 5 intake
/// working days; urgency is said in words, not by colour alone.
#[tokio::test]
async fn the_heads_decisions_stand_apart_and_the_intake_list_counts_its_days() {
    use serde_json::json;
    for app in apps("cases_work_lists").await {
        let b = app.backend.clone();
        let applicant = app.login("applicant").await;
        let clerk = app.login("clerk").await;
        let reviewer = app.login("reviewer").await;
        let head = app.login("head").await;
        let (deciding, _) = crate::hardening::accepted(&app, &applicant, &clerk).await;
        crate::hardening::ok(
            &app,
            &reviewer,
            deciding,
            json!({"type": "complete_review", "agree": true, "opinion": "同意"}),
        )
        .await;
        let (reviewing, _) = crate::hardening::accepted(&app, &applicant, &clerk).await;
        let (waiting, _) = crate::hardening::submitted(&app, &applicant).await;
        let mut nos = Vec::new();
        for id in [deciding, reviewing, waiting] {
            let c = get_case(&app, &applicant, id).await;
            nos.push(c["case"]["case_no"].as_str().unwrap_or("?").to_string());
        }
        let (d, r, w) = (nos[0].clone(), nos[1].clone(), nos[2].clone());
        let page = app.get_page("/work", Some(&head)).await.text();
        let decide = page
            .split("id=\"deciding\"")
            .nth(1)
            .and_then(|t| t.split("</table>").next())
            .unwrap_or_else(|| panic!("{b}: the head's 待我决定 table: {page}"));
        assert!(
            decide.contains(&d),
            "{b}: the case waiting for the decision"
        );
        assert!(
            !decide.contains(&r),
            "{b}: a case under review is not the head's to decide yet"
        );
        assert!(page.contains("待我决定"), "{b}");
        let rest = page.split("id=\"cases\"").nth(1).unwrap_or_default();
        assert!(
            rest.contains(&r),
            "{b}: the case under review is listed apart"
        );
        // The window: the intake deadline and its working days left.
        let page = app.get_page("/work", Some(&clerk)).await.text();
        let row = page
            .split("<tr")
            .find(|t| t.contains(&w))
            .unwrap_or_else(|| panic!("{b}: the waiting case is in the intake queue"));
        let days = row
            .split("class=\"days-left\"")
            .nth(1)
            .and_then(|t| t.split('>').nth(1))
            .and_then(|t| t.split(|c: char| !c.is_ascii_digit() && c != '-').next())
            .unwrap_or_default();
        assert!(
            days.parse::<i64>().is_ok_and(|d| (0..=5).contains(&d)),
            "{b}: working days left to the intake deadline: {row}"
        );
    }
}
