//! Who may use which route. Every route is registered through [`Router`]
//! with an [`Access`]; there is no other way in, so a route is closed unless
//! it says who may use it. The same table drives the role-by-route test.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::{from_fn, Next};
use actix_web::{guard, web, FromRequest, Handler, HttpMessage, HttpResponse, Responder};

use super::roles::Role;
use super::session::{self, CurrentUser, Stage};
use crate::error::{self, AppError};

/// Who may use a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone: sign-in, setup, password reset, health, assets.
    Public,
    /// Someone who gave their password and must now give their code.
    Verifying,
    /// Someone setting up their second factor, or fully signed in.
    Enrolling,
    /// Any session at all, whatever its stage (signing out).
    AnySession,
    /// Fully signed in, any role.
    SignedIn,
    /// Fully signed in with at least one of these roles.
    Roles(&'static [Role]),
}

/// One route as the table records it.
#[derive(Clone, Debug)]
pub struct RouteInfo {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
}

/// Registers routes with their access rule; with no actix config it only
/// records them (for [`crate::app::route_table`]).
pub struct Router<'a> {
    cfg: Option<&'a mut web::ServiceConfig>,
    table: &'a mut Vec<RouteInfo>,
}

impl<'a> Router<'a> {
    pub fn new(cfg: Option<&'a mut web::ServiceConfig>, table: &'a mut Vec<RouteInfo>) -> Self {
        Self { cfg, table }
    }

    pub fn get<F, Args>(&mut self, path: &'static str, access: Access, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::GET, path, access, handler)
    }

    pub fn post<F, Args>(&mut self, path: &'static str, access: Access, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::POST, path, access, handler)
    }

    fn add<F, Args>(
        &mut self,
        method: Method,
        path: &'static str,
        access: Access,
        handler: F,
    ) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.table.push(RouteInfo {
            method: method.clone(),
            path,
            access,
        });
        if let Some(cfg) = self.cfg.as_deref_mut() {
            // HEAD is answered as GET (actix sends the headers without the
            // body): uptime monitors check /health/live with it.
            let matches = move || {
                let m = guard::Method(method.clone());
                if method == Method::GET {
                    guard::Any(m).or(guard::Head())
                } else {
                    guard::Any(m)
                }
            };
            cfg.service(
                web::resource(path)
                    .guard(matches())
                    .route(web::route().guard(matches()).to(handler))
                    .wrap(from_fn(move |req, next| authorize(access, req, next))),
            );
        }
        self
    }
}

/// What to do with a request, given the route's rule and who sent it.
#[derive(Debug, PartialEq, Eq)]
enum Decision {
    Allow,
    SignIn,
    FinishTwoFactor,
    EnrolTwoFactor,
    Hide,
}

fn decide(access: Access, user: Option<&CurrentUser>) -> Decision {
    let Some(user) = user else {
        return Decision::SignIn;
    };
    match (access, user.stage) {
        (Access::Public | Access::AnySession, _) => Decision::Allow,
        (Access::Verifying, Stage::Totp) => Decision::Allow,
        (Access::Verifying, _) => Decision::Hide,
        (_, Stage::Totp) => Decision::FinishTwoFactor,
        (Access::Enrolling, _) => Decision::Allow,
        (_, Stage::Enrol) => Decision::EnrolTwoFactor,
        (Access::SignedIn, Stage::Complete) => Decision::Allow,
        (Access::Roles(roles), Stage::Complete) if user.roles.any(roles) => Decision::Allow,
        (Access::Roles(_), Stage::Complete) => Decision::Hide,
    }
}

async fn authorize(
    access: Access,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if access == Access::Public {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let user = session::authenticate(req.request()).await?;
    let path = req.path().to_string();
    let api = error::is_api(&path);
    let redirect = |to: &'static str| {
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, to))
            .finish()
    };
    match decide(access, user.as_ref()) {
        Decision::Allow => {
            if let Some(user) = user {
                req.extensions_mut().insert(user);
            }
            Ok(next.call(req).await?.map_into_boxed_body())
        }
        Decision::SignIn => Ok(req.error_response(error::for_path(&path, AppError::Unauthorized))),
        Decision::Hide => Ok(req.error_response(error::for_path(&path, AppError::NotFound))),
        Decision::FinishTwoFactor if !api => Ok(req.into_response(redirect("/login/2fa"))),
        Decision::EnrolTwoFactor if !api => Ok(req.into_response(redirect("/account/2fa"))),
        Decision::FinishTwoFactor | Decision::EnrolTwoFactor => Ok(req.error_response(
            error::for_path(&path, AppError::Forbidden(
                "Set up two-factor sign-in on the website (Account, Two-factor sign-in) before using the API.",
            )),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::roles::RoleSet;

    fn user(stage: Stage, roles: &[Role]) -> CurrentUser {
        CurrentUser::for_tests(stage, roles.iter().copied().collect::<RoleSet>())
    }

    #[test]
    fn a_role_outside_the_rule_is_hidden_and_a_half_signed_in_person_is_sent_on() {
        let governors = Access::Roles(&[Role::Governor]);
        assert_eq!(decide(governors, None), Decision::SignIn);
        assert_eq!(
            decide(governors, Some(&user(Stage::Complete, &[Role::Staff]))),
            Decision::Hide
        );
        assert_eq!(
            decide(governors, Some(&user(Stage::Complete, &[Role::Governor]))),
            Decision::Allow
        );
        assert_eq!(
            decide(governors, Some(&user(Stage::Totp, &[Role::Governor]))),
            Decision::FinishTwoFactor
        );
        assert_eq!(
            decide(governors, Some(&user(Stage::Enrol, &[Role::Governor]))),
            Decision::EnrolTwoFactor
        );
        assert_eq!(
            decide(Access::Enrolling, Some(&user(Stage::Enrol, &[]))),
            Decision::Allow
        );
        assert_eq!(
            decide(Access::Verifying, Some(&user(Stage::Complete, &[]))),
            Decision::Hide
        );
    }
}
