//! Password reset by a single-use emailed link (one hour), and the welcome
//! link a new account gets (seven days). The request page says the same
//! whether or not the address has an account.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Duration, NaiveDateTime};
use serde::Deserialize;

use super::csrf::CsrfToken;
use super::handlers::{signed_in, user_agent};
use super::session::{client_ip, Stage};
use super::{password, store, tokens, views};
use crate::accounts::model::User;
use crate::accounts::store as accounts;
use crate::audit::{self, Event};
use crate::db::{dialect::write_transaction, AnyConnection};
use crate::error::AppError;
use crate::forms::{self, FieldErrors, Form};
use crate::state::AppState;
use crate::views::{page, page_with};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKind {
    Reset,
    Welcome,
}

impl LinkKind {
    fn purpose(self) -> &'static str {
        match self {
            LinkKind::Reset => "password_reset",
            LinkKind::Welcome => "welcome",
        }
    }

    fn valid_for(self) -> Duration {
        match self {
            LinkKind::Reset => Duration::hours(1),
            LinkKind::Welcome => Duration::days(7),
        }
    }
}

/// Makes a link for `user`, queues the email in the caller's transaction,
/// and returns the link (shown to an administrator when no mail is set up).
pub fn send_password_link(
    conn: &mut AnyConnection,
    base_url: &str,
    user: &User,
    kind: LinkKind,
    now: NaiveDateTime,
) -> Result<String, AppError> {
    let token = tokens::random_token(32);
    store::create_link(
        conn,
        kind.purpose(),
        &tokens::digest(&token),
        Some(&user.id),
        now,
        now + kind.valid_for(),
    )?;
    let url = format!("{base_url}/password-reset/{token}");
    let (subject, body) = match kind {
        LinkKind::Reset => (
            "safelog: reset your password",
            format!(
                "Someone asked to reset the password of your safelog account.\n\n\
                 To choose a new password, open this link within one hour (it works once):\n{url}\n\n\
                 If it was not you, ignore this email: your password has not changed."
            ),
        ),
        LinkKind::Welcome => (
            "safelog: your new account",
            format!(
                "An account has been made for you on your school's safelog, where online-safety incidents are logged.\n\n\
                 To choose your password, open this link within seven days (it works once):\n{url}\n"
            ),
        ),
    };
    crate::mail::enqueue(
        conn,
        &crate::mail::NewMail {
            school_id: Some(&user.home_school_id),
            kind: kind.purpose(),
            to: &user.email,
            subject,
            body: &body,
        },
        now,
    )?;
    Ok(url)
}

/// Reset links one account is sent within the sign-in lockout window.
const MAX_RESET_EMAILS: i64 = 3;

pub async fn request_page(csrf: CsrfToken) -> HttpResponse {
    page(views::reset_request(
        &csrf.0,
        false,
        &FieldErrors::default(),
        "",
    ))
}

#[derive(Deserialize)]
pub struct RequestForm {
    email: String,
}

pub async fn request(
    state: web::Data<AppState>,
    req: HttpRequest,
    csrf: CsrfToken,
    form: Form<RequestForm>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::default();
    let email = forms::email(&mut errors, "email", &form.email);
    if !errors.is_empty() {
        return Ok(page_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            views::reset_request(&csrf.0, false, &errors, &form.email),
        ));
    }
    let (ip, now, base) = (
        client_ip(&req),
        state.clock.now_naive(),
        state.config.base_url(),
    );
    crate::db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let Some(user) = accounts::user_by_email(conn, &email)?.filter(|u| u.active) else {
                return Ok(());
            };
            // Nobody can fill a colleague's inbox from this page: after a
            // few links in the window no more are sent, and the page says
            // the same as ever (it never says whether an account exists).
            let recent = audit::store::count_since(
                conn,
                "password_reset_requested",
                "user",
                &user.id,
                now - super::signin::WINDOW,
            )?;
            if recent >= MAX_RESET_EMAILS {
                return Ok(());
            }
            send_password_link(conn, &base, &user, LinkKind::Reset, now)?;
            audit::store::insert(
                conn,
                &Event::new("password_reset_requested", now)
                    .school(&user.home_school_id)
                    .record("user", &user.id)
                    .ip(Some(&ip)),
            )?;
            Ok::<_, AppError>(())
        })
    })
    .await?;
    state.mail.wake();
    Ok(page(views::reset_request(
        &csrf.0,
        true,
        &FieldErrors::default(),
        "",
    )))
}

const PURPOSES: &[&str] = &["password_reset", "welcome"];

pub async fn form(
    state: web::Data<AppState>,
    token: web::Path<String>,
    csrf: CsrfToken,
) -> Result<HttpResponse, AppError> {
    let t = token.into_inner();
    let action = format!("/password-reset/{t}");
    let now = state.clock.now_naive();
    let ok = crate::db::run(&state.pool, move |conn| {
        Ok(store::usable_link(conn, PURPOSES, &tokens::digest(&t), now)?.is_some())
    })
    .await?;
    if !ok {
        return Ok(page_with(StatusCode::NOT_FOUND, views::link_unusable()));
    }
    Ok(page(views::reset_form(
        &csrf.0,
        &action,
        &FieldErrors::default(),
    )))
}

#[derive(Deserialize)]
pub struct NewPasswordForm {
    password: String,
    confirm_password: String,
}

pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    csrf: CsrfToken,
    form: Form<NewPasswordForm>,
) -> Result<HttpResponse, AppError> {
    let t = token.into_inner();
    let action = format!("/password-reset/{t}");
    let mut errors = FieldErrors::default();
    password::check_new_pair(
        &mut errors,
        "password",
        "confirm_password",
        &form.password,
        &form.confirm_password,
    );
    if !errors.is_empty() {
        return Ok(page_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            views::reset_form(&csrf.0, &action, &errors),
        ));
    }
    let hash = password::hash(&form.password).map_err(AppError::internal)?;
    let (ip, ua, now) = (client_ip(&req), user_agent(&req), state.clock.now_naive());
    let done = crate::db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let Some(link) = store::usable_link(conn, PURPOSES, &tokens::digest(&t), now)? else {
                return Ok(None);
            };
            let Some(user_id) = link.user_id.as_deref() else {
                return Ok(None);
            };
            let user = accounts::user(conn, user_id)?;
            if !store::use_link(conn, &link.id, now)? || !user.active {
                return Ok(None);
            }
            accounts::set_password(conn, &user.id, &hash, now)?;
            store::revoke_all_sessions(conn, &user.id, now)?;
            // The link proved who they are, as a password does; a second
            // factor they already have is still asked for, and one their
            // role needs is set up next (the session load sees to that).
            let stage = if user.has_2fa() {
                Stage::Totp
            } else {
                Stage::Complete
            };
            let school_id = store::starting_school(conn, &user)?;
            let session = store::create_session(
                conn,
                &store::NewSession {
                    user: &user,
                    school_id: &school_id,
                    stage: stage.as_str(),
                    ip: Some(&ip),
                    user_agent: ua.as_deref(),
                    at: now,
                },
            )?;
            for action in ["password_reset", "sign_in"] {
                audit::store::insert(
                    conn,
                    &Event::new(action, now)
                        .school(&user.home_school_id)
                        .actor(&user.id)
                        .record("user", &user.id)
                        .ip(Some(&ip)),
                )?;
            }
            Ok::<_, AppError>(Some((session, stage)))
        })
    })
    .await?;
    match done {
        Some((session, stage)) => signed_in(&state, &session, stage),
        None => Ok(page_with(StatusCode::NOT_FOUND, views::link_unusable())),
    }
}
