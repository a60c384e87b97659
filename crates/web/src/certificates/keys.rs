//! The system admin's signing-keys page (`/admin/keys`): each issuing
//! department's keys with their fingerprints and state. Keys are generated
//! and marked compromised with `tongban keys` (they are sealed under the
//! server's secret, which a page never handles).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::chrome::{Chrome, Page, fmt_time, store_err};
use tongban_domain::auth::Actor;

struct KeyRow {
    id: i64,
    issuer: String,
    fingerprint: String,
    created: String,
    state: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "certificates/admin_keys.html")]
struct KeysPage {
    c: Chrome,
    keys: Vec<KeyRow>,
}

pub(super) async fn keys_page(State(s): State<AppState>, page: Page) -> Result<Response, Response> {
    page.staff_who(Actor::may_administer_system)?;
    let keys = s
        .store
        .issuer_keys()
        .await
        .map_err(|e| store_err(&page, e))?
        .keys
        .into_iter()
        .map(|k| KeyRow {
            id: k.key_id,
            issuer: format!("{}（{}）", k.issuer_name, k.issuer_code),
            fingerprint: k.fingerprint,
            created: fmt_time(k.created_at),
            state: if let Some(t) = k.compromised_at {
                format!("{} {}", page.t("已泄露", "compromised"), fmt_time(t))
            } else if let Some(t) = k.retired_at {
                format!("{} {}", page.t("已停用", "retired"), fmt_time(t))
            } else {
                page.t("在用", "in use")
            },
        })
        .collect();
    Ok(KeysPage {
        c: page.chrome(),
        keys,
    }
    .into_response())
}
