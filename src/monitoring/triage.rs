//! Triage, the same for the pages and the API: opening an alert (the first
//! look is timed, every look audited), acknowledging it, dismissing it with
//! a reason, or promoting it to an incident that it links to both ways.
//! Nothing is deleted: a decided alert stays in the inbox under its status.

use chrono::NaiveDateTime;

use super::model::{Alert, DismissReason, Status};
use super::store::{self, Decision};
use crate::audit::{self, Event};
use crate::db::dialect::{lock_school, write_transaction};
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::forms::FieldErrors;
use crate::incidents::forms::NewIncident;
use crate::incidents::logging::{self, Logged, Origin, Provenance, Rejected};
use crate::incidents::store::timeline::Author;

/// Who acts, from where.
pub struct Actor<'a> {
    pub user_id: &'a str,
    pub school_id: &'a str,
    /// The pupils the person is excluded from: their alerts are not found.
    pub excluded: &'a [String],
    pub ip: &'a str,
}

fn event(action: &'static str, actor: &Actor<'_>, id: &str, now: NaiveDateTime) -> Event {
    Event::new(action, now)
        .school(actor.school_id)
        .actor(actor.user_id)
        .record("monitoring_alert", id)
        .ip(Some(actor.ip))
}

/// The alert, for reading: its first look is recorded and the read is in
/// the audit trail, as an incident's is. None when it is not this school's.
pub fn open(
    conn: &mut AnyConnection,
    actor: &Actor<'_>,
    id: &str,
    via: &str,
    now: NaiveDateTime,
) -> Result<Option<Alert>, AppError> {
    write_transaction(conn, |conn| {
        if store::get(conn, actor.school_id, actor.excluded, id)?.is_none() {
            return Ok(None);
        }
        store::mark_looked(conn, id, actor.user_id, now)?;
        audit::store::insert(
            conn,
            &event("monitoring_alert_viewed", actor, id, now).detail(format!("via {via}")),
        )?;
        Ok(store::get(conn, actor.school_id, actor.excluded, id)?)
    })
}

/// Why a triage step was refused.
#[derive(Debug)]
pub enum Refused {
    NotFound,
    /// The alert is already decided (or acknowledged, for acknowledge).
    Already(Status),
    Invalid(FieldErrors),
    App(AppError),
}

impl From<diesel::result::Error> for Refused {
    fn from(e: diesel::result::Error) -> Self {
        Refused::App(e.into())
    }
}

impl From<AppError> for Refused {
    fn from(e: AppError) -> Self {
        Refused::App(e)
    }
}

impl Refused {
    /// As an error the surfaces render (a page or JSON).
    pub fn into_app(self) -> AppError {
        match self {
            Refused::NotFound => AppError::NotFound,
            Refused::Already(s) => AppError::Conflict(format!(
                "This alert is already {}: nothing was changed.",
                s.label().to_lowercase()
            )),
            Refused::Invalid(e) => e.into_api_error(),
            Refused::App(e) => e,
        }
    }
}

fn current(conn: &mut AnyConnection, actor: &Actor<'_>, id: &str) -> Result<Alert, Refused> {
    store::get(conn, actor.school_id, actor.excluded, id)?.ok_or(Refused::NotFound)
}

pub fn acknowledge(
    conn: &mut AnyConnection,
    actor: &Actor<'_>,
    id: &str,
    now: NaiveDateTime,
) -> Result<Alert, Refused> {
    write_transaction(conn, |conn| {
        let a = current(conn, actor, id)?;
        if a.status() != Status::New {
            return Err(Refused::Already(a.status()));
        }
        store::acknowledge(conn, id, actor.user_id, now)?;
        audit::store::insert(
            conn,
            &event("monitoring_alert_acknowledged", actor, id, now),
        )?;
        current(conn, actor, id)
    })
}

/// The dismissal as typed: the reason's code, and the words (required for
/// "other", optional otherwise).
pub fn parse_dismissal(
    reason: &str,
    note: &str,
) -> Result<(DismissReason, Option<String>), FieldErrors> {
    let mut errors = FieldErrors::default();
    let r = DismissReason::parse(reason);
    if r.is_none() {
        errors.add(
            "reason",
            "Choose why it is dismissed: false positive, already known, not a safeguarding matter, or other (and say what).",
        );
    }
    let note = crate::forms::optional(&mut errors, "note", note, "the reason", 2_000);
    if r == Some(DismissReason::Other) && note.is_empty() {
        errors.add("note", "Say why it is dismissed.");
    }
    errors.into_result()?;
    Ok((
        r.unwrap_or(DismissReason::Other),
        (!note.is_empty()).then_some(note),
    ))
}

pub fn dismiss(
    conn: &mut AnyConnection,
    actor: &Actor<'_>,
    id: &str,
    reason: DismissReason,
    note: Option<&str>,
    now: NaiveDateTime,
) -> Result<Alert, Refused> {
    write_transaction(conn, |conn| {
        let a = current(conn, actor, id)?;
        let decision = Decision::Dismissed {
            reason: reason.as_str(),
            note,
        };
        if !store::decide(conn, id, actor.user_id, &decision, now)? {
            return Err(Refused::Already(a.status()));
        }
        audit::store::insert(
            conn,
            &event("monitoring_alert_dismissed", actor, id, now)
                .detail(format!("reason {}", reason.as_str())),
        )?;
        current(conn, actor, id)
    })
}

/// Logs `new` as an incident from alert `id` and links the two, in one
/// transaction: the alert is promoted only if the incident is made, and an
/// incident is made only for an alert still open. A form sent twice finds
/// the incident the first made.
pub fn promote(
    conn: &mut AnyConnection,
    actor: &Actor<'_>,
    author: &Author,
    id: &str,
    new: &NewIncident,
    via: &'static str,
    now: NaiveDateTime,
) -> Result<Logged, PromoteRefused> {
    write_transaction(conn, |conn| {
        lock_school(conn, actor.school_id)?;
        let a = store::get(conn, actor.school_id, actor.excluded, id)?
            .ok_or(PromoteRefused::NotFound)?;
        if let Some(incident) = &a.incident_id {
            return Ok(Logged::Replayed(incident.clone()));
        }
        if a.status().decided() {
            return Err(PromoteRefused::Already(a.status()));
        }
        let note = format!("Promoted from a {} monitoring alert.", a.source);
        let origin = Origin {
            ip: Some(actor.ip),
            via,
        };
        let incident = logging::create(
            conn,
            actor.school_id,
            author,
            new,
            &origin,
            &Provenance { note: Some(&note) },
            now,
        )
        .map_err(PromoteRefused::Incident)?;
        crate::cases::on_logged(conn, &incident, now)?;
        store::decide(
            conn,
            id,
            actor.user_id,
            &Decision::Promoted {
                incident_id: &incident,
            },
            now,
        )?;
        audit::store::insert(
            conn,
            &event("monitoring_alert_promoted", actor, id, now)
                .detail(format!("incident {incident}")),
        )?;
        Ok(Logged::Created(incident))
    })
}

#[derive(Debug)]
pub enum PromoteRefused {
    NotFound,
    Already(Status),
    Incident(Rejected),
    App(AppError),
}

impl From<diesel::result::Error> for PromoteRefused {
    fn from(e: diesel::result::Error) -> Self {
        PromoteRefused::App(e.into())
    }
}

impl From<AppError> for PromoteRefused {
    fn from(e: AppError) -> Self {
        PromoteRefused::App(e)
    }
}
