//! A school's requests that its trust's safeguarding lead work its cases.
//! Whether one is open is asked on every request (in
//! [`crate::accounts::store::roles_working_in`]); this file keeps the rest:
//! asking, ending, and the history the school shows.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::Role;
use crate::db::schema::{schools, trust_help, trust_roles, trusts, users};
use crate::db::AnyConnection;

/// One request, as the school's page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelpRequest {
    pub asked_by: String,
    pub asked_at: NaiveDateTime,
    pub reason: String,
    pub ended_by: Option<String>,
    pub ended_at: Option<NaiveDateTime>,
}

/// The school's trust, if any: (id, name).
pub fn trust_of(
    conn: &mut AnyConnection,
    school_id: &str,
) -> QueryResult<Option<(String, String)>> {
    trusts::table
        .inner_join(schools::table)
        .filter(schools::id.eq(school_id))
        .select((trusts::id, trusts::name))
        .first(conn)
        .optional()
}

/// The trust's safeguarding leads: (id, name, email), active accounts only.
pub fn leads_of(
    conn: &mut AnyConnection,
    trust_id: &str,
) -> QueryResult<Vec<(String, String, String)>> {
    users::table
        .inner_join(trust_roles::table.on(trust_roles::user_id.eq(users::id)))
        .filter(trust_roles::trust_id.eq(trust_id))
        .filter(trust_roles::role.eq(Role::TrustSafeguardingLead.as_str()))
        .filter(users::active.eq(true))
        .order((users::name.asc(), users::id.asc()))
        .select((users::id, users::name, users::email))
        .load(conn)
}

/// A request as stored: the people by id.
#[derive(Queryable)]
struct Row {
    asked_by: String,
    asked_at: NaiveDateTime,
    reason: String,
    ended_by: Option<String>,
    ended_at: Option<NaiveDateTime>,
}

/// Every request the school has made, the newest first.
pub fn history(conn: &mut AnyConnection, school_id: &str) -> QueryResult<Vec<HelpRequest>> {
    let rows: Vec<Row> = trust_help::table
        .filter(trust_help::school_id.eq(school_id))
        .order((trust_help::asked_at.desc(), trust_help::id.desc()))
        .select((
            trust_help::asked_by,
            trust_help::asked_at,
            trust_help::reason,
            trust_help::ended_by,
            trust_help::ended_at,
        ))
        .load(conn)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(HelpRequest {
            asked_by: name(conn, &r.asked_by)?,
            asked_at: r.asked_at,
            reason: r.reason,
            ended_by: r.ended_by.map(|id| name(conn, &id)).transpose()?,
            ended_at: r.ended_at,
        });
    }
    Ok(out)
}

fn name(conn: &mut AnyConnection, user_id: &str) -> QueryResult<String> {
    users::table.find(user_id).select(users::name).first(conn)
}

/// Opens a request; the caller has checked that none is open.
pub fn ask(
    conn: &mut AnyConnection,
    school_id: &str,
    user_id: &str,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<String> {
    let id = uuid::Uuid::new_v4().to_string();
    diesel::insert_into(trust_help::table)
        .values((
            trust_help::id.eq(&id),
            trust_help::school_id.eq(school_id),
            trust_help::asked_by.eq(user_id),
            trust_help::asked_at.eq(now),
            trust_help::reason.eq(reason),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Ends the school's open request; the number ended (0 or 1).
pub fn end(
    conn: &mut AnyConnection,
    school_id: &str,
    user_id: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        trust_help::table
            .filter(trust_help::school_id.eq(school_id))
            .filter(trust_help::ended_at.is_null()),
    )
    .set((
        trust_help::ended_by.eq(user_id),
        trust_help::ended_at.eq(now),
    ))
    .execute(conn)
}
