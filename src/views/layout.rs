//! The frame around every page: head, header with navigation, main, footer.

use maud::{html, Markup, DOCTYPE};

use crate::auth::csrf::CsrfToken;
use crate::auth::roles::Role;
use crate::auth::session::CurrentUser;

/// What the layout needs to know about the page it frames.
pub struct Page<'a> {
    pub title: &'a str,
    /// Navigation links for the signed-in person: (href, label).
    pub nav: Vec<(&'static str, &'static str)>,
    /// Who is signed in, shown in the header.
    pub signed_in_as: Option<String>,
    /// The CSRF token for the sign-out form, when someone is signed in.
    pub csrf: Option<String>,
    /// Say "Saved." at the top: the page after an administrator's save.
    pub saved: bool,
    /// The school being worked in and the person's schools (id, name), for
    /// the header's switch; shown only to people with more than one.
    pub school: Option<String>,
    pub schools: Vec<(String, String)>,
}

impl<'a> Page<'a> {
    pub fn new(title: &'a str) -> Self {
        Self {
            title,
            nav: Vec::new(),
            signed_in_as: None,
            csrf: None,
            saved: false,
            school: None,
            schools: Vec::new(),
        }
    }

    /// A page for a signed-in person: their navigation and the sign-out form.
    pub fn for_user(title: &'a str, user: &CurrentUser, csrf: &CsrfToken) -> Self {
        Self {
            title,
            nav: nav_for(user),
            signed_in_as: Some(user.name.clone()),
            csrf: Some(csrf.0.clone()),
            saved: false,
            school: Some(user.school_name.clone()),
            schools: user
                .memberships
                .iter()
                .filter(|(id, _)| *id != user.school_id)
                .cloned()
                .collect(),
        }
    }

    /// Says "Saved." when the request came back from a save (`?saved=1`,
    /// a fixed marker and nothing else).
    pub fn saved_if(mut self, req: &actix_web::HttpRequest) -> Self {
        self.saved = req.query_string().split('&').any(|p| p == "saved=1");
        self
    }
}

/// The links a person's roles give them.
fn nav_for(user: &CurrentUser) -> Vec<(&'static str, &'static str)> {
    let mut nav = vec![("/", "Home")];
    let reads_incidents = user.roles.any(&[
        Role::Staff,
        Role::OnlineSafetyLead,
        Role::Dsl,
        Role::Headteacher,
        Role::Dpo,
        Role::Leadership,
        Role::AllegationsLead,
    ]);
    if reads_incidents {
        nav.push(("/incidents/new", "Log an incident"));
        nav.push(("/incidents", "Incidents"));
    } else if user.has(Role::TrustSafeguardingLead) {
        // Reads the school's incidents as the DSL does; logs nothing there.
        nav.push(("/incidents", "Incidents"));
    }
    if user.has(Role::TrustSafeguardingLead) {
        nav.push(("/trust", "Trust"));
    }
    if user.has(Role::TrustAdmin) {
        nav.push(("/trust/admin", "Trust administration"));
    }
    if user.roles.any(crate::monitoring::TRIAGERS) {
        nav.push(("/monitoring", "Monitoring"));
    }
    if user.roles.any(crate::monitoring::review::READER_ROLES) {
        nav.push(("/filtering-review", "Filtering review"));
    }
    if user.roles.any(&[Role::Dsl, Role::TrustSafeguardingLead]) {
        nav.push(("/transfers", "Transfers"));
    }
    if user.roles.any(crate::access_requests::ROLES) {
        nav.push(("/access-requests", "Access requests"));
    }
    if user.roles.any(crate::retention::REVIEWER_ROLES) {
        nav.push(("/retention", "Retention"));
    } else if user.roles.any(crate::retention::HOLDER_ROLES) {
        nav.push(("/retention/holds", "Legal holds"));
    }
    if user.roles.any(crate::reports::READER_ROLES) {
        nav.push(("/reports", "Reports"));
    }
    if user
        .roles
        .any(&[Role::Trustee, Role::TrustSafeguardingLead])
    {
        // A trustee's only pages are the trust's reports: "Reports" to them.
        let reads_others =
            user.has(Role::TrustSafeguardingLead) || user.roles.any(crate::reports::READER_ROLES);
        let label = if reads_others {
            "Trust reports"
        } else {
            "Reports"
        };
        nav.push(("/trust/reports", label));
    }
    if user.has(Role::Admin) {
        nav.push(("/admin", "Administration"));
        nav.push(("/admin/pupils", "Pupils"));
    }
    if user.roles.any(&[Role::Dsl, Role::Admin]) {
        nav.push(("/import/log", "Import the old log"));
    }
    nav.push(("/account", "Account"));
    nav
}

pub fn layout(page: &Page<'_>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex, nofollow";
                title { (page.title) " · safelog" }
                link rel="stylesheet" href="/assets/style.css";
                link rel="icon" href="/assets/icon.svg" type="image/svg+xml";
                script src="/assets/app.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.site {
                    a.brand href="/" {
                        img src="/assets/icon.svg" alt="" width="28" height="28";
                        span { "safelog" }
                    }
                    @if !page.nav.is_empty() {
                        nav aria-label="Main" {
                            ul {
                                @for (href, label) in &page.nav {
                                    li { a href=(href) { (label) } }
                                }
                            }
                        }
                    }
                    @if let (Some(school), Some(csrf), false) = (&page.school, &page.csrf, page.schools.is_empty()) {
                        // A person who works in several schools sees which
                        // one this page is about, and moves between them
                        // with a form (the school is named by its opaque id,
                        // never in an address).
                        div.school {
                            span { "School: " strong { (school) } }
                            form method="post" action="/account/school" {
                                input type="hidden" name="csrf" value=(csrf);
                                label for="school-switch" { "Switch to" }
                                select #school-switch name="school_id" {
                                    @for (id, name) in &page.schools {
                                        option value=(id) { (name) }
                                    }
                                }
                                button.link type="submit" { "Switch" }
                            }
                        }
                    }
                    @if let Some(who) = &page.signed_in_as {
                        div.who {
                            a href="/account" { (who) }
                            @if let Some(csrf) = &page.csrf {
                                form method="post" action="/logout" {
                                    input type="hidden" name="csrf" value=(csrf);
                                    button.link type="submit" { "Sign out" }
                                }
                            }
                        }
                    }
                }
                main #main {
                    @if page.saved { div.flash.ok role="status" { "Saved." } }
                    (body)
                }
                footer.site {
                    p { "Confidential: safeguarding records. Do not share, print or save outside school systems." }
                }
            }
        }
    }
}
