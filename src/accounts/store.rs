//! SQL for trusts, schools, accounts and their memberships (the roles an
//! account holds in each school).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{School, Sharing, Trust, Urn, User};
use crate::auth::roles::Role;
use crate::db::schema::{schools, trust_help, trust_roles, trusts, user_roles, users};
use crate::db::AnyConnection;

/// A school without a URN or a trust: the setup page's, and the first
/// `safelog user add`'s. Its settings page asks for the URN.
pub fn create_school(
    conn: &mut AnyConnection,
    name: &str,
    at: NaiveDateTime,
) -> QueryResult<School> {
    add_school(
        conn,
        &NewSchool {
            name,
            urn: None,
            trust_id: None,
        },
        at,
    )
}

pub struct NewSchool<'a> {
    pub name: &'a str,
    pub urn: Option<&'a Urn>,
    pub trust_id: Option<&'a str>,
}

/// A new school with the default categories (and its trust's shared ones).
pub fn add_school(
    conn: &mut AnyConnection,
    new: &NewSchool<'_>,
    at: NaiveDateTime,
) -> QueryResult<School> {
    let id = uuid::Uuid::new_v4().to_string();
    diesel::insert_into(schools::table)
        .values((
            schools::id.eq(&id),
            schools::name.eq(new.name),
            schools::created_at.eq(at),
            schools::require_2fa.eq("leads"),
            schools::urn.eq(new.urn.map(Urn::as_str)),
            schools::trust_id.eq(new.trust_id),
        ))
        .execute(conn)?;
    crate::categories::store::seed_defaults(conn, &id, at)?;
    if let Some(trust_id) = new.trust_id {
        // A school joining a trust starts from the trust's shared set.
        crate::categories::store::carry_trust_set(conn, &id, trust_id, at)?;
    }
    school(conn, &id)
}

/// The school holding this URN, if any.
pub fn school_by_urn(conn: &mut AnyConnection, urn: &Urn) -> QueryResult<Option<School>> {
    schools::table
        .filter(schools::urn.eq(urn.as_str()))
        .select(School::as_select())
        .first(conn)
        .optional()
}

/// Gives a school its URN (or takes it away).
pub fn set_urn(conn: &mut AnyConnection, id: &str, urn: Option<&Urn>) -> QueryResult<()> {
    diesel::update(schools::table.find(id))
        .set(schools::urn.eq(urn.map(Urn::as_str)))
        .execute(conn)?;
    Ok(())
}

pub fn create_trust(conn: &mut AnyConnection, name: &str, at: NaiveDateTime) -> QueryResult<Trust> {
    let id = uuid::Uuid::new_v4().to_string();
    diesel::insert_into(trusts::table)
        .values((
            trusts::id.eq(&id),
            trusts::name.eq(name),
            trusts::created_at.eq(at),
        ))
        .execute(conn)?;
    trusts::table
        .find(&id)
        .select(Trust::as_select())
        .first(conn)
}

/// The trust of this name, whatever its case. Compared in Rust: SQLite's
/// lower() folds only ASCII, PostgreSQL's every letter, and a deployment
/// holds a handful of trusts.
pub fn trust_by_name(conn: &mut AnyConnection, name: &str) -> QueryResult<Option<Trust>> {
    let wanted = name.trim().to_lowercase();
    Ok(all_trusts(conn)?
        .into_iter()
        .find(|t| t.name.trim().to_lowercase() == wanted))
}

pub fn all_trusts(conn: &mut AnyConnection) -> QueryResult<Vec<Trust>> {
    trusts::table
        .order((trusts::name.asc(), trusts::id.asc()))
        .select(Trust::as_select())
        .load(conn)
}

pub fn school(conn: &mut AnyConnection, id: &str) -> QueryResult<School> {
    schools::table
        .find(id)
        .select(School::as_select())
        .first(conn)
}

pub fn all_schools(conn: &mut AnyConnection) -> QueryResult<Vec<School>> {
    schools::table
        .order((schools::name.asc(), schools::id.asc()))
        .select(School::as_select())
        .load(conn)
}

pub fn update_school(
    conn: &mut AnyConnection,
    id: &str,
    name: &str,
    require_2fa: &str,
) -> QueryResult<()> {
    diesel::update(schools::table.find(id))
        .set((schools::name.eq(name), schools::require_2fa.eq(require_2fa)))
        .execute(conn)?;
    Ok(())
}

/// k for governors' reports: counts from 1 to k-1 are shown as "<k".
pub fn set_report_min_count(conn: &mut AnyConnection, id: &str, k: i32) -> QueryResult<()> {
    diesel::update(schools::table.find(id))
        .set(schools::report_min_count.eq(k))
        .execute(conn)?;
    Ok(())
}

pub fn user_count(conn: &mut AnyConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

/// What a new account is made of, already checked.
pub struct NewUser<'a> {
    pub school_id: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub initials: &'a str,
    pub password_hash: &'a str,
    pub roles: &'a [Role],
}

pub fn email_taken(
    conn: &mut AnyConnection,
    email: &str,
    except_id: Option<&str>,
) -> QueryResult<bool> {
    let mut q = users::table.filter(users::email.eq(email)).into_boxed();
    if let Some(id) = except_id {
        q = q.filter(users::id.ne(id));
    }
    Ok(q.count().get_result::<i64>(conn)? > 0)
}

pub fn create_user(
    conn: &mut AnyConnection,
    new: &NewUser<'_>,
    at: NaiveDateTime,
) -> QueryResult<User> {
    let id = uuid::Uuid::new_v4().to_string();
    diesel::insert_into(users::table)
        .values((
            users::id.eq(&id),
            users::school_id.eq(new.school_id),
            users::email.eq(new.email),
            users::name.eq(new.name),
            users::initials.eq(new.initials),
            users::password_hash.eq(new.password_hash),
            users::active.eq(true),
            users::created_at.eq(at),
            users::updated_at.eq(at),
        ))
        .execute(conn)?;
    set_roles(conn, &id, new.school_id, new.roles)?;
    user(conn, &id)
}

pub fn user(conn: &mut AnyConnection, id: &str) -> QueryResult<User> {
    users::table.find(id).select(User::as_select()).first(conn)
}

/// The ids of a school's members: those holding at least one role there.
#[diesel::dsl::auto_type(no_type_alias)]
fn members_of<'a>(school_id: &'a str) -> _ {
    user_roles::table
        .filter(user_roles::school_id.eq(school_id))
        .select(user_roles::user_id)
}

/// A member of this school, or NotFound: never someone only of another school.
pub fn user_in_school(conn: &mut AnyConnection, school_id: &str, id: &str) -> QueryResult<User> {
    users::table
        .filter(users::id.eq(id))
        .filter(users::id.eq_any(members_of(school_id)))
        .select(User::as_select())
        .first(conn)
}

pub fn user_by_email(conn: &mut AnyConnection, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn users_of_school(conn: &mut AnyConnection, school_id: &str) -> QueryResult<Vec<User>> {
    users::table
        .filter(users::id.eq_any(members_of(school_id)))
        .order((users::active.desc(), users::name.asc(), users::id.asc()))
        .select(User::as_select())
        .load(conn)
}

/// The roles a person holds in one school: their membership there (empty
/// when they have none).
pub fn roles_in(
    conn: &mut AnyConnection,
    user_id: &str,
    school_id: &str,
) -> QueryResult<Vec<Role>> {
    let names: Vec<String> = user_roles::table
        .filter(user_roles::user_id.eq(user_id))
        .filter(user_roles::school_id.eq(school_id))
        .select(user_roles::role)
        .load(conn)?;
    Ok(names.iter().filter_map(|n| n.parse().ok()).collect())
}

/// The schools a person holds roles in, by name: (id, name).
pub fn memberships(conn: &mut AnyConnection, user_id: &str) -> QueryResult<Vec<(String, String)>> {
    schools::table
        .filter(diesel::dsl::exists(
            user_roles::table
                .filter(user_roles::school_id.eq(schools::id))
                .filter(user_roles::user_id.eq(user_id)),
        ))
        .order((schools::name.asc(), schools::id.asc()))
        .select((schools::id, schools::name))
        .load(conn)
}

/// The roles a person holds across the trust `school_id` belongs to (none
/// when it belongs to no trust).
pub fn trust_roles_in(
    conn: &mut AnyConnection,
    user_id: &str,
    school_id: &str,
) -> QueryResult<Vec<Role>> {
    let names: Vec<String> = trust_roles::table
        .inner_join(
            schools::table.on(schools::trust_id
                .assume_not_null()
                .eq(trust_roles::trust_id)),
        )
        .filter(schools::id.eq(school_id))
        .filter(trust_roles::user_id.eq(user_id))
        .select(trust_roles::role)
        .load(conn)?;
    Ok(names.iter().filter_map(|n| trust_role(n)).collect())
}

/// A trust role as `trust_roles.role` stores it.
pub fn trust_role(name: &str) -> Option<Role> {
    Role::TRUST_WIDE.into_iter().find(|r| r.as_str() == name)
}

/// What a person holds while working in `school_id`: the school's roles
/// and their trust's.
pub fn roles_working_in(
    conn: &mut AnyConnection,
    user_id: &str,
    school_id: &str,
) -> QueryResult<Vec<Role>> {
    let mut roles = roles_in(conn, user_id, school_id)?;
    let trust_roles = trust_roles_in(conn, user_id, school_id)?;
    // A school that has asked its trust's safeguarding lead to work its
    // cases lets them act there as its DSL does, until it ends the request.
    if trust_roles.contains(&Role::TrustSafeguardingLead)
        && !roles.contains(&Role::Dsl)
        && trust_help_open(conn, school_id)?
    {
        roles.push(Role::Dsl);
    }
    roles.extend(trust_roles);
    // Named by the school's administrator to triage monitoring alerts: only
    // a member of the school (someone who left keeps nothing).
    if !roles.is_empty() && named_triager(conn, user_id, school_id)? {
        roles.push(Role::MonitoringTriager);
    }
    Ok(roles)
}

/// Whether the school names this person to triage its monitoring alerts.
pub fn named_triager(
    conn: &mut AnyConnection,
    user_id: &str,
    school_id: &str,
) -> QueryResult<bool> {
    use crate::db::schema::monitoring_triagers;
    diesel::select(diesel::dsl::exists(
        monitoring_triagers::table
            .filter(monitoring_triagers::school_id.eq(school_id))
            .filter(monitoring_triagers::user_id.eq(user_id)),
    ))
    .get_result(conn)
}

/// Whether the school has an open request for its trust's safeguarding
/// lead to work its cases.
pub fn trust_help_open(conn: &mut AnyConnection, school_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        trust_help::table
            .filter(trust_help::school_id.eq(school_id))
            .filter(trust_help::ended_at.is_null()),
    ))
    .get_result(conn)
}

/// The schools a person may work in, by name: those they hold roles in
/// and every school of a trust they hold a trust role in.
pub fn workplaces(conn: &mut AnyConnection, user_id: &str) -> QueryResult<Vec<(String, String)>> {
    schools::table
        .filter(
            diesel::dsl::exists(
                user_roles::table
                    .filter(user_roles::school_id.eq(schools::id))
                    .filter(user_roles::user_id.eq(user_id)),
            )
            .or(diesel::dsl::exists(
                trust_roles::table
                    .filter(trust_roles::trust_id.nullable().eq(schools::trust_id))
                    .filter(trust_roles::user_id.eq(user_id)),
            )),
        )
        .order((schools::name.asc(), schools::id.asc()))
        .select((schools::id, schools::name))
        .load(conn)
}

/// Gives `user_id` a role across `trust_id`; false if they held it already.
pub fn add_trust_role(
    conn: &mut AnyConnection,
    user_id: &str,
    trust_id: &str,
    role: Role,
) -> QueryResult<bool> {
    let held = trust_roles::table
        .filter(trust_roles::user_id.eq(user_id))
        .filter(trust_roles::trust_id.eq(trust_id))
        .filter(trust_roles::role.eq(role.as_str()))
        .count()
        .get_result::<i64>(conn)?;
    if held > 0 {
        return Ok(false);
    }
    diesel::insert_into(trust_roles::table)
        .values((
            trust_roles::user_id.eq(user_id),
            trust_roles::trust_id.eq(trust_id),
            trust_roles::role.eq(role.as_str()),
        ))
        .execute(conn)?;
    Ok(true)
}

/// A trust's schools by name: (id, name).
pub fn schools_of_trust(
    conn: &mut AnyConnection,
    trust_id: &str,
) -> QueryResult<Vec<(String, String)>> {
    schools::table
        .filter(schools::trust_id.eq(trust_id))
        .order((schools::name.asc(), schools::id.asc()))
        .select((schools::id, schools::name))
        .load(conn)
}

/// How `account_id`, opened by `admin_id` in `school_id`, is shared with
/// the person's other schools.
pub fn sharing(
    conn: &mut AnyConnection,
    admin_id: &str,
    account_id: &str,
    school_id: &str,
) -> QueryResult<Sharing> {
    let mut sharing = Sharing {
        admin_of_all: true,
        ..Sharing::default()
    };
    for (id, name) in memberships(conn, account_id)? {
        if id == school_id {
            continue;
        }
        sharing.admin_of_all &= roles_in(conn, admin_id, &id)?.contains(&Role::Admin);
        sharing.elsewhere.push(name);
    }
    Ok(sharing)
}

/// Every (user id, role) of a school, for listing accounts in one query.
pub fn roles_of_school(
    conn: &mut AnyConnection,
    school_id: &str,
) -> QueryResult<Vec<(String, Role)>> {
    let rows: Vec<(String, String)> = user_roles::table
        .filter(user_roles::school_id.eq(school_id))
        .select((user_roles::user_id, user_roles::role))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, role)| role.parse().ok().map(|r| (id, r)))
        .collect())
}

/// Replaces a person's roles in one school, their other memberships
/// untouched (a loop: multi-row inserts need the concrete connection under
/// MultiConnection, and there are at most eight).
pub fn set_roles(
    conn: &mut AnyConnection,
    user_id: &str,
    school_id: &str,
    roles: &[Role],
) -> QueryResult<()> {
    diesel::delete(
        user_roles::table
            .filter(user_roles::user_id.eq(user_id))
            .filter(user_roles::school_id.eq(school_id)),
    )
    .execute(conn)?;
    for role in roles {
        diesel::insert_into(user_roles::table)
            .values((
                user_roles::user_id.eq(user_id),
                user_roles::school_id.eq(school_id),
                user_roles::role.eq(role.as_str()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Active members of a school holding `role`.
pub fn active_with_role(
    conn: &mut AnyConnection,
    school_id: &str,
    role: Role,
) -> QueryResult<Vec<User>> {
    users::table
        .inner_join(user_roles::table)
        .filter(user_roles::school_id.eq(school_id))
        .filter(user_roles::role.eq(role.as_str()))
        .filter(users::active.eq(true))
        .order((users::name.asc(), users::id.asc()))
        .select(User::as_select())
        .load(conn)
}

pub struct Profile<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub initials: &'a str,
}

pub fn update_profile(
    conn: &mut AnyConnection,
    id: &str,
    p: &Profile<'_>,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::email.eq(p.email),
            users::name.eq(p.name),
            users::initials.eq(p.initials),
            users::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_active(
    conn: &mut AnyConnection,
    id: &str,
    active: bool,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((users::active.eq(active), users::updated_at.eq(at)))
        .execute(conn)?;
    Ok(())
}

pub fn set_password(
    conn: &mut AnyConnection,
    id: &str,
    hash: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((users::password_hash.eq(hash), users::updated_at.eq(at)))
        .execute(conn)?;
    Ok(())
}

/// A guarded role given: (when, to whom, which role, by whom).
pub type RoleGrantRow = (NaiveDateTime, String, String, Option<String>);
type AuditGrantRow = (
    NaiveDateTime,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Guarded roles given since `since`, newest first, from the audit trail.
pub fn role_grants_since(
    conn: &mut AnyConnection,
    school_id: &str,
    since: NaiveDateTime,
) -> QueryResult<Vec<RoleGrantRow>> {
    use crate::db::schema::audit_events as a;
    let rows: Vec<AuditGrantRow> = a::table
        .filter(a::school_id.eq(school_id))
        .filter(a::action.eq(super::grants::ROLE_GRANTED))
        .filter(a::at.gt(since))
        .order((a::at.desc(), a::id.desc()))
        .select((a::at, a::record_id, a::detail, a::actor_id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(at, to, role, by)| Some((at, to?, role?, by)))
        .collect())
}

/// The trust `school_id` belongs to, if `user_id` holds `role` across it:
/// how a trust role holder's pages find their trust from the school they
/// work in.
pub fn trust_held_in(
    conn: &mut AnyConnection,
    user_id: &str,
    school_id: &str,
    role: Role,
) -> QueryResult<Option<Trust>> {
    trusts::table
        .inner_join(schools::table)
        .filter(schools::id.eq(school_id))
        .filter(diesel::dsl::exists(
            trust_roles::table
                .filter(trust_roles::trust_id.eq(trusts::id))
                .filter(trust_roles::user_id.eq(user_id))
                .filter(trust_roles::role.eq(role.as_str())),
        ))
        .select(Trust::as_select())
        .first(conn)
        .optional()
}

/// A trust's schools, by name.
pub fn schools_in_trust(conn: &mut AnyConnection, trust_id: &str) -> QueryResult<Vec<School>> {
    schools::table
        .filter(schools::trust_id.eq(trust_id))
        .order((schools::name.asc(), schools::id.asc()))
        .select(School::as_select())
        .load(conn)
}

/// A school of this trust, or NotFound: never one of another trust's.
pub fn school_in_trust(
    conn: &mut AnyConnection,
    trust_id: &str,
    school_id: &str,
) -> QueryResult<School> {
    schools::table
        .filter(schools::id.eq(school_id))
        .filter(schools::trust_id.eq(trust_id))
        .select(School::as_select())
        .first(conn)
}

/// Every holder of a role in these schools: (school id, account), for
/// listing each school's administrators in one query.
pub fn holders_in_schools(
    conn: &mut AnyConnection,
    school_ids: &[String],
    role: Role,
) -> QueryResult<Vec<(String, User)>> {
    users::table
        .inner_join(user_roles::table)
        .filter(user_roles::school_id.eq_any(school_ids))
        .filter(user_roles::role.eq(role.as_str()))
        .order((users::name.asc(), users::id.asc()))
        .select((user_roles::school_id, User::as_select()))
        .load(conn)
}

/// Who holds which role across a trust, by name.
pub fn trust_role_holders(
    conn: &mut AnyConnection,
    trust_id: &str,
) -> QueryResult<Vec<(Role, User)>> {
    let rows: Vec<(String, User)> = users::table
        .inner_join(trust_roles::table.on(trust_roles::user_id.eq(users::id)))
        .filter(trust_roles::trust_id.eq(trust_id))
        .order((users::name.asc(), users::id.asc()))
        .select((trust_roles::role, User::as_select()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(role, user)| trust_role(&role).map(|r| (r, user)))
        .collect())
}

/// Whether `user_id` holds `role` across `trust_id`.
pub fn holds_trust_role(
    conn: &mut AnyConnection,
    user_id: &str,
    trust_id: &str,
    role: Role,
) -> QueryResult<bool> {
    let n: i64 = trust_roles::table
        .filter(trust_roles::user_id.eq(user_id))
        .filter(trust_roles::trust_id.eq(trust_id))
        .filter(trust_roles::role.eq(role.as_str()))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Takes a trust role away; false if it was not held.
pub fn remove_trust_role(
    conn: &mut AnyConnection,
    user_id: &str,
    trust_id: &str,
    role: Role,
) -> QueryResult<bool> {
    let n = diesel::delete(
        trust_roles::table
            .filter(trust_roles::user_id.eq(user_id))
            .filter(trust_roles::trust_id.eq(trust_id))
            .filter(trust_roles::role.eq(role.as_str())),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// One trust role given or taken away, as recorded.
#[derive(Clone, Debug, Queryable)]
pub struct TrustRoleChange {
    pub at: NaiveDateTime,
    pub user_id: String,
    pub role: String,
    /// "given" or "taken".
    pub change: String,
    pub by_user_id: Option<String>,
}

pub fn record_trust_role_change(
    conn: &mut AnyConnection,
    trust_id: &str,
    user_id: &str,
    role: Role,
    change: &str,
    by_user_id: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<()> {
    use crate::db::schema::trust_role_changes as c;
    diesel::insert_into(c::table)
        .values((
            c::id.eq(uuid::Uuid::new_v4().to_string()),
            c::trust_id.eq(trust_id),
            c::user_id.eq(user_id),
            c::role.eq(role.as_str()),
            c::change.eq(change),
            c::by_user_id.eq(by_user_id),
            c::at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// A trust's role changes (since `since`, if given), newest first; `role`
/// narrows them.
pub fn trust_role_changes_since(
    conn: &mut AnyConnection,
    trust_id: &str,
    since: Option<NaiveDateTime>,
    role: Option<Role>,
    limit: i64,
) -> QueryResult<Vec<TrustRoleChange>> {
    use crate::db::schema::trust_role_changes as c;
    let mut q = c::table.filter(c::trust_id.eq(trust_id)).into_boxed();
    if let Some(t) = since {
        q = q.filter(c::at.gt(t));
    }
    if let Some(r) = role {
        q = q.filter(c::role.eq(r.as_str()));
    }
    q.order((c::at.desc(), c::id.desc()))
        .limit(limit)
        .select((c::at, c::user_id, c::role, c::change, c::by_user_id))
        .load(conn)
}

/// Active people of a school holding any of `roles`: (id, name, email, roles).
pub fn people_with(
    conn: &mut AnyConnection,
    school_id: &str,
    roles: &[&str],
) -> QueryResult<Vec<(String, String, String)>> {
    let mut rows: Vec<(String, String, String)> = users::table
        .inner_join(user_roles::table)
        .filter(user_roles::school_id.eq(school_id))
        .filter(user_roles::role.eq_any(roles))
        .filter(users::active.eq(true))
        .select((users::id, users::name, users::email))
        .order((users::name.asc(), users::id.asc()))
        .load(conn)?;
    // A role held across the school's trust (a trust-wide allegations
    // lead) counts in each of its schools.
    let across_trust: Vec<(String, String, String)> = users::table
        .inner_join(trust_roles::table.on(trust_roles::user_id.eq(users::id)))
        .inner_join(
            schools::table.on(schools::trust_id
                .assume_not_null()
                .eq(trust_roles::trust_id)),
        )
        .filter(schools::id.eq(school_id))
        .filter(trust_roles::role.eq_any(roles))
        .filter(users::active.eq(true))
        .select((users::id, users::name, users::email))
        .load(conn)?;
    rows.extend(across_trust);
    rows.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
    rows.dedup_by(|a, b| a.0 == b.0);
    Ok(rows)
}
