//! The inbox, an alert's page and the log form opened from an alert.

use chrono::NaiveDateTime;
use maud::{html, Markup};

use super::api::ListQuery;
use super::figures::{span, Figures, WINDOW_DAYS};
use super::handlers::DismissInput;
use super::model::{Alert, DismissReason, Severity, Status};
use crate::categories::Category;
use crate::forms::FieldErrors;
use crate::incidents::forms::IncidentInput;
use crate::views::components::{csrf_field, error_summary, flash};
use crate::views::time::moment;
use crate::views::{layout, Page};

pub struct Inbox {
    pub items: Vec<(Alert, Option<String>)>,
    pub total: i64,
    /// This page, from 1, and how many there are.
    pub page: i64,
    pub pages: i64,
    pub sources: Vec<(String, String)>,
    pub pupils: Vec<(String, String)>,
    pub figures: Figures,
}

fn severity_badge(s: Severity) -> Markup {
    html! { span.badge.severity.(s.as_str()) { (s.label()) } }
}

fn status_badge(s: Status) -> Markup {
    html! { span.badge.status.(s.as_str()) { (s.label()) } }
}

fn select(name: &'static str, label: &str, current: &str, options: &[(String, String)]) -> Markup {
    let id = format!("f-{name}");
    html! {
        div.field {
            label for=(id) { (label) }
            select id=(id) name=(name) {
                @for (value, text) in options {
                    option value=(value) selected[value == current] { (text) }
                }
            }
        }
    }
}

fn figures(f: &Figures) -> Markup {
    html! {
        section.card #figures {
            h2 { "How fast alerts are looked at" }
            p.hint {
                "Alerts received in the last " (WINDOW_DAYS) " days. The school's target for a first look is "
                (f.target_hours) " hours (the administrator sets it)."
            }
            table.stack {
                thead { tr {
                    th scope="col" { "Severity" }
                    th scope="col" { "Received" }
                    th scope="col" { "Median time to first look" }
                    th scope="col" { "Median time to decision" }
                    th scope="col" { "Looked at after the target" }
                    th scope="col" { "Not looked at, past the target" }
                } }
                tbody { @for (s, r) in &f.rows { tr {
                    td data-label="Severity" { (severity_badge(*s)) }
                    td data-label="Received" { (r.received) }
                    td data-label="Median time to first look" { (r.median_to_look.map(span).unwrap_or_else(|| "–".into())) }
                    td data-label="Median time to decision" { (r.median_to_decision.map(span).unwrap_or_else(|| "–".into())) }
                    td data-label="Looked at after the target" { (r.looked_late) }
                    td data-label="Not looked at, past the target" {
                        @if r.waiting_past_target > 0 { strong.late { (r.waiting_past_target) } } @else { "0" }
                    }
                } } }
            }
        }
    }
}

pub fn inbox(page: &Page<'_>, d: &Inbox, q: &ListQuery, problem: bool) -> Markup {
    let statuses: Vec<(String, String)> = [("open", "Open (new or acknowledged)")]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .chain(
            Status::ALL
                .iter()
                .map(|s| (s.as_str().to_string(), s.label().to_string())),
        )
        .chain([("all".to_string(), "All".to_string())])
        .collect();
    let severities: Vec<(String, String)> = [("".to_string(), "Any".to_string())]
        .into_iter()
        .chain(
            Severity::ALL
                .iter()
                .map(|s| (s.as_str().to_string(), s.label().to_string())),
        )
        .collect();
    let sources: Vec<(String, String)> = [("".to_string(), "Any".to_string())]
        .into_iter()
        .chain(d.sources.iter().cloned())
        .collect();
    let pupils: Vec<(String, String)> = [("".to_string(), "Any".to_string())]
        .into_iter()
        .chain(d.pupils.iter().cloned())
        .collect();
    let filtered = !(q.status.trim().is_empty() || q.status.trim() == "open")
        || [&q.severity, &q.source, &q.pupil_id]
            .iter()
            .any(|f| !f.trim().is_empty());
    layout(
        page,
        html! {
            h1 { "Monitoring alerts" }
            p.muted {
                "Alerts from the school's filtering and monitoring tools, most severe first and newest first. "
                "Open one to acknowledge it, dismiss it with a reason, or log an incident from it. Nothing is deleted."
            }
            @if problem { (flash("error", "One of the filters was not understood, so the open alerts are shown.")) }
            // Folded until used, so that on a phone the alerts come first.
            details.filters open[filtered] {
                summary { "Filter the alerts" }
                form.filters method="get" action="/monitoring" {
                    div.grid {
                        (select("status", "Status", q.status.trim(), &statuses))
                        (select("severity", "Severity", q.severity.trim(), &severities))
                        (select("source", "Source", &q.source.trim().to_lowercase(), &sources))
                        (select("pupil_id", "Pupil", q.pupil_id.trim(), &pupils))
                    }
                    button type="submit" { "Filter" }
                }
            }
            section.card #alerts {
                h2 { (d.total) " " @if d.total == 1 { "alert" } @else { "alerts" } }
                @if d.items.is_empty() {
                    p { "No alerts match." }
                } @else {
                    @if d.pages > 1 {
                        p.hint #page-count {
                            "Alerts " ((d.page - 1) * super::handlers::PER_PAGE + 1) " to " ((d.page - 1) * super::handlers::PER_PAGE + d.items.len() as i64)
                            " of " (d.total) " (page " (d.page) " of " (d.pages) ")."
                        }
                    }
                    table.stack {
                        thead { tr {
                            th scope="col" { "Severity" }
                            th scope="col" { "Received" }
                            th scope="col" { "Source" }
                            th scope="col" { "Pupil" }
                            th scope="col" { "Status" }
                            th scope="col" { span.visually-hidden { "Open" } }
                        } }
                        tbody { @for (a, name) in &d.items { tr {
                            td data-label="Severity" { (severity_badge(a.severity())) }
                            td data-label="Received" {
                                (moment(a.received_at))
                                @if a.first_looked_at.is_none() { " " span.badge.new { "not looked at" } }
                            }
                            td data-label="Source" { (a.source) }
                            td data-label="Pupil" {
                                @match (name, &a.pupil_identifier) {
                                    (Some(n), _) => { (n) },
                                    (None, Some(ident)) => { span.muted { "Not matched: " } (ident) },
                                    (None, None) => { span.muted { "Not given" } },
                                }
                            }
                            td data-label="Status" { (status_badge(a.status())) }
                            td { a href=(format!("/monitoring/{}", a.id)) { "Open" span.visually-hidden { " the " (a.source) " alert of " (moment(a.received_at)) } } }
                        } } }
                    }
                    @if d.pages > 1 { (pager(d, q)) }
                }
            }
            (figures(&d.figures))
        },
    )
}

/// Links to the previous and next pages and a few around this one, the
/// filters kept (their values are fixed words and ids, never typed text).
fn pager(d: &Inbox, q: &ListQuery) -> Markup {
    let link = |page: i64| {
        let query = serde_urlencoded::to_string([
            ("status", q.status.trim()),
            ("severity", q.severity.trim()),
            ("source", q.source.trim()),
            ("pupil_id", q.pupil_id.trim()),
            ("page", &page.to_string()),
        ])
        .unwrap_or_default();
        format!("/monitoring?{query}")
    };
    let around: Vec<i64> = (1..=d.pages)
        .filter(|p| *p == 1 || *p == d.pages || (p - d.page).abs() <= 2)
        .collect();
    html! {
        nav.pager aria-label="Pages of alerts" {
            @if d.page > 1 { a rel="prev" href=(link(d.page - 1)) { "← Previous" } " " }
            @for (i, p) in around.iter().enumerate() {
                @if i > 0 && around[i - 1] + 1 < *p { span.muted { "… " } }
                @if *p == d.page { strong aria-current="page" { (p) } " " }
                @else { a href=(link(*p)) { (p) } " " }
            }
            @if d.page < d.pages { a rel="next" href=(link(d.page + 1)) { "Next →" } }
        }
    }
}

/// What an alert's page shows.
pub struct AlertPage {
    pub alert: Alert,
    pub pupil: Option<(String, Option<String>)>,
    pub first_looked_by: Option<String>,
    pub acknowledged_by: Option<String>,
    pub decided_by: Option<String>,
    pub incident_reference: Option<String>,
}

/// The message for a triage step's fixed code.
pub fn message(code: &str) -> Option<&'static str> {
    Some(match code {
        "acknowledged" => "You acknowledged this alert.",
        "dismissed" => {
            "You dismissed this alert. It stays in the inbox under Dismissed, with your reason."
        }
        "already" => "This alert had already been dealt with: nothing was changed.",
        _ => return None,
    })
}

fn by(who: &Option<String>, at: Option<NaiveDateTime>) -> Markup {
    html! {
        @match at {
            Some(t) => { (moment(t)) @if let Some(w) = who { ", " (w) } },
            None => { span.muted { "Not yet" } },
        }
    }
}

pub fn alert_page(
    page: &Page<'_>,
    p: &AlertPage,
    done: Option<&str>,
    dismiss: &DismissInput,
    errors: &FieldErrors,
) -> Markup {
    let a = &p.alert;
    let csrf = page.csrf.clone().unwrap_or_default();
    let open = !a.status().decided();
    layout(
        page,
        html! {
            p { a href="/monitoring" { "← Monitoring alerts" } }
            h1 { "Alert from " (a.source) " " (severity_badge(a.severity())) " " (status_badge(a.status())) }
            @if let Some(m) = done { (flash("ok", m)) }
            section.card {
                dl.record {
                    dt { "Pupil" } dd {
                        @match (&p.pupil, &a.pupil_id) {
                            (Some((name, group)), Some(id)) => {
                                a href=(format!("/pupils/{id}")) { (name) }
                                @if let Some(g) = group { " (" (g) ")" }
                            },
                            _ => { span.muted { "Not matched to the roll" } },
                        }
                    }
                    dt { "The tool's identifier" } dd { (a.pupil_identifier.as_deref().unwrap_or("Not given")) }
                    dt { "Account" } dd { (a.account.as_deref().unwrap_or("Not given")) }
                    dt { "Device" } dd { (a.device.as_deref().unwrap_or("Not given")) }
                    dt { "Severity" } dd { (a.severity().label()) " " span.muted { "(the tool said: " (a.tool_severity) ")" } }
                    dt { "Category suggested" } dd { (a.category_hint.as_deref().unwrap_or("None")) }
                    dt { "When it happened" } dd { @match a.occurred_at { Some(t) => { (moment(t)) }, None => { span.muted { "Not given" } } } }
                    dt { "Received" } dd { (moment(a.received_at)) }
                    dt { "What the tool reported" } dd.text { (a.text.as_deref().unwrap_or("")) }
                    dt { "Address" } dd {
                        // Text, not a link: the page the tool flagged is not
                        // one to open from here.
                        @if let Some(u) = &a.url { code { (u) } } @else { span.muted { "Not given" } }
                    }
                    @if let Some(extra) = &a.extra {
                        dt { "Other fields the tool sent" } dd { code.text { (extra) } }
                    }
                    dt { "The tool's alert id" } dd { (a.tool_alert_id) }
                }
            }
            section.card #triage {
                h2 { "Triage" }
                dl.record {
                    dt { "First looked at" } dd { (by(&p.first_looked_by, a.first_looked_at)) }
                    dt { "Acknowledged" } dd { (by(&p.acknowledged_by, a.acknowledged_at)) }
                    @if a.status().decided() {
                        dt { (if a.status() == Status::Dismissed { "Dismissed" } else { "Promoted" }) } dd { (by(&p.decided_by, a.decided_at)) }
                    }
                    @if let Some(reason) = a.dismissal() { dt { "Why it was dismissed" } dd.text { (reason) } }
                    @if let Some(i) = &a.incident_id {
                        dt { "Incident" } dd { a href=(format!("/incidents/{i}")) { (p.incident_reference.as_deref().unwrap_or("Open the incident")) } }
                    }
                }
                @if open {
                    div.case-buttons {
                        @if a.status() == Status::New {
                            form method="post" action=(format!("/monitoring/{}/acknowledge", a.id)) {
                                (csrf_field(&csrf))
                                button type="submit" { "Acknowledge" }
                            }
                        }
                        a.button href=(format!("/monitoring/{}/promote", a.id)) { "Log an incident from this alert" }
                    }
                    h3 { "Dismiss" }
                    (error_summary(errors, &["reason", "note"]))
                    form.stack method="post" action=(format!("/monitoring/{}/dismiss", a.id)) {
                        (csrf_field(&csrf))
                        fieldset.field.has-error[errors.get("reason").is_some()] #f-reason {
                            legend { "Why is it dismissed?" }
                            @if let Some(m) = errors.get("reason") { p.error { (m) } }
                            @for r in DismissReason::ALL {
                                label.choice {
                                    input type="radio" name="reason" value=(r.as_str()) checked[dismiss.reason == r.as_str()];
                                    " " (r.label())
                                }
                            }
                        }
                        (crate::incidents::views::textarea("note", "In your words", Some("Required for Other; kept with the alert and in the annual review."), &dismiss.note, errors, false))
                        button.secondary type="submit" { "Dismiss this alert" }
                    }
                }
            }
        },
    )
}

pub fn promote_form(
    page: &Page<'_>,
    a: &Alert,
    categories: &[Category],
    input: &IncidentInput,
    errors: &FieldErrors,
    today: chrono::NaiveDate,
) -> Markup {
    let intro = html! {
        div.flash.warn role="note" {
            "From the " (a.source) " alert of " (moment(a.received_at)) " ("
            (a.severity().label().to_lowercase()) "). The pupil, date, category, where and platform are filled in from the alert: "
            "check each, and write what happened. "
            @if a.pupil_id.is_none() {
                @if let Some(ident) = &a.pupil_identifier { "The tool knows the pupil as " strong { (ident) } "; it is not on the roll under that identifier. " }
            }
            a href=(format!("/monitoring/{}", a.id)) { "Back to the alert" }
        }
    };
    crate::incidents::views::form::log_form_to(
        page,
        categories,
        input,
        errors,
        today,
        &format!("/monitoring/{}/promote", a.id),
        intro,
    )
}
