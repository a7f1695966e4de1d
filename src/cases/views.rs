//! The case panel on a record, and the lead's dashboard lists.

use maud::{html, Markup};

use super::alerts::AlertKind;
use super::dashboard::{waited, Dashboard, Row};
use super::forms::{Agency, CaseInput, Decision, LawfulBasis};
use super::{CaseInfo, Take};
use crate::forms::FieldErrors;
use crate::incidents::model::{Incident, Status};
use crate::incidents::views::{moment, textarea_in};
use crate::views::components::{csrf_field, flash, Field};

/// The case: who holds it, its status, acknowledgement and referrals, what
/// the viewer just did, and the actions open to them as buttons and plain
/// forms (a senior leader who only acknowledges sees only that).
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
            @if let Some(done) = &case.done { div.flash.ok role="status" { (done) } }
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
                table.stack {
                    thead { tr { th { "Agency" } th { "Date" } th { "Reference" } } }
                    tbody { @for r in &case.referrals { tr {
                        td data-label="Agency" { (Agency::label_of(&r.agency)) }
                        td data-label="Date" { (r.referred_on.format("%d/%m/%Y")) }
                        td data-label="Reference" {
                            @match &r.reference {
                                Some(reference) => { (reference) }
                                None => {
                                    strong { "Reference to follow" }
                                    @if case.may_work {
                                        @let errs = if typed_for("reference").referral == r.id { errors_for("reference") } else { FieldErrors::default() };
                                        form.inline method="post" action=(format!("/incidents/{}/referrals/{}/reference", i.id, r.id)) {
                                            (csrf_field(csrf))
                                            @let field = format!("ref-{}", r.id);
                                            div.field.has-error[errs.get("reference").is_some()] {
                                                label for=(field) { "The agency's reference" }
                                                input #(field) type="text" name="reference" required value=(typed_for("reference").reference);
                                                @if let Some(e) = errs.get("reference") { p.error { (e) } }
                                            }
                                            button type="submit" { "Add the reference" }
                                        }
                                    }
                                }
                            }
                        }
                    } } }
                }
            }
            @if !case.decisions.is_empty() {
                h3 { "Decisions" }
                ul.decisions { @for d in &case.decisions {
                    li { strong { (Decision::label_of(&d.decision)) } " · " (moment(d.decided_at)) br; "Reason: " span.text { (d.reason) } }
                } }
            }
            @if !case.shares.is_empty() {
                h3 { "Information shared" }
                table.stack #shares {
                    thead { tr { th { "With" } th { "Date" } th { "What" } th { "Lawful basis" } th { "Reason" } } }
                    tbody { @for x in &case.shares { tr {
                        td data-label="With" { (x.shared_with) @if let Some(p) = &x.person { br; span.muted { (p) } } }
                        td data-label="Date" { (x.shared_on.format("%d/%m/%Y")) }
                        td.text data-label="What" { (x.what) }
                        td data-label="Lawful basis" { (LawfulBasis::label_of(&x.lawful_basis)) }
                        td.text data-label="Reason" { (x.reason) }
                    } } }
                }
            }
            @if case.may_acknowledge || case.take == Take::Offer {
                div.case-buttons {
                    @if case.take == Take::Offer {
                        form method="post" action=(form("take")) { (csrf_field(csrf)) button type="submit" { "Take ownership" } }
                    }
                    @if case.may_acknowledge {
                        form method="post" action=(form("acknowledge")) { (csrf_field(csrf)) button type="submit" { "Acknowledge for the leadership group" } }
                    }
                }
            }
            @if let Some(why) = case.acknowledge_refused { p.muted { (why) } }
            @if case.may_work {
                div.case-forms {
                    section.case-form #record-action {
                        h3 { "Record an action" }
                        form.stack method="post" action=(form("actions")) {
                            (csrf_field(csrf))
                            (textarea_in("actions", "text", "What was done, by whom", None, &typed_for("actions").text, &errors_for("actions"), true))
                            div { button type="submit" { "Add action" } }
                        }
                    }
                    section.case-form #change-status {
                        h3 { @if closed { "Reopen the case" } @else { "Change status or close" } }
                        form.stack method="post" action=(form("status")) {
                            (csrf_field(csrf))
                            div.field.has-error[errors_for("status").get("status").is_some()] {
                                label for="f-status" { "New status" }
                                select #f-status name="status" {
                                    // No status is chosen for the lead: saving a reason alone
                                    // must not quietly change the case to the first option.
                                    option value="" { "Choose…" }
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
                            div { button type="submit" { "Save status" } }
                        }
                    }
                    section.case-form #refer {
                        h3 { "Record a referral to an outside agency" }
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
                            // Not `required`: a referral may be recorded before the agency gives
                            // a reference ("reference to follow"); the server checks one or the other.
                            (Field::text("reference", "The agency's reference number", &typed_for("referrals").reference).optional().render(&errors_for("referrals")))
                            div.field {
                                label {
                                    input type="checkbox" name="reference_to_follow" value="yes" checked[!typed_for("referrals").reference_to_follow.is_empty()];
                                    " Reference to follow (the agency has not given one yet)"
                                }
                            }
                            div { button type="submit" { "Record referral" } }
                        }
                    }
                    section.case-form #decide {
                        h3 { "Record a decision" }
                        form.stack method="post" action=(form("decisions")) {
                            (csrf_field(csrf))
                            div.field.has-error[errors_for("decisions").get("decision").is_some()] {
                                label for="f-decision" { "Decision" }
                                select #f-decision name="decision" {
                                    option value="" { "Choose…" }
                                    @for d in Decision::ALL { option value=(d.as_str()) selected[typed_for("decisions").decision == d.as_str()] { (d.label()) } }
                                }
                                @if let Some(e) = errors_for("decisions").get("decision") { p.error { (e) } }
                            }
                            (textarea_in("decisions", "reason", "The reason for the decision", Some("KCSIE asks for the reasons for decisions to be recorded, including not to refer."), &typed_for("decisions").reason, &errors_for("decisions"), true))
                            div { button type="submit" { "Record decision" } }
                        }
                    }
                    section.case-form #share {
                        h3 { "Record information shared" }
                        form.stack method="post" action=(form("shares")) {
                            (csrf_field(csrf))
                            (Field::text("shared_with", "Shared with (agency or organisation)", &typed_for("shares").shared_with).render(&errors_for("shares")))
                            (Field::text("person", "The person there", &typed_for("shares").person).optional().render(&errors_for("shares")))
                            (textarea_in("shares", "what", "What was shared", None, &typed_for("shares").what, &errors_for("shares"), true))
                            (Field::text("shared_on", "Date it was shared", &typed_for("shares").shared_on).kind("date").render(&errors_for("shares")))
                            div.field.has-error[errors_for("shares").get("lawful_basis").is_some()] {
                                label for="f-lawful_basis" { "Lawful basis" }
                                select #f-lawful_basis name="lawful_basis" {
                                    option value="" { "Choose…" }
                                    @for b in LawfulBasis::ALL { option value=(b.as_str()) selected[typed_for("shares").lawful_basis == b.as_str()] { (b.label()) } }
                                }
                                @if let Some(e) = errors_for("shares").get("lawful_basis") { p.error { (e) } }
                            }
                            (textarea_in("shares", "reason", "Why it was shared", None, &typed_for("shares").reason, &errors_for("shares"), true))
                            p.hint { "A decision not to share is recorded under \u{201c}Record a decision\u{201d}, with its reason." }
                            div { button type="submit" { "Record the share" } }
                        }
                    }
                    section.case-form #assign {
                        h3 { "Assign to a lead" }
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
                    @if case.may_escalate {
                        section.case-form #escalate {
                            h3 { "Escalate to the DSL" }
                            form.stack method="post" action=(form("escalate")) {
                                (csrf_field(csrf))
                                (textarea_in("escalate", "reason", "Why it is escalated", None, &typed_for("escalate").reason, &errors_for("escalate"), true))
                                div { button type="submit" { "Escalate to the DSL" } }
                            }
                        }
                    }
                }
                @if case.take == Take::IfChosen {
                    form.quiet method="post" action=(form("take")) {
                        (csrf_field(csrf))
                        "This case is for " (i.owner().label()) ". "
                        button.link type="submit" { "Take it over yourself" }
                    }
                }
            }
        }
    }
}

/// A lead's start page: the one queue, then what it does not hold.
pub fn dashboard(csrf: &str, d: &Dashboard) -> Markup {
    html! {
        section.card #queue {
            h2 { "Waiting for you (" (d.queue.len()) ")" }
            p.muted { "Your cases and those for your role that nobody has taken: urgent first, then oldest. Opening a record or acting on it marks its alert as seen." }
            @if d.queue.is_empty() { p { "Nothing is waiting for you." } } @else {
                (rows(csrf, d, &d.queue, true))
            }
            @if d.unseen > 1 {
                form method="post" action="/dashboard/alerts/seen" { (csrf_field(csrf)) button.link type="submit" { "Mark all " (d.unseen) " alerts as seen" } }
            }
        }
        @if !d.overdue.is_empty() {
            section.card #overdue {
                h2 { "Past the pick-up time (" (d.overdue.len()) ")" }
                p.muted { "Logged more than the school's pick-up time ago and not yet picked up by anyone." }
                (rows(csrf, d, &d.overdue, false))
            }
        }
        @if let Some(awaiting) = &d.awaiting_acknowledgement {
            section.card #acknowledgement {
                h2 { "Awaiting leadership acknowledgement (" (awaiting.len()) ")" }
                @if awaiting.is_empty() { p.muted { "Nothing else to acknowledge." } } @else {
                    (rows(csrf, d, awaiting, false))
                }
            }
        }
        @if !d.awaiting_reference.is_empty() {
            section.card #awaiting-reference {
                h2 { "Referrals waiting for their reference (" (d.awaiting_reference.len()) ")" }
                p.muted { "Recorded with \u{201c}reference to follow\u{201d}. Add the agency's reference on the record when it arrives." }
                (referral_table(&d.awaiting_reference, true))
            }
        }
        @if !d.referrals.is_empty() {
            section.card #referrals {
                h2 { "Open referrals (" (d.referrals.len()) ")" }
                (referral_table(&d.referrals, false))
            }
        }
    }
}

fn referral_table(rows: &[(super::store::Referral, String)], add: bool) -> Markup {
    html! {
        table.stack {
            thead { tr { th { "Incident" } th { "Agency" } th { "Date" } th { "Reference" } } }
            tbody { @for (r, reference) in rows { tr {
                td data-label="Incident" { a href=(format!("/incidents/{}#case", r.incident_id)) { (reference) } }
                td data-label="Agency" { (Agency::label_of(&r.agency)) }
                td data-label="Date" { (r.referred_on.format("%d/%m/%Y")) }
                td data-label="Reference" {
                    @match &r.reference {
                        Some(x) => { (x) }
                        None => { "to follow" @if add { " · " a href=(format!("/incidents/{}#case", r.incident_id)) { "add the reference" } } }
                    }
                }
            } } }
        }
    }
}

/// Queue rows: everything a lead decides on, so no row needs opening to
/// tell it from the next. `dismiss`: offer to dismiss each unseen alert.
fn rows(csrf: &str, d: &Dashboard, rows: &[Row], dismiss: bool) -> Markup {
    html! {
        table.stack.queue {
            thead { tr {
                th scope="col" { "Incident" } th scope="col" { "Pupil" } th scope="col" { "Incident date" }
                th scope="col" { "Category" } th scope="col" { "Waiting" } th scope="col" { "Owner" } th scope="col" { "What happened" }
            } }
            tbody { @for r in rows {
                @let i = &r.incident;
                tr.urgent[r.urgent] {
                    td data-label="Incident" {
                        a.ref href=(format!("/incidents/{}", i.id)) { (i.reference) }
                        " " span.badge.status.(i.status().as_str()) { (i.status().label()) }
                        @if let Some(a) = &r.alert {
                            " " span.badge.new { (AlertKind::label(&a.kind)) }
                            @if dismiss {
                                form.inline method="post" action=(format!("/dashboard/alerts/{}/dismiss", a.id)) {
                                    (csrf_field(csrf)) button.link type="submit" aria-label=(format!("Dismiss the alert about {}", i.reference)) { "Dismiss" }
                                }
                            }
                        }
                        @if r.overdue { " " span.badge.late { "Past pick-up time" } }
                        @if r.awaiting_acknowledgement && dismiss { " " span.badge { "To acknowledge" } }
                    }
                    td data-label="Pupil" { strong { (r.pupil) } br; span.muted { (i.tutor_group) } }
                    td data-label="Incident date" { @match i.incident_date { Some(day) => { (day.format("%d/%m/%Y")) }, None => { span.muted { "date not known" } } } }
                    td data-label="Category" { @if r.urgent { span.badge.urgent { "Urgent" } " " } (r.category) }
                    td data-label="Waiting" { (waited(i.logged_at, d.now)) }
                    td data-label="Owner" { @match &r.owner_name { Some(n) => { (n) }, None => { (i.owner().label()) br; span.muted { "not taken" } } } }
                    td.first-line data-label="What happened" { (r.first_line()) }
                }
            } }
        }
    }
}
