//! `GET /metrics` for a Prometheus scraper: off unless configured, on with
//! the token or on its own listener, labelled by route pattern, and never
//! carrying a pupil's, member of staff's or school's name.

use std::net::TcpListener;

use safelog::auth::Role;
use safelog::config::{Require2fa, Secret};

use crate::helpers::{spawn_app, spawn_app_with, Backend, TestApp};
use crate::on_both_backends;

const TOKEN: &str = "scraper-token-0123456789abcdef";

async fn scrape(app: &TestApp, token: Option<&str>) -> (u16, String) {
    let mut req = reqwest::Client::new().get(app.url("/metrics"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn metrics_are_off_unless_configured(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(scrape(&app, None).await.0, 404);
    assert_eq!(scrape(&app, Some(TOKEN)).await.0, 404);
}

async fn with_the_token_metrics_show_route_patterns_and_no_names(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.require_2fa = Some(Require2fa::None);
        c.metrics_token = Some(Secret::new(TOKEN));
    })
    .await;
    assert_eq!(scrape(&app, None).await.0, 404, "no token");
    assert_eq!(scrape(&app, Some("not-the-token")).await.0, 404);

    let dsl = app.add_user("Quentin Canarystaff", &[Role::Dsl]);
    let token = app.quick_token(&dsl);
    let made = crate::incidents::quick_incident(
        &app,
        &token,
        "Zebedee Canarypupil",
        "online-bullying",
        "details Canarydetail",
    )
    .await;
    let id = made["id"].as_str().unwrap().to_string();
    let (status, _) =
        crate::incidents::api_get(&app, &token, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!(status, 200);
    // A search with a name in it: the query string must not reach a label.
    crate::incidents::api_get(&app, &token, "/api/v1/incidents?q=Zebedee").await;

    let (status, text) = scrape(&app, Some(TOKEN)).await;
    assert_eq!(status, 200);
    assert!(
        text.contains(
            "safelog_http_requests_total{method=\"GET\",route=\"/api/v1/incidents/{id}\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains(
        "safelog_http_request_duration_seconds_count{method=\"POST\",route=\"/api/v1/incidents\"} 1"
    ));
    for line in [
        "# TYPE safelog_http_request_duration_seconds histogram",
        "safelog_db_pool_connections_max ",
        "safelog_outbox_unsent ",
        "safelog_outbox_oldest_unsent_age_seconds ",
        "safelog_reminder_runs_total ",
    ] {
        assert!(text.contains(line), "{line} missing from {text}");
    }
    // The new incident's alert email waits in the outbox (no SMTP here).
    assert!(!text.contains("safelog_outbox_unsent 0\n"), "{text}");
    for canary in [
        id.as_str(),
        "Zebedee",
        "Canarypupil",
        "Canarydetail",
        "Canarystaff",
        "Test School",
    ] {
        assert!(!text.contains(canary), "{canary} in the metrics");
    }
}

async fn the_metrics_listener_serves_metrics_and_nothing_else(backend: Backend) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_app_with(backend, |c| {
        c.require_2fa = Some(Require2fa::None);
        c.metrics_bind = Some(format!("127.0.0.1:{port}").parse().unwrap());
    })
    .await;
    let metrics = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let res = client
        .get(format!("{metrics}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    for path in ["/login", "/health/live", "/api/v1/openapi.json"] {
        let res = client.get(format!("{metrics}{path}")).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path} on the metrics listener");
    }
    assert_eq!(
        scrape(&app, None).await.0,
        404,
        "not on the main listener without a token"
    );
    assert_eq!(app.get("/health/live").await.status(), 200);
}

on_both_backends!(
    metrics_are_off_unless_configured,
    with_the_token_metrics_show_route_patterns_and_no_names,
    the_metrics_listener_serves_metrics_and_nothing_else,
);
