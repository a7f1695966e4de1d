//! The trust dashboard (`/trust`): for a trust's safeguarding lead, each
//! school of the trust at a glance (open cases, new ones past the pick-up
//! time, those awaiting the leadership group's acknowledgement, open
//! referrals, referrals waiting for the agency's reference), counted as the
//! DSL of that school would see them. Figures only: no pupil is named. Each
//! figure the incident list can filter opens that school's list (the form
//! switches the session to the school first).

pub mod help;
pub mod help_store;
pub mod reports;
pub mod store;
mod views;

use actix_web::{web, HttpResponse};

use crate::auth::csrf::CsrfToken;
use crate::auth::{Access, CurrentUser, Role, Router};
use crate::error::AppError;
use crate::state::AppState;
use crate::views::page;

/// Only a trust's safeguarding lead, working in a school of that trust.
const TRUST_LEADS: Access = Access::Roles(&[Role::TrustSafeguardingLead]);

pub fn routes(r: &mut Router<'_>) {
    r.get("/trust", TRUST_LEADS, dashboard);
    help::routes(r);
    reports::routes(r);
}

async fn dashboard(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, AppError> {
    let (user_id, school_id, now) = (
        user.id.clone(),
        user.school_id.clone(),
        state.clock.now_naive(),
    );
    let board = crate::db::run(&state.pool, move |conn| {
        store::for_lead(conn, &user_id, &school_id, now)?.ok_or(AppError::NotFound)
    })
    .await?;
    Ok(page(views::dashboard(&user, &csrf, &board)))
}
