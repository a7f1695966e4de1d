//! Who is asking, and what they may do: passwords, sessions and their
//! tokens, the access rule of every route, CSRF protection, two-factor
//! sign-in, first-start setup and password reset.

pub mod access;
mod account;
mod api;
pub mod csrf;
mod handlers;
pub mod password;
pub mod reset;
pub mod roles;
pub mod session;
pub mod setup;
pub mod signin;
pub mod store;
pub mod tokens;
pub mod totp;
mod views;

pub use access::{Access, Router};
pub use roles::Role;
pub use session::CurrentUser;

pub fn routes(r: &mut Router<'_>) {
    r.get("/login", Access::Public, handlers::login_page)
        .post("/login", Access::Public, handlers::login)
        .get("/login/2fa", Access::Verifying, handlers::two_factor_page)
        .post("/login/2fa", Access::Verifying, handlers::two_factor)
        .post("/logout", Access::AnySession, handlers::logout)
        .get("/setup/{token}", Access::Public, setup::form)
        .post("/setup/{token}", Access::Public, setup::submit)
        .get("/password-reset", Access::Public, reset::request_page)
        .post("/password-reset", Access::Public, reset::request)
        .get("/password-reset/{token}", Access::Public, reset::form)
        .post("/password-reset/{token}", Access::Public, reset::submit)
        .get("/account", Access::SignedIn, account::show)
        .post(
            "/account/password",
            Access::SignedIn,
            account::change_password,
        )
        .post("/account/school", Access::SignedIn, account::switch_school)
        .get("/account/2fa", Access::Enrolling, account::enrol_page)
        .post(
            "/account/2fa/start",
            Access::Enrolling,
            account::enrol_start,
        )
        .post(
            "/account/2fa/confirm",
            Access::Enrolling,
            account::enrol_confirm,
        )
        .post(
            "/account/2fa/recovery-codes",
            Access::SignedIn,
            account::renew_recovery_codes,
        )
        .post("/api/v1/auth/token", Access::Public, api::token)
        .post("/api/v1/auth/logout", Access::AnySession, api::logout)
        .get("/api/v1/me", Access::SignedIn, api::me);
}
