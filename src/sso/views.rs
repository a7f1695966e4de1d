//! Pages of sign-in with OpenID Connect: the ones a person meets on the way
//! back from their provider, and the administrators' page of providers.

use chrono::NaiveDateTime;
use maud::{html, Markup};

use super::model::{Preset, Provider, ProviderInput};
use crate::accounts::model::User;
use crate::auth::store::SignInSettings;
use crate::forms::FieldErrors;
use crate::views::components::{csrf_field, error_summary, flash, Field};
use crate::views::{layout, Page};

fn notice(title: &str, body: Markup) -> Markup {
    layout(
        &Page::new(title),
        html! {
            section.card {
                h1 { (title) }
                (body)
                p { a href="/login" { "Back to sign in" } }
            }
        },
    )
}

/// The way on after a good sign-in (the browser follows its Refresh).
pub fn continue_to(next: &'static str) -> Markup {
    notice(
        "Signing you in",
        html! { p { a.button href=(next) { "Continue" } } },
    )
}

pub fn unknown(email: &str, owner: &str) -> Markup {
    notice(
        "safelog has no account for you yet",
        html! {
            p { "You signed in as " strong { (email) } ", but that address has no safelog account at " (if owner.is_empty() { "this school" } else { owner }) "." }
            p { "Ask your school's safelog administrator to add you (Administration, Accounts and roles) with this email address, then sign in again." }
            p { "If a child is in immediate danger, call 999, then tell the Designated Safeguarding Lead in person. Do not wait to sign in." }
        },
    )
}

pub fn deactivated() -> Markup {
    notice(
        "Your safelog account is switched off",
        html! {
            p { "Your school's administrator has deactivated your safelog account, so you cannot sign in, whichever way you try." }
            p { "If you still work at the school, ask the administrator to reactivate it." }
        },
    )
}

pub fn refused(provider: &str, reason: &str) -> Markup {
    notice(
        "That sign-in was refused",
        html! {
            p { "safelog could not accept the answer from " (provider) ": " (reason) "." }
            p { "Try again. If it keeps happening, tell your school's safelog administrator the time it happened: the reason is in the sign-in history." }
        },
    )
}

pub fn start_again() -> Markup {
    notice(
        "Start signing in again",
        html! {
            p { "That sign-in link has been used already, has expired, or was opened in another browser. Sign-in links work once, for ten minutes, in the browser that started them." }
        },
    )
}

pub fn unreachable(provider: &str) -> Markup {
    notice(
        "The sign-in service did not answer",
        html! {
            p { "safelog could not reach " (provider) " to start signing you in. Try again in a minute, or sign in with your password if your school allows it." }
        },
    )
}

/// Whose page it is: a school's administrators, or a trust's.
pub enum Scope<'a> {
    School {
        settings: SignInSettings,
        /// The trust's providers, which the school uses but cannot change.
        trust_providers: &'a [Provider],
        unseen: &'a [(User, Option<NaiveDateTime>)],
        sso_has_worked: bool,
    },
    Trust,
}

pub struct AdminPage<'a> {
    pub page: Page<'a>,
    pub action: &'static str,
    pub owner_name: &'a str,
    pub providers: &'a [Provider],
    pub input: &'a ProviderInput,
    pub errors: &'a FieldErrors,
    pub settings_errors: &'a FieldErrors,
    pub redirect_uri: &'a str,
    pub scope: Scope<'a>,
    pub notice: Option<&'a str>,
    /// A role mapping sent back: provider id, claim and map as typed, why.
    pub mapping: Option<&'a (String, String, String, FieldErrors)>,
}

/// A labelled text area that keeps what was typed.
fn textarea(
    name: &'static str,
    id: &str,
    label: &str,
    hint: &str,
    value: &str,
    e: &FieldErrors,
) -> Markup {
    let error = e.get(name);
    html! {
        div.field.has-error[error.is_some()] {
            label for=(id) { (label) br; span.hint { (hint) } }
            textarea id=(id) name=(name) rows="4" aria-invalid=[error.map(|_| "true")] { (value) }
            @if let Some(m) = error { p.error { (m) } }
        }
    }
}

const MAP_HINT: &str = "One per line: the claim's value, =, then safelog roles separated by commas, such as 3fa85f64-5717-4562-b3fc-2c963f66afa6=dsl. Roles named here are granted at each sign-in when the value is in the token and taken away when it is not; other roles are left alone.";

/// Each own provider's role mapping, with a form to change it.
fn mappings(a: &AdminPage<'_>, csrf: &str) -> Markup {
    let roles = crate::auth::Role::ALL.map(|r| r.as_str()).join(", ");
    html! {
        section.card #role-mapping {
            h2 { "Roles from the provider" }
            p { "A provider can give safelog roles from a claim in its token: Entra's " code { "groups" } " (group object IDs) or " code { "roles" } " (app roles), or a custom claim. A sign-in whose token lacks the claim changes no role; a value not listed is ignored. The roles are: " (roles) "." }
            p.hint { "A headteacher, DSL or allegations lead role given this way is announced to the school's headteachers, and never given to whoever set the mapping." }
            @for p in a.providers {
                @let sent = a.mapping.filter(|(id, ..)| *id == p.id);
                @let no_errors = FieldErrors::default();
                @let (claim, map, e) = match sent {
                    Some((_, c, m, e)) => (c.clone(), m.clone(), e),
                    None => (p.role_claim.clone().unwrap_or_default(), p.role_map.clone(), &no_errors),
                };
                h3 { "Sign in with " (p.name) }
                (error_summary(e, &["role_claim", "role_map"]))
                form.stack method="post" action={ (a.action) "/" (p.id) "/roles" } {
                    (csrf_field(csrf))
                    div.field.has-error[e.get("role_claim").is_some()] {
                        label for={ "claim-" (p.id) } { "Claim" br; span.hint { "Such as groups or roles. Leave both empty for no mapping." } }
                        input type="text" id={ "claim-" (p.id) } name="role_claim" value=(claim);
                        @if let Some(m) = e.get("role_claim") { p.error { (m) } }
                    }
                    (textarea("role_map", &format!("map-{}", p.id), "Values and the roles they give", MAP_HINT, &map, e))
                    div { button.secondary type="submit" { "Save role mapping for " (p.name) } }
                }
            }
        }
    }
}

fn provider_rows(providers: &[Provider], action: Option<&str>, csrf: &str) -> Markup {
    html! {
        table {
            thead { tr { th { "Button" } th { "Kind" } th { "Issuer" } th { "Email domains" } th { "Last sign-in" } @if action.is_some() { th { span.visually-hidden { "Remove" } } } } }
            tbody {
                @for p in providers {
                    tr {
                        td { "Sign in with " (p.name) }
                        td {
                            (p.preset().label())
                            @if let Some(t) = &p.tenant_id { br; span.muted { "tenant " (t) } }
                            @if let Some(h) = &p.hosted_domain { br; span.muted { "hd " (h) } }
                            @if let Some(a) = &p.mfa_acr { br; span.muted { "acr counted as MFA: " (a) } }
                            @if let Some(d) = &p.self_sign_up_domain { br; span.muted { "self-sign-up as staff: " (d) } }
                            @if let Some((claim, map)) = p.role_mapping() { br; span.muted { "roles from claim " (claim) ": " (map.managed().iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")) } }
                        }
                        td { code { (p.issuer) } }
                        td { (p.domains.replace(' ', ", ")) }
                        td { @match p.last_success_at { Some(at) => (crate::views::time::moment(at)), None => "never" } }
                        @if let Some(a) = action {
                            td {
                                form method="post" action={ (a) "/" (p.id) "/remove" } {
                                    (csrf_field(csrf))
                                    button.secondary type="submit" { "Remove " (p.name) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub fn admin(a: &AdminPage<'_>) -> Markup {
    let csrf = a.page.csrf.clone().unwrap_or_default();
    let i = a.input;
    let e = a.errors;
    layout(
        &a.page,
        html! {
            h1 { "Sign-in: " (a.owner_name) }
            @if let Some(n) = a.notice { (flash("ok", n)) }
            section.card {
                h2 { "Sign in with a school account (single sign-on)" }
                p { "Staff sign in with the Microsoft or Google account they already have. The redirect URI to register with the provider is " code { (a.redirect_uri) } " and the scopes are " code { "openid email profile" } "." }
                @if a.providers.is_empty() {
                    p.muted { "No provider yet." }
                } @else {
                    (provider_rows(a.providers, Some(a.action), &csrf))
                }
                @if let Scope::School { trust_providers, .. } = &a.scope {
                    @if !trust_providers.is_empty() {
                        h3 { "From the trust" }
                        p.muted { "The trust's administrator manages these." }
                        (provider_rows(trust_providers, None, &csrf))
                    }
                }
            }
            @if !a.providers.is_empty() { (mappings(a, &csrf)) }
            section.card {
                h2 { "Add a provider" }
                (error_summary(e, &["name", "preset", "tenant_id", "hosted_domain", "issuer", "client_id", "client_secret", "domains", "mfa_acr", "self_sign_up_domain", "role_claim", "role_map"]))
                form.stack method="post" action=(a.action) {
                    (csrf_field(&csrf))
                    (Field::text("name", "Button name", &i.name).hint("Shown as \"Sign in with NAME\", such as Microsoft or Google.").render(e))
                    div.field.has-error[e.get("preset").is_some()] {
                        label for="f-preset" { "Kind of provider" }
                        select id="f-preset" name="preset" {
                            @for p in [Preset::Entra, Preset::Google, Preset::Generic] {
                                option value=(p.as_str()) selected[i.preset == p.as_str()] { (p.label()) }
                            }
                        }
                        @if let Some(m) = e.get("preset") { p.error { (m) } }
                    }
                    (Field::text("tenant_id", "Directory (tenant) ID (Microsoft Entra ID only)", &i.tenant_id).optional().render(e))
                    (Field::text("hosted_domain", "Workspace domain (Google only)", &i.hosted_domain).optional().render(e))
                    (Field::text("issuer", "Issuer URL", &i.issuer).optional().hint("Leave empty for Microsoft (made from the tenant ID) or Google.").render(e))
                    (Field::text("client_id", "Client (application) ID", &i.client_id).render(e))
                    (Field::text("client_secret", "Client secret", "").kind("password").autocomplete("off")
                        .hint("Stored, sent only to the provider, never shown again. Type it again if this form comes back.").render(e))
                    (Field::text("domains", "Email domains it signs in for", &i.domains).hint("Separated by spaces, such as oakprimary.org.uk.").render(e))
                    (Field::text("mfa_acr", "An acr value that means a second factor was used (optional)", &i.mfa_acr).optional()
                        .hint("Tokens with amr containing mfa already count.").render(e))
                    (Field::text("role_claim", "Claim that gives roles (optional)", &i.role_claim).optional()
                        .hint("Such as groups or roles; see Roles from the provider below.").render(e))
                    (textarea("role_map", "f-role_map", "Values and the roles they give (optional)", MAP_HINT, &i.role_map, e))
                    @if matches!(a.scope, Scope::School { .. }) {
                        (Field::text("self_sign_up_domain", "Let unknown people at this domain sign themselves up as staff (optional)", &i.self_sign_up_domain).optional().render(e))
                    }
                    div { button type="submit" { "Add provider" } }
                }
            }
            @if let Scope::School { settings, unseen, sso_has_worked, .. } = &a.scope {
                section.card {
                    h2 { "Password sign-in and leavers" }
                    (error_summary(a.settings_errors, &["password_sign_in", "dormant_after_days"]))
                    form.stack method="post" action="/admin/sign-in/settings" {
                        (csrf_field(&csrf))
                        fieldset {
                            legend { "Password sign-in" }
                            label.choice { input type="radio" name="password_sign_in" value="on" checked[settings.password_sign_in]; " On: anyone may sign in with a password" }
                            label.choice { input type="radio" name="password_sign_in" value="off" checked[!settings.password_sign_in] disabled[!sso_has_worked && settings.password_sign_in]; " Off: single sign-on only" }
                            @if let Some(m) = a.settings_errors.get("password_sign_in") { p.error { (m) } }
                            p.hint { "Off needs a provider that has signed someone in. The school's administrators keep their password, always with two-factor sign-in, as the way back in if the provider fails; from the server, " code { "safelog sso password-sign-in --school NAME --on" } " turns passwords back on." }
                        }
                        (Field::text("dormant_after_days", "List accounts not seen for this many days", &settings.dormant_after_days.to_string()).kind("number").hint("From 7 to 3650.").render(a.settings_errors))
                        div { button type="submit" { "Save" } }
                    }
                    h3 { "Not seen for " (settings.dormant_after_days) " days" }
                    @if unseen.is_empty() {
                        p.muted { "Everyone has signed in within that time." }
                    } @else {
                        p { "Leavers keep their access until deactivated. Open each account to deactivate it." }
                        table {
                            thead { tr { th { "Name" } th { "Email" } th { "Last seen" } } }
                            tbody {
                                @for (u, last) in unseen.iter() {
                                    tr {
                                        td { a href={ "/admin/users/" (u.id) } { (u.name) } }
                                        td { (u.email) }
                                        td { @match last { Some(at) => (crate::views::time::moment(*at)), None => "never signed in" } }
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
