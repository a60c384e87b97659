//! Page chrome shared by every page: the [`Page`] extractor and its error
//! page, the frame every template shows ([`Chrome`]) with the small view
//! helpers, the form and sign-in helpers, the notices shown after a
//! redirect, and the stylesheet and language switch.
// Page handlers return a rendered error page as their `Err`; axum responses are
// 128 bytes, which is fine on this path (once per request).
#![allow(clippy::result_large_err)]

mod assets;
mod files;
mod forms;
mod links;
mod menu;
mod notice;
mod page;
mod pages;
mod provenance;
mod qr;
mod views;

use axum::routing::get;

pub use assets::{NextParam, safe_next};
pub use files::{UploadForm, csv_download, download, read_upload};
pub use forms::{
    CsrfForm, FieldView, RequiredCsrfForm, empty_as_none, empty_date_as_none, errors_at_fields,
    field_views, form_value, posted, signed_in,
};
pub use links::{absolute_links, split_links};
pub use menu::{MenuLink, landing, menu};
pub use notice::{NoticeParam, notice_text};
pub use page::{Page, or_err, store_err};
pub use pages::Pages;
pub use provenance::provenance_text;
pub use qr::{qr_svg, site_base};
pub use views::{Choice, Chrome, fmt_due, fmt_time, options, url_encode};

/// The stylesheet and the language switch.
pub fn pages() -> Pages {
    Pages::new()
        .route("/static/site.css", get(assets::css))
        .route("/static/print.js", get(assets::print_js))
        .route("/lang/{lang}", get(assets::set_lang))
}
