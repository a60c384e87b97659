//! The public 好差评 page (no sign-in, no personal data): per department and
//! item, how many rated and the share of each level over a chosen period,
//! with a bar drawn as SVG on the server; and each 差评 with its reasons and
//! the outcome of its rectification.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tongban_domain::ratings::reason;
use tongban_store::ratings::PublicRow;

use crate::AppState;
use crate::chrome::{Chrome, Page};

#[derive(Debug, Default, Deserialize)]
pub(super) struct PeriodQuery {
    #[serde(default)]
    from: Option<chrono::NaiveDate>,
    #[serde(default)]
    to: Option<chrono::NaiveDate>,
}

pub(super) struct Row {
    name: String,
    count: i64,
    good: String,
    /// Widths (of 200) of each level's segment, 非常满意 first.
    bars: Vec<(i64, i64, &'static str)>,
    /// The bars in words, for screen readers: "非常满意 3，满意 5，…".
    share: String,
}

struct BadRow {
    day: String,
    department: String,
    item: String,
    level: String,
    reasons: String,
    outcome: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "ratings/satisfaction.html")]
struct SatisfactionPage {
    c: Chrome,
    from: String,
    to: String,
    error: String,
    total: Option<Row>,
    departments: Vec<Row>,
    items: Vec<Row>,
    defaults: i64,
    bad: Vec<BadRow>,
    levels: Vec<String>,
}

const COLOURS: [&str; 5] = ["#00703c", "#85994b", "#b1b4b6", "#f47738", "#d4351c"];

fn row(r: &PublicRow, lang: crate::http::Lang) -> Row {
    let mut x = 0;
    let bars = r
        .per_level
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let w = if r.count > 0 { n * 200 / r.count } else { 0 };
            let seg = (x, w, COLOURS[i]);
            x += w;
            seg
        })
        .collect();
    // The names the figures give themselves (departments and items are
    // named by the catalogue).
    let name = match r.name.as_str() {
        "全部" => lang.t("全部", "All"),
        "服务中心（一件事）" => lang.t("服务中心（一件事）", "The centre (life events)"),
        "服务中心" => lang.t("服务中心", "The centre"),
        n => n,
    };
    Row {
        name: name.to_string(),
        count: r.count,
        good: r
            .good_per_mille()
            .map(|g| format!("{}.{}%", g / 10, g % 10))
            .unwrap_or_else(|| lang.t("—", "—").into()),
        bars,
        share: r
            .per_level
            .iter()
            .enumerate()
            .filter_map(|(i, n)| {
                tongban_domain::ratings::Level::of(5 - i as i64)
                    .map(|l| format!("{} {n}", lang.t(l.zh(), l.en())))
            })
            .collect::<Vec<_>>()
            .join(lang.t("，", ", ")),
    }
}

pub(super) async fn satisfaction_page(
    State(s): State<AppState>,
    page: Page,
    Query(q): Query<PeriodQuery>,
) -> Response {
    let lang = page.lang;
    let levels = tongban_domain::ratings::Level::ALL
        .iter()
        .map(|l| lang.t(l.zh(), l.en()).to_string())
        .collect();
    let blank = |error: String, from: String, to: String| SatisfactionPage {
        c: page.chrome(),
        from,
        to,
        error,
        total: None,
        departments: vec![],
        items: vec![],
        defaults: 0,
        bad: vec![],
        levels: Vec::new(),
    };
    let f = match super::public_filter(&s, q.from, q.to, None).await {
        Ok(f) => f,
        Err(e) => {
            let e = e.in_lang(lang);
            let (from, to) = super::period(q.from, q.to, s.today());
            return blank(e.message().to_string(), from.to_string(), to.to_string())
                .into_response();
        }
    };
    match s.store.public_ratings(&f).await {
        Ok(p) => SatisfactionPage {
            c: page.chrome(),
            from: p.from.to_string(),
            to: p.to.to_string(),
            error: String::new(),
            total: Some(row(&p.total, lang)),
            departments: p.departments.iter().map(|r| row(r, lang)).collect(),
            items: p.items.iter().map(|r| row(r, lang)).collect(),
            defaults: p.defaults,
            bad: p
                .bad
                .iter()
                .map(|b| BadRow {
                    day: b.rated_on.to_string(),
                    department: b.department.clone(),
                    item: b.item_name.clone(),
                    level: lang.t(b.level.zh(), b.level.en()).into(),
                    reasons: b
                        .reasons
                        .iter()
                        .filter_map(|c| reason(c))
                        .map(|r| lang.t(r.zh, r.en).to_string())
                        .collect::<Vec<_>>()
                        .join("、"),
                    outcome: match (b.outcome, b.verdict) {
                        (Some(o), Some(v)) => format!(
                            "{}（{}{}）",
                            lang.t(o.zh(), o.en()),
                            lang.t("申请人评价：", "applicant: "),
                            lang.t(v.zh(), v.en())
                        ),
                        (Some(o), None) => lang.t(o.zh(), o.en()).into(),
                        (None, _) => String::new(),
                    },
                })
                .collect(),
            levels,
        }
        .into_response(),
        Err(e) => {
            tracing::warn!("public ratings: {e}");
            blank(
                lang.t(
                    "统计暂不可用，请稍后再试",
                    "The figures are not available now; try again later",
                )
                .into(),
                f.from.to_string(),
                f.to.to_string(),
            )
            .into_response()
        }
    }
}
