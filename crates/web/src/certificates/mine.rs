//! 我的证照: an applicant's e-certificates in one place — status, the
//! public verification page (the QR code's target) and the export that
//! verifies offline.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::chrome::{Chrome, Page, fmt_time, signed_in, store_err};

struct CertRow {
    licence_id: String,
    type_name: String,
    number: String,
    holder: String,
    issuer: String,
    issued: String,
    valid_to: String,
    status: String,
    status_key: &'static str,
    case_id: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "certificates/mine.html")]
struct MinePage {
    c: Chrome,
    certs: Vec<CertRow>,
}

pub(super) async fn mine_page(State(s): State<AppState>, page: Page) -> Result<Response, Response> {
    let actor = signed_in(&page)?.clone();
    let lang = page.lang;
    let today = s.today();
    let certs = s
        .store
        .my_certificates(&actor)
        .await
        .map_err(|e| store_err(&page, e))?
        .into_iter()
        .map(|c| {
            let st = c.status(today);
            CertRow {
                licence_id: c.licence_id.clone(),
                type_name: c.record.type_name.clone(),
                number: c.record.number.clone(),
                holder: c.record.holder_name.clone(),
                issuer: c.record.issuer_name.clone(),
                issued: fmt_time(c.issued_at),
                valid_to: c
                    .record
                    .valid_to
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| lang.t("长期有效", "no end").to_string()),
                status: lang.t(st.zh(), st.en()).to_string(),
                status_key: st.en(),
                case_id: c.case_id,
            }
        })
        .collect();
    Ok(MinePage {
        c: page.chrome(),
        certs,
    }
    .into_response())
}
