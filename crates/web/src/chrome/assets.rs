//! The stylesheet, the language switch, and [`safe_next`]: only local paths
//! are followed after login or a language switch.

use axum::extract::{Path, Query};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::http::{LANG_COOKIE, set_cookie};

pub(super) async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/site.css"),
    )
        .into_response()
}

/// Our own print button's script (a same-origin file: the CSP allows no
/// inline script).
pub(super) async fn print_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/print.js"),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct NextParam {
    pub next: Option<String>,
}

/// Only local paths are followed after login or a language switch.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && n.bytes().all(|b| b > 0x20 && b != 0x7f) =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

pub(super) async fn set_lang(Path(lang): Path<String>, Query(q): Query<NextParam>) -> Response {
    let v = if lang == "en" { "en" } else { "zh" };
    let mut resp = Redirect::to(&safe_next(q.next.as_deref())).into_response();
    if let Ok(h) = format!("{LANG_COOKIE}={v}; Path=/; SameSite=Lax; Max-Age=31536000").parse() {
        set_cookie(&mut resp, h);
    }
    resp
}
