//! The trust administrator's pages (`/trust/admin`): the trust's schools
//! (each with its URN and administrators; add a school, with its first
//! administrator), and who holds the trust's roles (give one to an email,
//! take one away). The trust is the one the administrator's working school
//! belongs to; a school of another trust answers 404. No page here shows an
//! incident or a pupil. The trust's shared categories are the categories
//! feature's ([`crate::categories::trust`]). Adding a trust stays on the
//! command line: it is the deployment's business, not a trust's.

mod forms;
mod handlers;
mod views;

use crate::auth::{Access, Role, Router};

const TRUST_ADMIN: Access = Access::Roles(&[Role::TrustAdmin]);

pub fn routes(r: &mut Router<'_>) {
    r.get("/trust/admin", TRUST_ADMIN, handlers::home)
        .post("/trust/admin/schools", TRUST_ADMIN, handlers::add_school)
        .get("/trust/admin/schools/{id}", TRUST_ADMIN, handlers::school)
        .post(
            "/trust/admin/schools/{id}/admins",
            TRUST_ADMIN,
            handlers::add_school_admin,
        )
        .get("/trust/admin/people", TRUST_ADMIN, handlers::people)
        .post("/trust/admin/people", TRUST_ADMIN, handlers::give_role)
        .post(
            "/trust/admin/people/{id}/remove",
            TRUST_ADMIN,
            handlers::take_role,
        );
}
