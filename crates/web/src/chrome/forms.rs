//! Form and sign-in helpers shared by the pages: the signed-in user (or a
//! redirect to the login page), forgery-checked posts from any role, the
//! forms that carry only the CSRF token, raw form fields, and the item form
//! fields as the apply pages show them.

use std::collections::BTreeMap;

use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_domain::auth::Actor;

use super::page::Page;
use super::views::url_encode;
use crate::http::ApiError;

/// Forms send an empty string for "all"; that means no filter.
pub fn empty_as_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// A date field a form may leave empty (no date).
pub fn empty_date_as_none<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<chrono::NaiveDate>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// The signed-in user of a page, or a redirect to the login page.
pub fn signed_in(page: &Page) -> Result<&Actor, Response> {
    match &page.session {
        Some(s) => Ok(&s.actor),
        None => {
            Err(Redirect::to(&format!("/login?next={}", url_encode(&page.here))).into_response())
        }
    }
}

/// A form post from a signed-in user (any role), forgery-checked.
pub fn posted(page: &Page, csrf: &str) -> Result<Actor, Response> {
    let Some(s) = &page.session else {
        return Err(page.error(ApiError::unauthorized()));
    };
    crate::http::check_form_csrf(&page.headers, s, csrf).map_err(|e| page.error(e))?;
    Ok(s.actor.clone())
}

/// A form that carries only the CSRF token; a missing token is refused as
/// a forgery, like a wrong one.
#[derive(Deserialize, Default)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// A form that carries only the CSRF token, which must be present: a post
/// without the field is rejected by the form extractor before any check.
#[derive(Deserialize)]
pub struct RequiredCsrfForm {
    pub csrf: String,
}

/// The first value of a raw form field, or empty.
pub fn form_value(raw: &[(String, String)], k: &str) -> String {
    raw.iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// One form field as the apply and bundle-form pages show it.
pub struct FieldView {
    pub key: String,
    pub label: String,
    pub kind: &'static str,
    pub required: bool,
    pub value: String,
    pub options: Vec<String>,
    /// What is wrong with the value given, shown at the field (and in the
    /// error summary); empty when nothing is.
    pub error: String,
}

/// An item's (or a bundle's) form fields with the values entered so far.
pub fn field_views(
    fields: &[tongban_domain::catalog::FormField],
    values: &BTreeMap<String, String>,
) -> Vec<FieldView> {
    fields
        .iter()
        .map(|f| FieldView {
            key: f.key.clone(),
            label: f.label.clone(),
            kind: f.kind.as_str(),
            required: f.required,
            value: values.get(&f.key).cloned().unwrap_or_default(),
            options: f.options.clone(),
            error: String::new(),
        })
        .collect()
}

/// Puts each error at its field: the error whose field is `prefix` and the
/// view's key (`form_venue_name`), in the page's language.
pub fn errors_at_fields(
    mut views: Vec<FieldView>,
    errors: &[tongban_domain::FieldError],
    prefix: &str,
    lang: crate::http::Lang,
) -> Vec<FieldView> {
    for v in &mut views {
        let field = format!("{prefix}{}", v.key);
        if let Some(e) = errors.iter().find(|e| e.field == field) {
            v.error = lang.t(&e.message_zh, &e.message_en).to_string();
        }
    }
    views
}
