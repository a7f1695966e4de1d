//! What waits for a lead, as one queue: the open incidents that are theirs
//! to act on (their role's and not taken by someone else, or taken by
//! them), urgent first, then oldest. Each row carries what a lead decides
//! on (pupil, tutor group, date, category, how long it has waited, owner,
//! the first line of what happened) and its flags: an unseen alert, past
//! the pick-up time, awaiting the viewer's acknowledgement. Below it, only
//! what the queue does not already hold, so no incident is listed twice:
//! others' incidents past the pick-up time (for the headteacher and the
//! owner role), those awaiting acknowledgement (for the leadership group),
//! referrals waiting for the agency's reference, and open referrals.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;

use super::reminders::picked_up_by;
use super::store::{self, AlertRow, Referral};
use crate::auth::Role;
use crate::db::AnyConnection;
use crate::incidents::model::{Incident, Status};
use crate::incidents::Viewer;

/// One incident as the start page lists it.
#[derive(Clone, Debug)]
pub struct Row {
    pub incident: Incident,
    pub pupil: String,
    pub category: String,
    pub urgent: bool,
    pub owner_name: Option<String>,
    /// The viewer's newest unseen alert about it.
    pub alert: Option<AlertRow>,
    pub overdue: bool,
    /// The viewer may acknowledge it and it is not yet acknowledged.
    pub awaiting_acknowledgement: bool,
}

impl Row {
    /// The first line of what happened, short enough for a row.
    pub fn first_line(&self) -> String {
        let line = self.incident.details.lines().next().unwrap_or("").trim();
        if line.chars().count() > 110 {
            let cut: String = line.chars().take(107).collect();
            format!("{}…", cut.trim_end())
        } else {
            line.to_string()
        }
    }
}

pub struct Dashboard {
    pub now: NaiveDateTime,
    pub queue: Vec<Row>,
    pub overdue: Vec<Row>,
    /// Only for the leadership group.
    pub awaiting_acknowledgement: Option<Vec<Row>>,
    /// Referrals recorded with "reference to follow", until it is added.
    pub awaiting_reference: Vec<(Referral, String)>,
    pub referrals: Vec<(Referral, String)>,
    /// Unseen alerts the page shows (on queue rows).
    pub unseen: usize,
}

pub fn for_lead(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    pickup_school_days: i32,
    now: NaiveDateTime,
) -> diesel::QueryResult<Dashboard> {
    let open = store::open_for(conn, viewer)?;
    let mut alerts: HashMap<String, AlertRow> = HashMap::new();
    // Newest first: the first alert of an incident is the one shown.
    for a in store::unseen_alerts(conn, viewer, 500)? {
        alerts.entry(a.incident_id.clone()).or_insert(a);
    }
    let pupils = store::pupil_names(
        conn,
        &viewer.school_id,
        open.iter().map(|(i, _, _)| i.pupil_id.clone()).collect(),
    )?;
    let owners = store::user_names(
        conn,
        open.iter()
            .filter_map(|(i, _, _)| i.owner_user_id.clone())
            .collect(),
    )?;
    let due = picked_up_by(now, pickup_school_days);
    let acknowledges = viewer.roles.any(Role::ACKNOWLEDGERS);
    let rows: Vec<Row> = open
        .into_iter()
        .map(|(i, category, urgent)| Row {
            pupil: pupils.get(&i.pupil_id).cloned().unwrap_or_default(),
            owner_name: i
                .owner_user_id
                .as_ref()
                .and_then(|u| owners.get(u).cloned()),
            alert: alerts.remove(&i.id),
            overdue: i.status() == Status::New && i.logged_at < due,
            awaiting_acknowledgement: acknowledges && super::may_acknowledge(viewer, &i).is_ok(),
            incident: i,
            category,
            urgent,
        })
        .collect();
    let mine = |i: &Incident| match &i.owner_user_id {
        Some(owner) => *owner == viewer.user_id,
        None => viewer.roles.has(i.owner()),
    };
    // Urgent first, then oldest first (open_for is oldest first already;
    // the sort is stable).
    let (mut queue, rest): (Vec<Row>, Vec<Row>) = rows.into_iter().partition(|r| mine(&r.incident));
    queue.sort_by_key(|r| !r.urgent);
    let sees_overdue =
        |r: &Row| viewer.roles.has(Role::Headteacher) || viewer.roles.has(r.incident.owner());
    let (overdue, rest): (Vec<Row>, Vec<Row>) =
        rest.into_iter().partition(|r| r.overdue && sees_overdue(r));
    let awaiting_acknowledgement = acknowledges.then(|| {
        rest.into_iter()
            .filter(|r| r.awaiting_acknowledgement)
            .collect()
    });
    let (awaiting_reference, referrals) = store::open_referrals(conn, viewer)?
        .into_iter()
        .partition(|(r, _)| r.reference.is_none());
    let mut awaiting_reference: Vec<(Referral, String)> = awaiting_reference;
    // A referral waits for its reference even once the case is closed.
    let shown: HashSet<String> = awaiting_reference
        .iter()
        .map(|(r, _)| r.id.clone())
        .collect();
    awaiting_reference.extend(
        store::referrals_awaiting_reference(conn, viewer)?
            .into_iter()
            .filter(|(r, _)| !shown.contains(&r.id)),
    );
    let unseen = queue.iter().filter(|r| r.alert.is_some()).count();
    Ok(Dashboard {
        now,
        queue,
        overdue,
        awaiting_acknowledgement,
        awaiting_reference,
        referrals,
        unseen,
    })
}

/// How long something has waited, as a lead reads it at a glance.
pub fn waited(since: NaiveDateTime, now: NaiveDateTime) -> String {
    let minutes = (now - since).num_minutes().max(0);
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    match minutes {
        0..=59 => plural(minutes, "minute"),
        60..=2879 => plural(minutes / 60, "hour"),
        _ => plural(minutes / (60 * 24), "day"),
    }
}
