//! Case actions from the record page and the API: each parses its input,
//! performs the action through `db::run`, then shows the record again.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::actions;
use super::forms::CaseInput;
use crate::auth::csrf::CsrfToken;
use crate::auth::CurrentUser;
use crate::db;
use crate::error::{ApiError, AppError};
use crate::forms::{FieldErrors, Form};
use crate::incidents::api::{rejected, reread, IncidentJson};
use crate::incidents::handlers::{change, Caller};
use crate::incidents::logging::Rejected;
use crate::state::AppState;
use crate::views::{page_with, see_other, Page};

/// Performs `action` for `user`; Err(Rejected) when it was refused.
async fn perform(
    state: &AppState,
    req: &HttpRequest,
    user: &CurrentUser,
    id: &str,
    action: &'static str,
    input: CaseInput,
    via: &'static str,
) -> Result<Result<(), Rejected>, AppError> {
    let parsed = match input.parse(action, state.clock.today()) {
        Ok(p) => p,
        Err(errors) => return Ok(Err(Rejected::Invalid(errors))),
    };
    let caller = Caller::new(user, req);
    let result = change(state, &caller, id, via, move |conn, c, id, origin, now| {
        actions::perform(conn, &c.viewer, &c.author, id, &parsed, origin, now)
    })
    .await?;
    // Whatever the action queued (alerts) is committed now.
    state.mail.wake();
    Ok(result)
}

async fn on_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: String,
    action: &'static str,
    input: CaseInput,
) -> Result<HttpResponse, AppError> {
    let errors = match perform(&state, &req, &user, &id, action, input.clone(), "page").await? {
        Ok(()) => {
            let done = super::messages::code(action);
            return Ok(see_other(&format!("/incidents/{id}?done={done}#case")));
        }
        Err(Rejected::Invalid(errors)) => errors,
        Err(Rejected::App(e)) => {
            let mut errors = FieldErrors::default();
            match e {
                AppError::Conflict(message) => errors.add("action", message),
                other => return Err(other),
            }
            errors
        }
        Err(Rejected::Stale(_)) => {
            return Err(AppError::Conflict(
                "Someone else changed this case. Reload it.".into(),
            ))
        }
    };
    let caller = Caller::new(&user, &req);
    let viewer = caller.viewer.clone();
    let mut r = reread(&state, caller, id).await?;
    if let Some(case) = r.case.as_mut() {
        case.rejected = Some((action.to_string(), input, errors));
    }
    let page_info = Page::for_user(&r.view.incident.reference, &user, &csrf);
    Ok(page_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        crate::incidents::views::record::page(&page_info, &r, &viewer, "", &FieldErrors::default()),
    ))
}

async fn on_api(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: String,
    action: &'static str,
    input: CaseInput,
) -> Result<HttpResponse, ApiError> {
    perform(&state, &req, &user, &id, action, input, "api")
        .await?
        .map_err(rejected)?;
    let r = reread(&state, Caller::new(&user, &req), id).await?;
    Ok(HttpResponse::Ok().json(IncidentJson::of(&r.view).with_timeline(&r.timeline)))
}

macro_rules! case_handlers {
    ($($page:ident, $api:ident => $action:literal;)*) => {$(
        pub async fn $page(state: web::Data<AppState>, req: HttpRequest, user: CurrentUser, csrf: CsrfToken, id: web::Path<String>, input: Form<CaseInput>) -> Result<HttpResponse, AppError> {
            on_page(state, req, user, csrf, id.into_inner(), $action, input.into_inner()).await
        }
        pub async fn $api(state: web::Data<AppState>, req: HttpRequest, user: CurrentUser, id: web::Path<String>, input: Option<web::Json<CaseInput>>) -> Result<HttpResponse, ApiError> {
            on_api(state, req, user, id.into_inner(), $action, input.map(|j| j.into_inner()).unwrap_or_default()).await
        }
    )*};
}

case_handlers! {
    take, api_take => "take";
    assign, api_assign => "assign";
    status, api_status => "status";
    action, api_action => "actions";
    escalate, api_escalate => "escalate";
    referral, api_referral => "referrals";
    acknowledge, api_acknowledge => "acknowledge";
    decide, api_decide => "decisions";
    share, api_share => "shares";
}

/// Adds the agency's reference to a referral recorded with "reference to
/// follow".
pub async fn add_reference(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    path: web::Path<(String, String)>,
    input: Form<CaseInput>,
) -> Result<HttpResponse, AppError> {
    let (id, referral) = path.into_inner();
    let mut input = input.into_inner();
    input.referral = referral;
    on_page(state, req, user, csrf, id, "reference", input).await
}

/// Dismisses one of the signed-in person's alerts from their start page.
pub async fn alert_dismissed(
    state: web::Data<AppState>,
    user: CurrentUser,
    alert: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now_naive();
    let alert = alert.into_inner();
    db::run(&state.pool, move |conn| {
        Ok(super::store::mark_alert_seen(conn, &user.id, &alert, now)?)
    })
    .await?;
    Ok(see_other("/#queue"))
}

/// Clears the signed-in person's dashboard alerts.
pub async fn alerts_seen(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now_naive();
    db::run(&state.pool, move |conn| {
        Ok(super::store::mark_alerts_seen(conn, &user.id, now)?)
    })
    .await?;
    Ok(see_other("/"))
}
