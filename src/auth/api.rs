//! Sign-in for API clients: `POST /api/v1/auth/token` returns a bearer
//! token naming a new session; `POST /api/v1/auth/logout` ends it.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::handlers::{end_session, user_agent};
use super::session::{client_ip, CurrentUser};
use super::signin::{self, Attempt, Channel, Outcome};
use super::tokens::SESSION_LIFETIME;
use crate::error::{ApiError, AppError};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct TokenRequest {
    email: String,
    password: String,
    totp: Option<String>,
    /// The school the token works in, for someone in several: its id, URN
    /// or name. The home school when absent.
    school: Option<String>,
}

pub async fn token(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<TokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let TokenRequest {
        email,
        password,
        totp,
        school,
    } = body.into_inner();
    let (ip, ua, now) = (client_ip(&req), user_agent(&req), state.clock.now_naive());
    let policy_override = state.config.require_2fa;
    signin::pace(&state.pool, &ip, now).await?;
    let outcome = crate::db::run(&state.pool, move |conn| {
        signin::sign_in(
            conn,
            &Attempt {
                email: &email,
                password: &password,
                ip: &ip,
                user_agent: ua.as_deref(),
                channel: Channel::Api { code: totp },
                now,
                policy_override,
                school: school.as_deref(),
            },
        )
    })
    .await?;
    match outcome {
        Outcome::SignedIn { session_id, .. } => {
            let issued = state.clock.now();
            let token = state.keys.issue(&session_id, issued).map_err(AppError::internal)?;
            Ok(HttpResponse::Ok().json(json!({
                "token": token,
                "token_type": "Bearer",
                "expires_at": (issued + SESSION_LIFETIME).to_rfc3339(),
            })))
        }
        Outcome::Refused => Err(AppError::Refused(signin::REFUSED).into()),
        Outcome::Limited => Err(AppError::TooManyRequests.into()),
        Outcome::UseSso => Err(AppError::Forbidden(signin::USE_SSO).into()),
        Outcome::NeedsCode => Err(AppError::Refused(
            "This account uses two-factor sign-in: send the current 6-digit code from the authenticator app (or a recovery code) as \"totp\".",
        )
        .into()),
        Outcome::MustEnrol => Err(AppError::Forbidden(
            "Set up two-factor sign-in on the website (Account, Two-factor sign-in) before using the API.",
        )
        .into()),
        Outcome::NotTheirSchool(message) => Err(AppError::InvalidFields(
            [("school".to_string(), message)].into_iter().collect(),
        )
        .into()),
    }
}

pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    end_session(&state, &req, &user).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Who the token belongs to.
pub async fn me(user: CurrentUser) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "id": user.id,
        "school_id": user.school_id,
        "name": user.name,
        "initials": user.initials,
        "email": user.email,
        "roles": user.roles.iter().collect::<Vec<_>>(),
        "two_factor": user.has_2fa,
        // The schools a token could be asked for (`school` at sign-in).
        "schools": user
            .memberships
            .iter()
            .map(|(id, name)| json!({"id": id, "name": name}))
            .collect::<Vec<_>>(),
    }))
}
