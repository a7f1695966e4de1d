//! A trust's shared categories (`/trust/admin/categories`), kept by the
//! trust's administrator. Each school of the trust carries each shared
//! category as a row of its own, matched by code, which the school's
//! administrator cannot change and beside which the school may add its own;
//! a change here reaches every school of the trust in the same transaction,
//! and a school added to the trust later starts from the set
//! ([`super::store::carry_trust_set`]). The safeguards of `safeguards.rs`
//! hold here as in a school: the trust cannot remove them either.
//!
//! Why copies in each school rather than one row the schools look up:
//! every read of a category (logging, routing, alerts, the list, reports,
//! exports, imports, the API) goes through `categories` by (school, code),
//! and incidents name their category that way under a foreign key. Copies
//! kept in step in one transaction leave all of that untouched and keep
//! each school's records self-contained (a school's export or a future
//! school leaving its trust needs nothing of the trust's), at the cost of
//! writing one row per school on each change, which for a trust of tens of
//! schools is nothing.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::admin::{code_from, form_fields, CategoryInput};
use super::defaults::DEFAULTS;
use super::model::TrustCategory;
use super::{safeguards, store};
use crate::accounts::model::Trust;
use crate::audit::{self, Event};
use crate::auth::csrf::CsrfToken;
use crate::auth::session::client_ip;
use crate::auth::{Access, CurrentUser, Role, Router};
use crate::db::{self, dialect::write_transaction, AnyConnection};
use crate::error::AppError;
use crate::forms::{FieldErrors, Form};
use crate::state::AppState;
use crate::views::components::{csrf_field, flash, trust_admin_nav};
use crate::views::{layout, page, page_with, see_other, Page};

const TRUST_ADMIN: Access = Access::Roles(&[Role::TrustAdmin]);

pub fn routes(r: &mut Router<'_>) {
    r.get("/trust/admin/categories", TRUST_ADMIN, list)
        .post("/trust/admin/categories", TRUST_ADMIN, create)
        .post(
            "/trust/admin/categories/standard",
            TRUST_ADMIN,
            share_standard,
        )
        .get("/trust/admin/categories/{id}", TRUST_ADMIN, edit_form)
        .post("/trust/admin/categories/{id}", TRUST_ADMIN, update);
}

/// The trust the administrator works for: that of the school they are
/// working in, if they administer it (404 otherwise, as for anyone else).
fn trust_of(conn: &mut AnyConnection, user_id: &str, school_id: &str) -> Result<Trust, AppError> {
    crate::accounts::store::trust_held_in(conn, user_id, school_id, Role::TrustAdmin)?
        .ok_or(AppError::NotFound)
}

/// What the list page shows.
struct Listing {
    trust: Trust,
    shared: Vec<TrustCategory>,
    schools: usize,
}

async fn listing(state: &AppState, user: &CurrentUser) -> Result<Listing, AppError> {
    let (user_id, school_id) = (user.id.clone(), user.school_id.clone());
    db::run(&state.pool, move |conn| {
        let trust = trust_of(conn, &user_id, &school_id)?;
        Ok(Listing {
            shared: store::trust_set(conn, &trust.id)?,
            schools: crate::accounts::store::schools_in_trust(conn, &trust.id)?.len(),
            trust,
        })
    })
    .await
}

async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, AppError> {
    let l = listing(&state, &user).await?;
    let p = Page::for_user("Shared categories", &user, &csrf).saved_if(&req);
    Ok(page(list_view(
        &p,
        &l,
        &CategoryInput::blank(),
        &FieldErrors::default(),
        None,
    )))
}

async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    input: Form<CategoryInput>,
) -> Result<HttpResponse, AppError> {
    let input = input.into_inner();
    let code = code_from(&input.name);
    // Checked against the safeguards of the code its name gives: a trust
    // cannot weaken nudes-sharing by adding "Nudes sharing" anew.
    let mut errors = input.parse(Some(&code)).err().unwrap_or_default();
    if code.is_empty() && errors.get("name").is_none() {
        errors.add("name", "Use some letters or numbers in the name.");
    }
    if errors.is_empty() {
        let (ip, now) = (client_ip(&req), state.clock.now_naive());
        let (user_id, school_id, typed, code) = (
            user.id.clone(),
            user.school_id.clone(),
            input.clone(),
            code.clone(),
        );
        let created = db::run(&state.pool, move |conn| {
            let e = typed
                .parse(Some(&code))
                .map_err(|_| AppError::Invalid("The category form changed.".into()))?;
            write_transaction(conn, |conn| {
                let trust = trust_of(conn, &user_id, &school_id)?;
                lock_trust(conn, &trust.id)?;
                let restricted = DEFAULTS.iter().any(|d| d.code == code && d.restricted);
                let Some(made) =
                    store::create_for_trust(conn, &trust.id, &code, &e, restricted, now)?
                else {
                    return Ok(false);
                };
                record(
                    conn,
                    "trust_category_created",
                    &made,
                    &user_id,
                    &school_id,
                    &ip,
                    now,
                )?;
                Ok::<_, AppError>(true)
            })
        })
        .await?;
        if created {
            return Ok(see_other("/trust/admin/categories?saved=1"));
        }
        errors.add(
            "name",
            "The trust already shares a category with this name.",
        );
    }
    let l = listing(&state, &user).await?;
    let p = Page::for_user("Shared categories", &user, &csrf);
    Ok(page_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        list_view(&p, &l, &input, &errors, None),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StandardInput {
    code: String,
}

/// Shares one of the standard categories as the standard set has it: every
/// school's row of it takes the standard values (their own changes to it
/// go), and the trust may edit it from then on.
async fn share_standard(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    input: Form<StandardInput>,
) -> Result<HttpResponse, AppError> {
    let Some(d) = DEFAULTS.iter().find(|d| d.code == input.code.trim()) else {
        let l = listing(&state, &user).await?;
        let p = Page::for_user("Shared categories", &user, &csrf);
        return Ok(page_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            list_view(
                &p,
                &l,
                &CategoryInput::blank(),
                &FieldErrors::default(),
                Some("Choose one of the standard categories to share."),
            ),
        ));
    };
    let (ip, now) = (client_ip(&req), state.clock.now_naive());
    let (user_id, school_id) = (user.id.clone(), user.school_id.clone());
    db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let trust = trust_of(conn, &user_id, &school_id)?;
            lock_trust(conn, &trust.id)?;
            let e = store::Edit {
                name: d.name,
                four_c: d.four_c.as_str(),
                owner_role: d.owner.as_str(),
                guidance: d.guidance,
                urgent: d.urgent,
                active: true,
            };
            // Shared already (by another administrator a moment ago, say):
            // nothing to do.
            if let Some(made) =
                store::create_for_trust(conn, &trust.id, d.code, &e, d.restricted, now)?
            {
                record(
                    conn,
                    "trust_category_created",
                    &made,
                    &user_id,
                    &school_id,
                    &ip,
                    now,
                )?;
            }
            Ok::<_, AppError>(())
        })
    })
    .await?;
    Ok(see_other("/trust/admin/categories?saved=1"))
}

async fn load(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<(Trust, TrustCategory), AppError> {
    let (user_id, school_id, id) = (user.id.clone(), user.school_id.clone(), id.to_string());
    db::run(&state.pool, move |conn| {
        let trust = trust_of(conn, &user_id, &school_id)?;
        let c = store::trust_category(conn, &trust.id, &id)?;
        Ok((trust, c))
    })
    .await
}

async fn edit_form(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (trust, c) = load(&state, &user, &id).await?;
    let p = Page::for_user("Edit shared category", &user, &csrf);
    Ok(page(edit_view(
        &p,
        &trust,
        &c,
        &CategoryInput::of_trust(&c),
        &FieldErrors::default(),
    )))
}

async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
    input: Form<CategoryInput>,
) -> Result<HttpResponse, AppError> {
    let (trust, c) = load(&state, &user, &id).await?;
    let input = input.into_inner();
    if let Err(errors) = input.parse(Some(&c.code)) {
        let p = Page::for_user("Edit shared category", &user, &csrf);
        return Ok(page_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            edit_view(&p, &trust, &c, &input, &errors),
        ));
    }
    let (ip, now) = (client_ip(&req), state.clock.now_naive());
    let (user_id, school_id) = (user.id.clone(), user.school_id.clone());
    db::run(&state.pool, move |conn| {
        let e = input
            .parse(Some(&c.code))
            .map_err(|_| AppError::Invalid("The category form changed.".into()))?;
        write_transaction(conn, |conn| {
            lock_trust(conn, &trust.id)?;
            let changed = store::update_for_trust(conn, &c, &e, now)?;
            record(
                conn,
                "trust_category_changed",
                &changed,
                &user_id,
                &school_id,
                &ip,
                now,
            )?;
            Ok::<_, AppError>(())
        })
    })
    .await?;
    Ok(see_other("/trust/admin/categories?saved=1"))
}

/// Changes to a trust's set take turns, so that two administrators adding
/// the same category at once cannot both carry it into a school.
fn lock_trust(conn: &mut AnyConnection, trust_id: &str) -> Result<(), AppError> {
    Ok(crate::db::dialect::lock_trust(conn, trust_id)?)
}

fn record(
    conn: &mut AnyConnection,
    action: &'static str,
    c: &TrustCategory,
    user_id: &str,
    school_id: &str,
    ip: &str,
    now: chrono::NaiveDateTime,
) -> Result<(), AppError> {
    audit::store::insert(
        conn,
        &Event::new(action, now)
            .school(school_id)
            .actor(user_id)
            .record("trust_category", &c.id)
            .detail(format!(
                "trust {}: {}: owner {}, urgent {}, offered {}",
                c.trust_id, c.code, c.owner_role, c.urgent, c.active
            ))
            .ip(Some(ip)),
    )?;
    Ok(())
}

fn list_view(
    page: &Page<'_>,
    l: &Listing,
    typed: &CategoryInput,
    errors: &FieldErrors,
    standard_error: Option<&str>,
) -> Markup {
    let csrf = page.csrf.clone().unwrap_or_default();
    let unshared: Vec<_> = DEFAULTS
        .iter()
        .filter(|d| !l.shared.iter().any(|c| c.code == d.code))
        .collect();
    layout(
        page,
        html! {
            h1 { "Shared categories: " (l.trust.name) }
            (trust_admin_nav())
            p {
                "Categories shared here are offered in every school of the trust ("
                (l.schools) @if l.schools == 1 { " school" } @else { " schools" }
                "), as they are set here: a school's administrator cannot rename them, change who owns them or stop offering them, "
                "and a school added to the trust later starts with them. Each school keeps the standard categories you have not shared, and may add its own."
            }
            p.muted { "The safeguards hold here too: the DSL keeps nudes-sharing, ai-generated-imagery and abuse-imagery (all urgent), the headteacher keeps staff-conduct, none of them can be withdrawn, and their standard guidance can be added to but not cut." }
            section.card {
                h2 { "Shared with every school" }
                @if l.shared.is_empty() {
                    p.muted { "The trust shares no category yet." }
                } @else {
                    table {
                        thead { tr { th { "Category" } th { "4C" } th { "Owner" } th { "" } } }
                        tbody { @for c in &l.shared { tr {
                            td { a href=(format!("/trust/admin/categories/{}", c.id)) { (c.name) } br; span.muted { (c.code) } }
                            td { (c.four_c().label()) }
                            td { (c.owner().label()) }
                            td {
                                @if c.urgent { span.badge.urgent { "Urgent" } " " }
                                @if c.restricted { span.badge { "Headteacher only" } " " }
                                @if !c.active { span.badge { "Not offered" } }
                            }
                        } } }
                    }
                }
            }
            @if !unshared.is_empty() {
                section.card {
                    h2 { "Share a standard category" }
                    p.hint { "Every school of the trust then has the standard version of it (a school's own changes to it are replaced), and you can edit it for all of them." }
                    @if let Some(message) = standard_error { (flash("error", message)) }
                    form.stack method="post" action="/trust/admin/categories/standard" {
                        (csrf_field(&csrf))
                        div.field #f-code {
                            label for="f-standard" { "Standard category" }
                            select #f-standard name="code" {
                                @for d in &unshared { option value=(d.code) { (d.name) } }
                            }
                        }
                        div { button type="submit" { "Share across the trust" } }
                    }
                }
            }
            section.card {
                h2 { "Add a category for the whole trust" }
                (form_fields(&csrf, "/trust/admin/categories", typed, errors, "Add and share"))
            }
        },
    )
}

fn edit_view(
    page: &Page<'_>,
    trust: &Trust,
    c: &TrustCategory,
    typed: &CategoryInput,
    errors: &FieldErrors,
) -> Markup {
    let csrf = page.csrf.clone().unwrap_or_default();
    let guarded = safeguards::GUARDED.contains(&c.code.as_str());
    layout(
        page,
        html! {
            h1 { "Shared category: " (c.name) }
            p.muted { "Shared by " (trust.name) ": a change here reaches every school of the trust at once. Incidents already logged keep their category; published reports keep the names they were published with." }
            @if guarded {
                (flash("warn", "This category carries safeguards: its owner, urgency and standard guidance cannot be removed."))
            }
            section.card { (form_fields(&csrf, &format!("/trust/admin/categories/{}", c.id), typed, errors, "Save for every school")) }
            p { a href="/trust/admin/categories" { "Back to shared categories" } }
        },
    )
}
