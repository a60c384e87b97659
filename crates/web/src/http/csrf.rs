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

/// Refuses a request whose Origin header is not a well-formed web origin:
/// `http://` or `https://` and a host, nothing after it (not scheme-less,
/// not `null`). Which site it must name — this one, with its scheme or its
/// public URL — [`origin_guard`] decides for every state change before any
/// handler runs (it is part of [`crate::router`]); this check stays with
/// the handlers that take a session or a password.
pub fn check_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(ORIGIN) else {
        return Ok(());
    };
    match origin.to_str().ok().and_then(split_origin) {
        Some(_) => Ok(()),
        None => Err(ApiError::csrf()),
    }
}

/// `scheme://host[:port]` with an http(s) scheme and nothing after the host.
fn split_origin(origin: &str) -> Option<(&str, &str)> {
    let (scheme, host) = origin.split_once("://")?;
    let scheme_ok = scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https");
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '[' | ']'));
    (scheme_ok && host_ok).then_some((scheme, host))
}

/// The origin every state change must come from, when it is known: the
/// public URL's, or this host over https when cookies are Secure.
fn expected_origin(config: &crate::Config, host: &str) -> String {
    match config.public_url.as_deref() {
        Some(u) => {
            let u = u.trim_end_matches('/');
            match u.split_once("://") {
                Some((scheme, rest)) => {
                    let scheme = scheme.to_ascii_lowercase();
                    let authority = rest.split('/').next().unwrap_or(rest).to_ascii_lowercase();
                    // A browser leaves the default port out of its Origin.
                    let default = if scheme == "https" { ":443" } else { ":80" };
                    let authority = authority.strip_suffix(default).unwrap_or(&authority);
                    format!("{scheme}://{authority}")
                }
                None => u.to_ascii_lowercase(),
            }
        }
        None if config.cookies_secure() => format!("https://{}", host.to_ascii_lowercase()),
        None => format!("http://{}", host.to_ascii_lowercase()),
    }
}

/// Middleware: a state-changing request with an Origin header other than
/// the site's own (scheme included) is refused before any handler runs.
pub async fn origin_guard(
    axum::extract::State(s): axum::extract::State<crate::AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if is_state_changing(req.method())
        && let Some(origin) = req.headers().get(ORIGIN)
    {
        let host = req
            .headers()
            .get(HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let ok = origin
            .to_str()
            .ok()
            .and_then(split_origin)
            .is_some_and(|(scheme, h)| {
                format!(
                    "{}://{}",
                    scheme.to_ascii_lowercase(),
                    h.to_ascii_lowercase()
                ) == expected_origin(&s.config, host)
            });
        if !ok {
            return ApiError::csrf().into_response();
        }
    }
    next.run(req).await
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
