//! Sign-in with OpenID Connect ("Sign in with Microsoft / Google"): the
//! providers a school or trust configures, the authorization code flow
//! with PKCE, the checks on the provider's ID token, who a checked
//! identity signs in as, and the administrators' page (providers, password
//! sign-in on or off, accounts not seen for a while). It stands on auth
//! (sessions, the second factor) and accounts (memberships).

pub mod admin;
pub mod cli;
pub mod handlers;
pub mod model;
pub mod oidc;
pub mod signin;
pub mod store;
mod views;

use crate::auth::{Access, Role, Router};

pub use oidc::Cache;

const ADMIN: Access = Access::Roles(&[Role::Admin]);
const TRUST_ADMIN: Access = Access::Roles(&[Role::TrustAdmin]);

pub fn routes(r: &mut Router<'_>) {
    // The callback first: `{provider}` would match "callback" too.
    r.get("/login/oidc/callback", Access::Public, handlers::callback)
        .get("/login/oidc/{provider}", Access::Public, handlers::start)
        .get("/admin/sign-in", ADMIN, admin::school_page)
        .post("/admin/sign-in/providers", ADMIN, admin::school_add)
        .post(
            "/admin/sign-in/providers/{id}/roles",
            ADMIN,
            admin::school_mapping,
        )
        .post(
            "/admin/sign-in/providers/{id}/remove",
            ADMIN,
            admin::school_remove,
        )
        .post("/admin/sign-in/settings", ADMIN, admin::save_settings)
        .get("/trust/admin/sign-in", TRUST_ADMIN, admin::trust_page)
        .post(
            "/trust/admin/sign-in/providers",
            TRUST_ADMIN,
            admin::trust_add,
        )
        .post(
            "/trust/admin/sign-in/providers/{id}/roles",
            TRUST_ADMIN,
            admin::trust_mapping,
        )
        .post(
            "/trust/admin/sign-in/providers/{id}/remove",
            TRUST_ADMIN,
            admin::trust_remove,
        );
}
