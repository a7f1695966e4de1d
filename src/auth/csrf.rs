//! Cross-site request forgery protection for every state-changing request
//! a browser can send: the Origin header must be ours, and the request must
//! carry the token from the `safelog_csrf` cookie (double submit) in a form
//! field `csrf` (in a urlencoded or a multipart body) or an `X-CSRF-Token`
//! header; never in the address, which history and proxy logs keep. The
//! session cookie is also SameSite=Strict. Exempt: requests with a bearer token (no ambient
//! credential), and JSON sent to `/api/`, which another site cannot send
//! without a CORS preflight that safelog never approves.

use std::future::{ready, Ready};

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use super::session::{self, bearer};
use super::tokens::{random_token, same};
use crate::config::Config;
use crate::error::{self, AppError};
use crate::state::AppState;

/// The token to embed in this page's forms.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

impl FromRequest for CsrfToken {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(req.extensions().get::<CsrfToken>().cloned().ok_or_else(|| {
            error::for_path(req.path(), AppError::internal("CSRF middleware missing"))
        }))
    }
}

fn cookie_name(config: &Config) -> &'static str {
    if config.is_https() {
        "__Host-safelog_csrf"
    } else {
        "safelog_csrf"
    }
}

const EXPIRED: &str =
    "This form had expired, so nothing was saved. Go back, reload the page, and submit it again.";
const FOREIGN: &str = "This request came from another website, so it was refused.";

pub async fn protect(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let name = cookie_name(&state.config);
    let existing = req
        .cookie(name)
        .map(|c| c.value().to_string())
        .filter(|v| v.len() == 43);
    let token = existing.clone().unwrap_or_else(|| random_token(32));
    req.extensions_mut().insert(CsrfToken(token.clone()));

    let path = req.path().to_string();
    let changes_state = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    // An API request without the session cookie carries no ambient
    // credential for another site to ride on: it is the access rule's to
    // answer (401 when nobody is signed in), not a "form expired".
    let ambient = bearer(req.request()).is_none()
        && !(error::is_api(&path) && req.cookie(session::cookie_name(&state.config)).is_none());
    if changes_state && ambient {
        if !origin_is_ours(req.request(), &state.config) {
            return Ok(req.error_response(error::for_path(&path, AppError::Forbidden(FOREIGN))));
        }
        if !is_api_json(&req) {
            let presented = presented_token(&mut req).await?;
            let good = matches!((&existing, &presented), (Some(a), Some(b)) if same(a, b));
            if !good {
                return Ok(req.error_response(error::for_path(&path, AppError::Forbidden(EXPIRED))));
            }
        }
    }

    let mut res = next.call(req).await?.map_into_boxed_body();
    if existing.is_none() {
        let cookie = Cookie::build(name, token)
            .path("/")
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(state.config.is_https())
            .finish();
        res.response_mut().add_cookie(&cookie)?;
    }
    Ok(res)
}

fn is_api_json(req: &ServiceRequest) -> bool {
    error::is_api(req.path())
        && req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("application/json"))
}

/// Whether the request came from one of our own pages, by the headers a
/// browser sets and a page cannot.
///
/// - `Sec-Fetch-Site` (every current browser sends it, whatever the referrer
///   policy): anything but `same-origin` or `none` (typed or bookmarked) is
///   refused. `same-site` is refused too: on a hosted deployment a sibling
///   subdomain can be another school's.
/// - A missing Origin is allowed (old browsers and scripts); the token still
///   has to match.
/// - `Origin: null` is allowed, because browsers send it for our own forms
///   whenever the origin is withheld (a `no-referrer` policy, as every page
///   had before, or a privacy setting), and refusing it made every form fail.
///   What else sends `null` is a sandboxed frame or a cross-origin redirect,
///   and neither can carry our token: the token cookie is SameSite=Strict, so
///   a request started by another site arrives without it, and the token
///   check below refuses it. `Sec-Fetch-Site`, where present, rules them out
///   first.
/// - Any other Origin must be this service's.
fn origin_is_ours(req: &HttpRequest, config: &Config) -> bool {
    if let Some(site) = req.headers().get("sec-fetch-site") {
        if !matches!(site.to_str(), Ok("same-origin" | "none")) {
            return false;
        }
    }
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if origin == "null" {
        return true;
    }
    let origin = origin.trim_end_matches('/').to_ascii_lowercase();
    if let Some(base) = &config.base_url {
        return origin == origin_of(base);
    }
    let host = req.connection_info().host().to_ascii_lowercase();
    origin == format!("http://{host}") || origin == format!("https://{host}")
}

fn origin_of(url: &str) -> String {
    let lower = url.trim().to_ascii_lowercase();
    match lower.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{}", rest.split('/').next().unwrap_or(rest)),
        None => lower,
    }
}

/// The token from the header, or from the urlencoded or multipart body
/// (which is read and put back for the handler).
async fn presented_token(req: &mut ServiceRequest) -> Result<Option<String>, actix_web::Error> {
    if let Some(v) = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        return Ok(Some(v.to_string()));
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let body = req.extract::<web::Bytes>().await?;
        let found = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
            .ok()
            .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "csrf").map(|(_, v)| v));
        req.set_payload(payload_of(body));
        return Ok(found);
    }
    if content_type.starts_with("multipart/form-data") {
        // A file upload may be larger than a form (an attachment, up to
        // the highest limit a school may set); read to that limit.
        let body = read_to(req, crate::error::UPLOAD_BODY_LIMIT).await?;
        let found = multipart_token(req.headers(), body.clone()).await;
        req.set_payload(payload_of(body));
        return Ok(found);
    }
    Ok(None)
}

/// The whole body, refused as too large past `limit`.
async fn read_to(req: &mut ServiceRequest, limit: usize) -> Result<web::Bytes, actix_web::Error> {
    use futures_util::StreamExt;
    let mut payload = req.take_payload();
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > limit {
            return Err(error::for_path(req.path(), AppError::TooLarge));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The `csrf` field of a multipart body (a file upload), read from a copy
/// of the body so the handler still gets all of it.
async fn multipart_token(headers: &header::HeaderMap, body: web::Bytes) -> Option<String> {
    use futures_util::StreamExt;
    let stream =
        futures_util::stream::once(async move { Ok::<_, actix_web::error::PayloadError>(body) });
    let mut parts = actix_multipart::Multipart::new(headers, stream);
    while let Some(Ok(mut part)) = parts.next().await {
        let is_token = part.content_disposition().and_then(|d| d.get_name()) == Some("csrf");
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.ok()?;
            if is_token {
                if bytes.len() + chunk.len() > 256 {
                    return None;
                }
                bytes.extend_from_slice(&chunk);
            }
        }
        if is_token {
            return String::from_utf8(bytes).ok();
        }
    }
    None
}

fn payload_of(bytes: web::Bytes) -> Payload {
    let (_, mut payload) = actix_http::h1::Payload::create(true);
    payload.unread_data(bytes);
    Payload::from(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_is_scheme_host_and_port() {
        assert_eq!(
            origin_of("https://safelog.school.org.uk/"),
            "https://safelog.school.org.uk"
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080/x"),
            "http://127.0.0.1:8080"
        );
    }
}
