//! What waits for a lead: their new alerts, incidents waiting for them
//! (urgent first, then oldest first), those past the school's pick-up time,
//! those awaiting leadership acknowledgement, and open referrals.

use chrono::NaiveDateTime;

use super::reminders::picked_up_by;
use super::store::{self, AlertRow, Referral};
use crate::auth::Role;
use crate::db::AnyConnection;
use crate::incidents::model::{Incident, Status};
use crate::incidents::Viewer;

pub struct Dashboard {
    pub alerts: Vec<AlertRow>,
    pub waiting: Vec<(Incident, String, bool)>,
    pub overdue: Vec<(Incident, String, bool)>,
    /// Only for leadership.
    pub awaiting_acknowledgement: Option<Vec<(Incident, String, bool)>>,
    pub referrals: Vec<(Referral, String)>,
}

pub fn for_lead(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    pickup_school_days: i32,
    now: NaiveDateTime,
) -> diesel::QueryResult<Dashboard> {
    let open = store::open_for(conn, viewer)?;
    let mine = |i: &Incident| match &i.owner_user_id {
        Some(owner) => *owner == viewer.user_id,
        None => viewer.roles.has(i.owner()),
    };
    let mut waiting: Vec<_> = open.iter().filter(|(i, _, _)| mine(i)).cloned().collect();
    // Urgent first, then oldest first (open_for is oldest first already).
    waiting.sort_by_key(|(_, _, urgent)| !*urgent);
    let due = picked_up_by(now, pickup_school_days);
    let overdue = open
        .iter()
        .filter(|(i, _, _)| i.status() == Status::New && i.logged_at < due)
        .filter(|(i, _, _)| viewer.roles.has(Role::Headteacher) || viewer.roles.has(i.owner()))
        .cloned()
        .collect();
    let awaiting_acknowledgement = viewer.roles.has(Role::Headteacher).then(|| {
        open.iter()
            .filter(|(i, _, _)| i.lg_acknowledged_at.is_none())
            .cloned()
            .collect()
    });
    Ok(Dashboard {
        alerts: store::unseen_alerts(conn, viewer, 50)?,
        waiting,
        overdue,
        awaiting_acknowledgement,
        referrals: store::open_referrals(conn, viewer)?,
    })
}
