//! SQL for subject access requests. The history, the redactions and a
//! released pack are only ever added to (triggers refuse the rest).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::model::{HistoryEntry, Redaction, Release, Request, State};
use crate::db::schema::{
    access_request_events, access_request_redactions, access_request_releases, access_requests,
    pupils,
};
use crate::db::AnyConnection;

pub struct NewRequest<'a> {
    pub id: &'a str,
    pub school_id: &'a str,
    pub reference: &'a str,
    pub pupil_id: &'a str,
    pub requester_name: &'a str,
    pub relationship: &'a str,
    pub received_on: NaiveDate,
    pub created_by: &'a str,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, r: &NewRequest<'_>) -> QueryResult<()> {
    diesel::insert_into(access_requests::table)
        .values((
            access_requests::id.eq(r.id),
            access_requests::school_id.eq(r.school_id),
            access_requests::reference.eq(r.reference),
            access_requests::pupil_id.eq(r.pupil_id),
            access_requests::requester_name.eq(r.requester_name),
            access_requests::relationship.eq(r.relationship),
            access_requests::received_on.eq(r.received_on),
            access_requests::extension_months.eq(0),
            access_requests::paused_days.eq(0),
            access_requests::state.eq(State::Open.as_str()),
            access_requests::keep_staff_names.eq(false),
            access_requests::created_by.eq(r.created_by),
            access_requests::created_at.eq(r.created_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The next reference of a school's year: `SAR-2026-0001`, ... (called in
/// a write transaction with the school locked).
pub fn next_reference(conn: &mut AnyConnection, school_id: &str, year: i32) -> QueryResult<String> {
    let prefix = format!("SAR-{year}-");
    let taken: i64 = access_requests::table
        .filter(access_requests::school_id.eq(school_id))
        .filter(access_requests::reference.like(format!("{prefix}%")))
        .count()
        .get_result(conn)?;
    Ok(format!("{prefix}{:04}", taken + 1))
}

/// A request of the school, or None (another school's is None too).
pub fn get(conn: &mut AnyConnection, school_id: &str, id: &str) -> QueryResult<Option<Request>> {
    access_requests::table
        .filter(access_requests::id.eq(id))
        .filter(access_requests::school_id.eq(school_id))
        .select(Request::as_select())
        .first(conn)
        .optional()
}

/// Every request of the school, newest received first.
pub fn list(conn: &mut AnyConnection, school_id: &str) -> QueryResult<Vec<Request>> {
    access_requests::table
        .filter(access_requests::school_id.eq(school_id))
        .order((
            access_requests::received_on.desc(),
            access_requests::reference.desc(),
        ))
        .select(Request::as_select())
        .load(conn)
}

/// Requests whose clock runs (open, not paused), oldest first.
pub fn running(conn: &mut AnyConnection, school_id: &str) -> QueryResult<Vec<Request>> {
    access_requests::table
        .filter(access_requests::school_id.eq(school_id))
        .filter(access_requests::state.eq(State::Open.as_str()))
        .order((
            access_requests::received_on.asc(),
            access_requests::reference.asc(),
        ))
        .select(Request::as_select())
        .load(conn)
}

/// A new state, with the clock's pause fields as they now stand.
pub fn set_state(
    conn: &mut AnyConnection,
    id: &str,
    state: State,
    paused_on: Option<NaiveDate>,
    paused_days: i32,
) -> QueryResult<()> {
    diesel::update(access_requests::table.filter(access_requests::id.eq(id)))
        .set((
            access_requests::state.eq(state.as_str()),
            access_requests::paused_on.eq(paused_on),
            access_requests::paused_days.eq(paused_days),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_extension(
    conn: &mut AnyConnection,
    id: &str,
    months: i32,
    reason: &str,
) -> QueryResult<()> {
    diesel::update(access_requests::table.filter(access_requests::id.eq(id)))
        .set((
            access_requests::extension_months.eq(months),
            access_requests::extension_reason.eq(reason),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_keep_staff_names(conn: &mut AnyConnection, id: &str, keep: bool) -> QueryResult<()> {
    diesel::update(access_requests::table.filter(access_requests::id.eq(id)))
        .set(access_requests::keep_staff_names.eq(keep))
        .execute(conn)?;
    Ok(())
}

pub fn add_event(
    conn: &mut AnyConnection,
    request_id: &str,
    kind: &str,
    detail: Option<&str>,
    by: (&str, &str),
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(access_request_events::table)
        .values((
            access_request_events::id.eq(uuid::Uuid::new_v4().to_string()),
            access_request_events::request_id.eq(request_id),
            access_request_events::kind.eq(kind),
            access_request_events::detail.eq(detail),
            access_request_events::by_user_id.eq(by.0),
            access_request_events::by_name.eq(by.1),
            access_request_events::at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// A request's history, oldest first.
pub fn history(conn: &mut AnyConnection, request_id: &str) -> QueryResult<Vec<HistoryEntry>> {
    access_request_events::table
        .filter(access_request_events::request_id.eq(request_id))
        .order((
            access_request_events::at.asc(),
            access_request_events::id.asc(),
        ))
        .select(HistoryEntry::as_select())
        .load(conn)
}

pub struct NewRedaction<'a> {
    pub request_id: &'a str,
    pub incident_reference: &'a str,
    pub field: &'a str,
    pub passage: Option<&'a str>,
    pub reason: &'a str,
    pub by_user_id: &'a str,
    pub at: NaiveDateTime,
}

pub fn add_redaction(conn: &mut AnyConnection, r: &NewRedaction<'_>) -> QueryResult<()> {
    diesel::insert_into(access_request_redactions::table)
        .values((
            access_request_redactions::id.eq(uuid::Uuid::new_v4().to_string()),
            access_request_redactions::request_id.eq(r.request_id),
            access_request_redactions::incident_reference.eq(r.incident_reference),
            access_request_redactions::field.eq(r.field),
            access_request_redactions::passage.eq(r.passage),
            access_request_redactions::reason.eq(r.reason),
            access_request_redactions::by_user_id.eq(r.by_user_id),
            access_request_redactions::at.eq(r.at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The passages withheld from a request's pack, in the order marked.
pub fn redactions(conn: &mut AnyConnection, request_id: &str) -> QueryResult<Vec<Redaction>> {
    access_request_redactions::table
        .filter(access_request_redactions::request_id.eq(request_id))
        .order((
            access_request_redactions::at.asc(),
            access_request_redactions::id.asc(),
        ))
        .select(Redaction::as_select())
        .load(conn)
}

pub fn insert_release(conn: &mut AnyConnection, r: &Release) -> QueryResult<()> {
    diesel::insert_into(access_request_releases::table)
        .values((
            access_request_releases::request_id.eq(&r.request_id),
            access_request_releases::content.eq(&r.content),
            access_request_releases::sha256.eq(&r.sha256),
            access_request_releases::released_by.eq(&r.released_by),
            access_request_releases::released_by_name.eq(&r.released_by_name),
            access_request_releases::released_at.eq(r.released_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn release(conn: &mut AnyConnection, request_id: &str) -> QueryResult<Option<Release>> {
    access_request_releases::table
        .filter(access_request_releases::request_id.eq(request_id))
        .select(Release::as_select())
        .first(conn)
        .optional()
}

/// Every pupil of the school (on roll or not): (id, name), by name; for
/// choosing the request's pupil and for finding pupils' names in text.
pub fn pupils_of_school(
    conn: &mut AnyConnection,
    school_id: &str,
) -> QueryResult<Vec<(String, String)>> {
    pupils::table
        .filter(pupils::school_id.eq(school_id))
        .order((pupils::name_key.asc(), pupils::id.asc()))
        .select((pupils::id, pupils::name))
        .load(conn)
}
