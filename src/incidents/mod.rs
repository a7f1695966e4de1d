//! The incident log (PRODUCT.md "The record"): logging an incident in two
//! minutes, the list each role may read, the record with its whole
//! timeline, corrections that never overwrite, "entered in error", and the
//! same through the JSON API.
//!
//! Who reads what is decided once, in SQL: [`store::visibility`]. Who owns a
//! new incident is decided once: [`routing::decide`]. The timeline is
//! appended to with [`store::timeline::append`].

pub mod api;
pub mod changes;
pub mod filters;
pub mod forms;
pub(crate) mod handlers;
pub mod logging;
pub mod model;
pub mod record;
pub mod routing;
pub mod saved_search;
pub mod store;
pub mod viewer;
pub(crate) mod views;

pub use viewer::Viewer;

use crate::auth::{Access, Role, Router};

/// Everyone who logs incidents and reads those their role gives them.
/// Governors and administrators are not among them: to them every incident
/// route answers 404.
pub const READERS: Access = Access::Roles(&[
    Role::Staff,
    Role::OnlineSafetyLead,
    Role::Dsl,
    Role::Headteacher,
    Role::Dpo,
    Role::Leadership,
    Role::AllegationsLead,
]);

/// Who reads incidents (the list, a record, a pupil's chronology): the
/// readers and a trust's safeguarding lead, who reads what the DSL reads in
/// each school of the trust but logs and writes nothing there.
pub const LOOKERS: Access = Access::Roles(&[
    Role::Staff,
    Role::OnlineSafetyLead,
    Role::Dsl,
    Role::Headteacher,
    Role::Dpo,
    Role::Leadership,
    Role::AllegationsLead,
    Role::TrustSafeguardingLead,
]);

/// Who may mark an incident entered in error.
const CORRECTORS_OF_RECORD: Access = Access::Roles(&[Role::Dsl, Role::Headteacher]);

pub fn routes(r: &mut Router<'_>) {
    // "/incidents/new" before "/incidents/{id}", which would take it.
    r.get("/incidents", LOOKERS, handlers::list::page)
        .post("/incidents/search", LOOKERS, handlers::list::search_form)
        .get("/incidents/new", READERS, handlers::log::form)
        .post("/incidents", READERS, handlers::log::submit)
        .get("/incidents/{id}", LOOKERS, handlers::record::show)
        .get(
            "/incidents/{id}/logged",
            READERS,
            handlers::log::confirmation,
        )
        .post("/incidents/{id}/notes", READERS, handlers::record::add_note)
        .get("/incidents/{id}/correct", READERS, handlers::correct::form)
        .post(
            "/incidents/{id}/correct",
            READERS,
            handlers::correct::submit,
        )
        .get(
            "/incidents/{id}/entered-in-error",
            CORRECTORS_OF_RECORD,
            handlers::record::in_error_form,
        )
        .post(
            "/incidents/{id}/entered-in-error",
            CORRECTORS_OF_RECORD,
            handlers::record::mark_in_error,
        )
        .get("/api/v1/categories", READERS, api::category_list)
        .post("/api/v1/incidents", READERS, api::create)
        .get("/api/v1/incidents", READERS, api::list)
        .get("/api/v1/incidents/{id}", READERS, api::get)
        .post("/api/v1/incidents/{id}/corrections", READERS, api::correct)
        .post("/api/v1/incidents/{id}/notes", READERS, api::note)
        .post(
            "/api/v1/incidents/{id}/entered-in-error",
            CORRECTORS_OF_RECORD,
            api::entered_in_error,
        );
}
