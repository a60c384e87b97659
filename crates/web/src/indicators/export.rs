//! The figures as files: any table as CSV or XLSX, and the monthly 指标调度
//! report — one workbook per centre and month, a sheet per indicator group
//! with the departments as rows, this month beside the previous one and
//! the rank, and the definitions. The same database gives the same cells:
//! nothing in a file depends on when or where it was made. Text cells that
//! start like a formula are neutralised, in CSV and in XLSX alike.

use std::collections::HashMap;

use chrono::{Datelike, Months, NaiveDate};
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use tongban_domain::export::{csv_row, neutralise};
use tongban_domain::indicators::values::{Dim, Scope, Totals, value};
use tongban_domain::indicators::{Group, Indicator, REGISTRY};
use tongban_store::Store;

use super::figures::{show, totals};
use crate::http::ApiError;

/// One table: a label per row and the registry's indicators as columns.
pub struct Table {
    pub key_header: &'static str,
    pub rows: Vec<(String, String, Totals)>,
}

/// The indicators a table shows (those the platform captures).
pub fn columns() -> Vec<&'static Indicator> {
    REGISTRY
        .iter()
        .filter(|i| value(i.id, &Totals::default()).is_some())
        .collect()
}

/// A table as CSV (UTF-8 with BOM, as spreadsheet programs expect).
pub fn table_csv(t: &Table) -> String {
    let cols = columns();
    let mut out = String::from("\u{feff}");
    let mut head = vec![t.key_header.to_string(), "name".to_string()];
    head.extend(cols.iter().map(|i| i.id.to_string()));
    out.push_str(&csv_row(&head));
    for (key, label, totals) in &t.rows {
        let mut line = vec![key.clone(), label.clone()];
        line.extend(
            cols.iter()
                .map(|i| number(value(i.id, totals).and_then(|v| v.value))),
        );
        out.push_str(&csv_row(&line));
    }
    out
}

/// A figure as a file holds it: two decimals, empty when none.
fn number(v: Option<f64>) -> String {
    v.map(|x| format!("{:.2}", (x * 100.0).round() / 100.0))
        .unwrap_or_default()
}

fn xlsx_err(e: XlsxError) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "export_failed",
        format!("生成表格失败：{e}"),
        format!("the workbook could not be made: {e}"),
    )
}

/// Writes a text cell, neutralised.
fn text(ws: &mut Worksheet, r: u32, c: u16, s: &str) -> Result<(), XlsxError> {
    ws.write_string(r, c, neutralise(s).as_ref())?;
    Ok(())
}

/// A table as an XLSX workbook of one sheet.
pub fn table_xlsx(t: &Table) -> Result<Vec<u8>, ApiError> {
    let build = || -> Result<Vec<u8>, XlsxError> {
        let cols = columns();
        let mut wb = Workbook::new();
        let bold = Format::new().set_bold();
        let ws = wb.add_worksheet();
        ws.set_name("figures")?;
        ws.write_string_with_format(0, 0, t.key_header, &bold)?;
        ws.write_string_with_format(0, 1, "name", &bold)?;
        for (j, i) in cols.iter().enumerate() {
            ws.write_string_with_format(0, col(j + 2), i.id, &bold)?;
        }
        for (r, (key, label, totals)) in t.rows.iter().enumerate() {
            let r = row(r + 1);
            text(ws, r, 0, key)?;
            text(ws, r, 1, label)?;
            for (j, i) in cols.iter().enumerate() {
                if let Some(v) = value(i.id, totals).and_then(|v| v.value) {
                    ws.write_number(r, col(j + 2), round2(v))?;
                }
            }
        }
        wb.save_to_buffer()
    };
    build().map_err(xlsx_err)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
fn row(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}
fn col(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

/// The month `2026-11` as its first and last day.
pub fn month_bounds(month: &str) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()?;
    if first.format("%Y-%m").to_string() != month {
        return None;
    }
    let last = first.checked_add_months(Months::new(1))?.pred_opt()?;
    Some((first, last))
}

/// Ranks of a column: 1 for the best; ties share a rank; rows without a
/// figure have none.
pub fn ranks(values: &[Option<f64>], higher_is_better: bool) -> Vec<Option<usize>> {
    values
        .iter()
        .map(|v| {
            v.map(|x| {
                1 + values
                    .iter()
                    .flatten()
                    .filter(|y| if higher_is_better { **y > x } else { **y < x })
                    .count()
            })
        })
        .collect()
}

/// The monthly 指标调度 report of a centre (its own and its districts'
/// cases, by department).
pub async fn monthly_report(
    store: &Store,
    centre_id: i64,
    month: &str,
) -> Result<Vec<u8>, ApiError> {
    let Some((from, to)) = month_bounds(month) else {
        return Err(ApiError::invalid(tongban_domain::FieldErrors(vec![
            tongban_domain::FieldError::new(
                "month",
                "invalid",
                "月份格式为 YYYY-MM",
                "the month is written YYYY-MM",
            ),
        ])));
    };
    let centres = store.centres().await?;
    let Some(centre) = centres.iter().find(|c| c.id == centre_id) else {
        return Err(ApiError::not_found("centre"));
    };
    let scope = Scope {
        centre_path: centre.path.clone(),
        ..Default::default()
    };
    let prev_from = from - Months::new(1);
    let prev_to = from.pred_opt().unwrap_or(from);
    let now = totals(store, &scope, from, to, Dim::Department, None).await?;
    let before: HashMap<String, Totals> =
        totals(store, &scope, prev_from, prev_to, Dim::Department, None)
            .await?
            .into_iter()
            .collect();
    let all_now = totals(store, &scope, from, to, Dim::Total, None).await?;
    let all_before = totals(store, &scope, prev_from, prev_to, Dim::Total, None).await?;
    let names: HashMap<String, String> = store
        .departments()
        .await?
        .into_iter()
        .filter(|d| d.centre_path.starts_with(&centre.path))
        .map(|d| (d.id.to_string(), d.name))
        .collect();
    // Every department of the centre has a row, in id order, counted or not.
    let mut keys: Vec<String> = names.keys().cloned().collect();
    for (k, _) in &now {
        if !keys.contains(k) {
            keys.push(k.clone());
        }
    }
    keys.sort_by_key(|k| k.parse::<i64>().unwrap_or(i64::MAX));
    let now: HashMap<String, Totals> = now.into_iter().collect();
    let empty = Totals::default();
    let build = || -> Result<Vec<u8>, XlsxError> {
        let mut wb = Workbook::new();
        let bold = Format::new().set_bold();
        for g in Group::ALL {
            let inds: Vec<&Indicator> = columns().into_iter().filter(|i| i.group == *g).collect();
            if inds.is_empty() {
                continue;
            }
            let ws = wb.add_worksheet();
            ws.set_name(g.zh())?;
            ws.write_string_with_format(
                0,
                0,
                format!("{} {} {}", centre.name, month, g.zh()),
                &bold,
            )?;
            ws.write_string_with_format(1, 0, "department_id", &bold)?;
            ws.write_string_with_format(1, 1, "部门", &bold)?;
            for (j, i) in inds.iter().enumerate() {
                let c = col(2 + j * 3);
                ws.write_string_with_format(1, c, format!("{}（{}）", i.zh, i.id), &bold)?;
                ws.write_string_with_format(1, c + 1, format!("上月 {}", i.id), &bold)?;
                ws.write_string_with_format(1, c + 2, format!("排名 {}", i.id), &bold)?;
            }
            for (j, i) in inds.iter().enumerate() {
                let vals: Vec<Option<f64>> = keys
                    .iter()
                    .map(|k| value(i.id, now.get(k).unwrap_or(&empty)).and_then(|v| v.value))
                    .collect();
                let rk = ranks(&vals, i.higher_is_better);
                let c = col(2 + j * 3);
                for (r, k) in keys.iter().enumerate() {
                    let r = row(r + 2);
                    if j == 0 {
                        text(ws, r, 0, k)?;
                        text(ws, r, 1, names.get(k).map(String::as_str).unwrap_or(""))?;
                    }
                    if let Some(v) = vals[r as usize - 2] {
                        ws.write_number(r, c, round2(v))?;
                    }
                    if let Some(v) =
                        value(i.id, before.get(k).unwrap_or(&empty)).and_then(|v| v.value)
                    {
                        ws.write_number(r, c + 1, round2(v))?;
                    }
                    if let Some(n) = rk[r as usize - 2] {
                        ws.write_number(r, c + 2, n as f64)?;
                    }
                }
                // The centre's total under the departments.
                let r = row(keys.len() + 2);
                if j == 0 {
                    ws.write_string_with_format(r, 1, "合计", &bold)?;
                }
                let t = all_now.first().map(|x| &x.1).unwrap_or(&empty);
                let p = all_before.first().map(|x| &x.1).unwrap_or(&empty);
                if let Some(v) = value(i.id, t).and_then(|v| v.value) {
                    ws.write_number(r, c, round2(v))?;
                }
                if let Some(v) = value(i.id, p).and_then(|v| v.value) {
                    ws.write_number(r, c + 1, round2(v))?;
                }
            }
        }
        let ws = wb.add_worksheet();
        ws.set_name("指标定义")?;
        for (c, h) in [
            "id",
            "指标",
            "Indicator",
            "定义",
            "公式",
            "单位",
            "工作日口径",
        ]
        .iter()
        .enumerate()
        {
            ws.write_string_with_format(0, col(c), *h, &bold)?;
        }
        for (r, i) in REGISTRY.iter().enumerate() {
            let r = row(r + 1);
            for (c, v) in [
                i.id,
                i.zh,
                i.en,
                i.definition_zh,
                i.formula,
                i.unit.zh(),
                i.workdays_zh,
            ]
            .iter()
            .enumerate()
            {
                text(ws, r, col(c), v)?;
            }
        }
        wb.save_to_buffer()
    };
    build().map_err(xlsx_err)
}

/// The month before the one `today` is in (`2026-11` in December 2026).
pub fn last_month(today: NaiveDate) -> String {
    let first = today.with_day(1).unwrap_or(today);
    (first - Months::new(1)).format("%Y-%m").to_string()
}

/// Shows a figure as the pages do (used by the table pages).
pub fn cell(i: &Indicator, t: &Totals) -> String {
    show(i.unit, value(i.id, t).and_then(|v| v.value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_share_ties_and_skip_missing() {
        let v = [Some(90.0), None, Some(95.0), Some(90.0)];
        assert_eq!(ranks(&v, true), vec![Some(2), None, Some(1), Some(2)]);
        assert_eq!(ranks(&v, false), vec![Some(1), None, Some(3), Some(1)]);
    }

    #[test]
    fn months_are_checked() {
        let d = |s: &str| s.parse::<NaiveDate>().expect("date");
        assert_eq!(
            month_bounds("2026-02"),
            Some((d("2026-02-01"), d("2026-02-28")))
        );
        assert_eq!(month_bounds("2026-13"), None);
        assert_eq!(month_bounds("2026-2"), None);
        assert_eq!(month_bounds("x"), None);
        assert_eq!(last_month(d("2026-01-15")), "2025-12");
    }
}

#[cfg(test)]
mod file_tests {
    use calamine::{Data, Reader, Xlsx};

    use super::*;

    fn table() -> Table {
        let mut t = Totals::default();
        t.add("submitted", 7);
        t.add("accepted", 3);
        t.add("not_accepted", 1);
        Table {
            key_header: "department_id",
            rows: vec![("5".into(), "=HYPERLINK(\"http://x\")".into(), t)],
        }
    }

    #[test]
    fn csv_and_xlsx_neutralise_formula_cells_and_hold_the_figures() {
        let csv = table_csv(&table());
        assert!(csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{csv}");
        assert!(
            csv.contains(",7.00,75.00,"),
            "applications 7, acceptance 3 ÷ 4: {csv}"
        );
        let bytes = table_xlsx(&table()).expect("xlsx");
        let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("opens");
        let r = wb.worksheet_range("figures").expect("sheet");
        let rows: Vec<&[Data]> = r.rows().collect();
        assert_eq!(rows[0][2], Data::String("applications".into()));
        assert_eq!(rows[1][1], Data::String("'=HYPERLINK(\"http://x\")".into()));
        assert_eq!(rows[1][2], Data::Float(7.0));
        assert_eq!(rows[1][3], Data::Float(75.0));
    }
}
