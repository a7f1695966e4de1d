//! SQL for exclusions: a person's live ones (read with every session), a
//! pupil's (live and lifted, for the page and the API), adding one and
//! lifting one. Nothing is deleted: lifting fills `ended_*`.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::Exclusion;
use crate::db::schema::{incident_pupils, pupil_exclusions, users};
use crate::db::AnyConnection;

/// The pupils `user_id` is excluded from today, in any school, sorted.
pub fn live_pupils_of(conn: &mut AnyConnection, user_id: &str) -> QueryResult<Vec<String>> {
    let mut ids: Vec<String> = pupil_exclusions::table
        .filter(pupil_exclusions::user_id.eq(user_id))
        .filter(pupil_exclusions::ended_at.is_null())
        .select(pupil_exclusions::pupil_id)
        .load(conn)?;
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// The people excluded today from any of `pupil_ids` (of one school).
pub fn people_excluded_from(
    conn: &mut AnyConnection,
    school_id: &str,
    pupil_ids: &[String],
) -> QueryResult<Vec<String>> {
    if pupil_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids: Vec<String> = pupil_exclusions::table
        .filter(pupil_exclusions::school_id.eq(school_id))
        .filter(pupil_exclusions::pupil_id.eq_any(pupil_ids))
        .filter(pupil_exclusions::ended_at.is_null())
        .select(pupil_exclusions::user_id)
        .load(conn)?;
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// The people excluded today from any pupil an incident names (its pupil
/// and the other pupils involved): those its alerts and emails leave out.
pub fn people_excluded_from_incident(
    conn: &mut AnyConnection,
    school_id: &str,
    incident_id: &str,
    pupil_id: &str,
) -> QueryResult<Vec<String>> {
    let mut pupils: Vec<String> = incident_pupils::table
        .filter(incident_pupils::incident_id.eq(incident_id))
        .select(incident_pupils::pupil_id)
        .load(conn)?;
    pupils.push(pupil_id.to_string());
    people_excluded_from(conn, school_id, &pupils)
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<String>,
    Option<String>,
);

const COLUMNS: (
    pupil_exclusions::id,
    pupil_exclusions::pupil_id,
    pupil_exclusions::user_id,
    pupil_exclusions::reason,
    pupil_exclusions::created_by,
    pupil_exclusions::created_at,
    pupil_exclusions::ended_at,
    pupil_exclusions::ended_by,
    pupil_exclusions::end_reason,
) = (
    pupil_exclusions::id,
    pupil_exclusions::pupil_id,
    pupil_exclusions::user_id,
    pupil_exclusions::reason,
    pupil_exclusions::created_by,
    pupil_exclusions::created_at,
    pupil_exclusions::ended_at,
    pupil_exclusions::ended_by,
    pupil_exclusions::end_reason,
);

/// Every exclusion from a pupil, live first, then newest first, with the
/// people's names.
pub fn of_pupil(
    conn: &mut AnyConnection,
    school_id: &str,
    pupil_id: &str,
) -> QueryResult<Vec<Exclusion>> {
    let rows: Vec<Row> = pupil_exclusions::table
        .filter(pupil_exclusions::school_id.eq(school_id))
        .filter(pupil_exclusions::pupil_id.eq(pupil_id))
        .order((
            pupil_exclusions::created_at.desc(),
            pupil_exclusions::id.desc(),
        ))
        .select(COLUMNS)
        .load(conn)?;
    let mut out = named(conn, rows)?;
    out.sort_by_key(|e| e.ended_at.is_some());
    Ok(out)
}

/// The school's live exclusions with each pupil's name, by pupil name:
/// for the administrator's pupils page.
pub fn live_in_school(
    conn: &mut AnyConnection,
    school_id: &str,
) -> QueryResult<Vec<(Exclusion, String)>> {
    use crate::db::schema::pupils;
    let rows: Vec<Row> = pupil_exclusions::table
        .filter(pupil_exclusions::school_id.eq(school_id))
        .filter(pupil_exclusions::ended_at.is_null())
        .order((
            pupil_exclusions::created_at.asc(),
            pupil_exclusions::id.asc(),
        ))
        .select(COLUMNS)
        .load(conn)?;
    let ids: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
    let names: HashMap<String, String> = pupils::table
        .filter(pupils::school_id.eq(school_id))
        .filter(pupils::id.eq_any(ids))
        .select((pupils::id, pupils::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let mut out: Vec<(Exclusion, String)> = named(conn, rows)?
        .into_iter()
        .map(|e| {
            let name = names.get(&e.pupil_id).cloned().unwrap_or_default();
            (e, name)
        })
        .collect();
    out.sort_by(|a, b| (&a.1, &a.0.user_name).cmp(&(&b.1, &b.0.user_name)));
    Ok(out)
}

/// One exclusion from a pupil.
pub fn get(
    conn: &mut AnyConnection,
    school_id: &str,
    pupil_id: &str,
    id: &str,
) -> QueryResult<Option<Exclusion>> {
    let rows: Vec<Row> = pupil_exclusions::table
        .filter(pupil_exclusions::school_id.eq(school_id))
        .filter(pupil_exclusions::pupil_id.eq(pupil_id))
        .filter(pupil_exclusions::id.eq(id))
        .select(COLUMNS)
        .load(conn)?;
    Ok(named(conn, rows)?.pop())
}

fn named(conn: &mut AnyConnection, rows: Vec<Row>) -> QueryResult<Vec<Exclusion>> {
    let mut ids: Vec<String> = Vec::new();
    for r in &rows {
        ids.push(r.2.clone());
        ids.push(r.4.clone());
        ids.extend(r.7.clone());
    }
    let names: HashMap<String, String> = users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let name = |id: &str| names.get(id).cloned().unwrap_or_default();
    Ok(rows
        .into_iter()
        .map(
            |(id, pupil_id, user_id, reason, by, at, ended_at, ended_by, end_reason)| Exclusion {
                user_name: name(&user_id),
                created_by_name: name(&by),
                ended_by_name: ended_by.as_deref().map(name),
                id,
                pupil_id,
                user_id,
                reason,
                created_by: by,
                created_at: at,
                ended_at,
                ended_by,
                end_reason,
            },
        )
        .collect())
}

/// Whether `user_id` is excluded from the pupil today.
pub fn is_live(conn: &mut AnyConnection, pupil_id: &str, user_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        pupil_exclusions::table
            .filter(pupil_exclusions::pupil_id.eq(pupil_id))
            .filter(pupil_exclusions::user_id.eq(user_id))
            .filter(pupil_exclusions::ended_at.is_null()),
    ))
    .get_result(conn)
}

pub struct NewExclusion<'a> {
    pub school_id: &'a str,
    pub pupil_id: &'a str,
    pub user_id: &'a str,
    pub reason: &'a str,
    pub by: &'a str,
}

/// Records an exclusion; its id.
pub fn add(
    conn: &mut AnyConnection,
    e: &NewExclusion<'_>,
    at: NaiveDateTime,
) -> QueryResult<String> {
    let id = uuid::Uuid::new_v4().to_string();
    diesel::insert_into(pupil_exclusions::table)
        .values((
            pupil_exclusions::id.eq(&id),
            pupil_exclusions::school_id.eq(e.school_id),
            pupil_exclusions::pupil_id.eq(e.pupil_id),
            pupil_exclusions::user_id.eq(e.user_id),
            pupil_exclusions::reason.eq(e.reason),
            pupil_exclusions::created_by.eq(e.by),
            pupil_exclusions::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Lifts a live exclusion with its reason; false when it was not live.
pub fn lift(
    conn: &mut AnyConnection,
    school_id: &str,
    id: &str,
    by: &str,
    reason: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        pupil_exclusions::table
            .filter(pupil_exclusions::school_id.eq(school_id))
            .filter(pupil_exclusions::id.eq(id))
            .filter(pupil_exclusions::ended_at.is_null()),
    )
    .set((
        pupil_exclusions::ended_at.eq(at),
        pupil_exclusions::ended_by.eq(by),
        pupil_exclusions::end_reason.eq(reason),
    ))
    .execute(conn)?;
    Ok(n == 1)
}
