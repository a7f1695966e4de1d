//! The stylesheet, icon and script, compiled into the binary so that one
//! file deploys.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::auth::{Access, Router};
use crate::error::AppError;

const FILES: &[(&str, &str, &[u8])] = &[
    (
        "style.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/style.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/app.js"),
    ),
    (
        "icon.svg",
        "image/svg+xml",
        include_bytes!("../assets/icon.svg"),
    ),
];

pub fn routes(r: &mut Router<'_>) {
    r.get("/assets/{name}", Access::Public, asset)
        .get("/favicon.ico", Access::Public, favicon);
}

async fn asset(name: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (_, mime, bytes) = FILES
        .iter()
        .find(|(n, _, _)| *n == name.as_str())
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(*mime)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(*bytes))
}

async fn favicon() -> HttpResponse {
    HttpResponse::MovedPermanently()
        .insert_header((header::LOCATION, "/assets/icon.svg"))
        .finish()
}
