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

/// What in `value` does not fit `schema` as the document gives it: types,
/// `nullable`, `enum`, `required`, properties (none undocumented), items,
/// `$ref`, and the date formats. Patterns are checked below, on their own.
fn misfits(doc: &Value, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    if let Some(name) = schema["$ref"].as_str() {
        let name = name.trim_start_matches("#/components/schemas/");
        return misfits(doc, &doc["components"]["schemas"][name], value, at, out);
    }
    if value.is_null() {
        if schema["nullable"] != true {
            out.push(format!("{at} is null; the document does not say nullable"));
        }
        return;
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(value) {
            out.push(format!("{at} is {value}, not one of {allowed:?}"));
        }
    }
    let fits = match schema["type"].as_str() {
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("boolean") => value.is_boolean(),
        Some("array") => value.is_array(),
        Some("object") => value.is_object(),
        _ => true,
    };
    if !fits {
        out.push(format!("{at} is {value}, not of type {}", schema["type"]));
        return;
    }
    match (schema["format"].as_str(), value.as_str()) {
        (Some("date"), Some(v)) if chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_err() => {
            out.push(format!("{at} is {v:?}, not a date"));
        }
        (Some("date-time"), Some(v)) if chrono::DateTime::parse_from_rfc3339(v).is_err() => {
            out.push(format!("{at} is {v:?}, not a date-time"));
        }
        _ => {}
    }
    if let Some(items) = value.as_array() {
        for (i, item) in items.iter().enumerate() {
            misfits(doc, &schema["items"], item, &format!("{at}[{i}]"), out);
        }
    }
    if let Some(fields) = value.as_object() {
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap();
            if !fields.contains_key(name) {
                out.push(format!("{at}.{name} is missing"));
            }
        }
        for (name, v) in fields {
            match schema["properties"].get(name) {
                Some(property) => misfits(doc, property, v, &format!("{at}.{name}"), out),
                None => out.push(format!("{at}.{name} is not in the document")),
            }
        }
    }
}

/// Sends `body` to `path` (the document's `template`) and checks that the
/// status is the one success status documented for it, and the body its
/// shape; returns the body.
async fn post_as_documented(
    app: &crate::helpers::TestApp,
    doc: &Value,
    token: &str,
    template: &str,
    path: &str,
    body: Value,
) -> Value {
    let res = crate::incidents::api_post(app, token, path, &body).await;
    let status = res.status().as_u16();
    let got: Value = res.json().await.unwrap_or(Value::Null);
    let responses = &doc["paths"][template]["post"]["responses"];
    let ok: Vec<&String> = responses
        .as_object()
        .unwrap_or_else(|| panic!("{template} is not documented"))
        .keys()
        .filter(|k| k.starts_with('2'))
        .collect();
    assert_eq!(ok.len(), 1, "{template} documents one success: {ok:?}");
    assert_eq!(status.to_string(), *ok[0], "{template}: {got}");
    let mut out = Vec::new();
    let schema = &responses[ok[0].as_str()]["content"]["application/json"]["schema"];
    misfits(doc, schema, &got, template, &mut out);
    assert!(out.is_empty(), "{template}: {out:#?}");
    got
}

/// The success status and shape each POST documents are what it answers
/// (notes and new incidents are 201, the other actions 200), and an
/// incident logged without a date or a platform reads back with both null,
/// as the Incident schema allows.
async fn each_post_answers_the_status_and_shape_its_document_gives(backend: Backend) {
    let app = spawn_app(backend).await;
    let lead = app.add_user("Lee Lead", &[Role::Dsl, Role::OnlineSafetyLead]);
    let head = app.add_user("Hana Head", &[Role::Headteacher]);
    let (token, head_token) = (app.quick_token(&lead), app.quick_token(&head));
    let (_, doc) = crate::incidents::api_get(&app, &token, "/api/v1/openapi.json").await;

    let res = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"email": lead.email, "password": lead.password, "totp": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let got: Value = res.json().await.unwrap();
    let mut out = Vec::new();
    let schema = &doc["paths"]["/api/v1/auth/token"]["post"]["responses"]["200"]["content"]
        ["application/json"]["schema"];
    misfits(&doc, schema, &got, "token", &mut out);
    assert!(out.is_empty(), "{out:#?}");

    let created = post_as_documented(
        &app,
        &doc,
        &token,
        "/api/v1/incidents",
        "/api/v1/incidents",
        json!({"pupil_name": "Nia Null", "tutor_group": "8A", "category": "other",
               "details": "Logged with no date and no platform", "incident_date": null}),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_string();
    let (status, record) =
        crate::incidents::api_get(&app, &token, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!(status, 200);
    assert!(record["incident_date"].is_null() && record["platform"].is_null());
    let mut out = Vec::new();
    let ok = &doc["paths"]["/api/v1/incidents/{id}"]["get"]["responses"]["200"];
    misfits(
        &doc,
        &ok["content"]["application/json"]["schema"],
        &record,
        "get",
        &mut out,
    );
    let (_, list) = crate::incidents::api_get(&app, &token, "/api/v1/incidents").await;
    let ok = &doc["paths"]["/api/v1/incidents"]["get"]["responses"]["200"];
    misfits(
        &doc,
        &ok["content"]["application/json"]["schema"],
        &list,
        "list",
        &mut out,
    );
    assert!(out.is_empty(), "{out:#?}");

    let today = app.clock.today().format("%Y-%m-%d").to_string();
    let steps = [
        ("notes", json!({"text": "Spoke to the pupil."}), &token),
        ("actions", json!({"text": "Told the parents."}), &token),
        ("take", json!({}), &token),
        ("assign", json!({"user_id": lead.id}), &token),
        (
            "status",
            json!({"status": "closed", "reason": "Dealt with", "outcome": "Parents told"}),
            &token,
        ),
        // Reopening with the outcome sent as null: null reads as absent.
        (
            "status",
            json!({"status": "in_progress", "reason": "More came to light", "outcome": null}),
            &token,
        ),
        (
            "escalate",
            json!({"reason": "The DSL should see it"}),
            &token,
        ),
        (
            "referrals",
            json!({"agency": "police", "date": today, "reference": "PC-123"}),
            &token,
        ),
        ("acknowledge", json!({}), &head_token),
    ];
    let mut version = 0;
    for (action, body, who) in steps {
        let got = post_as_documented(
            &app,
            &doc,
            who,
            &format!("/api/v1/incidents/{{id}}/{action}"),
            &format!("/api/v1/incidents/{id}/{action}"),
            body,
        )
        .await;
        version = got["version"].as_i64().unwrap();
    }
    // A correction that leaves the category as it is (null) and clears the
    // platform (null), then the record marked entered in error.
    let corrected = post_as_documented(
        &app,
        &doc,
        &token,
        "/api/v1/incidents/{id}/corrections",
        &format!("/api/v1/incidents/{id}/corrections"),
        json!({"version": version, "reason": "Fuller details", "category": null,
               "platform": null, "details": "Logged with no date and no platform; corrected"}),
    )
    .await;
    assert_eq!(corrected["category"], "other");
    post_as_documented(
        &app,
        &doc,
        &token,
        "/api/v1/incidents/{id}/entered-in-error",
        &format!("/api/v1/incidents/{id}/entered-in-error"),
        json!({"reason": "Logged twice"}),
    )
    .await;
    // An exclusion from the pupil (conflicts of interest), then lifted.
    let pupil = created["pupil_id"].as_str().unwrap();
    let exclusion = post_as_documented(
        &app,
        &doc,
        &token,
        "/api/v1/pupils/{id}/exclusions",
        &format!("/api/v1/pupils/{pupil}/exclusions"),
        json!({"user_id": head.id, "reason": "Parent of the pupil."}),
    )
    .await;
    let exclusion = exclusion["id"].as_str().unwrap();
    let lifted = post_as_documented(
        &app,
        &doc,
        &token,
        "/api/v1/pupils/{id}/exclusions/{exclusion_id}/lift",
        &format!("/api/v1/pupils/{pupil}/exclusions/{exclusion}/lift"),
        json!({"reason": "Recorded in error."}),
    )
    .await;
    assert_eq!(lifted["live"], false);
}

on_both_backends!(
    an_anonymous_api_post_without_a_body_is_told_to_sign_in,
    a_body_over_the_limit_answers_413_and_saves_nothing,
    a_method_a_route_does_not_have_answers_405_with_allow,
    the_openapi_document_marks_year_and_term_required,
    each_post_answers_the_status_and_shape_its_document_gives,
);

/// The document's text patterns accept exactly what the parsers accept: for
/// every character up to U+3100 (and a few beyond), alone, padded and inside
/// a word, the pattern of each kind of field agrees with the API guard and
/// `forms::required` / `forms::optional`, which trim, refuse blank where
/// the field is required, and refuse control characters (tab and line
/// breaks inside one-line fields too).
#[test]
fn the_documented_text_patterns_are_the_rule_the_parsers_apply() {
    use safelog::forms::{optional, required, FieldErrors};
    let doc = safelog::api_docs::document();
    let props = &doc["paths"]["/api/v1/incidents"]["post"]["requestBody"]["content"]
        ["application/json"]["schema"]["properties"];
    // (field, required, the longest it may be): a text area at 20,000, a
    // one-line field at 200.
    let kinds = [
        ("actions_outcome", false, 20_000),
        ("details", true, 20_000),
        ("platform", false, 200),
        ("pupil_name", true, 200),
    ];
    let accepts = |s: &str, needed: bool, max: usize| {
        let mut e = FieldErrors::default();
        if needed {
            required(&mut e, "f", s, "it", max);
        } else {
            optional(&mut e, "f", s, "it", max);
        }
        safelog::plain_text::first_refused(s, true).is_none() && e.is_empty()
    };
    let extra = ['\u{feff}', '\u{200b}', '\u{1f600}', '\u{10ffff}'];
    let mut samples: Vec<String> = ["", " ", "\t", "a\n", "\na", "a\tb", "\r\n a \t"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for c in (0..=0x3100u32).filter_map(char::from_u32).chain(extra) {
        samples.extend([
            format!("{c}"),
            format!("a{c}"),
            format!("{c}a"),
            format!("a{c}b"),
            format!(" {c} "),
            format!("{c}{c}"),
        ]);
    }
    for (field, needed, max) in kinds {
        let pattern = props[field]["pattern"].as_str().unwrap();
        let re = regex::Regex::new(pattern).unwrap();
        let min = props[field]["minLength"].as_u64().unwrap_or(0) as usize;
        let wrong: Vec<String> = samples
            .iter()
            .filter(|s| {
                let documented = re.is_match(s) && s.chars().count() >= min;
                documented != accepts(s, needed, max)
            })
            .map(|s| format!("{s:?}"))
            .take(10)
            .collect();
        assert!(wrong.is_empty(), "{field} ({pattern}): {wrong:?}");
    }
}

/// The operations `.ci/schemathesis.toml` lets answer schema-valid data with
/// 422 are exactly those whose document says which rule beyond the schema
/// refuses it.
#[test]
fn schemathesis_accepts_a_422_only_where_the_document_names_the_rule() {
    let doc = safelog::api_docs::document();
    let mut documented = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let said = op["responses"]["422"]["description"].as_str().unwrap_or("");
            if said.contains("Besides the schema") {
                documented.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    let config = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/schemathesis.toml"),
    )
    .unwrap();
    let list = config
        .split_once("include-name = [")
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(list, _)| list)
        .unwrap();
    let mut configured: Vec<String> = list
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with('"'))
        .map(|l| l.trim_end_matches(',').trim_matches('"').to_string())
        .collect();
    documented.sort();
    configured.sort();
    assert_eq!(configured, documented);
}
