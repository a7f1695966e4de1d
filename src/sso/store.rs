//! SQL for sign-in with OpenID Connect: providers, sign-ins in flight, and
//! the accounts not seen for a while.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{NewProvider, Provider, RoleMap};
use crate::accounts::model::User;
use crate::db::schema::{oidc_logins, oidc_providers, schools, sessions};
use crate::db::AnyConnection;

pub fn add_provider(
    conn: &mut AnyConnection,
    owner: Owner<'_>,
    new: &NewProvider,
    by: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<String> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let (school_id, trust_id) = match owner {
        Owner::School(s) => (Some(s), None),
        Owner::Trust(t) => (None, Some(t)),
    };
    diesel::insert_into(oidc_providers::table)
        .values((
            oidc_providers::id.eq(&id),
            oidc_providers::school_id.eq(school_id),
            oidc_providers::trust_id.eq(trust_id),
            oidc_providers::name.eq(&new.name),
            oidc_providers::issuer.eq(&new.issuer),
            oidc_providers::client_id.eq(&new.client_id),
            oidc_providers::client_secret.eq(new.client_secret.expose()),
            oidc_providers::preset.eq(new.preset.as_str()),
            oidc_providers::tenant_id.eq(&new.tenant_id),
            oidc_providers::hosted_domain.eq(&new.hosted_domain),
            oidc_providers::domains.eq(new.domains.join(" ")),
            oidc_providers::mfa_acr.eq(&new.mfa_acr),
            oidc_providers::self_sign_up_domain.eq(&new.self_sign_up_domain),
            oidc_providers::created_at.eq(at),
            oidc_providers::created_by.eq(by),
        ))
        .execute(conn)?;
    if new.role_mapping.is_some() {
        set_role_mapping(conn, &id, new.role_mapping.as_ref(), by, at)?;
    }
    Ok(id)
}

/// Sets (or, with `None`, clears) a provider's role mapping, and who set
/// it: the mapping never gives that person a guarded role.
pub fn set_role_mapping(
    conn: &mut AnyConnection,
    id: &str,
    mapping: Option<&(String, RoleMap)>,
    by: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(oidc_providers::table.find(id))
        .set((
            oidc_providers::role_claim.eq(mapping.map(|(c, _)| c.as_str())),
            oidc_providers::role_map.eq(mapping.map(|(_, m)| m.to_stored()).unwrap_or_default()),
            oidc_providers::role_map_by.eq(by),
            oidc_providers::role_map_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whose a provider is.
#[derive(Clone, Copy, Debug)]
pub enum Owner<'a> {
    School(&'a str),
    Trust(&'a str),
}

/// A provider in use (not removed).
pub fn provider(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<Provider>> {
    oidc_providers::table
        .find(id)
        .filter(oidc_providers::removed_at.is_null())
        .select(Provider::as_select())
        .first(conn)
        .optional()
}

/// The providers a school or trust owns, in use.
pub fn providers_of(conn: &mut AnyConnection, owner: Owner<'_>) -> QueryResult<Vec<Provider>> {
    let q = oidc_providers::table
        .filter(oidc_providers::removed_at.is_null())
        .order((oidc_providers::name.asc(), oidc_providers::id.asc()))
        .select(Provider::as_select())
        .into_boxed();
    match owner {
        Owner::School(s) => q.filter(oidc_providers::school_id.eq(s)).load(conn),
        Owner::Trust(t) => q.filter(oidc_providers::trust_id.eq(t)).load(conn),
    }
}

/// Every provider in use, for the command line's list.
pub fn all_providers(conn: &mut AnyConnection) -> QueryResult<Vec<Provider>> {
    oidc_providers::table
        .filter(oidc_providers::removed_at.is_null())
        .order((oidc_providers::name.asc(), oidc_providers::id.asc()))
        .select(Provider::as_select())
        .load(conn)
}

/// Removes a provider of `owner`; false when it has none by that id.
pub fn remove_provider(
    conn: &mut AnyConnection,
    owner: Owner<'_>,
    id: &str,
    by: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let target = oidc_providers::table
        .filter(oidc_providers::id.eq(id))
        .filter(oidc_providers::removed_at.is_null());
    let set = (
        oidc_providers::removed_at.eq(at),
        oidc_providers::removed_by.eq(by),
    );
    let n = match owner {
        Owner::School(s) => diesel::update(target.filter(oidc_providers::school_id.eq(s)))
            .set(set)
            .execute(conn)?,
        Owner::Trust(t) => diesel::update(target.filter(oidc_providers::trust_id.eq(t)))
            .set(set)
            .execute(conn)?,
    };
    Ok(n == 1)
}

pub fn record_success(conn: &mut AnyConnection, id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(oidc_providers::table.find(id))
        .set(oidc_providers::last_success_at.eq(at))
        .execute(conn)?;
    Ok(())
}

/// Whether a school can sign in with SSO already: one of its own
/// providers, or its trust's, has signed someone in.
pub fn sso_has_worked(conn: &mut AnyConnection, school_id: &str) -> QueryResult<bool> {
    let trust: Option<String> = schools::table
        .find(school_id)
        .select(schools::trust_id)
        .first(conn)?;
    let mut q = oidc_providers::table
        .filter(oidc_providers::removed_at.is_null())
        .filter(oidc_providers::last_success_at.is_not_null())
        .into_boxed();
    q = match trust {
        Some(t) => q.filter(
            oidc_providers::school_id
                .eq(school_id)
                .or(oidc_providers::trust_id.eq(t)),
        ),
        None => q.filter(oidc_providers::school_id.eq(school_id)),
    };
    Ok(q.count().get_result::<i64>(conn)? > 0)
}

pub struct NewLogin<'a> {
    pub state_hash: &'a str,
    pub provider_id: &'a str,
    pub nonce: &'a str,
    pub pkce_verifier: &'a str,
    pub at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn start_login(conn: &mut AnyConnection, new: &NewLogin<'_>) -> QueryResult<()> {
    // Sign-ins never finished are of no use after they expire; clearing
    // them here keeps the table small without a timer.
    diesel::delete(oidc_logins::table.filter(oidc_logins::expires_at.lt(new.at))).execute(conn)?;
    diesel::insert_into(oidc_logins::table)
        .values((
            oidc_logins::state_hash.eq(new.state_hash),
            oidc_logins::provider_id.eq(new.provider_id),
            oidc_logins::nonce.eq(new.nonce),
            oidc_logins::pkce_verifier.eq(new.pkce_verifier),
            oidc_logins::created_at.eq(new.at),
            oidc_logins::expires_at.eq(new.expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// A sign-in in flight: which provider, its nonce and PKCE verifier.
pub struct Login {
    pub provider_id: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// Takes a sign-in in flight by its state, once: a second use, or one
/// after it expired, finds nothing.
pub fn take_login(
    conn: &mut AnyConnection,
    state_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Login>> {
    let used = diesel::update(
        oidc_logins::table
            .filter(oidc_logins::state_hash.eq(state_hash))
            .filter(oidc_logins::used_at.is_null())
            .filter(oidc_logins::expires_at.gt(now)),
    )
    .set(oidc_logins::used_at.eq(now))
    .execute(conn)?;
    if used != 1 {
        return Ok(None);
    }
    oidc_logins::table
        .find(state_hash)
        .select((
            oidc_logins::provider_id,
            oidc_logins::nonce,
            oidc_logins::pkce_verifier,
        ))
        .first::<(String, String, String)>(conn)
        .optional()
        .map(|row| {
            row.map(|(provider_id, nonce, pkce_verifier)| Login {
                provider_id,
                nonce,
                pkce_verifier,
            })
        })
}

/// The school's active members not seen since `since` (never signed in,
/// and made before it, counts too), with when they were last seen.
pub fn unseen_since(
    conn: &mut AnyConnection,
    school_id: &str,
    since: NaiveDateTime,
) -> QueryResult<Vec<(User, Option<NaiveDateTime>)>> {
    let members = crate::accounts::store::users_of_school(conn, school_id)?;
    let mut out = Vec::new();
    for user in members.into_iter().filter(|u| u.active) {
        let last: Option<NaiveDateTime> = sessions::table
            .filter(sessions::user_id.eq(&user.id))
            .select(diesel::dsl::max(sessions::last_seen_at))
            .first(conn)?;
        let unseen = match last {
            Some(at) => at < since,
            None => user.created_at < since,
        };
        if unseen {
            out.push((user, last));
        }
    }
    Ok(out)
}
