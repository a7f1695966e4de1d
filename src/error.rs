//! One error type for the whole service.
//!
//! Which variant to use:
//! - [`AppError::NotFound`]: the record does not exist *or the caller may not
//!   see it*. Never tell those apart: a 403 would confirm the record exists.
//! - [`AppError::Unauthorized`]: no valid sign-in; [`AppError::Refused`] when
//!   the API should say why (wrong password, code needed).
//! - [`AppError::Forbidden`]: a check that is not about a record failed (a
//!   missing CSRF token, a foreign Origin, a route the role may not use).
//! - [`AppError::Invalid`]: input that a person can correct; the message says
//!   how. Forms re-render themselves instead of returning this.
//! - [`AppError::Conflict`], [`AppError::TooManyRequests`],
//!   [`AppError::TooLarge`], [`AppError::MethodNotAllowed`]: as named.
//! - [`AppError::Internal`], [`AppError::Unavailable`]: our fault. The cause is
//!   logged with an error id; the person sees only the id.
//!
//! Pages get HTML from [`AppError`]; handlers under `/api/` return
//! [`ApiError`], which renders the same variants as JSON
//! `{"error": ..., "message": ...}`.

use std::collections::BTreeMap;
use std::fmt;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

#[derive(Debug)]
pub enum AppError {
    NotFound,
    Unauthorized,
    /// 401 with a reason the person can act on (a refused API sign-in).
    Refused(&'static str),
    Forbidden(&'static str),
    Invalid(String),
    /// Field name to message, for API clients.
    InvalidFields(BTreeMap<String, String>),
    Conflict(String),
    TooManyRequests,
    /// The body is over the limit (413).
    TooLarge,
    /// The path exists with other methods, listed for the `Allow` header (405).
    MethodNotAllowed(String),
    Unavailable(String),
    Internal(String),
}

impl AppError {
    /// Logs the cause with a fresh error id and returns an error that shows
    /// only the id. The cause must never hold a pupil's name or an
    /// incident's details: diesel and I/O errors do not.
    pub fn internal(cause: impl fmt::Display) -> Self {
        let id = error_id();
        tracing::error!(error_id = %id, cause = %cause, "internal error");
        AppError::Internal(id)
    }

    pub fn unavailable(cause: impl fmt::Display) -> Self {
        let id = error_id();
        tracing::error!(error_id = %id, cause = %cause, "database unavailable");
        AppError::Unavailable(id)
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Unauthorized | AppError::Refused(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Invalid(_) | AppError::InvalidFields(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A short machine-readable name for the JSON `error` field.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::Unauthorized | AppError::Refused(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::Invalid(_) | AppError::InvalidFields(_) => "invalid",
            AppError::Conflict(_) => "conflict",
            AppError::TooManyRequests => "too_many_requests",
            AppError::TooLarge => "too_large",
            AppError::MethodNotAllowed(_) => "method_not_allowed",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    /// What the person is told: safe to show, says what to do.
    pub fn message(&self) -> String {
        match self {
            AppError::NotFound => "There is nothing here, or you do not have access to it.".into(),
            AppError::Unauthorized => "Please sign in.".into(),
            AppError::Forbidden(why) | AppError::Refused(why) => (*why).into(),
            AppError::Invalid(msg) => msg.clone(),
            AppError::InvalidFields(_) => "Some fields need correcting.".into(),
            AppError::Conflict(msg) => msg.clone(),
            AppError::TooManyRequests => {
                "Too many attempts. Wait 15 minutes and try again, or ask your administrator.".into()
            }
            AppError::TooLarge => format!(
                "The request is larger than {} MB, so nothing was saved. Send less: a long account can go in follow-up notes.",
                BODY_LIMIT / (1024 * 1024)
            ),
            AppError::MethodNotAllowed(allow) => {
                format!("This address does not take that method; it takes {allow}.")
            }
            AppError::Unavailable(id) => format!(
                "The database is not answering. Try again in a minute; if it goes on, give your administrator this error id: {id}."
            ),
            AppError::Internal(id) => format!(
                "Something went wrong on our side. Nothing you typed was saved by this request. Give your administrator this error id: {id}."
            ),
        }
    }
}

/// The largest request body: a form of several 20,000-character fields,
/// URL-encoded, fits with room to spare.
pub const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// The largest file upload read whole (to find a form's CSRF token): the
/// highest per-file limit a school may set for attachments, and room for
/// the form's other fields.
pub const UPLOAD_BODY_LIMIT: usize = 51 * 1024 * 1024;

fn error_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_string()
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl std::error::Error for AppError {}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => AppError::NotFound,
            other => AppError::internal(other),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        AppError::unavailable(e)
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status());
        res.insert_header((header::CACHE_CONTROL, "no-store"));
        if let AppError::MethodNotAllowed(allow) = self {
            res.insert_header((header::ALLOW, allow.as_str()));
        }
        if matches!(self, AppError::Unauthorized) {
            // A browser is sent to sign in rather than shown a bare 401.
            return res
                .status(StatusCode::SEE_OTHER)
                .insert_header((header::LOCATION, "/login"))
                .finish();
        }
        res.content_type("text/html; charset=utf-8")
            .body(crate::views::error_page(self).into_string())
    }
}

/// The JSON body of every API error.
#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<&'a BTreeMap<String, String>>,
}

/// [`AppError`] as an API answers it.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        ApiError(e.into())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.0.status()
    }

    fn error_response(&self) -> HttpResponse {
        let fields = match &self.0 {
            AppError::InvalidFields(f) => Some(f),
            _ => None,
        };
        let mut res = HttpResponse::build(self.0.status());
        res.insert_header((header::CACHE_CONTROL, "no-store"));
        if let AppError::MethodNotAllowed(allow) = &self.0 {
            res.insert_header((header::ALLOW, allow.as_str()));
        }
        if matches!(self.0, AppError::Unauthorized) {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        res.json(ErrorBody {
            error: self.0.code(),
            message: self.0.message(),
            fields,
        })
    }
}

/// Renders an error for the surface the request came in on: JSON under
/// `/api/`, a page elsewhere. For extractors and default handlers, which
/// serve both.
pub fn for_path(path: &str, e: AppError) -> actix_web::Error {
    if is_api(path) {
        ApiError(e).into()
    } else {
        e.into()
    }
}

pub fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}
