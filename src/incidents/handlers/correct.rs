//! Correcting a record: the form with the current values, and its
//! submission, which a newer version turns into the conflict page.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{categories, change, unexpected, Caller};
use crate::auth::csrf::CsrfToken;
use crate::auth::CurrentUser;
use crate::db;
use crate::error::AppError;
use crate::forms::FieldErrors;
use crate::incidents::changes::{self, Corrected};
use crate::incidents::forms::{Context, Correction, IncidentInput};
use crate::incidents::logging::Rejected;
use crate::incidents::model::IncidentView;
use crate::incidents::store;
use crate::state::AppState;
use crate::views::{page, page_with, see_other, Page};

const CLOSED: &str = "This record was marked as entered in error, so it can no longer be changed.";

/// The record's correctable fields as the form shows them.
pub fn input_from(view: &IncidentView) -> IncidentInput {
    let i = &view.incident;
    IncidentInput {
        pupil_name: view.pupil.name.clone(),
        pupil_id: view.pupil.id.clone(),
        tutor_group: i.tutor_group.clone(),
        incident_date: i
            .incident_date
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        date_not_known: i.incident_date.is_none(),
        category: i.category_code.clone(),
        child_at_risk: i.child_at_risk,
        details: i.details.clone(),
        actions_outcome: i.actions_taken.clone(),
        location: i.location.clone(),
        platform: i.platform.clone().unwrap_or_default(),
        version: i.version.to_string(),
        ..Default::default()
    }
}

async fn current(state: &AppState, caller: &Caller, id: &str) -> Result<IncidentView, AppError> {
    let (viewer, id) = (caller.viewer.clone(), id.to_string());
    let v = db::run(&state.pool, move |conn| Ok(store::get(conn, &viewer, &id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    if v.tombstone.is_some() {
        return Err(AppError::Conflict(
            crate::incidents::model::DESTROYED.into(),
        ));
    }
    if v.incident.entered_in_error() {
        return Err(AppError::Conflict(CLOSED.into()));
    }
    Ok(v)
}

pub async fn form(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let caller = Caller::new(&user, &req);
    let v = current(&state, &caller, &id).await?;
    let cats = categories(&state, &user.school_id).await?;
    Ok(page(crate::incidents::views::form::correction_form(
        &Page::for_user("Correct a record", &user, &csrf),
        &v,
        &cats,
        &input_from(&v),
        &FieldErrors::default(),
        state.clock.today(),
    )))
}

pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let caller = Caller::new(&user, &req);
    let v = current(&state, &caller, &id).await?;
    let cats = categories(&state, &user.school_id).await?;
    let input = IncidentInput::from_pairs(&form);
    let today = state.clock.today();
    let page_info = Page::for_user("Correct a record", &user, &csrf);
    let again = |view: &IncidentView, errors: &FieldErrors| {
        page_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            crate::incidents::views::form::correction_form(
                &page_info, view, &cats, &input, errors, today,
            ),
        )
    };
    let ctx = Context {
        today,
        categories: &cats,
        current_category: Some(&v.incident.category_code),
    };
    let correction = match Correction::parse(&input, &ctx) {
        Ok(c) => c,
        Err(errors) => return Ok(again(&v, &errors)),
    };
    let done = change(
        &state,
        &caller,
        &id,
        "page",
        move |conn, c, id, origin, now| {
            changes::correct(conn, &c.viewer, &c.author, id, &correction, origin, now)
        },
    )
    .await?;
    match done {
        Ok(Corrected::Done(_)) => Ok(see_other(&format!("/incidents/{id}#timeline"))),
        Ok(Corrected::Unchanged) => {
            let mut errors = FieldErrors::default();
            errors.add(
                "changes",
                "Nothing you typed differs from the record, so there was nothing to correct.",
            );
            Ok(again(&v, &errors))
        }
        Err(Rejected::Stale(now_saved)) => Ok(page_with(
            StatusCode::CONFLICT,
            crate::incidents::views::form::conflict(&page_info, &now_saved, &cats, &input, today),
        )),
        Err(Rejected::Invalid(errors)) => Ok(again(&v, &errors)),
        Err(other) => Err(unexpected(other)),
    }
}
