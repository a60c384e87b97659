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
    /// Not found, or not the caller's to see; `what` is the store's English
    /// name of the object (`case 12`), said in Chinese too.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("未找到{}", not_found_zh(what)),
            format!("not found: {what}"),
        )
    }
    pub fn invalid(errs: FieldErrors) -> Self {
        // The message names the first few problems; the details list them
        // (bounded when rendered, see `MAX_DETAILS`).
        let shown = errs.0.iter().take(MESSAGE_PROBLEMS);
        let mut zh = shown
            .clone()
            .map(|e| clip(&e.message_zh))
            .collect::<Vec<_>>()
            .join("；");
        let mut en = shown
            .map(|e| format!("{}: {}", clip(&e.field), clip(&e.message_en)))
            .collect::<Vec<_>>()
            .join("; ");
        if errs.0.len() > MESSAGE_PROBLEMS {
            let rest = errs.0.len() - MESSAGE_PROBLEMS;
            zh.push_str(&format!("；另有{rest}处问题"));
            en.push_str(&format!("; and {rest} more"));
        }
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

/// The Chinese of the store's object names (`bundle application 5` →
/// `一件事申请 5`), longest name first.
fn not_found_zh(what: &str) -> String {
    const NAMES: &[(&str, &str)] = &[
        ("bundle application", "一件事申请"),
        ("published bundle", "已发布的一件事"),
        ("bundle version", "一件事版本"),
        ("bundle", "一件事"),
        ("published item", "已发布的事项"),
        ("item version", "事项版本"),
        ("item", "事项"),
        ("case", "案件"),
        ("file", "文件"),
        ("user", "用户"),
        ("material", "材料"),
        ("inquiry", "咨询记录"),
        ("document", "文书"),
        ("key", "签名密钥"),
        ("finding", "核查问题"),
        ("department", "部门"),
        ("certificate", "电子证照"),
        ("centre", "政务服务中心"),
    ];
    let what = what.replace(" (or already marked compromised)", "（或已报告泄露）");
    for (en, zh) in NAMES {
        if let Some(rest) = what.strip_prefix(en)
            && (rest.is_empty() || rest.starts_with(' ') || rest.starts_with('（'))
        {
            return format!("{zh}{rest}");
        }
    }
    format!("：{what}")
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

/// A message is a sentence or a few, never the whole request back.
fn clip_message(s: &str) -> String {
    let s = printable(s);
    if s.chars().count() <= 4 * MAX_ECHO {
        s
    } else {
        let mut c: String = s.chars().take(4 * MAX_ECHO).collect();
        c.push('…');
        c
    }
}

/// An error's message in both languages, kept on the response so that
/// [`api_errors`] can answer in the caller's language.
#[derive(Clone)]
struct Messages {
    en: String,
}

/// Problems named in an invalid-input message.
const MESSAGE_PROBLEMS: usize = 5;
/// Details listed in an error body; the rest are counted in one more entry.
pub const MAX_DETAILS: usize = 50;
/// Characters kept of a field path or message that echoes the request.
const MAX_ECHO: usize = 200;

/// Characters the text rule refuses, echoed from a request, shown as �.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if tongban_domain::text::allowed_char(c, true) {
                c
            } else {
                '\u{FFFD}'
            }
        })
        .collect()
}

/// At most [`MAX_ECHO`] characters of `s`, marked when cut.
fn clip(s: &str) -> String {
    let s = printable(s);
    if s.chars().count() <= MAX_ECHO {
        s
    } else {
        let mut c: String = s.chars().take(MAX_ECHO).collect();
        c.push('…');
        c
    }
}

/// A small request gets a small answer: at most [`MAX_DETAILS`] details,
/// each clipped, plus one saying how many were left out.
fn bounded(details: Vec<tongban_domain::FieldError>) -> Vec<tongban_domain::FieldError> {
    let total = details.len();
    let mut out: Vec<_> = details
        .into_iter()
        .take(MAX_DETAILS)
        .map(|e| tongban_domain::FieldError {
            field: clip(&e.field),
            code: clip(&e.code),
            message_zh: clip(&e.message_zh),
            message_en: clip(&e.message_en),
        })
        .collect();
    if total > MAX_DETAILS {
        let rest = total - MAX_DETAILS;
        out.push(tongban_domain::FieldError::new(
            "",
            "more",
            format!("另有{rest}处问题未列出"),
            format!("{rest} more problems not listed"),
        ));
    }
    out
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let messages = Messages {
            en: clip_message(&self.en),
        };
        let body = ErrorBody {
            error: ErrorInner {
                code: self.code.to_string(),
                message: clip_message(self.message()),
                details: bounded(self.details),
            },
        };
        let mut resp = (self.status, axum::Json(body)).into_response();
        resp.extensions_mut().insert(messages);
        resp
    }
}

/// The one place every non-2xx answer under `/api` is decided: whatever
/// produced it — a handler's [`ApiError`], an extractor's rejection
/// (malformed JSON, wrong types, a bad path or query value, an unsupported
/// media type, a body over the limit), an unknown route or a method the
/// route does not have — the caller gets the documented JSON error in
/// their language, with the response's other headers (`Allow`) kept.
pub async fn api_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let lang = Lang::from_headers(req.headers());
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let resp = next.run(req).await;
    if !(path.starts_with("/api/") || path == "/api") {
        return resp;
    }
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    if let Some(m) = parts.extensions.get::<Messages>().cloned() {
        // Ours: re-rendered only when the caller reads English.
        if lang == Lang::Zh {
            return Response::from_parts(parts, body);
        }
        let Ok(bytes) = axum::body::to_bytes(body, 1024 * 1024).await else {
            return ApiError::internal("error body unreadable").into_response();
        };
        let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        v["error"]["message"] = serde_json::Value::String(m.en);
        parts.headers.remove(axum::http::header::CONTENT_LENGTH);
        return Response::from_parts(parts, axum::body::Body::from(v.to_string()));
    }
    // Someone else's (axum's extractors, routing, the body limit): its text
    // becomes the detail of our error.
    let detail = match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(b) => String::from_utf8_lossy(&b).trim().to_string(),
        Err(_) => String::new(),
    };
    let mut e = match status {
        StatusCode::NOT_FOUND => ApiError::new(
            status,
            "no_such_api",
            format!("没有这个接口：{method} {path}"),
            format!("no such API: {method} {path}"),
        ),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            status,
            "method_not_allowed",
            format!("接口 {path} 不支持 {method} 方法"),
            format!("{path} does not allow {method}"),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            status,
            "payload_too_large",
            "请求内容过大",
            "the request body is too large",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            status,
            "unsupported_media_type",
            "请求内容类型不受支持（JSON 接口请使用 application/json）",
            "unsupported content type (JSON operations take application/json)",
        ),
        StatusCode::UNPROCESSABLE_ENTITY => ApiError::new(
            status,
            "invalid_input",
            "请求内容不符合接口要求",
            "the request does not match what the operation takes",
        ),
        s if s.is_server_error() => {
            ApiError::new(s, "internal", "服务器内部错误", "internal server error")
        }
        s => ApiError::new(s, "bad_request", "请求格式错误", "malformed request"),
    };
    if !detail.is_empty() && status != StatusCode::NOT_FOUND {
        e.details.push(tongban_domain::FieldError::new(
            "request",
            e.code,
            format!("{}：{detail}", e.zh),
            detail.clone(),
        ));
    }
    let mut resp = e.in_lang(lang).into_response();
    resp.extensions_mut().remove::<Messages>();
    // Keep what the original said besides its body (`Allow` on 405).
    for (name, value) in parts.headers.iter() {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            resp.headers_mut().append(name.clone(), value.clone());
        }
    }
    resp
}
