//! The web crate's integration tests, in one binary: the real router over a
//! demo store on each backend, driven in-process (shared helpers in
//! [`helpers`]), one module per area.

mod helpers;

mod api_security;
mod bundles;
mod calendar_api;
mod cases;
mod certificates;
mod enterprise;
mod hardening;
mod indicators;
mod indicators_dashboard;
mod instances;
mod mail;
mod menus;
mod openapi;
mod pages;
mod ratings;
mod ratings_appeals;
mod rules;
mod search_demo;
