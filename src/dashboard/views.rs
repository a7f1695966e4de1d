use maud::{html, Markup};

use crate::views::{layout, Page};

/// What someone not yet signed in sees.
pub fn welcome() -> Markup {
    layout(
        &Page::new("Welcome"),
        html! {
            section.card {
                h1 { "safelog" }
                p { "The school's online-safety incident log. Log a concern in two minutes; it goes straight to the person who must deal with it." }
                p { a.button href="/login" { "Sign in" } }
            }
            div.grid {
                section.card {
                    h2 { "Worried about a pupil right now?" }
                    p { "If a child is in immediate danger, call 999. Then tell the Designated Safeguarding Lead in person." }
                }
                section.card {
                    h2 { "Never attach images" }
                    p { "Do not view, copy, screenshot, forward or save nudes or abuse imagery, even as evidence. Describe where it was seen." }
                }
            }
        },
    )
}
