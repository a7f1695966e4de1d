//! Logging an incident, in one write transaction: a retried submission
//! finds the incident its first try made; otherwise the pupils are found
//! or created, the incident is routed, numbered and stored, and its first
//! timeline event and audit row are written with it.

use chrono::NaiveDateTime;

use super::forms::NewIncident;
use super::model::EventKind;
use super::routing;
use super::store::timeline::{self, Author, NewEvent};
use super::store::write::{self, NewRow};
use crate::audit::{self, Event};
use crate::db::dialect::lock_school;
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::forms::FieldErrors;
use crate::pupils::model::{Pupil, PupilRef};
use crate::pupils::store::{self as pupils, Resolved};

/// Why a change was not made. Returned as an error from inside the
/// transaction so that anything written before the problem showed (a new
/// pupil) is rolled back with it.
#[derive(Debug)]
pub enum Rejected {
    App(AppError),
    Invalid(FieldErrors),
    /// Someone else changed the incident first; here is how it is now.
    Stale(Box<super::model::IncidentView>),
}

impl From<diesel::result::Error> for Rejected {
    fn from(e: diesel::result::Error) -> Self {
        Rejected::App(e.into())
    }
}

impl From<AppError> for Rejected {
    fn from(e: AppError) -> Self {
        Rejected::App(e)
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> Rejected {
    let mut errors = FieldErrors::default();
    errors.add(field, message);
    Rejected::Invalid(errors)
}

/// The one pupil a typed name means, or the field error saying to choose.
pub(crate) fn pupil_for(
    conn: &mut AnyConnection,
    school_id: &str,
    wanted: &PupilRef,
    field: &'static str,
    at: NaiveDateTime,
) -> Result<Pupil, Rejected> {
    match pupils::resolve(conn, school_id, wanted, at)? {
        Resolved::Found(p) | Resolved::Created(p) => Ok(p),
        Resolved::Ambiguous(n) => Err(invalid(
            field,
            format!(
                "{n} pupils have this name. Pick the right one from the list as you type, or give their tutor group."
            ),
        )),
    }
}

/// What logging did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Logged {
    Created(String),
    /// The same submission again: the incident its first try made.
    Replayed(String),
}

impl Logged {
    pub fn id(&self) -> &str {
        match self {
            Logged::Created(id) | Logged::Replayed(id) => id,
        }
    }
}

/// Where a request came from, for the audit trail.
pub struct Origin<'a> {
    pub ip: Option<&'a str>,
    /// "form", "api", "import".
    pub via: &'static str,
}

/// Logs an incident. The caller holds the write transaction: the form
/// and the API run this through the group committer (`db::writer`).
pub fn log(
    conn: &mut AnyConnection,
    school_id: &str,
    author: &Author,
    new: &NewIncident,
    origin: &Origin<'_>,
    now: NaiveDateTime,
) -> Result<Logged, Rejected> {
    // Serialises this school's loggers: references and retries see
    // every incident committed before them.
    lock_school(conn, school_id)?;
    if let (Some(key), Some(user)) = (&new.idempotency_key, &author.user_id) {
        if let Some(id) = write::by_idempotency_key(conn, school_id, user, key)? {
            return Ok(Logged::Replayed(id));
        }
    }
    let id = create(
        conn,
        school_id,
        author,
        new,
        origin,
        &Provenance::default(),
        now,
    )?;
    // Alerts belong to logging, not to `create`: an import is history
    // and alerts no one.
    crate::cases::on_logged(conn, &id, now)?;
    Ok(Logged::Created(id))
}

/// Where an incident came from, when not from the log form or the API.
#[derive(Clone, Copy, Debug, Default)]
pub struct Provenance<'a> {
    /// Said on the "logged" event of its timeline, e.g. the file and line.
    pub note: Option<&'a str>,
}

/// Creates an incident: the pupils found or created, routed, numbered and
/// stored, with its first timeline event and audit row. The caller holds
/// the write transaction and has called [`lock_school`]; returns the id.
pub fn create(
    conn: &mut AnyConnection,
    school_id: &str,
    author: &Author,
    new: &NewIncident,
    origin: &Origin<'_>,
    provenance: &Provenance<'_>,
    now: NaiveDateTime,
) -> Result<String, Rejected> {
    let f = &new.fields;
    let category = crate::categories::store::by_code(conn, school_id, &f.category_code)?
        .filter(|c| c.active)
        .ok_or_else(|| invalid("category", "Choose one of the categories listed."))?;
    let pupil = pupil_for(conn, school_id, &f.pupil, "pupil_name", now)?;
    let route = routing::decide(&category, f.child_at_risk, new.about_headteacher);
    // Refused rather than logged: an allegation about the headteacher that
    // alerts no one would sit unread, and the headteacher may not see it to
    // pass it on. The form comes back with everything typed still in it.
    if route.about_headteacher && !write::someone_holds(conn, school_id, route.owner)? {
        return Err(invalid(
            "about_headteacher",
            "This school has no allegations lead to send this to. Tell the chair of governors \
             in person now, and ask the school's administrator to name an allegations lead \
             in safelog. What you typed is kept below.",
        ));
    }
    let row = NewRow {
        school_id,
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
        about_headteacher: route.about_headteacher,
        logged_by: author.user_id.as_deref(),
        staff_initials: &author.initials,
        idempotency_key: new.idempotency_key.as_deref(),
    };
    let id = write::insert(conn, &row, now)?;
    let mut involved = vec![pupil.id.clone()];
    for (position, other) in (1..).zip(&new.others) {
        let p = pupil_for(conn, school_id, &other.pupil, other.name_field, now)?;
        // The same child twice would say nothing more.
        if involved.contains(&p.id) {
            continue;
        }
        write::add_other_pupil(conn, &id, school_id, &p.id, other.role, position)?;
        involved.push(p.id);
    }
    let mut logged =
        NewEvent::new(EventKind::Logged, &id, school_id, 1, author, now).for_reporter(true);
    if let Some(note) = provenance.note {
        logged = logged.text(note);
    }
    timeline::append(conn, &logged)?;
    audit::store::insert(
        conn,
        &audit_event("incident_logged", school_id, &id, author, origin, now).detail(format!(
            "category {}; owner {}; via {}",
            category.code, route.owner, origin.via
        )),
    )?;
    Ok(id)
}

/// An audit event about an incident, by `author`, from `origin`.
pub(crate) fn audit_event(
    action: &'static str,
    school_id: &str,
    incident_id: &str,
    author: &Author,
    origin: &Origin<'_>,
    at: NaiveDateTime,
) -> Event {
    let mut e = Event::new(action, at)
        .school(school_id)
        .record("incident", incident_id)
        .ip(origin.ip);
    e.actor_id = author.user_id.clone();
    e
}
