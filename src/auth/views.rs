//! The sign-in, two-factor, account, setup and password-reset pages.

use maud::{html, Markup};

use crate::audit::store::Row as AuditRow;
use crate::auth::roles::Role;
use crate::forms::FieldErrors;
use crate::views::components::{csrf_field, error_summary, flash, Field};
use crate::views::{layout, Page};

pub fn login(
    csrf: &str,
    email: &str,
    error: Option<&str>,
    notice: Option<&str>,
    buttons: &[super::store::SignInButton],
) -> Markup {
    // The school's name is shown beside a button only when the deployment
    // holds providers of several schools or trusts.
    let several_owners = buttons.iter().any(|b| b.owner != buttons[0].owner);
    layout(
        &Page::new("Sign in"),
        html! {
            section.card {
                h1 { "Sign in to safelog" }
                @if let Some(n) = notice { (flash("ok", n)) }
                @if let Some(e) = error { (flash("error", e)) }
                @if !buttons.is_empty() {
                    ul.sso-buttons {
                        @for b in buttons {
                            li {
                                a.button href={ "/login/oidc/" (b.id) } {
                                    "Sign in with " (b.name)
                                    @if several_owners { " (" (b.owner) ")" }
                                }
                            }
                        }
                    }
                    p.muted { "Or with your safelog password:" }
                }
                form.stack method="post" action="/login" {
                    (csrf_field(csrf))
                    (Field::text("email", "Email", email).kind("email").autocomplete("username").render(&FieldErrors::default()))
                    (Field::text("password", "Password", "").kind("password").autocomplete("current-password").render(&FieldErrors::default()))
                    div { button type="submit" { "Sign in" } }
                }
                p { a href="/password-reset" { "Forgotten your password?" } }
            }
            section.card {
                h2 { "Worried about a pupil right now?" }
                p { "If a child is in immediate danger, call 999, then tell the Designated Safeguarding Lead in person. Do not wait to sign in." }
            }
        },
    )
}

/// The sign-in page before anyone has set safelog up.
pub fn first_start() -> Markup {
    layout(
        &Page::new("Set up safelog"),
        html! {
            section.card {
                h1 { "safelog is not set up yet" }
                p { "There are no accounts yet. The setup link is in the terminal where safelog was started: look for "
                    em { "No accounts yet. To set up safelog, open this link" } " and open the link under it. It works once, for 24 hours." }
                p { "No link, or it has expired? Stop safelog (Ctrl-C) and start it again: each start prints a new link until someone has used one." }
                p { "Setting up from a script instead: " code { "safelog user add --help" } }
            }
        },
    )
}

pub fn two_factor(csrf: &str, error: Option<&str>) -> Markup {
    layout(
        &Page::new("Two-factor sign-in"),
        html! {
            section.card {
                h1 { "Enter your code" }
                @if let Some(e) = error { (flash("error", e)) }
                form.stack method="post" action="/login/2fa" {
                    (csrf_field(csrf))
                    (Field::text("code", "The 6-digit code from your authenticator app, or a recovery code", "")
                        .autocomplete("one-time-code").render(&FieldErrors::default()))
                    div { button type="submit" { "Continue" } }
                }
                form method="post" action="/logout" {
                    (csrf_field(csrf))
                    button.link type="submit" { "Cancel and sign out" }
                }
            }
        },
    )
}

pub struct AccountPage<'a> {
    pub page: Page<'a>,
    pub name: &'a str,
    pub email: &'a str,
    pub initials: &'a str,
    pub roles: Vec<Role>,
    pub has_2fa: bool,
    pub unused_codes: i64,
    pub recent: &'a [AuditRow],
    pub errors: FieldErrors,
    pub notice: Option<&'a str>,
}

pub fn account(a: &AccountPage<'_>) -> Markup {
    let csrf = a.page.csrf.clone().unwrap_or_default();
    layout(
        &a.page,
        html! {
            h1 { "Your account" }
            @if let Some(n) = a.notice { (flash("ok", n)) }
            div.grid {
                section.card {
                    h2 { "Details" }
                    dl.record {
                        dt { "Name" } dd { (a.name) }
                        dt { "Email" } dd { (a.email) }
                        dt { "Initials" } dd { (a.initials) }
                        dt { "Roles" } dd { (a.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join(", ")) }
                    }
                    p.muted { "Ask your administrator to change these." }
                }
                section.card {
                    h2 { "Two-factor sign-in" }
                    @if a.has_2fa {
                        p { "On. You have " (a.unused_codes) " unused recovery codes." }
                        form method="post" action="/account/2fa/recovery-codes" {
                            (csrf_field(&csrf))
                            button.secondary type="submit" { "Make new recovery codes" }
                        }
                    } @else {
                        p { "Off." }
                        p { a.button href="/account/2fa" { "Set up two-factor sign-in" } }
                    }
                }
            }
            section.card {
                h2 { "Change your password" }
                p.muted { "Changing it signs you out everywhere else." }
                (error_summary(&a.errors, &["current_password", "new_password", "confirm_password"]))
                form.stack method="post" action="/account/password" {
                    (csrf_field(&csrf))
                    (Field::text("current_password", "Current password", "").kind("password").autocomplete("current-password").render(&a.errors))
                    (Field::text("new_password", "New password", "").kind("password").autocomplete("new-password")
                        .hint("At least 12 characters. A short sentence works well.").render(&a.errors))
                    (Field::text("confirm_password", "New password again", "").kind("password").autocomplete("new-password").render(&a.errors))
                    div { button type="submit" { "Change password" } }
                }
            }
            section.card {
                h2 { "Recent sign-ins" }
                p.muted { "If you do not recognise one, change your password and tell your administrator." }
                table {
                    thead { tr { th { "When" } th { "What" } th { "From" } } }
                    tbody {
                        @for e in a.recent {
                            tr {
                                td { (crate::views::time::moment(e.at)) }
                                td { (sign_in_label(&e.action)) @if let Some(d) = &e.detail { " (" (d) ")" } }
                                td { (e.ip.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
        },
    )
}

fn sign_in_label(action: &str) -> &'static str {
    match action {
        "sign_in" => "Signed in",
        "sign_in_refused" => "Refused by safelog after the school's sign-in",
        "sign_in_failed" => "Failed sign-in",
        "sign_in_locked" => "Refused: too many attempts",
        _ => "Other",
    }
}

pub fn enrol(page: &Page<'_>, secret: &str, qr: Option<&str>, error: Option<&str>) -> Markup {
    let csrf = page.csrf.clone().unwrap_or_default();
    layout(
        page,
        html! {
            section.card {
                h1 { "Set up two-factor sign-in" }
                p { "safelog holds safeguarding records, so your account needs a second step at sign-in: a code from an authenticator app on your phone (Microsoft Authenticator, Google Authenticator or similar)." }
                @if let Some(e) = error { (flash("error", e)) }
                ol {
                    li { "In the app, add an account and scan this code:" }
                }
                @if let Some(src) = qr { img src=(src) alt="QR code for your authenticator app" width="220" height="220"; }
                p { "Or type this key into the app: " code.secret { (secret) } }
                form.stack method="post" action="/account/2fa/confirm" {
                    (csrf_field(&csrf))
                    (Field::text("code", "Then enter the 6-digit code the app shows", "").autocomplete("one-time-code").render(&FieldErrors::default()))
                    div { button type="submit" { "Turn on two-factor sign-in" } }
                }
            }
        },
    )
}

pub fn enrol_start(page: &Page<'_>) -> Markup {
    let csrf = page.csrf.clone().unwrap_or_default();
    layout(
        page,
        html! {
            section.card {
                h1 { "Set up two-factor sign-in" }
                p { "Your account needs a code from an authenticator app as well as your password. You will need your phone." }
                form method="post" action="/account/2fa/start" {
                    (csrf_field(&csrf))
                    button type="submit" { "Start" }
                }
            }
        },
    )
}

pub fn recovery_codes(page: &Page<'_>, codes: &[String]) -> Markup {
    layout(
        page,
        html! {
            section.card {
                h1 { "Your recovery codes" }
                (flash("warn", "Keep these somewhere safe, away from your phone. Each works once, if you lose your phone. They will not be shown again."))
                ul { @for c in codes { li { code.secret { (c) } } } }
                p { a.button href="/" { "I have kept them: continue" } }
            }
        },
    )
}

pub struct SetupForm<'a> {
    pub school: &'a str,
    pub name: &'a str,
    pub initials: &'a str,
    pub email: &'a str,
    pub roles: &'a [Role],
}

pub fn setup(csrf: &str, action: &str, f: &SetupForm<'_>, errors: &FieldErrors) -> Markup {
    layout(
        &Page::new("Set up safelog"),
        html! {
            section.card {
                h1 { "Set up safelog" }
                p { "Name the school and create the first administrator account. This link works once." }
                (error_summary(errors, &["school", "name", "initials", "email", "password", "confirm_password"]))
                form.stack method="post" action=(action) {
                    (csrf_field(csrf))
                    (Field::text("school", "School name", f.school).render(errors))
                    (Field::text("name", "Your name", f.name).autocomplete("name").render(errors))
                    (Field::text("initials", "Your initials", f.initials).hint("As you sign incident records, e.g. MAL").render(errors))
                    (Field::text("email", "Your email", f.email).kind("email").autocomplete("username").render(errors))
                    (Field::text("password", "Password", "").kind("password").autocomplete("new-password").hint("At least 12 characters.").render(errors))
                    (Field::text("confirm_password", "Password again", "").kind("password").autocomplete("new-password").render(errors))
                    fieldset {
                        legend { "You are the administrator. Do you also hold any of these roles?" }
                        @for role in [Role::Headteacher, Role::Dsl, Role::OnlineSafetyLead, Role::Dpo] {
                            label.choice {
                                input type="checkbox" name="role" value=(role.as_str()) checked[f.roles.contains(&role)];
                                " " (role.label())
                            }
                        }
                    }
                    div { button type="submit" { "Create the school and my account" } }
                }
            }
        },
    )
}

pub fn link_unusable() -> Markup {
    layout(
        &Page::new("Link not valid"),
        html! {
            section.notice {
                h1 { "This link cannot be used" }
                p { "It has been used already, has expired, or was copied incompletely. Ask for a new one." }
                p { a href="/login" { "Go to sign in" } }
            }
        },
    )
}

pub fn reset_request(csrf: &str, sent: bool, errors: &FieldErrors, email: &str) -> Markup {
    layout(
        &Page::new("Reset your password"),
        html! {
            section.card {
                h1 { "Reset your password" }
                @if sent {
                    (flash("ok", "If that address belongs to an account, we have emailed it a link to set a new password. The link works once, for one hour."))
                } @else {
                    form.stack method="post" action="/password-reset" {
                        (csrf_field(csrf))
                        (Field::text("email", "Your email", email).kind("email").autocomplete("username").render(errors))
                        div { button type="submit" { "Email me a link" } }
                    }
                }
                p { a href="/login" { "Back to sign in" } }
            }
        },
    )
}

pub fn reset_form(csrf: &str, action: &str, errors: &FieldErrors) -> Markup {
    layout(
        &Page::new("Choose a new password"),
        html! {
            section.card {
                h1 { "Choose a new password" }
                (error_summary(errors, &["password", "confirm_password"]))
                form.stack method="post" action=(action) {
                    (csrf_field(csrf))
                    (Field::text("password", "New password", "").kind("password").autocomplete("new-password").hint("At least 12 characters.").render(errors))
                    (Field::text("confirm_password", "New password again", "").kind("password").autocomplete("new-password").render(errors))
                    div { button type="submit" { "Set password" } }
                }
            }
        },
    )
}
