//! The transfer pages: sending a pupil's file, the transfers list, one
//! transfer with its receipt and (for those who may read it) the file
//! itself, rendered from the document exactly as it was sent.

use chrono::NaiveDateTime;
use maud::{html, Markup};

use super::document::{self, Document, IncidentRecord, Person};
use super::model::{Kind, Side, Transfer};
use crate::accounts::model::School;
use crate::forms::FieldErrors;
use crate::pupils::model::Pupil;
use crate::views::components::{csrf_field, flash};
use crate::views::time::moment;
use crate::views::{layout, Page};

fn day(d: chrono::NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn at(t: chrono::DateTime<chrono::Utc>) -> String {
    moment(t.naive_utc())
}

fn person(p: &Person) -> String {
    match (&p.name, p.initials.is_empty()) {
        (Some(n), true) => n.clone(),
        (Some(n), false) => format!("{n} ({})", p.initials),
        (None, false) => p.initials.clone(),
        (None, true) => "not recorded".into(),
    }
}

fn school_label(s: &School) -> String {
    match &s.urn {
        Some(urn) => format!("{} (URN {urn})", s.name),
        None => format!("{} (no URN yet)", s.name),
    }
}

/// "Received from Oak School on 12/11/2025": what every view of a received
/// file says first.
pub fn received_from(t: &Transfer) -> String {
    format!(
        "Received from {} on {}",
        t.from_school_name,
        t.sent_at.format("%d/%m/%Y")
    )
}

/// The file as sent: the pupil, then each incident with its timeline. The
/// same markup is the readable copy inside a package.
pub fn document_body(doc: &Document) -> Markup {
    document_marked(doc, None)
}

/// The same, each incident marked with where it came from ("Received from
/// Oak School on 12/11/2025"), for the receiving school's pages: however
/// far a reader scrolls, no incident passes for one of their own.
pub fn document_marked(doc: &Document, received: Option<&str>) -> Markup {
    let p = &doc.pupil;
    html! {
        section.card.transfer-pupil {
            h2 { "The pupil" }
            dl.record {
                dt { "Name" } dd { (p.name) }
                dt { "Date of birth" } dd { @match p.date_of_birth { Some(d) => (day(d)), None => "Not known" } }
                dt { "UPN" } dd { (p.upn.as_deref().unwrap_or("Not known")) }
                // Shown only when carried: files made before they were
                // (or for a pupil without them) read as they always did.
                @if let Some(ci) = &p.child_identifier { dt { "Child identifier" } dd { (ci) } }
                @if let Some(nhs) = &p.nhs_number { dt { "NHS number" } dd { (nhs) } }
                dt { "Tutor group" } dd { (p.tutor_group.as_deref().unwrap_or("Not known")) @if let Some(y) = p.year_group { " (Year " (y) ")" } }
                dt { "Sent by" } dd { (doc.sending_school.name) @if let Some(u) = &doc.sending_school.urn { " (URN " (u) ")" } }
                dt { "To" } dd {
                    (doc.receiving_school.name.as_deref().unwrap_or("the school"))
                    @if let Some(u) = &doc.receiving_school.urn { " (URN " (u) ")" }
                }
                dt { "Made" } dd { (at(doc.made_at)) " by " (person(&doc.made_by)) }
                dt { "Incidents" } dd { (doc.incidents.len()) }
            }
            p.muted { "Other pupils named in these records are shown as \u{201c}another pupil\u{201d}: their records are their own." }
        }
        @if doc.incidents.is_empty() {
            section.card { p { "The sending school had no incident involving this pupil to send." } }
        }
        @for i in &doc.incidents { (incident(i, received)) }
    }
}

/// One incident of a file (or of a subject access pack) with its timeline.
pub fn incident(i: &IncidentRecord, received: Option<&str>) -> Markup {
    html! {
        section.card.transfer-incident {
            @if let Some(r) = received { p.received-tag { (r) ", read-only" } }
            h2 { (i.reference) " " span.badge.status.(i.status) { (document::status_label(&i.status)) } }
            dl.record {
                dt { "Date of the incident" } dd { @match i.incident_date { Some(d) => (day(d)), None => "Not known" } }
                dt { "This pupil" } dd {
                    @if i.involvement == "subject" { "The pupil it is about" } @else { (document::role_label(&i.involvement)) }
                }
                dt { "About" } dd { (i.subject.name) @if let Some(g) = &i.subject.tutor_group { " (" (g) ")" } }
                @if !i.other_pupils.is_empty() {
                    dt { "Other pupils involved" }
                    dd { ul { @for o in &i.other_pupils { li { (o.name) ": " (document::role_label(&o.role)) } } } }
                }
                dt { "Category" } dd { (i.category.name) }
                dt { "The child may have been put at risk" } dd { @if i.child_at_risk { "Yes" } @else { "No" } }
                dt { "Where it happened" } dd { (document::location_label(&i.location)) }
                dt { "Platform or service" } dd { (i.platform.as_deref().unwrap_or("Not given")) }
                dt { "What happened" } dd.text { (i.details) }
                dt { "Actions taken when logged" } dd.text { @if i.actions_taken.is_empty() { "None recorded" } @else { (i.actions_taken) } }
                dt { "Logged" } dd { (at(i.logged_at)) " by " (person(&i.logged_by)) }
                dt { "Owner" } dd { (document::owner_label(&i.owner_role)) }
                dt { "Leadership acknowledgement" } dd {
                    @match &i.acknowledgement {
                        Some(a) => { (a.by.as_ref().map_or("recorded as imported".to_string(), person)) ", " (at(a.at)) }
                        None => "Not acknowledged",
                    }
                }
                @if let Some(o) = &i.outcome { dt { "Outcome" } dd.text { (o) } }
                @if let Some(c) = i.closed_at { dt { "Closed" } dd { (at(c)) } }
                dt { "Version" } dd { (i.version) }
            }
            @if !i.referrals.is_empty() {
                h3 { "Referrals" }
                table.stack {
                    thead { tr { th { "Agency" } th { "Date" } th { "Reference" } th { "Made by" } } }
                    tbody { @for r in &i.referrals { tr {
                        td data-label="Agency" { (r.agency_name) }
                        td data-label="Date" { (day(r.referred_on)) }
                        td data-label="Reference" { (r.reference.as_deref().unwrap_or("Reference to follow")) }
                        td data-label="Made by" { (r.made_by.as_deref().unwrap_or("Not recorded")) }
                    } } }
                }
            }
            @if !i.attachments.is_empty() {
                h3 { "Files attached" }
                p.muted { "Listed by name and SHA-256; the files themselves are not in the package." }
                table.stack {
                    thead { tr { th { "Name" } th { "Type" } th { "SHA-256" } th { "Added" } } }
                    tbody { @for a in &i.attachments { tr {
                        td data-label="Name" { (a.name) @if a.entered_in_error { " " span.muted { "(entered in error)" } } }
                        td data-label="Type" { (a.media_type) }
                        td data-label="SHA-256" { code.sha256 { (a.sha256) } }
                        td data-label="Added" { (at(a.added_at)) }
                    } } }
                }
            }
            h3 { "Timeline" }
            ol.timeline {
                @for e in &i.timeline {
                    li.event.(e.kind) {
                        p.meta {
                            strong { (e.summary) }
                            " · " (person(&e.by)) " · " (at(e.at)) " · version " (e.version)
                        }
                        @if e.before.is_some() || e.after.is_some() {
                            dl.change {
                                dt { "Before" } dd.text { (e.before.as_deref().unwrap_or("")) }
                                dt { "After" } dd.text { (e.after.as_deref().unwrap_or("")) }
                            }
                        }
                        @if let Some(t) = &e.text { p.text { (t) } }
                        @if let Some(r) = &e.reason { p { "Reason: " span.text { (r) } } }
                    }
                }
            }
        }
    }
}

/// Who did a step and when, or that it has not happened.
fn step(when: Option<NaiveDateTime>, who: Option<&str>, not_yet: &str) -> Markup {
    html! {
        @match when {
            Some(t) => { (moment(t)) ", " (who.unwrap_or("the command line")) }
            None => span.muted { (not_yet) },
        }
    }
}

/// Names of the people a page shows, by account id.
pub type Names = std::collections::HashMap<String, String>;

fn name<'a>(names: &'a Names, id: &Option<String>) -> Option<&'a str> {
    id.as_ref().and_then(|id| names.get(id)).map(String::as_str)
}

/// Where a transfer stands: sent, opened, receipt confirmed, each timed
/// and named.
pub fn receipt(t: &Transfer, names: &Names, due: NaiveDateTime) -> Markup {
    let to = t
        .to_urn
        .as_deref()
        .map_or(String::new(), |u| format!(" (URN {u})"));
    html! {
        dl.record.receipt {
            @match t.kind() {
                Kind::PackageOut => {
                    dt { "Downloaded" } dd { (moment(t.sent_at)) ", " (t.sent_by_name) " · for URN " (t.to_urn.as_deref().unwrap_or("")) }
                    dt { "Receipt" } dd { span.muted { "The package goes to a school on another system: ask their DSL to confirm receipt to you." } }
                }
                Kind::PackageIn => {
                    dt { "From" } dd { (t.from_school_name) @if let Some(u) = &t.from_school_urn { " (URN " (u) ")" } }
                    dt { "Made" } dd { (moment(t.sent_at)) ", " (t.sent_by_name) }
                    dt { "Imported and opened" } dd { (step(t.opened_at, name(names, &t.opened_by), "Not yet")) }
                    dt { "Receipt confirmed" } dd { (step(t.confirmed_at, name(names, &t.confirmed_by), "Not yet")) }
                    @if let Some(f) = &t.key_fingerprint { dt { "Signed with key" } dd { code { (f) } } }
                }
                Kind::Within => {
                    dt { "Sent" } dd { (moment(t.sent_at)) ", " (t.sent_by_name) " · from " (t.from_school_name) " to " (to_name(t, names)) (to) }
                    dt { "Opened" } dd { (step(t.opened_at, name(names, &t.opened_by), "Not yet opened")) }
                    dt { "Receipt confirmed" } dd {
                        (step(t.confirmed_at, name(names, &t.confirmed_by), "Not yet confirmed"))
                        @if t.overdue(due) { " " span.badge.late { "Not confirmed within 5 school days" } }
                    }
                }
            }
        }
    }
}

/// The receiving school's name (schools are in the names too, by id).
fn to_name(t: &Transfer, names: &Names) -> String {
    name(names, &t.to_school_id).map_or_else(|| "the school".into(), str::to_string)
}

/// `GET /pupils/{id}/transfer`: choose the school, see what goes.
pub struct SendPage<'a> {
    pub pupil: &'a Pupil,
    pub schools: &'a [School],
    pub chosen: &'a str,
    pub errors: &'a FieldErrors,
    pub preview: &'a Document,
    pub sent: &'a [Transfer],
    pub names: &'a Names,
    pub due: NaiveDateTime,
    pub fingerprint: &'a str,
}

pub fn send(page: &Page<'_>, s: &SendPage<'_>) -> Markup {
    let csrf = page.csrf.clone().unwrap_or_default();
    let error = s.errors.get("to_school");
    layout(
        page,
        html! {
                p { a href=(format!("/pupils/{}", s.pupil.id)) { "\u{2190} " (s.pupil.name) } }
                h1 { "Send " (s.pupil.name) "'s file to another school" }
                p { "KCSIE: when a pupil leaves, their child protection file goes to the new school within 5 school days, separately from the main file, and the new school confirms receipt. Their DSL is alerted; you see when they open it and confirm receipt." }
                @for t in s.sent {
                    (flash("warn", &format!("Sent before: {} to {}.", moment(t.sent_at), to_name(t, s.names))))
                }
                section.card {
                    h2 { "To a school that uses this safelog" }
                    form.stack method="post" action=(format!("/pupils/{}/transfer", s.pupil.id)) {
                        (csrf_field(&csrf))
                        div.field.has-error[error.is_some()] {
                            label for="f-to_school" { "The pupil's new school" br; span.hint { "By name, with its URN: every school this safelog holds, in any trust or none." } }
                            select #f-to_school name="to_school" required aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| "f-to_school-error")] {
                                option value="" { "Choose the school\u{2026}" }
                                @for school in s.schools {
                                    option value=(school.id) selected[school.id == s.chosen] { (school_label(school)) }
                                }
                            }
                            @if let Some(m) = error { p.error #f-to_school-error { (m) } }
                        }
                        @let n = s.preview.incidents.len();
                    div {
                        p { strong { (n) " incident" @if n != 1 { "s" } " will be sent" } ", each with its whole timeline and referrals:" }
                        @if n == 0 { p.muted { "None: the file says the school had no incident involving this pupil to send." } }
                        ul.going { @for i in &s.preview.incidents {
                            li {
                                (i.reference) " \u{b7} "
                                @match i.incident_date { Some(d) => (day(d)), None => "date not known" }
                                " \u{b7} " (i.category.name) " \u{b7} "
                                @if i.involvement == "subject" { "about this pupil" } @else { (document::role_label(&i.involvement).to_lowercase()) }
                            }
                        } }
                        p.hint { "Other pupils' names become \u{201c}another pupil\u{201d} where they are recorded on an incident; a child named only in the text by a nickname is not found. Read the file below before sending." }
                    }
                        div { button type="submit" { "Send the file" } " " a href=(format!("/pupils/{}", s.pupil.id)) { "Cancel" } }
                    }
                }
                details.transfer-preview {
                    summary { "Read the file as it will be sent" }
                    (document_body(s.preview))
                }
            section.card #package {
                h2 { "To a school on another system" }
                p { "Download the file as one signed package (JSON, with a readable copy inside) and send it to their DSL by a secure route (your secure email or the local authority's transfer service). safelog records that you downloaded it; their system checks the signature, so a changed byte is refused." }
                @let urn_error = s.errors.get("urn");
                form.stack method="get" action=(format!("/pupils/{}/transfer-package", s.pupil.id)) {
                    div.field.has-error[urn_error.is_some()] {
                        label for="f-urn" { "The new school's URN" br; span.hint { "Six digits, from Get Information about Schools" } }
                        input #f-urn type="text" name="urn" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" required
                            aria-invalid=[urn_error.map(|_| "true")] aria-describedby=[urn_error.map(|_| "f-urn-error")];
                        @if let Some(m) = urn_error { p.error #f-urn-error { (m) } }
                    }
                    div { button.secondary type="submit" { "Download the package" } }
                }
                p.hint { "It is signed with this safelog's key, fingerprint " code { (s.fingerprint) } ". Tell their DSL the fingerprint by phone, not with the package, so that they can check it came from you." }
            }
        },
    )
}

/// `GET /transfers`: what this school received and sent.
pub struct ListPage<'a> {
    pub received: &'a [Transfer],
    pub sent: &'a [Transfer],
    pub names: &'a Names,
    pub due: NaiveDateTime,
    pub may_import: bool,
}

pub fn list(page: &Page<'_>, l: &ListPage<'_>) -> Markup {
    let overdue = l.sent.iter().filter(|t| t.overdue(l.due)).count();
    let waiting = l
        .received
        .iter()
        .filter(|t| t.confirmed_at.is_none())
        .count();
    layout(
        page,
        html! {
            h1 { "Child protection files" }
            p.muted { "Files that follow a pupil to their next school (KCSIE: within 5 school days, with confirmation of receipt). Send a pupil's file from their page." }
            @if waiting > 0 {
                div.flash.warn role="status" { strong { (waiting) " received file" @if waiting != 1 { "s" } " waiting" } ": open each, link it to a pupil of your school and confirm receipt." }
            }
            @if overdue > 0 {
                div.flash.error role="status" { strong { (overdue) " sent file" @if overdue != 1 { "s" } " not confirmed within 5 school days" } ": ask the new school's DSL to open and confirm it." }
            }
            section.card #received {
                h2 { "Received" }
                @if l.received.is_empty() { p.none { "No files received." } } @else {
                    table.stack {
                        thead { tr { th { "Pupil" } th { "From" } th { "Sent" } th { "Opened" } th { "Receipt confirmed" } } }
                        tbody { @for t in l.received { tr {
                            td data-label="Pupil" { a href=(format!("/transfers/{}", t.id)) { (t.pupil_name) } }
                            td data-label="From" { (t.from_school_name) }
                            td data-label="Sent" { (moment(t.sent_at)) ", " (t.sent_by_name) }
                            td data-label="Opened" { (step(t.opened_at, name(l.names, &t.opened_by), "Not yet opened")) }
                            td data-label="Receipt confirmed" {
                                @if t.confirmed_at.is_none() { a.button href=(format!("/transfers/{}", t.id)) { "Open and confirm" } }
                                @else { (step(t.confirmed_at, name(l.names, &t.confirmed_by), "")) }
                            }
                        } } }
                    }
                }
                @if l.may_import { p { a.button.secondary href="/transfers/import" { "Import a package from another system" } } }
            }
            section.card #sent {
                h2 { "Sent" }
                @if l.sent.is_empty() { p.none { "No files sent." } } @else {
                    table.stack {
                        thead { tr { th { "Pupil" } th { "To" } th { "Sent" } th { "Opened" } th { "Receipt confirmed" } } }
                        tbody { @for t in l.sent { tr {
                            td data-label="Pupil" { a href=(format!("/transfers/{}", t.id)) { (t.pupil_name) } }
                            td data-label="To" {
                                @if t.kind() == Kind::PackageOut { "Package for URN " (t.to_urn.as_deref().unwrap_or("")) }
                                @else { (to_name(t, l.names)) }
                            }
                            td data-label="Sent" { (moment(t.sent_at)) ", " (t.sent_by_name) }
                            td data-label="Opened" {
                                @if t.kind() == Kind::PackageOut { span.muted { "Outside safelog" } }
                                @else { (step(t.opened_at, name(l.names, &t.opened_by), "Not yet opened")) }
                            }
                            td data-label="Receipt confirmed" {
                                @if t.kind() == Kind::PackageOut { span.muted { "Outside safelog" } }
                                @else {
                                    (step(t.confirmed_at, name(l.names, &t.confirmed_by), "Not yet confirmed"))
                                    @if t.overdue(l.due) { " " span.badge.late { "Over 5 school days" } }
                                }
                            }
                        } } }
                    }
                }
            }
        },
    )
}

/// What the receiving DSL chooses when confirming receipt.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct ReceiveForm {
    /// A candidate pupil's id, `other` (chosen from the roll) or `new`.
    pub link: String,
    pub other_pupil: String,
    pub new_name: String,
    pub new_tutor_group: String,
}

/// `GET /transfers/{id}`.
pub struct TransferPage<'a> {
    pub t: &'a Transfer,
    pub side: Side,
    /// The file, when this reader may read it.
    pub doc: Option<&'a Document>,
    pub names: &'a Names,
    pub due: NaiveDateTime,
    /// Offered to the receiving school's DSL until receipt is confirmed.
    pub receive: Option<Receive<'a>>,
    pub linked: Option<&'a Pupil>,
    pub done: Option<&'a str>,
}

pub struct Receive<'a> {
    pub candidates: &'a [Pupil],
    pub roll: &'a [Pupil],
    pub typed: &'a ReceiveForm,
    pub errors: &'a FieldErrors,
}

pub fn transfer(page: &Page<'_>, p: &TransferPage<'_>) -> Markup {
    let t = p.t;
    let csrf = page.csrf.clone().unwrap_or_default();
    layout(
        page,
        html! {
            p { a href="/transfers" { "\u{2190} Child protection files" } }
            @match p.side {
                Side::Receiver => {
                    h1 { (t.pupil_name) ": file received" }
                    div.banner.received role="note" {
                        strong { (received_from(t)) "." }
                        " This is " (t.from_school_name) "'s record as they sent it: read-only, kept apart from your school's incidents, and not part of your log, lists or reports."
                    }
                }
                Side::Sender => {
                    h1 { (t.pupil_name) ": file sent" }
                    @if let Some(pid) = &t.from_pupil_id {
                        p { a href=(format!("/pupils/{pid}")) { (t.pupil_name) "'s page" } }
                    }
                }
            }
            @if let Some(done) = p.done { (flash("ok", done)) }
            section.card #receipt {
                h2 { "Receipt" }
                (receipt(t, p.names, p.due))
                @if let Some(pupil) = p.linked {
                    p { "Linked to " a href=(format!("/pupils/{}", pupil.id)) { (pupil.name) } @if let Some(g) = &pupil.tutor_group { " (" (g) ")" } "." }
                }
            }
            @if let Some(r) = &p.receive { (receive_form(&csrf, t, r)) }
            @match p.doc {
                Some(doc) => {
                    @if p.side == Side::Sender {
                        h2 { "The file as it was sent" }
                        (document_body(doc))
                    } @else {
                        (document_marked(doc, Some(&received_from(t))))
                    }
                }
                None => {
                    section.card { p.muted { "The file is shown here once the school's DSL has confirmed receipt." } }
                }
            }
        },
    )
}

fn receive_form(csrf: &str, t: &Transfer, r: &Receive<'_>) -> Markup {
    let error = r.errors.get("link");
    let typed = r.typed;
    // With nothing chosen yet: a new record when there is nobody else to
    // choose; never a guess between pupils of the same name.
    let only_new = r.candidates.is_empty() && r.roll.is_empty();
    let chosen =
        |value: &str| typed.link == value || (typed.link.is_empty() && value == "new" && only_new);
    html! {
        section.card #confirm-receipt {
            h2 { "Confirm receipt" }
            p { "Link this file to the pupil's record at your school. It then shows, read-only, on their page, and " (t.from_school_name) " sees that you confirmed receipt." }
            form.stack method="post" action=(format!("/transfers/{}/receive", t.id)) {
                (csrf_field(csrf))
                fieldset.has-error[error.is_some()] {
                    legend { "Whose record does this file join?" }
                    @if let Some(m) = error { p.error #f-link-error { (m) } }
                    @for c in r.candidates {
                        label.choice {
                            input type="radio" name="link" value=(c.id) checked[chosen(&c.id)];
                            " " (c.name)
                            @if let Some(g) = &c.tutor_group { " (" (g) ")" }
                            @if let Some(d) = c.date_of_birth { ", born " (day(d)) }
                            @if let Some(u) = &c.upn { ", UPN " (u) }
                        }
                    }
                    @if !r.roll.is_empty() {
                        label.choice {
                            input type="radio" name="link" value="other" checked[chosen("other")];
                            " Another pupil on your roll:"
                        }
                        div.field.has-error[r.errors.get("other_pupil").is_some()] {
                            label for="f-other_pupil" { "Pupil" }
                            select #f-other_pupil name="other_pupil" {
                                option value="" { "Choose\u{2026}" }
                                @for c in r.roll {
                                    option value=(c.id) selected[typed.other_pupil == c.id] {
                                        (c.name) @if let Some(g) = &c.tutor_group { " (" (g) ")" }
                                    }
                                }
                            }
                            @if let Some(m) = r.errors.get("other_pupil") { p.error { (m) } }
                        }
                    }
                    label.choice {
                        input type="radio" name="link" value="new" checked[chosen("new")];
                        " A new pupil record at your school"
                    }
                    div.field.has-error[r.errors.get("new_name").is_some()] {
                        label for="f-new_name" { "Name" }
                        input #f-new_name type="text" name="new_name" value=(typed.new_name);
                        @if let Some(m) = r.errors.get("new_name") { p.error { (m) } }
                    }
                    div.field.has-error[r.errors.get("new_tutor_group").is_some()] {
                        label for="f-new_tutor_group" { "Tutor group at your school" br; span.hint { "Optional" } }
                        input #f-new_tutor_group type="text" name="new_tutor_group" value=(typed.new_tutor_group);
                        @if let Some(m) = r.errors.get("new_tutor_group") { p.error { (m) } }
                    }
                }
                div { button type="submit" { "Confirm receipt" } }
            }
        }
    }
}

/// The pupil page's card: the file sent from here and files received.
pub fn pupil_card(
    pupil: &Pupil,
    sent: &[Transfer],
    received: &[Transfer],
    names: &Names,
    due: NaiveDateTime,
    may_send: bool,
) -> Markup {
    html! {
        section.card #child-protection-file {
            h2 { "Child protection file" }
            @for t in received {
                div.banner.received {
                    a href=(format!("/transfers/{}", t.id)) { strong { (received_from(t)) } }
                    ": " (t.incident_count) " incident" @if t.incident_count != 1 { "s" } ", read-only, kept apart from this school's incidents."
                }
            }
            @for t in sent {
                div.sent-transfer {
                    p { a href=(format!("/transfers/{}", t.id)) {
                        @if t.kind() == Kind::PackageOut { "Downloaded as a package for URN " (t.to_urn.as_deref().unwrap_or("")) } @else { "Sent to " (to_name(t, names)) }
                    } }
                    (receipt(t, names, due))
                }
            }
            @if sent.is_empty() && received.is_empty() { p.none { "No file sent or received." } }
            @if may_send {
                p { a.button href=(format!("/pupils/{}/transfer", pupil.id)) { "Send this pupil's file to another school" } }
            }
        }
    }
}

/// `GET /transfers/import`: upload a package from another system.
pub fn import(page: &Page<'_>, urn: Option<&str>, refused: Option<&str>, key: &str) -> Markup {
    let csrf = page.csrf.clone().unwrap_or_default();
    layout(
        page,
        html! {
            p { a href="/transfers" { "\u{2190} Child protection files" } }
            h1 { "Import a package from another system" }
            p { "A package is the file another school's system (or another safelog) made of a pupil's child protection file. safelog checks its signature, that it is for your school's URN"
                @if let Some(u) = urn { " (" (u) ")" }
                " and that you have not received it before, then takes it in as received history: read-only, apart from your incidents, opened and receipt confirmed by you, and linked to the pupil with its UPN, or its name and date of birth, or a new pupil record." }
            @if urn.is_none() {
                (flash("error", "Your school has no URN yet, so no package can be for it: an administrator enters it at Administration, School settings."))
            }
            @if let Some(m) = refused {
                div.flash.error role="alert" { strong { "Not imported. " } (m) }
            }
            section.card {
                form.stack method="post" action="/transfers/import" enctype="multipart/form-data" {
                    (csrf_field(&csrf))
                    div.field {
                        label for="f-file" { "The package (.json)" }
                        input #f-file type="file" name="file" accept=".json,application/json" required;
                    }
                    div.field {
                        label for="f-key" { "The sending school's key fingerprint" br; span.hint { "Optional: when their DSL or administrator gave it to you (five groups of four characters), the package must be signed with that key." } }
                        input #f-key type="text" name="key" value=(key) autocomplete="off";
                    }
                    div { button type="submit" { "Check and import" } }
                }
                p.muted { "From the server: " code { "safelog import transfer FILE --school URN" } }
            }
        },
    )
}

/// `GET /admin/transfer-key`: the key packages are signed with.
pub fn key(page: &Page<'_>, key: &super::keys::DeploymentKey) -> Markup {
    layout(
        page,
        html! {
            h1 { "Package signing key" }
            p { "When a DSL downloads a pupil's file for a school on another system, this safelog signs the package with its own key, made on its first start and kept in the database. The receiving school checks the signature with the public key below (it is in every package too). Give them the fingerprint by a route other than the package, such as a phone call, so they know the package came from here." }
            section.card {
                dl.record {
                    dt { "Fingerprint" } dd { code.secret #key-fingerprint { (key.fingerprint()) } }
                    dt { "Public key (Ed25519, base64)" } dd { code.secret { (key.public_base64()) } }
                    dt { "Made" } dd { (moment(key.created_at)) }
                }
            }
            p.muted { "The private half never leaves the database: no page, log or package shows it. Back the database up (see Backups) and the key comes back with it." }
        },
    )
}
