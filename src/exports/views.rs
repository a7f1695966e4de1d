//! The spreadsheet upload page: the form, a dry run's findings, and what an
//! import made.

use maud::{html, Markup};

use super::import::{Earlier, Report, HISTORY_OUTCOME};
use crate::spreadsheet::columns::SPREADSHEET;
use crate::views::components::{csrf_field, flash};
use crate::views::{layout, Page};

/// What the page shows under its heading.
pub enum Shown<'a> {
    /// The upload could not be read as the spreadsheet at all.
    Unreadable(String),
    Report {
        report: &'a Report,
        file_name: &'a str,
        /// The file as base64, to import it after a clean dry run.
        content: Option<&'a str>,
    },
}

/// The upload form's target. The CSRF token travels in the form's first
/// field, never in the address (where history and proxy logs keep it).
fn action(_page: &Page<'_>) -> String {
    "/import/log".into()
}

fn token_field(page: &Page<'_>) -> Markup {
    csrf_field(&page.csrf.clone().unwrap_or_default())
}

fn day(d: Option<chrono::NaiveDate>) -> String {
    d.map_or_else(|| "Not known".into(), |d| d.format("%d/%m/%Y").to_string())
}

/// Whether the incidents arrive as closed history or with the file's own
/// status: what a DSL most needs to know before importing years of log.
fn arrival(report: &Report) -> Markup {
    html! {
        @for said in report.arrival() { p.arrival { (said) } }
    }
}

fn findings(page: &Page<'_>, report: &Report, file_name: &str, content: Option<&str>) -> Markup {
    let n = report.tally.created;
    html! {
        @if !report.problems.is_empty() {
            div.flash.error role="alert" {
                strong {
                    "Nothing was imported. " (report.problems.len()) " problem"
                    @if report.problems.len() != 1 { "s" }
                    " in " (file_name) ": correct the file and check it again."
                }
            }
            table.problems {
                thead { tr { th { "Line" } th { "Column" } th { "Problem" } } }
                tbody {
                    @for p in &report.problems {
                        tr { td { (p.line) } td { (p.column) } td { (p.message) } }
                    }
                }
            }
        } @else if report.imported {
            (flash("ok", &format!(
                "Imported {n} incident{} from {file_name}{}.",
                if n == 1 { "" } else { "s" },
                match (report.new_pupils, report.repeated.len()) {
                    (0, 0) => String::new(),
                    (p, 0) => format!(" ({p} new pupil record{})", if p == 1 { "" } else { "s" }),
                    (0, r) => format!(" ({r} row{} already in the log were skipped)", if r == 1 { "" } else { "s" }),
                    (p, r) => format!(" ({p} new pupil record{}; {r} row{} already in the log were skipped)", if p == 1 { "" } else { "s" }, if r == 1 { "" } else { "s" }),
                }
            )))
            (arrival(report))
        } @else {
            div.flash.ok role="status" {
                strong { "Dry run: nothing has been imported yet." }
                " Importing " (file_name) " would create " (n) " incident" @if n != 1 { "s" }
                " and " (report.new_pupils) " new pupil record" @if report.new_pupils != 1 { "s" } "."
            }
            (arrival(report))
        }
        @if !report.notes.is_empty() {
            ul.notes { @for note in &report.notes { li { (note) } } }
        }
        @if !report.repeated.is_empty() {
            details {
                summary {
                    (report.repeated.len()) " row" @if report.repeated.len() != 1 { "s" }
                    " already imported: skipped, never added twice"
                }
                ul { @for r in &report.repeated {
                    li {
                        "Line " (r.line) ": "
                        @match &r.earlier {
                            Earlier::Line(first) => { "the same as line " (first) " of this file" },
                            Earlier::Imported(reference) => { "imported before as " (reference) },
                            Earlier::InLog(reference) => { "already in the log as " (reference) },
                        }
                    }
                } }
            }
        }
        @if !report.created.is_empty() {
            h2 { @if report.imported { "Incidents created" } @else { "What the import would create" } }
            table.incidents {
                thead { tr {
                    th { "Line" } th { "Reference" } th { "Pupil" } th { "Tutor group" } th { "Date" }
                    th { "Category" } th { "Status" } th { "LG acknowledged" }
                } }
                tbody {
                    @for p in &report.created {
                        tr {
                            td { (p.line) }
                            td {
                                @if report.imported || p.kept_reference { (p.reference) }
                                @else { span.muted { "new" } }
                            }
                            td { (p.pupil_name) @if p.new_pupil { " " span.badge { "new pupil" } } }
                            td { (p.tutor_group) }
                            td { (day(p.incident_date)) }
                            td { (p.category) }
                            td { (p.status.label()) @if p.history { ", as history" } }
                            td { @if p.acknowledged { "Yes (as imported)" } @else { "No" } }
                        }
                    }
                }
            }
            @if n > report.created.len() {
                p.muted { "And " (n - report.created.len()) " more: the first " (report.created.len()) " are listed." }
            }
        }
        @if let Some(content) = content {
            form.stack method="post" action=(action(page)) enctype="multipart/form-data" {
                (token_field(page))
                input type="hidden" name="content" value=(content);
                input type="hidden" name="file_name" value=(file_name);
                input type="hidden" name="mode" value="import";
                div { button type="submit" { "Import these " (n) " incident" @if n != 1 { "s" } } }
            }
        }
    }
}

pub fn import_page(page: &Page<'_>, shown: Option<&Shown<'_>>) -> Markup {
    layout(
        page,
        html! {
            h1 { "Import the old incident log" }
            @match shown {
                Some(Shown::Unreadable(message)) => {
                    div.flash.error role="alert" {
                        strong { "Nothing was imported. " } (message)
                    }
                },
                Some(Shown::Report { report, file_name, content }) => {
                    (findings(page, report, file_name, *content))
                },
                None => {},
            }
            section.card {
                h2 { "Upload the spreadsheet" }
                p {
                    "Save the school's online-safety incident log from the spreadsheet as CSV (UTF-8), with the columns "
                    (SPREADSHEET.join(", "))
                    " in any order. Dates as dd/mm/yyyy, or blank where not known; LG Acknowledged as TRUE or FALSE. "
                    "A CSV downloaded from safelog can be imported too: its Category, Status, Child at Risk, Where, Platform, Reference, Outcome and Closed At columns are used."
                }
                p {
                    "The old log is history, not new cases: each row arrives closed, with the outcome \u{201c}"
                    (HISTORY_OUTCOME)
                    "\u{201d} followed by its own Actions and Outcome, and alerts no one, waits in no queue and is not counted as open at the end of any term. "
                    "A row the file gives a status in a Status column keeps that status instead."
                }
                p {
                    "Check the file first: the dry run lists every problem by line and column, and what would be created, and changes nothing. "
                    "The import itself is all or nothing. Pupils are matched by name and tutor group, or created. "
                    "Importing the same file again, or a later copy that repeats earlier rows, adds nothing twice."
                }
                form.stack method="post" action=(action(page)) enctype="multipart/form-data" {
                (token_field(page))
                    div.field {
                        label for="f-file" { "Incident log (CSV)" }
                        input type="file" id="f-file" name="file" accept=".csv,text/csv" required;
                    }
                    div {
                        button type="submit" name="mode" value="check" { "Check the file (dry run)" }
                        " "
                        button.secondary type="submit" name="mode" value="import" { "Import" }
                    }
                }
                p.muted { "From a script: " code { "safelog import log FILE --dry-run" } }
            }
        },
    )
}
