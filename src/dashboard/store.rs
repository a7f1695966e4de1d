//! SQL for the start page beyond a lead's queue: the incidents a person
//! logged themselves, newest first, so "has the lead picked it up?" is
//! answered without a click.

use diesel::prelude::*;

use crate::db::schema::{incidents, pupils};
use crate::db::AnyConnection;

/// One incident its logger sees on their start page.
pub struct Logged {
    pub id: String,
    pub reference: String,
    pub pupil: String,
    pub logged_at: chrono::NaiveDateTime,
    pub status: String,
}

/// The latest incidents `user_id` logged in their school (not those
/// entered in error), newest first.
pub fn recent_logged_by(
    conn: &mut AnyConnection,
    school_id: &str,
    user_id: &str,
    limit: i64,
) -> QueryResult<Vec<Logged>> {
    let rows: Vec<(String, String, String, chrono::NaiveDateTime, String)> = incidents::table
        .inner_join(pupils::table.on(pupils::id.eq(incidents::pupil_id)))
        .filter(incidents::school_id.eq(school_id))
        .filter(incidents::logged_by.eq(user_id))
        .filter(incidents::entered_in_error_at.is_null())
        .order((incidents::logged_at.desc(), incidents::id.desc()))
        .limit(limit)
        .select((
            incidents::id,
            incidents::reference,
            pupils::name,
            incidents::logged_at,
            incidents::status,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, reference, pupil, logged_at, status)| Logged {
            id,
            reference,
            pupil,
            logged_at,
            status,
        })
        .collect())
}
