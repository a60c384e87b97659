//! The API's description, from the same registration as its routes: every
//! `/api` route is added with utoipa-axum's `routes!`, which takes the path,
//! method and documentation from the handler's `#[utoipa::path]`, so a route
//! cannot be served undocumented (clippy refuses `OpenApiRouter::route`,
//! which would bypass it; see `clippy.toml`). Here: the document's base (its
//! title, the session scheme), the answers every operation may give besides
//! its own (malformed requests, sign-in, forgery checks, conflicts …, all as
//! the one JSON error body), `/api/openapi.json` and `/healthz`.

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::http::{ErrorBody, SESSION_COOKIE};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tongban API",
        description = "一网通办 — the service catalogue and its guide audit, cases under the legal working-day clock, life-event bundles, shared data and instant approval, electronic certificates and the working-day calendar. Every error is `{\"error\": {\"code\", \"message\", \"details\"}}`, with the message in the caller's language (cookie `tb_lang=en` for English). Operations marked with the `session` scheme need the session cookie from `POST /api/v1/session`; state-changing ones also the `X-CSRF-Token` header it returns."
    ),
    components(schemas(ErrorBody)),
    modifiers(&Session)
)]
struct ApiDoc;

/// The session cookie as the document's security scheme.
struct Session;

impl utoipa::Modify for Session {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                SESSION_COOKIE,
                "the session, set by POST /api/v1/session",
            ))),
        );
    }
}

/// The router of the infrastructure's own documented routes.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(healthz))
        .routes(routes!(openapi_json))
}

/// The served document, set once when the router is built.
static DOCUMENT: OnceLock<String> = OnceLock::new();

/// Completes the document assembled from the routes and keeps it for
/// `/api/openapi.json`.
pub fn publish(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    for (path, item) in doc.paths.paths.iter_mut() {
        let api = path.starts_with("/api/");
        for (method, op) in [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("delete", &mut item.delete),
            ("patch", &mut item.patch),
            ("head", &mut item.head),
            ("options", &mut item.options),
        ] {
            if let Some(op) = op {
                complete(op, api, !matches!(method, "get" | "head" | "options"));
            }
        }
    }
    let json = match serde_json::to_value(&doc) {
        Ok(mut v) => {
            text_rule(&mut v);
            serde_json::to_string_pretty(&v).unwrap_or_else(|_| "{}".to_string())
        }
        Err(_) => "{}".to_string(),
    };
    let _ = DOCUMENT.set(json);
    doc
}

/// The text rule every JSON string of a request meets (`tongban_domain::text`:
/// no control characters but tab and line breaks, no bidirectional
/// controls), as a JSON Schema pattern.
pub const TEXT_PATTERN: &str = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]*$";

/// Writes the text rule into the document: every free string of a body (no
/// pattern, format or enum of its own) gets [`TEXT_PATTERN`] and at most
/// `ANY_STRING_MAX` characters, and every object's property names the same
/// pattern — so the document says what the server takes (and what it
/// answers: error messages echo input only through the same rule).
fn text_rule(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            let has_type = |t: &str| match m.get("type") {
                Some(Value::String(s)) => s == t,
                Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(t)),
                _ => false,
            };
            let (is_string, is_object) = (has_type("string"), has_type("object"));
            if is_string
                && !m.contains_key("pattern")
                && !m.contains_key("format")
                && !m.contains_key("enum")
            {
                m.insert("pattern".into(), Value::from(TEXT_PATTERN));
                m.entry("maxLength")
                    .or_insert(Value::from(tongban_domain::text::ANY_STRING_MAX));
            }
            if is_object {
                m.entry("propertyNames")
                    .or_insert(serde_json::json!({ "pattern": TEXT_PATTERN }));
            }
            // Path and query parameters are looked up, not stored: any text
            // is answered (not found, no match), so they keep their schemas.
            let parameter = m.contains_key("in") && m.contains_key("name");
            for (k, x) in m.iter_mut() {
                if !(parameter && k == "schema") {
                    text_rule(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(text_rule),
        _ => {}
    }
}

/// The answers an operation may give besides the ones it documents itself.
fn complete(op: &mut Operation, api: bool, changes_state: bool) {
    if !api {
        return;
    }
    let signed_in = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let has_body = op.request_body.is_some();
    let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let mut add = |status: StatusCode, why: &str| {
        let key = status.as_u16().to_string();
        if op.responses.responses.contains_key(&key) {
            return;
        }
        op.responses.responses.insert(
            key,
            RefOr::T(
                ResponseBuilder::new()
                    .description(why)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(RefOr::Ref(Ref::from_schema_name("ErrorBody"))))
                            .build(),
                    )
                    .build(),
            ),
        );
    };
    add(
        StatusCode::BAD_REQUEST,
        "malformed request: a path or query value of the wrong type, unreadable JSON",
    );
    add(
        StatusCode::NOT_FOUND,
        "no such object, or one the caller may not see",
    );
    add(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
    if signed_in {
        add(StatusCode::UNAUTHORIZED, "not signed in");
    }
    match (signed_in, changes_state) {
        (true, true) => add(
            StatusCode::FORBIDDEN,
            "the caller's role or department may not do this, or the cross-site request check failed (X-CSRF-Token, Origin)",
        ),
        (true, false) => add(
            StatusCode::FORBIDDEN,
            "the caller's role or department may not do this",
        ),
        (false, true) => add(
            StatusCode::FORBIDDEN,
            "the cross-site request check failed (Origin)",
        ),
        (false, false) => {}
    }
    if changes_state {
        add(
            StatusCode::CONFLICT,
            "the object's state does not allow this now, or it changed meanwhile",
        );
    }
    if has_params || has_body {
        add(
            StatusCode::UNPROCESSABLE_ENTITY,
            "a value does not fit the operation, or fails its checks (details name it)",
        );
    }
    if has_body {
        add(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request body is too large",
        );
        add(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the request body is not of the documented content type",
        );
        add(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the body does not match the schema, or fields fail their checks (details name them)",
        );
    }
}

/// This document (described as an object: it is the OpenAPI document itself).
#[utoipa::path(get, path = "/api/openapi.json", tag = "meta",
    responses((status = 200, description = "the OpenAPI document", content_type = "application/json", body = Object)))]
pub async fn openapi_json() -> Response {
    let body = DOCUMENT.get().cloned().unwrap_or_else(|| "{}".into());
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Health: 200 when the database answers.
#[utoipa::path(get, path = "/healthz", tag = "meta",
    responses(
        (status = 200, description = "the database answers", content_type = "text/plain", body = String),
        (status = 503, description = "the database does not answer", content_type = "text/plain", body = String)))]
pub async fn healthz(State(s): State<AppState>) -> Response {
    match s.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(e) => {
            // The cause goes to the log, not to whoever asks.
            tracing::error!("health check: database: {e}");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}
