//! The administration pages.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::forms::{Account, AccountInput, SchoolInput, SchoolSettings};
use super::model::{Sharing, User};
use super::{grants, people, store, views};
use crate::audit::{self, Event};
use crate::auth::csrf::CsrfToken;
use crate::auth::reset::{send_password_link, LinkKind};
use crate::auth::session::client_ip;
use crate::auth::{CurrentUser, Role};
use crate::db::{self, dialect::write_transaction};
use crate::error::AppError;
use crate::forms::{FieldErrors, Form};
use crate::state::AppState;
use crate::views::{page, page_with, see_other, Page};

pub async fn home(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, AppError> {
    let school_id = user.school_id.clone();
    let school = db::run(&state.pool, move |conn| {
        Ok(store::school(conn, &school_id)?)
    })
    .await?;
    Ok(page(views::home(
        &Page::for_user("Administration", &user, &csrf).saved_if(&req),
        &school,
        state.config.smtp_url.is_some(),
    )))
}

pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, AppError> {
    let school_id = user.school_id.clone();
    let (users, roles) = db::run(&state.pool, move |conn| {
        Ok((
            store::users_of_school(conn, &school_id)?,
            store::roles_of_school(conn, &school_id)?,
        ))
    })
    .await?;
    Ok(page(views::list(
        &Page::for_user("Accounts", &user, &csrf).saved_if(&req),
        &users,
        &roles,
    )))
}

pub async fn new_form(user: CurrentUser, csrf: CsrfToken) -> HttpResponse {
    let page_info = Page::for_user("New account", &user, &csrf);
    page(views::account_form(
        &page_info,
        None,
        &AccountInput::default(),
        &FieldErrors::default(),
    ))
}

pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    input: Form<AccountInput>,
) -> Result<HttpResponse, AppError> {
    let input = input.into_inner();
    let page_info = Page::for_user("New account", &user, &csrf);
    let account = match Account::try_from(&input) {
        Ok(a) => a,
        Err(errors) => {
            return Ok(page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                views::account_form(&page_info, None, &input, &errors),
            ))
        }
    };
    let (ip, now, base) = (
        client_ip(&req),
        state.clock.now_naive(),
        state.config.base_url(),
    );
    let (admin_id, school_id) = (user.id.clone(), user.school_id.clone());
    let admin_name = user.name.clone();
    let created = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            if store::email_taken(conn, &account.email, None)? {
                return Ok(None);
            }
            let (new, link) = people::welcome(
                conn,
                &people::NewAccount {
                    school_id: &school_id,
                    email: &account.email,
                    name: &account.name,
                    initials: &account.initials,
                    roles: &account.roles,
                },
                &base,
                now,
            )?;
            grants::announce(
                conn,
                &school_id,
                &new,
                &grants::newly_granted(&[], &account.roles),
                &grants::GrantedBy {
                    id: Some(&admin_id),
                    name: &admin_name,
                },
                now,
            )?;
            audit::store::insert(
                conn,
                &Event::new("account_created", now)
                    .school(&school_id)
                    .actor(&admin_id)
                    .record("user", &new.id)
                    .detail(roles_detail(&account.roles))
                    .ip(Some(&ip)),
            )?;
            Ok::<_, AppError>(Some((new, link)))
        })
    })
    .await?;
    state.mail.wake();
    match created {
        Some((new, link)) => {
            let shown_link = state.config.smtp_url.is_none().then_some(link);
            Ok(page(views::created(
                &page_info,
                &new,
                shown_link.as_deref(),
            )))
        }
        None => {
            let mut errors = FieldErrors::default();
            errors.add(
                "email",
                "There is already an account with this email address.",
            );
            Ok(page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                views::account_form(&page_info, None, &input, &errors),
            ))
        }
    }
}

fn roles_detail(roles: &[Role]) -> String {
    format!(
        "roles: {}",
        roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// An account of the admin's school as they see it.
struct Loaded {
    account: User,
    /// Its roles in this school.
    roles: Vec<Role>,
    sharing: Sharing,
}

/// The account `id` among the admin's school's members; 404 otherwise.
async fn load(state: &AppState, admin: &CurrentUser, id: &str) -> Result<Loaded, AppError> {
    let (school_id, admin_id, id) = (admin.school_id.clone(), admin.id.clone(), id.to_string());
    db::run(&state.pool, move |conn| {
        let account = store::user_in_school(conn, &school_id, &id)?;
        Ok(Loaded {
            roles: store::roles_in(conn, &account.id, &school_id)?,
            sharing: store::sharing(conn, &admin_id, &account.id, &school_id)?,
            account,
        })
    })
    .await
}

pub async fn edit_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Loaded {
        account,
        roles,
        sharing,
    } = load(&state, &user, &id).await?;
    let input = AccountInput {
        name: account.name.clone(),
        email: account.email.clone(),
        initials: account.initials.clone(),
        role: roles.iter().map(|r| r.as_str().to_string()).collect(),
    };
    let page_info = Page::for_user("Edit account", &user, &csrf).saved_if(&req);
    Ok(page(views::account_form(
        &page_info,
        Some((&account, &sharing)),
        &input,
        &FieldErrors::default(),
    )))
}

pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
    input: Form<AccountInput>,
) -> Result<HttpResponse, AppError> {
    let Loaded {
        account: existing,
        roles: old_roles,
        sharing,
    } = load(&state, &user, &id).await?;
    let input = input.into_inner();
    let page_info = Page::for_user("Edit account", &user, &csrf);
    let mut account = Account::try_from(&input);
    if let Ok(a) = &account {
        let changed: Vec<&'static str> = [
            ("name", a.name != existing.name),
            ("email", a.email != existing.email),
            ("initials", a.initials != existing.initials),
        ]
        .into_iter()
        .filter_map(|(field, differs)| differs.then_some(field))
        .collect();
        if !sharing.may_change_account() && !changed.is_empty() {
            let mut errors = FieldErrors::default();
            for field in changed {
                errors.add(field, Sharing::NOT_HERE);
            }
            account = Err(errors);
        } else if existing.id == user.id && !a.roles.contains(&Role::Admin) {
            let mut errors = FieldErrors::default();
            errors.add(
                "role",
                "You cannot remove your own administrator role. Ask another administrator.",
            );
            account = Err(errors);
        } else if existing.id == user.id && !grants::newly_granted(&old_roles, &a.roles).is_empty()
        {
            let mut errors = FieldErrors::default();
            errors.add("role", grants::NOT_TO_YOURSELF);
            account = Err(errors);
        }
    }
    let account = match account {
        Ok(a) => a,
        Err(errors) => {
            return Ok(page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                views::account_form(&page_info, Some((&existing, &sharing)), &input, &errors),
            ))
        }
    };
    let (ip, now) = (client_ip(&req), state.clock.now_naive());
    let (admin_id, school_id, target) =
        (user.id.clone(), user.school_id.clone(), existing.id.clone());
    let admin_name = user.name.clone();
    let saved = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            if store::email_taken(conn, &account.email, Some(&target))? {
                return Ok(false);
            }
            store::update_profile(
                conn,
                &target,
                &store::Profile {
                    email: &account.email,
                    name: &account.name,
                    initials: &account.initials,
                },
                now,
            )?;
            audit::store::insert(
                conn,
                &Event::new("account_updated", now)
                    .school(&school_id)
                    .actor(&admin_id)
                    .record("user", &target)
                    .ip(Some(&ip)),
            )?;
            if account.roles != old_roles {
                store::set_roles(conn, &target, &school_id, &account.roles)?;
                let target_user = store::user(conn, &target)?;
                grants::announce(
                    conn,
                    &school_id,
                    &target_user,
                    &grants::newly_granted(&old_roles, &account.roles),
                    &grants::GrantedBy {
                        id: Some(&admin_id),
                        name: &admin_name,
                    },
                    now,
                )?;
                let detail = format!(
                    "from {} to {}",
                    roles_detail(&old_roles),
                    roles_detail(&account.roles)
                );
                audit::store::insert(
                    conn,
                    &Event::new("roles_changed", now)
                        .school(&school_id)
                        .actor(&admin_id)
                        .record("user", &target)
                        .detail(detail)
                        .ip(Some(&ip)),
                )?;
            }
            Ok::<_, AppError>(true)
        })
    })
    .await?;
    if saved {
        state.mail.wake();
        return Ok(see_other("/admin/users?saved=1"));
    }
    let mut errors = FieldErrors::default();
    errors.add(
        "email",
        "There is already an account with this email address.",
    );
    Ok(page_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        views::account_form(&page_info, Some((&existing, &sharing)), &input, &errors),
    ))
}

/// Runs one administrative action on an account of the admin's school,
/// with its audit event, then goes back to the account.
async fn act<F>(
    state: &AppState,
    req: &HttpRequest,
    user: &CurrentUser,
    id: &str,
    action: &'static str,
    f: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(&mut crate::db::AnyConnection, &User, chrono::NaiveDateTime) -> Result<(), AppError>
        + Send
        + 'static,
{
    let Loaded { account, .. } = load(state, user, id).await?;
    let (ip, now) = (client_ip(req), state.clock.now_naive());
    let (admin_id, school_id) = (user.id.clone(), user.school_id.clone());
    db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            f(conn, &account, now)?;
            audit::store::insert(
                conn,
                &Event::new(action, now)
                    .school(&school_id)
                    .actor(&admin_id)
                    .record("user", &account.id)
                    .ip(Some(&ip)),
            )?;
            Ok(())
        })
    })
    .await?;
    Ok(see_other(&format!("/admin/users/{id}?saved=1")))
}

pub async fn deactivate(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    if *id == user.id {
        return Err(AppError::Invalid(
            "You cannot deactivate your own account. Ask another administrator.".into(),
        ));
    }
    let loaded = load(&state, &user, &id).await?;
    if loaded.sharing.is_shared() {
        return leave_school(&state, &req, &user, loaded.account).await;
    }
    act(
        &state,
        &req,
        &user,
        &id,
        "account_deactivated",
        |conn, account, now| {
            store::set_active(conn, &account.id, false, now)?;
            // Their sessions end now, not at their next idle timeout.
            crate::auth::store::revoke_all_sessions(conn, &account.id, now)?;
            Ok(())
        },
    )
    .await
}

/// Someone who also works at another school leaves this one: their roles
/// here end, and so do their sessions working here; their account, and
/// their other schools, are untouched.
async fn leave_school(
    state: &AppState,
    req: &HttpRequest,
    admin: &CurrentUser,
    account: User,
) -> Result<HttpResponse, AppError> {
    let (ip, now) = (client_ip(req), state.clock.now_naive());
    let (admin_id, school_id) = (admin.id.clone(), admin.school_id.clone());
    db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let roles = store::roles_in(conn, &account.id, &school_id)?;
            store::set_roles(conn, &account.id, &school_id, &[])?;
            crate::auth::store::revoke_sessions_in_school(conn, &account.id, &school_id, now)?;
            audit::store::insert(
                conn,
                &Event::new("membership_ended", now)
                    .school(&school_id)
                    .actor(&admin_id)
                    .record("user", &account.id)
                    .detail(roles_detail(&roles))
                    .ip(Some(&ip)),
            )?;
            Ok::<_, AppError>(())
        })
    })
    .await?;
    Ok(see_other("/admin/users?saved=1"))
}

pub async fn reactivate(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    act(
        &state,
        &req,
        &user,
        &id,
        "account_reactivated",
        |conn, account, now| Ok(store::set_active(conn, &account.id, true, now)?),
    )
    .await
}

pub async fn send_reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let base = state.config.base_url();
    let res = act(
        &state,
        &req,
        &user,
        &id,
        "password_reset_requested",
        move |conn, account, now| {
            send_password_link(conn, &base, account, LinkKind::Reset, now).map(|_| ())
        },
    )
    .await;
    state.mail.wake();
    res
}

pub async fn reset_two_factor(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    if !load(&state, &user, &id).await?.sharing.may_change_account() {
        return Err(AppError::Forbidden(Sharing::NOT_HERE));
    }
    act(
        &state,
        &req,
        &user,
        &id,
        "2fa_reset",
        |conn, account, now| {
            crate::auth::store::clear_totp(conn, &account.id, now)?;
            crate::auth::store::revoke_all_sessions(conn, &account.id, now)?;
            Ok(())
        },
    )
    .await
}

pub async fn school_form(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, AppError> {
    let school_id = user.school_id.clone();
    let school = db::run(&state.pool, move |conn| {
        Ok(store::school(conn, &school_id)?)
    })
    .await?;
    let input = SchoolInput {
        name: school.name.clone(),
        require_2fa: school.require_2fa.clone(),
        report_min_count: school.report_min_count.to_string(),
        urn: school.urn.clone().unwrap_or_default(),
    };
    let page_info = Page::for_user("School settings", &user, &csrf);
    Ok(page(views::school_form(
        &page_info,
        &input,
        &FieldErrors::default(),
        state.config.require_2fa,
    )))
}

pub async fn update_school(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    input: Form<SchoolInput>,
) -> Result<HttpResponse, AppError> {
    let input = input.into_inner();
    let settings = match SchoolSettings::try_from(&input) {
        Ok(s) => s,
        Err(errors) => {
            let page_info = Page::for_user("School settings", &user, &csrf);
            return Ok(page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                views::school_form(&page_info, &input, &errors, state.config.require_2fa),
            ));
        }
    };
    let (ip, now) = (client_ip(&req), state.clock.now_naive());
    let (admin_id, school_id) = (user.id.clone(), user.school_id.clone());
    let saved = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            if let Some(urn) = &settings.urn {
                // Another school's URN is refused without naming it.
                if store::school_by_urn(conn, urn)?.is_some_and(|s| s.id != school_id) {
                    return Ok(false);
                }
                store::set_urn(conn, &school_id, Some(urn))?;
            }
            store::update_school(conn, &school_id, &settings.name, settings.require_2fa)?;
            store::set_report_min_count(conn, &school_id, settings.report_min_count)?;
            let detail = format!(
                "two-factor required for: {}; report counts below {} hidden; URN {}",
                settings.require_2fa,
                settings.report_min_count,
                settings.urn.as_ref().map_or("unchanged", |u| u.as_str())
            );
            audit::store::insert(
                conn,
                &Event::new("school_settings_changed", now)
                    .school(&school_id)
                    .actor(&admin_id)
                    .record("school", &school_id)
                    .detail(detail)
                    .ip(Some(&ip)),
            )?;
            Ok::<_, AppError>(true)
        })
    })
    .await?;
    if !saved {
        let mut errors = FieldErrors::default();
        errors.add(
            "urn",
            "Another school in safelog already has this URN. Check the number on Get Information about Schools.",
        );
        let page_info = Page::for_user("School settings", &user, &csrf);
        return Ok(page_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            views::school_form(&page_info, &input, &errors, state.config.require_2fa),
        ));
    }
    Ok(see_other("/admin?saved=1"))
}

/// Email delivery: whether it is set up, what has not gone, and why.
pub async fn email_status(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, AppError> {
    let school_id = user.school_id.clone();
    let (waiting, last_error) = db::run(&state.pool, move |conn| {
        Ok((
            crate::mail::undelivered(conn, &school_id, 200)?,
            crate::mail::last_delivery_error(conn, &school_id)?,
        ))
    })
    .await?;
    let page_info = Page::for_user("Email", &user, &csrf);
    Ok(page(views::email_status(
        &page_info,
        state.config.smtp_url.is_some(),
        &waiting,
        last_error.as_ref(),
    )))
}
