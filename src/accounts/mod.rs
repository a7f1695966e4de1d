//! Administration of a school: its accounts, their roles, and its settings;
//! and, from the command line, the deployment's trusts and schools. Only
//! administrators reach it; they manage people, not incident content.

pub mod cli;
mod forms;
pub mod grants;
mod handlers;
pub mod model;
pub mod people;
pub mod schools;
pub mod store;
pub mod trust_roles;
mod views;

use crate::auth::{Access, Role, Router};

const ADMIN: Access = Access::Roles(&[Role::Admin]);

pub fn routes(r: &mut Router<'_>) {
    r.get("/admin", ADMIN, handlers::home)
        .get("/admin/users", ADMIN, handlers::list)
        .get("/admin/users/new", ADMIN, handlers::new_form)
        .post("/admin/users", ADMIN, handlers::create)
        .get("/admin/users/{id}", ADMIN, handlers::edit_form)
        .post("/admin/users/{id}", ADMIN, handlers::update)
        .post("/admin/users/{id}/deactivate", ADMIN, handlers::deactivate)
        .post("/admin/users/{id}/reactivate", ADMIN, handlers::reactivate)
        .post(
            "/admin/users/{id}/password-reset",
            ADMIN,
            handlers::send_reset,
        )
        .post(
            "/admin/users/{id}/reset-2fa",
            ADMIN,
            handlers::reset_two_factor,
        )
        .get("/admin/email", ADMIN, handlers::email_status)
        .get("/admin/school", ADMIN, handlers::school_form)
        .post("/admin/school", ADMIN, handlers::update_school);
}
