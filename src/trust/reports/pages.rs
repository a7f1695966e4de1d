//! The trust report pages: the list of terms, one term (which is also its
//! printed copy), its CSV, and the trust safeguarding lead's commentary
//! and publishing. The trust is the one the session's school belongs to;
//! no address names a trust or a school. Every view and download is
//! written to the audit trail, in the school the reader was working in.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::model::TrustReport;
use super::store::{self, Trust};
use super::{export, report, table, views};
use crate::audit::{self, Event};
use crate::auth::csrf::CsrfToken;
use crate::auth::session::client_ip;
use crate::auth::{CurrentUser, Role};
use crate::db::{self, dialect::write_transaction};
use crate::error::AppError;
use crate::forms::{FieldErrors, Form};
use crate::reports::pages::Editor;
use crate::reports::terms::TermName;
use crate::state::AppState;
use crate::views::{page, page_with, see_other, Page};

/// Who is reading, and the trust they read: its safeguarding lead (every
/// term begun, live until published; writes and publishes) or a trustee
/// (published terms only). Someone who is both reads as the lead.
pub struct Reader {
    pub trust: Trust,
    pub lead: bool,
}

async fn reader(state: &AppState, user: &CurrentUser) -> Result<Reader, AppError> {
    let lead = user.has(Role::TrustSafeguardingLead);
    let role = if lead {
        Role::TrustSafeguardingLead
    } else {
        Role::Trustee
    };
    let (user_id, school_id) = (user.id.clone(), user.school_id.clone());
    let trust = db::run(&state.pool, move |conn| {
        Ok(store::trust_of(conn, &user_id, &school_id, &[role])?)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(Reader { trust, lead })
}

/// A term named in the address; anything else is a page that does not
/// exist.
fn parse_term(year: &str, term: &str) -> Result<(i32, TermName), AppError> {
    let year: i32 = year
        .parse()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or(AppError::NotFound)?;
    let term = term.parse::<TermName>().map_err(|_| AppError::NotFound)?;
    Ok((year, term))
}

/// What the audit trail calls a trust's term: `trust/2025-autumn`.
fn record_id(trust: &Trust, year: i32, term: TermName) -> String {
    format!("{}/{year}-{term}", trust.id)
}

/// Loads a term as this reader may see it and writes `action` to the audit
/// trail. None for a term no school has begun or, for a trustee, one not
/// published: both are a 404 to them.
async fn load_audited(
    state: &AppState,
    req: &HttpRequest,
    user: &CurrentUser,
    who: &Reader,
    (year, term): (i32, TermName),
    (action, how): (&'static str, &'static str),
) -> Result<Option<TrustReport>, AppError> {
    let today = state.clock.today();
    let (ip, now) = (client_ip(req), state.clock.now_naive());
    let (school_id, user_id) = (user.school_id.clone(), user.id.clone());
    let (trust, lead) = (who.trust.clone(), who.lead);
    db::run(&state.pool, move |conn| {
        let r = if lead {
            if !report::has_begun(conn, &trust, year, term, today)? {
                return Ok(None);
            }
            report::load(conn, &trust, year, term, today)?
        } else {
            match report::load_published(conn, &trust, year, term, today)? {
                Some(r) => r,
                None => return Ok(None),
            }
        };
        audit::store::insert(
            conn,
            &Event::new(action, now)
                .school(&school_id)
                .actor(&user_id)
                .record("trust_report", &record_id(&trust, year, term))
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
    let who = reader(&state, &user).await?;
    let today = state.clock.today();
    let (trust, lead) = (who.trust.clone(), who.lead);
    let terms = db::run(&state.pool, move |conn| {
        Ok(if lead {
            report::list(conn, &trust, today)?
        } else {
            report::published_list(conn, &trust)?
        })
    })
    .await?;
    let page_info = Page::for_user("Trust reports", &user, &csrf);
    Ok(page(views::list(
        &page_info,
        &who.trust.name,
        &terms,
        who.lead,
    )))
}

#[derive(Deserialize)]
pub struct ShowQuery {
    saved: Option<String>,
}

pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    path: web::Path<(String, String)>,
    q: web::Query<ShowQuery>,
) -> Result<HttpResponse, AppError> {
    let term = parse_term(&path.0, &path.1)?;
    let who = reader(&state, &user).await?;
    let r = load_audited(
        &state,
        &req,
        &user,
        &who,
        term,
        ("trust_report_viewed", "page"),
    )
    .await?
    .ok_or(AppError::NotFound)?;
    let t = table::build(r.snapshot(), r.k());
    let title = format!("Trust report: {}", r.snapshot().label());
    let page_info = Page::for_user(&title, &user, &csrf);
    let editor = who.lead.then(|| Editor {
        text: r
            .draft
            .clone()
            .or_else(|| r.commentary().map(str::to_string))
            .unwrap_or_default(),
        reason: String::new(),
        errors: FieldErrors::default(),
        saved: q.saved.is_some(),
    });
    Ok(page(views::show(
        &page_info,
        &r,
        &t,
        editor.as_ref(),
        who.lead,
    )))
}

pub async fn csv(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (year, term) = parse_term(&path.0, &path.1)?;
    let who = reader(&state, &user).await?;
    let r = load_audited(
        &state,
        &req,
        &user,
        &who,
        (year, term),
        ("trust_report_downloaded", "csv"),
    )
    .await?
    .ok_or(AppError::NotFound)?;
    let t = table::build(r.snapshot(), r.k());
    let body = export::csv(&r, &t).map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"safelog-trust-report-{year}-{term}.csv\""),
        ))
        .body(body))
}

#[derive(Deserialize, Default)]
pub struct CommentaryInput {
    #[serde(default)]
    commentary: String,
    #[serde(default)]
    reason: String,
}

/// The longest commentary: a page of A4, as for a school's report.
const COMMENTARY_MAX: usize = 6000;
const REASON_MAX: usize = 500;

fn check(input: &CommentaryInput, publishing: bool) -> (String, String, FieldErrors) {
    let mut errors = FieldErrors::default();
    let text = input.commentary.trim().replace("\r\n", "\n");
    if publishing && text.is_empty() {
        errors.add(
            "commentary",
            "Write the commentary trustees will read before publishing.",
        );
    } else if text.chars().count() > COMMENTARY_MAX {
        errors.add(
            "commentary",
            format!("Keep the commentary to {COMMENTARY_MAX} characters or fewer."),
        );
    }
    crate::forms::plain(&mut errors, "commentary", &text, "the commentary", true);
    let reason = input.reason.trim().to_string();
    if reason.chars().count() > REASON_MAX {
        errors.add(
            "reason",
            format!("Keep the reason to {REASON_MAX} characters or fewer."),
        );
    }
    crate::forms::plain(&mut errors, "reason", &reason, "the reason", true);
    (text, reason, errors)
}

/// The term of a form's address, if some school of the trust has begun it;
/// 404 otherwise.
async fn begun(
    state: &AppState,
    who: &Reader,
    path: &(String, String),
) -> Result<(i32, TermName), AppError> {
    let (year, term) = parse_term(&path.0, &path.1)?;
    let today = state.clock.today();
    let trust = who.trust.clone();
    let begun = db::run(&state.pool, move |conn| {
        Ok(report::has_begun(conn, &trust, year, term, today)?)
    })
    .await?;
    if begun {
        Ok((year, term))
    } else {
        Err(AppError::NotFound)
    }
}

/// Shows the report again with the form's problems and what was typed.
async fn form_again(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    who: &Reader,
    (year, term): (i32, TermName),
    input: CommentaryInput,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let today = state.clock.today();
    let trust = who.trust.clone();
    let r = db::run(&state.pool, move |conn| {
        Ok(report::load(conn, &trust, year, term, today)?)
    })
    .await?;
    let t = table::build(r.snapshot(), r.k());
    let title = format!("Trust report: {}", r.snapshot().label());
    let page_info = Page::for_user(&title, user, csrf);
    let editor = Editor {
        text: input.commentary,
        reason: input.reason,
        errors,
        saved: false,
    };
    Ok(page_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        views::show(&page_info, &r, &t, Some(&editor), true),
    ))
}

pub async fn save_commentary(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    path: web::Path<(String, String)>,
    input: Form<CommentaryInput>,
) -> Result<HttpResponse, AppError> {
    let who = reader(&state, &user).await?;
    let (year, term) = begun(&state, &who, &path).await?;
    let input = input.into_inner();
    let (text, _, errors) = check(&input, false);
    if !errors.is_empty() {
        return form_again(&state, &user, &csrf, &who, (year, term), input, errors).await;
    }
    let (ip, now) = (client_ip(&req), state.clock.now_naive());
    let (school_id, user_id, trust) = (user.school_id.clone(), user.id.clone(), who.trust.clone());
    db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            store::save_draft(conn, &trust.id, year, term, &text, &user_id, now)?;
            audit::store::insert(
                conn,
                &Event::new("trust_report_commentary_saved", now)
                    .school(&school_id)
                    .actor(&user_id)
                    .record("trust_report", &record_id(&trust, year, term))
                    .ip(Some(&ip)),
            )?;
            Ok::<_, AppError>(())
        })
    })
    .await?;
    Ok(see_other(&format!(
        "/trust/reports/{year}/{term}?saved=1#publishing"
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
    let who = reader(&state, &user).await?;
    let (year, term) = begun(&state, &who, &path).await?;
    let input = input.into_inner();
    let (text, reason, mut errors) = check(&input, true);
    let trust_id = who.trust.id.clone();
    let already = db::run(&state.pool, move |conn| {
        Ok(store::publication(conn, &trust_id, year, term)?.is_some())
    })
    .await?;
    if already && reason.is_empty() {
        errors.add(
            "reason",
            "This report was published before: say why you are publishing it again.",
        );
    }
    if !errors.is_empty() {
        return form_again(&state, &user, &csrf, &who, (year, term), input, errors).await;
    }
    let (ip, now) = (client_ip(&req), state.clock.now_naive());
    let (school_id, user_id, trust) = (user.school_id.clone(), user.id.clone(), who.trust.clone());
    let reason = already.then_some(reason);
    db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            if reason.is_none() && store::publication(conn, &trust.id, year, term)?.is_some() {
                return Err(AppError::Conflict(
                    "Someone published this report a moment ago. Open it again to see their version.".into(),
                ));
            }
            let version = report::publish(
                conn,
                &trust,
                (year, term),
                &text,
                reason.as_deref(),
                &user_id,
                now,
            )?;
            audit::store::insert(
                conn,
                &Event::new("trust_report_published", now)
                    .school(&school_id)
                    .actor(&user_id)
                    .record("trust_report", &record_id(&trust, year, term))
                    .detail(format!("version {version}"))
                    .ip(Some(&ip)),
            )?;
            Ok::<_, AppError>(())
        })
    })
    .await?;
    Ok(see_other(&format!("/trust/reports/{year}/{term}")))
}
