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
pub mod reminders;
pub mod store;
pub mod views;

use chrono::NaiveDateTime;

use crate::auth::{Access, Role, Router};
use crate::db::AnyConnection;
use crate::incidents::model::IncidentView;
use crate::incidents::Viewer;

/// The leads who work cases: whoever reads the incident in full (checked
/// again on the record itself).
const CASE_WORKERS: Access = Access::Roles(&[
    Role::OnlineSafetyLead,
    Role::Dsl,
    Role::Headteacher,
    Role::Dpo,
]);
/// Leadership acknowledgement is the headteacher's (the leadership group).
const LEADERSHIP: Access = Access::Roles(&[Role::Headteacher]);

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
        .post(
            "/dashboard/alerts/seen",
            Access::SignedIn,
            handlers::alerts_seen,
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
        );
}

/// What the case panel of a record shows beyond the incident itself.
#[derive(Clone, Debug, Default)]
pub struct CaseInfo {
    pub owner_name: Option<String>,
    pub acknowledged_by_name: Option<String>,
    pub referrals: Vec<store::Referral>,
    /// Leads the case may be assigned to: (id, name).
    pub leads: Vec<(String, String)>,
    pub may_acknowledge: bool,
    /// A case form sent back to be corrected.
    pub rejected: Option<(String, forms::CaseInput, crate::forms::FieldErrors)>,
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
    Ok(CaseInfo {
        owner_name: name(conn, &i.owner_user_id)?,
        acknowledged_by_name: name(conn, &i.lg_acknowledged_by)?,
        referrals: store::referrals_of(conn, &i.id)?,
        leads: store::people_with(conn, &i.school_id, &roles)?
            .into_iter()
            .map(|(id, n, _)| (id, n))
            .collect(),
        may_acknowledge: viewer.roles.has(Role::Headteacher) && i.lg_acknowledged_at.is_none(),
        rejected: None,
    })
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
