//! Life-event bundles over the API and pages, on every backend: the savings
//! figures recomputed independently from the item guides, the application
//! journey (one form, each material once, one submission, double clicks),
//! who may see and do what, and the admin's publish check.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};
use tongban_domain::auth::Role;
use tongban_store::accounts::NewUser;

use crate::helpers::*;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

fn all_yes() -> Value {
    json!({"parents_local": "yes", "mother_insured": "yes", "married": "yes"})
}

fn newborn_form() -> Value {
    json!({
        "baby_name": "张小宝", "baby_gender": "女", "birth_date": "2026-02-20",
        "guardian_name": "张三", "phone": "13800000000", "mailing_address": "示范区人民路1号",
        "mother_name": "李四", "medical_expense": "3200.50", "bank_account": "6222020000000000000"
    })
}

async fn put_file(app: &App, who: &Login, uri: &str) -> Resp {
    let req = Request::builder()
        .method(Method::PUT)
        .uri(uri)
        .header(header::COOKIE, who.cookie.as_str())
        .header("x-csrf-token", who.csrf.as_str())
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(PDF.to_vec()))
        .expect("request");
    app.send(req).await
}

#[tokio::test]
async fn savings_figures_match_an_independent_count_from_the_item_guides() {
    for app in apps("bundle_savings").await {
        let b = &app.backend;
        let r = app.api(Method::GET, "/api/v1/bundles", None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{b}");
        let list = r.json(b, "bundles")["bundles"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let codes: Vec<&str> = list.iter().filter_map(|x| x["code"].as_str()).collect();
        assert_eq!(
            codes,
            vec!["newborn", "school-entry", "maternity", "business-start"],
            "{b}: the life events (a project stage's form is none)"
        );
        for bundle in &list {
            let code = bundle["code"].as_str().unwrap_or_default();
            let one = app
                .api(Method::GET, &format!("/api/v1/bundles/{code}"), None, None)
                .await
                .json(b, "bundle");
            // Recount from each item's published guide, as a centre would by
            // hand: one by one, each guide's materials that are not 免提交; in
            // the bundle, each document once — a typed one by what it is and
            // whose, others by name, standard and original — unless every
            // guide asking it obtains it, or an earlier item issues it.
            let (mut total, mut trips, mut days) = (0u64, 0u64, 0u64);
            // identity -> (every use exempt, first item position asking it)
            let mut ids: Vec<(String, bool, usize)> = Vec::new();
            let mut issued: Vec<(String, usize)> = Vec::new();
            let items = one["doc"]["items"].as_array().cloned().unwrap_or_default();
            for (pos, it) in items.iter().enumerate() {
                let ic = it["item"].as_str().unwrap_or_default();
                let g = app
                    .api(Method::GET, &format!("/api/v1/items/{ic}"), None, None)
                    .await
                    .json(b, "item");
                let mats = g["doc"]["materials"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let text =
                    |v: &serde_json::Value| v.as_str().unwrap_or_default().trim().to_string();
                for m in &mats {
                    let exempt = m["exempt"].as_bool().unwrap_or(false);
                    if !exempt {
                        total += 1;
                    }
                    let kind = text(&m["kind"]);
                    let keys: Vec<String> = if kind.is_empty() {
                        vec![format!(
                            "{}|{}|{}",
                            text(&m["name"]),
                            text(&m["acceptance_standard"]),
                            m["originals"].as_u64().unwrap_or(0) > 0
                        )]
                    } else {
                        let holders: Vec<String> = m["holders"]
                            .as_array()
                            .map(|h| h.iter().map(text).collect())
                            .filter(|h: &Vec<String>| !h.is_empty())
                            .unwrap_or_else(|| vec!["applicant".into()]);
                        holders.iter().map(|h| format!("{kind}@{h}")).collect()
                    };
                    for k in keys {
                        match ids.iter_mut().find(|(x, _, _)| *x == k) {
                            Some(e) => e.1 &= exempt,
                            None => ids.push((k, exempt, pos)),
                        }
                    }
                }
                let r = &g["doc"]["result"];
                if r["result_type"].as_u64() == Some(10) && !text(&r["licence_type"]).is_empty() {
                    let holder = r["holder"].as_str().unwrap_or("applicant");
                    issued.push((format!("{}@{holder}", text(&r["licence_type"])), pos));
                }
                trips += g["doc"]["onsite_visits"].as_u64().unwrap_or(0);
                days += g["doc"]["promised_limit"]["days"].as_u64().unwrap_or(0);
            }
            let asked = ids
                .iter()
                .filter(|(k, exempt, first)| {
                    !exempt && !issued.iter().any(|(i, at)| i == k && at < first)
                })
                .count();
            let s = &one["savings"];
            assert_eq!(
                s["materials_separately"].as_u64(),
                Some(total),
                "{b} {code}"
            );
            assert_eq!(
                s["materials_bundle"].as_u64(),
                Some(asked as u64),
                "{b} {code}"
            );
            assert_eq!(s["trips_separately"].as_u64(), Some(trips), "{b} {code}");
            assert_eq!(
                s["trips_bundle"].as_u64(),
                one["doc"]["onsite_visits"].as_u64()
            );
            assert_eq!(s["forms_separately"].as_u64(), Some(items.len() as u64));
            assert_eq!(s["forms_bundle"].as_u64(), Some(1));
            assert_eq!(s["days_separately"].as_u64(), Some(days), "{b} {code}");
            assert_eq!(s["days_bundle"], one["doc"]["promised_days"]);
            // The same figures on the bundle's page.
            let page = app.get_page(&format!("/bundles/{code}"), None).await.text();
            let row = |id: &str| {
                page.split(&format!("id=\"{id}\""))
                    .nth(1)
                    .and_then(|t| t.split("</tr>").next())
                    .unwrap_or_default()
                    .to_string()
            };
            assert!(
                row("saving-materials").contains(&format!("<td>{total}</td><td>{asked}</td>")),
                "{b} {code}: {}",
                row("saving-materials")
            );
            assert!(row("saving-days").contains(&format!("<td>{days}</td>")));
        }
        // The newborn bundle keeps its promise of at most 5 working days.
        assert!(list[0]["promised_days"].as_u64().is_some_and(|d| d <= 5));
    }
}

#[tokio::test]
async fn one_form_each_material_once_and_one_submission() {
    for app in apps("bundle_api").await {
        let b = &app.backend;
        let applicant = app.login("applicant").await;
        let clerk = app.login("clerk").await;
        let reviewer = app.login("reviewer").await;
        // The tailored list before starting, without signing in.
        let sel = app
            .api(
                Method::POST,
                "/api/v1/bundles/newborn/select",
                None,
                Some(json!({"answers": {"parents_local": "no", "mother_insured": "yes", "married": "yes"}})),
            )
            .await
            .json(b, "select");
        assert_eq!(
            sel["selection"]["items"].as_array().map(Vec::len),
            Some(5),
            "{b}"
        );
        assert!(
            sel["selection"]["notes"][0]
                .as_str()
                .is_some_and(|n| n.contains("派出所"))
        );
        let bad = app
            .api(
                Method::POST,
                "/api/v1/bundles/newborn/select",
                None,
                Some(json!({"answers": {"parents_local": "maybe"}})),
            )
            .await;
        assert_error(
            b,
            "bad answers",
            &bad,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        // Start twice with one key: one application.
        let start =
            json!({"bundle": "newborn", "answers": all_yes(), "client_key": "double-click"});
        let r1 = app
            .api(
                Method::POST,
                "/api/v1/bundle-cases",
                Some(&applicant),
                Some(start.clone()),
            )
            .await;
        assert_eq!(r1.status, StatusCode::CREATED, "{b}: {}", r1.text());
        let r2 = app
            .api(
                Method::POST,
                "/api/v1/bundle-cases",
                Some(&applicant),
                Some(start),
            )
            .await;
        let id = r1.json(b, "start")["bundle"]["id"].as_i64().expect("id");
        assert_eq!(r2.json(b, "again")["bundle"]["id"].as_i64(), Some(id));
        // Staff cannot start one for themselves.
        let r = app
            .api(
                Method::POST,
                "/api/v1/bundle-cases",
                Some(&clerk),
                Some(json!({"bundle": "newborn", "answers": all_yes()})),
            )
            .await;
        assert_error(b, "clerk starts", &r, StatusCode::FORBIDDEN, "forbidden");
        // A form missing a mapped field is refused by field, and nothing is saved.
        let mut partial = newborn_form();
        partial["baby_name"] = json!("");
        let r = app
            .api(
                Method::PUT,
                &format!("/api/v1/bundle-cases/{id}/form"),
                Some(&applicant),
                Some(json!({"form": partial})),
            )
            .await;
        let e = assert_error(
            b,
            "missing field",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        assert!(e.to_string().contains("form.baby_name"), "{b}: {e}");
        let r = app
            .api(
                Method::PUT,
                &format!("/api/v1/bundle-cases/{id}/form"),
                Some(&applicant),
                Some(json!({"form": newborn_form()})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: {}", r.text());
        let rec = r.json(b, "form");
        let slots = rec["slots"].as_array().cloned().unwrap_or_default();
        // Each material once: no two slots are the same document.
        let keys: BTreeSet<(String, String, bool)> = slots
            .iter()
            .map(|s| {
                (
                    s["name"].as_str().unwrap_or_default().to_string(),
                    s["standard"].as_str().unwrap_or_default().to_string(),
                    s["original"].as_bool().unwrap_or(false),
                )
            })
            .collect();
        assert_eq!(keys.len(), slots.len(), "{b}");
        // Submitting with a material missing names it and creates nothing.
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/bundle-cases/{id}/submit"),
                Some(&applicant),
                None,
            )
            .await;
        assert_error(
            b,
            "missing materials",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        // Only what is asked is uploaded: a 免提交 or passed-on document is
        // refused with the reason.
        let asked: Vec<usize> = (0..slots.len())
            .filter(|i| slots[*i]["provided"].is_null())
            .collect();
        assert!(
            asked.len() < slots.len(),
            "{b}: the newborn's ID cards are obtained"
        );
        let spared = (0..slots.len()).find(|i| !asked.contains(i)).unwrap_or(0);
        let r = put_file(
            &app,
            &applicant,
            &format!("/api/v1/bundle-cases/{id}/slots/{spared}/files?name=id.pdf"),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{b}: {}",
            r.text()
        );
        assert!(r.text().contains("not_asked"), "{b}: {}", r.text());
        for &i in &asked {
            let r = put_file(
                &app,
                &applicant,
                &format!("/api/v1/bundle-cases/{id}/slots/{i}/files?name=m{i}.pdf"),
            )
            .await;
            assert_eq!(r.status, StatusCode::CREATED, "{b}: slot {i}: {}", r.text());
        }
        // Not a PDF: refused.
        let first = asked.first().copied().unwrap_or(0);
        let req = Request::builder()
            .method(Method::PUT)
            .uri(format!(
                "/api/v1/bundle-cases/{id}/slots/{first}/files?name=x.exe"
            ))
            .header(header::COOKIE, applicant.cookie.as_str())
            .header("x-csrf-token", applicant.csrf.as_str())
            .body(Body::from(b"MZ\x90\x00 not a document".to_vec()))
            .expect("request");
        assert_error(
            b,
            "sniffed",
            &app.send(req).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        // Without the CSRF header nothing happens.
        let req = Request::builder()
            .method(Method::POST)
            .uri(format!("/api/v1/bundle-cases/{id}/submit"))
            .header(header::COOKIE, applicant.cookie.as_str())
            .body(Body::empty())
            .expect("request");
        assert_eq!(app.send(req).await.status, StatusCode::FORBIDDEN, "{b}");
        // Another applicant neither sees nor submits it.
        app.store()
            .create_user(NewUser {
                username: "other",
                display_name: "王五",
                password: PASSWORD,
                role: Role::Applicant,
                centre_id: 1,
                department_id: None,
                id_number: None,
                phone: "13900000000",
            })
            .await
            .expect("user");
        let other = app.login("other").await;
        for (m, uri) in [
            (Method::GET, format!("/api/v1/bundle-cases/{id}")),
            (Method::POST, format!("/api/v1/bundle-cases/{id}/submit")),
        ] {
            let r = app.api(m, &uri, Some(&other), None).await;
            assert_error(b, "other applicant", &r, StatusCode::NOT_FOUND, "not_found");
        }
        // Submit twice (a double click): one application, six sub-cases.
        let s1 = app
            .api(
                Method::POST,
                &format!("/api/v1/bundle-cases/{id}/submit"),
                Some(&applicant),
                None,
            )
            .await;
        assert_eq!(s1.status, StatusCode::OK, "{b}: {}", s1.text());
        let s2 = app
            .api(
                Method::POST,
                &format!("/api/v1/bundle-cases/{id}/submit"),
                Some(&applicant),
                None,
            )
            .await
            .json(b, "again");
        assert_eq!(s2["sub_cases"].as_array().map(Vec::len), Some(6), "{b}");
        assert_eq!(s2["bundle"]["state"].as_str(), Some("in_progress"));
        // 办件查询 finds the bundle by its number and the confirmation's code,
        // without signing in, with no personal data.
        let confirm = app
            .get_page(&format!("/bundle-cases/{id}/submitted"), Some(&applicant))
            .await
            .text();
        let code = confirm
            .split("id=\"verify-code\">")
            .nth(1)
            .and_then(|r| r.split('<').next())
            .unwrap_or_default()
            .to_string();
        assert_eq!(code.len(), 8, "{b}: the code on the confirmation");
        let bundle_no = s2["bundle"]["bundle_no"].as_str().unwrap_or_default();
        let found = app
            .api(
                Method::POST,
                "/api/v1/progress/bundle",
                None,
                Some(json!({"bundle_no": bundle_no, "code": code})),
            )
            .await;
        assert_eq!(found.status, StatusCode::OK, "{b}: {}", found.text());
        let found = found.json(b, "bundle progress");
        assert_eq!(found["services"].as_array().map(Vec::len), Some(6), "{b}");
        assert_eq!(found["state"].as_str(), Some("in_progress"), "{b}");
        assert!(
            !found.to_string().contains("张三"),
            "{b}: no name in {found}"
        );
        let wrong = app
            .api(
                Method::POST,
                "/api/v1/progress/bundle",
                None,
                Some(json!({"bundle_no": bundle_no, "code": "ABCDEFGH"})),
            )
            .await;
        assert_error(b, "wrong code", &wrong, StatusCode::NOT_FOUND, "not_found");
        let mine = app
            .api(
                Method::GET,
                "/api/v1/cases?view=mine",
                Some(&applicant),
                None,
            )
            .await
            .json(b, "mine");
        assert_eq!(mine["cases"].as_array().map(Vec::len), Some(6), "{b}");
        // A department reviewer does not see the bundle itself; the applicant cannot accept.
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/bundle-cases/{id}"),
                Some(&reviewer),
                None,
            )
            .await;
        assert_error(b, "reviewer", &r, StatusCode::NOT_FOUND, "not_found");
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/bundle-cases/{id}/accept"),
                Some(&applicant),
                None,
            )
            .await;
        assert_error(
            b,
            "applicant accepts",
            &r,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        // The clerk sees it in the intake list (name masked) and accepts everything at once.
        let q = app
            .api(Method::GET, "/api/v1/bundle-cases", Some(&clerk), None)
            .await
            .json(b, "queue");
        let shown = q["bundle_cases"][0]["applicant_name"]
            .as_str()
            .unwrap_or_default();
        assert!(
            shown.starts_with("张*") && !shown.contains('三'),
            "{b}: {q}"
        );
        assert!(
            q["bundle_cases"][0].get("form").is_none(),
            "{b}: no form data in lists"
        );
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/bundle-cases/{id}/accept"),
                Some(&clerk),
                None,
            )
            .await
            .json(b, "accept");
        assert!(
            r["sub_cases"]
                .as_array()
                .is_some_and(|s| s.iter().all(|c| c["state"] == "review")),
            "{b}: {r}"
        );
        let inbox = app
            .api(
                Method::GET,
                "/api/v1/cases?view=inbox",
                Some(&reviewer),
                None,
            )
            .await
            .json(b, "inbox");
        assert_eq!(
            inbox["cases"].as_array().map(Vec::len),
            Some(2),
            "{b}: 卫健局's two sub-cases"
        );
    }
}

#[tokio::test]
async fn pages_ask_one_question_at_a_time_and_show_errors() {
    for app in apps("bundle_pages").await {
        let b = &app.backend;
        let applicant = app.login("applicant").await;
        let r = app.get_page("/bundles/newborn/ask?step=0", None).await;
        assert_eq!(r.status, StatusCode::OK);
        let t = r.text();
        assert!(
            t.contains("问题 1 / 3") && t.contains("父母一方户籍是否在本区"),
            "{b}"
        );
        // An unanswered earlier question is asked again with an error summary.
        let r = app
            .get_page("/bundles/newborn/ask?step=2&a_parents_local=yes", None)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert!(r.text().contains("error-summary") && r.text().contains("问题 2 / 3"));
        // All answered: the tailored list.
        let list = app
            .get_page(
                "/bundles/newborn/ask?step=3&a_parents_local=no&a_mother_insured=yes&a_married=yes",
                Some(&applicant),
            )
            .await
            .text();
        assert!(
            list.contains("将同时办理（5）") && !list.contains("出生登记（户口登记）</li>"),
            "{b}"
        );
        let csrf = applicant.csrf.clone();
        let r = app
            .post_form(
                "/bundles/newborn/start",
                &applicant,
                &format!("csrf={csrf}&client_key=p1&a_parents_local=yes&a_mother_insured=yes&a_married=yes"),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{b}: {}", r.text());
        let to = r.header("location").unwrap_or_default();
        assert!(to.ends_with("/form"), "{b}: {to}");
        let form = app.get_page(&to, Some(&applicant)).await.text();
        // Prefilled from the account.
        assert!(
            form.contains("id=\"prefilled\"") && form.contains("value=\"13800000000\""),
            "{b}"
        );
        // Without the CSRF token the post changes nothing.
        let r = app.post_form(&to, &applicant, "form.baby_name=x").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{b}");
        let r = app
            .post_form(
                &to,
                &applicant,
                &format!("csrf={csrf}&form.baby_name=&form.birth_date=2026-13-01"),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let t = r.text();
        assert!(
            t.contains("error-summary")
                && t.contains("#f-form_baby_name")
                && t.contains("#f-form_birth_date"),
            "{b}"
        );
        // The admin's list and editor; a department admin is turned away.
        let admin = app.login("catalog").await;
        assert!(
            app.get_page("/admin/bundles", Some(&admin))
                .await
                .text()
                .contains("newborn")
        );
        let page = app
            .get_page("/admin/bundles/newborn", Some(&admin))
            .await
            .text();
        assert!(
            page.contains("“父母一方户籍是否在本区？” = no"),
            "{b}: readable rules"
        );
        let wjw = app.login("catalog_wjw").await;
        assert_eq!(
            app.get_page("/admin/bundles", Some(&wjw)).await.status,
            StatusCode::FORBIDDEN
        );
    }
}

#[tokio::test]
async fn publishing_over_the_api_refuses_an_unfilled_mapping() {
    for app in apps("bundle_admin").await {
        let b = &app.backend;
        let admin = app.login("catalog").await;
        let wjw = app.login("catalog_wjw").await;
        let r = app
            .api(
                Method::POST,
                "/api/v1/admin/bundles/business-start/versions",
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}: {}", r.text());
        let v = r.json(b, "new version");
        let vid = v["id"].as_i64().expect("id");
        let mut doc = v["doc"].clone();
        // Point a mapping at a field that does not exist.
        doc["fields"][0]["maps_to"][0]["field"] = json!("no_such_field");
        let r = app
            .api(
                Method::PUT,
                &format!("/api/v1/admin/bundle-versions/{vid}"),
                Some(&admin),
                Some(json!({"doc": doc})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: {}", r.text());
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/admin/bundle-versions/{vid}/publish"),
                Some(&wjw),
                None,
            )
            .await;
        assert_error(
            b,
            "department admin",
            &r,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/admin/bundle-versions/{vid}/publish"),
                Some(&admin),
                None,
            )
            .await;
        let e = assert_error(
            b,
            "publish",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        assert!(e.to_string().contains("unknown_field"), "{b}: {e}");
        let live = app
            .api(Method::GET, "/api/v1/bundles/business-start", None, None)
            .await
            .json(b, "live");
        assert_eq!(live["version"].as_i64(), Some(1), "{b}");
    }
}
