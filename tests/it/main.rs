//! One integration-test binary. Each module tests one feature through the
//! real application over HTTP (or the real binary, for the command line).

// A failed test should stop right there.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod access;
mod accounts;
mod auth;
mod cases;
mod cli;
mod export;
mod foundation;
mod import;
mod incidents;
mod mail;
mod pupils;
mod reports;
mod triage;
