//! Administration pages.

use maud::{html, Markup};

use super::forms::{AccountInput, SchoolInput};
use super::model::{School, Sharing, User};
use crate::auth::Role;
use crate::config::Require2fa;
use crate::forms::FieldErrors;
use crate::views::components::{csrf_field, error_summary, flash, Field};
use crate::views::{layout, Page};

pub fn home(page: &Page<'_>, school: &School, mail_configured: bool) -> Markup {
    layout(
        page,
        html! {
            h1 { "Administration: " (school.name) }
            @if school.urn.is_none() {
                (flash("warn", "Add the school's URN (six digits, from Get Information about Schools) at School settings."))
            }
            @if !mail_configured {
                (flash("warn", "Email is not set up (SAFELOG_SMTP_URL), so alerts and password links are not sent. They wait in the outbox until it is."))
            }
            div.grid {
                section.card {
                    h2 { a href="/admin/users" { "Accounts and roles" } }
                    p { "Add staff, give them roles, reset passwords and two-factor sign-in, deactivate leavers." }
                }
                section.card {
                    h2 { a href="/admin/categories" { "Categories and routing" } }
                    p { "Who owns each category of incident, the guidance staff see, and the pick-up time." }
                }
                section.card {
                    h2 { a href="/admin/terms" { "Term dates" } }
                    p { "The terms governors' reports are counted by." }
                }
                section.card {
                    h2 { a href="/admin/email" { "Email" } }
                    p { "Whether alerts and password links are being delivered, and what is waiting." }
                }
                section.card {
                    h2 { a href="/admin/monitoring" { "Monitoring tools" } }
                    p { "Keys for the filtering and monitoring tools that post alerts, their severity levels, and the target for a first look." }
                }
                section.card {
                    h2 { a href="/admin/sign-in" { "Sign-in and single sign-on" } }
                    p { "Sign in with Microsoft or Google, turning password sign-in off, and accounts not seen for a while." }
                }
                section.card {
                    h2 { a href="/admin/attachments" { "Attachments" } }
                    p { "How large a file and how much in all an incident may hold, and the categories that take no images." }
                }
                section.card {
                    h2 { a href="/admin/school" { "School settings" } }
                    p { "The school's name, who must use two-factor sign-in, and the smallest count governors' reports show." }
                }
                section.card {
                    h2 { a href="/admin/transfer-key" { "Package signing key" } }
                    p { "The fingerprint of the key that signs pupils' files sent to schools on other systems, to give those schools." }
                }
            }
        },
    )
}

pub fn list(page: &Page<'_>, users: &[User], roles: &[(String, Role)]) -> Markup {
    layout(
        page,
        html! {
            h1 { "Accounts" }
            p { a.button href="/admin/users/new" { "Add an account" } }
            table {
                thead { tr { th { "Name" } th { "Email" } th { "Initials" } th { "Roles" } th { "Two-factor" } th { "Status" } } }
                tbody {
                    @for u in users {
                        tr {
                            td { a href=(format!("/admin/users/{}", u.id)) { (u.name) } }
                            td { (u.email) }
                            td { (u.initials) }
                            td { (roles.iter().filter(|(id, _)| *id == u.id).map(|(_, r)| r.label()).collect::<Vec<_>>().join(", ")) }
                            td { @if u.has_2fa() { "On" } @else { "Off" } }
                            td { @if u.active { "Active" } @else { span.badge { "Deactivated" } } }
                        }
                    }
                }
            }
        },
    )
}

pub fn account_form(
    page: &Page<'_>,
    existing: Option<(&User, &Sharing)>,
    input: &AccountInput,
    errors: &FieldErrors,
) -> Markup {
    let action = existing.map_or("/admin/users".to_string(), |(u, _)| {
        format!("/admin/users/{}", u.id)
    });
    let csrf = page.csrf.clone().unwrap_or_default();
    let shared = existing.is_some_and(|(_, s)| s.is_shared());
    let may_change = existing.is_none_or(|(_, s)| s.may_change_account());
    layout(
        page,
        html! {
            h1 { @if let Some((u, _)) = existing { "Account: " (u.name) } @else { "New account" } }
            @if let Some((u, sharing)) = existing {
                @if !u.active { (flash("warn", "This account is deactivated: its holder cannot sign in.")) }
                @if sharing.is_shared() {
                    div.flash.warn role="status" {
                        (u.name) " also works at " (sharing.elsewhere.join(", ")) ". "
                        "The roles below are theirs at this school only. "
                        @if !sharing.may_change_account() { (Sharing::NOT_HERE) }
                    }
                }
            }
            section.card {
                (error_summary(errors, &["name", "email", "initials", "role"]))
                form.stack method="post" action=(action) {
                    (csrf_field(&csrf))
                    (Field::text("name", "Name", &input.name).render(errors))
                    (Field::text("email", "Email", &input.email).kind("email").render(errors))
                    (Field::text("initials", "Initials", &input.initials).hint("As they sign incident records, e.g. MAL").render(errors))
                    fieldset #f-role .field.has-error[errors.get("role").is_some()] {
                        legend { "Roles" }
                        @for role in Role::ALL {
                            label.choice {
                                input type="checkbox" name="role" value=(role.as_str()) checked[input.role.iter().any(|r| r == role.as_str())];
                                " " (role.label())
                            }
                        }
                        @if let Some(e) = errors.get("role") { p.error { (e) } }
                    }
                    div { button type="submit" { @if existing.is_some() { "Save" } @else { "Create account and email a welcome link" } } }
                }
            }
            @if let Some((u, _)) = existing {
                section.card {
                    h2 { "Access" }
                    div.grid {
                        (action_button(&csrf, &u.id, "password-reset", "Email a password reset link", false))
                        @if u.has_2fa() && may_change { (action_button(&csrf, &u.id, "reset-2fa", "Reset two-factor sign-in (lost phone)", false)) }
                        @if shared {
                            (action_button(&csrf, &u.id, "deactivate", "Remove from this school: end their roles here", true))
                        } @else if u.active {
                            (action_button(&csrf, &u.id, "deactivate", "Deactivate: sign out and block now", true))
                        } @else {
                            (action_button(&csrf, &u.id, "reactivate", "Reactivate", false))
                        }
                    }
                }
            }
        },
    )
}

fn action_button(csrf: &str, id: &str, action: &str, label: &str, danger: bool) -> Markup {
    html! {
        form method="post" action=(format!("/admin/users/{id}/{action}")) {
            (csrf_field(csrf))
            button.secondary[!danger].danger[danger] type="submit" { (label) }
        }
    }
}

pub fn created(page: &Page<'_>, user: &User, link: Option<&str>) -> Markup {
    layout(
        page,
        html! {
            h1 { "Account created" }
            (flash("ok", &format!("{} can now be given access. A welcome link to choose a password is on its way to {}.", user.name, user.email)))
            @if let Some(link) = link {
                section.card {
                    h2 { "Email is not set up" }
                    p { "Give " (user.name) " this link yourself (it works once, for seven days):" }
                    p { code.secret { (link) } }
                }
            }
            p { a href="/admin/users" { "Back to accounts" } }
        },
    )
}

pub fn school_form(
    page: &Page<'_>,
    input: &SchoolInput,
    errors: &FieldErrors,
    override_2fa: Option<Require2fa>,
) -> Markup {
    let csrf = page.csrf.clone().unwrap_or_default();
    let options = [
        (
            "leads",
            "Everyone who can read incidents or reports (recommended)",
        ),
        ("all", "Everyone, including staff who only log incidents"),
        ("none", "No one (not recommended for safeguarding records)"),
    ];
    layout(
        page,
        html! {
            h1 { "School settings" }
            @if let Some(o) = override_2fa {
                (flash("warn", &format!("This server sets SAFELOG_REQUIRE_2FA={}, which overrides the two-factor setting below.", super::model::policy_str(o))))
            }
            section.card {
                (error_summary(errors, &["name", "urn", "require_2fa", "report_min_count"]))
                form.stack method="post" action="/admin/school" {
                    (csrf_field(&csrf))
                    (Field::text("name", "School name", &input.name).render(errors))
                    (Field::text("urn", "URN", &input.urn)
                        .hint("The DfE's unique reference number for the school: six digits, on Get Information about Schools. It tells schools apart when one safelog holds several.")
                        .render(errors))
                    fieldset #f-require_2fa {
                        legend { "Who must use two-factor sign-in" }
                        @for (value, label) in options {
                            label.choice {
                                input type="radio" name="require_2fa" value=(value) checked[input.require_2fa == value];
                                " " (label)
                            }
                        }
                    }
                    (Field::text("report_min_count", "Smallest count shown in governors' reports", &input.report_min_count)
                        .kind("number")
                        .hint("In every breakdown of a termly report, a count from 1 to one less than this is shown as \u{201c}<N\u{201d}, so that no pupil can be picked out. 3 is usual; 1 shows every count.")
                        .render(errors))
                    div { button type="submit" { "Save" } }
                }
            }
        },
    )
}

pub fn email_status(
    page: &Page<'_>,
    configured: bool,
    waiting: &[crate::mail::UndeliveredMail],
    last_error: Option<&crate::mail::DeliveryError>,
) -> Markup {
    let when = |t: &chrono::NaiveDateTime| crate::views::time::moment(*t);
    layout(
        page,
        html! {
            h1 { "Email" }
            @if configured {
                p { "Email is set up. Emails that cannot be delivered are tried again, for as long as it takes; none is dropped." }
            } @else {
                (flash("warn", "Email is not set up on this server (SAFELOG_SMTP_URL), so nothing below has been sent. Alerts still show on dashboards."))
            }
            @if let Some(e) = last_error {
                section.card {
                    h2 { "Last delivery error" }
                    p { (when(&e.at)) ": " code { (e.error) } }
                }
            }
            h2 { "Not sent yet (" (waiting.len()) ")" }
            @if waiting.is_empty() {
                p.muted { "Nothing is waiting." }
            } @else {
                table {
                    thead { tr { th { "What" } th { "To" } th { "Queued" } th { "Tries" } th { "Next try" } th { "Last error" } } }
                    tbody {
                        @for m in waiting {
                            tr {
                                td { (m.kind.replace('_', " ")) }
                                td { (m.to_address) }
                                td { (when(&m.created_at)) }
                                td { (m.attempts) }
                                td { @if configured { (when(&m.next_attempt_at)) } @else { "when email is set up" } }
                                td { (m.last_error.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
        },
    )
}
