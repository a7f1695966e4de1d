//! The case workflow (PRODUCT.md "The case"): what turns the log into a case
//! tracker. The right people are alerted when an incident is logged,
//! escalated, assigned or left waiting; leads act on the case with every
//! decision on the timeline and in the audit trail; each lead's dashboard
//! lists what waits for them.

pub mod actions;
pub mod alerts;
pub mod dashboard;
pub mod forms;
mod handlers;
pub mod messages;
pub mod reminders;
pub mod store;
pub mod views;

use chrono::NaiveDateTime;

use crate::auth::{Access, Role, Router};
use crate::db::AnyConnection;
use crate::incidents::model::{Incident, IncidentView, Status};
use crate::incidents::Viewer;

/// The leads who work cases: whoever reads the incident in full (checked
/// again on the record itself).
const CASE_ROLES: &[Role] = &[
    Role::OnlineSafetyLead,
    Role::Dsl,
    Role::Headteacher,
    Role::Dpo,
    Role::AllegationsLead,
];
const CASE_WORKERS: Access = Access::Roles(CASE_ROLES);
/// Leadership acknowledgement: the headteacher or a senior leader.
const LEADERSHIP: Access = Access::Roles(Role::ACKNOWLEDGERS);

pub fn routes(r: &mut Router<'_>) {
    r.post("/incidents/{id}/take", CASE_WORKERS, handlers::take)
        .post("/incidents/{id}/assign", CASE_WORKERS, handlers::assign)
        .post("/incidents/{id}/status", CASE_WORKERS, handlers::status)
        .post("/incidents/{id}/actions", CASE_WORKERS, handlers::action)
        .post("/incidents/{id}/escalate", CASE_WORKERS, handlers::escalate)
        .post(
            "/incidents/{id}/referrals",
            CASE_WORKERS,
            handlers::referral,
        )
        .post(
            "/incidents/{id}/acknowledge",
            LEADERSHIP,
            handlers::acknowledge,
        )
        .post("/incidents/{id}/decisions", CASE_WORKERS, handlers::decide)
        .post("/incidents/{id}/shares", CASE_WORKERS, handlers::share)
        .post(
            "/incidents/{id}/referrals/{referral}/reference",
            CASE_WORKERS,
            handlers::add_reference,
        )
        .post(
            "/dashboard/alerts/seen",
            Access::SignedIn,
            handlers::alerts_seen,
        )
        .post(
            "/dashboard/alerts/{alert}/dismiss",
            Access::SignedIn,
            handlers::alert_dismissed,
        )
        .post(
            "/api/v1/incidents/{id}/take",
            CASE_WORKERS,
            handlers::api_take,
        )
        .post(
            "/api/v1/incidents/{id}/assign",
            CASE_WORKERS,
            handlers::api_assign,
        )
        .post(
            "/api/v1/incidents/{id}/status",
            CASE_WORKERS,
            handlers::api_status,
        )
        .post(
            "/api/v1/incidents/{id}/actions",
            CASE_WORKERS,
            handlers::api_action,
        )
        .post(
            "/api/v1/incidents/{id}/escalate",
            CASE_WORKERS,
            handlers::api_escalate,
        )
        .post(
            "/api/v1/incidents/{id}/referrals",
            CASE_WORKERS,
            handlers::api_referral,
        )
        .post(
            "/api/v1/incidents/{id}/acknowledge",
            LEADERSHIP,
            handlers::api_acknowledge,
        )
        .post(
            "/api/v1/incidents/{id}/decisions",
            CASE_WORKERS,
            handlers::api_decide,
        )
        .post(
            "/api/v1/incidents/{id}/shares",
            CASE_WORKERS,
            handlers::api_share,
        );
}

/// What the case panel of a record shows beyond the incident itself.
#[derive(Clone, Debug, Default)]
pub struct CaseInfo {
    pub owner_name: Option<String>,
    pub acknowledged_by_name: Option<String>,
    pub referrals: Vec<store::Referral>,
    /// Decisions recorded with their reasons, oldest first.
    pub decisions: Vec<store::DecisionRow>,
    /// Information shared, by date.
    pub shares: Vec<store::ShareRow>,
    /// Leads the case may be assigned to: (id, name).
    pub leads: Vec<(String, String)>,
    pub may_acknowledge: bool,
    /// Why the viewer may not acknowledge, when it is not yet acknowledged
    /// and they otherwise could.
    pub acknowledge_refused: Option<&'static str>,
    /// The viewer works cases (take, assign, status, actions, referrals);
    /// a senior leader reads and acknowledges only.
    pub may_work: bool,
    /// How "Take ownership" is offered.
    pub take: Take,
    pub may_escalate: bool,
    /// What the viewer just did, said back to them (from a fixed code).
    pub done: Option<String>,
    /// A case form sent back to be corrected.
    pub rejected: Option<(String, forms::CaseInput, crate::forms::FieldErrors)>,
}

/// How the case panel offers "Take ownership".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Take {
    /// The case is the viewer's already, or they do not work cases.
    #[default]
    No,
    /// A plain button: the case is for the viewer's role.
    Offer,
    /// Someone else's case (the headteacher on a DSL's): offered quietly,
    /// for a viewer who chooses to take it over.
    IfChosen,
}

/// The case panel's facts, for a viewer who reads the record in full.
pub fn info(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    view: &IncidentView,
) -> diesel::QueryResult<CaseInfo> {
    let i = &view.incident;
    let roles: Vec<&str> = actions::case_roles(view)
        .iter()
        .map(|r| r.as_str())
        .collect();
    let name = |conn: &mut AnyConnection, id: &Option<String>| match id {
        Some(id) => store::name_of(conn, id),
        None => Ok(None),
    };
    let may_work = viewer.roles.any(CASE_ROLES);
    let mine = i.owner_user_id.as_deref() == Some(viewer.user_id.as_str());
    let take = if !may_work || mine {
        Take::No
    } else if viewer.roles.has(i.owner()) {
        Take::Offer
    } else {
        Take::IfChosen
    };
    let leads = store::people_with(conn, &i.school_id, &roles)?;
    Ok(CaseInfo {
        owner_name: name(conn, &i.owner_user_id)?,
        acknowledged_by_name: name(conn, &i.lg_acknowledged_by)?,
        referrals: store::referrals_of(conn, &i.id)?,
        decisions: store::decisions_of(conn, std::slice::from_ref(&i.id))?,
        shares: store::shares_of(conn, std::slice::from_ref(&i.id))?,
        leads: store::not_excluded(conn, i, leads)?
            .into_iter()
            .map(|(id, n, _)| (id, n))
            .collect(),
        may_acknowledge: may_acknowledge(viewer, i).is_ok(),
        acknowledge_refused: may_acknowledge(viewer, i)
            .err()
            .filter(|_| viewer.roles.any(Role::ACKNOWLEDGERS) && i.lg_acknowledged_at.is_none()),
        may_work,
        take,
        may_escalate: may_work
            && !viewer.roles.has(Role::Dsl)
            && !view.category.restricted
            && i.owner() != Role::Dsl
            && !matches!(i.status(), Status::Escalated | Status::Closed),
        done: None,
        rejected: None,
    })
}

/// Whether `viewer` may acknowledge `i` for the leadership group; the
/// reason when not. Nobody acknowledges what they logged themselves: the
/// acknowledgement is a second pair of eyes.
pub fn may_acknowledge(viewer: &Viewer, i: &Incident) -> Result<(), &'static str> {
    if !viewer.roles.any(Role::ACKNOWLEDGERS) {
        return Err(
            "Only the headteacher or a senior leader acknowledges for the leadership group.",
        );
    }
    if i.lg_acknowledged_at.is_some() {
        return Err("This incident has already been acknowledged.");
    }
    if i.logged_by.as_deref() == Some(viewer.user_id.as_str()) {
        return Err(
            "You logged this incident, so another member of the leadership group acknowledges it.",
        );
    }
    Ok(())
}

/// When an incident is logged: every member of its owner role is alerted,
/// in the logging transaction.
pub fn on_logged(
    conn: &mut AnyConnection,
    incident_id: &str,
    now: NaiveDateTime,
) -> diesel::QueryResult<usize> {
    let incident = store::incident(conn, incident_id)?;
    let category =
        crate::categories::store::by_code(conn, &incident.school_id, &incident.category_code)?;
    let (name, urgent) = category.map_or((String::new(), false), |c| (c.name, c.urgent));
    let about = alerts::About {
        incident: &incident,
        category_name: &name,
        urgent,
    };
    alerts::send(
        conn,
        &about,
        alerts::AlertKind::NewIncident,
        alerts::To::Roles(&[incident.owner()]),
        now,
    )
}
