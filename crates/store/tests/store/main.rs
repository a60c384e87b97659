//! The storage tests, one binary: each module is a capability's behaviour
//! on both backends (SQLite always; PostgreSQL too when
//! `TONGBAN_TEST_DATABASE_URL` is set), with shared helpers in `helpers`.

mod audit_tracking;
mod bundles;
mod case_core;
mod catalog_lifecycle;
mod certificates;
mod corrections;
mod enterprise;
mod enterprise_cases;
mod enterprise_stages;
mod experience;
mod generate;
mod hall;
mod helpers;
mod import_export;
mod indicators;
mod instant;
mod limits;
mod passed_on;
mod phrasings;
mod provisional;
mod ratings;
mod ratings_rectify;
mod sources;
mod texts;
