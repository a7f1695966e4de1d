//! The review's pages: the list of years, one year (printable as the
//! termly report is: the same `report` classes and print styles), and the
//! register of filtering decisions. Counts only; the register's entries
//! are about the filtering, never a pupil.

use chrono::{NaiveDate, NaiveDateTime};
use maud::{html, Markup};

use super::pages::DecisionInput;
use super::{year_label, Decision, Review};
use crate::forms::FieldErrors;
use crate::monitoring::figures::span;
use crate::reports::model::Count;
use crate::reports::pages::Editor;
use crate::reports::views::report::{publishing_form, Audience};
use crate::views::components::{csrf_field, error_summary, flash, Field};
use crate::views::{layout, Page};

fn long(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

pub struct Listed {
    pub year: i32,
    pub current: bool,
    pub published: Option<(i32, NaiveDateTime)>,
}

const GOVERNORS: Audience = Audience {
    readers: "governors",
    capitalised: "Governors",
    intro: "Publishing gives governors this year's filtering and monitoring figures and register as they are now, with your commentary. They stay as published: alerts and decisions recorded afterwards do not change the governors' copy until you publish again.",
    hint: "How well filtering and monitoring worked: what the alerts showed, how fast they were looked at, what changed in the filtering and why, and what the school will change. Governors read this: never name or describe a pupil or a member of staff.",
    reason_kept_for: "the DSL and headteacher",
};

pub fn list(page: &Page<'_>, years: &[Listed], lead: bool) -> Markup {
    layout(
        page,
        html! {
            h1 { "Filtering and monitoring review" }
            p { "Once a year the governing board reviews how well the school's filtering and monitoring work (KCSIE). Each year's review gives the monitoring alerts in numbers, how fast they were looked at and what became of them, the incidents of filtering or monitoring breaches, and the register of decisions about what the filtering blocks or allows." }
            @if lead {
                p.muted { "Governors see a year's review once the DSL or headteacher publishes it, with the figures as they were then." }
                p { a href="/filtering-review/decisions" { "Register of filtering decisions" } }
            }
            @if years.is_empty() {
                p { strong { "No review has been published yet." } " The DSL or headteacher publishes the year's review for governors." }
            } @else {
                table {
                    thead { tr { th { "Academic year" } th { "Review" } } }
                    tbody { @for l in years { tr {
                        td { a href=(format!("/filtering-review/{}", l.year)) { (year_label(l.year)) } }
                        td {
                            @if let Some((version, at)) = l.published {
                                strong { "Published" } " " (long(at.date()))
                                @if version > 1 { " (version " (version) ")" }
                            } @else if l.current {
                                "Current year: figures so far"
                            } @else {
                                span.muted { "Not published yet" }
                            }
                        }
                    } } }
                }
            }
        },
    )
}

/// A breakdown as a table of shown counts; `all` keeps the noughts.
fn breakdown(r: &Review, caption: &str, heads: (&str, &str), rows: &[Count], all: bool) -> Markup {
    let shown: Vec<&Count> = rows.iter().filter(|c| all || c.count > 0).collect();
    html! {
        @if shown.is_empty() {
            p { "None." }
        } @else {
            table.figures {
                caption { (caption) }
                thead { tr { th scope="col" { (heads.0) } th.num scope="col" { (heads.1) } } }
                tbody { @for c in shown { tr data-line=(c.key) {
                    th scope="row" { (c.label) }
                    td.num { (r.cell(c.count)) }
                } } }
            }
        }
    }
}

pub fn show(
    page: &Page<'_>,
    r: &Review,
    editor: Option<&Editor>,
    school: &str,
    lead: bool,
) -> Markup {
    let f = r.figures();
    let k = r.k();
    let title = format!("Filtering and monitoring review {}", r.label());
    let csrf = page.csrf.clone().unwrap_or_default();
    layout(
        page,
        html! {
            div.report.review {
                div.print-head aria-hidden="true" { (school) " · " (title) }
                p.school { (school) }
                h1 { (title) }
                p.muted.counted {
                    "Alerts received, and incidents counted, from " (long(r.first)) " to " (long(r.last)) " (the academic year, by the school's term dates)."
                    @if k > 1 { " Counts from 1 to " (k - 1) " are shown as \u{201c}<" (k) "\u{201d} so that no pupil can be picked out." }
                }
                @if let Some(p) = &r.published {
                    p.status {
                        strong { "Published " (long(p.published_at.date())) } " by " (p.published_by)
                        @if p.version > 1 { " (version " (p.version) ")" }
                        ". These are the figures as published."
                        @if p.published_at.date() < r.last {
                            " The year had not ended then: they count what was recorded up to " (long(p.published_at.date())) "."
                        }
                    }
                    @if let (Some(reason), true) = (&p.reason, lead) {
                        p.muted.no-print { "Published again because: " (reason) }
                    }
                    @if lead && r.changed_since_publishing() {
                        div.flash.warn.changed role="note" {
                            strong { "The figures have changed since this review was published" }
                            " (alerts, triage or register entries were added afterwards): now "
                            (r.live.alerts) " alerts (published " (f.alerts) "), "
                            (r.live.decisions.len()) @if r.live.decisions.len() == 1 { " register entry" } @else { " register entries" } " (published " (f.decisions.len()) "). "
                            "Governors keep reading the published figures. Publish again to give them the new ones."
                        }
                    }
                } @else {
                    p.status { strong { "Not published yet." } " These are the live figures; governors see the review once it is published." }
                    @if r.in_progress { (flash("warn", "This academic year has not ended: the figures are so far.")) }
                }

                section.report-part {
                    h2 { "Monitoring alerts this year" }
                    table.figures.totals {
                        caption { "Alerts and how fast they were looked at" }
                        tbody {
                            tr { th scope="row" { strong { "Alerts received" } } td.num { strong { (f.alerts) } } }
                            tr { th scope="row" { "Looked at" } td.num { (r.cell(f.looked_at)) } }
                            tr {
                                th scope="row" { "Median time from arrival to the first look" }
                                td.num { (f.median_minutes_to_first_look.map_or_else(|| "none looked at".to_string(), |m| span(chrono::Duration::minutes(m)))) }
                            }
                            tr { th scope="row" { "Promoted to an incident" } td.num { (r.cell(f.promoted)) } }
                            tr { th scope="row" { "Incidents of filtering or monitoring breaches (" code { "filtering-breach" } ")" } td.num { (r.cell(f.filtering_breach_incidents)) } }
                        }
                    }
                }

                section.report-part.commentary #commentary-text {
                    h2 { "Commentary" }
                    @if let Some(p) = &r.published { p.text { (p.commentary) } }
                    @else { p.muted { "The commentary is added when the review is published." } }
                }

                div.report-grid {
                    section.report-part {
                        h2 { "By source" }
                        (breakdown(r, "Alerts by monitoring tool", ("Source", "Alerts"), &f.by_source, true))
                    }
                    section.report-part {
                        h2 { "By severity" }
                        (breakdown(r, "Alerts by severity", ("Severity", "Alerts"), &f.by_severity, true))
                    }
                    section.report-part {
                        h2 { "By outcome" }
                        (breakdown(r, "What became of the alerts", ("Outcome", "Alerts"), &f.by_outcome, true))
                    }
                    section.report-part {
                        h2 { "What promoted alerts became" }
                        (breakdown(r, "Incidents logged from alerts, by category", ("Category", "Incidents"), &f.promoted_became, false))
                    }
                }

                section.report-part #register {
                    h2 { "Register of filtering decisions" }
                    p.muted { "What the school decided its filtering blocks or allows this year, who decided and why (DfE filtering and monitoring standards). Corrections are further entries." }
                    (decision_table(&f.decisions))
                }

                p.no-print.downloads { span.muted { "To print or save as PDF, use your browser's Print." } }

                @if let Some(e) = editor {
                    (publishing_form(&csrf, &format!("/filtering-review/{}", r.year), r.published.is_some(), e, &GOVERNORS))
                }

                div.print-confidential aria-hidden="true" {
                    "Confidential: for the governing board. Do not share outside it."
                }
            }
        },
    )
}

fn decision_table(entries: &[Decision]) -> Markup {
    html! {
        @if entries.is_empty() {
            p { "No decisions recorded." }
        } @else {
            table.stack.register {
                thead { tr {
                    th scope="col" { "Date" }
                    th scope="col" { "What changed" }
                    th scope="col" { "Who decided" }
                    th scope="col" { "Reason" }
                } }
                tbody { @for d in entries { tr id=(format!("decision-{}", d.id)) {
                    td data-label="Date" { (d.decided_on.format("%d/%m/%Y")) }
                    td data-label="What changed" {
                        @if let Some(c) = &d.corrects_id {
                            @if let Some(orig) = entries.iter().find(|o| &o.id == c) {
                                span.badge { "Correction of the entry of " (orig.decided_on.format("%d/%m/%Y")) } " "
                            } @else { span.badge { "Correction" } " " }
                        }
                        span.text { (d.change) }
                    }
                    td data-label="Who decided" { (d.decided_by) }
                    td data-label="Reason" { span.text { (d.reason) } }
                } } }
            }
        }
    }
}

pub fn register(
    page: &Page<'_>,
    entries: &[Decision],
    typed: &DecisionInput,
    errors: &FieldErrors,
) -> Markup {
    let csrf = page.csrf.clone().unwrap_or_default();
    layout(
        page,
        html! {
            p { a href="/filtering-review" { "← Filtering and monitoring review" } }
            h1 { "Register of filtering decisions" }
            p {
                "Record each decision about what the school's filtering blocks or allows: the date, what changed, who decided and why, as the DfE filtering and monitoring standards ask. "
                "The year's entries go into the annual review for governors. Entries are never changed or removed: to correct one, add a new entry that says which it corrects."
            }
            section.card #add-decision {
                h2 { "Add a decision" }
                (error_summary(errors, &["decided_on", "change", "decided_by", "reason", "corrects_id"]))
                form.stack method="post" action="/filtering-review/decisions" {
                    (csrf_field(&csrf))
                    (Field::text("decided_on", "Date of the decision", &typed.decided_on).hint("dd/mm/yyyy").render(errors))
                    (crate::incidents::views::textarea("change", "What changed", Some("What the filtering now blocks or allows, for whom. Governors read this: name no pupil."), &typed.change, errors, true))
                    (Field::text("decided_by", "Who decided", &typed.decided_by).hint("A name or role, e.g. the DSL with the IT manager").render(errors))
                    (crate::incidents::views::textarea("reason", "Reason", None, &typed.reason, errors, true))
                    @if !entries.is_empty() {
                        div.field.has-error[errors.get("corrects_id").is_some()] #f-corrects_id {
                            label for="f-corrects" { "Corrects an earlier entry (optional)" }
                            select #f-corrects name="corrects_id" {
                                option value="" { "No: a new decision" }
                                @for d in entries {
                                    option value=(d.id) selected[typed.corrects_id == d.id] {
                                        (d.decided_on.format("%d/%m/%Y")) ": " (d.change.chars().take(60).collect::<String>())
                                    }
                                }
                            }
                            @if let Some(m) = errors.get("corrects_id") { p.error { (m) } }
                        }
                    }
                    div { button type="submit" { "Add to the register" } }
                }
            }
            section.card #entries {
                h2 { "Entries" }
                (decision_table(entries))
                @if !entries.is_empty() {
                    p.muted { "Recorded in safelog by: "
                        @for (i, d) in entries.iter().enumerate() {
                            @if i > 0 { "; " }
                            (d.decided_on.format("%d/%m/%Y")) ", " (d.recorded_by)
                        }
                    }
                }
            }
        },
    )
}
