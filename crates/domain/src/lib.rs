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
//! - [`ratings`]: 好差评 — ratings, 差评 reasons, rectifications, appeals, officers' findings (SPEC §8.1).

/// A closed code list: an enum serialised as its JSON names, with Chinese and
/// English labels and (feature `openapi`) a schema listing the names.
macro_rules! labelled {
    ($(#[$m:meta])* $name:ident { $($v:ident = $json:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $json)] $v,)+ }
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                crate::code_list_schema(&[$(($json, $zh)),+])
            }
        }
        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v,)+];
            pub fn as_str(self) -> &'static str { match self { $($name::$v => $json,)+ } }
            pub fn zh(self) -> &'static str { match self { $($name::$v => $zh,)+ } }
            pub fn en(self) -> &'static str { match self { $($name::$v => $en,)+ } }
            pub fn parse(s: &str) -> Option<Self> { match s { $($json => Some($name::$v),)+ _ => None } }
        }
    };
}

pub mod audit;
pub mod auth;
pub mod bundle;
pub mod calendar;
pub mod case;
pub mod catalog;
pub mod cert;
pub mod clock;
pub mod codes;
pub mod enterprise;
pub mod error;
pub mod export;
pub mod files;
pub mod hall;
pub mod indicators;
pub mod phrasings;
pub mod privacy;
pub mod ratings;
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
