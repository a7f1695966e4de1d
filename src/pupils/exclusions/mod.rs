//! Conflicts of interest (issue 16): an administrator or the DSL marks a
//! member of staff (a pupil's parent or relative, say) as excluded from a
//! pupil, with a reason, on the pupil's page or through the API. From the
//! next request that person reads nothing about the pupil, whatever their
//! role: the exclusion travels with the session into the viewer that every
//! read of incidents filters by ([`crate::incidents::store::visibility`]),
//! and alerts and emails about the pupil leave them out. Lifting an
//! exclusion is recorded with its reason; nothing is deleted, and both are
//! in the audit trail.

mod handlers;
pub mod model;
pub mod store;
pub mod views;

pub use handlers::pupil_for;

use crate::auth::{Access, Role, Router};

/// Who marks and lifts exclusions: the school's administrator and the DSL.
pub const MANAGERS: &[Role] = &[Role::Admin, Role::Dsl];
const MANAGE: Access = Access::Roles(MANAGERS);

pub fn routes(r: &mut Router<'_>) {
    r.post("/pupils/{id}/exclusions", MANAGE, handlers::add_form)
        .post(
            "/pupils/{id}/exclusions/{exclusion_id}/lift",
            MANAGE,
            handlers::lift_form,
        )
        .get("/api/v1/pupils/{id}/exclusions", MANAGE, handlers::list_api)
        .post("/api/v1/pupils/{id}/exclusions", MANAGE, handlers::add_api)
        .post(
            "/api/v1/pupils/{id}/exclusions/{exclusion_id}/lift",
            MANAGE,
            handlers::lift_api,
        );
}
