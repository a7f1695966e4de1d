//! The administrators' page of sign-in: a school's administrator at
//! `/admin/sign-in` (its providers, password sign-in on or off, accounts
//! not seen for a while), a trust's at `/trust/admin/sign-in` (the
//! providers every school of the trust may use). A provider of another
//! school or trust answers 404.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Duration;
use serde::Deserialize;

use super::model::ProviderInput;
use super::store::{self, Owner};
use super::views::{self, AdminPage, Scope};
use crate::accounts::store as accounts;
use crate::audit::{self, Event};
use crate::auth::csrf::CsrfToken;
use crate::auth::session::client_ip;
use crate::auth::store::{self as auth_store, SignInSettings};
use crate::auth::{CurrentUser, Role};
use crate::db::{self, dialect::write_transaction, AnyConnection};
use crate::error::AppError;
use crate::forms::{FieldErrors, Form};
use crate::state::AppState;
use crate::views::{page_with, see_other, Page};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    School,
    Trust,
}

impl Level {
    fn action(self) -> &'static str {
        match self {
            Level::School => "/admin/sign-in/providers",
            Level::Trust => "/trust/admin/sign-in/providers",
        }
    }
    fn page(self) -> &'static str {
        match self {
            Level::School => "/admin/sign-in",
            Level::Trust => "/trust/admin/sign-in",
        }
    }
}

/// The owner id and name the asker administers at this level.
fn owner_of(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    level: Level,
) -> Result<(String, String), AppError> {
    match level {
        Level::School => {
            let s = accounts::school(conn, &user.school_id)?;
            Ok((s.id, s.name))
        }
        Level::Trust => {
            let t = accounts::trust_held_in(conn, &user.id, &user.school_id, Role::TrustAdmin)?
                .ok_or(AppError::NotFound)?;
            Ok((t.id, t.name))
        }
    }
}

fn owner(level: Level, id: &str) -> Owner<'_> {
    match level {
        Level::School => Owner::School(id),
        Level::Trust => Owner::Trust(id),
    }
}

#[derive(Default)]
struct Shown {
    input: ProviderInput,
    errors: FieldErrors,
    /// A role mapping that did not parse: the provider's id, what was
    /// typed (claim, map), and why.
    mapping: Option<(String, String, String, FieldErrors)>,
    settings_errors: FieldErrors,
    settings: Option<SignInSettings>,
    notice: Option<&'static str>,
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    level: Level,
    shown: Shown,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let asker = user.clone();
    let now = state.clock.now_naive();
    let data = db::run(&state.pool, move |conn| {
        let (id, name) = owner_of(conn, &asker, level)?;
        let providers = store::providers_of(conn, owner(level, &id))?;
        let school_part = if level == Level::School {
            let settings = auth_store::sign_in_settings(conn, &id)?;
            let trust = accounts::school(conn, &id)?.trust_id;
            let trust_providers = match trust {
                Some(t) => store::providers_of(conn, Owner::Trust(&t))?,
                None => Vec::new(),
            };
            let since = now - Duration::days(i64::from(settings.dormant_after_days));
            let unseen = store::unseen_since(conn, &id, since)?;
            let worked = store::sso_has_worked(conn, &id)?;
            Some((settings, trust_providers, unseen, worked))
        } else {
            None
        };
        Ok((name, providers, school_part))
    })
    .await?;
    let (name, providers, school_part) = data;
    let page_info = Page::for_user("Sign-in", user, csrf);
    let redirect = super::handlers::redirect_uri(&state.config);
    let scope = match &school_part {
        Some((settings, trust_providers, unseen, worked)) => Scope::School {
            settings: shown.settings.unwrap_or(*settings),
            trust_providers,
            unseen,
            sso_has_worked: *worked,
        },
        None => Scope::Trust,
    };
    Ok(page_with(
        status,
        views::admin(&AdminPage {
            page: page_info,
            action: level.action(),
            owner_name: &name,
            providers: &providers,
            input: &shown.input,
            errors: &shown.errors,
            settings_errors: &shown.settings_errors,
            redirect_uri: &redirect,
            scope,
            notice: shown.notice,
            mapping: shown.mapping.as_ref(),
        }),
    ))
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

fn notice(q: &NoticeQuery) -> Option<&'static str> {
    match q.notice.as_deref()? {
        "added" => Some("Provider added. Sign in with it once to check it works."),
        "removed" => Some("Provider removed. Its button is gone from the sign-in page."),
        "saved" => Some("Saved."),
        "mapped" => Some(
            "Role mapping saved. It applies at each person's next sign-in through that provider.",
        ),
        _ => None,
    }
}

pub async fn school_page(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    let shown = Shown {
        notice: notice(&q),
        ..Default::default()
    };
    render(&state, &user, &csrf, Level::School, shown, StatusCode::OK).await
}

pub async fn trust_page(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    let shown = Shown {
        notice: notice(&q),
        ..Default::default()
    };
    render(&state, &user, &csrf, Level::Trust, shown, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct ProviderForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    preset: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    tenant_id: String,
    #[serde(default)]
    hosted_domain: String,
    #[serde(default)]
    domains: String,
    #[serde(default)]
    mfa_acr: String,
    #[serde(default)]
    self_sign_up_domain: String,
    #[serde(default)]
    role_claim: String,
    #[serde(default)]
    role_map: String,
}

impl From<ProviderForm> for ProviderInput {
    fn from(f: ProviderForm) -> Self {
        ProviderInput {
            name: f.name,
            preset: f.preset,
            issuer: f.issuer,
            client_id: f.client_id,
            client_secret: f.client_secret,
            tenant_id: f.tenant_id,
            hosted_domain: f.hosted_domain,
            domains: f.domains,
            mfa_acr: f.mfa_acr,
            self_sign_up_domain: f.self_sign_up_domain,
            role_claim: f.role_claim,
            role_map: f.role_map,
        }
    }
}

async fn add(
    state: &AppState,
    req: &HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    form: ProviderForm,
    level: Level,
) -> Result<HttpResponse, AppError> {
    let mut input: ProviderInput = form.into();
    if level == Level::Trust {
        // A trust's provider does not say which school to join.
        input.self_sign_up_domain.clear();
    }
    let new = match input.parse() {
        Ok(n) => n,
        Err(list) => {
            let mut errors = FieldErrors::default();
            for (f, m) in list {
                errors.add(f, m);
            }
            input.client_secret.clear();
            let shown = Shown {
                input,
                errors,
                ..Default::default()
            };
            return render(
                state,
                &user,
                &csrf,
                level,
                shown,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let (ip, now, asker) = (client_ip(req), state.clock.now_naive(), user.clone());
    db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let (owner_id, _) = owner_of(conn, &asker, level)?;
            let id =
                store::add_provider(conn, owner(level, &owner_id), &new, Some(&asker.id), now)?;
            audit::store::insert(
                conn,
                &Event::new("sso_provider_added", now)
                    .school(&asker.school_id)
                    .actor(&asker.id)
                    .record("oidc_provider", &id)
                    .detail(format!("{} ({})", new.name, new.issuer))
                    .ip(Some(&ip)),
            )?;
            Ok(())
        })
    })
    .await?;
    Ok(see_other(&format!("{}?notice=added", level.page())))
}

pub async fn school_add(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    form: Form<ProviderForm>,
) -> Result<HttpResponse, AppError> {
    add(&state, &req, user, csrf, form.into_inner(), Level::School).await
}

pub async fn trust_add(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    form: Form<ProviderForm>,
) -> Result<HttpResponse, AppError> {
    add(&state, &req, user, csrf, form.into_inner(), Level::Trust).await
}

async fn remove(
    state: &AppState,
    req: &HttpRequest,
    user: CurrentUser,
    id: String,
    level: Level,
) -> Result<HttpResponse, AppError> {
    let (ip, now) = (client_ip(req), state.clock.now_naive());
    db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let (owner_id, _) = owner_of(conn, &user, level)?;
            if !store::remove_provider(conn, owner(level, &owner_id), &id, Some(&user.id), now)? {
                return Err(AppError::NotFound);
            }
            audit::store::insert(
                conn,
                &Event::new("sso_provider_removed", now)
                    .school(&user.school_id)
                    .actor(&user.id)
                    .record("oidc_provider", &id)
                    .ip(Some(&ip)),
            )?;
            Ok(())
        })
    })
    .await?;
    Ok(see_other(&format!("{}?notice=removed", level.page())))
}

pub async fn school_remove(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    remove(&state, &req, user, id.into_inner(), Level::School).await
}

pub async fn trust_remove(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    remove(&state, &req, user, id.into_inner(), Level::Trust).await
}

#[derive(Deserialize)]
pub struct MappingForm {
    #[serde(default)]
    role_claim: String,
    #[serde(default)]
    role_map: String,
}

/// Whether the provider `id` (in use) is one the asker administers here.
fn owns(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    level: Level,
    id: &str,
) -> Result<bool, AppError> {
    let (owner_id, _) = owner_of(conn, user, level)?;
    Ok(store::providers_of(conn, owner(level, &owner_id))?
        .iter()
        .any(|p| p.id == id))
}

/// Sets a provider's role mapping (both fields empty: none). Whoever sets
/// it is recorded: the mapping never gives them a guarded role.
async fn set_mapping(
    state: &AppState,
    req: &HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: String,
    form: MappingForm,
    level: Level,
) -> Result<HttpResponse, AppError> {
    let parsed = super::model::parse_role_mapping(&form.role_claim, &form.role_map);
    let mapping = match parsed {
        Ok(m) => m,
        Err((field, message)) => {
            let mut errors = FieldErrors::default();
            errors.add(field, message);
            // Only a provider of this owner gets its form back; any other
            // id answers 404 as the save would.
            let (asker, pid) = (user.clone(), id.clone());
            let ours = db::run(&state.pool, move |conn| owns(conn, &asker, level, &pid)).await?;
            if !ours {
                return Err(AppError::NotFound);
            }
            let shown = Shown {
                mapping: Some((id, form.role_claim, form.role_map, errors)),
                ..Default::default()
            };
            return render(
                state,
                &user,
                &csrf,
                level,
                shown,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let (ip, now) = (client_ip(req), state.clock.now_naive());
    db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            if !owns(conn, &user, level, &id)? {
                return Err(AppError::NotFound);
            }
            store::set_role_mapping(conn, &id, mapping.as_ref(), Some(&user.id), now)?;
            audit::store::insert(
                conn,
                &Event::new("sso_role_mapping_set", now)
                    .school(&user.school_id)
                    .actor(&user.id)
                    .record("oidc_provider", &id)
                    .detail(match &mapping {
                        Some((claim, map)) => {
                            format!("claim {claim}: {}", map.to_stored().replace('\n', "; "))
                        }
                        None => "no role mapping".into(),
                    })
                    .ip(Some(&ip)),
            )?;
            Ok(())
        })
    })
    .await?;
    Ok(see_other(&format!("{}?notice=mapped", level.page())))
}

pub async fn school_mapping(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
    form: Form<MappingForm>,
) -> Result<HttpResponse, AppError> {
    let (id, form) = (id.into_inner(), form.into_inner());
    set_mapping(&state, &req, user, csrf, id, form, Level::School).await
}

pub async fn trust_mapping(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
    form: Form<MappingForm>,
) -> Result<HttpResponse, AppError> {
    let (id, form) = (id.into_inner(), form.into_inner());
    set_mapping(&state, &req, user, csrf, id, form, Level::Trust).await
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    password_sign_in: String,
    #[serde(default)]
    dormant_after_days: String,
}

pub async fn save_settings(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    form: Form<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let mut errors = FieldErrors::default();
    let password_sign_in = match form.password_sign_in.as_str() {
        "on" => true,
        "off" => false,
        _ => {
            errors.add("password_sign_in", "Choose on or off.");
            true
        }
    };
    let days = match form.dormant_after_days.trim().parse::<i32>() {
        Ok(d) if (7..=3650).contains(&d) => d,
        _ => {
            errors.add(
                "dormant_after_days",
                "Give a whole number of days from 7 to 3650, such as 90.",
            );
            90
        }
    };
    let settings = SignInSettings {
        password_sign_in,
        dormant_after_days: days,
    };
    let (ip, now, asker) = (client_ip(&req), state.clock.now_naive(), user.clone());
    let saved = if errors.is_empty() {
        db::run(&state.pool, move |conn| {
            write_transaction(conn, |conn| {
                // Passwords go off only once SSO has signed someone in, so
                // nobody turns off the only way in that works.
                if !settings.password_sign_in && !store::sso_has_worked(conn, &asker.school_id)? {
                    return Ok(false);
                }
                auth_store::save_sign_in_settings(
                    conn,
                    &asker.school_id,
                    settings,
                    Some(&asker.id),
                    now,
                )?;
                audit::store::insert(
                    conn,
                    &Event::new("sign_in_settings_changed", now)
                        .school(&asker.school_id)
                        .actor(&asker.id)
                        .detail(format!(
                            "password sign-in {}, accounts unseen for {} days listed",
                            if settings.password_sign_in {
                                "on"
                            } else {
                                "off"
                            },
                            settings.dormant_after_days
                        ))
                        .ip(Some(&ip)),
                )?;
                Ok(true)
            })
        })
        .await?
    } else {
        false
    };
    if saved {
        return Ok(see_other("/admin/sign-in?notice=saved"));
    }
    if errors.is_empty() {
        errors.add(
            "password_sign_in",
            "Password sign-in can be turned off only after a provider has signed someone in: add one, sign in with it, then come back.",
        );
    }
    let shown = Shown {
        settings_errors: errors,
        settings: Some(settings),
        ..Default::default()
    };
    render(
        &state,
        &user,
        &csrf,
        Level::School,
        shown,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}
