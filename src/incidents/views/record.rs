//! An incident's record and timeline, the confirmation after logging, and
//! the "entered in error" form.

use chrono::NaiveDateTime;
use maud::{html, Markup};

use super::form::display;
use super::{incident_day, moment, status_badge, textarea};
use crate::auth::Role;
use crate::categories::Category;
use crate::forms::FieldErrors;
use crate::incidents::changes::field_label;
use crate::incidents::model::{Event, EventKind, IncidentView, Status, Tombstone};
use crate::incidents::record::Record;
use crate::incidents::routing::owner_phrase;
use crate::incidents::viewer::Viewer;
use crate::views::components::{csrf_field, flash};
use crate::views::{layout, Page};

fn facts(v: &IncidentView) -> Markup {
    let i = &v.incident;
    html! {
        dl.record {
            dt { "Pupil" } dd { a href=(format!("/pupils/{}", v.pupil.id)) { (v.pupil.name) } }
            dt { "Tutor group" } dd { (i.tutor_group) @if let Some(y) = i.year_group { " (Year " (y) ")" } }
            dt { "Date of the incident" } dd { (incident_day(i.incident_date)) }
            dt { "Category" } dd {
                (v.category.name)
                " " span.muted { "(" (v.category.four_c().label()) ")" }
                @if v.category.urgent { " " span.badge.urgent { "urgent" } }
                @if i.about_headteacher { " " span.badge { "about the headteacher: allegations lead only" } }
                @else if v.category.restricted { " " span.badge { "restricted: headteacher only" } }
            }
            dt { "The child may have been put at risk" } dd { @if i.child_at_risk { "Yes" } @else { "No" } }
            dt { "Where it happened" } dd { (i.location().label()) }
            dt { "Platform or service" } dd { (i.platform.as_deref().unwrap_or("Not given")) }
            dt { "What happened" } dd.text { (i.details) }
            dt { "Actions taken so far" } dd.text { @if i.actions_taken.is_empty() { span.muted { "None recorded when logged" } } @else { (i.actions_taken) } }
            @if !v.others.is_empty() {
                dt { "Other pupils involved" }
                dd { ul { @for o in &v.others {
                    li { a href=(format!("/pupils/{}", o.pupil.id)) { (o.pupil.name) }
                        @if let Some(g) = &o.pupil.tutor_group { " (" (g) ")" }
                        ": " (o.role.label()) }
                } } }
            }
            dt { "Staff initials" } dd { (i.staff_initials) }
            dt { "Logged" } dd { (moment(i.logged_at)) }
            dt { "Status" } dd { (status_badge(i, v.full)) }
            dt { "Owner" } dd { (i.owner().label()) }
            @if v.full {
                dt { "LG acknowledged" } dd {
                    @match i.lg_acknowledged_at { Some(at) => { "Yes, " (moment(at)) }, None => { "Not yet" } }
                }
                @if let Some(o) = &i.outcome { dt { "Outcome" } dd.text { (o) } }
            }
            @if v.full { dt { "Version" } dd { (i.version) } }
        }
    }
}

/// A status as this reader is told it.
fn status_words(value: &str, full: bool) -> String {
    match Status::parse(value) {
        Some(s) if full => s.label().to_string(),
        Some(s) => s.reporter_label().to_string(),
        None => value.to_string(),
    }
}

/// What a timeline entry says in one line, and whether that line is a
/// sentence (a status or owner change) whose reason belongs in it. Shared
/// with the transfer document, which carries the same words to a school
/// that does not have this school's categories.
pub(crate) fn headline(e: &Event, categories: &[Category], full: bool) -> (String, bool) {
    let kind = e.kind();
    let field = e.field.as_deref();
    let old = e.old_value.as_deref().unwrap_or("");
    let new = e.new_value.as_deref().unwrap_or("");
    // Status and owner changes read as one sentence; other fields show
    // both values under the field's name.
    let headline = match (kind, field) {
        (Some(EventKind::StatusChange | EventKind::Reopened), Some("status")) => format!(
            "{} from {} to {}",
            if kind == Some(EventKind::Reopened) {
                "Reopened: status changed"
            } else {
                "Status changed"
            },
            status_words(old, full),
            status_words(new, full)
        ),
        (Some(EventKind::Escalation), Some("owner_role")) => format!(
            "Escalated from {} to {}",
            display("owner_role", old, categories),
            display("owner_role", new, categories)
        ),
        (Some(EventKind::Correction), Some(f)) => format!("Corrected: {}", field_label(f)),
        (Some(k), _) => k.label().to_string(),
        (None, _) => "Entry".to_string(),
    };
    let sentence = matches!(
        (kind, field),
        (
            Some(EventKind::StatusChange | EventKind::Reopened),
            Some("status")
        ) | (Some(EventKind::Escalation), Some("owner_role"))
    );
    (headline, sentence)
}

/// One timeline entry in words a LADO, a court or Ofsted could read: what
/// happened, who and when, the values before and after by the field's own
/// name, and the reason.
fn event(e: &Event, categories: &[Category], full: bool) -> Markup {
    let kind = e.kind();
    let field = e.field.as_deref();
    let old = e.old_value.as_deref().unwrap_or("");
    let new = e.new_value.as_deref().unwrap_or("");
    let (headline, sentence) = headline(e, categories, full);
    html! {
        li.event.(e.kind) {
            p.meta {
                strong { (headline) @if sentence { @if let Some(r) = &e.reason { ": " span.text { (r) } } } }
                " · " (e.by_initials) " · " (moment(e.at))
                @if full && kind == Some(EventKind::Correction) { " · version " (e.incident_version) }
            }
            @if let (Some(f), false) = (field, sentence) {
                dl.change {
                    dt { (field_label(f)) ", before" } dd.text { (display(f, old, categories)) }
                    dt { (field_label(f)) ", after" } dd.text { (display(f, new, categories)) }
                }
            }
            @if let Some(t) = &e.text { p.text { (t) } }
            @if !sentence { @if let Some(r) = &e.reason { p { "Reason: " span.text { (r) } } } }
        }
    }
}

/// Views of the record by one person in one sitting (within half an hour
/// of each other) as one line: (who, first, last, how many). The audit
/// trail keeps every view; this is only how the page lists them.
fn sittings(
    viewed_by: &[(String, NaiveDateTime)],
) -> Vec<(String, NaiveDateTime, NaiveDateTime, usize)> {
    let mut oldest_first: Vec<&(String, NaiveDateTime)> = viewed_by.iter().collect();
    oldest_first.sort_by_key(|(_, at)| *at);
    let mut out: Vec<(String, NaiveDateTime, NaiveDateTime, usize)> = Vec::new();
    let mut open: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (who, at) in oldest_first {
        match open.get(who.as_str()).copied() {
            Some(k) if *at - out[k].2 <= chrono::Duration::minutes(30) => {
                out[k].2 = *at;
                out[k].3 += 1;
            }
            _ => {
                open.insert(who, out.len());
                out.push((who.clone(), *at, *at, 1));
            }
        }
    }
    out.sort_by_key(|b| std::cmp::Reverse(b.2));
    out
}

/// The record page. `note_errors` sends back a note that could not be added.
pub fn page(
    page: &Page<'_>,
    r: &Record,
    viewer: &Viewer,
    note: &str,
    note_errors: &FieldErrors,
) -> Markup {
    let v = &r.view;
    let i = &v.incident;
    if let Some(t) = &v.tombstone {
        return tombstone(page, v, t);
    }
    let csrf = page.csrf.clone().unwrap_or_default();
    let categories: Vec<Category> = r.categories.values().cloned().collect();
    layout(
        page,
        html! {
            @if let Some(at) = i.entered_in_error_at {
                div.flash.error.banner role="alert" {
                    strong { "Entered in error. " }
                    "This record was marked as entered in error on " (moment(at))
                    @if let Some(reason) = &i.entered_in_error_reason { ": " span.text { (reason) } }
                    ". It is left out of lists, counts and exports, and kept with its history."
                }
            }
            h1 { (i.reference) " " (status_badge(i, v.full)) }
            @if !v.full {
                p.muted { "You logged this incident. You see its status and your own notes; the lead's case notes are theirs." }
            }
            @if let Some(alert) = &r.from_alert {
                p.from-alert {
                    "Promoted from a monitoring alert. "
                    @if viewer.roles.any(&[Role::Dsl, Role::OnlineSafetyLead]) {
                        a href=(format!("/monitoring/{alert}")) { "Open the alert" }
                    }
                }
            }
            section.card { (facts(v)) }
            @if let Some(files) = &r.attachments {
                (crate::attachments::views::section(&csrf, i, files))
            }
            @if let (Some(case), false) = (&r.case, i.entered_in_error()) {
                (crate::cases::views::panel(&csrf, i, case))
            }
            @if !i.entered_in_error() && viewer.writes() {
                p.actions {
                    a.button.secondary href=(format!("/incidents/{}/correct", i.id)) { "Correct this record" }
                    @if v.full && viewer.may_mark_in_error() {
                        " " a.button.secondary href=(format!("/incidents/{}/entered-in-error", i.id)) { "Mark as entered in error" }
                    }
                }
            }
            section.card #timeline {
                h2 { "Timeline" }
                ol.timeline { @for e in &r.timeline { (event(e, &categories, v.full)) } }
                @if !i.entered_in_error() && viewer.writes() {
                    form.stack method="post" action=(format!("/incidents/{}/notes", i.id)) {
                        (csrf_field(&csrf))
                        (textarea("text", if v.full { "Add a note" } else { "Add a follow-up note" }, None, note, note_errors, true))
                        div { button type="submit" { "Add note" } }
                    }
                }
            }
            @if !r.viewed_by.is_empty() {
                section.card #viewed-by {
                    h2 { "Who has viewed this record" }
                    p.muted { "Views by one person within half an hour of each other are one line here; the audit trail keeps every view." }
                    table.stack { thead { tr { th { "Who" } th { "When" } th { "Views" } } }
                        tbody { @for (who, first, last, n) in sittings(&r.viewed_by) { tr {
                            td data-label="Who" { (who) }
                            td data-label="When" { (moment(first)) @if last != first { " to " (moment(last)) } }
                            td data-label="Views" { (n) }
                        } } } }
                }
            }
        },
    )
}

/// A destroyed record's page: what its tombstone keeps, and who destroyed
/// it, when and why. Nothing of the narrative is left to show.
fn tombstone(page: &Page<'_>, v: &IncidentView, t: &Tombstone) -> Markup {
    let i = &v.incident;
    layout(
        page,
        html! {
            h1 { (i.reference) " " span.badge.destroyed { "Destroyed" } }
            div.flash.warn.banner role="status" {
                strong { "Destroyed at its retention review. " }
                "Destroyed on " (t.destroyed_at.format("%d/%m/%Y")) " by " (t.role_label())
                " (" (t.destroyed_by_name) "): " span.text { (t.reason) }
            }
            p { "Its details, notes, case actions, decisions' reasons, shares, files and the pupils it named were erased. What is left is this tombstone, so that reports and the audit trail still add up." }
            section.card {
                dl.record {
                    dt { "Reference" } dd { (i.reference) }
                    dt { "Category" } dd { (v.category.name) " " span.muted { "(" (v.category.four_c().label()) ")" } }
                    dt { "Date of the incident" } dd { (incident_day(i.incident_date)) }
                    dt { "Logged" } dd { (moment(i.logged_at)) }
                    @if let Some(at) = i.closed_at { dt { "Closed" } dd { (moment(at)) } }
                    dt { "Status" } dd { (status_badge(i, v.full)) }
                    dt { "Destroyed" } dd { (moment(t.destroyed_at)) }
                }
            }
        },
    )
}

/// After logging: the reference and what happens next.
pub fn confirmation(page: &Page<'_>, v: &IncidentView, again: bool) -> Markup {
    let i = &v.incident;
    layout(
        page,
        html! {
            h1 { "Incident logged: " (i.reference) }
            @if again {
                (flash("warn", &format!("This form had already been sent, so nothing new was saved: this is the incident it logged, {}. To log another incident, start a new form.", i.reference)))
            } @else {
                (flash("ok", &format!("Thank you. The record {} is saved.", i.reference)))
            }
            @if v.category.urgent {
                div.flash.error role="alert" { strong { "Tell the DSL in person now." } " Do not wait for them to read this." }
            }
            section.card {
                h2 { "What happens next" }
                p { "It has gone to " (owner_phrase(i.owner())) @if i.child_at_risk && !v.category.restricted && v.category.owner() != Role::Dsl { ", because a child may have been put at risk" } "." }
                @if i.about_headteacher { p { "Only the allegations lead can see this record: the headteacher cannot." } }
                @else if v.category.restricted { p { "Only the headteacher can see this record." } }
                @if !v.category.guidance.is_empty() { p { strong { "For " (v.category.name) ": " } (v.category.guidance) } }
                p { "You can follow its status and add follow-up notes from " a href="/incidents" { "your incidents" } "." }
            }
            p { a href=(format!("/incidents/{}", i.id)) { "Open the record" } " · " a href="/incidents/new" { "Log another incident" } }
        },
    )
}

/// Asks a DSL or the headteacher why the record was entered in error.
pub fn in_error_form(
    page: &Page<'_>,
    v: &IncidentView,
    reason: &str,
    errors: &FieldErrors,
) -> Markup {
    let csrf = page.csrf.clone().unwrap_or_default();
    layout(
        page,
        html! {
            h1 { "Mark " (v.incident.reference) " as entered in error" }
            p { "The record leaves lists, counts and exports. Nothing is deleted: it stays, with its history and your reason." }
            form.stack method="post" action=(format!("/incidents/{}/entered-in-error", v.incident.id)) {
                (csrf_field(&csrf))
                (textarea("reason", "Why it was entered in error", None, reason, errors, true))
                div { button.danger type="submit" { "Mark as entered in error" } " " a href=(format!("/incidents/{}", v.incident.id)) { "Cancel" } }
            }
        },
    )
}
