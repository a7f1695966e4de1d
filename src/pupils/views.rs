//! A pupil's chronology (with the identifiers form) and the pupil-list
//! upload page (with the dry run's report and the nightly drop's runs).

use maud::{html, Markup};

use super::handlers::{Outcome, Roll};
use super::import::{Parsed, Summary};
use super::model::Pupil;
use crate::incidents::model::IncidentView;
use crate::incidents::store::read::Involvement;
use crate::views::components::flash;
use crate::views::{layout, Page};

fn day(d: chrono::NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// What a pupil's page shows.
pub struct Chronology {
    pub pupil: Pupil,
    pub entries: Vec<(IncidentView, Involvement)>,
    /// Reads incidents (an administrator alone does not: no chronology).
    pub reads: bool,
    /// The exclusions card, for the administrator and the DSL.
    pub exclusions: Option<super::exclusions::views::Panel>,
    /// Sees the date of birth, UPN, child identifier and NHS number.
    pub lead: bool,
    /// May set the child identifier and NHS number.
    pub editor: bool,
    pub transfers: Option<Markup>,
    /// The identifiers as typed, when they were refused.
    pub identifiers: Option<IdentifiersEntry>,
}

/// The identifiers form as typed, with what to fix.
pub struct IdentifiersEntry {
    pub child_identifier: String,
    pub nhs_number: String,
    pub problems: Vec<String>,
}

impl Chronology {
    pub fn render(&self, page: &Page<'_>) -> Markup {
        chronology(page, self)
    }
}

fn chronology(page: &Page<'_>, c: &Chronology) -> Markup {
    let (pupil, entries, lead) = (&c.pupil, &c.entries, c.lead);
    let csrf = page.csrf.clone().unwrap_or_default();
    let typed = c.identifiers.as_ref();
    layout(
        page,
        html! {
            h1 { (pupil.name) }
            @if let Some(left) = pupil.left_at {
                p.flash.warn role="status" {
                    "Left the school: no longer on the roll the school's MIS sends since " (day(crate::views::time::uk(left).date())) ". Their records stay here, and they are no longer offered when logging."
                }
            }
            dl.record {
                dt { "Tutor group" } dd { (pupil.tutor_group.as_deref().unwrap_or("Not known")) }
                dt { "Year group" } dd { @match pupil.year_group { Some(y) => (y), None => "Not known" } }
                @if lead {
                    dt { "Date of birth" } dd { @match pupil.date_of_birth { Some(d) => (day(d)), None => "Not known" } }
                    dt { "UPN" } dd { (pupil.upn.as_deref().unwrap_or("Not known")) }
                    dt { "Child identifier" } dd { (pupil.child_identifier.as_deref().unwrap_or("Not known")) }
                    dt { "NHS number" } dd { (pupil.nhs_number.as_deref().map_or_else(|| "Not known".to_string(), spaced_nhs)) }
                }
            }
            @if c.editor {
                details.card.identifiers open[typed.is_some()] {
                    summary { "Change the child identifier or NHS number" }
                    @if let Some(t) = typed {
                        div.flash.error role="alert" {
                            strong { "Nothing was changed:" }
                            ul { @for p in &t.problems { li { (p) } } }
                        }
                    }
                    form.stack method="post" action=(format!("/pupils/{}/identifiers", pupil.id)) {
                        (crate::views::components::csrf_field(&csrf))
                        div.field {
                            label for="f-ci" { "Child identifier" }
                            input type="text" id="f-ci" name="child_identifier" maxlength="64" autocomplete="off"
                                value=(typed.map_or_else(|| pupil.child_identifier.clone().unwrap_or_default(), |t| t.child_identifier.clone()));
                            p.hint { "The consistent child identifier (Children's Wellbeing and Schools Act 2026), as the local authority gives it. Leave blank if not known." }
                        }
                        div.field {
                            label for="f-nhs" { "NHS number" }
                            input type="text" id="f-nhs" name="nhs_number" inputmode="numeric" maxlength="20" autocomplete="off"
                                value=(typed.map_or_else(|| pupil.nhs_number.as_deref().map(spaced_nhs).unwrap_or_default(), |t| t.nhs_number.clone()));
                            p.hint { "Ten digits, as in 943 476 5919. Leave blank if not known." }
                        }
                        div { button type="submit" { "Save" } }
                    }
                }
            }
            @if let Some(card) = &c.transfers { (card) }
            @if let Some(p) = &c.exclusions { (super::exclusions::views::panel(p, &pupil.id, &csrf)) }
            @if c.reads { (chronology_table(pupil, entries)) }
        },
    )
}

fn chronology_table(pupil: &Pupil, entries: &[(IncidentView, Involvement)]) -> Markup {
    html! {
            h2 { "Chronology" }
            p.muted { "Every incident involving " (pupil.name) " that you may read, oldest first. An incident whose date is not known is placed by the day it was logged." }
            @if entries.is_empty() {
                p { "No incidents to show." }
            } @else {
                table.chronology {
                    thead { tr { th { "Date" } th { "Reference" } th { "Category" } th { "Involvement" } th { "Status" } } }
                    tbody {
                        @for (v, how) in entries {
                            tr {
                                td {
                                    @match v.incident.incident_date {
                                        Some(d) => (day(d)),
                                        None => { "Date not known (logged " (day(v.incident.logged_at.date())) ")" }
                                    }
                                }
                                td { a href=(format!("/incidents/{}", v.incident.id)) { (v.incident.reference) } }
                                td { (v.category.name) }
                                td {
                                    @match how {
                                        Involvement::Subject => "The pupil it is about",
                                        Involvement::Other(role) => (role.label()),
                                    }
                                }
                                td {
                                    @if v.full { (v.incident.status().label()) } @else { (v.incident.status().reporter_label()) }
                                }
                            }
                        }
                    }
                }
            }
    }
}

/// An NHS number as printed on NHS letters: 943 476 5919.
fn spaced_nhs(n: &str) -> String {
    if n.len() == 10 && n.is_ascii() {
        format!("{} {} {}", &n[..3], &n[3..6], &n[6..])
    } else {
        n.to_string()
    }
}

pub fn upload(page: &Page<'_>, roll: &Roll, outcome: Option<&Outcome>) -> Markup {
    let csrf = page.csrf.clone().unwrap_or_default();
    let count = roll.count;
    // The CSRF token travels in the form's first field, never in the
    // address (where history and proxy logs keep it).
    let action = "/admin/pupils";
    layout(
        page,
        html! {
            h1 { "Pupils" }
            p {
                "The school has " (count) " pupil" @if count != 1 { "s" } " on record"
                @if roll.left > 0 { ", of whom " (roll.left) @if roll.left == 1 { " has" } @else { " have" } " left (kept, never deleted)" }
                "."
            }
            @match outcome {
                Some(Outcome::Imported(s)) => { (flash("ok", &format!("Imported: {}.", s.describe()))) },
                Some(Outcome::Problems(problems)) => {
                    div.flash.error role="alert" {
                        strong { "Nothing was imported. Correct the file and upload it again:" }
                        ul { @for p in problems {
                            li { @if p.line > 0 { "Line " (p.line) ": " } (p.message) }
                        } }
                    }
                },
                Some(Outcome::DryRun(checked)) => { (dry_run(&checked.0, &checked.1)) },
                None => {},
            }
            section.card {
                h2 { "Upload the pupil list" }
                p { "A CSV file from the school's information system (SIMS, Arbor, Bromcom, Scholarpack) or Wonde, with the pupil's name (or first name and surname), tutor group, year group, date of birth and, if you have them, UPN, MIS id, child identifier and NHS number, in any order. Headings such as " code { "legal_forename" } ", " code { "legal_surname" } ", " code { "registration_group" } " and " code { "year_group" } " are understood. Upload it again whenever pupils change tutor group: pupils are matched by MIS id, UPN, or name and date of birth, and moved, never duplicated." }
                p { "Not sure the file is right? " strong { "Check only" } " reads it and shows which column became which field, every row that cannot be read, and what importing it would do, changing nothing." }
                form.stack method="post" action=(action) enctype="multipart/form-data" {
                    (crate::views::components::csrf_field(&csrf))
                    div.field {
                        label for="f-file" { "Pupil list (CSV)" }
                        input type="file" id="f-file" name="file" accept=".csv,text/csv" required;
                    }
                    div.actions {
                        button type="submit" { "Upload" }
                        " "
                        button.secondary type="submit" name="dry_run" value="1" { "Check only" }
                    }
                }
                p.muted { "From a script: " code { "safelog import pupils FILE" } " (add " code { "--dry-run" } " to check only)" }
            }
            (drop_section(roll))
            (exclusions_section(roll))
        },
    )
}

/// The way to a pupil's page for the administrator (a search of the roll)
/// and the school's live exclusions.
fn exclusions_section(roll: &Roll) -> Markup {
    html! {
        section.card #conflicts {
            h2 { "Conflicts of interest" }
            p { "A member of staff who is a pupil's parent or relative can be excluded from that pupil: they then read nothing about the pupil, whatever their role. Find the pupil, then use the form on their page." }
            form.inline method="get" action="/admin/pupils#conflicts" {
                label for="f-find" { "Pupil's name" }
                " "
                input type="search" id="f-find" name="find" maxlength="100"
                    value=(roll.find.as_ref().map(|f| f.0.as_str()).unwrap_or(""));
                " "
                button type="submit" { "Find" }
            }
            @if let Some((_, found)) = &roll.find {
                @if found.is_empty() {
                    p { "No pupil on the roll has that in their name." }
                } @else {
                    ul.found { @for p in found {
                        li { a href=(format!("/pupils/{}#exclusions", p.id)) { (p.name) } " " span.muted { (p.tutor_group.as_deref().unwrap_or("")) } }
                    } }
                }
            }
            @if roll.exclusions.is_empty() {
                p.muted { "Nobody is excluded from any pupil." }
            } @else {
                table.exclusions.stacks {
                    thead { tr { th { "Pupil" } th { "Excluded" } th { "Since" } th { "Reason" } } }
                    tbody { @for (e, pupil) in &roll.exclusions {
                        tr {
                            td data-label="Pupil" { a href=(format!("/pupils/{}#exclusions", e.pupil_id)) { (pupil) } }
                            td data-label="Excluded" { (e.user_name) }
                            td data-label="Since" { (crate::views::time::moment(e.created_at)) }
                            td data-label="Reason" { (e.reason) }
                        }
                    } }
                }
            }
        }
    }
}

fn dry_run(parsed: &Parsed, would: &Summary) -> Markup {
    html! {
        section.card #dry-run {
            h2 { "Check only: nothing was changed" }
            h3 { "How the columns were read" }
            ul.mapping { @for m in &parsed.mapping { li { (m.describe()) } } }
            p { (parsed.rows.len()) " row" @if parsed.rows.len() != 1 { "s" } " can be read." }
            @if parsed.problems.is_empty() {
                p { "Every row can be read." }
            } @else {
                div.flash.error role="alert" {
                    strong { (parsed.problems.len()) " row" @if parsed.problems.len() != 1 { "s" } " cannot be read. Correct the file before uploading it (the upload is all or nothing):" }
                    ul.unreadable { @for p in &parsed.problems {
                        li { "Line " (p.line) ": " (p.message) }
                    } }
                }
            }
            p { "Importing the rows that can be read would do: " (would.describe()) "." }
        }
    }
}

fn drop_section(roll: &Roll) -> Markup {
    html! {
        section.card #nightly-drop {
            h2 { "Nightly file from the MIS" }
            @match (&roll.drop_folder, roll.drop_needs_urn) {
                (Some(folder), _) => {
                    p { "safelog imports the newest CSV file in " code { (folder) } " once, checking every few minutes. Pupils the file no longer names are marked as left; nothing is deleted. A file that would mark more than a third of the roll as left is refused as a partial export." }
                },
                (None, true) => {
                    p { "The nightly folder is set up, but this school has no URN to name its subfolder: an administrator sets it on the school's settings." }
                },
                (None, false) => {
                    p.muted { "Not set up: the server's SAFELOG_PUPIL_DROP names a folder the MIS writes to each night (see the README, \"Pupils from the MIS\")." }
                },
            }
            @if roll.runs.is_empty() {
                p.muted { "No file has been imported from the folder yet." }
            } @else {
                div {
                    table.drop-runs.stacks {
                        thead { tr {
                            th { "When" } th { "File" } th { "Outcome" } th { "Added" } th { "Moved" } th { "Left" } th { "Rows refused" }
                        } }
                        tbody { @for r in &roll.runs {
                            tr {
                                td data-label="When" { (crate::views::time::moment(r.ran_at)) }
                                td data-label="File" { code { (r.file_name) } }
                                td data-label="Outcome" { @if r.outcome == "imported" { "Imported" } @else { strong { "Refused" } } }
                                td data-label="Added" { (r.added) }
                                td data-label="Moved" { (r.moved) }
                                td data-label="Left" { (r.left_roll) }
                                td data-label="Rows refused" { (r.refused_rows) }
                            }
                            @if let Some(m) = &r.message {
                                tr.drop-message { td colspan="7" data-label="Details" { (m) } }
                            }
                        } }
                    }
                }
            }
        }
    }
}
