//! `/trust/help`: a school's DSL or headteacher asks the trust's
//! safeguarding lead to work the school's cases (the DSL is away, a case is
//! beyond the school) and ends the request when it is over. While it is
//! open the trust lead acts in the school as its DSL does
//! ([`crate::accounts::store::roles_working_in`]). Only the school's own
//! DSL or headteacher may ask or end: the trust lead, acting as DSL because
//! of a request, may not renew it.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::help_store::{self as store, HelpRequest};
use crate::accounts::store as accounts;
use crate::audit::{self, Event};
use crate::auth::csrf::CsrfToken;
use crate::auth::session::client_ip;
use crate::auth::{Access, CurrentUser, Role, Router};
use crate::db::{self, dialect::write_transaction, AnyConnection};
use crate::error::AppError;
use crate::forms::{self, FieldErrors, Form};
use crate::mail::{enqueue, NewMail};
use crate::state::AppState;
use crate::views::components::{csrf_field, error_summary};
use crate::views::{layout, page_with, see_other, time, Page};

const ASKERS: Access = Access::Roles(&[Role::Dsl, Role::Headteacher]);

pub fn routes(r: &mut Router<'_>) {
    r.get("/trust/help", ASKERS, show)
        .post("/trust/help", ASKERS, ask)
        .post("/trust/help/end", ASKERS, end);
}

#[derive(Deserialize)]
pub struct AskForm {
    #[serde(default)]
    reason: String,
}

/// What the page shows.
struct Help {
    trust: String,
    leads: Vec<String>,
    history: Vec<HelpRequest>,
}

/// The school's trust and requests, for its own DSL or headteacher (not a
/// trust lead acting as DSL): `None` answers 404.
fn load(conn: &mut AnyConnection, user: &CurrentUser) -> Result<Option<Help>, AppError> {
    let own = accounts::roles_in(conn, &user.id, &user.school_id)?;
    if !own
        .iter()
        .any(|r| [Role::Dsl, Role::Headteacher].contains(r))
    {
        return Ok(None);
    }
    let Some((trust_id, trust)) = store::trust_of(conn, &user.school_id)? else {
        return Ok(Some(Help {
            trust: String::new(),
            leads: Vec::new(),
            history: Vec::new(),
        }));
    };
    Ok(Some(Help {
        trust,
        leads: store::leads_of(conn, &trust_id)?
            .into_iter()
            .map(|(_, name, _)| name)
            .collect(),
        history: store::history(conn, &user.school_id)?,
    }))
}

async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, AppError> {
    let u = user.clone();
    let help = db::run(&state.pool, move |conn| {
        load(conn, &u)?.ok_or(AppError::NotFound)
    })
    .await?;
    let page = Page::for_user("Trust help", &user, &csrf).saved_if(&req);
    Ok(page_with(
        StatusCode::OK,
        view(&page, &csrf, &help, "", &FieldErrors::default()),
    ))
}

async fn ask(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    form: Form<AskForm>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::default();
    let reason = forms::required(
        &mut errors,
        "reason",
        &form.reason,
        "why you are asking (for example: our DSL is away until 5 January)",
        500,
    );
    let (ip, now, u) = (client_ip(&req), state.clock.now_naive(), user.clone());
    let typed = reason.clone();
    let outcome = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let help = load(conn, &u)?.ok_or(AppError::NotFound)?;
            if help.trust.is_empty() {
                errors.add("reason", "This school is in no trust, so there is no trust safeguarding lead to ask.");
            } else if help.leads.is_empty() {
                errors.add("reason", format!("{} has no safeguarding lead yet: ask the trust's administrator to name one.", help.trust));
            } else if help.history.iter().any(|h| h.ended_at.is_none()) {
                errors.add("reason", "The trust's safeguarding lead is already working your cases: end that request first.");
            }
            if !errors.is_empty() {
                return Ok(Err((help, errors)));
            }
            let id = store::ask(conn, &u.school_id, &u.id, &reason, now)?;
            audit::store::insert(
                conn,
                &Event::new("trust_help_asked", now)
                    .school(&u.school_id)
                    .actor(&u.id)
                    .record("trust_help", &id)
                    .ip(Some(&ip)),
            )?;
            tell_the_leads(conn, &u, now)?;
            Ok(Ok(()))
        })
    })
    .await?;
    match outcome {
        Ok(()) => {
            state.mail.wake();
            Ok(see_other("/trust/help?saved=1"))
        }
        Err((help, errors)) => {
            let page = Page::for_user("Trust help", &user, &csrf);
            Ok(page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                view(&page, &csrf, &help, &typed, &errors),
            ))
        }
    }
}

/// A content-free email to each of the trust's safeguarding leads: which
/// school asked, nothing about any child or case.
fn tell_the_leads(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    now: chrono::NaiveDateTime,
) -> Result<(), AppError> {
    let Some((trust_id, _)) = store::trust_of(conn, &user.school_id)? else {
        return Ok(());
    };
    let subject = format!(
        "{} asks you to work its safeguarding cases",
        user.school_name
    );
    let body = format!(
        "{} has asked the trust's safeguarding lead to work its cases in safelog.\n\n\
         Sign in and switch to {} from the header: you can act on its cases there, as its \
         Designated Safeguarding Lead does, until the school ends the request.\n",
        user.school_name, user.school_name
    );
    for (_, _, email) in store::leads_of(conn, &trust_id)? {
        enqueue(
            conn,
            &NewMail {
                school_id: Some(&user.school_id),
                kind: "trust_help",
                to: &email,
                subject: &subject,
                body: &body,
            },
            now,
        )?;
    }
    Ok(())
}

async fn end(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let (ip, now, u) = (client_ip(&req), state.clock.now_naive(), user.clone());
    db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            load(conn, &u)?.ok_or(AppError::NotFound)?;
            if store::end(conn, &u.school_id, &u.id, now)? > 0 {
                audit::store::insert(
                    conn,
                    &Event::new("trust_help_ended", now)
                        .school(&u.school_id)
                        .actor(&u.id)
                        .ip(Some(&ip)),
                )?;
            }
            Ok::<_, AppError>(())
        })
    })
    .await?;
    Ok(see_other("/trust/help?saved=1"))
}

fn view(
    page: &Page<'_>,
    csrf: &CsrfToken,
    help: &Help,
    typed: &str,
    errors: &FieldErrors,
) -> Markup {
    let open = help.history.iter().find(|h| h.ended_at.is_none());
    layout(
        page,
        html! {
            h1 { "Ask the trust's safeguarding lead to work our cases" }
            @if help.trust.is_empty() {
                p { "This school is in no trust, so there is no trust safeguarding lead to ask." }
            } @else {
                p.hint {
                    "While a request is open, " (help.trust) "'s safeguarding lead "
                    @if !help.leads.is_empty() { "(" (help.leads.join(", ")) ") " }
                    "can take, act on, refer and close this school's cases, as its "
                    "Designated Safeguarding Lead does. They are emailed when you ask "
                    "(the email names the school, nothing else). End the request when it is over."
                }
                @if let Some(h) = open {
                    div.flash.ok role="status" {
                        "Open since " (time::moment(h.asked_at)) ", asked by " (h.asked_by) ": " (h.reason)
                    }
                    form method="post" action="/trust/help/end" {
                        (csrf_field(&csrf.0))
                        button type="submit" { "End the request" }
                    }
                } @else {
                    (error_summary(errors, &["reason"]))
                    form method="post" action="/trust/help" {
                        (csrf_field(&csrf.0))
                        (crate::incidents::views::textarea_in("", "reason", "Why you are asking", Some("For example: our DSL is away until 5 January. Seen by the trust's safeguarding lead and in this school's audit trail."), typed, errors, true))
                        button type="submit" { "Ask them to work our cases" }
                    }
                }
                @if !help.history.is_empty() {
                    h2 { "Requests" }
                    table {
                        thead { tr { th scope="col" { "Asked" } th scope="col" { "Why" } th scope="col" { "Ended" } } }
                        tbody {
                            @for h in &help.history {
                                tr {
                                    td { (time::moment(h.asked_at)) br; (h.asked_by) }
                                    td { (h.reason) }
                                    td {
                                        @match (&h.ended_at, &h.ended_by) {
                                            (Some(at), Some(by)) => { (time::moment(*at)) br; (by) }
                                            _ => { "Open" }
                                        }
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
