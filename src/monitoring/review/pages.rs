//! The review's pages: the list of years, one year's review (its printed
//! copy too), the commentary and publishing (the termly report's form and
//! editor), and the register of filtering decisions. Every view of a
//! review is written to the audit trail.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;

use super::{store, views, Review};
use crate::audit::{self, Event};
use crate::auth::csrf::CsrfToken;
use crate::auth::session::client_ip;
use crate::auth::{CurrentUser, Role};
use crate::db::{self, dialect::write_transaction};
use crate::error::AppError;
use crate::forms::{FieldErrors, Form};
use crate::reports::pages::Editor;
use crate::state::AppState;
use crate::views::{page, page_with, see_other, Page};

/// A lead reads live figures; a governor only what was published.
fn reads_live(user: &CurrentUser) -> bool {
    user.roles
        .any(&[Role::Dsl, Role::Headteacher, Role::OnlineSafetyLead])
}

fn publishes(user: &CurrentUser) -> bool {
    user.roles.any(super::PUBLISHER_ROLES)
}

fn parse_year(s: &str) -> Result<i32, AppError> {
    s.trim()
        .parse()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or(AppError::NotFound)
}

/// The year as this reader may see it, audited; a year not begun, or (for
/// a governor) not published, is a 404.
async fn load_audited(
    state: &AppState,
    req: &HttpRequest,
    user: &CurrentUser,
    year: i32,
) -> Result<Review, AppError> {
    let today = state.clock.today();
    let (ip, now) = (client_ip(req), state.clock.now_naive());
    let (school_id, user_id, live) = (user.school_id.clone(), user.id.clone(), reads_live(user));
    db::run(&state.pool, move |conn| {
        let r = if live {
            Some(super::load(conn, &school_id, year, today)?).filter(|r| r.first <= today)
        } else {
            super::load_published(conn, &school_id, year, today)?
        };
        let r = r.ok_or(AppError::NotFound)?;
        audit::store::insert(
            conn,
            &Event::new("filtering_review_viewed", now)
                .school(&school_id)
                .actor(&user_id)
                .record("filtering_review", &year.to_string())
                .ip(Some(&ip)),
        )?;
        Ok(r)
    })
    .await
}

pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, AppError> {
    let today = state.clock.today();
    let (school_id, live) = (user.school_id.clone(), reads_live(&user));
    let years = db::run(&state.pool, move |conn| {
        let published = store::published_years(conn, &school_id)?;
        let mut years: Vec<views::Listed> = Vec::new();
        if live {
            let current = super::year_of(conn, &school_id, today)?;
            let earliest = match store::first_alert(conn, &school_id)? {
                Some(t) => super::year_of(conn, &school_id, t.date())?.min(current - 1),
                None => current - 1,
            };
            let oldest = published.iter().map(|p| p.0).min().unwrap_or(earliest);
            for y in (earliest.min(oldest)..=current).rev() {
                years.push(views::Listed {
                    year: y,
                    current: y == current,
                    published: published
                        .iter()
                        .find(|p| p.0 == y)
                        .and_then(|p| p.1.zip(p.2)),
                });
            }
        } else {
            for (y, v, at) in published {
                years.push(views::Listed {
                    year: y,
                    current: false,
                    published: v.zip(at),
                });
            }
        }
        Ok::<_, AppError>(years)
    })
    .await?;
    Ok(page(views::list(
        &Page::for_user("Filtering and monitoring review", &user, &csrf),
        &years,
        live,
    )))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ShowQuery {
    saved: Option<String>,
}

async fn school_name(state: &AppState, user: &CurrentUser) -> Result<String, AppError> {
    let school_id = user.school_id.clone();
    db::run(&state.pool, move |conn| {
        Ok(crate::accounts::store::school(conn, &school_id)?.name)
    })
    .await
}

pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    year: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let year = parse_year(&year)?;
    let q: ShowQuery = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let r = load_audited(&state, &req, &user, year).await?;
    let editor = publishes(&user).then(|| Editor {
        text: r
            .draft
            .clone()
            .or_else(|| r.published.as_ref().map(|p| p.commentary.clone()))
            .unwrap_or_default(),
        reason: String::new(),
        errors: FieldErrors::default(),
        saved: q.saved.is_some(),
    });
    let school = school_name(&state, &user).await?;
    let title = format!("Filtering and monitoring review {}", r.label());
    Ok(page(views::show(
        &Page::for_user(&title, &user, &csrf),
        &r,
        editor.as_ref(),
        &school,
        reads_live(&user),
    )))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CommentaryInput {
    commentary: String,
    reason: String,
}

const COMMENTARY_MAX: usize = 6000;
const REASON_MAX: usize = 500;

fn check_commentary(errors: &mut FieldErrors, text: &str, required: bool) -> String {
    let text = text.trim().replace("\r\n", "\n");
    if required && text.is_empty() {
        errors.add(
            "commentary",
            "Write the commentary governors will read before publishing: how well filtering and monitoring worked this year, and what changes.",
        );
    } else if text.chars().count() > COMMENTARY_MAX {
        errors.add(
            "commentary",
            format!("Keep the commentary to {COMMENTARY_MAX} characters or fewer."),
        );
    }
    crate::forms::plain(errors, "commentary", &text, "the commentary", true);
    text
}

/// The year of a form's address, if it has begun; 404 otherwise.
async fn begun(state: &AppState, user: &CurrentUser, year: &str) -> Result<i32, AppError> {
    let year = parse_year(year)?;
    let (today, school_id) = (state.clock.today(), user.school_id.clone());
    let (first, _) = db::run(&state.pool, move |conn| {
        Ok(super::window(conn, &school_id, year)?)
    })
    .await?;
    if first <= today {
        Ok(year)
    } else {
        Err(AppError::NotFound)
    }
}

async fn form_again(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    year: i32,
    input: CommentaryInput,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let (today, school_id) = (state.clock.today(), user.school_id.clone());
    let r = db::run(&state.pool, move |conn| {
        Ok(super::load(conn, &school_id, year, today)?)
    })
    .await?;
    let school = school_name(state, user).await?;
    let editor = Editor {
        text: input.commentary,
        reason: input.reason,
        errors,
        saved: false,
    };
    let title = format!("Filtering and monitoring review {}", r.label());
    Ok(page_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        views::show(
            &Page::for_user(&title, user, csrf),
            &r,
            Some(&editor),
            &school,
            true,
        ),
    ))
}

pub async fn save_commentary(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    year: web::Path<String>,
    input: Form<CommentaryInput>,
) -> Result<HttpResponse, AppError> {
    let year = begun(&state, &user, &year).await?;
    let input = input.into_inner();
    let mut errors = FieldErrors::default();
    let text = check_commentary(&mut errors, &input.commentary, false);
    if !errors.is_empty() {
        return form_again(&state, &user, &csrf, year, input, errors).await;
    }
    let (ip, now) = (client_ip(&req), state.clock.now_naive());
    let (school_id, user_id) = (user.school_id.clone(), user.id.clone());
    db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            store::save_draft(conn, &school_id, year, &text, &user_id, now)?;
            audit::store::insert(
                conn,
                &Event::new("filtering_review_commentary_saved", now)
                    .school(&school_id)
                    .actor(&user_id)
                    .record("filtering_review", &year.to_string())
                    .ip(Some(&ip)),
            )?;
            Ok::<_, AppError>(())
        })
    })
    .await?;
    Ok(see_other(&format!(
        "/filtering-review/{year}?saved=1#publishing"
    )))
}

pub async fn publish(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    year: web::Path<String>,
    input: Form<CommentaryInput>,
) -> Result<HttpResponse, AppError> {
    let year = begun(&state, &user, &year).await?;
    let input = input.into_inner();
    let mut errors = FieldErrors::default();
    let text = check_commentary(&mut errors, &input.commentary, true);
    let reason = input.reason.trim().to_string();
    if reason.chars().count() > REASON_MAX {
        errors.add(
            "reason",
            format!("Keep the reason to {REASON_MAX} characters or fewer."),
        );
    }
    crate::forms::plain(&mut errors, "reason", &reason, "the reason", true);
    let school_id = user.school_id.clone();
    let already = db::run(&state.pool, move |conn| {
        Ok(store::publication(conn, &school_id, year)?.is_some())
    })
    .await?;
    if already && reason.is_empty() {
        errors.add(
            "reason",
            "This review was published before: say why you are publishing it again.",
        );
    }
    if !errors.is_empty() {
        return form_again(&state, &user, &csrf, year, input, errors).await;
    }
    let (ip, now, today) = (
        client_ip(&req),
        state.clock.now_naive(),
        state.clock.today(),
    );
    let (school_id, user_id) = (user.school_id.clone(), user.id.clone());
    let reason = already.then_some(reason);
    db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            crate::db::dialect::lock_school(conn, &school_id)?;
            if reason.is_none() && store::publication(conn, &school_id, year)?.is_some() {
                return Err(AppError::Conflict(
                    "Someone published this review a moment ago. Open it again to see their version.".into(),
                ));
            }
            let r = super::load(conn, &school_id, year, today)?;
            store::save_draft(conn, &school_id, year, &text, &user_id, now)?;
            let version = store::publish(
                conn,
                &school_id,
                &r,
                &text,
                reason.as_deref(),
                &user_id,
                now,
            )?;
            audit::store::insert(
                conn,
                &Event::new("filtering_review_published", now)
                    .school(&school_id)
                    .actor(&user_id)
                    .record("filtering_review", &year.to_string())
                    .detail(format!("version {version}"))
                    .ip(Some(&ip)),
            )?;
            Ok::<_, AppError>(())
        })
    })
    .await?;
    Ok(see_other(&format!("/filtering-review/{year}")))
}

// ---- the register ----

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct DecisionInput {
    pub decided_on: String,
    pub change: String,
    pub decided_by: String,
    pub reason: String,
    pub corrects_id: String,
}

/// A register entry, checked: (date, change, who, reason, corrects).
fn parse_decision(
    i: &DecisionInput,
    today: NaiveDate,
) -> Result<(NaiveDate, String, String, String, Option<String>), FieldErrors> {
    let mut e = FieldErrors::default();
    let date = crate::forms::parse_date(i.decided_on.trim());
    match date {
        None => e.add(
            "decided_on",
            "Give the date of the decision, as dd/mm/yyyy (for example 03/09/2025).",
        ),
        Some(d) if d > today => e.add("decided_on", "The decision's date cannot be after today."),
        Some(_) => {}
    }
    crate::forms::required(&mut e, "change", &i.change, "what changed", 1000);
    crate::forms::required(&mut e, "decided_by", &i.decided_by, "who decided", 200);
    crate::forms::required(&mut e, "reason", &i.reason, "the reason", 2000);
    e.into_result()?;
    let corrects = Some(i.corrects_id.trim().to_string()).filter(|s| !s.is_empty());
    Ok((
        date.unwrap_or(today),
        i.change.trim().to_string(),
        i.decided_by.trim().to_string(),
        i.reason.trim().to_string(),
        corrects,
    ))
}

async fn register_page(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    status: StatusCode,
    typed: &DecisionInput,
    errors: &FieldErrors,
    saved: bool,
) -> Result<HttpResponse, AppError> {
    let school_id = user.school_id.clone();
    let entries = db::run(&state.pool, move |conn| {
        Ok(store::decisions(conn, &school_id, None)?)
    })
    .await?;
    let mut p = Page::for_user("Register of filtering decisions", user, csrf);
    p.saved = saved;
    Ok(page_with(
        status,
        views::register(&p, &entries, typed, errors),
    ))
}

pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, AppError> {
    let saved = req.query_string().split('&').any(|p| p == "saved=1");
    let typed = DecisionInput::default();
    register_page(
        &state,
        &user,
        &csrf,
        StatusCode::OK,
        &typed,
        &FieldErrors::default(),
        saved,
    )
    .await
}

pub async fn add_decision(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    input: Form<DecisionInput>,
) -> Result<HttpResponse, AppError> {
    let input = input.into_inner();
    let parsed = match parse_decision(&input, state.clock.today()) {
        Ok(p) => p,
        Err(errors) => {
            return register_page(
                &state,
                &user,
                &csrf,
                StatusCode::UNPROCESSABLE_ENTITY,
                &input,
                &errors,
                false,
            )
            .await
        }
    };
    let (ip, now) = (client_ip(&req), state.clock.now_naive());
    let (school_id, user_id) = (user.school_id.clone(), user.id.clone());
    let added = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let (decided_on, change, decided_by, reason, corrects) = &parsed;
            if let Some(c) = corrects {
                if !store::decision_exists(conn, &school_id, c)? {
                    return Ok(false);
                }
            }
            let id = store::add_decision(
                conn,
                &store::NewDecision {
                    school_id: &school_id,
                    decided_on: *decided_on,
                    change,
                    decided_by,
                    reason,
                    corrects_id: corrects.as_deref(),
                    recorded_by: &user_id,
                },
                now,
            )?;
            audit::store::insert(
                conn,
                &Event::new("filtering_decision_recorded", now)
                    .school(&school_id)
                    .actor(&user_id)
                    .record("filtering_decision", &id)
                    .ip(Some(&ip)),
            )?;
            Ok::<_, AppError>(true)
        })
    })
    .await?;
    if added {
        return Ok(see_other("/filtering-review/decisions?saved=1"));
    }
    let mut errors = FieldErrors::default();
    errors.add(
        "corrects_id",
        "Choose the entry this corrects from the list, or leave it empty.",
    );
    register_page(
        &state,
        &user,
        &csrf,
        StatusCode::UNPROCESSABLE_ENTITY,
        &input,
        &errors,
        false,
    )
    .await
}
