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
pub mod files;

pub use error::{FieldError, FieldErrors};
