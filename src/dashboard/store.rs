//! SQL for the start page beyond a lead's queue: the incidents a person
//! logged themselves, newest first, so "has the lead picked it up?" is
//! answered without a click.

use diesel::prelude::*;

use crate::db::schema::{incident_pupils, incidents, pupils};
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
/// entered in error, nor those naming a pupil in `excluded`, the person's
/// exclusions), newest first.
pub fn recent_logged_by(
    conn: &mut AnyConnection,
    school_id: &str,
    user_id: &str,
    excluded: &[String],
    limit: i64,
) -> QueryResult<Vec<Logged>> {
    let mut q = incidents::table
        .inner_join(pupils::table.on(pupils::id.eq(incidents::pupil_id)))
        .filter(incidents::school_id.eq(school_id))
        .filter(incidents::logged_by.eq(user_id))
        .filter(incidents::entered_in_error_at.is_null())
        .into_boxed();
    if !excluded.is_empty() {
        let as_other = incident_pupils::table
            .filter(incident_pupils::school_id.eq(school_id))
            .filter(incident_pupils::pupil_id.eq_any(excluded))
            .select(incident_pupils::incident_id);
        q = q
            .filter(diesel::dsl::not(incidents::pupil_id.eq_any(excluded)))
            .filter(diesel::dsl::not(incidents::id.eq_any(as_other)));
    }
    let rows: Vec<(String, String, String, chrono::NaiveDateTime, String)> = q
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
