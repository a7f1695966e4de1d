//! Legal holds: a DPO, DSL or headteacher names an inquiry (as IICSA
//! required schools to keep everything it might need), why, and the
//! records it covers: incidents by reference, and pupils (every record of
//! the pupil, those logged later too). While a hold is active no record it
//! names can be destroyed; lifting it is recorded with who, when and why.

use chrono::NaiveDateTime;

use super::store::{self, Hold};
use crate::audit::{self, Event};
use crate::db::dialect::write_transaction;
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::forms::{self, FieldErrors};
use crate::incidents::Viewer;
use crate::pupils::model::Pupil;

/// What a hold names, as its reader is shown it.
#[derive(Clone, Debug)]
pub enum Named {
    /// A record by reference, with its id when the reader reviews it.
    Record(String, String),
    Pupil(String, Option<String>),
    /// A record the reader does not oversee (restricted to another role).
    Unseen,
}

/// A hold with who made and lifted it and what it names.
#[derive(Clone, Debug)]
pub struct HoldView {
    pub hold: Hold,
    pub created_by_name: String,
    pub lifted_by_name: Option<String>,
    pub named: Vec<Named>,
}

/// The school's holds, newest first, as `viewer` may read them.
pub fn list(conn: &mut AnyConnection, viewer: &Viewer) -> Result<Vec<HoldView>, AppError> {
    let holds = store::holds(conn, &viewer.school_id)?;
    let records = store::hold_records(conn, &viewer.school_id)?;
    let pupils = store::pupils_of(conn, &viewer.school_id)?;
    let names: std::collections::HashMap<String, String> =
        crate::accounts::store::users_of_school(conn, &viewer.school_id)?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect();
    let seen: std::collections::HashMap<String, String> =
        store::candidates_all(conn, viewer)?.into_iter().collect();
    let name_of = |id: &str| names.get(id).cloned().unwrap_or_else(|| "Unknown".into());
    Ok(holds
        .into_iter()
        .map(|h| {
            let named = records
                .iter()
                .filter(|(hold, _, _)| *hold == h.id)
                .map(|(_, incident, pupil)| match (incident, pupil) {
                    (Some(i), _) => match seen.get(i) {
                        Some(reference) => Named::Record(i.clone(), reference.clone()),
                        None => Named::Unseen,
                    },
                    (None, Some(p)) => match pupils.get(p) {
                        Some(found) => Named::Pupil(found.name.clone(), found.tutor_group.clone()),
                        None => Named::Unseen,
                    },
                    (None, None) => Named::Unseen,
                })
                .collect();
            HoldView {
                created_by_name: name_of(&h.created_by),
                lifted_by_name: h.lifted_by.as_deref().map(name_of),
                named,
                hold: h,
            }
        })
        .collect())
}

/// What the hold form sends.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct HoldInput {
    pub name: String,
    pub reason: String,
    /// References, one a line.
    pub references: String,
    /// Pupils, one a line: "Name" or "Name, tutor group".
    pub pupils: String,
}

/// What a hold names, resolved.
struct Targets {
    incidents: Vec<String>,
    pupils: Vec<String>,
}

fn lines(s: &str) -> impl Iterator<Item = &str> {
    s.lines().map(str::trim).filter(|l| !l.is_empty())
}

/// Resolves the references and pupils typed, each to one record or pupil
/// `viewer` may name; any that does not is said beside its field.
fn targets(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    input: &HoldInput,
    errors: &mut FieldErrors,
) -> Result<Targets, AppError> {
    let mut t = Targets {
        incidents: Vec::new(),
        pupils: Vec::new(),
    };
    forms::optional(
        errors,
        "references",
        &input.references,
        "the references",
        20_000,
    );
    forms::optional(errors, "pupils", &input.pupils, "the pupils", 20_000);
    for r in lines(&input.references) {
        let reference = r.to_uppercase();
        match store::by_reference(conn, viewer, &reference)? {
            Some((id, _)) => t.incidents.push(id),
            None => errors.add(
                "references",
                format!("There is no record {reference} that you may name: check the reference (one a line, like OS-2025-0042)."),
            ),
        }
    }
    for line in lines(&input.pupils) {
        let (name, group) = match line.rsplit_once(',') {
            Some((n, g)) => (n.trim(), Some(g.trim().to_lowercase())),
            None => (line, None),
        };
        let mut found: Vec<Pupil> = Vec::new();
        for p in crate::pupils::store::named(conn, &viewer.school_id, name)? {
            if crate::incidents::store::known_pupils::knows(conn, viewer, &p)? {
                found.push(p);
            }
        }
        if let Some(g) = &group {
            found.retain(|p| p.tutor_group.as_deref().map(str::to_lowercase).as_ref() == Some(g));
        }
        match found.as_slice() {
            [one] => t.pupils.push(one.id.clone()),
            [] => errors.add(
                "pupils",
                "A pupil listed is not one of the school's pupils you may name: check the spelling (one a line; add \", tutor group\" to tell two apart).",
            ),
            _ => errors.add(
                "pupils",
                "Several pupils have a name listed: add their tutor group after a comma, as in \"Sam Smith, 9B\".",
            ),
        }
    }
    t.incidents.sort();
    t.incidents.dedup();
    t.pupils.sort();
    t.pupils.dedup();
    Ok(t)
}

/// Makes a hold naming what `input` lists. Err(Ok(errors)) sends the form
/// back.
pub fn create(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    input: &HoldInput,
    ip: Option<&str>,
    now: NaiveDateTime,
) -> Result<Result<String, FieldErrors>, AppError> {
    write_transaction(conn, |conn| {
        let mut errors = FieldErrors::default();
        let name = forms::required(&mut errors, "name", &input.name, "the hold's name", 200);
        let reason = forms::required(
            &mut errors,
            "reason",
            &input.reason,
            "why the records are held",
            20_000,
        );
        let t = targets(conn, viewer, input, &mut errors)?;
        if t.incidents.is_empty() && t.pupils.is_empty() && errors.get("references").is_none() {
            errors.add(
                "references",
                "Name at least one record (by reference) or one pupil the hold covers.",
            );
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let id = store::create_hold(
            conn,
            &viewer.school_id,
            &name,
            &reason,
            &viewer.user_id,
            now,
        )?;
        add_targets(conn, viewer, &id, &t, now)?;
        audit::store::insert(
            conn,
            &Event::new("legal_hold_created", now)
                .school(&viewer.school_id)
                .actor(&viewer.user_id)
                .record("legal_hold", &id)
                .detail(format!(
                    "{} records, {} pupils",
                    t.incidents.len(),
                    t.pupils.len()
                ))
                .ip(ip),
        )?;
        Ok(Ok(id))
    })
}

fn add_targets(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    hold_id: &str,
    t: &Targets,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    for i in &t.incidents {
        store::add_to_hold(
            conn,
            hold_id,
            &viewer.school_id,
            Some(i),
            None,
            &viewer.user_id,
            now,
        )?;
    }
    for p in &t.pupils {
        store::add_to_hold(
            conn,
            hold_id,
            &viewer.school_id,
            None,
            Some(p),
            &viewer.user_id,
            now,
        )?;
    }
    Ok(())
}

/// The school's active hold `id`, or why not.
fn active(conn: &mut AnyConnection, viewer: &Viewer, id: &str) -> Result<Hold, AppError> {
    let h = store::holds(conn, &viewer.school_id)?
        .into_iter()
        .find(|h| h.id == id)
        .ok_or(AppError::NotFound)?;
    if !h.active() {
        return Err(AppError::Conflict(
            "This hold was lifted: make a new one to hold records again.".into(),
        ));
    }
    Ok(h)
}

/// Names more records or pupils in an active hold.
pub fn extend(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    id: &str,
    input: &HoldInput,
    ip: Option<&str>,
    now: NaiveDateTime,
) -> Result<Result<(), FieldErrors>, AppError> {
    write_transaction(conn, |conn| {
        let mut errors = FieldErrors::default();
        let t = targets(conn, viewer, input, &mut errors)?;
        if t.incidents.is_empty() && t.pupils.is_empty() && errors.is_empty() {
            errors.add("references", "Name at least one record or pupil to add.");
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let h = active(conn, viewer, id)?;
        add_targets(conn, viewer, &h.id, &t, now)?;
        audit::store::insert(
            conn,
            &Event::new("legal_hold_extended", now)
                .school(&viewer.school_id)
                .actor(&viewer.user_id)
                .record("legal_hold", &h.id)
                .detail(format!(
                    "{} records, {} pupils added",
                    t.incidents.len(),
                    t.pupils.len()
                ))
                .ip(ip),
        )?;
        Ok(Ok(()))
    })
}

/// Lifts an active hold with a reason.
pub fn lift(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    id: &str,
    reason: &str,
    ip: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    write_transaction(conn, |conn| {
        let h = active(conn, viewer, id)?;
        if !store::lift_hold(conn, &viewer.school_id, &h.id, reason, &viewer.user_id, now)? {
            return Err(AppError::Conflict("This hold was already lifted.".into()));
        }
        audit::store::insert(
            conn,
            &Event::new("legal_hold_lifted", now)
                .school(&viewer.school_id)
                .actor(&viewer.user_id)
                .record("legal_hold", &h.id)
                .ip(ip),
        )?;
        Ok(())
    })
}
