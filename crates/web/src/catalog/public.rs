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
    /// (label, event for the items filter, the event's 一件事 code if one is published)
    events: Vec<(String, String, String)>,
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
    let bundles = s
        .store
        .published_bundles()
        .await
        .map_err(|e| store_err(&page, e))?;
    Ok(HomePage {
        events: LIFE_EVENTS
            .iter()
            .map(|(zh, en)| {
                // A life event with a published 一件事 leads to it: one application.
                let bundle = bundles
                    .iter()
                    .find(|b| b.bundle.doc.event.trim() == *zh)
                    .map(|b| b.bundle.code.clone())
                    .unwrap_or_default();
                (page.t(zh, en), url_encode(zh), bundle)
            })
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
    /// 一件事 that match the query: (code, name, the services it groups).
    bundles: Vec<(String, String, usize)>,
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
    // A life event's 一件事 is offered beside the items: a query word (with
    // the everyday phrasings) in its name, its event or a service it groups.
    let words: Vec<&str> = r
        .words
        .iter()
        .map(String::as_str)
        .filter(|w| w.chars().count() >= 2)
        .collect();
    let bundles = if words.is_empty() && p.event.as_deref().unwrap_or_default().is_empty() {
        Vec::new()
    } else {
        s.store
            .published_bundles()
            .await
            .map_err(|e| store_err(&page, e))?
            .into_iter()
            .filter(|b| {
                let doc = &b.bundle.doc;
                p.event
                    .as_deref()
                    .is_some_and(|e| !e.is_empty() && doc.event.trim() == e)
                    || words.iter().any(|w| {
                        doc.name.contains(w)
                            || doc.event.contains(w)
                            || b.items.iter().any(|i| i.doc.name.contains(w))
                    })
            })
            .map(|b| {
                (
                    b.bundle.code.clone(),
                    b.bundle.doc.name.clone(),
                    b.items.len(),
                )
            })
            .collect()
    };
    Ok(SearchPage {
        bundles,
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
