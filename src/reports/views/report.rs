//! The list of reports and one term's report: figures, each breakdown as a
//! table with its bars, the commentary, the lead's note when figures changed
//! after publishing, and (for the Online Safety Lead) the commentary and
//! publishing form. Nothing here can name a pupil: a report holds only
//! counts.

use chrono::NaiveDate;
use maud::{html, Markup};

use super::charts::{self, Bar};
use crate::reports::model::{Count, Report};
use crate::reports::pages::Editor;
use crate::reports::report::Listed;
use crate::views::components::{csrf_field, error_summary, flash};
use crate::views::{layout, Page};

fn long(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

fn path(r: &Report) -> String {
    format!("/reports/{}/{}", r.term.year, r.term.term)
}

/// The terms a reader may open: for a lead every term (governors see a
/// term once it is published), for a governor the published ones.
pub fn list(page: &Page<'_>, terms: &[Listed], lead: bool) -> Markup {
    layout(
        page,
        html! {
            h1 { "Reports for governors" }
            p { "Each term's online safety incidents in numbers: how many, of what kind, how quickly leadership acknowledged them, and the Online Safety Lead's commentary. No report names or describes a pupil." }
            @if lead {
                p.muted { "Governors see a term's report once the Online Safety Lead publishes it, with the figures as they were then." }
            } @else {
                p.muted { "The reports the Online Safety Lead has published, newest first." }
            }
            @if terms.is_empty() {
                p { strong { "No report has been published yet." } " The Online Safety Lead publishes each term's report for governors." }
            } @else {
            table {
                thead { tr { th { "Term" } th { "Dates" } th { "Report" } } }
                tbody {
                    @for l in terms {
                        tr {
                            td { a href=(format!("/reports/{}/{}", l.term.year, l.term.term)) { (l.term.label()) } }
                            td { (long(l.term.starts_on)) " to " (long(l.term.ends_on)) }
                            td {
                                @if let Some((version, at)) = l.published {
                                    strong { "Published" } " " (long(at.date()))
                                    @if version > 1 { " (version " (version) ")" }
                                } @else if l.current {
                                    "Current term: figures so far"
                                } @else {
                                    span.muted { "Not published yet" }
                                }
                            }
                        }
                    }
                }
            }
            }
        },
    )
}

/// A breakdown, once: a table whose rows carry their bars. `all`: every
/// line, noughts too (months, the 4Cs, in or out of school, where a nought
/// is the point); otherwise the lines with incidents, and the others named
/// in one sentence after it (sixteen categories would be sixteen rows).
fn breakdown(r: &Report, caption: &str, heads: (&str, &str), rows: &[Count], all: bool) -> Markup {
    let bars: Vec<Bar<'_>> = rows
        .iter()
        .filter(|c| all || c.count > 0)
        .map(|c| Bar {
            label: &c.label,
            shown: r.cell(c.count),
        })
        .collect();
    let none: Vec<&str> = rows
        .iter()
        .filter(|c| !all && c.count == 0)
        .map(|c| c.label.as_str())
        .collect();
    html! {
        @if bars.is_empty() {
            p { "No incidents." }
        } @else {
            (charts::table(caption, heads, &bars))
            @if !none.is_empty() {
                p.none { "None this term: " (none.join("; ")) "." }
            }
        }
    }
}

fn hours(h: f64) -> String {
    if h >= 48.0 {
        format!("{h:.1} hours ({:.1} days)", h / 24.0)
    } else {
        format!("{h:.1} hours")
    }
}

/// The totals and parts that changed, as people read them.
fn change_label(name: &str) -> &'static str {
    match name {
        "total" => "the total",
        "previous_term_total" => "last term's total",
        "same_term_last_year_total" => "the same term last year",
        "acknowledged" => "acknowledged",
        "median_hours_to_acknowledge" => "the median time to acknowledge",
        "open_at_end_of_term" => "cases open at the end of term",
        "by_category" => "by category",
        "by_four_c" => "by 4C",
        "by_year_group" => "by year group",
        "by_month" => "by month",
        "by_location" => "in or out of school",
        "referrals_by_agency" => "referrals",
        _ => "other figures",
    }
}

/// Who the report is shown to, and for which school.
pub struct Shown<'a> {
    pub school: &'a str,
    /// A lead (live figures, the note of changes, the JSON link); otherwise
    /// a governor, whose copy is the published one.
    pub lead: bool,
}

/// The median time to acknowledge, in words: never "0.0 hours" for none.
fn median(f: &crate::reports::model::Figures) -> String {
    match f.median_hours_to_acknowledge {
        Some(h) if f.acknowledged > 0 => hours(h),
        _ if f.acknowledged == 0 => "none acknowledged".to_string(),
        _ => "not known (acknowledgements imported from the old log have no time)".to_string(),
    }
}

pub fn show(page: &Page<'_>, r: &Report, editor: Option<&Editor>, shown: &Shown<'_>) -> Markup {
    let f = r.figures();
    let t = r.shown_term();
    let w = r.shown_window();
    let k = r.k();
    let changes = r.changes();
    layout(
        page,
        html! {
            div.report {
                // Printed at the top of every page: a fixed element repeats
                // on each printed page (style.css, @media print).
                div.print-head aria-hidden="true" { (shown.school) " · Online safety report: " (t.label()) }
                p.school { (shown.school) }
                h1 { "Online safety report: " (t.label()) }
                p.muted.counted {
                    "Incidents counted from " (long(w.first)) " to " (long(w.last))
                    " (the term, and the holiday after it). An incident counts in the term it happened in, or, if its date is not known, the term it was logged in. Records entered in error are left out."
                    @if k > 1 { " Counts from 1 to " (k - 1) " are shown as \u{201c}<" (k) "\u{201d} so that no pupil can be picked out." }
                }
                @if let Some(p) = &r.published {
                    p.status {
                        strong { "Published " (long(p.published_at.date())) } " by " (p.published_by)
                        @if p.version > 1 { " (version " (p.version) ")" }
                        ". These are the figures as published."
                    }
                    @if let (Some(reason), Some(_)) = (&p.reason, editor) {
                        p.muted.no-print { "Published again because: " (reason) }
                    }
                    @if p.published_at.date() <= w.last {
                        (flash("warn", &format!(
                            "Published before this term's counting ended ({}): the figures are those up to {}.",
                            long(w.last),
                            long(p.published_at.date())
                        )))
                    }
                } @else {
                    p.status { strong { "Not published yet." } " These are the live figures; they change as records are added or corrected. Governors see this report once it is published." }
                    @if r.in_progress {
                        (flash("warn", "This term has not ended: the figures are so far."))
                    }
                }
                // Only a lead's copy has live figures to compare; a
                // governor reads what was published.
                @if shown.lead && !changes.is_empty() {
                    div.flash.warn.changed role="note" {
                        strong { "The figures have changed since this report was published" }
                        " (records were added or corrected afterwards). The figures below are as published and are what governors see. Live figures now: "
                        "total " (r.live.total) " (published " (f.total) "); "
                        "acknowledged " (r.live.acknowledged) " (published " (f.acknowledged) "); "
                        "open at the end of term " (r.live.open_at_end_of_term) " (published " (f.open_at_end_of_term) "). "
                        "Changed: " (changes.iter().map(|c| change_label(c)).collect::<Vec<_>>().join(", ")) ". "
                        "Publish again to give governors the corrected figures."
                    }
                }

                section.report-part {
                    h2 { "Incidents this term" }
                    table.figures.totals {
                        caption { "Total incidents, compared" }
                        thead { tr { th scope="col" { "Term" } th.num scope="col" { "Incidents" } } }
                        tbody {
                            tr { th scope="row" { strong { "This term (" (t.label()) ")" } } td.num { strong { (f.total) } } }
                            tr { th scope="row" { "Last term (" (r.previous.label()) ")" } td.num { (f.previous_term_total) } }
                            tr { th scope="row" { "Same term last year (" (r.same_term_last_year.label()) ")" } td.num { (f.same_term_last_year_total) } }
                        }
                    }
                }

                section.report-part.commentary #commentary-text {
                    h2 { "Commentary from the Online Safety Lead" }
                    @if let Some(text) = r.commentary() {
                        p.text { (text) }
                    } @else {
                        p.muted { "The commentary is added when the report is published." }
                    }
                }

                section.report-part {
                    h2 { "By category" }
                    (breakdown(r, "Incidents by category", ("Category", "Incidents"), &f.by_category, false))
                }
                // The short breakdowns side by side where there is room (two
                // columns on a printed page).
                div.report-grid {
                    section.report-part {
                        h2 { "By the 4Cs of online risk" }
                        (breakdown(r, "Incidents by 4C (content, contact, conduct, commerce)", ("4C", "Incidents"), &f.by_four_c, true))
                    }
                    section.report-part {
                        h2 { "By month" }
                        (breakdown(r, "Incidents by month", ("Month", "Incidents"), &f.by_month, true))
                    }
                    section.report-part {
                        h2 { "By year group" }
                        (breakdown(r, "Incidents by year group", ("Year group", "Incidents"), &f.by_year_group, true))
                    }
                    section.report-part {
                        h2 { "In or out of school" }
                        @if f.total == 0 { p { "No incidents." } }
                        @else { (breakdown(r, "Where incidents happened", ("Where", "Incidents"), &f.by_location, true)) }
                    }
                    section.report-part {
                        h2 { "Referrals to outside agencies" }
                        @if f.referrals_by_agency.is_empty() { p { "None this term." } }
                        @else {
                            p.muted { "Referrals made during the term." }
                            (breakdown(r, "Referrals by agency", ("Agency", "Referrals"), &f.referrals_by_agency, true))
                        }
                    }
                    section.report-part #decisions {
                        h2 { "Decisions recorded with reasons" }
                        p.muted { "Decisions made during the term, each recorded with its reason (KCSIE)." }
                        (breakdown(r, "Decisions by kind", ("Decision", "Cases"), &f.decisions, true))
                    }
                }
                section.report-part {
                    h2 { "Leadership acknowledgement and open cases" }
                    table.figures.totals {
                        caption { "Acknowledgement and open cases" }
                        tbody {
                            tr { th scope="row" { "Incidents acknowledged by leadership by the end of term" } td.num { (f.acknowledged) " of " (f.total) } }
                            tr {
                                th scope="row" { "Median time from logging to acknowledgement" }
                                td.num { (median(f)) }
                            }
                            tr { th scope="row" { "Cases still open at the end of term (this term's and earlier terms', as logged by then)" } td.num { (f.open_at_end_of_term) } }
                            @if f.referrals_awaiting_reference > 0 {
                                tr { th scope="row" { "Referrals still waiting for the agency's reference" } td.num { (f.referrals_awaiting_reference) } }
                            }
                        }
                    }
                }

                // A governor's copy downloads as the published figures; the
                // JSON is for the leads' own tools.
                p.no-print.downloads {
                    a.button.secondary href=(format!("{}.csv", path(r))) download { "Download figures (CSV)" }
                    " "
                    @if shown.lead {
                        a.button.secondary href=(format!("/api/v1/reports/termly?year={}&term={}", r.term.year, r.term.term)) { "JSON" }
                        " "
                    }
                    span.muted { "To print or save as PDF, use your browser's Print." }
                }

                @if let Some(e) = editor { (commentary_form(page, r, e)) }

                div.print-confidential aria-hidden="true" {
                    "Confidential: for the governing board. Do not share outside it."
                }
            }
        },
    )
}

fn commentary_form(page: &Page<'_>, r: &Report, e: &Editor) -> Markup {
    let csrf = page.csrf.clone().unwrap_or_default();
    publishing_form(&csrf, &path(r), r.published.is_some(), e, &GOVERNORS)
}

/// Who a report is published to, in the words of its publishing form.
pub struct Audience {
    /// "governors", in a sentence.
    pub readers: &'static str,
    /// "Governors", to begin one.
    pub capitalised: &'static str,
    pub intro: &'static str,
    pub hint: &'static str,
    /// Who keeps the reason for publishing again.
    pub reason_kept_for: &'static str,
}

const GOVERNORS: Audience = Audience {
    readers: "governors",
    capitalised: "Governors",
    intro: "Publishing gives governors this term's figures as they are now, with your commentary. They stay as published: corrections made afterwards are shown to the leads beside them as a note, and governors keep reading the published figures until you publish again.",
    hint: "Trends, actions taken, training, filtering and monitoring. Governors read this: never name or describe a pupil or a member of staff, or anything that could identify them.",
    reason_kept_for: "the leads",
};

/// The commentary and publishing form of a termly report, a school's or a
/// trust's: `base` is the report's address, `republish` whether a version
/// is out already (publishing again then needs a reason).
pub fn publishing_form(
    csrf: &str,
    base: &str,
    republish: bool,
    e: &Editor,
    to: &Audience,
) -> Markup {
    let error = |f: &str| e.errors.get(f);
    html! {
        section.card.no-print #publishing {
            h2 { "Commentary and publishing" }
            @if e.saved { (flash("ok", &format!("Draft saved. {} will see it when you publish.", to.capitalised))) }
            (error_summary(&e.errors, &["commentary", "reason"]))
            p { (to.intro) }
            form.stack method="post" action=(format!("{base}/publish")) {
                (csrf_field(csrf))
                div.field.has-error[error("commentary").is_some()] #f-commentary {
                    label for="commentary" {
                        "Commentary for " (to.readers) br;
                        span.hint { (to.hint) }
                    }
                    textarea #commentary name="commentary" rows="10" maxlength="6000"
                        aria-invalid=[error("commentary").map(|_| "true")] { (e.text) }
                    @if let Some(m) = error("commentary") { p.error { (m) } }
                }
                @if republish {
                    div.field.has-error[error("reason").is_some()] #f-reason {
                        label for="reason" {
                            "Why publish again?" br;
                            span.hint { "Needed to publish a new version. " (to.capitalised) " see that there is a new version; this reason is kept for " (to.reason_kept_for) "." }
                        }
                        input #reason type="text" name="reason" value=(e.reason) maxlength="500"
                            aria-invalid=[error("reason").map(|_| "true")];
                        @if let Some(m) = error("reason") { p.error { (m) } }
                    }
                }
                div {
                    button.secondary type="submit" formaction=(format!("{base}/commentary")) { "Save draft" }
                    " "
                    button type="submit" {
                        @if republish { "Publish again" } @else { "Publish to " (to.readers) }
                    }
                }
            }
        }
    }
}
