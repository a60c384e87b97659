//! HTTP plumbing shared by the API and the pages: cookies, the session
//! extractor, cross-site request forgery checks, languages and errors.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::header::{COOKIE, HOST, ORIGIN, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tongban_domain::FieldErrors;
use tongban_domain::auth::{Actor, Denied};
use tongban_store::StoreError;
use tongban_store::accounts::Session;

use crate::AppState;

pub const SESSION_COOKIE: &str = "tb_session";
pub const LANG_COOKIE: &str = "tb_lang";
pub const CSRF_HEADER: &str = "x-csrf-token";

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

/// Interface language: Chinese first, English on request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn from_headers(h: &HeaderMap) -> Lang {
        match cookie(h, LANG_COOKIE) {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        }
    }
    pub fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
    pub fn code(&self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang::from_headers(&parts.headers))
    }
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
/// (see [`check_form_csrf`]).
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

/// The JSON error body: `{"error": {"code", "message", "details"}}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorInner,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorInner {
    /// Stable machine code, e.g. `invalid_input`, `forbidden`, `not_found`.
    pub code: String,
    /// Message in the caller's language.
    pub message: String,
    /// Per-field problems: `field`, `code`, `message_zh`, `message_en`.
    #[schema(value_type = Vec<Object>)]
    pub details: Vec<tongban_domain::FieldError>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub zh: String,
    pub en: String,
    pub details: Vec<tongban_domain::FieldError>,
    pub lang: Lang,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code,
            zh: zh.into(),
            en: en.into(),
            details: Vec::new(),
            lang: Lang::Zh,
        }
    }
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "请先登录",
            "sign in first",
        )
    }
    pub fn csrf() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "请求来源校验失败，请刷新页面后重试",
            "cross-site request check failed; reload the page and try again",
        )
    }
    pub fn denied(d: Denied) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", d.zh(), d.en())
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("未找到：{what}"),
            format!("not found: {what}"),
        )
    }
    pub fn invalid(errs: FieldErrors) -> Self {
        let zh = errs
            .0
            .iter()
            .map(|e| e.message_zh.clone())
            .collect::<Vec<_>>()
            .join("；");
        let en = errs.to_string();
        let mut e = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", zh, en);
        e.details = errs.0;
        e
    }
    pub fn bad_request(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", zh, en)
    }
    pub fn internal(msg: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {msg}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "服务器内部错误",
            "internal server error",
        )
    }
    pub fn in_lang(mut self, lang: Lang) -> Self {
        self.lang = lang;
        self
    }
    pub fn message(&self) -> &str {
        match self.lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::not_found(&what),
            StoreError::Conflict { zh, en } => {
                ApiError::new(StatusCode::CONFLICT, "conflict", zh, en)
            }
            StoreError::Invalid(errs) => ApiError::invalid(errs),
            StoreError::Forbidden(d) => ApiError::denied(d),
            other => ApiError::internal(other),
        }
    }
}

impl From<Denied> for ApiError {
    fn from(d: Denied) -> Self {
        ApiError::denied(d)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorInner {
                code: self.code.to_string(),
                message: self.message().to_string(),
                details: self.details,
            },
        };
        (self.status, axum::Json(body)).into_response()
    }
}
