//! Administration → Who else triages alerts (`/admin/monitoring/triagers`).
//! KCSIE gives filtering and monitoring to the DSL "and whoever the school
//! names": the administrator names members of staff (an IT manager, a
//! deputy DSL without the role) who then see the inbox and triage as the
//! DSL and the Online Safety Lead do, and nobody else does. Being named is
//! [`Role::MonitoringTriager`] in this school only, worked out from this
//! list at each request, so taking someone off closes the inbox to them at
//! once.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use maud::{html, Markup};
use serde::Deserialize;

use super::store;
use crate::audit::{self, Event};
use crate::auth::csrf::CsrfToken;
use crate::auth::session::client_ip;
use crate::auth::{CurrentUser, Role};
use crate::db::{self, dialect::write_transaction};
use crate::error::AppError;
use crate::forms::Form;
use crate::state::AppState;
use crate::views::components::{csrf_field, flash};
use crate::views::time::moment;
use crate::views::{layout, page_with, see_other, Page};

/// The memberships a named person must hold: a member of staff of the
/// school. An administrator alone reads no alert content, nor a governor.
const STAFF_ROLES: [Role; 4] = [Role::Staff, Role::Leadership, Role::Headteacher, Role::Dpo];

struct Listing {
    named: Vec<(String, String, String, NaiveDateTime)>,
    /// Members of staff who could be named: (id, name, email).
    candidates: Vec<(String, String, String)>,
}

fn listing(conn: &mut db::AnyConnection, school_id: &str) -> Result<Listing, AppError> {
    let named = store::named_triagers(conn, school_id)?;
    let roles: Vec<&str> = STAFF_ROLES.iter().map(|r| r.as_str()).collect();
    let mut candidates = crate::accounts::store::people_with(conn, school_id, &roles)?;
    candidates.dedup_by(|a, b| a.0 == b.0);
    candidates.retain(|c| !named.iter().any(|n| n.0 == c.0));
    Ok(Listing { named, candidates })
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    status: StatusCode,
    problem: Option<&str>,
    saved: bool,
) -> Result<HttpResponse, AppError> {
    let school_id = user.school_id.clone();
    let l = db::run(&state.pool, move |conn| listing(conn, &school_id)).await?;
    let mut page = Page::for_user("Who else triages monitoring alerts", user, csrf);
    page.saved = saved;
    Ok(page_with(status, view(&page, &csrf.0, &l, problem)))
}

pub async fn page(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let saved = req.query_string().split('&').any(|p| p == "saved=1");
    render(&state, &user, &csrf, StatusCode::OK, None, saved).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PersonForm {
    user_id: String,
}

/// Names a member of staff of this school. Anyone else (a person of
/// another school, an administrator or governor only, a made-up id) is
/// refused with the form again: nothing is changed.
pub async fn add(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    form: Form<PersonForm>,
) -> Result<HttpResponse, AppError> {
    let (school_id, by, now, ip, who) = (
        user.school_id.clone(),
        user.id.clone(),
        state.clock.now_naive(),
        client_ip(&req),
        form.user_id.trim().to_string(),
    );
    let done = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let l = listing(conn, &school_id)?;
            if !l.candidates.iter().any(|c| c.0 == who) {
                return Ok(false);
            }
            store::name_triager(conn, &school_id, &who, &by, now)?;
            audit::store::insert(
                conn,
                &Event::new("monitoring_triager_named", now)
                    .school(&school_id)
                    .actor(&by)
                    .record("user", &who)
                    .ip(Some(&ip)),
            )?;
            Ok::<_, AppError>(true)
        })
    })
    .await?;
    if done {
        return Ok(see_other("/admin/monitoring/triagers?saved=1"));
    }
    render(
        &state,
        &user,
        &csrf,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("Choose a member of staff of this school from the list."),
        false,
    )
    .await
}

pub async fn remove(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    form: Form<PersonForm>,
) -> Result<HttpResponse, AppError> {
    let (school_id, by, now, ip, who) = (
        user.school_id.clone(),
        user.id.clone(),
        state.clock.now_naive(),
        client_ip(&req),
        form.user_id.trim().to_string(),
    );
    let done = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            if !store::unname_triager(conn, &school_id, &who)? {
                return Ok(false);
            }
            audit::store::insert(
                conn,
                &Event::new("monitoring_triager_removed", now)
                    .school(&school_id)
                    .actor(&by)
                    .record("user", &who)
                    .ip(Some(&ip)),
            )?;
            Ok::<_, AppError>(true)
        })
    })
    .await?;
    if done {
        return Ok(see_other("/admin/monitoring/triagers?saved=1"));
    }
    render(
        &state,
        &user,
        &csrf,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("That person is not on the list: nothing was changed."),
        false,
    )
    .await
}

fn view(page: &Page<'_>, csrf: &str, l: &Listing, problem: Option<&str>) -> Markup {
    layout(
        page,
        html! {
            p { a href="/admin/monitoring" { "← Monitoring tools" } }
            h1 { "Who else triages monitoring alerts" }
            p {
                "The Designated Safeguarding Lead and the Online Safety Lead always see the monitoring alerts. "
                "Name here any other member of staff who should: they see the inbox, open alerts (which may name pupils and what they typed), "
                "acknowledge, dismiss and log incidents from them, as the leads do. Nobody else sees them."
            }
            @if let Some(m) = problem { (flash("error", m)) }
            section.card #named {
                h2 { "Named" }
                @if l.named.is_empty() {
                    p { "Nobody else is named: only the DSL and the Online Safety Lead triage alerts." }
                } @else {
                    table.stack {
                        thead { tr { th scope="col" { "Name" } th scope="col" { "Email" } th scope="col" { "Named" } th scope="col" { span.visually-hidden { "Remove" } } } }
                        tbody { @for (id, name, email, at) in &l.named { tr {
                            td data-label="Name" { (name) }
                            td data-label="Email" { (email) }
                            td data-label="Named" { (moment(*at)) }
                            td {
                                form method="post" action="/admin/monitoring/triagers/remove" {
                                    (csrf_field(csrf))
                                    input type="hidden" name="user_id" value=(id);
                                    button.secondary type="submit" { "Remove" span.visually-hidden { " " (name) } }
                                }
                            }
                        } } }
                    }
                }
            }
            section.card #name-someone {
                h2 { "Name someone" }
                @if l.candidates.is_empty() {
                    p { "Every member of staff is named already, or the school has no other staff accounts yet." }
                } @else {
                    form.stack method="post" action="/admin/monitoring/triagers" {
                        (csrf_field(csrf))
                        div.field {
                            label for="f-user" { "Member of staff" }
                            select #f-user name="user_id" {
                                @for (id, name, email) in &l.candidates { option value=(id) { (name) " (" (email) ")" } }
                            }
                        }
                        div { button type="submit" { "Name to triage alerts" } }
                    }
                }
            }
        },
    )
}
