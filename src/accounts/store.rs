//! SQL for schools, accounts and roles.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{School, User};
use crate::auth::roles::Role;
use crate::db::schema::{schools, user_roles, users};
use crate::db::AnyConnection;

pub fn create_school(
    conn: &mut AnyConnection,
    name: &str,
    at: NaiveDateTime,
) -> QueryResult<School> {
    let id = uuid::Uuid::new_v4().to_string();
    diesel::insert_into(schools::table)
        .values((
            schools::id.eq(&id),
            schools::name.eq(name),
            schools::created_at.eq(at),
            schools::require_2fa.eq("leads"),
        ))
        .execute(conn)?;
    crate::categories::store::seed_defaults(conn, &id, at)?;
    school(conn, &id)
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

/// A user of this school, or NotFound: never one of another school.
pub fn user_in_school(conn: &mut AnyConnection, school_id: &str, id: &str) -> QueryResult<User> {
    users::table
        .filter(users::id.eq(id))
        .filter(users::school_id.eq(school_id))
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
        .filter(users::school_id.eq(school_id))
        .order((users::active.desc(), users::name.asc(), users::id.asc()))
        .select(User::as_select())
        .load(conn)
}

pub fn roles_of(conn: &mut AnyConnection, user_id: &str) -> QueryResult<Vec<Role>> {
    let names: Vec<String> = user_roles::table
        .filter(user_roles::user_id.eq(user_id))
        .select(user_roles::role)
        .load(conn)?;
    Ok(names.iter().filter_map(|n| n.parse().ok()).collect())
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

/// Replaces a person's roles (a loop: multi-row inserts need the concrete
/// connection under MultiConnection, and there are at most seven).
pub fn set_roles(
    conn: &mut AnyConnection,
    user_id: &str,
    school_id: &str,
    roles: &[Role],
) -> QueryResult<()> {
    diesel::delete(user_roles::table.filter(user_roles::user_id.eq(user_id))).execute(conn)?;
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
