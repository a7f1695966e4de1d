//! A pupil's chronology and the pupil-list upload page.

use maud::{html, Markup};

use super::handlers::Outcome;
use super::model::Pupil;
use crate::incidents::model::IncidentView;
use crate::incidents::store::read::Involvement;
use crate::views::components::flash;
use crate::views::{layout, Page};

fn day(d: chrono::NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

pub fn chronology(
    page: &Page<'_>,
    pupil: &Pupil,
    entries: &[(IncidentView, Involvement)],
    lead: bool,
    transfers: Option<Markup>,
) -> Markup {
    layout(
        page,
        html! {
            h1 { (pupil.name) }
            dl.record {
                dt { "Tutor group" } dd { (pupil.tutor_group.as_deref().unwrap_or("Not known")) }
                dt { "Year group" } dd { @match pupil.year_group { Some(y) => (y), None => "Not known" } }
                @if lead {
                    dt { "Date of birth" } dd { @match pupil.date_of_birth { Some(d) => (day(d)), None => "Not known" } }
                    dt { "UPN" } dd { (pupil.upn.as_deref().unwrap_or("Not known")) }
                }
            }
            @if let Some(card) = transfers { (card) }
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
        },
    )
}

pub fn upload(page: &Page<'_>, count: i64, outcome: Option<&Outcome>) -> Markup {
    let csrf = page.csrf.clone().unwrap_or_default();
    // The CSRF token travels in the form's first field, never in the
    // address (where history and proxy logs keep it).
    let action = "/admin/pupils";
    layout(
        page,
        html! {
            h1 { "Pupils" }
            p { "The school has " (count) " pupil" @if count != 1 { "s" } " on record." }
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
                None => {},
            }
            section.card {
                h2 { "Upload the pupil list" }
                p { "A CSV file from the school's information system with the columns Name, Tutor group, Year group, Date of birth and (if you have it) UPN, in any order. Upload it again whenever pupils change tutor group: pupils are matched by UPN, or by name and date of birth, and moved, never duplicated." }
                form.stack method="post" action=(action) enctype="multipart/form-data" {
                    (crate::views::components::csrf_field(&csrf))
                    div.field {
                        label for="f-file" { "Pupil list (CSV)" }
                        input type="file" id="f-file" name="file" accept=".csv,text/csv" required;
                    }
                    div { button type="submit" { "Upload" } }
                }
                p.muted { "From a script: " code { "safelog import pupils FILE" } }
            }
        },
    )
}
