//! Signing in and out in the browser: the password step, the code step.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::csrf::CsrfToken;
use super::session::{self, client_ip, CurrentUser, Stage};
use super::signin::{self, Attempt, Channel, Outcome};
use super::{store, views};
use crate::audit::{self, Event};
use crate::db;
use crate::error::AppError;
use crate::forms::Form;
use crate::state::AppState;
use crate::views::{page, page_with, see_other};

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

/// Notices arrive as fixed keys, never as text in the URL.
fn notice_text(key: Option<&str>) -> Option<&'static str> {
    match key? {
        "signed_out" => Some("You have signed out."),
        "password_set" => Some("Your password is set. Sign in with it now."),
        "expired" => Some("Your session ended. Sign in again."),
        "sso_failed" => Some("That sign-in did not finish. Start it again."),
        _ => None,
    }
}

pub async fn login_page(
    state: web::Data<AppState>,
    csrf: CsrfToken,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    // A newcomer who opens the address before the setup link is told where
    // the link is, rather than being shown a sign-in nobody can pass.
    let (no_accounts, buttons) = db::run(&state.pool, |conn| {
        Ok::<_, AppError>((
            crate::accounts::store::user_count(conn)? == 0,
            store::sign_in_buttons(conn)?,
        ))
    })
    .await?;
    let notice = notice_text(q.notice.as_deref());
    Ok(page(if no_accounts {
        views::first_start()
    } else {
        views::login(&csrf.0, "", None, notice, &buttons)
    }))
}

/// The "Sign in with ..." buttons, for a sign-in page shown again.
async fn buttons(state: &AppState) -> Result<Vec<store::SignInButton>, AppError> {
    db::run(&state.pool, |conn| Ok(store::sign_in_buttons(conn)?)).await
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    csrf: CsrfToken,
    form: Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let LoginForm { email, password } = form.into_inner();
    let typed_email = email.clone();
    let ip = client_ip(&req);
    let user_agent = user_agent(&req);
    let now = state.clock.now_naive();
    let policy_override = state.config.require_2fa;
    signin::pace(&state.pool, &ip, now).await?;
    let outcome = db::run(&state.pool, move |conn| {
        signin::sign_in(
            conn,
            &Attempt {
                email: &email,
                password: &password,
                ip: &ip,
                user_agent: user_agent.as_deref(),
                channel: Channel::Browser,
                now,
                policy_override,
                school: None,
            },
        )
    })
    .await?;
    let (status, message) = match outcome {
        Outcome::SignedIn { session_id, stage } => return signed_in(&state, &session_id, stage),
        Outcome::Limited => (
            StatusCode::TOO_MANY_REQUESTS,
            AppError::TooManyRequests.message(),
        ),
        Outcome::UseSso => (StatusCode::FORBIDDEN, signin::USE_SSO.to_string()),
        Outcome::Refused | Outcome::NeedsCode | Outcome::MustEnrol | Outcome::NotTheirSchool(_) => {
            (StatusCode::UNAUTHORIZED, signin::REFUSED.to_string())
        }
    };
    let buttons = buttons(&state).await?;
    Ok(page_with(
        status,
        views::login(&csrf.0, &typed_email, Some(&message), None, &buttons),
    ))
}

pub fn user_agent(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Sets the session cookie and sends the person on to the step they are at.
pub fn signed_in(
    state: &AppState,
    session_id: &str,
    stage: Stage,
) -> Result<HttpResponse, AppError> {
    let token = state
        .keys
        .issue(session_id, state.clock.now())
        .map_err(AppError::internal)?;
    let next = match stage {
        Stage::Totp => "/login/2fa",
        Stage::Enrol => "/account/2fa",
        Stage::Complete => "/",
    };
    let mut res = see_other(next);
    res.add_cookie(&session::session_cookie(&state.config, &token))
        .map_err(AppError::internal)?;
    Ok(res)
}

pub async fn two_factor_page(csrf: CsrfToken) -> HttpResponse {
    page(views::two_factor(&csrf.0, None))
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
}

pub async fn two_factor(
    state: web::Data<AppState>,
    req: HttpRequest,
    csrf: CsrfToken,
    user: CurrentUser,
    form: Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let ip = client_ip(&req);
    let now = state.clock.now_naive();
    let code = form.into_inner().code;
    let session_id = user.session_id.clone();
    let result = db::run(&state.pool, move |conn| {
        let account = crate::accounts::store::user(conn, &user.id)?;
        if signin::locked_out(conn, &account.email, &ip, now)? {
            return Ok(Err(AppError::TooManyRequests));
        }
        if !signin::second_factor(conn, &account, &code, now, &ip)? {
            store::record_failure(conn, Some(&account.email), &ip, now)?;
            audit::store::insert(
                conn,
                &Event::new("sign_in_failed", now)
                    .school(&user.school_id)
                    .actor(&account.id)
                    .detail("wrong second factor")
                    .ip(Some(&ip)),
            )?;
            return Ok(Err(AppError::Refused(
                "That code did not work. Codes change every 30 seconds: enter the one showing now.",
            )));
        }
        store::set_stage(conn, &user.session_id, Stage::Complete.as_str())?;
        signin::record_sign_in(conn, &account, &user.school_id, &ip, now, "browser")?;
        Ok(Ok(()))
    })
    .await?;
    match result {
        Ok(()) => signed_in(&state, &session_id, Stage::Complete),
        Err(e) => Ok(page_with(
            e.status(),
            views::two_factor(&csrf.0, Some(&e.message())),
        )),
    }
}

pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    end_session(&state, &req, &user).await?;
    let mut res = see_other("/login?notice=signed_out");
    res.add_cookie(&session::clear_cookie(&state.config))
        .map_err(AppError::internal)?;
    Ok(res)
}

/// Revokes the session the request came with, on the record.
pub async fn end_session(
    state: &AppState,
    req: &HttpRequest,
    user: &CurrentUser,
) -> Result<(), AppError> {
    let now = state.clock.now_naive();
    let ip = client_ip(req);
    let (session_id, user_id, school_id) = (
        user.session_id.clone(),
        user.id.clone(),
        user.school_id.clone(),
    );
    db::run(&state.pool, move |conn| {
        store::revoke_session(conn, &session_id, now)?;
        audit::store::insert(
            conn,
            &Event::new("sign_out", now)
                .school(&school_id)
                .actor(&user_id)
                .ip(Some(&ip)),
        )?;
        Ok(())
    })
    .await
}
