//! "Log an incident": the form, its submission, and the confirmation.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{categories, unexpected, Caller};
use crate::auth::csrf::CsrfToken;
use crate::auth::CurrentUser;
use crate::db;
use crate::error::AppError;
use crate::forms::FieldErrors;
use crate::incidents::forms::{Context, IncidentInput, NewIncident};
use crate::incidents::logging::{self, Logged, Origin, Rejected};
use crate::incidents::record;
use crate::incidents::views;
use crate::state::AppState;
use crate::views::{page, page_with, see_other, Page};

pub async fn form(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, AppError> {
    let cats = categories(&state, &user.school_id).await?;
    let input = IncidentInput {
        submission_key: uuid::Uuid::new_v4().to_string(),
        ..Default::default()
    };
    Ok(page(views::form::log_form(
        &Page::for_user("Log an incident", &user, &csrf),
        &cats,
        &input,
        &FieldErrors::default(),
        state.clock.today(),
    )))
}

pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let input = IncidentInput::from_pairs(&form);
    let cats = categories(&state, &user.school_id).await?;
    let today = state.clock.today();
    let page_info = Page::for_user("Log an incident", &user, &csrf);
    let again = |errors: &FieldErrors| {
        page_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            views::form::log_form(&page_info, &cats, &input, errors, today),
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
    let caller = Caller::new(&user, &req);
    let (school_id, now) = (user.school_id.clone(), state.clock.now_naive());
    let result = state
        .writer
        .transaction(&user.school_id, move |conn| {
            let origin = Origin {
                ip: Some(&caller.ip),
                via: "form",
            };
            logging::log(conn, &school_id, &caller.author, &new, &origin, now)
        })
        .await?;
    match result {
        // A form sent again (a double click, a refresh, or the Back button
        // and a changed form) is told so rather than silently matched.
        Ok(Logged::Replayed(id)) => Ok(see_other(&format!("/incidents/{id}/logged?again=1"))),
        Ok(Logged::Created(id)) => Ok(see_other(&format!("/incidents/{id}/logged"))),
        Err(Rejected::Invalid(errors)) => Ok(again(&errors)),
        Err(other) => Err(unexpected(other)),
    }
}

pub async fn confirmation(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
    again: web::Query<Again>,
) -> Result<HttpResponse, AppError> {
    let caller = Caller::new(&user, &req);
    let now = state.clock.now_naive();
    let found = db::run(&state.pool, move |conn| {
        let origin = Origin {
            ip: Some(&caller.ip),
            via: "confirmation",
        };
        record::open(conn, &caller.viewer, &caller.author, &id, &origin, now)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(page(views::record::confirmation(
        &Page::for_user("Incident logged", &user, &csrf),
        &found.view,
        !again.again.is_empty(),
    )))
}

/// `?again=1`: the form had already been sent.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct Again {
    again: String,
}
