//! The certificates' JSON API: public verification by 证照标识 (holder
//! masked), the issuers' public keys, the export for offline verification,
//! and revocation.

use crate::http::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tongban_domain::cert::LicenceId;
use tongban_domain::codes::{mask, mask_name};
use tongban_domain::privacy::Sight;
use tongban_store::StoreError;
use tongban_store::certificates::Certificate;
use utoipa::ToSchema;

use super::json::{CertExportView, IssuerKeysView, PublicCertificate, PublicStatus};
use crate::AppState;
use crate::http::{ApiError, ApiUser};

/// What anyone may see of a certificate: its status, whether the signature
/// holds, and the signed fields with the holder's number masked.
fn public_view(
    c: &Certificate,
    signature_valid: bool,
    today: chrono::NaiveDate,
) -> PublicCertificate {
    let mut rec = c.record.clone();
    // Anyone may verify: the holder is masked, the application's content is not shown.
    rec.holder_code = mask(&rec.holder_code, 3, 2);
    rec.holder_name = mask_name(&rec.holder_name);
    rec.fields.clear();
    rec.case_no = mask(&rec.case_no, 6, 2);
    let st = c.status(today);
    let (status, status_zh) = if signature_valid {
        (st.into(), st.zh().to_string())
    } else {
        (
            PublicStatus::Invalid,
            "签名无效，内容可能被篡改".to_string(),
        )
    };
    PublicCertificate {
        licence_id: c.licence_id.clone(),
        status,
        status_zh,
        signature_valid,
        signer_id: tongban_certs::SIGNER_ID.to_string(),
        record: rec.into(),
        revoked_at: c.revoked_at,
        revoke_reason: c.revoke_reason.clone(),
    }
}

pub(super) async fn load(s: &AppState, id: &str) -> Result<Certificate, ApiError> {
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
#[utoipa::path(get, path = "/api/v1/issuer-keys", tag = "certificates",
    responses((status = 200, body = IssuerKeysView)))]
pub(super) async fn api_issuer_keys(State(s): State<AppState>) -> Result<Response, ApiError> {
    let keys = s.store.issuer_keys().await.map_err(ApiError::from)?;
    Ok(Json(IssuerKeysView::from(keys)).into_response())
}

/// Public verification of a certificate by its 证照标识.
#[utoipa::path(get, path = "/api/v1/certificates/{id}", tag = "certificates", params(("id" = String, Path, description = "证照标识")),
    responses((status = 200, body = PublicCertificate), (status = 404, body = crate::http::ErrorBody), (status = 422, body = crate::http::ErrorBody)))]
pub(super) async fn api_get(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let c = load(&s, &id).await?;
    let ok = s.store.signature_valid(&c).await.map_err(ApiError::from)?;
    Ok(Json(public_view(&c, ok, s.today())).into_response())
}

/// The certificate for offline verification (tongban-cert/1: the signed
/// canonical JSON, the DER signature in hex, the issuer's PEM public key) —
/// for its holder and the centre's staff.
#[utoipa::path(get, path = "/api/v1/certificates/{id}/export", tag = "certificates", security(("session" = [])), params(("id" = String, Path)),
    responses((status = 200, body = CertExportView), (status = 404, body = crate::http::ErrorBody)))]
pub(super) async fn api_export(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let err = |e: StoreError| ApiError::from(e);
    let c = load(&s, &id).await?;
    // The holder (the case's applicant) or the case's handlers: the signed
    // certificate cannot be masked, so it goes only to those who see the
    // holder in full (the one rule, Sight); anyone else gets 404.
    let not_found = || ApiError::not_found(&format!("certificate {id}"));
    s.store
        .case_for(&actor, c.case_id)
        .await
        .map_err(|_| not_found())?;
    if !Sight::of(&actor).identity {
        return Err(not_found());
    }
    let e = s.store.export_certificate(&c).await.map_err(err)?;
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"certificate.json\"",
        )],
        Json(CertExportView::from(e)),
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RevokeRequest {
    pub reason: String,
}

/// Revokes a certificate (the head of the issuing department, with a reason).
#[utoipa::path(post, path = "/api/v1/certificates/{id}/revoke", tag = "certificates", security(("session" = [])), params(("id" = String, Path)), request_body = RevokeRequest,
    responses((status = 200, body = PublicCertificate), (status = 403, body = crate::http::ErrorBody), (status = 409, body = crate::http::ErrorBody)))]
pub(super) async fn api_revoke(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    Json(req): Json<RevokeRequest>,
) -> Result<Response, ApiError> {
    let err = |e: StoreError| ApiError::from(e);
    let c = s
        .store
        .revoke_certificate(&actor, &id, &req.reason)
        .await
        .map_err(err)?;
    let ok = s.store.signature_valid(&c).await.map_err(err)?;
    Ok(Json(public_view(&c, ok, s.today())).into_response())
}
