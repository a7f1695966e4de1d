//! The case panel on a record, and the lead's dashboard lists.

use maud::{html, Markup};

use super::alerts::AlertKind;
use super::dashboard::Dashboard;
use super::forms::{Agency, CaseInput};
use super::CaseInfo;
use crate::forms::FieldErrors;
use crate::incidents::model::{Incident, Status};
use crate::incidents::views::{moment, textarea_in};
use crate::views::components::{csrf_field, flash, Field};

/// The case: who holds it, its status, acknowledgement and referrals, and a
/// form for each action the viewer may take.
pub fn panel(csrf: &str, i: &Incident, case: &CaseInfo) -> Markup {
    let empty = (String::new(), CaseInput::default(), FieldErrors::default());
    let (rejected_action, typed, errors) = case
        .rejected
        .as_ref()
        .map_or((&empty.0, &empty.1, &empty.2), |(a, t, e)| (a, t, e));
    let typed_for = |action: &str| {
        if rejected_action == action {
            typed.clone()
        } else {
            CaseInput::default()
        }
    };
    let errors_for = |action: &str| {
        if rejected_action == action {
            errors.clone()
        } else {
            FieldErrors::default()
        }
    };
    let form = |action: &str| format!("/incidents/{}/{action}", i.id);
    let closed = i.status() == Status::Closed;
    html! {
        section.card #case {
            h2 { "Case" }
            @if let Some(message) = errors.get("action") { (flash("error", message)) }
            dl.record {
                dt { "Status" } dd { (i.status().label()) }
                dt { "Owner" } dd { (i.owner().label()) @if let Some(n) = &case.owner_name { ": " (n) } @else { " (not yet taken by anyone)" } }
                dt { "Leadership acknowledgement" } dd {
                    @match (&case.acknowledged_by_name, i.lg_acknowledged_at) {
                        (Some(n), Some(at)) => { (n) ", " (moment(at)) }
                        (None, Some(at)) => { "Recorded as imported, " (moment(at)) }
                        _ => { "Not yet acknowledged" }
                    }
                }
                @if let Some(o) = &i.outcome { dt { "Outcome" } dd.text { (o) } }
            }
            @if !case.referrals.is_empty() {
                h3 { "Referrals" }
                table {
                    thead { tr { th { "Agency" } th { "Date" } th { "Reference" } } }
                    tbody { @for r in &case.referrals { tr {
                        td { (Agency::label_of(&r.agency)) }
                        td { (r.referred_on.format("%d/%m/%Y")) }
                        td { (r.reference.as_deref().unwrap_or("")) }
                    } } }
                }
            }
            div.grid {
                form method="post" action=(form("take")) { (csrf_field(csrf)) button.secondary type="submit" { "Take ownership" } }
                @if case.may_acknowledge {
                    form method="post" action=(form("acknowledge")) { (csrf_field(csrf)) button.secondary type="submit" { "Acknowledge for leadership" } }
                }
            }
            details open[rejected_action == "assign"] {
                summary { "Assign to a lead" }
                form.stack method="post" action=(form("assign")) {
                    (csrf_field(csrf))
                    div.field.has-error[errors_for("assign").get("user_id").is_some()] {
                        label for="f-user_id" { "Lead" }
                        select #f-user_id name="user_id" {
                            option value="" { "Choose…" }
                            @for (id, name) in &case.leads { option value=(id) selected[typed_for("assign").user_id == *id] { (name) } }
                        }
                        @if let Some(e) = errors_for("assign").get("user_id") { p.error { (e) } }
                    }
                    div { button type="submit" { "Assign" } }
                }
            }
            details open[rejected_action == "status"] {
                summary { @if closed { "Reopen the case" } @else { "Change status or close" } }
                form.stack method="post" action=(form("status")) {
                    (csrf_field(csrf))
                    div.field.has-error[errors_for("status").get("status").is_some()] {
                        label for="f-status" { "New status" }
                        select #f-status name="status" {
                            @for s in [Status::InProgress, Status::Escalated, Status::Closed, Status::New] {
                                @if s != i.status() { option value=(s.as_str()) selected[typed_for("status").status == s.as_str()] { (s.label()) } }
                            }
                        }
                        @if let Some(e) = errors_for("status").get("status") { p.error { (e) } }
                    }
                    (textarea_in("status", "reason", "Why (the reason for this decision)", None, &typed_for("status").reason, &errors_for("status"), true))
                    @if !closed {
                        (textarea_in("status", "outcome", "Outcome (needed to close)", None, &typed_for("status").outcome, &errors_for("status"), false))
                    }
                    div { button type="submit" { "Save" } }
                }
            }
            details open[rejected_action == "actions"] {
                summary { "Record an action" }
                form.stack method="post" action=(form("actions")) {
                    (csrf_field(csrf))
                    (textarea_in("actions", "text", "What was done, by whom", None, &typed_for("actions").text, &errors_for("actions"), true))
                    div { button type="submit" { "Add action" } }
                }
            }
            @if !closed {
                details open[rejected_action == "escalate"] {
                    summary { "Escalate to the DSL" }
                    form.stack method="post" action=(form("escalate")) {
                        (csrf_field(csrf))
                        (textarea_in("escalate", "reason", "Why it is escalated", None, &typed_for("escalate").reason, &errors_for("escalate"), true))
                        div { button type="submit" { "Escalate" } }
                    }
                }
            }
            details open[rejected_action == "referrals"] {
                summary { "Record a referral to an outside agency" }
                form.stack method="post" action=(form("referrals")) {
                    (csrf_field(csrf))
                    div.field.has-error[errors_for("referrals").get("agency").is_some()] {
                        label for="f-agency" { "Agency" }
                        select #f-agency name="agency" {
                            option value="" { "Choose…" }
                            @for a in Agency::ALL { option value=(a.as_str()) selected[typed_for("referrals").agency == a.as_str()] { (a.label()) } }
                        }
                        @if let Some(e) = errors_for("referrals").get("agency") { p.error { (e) } }
                    }
                    (Field::text("date", "Date of the referral", &typed_for("referrals").date).kind("date").render(&errors_for("referrals")))
                    (Field::text("reference", "The agency's reference number", &typed_for("referrals").reference).render(&errors_for("referrals")))
                    div { button type="submit" { "Record referral" } }
                }
            }
        }
    }
}

/// A lead's lists on the start page.
pub fn dashboard(csrf: &str, d: &Dashboard) -> Markup {
    html! {
        @if !d.alerts.is_empty() {
            section.card #alerts {
                h2 { "New for you (" (d.alerts.len()) ")" }
                ul { @for a in &d.alerts { li {
                    @if a.urgent { span.badge.urgent { "Urgent" } " " }
                    a href=(format!("/incidents/{}", a.incident_id)) { (a.reference) } " · " (a.category) " · " (AlertKind::label(&a.kind)) " · " span.muted { (moment(a.created_at)) }
                } } }
                form method="post" action="/dashboard/alerts/seen" { (csrf_field(csrf)) button.link type="submit" { "Mark all as seen" } }
            }
        }
        (list("Waiting for you", "Urgent first, then oldest first.", &d.waiting))
        (list("Past the pick-up time", "Logged more than the school's pick-up time ago and not yet picked up.", &d.overdue))
        @if let Some(awaiting) = &d.awaiting_acknowledgement {
            (list("Awaiting leadership acknowledgement", "", awaiting))
        }
        @if !d.referrals.is_empty() {
            section.card {
                h2 { "Open referrals" }
                table {
                    thead { tr { th { "Incident" } th { "Agency" } th { "Date" } th { "Reference" } } }
                    tbody { @for (r, reference) in &d.referrals { tr {
                        td { a href=(format!("/incidents/{}", r.incident_id)) { (reference) } }
                        td { (Agency::label_of(&r.agency)) }
                        td { (r.referred_on.format("%d/%m/%Y")) }
                        td { (r.reference.as_deref().unwrap_or("")) }
                    } } }
                }
            }
        }
    }
}

fn list(title: &str, hint: &str, rows: &[(Incident, String, bool)]) -> Markup {
    html! {
        section.card {
            h2 { (title) " (" (rows.len()) ")" }
            @if !hint.is_empty() { p.muted { (hint) } }
            @if rows.is_empty() { p.muted { "Nothing." } } @else {
                table {
                    thead { tr { th { "Reference" } th { "Category" } th { "Status" } th { "Logged" } } }
                    tbody { @for (i, category, urgent) in rows { tr {
                        td { a href=(format!("/incidents/{}", i.id)) { (i.reference) } }
                        td { @if *urgent { span.badge.urgent { "Urgent" } " " } (category) }
                        td { (i.status().label()) }
                        td { (moment(i.logged_at)) }
                    } } }
                }
            }
        }
    }
}
