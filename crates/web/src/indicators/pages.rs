//! The dashboard (supervisor: their centre and those below; department
//! head: their department) and the cases behind each number.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tongban_domain::auth::Role;
use tongban_domain::indicators::values::{Dim, Totals, value};
use tongban_domain::indicators::{Indicator, REGISTRY};
use tongban_domain::privacy::Sight;
use tongban_store::indicators::{DrillWhat, StoredReport};

use super::chart::{Point, trend_svg};
use super::export::{Table, cell, columns};
use super::figures::{FigureParams, Period, dim, open_as_of, period, scope, totals};
use crate::AppState;
use crate::chrome::{Chrome, Page, csv_download, download, signed_in};

/// The filters as a query string (without `by`, `what` and `after`).
pub(super) fn qs(p: &FigureParams, per: &Period) -> String {
    let mut q = vec![format!("period={}", per.kind)];
    if per.kind == "custom" {
        q.push(format!("from={}&to={}", per.from, per.to));
    } else {
        q.push(format!("on={}", per.from));
    }
    if let Some(c) = p.centre {
        q.push(format!("centre={c}"));
    }
    if let Some(d) = p.department {
        q.push(format!("department={d}"));
    }
    if let Some(i) = p.item.as_deref().filter(|i| !i.is_empty()) {
        q.push(format!("item={}", crate::chrome::url_encode(i)));
    }
    if let Some(c) = p.channel.as_deref().filter(|c| !c.is_empty()) {
        q.push(format!("channel={c}"));
    }
    q.join("&")
}

struct Tile {
    id: &'static str,
    name: &'static str,
    value: String,
    second: String,
    change: String,
    link: String,
}

struct Opt {
    value: String,
    label: String,
    selected: bool,
}

struct TableRow {
    label: String,
    cells: Vec<(String, String)>,
}

struct Ranked {
    label: String,
    value: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "indicators/dashboard.html")]
struct DashboardPage {
    c: Chrome,
    from: String,
    to: String,
    prev: String,
    periods: Vec<Opt>,
    on: String,
    custom_from: String,
    custom_to: String,
    centres: Vec<Opt>,
    departments: Vec<Opt>,
    channels: Vec<Opt>,
    item: String,
    head: bool,
    tiles: Vec<Tile>,
    chart: String,
    chart_rows: Vec<(String, i64, i64)>,
    columns: Vec<(&'static str, &'static str)>,
    by_department: Vec<TableRow>,
    /// The centres below (a supervisor of a city with districts).
    by_centre: Vec<TableRow>,
    by_item: Vec<TableRow>,
    people: Vec<(String, i64, i64, i64)>,
    /// A department is in scope (the person table is shown).
    person_scope: bool,
    rank_name: &'static str,
    best: Vec<Ranked>,
    worst: Vec<Ranked>,
    query: String,
    reports: Vec<StoredReport>,
}

/// Which cases each tile's number opens.
fn drill_of(id: &str) -> Option<&'static str> {
    Some(match id {
        "applications" => "submitted",
        "acceptance_rate" => "accepted",
        "on_time_rate" => "completed_on_time",
        "overdue" => "overdue",
        "duration" => "decided",
        "instant_share" => "decided_same_day",
        "online_rate" | "one_visit_rate" | "exempted_materials" => "completed",
        _ => return None,
    })
}

fn change(i: &Indicator, now: &Totals, before: &Totals, lang: crate::http::Lang) -> String {
    let a = value(i.id, now).and_then(|v| v.value);
    let b = value(i.id, before).and_then(|v| v.value);
    match (a, b) {
        (Some(a), Some(b)) => {
            let d = a - b;
            let better = if d == 0.0 {
                lang.t("持平", "no change")
            } else if (d > 0.0) == i.higher_is_better {
                lang.t("向好", "better")
            } else {
                lang.t("变差", "worse")
            };
            // A share moves by percentage points.
            let unit = match i.unit {
                tongban_domain::indicators::Unit::Share => lang.t("个百分点", " points"),
                tongban_domain::indicators::Unit::WorkingDays => {
                    lang.t("个工作日", " working days")
                }
                _ => "",
            };
            format!(
                "{}{:.1}{unit} {}（{}）",
                if d >= 0.0 { "+" } else { "" },
                d,
                lang.t("较上期", "on the previous period"),
                better
            )
        }
        _ => lang.t("上期无数据", "nothing to compare").to_string(),
    }
}

pub(super) async fn dashboard(
    State(s): State<AppState>,
    page: Page,
    Query(p): Query<FigureParams>,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?.clone();
    let lang = page.lang;
    let today = s.today();
    let per = period(&p, today).map_err(|e| page.error(e))?;
    let sc = scope(&s, &actor, &p).await.map_err(|e| page.error(e))?;
    let as_of = open_as_of(per.from, per.to, today);
    let store = &s.store;
    let err = |e| page.error(e);
    let now = totals(store, &sc, per.from, per.to, Dim::Total, as_of)
        .await
        .map_err(err)?;
    let before = totals(store, &sc, per.prev_from, per.prev_to, Dim::Total, None)
        .await
        .map_err(err)?;
    let empty = Totals::default();
    let now_t = now.first().map(|x| &x.1).unwrap_or(&empty);
    let before_t = before.first().map(|x| &x.1).unwrap_or(&empty);
    let query = qs(&p, &per);
    let tiles = REGISTRY
        .iter()
        .map(|i| {
            let v = value(i.id, now_t);
            Tile {
                id: i.id,
                name: lang.t(i.zh, i.en),
                value: match &v {
                    Some(v) => super::figures::show(i.unit, v.value),
                    None => lang.t("尚未采集", "not captured yet").to_string(),
                },
                second: match (i.id, v.as_ref().and_then(|v| v.second)) {
                    ("duration", Some(x)) => {
                        format!("P90 {x:.0}{}", lang.t("个工作日", " working days"))
                    }
                    ("satisfaction", Some(x)) => format!("{} {x:.2}", lang.t("平均分", "mean")),
                    ("instant_share", Some(x)) => format!("{} {x:.1}%", lang.t("秒批", "by rules")),
                    _ => String::new(),
                },
                change: if v.is_some() {
                    change(i, now_t, before_t, lang)
                } else {
                    String::new()
                },
                link: match (drill_of(i.id), i.id) {
                    (Some(w), _) => format!("/indicators/cases?what={w}&{query}"),
                    (None, "satisfaction" | "bad_fix_rate" | "visit_rate") => {
                        format!("/ratings?from={}&to={}", per.from, per.to)
                    }
                    _ => format!("/indicators#{}", i.id),
                },
            }
        })
        .collect();
    // The trend: by day, or by month beyond two months.
    let trend_dim = if (per.to - per.from).num_days() > 62 {
        Dim::Month
    } else {
        Dim::Day
    };
    let series = totals(store, &sc, per.from, per.to, trend_dim, None)
        .await
        .map_err(err)?;
    let chart_rows: Vec<(String, i64, i64)> = series
        .iter()
        .map(|(k, t)| {
            (
                k.clone(),
                t.metric(tongban_domain::indicators::rollup::Metric::Submitted),
                t.metric(tongban_domain::indicators::rollup::Metric::Completed),
            )
        })
        .collect();
    let chart = trend_svg(
        &chart_rows
            .iter()
            .map(|(_, a, b)| Point {
                a: *a as f64,
                b: *b as f64,
            })
            .collect::<Vec<_>>(),
        lang.t(
            "办件量（实线）与办结量（虚线）趋势",
            "Submitted (solid) and completed (dashed)",
        ),
    );
    let deps = store
        .departments()
        .await
        .map_err(|e| page.error(e.into()))?;
    let dep_name = |k: &str| {
        if k == "0" {
            return lang
                .t("一件事（未分部门）", "Life events (no one department)")
                .to_string();
        }
        deps.iter()
            .find(|d| d.id.to_string() == k)
            .map(|d| d.name.clone())
            .unwrap_or_else(|| k.to_string())
    };
    let cols = columns();
    let table =
        |rows: &[(String, Totals)], key: &str, label: &dyn Fn(&str) -> String| -> Vec<TableRow> {
            rows.iter()
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, t)| TableRow {
                    label: label(k),
                    cells: cols
                        .iter()
                        .map(|i| {
                            let link = drill_of(i.id)
                                .map(|w| {
                                    format!(
                                        "/indicators/cases?what={w}&{query}&{key}={}",
                                        crate::chrome::url_encode(k)
                                    )
                                })
                                .unwrap_or_default();
                            (cell(i, t), link)
                        })
                        .collect(),
                })
                .collect()
        };
    let by_dep = totals(store, &sc, per.from, per.to, Dim::Department, as_of)
        .await
        .map_err(err)?;
    let by_item = totals(store, &sc, per.from, per.to, Dim::Item, as_of)
        .await
        .map_err(err)?;
    let mut items_sorted = by_item.clone();
    items_sorted
        .sort_by_key(|(_, t)| -t.metric(tongban_domain::indicators::rollup::Metric::Submitted));
    items_sorted.truncate(20);
    // 红黄榜: on-time completion by department, best and worst five, of
    // the departments that completed at least 3 cases (one case is not a
    // rate); a department is on one list only.
    let rank_ind = tongban_domain::indicators::indicator("on_time_rate").unwrap_or(&REGISTRY[0]);
    let mut ranked: Vec<(String, f64)> = by_dep
        .iter()
        .filter_map(|(k, t)| {
            value(rank_ind.id, t)
                .filter(|v| v.denominator >= 3)
                .and_then(|v| v.value)
                .map(|v| (dep_name(k), v))
        })
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let best = ranked
        .iter()
        .take(5)
        .map(|(l, v)| Ranked {
            label: l.clone(),
            value: format!("{v:.1}%"),
        })
        .collect();
    let worst = ranked
        .iter()
        .skip(5)
        .rev()
        .take(5)
        .map(|(l, v)| Ranked {
            label: l.clone(),
            value: format!("{v:.1}%"),
        })
        .collect();
    // Staff: the steps each person took — within one department (a head's,
    // or the one chosen): across a whole city the list is neither useful
    // nor cheap (it reads every day's rollups).
    let by_person = if sc.department_id.is_some() {
        totals(store, &sc, per.from, per.to, Dim::Person, None)
            .await
            .map_err(err)?
    } else {
        Vec::new()
    };
    let ids: Vec<i64> = by_person
        .iter()
        .filter_map(|(k, _)| k.parse().ok())
        .collect();
    let names = store
        .staff_names(&ids)
        .await
        .map_err(|e| page.error(e.into()))?;
    use tongban_domain::indicators::rollup::Metric as M;
    let mut people: Vec<(String, i64, i64, i64)> = by_person
        .iter()
        .filter_map(|(k, t)| {
            let id: i64 = k.parse().ok()?;
            let name = if id == 0 {
                lang.t(
                    "系统（秒批、视为受理）",
                    "the system (rules, deemed acceptance)",
                )
                .to_string()
            } else {
                names.get(&id)?.clone()
            };
            Some((
                name,
                t.metric(M::Accepted),
                t.metric(M::Decided),
                t.metric(M::Completed),
            ))
        })
        .collect();
    people.sort_by(|a, b| {
        (b.1 + b.2 + b.3)
            .cmp(&(a.1 + a.2 + a.3))
            .then(a.0.cmp(&b.0))
    });
    let head = actor.role == Role::Head;
    // By centre, when the scope holds more than one.
    let all_centres = store.centres().await.map_err(|e| page.error(e.into()))?;
    let below = all_centres
        .iter()
        .filter(|c| c.path.starts_with(&sc.centre_path))
        .count();
    let by_centre = if head || below < 2 {
        Vec::new()
    } else {
        let rows = totals(store, &sc, per.from, per.to, Dim::Centre, as_of)
            .await
            .map_err(err)?;
        let centre_name = |k: &str| {
            all_centres
                .iter()
                .find(|c| c.id.to_string() == k)
                .map(|c| c.name.clone())
                .unwrap_or_else(|| k.to_string())
        };
        table(&rows, "centre", &centre_name)
    };
    let centres: Vec<Opt> = if head {
        Vec::new()
    } else {
        store
            .centres()
            .await
            .map_err(|e| page.error(e.into()))?
            .into_iter()
            .filter(|c| c.path.starts_with(&actor.centre_path))
            .map(|c| Opt {
                selected: p.centre == Some(c.id),
                value: c.id.to_string(),
                label: c.name,
            })
            .collect()
    };
    let departments: Vec<Opt> = deps
        .iter()
        .filter(|d| d.centre_path.starts_with(&sc.centre_path))
        .filter(|d| !head || Some(d.id) == actor.department_id)
        .map(|d| Opt {
            selected: p.department == Some(d.id) || (head && Some(d.id) == actor.department_id),
            value: d.id.to_string(),
            label: d.name.clone(),
        })
        .collect();
    let opt = |v: &str, zh: &str, en: &str, cur: &str| Opt {
        value: v.into(),
        label: lang.t(zh, en).into(),
        selected: v == cur,
    };
    let periods = vec![
        opt("day", "日", "Day", per.kind),
        opt("week", "周", "Week", per.kind),
        opt("month", "月", "Month", per.kind),
        opt("quarter", "季度", "Quarter", per.kind),
        opt("year", "年", "Year", per.kind),
        opt("custom", "自定义", "Custom", per.kind),
    ];
    let ch = p.channel.clone().unwrap_or_default();
    let channels = vec![
        opt("", "全部渠道", "All channels", &ch),
        opt("window", "窗口", "Window", &ch),
        opt("online", "网上", "Online", &ch),
    ];
    let reports = if head {
        Vec::new()
    } else {
        store
            .kpi_reports(&actor.centre_path)
            .await
            .map_err(|e| page.error(e.into()))?
    };
    Ok(DashboardPage {
        c: page.chrome(),
        from: per.from.to_string(),
        to: per.to.to_string(),
        prev: format!("{} – {}", per.prev_from, per.prev_to),
        periods,
        on: p.on.unwrap_or(today).to_string(),
        custom_from: p.from.map(|d| d.to_string()).unwrap_or_default(),
        custom_to: p.to.map(|d| d.to_string()).unwrap_or_default(),
        centres,
        departments,
        channels,
        item: p.item.clone().unwrap_or_default(),
        head,
        tiles,
        chart,
        chart_rows,
        columns: cols.iter().map(|i| (i.id, lang.t(i.zh, i.en))).collect(),
        by_department: table(&by_dep, "department", &dep_name),
        by_centre,
        by_item: table(&items_sorted, "item", &|k: &str| k.to_string()),
        people,
        person_scope: sc.department_id.is_some(),
        rank_name: lang.t(rank_ind.zh, rank_ind.en),
        best,
        worst,
        query,
        reports,
    }
    .into_response())
}

pub(super) async fn table_file(
    s: &AppState,
    page: &Page,
    p: &FigureParams,
) -> Result<Table, Response> {
    let actor = signed_in(page)?.clone();
    let per = period(p, s.today()).map_err(|e| page.error(e))?;
    let sc = scope(s, &actor, p).await.map_err(|e| page.error(e))?;
    let d = dim(p).map_err(|e| page.error(e))?;
    let rows = totals(
        &s.store,
        &sc,
        per.from,
        per.to,
        d,
        open_as_of(per.from, per.to, s.today()),
    )
    .await
    .map_err(|e| page.error(e))?;
    let labels: std::collections::HashMap<String, String> = match d {
        Dim::Department => s
            .store
            .departments()
            .await
            .map_err(|e| page.error(e.into()))?
            .into_iter()
            .map(|x| (x.id.to_string(), x.name))
            .collect(),
        Dim::Centre => s
            .store
            .centres()
            .await
            .map_err(|e| page.error(e.into()))?
            .into_iter()
            .map(|x| (x.id.to_string(), x.name))
            .collect(),
        Dim::Person => {
            let ids: Vec<i64> = rows.iter().filter_map(|(k, _)| k.parse().ok()).collect();
            s.store
                .staff_names(&ids)
                .await
                .map_err(|e| page.error(e.into()))?
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect()
        }
        _ => Default::default(),
    };
    Ok(Table {
        key_header: match d {
            Dim::Total => "total",
            Dim::Centre => "centre_id",
            Dim::Department => "department_id",
            Dim::Item => "impl_code",
            Dim::Person => "person_id",
            Dim::Day => "day",
            Dim::Month => "month",
        },
        rows: rows
            .into_iter()
            .map(|(k, t)| (k.clone(), labels.get(&k).cloned().unwrap_or_default(), t))
            .collect(),
    })
}

pub(super) async fn table_csv(
    State(s): State<AppState>,
    page: Page,
    Query(p): Query<FigureParams>,
) -> Result<Response, Response> {
    let t = table_file(&s, &page, &p).await?;
    Ok(csv_download("indicators.csv", super::export::table_csv(&t)))
}

pub(super) async fn table_xlsx(
    State(s): State<AppState>,
    page: Page,
    Query(p): Query<FigureParams>,
) -> Result<Response, Response> {
    let t = table_file(&s, &page, &p).await?;
    let bytes = super::export::table_xlsx(&t).map_err(|e| page.error(e))?;
    Ok(download(
        "indicators.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        bytes,
    ))
}

struct CaseRow {
    id: i64,
    case_no: String,
    item_name: String,
    department: String,
    state: String,
    applicant: String,
    accepted_on: String,
    promised_due: String,
    decided_on: String,
    days_over: String,
    holders: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "indicators/cases.html")]
struct CasesPage {
    c: Chrome,
    what: String,
    from: String,
    to: String,
    back: String,
    rows: Vec<CaseRow>,
    next: String,
}

/// Which cases (the filters come apart: a flattened struct would read the
/// numbers as text and refuse them).
#[derive(Debug, Deserialize)]
pub(super) struct DrillParams {
    what: String,
    #[serde(default)]
    after: Option<i64>,
    #[serde(default)]
    person: Option<i64>,
}

fn what_label(w: DrillWhat, lang: crate::http::Lang) -> &'static str {
    match w {
        DrillWhat::Submitted => lang.t("提交的办件", "Submitted"),
        DrillWhat::Accepted => lang.t("受理的办件", "Accepted"),
        DrillWhat::NotAccepted => lang.t("不予受理的办件", "Not accepted"),
        DrillWhat::Decided => lang.t("作出决定的办件", "Decided"),
        DrillWhat::DecidedByRules => lang.t("秒批办件", "Decided by rules"),
        DrillWhat::DecidedSameDay => lang.t(
            "即办件（受理当日作出决定）",
            "Decided the day they were accepted",
        ),
        DrillWhat::Completed => lang.t("办结的办件", "Completed"),
        DrillWhat::CompletedOnTime => lang.t("按时办结的办件", "Completed on time"),
        DrillWhat::CompletedLate => lang.t("逾期办结的办件", "Completed late"),
        DrillWhat::Overdue => lang.t("超期办件", "Overdue"),
    }
}

pub(super) async fn cases(
    State(s): State<AppState>,
    page: Page,
    Query(q): Query<DrillParams>,
    Query(fp): Query<FigureParams>,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?.clone();
    let lang = page.lang;
    let today = s.today();
    let Some(what) = DrillWhat::parse(&q.what) else {
        return Err(page.error(crate::http::ApiError::not_found("indicator")));
    };
    let (list, per) =
        super::figures::drill_page(&s, &actor, &fp, what, q.person, q.after.unwrap_or(0))
            .await
            .map_err(|e| page.error(e))?;
    let deps = s
        .store
        .departments()
        .await
        .map_err(|e| page.error(e.into()))?;
    let dep = |id: i64| {
        deps.iter()
            .find(|d| d.id == id)
            .map(|d| d.name.clone())
            .unwrap_or_default()
    };
    let sight = Sight::of(&actor);
    let cal = s.calendar();
    let query = qs(&fp, &per);
    let rows = list
        .cases
        .iter()
        .map(|c| {
            let over = super::figures::days_over(c, today, &cal);
            CaseRow {
                id: c.id,
                case_no: c.case_no.clone(),
                item_name: c.item_name.clone(),
                department: dep(c.department_id),
                state: tongban_domain::case::CaseState::parse(&c.state)
                    .map(|st| lang.t(st.zh(), st.en()).to_string())
                    .unwrap_or_else(|| c.state.clone()),
                applicant: sight.name(&c.applicant_name),
                accepted_on: c.accepted_on.map(|d| d.to_string()).unwrap_or_default(),
                promised_due: c.promised_due.map(|d| d.to_string()).unwrap_or_default(),
                decided_on: c.decided_on.map(|d| d.to_string()).unwrap_or_default(),
                days_over: over.map(|n| n.to_string()).unwrap_or_default(),
                holders: if tongban_domain::case::CaseState::parse(&c.state)
                    .is_some_and(|st| st.is_final())
                {
                    String::new()
                } else if c.holders.is_empty() {
                    dep(c.department_id)
                } else {
                    c.holders
                        .iter()
                        .map(|h| dep(*h))
                        .collect::<Vec<_>>()
                        .join("、")
                },
            }
        })
        .collect();
    Ok(CasesPage {
        c: page.chrome(),
        what: what_label(what, lang).to_string(),
        from: per.from.to_string(),
        to: per.to.to_string(),
        back: format!("/indicators/dashboard?{query}"),
        rows,
        next: list
            .next
            .map(|n| {
                format!(
                    "/indicators/cases?what={}&{query}{}&after={n}",
                    what.as_str(),
                    q.person.map(|p| format!("&person={p}")).unwrap_or_default()
                )
            })
            .unwrap_or_default(),
    }
    .into_response())
}

/// A stored monthly report.
#[derive(Debug, Deserialize)]
pub(super) struct ReportParams {
    centre: i64,
    month: String,
}

pub(super) async fn report_file(
    State(s): State<AppState>,
    page: Page,
    Query(q): Query<ReportParams>,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?.clone();
    let nf = || page.error(crate::http::ApiError::not_found("report"));
    if actor.role != Role::Supervisor {
        return Err(nf());
    }
    let centres = s.store.centres().await.map_err(|e| page.error(e.into()))?;
    if !centres
        .iter()
        .any(|c| c.id == q.centre && c.path.starts_with(&actor.centre_path))
    {
        return Err(nf());
    }
    let Some(bytes) = s
        .store
        .kpi_report_file(q.centre, &q.month)
        .await
        .map_err(|e| page.error(e.into()))?
    else {
        return Err(nf());
    };
    Ok(download(
        &format!("kpi-{}-{}.xlsx", q.centre, q.month),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        bytes,
    ))
}
