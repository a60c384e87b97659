//! JSON bodies of the API: the extractor every handler takes its body
//! with, and the response wrapper. A body that is not JSON answers 400, a
//! body of another content type 415, and a body that does not fit the
//! operation 422 naming the field (`command.days`) and what was wrong.
//! JSON Schema counts `2.0` as an integer; so does this extractor: a body
//! is read as sent, and only if that fails to fit is it read again with
//! every whole-valued number (`2.0`) as an integer — so a body that fits as
//! sent keeps its numbers exactly, free-form parts included.
//! A JSON body is at most [`MAX_JSON`] bytes, and no string the operation
//! reads may hold control characters other than line breaks and tabs,
//! bidirectional controls, or more than `text::ANY_STRING_MAX` characters
//! (the rule of `tongban_domain::text`, checked here once for every
//! operation; unknown fields are ignored, their values not checked, their
//! names held to the rule as the document's `propertyNames` says; fields
//! have tighter limits of their own).

use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tongban_domain::FieldError;

use super::error::ApiError;

/// The largest JSON request body (uploads and the catalogue import, which
/// are not JSON bodies of this kind, have limits of their own).
pub const MAX_JSON: usize = 2 * 1024 * 1024;

/// A JSON request body, or a JSON response.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

fn is_json(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .is_some_and(|m| {
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        })
}

/// Numbers written as `2.0` where an integer is meant become `2`.
fn integral(v: &mut Value) {
    match v {
        Value::Number(n) => {
            if n.is_f64()
                && let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                *v = Value::from(f as i64);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(integral),
        Value::Object(m) => m.values_mut().for_each(integral),
        _ => {}
    }
}

/// One step of a path into a JSON value.
enum Seg {
    Index(usize),
    Key(String),
}

fn segments(p: &serde_ignored::Path) -> Vec<Seg> {
    use serde_ignored::Path;
    match p {
        Path::Root => Vec::new(),
        Path::Seq { parent, index } => {
            let mut v = segments(parent);
            v.push(Seg::Index(*index));
            v
        }
        Path::Map { parent, key } => {
            let mut v = segments(parent);
            v.push(Seg::Key(key.clone()));
            v
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => segments(parent),
    }
}

/// Removes what `path` points at (an array element becomes `null`, so the
/// other paths keep their indexes).
fn prune(v: &mut Value, path: &[Seg]) {
    match (path, v) {
        ([Seg::Key(k)], Value::Object(m)) => {
            m.remove(k);
        }
        ([Seg::Index(i)], Value::Array(a)) => {
            if let Some(x) = a.get_mut(*i) {
                *x = Value::Null;
            }
        }
        ([Seg::Key(k), rest @ ..], Value::Object(m)) => {
            if let Some(x) = m.get_mut(k) {
                prune(x, rest);
            }
        }
        ([Seg::Index(i), rest @ ..], Value::Array(a)) => {
            if let Some(x) = a.get_mut(*i) {
                prune(x, rest);
            }
        }
        _ => {}
    }
}

/// Whether reading a body failed because some layer's length limit cut it.
fn over_a_limit(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(x) = cur {
        if x.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cur = x.source();
    }
    false
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(&req) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "请求内容类型应为 application/json",
                "the request body must be application/json",
            ));
        }
        let too_large = || {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "请求内容过大（JSON 最多2MB）",
                "the request body is too large (JSON takes at most 2 MB)",
            )
        };
        if req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|n| n > MAX_JSON as u64)
        {
            return Err(too_large());
        }
        let (parts, body) = req.into_parts();
        let limited = axum::body::Body::new(http_body_util::Limited::new(body, MAX_JSON));
        let req = Request::from_parts(parts, limited);
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| match e.status() {
                StatusCode::PAYLOAD_TOO_LARGE => too_large(),
                // A limit further out (an anonymous caller's) cut the body off.
                _ if over_a_limit(&e) => too_large(),
                _ => {
                    ApiError::bad_request("请求内容读取失败", "the request body could not be read")
                }
            })?;
        let mut value: Value = serde_json::from_slice(&bytes).map_err(|e| {
            ApiError::bad_request(
                format!("请求内容不是有效的 JSON：{e}"),
                format!("the request body is not valid JSON: {e}"),
            )
        })?;
        // As sent first; only if that fails, with integral numbers read as
        // integers (a number a decision table compares keeps its form).
        // One reading notes the fields the operation ignores as it goes.
        fn read<T: DeserializeOwned>(
            value: &Value,
            ignored: &mut Vec<Vec<Seg>>,
        ) -> Result<T, serde_path_to_error::Error<serde_json::Error>> {
            ignored.clear();
            let mut note = |p: serde_ignored::Path| ignored.push(segments(&p));
            serde_path_to_error::deserialize(serde_ignored::Deserializer::new(value, &mut note))
        }
        let mut ignored: Vec<Vec<Seg>> = Vec::new();
        let read = match read::<T>(&value, &mut ignored) {
            Ok(v) => Ok(v),
            Err(first) => {
                integral(&mut value);
                read::<T>(&value, &mut ignored).map_err(|_| first)
            }
        };
        let read = read.map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." {
                "body".to_string()
            } else {
                path
            };
            let why = e.into_inner().to_string();
            ApiError::invalid(tongban_domain::FieldErrors::single(FieldError::new(
                field.clone(),
                "invalid",
                format!("{field}：{why}"),
                format!("{field}: {why}"),
            )))
        })?;
        // The text rule on what the operation reads: parts it ignores
        // (unknown fields) are not its business — but their names are
        // property names of an object the document describes, which the
        // document holds to the rule (`propertyNames`).
        for path in &ignored {
            if let Some(Seg::Key(k)) = path.last() {
                let field: String = k.chars().take(100).collect();
                if let Some(e) = tongban_domain::text::check_text(
                    &field,
                    &field,
                    &field,
                    k,
                    tongban_domain::text::ANY_STRING_MAX,
                    true,
                ) {
                    return Err(ApiError::invalid(tongban_domain::FieldErrors::single(e)));
                }
            }
            prune(&mut value, path);
        }
        if let Some(e) =
            tongban_domain::text::first_bad_string(&value, tongban_domain::text::ANY_STRING_MAX)
        {
            return Err(ApiError::invalid(tongban_domain::FieldErrors::single(e)));
        }
        Ok(Json(read))
    }
}
