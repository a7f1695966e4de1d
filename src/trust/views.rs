use maud::{html, Markup};

use super::store::{SchoolFigures, TrustBoard};
use crate::auth::csrf::CsrfToken;
use crate::auth::CurrentUser;
use crate::views::{layout, Page};

pub fn dashboard(user: &CurrentUser, csrf: &CsrfToken, board: &TrustBoard) -> Markup {
    let page = Page::for_user("Trust dashboard", user, csrf);
    layout(
        &page,
        html! {
            h1 { "Trust dashboard: " (board.trust_name) }
            p.hint {
                "Each school as its Designated Safeguarding Lead would count it. "
                "A figure with a button opens that school's incident list, "
                "filtered (you then work in that school)."
            }
            table.trust-board {
                thead {
                    tr {
                        th scope="col" { "School" }
                        th scope="col" { "Open cases" }
                        th scope="col" { "New" }
                        th scope="col" { "New, past the pick-up time" }
                        th scope="col" { "Awaiting acknowledgement" }
                        th scope="col" { "Open referrals" }
                        th scope="col" { "Referrals waiting for a reference" }
                    }
                }
                tbody {
                    @for s in &board.schools {
                        tr data-school=(s.school_id) {
                            th scope="row" {
                                (s.school_name)
                                @if s.asked_for_help { br; span.badge { "Asked you to work its cases" } }
                            }
                            td data-figure="open" { (figure(csrf, s, s.open, "/incidents")) }
                            td data-figure="new" { (figure(csrf, s, s.new, "/incidents?status=new")) }
                            td data-figure="new_past_pickup" {
                                (figure(csrf, s, s.new_past_pickup, "/incidents?status=new"))
                            }
                            td data-figure="unacknowledged" {
                                (figure(csrf, s, s.unacknowledged, "/incidents?unacknowledged=1"))
                            }
                            td data-figure="open_referrals" { (s.open_referrals) }
                            td data-figure="awaiting_reference" { (s.awaiting_reference) }
                        }
                    }
                }
            }
        },
    )
}

/// A count and, beside it, a button that switches to the school and opens
/// its list with the filter that shows those incidents (none for a zero:
/// there is nothing to open).
fn figure(csrf: &CsrfToken, s: &SchoolFigures, n: i64, then: &str) -> Markup {
    if n == 0 {
        return html! { span.count { "0" } };
    }
    html! {
        form.inline method="post" action="/account/school" {
            input type="hidden" name="csrf" value=(csrf.0);
            input type="hidden" name="school_id" value=(s.school_id);
            input type="hidden" name="then" value=(then);
            span.count { (n) } " "
            button.link type="submit" aria-label={ "Open " (s.school_name) "'s list" } { "Open" }
        }
    }
}
