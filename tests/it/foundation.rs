//! The service shell: health, pages and errors, headers, request logs, and
//! migrations that match across backends.

use crate::helpers::{captured_logs, spawn_app, spawn_empty_app, Backend};
use crate::on_both_backends;

async fn health_ready_answers_when_the_database_does(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app.get("/health/ready").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["database"], "ok");

    let res = app.get("/health/live").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["status"],
        "ok"
    );
}

async fn an_unknown_page_is_a_404_page_and_an_unknown_api_route_is_json(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app.get("/no/such/page").await;
    assert_eq!(res.status(), 404);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let body = res.text().await.unwrap();
    assert!(body.contains("<link rel=\"stylesheet\" href=\"/assets/style.css\">"));
    assert!(body.contains("Not found"));

    let res = app.get("/api/v1/no-such-thing").await;
    assert_eq!(res.status(), 404);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
    assert!(body["message"].as_str().unwrap().len() > 10);
}

async fn the_start_page_asks_to_sign_in_and_its_assets_are_served(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app.get("/").await;
    assert_eq!(res.status(), 303);
    assert_eq!(crate::helpers::location(&res), "/login");
    app.add_user("Ada Admin", &[safelog::auth::Role::Admin]);
    let res = app.get("/login").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("/assets/icon.svg"));
    assert!(html.contains("name=\"password\""));

    for (path, mime) in [
        ("/assets/style.css", "text/css"),
        ("/assets/app.js", "text/javascript"),
        ("/assets/icon.svg", "image/svg+xml"),
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(mime),
            "{path}"
        );
        assert!(!res.bytes().await.unwrap().is_empty(), "{path}");
    }
    assert_eq!(app.get("/assets/nope.css").await.status(), 404);
}

async fn every_response_carries_the_security_headers(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/", "/health/live", "/missing", "/api/v1/missing"] {
        let res = app.get(path).await;
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        // `no-referrer` made browsers send `Origin: null` on every form post,
        // which the CSRF check refused: no form could be submitted.
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert_eq!(h["cache-control"], "no-store", "{path}");
        assert!(h.contains_key("x-request-id"), "{path}");
    }
}

async fn a_request_is_logged_once_by_route_pattern_without_its_query_or_body(backend: Backend) {
    let app = spawn_app(backend).await;
    let canary = format!("canary{}", uuid::Uuid::new_v4().simple());
    let res = app
        .client
        .post(app.url(&format!("/assets/{canary}?pupil={canary}")))
        .form(&[("details", canary.as_str())])
        .send()
        .await
        .unwrap();
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let res = app.get(&format!("/assets/{canary}.css?q={canary}")).await;
    assert_eq!(res.status(), 404);
    let get_id = res.headers()["x-request-id"].to_str().unwrap().to_string();

    let logs = captured_logs();
    assert!(
        !logs.contains(&canary),
        "a log line holds a path, query or form value"
    );
    let line = logs
        .lines()
        .find(|l| l.contains(&get_id))
        .expect("the request was logged");
    for part in [
        "method=GET",
        "route=/assets/{name}",
        "status=404",
        "duration_ms=",
    ] {
        assert!(line.contains(part), "{part} missing from {line}");
    }
    assert_eq!(logs.lines().filter(|l| l.contains(&request_id)).count(), 1);
}

/// Uptime monitors ask with HEAD: the same status and headers as GET, no body.
async fn head_answers_as_get_does_without_a_body(backend: Backend) {
    let app = spawn_app(backend).await;
    for (path, status) in [("/health/live", 200), ("/login", 200), ("/incidents", 303)] {
        let get = app.get(path).await;
        let head = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(head.status(), status, "HEAD {path}");
        assert_eq!(get.status(), head.status(), "HEAD {path} answers as GET");
        assert_eq!(
            get.headers().get("content-type"),
            head.headers().get("content-type"),
            "{path}"
        );
        assert!(
            head.bytes().await.unwrap().is_empty(),
            "HEAD {path} has no body"
        );
    }
    // HEAD is no way round a POST-only route.
    let res = app.client.head(app.url("/logout")).send().await.unwrap();
    assert_ne!(res.status(), 200);
}

/// Before anyone has set safelog up, the sign-in page says where the setup
/// link is, instead of a form nobody can pass.
async fn the_sign_in_page_points_a_newcomer_to_the_setup_link(backend: Backend) {
    let app = spawn_empty_app(backend).await;
    let page = app.get("/login").await.text().await.unwrap();
    assert!(
        page.contains("The setup link is in the terminal where safelog was started"),
        "{page}"
    );
    app.add_user("Ada Admin", &[safelog::auth::Role::Admin]);
    let page = app.get("/login").await.text().await.unwrap();
    assert!(!page.contains("setup link"), "{page}");
    assert!(page.contains("Sign in to safelog"), "{page}");
}

on_both_backends!(
    head_answers_as_get_does_without_a_body,
    the_sign_in_page_points_a_newcomer_to_the_setup_link,
    health_ready_answers_when_the_database_does,
    an_unknown_page_is_a_404_page_and_an_unknown_api_route_is_json,
    the_start_page_asks_to_sign_in_and_its_assets_are_served,
    every_response_carries_the_security_headers,
    a_request_is_logged_once_by_route_pattern_without_its_query_or_body,
);

/// Both backends must have the same migrations, in the same order.
#[test]
fn the_two_migration_folders_hold_the_same_migrations() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let names = |backend: &str| {
        let mut names: Vec<String> = std::fs::read_dir(root.join(backend))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let sqlite = names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, names("postgres"));
    for name in &sqlite {
        for backend in ["sqlite", "postgres"] {
            for file in ["up.sql", "down.sql"] {
                assert!(
                    root.join(backend).join(name).join(file).is_file(),
                    "{backend}/{name}/{file}"
                );
            }
        }
    }
}

async fn the_audit_trail_refuses_updates_and_deletes(backend: Backend) {
    use diesel::RunQueryDsl;
    let app = spawn_app(backend).await;
    let mut conn = app.pool.get().unwrap();
    safelog::audit::store::insert(
        &mut conn,
        &safelog::audit::Event::new("sign_in", app.clock.now_naive()).detail("original"),
    )
    .unwrap();
    let update =
        diesel::sql_query("UPDATE audit_events SET detail = 'rewritten'").execute(&mut conn);
    assert!(update.is_err(), "an update went through");
    let delete = diesel::sql_query("DELETE FROM audit_events").execute(&mut conn);
    assert!(delete.is_err(), "a delete went through");
}

on_both_backends!(the_audit_trail_refuses_updates_and_deletes);

/// Every API route the application serves is described in openapi.json.
#[test]
fn the_openapi_document_describes_every_api_route() {
    let doc = safelog::api_docs::document();
    let paths = doc["paths"].as_object().unwrap();
    for route in safelog::app::route_table() {
        if route.path.starts_with("/api/") {
            let ops = paths
                .get(route.path)
                .unwrap_or_else(|| panic!("{} is not in openapi.json", route.path));
            let method = route.method.as_str().to_lowercase();
            assert!(
                ops.get(&method).is_some(),
                "{} {} is not in openapi.json",
                route.method,
                route.path
            );
        }
    }
}
