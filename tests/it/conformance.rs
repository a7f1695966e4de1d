//! The API answers as HTTP and its own OpenAPI document say: what
//! schemathesis found (`.ci/schemathesis` runs it against the real binary).

use safelog::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend};
use crate::on_both_backends;

async fn an_anonymous_api_post_without_a_body_is_told_to_sign_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = uuid::Uuid::new_v4();
    for path in [
        "/api/v1/incidents".to_string(),
        format!("/api/v1/incidents/{id}/take"),
        format!("/api/v1/incidents/{id}/acknowledge"),
    ] {
        let res = reqwest::Client::new()
            .post(app.url(&path))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{path}");
        assert_eq!(
            res.headers().get("www-authenticate").unwrap(),
            "Bearer",
            "{path}"
        );
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "unauthorized", "{path}");
    }
}

async fn a_body_over_the_limit_answers_413_and_saves_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let dsl = app.add_user("Dee Dsl", &[Role::Dsl]);
    let token = app.quick_token(&dsl);
    let huge = "x".repeat(5 * 1024 * 1024);
    let res = app
        .client
        .post(app.url("/api/v1/incidents"))
        .bearer_auth(&token)
        .json(
            &json!({"pupil_name": "Big Body", "tutor_group": "8A", "category": "other",
                      "child_at_risk": false, "details": huge}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "too_large");
    assert!(body["message"].as_str().unwrap().contains("4 MB"), "{body}");
    let (_, list) = crate::incidents::api_get(&app, &token, "/api/v1/incidents").await;
    assert_eq!(list["total"], 0);
}

async fn a_method_a_route_does_not_have_answers_405_with_allow(backend: Backend) {
    let app = spawn_app(backend).await;
    let dsl = app.add_user("Dee Dsl", &[Role::Dsl]);
    let token = app.quick_token(&dsl);
    let id = uuid::Uuid::new_v4();
    let cases = [
        (
            reqwest::Method::PUT,
            "/api/v1/incidents".to_string(),
            "GET, POST",
        ),
        (
            reqwest::Method::DELETE,
            format!("/api/v1/incidents/{id}"),
            "GET",
        ),
        (
            reqwest::Method::from_bytes(b"TRACE").unwrap(),
            "/api/v1/me".to_string(),
            "GET",
        ),
        (
            reqwest::Method::GET,
            "/api/v1/auth/token".to_string(),
            "POST",
        ),
    ];
    for (method, path, allow) in cases {
        let res = app
            .client
            .request(method.clone(), app.url(&path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 405, "{method} {path}");
        assert_eq!(
            res.headers().get("allow").unwrap().to_str().unwrap(),
            allow,
            "{method} {path}"
        );
    }
    // A path that does not exist at all is still a 404.
    let res = app
        .client
        .put(app.url("/api/v1/nothing-here"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

async fn the_openapi_document_marks_year_and_term_required(backend: Backend) {
    let app = spawn_app(backend).await;
    let dsl = app.add_user("Dee Dsl", &[Role::Dsl]);
    let (status, doc) =
        crate::incidents::api_get(&app, &app.quick_token(&dsl), "/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    let params = doc["paths"]["/api/v1/reports/termly"]["get"]["parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for name in ["year", "term"] {
        let p = params
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} is described"));
        assert_eq!(p["in"], "query");
        assert_eq!(p["required"], true, "{name}");
    }
    let term = params.iter().find(|p| p["name"] == "term").unwrap();
    assert_eq!(
        term["schema"]["enum"],
        json!(["autumn", "spring", "summer"])
    );
}

on_both_backends!(
    an_anonymous_api_post_without_a_body_is_told_to_sign_in,
    a_body_over_the_limit_answers_413_and_saves_nothing,
    a_method_a_route_does_not_have_answers_405_with_allow,
    the_openapi_document_marks_year_and_term_required,
);
