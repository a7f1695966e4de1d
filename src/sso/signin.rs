//! Who a checked identity signs in as. An email matching an active account
//! with a membership the provider covers (its school, or any school of its
//! trust) signs in as that account; an unknown one is refused, unless the
//! provider lets that domain sign itself up as `staff`; a deactivated
//! account is refused whatever the provider says. Whether safelog asks its
//! own code follows the token: a second factor at the provider (amr `mfa`
//! or the configured acr) is enough; otherwise the school's rule applies.

use chrono::{DateTime, NaiveDateTime};

use super::model::Provider;
use super::oidc::Identity;
use super::store;
use crate::accounts::grants;
use crate::accounts::model::{needs_2fa, User};
use crate::accounts::store as accounts;
use crate::audit::{self, Event};
use crate::auth::session::Stage;
use crate::auth::tokens::SESSION_LIFETIME;
use crate::auth::Role;
use crate::db::{self, dialect::write_transaction, AnyConnection, DbPool};
use crate::error::AppError;
use crate::state::AppState;

pub enum Admission {
    SignedIn {
        session_id: String,
        stage: Stage,
    },
    /// No account for this identity here: the refusal names whose
    /// administrator to ask.
    Unknown {
        owner: String,
    },
    Deactivated,
}

/// A refused sign-in, on the record: the reason, never the token or the
/// address of someone safelog does not know.
pub async fn record_refusal(
    pool: &DbPool,
    provider: Option<&Provider>,
    reason: &str,
    ip: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let (school, name, id) = match provider {
        Some(p) => (p.school_id.clone(), p.name.clone(), Some(p.id.clone())),
        None => (None, String::new(), None),
    };
    let detail = if name.is_empty() {
        format!("single sign-on: {reason}")
    } else {
        format!("single sign-on with {name}: {reason}")
    };
    let ip = ip.to_string();
    tracing::info!(reason, "single sign-on refused");
    db::run(pool, move |conn| {
        let mut event = Event::new("sign_in_failed", now)
            .detail(detail)
            .ip(Some(&ip));
        if let Some(s) = &school {
            event = event.school(s);
        }
        if let Some(id) = &id {
            event = event.record("oidc_provider", id);
        }
        audit::store::insert(conn, &event)?;
        Ok(())
    })
    .await
}

pub async fn admit(
    state: &AppState,
    provider: Provider,
    identity: Identity,
    ip: String,
    user_agent: Option<String>,
) -> Result<Admission, AppError> {
    let now = state.clock.now_naive();
    let policy_override = state.config.require_2fa;
    // The session ends with the provider's token, or safelog's limit.
    let token_end = DateTime::from_timestamp(identity.expires, 0)
        .map(|t| t.naive_utc())
        .unwrap_or(now);
    let ends = token_end.min(now + SESSION_LIFETIME);
    db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            admit_in(
                conn,
                &provider,
                &identity,
                &ip,
                user_agent.as_deref(),
                now,
                ends,
                policy_override,
            )
        })
    })
    .await
}

#[allow(clippy::too_many_arguments)]
fn admit_in(
    conn: &mut AnyConnection,
    provider: &Provider,
    identity: &Identity,
    ip: &str,
    user_agent: Option<&str>,
    now: NaiveDateTime,
    ends: NaiveDateTime,
    policy_override: Option<crate::config::Require2fa>,
) -> Result<Admission, AppError> {
    let domain = identity
        .email
        .rsplit_once('@')
        .map(|(_, d)| d)
        .unwrap_or("");
    let owner = owner_name(conn, provider)?;
    let refuse = |conn: &mut AnyConnection, user: Option<&User>, why: &str| {
        let mut event = Event::new("sign_in_refused", now)
            .detail(format!("single sign-on with {}: {why}", provider.name))
            .record("oidc_provider", &provider.id)
            .ip(Some(ip));
        if let Some(s) = &provider.school_id {
            event = event.school(s);
        }
        if let Some(u) = user {
            event = event.actor(&u.id);
        }
        audit::store::insert(conn, &event)
    };
    if !provider.signs_in_for(domain) {
        refuse(conn, None, super::oidc::Refusal::DomainNotAllowed.reason())?;
        return Ok(Admission::Unknown { owner });
    }
    let schools_covered: Vec<String> = match (&provider.school_id, &provider.trust_id) {
        (Some(s), _) => vec![s.clone()],
        (None, Some(t)) => accounts::schools_in_trust(conn, t)?
            .into_iter()
            .map(|s| s.id)
            .collect(),
        (None, None) => Vec::new(),
    };
    let user = match accounts::user_by_email(conn, &identity.email)? {
        Some(u) if !u.active => {
            refuse(conn, Some(&u), "the account is deactivated")?;
            return Ok(Admission::Deactivated);
        }
        Some(u) => u,
        None => match self_sign_up(conn, provider, identity, domain, now)? {
            Some(u) => u,
            None => {
                refuse(conn, None, "no account for this identity")?;
                return Ok(Admission::Unknown { owner });
            }
        },
    };
    apply_role_mapping(conn, provider, identity, &user, &schools_covered, now)?;
    let theirs = accounts::workplaces(conn, &user.id)?;
    let start = if theirs
        .iter()
        .any(|(id, _)| *id == user.home_school_id && schools_covered.contains(id))
    {
        Some(user.home_school_id.clone())
    } else {
        theirs
            .iter()
            .map(|(id, _)| id)
            .find(|id| schools_covered.contains(id))
            .cloned()
    };
    let Some(start) = start else {
        refuse(
            conn,
            Some(&user),
            "the account has no membership this provider covers",
        )?;
        return Ok(Admission::Unknown { owner });
    };
    let roles = accounts::roles_working_in(conn, &user.id, &start)?;
    let school = accounts::school(conn, &start)?;
    let policy = policy_override.unwrap_or_else(|| school.two_factor_policy());
    let stage = if identity.mfa {
        Stage::Complete
    } else if user.has_2fa() {
        Stage::Totp
    } else if needs_2fa(policy, &roles) {
        Stage::Enrol
    } else {
        Stage::Complete
    };
    let session_id = crate::auth::store::create_session(
        conn,
        &crate::auth::store::NewSession {
            user: &user,
            school_id: &start,
            stage: stage.as_str(),
            ip: Some(ip),
            user_agent,
            at: now,
        },
    )?;
    crate::auth::store::mark_sso_session(conn, &session_id, identity.mfa, ends)?;
    store::record_success(conn, &provider.id, now)?;
    let how = format!(
        "single sign-on with {}{}",
        provider.name,
        if identity.mfa {
            ", second factor at the provider"
        } else {
            ""
        }
    );
    audit::store::insert(
        conn,
        &Event::new(
            if stage == Stage::Complete {
                "sign_in"
            } else {
                "sign_in_started"
            },
            now,
        )
        .school(&start)
        .actor(&user.id)
        .record("oidc_provider", &provider.id)
        .detail(how)
        .ip(Some(ip)),
    )?;
    Ok(Admission::SignedIn { session_id, stage })
}

/// Brings the roles the provider's mapping manages in line with the
/// token, in each school the provider covers where the person is a member:
/// a role a value in the token gives is granted, a managed role no value
/// gives is taken away, and any other role is left as an administrator set
/// it. A token without the claim changes nothing. Each change is recorded
/// as made by the provider; a headteacher, DSL or allegations lead role so
/// given is announced to the school's headteachers as an administrator's
/// grant is. The person who set the mapping gets none of those three from
/// it (nor loses their own administrator role by it): an administrator
/// cannot give themselves a guarded role on the accounts page, and a
/// mapping plus a group they can join themselves must not be a way round.
fn apply_role_mapping(
    conn: &mut AnyConnection,
    provider: &Provider,
    identity: &Identity,
    user: &User,
    schools_covered: &[String],
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let (Some((_, map)), Some(values)) = (provider.role_mapping(), &identity.role_values) else {
        return Ok(());
    };
    let managed = map.managed();
    let given = map.given_by(values);
    let is_setter = provider.role_map_by.as_deref() == Some(user.id.as_str());
    let setter_name = match &provider.role_map_by {
        Some(id) => accounts::user(conn, id)?.name,
        None => "the server's administrator".to_string(),
    };
    let via = format!("single sign-on with {}", provider.name);
    for school_id in schools_covered {
        let old = accounts::roles_in(conn, &user.id, school_id)?;
        if old.is_empty() {
            continue;
        }
        let mut new: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| given.contains(r) || (old.contains(r) && !managed.contains(r)))
            .collect();
        let mut withheld = Vec::new();
        if is_setter {
            withheld = grants::newly_granted(&old, &new);
            new.retain(|r| !withheld.contains(r));
            if old.contains(&Role::Admin) && !new.contains(&Role::Admin) {
                new.push(Role::Admin);
            }
        }
        if !withheld.is_empty() {
            audit::store::insert(
                conn,
                &Event::new("sso_role_withheld", now)
                    .school(school_id)
                    .record("user", &user.id)
                    .detail(format!(
                        "{via} did not give {}: this person set its role mapping",
                        names(&withheld)
                    )),
            )?;
        }
        let same = new.len() == old.len() && new.iter().all(|r| old.contains(r));
        if same {
            continue;
        }
        accounts::set_roles(conn, &user.id, school_id, &new)?;
        audit::store::insert(
            conn,
            &Event::new("roles_changed", now)
                .school(school_id)
                .record("user", &user.id)
                .detail(format!(
                    "from roles: {} to roles: {}, by {via}'s role mapping",
                    names(&old),
                    names(&new)
                )),
        )?;
        grants::announce_via(
            conn,
            school_id,
            user,
            &grants::newly_granted(&old, &new),
            &grants::GrantedBy {
                id: provider.role_map_by.as_deref(),
                name: &setter_name,
            },
            Some(&via),
            now,
        )?;
    }
    Ok(())
}

fn names(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The school or trust whose administrator an unknown person should ask.
fn owner_name(conn: &mut AnyConnection, p: &Provider) -> Result<String, AppError> {
    Ok(match (&p.school_id, &p.trust_id) {
        (Some(s), _) => accounts::school(conn, s)?.name,
        (None, Some(t)) => accounts::all_trusts(conn)?
            .into_iter()
            .find(|tr| tr.id == *t)
            .map(|tr| tr.name)
            .unwrap_or_default(),
        (None, None) => String::new(),
    })
}

/// A `staff` account for an unknown person, when the provider allows it
/// for their domain (a school's provider only: a trust's does not say
/// which school).
fn self_sign_up(
    conn: &mut AnyConnection,
    p: &Provider,
    identity: &Identity,
    domain: &str,
    now: NaiveDateTime,
) -> Result<Option<User>, AppError> {
    let (Some(school_id), Some(allowed)) = (&p.school_id, &p.self_sign_up_domain) else {
        return Ok(None);
    };
    if !allowed.eq_ignore_ascii_case(domain) {
        return Ok(None);
    }
    let name = identity
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty() && !n.chars().any(char::is_control))
        .map(|n| n.chars().take(100).collect::<String>())
        .unwrap_or_else(|| identity.email.split('@').next().unwrap_or("").to_string());
    let initials: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_uppercase)
        .take(4)
        .collect();
    // A password nobody knows: the account signs in through its provider
    // (or a reset link, if the school keeps passwords on).
    let hash = crate::auth::password::hash(&crate::auth::tokens::random_token(32))
        .map_err(AppError::internal)?;
    let user = accounts::create_user(
        conn,
        &crate::accounts::store::NewUser {
            school_id,
            email: &identity.email,
            name: &name,
            initials: if initials.is_empty() { "?" } else { &initials },
            password_hash: &hash,
            roles: &[Role::Staff],
        },
        now,
    )?;
    audit::store::insert(
        conn,
        &Event::new("user_created", now)
            .school(school_id)
            .actor(&user.id)
            .record("user", &user.id)
            .detail(format!("signed themselves up as staff through {}", p.name)),
    )?;
    Ok(Some(user))
}
