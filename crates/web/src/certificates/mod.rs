//! Electronic certificates over HTTP (SPEC §7): the public verification
//! page and API (reached from the QR code on the certificate), the export
//! that verifies offline and with OpenSSL, the issuers' public keys, and
//! revocation by the issuing head; the system admin's keys page.
// Page handlers return a rendered error page as their `Err`; axum responses are
// 128 bytes, which is fine on this path (once per request).
#![allow(clippy::result_large_err)]

mod api;
mod json;
mod keys;
mod mine;
mod verify;

use axum::routing::get;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::chrome::Pages;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::api_get))
        .routes(routes!(api::api_issuer_keys))
        .routes(routes!(api::api_export))
        .routes(routes!(api::api_revoke))
}

pub fn pages() -> Pages {
    Pages::new()
        .route("/verify", get(verify::verify_form))
        .route("/verify/{id}", get(verify::verify_page))
        .route("/verify/{id}/qr.svg", get(verify::qr))
        .route("/admin/keys", get(keys::keys_page))
        .route("/my/certificates", get(mine::mine_page))
}
