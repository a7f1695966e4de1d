//! Governors' termly reports, and the term dates they are counted by.

mod handlers;
pub mod store;
pub mod terms;
mod views;

use crate::auth::{Access, Role, Router};

pub fn routes(r: &mut Router<'_>) {
    let admin = Access::Roles(&[Role::Admin]);
    r.get("/admin/terms", admin, handlers::terms_form).post(
        "/admin/terms",
        admin,
        handlers::save_terms,
    );
}
