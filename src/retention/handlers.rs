//! The retention pages and `GET /api/v1/retention/due`: each parses its
//! form, calls the feature through `db::run`, and renders or redirects.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::holds::{self, HoldInput};
use super::model::{self, Basis, Period, Review};
use super::views::{self, DecideInput};
use super::{Decision, Reviewed};
use crate::auth::csrf::CsrfToken;
use crate::auth::session::client_ip;
use crate::auth::{CurrentUser, Role};
use crate::db;
use crate::error::{ApiError, AppError};
use crate::forms::{self, FieldErrors, Form};
use crate::incidents::Viewer;
use crate::state::AppState;
use crate::views::{page, page_with, see_other, Page};

fn data_dir(state: &AppState) -> std::path::PathBuf {
    crate::auth::tokens::data_dir(&state.config)
}

pub async fn queue(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, AppError> {
    let q = load_queue(&state, &req, &user).await?;
    let today = state.clock.today();
    Ok(page(views::queue(
        &Page::for_user("Retention review", &user, &csrf).saved_if(&req),
        &q,
        today,
        &FieldErrors::default(),
        None,
    )))
}

async fn load_queue(
    state: &AppState,
    req: &HttpRequest,
    user: &CurrentUser,
) -> Result<super::Queue, AppError> {
    let viewer = Viewer::of(user);
    let (ip, now) = (client_ip(req), state.clock.now_naive());
    db::run(&state.pool, move |conn| {
        let q = super::queue(conn, &viewer, now.date())?;
        crate::audit::store::insert(
            conn,
            &crate::audit::Event::new("retention_queue_viewed", now)
                .school(&viewer.school_id)
                .actor(&viewer.user_id)
                .detail(format!("{} due", q.due.len()))
                .ip(Some(&ip)),
        )?;
        Ok(q)
    })
    .await
}

async fn load_review(
    state: &AppState,
    user: &CurrentUser,
    id: String,
) -> Result<Reviewed, AppError> {
    let viewer = Viewer::of(user);
    db::run(&state.pool, move |conn| super::reviewed(conn, &viewer, &id))
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn review(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let r = load_review(&state, &user, id.into_inner()).await?;
    let title = format!("Review {}", r.record.reference);
    Ok(page(views::review(
        &Page::for_user(&title, &user, &csrf),
        &r,
        state.clock.today(),
        &DecideInput::default(),
        &FieldErrors::default(),
        None,
    )))
}

/// The decision typed, or the problems with it.
fn parse_decision(
    input: &DecideInput,
    reference: &str,
    today: chrono::NaiveDate,
) -> Result<Decision, FieldErrors> {
    let mut errors = FieldErrors::default();
    let reason = forms::required(&mut errors, "reason", &input.reason, "the reason", 20_000);
    let decision = match input.decision.as_str() {
        "keep" => {
            let until = forms::parse_date(&input.review_on);
            match until {
                None => errors.add(
                    "review_on",
                    format!("Enter the next review date as {}.", forms::DATE_FORMS),
                ),
                Some(d) if d <= today => {
                    errors.add("review_on", "The next review must be after today.")
                }
                Some(_) => {}
            }
            until.map(|until| Decision::Keep {
                reason: reason.clone(),
                until,
            })
        }
        "destroy" => {
            if !input.confirm.trim().eq_ignore_ascii_case(reference) {
                errors.add(
                    "confirm",
                    format!("Type the reference, {reference}, to confirm the destruction."),
                );
            }
            Some(Decision::Destroy {
                reason: reason.clone(),
            })
        }
        _ => {
            errors.add("decision", "Choose keep or destroy.");
            None
        }
    };
    errors.into_result()?;
    decision.ok_or_else(FieldErrors::default)
}

pub async fn decide(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
    form: web::Form<DecideInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let input = form.into_inner();
    let r = load_review(&state, &user, id.clone()).await?;
    let today = state.clock.today();
    let title = format!("Review {}", r.record.reference);
    let back = |status: StatusCode, errors: &FieldErrors, refused: Option<&str>| {
        page_with(
            status,
            views::review(
                &Page::for_user(&title, &user, &csrf),
                &r,
                today,
                &input,
                errors,
                refused,
            ),
        )
    };
    let decision = match parse_decision(&input, &r.record.reference, today) {
        Ok(d) => d,
        Err(errors) => return Ok(back(StatusCode::UNPROCESSABLE_ENTITY, &errors, None)),
    };
    let (viewer, ip, now, dir) = (
        Viewer::of(&user),
        client_ip(&req),
        state.clock.now_naive(),
        data_dir(&state),
    );
    let done = db::run(&state.pool, move |conn| {
        super::decide(conn, &dir, &viewer, &id, &decision, Some(&ip), now)
    })
    .await;
    match done {
        Ok(()) => Ok(see_other("/retention?saved=1")),
        Err(AppError::Conflict(why)) => Ok(back(
            StatusCode::CONFLICT,
            &FieldErrors::default(),
            Some(&why),
        )),
        Err(e) => Err(e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BirthDateInput {
    pub date_of_birth: String,
}

pub async fn birth_date(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
    form: web::Form<BirthDateInput>,
) -> Result<HttpResponse, AppError> {
    let pupil_id = id.into_inner();
    let today = state.clock.today();
    let dob = forms::parse_date(&form.date_of_birth);
    let problem = match dob {
        None => Some(format!("Enter the date of birth as {}.", forms::DATE_FORMS)),
        Some(d) if d > today => Some("A date of birth cannot be after today.".to_string()),
        Some(d) if model::plus_years(d, 100) < today => {
            Some("Check the year: that date of birth is over 100 years ago.".to_string())
        }
        Some(_) => None,
    };
    let dob = match (dob, problem) {
        (Some(d), None) => d,
        (_, problem) => {
            let mut errors = FieldErrors::default();
            errors.add(
                "date_of_birth",
                problem.unwrap_or_else(|| "Enter the date of birth.".to_string()),
            );
            let q = load_queue(&state, &req, &user).await?;
            return Ok(page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                views::queue(
                    &Page::for_user("Retention review", &user, &csrf),
                    &q,
                    today,
                    &errors,
                    Some(&pupil_id),
                ),
            ));
        }
    };
    let (viewer, ip, now) = (Viewer::of(&user), client_ip(&req), state.clock.now_naive());
    db::run(&state.pool, move |conn| {
        super::set_birth_date(conn, &viewer, &pupil_id, dob, Some(&ip), now)
    })
    .await?;
    Ok(see_other("/retention?saved=1#dates-of-birth"))
}

async fn periods_page(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    status: StatusCode,
    refused: Option<(&str, &str)>,
    saved: bool,
) -> Result<HttpResponse, AppError> {
    let school = user.school_id.clone();
    let now = state.clock.now_naive();
    let (categories, set) = db::run(&state.pool, move |conn| {
        let categories = crate::categories::store::for_school(conn, &school, now)?;
        let set = super::store::periods(conn, &school)?;
        Ok((categories, set))
    })
    .await?;
    let mut p = Page::for_user("Review periods", user, csrf);
    p.saved = saved;
    Ok(page_with(
        status,
        views::periods(&p, &categories, &set, user.has(Role::Dpo), refused),
    ))
}

pub async fn periods(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, AppError> {
    let saved = req.query_string().split('&').any(|p| p == "saved=1");
    periods_page(&state, &user, &csrf, StatusCode::OK, None, saved).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PeriodInput {
    pub category: String,
    pub basis: String,
    pub years: String,
}

pub async fn save_period(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    form: web::Form<PeriodInput>,
) -> Result<HttpResponse, AppError> {
    let input = form.into_inner();
    let school = user.school_id.clone();
    let (by, ip, now) = (user.id.clone(), client_ip(&req), state.clock.now_naive());
    let code = input.category.trim().to_string();
    let basis = Basis::parse(input.basis.trim());
    let years: Option<i32> = input.years.trim().parse().ok();
    let outcome = db::run(&state.pool, move |conn| {
        crate::db::dialect::write_transaction(conn, |conn| {
            let categories = crate::categories::store::for_school(conn, &school, now)?;
            let Some(category) = categories.into_iter().find(|c| c.code == code) else {
                return Ok(Err((
                    "Category".to_string(),
                    "Choose one of the school's categories.".to_string(),
                )));
            };
            let (Some(basis), Some(years)) = (basis, years) else {
                return Ok(Err((
                    category.name,
                    "Choose what the period counts from and give a whole number of years."
                        .to_string(),
                )));
            };
            let p = Period { basis, years };
            if let Err(why) = model::allowed(&category, p) {
                return Ok(Err((category.name, why)));
            }
            super::store::save_period(conn, &school, &category.code, p, &by, now)?;
            crate::audit::store::insert(
                conn,
                &crate::audit::Event::new("retention_period_set", now)
                    .school(&school)
                    .actor(&by)
                    .detail(format!("{}: {}", category.code, p.words()))
                    .ip(Some(&ip)),
            )?;
            Ok(Ok(()))
        })
    })
    .await?;
    match outcome {
        Ok(()) => Ok(see_other("/retention/periods?saved=1")),
        Err((name, why)) => {
            periods_page(
                &state,
                &user,
                &csrf,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some((&name, &why)),
                false,
            )
            .await
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn holds_page(
    state: &AppState,
    req: &HttpRequest,
    user: &CurrentUser,
    csrf: &CsrfToken,
    status: StatusCode,
    typed: &HoldInput,
    errors: &FieldErrors,
    refused: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let viewer = Viewer::of(user);
    let all = db::run(&state.pool, move |conn| holds::list(conn, &viewer)).await?;
    Ok(page_with(
        status,
        views::holds(
            &Page::for_user("Legal holds", user, csrf).saved_if(req),
            &all,
            typed,
            errors,
            refused,
        ),
    ))
}

/// The holds page with why an action on a hold was refused.
async fn holds_refused(
    state: &AppState,
    req: &HttpRequest,
    user: &CurrentUser,
    csrf: &CsrfToken,
    refused: &str,
) -> Result<HttpResponse, AppError> {
    holds_page(
        state,
        req,
        user,
        csrf,
        StatusCode::UNPROCESSABLE_ENTITY,
        &HoldInput::default(),
        &FieldErrors::default(),
        Some(refused),
    )
    .await
}

pub async fn holds(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, AppError> {
    holds_page(
        &state,
        &req,
        &user,
        &csrf,
        StatusCode::OK,
        &HoldInput::default(),
        &FieldErrors::default(),
        None,
    )
    .await
}

pub async fn create_hold(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    form: Form<HoldInput>,
) -> Result<HttpResponse, AppError> {
    let input = form.into_inner();
    let (viewer, ip, now) = (Viewer::of(&user), client_ip(&req), state.clock.now_naive());
    let typed = input.clone();
    let made = db::run(&state.pool, move |conn| {
        holds::create(conn, &viewer, &typed, Some(&ip), now)
    })
    .await?;
    match made {
        Ok(_) => Ok(see_other("/retention/holds?saved=1")),
        Err(errors) => {
            holds_page(
                &state,
                &req,
                &user,
                &csrf,
                StatusCode::UNPROCESSABLE_ENTITY,
                &input,
                &errors,
                None,
            )
            .await
        }
    }
}

pub async fn add_to_hold(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
    form: Form<HoldInput>,
) -> Result<HttpResponse, AppError> {
    let input = form.into_inner();
    let (viewer, ip, now) = (Viewer::of(&user), client_ip(&req), state.clock.now_naive());
    let (id, typed) = (id.into_inner(), input.clone());
    let done = db::run(&state.pool, move |conn| {
        holds::extend(conn, &viewer, &id, &typed, Some(&ip), now)
    })
    .await;
    let refused = match done {
        Ok(Ok(())) => return Ok(see_other("/retention/holds?saved=1")),
        Ok(Err(errors)) => errors
            .iter()
            .map(|(_, m)| m.to_string())
            .collect::<Vec<_>>()
            .join(" "),
        Err(AppError::Conflict(why)) => why,
        Err(e) => return Err(e),
    };
    holds_refused(&state, &req, &user, &csrf, &refused).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LiftInput {
    pub reason: String,
}

pub async fn lift_hold(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
    form: web::Form<LiftInput>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::default();
    let reason = forms::required(
        &mut errors,
        "reason",
        &form.reason,
        "why the hold is lifted",
        20_000,
    );
    let refused = if let Some(m) = errors.get("reason") {
        m.to_string()
    } else {
        let (viewer, ip, now) = (Viewer::of(&user), client_ip(&req), state.clock.now_naive());
        let id = id.into_inner();
        match db::run(&state.pool, move |conn| {
            holds::lift(conn, &viewer, &id, &reason, Some(&ip), now)
        })
        .await
        {
            Ok(()) => return Ok(see_other("/retention/holds?saved=1")),
            Err(AppError::Conflict(why)) => why,
            Err(e) => return Err(e),
        }
    };
    holds_refused(&state, &req, &user, &csrf, &refused).await
}

/// `GET /api/v1/retention/due`: the records due for review, oldest first,
/// and how many pupils lack a date of birth.
pub async fn api_due(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    let q = load_queue(&state, &req, &user).await?;
    let items: Vec<_> = q
        .due
        .iter()
        .map(|e| {
            serde_json::json!({
                "id": e.record.id,
                "reference": e.record.reference,
                "category": e.record.category_code,
                "incident_date": e.record.incident_date.map(|d| d.to_string()),
                "logged_at": e.record.logged_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                "review_on": match e.review { Review::On(d) => Some(d.to_string()), Review::NeedsBirthDate(_) => None },
                "period": e.period.words(),
                "legal_holds": e.holds.iter().map(|(_, n)| n.clone()).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "items": items,
        "pupils_without_date_of_birth": q.undated.len(),
    })))
}
