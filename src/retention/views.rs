//! The retention pages: the review queue with the pupils whose date of
//! birth is missing, one record's review with its decision forms, the
//! school's periods, and legal holds.

use chrono::NaiveDate;
use maud::{html, Markup};

use super::holds::{HoldView, Named};
use super::model::{self, Basis, Period, Review};
use super::{Entry, Queue, Reviewed};
use crate::categories::Category;
use crate::forms::FieldErrors;
use crate::incidents::views::{day, field_error, incident_day, moment, textarea_in};
use crate::views::components::csrf_field;
use crate::views::{layout, Page};

fn nav() -> Markup {
    html! {
        nav.pages aria-label="Retention" {
            a href="/retention" { "Review queue" } " · "
            a href="/retention/holds" { "Legal holds" } " · "
            a href="/retention/periods" { "Review periods" }
        }
    }
}

fn holds_cell(e: &Entry) -> Markup {
    html! {
        @if e.holds.is_empty() { span.muted { "None" } }
        @else { @for (i, (_, name)) in e.holds.iter().enumerate() {
            @if i > 0 { ", " }
            span.badge.hold { "Held: " (name) }
        } }
    }
}

/// The queue: records due, oldest first; pupils with no date of birth.
pub fn queue(
    page: &Page<'_>,
    q: &Queue,
    today: NaiveDate,
    errors: &FieldErrors,
    error_for: Option<&str>,
) -> Markup {
    let csrf = page.csrf.clone().unwrap_or_default();
    layout(
        page,
        html! {
            h1 { "Retention review" }
            (nav())
            p { "Records whose review date has come (the pupil's date of birth + 25 years for safeguarding records, or the period the school set for the category), oldest first. Each needs a decision: keep it, with a reason and a new review date, or destroy it, leaving a tombstone." }
            section.card #due {
                h2 { "Due for review (" (q.due.len()) ")" }
                @if q.due.is_empty() {
                    p.muted { "No record is due for review on " (day(today)) "." }
                } @else {
                    table.stack.queue {
                        thead { tr { th { "Reference" } th { "Category" } th { "Incident date" } th { "Logged" } th { "Review date" } th { "Legal hold" } th { "" } } }
                        tbody { @for e in &q.due { tr {
                            td data-label="Reference" { a.ref href=(format!("/retention/incidents/{}", e.record.id)) { (e.record.reference) } }
                            td data-label="Category" { (e.category_name) }
                            td data-label="Incident date" { (incident_day(e.record.incident_date)) }
                            td data-label="Logged" { (day(e.record.logged_at.date())) }
                            td data-label="Review date" { @if let Review::On(d) = e.review { (day(d)) } br; span.muted { (e.period.words()) } }
                            td data-label="Legal hold" { (holds_cell(e)) }
                            td { a.button.secondary href=(format!("/retention/incidents/{}", e.record.id)) { "Review" } }
                        } } }
                    }
                }
                p.muted { (q.later) " other records are not yet due." }
            }
            section.card #dates-of-birth {
                h2 { "Pupils with no date of birth (" (q.undated.len()) ")" }
                p { "A record is reviewed from its pupils' dates of birth, so these pupils' records have no review date and are never listed as due. Supply each date (from the school's MIS or the pupil's file); a later pupil list from the MIS may replace it." }
                @if q.undated.is_empty() {
                    p.muted { "Every pupil named in a record has a date of birth." }
                } @else {
                    table.stack {
                        thead { tr { th { "Pupil" } th { "Tutor group" } th { "Records" } th { "Date of birth" } } }
                        tbody { @for u in &q.undated {
                            @let id = format!("dob-{}", u.pupil.id);
                            @let mine = error_for == Some(u.pupil.id.as_str());
                            tr {
                                td data-label="Pupil" { (u.pupil.name) }
                                td data-label="Tutor group" { (u.pupil.tutor_group.as_deref().unwrap_or("Not known")) }
                                td data-label="Records" { (u.records) }
                                td data-label="Date of birth" {
                                    form.inline method="post" action=(format!("/retention/pupils/{}/date-of-birth", u.pupil.id)) {
                                        (csrf_field(&csrf))
                                        label.visually-hidden for=(id) { "Date of birth of " (u.pupil.name) }
                                        input type="date" id=(id) name="date_of_birth" required
                                            aria-invalid=[mine.then_some("true")];
                                        " " button type="submit" { "Save" }
                                        @if mine { (field_error(errors, "date_of_birth")) }
                                    }
                                }
                            }
                        } }
                    }
                }
            }
        },
    )
}

/// The values typed into the decision forms, kept when one is sent back.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct DecideInput {
    pub decision: String,
    pub reason: String,
    pub review_on: String,
    pub confirm: String,
}

/// One record's review: what dates it, holds, past decisions, and the two
/// decisions.
pub fn review(
    page: &Page<'_>,
    r: &Reviewed,
    today: NaiveDate,
    typed: &DecideInput,
    errors: &FieldErrors,
    refused: Option<&str>,
) -> Markup {
    let csrf = page.csrf.clone().unwrap_or_default();
    let c = &r.record;
    let keep_typed = typed.decision == "keep";
    let destroy_typed = typed.decision == "destroy";
    let none = FieldErrors::default();
    layout(
        page,
        html! {
            h1 { "Review " (c.reference) }
            (nav())
            @if let Some(why) = refused { div.flash.error role="alert" { (why) } }
            section.card {
                dl.record {
                    dt { "Reference" } dd {
                        @if r.entry.as_ref().is_none_or(|e| e.readable) { a href=(format!("/incidents/{}", c.id)) { (c.reference) } } @else { (c.reference) }
                    }
                    dt { "Category" } dd { (r.category_name) }
                    dt { "Incident date" } dd { (incident_day(c.incident_date)) }
                    dt { "Logged" } dd { (moment(c.logged_at)) }
                    @if let Some(at) = c.closed_at { dt { "Closed" } dd { (moment(at)) } }
                    @if let Some(e) = &r.entry {
                        dt { "Review period" } dd { (e.period.words()) }
                        dt { "Review date" } dd {
                            @match &e.review {
                                Review::On(d) => { (day(*d)) @if *d > today { " " span.muted { "(not yet due)" } } @else { " " span.badge.late { "due" } } },
                                Review::NeedsBirthDate(_) => { "None yet: " a href="/retention#dates-of-birth" { "supply the date of birth" } " of " @for (i, p) in r.missing.iter().enumerate() { @if i > 0 { ", " } (p.name) } },
                            }
                        }
                        dt { "Legal hold" } dd { (holds_cell(e)) }
                    }
                }
                @if let Some(e) = &r.entry { @if !e.readable {
                    p.muted { "You oversee this record's retention; its content is for the roles that read it." }
                } }
            }
            @if !r.decisions.is_empty() {
                section.card {
                    h2 { "Decisions so far" }
                    ul { @for d in &r.decisions { li {
                        strong { @if d.decision == "destroy" { "Destroyed" } @else { "Kept" } }
                        " on " (day(d.decided_at.date())) " by " (d.by_name) " (" (if d.decided_as == "dpo" { "DPO" } else { "DSL" }) ")"
                        @if let Some(on) = d.review_on { ", next review " (day(on)) }
                        ": " span.text { (d.reason) }
                    } } }
                }
            }
            @if let Some(e) = &r.entry {
                section.card #keep {
                    h2 { "Keep" }
                    p { "Keep the record for a reason (a claim or inquiry expected, a pupil still in contact with services, a sibling's open case) until a new review date." }
                    form.stack method="post" action=(format!("/retention/incidents/{}", c.id)) {
                        (csrf_field(&csrf))
                        input type="hidden" name="decision" value="keep";
                        (textarea_in("keep", "reason", "Why it is kept", None, if keep_typed { &typed.reason } else { "" }, if keep_typed { errors } else { &none }, true))
                        div.field.has-error[keep_typed && errors.get("review_on").is_some()] {
                            label for="f-keep-review_on" { "Next review" }
                            input #f-keep-review_on type="date" name="review_on" required value=(if keep_typed { typed.review_on.as_str() } else { "" });
                            @if keep_typed { (field_error(errors, "review_on")) }
                        }
                        div { button type="submit" { "Keep until the new review date" } }
                    }
                }
                section.card #destroy {
                    h2 { "Destroy" }
                    @if !e.holds.is_empty() {
                        div.flash.warn { "This record is under a legal hold and cannot be destroyed until the hold is lifted." }
                    }
                    p { "Destroying erases the record's details, notes, case actions, the reasons of its decisions, its shares, its files and the pupils it names, in every version. A tombstone stays: the reference, category, dates, and who destroyed it, when and why, so that reports and the audit trail still add up. This cannot be undone." }
                    p.muted { "The reason stays on the tombstone for ever: do not name the pupil or say what happened." }
                    form.stack method="post" action=(format!("/retention/incidents/{}", c.id)) {
                        (csrf_field(&csrf))
                        input type="hidden" name="decision" value="destroy";
                        (textarea_in("destroy", "reason", "Why it is destroyed", Some("For example: reached date of birth + 25 years; no reason to keep it."), if destroy_typed { &typed.reason } else { "" }, if destroy_typed { errors } else { &none }, true))
                        div.field.has-error[destroy_typed && errors.get("confirm").is_some()] {
                            label for="f-destroy-confirm" { "Type the reference, " (c.reference) ", to confirm" }
                            input #f-destroy-confirm type="text" name="confirm" required autocomplete="off" value=(if destroy_typed { typed.confirm.as_str() } else { "" });
                            @if destroy_typed { (field_error(errors, "confirm")) }
                        }
                        div { button.danger type="submit" { "Destroy the record" } }
                    }
                }
            } @else {
                p { "This record was destroyed: only its tombstone is left." }
            }
        },
    )
}

/// The school's period for each category, and the form to change one.
pub fn periods(
    page: &Page<'_>,
    categories: &[Category],
    set: &std::collections::HashMap<String, Period>,
    may_set: bool,
    refused: Option<(&str, &str)>,
) -> Markup {
    let csrf = page.csrf.clone().unwrap_or_default();
    layout(
        page,
        html! {
            h1 { "Review periods" }
            (nav())
            p { "When each category's records come up for review. Safeguarding records (categories the DSL owns, restricted ones, and any record marked \"child may have been put at risk\") are kept at least until the pupil's date of birth + 25 years; for other categories the school may set a shorter period, from the pupil's date of birth or from the incident's date." }
            @if let Some((code, why)) = refused { div.flash.error role="alert" { (code) ": " (why) } }
            table.stack {
                thead { tr { th { "Category" } th { "Owner" } th { "Review at" } @if may_set { th { "Change" } } } }
                tbody { @for c in categories {
                    @let p = set.get(&c.code).copied();
                    @let shown = model::effective(p, model::safeguarding_category(c));
                    tr {
                        td data-label="Category" { (c.name) @if model::safeguarding_category(c) { " " span.badge { "safeguarding" } } }
                        td data-label="Owner" { (c.owner().label()) }
                        td data-label="Review at" { (shown.words()) @if p.is_none() { " " span.muted { "(default)" } } }
                        @if may_set { td data-label="Change" {
                            form.inline method="post" action="/retention/periods" {
                                (csrf_field(&csrf))
                                input type="hidden" name="category" value=(c.code);
                                label.visually-hidden for=(format!("basis-{}", c.code)) { "Counted from, for " (c.name) }
                                select id=(format!("basis-{}", c.code)) name="basis" {
                                    option value="date_of_birth" selected[shown.basis == Basis::DateOfBirth] { "Date of birth" }
                                    @if !model::safeguarding_category(c) { option value="incident" selected[shown.basis == Basis::Incident] { "Incident date" } }
                                }
                                " + "
                                label.visually-hidden for=(format!("years-{}", c.code)) { "Years, for " (c.name) }
                                input.years id=(format!("years-{}", c.code)) type="number" name="years" min="1" max=(model::MAX_YEARS) value=(shown.years) required;
                                " years "
                                button type="submit" { "Save" }
                            }
                        } }
                    }
                } }
            }
        },
    )
}

/// Legal holds: the form to make one, and each hold with what it names.
pub fn holds(
    page: &Page<'_>,
    all: &[HoldView],
    typed: &super::holds::HoldInput,
    errors: &FieldErrors,
    refused: Option<&str>,
) -> Markup {
    let csrf = page.csrf.clone().unwrap_or_default();
    layout(
        page,
        html! {
            h1 { "Legal holds" }
            (nav())
            p { "A legal hold keeps records for an inquiry or a claim (as the Independent Inquiry into Child Sexual Abuse required): while it is active, no record it names can be destroyed. Lifting it is recorded with a reason; nothing is deleted." }
            @if let Some(why) = refused { div.flash.error role="alert" { (why) } }
            section.card #new-hold {
                h2 { "New legal hold" }
                form.stack method="post" action="/retention/holds" {
                    (csrf_field(&csrf))
                    (crate::views::components::Field::text("name", "Name of the inquiry or claim", &typed.name).render(errors))
                    (textarea_in("", "reason", "Why the records are held", None, &typed.reason, errors, true))
                    (textarea_in("", "references", "Records it covers", Some("References, one a line, like OS-2025-0042."), &typed.references, errors, false))
                    (textarea_in("", "pupils", "Pupils whose records it covers", Some("One a line; add \", tutor group\" to tell two pupils apart. Every record of the pupil is held, those logged later too."), &typed.pupils, errors, false))
                    div { button type="submit" { "Place the hold" } }
                }
            }
            @for h in all {
                section.card.hold {
                    h2 { (h.hold.name) " " @if h.hold.active() { span.badge.late { "Active" } } @else { span.badge { "Lifted" } } }
                    p { "Placed on " (moment(h.hold.created_at)) " by " (h.created_by_name) ": " span.text { (h.hold.reason) } }
                    @if let (Some(at), Some(by)) = (h.hold.lifted_at, &h.lifted_by_name) {
                        p { "Lifted on " (moment(at)) " by " (by) ": " span.text { (h.hold.lifted_reason.as_deref().unwrap_or("")) } }
                    }
                    h3 { "Covers" }
                    ul { @for n in &h.named { li { @match n {
                        Named::Record(id, reference) => { "Record " a href=(format!("/retention/incidents/{id}")) { (reference) } },
                        Named::Pupil(name, group) => { "Every record of " (name) @if let Some(g) = group { " (" (g) ")" } },
                        Named::Unseen => { span.muted { "A record you do not review" } },
                    } } } }
                    @if h.hold.active() {
                        details {
                            summary { "Add records or pupils" }
                            form.stack method="post" action=(format!("/retention/holds/{}/records", h.hold.id)) {
                                (csrf_field(&csrf))
                                (textarea_in(&h.hold.id, "references", "Records", Some("References, one a line."), "", &FieldErrors::default(), false))
                                (textarea_in(&h.hold.id, "pupils", "Pupils", Some("One a line."), "", &FieldErrors::default(), false))
                                div { button type="submit" { "Add to the hold" } }
                            }
                        }
                        details {
                            summary { "Lift the hold" }
                            form.stack method="post" action=(format!("/retention/holds/{}/lift", h.hold.id)) {
                                (csrf_field(&csrf))
                                (textarea_in(&format!("lift-{}", h.hold.id), "reason", "Why it is lifted", None, "", &FieldErrors::default(), true))
                                div { button.danger type="submit" { "Lift the hold" } }
                            }
                        }
                    }
                }
            }
            @if all.is_empty() { p.muted { "No legal hold has been placed." } }
        },
    )
}
