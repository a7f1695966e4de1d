//! The page layout and the pieces every feature's views share. Views are
//! functions returning [`maud::Markup`]; maud escapes everything it
//! interpolates, so nothing a user typed is ever marked safe.

mod layout;

pub use layout::{layout, Page};

use maud::{html, Markup};

use crate::error::AppError;

/// The page a browser sees for an error: the safe message, never the cause.
pub fn error_page(e: &AppError) -> Markup {
    let title = match e {
        AppError::NotFound => "Not found",
        AppError::Forbidden(_) => "Not allowed",
        AppError::Invalid(_) | AppError::InvalidFields(_) => "Please check what you entered",
        AppError::Conflict(_) => "Someone else changed this",
        AppError::TooManyRequests => "Too many attempts",
        AppError::Unavailable(_) => "Database unavailable",
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
