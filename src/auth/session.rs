//! The signed-in person. [`authenticate`] turns a request's token (the
//! session cookie or `Authorization: Bearer`) into a [`CurrentUser`] by
//! reading the session, the account and its roles from the database, so
//! that sign-out, a password change, a role change or deactivation takes
//! effect on the very next request. The school a request works in is the
//! session's (a person with several memberships switches it), and the
//! roles are those of the membership in that school only.

use std::future::{ready, Ready};

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use chrono::Duration;

use super::roles::{Role, RoleSet};
use super::store;
use super::tokens::{SESSION_IDLE, SESSION_LIFETIME};
use crate::accounts::model::needs_2fa;
use crate::config::Config;
use crate::error::{self, AppError};
use crate::state::AppState;

/// How far through signing in a session is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Password given; the authenticator code is still to come.
    Totp,
    /// Password given; a second factor must be set up before anything else.
    Enrol,
    Complete,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Totp => "totp",
            Stage::Enrol => "enrol",
            Stage::Complete => "complete",
        }
    }

    fn parse(s: &str) -> Stage {
        match s {
            "complete" => Stage::Complete,
            "enrol" => Stage::Enrol,
            _ => Stage::Totp,
        }
    }
}

/// Who is asking, as of this request.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub id: String,
    /// The school this session works in: every school-owned read and write
    /// of the request is scoped to it.
    pub school_id: String,
    pub school_name: String,
    /// Every school the person holds roles in, by name: (id, name). The
    /// header offers a switch when there is more than one.
    pub memberships: Vec<(String, String)>,
    pub name: String,
    pub initials: String,
    pub email: String,
    pub roles: RoleSet,
    /// The pupils this person is excluded from (a conflict of interest),
    /// in any school: read with the session, so every read of the request
    /// leaves them out without asking again.
    pub excluded_pupils: Vec<String>,
    pub session_id: String,
    pub stage: Stage,
    pub has_2fa: bool,
    /// True when the token came from the browser cookie (not a bearer token).
    pub via_cookie: bool,
}

impl CurrentUser {
    pub fn has(&self, role: Role) -> bool {
        self.roles.has(role)
    }

    #[cfg(test)]
    pub fn for_tests(stage: Stage, roles: RoleSet) -> Self {
        Self {
            id: "u".into(),
            school_id: "s".into(),
            school_name: "S".into(),
            memberships: Vec::new(),
            name: "N".into(),
            initials: "N".into(),
            email: "n@example.org".into(),
            roles,
            excluded_pupils: Vec::new(),
            session_id: "x".into(),
            stage,
            has_2fa: false,
            via_cookie: true,
        }
    }
}

impl FromRequest for CurrentUser {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    /// Set by the route's access check; a handler on a public route that asks
    /// for it gets 401.
    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<CurrentUser>()
                .cloned()
                .ok_or_else(|| error::for_path(req.path(), AppError::Unauthorized)),
        )
    }
}

/// The name of the session cookie: `__Host-` pinned to this host when the
/// service is reached over https.
pub fn cookie_name(config: &Config) -> &'static str {
    if config.is_https() {
        "__Host-safelog_session"
    } else {
        "safelog_session"
    }
}

/// The cookie that carries a token: HttpOnly, SameSite=Strict, and Secure
/// over https. No Max-Age, so it ends with the browser too.
pub fn session_cookie(config: &Config, token: &str) -> Cookie<'static> {
    Cookie::build(cookie_name(config), token.to_string())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(config.is_https())
        .finish()
}

pub fn clear_cookie(config: &Config) -> Cookie<'static> {
    let mut c = session_cookie(config, "");
    c.make_removal();
    c
}

/// The bearer token, if the request carries one.
pub fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// The address the request came from: the TCP peer, or the client a
/// trusted proxy (`SAFELOG_TRUSTED_PROXIES`) says it forwarded for.
pub fn client_ip(req: &HttpRequest) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return "unknown".into();
    };
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return peer.to_string();
    };
    let values = |name: header::HeaderName| -> Vec<&str> {
        req.headers()
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .collect()
    };
    state
        .config
        .trusted_proxies
        .client(
            peer,
            &values(header::X_FORWARDED_FOR),
            &values(header::FORWARDED),
        )
        .to_string()
}

/// Last-seen is written at most this often, not on every request.
const TOUCH_EVERY: Duration = Duration::seconds(60);

/// The person behind the request's token, if the token and its session are good.
pub async fn authenticate(req: &HttpRequest) -> Result<Option<CurrentUser>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(None);
    };
    let (token, via_cookie) = match bearer(req) {
        Some(t) => (t, false),
        None => match req.cookie(cookie_name(&state.config)) {
            Some(c) => (c.value().to_string(), true),
            None => return Ok(None),
        },
    };
    let Some(session_id) = state.keys.session_of(&token, &state.clock) else {
        return Ok(None);
    };
    let now = state.clock.now_naive();
    let override_policy = state.config.require_2fa;
    let path = req.path().to_string();
    crate::db::run(&state.pool, move |conn| {
        let Some((session, user)) = store::live_session(conn, &session_id)? else {
            return Ok(None);
        };
        // An SSO session also ends with the provider's token, so a leaver
        // removed from the school's directory is out within its lifetime.
        let fresh = now - session.last_seen_at <= SESSION_IDLE
            && now - session.created_at <= SESSION_LIFETIME
            && session.expires_at.is_none_or(|end| now < end);
        if !user.active || !fresh {
            return Ok(None);
        }
        if now - session.last_seen_at > TOUCH_EVERY {
            store::touch_session(conn, &session.id, now)?;
        }
        let roles = crate::accounts::store::roles_working_in(conn, &user.id, &session.school_id)?;
        let school = crate::accounts::store::school(conn, &session.school_id)?;
        let memberships = crate::accounts::store::workplaces(conn, &user.id)?;
        let excluded_pupils = crate::pupils::exclusions::store::live_pupils_of(conn, &user.id)?;
        let policy = override_policy.unwrap_or_else(|| school.two_factor_policy());
        let mut stage = Stage::parse(&session.stage);
        // A role given since sign-in can make a second factor necessary now.
        // A provider's second factor stands in for safelog's code.
        let provider_mfa = session.method == store::SSO_WITH_MFA;
        if stage == Stage::Complete && !provider_mfa && !user.has_2fa() && needs_2fa(policy, &roles)
        {
            stage = Stage::Enrol;
        }
        Ok(Some(CurrentUser {
            has_2fa: user.has_2fa(),
            id: user.id,
            school_id: school.id,
            school_name: school.name,
            memberships,
            name: user.name,
            initials: user.initials,
            email: user.email,
            roles: roles.into_iter().collect(),
            excluded_pupils,
            session_id: session.id,
            stage,
            via_cookie,
        }))
    })
    .await
    .map_err(|e| error::for_path(&path, e))
}
