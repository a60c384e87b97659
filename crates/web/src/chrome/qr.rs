//! The site's own address as a person's phone reaches it (the configured
//! public URL, else the request's host) and QR codes of links to it (SVG,
//! drawn here: no script, no third party).

use axum::http::{HeaderMap, header};

use crate::state::Config;

/// `https://zwfw.example.gov.cn` (the public URL), or `http://<host>` from
/// a well-formed Host header, or `http://localhost`.
pub fn site_base(config: &Config, headers: &HeaderMap) -> String {
    if let Some(base) = &config.public_url {
        return base.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '[' | ']'))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// A QR code of `text` as an SVG document (empty if it cannot be encoded).
pub fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .build(),
        Err(_) => String::new(),
    }
}
