//! Liveness and readiness for load balancers and orchestrators.

use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde_json::json;

use crate::auth::{Access, Router};
use crate::state::AppState;

pub fn routes(r: &mut Router<'_>) {
    r.get("/health/live", Access::Public, live)
        .get("/health/ready", Access::Public, ready);
}

/// The process is up and answering.
async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// The database answers a query.
async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.pool.clone();
    let answered = web::block(move || -> bool {
        let Ok(mut conn) = pool.get() else {
            return false;
        };
        diesel::select(1.into_sql::<diesel::sql_types::Integer>())
            .get_result::<i32>(&mut conn)
            .is_ok()
    })
    .await
    .unwrap_or(false);
    if answered {
        HttpResponse::Ok().json(json!({"status": "ok", "database": "ok"}))
    } else {
        HttpResponse::ServiceUnavailable()
            .json(json!({"status": "unavailable", "database": "not answering"}))
    }
}
