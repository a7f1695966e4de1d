//! A person's own account: details, recent sign-ins, changing their
//! password, and setting up their second factor.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::csrf::CsrfToken;
use super::handlers::{signed_in, user_agent};
use super::session::{client_ip, CurrentUser, Stage};
use super::{password, store, tokens, totp, views};
use crate::accounts::store as accounts;
use crate::audit::{self, Event};
use crate::db::{self, dialect::write_transaction};
use crate::error::AppError;
use crate::forms::{FieldErrors, Form};
use crate::state::AppState;
use crate::views::{page, page_with, see_other, Page};

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

pub async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    let notice = match q.notice.as_deref() {
        Some("password_changed") => {
            Some("Your password is changed. Every other session has been signed out.")
        }
        Some("2fa_on") => Some("Two-factor sign-in is on."),
        _ => None,
    };
    Ok(page(
        render(&state, &user, &csrf, FieldErrors::default(), notice).await?,
    ))
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    errors: FieldErrors,
    notice: Option<&str>,
) -> Result<maud::Markup, AppError> {
    let id = user.id.clone();
    let (recent, unused) = db::run(&state.pool, move |conn| {
        let recent = audit::store::by_actor(
            conn,
            &id,
            &[
                "sign_in",
                "sign_in_failed",
                "sign_in_locked",
                "sign_in_refused",
            ],
            20,
        )?;
        Ok((recent, store::unused_recovery_codes(conn, &id)?))
    })
    .await?;
    Ok(views::account(&views::AccountPage {
        page: Page::for_user("Your account", user, csrf),
        name: &user.name,
        email: &user.email,
        initials: &user.initials,
        roles: user.roles.iter().collect(),
        has_2fa: user.has_2fa,
        unused_codes: unused,
        recent: &recent,
        errors,
        notice,
    }))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

pub async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    form: Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let mut errors = FieldErrors::default();
    password::check_new_pair(
        &mut errors,
        "new_password",
        "confirm_password",
        &form.new_password,
        &form.confirm_password,
    );
    let (ip, ua, now) = (client_ip(&req), user_agent(&req), state.clock.now_naive());
    let (id, school_id) = (user.id.clone(), user.school_id.clone());
    let result = db::run(&state.pool, move |conn| {
        let account = accounts::user(conn, &id)?;
        if !password::verify(&form.current_password, &account.password_hash) {
            errors.add("current_password", "That is not your current password.");
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let hash = password::hash(&form.new_password).map_err(AppError::internal)?;
        write_transaction(conn, |conn| {
            accounts::set_password(conn, &account.id, &hash, now)?;
            // Every token issued before the change stops working at once.
            store::revoke_all_sessions(conn, &account.id, now)?;
            audit::store::insert(
                conn,
                &Event::new("password_changed", now)
                    .school(&account.home_school_id)
                    .actor(&account.id)
                    .record("user", &account.id)
                    .ip(Some(&ip)),
            )?;
            let session = store::create_session(
                conn,
                &store::NewSession {
                    user: &account,
                    // It carries on in the school the person was working in.
                    school_id: &school_id,
                    stage: "complete",
                    ip: Some(&ip),
                    user_agent: ua.as_deref(),
                    at: now,
                },
            )?;
            Ok(Ok(session))
        })
    })
    .await?;
    match result {
        Ok(session_id) => {
            let mut res = signed_in(&state, &session_id, Stage::Complete)?;
            res.headers_mut().insert(
                actix_web::http::header::LOCATION,
                actix_web::http::header::HeaderValue::from_static(
                    "/account?notice=password_changed",
                ),
            );
            Ok(res)
        }
        Err(errors) => Ok(page_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&state, &user, &csrf, errors, None).await?,
        )),
    }
}

/// Enrolment: a start button (so no GET writes), then the QR code of the
/// pending secret until a code from it is confirmed.
pub async fn enrol_page(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, AppError> {
    if user.has_2fa {
        return Ok(see_other("/account"));
    }
    let id = user.id.clone();
    let pending = db::run(&state.pool, move |conn| {
        Ok(accounts::user(conn, &id)?.totp_pending_secret)
    })
    .await?;
    let page_info = Page::for_user("Two-factor sign-in", &user, &csrf);
    Ok(page(match pending {
        Some(secret) => enrol_markup(&page_info, &user, &secret, None),
        None => views::enrol_start(&page_info),
    }))
}

fn enrol_markup(
    page_info: &Page<'_>,
    user: &CurrentUser,
    secret: &str,
    error: Option<&str>,
) -> maud::Markup {
    let qr = totp::qr_data_url(&totp::otpauth_url(secret, &user.email));
    views::enrol(page_info, secret, qr.as_deref(), error)
}

pub async fn enrol_start(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    if !user.has_2fa {
        let id = user.id.clone();
        db::run(&state.pool, move |conn| {
            Ok(store::set_pending_totp(conn, &id, &totp::new_secret())?)
        })
        .await?;
    }
    Ok(see_other("/account/2fa"))
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
}

pub async fn enrol_confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    form: Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let (ip, now) = (client_ip(&req), state.clock.now_naive());
    let code = form.into_inner().code;
    let (id, session_id) = (user.id.clone(), user.session_id.clone());
    let outcome = db::run(&state.pool, move |conn| {
        let account = accounts::user(conn, &id)?;
        let Some(secret) = account.totp_pending_secret.clone() else {
            return Ok(Err(None));
        };
        let Some(step) = totp::verify(&secret, &code, now.and_utc().timestamp(), None) else {
            return Ok(Err(Some(secret)));
        };
        let codes = totp::new_recovery_codes();
        let digests: Vec<String> = codes
            .iter()
            .map(|c| tokens::digest(&totp::normalise_recovery_code(c)))
            .collect();
        write_transaction(conn, |conn| {
            store::enable_totp(conn, &account.id, &secret, step)?;
            store::replace_recovery_codes(conn, &account.id, &digests, now)?;
            store::set_stage(conn, &session_id, Stage::Complete.as_str())?;
            audit::store::insert(
                conn,
                &Event::new("2fa_enabled", now)
                    .school(&account.home_school_id)
                    .actor(&account.id)
                    .record("user", &account.id)
                    .ip(Some(&ip)),
            )?;
            Ok::<_, AppError>(())
        })?;
        Ok(Ok(codes))
    })
    .await?;
    let page_info = Page::for_user("Two-factor sign-in", &user, &csrf);
    match outcome {
        Ok(codes) => Ok(page(views::recovery_codes(&page_info, &codes))),
        Err(Some(secret)) => Ok(page_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            enrol_markup(&page_info, &user, &secret, Some("That code did not match. Check the app shows safelog, and enter the code showing now.")),
        )),
        Err(None) => Ok(see_other("/account/2fa")),
    }
}

pub async fn renew_recovery_codes(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, AppError> {
    if !user.has_2fa {
        return Ok(see_other("/account/2fa"));
    }
    let (ip, now) = (client_ip(&req), state.clock.now_naive());
    let codes = totp::new_recovery_codes();
    let digests: Vec<String> = codes
        .iter()
        .map(|c| tokens::digest(&totp::normalise_recovery_code(c)))
        .collect();
    let (id, school_id) = (user.id.clone(), user.school_id.clone());
    db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            store::replace_recovery_codes(conn, &id, &digests, now)?;
            audit::store::insert(
                conn,
                &Event::new("recovery_codes_renewed", now)
                    .school(&school_id)
                    .actor(&id)
                    .ip(Some(&ip)),
            )?;
            Ok(())
        })
    })
    .await?;
    Ok(page(views::recovery_codes(
        &Page::for_user("Recovery codes", &user, &csrf),
        &codes,
    )))
}

#[derive(Deserialize)]
pub struct SwitchForm {
    school_id: String,
    /// Where to go once there (the trust dashboard's links to a school's
    /// filtered list): only the incident list, else the start page.
    #[serde(default)]
    then: String,
}

/// The page a switch lands on: the incident list (with its filters) when
/// asked, else the start page; never anywhere off the site.
fn landing(then: &str) -> String {
    let list = then == "/incidents" || then.starts_with("/incidents?");
    if list && !then.contains(['\\', '\r', '\n']) {
        then.to_string()
    } else {
        "/".to_string()
    }
}

/// Why a password session cannot switch into a school that signs in with
/// single sign-on only.
pub const SSO_ONLY_THERE: &str = "That school signs in with its Microsoft or Google account only. Sign out, then use its \"Sign in with\" button to work there.";

/// Moves the session to another of the person's schools: from the next
/// page on, everything shown and done is that school's, with the roles held
/// there. A school they hold no roles in answers 404, as one that does not
/// exist.
pub async fn switch_school(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    form: Form<SwitchForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let (to, then) = (form.school_id, landing(&form.then));
    if !user.memberships.iter().any(|(id, _)| *id == to) {
        return Err(AppError::NotFound);
    }
    if to == user.school_id {
        return Ok(see_other(&then));
    }
    let (ip, now) = (client_ip(&req), state.clock.now_naive());
    let (id, session_id, from, has_2fa) = (
        user.id.clone(),
        user.session_id.clone(),
        user.school_id.clone(),
        user.has_2fa,
    );
    let switched = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            // Checked again here: a membership ended since this request
            // was authenticated must not let the switch through.
            let roles = accounts::roles_working_in(conn, &id, &to)?;
            if roles.is_empty() {
                return Err(AppError::NotFound);
            }
            // A school that has turned password sign-in off is not reached
            // by switching from a password session either; its
            // administrators may, as they may sign in there with their
            // password, with a second factor.
            let password_session = store::live_session(conn, &session_id)?
                .is_none_or(|(s, _)| !s.method.starts_with("oidc"));
            if password_session && !store::sign_in_settings(conn, &to)?.password_sign_in {
                if !roles.contains(&crate::auth::Role::Admin) {
                    audit::store::insert(
                        conn,
                        &Event::new("school_switch_refused", now)
                            .school(&to)
                            .actor(&id)
                            .detail("password sign-in is off for this school")
                            .ip(Some(&ip)),
                    )?;
                    return Ok(false);
                }
                if !has_2fa {
                    store::set_stage(conn, &session_id, Stage::Enrol.as_str())?;
                }
            }
            store::set_session_school(conn, &session_id, &to)?;
            audit::store::insert(
                conn,
                &Event::new("school_switched", now)
                    .school(&to)
                    .actor(&id)
                    .record("school", &from)
                    .ip(Some(&ip)),
            )?;
            Ok(true)
        })
    })
    .await?;
    if !switched {
        return Err(AppError::Forbidden(SSO_ONLY_THERE));
    }
    Ok(see_other(&then))
}
