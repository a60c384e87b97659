//! The public verification page of a certificate (what the QR code on it
//! opens): status, signature, the signed fields with the holder masked, the
//! issuing key's fingerprint; and the QR code itself.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_domain::cert::LicenceId;
use tongban_domain::codes::{mask, mask_name};

use super::api::load;
use crate::AppState;
use crate::chrome::{Chrome, Page, fmt_time, store_err, url_encode};

#[derive(Template, WebTemplate)]
#[template(path = "certificates/verify.html")]
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
pub(super) struct VerifyQuery {
    #[serde(default)]
    id: String,
}

pub(super) async fn verify_form(page: Page, Query(q): Query<VerifyQuery>) -> Response {
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

pub(super) async fn verify_page(
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
pub(super) async fn qr(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if LicenceId::parse(&id).is_err() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let url = format!(
        "{}/verify/{id}",
        crate::chrome::site_base(&s.config, &headers)
    );
    match qrcode::QrCode::new(url.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color>()
                .min_dimensions(132, 132)
                .build();
            // Built from the Host header unless the public address is
            // configured: then no shared cache may keep it for others.
            let cache = if s.config.public_url.is_some() {
                "public, max-age=86400"
            } else {
                "private, no-store"
            };
            (
                [
                    (header::CONTENT_TYPE, "image/svg+xml"),
                    (header::CACHE_CONTROL, cache),
                ],
                svg,
            )
                .into_response()
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
