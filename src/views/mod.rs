//! The page layout and the pieces every feature's views share. Views are
//! functions returning [`maud::Markup`]; maud escapes everything it
//! interpolates, so nothing a user typed is ever marked safe.

pub mod components;
mod layout;
pub mod time;

pub use layout::{layout, Page};

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use maud::{html, Markup};

use crate::error::AppError;

/// A page as a response.
pub fn page(markup: Markup) -> HttpResponse {
    page_with(StatusCode::OK, markup)
}

/// A page with another status: a form sent back to be corrected (422), a
/// refused sign-in (401).
pub fn page_with(status: StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string())
}

/// After a form succeeds: 303, so a refresh does not send it again.
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_string()))
        .finish()
}

/// The page a browser sees for an error: the safe message, never the cause.
pub fn error_page(e: &AppError) -> Markup {
    let title = match e {
        AppError::NotFound => "Not found",
        AppError::Forbidden(_) => "Not allowed",
        AppError::Invalid(_) | AppError::InvalidFields(_) => "Please check what you entered",
        AppError::Conflict(_) => "Someone else changed this",
        AppError::TooManyRequests => "Too many attempts",
        AppError::TooLarge => "Too large",
        AppError::MethodNotAllowed(_) => "Not available this way",
        AppError::Unavailable(_) => "Database unavailable",
        AppError::Refused(_) => "Not signed in",
        AppError::Internal(_) | AppError::Unauthorized => "Something went wrong",
    };
    layout(
        &Page::new(title),
        html! {
            section.notice {
                h1 { (title) }
                p { (e.message()) }
                p { a href="/" { "Back to the start page" } }
            }
        },
    )
}
