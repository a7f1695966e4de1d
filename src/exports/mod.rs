//! The incident log as CSV, both ways (PRODUCT.md "CSV for audits"): the
//! export that auditors and local-authority reviewers ask for, streamed
//! from the incident list, the API and the command line; and the import of
//! the spreadsheet a school kept before safelog, from an upload page and
//! the command line. The columns and cell rules both use live in
//! [`crate::spreadsheet`].

pub mod cli;
pub mod export;
mod handlers;
pub mod import;
pub mod import_store;
pub mod store;
mod views;

use crate::auth::{Access, Role, Router};

/// Who may take the log away as a spreadsheet: the leads who read it all.
pub const EXPORTERS: Access =
    Access::Roles(&[Role::Dsl, Role::Headteacher, Role::OnlineSafetyLead]);

/// Who may import the old spreadsheet: the DSL and administrators.
pub const IMPORTERS: Access = Access::Roles(&[Role::Dsl, Role::Admin]);

/// Registered before the incident routes, so that `/incidents/{id}` does
/// not take `/incidents/export.csv`.
pub fn routes(r: &mut Router<'_>) {
    r.get("/incidents/export.csv", EXPORTERS, handlers::export_page)
        .get("/api/v1/export.csv", EXPORTERS, handlers::export_api)
        .get("/import/log", IMPORTERS, handlers::import_page)
        .post("/import/log", IMPORTERS, handlers::import_upload);
}
