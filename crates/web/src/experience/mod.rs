//! 政务服务体验员 (experience officers, 我陪群众走流程): their landing page,
//! the services they can walk through as a citizen would — every published
//! item and life-event bundle, each opening its public guide.
// Page handlers return a rendered error page as their `Err`; axum responses are
// 128 bytes, which is fine on this path (once per request).
#![allow(clippy::result_large_err)]

mod page;

use axum::routing::get;

use crate::chrome::Pages;

pub fn pages() -> Pages {
    Pages::new().route("/officer", get(page::officer_page))
}
