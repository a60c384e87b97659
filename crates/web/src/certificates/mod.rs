//! Electronic certificates over HTTP (SPEC §7): the public verification
//! page and API (reached from the QR code on the certificate), the export
//! that verifies offline and with OpenSSL, the issuers' public keys, and
//! revocation by the issuing head.
// Page handlers return a rendered error page as their `Err`; axum responses are
// 128 bytes, which is fine on this path (once per request).
#![allow(clippy::result_large_err)]

mod api;
mod verify;

use axum::Router;
use axum::routing::{get, post};

pub use api::CertificatesDoc;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/certificates/{id}", get(api::api_get))
        .route("/api/v1/issuer-keys", get(api::api_issuer_keys))
        .route("/api/v1/certificates/{id}/export", get(api::api_export))
        .route("/api/v1/certificates/{id}/revoke", post(api::api_revoke))
        .route("/verify", get(verify::verify_form))
        .route("/verify/{id}", get(verify::verify_page))
        .route("/verify/{id}/qr.svg", get(verify::qr))
}
