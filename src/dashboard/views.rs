use maud::{html, Markup};

use crate::auth::csrf::CsrfToken;
use crate::auth::{CurrentUser, Role};
use crate::views::{layout, Page};

/// The signed-in person's start page: one card for each thing their roles do.
pub fn home(user: &CurrentUser, csrf: &CsrfToken) -> Markup {
    layout(
        &Page::for_user("Home", user, csrf),
        html! {
            h1 { "Hello, " (user.name) }
            p.muted { "Signed in as " (user.roles.labels()) "." }
            div.grid {
                section.card {
                    h2 { "Worried about a pupil right now?" }
                    p { "If a child is in immediate danger, call 999. Then tell the Designated Safeguarding Lead in person." }
                }
                section.card {
                    h2 { "Never attach images" }
                    p { "Do not view, copy, screenshot, forward or save nudes or abuse imagery, even as evidence. Describe where it was seen." }
                }
                @if user.has(Role::Admin) {
                    section.card {
                        h2 { a href="/admin" { "Administration" } }
                        p { "Accounts, roles and school settings." }
                    }
                }
            }
        },
    )
}
