//! Cross-site request forgery checks: any Origin header must name this
//! host, and state changes carry the session's token (the `X-CSRF-Token`
//! header of the API, the `csrf` field of a form).

use axum::http::header::{HOST, ORIGIN};
use axum::http::{HeaderMap, Method};
use tongban_store::accounts::Session;

use super::error::ApiError;

pub const CSRF_HEADER: &str = "x-csrf-token";

pub fn is_state_changing(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Refuses a request whose Origin header names another site.
pub fn check_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin.split("://").nth(1).unwrap_or(origin);
    if origin == "null" || origin_host != host {
        return Err(ApiError::csrf());
    }
    Ok(())
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() || a.is_empty() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks a form's `csrf` field against the session.
pub fn check_form_csrf(headers: &HeaderMap, session: &Session, sent: &str) -> Result<(), ApiError> {
    check_origin(headers)?;
    if constant_time_eq(sent.as_bytes(), session.csrf_token.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::csrf())
    }
}
