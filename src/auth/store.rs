//! SQL for sign-in: sessions, failed attempts, one-time links, second
//! factors and recovery codes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::accounts::model::User;
use crate::db::schema::{
    oidc_providers, one_time_links, recovery_codes, schools, sessions, sign_in_failures,
    sign_in_settings, trusts, users,
};
use crate::db::AnyConnection;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub id: String,
    pub user_id: String,
    pub school_id: String,
    pub stage: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// An SSO session ends here (the provider's token's expiry), if
    /// sooner than safelog's own limit.
    pub expires_at: Option<NaiveDateTime>,
    /// `password`, `oidc`, or [`SSO_WITH_MFA`].
    pub method: String,
}

pub struct NewSession<'a> {
    pub user: &'a User,
    /// The school it works in (see [`starting_school`]).
    pub school_id: &'a str,
    pub stage: &'a str,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub at: NaiveDateTime,
}

/// A new session, working in `new.school_id`.
pub fn create_session(conn: &mut AnyConnection, new: &NewSession<'_>) -> QueryResult<String> {
    // 256 bits: the session id is the secret a token stands for.
    let id = super::tokens::random_token(32);
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(&id),
            sessions::user_id.eq(&new.user.id),
            sessions::school_id.eq(new.school_id),
            sessions::stage.eq(new.stage),
            sessions::created_at.eq(new.at),
            sessions::last_seen_at.eq(new.at),
            sessions::ip.eq(new.ip),
            sessions::user_agent.eq(new
                .user_agent
                .map(|ua| ua.chars().take(200).collect::<String>())),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Marks a new session as made by SSO: it ends at `expires_at` (the
/// provider's token's expiry, or safelog's limit if sooner).
/// `mfa`: the provider said a second factor was used, which stands in for
/// safelog's own code for the session's life.
pub fn mark_sso_session(
    conn: &mut AnyConnection,
    id: &str,
    mfa: bool,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(sessions::table.find(id))
        .set((
            sessions::method.eq(if mfa { SSO_WITH_MFA } else { "oidc" }),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The `method` of a session made by SSO where the provider's token said
/// a second factor was used.
pub const SSO_WITH_MFA: &str = "oidc_mfa";

/// How a school's people may sign in (table `sign_in_settings`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignInSettings {
    /// Off once the school signs in with SSO; its administrators keep it
    /// (with their second factor) as the way back in.
    pub password_sign_in: bool,
    /// An account unseen this many days is listed for deactivation.
    pub dormant_after_days: i32,
}

impl Default for SignInSettings {
    fn default() -> Self {
        Self {
            password_sign_in: true,
            dormant_after_days: 90,
        }
    }
}

pub fn sign_in_settings(conn: &mut AnyConnection, school_id: &str) -> QueryResult<SignInSettings> {
    Ok(sign_in_settings::table
        .find(school_id)
        .select((
            sign_in_settings::password_sign_in,
            sign_in_settings::dormant_after_days,
        ))
        .first::<(bool, i32)>(conn)
        .optional()?
        .map_or_else(SignInSettings::default, |(password_sign_in, days)| {
            SignInSettings {
                password_sign_in,
                dormant_after_days: days,
            }
        }))
}

/// Saves a school's settings (an update, or the first row): the caller
/// holds a write transaction.
pub fn save_sign_in_settings(
    conn: &mut AnyConnection,
    school_id: &str,
    settings: SignInSettings,
    by: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let n = diesel::update(sign_in_settings::table.find(school_id))
        .set((
            sign_in_settings::password_sign_in.eq(settings.password_sign_in),
            sign_in_settings::dormant_after_days.eq(settings.dormant_after_days),
            sign_in_settings::updated_at.eq(at),
            sign_in_settings::updated_by.eq(by),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(sign_in_settings::table)
            .values((
                sign_in_settings::school_id.eq(school_id),
                sign_in_settings::password_sign_in.eq(settings.password_sign_in),
                sign_in_settings::dormant_after_days.eq(settings.dormant_after_days),
                sign_in_settings::updated_at.eq(at),
                sign_in_settings::updated_by.eq(by),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// One "Sign in with ..." button: the provider's id and name, and the
/// school or trust it belongs to (shown when a deployment has several).
pub struct SignInButton {
    pub id: String,
    pub name: String,
    pub owner: String,
}

/// Every provider in use, for the sign-in page. Read here rather than in
/// the sso feature because the sign-in page is auth's and sso stands on
/// auth, not the other way round.
pub fn sign_in_buttons(conn: &mut AnyConnection) -> QueryResult<Vec<SignInButton>> {
    let rows = oidc_providers::table
        .left_join(schools::table.on(oidc_providers::school_id.eq(schools::id.nullable())))
        .left_join(trusts::table.on(oidc_providers::trust_id.eq(trusts::id.nullable())))
        .filter(oidc_providers::removed_at.is_null())
        .order((oidc_providers::name.asc(), oidc_providers::id.asc()))
        .select((
            oidc_providers::id,
            oidc_providers::name,
            schools::name.nullable(),
            trusts::name.nullable(),
        ))
        .load::<(String, String, Option<String>, Option<String>)>(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, school, trust)| SignInButton {
            id,
            name,
            owner: school.or(trust).unwrap_or_default(),
        })
        .collect())
}

/// Where a sign-in starts: the home school while the person is still a
/// member there, else the first of their schools by name (the home
/// school again when they have no membership at all, which gives them no
/// roles anywhere).
pub fn starting_school(conn: &mut AnyConnection, user: &User) -> QueryResult<String> {
    let schools = crate::accounts::store::workplaces(conn, &user.id)?;
    if schools.iter().any(|(id, _)| *id == user.home_school_id) {
        return Ok(user.home_school_id.clone());
    }
    Ok(schools
        .into_iter()
        .next()
        .map_or_else(|| user.home_school_id.clone(), |(id, _)| id))
}

/// Moves a session to another school; the caller has checked the
/// membership.
pub fn set_session_school(conn: &mut AnyConnection, id: &str, school_id: &str) -> QueryResult<()> {
    diesel::update(sessions::table.find(id))
        .set(sessions::school_id.eq(school_id))
        .execute(conn)?;
    Ok(())
}

/// A session that has not been revoked, with its person.
pub fn live_session(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<(Session, User)>> {
    sessions::table
        .inner_join(users::table)
        .filter(sessions::id.eq(id))
        .filter(sessions::revoked_at.is_null())
        .select((Session::as_select(), User::as_select()))
        .first(conn)
        .optional()
}

pub fn touch_session(conn: &mut AnyConnection, id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(sessions::table.find(id))
        .set(sessions::last_seen_at.eq(at))
        .execute(conn)?;
    Ok(())
}

pub fn set_stage(conn: &mut AnyConnection, id: &str, stage: &str) -> QueryResult<()> {
    diesel::update(sessions::table.find(id))
        .set(sessions::stage.eq(stage))
        .execute(conn)?;
    Ok(())
}

pub fn revoke_session(conn: &mut AnyConnection, id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(
        sessions::table
            .find(id)
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(at))
    .execute(conn)?;
    Ok(())
}

pub fn revoke_all_sessions(
    conn: &mut AnyConnection,
    user_id: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(at))
    .execute(conn)
}

/// Ends a person's sessions that are working in one school (they have
/// left it), leaving those in their other schools alone.
pub fn revoke_sessions_in_school(
    conn: &mut AnyConnection,
    user_id: &str,
    school_id: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::school_id.eq(school_id))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(at))
    .execute(conn)
}

pub fn record_failure(
    conn: &mut AnyConnection,
    email: Option<&str>,
    ip: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(sign_in_failures::table)
        .values((
            sign_in_failures::id.eq(uuid::Uuid::new_v4().to_string()),
            sign_in_failures::email.eq(email),
            sign_in_failures::ip.eq(ip),
            sign_in_failures::at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Failures since `since` for this account: (from this address, from anywhere).
pub fn recent_failures(
    conn: &mut AnyConnection,
    email: &str,
    ip: &str,
    since: NaiveDateTime,
) -> QueryResult<(i64, i64)> {
    let by_account = sign_in_failures::table
        .filter(sign_in_failures::email.eq(email))
        .filter(sign_in_failures::at.gt(since));
    let from_here = by_account
        .filter(sign_in_failures::ip.eq(ip))
        .count()
        .get_result(conn)?;
    let anywhere = by_account.count().get_result(conn)?;
    Ok((from_here, anywhere))
}

/// Failures since `since` from this address, whatever the account.
pub fn failures_from(conn: &mut AnyConnection, ip: &str, since: NaiveDateTime) -> QueryResult<i64> {
    sign_in_failures::table
        .filter(sign_in_failures::ip.eq(ip))
        .filter(sign_in_failures::at.gt(since))
        .count()
        .get_result(conn)
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = one_time_links)]
pub struct Link {
    pub id: String,
    pub purpose: String,
    pub token_hash: String,
    pub user_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

pub fn create_link(
    conn: &mut AnyConnection,
    purpose: &str,
    token_hash: &str,
    user_id: Option<&str>,
    at: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(one_time_links::table)
        .values((
            one_time_links::id.eq(uuid::Uuid::new_v4().to_string()),
            one_time_links::purpose.eq(purpose),
            one_time_links::token_hash.eq(token_hash),
            one_time_links::user_id.eq(user_id),
            one_time_links::created_at.eq(at),
            one_time_links::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// A link of one of `purposes` that is unused and unexpired.
pub fn usable_link(
    conn: &mut AnyConnection,
    purposes: &[&str],
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Link>> {
    one_time_links::table
        .filter(one_time_links::token_hash.eq(token_hash))
        .filter(one_time_links::purpose.eq_any(purposes))
        .filter(one_time_links::used_at.is_null())
        .filter(one_time_links::expires_at.gt(now))
        .select(Link::as_select())
        .first(conn)
        .optional()
}

/// Marks a link used; false when someone else used it first.
pub fn use_link(conn: &mut AnyConnection, id: &str, at: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(
        one_time_links::table
            .filter(one_time_links::id.eq(id))
            .filter(one_time_links::used_at.is_null()),
    )
    .set(one_time_links::used_at.eq(at))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn set_pending_totp(conn: &mut AnyConnection, user_id: &str, secret: &str) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set(users::totp_pending_secret.eq(secret))
        .execute(conn)?;
    Ok(())
}

pub fn enable_totp(
    conn: &mut AnyConnection,
    user_id: &str,
    secret: &str,
    step: i64,
) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::totp_secret.eq(secret),
            users::totp_pending_secret.eq(None::<String>),
            users::totp_last_step.eq(step),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_totp_step(conn: &mut AnyConnection, user_id: &str, step: i64) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set(users::totp_last_step.eq(step))
        .execute(conn)?;
    Ok(())
}

/// Turns a person's second factor off (an administrator's remedy for a lost
/// phone) and voids their recovery codes.
pub fn clear_totp(conn: &mut AnyConnection, user_id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::totp_secret.eq(None::<String>),
            users::totp_pending_secret.eq(None::<String>),
            users::totp_last_step.eq(None::<i64>),
        ))
        .execute(conn)?;
    void_recovery_codes(conn, user_id, at)
}

fn void_recovery_codes(
    conn: &mut AnyConnection,
    user_id: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(at))
    .execute(conn)?;
    Ok(())
}

pub fn replace_recovery_codes(
    conn: &mut AnyConnection,
    user_id: &str,
    hashes: &[String],
    at: NaiveDateTime,
) -> QueryResult<()> {
    void_recovery_codes(conn, user_id, at)?;
    for hash in hashes {
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::id.eq(uuid::Uuid::new_v4().to_string()),
                recovery_codes::user_id.eq(user_id),
                recovery_codes::code_hash.eq(hash),
                recovery_codes::created_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Uses up a recovery code; false when it is wrong or already used.
pub fn use_recovery_code(
    conn: &mut AnyConnection,
    user_id: &str,
    hash: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::code_hash.eq(hash))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(at))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn unused_recovery_codes(conn: &mut AnyConnection, user_id: &str) -> QueryResult<i64> {
    recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)
}
