//! Cookies and the session: reading and setting cookies, the
//! [`MaybeSession`] extractor and [`ApiUser`], the signed-in caller of the
//! JSON API with its forgery checks.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use tongban_domain::auth::Actor;
use tongban_store::accounts::Session;

use super::csrf::{CSRF_HEADER, check_origin, constant_time_eq, is_state_changing};
use super::error::ApiError;
use crate::AppState;

pub const SESSION_COOKIE: &str = "tb_session";

/// Reads one cookie from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The Set-Cookie value for the session cookie.
pub fn session_cookie(token: &str, secure: bool, max_age: i64) -> HeaderValue {
    let s = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&s).unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub fn set_cookie(resp: &mut Response, v: HeaderValue) {
    resp.headers_mut().append(SET_COOKIE, v);
}

/// The session, if the request carries a live one.
#[derive(Clone)]
pub struct MaybeSession(pub Option<Session>);

impl FromRequestParts<AppState> for MaybeSession {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(s) = parts.extensions.get::<MaybeSession>() {
            return Ok(s.clone());
        }
        let session = match cookie(&parts.headers, SESSION_COOKIE) {
            Some(token) if !token.is_empty() => {
                state.store.session(token).await.map_err(ApiError::from)?
            }
            _ => None,
        };
        let s = MaybeSession(session);
        parts.extensions.insert(s.clone());
        Ok(s)
    }
}

/// A request from a signed-in user, with forgery checks for state changes:
/// the `X-CSRF-Token` header must carry the session's token and any Origin
/// header must name this host. Form posts check their `csrf` field instead
/// (see [`check_form_csrf`](super::check_form_csrf)).
pub struct ApiUser(pub Actor);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let MaybeSession(s) = MaybeSession::from_request_parts(parts, state).await?;
        let Some(s) = s else {
            return Err(ApiError::unauthorized());
        };
        if is_state_changing(&parts.method) {
            check_origin(&parts.headers)?;
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !constant_time_eq(sent.as_bytes(), s.csrf_token.as_bytes()) {
                return Err(ApiError::csrf());
            }
        }
        Ok(ApiUser(s.actor))
    }
}

impl OptionalFromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        match <ApiUser as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(u) => Ok(Some(u)),
            Err(e) if e.status == StatusCode::UNAUTHORIZED => Ok(None),
            Err(e) => Err(e),
        }
    }
}
