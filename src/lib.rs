//! safelog: an online-safety incident log and case tracker for schools.
//! See README.md for running it and ../shared/DESIGN.md for how it is built.

pub mod accounts;
pub mod api_docs;
pub mod app;
pub mod assets;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod cases;
pub mod categories;
pub mod cli;
pub mod clock;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod error;
pub mod exports;
pub mod forms;
pub mod health;
pub mod incidents;
pub mod mail;
pub mod methods;
pub mod metrics;
pub mod monitoring;
pub mod plain_text;
pub mod proxies;
pub mod pupils;
pub mod reports;
pub mod spreadsheet;
pub mod state;
pub mod telemetry;
pub mod transfers;
pub mod trust;
pub mod trust_admin;
pub mod views;
