//! Pupils: the school's list (imported from its MIS by `safelog import
//! pupils` or the administrators' upload page), the type-ahead the log form
//! uses, and each pupil's chronology of incidents.

pub mod cli;
pub mod drop;
mod handlers;
pub mod import;
pub mod model;
pub mod store;
mod views;

use crate::auth::{Access, Role, Router};
use crate::incidents::{LOOKERS, READERS};

const ADMIN: Access = Access::Roles(&[Role::Admin]);

pub fn routes(r: &mut Router<'_>) {
    r.get("/pupils/{id}", LOOKERS, handlers::chronology)
        .get("/api/v1/pupils", READERS, handlers::typeahead)
        .get("/admin/pupils", ADMIN, handlers::upload_page)
        .post("/admin/pupils", ADMIN, handlers::upload)
        .post(
            "/pupils/{id}/identifiers",
            Access::Roles(handlers::IDENTIFIER_EDITORS),
            handlers::set_identifiers,
        );
}
