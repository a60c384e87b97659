//! Issued documents (receipts, notices, decisions) as printable pages, and
//! the download of uploaded files.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use tongban_domain::case::DocKind;

use crate::AppState;
use crate::chrome::{Chrome, Page, signed_in, store_err, url_encode};

#[derive(Template, WebTemplate)]
#[template(path = "cases/document.html")]
struct DocumentPage {
    c: Chrome,
    case_id: i64,
    title: String,
    number: String,
    body: tongban_store::cases::DocBody,
    refusal: bool,
    /// A decision of a case with an e-certificate: the certificate's id, for
    /// the QR code to its public verification page.
    licence_id: String,
}

pub(super) async fn document_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?;
    let (case, d) = s
        .store
        .case_document(actor, id)
        .await
        .map_err(|e| store_err(&page, e))?;
    let licence_id = if d.kind == DocKind::ApprovalDecision {
        s.store
            .case_certificates(case.id)
            .await
            .map_err(|e| store_err(&page, e))?
            .into_iter()
            .find(|c| c.revoked_at.is_none())
            .map(|c| c.licence_id)
            .unwrap_or_default()
    } else {
        String::new()
    };
    Ok(DocumentPage {
        c: page.chrome(),
        licence_id,
        case_id: case.id,
        title: d.body.title.clone(),
        number: d.number.clone(),
        refusal: matches!(d.kind, DocKind::RefusalDecision | DocKind::DenialDecision),
        body: d.body,
    }
    .into_response())
}

pub(super) async fn file_download(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let actor = signed_in(&page)?;
    let (f, bytes) = s
        .store
        .download(&s.files, actor, id)
        .await
        .map_err(|e| store_err(&page, e))?;
    let ascii: String = f
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, f.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
                    url_encode(&f.file_name)
                ),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}
