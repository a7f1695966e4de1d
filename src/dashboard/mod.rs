//! The start page: `/`, where each person lands after signing in, with
//! what their roles ask of them (for a lead: what waits for them).

mod store;
mod views;

use actix_web::{web, HttpResponse};

use crate::auth::csrf::CsrfToken;
use crate::auth::{Access, CurrentUser, Role, Router};
use crate::error::AppError;
use crate::incidents::Viewer;
use crate::state::AppState;
use crate::views::page;

pub fn routes(r: &mut Router<'_>) {
    r.get("/", Access::SignedIn, home);
}

async fn home(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, AppError> {
    let lead = user.roles.any(&[
        Role::OnlineSafetyLead,
        Role::Dsl,
        Role::Headteacher,
        Role::Dpo,
        Role::Leadership,
    ]);
    let logs = user.roles.has(Role::Staff);
    let (school_id, user_id) = (user.school_id.clone(), user.id.clone());
    let mine = if logs {
        crate::db::run(&state.pool, move |conn| {
            Ok(store::recent_logged_by(conn, &school_id, &user_id, 10)?)
        })
        .await?
    } else {
        Vec::new()
    };
    let cases = if lead {
        let (viewer, now) = (Viewer::of(&user), state.clock.now_naive());
        Some(
            crate::db::run(&state.pool, move |conn| {
                let school = crate::accounts::store::school(conn, &viewer.school_id)?;
                Ok(crate::cases::dashboard::for_lead(
                    conn,
                    &viewer,
                    school.pickup_school_days,
                    now,
                )?)
            })
            .await?,
        )
    } else {
        None
    };
    Ok(page(views::home(&user, &csrf, cases.as_ref(), &mine)))
}
