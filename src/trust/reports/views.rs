//! The trust report pages: the list of terms, one term as tables of the
//! schools side by side (printed on A4, landscape, as the trust board's
//! copy), the commentary and publishing form for the trust safeguarding
//! lead, and the card on a trustee's start page. A report holds counts
//! only: nothing here can name a pupil.

use chrono::NaiveDate;
use maud::{html, Markup};

use super::model::TrustReport;
use super::report::Listed;
use super::table::{Cell, ColumnKind, Median, Section, Table};
use crate::reports::pages::Editor;
use crate::reports::views::report::{publishing_form, Audience};
use crate::views::components::flash;
use crate::views::{layout, Page};

fn long(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

fn short(d: NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

pub fn list(page: &Page<'_>, trust: &str, terms: &[Listed], lead: bool) -> Markup {
    layout(
        page,
        html! {
            h1 { "Trust reports: " (trust) }
            p { "Each term's online safety incidents across the trust's schools, in numbers and side by side: how many, of what kind, how quickly leadership acknowledged them, and the trust safeguarding lead's commentary. No report names or describes a pupil, and no school with only a handful of incidents is named." }
            @if lead {
                p.muted { "Trustees see a term's report once you publish it, with the figures as they were then." }
            } @else {
                p.muted { "The reports the trust's safeguarding lead has published, newest first." }
            }
            @if terms.is_empty() {
                p { strong { "No trust report has been published yet." } " The trust's safeguarding lead publishes each term's report for trustees." }
            } @else {
                table {
                    thead { tr { th { "Term" } th { "Report" } } }
                    tbody {
                        @for l in terms {
                            tr {
                                td { a href=(l.path()) { (l.label()) } }
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

/// A trustee's start page card: the latest published report.
pub fn home_card(latest: Option<&Listed>) -> Markup {
    html! {
        section.card #trust-report {
            @if let Some(l) = latest {
                h2 { a href=(l.path()) { "Latest trust report: " (l.label()) } }
                @if let Some((_, at)) = l.published {
                    p { "Published " (long(at.date())) ". Each school's online safety incidents that term, in numbers, side by side, with the trust safeguarding lead's commentary. No names, no details." }
                }
                p { a href="/trust/reports" { "Every published trust report" } }
            } @else {
                h2 { a href="/trust/reports" { "Trust reports" } }
                p { "No trust report has been published yet. The trust's safeguarding lead publishes each term's report for trustees." }
            }
        }
    }
}

/// The column a breakdown's labels sit in.
fn first_head(section: &str) -> &'static str {
    match section {
        "by_category" => "Category",
        "by_four_c" => "4C",
        "by_year_group" => "Year group",
        "by_month" => "Month",
        "by_location" => "Where",
        "referrals_by_agency" => "Agency",
        _ => "",
    }
}

fn hours(h: f64) -> String {
    if h >= 48.0 {
        format!("{h:.1} hours ({:.1} days)", h / 24.0)
    } else {
        format!("{h:.1} hours")
    }
}

fn median(m: Median) -> String {
    match m {
        Median::Hours(h) => hours(h),
        Median::NoneAcknowledged => "none acknowledged".into(),
        Median::NotKnown => "not known".into(),
        Median::Withheld => "[c]".into(),
    }
}

fn cell(c: Cell) -> Markup {
    html! {
        @match c {
            Cell::Withheld => abbr title="Withheld so that a small count cannot be worked out" { "[c]" },
            Cell::NotCounted => span title="Not in this school's term" { "–" },
            other => (other),
        }
    }
}

/// One part of the report: a table with the whole trust, then each named
/// school, then the other schools. It scrolls sideways inside itself on a
/// narrow screen (the page does not).
fn section_table(t: &Table, s: &Section, extra: Markup) -> Markup {
    let caption = match s.key {
        "totals" => "Incidents this term, by school".to_string(),
        _ => format!("{}, by school", s.heading),
    };
    html! {
        div.table-wide role="region" aria-label=(caption) tabindex="0" {
            table.figures.trust-figures data-section=(s.key) {
                caption { (caption) }
                thead {
                    tr {
                        th scope="col" { (first_head(s.key)) }
                        @for c in &t.columns {
                            th.num scope="col" data-column=(column_key(&c.kind)) { (c.heading) }
                        }
                    }
                }
                tbody {
                    @for l in &s.lines {
                        tr data-line=(l.key) {
                            th scope="row" { (l.label) }
                            @for c in &l.cells { td.num { (cell(*c)) } }
                        }
                    }
                    (extra)
                }
            }
        }
    }
}

fn column_key(kind: &ColumnKind) -> &'static str {
    match kind {
        ColumnKind::Trust => "trust",
        ColumnKind::School => "school",
        ColumnKind::Others => "others",
    }
}

pub fn show(
    page: &Page<'_>,
    r: &TrustReport,
    t: &Table,
    editor: Option<&Editor>,
    lead: bool,
) -> Markup {
    let s = r.snapshot();
    let k = t.k;
    let changes = r.changes();
    let grouped = t
        .columns
        .iter()
        .find(|c| c.kind == ColumnKind::Others)
        .map(|c| c.members.len());
    layout(
        page,
        html! {
            div.report.trust-report {
                // Printed at the top of every page (style.css, @media print).
                div.print-head aria-hidden="true" { (r.trust_name) " · Trust online safety report: " (s.label()) }
                p.school { (r.trust_name) }
                h1 { "Trust online safety report: " (s.label()) }
                p.muted.counted {
                    "Each school is counted as its own report counts it, by its own term dates: from the first day of its " (s.term.as_str()) " term to the day before its next term starts. Records entered in error are left out."
                    @if k > 1 {
                        " Counts from 1 to " (k - 1) " are shown as \u{201c}<" (k) "\u{201d}, and no school with fewer than " (k) " incidents this term is named, so that no pupil can be picked out."
                    }
                }
                @if let Some(n) = grouped {
                    p.muted.grouped {
                        "\u{201c}Other schools\u{201d} adds up " (n) " " (if n == 1 { "school" } else { "schools" })
                        " with few incidents this term (when those come to fewer than " (k) ", the next smallest school joins them, so that no total in the table is a small number)."
                    }
                }
                @if t.any_withheld() {
                    p.muted.withheld {
                        strong { "[c]" } " marks a figure withheld so that a count under " (k) " cannot be worked out by adding or subtracting the others (the whole trust's figure less the schools shown, or a school's total less its other lines). Whole-trust figures and totals are kept wherever they can be."
                    }
                }
                @if let Some(p) = &r.published {
                    p.status {
                        strong { "Published " (long(p.published_at.date())) } " by " (p.published_by)
                        @if p.version > 1 { " (version " (p.version) ")" }
                        ". These are the figures as published."
                    }
                    @if let (Some(reason), true) = (&p.reason, lead) {
                        p.muted.no-print { "Published again because: " (reason) }
                    }
                } @else {
                    p.status { strong { "Not published yet." } " These are the live figures; they change as records are added or corrected. Trustees see this report once it is published." }
                    @if r.in_progress {
                        (flash("warn", "This term has not ended at every school: the figures are so far."))
                    }
                }
                @if lead && !changes.is_empty() {
                    div.flash.warn.changed role="note" {
                        strong { "The figures have changed since this report was published" }
                        " (records were added or corrected afterwards) at: " (changes.join(", ")) ". "
                        "The figures below are as published and are what trustees see. Publish again to give trustees the corrected figures."
                    }
                }

                section.report-part.commentary #commentary-text {
                    h2 { "Commentary from the trust safeguarding lead" }
                    @if let Some(text) = r.commentary() {
                        p.text { (text) }
                    } @else {
                        p.muted { "The commentary is added when the report is published." }
                    }
                }

                @for section in &t.sections {
                    section.report-part data-part=(section.key) {
                        h2 { (section.heading) }
                        @if section.key == "totals" {
                            (section_table(t, section, html! {
                                tr data-line="counted" {
                                    th scope="row" { "Days counted" }
                                    @for c in &t.columns {
                                        td.num.dates {
                                            @match c.window {
                                                Some((from, to)) => { (short(from)) " to " (short(to)) },
                                                None => "each school's own",
                                            }
                                        }
                                    }
                                }
                            }))
                        } @else if section.key == "acknowledgement" {
                            (section_table(t, section, html! {
                                tr data-line="median_hours_to_acknowledge" {
                                    th scope="row" { "Median time from logging to acknowledgement" }
                                    @for m in &t.medians { td.num { (median(*m)) } }
                                }
                            }))
                        } @else if section.lines.is_empty() {
                            p { "None this term." }
                        } @else {
                            (section_table(t, section, html! {}))
                        }
                        @if !section.none.is_empty() {
                            p.none { "None this term: " (section.none.join("; ")) "." }
                        }
                    }
                }
                @if t.too_few {
                    p.too-few { "The trust's schools logged fewer than " (k) " incidents this term between them, so no breakdown is shown: with so few, any breakdown could tell who they were about." }
                }

                p.no-print.downloads {
                    a.button.secondary href=(format!("{}.csv", r.path())) download { "Download figures (CSV)" }
                    " "
                    span.muted { "To print or save as PDF, use your browser's Print (it prints on A4, landscape)." }
                }

                @if let Some(e) = editor { (commentary_form(page, r, e)) }

                div.print-confidential aria-hidden="true" {
                    "Confidential: for the trust board. Do not share outside it."
                }
            }
        },
    )
}

fn commentary_form(page: &Page<'_>, r: &TrustReport, e: &Editor) -> Markup {
    let csrf = page.csrf.clone().unwrap_or_default();
    publishing_form(&csrf, &r.path(), r.published.is_some(), e, &TRUSTEES)
}

const TRUSTEES: Audience = Audience {
    readers: "trustees",
    capitalised: "Trustees",
    intro: "Publishing gives trustees this term's figures for every school as they are now, with your commentary. They stay as published: corrections made afterwards are noted here, and trustees keep reading the published figures until you publish again.",
    hint: "Trends across the schools, actions taken, training, filtering and monitoring. Never name or describe a pupil or a member of staff, or anything that could identify them, or a school the table does not name.",
    reason_kept_for: "you",
};
