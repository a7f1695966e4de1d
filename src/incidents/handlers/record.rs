//! An incident's page, its notes, and marking it entered in error.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{change, unexpected, Caller};
use crate::auth::csrf::CsrfToken;
use crate::auth::CurrentUser;
use crate::db;
use crate::error::AppError;
use crate::forms::FieldErrors;
use crate::incidents::changes;
use crate::incidents::forms::note_text;
use crate::incidents::logging::{Origin, Rejected};
use crate::incidents::record::{self, Record};
use crate::incidents::store;
use crate::incidents::views;
use crate::state::AppState;
use crate::views::{page, page_with, see_other, Page};

async fn open(state: &AppState, caller: Caller, id: String) -> Result<Record, AppError> {
    let now = state.clock.now_naive();
    let data_dir = crate::auth::tokens::data_dir(&state.config);
    db::run(&state.pool, move |conn| {
        let origin = Origin {
            ip: Some(&caller.ip),
            via: "page",
        };
        let mut r = record::open(conn, &caller.viewer, &caller.author, &id, &origin, now)?;
        // Every opening checks each file on disk against its hash.
        if let Some(files) = r.as_mut().and_then(|r| r.attachments.as_mut()) {
            crate::attachments::verify(&data_dir, files);
        }
        Ok(r)
    })
    .await?
    .ok_or(AppError::NotFound)
}

/// `?done=CODE`: a case action just made, to say back (a fixed code only).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ShowQuery {
    pub done: String,
}

pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    // Read by hand: an odd query string is ignored, not refused.
    let q: ShowQuery = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let caller = Caller::new(&user, &req);
    let viewer = caller.viewer.clone();
    let mut r = open(&state, caller, id.into_inner()).await?;
    if let Some(case) = r.case.as_mut() {
        case.done = crate::cases::messages::message(&q.done, &r.view.incident, case);
    }
    Ok(page(views::record::page(
        &Page::for_user(&r.view.incident.reference, &user, &csrf),
        &r,
        &viewer,
        "",
        &FieldErrors::default(),
    )))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NoteInput {
    pub text: String,
}

pub async fn add_note(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
    form: web::Form<NoteInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let caller = Caller::new(&user, &req);
    let text = match note_text(&form.text, "text", "the note") {
        Ok(t) => t,
        Err(errors) => {
            let viewer = caller.viewer.clone();
            let r = open(&state, caller, id).await?;
            return Ok(page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                views::record::page(
                    &Page::for_user(&r.view.incident.reference, &user, &csrf),
                    &r,
                    &viewer,
                    &form.text,
                    &errors,
                ),
            ));
        }
    };
    change(
        &state,
        &caller,
        &id,
        "page",
        move |conn, c, id, origin, now| {
            changes::add_note(conn, &c.viewer, &c.author, id, &text, origin, now)
        },
    )
    .await?
    .map_err(unexpected)?;
    Ok(see_other(&format!("/incidents/{id}#timeline")))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReasonInput {
    pub reason: String,
}

/// The incident if this viewer may mark it entered in error; 404 otherwise.
async fn markable(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<crate::incidents::model::IncidentView, AppError> {
    let (viewer, id) = (caller.viewer.clone(), id.to_string());
    db::run(&state.pool, move |conn| Ok(store::get(conn, &viewer, &id)?))
        .await?
        .filter(|v| v.full && caller.viewer.may_mark_in_error())
        .ok_or(AppError::NotFound)
}

pub async fn in_error_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let caller = Caller::new(&user, &req);
    let v = markable(&state, &caller, &id).await?;
    Ok(page(views::record::in_error_form(
        &Page::for_user("Entered in error", &user, &csrf),
        &v,
        "",
        &FieldErrors::default(),
    )))
}

pub async fn mark_in_error(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
    form: web::Form<ReasonInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let caller = Caller::new(&user, &req);
    let v = markable(&state, &caller, &id).await?;
    let reason = match note_text(&form.reason, "reason", "why it was entered in error") {
        Ok(r) => r,
        Err(errors) => {
            return Ok(page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                views::record::in_error_form(
                    &Page::for_user("Entered in error", &user, &csrf),
                    &v,
                    &form.reason,
                    &errors,
                ),
            ))
        }
    };
    let done = change(
        &state,
        &caller,
        &id,
        "page",
        move |conn, c, id, origin, now| {
            changes::mark_entered_in_error(conn, &c.viewer, &c.author, id, &reason, origin, now)
        },
    )
    .await?;
    match done {
        Ok(()) | Err(Rejected::Stale(_)) => Ok(see_other(&format!("/incidents/{id}"))),
        Err(other) => Err(unexpected(other)),
    }
}
