use maud::{html, Markup};

use super::store::Logged;
use crate::accounts::grants::Grant;
use crate::auth::csrf::CsrfToken;
use crate::auth::{CurrentUser, Role};
use crate::cases::dashboard::Dashboard;
use crate::incidents::model::Status;
use crate::views::time::moment;
use crate::views::{layout, Page};

/// The signed-in person's start page: one card for each thing their roles do.
/// What the start page shows beyond the person's own cards.
pub struct Parts<'a> {
    pub transfers: Option<&'a crate::transfers::StartCard>,
    /// Subject access requests due within seven days or overdue, and today.
    pub access_requests: Option<&'a (crate::access_requests::StartCard, chrono::NaiveDate)>,
    pub cases: Option<&'a Dashboard>,
    pub mine: &'a [Logged],
    pub checklist: Option<&'a super::checklist::Checklist>,
    pub grants: &'a [Grant],
    /// For a trust administrator: trust safeguarding leads given recently.
    pub trust_grants: &'a [Grant],
    /// For the school's DSL or headteacher in a trust: whether the trust's
    /// safeguarding lead is working the school's cases now.
    pub trust_help: Option<bool>,
    /// The severities of the monitoring alerts nobody has looked at yet.
    pub monitoring: &'a [String],
    /// For a trustee: the trust's latest published report, if any.
    pub trust_report: Option<Option<&'a crate::trust::reports::report::Listed>>,
}

pub fn home(user: &CurrentUser, csrf: &CsrfToken, parts: Parts<'_>) -> Markup {
    let Parts {
        transfers,
        access_requests,
        cases,
        mine,
        checklist,
        grants,
        trust_grants,
        trust_help,
        monitoring,
        trust_report,
    } = parts;
    let critical = monitoring.iter().filter(|s| *s == "critical").count();
    let logs = user.roles.any(&[
        Role::Staff,
        Role::OnlineSafetyLead,
        Role::Dsl,
        Role::Headteacher,
        Role::Dpo,
    ]);
    let leads = user.roles.any(&[
        Role::OnlineSafetyLead,
        Role::Dsl,
        Role::Headteacher,
        Role::Dpo,
        Role::Leadership,
    ]);
    let reads_reports = user.roles.any(crate::reports::READER_ROLES);
    layout(
        &Page::for_user("Home", user, csrf),
        html! {
            h1 { "Hello, " (user.name) }
            p.muted { "Signed in as " (user.roles.labels()) "." }
            @if !monitoring.is_empty() {
                section.card #monitoring role=[(critical > 0).then_some("alert")] {
                    h2 { "Monitoring alerts not yet looked at" }
                    p {
                        @if critical > 0 { strong.late { (critical) " critical" } ", " }
                        (monitoring.len()) " in all. "
                        a href=(if critical > 0 { "/monitoring?status=new&severity=critical" } else { "/monitoring?status=new" }) { "Open the monitoring inbox" }
                    }
                }
            }
            @if let Some(latest) = trust_report { (crate::trust::reports::views::home_card(latest)) }
            @if let Some(c) = checklist { (super::checklist::view(c)) }
            @if !grants.is_empty() { (role_grants(grants)) }
            @if !trust_grants.is_empty() { (trust_lead_grants(trust_grants)) }
            @if let Some(t) = transfers { (transfer_card(t)) }
            @if let Some((card, today)) = access_requests { (crate::access_requests::views::start_card(card, *today)) }
            @if let Some(d) = cases { (crate::cases::views::dashboard(&csrf.0, d)) }
            @if !mine.is_empty() {
                section.card #mine {
                    h2 { "Incidents you logged" }
                    table.stack {
                        thead { tr { th { "Reference" } th { "Pupil" } th { "Logged" } th { "Status" } } }
                        tbody { @for l in mine { tr {
                            td data-label="Reference" { a href=(format!("/incidents/{}", l.id)) { (l.reference) } }
                            td data-label="Pupil" { (l.pupil) }
                            td data-label="Logged" { (moment(l.logged_at)) }
                            td data-label="Status" {
                                @let s = Status::parse(&l.status).unwrap_or(Status::New);
                                span.badge.status.(s.as_str()) { (s.reporter_label()) }
                            }
                        } } }
                    }
                }
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
                @if logs {
                    section.card {
                        h2 { a href="/incidents/new" { "Log an incident" } }
                        p { "Takes two minutes. You will get a reference and be told who it went to." }
                    }
                }
                @if leads {
                    section.card {
                        h2 { a href="/incidents" { "Incidents" } }
                        p { "Every incident your role covers: filter, search, open the record and its timeline." }
                    }
                } @else if logs {
                    section.card {
                        h2 { a href="/incidents" { "Incidents you logged" } }
                        p { "Their status, and your follow-up notes." }
                    }
                }
                @if reads_reports {
                    section.card {
                        h2 { a href="/reports" { "Reports for governors" } }
                        @if user.has(Role::Governor) {
                            p { "Each term's online safety incidents in numbers, as the Online Safety Lead publishes them, with their commentary. No names, no details." }
                        } @else if user.has(Role::OnlineSafetyLead) {
                            p { "Each term's figures for governors. Write the commentary and publish the report." }
                        } @else {
                            p { "Each term's figures, live until the Online Safety Lead publishes them for governors." }
                        }
                    }
                }
                @if user.has(Role::TrustAdmin) {
                    section.card {
                        h2 { a href="/trust/admin" { "Trust administration" } }
                        p { "The trust's schools and their administrators, who holds the trust's roles, and the categories the trust shares." }
                    }
                }
                @if let Some(open) = trust_help {
                    section.card #trust-help {
                        h2 { a href="/trust/help" { "Help from the trust" } }
                        @if open {
                            p { strong { "The trust's safeguarding lead is working our cases." } " End the request when it is over." }
                        } @else {
                            p { "Ask the trust's safeguarding lead to work this school's cases while the DSL is away or a case needs them." }
                        }
                    }
                }
                @if user.has(Role::Admin) {
                    section.card {
                        h2 { a href="/admin" { "Administration" } }
                        p { "Accounts, roles and school settings." }
                    }
                    section.card {
                        h2 { a href="/admin/pupils" { "Pupils" } }
                        p { "Upload the pupil list from the school's information system." }
                    }
                }
            }
        },
    )
}

/// Child protection files waiting for this school's DSL, and those it sent
/// that are not confirmed within five school days.
fn transfer_card(t: &crate::transfers::StartCard) -> Markup {
    html! {
        section.card #transfers {
            h2 { "Child protection files" }
            @for w in &t.waiting {
                div.flash.warn role="status" {
                    strong { "A child protection file has been sent to your school" }
                    " from " (w.from_school_name) " on " (moment(w.sent_at)) ". "
                    a.button href=(format!("/transfers/{}", w.id)) { "Open it" }
                }
            }
            @if t.overdue > 0 {
                p.overdue-transfers {
                    span.badge.late { (t.overdue) }
                    " file" @if t.overdue != 1 { "s" } " you sent " @if t.overdue != 1 { "are" } @else { "is" }
                    " not confirmed within 5 school days. "
                    a href="/transfers" { "See the transfers" }
                }
            }
        }
    }
}

/// Headteacher or DSL roles given in the last 30 days: nobody gains them unseen.
fn role_grants(grants: &[Grant]) -> Markup {
    html! {
        section.card #role-grants {
            h2 { "Lead roles given recently" }
            ul {
                @for g in grants {
                    li {
                        (g.to_name) " was given the " (role_label(&g.role)) " role "
                        @if let Some(via) = &g.via { "through " (via) ", set up " }
                        "by " (g.by_name.as_deref().unwrap_or("the server's administrator"))
                        " on " (g.at.format("%d/%m/%Y %H:%M")) " UTC."
                    }
                }
            }
            p.muted { "Not expected? Ask your administrator, or check Administration, Accounts and roles." }
        }
    }
}

/// Trust safeguarding leads and allegations leads given across the trust
/// in the last 30 days by someone else: nobody reads every school's most
/// sensitive records unseen.
fn trust_lead_grants(grants: &[Grant]) -> Markup {
    html! {
        section.card #trust-role-grants {
            h2 { "Trust lead roles given recently" }
            ul {
                @for g in grants {
                    li {
                        (g.to_name) " was given the " (role_label(&g.role)) " role by "
                        (g.by_name.as_deref().unwrap_or("the server's administrator"))
                        " on " (g.at.format("%d/%m/%Y %H:%M")) " UTC."
                    }
                }
            }
            p.muted { "Not expected? Check " a href="/trust/admin/people" { "People and trust roles" } "." }
        }
    }
}

fn role_label(role: &str) -> &'static str {
    role.parse::<Role>()
        .ok()
        .or_else(|| crate::accounts::store::trust_role(role))
        .map_or("unknown", Role::label)
}
