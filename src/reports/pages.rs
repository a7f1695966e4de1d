//! The governors' report pages: the list of terms, one term's report, its
//! CSV, the JSON, and the Online Safety Lead's commentary and publishing.
//! Every view and download of a report is written to the audit trail.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::model::Report;
use super::terms::TermName;
use super::{export, report, store, views};
use crate::audit::{self, Event};
use crate::auth::csrf::CsrfToken;
use crate::auth::session::client_ip;
use crate::auth::{CurrentUser, Role};
use crate::db::{self, dialect::write_transaction};
use crate::error::{ApiError, AppError};
use crate::forms::{FieldErrors, Form};
use crate::state::AppState;
use crate::views::{page, page_with, see_other, Page};

/// What to send for a term, said the same way everywhere.
const TERM_HELP: &str = "Give year as the calendar year the academic year starts in \
    (2025 for 2025/26) and term as autumn, spring or summer, e.g. \
    /api/v1/reports/termly?year=2025&term=autumn.";

/// A term named in a URL or query.
fn parse_term(year: &str, term: &str) -> Result<(i32, TermName), String> {
    let year: i32 = year
        .trim()
        .parse()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(|| format!("'{year}' is not a year. {TERM_HELP}"))?;
    let term = term
        .parse::<TermName>()
        .map_err(|why| format!("{why}. {TERM_HELP}"))?;
    Ok((year, term))
}

/// The record id a report's audit rows carry: `2025-autumn`.
fn record_id(year: i32, term: TermName) -> String {
    format!("{year}-{term}")
}

/// Whether this reader is a lead (live figures of every term begun, the
/// JSON link) rather than a governor, who reads only what the Online
/// Safety Lead published. A headteacher who also governs reads as a lead.
pub fn reads_live_figures(user: &CurrentUser) -> bool {
    user.roles.any(&[
        Role::OnlineSafetyLead,
        Role::Dsl,
        Role::Headteacher,
        Role::Leadership,
    ])
}

/// Loads a term's report as this reader may see it and writes `action` to
/// the audit trail. None for a term that has not begun or, for a governor,
/// one not published: both are a 404 to them (a record they may not see).
async fn load_audited(
    state: &AppState,
    req: &HttpRequest,
    user: &CurrentUser,
    year: i32,
    term: TermName,
    action: &'static str,
    how: &'static str,
) -> Result<Option<Report>, AppError> {
    let today = state.clock.today();
    let (ip, now) = (client_ip(req), state.clock.now_naive());
    let (school_id, user_id) = (user.school_id.clone(), user.id.clone());
    let live = reads_live_figures(user);
    db::run(&state.pool, move |conn| {
        let r = if live {
            Some(report::load(conn, &school_id, year, term, today)?)
                .filter(|r| report::has_begun(&r.term, today))
        } else {
            report::load_published(conn, &school_id, year, term, today)?
        };
        let Some(r) = r else {
            return Ok(None);
        };
        audit::store::insert(
            conn,
            &Event::new(action, now)
                .school(&school_id)
                .actor(&user_id)
                .record("report", &record_id(year, term))
                .detail(how)
                .ip(Some(&ip)),
        )?;
        Ok(Some(r))
    })
    .await
}

pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, AppError> {
    let today = state.clock.today();
    let school_id = user.school_id.clone();
    let lead = reads_live_figures(&user);
    let terms = db::run(&state.pool, move |conn| {
        Ok(if lead {
            report::list(conn, &school_id, today)?
        } else {
            report::published_list(conn, &school_id, today)?
        })
    })
    .await?;

    let page_info = Page::for_user("Reports for governors", &user, &csrf);
    Ok(page(views::report::list(&page_info, &terms, lead)))
}

pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    path: web::Path<(String, String)>,
    q: web::Query<ShowQuery>,
) -> Result<HttpResponse, AppError> {
    let (year, term) = parse_term(&path.0, &path.1).map_err(|_| AppError::NotFound)?;
    let r = load_audited(&state, &req, &user, year, term, "report_viewed", "page")
        .await?
        .ok_or(AppError::NotFound)?;
    let title = r.term.label();
    let page_info = Page::for_user(&title, &user, &csrf);
    let editor = Editor::for_user(&user, &r, q.saved.is_some());
    let school_id = user.school_id.clone();
    let school = db::run(&state.pool, move |conn| {
        Ok(crate::accounts::store::school(conn, &school_id)?.name)
    })
    .await?;
    let shown = views::report::Shown {
        school: &school,
        lead: reads_live_figures(&user),
    };
    Ok(page(views::report::show(
        &page_info,
        &r,
        editor.as_ref(),
        &shown,
    )))
}

#[derive(Deserialize)]
pub struct ShowQuery {
    saved: Option<String>,
}

pub async fn csv(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (year, term) = parse_term(&path.0, &path.1).map_err(|_| AppError::NotFound)?;
    let r = load_audited(&state, &req, &user, year, term, "report_downloaded", "csv")
        .await?
        .ok_or(AppError::NotFound)?;
    let body = export::csv(&r).map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"safelog-report-{year}-{term}.csv\""),
        ))
        .body(body))
}

#[derive(Deserialize, Default)]
pub struct TermlyQuery {
    year: Option<String>,
    term: Option<String>,
}

/// `GET /api/v1/reports/termly?year=2025&term=autumn`.
pub async fn api(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    // Read by hand, so that a malformed query is a 422 that says what to send.
    let q: TermlyQuery = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let (Some(year), Some(term)) = (q.year.as_deref(), q.term.as_deref()) else {
        return Err(
            AppError::Invalid(format!("Both year and term are needed. {TERM_HELP}")).into(),
        );
    };
    let (year, term) = parse_term(year, term).map_err(AppError::Invalid)?;
    let r = load_audited(&state, &req, &user, year, term, "report_downloaded", "json")
        .await?
        .ok_or_else(|| missing(&user, year, term))?;
    Ok(HttpResponse::Ok().json(export::json(&r)))
}

/// Why the JSON has no report: a lead asked for a term not begun (a 422
/// that says so); a governor, for one not published (a 404, as for any
/// record they may not see).
fn missing(user: &CurrentUser, year: i32, term: TermName) -> AppError {
    if !reads_live_figures(user) {
        return AppError::NotFound;
    }
    AppError::Invalid(format!(
        "The {} term of {year}/{:02} has not begun, so it has no report yet.",
        term.as_str(),
        (year + 1) % 100
    ))
}

/// The commentary form, as the Online Safety Lead sees it.
pub struct Editor {
    pub text: String,
    pub reason: String,
    pub errors: FieldErrors,
    pub saved: bool,
}

impl Editor {
    fn for_user(user: &CurrentUser, r: &Report, saved: bool) -> Option<Editor> {
        user.has(Role::OnlineSafetyLead).then(|| Editor {
            text: r
                .draft
                .clone()
                .or_else(|| r.commentary().map(str::to_string))
                .unwrap_or_default(),
            reason: String::new(),
            errors: FieldErrors::default(),
            saved,
        })
    }
}

#[derive(Deserialize, Default)]
pub struct CommentaryInput {
    #[serde(default)]
    commentary: String,
    #[serde(default)]
    reason: String,
}

/// The longest commentary: a page of A4.
const COMMENTARY_MAX: usize = 6000;
const REASON_MAX: usize = 500;

fn check_commentary(errors: &mut FieldErrors, text: &str, required: bool) -> String {
    let text = text.trim().replace("\r\n", "\n");
    if required && text.is_empty() {
        errors.add(
            "commentary",
            "Write the commentary governors will read before publishing.",
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

/// Shows the report again with the form's problems and what was typed.
async fn form_again(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    year: i32,
    term: TermName,
    input: CommentaryInput,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let today = state.clock.today();
    let school_id = user.school_id.clone();
    let (r, school) = db::run(&state.pool, move |conn| {
        Ok((
            report::load(conn, &school_id, year, term, today)?,
            crate::accounts::store::school(conn, &school_id)?.name,
        ))
    })
    .await?;
    let title = r.term.label();
    let page_info = Page::for_user(&title, user, csrf);
    let editor = Editor {
        text: input.commentary,
        reason: input.reason,
        errors,
        saved: false,
    };
    Ok(page_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        views::report::show(
            &page_info,
            &r,
            Some(&editor),
            &views::report::Shown {
                school: &school,
                lead: true,
            },
        ),
    ))
}

/// The term of a form's URL, if it has begun; 404 otherwise.
async fn begun_term(
    state: &AppState,
    user: &CurrentUser,
    path: &(String, String),
) -> Result<super::terms::Term, AppError> {
    let (year, name) = parse_term(&path.0, &path.1).map_err(|_| AppError::NotFound)?;
    let today = state.clock.today();
    let school_id = user.school_id.clone();
    let t = db::run(&state.pool, move |conn| {
        Ok(store::term(conn, &school_id, year, name)?)
    })
    .await?;
    if report::has_begun(&t, today) {
        Ok(t)
    } else {
        Err(AppError::NotFound)
    }
}

pub async fn save_commentary(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    path: web::Path<(String, String)>,
    input: Form<CommentaryInput>,
) -> Result<HttpResponse, AppError> {
    let t = begun_term(&state, &user, &path).await?;
    let input = input.into_inner();
    let mut errors = FieldErrors::default();
    let text = check_commentary(&mut errors, &input.commentary, false);
    if !errors.is_empty() {
        return form_again(&state, &user, &csrf, t.year, t.term, input, errors).await;
    }
    let (ip, now) = (client_ip(&req), state.clock.now_naive());
    let (school_id, user_id) = (user.school_id.clone(), user.id.clone());
    db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            store::save_draft(conn, &school_id, &t, &text, &user_id, now)?;
            audit::store::insert(
                conn,
                &Event::new("report_commentary_saved", now)
                    .school(&school_id)
                    .actor(&user_id)
                    .record("report", &record_id(t.year, t.term))
                    .ip(Some(&ip)),
            )?;
            Ok::<_, AppError>(())
        })
    })
    .await?;
    Ok(see_other(&format!(
        "/reports/{}/{}?saved=1#publishing",
        t.year, t.term
    )))
}

pub async fn publish(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    path: web::Path<(String, String)>,
    input: Form<CommentaryInput>,
) -> Result<HttpResponse, AppError> {
    let t = begun_term(&state, &user, &path).await?;
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
    let (school_id, year, name) = (user.school_id.clone(), t.year, t.term);
    let already = db::run(&state.pool, move |conn| {
        Ok(store::publication(conn, &school_id, year, name)?.is_some())
    })
    .await?;
    if already && reason.is_empty() {
        errors.add(
            "reason",
            "This report was published before: say why you are publishing it again.",
        );
    }
    if !errors.is_empty() {
        return form_again(&state, &user, &csrf, t.year, t.term, input, errors).await;
    }
    let (ip, now) = (client_ip(&req), state.clock.now_naive());
    let (school_id, user_id) = (user.school_id.clone(), user.id.clone());
    let reason = already.then_some(reason);
    db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            if reason.is_none() && store::publication(conn, &school_id, t.year, t.term)?.is_some() {
                return Err(AppError::Conflict(
                    "Someone published this report a moment ago. Open it again to see their version.".into(),
                ));
            }
            let version = report::publish(
                conn,
                &school_id,
                &t,
                &text,
                reason.as_deref(),
                &user_id,
                now,
            )?;
            audit::store::insert(
                conn,
                &Event::new("report_published", now)
                    .school(&school_id)
                    .actor(&user_id)
                    .record("report", &record_id(t.year, t.term))
                    .detail(format!("version {version}"))
                    .ip(Some(&ip)),
            )?;
            Ok::<_, AppError>(())
        })
    })
    .await?;
    Ok(see_other(&format!("/reports/{}/{}", t.year, t.term)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_term_is_a_year_and_a_term_name_and_anything_else_says_what_to_send() {
        assert_eq!(
            parse_term("2025", "Autumn").unwrap(),
            (2025, TermName::Autumn)
        );
        assert!(parse_term("25", "autumn")
            .unwrap_err()
            .contains("year=2025"));
        assert!(parse_term("2025", "winter")
            .unwrap_err()
            .contains("autumn, spring or summer"));
    }
}
