//! The start page: `/`, where each person lands after signing in, with
//! what their roles ask of them (for a lead: what waits for them).

mod checklist;
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
        Role::AllegationsLead,
    ]);
    let logs = user.roles.has(Role::Staff);
    let (school_id, user_id) = (user.school_id.clone(), user.id.clone());
    let excluded = user.excluded_pupils.clone();
    let mine = if logs {
        crate::db::run(&state.pool, move |conn| {
            Ok(store::recent_logged_by(
                conn, &school_id, &user_id, &excluded, 10,
            )?)
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
    let checklist = if user.has(Role::Admin) {
        let (school_id, mail, has_2fa) = (
            user.school_id.clone(),
            state.config.smtp_url.is_some(),
            user.has_2fa,
        );
        let c = crate::db::run(&state.pool, move |conn| {
            checklist::Checklist::load(conn, &school_id, mail, has_2fa)
        })
        .await?;
        (!c.complete()).then_some(c)
    } else {
        None
    };
    let grants = if user.roles.any(&[Role::Headteacher]) {
        let (school_id, now) = (user.school_id.clone(), state.clock.now_naive());
        crate::db::run(&state.pool, move |conn| {
            crate::accounts::grants::recent(conn, &school_id, now)
        })
        .await?
    } else {
        Vec::new()
    };
    // A trust safeguarding lead or allegations lead given is shown to the
    // trust's other administrators, as a school's DSL given is to its
    // headteachers.
    let trust_grants = if user.has(Role::TrustAdmin) {
        let (user_id, school_id, now) = (
            user.id.clone(),
            user.school_id.clone(),
            state.clock.now_naive(),
        );
        crate::db::run(
            &state.pool,
            move |conn| match crate::accounts::store::trust_held_in(
                conn,
                &user_id,
                &school_id,
                Role::TrustAdmin,
            )? {
                Some(trust) => crate::accounts::trust_roles::leads_given_recently(
                    conn, &trust.id, &user_id, now,
                ),
                None => Ok(Vec::new()),
            },
        )
        .await?
    } else {
        Vec::new()
    };
    // Whether the school's trust lead is working its cases: for the
    // school's own DSL or headteacher in a school of a trust.
    let trust_help = if user.roles.any(&[Role::Dsl, Role::Headteacher])
        && !user.has(Role::TrustSafeguardingLead)
    {
        let school_id = user.school_id.clone();
        crate::db::run(&state.pool, move |conn| {
            Ok(
                match crate::trust::help_store::trust_of(conn, &school_id)? {
                    Some(_) => Some(crate::accounts::store::trust_help_open(conn, &school_id)?),
                    None => None,
                },
            )
        })
        .await?
    } else {
        None
    };
    // A trustee starts at the trust's latest published report.
    let trust_report = if user.has(Role::Trustee) {
        let (user_id, school_id) = (user.id.clone(), user.school_id.clone());
        crate::db::run(&state.pool, move |conn| {
            use crate::trust::reports::{report, store};
            let Some(trust) = store::trust_of(conn, &user_id, &school_id, &[Role::Trustee])? else {
                return Ok(None);
            };
            Ok(Some(report::latest_published(conn, &trust)?))
        })
        .await?
    } else {
        None
    };
    // Monitoring alerts nobody has looked at: for those who triage them.
    let monitoring = if user.roles.any(crate::monitoring::TRIAGERS) {
        let (school_id, excluded) = (user.school_id.clone(), user.excluded_pupils.clone());
        crate::db::run(&state.pool, move |conn| {
            Ok(crate::monitoring::store::unlooked(
                conn, &school_id, &excluded,
            )?)
        })
        .await?
    } else {
        Vec::new()
    };
    // A child protection file received, or one sent and not confirmed
    // within five school days: the DSL's to act on.
    let transfers = if user.has(Role::Dsl) {
        let (school_id, now) = (user.school_id.clone(), state.clock.now_naive());
        let excluded = user.excluded_pupils.clone();
        let card = crate::db::run(&state.pool, move |conn| {
            Ok(crate::transfers::start_card(
                conn, &school_id, &excluded, now,
            )?)
        })
        .await?;
        (!card.waiting.is_empty() || card.overdue > 0).then_some(card)
    } else {
        None
    };
    // Subject access requests due within seven days or overdue: the DPO's
    // (and the headteacher's) to answer.
    let access_requests = if user.roles.any(crate::access_requests::ROLES) {
        let (school_id, today) = (user.school_id.clone(), state.clock.now_naive().date());
        let excluded = user.excluded_pupils.clone();
        let card = crate::db::run(&state.pool, move |conn| {
            Ok(crate::access_requests::start_card(
                conn, &school_id, &excluded, today,
            )?)
        })
        .await?;
        (!card.is_empty()).then_some((card, today))
    } else {
        None
    };
    Ok(page(views::home(
        &user,
        &csrf,
        views::Parts {
            monitoring: &monitoring,
            transfers: transfers.as_ref(),
            access_requests: access_requests.as_ref(),
            trust_report: trust_report.as_ref().map(Option::as_ref),
            cases: cases.as_ref(),
            mine: &mine,
            checklist: checklist.as_ref(),
            grants: &grants,
            trust_grants: &trust_grants,
            trust_help,
        },
    )))
}
