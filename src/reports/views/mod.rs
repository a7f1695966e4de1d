//! Report and term-date pages.

mod charts;
pub mod report;

use maud::{html, Markup};

use super::terms::TermName;
use crate::views::components::{csrf_field, flash};
use crate::views::{layout, Page};

/// Term dates of one academic year, as typed or as saved.
pub fn terms_form(
    page: &Page<'_>,
    year: i32,
    current: i32,
    typed: &[(String, String); 3],
    problem: Option<&str>,
) -> Markup {
    let csrf = page.csrf.clone().unwrap_or_default();
    layout(
        page,
        html! {
            h1 { "Term dates " (year) "/" (format!("{:02}", (year + 1) % 100)) }
            p {
                @for y in [current - 1, current, current + 1] {
                    @if y == year { strong { (y) "/" (format!("{:02}", (y + 1) % 100)) } }
                    @else { a href=(format!("/admin/terms?year={y}")) { (y) "/" (format!("{:02}", (y + 1) % 100)) } }
                    " "
                }
            }
            p.muted { "Governors' reports count each incident in the term its date falls in. An incident in the holidays between two terms counts in the term before." }
            @if let Some(p) = problem { (flash("error", p)) }
            section.card {
                form.stack method="post" action="/admin/terms" {
                    (csrf_field(&csrf))
                    input type="hidden" name="year" value=(year);
                    table {
                        thead { tr { th { "Term" } th { "First day" } th { "Last day" } } }
                        tbody {
                            @for (i, term) in TermName::ALL.iter().enumerate() {
                                tr {
                                    td { (term.label()) }
                                    td { input type="date" name=(format!("{}_starts", term.as_str())) value=(typed[i].0) required aria-label=(format!("{} first day", term.label())); }
                                    td { input type="date" name=(format!("{}_ends", term.as_str())) value=(typed[i].1) required aria-label=(format!("{} last day", term.label())); }
                                }
                            }
                        }
                    }
                    div { button type="submit" { "Save term dates" } }
                }
            }
        },
    )
}
