//! Signing in, shared by the sign-in page and the API: the lockout window,
//! the password check that takes as long and says the same whether the
//! email is unknown, the password wrong or the account deactivated, and
//! the second factor.

use chrono::{Duration, NaiveDateTime};

use super::session::Stage;
use super::{password, store, tokens, totp};
use crate::accounts::model::{needs_2fa, normalise_email, User};
use crate::audit::{self, Event};
use crate::config::Require2fa;
use crate::db::{AnyConnection, DbPool};
use crate::error::AppError;

/// Failures for one account from one address within the window before
/// that account is locked from that address. Counting by address alone
/// let one pupil behind the school's NAT lock every member of staff out.
pub const MAX_FAILURES: i64 = 10;
/// Failures for one account from all addresses together before it is
/// locked everywhere: a guess spread over many addresses still stops.
pub const MAX_ACCOUNT_FAILURES: i64 = 30;
/// Failures from one address, whatever the accounts, after which each
/// sign-in from it waits [`SLOW_DOWN`] first. Slowed, never refused: the
/// address is often a whole school's.
pub const ADDRESS_BUDGET: i64 = 50;
pub const SLOW_DOWN: std::time::Duration = std::time::Duration::from_secs(2);
pub const WINDOW: Duration = Duration::minutes(15);

/// The one message for every refused password, whatever the reason.
pub const REFUSED: &str =
    "That email and password do not match an active account. Check them and try again.";

pub enum Channel {
    Browser,
    /// The API gives the second factor in the same request, if it needs one.
    Api {
        code: Option<String>,
    },
}

pub struct Attempt<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub ip: &'a str,
    pub user_agent: Option<&'a str>,
    pub channel: Channel,
    pub now: NaiveDateTime,
    pub policy_override: Option<Require2fa>,
    /// API only: the school the session is to work in (its id, URN or
    /// name), instead of the home school.
    pub school: Option<&'a str>,
}

pub enum Outcome {
    SignedIn {
        session_id: String,
        stage: Stage,
    },
    Refused,
    Limited,
    /// API only: the account has a second factor and the code was missing or wrong.
    NeedsCode,
    /// API only: the account must set up a second factor on the website first.
    MustEnrol,
    /// API only: the school asked for is not one the person works in; the
    /// message names it and lists theirs.
    NotTheirSchool(String),
    /// The password was right, but the school signs in only with SSO.
    UseSso,
}

/// Said when the password was right but the school has turned passwords off.
pub const USE_SSO: &str = "Your school signs in with its Microsoft or Google account: use the \"Sign in with\" button instead of a password.";

pub fn sign_in(conn: &mut AnyConnection, a: &Attempt<'_>) -> Result<Outcome, AppError> {
    let email = normalise_email(a.email);
    let user = crate::accounts::store::user_by_email(conn, &email)?;
    if locked_out(conn, &email, a.ip, a.now)? {
        let mut event = Event::new("sign_in_locked", a.now).ip(Some(a.ip));
        if let Some(u) = &user {
            event = event.school(&u.home_school_id).actor(&u.id);
        }
        audit::store::insert(conn, &event)?;
        return Ok(Outcome::Limited);
    }
    let Some(user) = user else {
        password::verify_dummy(a.password);
        // Counted against the typed email too, so an unknown address is
        // locked exactly as a known one is and the 429 tells nothing.
        store::record_failure(conn, Some(&email), a.ip, a.now)?;
        audit::store::insert(conn, &Event::new("sign_in_failed", a.now).ip(Some(a.ip)))?;
        return Ok(Outcome::Refused);
    };
    if !password::verify(a.password, &user.password_hash) || !user.active {
        refuse(conn, &user, a, "password")?;
        return Ok(Outcome::Refused);
    }

    // The second factor is asked for as the school the session starts in
    // requires; switching to a stricter school asks again (session.rs).
    let start = match a.school {
        None => store::starting_school(conn, &user)?,
        Some(named) => match chosen_school(conn, &user.id, named)? {
            Ok(id) => id,
            Err(message) => return Ok(Outcome::NotTheirSchool(message)),
        },
    };
    // Trust roles count: a trust's safeguarding lead reads this school's
    // incidents, so the school's two-factor rule holds them as it holds
    // its DSL.
    let roles = crate::accounts::store::roles_working_in(conn, &user.id, &start)?;
    let school = crate::accounts::store::school(conn, &start)?;
    // A school that signs in with SSO can turn passwords off; its
    // administrators keep theirs as the way back in (the provider down,
    // misconfigured), and must give a second factor with it.
    let admin_recovery = if store::sign_in_settings(conn, &start)?.password_sign_in {
        false
    } else if roles.contains(&crate::auth::Role::Admin) {
        true
    } else {
        audit::store::insert(
            conn,
            &Event::new("sign_in_failed", a.now)
                .school(&start)
                .actor(&user.id)
                .detail("password sign-in is off for this school")
                .ip(Some(a.ip)),
        )?;
        return Ok(Outcome::UseSso);
    };
    let policy = a
        .policy_override
        .unwrap_or_else(|| school.two_factor_policy());
    let policy = if admin_recovery {
        crate::config::Require2fa::All
    } else {
        policy
    };
    let stage = match &a.channel {
        Channel::Browser if user.has_2fa() => Stage::Totp,
        Channel::Browser if needs_2fa(policy, &roles) => Stage::Enrol,
        Channel::Browser => Stage::Complete,
        Channel::Api { code } if user.has_2fa() => {
            let Some(code) = code else {
                return Ok(Outcome::NeedsCode);
            };
            if !second_factor(conn, &user, code, a.now, a.ip)? {
                refuse(conn, &user, a, "second factor")?;
                return Ok(Outcome::NeedsCode);
            }
            Stage::Complete
        }
        Channel::Api { .. } if needs_2fa(policy, &roles) => return Ok(Outcome::MustEnrol),
        Channel::Api { .. } => Stage::Complete,
    };
    let session_id = store::create_session(
        conn,
        &store::NewSession {
            user: &user,
            school_id: &start,
            stage: stage.as_str(),
            ip: Some(a.ip),
            user_agent: a.user_agent,
            at: a.now,
        },
    )?;
    if stage == Stage::Complete {
        record_sign_in(conn, &user, &start, a.ip, a.now, channel_name(&a.channel))?;
    }
    Ok(Outcome::SignedIn { session_id, stage })
}

/// The school among those `user_id` works in that `named` names: by id,
/// URN or name (any case). Asked only after the password was right, so the
/// list of their own schools tells nobody anything new.
fn chosen_school(
    conn: &mut AnyConnection,
    user_id: &str,
    named: &str,
) -> Result<Result<String, String>, AppError> {
    let wanted = named.trim();
    let theirs = crate::accounts::store::workplaces(conn, user_id)?;
    for (id, name) in &theirs {
        let urn = crate::accounts::store::school(conn, id)?.urn;
        if id == wanted || urn.as_deref() == Some(wanted) || name.eq_ignore_ascii_case(wanted) {
            return Ok(Ok(id.clone()));
        }
    }
    let names: Vec<&str> = theirs.iter().map(|(_, n)| n.as_str()).collect();
    Ok(Err(format!(
        "You hold no role at a school named '{wanted}': give the id, URN or name of one of your schools ({})",
        names.join(", ")
    )))
}

fn channel_name(c: &Channel) -> &'static str {
    match c {
        Channel::Browser => "browser",
        Channel::Api { .. } => "api",
    }
}

pub fn locked_out(
    conn: &mut AnyConnection,
    email: &str,
    ip: &str,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    let (from_here, anywhere) = store::recent_failures(conn, email, ip, now - WINDOW)?;
    Ok(from_here >= MAX_FAILURES || anywhere >= MAX_ACCOUNT_FAILURES)
}

/// Waits before a sign-in from an address that has failed more than
/// [`ADDRESS_BUDGET`] times in the window. The wait is outside the
/// database call, so a flood holds no connection while it waits.
pub async fn pace(pool: &DbPool, ip: &str, now: NaiveDateTime) -> Result<(), AppError> {
    let ip = ip.to_string();
    let failures = crate::db::run(pool, move |conn| {
        Ok(store::failures_from(conn, &ip, now - WINDOW)?)
    })
    .await?;
    if failures >= ADDRESS_BUDGET {
        actix_web::rt::time::sleep(SLOW_DOWN).await;
    }
    Ok(())
}

fn refuse(
    conn: &mut AnyConnection,
    user: &User,
    a: &Attempt<'_>,
    what: &str,
) -> Result<(), AppError> {
    store::record_failure(conn, Some(&user.email), a.ip, a.now)?;
    audit::store::insert(
        conn,
        &Event::new("sign_in_failed", a.now)
            .school(&user.home_school_id)
            .actor(&user.id)
            .detail(format!("wrong {what}"))
            .ip(Some(a.ip)),
    )?;
    Ok(())
}

/// A completed sign-in, recorded in the school the session works in.
pub fn record_sign_in(
    conn: &mut AnyConnection,
    user: &User,
    school_id: &str,
    ip: &str,
    now: NaiveDateTime,
    how: &str,
) -> Result<(), AppError> {
    audit::store::insert(
        conn,
        &Event::new("sign_in", now)
            .school(school_id)
            .actor(&user.id)
            .detail(if user.has_2fa() {
                format!("{how}, with two-factor")
            } else {
                how.to_string()
            })
            .ip(Some(ip)),
    )?;
    Ok(())
}

/// Checks an authenticator code or a recovery code, using it up.
pub fn second_factor(
    conn: &mut AnyConnection,
    user: &User,
    code: &str,
    now: NaiveDateTime,
    ip: &str,
) -> Result<bool, AppError> {
    let Some(secret) = &user.totp_secret else {
        return Ok(false);
    };
    if let Some(step) = totp::verify(secret, code, now.and_utc().timestamp(), user.totp_last_step) {
        store::set_totp_step(conn, &user.id, step)?;
        return Ok(true);
    }
    let normalised = totp::normalise_recovery_code(code);
    if normalised.len() == 12
        && store::use_recovery_code(conn, &user.id, &tokens::digest(&normalised), now)?
    {
        audit::store::insert(
            conn,
            &Event::new("recovery_code_used", now)
                .school(&user.home_school_id)
                .actor(&user.id)
                .ip(Some(ip)),
        )?;
        return Ok(true);
    }
    Ok(false)
}
