//! API errors: [`ApiError`] with its status, stable code and message in
//! both languages, the JSON [`ErrorBody`] it renders as, and the conversions
//! from store errors and refused permissions.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tongban_domain::FieldErrors;
use tongban_domain::auth::Denied;
use tongban_store::StoreError;

use super::lang::Lang;

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
