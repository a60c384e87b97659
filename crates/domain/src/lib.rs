//! Pure domain logic of Tongban. No I/O: no HTTP, no SQL, no clock reads.
//!
//! - [`codes`]: identity and catalogue codes as parse-only newtypes (SPEC §10, §2.1).
//! - [`catalog`]: service items and materials (SPEC §2.1, §2.2).
//! - [`audit`]: the guide audit rules (SPEC §2.3).
//! - [`calendar`]: the working-day calendar (SPEC §3).
//! - [`clock`]: case deadlines from clock events (SPEC §4.2).
//! - [`case`]: the case lifecycle, who may move it, what each step produces (SPEC §4.1, §4.3).
//! - [`auth`]: roles and what each may do (SPEC §1).
//! - [`bundle`]: life-event bundles: questions, selection, one form, savings (SPEC §5).
//! - [`files`]: upload type sniffing and size limits.

pub mod audit;
pub mod auth;
pub mod bundle;
pub mod calendar;
pub mod case;
pub mod catalog;
pub mod cert;
pub mod clock;
pub mod codes;
pub mod error;
pub mod export;
pub mod files;
pub mod phrasings;
pub mod privacy;
pub mod text;

pub use error::{FieldError, FieldErrors};

/// The OpenAPI schema of a closed code list served as its JSON names:
/// the names, and each with its Chinese label in the description.
#[cfg(feature = "openapi")]
pub(crate) fn code_list_schema(
    codes: &[(&str, &str)],
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    let desc = codes
        .iter()
        .map(|(json, zh)| format!("{json} {zh}"))
        .collect::<Vec<_>>()
        .join(", ");
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(codes.iter().map(|(json, _)| json.to_string())))
        .description(Some(desc))
        .into()
}
