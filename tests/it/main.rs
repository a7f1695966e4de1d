//! One integration-test binary. Each module tests one feature through the
//! real application over HTTP (or the real binary, for the command line).

// A failed test should stop right there.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod access;
mod access_requests;
mod accounts;
mod allegations;
mod auth;
mod backup;
mod cases;
mod cli;
mod conformance;
mod evidence;
mod exclusions;
mod export;
mod foundation;
mod hostile_input;
mod import;
mod import_bulk;
mod import_locks;
mod imported_history;
mod incidents;
mod lockout;
mod logging_crash;
mod mail;
mod mail_crash;
mod metrics;
mod mis;
mod monitoring;
mod monitoring_review;
mod pupils;
mod reports;
mod retention;
mod role_grants;
mod schools;
mod search_scale;
mod sso;
mod sso_keys;
mod sso_roles;
mod transfers;
mod triage;
mod trust;
mod trust_admin;
mod trust_report;
