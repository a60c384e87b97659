//! The public catalogue pages: the home page with life events and
//! departments, search with its filters, and an item's guide.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use tongban_domain::catalog::{ItemType, ServiceObject};

use super::api::SearchParams;
use super::views::GuideView;
use crate::AppState;
use crate::chrome::{Choice, Chrome, Page, fmt_time, options, store_err, url_encode};
use crate::http::ApiError;

#[derive(Template, WebTemplate)]
#[template(path = "catalog/home.html")]
struct HomePage {
    c: Chrome,
    events: Vec<(String, String)>,
    departments: Vec<(i64, String)>,
    total: usize,
}

pub const LIFE_EVENTS: &[(&str, &str)] = &[
    ("新生儿出生", "Birth of a child"),
    ("教育入学", "Starting school"),
    ("生育保险待遇领取", "Maternity benefits"),
    ("企业开办", "Starting a business"),
    ("工程建设项目", "Construction projects"),
    ("婚姻登记", "Marriage"),
    ("居住落户", "Residence"),
];

pub(super) async fn home(State(s): State<AppState>, page: Page) -> Result<Response, Response> {
    let depts = s
        .store
        .departments()
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(HomePage {
        events: LIFE_EVENTS
            .iter()
            .map(|(zh, en)| (page.t(zh, en), url_encode(zh)))
            .collect(),
        departments: depts.into_iter().map(|d| (d.id, d.name)).collect(),
        total: s.search.current().len(),
        c: page.chrome(),
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "catalog/search.html")]
struct SearchPage {
    c: Chrome,
    q: String,
    q_enc: String,
    event: String,
    departments: Vec<Choice>,
    types: Vec<Choice>,
    objects: Vec<Choice>,
    total: usize,
    words: String,
    hits: Vec<tongban_search::Hit>,
}

pub(super) async fn search_page(
    State(s): State<AppState>,
    page: Page,
    Query(p): Query<SearchParams>,
) -> Result<Response, Response> {
    let r = s
        .search
        .current()
        .search(&p.to_query())
        .map_err(|e| page.error(ApiError::internal(e)))?;
    let depts = s
        .store
        .departments()
        .await
        .map_err(|e| store_err(&page, e))?;
    let lang = page.lang;
    Ok(SearchPage {
        q: p.q.clone().unwrap_or_default(),
        q_enc: url_encode(p.q.as_deref().unwrap_or_default()),
        event: p.event.clone().unwrap_or_default(),
        departments: depts
            .iter()
            .map(|d| Choice {
                value: d.id.to_string(),
                label: d.name.clone(),
                selected: p.department == Some(d.id),
            })
            .collect(),
        types: options(
            ItemType::ALL,
            p.item_type.as_deref().unwrap_or_default(),
            lang,
        ),
        objects: options(
            ServiceObject::ALL,
            p.object.as_deref().unwrap_or_default(),
            lang,
        ),
        total: r.total,
        words: r.words.join(" / "),
        hits: r.hits,
        c: page.chrome(),
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "catalog/item.html")]
struct ItemPage {
    c: Chrome,
    g: GuideView,
    department: String,
    version: i64,
    published: String,
}

pub(super) async fn item_page(
    State(s): State<AppState>,
    page: Page,
    Path(code): Path<String>,
) -> Result<Response, Response> {
    let item = s
        .store
        .published_item(&code)
        .await
        .map_err(|e| store_err(&page, e))?
        .ok_or_else(|| page.error(ApiError::not_found(&code)))?;
    Ok(ItemPage {
        g: GuideView::new(&item.doc, page.lang),
        department: item.department_name.clone(),
        version: item.version,
        published: item.published_at.map(fmt_time).unwrap_or_default(),
        c: page.chrome(),
    }
    .into_response())
}
