//! Defect 7: spreadsheet exports never hold a formula — every cell that
//! starts with `=`, `+`, `-`, `@`, a tab or a carriage return is written with
//! a leading apostrophe. Checked on the CSV writer of the guide audit and on
//! the audit report as a catalogue admin downloads it.

use tongban_domain::audit::Severity;
use tongban_store::guide_audit::{FindingStatus, StoredFinding};

use super::*;

const EVIL: &str = "=1+cmd|\" /C calc\"!A0";

/// RFC 4180 CSV (as the exports write it) into rows of cells; a leading BOM is dropped.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (mut rows, mut row, mut cell) = (Vec::new(), Vec::new(), String::new());
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cell.push('"');
                } else {
                    quoted = false;
                }
            } else {
                cell.push(c);
            }
            continue;
        }
        match c {
            '"' if cell.is_empty() => quoted = true,
            ',' => row.push(std::mem::take(&mut cell)),
            '\n' => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            _ => cell.push(c),
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows
}

/// Whether a spreadsheet would run the cell as a formula.
fn formula(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

fn finding(id: i64, item_name: &str) -> StoredFinding {
    StoredFinding {
        id,
        impl_code: "+11339901MB000000114010103001000".into(),
        item_name: item_name.into(),
        item_version: 2,
        department_id: 1,
        centre_path: "/1/".into(),
        rule_id: "-R01".into(),
        severity: Severity::Warning,
        element: "@materials[0]".into(),
        message_zh: "=HYPERLINK(\"http://example.test\",\"点此\")".into(),
        message_en: "\t=1+1".into(),
        status: FindingStatus::Open,
        first_seen_at: 0,
        last_seen_at: 0,
        fixed_at: None,
        fixed_by: None,
        fix_note: "\r=2+2".into(),
        verified_at: None,
        verified_by: None,
        reopened: 0,
    }
}

#[test]
fn the_audit_csv_neutralises_every_formula_cell() {
    let names = [
        EVIL,
        "+1+1",
        "-2+3",
        "@SUM(A1:A9)",
        "\t=1",
        "\r=1",
        "出生医学证明首次签发",
        "a=b",
    ];
    let findings: Vec<StoredFinding> = names
        .iter()
        .enumerate()
        .map(|(i, n)| finding(i as i64 + 1, n))
        .collect();
    let csv = tongban_web::api::findings_csv(&findings);
    assert!(csv.starts_with('\u{feff}'), "UTF-8 with BOM");
    let rows = parse_csv(&csv);
    assert_eq!(
        rows.len(),
        names.len() + 1,
        "a header and one row per finding: {csv:?}"
    );
    let header = &rows[0];
    let col = header
        .iter()
        .position(|h| h == "item_name")
        .unwrap_or_else(|| panic!("an item_name column in {header:?}"));
    for (row, name) in rows[1..].iter().zip(names) {
        assert_eq!(row.len(), header.len(), "{name:?}: a whole row: {row:?}");
        let cell = &row[col];
        if formula(name) {
            assert_eq!(*cell, format!("'{name}"), "{name:?} is written as text");
        } else {
            assert_eq!(cell, name, "{name:?} is written as it is");
        }
        for c in row {
            assert!(!formula(c), "a cell runs as a formula: {c:?} in {row:?}");
        }
    }
}

#[tokio::test]
async fn the_audit_report_a_catalogue_admin_downloads_holds_no_formula() {
    for app in apps("hard_exports").await {
        let b = app.backend.clone();
        let admin = app.login("catalog").await;
        let r = app
            .api(Method::POST, "/api/v1/admin/audit/runs", Some(&admin), None)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}: audit: {}", r.text());
        let r = app
            .api(
                Method::GET,
                "/api/v1/admin/audit/findings",
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: findings: {}", r.text());
        let all = r.json(&b, "findings");
        // An item whose findings are only warnings or advice: one with an
        // error-level finding cannot be published until it is fixed.
        let errs: Vec<&str> = all
            .as_array()
            .map(|f| {
                f.iter()
                    .filter(|x| x["severity"] == "error")
                    .filter_map(|x| x["impl_code"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        let code = all
            .as_array()
            .and_then(|f| {
                f.iter().find(|x| {
                    !x["element"].as_str().unwrap_or_default().contains("name")
                        && !errs.contains(&x["impl_code"].as_str().unwrap_or_default())
                })
            })
            .and_then(|x| x["impl_code"].as_str())
            .unwrap_or_else(|| panic!("{b}: the demo catalogue has audit findings: {all}"))
            .to_string();
        // The admin renames the item to a formula and publishes it.
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/admin/catalog/{code}/versions"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{b}: new version: {}",
            r.text()
        );
        let draft = r.json(&b, "draft");
        let id = draft["id"].as_i64().expect("draft id");
        let mut doc = draft["doc"].clone();
        doc["name"] = json!(EVIL);
        let r = app
            .api(
                Method::PUT,
                &format!("/api/v1/admin/items/{id}"),
                Some(&admin),
                Some(json!({"doc": doc, "updated_at": draft["updated_at"]})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: rename: {}", r.text());
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/admin/items/{id}/publish"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: publish: {}", r.text());
        let r = app
            .api(Method::POST, "/api/v1/admin/audit/runs", Some(&admin), None)
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{b}: audit again: {}",
            r.text()
        );

        let r = app
            .get_page(
                &format!("/api/v1/admin/audit/report.csv?item={}", pct(&code)),
                Some(&admin),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}: report: {}", r.text());
        assert!(
            r.header("content-type")
                .is_some_and(|c| c.starts_with("text/csv")),
            "{b}: {:?}",
            r.header("content-type")
        );
        let rows = parse_csv(&r.text());
        assert!(
            rows.len() > 1,
            "{b}: the renamed item has findings: {}",
            r.text()
        );
        let col = rows[0]
            .iter()
            .position(|h| h == "item_name")
            .unwrap_or_else(|| panic!("{b}: an item_name column in {:?}", rows[0]));
        let want = format!("'{EVIL}");
        assert!(
            rows[1..]
                .iter()
                .any(|row| row.get(col).map(String::as_str) == Some(want.as_str())),
            "{b}: the renamed item is in the report as text: {}",
            r.text()
        );
        for row in &rows {
            for c in row {
                assert!(
                    !formula(c),
                    "{b}: a cell runs as a formula: {c:?} in {row:?}"
                );
            }
        }
        // The whole report too (every item).
        let r = app
            .get_page("/api/v1/admin/audit/report.csv", Some(&admin))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{b}");
        for row in parse_csv(&r.text()) {
            for c in &row {
                assert!(!formula(c), "{b}: a cell runs as a formula: {c:?}");
            }
        }
    }
}
