//! What the pages share about files: reading an upload form (the CSRF
//! token, one file, and any other fields), and answering a file or an
//! export as a download.

use axum::extract::Multipart;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::page::Page;
use crate::http::ApiError;

/// An upload form as posted.
#[derive(Debug, Default)]
pub struct UploadForm {
    pub csrf: String,
    /// The file's name as the uploader had it, and its bytes (empty when
    /// no file was chosen).
    pub name: String,
    pub bytes: Vec<u8>,
    /// The form's other text fields.
    pub fields: Vec<(String, String)>,
}

/// Reads a multipart upload form: `csrf`, one `file`, other text fields.
/// A broken form is the page's 400.
pub async fn read_upload(page: &Page, mut mp: Multipart) -> Result<UploadForm, Response> {
    let bad = || {
        page.error(ApiError::bad_request(
            "上传的表单不完整",
            "the upload form is incomplete",
        ))
    };
    let mut out = UploadForm::default();
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err(bad()),
        };
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "file" => {
                out.name = field.file_name().unwrap_or_default().to_string();
                out.bytes = field.bytes().await.map_err(|_| bad())?.to_vec();
            }
            _ => {
                let v = field.text().await.map_err(|_| bad())?;
                if name == "csrf" {
                    out.csrf = v;
                } else {
                    out.fields.push((name, v));
                }
            }
        }
    }
    Ok(out)
}

/// A file to download, named as stored (RFC 5987 for any characters).
pub fn download(name: &str, content_type: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename*=UTF-8''{}",
                    super::views::url_encode(name)
                ),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// A CSV export (UTF-8 with its byte-order mark, as spreadsheets expect).
pub fn csv_download(file_name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        body,
    )
        .into_response()
}
