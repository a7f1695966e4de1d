//! First start: a one-time link (single use, 24 hours) that lets the first
//! administrator name the school and create their own account.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Duration;
use serde::Deserialize;

use super::csrf::CsrfToken;
use super::handlers::{signed_in, user_agent};
use super::session::{client_ip, Stage};
use super::{password, store, tokens, views};
use crate::accounts::model::{needs_2fa, User};
use crate::accounts::store as accounts;
use crate::audit::{self, Event};
use crate::auth::roles::Role;
use crate::clock::Clock;
use crate::db::{dialect::write_transaction, AnyConnection, DbPool};
use crate::error::AppError;
use crate::forms::{self, FieldErrors, Form};
use crate::state::AppState;
use crate::views::{page, page_with};

const VALID_FOR: Duration = Duration::hours(24);

/// On a database with no accounts, makes a setup link and returns its URL
/// for the caller to print; None once anyone has an account.
pub fn setup_link_if_empty(
    pool: &DbPool,
    clock: &Clock,
    base_url: &str,
) -> Result<Option<String>, AppError> {
    let mut conn = pool.get()?;
    if accounts::user_count(&mut conn)? > 0 {
        return Ok(None);
    }
    let token = tokens::random_token(32);
    let now = clock.now_naive();
    store::create_link(
        &mut conn,
        "setup",
        &tokens::digest(&token),
        None,
        now,
        now + VALID_FOR,
    )?;
    Ok(Some(format!("{base_url}/setup/{token}")))
}

fn usable(
    conn: &mut AnyConnection,
    token: &str,
    clock: &Clock,
) -> Result<Option<store::Link>, AppError> {
    Ok(store::usable_link(
        conn,
        &["setup"],
        &tokens::digest(token),
        clock.now_naive(),
    )?)
}

pub async fn form(
    state: web::Data<AppState>,
    token: web::Path<String>,
    csrf: CsrfToken,
) -> Result<HttpResponse, AppError> {
    let t = token.into_inner();
    let clock = state.clock.clone();
    let action = format!("/setup/{t}");
    let ok = crate::db::run(&state.pool, move |conn| {
        Ok(usable(conn, &t, &clock)?.is_some())
    })
    .await?;
    if !ok {
        return Ok(page_with(StatusCode::NOT_FOUND, views::link_unusable()));
    }
    let blank = views::SetupForm {
        school: "",
        name: "",
        initials: "",
        email: "",
        roles: &[],
    };
    Ok(page(views::setup(
        &csrf.0,
        &action,
        &blank,
        &FieldErrors::default(),
    )))
}

#[derive(Deserialize)]
pub struct SetupInput {
    school: String,
    name: String,
    initials: String,
    email: String,
    password: String,
    confirm_password: String,
    #[serde(default)]
    role: Vec<String>,
}

/// The setup form, checked.
struct Setup {
    school: String,
    name: String,
    initials: String,
    email: String,
    password: String,
    roles: Vec<Role>,
}

fn parse(input: &SetupInput) -> (Setup, FieldErrors) {
    let mut errors = FieldErrors::default();
    let school = forms::required(
        &mut errors,
        "school",
        &input.school,
        "the school's name",
        200,
    );
    let name = forms::required(&mut errors, "name", &input.name, "your name", 200);
    let initials = forms::required(
        &mut errors,
        "initials",
        &input.initials,
        "your initials",
        10,
    );
    let email = forms::email(&mut errors, "email", &input.email);
    password::check_new_pair(
        &mut errors,
        "password",
        "confirm_password",
        &input.password,
        &input.confirm_password,
    );
    // The first account may take headteacher or DSL, which no administrator
    // may give themselves later (accounts::grants): at setup there is nobody
    // else yet to give them or to be told.
    let mut roles = vec![Role::Admin];
    roles.extend(
        input
            .role
            .iter()
            .filter_map(|r| r.parse::<Role>().ok())
            .filter(|r| *r != Role::Admin),
    );
    let setup = Setup {
        school,
        name,
        initials: initials.to_uppercase(),
        email,
        password: input.password.clone(),
        roles,
    };
    (setup, errors)
}

pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    csrf: CsrfToken,
    input: Form<SetupInput>,
) -> Result<HttpResponse, AppError> {
    let t = token.into_inner();
    let action = format!("/setup/{t}");
    let (setup, errors) = parse(&input);
    if !errors.is_empty() {
        let shown = views::SetupForm {
            school: &input.school,
            name: &input.name,
            initials: &input.initials,
            email: &input.email,
            roles: &setup.roles,
        };
        return Ok(page_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            views::setup(&csrf.0, &action, &shown, &errors),
        ));
    }
    let hash = password::hash(&setup.password).map_err(AppError::internal)?;
    let (ip, ua, clock) = (client_ip(&req), user_agent(&req), state.clock.clone());
    let policy_override = state.config.require_2fa;
    let created = crate::db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let now = clock.now_naive();
            let Some(link) = usable(conn, &t, &clock)? else {
                return Ok(None);
            };
            if !store::use_link(conn, &link.id, now)?
                || accounts::email_taken(conn, &setup.email, None)?
            {
                return Ok(None);
            }
            let school = accounts::create_school(conn, &setup.school, now)?;
            let user = accounts::create_user(
                conn,
                &accounts::NewUser {
                    school_id: &school.id,
                    email: &setup.email,
                    name: &setup.name,
                    initials: &setup.initials,
                    password_hash: &hash,
                    roles: &setup.roles,
                },
                now,
            )?;
            for action in ["school_created", "account_created", "setup_completed"] {
                audit::store::insert(
                    conn,
                    &Event::new(action, now)
                        .school(&school.id)
                        .actor(&user.id)
                        .record("user", &user.id)
                        .ip(Some(&ip)),
                )?;
            }
            let policy = policy_override.unwrap_or_else(|| school.two_factor_policy());
            let stage = if needs_2fa(policy, &setup.roles) {
                Stage::Enrol
            } else {
                Stage::Complete
            };
            let session = new_session(conn, &user, stage, &ip, ua.as_deref(), now)?;
            Ok::<_, AppError>(Some((session, stage)))
        })
    })
    .await?;
    match created {
        Some((session_id, stage)) => signed_in(&state, &session_id, stage),
        None => Ok(page_with(StatusCode::NOT_FOUND, views::link_unusable())),
    }
}

fn new_session(
    conn: &mut AnyConnection,
    user: &User,
    stage: Stage,
    ip: &str,
    ua: Option<&str>,
    now: chrono::NaiveDateTime,
) -> Result<String, AppError> {
    Ok(store::create_session(
        conn,
        &store::NewSession {
            user,
            school_id: &user.home_school_id,
            stage: stage.as_str(),
            ip: Some(ip),
            user_agent: ua,
            at: now,
        },
    )?)
}
