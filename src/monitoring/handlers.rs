//! The inbox pages: the list with its filters and figures, an alert's page
//! (every opening audited, the first timed), and its triage forms.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::api::{filter_of, ListQuery};
use super::model::Alert;
use super::store::{self, Filter};
use super::triage::{self, Actor, PromoteRefused, Refused};
use super::views;
use crate::auth::csrf::CsrfToken;
use crate::auth::session::client_ip;
use crate::auth::CurrentUser;
use crate::db;
use crate::error::AppError;
use crate::forms::{FieldErrors, Form};
use crate::incidents::forms::{Context, IncidentInput, NewIncident};
use crate::incidents::logging::{Logged, Rejected};
use crate::incidents::store::timeline::Author;
use crate::state::AppState;
use crate::views::{page, page_with, see_other, Page};

/// The inbox shows this many a page, most severe and newest first.
pub const PER_PAGE: i64 = 50;

pub async fn inbox(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let mut q: ListQuery = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    if !req.query_string().contains("status=") {
        q.status = "open".into();
    }
    let (filter, problem) = match filter_of(&q) {
        Ok(f) => (f, false),
        Err(_) => (
            Filter {
                statuses: Some(vec![
                    super::model::Status::New,
                    super::model::Status::Acknowledged,
                ]),
                ..Filter::default()
            },
            true,
        ),
    };
    let (school_id, now) = (user.school_id.clone(), state.clock.now_naive());
    let excluded = user.excluded_pupils.clone();
    let filter = Filter {
        excluded: excluded.clone(),
        ..filter
    };
    // A page past the last shows the last; anything unreadable, the first.
    let wanted = q.page.filter(|p| *p >= 1).unwrap_or(1).min(1_000_000);
    let data = db::run(&state.pool, move |conn| {
        let (_, total) = store::list(conn, &school_id, &filter, 0, 0)?;
        let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
        let page = wanted.min(pages);
        let (rows, total) =
            store::list(conn, &school_id, &filter, PER_PAGE, (page - 1) * PER_PAGE)?;
        let mut items = Vec::new();
        for a in rows {
            let name = match &a.pupil_id {
                Some(p) => store::pupil(conn, &school_id, p)?.map(|(n, _)| n),
                None => None,
            };
            items.push((a, name));
        }
        Ok(views::Inbox {
            items,
            total,
            page,
            pages,
            sources: store::sources(conn, &school_id)?,
            pupils: store::matched_pupils(conn, &school_id, &excluded)?,
            figures: super::figures::load(conn, &school_id, now)?,
        })
    })
    .await?;
    Ok(page(views::inbox(
        &Page::for_user("Monitoring alerts", &user, &csrf),
        &data,
        &q,
        problem,
    )))
}

fn actor<'a>(user: &'a CurrentUser, ip: &'a str) -> Actor<'a> {
    Actor {
        user_id: &user.id,
        school_id: &user.school_id,
        excluded: &user.excluded_pupils,
        ip,
    }
}

/// `?done=CODE`: a triage step just taken, said back (a fixed code only).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Done {
    done: String,
}

/// What an alert's page shows beside the alert.
async fn details(
    state: &AppState,
    user: &CurrentUser,
    a: Alert,
) -> Result<views::AlertPage, AppError> {
    let school_id = user.school_id.clone();
    db::run(&state.pool, move |conn| {
        let pupil = match &a.pupil_id {
            Some(p) => store::pupil(conn, &school_id, p)?,
            None => None,
        };
        let reference = match &a.incident_id {
            Some(i) => crate::incidents::store::read::reference_of(conn, &school_id, i)?,
            None => None,
        };
        Ok(views::AlertPage {
            first_looked_by: store::name_of(conn, a.first_looked_by.as_deref())?,
            acknowledged_by: store::name_of(conn, a.acknowledged_by.as_deref())?,
            decided_by: store::name_of(conn, a.decided_by.as_deref())?,
            pupil,
            incident_reference: reference,
            alert: a,
        })
    })
    .await
}

pub async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let done: Done = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let (ip, now, u) = (client_ip(&req), state.clock.now_naive(), user.clone());
    let a = db::run(&state.pool, move |conn| {
        triage::open(conn, &actor(&u, &ip), &id, "page", now)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    let info = details(&state, &user, a).await?;
    Ok(page(views::alert_page(
        &Page::for_user("Monitoring alert", &user, &csrf),
        &info,
        views::message(&done.done),
        &DismissInput::default(),
        &FieldErrors::default(),
    )))
}

pub async fn acknowledge(
    state: web::Data<AppState>,
    user: CurrentUser,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (ip, now, u, target) = (
        client_ip(&req),
        state.clock.now_naive(),
        user.clone(),
        id.clone(),
    );
    let done = db::run(&state.pool, move |conn| {
        Ok(triage::acknowledge(conn, &actor(&u, &ip), &target, now))
    })
    .await?;
    match done {
        Ok(_) => Ok(see_other(&format!("/monitoring/{id}?done=acknowledged"))),
        Err(Refused::Already(_)) => Ok(see_other(&format!("/monitoring/{id}?done=already"))),
        Err(other) => Err(other.into_app()),
    }
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct DismissInput {
    pub reason: String,
    pub note: String,
}

pub async fn dismiss(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    req: HttpRequest,
    id: web::Path<String>,
    form: Form<DismissInput>,
) -> Result<HttpResponse, AppError> {
    let input = form.into_inner();
    let (school_id, target) = (user.school_id.clone(), id.clone());
    let excluded = user.excluded_pupils.clone();
    let current = db::run(&state.pool, move |conn| {
        store::get(conn, &school_id, &excluded, &target)?.ok_or(AppError::NotFound)
    })
    .await?;
    let (reason, note) = match triage::parse_dismissal(&input.reason, &input.note) {
        Ok(d) => d,
        Err(errors) => {
            let info = details(&state, &user, current).await?;
            return Ok(page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                views::alert_page(
                    &Page::for_user("Monitoring alert", &user, &csrf),
                    &info,
                    None,
                    &input,
                    &errors,
                ),
            ));
        }
    };
    let (ip, now, u, target) = (
        client_ip(&req),
        state.clock.now_naive(),
        user.clone(),
        id.clone(),
    );
    let done = db::run(&state.pool, move |conn| {
        Ok(triage::dismiss(
            conn,
            &actor(&u, &ip),
            &target,
            reason,
            note.as_deref(),
            now,
        ))
    })
    .await?;
    match done {
        Ok(_) => Ok(see_other(&format!("/monitoring/{id}?done=dismissed"))),
        Err(Refused::Already(_)) => Ok(see_other(&format!("/monitoring/{id}?done=already"))),
        Err(other) => Err(other.into_app()),
    }
}

/// The alert, the school's categories and the log form's prefill.
async fn for_promoting(
    state: &AppState,
    user: &CurrentUser,
    id: String,
) -> Result<(Alert, Vec<crate::categories::Category>, IncidentInput), AppError> {
    let (school_id, now, today) = (
        user.school_id.clone(),
        state.clock.now_naive(),
        state.clock.today(),
    );
    let excluded = user.excluded_pupils.clone();
    db::run(&state.pool, move |conn| {
        let a = store::get(conn, &school_id, &excluded, &id)?.ok_or(AppError::NotFound)?;
        let cats = crate::categories::store::for_school(conn, &school_id, now)?;
        let input = super::prefill(conn, &a, &cats, today)?;
        Ok((a, cats, input))
    })
    .await
}

pub async fn promote_form(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (a, cats, input) = for_promoting(&state, &user, id.into_inner()).await?;
    if let Some(incident) = &a.incident_id {
        return Ok(see_other(&format!("/incidents/{incident}")));
    }
    if a.status().decided() {
        return Ok(see_other(&format!("/monitoring/{}?done=already", a.id)));
    }
    Ok(page(views::promote_form(
        &Page::for_user("Log an incident from an alert", &user, &csrf),
        &a,
        &cats,
        &input,
        &FieldErrors::default(),
        state.clock.today(),
    )))
}

pub async fn promote(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    req: HttpRequest,
    id: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let (a, cats, _) = for_promoting(&state, &user, id.clone()).await?;
    if a.status() == super::model::Status::Dismissed {
        return Ok(see_other(&format!("/monitoring/{id}?done=already")));
    }
    let input = IncidentInput::from_pairs(&form);
    let today = state.clock.today();
    let page_info = Page::for_user("Log an incident from an alert", &user, &csrf);
    let again = |errors: &FieldErrors| {
        page_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            views::promote_form(&page_info, &a, &cats, &input, errors, today),
        )
    };
    let ctx = Context {
        today,
        categories: &cats,
        current_category: None,
    };
    let new = match NewIncident::parse(&input, &ctx) {
        Ok(n) => n,
        Err(errors) => return Ok(again(&errors)),
    };
    let (ip, now, u, author, target) = (
        client_ip(&req),
        state.clock.now_naive(),
        user.clone(),
        Author::of(&user),
        id.clone(),
    );
    let done = db::run(&state.pool, move |conn| {
        Ok(triage::promote(
            conn,
            &actor(&u, &ip),
            &author,
            &target,
            &new,
            "form",
            now,
        ))
    })
    .await?;
    match done {
        Ok(Logged::Created(i)) => {
            state.mail.wake();
            Ok(see_other(&format!("/incidents/{i}/logged")))
        }
        Ok(Logged::Replayed(i)) => Ok(see_other(&format!("/incidents/{i}/logged?again=1"))),
        Err(PromoteRefused::Incident(Rejected::Invalid(errors))) => Ok(again(&errors)),
        Err(PromoteRefused::Incident(other)) => Err(crate::incidents::handlers::unexpected(other)),
        Err(PromoteRefused::NotFound) => Err(AppError::NotFound),
        Err(PromoteRefused::Already(_)) => Ok(see_other(&format!("/monitoring/{id}?done=already"))),
        Err(PromoteRefused::App(e)) => Err(e),
    }
}
