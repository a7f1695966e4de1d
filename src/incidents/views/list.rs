//! The incident list: for staff, what they logged and its status; for
//! leads, every incident they may read, with filters and text search.

use maud::{html, Markup};

use super::{incident_day, status_badge};
use crate::auth::Role;
use crate::categories::Category;
use crate::forms::FieldErrors;
use crate::incidents::filters::{Cursor, ListQuery, Paging};
use crate::incidents::model::Status;
use crate::incidents::saved_search::without_typed_text;
use crate::incidents::store::read::Found;
use crate::reports::terms::TermName;
use crate::views::components::{csrf_field, error_summary, flash};
use crate::views::{layout, Page};

pub struct ListPage<'a> {
    pub found: &'a Found,
    pub paging: Paging,
    pub query: &'a ListQuery,
    pub categories: &'a [Category],
    pub errors: &'a FieldErrors,
    /// Leads get the filters; staff see their own incidents.
    pub lead: bool,
    /// Logs incidents here (everyone who reads the list but a trust's
    /// safeguarding lead).
    pub logs: bool,
    /// May download the list as CSV (the DSL, headteacher, Online Safety Lead).
    pub exporter: bool,
    /// The saved search the address names, carried on by paging and download.
    pub search_id: Option<&'a str>,
    /// The address named a saved search that has expired.
    pub expired: bool,
}

/// The list's filters as a query string (without paging).
fn filter_pairs(q: &ListQuery) -> Vec<(&'static str, &String)> {
    let pairs = [
        ("status", &q.status),
        ("category", &q.category),
        ("pupil", &q.pupil),
        ("tutor_group", &q.tutor_group),
        ("year_group", &q.year_group),
        ("from", &q.from),
        ("to", &q.to),
        ("year", &q.year),
        ("term", &q.term),
        ("owner", &q.owner),
        ("unacknowledged", &q.unacknowledged),
        ("q", &q.q),
    ];
    pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect()
}

/// An address of `path` with the list's filters: never typed text, which
/// only the saved search `f` stands for.
fn address(
    path: &str,
    query: &ListQuery,
    f: Option<&str>,
    page: Option<i64>,
    after: Option<&Cursor>,
) -> String {
    let query = without_typed_text(query);
    let (f, page) = (f.unwrap_or("").to_string(), page.map(|p| p.to_string()));
    let after = after.map(|c| c.to_string());
    let mut kept = filter_pairs(&query);
    if !f.is_empty() {
        kept.push(("f", &f));
    }
    if !query.per_page.is_empty() {
        kept.push(("per_page", &query.per_page));
    }
    if let Some(p) = &page {
        kept.push(("page", p));
    }
    if let Some(a) = &after {
        kept.push(("after", a));
    }
    if kept.is_empty() {
        return path.into();
    }
    format!(
        "{path}?{}",
        serde_urlencoded::to_string(kept).unwrap_or_default()
    )
}

/// The list's address for these filters and saved search.
pub fn list_address(query: &ListQuery, f: Option<&str>, page: Option<i64>) -> String {
    address("/incidents", query, f, page, None)
}

/// A newer page, by its number: the reader has paged through the rows
/// before it, so counting past them costs no more than it did then.
fn page_link(l: &ListPage<'_>, page: i64) -> String {
    list_address(l.query, l.search_id, Some(page))
}

/// The next (older) page, which starts after this page's last row.
fn next_link(l: &ListPage<'_>, after: &Cursor) -> String {
    address(
        "/incidents",
        l.query,
        l.search_id,
        Some(l.paging.page + 1),
        Some(after),
    )
}

/// The list as it is filtered now, as a spreadsheet.
fn export_link(l: &ListPage<'_>) -> String {
    address("/incidents/export.csv", l.query, l.search_id, None, None)
}

fn filters(l: &ListPage<'_>, csrf: &str) -> Markup {
    let q = l.query;
    let text = |name: &'static str, label: &'static str, value: &str, kind: &'static str| {
        html! {
            div.field.has-error[l.errors.get(name).is_some()] {
                label for=(format!("f-{name}")) { (label) }
                input type=(kind) id=(format!("f-{name}")) name=(name) value=(value);
                (super::field_error(l.errors, name))
            }
        }
    };
    html! {
        // A POST, so that what is typed never reaches the address bar.
        form.filters method="post" action="/incidents/search" {
            (csrf_field(csrf))
            (text("q", "Search the text", &q.q, "search"))
            div.field {
                label for="f-status" { "Status" }
                select id="f-status" name="status" {
                    option value="" { "Any" }
                    @for s in Status::ALL {
                        option value=(s.as_str()) selected[q.status == s.as_str()] { (s.label()) }
                    }
                }
            }
            div.field {
                label for="f-category" { "Category" }
                select id="f-category" name="category" {
                    option value="" { "Any" }
                    @for c in l.categories {
                        option value=(c.code) selected[q.category == c.code] { (c.name) }
                    }
                }
            }
            (text("pupil", "Pupil", &q.pupil, "text"))
            (text("tutor_group", "Tutor group", &q.tutor_group, "text"))
            (text("year_group", "Year group", &q.year_group, "number"))
            (text("from", "From", &q.from, "date"))
            (text("to", "To", &q.to, "date"))
            div.field.has-error[l.errors.get("term").is_some()] {
                label for="f-term" { "Term" }
                select id="f-term" name="term" {
                    option value="" { "Any" }
                    @for t in TermName::ALL {
                        option value=(t.as_str()) selected[q.term.eq_ignore_ascii_case(t.as_str())] { (t.label()) }
                    }
                }
                (super::field_error(l.errors, "term"))
            }
            div.field.has-error[l.errors.get("year").is_some()] {
                label for="f-year" { "Academic year starting" }
                input type="number" id="f-year" name="year" value=(q.year) min="2000" max="2100" placeholder="e.g. 2025";
                (super::field_error(l.errors, "year"))
            }
            div.field {
                label for="f-owner" { "Owner" }
                select id="f-owner" name="owner" {
                    option value="" { "Any" }
                    @for r in [Role::Dsl, Role::OnlineSafetyLead, Role::Headteacher, Role::Dpo] {
                        option value=(r.as_str()) selected[q.owner == r.as_str()] { (r.label()) }
                    }
                }
            }
            div.field {
                label.choice {
                    input type="checkbox" name="unacknowledged" value="1" checked[!q.unacknowledged.is_empty()];
                    " Not yet acknowledged by leadership"
                }
            }
            div { button type="submit" { "Filter" } " " a href="/incidents" { "Clear" } }
        }
    }
}

pub fn list(page: &Page<'_>, l: &ListPage<'_>) -> Markup {
    let (items, total) = (&l.found.items, l.found.total);
    let pages = ((total + l.paging.per_page - 1) / l.paging.per_page).max(1);
    layout(
        page,
        html! {
            h1 { @if l.lead { "Incidents" } @else { "Incidents you logged" } }
            @if l.logs {
                p { a.button href="/incidents/new" { "Log an incident" } }
            }
            (error_summary(l.errors, &["q", "status", "pupil", "tutor_group", "year_group", "from", "to", "term", "year", "owner"]))
            @if l.expired {
                (flash("error", "That search has expired (a search is kept for two hours), so the list shows every incident for the other filters. Search again."))
            }
            @if l.lead { (filters(l, page.csrf.as_deref().unwrap_or_default())) }
            p.muted.total {
                @if l.found.total_exact {
                    (total) " incident" @if total != 1 { "s" }
                } @else {
                    "More than " (thousands(total)) " incidents"
                }
                @if l.exporter && l.errors.is_empty() {
                    " · " a href=(export_link(l)) download { "Download CSV" }
                    " (these incidents, for an audit; every download is recorded)"
                }
            }
            @if items.is_empty() {
                p { "No incidents to show." }
            } @else {
                table.incidents {
                    thead { tr {
                        th { "Reference" } th { "Date" } th { "Pupil" } th { "Tutor group" } th { "Category" } th { "Status" }
                        @if l.lead { th { "Owner" } th { "LG acknowledged" } }
                    } }
                    tbody {
                        @for v in items {
                            tr {
                                td { a.ref href=(format!("/incidents/{}", v.incident.id)) { (v.incident.reference) } }
                                td { (incident_day(v.incident.incident_date)) }
                                td { (v.pupil.name) }
                                td { (v.incident.tutor_group) }
                                td { (v.category.name) @if v.category.urgent { " " span.badge.urgent { "urgent" } } }
                                td { (status_badge(&v.incident, v.full)) }
                                @if l.lead {
                                    td { (v.incident.owner().label()) }
                                    td { @if v.incident.lg_acknowledged_at.is_some() { "Yes" } @else { "No" } }
                                }
                            }
                        }
                    }
                }
            }
            @if l.paging.page > 1 || l.found.next.is_some() {
                nav.pages aria-label="Pages" {
                    @if l.paging.page > 1 { a href=(page_link(l, l.paging.page - 1)) { "Newer" } " " }
                    "Page " (l.paging.page)
                    @if l.found.total_exact { " of " (pages) }
                    @if let Some(after) = &l.found.next { " " a href=(next_link(l, after)) { "Older" } }
                }
            }
        },
    )
}

/// 10000 as "10,000".
fn thousands(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
