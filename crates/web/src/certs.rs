//! Electronic certificates over HTTP (SPEC §7): the public verification page
//! and API (reached from the QR code on the certificate), the export that
//! verifies offline and with OpenSSL, and revocation by the issuing head.
#![allow(clippy::result_large_err)]

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use tongban_domain::auth::Role;
use tongban_domain::cert::LicenceId;
use tongban_domain::codes::{mask, mask_name};
use tongban_store::StoreError;
use tongban_store::certs::Certificate;
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::http::{ApiError, ApiUser, Lang};
use crate::pages::{Page, store_err};
use crate::views::{Chrome, fmt_time, url_encode};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/certificates/{id}", get(api_get))
        .route("/api/v1/issuer-keys", get(api_issuer_keys))
        .route("/api/v1/certificates/{id}/export", get(api_export))
        .route("/api/v1/certificates/{id}/revoke", post(api_revoke))
        .route("/verify", get(verify_form))
        .route("/verify/{id}", get(verify_page))
        .route("/verify/{id}/qr.svg", get(qr))
}

/// What anyone may see of a certificate: its status, whether the signature
/// holds, and the signed fields with the holder's number masked.
fn public_json(
    c: &Certificate,
    signature_valid: bool,
    today: chrono::NaiveDate,
) -> serde_json::Value {
    let mut rec = c.record.clone();
    // Anyone may verify: the holder is masked, the application's content is not shown.
    rec.holder_code = mask(&rec.holder_code, 3, 2);
    rec.holder_name = mask_name(&rec.holder_name);
    rec.fields.clear();
    rec.case_no = mask(&rec.case_no, 6, 2);
    let st = c.status(today);
    let (status, status_zh) = if signature_valid {
        (
            serde_json::to_value(st).unwrap_or_default(),
            st.zh().to_string(),
        )
    } else {
        (
            serde_json::json!("invalid"),
            "签名无效，内容可能被篡改".to_string(),
        )
    };
    serde_json::json!({
        "licence_id": c.licence_id,
        "status": status,
        "status_zh": status_zh,
        "signature_valid": signature_valid,
        "signer_id": tongban_certs::SIGNER_ID,
        "record": rec,
        "revoked_at": c.revoked_at,
        "revoke_reason": c.revoke_reason,
    })
}

async fn load(s: &AppState, id: &str) -> Result<Certificate, ApiError> {
    // A malformed identifier is answered as such, before any lookup.
    LicenceId::parse(id).map_err(|e| {
        ApiError::from(StoreError::Invalid(
            tongban_domain::FieldError::new("licence_id", "invalid", e.zh(), e.to_string()).into(),
        ))
    })?;
    Ok(s.store.certificate(id).await?)
}

/// The issuing departments' public keys (tongban-issuer-keys/1), current and
/// retired, with their SM3 fingerprints: public, so that anyone can verify a
/// certificate offline against keys they trust
/// (`tongban cert verify FILE --trusted-keys KEYS.json`).
#[utoipa::path(get, path = "/api/v1/issuer-keys",
    responses((status = 200, body = Object)))]
async fn api_issuer_keys(State(s): State<AppState>, lang: Lang) -> Result<Response, ApiError> {
    let keys = s
        .store
        .issuer_keys()
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    Ok(Json(keys).into_response())
}

/// Public verification of a certificate by its 证照标识.
#[utoipa::path(get, path = "/api/v1/certificates/{id}", params(("id" = String, Path, description = "证照标识")),
    responses((status = 200, body = Object), (status = 404, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
async fn api_get(
    State(s): State<AppState>,
    lang: Lang,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let c = load(&s, &id).await.map_err(|e| e.in_lang(lang))?;
    let ok = s
        .store
        .signature_valid(&c)
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    Ok(Json(public_json(&c, ok, s.today())).into_response())
}

/// The certificate for offline verification (tongban-cert/1: the signed
/// canonical JSON, the DER signature in hex, the issuer's PEM public key) —
/// for its holder and the centre's staff.
#[utoipa::path(get, path = "/api/v1/certificates/{id}/export", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::http::ErrorBody)))]
async fn api_export(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let err = |e: StoreError| ApiError::from(e).in_lang(lang);
    let c = load(&s, &id).await.map_err(|e| e.in_lang(lang))?;
    // The holder (the case's applicant) or the case's handlers; supervisors
    // oversee without taking the holder's data away.
    if actor.role == Role::Supervisor {
        return Err(ApiError::denied(tongban_domain::auth::Denied::Role).in_lang(lang));
    }
    s.store
        .case_for(&actor, c.case_id)
        .await
        .map_err(|_| ApiError::not_found(&format!("certificate {id}")).in_lang(lang))?;
    let e = s.store.export_certificate(&c).await.map_err(err)?;
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"certificate.json\"",
        )],
        Json(e),
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RevokeRequest {
    pub reason: String,
}

/// Revokes a certificate (the head of the issuing department, with a reason).
#[utoipa::path(post, path = "/api/v1/certificates/{id}/revoke", params(("id" = String, Path)), request_body = RevokeRequest,
    responses((status = 200, body = Object), (status = 403, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody)))]
async fn api_revoke(
    State(s): State<AppState>,
    lang: Lang,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    Json(req): Json<RevokeRequest>,
) -> Result<Response, ApiError> {
    let err = |e: StoreError| ApiError::from(e).in_lang(lang);
    let c = s
        .store
        .revoke_certificate(&actor, &id, &req.reason)
        .await
        .map_err(err)?;
    let ok = s.store.signature_valid(&c).await.map_err(err)?;
    Ok(Json(public_json(&c, ok, s.today())).into_response())
}

#[derive(OpenApi)]
#[openapi(
    paths(api_get, api_export, api_revoke, api_issuer_keys),
    components(schemas(RevokeRequest))
)]
pub struct CertsDoc;

#[derive(Template, WebTemplate)]
#[template(path = "verify.html")]
struct VerifyPage {
    c: Chrome,
    query: String,
    found: bool,
    licence_id: String,
    status: String,
    status_key: String,
    signature_valid: bool,
    rows: Vec<(String, String)>,
    revoke_reason: String,
    revoked_at: String,
    /// SM3 fingerprint of the issuing key, to compare in offline verification.
    fingerprint: String,
    error: String,
}

#[derive(Deserialize)]
struct VerifyQuery {
    #[serde(default)]
    id: String,
}

async fn verify_form(page: Page, Query(q): Query<VerifyQuery>) -> Response {
    if !q.id.trim().is_empty() {
        return Redirect::to(&format!("/verify/{}", url_encode(q.id.trim()))).into_response();
    }
    VerifyPage {
        c: page.chrome(),
        query: String::new(),
        found: false,
        licence_id: String::new(),
        status: String::new(),
        status_key: String::new(),
        signature_valid: false,
        rows: vec![],
        revoke_reason: String::new(),
        revoked_at: String::new(),
        fingerprint: String::new(),
        error: String::new(),
    }
    .into_response()
}

async fn verify_page(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    let lang = page.lang;
    let mut p = VerifyPage {
        c: page.chrome(),
        query: id.clone(),
        found: false,
        licence_id: id.clone(),
        status: String::new(),
        status_key: String::new(),
        signature_valid: false,
        rows: vec![],
        revoke_reason: String::new(),
        revoked_at: String::new(),
        fingerprint: String::new(),
        error: String::new(),
    };
    let c = match load(&s, &id).await {
        Ok(c) => c,
        Err(e)
            if e.status == StatusCode::NOT_FOUND
                || e.status == StatusCode::UNPROCESSABLE_ENTITY =>
        {
            let e = e.in_lang(lang);
            p.error = if e.status == StatusCode::NOT_FOUND {
                lang.t(
                    "未找到该证照：请核对证照标识。",
                    "No such certificate: check the licence id.",
                )
                .to_string()
            } else {
                e.message().to_string()
            };
            return Ok((e.status, p).into_response());
        }
        Err(e) => return Err(page.error(e)),
    };
    let ok = s
        .store
        .signature_valid(&c)
        .await
        .map_err(|e| store_err(&page, e))?;
    let st = c.status(s.today());
    let r = &c.record;
    p.found = true;
    if ok {
        p.status = lang.t(st.zh(), st.en()).to_string();
        p.status_key = serde_json::to_value(st)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
    } else {
        p.status = lang
            .t("无效（签名不符）", "invalid (signature mismatch)")
            .to_string();
        p.status_key = "invalid".into();
    }
    p.fingerprint = s
        .store
        .public_key(c.key_id)
        .await
        .map(|pem| tongban_certs::fingerprint(&pem))
        .unwrap_or_default();
    p.signature_valid = ok;
    p.revoke_reason = c.revoke_reason.clone();
    p.revoked_at = c.revoked_at.map(fmt_time).unwrap_or_default();
    let rows = vec![
        (
            lang.t("证照类型", "Type").to_string(),
            format!("{}（{}）", r.type_name, r.type_code),
        ),
        (
            lang.t("证照编号", "Number").to_string(),
            mask(&r.number, 6, 2),
        ),
        (
            lang.t("持证主体", "Holder").to_string(),
            mask_name(&r.holder_name),
        ),
        (
            lang.t("持证主体代码", "Holder's code").to_string(),
            format!("{}（{}）", mask(&r.holder_code, 3, 2), r.holder_code_type),
        ),
        (
            lang.t("颁发机构", "Issued by").to_string(),
            format!("{}（{}）", r.issuer_name, r.issuer_code),
        ),
        (
            lang.t("颁发日期", "Issued on").to_string(),
            r.issued_on.to_string(),
        ),
        (
            lang.t("有效期", "Valid").to_string(),
            format!(
                "{} — {}",
                r.valid_from,
                r.valid_to
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| lang.t("长期", "indefinitely").to_string())
            ),
        ),
        (
            lang.t("办理事项", "Service").to_string(),
            r.item_name.clone(),
        ),
    ];
    p.rows = rows;
    Ok(p.into_response())
}

/// The QR code of the verification page (SVG).
async fn qr(State(s): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if LicenceId::parse(&id).is_err() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '[' | ']'))
        })
        .unwrap_or("localhost");
    let url = match &s.config.public_url {
        Some(base) => format!("{}/verify/{id}", base.trim_end_matches('/')),
        None => format!("http://{host}/verify/{id}"),
    };
    match qrcode::QrCode::new(url.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color>()
                .min_dimensions(132, 132)
                .build();
            (
                [
                    (header::CONTENT_TYPE, "image/svg+xml"),
                    (header::CACHE_CONTROL, "public, max-age=86400"),
                ],
                svg,
            )
                .into_response()
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
