//! SQL for retention: the records a reviewer oversees with what dates
//! them, decisions, periods, legal holds, and the erasure of a destroyed
//! record's narrative.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::model::{Basis, Period};
use crate::auth::Role;
use crate::db::schema::{
    attachments, case_decisions, incident_events, incident_pupils, incidents, information_shares,
    legal_hold_records, legal_holds, monitoring_alerts, pupils, referrals, retention_decisions,
    retention_periods, retention_placeholders, users,
};
use crate::db::AnyConnection;
use crate::incidents::store::visibility::{not_excluded, visible_to, Condition};
use crate::incidents::Viewer;

/// The records `viewer` reviews: for the DPO, every record of the school
/// (the school's retention officer, who sees of most only the reference,
/// category and dates), except allegations about the headteacher when the
/// DPO is also the headteacher; for the DSL, those the DSL may read.
pub fn overseen_by(viewer: &Viewer) -> Condition {
    if !viewer.roles.has(Role::Dpo) {
        return visible_to(viewer);
    }
    let school = incidents::school_id.eq(viewer.school_id.clone());
    let school: Condition = if viewer.roles.has(Role::Headteacher) && !viewer.reads_allegations() {
        Box::new(school.and(incidents::about_headteacher.eq(false)))
    } else {
        Box::new(school)
    };
    // A DPO excluded from a pupil (a conflict of interest) reviews none of
    // their records, as they read none.
    match not_excluded(viewer) {
        Some(not_theirs) => Box::new(school.and(not_theirs)),
        None => school,
    }
}

/// What dates a record and lists it for review.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = incidents)]
pub struct Candidate {
    pub id: String,
    pub school_id: String,
    pub reference: String,
    pub category_code: String,
    pub child_at_risk: bool,
    pub about_headteacher: bool,
    pub status: String,
    pub entered_in_error_at: Option<NaiveDateTime>,
    pub logged_at: NaiveDateTime,
    pub incident_date: Option<NaiveDate>,
    pub counted_on: NaiveDate,
    pub pupil_id: String,
    pub closed_at: Option<NaiveDateTime>,
}

/// Every record `viewer` oversees that is not destroyed.
pub fn candidates(conn: &mut AnyConnection, viewer: &Viewer) -> QueryResult<Vec<Candidate>> {
    incidents::table
        .filter(overseen_by(viewer))
        .filter(diesel::dsl::not(
            incidents::id.eq_any(
                retention_decisions::table
                    .filter(retention_decisions::decision.eq("destroy"))
                    .select(retention_decisions::incident_id),
            ),
        ))
        .order((incidents::logged_at.asc(), incidents::id.asc()))
        .select(Candidate::as_select())
        .load(conn)
}

/// One record `viewer` oversees, destroyed or not.
pub fn candidate(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    id: &str,
) -> QueryResult<Option<Candidate>> {
    incidents::table
        .filter(overseen_by(viewer))
        .filter(incidents::id.eq(id))
        .select(Candidate::as_select())
        .first(conn)
        .optional()
}

/// The other pupils of the school's records: (incident, pupil).
pub fn links(conn: &mut AnyConnection, school_id: &str) -> QueryResult<Vec<(String, String)>> {
    incident_pupils::table
        .filter(incident_pupils::school_id.eq(school_id))
        .select((incident_pupils::incident_id, incident_pupils::pupil_id))
        .load(conn)
}

/// A pupil as the review needs them.
#[derive(Clone, Debug, Queryable)]
pub struct PupilDates {
    pub id: String,
    pub name: String,
    pub tutor_group: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
}

/// The school's pupils with their dates of birth, by id.
pub fn pupils_of(
    conn: &mut AnyConnection,
    school_id: &str,
) -> QueryResult<HashMap<String, PupilDates>> {
    let rows: Vec<PupilDates> = pupils::table
        .filter(pupils::school_id.eq(school_id))
        .select((
            pupils::id,
            pupils::name,
            pupils::tutor_group,
            pupils::date_of_birth,
        ))
        .load(conn)?;
    Ok(rows.into_iter().map(|p| (p.id.clone(), p)).collect())
}

/// The latest "keep until" of each record of the school.
pub fn kept_until(
    conn: &mut AnyConnection,
    school_id: &str,
) -> QueryResult<HashMap<String, NaiveDate>> {
    let rows: Vec<(String, Option<NaiveDate>)> = retention_decisions::table
        .filter(retention_decisions::school_id.eq(school_id))
        .filter(retention_decisions::decision.eq("keep"))
        .select((
            retention_decisions::incident_id,
            retention_decisions::review_on,
        ))
        .load(conn)?;
    let mut out: HashMap<String, NaiveDate> = HashMap::new();
    for (id, on) in rows {
        if let Some(on) = on {
            let e = out.entry(id).or_insert(on);
            *e = (*e).max(on);
        }
    }
    Ok(out)
}

/// The school's periods by category code.
pub fn periods(conn: &mut AnyConnection, school_id: &str) -> QueryResult<HashMap<String, Period>> {
    let rows: Vec<(String, String, i32)> = retention_periods::table
        .filter(retention_periods::school_id.eq(school_id))
        .select((
            retention_periods::category_code,
            retention_periods::basis,
            retention_periods::years,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(code, basis, years)| {
            Some((
                code,
                Period {
                    basis: Basis::parse(&basis)?,
                    years,
                },
            ))
        })
        .collect())
}

/// Sets a category's period (call in a write transaction).
pub fn save_period(
    conn: &mut AnyConnection,
    school_id: &str,
    code: &str,
    p: Period,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let n = diesel::update(retention_periods::table.find((school_id, code)))
        .set((
            retention_periods::basis.eq(p.basis.as_str()),
            retention_periods::years.eq(p.years),
            retention_periods::updated_at.eq(at),
            retention_periods::updated_by.eq(by),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(retention_periods::table)
            .values((
                retention_periods::school_id.eq(school_id),
                retention_periods::category_code.eq(code),
                retention_periods::basis.eq(p.basis.as_str()),
                retention_periods::years.eq(p.years),
                retention_periods::updated_at.eq(at),
                retention_periods::updated_by.eq(by),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A decision as recorded.
#[derive(Clone, Debug, Queryable)]
pub struct DecisionRow {
    pub id: String,
    pub decision: String,
    pub reason: String,
    pub review_on: Option<NaiveDate>,
    pub was_due_on: Option<NaiveDate>,
    pub decided_as: String,
    pub decided_at: NaiveDateTime,
    pub by_name: String,
}

/// A record's decisions, oldest first.
pub fn decisions_of(conn: &mut AnyConnection, incident_id: &str) -> QueryResult<Vec<DecisionRow>> {
    retention_decisions::table
        .inner_join(users::table)
        .filter(retention_decisions::incident_id.eq(incident_id))
        .order((
            retention_decisions::decided_at.asc(),
            retention_decisions::id.asc(),
        ))
        .select((
            retention_decisions::id,
            retention_decisions::decision,
            retention_decisions::reason,
            retention_decisions::review_on,
            retention_decisions::was_due_on,
            retention_decisions::decided_as,
            retention_decisions::decided_at,
            users::name,
        ))
        .load(conn)
}

/// A decision to record.
pub struct NewDecision<'a> {
    pub school_id: &'a str,
    pub incident_id: &'a str,
    pub destroy: bool,
    pub reason: &'a str,
    pub review_on: Option<NaiveDate>,
    pub was_due_on: Option<NaiveDate>,
    pub by: &'a str,
    pub decided_as: Role,
    pub files_removed: i32,
}

pub fn insert_decision(
    conn: &mut AnyConnection,
    d: &NewDecision<'_>,
    at: NaiveDateTime,
) -> QueryResult<String> {
    let id = uuid::Uuid::new_v4().to_string();
    diesel::insert_into(retention_decisions::table)
        .values((
            retention_decisions::id.eq(&id),
            retention_decisions::school_id.eq(d.school_id),
            retention_decisions::incident_id.eq(d.incident_id),
            retention_decisions::decision.eq(if d.destroy { "destroy" } else { "keep" }),
            retention_decisions::reason.eq(d.reason),
            retention_decisions::review_on.eq(d.review_on),
            retention_decisions::was_due_on.eq(d.was_due_on),
            retention_decisions::decided_by.eq(d.by),
            retention_decisions::decided_as.eq(d.decided_as.as_str()),
            retention_decisions::decided_at.eq(at),
            retention_decisions::files_removed.eq(d.files_removed),
        ))
        .execute(conn)?;
    Ok(id)
}

/// A legal hold.
#[derive(Clone, Debug, Queryable)]
pub struct Hold {
    pub id: String,
    pub school_id: String,
    pub name: String,
    pub reason: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub lifted_by: Option<String>,
    pub lifted_at: Option<NaiveDateTime>,
    pub lifted_reason: Option<String>,
}

impl Hold {
    pub fn active(&self) -> bool {
        self.lifted_at.is_none()
    }
}

/// The school's holds, newest first.
pub fn holds(conn: &mut AnyConnection, school_id: &str) -> QueryResult<Vec<Hold>> {
    legal_holds::table
        .filter(legal_holds::school_id.eq(school_id))
        .order((legal_holds::created_at.desc(), legal_holds::id.asc()))
        .load(conn)
}

/// What a hold names: (hold, incident, pupil).
pub type HoldRecord = (String, Option<String>, Option<String>);

/// What the school's holds name.
pub fn hold_records(conn: &mut AnyConnection, school_id: &str) -> QueryResult<Vec<HoldRecord>> {
    legal_hold_records::table
        .filter(legal_hold_records::school_id.eq(school_id))
        .order((
            legal_hold_records::added_at.asc(),
            legal_hold_records::id.asc(),
        ))
        .select((
            legal_hold_records::hold_id,
            legal_hold_records::incident_id,
            legal_hold_records::pupil_id,
        ))
        .load(conn)
}

pub fn create_hold(
    conn: &mut AnyConnection,
    school_id: &str,
    name: &str,
    reason: &str,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<String> {
    let id = uuid::Uuid::new_v4().to_string();
    diesel::insert_into(legal_holds::table)
        .values((
            legal_holds::id.eq(&id),
            legal_holds::school_id.eq(school_id),
            legal_holds::name.eq(name),
            legal_holds::reason.eq(reason),
            legal_holds::created_by.eq(by),
            legal_holds::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Names an incident or a pupil in a hold.
pub fn add_to_hold(
    conn: &mut AnyConnection,
    hold_id: &str,
    school_id: &str,
    incident_id: Option<&str>,
    pupil_id: Option<&str>,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(legal_hold_records::table)
        .values((
            legal_hold_records::id.eq(uuid::Uuid::new_v4().to_string()),
            legal_hold_records::hold_id.eq(hold_id),
            legal_hold_records::school_id.eq(school_id),
            legal_hold_records::incident_id.eq(incident_id),
            legal_hold_records::pupil_id.eq(pupil_id),
            legal_hold_records::added_by.eq(by),
            legal_hold_records::added_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Lifts a hold still active; false when it was not.
pub fn lift_hold(
    conn: &mut AnyConnection,
    school_id: &str,
    id: &str,
    reason: &str,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        legal_holds::table
            .filter(legal_holds::id.eq(id))
            .filter(legal_holds::school_id.eq(school_id))
            .filter(legal_holds::lifted_at.is_null()),
    )
    .set((
        legal_holds::lifted_at.eq(at),
        legal_holds::lifted_by.eq(by),
        legal_holds::lifted_reason.eq(reason),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// The school's incident with this reference, if `viewer` oversees it.
pub fn by_reference(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    reference: &str,
) -> QueryResult<Option<(String, String)>> {
    incidents::table
        .filter(overseen_by(viewer))
        .filter(incidents::reference.eq(reference))
        .select((incidents::id, incidents::reference))
        .first(conn)
        .optional()
}

/// The pupil of the school whose name key is this, in this tutor group if
/// one is given.
pub fn pupils_named(
    conn: &mut AnyConnection,
    school_id: &str,
    key: &str,
) -> QueryResult<Vec<PupilDates>> {
    pupils::table
        .filter(pupils::school_id.eq(school_id))
        .filter(pupils::name_key.eq(key))
        .order(pupils::id.asc())
        .select((
            pupils::id,
            pupils::name,
            pupils::tutor_group,
            pupils::date_of_birth,
        ))
        .load(conn)
}

/// Sets a pupil's date of birth; false when no such pupil of the school.
pub fn set_birth_date(
    conn: &mut AnyConnection,
    school_id: &str,
    pupil_id: &str,
    dob: NaiveDate,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        pupils::table
            .filter(pupils::id.eq(pupil_id))
            .filter(pupils::school_id.eq(school_id)),
    )
    .set((pupils::date_of_birth.eq(dob), pupils::updated_at.eq(at)))
    .execute(conn)?;
    Ok(n == 1)
}

/// The school's stand-in pupil for destroyed records, made on first use:
/// off the roll, marked as left (no form offers it).
pub fn placeholder(
    conn: &mut AnyConnection,
    school_id: &str,
    at: NaiveDateTime,
) -> QueryResult<String> {
    let found: Option<String> = retention_placeholders::table
        .find(school_id)
        .select(retention_placeholders::pupil_id)
        .first(conn)
        .optional()?;
    if let Some(id) = found {
        return Ok(id);
    }
    let id = uuid::Uuid::new_v4().to_string();
    let name = PLACEHOLDER_NAME;
    diesel::insert_into(pupils::table)
        .values((
            pupils::id.eq(&id),
            pupils::school_id.eq(school_id),
            pupils::name.eq(name),
            pupils::name_key.eq(crate::pupils::model::name_key(name)),
            pupils::created_at.eq(at),
            pupils::updated_at.eq(at),
            pupils::left_at.eq(Some(at)),
        ))
        .execute(conn)?;
    diesel::insert_into(retention_placeholders::table)
        .values((
            retention_placeholders::school_id.eq(school_id),
            retention_placeholders::pupil_id.eq(&id),
        ))
        .execute(conn)?;
    Ok(id)
}

/// What a destroyed record names in place of its pupils.
pub const PLACEHOLDER_NAME: &str = "Record destroyed";

/// The timeline fields whose values are narrative (a correction's before
/// and after): erased with the rest. Status, category, owner, date and
/// place changes keep their codes, which reports count by.
const NARRATIVE_FIELDS: [&str; 5] = [
    "pupil",
    "tutor_group",
    "platform",
    "details",
    "actions_outcome",
];

/// Erases a record's narrative in place, after its destroy decision is
/// recorded (which the timeline's trigger checks): the text of every
/// version, its pupils, its files' names, the reasons of its decisions,
/// its shares, its referrals' reference numbers and the alert it came
/// from. The row keeps its reference, category, dates and status.
pub fn erase(
    conn: &mut AnyConnection,
    incident_id: &str,
    placeholder: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let in_error: Option<NaiveDateTime> = incidents::table
        .find(incident_id)
        .select(incidents::entered_in_error_at)
        .first(conn)?;
    diesel::update(incidents::table.find(incident_id))
        .set((
            incidents::details.eq(""),
            incidents::actions_taken.eq(""),
            incidents::search_text.eq(""),
            incidents::platform.eq(None::<String>),
            incidents::outcome.eq(None::<String>),
            incidents::tutor_group.eq(""),
            incidents::pupil_id.eq(placeholder),
            incidents::entered_in_error_reason.eq(in_error.map(|_| String::new())),
            incidents::updated_at.eq(at),
            incidents::version.eq(incidents::version + 1),
        ))
        .execute(conn)?;
    diesel::update(incident_events::table.filter(incident_events::incident_id.eq(incident_id)))
        .set((
            incident_events::text.eq(None::<String>),
            incident_events::reason.eq(None::<String>),
        ))
        .execute(conn)?;
    diesel::update(
        incident_events::table
            .filter(incident_events::incident_id.eq(incident_id))
            .filter(incident_events::field.eq_any(NARRATIVE_FIELDS)),
    )
    .set((
        incident_events::old_value.eq(None::<String>),
        incident_events::new_value.eq(None::<String>),
    ))
    .execute(conn)?;
    diesel::delete(incident_pupils::table.filter(incident_pupils::incident_id.eq(incident_id)))
        .execute(conn)?;
    diesel::update(attachments::table.filter(attachments::incident_id.eq(incident_id)))
        .set(attachments::name.eq(""))
        .execute(conn)?;
    diesel::update(
        attachments::table
            .filter(attachments::incident_id.eq(incident_id))
            .filter(attachments::entered_in_error_reason.is_not_null()),
    )
    .set(attachments::entered_in_error_reason.eq(""))
    .execute(conn)?;
    diesel::update(case_decisions::table.filter(case_decisions::incident_id.eq(incident_id)))
        .set(case_decisions::reason.eq(""))
        .execute(conn)?;
    diesel::update(
        information_shares::table.filter(information_shares::incident_id.eq(incident_id)),
    )
    .set((
        information_shares::shared_with.eq(""),
        information_shares::person.eq(None::<String>),
        information_shares::what.eq(""),
        information_shares::reason.eq(""),
    ))
    .execute(conn)?;
    // A reference number kept as a marker, not emptied: "reference to
    // follow" is counted in reports by its absence.
    diesel::update(
        referrals::table
            .filter(referrals::incident_id.eq(incident_id))
            .filter(referrals::reference.is_not_null()),
    )
    .set(referrals::reference.eq("erased"))
    .execute(conn)?;
    diesel::update(monitoring_alerts::table.filter(monitoring_alerts::incident_id.eq(incident_id)))
        .set((
            monitoring_alerts::text.eq(None::<String>),
            monitoring_alerts::url.eq(None::<String>),
            monitoring_alerts::extra.eq(None::<String>),
            monitoring_alerts::device.eq(None::<String>),
            monitoring_alerts::account.eq(None::<String>),
            monitoring_alerts::pupil_identifier.eq(None::<String>),
            monitoring_alerts::pupil_id.eq(None::<String>),
            monitoring_alerts::dismiss_note.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// The SHA-256 of each file of this record that no other record still
/// living uses (files are kept once, by their hash, for every school of
/// the deployment): these may go from the data folder.
pub fn files_only_here(conn: &mut AnyConnection, incident_id: &str) -> QueryResult<Vec<String>> {
    let mut hashes: Vec<String> = attachments::table
        .filter(attachments::incident_id.eq(incident_id))
        .select(attachments::sha256)
        .load(conn)?;
    hashes.sort();
    hashes.dedup();
    let mut out = Vec::new();
    for h in hashes {
        if !used_elsewhere(conn, &h, Some(incident_id))? {
            out.push(h);
        }
    }
    Ok(out)
}

/// Whether a file is attached to a living record (other than `except`).
pub fn used_elsewhere(
    conn: &mut AnyConnection,
    sha256: &str,
    except: Option<&str>,
) -> QueryResult<bool> {
    let destroyed = retention_decisions::table
        .filter(retention_decisions::decision.eq("destroy"))
        .select(retention_decisions::incident_id);
    let living: Vec<String> = attachments::table
        .filter(attachments::sha256.eq(sha256))
        .filter(diesel::dsl::not(attachments::incident_id.eq_any(destroyed)))
        .select(attachments::incident_id)
        .load(conn)?;
    Ok(living.iter().any(|i| Some(i.as_str()) != except))
}

/// Every record `viewer` oversees, destroyed ones too: (id, reference).
pub fn candidates_all(
    conn: &mut AnyConnection,
    viewer: &Viewer,
) -> QueryResult<Vec<(String, String)>> {
    incidents::table
        .filter(overseen_by(viewer))
        .select((incidents::id, incidents::reference))
        .load(conn)
}
