//! The subject access pages: the list (what is due first), the form that
//! records a request, one request with its clock and history, and the pack
//! as the requester will read it (a cover page, then each record; printed,
//! every page numbered), with the DPO's tools around it on screen only.

use std::collections::HashMap;

use chrono::NaiveDate;
use maud::{html, Markup};

use super::handlers::NewForm;
use super::model::{HistoryEntry, Relationship, Release, Request, State};
use super::pack::{self, Pack};
use super::StartCard;
use crate::forms::FieldErrors;
use crate::views::components::{csrf_field, error_summary, Field};
use crate::views::time::moment;
use crate::views::{layout, Page};

fn day(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// "due in 3 days", "due today", "overdue by 2 days", "paused".
pub fn clock(r: &Request, today: NaiveDate) -> String {
    let plural = |n: i64| if n == 1 { "" } else { "s" };
    match r.state() {
        State::Paused => format!("paused since {}", r.paused_on.map_or_else(String::new, day)),
        State::Released => "released".into(),
        State::Withdrawn => "withdrawn".into(),
        State::Open => match r.days_left(today) {
            0 => "due today".into(),
            n if n > 0 => format!("due in {n} day{}", plural(n)),
            n => format!("overdue by {} day{}", -n, plural(-n)),
        },
    }
}

fn request_rows(rows: &[Request], pupils: &HashMap<String, String>, today: NaiveDate) -> Markup {
    html! {
        table.stack {
            thead { tr { th { "Reference" } th { "Pupil" } th { "Received" } th { "Due" } th { "Where it stands" } } }
            tbody { @for r in rows { tr {
                td data-label="Reference" { a href=(format!("/access-requests/{}", r.id)) { (r.reference) } }
                td data-label="Pupil" { (pupils.get(&r.pupil_id).map_or("", String::as_str)) }
                td data-label="Received" { (day(r.received_on)) }
                td data-label="Due" { (day(r.due_on())) }
                td data-label="Where it stands" { (clock(r, today)) }
            } } }
        }
    }
}

/// The start page's card: requests due within seven days, and overdue.
pub fn start_card(card: &StartCard, today: NaiveDate) -> Markup {
    let item = |r: &Request| {
        html! { li { a href=(format!("/access-requests/{}", r.id)) { (r.reference) } ": due " (day(r.due_on())) " (" (clock(r, today)) ")" } }
    };
    html! {
        section.card #access-requests {
            h2 { "Subject access requests" }
            @if !card.overdue.is_empty() {
                p.flash.error role="status" { strong { (card.overdue.len()) " overdue" } }
                ul { @for r in &card.overdue { (item(r)) } }
            }
            @if !card.due_soon.is_empty() {
                p.flash.warn role="status" { strong { (card.due_soon.len()) " due within " (super::DUE_SOON_DAYS) " days" } }
                ul { @for r in &card.due_soon { (item(r)) } }
            }
            p { a href="/access-requests" { "See every request" } }
        }
    }
}

pub fn list(
    page: &Page<'_>,
    requests: &[Request],
    card: &StartCard,
    pupils: &HashMap<String, String>,
    today: NaiveDate,
) -> Markup {
    let in_hand: Vec<Request> = requests.iter().filter(|r| r.in_hand()).cloned().collect();
    let done: Vec<Request> = requests.iter().filter(|r| !r.in_hand()).cloned().collect();
    layout(
        page,
        html! {
            h1 { "Subject access requests" }
            p.muted { "A pupil, a parent or someone acting for them may ask for the information the school holds about the pupil (UK GDPR Article 15). The answer is due one calendar month after the request is received." }
            p { a.button href="/access-requests/new" { "Record a request" } }
            section.card #overdue {
                h2 { "Overdue" }
                @if card.overdue.is_empty() { p.none { "None overdue." } } @else { (request_rows(&card.overdue, pupils, today)) }
            }
            section.card #due-soon {
                h2 { "Due within " (super::DUE_SOON_DAYS) " days" }
                @if card.due_soon.is_empty() { p.none { "None due within " (super::DUE_SOON_DAYS) " days." } } @else { (request_rows(&card.due_soon, pupils, today)) }
            }
            section.card #in-hand {
                h2 { "Open and paused" }
                @if in_hand.is_empty() { p.none { "No request waiting." } } @else { (request_rows(&in_hand, pupils, today)) }
            }
            section.card #closed {
                h2 { "Released and withdrawn" }
                @if done.is_empty() { p.none { "None yet." } } @else { (request_rows(&done, pupils, today)) }
            }
        },
    )
}

pub fn new_form(
    page: &Page<'_>,
    form: &NewForm,
    pupils: &[(String, String)],
    errors: &FieldErrors,
) -> Markup {
    let choice = |field: &str| {
        errors
            .get(field)
            .map(|m| html! { p.error id=(format!("f-{field}-error")) { (m) } })
    };
    layout(
        page,
        html! {
            h1 { "Record a subject access request" }
            (error_summary(errors, &["requester_name", "relationship", "pupil_id", "received_on"]))
            form method="post" action="/access-requests" novalidate {
                (csrf_field(page.csrf.as_deref().unwrap_or("")))
                (Field::text("requester_name", "Who asked", &form.requester_name)
                    .hint("Their name as they gave it. It is not shown in any address or email.")
                    .render(errors))
                div.field.has-error[errors.get("relationship").is_some()] {
                    fieldset #f-relationship {
                        legend { "They are" }
                        @for r in Relationship::ALL {
                            label.choice {
                                input type="radio" name="relationship" value=(r.as_str()) checked[form.relationship == r.as_str()];
                                " " (r.label())
                            }
                        }
                    }
                    @if let Some(m) = choice("relationship") { (m) }
                }
                div.field.has-error[errors.get("pupil_id").is_some()] {
                    label for="f-pupil_id" { "The pupil the request is about" }
                    select #f-pupil_id name="pupil_id" required {
                        option value="" { "Choose a pupil" }
                        @for (id, name) in pupils {
                            option value=(id) selected[form.pupil_id == *id] { (name) }
                        }
                    }
                    @if let Some(m) = choice("pupil_id") { (m) }
                }
                (Field::text("received_on", "Received on", &form.received_on)
                    .hint("dd/mm/yyyy or yyyy-mm-dd: the day the school received it, which starts the one-month clock.")
                    .render(errors))
                button type="submit" { "Record the request" }
            }
        },
    )
}

pub struct RequestPage<'a> {
    pub request: &'a Request,
    pub pupil_name: &'a str,
    pub history: &'a [HistoryEntry],
    pub release: Option<&'a Release>,
    pub today: NaiveDate,
}

pub fn show(page: &Page<'_>, p: &RequestPage<'_>) -> Markup {
    let r = p.request;
    let csrf = page.csrf.as_deref().unwrap_or("");
    let action = |what: &str| format!("/access-requests/{}/{what}", r.id);
    layout(
        page,
        html! {
            p { a href="/access-requests" { "All subject access requests" } }
            h1 { "Subject access request " (r.reference) }
            section.card #request {
                dl.record {
                    dt { "Pupil" } dd { (p.pupil_name) }
                    dt { "Who asked" } dd { (r.requester_name) " (" (r.relationship().label().to_lowercase()) ")" }
                    dt { "Received" } dd { (day(r.received_on)) }
                    dt { "Due" } dd #due { strong { (day(r.due_on())) } " · " (clock(r, p.today)) }
                    @if r.paused_days > 0 { dt { "Clock paused" } dd { (r.paused_days) " day" @if r.paused_days != 1 { "s" } " in all, added to the due date" } }
                    @if r.extension_months > 0 {
                        dt { "Extended" } dd { (r.extension_months) " further month" @if r.extension_months != 1 { "s" } ": " (r.extension_reason.as_deref().unwrap_or("")) }
                    }
                    dt { "State" } dd #state { (r.state().label()) }
                    @if let Some(rel) = p.release {
                        dt { "Released" } dd { (moment(rel.released_at)) " by " (rel.released_by_name) }
                        dt { "Released pack SHA-256" } dd { code.sha256 { (rel.sha256) } }
                    }
                }
                p { a.button href=(action("pack")) { @if p.release.is_some() { "Open the released pack" } @else { "Build and check the pack" } } }
            }
            @if r.in_hand() {
                section.card #clock {
                    h2 { "The clock" }
                    @if r.state() == State::Open {
                        form method="post" action=(action("pause")) {
                            (csrf_field(csrf))
                            div.field {
                                label for="f-pause-reason" { "Pause: waiting for ID or clarification" br; span.hint { "What the school asked for. The clock stands still until you resume it; the days paused are added to the due date." } }
                                input #f-pause-reason type="text" name="reason" required;
                            }
                            button.secondary type="submit" { "Pause the clock" }
                        }
                    } @else {
                        form method="post" action=(action("resume")) {
                            (csrf_field(csrf))
                            p { "Paused since " (r.paused_on.map_or_else(String::new, day)) ". Resume when the ID or clarification arrives." }
                            button type="submit" { "Resume the clock" }
                        }
                    }
                    @if r.extension_months < 2 {
                        form method="post" action=(action("extend")) {
                            (csrf_field(csrf))
                            div.field {
                                label for="f-months" { "Extend by" }
                                select #f-months name="months" {
                                    @if r.extension_months < 1 { option value="1" { "one further month" } }
                                    option value="2" { "two further months (in all)" }
                                }
                            }
                            div.field {
                                label for="f-extend-reason" { "Why" br; span.hint { "The law allows up to two further months for a complex request, or many from the same person; tell the requester within the first month." } }
                                input #f-extend-reason type="text" name="reason" required;
                            }
                            button.secondary type="submit" { "Extend" }
                        }
                    }
                    form method="post" action=(action("withdraw")) {
                        (csrf_field(csrf))
                        div.field {
                            label for="f-withdraw-reason" { "Withdrawn by the requester" br; span.hint { "How and when they withdrew it." } }
                            input #f-withdraw-reason type="text" name="reason" required;
                        }
                        button.secondary type="submit" { "Mark as withdrawn" }
                    }
                }
            }
            section.card #history {
                h2 { "History" }
                table.stack {
                    thead { tr { th { "When" } th { "What" } th { "Who" } th { "Detail" } } }
                    tbody { @for h in p.history { tr {
                        td data-label="When" { (moment(h.at)) }
                        td data-label="What" { (h.label()) }
                        td data-label="Who" { (h.by_name) }
                        td data-label="Detail" { (h.detail.as_deref().unwrap_or("")) }
                    } } }
                }
            }
        },
    )
}

pub struct PackPage<'a> {
    pub request: &'a Request,
    pub pack: &'a Pack,
    pub release: Option<&'a Release>,
    pub csrf: &'a str,
    /// A redaction refused, sent back with what was typed.
    pub retry: Option<&'a Retry>,
}

/// A refused redaction: what was typed, and why it was refused.
pub struct Retry {
    pub reference: String,
    pub field: String,
    pub passage: String,
    pub reason: String,
    pub message: String,
}

/// The pack: the cover page, each record, what was withheld. On screen the
/// DPO's tools (staff names, withholding a passage, releasing) sit around
/// it; none of them prints.
pub fn pack(page: &Page<'_>, p: &PackPage<'_>) -> Markup {
    let (r, k) = (p.request, p.pack);
    let action = |what: &str| format!("/access-requests/{}/{what}", r.id);
    let editable = p.release.is_none() && r.in_hand();
    layout(
        page,
        html! {
            div.no-print.pack-tools {
                p { a href=(format!("/access-requests/{}", r.id)) { "Back to the request" } }
                @if let Some(retry) = p.retry {
                    div.flash.error role="alert" {
                        "Nothing was withheld from " (retry.reference) ": " (retry.message) " "
                        a href=(format!("#r-{}-passage", retry.reference)) { "Back to the form" }
                    }
                }
                @match p.release {
                    Some(rel) => {
                        div.flash.ok role="status" {
                            "Released " (moment(rel.released_at)) " by " (rel.released_by_name)
                            ". This is the pack exactly as released; later changes to the records do not alter it."
                        }
                    }
                    None => {
                        div.flash.warn role="status" { "Not yet released: this is the pack as the records stand now. Check every page before releasing it." }
                    }
                }
                p { "Print it from your browser (to paper or PDF): the tools on this page do not print. "
                    a href=(action("pack.json")) download { "Download the machine-readable copy (JSON)" } }
                @if editable {
                    form method="post" action=(action("staff-names")) {
                        (csrf_field(p.csrf))
                        label.choice {
                            input type="checkbox" name="keep" value="1" checked[k.staff_names_kept];
                            " Keep staff names (otherwise each member of staff is named by their role)"
                        }
                        " " button.secondary type="submit" { "Apply" }
                    }
                }
            }
            article.sar-pack {
                section.sar-cover {
                    p.sar-school { (k.school) }
                    h1 { "Subject access request" }
                    p.sar-ref { "Reference " strong { (k.reference) } }
                    dl.record {
                        dt { "Information about" } dd { (k.pupil.name) }
                        dt { "Requested by" } dd { (k.requester.name) }
                        dt { "Received" } dd { (day(k.received_on)) }
                        dt { "Prepared" } dd { (moment(k.made_at.naive_utc())) }
                        @if let Some(rel) = p.release { dt { "Released" } dd { (moment(rel.released_at)) } }
                        dt { "Records" } dd { (k.incidents.len()) }
                    }
                    h2 { "About this pack" }
                    p { "It holds every online-safety record of the school in which the pupil appears, each with its history: changes, notes, actions, decisions, information shared, referrals and the files attached (listed by name and fingerprint)." }
                    p { "Other pupils are shown as \u{201c}another pupil\u{201d}: their information is their own. "
                        @if k.staff_names_kept { "Staff are named." } @else { "Staff are named by their role." } }
                    @if !k.withheld.is_empty() {
                        p { "Some information has been withheld; each place reads \u{201c}[withheld: reason]\u{201d} and is listed at the end." }
                    }
                }
                @if k.incidents.is_empty() {
                    section.card { p { "The school holds no online-safety record in which the pupil appears." } }
                }
                @for i in &k.incidents {
                    div.sar-record id=(i.reference) {
                        (crate::transfers::views::incident(i, None))
                        @if editable {
                            (redact_form(&action("redactions"), p.csrf, i, p.retry.filter(|t| t.reference == i.reference)))
                        }
                    }
                }
                @if !k.withheld.is_empty() {
                    section.card.sar-withheld #withheld {
                        h2 { "Information withheld" }
                        table.stack {
                            thead { tr { th { "Record" } th { "Where" } th { "Reason" } } }
                            tbody { @for w in &k.withheld { tr {
                                td data-label="Record" { (w.reference) }
                                td data-label="Where" { (w.field_label) @if w.whole_field { " (all of it)" } }
                                td data-label="Reason" { (w.reason) }
                            } } }
                        }
                    }
                }
                p.sar-end { "End of the pack " (k.reference) "." }
            }
            @if editable {
                section.card.no-print #release {
                    h2 { "Release the pack" }
                    p { "Releasing keeps the pack exactly as it is now: who released it and when are recorded, and it can be downloaded again as released. It cannot be changed afterwards." }
                    form method="post" action=(action("release")) {
                        (csrf_field(p.csrf))
                        label.choice { input type="checkbox" name="confirm" value="1" required; " I have checked every page of this pack" }
                        " " button type="submit" { "Release the pack" }
                    }
                }
            }
        },
    )
}

/// The redaction step for one record: choose its text, paste (or select
/// on the page) the passage, give the reason.
fn redact_form(
    action: &str,
    csrf: &str,
    i: &crate::transfers::document::IncidentRecord,
    retry: Option<&Retry>,
) -> Markup {
    let id = |f: &str| format!("r-{}-{f}", i.reference);
    let (field, passage, reason) = retry.map_or(("", "", ""), |t| {
        (t.field.as_str(), t.passage.as_str(), t.reason.as_str())
    });
    html! {
        details.no-print.sar-redact open[retry.is_some()] {
            summary { "Withhold a passage of " (i.reference) }
            form method="post" action=(action) {
                (csrf_field(csrf))
                input type="hidden" name="reference" value=(i.reference);
                @if let Some(t) = retry { p.error role="alert" { (t.message) } }
                div.field {
                    label for=(id("field")) { "From" }
                    select id=(id("field")) name="field" {
                        @for (key, label, _) in pack::texts_of(i) { option value=(key) selected[key == field] { (label) } }
                    }
                }
                div.field {
                    label for=(id("passage")) { "Passage" br; span.hint { "Copy the words exactly as the pack shows them (selecting them on the page fills this in). Leave empty to withhold the whole text." } }
                    textarea id=(id("passage")) name="passage" rows="3" data-sar-passage="" { (passage) }
                }
                div.field {
                    label for=(id("reason")) { "Reason shown in the pack" br; span.hint { "For example: information about another person; would cause serious harm." } }
                    input id=(id("reason")) type="text" name="reason" value=(reason) required;
                }
                button.secondary type="submit" { "Withhold" }
            }
        }
    }
}
