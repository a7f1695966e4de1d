//! Logging. One structured line per request (method, route pattern, status,
//! duration, request id) and never a path with its ids, a query string, a
//! form field or a body: those can hold a pupil's name.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use futures_util::FutureExt;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber: logfmt-style lines on stderr, `info` and
/// up unless `RUST_LOG` says otherwise. `SAFELOG_LOG_FORMAT=json` for JSON.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = if std::env::var("SAFELOG_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    // The default hook prints the panic message, which could quote data.
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(location = %place, "panic");
    }));
}

/// The per-request id, also sent back as `X-Request-Id`.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Logs each request once, gives it an id, and turns a panic in a handler
/// into the 500 page instead of a dropped connection.
pub async fn log_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let id = uuid::Uuid::new_v4().simple().to_string();
    let method = req.method().to_string();
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "(unmatched)".to_string());
    let path = req.path().to_string();
    let state = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .cloned();
    actix_web::HttpMessage::extensions_mut(&req).insert(RequestId(id.clone()));

    // A panicking handler becomes the 500 page (rendered by the server from
    // the error) instead of a dropped connection.
    let outcome = match AssertUnwindSafe(next.call(req)).catch_unwind().await {
        Ok(outcome) => outcome.map(ServiceResponse::map_into_boxed_body),
        Err(_panic) => Err(crate::error::for_path(
            &path,
            crate::error::AppError::internal("handler panicked"),
        )),
    };
    let status = match &outcome {
        Ok(res) => res.status().as_u16(),
        Err(err) => err.as_response_error().status_code().as_u16(),
    };
    let elapsed = started.elapsed().as_secs_f64();
    let duration_ms = elapsed * 1000.0;
    if let Some(state) = &state {
        state
            .metrics
            .observe_request(&method, &route, status, elapsed);
    }
    tracing::info!(
        request_id = %id,
        method = %method,
        route = %route,
        status,
        duration_ms = format!("{duration_ms:.1}"),
        "request"
    );
    let mut res = outcome?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(res)
}
