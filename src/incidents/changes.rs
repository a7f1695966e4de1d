//! Changing a logged incident without losing anything: a correction is a
//! new version with its reason and each previous value on the timeline; a
//! note is appended; "entered in error" takes it out of lists and keeps it.
//! Each is refused, with nothing written, when the incident changed since
//! the person read it.

use chrono::NaiveDateTime;

use super::forms::Correction;
use super::logging::{audit_event, pupil_for, Origin, Rejected};
use super::model::{EventKind, IncidentView};
use super::routing;
use super::store::timeline::{self, Author, NewEvent};
use super::store::{self, write};
use super::viewer::Viewer;
use crate::audit;
use crate::db::dialect::write_transaction;
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::pupils::model::name_key;

const IN_ERROR: &str =
    "This record was marked as entered in error, so it can no longer be changed.";

/// The names of the correctable fields, as the timeline records them.
pub const FIELDS: [&str; 10] = [
    "pupil",
    "tutor_group",
    "incident_date",
    "category",
    "child_at_risk",
    "location",
    "platform",
    "details",
    "actions_outcome",
    "owner_role",
];

/// How a field is named to people.
pub fn field_label(field: &str) -> &'static str {
    match field {
        "pupil" => "Pupil",
        "tutor_group" => "Tutor group",
        "incident_date" => "Date of the incident",
        "category" => "Category",
        "child_at_risk" => "The child may have been put at risk",
        "location" => "Where it happened",
        "platform" => "Platform or service",
        "details" => "What happened",
        "actions_outcome" => "Actions taken so far",
        "owner_role" => "Owner",
        "status" => "Status",
        _ => "Value",
    }
}

/// The correctable fields of a record as text, in [`FIELDS`] order: what
/// the timeline stores as the old and new value of each.
pub fn values_of(view: &IncidentView) -> Vec<(&'static str, String)> {
    let i = &view.incident;
    values(
        &view.pupil.name,
        &i.tutor_group,
        i.incident_date,
        &i.category_code,
        i.child_at_risk,
        i.location().as_str(),
        i.platform.as_deref(),
        &i.details,
        &i.actions_taken,
        &i.owner_role,
    )
}

#[allow(clippy::too_many_arguments)]
fn values(
    pupil: &str,
    tutor_group: &str,
    date: Option<chrono::NaiveDate>,
    category: &str,
    at_risk: bool,
    location: &str,
    platform: Option<&str>,
    details: &str,
    actions: &str,
    owner: &str,
) -> Vec<(&'static str, String)> {
    let v = [
        pupil.to_string(),
        tutor_group.to_string(),
        date.map_or(String::new(), |d| d.format("%Y-%m-%d").to_string()),
        category.to_string(),
        if at_risk { "yes" } else { "no" }.to_string(),
        location.to_string(),
        platform.unwrap_or("").to_string(),
        details.to_string(),
        actions.to_string(),
        owner.to_string(),
    ];
    FIELDS.into_iter().zip(v).collect()
}

/// What a correction did.
#[derive(Debug, PartialEq, Eq)]
pub enum Corrected {
    /// The new version.
    Done(i32),
    /// Nothing typed differs from the record.
    Unchanged,
}

pub fn correct(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    author: &Author,
    id: &str,
    c: &Correction,
    origin: &Origin<'_>,
    now: NaiveDateTime,
) -> Result<Corrected, Rejected> {
    let school_id = viewer.school_id.as_str();
    write_transaction(conn, |conn| {
        let view = store::get(conn, viewer, id)?.ok_or(AppError::NotFound)?;
        if view.tombstone.is_some() {
            return Err(AppError::Conflict(super::model::DESTROYED.into()).into());
        }
        if view.incident.entered_in_error() {
            return Err(AppError::Conflict(IN_ERROR.into()).into());
        }
        if view.incident.version != c.version {
            return Err(Rejected::Stale(Box::new(view)));
        }
        let f = &c.fields;
        let category = crate::categories::store::by_code(conn, school_id, &f.category_code)?
            .ok_or(AppError::Invalid(
                "Choose one of the categories listed.".into(),
            ))?;
        let pupil = if name_key(&f.pupil.name) == view.pupil.name_key {
            view.pupil.clone()
        } else {
            pupil_for(conn, school_id, &f.pupil, "pupil_name", now)?
        };
        // Who it is about is not corrected here: once logged as about the
        // headteacher, it stays out of the headteacher's sight.
        let route = routing::decide(&category, f.child_at_risk, view.incident.about_headteacher);
        let before = values_of(&view);
        let after = values(
            &pupil.name,
            &f.tutor_group,
            f.incident_date,
            &category.code,
            f.child_at_risk,
            f.location.as_str(),
            f.platform.as_deref(),
            &f.details,
            &f.actions_taken,
            route.stored_owner().as_str(),
        );
        let changed: Vec<(&str, &String, &String)> = before
            .iter()
            .zip(&after)
            .filter(|((_, old), (_, new))| old != new)
            .map(|((field, old), (_, new))| (*field, old, new))
            .collect();
        if changed.is_empty() {
            return Ok(Corrected::Unchanged);
        }
        let written = write::correct(
            conn,
            id,
            c.version,
            &write::CorrectedRow {
                pupil_id: &pupil.id,
                tutor_group: &f.tutor_group,
                year_group: f.year_group,
                incident_date: f.incident_date,
                category_code: &category.code,
                child_at_risk: f.child_at_risk,
                location: f.location,
                platform: f.platform.as_deref(),
                details: &f.details,
                actions_taken: &f.actions_taken,
                owner_role: route.stored_owner().as_str(),
            },
            now,
        )?;
        if !written {
            // Another correction committed between our read and our write.
            let current = store::get(conn, viewer, id)?.ok_or(AppError::NotFound)?;
            return Err(Rejected::Stale(Box::new(current)));
        }
        let version = c.version + 1;
        let by_reporter = author.user_id.is_some() && author.user_id == view.incident.logged_by;
        for (field, old, new) in &changed {
            timeline::append(
                conn,
                &NewEvent::new(EventKind::Correction, id, school_id, version, author, now)
                    .change(field, old, new)
                    .reason(&c.reason)
                    .for_reporter(by_reporter),
            )?;
        }
        let names: Vec<&str> = changed.iter().map(|(f, _, _)| *f).collect();
        audit::store::insert(
            conn,
            &audit_event("incident_corrected", school_id, id, author, origin, now)
                .detail(format!("version {version}; fields {}", names.join(", "))),
        )?;
        Ok(Corrected::Done(version))
    })
}

/// Adds a follow-up note. The person who logged the incident sees their own
/// notes; a lead's notes are case notes, not shown to them.
pub fn add_note(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    author: &Author,
    id: &str,
    text: &str,
    origin: &Origin<'_>,
    now: NaiveDateTime,
) -> Result<(), Rejected> {
    let school_id = viewer.school_id.as_str();
    write_transaction(conn, |conn| {
        let view = store::get(conn, viewer, id)?.ok_or(AppError::NotFound)?;
        if view.tombstone.is_some() {
            return Err(AppError::Conflict(super::model::DESTROYED.into()).into());
        }
        if view.incident.entered_in_error() {
            return Err(AppError::Conflict(IN_ERROR.into()).into());
        }
        let by_reporter = author.user_id.is_some() && author.user_id == view.incident.logged_by;
        timeline::append(
            conn,
            &NewEvent::new(
                EventKind::Note,
                id,
                school_id,
                view.incident.version,
                author,
                now,
            )
            .text(text)
            .for_reporter(by_reporter),
        )?;
        audit::store::insert(
            conn,
            &audit_event("incident_note_added", school_id, id, author, origin, now),
        )?;
        Ok(())
    })
}

/// Marks an incident entered in error, with the reason: only a DSL or the
/// headteacher who reads it in full. To anyone else it does not exist.
pub fn mark_entered_in_error(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    author: &Author,
    id: &str,
    reason: &str,
    origin: &Origin<'_>,
    now: NaiveDateTime,
) -> Result<(), Rejected> {
    let school_id = viewer.school_id.as_str();
    write_transaction(conn, |conn| {
        let view = store::get(conn, viewer, id)?
            .filter(|v| v.full && viewer.may_mark_in_error())
            .ok_or(AppError::NotFound)?;
        if view.tombstone.is_some() {
            return Err(AppError::Conflict(super::model::DESTROYED.into()).into());
        }
        if view.incident.entered_in_error() {
            return Err(AppError::Conflict(
                "This record is already marked as entered in error.".into(),
            )
            .into());
        }
        let version = view.incident.version;
        if !write::mark_entered_in_error(conn, id, version, &viewer.user_id, reason, now)? {
            return Err(Rejected::Stale(Box::new(view)));
        }
        timeline::append(
            conn,
            &NewEvent::new(
                EventKind::EnteredInError,
                id,
                school_id,
                version + 1,
                author,
                now,
            )
            .reason(reason)
            .for_reporter(true),
        )?;
        audit::store::insert(
            conn,
            &audit_event(
                "incident_entered_in_error",
                school_id,
                id,
                author,
                origin,
                now,
            ),
        )?;
        Ok(())
    })
}
