//! The trust administrator's pages. Schools, accounts and roles only: no
//! incident, no pupil.

use chrono::NaiveDateTime;
use maud::{html, Markup};

use super::forms::{GrantInput, SchoolInput};
use crate::accounts::model::{School, Trust, User};
use crate::accounts::people::{Named, PersonInput};
use crate::auth::Role;
use crate::forms::FieldErrors;
use crate::views::components::{csrf_field, error_summary, flash, trust_admin_nav, Field};
use crate::views::{layout, Page};

/// A school of the trust and its administrators.
pub struct SchoolRow {
    pub school: School,
    pub admins: Vec<User>,
}

/// One trust role given or taken away.
pub struct Change {
    pub at: NaiveDateTime,
    pub who: String,
    pub role: String,
    pub given: bool,
    pub by: Option<String>,
}

/// The trust's roles and who holds them.
pub struct People {
    pub trust: Trust,
    pub holders: Vec<(Role, User)>,
    pub changes: Vec<Change>,
    /// The administrator looking.
    pub me: String,
}

fn admins_cell(admins: &[User]) -> Markup {
    html! {
        @if admins.is_empty() {
            span.badge { "None yet" }
        } @else {
            @for (i, a) in admins.iter().enumerate() {
                @if i > 0 { br; }
                (a.name) " " span.muted { "(" (a.email) ")" }
            }
        }
    }
}

pub fn home(
    page: &Page<'_>,
    trust: &Trust,
    rows: &[SchoolRow],
    typed: &SchoolInput,
    errors: &FieldErrors,
) -> Markup {
    let csrf = page.csrf.clone().unwrap_or_default();
    layout(
        page,
        html! {
            h1 { "Trust administration: " (trust.name) }
            (trust_admin_nav())
            section.card {
                h2 { "Schools" }
                table.stack #schools {
                    thead { tr { th { "School" } th { "URN" } th { "Administrators" } } }
                    tbody {
                        @for r in rows {
                            tr {
                                td data-label="School" { a href=(format!("/trust/admin/schools/{}", r.school.id)) { (r.school.name) } }
                                td data-label="URN" { (r.school.urn.as_deref().unwrap_or("not given yet")) }
                                td data-label="Administrators" { (admins_cell(&r.admins)) }
                            }
                        }
                    }
                }
            }
            section.card #add-school {
                h2 { "Add a school to the trust" }
                p.hint { "It starts with the standard categories and those the trust shares. Its administrator then adds its staff, pupils and term dates." }
                (error_summary(errors, &["name", "urn", "admin_email", "admin_name", "admin_initials"]))
                form.stack method="post" action="/trust/admin/schools" {
                    (csrf_field(&csrf))
                    (Field::text("name", "School name", &typed.name).render(errors))
                    (Field::text("urn", "URN", &typed.urn)
                        .hint("The six digits the DfE gave the school, on Get Information about Schools.")
                        .render(errors))
                    fieldset {
                        legend { "Its first administrator (you can add one later)" }
                        (Field::text("admin_email", "Administrator's email", &typed.admin_email).kind("email").optional().render(errors))
                        (Field::text("admin_name", "Administrator's name", &typed.admin_name)
                            .hint("For a new account; someone who already has one keeps their name.")
                            .optional().render(errors))
                        (Field::text("admin_initials", "Administrator's initials", &typed.admin_initials).optional().render(errors))
                    }
                    div { button type="submit" { "Add school" } }
                }
            }
            p.muted {
                "A new trust is added on the server's command line ("
                code { "safelog trust add --name" }
                "): it concerns the whole safelog, not one trust."
            }
        },
    )
}

/// The welcome link, shown when email is not set up.
fn welcome_link(named: &Named, show: bool) -> Markup {
    html! {
        @if let (Some(link), true) = (named.link(), show) {
            section.card {
                h2 { "Email is not set up" }
                p { "Give " (named.user().name) " this link yourself (it works once, for seven days):" }
                p { code.secret { (link) } }
            }
        }
    }
}

fn named_line(named: &Named, what: &str) -> String {
    let u = named.user();
    match named {
        Named::New { .. } => format!(
            "An account was made for {} as {what}: a welcome link to choose a password is on its way to {}.",
            u.name, u.email
        ),
        Named::Existing(_) => format!(
            "{} ({}) is now {what}, with the account they already had.",
            u.name, u.email
        ),
    }
}

pub fn school_added(
    page: &Page<'_>,
    trust: &Trust,
    school: &School,
    admin: Option<&Named>,
    show_link: bool,
) -> Markup {
    layout(
        page,
        html! {
            h1 { "School added" }
            (flash("ok", &format!(
                "Added {} (URN {}) to {}.",
                school.name,
                school.urn.as_deref().unwrap_or_default(),
                trust.name
            )))
            @if let Some(named) = admin {
                p { (named_line(named, &format!("the administrator of {}", school.name))) }
                (welcome_link(named, show_link))
            } @else {
                p { "It has no administrator yet: " a href=(format!("/trust/admin/schools/{}", school.id)) { "name one" } "." }
            }
            p { a href="/trust/admin" { "Back to the trust's schools" } }
        },
    )
}

pub fn school(
    page: &Page<'_>,
    trust: &Trust,
    row: &SchoolRow,
    typed: &PersonInput,
    errors: &FieldErrors,
) -> Markup {
    let csrf = page.csrf.clone().unwrap_or_default();
    layout(
        page,
        html! {
            h1 { (row.school.name) }
            (trust_admin_nav())
            section.card {
                dl.record {
                    dt { "Trust" } dd { (trust.name) }
                    dt { "URN" } dd { (row.school.urn.as_deref().unwrap_or("not given yet")) }
                    dt { "Administrators" } dd { (admins_cell(&row.admins)) }
                }
            }
            section.card #add-admin {
                h2 { "Add an administrator" }
                p.hint { "They manage the school's accounts, categories, term dates and settings, and read no incident. Someone who already has an account keeps it and gains the role here." }
                (error_summary(errors, &["email", "name", "initials"]))
                form.stack method="post" action=(format!("/trust/admin/schools/{}/admins", row.school.id)) {
                    (csrf_field(&csrf))
                    (Field::text("email", "Email", &typed.email).kind("email").render(errors))
                    (Field::text("name", "Name", &typed.name).hint("For a new account.").optional().render(errors))
                    (Field::text("initials", "Initials", &typed.initials).hint("For a new account, e.g. MAL.").optional().render(errors))
                    div { button type="submit" { "Make administrator" } }
                }
            }
            p { a href="/trust/admin" { "Back to the trust's schools" } }
        },
    )
}

pub fn admin_added(page: &Page<'_>, school: &School, named: &Named, show_link: bool) -> Markup {
    layout(
        page,
        html! {
            h1 { "Administrator added" }
            (flash("ok", &named_line(named, &format!("an administrator of {}", school.name))))
            (welcome_link(named, show_link))
            p { a href=(format!("/trust/admin/schools/{}", school.id)) { "Back to " (school.name) } }
        },
    )
}

/// What each trust role does, as the page explains it.
fn role_help(role: Role) -> &'static str {
    match role {
        Role::TrustSafeguardingLead => {
            "Reads what the DSL reads in every school of the trust, and the trust dashboard."
        }
        Role::TrustAdmin => {
            "The trust's schools, shared categories and trust roles; reads no incident."
        }
        Role::AllegationsLead => {
            "Receives, reads and works allegations about the headteacher in every school of the trust (in an academy trust, often the CEO)."
        }
        _ => "The trust's termly reports, as governors read a school's.",
    }
}

pub fn people(
    page: &Page<'_>,
    p: &People,
    typed: &GrantInput,
    errors: &FieldErrors,
    refused: Option<&str>,
) -> Markup {
    let csrf = page.csrf.clone().unwrap_or_default();
    layout(
        page,
        html! {
            h1 { "People and trust roles: " (p.trust.name) }
            (trust_admin_nav())
            @if let Some(message) = refused { (flash("error", message)) }
            p { "A trust role is held across every school of the trust: its holder signs in once and switches between the trust's schools from the header. A school's own roles are given on that school's Accounts page." }
            @for role in Role::TRUST_WIDE {
                section.card data-role=(role.as_str()) {
                    h2 { (role.label()) }
                    p.hint { (role_help(role)) }
                    @let holders: Vec<&User> = p.holders.iter().filter(|(r, _)| *r == role).map(|(_, u)| u).collect();
                    @if holders.is_empty() {
                        p.muted { "Nobody holds it." }
                    } @else {
                        table.stack {
                            thead { tr { th { "Name" } th { "Email" } th { "" } } }
                            tbody {
                                @for u in holders {
                                    tr {
                                        td data-label="Name" { (u.name) @if !u.active { " " span.badge { "Deactivated" } } }
                                        td data-label="Email" { (u.email) }
                                        td {
                                            @if u.id == p.me && role == Role::TrustAdmin {
                                                span.muted { "You" }
                                            } @else {
                                                form method="post" action=(format!("/trust/admin/people/{}/remove", u.id)) {
                                                    (csrf_field(&csrf))
                                                    input type="hidden" name="role" value=(role.as_str());
                                                    button.secondary type="submit" aria-label={ "Take the " (role.label()) " role from " (u.name) } { "Take away" }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            section.card #give-role {
                h2 { "Give a trust role" }
                p.hint { "Someone who already has an account keeps it (with their name, password and schools) and gains the role; for anyone else an account is made and a welcome link emailed. You cannot give yourself the trust safeguarding lead or allegations lead role: another trust administrator must, and the trust's administrators are told whenever either is given." }
                (error_summary(errors, &["email", "name", "initials", "role"]))
                form.stack method="post" action="/trust/admin/people" {
                    (csrf_field(&csrf))
                    (Field::text("email", "Email", &typed.email).kind("email").render(errors))
                    (Field::text("name", "Name", &typed.name).hint("For a new account.").optional().render(errors))
                    (Field::text("initials", "Initials", &typed.initials).hint("For a new account, e.g. MAL.").optional().render(errors))
                    div.field.has-error[errors.get("role").is_some()] #f-role {
                        label for="f-role-select" { "Trust role" }
                        select #f-role-select name="role" {
                            @for role in Role::TRUST_WIDE {
                                option value=(role.as_str()) selected[typed.role == role.as_str()] { (role.label()) }
                            }
                        }
                        @if let Some(e) = errors.get("role") { p.error { (e) } }
                    }
                    div { button type="submit" { "Give role" } }
                }
            }
            @if !p.changes.is_empty() {
                section.card #changes {
                    h2 { "Latest changes" }
                    ul {
                        @for c in &p.changes {
                            li {
                                (c.at.format("%d/%m/%Y %H:%M")) " UTC: " (c.who)
                                @if c.given { " was given " } @else { " lost " }
                                "the " (role_name(&c.role)) " role"
                                @if let Some(by) = &c.by { " (by " (by) ")" } @else { " (on the server's command line)" }
                                "."
                            }
                        }
                    }
                }
            }
        },
    )
}

fn role_name(stored: &str) -> &'static str {
    crate::accounts::store::trust_role(stored).map_or("unknown", Role::label)
}

pub fn role_given(page: &Page<'_>, named: &Named, role: Role, show_link: bool) -> Markup {
    layout(
        page,
        html! {
            h1 { "Trust role given" }
            (flash("ok", &format!(
                "An account was made for {}, who now holds the {} role across the trust: a welcome link to choose a password is on its way to {}.",
                named.user().name,
                role.label(),
                named.user().email
            )))
            (welcome_link(named, show_link))
            p { a href="/trust/admin/people" { "Back to people and trust roles" } }
        },
    )
}
