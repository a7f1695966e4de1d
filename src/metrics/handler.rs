//! `GET /metrics`, and the guard that keeps the metrics listener to it.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};

use super::Gauges;
use crate::auth::{Access, Router};
use crate::error::AppError;
use crate::state::AppState;

pub fn routes(r: &mut Router<'_>) {
    // Public to the access rule: the handler itself asks for the metrics
    // listener or the token, and is a 404 to everyone else.
    r.get("/metrics", Access::Public, metrics);
}

async fn metrics(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    if !allowed(&state, &req) {
        return Err(AppError::NotFound);
    }
    let now = state.clock.now_naive();
    let (unsent, oldest) =
        crate::db::run(&state.pool, |conn| Ok(super::store::unsent(conn)?)).await?;
    let pool = state.pool.state();
    let gauges = Gauges {
        pool_open: pool.connections,
        pool_idle: pool.idle_connections,
        pool_max: state.pool.max_size(),
        outbox_unsent: unsent,
        oldest_unsent_age_seconds: oldest.map_or(0, |at| (now - at).num_seconds().max(0)),
    };
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(&gauges)))
}

/// On the metrics listener, anyone who can reach it (the operator chose
/// who can); on the main listener, only with the token.
fn allowed(state: &AppState, req: &HttpRequest) -> bool {
    if state
        .metrics
        .listener()
        .is_some_and(|addr| addr == req.app_config().local_addr())
    {
        return true;
    }
    let Some(expected) = &state.config.metrics_token else {
        return false;
    };
    crate::auth::session::bearer(req)
        .is_some_and(|given| crate::auth::tokens::same(&given, expected.expose()))
}

/// On the metrics listener, `/metrics` and nothing else: the rest of the
/// service is not to be reachable from the monitoring network.
pub async fn only_metrics_on_its_listener(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let on_metrics_listener = req
        .app_data::<web::Data<AppState>>()
        .and_then(|s| s.metrics.listener())
        .is_some_and(|addr| addr == req.app_config().local_addr());
    if on_metrics_listener && req.path() != "/metrics" {
        let res = HttpResponse::NotFound()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish();
        return Ok(req.into_response(res));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}
