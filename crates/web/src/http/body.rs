//! Request body limits: a signed-in caller may send up to the server's
//! limit (uploads), anyone else far less — an anonymous caller has nothing
//! to send but a sign-in, a progress lookup or a language switch.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::csrf::is_state_changing;
use super::error::ApiError;
use super::session::{SESSION_COOKIE, cookie};
use crate::AppState;

/// Bytes an anonymous request body may carry.
pub const ANONYMOUS_BODY_LIMIT: usize = 64 * 1024;
/// Bytes any request body may carry (uploads of signed-in users).
pub const BODY_LIMIT: usize = 20 * 1024 * 1024;

fn too_large() -> Response {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "请求内容过大（未登录时最多64KB）",
        "the request body is too large (at most 64 KB unless signed in)",
    )
    .into_response()
}

/// Middleware: state-changing requests without a valid session get
/// [`ANONYMOUS_BODY_LIMIT`]. The session is looked up only when the body
/// could exceed it.
pub async fn anonymous_body_limit(State(s): State<AppState>, req: Request, next: Next) -> Response {
    if !is_state_changing(req.method()) {
        return next.run(req).await;
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n <= ANONYMOUS_BODY_LIMIT as u64) {
        return next.run(req).await;
    }
    let signed_in = match cookie(req.headers(), SESSION_COOKIE) {
        Some(token) => matches!(s.store.session(token).await, Ok(Some(_))),
        None => false,
    };
    if signed_in {
        return next.run(req).await;
    }
    if declared.is_some() {
        return too_large();
    }
    // No length given (chunked): cut the body off at the limit.
    let (parts, body) = req.into_parts();
    let limited = Body::new(http_body_util::Limited::new(body, ANONYMOUS_BODY_LIMIT));
    next.run(Request::from_parts(parts, limited)).await
}
