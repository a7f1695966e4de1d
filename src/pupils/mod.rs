//! Pupils: the school's list (imported from its MIS by `safelog import
//! pupils` or the administrators' upload page), the type-ahead the log form
//! uses, each pupil's chronology of incidents, and who is excluded from
//! a pupil ([`exclusions`]).

pub mod cli;
pub mod drop;
pub mod exclusions;
pub mod handlers;
pub mod import;
pub mod model;
pub mod store;
mod views;

use crate::auth::{Access, Role, Router};
use crate::incidents::READERS;

const ADMIN: Access = Access::Roles(&[Role::Admin]);

/// Who opens a pupil's page: those who read incidents (the chronology) and
/// the administrator, who manages exclusions there and sees no incident.
const PAGE: Access = Access::Roles(&[
    Role::Staff,
    Role::OnlineSafetyLead,
    Role::Dsl,
    Role::Headteacher,
    Role::Dpo,
    Role::Leadership,
    Role::AllegationsLead,
    Role::TrustSafeguardingLead,
    Role::Admin,
]);

pub fn routes(r: &mut Router<'_>) {
    exclusions::routes(r);
    r.get("/pupils/{id}", PAGE, handlers::chronology)
        .get("/api/v1/pupils", READERS, handlers::typeahead)
        .get("/admin/pupils", ADMIN, handlers::upload_page)
        .post("/admin/pupils", ADMIN, handlers::upload)
        .post(
            "/pupils/{id}/identifiers",
            Access::Roles(handlers::IDENTIFIER_EDITORS),
            handlers::set_identifiers,
        );
}
