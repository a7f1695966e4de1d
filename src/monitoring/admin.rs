//! Administration → Monitoring tools (`/admin/monitoring`): the school's
//! ingestion keys (made here, shown once, revoked), each source's severity
//! mapping, and the target for a first look at a new alert.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::keys::{self, Which};
use super::model::{KeyRow, Severity};
use super::store;
use crate::audit::{self, Event};
use crate::auth::csrf::CsrfToken;
use crate::auth::session::client_ip;
use crate::auth::CurrentUser;
use crate::db::{self, dialect::write_transaction};
use crate::error::AppError;
use crate::forms::{FieldErrors, Form};
use crate::state::AppState;
use crate::views::components::{csrf_field, error_summary, flash, Field};
use crate::views::time::moment;
use crate::views::{layout, page_with, see_other, Page};

struct Settings {
    keys: Vec<KeyRow>,
    /// (source key, source as named, the mapping as lines).
    mappings: Vec<(String, String, String)>,
    target_hours: i32,
}

fn load(conn: &mut db::AnyConnection, school_id: &str) -> Result<Settings, AppError> {
    let mut mappings = Vec::new();
    for (key, name) in store::sources(conn, school_id)? {
        let lines = store::mapping_of(conn, school_id, &key)?
            .into_iter()
            .map(|(v, s)| format!("{v} = {s}"))
            .collect::<Vec<_>>()
            .join("\n");
        mappings.push((key, name, lines));
    }
    Ok(Settings {
        keys: store::keys_of(conn, school_id)?,
        mappings,
        target_hours: store::look_within_hours(conn, school_id)?,
    })
}

/// What the page says beyond the settings: a new key (shown once), or a
/// form sent back with what was typed.
#[derive(Default)]
struct Said {
    new_key: Option<(String, String)>,
    source: String,
    mapping: Option<(String, String)>,
    target: String,
    errors: FieldErrors,
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    status: StatusCode,
    said: Said,
    saved: bool,
) -> Result<HttpResponse, AppError> {
    let school_id = user.school_id.clone();
    let s = db::run(&state.pool, move |conn| load(conn, &school_id)).await?;
    let mut page = Page::for_user("Monitoring tools", user, csrf);
    page.saved = saved;
    Ok(page_with(status, view(&page, &csrf.0, &s, &said)))
}

pub async fn page(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let saved = req.query_string().split('&').any(|p| p == "saved=1");
    render(&state, &user, &csrf, StatusCode::OK, Said::default(), saved).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct KeyForm {
    source: String,
    key: String,
}

pub async fn add_key(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    form: Form<KeyForm>,
) -> Result<HttpResponse, AppError> {
    let (school_id, by, now, source) = (
        user.school_id.clone(),
        user.id.clone(),
        state.clock.now_naive(),
        form.source.clone(),
    );
    let made = db::run(&state.pool, move |conn| {
        keys::create(conn, &school_id, &source, Some(&by), "page", now)
    })
    .await?;
    match made {
        // Shown on this response only: never in an address, never again.
        Ok(key) => {
            let said = Said {
                new_key: Some((form.source.trim().to_string(), key)),
                ..Said::default()
            };
            render(&state, &user, &csrf, StatusCode::OK, said, false).await
        }
        Err(errors) => {
            let said = Said {
                source: form.source.clone(),
                errors,
                ..Said::default()
            };
            render(
                &state,
                &user,
                &csrf,
                StatusCode::UNPROCESSABLE_ENTITY,
                said,
                false,
            )
            .await
        }
    }
}

pub async fn revoke_key(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    form: Form<KeyForm>,
) -> Result<HttpResponse, AppError> {
    let (school_id, by, now, key) = (
        user.school_id.clone(),
        user.id.clone(),
        state.clock.now_naive(),
        form.key.clone(),
    );
    let done = db::run(&state.pool, move |conn| {
        keys::revoke(conn, &school_id, Which::Id(&key), Some(&by), "page", now)
    })
    .await?;
    if done {
        return Ok(see_other("/admin/monitoring?saved=1"));
    }
    let mut errors = FieldErrors::default();
    errors.add(
        "key",
        "That key is not one of this school's live keys: nothing was revoked.",
    );
    let said = Said {
        errors,
        ..Said::default()
    };
    render(
        &state,
        &user,
        &csrf,
        StatusCode::UNPROCESSABLE_ENTITY,
        said,
        false,
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MappingForm {
    source: String,
    mapping: String,
}

/// "tool value = severity" lines, checked.
fn parse_mapping(text: &str) -> Result<Vec<(String, Severity)>, FieldErrors> {
    let mut errors = FieldErrors::default();
    crate::forms::plain(&mut errors, "mapping", text, "the mapping", true);
    let mut out: Vec<(String, Severity)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let parsed = line.rsplit_once('=').and_then(|(v, s)| {
            let v = v.trim().to_lowercase();
            (!v.is_empty() && v.chars().count() <= 60)
                .then_some(v)
                .zip(Severity::parse(s))
        });
        match parsed {
            Some((v, s)) => {
                out.retain(|(x, _)| *x != v);
                out.push((v, s));
            }
            None => errors.add(
                "mapping",
                format!("Line {} is not \"the tool's value = low, medium, high or critical\" (for example: 5 = critical).", n + 1),
            ),
        }
    }
    errors.into_result()?;
    Ok(out)
}

pub async fn set_mapping(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    req: HttpRequest,
    form: Form<MappingForm>,
) -> Result<HttpResponse, AppError> {
    let source_key = form.source.trim().to_lowercase();
    let entries = match parse_mapping(&form.mapping) {
        Ok(e) => e,
        Err(errors) => {
            let said = Said {
                mapping: Some((source_key, form.mapping.clone())),
                errors,
                ..Said::default()
            };
            return render(
                &state,
                &user,
                &csrf,
                StatusCode::UNPROCESSABLE_ENTITY,
                said,
                false,
            )
            .await;
        }
    };
    let (school_id, by, now, ip) = (
        user.school_id.clone(),
        user.id.clone(),
        state.clock.now_naive(),
        client_ip(&req),
    );
    let known = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            if !store::sources(conn, &school_id)?
                .iter()
                .any(|(k, _)| *k == source_key)
            {
                return Ok::<_, AppError>(false);
            }
            store::set_mapping(conn, &school_id, &source_key, &entries, &by, now)?;
            let summary: Vec<String> = entries
                .iter()
                .map(|(v, s)| format!("{v}={}", s.as_str()))
                .collect();
            audit::store::insert(
                conn,
                &Event::new("monitoring_mapping_set", now)
                    .school(&school_id)
                    .actor(&by)
                    .ip(Some(&ip))
                    .detail(format!("source {source_key}: {}", summary.join(", "))),
            )?;
            Ok(true)
        })
    })
    .await?;
    if !known {
        let mut errors = FieldErrors::default();
        errors.add("mapping", "Choose a tool this school has a key for.");
        let said = Said {
            errors,
            ..Said::default()
        };
        return render(
            &state,
            &user,
            &csrf,
            StatusCode::UNPROCESSABLE_ENTITY,
            said,
            false,
        )
        .await;
    }
    Ok(see_other("/admin/monitoring?saved=1"))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TargetForm {
    hours: String,
}

pub async fn set_target(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    req: HttpRequest,
    form: Form<TargetForm>,
) -> Result<HttpResponse, AppError> {
    let Some(hours) = form
        .hours
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|h| (1..=720).contains(h))
    else {
        let mut errors = FieldErrors::default();
        errors.add(
            "hours",
            "Enter a whole number of hours from 1 to 720 (30 days).",
        );
        let said = Said {
            target: form.hours.clone(),
            errors,
            ..Said::default()
        };
        return render(
            &state,
            &user,
            &csrf,
            StatusCode::UNPROCESSABLE_ENTITY,
            said,
            false,
        )
        .await;
    };
    let (school_id, by, now, ip) = (
        user.school_id.clone(),
        user.id.clone(),
        state.clock.now_naive(),
        client_ip(&req),
    );
    db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            store::set_look_within_hours(conn, &school_id, hours, &by, now)?;
            audit::store::insert(
                conn,
                &Event::new("monitoring_target_set", now)
                    .school(&school_id)
                    .actor(&by)
                    .ip(Some(&ip))
                    .detail(format!("{hours} hours")),
            )?;
            Ok::<_, AppError>(())
        })
    })
    .await?;
    Ok(see_other("/admin/monitoring?saved=1"))
}

fn view(page: &Page<'_>, csrf: &str, s: &Settings, said: &Said) -> Markup {
    let target = if said.target.is_empty() {
        s.target_hours.to_string()
    } else {
        said.target.clone()
    };
    layout(
        page,
        html! {
            h1 { "Monitoring tools" }
            p.muted {
                "Each filtering or monitoring tool posts its alerts to " code { "POST /api/v1/monitoring/alerts" }
                " with a key of its own, sent as " code { "Authorization: Bearer KEY" } ". The Designated Safeguarding Lead and the Online Safety Lead "
                "triage them at Monitoring alerts. See the README's Monitoring alerts section for the fields."
            }
            p {
                a href="/admin/monitoring/triagers" { "Who else triages alerts" }
                " · "
                a href="/filtering-review/decisions" { "Register of filtering decisions" }
            }
            (error_summary(&said.errors, &["source", "key", "mapping", "hours"]))
            @if let Some((source, key)) = &said.new_key {
                div.flash.ok role="status" #new-key {
                    p { strong { "The key for " (source) ", shown this once:" } }
                    p { code.key { (key) } }
                    p { "Copy it into the tool's webhook settings now. safelog keeps only a digest of it: if it is lost, revoke it and make another." }
                }
            }
            section.card #keys {
                h2 { "Keys" }
                @if s.keys.is_empty() { p { "No keys yet." } } @else {
                    table.stack {
                        thead { tr { th scope="col" { "Source" } th scope="col" { "Made" } th scope="col" { "State" } th scope="col" { span.visually-hidden { "Revoke" } } } }
                        tbody { @for k in &s.keys { tr {
                            td data-label="Source" { (k.source) }
                            td data-label="Made" { (moment(k.created_at)) @if let Some(b) = &k.created_by { ", " (b) } @else { ", command line" } }
                            td data-label="State" {
                                @match k.revoked_at {
                                    Some(at) => { "Revoked " (moment(at)) @if let Some(b) = &k.revoked_by { ", " (b) } },
                                    None => { "Live" },
                                }
                            }
                            td {
                                @if k.revoked_at.is_none() {
                                    form method="post" action="/admin/monitoring/keys/revoke" {
                                        (csrf_field(csrf))
                                        input type="hidden" name="key" value=(k.id);
                                        button.danger type="submit" { "Revoke" span.visually-hidden { " the " (k.source) " key" } }
                                    }
                                }
                            }
                        } } }
                    }
                }
                h3 { "Make a key" }
                form method="post" action="/admin/monitoring/keys" {
                    (csrf_field(csrf))
                    (Field::text("source", "The tool's name", &said.source).hint("For example Smoothwall, Senso or Impero. One live key per tool.").render(&said.errors))
                    button type="submit" { "Make a key" }
                }
            }
            section.card #severities {
                h2 { "Severity mapping" }
                p.hint {
                    "How each tool's own levels read in safelog: one per line, " code { "the tool's value = low, medium, high or critical" } ". "
                    "A value not listed is read by the usual scales (1 or info is low, 2 or warning medium, 3 high, 4, 5 or severe critical) "
                    "and anything else as high, so that it is looked at soon. A critical alert emails the DSLs at once."
                }
                @if s.mappings.is_empty() { p { "Make a key first." } }
                @for (key, name, lines) in &s.mappings {
                    @let typed = said.mapping.as_ref().filter(|(k, _)| k == key).map(|(_, t)| t.as_str());
                    @let id = format!("f-mapping-{}", key.replace(|c: char| !c.is_ascii_alphanumeric(), "-"));
                    form method="post" action="/admin/monitoring/severities" {
                        (csrf_field(csrf))
                        input type="hidden" name="source" value=(key);
                        div.field.has-error[typed.is_some()] {
                            label for=(id) { (name) }
                            textarea id=(id) name="mapping" rows="4" { (typed.unwrap_or(lines)) }
                        }
                        button.secondary type="submit" { "Save the mapping for " (name) }
                    }
                }
            }
            section.card #target {
                h2 { "Target for a first look" }
                form method="post" action="/admin/monitoring/target" {
                    (csrf_field(csrf))
                    (Field::text("hours", "Hours from an alert's arrival to its first look", &target).kind("number").hint("The inbox counts alerts not looked at within this time.").render(&said.errors))
                    button.secondary type="submit" { "Save the target" }
                }
            }
            @if said.errors.get("key").is_some() { (flash("error", "Nothing was revoked.")) }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapping_reads_one_value_a_line_and_names_a_bad_line() {
        let m = parse_mapping("5 = critical\n\nP3=Medium\n5=high").unwrap();
        assert_eq!(
            m,
            vec![
                ("p3".to_string(), Severity::Medium),
                ("5".to_string(), Severity::High)
            ]
        );
        let e = parse_mapping("ok = low\nnonsense").unwrap_err();
        assert!(e.get("mapping").unwrap().contains("Line 2"));
    }
}
