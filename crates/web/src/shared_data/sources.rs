//! The system admin's data sources page (`/admin/sources`): the shared-data
//! sources 秒批 looks people and licences up in, what each answers and how
//! it is reached (an HTTP service's address without its credentials).
//! Sources are registered with `tongban sources import`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use tongban_store::shared_data::Connector;

use crate::AppState;
use crate::chrome::{Chrome, Page, store_err};
use tongban_domain::auth::Actor;

struct SourceRow {
    key: String,
    name: String,
    owner: String,
    fields: String,
    reached: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "shared_data/admin_sources.html")]
struct SourcesPage {
    c: Chrome,
    sources: Vec<SourceRow>,
}

pub(super) async fn sources_page(
    State(s): State<AppState>,
    page: Page,
) -> Result<Response, Response> {
    page.staff_who(Actor::may_administer_system)?;
    let sources = s
        .store
        .sources()
        .await
        .map_err(|e| store_err(&page, e))?
        .into_iter()
        .map(|d| SourceRow {
            reached: match &d.connector {
                Connector::Table => page.t("本地数据表", "rows in the database"),
                Connector::Http {
                    url,
                    timeout_ms,
                    retries,
                    ..
                } => format!(
                    "{} · {timeout_ms} ms · {} {retries}",
                    url.split('?').next().unwrap_or_default(),
                    page.t("重试", "retries")
                ),
            },
            fields: d.fields.join("、"),
            key: d.key,
            name: d.name,
            owner: d.owner,
        })
        .collect();
    Ok(SourcesPage {
        c: page.chrome(),
        sources,
    }
    .into_response())
}
