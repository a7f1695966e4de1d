//! Governors' termly reports (PRODUCT.md "Termly report for governors"),
//! and the term dates they are counted by.
//!
//! The database counts ([`store`], one index on `incidents.counted_on`);
//! [`figures`] names the lines; [`model`] holds the exact figures and how a
//! small count is shown ("<k"); [`report`] puts a term's report together
//! and is the one place it is published (frozen); [`export`] writes the
//! JSON and CSV; [`pages`] serves them.

pub mod export;
pub mod figures;
mod handlers;
pub mod model;
pub mod pages;
pub mod report;
pub mod store;
pub mod terms;
pub mod views;

use crate::auth::{Access, Role, Router};

/// Who reads reports: the leads who see every incident (every term, live),
/// and governors (only what the Online Safety Lead published).
pub const READER_ROLES: &[Role] = &[
    Role::Governor,
    Role::OnlineSafetyLead,
    Role::Dsl,
    Role::Headteacher,
    Role::Leadership,
];
pub const READERS: Access = Access::Roles(READER_ROLES);

/// Who writes the commentary and publishes.
const PUBLISHER: Access = Access::Roles(&[Role::OnlineSafetyLead]);

pub fn routes(r: &mut Router<'_>) {
    let admin = Access::Roles(&[Role::Admin]);
    r.get("/admin/terms", admin, handlers::terms_form)
        .post("/admin/terms", admin, handlers::save_terms)
        .get("/reports", READERS, pages::list)
        // ".csv" before the page, whose "{term}" would take "autumn.csv".
        .get("/reports/{year}/{term}.csv", READERS, pages::csv)
        .get("/reports/{year}/{term}", READERS, pages::show)
        .post(
            "/reports/{year}/{term}/commentary",
            PUBLISHER,
            pages::save_commentary,
        )
        .post("/reports/{year}/{term}/publish", PUBLISHER, pages::publish)
        .get("/api/v1/reports/termly", READERS, pages::api);
}
