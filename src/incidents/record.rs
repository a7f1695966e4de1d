//! Opening an incident's record: the incident, its timeline as this viewer
//! may read it, and (for a DSL or the headteacher) who has viewed it. Every
//! opening is written to the audit trail.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use super::logging::{audit_event, Origin};
use super::model::{Event, IncidentView};
use super::store::timeline::{self, Author, Reader};
use super::store::{self};
use super::viewer::Viewer;
use crate::categories::Category;
use crate::db::AnyConnection;
use crate::error::AppError;

/// Everything an incident's page shows.
pub struct Record {
    pub view: IncidentView,
    pub timeline: Vec<Event>,
    /// Who opened the record and when, newest first; empty unless the viewer
    /// sees it.
    pub viewed_by: Vec<(String, NaiveDateTime)>,
    /// The school's categories by code, to name old values on the timeline.
    pub categories: HashMap<String, Category>,
    /// The case panel, for a viewer who reads the record in full.
    pub case: Option<crate::cases::CaseInfo>,
    /// The monitoring alert it was promoted from, for a full reader.
    pub from_alert: Option<String>,
    /// The files attached that this viewer sees, and the upload form.
    pub attachments: Option<crate::attachments::Panel>,
}

/// The record, or None when it does not exist or the viewer may not read
/// it. Writes an `incident_viewed` audit row when it is found.
pub fn open(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    author: &Author,
    id: &str,
    origin: &Origin<'_>,
    now: NaiveDateTime,
) -> Result<Option<Record>, AppError> {
    let Some(record) = read(conn, viewer, id)? else {
        return Ok(None);
    };
    crate::audit::store::insert(
        conn,
        &audit_event(
            "incident_viewed",
            &viewer.school_id,
            id,
            author,
            origin,
            now,
        )
        .detail(format!("via {}", origin.via)),
    )?;
    // Opening the record is seeing the alerts about it.
    crate::cases::store::mark_incident_alerts_seen(conn, &viewer.user_id, id, now)?;
    Ok(Some(record))
}

/// The record without auditing a view: for the answer to a change that is
/// itself audited (logging, a correction, a note).
pub fn read(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    id: &str,
) -> Result<Option<Record>, AppError> {
    let Some(view) = store::get(conn, viewer, id)? else {
        return Ok(None);
    };
    // A destroyed record is its tombstone: no timeline, case or files.
    if view.tombstone.is_some() {
        let categories = store::read::categories_by_code(conn, &viewer.school_id)?;
        return Ok(Some(Record {
            view,
            timeline: Vec::new(),
            viewed_by: Vec::new(),
            categories,
            case: None,
            from_alert: None,
            attachments: None,
        }));
    }
    let reader = if view.full {
        Reader::Full
    } else {
        Reader::Reporter {
            user_id: &viewer.user_id,
        }
    };
    let timeline = timeline::for_incident(conn, id, reader)?;
    let viewed_by = if view.full && viewer.sees_viewers() {
        viewers(conn, &viewer.school_id, id)?
    } else {
        Vec::new()
    };
    let categories = store::read::categories_by_code(conn, &viewer.school_id)?;
    let case = if view.full {
        Some(crate::cases::info(conn, viewer, &view)?)
    } else {
        None
    };
    let from_alert = if view.full {
        store::read::monitoring_alert_of(conn, &viewer.school_id, id)?
    } else {
        None
    };
    let attachments = Some(crate::attachments::panel(conn, viewer, &view)?);
    Ok(Some(Record {
        view,
        timeline,
        viewed_by,
        categories,
        case,
        from_alert,
        attachments,
    }))
}

/// Who has opened an incident, from the audit trail, newest first.
fn viewers(
    conn: &mut AnyConnection,
    school_id: &str,
    id: &str,
) -> Result<Vec<(String, NaiveDateTime)>, AppError> {
    let names: HashMap<String, String> = crate::accounts::store::users_of_school(conn, school_id)?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let mut seen: Vec<(String, NaiveDateTime)> =
        crate::audit::store::for_record(conn, "incident", id)?
            .into_iter()
            .filter(|r| r.action == "incident_viewed")
            .map(|r| {
                let who = r
                    .actor_id
                    .and_then(|a| names.get(&a).cloned())
                    .unwrap_or_else(|| "Unknown".into());
                (who, r.at)
            })
            .collect();
    seen.reverse();
    Ok(seen)
}
