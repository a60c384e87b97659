//! HTTP plumbing shared by the API and the pages of every capability:
//! cookies and the session extractor, cross-site request forgery checks,
//! languages, errors, and the access checks on catalogue item versions.

pub mod access;
pub mod body;
pub mod client;
pub mod csrf;
pub mod error;
pub mod json;
pub mod lang;
pub mod session;

pub use access::{item_scope, managed_version, visible_version};
pub use client::ClientIp;
pub use csrf::{CSRF_HEADER, check_form_csrf, check_origin, constant_time_eq, is_state_changing};
pub use error::{ApiError, ErrorBody, ErrorInner, api_errors};
pub use json::Json;
pub use lang::{LANG_COOKIE, Lang};
pub use session::{ApiUser, MaybeSession, SESSION_COOKIE, cookie, session_cookie, set_cookie};
