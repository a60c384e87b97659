//! The dashboard's figures on both backends, over the demo's weeks of work:
//! the supervisor's XLSX holds the API's figures; a department head sees
//! their department only; nobody else sees anything; the 超期 number opens
//! exactly the cases it counts.

use axum::http::{Method, StatusCode};
use calamine::{Data, DataType, Reader, Xlsx};

use crate::helpers::*;

const Q: &str = "period=year&on=2026-11-20";

#[tokio::test]
async fn figures_exports_scope_and_drill_down() {
    for app in apps("web_kpi_dashboard").await {
        let b = app.backend.clone();
        let files = tongban_store::attachments::Attachments::in_memory();
        let cal = tongban_domain::calendar::WorkCalendar::builtin_with(&[]).expect("calendar");
        tongban_store::demo::load_demo_activity(
            app.store(),
            &files,
            &cal,
            "2026-11-20".parse().expect("day"),
        )
        .await
        .expect("activity");
        let sup = app.login("supervisor").await;
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/indicators/figures?{Q}&by=department"),
                Some(&sup),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: {}", r.text());
        let v = r.json(&b, "figures");
        let rows = v["rows"].as_array().cloned().unwrap_or_default();
        assert!(rows.len() >= 2, "{b}: several departments worked: {v}");
        let apps_of = |row: &serde_json::Value| {
            row["figures"]
                .as_array()
                .and_then(|f| f.iter().find(|x| x["id"] == "applications"))
                .and_then(|x| x["value"].as_f64())
        };
        // The XLSX holds the same figures, row for row.
        let x = app
            .get_page(
                &format!("/indicators/dashboard.xlsx?{Q}&by=department"),
                Some(&sup),
            )
            .await;
        assert_eq!(x.status, StatusCode::OK, "{b}");
        let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(x.body.clone())).expect("xlsx");
        let range = wb.worksheet_range("figures").expect("sheet");
        let sheet: Vec<&[Data]> = range.rows().collect();
        let col = sheet[0]
            .iter()
            .position(|c| *c == Data::String("applications".into()))
            .expect("applications column");
        for row in &rows {
            let key = row["key"].as_str().unwrap_or_default();
            let line = sheet
                .iter()
                .find(|l| l[0] == Data::String(key.into()))
                .unwrap_or_else(|| panic!("{b}: department {key} in the workbook"));
            assert_eq!(line[col].as_f64(), apps_of(row), "{b}: department {key}");
        }
        // The dashboard page and its tiles.
        let page = app
            .get_page(&format!("/indicators/dashboard?{Q}"), Some(&sup))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{b}: {}", page.text());
        let html = page.text();
        assert!(
            html.contains("id=\"tile-overdue\"") && html.contains("<svg"),
            "{b}"
        );
        // 超期 opens the cases it counts: each listed case is past its promise.
        let total = v["total"].as_array().cloned().unwrap_or_default();
        let overdue = total
            .iter()
            .find(|f| f["id"] == "overdue")
            .and_then(|f| f["value"].as_f64())
            .unwrap_or(0.0);
        let cases = app
            .api(
                Method::GET,
                &format!("/api/v1/indicators/cases?what=overdue&{Q}"),
                Some(&sup),
                None,
            )
            .await;
        assert_eq!(cases.status, StatusCode::OK, "{b}: {}", cases.text());
        let list = cases.json(&b, "cases")["cases"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(overdue >= 1.0, "{b}: the demo's late work is counted");
        assert_eq!(list.len() as f64, overdue, "{b}: the list is the number");
        for c in &list {
            assert!(c["days_over"].as_i64().is_some_and(|d| d > 0), "{b}: {c}");
            assert!(
                !c["applicant_name"].as_str().unwrap_or("").contains("李四"),
                "{b}: masked {c}"
            );
        }
        // A head: their department only; another department is not found.
        let head = app.login("head").await;
        let own = app
            .store()
            .actor("head")
            .await
            .expect("read")
            .expect("head");
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/indicators/figures?{Q}&by=department"),
                Some(&head),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}");
        let keys: Vec<String> = r.json(&b, "head")["rows"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|x| x["key"].as_str().map(String::from))
            .collect();
        let own_dep = own.department_id.expect("a department").to_string();
        assert!(keys.iter().all(|k| *k == own_dep), "{b}: {keys:?}");
        let other = rows
            .iter()
            .filter_map(|r| r["key"].as_str())
            .find(|k| *k != own_dep)
            .expect("another department");
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/indicators/figures?{Q}&department={other}"),
                Some(&head),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{b}");
        // The pages take the filters as the dashboard's links give them.
        for path in [
            format!("/indicators/cases?what=overdue&{Q}&department={own_dep}"),
            format!("/indicators/dashboard.csv?{Q}&department={own_dep}&by=item"),
            format!(
                "/indicators/dashboard?{Q}&department={own_dep}&channel=window&centre=&item=&from=&to="
            ),
        ] {
            let r = app.get_page(&path, Some(&sup)).await;
            assert_eq!(r.status, StatusCode::OK, "{b}: {path}: {}", r.text());
        }
        // Applicants and clerks see nothing.
        for who in ["applicant", "clerk"] {
            let l = app.login(who).await;
            let r = app
                .api(Method::GET, "/api/v1/indicators/figures", Some(&l), None)
                .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{b}: {who}");
            let p = app.get_page("/indicators/dashboard", Some(&l)).await;
            assert_eq!(p.status, StatusCode::NOT_FOUND, "{b}: {who}");
        }
        // Bad filters are named.
        let r = app
            .api(
                Method::GET,
                "/api/v1/indicators/figures?period=fortnight",
                Some(&sup),
                None,
            )
            .await;
        assert_error(
            &b,
            "period",
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
    }
}
