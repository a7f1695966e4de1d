//! The lead's case actions, each in one write transaction with its timeline
//! event, its audit row and any alert: take ownership or assign, change
//! status (close with an outcome, reopen with a reason), add an action,
//! escalate to the DSL, record a referral, acknowledge for leadership.

use chrono::{NaiveDate, NaiveDateTime};

use super::alerts::{self, About, AlertKind, To};
use super::forms::{Agency, CaseAction};
use super::store::{self, CaseChange, NewReferral, NewShare};
use crate::auth::Role;
use crate::db::dialect::write_transaction;
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::forms::FieldErrors;
use crate::incidents::logging::{audit_event, Origin, Rejected};
use crate::incidents::model::{EventKind, IncidentView, Status};
use crate::incidents::store::timeline::{self, Author, NewEvent};
use crate::incidents::Viewer;

fn invalid(field: &'static str, message: impl Into<String>) -> Rejected {
    let mut e = FieldErrors::default();
    e.add(field, message);
    Rejected::Invalid(e)
}

/// The roles that may hold a case of this category (and so be assigned it).
pub fn case_roles(view: &IncidentView) -> Vec<Role> {
    if view.incident.about_headteacher {
        return vec![Role::AllegationsLead];
    }
    if view.category.restricted {
        return vec![Role::Headteacher];
    }
    let mut roles = vec![Role::OnlineSafetyLead, Role::Dsl, Role::Headteacher];
    if view.category.owner() == Role::Dpo {
        roles.push(Role::Dpo);
    }
    roles
}

pub fn perform(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    author: &Author,
    id: &str,
    action: &CaseAction,
    origin: &Origin<'_>,
    now: NaiveDateTime,
) -> Result<(), Rejected> {
    write_transaction(conn, |conn| {
        // Only someone who reads the case in full acts on it; to anyone
        // else it does not exist.
        let view = crate::incidents::store::get(conn, viewer, id)?
            .filter(|v| v.full)
            .ok_or(AppError::NotFound)?;
        if view.tombstone.is_some() {
            return Err(AppError::Conflict(crate::incidents::model::DESTROYED.into()).into());
        }
        if view.incident.entered_in_error() {
            return Err(AppError::Conflict(
                "This record was marked as entered in error, so its case is closed to changes."
                    .into(),
            )
            .into());
        }
        let me = author.user_id.as_deref().unwrap_or_default();
        let i = &view.incident;
        let about = About {
            incident: i,
            category_name: &view.category.name,
            urgent: view.category.urgent,
        };
        let (kind, audit_action, detail) = match action {
            CaseAction::TakeOwnership => {
                give_to(conn, &view, author, me, "Took ownership of the case.", now)?;
                (None, "case_taken", String::new())
            }
            CaseAction::Assign { user_id } => {
                let allowed: Vec<&str> = case_roles(&view).iter().map(|r| r.as_str()).collect();
                let leads = store::people_with(conn, &i.school_id, &allowed)?;
                let Some((_, name, _)) = store::not_excluded(conn, i, leads)?
                    .into_iter()
                    .find(|(u, _, _)| u == user_id)
                else {
                    return Err(invalid(
                        "user_id",
                        "Choose one of the leads listed: only they may read this case.",
                    ));
                };
                give_to(
                    conn,
                    &view,
                    author,
                    user_id,
                    &format!("Assigned to {name}."),
                    now,
                )?;
                alerts::send(conn, &about, AlertKind::Assigned, To::User(user_id), now)?;
                (None, "case_assigned", String::new())
            }
            CaseAction::Status {
                status,
                reason,
                outcome,
            } => set_status(
                conn,
                &view,
                author,
                *status,
                reason,
                outcome.as_deref(),
                now,
            )?,
            CaseAction::Action { text } => {
                event(conn, &view, author, EventKind::Action, now, |e| {
                    e.text(text)
                })?;
                (None, "case_action_added", String::new())
            }
            CaseAction::Escalate { reason } => {
                if view.category.restricted {
                    return Err(invalid("reason", "This category is for the headteacher alone, so it cannot be passed to the DSL here. Record a referral (for example to the LADO) instead."));
                }
                change(
                    conn,
                    &view,
                    &CaseChange {
                        owner_role: Some(Role::Dsl.as_str()),
                        owner_user_id: Some(None),
                        status: Some(Status::Escalated.as_str()),
                        ..Default::default()
                    },
                    now,
                )?;
                event(conn, &view, author, EventKind::Escalation, now, |e| {
                    e.change("owner_role", &i.owner_role, Role::Dsl.as_str())
                        .reason(reason)
                })?;
                (
                    Some((AlertKind::Escalated, Role::Dsl)),
                    "case_escalated",
                    format!("owner {} -> dsl", i.owner_role),
                )
            }
            CaseAction::Referral {
                agency,
                date,
                reference,
            } => referral(
                conn,
                &view,
                author,
                *agency,
                *date,
                reference.as_deref(),
                me,
                now,
            )?,
            CaseAction::AddReference {
                referral_id,
                reference,
            } => {
                let Some(r) = store::referrals_of(conn, &i.id)?
                    .into_iter()
                    .find(|r| r.id == *referral_id)
                else {
                    return Err(AppError::NotFound.into());
                };
                if !store::set_referral_reference(conn, &r.id, reference)? {
                    return Err(AppError::Conflict(
                        "This referral already has its reference.".into(),
                    )
                    .into());
                }
                let text = format!(
                    "Reference added for the referral to {} of {}: {}.",
                    Agency::label_of(&r.agency),
                    r.referred_on.format("%d/%m/%Y"),
                    reference
                );
                event(conn, &view, author, EventKind::Action, now, |e| {
                    e.text(&text)
                })?;
                (
                    None,
                    "referral_reference_added",
                    format!("agency {}", r.agency),
                )
            }
            CaseAction::Decision { decision, reason } => {
                store::add_decision(
                    conn,
                    &i.school_id,
                    &i.id,
                    decision.as_str(),
                    reason,
                    author.user_id.as_deref(),
                    now,
                )?;
                let text = format!("Decision: {}.", decision.label().to_lowercase());
                event(conn, &view, author, EventKind::Action, now, |e| {
                    e.text(&text).reason(reason)
                })?;
                (
                    None,
                    "case_decision_recorded",
                    format!("decision {}", decision.as_str()),
                )
            }
            CaseAction::Share {
                shared_with,
                person,
                what,
                date,
                basis,
                reason,
            } => {
                store::add_share(
                    conn,
                    &NewShare {
                        school_id: &i.school_id,
                        incident_id: &i.id,
                        shared_with,
                        person: person.as_deref(),
                        what,
                        shared_on: *date,
                        lawful_basis: basis.as_str(),
                        reason,
                        recorded_by: author.user_id.as_deref(),
                    },
                    now,
                )?;
                let with = match person {
                    Some(p) => format!("{shared_with} ({p})"),
                    None => shared_with.clone(),
                };
                let text = format!(
                    "Information shared with {with} on {}, lawful basis {}: {what}",
                    date.format("%d/%m/%Y"),
                    basis.label().to_lowercase()
                );
                event(conn, &view, author, EventKind::Action, now, |e| {
                    e.text(&text).reason(reason)
                })?;
                (
                    None,
                    "information_shared",
                    format!("lawful basis {}", basis.as_str()),
                )
            }
            CaseAction::Acknowledge => {
                if let Some(at) = i.lg_acknowledged_at {
                    return Err(AppError::Conflict(format!(
                        "This incident was already acknowledged on {}.",
                        crate::views::time::moment(at)
                    ))
                    .into());
                }
                if let Err(why) = super::may_acknowledge(viewer, i) {
                    return Err(AppError::Conflict(why.into()).into());
                }
                change(
                    conn,
                    &view,
                    &CaseChange {
                        lg_acknowledged_by: Some(me),
                        lg_acknowledged_at: Some(now),
                        ..Default::default()
                    },
                    now,
                )?;
                event(conn, &view, author, EventKind::Acknowledgement, now, |e| {
                    e.text("Acknowledged for the leadership group.")
                })?;
                (None, "incident_acknowledged", String::new())
            }
        };
        if let Some((alert, role)) = kind {
            alerts::send(conn, &about, alert, To::Roles(&[role]), now)?;
        }
        let mut audit = audit_event(audit_action, &viewer.school_id, id, author, origin, now);
        if !detail.is_empty() {
            audit = audit.detail(detail);
        }
        crate::audit::store::insert(conn, &audit)?;
        // Acting on a case is seeing what it asked of you.
        store::mark_incident_alerts_seen(conn, me, id, now)?;
        Ok(())
    })
}

type Outcome = (Option<(AlertKind, Role)>, &'static str, String);

fn set_status(
    conn: &mut AnyConnection,
    view: &IncidentView,
    author: &Author,
    to: Status,
    reason: &str,
    outcome: Option<&str>,
    now: NaiveDateTime,
) -> Result<Outcome, Rejected> {
    let from = view.incident.status();
    if from == to {
        return Err(invalid(
            "status",
            format!("The case is already {}.", to.label().to_lowercase()),
        ));
    }
    let reopening = from == Status::Closed;
    let mut c = CaseChange {
        status: Some(to.as_str()),
        ..Default::default()
    };
    if to == Status::Closed {
        let Some(outcome) = outcome.filter(|o| !o.trim().is_empty()) else {
            return Err(invalid(
                "outcome",
                "Say what the outcome was: it is part of the record.",
            ));
        };
        c.outcome = Some(Some(outcome));
        c.closed_at = Some(Some(now));
    } else if reopening {
        // The closing outcome stays on the timeline; the open case has none.
        c.closed_at = Some(None);
        c.outcome = Some(None);
    }
    change(conn, view, &c, now)?;
    let kind = if reopening {
        EventKind::Reopened
    } else {
        EventKind::StatusChange
    };
    event(conn, view, author, kind, now, |e| {
        let e = e
            .change("status", from.as_str(), to.as_str())
            .reason(reason);
        match outcome.filter(|_| to == Status::Closed) {
            Some(o) => e.text(o),
            None => e,
        }
    })?;
    let action = if reopening {
        "case_reopened"
    } else {
        "case_status_changed"
    };
    Ok((
        None,
        action,
        format!("status {} -> {}", from.as_str(), to.as_str()),
    ))
}

#[allow(clippy::too_many_arguments)]
fn referral(
    conn: &mut AnyConnection,
    view: &IncidentView,
    author: &Author,
    agency: Agency,
    date: NaiveDate,
    reference: Option<&str>,
    me: &str,
    now: NaiveDateTime,
) -> Result<Outcome, Rejected> {
    let i = &view.incident;
    store::add_referral(
        conn,
        &NewReferral {
            incident_id: &i.id,
            school_id: &i.school_id,
            agency: agency.as_str(),
            referred_on: date,
            reference,
            made_by: me,
        },
        now,
    )?;
    // A referral outside is an escalation (PRODUCT.md "The case").
    let escalate = matches!(i.status(), Status::New | Status::InProgress);
    let c = CaseChange {
        status: escalate.then_some(Status::Escalated.as_str()),
        ..Default::default()
    };
    change(conn, view, &c, now)?;
    let text = match reference {
        Some(reference) => format!(
            "Referred to {} on {}, reference {}.",
            agency.label(),
            date.format("%d/%m/%Y"),
            reference
        ),
        None => format!(
            "Referred to {} on {}, reference to follow.",
            agency.label(),
            date.format("%d/%m/%Y"),
        ),
    };
    event(conn, view, author, EventKind::Referral, now, |e| {
        e.text(&text)
    })?;
    Ok((
        None,
        "referral_recorded",
        format!("agency {}", agency.as_str()),
    ))
}

/// Gives the case to `owner`: a new incident counts as picked up.
fn give_to(
    conn: &mut AnyConnection,
    view: &IncidentView,
    author: &Author,
    owner: &str,
    text: &str,
    now: NaiveDateTime,
) -> Result<(), Rejected> {
    let picked = (view.incident.status() == Status::New).then_some(Status::InProgress.as_str());
    let c = CaseChange {
        owner_user_id: Some(Some(owner)),
        status: picked,
        ..Default::default()
    };
    change(conn, view, &c, now)?;
    event(conn, view, author, EventKind::Assignment, now, |e| {
        e.text(text)
    })
}

/// Applies a change to the case fields, raising the incident's version.
fn change(
    conn: &mut AnyConnection,
    view: &IncidentView,
    c: &CaseChange<'_>,
    now: NaiveDateTime,
) -> Result<(), Rejected> {
    if store::apply(conn, &view.incident.id, view.incident.version, c, now)? {
        Ok(())
    } else {
        Err(AppError::Conflict(
            "Someone else changed this case at the same moment. Reload it and try again.".into(),
        )
        .into())
    }
}

/// Appends a case event at the incident's new version. Case events are the
/// lead's: the member of staff who logged it sees the status, not these.
fn event<'a>(
    conn: &mut AnyConnection,
    view: &'a IncidentView,
    author: &'a Author,
    kind: EventKind,
    now: NaiveDateTime,
    build: impl FnOnce(NewEvent<'a>) -> NewEvent<'a>,
) -> Result<(), Rejected> {
    let i = &view.incident;
    // Adding an action changes no field, so it leaves the version alone.
    let version = if kind == EventKind::Action {
        i.version
    } else {
        i.version + 1
    };
    let e =
        build(NewEvent::new(kind, &i.id, &i.school_id, version, author, now).for_reporter(false));
    timeline::append(conn, &e)?;
    Ok(())
}
