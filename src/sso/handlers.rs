//! Signing in through a provider: `GET /login/oidc/{provider}` starts the
//! authorization code flow (PKCE, `state`, `nonce`, kept server-side and
//! bound to the browser by a short-lived cookie), and
//! `GET /login/oidc/callback` finishes it.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Duration;
use serde::Deserialize;

use super::oidc::{self, Cache, Expected, Refusal};
use super::signin::{self, Admission};
use super::{store, views};
use crate::auth::session::{client_ip, Stage};
use crate::auth::tokens::{digest, random_token, same};
use crate::config::Config;
use crate::db;
use crate::error::AppError;
use crate::state::AppState;
use crate::views::{page_with, see_other};

/// A sign-in must come back from the provider within this.
const FLOW_LIFETIME: Duration = Duration::minutes(10);

fn flow_cookie_name(config: &Config) -> &'static str {
    if config.is_https() {
        "__Host-safelog_oidc"
    } else {
        "safelog_oidc"
    }
}

/// Carries `state` to the callback, so that a callback in another browser
/// (someone else's code and state, pasted) finds no match. SameSite=Lax,
/// unlike the session cookie: the provider sends the browser back with a
/// cross-site navigation, which a Strict cookie would not survive.
fn flow_cookie(config: &Config, value: &str) -> Cookie<'static> {
    Cookie::build(flow_cookie_name(config), value.to_string())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(config.is_https())
        .max_age(actix_web::cookie::time::Duration::minutes(10))
        .finish()
}

pub fn redirect_uri(config: &Config) -> String {
    format!("{}/login/oidc/callback", config.base_url())
}

pub async fn start(
    state: web::Data<AppState>,
    cache: web::Data<Cache>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let provider = db::run(&state.pool, move |conn| Ok(store::provider(conn, &id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    let discovery = match cache.discovery(&provider.issuer).await {
        Ok(d) => d,
        Err(_) => {
            return Ok(page_with(
                StatusCode::BAD_GATEWAY,
                views::unreachable(&provider.name),
            ))
        }
    };
    let (flow_state, nonce, verifier) = (random_token(32), random_token(32), random_token(32));
    let now = state.clock.now_naive();
    let (state_hash, provider_id, n, v) = (
        digest(&flow_state),
        provider.id.clone(),
        nonce.clone(),
        verifier.clone(),
    );
    db::run(&state.pool, move |conn| {
        Ok(store::start_login(
            conn,
            &store::NewLogin {
                state_hash: &state_hash,
                provider_id: &provider_id,
                nonce: &n,
                pkce_verifier: &v,
                at: now,
                expires_at: now + FLOW_LIFETIME,
            },
        )?)
    })
    .await?;
    let mut url = url::Url::parse(&discovery.authorization_endpoint).map_err(AppError::internal)?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", &provider.client_id)
            .append_pair("redirect_uri", &redirect_uri(&state.config))
            .append_pair("scope", "openid email profile")
            .append_pair("state", &flow_state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &oidc::pkce_challenge(&verifier))
            .append_pair("code_challenge_method", "S256");
        if let Some(hd) = &provider.hosted_domain {
            // Google shows only the school's accounts in its chooser.
            q.append_pair("hd", hd);
        }
    }
    let mut res = see_other(url.as_str());
    res.add_cookie(&flow_cookie(&state.config, &flow_state))
        .map_err(AppError::internal)?;
    Ok(res)
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

pub async fn callback(
    state: web::Data<AppState>,
    cache: web::Data<Cache>,
    req: HttpRequest,
    q: web::Query<CallbackQuery>,
) -> Result<HttpResponse, AppError> {
    let q = q.into_inner();
    let ip = client_ip(&req);
    let now = state.clock.now_naive();
    let cookie = req
        .cookie(flow_cookie_name(&state.config))
        .map(|c| c.value().to_string());
    let fail = |status: StatusCode, markup: maud::Markup| -> Result<HttpResponse, AppError> {
        let mut res = page_with(status, markup);
        let mut gone = flow_cookie(&state.config, "");
        gone.make_removal();
        res.add_cookie(&gone).map_err(AppError::internal)?;
        Ok(res)
    };
    // The state must be the one this browser was given, and unused.
    let Some(flow_state) = q
        .state
        .filter(|s| cookie.as_deref().is_some_and(|c| same(c, s)))
    else {
        signin::record_refusal(
            &state.pool,
            None,
            "the sign-in's state did not match this browser",
            &ip,
            now,
        )
        .await?;
        return fail(StatusCode::BAD_REQUEST, views::start_again());
    };
    let state_hash = digest(&flow_state);
    let taken = db::run(&state.pool, move |conn| {
        let Some(login) = store::take_login(conn, &state_hash, now)? else {
            return Ok(None);
        };
        Ok(store::provider(conn, &login.provider_id)?.map(|p| (login, p)))
    })
    .await?;
    let Some((login, provider)) = taken else {
        signin::record_refusal(
            &state.pool,
            None,
            "the sign-in's state was used before or has expired",
            &ip,
            now,
        )
        .await?;
        return fail(StatusCode::BAD_REQUEST, views::start_again());
    };
    let checked = async {
        if q.error.is_some() {
            return Err(Refusal::ProviderError);
        }
        let code = q.code.as_deref().ok_or(Refusal::ProviderError)?;
        let discovery = cache.discovery(&provider.issuer).await?;
        let id_token = cache
            .id_token(
                &discovery,
                &provider,
                code,
                &login.pkce_verifier,
                &redirect_uri(&state.config),
            )
            .await?;
        let kid = oidc::key_id(&id_token)?;
        let keys = cache.keys(&discovery.jwks_uri, kid.as_deref()).await?;
        oidc::check_id_token(
            &id_token,
            &keys,
            &Expected::for_provider(&provider, &login.nonce),
            &state.clock,
        )
    }
    .await;
    let identity = match checked {
        Ok(i) => i,
        Err(refusal) => {
            signin::record_refusal(&state.pool, Some(&provider), refusal.reason(), &ip, now)
                .await?;
            return fail(
                StatusCode::FORBIDDEN,
                views::refused(&provider.name, refusal.reason()),
            );
        }
    };
    let admission = signin::admit(
        &state,
        provider.clone(),
        identity.clone(),
        ip,
        user_agent(&req),
    )
    .await?;
    match admission {
        Admission::SignedIn { session_id, stage } => {
            // A role the mapping gave may have queued a notice to the
            // headteachers.
            state.mail.wake();
            let token = state
                .keys
                .issue(&session_id, state.clock.now())
                .map_err(AppError::internal)?;
            let next = match stage {
                Stage::Totp => "/login/2fa",
                Stage::Enrol => "/account/2fa",
                Stage::Complete => "/",
            };
            // A page, not a redirect: the browser arrived here from the
            // provider's site, and a redirect would carry on as that
            // cross-site navigation, without the SameSite=Strict session
            // cookie. The page's own refresh is a same-site navigation.
            let mut res = HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .insert_header(("Refresh", format!("0;url={next}")))
                .body(views::continue_to(next).into_string());
            res.add_cookie(&crate::auth::session::session_cookie(&state.config, &token))
                .map_err(AppError::internal)?;
            let mut gone = flow_cookie(&state.config, "");
            gone.make_removal();
            res.add_cookie(&gone).map_err(AppError::internal)?;
            Ok(res)
        }
        Admission::Unknown { owner } => fail(
            StatusCode::FORBIDDEN,
            views::unknown(&identity.email, &owner),
        ),
        Admission::Deactivated => fail(StatusCode::FORBIDDEN, views::deactivated()),
    }
}

fn user_agent(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}
