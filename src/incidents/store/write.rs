//! Writing incidents: the row of a new one with its reference, the other
//! pupils involved, a correction guarded by the version it was made
//! against, and marking one entered in error. The caller holds the write
//! transaction and appends the matching timeline events.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{incident_pupils, incident_references, incidents};
use crate::db::AnyConnection;
use crate::incidents::model::{Location, PupilRole, Status};

/// The fields a new incident is stored with, already checked and routed.
pub struct NewRow<'a> {
    pub school_id: &'a str,
    pub pupil_id: &'a str,
    pub tutor_group: &'a str,
    pub year_group: Option<i32>,
    pub incident_date: Option<NaiveDate>,
    pub category_code: &'a str,
    pub child_at_risk: bool,
    pub location: Location,
    pub platform: Option<&'a str>,
    pub details: &'a str,
    pub actions_taken: &'a str,
    pub owner_role: &'a str,
    pub about_headteacher: bool,
    pub logged_by: Option<&'a str>,
    pub staff_initials: &'a str,
    pub idempotency_key: Option<&'a str>,
}

/// What search matches: the free text, lower-cased here because SQLite's
/// lower() knows only ASCII (so "ZOË" would not find "Zoë").
pub fn search_text(details: &str, actions: &str, platform: Option<&str>) -> String {
    [details, actions, platform.unwrap_or("")]
        .join("\n")
        .to_lowercase()
}

/// The incident a user already created with this idempotency key, if any.
pub fn by_idempotency_key(
    conn: &mut AnyConnection,
    school_id: &str,
    user_id: &str,
    key: &str,
) -> QueryResult<Option<String>> {
    incidents::table
        .filter(incidents::school_id.eq(school_id))
        .filter(incidents::logged_by.eq(user_id))
        .filter(incidents::idempotency_key.eq(key))
        .select(incidents::id)
        .first(conn)
        .optional()
}

/// The next reference of the school for the year: `OS-2025-0042`. Run
/// inside the write transaction, after [`crate::db::dialect::lock_school`],
/// so two loggers cannot take one number.
pub fn next_reference(
    conn: &mut AnyConnection,
    school_id: &str,
    logged_at: NaiveDateTime,
) -> QueryResult<String> {
    let year = logged_at.year();
    let last: Option<i32> = incident_references::table
        .find((school_id, year))
        .select(incident_references::last_seq)
        .first(conn)
        .optional()?;
    let seq = match last {
        Some(n) => {
            diesel::update(incident_references::table.find((school_id, year)))
                .set(incident_references::last_seq.eq(n + 1))
                .execute(conn)?;
            n + 1
        }
        None => {
            diesel::insert_into(incident_references::table)
                .values((
                    incident_references::school_id.eq(school_id),
                    incident_references::year.eq(year),
                    incident_references::last_seq.eq(1),
                ))
                .execute(conn)?;
            1
        }
    };
    Ok(format!("OS-{year}-{seq:04}"))
}

/// A reference safelog gives, `OS-2025-0042`, as (year, sequence).
pub fn parse_reference(reference: &str) -> Option<(i32, i32)> {
    let rest = reference.strip_prefix("OS-")?;
    let (year, seq) = rest.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if year.len() != 4 || !digits(year) || seq.len() < 4 || seq.len() > 9 || !digits(seq) {
        return None;
    }
    let seq: i32 = seq.parse().ok()?;
    (seq >= 1).then_some((year.parse().ok()?, seq))
}

/// An incident's reference.
pub fn reference_of(conn: &mut AnyConnection, incident_id: &str) -> QueryResult<String> {
    incidents::table
        .find(incident_id)
        .select(incidents::reference)
        .first(conn)
}

/// Whether the school already has an incident with this reference.
pub fn reference_taken(
    conn: &mut AnyConnection,
    school_id: &str,
    reference: &str,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        incidents::table
            .filter(incidents::school_id.eq(school_id))
            .filter(incidents::reference.eq(reference)),
    ))
    .get_result(conn)
}

/// The day an incident counts on in governors' reports: its date or, when
/// that is not known, the day it was logged (UTC). Stored as
/// `incidents.counted_on`, which the database checks against this rule.
pub fn counted_on(incident_date: Option<NaiveDate>, logged_at: NaiveDateTime) -> NaiveDate {
    incident_date.unwrap_or(logged_at.date())
}

/// Inserts a new incident at version 1, status new; returns its id.
pub fn insert(
    conn: &mut AnyConnection,
    row: &NewRow<'_>,
    at: NaiveDateTime,
) -> QueryResult<String> {
    let reference = next_reference(conn, row.school_id, at)?;
    insert_row(conn, row, &reference, at)
}

fn insert_row(
    conn: &mut AnyConnection,
    row: &NewRow<'_>,
    reference: &str,
    at: NaiveDateTime,
) -> QueryResult<String> {
    let id = uuid::Uuid::new_v4().to_string();
    diesel::insert_into(incidents::table)
        .values((
            (
                incidents::id.eq(&id),
                incidents::school_id.eq(row.school_id),
                incidents::reference.eq(reference),
                incidents::pupil_id.eq(row.pupil_id),
                incidents::tutor_group.eq(row.tutor_group),
                incidents::year_group.eq(row.year_group),
                incidents::incident_date.eq(row.incident_date),
                incidents::category_code.eq(row.category_code),
                incidents::child_at_risk.eq(row.child_at_risk),
                incidents::location.eq(row.location.as_str()),
                incidents::platform.eq(row.platform),
            ),
            (
                incidents::details.eq(row.details),
                incidents::actions_taken.eq(row.actions_taken),
                incidents::search_text.eq(search_text(
                    row.details,
                    row.actions_taken,
                    row.platform,
                )),
                incidents::status.eq(Status::New.as_str()),
                incidents::owner_role.eq(row.owner_role),
                incidents::about_headteacher.eq(row.about_headteacher),
                incidents::logged_by.eq(row.logged_by),
                incidents::staff_initials.eq(row.staff_initials),
                incidents::logged_at.eq(at),
                incidents::updated_at.eq(at),
                incidents::version.eq(1),
                incidents::idempotency_key.eq(row.idempotency_key),
                incidents::counted_on.eq(counted_on(row.incident_date, at)),
            ),
        ))
        .execute(conn)?;
    Ok(id)
}

pub fn add_other_pupil(
    conn: &mut AnyConnection,
    incident_id: &str,
    school_id: &str,
    pupil_id: &str,
    role: PupilRole,
    position: i32,
) -> QueryResult<()> {
    diesel::insert_into(incident_pupils::table)
        .values((
            incident_pupils::incident_id.eq(incident_id),
            incident_pupils::school_id.eq(school_id),
            incident_pupils::pupil_id.eq(pupil_id),
            incident_pupils::role.eq(role.as_str()),
            incident_pupils::position.eq(position),
        ))
        .execute(conn)?;
    Ok(())
}

/// The correctable fields, as they will be after a correction.
pub struct CorrectedRow<'a> {
    pub pupil_id: &'a str,
    pub tutor_group: &'a str,
    pub year_group: Option<i32>,
    pub incident_date: Option<NaiveDate>,
    pub category_code: &'a str,
    pub child_at_risk: bool,
    pub location: Location,
    pub platform: Option<&'a str>,
    pub details: &'a str,
    pub actions_taken: &'a str,
    pub owner_role: &'a str,
}

/// Writes a correction if the incident is still at `expected_version`, and
/// raises its version. False when someone else changed it first: then
/// nothing is written.
pub fn correct(
    conn: &mut AnyConnection,
    id: &str,
    expected_version: i32,
    row: &CorrectedRow<'_>,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let Some(logged_at) = incidents::table
        .find(id)
        .select(incidents::logged_at)
        .first::<NaiveDateTime>(conn)
        .optional()?
    else {
        return Ok(false);
    };
    let n = diesel::update(
        incidents::table
            .filter(incidents::id.eq(id))
            .filter(incidents::version.eq(expected_version)),
    )
    .set((
        (
            incidents::pupil_id.eq(row.pupil_id),
            incidents::tutor_group.eq(row.tutor_group),
            incidents::year_group.eq(row.year_group),
            incidents::incident_date.eq(row.incident_date),
            incidents::category_code.eq(row.category_code),
            incidents::child_at_risk.eq(row.child_at_risk),
            incidents::location.eq(row.location.as_str()),
            incidents::platform.eq(row.platform),
            incidents::counted_on.eq(counted_on(row.incident_date, logged_at)),
        ),
        (
            incidents::details.eq(row.details),
            incidents::actions_taken.eq(row.actions_taken),
            incidents::search_text.eq(search_text(row.details, row.actions_taken, row.platform)),
            incidents::owner_role.eq(row.owner_role),
            incidents::updated_at.eq(at),
            incidents::version.eq(expected_version + 1),
        ),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Marks an incident entered in error (it leaves lists and counts; the
/// record and its history stay) and raises its version.
pub fn mark_entered_in_error(
    conn: &mut AnyConnection,
    id: &str,
    version: i32,
    by: &str,
    reason: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        incidents::table
            .filter(incidents::id.eq(id))
            .filter(incidents::version.eq(version))
            .filter(incidents::entered_in_error_at.is_null()),
    )
    .set((
        incidents::entered_in_error_at.eq(at),
        incidents::entered_in_error_by.eq(by),
        incidents::entered_in_error_reason.eq(reason),
        incidents::updated_at.eq(at),
        incidents::version.eq(version + 1),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Whether anyone active in the school holds `role`: an incident routed to
/// a role nobody holds would alert no one.
pub fn someone_holds(
    conn: &mut AnyConnection,
    school_id: &str,
    role: crate::auth::Role,
) -> QueryResult<bool> {
    Ok(!crate::accounts::store::people_with(conn, school_id, &[role.as_str()])?.is_empty())
}
